"""Which platforms a conda lock covers, and --strip-builds on every command that reads the spec.

environment.yml ``platforms:`` and ``[tool.conda-lock] platforms`` (conda-lock's conventions),
``kernelenv lock --platform`` overriding both; ``--strip-builds`` accepted by lock and rebuild
and remembered for the project. Real rattler solves against the local channel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.errors import EnvFileError
from kernelenv.parsers.condalock import read_conda_lock
from tests.conda.conftest import write_env

MM = "%d.%d" % sys.version_info[:2]


@pytest.fixture(autouse=True)
def _no_platform_env(monkeypatch):
    monkeypatch.delenv("KERNELENV_LOCK_PLATFORMS", raising=False)


def _project(root: Path, channel: Path, deps: list[str], platforms: list[str] | None = None, pip=None):
    write_env(root, channel, deps, pip, name="plat")
    if platforms is not None:
        with (root / "environment.yml").open("a") as f:
            f.write("platforms:\n" + "".join(f"  - {p}\n" for p in platforms))
    (project,) = api.detect(root)
    return project


def test_environment_yml_platforms_decide_what_is_locked(tmp_path, local_channel):
    project = _project(tmp_path, local_channel, [f"python={MM}", "hello-tool"], ["linux-64", "osx-arm64"])
    assert read_conda_lock(api.lock(project)).platforms == ["linux-64", "osx-arm64"]


def test_platform_option_overrides_the_file(tmp_path, local_channel):
    project = _project(tmp_path, local_channel, [f"python={MM}", "hello-tool"], ["linux-64", "osx-arm64"])
    assert read_conda_lock(api.lock(project, platforms=["linux-64"])).platforms == ["linux-64"]


def test_tool_conda_lock_platforms_in_pyproject(tmp_path, local_channel):
    project = _project(tmp_path, local_channel, [f"python={MM}", "hello-tool"])
    (tmp_path / "pyproject.toml").write_text('[tool.conda-lock]\nplatforms = ["linux-64", "win-64"]\n')
    (project,) = api.detect(tmp_path)
    assert read_conda_lock(api.lock(project)).platforms == ["linux-64", "win-64"]


def test_an_unknown_platform_names_the_file_and_line(tmp_path, local_channel):
    _project(tmp_path, local_channel, [f"python={MM}"], ["linux-64", "amiga-68k"])
    (project,) = api.detect(tmp_path)
    (err,) = project.errors  # detection reports it; lock refuses the project
    assert (err.code, err.line, err.column) == ("invalid-platform", 8, 5) and "amiga-68k" in err.message
    with pytest.raises(EnvFileError, match="amiga-68k"):
        api.lock(project)
    with pytest.raises(EnvFileError, match="--platform noarch: not a conda platform"):
        api.lock(_project(tmp_path / "ok", local_channel, [f"python={MM}"]), platforms=["noarch"])


def test_strip_builds_on_lock_is_remembered_for_the_next_lock(tmp_path, local_channel):
    """A foreign export (a build string only the exporting machine had): lock fails and names
    --strip-builds; lock --strip-builds succeeds; a later plain lock remembers it."""
    project = _project(tmp_path, local_channel, [f"python={MM}", "hello-conda=1.0=py_7"], ["linux-64"])
    with pytest.raises(EnvFileError, match="--strip-builds"):
        api.lock(project)
    assert read_conda_lock(api.lock(project, strip_builds=True)).platforms == ["linux-64"]
    (tmp_path / "conda-lock.yml").unlink()
    (project,) = api.detect(tmp_path)
    lock = read_conda_lock(api.lock(project))  # no flag: remembered from the previous run
    assert any(p.name == "hello-conda" and p.version == "1.0" for p in lock.packages)
    with pytest.raises(EnvFileError, match="--strip-builds"):
        api.lock(project, strip_builds=False)  # an explicit no wins
