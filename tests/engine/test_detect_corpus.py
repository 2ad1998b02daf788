"""Detection on every folder of the real-world corpus, as its INDEX.md documents.

Each expectation below is the corpus INDEX's "env files present", "backend a good tool
should pick" and Python request, read through kernelenv's rules (pixi/conda files ->
rattler; pip-world -> uv; poetry and Pipfile projects are built with uv from their pins).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kernelenv.detect import detect
from kernelenv.model import Backend, FileRole

S, L, P, I, V, N = (FileRole.SPEC, FileRole.LOCK, FileRole.PYTHON, FileRole.INPUT,
                    FileRole.VARIANT, FileRole.INFO)

# folder -> (backend, spec, lock, python specifier or None, python source or None, files)
EXPECTED: dict[str, tuple] = {
    "binder-examples__requirements": (
        Backend.UV, "requirements.txt", None, "==3.10.*", "runtime.txt",
        {"requirements.in": I, "requirements.txt": S, "runtime.txt": P}),
    "binder-examples__conda": (
        Backend.RATTLER, "environment.yml", None, "==3.11.*", "environment.yml",
        {"environment.yml": S}),
    "binder-examples__pipfile": (
        Backend.UV, "Pipfile", "Pipfile.lock", "==3.6.*", "Pipfile",
        {"Pipfile": S, "Pipfile.lock": L}),
    "0Hughman0__Cassini": (
        Backend.RATTLER, "binder/environment.yml", None, "==3.8.*", "binder/environment.yml",
        {"binder/environment.yml": S, "pyproject.toml": V}),
    "jakevdp__PythonDataScienceHandbook": (
        Backend.RATTLER, "environment.yml", None, "==3.5.*", "environment.yml",
        {"environment.yml": S, "requirements.txt": S}),
    "ageron__handson-ml3": (
        Backend.RATTLER, "environment.yml", None, "==3.10.*", "environment.yml",
        {"environment.yml": S, "requirements.txt": V, "apt.txt": N}),
    "ProjectPythia__pythia-foundations": (
        Backend.RATTLER, "environment.yml", None, None, None,
        {"environment.yml": S, "pyproject.toml": N, "setup.cfg": N}),
    "kriti-ach__SharedControlPaper": (
        Backend.UV, "pyproject.toml", "uv.lock", ">=3.12", "pyproject.toml",
        {"pyproject.toml": S, "uv.lock": L}),
    "Hawon-Lee__dacon-jump-ai-2025": (
        Backend.UV, "pyproject.toml", "uv.lock", "==3.10.*", ".python-version",
        {".python-version": P, "pyproject.toml": S, "uv.lock": L}),
    "3shn__BDA_py_demos": (
        Backend.RATTLER, "pixi.toml", "pixi.lock", None, None,
        {"pixi.toml": S, "pixi.lock": L, "environment.yml": V}),
    "GenericMappingTools__egu22pygmt": (
        Backend.RATTLER, "environment.yml", "conda-lock.yml", "==3.9.*", "environment.yml",
        {"environment.yml": S, "conda-lock.yml": L}),
    "molgor__THC-FC-UNAM": (
        Backend.UV, "pyproject.toml", "poetry.lock", ">=3.11.2,<4.0.0", "pyproject.toml",
        {"pyproject.toml": S, "poetry.lock": L}),
    "tanyaschlusser__15-years-pycon": (
        Backend.UV, "Pipfile", None, None, None,
        {"Pipfile": S, "requirements.txt": V}),
    "movingpandas__movingpandas": (
        Backend.RATTLER, "environment.yml", None, "==3.12.*", "environment.yml",
        {"environment.yml": S, "environment-minimum.yml": V, "environment-minimum-3.9.yml": V,
         "environment-geopandas-pre1.0.yml": V, "pyproject.toml": V, "setup.cfg": N}),
    "tdejager__test-uv-versions": (
        Backend.UV, "pyproject.toml", "uv.lock", "==3.13.*", ".python-version",
        {".python-version": P, "pyproject.toml": S, "uv.lock": L}),
    "btcrabb__NSQIP_ML": (
        Backend.RATTLER, "environment.yml", None, "==3.6.10", "environment.yml",
        {"environment.yml": S, "requirements.txt": V}),
    "CompVis__stable-diffusion": (
        Backend.RATTLER, "environment.yaml", None, "==3.8.5", "environment.yaml",
        {"environment.yaml": S}),
}

ASTROPY_TUTORIALS = [
    "FITS-cubes", "FITS-header", "FITS-images", "FITS-tables", "Models-Quick-Fit",
    "SpectroscopicDataReductionBasics", "UVES", "User-Defined-Model", "astropy-coordinates",
    "color-excess", "gaia-galactic-orbits", "plot-catalog", "position-velocity-diagrams",
    "quantities", "redshift-plot", "spectral-cube-reprojection", "synthetic-images",
    "units-and-integration", "vo", "wcs-celestial-coords1",
]


@pytest.fixture(scope="module")
def corpus_projects(corpus: Path) -> dict[str, object]:
    """detect() over the whole corpus once: {project path relative to the corpus: Project}."""
    return {p.root.relative_to(corpus).as_posix(): p for p in detect(corpus)}


def test_every_corpus_folder_is_covered(corpus: Path) -> None:
    folders = {p.name for p in corpus.iterdir() if p.is_dir()}
    assert folders == set(EXPECTED) | {"astropy__astropy-tutorials"}


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_corpus_folder(corpus: Path, corpus_projects: dict, folder: str) -> None:
    backend, spec, lock, py_spec, py_source, files = EXPECTED[folder]
    # The folder detected on its own gives the same project as the whole-corpus scan.
    alone = detect(corpus / folder)
    assert alone[0].root == corpus / folder
    assert [f.path for f in alone[0].files] == [f.path for f in corpus_projects[folder].files]
    project = corpus_projects[folder]
    root = project.root
    assert project.backend is backend, project.backend_reason
    assert project.backend_reason
    assert project.spec == root / spec
    assert project.lock == (root / lock if lock else None)
    if py_spec is None:
        assert project.python is None
    else:
        assert project.python is not None
        assert (project.python.specifier, project.python.source) == (py_spec, root / py_source)
    found = {f.path.relative_to(root).as_posix(): f.role for f in project.files}
    assert found == files
    assert project.errors == []


def test_corpus_project_list(corpus_projects: dict) -> None:
    """One project per corpus folder, plus one per astropy tutorial and movingpandas' docs/."""
    expected = set(EXPECTED) | {f"astropy__astropy-tutorials/tutorials/{t}" for t in ASTROPY_TUTORIALS}
    expected.add("movingpandas__movingpandas/docs")
    assert set(corpus_projects) == expected


