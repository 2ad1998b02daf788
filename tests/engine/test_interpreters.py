"""Interpreter discovery on a pyenv machine: shims are skipped, exact paths are handed to uv."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kernelenv.errors import PythonNotFoundError
from kernelenv.interpreters import choose, find_interpreters, parse_request


def test_finds_pyenv_versions_not_shims() -> None:
    found = find_interpreters()
    assert found, "this machine has Pythons"
    assert not any("shims" in i.path.parts for i in found)
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not pyenv.is_dir():
        pytest.skip("no pyenv on this machine: nothing pyenv-specific to check")
    installed = {d.name for d in pyenv.iterdir() if (d / "bin" / "python3").exists()}
    assert installed <= {str(i.version) for i in found}


def test_choose_returns_an_interpreter_of_the_requested_version() -> None:
    versions = sorted({(i.version.major, i.version.minor) for i in find_interpreters()})
    major, minor = versions[0]
    chosen = choose(f"{major}.{minor}")
    out = subprocess.run([str(chosen.path), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == f"{major}.{minor}"


def test_unsatisfiable_request_lists_what_is_installed() -> None:
    with pytest.raises(PythonNotFoundError) as exc:
        choose("==2.5.*", source=Path("runtime.txt"))
    msg = str(exc.value)
    assert "==2.5.*" in msg and "runtime.txt" in msg and "--python" in msg
    assert all(str(i.version) in msg for i in find_interpreters())


@pytest.mark.parametrize("text, spec", [("3.10", "==3.10.*"), ("3.10.4", "==3.10.4"), (">=3.12", ">=3.12"),
                                        (">=3.9,<3.13", "<3.13,>=3.9")])
def test_parse_request(text: str, spec: str) -> None:
    assert str(parse_request(text)) == spec


def test_parse_request_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a Python version"):
        parse_request("three point ten")
