"""A build started outside the language server (the CLI, JupyterLab, another editor) shows as
``building`` in the ``kernelenv/projects`` notification and the code lens while it runs, and the
status comes back when it ends. The build is stood in for by its project lock, taken with
:func:`kernelenv.locking.project_lock` from this (separate) process exactly as ``kernelenv
create`` takes it; the server sees only that lock, so nothing else about a build matters here.
"""

from __future__ import annotations

from lsprotocol import types

from kernelenv.locking import project_lock

from .lsphelp import lsp, projects_of, uri, wait_until
from .test_diagnostics import PULL_CAPS, REQ, open_doc


def _status(client, ws) -> str | None:
    notes = [n for n in client.kernelenv_projects if n["workspaceFolder"] == uri(ws) and n["projects"]]
    return notes[-1]["projects"][0]["status"]["status"] if notes else None


async def _lens_titles(client, path) -> list[str]:
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(
        text_document=types.TextDocumentIdentifier(uri=uri(path))))
    return [lens.command.title for lens in lenses]


async def test_lock_held_by_another_process_shows_building_then_clears(workspace):
    ws = workspace(REQ)
    req = ws / REQ / "requirements.txt"
    async with lsp(ws, caps=PULL_CAPS, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        open_doc(client, req)
        assert await _lens_titles(client, req) == ["env missing", "Create", "Lock"]
        with project_lock(ws / REQ, "create"):
            await wait_until(lambda: _status(client, ws) == "building", 15, "a building notification")
            assert await _lens_titles(client, req) == ["env building…"]
        await wait_until(lambda: _status(client, ws) == "missing", 15, "the status after the build")
        assert await _lens_titles(client, req) == ["env missing", "Create", "Lock"]
