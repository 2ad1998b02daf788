"""Linking and loading the server extension.

*Link* (before the server builds its managers): make ``KernelenvKernelSpecManager`` the
server's ``kernel_spec_manager_class``, wrapping whatever class was configured before
(so nb_conda_kernels or a custom manager keeps working underneath). This is done here
because jupyter_server reads only ``jpserver_extensions`` from the
``jupyter_server_config.d`` files that packages ship; a ``kernel_spec_manager_class``
there would be ignored.

*Load*: create the shared :class:`~kernelenv.jobs.JobManager`, register the REST
handlers under ``<base_url>/kernelenv/api/`` and start a background scan of root_dir
so the project envs appear in the kernel list.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager

from kernelenv.jobs import Job, JobManager

from .settings import Kernelenv

AUTH_RESOURCE = "kernelenv"


@dataclass
class ExtensionState:
    """What the handlers share (``web_app.settings["kernelenv"]``).

    Args:
        root: the server's root_dir, resolved. settings: ``c.Kernelenv``. jobs: the job manager.
        ksm: the server's kernel spec manager when it is kernelenv's, else ``None``.
    """

    root: Path
    settings: Kernelenv
    jobs: JobManager
    ksm: Any = None
    tasks: set = field(default_factory=set)

    def note_projects(self, projects: list, under: Path) -> None:
        """Feed detected projects to the kernel spec manager (its project-env kernels)."""
        if self.ksm is not None:
            self.ksm.note_projects(projects, under=under)


def link(serverapp: Any) -> None:
    """Install kernelenv's KernelSpecManager, wrapping the class configured before."""
    from .kernelspecs import KernelenvKernelSpecManager

    # Read what the user configured without triggering the trait's dynamic default
    # (it needs the gateway config, which is not set up yet when extensions link).
    current = serverapp._trait_values.get("kernel_spec_manager_class") or \
        serverapp.config.ServerApp.get("kernel_spec_manager_class")
    if current is None:
        if os.environ.get("JUPYTER_GATEWAY_URL") or serverapp.config.GatewayClient.get("url"):
            serverapp.log.info("kernelenv: kernels come from a gateway; kernel list left as it is")
            return
        current = KernelSpecManager
    if isinstance(current, str):
        from traitlets.utils.importstring import import_item

        current = import_item(current)
    if issubclass(current, KernelenvKernelSpecManager):
        return
    if current is not KernelSpecManager:
        serverapp.config.KernelenvKernelSpecManager.setdefault("wrapped_class", current)
    serverapp.kernel_spec_manager_class = KernelenvKernelSpecManager
    # ExtensionApps linked after this one re-apply the server's config to its traits;
    # put the choice in the config too so it survives that.
    serverapp.config.ServerApp.kernel_spec_manager_class = KernelenvKernelSpecManager
    serverapp.log.info("kernelenv: kernel spec manager wraps %s.%s", current.__module__, current.__name__)


def load(serverapp: Any) -> ExtensionState:
    """Register the REST API and start the background project scan."""
    from .handlers import handlers
    from .kernelspecs import KernelenvKernelSpecManager

    root = Path(serverapp.root_dir).expanduser().resolve()
    settings = Kernelenv(parent=serverapp)
    ksm = serverapp.kernel_spec_manager
    ours = ksm if isinstance(ksm, KernelenvKernelSpecManager) else None

    def on_done(job: Job) -> None:
        if ours is not None:
            ours.note_projects([job.project])
        serverapp.log.info("kernelenv: %s job %s on %s: %s", job.action, job.id, job.project.root, job.state)

    state = ExtensionState(root=root, settings=settings, jobs=JobManager(on_done=on_done), ksm=ours)
    web_app = serverapp.web_app
    web_app.settings["kernelenv"] = state
    web_app.add_handlers(".*$", handlers(web_app.settings["base_url"]))
    if state.ksm is not None and settings.list_project_envs:
        _schedule_scan(serverapp, state)
    if settings.sync_kernelspecs:
        _schedule(state, lambda: _sync_env_kernels(serverapp, settings))
    serverapp.log.info("kernelenv: REST API at %skernelenv/api/ (root %s)", web_app.settings["base_url"], root)
    return state


def _sync_env_kernels(serverapp: Any, settings: Kernelenv) -> None:
    """``c.Kernelenv.sync_kernelspecs``: write the env kernels into the user's data dir."""
    from kernelenv import api

    try:
        report = api.sync_env_kernels(env_filter=settings.env_filter, name_format=settings.name_format,
                                      conda_dirs=list(settings.conda_envs_dirs),
                                      venv_dirs=list(settings.venv_dirs), conda=settings.list_conda_envs)
    except Exception as e:  # noqa: BLE001 - the server starts whatever happens here
        serverapp.log.warning("kernelenv: writing the conda env kernelspecs failed: %s", e)
        return
    serverapp.log.info("kernelenv: env kernelspecs in %s: %d written, %d removed, %d skipped",
                       report.kernels_dir, len(report.written), len(report.removed), len(report.skipped))


def _schedule(state: ExtensionState, work: Any) -> None:
    """Run blocking ``work()`` in a worker thread once the server's loop runs."""
    async def run() -> None:
        await asyncio.get_running_loop().run_in_executor(None, work)

    def start() -> None:
        task = asyncio.ensure_future(run())
        state.tasks.add(task)
        task.add_done_callback(state.tasks.discard)

    from tornado.ioloop import IOLoop

    IOLoop.current().add_callback(start)


def _schedule_scan(serverapp: Any, state: ExtensionState) -> None:
    def scan() -> None:
        from kernelenv import api

        try:
            projects = api.detect(state.root, backend=state.settings.backend)
        except Exception as e:  # the kernel list must not depend on a clean scan
            serverapp.log.warning("kernelenv: scanning %s for projects failed: %s", state.root, e)
            return
        state.note_projects(projects, state.root)

    _schedule(state, scan)
