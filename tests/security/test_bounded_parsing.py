"""Issue 17 items 2, 3 and 6: parsers have bounded cost, and one hostile file is an error on
its own project while the others are still detected.

Each attack from the issue is a regression test here: the quadratic requirements line
(timed in a subprocess, bound set generously), deep nesting in TOML/YAML/JSON, files over
the size limit, a TOML float ``python_version``, ``null`` entries, a malformed pixi spec,
broken lock files. Real parsers and the real CLI; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.errors import EnvFileError
from kernelenv.parsers.errors_util import MAX_DEPTH, MAX_SPEC_BYTES

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def good_project(ws: Path) -> Path:
    return write(ws / "good" / "requirements.txt", "six\n").parent


def cli(*args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "kernelenv", *args], capture_output=True, text=True,
                         timeout=timeout, env=env, cwd=REPO)
    return res, time.monotonic() - t0


def by_name(projects) -> dict:
    return {p.root.name: p for p in projects}


def only_error(project, code: str) -> EnvFileError:
    codes = [e.code for e in project.errors]
    assert code in codes, f"expected a {code} error, got {[str(e) for e in project.errors]}"
    return next(e for e in project.errors if e.code == code)


def test_quadratic_requirement_line_is_linear_in_detect(tmp_path):
    """`numpy` + 40,000 spaces + `x` took 11 s (1 MB: hours). Now a 1 MB line is a plain
    syntax error in well under the (generous) bound, and the good project is still listed."""
    ws = tmp_path / "ws"
    write(ws / "hostile" / "requirements.txt", "numpy" + " " * 1_000_000 + "x\n")
    good_project(ws)
    res, took = cli("detect", "--json", str(ws), timeout=120)
    assert took < 30, f"detect took {took:.1f} s on a 1 MB requirement line"
    assert "Traceback" not in res.stderr
    projects = {Path(p["root"]).name: p for p in json.loads(res.stdout)["projects"]}
    assert set(projects) == {"good", "hostile"}
    err = projects["hostile"]["errors"][0]
    assert err["code"] == "invalid-requirement" and err["line"] == 1
    assert err["path"].endswith("requirements.txt")
    assert projects["good"]["errors"] == []


def test_poetry_constraint_with_a_run_of_spaces_is_linear(tmp_path):
    """Poetry's clause split was quadratic in a run of spaces too (same shape)."""
    from kernelenv.parsers.poetry import PoetryConstraintError, constraint_to_specifier

    t0 = time.monotonic()
    with pytest.raises(PoetryConstraintError):
        constraint_to_specifier(">=1" + " " * 200_000 + "x")
    assert time.monotonic() - t0 < 5


def test_file_over_the_size_limit_is_refused_with_the_limit_and_the_file(tmp_path):
    ws = tmp_path / "ws"
    big = write(ws / "big" / "requirements.txt", "six\n" * (MAX_SPEC_BYTES // 4 + 10))
    good_project(ws)
    t0 = time.monotonic()
    projects = by_name(api.detect(ws))
    assert time.monotonic() - t0 < 10
    err = only_error(projects["big"], "file-too-large")
    assert err.path == big and err.line == 1
    assert f"{MAX_SPEC_BYTES:,} bytes" in str(err) and "requirements.txt" in str(err)
    assert projects["good"].errors == []


def test_too_many_requirement_lines_is_an_error_not_a_long_build(tmp_path):
    """100,000 one-package lines (under the byte limit) made `create` run for minutes."""
    from kernelenv.parsers.requirements import MAX_LINES

    req = write(tmp_path / "p" / "requirements.txt", "".join(f"pkg{i}\n" for i in range(100_000)))
    with pytest.raises(EnvFileError) as info:
        from kernelenv.parsers.requirements import read_requirements

        read_requirements(req)
    assert info.value.code == "file-too-large" and info.value.line == MAX_LINES + 1
    assert "100,000 requirement lines" in str(info.value)


def test_deeply_nested_pyproject_is_one_projects_error(tmp_path):
    """A 10 KB `dependencies = [[[[...]]]]` broke the whole workspace (RecursionError)."""
    ws = tmp_path / "ws"
    depth = 5000
    write(ws / "deep" / "pyproject.toml",
          '[project]\nname = "deep"\n' + "dependencies = " + "[" * depth + "]" * depth + "\n")
    good_project(ws)
    projects = by_name(api.detect(ws))
    assert set(projects) == {"deep", "good"}
    err = only_error(projects["deep"], "too-deep")
    assert err.line == 3 and err.path.name == "pyproject.toml"
    assert projects["good"].errors == []
    res, _ = cli("detect", str(ws))
    assert "Traceback" not in res.stderr and "RecursionError" not in res.stdout + res.stderr
    assert "deep" in res.stdout and "good" in res.stdout


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 5000])
def test_deep_yaml_is_an_error_with_its_line(tmp_path, depth):
    env = write(tmp_path / "p" / "environment.yml",
                "name: x\ndependencies:\n  - " + "[" * depth + "]" * depth + "\n")
    from kernelenv.parsers.conda import read_environment_yml

    with pytest.raises(EnvFileError) as info:
        read_environment_yml(env)
    # Ours (too-deep) under libyaml's own limit of 1000 levels; libyaml's error past it.
    assert info.value.line == 3
    assert "deeper than" in str(info.value) or "maximum nesting depth" in str(info.value)


