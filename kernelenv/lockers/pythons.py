"""Which Python versions a lock can be installed on, read from the wheel files it records.

A 2020 lock pins packages whose compiled wheels stop at CPython 3.9; on 3.13 the
installer would fall back to building their sdists, which fails for most. So when a lock
records its artifacts' file names (uv.lock, poetry.lock of any lock version,
pylock.toml), a Python minor counts as *supported* when every locked package that ships
version-specific (compiled) wheels has one for that CPython on the target platform (an
``abi3`` wheel for an older CPython counts; pure ``py3-none-any`` wheels and sdist-only
packages constrain nothing). Tags follow the wheel spec
(https://packaging.python.org/en/latest/specifications/platform-compatibility-tags/),
matched with :mod:`packaging.tags`. Pipfile.lock records only hashes, so it says nothing.
File reads only.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from .. import tomlcache

#: Platform tags of a linux x86_64 (glibc) machine such as a Binder image, newest first.
LINUX_X86_64 = tuple([f"manylinux_2_{m}_x86_64" for m in range(39, 4, -1)]
                     + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64",
                        "linux_x86_64"])


def wheel_files(lock: Path) -> dict[str, list[list[str]]] | None:
    """``{package: [[wheel file names of one locked version], ...]}`` recorded in ``lock``
    (uv.lock may lock several versions of a package, one per Python range), or ``None``
    when the format records none (Pipfile.lock, requirement files) or it cannot be read."""
    raw = _wheel_files(lock)
    if raw is None:
        return None
    out: dict[str, list[list[str]]] = {}
    for name, files in raw:
        out.setdefault(name, []).append(files)
    return out


def _wheel_files(lock: Path) -> list[tuple[str, list[str]]] | None:
    name = lock.name
    try:
        if name == "poetry.lock":
            data = tomlcache.load(lock)
            out: list[tuple[str, list[str]]] = []
            meta_files = (data.get("metadata") or {}).get("files") or {}
            for pkg in data.get("package") or []:
                n = canonicalize_name(str(pkg.get("name", "")))
                files = pkg.get("files") or meta_files.get(pkg.get("name")) or meta_files.get(n) or []
                out.append((n, [str(f.get("file", "")) for f in files if isinstance(f, dict)]))
            return out
        if name == "uv.lock":
            data = tomlcache.load(lock)
            return [(canonicalize_name(str(p.get("name", ""))),
                     [str(w.get("url", w.get("filename", ""))).rsplit("/", 1)[-1]
                      for w in p.get("wheels") or [] if isinstance(w, dict)])
                    for p in data.get("package") or []]
        if name.startswith("pylock.") and name.endswith(".toml"):
            data = tomlcache.load(lock)
            return [(canonicalize_name(str(p.get("name", ""))),
                     [str(w.get("name") or str(w.get("url", "")).rsplit("/", 1)[-1])
                      for w in p.get("wheels") or [] if isinstance(w, dict)])
                    for p in data.get("packages") or []]
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return None


@lru_cache(maxsize=64)
def _tags(minor: str, platforms: tuple[str, ...]) -> frozenset[Tag]:
    major, mi = (int(x) for x in minor.split(".")[:2])
    tags = list(cpython_tags((major, mi), platforms=list(platforms)))
    tags += list(compatible_tags((major, mi), platforms=list(platforms)))
    return frozenset(tags)


def supports(files: dict[str, list[list[str]]], minor: str,
             platforms: tuple[str, ...] = LINUX_X86_64) -> list[str]:
    """The packages of ``files`` (see :func:`wheel_files`) with compiled wheels for these
    ``platforms``, none of them for CPython ``minor`` (empty: the lock installs there from
    wheels). A package locked at several versions needs one that fits."""
    ok_tags = _tags(minor, platforms)
    return sorted(pkg for pkg, versions in files.items()
                  if not any(_version_fits(names, ok_tags, platforms) for names in versions))


def _version_fits(names: list[str], ok_tags: frozenset[Tag], platforms: tuple[str, ...]) -> bool:
    tagsets = []
    for n in names:
        try:
            tagsets.append(parse_wheel_filename(n)[3])
        except InvalidWheelFilename:
            continue
    compiled = [t for t in tagsets if any(tag.interpreter.startswith("cp") for tag in t)]
    # Only wheels for this platform count: a package whose compiled wheels are all for
    # another platform (pywin32) is not installed here, or is built from its sdist
    # whatever the Python.
    compiled = [t for t in compiled if any(tag.platform in platforms for tag in t)]
    if not compiled:
        return True
    return any(t & ok_tags for t in tagsets)


def supported_minors(lock: Path, candidates: Iterable[str],
                     platforms: tuple[str, ...] | None = None) -> list[str] | None:
    """The ``X.Y`` of ``candidates`` the lock installs on from wheels, in the given order;
    ``None`` when the lock records no file names (nothing known).

    Each minor's verdict is kept by the lock's digest (:mod:`kernelenv.contentmemo`): a
    rebuild, or a create from a lock seen before, reads the lock's bytes but does not parse
    it (~50 ms for a 120 KB uv.lock, issue 15)."""
    from ..contentmemo import files_digest, keep, recall

    plats = platforms or _this_platform()
    minors = list(candidates)
    memo_key = files_digest([lock], lock.name)  # the name says the format
    kept = (recall("lock-fits", memo_key) if memo_key else None) or {}
    answers = kept.get(plats)
    if not (isinstance(answers, dict) and isinstance(answers.get(_NO_FILES), bool)):
        answers = {}
    if not answers or not all(m in answers for m in minors):
        files = wheel_files(lock)
        answers = {**answers, **{m: bool(files) and not supports(files, m, plats) for m in minors},
                   _NO_FILES: not files}
        if memo_key:
            keep("lock-fits", memo_key, {**kept, plats: answers})
    if answers[_NO_FILES]:
        return None
    return [m for m in minors if answers.get(m) is True]


#: The memo's entry saying the lock records no wheel file names (``supported_minors`` is ``None``).
_NO_FILES = "-"


def _this_platform() -> tuple[str, ...]:
    if sys.platform.startswith("linux"):
        import platform

        machine = platform.machine()
        if machine == "x86_64":
            return LINUX_X86_64
        return tuple([f"manylinux_2_{m}_{machine}" for m in range(39, 16, -1)]
                     + [f"manylinux2014_{machine}", f"linux_{machine}"])
    from packaging.tags import platform_tags

    return tuple(platform_tags())


__all__ = ["wheel_files", "supports", "supported_minors", "LINUX_X86_64"]
