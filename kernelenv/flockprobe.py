"""A non-blocking probe of a POSIX ``flock``, importing only builtins.

Shared by :func:`kernelenv.locking.is_locked` and the status cache
(:mod:`kernelenv.answercache`), which must not import filelock, pathlib or typing.
"""

from __future__ import annotations

import os


def flock_held(path: str) -> bool | None:
    """Whether another process holds an exclusive or shared ``flock`` on file ``path`` (the lock
    ``filelock.FileLock`` takes on Unix). ``False`` when the file is absent or cannot be
    opened; ``None`` off POSIX, where the caller has to ask filelock."""
    if os.name != "posix":
        return None
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the probe's own flock
    return False
