"""The engine's public API: the only module the faces (CLI, jupyter_ext, lsp_server) call.

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
    "remove",
    "kernel_for_notebook",
]


def detect(workspace: Path | str, *, backend: Backend | str | None = None) -> list[Project]:
    """Find the projects in a workspace folder. Never runs project code.

    Args:
        workspace: the folder to scan (recursively, pruning .git, node_modules, envs ...).
        backend: force a backend for every project (the CLI's ``--backend``); when
            ``None``, ``KERNELENV_BACKEND`` then ``[tool.kernelenv] backend`` then the
            default rule decide.

    Returns:
        Projects sorted by path. Parse errors are attached to ``Project.errors``;
        one bad file never hides the other projects.

    Raises:
        FileNotFoundError: ``workspace`` does not exist.
    """
    from .detect import detect as _detect

    return _detect(Path(workspace), backend=backend)


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


def create(project: Project, *, python: str | None = None, reporter: Reporter | None = None,
           kernel_location: KernelLocation | None = None, strip_builds: bool = False,
           wait: float = 0.0) -> StatusReport:
    """Build the project's env (from its lock when one exists, else its spec) and register its kernel.

    Builds aside and switches atomically: on any failure or cancel the previous env
    and kernel keep working.

    Args:
        project: from :func:`detect`.
        python: a version (``"3.11"``) or interpreter path overriding the project's request.
        reporter: progress, log and cancellation.
        kernel_location: where to write kernel.json (default: the user's Jupyter data dir).
        strip_builds: conda only: drop build strings and Windows-only packages.
        wait: seconds to wait for another operation on the project (0: refuse at once).

    Raises:
        EnvFileError: an env file is malformed (file, line, message).
        PythonNotFoundError: no installed interpreter satisfies the request.
        BuildError: the backend failed; the message names the step.
        ProjectBusyError: another operation holds the project's lock.
        CancelledError: ``reporter.cancel()`` was called.
    """
    from .operations import create as _create

    return _create(project, python=python, reporter=reporter, kernel_location=kernel_location,
                   strip_builds=strip_builds, wait=wait)


def lock(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0) -> Path:
    """Write the project's lock file and return its path.

    uv.lock for pyproject projects, pylock.toml (PEP 751) for requirements/Pipfile/poetry
    ones, conda-lock.yml for conda ones. Errors as :func:`create`.
    """
    from .operations import lock as _lock

    return _lock(project, reporter=reporter, wait=wait)


def rebuild(project: Project, *, reporter: Reporter | None = None,
            kernel_location: KernelLocation | None = None, python: str | None = None,
            wait: float = 0.0) -> StatusReport:
    """Recreate the env exactly from the lock (locking first if there is none). Errors as :func:`create`."""
    from .operations import rebuild as _rebuild

    return _rebuild(project, reporter=reporter, kernel_location=kernel_location, python=python,
                    wait=wait)


def remove(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0) -> None:
    """Delete the env and unregister its kernel. Raises ProjectBusyError while a build runs."""
    from .operations import remove as _remove

    _remove(project, reporter=reporter, wait=wait)


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
