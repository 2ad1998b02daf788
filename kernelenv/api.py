"""The engine's public API: the only module the faces (CLI, kernelenv_jupyter, kernelenv_lsp) call.

Every function here is synchronous and may block for minutes (create/lock/rebuild);
the faces run them in a worker thread and pass a :class:`~kernelenv.progress.Reporter`
for progress, log streaming and cancellation. Nothing here imports jupyter_server or
pygls.
"""

from __future__ import annotations

from pathlib import Path

from .kernels import KernelLocation
from .model import Backend, Project, StatusReport
from .progress import Reporter

__all__ = [
    "detect",
    "find_project",
    "status",
    "create",
    "lock",
    "rebuild",
    "purge",
    "add",
    "remove",
    "record",
    "installed_packages",
    "history",
    "rollback",
    "export",
    "export_archive",
    "create_from_archive",
    "list_envs",
    "gc",
    "kernel_for_notebook",
    "sync_env_kernels",
]


def detect(workspace: Path | str, *, backend: Backend | str | None = None,
           scanned: list[tuple] | None = None) -> list[Project]:
    """Find the projects in a workspace folder. Never runs project code.

    Args:
        workspace: the folder to scan (recursively, pruning .git, node_modules, envs ...).
        backend: force a backend for every project (the CLI's ``--backend``); when
            ``None``, ``KERNELENV_BACKEND`` then ``[tool.kernelenv] backend`` then the
            default rule decide.
        scanned: when given, receives every path detection read (see
            :func:`kernelenv.detect.detect`).

    Returns:
        Projects sorted by path. Parse errors are attached to ``Project.errors``;
        one bad file never hides the other projects.

    Raises:
        FileNotFoundError: ``workspace`` does not exist.
    """
    from .detect import detect as _detect

    return _detect(Path(workspace), backend=backend, scanned=scanned)


def find_project(path: Path | str, *, workspace: Path | str | None = None,
                 backend: Backend | str | None = None) -> Project | None:
    """The nearest project holding ``path`` (a file such as a notebook, or a folder).

    Walks from ``path`` up to ``workspace`` (or the filesystem root) and returns the
    first folder that is a project, or ``None``.
    """
    from .detect import find_project as _find

    return _find(Path(path), workspace=Path(workspace) if workspace else None, backend=backend)


def status(project: Project) -> StatusReport:
    """The env's state, from the state file and file hashes only (no uv, no solver, no Python)."""
    from .state import project_status

    return project_status(project)


def _leave_status(project: Project) -> None:
    """After an operation changed ``project``: keep its ``kernelenv status`` answer for the
    next call (:func:`kernelenv.statusanswer.prime`; never raises)."""
    from .statusanswer import prime

    prime(project)


def create(project: Project, *, python: str | None = None, reporter: Reporter | None = None,
           kernel_location: KernelLocation | None = None, strip_builds: bool = False,
           wait: float = 0.0, reason: str = "create", force: bool = False) -> StatusReport:
    """Build the project's env (from its lock when one exists, else its spec) and register its kernel.

    A project whose env is ``ready`` (built from the current files, nothing installed by
    hand) or ``drifted`` (packages installed by hand: ``record`` keeps them, ``rebuild``
    reverts them) is left as it is and its status returned, unless ``force``. When the spec
    changed since a lock kernelenv wrote, the lock is re-written first (as ``uv sync``
    re-locks), so create never installs an out-of-date lock.

    Builds aside and switches atomically: on any failure or cancel the previous env
    and kernel keep working.

    Args:
        project: from :func:`detect`.
        python: a version (``"3.11"``) or interpreter path overriding the project's request.
        reporter: progress, log and cancellation.
        kernel_location: where to write kernel.json (default: the user's Jupyter data dir).
        strip_builds: conda only: drop build strings and Windows-only packages.
        wait: seconds to wait for another operation on the project (0: refuse at once).
        reason: why the build is made, kept in its history record (``create``,
            ``add attrs``, ``record`` ...).
        force: rebuild even when the env is ready and unchanged.

    Raises:
        EnvFileError: an env file is malformed (file, line, message).
        PythonNotFoundError: no installed interpreter satisfies the request.
        BuildError: the backend failed; the message names the step.
        ProjectBusyError: another operation holds the project's lock.
        CancelledError: ``reporter.cancel()`` was called.
    """
    from .operations import create as _create

    report = _create(project, python=python, reporter=reporter, kernel_location=kernel_location,
                     strip_builds=strip_builds, wait=wait, reason=reason, force=force)
    _leave_status(project)
    return report


