"""Answers computed from a file's bytes alone, kept in the user's cache under the digest of
those bytes, so a build does not parse the same lock again to ask the same question
(``lock-fits``: :func:`kernelenv.lockers.pythons.supported_minors`). An interpreter's
version (``python-version``, :mod:`kernelenv.interpreters`) is kept the same way under the
digest of the file's identity instead (real path, size, modification and change times,
inode): running the interpreter is what it saves.

A lock copied into a new clone, rebuilt, or read by another project has the same digest, so
its answers are found wherever it lies; an edited lock has another digest and is computed
again. Entries live in ``<cache home>/memo/`` (:func:`kernelenv.answercache.cache_home`),
never in a project: nothing a cloned repository contains can supply an answer, since the
file name is a BLAKE2b digest of the bytes kernelenv itself read. Each entry also holds
the question's name, the Python, kernelenv's source stamps and its libraries' folders
(:func:`kernelenv.answercache.runtime_stamp`): an upgrade of kernelenv, of a parser library
or another Python computes again. ``KERNELENV_ANSWER_CACHE=0`` turns it off with the answer cache. Values
are :mod:`marshal` data (no import to read them; one written by another Python is ignored).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import answercache

FORMAT = 1


def digest(data: bytes) -> str:
    """The hex BLAKE2b (32 bytes) digest of ``data``, the entries' file names."""
    from hashlib import blake2b

    return blake2b(data, digest_size=32).hexdigest()


#: Files larger than this are not hashed for the memo (their answers are computed each time).
MAX_FILE_BYTES = 64 << 20


def files_digest(paths: Sequence[Path], label: str = "") -> str | None:
    """:func:`digest` of ``label`` and, for each file of ``paths`` in order, its name, size
    and bytes; ``None`` when one cannot be read or is larger than :data:`MAX_FILE_BYTES`."""
    parts = [label.encode()]
    try:
        for path in paths:
            if path.stat().st_size > MAX_FILE_BYTES:
                return None
            data = path.read_bytes()
            parts.append(f"\0{path.name}\0{len(data)}\0".encode() + data)
    except OSError:
        return None
    return digest(b"".join(parts))


def memoized(question: str, paths: Sequence[Path], compute: Callable[[], Any], *, label: str = "",
             keep_if: Callable[[Any], bool] = lambda value: True) -> Any:
    """``compute()``, a value read from the files ``paths`` (and ``label``, such as a format
    name) alone, kept for ``question`` by :func:`files_digest`: the same bytes wherever they
    lie give the kept value without calling ``compute``. Only values ``keep_if`` accepts are
    kept (marshal-able ones: ``None``, ``str``, numbers, lists, dicts ...); files that cannot be
    read are never memoized. What ``compute`` raises propagates (nothing kept)."""
    key = files_digest(paths, label)
    if key is not None:
        kept = recall(question, key)
        if kept is not None and "value" in kept:
            return kept["value"]
    value = compute()
    if key is not None and keep_if(value):
        keep(question, key, {"value": value})
    return value


def _entry(question: str, data_digest: str) -> str:
    return os.path.join(answercache.cache_home(), "memo", f"{question}-{data_digest}.marshal")


def _key(question: str) -> tuple:
    return (FORMAT, question, answercache.runtime_stamp())


def recall(question: str, data_digest: str) -> dict | None:
    """The answers kept for ``question`` (a short ``[a-z-]`` name such as ``"lock-fits"``) about
    bytes of digest ``data_digest`` (:func:`digest`): the ``dict`` last given to :func:`keep`,
    or ``None`` (none kept, kept by another kernelenv or Python, unreadable, or caching off)."""
    if not answercache.enabled():
        return None
    value = answercache.read_entry(_entry(question, data_digest))
    if value is None or len(value) != 2 or value[0] != _key(question) or not isinstance(value[1], dict):
        return None
    return value[1]


def keep(question: str, data_digest: str, answers: dict) -> None:
    """Keep ``answers`` (a ``dict`` of marshal-able keys and values) for ``question`` about the
    bytes of digest ``data_digest``. Never raises: a cache that cannot be written only
    costs the next computation."""
    if not answercache.enabled():
        return
    try:
        answercache.write_entry(_entry(question, data_digest), (_key(question), answers))
    except (OSError, ValueError):
        pass


__all__ = ["MAX_FILE_BYTES", "digest", "files_digest", "keep", "memoized", "recall"]
