"""`kernelenv export` of a conda project locked on the local channel (conda-lock.yml), each
output read back by its reader: the project's own @EXPLICIT and environment.yml readers,
dockerfile-parse for the Dockerfile. The lock is solved with rattler; nothing is built."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.parsers.conda import read_environment_yml
from kernelenv.parsers.condalock import read_conda_lock, read_explicit
from tests.conda.conftest import PIP_PACKAGE, write_env
from tests.engine.conftest import run_cli

MM = "%d.%d" % sys.version_info[:2]


@pytest.fixture(scope="module")
def conda_locked(tmp_path_factory, local_channel: Path) -> Path:
    root = tmp_path_factory.mktemp("conda-export") / "condademo"
    write_env(root, local_channel, [f"python={MM}", "hello-conda<2", "hello-tool"], [PIP_PACKAGE],
              extra_channels=["nodefaults"])
    [project] = api.detect(root)
    api.lock(project)
    return root


def test_conda_explicit_lists_the_lock_with_hashes(conda_locked: Path, tmp_path: Path) -> None:
    out = tmp_path / "conda-linux-64.lock"
    run_cli("export", str(conda_locked), "-f", "conda-explicit", "--platform", "linux-64", "-o", str(out))
    explicit = read_explicit(out)
    lock = read_conda_lock(conda_locked / "conda-lock.yml")
    want = {(p.url, p.md5) for p in lock.for_platform("linux-64", "conda")}
    assert explicit.platform == "linux-64"
    assert {(p.url, p.md5) for p in explicit.packages} == want
    assert all(p.md5 for p in explicit.packages)
    assert "# pip packages not in this file" in out.read_text() and "iniconfig==2.1.0" in out.read_text()


def test_environment_yml_pins_name_version_build(conda_locked: Path, tmp_path: Path) -> None:
    out = tmp_path / "environment.yml"
    run_cli("export", str(conda_locked), "-f", "environment.yml", "-o", str(out))
    spec = read_environment_yml(out)
    lock = read_conda_lock(conda_locked / "conda-lock.yml")
    assert "hello-conda=1.0=py_0" in spec.dependencies
    assert len(spec.dependencies) == len(lock.for_platform("linux-64", "conda"))
    assert spec.pip == [f"{p.name}=={p.version}" for p in lock.for_platform("linux-64", "pip")]
    assert PIP_PACKAGE in spec.pip


def test_conda_dockerfile_uses_micromamba_on_the_lock(conda_locked: Path, tmp_path: Path) -> None:
    from dockerfile_parse import DockerfileParser

    out = tmp_path / "Dockerfile"
    run_cli("export", str(conda_locked), "-f", "dockerfile", "-o", str(out))
    dfp = DockerfileParser(path=str(out))
    assert dfp.baseimage.startswith("mambaorg/micromamba:")
    [run] = [i["value"] for i in dfp.structure if i["instruction"] == "RUN"]
    assert "micromamba create --yes --prefix /opt/env --file /project/conda-lock.yml" in run
    proc = run_cli("export", str(conda_locked), "-f", "requirements", check=False)
    assert proc.returncode == 1 and "a conda env; export it as environment.yml or conda-explicit" in proc.stderr


def test_conda_archive_rebuilds_offline_from_its_local_channel(conda_locked: Path, tmp_path: Path) -> None:
    """The archive's channel is indexed with rattler; create --from installs from it with the
    source channel gone and an empty uv cache."""
    from kernelenv.conda_meta import conda_records
    from kernelenv.layout import python_dists

    out = tmp_path / "condademo.tar.gz"
    run_cli("export", str(conda_locked), "-f", "archive", "-o", str(out))
    channel = Path(read_conda_lock(conda_locked / "conda-lock.yml").for_platform("linux-64", "conda")[0]
                   .url.removeprefix("file://")).parents[1]
    hidden = channel.with_name(channel.name + "-hidden")
    channel.rename(hidden)  # the source channel is unreachable during the offline build
    try:
        dest = tmp_path / "rebuilt"
        run_cli("create", "--from", str(out), str(dest),
                env={"UV_CACHE_DIR": str(tmp_path / "empty-uv"), "UV_OFFLINE": "1"})
    finally:
        hidden.rename(channel)
    lock = read_conda_lock(conda_locked / "conda-lock.yml")
    want = {(p.name, p.version) for p in lock.for_platform("linux-64", "conda")}
    assert {(r.name, r.version) for r in conda_records(dest / ".conda")} == want
    dists = python_dists(dest / ".conda")
    assert all(dists.get(p.name.lower().replace("_", "-")) == p.version
               for p in lock.for_platform("linux-64", "pip"))
    assert (dest / ".kernelenv/archive/channel/noarch/repodata.json").is_file()
