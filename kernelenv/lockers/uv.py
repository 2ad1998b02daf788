"""``uv.lock``: uv's own lock, written and checked by uv.

Format: https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile. uv writes
the file atomically itself and leaves it untouched when resolution fails, so it runs in
the project folder (a uv workspace's members must be visible to it).
"""

from __future__ import annotations

from pathlib import Path

from ..interpreters import Interpreter
from ..model import Project
from ..progress import Reporter
from ..uvtool import run_uv


def lock_uv(project: Project, interpreter: Interpreter, reporter: Reporter) -> Path:
    """``uv lock`` in the project folder; returns ``<root>/uv.lock``.

    Raises:
        BuildError: uv could not resolve (its last line in the message).
    """
    run_uv(["lock", "--python", str(interpreter.path)], reporter, step="lock",
           cwd=project.root, error="uv lock failed")
    return project.root / "uv.lock"


def check_uv(project: Project, reporter: Reporter) -> None:
    """``uv lock --check``: raises BuildError when uv.lock does not match pyproject.toml."""
    run_uv(["lock", "--check"], reporter, step="check", cwd=project.root,
           error="uv.lock does not match pyproject.toml")


__all__ = ["lock_uv", "check_uv"]
