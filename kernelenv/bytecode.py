"""Bytecode a new build can take over from earlier envs instead of compiling it again.

uv and rattler install packages by hard-linking files from their caches, so a module of the
same package version is the *same file* (one inode) in every env built from that cache. Its
compiled bytecode (``__pycache__/<module>.cpython-XY.pyc``) is valid in each of
them: a ``.pyc`` records its source's mtime and size and the interpreter's magic number, and
Python recompiles whenever these do not match (PEP 552, the default timestamp-based
invalidation). So before the new env's check imports what a kernel start imports
(:func:`kernelenv.operations._verify`), the ``.pyc`` files of the env it replaces and of other
envs kernelenv built on this machine are hard-linked in where the source file is the same.
Where ``PYTHONDONTWRITEBYTECODE`` is set (kernels never write bytecode, so the build writes it
for them) a rebuild then costs what the install costs; elsewhere the first kernel start is
as fast as a warm one.

A linked ``.pyc`` is never written through: Python replaces a stale one with a new file
(``importlib``'s atomic write), so one env cannot change another's bytecode.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Donor envs looked at, at most (each costs one walk of its site-packages).
MAX_DONORS = 2


def _same_file(a: str, b: str) -> bool:
    """Both paths are one file (hard links from the same cache entry)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev)


def _source_of(pycache: str, pyc: str) -> str | None:
    """``pkg/__pycache__/mod.cpython-311.pyc`` -> ``pkg/mod.py`` (PEP 3147 names)."""
    stem = pyc.split(".", 1)[0]
    return os.path.join(os.path.dirname(pycache), stem + ".py") if pyc.endswith(".pyc") and stem else None


def link_site_packages(donor: Path, new: Path) -> int:
    """Hard-link ``donor``'s ``.pyc`` files into site-packages folder ``new`` wherever ``new``
    holds the same source file (the same inode: both linked from one cache entry; a copied
    install shares nothing). Returns how many were
    linked; never raises (a file that cannot be linked is compiled as usual)."""
    linked = 0
    for dirpath, dirnames, filenames in os.walk(donor):
        if os.path.basename(dirpath) != "__pycache__":
            continue
        dirnames[:] = []
        rel = os.path.relpath(dirpath, donor)
        target = os.path.join(new, rel)
        made = os.path.isdir(target)
        for pyc in filenames:
            src = _source_of(dirpath, pyc)
            if src is None:
                continue
            new_src = os.path.join(new, os.path.relpath(src, donor))
            dest = os.path.join(target, pyc)
            if os.path.exists(dest) or not _same_file(src, new_src):
                continue
            try:
                if not made:
                    os.makedirs(target, exist_ok=True)
                    made = True
                os.link(os.path.join(dirpath, pyc), dest)
                linked += 1
            except OSError:
                continue
    return linked


def reuse_bytecode(prefix: Path, donors: list[Path]) -> int:
    """Take over the bytecode of ``donors`` (env folders: venvs or conda prefixes, in order of
    preference) in the new env folder ``prefix``, site-packages by site-packages of the same
    Python version (``lib/pythonX.Y/site-packages``), from at most :data:`MAX_DONORS` envs
    that have one. Returns the number of ``.pyc`` files linked; never raises."""
    from .layout import site_packages

    linked, used = 0, 0
    try:
        targets = {sp.relative_to(prefix).as_posix(): sp for sp in site_packages(prefix)}
        me = os.path.realpath(prefix)
        for donor in dict.fromkeys(os.path.realpath(d) for d in donors):
            if used >= MAX_DONORS or donor == me or not os.path.isdir(donor):
                continue
            pairs = [(sp, targets.get(sp.relative_to(donor).as_posix())) for sp in site_packages(Path(donor))]
            pairs = [(sp, t) for sp, t in pairs if t is not None]
            if pairs:
                used += 1
                linked += sum(link_site_packages(sp, t) for sp, t in pairs)
    except (OSError, ValueError):
        pass
    return linked
