"""pixi projects without pixi: create from pixi.toml, lock to pixi.lock with rattler, rebuild from it.

Uses the local channel of :mod:`tests.conda.localchannel` (no conda channel is
reachable here; see its docstring). ``pixi.lock`` is written by rattler's
``LockFile``, the library pixi itself reads and writes it with.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.conda_meta import conda_records, pip_dists
from kernelenv.conda_request import read_request
from kernelenv.errors import EnvFileError
from kernelenv.model import Status
from kernelenv.parsers.pixi import read_pixi_lock
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

MM = "%d.%d" % sys.version_info[:2]


def _manifest(channel: Path) -> str:
    return (f'[workspace]\nname = "pixidemo"\nchannels = ["{channel.as_uri()}"]\n'
            'platforms = ["linux-64", "win-64"]\n\n'
            f'[dependencies]\npython = "{MM}.*"\nhello-conda = "<2"\nhello-shell = "*"\n\n'
            '[pypi-dependencies]\niniconfig = "==2.1.0"\n\n'
            '[feature.new.dependencies]\nhello-conda = ">=2"\n\n'
            '[environments]\nnew = ["new"]\n')


@pytest.fixture(scope="session")
def pixi_project(tmp_path_factory, local_channel: Path) -> Path:
    root = tmp_path_factory.mktemp("pixi") / "pixidemo"
    root.mkdir()
    (root / "pixi.toml").write_text(_manifest(local_channel), encoding="utf-8")
    [project] = api.detect(root)
    api.create(project)
    return root


def test_pixi_toml_env_runs_a_kernel(pixi_project: Path) -> None:
    [project] = api.detect(pixi_project)
    assert project.backend.value == "rattler" and project.spec == pixi_project / "pixi.toml"
    assert api.status(project).status is Status.READY
    out = run_in_kernel(project.kernel_name, "import sys, os, hello_conda, iniconfig\n"
                        "print(os.path.realpath(sys.prefix), hello_conda.VERSION)").split()
    assert out == [os.path.realpath(pixi_project / ".conda"), "1.0"]


def test_pixi_lock_and_rebuild(pixi_project: Path) -> None:
    [project] = api.detect(pixi_project)
    path = api.lock(project)
    assert path == pixi_project / "pixi.lock"
    lock = read_pixi_lock(path)
    assert lock.platforms == ["linux-64", "win-64"]
    assert set(lock.environments) == {"default", "new"}  # one pixi.lock holds every environment
    new_conda = {p.name: p.version for p in lock.environments["new"]["linux-64"] if p.manager == "conda"}
    assert new_conda["hello-conda"] == "2.0"
    linux = lock.environments["default"]["linux-64"]
    conda = {p.name: p for p in linux if p.manager == "conda"}
    assert set(conda) == {"python", "hello-conda", "hello-dep", "hello-shell"}
    assert conda["hello-shell"].url.endswith("unix_0.tar.bz2")
    assert lock.environments["default"]["win-64"][0].platform == "win-64"
    win_shell = next(p for p in lock.environments["default"]["win-64"] if p.name == "hello-shell")
    assert win_shell.url.endswith("win_0.tar.bz2")
    pypi = {p.name: p.version for p in linux if p.manager == "pip"}
    assert pypi["iniconfig"] == "2.1.0" and "ipykernel" in pypi

    [project] = api.detect(pixi_project)
    assert project.lock == path
    api.rebuild(project)
    prefix = pixi_project / ".conda"
    assert {(r.name, r.version) for r in conda_records(prefix)} == {(n, p.version) for n, p in conda.items()}
    dists = pip_dists(prefix)
    assert {k: dists.get(k.lower()) for k in pypi} == pypi
    assert api.status(project).status is Status.READY


def test_pixi_environment_selection(pixi_project: Path) -> None:
    [project] = api.detect(pixi_project)
    new = dataclasses.replace(project, environment="new")
    req = read_request(new)
    assert "hello-conda >=2" in req.specs and "hello-shell" in req.specs
    assert req.pip == ["iniconfig==2.1.0"]
    with pytest.raises(EnvFileError, match="no pixi environment 'docs'; known: default, new"):
        read_request(dataclasses.replace(project, environment="docs"))


def test_locking_another_environment_keeps_default_and_names_its_kernel(pixi_project: Path) -> None:
    """`kernelenv lock --environment new` rewrites pixi.lock with every environment: the default
    one still rebuilds from it afterwards; the new environment's kernel reads `(pixidemo: new)`."""
    from kernelenv.kernels import display_name

    [project] = api.detect(pixi_project)
    new = dataclasses.replace(project, environment="new")
    lock = read_pixi_lock(api.lock(new))
    assert set(lock.environments) == {"default", "new"}
    assert display_name(new, "3.12.1") == "Python 3.12 (pixidemo: new)"
    assert display_name(project, "3.12.1") == "Python 3.12 (pixidemo)"
    [project] = api.detect(pixi_project)
    api.rebuild(project)
    assert run_in_kernel(project.kernel_name, "import hello_conda; print(hello_conda.VERSION)").strip() == "1.0"
