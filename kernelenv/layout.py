"""Where a project's env, state and lock live on disk.

``<project>/.kernelenv/`` holds ``state.json``, the ``lock`` file that serialises
operations, and ``envs/<build-id>/`` (one finished env plus, during a build, the one
being built aside). The live env is a link the editors know: ``<project>/.venv`` for
venvs (the folder VS Code, uv and Poetry look for) and ``<project>/.conda`` for conda
prefixes (VS Code's workspace conda env). Switching envs replaces that link
atomically (``os.replace``), so a killed build never leaves a half-built live env.

Each pixi environment other than ``default`` is an env of its own, kept side by side with
the default one in ``<project>/.kernelenv/environments/<environment>/``: its own
``state.json``, ``envs/<build-id>/``, ``history/`` and live link ``.conda``. The default
environment (and every non-pixi project) keeps the paths above. The functions below take
that environment as ``environment`` (``None`` or ``"default"``: the project's own paths).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

#: PEP 503 name normalization: runs of ``-_.`` become one ``-``, lower-cased.
_PEP503 = re.compile(r"[-_.]+")

STATE_DIR = ".kernelenv"
#: folder of ``.kernelenv`` holding one folder per pixi environment other than ``default``
ENVIRONMENTS_DIR = "environments"
DEFAULT_ENVIRONMENT = "default"
#: pixi's rule for environment names (lowercase letters, digits, dashes); ``_`` tolerated
_ENVIRONMENT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def own_environment(environment: str | None) -> str | None:
    """The environment as a folder name, or ``None`` for the project's own paths.

    Args:
        environment: a pixi environment name (from pixi.toml or ``--environment``), ``None``
            or ``"default"``.

    Raises:
        UnsafePathError: the name is not a pixi environment name (``[a-z0-9][a-z0-9_-]*``,
            at most 64 characters), so it is never used as a path.
    """
    if environment is None or environment == DEFAULT_ENVIRONMENT:
        return None
    if not isinstance(environment, str) or not _ENVIRONMENT_NAME.fullmatch(environment):
        from .errors import UnsafePathError

        raise UnsafePathError(f"{environment!r} is not a pixi environment name (lowercase letters, digits "
                              "and dashes); kernelenv does not use it as a folder name.")
    return environment


def environment_dir(root: Path, environment: str | None = None) -> Path:
    """Where an environment's state, builds and history live: ``<root>/.kernelenv`` for the
    default one, ``<root>/.kernelenv/environments/<environment>`` for another pixi one.

    Raises:
        UnsafePathError: see :func:`own_environment`.
    """
    own = own_environment(environment)
    return state_dir(root) / ENVIRONMENTS_DIR / own if own else state_dir(root)


def state_dir(root: Path) -> Path:
    """``<root>/.kernelenv``."""
    return root / STATE_DIR


def state_file(root: Path, environment: str | None = None) -> Path:
    """``<root>/.kernelenv/state.json`` (another pixi environment's: in its
    :func:`environment_dir`)."""
    return environment_dir(root, environment) / "state.json"


def envs_dir(root: Path, environment: str | None = None) -> Path:
    """``<root>/.kernelenv/envs``: real env folders, one per build (another pixi
    environment's: in its :func:`environment_dir`)."""
    return environment_dir(root, environment) / "envs"


def live_link(root: Path, env_kind: str, environment: str | None = None) -> Path:
    """The live env link: ``<root>/.venv`` (venv) or ``<root>/.conda`` (conda); for a pixi
    environment other than ``default``, ``.conda`` in its :func:`environment_dir`."""
    name = ".venv" if env_kind == "venv" else ".conda"
    return environment_dir(root, environment) / name if own_environment(environment) else root / name


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


def dist_info_name(entry: str) -> tuple[str, str] | None:
    """``(normalized name, version)`` from a ``site-packages`` entry named
    ``<name>-<version>.dist-info`` (the wheel spec's escaped naming, PEP 427/PEP 491, where
    the name holds no ``-``) or a legacy ``<name>-<version>[-pyX.Y].egg-info``; ``None`` for
    any other entry. Names are PEP 503 normalized."""
    for suffix in (".dist-info", ".egg-info"):
        if entry.endswith(suffix):
            parts = entry[: -len(suffix)].split("-")
            if len(parts) >= 2 and parts[0] and parts[1]:
                return _PEP503.sub("-", parts[0]).lower(), parts[1]
    return None


def python_dists(prefix: Path) -> dict[str, str]:
    """``{normalized name: version}`` of the Python distributions installed in ``prefix``.

    Read from the names of the ``*.dist-info`` (and legacy ``*.egg-info``) folders of its
    ``site-packages`` (:func:`dist_info_name`): one directory listing, no file reads, runs
    nothing (importlib.metadata read every METADATA file: ~100x slower for 40 packages).
    """
    out: dict[str, str] = {}
    for sp in site_packages(prefix):
        try:
            with os.scandir(sp) as it:
                names = [e.name for e in it]
        except OSError:
            continue
        for entry in names:
            found = dist_info_name(entry)
            if found:
                out[found[0]] = found[1]
    return out


def check_state_dir(root: Path, environment: str | None = None) -> None:
    """Refuse a ``.kernelenv/`` that would lead writes outside the project.

    A cloned repository may hold a ``.kernelenv`` folder: kernelenv writes into it only when
    neither it nor any entry directly inside it (``state.json``, ``lock``, ``envs`` ...) is
    a symbolic link, and ``.kernelenv`` and ``envs`` are folders where they exist.

    Raises:
        UnsafePathError: naming the offending path.
    """
    from .errors import UnsafePathError

    d = state_dir(root)
    entries = [d]
    if d.is_dir() and not d.is_symlink():
        entries += sorted(d.iterdir())
    for p in entries:
        if p.is_symlink() or _is_junction(p):
            raise UnsafePathError(
                f"{p} is a symbolic link; kernelenv writes only inside the project's own "
                f"{STATE_DIR}/ folder. Delete it (it is not something kernelenv made) and retry.")
    for p in (d, envs_dir(root)):
        if p.exists() and not p.is_dir():
            raise UnsafePathError(f"{p} is not a folder; delete it and retry.")
    if own_environment(environment):
        _check_environment_dir(root, environment)


def _check_environment_dir(root: Path, environment: str | None) -> None:
    """:func:`check_state_dir` for a pixi environment's own folder: ``environments``, the
    environment's folder and the entries in it are no links (but the live link kernelenv
    made) and are folders where they must be."""
    from .errors import UnsafePathError

    top, d = state_dir(root) / ENVIRONMENTS_DIR, environment_dir(root, environment)
    entries = [top, d]
    if d.is_dir() and not d.is_symlink() and not top.is_symlink():
        entries += sorted(d.iterdir())
    link = live_link(root, "conda", environment)
    for p in entries:
        if (p.is_symlink() or _is_junction(p)) and not (p == link and is_our_link(p, root, environment)):
            raise UnsafePathError(
                f"{p} is a symbolic link; kernelenv writes only inside the project's own "
                f"{STATE_DIR}/ folder. Delete it (it is not something kernelenv made) and retry.")
    for p in (top, d, envs_dir(root, environment)):
        if p.exists() and not p.is_dir():
            raise UnsafePathError(f"{p} is not a folder; delete it and retry.")


def ensure_state_dir(root: Path, environment: str | None = None) -> Path:
    """Create ``.kernelenv/`` with a ``.gitignore`` that ignores all of it (and a pixi
    environment's :func:`environment_dir` when ``environment`` is another one).

    Raises:
        UnsafePathError: see :func:`check_state_dir`.
    """
    check_state_dir(root, environment)
    d = state_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    gi = d / ".gitignore"
    if not gi.exists():
        gi.write_text("# created by kernelenv\n*\n", encoding="utf-8")
    if own_environment(environment):
        environment_dir(root, environment).mkdir(parents=True, exist_ok=True)
    return d


def is_our_link(link: Path, root: Path, environment: str | None = None) -> bool:
    """Whether ``link`` is a link kernelenv made (into ``.kernelenv/envs``, or the pixi
    ``environment``'s own ``envs``)."""
    if not link.is_symlink() and not _is_junction(link):
        return False
    target = Path(os.readlink(link))
    if not target.is_absolute():
        target = link.parent / target
    try:
        Path(os.path.normpath(target)).relative_to(envs_dir(root, environment))
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
    current = link_target(link)
    ours = is_our_link(link, link.parent) or (current is not None and current.parent == target.parent)
    if (link.exists() or link.is_symlink()) and not ours:
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
