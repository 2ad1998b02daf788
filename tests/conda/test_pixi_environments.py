"""pixi environments side by side: each environment of a pixi.toml is its own env and kernel.

Real rattler with the local channel of :mod:`tests.conda.localchannel`; kernels started with
jupyter_client. The ``test`` environment adds ``hello-shell`` (a module), ``hello-tool``
(an executable) and an ``ir`` kernelspec (registered as ``sidebyside-test-r``, never started
here) that ``default`` does not have; one pixi.lock holds both environments.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.errors import UnsafePathError
from kernelenv.kernels import KernelLocation
from kernelenv.layout import live_link, state_file
from kernelenv.model import Project, Status
from kernelenv.parsers.pixi import read_pixi_lock
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

MM = "%d.%d" % sys.version_info[:2]

PROBE = ("import os, shutil, sys, hello_conda\n"
         "try:\n    import hello_shell; shell = hello_shell.KIND\nexcept ImportError:\n    shell = 'none'\n"
         "print(os.path.realpath(sys.prefix), hello_conda.VERSION, shell, bool(shutil.which('hello-tool')))")


def _manifest(channel: Path) -> str:
    return (f'[workspace]\nname = "sidebyside"\nchannels = ["{channel.as_uri()}"]\nplatforms = ["linux-64"]\n\n'
            f'[dependencies]\npython = "{MM}.*"\nhello-conda = "<2"\n\n'
            '[feature.test.dependencies]\nhello-shell = "*"\nhello-tool = "*"\nr-irkernel-debian = "*"\n\n'
            '[environments]\ntest = ["test"]\n')


def _env(root: Path, environment: str) -> Project:
    [project] = api.detect(root)
    return dataclasses.replace(project, environment=environment)


@pytest.fixture(scope="module")
def two_envs(tmp_path_factory, local_channel: Path) -> Path:
    """Both environments locked into one pixi.lock and built: `default` first, then `test`;
    the files of `default` as they were before `test` was built are kept for the checks."""
    root = tmp_path_factory.mktemp("pixienvs") / "sidebyside"
    root.mkdir()
    (root / "pixi.toml").write_text(_manifest(local_channel), encoding="utf-8")
    default = _env(root, "default")
    api.lock(default)
    api.create(_env(root, "default"))
    before = {"link": os.readlink(root / ".conda"), "state": (root / ".kernelenv/state.json").read_bytes(),
              "kernel": (KernelLocation().kernels_dir() / "sidebyside/kernel.json").read_bytes()}
    api.create(_env(root, "test"))
    (root.parent / "before.json").write_text(json.dumps({k: v if isinstance(v, str) else v.decode()
                                                         for k, v in before.items()}), encoding="utf-8")
    return root


def test_one_lock_holds_both_environments(two_envs: Path) -> None:
    lock = read_pixi_lock(two_envs / "pixi.lock")
    assert set(lock.environments) == {"default", "test"}
    names = {env: {p.name for p in lock.environments[env]["linux-64"] if p.manager == "conda"}
             for env in ("default", "test")}
    assert "hello-shell" in names["test"] and "hello-tool" in names["test"]
    assert "hello-shell" not in names["default"] and "hello-tool" not in names["default"]


def test_each_environment_is_its_own_env_and_kernel(two_envs: Path) -> None:
    default, test = _env(two_envs, "default"), _env(two_envs, "test")
    assert (default.kernel_name, test.kernel_name) == ("sidebyside", "sidebyside-test")
    spec = json.loads((KernelLocation().kernels_dir() / "sidebyside-test/kernel.json").read_text())
    assert spec["display_name"] == f"Python {MM} (sidebyside: test)"
    test_link = two_envs / ".kernelenv/environments/test/.conda"
    assert live_link(two_envs, "conda", "test") == test_link
    assert state_file(two_envs, "test") == two_envs / ".kernelenv/environments/test/state.json"
    assert os.path.realpath(test_link) != os.path.realpath(two_envs / ".conda")
    assert os.path.realpath(test_link).startswith(str(two_envs / ".kernelenv/environments/test/envs"))

    d_out = run_in_kernel("sidebyside", PROBE).split()
    t_out = run_in_kernel("sidebyside-test", PROBE).split()
    assert d_out == [os.path.realpath(two_envs / ".conda"), "1.0", "none", "False"]
    assert t_out == [os.path.realpath(test_link), "1.0", "unix", "True"]


def test_building_test_left_default_untouched(two_envs: Path) -> None:
    before = json.loads((two_envs.parent / "before.json").read_text(encoding="utf-8"))
    assert os.readlink(two_envs / ".conda") == before["link"]
    assert (two_envs / ".kernelenv/state.json").read_text() == before["state"]
    assert (KernelLocation().kernels_dir() / "sidebyside/kernel.json").read_text() == before["kernel"]


def test_statuses_are_independent_and_purge_removes_one(two_envs: Path) -> None:
    default, test = _env(two_envs, "default"), _env(two_envs, "test")
    assert api.status(default).status is Status.READY
    assert api.status(test).status is Status.READY
    assert api.status(test).env_path == two_envs / ".kernelenv/environments/test/.conda"
    # a hand install in `test` shows in test's status only
    extra = next(Path(os.path.realpath(two_envs / ".kernelenv/environments/test/.conda")).glob(
        "lib/python*/site-packages"))
    (extra / "handmade-0.1.dist-info").mkdir()
    (extra / "handmade-0.1.dist-info/METADATA").write_text("Name: handmade\nVersion: 0.1\n")
    try:
        assert api.status(_env(two_envs, "test")).status is Status.DRIFTED
        assert api.status(_env(two_envs, "default")).status is Status.READY
    finally:
        import shutil

        shutil.rmtree(extra / "handmade-0.1.dist-info")

    # the CLI reads each environment's own state; each keeps its own history
    for env, kernel in (("default", "sidebyside"), ("test", "sidebyside-test")):
        out = subprocess.run([sys.executable, "-m", "kernelenv", "status", "--json", "--environment", env,
                              str(two_envs)], capture_output=True, text=True, check=True).stdout
        [row] = json.loads(out)
        assert (row["environment"], row["status"]["status"], row["status"]["kernel_name"]) == (env, "ready", kernel)
        builds = api.history(_env(two_envs, env))["builds"]
        assert len(builds) == 1 and builds[0]["live"]

    api.purge(_env(two_envs, "test"))
    assert not (two_envs / ".kernelenv/environments/test/.conda").exists()
    assert not (KernelLocation().kernels_dir() / "sidebyside-test").exists()
    assert api.status(_env(two_envs, "test")).status is Status.MISSING
    assert api.status(_env(two_envs, "default")).status is Status.READY
    assert run_in_kernel("sidebyside", "import hello_conda; print(hello_conda.VERSION)").strip() == "1.0"


def test_default_rebuilt_and_purged_leaves_test_alone(two_envs: Path) -> None:
    """Rebuilding `default` keeps `test`'s kernels (also the one its env ships); purging
    `default` removes only default's link, state and kernel."""
    kernels = KernelLocation().kernels_dir()
    api.create(_env(two_envs, "test"))
    assert (kernels / "sidebyside-test-r/kernel.json").is_file()
    api.rebuild(_env(two_envs, "default"))
    assert (kernels / "sidebyside-test-r/kernel.json").is_file()
    api.purge(_env(two_envs, "default"))
    assert not (two_envs / ".conda").exists() and not (kernels / "sidebyside").exists()
    assert api.status(_env(two_envs, "default")).status is Status.MISSING
    assert (kernels / "sidebyside-test-r/kernel.json").is_file() and (kernels / "sidebyside-test").is_dir()
    assert api.status(_env(two_envs, "test")).status is Status.READY
    assert run_in_kernel("sidebyside-test", "import hello_shell; print(hello_shell.KIND)").strip() == "unix"


def test_environment_name_is_never_a_path(two_envs: Path) -> None:
    with pytest.raises(UnsafePathError, match="not a pixi environment name"):
        api.status(_env(two_envs, "../../elsewhere"))
