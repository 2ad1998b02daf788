"""TOML lock files parsed once per process while they are unchanged (issue 15).

One build from a uv.lock reads it for the interpreter choice (its wheels), the packages it
installs and whether it is out of date: a 133 KB uv.lock costs ~20 ms to parse each time.
:func:`load` keeps the last few parsed files with their ``stat`` stamps and parses again
when a stamp differs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: How many parsed files are kept (the largest locks parse to tens of MB).
MAX_ENTRIES = 4
_CACHE: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}


def load(path: Path | str) -> dict[str, Any]:
    """The parsed content of TOML file ``path`` (UTF-8), from the cache while its size, times
    and inode are those it was parsed with. The result is shared between callers: read it,
    never change it.

    Raises:
        OSError: the file cannot be read.
        ValueError: not UTF-8 (UnicodeDecodeError) or not TOML (tomllib.TOMLDecodeError).
    """
    real = os.path.realpath(path)
    st = os.stat(real)
    stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    hit = _CACHE.get(real)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    data = tomllib.loads(Path(real).read_text(encoding="utf-8"))
    if len(_CACHE) >= MAX_ENTRIES:
        _CACHE.pop(next(iter(_CACHE)), None)
    _CACHE[real] = (stamp, data)
    return data


__all__ = ["MAX_ENTRIES", "load"]
