"""The kernelenv language server: projects on open, diagnostics and lenses on env files, jobs.

Threading: pygls runs the protocol on an asyncio loop. Anything that reads the disk
(detection, status, parsing) runs in a worker thread (:func:`asyncio.to_thread`); jobs
run in :class:`kernelenv.jobs.JobManager`'s threads. Messages to the client are only
ever written from the loop thread (:meth:`KernelenvServer.call_in_loop`).

Wire shapes (see docs/lsp.md):

* notification ``kernelenv/projects``: ``{"workspaceFolder": uri, "projects":
  [Project.to_dict(relative_to=folder) + {"status": StatusReport.to_dict()}]}``;
* commands ``kernelenv.create|lock|rebuild|purge|record`` ``[{"project": path-or-uri}]`` and
  ``kernelenv.add|remove`` ``[{"project", "packages": [str], "pip"?: bool, "group"?: str}]`` ->
  ``Job.to_dict()``; ``kernelenv.status`` -> project + status;
  ``kernelenv.history`` ``[{"project"}]`` -> :func:`kernelenv.api.history`;
  ``kernelenv.rollback`` ``[{"project", "build"?}]`` -> :func:`kernelenv.api.rollback`;
  ``kernelenv.kernelForNotebook`` ``[{"notebook": uri}]`` ->
  :func:`kernelenv.api.kernel_for_notebook`; ``kernelenv.projects`` -> a list of the
  ``kernelenv/projects`` params, one per workspace folder.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import from_fs_path, to_fs_path

from kernelenv import api
from kernelenv.errors import KernelenvError
from kernelenv.jobs import Job, JobManager
from kernelenv.model import Project, Status

from . import __version__
from .diagnostics import diagnostics_for, is_env_file
from .index import FolderState, ProjectIndex, project_entry
from .memory import PromptMemory
from .settings import Settings

log = logging.getLogger(__name__)

PROJECTS_NOTIFICATION = "kernelenv/projects"
JOB_COMMANDS = {"kernelenv.create": "create", "kernelenv.lock": "lock",
                "kernelenv.rebuild": "rebuild", "kernelenv.purge": "purge", "kernelenv.add": "add",
                "kernelenv.remove": "remove", "kernelenv.record": "record"}
ALL_COMMANDS = [*JOB_COMMANDS, "kernelenv.status", "kernelenv.kernelForNotebook",
                "kernelenv.projects", "kernelenv.history", "kernelenv.rollback"]
ACTION_CREATE, ACTION_NOT_NOW, ACTION_NEVER = "Create environment", "Not now", "Never for this project"
#: LSP 3.17 ``RequestFailed``: the request was valid but the operation failed.
REQUEST_FAILED = int(types.LSPErrorCodes.RequestFailed)
REQUEST_CANCELLED = int(types.LSPErrorCodes.RequestCancelled)
#: Watched files: env files, locks, the state file a CLI/JupyterLab build writes, and the
#: package records of the envs themselves (a ``%pip install`` in a notebook: drift).
WATCH_GLOBS = ["**/environment*.yml", "**/environment*.yaml", "**/requirements*.txt",
               "**/requirements*.in", "**/pyproject.toml", "**/Pipfile", "**/Pipfile.lock",
               "**/pixi.toml", "**/pixi.lock", "**/runtime.txt", "**/.python-version",
               "**/uv.lock", "**/poetry.lock", "**/pylock.toml", "**/conda-lock.yml",
               "**/.kernelenv/state.json",
               "**/.kernelenv/envs/*/lib/python*/site-packages/*.dist-info/INSTALLER",
               "**/.kernelenv/envs/*/Lib/site-packages/*.dist-info/INSTALLER",
               "**/.kernelenv/envs/*/conda-meta/*.json"]
#: Seconds between checks for a build started anywhere (this server, the CLI, JupyterLab):
#: a build holds the project's lock file, which no file watcher reports.
BUILD_POLL_SECONDS = 1.0


class EngineRequestError(JsonRpcException):
    """A JSON-RPC error carrying an engine error: ``message`` is the engine's (file:line
    included), ``data`` is :meth:`KernelenvError.to_dict` (``code``, ``path``, ``line`` ...)."""

    CODE = REQUEST_FAILED


class KernelenvProtocol(LanguageServerProtocol):
    """pygls' protocol, with ``workspace/executeCommand`` handing the whole params
    (including ``workDoneToken``) to the server's command dispatcher."""

    _server: "KernelenvServer"

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    def lsp_workspace__execute_command(self, params: types.ExecuteCommandParams):
        if params.command not in self.fm.commands:
            raise JsonRpcInvalidParams.of(ValueError(f"Command name {params.command!r} is not defined"))
        result = yield self._server.execute_command, (params,), None
        return result

    def _send_handler_result(self, future, *, msg_id):  # noqa: ANN001 - pygls' signature
        """Answer an expected JSON-RPC error (an unknown project: -32602; a failed job) as the
        response only. pygls would also log its traceback at ERROR, which editors show as
        a server error; an unexpected exception still goes to pygls (logged with traceback)."""
        if not future.cancelled() and isinstance(future.exception(), JsonRpcException):
            exc = future.exception()
            self._request_futures.pop(msg_id, None)
            log.info("request %s answered with error %s: %s", msg_id, exc.code, exc.message)
            self._send_response(msg_id, error=exc.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)


