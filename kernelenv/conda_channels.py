"""Conda channels and platforms: what an env file's ``channels:`` means to the solver.

Rules (conda's, see https://docs.conda.io/projects/conda/en/latest/user-guide/concepts/channels.html):

* ``nodefaults`` is a pseudo-channel that only removes ``defaults``; it is dropped.
* ``defaults`` means Anaconda's default channels (``pkgs/main``, ``pkgs/r``, and
  ``pkgs/msys2`` on Windows) on ``https://repo.anaconda.com``.
* Other names are resolved against the channel alias ``https://conda.anaconda.org/``;
  URLs (``https://``, ``file://``) are used as they are.
* A file with no ``channels:`` uses the default channel list: ``KERNELENV_CONDA_CHANNELS``
  (comma or whitespace separated), else ``conda-forge``.

Also the platforms kernelenv locks for and the virtual packages assumed for each
(the same minimums conda-lock assumes for foreign platforms).
"""

from __future__ import annotations

import os
import re

DEFAULTS = ["https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"]
DEFAULTS_WIN = DEFAULTS + ["https://repo.anaconda.com/pkgs/msys2"]
#: Platforms ``kernelenv lock`` solves for unless ``KERNELENV_LOCK_PLATFORMS`` says otherwise.
LOCK_PLATFORMS = ["linux-64", "osx-64", "osx-arm64", "win-64"]

#: Virtual packages assumed when solving for a platform other than this machine's
#: (``(name, version, build)``), like conda-lock's defaults.
FOREIGN_VIRTUAL_PACKAGES: dict[str, list[tuple[str, str, str]]] = {
    "linux": [("__unix", "0", "0"), ("__linux", "5.10", "0"), ("__glibc", "2.17", "0")],
    "osx-64": [("__unix", "0", "0"), ("__osx", "10.15", "0")],
    "osx-arm64": [("__unix", "0", "0"), ("__osx", "11.0", "0")],
    "win": [("__win", "0", "0")],
}

#: uv's ``--python-platform`` for each conda subdir (for locking ``pip:`` entries).
UV_PLATFORMS = {
    "linux-64": "x86_64-unknown-linux-gnu",
    "linux-aarch64": "aarch64-unknown-linux-gnu",
    "osx-64": "x86_64-apple-darwin",
    "osx-arm64": "aarch64-apple-darwin",
    "win-64": "x86_64-pc-windows-msvc",
}


def default_channels() -> list[str]:
    """The channels used when an env file has none: ``KERNELENV_CONDA_CHANNELS`` or ``["conda-forge"]``."""
    raw = os.environ.get("KERNELENV_CONDA_CHANNELS", "").strip()
    return [c for c in re.split(r"[,\s]+", raw) if c] or ["conda-forge"]


def resolve_channels(channels: list[str], platform: str | None = None) -> list[str]:
    """The channels to solve with, in priority order.

    Args:
        channels: as written in the env file (may be empty, may hold ``nodefaults``
            and ``defaults``).
        platform: target subdir (``win-*`` adds ``pkgs/msys2`` to ``defaults``).

    Returns:
        Channel names or URLs for :func:`rattler.solve`, duplicates removed.
    """
    written = [c for c in channels if c != "nodefaults"] or default_channels()
    out: list[str] = []
    for c in written:
        expanded = (DEFAULTS_WIN if (platform or "").startswith("win") else DEFAULTS) if c == "defaults" else [c]
        for e in expanded:
            if e not in out:
                out.append(e)
    return out


def channel_url(channel: str) -> str:
    """The base URL of ``channel`` (a name or URL), with a trailing slash."""
    from rattler import Channel

    return str(Channel(channel).base_url)


def is_platform(name: str) -> bool:
    """Whether ``name`` is a conda platform a lock can cover (a known subdir, not ``noarch``;
    rattler's list of subdirs)."""
    from rattler import Subdir

    if name == "noarch":
        return False
    try:
        Subdir(name)
    except Exception:  # rattler's ParseSubdirError
        return False
    return True


def lock_platforms() -> list[str]:
    """Platforms to lock for: ``KERNELENV_LOCK_PLATFORMS`` (comma/space separated) or :data:`LOCK_PLATFORMS`."""
    raw = os.environ.get("KERNELENV_LOCK_PLATFORMS", "").strip()
    return [p for p in re.split(r"[,\s]+", raw) if p] or list(LOCK_PLATFORMS)


def current_platform() -> str:
    """This machine's conda subdir (``linux-64``, ``osx-arm64`` ...)."""
    from rattler import Subdir

    return str(Subdir.current())


def virtual_packages(platform: str, *, for_lock: bool = False) -> list:
    """The virtual packages to solve ``platform`` with.

    This machine's detected ones when building for the current platform; the
    conda-lock-like minimums (:data:`FOREIGN_VIRTUAL_PACKAGES`) for other platforms
    and for every platform when ``for_lock`` (so a lock does not depend on the
    machine that wrote it).
    """
    import rattler
    from rattler import GenericVirtualPackage, PackageName, Version

    if platform == current_platform() and not for_lock:
        return [vp.into_generic() for vp in rattler.VirtualPackage.detect()]
    key = platform if platform in FOREIGN_VIRTUAL_PACKAGES else platform.split("-")[0]
    return [GenericVirtualPackage(PackageName(n), Version(v), rattler.BuildString(b))
            for n, v, b in FOREIGN_VIRTUAL_PACKAGES.get(key, [])]


__all__ = ["is_platform", "resolve_channels", "default_channels", "channel_url", "lock_platforms", "current_platform",
           "virtual_packages", "UV_PLATFORMS", "LOCK_PLATFORMS"]
