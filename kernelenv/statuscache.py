"""A stat-checked cache of ``kernelenv status`` answers (issue 15: status at the cost of
starting Python).

A full ``status`` imports detection, the parsers of the project's files (``packaging``,
``tomllib`` ...) and ``jupyter_core``'s paths, which costs several times Python's own start.
On an unchanged project the answer is the same, so the CLI stores it here with the
``stat`` stamps of every path it was computed from, and the next ``status`` of that folder
answers from this file after re-``stat``-ing those paths, importing nothing but builtins.

The rule is git's for its index (Documentation/technical/racy-git.txt): a stored answer is
used only while every watched path still has the same stamp (file type, size, ``st_mtime_ns``,
``st_ctime_ns``, inode; or is still absent), and an answer is stored only when none of those
stamps is within :data:`RACY_SECONDS` of the moment it was computed, since a change made in
the same clock tick (2 s on FAT) as the ``stat`` would otherwise look like no change. Whether
an operation holds the project's lock is probed on every call (never cached).

What is watched (:func:`watched_paths`): each folder from the queried one up to the project
folder; in every folder above, up to the filesystem root, its ``pyproject.toml`` (uv
workspaces), ``pyvenv.cfg`` and ``conda-meta`` (a project inside an env); every
file in the project folder, ``binder/`` and ``.binder/``; the project's env files; its
``.kernelenv`` state, failure and lock files; the live env link, its target, interpreter,
``lib``, ``site-packages`` and ``conda-meta`` folders (the drift check); and each Jupyter
kernels folder with the kernelspec of the project's kernel name. The key holds the
arguments, Python, kernelenv's own source stamps, the host and the environment variables
kernelenv reads (``KERNELENV_*``, ``JUPYTER*``, ``XDG_*``, ``CONDA*``, ``PIXI*``, ``HOME``,
``USER`` ...).

The cache lives in the user's cache folder (``$KERNELENV_CACHE_HOME`` or
``$XDG_CACHE_HOME/kernelenv``, else ``~/.cache/kernelenv``; platformdirs' user cache folder
off Linux), never in a project: nothing a cloned repository contains can supply an answer.
``KERNELENV_STATUS_CACHE=0`` turns it off. Entries are :mod:`marshal` data (a builtin
module, so reading one costs no import); one written by another Python is ignored.
"""

from __future__ import annotations

import marshal
import os
import sys

from .flockprobe import flock_held

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (it costs ~3 ms)
if TYPE_CHECKING:
    from pathlib import Path

    from .model import Project

#: Stamps closer than this to the moment an answer was computed make it unsafe to store (s).
RACY_SECONDS = 2.0
#: Bump when the entry layout or the status rules change.
FORMAT = 1
#: Largest entry read (bytes); anything bigger is ignored.
MAX_BYTES = 1 << 20
_ENV_PREFIXES = ("KERNELENV_", "JUPYTER", "XDG_", "CONDA", "PIXI", "PYTHONUSERBASE")
_ENV_NAMES = ("HOME", "USER", "LOGNAME", "USERNAME", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA",
              "USERPROFILE")


def parse_args(argv: list[str]) -> tuple[str, bool, bool] | None:
    """``(path, json, check)`` when ``argv`` (the words after ``status``) holds at most one
    path and only the flags ``--json`` and ``--check``; ``None`` for anything else (the
    CLI's argument parser then handles it, errors included)."""
    path, as_json, check = None, False, False
    for word in argv:
        if word == "--json":
            as_json = True
        elif word == "--check":
            check = True
        elif word.startswith("-") or path is not None:
            return None
        else:
            path = word
    return (path if path is not None else "."), as_json, check


def cache_dir() -> str:
    """The folder holding status entries (see the module docstring)."""
    home = os.environ.get("KERNELENV_CACHE_HOME")
    if home:
        return os.path.join(home, "status")
    if sys.platform.startswith("linux"):  # the XDG base directory rule, as platformdirs applies it
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "kernelenv", "status")
    from platformdirs import user_cache_dir

    return os.path.join(user_cache_dir("kernelenv", appauthor=False), "status")