def lock(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0,
         strip_builds: bool | None = None, platforms: list[str] | None = None) -> Path:
    """Write the project's lock file and return its path.

    The project's own format, written by its own tool (:mod:`kernelenv.lockers`): uv.lock
    (uv), poetry.lock (Poetry), Pipfile.lock (pipenv), a pip-compile requirements.txt from
    its requirements.in (``uv pip compile --generate-hashes``), pylock.toml (PEP 751) where
    the project has no convention of its own, conda-lock.yml / pixi.lock for conda ones.
    A failed lock leaves the spec and the lock byte-identical. Errors as :func:`create`.

    Conda only: ``platforms`` (conda platform names) overrides the platforms to lock for
    (else environment.yml ``platforms:``, else ``[tool.conda-lock] platforms``, else the
    default four); ``strip_builds`` drops build strings and Windows-only packages (``None``:
    as the project's last ``--strip-builds`` run left it).
    """
    from .operations import lock as _lock

    path = _lock(project, reporter=reporter, wait=wait, strip_builds=strip_builds, platforms=platforms)
    _leave_status(project)
    return path


def rebuild(project: Project, *, reporter: Reporter | None = None,
            kernel_location: KernelLocation | None = None, python: str | None = None,
            wait: float = 0.0, reason: str = "rebuild", strip_builds: bool | None = None) -> StatusReport:
    """Recreate the env exactly from the lock (locking first if there is none).

    Arguments and errors as :func:`create` (``strip_builds`` applies to that first lock;
    ``None``: as remembered for the project).
    """
    from .operations import rebuild as _rebuild

    report = _rebuild(project, reporter=reporter, kernel_location=kernel_location, python=python,
                      wait=wait, reason=reason, strip_builds=strip_builds)
    _leave_status(project)
    return report


def purge(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0) -> None:
    """Delete the env (every build and its history) and unregister its kernel; the project's
    files are untouched. Raises ProjectBusyError while a build runs."""
    from .operations import purge as _purge

    _purge(project, reporter=reporter, wait=wait)


def add(project: Project, specs: list[str], *, pip: bool = False, group: str | None = None,
        reporter: Reporter | None = None, wait: float = 0.0,
        kernel_location: KernelLocation | None = None) -> StatusReport:
    """Add packages to the project's spec, re-lock in its own format and bring the env up to date.

    The spec is edited in place keeping comments, order and layout
    (:mod:`kernelenv.spec_edit`); a uv project delegates to ``uv add``. An entry of the
    same name is replaced. See :mod:`kernelenv.packages` for the transaction.

    Args:
        specs: PEP 508 requirements (``"idna==3.7"``) or, for conda projects, MatchSpecs.
        pip: conda projects: add to environment.yml's ``pip:`` / pixi's pypi-dependencies.
        group: pyproject: a ``[dependency-groups]`` group.
        reporter, wait, kernel_location: as :func:`create`.

    Raises:
        KernelenvError: an invalid requirement (named), no editable spec.
        EnvFileError: the spec does not parse (file:line).
        BuildError: the lock or install failed (e.g. the package does not exist: uv's
            message names it). Spec and lock are then byte-identical to before and the
            env and kernel untouched.
        ProjectBusyError: another operation holds the project (``wait`` seconds).
    """
    from .packages import add as _add

    report = _add(project, list(specs), pip=pip, group=group, reporter=reporter, wait=wait,
                  kernel_location=kernel_location)
    _leave_status(project)
    return report


def remove(project: Project, names: list[str], *, pip: bool = False, group: str | None = None,
           reporter: Reporter | None = None, wait: float = 0.0,
           kernel_location: KernelLocation | None = None) -> StatusReport:
    """Remove packages from the project's spec, re-lock and bring the env up to date.

    A name the spec does not list is an error (nothing changes). Args and errors as :func:`add`.
    """
    from .packages import remove as _remove

    report = _remove(project, list(names), pip=pip, group=group, reporter=reporter, wait=wait,
                     kernel_location=kernel_location)
    _leave_status(project)
    return report


