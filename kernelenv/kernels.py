"""Jupyter kernelspecs for project envs: names, registration, listing and pruning.

A kernelspec is a folder holding ``kernel.json`` (Jupyter's kernelspec format:
https://jupyter-client.readthedocs.io/en/stable/kernels.html#kernel-specs). kernelenv
writes one per project into the user's Jupyter data dir by default, so JupyterLab,
the VS Code Jupyter extension, nbconvert and papermill all see it. Its ``argv`` runs
the env through the project's live link (``<project>/.venv`` or ``<project>/.conda``),
so a rebuild switches the kernel to the new env with no re-registration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from jupyter_core.paths import jupyter_data_dir, jupyter_path

if TYPE_CHECKING:
    from .model import Project

METADATA_KEY = "kernelenv"


@dataclass(frozen=True)
class KernelLocation:
    """Where kernel.json files go, like ``ipykernel install``'s options.

    Exactly one of ``user`` (default), ``sys_prefix`` or ``prefix`` applies.
    """

    user: bool = True
    sys_prefix: bool = False
    prefix: Path | None = None

    def kernels_dir(self) -> Path:
        """The ``.../share/jupyter/kernels`` (or user data dir ``kernels``) folder."""
        if self.prefix is not None:
            return Path(self.prefix) / "share" / "jupyter" / "kernels"
        if self.sys_prefix:
            return Path(sys.prefix) / "share" / "jupyter" / "kernels"
        return Path(jupyter_data_dir()) / "kernels"

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "sys_prefix": self.sys_prefix,
                "prefix": str(self.prefix) if self.prefix else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "KernelLocation":
        if not d:
            return cls()
        return cls(user=d.get("user", True), sys_prefix=d.get("sys_prefix", False),
                   prefix=Path(d["prefix"]) if d.get("prefix") else None)


def slug(name: str) -> str:
    """Lower-case ``name`` and keep the characters kernelspec names allow (``[a-z0-9._-]``)."""
    s = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")
    return s or "project"


def _kernel_dirs() -> list[Path]:
    return [Path(p) / "kernels" for p in jupyter_path()]


def find_spec_dir(name: str) -> Path | None:
    """The first folder on Jupyter's kernel path holding kernelspec ``name``, or ``None``."""
    for d in _kernel_dirs():
        if (d / name / "kernel.json").is_file():
            return d / name
    return None


