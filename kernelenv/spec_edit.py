"""Editing a project's spec file in place: add, replace or remove package entries.

Each format is edited with a round-trip library so comments, order and layout stay as
the author wrote them; only the entries named change:

==========================  ============================================================
file (EnvFile kind)         what is edited
==========================  ============================================================
requirements / .in          one line per package (pip's requirements file format); an
                            entry's trailing ``# comment`` is kept when it is replaced
pyproject                   ``[project] dependencies`` or ``[dependency-groups] NAME``
                            (PEP 621 / PEP 735), else ``[tool.poetry.dependencies]``
                            (Poetry's table; ``python`` is never touched), with tomlkit
Pipfile                     ``[packages]`` (pipenv's Pipfile format), with tomlkit
environment.yml             ``dependencies`` (conda MatchSpecs) or, with ``pip=True``,
                            its ``pip:`` list, with ruamel.yaml (indentation guessed)
pixi.toml                   ``[dependencies]`` (conda) or, with ``pip=True``,
                            ``[pypi-dependencies]``, with tomlkit
==========================  ============================================================

The functions here are pure: they take the file's text and return the new text, so
the caller writes it atomically (and can restore the old bytes on a later failure).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .drift import normalize
from .errors import EnvFileError, KernelenvError

#: The kinds :func:`edit_spec` knows.
EDITABLE_KINDS = ("requirements", "requirements.in", "pyproject", "Pipfile", "environment.yml", "pixi.toml")
CONDA_KINDS = ("environment.yml", "pixi.toml")

_REQ_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]{0,200}[A-Za-z0-9])?)")
_CONDA_NAME = re.compile(r"\s*(?:[A-Za-z0-9_./:-]{1,300}::)?([A-Za-z0-9_][A-Za-z0-9_.-]{0,200})")


@dataclass(frozen=True)
class Change:
    """What to do to a spec.

    Args:
        add: requirement strings to add or to replace the entry of the same name with:
            PEP 508 for pip entries (``"idna==3.7"``, ``"pandas[excel]>=2"``), conda
            MatchSpecs for conda entries (``"numpy>=1.26"``).
        remove: package names to delete (any spelling; compared PEP 503-normalized).
        pip: for environment.yml / pixi.toml: the ``pip:`` list / ``[pypi-dependencies]``.
        group: for pyproject: a ``[dependency-groups]`` group instead of the main list.
        strict: a name in ``remove`` that the file does not list is an error (else skipped).
    """

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    pip: bool = False
    group: str | None = None
    strict: bool = True


def pip_name(spec: str) -> str:
    """The normalized name of PEP 508 requirement ``spec``.

    Raises:
        KernelenvError: ``spec`` is not a valid requirement (the message names it).
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return normalize(Requirement(spec).name)
    except InvalidRequirement as e:
        raise KernelenvError(f"`{spec}` is not a valid requirement: {e}") from None


def conda_name(spec: str) -> str:
    """The normalized name of conda MatchSpec ``spec`` (parsed by rattler's MatchSpec).

    Raises:
        KernelenvError: ``spec`` is not a valid MatchSpec.
    """
    try:
        from rattler import MatchSpec

        MatchSpec(spec)
    except ImportError:  # pragma: no cover - rattler is a dependency
        pass
    except Exception as e:
        raise KernelenvError(f"`{spec}` is not a valid conda MatchSpec: {e}") from None
    m = _CONDA_NAME.match(spec)
    if not m:
        raise KernelenvError(f"`{spec}` is not a valid conda MatchSpec")
    return normalize(m.group(1))


def edit_spec(path: Path, kind: str, text: str, change: Change) -> str:
    """Return ``text`` (the content of spec ``path`` of EnvFile kind ``kind``) with ``change`` applied.

    Raises:
        EnvFileError: the file does not parse (its line), or has no place for packages.
        KernelenvError: a name to remove is not in the file; an invalid requirement.
    """
    if kind in ("requirements", "requirements.in"):
        return _edit_requirements(path, text, change)
    if kind == "environment.yml":
        return _edit_environment_yml(path, text, change)
    if kind in ("pyproject", "Pipfile", "pixi.toml"):
        return _edit_toml(path, kind, text, change)
    raise KernelenvError(f"{path.name}: kernelenv cannot edit {kind} files; edit it by hand.")


# -- requirements files ---------------------------------------------------------------

def _edit_requirements(path: Path, text: str, change: Change) -> str:
    wanted = {pip_name(s): s for s in change.add}
    drop = {normalize(n) for n in change.remove}
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        block = [line]
        while block[-1].rstrip("\r\n").endswith("\\") and i + 1 < len(lines):
            i += 1
            block.append(lines[i])
        i += 1
        name = _requirement_line_name(line)
        if name is None:
            out += block
            continue
        if name in drop:
            seen.add(name)
            continue
        if name in wanted:
            seen.add(name)
            body = line.rstrip("\r\n")
            comment = ""
            m = re.search(r"\s+#.*$", body)
            if m:
                comment = m.group(0)
            newline = line[len(line.rstrip("\r\n")):] or "\n"
            out.append(wanted[name] + comment + newline)
            continue
        out += block
    _check_removed(path, drop, seen, change.strict)
    new = [s for n, s in wanted.items() if n not in seen]
    if new:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        out += [s + "\n" for s in new]
    return "".join(out)


