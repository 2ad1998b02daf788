"""The extension's user settings, one traitlets ``Configurable`` read everywhere.

Set them in any Jupyter Server config file, e.g. ``jupyter_server_config.py``::

    c.Kernelenv.auto_create = True
    c.Kernelenv.list_conda_envs = False

The server extension, the kernel spec manager and the kernel provisioner each build a
``Kernelenv(parent=...)``, so they all see the same values from the server's config.
"""

from __future__ import annotations

from traitlets import Bool, Int, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

from kernelenv.envkernels import DEFAULT_NAME_FORMAT
from kernelenv.envscan import compile_filter, default_venv_dirs
from kernelenv.model import Backend


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
        help="""List every kernel of the existing conda envs (from CONDA_ENVS_PATH, .condarc
        envs_dirs, conda's envs dirs and ~/.conda/environments.txt; file reads only) as kernels
        named like nb_conda_kernels: conda-env-NAME-py, conda-env-NAME-r ...""",
    )

    conda_envs_dirs = List(
        Unicode(), config=True,
        help="""Extra folders holding conda envs (one env per subfolder), searched before
        CONDA_ENVS_PATH, .condarc envs_dirs, <conda root>/envs and ~/.conda/envs.""",
    )

    env_filter = Unicode(
        None, allow_none=True, config=True,
        help="""A regular expression: conda envs and venvs whose path it matches (re.search)
        are not listed (nb_conda_kernels' CondaKernelSpecManager.env_filter).""",
    )

    name_format = Unicode(
        DEFAULT_NAME_FORMAT, config=True,
        help="""Display name of conda env kernels (nb_conda_kernels' name_format): {0} or
        {language} is the kernel's language ("Python", "R"), {1} or {environment} the env's
        name; also {kernel}, {display_name}, {conda_kernel}.""",
    )

    sync_kernelspecs = Bool(
        False, config=True,
        help="""Also write the conda env and venv kernels as kernelspecs into the user's
        Jupyter data dir when the server starts (and remove those whose env is gone), so
        nbconvert, papermill and VS Code see them; `kernelenv kernels --sync` does the same
        from a terminal.""",
    )

    venv_dirs = List(
        Unicode(), config=True,
        help="""Folders holding virtualenvs (one per subfolder) whose envs with ipykernel are
        listed as kernels named venv-NAME-py. Default: $WORKON_HOME and ~/.virtualenvs.""",
    )

    log_lines = Int(50, config=True, help="How many log lines GET jobs/{id} returns.")

    @default("venv_dirs")
    def _venv_dirs_default(self) -> list[str]:
        return default_venv_dirs()

    @validate("env_filter")
    def _check_env_filter(self, proposal):  # noqa: ANN001
        value = proposal["value"] or None
        try:
            compile_filter(value)
        except ValueError as e:
            raise TraitError(f"c.Kernelenv.{e}") from None
        return value

    @validate("backend")
    def _check_backend(self, proposal):  # noqa: ANN001
        value = proposal["value"]
        if value is None or value == "":
            return None
        try:
            return Backend.parse(value).value
        except ValueError as e:
            raise TraitError(f"c.Kernelenv.backend: {e}") from None
