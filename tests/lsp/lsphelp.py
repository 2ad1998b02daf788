"""Helpers for the language server tests: the real server as a subprocess, a real pytest-lsp client.

The client records what an editor would show: ``kernelenv/projects`` notifications,
``window/showMessageRequest`` prompts (answered with ``client.prompt_answer``),
progress, log messages and pushed diagnostics (pytest-lsp's defaults).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: F401 - re-exported for the suites
from pytest_lsp.client import make_test_lsp_client


SERVER = [sys.executable, "-m", "kernelenv_lsp"]

#: A modest client: workDoneProgress, configuration, codeLens, hover; push diagnostics only.
BASIC_CAPS = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
    text_document=types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities(),
        code_lens=types.CodeLensClientCapabilities(),
        hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
    ),
)


def plain(obj: Any) -> Any:
    """pygls hands untyped JSON to the client as namedtuples: turn them back into dicts/lists."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    return obj


async def command(client: LanguageClient, name: str, *args: Any, token: str | None = None) -> Any:
    """``workspace/executeCommand`` and the result as plain JSON (raises the server's error)."""
    res = await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=name, arguments=list(args) or None, work_done_token=token))
    return plain(res)


def make_client() -> LanguageClient:
    """pytest-lsp's test client plus handlers for kernelenv's notification and prompts."""
    client = make_test_lsp_client()
    client.kernelenv_projects = []  # type: ignore[attr-defined]
    client.prompts = []  # type: ignore[attr-defined]
    client.prompt_answer = None  # type: ignore[attr-defined]

    @client.feature("kernelenv/projects")
    def on_projects(client: LanguageClient, params: Any) -> None:
        client.kernelenv_projects.append(plain(params))  # type: ignore[attr-defined]

    @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
    def on_prompt(client: LanguageClient, params: types.ShowMessageRequestParams):
        client.prompts.append(params)  # type: ignore[attr-defined]
        answer = client.prompt_answer  # type: ignore[attr-defined]
        return types.MessageActionItem(title=answer) if answer else None

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(client: LanguageClient, params: types.RegistrationParams) -> None:
        client.registrations = [*getattr(client, "registrations", []), *params.registrations]  # type: ignore

    return client


async def wait_until(pred: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll ``pred`` every 50 ms until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def uri(path: Path) -> str:
    return from_fs_path(str(path))


@asynccontextmanager
async def lsp(workspace: Path, *, caps: types.ClientCapabilities | None = None,
              init_options: Any = None, configuration: dict | None = None,
              env: dict[str, str] | None = None, answer: str | None = None,
              folders: list[Path] | None = None) -> AsyncIterator[LanguageClient]:
    """Start ``kernelenv-lsp`` (``python -m kernelenv_lsp``) on ``workspace`` and initialize it."""
    config = ClientServerConfig(server_command=SERVER, client_factory=make_client,
                                server_env={**os.environ, **(env or {})})
    client = await config.start()
    client.prompt_answer = answer  # type: ignore[attr-defined]
    if configuration is not None:
        client.set_configuration(configuration)
    folders = folders or [workspace]
    await client.initialize_session(types.InitializeParams(
        capabilities=caps or BASIC_CAPS,
        root_uri=uri(workspace),
        workspace_folders=[types.WorkspaceFolder(uri=uri(f), name=f.name) for f in folders],
        initialization_options=init_options,
    ))
    try:
        yield client
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), 20)
        finally:
            await client.stop()


async def projects_of(client: LanguageClient, folder: Path, timeout: float = 60) -> dict:
    """The latest ``kernelenv/projects`` params for ``folder`` (waits for the first one)."""
    u = uri(folder)
    return await wait_until(
        lambda: next((p for p in reversed(client.kernelenv_projects) if p["workspaceFolder"] == u), None),
        timeout, f"kernelenv/projects for {folder}")


