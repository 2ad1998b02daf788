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
        from jupyter_core.paths import jupyter_data_dir  # on use: status never needs it

        return Path(jupyter_data_dir()) / "kernels"

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "sys_prefix": self.sys_prefix,
                "prefix": str(self.prefix) if self.prefix else None}

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "KernelLocation":
        if not isinstance(d, dict) or not d:
            return cls()
        prefix = d.get("prefix")
        return cls(user=d.get("user", True) is not False, sys_prefix=d.get("sys_prefix") is True,
                   prefix=Path(prefix) if isinstance(prefix, str) and prefix else None)


#: Jupyter's rule for kernelspec names (jupyter_client ``kernelspec._kernel_name_pat``).
KERNEL_NAME_RE = re.compile(r"^[a-z0-9._-]+$")

#: Names kernelenv never registers: the default kernels every Jupyter offers (ipykernel's
#: native ``python3``), which a project's kernel must not shadow.
RESERVED_NAMES = frozenset({"python", "python2", "python3"})


def slug(name: str) -> str:
    """Lower-case ``name`` and keep the characters kernelspec names allow (``[a-z0-9._-]``)."""
    s = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")
    return s[:100].strip("-._") or "project"


def is_valid_kernel_name(name: object) -> bool:
    """Whether ``name`` may name a kernelspec folder kernelenv writes.

    Jupyter's rule (``^[a-z0-9._-]+$``), at most 128 characters, not starting with a dot
    (so never ``.`` or ``..``: the folder is always a direct child of the kernels dir) and
    not one of :data:`RESERVED_NAMES`.
    """
    return (isinstance(name, str) and 0 < len(name) <= 128 and not name.startswith(".")
            and KERNEL_NAME_RE.match(name) is not None and name not in RESERVED_NAMES)


_KERNEL_DIRS: dict[tuple, list[Path]] = {}
#: The environment variables ``jupyter_core.paths.jupyter_path`` (and platformdirs under it) read.
_JUPYTER_PATH_VARS = ("JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_PREFER_ENV_PATH", "JUPYTER_PLATFORM_DIRS",
                      "JUPYTER_USE_PROGRAMDATA", "XDG_DATA_HOME", "XDG_DATA_DIRS", "HOME", "CONDA_PREFIX",
                      "CONDA_DEFAULT_ENV", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA", "USERPROFILE",
                      "PYTHONUSERBASE")


def kernel_dirs() -> list[Path]:
    """The ``kernels`` folders on Jupyter's data path (``jupyter_core.paths.jupyter_path``),
    highest priority first; absent ones included. ``jupyter_path`` depends on the interpreter
    and the environment variables in :data:`_JUPYTER_PATH_VARS` only, so its answer is kept
    per value of those (a ``kernelenv detect`` of 40 projects asks 80 times)."""
    key = (sys.prefix, *(os.environ.get(n) for n in _JUPYTER_PATH_VARS))
    dirs = _KERNEL_DIRS.get(key)
    if dirs is None:
        from jupyter_core.paths import jupyter_path

        dirs = [Path(p) / "kernels" for p in jupyter_path()]
        if len(_KERNEL_DIRS) > 16:  # a server whose environment keeps changing
            _KERNEL_DIRS.clear()
        _KERNEL_DIRS[key] = dirs
    return list(dirs)


def find_spec_dir(name: str) -> Path | None:
    """The first folder on Jupyter's kernel path holding kernelspec ``name``, or ``None``."""
    for d in kernel_dirs():
        if (d / name / "kernel.json").is_file():
            return d / name
    return None


