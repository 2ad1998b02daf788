"""Fixtures for the real-editor tests: a code-server (VS Code 1.100 in the browser, installed
by ``make setup`` into vscode/.code-server/) with the freshly packaged .vsix, and Debian's
Neovim. Each fixture skips, naming what is missing and how to install it, when its host is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_serving

REPO = Path(__file__).resolve().parents[2]
VSCODE = REPO / "vscode"
CODE_SERVER = VSCODE / ".code-server" / "node_modules" / ".bin" / "code-server"
SCREENSHOTS = REPO / "docs" / "images"
#: A project with two bad entries: a conda MatchSpec (line 4) and a pip requirement (line 6).
BROKEN_ENV = 'name: broken\ndependencies:\n  - python=3.11\n  - numpy >>=1\n  - pip:\n    - "requests ==="\n'


def editor_workspace(base: Path) -> Path:
    """``base/workspace`` holding ``broken/environment.yml`` (:data:`BROKEN_ENV`) and
    ``tiny/requirements.txt`` (one pinned package): what each editor opens."""
    ws = base / "workspace"
    (ws / "tiny").mkdir(parents=True)
    (ws / "tiny" / "requirements.txt").write_text("six==1.17.0\n")
    (ws / "broken").mkdir()
    (ws / "broken" / "environment.yml").write_text(BROKEN_ENV)
    return ws


@pytest.fixture(scope="session")
def code_server_bin() -> Path:
    """code-server 4.100.x from ``make setup`` (vscode/scripts/install-code-server.sh)."""
    if not CODE_SERVER.exists():
        pytest.skip("code-server is not installed: run `make setup` (vscode/scripts/install-code-server.sh "
                    "installs code-server 4.100.3 from npm; it needs Node 20)")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH (code-server runs on Node 20)")
    if not (VSCODE / "node_modules" / "playwright-core" / "package.json").exists():
        pytest.skip("playwright-core is not installed: run `make setup` (npm ci in vscode/)")
    if not Path("/usr/bin/chromium").exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed: run `make setup-browser`")
    return CODE_SERVER


@pytest.fixture(scope="session")
def vsix(code_server_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The .vsix as ``vsce package`` alone builds it now (its vscode:prepublish bundles)."""
    out = tmp_path_factory.mktemp("vsix") / "kernelenv.vsix"
    proc = subprocess.run([str(VSCODE / "node_modules" / ".bin" / "vsce"), "package", "--out", str(out)],
                          cwd=VSCODE, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "WARNING" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="session")
def extensions_dir(code_server_bin: Path, vsix: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extensions folder with the .vsix installed by code-server's own ``--install-extension``."""
    base = tmp_path_factory.mktemp("code-server-ext")
    ext = base / "extensions"
    proc = subprocess.run([str(code_server_bin), "--extensions-dir", str(ext), "--user-data-dir",
                           str(base / "data"), "--install-extension", str(vsix)],
                          capture_output=True, text=True, timeout=300, env=_env(base))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = subprocess.run([str(code_server_bin), "--extensions-dir", str(ext), "--list-extensions",
                             "--show-versions"], capture_output=True, text=True, timeout=120, env=_env(base))
    assert "kernelenv.kernelenv@0.1.0" in listed.stdout, listed.stdout + listed.stderr
    return ext


def _env(base: Path, **extra: str) -> dict[str, str]:
    # Its own project index: no other test's env lends a build its bytecode (kernelenv.bytecode),
    # so a create runs long enough for the editor to show its building state.
    env = {**os.environ, "CODE_SERVER_CONFIG": str(base / "code-server.yaml"),
           "KERNELENV_STATE_HOME": str(base / "kernelenv-state"), **extra}
    env.pop("VIRTUAL_ENV", None)
    return env


@dataclass
class CodeServer:
    """A running code-server: ``url`` ends with ``/``; ``user_data`` holds its logs."""

    url: str
    user_data: Path
    log: Path

    def output_channel(self, name: str) -> str:
        """The text an extension wrote to its output channel ``name`` (read from the logs)."""
        files = sorted(self.user_data.glob(f"logs/**/output_logging_*/*-{name}.log"))
        return "\n".join(f.read_text(errors="replace") for f in files)


class CodeServerHost:
    """Starts code-servers (one per scenario group) and stops each with its process group
    (killing only the main process would leave its file watchers running)."""

    def __init__(self, binary: Path, extensions: Path, base: Path) -> None:
        self.binary, self.extensions, self.base = binary, extensions, base
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, settings: dict, env: dict[str, str] | None = None) -> CodeServer:
        """Start code-server with user ``settings``; returns once it answers (the scenario
        opens the workspace folder with ``?folder=``)."""
        data = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.base))  # a fresh profile per start (reruns too)
        (data / "User").mkdir(parents=True)
        (data / "User" / "settings.json").write_text(json.dumps({
            "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off",
            "workbench.tips.enabled": False, "extensions.ignoreRecommendations": True,
            "workbench.enableExperiments": False, "update.mode": "none",
            "security.workspace.trust.enabled": False, **settings}, indent=2))
        port = free_port()
        log = self.base / f"{data.name}.log"
        cmd = [str(self.binary), "--auth", "none", "--bind-addr", f"127.0.0.1:{port}",
               "--user-data-dir", str(data), "--extensions-dir", str(self.extensions),
               "--disable-telemetry", "--disable-update-check", "--ignore-last-opened"]
        if not settings.get("security.workspace.trust.enabled"):
            cmd.append("--disable-workspace-trust")
        with log.open("wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.base,
                                    env=env if env is not None else _env(self.base), start_new_session=True)
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}/"

        def healthy() -> bool:
            with urllib.request.urlopen(url + "healthz", timeout=5) as r:
                return r.status == 200

        wait_serving(proc, healthy, "code-server", log, 60)
        return CodeServer(url=url, user_data=data, log=log)

    def stop_all(self) -> None:
        """Stop every code-server this host started (SIGTERM to the group, then SIGKILL)."""
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                    proc.wait(timeout=15)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait()


@pytest.fixture(scope="module")
def code_server(code_server_bin: Path, extensions_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """A :class:`CodeServerHost`; everything it started is stopped after the module."""
    host = CodeServerHost(code_server_bin, extensions_dir, tmp_path_factory.mktemp("code-server"))
    try:
        yield host
    finally:
        host.stop_all()


def run_scenario(phase: str, server: CodeServer, folder: Path, artifacts: Path, **extra: object) -> dict:
    """Run ``code_server_scenario.mjs`` for ``phase``; its JSON result (logs in the failure)."""
    config = {"phase": phase, "url": server.url, "folder": str(folder), "chromium": "/usr/bin/chromium",
              "vscodeDir": str(VSCODE), "screenshots": str(SCREENSHOTS), "artifacts": str(artifacts),
              "updateScreenshots": bool(os.environ.get("KERNELENV_UPDATE_SCREENSHOTS")), **extra}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["node", str(Path(__file__).with_name("code_server_scenario.mjs")), json.dumps(config)],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"ok": False, "error": "no result line"}
    if not result.get("ok"):
        pytest.fail(f"code-server scenario {phase!r} failed: {result.get('error')}\n"
                    f"seen: {result.get('seen')}\n--- browser log ---\n{proc.stderr[-4000:]}\n"
                    f"--- Kernelenv output channel ---\n{server.output_channel('Kernelenv')[-4000:]}\n"
                    f"--- code-server log ---\n{server.log.read_text()[-2000:]}\n"
                    f"(screenshot of the failure: {artifacts}/failure-{phase}.png)")
    return result
