"""Build history: the last N builds of a project, their records, diffs and rollback.

Every finished build stays in ``<project>/.kernelenv/envs/<build-id>/`` and gets a record
``<project>/.kernelenv/history/<build-id>.json`` plus, when it was built from a lock, a
byte copy of that lock (``<build-id>.lock``). The record says when and why the build was
made (``create``, ``rebuild``, ``add attrs`` ...), which folder it was built for, and its
package set read from disk after the build (``*.dist-info`` for venvs, ``conda-meta`` plus
dist-info for conda prefixes).

``rollback`` makes an earlier build live again by switching the live link (``.venv`` or
``.conda``) with one ``os.replace``: no solve, no download, no network. The kernel's
``argv`` runs the env through that link, so the kernel name stays the same and open
notebooks only restart. The lock file the build was made from is restored.

How many earlier builds are kept besides the live one: ``KERNELENV_HISTORY``, else
``history = N`` in the project's ``[tool.kernelenv]`` table, else 3; ``0`` keeps none.
uv and rattler install by hard link from their caches, so an old build usually costs far
less than its apparent size: :func:`disk_usage` counts each inode once and reports what
deleting a set of folders would really free.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import KernelenvError
from .hashing import file_digest
from .layout import environment_dir, envs_dir, link_target, live_link, python_in

if TYPE_CHECKING:
    from .model import Project

RECORD_VERSION = 1
DEFAULT_KEEP = 3
MAX_KEEP = 100
MAX_RECORD_BYTES = 4 * 1024 * 1024
BUILD_ID_RE = re.compile(r"^b-[0-9]{14}-[0-9a-f]{6}$")


class HistoryError(KernelenvError):
    """A build cannot be listed or rolled back to (missing, deleted by hand, corrupt record).

    The live env is never touched when this is raised.
    """

    code = "history-error"


def history_dir(root: Path, environment: str | None = None) -> Path:
    """``<root>/.kernelenv/history``: one ``<build-id>.json`` record (and lock copy) per build
    (a pixi environment other than ``default``: ``history`` in its
    :func:`kernelenv.layout.environment_dir`)."""
    return environment_dir(root, environment) / "history"


#: The name prefix of a build folder moved aside to be deleted (:func:`prune` with ``defer``).
TRASH_PREFIX = ".deleting-"


def is_build_id(name: str) -> bool:
    """Whether ``name`` has the shape of a build folder name (``b-YYYYmmddHHMMSS-xxxxxx``)."""
    return bool(BUILD_ID_RE.match(name))


@dataclass
class BuildRecord:
    """What one build was made from and what it holds.

    Args:
        id: the build folder's name (``b-20250101120000-a1b2c3``).
        created: UTC time, ISO 8601 (``2025-01-01T12:00:00Z``); ``created_ts`` the same in
            seconds since the epoch.
        reason: why it was built: ``create``, ``rebuild``, ``add attrs``, ``record`` ...
        backend, env_kind: ``uv``/``rattler``/... and ``venv``/``conda``.
        from_lock: installed exactly from ``lock`` (a path relative to the project).
        lock_sha256: ``sha256:<hex>`` of the lock copy kept beside the record (``None``: no lock).
        python_version: the env's Python (``3.11.7``).
        packages: ``{normalized name: version}`` read from the env on disk.
        inputs: ``{relative path: sha256 or None}`` of the env files it was built from
            (the state file's ``inputs``, restored on rollback).
        lock_record: the state's lock bookkeeping when it was built (restored on rollback).
        root: the folder the build was made for.
        environment: pixi environment, if any.
        snapshot: the state's drift baseline (:func:`kernelenv.drift.snapshot`) at build
            time, restored on rollback.
    """

    id: str
    created: str
    created_ts: float
    reason: str
    backend: str
    env_kind: str
    from_lock: bool
    lock: str | None
    lock_sha256: str | None
    python_version: str | None
    packages: dict[str, str]
    inputs: dict[str, Any] = field(default_factory=dict)
    lock_record: dict[str, Any] | None = None
    root: str = ""
    environment: str | None = None
    snapshot: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"version": RECORD_VERSION, **self.__dict__}

    @classmethod
    def from_dict(cls, data: Any, where: Path) -> "BuildRecord":
        """Validate a parsed record. Raises HistoryError naming ``where`` and the bad field."""
        if not isinstance(data, dict):
            raise HistoryError(f"{where}: not a build record (expected a JSON object)")
        if data.get("version") != RECORD_VERSION:
            raise HistoryError(f"{where}: record version {data.get('version')!r} is not "
                               f"{RECORD_VERSION} (written by another kernelenv?)")
        kinds = {"id": str, "created": str, "created_ts": (int, float), "reason": str,
                 "backend": str, "env_kind": str, "from_lock": bool, "packages": dict}
        for key, kind in kinds.items():
            if not isinstance(data.get(key), kind):
                raise HistoryError(f"{where}: field {key!r} is missing or of the wrong type")
        if not is_build_id(data["id"]) or data["id"] != where.stem:
            raise HistoryError(f"{where}: field 'id' {data['id']!r} does not name this build")
        if data["env_kind"] not in ("venv", "conda"):
            raise HistoryError(f"{where}: field 'env_kind' must be venv or conda")
        lock = data.get("lock")
        if lock is not None and (not isinstance(lock, str) or not _safe_relative(lock)):
            raise HistoryError(f"{where}: field 'lock' {lock!r} is not a file inside the project")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in data["packages"].items()):
            raise HistoryError(f"{where}: field 'packages' must map names to versions")
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


def _safe_relative(rel: str) -> bool:
    p = Path(rel)
    return bool(rel) and not p.is_absolute() and ".." not in p.parts and "\\" not in rel


def history_limit(root: Path) -> int:
    """How many earlier builds to keep besides the live one.

    ``KERNELENV_HISTORY`` (an integer), else ``[tool.kernelenv] history`` in
    ``<root>/pyproject.toml``, else 3. Values are clamped to 0..100; an unreadable value
    falls back to the next source.
    """
    env = os.environ.get("KERNELENV_HISTORY", "").strip()
    if env:
        try:
            return max(0, min(MAX_KEEP, int(env)))
        except ValueError:
            pass
    pp = root / "pyproject.toml"
    if pp.is_file():
        from .contentmemo import memoized

        # kept by the file's digest: a build does not parse the pyproject again for it
        value = memoized("history-setting", [pp], lambda: _history_setting(pp))
        if isinstance(value, int) and not isinstance(value, bool):
            return max(0, min(MAX_KEEP, value))
    return DEFAULT_KEEP


def _history_setting(pyproject: Path) -> Any:
    """``[tool.kernelenv] history`` of ``pyproject`` as written, ``None`` when absent or unreadable."""
    try:
        from .parsers.pyproject import read_pyproject

        value = read_pyproject(pyproject).kernelenv.get("history")
    except Exception:  # a malformed pyproject is reported by detect, not here
        return None
    return value if isinstance(value, (int, str, float, bool)) else None


def save_record(root: Path, build_dir: Path, *, reason: str, backend: str, env_kind: str,
                from_lock: bool, lock: Path | None, python_version: str | None,
                packages: dict[str, str], inputs: dict[str, Any],
                lock_record: dict[str, Any] | None, environment: str | None,
                snapshot: dict[str, Any] | None = None) -> BuildRecord:
    """Write the record of a finished build (and a copy of its lock) into the history of its
    pixi ``environment``. Returns it."""
    d = history_dir(root, environment)
    d.mkdir(parents=True, exist_ok=True)
    lock_rel = lock_sha = None
    if from_lock and lock is not None and lock.is_file():
        lock_rel = lock.relative_to(root).as_posix()
        tmp = d / f"{build_dir.name}.lock.tmp"
        shutil.copyfile(lock, tmp)
        os.replace(tmp, d / f"{build_dir.name}.lock")
        lock_sha = file_digest(d / f"{build_dir.name}.lock")
    now = time.time()
    rec = BuildRecord(
        id=build_dir.name, created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        created_ts=now, reason=reason, backend=backend, env_kind=env_kind, from_lock=from_lock,
        lock=lock_rel, lock_sha256=lock_sha, python_version=python_version,
        packages=dict(sorted(packages.items())), inputs=inputs, lock_record=lock_record,
        root=str(root), environment=environment, snapshot=snapshot,
    )
    tmp = d / f"{build_dir.name}.json.tmp"
    tmp.write_text(json.dumps(rec.to_dict(), indent=1), encoding="utf-8")
    os.replace(tmp, d / f"{build_dir.name}.json")
    return rec


def read_record(root: Path, build_id: str, environment: str | None = None) -> BuildRecord:
    """The record of build ``build_id``.

    Raises:
        HistoryError: not a build id, no record, unreadable or malformed record.
    """
    if not is_build_id(build_id):
        raise HistoryError(f"{build_id!r} is not a build id (they look like b-20250101120000-a1b2c3; "
                           "`kernelenv history` lists them)")
    path = history_dir(root, environment) / f"{build_id}.json"
    try:
        if path.stat().st_size > MAX_RECORD_BYTES:
            raise HistoryError(f"{path}: record larger than {MAX_RECORD_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryError(f"No record of build {build_id} in {history_dir(root, environment)} "
                           "(`kernelenv history` lists the builds kept)") from None
    except (OSError, ValueError, RecursionError) as e:
        raise HistoryError(f"{path}: unreadable build record: {e}") from None
    return BuildRecord.from_dict(data, path)


@dataclass
class BuildEntry:
    """One build as ``kernelenv history`` shows it.

    Args:
        id: build id. record: its record, or ``None`` when ``error`` says why not.
        live: the live link points at it. env_exists: its env folder is on disk.
        changes: differences to the previous build in the list (``+attrs 24.2.0``,
            ``numpy 2.1.3 → 2.2.0``, ``-six 1.16.0``); ``[]`` for the first.
        freed_bytes: what deleting this build would free (inodes linked from nowhere
            else: uv/rattler caches and other builds share the rest).
        error: why the record could not be read.
    """

    id: str
    record: BuildRecord | None
    live: bool
    env_exists: bool
    changes: list[str] = field(default_factory=list)
    freed_bytes: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        rec = self.record
        return {
            "id": self.id, "live": self.live, "env_exists": self.env_exists,
            "created": rec.created if rec else None, "reason": rec.reason if rec else None,
            "backend": rec.backend if rec else None,
            "python_version": rec.python_version if rec else None,
            "lock": rec.lock if rec else None, "packages": len(rec.packages) if rec else None,
            "changes": self.changes, "freed_bytes": self.freed_bytes, "error": self.error,
        }


def diff_packages(old: dict[str, str], new: dict[str, str]) -> list[str]:
    """Human lines for the change from ``old`` to ``new`` (``{name: version}`` each):
    ``+name version``, ``-name version`` and ``name old → new``, sorted by name."""
    out = []
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name), new.get(name)
        if a is None:
            out.append(f"+{name} {b}")
        elif b is None:
            out.append(f"-{name} {a}")
        elif a != b:
            out.append(f"{name} {a} → {b}")
    return out


def live_build(root: Path, environment: str | None = None) -> str | None:
    """The build id the live link (of the pixi ``environment``) points at (``.venv`` or
    ``.conda``), or ``None``."""
    for kind in ("venv", "conda"):
        t = link_target(live_link(root, kind, environment))
        if t is not None and t.parent == envs_dir(root, environment):
            return t.name
    return None


def list_builds(root: Path, *, sizes: bool = False, environment: str | None = None) -> list[BuildEntry]:
    """Every build of the project (of its pixi ``environment``) with a record or an env
    folder, oldest first.

    Args:
        sizes: also compute ``freed_bytes`` per build (walks each env folder).
    """
    ids: set[str] = set()
    hd, ed = history_dir(root, environment), envs_dir(root, environment)
    if hd.is_dir():
        ids |= {p.stem for p in hd.glob("*.json") if is_build_id(p.stem)}
    if ed.is_dir():
        ids |= {p.name for p in ed.iterdir() if is_build_id(p.name)}
    live = live_build(root, environment)
    entries = []
    for bid in ids:
        try:
            rec, err = read_record(root, bid, environment), None
        except HistoryError as e:
            rec, err = None, str(e)
        entries.append(BuildEntry(id=bid, record=rec, live=bid == live,
                                  env_exists=(ed / bid).is_dir(), error=err))
    entries.sort(key=lambda e: (e.record.created_ts if e.record else 0.0, e.id))
    prev: dict[str, str] | None = None
    for e in entries:
        if e.record is None:
            continue
        e.changes = diff_packages(prev, e.record.packages) if prev is not None else []
        prev = e.record.packages
    if sizes:
        for e in entries:
            if e.env_exists:
                e.freed_bytes = disk_usage([ed / e.id])["freed"]
    return entries


def disk_usage(paths: Iterable[Path]) -> dict[str, int]:
    """Disk use of folders, counting every hard-linked inode once.

    Returns:
        ``{"apparent": bytes, "unique": bytes, "freed": bytes, "files": n}``: ``apparent``
        sums every file's size as ``du --apparent-size`` would without hard-link
        dedup; ``unique`` counts each inode once (``du``'s allocated blocks); ``freed`` only
        counts inodes whose every link is inside ``paths``: what deleting them would
        really free (files hard-linked from the uv or rattler cache are not).
    """
    seen: dict[tuple[int, int], list[int]] = {}  # inode -> [links seen, nlink, bytes on disk]
    apparent = files = dir_bytes = 0
    for top in paths:
        for dirpath, dirnames, filenames in os.walk(top):
            for name in filenames + dirnames:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if stat.S_ISDIR(st.st_mode):  # folders cannot be hard-linked
                    dir_bytes += st.st_blocks * 512
                    continue
                files += 1
                apparent += st.st_size
                rec = seen.get((st.st_dev, st.st_ino))
                if rec is None:
                    seen[(st.st_dev, st.st_ino)] = [1, st.st_nlink, st.st_blocks * 512]
                else:
                    rec[0] += 1
    unique = dir_bytes + sum(r[2] for r in seen.values())
    freed = dir_bytes + sum(r[2] for r in seen.values() if r[0] >= r[1])
    return {"apparent": apparent, "unique": unique, "freed": freed, "files": files}


def prune(root: Path, keep: int, environment: str | None = None, *, defer: bool = False) -> list[str]:
    """Delete builds past the limit and leftovers; return the ids deleted.

    Keeps the live build and the ``keep`` most recent other builds that have a valid
    record made for this folder and an env folder. Deletes env folders without a record
    (half-built or killed builds), records whose env folder is gone, builds made for
    another folder (copied with the project) and older builds. ``defer``: each env folder
    is moved aside (renamed to :data:`TRASH_PREFIX` + its id: no longer a build, its record
    already gone) and deleted by a process of its own that nothing waits for
    (:func:`_delete_in_background`); what is left of it is deleted by the next build while it
    installs (``kernelenv.operations``) or by ``kernelenv gc``. Deleting a build's thousands
    of files takes longer than a rebuild from uv's cache. Call it only while holding the
    project's lock.
    """
    entries = list_builds(root, environment=environment)
    live = live_build(root, environment)
    kept = [e for e in entries if e.id != live and e.record is not None and e.env_exists
            and e.record.root in ("", str(root))]  # builds copied along with a project go
    keep_ids = {live} | {e.id for e in kept[max(0, len(kept) - keep):]} if keep > 0 else {live}
    removed = []
    for e in entries:
        if e.id in keep_ids:
            continue
        _delete_build(root, e.id, environment, defer=defer)
        removed.append(e.id)
    return removed


def _delete_build(root: Path, build_id: str, environment: str | None = None, *, defer: bool = False) -> None:
    hd = history_dir(root, environment)
    # the record goes first: a build without a record is garbage either way
    for suffix in (".json", ".lock"):
        try:
            (hd / f"{build_id}{suffix}").unlink()
        except OSError:
            pass
    folder = envs_dir(root, environment) / build_id
    if defer and folder.is_dir() and not folder.is_symlink():
        trash = folder.with_name(TRASH_PREFIX + build_id)
        try:
            folder.rename(trash)
        except OSError:
            pass
        else:
            _delete_in_background(trash)
            return
    shutil.rmtree(folder, ignore_errors=True)


def _delete_in_background(folder: Path) -> None:
    """Start deleting ``folder`` (a build moved aside, a real folder, not a link) in a
    process of its own: ``rm -rf`` (an argument list, no shell) where there is one, detached,
    so neither this operation nor the command that ran it waits for it. Where there is no
    ``rm``, or it cannot start, the folder stays for the next build's garbage collection
    (``kernelenv.operations``) or ``kernelenv gc``."""
    _DELETING[:] = [p for p in _DELETING if p.poll() is None]  # reaps the finished ones (servers)
    rm = shutil.which("rm") if os.name == "posix" else None
    if rm is None:
        return
    try:
        _DELETING.append(subprocess.Popen([rm, "-rf", "--", str(folder)], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True, close_fds=True))
    except OSError:
        pass


#: The ``rm`` processes :func:`_delete_in_background` started that may still run.
_DELETING: list[subprocess.Popen] = []


def fmt_bytes(n: int | None) -> str:
    """``1.2 MB``-style size (powers of 1000), ``?`` for ``None``."""
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@dataclass
class RollbackResult:
    """What :func:`rollback` did.

    Args:
        build: the build now live. previous: the build live before (``None``: none).
        lock_restored: the lock file rewritten from the build's copy (relative path), or
            ``None`` when the build was made from the spec or the lock already matched.
        changes: package differences from the previous live build to this one.
        seconds: wall time of the switch.
    """

    build: str
    previous: str | None
    lock_restored: str | None
    lock_unchanged: bool
    changes: list[str]
    seconds: float
    kernel_name: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def rollback(project: "Project", build: str | None = None, *, wait: float = 0.0) -> RollbackResult:
    """Make an earlier build live again: switch the link, restore its lock and state.

    Runs nothing and touches no network: one ``os.replace`` of the live link plus a few
    small file writes. The kernelspec is unchanged (its ``argv`` goes through the link),
    except when the earlier build is of another env kind (venv vs conda), where it is
    registered again.

    Args:
        project: the project (from :func:`kernelenv.api.detect`).
        build: a build id, or ``None`` for the build made before the live one.
        wait: seconds to wait for a running operation (0: refuse at once).

    Raises:
        ProjectBusyError: a build (or another operation) is running on the project.
        HistoryError: no such build, its env folder was deleted, its interpreter is gone,
            its record is corrupt, or its lock copy does not match its record. The live
            env is untouched in every case.
    """
    from .locking import project_lock
    from .state import read_state, write_state

    root, environment = project.root, project.environment
    start = time.perf_counter()
    with project_lock(root, "rollback", wait=wait):
        current = live_build(root, environment)
        if build is None:
            build = _previous_build(root, current, environment)
        if build == current:
            raise HistoryError(f"Build {build} is already live.")
        rec = read_record(root, build, environment)
        env = envs_dir(root, environment) / build
        if not env.is_dir():
            raise HistoryError(f"The env folder of build {build} ({env}) is gone (deleted by hand?); "
                               "nothing was changed. `kernelenv history` lists the builds kept.")
        if not python_in(env, rec.env_kind).exists():
            raise HistoryError(f"Build {build} has no interpreter at {python_in(env, rec.env_kind)} "
                               "(its base Python was removed?); nothing was changed.")
        if rec.root and rec.root != str(root):
            raise HistoryError(f"Build {build} was made for {rec.root}, not {root} (the project was "
                               "moved or copied): its scripts point there. Run `kernelenv create`; "
                               "nothing was changed.")
        lock_copy = history_dir(root, environment) / f"{build}.lock"
        lock_bytes = None
        if rec.lock is not None:
            lock_bytes = _read_lock_copy(lock_copy, rec)
            target = root / rec.lock
            if target.is_symlink() or not _inside(target.parent.resolve(), root.resolve()):
                raise HistoryError(f"{target}: not a regular file inside {root}; nothing was changed.")
        state = read_state(root, environment) or {}
        old_rec = None
        if current:
            try:
                old_rec = read_record(root, current, environment)
            except HistoryError:
                old_rec = None
        # all checks passed: switch, then restore the lock and the state
        link = live_link(root, rec.env_kind, environment)
        from .layout import switch_link

        switch_link(link, env)
        other = live_link(root, "conda" if rec.env_kind == "venv" else "venv", environment)
        restored = None
        unchanged = False
        if rec.lock is not None and lock_bytes is not None:
            target = root / rec.lock
            try:
                unchanged = target.read_bytes() == lock_bytes
            except OSError:
                unchanged = False
            if not unchanged:
                tmp = target.with_name(target.name + ".kernelenv-tmp")
                tmp.write_bytes(lock_bytes)
                os.replace(tmp, target)
            restored = rec.lock
        prev_kind = state.pop("env_kind", None)
        state.pop("version", None)
        state.update(backend=rec.backend, env_kind=rec.env_kind, build=build, from_lock=rec.from_lock,
                     inputs=rec.inputs, python_version=rec.python_version,
                     packages=len(rec.packages), built_at=rec.created, lock_record=rec.lock_record)
        if isinstance(rec.snapshot, dict):
            state["installed"] = rec.snapshot
        else:
            from .drift import snapshot

            state["installed"] = snapshot(env)
        write_state(root, state, environment=environment)
        if prev_kind != rec.env_kind:
            _reregister(project, rec, link)
            if link_target(other) is not None and link_target(other).parent == envs_dir(root, environment):
                os.unlink(other)  # it points at the build that was live: no longer the project's env
    changes = diff_packages(old_rec.packages, rec.packages) if old_rec else []
    return RollbackResult(build=build, previous=current, lock_restored=restored, lock_unchanged=unchanged,
                          changes=changes, seconds=time.perf_counter() - start,
                          kernel_name=state.get("kernel_name"))


def _inside(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False


def _previous_build(root: Path, current: str | None, environment: str | None = None) -> str:
    usable = [e for e in list_builds(root, environment=environment) if e.record is not None and e.env_exists]
    ids = [e.id for e in usable]
    if current in ids:
        before = ids[:ids.index(current)]
    else:
        before = ids
    if not before:
        raise HistoryError(f"{root}: no earlier build to roll back to (builds kept: "
                           f"{len(ids)}; see `kernelenv history`).")
    return before[-1]


def _read_lock_copy(path: Path, rec: BuildRecord) -> bytes:
    try:
        data = path.read_bytes()
    except OSError:
        raise HistoryError(f"{path}: the copy of {rec.lock} kept for build {rec.id} is missing; "
                           "nothing was changed.") from None
    import hashlib

    if rec.lock_sha256 and "sha256:" + hashlib.sha256(data).hexdigest() != rec.lock_sha256:
        raise HistoryError(f"{path}: the copy of {rec.lock} kept for build {rec.id} does not match "
                           "its record (edited by hand?); nothing was changed.")
    return data


def _reregister(project: "Project", rec: BuildRecord, link: Path) -> None:
    from .kernels import KernelLocation, register
    from .state import read_state

    loc = KernelLocation.from_dict((read_state(project.root, project.environment) or {}).get("kernel_location"))
    register(project, python_in(link, rec.env_kind), rec.python_version, env_path=link, location=loc)
