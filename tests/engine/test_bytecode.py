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


def _env_like(donor: Path, new: Path, modules: list[str]) -> None:
    """``new``: an env folder holding ``modules`` (paths relative to the env) as hard links
    of ``donor``'s, and its ``bin/python`` as the donor's interpreter file."""
    for rel in ["bin/python", *modules]:
        (new / rel).parent.mkdir(parents=True, exist_ok=True)
        os.link(donor / rel, new / rel)


def test_identical_only_when_every_module_the_donor_ran_is_the_same_file(tmp_path: Path) -> None:
    """`identical` (the check then only starts the interpreter, kernelenv.operations._verify)
    needs the donor's interpreter file and every module its kernel start loaded, as the very
    same files; a module the new env lacks or holds as another file, or another interpreter,
    leaves the full import check in place."""
    donor = tmp_path / "donor"
    kernel = "lib/python3.99/site-packages/ipykernel"
    modules = [f"{kernel}/kernelapp.py", "lib/python3.99/site-packages/zmq/sugar.py",
               "lib/python3.99/site-packages/zmq/error.py"]
    (donor / "bin").mkdir(parents=True)
    (donor / "bin" / "python").write_text("interpreter")
    for rel in modules:
        (donor / rel).parent.mkdir(parents=True, exist_ok=True)
        (donor / rel).write_text(f"# {rel}\n")
        cache = donor / Path(rel).parent / "__pycache__"
        cache.mkdir(exist_ok=True)
        (cache / f"{Path(rel).stem}.{TAG}.pyc").write_bytes(b"pyc")
    record_pycache(donor, sorted({str(donor / Path(rel).parent / "__pycache__") for rel in modules}))

    same = tmp_path / "same"
    _env_like(donor, same, modules)
    took = reuse_bytecode(same, [donor])
    assert (took.linked, took.complete, took.identical) == (3, True, True)

    lacking = tmp_path / "lacking"  # zmq/error.py absent: importing ipykernel could fail there
    _env_like(donor, lacking, modules[:2])
    took = reuse_bytecode(lacking, [donor])
    assert (took.complete, took.identical) == (True, False)

    edited = tmp_path / "edited"  # zmq/error.py another file with its own bytecode
    _env_like(donor, edited, modules[:2])
    (edited / modules[2]).write_text("raise ImportError\n")
    (edited / Path(modules[2]).parent / "__pycache__").mkdir(exist_ok=True)
    (edited / Path(modules[2]).parent / "__pycache__" / f"error.{TAG}.pyc").write_bytes(b"own")
    took = reuse_bytecode(edited, [donor])
    assert (took.complete, took.identical) == (True, False)

    other_interpreter = tmp_path / "other-interpreter"
    _env_like(donor, other_interpreter, modules)
    (other_interpreter / "bin" / "python").unlink()
    (other_interpreter / "bin" / "python").write_text("interpreter")
    took = reuse_bytecode(other_interpreter, [donor])
    assert (took.complete, took.identical) == (True, False)


def test_proven_check_still_requires_ipykernel_in_the_env(tmp_path: Path) -> None:
    """The short check of an `identical` env finds ipykernel inside the env; where it does not
    (here a venv without it), the full import runs and the build is refused."""
    from kernelenv.errors import BuildError
    from kernelenv.operations import _verify
    from kernelenv.progress import Reporter
    from kernelenv.uvtool import uv_bin

    venv = tmp_path / "venv"
    subprocess.run([uv_bin(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    logs: list[str] = []
    reporter = Reporter(on_log=logs.append)
    with pytest.raises(BuildError) as err:
        _verify(venv / "bin" / "python", reporter, prefix=venv, proven=True)
    assert "cannot import ipykernel" in str(err.value)
    assert any("importing it" in line for line in logs), logs


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
    # the same packages from the same uv cache: the check only starts the interpreter
    assert "are the same files as in an env that ran it" in proc.stderr, proc.stderr

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
