"""``Pipfile``: pipenv's TOML spec.

Source: the Pipfile format (https://github.com/pypa/pipfile) and pipenv's docs
(https://pipenv.pypa.io/en/latest/specifiers.html): ``[[source]]`` indexes,
``[packages]`` / ``[dev-packages]`` mapping names to ``"*"``, a specifier string or a
table (``version``, ``extras``, ``markers``, ``git``/``ref``, ``path``, ``file``,
``editable``, ``index`` and marker keys such as ``sys_platform``), and ``[requires]``
``python_version`` / ``python_full_version``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..errors import EnvFileError
from .errors_util import Collector, bounded, check_table_requirement, find_position, load_toml

_MARKER_KEYS = ("os_name", "sys_platform", "platform_machine", "platform_python_implementation",
                "platform_release", "platform_system", "platform_version", "python_version",
                "python_full_version", "implementation_name", "implementation_version")


@dataclass
class Pipfile:
    """A parsed Pipfile.

    Args:
        path: the file.
        packages: ``[packages]`` as PEP 508 strings.
        dev_packages: ``[dev-packages]`` as PEP 508 strings.
        python_version: ``[requires] python_full_version`` or ``python_version``.
        python_line: 1-based line of that entry.
        sources: ``[[source]]`` tables (``name``, ``url``, ``verify_ssl``).
    """

    path: Path
    packages: list[str] = field(default_factory=list)
    dev_packages: list[str] = field(default_factory=list)
    python_version: str | None = None
    python_line: int | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)


@bounded
def read_pipfile(path: Path) -> Pipfile:
    """Parse a Pipfile.

    Raises:
        EnvFileError: TOML syntax (line/column), an entry that does not make a
            PEP 508 requirement or has a value of the wrong type (the entry's line), a
            ``[requires]`` version that is not a string (``python_version = 3.10`` is
            the TOML float 3.1), size/nesting limits. Every entry is checked: several
            bad entries raise :class:`~kernelenv.errors.EnvFileErrors`.
    """
    path = Path(path)
    data, text = load_toml(path)
    pf = Pipfile(path=path, sources=[s for s in data.get("source") or [] if isinstance(s, dict)])
    errors = Collector()
    for table, target in (("packages", pf.packages), ("dev-packages", pf.dev_packages)):
        entries = data.get(table) or {}
        start = max(0, text.find(f"[{table}]"))
        if not isinstance(entries, dict):
            line, col = find_position(text, f"{table}")
            errors.add(EnvFileError(path, f"[{table}] must be a table", line, col, code="invalid-type"))
            continue
        for name, value in entries.items():
            with errors.attempt():
                target.append(_entry(path, text, name, value, start))
    req = data.get("requires") or {}
    if not isinstance(req, dict):
        line, col = find_position(text, "requires")
        errors.add(EnvFileError(path, "[requires] must be a table", line, col, code="invalid-type"))
        req = {}
    start = max(0, text.find("[requires]"))
    for key in ("python_full_version", "python_version"):
        if key not in req:
            continue
        value = req[key]
        line, col = find_position(text, key, start)
        if not isinstance(value, str):
            hint = (f" (TOML reads the number {value!r}: write {key} = \"{value}\"; 3.10 unquoted "
                    "is the number 3.1)" if isinstance(value, float) else "")
            errors.add(EnvFileError(path, f"[requires] {key} must be a string like \"3.10\", not "
                                    f"{_type_name(value)}{hint}", line, col,
                                    end_line=line, end_column=_line_end(text, line),
                                    code="invalid-type"))
            break
        if value:
            from .python_request import version_to_specifier

            try:
                version_to_specifier(value)
            except ValueError as exc:
                vline, vcol = find_position(text, value, start)
                errors.add(EnvFileError(path, f"[requires] {key}: {exc}", vline or line, vcol or col,
                                        end_line=vline or line,
                                        end_column=(vcol + len(value)) if vcol else _line_end(text, line),
                                        code="invalid-python-version"))
                break
            pf.python_version = value
            pf.python_line = line
            break
    errors.raise_all()
    return pf


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _line_end(text: str, line: int | None) -> int | None:
    """1-based exclusive end column of ``line``'s text (trailing blanks excluded)."""
    if line is None:
        return None
    lines = text.splitlines()
    return len(lines[line - 1].rstrip()) + 1 if 0 < line <= len(lines) else None


def _entry(path: Path, text: str, name: str, value: Any, start: int = 0) -> str:
    try:
        req = _to_pep508(path, name, value)
    except (TypeError, AttributeError, ValueError) as exc:
        req = None
        problem = f"unexpected value types in {value!r} ({exc})"
    else:
        problem = None
    if req is None:
        line, col = find_position(text, f"{name} =", start)
        if line is None:
            line, col = find_position(text, f'"{name}" =', start)
        raise EnvFileError(path, f"{name}: {problem or f'expected a version string or a table, got {value!r}'}",
                           line, col, end_line=line, end_column=_line_end(text, line), code="invalid-type")
    check_table_requirement(path, text, name, req, "not a valid requirement", start=start)
    return req


def _to_pep508(path: Path, name: str, value: Any) -> str | None:
    markers: list[str] = []
    if isinstance(value, str):
        req = name if value.strip() in ("", "*") else f"{name}{value.strip()}"
    elif isinstance(value, dict):
        for key, v in value.items():
            want = (list,) if key == "extras" else (bool,) if key in ("editable", "verify_ssl") else (str,)
            if key in ("extras", "editable", "version", "markers", "git", "ref", "file", "path", "index",
                       *_MARKER_KEYS) and not isinstance(v, want):
                raise TypeError(f"{key} must be {'a list' if want == (list,) else 'true/false' if want == (bool,) else 'a string'}, "
                                f"not {_type_name(v)}")
        extras = value.get("extras") or []
        if not all(isinstance(x, str) for x in extras):
            raise TypeError("extras must be a list of strings")
        head = name + (f"[{','.join(extras)}]" if extras else "")
        if "git" in value:
            url = value["git"]
            url = url if url.startswith("git+") else "git+" + url
            if value.get("ref"):
                url += "@" + str(value["ref"])
            req = f"{head} @ {url}"
        elif "file" in value:
            req = f"{head} @ {value['file']}"
        elif "path" in value:
            p = Path(value["path"])
            p = p if p.is_absolute() else (path.parent / p).resolve()
            req = f"{head} @ {p.as_uri()}"
        else:
            v = str(value.get("version", "*")).strip()
            req = head if v in ("", "*") else head + v
        if value.get("markers"):
            markers.append(f"({value['markers']})")
        for k in _MARKER_KEYS:
            if k in value:
                markers.append(f"{k} {value[k]}" if value[k][:1] in "<>=!~" else f'{k} == "{value[k]}"')
    else:
        return None
    if markers:
        req += " ; " + " and ".join(markers)
    return req