class KernelenvServer(LanguageServer):
    """The language server. Create it with :func:`make_server`."""

    def __init__(self) -> None:
        super().__init__("kernelenv-lsp", __version__, protocol_cls=KernelenvProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.settings = Settings()
        self.memory = PromptMemory()
        self.index = ProjectIndex()
        self.jobs = JobManager(on_step=self._job_step, on_log=self._job_log, on_done=self._job_done)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.prompted: set[Path] = set()
        self._job_tokens: dict[str, types.ProgressToken] = {}
        self._token_jobs: dict[types.ProgressToken, Job] = {}
        self._folders: dict[Path, str] = {}  # workspace folder path -> uri as the client sent it
        self._tasks: set[asyncio.Task] = set()
        self._publish_seq: dict[str, int] = {}
        self._job_pct: dict[str, int] = {}
        self.detected = asyncio.Event()  # set once every folder was detected at start-up

    # -- plumbing ----------------------------------------------------------------------

    def call_in_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the protocol's loop (safe from any thread)."""
        if self.loop is None:
            return
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # loop closed: the client has gone
            pass

    def spawn(self, coro) -> asyncio.Task:
        """Run ``coro`` as a background task whose failure is logged, never raised."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task) -> None:
            self._tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())
                self.show_log(f"kernelenv: internal error: {t.exception()}", types.MessageType.Error)

        task.add_done_callback(done)
        return task

    def show_log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        """``window/logMessage`` (loop thread only)."""
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    @property
    def caps(self) -> types.ClientCapabilities:
        return self.client_capabilities

    def _supports(self, *path: str) -> bool:
        node: Any = self.caps
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)

    @property
    def pull_diagnostics(self) -> bool:
        """Whether the client pulls diagnostics (then the server does not push them)."""
        return self._supports("text_document", "diagnostic")

    def workspace_folders(self) -> dict[Path, str]:
        """Workspace folders (path -> uri), including the root URI when no folders were sent."""
        out: dict[Path, str] = {}
        for uri, folder in self.workspace.folders.items():
            p = to_fs_path(folder.uri)
            if p:
                out[Path(p).resolve()] = folder.uri
        if not out and self.workspace.root_uri:
            p = to_fs_path(self.workspace.root_uri)
            if p:
                out[Path(p).resolve()] = self.workspace.root_uri
        return out

    def folder_uri(self, folder: Path) -> str:
        return self._folders.get(folder) or from_fs_path(str(folder)) or str(folder)

    # -- settings ----------------------------------------------------------------------

    async def pull_settings(self) -> None:
        """Ask the client for section ``kernelenv`` (when it supports workspace/configuration)."""
        if not self._supports("workspace", "configuration"):
            return
        try:
            res = await asyncio.wait_for(self.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="kernelenv")])), 10)
        except Exception as e:  # a client that fails here still gets defaults
            log.warning("workspace/configuration failed: %s", e)
            return
        if res:
            self.settings = self.settings.merged(res[0])
        self.index.backend = self.settings.backend

    # -- detection ---------------------------------------------------------------------

    async def detect_folder(self, folder: Path, uri: str) -> FolderState:
        """Detect one workspace folder in a thread, then notify, push diagnostics and prompt."""
        self._folders[folder] = uri
        t0 = time.perf_counter()
        state = await asyncio.to_thread(self.index.detect_folder, folder)
        self.notify_projects(state)
        log.info("detected %d project(s) in %s in %.0f ms", len(state.projects), folder,
                 (time.perf_counter() - t0) * 1000)
        self.spawn(self.refresh_documents(state))
        self.spawn(self.maybe_prompt(state))
        return state

    async def detect_all(self) -> None:
        """Detect every workspace folder (one after the other, each notified as soon as done)."""
        try:
            for folder, uri in self.workspace_folders().items():
                await self.detect_folder(folder, uri)
        finally:
            self.detected.set()

    def notify_projects(self, state: FolderState) -> None:
        """Send ``kernelenv/projects`` for one folder (loop thread)."""
        self.protocol.notify(PROJECTS_NOTIFICATION, state.to_notification(self.folder_uri(state.folder)))

    async def redetect(self, path: Path) -> None:
        """Re-detect only the project holding ``path``; notify and refresh its documents."""
        res = await asyncio.to_thread(self.index.redetect_for, path)
        if res is None:
            return
        state, project = res
        self.notify_projects(state)
        await self.refresh_documents(state)
        if project is not None:
            await self.maybe_prompt(state, only=project.root)

    async def refresh_documents(self, state: FolderState | None = None) -> None:
        """Refresh diagnostics (push or pull refresh) and code lenses after a change."""
        if self.pull_diagnostics:
            if self._supports("workspace", "diagnostics", "refresh_support"):
                self.workspace_diagnostic_refresh(None)
        else:
            await self.push_diagnostics(state)
        if self._supports("workspace", "code_lens", "refresh_support"):
            self.workspace_code_lens_refresh(None)

    async def push_diagnostics(self, state: FolderState | None = None) -> None:
        """Publish diagnostics for the env files of ``state``'s projects and every open env file."""
        paths: dict[Path, str | None] = {}
        projects = list(state.projects.values()) if state else self.index.all_projects()
        for p in projects:
            for f in p.files:
                if is_env_file(f.path):
                    paths[f.path] = None
        for uri, doc in list(self.workspace.text_documents.items()):
            fs = to_fs_path(uri)
            if fs and is_env_file(Path(fs)):
                paths[Path(fs)] = doc.source
        for path, text in paths.items():
            await self.publish_for(path, text)

    async def publish_for(self, path: Path, text: str | None) -> None:
        """Compute and push the diagnostics of one file."""
        project = self.index.project_of(path)
        uri = self._doc_uri(path)
        seq = self._publish_seq[uri] = self._publish_seq.get(uri, 0) + 1
        diags = await asyncio.to_thread(self._diagnose, path, text, project)
        if self._publish_seq.get(uri) != seq:
            return  # a newer edit is being checked; its result wins
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diags))

    def _doc_uri(self, path: Path) -> str:
        for uri in self.workspace.text_documents:
            if to_fs_path(uri) and Path(to_fs_path(uri)) == path:
                return uri
        return from_fs_path(str(path)) or str(path)

    def _diagnose(self, path: Path, text: str | None, project: Project | None) -> list[types.Diagnostic]:
        try:
            report = self.index.status_of(project) if project is not None else None
            return diagnostics_for(path, text, project, report,
                                   utf16=self.workspace.position_encoding != types.PositionEncodingKind.Utf8
                                   and self.workspace.position_encoding != types.PositionEncodingKind.Utf32)
        except Exception as e:  # never let a diagnostics bug kill the server
            log.exception("diagnostics failed for %s", path)
            return [types.Diagnostic(range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                                     message=f"kernelenv could not check this file: {e}",
                                     severity=types.DiagnosticSeverity.Warning, code="internal-error",
                                     source="kernelenv")]

    # -- prompt ------------------------------------------------------------------------

    async def maybe_prompt(self, state: FolderState, only: Path | None = None) -> None:
        """Ask once per project whose env is missing or stale (unless prompts are off or "Never")."""
        if not self.settings.prompt:
            return
        for root, project in sorted(state.projects.items()):
            if only is not None and root != only:
                continue
            report = state.statuses.get(root)
            if report is None or report.status not in (Status.MISSING, Status.STALE):
                continue
            if root in self.prompted or project.errors or self.memory.never(root):
                continue
            self.prompted.add(root)
            answer = await self._ask(project, report.status)
            if answer == ACTION_NEVER:
                await asyncio.to_thread(self.memory.set_never, root)
            elif answer == ACTION_CREATE:
                self.spawn(self.run_job_and_report("create", project))
            elif answer == ACTION_NOT_NOW:
                # "Not now" covers the rest of this folder for this session too.
                self.prompted.update(state.projects)
                return

    async def _ask(self, project: Project, status: Status) -> str | None:
        py = f", Python {python_label(project.python)} from {project.python.source.name}" if project.python else ""
        what = "has no environment yet" if status is Status.MISSING else "has an environment older than its files"
        msg = (f"kernelenv: {project.name} ({project.root}) {what} ({project.backend.value}{py}). "
               "Create it and register it as a Jupyter kernel?")
        if project.runs_build_backend:  # say it before asking: a cloned folder may hold anything
            msg += (f" Creating it runs code from this folder, not only package installs "
                    f"({project.runs_build_backend}) Create only if you trust this folder.")
        try:
            res = await self.window_show_message_request_async(types.ShowMessageRequestParams(
                type=types.MessageType.Warning if project.runs_build_backend else types.MessageType.Info,
                message=msg,
                actions=[types.MessageActionItem(t) for t in (ACTION_CREATE, ACTION_NOT_NOW, ACTION_NEVER)]))
        except Exception as e:
            log.warning("showMessageRequest failed: %s", e)
            return None
        return res.title if res else None

    # -- commands ----------------------------------------------------------------------

    async def execute_command(self, params: types.ExecuteCommandParams) -> Any:
        """Dispatch ``workspace/executeCommand`` (see the module docstring for shapes)."""
        args = list(params.arguments or [])
        cmd = params.command
        if cmd == "kernelenv.projects":
            try:  # answer with the detected projects, not an empty list, right after start-up
                await asyncio.wait_for(self.detected.wait(), 120)
            except asyncio.TimeoutError:
                pass
            return [s.to_notification(self.folder_uri(s.folder)) for s in self.index.snapshot()]
        if cmd == "kernelenv.kernelForNotebook":
            nb = _arg(args, "notebook")
            path = _to_path(nb)
            state = self.index.folder_of(path)
            return await asyncio.to_thread(_engine_call, api.kernel_for_notebook, path,
                                           workspace=state.folder if state else None)
        project = await self.resolve_project(_arg(args, "project"))
        if cmd == "kernelenv.status":
            report = await asyncio.to_thread(self.index.refresh_status, project)
            state = self.index.folder_of(project.root)
            return project_entry(project, report, state.folder if state else project.root)
        if cmd == "kernelenv.history":
            return await asyncio.to_thread(_engine_call, api.history, project)
        if cmd == "kernelenv.rollback":
            return await self.rollback(project, args)
        action = JOB_COMMANDS[cmd]
        return await self.run_job(action, project, params.work_done_token, **_create_options(action, args))

    async def rollback(self, project: Project, args: list[Any]) -> dict:
        """``kernelenv.rollback [{"project", "build"?}]``: make an earlier build live (no job: it
        takes well under a second); refused while a job runs on the project."""
        a = args[0] if args and isinstance(args[0], dict) else {}
        build = a.get("build")
        if build is not None and not isinstance(build, str):
            raise JsonRpcInvalidParams("kernelenv.rollback: 'build' must be a build id string")
        if self.jobs.running_for(project) is not None:
            raise EngineRequestError(f"{project.root} is busy: a job is running on it; try again when it has "
                                     "finished.", data={"code": "project-busy"})
        result = await asyncio.to_thread(_engine_call, api.rollback, project, build)
        self.show_log(f"[{project.name}] rolled back to {result['build']}", types.MessageType.Info)
        await self.redetect(project.root)
        return result

    async def resolve_project(self, ref: str) -> Project:
        """The project a command names (its root, a file or folder in it, or a file URI).

        Raises:
            JsonRpcInvalidParams: no project there.
        """
        path = _to_path(ref)
        known = self.index.project_of(path)
        if known is not None:
            return known
        state = self.index.folder_of(path)
        try:
            found = await asyncio.to_thread(api.find_project, path, workspace=state.folder if state else None,
                                            backend=self.settings.backend)
        except Exception as e:
            raise JsonRpcInvalidParams(f"Cannot read the project at {path}: {e}") from None
        if found is None:
            raise JsonRpcInvalidParams(f"No kernelenv project at {path}: no environment files found there.")
        return found

    async def run_job(self, action: str, project: Project, token: types.ProgressToken | None,
                      **options: Any) -> dict:
        """Run one job with work-done progress; returns ``Job.to_dict()`` or raises the engine error.

        Args:
            options: keyword arguments of the api function (``python``, ``strip_builds`` for create).

        Raises:
            EngineRequestError: the job failed or was refused (project busy); message and data
                are the engine's.
        """
        if token is None and self._supports("window", "work_done_progress"):
            token = f"kernelenv-{action}-{uuid.uuid4().hex[:12]}"
            try:
                await self.work_done_progress.create_async(token)
            except Exception as e:
                log.warning("window/workDoneProgress/create failed: %s", e)
                token = None
        try:
            job = self.jobs.start(action, project, **options)
        except KernelenvError as e:
            if token is not None:
                self._progress_end(token, f"{action} refused: {e}")
            raise EngineRequestError(str(e), data=e.to_dict()) from None
        if token is not None:
            self._job_tokens[job.id] = token
            self._token_jobs[token] = job
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
                title=f"kernelenv {action}: {project.name}", cancellable=True, percentage=0,
                message=f"Starting {action}"))
        self.show_log(f"[{project.name}] {action} started (job {job.id})", types.MessageType.Info)
        self.spawn(self._notify_project(project))
        await asyncio.to_thread(job.done.wait)
        if token is not None:
            self._token_jobs.pop(token, None)
            self._job_tokens.pop(job.id, None)
            self._job_pct.pop(job.id, None)
            end = {"succeeded": f"{action} finished", "cancelled": f"{action} cancelled; the previous env is unchanged"}
            self._progress_end(token, end.get(job.state, f"{action} failed: {(job.error or {}).get('message', '')}"))
        await self.redetect(project.root)
        if job.state == "succeeded":
            self.show_log(f"[{project.name}] {action} succeeded", types.MessageType.Info)
            return job.to_dict()
        err = job.error or {"code": "internal-error", "message": f"{action} failed"}
        self.show_log(f"[{project.name}] {action} {job.state}: {err.get('message')}", types.MessageType.Error)
        code = REQUEST_CANCELLED if job.state == "cancelled" else REQUEST_FAILED
        raise EngineRequestError(err.get("message", f"{action} failed"), code=code,
                                 data={**err, "job": job.to_dict(log_lines=20)})

    async def run_job_and_report(self, action: str, project: Project) -> None:
        """Run a job nobody awaits (the prompt's "Create environment"); show a failure with window/showMessage."""
        try:
            await self.run_job(action, project, None)
        except EngineRequestError as e:
            kind = types.MessageType.Info if e.code == REQUEST_CANCELLED else types.MessageType.Error
            self.window_show_message(types.ShowMessageParams(
                type=kind, message=f"kernelenv {action} of {project.name}: {e.message}"))

    async def _notify_project(self, project: Project) -> None:
        await asyncio.to_thread(self.index.refresh_status, project)
        state = self.index.folder_of(project.root)
        if state is not None:
            self.notify_projects(state)
            await self.refresh_documents(state)

    async def watch_builds(self, interval: float = BUILD_POLL_SECONDS) -> None:
        """Keep ``building`` current for builds started anywhere: every ``interval`` seconds,
        probe each known project's lock in a thread (:func:`kernelenv.locking.announced`, a
        stat, then :func:`~kernelenv.locking.is_locked` only when it says yes); when a project
        starts or stops building, refresh its status, send ``kernelenv/projects`` and refresh
        diagnostics and lenses."""
        while True:
            await asyncio.sleep(interval)
            for state in await asyncio.to_thread(self._building_changed):
                self.notify_projects(state)
                await self.refresh_documents(state)

    def _building_changed(self) -> list[FolderState]:
        """The folder states with a project whose building state differs from its cached status
        (their statuses refreshed). Worker thread."""
        from kernelenv.locking import announced, is_locked

        changed: list[FolderState] = []
        for state in self.index.snapshot():
            hit = False
            for root, project in list(state.projects.items()):
                cached = state.statuses.get(root)
                was = cached is not None and cached.status is Status.BUILDING
                try:  # is_locked takes the lock for a moment: only when an operation announced itself
                    now = announced(root) and is_locked(root)
                except OSError:
                    continue
                if now != was:
                    self.index.refresh_status(project)
                    hit = True
            if hit:
                changed.append(state)
        return changed

    def _progress_end(self, token: types.ProgressToken, message: str) -> None:
        self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    # JobManager callbacks: worker threads.
    def _job_step(self, job: Job, step: str, fraction: float | None, message: str) -> None:
        token = self._job_tokens.get(job.id)
        if token is None:
            return
        pct = None if fraction is None else max(0, min(100, int(fraction * 100)))
        if step == "done":
            pct = None  # a phase's end (rebuild = lock + build); the job's end is $/progress end
        if pct is not None:
            # LSP progress only moves forward (a rebuild locks, 0->100, then builds, 0->100).
            pct = self._job_pct[job.id] = max(pct, self._job_pct.get(job.id, 0))
        value = types.WorkDoneProgressReport(message=f"{step}: {message}" if message else step,
                                             percentage=pct, cancellable=True)
        self.call_in_loop(self.work_done_progress.report, token, value)

    def _job_log(self, job: Job, line: str) -> None:
        self.call_in_loop(self.show_log, f"[{job.project.name}] {line}")

    def _job_done(self, job: Job) -> None:
        pass  # run_job waits on job.done

    def cancel_progress(self, token: types.ProgressToken) -> None:
        """``window/workDoneProgress/cancel``: cancel the job behind ``token``."""
        job = self._token_jobs.get(token)
        if job is not None:
            job.cancel()
            self.show_log(f"[{job.project.name}] cancelling {job.action}", types.MessageType.Info)


