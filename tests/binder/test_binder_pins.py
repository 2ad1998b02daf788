"""`kernelenv binder` for five kinds of project: repo2docker's own detection of the output, and
the generated pins installed for linux-64 and the chosen Python.

repo2docker cannot build images here (no Docker engine), so each output is checked the way
an image build would use it: repo2docker's buildpack detection picks the buildpack and Python,
and ``uv pip compile --python-platform x86_64-manylinux_2_28 --python-version X.Y --no-build``
resolves binder/requirements.txt as pip in a fresh linux-64 env of that Python would (wheels
only: no sdist of a too-new Python gets built). Conda packages cannot be fetched here (conda
channels are unreachable), so the conda project's check stops at its pip section.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kernelenv import api
from kernelenv.binder.common import binder_marker_env
from kernelenv.binder.config import GENERATED_MARKER
from kernelenv.lockers.pythons import LINUX_X86_64, supported_minors
from kernelenv.parsers.condalock import read_conda_lock
from kernelenv.uvtool import uv_bin, uv_env
from tests.binder.conftest import cli_json, picked_buildpack, run_cli

pytestmark = pytest.mark.e2e

WINDOWS_ONLY = {"pywin32", "pywinpty", "colorama", "pywinpty"}


def _resolve_for_binder(requirements: Path, python: str, *, no_deps: bool = False) -> dict[str, str]:
    """What pip in a fresh linux-64 env of ``python`` installs from ``requirements`` (uv's resolution)."""
    args = [uv_bin(), "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--no-build",
            "--python-platform", "x86_64-manylinux_2_28", "--python-version", python, str(requirements)]
    if no_deps:
        args.append("--no-deps")
    proc = subprocess.run(args, capture_output=True, text=True, env=uv_env(), cwd=requirements.parent,
                          stdin=subprocess.DEVNULL, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = {}
    for line in proc.stdout.splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].strip().split("==")
            out[canonicalize_name(name)] = version
    return out


def _written_for(requirements: Path, python: str) -> dict[str, str]:
    """binder/requirements.txt's pins whose markers hold in a linux-64 image of ``python``."""
    env = binder_marker_env(python)
    out = {}
    for line in requirements.read_text().splitlines():
        s = line.split("#")[0].strip()
        if not s or s.startswith("-"):
            continue
        req = Requirement(s)
        if (req.marker is None or req.marker.evaluate(env)) and req.specifier:
            out[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    return out


def _check_venv_output(root: Path, res: dict, *, no_deps: bool = False) -> dict[str, str]:
    """repo2docker picks the Python buildpack with the chosen Python; the pins resolve for it."""
    bp = picked_buildpack(root)
    assert (bp["name"], bp["binder_dir"]) == ("PythonBuildPack", "binder")
    assert bp["python_version"] == res["python"]
    assert bp["post_build"] == ["binder/postBuild"]
    post = (root / "binder" / "postBuild").read_text()
    assert f"python -m ipykernel install --sys-prefix --name {res['kernel_name']}" in post
    assert "kernelenv" not in post.replace("# >>> kernelenv", "").replace("# <<< kernelenv", "") \
        .replace("`kernelenv binder`", ""), "Binder needs no kernelenv"
    assert os.access(root / "binder" / "postBuild", os.X_OK)
    written = _written_for(root / "binder" / "requirements.txt", res["python"])
    assert written == res["pins"]
    resolved = _resolve_for_binder(root / "binder" / "requirements.txt", res["python"], no_deps=no_deps)
    assert {n: resolved.get(n) for n in written} == written, "every pin installs at its locked version"
    assert "ipykernel" in resolved
    assert not WINDOWS_ONLY & set(resolved)
    # binder/ is an output: detection keeps following the project folder's own files.
    marker = json.loads((root / "binder" / GENERATED_MARKER).read_text())
    assert marker["generator"] == "kernelenv binder"
    [project] = api.detect(root)
    assert project.config_dir is None and project.lock == Path(res["lock"])
    return resolved


def test_uv_project(project_copy) -> None:
    """SharedControlPaper (uv.lock): the lock's packages with markers, a Python the lock supports."""
    root = project_copy("kriti-ach__SharedControlPaper")
    res = cli_json("binder", str(root))
    assert Path(res["lock"]) == root / "uv.lock"
    assert res["python"] in supported_minors(root / "uv.lock", [res["python"]], LINUX_X86_64)
    _check_venv_output(root, res)


def test_requirements_project(project_copy) -> None:
    """binder-examples__requirements: locked first (its pip-compile requirements.txt), Python 3.10."""
    root = project_copy("binder-examples__requirements")
    res = cli_json("binder", str(root))
    assert res["locked_first"] and Path(res["lock"]) == root / "requirements.txt"
    assert res["python"] == "3.10"
    resolved = _check_venv_output(root, res)
    assert resolved["pandas"] == "2.2.3"


def test_pipfile_project(project_copy) -> None:
    """binder-examples__pipfile: Pipfile.lock read by pipenv; its [requires] 3.6 is what Binder gets."""
    root = project_copy("binder-examples__pipfile")
    res = cli_json("binder", str(root))
    assert Path(res["lock"]) == root / "Pipfile.lock" and res["python"] == "3.6"
    # The lock is a full closure: checked with --no-deps, as `pipenv sync` installs it (uv
    # rejects pandas 0.24.2's 2019 metadata `pytz (>=2011k)`, which the pip of a 3.6 image reads).
    resolved = _check_venv_output(root, res, no_deps=True)
    assert resolved["seaborn"] == "0.9.0" and "pytest" not in resolved  # develop is left out


def test_old_poetry_lock_project(project_copy) -> None:
    """The 2020 lock-version 1.1 poetry.lock: no pywin32/pywinpty on Linux, and Python 3.9 (its
    pyzmq/tornado wheels stop there), not the newest repo2docker offers."""
    root = project_copy("old-poetry-lock")
    res = cli_json("binder", str(root))
    assert Path(res["lock"]) == root / "poetry.lock"
    assert res["python"] == "3.9"
    text = (root / "binder" / "requirements.txt").read_text()
    assert 'pywin32==300 ; ' in text and 'sys_platform == "win32"' in text  # markers kept
    resolved = _check_venv_output(root, res)
    assert resolved["pyzmq"] == "19.0.2" and resolved["ipykernel"] == "5.3.4"


def test_conda_project(project_copy) -> None:
    """egu22pygmt (conda-lock.yml): environment.yml = the lock's linux-64 pins; Conda buildpack;
    its pip section resolves for the lock's Python."""
    root = project_copy("GenericMappingTools__egu22pygmt")
    lock = read_conda_lock(root / "conda-lock.yml")
    res = cli_json("binder", str(root))
    assert res["kind"] == "environment" and res["python"] == "3.9"
    bp = picked_buildpack(root)
    assert (bp["name"], bp["environment_yaml"], bp["python_version"]) == \
        ("CondaBuildPack", "binder/environment.yml", "3.9")
    assert bp["post_build"] == ["binder/postBuild"]
    doc = yaml.safe_load((root / "binder" / "environment.yml").read_text())
    conda = {d.split("=")[0] for d in doc["dependencies"] if isinstance(d, str)}
    assert conda == {p.name for p in lock.for_platform("linux-64", manager="conda")}
    pip = next(d["pip"] for d in doc["dependencies"] if isinstance(d, dict))
    req = root / "pip-section.txt"
    req.write_text("\n".join(pip) + "\n")
    resolved = _resolve_for_binder(req, "3.9", no_deps=True)
    assert resolved == {canonicalize_name(p.name): p.version for p in lock.for_platform("linux-64", manager="pip")}
    post = (root / "binder" / "postBuild").read_text()
    assert "python -m ipykernel install --sys-prefix" in post
    [project] = api.detect(root)
    assert project.config_dir is None and project.lock == root / "conda-lock.yml"


# ------------------------------------------------------------------------------ the author's files
AUTHOR_POSTBUILD = "#!/bin/bash\nset -e\ncp jupyter_server_config.py ~/.jupyter/\n"


def test_the_authors_postbuild_start_and_apt_are_kept(project_copy) -> None:
    """A project with its own .binder/postBuild, start and apt.txt (no env files there): --force
    writes the pins beside them, appends the kernel step to postBuild, keeps start and apt.txt;
    a second run replaces only kernelenv's own step."""
    root = project_copy("binder-examples__requirements")
    d = root / ".binder"
    d.mkdir()
    (d / "postBuild").write_text(AUTHOR_POSTBUILD)
    (d / "start").write_text("#!/bin/bash\nexport A=1\nexec \"$@\"\n")
    (d / "apt.txt").write_text("graphviz\n")
    proc = run_cli("binder", str(root), check=False)
    assert proc.returncode == 1 and "already exists" in proc.stderr and "--force" in proc.stderr
    assert sorted(p.name for p in d.iterdir()) == ["apt.txt", "postBuild", "start"]  # untouched

    res = cli_json("binder", str(root), "--force")
    post = (d / "postBuild").read_text()
    assert post.startswith(AUTHOR_POSTBUILD), "the author's steps stay first, unchanged"
    assert post.count("python -m ipykernel install") == 1
    assert (d / "start").read_text().startswith("#!/bin/bash\nexport A=1")
    assert (d / "apt.txt").read_text() == "graphviz\n"
    assert any("postBuild: kept" in k for k in res["kept"])
    bp = picked_buildpack(root)
    assert (bp["name"], bp["binder_dir"], bp["post_build"]) == ("PythonBuildPack", ".binder", [".binder/postBuild"])

    cli_json("binder", str(root))  # generated now: regenerating needs no --force
    again = (d / "postBuild").read_text()
    assert again.startswith(AUTHOR_POSTBUILD) and again.count("python -m ipykernel install") == 1


def test_root_postbuild_moves_into_the_generated_folder(project_copy) -> None:
    root = project_copy("binder-examples__requirements")
    (root / "postBuild").write_text(AUTHOR_POSTBUILD)
    (root / "start").write_text("#!/bin/bash\nexec \"$@\"\n")
    res = cli_json("binder", str(root))
    assert (root / "binder" / "postBuild").read_text().startswith(AUTHOR_POSTBUILD)
    assert (root / "binder" / "start").read_text() == (root / "start").read_text()
    assert {k.split(":")[0] for k in res["kept"]} == {"postBuild", "start"}


def test_a_python_postbuild_is_refused_not_replaced(project_copy) -> None:
    root = project_copy("binder-examples__requirements")
    before = (root / "requirements.txt").read_bytes()
    (root / "binder").mkdir()
    script = "#!/usr/bin/env python3\nprint('setup')\n"
    (root / "binder" / "postBuild").write_text(script)
    proc = run_cli("binder", str(root), "--force", check=False)
    assert proc.returncode == 1
    assert "python3 script" in proc.stderr and "python -m ipykernel install --sys-prefix" in proc.stderr
    assert (root / "binder" / "postBuild").read_text() == script
    assert sorted(p.name for p in (root / "binder").iterdir()) == ["postBuild"]
    assert (root / "requirements.txt").read_bytes() == before  # refused before locking anything


def test_an_authors_binder_env_is_what_binder_would_lock(project_copy, tmp_path: Path) -> None:
    """.binder/ holding a pip config and the root a conda environment.yml: detect reports the
    .binder/ env, so `binder --force` refuses rather than replace it with the root's conda env."""
    root = project_copy("binder-examples__conda")
    (root / ".binder").mkdir()
    (root / ".binder" / "requirements.txt").write_text("six==1.16.0\n")
    [project] = api.detect(root)
    assert project.config_dir == root / ".binder" and project.spec == root / ".binder" / "requirements.txt"
    proc = run_cli("binder", str(root), "--force", check=False)
    assert proc.returncode == 1
    assert ".binder holds this project's own Binder environment (.binder/requirements.txt)" in proc.stderr
    assert sorted(p.name for p in (root / ".binder").iterdir()) == ["requirements.txt"]


def test_root_edits_reach_the_lock_after_binder(project_copy) -> None:
    """After `binder`, the root requirements.in stays the source: an edit there is re-locked."""
    root = project_copy("binder-examples__requirements")
    cli_json("binder", str(root))
    (root / "requirements.in").write_text((root / "requirements.in").read_text() + "idna\n")
    [project] = api.detect(root)
    assert project.config_dir is None
    run_cli("lock", str(root))
    assert "idna==" in (root / "requirements.txt").read_text()
    assert "idna==" not in (root / "binder" / "requirements.txt").read_text()
    cli_json("binder", str(root))
    assert "idna==" in (root / "binder" / "requirements.txt").read_text()
