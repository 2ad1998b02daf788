"""Fixtures for the browser tests: a real ``jupyter lab`` (the venv's, with the kernelenv
server extension and the prebuilt labextension as ``make setup`` installs them) on a free
port with a token, serving a temp root that holds a copy of a corpus project, and the
paths to Debian's Chromium and the Node ``playwright-core`` that drives it.

Nothing downloads a browser: ``make setup-browser`` installs Debian's ``chromium`` and
``make setup-lab`` installs ``playwright-core`` from the labextension's lock file.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from tests.conftest import copy_corpus_project, free_port, wait_serving

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = REPO / "jupyter_ext" / "labextension"
SCENARIO = Path(__file__).with_name("lab_scenario.mjs")
SCREENSHOTS = REPO / "docs" / "images"
CORPUS_PROJECT = "binder-examples__requirements"
#: a project whose requirements.txt has an invalid line 2 (column 6 is where parsing fails)
BROKEN_PROJECT = "broken"
BROKEN_REQUIREMENTS = "numpy==1.26.4\nthis is not a requirement!!\n"
#: a notebook in a subfolder of the project (the sidebar shows the project it is in)
NESTED_NOTEBOOK = "notebooks/nested.ipynb"
#: a project with no env whose notebook was saved with the portable kernel
PORTABLE_PROJECT = "portable"


@dataclass
class Lab:
    """A running JupyterLab: ``url`` ends with ``/``; ``root`` is its root_dir."""

    url: str
    token: str
    root: Path
    log: Path

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        """Call the server's REST API with the token; returns (status, decoded JSON or None)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium (``make setup-browser``)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("chromium is not installed: run `make setup-browser` (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def node_playwright() -> Path:
    """The labextension folder whose node_modules holds playwright-core (``make setup-lab``)."""
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH")
    if not (LABEXTENSION / "node_modules" / "playwright-core" / "package.json").exists():
        pytest.fail("playwright-core is not installed: run `make setup-lab`")
    return LABEXTENSION


def write_notebook(path: Path, source: str, kernel: str = "python3") -> Path:
    """A one-cell notebook saved with the generic ``python3`` kernel (what most notebooks carry)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    """``jupyter lab`` from this venv on a temp root holding a copy of the requirements project
    (with two notebooks saved with ``python3``) and a project with a malformed requirements.txt.

    JupyterLab's user settings and workspaces live in the temp folder; the news prompt
    is switched off there so no toast covers the panel. JUPYTER_DATA_DIR etc. come from
    tests/conftest.py, so the kernels it registers stay in the session's temp folder.
    """
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    project = copy_corpus_project(CORPUS_PROJECT, root)
    write_notebook(project / "analysis.ipynb", "import sys\nprint(sys.prefix)")
    write_notebook(project / "notebook7.ipynb", "import sys\nprint(sys.prefix)")
    (project / "notebooks").mkdir()
    write_notebook(project / NESTED_NOTEBOOK, "import sys\nprint(sys.prefix)")
    portable = root / PORTABLE_PROJECT
    portable.mkdir()
    (portable / "requirements.txt").write_text("six\n")
    write_notebook(portable / "analysis.ipynb", "print(1)", kernel="kernelenv-project")
    broken = root / BROKEN_PROJECT
    broken.mkdir()
    (broken / "requirements.txt").write_text(BROKEN_REQUIREMENTS)
    settings = base / "user-settings"
    notif = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notif.parent.mkdir(parents=True)
    notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))

    token = secrets.token_hex(16)
    port = free_port()
    jupyter = Path(sys.executable).with_name("jupyter")
    log = base / "lab.log"
    cmd = [str(jupyter), "lab", "--no-browser", "--allow-root", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={settings}",
           f"--LabApp.workspaces_dir={base / 'workspaces'}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    with log.open("wb") as out:
        # Its own project index: no other test's env lends the build its bytecode, so a create
        # runs long enough (compiling a kernel start's modules) for the sidebar's building state.
        env = {**os.environ, "KERNELENV_STATE_HOME": str(base / "kernelenv-state")}
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=base, env=env)
    lab = Lab(url=f"http://127.0.0.1:{port}/", token=token, root=root, log=log)
    try:
        wait_serving(proc, lambda: lab.api("GET", "api/status")[0] == 200, "jupyter lab", log, 120, 0.5)
        yield lab
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_scenario(phase: str, lab: Lab, chromium: str, node_playwright: Path, tmp_path: Path,
                 **extra: object) -> dict:
    """Run ``lab_scenario.mjs`` for ``phase`` and return its JSON result (stderr in the failure)."""
    config = {"phase": phase, "url": lab.url, "token": lab.token, "chromium": chromium,
              "labextension": str(node_playwright), "screenshots": str(SCREENSHOTS),
              "artifacts": str(tmp_path), "userDataDir": str(tmp_path / "chromium-profile"),
              **extra}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    proc = subprocess.run(["node", str(SCENARIO), json.dumps(config)], capture_output=True,
                          text=True, timeout=900, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": "no result line"}
    if not result.get("ok"):
        pytest.fail(f"browser scenario {phase!r} failed: {result.get('error')}\n"
                    f"seen: {result.get('seen')}\n--- browser log ---\n{proc.stderr[-4000:]}\n"
                    f"--- server log ---\n{lab.log.read_text()[-3000:]}\n"
                    f"(screenshot of the failure: {tmp_path / 'failure.png'})")
    return result
