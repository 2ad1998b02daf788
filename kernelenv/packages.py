"""Packages of a project: add, remove, record hand installs, list what is installed.

Every change follows one transaction:

1. under the project's lock (:mod:`kernelenv.locking`), the bytes of every env file and
   lock the change may touch (and the state file) are kept in memory;
2. the spec is edited in place (:mod:`kernelenv.spec_edit`), or, for a uv project (a
   pyproject ``[project]`` with uv.lock or no lock), ``uv add`` / ``uv remove
   --no-sync`` edit it and uv.lock;
3. a project that had a lock is re-locked in its own format (the backend's ``lock``); a
   pip-compile project's ``requirements.in`` is the file edited, and its
   ``requirements.txt`` is compiled again from it (:mod:`kernelenv.lockers.pipcompile`);
4. the env is built aside and switched (:func:`kernelenv.operations._build`).

Any failure or cancel in 2-4 (a package that does not exist, an unsatisfiable
request, a tool that fails or is killed) writes the kept bytes back, so the spec and
lock are byte-identical to before and the env and kernel were never touched. The kept
bytes are also written to a journal (``.kernelenv/edit-journal/``) before the edit: when
kernelenv itself is killed in the middle, the next operation on the project (or
``status`` through :func:`recover`) puts them back first.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import KernelenvError
from .failures import recording_failure
from .kernels import KernelLocation
from .layout import ensure_state_dir, live_link, site_packages, state_dir, state_file
from .locking import project_lock
from .model import EnvFile, FileRole, Project, Status, StatusReport
from .progress import Reporter
from .spec_edit import CONDA_KINDS, EDITABLE_KINDS, Change, conda_name, declared_names, edit_spec, pip_name

#: Lock files a re-lock may create or rewrite (kept and restored on failure).
_LOCK_NAMES = ("uv.lock", "pylock.toml", "poetry.lock", "Pipfile.lock", "conda-lock.yml", "pixi.lock",
               "requirements.txt")


def spec_target(project: Project) -> EnvFile:
    """The spec file ``add``/``remove`` edit.

    conda projects: environment.yml or pixi.toml; pip projects: the ``requirements.in``
    (role :attr:`FileRole.INPUT`) of a pip-compile project (its ``requirements.txt`` is
    compiled from it, see :func:`kernelenv.lockers.pip_compile_pair`), else
    pyproject.toml, Pipfile, then the first requirements file.

    Raises:
        KernelenvError: the project has no spec kernelenv can edit.
    """
    specs = [f for f in project.files_of(FileRole.SPEC) if f.kind in EDITABLE_KINDS]
    if project.backend.env_kind == "conda":
        specs = [f for f in specs if f.kind in CONDA_KINDS]
    else:
        source = _compile_input(project)
        if source is not None:
            return source
    order = {"environment.yml": 0, "pixi.toml": 0, "pyproject": 1, "Pipfile": 2, "requirements.in": 3,
             "requirements": 4}
    specs.sort(key=lambda f: (order.get(f.kind, 9), f.path.name != "requirements.txt", str(f.path)))
    if not specs:
        raise KernelenvError(f"{project.root}: no spec file kernelenv can edit (requirements.txt, "
                             "pyproject.toml, Pipfile, environment.yml, pixi.toml).")
    return specs[0]


def _compile_input(project: Project) -> EnvFile | None:
    """The ``requirements*.in`` a pip-compile project compiles its existing
    ``requirements*.txt`` from, when that is the project's lock format; else ``None``."""
    from .lockers import lock_format, pip_compile_pair

    if lock_format(project) != "pip-compile":
        return None
    pair = pip_compile_pair(project)
    if pair is None or not pair[1].exists():
        return None  # a lone requirements.in: edited as the spec, no lock written for it
    return next((f for f in project.files_of(FileRole.INPUT) if f.path == pair[0]), None)


def _uv_project(project: Project, target: EnvFile) -> bool:
    if target.kind != "pyproject" or project.backend.env_kind != "venv":
        return False
    if project.lock is not None and project.lock.name != "uv.lock":
        return False  # Poetry/pipenv/pylock projects keep their own tool's lock
    from .parsers.pyproject import read_pyproject

    return read_pyproject(target.path).has_project_table


def _keep(project: Project) -> dict[Path, bytes | None]:
    paths = {f.path for f in project.files} | {project.root / n for n in _LOCK_NAMES}
    paths.add(state_file(project.root))
    kept: dict[Path, bytes | None] = {}
    for p in paths:
        try:
            kept[p] = p.read_bytes()
        except FileNotFoundError:
            kept[p] = None
    return kept


def _restore(kept: dict[Path, bytes | None]) -> None:
    for p, data in kept.items():
        try:
            if data is None:
                if p.is_file() and not p.is_symlink():
                    p.unlink()
                continue
            if p.read_bytes() == data:
                continue
        except FileNotFoundError:
            pass
        _write_bytes(p, data)


def _journal_dir(root: Path) -> Path:
    return state_dir(root) / "edit-journal"


