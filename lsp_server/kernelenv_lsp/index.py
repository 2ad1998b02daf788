"""What the server knows about the workspace: projects per workspace folder and their status.

Pure bookkeeping over the engine's API (:func:`kernelenv.api.detect`,
:func:`kernelenv.api.find_project`, :func:`kernelenv.api.status`); no pygls here, so it is
called from worker threads. Every method that touches the disk is synchronous and may
take a while on a big workspace: the server runs them with :func:`asyncio.to_thread`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernelenv import api
from kernelenv.model import Project, Status, StatusReport


def status_of(project: Project) -> StatusReport:
    """:func:`kernelenv.api.status`, turning an engine failure into a ``broken`` report."""
    try:
        return api.status(project)
    except Exception as e:  # a bad state file must not hide the project
        return StatusReport(Status.BROKEN, f"Could not read the env's state: {e}",
                            kernel_name=_safe_kernel(project))


def _safe_kernel(project: Project) -> str | None:
    try:
        return project.kernel_name
    except Exception:
        return None


def project_entry(project: Project, report: StatusReport, folder: Path) -> dict[str, Any]:
    """``Project.to_dict(relative_to=folder)`` plus ``"status": StatusReport.to_dict()``."""
    d = project.to_dict(relative_to=folder)
    d["status"] = report.to_dict()
    return d


def _under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


@dataclass
class FolderState:
    """The projects of one workspace folder.

    Args:
        folder: absolute path of the workspace folder.
        projects: by root.
        statuses: by root.
        error: a message when detection of the whole folder failed.
    """

    folder: Path
    projects: dict[Path, Project] = field(default_factory=dict)
    statuses: dict[Path, StatusReport] = field(default_factory=dict)
    error: str | None = None

    def to_notification(self, folder_uri: str) -> dict[str, Any]:
        """The ``kernelenv/projects`` params for this folder."""
        statuses = dict(self.statuses)  # copies: a worker thread may be updating them
        projects = [project_entry(p, statuses.get(r) or status_of(p), self.folder)
                    for r, p in sorted(list(self.projects.items()))]
        out: dict[str, Any] = {"workspaceFolder": folder_uri, "projects": projects}
        if self.error:
            out["error"] = self.error
        return out


class ProjectIndex:
    """Projects of every workspace folder, updated by full or per-project detection.

    Args:
        backend: the ``backend`` setting passed to detection (``None``: engine rule).
    """

    def __init__(self, backend: str | None = None) -> None:
        self.backend = backend
        self.folders: dict[Path, FolderState] = {}
        self._lock = threading.Lock()

    # -- detection ------------------------------------------------------------------

    def detect_folder(self, folder: Path) -> FolderState:
        """Detect every project in ``folder`` and compute their status (replaces what was known).

        Never raises: a failure is recorded in :attr:`FolderState.error`.
        """
        state = FolderState(folder)
        try:
            for p in api.detect(folder, backend=self.backend):
                state.projects[p.root] = p
        except Exception as e:
            state.error = f"Detection failed in {folder}: {e}"
        for root, p in state.projects.items():
            state.statuses[root] = status_of(p)
        with self._lock:
            self.folders[folder] = state
        return state

    def remove_folder(self, folder: Path) -> None:
        """Forget a workspace folder that was closed."""
        with self._lock:
            self.folders.pop(folder, None)

    def redetect_for(self, path: Path) -> tuple[FolderState, Project | None] | None:
        """Re-detect only the project that holds ``path`` (a changed env file or a project root).

        Returns:
            ``(folder state, project or None when it is no longer a project)``, or
            ``None`` when ``path`` is in no workspace folder.
        """
        state = self.folder_of(path)
        if state is None:
            return None
        known = self.project_of(path)
        start = known.root if known else (path if path.is_dir() else path.parent)
        try:
            fresh = api.find_project(start, workspace=state.folder, backend=self.backend)
        except Exception:
            fresh = None
        with self._lock:
            if known is not None and (fresh is None or fresh.root != known.root):
                state.projects.pop(known.root, None)
                state.statuses.pop(known.root, None)
            if fresh is not None:
                state.projects[fresh.root] = fresh
        if fresh is not None:
            state.statuses[fresh.root] = status_of(fresh)
        return state, fresh

    def refresh_status(self, project: Project) -> StatusReport:
        """Recompute and store the status of ``project``."""
        report = status_of(project)
        state = self.folder_of(project.root)
        if state is not None and project.root in state.projects:
            state.statuses[project.root] = report
        return report

    # -- lookup ---------------------------------------------------------------------

    def folder_of(self, path: Path) -> FolderState | None:
        """The innermost workspace folder holding ``path``."""
        with self._lock:
            cands = [s for f, s in self.folders.items() if _under(path, f)]
        return max(cands, key=lambda s: len(s.folder.parts)) if cands else None

    def project_of(self, path: Path) -> Project | None:
        """The known project listing ``path`` as an env file, else the innermost project root holding it."""
        with self._lock:
            states = list(self.folders.values())
        best: Project | None = None
        for s in states:
            for p in list(s.projects.values()):
                if any(f.path == path for f in p.files):
                    return p
                if _under(path, p.root) and (best is None or len(p.root.parts) > len(best.root.parts)):
                    best = p
        return best

    def status_of(self, project: Project) -> StatusReport:
        """The cached status of ``project`` (computed when unknown)."""
        state = self.folder_of(project.root)
        if state is not None and project.root in state.statuses:
            return state.statuses[project.root]
        return self.refresh_status(project)

    def snapshot(self) -> list[FolderState]:
        """The folder states, sorted by folder path."""
        with self._lock:
            return [s for _, s in sorted(self.folders.items())]

    def all_projects(self) -> list[Project]:
        """Every known project."""
        with self._lock:
            return [p for s in self.folders.values() for p in s.projects.values()]
