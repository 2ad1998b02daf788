"""The pip-world parsers on the corpus files and on hand-written edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from kernelenv.errors import EnvFileError
from kernelenv.parsers import locks, pipfile, poetry, pyproject, python_request, requirements


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------- requirements


def test_every_corpus_requirements_file_parses(corpus: Path) -> None:
    files = sorted(corpus.glob("**/requirements*.txt")) + sorted(corpus.glob("**/requirements.in"))
    assert len(files) == 27
    for f in files:
        lines = requirements.read_requirements(f)
        assert lines and all(r.requirement is not None or r.url or r.option for r in lines)


def test_corpus_requirements_details(corpus: Path) -> None:
    lines = requirements.read_requirements(
        corpus / "astropy__astropy-tutorials/tutorials/spectral-cube-reprojection/requirements.txt")
    direct = [r for r in lines if r.requirement and r.requirement.url]
    assert [(r.line, r.requirement.name, r.requirement.url) for r in direct] == [
        (8, "spectral_cube", "git+https://github.com/radio-astro-tools/spectral-cube")]
    pycon = requirements.read_requirements(corpus / "tanyaschlusser__15-years-pycon/requirements.txt")
    sqla = next(r for r in pycon if r.name == "SQLAlchemy")
    assert str(sqla.requirement.specifier) == ">=1" and sqla.raw == "SQLAlchemy >= 1"
    dev = requirements.read_requirements(corpus / "astropy__astropy-tutorials/scripts/requirements-dev.txt")
    assert [r.name for r in dev].count("pre-commit") == 2  # listed twice, no final newline


def test_requirements_includes_options_hashes(tmp_path: Path) -> None:
    write(tmp_path / "base/common.txt", "numpy==2.2.2 \\\n    --hash=sha256:aa --hash sha256:bb\n")
    write(tmp_path / "constraints.txt", "numpy<3\n")
    write(tmp_path / "requirements.txt",
          "# top comment\n"
          "--index-url https://example.org/simple\n"
          "--extra-index-url=https://extra.example.org/simple\n"
          "-r base/common.txt\n"
          "-c constraints.txt\n"
          "pandas[performance]>=2; python_version >= '3.10'  # trailing\n"
          "-e git+https://github.com/x/y.git@main#egg=y\n"
          "./local/pkg\n"
          "--pre\n")
    lines = requirements.read_requirements(tmp_path / "requirements.txt")
    summary = [(r.path.name, r.line, r.option, r.value, r.name, r.hashes, r.constraint, r.editable)
               for r in lines]
    assert summary == [
        ("requirements.txt", 2, "--index-url", "https://example.org/simple", None, (), False, False),
        ("requirements.txt", 3, "--extra-index-url", "https://extra.example.org/simple", None, (), False, False),
        ("common.txt", 1, None, None, "numpy", ("sha256:aa", "sha256:bb"), False, False),
        ("constraints.txt", 1, None, None, "numpy", (), True, False),
        ("requirements.txt", 6, None, None, "pandas", (), False, False),
        ("requirements.txt", 7, None, None, "y", (), False, True),
        ("requirements.txt", 8, None, None, None, (), False, False),
        ("requirements.txt", 9, "--pre", None, None, (), False, False),
    ]
    assert lines[6].url == "./local/pkg"
    assert requirements.requirement_strings(lines) == [
        "numpy==2.2.2", 'pandas[performance]>=2; python_version >= "3.10"']
    assert not requirements.is_fully_hashed(lines)
    assert requirements.is_fully_hashed(requirements.read_requirements(tmp_path / "base/common.txt"))


@pytest.mark.parametrize("text, line, column, code", [
    ("numpy\n\nscipy==1.*.0\n", 3, 6, "invalid-requirement"),
    ("numpy\n  pandas >=1.0 foo\n", 2, 10, "invalid-requirement"),
    ("--frobnicate\n", 1, 1, "invalid-option"),
    ("numpy\n-r missing.txt\n", 2, 1, "missing-include"),
    ("-r requirements.txt\n", 1, 1, "circular-include"),
    ("--index-url\n", 1, 1, "invalid-option"),
])
def test_requirements_errors(tmp_path: Path, text: str, line: int, column: int, code: str) -> None:
    f = write(tmp_path / "requirements.txt", text)
    with pytest.raises(EnvFileError) as info:
        requirements.read_requirements(f)
    err = info.value
    assert (err.path, err.line, err.column, err.code) == (f, line, column, code)


# --------------------------------------------------------------------- pyproject


def test_pyproject_uv_project_with_dev_group(corpus: Path) -> None:
    pp = pyproject.read_pyproject(corpus / "kriti-ach__SharedControlPaper/pyproject.toml")
    assert pp.name == "sharedcontrolpaper" and pp.is_project and not pp.is_poetry
    assert pp.requires_python == ">=3.12"
    assert "pytest>=8.3.5" in pp.dependencies
    assert pp.dependency_groups["dev"][0] == "ipykernel>=6.29.5"
    assert pyproject.ipykernel_group(pp) == "dev"


def test_pyproject_poetry_converted_to_pep508(corpus: Path) -> None:
    pp = pyproject.read_pyproject(corpus / "molgor__THC-FC-UNAM/pyproject.toml")
    assert pp.is_poetry and pp.name == "thc_fciencias"
    assert (pp.requires_python, pp.requires_python_raw) == (">=3.11.2,<4.0.0", "^3.11.2")
    assert "notebook==6.5.6" in pp.dependencies
    assert "jupyterlab>=4.0,<5.0" in pp.dependencies
    assert "pillow>=9.0.0" in pp.dependencies
    assert all(Requirement(d) for d in pp.dependencies)
    assert pp.dependency_groups["dev"][-1] == "ruff (>=0.15.11,<0.16.0)"  # PEP 735 beside poetry


def test_pyproject_poetry_extras_and_groups(corpus: Path) -> None:
    pp = pyproject.read_pyproject(corpus / "0Hughman0__Cassini/pyproject.toml")
    assert pp.requires_python == ">=3.9,<4.0,<3.13.0"
    assert not any(d.startswith(("pandas", "semantic-version")) for d in pp.dependencies)
    assert pp.optional_dependencies == {
        "ipygui": ['pandas>=1.0,<2.0 ; (python_full_version < "3.12")'],
        "cassini_lib": ["semantic-version>=2.10.0,<3.0.0"]}
    assert sorted(pp.dependency_groups) == ["dev", "docs"]
    assert "pytest>=8.0,<9.0" in pp.dependency_groups["dev"]


def test_pyproject_uv_workspace_and_tool_only(corpus: Path) -> None:
    ws = pyproject.read_pyproject(corpus / "tdejager__test-uv-versions/pyproject.toml")
    assert ws.is_uv_workspace
    assert ws.workspace_members == ["packages/pkg_dynamic", "packages/pkg_versioned"]
    assert ws.path_sources == ["packages/pkg_editable"]
    tools = pyproject.read_pyproject(corpus / "ProjectPythia__pythia-foundations/pyproject.toml")
    assert not tools.is_project and tools.name is None


def test_pyproject_include_group_and_kernelenv_table(tmp_path: Path) -> None:
    f = write(tmp_path / "pyproject.toml",
              '[dependency-groups]\ntest = ["pytest"]\n'
              'dev = [{include-group = "test"}, "ipykernel"]\n'
              '[tool.kernelenv]\nbackend = "rattler"\n')
    pp = pyproject.read_pyproject(f)
    assert pp.is_project and pp.dependency_groups == {"test": ["pytest"], "dev": ["pytest", "ipykernel"]}
    assert pp.kernelenv == {"backend": "rattler"}


@pytest.mark.parametrize("text, line, column, code", [
    ('[project]\nname = "x"\ndependencies = [\n  "numpy",\n  "pandas >= 2 <3",\n]\n', 5, 11,
     "invalid-requirement"),
    ('[project]\nname = "x"\nrequires-python = "3.10+"\n', 3, 20, "invalid-specifier"),
    ('[project]\nname = "x"\ndependencies = ["x"\nrequires-python = ">=3.10"\n', 4, 1, "toml-syntax"),
    ('[dependency-groups]\ndev = [{include-group = "nope"}]\n', 2, 26, "unknown-group"),
    ('[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n', 2, 1,
     "group-cycle"),
    ('[project]\nname = "x"\ndependencies = "numpy"\n', 3, 1, "invalid-type"),
])
def test_pyproject_errors(tmp_path: Path, text: str, line: int, column: int, code: str) -> None:
    f = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(EnvFileError) as info:
        pyproject.read_pyproject(f)
    err = info.value
    assert (err.line, err.column, err.code) == (line, column, code), err


# --------------------------------------------------------------------- Pipfile


def test_pipfiles(corpus: Path, tmp_path: Path) -> None:
    pf = pipfile.read_pipfile(corpus / "binder-examples__pipfile/Pipfile")
    assert (pf.packages, pf.dev_packages, pf.python_version, pf.python_line) == (
        ["seaborn", "numpy"], ["pytest"], "3.6", 14)
    pf = pipfile.read_pipfile(corpus / "tanyaschlusser__15-years-pycon/Pipfile")
    assert "SQLAlchemy>=1" in pf.packages and pf.python_version is None
    f = write(tmp_path / "Pipfile",
              '[packages]\nrequests = {version = ">=2", extras = ["socks"], markers = "os_name == \'posix\'"}\n'
              'pywin = {version = "*", sys_platform = "== \'win32\'"}\n'
              'mylib = {git = "https://github.com/x/mylib.git", ref = "v1"}\n'
              '[requires]\npython_full_version = "3.11.4"\n')
    pf = pipfile.read_pipfile(f)
    assert pf.packages == ['requests[socks]>=2 ; (os_name == \'posix\')',
                           "pywin ; sys_platform == 'win32'",
                           "mylib @ git+https://github.com/x/mylib.git@v1"]
    assert all(Requirement(r) for r in pf.packages)
    assert pf.python_version == "3.11.4"


def test_pipfile_error_line(tmp_path: Path) -> None:
    f = write(tmp_path / "Pipfile", '[packages]\nnumpy = "*"\nscipy = "=>1.0"\n')
    with pytest.raises(EnvFileError) as info:
        pipfile.read_pipfile(f)
    assert (info.value.line, info.value.column, info.value.code) == (3, 1, "invalid-requirement")


# --------------------------------------------------------------------- locks


def test_pipfile_lock_pins(corpus: Path) -> None:
    pins = locks.read_pins(corpus / "binder-examples__pipfile/Pipfile.lock")
    default = [p for p in pins if p.groups == ("default",)]
    develop = [p for p in pins if p.groups == ("develop",)]
    assert (len(default), len(develop)) == (11, 12)  # as INDEX.md documents
    cycler = next(p for p in default if p.name == "cycler")
    assert cycler.version == "0.10.0" and all(h.startswith("sha256:") for h in cycler.hashes)
    assert cycler.requirement() == "cycler==0.10.0"


def test_poetry_uv_pylock_pins(corpus: Path, tmp_path: Path) -> None:
    pins = locks.read_pins(corpus / "molgor__THC-FC-UNAM/poetry.lock")
    nb = next(p for p in pins if p.name == "notebook")
    assert nb.version == "6.5.6" and nb.hashes and "main" in nb.groups
    uv = locks.read_pins(corpus / "kriti-ach__SharedControlPaper/uv.lock")
    names = {p.name: p.version for p in uv}
    assert names["sharedcontrolpaper"] == "0.1.0"  # the lock is older than pyproject's 0.1.2
    assert "ipykernel" in names
    f = write(tmp_path / "pylock.toml",
              'lock-version = "1.0"\ncreated-by = "test"\n'
              '[[packages]]\nname = "numpy"\nversion = "2.2.2"\nmarker = "python_version >= \'3.10\'"\n'
              '[[packages.wheels]]\nurl = "https://x/numpy.whl"\nhashes = {sha256 = "abc"}\n')
    (pin,) = locks.read_pins(f)
    assert (pin.name, pin.version, pin.hashes, pin.marker) == (
        "numpy", "2.2.2", ("sha256:abc",), "python_version >= '3.10'")


def test_lock_errors(tmp_path: Path) -> None:
    f = write(tmp_path / "Pipfile.lock", '{"default": {\n  "numpy": {"version": "==1.0",}\n}}\n')
    with pytest.raises(EnvFileError) as info:
        locks.read_pins(f)
    assert (info.value.line, info.value.code) == (2, "json-syntax")
    f = write(tmp_path / "poetry.lock", '[[package]]\nname = "x"\nversion = \n')
    with pytest.raises(EnvFileError) as info:
        locks.read_pins(f)
    assert (info.value.line, info.value.column, info.value.code) == (3, 11, "toml-syntax")


# --------------------------------------------------------------------- python requests / poetry


@pytest.mark.parametrize("constraint, spec", [
    ("^3.11.2", ">=3.11.2,<4.0.0"), ("^0.2.3", ">=0.2.3,<0.3.0"), ("^0.0.3", ">=0.0.3,<0.0.4"),
    ("~1.2.3", ">=1.2.3,<1.3.0"), ("~1", ">=1,<2.0"), ("~=1.4", "~=1.4"), ("*", ""),
    ("6.5.6", "==6.5.6"), ("1.*", "==1.*"), (">= 1.0, < 2", ">=1.0,<2"),
    ("^3.9,<3.13.0", ">=3.9,<4.0,<3.13.0"),
])
def test_poetry_constraints(constraint: str, spec: str) -> None:
    assert poetry.constraint_to_specifier(constraint) == spec


def test_poetry_or_is_refused() -> None:
    with pytest.raises(poetry.PoetryConstraintError):
        poetry.constraint_to_specifier("^2.7 || ^3.6")


def test_python_request_files(tmp_path: Path) -> None:
    r = python_request.from_runtime_txt(write(tmp_path / "runtime.txt", "python-3.10\n"))
    assert (r.specifier, r.raw) == ("==3.10.*", "python-3.10")
    assert python_request.from_runtime_txt(write(tmp_path / "runtime.txt", "python-3.9.7\n")).specifier == "==3.9.7"
    assert python_request.from_runtime_txt(write(tmp_path / "runtime.txt", "r-4.1-2021-10-01\n")) is None
    with pytest.raises(EnvFileError) as info:
        python_request.from_runtime_txt(write(tmp_path / "runtime.txt", "python-three\n"))
    assert (info.value.line, info.value.column) == (1, 8)
    for text, spec in [("3.13\n", "==3.13.*"), ("3.11.4\n", "==3.11.4"), ("cpython-3.12\n", "==3.12.*"),
                       ("# pinned\n3.13t\n", "==3.13.*")]:
        r = python_request.from_python_version_file(write(tmp_path / ".python-version", text))
        assert r.specifier == spec, text
    with pytest.raises(EnvFileError):
        python_request.from_python_version_file(write(tmp_path / ".python-version", "system\n"))
    assert python_request.from_pipfile_version("3.6", tmp_path / "Pipfile").specifier == "==3.6.*"
    assert python_request.from_poetry("^3.11.2", tmp_path / "p").specifier == ">=3.11.2,<4.0.0"


@pytest.mark.parametrize("conda, spec", [
    ("3.11", "==3.11.*"), ("3.11.*", "==3.11.*"), ("3.8.5", "==3.8.5"), ("==3.14", "==3.14"),
    (">=3.9,<3.12", "<3.12,>=3.9"), ("3.6.10=h9f7ef89_0", "==3.6.10"), ("*", None),
    ("3.8|3.9", None),
])
def test_conda_python_versions(conda: str, spec: str | None) -> None:
    assert python_request.conda_version_to_specifier(conda) == spec
