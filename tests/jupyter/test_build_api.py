"""End to end through the server: build a real corpus env with the REST API, run kernels in it.

binder-examples__requirements (Python 3.10 from runtime.txt, numpy/pandas/scipy/matplotlib/
seaborn pinned) is created once per session through ``POST .../create`` (the first test
here); the later tests reuse that env (``built_project``). Real uv, real kernels, a real
Jupyter Server; the only timing assertion is the one issue 4 demands (the server answers
within 1 s while a rebuild runs).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from urllib.parse import quote

import nbformat

from tests.jupyter.helpers import execute, wait_job

A = "kernelenv/api"
PREFIX_CODE = "import os, sys, numpy, pandas; print(os.path.realpath(sys.prefix)); print(numpy.__version__)"


def rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def live_env(project: Path) -> str:
    return os.path.realpath(project / ".venv")


async def start_kernel(kapi, name: str) -> str:
    code, _, model = await kapi("POST", "api/kernels", body={"name": name})
    assert code == 201, model
    return model["id"]


async def test_create_through_api_then_run_its_kernel(kapi, jp_serverapp, corpus_project, session_root):
    path = rel(corpus_project, session_root)
    code, headers, job = await kapi("POST", f"{A}/projects/{quote(path, safe='')}/create", body={})
    assert code == 202, job
    assert headers["Location"].endswith(f"kernelenv/api/jobs/{job['id']}")
    running = []  # (step, fraction) of every poll that found the job running
    job = await wait_job(kapi, job["id"],
                         until=lambda j: running.append((j["progress"]["step"], j["progress"]["fraction"])) and False)
    assert job["state"] == "succeeded", json.dumps(job, indent=1)
    assert job["progress"]["fraction"] == 1.0 and job["error"] is None
    assert job["result"]["status"] == "ready"
    # progress was reported while it ran: a named step part-way (how many polls land in a
    # ~1.5 s build depends on the machine, so no count of distinct steps is asked for)
    assert any(step and 0 < fraction < 1 for step, fraction in running), running

    code, _, data = await kapi("GET", f"{A}/projects?path={quote(path)}")
    (project,) = data["projects"]
    assert project["status"]["status"] == "ready", project["status"]
    assert project["status"]["python_version"].startswith("3.10.")
    kernel_name = project["kernel_name"]
    code, _, specs = await kapi("GET", "api/kernelspecs")
    assert kernel_name in specs["kernelspecs"]
    assert specs["kernelspecs"][kernel_name]["spec"]["display_name"] == "Python 3.10 (binder-examples__requirements)"

    kid = await start_kernel(kapi, kernel_name)
    out = await execute(jp_serverapp, kid, PREFIX_CODE)
    assert out["status"] == "ok", out
    prefix, numpy_version = out["stdout"].split()
    assert prefix == live_env(corpus_project)
    assert numpy_version == "2.2.2"  # the pin in requirements.txt
    await kapi("DELETE", f"api/kernels/{kid}")


async def test_ready_env_listed_from_project_state(kapi, built_project, session_root, jp_data_dir):
    """A fresh server whose Jupyter data dir lacks the env's kernel.json still lists the project's
    kernel (found under root_dir), and starts it."""
    assert not (jp_data_dir / "kernels" / "binder-examples__requirements").exists()
    await kapi("GET", f"{A}/projects?path={quote(rel(built_project.parent, session_root))}")
    code, _, specs = await kapi("GET", "api/kernelspecs")
    names = [n for n, s in specs["kernelspecs"].items()
             if (s["spec"]["metadata"].get("kernelenv") or {}).get("project") == str(built_project)]
    assert names == ["binder-examples__requirements"], specs["kernelspecs"].keys()


async def test_portable_kernel_runs_the_notebooks_project_env(kapi, jp_serverapp, built_project, session_root):
    nb_dir = built_project / "notebooks"
    nb_dir.mkdir(exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), nb_dir / "analysis.ipynb")
    nb_path = rel(nb_dir / "analysis.ipynb", session_root)
    # as JupyterLab does: path + name, so JPY_SESSION_NAME is <notebook dir>/<name>
    code, _, session = await kapi("POST", "api/sessions", body={
        "path": nb_path, "name": "analysis.ipynb", "type": "notebook",
        "kernel": {"name": "kernelenv-project"}})
    assert code == 201, session
    out = await execute(jp_serverapp, session["kernel"]["id"], PREFIX_CODE)
    assert out["status"] == "ok", out
    assert out["stdout"].split()[0] == live_env(built_project)
    await kapi("DELETE", f"api/sessions/{session['id']}")


async def test_portable_kernel_without_env_is_an_actionable_error_kernel(kapi, jp_serverapp, workdir, session_root):
    proj = workdir / "survey"
    proj.mkdir()
    (proj / "requirements.txt").write_text("requests==2.32.3\n")
    nbformat.write(nbformat.v4.new_notebook(), proj / "survey.ipynb")
    # API-path style JPY_SESSION_NAME (no name): relative to root_dir
    code, _, session = await kapi("POST", "api/sessions", body={
        "path": rel(proj / "survey.ipynb", session_root), "type": "notebook",
        "kernel": {"name": "kernelenv-project"}})
    assert code == 201, session
    out = await execute(jp_serverapp, session["kernel"]["id"], "print('hello')")
    assert out["status"] == "error" and out["stdout"] == ""
    err = out["error"]
    assert err["ename"] == "KernelenvEnvError"
    msg = err["evalue"]
    assert "'survey'" in msg and str(proj) in msg  # which project
    assert "has no env yet" in msg  # what is wrong
    assert f"kernelenv create {proj}" in msg  # how to create it
    assert not (proj / ".kernelenv" / "envs").exists()  # auto_create is off by default
    await kapi("DELETE", f"api/sessions/{session['id']}")


async def test_rebuild_keeps_server_responsive_and_refuses_a_second_job(kapi, jp_serverapp, built_project, session_root):
    path = quote(rel(built_project, session_root), safe="")
    code, _, nb = await kapi("PUT", f"api/contents/{quote(rel(built_project, session_root))}/resp.ipynb",
                             body={"type": "notebook", "content": nbformat.v4.new_notebook()})
    assert code in (200, 201), nb
    kid = await start_kernel(kapi, "python3")
    code, _, job = await kapi("POST", f"{A}/projects/{path}/rebuild", body={})
    assert code == 202, job
    code, _, busy = await kapi("POST", f"{A}/projects/{path}/create", body={})
    assert code == 409 and busy["job"] == job["id"], busy
    assert "already has a running rebuild job" in busy["message"]
    code, _, data = await kapi("GET", f"{A}/projects?path={quote(rel(built_project.parent, session_root))}")
    (p,) = data["projects"]
    assert p["job"] == job["id"] and p["status"]["status"] == "building"

    probes = [f"api/contents/{quote(rel(built_project, session_root))}", f"api/kernels/{kid}",
              "api/kernels", "api/sessions", "api/kernelspecs"]
    async def timed(probe: str) -> float:
        t0 = time.monotonic()
        code, _, body = await kapi("GET", probe, timeout=10)
        assert code == 200, (probe, body)
        return time.monotonic() - t0

    samples, slowest, retried = 0, 0.0, []
    while True:
        code, _, state = await kapi("GET", f"{A}/jobs/{job['id']}")
        if state["state"] != "running":
            break
        for probe in probes:
            dt = await timed(probe)
            if dt >= 1.0:
                # One immediate retry: other processes on this shared 2-core machine can delay a
                # single answer; an event loop blocked by the build delays the retry as well.
                retried.append((probe, round(dt, 2)))
                dt = await timed(probe)
            assert dt < 1.0, f"GET {probe} took {dt:.2f}s (twice) while the rebuild ran"
            slowest = max(slowest, dt)
        samples += 1
        await asyncio.sleep(0.2)
    assert samples >= 3, f"only {samples} probe rounds ran during the rebuild"
    assert state["state"] == "succeeded", json.dumps(state, indent=1)
    assert len(retried) <= samples, retried  # not a systematic slowness
    print(f"{samples} probe rounds during the rebuild; slowest answer {slowest * 1000:.0f} ms; retried {retried}")
    await kapi("DELETE", f"api/kernels/{kid}")


async def test_cancel_leaves_the_previous_env(kapi, jp_serverapp, built_project, session_root):
    before = live_env(built_project)
    path = quote(rel(built_project, session_root), safe="")
    code, _, job = await kapi("POST", f"{A}/projects/{path}/rebuild", body={})
    assert code == 202, job
    # let it get into the build before cancelling
    await wait_job(kapi, job["id"], timeout=300,
                   until=lambda j: j["progress"]["step"] not in ("", "prepare") or j["log"])
    code, _, cancelled = await kapi("DELETE", f"{A}/jobs/{job['id']}")
    assert code == 202 and cancelled["id"] == job["id"]
    job = await wait_job(kapi, job["id"], timeout=300)
    assert job["state"] == "cancelled", json.dumps(job, indent=1)
    assert job["error"]["code"] == "cancelled"
    assert live_env(built_project) == before
    code, _, data = await kapi("GET", f"{A}/projects?path={quote(rel(built_project.parent, session_root))}")
    (p,) = data["projects"]
    assert p["status"]["status"] == "ready" and p["job"] is None
    kid = await start_kernel(kapi, p["kernel_name"])
    out = await execute(jp_serverapp, kid, PREFIX_CODE)
    assert out["status"] == "ok" and out["stdout"].split()[0] == before
    await kapi("DELETE", f"api/kernels/{kid}")


async def test_portable_kernel_outside_a_server_uses_the_notebooks_folder(shipped_files, built_project):
    """nbclient (as nbconvert --execute and papermill use it) runs a notebook saved with the portable
    kernel in its project's env: no server, no JPY_SESSION_NAME, the kernel's cwd is the notebook's folder."""
    from nbclient import NotebookClient

    nb_dir = built_project / "notebooks"
    nb_dir.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PREFIX_CODE)])
    nb.metadata["kernelspec"] = {"name": "kernelenv-project", "display_name": "Python (project env)",
                                 "language": "python"}
    client = NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(nb_dir)}})
    await client.async_execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert text.split()[0] == live_env(built_project), nb.cells[0].outputs
