"""The same end-to-end flow against conda-forge; runs only when conda-forge answers.

A real conda-forge python, a conda-forge package (``tomli``), ipykernel from conda-forge
(added by kernelenv), a ``pip:`` entry from PyPI, a kernel started with jupyter_client,
then conda-lock.yml for linux-64 + the current platform and a rebuild from it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.conda_channels import current_platform
from kernelenv.conda_meta import conda_records, pip_dists
from kernelenv.model import Status
from kernelenv.parsers.condalock import read_conda_lock
from tests.conda.conftest import PIP_PACKAGE, conda_forge_reachable
from tests.engine.kernel_utils import run_in_kernel

pytestmark = [pytest.mark.network, pytest.mark.e2e]


@pytest.fixture(scope="module")
def forge_project(tmp_path_factory) -> Path:
    if not conda_forge_reachable():
        pytest.skip("conda-forge is unreachable from this machine")
    root = tmp_path_factory.mktemp("forge") / "forgedemo"
    root.mkdir()
    (root / "environment.yml").write_text(
        "name: forgedemo\nchannels:\n  - conda-forge\n  - nodefaults\ndependencies:\n  - python=3.12\n"
        f"  - tomli\n  - pip:\n    - {PIP_PACKAGE}\n", encoding="utf-8")
    return root


def test_conda_forge_env_lock_and_rebuild(forge_project: Path, monkeypatch) -> None:
    root = forge_project
    [project] = api.detect(root)
    api.create(project)
    prefix = root / ".conda"
    names = {r.name for r in conda_records(prefix)}
    assert {"python", "tomli", "ipykernel"} <= names  # ipykernel came from conda-forge
    assert pip_dists(prefix)["iniconfig"] == "2.1.0"
    out = run_in_kernel(project.kernel_name, "import sys, os, tomli, iniconfig\n"
                        "print(os.path.realpath(sys.prefix))").strip()
    assert out == os.path.realpath(prefix)

    monkeypatch.setenv("KERNELENV_LOCK_PLATFORMS", ",".join(sorted({"linux-64", current_platform()})))
    path = api.lock(project)
    lock = read_conda_lock(path)
    locked = {(p.name, p.version) for p in lock.for_platform(current_platform(), "conda")}
    assert ("ipykernel" in {n for n, _ in locked}) and any(p.manager == "pip" for p in lock.packages)
    [project] = api.detect(root)
    api.rebuild(project)
    assert {(r.name, r.version) for r in conda_records(prefix)} == locked
    assert api.status(project).status is Status.READY