def _requirement_line_name(line: str) -> str | None:
    s = line.strip()
    if not s or s.startswith(("#", "-")) or "://" in s.split("#")[0].split(" @ ")[0]:
        return None
    m = _REQ_NAME.match(s)
    return normalize(m.group(1)) if m else None


def _check_removed(path: Path, drop: set[str], seen: set[str], strict: bool = True) -> None:
    if not strict:
        return
    missing = sorted(drop - seen)
    if missing:
        raise KernelenvError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not in {path.name}; "
                             "nothing was changed.")


# -- TOML files (pyproject, Pipfile, pixi.toml) -----------------------------------------

def _parse_toml(path: Path, text: str) -> Any:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        return tomlkit.parse(text)
    except ParseError as e:
        line, col = getattr(e, "line", None), getattr(e, "col", None)
        raise EnvFileError(path, f"TOML syntax error: {e}", line or None, col or None,
                           code="toml-syntax") from None


def _edit_toml(path: Path, kind: str, text: str, change: Change) -> str:
    import tomlkit

    doc = _parse_toml(path, text)
    if kind == "pyproject":
        project = doc.get("project")
        if change.group:
            groups = doc.setdefault("dependency-groups", tomlkit.table())
            if change.group not in groups:
                groups[change.group] = tomlkit.array()
            _edit_array(path, groups[change.group], change)
        elif project is not None and ("dependencies" in project or "poetry" not in doc.get("tool", {})):
            if "dependencies" not in project:
                project["dependencies"] = tomlkit.array()
            _edit_array(path, project["dependencies"], change)
        else:
            poetry = doc.get("tool", {}).get("poetry")
            if poetry is None:
                raise EnvFileError(path, "has neither [project] nor [tool.poetry]: no dependency list to edit",
                                   code="no-dependencies")
            deps = poetry.setdefault("dependencies", tomlkit.table())
            _edit_table(path, deps, change, _pip_table_value, pip_name, keep=("python",))
    elif kind == "Pipfile":
        deps = doc.setdefault("packages", tomlkit.table())
        _edit_table(path, deps, change, _pip_table_value, pip_name)
    else:  # pixi.toml
        key = "pypi-dependencies" if change.pip else "dependencies"
        deps = doc.setdefault(key, tomlkit.table())
        if change.pip:
            _edit_table(path, deps, change, _pip_table_value, pip_name)
        else:
            _edit_table(path, deps, change, _conda_table_value, conda_name, keep=("python",) if not
                        any(conda_name(a) == "python" for a in change.add) else ())
    return tomlkit.dumps(doc)


def _edit_array(path: Path, arr: Any, change: Change) -> None:
    """Edit a TOML array of PEP 508 strings (``[project] dependencies``, a dependency group)."""
    for spec in change.add:
        pip_name(spec)  # what is added must be valid PEP 508; existing entries are matched leniently
    _edit_seq(path, arr, change, _lenient_pip_name)


def _lenient_pip_name(item: str) -> str:
    """The normalized name an array entry starts with, even where the rest is not valid PEP 508."""
    m = _REQ_NAME.match(item)
    if m is None:
        raise KernelenvError(f"`{item}` does not start with a package name")
    return normalize(m.group(1))


def _edit_table(path: Path, table: Any, change: Change, value, name_of, keep: tuple[str, ...] = ()) -> None:
    wanted = {name_of(s): s for s in change.add}
    drop = {normalize(n) for n in change.remove}
    seen: set[str] = set()
    for key in list(table.keys()):
        n = normalize(key)
        if n in keep:
            continue
        if n in drop:
            del table[key]
            seen.add(n)
        elif n in wanted:
            table[key] = value(wanted[n])
            seen.add(n)
    _check_removed(path, drop, seen, change.strict)
    for n, s in wanted.items():
        if n not in seen:
            table[_display_name(s, n)] = value(s)


def _display_name(spec: str, fallback: str) -> str:
    m = _CONDA_NAME.match(spec) if "::" in spec else _REQ_NAME.match(spec)
    return m.group(1) if m else fallback


def _pip_table_value(spec: str) -> Any:
    """Pipfile / Poetry / pixi pypi-dependencies value for PEP 508 ``spec``."""
    import tomlkit
    from packaging.requirements import Requirement

    req = Requirement(spec)
    version = str(req.specifier) or "*"
    if not req.extras and not req.marker and not req.url:
        return version
    t = tomlkit.inline_table()
    if req.url:
        t["url"] = req.url
    else:
        t["version"] = version
    if req.extras:
        t["extras"] = sorted(req.extras)
    if req.marker:
        t["markers"] = str(req.marker)
    return t


