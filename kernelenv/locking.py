"""The per-project lock that serialises create/lock/rebuild/remove across processes.

One ``filelock.FileLock`` on ``<project>/.kernelenv/lock``: the CLI, the Jupyter server
extension and the language server all take it, so two builds of one project never run
at once. A JSON file beside it says who holds it, for the error message.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import ProjectBusyError
from .flockprobe import flock_held
from .layout import ensure_state_dir, state_dir


def _paths(root: Path) -> tuple[Path, Path]:
    d = state_dir(root)
    return d / "lock", d / "lock.info"


def lock_file(root: Path) -> Path:
    """The file whose ``flock`` an operation on the project at ``root`` holds."""
    return _paths(root)[0]


@contextmanager
def project_lock(root: Path, operation: str, *, wait: float = 0.0) -> Iterator[None]:
    """Hold the project's lock for ``operation``.

    Args:
        root: project folder.
        operation: ``create``, ``lock``, ``rebuild`` or ``remove`` (for messages).
        wait: seconds to wait for another holder; 0 refuses at once.

    Raises:
        ProjectBusyError: held by another operation (names it, its pid and start time).
    """
    import filelock  # here, not at module level: `kernelenv status` never needs it (issue 15)

    ensure_state_dir(root)
    lock_path, info_path = _paths(root)
    lock = filelock.FileLock(str(lock_path))
    try:
        lock.acquire(timeout=wait)
    except filelock.Timeout:
        raise ProjectBusyError(_busy_message(root, info_path)) from None
    try:
        info_path.write_text(json.dumps({"operation": operation, "pid": os.getpid(),
                                         "started": time.time()}), encoding="utf-8")
        yield
    finally:
        try:
            info_path.unlink()
        except OSError:
            pass
        lock.release()


def announced(root: Path) -> bool:
    """Whether an operation has announced itself in the project's ``lock.info`` (written right
    after the lock is taken, removed right before it is released). Takes no lock, so frequent
    probes (the language server's, every second) never make a starting operation fail as busy;
    confirm with :func:`is_locked`, since a killed holder leaves the file behind."""
    return _paths(root)[1].exists()


def is_locked(root: Path) -> bool:
    """Whether an operation holds the project's lock now (a cheap, non-blocking probe).

    On POSIX this asks for the same ``flock`` that ``filelock.FileLock`` (Unix) takes, without
    importing filelock (about half of ``kernelenv status``'s import time, issue 15).
    """
    lock_path, _ = _paths(root)
    if not lock_path.exists():
        return False
    held = flock_held(str(lock_path))
    if held is not None:
        return held
    import filelock

    lock = filelock.FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return True
    lock.release()
    return False


def _busy_message(root: Path, info_path: Path) -> str:
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        since = time.strftime("%H:%M:%S", time.localtime(info["started"]))
        who = f"a `{info['operation']}` (pid {info['pid']}, started {since})"
    except (OSError, ValueError, KeyError):
        who = "another kernelenv operation"
    return (f"{root} is busy: {who} is running on it. Wait for it to finish "
            "(or pass --wait SECONDS) and try again.")
