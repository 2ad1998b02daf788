"""JupyterLab sidebar and per-notebook kernel selection, end to end in a real browser.

A real ``jupyter lab`` (this venv's, with kernelenv as ``make setup`` installs it), Debian's
Chromium driven by playwright-core (``lab_scenario.mjs``), a real uv build of a corpus
project. Nothing here is mocked.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import (BROKEN_PROJECT, CORPUS_PROJECT, NESTED_NOTEBOOK, PORTABLE_PROJECT, SCREENSHOTS, Lab,
                       run_scenario, write_notebook)

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
    """Environments panel shows the project as missing (its folder under its name, the advice
    worded as the button, the backend's explanation folded); Create builds it (progress, log,
    buttons disabled) to ready, where Create is off; the notebook saved with ``python3`` gets the
    "Use project env" offer, and its cell prints the project env's sys.prefix. A notebook in a
    subfolder of the project makes the sidebar show that project; closing it takes its offer away."""
    assert _project(lab)["status"]["status"] == "missing"
    started = time.time()

    result = run_scenario("lab", lab, chromium, node_playwright, tmp_path,
                          project=CORPUS_PROJECT, notebook=f"{CORPUS_PROJECT}/analysis.ipynb",
                          nested=NESTED_NOTEBOOK, kernelDisplayHint=KERNEL_HINT, createTimeoutMs=600_000)

    assert result["seen"] == ["missing", "building", "ready", "offer", "followed", "offer-dismissed"]
    assert result["card"] == {"folder": f"{CORPUS_PROJECT}/", "reason": "No env yet: click Create.",
                              "whyVisible": False}
    assert result["createOnReady"] is False
    assert result["followed"] == [CORPUS_PROJECT]
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

    assert result["seen"] == ["listed-error", "notification", "opened", "palette-lock", "last-failure"]
    # the palette's Lock failed last, so that is the failure the card keeps
    assert result["lastFailure"].startswith("Last lock failed: requirements.txt:2:6: invalid requirement")
    for text in (result["listed"], result["notification"], result["inline"],
                 result["lockNotification"]):
        assert "requirements.txt:2:6: invalid requirement 'this is not a requirement!!'" in text, text
    assert result["notification"].startswith(f"{BROKEN_PROJECT}: create failed")
    assert result["status"] == "missing"
    assert not (lab.root / BROKEN_PROJECT / ".venv").exists()


def test_portable_kernel_without_env_offers_create(lab: Lab, chromium: str, node_playwright: Path,
                                                   tmp_path: Path) -> None:
    """A notebook saved with the portable "Python (project env)" kernel, in a project with no env:
    the error kernel alone cannot fix that, so Lab offers the Create button."""
    result = run_scenario("portable", lab, chromium, node_playwright, tmp_path,
                          project=PORTABLE_PROJECT, notebook=f"{PORTABLE_PROJECT}/analysis.ipynb")
    assert result["seen"] == ["offer-create"]
    assert result["button"] == 1 and "analysis.ipynb is in project portable" in result["offer"]


def test_packages_drift_record_add_remove(lab: Lab, chromium: str, node_playwright: Path,
                                         tmp_path: Path) -> None:
    """`%pip install` in a notebook cell (the project kernel, pip seeded in its venv) turns the
    card's badge to drifted by itself and the drift line names the package; Record writes it
    into requirements.txt; the Packages list then shows it as from the spec; the Add field adds
    a package (spec edited, env rebuilt) and its x removes it again."""
    from kernelenv import api

    root = lab.root / "pkgs"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    api.create(api.find_project(root))
    write_notebook(root / "install.ipynb", "%pip install --quiet certifi==2024.8.30\nprint('installed')",
                   kernel=api.status(api.find_project(root)).kernel_name)

    result = run_scenario("packages", lab, chromium, node_playwright, tmp_path, project="pkgs",
                          notebook="pkgs/install.ipynb", handPackage="certifi", addSpec="idna==3.7",
                          addName="idna")

    assert result["seen"] == ["drifted", "recorded", "added", "removed"]
    assert "added certifi 2024.8.30" in result["drift"]
    assert result["howAfterRecord"] == "spec"
    assert result["removable"] == 2  # six and certifi: the packages requirements.txt lists
    assert (root / "requirements.txt").read_text() == "six\ncertifi==2024.8.30\n"
    assert api.status(api.find_project(root)).status.value == "ready"


def test_history_list_and_rollback(lab: Lab, chromium: str, node_playwright: Path, tmp_path: Path) -> None:
    """A project built twice (six 1.16.0, then 1.17.0): the card's History list shows both builds,
    newest first, with what changed; Rollback on the earlier one makes it live (a notification
    says so, the list marks it live) and the env is the first build's."""
    from kernelenv import api
    from kernelenv.history import list_builds, live_build

    root = lab.root / "hist"
    root.mkdir()
    for pin in ("1.16.0", "1.17.0"):
        (root / "requirements.txt").write_text(f"six=={pin}\n")
        api.create(api.find_project(root))
    first = list_builds(root)[0].id

    result = run_scenario("history", lab, chromium, node_playwright, tmp_path, project="hist")

    assert result["seen"] == ["listed", "rolled-back", "list-followed"]
    assert result["listed"] == [{"live": True, "changes": ["six 1.16.0 → 1.17.0"], "rollback": False},
                                {"live": False, "changes": [], "rollback": True}]
    assert "is live again" in result["notification"] and "six 1.17.0 → 1.16.0" in result["notification"]
    assert live_build(root) == first
    assert api.status(api.find_project(root)).status.value == "stale"  # requirements.txt says 1.17.0 now
