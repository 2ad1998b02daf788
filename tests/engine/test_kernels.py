"""Kernel names, display names and registration locations."""

from __future__ import annotations

import json
import os
from pathlib import Path

from kernelenv import api
from kernelenv.kernels import KernelLocation, kernel_name, register, slug
from tests.engine.conftest import cli_json


def _project(root: Path, name: str):
    root.mkdir(parents=True)
    (root / "requirements.txt").write_text("six\n")
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\ndependencies = ["six"]\n')
    [p] = api.detect(root)
    return p


def test_slug_keeps_only_kernelspec_characters() -> None:
    assert slug("My Project: v2!") == "my-project-v2"
    assert slug("___") == "project"


def test_kernel_name_is_stable_and_collisions_get_a_suffix(tmp_path: Path) -> None:
    a = _project(tmp_path / "a" / "proj", "Shared Name")
    b = _project(tmp_path / "b" / "proj", "Shared Name")
    assert kernel_name(a) == "shared-name"
    register(a, Path("/usr/bin/python3"), "3.11.2", env_path=a.root / ".venv")
    assert kernel_name(a) == "shared-name", "a project keeps its own name after registering"
    other = kernel_name(b)
    assert other.startswith("shared-name-") and len(other) == len("shared-name-") + 6
    assert kernel_name(b) == other, "the suffix is deterministic"


def test_register_writes_ipykernel_style_spec(tmp_path: Path) -> None:
    p = _project(tmp_path / "p", "demo")
    loc = KernelLocation(user=False, prefix=tmp_path / "prefix")
    d = register(p, p.root / ".venv" / "bin" / "python", "3.11.7", env_path=p.root / ".venv", location=loc)
    assert d == tmp_path / "prefix" / "share" / "jupyter" / "kernels" / "demo"
    spec = json.loads((d / "kernel.json").read_text())
    assert spec["argv"][0] == str(p.root / ".venv" / "bin" / "python")
    assert spec["argv"][-4:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
    assert spec["display_name"] == "Python 3.11 (demo)"
    assert spec["metadata"]["kernelenv"] == {"project": str(p.root), "name": "demo", "backend": "uv",
                                             "env": str(p.root / ".venv")}


def test_create_with_prefix_registers_there(tmp_path: Path) -> None:
    root = tmp_path / "tiny-prefix"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    [res] = cli_json("create", str(root), "--prefix", str(tmp_path / "pfx"))
    name = res["result"]["kernel_name"]
    assert (tmp_path / "pfx" / "share" / "jupyter" / "kernels" / name / "kernel.json").is_file()
    assert not (Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / name).exists()


def test_kernel_name_follows_the_built_env_not_the_folder(tmp_path: Path) -> None:
    """On Binder the checkout is /home/jovyan: the name recorded at build time must win."""
    from kernelenv.state import update_state

    p = _project(tmp_path / "jovyan", "jovyan")
    p.name = "jovyan"
    assert kernel_name(p) == "jovyan"
    update_state(p.root, kernel_name="my-analysis", environment=None)
    assert kernel_name(p) == "my-analysis"
    assert p.to_dict()["kernel_name"] == "my-analysis"
    assert api.kernel_for_notebook(p.root / "nb.ipynb")["kernel_name"] == "my-analysis"
