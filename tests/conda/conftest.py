"""Fixtures for the conda backend: a local file:// channel and conda projects that use it."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.conda.localchannel import build_channel

#: A real, small, pure-Python PyPI package the ``pip:`` sections install.
PIP_PACKAGE = "iniconfig==2.1.0"


@pytest.fixture(scope="session")
def local_channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A conda channel on disk (see :mod:`tests.conda.localchannel`), built and indexed once."""
    return build_channel(tmp_path_factory.mktemp("channel") / "local")


def write_env(root: Path, channel: Path | str, deps: list[str], pip: list[str] | None = None,
              name: str = "localdemo", extra_channels: list[str] | None = None) -> Path:
    """Write ``root/environment.yml`` using ``channel`` (a path or URL) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    url = channel.as_uri() if isinstance(channel, Path) else channel
    lines = [f"name: {name}", "channels:", f"  - {url}", *[f"  - {c}" for c in extra_channels or []],
             "dependencies:", *[f"  - {d}" for d in deps]]
    if pip:
        lines += ["  - pip:", *[f"    - {p}" for p in pip]]
    path = root / "environment.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _reachable(url: str, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            r.read(1)
        return True
    except Exception:
        return False


def conda_forge_reachable(timeout: float = 3.0) -> bool:
    """Whether conda-forge's repodata answers within ``timeout`` seconds."""
    return _reachable("https://conda.anaconda.org/conda-forge/noarch/repodata.json", timeout)


def anaconda_reachable(timeout: float = 3.0) -> bool:
    """Whether Anaconda's ``defaults`` (repo.anaconda.com) answers within ``timeout`` seconds."""
    return _reachable("https://repo.anaconda.com/pkgs/main/noarch/current_repodata.json", timeout)


#: For tests that check what a user sees when the public channels are unreachable (as here):
#: where they are reachable these would download whole real environments instead.
offline_only = pytest.mark.skipif(conda_forge_reachable() or anaconda_reachable(),
                                  reason="checks the offline errors; the public conda channels are reachable here")
