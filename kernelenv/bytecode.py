"""Bytecode a new build can take over from earlier envs instead of compiling it again.

uv and rattler install packages by hard-linking files from their caches, so a module of the
same package version is the *same file* (one inode) in every env built from that cache. Its
compiled bytecode (``__pycache__/<module>.cpython-XY.pyc``) is valid in each of
them: a ``.pyc`` records its source's mtime and size and the interpreter's magic number, and
Python recompiles whenever these do not match (PEP 552, the default timestamp-based
invalidation). So before the new env's check imports what a kernel start imports
(:func:`kernelenv.operations._verify`), the ``.pyc`` files of the env it replaces and of other
envs kernelenv built on this machine are hard-linked in where the source file is the same.
Each build keeps the list of ``__pycache__`` folders its check loaded from (:data:`LIST_NAME`
in the env folder), so taking them over costs a ``listdir`` per folder, not a walk of a
scientific stack's tens of thousands of folders.
Where ``PYTHONDONTWRITEBYTECODE`` is set (kernels never write bytecode, so the build writes it
for them) a rebuild then costs what the install costs; elsewhere the first kernel start is
as fast as a warm one.

A linked ``.pyc`` is never written through: Python replaces a stale one with a new file
(``importlib``'s atomic write), so one env cannot change another's bytecode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Donor envs looked at, at most (each costs a ``listdir`` and two ``stat`` calls per listed
#: module; an env built from a lock's URLs shares no file with one resolved from an index, as
#: uv caches the two apart, so the first donors tried may share nothing).
MAX_DONORS = 4
#: The list of ``__pycache__`` folders a build's check loaded from, kept in the env folder.
LIST_NAME = ".kernelenv-pycache"
#: Largest list read (bytes) and most folders taken from it.
MAX_LIST_BYTES = 1 << 20
MAX_LIST_DIRS = 5000
#: The folder whose bytecode every kernel start loads (a list without it is no kernel start's).
KERNEL_PYCACHE = "site-packages/ipykernel/__pycache__"


def record_pycache(prefix: Path, dirs: list[str]) -> None:
    """Keep, in env folder ``prefix``, which of its ``__pycache__`` folders (absolute paths,
    as the check's interpreter printed them) hold the bytecode a kernel start loads, added to
    those already kept; only those inside ``prefix`` are kept, relative to it. Never raises."""
    root = os.path.realpath(prefix)
    rel = _listed(root)
    for d in dirs:
        real = os.path.realpath(d)
        if os.path.basename(real) == "__pycache__" and real.startswith(root + os.sep):
            rel.append(os.path.relpath(real, root))
    try:
        (prefix / LIST_NAME).write_text("\n".join(sorted(set(rel))[:MAX_LIST_DIRS]) + "\n", encoding="utf-8")
    except OSError:
        pass


def _listed(donor: str) -> list[str]:
    """The relative ``__pycache__`` folders :func:`record_pycache` kept in ``donor`` (an env
    folder kernelenv built); names that leave the folder are dropped."""
    try:
        with open(os.path.join(donor, LIST_NAME), encoding="utf-8") as f:
            text = f.read(MAX_LIST_BYTES)
    except (OSError, UnicodeDecodeError):
        return []
    out = []
    for line in text.splitlines()[:MAX_LIST_DIRS]:
        parts = line.split("/")
        if line and not os.path.isabs(line) and ".." not in parts and parts[-1] == "__pycache__":
            out.append(line)
    return out


def _same_file(a: str, b: str) -> bool:
    """Both paths are one file (hard links from the same cache entry)."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev)


def link_pycache(donor_dir: str, new_dir: str) -> tuple[int, int, int]:
    """Hard-link the ``.pyc`` files of ``__pycache__`` folder ``donor_dir`` into ``new_dir``
    (the same folder of the new env) wherever the new env holds the same source file (the
    same inode: both linked from one cache entry; a copied install shares nothing) and has no
    ``.pyc`` of its own. Returns ``(linked, missing, unlike)``: how many were linked; how many
    modules the new env has as another source file and without bytecode of its own (they
    must still be compiled); and how many of the donor's modules are not the very same file
    in the new env (another source file, or none). Never raises."""
    try:
        names = [n for n in os.listdir(donor_dir) if n.endswith(".pyc")]
    except OSError:
        return 0, 0, 0
    src_dir, new_src_dir = os.path.dirname(donor_dir), os.path.dirname(new_dir)
    linked, missing, unlike, made = 0, 0, 0, os.path.isdir(new_dir)
    for pyc in names:
        stem = pyc.split(".", 1)[0]  # PEP 3147: mod.cpython-311.pyc, mod.cpython-311.opt-1.pyc
        new_src, dest = os.path.join(new_src_dir, stem + ".py"), os.path.join(new_dir, pyc)
        if not stem or not os.path.exists(new_src):
            unlike += 1  # a module the new env does not have: nothing to compile there
            continue
        if not _same_file(os.path.join(src_dir, stem + ".py"), new_src):
            unlike += 1
            missing += not os.path.exists(dest)
            continue
        if os.path.exists(dest):
            continue
        try:
            if not made:
                os.mkdir(new_dir)
                made = True
            os.link(os.path.join(donor_dir, pyc), dest)
            linked += 1
        except OSError:
            missing += 1
    return linked, missing, unlike


@dataclass
class Takeover:
    """What :func:`reuse_bytecode` did.

    Attributes:
        linked: ``.pyc`` files linked in.
        complete: for one donor of the same Python version (its ipykernel folder among them),
            every module its kernel start loaded that the new env also has now has bytecode
            in the new env, so the check need not import the rest of a kernel start to write it.
        identical: for one such donor, moreover, the new env runs the same interpreter file and
            every module that donor's check loaded from its env folder (``import ipykernel``
            and the rest of a kernel start, which succeeded there) is the very same file in the
            new env: importing them again proves nothing new, so the check only starts the
            interpreter and finds ipykernel where it belongs (:func:`kernelenv.operations._verify`).
    """

    linked: int = 0
    complete: bool = False
    identical: bool = False


def reuse_bytecode(prefix: Path, donors: list[Path], interpreter: str = "bin/python") -> Takeover:
    """Take over, in the new env folder ``prefix``, the bytecode a kernel start loads from
    ``donors`` (env folders kernelenv built, in order of preference; the first
    :data:`MAX_DONORS` whose :data:`LIST_NAME` list shares a folder with the new env): for each
    listed ``__pycache__`` folder whose source folder the new env has, :func:`link_pycache`.
    ``interpreter``: the env's Python, relative to an env folder (``bin/python``), compared
    for :attr:`Takeover.identical`. Never raises."""
    result, used = Takeover(), 0
    me = os.path.realpath(prefix)
    for donor in dict.fromkeys(os.path.realpath(d) for d in donors):
        if used >= MAX_DONORS or donor == me:
            continue
        listed = _listed(donor)
        shared = [rel for rel in listed if os.path.isdir(os.path.dirname(os.path.join(me, rel)))]
        if not shared:  # no list, or another Python version: costs one read, not a donor slot
            continue
        used += 1
        missing, unlike, kernel_covered = 0, len(listed) - len(shared), False
        for rel in shared:
            n, m, u = link_pycache(os.path.join(donor, rel), os.path.join(me, rel))
            result.linked += n
            missing += m
            unlike += u
            kernel_covered = kernel_covered or rel.endswith(KERNEL_PYCACHE)
        # ipykernel's own folder must be among them: a donor of another Python version
        # (lib/python3.12/...) shares no folder at all, which is not "nothing missing".
        if missing == 0 and kernel_covered and not result.complete:
            result.complete = True  # the donor's list is what a kernel start loads here too
            record_pycache(prefix, [os.path.join(me, rel) for rel in shared if os.path.isdir(os.path.join(me, rel))])
        if missing == 0 and kernel_covered and unlike == 0 and \
                _same_file(os.path.join(donor, interpreter), os.path.join(me, interpreter)):
            result.identical = True
            break  # nothing more to take over or to prove
    return result
