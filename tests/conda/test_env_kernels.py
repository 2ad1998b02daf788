"""Conda envs on this machine as kernelspecs on disk (`kernelenv kernels --sync`), and activate.d.

One real conda env (rattler, the local channel, ``hello-activate``'s activate.d script) is built
once; a temporary HOME then holds it three times, where conda users keep envs: in
``~/.conda/envs`` (alpha), in a ``CONDA_ENVS_PATH`` folder (beta) and in a ``.condarc``
``envs_dirs`` folder (gamma). The real CLI syncs them into the Jupyter data dir, nbclient runs
a notebook on a synced kernel by its nb_conda_kernels name, and the activate.d variables reach
the kernel, computed (plain export list) or through the /bin/sh launcher (anything else).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kernelenv import api
from kernelenv.envkernels import SYNC_KEY
from tests.conda.conftest import write_env

MM = "%d.%d" % sys.version_info[:2]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def activate_env(tmp_path_factory, local_channel: Path) -> Path:
    """The real prefix of a conda env with python, ipykernel and hello-activate (built once)."""
    root = tmp_path_factory.mktemp("envkernels") / "actdemo"
    write_env(root, local_channel, [f"python={MM}", "hello-activate", "r-irkernel-debian"],
              extra_channels=["nodefaults"], name="actdemo")
    (project,) = api.detect(root)
    api.create(project)
    return Path(os.path.realpath(root / ".conda"))


@pytest.fixture
def machine(tmp_path: Path, monkeypatch, activate_env: Path) -> dict[str, Path]:
    """A HOME with the env in ~/.conda/envs/alpha, $CONDA_ENVS_PATH/beta and a .condarc dir's gamma."""
    home = tmp_path / "home"
    (home / ".conda" / "envs").mkdir(parents=True)
    cep, rcdir = tmp_path / "cep", tmp_path / "rc-envs"
    cep.mkdir()
    rcdir.mkdir()
    (home / ".condarc").write_text(f"channels: [conda-forge]\nenvs_dirs:\n  - {rcdir}\n")
    for var in ("CONDA_ROOT", "MAMBA_ROOT_PREFIX", "CONDA_EXE", "CONDARC", "CONDA_PREFIX", "XDG_CONFIG_HOME",
                "WORKON_HOME", "CONDA_ENVS_DIRS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CONDA_ENVS_PATH", str(cep))
    envs = {"alpha": home / ".conda" / "envs" / "alpha", "beta": cep / "beta", "gamma": rcdir / "gamma"}
    for link in envs.values():
        link.symlink_to(activate_env, target_is_directory=True)
    kernels = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels"
    yield {"home": home, "kernels": kernels, **envs}
    for name in os.listdir(kernels) if kernels.is_dir() else []:
        if name.startswith("conda-env-"):
            shutil.rmtree(kernels / name)


def sync(*extra: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "kernelenv", "kernels", "--sync", "--json", *extra],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def run_notebook(kernel_name: str, code: str) -> str:
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(nb, kernel_name=kernel_name, timeout=120).execute()
    return "".join(o.get("text", "") for o in nb.cells[0].outputs).strip()


CODE = "import os, sys; print(os.path.realpath(sys.prefix)); print(os.environ.get('HELLO_ACTIVATE')); " \
       "print(os.environ.get('HELLO_SOURCED'))"


def test_sync_writes_nb_conda_kernels_names_and_nbclient_runs_them(machine, activate_env):
    report = sync()
    names = {"conda-env-alpha-py", "conda-env-beta-py", "conda-env-gamma-py"}
    assert names <= set(report["written"]), report
    assert {"conda-env-alpha-r", "conda-env-beta-r"} <= set(report["written"])  # r-irkernel's ir → r
    spec = json.loads((machine["kernels"] / "conda-env-beta-py" / "kernel.json").read_text())
    assert spec["display_name"] == "Python [conda env:beta]"
    assert spec["argv"][0] == str(machine["beta"] / "bin" / "python")
    assert spec["metadata"][SYNC_KEY]["prefix"] == str(machine["beta"])
    # the plain export list is computed into kernel.json: no shell at kernel start
    assert spec["env"]["HELLO_ACTIVATE"] == f"{machine['beta']}/share/hello-activate"
    assert spec["argv"][0] != "/bin/sh"

    out = run_notebook("conda-env-beta-py", CODE).split("\n")
    assert out == [str(activate_env), f"{machine['beta']}/share/hello-activate", "None"]
    assert sync()["written"] == []  # nothing changed, nothing rewritten


def test_sync_never_overwrites_and_removes_filtered_and_gone_envs(machine):
    foreign = machine["kernels"] / "conda-env-gamma-py"
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text(json.dumps({"argv": ["mine"], "display_name": "Mine", "language": "python"}))
    report = sync()
    assert "conda-env-gamma-py" in report["skipped"] and "conda-env-alpha-py" in report["written"]
    assert json.loads((foreign / "kernel.json").read_text())["argv"] == ["mine"]

    report = sync("--env-filter", "/cep/")
    assert {"conda-env-beta-py", "conda-env-beta-r"} <= set(report["removed"])
    assert not (machine["kernels"] / "conda-env-beta-py").exists()
    machine["alpha"].unlink()
    report = sync("--env-filter", "/cep/")
    assert "conda-env-alpha-py" in report["removed"]
    assert (foreign / "kernel.json").exists()  # still not ours, still there


