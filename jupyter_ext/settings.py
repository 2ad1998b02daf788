"""The extension's user settings, one traitlets ``Configurable`` read everywhere.

Set them in any Jupyter Server config file, e.g. ``jupyter_server_config.py``::

    c.Kernelenv.auto_create = True
    c.Kernelenv.list_conda_envs = False

The server extension, the kernel spec manager and the kernel provisioner each build a
``Kernelenv(parent=...)``, so they all see the same values from the server's config.
"""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Bool, Int, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

from kernelenv.model import Backend


def _default_venv_dirs() -> list[str]:
    dirs = [str(Path.home() / ".virtualenvs")]
    if os.environ.get("WORKON_HOME"):
        dirs.insert(0, os.environ["WORKON_HOME"])
    return dirs


class Kernelenv(Configurable):
    """Settings of the kernelenv Jupyter Server extension (``c.Kernelenv.*``)."""

    auto_create = Bool(
        False, config=True,
        help="""When a notebook using the "Python (project env)" kernel opens in a project
        whose env is missing or broken, build the env before starting the kernel.
        Off by default: building runs the project's dependency installers (project code).""",
    )

    backend = Unicode(
        None, allow_none=True, config=True,
        help="""Force one backend (uv, rattler, micromamba, conda) for every project the
        server detects; None lets KERNELENV_BACKEND, [tool.kernelenv] and the default rule decide.""",
    )

    list_project_envs = Bool(
        True, config=True,
        help="List the built envs of the projects under the server's root_dir as kernels.",
    )

    list_conda_envs = Bool(
        True, config=True,
        help="""List existing conda envs with ipykernel (from ~/.conda/environments.txt and
        conda's envs dirs; file reads only) as kernels named conda-env-NAME-py.""",
    )

    conda_envs_dirs = List(
        Unicode(), config=True,
        help="Extra folders holding conda envs (one env per subfolder), besides ~/.conda/envs.",
    )

    venv_dirs = List(
        Unicode(), config=True,
        help="""Folders holding virtualenvs (one per subfolder) whose envs with ipykernel are
        listed as kernels named venv-NAME-py. Default: $WORKON_HOME and ~/.virtualenvs.""",
    )

    log_lines = Int(50, config=True, help="How many log lines GET jobs/{id} returns.")

    @default("venv_dirs")
    def _venv_dirs_default(self) -> list[str]:
        return _default_venv_dirs()

    @validate("backend")
    def _check_backend(self, proposal):  # noqa: ANN001
        value = proposal["value"]
        if value is None or value == "":
            return None
        try:
            return Backend.parse(value).value
        except ValueError as e:
            raise TraitError(f"c.Kernelenv.backend: {e}") from None
