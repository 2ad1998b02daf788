"""The kernel provisioner behind the portable "Python (project env)" kernel.

A notebook saved with the ``kernelenv-project`` kernel runs, on any machine with
kernelenv, in *that machine's* env of the project holding the notebook. Before launch the
provisioner resolves the project as :func:`kernelenv.portable.plan_launch` does (the
notebook path from ``JPY_SESSION_NAME``, then the kernel's working folder, then
``KERNELENV_PROJECT``) and swaps the command for the project's kernelspec, or for
:mod:`kernelenv.error_kernel`, whose every execution explains what is wrong and how to
fix it, unless ``c.Kernelenv.auto_create = True``, in which case it builds the env first.
Inside a Jupyter server the search is confined to the server's ``root_dir``: a session
path (``JPY_SESSION_NAME``) or working folder outside it starts the error kernel with that
reason, and ``auto_create`` never builds outside it.
Clients that ignore provisioners run the kernelspec's argv, ``python -m kernelenv.portable``,
which applies the same rule itself.

Registered as ``kernelenv-project`` in the ``jupyter_client.kernel_provisioners``
entry-point group; the kernelspec names it in ``metadata.kernel_provisioner``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from kernelenv.portable import ENV_PROJECT, ENV_SESSION, LaunchPlan, command, notebook_path, plan_launch

from .settings import Kernelenv


def _connection_file(cmd: list[str]) -> str:
    i = cmd.index("-f") if "-f" in cmd else -1
    return cmd[i + 1] if 0 <= i < len(cmd) - 1 else ""


def server_root(obj: Any) -> str | None:
    """The ``root_dir`` of the Jupyter server a provisioner runs in, or ``None`` outside a
    server (nbclient, papermill: no confinement; they start kernels where they are asked).

    Walks the traitlets ``parent`` chain (provisioner, kernel manager, Jupyter Server's
    ``MappingKernelManager``, which has ``root_dir``).
    """
    node = getattr(obj, "parent", None)
    while node is not None:
        root = getattr(node, "root_dir", None)
        if isinstance(root, str) and root:
            return root
        node = getattr(node, "parent", None)
    return None


class ProjectKernelProvisioner(LocalProvisioner):
    """A LocalProvisioner that swaps the kernel command for the notebook's project env."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Build the launch command: the project env's kernel, or the error kernel."""
        kwargs = await super().pre_launch(**kwargs)
        env = dict(kwargs.get("env") or os.environ)
        settings = Kernelenv(parent=self)
        cwd = kwargs.get("cwd") or None
        notebook = notebook_path(env.get(ENV_SESSION), cwd)
        loop = asyncio.get_running_loop()
        root = server_root(self)
        plan = await loop.run_in_executor(None, lambda: plan_launch(
            notebook, folder=cwd, project_hint=env.get(ENV_PROJECT), auto_create=settings.auto_create,
            backend=settings.backend, log=self.log.warning, root=root))
        cmd, env = command(plan, _connection_file(list(kwargs["cmd"])), env)
        if plan.error is None:
            self.log.info("kernelenv: starting %s for %s", plan.python, notebook or cwd or os.getcwd())
        else:
            self.log.warning("kernelenv: starting the error kernel for %s: %s",
                             notebook or cwd or os.getcwd(), plan.error)
        kwargs["cmd"] = cmd
        kwargs["env"] = env
        return kwargs


__all__ = ["ProjectKernelProvisioner", "plan_launch", "notebook_path", "LaunchPlan"]
