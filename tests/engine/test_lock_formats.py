"""Each project keeps its own lock format, written, read and checked by its own tool.

Real tools only: Poetry and pipenv from PyPI through ``uv tool run`` (pinned, see
kernelenv/pytools.py), uv for uv.lock and pip-compile files. Each tool's slow step (a lock)
runs once per session in a fixture; the tests then check the result with the tool's own
check (``poetry check --lock``, ``pipenv verify``, ``uv lock --check``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kernelenv import api
from kernelenv.backends.uv import UvBuilder
from kernelenv.errors import BuildError
from kernelenv.layout import link_target
from kernelenv.lockers import export_requirements, lock_format
from kernelenv.lockers.pipenv import export_pipenv, verify_pipenv
from kernelenv.lockers.poetry import check_poetry
from kernelenv.lockers.uv import check_uv
from kernelenv.progress import Reporter
from kernelenv.state import lock_outdated
from tests.conftest import CORPUS, FIXTURES, NO_CORPUS, copy_corpus_project
from tests.engine.conftest import cli_json, run_cli

OLD_POETRY = "old-poetry-lock"
WINDOWS_ONLY = {"pywin32", "pywinpty", "colorama"}


def _here(lines: list[str]) -> dict[str, str]:
    """``{name: version}`` of exported requirement lines whose markers hold on this machine."""
    env = default_environment()
    out = {}
    for line in lines:
        if line.startswith("-"):
            continue
        req = Requirement(line.split(" --hash")[0])
        if req.marker is None or req.marker.evaluate(env):
            out[canonicalize_name(req.name)] = next(iter(req.specifier)).version
    return out


def _project(root: Path):
    [project] = api.detect(root)
    return project


# ------------------------------------------------------------------------------ Poetry
@pytest.fixture(scope="session")
def old_poetry(tmp_path_factory) -> Path:
    """The in-repo 2020-shaped Poetry project (lock-version 1.1), created once with the CLI."""
    root = copy_corpus_project(OLD_POETRY, tmp_path_factory.mktemp("oldpoetry"))
    run_cli("create", str(root))
    return root


def test_old_poetry_lock_fixture_has_the_2020_shape() -> None:
    """The fixture is what it claims: lock-version 1.1, files under [metadata.files], and the
    Windows-only packages recorded without markers of their own (only on dependency edges)."""
    import tomllib

    data = tomllib.loads((FIXTURES / OLD_POETRY / "poetry.lock").read_text())
    assert data["metadata"]["lock-version"] == "1.1"
    assert "files" in data["metadata"]
    packages = {p["name"]: p for p in data["package"]}
    assert {"pywin32", "pywinpty"} <= set(packages)
    assert "markers" not in packages["pywin32"] and "markers" not in packages["pywinpty"]


def test_old_poetry_lock_installs_no_windows_package_on_linux(old_poetry: Path) -> None:
    """create on the 2020 lock: Poetry's own export decides (markers of every path), so
    pywin32/pywinpty are not installed; the Python is one the lock has wheels for (3.9, not
    the newest installed), and the dev group is left out."""
    [st] = cli_json("status", str(old_poetry))
    assert st["status"]["status"] == "ready", st
    assert st["status"]["python_version"].startswith(("3.9.", "3.8.")), st
    installed = UvBuilder().installed(link_target(old_poetry / ".venv"))
    assert not WINDOWS_ONLY & set(installed)
    assert installed["jupyter-core"] == "4.7.0" and installed["pyzmq"] == "19.0.2"
    assert installed["ipykernel"] == "5.3.4" and "toml" not in installed
    project = _project(old_poetry)
    locked = UvBuilder().locked_packages(project, st["status"]["python_version"])
    assert {n: installed.get(n) for n in locked} == locked


def test_poetry_export_of_the_old_lock_keeps_markers(old_poetry: Path) -> None:
    project = _project(old_poetry)
    lines = export_requirements(project, project.lock, Reporter())
    by_name = {canonicalize_name(Requirement(ln.split(" --hash")[0]).name): ln for ln in lines}
    assert 'sys_platform == "win32"' in by_name["pywin32"]
    assert 'os_name == "nt"' in by_name["pywinpty"]
    assert all("--hash=sha256:" in ln for ln in by_name.values())
    assert not WINDOWS_ONLY & set(_here(lines))


def test_corpus_poetry_lock_gives_no_windows_package_on_linux(corpus: Path, tmp_path: Path) -> None:
    """THC-FC-UNAM (Poetry 2, lock-version 2.1; the corpus's only poetry.lock) exported by Poetry."""
    root = tmp_path / "thc"
    shutil.copytree(corpus / "molgor__THC-FC-UNAM", root)
    project = _project(root)
    pins = _here(export_requirements(project, project.lock, Reporter()))
    assert "jupyterlab" in pins and "notebook" in pins
    assert not WINDOWS_ONLY & set(pins)


@pytest.fixture(scope="session")
def poetry_locked(tmp_path_factory) -> tuple[Path, bytes]:
    """The old Poetry project re-locked by `kernelenv lock` (Poetry itself), once."""
    root = copy_corpus_project(OLD_POETRY, tmp_path_factory.mktemp("poetrylock"))
    before = (root / "poetry.lock").read_bytes()
    run_cli("lock", str(root))
    return root, before


def test_lock_writes_poetry_lock_with_poetry(poetry_locked) -> None:
    root, before = poetry_locked
    text = (root / "poetry.lock").read_text()
    assert text.startswith("# This file is automatically @generated by Poetry 2.")
    assert (root / "poetry.lock").read_bytes() != before
    assert not (root / "pylock.toml").exists()
    project = _project(root)
    assert project.lock == root / "poetry.lock" and lock_format(project) == "poetry.lock"
    check_poetry(project, Reporter())  # Poetry accepts it (raises otherwise)
    # Poetry keeps the locked versions that still fit the constraints.
    assert 'name = "jupyter-core"\nversion = "4.7.0"' in text
    assert lock_outdated(project) is None


def test_add_to_a_locked_poetry_project_relocks_with_poetry(tmp_path: Path) -> None:
    """`kernelenv add` on a Poetry project with poetry.lock: the lock is rewritten by Poetry
    (accepted by `poetry check --lock`), still no Windows-only package installed."""
    root = copy_corpus_project(OLD_POETRY, tmp_path)
    [res] = cli_json("add", "idna==3.7", "--project", str(root))
    assert res["ok"], res
    assert 'idna = "==3.7"' in (root / "pyproject.toml").read_text()
    text = (root / "poetry.lock").read_text()
    assert text.startswith("# This file is automatically @generated by Poetry 2.") and 'name = "idna"' in text
    project = _project(root)
    check_poetry(project, Reporter())
    installed = UvBuilder().installed(link_target(root / ".venv"))
    assert installed["idna"] == "3.7" and not WINDOWS_ONLY & set(installed)


def test_failed_poetry_lock_changes_nothing(tmp_path: Path) -> None:
    root = copy_corpus_project(OLD_POETRY, tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace(
        'pyzmq = "19.0.2"', 'pyzmq = "19.0.2"\nno-such-package-kernelenv-test = "^1.0"'))
    before = {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()}
    proc = run_cli("lock", str(root), check=False)
    assert proc.returncode != 0
    assert "poetry lock failed" in proc.stderr and "no-such-package-kernelenv-test" in proc.stderr
    assert {p.name: p.read_bytes() for p in root.iterdir() if p.is_file()} == before


# ------------------------------------------------------------------------------ pipenv
PIPFILE = """\
[[source]]
name = "pypi"
url = "https://pypi.org/simple"
verify_ssl = true

[packages]
six = "==1.16.0"
colorama = {version = "*", markers = "sys_platform == 'win32'"}

[dev-packages]
toml = "*"

[requires]
python_version = "3.11"
"""


@pytest.fixture(scope="session")
def pipenv_locked(tmp_path_factory) -> Path:
    """A Pipfile project locked once by `kernelenv lock` (pipenv itself)."""
    root = tmp_path_factory.mktemp("pipenv") / "pipenvproj"
    root.mkdir()
    (root / "Pipfile").write_text(PIPFILE)
    run_cli("lock", str(root))
    return root


def test_lock_writes_pipfile_lock_with_pipenv(pipenv_locked: Path) -> None:
    import json

    root = pipenv_locked
    data = json.loads((root / "Pipfile.lock").read_text())
    assert data["default"]["six"]["version"] == "==1.16.0" and data["default"]["six"]["hashes"]
    assert "toml" in data["develop"]
    assert not (root / "pylock.toml").exists() and not (root / ".venv").exists()
    project = _project(root)
    assert project.lock == root / "Pipfile.lock" and lock_format(project) == "Pipfile.lock"
    verify_pipenv(project, Reporter())  # pipenv's hash check accepts it
    lines = export_pipenv(project, project.lock, Reporter())
    pins = _here(lines)
    assert pins["six"] == "1.16.0" and "toml" not in pins and "colorama" not in pins
    # pipenv locks for this platform: a Windows-only entry stays unpinned and unhashed (its
    # marker is false here); what installs here is hash-checked.
    six = next(ln for ln in lines if ln.startswith("six=="))
    assert "--hash=sha256:" in six


def test_pipfile_edit_fails_pipenv_verify(pipenv_locked: Path, tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(pipenv_locked, root, ignore=shutil.ignore_patterns(".kernelenv"))
    (root / "Pipfile").write_text(PIPFILE.replace('six = "==1.16.0"', 'six = "==1.17.0"'))
    with pytest.raises(BuildError, match="pipenv verify"):
        verify_pipenv(_project(root), Reporter())


def test_add_to_a_locked_pipfile_project_relocks_with_pipenv(pipenv_locked: Path, tmp_path: Path) -> None:
    """`kernelenv add` on a Pipfile project with Pipfile.lock: pipenv re-locks (pipenv verify accepts it)."""
    import json

    root = tmp_path / "p"
    shutil.copytree(pipenv_locked, root, ignore=shutil.ignore_patterns(".kernelenv"))
    [res] = cli_json("add", "idna==3.7", "--project", str(root))
    assert res["ok"], res
    assert json.loads((root / "Pipfile.lock").read_text())["default"]["idna"]["version"] == "==3.7"
    verify_pipenv(_project(root), Reporter())
    assert UvBuilder().installed(link_target(root / ".venv"))["idna"] == "3.7"


# ------------------------------------------------------------------------------ pip-compile
def test_lock_recompiles_a_pip_compile_requirements_txt(tmp_path: Path) -> None:
    """requirements.in -> requirements.txt: re-compiled in place with hashes, pip-compile's
    header and `# via` style, the existing pins kept; no pylock.toml."""
    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    old = (root / "requirements.txt").read_text()
    old_pins = {ln.split("==")[0]: ln.split("==")[1].split()[0] for ln in old.splitlines() if "==" in ln}
    assert lock_format(_project(root)) == "pip-compile"
    run_cli("lock", str(root))
    text = (root / "requirements.txt").read_text()
    assert not (root / "pylock.toml").exists()
    assert text.startswith("#\n# This file is autogenerated by pip-compile with Python 3.10\n")
    assert "#    pip-compile --generate-hashes" in text
    new_pins = {ln.split("==")[0]: ln.split("==")[1].split()[0].rstrip("\\").strip()
                for ln in text.splitlines() if "==" in ln and not ln.startswith(" ")}
    assert new_pins == old_pins
    assert "    # via -r requirements.in\n" in text  # one source: on one line, as pip-compile writes
    assert "--hash=sha256:" in text
    project = _project(root)
    assert project.lock == root / "requirements.txt"
    assert lock_outdated(project) is None
    (root / "requirements.in").write_text((root / "requirements.in").read_text() + "six\n")
    assert "requirements.in changed since requirements.txt was written" in lock_outdated(_project(root))


def test_rebuild_installs_a_pinned_pip_compile_file_as_it_is(tmp_path: Path) -> None:
    """`rebuild` of a pip-compile project whose requirements.txt pins everything (no hashes yet)
    installs exactly those pins and leaves the file byte-identical (only `lock` re-compiles it)."""
    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    before = (root / "requirements.txt").read_bytes()
    [res] = cli_json("rebuild", str(root))
    assert res["ok"] and res["result"]["status"] == "ready", res
    assert (root / "requirements.txt").read_bytes() == before
    pins = {ln.split("==")[0]: ln.split("==")[1].strip() for ln in before.decode().splitlines()
            if "==" in ln and not ln.startswith("#")}
    installed = UvBuilder().installed(link_target(root / ".venv"))
    assert {n: installed.get(n) for n in pins} == pins
    assert api.status(_project(root)).status.value == "ready"


def test_failed_compile_keeps_requirements_txt(tmp_path: Path) -> None:
    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    (root / "requirements.in").write_text("numpy==1.0.0.0.999999\n")
    before = (root / "requirements.txt").read_bytes()
    proc = run_cli("lock", str(root), check=False)
    assert proc.returncode != 0 and "compiling requirements.in failed" in proc.stderr
    assert (root / "requirements.txt").read_bytes() == before
    assert not list((root / ".kernelenv").glob("staging-*"))


def test_a_lone_requirements_in_is_compiled_into_its_txt(tmp_path: Path) -> None:
    root = tmp_path / "lone"
    root.mkdir()
    (root / "requirements.in").write_text("six==1.16.0\n")
    assert lock_format(_project(root)) == "pip-compile"
    run_cli("lock", str(root))
    text = (root / "requirements.txt").read_text()
    assert "autogenerated by pip-compile" in text and "six==1.16.0 \\\n    --hash=sha256:" in text
    assert "    # via -r requirements.in\n" in text
    assert _project(root).lock == root / "requirements.txt"


# ------------------------------------------------------------------------------ uv
def test_lock_writes_uv_lock_that_uv_accepts(tmp_path: Path) -> None:
    root = tmp_path / "uvproj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "uvproj"\nversion = "0.1.0"\n'
                                         'requires-python = ">=3.10"\ndependencies = ["six==1.16.0"]\n')
    assert lock_format(_project(root)) == "uv.lock"
    run_cli("lock", str(root))
    project = _project(root)
    assert project.lock == root / "uv.lock"
    check_uv(project, Reporter())


def test_plain_requirements_get_pylock(tmp_path: Path) -> None:
    """No lock convention of its own (a plain requirements.txt): PEP 751 pylock.toml."""
    root = tmp_path / "plain"
    root.mkdir()
    (root / "requirements.txt").write_text("six==1.16.0\n")
    assert lock_format(_project(root)) == "pylock.toml"


@pytest.mark.skipif(not CORPUS.is_dir(), reason=NO_CORPUS)
def test_corpus_projects_get_their_own_formats(tmp_path: Path) -> None:
    expected = {"molgor__THC-FC-UNAM": "poetry.lock", "binder-examples__pipfile": "Pipfile.lock",
                "tanyaschlusser__15-years-pycon": "Pipfile.lock",
                "kriti-ach__SharedControlPaper": "uv.lock",
                "binder-examples__requirements": "pip-compile"}
    for name, fmt in expected.items():
        assert lock_format(_project(CORPUS / name)) == fmt, name
