"""The Jupyter server face stays inside its ``root_dir`` (issue 17, item 4).

A real Jupyter Server (pytest-jupyter) with the shipped config; the attacks are requests
any authenticated client (or a page that got the token) can send: a session whose path
lies outside the root, and a ``python`` option naming an arbitrary executable.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest

from kernelenv.interpreters import check_request, find_interpreters
from tests.jupyter.helpers import execute, wait_job

A = "kernelenv/api"


@pytest.fixture
def auto_create_config(jp_server_config):
    jp_server_config["Kernelenv"] = {"auto_create": True}
    return jp_server_config


@pytest.fixture
def outside(tmp_path_factory) -> Path:
    """A project folder outside the server root (requirements.txt + a notebook)."""
    proj = tmp_path_factory.mktemp("outside-root") / "victim"
    proj.mkdir()
    (proj / "requirements.txt").write_text("six\n")
    nbformat.write(nbformat.v4.new_notebook(), proj / "nb.ipynb")
    return proj


@pytest.mark.parametrize("how", ["absolute name", "dotdot path", "symlink inside root"])
async def test_session_outside_root_starts_the_error_kernel_and_builds_nothing(
        how, auto_create_config, kapi, jp_serverapp, workdir, session_root, outside):
    """With auto_create on, a session pointing outside the root would have built and run that
    folder's env; it must start the error kernel saying why, and write nothing there."""
    inside = workdir / "inside"
    inside.mkdir()
    nbformat.write(nbformat.v4.new_notebook(), inside / "nb.ipynb")
    rel_inside = (inside / "nb.ipynb").relative_to(session_root).as_posix()
    if how == "absolute name":
        body = {"path": rel_inside, "name": str(outside / "nb.ipynb")}
    elif how == "dotdot path":
        up = "../" * len(inside.relative_to(session_root.parent).parts)
        body = {"path": rel_inside, "name": f"{up}{outside.relative_to(outside.anchor)}/nb.ipynb"}
    else:
        (workdir / "link").symlink_to(outside, target_is_directory=True)
        body = {"path": f"{workdir.name}/link/nb.ipynb"}
    code, _, session = await kapi("POST", "api/sessions", timeout=120, body={
        **body, "type": "notebook", "kernel": {"name": "kernelenv-project"}})
    assert code == 201, session
    out = await execute(jp_serverapp, session["kernel"]["id"], "print('hello')")
    await kapi("DELETE", f"api/sessions/{session['id']}")
    assert out["status"] == "error" and out["stdout"] == "", out
    assert out["error"]["ename"] == "KernelenvEnvError"
    msg = out["error"]["evalue"]
    assert "outside the Jupyter server's root folder" in msg and str(session_root.resolve()) in msg
    assert not (outside / ".kernelenv").exists() and not (outside / ".venv").exists()


@pytest.mark.parametrize("python", ["/bin/sh", "MARKER", "../../../usr/bin/python3", "3.11; touch x"])
async def test_create_refuses_a_python_that_is_not_a_version_or_discovered(
        python, kapi, workdir, tmp_path):
    marker = tmp_path / "ran"
    if python == "MARKER":  # an executable that leaves a trace if anything runs it
        exe = tmp_path / "python3.11"
        exe.write_text(f"#!/bin/sh\ntouch {marker}\necho 3.11.0\n")
        exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
        python = str(exe)
    proj = workdir / "p"
    proj.mkdir()
    (proj / "requirements.txt").write_text("six\n")
    path = quote(f"{workdir.name}/p", safe="")
    code, _, data = await kapi("POST", f"{A}/projects/{path}/create", body={"python": python})
    assert code == 400, data
    assert "kernelenv pythons" in data["message"] and repr(python) in data["message"]
    assert not marker.exists(), "the given executable must never run"
    assert not (proj / ".kernelenv").exists(), "no job was started"


def test_discovered_interpreter_paths_and_versions_are_accepted() -> None:
    found = find_interpreters()
    assert found, "pyenv's Pythons are installed on this machine"
    assert check_request(str(found[0].path), found) == str(found[0].path)
    assert check_request(" 3.11 ", found) == "3.11"
    assert check_request(">=3.10,<3.13", found) == ">=3.10,<3.13"
    with pytest.raises(ValueError, match="kernelenv pythons"):
        check_request(os.path.realpath("/bin/sh"), found)


async def test_action_that_runs_the_build_backend_needs_confirmation(kapi, workdir):
    """`-e .` makes create/lock run the project's setup.py: without the flag, 409 and the reason;
    nothing starts. With it, the job starts (its outcome is not the point here)."""
    proj = workdir / "editable"
    proj.mkdir()
    (proj / "requirements.txt").write_text("-e .\n")
    (proj / "setup.py").write_text("raise SystemExit('setup.py ran')\n")
    path = quote(f"{workdir.name}/editable", safe="")
    code, _, data = await kapi("GET", f"{A}/projects?path={quote(workdir.name)}")
    (model,) = data["projects"]
    assert "requirements.txt:1: -e ." in model["runs_build_backend"]
    for action in ("create", "lock", "rebuild"):
        code, _, data = await kapi("POST", f"{A}/projects/{path}/{action}", body={})
        assert code == 409, data
        assert data["code"] == "confirm-build-backend" and "-e ." in data["runs_build_backend"]
        assert "confirm_build_backend" in data["message"]
    assert not (proj / ".kernelenv").exists(), "nothing started"
    code, _, data = await kapi("POST", f"{A}/projects/{path}/remove", body={"confirm_build_backend": True})
    assert code == 400, data  # remove runs nothing: the flag is not an option there
    code, _, job = await kapi("POST", f"{A}/projects/{path}/lock", body={"confirm_build_backend": True})
    assert code == 202, job
    job = await wait_job(kapi, job["id"], timeout=300)
    assert job["state"] == "failed" and "setup.py ran" in json.dumps(job), "uv ran setup.py, as announced"
