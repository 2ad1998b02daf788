"""``--backend micromamba|conda``: refused clearly without the tool; with it, the CLI gets an argument list.

micromamba and conda cannot be installed on this machine (neither is on PyPI or in
Debian, and their download sites are unreachable), so the second test puts a stand-in
``micromamba`` script on PATH that records the argv it was given and fails the way a
tool without network would. It checks what kernelenv hands the tool, and that the
tool's failure reaches the user with its message and leaves no env behind.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.backends import get_builder
from kernelenv.errors import BackendUnavailableError, BuildError
from kernelenv.model import Backend
from tests.conda.conftest import write_env


def test_missing_tool_is_a_clear_error(tmp_path: Path, monkeypatch, local_channel: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("KERNELENV_MICROMAMBA", raising=False)
    monkeypatch.delenv("KERNELENV_CONDA", raising=False)
    with pytest.raises(BackendUnavailableError, match="--backend micromamba needs micromamba on PATH"):
        get_builder(Backend.MICROMAMBA)
    with pytest.raises(BackendUnavailableError, match=r"--backend conda needs conda \(or mamba\) on PATH"):
        get_builder(Backend.CONDA)
    root = tmp_path / "proj"
    write_env(root, local_channel, ["python", "hello-conda"])
    [project] = api.detect(root, backend="micromamba")
    with pytest.raises(BackendUnavailableError):
        api.create(project)
    assert not (root / ".conda").exists()


def test_tool_gets_an_argument_list_and_its_failure_is_reported(tmp_path: Path, monkeypatch,
                                                                  local_channel: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "argv.json"
    tool = bindir / "micromamba"
    tool.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
                    "print('critical libmamba Could not solve: stand-in micromamba')\nsys.exit(1)\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    root = tmp_path / "proj"
    write_env(root, local_channel, ["python", "hello-conda<2"], ["iniconfig"], extra_channels=["nodefaults"])
    [project] = api.detect(root, backend="micromamba")
    assert project.backend is Backend.MICROMAMBA
    with pytest.raises(BuildError) as ei:
        api.create(project)
    assert ei.value.message == ("micromamba create failed (exit code 1): critical libmamba Could not solve: "
                                "stand-in micromamba")
    argv = json.loads(log.read_text())
    assert argv[:3] == ["create", "--yes", "--prefix"]
    assert argv[4:] == ["--override-channels", "-c", local_channel.as_uri(), "python", "hello-conda<2"]
    assert not (root / ".conda").exists()
    assert list((root / ".kernelenv" / "envs").iterdir()) == []
