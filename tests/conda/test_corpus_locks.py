"""The corpus's real lock files through the backend: records per platform, lock checks, offline failures.

conda-forge cannot be reached here, so installing these locks fails at the first
download; the test asserts that failure is reported with the package, channel and URL
and that no env is left behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conda.conftest import offline_only

from kernelenv import api
from kernelenv.backends.rattler import RattlerBuilder, locked_records
from kernelenv.errors import BuildError, EnvFileError


def test_egu22pygmt_lock_records_for_linux(corpus: Path) -> None:
    [project] = api.detect(corpus / "GenericMappingTools__egu22pygmt")
    assert project.backend.value == "rattler"
    assert project.lock == corpus / "GenericMappingTools__egu22pygmt/conda-lock.yml"
    records, pip = locked_records(project.lock, "linux-64")
    assert len(records) == 310
    gmt = next(r for r in records if r.name.normalized == "gmt")
    assert (str(gmt.version), gmt.url) == ("6.3.0", "https://conda.anaconda.org/conda-forge/linux-64/"
                                           + gmt.file_name)
    assert gmt.sha256 is not None and gmt.md5 is not None
    assert [(p.name, p.version) for p in pip] == [("lazrs", "0.4.3")]
    assert "ipykernel" in {r.name.normalized for r in records}
    with pytest.raises(EnvFileError) as ei:
        locked_records(project.lock, "osx-arm64")
    assert ei.value.code == "platform-not-locked"
    assert ei.value.detail == ("conda-lock.yml has no packages for osx-arm64 (it covers linux-64, osx-64, "
                               "win-64): run `kernelenv lock` to re-solve")


def test_bda_pixi_lock_records(corpus: Path) -> None:
    [project] = api.detect(corpus / "3shn__BDA_py_demos")
    assert project.spec == corpus / "3shn__BDA_py_demos/pixi.toml"
    assert project.lock == corpus / "3shn__BDA_py_demos/pixi.lock"
    records, pip = locked_records(project.lock, "linux-64", project.environment)
    assert len(records) == 290 and pip == []
    assert any(r.name.normalized == "cmdstanpy" for r in records)
    with pytest.raises(EnvFileError, match=r"pixi.lock has no packages for osx-arm64 \(it covers linux-64\)"):
        locked_records(project.lock, "osx-arm64", project.environment)


def test_lock_checks_read_files_only(project_copy) -> None:
    root = project_copy("GenericMappingTools__egu22pygmt")
    [project] = api.detect(root)
    assert RattlerBuilder().lock_outdated(project) is None
    env = root / "environment.yml"
    env.write_text(env.read_text().replace("gmt=6.3.0", "gmt=6.4.0"))
    [project] = api.detect(root)
    assert RattlerBuilder().lock_outdated(project) == (
        "conda-lock.yml pins gmt 6.3.0, which does not satisfy 'gmt=6.4.0' in environment.yml: "
        "run `kernelenv lock`.")
    env.write_text(env.read_text().replace("gmt=6.4.0", "gmt=6.3.0").replace("  - pip:\n",
                                                                               "  - tensorflow\n  - pip:\n"))
    [project] = api.detect(root)
    assert RattlerBuilder().lock_outdated(project) == (
        "environment.yml asks for 'tensorflow', which conda-lock.yml does not pin: run `kernelenv lock`.")


@offline_only
def test_installing_the_lock_offline_names_the_url(project_copy) -> None:
    root = project_copy("GenericMappingTools__egu22pygmt")
    [project] = api.detect(root)
    with pytest.raises(BuildError) as ei:
        api.create(project)
    msg = ei.value.message
    assert ei.value.step == "install"
    assert msg.startswith("Could not download ") and "from channel https://conda.anaconda.org/conda-forge/ (" in msg
    assert msg.endswith("The env was not changed.")
    assert not (root / ".conda").exists()
