"""Locating and calling the uv binary shipped by the ``uv`` PyPI package."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from .errors import BackendUnavailableError, BuildError
from .progress import Reporter
from .proc import run


@lru_cache(maxsize=1)
def uv_bin() -> str:
    """Path of the uv executable: ``KERNELENV_UV``, the ``uv`` package's binary, or PATH.

    Raises:
        BackendUnavailableError: uv is nowhere to be found.
    """
    if os.environ.get("KERNELENV_UV"):
        return os.environ["KERNELENV_UV"]
    try:
        import uv

        return uv.find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise BackendUnavailableError("uv is not installed: `pip install uv` (kernelenv depends on it).")


#: Variables that would point uv, or an env's interpreter, at another Python's files.
FOREIGN_PYTHON_VARS = ("VIRTUAL_ENV", "UV_PYTHON", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME")


def clean_env(**extra: str) -> dict[str, str]:
    """``os.environ`` without :data:`FOREIGN_PYTHON_VARS`, plus ``extra``.

    A PYTHONPATH holding kernelenv's own site-packages (3.11) breaks a 3.10 env's
    interpreter ("SRE module mismatch"), so tools and env interpreters run without it.
    """
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_PYTHON_VARS}
    env.update(extra)
    return env


def uv_env(**extra: str) -> dict[str, str]:
    """The environment for uv: :func:`clean_env` plus ``extra`` (progress bars off)."""
    env = clean_env()
    env.setdefault("UV_NO_PROGRESS", "1")
    env.update(extra)
    return env


def run_uv(args: Sequence[str | os.PathLike[str]], reporter: Reporter, *, step: str,
           cwd: Path | None = None, env: dict[str, str] | None = None, error: str | None = None) -> str:
    """Run ``uv <args>`` (argument list, no shell), streaming output to ``reporter``.

    Raises:
        BuildError: uv failed (message carries uv's last line, e.g. an unreachable index).
        CancelledError: cancelled.
    """
    return run([uv_bin(), *args], reporter, step=step, cwd=cwd, env=env or uv_env(), error=error)


def run_uv_cache_first(args: Sequence[str | os.PathLike[str]], reporter: Reporter, *, step: str,
                       what: str, cwd: Path | None = None, error: str | None = None) -> str:
    """Install exactly pinned files (a lock's URLs and hashes) out of uv's cache when it holds
    them all (``--offline``), else online.

    uv (0.13) revalidates the cached response of every URL requirement with the index on each
    online install, which costs a round trip per file (seconds where the index is slow) and
    fails with no network although the cache holds every file. A lock's files never change
    (their hashes are checked either way), so asking the cache first makes a rebuild fast,
    work offline, and hard-link the same files as the last build (whose bytecode is then
    reused, :mod:`kernelenv.bytecode`). ``what``: the files, for the log line when some are
    not cached. Only for exact pins, or where whichever version the cache holds serves (pip
    itself, for ``%pip``): a spec's open ranges must be resolved online.

    Raises:
        BuildError: the online install failed too.
        CancelledError: cancelled.
    """
    try:
        return run_uv([*args, "--offline"], reporter, step=step, cwd=cwd, error=error)
    except BuildError:
        reporter.log(f"Not every file of {what} is in uv's cache: installing online")
        return run_uv(args, reporter, step=step, cwd=cwd, error=error)
