"""Stock Neovim as the LSP client: Debian's Neovim (0.7.2 here; ``make setup`` apt-installs it)
runs headless with the Neovim 0.7–0.10 configuration exactly as docs/lsp.md gives it (the Lua
block is read from the doc), against this venv's ``kernelenv-lsp`` on a real workspace:
diagnostics with their ranges for a malformed environment.yml, the code lenses of a
requirements.txt, and Create run through ``vim.lsp.codelens.run()`` ending with the lens
reading ``env ready`` after a real uv build. Nothing is mocked; the only stand-in is the
answer to the server's create prompt ("Not now", as a user would click) and to
``vim.ui.select`` (the lens picked: "Create"), because headless Neovim has no one to ask.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, editor_workspace

pytestmark = [pytest.mark.editors, pytest.mark.e2e]

DOC = REPO / "docs" / "lsp.md"
DRIVER = Path(__file__).with_name("nvim_driver.lua")


def documented_config(heading: str) -> str:
    """The first ```lua block under ``heading`` in docs/lsp.md."""
    text = DOC.read_text()
    start = text.index(heading)
    m = re.search(r"```lua\n(.*?)```", text[start:], re.S)
    assert m, f"no Lua block under {heading!r} in {DOC}"
    return m.group(1)


@pytest.fixture(scope="module")
def nvim() -> str:
    path = shutil.which("nvim")
    if path is None:
        pytest.skip("Neovim is not installed: run `make setup` (apt-get install neovim; Debian has 0.7.2)")
    return path


def test_neovim_07_config_diagnostics_lenses_and_create_through_codelens_run(nvim, tmp_path):
    ws = editor_workspace(tmp_path)
    config = tmp_path / "init.lua"
    config.write_text(documented_config("## Neovim (0.7–0.10)"))
    prompts = tmp_path / "prompts.txt"
    # Before the config: the server's command, and "Not now" to its create prompt (recorded).
    pre = ("lua vim.g.kernelenv_cmd = {" + json.dumps(sys.executable) + ", '-m', 'kernelenv_lsp'}; "
           "vim.lsp.handlers['window/showMessageRequest'] = function(_, params) "
           f"local f = io.open({json.dumps(str(prompts))}, 'a'); f:write(params.message .. '\\n'); f:close(); "
           "return { title = 'Not now' } end")
    result = tmp_path / "result.json"
    env = {**os.environ, "KERNELENV_STATE_HOME": str(tmp_path / "kernelenv-state"),  # see tests/editors/conftest.py
           "KERNELENV_NVIM_RESULT": str(result), "KERNELENV_NVIM_BROKEN": str(ws / "broken" / "environment.yml"),
           "KERNELENV_NVIM_PROJECT": str(ws / "tiny"), "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "XDG_DATA_HOME": str(tmp_path / "xdg-data")}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run([nvim, "--headless", "--cmd", pre, "-u", str(config), "-c", f"luafile {DRIVER}"],
                          cwd=ws, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert result.exists(), f"nvim wrote no result (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    r = json.loads(result.read_text())
    lsp_log = tmp_path / "xdg-state" / "nvim" / "lsp.log"
    assert r["ok"], f"{r.get('error')}\nsteps: {r.get('steps')}\n{lsp_log.read_text()[-3000:] if lsp_log.exists() else ''}"

    # Every bad entry, each with its exact range (0-based lines/columns as Neovim stores them).
    diags = sorted(r["diagnostics"], key=lambda d: d["lnum"])
    assert [(d["lnum"], d["col"], d["end_lnum"], d["end_col"]) for d in diags] == [(3, 4, 3, 14), (5, 16, 5, 17)], diags
    assert "numpy >>=1" in diags[0]["message"] and "requests ===" in diags[1]["message"]
    assert {d["source"] for d in diags} == {"kernelenv"}

    assert r["missing_lens"] == "env missing"
    assert "Create" in r["lenses_before"]
    assert r["picked"] == "Create"
    # A one-package build can finish before Neovim 0.7 fetches lenses again; the LSP progress
    # below is what shows the running job in every case (the building lens itself is proven in
    # code-server and in tests/lsp against a held lock).
    assert r["building_lens"].startswith(("env building", "env ready"))
    assert r["ready_lens"].startswith("env ready · uv · Python 3.")
    assert "Rebuild" in r["lenses_after"] and "Create" not in r["lenses_after"]
    assert r["notified_status"] == "ready"
    assert any("create" in (p.get("title") or "") for p in r["progress"]), r["progress"]
    assert "has no environment yet" in prompts.read_text()
    assert (ws / "tiny" / ".venv" / "bin" / "python").exists()
