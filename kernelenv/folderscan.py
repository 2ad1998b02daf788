"""Which files are env files, and one ``os.scandir`` of a folder (the first step of detection).

:func:`classify` maps a file name to its env-file kind; :func:`scan_folder` lists a folder's
env files, its ``binder/``/``.binder/`` folders and the subfolders detection walks (rules:
:mod:`kernelenv.detect`). Reads names only, except ``*.lock`` files, whose first 64 KiB
are read to tell an ``@EXPLICIT`` conda lock from other tools' locks.

The answer cache (:mod:`kernelenv.answercache`) scans folders with :func:`signature` on its
way to answering ``kernelenv status`` at Python's start-up cost, so this module imports
nothing but ``os`` (no ``re``, ``dataclasses`` or ``pathlib``: ~10 ms together).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

#: Folder names never scanned (besides hidden folders and envs).
PRUNE_DIRS = frozenset({"node_modules", "__pycache__", "build", "dist", "site-packages",
                        "_build", "htmlcov", "__pypackages__"})
BINDER_DIRS = ("binder", ".binder")
#: The marker of a config folder written by ``kernelenv binder`` (see :mod:`kernelenv.binder.config`).
GENERATED_BINDER_MARKER = ".kernelenv-generated"
_KNOWN_LOCKS = {"uv.lock": "uv.lock", "pixi.lock": "pixi.lock", "poetry.lock": "poetry.lock",
                "Pipfile.lock": "Pipfile.lock"}
_NOT_CONDA_LOCKS = frozenset({"yarn.lock", "Cargo.lock", "Gemfile.lock", "composer.lock",
                              "flake.lock", "pdm.lock", "package.lock", "mix.lock", "bun.lock",
                              "pubspec.lock", "Podfile.lock", "packages.lock", "conan.lock"})
_FIXED = {
    "environment.yml": "environment.yml", "environment.yaml": "environment.yml",
    "conda-lock.yml": "conda-lock", "conda-lock.yaml": "conda-lock",
    "pixi.toml": "pixi.toml", "pyproject.toml": "pyproject", "Pipfile": "Pipfile",
    "pylock.toml": "pylock", "setup.py": "setup.py", "setup.cfg": "setup.cfg",
    "runtime.txt": "runtime.txt", ".python-version": "python-version", "apt.txt": "apt.txt",
    "postBuild": "postBuild", "start": "start", **_KNOWN_LOCKS,
}
#: The purposes that make ``requirements-<purpose>.txt`` (or ``.in``) tooling requirements.
TOOLING_PURPOSES = frozenset({
    "dev", "devel", "develop", "development", "test", "tests", "testing", "doc", "docs", "lint", "linting",
    "ci", "build", "typing", "mypy", "style", "format", "release", "pre-commit", "precommit", "bench",
    "benchmark"})
CONDA_KINDS = {"environment.yml", "conda-lock", "explicit-lock", "pixi.toml", "pixi.lock"}
PIP_SPEC_KINDS = {"requirements", "requirements.in", "pyproject", "Pipfile"}
PIP_LOCK_ORDER = ("uv.lock", "pylock", "Pipfile.lock", "poetry.lock")
INFO_KINDS = {"setup.py", "setup.cfg", "apt.txt", "postBuild", "start"}


def is_tooling_requirements(name: str) -> bool:
    """Whether file name ``name`` is ``requirements`` + one of ``-_.`` + a
    :data:`TOOLING_PURPOSES` word + ``.txt`` or ``.in``, in any case
    (``requirements-dev.txt``, ``Requirements_Docs.in``): tooling, not a notebook env."""
    low = name.lower()
    if not low.startswith("requirements") or len(low) < 14 or low[12] not in "-_.":
        return False
    purpose, dot, ext = low[13:].rpartition(".")
    return dot == "." and ext in ("txt", "in") and purpose in TOOLING_PURPOSES


def classify(name: str) -> str | None:
    """The env-file kind of a file name, or ``None`` (``*.lock`` files need :func:`lock_kind`)."""
    kind = _FIXED.get(name)
    if kind:
        return kind
    if name.startswith("requirements"):
        if name.endswith(".txt"):
            return "requirements"
        if name.endswith(".in"):
            return "requirements.in"
        return None
    if name.startswith("environment-") and name.endswith((".yml", ".yaml")):
        return "environment.yml"
    if name.startswith("pylock.") and name.endswith(".toml"):
        return "pylock"
    return None


def lock_kind(path: Path) -> str:
    """The :attr:`EnvFile.kind` of a lock file by name (reads the file only for ``*.lock``).

    ``uv.lock`` -> ``uv.lock``; ``pylock.toml``/``pylock.<name>.toml`` -> ``pylock``;
    ``conda-lock.yml`` -> ``conda-lock``; ``pixi.lock``, ``poetry.lock``,
    ``Pipfile.lock`` -> themselves; another ``*.lock`` holding ``@EXPLICIT`` ->
    ``explicit-lock``.

    Raises:
        ValueError: not a lock file kernelenv knows.
    """
    from pathlib import Path

    path = Path(path)
    kind = classify(path.name)
    if kind in ("uv.lock", "pylock", "conda-lock", "pixi.lock", "poetry.lock", "Pipfile.lock"):
        return kind
    if path.name.endswith((".lock", ".txt")) and _is_explicit(path):
        return "explicit-lock"
    raise ValueError(f"{path.name} is not a lock file kernelenv knows (uv.lock, pylock.toml, "
                     "conda-lock.yml, pixi.lock, poetry.lock, Pipfile.lock, @EXPLICIT *.lock)")


def _is_explicit(path: Path | str) -> bool:
    from pathlib import Path

    from .parsers.condalock import is_explicit_lock

    return is_explicit_lock(Path(path))


# --------------------------------------------------------------------------- scanning


class Folder:
    """The env files of one folder, found by one ``os.scandir``.

    Attributes:
        path: the folder, as given to :func:`scan_folder`.
        files: ``{name: kind}`` of its env files (:func:`classify`).
        subdirs: the subfolders detection walks into.
        binder: ``{"binder" or ".binder": {name: kind}}`` of its config folders' env files.
        is_env: it is an env itself (holds ``pyvenv.cfg`` or ``conda-meta``).
        outside_links: names of env-file links leading out of the workspace (not followed).
        examined: other names whose content was read (``*.lock``: ``@EXPLICIT`` or not).
    """

    __slots__ = ("path", "files", "subdirs", "binder", "is_env", "outside_links", "examined")

    def __init__(self, path: str) -> None:
        self.path = path
        self.files: dict[str, str] = {}
        self.subdirs: list[os.DirEntry] = []
        self.binder: dict[str, dict[str, str]] = {}
        self.is_env = False
        self.outside_links: list[str] = []
        self.examined: list[str] = []

    def __repr__(self) -> str:
        return f"Folder({self.path!r}, files={self.files!r}, binder={self.binder!r}, is_env={self.is_env})"


#: First characters of every env-file name (a cheap pre-filter before :func:`classify`).
_FIRST_CHARS = frozenset("ecpPrsua.")


def scan_folder(path: Path | str, ws_real: str | None, want_subdirs: bool = True) -> Folder:
    """One ``os.scandir`` of ``path``: its env files, binder/ folders and subfolders to walk."""
    folder = Folder(str(path))
    try:
        it = os.scandir(path)
    except OSError:
        return folder
    subdirs = folder.subdirs
    with it:
        for e in it:
            n = e.name
            if n == "pyvenv.cfg" or n == "conda-meta":
                folder.is_env = True
                folder.files, folder.subdirs, folder.binder = {}, [], {}
                return folder
            kind = classify(n) if n[0] in _FIRST_CHARS else None
            if kind is None and n.endswith(".lock") and n not in _NOT_CONDA_LOCKS:
                kind = "explicit-lock?"
                folder.examined.append(n)
            if kind is not None:
                _add_file(folder, e, kind, ws_real)
                continue
            if n in BINDER_DIRS:
                try:
                    # A folder `kernelenv binder` generated is an output, not the env: the
                    # project folder's own files stay the spec the lock follows.
                    if e.is_dir() and not os.path.isfile(os.path.join(e.path, GENERATED_BINDER_MARKER)):
                        folder.binder[n] = scan_folder(e.path, ws_real, want_subdirs=False).files
                except OSError:
                    pass
                continue
            if want_subdirs and n[0] != "." and n not in PRUNE_DIRS and not n.endswith(".egg-info"):
                try:
                    if e.is_dir():
                        subdirs.append(e)
                except OSError:
                    pass
    return folder


def signature(path: str, ws_real: str | None, want_subdirs: bool) -> tuple:
    """Folder ``path`` as detection sees it, scanned as :func:`scan_folder` does with
    ``ws_real`` and ``want_subdirs``: whether it is an env, its env files with their kinds,
    the other files it examined, its binder folders' env files, its links out of the
    workspace and (``want_subdirs``) the subfolders the walk enters. Other entries (a
    notebook, a data file) are not in it, so adding one leaves the signature unchanged.
    Plain data (tuples of str/bool) for :mod:`kernelenv.answercache`."""
    return signature_of(scan_folder(path, ws_real, want_subdirs))


def signature_of(f: Folder) -> tuple:
    """:func:`signature` of a folder already scanned (``f``, a :func:`scan_folder` result)."""
    return (f.is_env, env_files_of(f), tuple(sorted(f.examined)), tuple(sorted(e.name for e in f.subdirs)))


def env_files_of(f: Folder) -> tuple:
    """What of scanned folder ``f`` a project is built from, as plain sorted tuples: its env
    files with their kinds, its binder folders' env files, its links out of the workspace
    (:func:`signature_of`; the key of detection's memo, :mod:`kernelenv.projectmemo`)."""
    return (tuple(sorted(f.files.items())),
            tuple((b, tuple(sorted(files.items()))) for b, files in sorted(f.binder.items())),
            tuple(sorted(f.outside_links)))


def _add_file(folder: Folder, e: os.DirEntry, kind: str, ws_real: str | None) -> None:
    try:
        if e.is_symlink() and not inside(os.path.realpath(e.path), ws_real):
            folder.outside_links.append(e.name)
            return
        if not e.is_file():
            return
    except OSError:
        return
    if kind == "explicit-lock?":
        if not _is_explicit(e.path):
            return
        kind = "explicit-lock"
    folder.files[e.name] = kind


def inside(real: str, ws_real: str | None) -> bool:
    """Whether real path ``real`` is ``ws_real`` or below it (``None``: no bound, always True)."""
    if ws_real is None:
        return True
    return real == ws_real or real.startswith(ws_real.rstrip(os.sep) + os.sep)


def is_candidate(folder: Folder) -> bool:
    """Whether a folder's files make a project (before parsing: pyproject decided later)."""
    kinds = dict(folder.files)
    for files in folder.binder.values():
        kinds.update({f"binder/{n}": k for n, k in files.items()})
    for name, kind in kinds.items():
        base = name.rsplit("/", 1)[-1]
        if kind in INFO_KINDS or kind in ("runtime.txt", "python-version"):
            continue
        if kind in ("requirements", "requirements.in") and is_tooling_requirements(base):
            continue
        return True
    return False


__all__ = ["classify", "lock_kind", "scan_folder", "signature", "signature_of", "env_files_of", "is_candidate", "inside", "Folder",
           "PRUNE_DIRS", "BINDER_DIRS", "GENERATED_BINDER_MARKER", "TOOLING_PURPOSES", "is_tooling_requirements",
           "INFO_KINDS", "CONDA_KINDS", "PIP_SPEC_KINDS", "PIP_LOCK_ORDER"]
