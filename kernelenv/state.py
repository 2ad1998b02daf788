"""The state file (``<project>/.kernelenv/state.json``) and the status rules.

The state file records what the live env was built from: content hashes of the env
files used, the backend, the interpreter, the package count and the kernel. Status
is computed from it and from file hashes only, so ``kernelenv status`` on an
up-to-date project never starts uv, a solver or the env's Python.

Rules, first match wins:

* building: another process holds the project's lock;
* missing: no state file, or the live link / env folder is gone;
* moved: the state was written for another folder that no longer holds the project
  (:mod:`kernelenv.relocate`); a copy whose original still exists is ``missing``;
* broken: the env's interpreter is gone (e.g. its base Python was uninstalled);
* stale: a file the env was built from changed;
* drifted: packages were installed, removed or changed in the env by hand since the
  build (:mod:`kernelenv.drift`: folder names only);
* lock out of date: the spec changed since the lock was written;
* ready.

A state file is only believed for the folder, host and user it was written for
(:func:`origin_mismatch`): one committed to a repository or copied from another
machine is treated as absent, so nothing in it (kernel name, kernel location, env
link) steers kernelenv. Names and paths read from it are still validated where used.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from pathlib import Path
from typing import Any

from .hashing import digests
from .layout import ensure_state_dir, link_target, live_link, own_environment, python_in, state_file
from .locking import is_locked
from .model import FileRole, Project, Status, StatusReport

STATE_VERSION = 1


#: Largest state file read (bytes); a bigger one is not kernelenv's and is ignored.
MAX_STATE_BYTES = 4 * 1024 * 1024


#: ``origin.host`` of a state written while building a container image (``kernelenv adopt``
#: in Binder's postBuild): containers of one image run under changing host names.
ANY_HOST = "*"


def current_origin(root: Path) -> dict[str, str]:
    """Where a state file written now belongs: ``{"root", "host", "user"}``.

    Args:
        root: the project folder; recorded resolved (symlinks followed, absolute).

    ``host`` is :func:`socket.gethostname`, ``user`` is :func:`getpass.getuser` (``""``
    when neither the environment nor the password database names one).
    """
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no LOGNAME/USER and a uid without a passwd entry
        user = ""
    return {"root": str(Path(root).resolve()), "host": _hostname(), "user": user}


def _hostname() -> str:
    """:func:`socket.gethostname`; on POSIX the same name from ``uname`` without importing
    socket (~2 ms of every ``kernelenv status``)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def origin_mismatch(state: dict[str, Any], root: Path) -> dict[str, tuple[str | None, str]]:
    """How a parsed state file's recorded origin differs from this folder, host and user.

    Args:
        state: a state file's content (as :func:`read_raw_state` returns it).
        root: the project folder the file was found in.

    Returns:
        ``{field: (recorded, current)}`` for each of ``root``, ``host`` and ``user`` that
        differs (a recorded host :data:`ANY_HOST` matches any host when the state's env is
        an adopted prefix outside the project: a container image's build); ``{}`` when the state file was written here, for this folder, by this
        user. A state file with no (or a malformed) ``origin`` differs in all three
        (recorded ``None``). A differing ``root`` with the same host and user means the
        project was moved or copied on this machine; a differing host or user means the
        file came from elsewhere (committed to a repository, copied, synced).
    """
    recorded = state.get("origin")
    recorded = recorded if isinstance(recorded, dict) else {}
    out: dict[str, tuple[str | None, str]] = {}
    for key, now in current_origin(root).items():
        value = recorded.get(key)
        value = value if isinstance(value, str) else None
        if key == "host" and value == ANY_HOST and _adopted_from_outside(state, root):
            continue
        if value != now:
            out[key] = (value, now)
    return out


def _adopted_from_outside(state: dict[str, Any], root: Path) -> bool:
    """Whether the state's env is an adopted prefix outside the project folder: the case of
    a state written with ``origin.host`` :data:`ANY_HOST` (``kernelenv adopt`` in an image
    build) that is believed on any host. A repository can ship a link to a prefix that
    exists on the machine, never the prefix's content."""
    build = state.get("build")
    if not isinstance(build, str) or not build or "/" in build or "\\" in build or build.startswith("."):
        return False
    from .layout import envs_dir

    link = envs_dir(root) / build
    if not link.is_symlink():
        return False
    real, real_root = Path(os.path.realpath(link)), Path(os.path.realpath(root))
    return real != real_root and real_root not in real.parents


def read_raw_state(root: Path, environment: str | None = None) -> dict[str, Any] | None:
    """The parsed state file whatever its origin, or ``None`` when absent, unreadable,
    larger than :data:`MAX_STATE_BYTES` or of another version.

    Args:
        environment: a pixi environment other than ``default`` reads its own state file
            (:func:`kernelenv.layout.state_file`).

    Untrusted: check :func:`origin_mismatch` before acting on anything in it
    (:func:`read_state` does).
    """
    path = state_file(root, environment)
    try:
        if path.is_symlink() or path.stat().st_size > MAX_STATE_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else None


