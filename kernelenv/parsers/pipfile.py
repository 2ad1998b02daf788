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
from .errors_util import check_table_requirement, find_position, load_toml

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


def read_pipfile(path: Path) -> Pipfile:
    """Parse a Pipfile.

    Raises:
        EnvFileError: TOML syntax (line/column) or an entry that does not make a
            PEP 508 requirement (the entry's line).
    """
    path = Path(path)
    data, text = load_toml(path)
    pf = Pipfile(path=path, sources=[s for s in data.get("source") or [] if isinstance(s, dict)])
    for table, target in (("packages", pf.packages), ("dev-packages", pf.dev_packages)):
        entries = data.get(table) or {}
        if not isinstance(entries, dict):
            line, col = find_position(text, f"[{table}]")
            raise EnvFileError(path, f"[{table}] must be a table", line, col, code="invalid-type")
        for name, value in entries.items():
            target.append(_entry(path, text, name, value))
    req = data.get("requires") or {}
    for key in ("python_full_version", "python_version"):
        if req.get(key):
            pf.python_version = str(req[key])
            pf.python_line, _ = find_position(text, key)
            break
    return pf


def _entry(path: Path, text: str, name: str, value: Any) -> str:
    try:
        req = _to_pep508(path, name, value)
    except (TypeError, AttributeError) as exc:
        req = None
        problem = f"unexpected value types in {value!r} ({exc})"
    else:
        problem = None
    if req is None:
        line, col = find_position(text, f"{name} =")
        raise EnvFileError(path, f"{name}: {problem or f'expected a version string or a table, got {value!r}'}",
                           line, col, code="invalid-type")
    check_table_requirement(path, text, name, req, "not a valid requirement")
    return req


def _to_pep508(path: Path, name: str, value: Any) -> str | None:
    markers: list[str] = []
    if isinstance(value, str):
        req = name if value.strip() in ("", "*") else f"{name}{value.strip()}"
    elif isinstance(value, dict):
        extras = value.get("extras") or []
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