def _conda_table_value(spec: str) -> Any:
    """pixi ``[dependencies]`` value for conda MatchSpec ``spec``: its version constraint or ``*``."""
    from rattler import MatchSpec

    ms = MatchSpec(spec)
    version = str(ms.version) if ms.version is not None else "*"
    channel = spec.split("::", 1)[0] if "::" in spec else None
    if channel:
        import tomlkit

        t = tomlkit.inline_table()
        t["version"] = version
        t["channel"] = channel
        return t
    return version


# -- environment.yml -------------------------------------------------------------------

def _edit_environment_yml(path: Path, text: str, change: Change) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.util import load_yaml_guess_indent

    try:
        data, indent, block_seq_indent = load_yaml_guess_indent(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise EnvFileError(path, f"YAML syntax error: {e.problem or e}", mark.line + 1 if mark else None,
                           mark.column + 1 if mark else None, code="yaml-syntax") from None
    if not isinstance(data, dict):
        raise EnvFileError(path, "is not a mapping with a `dependencies:` list", 1, code="no-dependencies")
    deps = data.get("dependencies")
    if deps is None:
        deps = data["dependencies"] = CommentedSeq()
    if not isinstance(deps, list):
        raise EnvFileError(path, "`dependencies:` is not a list", code="no-dependencies")
    if change.pip:
        section = next((d["pip"] for d in deps if isinstance(d, dict) and "pip" in d), None)
        if section is None:
            section = CommentedSeq()
            m = CommentedMap()
            m["pip"] = section
            deps.append(m)  # kernelenv installs pip: entries with uv: no `pip` conda package needed
        _edit_seq(path, section, change, pip_name)
    else:
        _edit_seq(path, deps, change, conda_name)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=indent if block_seq_indent is not None else 2,
                sequence=indent, offset=block_seq_indent or 0)
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def _edit_seq(path: Path, seq: list, change: Change, name_of) -> None:
    """Remove, replace and append string entries of ``seq`` in place (order and comments kept);
    ``name_of`` gives an entry's normalized name (raising KernelenvError for entries to leave)."""
    wanted = {name_of(s): s for s in change.add}
    drop = {normalize(n) for n in change.remove}
    seen: set[str] = set()
    for idx in reversed(range(len(seq))):
        item = seq[idx]
        if not isinstance(item, str):
            continue
        try:
            name = name_of(item)
        except KernelenvError:
            continue
        if name in drop:
            del seq[idx]
            seen.add(name)
        elif name in wanted:
            seq[idx] = wanted[name]
            seen.add(name)
    _check_removed(path, drop, seen, change.strict)
    for n, s in wanted.items():
        if n not in seen:
            seq.append(s)


def declared_names(path: Path, kind: str, text: str) -> set[str]:
    """The normalized names a spec lists (what :func:`edit_spec` could remove): requirement
    lines, pyproject ``[project]`` dependencies and ``[dependency-groups]`` or Poetry's table,
    Pipfile ``[packages]``, environment.yml entries and its ``pip:`` list, pixi
    ``[dependencies]`` and ``[pypi-dependencies]``.

    Raises:
        EnvFileError: the file does not parse.
    """
    names: set[str] = set()

    def add_req(item: object, name_of=pip_name) -> None:
        if isinstance(item, str):
            try:
                names.add(name_of(item))
            except KernelenvError:
                pass

    if kind in ("requirements", "requirements.in"):
        for line in text.splitlines():
            n = _requirement_line_name(line)
            if n:
                names.add(n)
    elif kind == "environment.yml":
        from ruamel.yaml.error import MarkedYAMLError
        from ruamel.yaml.util import load_yaml_guess_indent

        try:
            data = load_yaml_guess_indent(text)[0]
        except MarkedYAMLError as e:
            raise EnvFileError(path, f"YAML syntax error: {e.problem or e}", code="yaml-syntax") from None
        deps = data.get("dependencies") if isinstance(data, dict) else None
        for d in deps if isinstance(deps, list) else []:
            if isinstance(d, dict) and isinstance(d.get("pip"), list):
                for p in d["pip"]:
                    add_req(p)
            else:
                add_req(d, conda_name)
    elif kind in ("pyproject", "Pipfile", "pixi.toml"):
        doc = _parse_toml(path, text)
        tables: list = []
        if kind == "pyproject":
            for item in (doc.get("project") or {}).get("dependencies") or []:
                add_req(item)
            for group in (doc.get("dependency-groups") or {}).values():
                for item in group if isinstance(group, list) else []:
                    add_req(item)
            tables.append(((doc.get("tool") or {}).get("poetry") or {}).get("dependencies") or {})
        elif kind == "Pipfile":
            tables.append(doc.get("packages") or {})
        else:
            tables += [doc.get("dependencies") or {}, doc.get("pypi-dependencies") or {}]
        for table in tables:
            names |= {normalize(k) for k in table if isinstance(k, str) and normalize(k) != "python"}
    return names