def read_state(root: Path, environment: str | None = None) -> dict[str, Any] | None:
    """The parsed state file (of the pixi ``environment`` when another than ``default``), or
    ``None`` when absent, unreadable or written for another folder, host or user (see
    :func:`origin_mismatch`)."""
    data = read_raw_state(root, environment)
    if data is None or origin_mismatch(data, root):
        return None
    return data


def write_state(root: Path, data: dict[str, Any], *, any_host: bool = False,
                environment: str | None = None) -> None:
    """Atomically replace the state file with ``data`` (``version`` and ``origin`` are set).

    Args:
        any_host: record ``origin.host`` as :data:`ANY_HOST` (only for an adopted prefix in
            an image build; see :func:`origin_mismatch`).
        environment: a pixi environment other than ``default`` writes its own state file.
    """
    ensure_state_dir(root, environment)
    origin = current_origin(root)
    if any_host:
        origin["host"] = ANY_HOST
    data = {**data, "version": STATE_VERSION, "origin": origin}
    path = state_file(root, environment)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def update_state(root: Path, *, environment: str | None = None, **changes: Any) -> None:
    """Merge ``changes`` into the state file (of the pixi ``environment``; creating it if
    needed)."""
    data = read_state(root, environment) or {}
    data.pop("version", None)
    data.update(changes)
    write_state(root, data, environment=environment)


def build_inputs(project: Project, from_lock: bool) -> list[Path]:
    """The files an env built now would be built from (their changes make it stale)."""
    roles = (FileRole.LOCK, FileRole.PYTHON) if from_lock else (FileRole.SPEC, FileRole.PYTHON)
    return [f.path for f in project.files_of(*roles)]


def spec_inputs(project: Project, lock: Path | None = None) -> list[Path]:
    """The spec files a lock is computed from: specs, Python requests and inputs
    (``requirements.in``), without the lock itself (a pip-compile requirements.txt is the
    spec before its first hashed compile and the lock after it)."""
    return [f.path for f in project.files_of(FileRole.SPEC, FileRole.PYTHON, FileRole.INPUT)
            if f.path != lock]


def project_status(project: Project, *, check_lock: bool = True) -> StatusReport:
    """Compute the env's status (see the module docstring for the rules), with the project's
    last failed operation when the one after it has not succeeded yet (``last_failure``).

    Args:
        check_lock: report ``building`` while another operation holds the project's
            lock; the operation itself passes False to report its own result.
    """
    from .failures import read_failure

    report = _status(project, check_lock)
    report.last_failure = read_failure(project.root)
    return report


def _status(project: Project, check_lock: bool) -> StatusReport:
    root, env = project.root, project.environment
    kernel = project.kernel_name
    state = read_state(root, env)
    backend = state.get("backend") if state else None
    if check_lock and is_locked(root):
        return StatusReport(Status.BUILDING, "An operation is running on this project.",
                            kernel_name=kernel, backend=backend)
    if not state and own_environment(env) is None:  # a move is repaired through the default env
        from .relocate import copied_from, find_move

        move = find_move(root)
        if move is not None:
            return StatusReport(Status.MOVED,
                                f"Moved here from {move.old_root}: its scripts and kernel still point there. "
                                "Run `kernelenv create` to repair it (no download).",
                                kernel_name=move.kernel_name or kernel, backend=move.state.get("backend")
                                if isinstance(move.state.get("backend"), str) else None)
        original = copied_from(root)
        if original is not None:
            return StatusReport(Status.MISSING,
                                f"A copy of {original}: its env and kernel belong to the original. Run "
                                "`kernelenv create` to build this folder's own env and kernel.",
                                kernel_name=kernel)
    if not state or "build" not in state:
        return StatusReport(Status.MISSING, "No env yet: run `kernelenv create`.",
                            kernel_name=kernel)
    kind = state.get("env_kind", project.backend.env_kind)
    link = live_link(root, kind, env)
    target = link_target(link)
    common = dict(kernel_name=kernel, backend=backend,
                  python_version=state.get("python_version"), packages=state.get("packages"))
    if target is None or not target.is_dir():
        return StatusReport(Status.MISSING, f"The env {link} is gone: run `kernelenv create`.",
                            **common)
    python: Path | None = python_in(link, kind)
    if state.get("no_python") is True and kind == "conda":
        python = None  # an env without Python (R ...): its own kernels were registered, no Python one
    elif not python.exists():
        return StatusReport(Status.BROKEN,
                            f"The env's interpreter {python} is gone (was its base Python "
                            "removed?): run `kernelenv rebuild`.",
                            env_path=link, python=python, **common)
    if kind != project.backend.env_kind:  # e.g. an environment.yml added beside requirements.txt
        return StatusReport(Status.STALE,
                            f"The project's files now ask for a {project.backend.env_kind} env "
                            f"({project.backend.value}); this one is a {kind} env built with {backend}. "
                            "Run `kernelenv create`.", env_path=link, python=python, **common)
    recorded = _inputs(state)
    now = digests([root / k for k in recorded], root)
    current_inputs = {p.relative_to(root).as_posix() for p in build_inputs(project, state.get("from_lock", False))
                      if _under(p, root)}
    changed = sorted(k for k in recorded if now.get(k) != recorded[k])
    changed += sorted(current_inputs - set(recorded))
    if changed:
        return StatusReport(Status.STALE,
                            f"Changed since the env was built: {', '.join(changed)}. Run "
                            "`kernelenv create` (or `lock` then `rebuild`).",
                            env_path=link, python=python, changed=changed, **common)
    built = state.get("installed")
    if isinstance(built, dict):
        from .drift import compare, snapshot

        drift = compare(built, snapshot(target))
        if drift:
            return StatusReport(Status.DRIFTED,
                                f"Changed by hand since the build: {drift.summary()}. Run "
                                "`kernelenv record` to keep them (spec and lock) or `kernelenv rebuild` "
                                "to revert.", env_path=link, python=python, drift=drift.to_dict(), **common)
    outdated = lock_outdated(project, state)
    if outdated:
        return StatusReport(Status.LOCK_OUTDATED, outdated, env_path=link, python=python, **common)
    return StatusReport(Status.READY, "The env matches its files.", env_path=link, python=python,
                        **common)


