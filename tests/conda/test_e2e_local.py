"""End to end with a local conda channel: create, kernel, lock, rebuild, status and failures.

Everything is real: rattler solves and links real conda packages from a ``file://``
channel (see :mod:`tests.conda.localchannel` for why the channel and its venv-style
``python`` are built by the test: no conda channel is reachable here), uv installs the
``pip:`` section and ipykernel from PyPI, and the registered kernel is started with
jupyter_client and runs code.

ipykernel: the local channel has none (packaging ipykernel and its compiled deps as
conda packages would be a fake of conda-forge), so kernelenv's own rule applies: when
the project does not ask for ipykernel and the channels do not have it, it goes into
the pip entries and uv installs it. The network test exercises the conda-forge path.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.conda_meta import conda_records, pip_dists
from kernelenv.errors import BuildError, EnvFileError
from kernelenv.layout import link_target
from kernelenv.model import Status
from kernelenv.parsers.condalock import read_conda_lock
from tests.conda.conftest import PIP_PACKAGE, offline_only, write_env
from tests.conftest import free_port
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

MM = "%d.%d" % sys.version_info[:2]
PROBE = ("import sys, os, subprocess, hello_conda, hello_shell, iniconfig\n"
         "print(os.path.realpath(sys.prefix)); print(hello_conda.VERSION); print(hello_shell.KIND)\n")
TOOL = "import subprocess; print(subprocess.run(['hello-tool'], capture_output=True, text=True).stdout)"


def _one(root: Path):
    projects = api.detect(root)
    assert len(projects) == 1, projects
    return projects[0]


@pytest.fixture(scope="session")
def local_env(tmp_path_factory, local_channel: Path):
    """A conda project on the local channel, created once with api.create."""
    root = tmp_path_factory.mktemp("conda-local") / "localdemo"
    write_env(root, local_channel, [f"python={MM}", "hello-conda<2", "hello-shell", "hello-tool"], [PIP_PACKAGE],
              extra_channels=["nodefaults"])
    project = _one(root)
    api.create(project)
    return root


@pytest.fixture(scope="session")
def locked_env(local_env: Path):
    """The same project locked to conda-lock.yml and rebuilt from it."""
    lock_path = api.lock(_one(local_env))
    project = _one(local_env)
    api.rebuild(project)
    return local_env, lock_path


def _conda_set(prefix: Path) -> set[tuple[str, str, str]]:
    return {(r.name, r.version, r.build) for r in conda_records(prefix)}


def test_detected_as_rattler_project(local_env: Path) -> None:
    project = _one(local_env)
    assert project.backend.value == "rattler"
    assert project.spec == local_env / "environment.yml"


def test_create_gives_a_kernel_with_conda_and_pip_packages(local_env: Path) -> None:
    project = _one(local_env)
    rep = api.status(project)
    assert rep.status is Status.READY, rep.reason
    prefix = local_env / ".conda"
    assert {r[0] for r in _conda_set(prefix)} == {"python", "hello-conda", "hello-dep", "hello-shell", "hello-tool"}
    assert ("hello-conda", "1.0", "py_0") in _conda_set(prefix)
    assert (prefix / "share/hello-dep/data.txt").read_text() == "hello-dep data\n"
    dists = pip_dists(prefix)
    assert dists["iniconfig"] == "2.1.0" and "ipykernel" in dists  # pip: section and ipykernel, by uv
    assert "pip" in dists  # added with uv: the channel's python brings none (conda's would)
    out = run_in_kernel(project.kernel_name, PROBE).split()
    assert out[0] == os.path.realpath(prefix)
    assert out[1:] == ["1.0", "unix"]
    # The env's executables are on the kernel's PATH, as after `conda activate`.
    assert run_in_kernel(project.kernel_name, TOOL).strip() == "hello from hello-tool"


def test_status_of_an_up_to_date_env_starts_no_solver(local_env: Path, monkeypatch) -> None:
    import rattler

    def boom(*a, **k):
        raise AssertionError("status must not solve or fetch repodata")

    monkeypatch.setattr(rattler, "solve", boom)
    monkeypatch.setattr(rattler, "Gateway", boom)
    monkeypatch.setattr(rattler, "install", boom)
    assert api.status(_one(local_env)).status is Status.READY


def test_lock_writes_conda_lock_v1_for_four_platforms(locked_env) -> None:
    root, lock_path = locked_env
    assert lock_path == root / "conda-lock.yml"
    lock = read_conda_lock(lock_path)
    assert lock.version == 1
    assert lock.platforms == ["linux-64", "osx-64", "osx-arm64", "win-64"]
    assert lock.sources == ["environment.yml"]
    assert set(lock.content_hash) == set(lock.platforms)
    for plat in lock.platforms:
        conda = {p.name: p for p in lock.for_platform(plat, "conda")}
        assert set(conda) == {"python", "hello-conda", "hello-dep", "hello-shell", "hello-tool"}
        assert conda["hello-conda"].version == "1.0"
        assert conda["hello-conda"].dependencies == {"python": ">=3.8", "hello-dep": ""}
        assert conda["hello-conda"].md5 and conda["hello-conda"].sha256
        shell_build = conda["hello-shell"].filename
        assert shell_build.endswith("win_0.tar.bz2" if plat == "win-64" else "unix_0.tar.bz2")
        pip = {p.name: p for p in lock.for_platform(plat, "pip")}
        assert pip["iniconfig"].version == "2.1.0"
        assert pip["iniconfig"].url.startswith("https://files.pythonhosted.org/")
        assert pip["iniconfig"].sha256
        assert "ipykernel" in pip
    pyzmq = {p.platform: p.url for p in lock.packages if p.name == "pyzmq"}
    assert "manylinux" in pyzmq["linux-64"] and "win_amd64" in pyzmq["win-64"]
    assert "macosx" in pyzmq["osx-arm64"]


def test_rebuild_from_lock_installs_exactly_the_lock(locked_env) -> None:
    root, lock_path = locked_env
    project = _one(root)
    assert project.lock == lock_path
    prefix = root / ".conda"
    lock = read_conda_lock(lock_path)
    expected = set()
    for p in lock.for_platform("linux-64", "conda"):
        name, version, build = p.filename.rsplit(".tar.bz2", 1)[0].rsplit("-", 2)
        expected.add((name, version, build))
    assert _conda_set(prefix) == expected
    dists = pip_dists(prefix)
    locked_pip = {p.name.lower(): p.version for p in lock.for_platform("linux-64", "pip")}
    assert {k: dists.get(k) for k in locked_pip} == locked_pip
    rep = api.status(project)
    assert rep.status is Status.READY, rep.reason
    out = run_in_kernel(project.kernel_name, PROBE).split()
    assert out[0] == os.path.realpath(prefix)


def test_pip_magic_in_a_conda_kernel_lands_in_the_prefix(locked_env) -> None:
    """The prefix rebuilt from conda-lock.yml (no pip in it) gets pip, pinned for that lock like
    a venv's; `%pip install` in its kernel installs into the prefix, status reports the hand
    install as drift (and pip itself not), and `%pip uninstall` makes the env ready again."""
    from kernelenv.hashing import file_digest
    from kernelenv.state import read_state

    root, lock_path = locked_env
    project = _one(root)
    prefix = link_target(root / ".conda")
    assert "pip" not in {p.name for p in read_conda_lock(lock_path).for_platform("linux-64")}
    pip_version = pip_dists(prefix)["pip"]
    assert read_state(root)["kernel_pins"] == {"lock": file_digest(lock_path), "pins": [f"pip=={pip_version}"]}

    out = run_in_kernel(project.kernel_name, "%pip install --quiet six==1.16.0\n"
                                             "import six; print(six.__file__)\n")
    where = Path(out.strip().splitlines()[-1])
    assert where.is_relative_to(prefix) or where.is_relative_to(root / ".conda"), out
    rep = api.status(project)
    assert rep.status is Status.DRIFTED, rep.reason
    assert rep.drift["added"] == [{"name": "six", "version": "1.16.0"}] and not rep.drift["changed"]

    run_in_kernel(project.kernel_name, "%pip uninstall --quiet --yes six\n")
    assert api.status(project).status is Status.READY


def test_spec_change_makes_the_lock_out_of_date(locked_env, tmp_path: Path) -> None:
    root, _ = locked_env
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".conda", ".kernelenv"))
    from kernelenv.backends.rattler import RattlerBuilder

    project = _one(copy)
    assert RattlerBuilder().lock_outdated(project) is None
    env = copy / "environment.yml"
    env.write_text(env.read_text().replace("hello-conda<2", "hello-conda>=2"))
    reason = RattlerBuilder().lock_outdated(_one(copy))
    assert reason == ("conda-lock.yml pins hello-conda 1.0, which does not satisfy 'hello-conda>=2' in "
                      "environment.yml: run `kernelenv lock`.")


def test_failures_leave_the_previous_env_working(tmp_path_factory, local_channel: Path) -> None:
    root = tmp_path_factory.mktemp("conda-fail") / "failing"
    write_env(root, local_channel, [f"python={MM}", "hello-conda<2", "hello-shell"], [PIP_PACKAGE],
              name="failing")
    api.create(_one(root))
    live = link_target(root / ".conda")
    env = root / "environment.yml"
    good = env.read_text()

    env.write_text(good.replace("  - hello-shell\n", "  - hello-shell\n  - needs-old-python\n"))
    with pytest.raises(EnvFileError) as ei:
        api.create(_one(root))
    e = ei.value
    assert (e.code, e.path, e.line) == ("unsatisfiable", env, 8)
    assert "cannot be solved for linux-64" in e.message
    assert "python <3.0, for which no candidates were found" in e.message
    assert f"Specs involved: line 8: `needs-old-python`; line 5: `python={MM}`." in e.message
    assert link_target(root / ".conda") == live
    assert api.status(_one(root)).status is Status.STALE  # the old env still works, its file changed

    port = free_port()
    bad_url = f"http://127.0.0.1:{port}/chan"
    env.write_text(good.replace(local_channel.as_uri(), bad_url))
    with pytest.raises(BuildError) as bi:
        api.create(_one(root))
    assert f"Channel '{bad_url}' ({bad_url}/) is unreachable" in bi.value.message
    assert link_target(root / ".conda") == live
    assert len(list((root / ".kernelenv/envs").iterdir())) == 1  # the half-built prefixes are gone

    env.write_text(good)
    project = _one(root)
    assert api.status(project).status is Status.READY
    out = run_in_kernel(project.kernel_name, PROBE).split()
    assert out[0] == os.path.realpath(live)


def test_windows_export_asks_for_strip_builds(project_copy) -> None:
    root = project_copy("btcrabb__NSQIP_ML")
    project = _one(root)
    assert project.backend.value == "rattler"
    with pytest.raises(EnvFileError) as ei:
        api.create(project)
    e = ei.value
    assert (e.code, e.line, e.column) == ("windows-only", 57, 5)
    assert "`m2w64-gcc-libgfortran=5.3.0=6` is a Windows-only package (and 13 more" in e.message
    assert "--strip-builds" in e.message
    assert not (root / ".conda").exists()


@offline_only
def test_strip_builds_then_reports_the_unreachable_defaults_channel(project_copy) -> None:
    """With --strip-builds the export gets as far as fetching ``defaults``, unreachable from here."""
    root = project_copy("btcrabb__NSQIP_ML")
    with pytest.raises(BuildError) as bi:
        api.create(_one(root), strip_builds=True)
    # `defaults` is pkgs/main and pkgs/r, fetched at once: the message names whichever failed first.
    assert re.search(r"Channel 'https://repo\.anaconda\.com/pkgs/(main|r)' \(https://repo\.anaconda\.com/pkgs/\1/\) "
                     r"is unreachable: ", bi.value.message), bi.value.message
    assert not (root / ".conda").exists()


def test_explicit_lock_without_ipykernel_is_refused(tmp_path: Path, local_channel: Path) -> None:
    root = tmp_path / "explicit"
    root.mkdir()
    urls = [local_channel / "linux-64" / f"python-{sys.version_info[0]}.{sys.version_info[1]}."
            f"{sys.version_info[2]}-0_kernelenv_venv.tar.bz2", local_channel / "noarch/hello-dep-0.5-0.tar.bz2"]
    (root / "linux-64.lock").write_text("# platform: linux-64\n@EXPLICIT\n" + "".join(u.as_uri() + "\n" for u in urls))
    project = _one(root)
    assert project.backend.value == "rattler" and project.lock == root / "linux-64.lock"
    with pytest.raises(BuildError, match="linux-64.lock does not include ipykernel for linux-64"):
        api.create(project)


def test_explicit_lock_hashes_are_checked(tmp_path: Path, local_channel: Path) -> None:
    root = tmp_path / "tampered"
    root.mkdir()
    pkg = local_channel / "noarch/hello-dep-0.5-0.tar.bz2"
    (root / "linux-64.lock").write_text(f"@EXPLICIT\n{pkg.as_uri()}#{'0' * 32}\n")
    [project] = api.detect(root)
    with pytest.raises(BuildError) as ei:
        api.create(project)
    assert ei.value.step == "verify-lock"
    assert ei.value.message.startswith("hello-dep-0.5-0.tar.bz2 does not match linux-64.lock: md5 ")
    assert not (root / ".conda").exists()


def test_conda_lock_reads_our_lock(locked_env, tmp_path: Path) -> None:
    """conda-lock itself (from PyPI, run with ``uv tool run``) renders the lock kernelenv wrote."""
    import subprocess

    from kernelenv.parsers.condalock import read_explicit
    from kernelenv.uvtool import uv_bin, uv_env

    _, lock_path = locked_env
    shutil.copy(lock_path, tmp_path / "conda-lock.yml")
    proc = subprocess.run([uv_bin(), "tool", "run", "--from", "conda-lock==4.0.3", "conda-lock", "render",
                           "--kind", "explicit", "-p", "linux-64", "-p", "win-64", "conda-lock.yml"],
                          cwd=tmp_path, env=uv_env(), capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lock = read_conda_lock(lock_path)
    for plat in ("linux-64", "win-64"):
        rendered = read_explicit(tmp_path / f"conda-{plat}.lock")
        assert rendered.platform == plat
        assert {(p.url, p.md5) for p in rendered.packages} == {
            (p.url, p.md5) for p in lock.for_platform(plat, "conda")}
