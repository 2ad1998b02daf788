"""Where a project's env, state and lock live on disk.

``<project>/.kernelenv/`` holds ``state.json``, the ``lock`` file that serialises
operations, and ``envs/<build-id>/`` (one finished env plus, during a build, the one
being built aside). The live env is a link the editors know: ``<project>/.venv`` for
venvs (the folder VS Code, uv and Poetry look for) and ``<project>/.conda`` for conda
prefixes (VS Code's workspace conda env). Switching envs replaces that link
atomically (``os.replace``), so a killed build never leaves a half-built live env.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STATE_DIR = ".kernelenv"


def state_dir(root: Path) -> Path:
    """``<root>/.kernelenv``."""
    return root / STATE_DIR


def state_file(root: Path) -> Path:
    """``<root>/.kernelenv/state.json``."""
    return state_dir(root) / "state.json"


def envs_dir(root: Path) -> Path:
    """``<root>/.kernelenv/envs``: real env folders, one per build."""
    return state_dir(root) / "envs"


def live_link(root: Path, env_kind: str) -> Path:
    """The live env link: ``<root>/.venv`` (venv) or ``<root>/.conda`` (conda)."""
    return root / (".venv" if env_kind == "venv" else ".conda")


def python_in(prefix: Path, env_kind: str) -> Path:
    """The interpreter of an env folder (venv or conda prefix), per platform."""
    if sys.platform == "win32":
        return prefix / ("Scripts/python.exe" if env_kind == "venv" else "python.exe")
    return prefix / "bin" / "python"


def site_packages(prefix: Path) -> list[Path]:
    """The env's ``site-packages`` folders: ``lib/pythonX.Y/site-packages`` (POSIX venvs and
    conda prefixes) and ``Lib/site-packages`` (Windows), those that exist."""
    found = sorted(prefix.glob("lib/python*/site-packages"))
    win = prefix / "Lib" / "site-packages"
    return found + ([win] if win.is_dir() else [])


def python_dists(prefix: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the Python distributions installed in ``prefix``.

    Read from the ``*.dist-info`` metadata (PEP 376/PEP 566) with importlib.metadata; runs
    nothing.
    """
    import importlib.metadata

    from packaging.utils import canonicalize_name

    out: dict[str, str] = {}
    for sp in site_packages(prefix):
        for dist in importlib.metadata.distributions(path=[str(sp)]):
            name = dist.metadata.get("Name")
            if name:
                out[canonicalize_name(name)] = dist.version
    return out


def ensure_state_dir(root: Path) -> Path:
    """Create ``.kernelenv/`` with a ``.gitignore`` that ignores all of it."""
    d = state_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    gi = d / ".gitignore"
    if not gi.exists():
        gi.write_text("# created by kernelenv\n*\n", encoding="utf-8")
    return d


def is_our_link(link: Path, root: Path) -> bool:
    """Whether ``link`` is a link kernelenv made (into ``.kernelenv/envs``)."""
    if not link.is_symlink() and not _is_junction(link):
        return False
    target = Path(os.readlink(link))
    if not target.is_absolute():
        target = link.parent / target
    try:
        Path(os.path.normpath(target)).relative_to(envs_dir(root))
        return True
    except ValueError:
        return False


def link_target(link: Path) -> Path | None:
    """The env folder a live link points at (absolute), or ``None``."""
    if not (link.is_symlink() or _is_junction(link)):
        return None
    t = Path(os.readlink(link))
    return Path(os.path.normpath(link.parent / t)) if not t.is_absolute() else t


def switch_link(link: Path, target: Path) -> None:
    """Atomically point ``link`` at ``target`` (a relative symlink; a junction on Windows).

    Raises:
        FileExistsError: ``link`` exists and is not a kernelenv link (a user's own
            ``.venv``); kernelenv never deletes it.
    """
    if (link.exists() or link.is_symlink()) and not is_our_link(link, link.parent):
        raise FileExistsError(
            f"{link} exists and was not made by kernelenv; move it away (kernelenv "
            "never deletes an env it did not build) and run the command again."
        )
    tmp = link.with_name(link.name + ".kernelenv-tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import _winapi

        _winapi.CreateJunction(str(target), str(tmp))
    else:
        os.symlink(os.path.relpath(target, link.parent), tmp, target_is_directory=True)
    os.replace(tmp, link)


def _is_junction(p: Path) -> bool:
    return sys.platform == "win32" and hasattr(os.path, "isjunction") and os.path.isjunction(p)
