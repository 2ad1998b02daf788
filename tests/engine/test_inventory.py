"""`kernelenv list` and `kernelenv gc` with real uv builds, in their own Jupyter data dir and
project index so the session's other kernels are not touched."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from kernelenv.layout import envs_dir
from tests.engine.conftest import cli_json, run_cli

pytestmark = pytest.mark.e2e


def _project(parent: Path, name: str) -> Path:
    root = parent / name
    root.mkdir(parents=True)
    (root / "requirements.txt").write_text("six==1.16.0\nipykernel\n")
    return root


def _spec(data_dir: Path, name: str, argv0: str) -> Path:
    d = data_dir / "kernels" / name
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(json.dumps({"argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                               "display_name": name, "language": "python"}))
    return d


def test_list_and_gc(tmp_path: Path) -> None:
    data = tmp_path / "jupyter-data"
    env = {"JUPYTER_DATA_DIR": str(data), "KERNELENV_STATE_HOME": str(tmp_path / "state"),
           "KERNELENV_CACHE_HOME": str(tmp_path / "cache"), "KERNELENV_HISTORY": "5"}
    a = _project(tmp_path, "alpha")
    run_cli("create", str(a), env=env)
    for _ in range(2):
        run_cli("create", "--force", str(a), env=env)
    b = _project(tmp_path, "beta")
    run_cli("create", str(b), env=env)
    shutil.rmtree(envs_dir(b))  # beta's env deleted behind kernelenv's back: its kernel is dead
    half = envs_dir(a) / "b-20000101000000-abcdef"
    (half / "bin").mkdir(parents=True)  # a killed build's folder: no record
    dead_foreign = _spec(data, "someone-elses", str(tmp_path / "gone" / "python"))
    alive_foreign = _spec(data, "system-python", sys.executable)

    listed = {e["root"]: e for e in cli_json("list", env=env)}
    assert listed[str(a)]["builds"] == 3 and listed[str(a)]["status"] == "ready"
    assert listed[str(a)]["kernels"] == ["alpha"] and listed[str(a)]["backend"] == "uv"
    disk = listed[str(a)]["disk"]
    assert 0 < disk["freed"] < disk["unique"], "uv's hard links into its cache are not counted as the env's own"
    assert listed[str(b)]["status"] == "missing"

    env1 = {**env, "KERNELENV_HISTORY": "1"}
    oldest = sorted(p.name for p in envs_dir(a).iterdir() if p != half)[0]
    plan = cli_json("gc", "--all", "--dry-run", env=env1)
    want = {("old-build", str(envs_dir(a) / oldest)), ("half-built", str(half)),
            ("kernel", str(data / "kernels" / "beta")), ("foreign-kernel", str(dead_foreign))}
    assert {(i["kind"], i["path"]) for i in plan} == want
    assert all(Path(p).exists() for _, p in want), "--dry-run removes nothing"
    assert {(i["kind"], i["path"]) for i in cli_json("gc", env=env1)} == want - {("foreign-kernel", str(dead_foreign))}
    assert dead_foreign.exists(), "without --all only kernelenv's kernels go"
    assert {(i["kind"], i["path"]) for i in cli_json("gc", "--all", env=env1)} == {("foreign-kernel", str(dead_foreign))}
    assert not any(Path(p).exists() for _, p in want)
    assert alive_foreign.exists() and (data / "kernels" / "alpha").exists()
    assert len(list(envs_dir(a).iterdir())) == 2  # the live build and one earlier
    assert cli_json("gc", "--all", "--dry-run", env=env1) == []


def test_gc_removes_cache_entries_nobody_wrote_for_a_month(tmp_path: Path) -> None:
    """kernelenv's user cache (answers, detection memo, content memo) does not grow forever:
    `gc` removes entries not written for 30 days and temporary files a killed write left
    (older than an hour), keeps everything else, and never follows a link out of it."""
    import os
    import time

    cache = tmp_path / "cache"
    env = {"KERNELENV_CACHE_HOME": str(cache), "KERNELENV_STATE_HOME": str(tmp_path / "state"),
           "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data")}
    now = time.time()

    def entry(folder: str, name: str, age_s: float) -> Path:
        p = cache / folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 100)
        os.utime(p, (now - age_s, now - age_s))
        return p

    day = 86400
    old_answer = entry("answers", "status-old.marshal", 31 * day)
    fresh_answer = entry("answers", "status-new.marshal", 29 * day)
    old_memo = entry("memo", "lock-fits-aaaa.marshal", 40 * day)
    killed = entry("projects", "x.marshal.123.456.tmp", 2 * 3600)
    writing = entry("projects", "y.marshal.123.457.tmp", 60)
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    os.symlink(outside, cache / "memo" / "link-out")
    os.utime(cache / "memo" / "link-out", (now - 90 * day, now - 90 * day), follow_symlinks=False)

    plan = {i["path"]: i for i in cli_json("gc", "--dry-run", env=env) if i["kind"] == "cache"}
    assert set(plan) == {str(cache / "answers"), str(cache / "memo"), str(cache / "projects")}
    assert plan[str(cache / "answers")]["bytes"] == 100 and "1 cached entries" in plan[str(cache / "answers")]["why"]
    assert old_answer.exists() and killed.exists(), "--dry-run removes nothing"
    run_cli("gc", env=env)
    assert not old_answer.exists() and not old_memo.exists() and not killed.exists()
    assert fresh_answer.exists() and writing.exists()
    assert (outside / "keep.txt").read_text() == "mine" and (cache / "memo" / "link-out").is_symlink()
    assert [i for i in cli_json("gc", "--dry-run", env=env) if i["kind"] == "cache"] == []