def _owner(spec_dir: Path) -> str | None:
    try:
        data = json.loads((spec_dir / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    meta = (data.get("metadata") or {}).get(METADATA_KEY) if isinstance(data, dict) else None
    project = meta.get("project") if isinstance(meta, dict) else None
    return project if isinstance(project, str) else None


def _same_folder(a: str | Path, b: str | Path) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):
        return False


def owned_by(spec_dir: Path, root: Path) -> bool:
    """Whether kernelspec folder ``spec_dir`` is free for project ``root``: it holds no
    ``kernel.json``, or one whose kernelenv metadata names ``root``."""
    if not (spec_dir / "kernel.json").exists() and not (spec_dir / "kernel.json").is_symlink():
        return True
    owner = _owner(spec_dir)
    return owner is not None and _same_folder(owner, root)


def _usable(name: str, root: Path, location: KernelLocation | None) -> bool:
    if not is_valid_kernel_name(name):
        return False
    dirs = kernel_dirs() + ([location.kernels_dir()] if location else [])
    return all(owned_by(d / name, root) for d in dirs)


def kernel_name(project: Project, location: KernelLocation | None = None) -> str:
    """The stable kernelspec name of a project.

    Once the project has an env, the name recorded when it was built (its state file,
    believed only when written for this folder, host and user): a rebuild never renames
    the kernel, and a Binder image that registered the name the project has elsewhere
    (``kernelenv adopt --name``) keeps it although the checkout folder there is
    ``/home/jovyan``. Otherwise the slug of the project's name, so a notebook saved on one
    machine finds its kernel on another. A name is used only when it passes
    :func:`is_valid_kernel_name` and no kernelspec of that name on Jupyter's kernel path
    (or in ``location``'s kernels dir) belongs to something else (another project, a
    kernel kernelenv did not write); otherwise a 6-hex-digit suffix derived from the
    project's path is added.

    Raises:
        KernelspecConflictError: even the suffixed name is taken by a foreign kernelspec.
    """
    from .errors import KernelspecConflictError

    root = project.root
    candidates = name_candidates(project)
    for name in candidates:
        if _usable(name, root, location):
            return name
    base, suffixed = candidates[-2:]
    raise KernelspecConflictError(
        f"Kernelspecs named {base!r} and {suffixed!r} exist and were not created by kernelenv for "
        f"{root}; kernelenv never overwrites them. Remove or rename one (`jupyter kernelspec list`).")


def name_candidates(project: Project) -> list[str]:
    """The kernelspec names :func:`kernel_name` tries for ``project``, in its order: the name
    recorded in the state file (when written for this environment), the slug of the
    project's name (with the pixi environment's), and that slug with the 6-hex-digit
    suffix of the project's path. Whether each is free depends only on the kernelspec
    folders of these names (:func:`kernelenv.answercache.kernel_name_paths` watches them)."""
    import hashlib

    from .state import read_state

    state = read_state(project.root, project.environment) or {}
    recorded = state.get("kernel_name")
    out = [recorded] if isinstance(recorded, str) and state.get("environment") == project.environment else []
    base = slug(project.name)
    if project.environment and project.environment != "default":
        base = f"{base}-{slug(project.environment)}"
    digest = hashlib.sha1(str(project.root).encode()).hexdigest()[:6]
    return [*out, base, f"{base}-{digest}"]


def display_name(project: Project, python_version: str | None) -> str:
    """``Python 3.11 (projectname)``; ``Python 3.12 (projectname: test)`` for a pixi
    environment other than ``default``, so each environment's kernel reads differently."""
    short = ".".join(python_version.split(".")[:2]) if python_version else "3"
    if project.environment and project.environment != "default":
        return f"Python {short} ({project.name}: {project.environment})"
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
        "env": activation_env(env_path, project.backend.env_kind),
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
    if project.backend.env_kind == "conda":  # the env's activate.d scripts (kernelenv.activation)
        from .activation import apply

        apply(spec, env_path)
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

    Raises:
        KernelspecConflictError: the folder holds a kernelspec kernelenv did not create for
            this project (never overwritten).
    """
    from .errors import KernelspecConflictError

    loc = location or KernelLocation()
    name = kernel_name(project, loc)
    kernels_dir = loc.kernels_dir()
    dest = kernels_dir / name
    if not is_valid_kernel_name(name) or dest.parent != kernels_dir:  # defence in depth
        raise KernelspecConflictError(f"{name!r} is not a valid kernelspec name.")
    if dest.is_symlink() or not owned_by(dest, project.root):
        raise KernelspecConflictError(
            f"{dest} holds a kernelspec kernelenv did not create for {project.root}; "
            "it was left as it is.")
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


def _venv_env(prefix: Path) -> dict[str, str]:
    """Kernel env for a venv: its ``bin`` (``Scripts`` on Windows) first on PATH and
    ``VIRTUAL_ENV``, what the venv's ``activate`` script sets (Python's venv docs,
    "How venvs work"), so ``!pip``, ``!python`` and console scripts resolve to the env."""
    scripts = prefix / ("Scripts" if sys.platform == "win32" else "bin")
    return {"PATH": os.pathsep.join([str(scripts), "${PATH}"]), "VIRTUAL_ENV": str(prefix)}


def activation_env(prefix: Path, env_kind: str) -> dict[str, str]:
    """The kernel.json ``env`` that makes a kernel behave like an activated env.

    Args:
        prefix: the env folder (the project's live link, so a rebuild keeps it valid).
        env_kind: ``"venv"`` (PATH + ``VIRTUAL_ENV``) or ``"conda"`` (PATH + ``CONDA_PREFIX``).
    """
    return _conda_env(prefix) if env_kind == "conda" else _venv_env(prefix)


def conda_kernel_env(prefix: Path) -> dict[str, str]:
    """The kernel.json ``env`` that activates conda prefix ``prefix`` (see :func:`_conda_env`)."""
    return _conda_env(prefix)


def unregister(name: str, location: KernelLocation | None = None, *, project: Path) -> bool:
    """Remove kernelspec ``name`` if kernelenv wrote it for ``project``.

    Args:
        name: the kernelspec name (an invalid one removes nothing).
        location: the kernels dir to look in; ``None``: every dir on Jupyter's kernel path.
        project: the project root; a kernelspec whose kernelenv metadata names another
            folder, or that has none, is never deleted.

    Returns:
        Whether a kernelspec was removed.
    """
    if not is_valid_kernel_name(name):
        return False
    dirs = [location.kernels_dir()] if location else kernel_dirs()
    removed = False
    for d in dirs:
        spec = d / name
        if (spec / "kernel.json").is_file() and not spec.is_symlink() and _owner(spec) is not None \
                and owned_by(spec, project):
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
    for d in kernel_dirs():
        if not d.is_dir():
            continue
        for spec in sorted(d.iterdir()):
            kj = spec / "kernel.json"
            if spec.name in seen or not kj.is_file():
                continue
            try:
                data = json.loads(kj.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            meta = (data.get("metadata") or {}).get(METADATA_KEY) if isinstance(data, dict) else None
            argv = data.get("argv") if isinstance(data, dict) else None
            if not isinstance(meta, dict) or not meta or not isinstance(argv, list) or not argv \
                    or not isinstance(argv[0], str):
                continue
            seen.add(spec.name)
            from .activation import program

            python = Path(program(argv) or argv[0])  # not /bin/sh for an activate.d-sourcing kernel
            project = meta.get("project")
            yield RegisteredKernel(
                name=spec.name, spec_dir=spec, project=Path(project if isinstance(project, str) else ""),
                python=python, alive=python.exists(), display_name=str(data.get("display_name", "")),
                backend=meta.get("backend") if isinstance(meta.get("backend"), str) else None,
            )


def _is_ours(k: RegisteredKernel) -> bool:
    """Whether a kernelspec with kernelenv metadata has the shape kernelenv writes: its
    interpreter is inside the project's live env link (``<project>/.venv`` or ``.conda``)."""
    if not k.project.is_absolute() or not is_valid_kernel_name(k.name) or k.spec_dir.is_symlink():
        return False
    return any(_within(k.python, k.project / link) for link in (".venv", ".conda"))


def _within(p: Path, parent: Path) -> bool:
    try:
        return ".." not in p.parts and p.relative_to(parent) is not None
    except ValueError:
        return False


def prune() -> list[RegisteredKernel]:
    """Remove kernelenv kernelspecs whose interpreter is gone; return what was removed.

    Only kernelspecs kernelenv wrote (its metadata naming a project whose live env link
    holds the interpreter) are candidates; any other kernelspec is left alone.
    """
    gone = [k for k in iter_registered() if not k.alive and _is_ours(k)]
    for k in gone:
        shutil.rmtree(k.spec_dir, ignore_errors=True)
    return gone
