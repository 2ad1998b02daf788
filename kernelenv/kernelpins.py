"""The packages kernelenv adds to an env a project's files do not ask for: ipykernel (so the
env runs as a kernel) and pip (so IPython's ``%pip``, which runs ``python -m pip`` with the
kernel's interpreter, and ``!pip`` install into the env).

Both backends add them the same way, with ``uv pip install --python <env python>``, after the
project's own packages: the uv backend into its venvs, the rattler backend into conda prefixes
that hold python but no pip (conda itself adds pip with python, its
``add_pip_as_python_dependency`` default). Built from a lock, the versions resolved the first
time are recorded in the state file (``kernel_pins``: the lock's digest and ``name==version``
pins) and every later build from the same lock installs exactly them, so they do not float
between rebuilds of one lock. Being installed by the build, they are part of the drift
baseline (:func:`kernelenv.drift.snapshot`), never reported as hand installs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .model import Project
from .progress import Reporter
from .uvtool import run_uv, run_uv_cache_first

#: ``name==version`` and nothing else (kernel pins read back from the state file are never options)
_EXACT_PIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}==[A-Za-z0-9][A-Za-z0-9.+!_-]{0,100}\Z")


def pinned_extras(project: Project, extra: list[str], from_lock: bool) -> tuple[list[str], str | None]:
    """The requirements that add ``extra`` to an env being built, and the lock digest to
    record their versions against.

    Args:
        project: the project (its lock and state file; ``project.environment`` selects a pixi
            environment's state).
        extra: distribution names to add (``["ipykernel"]``, ``["pip"]`` or both).
        from_lock: the env is built from ``project.lock``.

    Returns:
        ``(requirements, digest)``: the ``name==version`` pins recorded for this lock when
        there are (``digest`` is then ``None``: nothing new to record), else ``extra`` itself
        and, built from a lock, the lock's sha256 digest for :func:`record_pins`.
    """
    from .hashing import file_digest
    from .state import read_state

    digest = file_digest(project.lock) if from_lock and project.lock is not None else None
    recorded = (read_state(project.root, project.environment) or {}).get("kernel_pins") or {}
    pins = recorded.get("pins") if digest and recorded.get("lock") == digest else None
    if isinstance(pins, list) and pins and all(isinstance(p, str) and _EXACT_PIN.match(p) for p in pins):
        return list(pins), None
    return list(extra), digest


def record_pins(project: Project, digest: str, before: dict[str, str], after: dict[str, str]) -> None:
    """Record, against lock digest ``digest``, the ``name==version`` of every distribution
    the extras' install added or changed (``before``/``after``: ``{normalized name: version}``
    of the env around that install), so later builds from the same lock install exactly them."""
    from .state import update_state

    new = sorted(f"{n}=={v}" for n, v in after.items() if before.get(n) != v)
    update_state(project.root, environment=project.environment, kernel_pins={"lock": digest, "pins": new})


def install_kernel_extras(project: Project, prefix: Path, python: Path, extra: list[str],
                          installed: dict[str, str], read_installed: Callable[[Path], dict[str, str]],
                          from_lock: bool, reporter: Reporter) -> None:
    """Install ``extra`` (``["ipykernel"]``, ``["pip"]`` or both) into the env at ``prefix``.

    Args:
        project: the project (its lock and state file; ``project.environment`` selects a pixi
            environment's state).
        prefix: the env folder (venv or conda prefix) being built.
        python: its interpreter, uv's ``--python`` target.
        extra: distribution names to add.
        installed: ``{normalized name: version}`` in the env before this step.
        read_installed: reads that mapping again after the install (the backend's ``installed``).
        from_lock: the env is built from ``project.lock``: reuse / record the pins against
            the lock's sha256 digest (:func:`pinned_extras`).
        reporter: progress (step ``install``).

    Raises:
        BuildError: uv failed (step ``install``), with uv's last line.
    """
    what = " and ".join(extra)
    requirements, digest = pinned_extras(project, extra, from_lock)
    args = ["pip", "install", "--python", str(python), *requirements]
    if requirements != extra:
        reporter.step("install", 0.8, f"Adding {what} at the versions pinned for this lock")
        # exact pins: uv's cache answers them without asking the index again
        run_uv_cache_first(args, reporter, step="install", what=" ".join(requirements),
                           error=f"installing {what} failed")
        return
    reporter.step("install", 0.8, f"Adding {what}"
                  + (" (the project does not declare ipykernel)" if "ipykernel" in extra else ""))
    if extra == ["pip"]:  # any recent pip serves %pip: the one in uv's cache, if it holds one
        run_uv_cache_first(args, reporter, step="install", what="pip", error=f"installing {what} failed")
    else:
        run_uv(args, reporter, step="install", error=f"installing {what} failed")
    if digest:
        record_pins(project, digest, installed, read_installed(prefix))


__all__ = ["install_kernel_extras", "pinned_extras", "record_pins"]