def _write_journal(root: Path, kept: dict[Path, bytes | None]) -> None:
    """Save ``kept`` (files relative to ``root``) so an interrupted edit can be undone."""
    from .state import current_origin

    ensure_state_dir(root)
    d = _journal_dir(root)
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    files: dict[str, str | None] = {}
    for i, (path, data) in enumerate(sorted(kept.items())):
        rel = path.relative_to(root).as_posix()
        if data is None:
            files[rel] = None
        else:
            (d / f"f{i}").write_bytes(data)
            files[rel] = f"f{i}"
    tmp = d / "manifest.json.tmp"
    tmp.write_text(json.dumps({"origin": current_origin(root), "files": files}), encoding="utf-8")
    os.replace(tmp, d / "manifest.json")  # the journal counts only once complete


def _drop_journal(root: Path) -> None:
    shutil.rmtree(_journal_dir(root), ignore_errors=True)


def recover(root: Path) -> list[str]:
    """Undo an edit a killed ``add``/``remove``/``record`` left half done; the caller holds
    the project's lock.

    Only a journal written for this folder by this host and user is trusted (a journal
    copied in with a repository is deleted unread), and only plain files inside ``root``
    named by it are written.

    Returns:
        The files put back (relative paths), ``[]`` when there was nothing to undo.
    """
    from .state import origin_mismatch

    d = _journal_dir(root)
    try:
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        if d.exists():
            _drop_journal(root)
        return []
    restored: list[str] = []
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if isinstance(files, dict) and not origin_mismatch(manifest, root):
        for rel, blob in files.items():
            target = root / rel
            if not isinstance(rel, str) or rel.startswith("/") or ".." in Path(rel).parts or \
                    target.is_symlink() or not (blob is None or (isinstance(blob, str) and blob.isalnum())):
                continue
            try:
                if blob is None:
                    if target.is_file():
                        target.unlink()
                        restored.append(rel)
                    continue
                data = (d / blob).read_bytes()
                if not target.is_file() or target.read_bytes() != data:
                    _write_bytes(target, data)
                    restored.append(rel)
            except OSError:
                continue
    _drop_journal(root)
    return restored


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".kernelenv-tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _redetect(project: Project) -> Project:
    from .detect import find_project

    fresh = find_project(project.root, backend=project.backend)
    if fresh is None or fresh.root != project.root:
        raise KernelenvError(f"{project.root} is no longer a project after the edit.")
    return replace(fresh, environment=project.environment, workspace=project.workspace)


def _apply(project: Project, changes: list[Change], *, operation: str, reason: str,
           reporter: Reporter | None, wait: float, kernel_location: KernelLocation | None) -> StatusReport:
    from .operations import _build, _check_parse_errors, _lock_unlocked, _with_lock

    reporter = reporter or Reporter()
    with recording_failure(project.root, operation), project_lock(project.root, operation, wait=wait):
        if recover(project.root):
            project = _redetect(project)
        _check_parse_errors(project)
        target = spec_target(project)
        kept = _keep(project)
        _write_journal(project.root, kept)
        try:
            reporter.step("edit", 0.02, f"Editing {target.path.name}")
            if _uv_project(project, target):
                _uv_edit(project, changes, reporter)
                relock = False  # uv add/remove wrote uv.lock
            else:
                text = target.path.read_text(encoding="utf-8")
                for change in changes:
                    text = edit_spec(target.path, target.kind, text, change)
                _write_bytes(target.path, text.encode("utf-8"))
                # a pip-compile requirements.txt is re-compiled from the edited .in (lock or spec)
                relock = (project.lock is not None and project.lock.exists()) or target.role is FileRole.INPUT
            fresh = _redetect(project)
            _check_parse_errors(fresh)
            if relock:
                fresh = _with_lock(fresh, _lock_unlocked(fresh, reporter))
            from_lock = fresh.lock is not None and fresh.lock.exists()
            result = _build(fresh, from_lock=from_lock, python=None, reporter=reporter,
                            kernel_location=kernel_location, strip_builds=False, reason=reason)
        except BaseException:
            _restore(kept)
            _drop_journal(project.root)
            raise
        _drop_journal(project.root)
        return result


def _uv_edit(project: Project, changes: list[Change], reporter: Reporter) -> None:
    from .backends import get_builder
    from .uvtool import run_uv

    python = get_builder(project.backend).select_python(project, None)
    for change in changes:
        group = ["--group", change.group] if change.group else []
        if change.add:
            run_uv(["add", "--no-sync", "--python", str(python.path), *group, *change.add], reporter,
                   step="edit", cwd=project.root, error=f"uv add {' '.join(change.add)} failed")
        if change.remove and change.strict:  # record's removals: only names the spec lists
            run_uv(["remove", "--no-sync", "--python", str(python.path), *group, *change.remove], reporter,
                   step="edit", cwd=project.root, error=f"uv remove {' '.join(change.remove)} failed")


def _validate(project: Project, specs: list[str], pip: bool) -> None:
    conda = project.backend.env_kind == "conda" and not pip
    for s in specs:
        conda_name(s) if conda else pip_name(s)


