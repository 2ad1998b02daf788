"""Every project env kernelenv knows on this machine (``kernelenv list``) and clean-up (``gc``).

Known projects come from two places: the kernelspecs kernelenv registered (their metadata
names the project folder) and a small index kernelenv keeps of the folders it built
(``$KERNELENV_STATE_HOME/projects.json``, default platformdirs' user state dir
``kernelenv``), so a project whose kernel was removed is still found. Disk use counts every
hard-linked inode once (:func:`kernelenv.history.disk_usage`).

``gc`` removes, and with ``dry_run`` only lists:

* kernelspecs kernelenv wrote whose interpreter is gone (with ``all_kernels``: any
  kernelspec in the user's Jupyter data dir whose ``argv[0]`` is an absolute path that no
  longer exists; other locations are never touched);
* builds past each project's history limit, and half-built env folders (no record, not
  live) left by killed builds, skipping projects where an operation is running;
* entries of kernelenv's user cache (status/detect answers, the detection memo, the content
  memo: :data:`CACHE_FOLDERS` under :func:`kernelenv.answercache.cache_home`) not written for
  :data:`CACHE_MAX_AGE_DAYS` days (projects moved or deleted, locks no longer used; an entry
  still in use is computed and written again once), and temporary files of writes that were
  killed.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .history import disk_usage, history_limit, is_build_id, list_builds, live_build
from .layout import envs_dir

MAX_INDEX_BYTES = 4 * 1024 * 1024
#: Folders of kernelenv's user cache ``gc`` cleans (answercache, projectmemo, contentmemo).
CACHE_FOLDERS = ("answers", "projects", "memo")
#: Cache entries not written for this many days are removed by ``gc``.
CACHE_MAX_AGE_DAYS = 30
#: A cache write's temporary file older than this (seconds) was left by a killed process.
CACHE_TMP_MAX_AGE = 3600


def _index_path() -> Path:
    home = os.environ.get("KERNELENV_STATE_HOME")
    if home:
        return Path(home) / "projects.json"
    from platformdirs import user_state_dir

    return Path(user_state_dir("kernelenv")) / "projects.json"


def _read_index() -> list[str]:
    p = _index_path()
    try:
        if p.stat().st_size > MAX_INDEX_BYTES:
            return []
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    roots = data.get("projects") if isinstance(data, dict) else None
    return [r for r in roots if isinstance(r, str) and os.path.isabs(r)] if isinstance(roots, list) else []


def live_env_folders() -> list[Path]:
    """The env folders the projects in the machine's index use now (their ``.venv`` /
    ``.conda`` link targets), newest first, each only where it lies in that project's own
    ``.kernelenv/envs`` (a link a project folder points elsewhere is not believed)."""
    from .layout import envs_dir, link_target

    out: list[Path] = []
    for r in _read_index():
        root = Path(r)
        for name in (".venv", ".conda"):
            try:
                target = link_target(root / name)
            except OSError:
                continue
            if target is not None and target.parent == envs_dir(root) and target.is_dir():
                out.append(target)
    return sorted(out, key=_mtime, reverse=True)


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def remember(root: Path) -> None:
    """Add ``root`` to the machine's project index (best effort: a failure is ignored)."""
    import filelock

    p = _index_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(str(p) + ".lock", timeout=5):
            roots = _read_index()
            if str(root) in roots:
                return
            roots.append(str(root))
            tmp = p.with_name(p.name + ".tmp")
            tmp.write_text(json.dumps({"projects": sorted(roots)}, indent=1), encoding="utf-8")
            os.replace(tmp, p)
    except (OSError, filelock.Timeout):
        pass


