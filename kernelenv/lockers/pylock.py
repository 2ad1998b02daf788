"""``pylock.toml`` (PEP 751, https://peps.python.org/pep-0751/), for projects with no lock
convention of their own (a plain requirements.txt; a hashed requirements file with no
``.in`` to compile it from), written by ``uv pip compile --universal --generate-hashes
--format pylock.toml``. ipykernel is added to the inputs when the spec does not declare it.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..interpreters import Interpreter
from ..model import FileRole, Project
from ..progress import Reporter
from ..uvtool import run_uv
from .staging import move_out, staging


def lock_pylock(project: Project, interpreter: Interpreter, reporter: Reporter) -> Path:
    """Compile the project's requirements into ``<root>/pylock.toml``; returns its path.

    Raises:
        BuildError: uv could not resolve; pylock.toml is unchanged.
        EnvFileError: a spec cannot be read.
    """
    from ..backends.uv import UvBuilder, _names

    helper = UvBuilder()
    inputs: list[str] = []
    declared: set[str] = set()
    extra: list[str] = []
    for f in project.files_of(FileRole.SPEC):
        if f.kind == "requirements":
            inputs.append(os.path.relpath(f.path, project.root))
            declared |= _names(helper._requirements_of(f.path))
        elif f.kind == "Pipfile":
            from ..parsers.pipfile import read_pipfile

            extra += list(read_pipfile(f.path).packages)
        elif f.kind == "pyproject":
            reqs, _ = helper._pyproject_requirements(f.path)
            extra += reqs or []
    if not inputs and not extra:
        # The requirements file is itself the lock (hashed pins): re-lock from its input
        # (requirements.in) when there is one, else from the file itself.
        sources = [f.path for f in project.files_of(FileRole.INPUT) if f.kind == "requirements.in"]
        if not sources and project.lock is not None and project.lock.name.endswith((".txt", ".in")):
            sources = [project.lock]
        for src in sources:
            inputs.append(os.path.relpath(src, project.root))
            declared |= _names(helper._requirements_of(src))
    declared |= _names(extra)
    if "ipykernel" not in declared:
        extra.append("ipykernel")
    minor = ".".join(str(interpreter.version).split(".")[:2])
    with staging(project.root) as tmp:
        if extra:
            extra_in = tmp / "lock-inputs.in"
            extra_in.write_text("\n".join(extra) + "\n", encoding="utf-8")
            inputs.append(os.path.relpath(extra_in, project.root))
        out = tmp / "pylock.toml"
        run_uv(["pip", "compile", "--quiet", "--universal", "--generate-hashes",
                "--custom-compile-command", "kernelenv lock",
                "--python-version", minor, "--format", "pylock.toml", "-o", str(out), *inputs],
               reporter, step="lock", cwd=project.root, error="resolving the requirements failed")
        return move_out(tmp, project.root, "pylock.toml")


__all__ = ["lock_pylock"]