def enabled() -> bool:
    """Whether answers are cached (``KERNELENV_STATUS_CACHE`` is not ``0``/``false``/``no``)."""
    return os.environ.get("KERNELENV_STATUS_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def stamp(path: str, *, follow: bool = True) -> tuple[int, ...] | None:
    """``(type bits, size, mtime_ns, ctime_ns, inode)`` of ``path``, or ``None`` when it cannot
    be stat-ed. ``follow``: ``os.stat`` (else ``os.lstat``, for links)."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mode >> 12, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def _code_stamp() -> tuple[int, int]:
    """(newest mtime_ns, number of files) of kernelenv's own ``.py`` files: an upgrade or an
    edit of kernelenv invalidates every entry."""
    top = os.path.dirname(os.path.abspath(__file__))
    newest, count = 0, 0
    todo = [top]
    while todo:
        d = todo.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            if e.name.endswith(".py"):
                try:
                    newest = max(newest, e.stat(follow_symlinks=False).st_mtime_ns)
                except OSError:
                    continue
                count += 1
            elif e.name != "__pycache__" and e.is_dir(follow_symlinks=False):
                todo.append(e.path)
    return newest, count


def _key(root: str, as_json: bool, check: bool) -> tuple:
    env = tuple(sorted((k, v) for k, v in os.environ.items()
                       if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES))
    node = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
    return (FORMAT, sys.version, sys.executable, root, as_json, check, env, node, _code_stamp())


def _entry_path(root: str, as_json: bool, check: bool) -> str:
    import zlib  # builtin-fast; the name only spreads entries, the key inside is compared whole

    raw = f"{root}\0{as_json}\0{check}".encode("utf-8", "surrogateescape")
    return os.path.join(cache_dir(), f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.marshal")


def _lock_held(root: str) -> bool:
    """Whether an operation holds the project's lock (off POSIX: assume so, so the CLI asks)."""
    held = flock_held(os.path.join(root, ".kernelenv", "lock"))
    return True if held is None else held


def lookup(argv: list[str]) -> tuple[str, int] | None:
    """The stored ``(output, exit code)`` of ``kernelenv status <argv>``, or ``None`` when
    there is none that still holds (then the CLI computes the answer). Never raises."""
    try:
        return _lookup(argv)
    except Exception:  # noqa: BLE001 - a cache problem must never break status
        return None


def _lookup(argv: list[str]) -> tuple[str, int] | None:
    args = parse_args(argv)
    if args is None or not enabled():
        return None
    path, as_json, check = args
    root = os.path.realpath(path)
    entry = _entry_path(root, as_json, check)
    try:
        with open(entry, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES:
        return None
    try:
        key, watched, output, code, project_root = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    if key != _key(root, as_json, check):
        return None
    for p, follow, st in watched:
        if stamp(p, follow=follow) != st:
            return None
    if _lock_held(project_root):
        return None
    return output, code


def store(query: str, project_root: str, paths: list[tuple[str, bool]], output: str, code: int,
          as_json: bool, check: bool, started: float) -> bool:
    """Keep ``output`` and ``code``, the answer to ``status <query>`` computed from
    ``paths`` (``(path, follow links)`` pairs) from time ``started`` (``time.time()`` when
    the computation began). Stores nothing when a stamp is within :data:`RACY_SECONDS`
    of ``started`` or a write fails; returns whether it stored. Never raises."""
    try:
        return _store(query, project_root, paths, output, code, as_json, check, started)
    except Exception:  # noqa: BLE001 - a cache problem must never break status
        return False


def _store(query: str, project_root: str, paths: list[tuple[str, bool]], output: str, code: int,
           as_json: bool, check: bool, started: float) -> bool:
    if not enabled():
        return False
    root = os.path.realpath(query)
    racy = int((started - RACY_SECONDS) * 1e9)
    watched = []
    for p, follow in dict.fromkeys(paths):
        st = stamp(p, follow=follow)
        if st is not None and max(st[2], st[3]) >= racy:
            return False
        watched.append((p, follow, st))
    blob = marshal.dumps((_key(root, as_json, check), watched, output, code, project_root))
    entry = _entry_path(root, as_json, check)
    os.makedirs(os.path.dirname(entry), mode=0o700, exist_ok=True)
    tmp = f"{entry}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, entry)
    return True


def watched_paths(query: Path, project: Project, kernel_name: str | None) -> list[tuple[str, bool]]:
    """The ``(path, follow links)`` pairs the answer to ``status query`` for ``project`` was
    computed from (see the module docstring). Never raises: an unreadable folder is watched
    as itself."""
    from .kernels import kernel_dirs
    from .layout import link_target, live_link, python_in, site_packages, state_dir, state_file
    from .state import read_state

    root = project.root
    out: list[tuple[str, bool]] = []
    start = query if query.is_dir() else query.parent
    for d in (start, *start.parents):
        if d == root or root in d.parents:  # folders detection looks in on its way up to the root
            out.append((str(d), True))
        # above: what makes the root a uv workspace member or puts it inside an env
        out += [(str(d / name), True) for name in ("pyproject.toml", "pyvenv.cfg", "conda-meta")]
    for d in (root, root / "binder", root / ".binder"):
        out.append((str(d), True))
        try:
            out += [(e.path, True) for e in os.scandir(d) if e.is_file()]
        except OSError:
            pass
    out += [(str(f.path), True) for f in project.files]
    sd = state_dir(root)
    out += [(str(sd), True), (str(state_file(root, project.environment)), True),
            (str(sd / "last-failure.json"), True), (str(sd / "lock"), True)]
    state = read_state(root, project.environment) or {}
    inputs = state.get("inputs")
    if isinstance(inputs, dict):
        out += [(str(root / k), True) for k in inputs if isinstance(k, str)]
    link = live_link(root, state.get("env_kind") or project.backend.env_kind, project.environment)
    out += [(str(link), False), (str(link), True)]
    target = link_target(link)
    if target is not None:
        out += [(str(target), True), (str(python_in(target, "venv")), True),
                (str(python_in(target, "conda")), True), (str(target / "lib"), True),
                (str(target / "conda-meta"), True), (str(target / "Lib" / "site-packages"), True)]
        out += [(str(sp), True) for sp in site_packages(target)]
    for d in kernel_dirs():
        out.append((str(d), True))
        if kernel_name:
            out += [(str(d / kernel_name), True), (str(d / kernel_name / "kernel.json"), True)]
    return out
