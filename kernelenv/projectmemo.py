"""Detection's memo: each project folder's :class:`~kernelenv.model.Project`, kept with
everything it was computed from, so an unchanged folder is not parsed again (issue 15).

Building a project from a folder parses its env files (``packaging`` for requirement lines,
YAML, TOML, MatchSpecs with py-rattler, the lock checks): most of the cost of a computed
``kernelenv status`` or ``kernelenv detect``, and of every detection the Jupyter server and
the language server run. The result is a function of:

* the folder as :func:`kernelenv.folderscan.scan_folder` found it (env file names and kinds,
  ``binder/`` folders, links out of the workspace), the workspace folder, the backend asked
  for and ``KERNELENV_BACKEND``;
* the content of those env files;
* the other files the readers opened and the paths they looked at, as
  :mod:`kernelenv.readlog` records them (a requirements file's ``-r`` includes, ``src/<name>``
  for the project install, a ``setup.py`` beside a pyproject);
* kernelenv and the libraries it parses with.

:func:`build` keeps the project with all of these: the scan's names and kinds; the BLAKE2b
digest of every env file of the folder (files over :data:`MAX_HASH_BYTES` by their ``stat``
stamp); the digest of every other file read; the kind and real path of every path probed;
the Python, its environment, kernelenv's source stamps
(:func:`kernelenv.answercache.code_stamp`) and the stamp of each ``site-packages`` folder on
``sys.path`` (a parser library installed or upgraded changes its folder). A later build of the same folder
reuses the project only when every one is unchanged. Content is compared, not time stamps,
so an edit within the same clock tick is seen.

Entries live in the user's cache folder (``<cache home>/projects``, see
:func:`kernelenv.answercache.cache_home`), one per folder, never in a project: nothing a
cloned repository holds can supply a detection result. ``KERNELENV_ANSWER_CACHE=0`` turns
this memo off with the answer cache. A build that failed unexpectedly (error code
``detect-failed``) is not kept.
"""

from __future__ import annotations

import os

from . import answercache, readlog

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from .folderscan import Folder
    from .model import Backend, Project

#: Bump when the entry layout or detection's rules change in a way the source stamp misses.
FORMAT = 1
#: Files larger than this (bytes) are compared by ``stat`` stamp instead of content.
MAX_HASH_BYTES = 16 << 20
#: The :class:`~kernelenv.model.Project` fields an entry keeps (all of them).
FIELDS = ("root", "name", "backend", "backend_reason", "files", "spec", "lock", "python", "ambiguity",
          "config_dir", "warnings", "errors", "workspace", "environment", "runs_build_backend",
          "install_project", "install_project_reason")


def build(folder: Folder, workspace: os.PathLike, forced: Backend | None,
          read: list[str] | None = None) -> Project | None:
    """The project ``folder``'s env files make (``None`` when they define none), as
    :func:`kernelenv.projectrules.safe_build` returns it: from the memo when nothing it was
    computed from changed, else computed and kept.

    Args:
        folder: one :func:`~kernelenv.folderscan.scan_folder` result.
        workspace: the workspace folder (recorded on the project).
        forced: the backend asked for explicitly, or ``None``.
        read: when given, receives the paths the project depends on beyond the folder's own
            env files (files the readers opened, paths they probed), for the answer cache.

    Never raises for a memo problem (an unreadable or foreign entry is a miss; a failed write
    is ignored); detection errors are on the project, as ``safe_build`` puts them.
    """
    if not answercache.enabled():
        return _compute(folder, workspace, forced)
    try:
        entry = _entry_path(folder, workspace, forced)
        own = _key_files(folder)
        key = _key(folder, workspace, forced, own)
        hit = _lookup(entry, key)
    except Exception:  # noqa: BLE001 - a memo problem must never hide a project
        return _compute(folder, workspace, forced)
    if hit is not None:
        if read is not None:
            read += hit[1]
        return hit[0]
    log, token = readlog.start()
    try:
        project = _compute(folder, workspace, forced)
    finally:
        readlog.stop(token)
    reads = {p: d for p, d in log.reads.items() if p not in own}  # the key holds those
    if read is not None:
        read += [*reads, *log.probes]
    if project is None or all(e.code != "detect-failed" for e in project.errors):
        try:
            answercache.write_entry(entry, (key, reads, log.probes, None if project is None else dump(project)))
        except Exception:  # noqa: BLE001 - a memo that cannot be written is only a miss next time
            pass
    return project


def _compute(folder: Folder, workspace: os.PathLike, forced: Backend | None) -> Project | None:
    from .projectrules import safe_build  # only here: a hit imports neither it nor a parser

    return safe_build(folder, workspace, forced)


def _env_key() -> tuple:
    """What every entry depends on besides its folder (:func:`kernelenv.answercache.runtime_stamp`)."""
    return (FORMAT, *answercache.runtime_stamp())