def test_deep_json_lock_and_toml_tables(tmp_path):
    from kernelenv.parsers.lockcheck import check_lock
    from kernelenv.parsers.pyproject import read_pyproject

    lock = write(tmp_path / "Pipfile.lock", '{"default": ' + "[" * 100_000 + "]" * 100_000 + "}")
    errs = check_lock(lock, "Pipfile.lock")
    assert [e.code for e in errs] == ["too-deep"] and errs[0].line == 1
    # Dotted keys nest without brackets: caught on the parsed data.
    pp = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n[tool]\n" +
               ".".join(f"k{i}" for i in range(MAX_DEPTH + 2)) + " = 1\n")
    with pytest.raises(EnvFileError) as info:
        read_pyproject(pp)
    assert info.value.code == "too-deep"


def test_pipfile_float_python_version_is_an_error_naming_file_and_line(tmp_path):
    pf = write(tmp_path / "p" / "Pipfile",
               '[packages]\nsix = "*"\n\n[requires]\npython_version = 3.10\n')
    project = api.detect(tmp_path)[0]
    err = only_error(project, "invalid-type")
    assert err.path == pf and err.line == 5 and err.column == 1
    assert "3.1" in err.detail and "string" in err.detail
    assert project.python is None  # not silently ==3.1.*


def test_null_and_number_entries_are_errors_with_ranges(tmp_path):
    from kernelenv.parsers.conda import read_environment_yml

    env = write(tmp_path / "environment.yml",
                "name: x\ndependencies:\n  - null\n  - numpy\n  - 3.10\n  - pip:\n    - ~\n")
    with pytest.raises(EnvFileError) as info:
        read_environment_yml(env)
    errs = info.value.expand()
    assert [(e.code, e.line, e.column, e.end_line, e.end_column) for e in errs] == [
        ("invalid-type", 3, 5, 3, 9), ("invalid-type", 5, 5, 5, 9), ("invalid-type", 7, 7, 7, 8)]


def test_pixi_malformed_python_spec_is_an_error_with_its_range(tmp_path):
    manifest = write(tmp_path / "p" / "pixi.toml",
                     '[workspace]\nname = "x"\nchannels = ["conda-forge"]\nplatforms = ["linux-64"]\n\n'
                     '[dependencies]\npython = ">>=3"\nnumpy = "*"\n\n[pypi-dependencies]\nsix = "=>1"\n')
    project = api.detect(tmp_path)[0]
    errs = [e for e in project.errors if e.code == "invalid-specifier"]
    assert [(e.path, e.line, e.column, e.end_column) for e in errs] == [
        (manifest, 7, 1, 16), (manifest, 11, 1, 12)]
    assert "'>>=3'" in errs[0].detail


def test_broken_locks_are_reported_by_detect(tmp_path):
    uv = tmp_path / "uvproj"
    write(uv / "pyproject.toml", '[project]\nname = "u"\nversion = "0"\ndependencies = ["six"]\n')
    write(uv / "uv.lock", "version = 99\nrevision = 1\n")
    po = tmp_path / "poetryproj"
    write(po / "pyproject.toml", '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "^3.10"\n')
    write(po / "poetry.lock", "[[package]]\nname = \"six\"\nversion = \"1\n")
    projects = by_name(api.detect(tmp_path))
    err = only_error(projects["uvproj"], "unsupported-lock-version")
    assert err.path.name == "uv.lock" and err.line == 1
    err = only_error(projects["poetryproj"], "toml-syntax")
    assert err.path.name == "poetry.lock" and err.line == 3


def test_invalid_utf8_is_an_error_with_its_line(tmp_path):
    req = tmp_path / "p" / "requirements.txt"
    req.parent.mkdir()
    req.write_bytes(b"six\nnumpy\xff\n")
    project = api.detect(tmp_path)[0]
    err = only_error(project, "encoding")
    assert err.line == 2 and err.column == 6


