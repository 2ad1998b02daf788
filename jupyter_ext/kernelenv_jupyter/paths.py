"""Confine request paths to the server's root_dir.

Every REST route takes paths relative to ``ServerApp.root_dir``. Absolute paths,
``..`` components and anything that resolves (through symlinks) outside the root are
refused with 403; a path that does not exist is 404.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath


class PathError(Exception):
    """A request path was refused.

    Args:
        status: 400, 403 or 404.
        message: what is wrong, for the JSON error body.
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_DRIVE = re.compile(r"^[A-Za-z]:")


def resolve_in_root(root: Path, rel: str | None, *, kind: str = "dir", must_exist: bool = True) -> Path:
    """The absolute path of ``rel`` inside ``root``.

    Args:
        root: the server's root_dir, already resolved (absolute, no symlinks).
        rel: a ``/``-separated path relative to ``root``; ``None``, ``""`` or ``"."`` is the root.
        kind: ``"dir"`` (must be a folder), ``"file"`` (its parent folder must exist) or ``"any"``.
        must_exist: refuse with 404 when the path (for ``"file"``: its folder) does not exist.

    Returns:
        ``root`` joined with ``rel`` (not resolved, so it stays under ``root`` for display).

    Raises:
        PathError: 400 for a NUL byte, 403 for absolute paths, ``..`` or symlinks leading
            outside ``root``, 404 for a missing path.
    """
    rel = (rel or "").strip()
    if "\x00" in rel:
        raise PathError(400, "Path contains a NUL byte.")
    if rel in ("", "."):
        return root
    if rel.startswith(("/", "\\", "~")) or _DRIVE.match(rel):
        raise PathError(403, f"Absolute paths are refused: {rel!r}; give a path relative to the server root.")
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if ".." in parts:
        raise PathError(403, f"Paths with '..' are refused: {rel!r}.")
    candidate = root.joinpath(*parts)
    real = candidate.resolve()
    if real != root and root not in real.parents:
        raise PathError(403, f"{rel!r} resolves outside the server root (symlink); refused.")
    if must_exist:
        check = candidate.parent if kind == "file" else candidate
        if not check.exists():
            raise PathError(404, f"{rel!r} does not exist.")
        if kind == "dir" and not candidate.is_dir():
            raise PathError(404, f"{rel!r} is not a folder.")
    return candidate


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` as a ``/`` path (``"."`` for the root itself)."""
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return str(path)
