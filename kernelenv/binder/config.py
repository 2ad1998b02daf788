"""``kernelenv binder``: write the project's Binder config folder from its lock.

repo2docker (https://repo2docker.readthedocs.io/en/latest/configuration/) reads a
``binder/`` (or ``.binder/``) folder *instead of* the repository root's files. kernelenv
writes there what reproduces the project's locked env on linux-64:

* venv projects: ``requirements.txt`` + ``runtime.txt`` (:mod:`.pins`);
* conda projects: ``environment.yml`` (:mod:`.conda`);
* ``postBuild``: the kernel registration step (:mod:`.postbuild`), merged into the
  author's own postBuild (that of the folder, or the root one Binder stops running);
* ``.kernelenv-generated``: the marker saying the folder is an *output*. Detection
  ignores a marked folder's env files, so the project's own root files stay the spec the
  lock follows (editing the root ``requirements.in`` and running ``kernelenv lock``
  re-locks from it), and ``kernelenv binder`` regenerates the folder freely.

The author's files are never silently replaced: ``start``, ``apt.txt`` and any other file
in the folder are kept (root ones Binder would stop reading are copied in), their
postBuild keeps its steps. A folder holding the author's own Binder *env* (which is what
``detect`` reports for the project, repo2docker's rule) is refused even with ``--force``:
``binder`` locks the spec detect reports and would replace it. A project without a lock
is locked first (:func:`kernelenv.api.lock`): a Binder config repeating the spec would
resolve to different versions on every launch.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

from ..folderscan import GENERATED_BINDER_MARKER
from ..model import Backend, Project
from ..progress import Reporter
from .common import BinderError, BinderResult
from .postbuild import BEGIN

#: The marker file of a generated config folder (JSON: generator, source lock, files).
GENERATED_MARKER = GENERATED_BINDER_MARKER

#: Root files Binder stops reading once binder/ exists (repo2docker ``binder_path``).
ROOT_FILES_IGNORED = ("environment.yml", "environment.yaml", "requirements.txt", "Pipfile",
                      "Pipfile.lock", "runtime.txt", "setup.py", "pyproject.toml", "apt.txt",
                      "postBuild", "start", "install.R", "Project.toml", "default.nix", "Dockerfile")

#: Env files of a config folder (repo2docker's buildpack inputs).
ENV_FILES = ("environment.yml", "environment.yaml", "requirements.txt", "requirements3.txt",
             "Pipfile", "Pipfile.lock", "runtime.txt", "setup.py", "install.R", "REQUIRE",
             "Project.toml", "default.nix", "Dockerfile")


def existing_config_dirs(root: Path) -> list[Path]:
    """``binder/`` and/or ``.binder/`` under ``root`` (repo2docker's config folders)."""
    return [root / d for d in ("binder", ".binder") if (root / d).is_dir() and not (root / d).is_symlink()]


def is_generated(folder: Path) -> bool:
    """Whether ``folder`` carries kernelenv's generated marker (see the module docstring)."""
    return (folder / GENERATED_MARKER).is_file()


def _generated_files(folder: Path) -> list[str]:
    try:
        data = json.loads((folder / GENERATED_MARKER).read_text(encoding="utf-8"))
        files = data.get("files", [])
        return [f for f in files if isinstance(f, str) and f in ENV_FILES]
    except (OSError, ValueError, AttributeError):
        return []


def write_binder(project: Project, *, force: bool = False, python: str | None = None,
                 reporter: Reporter | None = None, kernelenv_spec: str | None = None) -> BinderResult:
    """Write a Binder config reproducing the project's locked env (see the module docstring).

    Args:
        project: from :func:`kernelenv.api.detect` / ``find_project`` (its spec is the one
            locked: the root files; a generated ``binder/`` is ignored by detection).
        force: write into an existing ``binder/``/``.binder/`` that kernelenv did not
            generate (it may hold postBuild, start, apt.txt: kept and merged).
        python: the Python version for ``runtime.txt`` (``"3.11"``); default: see
            :func:`kernelenv.binder.pins.choose_python`.
        reporter: progress for the lock and export steps.
        kernelenv_spec: accepted for older callers and ignored: Binder needs no kernelenv.

    Returns:
        A :class:`BinderResult`.

    Raises:
        BinderError: both folders exist; an author-made folder without ``force``; the
            author's own Binder env in the folder; an author postBuild in another
            language; no Python fits; the lock cannot be expressed for Binder.
        EnvFileError, BuildError, PythonNotFoundError: from locking or reading the lock.
    """
    del kernelenv_spec
    reporter = reporter or Reporter()
    root = project.root
    dirs = existing_config_dirs(root)
    if len(dirs) == 2:
        raise BinderError(f"{root} has both binder/ and .binder/: repo2docker refuses to build such a "
                          "repository. Remove one of them and run `kernelenv binder` again.")
    target = dirs[0] if dirs else root / "binder"
    generated = is_generated(target)
    if project.config_dir is not None:
        spec = project.spec.relative_to(root).as_posix() if project.spec else project.config_dir.name
        raise BinderError(
            f"{project.config_dir} holds this project's own Binder environment ({spec}), which is what "
            f"`kernelenv detect` reports and locks for it; `kernelenv binder` would replace it with files "
            f"generated from the project folder's lock. Keep maintaining {project.config_dir.name}/ by hand, "
            f"or move its env files to the project folder and run `kernelenv binder` again.")
    if target.is_dir() and not generated and not force:
        raise BinderError(f"{target} already exists and was not written by kernelenv binder. Pass --force to "
                          "write kernelenv's files into it: its postBuild is kept with kernelenv's step "
                          "appended; start, apt.txt and its other files are kept.")

    # Refuse an author's postBuild kernelenv cannot extend before anything is locked or written.
    own_post, post_from = _author_file(target, root, "postBuild")
    if own_post is not None and BEGIN not in own_post:
        from ..kernels import display_name
        from .postbuild import check_mergeable

        check_mergeable(own_post, project.kernel_name, display_name(project, None), where=str(post_from))

    locked_first = False
    lock = project.lock
    if lock is None or not lock.exists():
        from .. import api

        lock = api.lock(project, reporter=reporter)
        project = replace(project, lock=lock)
        locked_first = True
    warnings = _warnings(project, target)
    from ..state import lock_outdated

    outdated = lock_outdated(project)
    if outdated:
        warnings.append(f"The lock is out of date with the spec ({outdated}); Binder will get the "
                        "old pins. Run `kernelenv lock`, then `kernelenv binder`.")

    if project.backend.env_kind == "conda":
        from .conda import conda_files

        kind = "environment"
        files, pins, py = conda_files(project, lock)
    elif project.backend is Backend.UV:
        from .pins import choose_python, venv_files

        kind = "requirements"
        py, why = choose_python(project, lock, python)
        warnings += why
        files, pins = venv_files(project, lock, py, reporter)
    else:  # pragma: no cover - every Backend is venv or conda kind
        raise BinderError(f"backend {project.backend.value} has no Binder equivalent")

    from ..kernels import display_name
    from .postbuild import merged_postbuild

    name = project.kernel_name
    kept: list[str] = []
    files["postBuild"] = merged_postbuild(own_post, name, display_name(project, py),
                                          where=str(post_from or target / "postBuild"))
    if own_post is not None:
        kept.append(f"{post_from.relative_to(root).as_posix()}: kept, with kernelenv's kernel step appended"
                    + (f" (copied to {target.name}/postBuild: Binder runs only that one now)"
                       if post_from.parent == root else ""))
    copies: dict[str, Path] = {}
    for extra in ("start", "apt.txt"):
        own, src = _author_file(target, root, extra)
        if own is None:
            continue
        if src.parent == root:
            copies[extra] = src
            kept.append(f"{extra}: copied to {target.name}/{extra} (Binder reads only {target.name}/ now)")
        else:
            kept.append(f"{target.name}/{extra}: kept")

    target.mkdir(parents=True, exist_ok=True)
    for old in _generated_files(target):  # files an earlier run generated and this one does not
        p = target / old
        if old not in files and p.is_file():
            p.unlink()
    written = []
    for fname, text in files.items():
        written.append(_write(target / fname, text, executable=fname == "postBuild"))
    for fname, src in copies.items():
        dest = target / fname
        shutil.copyfile(src, dest)
        shutil.copymode(src, dest)
        written.append(dest)
    marker = {"generator": "kernelenv binder",
              "note": (f"{target.name}/ is an output of `kernelenv binder`: the project folder's own env files "
                       "are the source. Edit those, run `kernelenv lock`, then `kernelenv binder`."),
              "lock": os.path.relpath(lock, root),
              "files": sorted(f for f in files if f in ENV_FILES)}
    written.append(_write(target / GENERATED_MARKER, json.dumps(marker, indent=1) + "\n"))
    return BinderResult(directory=target, files=written, kind=kind, python=py, kernel_name=name,
                        lock=lock, locked_first=locked_first, pins=pins, warnings=warnings, kept=kept)


def _author_file(target: Path, root: Path, name: str) -> tuple[str | None, Path | None]:
    """The author's own ``name``: the config folder's, else the root's (which Binder stops
    reading once the folder exists). ``(None, None)`` when neither exists."""
    for p in (target / name, root / name):
        if p.is_file() and not p.is_symlink():
            try:
                return p.read_text(encoding="utf-8", errors="replace"), p
            except OSError:
                continue
    return None, None


def _write(path: Path, text: str, *, executable: bool = False) -> Path:
    if path.is_symlink():
        path.unlink()
    tmp = path.with_name(path.name + ".kernelenv-tmp")
    tmp.write_text(text, encoding="utf-8")
    if executable:
        tmp.chmod(0o755)
    os.replace(tmp, path)
    return path


def root_project(project: Project) -> Project | None:
    """See :func:`kernelenv.detect.root_files_project` (kept for callers of this module)."""
    from ..detect import root_files_project

    return root_files_project(project)


def _warnings(project: Project, target: Path) -> list[str]:
    root = project.root
    out = []
    ignored = [f for f in ROOT_FILES_IGNORED if (root / f).is_file()
               and f not in ("apt.txt", "postBuild", "start")]
    if ignored:
        out.append(f"Binder will ignore these root files once {target.name}/ exists: {', '.join(ignored)} "
                   f"(it reads only {target.name}/; kernelenv keeps following them locally).")
    repo = next((p for p in [root, *root.parents] if (p / ".git").exists()), None)
    if repo is not None and repo != root:
        out.append(f"Binder reads {target.name}/ at the repository root ({repo}), but this project is "
                   f"{root.relative_to(repo)}; launch it from a repository whose root is the project.")
    return out


__all__ = ["GENERATED_MARKER", "existing_config_dirs", "is_generated", "write_binder", "root_project"]
