"""Import what the first detection needs while the language server starts (issue 15).

:func:`start` (idempotent) runs one daemon thread from the moment the process starts
(``__main__`` calls it before pygls is even imported, so the imports overlap pygls' own and
the handshake): detection, the env-file parsers and the status modules first, then
py-rattler (which the conda parser needs to check MatchSpecs, and which is the slowest to
import). The first ``kernelenv/projects`` after ``initialized`` then pays no imports. The
handshake never waits for any of this: a module the thread has not imported yet is
imported by whoever needs it first.
"""

from __future__ import annotations

import importlib
import threading

#: Modules the first detection and status of a workspace import, in that order.
DETECTION_MODULES = (
    "kernelenv.api", "kernelenv.detect", "kernelenv.projectrules", "kernelenv.folderscan",
    "kernelenv.parsers.requirements", "kernelenv.parsers.pyproject", "kernelenv.parsers.conda",
    "kernelenv.parsers.pipfile", "kernelenv.parsers.pixi", "kernelenv.parsers.lockcheck",
    "kernelenv.parsers.python_request", "kernelenv.buildcode", "kernelenv.projectinstall",
    "kernelenv.state", "kernelenv.kernels", "jupyter_core.paths", "kernelenv.drift", "kernelenv.failures",
    "kernelenv.relocate", "kernelenv.locking", "kernelenv.diagnose", "rattler",
)

_started = False
_lock = threading.Lock()


def _run() -> None:
    for name in DETECTION_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # only an optimisation: the real import reports any error
            pass


def start() -> None:
    """Start the warm-up thread once per process (later calls do nothing)."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_run, name="kernelenv-warm-up", daemon=True).start()
