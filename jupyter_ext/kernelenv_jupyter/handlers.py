"""The REST API under ``<base_url>/kernelenv/api/`` (contract: docs/rest-api.openapi.yaml).

Every handler is a jupyter_server ``APIHandler`` (JSON errors, XSRF checks on POST and
DELETE as the server enforces them) with ``@tornado.web.authenticated`` and
``@authorized`` on the ``kernelenv`` resource. Paths are relative to root_dir and confined
to it (:mod:`kernelenv_jupyter.paths`). Detection and status run in the default executor and
operations in :class:`kernelenv.jobs.JobManager` threads, so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from kernelenv import api
from kernelenv.errors import KernelenvError, ProjectBusyError
from kernelenv.jobs import ACTIONS, Job
from kernelenv.locking import is_locked
from kernelenv.model import Project, Status

from .extension import AUTH_RESOURCE, ExtensionState
from .paths import PathError, relative, resolve_in_root

#: the body fields each action accepts (and their types)
ACTION_OPTIONS: dict[str, dict[str, type]] = {
    "create": {"python": str, "strip_builds": bool, "confirm_build_backend": bool, "force": bool},
    "rebuild": {"confirm_build_backend": bool},
    "lock": {"confirm_build_backend": bool},
    "purge": {},
    "add": {"packages": list, "pip": bool, "group": str, "confirm_build_backend": bool},
    "remove": {"packages": list, "pip": bool, "group": str, "confirm_build_backend": bool},
    "record": {"confirm_build_backend": bool},
}
#: every body field any action accepts
_FIELDS = sorted({k for opts in ACTION_OPTIONS.values() for k in opts})
_MAX_PACKAGES = 100

#: The body field that confirms running a project's build backend (see :func:`needs_confirmation`).
CONFIRM_FIELD = "confirm_build_backend"


class ApiError(Exception):
    """An error answered as ``{"message": ..., **extra}`` with ``status``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.extra = status, message, extra


