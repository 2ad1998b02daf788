"""End to end with real uv, real PyPI, real venvs and real kernels (jupyter_client)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.backends.uv import UvBuilder
from kernelenv.layout import envs_dir, link_target
from tests.conftest import copy_corpus_project
from tests.engine.conftest import cli_json, run_cli
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

PRINT_PREFIX = "import sys, os; print(os.path.realpath(sys.prefix))"


def _kernel_json(name: str) -> dict:
    path = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / name / "kernel.json"
    return json.loads(path.read_text())


def test_requirements_project_becomes_a_working_kernel(requirements_project: Path) -> None:
    """runtime.txt asks for 3.10: the env uses 3.10, its kernel imports the project's packages."""
    [status] = cli_json("status", str(requirements_project))
    assert status["status"]["status"] == "ready"
    assert status["status"]["python_version"].startswith("3.10.")
    name = status["kernel_name"]
    spec = _kernel_json(name)
    assert spec["display_name"] == "Python 3.10 (binder-examples__requirements)"
    assert spec["metadata"]["kernelenv"]["project"] == str(requirements_project)
    out = run_in_kernel(name, "import seaborn, pandas; " + PRINT_PREFIX + "; print(pandas.__version__)")
    prefix, pandas_version = out.split()
    assert prefix == os.path.realpath(requirements_project / ".venv")
    assert pandas_version == "2.2.3"  # pinned in the project's requirements.txt


def test_status_of_up_to_date_project_starts_no_process(requirements_project: Path, monkeypatch) -> None:
    """`status` reads files only: no uv, no env Python (any subprocess start fails this test)."""
    [project] = api.detect(requirements_project)

    def refuse(*a, **k):
        raise AssertionError(f"status started a process: {a!r}")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)
    assert api.status(project).status.value == "ready"


def test_lock_then_rebuild_installs_exactly_the_lock(requirements_project: Path) -> None:
    """`lock` writes a universal PEP 751 pylock.toml with hashes; `rebuild` installs exactly it."""
    run_cli("lock", str(requirements_project))
    lock = requirements_project / "pylock.toml"
    text = lock.read_text()
    assert 'lock-version = "1.0"' in text and "sha256" in text
    [project] = api.detect(requirements_project)
    assert project.lock == lock
    old_env = link_target(requirements_project / ".venv")
    run_cli("rebuild", str(requirements_project))
    new_env = link_target(requirements_project / ".venv")
    assert new_env != old_env and not old_env.exists(), "the previous env is replaced, then deleted"
    builder = UvBuilder()
    [project] = api.detect(requirements_project)
    report = api.status(project)
    installed = builder.installed(new_env)
    locked = builder.locked_packages(project, python_version=report.python_version)
    assert installed == locked
    assert report.status.value == "ready"


def test_editing_the_spec_makes_the_env_stale(tmp_path: Path, requirements_project: Path) -> None:
    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    run_cli("create", str(root))
    req = root / "requirements.txt"
    req.write_text(req.read_text() + "six\n")
    [st] = cli_json("status", str(root))
    assert st["status"]["status"] == "stale"
    assert st["status"]["changed"] == ["requirements.txt"]


def test_uv_lock_project_uses_the_ipykernel_group(uvlock_project: Path) -> None:
    """SharedControlPaper: uv.lock install, ipykernel from the dev group, Python >= 3.12."""
    [st] = cli_json("status", str(uvlock_project))
    assert st["status"]["status"] in ("ready", "lock out of date")
    assert tuple(int(x) for x in st["status"]["python_version"].split(".")[:2]) >= (3, 12)
    out = run_in_kernel(st["kernel_name"], "import scipy, seaborn; " + PRINT_PREFIX)
    assert out.strip() == os.path.realpath(uvlock_project / ".venv")
    [project] = api.detect(uvlock_project)
    locked = UvBuilder().locked_packages(project)
    installed = UvBuilder().installed(link_target(uvlock_project / ".venv"))
    assert installed["ipykernel"] == locked["ipykernel"]
    assert all(locked.get(name) == version for name, version in installed.items()), \
        "everything installed comes from uv.lock at the locked version"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_index_keeps_the_previous_env(tmp_path: Path) -> None:
    """A rebuild against a dead index fails clearly; the old env and its kernel still work."""
    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    run_cli("create", str(root))
    before = link_target(root / ".venv")
    port = _closed_port()
    proc = run_cli("rebuild", str(root), check=False,
                   env={"UV_INDEX_URL": f"http://127.0.0.1:{port}/simple", "UV_DEFAULT_INDEX": f"http://127.0.0.1:{port}/simple",
                        "UV_OFFLINE": "0", "UV_NO_CACHE": "1"})
    assert proc.returncode == 1
    assert f"127.0.0.1:{port}" in proc.stderr
    assert link_target(root / ".venv") == before
    assert [p for p in envs_dir(root).iterdir()] == [before], "the half-built env is cleaned up"
    [st] = cli_json("status", str(root))
    assert st["status"]["status"] == "ready"
    out = run_in_kernel(st["kernel_name"], PRINT_PREFIX)
    assert out.strip() == os.path.realpath(root / ".venv")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see the tool processes")
