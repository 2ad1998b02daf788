"""Configurable channels and platforms, ``--python`` for conda envs, and cancellation.

All against the local channel of :mod:`tests.conda.localchannel` (no conda channel is
reachable from here).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.backends.rattler import RattlerBuilder
from kernelenv.conda_channels import resolve_channels
from kernelenv.conda_request import read_request
from kernelenv.errors import BuildError, CancelledError, EnvFileError
from kernelenv.parsers.condalock import read_conda_lock
from kernelenv.progress import Reporter
from tests.conda.conftest import write_env

MM = "%d.%d" % sys.version_info[:2]


def test_channel_resolution(monkeypatch) -> None:
    monkeypatch.delenv("KERNELENV_CONDA_CHANNELS", raising=False)
    assert resolve_channels([]) == ["conda-forge"]
    assert resolve_channels(["conda-forge", "nodefaults"]) == ["conda-forge"]
    assert resolve_channels(["pytorch", "defaults"], "linux-64") == [
        "pytorch", "https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"]
    assert resolve_channels(["defaults"], "win-64")[-1] == "https://repo.anaconda.com/pkgs/msys2"
    monkeypatch.setenv("KERNELENV_CONDA_CHANNELS", "my-mirror, conda-forge")
    assert resolve_channels([]) == ["my-mirror", "conda-forge"]
    assert resolve_channels(["nodefaults"]) == ["my-mirror", "conda-forge"]


def test_channel_less_file_locks_with_the_configured_channels(tmp_path: Path, local_channel: Path,
                                                              monkeypatch) -> None:
    root = tmp_path / "nochannels"
    root.mkdir()
    (root / "environment.yml").write_text(f"name: nochannels\ndependencies:\n  - python={MM}\n  - hello-conda\n"
                                          "  - ipykernel\n", encoding="utf-8")
    [project] = api.detect(root)
    monkeypatch.setenv("KERNELENV_LOCK_PLATFORMS", "linux-64, osx-arm64")
    monkeypatch.setenv("KERNELENV_CONDA_CHANNELS", local_channel.as_uri())
    with pytest.raises(EnvFileError) as ei:  # ipykernel is declared as conda, and the local channel has none
        api.lock(project)
    assert (ei.value.code, ei.value.line) == ("unsatisfiable", 5)
    assert "No candidates were found for ipykernel" in ei.value.message
    (root / "environment.yml").write_text(f"name: nochannels\ndependencies:\n  - python={MM}\n  - hello-conda\n"
                                          "  - pip:\n    - ipykernel\n", encoding="utf-8")
    [project] = api.detect(root)
    lock = read_conda_lock(api.lock(project))
    assert lock.platforms == ["linux-64", "osx-arm64"]
    assert lock.channels == [local_channel.as_uri()]
    assert {p.name for p in lock.for_platform("osx-arm64", "conda")} == {"python", "hello-conda", "hello-dep"}
    assert "ipykernel" in {p.name for p in lock.for_platform("osx-arm64", "pip")}


def test_python_override_replaces_the_python_entry(tmp_path: Path, local_channel: Path) -> None:
    write_env(tmp_path, local_channel, ["python=3.8", "hello-conda"])
    [project] = api.detect(tmp_path)
    b = RattlerBuilder()
    assert b.select_python(project, MM) is None
    req = b._request(project, "linux-64", False)
    assert req.specs == [f"python {MM}.*", "hello-conda"]
    with pytest.raises(BuildError, match="conda envs install their own Python"):
        RattlerBuilder().select_python(project, "/usr/bin/python3")


def test_cancel_during_install_leaves_nothing(tmp_path: Path, local_channel: Path) -> None:
    write_env(tmp_path, local_channel, [f"python={MM}", "hello-conda"], name="cancelled")
    [project] = api.detect(tmp_path)
    rep = Reporter()
    rep.on_step = lambda step, frac, msg: rep.cancel() if step == "install" else None
    with pytest.raises(CancelledError):
        api.create(project, reporter=rep)
    assert not (tmp_path / ".conda").exists()
    assert list((tmp_path / ".kernelenv" / "envs").iterdir()) == []
    assert api.status(project).status.value == "missing"


def test_pip_only_project_with_conda_backend(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("iniconfig\n", encoding="utf-8")
    [project] = api.detect(tmp_path, backend="rattler")
    req = read_request(project)
    assert req.specs == ["python"] and req.pip == ["-r requirements.txt"]


def test_foreign_build_strings_suggest_strip_builds(tmp_path: Path, local_channel: Path, monkeypatch) -> None:
    """A build that exists only on the exporting machine: the error says so; --strip-builds solves."""
    write_env(tmp_path, local_channel, [f"python={MM}", "hello-conda=1.0=py_7"], ["ipykernel"], name="export")
    [project] = api.detect(tmp_path)
    monkeypatch.setenv("KERNELENV_LOCK_PLATFORMS", "linux-64")
    with pytest.raises(EnvFileError) as ei:
        api.lock(project)
    assert (ei.value.code, ei.value.line) == ("unsatisfiable", 6)
    assert "try again with --strip-builds" in ei.value.message
    req = read_request(project, strip_builds=True)
    assert req.specs == [f"python={MM}", "hello-conda==1.0"]
    assert any("--strip-builds: removed build strings from 1 entries" in w for w in req.warnings)


def test_run_async_inside_a_running_loop_and_cancel() -> None:
    """The engine's rattler calls work from a thread that runs an event loop (the language
    server's), and a cancel stops a running coroutine promptly."""
    import asyncio
    import threading

    from kernelenv.backends.rattler import run_async

    async def outer() -> int:
        return run_async(lambda: asyncio.sleep(0, result=5), Reporter())

    assert asyncio.run(outer()) == 5
    rep = Reporter()
    threading.Timer(0.3, rep.cancel).start()
    with pytest.raises(CancelledError):  # a finished sleep would return None instead
        run_async(lambda: asyncio.sleep(30), rep)


