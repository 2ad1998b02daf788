"""Project detection: find the folders holding env files and decide how to build each.

Rules (issue "Engine and CLI", the corpus INDEX and repo2docker's documented behaviour):

* A **project** is a folder holding at least one env *spec or lock* file:
  ``environment.yml``/``.yaml`` (and ``environment-*.yml`` variants), ``conda-lock.yml``,
  a ``*.lock`` holding ``@EXPLICIT``, ``pixi.toml``/``pixi.lock``, a ``pyproject.toml``
  that is a project (``[project]``, ``[tool.poetry]``, ``[build-system]``,
  ``[dependency-groups]``, ``[tool.uv]``; tool-only config is not), ``uv.lock``,
  ``pylock.toml``, ``poetry.lock``, ``Pipfile``/``Pipfile.lock``, ``requirements*.txt`` or
  ``requirements*.in``. Files that only say something about a project (``setup.py``,
  ``setup.cfg``, ``runtime.txt``, ``.python-version``, ``apt.txt``, ``postBuild``,
  ``start``) are listed when the folder is a project but never make one, and detection
  never executes them (``lock``/``create`` may run a build backend: see
  :mod:`kernelenv.buildcode` and ``Project.runs_build_backend``).
* A folder whose only specs are **tooling requirements** (``requirements-dev.txt``,
  ``-test``, ``-docs``, ``-lint``, ``-ci`` ...) is not a notebook environment and is not
  a project (e.g. astropy-tutorials' ``scripts/requirements-dev.txt``, website tooling);
  beside a main spec they are listed as variants.
* **Monorepos** give one project per folder (each subfolder with its own env files is
  its own project; a project's subfolders are scanned too). A **uv workspace**
  (``[tool.uv.workspace]``) is one project at its root: its members and its
  ``[tool.uv.sources]`` path dependencies are not projects.
* **binder/ or .binder/** (repo2docker): when that folder holds env files it replaces the
  root's files, which are listed as variants; both at once is an error on the project. A
  folder ``kernelenv binder`` generated (it holds ``.kernelenv-generated``) is an output and
  is ignored: the root files stay the spec.
* Pruned: hidden folders (except ``.binder``), ``node_modules``, ``__pycache__``,
  ``build``, ``dist``, ``site-packages``, ``*.egg-info``, ``.kernelenv`` and any
  folder that is an env (holds ``pyvenv.cfg`` or ``conda-meta``). Symlinks that lead
  out of the workspace are not followed; a folder reached twice is scanned once.
  There is nothing special about a folder named ``notebooks``.
* **Backend**: conda files (environment.yml, conda-lock, @EXPLICIT, pixi) -> rattler,
  else uv (pyve's rule). Override priority: the ``backend`` argument, then
  ``KERNELENV_BACKEND``, then ``[tool.kernelenv] backend`` in the project's pyproject.
* **Python request**: conda backends: the env file's ``python`` entry (or pixi's);
  uv: ``runtime.txt`` > ``.python-version`` > ``requires-python`` / Poetry's python >
  Pipfile ``[requires]``.

Detection reads files only; it never runs project code.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import projectmemo
from .errors import EnvFileError
from .folderscan import (BINDER_DIRS, GENERATED_BINDER_MARKER, PRUNE_DIRS, Folder, classify, inside, is_candidate,
                         lock_kind, scan_folder, signature_of)
from .model import Backend, Project


def detect(workspace: Path, *, backend: Backend | str | None = None,
           scanned: list[tuple] | None = None) -> list[Project]:
    """Find every project under ``workspace`` (see the module docstring for the rules).

    Args:
        workspace: the folder to scan recursively.
        backend: force this backend for every project (highest priority).
        scanned: when given, every path detection read is appended to it as the answer
            cache (:mod:`kernelenv.answercache`) watches paths (:func:`read_paths`: each
            folder the walk listed, its env files and binder folders; and ``(path, True)``
            for the other files and paths the readers looked at, such as a requirements
            file's ``-r`` includes), so a caller can tell later whether anything it
            depends on changed.

    Returns:
        Projects sorted by root path. Parse errors are in each ``Project.errors``.

    Raises:
        FileNotFoundError: ``workspace`` does not exist.
        NotADirectoryError: ``workspace`` is a file.
    """
    workspace = Path(workspace).absolute()
    if not workspace.exists():
        raise FileNotFoundError(f"workspace folder not found: {workspace}")
    if not workspace.is_dir():
        raise NotADirectoryError(f"not a folder: {workspace}")
    forced = _backend(backend)
    ws_real = os.path.realpath(workspace)
    projects: list[Project] = []
    claimed: set[str] = set()
    visited: set[str] = set()
    # Depth-first with an explicit stack; (path, realpath).
    stack: list[tuple[str, str]] = [(str(workspace), ws_real)]
    links: list[tuple[str, str]] = []  # symlinked folders: scanned after every real folder
    while stack or links:
        path, real = stack.pop() if stack else links.pop(0)
        if real in visited or real in claimed:
            continue
        visited.add(real)
        folder = scan_folder(path, ws_real)
        if scanned is not None:
            scanned += read_paths(path, folder, (ws_real, True))
        if folder.is_env:
            continue
        if is_candidate(folder):
            deps: list[str] | None = [] if scanned is not None else None
            project = projectmemo.build(folder, workspace, forced, deps)
            if deps:
                scanned += [(p, True) for p in deps]
            if project is not None:
                projects.append(project)
                claimed.update(_claimed_by(project))
        for e in reversed(folder.subdirs):
            try:
                is_link = e.is_symlink()
                sub_real = os.path.realpath(e.path) if is_link else os.path.join(real, e.name)
            except OSError:
                continue
            if not inside(sub_real, ws_real):
                continue
            (links if is_link else stack).append((e.path, sub_real))
    projects.sort(key=lambda p: str(p.root))
    return projects


def read_paths(path: str, folder: Folder, scan: tuple[str | None, bool]) -> list[tuple]:
    """What detection read of one scanned folder (``folder``, from
    :func:`kernelenv.folderscan.scan_folder` of ``path`` with ``scan``, its ``(workspace real
    path or None, want subfolders)`` arguments), as the answer cache
    (:mod:`kernelenv.answercache`) watches it: the folder itself as ``(path, True, scan, its
    signature)`` and its binder folders as ``(path, True, scan)`` (compared by what a scan
    finds there: :func:`kernelenv.folderscan.signature`), its env files, the other files it
    examined and the binder folders' files and generated marker as ``(path, True)``."""
    out: list[tuple] = [(path, True, scan, signature_of(folder))]
    out += [(os.path.join(path, n), True) for n in (*folder.files, *folder.examined)]
    for b in BINDER_DIRS:
        bp = os.path.join(path, b)
        out += [(bp, True, (scan[0], False)), (os.path.join(bp, GENERATED_BINDER_MARKER), True)]
        out += [(os.path.join(bp, n), True) for n in folder.binder.get(b, {})]
    return out


def find_project(path: Path, *, workspace: Path | None = None,
                 backend: Backend | str | None = None) -> Project | None:
    """The nearest project holding ``path`` (a notebook or any file/folder), or ``None``.

    Checks only ``path``'s folder and its parents up to ``workspace`` (inclusive; the
    filesystem root when ``None``): one ``os.scandir`` per candidate folder. A folder
    inside a uv workspace's member resolves to the workspace root. ``binder/`` folders
    belong to their parent.
    """
    path = Path(path).absolute()
    forced = _backend(backend)
    ws = Path(workspace).absolute() if workspace is not None else None
    ws_real = os.path.realpath(ws) if ws is not None else None
    start = path if path.is_dir() else path.parent
    chain = [start, *start.parents]
    if ws is not None:
        if start != ws and ws not in start.parents:
            return None
        chain = chain[: chain.index(ws) + 1]
    for i, d in enumerate(chain):
        if d.name in BINDER_DIRS:
            continue
        folder = scan_folder(d, ws_real, want_subdirs=False)
        if folder.is_env or not is_candidate(folder) or _in_pruned(d, chain[i:], ws):
            continue
        project = projectmemo.build(folder, ws or d, forced)
        if project is None:
            continue
        owner = _workspace_owner(d, chain[i + 1:], ws or d, forced)
        return owner or project
    return None


def root_files_project(project: Project) -> Project | None:
    """``project`` as its own folder's files define it, ignoring ``binder/`` and ``.binder/``.

    :func:`detect` applies repo2docker's rule (a config folder replaces the root files),
    which is right for what Binder builds but not for regenerating that folder from the
    root lock (``kernelenv binder --force``). ``None`` when the project folder itself
    holds no env files.
    """
    folder = scan_folder(project.root, None, want_subdirs=False)
    folder.binder = {}
    if folder.is_env or not is_candidate(folder):
        return None
    from .projectrules import build_project

    forced = project.backend if "(--backend)" in project.backend_reason else None
    own = build_project(folder, project.workspace or project.root, forced)
    if own is not None and project.environment:
        from dataclasses import replace

        own = replace(own, environment=project.environment)
    return own


def _backend(value: Backend | str | None) -> Backend | None:
    if value is None:
        return None
    from .projectrules import parse_backend

    return parse_backend(value)


def _in_pruned(d: Path, chain: list[Path], ws: Path | None) -> bool:
    """Whether :func:`detect` would never reach ``d``: it lies in an env (a folder holding
    ``pyvenv.cfg``/``conda-meta``) or, below ``ws``, in a pruned folder (``node_modules``,
    hidden folders ...). Costs one ``stat`` per ancestor."""
    for a in chain:
        if ws is not None and a == ws:
            break
        n = a.name
        if n and (n in PRUNE_DIRS or n.endswith(".egg-info") or (n[0] == "." and n != ".binder")):
            if ws is not None:
                return True
        if a != d and (os.path.exists(os.path.join(a, "pyvenv.cfg"))
                       or os.path.isdir(os.path.join(a, "conda-meta"))):
            return True
    return False


def _workspace_owner(member: Path, ancestors: list[Path], workspace: Path,
                     forced: Backend | None) -> Project | None:
    real = os.path.realpath(member)
    from .parsers.errors_util import read_text

    for a in ancestors:
        pp = a / "pyproject.toml"
        try:
            if not pp.is_file() or "workspace" not in read_text(pp):
                continue
        except (OSError, EnvFileError):
            continue
        folder = scan_folder(a, None, want_subdirs=False)
        project = projectmemo.build(folder, workspace, forced)
        if project is None:
            continue
        for c in _claimed_by(project):
            if real == c or real.startswith(c + os.sep):
                return project
    return None


def _claimed_by(project: Project) -> list[str]:
    """Real paths of folders a uv workspace root owns (members, path sources), inside the root.

    Never raises: a pyproject that cannot be read, or globs that cannot be used, claim
    nothing (the project itself carries the parse error)."""
    try:
        return _claimed(project)
    except Exception:  # noqa: BLE001 - one project's odd file must not hide the others
        return []


def _claimed(project: Project) -> list[str]:
    pp_path = project.root / "pyproject.toml"
    if project.config_dir is not None or not pp_path.is_file():
        return []
    from .parsers.errors_util import read_text

    try:
        if "workspace" not in read_text(pp_path):  # no [tool.uv.workspace]: nothing to parse
            return []
        from .parsers.pyproject import read_pyproject

        pp = read_pyproject(pp_path)
    except EnvFileError:
        return []
    if not pp.is_uv_workspace:
        return []
    root = project.root
    out: list[str] = []
    excluded: set[str] = set()
    def safe(pattern: str) -> bool:
        # A glob out of the root ("../../**", "/") would walk the whole disk before the
        # inside() check drops what it found: such members are never claimed.
        p = Path(pattern)
        return bool(pattern) and not p.is_absolute() and ".." not in p.parts

    for pattern in filter(safe, pp.workspace_exclude):
        for m in root.glob(pattern):
            excluded.add(os.path.realpath(m))
    root_real = os.path.realpath(root)
    for pattern in filter(safe, pp.workspace_members):
        for m in root.glob(pattern) if any(c in pattern for c in "*?[") else [root / pattern]:
            r = os.path.realpath(m)
            if m.is_dir() and r not in excluded and r != root_real and inside(r, root_real):
                out.append(r)
    for rel in pp.path_sources:
        m = root / rel
        r = os.path.realpath(m)
        if m.is_dir() and inside(r, os.path.realpath(root)) and r != os.path.realpath(root):
            out.append(r)
    return out



__all__ = ["detect", "find_project", "root_files_project", "lock_kind", "classify", "PRUNE_DIRS", "BINDER_DIRS"]
