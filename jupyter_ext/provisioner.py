"""The kernel provisioner behind the portable "Python (project env)" kernel.

A notebook saved with the ``kernelenv-project`` kernel runs, on any machine with
kernelenv, in *that machine's* env of the project holding the notebook. At launch the
provisioner reads the notebook's path from ``JPY_SESSION_NAME`` (set by Jupyter Server
for every session; outside a server, e.g. nbclient or papermill, it uses the kernel's
working folder, which they set to the notebook's folder), finds the nearest project
(:func:`kernelenv.api.find_project`) and runs ``<env python> -m ipykernel_launcher``. When there is no usable env it starts
:mod:`jupyter_ext.error_kernel`, whose every execution explains what is wrong and how
to fix it, unless ``c.Kernelenv.auto_create = True``, in which case it builds the env first.

Registered as ``kernelenv-project`` in the ``jupyter_client.kernel_provisioners``
entry-point group; the kernelspec names it in ``metadata.kernel_provisioner``.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from kernelenv import api
from kernelenv.errors import KernelenvError
from kernelenv.model import Status

from .error_kernel import MESSAGE_ENV
from .settings import Kernelenv

#: statuses whose env has an interpreter that can run (stale envs still run, with a warning)
RUNNABLE = {Status.READY, Status.STALE, Status.LOCK_OUTDATED, Status.BUILDING}


@dataclass
class LaunchPlan:
    """What to start: the env's ``python`` or, when ``error`` is set, the error kernel."""

    python: Path | None = None
    error: str | None = None
    project: str | None = None


def notebook_path(session_name: str | None, cwd: str | None) -> Path | None:
    """The notebook's absolute path from ``JPY_SESSION_NAME`` and the kernel's cwd.

    Jupyter Server sets ``JPY_SESSION_NAME`` to the notebook's API path (relative to
    root_dir) or to ``<cwd>/<name>``; the kernel's cwd is the notebook's folder.
    """
    if not session_name:
        return None
    p = Path(session_name)
    if p.is_absolute():
        return p
    base = Path(cwd) if cwd else Path.cwd()
    return base / p.name


def plan_launch(notebook: Path | None, *, folder: Path | None = None, auto_create: bool = False,
                backend: str | None = None, log: Any = None) -> LaunchPlan:
    """Decide which interpreter runs the kernel of ``notebook`` (blocking; file reads, or a build
    when ``auto_create``).

    Args:
        notebook: the notebook's absolute path (from ``JPY_SESSION_NAME``), or ``None``.
        folder: where to look when there is no notebook path: the kernel's working folder,
            which nbclient/nbconvert/papermill set to the notebook's folder.
    """
    start = notebook.parent if notebook is not None else folder
    if start is None:
        return LaunchPlan(error=(
            "The 'Python (project env)' kernel needs the notebook's path, which Jupyter Server "
            "passes in JPY_SESSION_NAME, or a working folder; neither was given. Open the "
            "notebook from Jupyter, or choose the project's own kernel."))
    where = notebook if notebook is not None else start
    project = api.find_project(start, backend=backend)
    if project is None:
        return LaunchPlan(error=(
            f"No project found for {where}: no environment file (requirements.txt, "
            "pyproject.toml, environment.yml, Pipfile, ...) in its folder or any folder above "
            "it. Add one next to the notebook, or choose another kernel."))
    report = api.status(project)
    if report.status in RUNNABLE and report.python and Path(report.python).exists():
        if report.status is not Status.READY and log:
            log.warning("kernelenv: %s env is %s: %s", project.name, report.status.value, report.reason)
        return LaunchPlan(python=Path(report.python), project=str(project.root))
    if auto_create:
        if log:
            log.info("kernelenv: creating the env of %s before starting its kernel", project.root)
        try:
            report = api.create(project)
        except KernelenvError as e:
            return LaunchPlan(project=str(project.root), error=(
                f"Creating the env of project '{project.name}' ({project.root}) failed: {e.message}"))
        if report.python and Path(report.python).exists():
            return LaunchPlan(python=Path(report.python), project=str(project.root))
    errors = "".join(f"\n  - {e.message}" for e in project.errors)
    return LaunchPlan(project=str(project.root), error=(
        f"Project '{project.name}' ({project.root}) has no usable env: {report.status.value}. "
        f"{report.reason}{errors}\nCreate it with `kernelenv create {project.root}` in a terminal "
        "(or the Create button of the kernelenv sidebar), then restart this kernel."))


class ProjectKernelProvisioner(LocalProvisioner):
    """A LocalProvisioner that swaps the kernel command for the notebook's project env."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Build the launch command: the project env's Python, or the error kernel."""
        kwargs = await super().pre_launch(**kwargs)
        env = kwargs.get("env") or {}
        settings = Kernelenv(parent=self)
        notebook = notebook_path(env.get("JPY_SESSION_NAME"), kwargs.get("cwd"))
        loop = asyncio.get_running_loop()
        cwd = kwargs.get("cwd")
        plan = await loop.run_in_executor(None, lambda: plan_launch(
            notebook, folder=Path(cwd) if cwd else None, auto_create=settings.auto_create,
            backend=settings.backend, log=self.log))
        cmd = list(kwargs["cmd"])
        if plan.error is None:
            cmd[0] = str(plan.python)
            self.log.info("kernelenv: starting %s for %s", plan.python, notebook or cwd)
        else:
            i = cmd.index("-f") if "-f" in cmd else len(cmd)
            cmd = [sys.executable, "-m", "jupyter_ext.error_kernel", *cmd[i:]]
            env = dict(env)
            env[MESSAGE_ENV] = plan.error
            kwargs["env"] = env
            self.log.warning("kernelenv: starting the error kernel for %s: %s", notebook or cwd, plan.error)
        kwargs["cmd"] = cmd
        return kwargs


__all__ = ["ProjectKernelProvisioner", "plan_launch", "notebook_path", "LaunchPlan"]
