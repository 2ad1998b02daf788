"""``poetry.lock``: written, checked and exported by Poetry itself.

Poetry (https://python-poetry.org/docs/cli/) runs from PyPI, pinned, with
poetry-plugin-export (:mod:`kernelenv.pytools`), never inside the project env:

* ``lock``: ``poetry lock`` (Poetry 2 keeps the locked versions that still fit and
  resolves only what changed, as a Poetry user's ``poetry lock`` does);
* ``create``: ``poetry export --format requirements.txt`` gives the packages
  ``poetry install`` would install (main group, markers of every dependency path kept:
  a 2020 lock-version 1.1 lock whose ``pywin32``/``pywinpty`` are Windows-only
  dependencies of jupyter installs neither on Linux); the lock's hashes come along;
* checks: ``poetry check --lock``.

Poetry runs on copies of ``pyproject.toml`` and ``poetry.lock`` in a staging folder
(:mod:`.staging`): the project's files change only when Poetry succeeded, and Poetry 2's
``[tool.poetry.requires-plugins]`` (which would install plugins from PyPI named by a
hostile pyproject) is removed from the copy. Poetry never builds the project for these
commands.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import BuildError
from ..interpreters import Interpreter
from ..model import Project
from ..progress import Reporter
from ..pytools import run_tool
from .staging import copy_in, move_out, staging

#: Files Poetry reads for lock/export/check (the readme only so its check does not fail).
INPUTS = ("pyproject.toml", "poetry.lock", "poetry.toml")


def _stage(project: Project, tmp: Path) -> None:
    copy_in(project.root, tmp, list(INPUTS))
    _drop_plugin_requests(tmp / "pyproject.toml")


def _drop_plugin_requests(path: Path) -> None:
    """Remove ``[tool.poetry.requires-plugins]`` from the staged pyproject (see the module)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover
        import tomli as tomllib  # type: ignore[no-redef]
    import tomli_w

    if not path.is_file():
        return
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    poetry = data.get("tool", {}).get("poetry")
    if isinstance(poetry, dict) and "requires-plugins" in poetry:
        del poetry["requires-plugins"]
        path.write_text(tomli_w.dumps(data), encoding="utf-8")


def lock_poetry(project: Project, interpreter: Interpreter, reporter: Reporter) -> Path:
    """``poetry lock`` on the project's pyproject.toml; returns ``<root>/poetry.lock``.

    Raises:
        BuildError: Poetry failed (its last line in the message); poetry.lock is unchanged.
    """
    with staging(project.root) as tmp:
        _stage(project, tmp)
        run_tool("poetry", ["lock"], reporter, step="lock", cwd=tmp, error="poetry lock failed")
        return move_out(tmp, project.root, "poetry.lock")


def export_poetry(project: Project, lock: Path, reporter: Reporter) -> list[str]:
    """``poetry export`` of ``lock``: requirement lines with markers and ``--hash`` options.

    Raises:
        BuildError: Poetry refused, e.g. the lock is out of date with pyproject.toml
            ("Run `poetry lock`"), exactly as ``poetry install`` would.
    """
    with staging(project.root) as tmp:
        _stage(project, tmp)
        if lock.parent != project.root:
            copy_in(lock.parent, tmp, [lock.name])
        out = tmp / "requirements-export.txt"
        run_tool("poetry", ["export", "--format", "requirements.txt", "--output", out.name],
                 reporter, step="install", cwd=tmp,
                 error=f"Poetry could not export {lock.name} (as `poetry install` would refuse it)")
        if not out.is_file():
            raise BuildError("install", f"poetry export wrote no {out.name}")
        return _requirement_lines(out.read_text(encoding="utf-8"))


def check_poetry(project: Project, reporter: Reporter) -> None:
    """``poetry check --lock``: raises BuildError when Poetry does not accept poetry.lock."""
    with staging(project.root) as tmp:
        _stage(project, tmp)
        run_tool("poetry", ["check", "--lock"], reporter, step="check", cwd=tmp,
                 error="poetry check --lock failed")


def _requirement_lines(text: str) -> list[str]:
    """Join ``\\``-continued lines; drop comments and blank lines; keep ``--index-url`` ones."""
    lines: list[str] = []
    buf = ""
    for raw in text.splitlines():
        s = raw.strip()
        if s.endswith("\\"):
            buf += s[:-1].strip() + " "
            continue
        s = (buf + s).strip()
        buf = ""
        if s and not s.startswith("#"):
            lines.append(s)
    return lines


__all__ = ["lock_poetry", "export_poetry", "check_poetry"]
