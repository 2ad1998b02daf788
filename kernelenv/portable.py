"""The portable "Python (project env)" kernel: which env a notebook runs in, and its launcher.

One kernelspec (``kernelenv-project``) serves every project. Its project is resolved from,
in order:

1. the notebook's path, which Jupyter Server passes in ``JPY_SESSION_NAME``;
2. the kernel's working folder: the folder nbclient, nbconvert and VS Code start the kernel
   in (the notebook's folder), or papermill's ``--cwd``;
3. ``KERNELENV_PROJECT``, a project folder (or a file in it) named in the environment.

The first of these that lies in a project (:func:`kernelenv.api.find_project`) wins. The
kernel then runs that project's own kernelspec (:func:`kernelenv.kernels.kernel_spec`:
the env's interpreter, its PATH and activation). With no project, or a project without a
usable env, it runs :mod:`kernelenv.error_kernel`, whose every execution explains the fix;
never some other Python.

Two ways in, one rule (:func:`plan_launch`):

* Jupyter clients that honour kernel provisioners (Jupyter Server, nbclient, nbconvert,
  papermill) use ``kernelenv_jupyter.provisioner``, which swaps the command before launch;
* clients that launch ``kernel.json``'s argv themselves (VS Code) run this module:
  ``python -m kernelenv.portable -f {connection_file}`` resolves the project and
  ``exec``\\ s the env's kernel in its own process, so signals (interrupt) reach it.

Imports neither Jupyter Server nor jupyter_client.
"""

from __future__ import annotations

import os
import string
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ENV_PROJECT = "KERNELENV_PROJECT"
#: set by Jupyter Server for every kernel it starts: the notebook's API path
ENV_SESSION = "JPY_SESSION_NAME"
MESSAGE_ENV = "KERNELENV_ERROR_MESSAGE"
CONNECTION_TEMPLATE = "{connection_file}"


@dataclass
class LaunchPlan:
    """What the portable kernel starts.

    Args:
        argv: the command, ``{connection_file}`` still a placeholder (kernel.json's convention).
        env: variables to set, values templated with ``${VAR}`` as kernel.json ``env`` values.
        error: when set, the error kernel runs with this message (``argv`` is the error kernel's).
        project: the project root, when one was found.
        python: the env's interpreter, when the project's env runs.
    """

    argv: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    project: str | None = None
    python: Path | None = None


def notebook_path(session_name: str | None, cwd: str | os.PathLike | None) -> Path | None:
    """The notebook's absolute path from ``JPY_SESSION_NAME`` and the kernel's working folder.

    Jupyter Server sets ``JPY_SESSION_NAME`` to the notebook's API path (relative to its
    root_dir) or to an absolute path; it starts the kernel in the notebook's folder, so a
    relative name is taken as that folder's file. ``None`` when there is no session name.
    """
    if not session_name:
        return None
    p = Path(session_name)
    if p.is_absolute():
        return p
    base = Path(cwd) if cwd else Path.cwd()
    return base.absolute() / p.name


def candidates(notebook: Path | None, folder: Path | str | None,
               project_hint: str | None) -> list[tuple[str, Path]]:
    """``[(what, folder)]`` to look for the project in, in the portable kernel's order.

    Args:
        notebook: the notebook's absolute path (from :func:`notebook_path`) or ``None``.
        folder: the kernel's working folder; relative (nbconvert's ``""`` for a bare file
            name) or ``None`` means the current folder.
        project_hint: the value of ``KERNELENV_PROJECT`` (a folder or a file in one) or ``None``.
    """
    out: list[tuple[str, Path]] = []
    if notebook is not None:
        out.append((f"notebook {notebook}", notebook.parent))
    work = Path(folder) if folder else Path.cwd()
    if not work.is_absolute():
        work = Path.cwd() / work
    out.append((f"working folder {work}", work))
    if project_hint:
        hint = Path(project_hint).expanduser()
        if not hint.is_absolute():
            hint = Path.cwd() / hint
        out.append((f"{ENV_PROJECT}={project_hint}", hint if hint.is_dir() else hint.parent))
    return out


