"""The documentation site builds clean (warnings are errors) and quotes real error messages."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.binder.conftest import REPO

DOCS = REPO / "docs"
SOURCES = ("kernelenv", "jupyter_ext", "lsp_server")
HOLE = "\x00"


def _text(path: Path) -> str:
    """The visible text of an HTML page (tags dropped, entities unescaped)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    """`sphinx-build -W --keep-going -b html docs OUT` succeeds; generated reference pages are complete."""
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
                           str(DOCS), str(out), "-d", str(tmp_path / "doctrees")],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"sphinx-build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    cli = _text(out / "cli.html")
    from kernelenv.cli import COMMANDS

    for name in COMMANDS:  # every subcommand's help is on the generated page
        assert f"kernelenv {name}" in cli, name
    config = _text(out / "configuration.html")
    assert "c.Kernelenv.auto_create" in config  # from the traitlets definition
    assert "kernelenv.autoSelectKernel" in config  # from vscode/package.json
    rest = _text(out / "rest-api.html")
    assert "/projects" in rest and "/jobs/" in rest  # rendered from the OpenAPI file
    arch = (out / "architecture.html").read_text()
    assert "mermaid" in arch  # the diagram, rendered in the browser by mermaid.js
    for page in ("quickstart/cli", "quickstart/jupyterlab", "quickstart/vscode", "quickstart/neovim",
                 "quickstart/binder", "concepts", "lsp", "benchmarks", "troubleshooting"):
        assert (out / f"{page}.html").is_file(), page
    assert "vim.lsp.config('kernelenv'" in _text(out / "quickstart" / "neovim.html")  # included from lsp.md


def _literals() -> list[str]:
    """Every string literal in the engine and faces, f-string holes as ``HOLE``."""
    out = []
    for pkg in SOURCES:
        for path in (REPO / pkg).rglob("*.py"):
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    out.append(node.value)
                elif isinstance(node, ast.JoinedStr):
                    out.append("".join(v.value if isinstance(v, ast.Constant) else HOLE
                                       for v in node.values))
    return out


def _messages() -> list[str]:
    text = (DOCS / "troubleshooting.md").read_text(encoding="utf-8")
    return [m.strip() for m in re.findall(r"```text\n(.*?)```", text, flags=re.S)]


@pytest.mark.parametrize("message", _messages())
def test_troubleshooting_quotes_real_messages(message: str) -> None:
    """Each fixed part of a quoted message (between ``<...>`` holes) is in a string literal of the code.

    Messages are assembled from several literals (an f-string, a prefix, the file:line
    part), so each part is looked up on its own; a reworded message fails this test.
    """
    fragments = [f.strip(" :'\"().,") for f in re.split(r"<[^>]+>", message)]
    fragments = [f for f in fragments if len(f) >= 4]
    assert fragments, message
    literals = _literals()
    missing = [f for f in fragments if not any(f in lit for lit in literals)]
    assert not missing, f"not in any string literal of {', '.join(SOURCES)}: {missing}"