class KernelenvHandler(APIHandler):
    """Base: shared state, JSON replies and error mapping."""

    auth_resource = AUTH_RESOURCE

    @property
    def state(self) -> ExtensionState:
        return self.settings["kernelenv"]

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    def fail(self, err: ApiError) -> None:
        self.reply({"message": err.message, **err.extra}, err.status)

    async def blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` in the default executor (off the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    def resolve(self, rel: str | None, kind: str = "dir") -> Path:
        try:
            return resolve_in_root(self.state.root, rel, kind=kind)
        except PathError as e:
            raise ApiError(e.status, e.message) from None

    def job_model(self, job: Job) -> dict[str, Any]:
        return job.to_dict(log_lines=self.state.settings.log_lines)

    async def guarded(self, coro_fn: Callable[[], Any]) -> None:
        try:
            await coro_fn()
        except ApiError as e:
            self.fail(e)
        except FileNotFoundError as e:
            self.fail(ApiError(404, str(e)))
        except KernelenvError as e:
            self.fail(ApiError(500, e.message, error=e.to_dict()))

    async def reply_for_project(self, path: str | None, answer: Callable[[Project], Any]) -> None:
        """Reply ``answer(project)`` (run in a worker thread) for the project rooted at ``path``
        (relative to root_dir), or 404 when that folder is no project."""
        async def run() -> None:
            folder = self.resolve(path)
            state = self.state

            def work() -> tuple[bool, Any]:
                project = exact_project(folder, state)
                return (False, None) if project is None else (True, answer(project))

            found, result = await self.blocking(work)
            if not found:
                raise ApiError(404, f"{path or '.'!r} is not a project folder (no environment files there).")
            self.reply(result)

        await self.guarded(run)


def project_model(state: ExtensionState, project: Project) -> dict[str, Any]:
    """``Project.to_dict(relative_to=root_dir)`` plus ``status`` and ``job`` (blocking: hashes files)."""
    d = project.to_dict(relative_to=state.root)
    status = api.status(project).to_dict()
    job = state.jobs.running_for(project)
    if job is not None:
        status["status"] = Status.BUILDING.value
        status["reason"] = f"A {job.action} job is running on this project ({job.id})."
    d["status"] = status
    d["job"] = job.id if job else None
    return d


class ProjectsHandler(KernelenvHandler):
    """``GET projects?path=DIR``: the projects under DIR with their status."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        async def run() -> None:
            rel = self.get_query_argument("path", "")
            folder = self.resolve(rel)
            state = self.state

            def work() -> list[dict[str, Any]]:
                projects = api.detect(folder, backend=state.settings.backend)
                state.note_projects(projects, folder)
                return [project_model(state, p) for p in projects]

            models = await self.blocking(work)
            self.reply({"root": "" if folder == state.root else relative(folder, state.root),
                        "projects": models})

        await self.guarded(run)


def parse_options(action: str, raw: bytes) -> dict[str, Any]:
    """Validate a POST body (``{}``, empty, or an object of the action's options).

    Raises:
        ApiError: 400 naming the bad field.
    """
    if action not in ACTION_OPTIONS:
        raise ApiError(400, f"Unknown action {action!r}; expected one of: {', '.join(ACTIONS)}.")
    if not raw or not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as e:
        raise ApiError(400, f"The request body is not valid JSON: {e}.") from None
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    allowed = ACTION_OPTIONS[action]
    options: dict[str, Any] = {}
    for key, value in body.items():
        if key not in _FIELDS:
            raise ApiError(400, f"Unknown field {key!r}; allowed: {', '.join(_FIELDS)}.")
        if value is None:
            continue
        if key not in allowed:
            raise ApiError(400, f"{action} does not take {key!r}.")
        if not isinstance(value, allowed[key]):
            raise ApiError(400, f"{key!r} must be a {allowed[key].__name__}, not {type(value).__name__}.")
        if key == "python" and not value.strip():
            raise ApiError(400, "'python' must not be empty.")
        if key == "packages" and (len(value) > _MAX_PACKAGES or not all(
                isinstance(v, str) and v.strip() and len(v) <= 500 for v in value)):
            raise ApiError(400, f"'packages' must be a list of at most {_MAX_PACKAGES} non-empty strings "
                                "(requirements or names, at most 500 characters each).")
        options[key] = value
    if "packages" in ACTION_OPTIONS[action] and not options.get("packages"):
        raise ApiError(400, f"{action} needs 'packages': a non-empty list of "
                            + ("requirements." if action == "add" else "package names."))
    return options


def checked_python(value: str) -> str:
    """``python`` from a request body: a version/specifier or an interpreter kernelenv
    discovered (``kernelenv pythons``), never an arbitrary executable (blocking: discovery
    probes interpreters).

    Raises:
        ApiError: 400 saying what is accepted.
    """
    from kernelenv.interpreters import check_request

    try:
        return check_request(value)
    except ValueError as e:
        raise ApiError(400, str(e)) from None


def needs_confirmation(action: str, project: Project, options: dict[str, Any]) -> None:
    """Refuse an action that will run the project's build backend unless the client confirmed it.

    The server cannot know whether the user trusts a folder (a repository just cloned), so
    ``create``, ``lock``, ``rebuild``, ``add``, ``remove`` and ``record`` (which lock and build)
    of a project whose
    :attr:`~kernelenv.model.Project.runs_build_backend` is set need
    ``"confirm_build_backend": true`` in the body (the Lab sidebar asks the user first).

    Raises:
        ApiError: 409 with ``code: "confirm-build-backend"`` and the reason.
    """
    confirmed = options.pop(CONFIRM_FIELD, False)
    if action in ("create", "lock", "rebuild", "add", "remove", "record") and project.runs_build_backend \
            and not confirmed:
        raise ApiError(409, f"{action} of {project.name} will run code from the project or a package's "
                            f"source: {project.runs_build_backend} Send \"{CONFIRM_FIELD}\": true to go "
                            "ahead once you trust this folder.",
                       code="confirm-build-backend", runs_build_backend=project.runs_build_backend)


def exact_project(folder: Path, state: ExtensionState) -> Project | None:
    """The project whose root is ``folder`` (blocking), else ``None``."""
    project = api.find_project(folder, workspace=state.root, backend=state.settings.backend)
    if project is None or project.root.resolve() != folder.resolve():
        return None
    return project


class ActionHandler(KernelenvHandler):
    """``POST projects/{path}/{action}``: start create | lock | rebuild | purge | add | remove |
    record as a job (add/remove take ``{"packages": [...], "pip"?, "group"?}``)."""

    @web.authenticated
    @authorized
    async def post(self, path: str | None, action: str) -> None:
        async def run() -> None:
            options = parse_options(action, self.request.body)
            if "python" in options:
                options["python"] = await self.blocking(checked_python, options["python"])
            folder = self.resolve(path)
            state = self.state
            project = await self.blocking(exact_project, folder, state)
            if project is None:
                raise ApiError(404, f"{path or '.'!r} is not a project folder (no environment files there).")
            needs_confirmation(action, project, options)
            running = state.jobs.running_for(project)
            if running is None and await self.blocking(is_locked, project.root):
                raise ApiError(409, f"Another kernelenv process is running an operation on {path!r}; "
                                    "try again when it has finished.", job=None)
            try:
                job = state.jobs.start(action, project, **options)
            except ProjectBusyError as e:
                raise ApiError(409, e.message, job=getattr(e, "job_id", None)) from None
            self.set_header("Location", url_path_join(self.base_url, "kernelenv/api/jobs", job.id))
            self.reply(self.job_model(job), 202)

        await self.guarded(run)


class PackagesHandler(KernelenvHandler):
    """``GET projects/{path}/packages``: the env's packages ``[{"name", "version", "how"}]``
    (``how``: ``lock`` / ``spec`` for what the last build installed, ``hand`` for hand
    installs) and the project's status (with its ``drift``)."""

    @web.authenticated
    @authorized
    async def get(self, path: str | None) -> None:
        await self.reply_for_project(path, lambda project: {
            "packages": api.installed_packages(project), "status": api.status(project).to_dict()})


class HistoryHandler(KernelenvHandler):
    """``GET projects/{path}/history``: the builds kept (:func:`kernelenv.api.history`)."""

    @web.authenticated
    @authorized
    async def get(self, path: str | None) -> None:
        await self.reply_for_project(path, api.history)


class RollbackHandler(KernelenvHandler):
    """``POST projects/{path}/rollback`` ``{"build"?: id}``: make an earlier build live again
    (:func:`kernelenv.api.rollback`; no job, well under a second). 409 while an operation runs,
    400 for an unknown, deleted or corrupt build (the live env untouched)."""

    @web.authenticated
    @authorized
    async def post(self, path: str | None) -> None:
        async def run() -> None:
            try:
                body = json.loads(self.request.body or b"{}")
            except ValueError:
                raise ApiError(400, "The body is not JSON.") from None
            if not isinstance(body, dict) or set(body) - {"build"} or \
                    not isinstance(body.get("build"), (str, type(None))):
                raise ApiError(400, 'Expected {"build": "<build id>"} or {}.')
            folder = self.resolve(path)
            state = self.state
            project = await self.blocking(exact_project, folder, state)
            if project is None:
                raise ApiError(404, f"{path or '.'!r} is not a project folder (no environment files there).")
            if state.jobs.running_for(project) is not None:
                raise ApiError(409, f"A job is running on {path or '.'!r}; try again when it has finished.")
            from kernelenv.history import HistoryError

            try:
                result = await self.blocking(api.rollback, project, body.get("build"))
            except ProjectBusyError as e:
                raise ApiError(409, e.message) from None
            except HistoryError as e:
                raise ApiError(400, e.message, error=e.to_dict()) from None
            self.reply(result)

        await self.guarded(run)


class JobHandler(KernelenvHandler):
    """``GET jobs/{id}``: the job; ``DELETE jobs/{id}``: cancel it."""

    def _job(self, job_id: str) -> Job:
        job = self.state.jobs.get(job_id)
        if job is None:
            raise ApiError(404, f"No job {job_id!r} (unknown, or finished long ago).")
        return job

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        async def run() -> None:
            self.reply(self.job_model(self._job(job_id)))

        await self.guarded(run)

    @web.authenticated
    @authorized
    async def delete(self, job_id: str) -> None:
        async def run() -> None:
            job = self._job(job_id)
            job.cancel()
            self.reply(self.job_model(job), 202)

        await self.guarded(run)


class ResolveHandler(KernelenvHandler):
    """``GET resolve?notebook=PATH``: the kernel a notebook should use."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        async def run() -> None:
            rel = self.get_query_argument("notebook", None)
            if not rel:
                raise ApiError(400, "Missing query parameter 'notebook'.")
            notebook = self.resolve(rel, kind="file")
            state = self.state

            def work() -> dict[str, Any]:
                result = api.kernel_for_notebook(notebook, workspace=state.root)
                proj = result.get("project")
                if proj:
                    proj["path"] = relative(Path(proj["root"]), state.root)
                    # running_for matches on ``.root`` only
                    job = state.jobs.running_for(SimpleNamespace(root=Path(proj["root"])))  # type: ignore[arg-type]
                    result["job"] = job.id if job else None
                    if job and result.get("status"):
                        result["status"]["status"] = Status.BUILDING.value
                        result["status"]["reason"] = f"A {job.action} job is running on this project ({job.id})."
                else:
                    result["job"] = None
                result["notebook"] = relative(notebook, state.root)
                return result

            self.reply(await self.blocking(work))

        await self.guarded(run)


def handlers(base_url: str) -> list[tuple[str, type]]:
    """The URL patterns (tornado) of the REST API under ``base_url``."""
    api_base = url_path_join(base_url, "kernelenv", "api")
    return [
        (url_path_join(api_base, "projects") + "/?", ProjectsHandler),
        (url_path_join(api_base, "projects") + r"(?:/(?P<path>.+))?/packages", PackagesHandler),
        (url_path_join(api_base, "projects") + r"(?:/(?P<path>.+))?/history", HistoryHandler),
        (url_path_join(api_base, "projects") + r"(?:/(?P<path>.+))?/rollback", RollbackHandler),
        # "projects/create" (no path: browsers drop a "./" segment) acts on the root
        (url_path_join(api_base, "projects") + r"(?:/(?P<path>.+))?/(?P<action>[^/]+)", ActionHandler),
        (url_path_join(api_base, "jobs", r"(?P<job_id>[^/]+)"), JobHandler),
        (url_path_join(api_base, "resolve"), ResolveHandler),
    ]
