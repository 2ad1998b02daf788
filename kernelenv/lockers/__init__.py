"""Writing and reading each project's own lock format with that format's own tool.

======================  ===================================  ==================================
project                 ``kernelenv lock`` writes            with
======================  ===================================  ==================================
pyproject + uv.lock,    ``uv.lock``                          ``uv lock`` (:mod:`.uv`)
PEP 621 pyproject
Poetry project          ``poetry.lock``                      Poetry (:mod:`.poetry`)
Pipfile                 ``Pipfile.lock``                     pipenv (:mod:`.pipenv`)
requirements.in +       the ``requirements.txt`` compiled    ``uv pip compile --generate-hashes``
requirements.txt        from it, in pip-compile's layout     (:mod:`.pipcompile`)
plain requirements.txt  ``pylock.toml`` (PEP 751)            ``uv pip compile --format pylock.toml``
                                                             (:mod:`.pylock`)
======================  ===================================  ==================================

Conda projects (conda-lock.yml, pixi.lock) are locked by :mod:`kernelenv.backends.rattler`.
Poetry and pipenv run from PyPI, pinned (:mod:`kernelenv.pytools`).

Every writer works on copies in a staging folder (:mod:`.staging`) and moves the new lock
into place with one ``os.replace``: a failing or killed tool leaves the project's spec
and lock byte-identical.

``lock`` = one call: :func:`lock_project` (the CLI, ``kernelenv add``/``remove`` and the
faces all use it); :func:`lock_format` says which format a project gets.
"""

from __future__ import annotations

from pathlib import Path

from ..interpreters import Interpreter
from ..model import FileRole, Project
from ..progress import Reporter

#: The formats :func:`lock_format` returns.
FORMATS = ("uv.lock", "poetry.lock", "Pipfile.lock", "pip-compile", "pylock.toml")


def lock_format(project: Project) -> str:
    """Which lock a pip-world project keeps (one of :data:`FORMATS`), by its own convention.

    * ``poetry.lock``: the project has a poetry.lock, or a ``[tool.poetry]`` pyproject
      and no uv.lock;
    * ``uv.lock``: it has a uv.lock, or a PEP 621 ``[project]`` pyproject;
    * ``Pipfile.lock``: its spec is a Pipfile (or it has a Pipfile.lock);
    * ``pip-compile``: a ``requirements*.in`` beside the ``requirements*.txt`` compiled from it;
    * ``pylock.toml``: anything else (a plain requirements file): no convention of its own.
    """
    kinds = {f.kind for f in project.files_of(FileRole.SPEC, FileRole.LOCK, FileRole.INPUT)}
    lock_kind = next((f.kind for f in project.files_of(FileRole.LOCK)), None)
    if lock_kind in ("uv.lock", "poetry.lock", "Pipfile.lock"):
        return lock_kind
    spec = next((f for f in project.files_of(FileRole.SPEC) if f.path == project.spec), None)
    if spec is not None and spec.kind == "Pipfile":
        return "Pipfile.lock"
    if spec is not None and spec.kind == "pyproject":
        pp = _pyproject(spec.path)
        if pp is not None and pp.is_poetry:
            return "poetry.lock"
        if pp is not None and pp.has_project_table:
            return "uv.lock"
    if pip_compile_pair(project) is not None:
        return "pip-compile"
    if "Pipfile" in kinds:
        return "Pipfile.lock"
    return "pylock.toml"


def pip_compile_pair(project: Project) -> tuple[Path, Path] | None:
    """``(requirements.in, requirements.txt)`` when the project compiles one into the other,
    or when its spec is a lone ``requirements*.in`` (pip-tools' convention: its output is the
    ``.txt`` of the same name)."""
    for f in project.files_of(FileRole.INPUT):
        if f.kind != "requirements.in":
            continue
        out = f.path.with_name(f.path.name[: -len(".in")] + ".txt")
        if any(g.path == out for g in project.files_of(FileRole.SPEC, FileRole.LOCK)):
            return f.path, out
    spec = next((f for f in project.files_of(FileRole.SPEC) if f.path == project.spec), None)
    if spec is not None and spec.kind == "requirements.in":
        out = spec.path.with_name(spec.path.name[: -len(".in")] + ".txt")
        if not out.exists():
            return spec.path, out
    return None


