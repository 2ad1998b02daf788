"""``detect`` tells the truth about code execution (issue 17, item 5), and ``status``
reports errors through its exit code.

The truth is checked against what really happens: a project whose in-tree build backend
leaves a marker file when it is imported is locked with the real uv (offline: the backend
needs no packages), and the marker must exist exactly when detection said code would run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernelenv import api
from tests.engine.conftest import cli_json, run_cli

MARKER_BACKEND = '''import pathlib
pathlib.Path(__file__).with_name("BACKEND_RAN").write_text("ran")
raise SystemExit("the in-tree backend ran (as detect said it would)")
'''


def _in_tree(root: Path, *, dynamic: list[str]) -> Path:
    root.mkdir(parents=True)
    (root / "backend.py").write_text(MARKER_BACKEND)
    deps = "" if "dependencies" in dynamic else 'dependencies = ["six"]\n'
    version = "" if "version" in dynamic else 'version = "0"\n'
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        f'[project]\nname = "{root.name}"\n{version}{deps}dynamic = {json.dumps(dynamic)}\n')
    return root


@pytest.mark.parametrize("dynamic", [["dependencies"], []])
def test_detect_says_whether_lock_runs_the_in_tree_backend(tmp_path: Path, dynamic: list[str]) -> None:
    root = _in_tree(tmp_path / ("dyn" if dynamic else "static"), dynamic=dynamic)
    [project] = cli_json("detect", str(root))["projects"]
    reason = project["runs_build_backend"]
    proc = run_cli("lock", str(root), check=False, env={"UV_OFFLINE": "1"})
    ran = (root / "BACKEND_RAN").exists()
    assert ("note: " in proc.stderr and "backend-path" in proc.stderr) == ran, proc.stderr
    assert ran == bool(dynamic), "the fixture must exercise both outcomes"
    if ran:
        assert reason and "pyproject.toml" in reason and "backend-path" in reason and "dependencies" in reason
    else:
        assert reason is None


def test_editable_install_and_setup_py_are_named(tmp_path: Path) -> None:
    root = tmp_path / "edit"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n-e .\ngit+https://example.invalid/x.git#egg=x\n")
    (root / "setup.py").write_text("raise SystemExit('never run by detect')\n")
    [p] = api.detect(root)
    assert "requirements.txt:2: -e ." in p.runs_build_backend
    assert "requirements.txt:3: git+https://example.invalid/x.git" in p.runs_build_backend
    assert not any("never executed" in w for w in p.warnings), "setup.py may run: no such promise"
    out = run_cli("detect", str(root)).stdout
    assert "runs code:" in out and "-e ." in out


def test_wheels_only_projects_say_nothing(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "requirements.txt").write_text("six==1.17.0\n")
    (root / "environment.yml").write_text("dependencies:\n  - python\n  - pip:\n    - six\n")
    [p] = api.detect(root)
    assert p.runs_build_backend is None and p.to_dict()["runs_build_backend"] is None


def test_conda_pip_section_local_path_is_named(tmp_path: Path) -> None:
    root = tmp_path / "condaproj"
    root.mkdir()
    (root / "environment.yml").write_text("dependencies:\n  - python\n  - pip\n  - pip:\n    - -e .\n")
    [p] = api.detect(root)
    assert p.runs_build_backend and "environment.yml" in p.runs_build_backend and "-e ." in p.runs_build_backend


def test_status_exit_codes(tmp_path: Path) -> None:
    ok = tmp_path / "ws" / "ok"
    ok.mkdir(parents=True)
    (ok / "requirements.txt").write_text("six\n")
    proc = run_cli("status", str(ok), check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # missing is a state, not an error
    assert run_cli("status", str(ok), "--check", check=False).returncode == 5
    bad = tmp_path / "ws" / "bad"
    bad.mkdir()
    (bad / "requirements.txt").write_text("six\nnumpy>=>1\n")
    proc = run_cli("status", str(tmp_path / "ws"), check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "requirements.txt" in proc.stdout and "error:" in proc.stdout and "ok: missing" in proc.stdout
    rows = json.loads(run_cli("status", str(tmp_path / "ws"), "--json", check=False).stdout)
    assert [r["name"] for r in rows if r["errors"]] == ["bad"]


def test_broken_env_exit_code_ranks_below_file_errors() -> None:
    from kernelenv.errors import EnvFileError
    from kernelenv.model import Backend, Project, Status
    from kernelenv.statusanswer import EXIT_BROKEN, EXIT_FILE_ERRORS, EXIT_NOT_READY
    from kernelenv.statusanswer import exit_code as status_exit_code

    good = Project(root=Path("/p/good"), name="good", backend=Backend.UV, backend_reason="")
    bad = Project(root=Path("/p/bad"), name="bad", backend=Backend.UV, backend_reason="",
                  errors=[EnvFileError(Path("/p/bad/requirements.txt"), "bad", 1, 1)])
    assert status_exit_code([good], [Status.BROKEN]) == EXIT_BROKEN == 4
    assert status_exit_code([good, bad], [Status.BROKEN, Status.READY]) == EXIT_FILE_ERRORS == 3
    assert status_exit_code([good], [Status.STALE]) == 0
    assert status_exit_code([good], [Status.STALE], check=True) == EXIT_NOT_READY == 5
    assert status_exit_code([good], [Status.READY], check=True) == 0
