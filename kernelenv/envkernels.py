"""Kernelspecs for the kernels an env ships, and for the conda envs and venvs on this machine.

An env ships kernels as kernelspec folders in ``<prefix>/share/jupyter/kernels/*/kernel.json``
(ipykernel's ``python3``, r-irkernel's ``ir`` ...; Jupyter's data-dir layout). kernelenv
turns each into a kernelspec pointed at the env: a bare command (``python``, ``R``) found in
the env's ``bin`` becomes its absolute path, the env's activation is added (PATH,
``CONDA_PREFIX``/``VIRTUAL_ENV``, and for conda envs the ``activate.d`` scripts,
:mod:`kernelenv.activation`), and the folder's other files (logos) come along.

Discovered envs (:mod:`kernelenv.envscan`) get nb_conda_kernels' names
(``conda-env-<env>-<kernel>``, ``conda-root-<kernel>`` for a base install, ``python2``/
``python3`` → ``py``, ``ir`` → ``r``) and display names from ``name_format``
(nb_conda_kernels' ``{0} [conda env:{1}]`` by default). :func:`sync` writes them into a
Jupyter kernels folder, so nbconvert, papermill and VS Code see them, and removes the ones it
wrote whose env is gone; it never touches a kernelspec it did not write.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import activation
from .envscan import FoundEnv, python_of
from .kernels import activation_env
from .layout import site_packages

#: kernel.json metadata key marking the kernelspecs :func:`sync` writes
SYNC_KEY = "kernelenv_env"
DEFAULT_NAME_FORMAT = "{0} [conda env:{1}]"
MAX_KERNEL_JSON_BYTES = 256 * 1024
_NAME_RE = re.compile(r"^[a-z0-9._-]+$")


@dataclass(frozen=True)
class ShippedKernel:
    """A kernelspec folder an env ships.

    Args:
        name: the folder's name, lower-cased (``python3``, ``ir``).
        spec: its kernel.json (argv, display_name, language, ...).
        resource_dir: the folder (logos), or ``None`` for the synthesized Python kernel.
    """

    name: str
    spec: dict[str, Any]
    resource_dir: Path | None


def has_ipykernel(prefix: Path) -> bool:
    """Whether ipykernel is installed in ``prefix`` (conda-meta record or site-packages folder)."""
    try:
        if any(n.startswith("ipykernel-") and n.endswith(".json") for n in os.listdir(prefix / "conda-meta")):
            return True
    except OSError:
        pass
    return any((sp / "ipykernel" / "__init__.py").is_file() for sp in site_packages(prefix))


def _valid_spec(data: Any) -> bool:
    argv = data.get("argv") if isinstance(data, dict) else None
    return (isinstance(argv, list) and bool(argv) and all(isinstance(a, str) for a in argv)
            and isinstance(data.get("display_name", ""), str) and isinstance(data.get("language", ""), str)
            and isinstance(data.get("env", {}), dict))


def shipped_kernels(prefix: Path) -> list[ShippedKernel]:
    """The valid kernelspecs in ``<prefix>/share/jupyter/kernels`` (broken or oversized ones
    are skipped), by name."""
    base = prefix / "share" / "jupyter" / "kernels"
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    out = []
    for n in names:
        kj = base / n / "kernel.json"
        try:
            if kj.stat().st_size > MAX_KERNEL_JSON_BYTES:
                continue
            data = json.loads(kj.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if _valid_spec(data) and _NAME_RE.match(n.lower()) and not n.startswith("."):
            out.append(ShippedKernel(n.lower(), data, base / n))
    return out


def env_kernels(prefix: Path, kind: str) -> list[ShippedKernel]:
    """Every kernel of an env: those it ships, plus ``python3`` when ipykernel is installed
    but ships no kernelspec (pip's ipykernel in a venv does not always)."""
    found = shipped_kernels(prefix)
    if not any(k.name in ("python3", "python2") for k in found) and python_of(prefix, kind).exists() \
            and has_ipykernel(prefix):
        found.insert(0, ShippedKernel("python3", {
            "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (ipykernel)", "language": "python"}, None))
    return found


def watch_paths(prefix: Path) -> list[Path]:
    """The folders whose mtimes change when an env's kernels or activation change (a cache key):
    the prefix, ``conda-meta``, site-packages, ``share/jupyter/kernels``, ``etc/conda/activate.d``."""
    return [prefix, prefix / "conda-meta", *site_packages(prefix), prefix / "share" / "jupyter" / "kernels",
            prefix / "etc" / "conda" / "activate.d"]


def _bin_dirs(prefix: Path, kind: str) -> list[Path]:
    if sys.platform == "win32":
        return [prefix, prefix / "Scripts", prefix / "Library" / "bin"] if kind == "conda" else [prefix / "Scripts"]
    return [prefix / "bin"]


def point_at_env(spec: dict[str, Any], prefix: Path, kind: str) -> dict[str, Any]:
    """A copy of kernelspec ``spec`` that runs in env ``prefix``.

    A bare ``argv[0]`` (``python``, ``R``) that exists in the env's binary folder becomes
    that path; the env's activation (:func:`kernelenv.kernels.activation_env`, and for
    conda envs the activate.d scripts) is added to ``env`` (the spec's own variables win);
    ``interrupt_mode`` defaults to ``signal``.
    """
    out = json.loads(json.dumps(spec))
    argv = list(out["argv"])
    if os.sep not in argv[0] and "/" not in argv[0]:
        for d in _bin_dirs(prefix, kind):
            for cand in (d / argv[0], d / f"{argv[0]}.exe"):
                if cand.exists():
                    argv[0] = str(cand)
                    break
            else:
                continue
            break
    out["argv"] = argv
    env = activation_env(prefix, kind)
    env.update(out.get("env") or {})
    out["env"] = env
    out.setdefault("interrupt_mode", "signal")
    if kind == "conda":
        activation.apply(out, prefix)
    return out


def short_kernel(name: str) -> str:
    """nb_conda_kernels' short kernel name: ``python2``/``python3`` → ``py``, ``ir`` → ``r``."""
    return {"python2": "py", "python3": "py", "ir": "r"}.get(name, name)


def clean_name(name: str) -> str:
    """``name`` with characters kernelspec names do not allow replaced by ``-`` (as nb_conda_kernels)."""
    return re.sub(r"[^a-zA-Z0-9._-]", "-", name)


def kernel_name(env: FoundEnv, kernel: str) -> str:
    """``conda-env-<env>-<kernel>``, ``conda-root-<kernel>`` or ``venv-<env>-<kernel>``."""
    k = short_kernel(kernel)
    if env.kind == "venv":
        return clean_name(f"venv-{env.name}-{k}")
    return clean_name(f"conda-root-{k}" if env.name == "root" else f"conda-env-{env.name}-{k}")


def display_name(env: FoundEnv, kernel: ShippedKernel, name_format: str, kname: str) -> str:
    """The display name from ``name_format`` (``str.format`` with nb_conda_kernels' fields:
    ``{0}``/``{language}`` the kernel's display name, ``Python`` for any Python one,
    ``{1}``/``{environment}`` the env's name, ``{kernel}`` the kernelspec folder name,
    ``{display_name}`` the shipped display name, ``{conda_kernel}`` the kernel name).
    Venvs always read ``<language> [venv:<env>]``.

    Raises:
        ValueError: ``name_format`` names a field that does not exist.
    """
    shipped = str(kernel.spec.get("display_name") or kernel.name)
    lang = "Python" if shipped.startswith("Python") else shipped
    if env.kind == "venv":
        return f"{lang} [venv:{env.name}]"
    try:
        return name_format.format(lang, env.name, language=lang, environment=env.name, kernel=kernel.name,
                                  display_name=shipped, conda_kernel=kname)
    except (KeyError, IndexError, AttributeError, ValueError) as e:
        raise ValueError(f"name_format {name_format!r} is not valid: {e!r}; fields are {{0}}/{{language}}, "
                         "{1}/{environment}, {kernel}, {display_name}, {conda_kernel}") from None


@dataclass(frozen=True)
class EnvKernel:
    """A kernelspec for a discovered env: ``name``, ``spec`` (kernel.json dict), ``resource_dir``."""

    name: str
    spec: dict[str, Any]
    resource_dir: Path | None
    env: FoundEnv


def discovered_kernels(envs: Iterable[FoundEnv], *, name_format: str = DEFAULT_NAME_FORMAT) -> list[EnvKernel]:
    """Every kernel of every env, named as nb_conda_kernels names them; the first of a name wins.

    Raises:
        ValueError: invalid ``name_format``.
    """
    out: dict[str, EnvKernel] = {}
    for env in envs:
        for k in env_kernels(env.prefix, env.kind):
            name = kernel_name(env, k.name)
            if name in out:
                continue
            spec = point_at_env(k.spec, env.prefix, env.kind)
            spec["display_name"] = display_name(env, k, name_format, name)
            meta = dict(spec.get("metadata") or {})
            meta[SYNC_KEY] = {"kind": env.kind, "prefix": str(env.prefix), "env": env.name}
            meta.update({"conda_env_name": env.name, "conda_env_path": str(env.prefix)} if env.kind == "conda" else {})
            spec["metadata"] = meta
            out[name] = EnvKernel(name, spec, k.resource_dir, env)
    return list(out.values())


@dataclass
class SyncReport:
    """What :func:`sync` did: kernel names ``written``, ``removed``, and ``skipped`` ``{name: why}``."""

    kernels_dir: Path
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kernels_dir": str(self.kernels_dir), "written": self.written, "removed": self.removed,
                "skipped": self.skipped}