def _key_files(folder: Folder) -> list[str]:
    """The env files of ``folder`` and of its binder folders (the key holds their content)."""
    out = [os.path.join(folder.path, n) for n in sorted(folder.files)]
    for b, files in sorted(folder.binder.items()):
        out += [os.path.join(folder.path, b, n) for n in sorted(files)]
    return out


def content(path: str) -> bytes | tuple | None:
    """What a memo entry compares of file ``path``: its BLAKE2b digest, or for a file over
    :data:`MAX_HASH_BYTES` its ``(size, mtime_ns, ctime_ns, inode)``; ``None`` when it
    cannot be read."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if st.st_size > MAX_HASH_BYTES:
                return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            return readlog.digest(f.read(MAX_HASH_BYTES + 1))
    except (OSError, ValueError):
        return None


def _key(folder: Folder, workspace: os.PathLike, forced: Backend | None, own: list[str]) -> tuple:
    from .folderscan import env_files_of

    return (_env_key(), os.environ.get("KERNELENV_BACKEND", ""), folder.path, os.path.realpath(folder.path),
            os.fspath(workspace), forced.value if forced is not None else None, env_files_of(folder),
            tuple(content(p) for p in own))


def _entry_path(folder: Folder, workspace: os.PathLike, forced: Backend | None) -> str:
    import zlib  # builtin; the name only spreads entries, the key inside is compared whole

    raw = "\0".join((folder.path, os.fspath(workspace), forced.value if forced is not None else "")
                    ).encode("utf-8", "surrogateescape")
    return os.path.join(answercache.cache_home(), "projects",
                        f"{zlib.crc32(raw):08x}{zlib.adler32(raw):08x}.marshal")


def _lookup(entry: str, key: tuple) -> tuple[Project | None, list[str]] | None:
    """``(project, paths it depends on)`` from ``entry`` when it holds ``key`` and its reads
    and probes hold."""
    value = answercache.read_entry(entry)
    if value is None or len(value) != 4 or value[0] != key:
        return None
    _, reads, probes, record = value
    if any(content(p) != d for p, d in reads.items()):
        return None
    if any(readlog.look(p) != tuple(seen) for p, seen in probes.items()):
        return None
    return (None if record is None else load(record)), [*reads, *probes]


def dump(project: Project) -> dict:
    """``project`` as plain data (str, int, bool, None, lists, tuples, dicts) that
    :func:`load` turns back into an equal project."""
    p = project

    def s(path):
        return None if path is None else str(path)

    return {
        "root": str(p.root), "name": p.name, "backend": p.backend.value, "backend_reason": p.backend_reason,
        "files": [(str(f.path), f.kind, f.role.value) for f in p.files],
        "spec": s(p.spec), "lock": s(p.lock),
        "python": None if p.python is None else (p.python.specifier, str(p.python.source), p.python.raw),
        "ambiguity": p.ambiguity, "config_dir": s(p.config_dir), "warnings": list(p.warnings),
        "errors": [(str(e.path), e.detail, e.line, e.column, e.end_line, e.end_column, e.code)
                   for e in p.errors],
        "workspace": s(p.workspace), "environment": p.environment, "runs_build_backend": p.runs_build_backend,
        "install_project": p.install_project, "install_project_reason": p.install_project_reason,
    }


def load(record: dict) -> Project:
    """The :class:`~kernelenv.model.Project` :func:`dump` gave ``record`` for.

    Raises:
        KeyError, TypeError, ValueError: ``record`` is not a :func:`dump` result.
    """
    from pathlib import Path

    from .errors import EnvFileError
    from .model import Backend, EnvFile, FileRole, Project, PythonRequest

    def p(value):
        return None if value is None else Path(value)

    py = record["python"]
    return Project(
        root=Path(record["root"]), name=record["name"], backend=Backend(record["backend"]),
        backend_reason=record["backend_reason"],
        files=[EnvFile(Path(path), kind, FileRole(role)) for path, kind, role in record["files"]],
        spec=p(record["spec"]), lock=p(record["lock"]),
        python=None if py is None else PythonRequest(py[0], Path(py[1]), py[2]),
        ambiguity=record["ambiguity"], config_dir=p(record["config_dir"]), warnings=list(record["warnings"]),
        errors=[EnvFileError(path, detail, line, column, end_line=end_line, end_column=end_column, code=code)
                for path, detail, line, column, end_line, end_column, code in record["errors"]],
        workspace=p(record["workspace"]), environment=record["environment"],
        runs_build_backend=record["runs_build_backend"], install_project=record["install_project"],
        install_project_reason=record["install_project_reason"])


__all__ = ["FIELDS", "FORMAT", "MAX_HASH_BYTES", "build", "content", "dump", "load"]
