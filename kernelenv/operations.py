"""create / lock / rebuild / remove: the same safe sequence for every backend.

A build goes into a new folder ``.kernelenv/envs/<build-id>``; only when it is complete
and its interpreter imports ipykernel (or, where ipykernel and all it imports are the very
files of an earlier env whose check imported them, starts and finds ipykernel) does the live
link switch to it (one
``os.replace``), the state file get written and the kernel get registered. Any
failure, cancel or kill before that leaves the previous env, its link and its kernel
untouched; the half-built folder is deleted then or at the next operation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .backends import Builder, get_builder
from .errors import BuildError, EnvFileError, KernelenvError
from .failures import recording_failure
from .kernels import KernelLocation, kernel_name, register, unregister
from .layout import ensure_state_dir, envs_dir, link_target, live_link, python_in, state_file, switch_link
from .locking import project_lock
from .model import FileRole, Project, Status, StatusReport
from .progress import Reporter
from .state import lock_outdated, project_status, read_state, record_build, record_lock, update_state, write_state
from .uvtool import clean_env

if TYPE_CHECKING:
    from .bytecode import Takeover
    from .interpreters import Interpreter


def _check_parse_errors(project: Project) -> None:
    used = {f.path for f in project.files_of(FileRole.SPEC, FileRole.LOCK, FileRole.PYTHON)}
    for err in project.errors:
        if err.path in used or not used:
            raise err


def _new_build_dir(root: Path, environment: str | None = None) -> Path:
    d = envs_dir(root, environment)
    d.mkdir(parents=True, exist_ok=True)
    return d / f"b-{time.strftime('%Y%m%d%H%M%S')}-{os.urandom(3).hex()}"


def _collect_garbage(project: Project) -> threading.Thread | None:
    """Start deleting the env folders that are neither live nor a recorded build (left by
    killed builds, or moved aside by the last build's :func:`~kernelenv.history.prune`) in a
    thread, so it runs while the new env installs; returns the thread to join (``None``:
    nothing to delete). Lists them now, before the new build's folder exists."""
    from .history import history_dir, is_build_id, live_build

    env = project.environment
    d = envs_dir(project.root, env)
    if not d.is_dir():
        return None
    keep = {live_build(project.root, env)}
    garbage = []
    for child in d.iterdir():
        recorded = is_build_id(child.name) and (history_dir(project.root, env) / f"{child.name}.json").is_file()
        if child.name not in keep and not recorded:
            garbage.append(child)
    if not garbage:
        return None

    def delete() -> None:
        for child in garbage:
            shutil.rmtree(child, ignore_errors=True)

    thread = threading.Thread(target=delete, name="kernelenv-delete-old-builds", daemon=False)
    thread.start()
    return thread


#: What a kernel start imports beyond ``ipykernel`` (ipykernel_launcher's app, the shell, the
#: debugger with debugpy, the completer): :func:`_verify` imports them once, best effort, so
#: their bytecode is written at build time.
KERNEL_START_MODULES = ("ipykernel_launcher", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell",
                        "ipykernel.debugger", "IPython.core.completerlib", "tornado.queues")

#: Prints the folders holding the bytecode of every module loaded (kernelenv.bytecode keeps the list).
_LIST_PYCACHE = """import os
for d in sorted({os.path.dirname(c) for c in (getattr(m, '__cached__', None) for m in list(sys.modules.values()))
                 if isinstance(c, str) and os.path.isfile(c)}):
    print('pycache', d)
"""

_CHECK_CODE = "import sys, ipykernel\nprint('%d.%d.%d' % sys.version_info[:3])\n" + _LIST_PYCACHE

_WARM_CODE = f"""import sys, ipykernel
for name in {KERNEL_START_MODULES!r}:
    try:
        __import__(name)
    except Exception:
        pass
print('%d.%d.%d' % sys.version_info[:3])
""" + _LIST_PYCACHE

#: The check of an env whose kernel files are those of an env that imported them
#: (:attr:`kernelenv.bytecode.Takeover.identical`): the interpreter starts (site, .pth files)
#: and finds ipykernel; prints where, then the version.
_PROVEN_CODE = """import sys, importlib.util
spec = importlib.util.find_spec('ipykernel')
print('origin', spec.origin if spec is not None else '')
print('%d.%d.%d' % sys.version_info[:3])
"""


def _verify(python: Path, reporter: Reporter, prefix: Path | None = None, warm: bool = True,
            proven: bool = False) -> str:
    """Run the new env's Python once: it must import ipykernel. Returns its version.

    With ``prefix`` (the env folder being built), when the check imported what a kernel start
    imports, the ``__pycache__`` folders of the modules it loaded are kept in it
    (:func:`kernelenv.bytecode.record_pycache`), for the next build to take over. ``warm=False``: the env already has the bytecode of everything a
    kernel start loads (taken over from an earlier env), so only ipykernel is imported.

    Where ``PYTHONDONTWRITEBYTECODE`` is set (as in many images; kernels started from here
    inherit it and never write bytecode, so every start would compile ~650 modules again),
    the same process also imports what a kernel start imports (:data:`KERNEL_START_MODULES`,
    best effort: an older ipykernel without a debugger is no error) with bytecode writing
    on: the env's first kernel start then runs from bytecode like a warm one. That compiles
    only the modules a kernel loads, not all of site-packages as ``uv pip install
    --compile-bytecode`` does (ten times the cost for a scientific stack). Where bytecode
    writing is on, the first kernel start writes it and the check stays minimal. Issue 15;
    bench/bench_all.py measures both.

    ``proven`` (with ``prefix``): the env runs the same interpreter file as an earlier env
    kernelenv built and checked, and every module that env's kernel start loaded from its
    folder is the very same file (one inode: hard links from one cache entry) at the same
    place here (:attr:`kernelenv.bytecode.Takeover.identical`). Importing those files again
    would prove nothing new, so the check runs the interpreter (its ``site`` start, any
    ``.pth`` file) and requires ipykernel to be found inside ``prefix``; anything else falls
    back to the import.

    Raises:
        BuildError: the interpreter does not run or cannot import ipykernel.
    """
    reporter.step("verify", 0.9, "Checking the new env starts and has ipykernel")
    env = clean_env()
    code = _CHECK_CODE
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        env.pop("PYTHONPYCACHEPREFIX", None)  # the .pyc files go beside the env's sources, where kernels look
        code = _WARM_CODE if warm else _CHECK_CODE
    if proven and prefix is not None:
        lines = _run_check(python, _PROVEN_CODE, env)
        origin = next((ln[len("origin "):] for ln in lines if ln.startswith("origin ")), "")
        if origin and os.path.realpath(origin).startswith(os.path.realpath(prefix) + os.sep):
            return lines[-1]
        reporter.log(f"ipykernel is not where the earlier env had it ({origin or 'not found'}): importing it")
    lines = _run_check(python, code, env)
    if prefix is not None and code is _WARM_CODE:  # a list of what a whole kernel start loads
        from .bytecode import record_pycache

        record_pycache(prefix, [ln[len("pycache "):] for ln in lines if ln.startswith("pycache ")])
    versions = [ln for ln in lines if not ln.startswith("pycache ")]
    return versions[-1] if versions else ""


def _run_check(python: Path, code: str, env: dict[str, str]) -> list[str]:
    """Run ``code`` with the new env's interpreter; its output lines.

    Raises:
        BuildError: it did not run or exited non-zero (step ``verify``, with its stderr).
    """
    try:
        out = subprocess.run(
            [str(python), "-c", code],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, env=env,
        )
    except (OSError, subprocess.SubprocessError) as e:
        raise BuildError("verify", f"The new env's Python did not run: {e}") from e
    if out.returncode != 0:
        raise BuildError("verify", "The new env cannot import ipykernel; it was not switched in.",
                         out.stderr[-2000:])
    return out.stdout.strip().splitlines()


def _remember_lock_checked(project: Project) -> None:
    """After a build from a lock kernelenv did not write (``uv lock``, ``pixi``, Poetry ...):
    when the format-aware check finds it current with the spec, record the pair's hashes as
    :func:`~kernelenv.state.record_lock` does for kernelenv's own locks, so ``status`` compares
    hashes instead of parsing the lock on every call (issue 15)."""
    from .hashing import digests

    lock = project.lock
    if lock is None or not lock.is_file():
        return
    rec = (read_state(project.root, project.environment) or {}).get("lock_record")
    key = lock.relative_to(project.root).as_posix()
    if isinstance(rec, dict) and isinstance(rec.get("lock"), dict) and \
            rec["lock"].get(key) == digests([lock], project.root)[key]:
        return  # written (or already checked) by kernelenv: the record is current
    if lock_outdated(project) is None:
        record_lock(project, lock, checked=True)


def _verify_kernels(prefix: Path, reporter: Reporter) -> None:
    """For an env without Python (nothing asked for it): it must ship a kernelspec to be of use.

    Raises:
        BuildError: the env has neither Python nor any kernelspec in share/jupyter/kernels.
    """
    from .envkernels import shipped_kernels

    reporter.step("verify", 0.9, "Checking the new env ships a kernel")
    found = shipped_kernels(prefix)
    if not found:
        raise BuildError("verify", "The new env has no Python and no kernelspec in share/jupyter/kernels, so "
                         "it cannot run as a kernel; add python (or a kernel package such as r-irkernel) to "
                         "the dependencies. It was not switched in.")
    reporter.log(f"The env has no Python; its kernels: {', '.join(k.name for k in found)}")
    return None


def _build(project: Project, *, from_lock: bool, python: str | None, reporter: Reporter,
           kernel_location: KernelLocation | None, strip_builds: bool, reason: str,
           builder: Builder | None = None) -> StatusReport:
    builder = builder or get_builder(project.backend)
    reporter.step("prepare", 0.0, f"Preparing a {project.backend.value} env for {project.name}")
    interpreter = builder.select_python(project, python)
    env = project.environment
    loc = kernel_location or KernelLocation.from_dict((read_state(project.root, env) or {}).get("kernel_location"))
    name = kernel_name(project, loc)  # refuses before building when a foreign kernelspec is in the way
    ensure_state_dir(project.root, env)  # refuses a planted link in the environment's own folder
    deleting = _collect_garbage(project)
    build_dir = _new_build_dir(project.root, env)
    try:
        return _build_into(project, builder, build_dir, interpreter, from_lock=from_lock, reporter=reporter,
                           strip_builds=strip_builds, name=name, loc=loc, reason=reason)
    finally:
        if deleting is not None:  # deleted meanwhile: the old folders were listed before this build's
            deleting.join()


def _build_into(project: Project, builder: Builder, build_dir: Path, interpreter: Interpreter | None, *,
                from_lock: bool,
                reporter: Reporter, strip_builds: bool, name: str, loc: KernelLocation, reason: str) -> StatusReport:
    """:func:`_build` from the install into ``build_dir`` on: check, switch, record, register."""
    env = project.environment
    try:
        finish = builder.build(project, build_dir, interpreter=interpreter, from_lock=from_lock,
                               reporter=reporter, strip_builds=strip_builds)
        try:
            reporter.check_cancelled()
            took = _take_over_bytecode(project, build_dir, builder.env_kind, reporter)
            no_python = builder.env_kind == "conda" and not python_in(build_dir, "conda").exists()
            version = _verify_kernels(build_dir, reporter) if no_python else \
                _verify(python_in(build_dir, builder.env_kind), reporter, prefix=build_dir,
                        warm=not took.complete, proven=took.identical)
        finally:
            if finish is not None:  # the build's last step (pip), run while the kernel was checked
                finish()
        installed = builder.installed(build_dir)
        reporter.check_cancelled()
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    reporter.step("switch", 0.95, "Switching the project to the new env")
    link = live_link(project.root, builder.env_kind, env)
    switch_link(link, build_dir)
    record_build(project, from_lock=from_lock, build_dir=build_dir, python_version=version,
                 packages=len(installed), kernel_name=name, kernel_location=loc.to_dict())
    if from_lock:
        _remember_lock_checked(project)
    if no_python:
        update_state(project.root, environment=env, no_python=True)
    _record_history(project, build_dir, builder.env_kind, from_lock, version, installed, reason)
    from .inventory import remember

    remember(project.root)
    reporter.step("register", 0.97, f"Registering kernel {name}")
    if not no_python:
        register(project, python_in(link, builder.env_kind), version, env_path=link, location=loc)
    from .envkernels import register_shipped

    extra = register_shipped(project, link, builder.env_kind, name, loc.kernels_dir())
    if extra:
        reporter.log(f"Registered the other kernels the env ships: {', '.join(extra)}")
    from .history import history_limit, prune

    prune(project.root, history_limit(project.root), env, defer=True)
    reporter.step("done", 1.0, f"{project.name}: env ready, kernel {name}")
    return project_status(project, check_lock=False)


def _take_over_bytecode(project: Project, build_dir: Path, env_kind: str, reporter: Reporter) -> Takeover:
    """Link in the bytecode of the env being replaced and of other projects' envs
    (:mod:`kernelenv.bytecode`), so the check below compiles only what is new. Returns what
    was taken over: whether every module a kernel start loads got its bytecode that way, and
    whether they are all the very files an earlier env's check already imported."""
    from .bytecode import reuse_bytecode
    from .inventory import live_env_folders

    current = link_target(live_link(project.root, env_kind, project.environment))
    donors = ([current] if current is not None else []) + live_env_folders()
    took = reuse_bytecode(build_dir, donors, python_in(build_dir, env_kind).relative_to(build_dir).as_posix())
    if took.linked or took.identical:
        reporter.log(f"Reused the compiled bytecode of {took.linked} modules from earlier envs"
                     + (" (all a kernel start loads)" if took.complete else "")
                     + ("; ipykernel and all it imports are the same files as in an env that ran it"
                        if took.identical else ""))
    return took


def _record_history(project: Project, build_dir: Path, env_kind: str, from_lock: bool,
                    version: str, installed: dict[str, str], reason: str) -> None:
    from .history import save_record

    state = read_state(project.root, project.environment) or {}
    save_record(project.root, build_dir, reason=reason, backend=project.backend.value, env_kind=env_kind,
                from_lock=from_lock, lock=project.lock if from_lock else None, python_version=version,
                packages=installed, inputs=state.get("inputs", {}), lock_record=state.get("lock_record"),
                environment=project.environment, snapshot=state.get("installed"))


def _recovered(project: Project) -> Project:
    """Undo a spec/lock edit a killed ``add``/``remove``/``record`` left half done (see
    :func:`kernelenv.packages.recover`); the project re-read when files were put back."""
    from .packages import _redetect, recover

    return _redetect(project) if recover(project.root) else project


def create(project: Project, *, python: str | None = None, reporter: Reporter | None = None,
           kernel_location: KernelLocation | None = None, strip_builds: bool = False,
           wait: float = 0.0, reason: str = "create", force: bool = False) -> StatusReport:
    """See :func:`kernelenv.api.create`."""
    reporter = reporter or Reporter()
    with recording_failure(project.root, "create"), project_lock(project.root, "create", wait=wait):
        project = _recovered(project)
        _check_parse_errors(project)
        repaired = _repair_if_moved(project, kernel_location, reporter)
        if repaired is not None:
            return repaired
        if not force and python is None and kernel_location is None:
            current = project_status(project, check_lock=False)
            if current.status is Status.READY:
                reporter.step("done", 1.0, f"{project.name}: env ready and unchanged, nothing to do "
                                           "(--force rebuilds)")
                return current
            if current.status is Status.DRIFTED:  # never drop hand installs silently
                reporter.step("done", 1.0, f"{project.name}: {current.reason} (create --force rebuilds)")
                return current
        from_lock = project.lock is not None and project.lock.exists()
        if from_lock and lock_outdated(project) is not None:
            # The spec changed since the lock was written: re-lock first, as `uv sync` does,
            # rather than install the old lock.
            project = _with_lock(project, _lock_unlocked(project, reporter, strip_builds=strip_builds or None))
        strip = remembered_strip_builds(project, strip_builds or None)
        report = _build(project, from_lock=from_lock, python=python, reporter=reporter,
                        kernel_location=kernel_location, strip_builds=strip, reason=reason)
        _remember_strip_builds(project, strip)
        return report


def _repair_if_moved(project: Project, kernel_location: KernelLocation | None,
                     reporter: Reporter) -> StatusReport | None:
    """Repair a moved project in place (venvs), or prepare its rebuild (conda); see
    :mod:`kernelenv.relocate`. Returns the status when nothing more is needed."""
    from .layout import own_environment
    from .relocate import find_move, repair_move

    if own_environment(project.environment):  # a move is repaired through the default env
        return None
    move = find_move(project.root)
    if move is None:
        return None
    reporter.step("relocate", 0.1, f"{project.name} was moved from {move.old_root}: re-pointing it here")
    info = repair_move(project, move)
    if not info["relocated"]:
        reporter.log(f"moved from {move.old_root}: a conda prefix cannot move, rebuilding it from the cache")
        return None
    state = read_state(project.root) or {}
    kind = state.get("env_kind", "venv")
    link = live_link(project.root, kind)
    version = _verify(python_in(link, kind), reporter)
    loc = kernel_location or KernelLocation.from_dict(state.get("kernel_location"))
    name = kernel_name(project, loc)
    register(project, python_in(link, kind), version, env_path=link, location=loc)
    reporter.step("done", 1.0, f"{project.name}: moved from {move.old_root}; {info['files']} file(s) re-pointed, "
                               f"kernel {name} registered again (no download)")
    return project_status(project, check_lock=False)


def create_with_builder(project: Project, builder: Builder, *, python: str | None = None,
                        reporter: Reporter | None = None, kernel_location: KernelLocation | None = None,
                        reason: str = "create", wait: float = 0.0) -> StatusReport:
    """``create`` with a given builder (``create --from ARCHIVE`` passes an offline one).

    Same safe sequence and errors as :func:`create`; always installs from the lock.
    """
    reporter = reporter or Reporter()
    _check_parse_errors(project)
    with project_lock(project.root, "create", wait=wait):
        return _build(project, from_lock=True, python=python, reporter=reporter,
                      kernel_location=kernel_location, strip_builds=False, reason=reason, builder=builder)


def lock(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0,
         strip_builds: bool | None = None, platforms: list[str] | None = None) -> Path:
    """See :func:`kernelenv.api.lock`."""
    reporter = reporter or Reporter()
    with recording_failure(project.root, "lock"), project_lock(project.root, "lock", wait=wait):
        project = _recovered(project)
        _check_parse_errors(project)
        return _lock_unlocked(project, reporter, strip_builds=strip_builds, platforms=platforms)


def remembered_strip_builds(project: Project, strip_builds: bool | None) -> bool:
    """``strip_builds`` when given, else what the project's last ``--strip-builds`` run left in
    its state file (so `lock` and `rebuild` after `create --strip-builds` need not repeat it)."""
    if strip_builds is not None:
        return strip_builds
    return (read_state(project.root, project.environment) or {}).get("strip_builds") is True


def _remember_strip_builds(project: Project, strip_builds: bool) -> None:
    if strip_builds and (read_state(project.root, project.environment) or {}).get("strip_builds") is not True:
        update_state(project.root, environment=project.environment, strip_builds=True)


def _lock_unlocked(project: Project, reporter: Reporter, *, strip_builds: bool | None = None,
                   platforms: list[str] | None = None) -> Path:
    builder = get_builder(project.backend)
    reporter.step("lock", 0.0, f"Locking {project.name}")
    strip = remembered_strip_builds(project, strip_builds)
    path = builder.lock(project, reporter, strip_builds=strip, platforms=platforms)
    record_lock(project, path)
    _remember_strip_builds(project, strip)
    reporter.step("done", 1.0, f"Wrote {path.name}")
    return path


def rebuild(project: Project, *, reporter: Reporter | None = None,
            kernel_location: KernelLocation | None = None, python: str | None = None,
            wait: float = 0.0, reason: str = "rebuild", strip_builds: bool | None = None) -> StatusReport:
    """See :func:`kernelenv.api.rebuild`."""
    reporter = reporter or Reporter()
    with recording_failure(project.root, "rebuild"), project_lock(project.root, "rebuild", wait=wait):
        project = _recovered(project)
        _check_parse_errors(project)
        if project.lock is None or not project.lock.exists():
            from .lockers import compiled_requirements

            # A pip-compile requirements.txt pinning everything is installed as it is: the
            # spec file is not rewritten by a rebuild (nor left rewritten by a killed one).
            compiled = compiled_requirements(project) if project.backend.env_kind == "venv" else None
            path = compiled or _lock_unlocked(project, reporter, strip_builds=strip_builds)
            project = _with_lock(project, path)
        return _build(project, from_lock=True, python=python, reporter=reporter,
                      kernel_location=kernel_location, strip_builds=False, reason=reason)


def _with_lock(project: Project, path: Path) -> Project:
    """``project`` with the lock just written at ``path``: detected again when detection
    takes it as the lock (a pip-compile requirements.txt is one, with its own kind), else
    the lock added to the project's files."""
    from dataclasses import replace

    from .detect import find_project, lock_kind
    from .model import EnvFile

    try:
        fresh = find_project(project.root, backend=project.backend)
    except Exception:  # detection errors are the build's to report
        fresh = None
    if fresh is not None and fresh.root == project.root and fresh.lock == path:
        return replace(fresh, environment=project.environment)
    old = next((f for f in project.files if f.path == path), None)
    try:
        kind = lock_kind(path)
    except ValueError:  # a pip-compile requirements.txt rebuild installs as it is (see rebuild)
        kind = old.kind if old is not None else "requirements"
    files = [f for f in project.files if f.path != path]
    files.append(EnvFile(path, kind, FileRole.LOCK))
    return replace(project, lock=path, files=files)


def purge(project: Project, *, reporter: Reporter | None = None, wait: float = 0.0) -> None:
    """See :func:`kernelenv.api.purge`."""
    reporter = reporter or Reporter()
    env = project.environment
    with project_lock(project.root, "purge", wait=wait):
        state = read_state(project.root, env) or {}
        reporter.step("purge", 0.1, f"Deleting the env of {project.name}")
        for kind in ("venv", "conda"):
            link = live_link(project.root, kind, env)
            target = link_target(link)
            if target is not None and target.parent == envs_dir(project.root, env):
                os.unlink(link)
        shutil.rmtree(envs_dir(project.root, env), ignore_errors=True)
        from .history import history_dir

        shutil.rmtree(history_dir(project.root, env), ignore_errors=True)
        loc = state.get("kernel_location")
        location = KernelLocation.from_dict(loc) if isinstance(loc, dict) else None
        try:
            name = kernel_name(project, location)
        except KernelenvError:  # every candidate name is someone else's: nothing of ours to remove
            name = ""
        unregister(name, location, project=project.root)
        if name:
            from .envkernels import unregister_shipped

            unregister_shipped(project.root, name, (location or KernelLocation()).kernels_dir(),
                               [str(live_link(project.root, kind, env)) for kind in ("venv", "conda")])
        keep = {k: v for k, v in state.items() if k in ("lock_record",) and v}
        if keep:
            write_state(project.root, keep, environment=env)
        else:
            try:
                state_file(project.root, env).unlink()
            except OSError:
                pass
        reporter.step("done", 1.0, f"Removed the env and kernel of {project.name}")


__all__ = ["create", "lock", "rebuild", "purge", "EnvFileError"]
