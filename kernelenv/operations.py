"""create / lock / rebuild / remove: the same safe sequence for every backend.

A build goes into a new folder ``.kernelenv/envs/<build-id>``; only when it is complete
and its interpreter imports ipykernel does the live link switch to it (one
``os.replace``), the state file get written and the kernel get registered. Any
failure, cancel or kill before that leaves the previous env, its link and its kernel
untouched; the half-built folder is deleted then or at the next operation.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from .backends import get_builder
from .errors import BuildError, EnvFileError
from .kernels import KernelLocation, kernel_name, register, unregister
from .layout import envs_dir, link_target, live_link, python_in, switch_link
from .locking import project_lock
from .model import FileRole, Project, StatusReport
from .progress import Reporter
from .state import project_status, read_state, record_build, record_lock, write_state
from .uvtool import clean_env


def _check_parse_errors(project: Project) -> None:
    used = {f.path for f in project.files_of(FileRole.SPEC, FileRole.LOCK, FileRole.PYTHON)}
    for err in project.errors:
        if err.path in used or not used:
            raise err


def _new_build_dir(root: Path) -> Path:
    d = envs_dir(root)
    d.mkdir(parents=True, exist_ok=True)
    return d / f"b-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(3)}"


def _collect_garbage(project: Project) -> None:
    """Delete env folders no live link points at (left by killed builds)."""
    d = envs_dir(project.root)
    if not d.is_dir():
        return
    keep = {link_target(live_link(project.root, k)) for k in ("venv", "conda")}
    for child in d.iterdir():
        if child not in keep:
            shutil.rmtree(child, ignore_errors=True)


def _verify(python: Path, reporter: Reporter) -> str:
    """Run the new env's Python once: it must import ipykernel. Returns its version."""
    reporter.step("verify", 0.9, "Checking the new env starts and has ipykernel")
    try:
        out = subprocess.run(
            [str(python), "-c", "import sys, ipykernel; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=clean_env(),
        )
    except (OSError, subprocess.SubprocessError) as e:
        raise BuildError("verify", f"The new env's Python did not run: {e}") from e
    if out.returncode != 0:
        raise BuildError("verify", "The new env cannot import ipykernel; it was not switched in.",
                         out.stderr[-2000:])
    return out.stdout.strip()


def _build(project: Project, *, from_lock: bool, python: str | None, reporter: Reporter,
           kernel_location: KernelLocation | None, strip_builds: bool) -> StatusReport:
    builder = get_builder(project.backend)
    reporter.step("prepare", 0.0, f"Preparing a {project.backend.value} env for {project.name}")
    interpreter = builder.select_python(project, python)
    _collect_garbage(project)
    build_dir = _new_build_dir(project.root)
    try:
        builder.build(project, build_dir, interpreter=interpreter, from_lock=from_lock,
                      reporter=reporter, strip_builds=strip_builds)
        reporter.check_cancelled()
        version = _verify(python_in(build_dir, builder.env_kind), reporter)
        packages = len(builder.installed(build_dir))
        reporter.check_cancelled()
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    reporter.step("switch", 0.95, "Switching the project to the new env")
    link = live_link(project.root, builder.env_kind)
    previous = link_target(link)
    switch_link(link, build_dir)
    name = kernel_name(project)
    loc = kernel_location or KernelLocation.from_dict((read_state(project.root) or {}).get("kernel_location"))
    record_build(project, from_lock=from_lock, build_dir=build_dir, python_version=version,
                 packages=packages, kernel_name=name, kernel_location=loc.to_dict())
    reporter.step("register", 0.97, f"Registering kernel {name}")
    register(project, python_in(link, builder.env_kind), version, env_path=link, location=loc)
    if previous and previous != build_dir:
        shutil.rmtree(previous, ignore_errors=True)
    reporter.step("done", 1.0, f"{project.name}: env ready, kernel {name}")
    return project_status(project, check_lock=False)


def create(project: Project, *, python: str | None = None, reporter: Reporter | None = None,
           kernel_location: KernelLocation | None = None, strip_builds: bool = False,
           wait: float = 0.0) -> StatusReport:
    """See :func:`kernelenv.api.create`."""
    reporter = reporter or Reporter()
    _check_parse_errors(project)
    with project_lock(project.root, "create", wait=wait):
        from_lock = project.lock is not None and project.lock.exists()
        return _build(project, from_lock=from_lock, python=python, reporter=reporter,
                      kernel_location=kernel_location, strip_builds=strip_builds)


def lock(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0) -> Path:
    """See :func:`kernelenv.api.lock`."""
    reporter = reporter or Reporter()
    _check_parse_errors(project)
    with project_lock(project.root, "lock", wait=wait):
        return _lock_unlocked(project, reporter)


def _lock_unlocked(project: Project, reporter: Reporter) -> Path:
    builder = get_builder(project.backend)
    reporter.step("lock", 0.0, f"Locking {project.name}")
    path = builder.lock(project, reporter)
    record_lock(project, path)
    reporter.step("done", 1.0, f"Wrote {path.name}")
    return path


def rebuild(project: Project, *, reporter: Reporter | None = None,
            kernel_location: KernelLocation | None = None, python: str | None = None,
            wait: float = 0.0) -> StatusReport:
    """See :func:`kernelenv.api.rebuild`."""
    reporter = reporter or Reporter()
    _check_parse_errors(project)
    with project_lock(project.root, "rebuild", wait=wait):
        if project.lock is None or not project.lock.exists():
            path = _lock_unlocked(project, reporter)
            project = _with_lock(project, path)
        return _build(project, from_lock=True, python=python, reporter=reporter,
                      kernel_location=kernel_location, strip_builds=False)


def _with_lock(project: Project, path: Path) -> Project:
    from dataclasses import replace

    from .detect import lock_kind
    from .model import EnvFile

    files = [f for f in project.files if f.path != path]
    files.append(EnvFile(path, lock_kind(path), FileRole.LOCK))
    return replace(project, lock=path, files=files)


def remove(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0) -> None:
    """See :func:`kernelenv.api.remove`."""
    reporter = reporter or Reporter()
    with project_lock(project.root, "remove", wait=wait):
        state = read_state(project.root) or {}
        reporter.step("remove", 0.1, f"Removing the env of {project.name}")
        for kind in ("venv", "conda"):
            link = live_link(project.root, kind)
            target = link_target(link)
            if target is not None and str(target).startswith(str(envs_dir(project.root))):
                os.unlink(link)
        shutil.rmtree(envs_dir(project.root), ignore_errors=True)
        name = state.get("kernel_name") or kernel_name(project)
        loc = state.get("kernel_location")
        unregister(name, KernelLocation.from_dict(loc) if loc else None)
        keep = {k: v for k, v in state.items() if k in ("lock_record",) and v}
        if keep:
            write_state(project.root, keep)
        else:
            try:
                (project.root / ".kernelenv" / "state.json").unlink()
            except OSError:
                pass
        reporter.step("done", 1.0, f"Removed the env and kernel of {project.name}")


__all__ = ["create", "lock", "rebuild", "remove", "EnvFileError"]
