"""Python tools kernelenv runs from PyPI, pinned, with ``uv tool run``: Poetry and pipenv.

Each project keeps its lock in its own tool's format, written by that tool (Poetry for
``poetry.lock``, pipenv for ``Pipfile.lock``). kernelenv does not depend on those tools
and never installs them into a project env: ``uv tool run --from <tool>==<version>``
runs them from an ephemeral env in uv's cache (the one shared uv cache; the first run
downloads them, later runs take well under a second to start).

The versions are pinned here (:data:`TOOLS`) so a lock written today and one written
next year come from the same tool; ``KERNELENV_POETRY`` / ``KERNELENV_PIPENV`` override
the requirement (e.g. ``poetry==2.1.3``) for a project that needs another release.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .progress import Reporter
from .uvtool import run_uv, uv_env


@dataclass(frozen=True)
class Tool:
    """A PyPI tool run with ``uv tool run``.

    Args:
        command: the executable the package installs (``poetry``, ``pipenv``).
        requirement: the pinned requirement (``poetry==2.5.1``).
        plugins: further pinned requirements installed beside it (``--with``).
        env: variables that keep the tool non-interactive and out of the user's envs.
    """

    command: str
    requirement: str
    plugins: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()

    def resolved_requirement(self) -> str:
        """:attr:`requirement`, or the ``KERNELENV_<COMMAND>`` override."""
        return os.environ.get(f"KERNELENV_{self.command.upper()}", "").strip() or self.requirement


#: The tools and their pinned versions. Poetry 2 exports through poetry-plugin-export.
TOOLS: dict[str, Tool] = {
    "poetry": Tool("poetry", "poetry==2.5.1", ("poetry-plugin-export==1.10.1",),
                   (("POETRY_NO_INTERACTION", "1"), ("POETRY_VIRTUALENVS_CREATE", "false"),
                    ("POETRY_VIRTUALENVS_IN_PROJECT", "false"))),
    "pipenv": Tool("pipenv", "pipenv==2026.10.3", (),
                   (("PIPENV_YES", "1"), ("PIPENV_NOSPIN", "1"), ("PIPENV_IGNORE_VIRTUALENVS", "1"),
                    ("PIPENV_VENV_IN_PROJECT", "1"), ("PIPENV_VERBOSITY", "-1"),
                    ("PIPENV_DONT_LOAD_ENV", "1"))),
}


def tool_argv(name: str) -> list[str]:
    """The ``uv`` arguments that start tool ``name`` (``tool run --from ... <command>``).

    Raises:
        KeyError: unknown tool.
    """
    tool = TOOLS[name]
    argv = ["tool", "run", "--python", sys.executable, "--from", tool.resolved_requirement()]
    for plugin in tool.plugins:
        argv += ["--with", plugin]
    return [*argv, tool.command]


def run_tool(name: str, args: Sequence[str | os.PathLike[str]], reporter: Reporter, *, step: str,
             cwd: Path, error: str, env: dict[str, str] | None = None) -> str:
    """Run PyPI tool ``name`` (a key of :data:`TOOLS`) with ``args`` in ``cwd``.

    The tool runs with kernelenv's own interpreter as its Python (``uv tool run
    --python``), the tool's non-interactive settings and ``env`` on top of uv's clean
    environment (no VIRTUAL_ENV/CONDA_PREFIX/PYTHONPATH leaking in).

    Returns:
        The combined output (stdout and stderr, in order).

    Raises:
        BuildError: the tool (or fetching it) failed; the message ends with its last line.
        CancelledError: cancelled.
    """
    tool = TOOLS[name]
    full_env = uv_env(**dict(tool.env))
    full_env.update(env or {})
    return run_uv([*tool_argv(name), *args], reporter, step=step, cwd=cwd, env=full_env, error=error)


__all__ = ["TOOLS", "Tool", "run_tool", "tool_argv"]
