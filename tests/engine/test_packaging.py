"""The wheel users install: only kernelenv's own top-level names, wired to the right modules.

Built with uv's PEP 517 front end from the checkout, with the build hook that compiles the
JupyterLab sidebar switched off (HATCH_BUILD_NO_HOOKS) since only the Python layout is checked.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import zipfile
from pathlib import Path

from kernelenv.uvtool import uv_bin

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_only_kernelenv_names(tmp_path: Path) -> None:
    """Installing the wheel adds `kernelenv`, `kernelenv_jupyter` and `kernelenv_lsp` (never the
    generic `jupyter_ext` / `lsp_server` the repo folders are called), and its entry points and
    server-extension config name those modules."""
    env = {**os.environ, "HATCH_BUILD_NO_HOOKS": "1"}
    subprocess.run([uv_bin(), "build", "--wheel", "--quiet", "-o", str(tmp_path), str(REPO)], check=True,
                   env=env, stdin=subprocess.DEVNULL, timeout=600)
    [wheel] = tmp_path.glob("kernelenv-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode()
        config = json.loads(zf.read(next(n for n in names if n.endswith("jupyter_server_config.d/kernelenv.json"))))
    packages = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert packages == {"kernelenv", "kernelenv_jupyter", "kernelenv_lsp"}
    assert "kernelenv_jupyter/handlers.py" in names and "kernelenv_lsp/__main__.py" in names
    eps = configparser.ConfigParser()
    eps.read_string(entry_points)
    assert eps["console_scripts"]["kernelenv-lsp"] == "kernelenv_lsp.__main__:main"
    assert eps["jupyter_client.kernel_provisioners"]["kernelenv-project"].startswith("kernelenv_jupyter.")
    assert config["ServerApp"]["jpserver_extensions"] == {"kernelenv_jupyter": True}
