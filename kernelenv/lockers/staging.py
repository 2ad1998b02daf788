"""A staging folder for lock tools: they work on copies, the project sees only the result.

A tool (Poetry, pipenv, uv) is run in ``<project>/.kernelenv/staging-XXXX`` on copies of
the spec files it reads; only when it succeeded is each file it wrote moved into the
project with ``os.replace`` (same file system, atomic). A failing, cancelled or killed
tool leaves the project's spec and lock byte-identical; a staging folder left by a killed
run is deleted by the next one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..layout import ensure_state_dir

PREFIX = "staging-"


@contextmanager
def staging(root: Path) -> Iterator[Path]:
    """A fresh folder under ``<root>/.kernelenv`` (deleted afterwards, whatever happens)."""
    state = ensure_state_dir(root)
    for old in state.glob(PREFIX + "*"):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=PREFIX, dir=state))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def copy_in(root: Path, tmp: Path, names: list[str]) -> None:
    """Copy the regular files ``names`` (relative to ``root``, when present) into ``tmp``.

    Symlinks are copied as the file they point to only when that file is inside ``root``.

    Raises:
        ValueError: a name leaves the project folder.
    """
    real_root = os.path.realpath(root)
    for name in names:
        src = root / name
        dest = tmp / name
        if not _inside(os.path.realpath(dest), os.path.realpath(tmp)):
            raise ValueError(f"{name} is outside the staging folder")
        if not src.is_file():
            continue
        if not _inside(os.path.realpath(src), real_root):
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


def move_out(tmp: Path, root: Path, name: str) -> Path:
    """Move ``tmp/name`` over ``root/name`` atomically and return the project path.

    Raises:
        FileNotFoundError: the tool did not write ``name``.
    """
    src = tmp / name
    if not src.is_file():
        raise FileNotFoundError(src)
    dest = root / name
    if dest.is_symlink():  # never write through a link planted in the project
        dest.unlink()
    os.replace(src, dest)
    return dest


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


__all__ = ["staging", "copy_in", "move_out"]
