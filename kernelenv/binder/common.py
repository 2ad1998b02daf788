"""What every Binder module shares: the error, the result, repo2docker's Pythons and platform."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.markers import default_environment

from ..errors import KernelenvError

#: The platform Binder images run on (conda subdir; the PEP 508 marker values of
#: :func:`binder_marker_env`).
BINDER_PLATFORM = "linux-64"

#: Python versions repo2docker can install when its own list is not importable (its
#: ``buildpacks/conda/environment.py-X.Y.yml`` base environments, repo2docker 2024-2026).
_FALLBACK_PYTHONS = ("3.14", "3.13", "3.12", "3.11", "3.10", "3.9", "3.8", "3.7", "3.6")


def _repo2docker_pythons() -> tuple[str, ...]:
    """Newest first: from the installed repo2docker's base environments when it is importable
    (its files only; nothing runs), else :data:`_FALLBACK_PYTHONS`."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("repo2docker")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return _FALLBACK_PYTHONS
    folder = Path(list(spec.submodule_search_locations)[0]) / "buildpacks" / "conda"
    found = set()
    for p in folder.glob("environment.py-3.*-linux-64.lock"):
        found.add(p.name[len("environment.py-"):-len("-linux-64.lock")])
    if not found:
        return _FALLBACK_PYTHONS
    return tuple(sorted(found, key=lambda v: tuple(int(x) for x in v.split(".")), reverse=True))


#: Python versions (``X.Y``, newest first) repo2docker builds images with.
REPO2DOCKER_PYTHONS = _repo2docker_pythons()


class BinderError(KernelenvError):
    """A Binder config cannot be written or an image env cannot be adopted (the message says why)."""

    code = "binder-error"


@dataclass
class BinderResult:
    """What :func:`kernelenv.binder.write_binder` wrote.

    Args:
        directory: the config folder (``<project>/binder`` or ``.binder``).
        files: the files written, in order.
        kind: ``"requirements"`` (venv project) or ``"environment"`` (conda project).
        python: the Python version the image gets (``"3.11"``), or ``None``.
        kernel_name: the kernel name ``postBuild`` registers.
        lock: the lock file the pins come from.
        locked_first: whether the project had no lock and one was written.
        pins: ``{normalized name: version}`` installed on linux-64 (conda and pip together).
        warnings: what Binder will ignore or do differently, one sentence each.
        kept: the author's own files kept (``postBuild`` merged, ``start`` / ``apt.txt``
            copied or left), one sentence each.
    """

    directory: Path
    files: list[Path]
    kind: str
    python: str | None
    kernel_name: str
    lock: Path
    locked_first: bool
    pins: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "files": [str(f) for f in self.files],
                "kind": self.kind, "python": self.python, "kernel_name": self.kernel_name,
                "lock": str(self.lock), "locked_first": self.locked_first, "pins": self.pins,
                "warnings": list(self.warnings), "kept": list(self.kept)}


def binder_marker_env(python: str) -> dict[str, str]:
    """PEP 508 marker values of a Binder image (linux x86_64, CPython ``python`` = ``X.Y``)."""
    env = dict(default_environment())
    env.update(sys_platform="linux", platform_system="Linux", os_name="posix",
               platform_machine="x86_64", python_version=python,
               python_full_version=f"{python}.0", implementation_name="cpython",
               platform_python_implementation="CPython")
    return env


def build_of(filename: str, name: str, version: str) -> str | None:
    """The build string of a conda package file name (``name-version-build.conda``)."""
    for ext in (".conda", ".tar.bz2"):
        if filename.endswith(ext):
            stem = filename[: -len(ext)]
            head = f"{name}-{version}-"
            if stem.startswith(head):
                return stem[len(head):]
    return None