def test_sigkill_during_rebuild_leaves_previous_env_working(tmp_path: Path) -> None:
    """kill -9 of kernelenv mid-install: the old env and kernel work, uv dies too, the next rebuild is clean."""
    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    run_cli("create", str(root))
    before = link_target(root / ".venv")
    # Uncached, so the install downloads for seconds (as on a cold machine) and is killed midway.
    proc = subprocess.Popen([sys.executable, "-m", "kernelenv", "rebuild", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "UV_NO_CACHE": "1"})
    deadline = time.time() + 120
    aside = None
    while time.time() < deadline and aside is None:
        building = [p for p in envs_dir(root).iterdir() if p != before] if envs_dir(root).is_dir() else []
        if building and _processes_mentioning(building[0], "pip"):
            aside = building[0]  # uv is installing into the env built aside
        time.sleep(0.02)
    assert aside is not None, "the rebuild started installing into an env built aside"
    os.kill(proc.pid, signal.SIGKILL)  # kernelenv alone, as `kill -9 PID` or the OOM killer would
    proc.wait()
    time.sleep(0.5)
    assert not _processes_mentioning(aside), "uv must die with kernelenv, not write on into the aside env"
    assert link_target(root / ".venv") == before
    [st] = cli_json("status", str(root))
    assert st["status"]["status"] == "ready"
    assert run_in_kernel(st["kernel_name"], PRINT_PREFIX).strip() == os.path.realpath(root / ".venv")
    run_cli("rebuild", str(root))
    after = link_target(root / ".venv")
    assert after != before and [p for p in envs_dir(root).iterdir()] == [after]


def _processes_mentioning(path: Path, word: str = "") -> list[int]:
    """PIDs whose command line mentions ``path`` (and ``word``), from Linux's /proc."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes()
                if str(path).encode() in cmd and word.encode() in cmd:
                    found.append(int(d.name))
            except OSError:
                continue
    return found


def test_concurrent_operation_is_refused_with_a_clear_message(requirements_project: Path) -> None:
    from kernelenv.locking import project_lock

    with project_lock(requirements_project, "rebuild"):
        proc = run_cli("create", str(requirements_project), check=False)
        [st] = cli_json("status", str(requirements_project))
    assert proc.returncode == 1
    assert "is busy" in proc.stderr and "rebuild" in proc.stderr
    assert st["status"]["status"] == "building"


def test_python_not_installed_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "old"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    (root / "runtime.txt").write_text("python-3.4\n")
    proc = run_cli("create", str(root), check=False)
    assert proc.returncode == 1
    assert "No installed Python satisfies ==3.4.*" in proc.stderr
    assert "runtime.txt" in proc.stderr and "--python" in proc.stderr
    assert "3.11" in proc.stderr  # lists what is installed
    assert not (root / ".venv").exists()


def test_remove_and_prune_kernels(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    [res] = cli_json("create", str(root))
    name = res["result"]["kernel_name"]
    kernels = {k["name"]: k for k in cli_json("kernels")["kernels"]}
    assert kernels[name]["alive"]
    run_cli("remove", str(root))
    assert not (root / ".venv").exists()
    assert name not in {k["name"] for k in cli_json("kernels")["kernels"]}
    # An env deleted behind kernelenv's back leaves a stale kernel; --prune removes it.
    run_cli("create", str(root))
    import shutil

    shutil.rmtree(envs_dir(root))
    assert not {k["name"]: k for k in cli_json("kernels")["kernels"]}[name]["alive"]
    pruned = cli_json("kernels", "--prune")["pruned"]
    assert [k["name"] for k in pruned] == [name]


def test_pipfile_lock_project_installs_the_locked_pins(tmp_path: Path) -> None:
    """binder-examples__pipfile: Pipfile.lock pins (hash-checked) into the Python 3.6 it asks for."""
    root = copy_corpus_project("binder-examples__pipfile", tmp_path)
    [res] = cli_json("create", str(root))
    assert res["result"]["python_version"].startswith("3.6.")
    [project] = api.detect(root)
    assert project.lock == root / "Pipfile.lock"
    builder = UvBuilder()
    locked = builder.locked_packages(project)
    installed = builder.installed(link_target(root / ".venv"))
    assert len(locked) == 11  # the lock's default section; pytest (develop) is not installed
    assert {n: installed.get(n) for n in locked} == locked
    assert "pytest" not in installed
    out = run_in_kernel(res["result"]["kernel_name"], "import seaborn; " + PRINT_PREFIX)
    assert out.strip() == os.path.realpath(root / ".venv")


def test_hashed_requirements_file_is_the_lock(tmp_path: Path) -> None:
    """pip-compile --generate-hashes output is a lock: installed exactly; `lock` re-locks from its .in."""
    from kernelenv.model import FileRole
    from kernelenv.uvtool import uv_bin

    root = tmp_path / "hashed"
    root.mkdir()
    (root / "requirements.in").write_text("six\nipykernel\n")
    subprocess.run([uv_bin(), "pip", "compile", "--quiet", "--generate-hashes", "--python-version", "3.11",
                    "requirements.in", "-o", "requirements.txt"], cwd=root, check=True)
    [project] = api.detect(root)
    assert project.lock == root / "requirements.txt"
    roles = {f.path.name: f.role for f in project.files}
    assert roles == {"requirements.txt": FileRole.LOCK, "requirements.in": FileRole.INPUT}
    [res] = cli_json("create", str(root))
    pinned = {line.split("==")[0]: line.split("==")[1].split()[0]
              for line in (root / "requirements.txt").read_text().splitlines() if "==" in line}
    installed = UvBuilder().installed(link_target(root / ".venv"))
    assert {n: installed.get(n) for n in pinned} == pinned
    assert res["result"]["status"] == "ready"
    run_cli("lock", str(root))
    assert 'name = "six"' in (root / "pylock.toml").read_text()
    [project] = api.detect(root)
    assert project.lock == root / "pylock.toml"
