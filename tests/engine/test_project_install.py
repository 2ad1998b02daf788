"""The project itself: installed (editable) where its own tool would install it, and said so by detect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.layout import link_target
from tests.engine.conftest import cli_json, run_cli

PEP621 = """[project]
name = "pkg-proj"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["six==1.16.0"]
"""
HATCH = '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
POETRY = """[tool.poetry]
name = "pkg-proj"
version = "0.1.0"
description = ""
authors = ["A <a@example.org>"]

[tool.poetry.dependencies]
python = "^3.10"
six = "1.16.0"
"""


def _project(tmp_path: Path, pyproject: str, *, sources: bool = True):
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject)
    if sources:
        (root / "src" / "pkg_proj").mkdir(parents=True, exist_ok=True)
        (root / "src" / "pkg_proj" / "__init__.py").write_text("ANSWER = 42\n")
    [project] = api.detect(root)
    return project


@pytest.mark.parametrize("pyproject, sources, installed, why", [
    (PEP621 + HATCH, True, True, "as `uv sync` does"),
    (PEP621 + HATCH, False, False, "package sources are not in the folder"),
    (PEP621, True, False, "virtual project"),
    (PEP621 + HATCH + "\n[tool.uv]\npackage = false\n", True, False, "package = false"),
    (POETRY, True, True, "as `poetry install` does"),
    (POETRY.replace('authors', 'package-mode = false\nauthors'), True, False, "package-mode = false"),
    (PEP621 + HATCH + "\n[tool.kernelenv]\ninstall-project = false\n", True, False, "install-project = false"),
])
def test_detect_says_whether_the_project_is_installed(tmp_path, pyproject, sources, installed, why) -> None:
    project = _project(tmp_path, pyproject, sources=sources)
    assert project.install_project is installed
    assert why in project.install_project_reason
    d = project.to_dict()
    assert d["install_project"] is installed and why in d["install_project_reason"]
    if installed:  # installing the project runs its build backend: detect says so
        assert project.runs_build_backend


def test_requirements_project_is_not_installed(tmp_path) -> None:
    root = tmp_path / "req"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    (root / "setup.py").write_text("raise SystemExit('never run')\n")
    [project] = api.detect(root)
    assert not project.install_project and "requirements-only" in project.install_project_reason
    out = run_cli("detect", str(root)).stdout
    assert "the project itself: not installed" in out


def test_create_installs_a_package_project_editable(tmp_path) -> None:
    project = _project(tmp_path, PEP621 + HATCH)
    [res] = cli_json("create", str(project.root))
    assert res["result"]["status"] == "ready", res
    env = link_target(project.root / ".venv")
    pth = [p for p in env.glob("lib/python*/site-packages/*.pth") if "pkg_proj" in p.name]
    assert pth and str(project.root / "src") in pth[0].read_text(), "an editable install of src/"
    direct = next(env.glob("lib/python*/site-packages/pkg_proj-0.1.0.dist-info/direct_url.json"))
    assert json.loads(direct.read_text())["dir_info"] == {"editable": True}