def record(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0,
           kernel_location: KernelLocation | None = None) -> StatusReport:
    """Write what was installed by hand (``%pip install``...) into the spec as exact pins,
    re-lock and rebuild, so the env is ``ready`` again with those packages.

    Only the top-level hand installs are recorded (not what they pulled in); packages
    removed by hand are dropped from the spec where it lists them.

    Raises:
        KernelenvError: the env has not drifted. Otherwise as :func:`add`.
    """
    from .packages import record as _record

    report = _record(project, reporter=reporter, wait=wait, kernel_location=kernel_location)
    _leave_status(project)
    return report


def installed_packages(project: Project) -> list[dict]:
    """``[{"name", "version", "how", "declared"}]`` of the live env, ``how`` being ``"lock"`` /
    ``"spec"`` (the last build installed it) or ``"hand"``, ``declared`` whether the spec lists
    it. Reads folder names and the spec only."""
    from .packages import installed_packages as _installed

    return _installed(project)


def history(project: Project, *, sizes: bool = True) -> dict:
    """The builds kept for ``project``, oldest first, with their differences and disk use.

    Args:
        sizes: measure each build's real disk use (walks the env folders; hard links
            shared with the uv/rattler caches or other builds are not counted).

    Returns:
        ``{"builds": [BuildEntry.to_dict() ...], "keep": int, "live": id | None,
        "disk": {"apparent", "unique", "freed", "files"}}``: ``disk`` covers every build
        but the live one (what the history really costs).
    """
    from .history import disk_usage, history_limit, list_builds, live_build
    from .layout import envs_dir

    env = project.environment
    entries = list_builds(project.root, sizes=sizes, environment=env)
    live = live_build(project.root, env)
    old = [envs_dir(project.root, env) / e.id for e in entries if e.env_exists and e.id != live]
    return {"builds": [e.to_dict() for e in entries], "keep": history_limit(project.root), "live": live,
            "disk": disk_usage(old) if sizes else None}


def rollback(project: Project, build: str | None = None, *, wait: float = 0.0) -> dict:
    """Make an earlier build live again (no solve, no network) and restore its lock file.

    Args:
        build: a build id from :func:`history`, or ``None`` for the build before the live one.
        wait: seconds to wait for a running operation (0: refuse at once).

    Returns:
        :class:`kernelenv.history.RollbackResult` as a dict (``build``, ``previous``,
        ``lock_restored``, ``changes``, ``seconds``, ``kernel_name`` ...).

    Raises:
        ProjectBusyError: a build runs on the project.
        HistoryError: unknown, deleted or corrupt build; the live env is untouched.
    """
    from .history import rollback as _rollback

    result = _rollback(project, build, wait=wait).to_dict()
    _leave_status(project)
    return result


def export(project: Project, fmt: str, *, platform: str | None = None,
           reporter: Reporter | None = None) -> dict:
    """The project's lock rendered as ``fmt`` (requirements, pylock, environment.yml,
    conda-explicit, dockerfile, apptainer): see :mod:`kernelenv.export`.

    Returns:
        ``{"format", "text", "source", "platform", "copies", "notes"}``.

    Raises:
        ExportError: no lock, unknown format or one that does not fit the env kind.
        EnvFileError: the lock cannot be read. BuildError: uv failed.
    """
    from .export import export as _export

    return _export(project, fmt, platform=platform, reporter=reporter).to_dict()


def export_archive(project: Project, output: Path | str, *, platforms: list[str] | None = None,
                   reporter: Reporter | None = None) -> dict:
    """Write an offline archive (.tar.gz) of the project: env files, lock, every wheel / conda
    package the lock names, a manifest with sha256 of each (see :mod:`kernelenv.archive`).

    Returns:
        ``{"path", "size" (bytes), "files", "platforms", "python_version", "downloaded", "notes"}``.

    Raises:
        ExportError (no lock), ArchiveError (hash mismatch, no wheel for the platform),
        EnvFileError, BuildError.
    """
    from .archive import write_archive

    return write_archive(project, Path(output), platforms=platforms, reporter=reporter).to_dict()


