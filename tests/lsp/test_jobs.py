"""kernelenv.create / cancel / failures through the language server: real uv, real PyPI, real kernels.

The env of ``binder-examples__requirements`` (Python 3.10 from runtime.txt) is built once
per session through ``kernelenv.create`` (fixture ``built``) and reused.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from tests.conftest import copy_corpus_project

from .lsphelp import command, lsp, plain, projects_of, uri, wait_until

pytestmark = pytest.mark.e2e

REQ = "binder-examples__requirements"
TOKEN = "test-create-token"


def run_in_kernel(kernel_name: str, code: str, timeout: float = 120) -> str:
    """Start the registered kernel with jupyter_client, run ``code``, return its stdout."""
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=timeout)
        out: list[str] = []
        reply = kc.execute_interactive(code, timeout=timeout,
                                       output_hook=lambda m: out.append(m["content"].get("text", ""))
                                       if m["msg_type"] == "stream" else None)
        assert reply["content"]["status"] == "ok", reply["content"]
        kc.stop_channels()
        return "".join(out)
    finally:
        km.shutdown_kernel(now=True)


async def _create_session(ws: Path) -> dict:
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        client.progress_reports[TOKEN] = []
        result = await command(client, "kernelenv.create", {"project": str(ws / REQ)}, token=TOKEN)
        note = await wait_until(lambda: next((n for n in reversed(client.kernelenv_projects)
                                              if n["projects"] and n["projects"][0]["status"]["status"] == "ready"),
                                             None), 30, "a ready notification")
        return {"result": result, "progress": list(client.progress_reports[TOKEN]),
                "logs": [m.message for m in client.log_messages], "note": note}


@pytest.fixture(scope="session")
def built(session_tmp: Path) -> dict:
    """Build binder-examples__requirements through kernelenv.create once for the session."""
    ws = session_tmp / "lsp-ws"
    ws.mkdir()
    copy_corpus_project(REQ, ws)
    out = asyncio.run(_create_session(ws))
    out["ws"] = ws
    out["root"] = ws / REQ
    return out


def test_create_progress_result_and_kernel(built):
    progress = built["progress"]
    kinds = [p.kind for p in progress]
    assert kinds[0] == "begin" and kinds[-1] == "end" and "report" in kinds
    assert set(kinds[1:-1]) == {"report"}
    assert progress[0].title == f"kernelenv create: {REQ}" and progress[0].cancellable
    pcts = [p.percentage for p in progress[1:-1] if p.percentage is not None]
    assert pcts == sorted(pcts) and pcts[0] < 50 and pcts[-1] >= 90
    assert any("install" in (p.message or "") for p in progress[1:-1])
    assert progress[-1].message == "create finished"

    result = built["result"]
    assert result["action"] == "create" and result["state"] == "succeeded"
    assert result["project"] == str(built["root"])
    status = result["result"]
    assert status["status"] == "ready" and status["python_version"].startswith("3.10.")
    assert any(f"[{REQ}]" in line for line in built["logs"])  # the build log was streamed

    assert built["note"]["projects"][0]["status"]["status"] == "ready"
    kernel = status["kernel_name"]
    out = run_in_kernel(kernel, "import sys, os, seaborn; print(os.path.realpath(sys.prefix)); "
                                "print(sys.version_info[:2]); print(seaborn.__version__)")
    prefix, version, seaborn = out.strip().splitlines()
    assert prefix == os.path.realpath(built["root"] / ".venv")
    assert version == "(3, 10)" and seaborn == "0.13.2"


async def test_ready_project_lenses_hover_and_stale(built):
    ws, root = built["ws"], built["root"]
    req = root / "requirements.txt"
    original = req.read_text()
    async with lsp(ws, init_options={"prompt": False}) as client:
        note = await projects_of(client, ws)
        st = note["projects"][0]["status"]
        assert st["status"] == "ready"
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        titles = [lens.command.title for lens in lenses]
        assert titles == [f"env ready · uv · Python 3.10 · {st['packages']} packages", "Lock", "Rebuild"]
        assert st["packages"] > 15

        lines = original.splitlines()
        numpy_line = lines.index("numpy==2.2.2")
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req)), position=types.Position(numpy_line, 2)))
        assert "**numpy**" in hover.contents.value
        assert "installed: `2.2.2` (.venv)" in hover.contents.value
        comment = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req)), position=types.Position(0, 0)))
        assert comment is None

        status = await command(client, "kernelenv.status", {"project": str(root)})
        assert status["status"]["status"] == "ready" and status["path"] == REQ

        try:
            req.write_text(original + "six==1.17.0\n")
            count = len(client.kernelenv_projects)
            client.text_document_did_save(types.DidSaveTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=uri(req))))
            await wait_until(lambda: len(client.kernelenv_projects) > count, 30, "re-detection")
            assert client.kernelenv_projects[-1]["projects"][0]["status"]["status"] == "stale"
            diags = await wait_until(lambda: [d for d in client.diagnostics.get(uri(req), ())
                                              if d.code == "env-stale"], 30, "env-stale diagnostic")
            assert diags[0].severity == types.DiagnosticSeverity.Warning and diags[0].range.start.line == 0
            lenses = await client.text_document_code_lens_async(types.CodeLensParams(
                text_document=types.TextDocumentIdentifier(uri=uri(req))))
            assert [lens.command.title for lens in lenses] == ["env stale", "Create", "Lock", "Rebuild"]
        finally:
            req.write_text(original)
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        await wait_until(lambda: client.kernelenv_projects[-1]["projects"][0]["status"]["status"] == "ready",
                         30, "ready again")


async def test_cancel_mid_build_keeps_previous_env_and_busy_is_refused(built):
    ws, root = built["ws"], built["root"]
    live_before = os.path.realpath(root / ".venv")
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        token = "cancel-me"
        client.progress_reports[token] = []
        first = asyncio.ensure_future(command(client, "kernelenv.create", {"project": str(root), "force": True},
                                              token=token))
        await wait_until(lambda: any(p.kind == "report" for p in client.progress_reports[token]), 60,
                         "the first progress report")
        # A second job on the same project is refused while the first runs.
        with pytest.raises(JsonRpcException) as busy:
            await command(client, "kernelenv.rebuild", {"project": str(root)})
        assert busy.value.data["code"] == "project-busy"
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        with pytest.raises(JsonRpcException) as cancelled:
            await first
        assert cancelled.value.code == int(types.LSPErrorCodes.RequestCancelled)
        assert plain(cancelled.value.data)["code"] == "cancelled"
        assert client.progress_reports[token][-1].kind == "end"
        assert "cancelled" in client.progress_reports[token][-1].message
        status = await command(client, "kernelenv.status", {"project": str(root)})
        assert status["status"]["status"] == "ready"
    assert os.path.realpath(root / ".venv") == live_before
    out = run_in_kernel(built["result"]["result"]["kernel_name"], "import sys, os; print(os.path.realpath(sys.prefix))")
    assert out.strip() == live_before


async def test_failing_builds_get_errors_and_the_server_keeps_answering(tmp_path):
    ws = tmp_path / "ws"
    broken = ws / "broken"
    broken.mkdir(parents=True)
    (broken / "requirements.txt").write_text("kernelenv-no-such-package-xyz==1.0\n")
    (broken / "runtime.txt").write_text("python-3.11\n")
    malformed = ws / "malformed"
    malformed.mkdir()
    (malformed / "requirements.txt").write_text("requests\nfoo bar\n")
    env = {"KERNELENV_STATE_HOME": str(tmp_path / "state")}
    async with lsp(ws, env=env, answer="Create environment") as client:
        await projects_of(client, ws)
        # The prompt's "Create environment" starts a create with server-created progress; it fails.
        await wait_until(lambda: client.prompts, 30, "the prompt")
        assert "broken" in client.prompts[0].message
        ended = await wait_until(lambda: [r for r in client.progress_reports.values()
                                          if r and r[-1].kind == "end"], 300, "the failed create's end")
        assert "create failed" in ended[0][-1].message
        shown = await wait_until(lambda: [m for m in client.messages if "kernelenv create of broken" in m.message],
                                 30, "the failure message")
        assert shown[0].type == types.MessageType.Error and "kernelenv-no-such-package-xyz" in shown[0].message
        with pytest.raises(JsonRpcException) as failed:
            await command(client, "kernelenv.create", {"project": str(broken)})
        assert failed.value.code == int(types.LSPErrorCodes.RequestFailed)
        assert "kernelenv-no-such-package-xyz" in failed.value.message
        assert plain(failed.value.data)["code"] == "build-failed"

        with pytest.raises(JsonRpcException) as bad:
            await command(client, "kernelenv.create", {"project": str(malformed)})
        assert f"{malformed / 'requirements.txt'}:2:5" in bad.value.message
        assert plain(bad.value.data)["line"] == 2

        # create's optional "python" override goes to the engine (nothing installed satisfies 3.4).
        with pytest.raises(JsonRpcException) as nopy:
            await command(client, "kernelenv.create", {"project": str(broken), "python": "3.4"})
        assert plain(nopy.value.data)["code"] == "python-not-found"
        assert "No installed Python satisfies ==3.4.*" in nopy.value.message

        # The engine's per-project file lock is shared with other processes (CLI, JupyterLab).
        from kernelenv.locking import project_lock

        with project_lock(broken, "rebuild"):
            status = await command(client, "kernelenv.status", {"project": str(broken)})
            assert status["status"]["status"] == "building"
            with pytest.raises(JsonRpcException) as held:
                await command(client, "kernelenv.create", {"project": str(broken)})
            assert plain(held.value.data)["code"] == "project-busy"
            assert f"pid {os.getpid()}" in held.value.message

        # Still answering, nothing half-built left.
        status = await command(client, "kernelenv.status", {"project": str(broken)})
        assert status["status"]["status"] == "missing"
        assert not (broken / ".venv").exists()
        res = await command(client, "kernelenv.projects")
        assert {p["name"] for p in res[0]["projects"]} == {"broken", "malformed"}


async def test_lock_hover_and_remove(workspace):
    ws = workspace(REQ)
    root = ws / REQ
    req = root / "requirements.txt"
    # A plain requirements.txt (no requirements.in to compile it from): the lock is pylock.toml.
    (root / "requirements.in").unlink()
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        client.progress_reports["lock"] = []
        result = await command(client, "kernelenv.lock", {"project": uri(root)}, token="lock")
        assert result["state"] == "succeeded" and result["action"] == "lock"
        lock = Path(result["result"]["lock"])
        assert lock == root / "pylock.toml" and lock.is_file()
        assert [p.kind for p in client.progress_reports["lock"]][::len(client.progress_reports["lock"]) - 1] == [
            "begin", "end"]
        note = await wait_until(lambda: client.kernelenv_projects[-1]["projects"][0]["lock"] == "pylock.toml"
                                and client.kernelenv_projects[-1], 30, "a notification with the lock")
        assert note["projects"][0]["status"]["status"] == "missing"
        lines = req.read_text().splitlines()
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req)),
            position=types.Position(lines.index("pandas==2.2.3"), 0)))
        assert "locked: `2.2.3` (pylock.toml)" in hover.contents.value
        assert "installed: no env yet" in hover.contents.value
        # Editing the spec after locking: the lock is out of date (a warning on the spec).
        req.write_text(req.read_text() + "six==1.17.0\n")
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        outdated = await wait_until(lambda: [d for d in client.diagnostics.get(uri(req), ())
                                             if d.code == "lock-outdated"], 30, "lock-outdated diagnostic")
        assert outdated[0].severity == types.DiagnosticSeverity.Warning and outdated[0].source == "kernelenv"
        assert "pylock.toml" in outdated[0].message and "requirements.txt" in outdated[0].message
        removed = await command(client, "kernelenv.purge", {"project": str(root)})
        assert removed["state"] == "succeeded" and removed["result"] == {"purged": True}


async def test_add_record_and_drift_diagnostic(workspace):
    """kernelenv.add edits the spec and rebuilds; a hand install gives a drift diagnostic and
    lens on the spec; kernelenv.record writes it into the spec and clears both."""
    import subprocess

    from kernelenv.uvtool import uv_bin

    ws = workspace()
    root = ws / "tiny"
    root.mkdir()
    req = root / "requirements.txt"
    req.write_text("six\n")
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        await command(client, "kernelenv.create", {"project": str(root)})
        res = await command(client, "kernelenv.add", {"project": str(root), "packages": ["idna==3.7"]})
        assert res["state"] == "succeeded" and res["action"] == "add", res
        assert req.read_text() == "six\nidna==3.7\n"
        subprocess.run([uv_bin(), "pip", "install", "--quiet", "--python", str(root / ".venv/bin/python"),
                        "certifi==2024.8.30"], check=True, env={**os.environ, "VIRTUAL_ENV": ""})
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri(req), language_id="pip-requirements", version=1, text=req.read_text())))
        # What the editor's file watcher reports for the install (the server's watch globs).
        from kernelenv.layout import link_target

        [installer] = link_target(root / ".venv").glob("lib/python*/site-packages/certifi-*.dist-info/INSTALLER")
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=uri(installer), type=types.FileChangeType.Created)]))
        drift = await wait_until(lambda: [d for d in client.diagnostics.get(uri(req), ())
                                          if d.code == "env-drifted"], 30, "env-drifted diagnostic")
        assert "added certifi 2024.8.30" in drift[0].message and "kernelenv record" in drift[0].message
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri(req))))
        titles = [lens.command.title for lens in lenses]
        assert titles == ["env drifted · 1 package changed by hand", "Record", "Rebuild"], titles
        res = await command(client, "kernelenv.record", {"project": str(root)})
        assert res["state"] == "succeeded" and res["result"]["status"] == "ready", res
        assert req.read_text() == "six\nidna==3.7\ncertifi==2024.8.30\n"
        with pytest.raises(JsonRpcException, match="packages"):
            await command(client, "kernelenv.remove", {"project": str(root)})
