"""Find existing conda envs and virtualenvs that can run a Python kernel, by file reads only.

Like nb_conda_kernels, but without running ``conda``: conda records every env it
creates in ``~/.conda/environments.txt`` (one prefix per line), and envs live in the
``envs/`` folder of a conda install and in ``~/.conda/envs``. An env qualifies when its
interpreter exists and ipykernel is installed (a ``conda-meta/ipykernel-*.json`` record
or an ``ipykernel`` package folder in site-packages).

Names follow nb_conda_kernels so notebooks saved with those kernels still find their
env: ``conda-env-NAME-py`` (``conda-root-py`` for a base install); virtualenvs get
``venv-NAME-py``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from kernelenv.kernels import conda_kernel_env
from kernelenv.layout import site_packages


@dataclass(frozen=True)
class FoundEnv:
    """An env that can run an ipykernel kernel.

    Args:
        name: the kernelspec name (``conda-env-NAME-py``, ``conda-root-py``, ``venv-NAME-py``).
        prefix: the env folder. python: its interpreter. kind: ``"conda"`` or ``"venv"``.
        label: the env's short name for the display name.
    """

    name: str
    prefix: Path
    python: Path
    kind: str
    label: str

    def spec(self) -> dict:
        """The kernelspec dict (Jupyter's kernel.json fields) that runs this env's ipykernel."""
        display = (f"Python [conda env:{self.label}]" if self.kind == "conda"
                   else f"Python [venv:{self.label}]")
        return {
            "argv": [str(self.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": display,
            "language": "python",
            "interrupt_mode": "signal",
            "env": conda_kernel_env(self.prefix) if self.kind == "conda" else {},
            "metadata": {"kernelenv_env": {"kind": self.kind, "prefix": str(self.prefix)}},
        }


def clean_name(name: str) -> str:
    """Keep the characters kernelspec names allow (``[a-zA-Z0-9._-]``), replacing others by ``-``."""
    return re.sub(r"[^a-zA-Z0-9._-]", "-", name)


def _python(prefix: Path) -> Path:
    if sys.platform == "win32":
        return prefix / "python.exe" if (prefix / "conda-meta").is_dir() else prefix / "Scripts" / "python.exe"
    return prefix / "bin" / "python"


def has_ipykernel(prefix: Path) -> bool:
    """Whether ipykernel is installed in ``prefix`` (conda-meta record or site-packages folder)."""
    meta = prefix / "conda-meta"
    try:
        if any(n.startswith("ipykernel-") and n.endswith(".json") for n in os.listdir(meta)):
            return True
    except OSError:
        pass
    return any((sp / "ipykernel" / "__init__.py").is_file() for sp in site_packages(prefix))


def watch_paths(prefix: Path) -> list[Path]:
    """The folders whose mtimes change when packages are installed into or removed from ``prefix``."""
    return [prefix, prefix / "conda-meta", *site_packages(prefix)]


def conda_search_dirs(extra: list[str] | None = None) -> tuple[Path, list[Path]]:
    """``(environments.txt, [envs dirs])`` to look at, in priority order."""
    home = Path.home()
    envs_dirs = [Path(d).expanduser() for d in (extra or [])]
    envs_dirs.append(home / ".conda" / "envs")
    for var in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX"):
        if os.environ.get(var):
            envs_dirs.append(Path(os.environ[var]) / "envs")
    if os.environ.get("CONDA_EXE"):  # <root>/bin/conda or <root>/condabin/conda
        envs_dirs.append(Path(os.environ["CONDA_EXE"]).resolve().parent.parent / "envs")
    for name in ("miniforge3", "mambaforge", "miniconda3", "anaconda3", "micromamba"):
        envs_dirs.append(home / name / "envs")
    seen: list[Path] = []
    for d in envs_dirs:
        if d not in seen:
            seen.append(d)
    return home / ".conda" / "environments.txt", seen


def _conda_name(prefix: Path) -> tuple[str, str]:
    if (prefix / "envs").is_dir() and (prefix / "conda-meta").is_dir():
        return "conda-root-py", "root"
    label = prefix.name
    return f"conda-env-{clean_name(label)}-py", label


def conda_candidates(extra_dirs: list[str] | None = None) -> list[Path]:
    """Every conda prefix named in environments.txt or present in an envs dir, deduplicated."""
    env_txt, envs_dirs = conda_search_dirs(extra_dirs)
    prefixes: list[Path] = []
    try:
        for line in env_txt.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                prefixes.append(Path(line))
    except OSError:
        pass
    for d in envs_dirs:
        try:
            prefixes.extend(sorted(d / n for n in os.listdir(d)))
        except OSError:
            continue
    return list(dict.fromkeys(prefixes))


def venv_candidates(dirs: list[str]) -> list[Path]:
    """Every subfolder of ``dirs`` holding a ``pyvenv.cfg``."""
    out: list[Path] = []
    for d in dirs:
        base = Path(d).expanduser()
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        out.extend(base / n for n in names if (base / n / "pyvenv.cfg").is_file())
    return out


def check_env(prefix: Path, kind: str) -> FoundEnv | None:
    """A :class:`FoundEnv` when ``prefix`` has an interpreter and ipykernel, else ``None``.

    Args:
        kind: ``"conda"`` (named ``conda-env-NAME-py``) or ``"venv"`` (``venv-NAME-py``).
    """
    python = _python(prefix)
    if not python.exists() or not has_ipykernel(prefix):
        return None
    if kind == "conda":
        name, label = _conda_name(prefix)
    else:
        name, label = f"venv-{clean_name(prefix.name)}-py", prefix.name
    return FoundEnv(name, prefix, python, kind, label)


def scan_watch_list(extra_conda_dirs: list[str] | None, venv_dirs: list[str]) -> list[Path]:
    """The files and folders whose mtimes change when an env is added or removed."""
    env_txt, envs_dirs = conda_search_dirs(extra_conda_dirs)
    return [env_txt, *envs_dirs, *(Path(d).expanduser() for d in venv_dirs)]
