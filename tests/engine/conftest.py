"""Engine fixtures: real envs built once per session with the real CLI and uv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_corpus_project


def run_cli(*args: str, check: bool = True, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``python -m kernelenv ARGS`` as a user would; return the completed process."""
    proc = subprocess.run([sys.executable, "-m", "kernelenv", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"kernelenv {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def cli_json(*args: str, **kw) -> object:
    """``run_cli(..., '--json')`` parsed."""
    return json.loads(run_cli(*args, "--json", **kw).stdout)


def requirements_project_at(parent: Path, name: str, requirements: str, *, command: str | None = "create",
                            env: dict | None = None) -> Path:
    """Folder ``parent/name`` holding only ``requirements.txt`` with ``requirements``, after
    ``kernelenv COMMAND`` on it (``None``: none)."""
    root = parent / name
    root.mkdir()
    (root / "requirements.txt").write_text(requirements)
    if command:
        run_cli(command, str(root), env=env)
    return root


@pytest.fixture(scope="session")
def requirements_project(tmp_path_factory) -> Path:
    """binder-examples__requirements (Python 3.10 from runtime.txt), created once with the CLI."""
    root = copy_corpus_project("binder-examples__requirements", tmp_path_factory.mktemp("req"))
    run_cli("create", str(root))
    return root


@pytest.fixture(scope="session")
def uvlock_project(tmp_path_factory) -> Path:
    """kriti-ach__SharedControlPaper (uv.lock, ipykernel only in the dev group), created once."""
    root = copy_corpus_project("kriti-ach__SharedControlPaper", tmp_path_factory.mktemp("uvlock"))
    run_cli("create", str(root))
    return root


@pytest.fixture()
def cache_home(tmp_path: Path, monkeypatch) -> Path:
    """kernelenv's user cache (answers, detection memo, content memo) in this test's own
    folder, with caching on."""
    home = tmp_path / "cache"
    monkeypatch.setenv("KERNELENV_CACHE_HOME", str(home))
    monkeypatch.delenv("KERNELENV_ANSWER_CACHE", raising=False)
    return home
