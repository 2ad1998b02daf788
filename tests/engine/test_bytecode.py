"""Bytecode taken over from earlier envs (kernelenv/bytecode.py, issue 15): a new build, or a
second project with the same packages, links in the .pyc files of the same source files
instead of compiling ~650 modules again; never a .pyc whose source is another file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelenv.bytecode import LIST_NAME, record_pycache, reuse_bytecode
from kernelenv.layout import link_target, site_packages
from tests.engine.conftest import cli_json, requirements_project_at, run_cli
from tests.engine.kernel_utils import run_in_kernel

TAG = sys.implementation.cache_tag


def test_only_pyc_of_the_very_same_source_file_is_linked(tmp_path: Path) -> None:
    """A source hard-linked from the same cache entry gets the donor's .pyc (same inode); a
    copy with identical text and an edited file get nothing; an existing .pyc is kept;
    folders not in the donor's list, or listed with `..`, are not looked at."""
    donor, new = tmp_path / "donor", tmp_path / "new"
    for d in (donor, new):
        (d / "pkg" / "__pycache__").mkdir(parents=True)
        (d / "other" / "__pycache__").mkdir(parents=True)
    for name in ("same", "copied", "edited", "kept"):
        (donor / "pkg" / f"{name}.py").write_text(f"X = {name!r}\n")
        (donor / "pkg" / "__pycache__" / f"{name}.{TAG}.pyc").write_bytes(b"donor " + name.encode())
    (donor / "other" / "unlisted.py").write_text("")
    (donor / "other" / "__pycache__" / f"unlisted.{TAG}.pyc").write_bytes(b"donor")
    os.link(donor / "other" / "unlisted.py", new / "other" / "unlisted.py")
    os.link(donor / "pkg" / "same.py", new / "pkg" / "same.py")
    os.link(donor / "pkg" / "kept.py", new / "pkg" / "kept.py")
    (new / "pkg" / "copied.py").write_text("X = 'copied'\n")
    (new / "pkg" / "edited.py").write_text("X = 'other'\n")
    (new / "pkg" / "__pycache__" / f"kept.{TAG}.pyc").write_bytes(b"own")
    record_pycache(donor, [str(donor / "pkg" / "__pycache__"), str(tmp_path / "elsewhere" / "__pycache__")])
    assert (donor / LIST_NAME).read_text() == "pkg/__pycache__\n"
    (donor / LIST_NAME).write_text("pkg/__pycache__\n../donor/other/__pycache__\n")

    took = reuse_bytecode(new, [donor])
    assert took.linked == 1 and not took.complete  # copied.py and edited.py must still be compiled
    cache = new / "pkg" / "__pycache__"
    assert (cache / f"same.{TAG}.pyc").stat().st_ino == (donor / "pkg" / "__pycache__" / f"same.{TAG}.pyc").stat().st_ino
    assert not (cache / f"copied.{TAG}.pyc").exists() and not (cache / f"edited.{TAG}.pyc").exists()
    assert (cache / f"kept.{TAG}.pyc").read_bytes() == b"own"
    assert not (new / "other" / "__pycache__" / f"unlisted.{TAG}.pyc").exists()

    # Every listed module with the same source, ipykernel's among them: complete, and the new
    # env keeps the list. A donor of another Python version shares no folder: not complete.
    kernel = "lib/python3.99/site-packages/ipykernel"
    (donor / kernel / "__pycache__").mkdir(parents=True)
    (donor / kernel / "kernelapp.py").write_text("")
    (donor / kernel / "__pycache__" / f"kernelapp.{TAG}.pyc").write_bytes(b"donor")
    (donor / LIST_NAME).write_text(f"pkg/__pycache__\n{kernel}/__pycache__\n")
    third = tmp_path / "third"
    (third / "pkg").mkdir(parents=True)
    (third / kernel).mkdir(parents=True)
    for name in ("pkg/same.py", "pkg/kept.py", f"{kernel}/kernelapp.py"):
        os.link(donor / name, third / name)
    for name in ("copied", "edited"):
        (donor / "pkg" / "__pycache__" / f"{name}.{TAG}.pyc").unlink()
    took = reuse_bytecode(third, [donor])
    assert (took.linked, took.complete) == (3, True)
    assert (third / LIST_NAME).read_text() == f"{kernel}/__pycache__\npkg/__pycache__\n"
    other_python = tmp_path / "other-python"
    (other_python / "lib/python3.98/site-packages/ipykernel").mkdir(parents=True)
    took = reuse_bytecode(other_python, [donor])
    assert (took.linked, took.complete) == (0, False)


@pytest.mark.e2e
def test_second_project_and_rebuild_share_the_kernels_bytecode(tmp_path: Path) -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, the first build compiles what a kernel start
    imports; a second project with the same packages, and a forced build of the same spec, share
    those .pyc files (one inode) and their kernels run."""
    # Its own project index, so the donors are these two projects' envs only.
    env = {"PYTHONDONTWRITEBYTECODE": "1", "KERNELENV_STATE_HOME": str(tmp_path / "state")}
    roots = [requirements_project_at(tmp_path, "first", "six\n", env=env),
             requirements_project_at(tmp_path, "second", "six\n", command=None)]
    proc = run_cli("create", "-v", str(roots[1]), env=env)
    assert "(all a kernel start loads)" in proc.stderr, proc.stderr

    def kernelapp_pyc(root: Path) -> Path:
        [sp] = site_packages(link_target(root / ".venv"))
        return sp / "ipykernel" / "__pycache__" / f"kernelapp.{TAG}.pyc"

    first = kernelapp_pyc(roots[0])
    assert first.is_file() and kernelapp_pyc(roots[1]).stat().st_ino == first.stat().st_ino
    listed = (link_target(roots[0] / ".venv") / LIST_NAME).read_text().split()
    assert any(d.endswith("site-packages/IPython/core/__pycache__") for d in listed), listed

    # With bytecode writing on, the check imports only ipykernel: that env keeps no list, so a
    # later build never mistakes it for what a whole kernel start loads.
    third = requirements_project_at(tmp_path, "third", "six\n", command=None)
    writing = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
               "KERNELENV_STATE_HOME": str(tmp_path / "state-writing")}
    subprocess.run([sys.executable, "-m", "kernelenv", "create", str(third)], env=writing, check=True,
                   capture_output=True, timeout=900)
    assert not (link_target(third / ".venv") / LIST_NAME).exists()
    # A forced build from the same spec (what `add`/`remove` run) links from the env it replaces.
    # (Not `rebuild`: its pylock.toml is installed from URLs, which uv 0.13 downloads and unpacks
    # anew on every install, so those files share no inode with any earlier env.)
    before = kernelapp_pyc(roots[1])
    proc = run_cli("create", "--force", "-v", str(roots[1]), env=env)
    assert "Reused the compiled bytecode of" in proc.stderr, proc.stderr
    assert kernelapp_pyc(roots[1]) != before and kernelapp_pyc(roots[1]).stat().st_ino == first.stat().st_ino
    [st] = cli_json("status", str(roots[1]), env=env)
    out = run_in_kernel(st["kernel_name"], "import six, sys; print(six.__name__, sys.prefix)")
    assert out.split() == ["six", str(roots[1] / ".venv")]
