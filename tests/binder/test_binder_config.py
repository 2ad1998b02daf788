"""`kernelenv binder` output and this repo's binder/ through repo2docker's own buildpack detection.

repo2docker cannot build images here (no Docker engine), so these tests use its detection
and build-script generation, which decide what a Binder launch installs.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kernelenv import api
from kernelenv.backends.uv import UvBuilder
from kernelenv.parsers.condalock import read_conda_lock
from tests.binder.conftest import cli_json, picked_buildpack, run_cli


def _pins(requirements: Path) -> dict[str, str]:
    out = {}
    for line in requirements.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            req = Requirement(line)
            [spec] = list(req.specifier)
            assert spec.operator == "==", line
            out[canonicalize_name(req.name)] = spec.version
    return out


def test_this_repos_binder_picks_the_python_buildpack(repo_root: Path) -> None:
    """This repo's binder/: Python buildpack, Python 3.10 (the demo's runtime.txt), our postBuild."""
    bp = picked_buildpack(repo_root)
    assert bp["name"] == "PythonBuildPack"
    assert bp["binder_dir"] == "binder"
    assert bp["python_version"] == "3.10"
    assert any('-r "binder/requirements.txt"' in c for c in bp["preassemble"] + bp["assemble"])
    # The root pyproject.toml is not pip-installed by repo2docker: postBuild installs the checkout.
    assert not any("install --no-cache-dir ." in c for c in bp["assemble"])
    assert bp["post_build"] == ["binder/postBuild"]
    assert os.access(repo_root / "binder" / "postBuild", os.X_OK)
    demo = api.find_project(repo_root / "binder" / "demo" / "demo.ipynb")
    assert demo is not None and demo.root == repo_root / "binder" / "demo"
    assert demo.python is not None and demo.python.specifier == "==3.10.*"


def test_binder_for_a_uv_lock_project(project_copy) -> None:
    """SharedControlPaper (uv.lock): requirements.txt pins equal the lock; Python buildpack."""
    root = project_copy("kriti-ach__SharedControlPaper")
    [before] = api.detect(root)
    locked = UvBuilder().locked_packages(before)
    res = cli_json("binder", str(root))
    assert res["kind"] == "requirements" and not res["locked_first"]
    assert Path(res["lock"]) == root / "uv.lock"
    written = _pins(root / "binder" / "requirements.txt")
    assert written == locked  # every locked distribution, at its locked version
    assert "ipykernel" in written  # from the dev group the project keeps ipykernel in
    bp = picked_buildpack(root)
    assert bp["name"] == "PythonBuildPack" and bp["binder_dir"] == "binder"
    assert bp["python_version"] == res["python"]
    assert (root / "binder" / "runtime.txt").read_text() == f"python-{res['python']}\n"
    assert bp["post_build"] == ["binder/postBuild"]
    post = (root / "binder" / "postBuild").read_text()
    display = f"Python {res['python']} ({before.name})"
    assert (f"python -m ipykernel install --sys-prefix --name {shlex.quote(before.kernel_name)} "
            f"--display-name {shlex.quote(display)}") in post
    assert before.kernel_name == res["kernel_name"]
    # Binder now ignores the root files: say so.
    assert any("pyproject.toml" in w and "ignore" in w for w in res["warnings"])


def test_binder_for_a_conda_lock_project(project_copy) -> None:
    """egu22pygmt (old-format conda-lock.yml): environment.yml = the lock's linux-64 pins; Conda buildpack."""
    root = project_copy("GenericMappingTools__egu22pygmt")
    lock = read_conda_lock(root / "conda-lock.yml")
    res = cli_json("binder", str(root))
    assert res["kind"] == "environment" and res["python"] == "3.9"
    doc = yaml.safe_load((root / "binder" / "environment.yml").read_text())
    conda = {d for d in doc["dependencies"] if isinstance(d, str)}
    pip = next(d["pip"] for d in doc["dependencies"] if isinstance(d, dict))
    want_conda = {f"{p.name}={p.version}={p.filename.rsplit('-', 1)[1].split('.')[0]}"
                  for p in lock.for_platform("linux-64", manager="conda")}
    assert conda == want_conda
    assert sorted(pip) == sorted(f"{p.name}=={p.version}" for p in lock.for_platform("linux-64", manager="pip"))
    assert "lazrs==0.4.3" in pip  # the lock's manager: pip entry
    assert doc["channels"] == ["conda-forge", "nodefaults"]
    bp = picked_buildpack(root)
    assert bp["name"] == "CondaBuildPack"
    assert bp["environment_yaml"] == "binder/environment.yml"
    assert bp["python_version"] == "3.9"
    assert bp["post_build"] == ["binder/postBuild"]
    assert not (root / "binder" / "runtime.txt").exists()


def test_existing_binder_folders_are_refused_or_replaced(project_copy) -> None:
    """An author's binder/ env is what detect reports: refused even with --force (never replaced
    by the root lock's env); binder/ plus .binder/ is an error."""
    root = project_copy("kriti-ach__SharedControlPaper")
    (root / "binder").mkdir()
    (root / "binder" / "environment.yml").write_text("dependencies: [python=3.11]\n")
    (root / "binder" / "apt.txt").write_text("graphviz\n")
    for args in ((), ("--force",)):
        proc = run_cli("binder", str(root), *args, check=False)
        assert proc.returncode == 1
        assert "holds this project's own Binder environment (binder/environment.yml)" in proc.stderr
        assert (root / "binder" / "environment.yml").exists()  # untouched
        assert (root / "binder" / "apt.txt").read_text() == "graphviz\n"

    (root / ".binder").mkdir()
    proc = run_cli("binder", str(root), "--force", check=False)
    assert proc.returncode == 1
    assert "both binder/ and .binder/" in proc.stderr
