"""Inside a Binder image: the image's env, built from `kernelenv binder` output, becomes the project's env.

repo2docker cannot build images here (no Docker engine). The image's env is stood in for
by a real venv into which uv installs binder/requirements.txt, as repo2docker's Python
buildpack does with pip (`${KERNEL_PYTHON_PREFIX}/bin/pip install -r binder/requirements.txt`);
then `kernelenv adopt` records it (Binder's generated postBuild needs no kernelenv: it only
registers the kernel with ipykernel; adopt is for images and machines that have kernelenv).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kernelenv import api
from kernelenv.backends.uv import UvBuilder
from kernelenv.interpreters import choose
from kernelenv.layout import envs_dir, link_target
from kernelenv.uvtool import uv_bin, uv_env
from tests.binder.conftest import cli_json, picked_buildpack, run_cli
from tests.conftest import copy_corpus_project
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

NAME = "binder-examples__requirements"


@pytest.fixture(scope="module", autouse=True)
def own_jupyter_data(tmp_path_factory):
    """This module's kernelspecs in a Jupyter data folder of their own: other suites register
    binder-examples__requirements too (tests/engine/test_e2e_uv.py), and a kernel name already
    taken by another project makes kernelenv pick a suffixed one, which these tests check."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_DATA_DIR", str(tmp_path_factory.mktemp("adopt-jupyter-data")))
        yield


@pytest.fixture(scope="module")
def binder_project(tmp_path_factory) -> tuple[Path, dict]:
    """binder-examples__requirements (no lock) after `kernelenv binder`."""
    root = copy_corpus_project(NAME, tmp_path_factory.mktemp("adopt"))
    return root, cli_json("binder", str(root))


@pytest.fixture(scope="module")
def image_env(binder_project, tmp_path_factory) -> Path:
    """A real venv standing in for the image's env, with binder/requirements.txt installed."""
    root, res = binder_project
    prefix = tmp_path_factory.mktemp("image") / "notebook"
    python = choose(res["python"])
    subprocess.run([uv_bin(), "venv", "--quiet", "--python", str(python.path), str(prefix)],
                   check=True, env=uv_env(), stdin=subprocess.DEVNULL)
    subprocess.run([uv_bin(), "pip", "install", "--quiet", "--python", str(prefix / "bin" / "python"),
                    "-r", str(root / "binder" / "requirements.txt")],
                   check=True, env=uv_env(), cwd=root, stdin=subprocess.DEVNULL, timeout=900)
    return prefix


def _adopt_args(root: Path, prefix: Path) -> list[str]:
    """`kernelenv adopt` for the stand-in image env (Binder's own postBuild needs no kernelenv;
    adopt is for images and machines that have it)."""
    return ["adopt", str(root), "--env", str(prefix), "--name", NAME, "--user"]


