"""The wrapping KernelSpecManager: conda envs and venvs found by file reads, stale kernels hidden,
mtime-based cache invalidation, composition with another configured manager, auto_create."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from tests.jupyter.helpers import execute, wait_job

A = "kernelenv/api"


async def kernelspecs(kapi) -> dict:
    code, _, data = await kapi("GET", "api/kernelspecs")
    assert code == 200, data
    return data["kernelspecs"]


async def test_conda_env_with_ipykernel_listed_with_nb_conda_kernels_name(kapi, jp_serverapp, jp_home_dir, built_project):
    """A real env with ipykernel (the built corpus env) placed where conda keeps named envs
    (``~/.conda/envs/NAME``; conda itself is not installed on this machine) is listed as
    ``conda-env-NAME-py``, runs, and disappears when the env folder goes (mtime invalidation)."""
    envs = jp_home_dir / ".conda" / "envs"
    envs.mkdir(parents=True)
    specs = await kernelspecs(kapi)
    assert not [n for n in specs if n.startswith("conda-env-")]
    real_env = Path(os.path.realpath(built_project / ".venv"))
    (envs / "Survey_2024").symlink_to(real_env, target_is_directory=True)
    specs = await kernelspecs(kapi)
    spec = specs["conda-env-Survey_2024-py"]["spec"]
    assert spec["display_name"] == "Python [conda env:Survey_2024]"
    assert spec["argv"][0] == str(envs / "Survey_2024" / "bin" / "python")
    assert spec["env"]["CONDA_PREFIX"] == str(envs / "Survey_2024")  # activated as conda would
    code, _, model = await kapi("POST", "api/kernels", body={"name": "conda-env-Survey_2024-py"})
    assert code == 201, model
    out = await execute(jp_serverapp, model["id"],
                        "import os, numpy; print(numpy.__version__, os.environ['CONDA_PREFIX'])")
    assert out["stdout"].split() == ["2.2.2", str(envs / "Survey_2024")], out
    await kapi("DELETE", f"api/kernels/{model['id']}")
    (envs / "Survey_2024").unlink()
    assert "conda-env-Survey_2024-py" not in await kernelspecs(kapi)


async def test_environments_txt_and_envs_without_ipykernel(kapi, jp_home_dir, built_project, tmp_path):
    """Prefixes named in ~/.conda/environments.txt are listed when they have ipykernel; an env
    without ipykernel is not."""
    real_env = Path(os.path.realpath(built_project / ".venv"))
    bare = tmp_path / "bare-env"
    (bare / "bin").mkdir(parents=True)
    (bare / "conda-meta").mkdir()
    (bare / "bin" / "python").symlink_to(sys.executable)  # an interpreter but no ipykernel record
    listed = tmp_path / "projects-env"
    listed.symlink_to(real_env, target_is_directory=True)
    (jp_home_dir / ".conda").mkdir()
    (jp_home_dir / ".conda" / "environments.txt").write_text(f"{bare}\n{listed}\n")
    specs = await kernelspecs(kapi)
    assert "conda-env-projects-env-py" in specs
    assert "conda-env-bare-env-py" not in specs


async def test_stale_kernelenv_kernel_is_hidden(kapi, jp_data_dir, tmp_path):
    ghost = jp_data_dir / "kernels" / "ghost-project"
    ghost.mkdir(parents=True)
    (ghost / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "gone" / ".venv" / "bin" / "python"), "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": "Python 3.11 (ghost)", "language": "python",
        "metadata": {"kernelenv": {"project": str(tmp_path / "gone"), "name": "ghost"}}}))
    other = jp_data_dir / "kernels" / "not-ours"
    other.mkdir()
    (other / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "missing-python"), "-f", "{connection_file}"],
        "display_name": "Someone else's", "language": "python"}))
    specs = await kernelspecs(kapi)
    assert "ghost-project" not in specs
    assert "not-ours" in specs  # only kernels kernelenv registered are judged stale
    code, _, _ = await kapi("POST", "api/kernels", body={"name": "ghost-project"})
    assert code >= 400
    # the env comes back: the kernel shows again (kernel.json read again on mtime change)
    (tmp_path / "gone" / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "gone" / ".venv" / "bin" / "python").symlink_to(sys.executable)
    assert "ghost-project" in await kernelspecs(kapi)


class ExtraKernelSpecManager(KernelSpecManager):
    """Another manager a user already configured (as nb_conda_kernels would be): adds a kernel."""

    def find_kernel_specs(self):
        return {**super().find_kernel_specs(), "extra-kernel": super().find_kernel_specs()["python3"]}

    def get_kernel_spec(self, kernel_name):
        if kernel_name == "extra-kernel":
            spec = super().get_kernel_spec("python3")
            spec.display_name = "Extra"
            return spec
        return super().get_kernel_spec(kernel_name)

    def get_all_specs(self):
        return {n: {"resource_dir": d, "spec": self.get_kernel_spec(n).to_dict()}
                for n, d in self.find_kernel_specs().items()}


@pytest.fixture
def composed_config(jp_server_config):
    jp_server_config["ServerApp"]["kernel_spec_manager_class"] = f"{__name__}.ExtraKernelSpecManager"
    return jp_server_config


async def test_wraps_the_manager_configured_before(composed_config, jp_serverapp, kapi):
    from kernelenv_jupyter.kernelspecs import KernelenvKernelSpecManager

    ksm = jp_serverapp.kernel_spec_manager
    assert isinstance(ksm, KernelenvKernelSpecManager)
    assert type(ksm.wrapped) is ExtraKernelSpecManager
    specs = await kernelspecs(kapi)
    assert specs["extra-kernel"]["spec"]["display_name"] == "Extra"
    assert "kernelenv-project" in specs


@pytest.fixture
def auto_create_config(jp_server_config):
    jp_server_config["Kernelenv"] = {"auto_create": True}
    return jp_server_config


async def test_auto_create_builds_the_env_then_lock_and_remove_through_the_api(
        auto_create_config, kapi, jp_serverapp, workdir, session_root):
    proj = workdir / "tiny"
    proj.mkdir()
    (proj / "requirements.txt").write_text("six==1.17.0\n")
    nbformat.write(nbformat.v4.new_notebook(), proj / "tiny.ipynb")
    code, _, session = await kapi("POST", "api/sessions", timeout=600, body={
        "path": (proj / "tiny.ipynb").relative_to(session_root).as_posix(), "name": "tiny.ipynb",
        "type": "notebook", "kernel": {"name": "kernelenv-project"}})
    assert code == 201, session
    out = await execute(jp_serverapp, session["kernel"]["id"],
                        "import os, sys, six; print(os.path.realpath(sys.prefix))")
    assert out["status"] == "ok", out
    assert out["stdout"].strip() == os.path.realpath(proj / ".venv")
    code, _, data = await kapi("GET", f"{A}/projects?path={quote(workdir.name)}")
    (project,) = data["projects"]
    assert project["status"]["status"] == "ready"
    await kapi("DELETE", f"api/sessions/{session['id']}")

    path = quote(f"{workdir.name}/tiny", safe="")
    code, _, job = await kapi("POST", f"{A}/projects/{path}/lock")  # no body at all
    assert code == 202, job
    job = await wait_job(kapi, job["id"], timeout=300)
    assert job["state"] == "succeeded", job
    assert job["result"] == {"lock": str(proj / "pylock.toml")} and (proj / "pylock.toml").is_file()

    assert project["kernel_name"] in await kernelspecs(kapi)
    code, _, job = await kapi("POST", f"{A}/projects/{path}/purge", body={})
    assert code == 202, job
    job = await wait_job(kapi, job["id"], timeout=300)
    assert job["state"] == "succeeded" and job["result"] == {"purged": True}, job
    assert not (proj / ".venv").exists()
    assert project["kernel_name"] not in await kernelspecs(kapi)
    code, _, data = await kapi("GET", f"{A}/projects?path={quote(workdir.name)}")
    assert data["projects"][0]["status"]["status"] == "missing"


async def test_virtualenvs_with_ipykernel_listed(kapi, jp_home_dir, built_project):
    """A virtualenv with ipykernel in ~/.virtualenvs (virtualenvwrapper's folder) is a kernel."""
    venvs = jp_home_dir / ".virtualenvs"
    venvs.mkdir()
    (venvs / "analysis").symlink_to(os.path.realpath(built_project / ".venv"), target_is_directory=True)
    spec = (await kernelspecs(kapi))["venv-analysis-py"]["spec"]
    assert spec["display_name"] == "Python [venv:analysis]"
    assert spec["argv"][0] == str(venvs / "analysis" / "bin" / "python")
    assert spec["env"]["VIRTUAL_ENV"] == str(venvs / "analysis")  # activated as venv's activate would


@pytest.fixture
def allow_list_config(jp_server_config):
    jp_server_config["KernelSpecManager"] = {"allowed_kernelspecs": ["python3"]}
    return jp_server_config


async def test_allowed_kernelspecs_applies_to_kernelenv_kernels(allow_list_config, kapi):
    assert set(await kernelspecs(kapi)) == {"python3"}


@pytest.fixture
def sync_config(jp_server_config, jp_home_dir):
    """c.Kernelenv.sync_kernelspecs on, a virtualenv with ipykernel and a conda env with an
    activate.d script on disk before the server starts (folders only: no kernel is started)."""
    venv = jp_home_dir / ".virtualenvs" / "tools"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "bin" / "python").symlink_to(sys.executable)
    sp = venv / "lib" / "python3.11" / "site-packages" / "ipykernel"
    sp.mkdir(parents=True)
    (sp / "__init__.py").write_text("")
    conda = jp_home_dir / ".conda" / "envs" / "geo"
    for d in ("conda-meta", "bin", "etc/conda/activate.d", "share/jupyter/kernels/python3"):
        (conda / d).mkdir(parents=True)
    (conda / "bin" / "python").symlink_to(sys.executable)
    (conda / "etc/conda/activate.d/gdal.sh").write_text('export GDAL_DATA="$CONDA_PREFIX/share/gdal"\n')
    (conda / "share/jupyter/kernels/python3/kernel.json").write_text(json.dumps(
        {"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "Python 3 (ipykernel)", "language": "python"}))
    jp_server_config["Kernelenv"] = {"sync_kernelspecs": True, "name_format": "{language} ({environment})"}
    return jp_server_config


async def test_sync_kernelspecs_writes_env_kernels_at_server_start(sync_config, jp_serverapp, jp_data_dir, jp_home_dir):
    import asyncio

    kernels = jp_data_dir / "kernels"
    for _ in range(100):
        if (kernels / "conda-env-geo-py" / "kernel.json").is_file() and (kernels / "venv-tools-py").is_dir():
            break
        await asyncio.sleep(0.1)
    spec = json.loads((kernels / "conda-env-geo-py" / "kernel.json").read_text())
    geo = jp_home_dir / ".conda" / "envs" / "geo"
    assert spec["display_name"] == "Python (geo)"  # c.Kernelenv.name_format
    assert spec["argv"][0] == str(geo / "bin" / "python")
    assert spec["env"]["GDAL_DATA"] == f"{geo}/share/gdal"
    assert json.loads((kernels / "venv-tools-py" / "kernel.json").read_text())["display_name"] == "Python [venv:tools]"
