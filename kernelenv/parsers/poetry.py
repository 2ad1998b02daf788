"""Poetry's dependency syntax, converted to PEP 440 specifiers and PEP 508 requirements.

Source: Poetry's documentation, "Dependency specification"
(https://python-poetry.org/docs/dependency-specification/): caret (``^1.2.3`` means
``>=1.2.3,<2.0.0``; the first non-zero component is kept), tilde (``~1.2.3`` means
``>=1.2.3,<1.3.0``), wildcards (``1.*``), bare versions (``6.5.6`` means ``==6.5.6``),
inequalities, comma-joined ``and`` and ``||`` ``or`` constraints, and the table forms
(``{version, extras, markers, python, platform, optional, git/url/path}``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

_CLAUSE_SPLIT = re.compile(r"(?<=\s)(?=[<>=!~^])")
_OP = re.compile(r"^(===|==|!=|~=|>=|<=|>|<|\^|~|=)?\s*(.+)$")


class PoetryConstraintError(ValueError):
    """A Poetry version constraint that cannot be written as a PEP 440 specifier."""


class PoetryTypeError(PoetryConstraintError):
    """A dependency table value of the wrong type (``version = 1.0``): an error, never coerced."""


def _release(v: str) -> list[int]:
    parts = []
    for p in v.split("."):
        m = re.match(r"\d+", p)
        if not m:
            break
        parts.append(int(m.group()))
    return parts


def _upper_caret(v: str) -> str:
    r = _release(v)
    if not r:
        raise PoetryConstraintError(f"bad version {v!r}")
    for i, n in enumerate(r):
        if n != 0:
            return _bump(r, i)
    # all zeros: ^0 -> <1 ; ^0.0 -> <0.1 ; ^0.0.0 -> <0.0.1
    return _bump(r, len(r) - 1)


def _bump(r: list[int], i: int) -> str:
    out = r[:i] + [r[i] + 1]
    while len(out) < max(len(r), 2):
        out.append(0)
    return ".".join(map(str, out))


def _upper_tilde(v: str) -> str:
    r = _release(v)
    if not r:
        raise PoetryConstraintError(f"bad version {v!r}")
    return _bump(r, 0 if len(r) == 1 else 1)


def _one(clause: str) -> list[str]:
    clause = clause.strip()
    if clause in ("", "*"):
        return []
    m = _OP.match(clause)
    if not m:
        raise PoetryConstraintError(f"cannot read constraint {clause!r}")
    op, ver = m.group(1) or "", m.group(2).strip()
    if op == "^":
        return [f">={ver}", f"<{_upper_caret(ver)}"]
    if op == "~":
        return [f">={ver}", f"<{_upper_tilde(ver)}"]
    if op in ("", "="):
        if ver.endswith(".*") or ver == "*":
            return [] if ver == "*" else [f"=={ver}"]
        return [f"=={ver}"]
    return [f"{op}{ver}"]


def constraint_to_specifier(constraint: str) -> str:
    """A Poetry constraint string as a PEP 440 specifier set string.

    ``"^3.11.2"`` -> ``">=3.11.2,<4.0.0"``; ``"^3.9,<3.13.0"`` -> ``">=3.9,<4.0,<3.13.0"``;
    ``"*"`` -> ``""``; ``"6.5.6"`` -> ``"==6.5.6"``.

    Raises:
        PoetryConstraintError: ``||`` alternatives (PEP 440 has no "or") or an
            unreadable clause.
    """
    c = constraint.strip()
    if "||" in c or re.search(r"\s\|\s", c):
        raise PoetryConstraintError(
            f"{constraint!r} uses '||' (or), which a PEP 440 specifier cannot express")
    clauses: list[str] = []
    # Commas, and whitespace before an operator, separate clauses. Zero-width split after a
    # space (not ``\s+(?=op)``, which is quadratic in a run of spaces).
    for piece in c.split(","):
        for part in _CLAUSE_SPLIT.split(piece):
            clauses.extend(_one(part))
    spec = ",".join(clauses)
    try:
        SpecifierSet(spec)
    except InvalidSpecifier as exc:
        raise PoetryConstraintError(f"{constraint!r} gives invalid specifier {spec!r}: {exc}") from exc
    return spec


def python_marker(constraint: str) -> str:
    """A Poetry ``python = "..."`` restriction as a PEP 508 marker on ``python_full_version``."""
    spec = constraint_to_specifier(constraint)
    parts = []
    for s in SpecifierSet(spec):
        if s.version.endswith(".*"):
            parts.append(f'python_version {s.operator} "{s.version}"')
        else:
            parts.append(f'python_full_version {s.operator} "{s.version}"')
    return " and ".join(parts)


def dependency_to_pep508(name: str, value: Any, base: Path | None = None) -> list[tuple[str, bool]]:
    """One ``[tool.poetry.dependencies]`` entry as PEP 508 strings.

    Args:
        name: the package name.
        value: a constraint string, a table, or a list of tables (multiple constraints).
        base: the pyproject's folder, to turn ``path = "..."`` into a ``file://`` URL.

    Returns:
        ``[(requirement, optional)]``; ``optional`` is True for ``optional = true``
        entries (they belong to extras, not the default install).

    Raises:
        PoetryConstraintError: a constraint PEP 440/508 cannot express.
    """
    if isinstance(value, list):
        out = []
        for v in value:
            out.extend(dependency_to_pep508(name, v, base))
        return out
    if isinstance(value, str):
        spec = constraint_to_specifier(value)
        return [(f"{name}{spec}", False)]
    if not isinstance(value, dict):
        raise PoetryTypeError(f"expected a constraint string or a table, not {value!r}")
    for key in ("git", "url", "path", "rev", "tag", "branch", "subdirectory", "markers", "platform",
                "version", "python", "source"):
        if key in value and not isinstance(value[key], str):  # checked, not coerced (1.0 is not "1.0")
            raise PoetryTypeError(f"{key} must be a string, not {value[key]!r}")
    for key in ("optional", "develop", "allow-prereleases"):
        if key in value and not isinstance(value[key], bool):
            raise PoetryTypeError(f"{key} must be true or false, not {value[key]!r}")
    extras = value.get("extras") or []
    if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
        raise PoetryTypeError(f"extras must be a list of strings, not {extras!r}")
    head = name + (f"[{','.join(extras)}]" if extras else "")
    if "git" in value:
        ref = value.get("rev") or value.get("tag") or value.get("branch")
        url = value["git"]
        if not url.startswith("git+"):
            url = "git+" + url
        if ref:
            url += f"@{ref}"
        if value.get("subdirectory"):
            url += f"#subdirectory={value['subdirectory']}"
        req = f"{head} @ {url}"
    elif "url" in value:
        req = f"{head} @ {value['url']}"
    elif "path" in value:
        p = Path(value["path"])
        if base is not None and not p.is_absolute():
            p = (base / p).resolve()
        req = f"{head} @ {p.as_uri()}" if p.is_absolute() else f"{head} @ {value['path']}"
    else:
        req = head + constraint_to_specifier(str(value.get("version", "*")))
    markers = []
    if value.get("markers"):
        markers.append(f"({value['markers']})")
    if value.get("python"):
        markers.append(f"({python_marker(str(value['python']))})")
    if value.get("platform"):
        markers.append(f'sys_platform == "{value["platform"]}"')
    if markers:
        req += " ; " + " and ".join(markers)
    return [(req, bool(value.get("optional", False)))]
