"""The project model every face shares: what detection found and what state an env is in.

:meth:`Project.to_dict` is *the* JSON shape of a project: the CLI's ``detect --json``,
the REST API's ``GET projects`` and the language server's ``kernelenv/projects``
notification all send it unchanged (plus a ``status`` object from
:meth:`StatusReport.to_dict`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EnvFileError


class Backend(str, enum.Enum):
    """How an env is built.

    ``uv``: a venv built with uv. ``rattler``: a conda prefix solved and installed with
    py-rattler (no conda needed). ``micromamba`` / ``conda``: the conda-family CLI on
    PATH, used only when asked for explicitly.
    """

    UV = "uv"
    RATTLER = "rattler"
    MICROMAMBA = "micromamba"
    CONDA = "conda"

    @property
    def env_kind(self) -> str:
        """``"venv"`` for uv, ``"conda"`` for the conda-family backends."""
        return "venv" if self is Backend.UV else "conda"

    @classmethod
    def parse(cls, value: str) -> "Backend":
        """Parse a backend name; ``venv`` is accepted for ``uv`` and ``mamba`` for ``conda``.

        Raises:
            ValueError: unknown name (the message lists the valid ones).
        """
        v = value.strip().lower()
        v = {"venv": "uv", "pip": "uv", "mamba": "conda", "pixi": "rattler"}.get(v, v)
        try:
            return cls(v)
        except ValueError:
            valid = ", ".join(b.value for b in cls)
            raise ValueError(f"unknown backend {value!r}; choose one of: {valid}") from None


class Status(str, enum.Enum):
    """The state of a project's env, as every face shows it."""

    MISSING = "missing"
    READY = "ready"
    STALE = "stale"
    LOCK_OUTDATED = "lock out of date"
    BROKEN = "broken"
    BUILDING = "building"
    DRIFTED = "drifted"  # packages installed/removed by hand since the build (kernelenv.drift)
    MOVED = "moved"  # the project folder was moved since the build (kernelenv.relocate)


class FileRole(str, enum.Enum):
    """What an env file is to its project.

    ``spec``: what to install (requirements.txt, environment.yml, pyproject ...).
    ``lock``: exact pins (uv.lock, pylock.toml, conda-lock.yml, pixi.lock ...).
    ``python``: only a Python request (runtime.txt, .python-version).
    ``input``: the input a lock/spec was compiled from (requirements.in).
    ``variant``: an alternative spec listed but not used (environment-*.yml).
    ``info``: listed and reported, never run (setup.py, postBuild, apt.txt, start).
    """

    SPEC = "spec"
    LOCK = "lock"
    PYTHON = "python"
    INPUT = "input"
    VARIANT = "variant"
    INFO = "info"


@dataclass(frozen=True)
class EnvFile:
    """One environment file of a project.

    Args:
        path: absolute path.
        kind: the format (``requirements``, ``environment.yml``, ``pyproject``,
            ``uv.lock``, ``pylock``, ``poetry.lock``, ``Pipfile``, ``Pipfile.lock``,
            ``conda-lock``, ``explicit-lock``, ``pixi.toml``, ``pixi.lock``,
            ``requirements.in``, ``setup.py``, ``setup.cfg``, ``runtime.txt``,
            ``python-version``, ``apt.txt``, ``postBuild``, ``start``).
        role: see :class:`FileRole`.
    """

    path: Path
    kind: str
    role: FileRole

    def to_dict(self, root: Path) -> dict[str, Any]:
        return {"path": _rel(self.path, root), "kind": self.kind, "role": self.role.value}


@dataclass(frozen=True)
class PythonRequest:
    """The Python version a project asks for.

    Args:
        specifier: a PEP 440 specifier set string, e.g. ``"==3.10.*"`` or ``">=3.12"``.
        source: the file it was read from.
        raw: the text as written (``python-3.10``, ``^3.11.2``, ``3.13`` ...).
    """

    specifier: str
    source: Path
    raw: str

    def to_dict(self, root: Path) -> dict[str, Any]:
        return {"specifier": self.specifier, "source": _rel(self.source, root), "raw": self.raw}