def lock_outdated(project: Project, state: dict[str, Any] | None = None) -> str | None:
    """Why ``project.lock`` no longer matches the spec, or ``None`` (file reads only).

    A lock kernelenv wrote is compared with the spec hashes recorded when it was
    written; any other lock is checked by its backend's format-aware test, except while
    spec and lock still have the hashes recorded when a build last found them current.
    """
    if project.lock is None or not project.lock.exists():
        return None
    root = project.root
    state = state if state is not None else read_state(root, project.environment)
    rec = (state or {}).get("lock_record")
    lock_key = project.lock.relative_to(root).as_posix()
    if rec and rec.get("lock", {}).get(lock_key) == digests([project.lock], root)[lock_key]:
        specs = rec.get("spec", {})
        now = digests([root / k for k in specs], root)
        changed = sorted(k for k in specs if now.get(k) != specs[k])
        if not changed:
            return None
        if rec.get("checked") is not True:
            return (f"{', '.join(changed)} changed since {lock_key} was written: run "
                    "`kernelenv lock` then `kernelenv rebuild`.")
        # else a lock kernelenv only checked (record_lock(checked=True)): its format decides
    from .backends import get_builder

    try:
        return get_builder(project.backend).lock_outdated(project)
    except Exception:  # a backend that cannot load here knows nothing about the lock
        return None


def record_build(project: Project, *, from_lock: bool, build_dir: Path, python_version: str,
                 packages: int, kernel_name: str, kernel_location: dict[str, Any],
                 installed: dict[str, str] | None = None, any_host: bool = False) -> None:
    """Write the state of a finished build.

    Args:
        installed: the new env's package set (:func:`kernelenv.drift.snapshot`), the
            baseline of the drift check; taken from ``build_dir`` when ``None``.
        any_host: see :func:`write_state` (``kernelenv adopt`` in an image build).
    """
    from .drift import snapshot

    old = read_state(project.root, project.environment) or {}
    inputs = digests(build_inputs(project, from_lock), project.root)
    write_state(project.root, {
        "backend": project.backend.value,
        "env_kind": project.backend.env_kind,
        "build": build_dir.name,
        "from_lock": from_lock,
        "inputs": inputs,
        "python_version": python_version,
        "packages": packages,
        "installed": installed if installed is not None else snapshot(build_dir),
        "kernel_name": kernel_name,
        "kernel_location": kernel_location,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "lock_record": old.get("lock_record"),
        **({"strip_builds": True} if old.get("strip_builds") is True else {}),  # kept across builds
        "kernel_pins": old.get("kernel_pins"),  # ipykernel/pip versions for a lock without them
        "environment": project.environment,
    }, any_host=any_host, environment=project.environment)


def record_lock(project: Project, lock_path: Path, *, checked: bool = False) -> None:
    """Remember the spec hashes a lock was written from (for the out-of-date check).

    Args:
        checked: the lock was written by another tool and only found current by its
            format-aware check; while spec and lock keep these hashes, ``status`` trusts
            that without parsing the lock, and a changed spec is checked by format again.
    """
    update_state(project.root, environment=project.environment, lock_record={
        "spec": digests(spec_inputs(project, lock_path), project.root),
        "lock": digests([lock_path], project.root),
        **({"checked": True} if checked else {}),
    })


def _inputs(state: dict[str, Any]) -> dict[str, str | None]:
    """The recorded ``inputs`` digests whose keys are plain relative paths inside the
    project (a key such as ``../x`` or ``/dev/zero`` is dropped, never read)."""
    raw = state.get("inputs")
    if not isinstance(raw, dict):
        return {}
    out: dict[str, str | None] = {}
    for key, value in raw.items():
        parts = Path(key).parts if isinstance(key, str) else ()
        if parts and not Path(key).is_absolute() and ".." not in parts:
            out[key] = value if isinstance(value, str) else None
    return out


def _under(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False
