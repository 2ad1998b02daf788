"""The language server's create prompt says when creating runs project code (issue 17, item 5).

Real server subprocess and a real pytest-lsp client (tests/lsp/lsphelp.py); the prompt is
answered "Not now", so nothing is built.
"""

from __future__ import annotations

from lsprotocol import types

from tests.lsp.lsphelp import lsp, wait_until


async def test_create_prompt_warns_about_project_code(tmp_path):
    ws = tmp_path / "ws"
    (ws / "editable").mkdir(parents=True)
    (ws / "editable" / "requirements.txt").write_text("-e .\n")
    (ws / "editable" / "setup.py").write_text("raise SystemExit('setup.py ran')\n")
    (ws / "plain").mkdir()
    (ws / "plain" / "requirements.txt").write_text("six\n")
    async with lsp(ws, env={"KERNELENV_STATE_HOME": str(tmp_path / "state")}, answer="Never for this project") as client:
        await wait_until(lambda: len(client.prompts) == 2, 60, "two prompts")
        by_root = {("editable" if str(ws / "editable") in p.message else "plain"): p for p in client.prompts}
        risky, plain = by_root["editable"], by_root["plain"]
        assert "runs code from this folder" in risky.message and "requirements.txt:1: -e ." in risky.message
        assert risky.type == types.MessageType.Warning
        assert "runs code" not in plain.message and plain.type == types.MessageType.Info
    assert not (ws / "editable" / ".kernelenv").exists()