def python_label(request) -> str:  # noqa: ANN001 - a kernelenv.model.PythonRequest
    """The Python version a request names, without the file's own ``python`` prefix:
    ``python-3.10`` (runtime.txt) and ``python=3.10`` (environment.yml) -> ``3.10``; the
    specifier when the text names no version."""
    raw = (request.raw or "").strip()
    if raw.lower().startswith("python"):
        raw = raw[len("python"):].lstrip(" -=@:")
    return raw or request.specifier


def _engine_call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except KernelenvError as e:
        raise EngineRequestError(str(e), data=e.to_dict()) from None


def _create_options(action: str, args: list[Any]) -> dict[str, Any]:
    """Optional create settings in the argument object: ``python`` (a version or interpreter
    path), ``stripBuilds`` (conda: drop build strings and Windows-only packages) and
    ``force`` (build even when the env is ready and unchanged)."""
    a = args[0] if args and isinstance(args[0], dict) else {}
    opts: dict[str, Any] = {}
    if action in ("add", "remove"):
        return _package_options(action, a)
    if action != "create":
        return opts
    if isinstance(a.get("python"), str) and a["python"]:
        opts["python"] = a["python"]
    if isinstance(a.get("stripBuilds"), bool):
        opts["strip_builds"] = a["stripBuilds"]
    if isinstance(a.get("force"), bool):
        opts["force"] = a["force"]  # rebuild a ready, unchanged env
    return opts


