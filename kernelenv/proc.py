"""Running external tools (uv, micromamba, the env's Python) without a shell.

Output is streamed line by line to a :class:`~kernelenv.progress.Reporter`, and the
child (with its process group) is killed promptly when the reporter is cancelled. On
Linux the child also gets ``PR_SET_PDEATHSIG`` (prctl(2)): if kernelenv itself is killed
(even with SIGKILL), the tool dies with it instead of writing on into an abandoned build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Mapping, Sequence

from .errors import BuildError, CancelledError
from .progress import Reporter


def _pdeathsig_preexec():
    """A preexec_fn setting PR_SET_PDEATHSIG=SIGKILL, or ``None`` off Linux.

    The libc function is looked up here, in the parent, so the child only makes one
    system call between fork and exec.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)

    return preexec


_PREEXEC = _pdeathsig_preexec()


def run(
    argv: Sequence[str | os.PathLike[str]],
    reporter: Reporter,
    *,
    step: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    error: str | None = None,
) -> str:
    """Run ``argv`` (a list, never a shell string) and stream its output.

    Args:
        argv: program and arguments.
        reporter: receives each output line; its cancel flag kills the child.
        step: step name used in the :class:`BuildError` if it fails.
        cwd: working directory.
        env: full environment for the child (defaults to ``os.environ``).
        error: message prefix on failure (defaults to ``"<program> failed"``).

    Returns:
        The combined stdout/stderr text.

    Raises:
        BuildError: non-zero exit; ``log_tail`` holds the last lines.
        CancelledError: the reporter was cancelled while it ran.
    """
    reporter.check_cancelled()
    args = [os.fspath(a) for a in argv]
    kwargs: dict = {}
    if sys.platform != "win32":
        kwargs["start_new_session"] = True
    if _PREEXEC is not None:
        kwargs["preexec_fn"] = _PREEXEC
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        **kwargs,
    )
    lines: list[str] = []
    killer = threading.Thread(target=_kill_on_cancel, args=(proc, reporter), daemon=True)
    killer.start()
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip("\n")
        lines.append(line)
        reporter.log(line)
    rc = proc.wait()
    if reporter.cancelled:
        raise CancelledError("Cancelled; the previous environment is unchanged.")
    if rc != 0:
        tail = "\n".join(lines[-30:])
        prog = Path(args[0]).name
        msg = error or f"{prog} failed"
        last = next((ln for ln in reversed(lines) if ln.strip()), "")
        raise BuildError(step, f"{msg} (exit code {rc}): {last}".rstrip(": "), tail)
    return "\n".join(lines)


def _kill_on_cancel(proc: subprocess.Popen, reporter: Reporter) -> None:
    while proc.poll() is None:
        if reporter.cancel_event.wait(0.2):
            _terminate(proc)
            return


def _terminate(proc: subprocess.Popen) -> None:
    try:
        if sys.platform != "win32":
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
        proc.wait(5)
    except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
        try:
            if sys.platform != "win32":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except ProcessLookupError:
            pass