def synced_by_us(spec_dir: Path) -> bool:
    """Whether ``spec_dir`` is a real folder whose kernel.json :func:`sync` wrote."""
    if spec_dir.is_symlink():
        return False
    try:
        data = json.loads((spec_dir / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    meta = data.get("metadata") if isinstance(data, dict) else None
    return isinstance(meta, dict) and isinstance(meta.get(SYNC_KEY), dict)


def _write(dest: Path, kernel: EnvKernel) -> None:
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if kernel.resource_dir is not None:
        for f in kernel.resource_dir.iterdir():
            if f.name != "kernel.json" and f.is_file() and not f.is_symlink() and f.stat().st_size < (1 << 20):
                shutil.copyfile(f, tmp / f.name)
    (tmp / "kernel.json").write_text(json.dumps(kernel.spec, indent=1) + "\n", encoding="utf-8")
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(tmp, dest)


def sync(kernels: Iterable[EnvKernel], kernels_dir: Path) -> SyncReport:
    """Make ``kernels_dir`` hold exactly these kernelspecs among the ones sync wrote.

    Writes each kernel (folder name lower-cased, as ``jupyter kernelspec install`` does)
    unless the folder holds a kernelspec sync did not write (skipped, never overwritten);
    removes folders sync wrote that are no longer in ``kernels`` (their env is gone or
    filtered out). An unchanged kernel.json is not rewritten.

    Args:
        kernels: from :func:`discovered_kernels`.
        kernels_dir: a Jupyter ``kernels`` folder (e.g. the user's data dir's).
    """
    report = SyncReport(kernels_dir)
    kernels_dir.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, EnvKernel] = {}
    for k in kernels:
        wanted.setdefault(k.name.lower(), k)
    for name, k in wanted.items():
        dest = kernels_dir / name
        if not _NAME_RE.match(name) or name.startswith("."):
            report.skipped[name] = "not a valid kernelspec name"
            continue
        if (dest.exists() or dest.is_symlink()) and not synced_by_us(dest):
            report.skipped[name] = f"{dest} exists and was not written by kernelenv; left as it is"
            continue
        try:
            current = json.loads((dest / "kernel.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            current = None
        if current == k.spec:
            continue
        _write(dest, k)
        report.written.append(name)
    for child in sorted(kernels_dir.iterdir()):
        if child.name not in wanted and not child.name.startswith(".") and synced_by_us(child):
            shutil.rmtree(child, ignore_errors=True)
            report.removed.append(child.name)
    return report


def project_kernel_names(base: str, env_path: Path) -> dict[str, ShippedKernel]:
    """``{<base>-<kernel>: kernel}`` for the non-Python kernels a project's env ships
    (``proj-r`` for r-irkernel's ``ir``); Python's own kernel is the project's kernel ``base``."""
    out: dict[str, ShippedKernel] = {}
    for k in shipped_kernels(env_path):
        if k.name in ("python2", "python3") or k.name.startswith(("conda-", "kernelenv")):
            continue
        out.setdefault(f"{base}-{short_kernel(k.name)}", k)
    return out


def register_shipped(project: Any, env_path: Path, env_kind: str, base: str, kernels_dir: Path) -> list[str]:
    """Register every other kernel the project's env ships, next to its Python kernel.

    Args:
        project: the :class:`~kernelenv.model.Project`.
        env_path: the live env link (``<project>/.conda``), so a rebuild keeps the kernels valid.
        env_kind: ``"conda"`` or ``"venv"``.
        base: the project's kernel name (``proj``); kernels are named ``proj-r`` ...
        kernels_dir: where the project's kernel is registered.

    Returns:
        The names registered. A name held by a kernelspec kernelenv did not write for this
        project is skipped (never overwritten); names registered by an earlier build whose
        kernel the env no longer ships are removed.
    """
    from .kernels import METADATA_KEY, is_valid_kernel_name, owned_by

    written: list[str] = []
    wanted = project_kernel_names(base, env_path)
    for name, k in wanted.items():
        dest = kernels_dir / name
        if not is_valid_kernel_name(name) or dest.is_symlink() or not owned_by(dest, project.root):
            continue
        spec = point_at_env(k.spec, env_path, env_kind)
        spec["display_name"] = f"{k.spec.get('display_name') or k.name} ({project.name})"
        meta = dict(spec.get("metadata") or {})
        meta[METADATA_KEY] = {"project": str(project.root), "name": project.name,
                              "backend": project.backend.value, "env": str(env_path), "kernel": k.name}
        spec["metadata"] = meta
        _write(dest, EnvKernel(name, spec, k.resource_dir, FoundEnv(env_path, env_kind, project.name)))
        written.append(name)
    try:
        others = sorted(p.name for p in kernels_dir.iterdir() if p.name.startswith(f"{base}-"))
    except OSError:
        others = []
    for name in others:
        if name not in wanted:  # only this env's: another pixi environment's (proj-test-r) stays
            _remove_owned(kernels_dir / name, project.root, [str(env_path)])
    return written


def _shipped_kernel_of(spec_dir: Path, root: Path, env_paths: list[str] | None = None) -> bool:
    """Whether ``spec_dir`` is a shipped-kernel kernelspec :func:`register_shipped` wrote for ``root``
    (and, when ``env_paths`` is given, for the env at one of those live links: each pixi
    environment of a project has its own)."""
    from .kernels import METADATA_KEY, owned_by

    try:
        data = json.loads((spec_dir / "kernel.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    meta = (data.get("metadata") or {}).get(METADATA_KEY) if isinstance(data, dict) else None
    if env_paths is not None and (not isinstance(meta, dict) or meta.get("env") not in env_paths):
        return False
    return isinstance(meta, dict) and isinstance(meta.get("kernel"), str) and owned_by(spec_dir, root)


def _remove_owned(spec_dir: Path, root: Path, env_paths: list[str] | None = None) -> None:
    if not spec_dir.is_symlink() and _shipped_kernel_of(spec_dir, root, env_paths):
        shutil.rmtree(spec_dir, ignore_errors=True)


def unregister_shipped(root: Path, base: str, kernels_dir: Path, env_paths: list[str] | None = None) -> list[str]:
    """Remove the shipped-kernel kernelspecs (``<base>-*``) registered for project ``root``.

    Args:
        env_paths: only those registered for the env at one of these live links (a pixi
            environment's own), as strings; ``None``: any env of the project.
    """
    removed = []
    try:
        names = sorted(p.name for p in kernels_dir.iterdir() if p.name.startswith(f"{base}-"))
    except OSError:
        return removed
    for name in names:
        if _shipped_kernel_of(kernels_dir / name, root, env_paths):
            _remove_owned(kernels_dir / name, root, env_paths)
            removed.append(name)
    return removed
