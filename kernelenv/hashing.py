"""Content hashes of env files, the basis of the stale / lock-out-of-date checks."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digest(path: Path) -> str | None:
    """``sha256:<hex>`` of a file's bytes, or ``None`` when it does not exist."""
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def digests(paths: list[Path], root: Path) -> dict[str, str | None]:
    """``{path relative to root (posix): digest}`` for each path."""
    out: dict[str, str | None] = {}
    for p in paths:
        try:
            key = p.relative_to(root).as_posix()
        except ValueError:
            key = str(p)
        out[key] = file_digest(p)
    return out
