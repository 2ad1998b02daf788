"""The conda backend through a conda-family CLI: micromamba, or conda/mamba, when asked for.

Used only with ``--backend micromamba|conda`` (or ``KERNELENV_BACKEND`` / ``[tool.kernelenv]``)
and only when the tool is on PATH (``KERNELENV_MICROMAMBA`` / ``KERNELENV_CONDA`` may
name the executable). Everything except the conda install step is shared with
:class:`~kernelenv.backends.rattler.RattlerBuilder`: reading the spec (channels,
``nodefaults``, ``--strip-builds``), the ``pip:`` section and pip lock entries with
uv, ``conda-lock.yml`` writing (no CLI needed), ``installed`` and the lock checks.

The install step runs, as an argument list (no shell):

* from a spec: ``<tool> create --yes --prefix P --override-channels -c C ... SPEC ...``
  (ipykernel added when missing, like the rattler backend);
* from a lock: the lock's conda records for this platform are written to an
  ``@EXPLICIT`` file and installed with ``<tool> create --yes --prefix P --file F``
  (both conda and micromamba install explicit files without solving).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..conda_channels import current_platform
from ..conda_pip import install_locked_pip, install_pip
from ..errors import BackendUnavailableError
from ..model import Backend, Project
from ..proc import run
from ..progress import Reporter
from .rattler import RattlerBuilder, check_matches_lock, locked_entries, locked_records


def find_tool(backend: Backend) -> str | None:
    """The executable for ``backend``: the ``KERNELENV_<NAME>`` variable, else PATH.

    ``micromamba`` looks for micromamba; ``conda`` looks for conda, then mamba.
    """
    if backend is Backend.MICROMAMBA:
        return os.environ.get("KERNELENV_MICROMAMBA") or shutil.which("micromamba")
    return os.environ.get("KERNELENV_CONDA") or shutil.which("conda") or shutil.which("mamba")


class CondaCliBuilder(RattlerBuilder):
    """Conda envs installed by micromamba or conda; see the module docstring.

    Args:
        backend: :attr:`Backend.MICROMAMBA` or :attr:`Backend.CONDA`.

    Raises:
        BackendUnavailableError: the tool is not on PATH.
    """

    def __init__(self, backend: Backend) -> None:
        super().__init__()
        self.backend = backend
        tool = find_tool(backend)
        if tool is None:
            what = "micromamba" if backend is Backend.MICROMAMBA else "conda (or mamba)"
            raise BackendUnavailableError(
                f"--backend {backend.value} needs {what} on PATH, and it is not there. Install it, set "
                f"KERNELENV_{'MICROMAMBA' if backend is Backend.MICROMAMBA else 'CONDA'} to its path, or use "
                "the default backend (rattler), which needs no conda.")
        self.tool = tool

    def _env(self) -> dict[str, str]:
        """Our environment minus an activated env that would redirect the tool."""
        return {k: v for k, v in os.environ.items() if k not in ("CONDA_PREFIX", "CONDA_DEFAULT_ENV")}

    def _build_from_spec(self, project: Project, prefix: Path, reporter: Reporter, strip_builds: bool) -> None:
        req, _plat, channels, _gateway, specs, pip = self._prepare_spec(project, reporter, strip_builds)
        argv = [self.tool, "create", "--yes", "--prefix", str(prefix), "--override-channels"]
        for c in channels:
            argv += ["-c", c]
        reporter.step("install", 0.3, f"Solving and installing with {Path(self.tool).name}")
        run([*argv, *specs], reporter, step="install", env=self._env(),
            error=f"{Path(self.tool).name} create failed")
        reporter.check_cancelled()
        install_pip(prefix, pip, req.pip_cwd or req.source.parent, reporter)

    def _build_from_lock(self, project: Project, prefix: Path, reporter: Reporter) -> None:
        assert project.lock is not None
        plat = current_platform()
        records, pip = locked_records(project.lock, plat, project.environment)
        conda = [p for p in locked_entries(project.lock, plat, project.environment) if p.manager == "conda"]
        with tempfile.TemporaryDirectory(prefix="kernelenv-explicit-") as d:
            explicit = Path(d) / "explicit.txt"
            rows = [f"{p.url}#{p.md5}" if p.md5 else p.url for p in conda]
            explicit.write_text(f"# platform: {plat}\n@EXPLICIT\n" + "\n".join(rows) + "\n", encoding="utf-8")
            reporter.step("install", 0.3, f"Installing {len(rows)} locked conda packages with {Path(self.tool).name}")
            run([self.tool, "create", "--yes", "--prefix", str(prefix), "--file", str(explicit)], reporter,
                step="install", env=self._env(), error=f"{Path(self.tool).name} create from the lock failed")
        reporter.check_cancelled()
        install_locked_pip(prefix, pip, reporter)
        reporter.step("verify-lock", 0.85, "Checking conda-meta matches the lock")
        check_matches_lock(prefix, records, project.lock)


__all__ = ["CondaCliBuilder", "find_tool"]
