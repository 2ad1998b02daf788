"""Emacs with eglot as the LSP client: Debian's Emacs 28.2 with elpa-eglot 1.9 in ``emacs --batch``,
with the eglot configuration exactly as docs/lsp.md gives it (the Lisp block is read from the
doc), against this venv's ``kernelenv-lsp``: Flymake diagnostics with their ranges for a
malformed environment.yml, and ``M-x kernelenv-create`` on a requirements.txt going from
missing through building to ready (a real uv build). Eglot has no code lenses, so none are
checked here (tests/editors/test_neovim.py does). The only stand-in is the answer to the
server's create prompt ("Not now"), because batch Emacs has no one to ask.
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
DRIVER = Path(__file__).with_name("emacs_driver.el")


def documented_config() -> str:
    """The ```elisp block under "## Emacs (eglot)" in docs/lsp.md."""
    text = DOC.read_text()
    m = re.search(r"```elisp\n(.*?)```", text[text.index("## Emacs (eglot)"):], re.S)
    assert m, f"no elisp block under '## Emacs (eglot)' in {DOC}"
    return m.group(1)


@pytest.fixture(scope="module")
def emacs() -> str:
    path = shutil.which("emacs")
    if path is None:
        pytest.skip("Emacs is not installed: run `make setup` (apt-get install emacs-nox elpa-eglot)")
    probe = subprocess.run([path, "--batch", "-q", "--eval", "(require 'eglot)"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"eglot is not available in {path}: run `make setup` (apt-get install elpa-eglot); {probe.stderr[-300:]}")
    return path


def test_eglot_config_diagnostics_and_create(emacs, tmp_path):
    ws = editor_workspace(tmp_path)
    config = tmp_path / "kernelenv-eglot.el"
    config.write_text(documented_config() + f"\n(setq kernelenv-lsp-command '({json.dumps(sys.executable)} \"-m\" \"kernelenv_lsp\"))\n")
    result = tmp_path / "result.json"
    env = {**os.environ, "KERNELENV_EMACS_RESULT": str(result), "HOME": str(tmp_path / "home"),
           "KERNELENV_STATE_HOME": str(tmp_path / "kernelenv-state"),  # no bytecode donors: see tests/editors/conftest.py
           "KERNELENV_EMACS_BROKEN": str(ws / "broken" / "environment.yml"),
           "KERNELENV_EMACS_PROJECT": str(ws / "tiny")}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run([emacs, "--batch", "-q", "-l", str(config), "-l", str(DRIVER)], cwd=ws, env=env,
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    (tmp_path / "emacs.stderr").write_text(proc.stderr)
    assert result.exists(), f"emacs wrote no result (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    r = json.loads(result.read_text())
    assert r["ok"] is True, f"{r.get('error')}\n{proc.stderr[-3000:]}"

    diags = sorted(r["diagnostics"], key=lambda d: d["line"])
    assert [(d["line"], d["col"], d["end_line"], d["end_col"]) for d in diags] == [(3, 4, 3, 14), (5, 16, 5, 17)], diags
    assert "numpy >>=1" in diags[0]["message"] and "requests ===" in diags[1]["message"]
    assert r["mode"] == "kernelenv-env-file-mode"
    assert r["saw_building"] is True and r["status"] == "ready"
    assert r["answer"] == "kernelenv create: succeeded"
    assert (ws / "tiny" / ".venv" / "bin" / "python").exists()
