"""Whether the project itself is installed into its env, as the project's own tool does.

The tools' defaults (file reads only; nothing here runs):

* a uv project (``uv.lock`` or a PEP 621 ``[project]``): ``uv sync`` installs the project,
  editable, when it is a *package*: it has a ``[build-system]`` (or ``[tool.uv] package =
  true``), unless ``[tool.uv] package = false``
  (https://docs.astral.sh/uv/concepts/projects/config/#project-packaging);
* a Poetry project: ``poetry install`` installs the root package unless
  ``[tool.poetry] package-mode = false``
  (https://python-poetry.org/docs/basic-usage/#operating-modes);
* requirements files, Pipfile, conda files: only the listed packages (``pip install -r``,
  ``pipenv sync`` and ``conda env create`` never install the folder itself).

A package whose import package is not in the folder (``src/<name>``, ``<name>/``,
``<name>.py``, or the folders named by ``[tool.poetry] packages`` /
``[tool.hatch.build.targets.wheel] packages``) is not installed: notebook repositories
often declare a build system without shipping the package, and building it would fail.
``[tool.kernelenv] install-project = true | false`` decides over all of this. Installing
the project runs its build backend (its own code): :mod:`kernelenv.buildcode` reports it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .folderscan import inside
from .model import Backend, Project
from .readlog import probe


def decide(project: Project, pyproject: Any | None) -> tuple[bool, str]:
    """``(install, reason)`` for ``project`` (see the module docstring).

    Args:
        project: a detected project.
        pyproject: its parsed root ``pyproject.toml`` (:class:`kernelenv.parsers.pyproject.PyProject`)
            or ``None``.
    """
    if project.backend is not Backend.UV:
        return False, "a conda env holds only the packages its files list"
    data = getattr(pyproject, "data", None) or {}
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    own = (tool.get("kernelenv") or {}).get("install-project") if isinstance(tool.get("kernelenv"), dict) else None
    if isinstance(own, bool):
        return own, ("[tool.kernelenv] install-project = " + ("true: the project is installed (editable)"
                                                              if own else "false: only its dependencies"))
    spec_kinds = {f.kind for f in project.files if f.path == project.spec}
    if pyproject is None or "pyproject" not in spec_kinds:
        return False, "a requirements-only project: its tool installs the listed packages, not the folder"
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
    uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
    if poetry is not None and (project.lock is None or project.lock.name != "uv.lock"):
        if poetry.get("package-mode") is False:
            return False, "Poetry's package-mode = false: `poetry install` installs only the dependencies"
        tool_name = "`poetry install`"
    else:
        if uv.get("package") is False:
            return False, "[tool.uv] package = false: `uv sync` installs only the dependencies"
        if not isinstance(data.get("build-system"), dict) and uv.get("package") is not True:
            return False, "no [build-system]: a virtual project, which `uv sync` does not install"
        tool_name = "`uv sync`"
    found = _sources(project.root, pyproject, poetry, tool)
    if not found:
        return False, (f"{tool_name} would install the project itself, but its package sources are not in the "
                       "folder; only its dependencies are installed ([tool.kernelenv] install-project = true "
                       "to install it anyway)")
    return True, (f"editable, as {tool_name} does ({found} is importable in its notebooks; "
                  "this runs the project's build backend)")


def _sources(root: Path, pyproject: Any, poetry: dict | None, tool: dict) -> str | None:
    """The first import package or module of the project found in ``root`` (relative path)."""
    cands: list[str] = []
    name = getattr(pyproject, "name", None)
    if isinstance(name, str) and name:
        mod = name.replace("-", "_").replace(".", "_").lower()
        cands += [f"src/{mod}", mod, f"{mod}.py", f"src/{mod}.py"]
    for inc in (poetry or {}).get("packages") or []:
        if isinstance(inc, dict) and isinstance(inc.get("include"), str):
            base = inc.get("from") if isinstance(inc.get("from"), str) else ""
            cands.append(f"{base}/{inc['include']}" if base else inc["include"])
    hatch = ((((tool.get("hatch") or {}).get("build") or {}).get("targets") or {}).get("wheel") or {}) \
        if isinstance(tool.get("hatch"), dict) else {}
    for pkg in hatch.get("packages") or [] if isinstance(hatch, dict) else []:
        if isinstance(pkg, str):
            cands.append(pkg)
    real_root = probe(root)[1]
    if not real_root:
        return None
    for c in cands:
        if ".." in Path(c).parts or Path(c).is_absolute():
            continue
        kind, real = probe(root / c)
        if kind in ("dir", "file") and inside(real, real_root):
            return c
    return None


__all__ = ["decide"]
