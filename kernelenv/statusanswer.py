"""The answer to ``kernelenv status``: its text and ``--json`` forms, its exit code, and
keeping it in the answer cache (:mod:`kernelenv.answercache`).

The CLI prints it; every operation that changes a project (:mod:`kernelenv.api`'s
``create``, ``rebuild``, ``lock``, ``add``, ``remove``, ``record``, ``rollback``, from any
face) leaves it behind with :func:`prime`, so the next ``kernelenv status`` of that project
is answered at Python's start-up cost (issue 15).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .model import Project, Status

#: ``kernelenv status`` exit codes (docs/cli.md): an env file has errors; an env is broken;
#: (``--check``) an env is not ready.
EXIT_FILE_ERRORS = 3
EXIT_BROKEN = 4
EXIT_NOT_READY = 5


def exit_code(projects: list[Project], statuses: list[Status], *, check: bool = False) -> int:
    """The exit code of ``kernelenv status`` for ``projects`` and their ``statuses`` (same
    order): :data:`EXIT_FILE_ERRORS` when a project has errors, else :data:`EXIT_BROKEN` when an
    env is broken, else (``check``) :data:`EXIT_NOT_READY` when one is not ready, else 0."""
    if any(p.errors for p in projects):
        return EXIT_FILE_ERRORS
    if any(st is Status.BROKEN for st in statuses):
        return EXIT_BROKEN
    if check and any(st is not Status.READY for st in statuses):
        return EXIT_NOT_READY
    return 0


def compute(projects: list[Project]) -> tuple[list[Status], list[dict[str, Any]], str]:
    """Each project's status (file reads only, :func:`kernelenv.state.project_status`):
    ``(statuses, --json rows, text)``, the rows and text in the project order."""
    from .state import project_status

    rows, lines, statuses = [], [], []
    for p in projects:
        rep = project_status(p)
        rows.append({**p.to_dict(), "status": rep.to_dict()})
        extra = []
        if rep.python_version:
            extra.append(f"Python {rep.python_version}")
        if rep.packages is not None:
            extra.append(f"{rep.packages} packages")
        lines.append(f"{p.root}: {rep.status.value} ({p.backend.value}{', ' if extra else ''}{', '.join(extra)})"
                     f" kernel {rep.kernel_name}\n    {rep.reason}")
        lines += [f"    error: {e}" for e in p.errors]
        statuses.append(rep.status)
    return statuses, rows, "\n".join(lines)


def render(rows: list[dict[str, Any]], text: str, *, as_json: bool) -> str:
    """What ``kernelenv status [--json]`` prints (without the final newline)."""
    return json.dumps(rows, indent=2) if as_json else (text or "No projects found.")


def answer(path_arg: str, flags: tuple[str, ...] | list[str]) -> int | None:
    """Print the answer to the plain ``kernelenv status PATH_ARG FLAGS`` (``flags`` among
    ``--json`` and ``--check``) for the one project PATH_ARG lies in, keep it
    (:func:`remember`) and return its exit code (:func:`exit_code`). ``None``, with nothing
    printed, when PATH_ARG does not exist or lies in no project (the CLI then lists the
    projects under it). Used by the console script's entry before the CLI's argument
    parser is imported, and by the CLI itself.

    Raises:
        KernelenvError: detection failed (the CLI reports it).
    """
    from .api import find_project

    started = time.time()
    path = Path(path_arg).resolve()
    project = find_project(path) if path.exists() else None
    if project is None:
        return None
    statuses, rows, text = compute([project])
    output = render(rows, text, as_json="--json" in flags)
    print(output)
    code = exit_code([project], statuses, check="--check" in flags)
    remember(path_arg, [(list(flags), output, code)], path, project, statuses[0], rows[0], started)
    return code


def remember(path_arg: str, answers: list[tuple[list[str], str, int]], query: Path, project: Project,
             status: Status, row: dict[str, Any], started: float, before: dict | None = None) -> None:
    """Keep one project's answers to ``kernelenv status PATH_ARG FLAGS``, each ``(flags,
    output, exit code)`` (``flags`` among ``--json``, ``--check``; ``query``: that path
    resolved) for the next call: never while an operation runs or before a first build
    (moves and copies are found elsewhere). ``started``: ``time.time()`` before the answer was
    computed; ``before``: a snapshot of what it reads taken then
    (:func:`kernelenv.answercache.snapshot`), which lets files written just now back it.
    Never raises."""
    from . import answercache
    from .layout import state_file
    from .locking import lock_file

    if status is Status.BUILDING or not state_file(project.root, project.environment).is_file():
        return
    paths = answercache.watched_paths(query, project, row["status"].get("kernel_name"))
    answercache.store([(["status", path_arg, *flags], output + "\n", code) for flags, output, code in answers],
                      paths, started, locks=[str(lock_file(project.root))], before=before)


def prime(known: Project) -> None:
    """After an operation changed project ``known`` (as detected before it): keep the answers
    to ``kernelenv status ROOT`` with and without ``--json``/``--check``. The files were
    written just now, so the status is computed between two snapshots of what it reads and
    kept only when they agree (those paths are then compared by content on each lookup until
    they age); a file the operation added (a new lock) is in neither, so that answer is not
    kept. A project of a named pixi environment is not primed (its answers need
    ``--environment``, which the cache does not answer). Never raises."""
    from . import answercache
    from .detect import find_project
    from .state import read_state

    if known.environment or not answercache.enabled():
        return
    try:
        started = time.time()
        root = known.root
        name = (read_state(root) or {}).get("kernel_name")
        before = answercache.snapshot(answercache.watched_paths(root, known, name if isinstance(name, str) else None))
        project = find_project(root)
        if project is None or project.root != root:
            return
        statuses, rows, text = compute([project])
        answers = [([f for f, on in (("--json", as_json), ("--check", check)) if on],
                    render(rows, text, as_json=as_json), exit_code([project], statuses, check=check))
                   for as_json in (False, True) for check in (False, True)]
        remember(str(root), answers, root, project, statuses[0], rows[0], started, before=before)
    except Exception:  # noqa: BLE001 - a cache problem must never fail the operation that just worked
        return


__all__ = ["EXIT_BROKEN", "EXIT_FILE_ERRORS", "EXIT_NOT_READY", "compute", "exit_code", "prime", "remember",
           "render"]
