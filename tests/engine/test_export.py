"""`kernelenv export` from real locks (pylock.toml by `kernelenv lock`, uv.lock by uv), each
output checked by the tool that reads it: uv for requirements and pylock, the project's own
conda readers for environment.yml, dockerfile-parse for the Dockerfile."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from kernelenv.uvtool import uv_bin
from tests.engine.conftest import cli_json, requirements_project_at, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pylock_project(tmp_path_factory) -> Path:
    """A requirements project locked by `kernelenv lock` (pylock.toml); never built."""
    return requirements_project_at(tmp_path_factory.mktemp("export"), "paper",
                                   "six==1.16.0\nattrs==24.2.0\nipykernel\n", command="lock")


@pytest.fixture(scope="module")
def uvlock_project(tmp_path_factory) -> Path:
    """A PEP 621 project locked by uv (uv.lock); never built."""
    root = tmp_path_factory.mktemp("export-uv") / "tool"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "tool"\nversion = "0.1"\n'
                                         'requires-python = ">=3.10"\ndependencies = ["six==1.16.0"]\n')
    run_cli("lock", str(root))
    assert (root / "uv.lock").is_file()
    return root


def _uv(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run([uv_bin(), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def test_requirements_export_is_hashed_and_accepted_by_uv(pylock_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "requirements.txt"
    run_cli("export", str(pylock_project), "--format", "requirements", "-o", str(out))
    text = out.read_text()
    assert "six==1.16.0" in text and "attrs==24.2.0" in text and "--hash=sha256:" in text
    venv = tmp_path / "venv"
    assert _uv("venv", "--quiet", str(venv)).returncode == 0
    proc = _uv("pip", "install", "--dry-run", "--require-hashes", "--python", str(venv / "bin/python"),
               "-r", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "six==1.16.0" in proc.stderr and "attrs==24.2.0" in proc.stderr


def test_pylock_export_installs_the_locked_versions(pylock_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "pylock.toml"
    run_cli("export", str(pylock_project), "--format", "pylock", "-o", str(out))
    assert out.read_bytes() == (pylock_project / "pylock.toml").read_bytes()
    venv = tmp_path / "venv"
    assert _uv("venv", "--quiet", str(venv)).returncode == 0
    proc = _uv("pip", "install", "--python", str(venv / "bin/python"), "-r", str(out))
    assert proc.returncode == 0, proc.stderr
    from kernelenv.layout import python_dists

    dists = python_dists(venv)
    assert dists["six"] == "1.16.0" and dists["attrs"] == "24.2.0" and "ipykernel" in dists


def test_uv_lock_exports_through_uv_export(uvlock_project: Path, tmp_path: Path) -> None:
    req = run_cli("export", str(uvlock_project), "--format", "requirements").stdout
    assert "six==1.16.0" in req and "--hash=sha256:" in req and "uv export" in req
    pylock = tmp_path / "pylock.toml"
    run_cli("export", str(uvlock_project), "-f", "pylock", "-o", str(pylock))
    venv = tmp_path / "venv"
    assert _uv("venv", "--quiet", str(venv)).returncode == 0
    proc = _uv("pip", "install", "--dry-run", "--python", str(venv / "bin/python"), "-r", str(pylock))
    assert proc.returncode == 0 and "six==1.16.0" in proc.stderr, proc.stderr


def test_environment_yml_of_a_venv_has_a_pip_section(pylock_project: Path, tmp_path: Path) -> None:
    from kernelenv.parsers.conda import read_environment_yml

    out = tmp_path / "environment.yml"
    run_cli("export", str(pylock_project), "-f", "environment.yml", "-o", str(out))
    spec = read_environment_yml(out)
    assert "six==1.16.0" in spec.pip and "attrs==24.2.0" in spec.pip
    assert any(str(d).startswith("python") for d in spec.dependencies)


def test_dockerfile_and_apptainer_rebuild_from_the_lock(pylock_project: Path, tmp_path: Path) -> None:
    from dockerfile_parse import DockerfileParser

    out = tmp_path / "Dockerfile"
    res = cli_json("export", str(pylock_project), "-f", "dockerfile", "-o", str(out))
    dfp = DockerfileParser(path=str(out))
    assert dfp.baseimage.startswith("python:3.") and dfp.baseimage.endswith("-slim-bookworm")
    instr = [(i["instruction"], i["value"]) for i in dfp.structure]
    assert ("COPY", "pylock.toml /project/pylock.toml") in instr
    [run] = [v for k, v in instr if k == "RUN"]
    assert "uv==" in run and "uv pip sync --python /opt/env/bin/python /project/pylock.toml" in run
    assert "ipykernel install --prefix /usr/local --name paper" in run
    assert res["copies"] == ["pylock.toml"]
    text = run_cli("export", str(pylock_project), "-f", "apptainer").stdout
    assert text.splitlines()[3:5] == ["Bootstrap: docker", f"From: {dfp.baseimage}"]
    for section in ("%files", "%post", "%environment", "%runscript"):
        assert f"\n{section}\n" in text
    assert "    pylock.toml /project/pylock.toml" in text


def test_export_without_a_lock_or_of_the_wrong_kind_is_refused(tmp_path: Path, pylock_project: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six\n")
    proc = run_cli("export", str(tmp_path), "-f", "requirements", check=False)
    assert proc.returncode == 1 and "no lock file to export from; run `kernelenv lock` first" in proc.stderr
    proc = run_cli("export", str(pylock_project), "-f", "conda-explicit", check=False)
    assert proc.returncode == 1 and "a venv has no conda packages" in proc.stderr