def compiled_requirements(project: Project) -> Path | None:
    """The pip-compile ``requirements.txt`` of the project when it already pins every
    requirement exactly (``==``, no URLs): compiled output is a lock in all but hashes, so
    ``rebuild`` installs it as it is instead of re-compiling (and rewriting) it. ``None``
    otherwise. File reads only."""
    pair = pip_compile_pair(project)
    if pair is None or not pair[1].is_file():
        return None
    from ..errors import EnvFileError
    from ..parsers.requirements import read_requirements

    try:
        lines = [r for r in read_requirements(pair[1]) if not r.constraint]
    except EnvFileError:
        return None
    reqs = [r.requirement for r in lines if r.requirement is not None]
    if not reqs or any(r.url for r in lines) or len(reqs) != len([r for r in lines if r.requirement or r.url]):
        return None
    for req in reqs:
        if req.url or len(req.specifier) != 1 or next(iter(req.specifier)).operator not in ("==", "==="):
            return None
    return pair[1]


def lock_project(project: Project, interpreter: Interpreter, reporter: Reporter) -> Path:
    """Write ``project``'s lock in its own format (see :func:`lock_format`) and return its path.

    Args:
        project: a pip-world project (uv backend).
        interpreter: the Python the project's env uses (the target of platform-specific
            resolutions: pip-compile, pylock.toml, the tool's own interpreter checks).
        reporter: progress, log and cancellation.

    Raises:
        BuildError: the tool failed (message with its last line); nothing was changed.
        EnvFileError: a spec cannot be read.
        CancelledError: cancelled; nothing was changed.
    """
    fmt = lock_format(project)
    if fmt == "uv.lock":
        from .uv import lock_uv

        return lock_uv(project, interpreter, reporter)
    if fmt == "poetry.lock":
        from .poetry import lock_poetry

        return lock_poetry(project, interpreter, reporter)
    if fmt == "Pipfile.lock":
        from .pipenv import lock_pipenv

        return lock_pipenv(project, interpreter, reporter)
    if fmt == "pip-compile":
        from .pipcompile import lock_pip_compile

        return lock_pip_compile(project, interpreter, reporter)
    from .pylock import lock_pylock

    return lock_pylock(project, interpreter, reporter)


def export_requirements(project: Project, lock: Path, reporter: Reporter) -> list[str]:
    """The lock's runtime packages as pip requirement lines, as its own tool exports them.

    ``name==version ; marker --hash=...`` lines (markers kept, so the installer evaluates
    them for the env's platform and Python): ``poetry export`` for poetry.lock (main
    group, extras off), ``pipenv requirements --hash`` for Pipfile.lock (``default``).

    Raises:
        BuildError: the tool refused (e.g. Poetry: the lock is out of date with pyproject.toml).
        ValueError: ``lock`` is neither a poetry.lock nor a Pipfile.lock.
    """
    if lock.name == "poetry.lock":
        from .poetry import export_poetry

        return export_poetry(project, lock, reporter)
    if lock.name == "Pipfile.lock":
        from .pipenv import export_pipenv

        return export_pipenv(project, lock, reporter)
    raise ValueError(f"{lock.name}: no tool export for this lock format")


def cached_export(project: Project, lock: Path) -> list[str] | None:
    """The lines :func:`export_requirements` last gave for this exact lock and spec, or ``None``.

    File reads only (for ``status``, code lenses, adopt checks): the export is cached in
    ``.kernelenv/exports/`` under a digest of the lock, the spec beside it and the tool
    version, so any edit to either makes it absent again.
    """
    path = _export_cache(project, lock)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    return [ln for ln in text.splitlines() if ln.strip()]


def export_requirements_cached(project: Project, lock: Path, reporter: Reporter) -> list[str]:
    """:func:`export_requirements`, served from and stored in the export cache."""
    hit = cached_export(project, lock)
    if hit is not None:
        return hit
    lines = export_requirements(project, lock, reporter)
    path = _export_cache(project, lock)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob("*.txt"):
        old.unlink(missing_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    import os

    os.replace(tmp, path)
    return lines


def _export_cache(project: Project, lock: Path) -> Path:
    import hashlib

    from ..layout import state_dir
    from ..pytools import TOOLS

    spec = lock.with_name("pyproject.toml" if lock.name == "poetry.lock" else "Pipfile")
    h = hashlib.sha256()
    tool = TOOLS["poetry" if lock.name == "poetry.lock" else "pipenv"]
    h.update(tool.resolved_requirement().encode())
    for f in (lock, spec):
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"-")
    return state_dir(project.root) / "exports" / f"{lock.name}-{h.hexdigest()[:32]}.txt"


def _pyproject(path: Path):
    from ..errors import EnvFileError
    from ..parsers.pyproject import read_pyproject

    try:
        return read_pyproject(path)
    except EnvFileError:
        return None


__all__ = ["FORMATS", "lock_format", "lock_project", "export_requirements", "pip_compile_pair",
           "cached_export", "export_requirements_cached", "compiled_requirements"]
