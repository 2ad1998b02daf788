"""``Pipfile.lock``: written, verified and exported by pipenv itself.

pipenv (https://pipenv.pypa.io/en/latest/cli.html) runs from PyPI, pinned
(:mod:`kernelenv.pytools`), never inside the project env:

* ``lock``: ``pipenv lock --python <interpreter>``; pipenv needs a virtualenv to
  resolve in, which it makes inside the staging folder (``PIPENV_VENV_IN_PROJECT``) and
  which is deleted with it;
* ``create``: ``pipenv requirements --hash`` (the ``default`` section, with markers and
  hashes), as ``pipenv sync`` installs;
* checks: ``pipenv verify`` (the lock's ``_meta.hash`` against the Pipfile).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import BuildError
from ..interpreters import Interpreter
from ..model import Project
from ..progress import Reporter
from ..pytools import run_tool
from .poetry import _requirement_lines
from .staging import copy_in, move_out, staging

INPUTS = ("Pipfile", "Pipfile.lock")
_REQ_LINE = re.compile(r"^(?:-i \S+|--(?:extra-)?index-url[ =]\S+|[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?"
                       r"\s*(?:==|===|@|;|\s--hash))")


def lock_pipenv(project: Project, interpreter: Interpreter, reporter: Reporter) -> Path:
    """``pipenv lock`` on the project's Pipfile; returns ``<root>/Pipfile.lock``.

    Raises:
        BuildError: pipenv failed (its last line in the message); Pipfile.lock is unchanged.
    """
    with staging(project.root) as tmp:
        copy_in(project.root, tmp, list(INPUTS))
        run_tool("pipenv", ["--python", str(interpreter.path), "lock"], reporter, step="lock",
                 cwd=tmp, error="pipenv lock failed")
        return move_out(tmp, project.root, "Pipfile.lock")


def export_pipenv(project: Project, lock: Path, reporter: Reporter) -> list[str]:
    """``pipenv requirements --hash``: the lock's default packages with markers and hashes.

    Raises:
        BuildError: pipenv could not read the lock.
    """
    with staging(project.root) as tmp:
        copy_in(project.root, tmp, ["Pipfile"])
        copy_in(lock.parent, tmp, [lock.name])
        text = run_tool("pipenv", ["requirements", "--hash"], reporter, step="install", cwd=tmp,
                        error=f"pipenv could not read {lock.name}")
    # stdout and stderr arrive merged (uv's "Installed N packages", pipenv notices): keep
    # the requirement and index lines only.
    lines = [ln for ln in _requirement_lines(text) if _REQ_LINE.match(ln)]
    if not any(not ln.startswith("-") for ln in lines):
        raise BuildError("install", f"pipenv requirements gave no packages for {lock}")
    return lines


def verify_pipenv(project: Project, reporter: Reporter) -> None:
    """``pipenv verify``: raises BuildError when Pipfile.lock's hash does not match the Pipfile."""
    with staging(project.root) as tmp:
        copy_in(project.root, tmp, list(INPUTS))
        run_tool("pipenv", ["verify"], reporter, step="check", cwd=tmp,
                 error="Pipfile.lock is out of date with the Pipfile (pipenv verify)")


__all__ = ["lock_pipenv", "export_pipenv", "verify_pipenv"]
