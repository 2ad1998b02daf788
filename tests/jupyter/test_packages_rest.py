"""Packages through the REST API (issue 11): list (name, version, how installed), add,
remove and record as jobs, on a real server with a real uv-built env."""

from __future__ import annotations

import os
import subprocess

import pytest

from kernelenv import api
from kernelenv.uvtool import uv_bin
from tests.jupyter.helpers import wait_job

pytestmark = pytest.mark.e2e

A = "kernelenv/api"


@pytest.fixture
def pkgs_project(session_root):
    root = session_root / "pkgs"
    if not root.exists():
        root.mkdir()
        (root / "requirements.txt").write_text("# notebooks need\nsix\n")
        api.create(api.find_project(root))
    return root


async def _job(kapi, action: str, body: dict) -> dict:
    code, _, job = await kapi("POST", f"{A}/projects/pkgs/{action}", body=body)
    assert code == 202, job
    job = await wait_job(kapi, job["id"])
    assert job["state"] == "succeeded", job
    return job


async def test_list_add_record_remove_packages(kapi, pkgs_project):
    spec = pkgs_project / "requirements.txt"
    code, _, data = await kapi("GET", f"{A}/projects/pkgs/packages")
    assert code == 200, data
    by_name = {p["name"]: p for p in data["packages"]}
    assert by_name["six"]["how"] == "spec" and by_name["ipykernel"]["how"] == "spec"
    assert by_name["six"]["declared"] and not by_name["ipykernel"]["declared"]  # six is in the spec

    job = await _job(kapi, "add", {"packages": ["idna==3.7"]})
    assert job["result"]["status"] == "ready" and job["progress"]["step"] == "done"
    assert spec.read_text() == "# notebooks need\nsix\nidna==3.7\n"

    subprocess.run([uv_bin(), "pip", "install", "--quiet", "--python", str(pkgs_project / ".venv/bin/python"),
                    "certifi==2024.8.30"], check=True, env={**os.environ, "VIRTUAL_ENV": ""})
    code, _, data = await kapi("GET", f"{A}/projects/pkgs/packages")
    assert {"name": "certifi", "version": "2024.8.30", "how": "hand", "declared": False} in data["packages"]
    assert data["status"]["status"] == "drifted"
    assert data["status"]["drift"]["added"] == [{"name": "certifi", "version": "2024.8.30"}]

    await _job(kapi, "record", {})
    assert spec.read_text() == "# notebooks need\nsix\nidna==3.7\ncertifi==2024.8.30\n"
    await _job(kapi, "remove", {"packages": ["idna"]})
    assert spec.read_text() == "# notebooks need\nsix\ncertifi==2024.8.30\n"
    code, _, data = await kapi("GET", f"{A}/projects/pkgs/packages")
    assert "idna" not in {p["name"] for p in data["packages"]} and data["status"]["status"] == "ready"


@pytest.mark.parametrize("action,body,message", [
    ("add", {}, "add needs 'packages'"),
    ("add", {"packages": "six"}, "'packages' must be a list"),
    ("remove", {"packages": [""]}, "non-empty strings"),
    ("record", {"packages": ["six"]}, "record does not take 'packages'"),
])
async def test_package_job_bodies_are_validated(kapi, pkgs_project, action, body, message):
    code, _, data = await kapi("POST", f"{A}/projects/pkgs/{action}", body=body)
    assert code == 400 and message in data["message"], data


async def test_failed_add_names_the_package_and_changes_nothing(kapi, pkgs_project):
    spec = pkgs_project / "requirements.txt"
    before = spec.read_bytes()
    code, _, job = await kapi("POST", f"{A}/projects/pkgs/add", body={"packages": ["no-such-pkg-kernelenv-rest"]})
    job = await wait_job(kapi, job["id"])
    assert job["state"] == "failed" and "no-such-pkg-kernelenv-rest" in job["error"]["message"]
    assert spec.read_bytes() == before
