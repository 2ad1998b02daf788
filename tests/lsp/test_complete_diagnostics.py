"""Issue 14's complete diagnostics and issue 17's hostile buffers, through a real pytest-lsp client.

Every error of an env file is a diagnostic with its exact range (a bad ``pip:`` entry after a
bad conda entry, every bad requirement line, every bad TOML table entry); an expected error
(unknown project in a command: -32602) prints no traceback on the server's stderr; a 5 MB
buffer gets one diagnostic saying the size limit, and the server still exits on
shutdown/exit. Ranges are LSP's: 0-based, end exclusive.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pytest_lsp import ClientServerConfig

from kernelenv.parsers.errors_util import MAX_SPEC_BYTES

from .lsphelp import BASIC_CAPS, SERVER, command, lsp, make_client, projects_of, uri, wait_until

E = types.DiagnosticSeverity.Error


def rng(sl: int, sc: int, el: int, ec: int) -> types.Range:
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def open_doc(client, path: Path, text: str) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri(path), language_id="plaintext", version=1, text=text)))


async def diagnostics(client, path: Path, n: int, timeout: float = 60) -> list[types.Diagnostic]:
    u = uri(path)
    return await wait_until(lambda: len(client.diagnostics.get(u) or []) >= n and client.diagnostics[u],
                            timeout, f"{n} diagnostics for {path.name}")


def errors(diags) -> list[tuple]:
    key = lambda t: (t[1].start.line, t[1].start.character)  # noqa: E731
    return sorted(((d.code, d.range) for d in diags if d.severity == E), key=key)


async def test_every_error_in_a_file_is_a_diagnostic_with_its_range(tmp_path, capfd):
    ws = tmp_path / "ws"
    env = ws / "conda" / "environment.yml"
    env.parent.mkdir(parents=True)
    env.write_text("name: x\nchannels:\n  - conda-forge\ndependencies:\n  - numpy>=1.0 [\n  - null\n"
                   "  - pandas\n  - pip:\n    - six\n    - 'foo bar'\n")
    req = ws / "pip" / "requirements.txt"
    req.parent.mkdir()
    req.write_text("six\nfoo bar\nrequests\nnumpy ==\n")
    pp = ws / "toml" / "pyproject.toml"
    pp.parent.mkdir()
    pp.write_text('[project]\nname = "t"\ndependencies = [\n  "six",\n  "foo bar",\n]\n'
                  '[project.optional-dependencies]\nx = ["numpy =="]\n')
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        d = await diagnostics(client, env, 3)
        assert errors(d) == [("invalid-matchspec", rng(4, 4, 4, 16)), ("invalid-type", rng(5, 4, 5, 8)),
                             ("invalid-requirement", rng(9, 11, 9, 12))]
        assert any("foo bar" in x.message for x in d) and any("null" in x.message for x in d)
        d = await diagnostics(client, req, 2)
        assert errors(d) == [("invalid-requirement", rng(1, 4, 1, 5)), ("invalid-requirement", rng(3, 6, 3, 7))]
        d = await diagnostics(client, pp, 2)
        assert [(c, r.start.line) for c, r in errors(d)] == [("invalid-requirement", 4), ("invalid-requirement", 7)]

        # An unsaved edit that fixes one entry and breaks another: both reported again.
        open_doc(client, req, "six\nfoo bar\nrequests\nnumpy ==\n!!bad\n")
        await wait_until(lambda: len(client.diagnostics.get(uri(req)) or []) == 3, 30, "3 diagnostics")

        # An expected error: -32602 to the client, no traceback on the server's stderr.
        with pytest.raises(JsonRpcInvalidParams) as exc:  # -32602
            await command(client, "kernelenv.create", {"project": str(tmp_path / "nowhere")})
        assert exc.value.code == -32602 and "No kernelenv project" in str(exc.value)
    err = capfd.readouterr().err
    assert "Traceback" not in err, err


async def test_prompt_names_the_python_once(tmp_path):
    ws = tmp_path / "ws"
    (ws / "p").mkdir(parents=True)
    (ws / "p" / "requirements.txt").write_text("six\n")
    (ws / "p" / "runtime.txt").write_text("python-3.11\n")
    async with lsp(ws, answer="Not now") as client:
        await wait_until(lambda: client.prompts, 60, "the create prompt")
        msg = client.prompts[0].message
        assert "Python 3.11 from runtime.txt" in msg and "python-3.11" not in msg, msg


async def test_a_5mb_buffer_is_one_diagnostic_and_the_server_still_exits(tmp_path):
    ws = tmp_path / "ws"
    req = ws / "p" / "requirements.txt"
    req.parent.mkdir(parents=True)
    req.write_text("six\n")
    # The 10 KB nested pyproject made the server report 0 projects.
    (ws / "deep").mkdir()
    (ws / "deep" / "pyproject.toml").write_text('[project]\nname = "deep"\ndependencies = '
                                                + "[" * 5000 + "]" * 5000 + "\n")
    config = ClientServerConfig(server_command=SERVER, client_factory=make_client)
    client = await config.start()
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=BASIC_CAPS, root_uri=uri(ws),
            workspace_folders=[types.WorkspaceFolder(uri=uri(ws), name="ws")],
            initialization_options={"prompt": False}))
        listed = {p["name"]: p for p in (await projects_of(client, ws))["projects"]}
        assert set(listed) == {"p", "deep"}
        assert [e["code"] for e in listed["deep"]["errors"]] == ["too-deep"] and listed["p"]["errors"] == []
        # The shape that made the old pattern quadratic, 5 MB of it.
        text = "numpy" + " " * 5_000_000 + "x\n"
        open_doc(client, req, text)
        d = await wait_until(lambda: [x for x in client.diagnostics.get(uri(req)) or []
                                      if x.code == "file-too-large"], 60, "the size diagnostic")
        assert len(client.diagnostics[uri(req)]) == 1
        assert f"{MAX_SPEC_BYTES:,} bytes" in d[0].message and d[0].range.start.line == 0
        # Still answering, then shutdown + exit end the process.
        res = await command(client, "kernelenv.projects")
        assert {p["name"] for p in res[0]["projects"]} == {"p", "deep"}
        await asyncio.wait_for(client.shutdown_session(), 20)
        assert await asyncio.wait_for(client._server.wait(), 20) == 0
    finally:
        await client.stop()


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("stdio subprocess tests run on Linux CI")
