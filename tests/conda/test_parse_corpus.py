"""Every conda, conda-lock and pixi file of the corpus parses to what it says, or fails precisely.

Also the shapes the corpus does not hold but real files do: column-0 YAML lists,
``python==3.14``, a conda-lock file without the top-level ``version`` key, ``@EXPLICIT``
files, YAML syntax errors and invalid MatchSpecs (each with file, line and column).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelenv.errors import EnvFileError
from kernelenv.parsers.conda import read_environment_yml, strip_build
from kernelenv.parsers.condalock import is_explicit_lock, read_conda_lock, read_explicit
from kernelenv.parsers.pixi import read_pixi_lock, read_pixi_toml

# (folder/file, name, channels, number of conda deps, python, pip entries)
ENV_FILES = [
    ("binder-examples__conda/environment.yml", "example-environment", ["conda-forge"], 10, "3.11", []),
    ("0Hughman0__Cassini/binder/environment.yml", "cassini", [], 3, "3.8", ["cassini~=0.3.0"]),
    ("jakevdp__PythonDataScienceHandbook/environment.yml", "data-science-handbook", ["conda-forge"], 1, "3.5",
     ["-r requirements.txt"]),
    ("ageron__handson-ml3/environment.yml", "homl3", ["conda-forge"], 27, "3.10", None),
    ("ProjectPythia__pythia-foundations/environment.yml", "pythia-book-dev", ["conda-forge"], 19, None, []),
    ("3shn__BDA_py_demos/environment.yml", "bda_py_demos", ["conda-forge", "defaults"], 10, None, []),
    ("GenericMappingTools__egu22pygmt/environment.yml", "egu22pygmt", ["conda-forge", "nodefaults"], 11, "3.9",
     ["lazrs==0.4.3"]),
    ("movingpandas__movingpandas/environment.yml", "movingpandas-dev", ["conda-forge"], 24, "3.12", []),
    ("movingpandas__movingpandas/environment-minimum.yml", "mpd-mini", ["conda-forge"], 9, "3.12", []),
    ("movingpandas__movingpandas/environment-minimum-3.9.yml", "mpd-mini-3.9", ["conda-forge"], 8, "3.9", []),
    ("movingpandas__movingpandas/environment-geopandas-pre1.0.yml", "mpd-gpd-1.0", ["conda-forge"], 6, "3.10", []),
    ("movingpandas__movingpandas/docs/environment.yml", "mpd-docs", ["conda-forge"], 13, "3.10", []),
    ("CompVis__stable-diffusion/environment.yaml", "ldm", ["pytorch", "defaults"], 6, "3.8.5", None),
    ("btcrabb__NSQIP_ML/environment.yml", "NSQIP", ["defaults"], 141, "3.6.10", None),
]


def test_every_corpus_conda_file_is_covered(corpus: Path) -> None:
    found = {p.relative_to(corpus).as_posix() for p in corpus.rglob("environment*.y*ml")
             if "notebooks" not in p.relative_to(corpus).parts}
    assert found == {row[0] for row in ENV_FILES}


@pytest.mark.parametrize("rel,name,channels,ndeps,python,pip", ENV_FILES, ids=[r[0] for r in ENV_FILES])
def test_environment_files(corpus: Path, rel: str, name: str, channels: list[str], ndeps: int,
                           python: str | None, pip: list[str] | None) -> None:
    spec = read_environment_yml(corpus / rel)
    assert spec.name == name
    assert spec.channels == channels
    assert len(spec.dependencies) == ndeps
    assert spec.python == python
    if pip is not None:
        assert spec.pip == pip
    assert all(not isinstance(d, dict) for d in spec.dependencies)


def test_handson_ml3_comments_and_pip(corpus: Path) -> None:
    spec = read_environment_yml(corpus / "ageron__handson-ml3/environment.yml")
    assert spec.dependencies[0] == "box2d-py=2.3"  # the inline comment is not part of the spec
    assert spec.python_line == 24
    assert len(spec.pip) == 13
    assert "gymnasium[classic_control,atari]" in spec.pip
    assert spec.pip_line == 32


def test_pip_requirement_file_is_relative_to_the_env_file(corpus: Path) -> None:
    spec = read_environment_yml(corpus / "jakevdp__PythonDataScienceHandbook/environment.yml")
    assert spec.pip_files == [(corpus / "jakevdp__PythonDataScienceHandbook/requirements.txt").resolve()]
    assert "pip" not in spec.dependencies  # pip itself is not listed there


def test_channel_less_file_warns_about_the_default(corpus: Path) -> None:
    spec = read_environment_yml(corpus / "0Hughman0__Cassini/binder/environment.yml")
    assert spec.channels == []
    assert any("no `channels:`" in w for w in spec.warnings)


def test_editable_git_lines_are_kept_and_reported(corpus: Path) -> None:
    spec = read_environment_yml(corpus / "CompVis__stable-diffusion/environment.yaml")
    assert spec.pip[-3:] == [
        "-e git+https://github.com/CompVis/taming-transformers.git@master#egg=taming-transformers",
        "-e git+https://github.com/openai/CLIP.git@main#egg=clip",
        "-e .",
    ]
    assert len(spec.pip) == 19
    assert [w.split(":")[0] for w in spec.warnings] == ["line 29", "line 30", "line 31"]


def test_windows_export_is_recognised(corpus: Path) -> None:
    spec = read_environment_yml(corpus / "btcrabb__NSQIP_ML/environment.yml")
    assert spec.prefix == r"C:\Users\brend\.conda\envs\NSQIP"
    assert len(spec.with_builds) == 141
    win = {e.name for e in spec.windows_only}
    assert {"vc", "vs2015_runtime", "pywin32", "pywinpty", "wincertstore", "msys2-conda-epoch"} <= win
    assert any(n.startswith("m2w64-") for n in win)
    assert spec.python_line == 102
    kept, dropped = spec.stripped_dependencies()
    assert len(kept) + len(dropped) == 141
    assert "absl-py==0.9.0" in kept and "python==3.6.10" in kept
    assert all("=py36" not in k for k in kept)
    assert "vc=14.1=h0510ff6_4" in dropped


def test_strip_build_forms() -> None:
    assert strip_build("absl-py=0.9.0=py36_0") == "absl-py==0.9.0"
    assert strip_build("numpy 1.2 py_0") == "numpy==1.2"
    assert strip_build("numpy>=1.2") == "numpy>=1.2"


def test_column_zero_lists_and_python_double_equals(tmp_path: Path) -> None:
    f = tmp_path / "environment.yml"
    f.write_text("name: z\nchannels:\n- conda-forge\n- nodefaults\ndependencies:\n- python==3.14\n- numpy>=2\n"
                 "- pip:\n  - requests\n", encoding="utf-8")
    spec = read_environment_yml(f)
    assert spec.channels == ["conda-forge", "nodefaults"]
    assert spec.dependencies == ["python==3.14", "numpy>=2"]
    assert spec.python == "==3.14" and spec.python_line == 6
    assert spec.pip == ["requests"]


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "environment.yml"
    f.write_text("name: x\ndependencies:\n  - numpy\n - scipy\n", encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_environment_yml(f)
    e = ei.value
    assert (e.path, e.line, e.column, e.code) == (f, 4, 2, "yaml-syntax")
    assert str(e) == (f"{f}:4:2: invalid YAML: while parsing a block mapping: expected <block end>, "
                      "but found '<block sequence start>'")


def test_mis_indented_entry_becomes_an_invalid_spec_on_its_line(tmp_path: Path) -> None:
    """``- numpy`` followed by a deeper ``- scipy`` is valid YAML (one scalar "numpy - scipy")."""
    f = tmp_path / "environment.yml"
    f.write_text("name: x\ndependencies:\n  - numpy\n   - scipy\n", encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_environment_yml(f)
    assert (ei.value.line, ei.value.column, ei.value.code) == (3, 5, "invalid-matchspec")
    assert "'numpy - scipy'" in str(ei.value)


def test_invalid_matchspec_names_its_line(tmp_path: Path) -> None:
    f = tmp_path / "environment.yml"
    f.write_text("name: x\ndependencies:\n  - numpy\n  - scipy>=>1\n", encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_environment_yml(f)
    e = ei.value
    assert (e.line, e.column, e.code) == (4, 5, "invalid-matchspec")
    assert "invalid conda dependency 'scipy>=>1': unable to parse version spec: >=>1" in str(e)


def test_wrong_structure(tmp_path: Path) -> None:
    f = tmp_path / "environment.yml"
    f.write_text("name: x\ndependencies: numpy\n", encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_environment_yml(f)
    assert (ei.value.line, ei.value.code) == (2, "invalid-structure")
    assert "`dependencies` must be a list, not a value" in str(ei.value)


# ------------------------------------------------------------------ conda-lock
def test_egu22pygmt_conda_lock(corpus: Path) -> None:
    """The corpus's conda-lock 1.0.x file: nodefaults as a channel URL, three platforms, pip entries.

    (INDEX.md says it has no top-level ``version`` key; the file does end with ``version: 1``.)
    """
    lock = read_conda_lock(corpus / "GenericMappingTools__egu22pygmt/conda-lock.yml")
    assert lock.version == 1
    assert lock.platforms == ["linux-64", "osx-64", "win-64"]
    assert lock.channels == ["conda-forge", "nodefaults"]
    assert lock.sources == ["environment.yml"]
    assert set(lock.content_hash) == {"linux-64", "osx-64", "win-64"}
    assert len(lock.packages) == 897
    pip = [p for p in lock.packages if p.manager == "pip"]
    assert [(p.name, p.version, p.platform) for p in pip] == [
        ("lazrs", "0.4.3", "linux-64"), ("lazrs", "0.4.3", "osx-64"), ("lazrs", "0.4.3", "win-64")]
    assert pip[0].url.endswith("lazrs-0.4.3-cp39-cp39-manylinux_2_12_x86_64.manylinux2010_x86_64.whl")
    assert pip[0].sha256 == "29484e4684bb09f8bdef9e606b3c6eb001dbc0e20bc07d13cfd2f9af9a5e1ed2"
    linux = lock.for_platform("linux-64", "conda")
    assert len(linux) == 310
    first = linux[0]
    assert (first.name, first.version, first.md5) == ("_libgcc_mutex", "0.1", "d7c89558ba9fa0495403155b64376d81")
    py = next(p for p in linux if p.name == "python")
    assert py.version.startswith("3.9.")
    gmt = next(p for p in linux if p.name == "gmt")
    assert gmt.version == "6.3.0"


def test_conda_lock_without_version_key(tmp_path: Path) -> None:
    f = tmp_path / "conda-lock.yml"
    f.write_text(
        "metadata:\n  channels:\n  - url: conda-forge\n    used_env_vars: []\n  content_hash:\n    linux-64: abc\n"
        "  platforms:\n  - linux-64\n  sources:\n  - environment.yml\npackage:\n- category: main\n"
        "  dependencies: {}\n  hash:\n    md5: d7c89558ba9fa0495403155b64376d81\n  manager: conda\n"
        "  name: _libgcc_mutex\n  optional: false\n  platform: linux-64\n"
        "  url: https://conda.anaconda.org/conda-forge/linux-64/_libgcc_mutex-0.1-conda_forge.tar.bz2\n"
        "  version: '0.1'\n", encoding="utf-8")
    lock = read_conda_lock(f)
    assert lock.version is None and lock.layout == "1.0.x"
    assert [(p.name, p.platform, p.line) for p in lock.packages] == [("_libgcc_mutex", "linux-64", 12)]


def test_conda_lock_errors(tmp_path: Path) -> None:
    f = tmp_path / "conda-lock.yml"
    f.write_text("version: 7\nmetadata: {}\npackage: []\n", encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_conda_lock(f)
    assert (ei.value.line, ei.value.code) == (1, "unsupported-lock-version")
    f.write_text("version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n- name: x\n  manager: conda\n",
                 encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_conda_lock(f)
    assert ei.value.line == 5
    assert "package entry 'x' lacks version, platform, url" in str(ei.value)


def test_explicit_lock(tmp_path: Path) -> None:
    f = tmp_path / "linux-64.lock"
    f.write_text("# platform: linux-64\n@EXPLICIT\n"
                 "https://conda.anaconda.org/conda-forge/linux-64/_libgcc_mutex-0.1-conda_forge.tar.bz2"
                 "#d7c89558ba9fa0495403155b64376d81\n"
                 "https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda\n", encoding="utf-8")
    assert is_explicit_lock(f)
    ex = read_explicit(f)
    assert ex.platform == "linux-64"
    assert [(p.name, p.version, p.md5) for p in ex.packages] == [
        ("_libgcc_mutex", "0.1", "d7c89558ba9fa0495403155b64376d81"), ("tzdata", "2024a", None)]
    other = tmp_path / "poetry.lock"
    other.write_text("[[package]]\nname = 'x'\n", encoding="utf-8")
    assert not is_explicit_lock(other)
    f.write_text("@EXPLICIT\nnot a url\n", encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_explicit(f)
    assert ei.value.line == 2


# ------------------------------------------------------------------------ pixi
def test_bda_pixi_toml(corpus: Path) -> None:
    m = read_pixi_toml(corpus / "3shn__BDA_py_demos/pixi.toml")
    assert (m.name, m.table) == ("bda_py_demos", "workspace")
    assert m.channels == ["conda-forge", "main", "r", "msys2"]
    assert m.platforms == ["linux-64"]
    assert list(m.dependencies) == ["python", "cmdstanpy", "arviz", "matplotlib", "numpy", "jupyter", "ipython",
                                    "pandas", "scipy", "preliz"]
    assert m.python is None  # python = "*"
    assert m.pypi_dependencies == {}
    assert m.environments == {"default": ["default"]}


def test_bda_pixi_lock(corpus: Path) -> None:
    lock = read_pixi_lock(corpus / "3shn__BDA_py_demos/pixi.lock")
    assert lock.platforms == ["linux-64"]
    assert lock.channels["default"] == ["https://conda.anaconda.org/conda-forge/", "https://conda.anaconda.org/main/",
                                        "https://conda.anaconda.org/r/", "https://conda.anaconda.org/msys2/"]
    pk = lock.environments["default"]["linux-64"]
    assert len(pk) == 290 and all(p.manager == "conda" for p in pk)
    names = {p.name: p.version for p in pk}
    assert names["python"].startswith("3.13.") and "cmdstanpy" in names and "ipykernel" in names


def test_pixi_project_table_features_and_environments(tmp_path: Path) -> None:
    f = tmp_path / "pixi.toml"
    f.write_text('[project]\nname = "old"\nchannels = ["conda-forge"]\nplatforms = ["linux-64", "osx-arm64"]\n'
                 '[dependencies]\npython = "3.11.*"\nnumpy = ">=1.26"\n[pypi-dependencies]\nrequests = "*"\n'
                 '[feature.test.dependencies]\npytest = "*"\n[feature.lint.dependencies]\nruff = "*"\n'
                 '[environments]\ntest = ["test"]\nlint = {features = ["lint"], no-default-feature = true}\n',
                 encoding="utf-8")
    m = read_pixi_toml(f)
    assert (m.name, m.table, m.python) == ("old", "project", "3.11.*")
    assert m.environments == {"default": ["default"], "test": ["default", "test"], "lint": ["lint"]}
    assert set(m.features) == {"default", "test", "lint"}
    test_env = m.resolve("test")
    assert test_env.dependencies == {"python": "3.11.*", "numpy": ">=1.26", "pytest": "*"}
    assert test_env.pypi_dependencies == {"requests": "*"}
    assert m.resolve("lint").dependencies == {"ruff": "*"}
    with pytest.raises(EnvFileError, match="no pixi environment 'docs'; known: default, lint, test"):
        m.resolve("docs")


def test_pixi_toml_syntax_error(tmp_path: Path) -> None:
    f = tmp_path / "pixi.toml"
    f.write_text('[workspace]\nname = "x"\nchannels = ["conda-forge"\n', encoding="utf-8")
    with pytest.raises(EnvFileError) as ei:
        read_pixi_toml(f)
    assert (ei.value.code, ei.value.line) == ("toml-syntax", 3)
    assert "Unclosed array at end of file" in str(ei.value)
