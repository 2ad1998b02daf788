"""Detection rules on small real trees: binder/, pruning, symlinks, overrides, errors, find_project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kernelenv.detect import detect, find_project, lock_kind
from kernelenv.errors import EnvFileError
from kernelenv.model import Backend, FileRole


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def roots(projects) -> list[str]:
    return [p.root.name for p in projects]


# --------------------------------------------------------------------- never runs code


def test_setup_py_and_postbuild_are_listed_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    code = f"open({str(marker)!r}, 'w').write('ran')\n"
    write(tmp_path / "proj/requirements.txt", "numpy\n")
    write(tmp_path / "proj/setup.py", "from setuptools import setup\n" + code + "setup(name='x')\n")
    write(tmp_path / "proj/binder/requirements.txt", "numpy\n")
    post = write(tmp_path / "proj/binder/postBuild", "#!/usr/bin/env python3\n" + code)
    post.chmod(0o755)
    start = write(tmp_path / "proj/binder/start", "#!/bin/sh\ntouch " + str(marker) + "\nexec \"$@\"\n")
    start.chmod(0o755)
    (project,) = detect(tmp_path)
    find_project(tmp_path / "proj" / "nb.ipynb")
    assert not marker.exists()
    kinds = {f.path.relative_to(project.root).as_posix(): (f.kind, f.role) for f in project.files}
    assert kinds["binder/postBuild"] == ("postBuild", FileRole.INFO)
    assert kinds["binder/start"] == ("start", FileRole.INFO)
    assert kinds["setup.py"] == ("setup.py", FileRole.INFO)
    assert any("postBuild" in w and "does not run" in w for w in project.warnings)
    assert any("start" in w and "does not run" in w for w in project.warnings)


def test_setup_py_alone_is_not_a_project(tmp_path: Path) -> None:
    write(tmp_path / "lib/setup.py", "raise SystemExit('must not run')\n")
    write(tmp_path / "lib/setup.cfg", "[flake8]\nmax-line-length = 100\n")
    assert detect(tmp_path) == []


def test_tool_only_pyproject_alone_is_not_a_project(tmp_path: Path) -> None:
    write(tmp_path / "pkg/pyproject.toml", "[tool.black]\nline-length = 88\n")
    write(tmp_path / "pkg/.python-version", "3.12\n")
    assert detect(tmp_path) == []


def test_build_system_only_pyproject_defers_to_requirements(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[build-system]\nrequires = ["setuptools"]\n')
    write(tmp_path / "requirements.txt", "numpy\n")
    (project,) = detect(tmp_path)
    assert project.spec == tmp_path / "requirements.txt"
    assert {f.path.name: f.role for f in project.files} == {
        "pyproject.toml": FileRole.VARIANT, "requirements.txt": FileRole.SPEC}
    assert project.ambiguity is None  # the pyproject lists no dependencies


# --------------------------------------------------------------------- binder rules


def test_binder_folder_replaces_root_files(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "pandas\n")
    write(tmp_path / "runtime.txt", "python-3.9\n")
    write(tmp_path / "binder/environment.yml", "channels: [conda-forge]\ndependencies:\n  - python=3.11\n")
    (project,) = detect(tmp_path)
    assert project.root == tmp_path
    assert project.config_dir == tmp_path / "binder"
    assert project.backend is Backend.RATTLER
    assert project.spec == tmp_path / "binder/environment.yml"
    assert project.python.specifier == "==3.11.*"
    roles = {f.path.relative_to(tmp_path).as_posix(): f.role for f in project.files}
    assert roles == {"binder/environment.yml": FileRole.SPEC, "requirements.txt": FileRole.VARIANT,
                     "runtime.txt": FileRole.VARIANT}


def test_dot_binder_runtime_txt(tmp_path: Path) -> None:
    write(tmp_path / ".binder/requirements.txt", "numpy\n")
    write(tmp_path / ".binder/runtime.txt", "python-3.12\n")
    (project,) = detect(tmp_path)
    assert project.config_dir == tmp_path / ".binder"
    assert project.backend is Backend.UV
    assert (project.python.specifier, project.python.source) == ("==3.12.*", tmp_path / ".binder/runtime.txt")


def test_binder_and_dot_binder_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "binder/requirements.txt", "numpy\n")
    write(tmp_path / ".binder/requirements.txt", "scipy\n")
    (project,) = detect(tmp_path)
    assert [e.code for e in project.errors] == ["binder-conflict"]
    assert "binder/ and .binder/" in project.errors[0].message


# --------------------------------------------------------------------- pruning / symlinks


def test_pruned_folders(tmp_path: Path) -> None:
    write(tmp_path / "app/requirements.txt", "numpy\n")
    for junk in (".git/requirements.txt", "node_modules/pkg/requirements.txt",
                 "app/__pycache__/requirements.txt", ".tox/py/requirements.txt",
                 ".nox/s/requirements.txt", "build/requirements.txt", "dist/requirements.txt",
                 "app/.kernelenv/envs/1/requirements.txt", "x.egg-info/requirements.txt",
                 "lib/python3.11/site-packages/foo/requirements.txt"):
        write(tmp_path / junk, "numpy\n")
    # envs are recognised by content, whatever their name
    write(tmp_path / "myenv/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / "myenv/lib/pkg/requirements.txt", "numpy\n")
    (tmp_path / "condaenv/conda-meta").mkdir(parents=True)
    write(tmp_path / "condaenv/environment.yml", "dependencies: [python]\n")
    assert [p.root for p in detect(tmp_path)] == [tmp_path / "app"]


def test_notebooks_folder_is_not_special(tmp_path: Path) -> None:
    write(tmp_path / "notebooks/requirements.txt", "numpy\n")
    assert [p.root for p in detect(tmp_path)] == [tmp_path / "notebooks"]


def test_symlink_out_of_workspace_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside / "proj/requirements.txt", "numpy\n")
    write(outside / "secret-requirements/requirements.txt", "scipy\n")
    ws = tmp_path / "ws"
    write(ws / "a/requirements.txt", "pandas\n")
    os.symlink(outside / "proj", ws / "linked")  # folder link out of the workspace
    os.symlink(outside / "secret-requirements/requirements.txt", ws / "a/requirements-extra.txt")
    os.symlink(ws / "a", ws / "again")  # link inside: scanned once
    projects = detect(ws)
    assert [p.root for p in projects] == [ws / "a"]
    assert [f.path.name for f in projects[0].files] == ["requirements.txt"]
    assert any("requirements-extra.txt" in w and "out of the workspace" in w for w in projects[0].warnings)


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    write(tmp_path / "a/requirements.txt", "numpy\n")
    os.symlink(tmp_path, tmp_path / "a/loop")
    assert [p.root for p in detect(tmp_path)] == [tmp_path / "a"]


# --------------------------------------------------------------------- roles


def test_requirements_in_is_input_only_beside_its_txt(tmp_path: Path) -> None:
    write(tmp_path / "a/requirements.in", "numpy\n")
    write(tmp_path / "a/requirements.txt", "numpy==2.2.2\n")
    write(tmp_path / "b/requirements.in", "numpy\n")
    a, b = detect(tmp_path)
    assert {f.path.name: f.role for f in a.files} == {"requirements.in": FileRole.INPUT,
                                                     "requirements.txt": FileRole.SPEC}
    assert b.spec == tmp_path / "b/requirements.in"


def test_tooling_requirements_alone_are_not_a_project(tmp_path: Path) -> None:
    write(tmp_path / "scripts/requirements-dev.txt", "pre-commit\n")
    write(tmp_path / "app/requirements.txt", "numpy\n")
    write(tmp_path / "app/requirements-dev.txt", "pytest\n")
    (project,) = detect(tmp_path)
    assert project.root == tmp_path / "app"
    assert {f.path.name: f.role for f in project.files} == {
        "requirements.txt": FileRole.SPEC, "requirements-dev.txt": FileRole.VARIANT}


@pytest.mark.parametrize("name, tooling", [
    ("requirements-dev.txt", True), ("requirements_docs.in", True), ("Requirements.Test.TXT", True),
    ("requirements-pre-commit.txt", True), ("requirements-benchmark.in", True), ("requirements.txt", False),
    ("requirements-prod.txt", False), ("requirements-dev.txt.bak", False), ("requirements-dev.cfg", False),
    ("requirementsdev.txt", False), ("requirements--dev.txt", False), ("requirements-dev.tar.txt", False),
    ("my-requirements-dev.txt", False), ("requirements-.txt", False), ("requirements-dev", False)])
def test_tooling_requirement_names(name: str, tooling: bool) -> None:
    """Which requirement file names are tooling (a notebook env never comes from them)."""
    from kernelenv.folderscan import is_tooling_requirements

    assert is_tooling_requirements(name) is tooling


def test_uv_workspace_member_glob(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "root"\nversion = "0"\n'
          '[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/skip"]\n')
    write(tmp_path / "libs/one/pyproject.toml", '[project]\nname = "one"\nversion = "0"\n')
    write(tmp_path / "libs/skip/pyproject.toml", '[project]\nname = "skip"\nversion = "0"\n')
    assert sorted(p.name for p in detect(tmp_path)) == ["root", "skip"]
    assert find_project(tmp_path / "libs/one/nb.ipynb").name == "root"
    assert find_project(tmp_path / "libs/skip/nb.ipynb").name == "skip"


def test_explicit_lock(tmp_path: Path) -> None:
    write(tmp_path / "conda-linux-64.lock", "# platform: linux-64\n@EXPLICIT\n"
          "https://conda.anaconda.org/conda-forge/linux-64/python-3.11.0-h1_0.conda\n")
    write(tmp_path / "yarn.lock", "# not conda\n")
    (project,) = detect(tmp_path)
    assert project.backend is Backend.RATTLER
    assert project.lock == tmp_path / "conda-linux-64.lock"
    assert [(f.path.name, f.kind) for f in project.files] == [("conda-linux-64.lock", "explicit-lock")]
    assert lock_kind(tmp_path / "conda-linux-64.lock") == "explicit-lock"


def test_lock_kind_names(tmp_path: Path) -> None:
    for name, kind in [("uv.lock", "uv.lock"), ("pylock.toml", "pylock"), ("pylock.dev.toml", "pylock"),
                       ("conda-lock.yml", "conda-lock"), ("pixi.lock", "pixi.lock"),
                       ("poetry.lock", "poetry.lock"), ("Pipfile.lock", "Pipfile.lock")]:
        assert lock_kind(tmp_path / name) == kind
    write(tmp_path / "yarn.lock", "x\n")
    with pytest.raises(ValueError):
        lock_kind(tmp_path / "yarn.lock")


def test_pip_lock_priority(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "numpy\n")
    write(tmp_path / "pylock.toml", 'lock-version = "1.0"\ncreated-by = "x"\n')
    write(tmp_path / "Pipfile.lock", '{"default": {}}\n')
    (project,) = detect(tmp_path)
    assert project.lock == tmp_path / "pylock.toml"


# --------------------------------------------------------------------- backend overrides


def _conda_and_pip(tmp_path: Path) -> Path:
    write(tmp_path / "environment.yml", "dependencies:\n  - python=3.11\n  - numpy\n")
    write(tmp_path / "requirements.txt", "numpy\n")
    return tmp_path


def test_default_backend_prefers_conda_and_says_why(tmp_path: Path) -> None:
    (project,) = detect(_conda_and_pip(tmp_path))
    assert project.backend is Backend.RATTLER
    assert "conda" in project.backend_reason
    assert project.ambiguity and "requirements.txt" in project.ambiguity


def test_tool_kernelenv_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNELENV_BACKEND", raising=False)
    _conda_and_pip(tmp_path)
    write(tmp_path / "pyproject.toml", '[tool.kernelenv]\nbackend = "uv"\n')  # tool-only pyproject
    (project,) = detect(tmp_path)
    assert project.backend is Backend.UV
    assert "[tool.kernelenv]" in project.backend_reason
    assert project.spec == tmp_path / "requirements.txt"
    assert project.python is None  # environment.yml's python pin is conda's, not uv's
    roles = {f.path.name: f.role for f in project.files}
    assert roles["environment.yml"] is FileRole.VARIANT and roles["pyproject.toml"] is FileRole.INFO


def test_env_var_beats_tool_kernelenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _conda_and_pip(tmp_path)
    write(tmp_path / "pyproject.toml", '[tool.kernelenv]\nbackend = "uv"\n')
    monkeypatch.setenv("KERNELENV_BACKEND", "micromamba")
    (project,) = detect(tmp_path)
    assert project.backend is Backend.MICROMAMBA
    assert "KERNELENV_BACKEND" in project.backend_reason
    assert project.spec == tmp_path / "environment.yml"
    # the argument beats both
    (project,) = detect(tmp_path, backend="venv")
    assert project.backend is Backend.UV and "--backend" in project.backend_reason
    assert find_project(tmp_path / "x.ipynb", backend=Backend.CONDA).backend is Backend.CONDA


def test_bad_tool_kernelenv_backend_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNELENV_BACKEND", raising=False)
    write(tmp_path / "requirements.txt", "numpy\n")
    write(tmp_path / "pyproject.toml", '[tool.black]\nline-length = 88\n\n[tool.kernelenv]\nbackend = "nix"\n')
    (project,) = detect(tmp_path)
    assert project.backend is Backend.UV
    (err,) = project.errors
    assert (err.path.name, err.line, err.column, err.code) == ("pyproject.toml", 5, 12, "invalid-backend")


# --------------------------------------------------------------------- errors


def test_malformed_files_give_file_line_column(tmp_path: Path) -> None:
    write(tmp_path / "a/environment.yml", "name: x\ndependencies:\n  - python=3.11\n  - numpy\n - pandas\n")
    write(tmp_path / "b/pyproject.toml", '[project]\nname = "b"\ndependencies = [\n  "numpy",\n'
          '  "pandas >= 2 <3",\n]\n')
    write(tmp_path / "c/requirements.txt", "numpy\n\nscipy==1.*.0\n")
    write(tmp_path / "d/pyproject.toml", '[project]\nname = "d"\ndependencies = ["x"\n'
          'requires-python = ">=3.10"\n')
    write(tmp_path / "e/requirements.txt", "numpy\n")  # a good project next to bad ones
    projects = {p.root.name: p for p in detect(tmp_path)}
    assert sorted(projects) == ["a", "b", "c", "d", "e"]
    got = {name: [(e.path.relative_to(tmp_path).as_posix(), e.line, e.column, e.code)
                  for e in p.errors] for name, p in projects.items()}
    assert got == {
        "a": [("a/environment.yml", 5, 2, "yaml-syntax")],
        "b": [("b/pyproject.toml", 5, 11, "invalid-requirement")],
        "c": [("c/requirements.txt", 3, 6, "invalid-requirement")],
        "d": [("d/pyproject.toml", 4, 1, "toml-syntax")],
        "e": [],
    }
    assert "pandas >= 2 <3" in projects["b"].errors[0].message
    assert str(projects["c"].errors[0]).startswith(f"{tmp_path / 'c/requirements.txt'}:3:6: ")


def test_bad_runtime_txt_is_an_error_with_line(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "numpy\n")
    write(tmp_path / "runtime.txt", "# comment\npython3.10\n")
    (project,) = detect(tmp_path)
    assert [(e.path.name, e.line, e.code) for e in project.errors] == [("runtime.txt", 2, "invalid-python-version")]


def test_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        detect(tmp_path / "nope")


# --------------------------------------------------------------------- find_project


def test_find_project_from_notebook_path(tmp_path: Path, corpus: Path) -> None:
    """A notebook put back at its original path in a copy of astropy-tutorials."""
    ws = tmp_path / "astropy"
    shutil.copytree(corpus / "astropy__astropy-tutorials", ws)
    nb = ws / "tutorials/redshift-plot/redshift-plot.ipynb"
    shutil.copy(ws / "notebooks/tutorials/redshift-plot/redshift-plot.ipynb", nb)
    project = find_project(nb, workspace=ws)
    assert project.root == ws / "tutorials/redshift-plot"
    assert project.spec == ws / "tutorials/redshift-plot/requirements.txt"
    assert project.workspace == ws
    # a folder path works too; the workspace root itself has no env files
    assert find_project(ws / "tutorials/vo", workspace=ws).name == "vo"
    assert find_project(ws / "scripts/build.py", workspace=ws) is None
    # outside the workspace: None
    assert find_project(corpus / "binder-examples__conda/notebooks/index.ipynb", workspace=ws) is None


def test_find_project_corpus_notebooks(corpus: Path) -> None:
    p = find_project(corpus / "binder-examples__conda/notebooks/index.ipynb", workspace=corpus)
    assert p.root == corpus / "binder-examples__conda" and p.backend is Backend.RATTLER
    # a notebook under Cassini's notebooks/binder/ belongs to Cassini (binder/ is config, not a project)
    p = find_project(corpus / "0Hughman0__Cassini/notebooks/binder/Introduction.ipynb")
    assert p.root == corpus / "0Hughman0__Cassini" and p.config_dir == p.root / "binder"
    # inside a uv workspace member: the workspace root
    p = find_project(corpus / "tdejager__test-uv-versions/packages/pkg_dynamic/src/pkg_dynamic/__init__.py")
    assert p.root == corpus / "tdejager__test-uv-versions"
    # a notebook in a binder/ folder belongs to the parent
    p = find_project(corpus / "0Hughman0__Cassini/binder/environment.yml")
    assert p.root == corpus / "0Hughman0__Cassini"


def test_env_file_error_is_raised_type(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r missing.txt\n")
    (project,) = detect(tmp_path)
    (err,) = project.errors
    assert isinstance(err, EnvFileError)
    assert (err.line, err.column, err.code) == (1, 1, "missing-include")


def test_odd_files_never_crash_detection(tmp_path: Path) -> None:
    """Wrong types and odd encodings become errors on their own project only."""
    odd = {
        "a/environment.yml": "- just\n- a list\n",
        "b/pyproject.toml": "[project]\nname = 5\n",
        "c/pyproject.toml": "project = 3\n",
        "d/Pipfile": "[packages]\nnumpy = 3\n",
        "e/pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\nfoo = {git = 5}\n',
        "f/pyproject.toml": '[tool.uv.workspace]\nmembers = "x"\n',
        "g/environment.yml": "",
    }
    for rel, text in odd.items():
        write(tmp_path / rel, text)
    (tmp_path / "h").mkdir()
    (tmp_path / "h/requirements.txt").write_bytes(b"\xff\xfe numpy\n")
    write(tmp_path / "ok/requirements.txt", "numpy\n")
    projects = {p.root.name: p for p in detect(tmp_path)}
    assert sorted(projects) == ["a", "b", "c", "d", "e", "f", "g", "h", "ok"]
    for name in ("a", "b", "c", "d", "e", "f", "g", "h"):
        assert projects[name].errors, name
        assert all(isinstance(e, EnvFileError) for e in projects[name].errors)
    # A wrong type is an error on its line, not a warning (issue 17: checked, not coerced).
    assert projects["e"].errors[0].line == 4 and "foo" in projects["e"].errors[0].detail
    assert projects["ok"].errors == []


def test_tool_kernelenv_applies_with_binder_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERNELENV_BACKEND", raising=False)
    write(tmp_path / "pyproject.toml", '[tool.kernelenv]\nbackend = "micromamba"\n')
    write(tmp_path / "binder/environment.yml", "dependencies:\n  - python=3.11\n")
    (project,) = detect(tmp_path)
    assert project.backend is Backend.MICROMAMBA
    assert project.spec == tmp_path / "binder/environment.yml"


def test_python_version_file_conflicting_with_requires_python(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "p"\nversion = "0"\nrequires-python = ">=3.11"\n')
    write(tmp_path / ".python-version", "3.10\n")
    (project,) = detect(tmp_path)
    assert project.python.source == tmp_path / ".python-version"
    assert any(".python-version asks for Python 3.10 but pyproject.toml requires >=3.11" in w
               for w in project.warnings)


def test_find_project_skips_envs_and_pruned_folders(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "numpy\n")
    write(tmp_path / ".venv/pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / ".venv/lib/python3.11/site-packages/foo/requirements.txt", "six\n")
    write(tmp_path / "node_modules/pkg/requirements.txt", "six\n")
    inside_env = tmp_path / ".venv/lib/python3.11/site-packages/foo/mod.py"
    assert find_project(inside_env).root == tmp_path
    assert find_project(inside_env, workspace=tmp_path).root == tmp_path
    assert find_project(tmp_path / "node_modules/pkg/x.ipynb", workspace=tmp_path).root == tmp_path
