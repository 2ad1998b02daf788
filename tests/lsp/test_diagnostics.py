"""Diagnostics (push and pull), code lenses and hovers on env files, through a real client.

Ranges are LSP's: 0-based lines and characters, end exclusive.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from .lsphelp import lsp, projects_of, uri, wait_until

REQ = "binder-examples__requirements"

PULL_CAPS = types.ClientCapabilities(
    window=types.WindowClientCapabilities(work_done_progress=True),
    text_document=types.TextDocumentClientCapabilities(
        diagnostic=types.DiagnosticClientCapabilities(),
        code_lens=types.CodeLensClientCapabilities()),
)


def rng(sl: int, sc: int, el: int, ec: int) -> types.Range:
    return types.Range(types.Position(sl, sc), types.Position(el, ec))


def open_doc(client, path: Path, text: str | None = None, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri(path), language_id="plaintext", version=version,
        text=path.read_text() if text is None else text)))


def change_doc(client, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def pushed(client, path: Path, pred=lambda d: True, timeout: float = 30) -> list[types.Diagnostic]:
    u = uri(path)
    return await wait_until(lambda: (u in client.diagnostics and pred(client.diagnostics[u])
                                     and (client.diagnostics[u] or [True])), timeout,
                            f"diagnostics for {path.name}")


def summary(diags) -> list[tuple]:
    return [(d.code, d.range, d.severity, d.source) for d in diags]


E = types.DiagnosticSeverity.Error
W = types.DiagnosticSeverity.Warning


async def test_push_diagnostics_with_exact_ranges(workspace):
    ws = workspace(REQ)
    proj = ws / REQ
    bad_env = ws / "condaproj" / "environment.yml"
    bad_env.parent.mkdir()
    bad_env.write_text("name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n"
                       "  - numpy>=1.0 [\n  - pandas\n")
    (ws / "tomlproj").mkdir()
    pyproject = ws / "tomlproj" / "pyproject.toml"
    pyproject.write_text('[project]\nname = "demo"\ndependencies = [\n  "requests>=2",\n  "numpy ==",\n]\n')
    (proj / "runtime.txt").write_text("python-3.4\n")
    req = proj / "requirements.txt"
    req.write_text(req.read_text() + "foo bar\n")
    bad_line = len(req.read_text().splitlines()) - 1

    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        # Pushed for every env file of the workspace's projects after detection, unopened.
        d = await pushed(client, bad_env)
        assert summary(d) == [("invalid-matchspec", rng(5, 4, 5, 16), E, "kernelenv")]
        assert "numpy>=1.0 [" in d[0].message
        d = await pushed(client, req)
        assert summary(d) == [("invalid-requirement", rng(bad_line, 4, bad_line, 5), E, "kernelenv")]
        assert "foo bar" in d[0].message
        d = await pushed(client, proj / "runtime.txt")
        assert summary(d) == [("python-not-found", rng(0, 0, 0, 10), E, "kernelenv")]
        assert "Installed:" in d[0].message and "3.10" in d[0].message
        # A pyproject that only fails to parse is still reported (the folder has no other files).
        d = await pushed(client, pyproject)
        assert [x.code for x in d] == ["invalid-requirement"]
        assert d[0].range.start.line == 4

        # Editing (unsaved text) re-checks the buffer; fixing clears the diagnostics.
        open_doc(client, req)
        change_doc(client, req, req.read_text().replace("foo bar\n", "    foo bar\n"), 2)
        d = await pushed(client, req, lambda ds: ds and ds[0].range.start.character == 8)
        assert summary(d) == [("invalid-requirement", rng(bad_line, 8, bad_line, 9), E, "kernelenv")]
        change_doc(client, req, req.read_text().replace("foo bar\n", "foo\n"), 3)
        await wait_until(lambda: len(client.diagnostics[uri(req)]) == 0, 30, "cleared diagnostics")
        # Closing without saving: the file on disk (still with "foo bar") counts again.
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        d = await pushed(client, req, lambda ds: len(ds) == 1)
        assert summary(d) == [("invalid-requirement", rng(bad_line, 4, bad_line, 5), E, "kernelenv")]

        # YAML syntax error: the parser's mark, to the end of the line.
        open_doc(client, bad_env)
        change_doc(client, bad_env, "name: demo\ndependencies:\n  - numpy\n - pandas: [\n", 2)
        d = await pushed(client, bad_env, lambda ds: ds and ds[0].code == "yaml-syntax")
        assert d[0].range.start == types.Position(3, 1) and d[0].severity == E


async def test_windows_export_warnings(workspace):
    ws = workspace("btcrabb__NSQIP_ML")
    env = ws / "btcrabb__NSQIP_ML" / "environment.yml"
    lines = env.read_text().splitlines()
    vc = next(i for i, line in enumerate(lines) if line.strip().startswith("- vc="))
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        d = await pushed(client, env)
        codes = {x.code for x in d}
        assert {"windows-only-package", "windows-build-string"} <= codes
        vcd = [x for x in d if x.range.start.line == vc]
        assert summary(vcd) == [("windows-only-package", rng(vc, 4, vc, 4 + len("vc=14.1=h0510ff6_4")),
                                 W, "kernelenv")]
        assert sum(x.code == "windows-only-package" for x in d) == 14


async def test_pull_diagnostics_and_lenses(workspace):
    ws = workspace(REQ)
    req = ws / REQ / "requirements.txt"
    async with lsp(ws, caps=PULL_CAPS, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        text = req.read_text() + "nump y==2\n"
        n = len(text.splitlines()) - 1
        open_doc(client, req, text)
        report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        assert report.kind == "full"
        assert summary(report.items) == [("invalid-requirement", rng(n, 5, n, 6), E, "kernelenv")]
        assert client.diagnostics.get(uri(req)) is None  # a pull client gets no pushed copy

        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        assert [(lens.command.title, lens.command.command) for lens in lenses] == [
            ("env missing", "kernelenv.status"), ("Create", "kernelenv.create"), ("Lock", "kernelenv.lock")]
        assert all(lens.range.start.line == 0 for lens in lenses)
        assert lenses[1].command.arguments[0]["project"] == str(ws / REQ)
        # Not an env file: nothing.
        other = ws / REQ / "notes.md"
        other.write_text("# notes\n")
        assert not await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri(other))))


async def test_save_redetects_that_project(workspace):
    ws = workspace(REQ, "binder-examples__conda")
    rt = ws / REQ / "runtime.txt"
    async with lsp(ws, init_options={"prompt": False}) as client:
        first = await projects_of(client, ws)
        assert next(p for p in first["projects"] if p["name"] == REQ)["python"]["raw"] == "python-3.10"
        count = len(client.kernelenv_projects)
        rt.write_text("python-3.11\n")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(rt))))
        await wait_until(lambda: len(client.kernelenv_projects) > count, 30, "a new notification")
        note = client.kernelenv_projects[-1]
        assert note["workspaceFolder"] == uri(ws)
        assert len(note["projects"]) == 2
        assert next(p for p in note["projects"] if p["name"] == REQ)["python"]["raw"] == "python-3.11"
        # Watched-file events (a client that watches files) do the same.
        rt.write_text("python-3.12\n")
        count = len(client.kernelenv_projects)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=uri(rt), type=types.FileChangeType.Changed)]))
        await wait_until(lambda: len(client.kernelenv_projects) > count, 30, "a new notification")
        p = next(p for p in client.kernelenv_projects[-1]["projects"] if p["name"] == REQ)
        assert p["python"]["specifier"] == "==3.12.*"