def _owner(spec_dir: Path) -> str | None:
    try:
        data = json.loads((spec_dir / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta = (data.get("metadata") or {}).get(METADATA_KEY) or {}
    return meta.get("project")


def kernel_name(project: Project) -> str:
    """The stable kernelspec name of a project.

    Once the project has an env, the name recorded when it was built (its state file):
    a rebuild never renames the kernel, and a Binder image that registered the name the
    project has elsewhere (``kernelenv adopt --name``) keeps it although the checkout
    folder there is ``/home/jovyan``. Otherwise the slug of the project's name, so a
    notebook saved on one machine finds its kernel on another. When a kernelspec of that
    name exists and belongs to something else (another project, or a kernel kernelenv did
    not write), a 6-hex-digit suffix derived from the project's path is added.
    """
    import hashlib

    from .state import read_state

    state = read_state(project.root) or {}
    if state.get("kernel_name") and state.get("environment") == project.environment:
        return str(state["kernel_name"])
    base = slug(project.name)
    if project.environment and project.environment != "default":
        base = f"{base}-{slug(project.environment)}"
    existing = find_spec_dir(base)
    if existing is None or _owner(existing) == str(project.root):
        return base
    digest = hashlib.sha1(str(project.root).encode()).hexdigest()[:6]
    return f"{base}-{digest}"


def display_name(project: Project, python_version: str | None) -> str:
    """``Python 3.11 (projectname)``."""
    short = ".".join(python_version.split(".")[:2]) if python_version else "3"
    return f"Python {short} ({project.name})"


def kernel_spec(project: Project, python: Path, python_version: str | None,
                *, env_path: Path) -> dict[str, Any]:
    """The kernel.json dict of a project's env (what :func:`register` writes).

    Also used by the Jupyter server extension to list a built env whose kernel.json is
    not on the server's kernel path. Args as :func:`register`.
    """
    spec = {
        "argv": [str(python), "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": display_name(project, python_version),
        "language": "python",
        "interrupt_mode": "signal",
        "env": _conda_env(env_path) if project.backend.env_kind == "conda" else {},
        "metadata": {
            "debugger": True,
            METADATA_KEY: {
                "project": str(project.root),
                "name": project.name,
                "backend": project.backend.value,
                "env": str(env_path),
            },
        },
    }
    if python_version and python_version.startswith(("3.6", "3.7", "3.8", "3.9", "3.10")):
        spec["argv"].remove("-Xfrozen_modules=off")
    return spec


def register(project: Project, python: Path, python_version: str | None,
             *, env_path: Path, location: KernelLocation | None = None) -> Path:
    """Write the project's kernel.json and return its kernelspec folder.

    Args:
        project: the project.
        python: the interpreter the kernel runs (through the live env link).
        python_version: e.g. ``"3.11.7"`` for the display name.
        env_path: the live env folder recorded in the metadata.
        location: where to write (default: the user's Jupyter data dir).
    """
    loc = location or KernelLocation()
    name = kernel_name(project)
    dest = loc.kernels_dir() / name
    dest.mkdir(parents=True, exist_ok=True)
    spec = kernel_spec(project, python, python_version, env_path=env_path)
    tmp = dest / "kernel.json.tmp"
    tmp.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, dest / "kernel.json")
    return dest


def _conda_env(prefix: Path) -> dict[str, str]:
    """Kernel env for a conda prefix: its binary folders first on PATH and ``CONDA_PREFIX``.

    What ``conda activate`` does for PATH, so notebooks find the env's executables
    (ffmpeg, graphviz's ``dot`` ...). ``${PATH}`` is substituted by jupyter_client
    (``KernelProvisionerBase`` templates kernel.json ``env`` values).
    """
    if sys.platform == "win32":
        dirs = [prefix, prefix / "Library/mingw-w64/bin", prefix / "Library/usr/bin", prefix / "Library/bin",
                prefix / "Scripts", prefix / "bin"]
    else:
        dirs = [prefix / "bin"]
    return {"PATH": os.pathsep.join([*(str(d) for d in dirs), "${PATH}"]), "CONDA_PREFIX": str(prefix)}


def conda_kernel_env(prefix: Path) -> dict[str, str]:
    """The kernel.json ``env`` that activates conda prefix ``prefix`` (see :func:`_conda_env`)."""
    return _conda_env(prefix)


def unregister(name: str, location: KernelLocation | None = None) -> bool:
    """Remove kernelspec ``name`` if kernelenv wrote it. Returns whether one was removed."""
    dirs = [location.kernels_dir()] if location else _kernel_dirs()
    removed = False
    for d in dirs:
        spec = d / name
        if (spec / "kernel.json").is_file() and _owner(spec) is not None:
            shutil.rmtree(spec, ignore_errors=True)
            removed = True
    return removed


@dataclass
class RegisteredKernel:
    """A kernelspec kernelenv wrote.

    Args:
        name: kernelspec name. spec_dir: its folder. project: the project root it serves.
        python: argv[0]. alive: whether that interpreter still exists.
        display_name, backend: from kernel.json.
    """

    name: str
    spec_dir: Path
    project: Path
    python: Path
    alive: bool
    display_name: str
    backend: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "spec_dir": str(self.spec_dir), "project": str(self.project),
                "python": str(self.python), "alive": self.alive,
                "display_name": self.display_name, "backend": self.backend}


def iter_registered() -> Iterator[RegisteredKernel]:
    """Every kernelspec on Jupyter's kernel path that kernelenv wrote (first one of each name)."""
    seen: set[str] = set()
    for d in _kernel_dirs():
        if not d.is_dir():
            continue
        for spec in sorted(d.iterdir()):
            kj = spec / "kernel.json"
            if spec.name in seen or not kj.is_file():
                continue
            try:
                data = json.loads(kj.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            meta = (data.get("metadata") or {}).get(METADATA_KEY)
            if not meta:
                continue
            seen.add(spec.name)
            python = Path(data["argv"][0])
            yield RegisteredKernel(
                name=spec.name, spec_dir=spec, project=Path(meta.get("project", "")),
                python=python, alive=python.exists(), display_name=data.get("display_name", ""),
                backend=meta.get("backend"),
            )


def prune() -> list[RegisteredKernel]:
    """Remove kernelenv kernelspecs whose interpreter is gone; return what was removed."""
    gone = [k for k in iter_registered() if not k.alive]
    for k in gone:
        shutil.rmtree(k.spec_dir, ignore_errors=True)
    return gone
