"""The extension is enabled by the files the wheel ships, with no manual step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jupyter_client.provisioning import KernelProvisionerFactory

from kernelenv_jupyter.kernelspecs import PORTABLE_SPEC, KernelenvKernelSpecManager
from tests.jupyter.conftest import SHIPPED_KERNELSPEC, SHIPPED_SERVER_CONFIG

BIN = Path(sys.executable).parent


async def test_shipped_config_enables_extension_and_kernelspec_manager(jp_serverapp, jp_server_config, kapi):
    assert "kernelenv_jupyter" not in jp_server_config["ServerApp"]["jpserver_extensions"]
    ext = jp_serverapp.extension_manager.extensions["kernelenv_jupyter"]
    assert ext.enabled and ext.extension_points["kernelenv_jupyter"].linked
    assert "kernelenv" in jp_serverapp.web_app.settings  # loaded: handlers and job manager set up
    assert isinstance(jp_serverapp.kernel_spec_manager, KernelenvKernelSpecManager)
    # the kernel manager starts kernels through the same (wrapping) manager
    assert jp_serverapp.kernel_manager.kernel_spec_manager is jp_serverapp.kernel_spec_manager
    code, _, specs = await kapi("GET", "api/kernelspecs")
    assert code == 200
    assert {"python3", "kernelenv-project"} <= set(specs["kernelspecs"])
    assert specs["kernelspecs"]["kernelenv-project"]["spec"]["display_name"] == "Python (project env)"


def test_server_extension_list_shows_it():
    """`jupyter server extension list` in this env (editable install: shared-data installed)."""
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_DIR"}
    out = subprocess.run([str(BIN / "jupyter"), "server", "extension", "list"], capture_output=True,
                         text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
    text = out.stdout + out.stderr
    assert "kernelenv_jupyter \x1b[32menabled" in text or "kernelenv_jupyter enabled" in text, text
    assert "kernelenv_jupyter  \x1b[32mOK" in text or "kernelenv_jupyter  OK" in text, text
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "kernelenv.json"
    assert json.loads(installed.read_text()) == json.loads(SHIPPED_SERVER_CONFIG.read_text())


def test_portable_kernelspec_is_shipped_and_its_provisioner_registered():
    shipped = json.loads((SHIPPED_KERNELSPEC / "kernel.json").read_text())
    assert shipped == PORTABLE_SPEC
    installed = Path(sys.prefix) / "share" / "jupyter" / "kernels" / "kernelenv-project" / "kernel.json"
    assert json.loads(installed.read_text()) == shipped
    factory = KernelProvisionerFactory.instance()
    assert factory._check_availability(shipped["metadata"]["kernel_provisioner"]["provisioner_name"])
