"""The last failed operation of a project, kept until the next one succeeds.

A failed create, lock or rebuild leaves the previous env, kernel, spec and lock as they were,
so the project's status alone would not say that anything went wrong. Every face shows the
failure with the status (the JupyterLab card, the editor status bar, ``kernelenv status``)
until the next operation on the project succeeds. It lives in its own file,
``<project>/.kernelenv/last-failure.json`` (``{"action", "at", "error"}``, ``error`` being
:meth:`KernelenvError.to_dict`), so writing it never touches the state file of the live env.
A cancelled operation or a busy project is not a failure of the project and is not recorded.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import CancelledError, KernelenvError, ProjectBusyError
from .layout import ensure_state_dir, state_dir

FILE_NAME = "last-failure.json"
#: a record larger than this is not ours (the file is in a folder a cloned repo may hold)
MAX_BYTES = 64 * 1024


def failure_file(root: Path) -> Path:
    """``<root>/.kernelenv/last-failure.json``."""
    return state_dir(root) / FILE_NAME


def read_failure(root: Path) -> dict[str, Any] | None:
    """The last failure of the project at ``root``: ``{"action": str, "at": ISO 8601 str,
    "error": {"code", "message", ...}}``, or ``None`` when the last operation succeeded.

    The file is read as untrusted input: anything but a small JSON object of that shape
    counts as no failure.
    """
    path = failure_file(root)
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("action"), str)
            and isinstance(data.get("error"), dict) and isinstance(data["error"].get("message"), str)):
        return None
    return {"action": data["action"], "at": str(data.get("at", "")), "error": data["error"]}


def clear_failure(root: Path) -> None:
    """Forget the last failure (an operation on the project succeeded)."""
    try:
        failure_file(root).unlink()
    except OSError:
        pass


def write_failure(root: Path, action: str, error: KernelenvError) -> None:
    """Record that ``action`` (``create``, ``lock``, ``rebuild`` ...) failed with ``error``."""
    ensure_state_dir(root)
    path = failure_file(root)
    tmp = path.with_suffix(".json.tmp")
    record = {"action": action, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "error": error.to_dict()}
    tmp.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def recording_failure(root: Path, action: str) -> Iterator[None]:
    """Run an operation on the project at ``root``: a :class:`KernelenvError` it raises is
    recorded (and re-raised); success clears the record. Cancels and busy refusals pass
    through unrecorded.
    """
    try:
        yield
    except (CancelledError, ProjectBusyError):
        raise
    except KernelenvError as e:
        try:
            write_failure(root, action, e)
        except OSError:
            pass  # a read-only project: the error itself still reaches the user
        raise
    clear_failure(root)
