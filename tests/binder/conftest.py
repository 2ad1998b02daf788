"""Binder fixtures: repo2docker's own buildpack detection, the CLI, stand-in image envs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def picked_buildpack(repo: Path):
    """The buildpack repo2docker picks for ``repo``, exactly as ``Repo2Docker.build`` does.

    repo2docker's ``build()`` chdirs into the checkout, instantiates each class of
    ``Repo2Docker.buildpacks`` in order and takes the first whose ``detect()`` is true,
    else ``default_buildpack``. Building the image needs a Docker engine, which this
    machine does not have; detection and the build scripts need none.
    """
    from repo2docker.app import Repo2Docker

    app = Repo2Docker()
    cwd = os.getcwd()
    os.chdir(repo)
    try:
        for bp_class in app.buildpacks:
            bp = bp_class(base_image=app.base_image)
            if bp.detect():
                break
        else:
            bp = app.default_buildpack(base_image=app.base_image)
        # Read everything that depends on the cwd while still in the checkout.
        info = {
            "name": type(bp).__name__,
            "binder_dir": bp.binder_dir,
            "python_version": getattr(bp, "python_version", None),
            "preassemble": [cmd for _, cmd in bp.get_preassemble_scripts()],
            "assemble": [cmd for _, cmd in bp.get_assemble_scripts()],
            "post_build": list(bp.get_post_build_scripts()),
        }
        if type(bp).__name__ == "CondaBuildPack":
            info["environment_yaml"] = bp.environment_yaml_path
        return info
    finally:
        os.chdir(cwd)


def run_cli(*args: str, check: bool = True, env: dict | None = None, cwd: Path | None = None,
            timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``python -m kernelenv ARGS`` as a user would."""
    proc = subprocess.run([sys.executable, "-m", "kernelenv", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, cwd=cwd, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise AssertionError(f"kernelenv {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def cli_json(*args: str, **kw) -> object:
    """``run_cli(..., '--json')`` parsed."""
    return json.loads(run_cli(*args, "--json", **kw).stdout)


@pytest.fixture
def repo_root() -> Path:
    return REPO