@dataclass
class Project:
    """A folder holding env files: the unit that gets one env and one kernel.

    Args:
        root: absolute path of the project folder.
        name: project name (pyproject/pixi/environment.yml name, else folder name).
        backend: the backend chosen.
        backend_reason: one sentence saying why.
        ambiguity: set when both conda and pip specs exist: why the choice was made.
        files: every env file found, in a stable order.
        spec: the file the env is built from (``None`` when only a lock exists).
        lock: the lock file used for rebuilds, if any.
        python: the Python request, if any.
        config_dir: ``binder/`` or ``.binder/`` when repo2docker's rules apply.
        warnings: things the user should know (apt.txt not installed, Windows builds ...).
        errors: parse errors; a project with errors can still be listed.
        workspace: the workspace folder it was found in.
        environment: for pixi projects, the pixi environment selected (``default``).
        runs_build_backend: why ``lock``/``create`` will run a build backend (the project's
            own code such as setup.py, or a package built from source), one sentence naming
            the files and lines; ``None`` when they only install wheels, as far as the files
            tell (see :mod:`kernelenv.buildcode`).
        install_project: whether ``create`` installs the project itself (editable), as its
            own tool does (:mod:`kernelenv.projectinstall`).
        install_project_reason: one sentence saying why (or why not).
    """

    root: Path
    name: str
    backend: Backend
    backend_reason: str
    files: list[EnvFile] = field(default_factory=list)
    spec: Path | None = None
    lock: Path | None = None
    python: PythonRequest | None = None
    ambiguity: str | None = None
    config_dir: Path | None = None
    warnings: list[str] = field(default_factory=list)
    errors: list[EnvFileError] = field(default_factory=list)
    workspace: Path | None = None
    environment: str | None = None
    runs_build_backend: str | None = None
    install_project: bool = False
    install_project_reason: str | None = None

    @property
    def kernel_name(self) -> str:
        """The stable kernelspec name (see :func:`kernelenv.kernels.kernel_name`)."""
        from .kernels import kernel_name

        return kernel_name(self)

    def files_of(self, *roles: FileRole) -> list[EnvFile]:
        """The env files with one of ``roles``."""
        return [f for f in self.files if f.role in roles]

    def to_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        """The shared JSON project model.

        Args:
            relative_to: paths in the result are relative to this folder (the
                workspace folder or the server's root_dir); the project's own files
                are always relative to the project root.
        """
        base = relative_to or self.workspace or self.root
        return {
            "name": self.name,
            "path": _rel(self.root, base),
            "root": str(self.root),
            "backend": self.backend.value,
            "env_kind": self.backend.env_kind,
            "backend_reason": self.backend_reason,
            "ambiguity": self.ambiguity,
            "files": [f.to_dict(self.root) for f in self.files],
            "spec": _rel(self.spec, self.root) if self.spec else None,
            "lock": _rel(self.lock, self.root) if self.lock else None,
            "python": self.python.to_dict(self.root) if self.python else None,
            "config_dir": _rel(self.config_dir, self.root) if self.config_dir else None,
            "environment": self.environment,
            "kernel_name": self.kernel_name,
            "runs_build_backend": self.runs_build_backend,
            "install_project": self.install_project,
            "install_project_reason": self.install_project_reason,
            "warnings": list(self.warnings),
            "errors": [e.to_dict() for e in self.errors],
        }


@dataclass
class StatusReport:
    """The state of a project's env.

    Args:
        status: see :class:`Status`.
        reason: one sentence a user can act on.
        env_path: the live env (``<project>/.venv`` or ``<project>/.conda``), if any.
        python: the env's interpreter path, if built.
        python_version: e.g. ``"3.11.7"``.
        packages: number of installed distributions/records at build time.
        changed: env files changed since the build (paths relative to the project).
        kernel_name: the registered kernel's name.
        backend: backend the env was built with.
        last_failure: the last failed operation on the project, until one succeeds:
            ``{"action", "at", "error"}`` (see :mod:`kernelenv.failures`), else ``None``.
        drift: for ``drifted``: :meth:`kernelenv.drift.Drift.to_dict` (added / removed /
            changed packages with versions), else ``None``.
    """

    status: Status
    reason: str
    env_path: Path | None = None
    python: Path | None = None
    python_version: str | None = None
    packages: int | None = None
    changed: list[str] = field(default_factory=list)
    kernel_name: str | None = None
    backend: str | None = None
    last_failure: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "drift": self.drift,
            "status": self.status.value,
            "reason": self.reason,
            "env_path": str(self.env_path) if self.env_path else None,
            "python": str(self.python) if self.python else None,
            "python_version": self.python_version,
            "packages": self.packages,
            "changed": self.changed,
            "kernel_name": self.kernel_name,
            "backend": self.backend,
            "last_failure": self.last_failure,
        }


def _rel(path: Path, base: Path) -> str:
    try:
        rel = path.relative_to(base)
    except ValueError:
        return str(path)
    return rel.as_posix() or "."