def error_plan(message: str, project: str | None = None) -> LaunchPlan:
    """The plan that starts :mod:`kernelenv.error_kernel` with ``message``."""
    return LaunchPlan(argv=[sys.executable, "-m", "kernelenv.error_kernel", "-f", CONNECTION_TEMPLATE],
                      env={MESSAGE_ENV: message}, error=message, project=project)


def _runnable(report: Any) -> bool:
    from .model import Status

    ok = {Status.READY, Status.STALE, Status.LOCK_OUTDATED, Status.BUILDING}
    return report.status in ok and bool(report.python) and Path(report.python).exists()


def _env_plan(project: Any, report: Any) -> LaunchPlan:
    from .kernels import kernel_spec

    spec = kernel_spec(project, Path(report.python), report.python_version, env_path=report.env_path)
    return LaunchPlan(argv=list(spec["argv"]), env=dict(spec.get("env") or {}),
                      project=str(project.root), python=Path(report.python))


def outside_root(path: Path, root: Path) -> bool:
    """Whether ``path``, symlinks resolved, lies outside ``root`` (also resolved)."""
    real, real_root = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    return real != real_root and real_root not in real.parents


def plan_launch(notebook: Path | None, *, folder: Path | str | None = None,
                project_hint: str | None = None, auto_create: bool = False,
                backend: str | None = None, log: Callable[[str], None] | None = None,
                root: Path | str | None = None) -> LaunchPlan:
    """Decide what the portable kernel runs (blocking: file reads, or a build when ``auto_create``).

    Args:
        notebook: the notebook's absolute path, or ``None`` (see :func:`notebook_path`).
        folder: the kernel's working folder (``None``: the current folder).
        project_hint: ``KERNELENV_PROJECT``'s value, tried last.
        auto_create: build a missing env first (runs the project's installers), unless
            that would run a build backend (``Project.runs_build_backend``): then the error
            kernel says so.
        backend: force a backend for detection (``c.Kernelenv.backend``).
        log: called with one-line progress messages.
        root: confine the search to this folder (a Jupyter server's ``root_dir``): the first
            candidate folder that resolves (symlinks followed) outside it starts the error
            kernel with that reason, and no project above ``root`` is used or built.

    Returns:
        A plan running the project's kernelspec (argv and env as registered for it), or the
        error kernel with a message naming what was searched and how to fix it. Never raises
        for a missing or broken project.
    """
    from . import api
    from .errors import KernelenvError

    tried = candidates(notebook, folder, project_hint)
    real_root = Path(os.path.realpath(root)) if root is not None else None
    project = None
    for what, start in tried:
        if real_root is not None and outside_root(start, real_root):
            return error_plan(
                f"The {what} is outside the Jupyter server's root folder {real_root}; kernelenv "
                "starts no project env outside it. Open the notebook from inside that folder, or "
                "start Jupyter in a folder that holds the project.")
        try:
            if real_root is not None:
                project = api.find_project(Path(os.path.realpath(start)), workspace=real_root,
                                           backend=backend)
            else:
                project = api.find_project(start, backend=backend)
        except (OSError, ValueError):
            project = None
        if project is not None:
            break
    if project is None:
        looked = "; ".join(what for what, _ in tried)
        return error_plan(
            f"No project found for the 'Python (project env)' kernel (looked at: {looked}): no "
            "environment file (requirements.txt, pyproject.toml, environment.yml, Pipfile, ...) in "
            "those folders or any folder above them. Add one next to the notebook, start the kernel "
            "from the project's folder, set KERNELENV_PROJECT to the project's folder, or choose "
            "another kernel.")
    report = api.status(project)
    if _runnable(report):
        if log and report.status.value != "ready":
            log(f"kernelenv: {project.name} env is {report.status.value}: {report.reason}")
        return _env_plan(project, report)
    if auto_create and project.runs_build_backend:
        return error_plan(
            f"Project '{project.name}' ({project.root}) has no env, and creating it would run code "
            f"from the project: {project.runs_build_backend} kernelenv does not do that unasked "
            "(auto_create). Review the files, then use the Create button of the Environments sidebar "
            f"or `kernelenv create {project.root}` in a terminal; then restart this kernel.",
            str(project.root))
    if auto_create:
        if log:
            log(f"kernelenv: creating the env of {project.root} before starting its kernel")
        try:
            report = api.create(project)
        except KernelenvError as e:
            return error_plan(f"Creating the env of project '{project.name}' ({project.root}) "
                              f"failed: {e.message}", str(project.root))
        if _runnable(report):
            return _env_plan(project, report)
    return error_plan(unusable_message(project, report), str(project.root))


