"""This repository's binder/postBuild, run in a temporary venv that stands in for the Binder image.

repo2docker cannot build images here (no Docker engine), so the image is stood in for:

* the checkout repo2docker copies into the image: a copy of this working tree (no .git,
  no envs, no build outputs);
* the image's env after repo2docker installed binder/requirements.txt (JupyterLab and
  its stack): a fresh venv whose site-packages are extended, through a ``.pth`` file,
  with this test environment's (which holds the same JupyterLab stack);
* the build step: binder/postBuild itself, run with bash and that venv first on PATH, as
  repo2docker runs it. It pip-installs kernelenv from the checkout and builds the demo
  env with the real CLI and uv. The sidebar's JavaScript is not rebuilt with npm here: the
  checkout copy gets this working tree's build (``make setup-lab`` builds it), which
  postBuild then installs into the image's env; without a build the step is skipped with
  KERNELENV_BINDER_SKIP_LABEXTENSION=1.

Then the demo notebook, saved with the portable "Python (project env)" kernel, is run
with nbclient by the stand-in's own Python, as the image's Jupyter would.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tests.binder.conftest import REPO

pytestmark = pytest.mark.e2e

IGNORE = shutil.ignore_patterns(".git", ".venv", ".cache", "node_modules", ".kernelenv", "__pycache__",
                                "*.egg-info", "build", "dist", ".pytest_cache", "*.vsix", "_build")

RUN_NOTEBOOK = r"""
import json, os, sys
import nbformat
from nbclient import NotebookClient

path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
os.environ["JPY_SESSION_NAME"] = path  # what Jupyter Server sets for a notebook's kernel
client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": os.path.dirname(path)}})
client.execute()
outputs = [{"type": o.output_type, "text": o.get("text", ""), "data": sorted(o.get("data", {}))}
           for c in nb.cells for o in c.get("outputs", [])]
print(json.dumps({"kernel": client.kernel_name, "outputs": outputs}))
"""


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> dict[str, Path]:
    """The stand-in image after binder/postBuild ran (see the module docstring)."""
    base = tmp_path_factory.mktemp("binder-image")
    checkout = base / "repo"
    shutil.copytree(REPO, checkout, ignore=IGNORE, symlinks=True)
    env = base / "notebook-env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, stdin=subprocess.DEVNULL)
    [sp] = list(env.glob("lib/python*/site-packages"))
    (sp / "_image_stack.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    run_env.update(PATH=f"{env / 'bin'}{os.pathsep}{os.environ['PATH']}", PIP_DISABLE_PIP_VERSION_CHECK="1")
    built = REPO / "jupyter_ext" / "labextension" / "build" / "kernelenv"
    if (built / "package.json").is_file():
        shutil.copytree(built, checkout / "jupyter_ext" / "labextension" / "build" / "kernelenv")
    else:
        run_env["KERNELENV_BINDER_SKIP_LABEXTENSION"] = "1"
    proc = subprocess.run(["bash", str(checkout / "binder" / "postBuild")], cwd=checkout, env=run_env,
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"postBuild failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return {"checkout": checkout, "env": env, "run_env": run_env, "log": proc.stdout + proc.stderr,
            "sidebar": "KERNELENV_BINDER_SKIP_LABEXTENSION" not in run_env}


def test_postbuild_installs_kernelenv_and_builds_the_demo_env(image) -> None:
    """After postBuild: kernelenv is the checkout's, the demo env is ready, its kernel is registered."""
    env, demo = image["env"], image["checkout"] / "binder" / "demo"
    python = env / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import kernelenv, kernelenv_jupyter; print(kernelenv.__file__)"],
                           capture_output=True, text=True, check=True, env=image["run_env"], cwd=env).stdout
    assert where.startswith(str(env))  # installed into the image's env, not this test env's
    status = json.loads(subprocess.run([str(env / "bin" / "kernelenv"), "status", str(demo), "--json"],
                                       capture_output=True, text=True, check=True,
                                       env=image["run_env"]).stdout)
    assert status[0]["status"]["status"] == "ready"
    assert status[0]["status"]["python_version"].startswith("3.10.")  # the demo's runtime.txt
    kernels = env / "share" / "jupyter" / "kernels"
    demo_spec = json.loads((kernels / "demo" / "kernel.json").read_text())
    assert demo_spec["metadata"]["kernelenv"]["project"] == str(demo)
    portable = json.loads((kernels / "kernelenv-project" / "kernel.json").read_text())
    assert portable["display_name"] == "Python (project env)"
    assert (env / "etc" / "jupyter" / "jupyter_server_config.d" / "kernelenv.json").is_file()
    if image["sidebar"]:
        listed = subprocess.run([str(python), "-m", "jupyterlab.labextensions", "list"], capture_output=True,
                                text=True, env=image["run_env"], cwd=env)
        assert any("kernelenv" in ln and "enabled" in ln and "OK" in ln
                   for ln in (listed.stdout + listed.stderr).splitlines()), listed.stdout + listed.stderr
        assert str(env) in listed.stdout + listed.stderr  # the image env's copy, not the dev venv's


def test_demo_notebook_runs_in_the_demo_env(image) -> None:
    """The demo notebook, saved with the portable kernel, runs every cell in binder/demo's env."""
    demo = image["checkout"] / "binder" / "demo"
    saved = nbformat.read(demo / "demo.ipynb", as_version=4)
    assert saved.metadata.kernelspec.name == "kernelenv-project"
    proc = subprocess.run([str(image["env"] / "bin" / "python"), "-c", RUN_NOTEBOOK, str(demo / "demo.ipynb")],
                          capture_output=True, text=True, env=image["run_env"], cwd=demo, timeout=900,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["kernel"] == "kernelenv-project"
    text = "".join(o["text"] for o in result["outputs"])
    prefix = text.split("kernel env: ", 1)[1].split()[0]
    assert os.path.realpath(prefix) == os.path.realpath(demo / ".venv")
    assert "pandas 2.2.3" in text and "seaborn 0.13.2" in text  # the demo's pins
    assert any("image/png" in o["data"] for o in result["outputs"])  # the plot cell drew
