"""Fixtures for the language server tests (helpers are in :mod:`tests.lsp.lsphelp`)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import copy_corpus_project


@pytest.fixture
def workspace(tmp_path: Path) -> Callable[..., Path]:
    """``workspace(*corpus_names)`` -> a temp workspace folder holding copies of those corpus projects."""

    def make(*names: str) -> Path:
        ws = tmp_path / "ws"
        ws.mkdir(exist_ok=True)
        for n in names:
            copy_corpus_project(n, ws)
        return ws

    return make

