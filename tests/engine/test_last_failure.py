"""A failed operation stays visible in the project's status until the next one succeeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.errors import BuildError, CancelledError, EnvFileError
from kernelenv.failures import read_failure, recording_failure


def _project(root: Path, requirements: str):
    root.mkdir(parents=True, exist_ok=True)
    (root / "requirements.txt").write_text(requirements)
    [project] = api.detect(root)
    return project


def test_failed_create_is_in_the_status_until_a_success(tmp_path: Path) -> None:
    """A malformed requirements.txt: create fails; the status (every face shows it) keeps the
    failure with file and line; once the file is fixed, a succeeding operation clears it."""
    root = tmp_path / "proj"
    project = _project(root, "six\nnot a requirement ==\n")
    with pytest.raises(EnvFileError):
        api.create(project)
    rep = api.status(project)
    assert rep.status.value == "missing"
    fail = rep.to_dict()["last_failure"]
    assert fail["action"] == "create"
    assert fail["error"]["path"] == str(root / "requirements.txt") and fail["error"]["line"] == 2
    # Recording a success clears it (here: the lock of the fixed file, a real uv run).
    (root / "requirements.txt").write_text("six\n")
    [project] = api.detect(root)
    api.lock(project)
    assert api.status(project).last_failure is None


def test_cancel_is_not_a_failure_and_hostile_records_are_ignored(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    with pytest.raises(CancelledError):
        with recording_failure(root, "create"):
            raise CancelledError("cancelled")
    assert read_failure(root) is None
    with pytest.raises(BuildError):
        with recording_failure(root, "rebuild"):
            raise BuildError("install", "uv failed")
    rec = read_failure(root)
    assert rec["action"] == "rebuild" and rec["error"]["step"] == "install"
    assert rec["error"]["message"] == "uv failed"
    # A committed or tampered file: wrong shape or oversized counts as no failure.
    f = root / ".kernelenv" / "last-failure.json"
    f.write_text(json.dumps({"action": ["x"], "error": "boom"}))
    assert read_failure(root) is None
    f.write_text(json.dumps({"action": "create", "error": {"message": "x" * 100_000}}))
    assert read_failure(root) is None
