"""The CLI on conda projects, as a user runs it (``python -m kernelenv``), offline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.conda.conftest import offline_only


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kernelenv", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=300, stdin=subprocess.DEVNULL)


def test_windows_export_via_cli(project_copy) -> None:
    root = project_copy("btcrabb__NSQIP_ML")
    proc = _cli("create", str(root))
    assert proc.returncode == 1
    assert f"{root}/environment.yml:57:5: `m2w64-gcc-libgfortran=5.3.0=6` is a Windows-only package" in proc.stderr


@offline_only
def test_unreachable_defaults_via_cli(project_copy) -> None:
    """With --strip-builds the export gets to the network: `defaults` is unreachable here. The process
    must exit cleanly with a JSON error (py-rattler's in-flight requests used to crash it at exit)."""
    root = project_copy("btcrabb__NSQIP_ML")
    for _ in range(2):
        proc = _cli("create", "--strip-builds", "--json", str(root))
        assert proc.returncode == 1, proc.stderr[-2000:]
        [result] = json.loads(proc.stdout)
        assert result["ok"] is False and result["error"]["code"] == "build-failed"
        assert result["error"]["step"] == "solve"
        assert re.search(r"\(https://repo\.anaconda\.com/pkgs/(main|r)/\) is unreachable", result["error"]["message"])
