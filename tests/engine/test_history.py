"""Build history and rollback with real uv envs, real pylock.toml locks and real kernels.

One small project is built three times (once per session): a first lock + create, then
``attrs`` added, then ``six`` upgraded. The tests run in file order on it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.history import TRASH_PREFIX, history_dir, list_builds, live_build
from kernelenv.layout import envs_dir, link_target
from tests.engine.conftest import cli_json, run_cli
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e

VERSIONS = "import six, importlib.util as u; print(six.__version__, u.find_spec('attrs') is not None)"


def _build(root: Path, requirements: str, command: str) -> bytes:
    (root / "requirements.txt").write_text(requirements)
    run_cli("lock", str(root))
    run_cli(command, str(root))
    return (root / "pylock.toml").read_bytes()


@pytest.fixture(scope="module")
def three_builds(tmp_path_factory) -> tuple[Path, list[bytes]]:
    """A requirements project locked to pylock.toml and built three times; the locks of each build."""
    root = tmp_path_factory.mktemp("hist") / "paper"
    root.mkdir()
    locks = [
        _build(root, "six==1.16.0\nipykernel\n", "create"),
        _build(root, "six==1.16.0\nattrs==24.2.0\nipykernel\n", "rebuild"),
        _build(root, "six==1.17.0\nattrs==24.2.0\nipykernel\n", "rebuild"),
    ]
    return root, locks


def test_history_lists_three_builds_with_their_diffs(three_builds) -> None:
    root, _ = three_builds
    data = cli_json("history", str(root))
    builds = data["builds"]
    assert [b["reason"] for b in builds] == ["create", "rebuild", "rebuild"]
    assert [b["live"] for b in builds] == [False, False, True]
    assert builds[0]["changes"] == []
    assert builds[1]["changes"] == ["+attrs 24.2.0"]
    assert builds[2]["changes"] == ["six 1.16.0 → 1.17.0"]
    assert all(b["lock"] == "pylock.toml" for b in builds)
    # uv hard-links from its cache: the earlier builds cost far less than their apparent size
    assert 0 < data["disk"]["freed"] < data["disk"]["apparent"] / 2
    text = run_cli("history", str(root)).stdout
    assert "+attrs 24.2.0" in text and "six 1.16.0 → 1.17.0" in text


def test_rollback_while_a_build_runs_is_refused(three_builds) -> None:
    from kernelenv.locking import project_lock

    root, _ = three_builds
    live = link_target(root / ".venv")
    with project_lock(root, "rebuild"):
        proc = run_cli("rollback", str(root), check=False)
    assert proc.returncode == 1 and "is busy" in proc.stderr
    assert link_target(root / ".venv") == live


def test_rollback_to_a_corrupt_or_deleted_build_changes_nothing(three_builds, tmp_path) -> None:
    root, _ = three_builds
    [first, second, third] = [b.id for b in list_builds(root)]
    live = link_target(root / ".venv")
    lock = (root / "pylock.toml").read_bytes()
    record = history_dir(root) / f"{second}.json"
    saved = record.read_bytes()
    try:
        record.write_text("{not json")
        proc = run_cli("rollback", str(root), second, check=False)
        assert proc.returncode == 1
        assert f"{record}: unreadable build record" in proc.stderr
        record.write_text(json.dumps({**json.loads(saved), "lock": "../../etc/passwd"}))
        proc = run_cli("rollback", str(root), second, check=False)
        assert "field 'lock'" in proc.stderr and "not a file inside the project" in proc.stderr
    finally:
        record.write_bytes(saved)
    proc = run_cli("rollback", str(root), "b-20000101000000-abcdef", check=False)
    assert proc.returncode == 1 and "No record of build b-20000101000000-abcdef" in proc.stderr
    proc = run_cli("rollback", str(root), "../../x", check=False)
    assert proc.returncode == 1 and "is not a build id" in proc.stderr
    # an env folder deleted by hand (moved aside here, restored after)
    aside = tmp_path / second
    shutil.move(str(envs_dir(root) / second), aside)
    try:
        proc = run_cli("rollback", str(root), second, check=False)
        assert proc.returncode == 1 and "is gone (deleted by hand?)" in proc.stderr
    finally:
        shutil.move(str(aside), envs_dir(root) / second)
    assert link_target(root / ".venv") == live and (root / "pylock.toml").read_bytes() == lock
    assert third == live.name and first != second


def test_rollback_to_the_first_build_offline(three_builds, monkeypatch) -> None:
    """No process and no socket: rollback only switches the link and restores the lock."""
    root, locks = three_builds
    [first, _, third] = [b.id for b in list_builds(root)]
    [project] = api.detect(root)
    name = project.kernel_name

    def refuse(*a, **k):
        raise AssertionError(f"rollback tried to run or connect: {a!r}")

    with monkeypatch.context() as m:
        m.setattr(subprocess.Popen, "__init__", refuse)
        m.setattr(socket.socket, "connect", refuse)
        res = api.rollback(project, first)
    assert res["build"] == first and res["previous"] == third
    assert res["lock_restored"] == "pylock.toml" and not res["lock_unchanged"]
    assert res["changes"] == ["-attrs 24.2.0", "six 1.17.0 → 1.16.0"]
    assert res["seconds"] < 1.0
    assert (root / "pylock.toml").read_bytes() == locks[0]
    assert live_build(root) == first
    [project] = api.detect(root)
    assert project.kernel_name == name
    # the spec was not rolled back (only the lock is kept per build): status says so
    st = api.status(project)
    assert st.status.value == "lock out of date" and "requirements.txt changed" in st.reason
    assert run_in_kernel(name, VERSIONS).split() == ["1.16.0", "False"]


def test_rollback_back_to_the_newest_and_limit(three_builds, monkeypatch) -> None:
    root, locks = three_builds
    third = list_builds(root)[-1].id
    out = run_cli("rollback", str(root), third).stdout
    assert f"build {third} is live again" in out and "pylock.toml restored" in out
    assert (root / "pylock.toml").read_bytes() == locks[2]
    # KERNELENV_HISTORY=1: the next build keeps the live one and one earlier build; the
    # builds past the limit lose their record at once and their folders are moved aside and
    # deleted in the background (by the build after at the latest)
    before = {b.id for b in list_builds(root)}
    run_cli("rebuild", str(root), env={"KERNELENV_HISTORY": "1"})
    builds = list_builds(root)
    assert [b.id for b in builds][0] == third and len(builds) == 2
    gone = before - {b.id for b in builds}
    assert gone and not any((envs_dir(root) / i).exists() for i in gone)
    assert {p.name for p in envs_dir(root).iterdir()} <= {*(b.id for b in builds), *(TRASH_PREFIX + i for i in gone)}
    deadline = time.monotonic() + 30
    while any((envs_dir(root) / (TRASH_PREFIX + i)).exists() for i in gone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(p.name for p in envs_dir(root).iterdir()) == sorted(b.id for b in builds)


def test_history_limit_sources(tmp_path, monkeypatch) -> None:
    from kernelenv.history import history_limit

    monkeypatch.delenv("KERNELENV_HISTORY", raising=False)
    assert history_limit(tmp_path) == 3
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.kernelenv]\nhistory = 0\n')
    assert history_limit(tmp_path) == 0
    monkeypatch.setenv("KERNELENV_HISTORY", "5")
    assert history_limit(tmp_path) == 5