def test_python_is_added_when_the_spec_has_none(tmp_path: Path, local_channel: Path, monkeypatch) -> None:
    write_env(tmp_path, local_channel, ["hello-dep"], ["iniconfig"], name="nopython")
    [project] = api.detect(tmp_path)
    monkeypatch.setenv("KERNELENV_LOCK_PLATFORMS", "linux-64")
    lock = read_conda_lock(api.lock(project))
    assert {p.name for p in lock.for_platform("linux-64", "conda")} == {"hello-dep", "python"}
    assert {"iniconfig", "ipykernel"} <= {p.name for p in lock.for_platform("linux-64", "pip")}


def test_pip_lines_become_uv_arguments(corpus: Path) -> None:
    from kernelenv.conda_pip import pip_args
    from kernelenv.parsers.conda import read_environment_yml

    spec = read_environment_yml(corpus / "CompVis__stable-diffusion/environment.yaml")
    args = pip_args(spec.pip)
    assert args[:2] == ["albumentations==0.4.3", "diffusers"]
    assert args[-4:] == [
        "taming-transformers @ git+https://github.com/CompVis/taming-transformers.git@master",
        "clip @ git+https://github.com/openai/CLIP.git@main",
        "-e", ".",
    ]
    assert pip_args(["-r requirements.txt", "--index-url=https://example.org/simple", "x>=1"]) == [
        "-r", "requirements.txt", "--index-url", "https://example.org/simple", "x>=1"]


def test_install_reports_progress(tmp_path: Path, local_channel: Path) -> None:
    import asyncio

    import rattler

    records = asyncio.run(rattler.solve([local_channel.as_uri()], [f"python {MM}.*", "hello-conda", "hello-tool"],
                                        virtual_packages=rattler.VirtualPackage.detect()))
    steps: list[tuple[str, float | None, str]] = []
    logs: list[str] = []
    rep = Reporter(on_step=lambda *a: steps.append(a), on_log=logs.append)
    RattlerBuilder()._install(records, tmp_path / "prefix", rep)
    assert steps[0][0] == "install" and steps[-1] == ("install", 0.75, "Installed 4/4 conda packages")
    assert sorted(ln for ln in logs if ln.startswith("linking ")) == [
        "linking hello-conda", "linking hello-dep", "linking hello-tool", "linking python"]
