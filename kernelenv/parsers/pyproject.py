"""``pyproject.toml``: what a project declares to install.

Sources: PEP 518 (``[build-system]``), PEP 621 (``[project]``: ``name``,
``dependencies``, ``optional-dependencies``, ``requires-python``), PEP 735
(``[dependency-groups]`` with ``{include-group = ...}``), uv's settings
(``[tool.uv]``, ``[tool.uv.workspace] members/exclude``, ``[tool.uv.sources]``;
https://docs.astral.sh/uv/concepts/projects/workspaces/) and Poetry's
``[tool.poetry]`` tables (https://python-poetry.org/docs/pyproject/), whose
dependencies are converted to PEP 508 by :mod:`.poetry`. ``[tool.kernelenv]`` is
kernelenv's own table (``backend = "uv" | "rattler" | ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ..errors import EnvFileError
from .errors_util import (Collector, bounded, check_table_requirement, find_position, find_string_value,
                          load_toml, requirement_error)
from .poetry import PoetryConstraintError, PoetryTypeError, constraint_to_specifier, dependency_to_pep508

PROJECT_TABLES = ("project", "build-system", "dependency-groups")


@dataclass
class PyProject:
    """What a pyproject.toml declares.

    Args:
        path: the file.
        name: ``[project].name`` or ``[tool.poetry].name``.
        dependencies: PEP 508 strings to install by default (poetry deps converted;
            poetry's ``python`` entry and optional deps excluded).
        optional_dependencies: extras -> PEP 508 strings.
        dependency_groups: PEP 735 groups with ``include-group`` resolved, plus
            Poetry groups (``[tool.poetry.group.<g>.dependencies]``, ``dev-dependencies``).
        requires_python: PEP 440 specifier (``requires-python``, or Poetry's
            ``python`` constraint converted), or ``None``.
        requires_python_raw: the text as written.
        is_project: has ``[project]``, ``[tool.poetry]``, ``[build-system]``,
            ``[dependency-groups]`` or ``[tool.uv]``; a file with only other tool
            config is not a project.
        is_poetry: has ``[tool.poetry]``.
        is_uv_workspace: has ``[tool.uv.workspace]``.
        workspace_members / workspace_exclude: the workspace's globs (relative).
        path_sources: ``[tool.uv.sources]`` ``path = ...`` values (relative).
        kernelenv: the ``[tool.kernelenv]`` table (``{}`` when absent).
        warnings: entries that could not be converted (Poetry ``||`` constraints ...).
        data: the whole parsed TOML.
    """

    path: Path
    name: str | None = None
    dependencies: list[str] = field(default_factory=list)
    optional_dependencies: dict[str, list[str]] = field(default_factory=dict)
    dependency_groups: dict[str, list[str]] = field(default_factory=dict)
    requires_python: str | None = None
    requires_python_raw: str | None = None
    is_project: bool = False
    is_poetry: bool = False
    is_uv_workspace: bool = False
    has_project_table: bool = False
    workspace_members: list[str] = field(default_factory=list)
    workspace_exclude: list[str] = field(default_factory=list)
    path_sources: list[str] = field(default_factory=list)
    kernelenv: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def declares_dependencies(self) -> bool:
        """Whether anything installable is declared (deps, extras or groups)."""
        return bool(self.dependencies or self.optional_dependencies or self.dependency_groups)


def is_project_data(data: dict[str, Any]) -> bool:
    """True when a parsed pyproject holds a project table (see :attr:`PyProject.is_project`)."""
    tool = data.get("tool") or {}
    return any(k in data for k in PROJECT_TABLES) or "poetry" in tool or "uv" in tool


@bounded
def read_pyproject(path: Path) -> PyProject:
    """Parse a pyproject.toml.

    Raises:
        EnvFileError: TOML syntax (line/column from tomllib), a dependency that is
            not PEP 508 (its line and column in the file), a bad ``requires-python``,
            a wrong type for a known key, an unknown ``include-group``, size/nesting
            limits. Each table and each dependency is checked: several errors raise
            :class:`~kernelenv.errors.EnvFileErrors`.
    """
    path = Path(path)
    data, text = load_toml(path)
    pp = PyProject(path=path, data=data)
    errors = Collector()

    def table(parent: dict[str, Any], key: str, dotted: str | None = None) -> dict[str, Any]:
        try:
            return _table(path, text, parent, key, dotted)
        except EnvFileError as exc:
            errors.add(exc)
            return {}

    tool = table(data, "tool")
    project = table(data, "project")
    poetry = table(tool, "poetry", "tool.poetry")
    uv = table(tool, "uv", "tool.uv")
    pp.kernelenv = table(tool, "kernelenv", "tool.kernelenv")
    pp.is_project = is_project_data(data)
    pp.is_poetry = "poetry" in tool
    pp.has_project_table = "project" in data

    for tbl, where in ((project, "project"), (poetry, "tool.poetry")):
        if "name" in tbl and not isinstance(tbl["name"], str):
            line, col = find_position(text, "name =")
            errors.add(EnvFileError(path, f"[{where}] name must be a string", line, col, code="invalid-type"))
    rp = project.get("requires-python")
    if rp is not None and not isinstance(rp, str):
        line, col = find_position(text, "requires-python =")
        errors.add(EnvFileError(path, "[project] requires-python must be a string", line, col,
                                code="invalid-type"))
        rp = None
    name = project.get("name") or poetry.get("name")
    pp.name = name if isinstance(name, str) else None
    with errors.attempt():
        for dep in _str_list(path, text, project, "dependencies", "project.dependencies"):
            with errors.attempt():
                pp.dependencies.append(_check_req(path, text, dep))
    opt = table(project, "optional-dependencies", "project.optional-dependencies")
    for extra in opt:
        with errors.attempt():
            reqs: list[str] = []
            for d in _str_list(path, text, opt, extra, f"optional-dependencies.{extra}"):
                with errors.attempt():
                    reqs.append(_check_req(path, text, d))
            pp.optional_dependencies[extra] = reqs
    if rp is not None:
        pp.requires_python_raw = rp
        try:
            pp.requires_python = str(SpecifierSet(rp))
        except InvalidSpecifier as exc:
            line, col = find_string_value(text, rp)
            errors.add(EnvFileError(path, f"requires-python {rp!r} is not a PEP 440 specifier: {exc}",
                                    line, col, end_line=line, end_column=(col + len(rp)) if col else None,
                                    code="invalid-specifier"))

    groups = table(data, "dependency-groups")
    with errors.attempt():
        pp.dependency_groups = resolve_dependency_groups(path, text, groups)

    if poetry:
        with errors.attempt():
            _read_poetry(path, text, poetry, pp)

    ws = table(uv, "workspace", "tool.uv.workspace") if "workspace" in uv else None
    if ws is not None:
        pp.is_uv_workspace = True
        with errors.attempt():
            pp.workspace_members = _str_list(path, text, ws, "members", "tool.uv.workspace.members")
        with errors.attempt():
            pp.workspace_exclude = _str_list(path, text, ws, "exclude", "tool.uv.workspace.exclude")
    errors.raise_all()
    sources = uv.get("sources") or {}
    if isinstance(sources, dict):
        for src in sources.values():
            for s in (src if isinstance(src, list) else [src]):
                if isinstance(s, dict) and isinstance(s.get("path"), str):
                    pp.path_sources.append(s["path"])
    return pp


def resolve_dependency_groups(path: Path, text: str, groups: dict[str, Any]) -> dict[str, list[str]]:
    """PEP 735: expand ``{include-group = "name"}`` entries (cycles and unknown groups are errors)."""
    from packaging.utils import canonicalize_name

    norm = {canonicalize_name(k): k for k in groups}
    out: dict[str, list[str]] = {}
    errors = Collector()

    def expand(name: str, stack: tuple[str, ...]) -> list[str]:
        key = norm.get(canonicalize_name(name))
        if key is None:
            line, col = find_string_value(text, name)
            raise EnvFileError(path, f"include-group {name!r}: no such group in [dependency-groups]",
                               line, col, code="unknown-group")
        if key in stack:
            line, col = find_position(text, f"{key} =")
            raise EnvFileError(path, f"[dependency-groups] {key!r} includes itself "
                               f"({' -> '.join(stack + (key,))})", line, col, code="group-cycle")
        items = groups[key]
        if not isinstance(items, list):
            line, col = find_position(text, f"{key} =")
            raise EnvFileError(path, f"[dependency-groups] {key!r} must be a list", line, col,
                               code="invalid-type")
        res: list[str] = []
        for item in items:
            if isinstance(item, str):
                if not stack:
                    with errors.attempt():
                        res.append(_check_req(path, text, item))
                else:  # checked (and reported) where the group itself is expanded
                    res.append(item)
            elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
                res.extend(expand(item["include-group"], stack + (key,)))
            else:
                line, col = find_position(text, f"{key} =")
                raise EnvFileError(path, f"[dependency-groups] {key!r}: unexpected entry {item!r}",
                                   line, col, code="invalid-type")
        return res

    for k in groups:
        with errors.attempt():
            out[k] = expand(k, ())
    errors.raise_all()
    return out


def _read_poetry(path: Path, text: str, poetry: dict[str, Any], pp: PyProject) -> None:
    deps = _table(path, text, poetry, "dependencies", "tool.poetry.dependencies")
    extras = _table(path, text, poetry, "extras", "tool.poetry.extras")
    optional: dict[str, str] = {}
    base = path.parent
    errors = Collector()
    for name, value in deps.items():
        if name.lower() == "python":
            if not isinstance(value, str):
                line, col = find_position(text, f"{name} =")
                errors.add(EnvFileError(path, f"[tool.poetry.dependencies] python must be a string, not "
                                        f"{type(value).__name__}", line, col, code="invalid-type"))
                continue
            try:
                spec = constraint_to_specifier(value)
            except PoetryConstraintError as exc:
                line, col = find_string_value(text, value)
                errors.add(EnvFileError(path, f"python = {value!r}: {exc}", line, col, end_line=line,
                                        end_column=(col + len(value)) if col else None,
                                        code="invalid-specifier"))
                continue
            if pp.requires_python is None:
                pp.requires_python, pp.requires_python_raw = spec, value
            continue
        with errors.attempt():
            for req, is_opt in _poetry_dep(path, text, name, value, base, pp):
                if is_opt:
                    optional[name.lower()] = req
                else:
                    pp.dependencies.append(req)
    for extra, names in extras.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            line, col = find_position(text, f"{extra} =")
            errors.add(EnvFileError(path, f"[tool.poetry.extras] {extra} must be a list of names", line, col,
                                    code="invalid-type"))
            continue
        pp.optional_dependencies.setdefault(extra, []).extend(
            optional[n.lower()] for n in names if n.lower() in optional)
    groups: dict[str, Any] = {}
    if "dev-dependencies" in poetry:
        groups["dev"] = _table(path, text, poetry, "dev-dependencies", "tool.poetry.dev-dependencies")
    for gname, g in (poetry.get("group") or {}).items():
        if isinstance(g, dict):
            groups[gname] = g.get("dependencies") or {}
    for gname, gdeps in groups.items():
        reqs = pp.dependency_groups.setdefault(gname, [])
        if not isinstance(gdeps, dict):
            line, col = find_position(text, f"{gname}")
            errors.add(EnvFileError(path, f"[tool.poetry] group {gname!r}: dependencies must be a table",
                                    line, col, code="invalid-type"))
            continue
        for name, value in gdeps.items():
            with errors.attempt():
                reqs.extend(r for r, _ in _poetry_dep(path, text, name, value, base, pp))
    errors.raise_all()


def _poetry_dep(path: Path, text: str, name: str, value: Any, base: Path,
                pp: PyProject) -> list[tuple[str, bool]]:
    try:
        out = dependency_to_pep508(name, value, base)
    except PoetryTypeError as exc:
        line, col = find_position(text, f"{name} =")
        raise EnvFileError(path, f"[tool.poetry] {name}: {exc}", line, col, code="invalid-type") from exc
    except PoetryConstraintError as exc:
        if len(pp.warnings) < 200:  # each costs a lookup in the text: bounded like errors
            line, col = find_position(text, f"{name} =")
            pp.warnings.append(f"{path.name}:{line}: {name}: {exc}; installed without a version constraint")
        return [(name, isinstance(value, dict) and bool(value.get("optional")))]
    for req, _ in out:
        check_table_requirement(path, text, name, req, "cannot convert to PEP 508",
                                label=f"[tool.poetry] {name}")
    return out


def _check_req(path: Path, text: str, dep: str) -> str:
    try:
        Requirement(dep)
    except InvalidRequirement as exc:
        line, col = find_string_value(text, dep)
        raise requirement_error(path, exc, dep, line, (col - 1) if col else 0) from exc
    return dep


def _table(path: Path, text: str, parent: dict[str, Any], key: str, dotted: str | None = None
           ) -> dict[str, Any]:
    v = parent.get(key)
    if v is None:
        return {}
    if not isinstance(v, dict):
        line, col = find_position(text, f"{key} =")
        raise EnvFileError(path, f"[{dotted or key}] must be a table, not {type(v).__name__}",
                           line, col, code="invalid-type")
    return v


def _str_list(path: Path, text: str, parent: dict[str, Any], key: str, dotted: str) -> list[str]:
    v = parent.get(key)
    if v is None:
        return []
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        line, col = find_position(text, f"{key} =")
        raise EnvFileError(path, f"{dotted} must be a list of strings", line, col,
                           code="invalid-type")
    return v


def ipykernel_group(pp: PyProject) -> str | None:
    """The first dependency group that holds ``ipykernel`` (``None`` when none does)."""
    from packaging.utils import canonicalize_name

    for g, reqs in pp.dependency_groups.items():
        for r in reqs:
            try:
                if canonicalize_name(Requirement(r).name) == "ipykernel":
                    return g
            except InvalidRequirement:
                continue
    return None
