"""The answer cache (kernelenv/answercache.py, issue 15): a repeated ``kernelenv status`` on an
unchanged project is answered without importing the CLI, and every change a user can make
(a same-size edit with its mtime put back, a hand install, a running operation, a moved env,
a new env file) is still reported at once. Real uv env, real CLI processes."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernelenv.answercache import RACY_SECONDS
from tests.engine.conftest import requirements_project_at, run_cli

pytestmark = pytest.mark.e2e


def _status(root: Path, *extra: str, env: dict | None = None) -> tuple[str, int, bool]:
    """``(stdout, exit code, answered from the cache)`` of ``python -m kernelenv status ROOT``.
    "From the cache" means the process never imported ``kernelenv.statusanswer``, which
    computes every answer (-X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "kernelenv", "status", str(root), *extra],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
                          stdin=subprocess.DEVNULL)
    return proc.stdout, proc.returncode, "kernelenv.statusanswer" not in proc.stderr


def _settle() -> None:
    """Let every stamp age past the racy window, so the next answer can be stored."""
    time.sleep(RACY_SECONDS + 0.2)


def _cached_answer(root: Path, *extra: str) -> tuple[str, int]:
    """Compute the answer once (stored), then check the second call comes from the cache."""
    _settle()
    first, code, _ = _status(root, *extra)
    second, code2, cached = _status(root, *extra)
    assert cached, "an unchanged project's second status should not import the CLI"
    assert (second, code2) == (first, code)
    return first, code


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return requirements_project_at(tmp_path_factory.mktemp("answercache"), "cacheproj", "six\n")


def test_repeated_status_is_answered_from_the_user_cache_only(project: Path) -> None:
    """Text and --json/--check answers are reused; the entries live in the user's cache folder,
    never in the project; KERNELENV_ANSWER_CACHE=0 computes every time."""
    before = sorted(p.relative_to(project) for p in project.rglob("*") if ".venv" not in p.parts
                    and "envs" not in p.parts)
    out, code = _cached_answer(project)
    assert "ready" in out and code == 0
    out_json, code_json = _cached_answer(project, "--json", "--check")
    assert '"status": "ready"' in out_json and code_json == 0
    after = sorted(p.relative_to(project) for p in project.rglob("*") if ".venv" not in p.parts
                   and "envs" not in p.parts)
    assert after == before
    assert list((Path(os.environ["KERNELENV_CACHE_HOME"]) / "answers").glob("status-*.marshal"))
    _, _, cached = _status(project, env={"KERNELENV_ANSWER_CACHE": "0"})
    assert not cached


def test_same_size_edit_with_mtime_put_back_is_seen(project: Path) -> None:
    """An edit that keeps the size and restores the old mtime (``touch -r``) still makes the
    env stale: the inode change time differs."""
    _cached_answer(project)
    req = project / "requirements.txt"
    st = req.stat()
    req.write_text("SIX\n")  # same size, another spelling
    os.utime(req, ns=(st.st_atime_ns, st.st_mtime_ns))
    out, _, cached = _status(project)
    assert not cached and "stale" in out and "requirements.txt" in out
    req.write_text("six\n")
    os.utime(req, ns=(st.st_atime_ns, st.st_mtime_ns))
    out, _, _ = _status(project)
    assert "ready" in out