def test_a_script_that_is_not_an_export_list_is_sourced_by_the_launcher(machine, activate_env):
    script = activate_env / "etc" / "conda" / "activate.d" / "zz-kernelenv-test.sh"
    script.write_text('if [ -n "$CONDA_PREFIX" ]; then\n  export HELLO_SOURCED="sourced:$HELLO_ACTIVATE"\nfi\n')
    try:
        sync()
        spec = json.loads((machine["kernels"] / "conda-env-alpha-py" / "kernel.json").read_text())
        assert spec["argv"][:2] == ["/bin/sh", "-c"] and spec["argv"][3] == str(machine["alpha"])
        from kernelenv.activation import program

        assert program(spec["argv"]) == str(machine["alpha"] / "bin" / "python")  # what staleness checks look at
        out = run_notebook("conda-env-alpha-py", CODE).split("\n")
        assert out == [str(activate_env), f"{machine['alpha']}/share/hello-activate",
                       f"sourced:{machine['alpha']}/share/hello-activate"]
    finally:
        script.unlink()


def _irkernel_missing() -> str | None:
    if not Path("/usr/bin/R").exists():
        return "Debian's R is not installed (make setup installs r-base-core and r-cran-irkernel)"
    proc = subprocess.run(["/usr/bin/R", "--slave", "-e", "library(IRkernel)"], capture_output=True, timeout=120)
    return None if proc.returncode == 0 else "IRkernel is not installed (apt-get install r-cran-irkernel)"


def test_the_r_kernel_the_env_ships_is_registered_as_project_r_and_runs(activate_env):
    """r-irkernel-debian (local channel) ships share/jupyter/kernels/ir like conda-forge's
    r-irkernel; its argv runs Debian's R, as conda-forge's r-base cannot be downloaded here."""
    missing = _irkernel_missing()
    if missing:
        pytest.skip(missing)
    from jupyter_client.kernelspec import KernelSpecManager

    from tests.engine.kernel_utils import run_in_kernel

    spec = KernelSpecManager().get_kernel_spec("actdemo-r")
    assert spec.display_name == "R (actdemo)" and spec.language == "R"
    project_link = activate_env.parent.parent.parent / ".conda"
    assert spec.env["CONDA_PREFIX"] == str(project_link)  # activated like the Python kernel
    assert spec.env["HELLO_ACTIVATE"] == f"{project_link}/share/hello-activate"
    assert run_in_kernel("actdemo-r", "cat(6*7)").strip() == "42"
    assert run_in_kernel("actdemo-r", "cat(Sys.getenv('HELLO_ACTIVATE'))").strip() == spec.env["HELLO_ACTIVATE"]


def test_shipped_kernels_follow_the_env_and_foreign_ones_are_kept(tmp_path):
    """register_shipped on an env folder (a plain folder: no build needed for the bookkeeping):
    a kernel the env stops shipping is unregistered, a foreign ``proj-julia`` is never touched."""
    from kernelenv.envkernels import register_shipped, unregister_shipped
    from kernelenv.model import Backend, Project

    env, kernels, root = tmp_path / "env", tmp_path / "kernels", tmp_path / "proj"
    root.mkdir()
    for k in ("ir", "julia-1.10"):
        (env / "share/jupyter/kernels" / k).mkdir(parents=True)
        (env / "share/jupyter/kernels" / k / "kernel.json").write_text(json.dumps(
            {"argv": [k, "{connection_file}"], "display_name": k, "language": k}))
    (kernels / "proj-julia-1.10").mkdir(parents=True)
    (kernels / "proj-julia-1.10" / "kernel.json").write_text('{"argv": ["theirs"], "display_name": "x"}')
    project = Project(root=root, name="proj", backend=Backend.RATTLER, backend_reason="test")
    assert register_shipped(project, env, "conda", "proj", kernels) == ["proj-r"]
    assert json.loads((kernels / "proj-julia-1.10" / "kernel.json").read_text())["argv"] == ["theirs"]
    shutil.rmtree(env / "share/jupyter/kernels/ir")
    assert register_shipped(project, env, "conda", "proj", kernels) == []
    assert not (kernels / "proj-r").exists() and (kernels / "proj-julia-1.10").exists()
    assert unregister_shipped(root, "proj", kernels) == []


def test_an_env_that_asks_for_no_python_gets_no_ipykernel_and_its_r_kernel(tmp_path, local_channel):
    """environment.yml with only an R kernel package: no python and no ipykernel are added, the
    env is ready, ``ronly-r`` runs R, and no Python kernel ``ronly`` is registered."""
    missing = _irkernel_missing()
    if missing:
        pytest.skip(missing)
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    from kernelenv.model import Status
    from tests.engine.kernel_utils import run_in_kernel

    root = tmp_path / "ronly"
    write_env(root, local_channel, ["r-irkernel-debian"], extra_channels=["nodefaults"], name="ronly")
    (project,) = api.detect(root)
    report = api.create(project)
    assert report.status is Status.READY and report.python is None, report
    assert not (root / ".conda" / "bin" / "python").exists()
    assert not list((root / ".conda" / "conda-meta").glob("ipykernel-*.json"))
    assert run_in_kernel("ronly-r", "cat(6*7)").strip() == "42"
    with pytest.raises(NoSuchKernel):
        KernelSpecManager().get_kernel_spec("ronly")
    api.purge(project)
    with pytest.raises(NoSuchKernel):
        KernelSpecManager().get_kernel_spec("ronly-r")