def create_from_archive(archive: Path | str, dest: Path | str | None = None, *,
                        reporter: Reporter | None = None,
                        kernel_location: KernelLocation | None = None) -> dict:
    """Unpack an offline archive into ``dest`` (default ``./<name>``) and build its env with no
    network; register its kernel.

    Returns:
        ``{"project": Project.to_dict(), "status": StatusReport.to_dict()}``.

    Raises:
        ArchiveError: truncated, tampered (names the file), another platform, newer format,
            unsafe member, or ``dest`` not empty; nothing is created then.
        BuildError, PythonNotFoundError: the offline build failed.
    """
    from .archive import create_from

    project, report = create_from(Path(archive), Path(dest) if dest else None, reporter=reporter,
                                  kernel_location=kernel_location)
    return {"project": project.to_dict(), "status": report.to_dict()}


def list_envs(*, sizes: bool = True) -> list[dict]:
    """Every project env kernelenv knows on this machine (registered kernels and the folders
    it built): ``[{"root", "exists", "status", "reason", "backend", "kernels", "builds",
    "disk": {"apparent", "unique", "freed", "files"} | None}]`` (bytes; hard links once)."""
    from .inventory import known_envs

    return [e.to_dict() for e in known_envs(sizes=sizes)]


def gc(*, all_kernels: bool = False, dry_run: bool = False) -> list[dict]:
    """Remove dead kernels (kernelenv's; with ``all_kernels`` any kernelspec in the user's
    Jupyter data dir whose interpreter is gone), builds past the history limit and half-built
    folders. ``dry_run`` only lists them. Returns ``[{"kind", "path", "why", "bytes"}]``."""
    from .inventory import gc as _gc

    return [i.to_dict() for i in _gc(all_kernels=all_kernels, dry_run=dry_run)]


def kernel_for_notebook(notebook: Path | str, *, workspace: Path | str | None = None) -> dict:
    """The kernel a notebook should run in.

    Returns:
        ``{"project": <Project.to_dict()> | None, "kernel_name": str | None,
        "python": str | None, "status": <StatusReport.to_dict()> | None}``;
        all ``None`` when the notebook is in no project.
    """
    proj = find_project(Path(notebook).parent, workspace=workspace)
    if proj is None:
        return {"project": None, "kernel_name": None, "python": None, "status": None}
    rep = status(proj)
    return {
        "project": proj.to_dict(),
        "kernel_name": proj.kernel_name,
        "python": str(rep.python) if rep.python else None,
        "status": rep.to_dict(),
    }


def sync_env_kernels(*, location: KernelLocation | None = None, env_filter: str | None = None,
                     name_format: str | None = None, conda_dirs: list[str] | tuple[str, ...] = (),
                     venv_dirs: list[str] | None = None, conda: bool = True):
    """Write kernelspecs for every kernel of the conda envs and venvs on this machine, and
    remove the ones written before whose env is gone (nb_conda_kernels' names; file reads only,
    no conda subprocess). Kernelspecs kernelenv did not write are never overwritten.

    Args:
        location: the kernels folder (default: the user's Jupyter data dir).
        env_filter: a regex; envs whose path it matches are left out (and their synced
            kernelspecs removed).
        name_format: display-name format (default nb_conda_kernels' ``"{0} [conda env:{1}]"``).
        conda_dirs: extra folders holding conda envs. venv_dirs: folders holding virtualenvs
            (default: ``$WORKON_HOME`` and ``~/.virtualenvs``).
        conda: list conda envs at all.

    Returns:
        :class:`kernelenv.envkernels.SyncReport` (written, removed, skipped).

    Raises:
        ValueError: ``env_filter`` or ``name_format`` is invalid.
    """
    from . import envkernels, envscan

    envs = envscan.discover(conda_dirs=conda_dirs, env_filter=env_filter, conda=conda,
                            venv_dirs=envscan.default_venv_dirs() if venv_dirs is None else venv_dirs)
    kernels = envkernels.discovered_kernels(envs, name_format=name_format or envkernels.DEFAULT_NAME_FORMAT)
    return envkernels.sync(kernels, (location or KernelLocation()).kernels_dir())
