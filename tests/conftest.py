"""Shared fixtures: an isolated Jupyter data dir, one uv cache for the session, corpus copies.

Every test process (and every server, language server and kernel it starts) sees:

* ``JUPYTER_DATA_DIR`` / ``JUPYTER_CONFIG_DIR`` / ``JUPYTER_RUNTIME_DIR`` in a session
  temp folder, so registering kernels never touches the developer's own;
* ``KERNELENV_STATE_HOME`` / ``KERNELENV_CACHE_HOME`` (status answers) in that folder too;
* ``UV_CACHE_DIR`` shared by all tests (``KERNELENV_TEST_UV_CACHE`` or ``.cache/uv`` in
  the checkout), so each wheel is downloaded once per machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("KERNELENV_CORPUS", REPO.parent / "shared" / "corpus")).resolve()
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "projects"
NO_CORPUS = (f"needs the real-world corpus at {CORPUS} (../shared/corpus beside the clone, or "
             "KERNELENV_CORPUS); a plain clone runs the in-repo fixtures only")

_SESSION_TMP = Path(tempfile.mkdtemp(prefix="kernelenv-tests-"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ["JUPYTER_DATA_DIR"] = str(_SESSION_TMP / "jupyter-data")
    os.environ["JUPYTER_CONFIG_DIR"] = str(_SESSION_TMP / "jupyter-config")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(_SESSION_TMP / "jupyter-runtime")
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    os.environ.setdefault("UV_CACHE_DIR", os.environ.get("KERNELENV_TEST_UV_CACHE",
                                                         str(REPO / ".cache" / "uv")))
    os.environ["KERNELENV_STATE_HOME"] = str(_SESSION_TMP / "kernelenv-home")
    os.environ["KERNELENV_CACHE_HOME"] = str(_SESSION_TMP / "kernelenv-cache")
    os.environ.pop("KERNELENV_BACKEND", None)
    os.environ.pop("VIRTUAL_ENV", None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real-world env-file corpus (``../shared/corpus``); tests using it skip where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip(NO_CORPUS)
    return CORPUS


def copy_corpus_project(name: str, dest_parent: Path) -> Path:
    """Copy project ``name`` under ``dest_parent`` (writable) and return the copy.

    The in-repo fixture of that name (``tests/fixtures/projects/``, see its README) when there is
    one, so the core tests run the same on a plain clone and in CI; else the corpus folder; else
    the test is skipped, naming what it needs.
    """
    src = FIXTURES / name if (FIXTURES / name).is_dir() else CORPUS / name
    if not src.is_dir():
        pytest.skip(f"{NO_CORPUS} ({name})")
    dest = dest_parent / name
    shutil.copytree(src, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    return dest


@pytest.fixture
def project_copy(tmp_path: Path):
    """``project_copy(name)`` -> a writable copy of a corpus project in ``tmp_path``."""
    return lambda name: copy_corpus_project(name, tmp_path)


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temp folder shared by the whole session (for envs built once per session)."""
    return tmp_path_factory.mktemp("session")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_serving(proc: subprocess.Popen, ready: Callable[[], bool], name: str, log: Path, timeout: float,
                 interval: float = 0.3) -> None:
    """Poll ``ready()`` (an ``OSError`` counts as not yet) until it is true; fail the test with the
    tail of ``log`` when server ``proc`` (called ``name``) exits or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{name} did not answer within {timeout:g} s:\n{log.read_text()[-3000:]}")
        time.sleep(interval)

