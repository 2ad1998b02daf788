"""Copied and moved projects with real uv envs and real kernels: a copy gets its own kernel and
never takes over the original's; a moved project is `moved`, and `create` repairs it in place
(no download) under the same kernel name."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kernelenv.history import list_builds
from tests.engine.conftest import cli_json, requirements_project_at, run_cli
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

PROBE = "import sys, os, six; print(os.path.realpath(sys.prefix)); print(six.__version__)"


def _spec(name: str) -> dict:
    return json.loads((Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / name / "kernel.json").read_text())


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return requirements_project_at(tmp_path_factory.mktemp("reloc"), "survey", "six==1.16.0\nipykernel\n")


def _status(root: Path) -> dict:
    [st] = cli_json("status", str(root))
    return st["status"]


def test_a_copy_gets_its_own_kernel_and_leaves_the_original_alone(original: Path) -> None:
    copy = original.with_name("survey-copy")
    shutil.copytree(original, copy, symlinks=True)  # as `cp -a` does
    st = _status(copy)
    assert st["status"] == "missing" and f"A copy of {original}" in st["reason"]
    res = cli_json("create", str(copy))[0]["result"]
    assert res["kernel_name"] == "survey-copy" and res["status"] == "ready"
    assert [b.record.root for b in list_builds(copy)] == [str(copy)], "the copied builds are dropped"
    assert _spec("survey")["metadata"]["kernelenv"]["project"] == str(original)
    assert _status(original)["status"] == "ready"
    kernels = {k["name"]: k for k in cli_json("kernels")["kernels"]}
    assert kernels["survey"]["project"] == str(original) and kernels["survey-copy"]["project"] == str(copy)
    run_cli("purge", str(copy))
    assert (Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / "survey" / "kernel.json").is_file()
    assert run_in_kernel("survey", PROBE).split()[0] == os.path.realpath(original / ".venv")


def test_a_moved_project_is_moved_then_repaired_without_download(original: Path, tmp_path: Path) -> None:
    moved = original.with_name("survey-moved")
    original.rename(moved)
    try:
        st = _status(moved)
        assert st["status"] == "moved" and f"Moved here from {original}" in st["reason"]
        assert st["kernel_name"] == "survey"
        dead = "http://127.0.0.1:9/simple"
        proc = run_cli("create", str(moved), env={"UV_INDEX_URL": dead, "UV_DEFAULT_INDEX": dead,
                                                  "UV_OFFLINE": "1"})
        assert f"moved from {original}" in proc.stderr
        st = _status(moved)
        assert st["status"] == "ready" and st["kernel_name"] == "survey"
        spec = _spec("survey")
        assert spec["metadata"]["kernelenv"]["project"] == str(moved)
        assert run_in_kernel("survey", PROBE).split() == [os.path.realpath(moved / ".venv"), "1.16.0"]
        # console scripts carry the new folder in their #! line and run
        script = moved / ".venv" / "bin" / "ipython"
        assert str(moved) in script.read_text().splitlines()[0]
        out = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    finally:
        moved.rename(original)
