"""Spec edits keep the author's comments, order and layout (kernelenv.spec_edit): every format
add/remove edits, checked as exact text, and each edited file read back by kernelenv's own
parser for that format (the reader `create` uses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelenv.errors import EnvFileError, KernelenvError
from kernelenv.spec_edit import Change, edit_spec


def _edit(tmp_path: Path, name: str, kind: str, text: str, change: Change) -> tuple[str, Path]:
    path = tmp_path / name
    new = edit_spec(path, kind, text, change)
    path.write_text(new)
    return new, path


def test_requirements_replace_keeps_comment_remove_drops_continuations(tmp_path):
    text = "# data\nsix  # helpers\nnumpy>=1 \\\n    --hash=sha256:00\n-r more.txt\nRequests\n"
    new, path = _edit(tmp_path, "requirements.txt", "requirements", text,
                      Change(add=("six==1.16.0", "idna==3.7"), remove=("numpy", "requests")))
    assert new == "# data\nsix==1.16.0  # helpers\n-r more.txt\nidna==3.7\n"


def test_pep621_dependencies_and_groups(tmp_path):
    text = ('[project]\nname = "p"\ndependencies = [\n    "numpy>=1",  # arrays\n    "six",\n]\n\n'
            '[dependency-groups]\ndev = ["pytest"]\n')
    new, path = _edit(tmp_path, "pyproject.toml", "pyproject", text, Change(add=("idna==3.7",), remove=("six",)))
    assert new == ('[project]\nname = "p"\ndependencies = [\n    "numpy>=1",  # arrays\n    "idna==3.7",\n]\n\n'
                   '[dependency-groups]\ndev = ["pytest"]\n')
    new = edit_spec(path, "pyproject", new, Change(add=("ipykernel",), group="dev"))
    assert 'dev = ["pytest", "ipykernel"]' in new
    from kernelenv.parsers.pyproject import read_pyproject

    path.write_text(new)
    pp = read_pyproject(path)
    assert list(pp.dependencies) == ["numpy>=1", "idna==3.7"]
    assert list(pp.dependency_groups["dev"]) == ["pytest", "ipykernel"]


def test_poetry_table_keeps_python_and_comments(tmp_path):
    text = ('[tool.poetry]\nname = "p"\n\n# runtime\n[tool.poetry.dependencies]\npython = "^3.10"\n'
            'requests = "^2.31"  # http\npandas = "*"\n')
    new, path = _edit(tmp_path, "pyproject.toml", "pyproject", text,
                      Change(add=("pandas[excel]>=2", "idna==3.7"), remove=("requests",)))
    assert new == ('[tool.poetry]\nname = "p"\n\n# runtime\n[tool.poetry.dependencies]\npython = "^3.10"\n'
                   'pandas = {version = ">=2", extras = ["excel"]}\nidna = "==3.7"\n')


def test_pipfile_packages(tmp_path):
    text = '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\nsix = "*"  # helpers\n\n[dev-packages]\npytest = "*"\n'
    new, path = _edit(tmp_path, "Pipfile", "Pipfile", text, Change(add=("idna==3.7",)))
    assert new == ('[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\nsix = "*"  # helpers\n'
                   'idna = "==3.7"\n\n[dev-packages]\npytest = "*"\n')
    from kernelenv.parsers.pipfile import read_pipfile

    assert "idna==3.7" in read_pipfile(path).packages


@pytest.mark.parametrize("text,change,expected", [
    ("name: x  # env\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11  # pinned\n  - numpy\n",
     Change(add=("scipy>=1.11",), remove=("numpy",)),
     "name: x  # env\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11  # pinned\n  - scipy>=1.11\n"),
    ("name: x\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - six  # helpers\n",
     Change(add=("idna==3.7",), pip=True),
     "name: x\ndependencies:\n- python=3.11\n- pip\n- pip:\n  - six  # helpers\n  - idna==3.7\n"),
    ("name: x\ndependencies:\n  - python=3.11\n",
     Change(add=("idna==3.7",), pip=True),
     "name: x\ndependencies:\n  - python=3.11\n  - pip:\n      - idna==3.7\n"),
])
def test_environment_yml(tmp_path, text, change, expected):
    new, path = _edit(tmp_path, "environment.yml", "environment.yml", text, change)
    assert new == expected
    from kernelenv.parsers.conda import read_environment_yml

    read_environment_yml(path)  # still a valid environment.yml for kernelenv's reader


def test_pixi_conda_and_pypi_dependencies(tmp_path):
    text = '[workspace]\nname = "p"\n\n[dependencies]\npython = "3.11.*"  # runtime\nnumpy = "*"\n'
    new, _ = _edit(tmp_path, "pixi.toml", "pixi.toml", text, Change(add=("scipy>=1.11",), remove=("numpy",)))
    assert new == '[workspace]\nname = "p"\n\n[dependencies]\npython = "3.11.*"  # runtime\nscipy = ">=1.11"\n'
    new = edit_spec(tmp_path / "pixi.toml", "pixi.toml", new, Change(add=("idna==3.7",), pip=True))
    assert new.endswith('\n[pypi-dependencies]\nidna = "==3.7"\n')


@pytest.mark.parametrize("name,kind,text,change,error,where", [
    ("requirements.txt", "requirements", "six\n", Change(remove=("numpy",)), KernelenvError,
     "numpy is not in requirements.txt; nothing was changed"),
    ("requirements.txt", "requirements", "six\n", Change(add=("six>>1",)), KernelenvError,
     "`six>>1` is not a valid requirement"),
    ("pyproject.toml", "pyproject", '[project]\nname = "p"\ndependencies = [\n  "six",\n', Change(add=("idna",)),
     EnvFileError, "pyproject.toml:4"),
    ("environment.yml", "environment.yml", "dependencies:\n  - [python\n", Change(add=("numpy",)), EnvFileError,
     "environment.yml:3"),
    ("environment.yml", "environment.yml", "dependencies:\n  - python\n", Change(add=("numpy >= = 1",)),
     KernelenvError, "is not a valid conda MatchSpec"),
])
def test_bad_input_is_a_clear_error(tmp_path, name, kind, text, change, error, where):
    with pytest.raises(error) as ei:
        edit_spec(tmp_path / name, kind, text, change)
    assert where in str(ei.value)


@pytest.mark.parametrize("name,kind,text,expected", [
    ("requirements.txt", "requirements", "# c\nSix==1\n-r other.txt\nidna ; python_version>'3'\n", {"six", "idna"}),
    ("pyproject.toml", "pyproject", '[project]\ndependencies = ["a>=1"]\n[dependency-groups]\ndev = ["b"]\n',
     {"a", "b"}),
    ("pyproject.toml", "pyproject", '[tool.poetry.dependencies]\npython = "^3.10"\nRequests = "*"\n', {"requests"}),
    ("environment.yml", "environment.yml", "dependencies:\n  - python=3.11\n  - pip:\n      - six\n",
     {"python", "six"}),
    ("pixi.toml", "pixi.toml", '[dependencies]\npython = "*"\nnumpy = "*"\n[pypi-dependencies]\nsix = "*"\n',
     {"numpy", "six"}),
])
def test_declared_names(tmp_path, name, kind, text, expected):
    from kernelenv.spec_edit import declared_names

    assert declared_names(tmp_path / name, kind, text) == expected
