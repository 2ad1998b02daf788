"""The LSP features the server registers (handlers are thin: the work is in :mod:`.server`)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from . import warmup
from .diagnostics import is_env_file
from .server import ALL_COMMANDS, WATCH_GLOBS, KernelenvServer

log = logging.getLogger(__name__)


def _path(uri: str) -> Path | None:
    fs = to_fs_path(uri)
    return Path(fs).resolve() if fs else None


def register(ls: KernelenvServer) -> None:
    """Register every feature and command on ``ls``."""

    @ls.feature(types.INITIALIZE)
    def initialize(ls: KernelenvServer, params: types.InitializeParams) -> None:
        ls.settings = ls.settings.merged(params.initialization_options)
        ls.index.backend = ls.settings.backend
        # Detection's imports, then rattler's (kernelenv_lsp.warmup; started by __main__ already).
        warmup.start()

    @ls.feature(types.INITIALIZED)
    async def initialized(ls: KernelenvServer, params: types.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()

        async def startup() -> None:
            t0 = time.perf_counter()
            await ls.pull_settings()
            log.info("settings %s in %.0f ms", ls.settings, (time.perf_counter() - t0) * 1000)
            if ls._supports("workspace", "did_change_watched_files", "dynamic_registration"):
                ls.spawn(_watch(ls))
            await ls.detect_all()
            ls.spawn(ls.watch_builds())

        ls.spawn(startup())  # never block the handshake

    @ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: KernelenvServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for f in params.event.removed or []:
            p = _path(f.uri)
            if p is not None:
                ls.index.remove_folder(p)
                ls.protocol.notify("kernelenv/projects", {"workspaceFolder": f.uri, "projects": []})
        for f in params.event.added or []:
            p = _path(f.uri)
            if p is not None:
                ls.spawn(ls.detect_folder(p, f.uri))

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def config_changed(ls: KernelenvServer, params: types.DidChangeConfigurationParams) -> None:
        before = ls.settings.backend
        ls.settings = ls.settings.merged(params.settings)
        await ls.pull_settings()
        ls.index.backend = ls.settings.backend
        if ls.settings.backend != before:
            ls.spawn(ls.detect_all())

    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched(ls: KernelenvServer, params: types.DidChangeWatchedFilesParams) -> None:
        seen: set[Path] = set()
        for ch in params.changes:
            p = _path(ch.uri)
            if p is None:
                continue
            if p.name == "state.json" and p.parent.name == ".kernelenv":
                p = p.parent.parent  # an env was built or removed elsewhere (CLI, JupyterLab)
            elif ".kernelenv" in p.parts[:-1]:  # a package installed/removed in an env by hand
                p = Path(*p.parts[:p.parts.index(".kernelenv")])
            project = ls.index.project_of(p)
            key = project.root if project else p.parent
            if key in seen:
                continue
            seen.add(key)
            ls.spawn(ls.redetect(p))

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: KernelenvServer, params: types.DidOpenTextDocumentParams) -> None:
        _push_one(ls, params.text_document.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: KernelenvServer, params: types.DidChangeTextDocumentParams) -> None:
        _push_one(ls, params.text_document.uri)

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: KernelenvServer, params: types.DidSaveTextDocumentParams) -> None:
        p = _path(params.text_document.uri)
        if p is not None and is_env_file(p):
            ls.spawn(ls.redetect(p))

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: KernelenvServer, params: types.DidCloseTextDocumentParams) -> None:
        # Unsaved edits are gone: the file on disk is what counts again.
        p = _path(params.text_document.uri)
        if p is not None and is_env_file(p) and not ls.pull_diagnostics:
            ls.spawn(ls.publish_for(p, None))

    @ls.feature(types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(identifier="kernelenv", inter_file_dependencies=True,
                                        workspace_diagnostics=False))
    async def pull(ls: KernelenvServer, params: types.DocumentDiagnosticParams):
        p = _path(params.text_document.uri)
        items: list[types.Diagnostic] = []
        if p is not None and is_env_file(p):
            doc = ls.workspace.text_documents.get(params.text_document.uri)
            items = await asyncio.to_thread(ls._diagnose, p, doc.source if doc else None,
                                            ls.index.project_of(p))
        return types.RelatedFullDocumentDiagnosticReport(items=items)

    @ls.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    async def lenses(ls: KernelenvServer, params: types.CodeLensParams):
        p = _path(params.text_document.uri)
        if p is None or not is_env_file(p):
            return []
        project = ls.index.project_of(p)
        if project is None:
            return []
        report = await asyncio.to_thread(ls.index.status_of, project)
        return code_lenses_safe(project, report)

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: KernelenvServer, params: types.HoverParams):
        p = _path(params.text_document.uri)
        if p is None or not is_env_file(p):
            return None
        project = ls.index.project_of(p)
        if project is None:
            return None
        doc = ls.workspace.text_documents.get(params.text_document.uri)
        from .lenses import hover_for

        try:
            return await asyncio.to_thread(hover_for, project, p, params.position.line,
                                           doc.source if doc else None)
        except Exception:
            return None

    @ls.feature(types.EXIT)
    def on_exit(ls: KernelenvServer, params: None) -> None:
        # pygls then closes the transport and raises SystemExit; asyncio's shutdown would
        # wait for every worker thread (a long detection, a build). Exit regardless after
        # a grace period: jobs' tools die with the process (PR_SET_PDEATHSIG).
        code = 0 if getattr(ls.protocol, "_shutdown", False) else 1
        threading.Thread(target=_exit_after, args=(code, EXIT_GRACE), name="kernelenv-exit",
                         daemon=True).start()

    @ls.feature(types.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def cancel(ls: KernelenvServer, params: types.WorkDoneProgressCancelParams) -> None:
        ls.cancel_progress(params.token)

    for name in ALL_COMMANDS:
        # Registered for the capability list; KernelenvProtocol dispatches to ls.execute_command.
        ls.command(name)(lambda *a, **k: None)


#: Seconds between the client's ``exit`` and a forced exit when worker threads still run.
EXIT_GRACE = 3.0


def _exit_after(code: int, delay: float) -> None:
    time.sleep(delay)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the client may have closed the pipe
            pass
    os._exit(code)


def code_lenses_safe(project, report):
    from .lenses import code_lenses

    try:
        return code_lenses(project, report)
    except Exception:
        return []


def _push_one(ls: KernelenvServer, uri: str) -> None:
    if ls.pull_diagnostics:
        return
    p = _path(uri)
    if p is None or not is_env_file(p):
        return
    doc = ls.workspace.text_documents.get(uri)
    ls.spawn(ls.publish_for(p, doc.source if doc else None))


async def _watch(ls: KernelenvServer) -> None:
    watchers = [types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]
    try:
        await ls.client_register_capability_async(types.RegistrationParams(registrations=[
            types.Registration(id="kernelenv-watch", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                               register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                   watchers=watchers))]))
    except Exception:
        pass