@dataclass
class KnownEnv:
    """One project env on this machine.

    Args:
        root: the project folder. exists: the folder is still there.
        backend, status, reason: from the project's state and status rules (``gone`` when
            the folder is gone; ``unknown`` when it holds no detectable project).
        kernels: kernelspec names kernelenv registered for it.
        builds: builds kept (with a record). disk: :func:`kernelenv.history.disk_usage` of its env folders
            (``unique`` counts hard links once; ``freed`` is what deleting them would free).
    """

    root: Path
    exists: bool
    status: str
    reason: str = ""
    backend: str | None = None
    kernels: list[str] = field(default_factory=list)
    builds: int = 0
    disk: dict[str, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["root"] = str(self.root)
        return d


def known_envs(*, sizes: bool = True) -> list[KnownEnv]:
    """Every project env kernelenv knows on this machine, sorted by folder."""
    from .kernels import iter_registered

    kernels: dict[str, list[str]] = {}
    for k in iter_registered():
        if k.project.is_absolute():
            kernels.setdefault(str(k.project), []).append(k.name)
    roots = sorted(set(_read_index()) | set(kernels))
    out = []
    for r in roots:
        root = Path(r)
        env = KnownEnv(root=root, exists=root.is_dir(), status="gone", kernels=sorted(kernels.get(r, [])))
        if env.exists:
            _fill(env, sizes)
        out.append(env)
    return out


def _fill(env: KnownEnv, sizes: bool) -> None:
    from .detect import find_project

    try:
        project = find_project(env.root)
    except Exception as e:  # one bad project never hides the others
        env.status, env.reason = "unknown", f"cannot read the project: {e}"
        return
    if project is None or project.root != env.root:
        env.status, env.reason = "unknown", "no environment files here any more"
    else:
        from .state import project_status

        rep = project_status(project)
        env.status, env.reason, env.backend = rep.status.value, rep.reason, rep.backend or project.backend.value
    builds = [e for e in list_builds(env.root) if e.env_exists]
    env.builds = len([e for e in builds if e.record is not None])
    if sizes:  # every folder under envs/, half-built ones included: they use the disk too
        ed = envs_dir(env.root)
        env.disk = disk_usage(sorted(ed.iterdir()) if ed.is_dir() else [])


@dataclass
class GcItem:
    """One thing ``gc`` removes: ``kind`` is ``kernel``, ``foreign-kernel``, ``old-build``,
    ``half-built`` or ``cache``; ``path`` what is deleted (for ``cache``, the cache folder
    whose ``files`` are deleted); ``why`` one line; ``bytes`` what it frees."""

    kind: str
    path: Path
    why: str
    bytes: int = 0
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": str(self.path), "why": self.why, "bytes": self.bytes}


def gc(*, all_kernels: bool = False, dry_run: bool = False) -> list[GcItem]:
    """Find (and unless ``dry_run`` remove) dead kernels, builds past the limit and
    half-built folders; see the module docstring. Returns what was (or would be) removed."""
    from .kernels import _is_ours, iter_registered
    from .locking import is_locked

    items: list[GcItem] = []
    for k in iter_registered():
        if not k.alive and _is_ours(k):
            items.append(GcItem("kernel", k.spec_dir, f"kernelenv kernel {k.name}: interpreter {k.python} is gone"))
    if all_kernels:
        items += _dead_foreign_kernels({i.path for i in items})
    for env in known_envs(sizes=False):
        if not env.exists or is_locked(env.root):
            continue
        items += _build_garbage(env.root)
    items += _cache_garbage()
    if dry_run:
        return items
    from .errors import ProjectBusyError
    from .locking import project_lock

    done = []
    for it in items:
        if it.kind in ("kernel", "foreign-kernel"):
            shutil.rmtree(it.path, ignore_errors=True)
            done.append(it)
            continue
        if it.kind == "cache":
            for f in it.files:
                try:
                    f.unlink()
                except OSError:
                    pass
            done.append(it)
            continue
        root = it.path.parent.parent.parent  # <root>/.kernelenv/envs/<id>
        try:
            with project_lock(root, "gc"):
                _remove_build(root, it.path)
            done.append(it)
        except ProjectBusyError:
            continue  # an operation started meanwhile: its folders are left alone
    return done


def _dead_foreign_kernels(already: set[Path]) -> list[GcItem]:
    from jupyter_core.paths import jupyter_data_dir

    d = Path(jupyter_data_dir()) / "kernels"
    out = []
    if not d.is_dir():
        return out
    for spec in sorted(d.iterdir()):
        kj = spec / "kernel.json"
        if spec in already or spec.is_symlink() or not kj.is_file():
            continue
        try:
            data = json.loads(kj.read_text(encoding="utf-8"))
            from .activation import program

            argv0 = program(data["argv"])
        except (OSError, ValueError, RecursionError, KeyError, IndexError, TypeError):
            continue
        if isinstance(argv0, str) and os.path.isabs(argv0) and not os.path.exists(argv0):
            out.append(GcItem("foreign-kernel", spec, f"kernelspec {spec.name}: interpreter {argv0} is gone"))
    return out


def _build_garbage(root: Path) -> list[GcItem]:
    from .history import TRASH_PREFIX, history_dir

    out = []
    live = live_build(root)
    ed = envs_dir(root)
    if not ed.is_dir():
        return out
    keep = history_limit(root)
    usable = [e for e in list_builds(root) if e.id != live and e.record is not None and e.env_exists
              and e.record.root in ("", str(root))]
    keep_ids = {live} | {e.id for e in usable[max(0, len(usable) - keep):]} if keep > 0 else {live}
    for child in sorted(ed.iterdir()):
        if child.name in keep_ids:
            continue
        recorded = is_build_id(child.name) and (history_dir(root) / f"{child.name}.json").is_file()
        if child.name.startswith(TRASH_PREFIX):
            out.append(GcItem("old-build", child, f"{root}: {child.name} passed the history limit ({keep}) and "
                              "was moved aside to be deleted", disk_usage([child])["freed"]))
        elif not recorded and child.name != live:
            out.append(GcItem("half-built", child, f"{root}: {child.name} has no build record (a killed build?)",
                              disk_usage([child])["freed"]))
        elif recorded:
            out.append(GcItem("old-build", child, f"{root}: {child.name} is past the history limit ({keep})",
                              disk_usage([child])["freed"]))
    return out


def _cache_garbage(now: float | None = None) -> list[GcItem]:
    """One ``cache`` item per folder of :data:`CACHE_FOLDERS` holding entries not written for
    :data:`CACHE_MAX_AGE_DAYS` days or temporary files older than :data:`CACHE_TMP_MAX_AGE`
    (``now``: ``time.time()`` by default). Links and folders in there are never followed."""
    import time

    from .answercache import cache_home

    now = time.time() if now is None else now
    out = []
    for name in CACHE_FOLDERS:
        folder = Path(cache_home()) / name
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        stale, freed = [], 0
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            if not e.is_file(follow_symlinks=False):
                continue
            if now - st.st_mtime > (CACHE_TMP_MAX_AGE if e.name.endswith(".tmp") else CACHE_MAX_AGE_DAYS * 86400):
                stale.append(Path(e.path))
                freed += st.st_size
        if stale:
            out.append(GcItem("cache", folder, f"{len(stale)} cached entries not written for {CACHE_MAX_AGE_DAYS} "
                              "days (or left by a killed write)", freed, sorted(stale)))
    return out


def _remove_build(root: Path, path: Path) -> None:
    from .history import _delete_build

    if is_build_id(path.name):
        _delete_build(root, path.name)
    else:
        shutil.rmtree(path, ignore_errors=True)
