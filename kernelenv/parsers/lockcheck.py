"""Cheap checks of a project's lock file at detection time: it parses, and its format version is one
kernelenv reads.

A broken lock used to be noticed only at ``create``; :func:`check_lock` lets ``detect`` and
``status`` report it (issue 17). Each check reads the file once with the format's own
reader (:mod:`.locks`, :mod:`.condalock`, :func:`rattler.LockFile.from_path` for
``pixi.lock``); results are cached by path, size and mtime, so a long-running face
(language server, Jupyter server) pays once per change, and a lock found fine is kept by
its bytes' digest in the user's cache (:mod:`kernelenv.contentmemo`), so a clone of a known
lock is not parsed again.

Known versions (the formats' own documentation):

* ``uv.lock``: top-level ``version = 1`` (https://docs.astral.sh/uv/concepts/resolution/#lockfile-versioning).
* ``poetry.lock``: ``[metadata] lock-version`` ``1.x`` or ``2.x``.
* ``Pipfile.lock``: ``_meta.pipfile-spec`` up to 6.
* ``pylock.toml``: PEP 751 ``lock-version`` ``1.x`` (a tool must refuse an unknown major).
* ``conda-lock.yml``: ``version: 1`` or the 1.0.x layout without one (:mod:`.condalock`).
* ``pixi.lock``: whatever rattler reads (it refuses versions it does not know).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ..errors import EnvFileError
from .errors_util import MAX_LOCK_BYTES, Collector, bounded, find_position, load_toml, read_text

UV_LOCK_VERSIONS = (1,)
POETRY_LOCK_MAJORS = ("1", "2")
PIPFILE_SPEC_MAX = 6
PYLOCK_MAJORS = ("1",)

_CACHE: dict[tuple[str, str], tuple[tuple[int, int], list[EnvFileError]]] = {}
_LOCK = threading.Lock()


def check_lock(path: Path, kind: str) -> list[EnvFileError]:
    """The problems of lock file ``path`` of format ``kind`` (an :attr:`EnvFile.kind`), ``[]`` when fine.

    Args:
        path: the lock file.
        kind: ``uv.lock``, ``poetry.lock``, ``Pipfile.lock``, ``pylock``, ``conda-lock``,
            ``explicit-lock`` or ``pixi.lock`` (other kinds: ``[]``).

    Returns:
        EnvFileErrors with file and line where the format gives one (codes
        ``toml-syntax``/``yaml-syntax``/``json-syntax``, ``invalid-lock``,
        ``unsupported-lock-version``, ``file-too-large`` ...). Never raises.
    """
    path = Path(path)
    try:
        st = os.stat(path)
        stamp = (st.st_size, st.st_mtime_ns)
    except OSError as exc:
        return [EnvFileError(path, f"cannot read: {exc.strerror or exc}", code="unreadable")]
    key = (str(path), kind)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return list(hit[1])
    from ..contentmemo import memoized

    # a lock found fine is kept by its bytes' digest: a clone of a known lock is not parsed
    errors = memoized("lock-check", [path], lambda: _errors(path, kind), label=kind, keep_if=lambda e: e == [])
    with _LOCK:
        _CACHE[key] = (stamp, errors)
    return list(errors)


def _errors(path: Path, kind: str) -> list[EnvFileError]:
    try:
        _check(path, kind)
    except EnvFileError as exc:
        return exc.expand()
    return []


@bounded
def _check(path: Path, kind: str) -> None:
    if kind in ("uv.lock", "poetry.lock", "pylock"):
        _toml_lock(path, kind)
    elif kind == "Pipfile.lock":
        _pipfile_lock(path)
    elif kind == "conda-lock":
        from .condalock import read_conda_lock

        read_conda_lock(path)
    elif kind == "explicit-lock":
        from .condalock import read_explicit

        read_explicit(path)
    elif kind == "pixi.lock":
        from .pixi import read_pixi_lock

        read_pixi_lock(path)


def _version_error(path: Path, text: str, key: str, value: Any, known: str) -> EnvFileError:
    line, col = find_position(text, key)
    return EnvFileError(path, f"{key} {value!r} is not a version kernelenv reads ({known}); update "
                        "kernelenv or re-lock with the tool that wrote it", line, col,
                        code="unsupported-lock-version")


def _toml_lock(path: Path, kind: str) -> None:
    from .locks import pins_of

    data, text = load_toml(path, MAX_LOCK_BYTES)
    errors = Collector()
    if kind == "uv.lock":
        v = data.get("version")
        if v is None:
            errors.add(EnvFileError(path, "no top-level `version`: not a uv.lock", 1, 1, code="invalid-lock"))
        elif isinstance(v, bool) or v not in UV_LOCK_VERSIONS:
            errors.add(_version_error(path, text, "version", v, "version = 1"))
    elif kind == "poetry.lock":
        meta = data.get("metadata")
        v = meta.get("lock-version") if isinstance(meta, dict) else None
        if v is None:
            errors.add(EnvFileError(path, "no [metadata] lock-version: not a poetry.lock", 1, 1,
                                    code="invalid-lock"))
        elif not isinstance(v, str) or v.split(".")[0] not in POETRY_LOCK_MAJORS:
            errors.add(_version_error(path, text, "lock-version", v, "1.x or 2.x"))
    else:
        v = data.get("lock-version")
        if v is not None and (not isinstance(v, str) or v.split(".")[0] not in PYLOCK_MAJORS):
            errors.add(_version_error(path, text, "lock-version", v, "1.x"))
    errors.raise_all()
    pins_of(path, kind, data, text)


def _pipfile_lock(path: Path) -> None:
    from .locks import read_pins

    text = read_text(path, MAX_LOCK_BYTES)
    read_pins(path)  # JSON syntax, `default` section, nesting
    data = json.loads(text)
    meta = data.get("_meta") if isinstance(data, dict) else None
    spec = meta.get("pipfile-spec") if isinstance(meta, dict) else None
    if spec is not None and (isinstance(spec, bool) or not isinstance(spec, int)
                             or not 1 <= spec <= PIPFILE_SPEC_MAX):
        raise _version_error(path, text, "pipfile-spec", spec, f"1 to {PIPFILE_SPEC_MAX}")


__all__ = ["check_lock"]