def test_astropy_monorepo_one_project_per_tutorial(corpus: Path) -> None:
    """20 tutorial projects; scripts/requirements-dev.txt (website tooling) is not a project."""
    projects = detect(corpus / "astropy__astropy-tutorials")
    assert [p.root.name for p in projects] == sorted(ASTROPY_TUTORIALS, key=str)
    for p in projects:
        assert p.backend is Backend.UV
        assert [(f.path.name, f.role) for f in p.files] == [("requirements.txt", S)]
        assert p.name == p.root.name
    assert all("scripts" not in p.root.parts for p in projects)


def test_uv_workspace_is_one_project(corpus: Path) -> None:
    """Members (and the path dependency pkg_editable) are not separate projects."""
    projects = detect(corpus / "tdejager__test-uv-versions")
    assert len(projects) == 1
    assert projects[0].name == "testy"
    assert all("packages" not in f.path.parts for f in projects[0].files)


def test_movingpandas_variants_listed_not_merged(corpus_projects: dict) -> None:
    p = corpus_projects["movingpandas__movingpandas"]
    assert p.name == "movingpandas"
    variants = sorted(f.path.name for f in p.files_of(FileRole.VARIANT) if f.kind == "environment.yml")
    assert variants == ["environment-geopandas-pre1.0.yml", "environment-minimum-3.9.yml",
                        "environment-minimum.yml"]
    assert p.ambiguity and "pyproject.toml" in p.ambiguity and "environment.yml" in p.ambiguity
    docs = corpus_projects["movingpandas__movingpandas/docs"]
    assert docs.name == "mpd-docs" and docs.python.specifier == "==3.10.*"


def test_cassini_binder_folder_replaces_root(corpus_projects: dict) -> None:
    p = corpus_projects["0Hughman0__Cassini"]
    assert p.config_dir == p.root / "binder"
    assert p.name == "cassini"
    assert p.ambiguity and "binder/" in p.ambiguity
    assert any("pyproject.toml" in w and "not used" in w for w in p.warnings)
    assert any("channels" in w for w in p.warnings)
    # INDEX: binder/environment.yml pins python=3.8 while pyproject requires ^3.9,<3.13.0
    assert any("python=3.8" in w and "^3.9,<3.13.0" in w for w in p.warnings)


def test_pythia_tool_only_pyproject_is_not_a_uv_project(corpus: Path, corpus_projects: dict) -> None:
    p = corpus_projects["ProjectPythia__pythia-foundations"]
    assert p.backend is Backend.RATTLER
    assert p.ambiguity is None  # the pyproject is tool config, not a pip spec
    assert p.files_of(FileRole.SPEC) == [f for f in p.files if f.path.name == "environment.yml"]


def test_conda_and_pip_specs_report_ambiguity(corpus_projects: dict) -> None:
    jake = corpus_projects["jakevdp__PythonDataScienceHandbook"]
    assert "pip: -r" in jake.ambiguity and "requirements.txt" in jake.ambiguity
    homl = corpus_projects["ageron__handson-ml3"]
    assert "requirements.txt" in homl.ambiguity and "pins python" in homl.ambiguity
    assert any(w.startswith("apt.txt lists system packages only Binder installs") and "ffmpeg" in w
               for w in homl.warnings)
    nsqip = corpus_projects["btcrabb__NSQIP_ML"]
    assert nsqip.ambiguity
    assert any("Windows" in w for w in nsqip.warnings)


def test_project_names(corpus_projects: dict) -> None:
    names = {k: p.name for k, p in corpus_projects.items() if "/" not in k}
    assert names["kriti-ach__SharedControlPaper"] == "sharedcontrolpaper"
    assert names["molgor__THC-FC-UNAM"] == "thc_fciencias"
    assert names["3shn__BDA_py_demos"] == "bda_py_demos"
    assert names["binder-examples__conda"] == "example-environment"
    assert names["binder-examples__requirements"] == "binder-examples__requirements"


def test_to_dict_is_json_shape(corpus_projects: dict, corpus: Path) -> None:
    import json

    p = corpus_projects["binder-examples__requirements"]
    d = json.loads(json.dumps(p.to_dict(corpus)))
    assert d["backend"] == "uv" and d["spec"] == "requirements.txt"
    assert d["python"] == {"specifier": "==3.10.*", "source": "runtime.txt", "raw": "python-3.10"}
    assert {"path": "requirements.in", "kind": "requirements.in", "role": "input"} in d["files"]
