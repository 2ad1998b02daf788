"""The portable "Python (project env)" kernel in clients other than Jupyter Server.

papermill (from the notebook's folder and with ``--cwd``), ``jupyter nbconvert --execute`` with
a bare file name, and a raw launch of kernel.json's argv (what VS Code does: no provisioner)
all run the notebook in its project's env, or in the error kernel when there is none. Real
papermill, nbconvert and kernels; one small uv env built once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

from tests.jupyter.conftest import REPO, SHIPPED_KERNELSPEC

CODE = "import os, sys; print(os.path.realpath(sys.prefix))"


@pytest.fixture(scope="session")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A requirements.txt project (``six``) with a uv env, built once."""
    from kernelenv import api

    root = tmp_path_factory.mktemp("portable") / "tiny"
    (root / "notebooks").mkdir(parents=True)
    (root / "requirements.txt").write_text("six\n")
    api.create(api.find_project(root))
    return root


def env_of(project: Path) -> str:
    return os.path.realpath(project / ".venv")


def _subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)  # this checkout's kernelenv (the conftest drops pytest-jupyter's path)
    env.pop("KERNELENV_PROJECT", None)
    return env


def _notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CODE)])
    nb.metadata["kernelspec"] = {"name": "kernelenv-project", "display_name": "Python (project env)",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def _printed(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()


def _run(argv: list[str], cwd: Path) -> None:
    proc = subprocess.run(argv, cwd=cwd, env=_subprocess_env(), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_papermill_from_the_notebook_folder(shipped_files, tiny_project):
    nb = _notebook(tiny_project / "notebooks" / "pm.ipynb")
    _run([sys.executable, "-m", "papermill", nb.name, "out-pm.ipynb"], cwd=nb.parent)
    assert _printed(nb.parent / "out-pm.ipynb") == env_of(tiny_project)


def test_papermill_with_cwd_from_another_folder(shipped_files, tiny_project, tmp_path):
    nb = _notebook(tmp_path / "elsewhere.ipynb")  # the notebook is in no project: --cwd decides
    out = tmp_path / "out.ipynb"
    _run([sys.executable, "-m", "papermill", str(nb), str(out), "--cwd", str(tiny_project / "notebooks")],
         cwd=tmp_path)
    assert _printed(out) == env_of(tiny_project)


def test_nbconvert_execute_with_a_bare_file_name(shipped_files, tiny_project):
    nb = _notebook(tiny_project / "notebooks" / "nbc.ipynb")
    _run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute", nb.name,
          "--output", "out-nbc.ipynb"], cwd=nb.parent)
    assert _printed(nb.parent / "out-nbc.ipynb") == env_of(tiny_project)


def _raw_launch(cwd: Path, tmp_path: Path, **extra_env: str) -> dict:
    """Start kernel.json's argv as a client that ignores kernel provisioners does (the spec
    without its ``kernel_provisioner`` metadata: jupyter_client then runs the argv as it is,
    "python" being the client's interpreter), execute CODE, return ``{"status", "stdout", "evalue"}``."""
    spec = json.loads((SHIPPED_KERNELSPEC / "kernel.json").read_text())
    spec.pop("metadata")
    spec_dir = tmp_path / "kernels" / "raw-portable"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    km = KernelManager(kernel_name="raw-portable",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec_dir.parent)]))
    km.start_kernel(cwd=str(cwd), env={**_subprocess_env(), **extra_env})
    kc = km.client()
    kc.start_channels()
    out: list[str] = []
    try:
        kc.wait_for_ready(timeout=120)
        reply = kc.execute_interactive(CODE, timeout=60, output_hook=lambda m: out.append(
            m["content"].get("text", "")) if m["header"]["msg_type"] == "stream" else None)
        content = reply["content"]
        return {"status": content["status"], "stdout": "".join(out).strip(), "evalue": content.get("evalue", "")}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_raw_argv_launch_uses_kernelenv_project(shipped_files, tiny_project, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    result = _raw_launch(other, tmp_path, KERNELENV_PROJECT=str(tiny_project))
    assert result == {"status": "ok", "stdout": env_of(tiny_project), "evalue": ""}


def test_raw_argv_launch_without_a_project_is_the_error_kernel(shipped_files, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    result = _raw_launch(other, tmp_path)
    assert result["status"] == "error" and result["stdout"] == ""
    assert "No project found" in result["evalue"] and "KERNELENV_PROJECT" in result["evalue"]


def test_error_kernel_message_for_a_missing_env_says_it_once(tmp_path):
    """The portable kernel on a project with no env: the problem and the fix once each (the
    sidebar's Create button and the terminal command), not the engine's advice and ours twice."""
    from kernelenv import api
    from kernelenv.portable import unusable_message

    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    [project] = api.detect(root)
    text = unusable_message(project, api.status(project))
    assert text.count("kernelenv create") == 1 and text.count("Create button") == 1
    assert text.startswith(f"Project 'proj' ({root}) has no env yet.")
