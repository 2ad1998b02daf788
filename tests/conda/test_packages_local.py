"""add / remove / record on conda projects (issue 11), on the local file:// channel: the
environment.yml edited in place (comments kept), the conda-lock.yml re-locked and read back
by kernelenv's conda-lock reader, the env rebuilt aside, the package usable in the kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.layout import link_target
from kernelenv.model import Status
from kernelenv.parsers.condalock import read_conda_lock
from kernelenv.uvtool import uv_bin
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

MM = "%d.%d" % sys.version_info[:2]


def _one(root: Path):
    [project] = api.detect(root)
    return project


def test_conda_add_remove_pip_and_record(tmp_path: Path, local_channel: Path) -> None:
    root = tmp_path / "condapkgs"
    root.mkdir()
    env = root / "environment.yml"
    head = (f"name: condapkgs  # the analysis env\nchannels:\n  - {local_channel.as_uri()}\n  - nodefaults\n"
            f"dependencies:\n  - python={MM}  # what the notebooks run\n  - hello-conda<2\n")
    env.write_text(head)
    api.create(_one(root))
    api.lock(_one(root))

    api.add(_one(root), ["hello-tool"])
    assert env.read_text() == head + "  - hello-tool\n"
    locked = {p.name for p in read_conda_lock(root / "conda-lock.yml").packages}
    assert {"hello-tool", "hello-conda", "python"} <= locked
    name = api.status(_one(root)).kernel_name
    tool = "import subprocess; print(subprocess.run(['hello-tool'], capture_output=True, text=True).stdout)"
    assert run_in_kernel(name, tool).strip() == "hello from hello-tool"

    api.add(_one(root), ["iniconfig==2.1.0"], pip=True)
    assert env.read_text() == head + "  - hello-tool\n  - pip:\n      - iniconfig==2.1.0\n"
    assert api.status(_one(root)).status is Status.READY

    api.remove(_one(root), ["hello-tool"])
    assert env.read_text() == head + "  - pip:\n      - iniconfig==2.1.0\n"
    assert "hello-tool" not in {p.name for p in read_conda_lock(root / "conda-lock.yml").packages}

    # A hand install into the conda env: drift names it; record writes it into pip:.
    live = link_target(root / ".conda")
    subprocess.run([uv_bin(), "pip", "install", "--quiet", "--python", str(live / "bin" / "python"),
                    "six==1.16.0"], check=True)
    report = api.status(_one(root))
    assert report.status is Status.DRIFTED and report.drift["added"] == [{"name": "six", "version": "1.16.0"}]
    api.record(_one(root))
    assert env.read_text() == head + "  - pip:\n      - iniconfig==2.1.0\n      - six==1.16.0\n"
    assert api.status(_one(root)).status is Status.READY


def test_conda_add_of_a_missing_package_changes_nothing(tmp_path: Path, local_channel: Path) -> None:
    root = tmp_path / "condabad"
    root.mkdir()
    env = root / "environment.yml"
    env.write_text(f"name: condabad\nchannels:\n  - {local_channel.as_uri()}\n  - nodefaults\n"
                   f"dependencies:\n  - python={MM}\n")
    api.create(_one(root))
    before, live = env.read_bytes(), link_target(root / ".conda")
    with pytest.raises(Exception) as ei:
        api.add(_one(root), ["no-such-conda-package"])
    assert "no-such-conda-package" in str(ei.value)
    assert env.read_bytes() == before and link_target(root / ".conda") == live
    assert not (root / "conda-lock.yml").exists()
    assert api.status(_one(root)).status is Status.READY


def test_pixi_add_and_remove_relock_pixi_lock(tmp_path: Path, local_channel: Path) -> None:
    """pixi.toml's [dependencies] edited in place (comments kept), pixi.lock re-written by
    rattler (pixi's own lock library) and read back, the env rebuilt with the package."""
    from kernelenv.parsers.pixi import read_pixi_lock

    root = tmp_path / "pixipkgs"
    root.mkdir()
    manifest = root / "pixi.toml"
    text = (f'[workspace]\nname = "pixipkgs"\nchannels = ["{local_channel.as_uri()}"]\nplatforms = ["linux-64"]\n\n'
            f'# the notebook env\n[dependencies]\npython = "{MM}.*"  # runtime\nhello-conda = "<2"\n')
    manifest.write_text(text)
    api.lock(_one(root))
    api.add(_one(root), ["hello-tool>=1"])
    assert manifest.read_text() == text + 'hello-tool = ">=1"\n'
    def locked() -> set[str]:
        return {p.name for p in read_pixi_lock(root / "pixi.lock").environments["default"]["linux-64"]}

    assert {"hello-tool", "hello-conda"} <= locked()
    assert (link_target(root / ".conda") / "bin" / "hello-tool").exists()
    api.remove(_one(root), ["hello-tool"])
    assert manifest.read_text() == text
    assert "hello-tool" not in locked()
