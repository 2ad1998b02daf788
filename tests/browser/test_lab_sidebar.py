"""JupyterLab sidebar and per-notebook kernel selection, end to end in a real browser.

A real ``jupyter lab`` (this venv's, with kernelenv as ``make setup`` installs it), Debian's
Chromium driven by playwright-core (``lab_scenario.mjs``), a real uv build of a corpus
project. Nothing here is mocked.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import BROKEN_PROJECT, CORPUS_PROJECT, SCREENSHOTS, Lab, run_scenario

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

KERNEL_HINT = f"({CORPUS_PROJECT})"  # kernelenv's display names end with "(project)"


def _project(lab: Lab) -> dict:
    status, body = lab.api("GET", "kernelenv/api/projects?path=")
    assert status == 200, body
    (project,) = [p for p in body["projects"] if p["path"] == CORPUS_PROJECT]
    return project


def test_labextension_is_served_prebuilt(lab: Lab) -> None:
    """The wheel's prebuilt extension is what JupyterLab loads (no `jupyter lab build`)."""
    status, body = lab.api("GET", "lab/api/settings/kernelenv:plugin")
    assert status == 200, body
    assert body["schema"]["properties"]["autoSelectKernel"]["default"] == "ask"
    assert body["schema"]["properties"]["autoSelectKernel"]["enum"] == ["always", "ask", "never"]


def test_two_clicks_from_nothing_to_notebook_in_project_env(lab: Lab, chromium: str,
                                                            node_playwright: Path,
                                                            tmp_path: Path) -> None:
    """Environments panel shows the project as missing; Create builds it (progress, log,
    buttons disabled) to ready; the notebook saved with ``python3`` gets the
    "Use project env" offer, and its cell prints the project env's sys.prefix."""
    assert _project(lab)["status"]["status"] == "missing"
    started = time.time()

    result = run_scenario("lab", lab, chromium, node_playwright, tmp_path,
                          project=CORPUS_PROJECT, notebook=f"{CORPUS_PROJECT}/analysis.ipynb",
                          kernelDisplayHint=KERNEL_HINT, createTimeoutMs=600_000)

    assert result["seen"] == ["missing", "building", "ready", "offer"]
    project = _project(lab)
    assert project["status"]["status"] == "ready"
    env = Path(project["status"]["env_path"])
    assert env == lab.root / CORPUS_PROJECT / ".venv"
    assert Path(result["prefix"]).resolve() == env.resolve()
    assert KERNEL_HINT in result["kernel"]
    # the notebook's session really runs the project's kernel
    _, sessions = lab.api("GET", "api/sessions")
    (session,) = [s for s in sessions if s["path"] == f"{CORPUS_PROJECT}/analysis.ipynb"]
    assert session["kernel"]["name"] == project["kernel_name"]
    for name in ("panel-missing.png", "panel-building.png", "panel-ready.png"):
        shot = SCREENSHOTS / name
        assert shot.stat().st_size > 2000 and shot.stat().st_mtime >= started, shot


def _ensure_ready(lab: Lab) -> dict:
    """Create the project's env through the REST API unless a previous test did."""
    project = _project(lab)
    if project["status"]["status"] != "ready":
        status, job = lab.api("POST", f"kernelenv/api/projects/{CORPUS_PROJECT}/create", {})
        assert status in (202, 409), job
        deadline = time.monotonic() + 600
        while _project(lab)["status"]["status"] != "ready":
            assert time.monotonic() < deadline, _project(lab)
            time.sleep(1)
        project = _project(lab)
    return project


def test_notebook7_offers_and_switches_to_project_kernel(lab: Lab, chromium: str,
                                                         node_playwright: Path,
                                                         tmp_path: Path) -> None:
    """Kernel selection also works on Notebook 7's notebook page."""
    project = _ensure_ready(lab)
    notebook = f"{CORPUS_PROJECT}/notebook7.ipynb"

    result = run_scenario("notebook7", lab, chromium, node_playwright, tmp_path,
                          project=CORPUS_PROJECT, notebook=notebook, kernelDisplayHint=KERNEL_HINT)

    assert result["seen"] == ["offer"]
    assert Path(result["prefix"]).resolve() == Path(project["status"]["env_path"]).resolve()
    _, sessions = lab.api("GET", "api/sessions")
    (session,) = [s for s in sessions if s["path"] == notebook]
    assert session["kernel"]["name"] == project["kernel_name"]


def test_failed_create_names_file_and_line(lab: Lab, chromium: str, node_playwright: Path,
                                           tmp_path: Path) -> None:
    """The panel follows the file browser into a project with a malformed requirements.txt,
    lists the parse error, and Create fails with a notification naming the file and line;
    clicking the error opens the file; the palette's "Lock environment for the current
    folder" acts on that project and fails the same way. Nothing gets built."""
    result = run_scenario("failure", lab, chromium, node_playwright, tmp_path,
                          project=BROKEN_PROJECT)

    assert result["seen"] == ["listed-error", "notification", "opened", "palette-lock"]
    for text in (result["listed"], result["notification"], result["inline"],
                 result["lockNotification"]):
        assert "requirements.txt:2:6: invalid requirement 'this is not a requirement!!'" in text, text
    assert result["notification"].startswith(f"{BROKEN_PROJECT}: create failed")
    assert result["status"] == "missing"
    assert not (lab.root / BROKEN_PROJECT / ".venv").exists()
