"""A stat-checked cache of ``kernelenv status`` and ``kernelenv detect`` answers (issue 15:
status at the cost of starting Python, detect close to ``find``).

Computing either answer imports detection, the parsers of the project's files
(``packaging``, ``tomllib``, ``yaml`` ...) and ``jupyter_core``'s paths, and ``detect`` walks
the tree: several times Python's own start. On unchanged files the answer is the same, so
the CLI stores it here with the ``stat`` stamps of every path it was computed from, and the
next identical command answers from this file after re-``stat``-ing those paths, importing
nothing but builtins.

The rule is git's for its index (Documentation/technical/racy-git.txt): a stored answer is
used while every watched path still has the same stamp (file type, size, ``st_mtime_ns``,
``st_ctime_ns``, inode; or is still absent). For ``status`` each path also keeps a check value
(:func:`check_value`: a folder's sorted names, a small file's BLAKE2 digest, a link's target),
and a path whose stamp changed still holds when its check value did not (a notebook saved
beside the env files, which renames a temporary file in the folder; ``touch``; a checkout of
the same content); the entry then gets the new stamps. A stamp within :data:`RACY_SECONDS` of
the moment the answer was computed is "racy" (a change made in the same clock tick, 2 s on
FAT, as the ``stat`` would look like no change): such a path is compared by its check value
on every lookup; an answer is stored with racy paths only when a :func:`snapshot` of them
taken before it was computed (stamps and check values) equals the one taken after, so the
answer was computed from the very content compared later. So the answer a build leaves
(``create``, ``rebuild``, ``add`` ... store it, :func:`kernelenv.statusanswer.prime`) is usable
at once. Whether an operation holds a
project's lock is probed on every ``status`` call (never cached).

What is watched (:func:`watched_paths`, per project): each folder from the queried one up to
the project folder; in every folder above, up to the filesystem root, its ``pyproject.toml``
(uv workspaces), ``pyvenv.cfg`` and ``conda-meta`` (a project inside an env); the project
folder's entries and what detection reads there (env files, the other files it examined,
``binder/`` and ``.binder/`` with their files); the project's env files; its ``.kernelenv``
state, failure and lock files; the live env link, its target, interpreter, ``lib``,
``site-packages`` and ``conda-meta`` folders (the drift check); and in each Jupyter kernels
folder, the kernelspecs of the names the project's kernel name is chosen from. For ``detect``, every folder the
walk scanned (a file or folder added, removed or renamed anywhere it looked changes that
folder's stamps), the env files, every other file and path detection's readers looked at
(:mod:`kernelenv.readlog`: a requirements file's ``-r`` includes ...) and what each kernel
name was chosen from (:func:`kernel_name_paths`). The key holds the command and its flags,
Python, kernelenv's own source stamps, the host and the environment variables kernelenv
reads (``KERNELENV_*``, ``JUPYTER*``, ``XDG_*``, ``CONDA*``, ``PIXI*``, ``HOME``, ``USER`` ...).

The cache lives in the user's cache folder (``$KERNELENV_CACHE_HOME/answers``, else
``$XDG_CACHE_HOME/kernelenv/answers`` or ``~/.cache/kernelenv/answers``; platformdirs' user
cache folder off Linux), never in a project: nothing a cloned repository contains can supply
an answer. ``KERNELENV_ANSWER_CACHE=0`` turns it off. Entries are :mod:`marshal` data (a
builtin module, so reading one costs no import); one written by another Python is ignored.
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
#: Bump when the entry layout or the status/detect rules change.
FORMAT = 3
#: Largest file compared by content (bytes) when its stamp changed or is racy.
MAX_CHECK_BYTES = 1 << 20
#: Largest entry read (bytes); anything bigger is ignored.
MAX_BYTES = 8 << 20
#: The commands answered, and the flags each may carry (anything else is computed).
COMMANDS = {"status": ("--json", "--check"), "detect": ("--json",)}
_ENV_PREFIXES = ("KERNELENV_", "JUPYTER", "XDG_", "CONDA", "PIXI", "PYTHONUSERBASE")
_ENV_NAMES = ("HOME", "USER", "LOGNAME", "USERNAME", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA",
              "USERPROFILE")


def parse_args(argv: list[str]) -> tuple[str, str, tuple[str, ...]] | None:
    """``(command, path, flags)`` when ``argv`` (the CLI's words) is one of :data:`COMMANDS`
    with at most one path and only that command's flags (``flags`` sorted, deduplicated);
    ``None`` for anything else (the CLI's argument parser then handles it, errors included)."""
    if not argv or argv[0] not in COMMANDS:
        return None
    allowed = COMMANDS[argv[0]]
    path, flags = None, set()
    for word in argv[1:]:
        if word in allowed:
            flags.add(word)
        elif word.startswith("-") or path is not None:
            return None
        else:
            path = word
    return argv[0], (path if path is not None else "."), tuple(sorted(flags))


def cache_home() -> str:
    """kernelenv's folder in the user's cache folder (``$KERNELENV_CACHE_HOME``, else
    ``$XDG_CACHE_HOME/kernelenv`` or ``~/.cache/kernelenv``; platformdirs' user cache folder
    off Linux)."""
    home = os.environ.get("KERNELENV_CACHE_HOME")
    if home:
        return home
    if sys.platform.startswith("linux"):  # the XDG base directory rule, as platformdirs applies it
        base = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "kernelenv")
    from platformdirs import user_cache_dir

    return user_cache_dir("kernelenv", appauthor=False)


def cache_dir() -> str:
    """The folder holding answers (see the module docstring)."""
    return os.path.join(cache_home(), "answers")


def enabled() -> bool:
    """Whether answers are cached (``KERNELENV_ANSWER_CACHE`` is not ``0``/``false``/``no``/``off``)."""
    return os.environ.get("KERNELENV_ANSWER_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def stamp(path: str, *, follow: bool = True) -> tuple[int, ...] | None:
    """``(type bits, size, mtime_ns, ctime_ns, inode)`` of ``path``, or ``None`` when it cannot
    be stat-ed. ``follow``: ``os.stat`` (else ``os.lstat``, for links)."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except (OSError, ValueError):
        return None
    return (st.st_mode >> 12, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def check_value(path: str, follow: bool, st: tuple[int, ...] | None) -> bytes | str | None:
    """What of ``path`` (stamp ``st``, from :func:`stamp`) an answer depends on, comparable
    when the stamp changed: a folder's sorted entry names (its stamp changes with any entry
    added, removed or renamed), a regular file's BLAKE2b digest (up to
    :data:`MAX_CHECK_BYTES`), a link's target (``follow=False``); ``None`` when there is none
    (absent, larger, unreadable, or another type): then only the stamp can tell."""
    if st is None:
        return None
    kind = st[0]
    try:
        if kind == 0o04:  # S_IFDIR >> 12
            return "\0".join(sorted(os.listdir(path)))
        if kind == 0o12 and not follow:  # S_IFLNK >> 12
            return os.readlink(path)
        if kind == 0o10 and st[1] <= MAX_CHECK_BYTES:  # S_IFREG >> 12
            from hashlib import blake2b

            with open(path, "rb") as f:
                return blake2b(f.read(MAX_CHECK_BYTES + 1)).digest()
    except (OSError, ValueError):
        return None
    return None


def _racy(st: tuple[int, ...] | None, since: float) -> bool:
    """Whether stamp ``st`` is within :data:`RACY_SECONDS` before time ``since`` or after it."""
    return st is not None and max(st[2], st[3]) >= int((since - RACY_SECONDS) * 1e9)


_CODE_STAMP: list[tuple[int, int]] = []


def code_stamp() -> tuple[int, int]:
    """(newest mtime_ns, number of files) of kernelenv's own ``.py`` files: an upgrade or an
    edit of kernelenv invalidates every entry. Taken once per process."""
    if _CODE_STAMP:
        return _CODE_STAMP[0]
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
    _CODE_STAMP.append((newest, count))
    return newest, count


_RUNTIME_STAMP: list[tuple] = []


def runtime_stamp() -> tuple:
    """What every kept answer depends on besides its inputs, taken once per process: the
    Python (version, prefix, real executable), kernelenv's source stamps (:func:`code_stamp`)
    and the ``stat`` stamp (mtime, inode) of each ``site-packages`` folder on ``sys.path``
    (where packaging, PyYAML, tomli and py-rattler live: an upgrade changes the folder)."""
    if not _RUNTIME_STAMP:
        paths = []
        for p in sys.path:
            st = stamp(p) if p.endswith(("site-packages", "dist-packages")) else None
            if st is not None:
                paths.append((p, st[2], st[4]))
        _RUNTIME_STAMP.append((sys.version, sys.prefix, os.path.realpath(sys.executable), code_stamp(),
                               tuple(paths)))
    return _RUNTIME_STAMP[0]


def _key(command: str, root: str, flags: tuple[str, ...]) -> tuple:
    env = tuple(sorted((k, v) for k, v in os.environ.items()
                       if k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES))
    node = os.uname().nodename if hasattr(os, "uname") else os.environ.get("COMPUTERNAME", "")
    # the environment kernelenv runs in (`python -m kernelenv` and the console script, whose
    # interpreter may be spelled python3, are the same one)
    interpreter = (sys.prefix, os.path.realpath(sys.executable))
    return (FORMAT, command, flags, sys.version, interpreter, root, env, node, code_stamp())


def _entry_path(command: str, root: str, flags: tuple[str, ...]) -> str:
    import zlib  # builtin-fast; the name only spreads entries, the key inside is compared whole

    raw = "\0".join((command, root, *flags)).encode("utf-8", "surrogateescape")
    return os.path.join(cache_dir(), f"{command}-{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.marshal")


def _lock_held(lock: str) -> bool:
    """Whether an operation holds lock file ``lock`` (off POSIX: assume so, so the CLI asks)."""
    held = flock_held(lock)
    return True if held is None else held


def lookup(argv: list[str]) -> tuple[str, int] | None:
    """The stored ``(output, exit code)`` of ``kernelenv <argv>``, or ``None`` when there is
    none that still holds (then the CLI computes the answer). Never raises."""
    try:
        return _lookup(argv)
    except Exception:  # noqa: BLE001 - a cache problem must never break the command
        return None


def _lookup(argv: list[str]) -> tuple[str, int] | None:
    args = parse_args(argv)
    if args is None or not enabled():
        return None
    command, path, flags = args
    root = os.path.realpath(path)
    entry = read_entry(_entry_path(command, root, flags))
    if entry is None or len(entry) != 5:
        return None
    key, watched, output, code, locks = entry
    if key != _key(command, root, flags):
        return None
    changed = False
    for i, (p, follow, st, check, racy, scan) in enumerate(watched):
        now = stamp(p, follow=follow)
        if now == st and not racy:
            continue
        if check is None or now is None or st is None or now[0] != st[0] or \
                _check(p, follow, now, scan) != check:
            return None
        if now != st or not _racy(now, _time()):
            watched[i] = (p, follow, now, check, _racy(now, _time()), scan)
            changed = True
    if any(_lock_held(r) for r in locks):
        return None
    if changed:  # the same content under new stamps: keep them, so the next lookup is stat-only
        write_entry(_entry_path(command, root, flags), (key, watched, output, code, locks))
    return output, code


def _time() -> float:
    import time

    return time.time()


def _check(path: str, follow: bool, st: tuple[int, ...] | None, scan: tuple | None) -> bytes | str | tuple | None:
    """The check value of a watched path: for a folder detection scans (``scan``: the
    ``(workspace real path, want subfolders)`` it scans with) the folder as detection sees it
    (:func:`kernelenv.folderscan.signature`: a notebook or data file added there leaves it
    unchanged), else :func:`check_value`."""
    if scan is not None and st is not None and st[0] == 0o04:
        from .folderscan import signature

        return signature(path, scan[0], scan[1])
    return check_value(path, follow, st)


def _spec(entry: tuple) -> tuple[str, bool, tuple | None, tuple | None]:
    """``(path, follow, scan, signature)`` of a watched path given as ``(path, follow)``,
    ``(path, follow, scan)`` or ``(path, follow, scan, signature)`` (the folder's
    :func:`kernelenv.folderscan.signature` as the computation scanned it)."""
    return (*entry, None, None)[:4]


def snapshot(paths: list[tuple]) -> dict[tuple[str, bool], tuple]:
    """``{(path, follow): (stamp, check value)}`` of ``paths`` (as :func:`store` takes them),
    to take before computing an answer and hand to :func:`store` as ``before``."""
    out = {}
    for p, follow, scan, _ in map(_spec, dict.fromkeys(paths)):
        st = stamp(p, follow=follow)
        out[(p, follow)] = (st, _check(p, follow, st, scan))
    return out


def store(answers: list[tuple[list[str], str, int]], paths: list[tuple], started: float,
          locks: list[str] = (), before: dict[tuple[str, bool], tuple] | None = None) -> bool:
    """Keep ``answers``, each ``(argv, output, exit code)``: the answer to ``kernelenv <argv>``
    (a form :func:`parse_args` accepts; one command and path, several flag sets), all computed
    from ``paths`` (``(path, follow links)`` pairs, or ``(path, follow links, scan)`` for a
    folder detection scans, ``scan`` being the ``(workspace real path or None, want
    subfolders)`` it scans with, optionally followed by the folder's signature as that scan
    saw it; stamped once for them all) from time ``started``
    (``time.time()`` when the computation began). ``locks``: lock files
    (:func:`kernelenv.locking.lock_file`) no operation may hold for an answer to hold
    (``status``). Stores nothing when a stamp is within :data:`RACY_SECONDS` of ``started``
    (racy) and ``before`` (a :func:`snapshot` of ``paths`` taken before the answers were
    computed; ``detect`` keeps check values of its scanned folders only) does not hold that
    path with the same stamp and check value, or a write fails; returns whether all were
    stored. Never raises."""
    try:
        return _store(answers, paths, started, list(locks), before)
    except Exception:  # noqa: BLE001 - a cache problem must never break the command
        return False


def _store(answers: list[tuple[list[str], str, int]], paths: list[tuple], started: float,
           locks: list[str], before: dict[tuple[str, bool], tuple] | None) -> bool:
    forms = [(parse_args(argv), output, code) for argv, output, code in answers]
    if not forms or any(args is None for args, _, _ in forms) or not enabled():
        return False
    # detect watches thousands of files: stamps only, and the scanned folders' signatures
    checked = forms[0][0][0] == "status"
    watched = []
    for p, follow, scan, seen in map(_spec, dict.fromkeys(paths)):
        st = stamp(p, follow=follow)
        if seen is not None and st is not None and st[0] == 0o04:
            check = seen  # a change since that scan is racy: not stored without `before` holding it
        else:
            check = _check(p, follow, st, scan) if checked or scan is not None else None
        racy = _racy(st, started)
        if racy and (check is None or before is None or before.get((p, follow)) != (st, check)):
            return False  # changed around the computation: the answer may be of other content
        watched.append((p, follow, st, check, racy, scan))
    stored = True
    for (command, path, flags), output, code in forms:
        root = os.path.realpath(path)
        value = (_key(command, root, flags), watched, output, code, locks)
        stored &= write_entry(_entry_path(command, root, flags), value)
    return stored


def read_entry(entry: str) -> tuple | None:
    """The value :func:`write_entry` wrote to file ``entry``, or ``None`` (absent, larger
    than :data:`MAX_BYTES`, not a marshal tuple, or written by another Python)."""
    try:
        with open(entry, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_BYTES:
        return None
    try:
        value = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    return value if isinstance(value, tuple) else None


def write_entry(entry: str, value: tuple) -> bool:
    """Write one entry atomically (a temporary file renamed over it); whether it was written."""
    blob = marshal.dumps(value)
    if len(blob) > MAX_BYTES:
        return False
    os.makedirs(os.path.dirname(entry), mode=0o700, exist_ok=True)
    from _thread import get_ident  # builtin; threads of one server write entries too

    tmp = f"{entry}.{os.getpid()}.{get_ident()}.tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, entry)
    return True


def watched_paths(query: Path, project: Project, kernel_name: str | None) -> list[tuple]:
    """The ``(path, follow links)`` pairs the answer to ``status query`` for ``project`` was
    computed from (see the module docstring). Never raises: an unreadable folder is watched
    as itself."""
    from .detect import read_paths
    from .failures import failure_file
    from .folderscan import scan_folder
    from .layout import link_target, live_link, python_in, site_packages
    from .locking import lock_file
    from .state import read_state

    root = project.root
    out: list[tuple[str, bool]] = []
    start = query if query.is_dir() else query.parent
    for d in (start, *start.parents):
        if d == root or root in d.parents:  # folders detection looks in on its way up to the root
            out.append((str(d), True, (None, False)))
        # above: what makes the root a uv workspace member or puts it inside an env
        out += [(str(d / name), True) for name in ("pyproject.toml", "pyvenv.cfg", "conda-meta")]
    # the project folder as detection reads it: its entries (a file added, removed or renamed),
    # its env files and the others it examined, binder/ and .binder/ (not its notebooks: a
    # notebook saved there leaves the folder's names as they were)
    out += read_paths(str(root), scan_folder(root, None, want_subdirs=False), (None, False))
    out += [(str(f.path), True) for f in project.files]
    out += kernel_name_paths(project, kernel_name)
    out += [(str(failure_file(root)), True), (str(lock_file(root)), True)]
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
    return out


def kernel_name_paths(project: Project, kernel_name: str | None) -> list[tuple[str, bool]]:
    """The ``(path, follow links)`` pairs ``project``'s kernel name (``kernel_name``, as
    :func:`kernelenv.kernels.kernel_name` gave it) was chosen from: its state folder and
    file (the recorded name) and, in each Jupyter kernels folder, the kernelspec folder and
    ``kernel.json`` of every name it tries (:func:`kernelenv.kernels.name_candidates`). A
    kernelspec of another name, added or removed anywhere, leaves the answer as it was."""
    from .kernels import kernel_dirs, name_candidates
    from .layout import state_dir, state_file

    root = project.root
    out = [(str(state_dir(root)), True), (str(state_file(root, project.environment)), True)]
    names = list(dict.fromkeys([*([kernel_name] if kernel_name else []), *name_candidates(project)]))
    for d in kernel_dirs():
        for name in names:
            out += [(str(d / name), True), (str(d / name / "kernel.json"), True)]
    return out
