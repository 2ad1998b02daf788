"""Find existing conda envs and virtualenvs on this machine, by file reads only (no conda subprocess).

Where conda keeps envs (conda's documented search order, "Specify environment directories
(envs_dirs)" in conda's configuration docs), highest priority first:

1. ``CONDA_ENVS_PATH`` (or ``CONDA_ENVS_DIRS``), a ``os.pathsep``-separated list of folders;
2. ``envs_dirs`` in the ``.condarc`` files (:func:`condarc_files`; read with PyYAML);
3. ``<root prefix>/envs`` of the conda installs kernelenv knows (``CONDA_ROOT``,
   ``MAMBA_ROOT_PREFIX``, ``CONDA_EXE``'s install, ``~/miniforge3`` ...), then ``~/.conda/envs``.

Every env conda creates is also recorded in ``~/.conda/environments.txt`` (one prefix a
line). A prefix is a conda env when it has ``conda-meta/``; a virtualenv (in ``venv_dirs``)
when it has ``pyvenv.cfg``.

Env names follow nb_conda_kernels (``manager.py``, ``_all_envs``): a base install is
``root``; an env is its folder's name, prefixed with ``<parent>-`` when it lives in an
``envs`` folder other than the first conda install's or ``~/.conda/envs``, and suffixed ``-2``, ``-3`` ... when
still taken. ``env_filter`` (a regex) drops envs whose *path* it matches (``re.search``).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

#: a .condarc larger than this is ignored (it is a small settings file)
MAX_CONDARC_BYTES = 1 << 20
#: an environments.txt larger than this is read up to here
MAX_ENVIRONMENTS_TXT_BYTES = 4 << 20


@dataclass(frozen=True)
class FoundEnv:
    """An existing env on this machine.

    Args:
        prefix: the env folder (as found: a symlinked name stays the name).
        kind: ``"conda"`` or ``"venv"``.
        name: its name for kernel names (``root``, ``myenv``, ``miniforge3-myenv`` ...; see module doc).
    """

    prefix: Path
    kind: str
    name: str


def _split_paths(value: str | None) -> list[Path]:
    return [Path(p).expanduser() for p in (value or "").split(os.pathsep) if p.strip()]


def conda_roots() -> list[Path]:
    """Root prefixes of the conda installs kernelenv looks at, first one first."""
    home = Path.home()
    roots: list[Path] = []
    for var in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX"):
        if os.environ.get(var):
            roots.append(Path(os.environ[var]).expanduser())
    if os.environ.get("CONDA_EXE"):  # <root>/bin/conda or <root>/condabin/conda
        roots.append(Path(os.environ["CONDA_EXE"]).resolve().parent.parent)
    for name in ("miniforge3", "mambaforge", "miniconda3", "anaconda3", "micromamba"):
        roots.append(home / name)
    return list(dict.fromkeys(roots))


def condarc_files() -> list[Path]:
    """The ``.condarc`` files conda reads, highest priority first.

    conda's order (lowest first) is ``/etc/conda/.condarc``, ``/etc/conda/condarc``,
    ``/var/lib/conda/.condarc``, ``<root>/.condarc``, ``$XDG_CONFIG_HOME/conda/.condarc``,
    ``~/.config/conda/.condarc``, ``~/.conda/.condarc``, ``~/.condarc``, ``$CONDA_PREFIX/.condarc``,
    ``$CONDARC``; list settings from later files come first.
    """
    home = Path.home()
    low_first: list[Path] = [Path("/etc/conda/.condarc"), Path("/etc/conda/condarc"),
                             Path("/var/lib/conda/.condarc")]
    low_first += [r / ".condarc" for r in reversed(conda_roots())]
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        low_first.append(Path(xdg) / "conda" / ".condarc")
    low_first += [home / ".config" / "conda" / ".condarc", home / ".conda" / ".condarc", home / ".condarc"]
    if os.environ.get("CONDA_PREFIX"):
        low_first.append(Path(os.environ["CONDA_PREFIX"]) / ".condarc")
    if os.environ.get("CONDARC"):
        low_first.append(Path(os.environ["CONDARC"]).expanduser())
    return list(dict.fromkeys(reversed(low_first)))


def read_condarc_envs_dirs(path: Path) -> list[Path]:
    """The ``envs_dirs`` list of one ``.condarc`` (``[]`` when absent, unreadable, too big or
    not a list of strings: a broken settings file never stops the listing).

    ``~`` and ``$VAR`` are expanded as conda does.
    """
    import yaml

    try:
        if path.stat().st_size > MAX_CONDARC_BYTES:
            return []
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, yaml.YAMLError, RecursionError, ValueError):
        return []
    dirs = data.get("envs_dirs") if isinstance(data, dict) else None
    if not isinstance(dirs, list):
        return []
    return [Path(os.path.expandvars(d)).expanduser() for d in dirs if isinstance(d, str) and d.strip()]


def conda_envs_dirs(extra: Iterable[str] = ()) -> list[Path]:
    """Every folder holding conda envs, in conda's priority order (module doc), ``extra``
    (a setting) first, deduplicated."""
    dirs = [Path(d).expanduser() for d in extra]
    dirs += _split_paths(os.environ.get("CONDA_ENVS_PATH") or os.environ.get("CONDA_ENVS_DIRS"))
    for rc in condarc_files():
        dirs += read_condarc_envs_dirs(rc)
    dirs += [r / "envs" for r in conda_roots()]
    dirs.append(Path.home() / ".conda" / "envs")
    return list(dict.fromkeys(dirs))


def environments_txt() -> Path:
    """``~/.conda/environments.txt``, where conda records every env it creates."""
    return Path.home() / ".conda" / "environments.txt"


def _listed_prefixes() -> list[Path]:
    try:
        with environments_txt().open("r", encoding="utf-8", errors="replace") as f:
            text = f.read(MAX_ENVIRONMENTS_TXT_BYTES)
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and os.path.isabs(line):
            out.append(Path(line))
    return out


def is_conda_prefix(prefix: Path) -> bool:
    """Whether ``prefix`` is a conda env (has ``conda-meta/``)."""
    return (prefix / "conda-meta").is_dir()


def conda_candidates(extra_dirs: Iterable[str] = ()) -> list[Path]:
    """Every conda prefix: the conda roots, environments.txt's entries, each envs dir's
    subfolders that are conda envs or hold an interpreter; deduplicated, order kept (roots first)."""
    prefixes: list[Path] = [r for r in conda_roots() if is_conda_prefix(r)]
    prefixes += _listed_prefixes()
    for d in conda_envs_dirs(extra_dirs):
        try:
            prefixes.extend(sorted(d / n for n in os.listdir(d)))
        except OSError:
            continue
    return [p for p in dict.fromkeys(prefixes) if is_conda_prefix(p) or python_of(p, "conda").exists()]


def default_venv_dirs() -> list[str]:
    """Where virtualenvs live by default: ``$WORKON_HOME`` (virtualenvwrapper) and ``~/.virtualenvs``."""
    dirs = [str(Path.home() / ".virtualenvs")]
    if os.environ.get("WORKON_HOME"):
        dirs.insert(0, os.environ["WORKON_HOME"])
    return dirs


def venv_candidates(dirs: Iterable[str]) -> list[Path]:
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


def compile_filter(env_filter: str | None) -> re.Pattern[str] | None:
    """The compiled ``env_filter`` (``None`` for no filter).

    Raises:
        ValueError: not a valid regular expression (the message names it).
    """
    if not env_filter:
        return None
    try:
        return re.compile(env_filter)
    except re.error as e:
        raise ValueError(f"env_filter {env_filter!r} is not a valid regular expression: {e}") from None


def name_envs(prefixes: Iterable[Path], *, first_root: Path | None) -> list[FoundEnv]:
    """Name conda prefixes as nb_conda_kernels does (module doc).

    Args:
        prefixes: conda prefixes in priority order.
        first_root: the first conda install's root (its envs, and those in ``~/.conda/envs``,
            keep their bare names).
    """
    names: dict[str, Path] = {}
    plain = {Path.home() / ".conda" / "envs", *([first_root / "envs"] if first_root else [])}
    for prefix in prefixes:
        if (prefix / "envs").is_dir() and is_conda_prefix(prefix) and "root" not in names:
            name = "root"
        else:
            parent, name = prefix.parent, prefix.name
            if parent.name == "envs" and (parent not in plain or name in names):
                name = f"{parent.parent.name}-{name}"
        if name in names:
            base = name
            for count in range(2, len(names) + 3):
                name = f"{base}-{count}"
                if name not in names:
                    break
        names[name] = prefix
    return [FoundEnv(prefix, "conda", name) for name, prefix in names.items()]


def discover(*, conda_dirs: Iterable[str] = (), venv_dirs: Iterable[str] = (),
             env_filter: str | None = None, conda: bool = True) -> list[FoundEnv]:
    """Every conda env and virtualenv on this machine, named, ``env_filter`` applied.

    Args:
        conda_dirs: extra folders holding conda envs (searched first).
        venv_dirs: folders holding virtualenvs (one per subfolder).
        env_filter: a regex; envs whose path it matches (``re.search``) are left out.
        conda: look for conda envs at all.

    Raises:
        ValueError: ``env_filter`` is not a valid regex.
    """
    rx = compile_filter(env_filter)
    found: list[FoundEnv] = []
    if conda:
        roots = [r for r in conda_roots() if is_conda_prefix(r)]
        found += name_envs(conda_candidates(conda_dirs), first_root=roots[0] if roots else None)
    found += [FoundEnv(p, "venv", p.name) for p in venv_candidates(venv_dirs)]
    if rx is not None:
        found = [e for e in found if not rx.search(str(e.prefix))]
    return found


def watch_list(conda_dirs: Iterable[str] = (), venv_dirs: Iterable[str] = ()) -> list[Path]:
    """The files and folders whose mtimes change when an env is added or removed (a cache key)."""
    return [environments_txt(), *condarc_files(), *conda_envs_dirs(conda_dirs), *conda_roots(),
            *(Path(d).expanduser() for d in venv_dirs)]


def python_of(prefix: Path, kind: str) -> Path:
    """The env's interpreter path (it may not exist)."""
    if sys.platform == "win32":
        return prefix / "python.exe" if kind == "conda" else prefix / "Scripts" / "python.exe"
    return prefix / "bin" / "python"