def unusable_message(project: Any, report: Any) -> str:
    """What the error kernel says about a project whose env cannot run: the problem and its fix
    once (for a missing env, in each place the user may be: the sidebar's button, a terminal),
    the project's file errors, then to restart the kernel.

    Args:
        project: the :class:`~kernelenv.model.Project`.
        report: its :class:`~kernelenv.model.StatusReport` (missing, broken or building).
    """
    errors = "".join(f"\n  - {e.message}" for e in project.errors)
    where = f"Project '{project.name}' ({project.root})"
    if report.status.value != "missing":  # the reason says what is wrong and what to run
        return f"{where} has no usable env ({report.status.value}): {report.reason}{errors}\nThen restart this kernel."
    return (f"{where} has no env yet.{errors}\nCreate it with the Create button of the Environments "
            f"sidebar, or `kernelenv create {project.root}` in a terminal; then restart this kernel.")


def command(plan: LaunchPlan, connection_file: str, base_env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The concrete ``(argv, environment)`` of ``plan``.

    ``{connection_file}`` in argv is replaced, and ``${VAR}`` in env values is substituted
    from ``base_env`` the way jupyter_client substitutes kernel.json ``env`` values
    (``string.Template.safe_substitute``).
    """
    argv = [a.replace(CONNECTION_TEMPLATE, connection_file) for a in plan.argv]
    env = dict(base_env)
    for key, value in plan.env.items():
        env[key] = string.Template(value).safe_substitute(base_env)
    return argv, env


def _connection_file(args: list[str]) -> str:
    for i, a in enumerate(args):
        if a == "-f" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--f="):
            return a[len("--f="):]
    raise SystemExit("usage: python -m kernelenv.portable -f CONNECTION_FILE")


def main(args: list[str] | None = None) -> None:
    """Launcher: resolve the project from this process's environment and cwd, then exec its kernel.

    Args:
        args: ``["-f", CONNECTION_FILE]`` (default ``sys.argv[1:]``), as kernel.json passes.

    Never returns: the process becomes the project's kernel or the error kernel.
    """
    conn = _connection_file(sys.argv[1:] if args is None else args)
    env = dict(os.environ)
    cwd = os.getcwd()
    notebook = notebook_path(env.get(ENV_SESSION), cwd)
    backend = env.get("KERNELENV_BACKEND") or None

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        plan = plan_launch(notebook, folder=cwd, project_hint=env.get(ENV_PROJECT), backend=backend, log=log)
    except Exception as e:  # noqa: BLE001 - whatever fails, the notebook gets a kernel that says why
        plan = error_plan(f"kernelenv could not resolve this notebook's project: {type(e).__name__}: {e}")
    if plan.error:
        log(f"kernelenv: starting the error kernel: {plan.error}")
    argv, new_env = command(plan, conn, env)
    os.execve(argv[0], argv, new_env)


if __name__ == "__main__":
    main()