def add(project: Project, specs: list[str], *, pip: bool = False, group: str | None = None,
        reporter: Reporter | None = None, wait: float = 0.0,
        kernel_location: KernelLocation | None = None) -> StatusReport:
    """See :func:`kernelenv.api.add`."""
    if not specs:
        raise KernelenvError("name at least one package to add")
    _validate(project, specs, pip)
    return _apply(project, [Change(add=tuple(specs), pip=pip, group=group)], operation="add",
                  reason="add " + " ".join(specs), reporter=reporter, wait=wait,
                  kernel_location=kernel_location)


def remove(project: Project, names: list[str], *, pip: bool = False, group: str | None = None,
           reporter: Reporter | None = None, wait: float = 0.0,
           kernel_location: KernelLocation | None = None) -> StatusReport:
    """See :func:`kernelenv.api.remove`."""
    if not names:
        raise KernelenvError("name at least one package to remove")
    return _apply(project, [Change(remove=tuple(names), pip=pip, group=group)], operation="remove",
                  reason="remove " + " ".join(names), reporter=reporter, wait=wait,
                  kernel_location=kernel_location)


def record(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0,
           kernel_location: KernelLocation | None = None) -> StatusReport:
    """See :func:`kernelenv.api.record`."""
    from .state import project_status

    rep = project_status(project)
    if rep.status is not Status.DRIFTED or not rep.drift:
        raise KernelenvError(f"{project.name}: nothing installed by hand to record (status: {rep.status.value}).")
    env = live_link(project.root, project.backend.env_kind, project.environment)
    top = _top_level(env, {d["name"] for d in rep.drift["added"]} | {d["name"] for d in rep.drift["changed"]})
    now = {d["name"]: d["version"] for d in rep.drift["added"] + rep.drift["changed"]}
    conda_owned = _conda_names(env) if project.backend.env_kind == "conda" else set()
    pins_pip = [f"{n}=={now[n]}" for n in sorted(top) if n not in conda_owned]
    pins_conda = [f"{n}={now[n]}" for n in sorted(top) if n in conda_owned]
    gone = tuple(d["name"] for d in rep.drift["removed"])
    changes = []
    if project.backend.env_kind == "conda":
        if pins_conda or gone:
            changes.append(Change(add=tuple(pins_conda), remove=gone, strict=False))
        if pins_pip:
            changes.append(Change(add=tuple(pins_pip), pip=True))
    else:
        changes.append(Change(add=tuple(pins_pip), remove=gone, strict=False))
    if all(not c.add and not c.remove for c in changes):
        raise KernelenvError(f"{project.name}: nothing installed by hand to record.")
    return _apply(project, changes, operation="record", reason="record " + " ".join(pins_pip + pins_conda),
                  reporter=reporter, wait=wait, kernel_location=kernel_location)


def _conda_names(prefix: Path) -> set[str]:
    from .drift import normalize

    try:
        return {normalize(n[:-5].rsplit("-", 2)[0]) for n in os.listdir(prefix / "conda-meta") if n.endswith(".json")}
    except OSError:
        return set()


def _top_level(prefix: Path, names: set[str]) -> set[str]:
    """Of the hand-installed ``names``, those no other of them requires (read from METADATA):
    ``%pip install requests`` records requests, not urllib3 and idna."""
    import importlib.metadata

    from packaging.requirements import InvalidRequirement, Requirement

    from .drift import normalize

    required: set[str] = set()
    for sp in site_packages(prefix):
        for dist in importlib.metadata.distributions(path=[str(sp)]):
            if normalize(dist.metadata.get("Name") or "") not in names:
                continue
            for r in dist.requires or []:
                try:
                    req = Requirement(r)
                except InvalidRequirement:
                    continue
                if req.marker is None or req.marker.evaluate({"extra": ""}):
                    required.add(normalize(req.name))
    return {n for n in names if n not in required}


def installed_packages(project: Project) -> list[dict[str, Any]]:
    """What the live env holds now.

    Returns:
        ``[{"name", "version", "how", "declared"}]`` sorted by name, where ``how`` is
        ``"lock"`` / ``"spec"`` (put there by the last build, from that) or ``"hand"``
        (installed or changed by hand since), and ``declared`` says whether the spec lists
        the package (what ``remove`` can remove); ``[]`` when there is no env.
    """
    from .drift import snapshot
    from .state import read_state

    state = read_state(project.root, project.environment) or {}
    built = state.get("installed") if isinstance(state.get("installed"), dict) else None
    env = live_link(project.root, state.get("env_kind", project.backend.env_kind), project.environment)
    if not env.is_dir():
        return []
    how_built = "lock" if state.get("from_lock") else "spec"
    now = snapshot(env)
    declared: set[str] = set()
    try:
        target = spec_target(project)
        declared = declared_names(target.path, target.kind, target.path.read_text(encoding="utf-8"))
    except (KernelenvError, OSError, UnicodeDecodeError):
        pass
    return [{"name": n, "version": v,
             "how": how_built if built is None or built.get(n) == v else "hand",
             "declared": n in declared}
            for n, v in sorted(now.items())]
