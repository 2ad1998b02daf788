"""Sphinx configuration of the kernelenv documentation (MyST Markdown).

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (``pip install -e '.[docs]'``).
The reference pages (CLI, traitlets settings, VS Code settings) are generated at each build
by ``docs/_ext/kernelenv_docs.py`` from the code itself; nothing there is copied by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(DOCS.parent))

project = "kernelenv"
author = "the kernelenv authors"
copyright = "the kernelenv authors"
try:
    from importlib.metadata import version as _version

    release = _version("kernelenv")
except Exception:  # pragma: no cover - docs built from a checkout without an install
    release = "0.1.0"

extensions = [
    "myst_parser",
    "sphinxcontrib.mermaid",
    "sphinxcontrib.openapi",
    "kernelenv_docs",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**/README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
myst_fence_as_directive = ["mermaid"]

html_theme = "alabaster"
html_title = "kernelenv"
html_static_path: list[str] = []
html_theme_options = {"description": "Every project's own environment as a Jupyter kernel"}