def _arg(args: list[Any], key: str) -> str:
    """The ``key`` of the first argument (``{"project": ...}``) or the argument itself when a string."""
    if not args:
        raise JsonRpcInvalidParams(f"Missing argument: expected [{{{key!r}: ...}}]")
    a = args[0]
    if isinstance(a, str):
        return a
    if isinstance(a, dict) and isinstance(a.get(key), str):
        return a[key]
    raise JsonRpcInvalidParams(f"Bad argument {a!r}: expected [{{{key!r}: path or file URI}}]")


def _to_path(ref: str) -> Path:
    if ref.startswith("file:"):
        fs = to_fs_path(ref)
        if not fs:
            raise JsonRpcInvalidParams(f"Not a file URI: {ref}")
        return Path(fs).resolve()
    return Path(ref).expanduser().resolve()


def make_server() -> KernelenvServer:
    """Build the server with every feature registered."""
    from . import features

    server = KernelenvServer()
    features.register(server)
    return server


def _package_options(action: str, a: dict[str, Any]) -> dict[str, Any]:
    """``packages`` (required: requirements for add, names for remove), ``pip`` and ``group``.

    Raises:
        JsonRpcInvalidParams: ``packages`` missing or not a list of non-empty strings.
    """
    pkgs = a.get("packages")
    if not isinstance(pkgs, list) or not pkgs or len(pkgs) > 100 or not all(
            isinstance(p, str) and p.strip() and len(p) <= 500 for p in pkgs):
        raise JsonRpcInvalidParams(f"kernelenv.{action} needs 'packages': a list of 1 to 100 non-empty strings.")
    opts: dict[str, Any] = {"packages": [p.strip() for p in pkgs]}
    if isinstance(a.get("pip"), bool):
        opts["pip"] = a["pip"]
    if isinstance(a.get("group"), str) and a["group"]:
        opts["group"] = a["group"]
    return opts
