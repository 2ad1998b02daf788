"""The CLI as one stage of a shell pipeline: a reader that stops early gets no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _many_projects(root: Path, n: int) -> Path:
    for i in range(n):
        d = root / f"p{i:03d}"
        d.mkdir(parents=True)
        (d / "requirements.txt").write_text("six\n")
    return root


def test_detect_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    """`kernelenv detect . | head -1`: the reader closes after one line; kernelenv must not print a
    BrokenPipeError traceback, and exits 141 as tools killed by SIGPIPE do."""
    ws = _many_projects(tmp_path / "ws", 300)  # --json output: far more than a pipe buffer holds
    for command in ("detect", "status"):
        proc = subprocess.Popen([sys.executable, "-m", "kernelenv", command, "--json", str(ws)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does after its line
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
        assert first, command
        assert "Traceback" not in err and "BrokenPipeError" not in err, err
        assert code == 141, (command, code, err)
