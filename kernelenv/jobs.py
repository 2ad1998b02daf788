"""Background jobs: run create/lock/rebuild/remove in a worker thread with progress and cancel.

Shared by the Jupyter server extension and the language server, so both report the same
states and refuse a second job on a busy project the same way. The engine's
cross-process file lock (:mod:`kernelenv.locking`) still guards against the CLI or
another server.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .errors import KernelenvError, ProjectBusyError
from .model import Project
from .progress import Reporter

ACTIONS = ("create", "lock", "rebuild", "purge", "add", "remove", "record")


@dataclass
class Job:
    """One operation on one project.

    Attributes:
        id: a hex string. action: one of :data:`ACTIONS`. project: the project.
        state: ``running`` | ``succeeded`` | ``failed`` | ``cancelled``.
        reporter: progress, log tail and the cancel flag.
        result: the operation's JSON result when it succeeded.
        error: :meth:`KernelenvError.to_dict` when it failed.
        started, finished: ``time.time()`` seconds.
    """

    id: str
    action: str
    project: Project
    reporter: Reporter
    state: str = "running"
    result: Any = None
    error: dict[str, Any] | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        """Ask the job to stop; the previous env stays as it was."""
        self.reporter.cancel()

    def to_dict(self, log_lines: int = 50) -> dict[str, Any]:
        """The JSON job model (REST ``GET jobs/{id}`` and LSP results)."""
        r = self.reporter
        return {
            "id": self.id,
            "action": self.action,
            "project": str(self.project.root),
            "project_name": self.project.name,
            "state": self.state,
            "progress": {"step": r.current_step, "fraction": r.fraction, "message": r.message},
            "log": list(r.tail)[-log_lines:],
            "result": self.result,
            "error": self.error,
            "started": self.started,
            "finished": self.finished,
        }


def _run_action(action: str, project: Project, reporter: Reporter, options: dict[str, Any]) -> Any:
    from . import api

    if action == "create":
        return api.create(project, reporter=reporter, **options).to_dict()
    if action == "rebuild":
        return api.rebuild(project, reporter=reporter, **options).to_dict()
    if action == "lock":
        return {"lock": str(api.lock(project, reporter=reporter))}
    if action == "purge":
        api.purge(project, reporter=reporter)
        return {"purged": True}
    if action == "add":
        return api.add(project, options.pop("packages", []), reporter=reporter, **options).to_dict()
    if action == "remove":
        return api.remove(project, options.pop("packages", []), reporter=reporter, **options).to_dict()
    if action == "record":
        return api.record(project, reporter=reporter, **options).to_dict()
    raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")


class JobManager:
    """Starts jobs, one at a time per project, and keeps the finished ones for lookup.

    Args:
        on_step: ``on_step(job, step, fraction, message)`` from the worker thread.
        on_log: ``on_log(job, line)`` from the worker thread.
        on_done: ``on_done(job)`` from the worker thread when the job ends.
        keep: how many finished jobs to remember.
    """

    def __init__(self, *, on_step: Callable[[Job, str, float | None, str], None] | None = None,
                 on_log: Callable[[Job, str], None] | None = None,
                 on_done: Callable[[Job], None] | None = None, keep: int = 100) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._on_step, self._on_log, self._on_done = on_step, on_log, on_done
        self._keep = keep

    def running_for(self, project: Project) -> Job | None:
        """The running job of ``project`` (matched by root folder), if any."""
        with self._lock:
            for j in self._jobs.values():
                if j.state == "running" and j.project.root == project.root:
                    return j
        return None

    def get(self, job_id: str) -> Job | None:
        """The job with ``job_id``, running or finished."""
        return self._jobs.get(job_id)

    def start(self, action: str, project: Project, **options: Any) -> Job:
        """Start ``action`` on ``project`` in a worker thread.

        Args:
            options: keyword arguments of the api function (``python``, ``strip_builds`` ...).

        Raises:
            ProjectBusyError: the project already has a running job here; its id is in
                ``.job_id``.
            ValueError: unknown action.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
        with self._lock:
            for j in self._jobs.values():
                if j.state == "running" and j.project.root == project.root:
                    err = ProjectBusyError(f"{project.root} already has a running {j.action} job ({j.id}).")
                    err.job_id = j.id  # type: ignore[attr-defined]
                    raise err
            job = Job(id=uuid.uuid4().hex, action=action, project=project, reporter=Reporter())
            job.reporter.on_step = lambda s, f, m: self._on_step and self._on_step(job, s, f, m)
            job.reporter.on_log = lambda line: self._on_log and self._on_log(job, line)
            self._jobs[job.id] = job
            self._trim()
        threading.Thread(target=self._work, args=(job, options), name=f"kernelenv-{action}",
                         daemon=True).start()
        return job

    def _work(self, job: Job, options: dict[str, Any]) -> None:
        try:
            job.result = _run_action(job.action, job.project, job.reporter, options)
            job.state = "succeeded"
        except KernelenvError as e:
            job.error = e.to_dict()
            job.state = "cancelled" if e.code == "cancelled" else "failed"
        except Exception as e:  # an engine bug must not kill the server; report it
            job.error = {"code": "internal-error", "message": f"{type(e).__name__}: {e}"}
            job.state = "failed"
        finally:
            job.finished = time.time()
            job.done.set()
            if self._on_done:
                self._on_done(job)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.state != "running"]
        for j in sorted(finished, key=lambda j: j.started)[: max(0, len(finished) - self._keep)]:
            del self._jobs[j.id]