def test_every_bad_entry_is_reported(tmp_path):
    """Issue 14: a bad pip entry after a bad conda entry; each bad requirement line; each
    bad dependency of a pyproject."""
    ws = tmp_path / "ws"
    write(ws / "c" / "environment.yml",
          "name: x\ndependencies:\n  - numpy>=1.0 [\n  - pandas\n  - pip:\n    - six\n    - 'foo bar'\n")
    write(ws / "r" / "requirements.txt", "six\nfoo bar\nrequests\nnumpy ==\n")
    write(ws / "t" / "pyproject.toml",
          '[project]\nname = "t"\ndependencies = ["six", "foo bar"]\n'
          '[project.optional-dependencies]\nx = ["numpy =="]\n[dependency-groups]\ndev = ["a b"]\n')
    projects = by_name(api.detect(ws))
    got = {n: [(e.path.name, e.line, e.column, e.code) for e in p.errors] for n, p in projects.items()}
    assert got["c"] == [("environment.yml", 3, 5, "invalid-matchspec"),
                        ("environment.yml", 7, 12, "invalid-requirement")]
    assert got["r"] == [("requirements.txt", 2, 5, "invalid-requirement"),
                        ("requirements.txt", 4, 7, "invalid-requirement")]
    assert [(e[1], e[3]) for e in got["t"]] == [(3, "invalid-requirement"), (5, "invalid-requirement"),
                                                (7, "invalid-requirement")]


def test_table_values_of_the_wrong_type_are_errors_not_coerced(tmp_path):
    """Poetry `version = 1.0` (a float) and a Pipfile.lock `hashes` string were coerced silently."""
    from kernelenv.parsers.locks import read_pins
    from kernelenv.parsers.pyproject import read_pyproject

    pp = write(tmp_path / "pyproject.toml", '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\n'
               'python = "^3.10"\nnumpy = {version = 1.0}\npandas = {version = "^2", optional = "yes"}\n')
    with pytest.raises(EnvFileError) as info:
        read_pyproject(pp)
    errs = info.value.expand()
    assert [(e.line, e.code) for e in errs] == [(5, "invalid-type"), (6, "invalid-type")]
    assert "must be a string" in errs[0].detail and "true or false" in errs[1].detail
    assert [d["line"] for d in info.value.to_dict()["errors"]] == [5, 6]
    lock = write(tmp_path / "Pipfile.lock", '{"_meta": {"pipfile-spec": 6},\n "default": {\n'
                 '  "six": {"version": "==1.16.0", "hashes": "sha256:abc"}}}\n')
    with pytest.raises(EnvFileError) as info:
        read_pins(lock)
    assert (info.value.line, info.value.code) == (3, "invalid-lock")


def test_lock_over_its_limit_is_refused_before_parsing(tmp_path):
    from kernelenv.parsers.errors_util import MAX_LOCK_BYTES
    from kernelenv.parsers.lockcheck import check_lock

    lock = tmp_path / "uv.lock"
    with open(lock, "wb") as f:  # sparse: no 16 MiB written to disk
        f.truncate(MAX_LOCK_BYTES + 1)
    t0 = time.monotonic()
    (err,) = check_lock(lock, "uv.lock")
    assert time.monotonic() - t0 < 2
    assert err.code == "file-too-large" and f"{MAX_LOCK_BYTES:,} bytes" in err.detail


def test_workspace_members_globbing_out_of_the_root_are_not_walked(tmp_path):
    """`members = ["../../../../**"]` made detection glob the whole disk."""
    ws = tmp_path / "ws"
    write(ws / "p" / "pyproject.toml", '[project]\nname = "p"\nversion = "0"\n'
          '[tool.uv.workspace]\nmembers = ["../../../../../../../../**", "/**"]\n')
    t0 = time.monotonic()
    (project,) = api.detect(ws)
    assert time.monotonic() - t0 < 5 and project.errors == []


def test_a_file_of_bad_entries_stops_at_the_error_limit(tmp_path):
    from kernelenv.parsers.errors_util import Collector
    from kernelenv.parsers.pyproject import read_pyproject

    deps = ", ".join(f'"bad dep{i}"' for i in range(50_000))
    pp = write(tmp_path / "pyproject.toml", f'[project]\nname = "x"\ndependencies = [{deps}]\n')
    t0 = time.monotonic()
    with pytest.raises(EnvFileError) as info:
        read_pyproject(pp)
    assert time.monotonic() - t0 < 10
    errs = info.value.expand()
    assert len(errs) == Collector.LIMIT + 1 and errs[-1].code == "too-many-errors"