def test_hand_install_after_a_cached_ready_answer_reports_drift(project: Path) -> None:
    """``pip install`` into the env (what ``%pip`` does) is reported as drift, then
    ``rebuild`` brings back a ready answer."""
    _cached_answer(project)
    subprocess.run([str(project / ".venv" / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", "idna==3.7"], check=True, capture_output=True, timeout=300)
    out, _, cached = _status(project)
    assert not cached and "drifted" in out and "idna 3.7" in out
    run_cli("rebuild", str(project))
    out, _ = _cached_answer(project)
    assert "ready" in out


def test_a_running_operation_is_never_answered_from_the_cache(project: Path) -> None:
    """While an operation holds the project's lock, status says building."""
    _cached_answer(project)
    fd = os.open(project / ".kernelenv" / "lock", os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        out, _, cached = _status(project)
        assert not cached and "building" in out
    finally:
        os.close(fd)
    out, _, _ = _status(project)
    assert "ready" in out


def test_env_link_gone_and_new_env_file_are_seen(project: Path) -> None:
    """Moving the env link away reports it missing; a new environment.yml turns the project
    into a conda one, so the venv is stale; putting things back gives ready again."""
    _cached_answer(project)
    link = project / ".venv"
    aside = project.parent / "venv-aside"
    link.rename(aside)
    try:
        out, code, cached = _status(project, "--check")
        assert not cached and "missing" in out and code == 5
    finally:
        aside.rename(link)
    _cached_answer(project)
    extra = project / "environment.yml"
    extra.write_text("dependencies:\n  - python=3.11\n")
    try:
        out, _, cached = _status(project)
        assert not cached and "stale" in out and "now ask for a conda env" in out, out
    finally:
        extra.unlink()
    out, _, _ = _status(project)
    assert "ready" in out


def _detect(root: Path) -> tuple[str, bool]:
    """``(stdout, answered from the cache)`` of ``python -m kernelenv detect ROOT``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "kernelenv", "detect", str(root)],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, "kernelenv.cli" not in proc.stderr


def _projects(out: str) -> list[str]:
    return [line.split(":")[0] for line in out.splitlines() if line and not line.startswith(" ")]


def test_detect_answer_follows_every_change_in_the_tree(tmp_path: Path) -> None:
    """A repeated detect of an unchanged tree comes from the cache; a new env file deep in
    the tree, an in-place edit (mtime put back) that turns a tool-only pyproject.toml into a
    project, and a renamed project folder all show at once."""
    ws = tmp_path / "ws"
    (ws / "a").mkdir(parents=True)
    (ws / "a" / "requirements.txt").write_text("six\n")
    (ws / "b").mkdir()
    tool_only = "[tool.black]\nline-length = 88\n" + "#" * 40 + "\n"
    (ws / "b" / "pyproject.toml").write_text(tool_only)
    (ws / "c" / "deep").mkdir(parents=True)

    _settle()
    out, _ = _detect(ws)
    assert _projects(out) == ["a"]
    again, cached = _detect(ws)
    assert cached and again == out

    (ws / "c" / "deep" / "environment.yml").write_text("dependencies:\n  - python=3.11\n")
    out, cached = _detect(ws)
    assert not cached and _projects(out) == ["a", "c/deep"]

    _settle()
    _detect(ws)
    assert _detect(ws)[1]
    pp = ws / "b" / "pyproject.toml"
    st = pp.stat()
    project = '[project]\nname = "b"\nversion = "0"\ndependencies = ["six"]\n'
    pp.write_text(project.ljust(len(tool_only) - 1) + "\n")
    os.utime(pp, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert pp.stat().st_size == st.st_size
    out, cached = _detect(ws)
    assert not cached and _projects(out) == ["a", "b", "c/deep"]

    (ws / "a").rename(ws / "a2")
    out, cached = _detect(ws)
    assert not cached and _projects(out) == ["a2", "b", "c/deep"]


def test_status_right_after_a_build_is_answered_and_edits_in_that_second_are_seen(tmp_path: Path) -> None:
    """A build leaves its status answer (kernelenv.statusanswer.prime), so the first status
    after `create` is answered from the cache although every file was written within the
    racy window; an edit in that same window (same size, mtime put back) is still seen, as
    those paths are compared by content until they age."""
    root = requirements_project_at(tmp_path, "primed", "six\n")
    out, code, cached = _status(root)
    assert cached and "ready" in out and code == 0
    out_json, code, cached = _status(root, "--json", "--check")
    assert cached and '"status": "ready"' in out_json and code == 0

    run_cli("create", "--force", str(root))
    req = root / "requirements.txt"
    st = req.stat()
    req.write_text("SIX\n")
    os.utime(req, ns=(st.st_atime_ns, st.st_mtime_ns))
    out, _, cached = _status(root)
    assert not cached and "stale" in out


def test_notebook_saves_and_touches_keep_the_answer(project: Path) -> None:
    """A notebook saved the way Jupyter saves (a temporary file renamed over it), a `touch`
    of the env file and a new notes file or data folder change stamps but nothing status reads
    (the project folder is compared as detection scans it): still answered from the cache. A
    new env file there changes what detection finds, so that answer is computed."""
    (project / "analysis.ipynb").write_text("{}")
    first, code = _cached_answer(project)
    tmp = project / ".~analysis.ipynb"
    tmp.write_text('{"cells": []}')
    tmp.rename(project / "analysis.ipynb")
    (project / "requirements.txt").touch()
    out, code2, cached = _status(project)
    assert cached and (out, code2) == (first, code)
    (project / "notes.md").write_text("new\n")
    (project / "data").mkdir()
    try:
        out, code2, cached = _status(project)
        assert cached and (out, code2) == (first, code)
        (project / "environment.yml").write_text("dependencies:\n  - python=3.11\n")
        out, _, cached = _status(project)
        assert not cached and "stale (rattler" in out
    finally:
        (project / "notes.md").unlink()
        (project / "data").rmdir()
        (project / "analysis.ipynb").unlink()
        (project / "environment.yml").unlink(missing_ok=True)


def test_kernelspecs_of_other_names_keep_the_answer(project: Path) -> None:
    """Another project's (or tool's) kernelspec added in a Jupyter kernels folder leaves the
    kernel name status reports as it was: still answered from the cache. A foreign
    kernelspec taking the project's own name on the kernel path is seen at once (status then
    reports the suffixed name the next build would register)."""
    front = Path(os.environ["KERNELENV_CACHE_HOME"]).parent / "front-jupyter"
    env = {"JUPYTER_PATH": str(front)}  # searched before JUPYTER_DATA_DIR
    other = Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / "someone-else"
    spec = '{"argv": ["python"], "display_name": "not kernelenv\'s", "language": "python"}'
    try:
        _settle()
        first, code, _ = _status(project, env=env)
        assert "kernel cacheproj\n" in first + "\n"
        assert _status(project, env=env) == (first, code, True)
        other.mkdir(parents=True)
        (other / "kernel.json").write_text(spec)
        (front / "kernels" / "elsewhere").mkdir(parents=True)
        (front / "kernels" / "elsewhere" / "kernel.json").write_text(spec)
        assert _status(project, env=env) == (first, code, True)
        (front / "kernels" / "cacheproj").mkdir()
        (front / "kernels" / "cacheproj" / "kernel.json").write_text(spec)
        out, _, cached = _status(project, env=env)
        assert not cached and "kernel cacheproj-" in out, out
    finally:
        shutil.rmtree(other, ignore_errors=True)
        shutil.rmtree(front, ignore_errors=True)


def test_a_racy_answer_is_stored_only_when_both_snapshots_agree(tmp_path: Path, monkeypatch) -> None:
    """A file written just now may back a stored answer only if a snapshot taken before the
    answer was computed shows the same stamp and content: an edit between the two (the answer
    may be of the old content) or no snapshot at all stores nothing."""
    from kernelenv import answercache

    monkeypatch.setenv("KERNELENV_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "project"
    root.mkdir()
    spec = root / "requirements.txt"
    spec.write_text("six\n")
    paths = [(str(spec), True), (str(root), True)]
    argv = ["status", str(root)]
    started = time.time()
    assert not answercache.store([(argv, "answer\n", 0)], paths, started)  # racy, nothing to compare with
    before = answercache.snapshot(paths)
    spec.write_text("idna\n")  # edited while the answer was being computed
    assert not answercache.store([(argv, "answer\n", 0)], paths, started, before=before)
    before = answercache.snapshot(paths)
    assert answercache.store([(argv, "answer\n", 0)], paths, started, before=before)
    assert answercache.lookup(argv) == ("answer\n", 0)
    st = spec.stat()
    spec.write_text("IDNA\n")  # same size, mtime put back: the content tells
    os.utime(spec, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert answercache.lookup(argv) is None


def test_a_build_from_another_face_leaves_the_answer_too(tmp_path: Path) -> None:
    """The Jupyter server and the language server build through kernelenv.api in their own
    process (as here): the CLI's next status is answered from the cache all the same."""
    from kernelenv import api

    root = requirements_project_at(tmp_path, "face", "six\n", command=None)
    [project] = api.detect(root)
    api.create(project)
    out, code, cached = _status(root, "--check")
    assert cached and "ready" in out and code == 0
