"""What detection read while it built one project: the files it opened and the paths whose
existence or target it asked about.

:mod:`kernelenv.projectmemo` keeps a project folder's detection result with this log, so the
result can be reused only while everything it was computed from is unchanged. The readers
call :func:`note` (:func:`kernelenv.parsers.errors_util.read_text`, through which every parser
reads) and :func:`probe` (instead of ``Path.is_file``/``exists``/``resolve``) where detection
looks at a path; both do nothing but their plain job when no log is being kept, which is the
case everywhere outside :func:`kernelenv.projectmemo.build`.

The log lives in a :class:`contextvars.ContextVar`, so detection running in several threads
(the Jupyter server, the language server) keeps one log per build.
"""

from __future__ import annotations

import os
import stat
from contextvars import ContextVar, Token

try:  # the same BLAKE2 as hashlib's, without loading OpenSSL (hashlib imports it: ~2 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter built without _blake2
    from hashlib import blake2b


class ReadLog:
    """The reads of one project build.

    Attributes:
        reads: ``{path: digest}``: the BLAKE2b digest (bytes) of the content read from each
            file, ``None`` when it could not be read.
        probes: ``{path: (kind, real path)}``: what :func:`probe` answered for each path.
    """

    def __init__(self) -> None:
        self.reads: dict[str, bytes | None] = {}
        self.probes: dict[str, tuple[str, str]] = {}


_LOG: ContextVar[ReadLog | None] = ContextVar("kernelenv_readlog", default=None)


def start() -> tuple[ReadLog, Token]:
    """Begin a log in this context: ``(log, token)``; hand the token to :func:`stop`."""
    log = ReadLog()
    return log, _LOG.set(log)


def stop(token: Token) -> None:
    """End the log :func:`start` began (restores the one before, if any)."""
    _LOG.reset(token)


def digest(data: bytes) -> bytes:
    """The BLAKE2b digest of ``data`` (64 bytes)."""
    return blake2b(data).digest()


def note(path: str | os.PathLike, data: bytes | None) -> None:
    """Record that ``data`` was read from ``path`` (``None``: nothing was, the file could not
    be opened or was too large to read; a memo then holds only while it still cannot be
    opened)."""
    log = _LOG.get()
    if log is not None:
        log.reads[os.fspath(path)] = None if data is None else digest(data)


def look(path: str | os.PathLike) -> tuple[str, str]:
    """``(kind, real path)`` of ``path``, following links: kind ``"file"`` (regular file),
    ``"dir"``, ``"other"`` or ``"missing"`` (cannot be stat-ed); the real path as
    :func:`os.path.realpath` gives it. Records nothing."""
    try:
        mode = os.stat(path).st_mode
        kind = "file" if stat.S_ISREG(mode) else "dir" if stat.S_ISDIR(mode) else "other"
    except (OSError, ValueError):
        kind = "missing"
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        real = ""
    return kind, real


def probe(path: str | os.PathLike) -> tuple[str, str]:
    """:func:`look` at ``path`` and record the answer in the current log, if any."""
    seen = look(path)
    log = _LOG.get()
    if log is not None:
        log.probes[os.fspath(path)] = seen
    return seen


__all__ = ["ReadLog", "digest", "look", "note", "probe", "start", "stop"]
