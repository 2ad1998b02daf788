"""The state file (``<project>/.kernelenv/state.json``) and the status rules.

The state file records what the live env was built from: content hashes of the env
files used, the backend, the interpreter, the package count and the kernel. Status
is computed from it and from file hashes only, so ``kernelenv status`` on an
up-to-date project never starts uv, a solver or the env's Python.

Rules, first match wins:

* building: another process holds the project's lock;
* missing: no state file, or the live link / env folder is gone;
* broken: the env's interpreter is gone (e.g. its base Python was uninstalled);
* stale: a file the env was built from changed;
* lock out of date: the spec changed since the lock was written;
* ready.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .hashing import digests
from .layout import ensure_state_dir, link_target, live_link, python_in, state_file
from .locking import is_locked
from .model import FileRole, Project, Status, StatusReport

STATE_VERSION = 1


def read_state(root: Path) -> dict[str, Any] | None:
    """The parsed state file, or ``None`` when absent or unreadable."""
    try:
        data = json.loads(state_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else None


def write_state(root: Path, data: dict[str, Any]) -> None:
    """Atomically replace the state file with ``data`` (``version`` is added)."""
    ensure_state_dir(root)
    data = {"version": STATE_VERSION, **data}
    path = state_file(root)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def update_state(root: Path, **changes: Any) -> None:
    """Merge ``changes`` into the state file (creating it if needed)."""
    data = read_state(root) or {}
    data.pop("version", None)
    data.update(changes)
    write_state(root, data)


def build_inputs(project: Project, from_lock: bool) -> list[Path]:
    """The files an env built now would be built from (their changes make it stale)."""
    roles = (FileRole.LOCK, FileRole.PYTHON) if from_lock else (FileRole.SPEC, FileRole.PYTHON)
    return [f.path for f in project.files_of(*roles)]


def spec_inputs(project: Project) -> list[Path]:
    """The spec files a lock is computed from."""
    return [f.path for f in project.files_of(FileRole.SPEC, FileRole.PYTHON)]


def project_status(project: Project, *, check_lock: bool = True) -> StatusReport:
    """Compute the env's status (see the module docstring for the rules).

    Args:
        check_lock: report ``building`` while another operation holds the project's
            lock; the operation itself passes False to report its own result.
    """
    root = project.root
    kernel = project.kernel_name
    state = read_state(root)
    backend = state.get("backend") if state else None
    if check_lock and is_locked(root):
        return StatusReport(Status.BUILDING, "An operation is running on this project.",
                            kernel_name=kernel, backend=backend)
    if not state or "build" not in state:
        return StatusReport(Status.MISSING, "No env yet: run `kernelenv create`.",
                            kernel_name=kernel)
    kind = state.get("env_kind", project.backend.env_kind)
    link = live_link(root, kind)
    target = link_target(link)
    common = dict(kernel_name=state.get("kernel_name", kernel), backend=backend,
                  python_version=state.get("python_version"), packages=state.get("packages"))
    if target is None or not target.is_dir():
        return StatusReport(Status.MISSING, f"The env {link} is gone: run `kernelenv create`.",
                            **common)
    python = python_in(link, kind)
    if not python.exists():
        return StatusReport(Status.BROKEN,
                            f"The env's interpreter {python} is gone (was its base Python "
                            "removed?): run `kernelenv rebuild`.",
                            env_path=link, python=python, **common)
    recorded: dict[str, str | None] = state.get("inputs", {})
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
    outdated = lock_outdated(project, state)
    if outdated:
        return StatusReport(Status.LOCK_OUTDATED, outdated, env_path=link, python=python, **common)
    return StatusReport(Status.READY, "The env matches its files.", env_path=link, python=python,
                        **common)


def lock_outdated(project: Project, state: dict[str, Any] | None = None) -> str | None:
    """Why ``project.lock`` no longer matches the spec, or ``None`` (file reads only).

    A lock kernelenv wrote is compared with the spec hashes recorded when it was
    written; any other lock is checked by its backend's format-aware test.
    """
    if project.lock is None or not project.lock.exists():
        return None
    root = project.root
    state = state if state is not None else read_state(root)
    rec = (state or {}).get("lock_record")
    lock_key = project.lock.relative_to(root).as_posix()
    if rec and rec.get("lock", {}).get(lock_key) == digests([project.lock], root)[lock_key]:
        specs = rec.get("spec", {})
        now = digests([root / k for k in specs], root)
        changed = sorted(k for k in specs if now.get(k) != specs[k])
        if changed:
            return (f"{', '.join(changed)} changed since {lock_key} was written: run "
                    "`kernelenv lock` then `kernelenv rebuild`.")
        return None
    from .backends import get_builder

    try:
        return get_builder(project.backend).lock_outdated(project)
    except Exception:  # a backend that cannot load here knows nothing about the lock
        return None


def record_build(project: Project, *, from_lock: bool, build_dir: Path, python_version: str,
                 packages: int, kernel_name: str, kernel_location: dict[str, Any]) -> None:
    """Write the state of a finished build."""
    old = read_state(project.root) or {}
    inputs = digests(build_inputs(project, from_lock), project.root)
    write_state(project.root, {
        "backend": project.backend.value,
        "env_kind": project.backend.env_kind,
        "build": build_dir.name,
        "from_lock": from_lock,
        "inputs": inputs,
        "python_version": python_version,
        "packages": packages,
        "kernel_name": kernel_name,
        "kernel_location": kernel_location,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "lock_record": old.get("lock_record"),
        "environment": project.environment,
    })


def record_lock(project: Project, lock_path: Path) -> None:
    """Remember the spec hashes a lock was written from (for the out-of-date check)."""
    update_state(project.root, lock_record={
        "spec": digests(spec_inputs(project), project.root),
        "lock": digests([lock_path], project.root),
    })


def _under(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False