def test_binder_locks_first_and_pins_equal_the_lock(binder_project) -> None:
    """No hashed lock: `kernelenv binder` re-compiles requirements.txt from requirements.in
    first (its pip-compile format); binder/requirements.txt pins are that lock's pins."""
    root, res = binder_project
    assert res["locked_first"] and Path(res["lock"]) == root / "requirements.txt"
    assert res["python"] == "3.10"  # runtime.txt's python-3.10
    env = default_environment()
    env.update(python_version="3.10", python_full_version="3.10.0")
    written, listed = {}, set()
    for line in (root / "binder" / "requirements.txt").read_text().splitlines():
        s = line.split("#")[0].strip()
        if s:
            req = Requirement(s)
            listed.add(canonicalize_name(req.name))
            if req.specifier and (req.marker is None or req.marker.evaluate(env)):
                written[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    project = api.find_project(root)
    assert project.lock == root / "requirements.txt"
    assert written == UvBuilder().locked_packages(project, "3.10.0")
    assert written["pandas"] == "2.2.3" and "ipykernel" in listed  # the project's pin; kernel added
    bp = picked_buildpack(root)
    assert (bp["name"], bp["python_version"]) == ("PythonBuildPack", "3.10")


def test_adopt_makes_the_image_env_the_projects_env(binder_project, image_env) -> None:
    """After postBuild's adopt: status ready, no env built, the kernel runs in the image's env."""
    root, res = binder_project
    run_cli(*_adopt_args(root, image_env))
    [row] = cli_json("status", str(root))
    assert row["status"]["status"] == "ready", row["status"]
    assert row["status"]["kernel_name"] == res["kernel_name"] == "binder-examples__requirements"
    assert os.path.realpath(root / ".venv") == os.path.realpath(image_env)
    assert link_target(root / ".venv") == envs_dir(root) / "image"
    assert [p.name for p in envs_dir(root).iterdir()] == ["image"]  # nothing was built
    out = run_in_kernel(res["kernel_name"],
                        "import sys, os, seaborn; print(os.path.realpath(sys.prefix), seaborn.__version__)")
    prefix, seaborn_version = out.split()
    assert prefix == os.path.realpath(image_env)
    assert seaborn_version == "0.13.2"
    # A second launch-time check changes nothing and needs no rebuild.
    [again] = cli_json("status", str(root))
    assert again["status"]["status"] == "ready"


def test_adopt_refuses_an_env_built_from_other_files(binder_project, image_env, tmp_path) -> None:
    """An image env that does not hold the pins is not adopted; the message lists what differs."""
    root, _ = binder_project
    other = tmp_path / NAME
    shutil.copytree(root, other, ignore=shutil.ignore_patterns(".venv", ".kernelenv"))
    req = other / "requirements.txt"  # the project's lock (binder/ is generated from it)
    req.write_text(req.read_text().replace("numpy==2.2.2", "numpy==2.2.1"))
    proc = run_cli(*_adopt_args(other, image_env), check=False)
    assert proc.returncode == 1
    assert "numpy: wants ==2.2.1, has 2.2.2" in proc.stderr
    assert not (other / ".venv").exists()
    assert api.status(api.find_project(other)).status.value == "missing"


def test_conda_project_binder_and_adopt(tmp_path_factory) -> None:
    """A conda project: binder/environment.yml pins its conda-lock.yml; the image env is adopted.

    Offline: the conda packages come from the local file:// channel of tests/conda (this
    machine reaches only PyPI). The image's env, which repo2docker's conda buildpack would
    make from binder/environment.yml, is stood in for by a prefix kernelenv's rattler backend
    builds from that same file (a second checkout of the project, where binder/ is the env).
    """
    from tests.conda.conftest import write_env
    from tests.conda.localchannel import build_channel

    base = tmp_path_factory.mktemp("conda-binder")
    channel = build_channel(base / "channel")
    minor = "%d.%d" % sys.version_info[:2]
    root = base / "condademo"
    write_env(root, channel, [f"python={minor}", "hello-conda<2", "hello-tool"], ["iniconfig==2.1.0"],
              extra_channels=["nodefaults"])
    run_cli("lock", str(root))
    res = cli_json("binder", str(root))
    assert res["kind"] == "environment" and not res["locked_first"]
    doc = yaml.safe_load((root / "binder" / "environment.yml").read_text())
    assert doc["channels"] == [channel.as_uri(), "nodefaults"]
    conda = [d for d in doc["dependencies"] if isinstance(d, str)]
    [pip] = [d["pip"] for d in doc["dependencies"] if isinstance(d, dict)]
    assert any(d.startswith("hello-conda=1.0=") for d in conda)  # exact version and build
    assert "iniconfig==2.1.0" in pip and any(p.startswith("ipykernel==") for p in pip)  # the lock's pip entries
    bp = picked_buildpack(root)
    assert (bp["name"], bp["environment_yaml"]) == ("CondaBuildPack", "binder/environment.yml")

    image_checkout = base / "image" / "condademo"
    shutil.copytree(root, image_checkout)
    # Locally binder/ is a generated output that detection ignores; the stand-in for the image
    # build reads binder/environment.yml as repo2docker does.
    (image_checkout / "binder" / ".kernelenv-generated").unlink()
    [built] = cli_json("create", str(image_checkout))  # binder/environment.yml is its env now
    prefix = Path(os.path.realpath(image_checkout / ".conda"))
    assert built["ok"], built

    run_cli("adopt", str(root), "--env", str(prefix), "--name", "condademo")
    [row] = cli_json("status", str(root))
    assert row["status"]["status"] == "ready", row["status"]
    assert os.path.realpath(root / ".conda") == str(prefix)
    out = run_in_kernel(row["status"]["kernel_name"],
                        "import sys, os, hello_conda, iniconfig; print(os.path.realpath(sys.prefix), hello_conda.VERSION)")
    assert out.split() == [str(prefix), "1.0"]

    # The conda pins are checked against the prefix's conda-meta records (rattler's MatchSpec).
    other = base / "other" / "condademo"
    shutil.copytree(root, other, ignore=shutil.ignore_patterns(".conda", ".kernelenv"))
    (other / "binder" / ".kernelenv-generated").unlink()  # binder/environment.yml is its env
    env_yml = other / "binder" / "environment.yml"
    env_yml.write_text(env_yml.read_text().replace("- hello-conda=1.0=", "- hello-conda=2.0="))
    proc = run_cli("adopt", str(other), "--env", str(prefix), check=False)
    assert proc.returncode == 1
    assert "hello-conda: wants hello-conda=2.0=" in proc.stderr and "has 1.0=" in proc.stderr

