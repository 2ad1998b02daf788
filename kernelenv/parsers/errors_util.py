"""Turn the errors of tomllib, PyYAML, json and packaging into :class:`EnvFileError`.

Each helper returns an :class:`~kernelenv.errors.EnvFileError` (it does not raise) so
callers write ``raise toml_error(path, exc) from exc``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from ..errors import EnvFileError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_EOF = re.compile(r"\s*\(at end of document\)\s*$")


def toml_error(path: Path, exc: tomllib.TOMLDecodeError, text: str | None = None) -> EnvFileError:
    """An EnvFileError from a :class:`tomllib.TOMLDecodeError`.

    tomllib puts the position in the message (``"... (at line 3, column 7)"``); the
    position is moved to ``line``/``column`` and the message keeps only the reason.
    ``text`` (the file's content) lets "at end of document" point at the last line.
    """
    msg = str(exc)
    line = col = None
    m = _TOML_POS.search(msg)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = msg[: m.start()]
    else:
        m = _TOML_EOF.search(msg)
        if m:
            msg = msg[: m.start()] + " at end of file"
            if text is not None:
                line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return EnvFileError(path, f"invalid TOML: {msg}", line, col, code="toml-syntax")


def yaml_error(path: Path, exc: Exception) -> EnvFileError:
    """An EnvFileError from a PyYAML ``MarkedYAMLError`` (marks are 0-based; ours are 1-based)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    msg = f"{context}: {problem}" if context and problem else problem
    line = mark.line + 1 if mark is not None else None
    col = mark.column + 1 if mark is not None else None
    return EnvFileError(path, f"invalid YAML: {msg}", line, col, code="yaml-syntax")


def json_error(path: Path, exc: json.JSONDecodeError) -> EnvFileError:
    """An EnvFileError from a :class:`json.JSONDecodeError` (already 1-based)."""
    return EnvFileError(path, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno, code="json-syntax")


def requirement_error(path: Path, exc: Exception, text: str, line: int | None,
                      column_offset: int = 0) -> EnvFileError:
    """An EnvFileError for a PEP 508 string that :class:`packaging.requirements.Requirement` rejected.

    Args:
        text: the requirement string that was parsed.
        line: 1-based line of the string in the file, if known.
        column_offset: 0-based column where ``text`` starts on that line.

    packaging's ``InvalidRequirement`` wraps a ``ParserSyntaxError`` whose ``span``
    locates the problem inside ``text``; that becomes the column.
    """
    cause = exc.__cause__ or exc.__context__
    span = getattr(cause, "span", None)
    reason = getattr(cause, "message", None) or str(exc).splitlines()[0]
    col = end_col = None
    if line is not None:
        if span:
            col = column_offset + span[0] + 1
            end_col = column_offset + max(span[1], span[0] + 1) + 1
        else:
            col = column_offset + 1
    return EnvFileError(path, f"invalid requirement {text!r}: {reason}", line, col,
                        end_line=line if col else None, end_column=end_col,
                        code="invalid-requirement")


def check_table_requirement(path: Path, text: str, name: str, req: str, what: str,
                            label: str | None = None) -> None:
    """Validate ``req`` (a PEP 508 string built from TOML table entry ``name``).

    Args:
        what: how the message describes the problem, e.g. ``"not a valid requirement"``.
        label: how the message names the entry (default: ``name``).

    Raises:
        EnvFileError: code ``invalid-requirement``, at the line of ``name = ...`` (or
            ``"name" = ...``) in ``text``.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(req)
    except InvalidRequirement as exc:
        line, col = find_position(text, f"{name} =")
        if line is None:
            line, col = find_position(text, f'"{name}" =')
        raise EnvFileError(path, f"{label or name}: {what} ({req!r}): {str(exc).splitlines()[0]}", line, col,
                           code="invalid-requirement") from exc


def find_position(text: str, needle: str, start: int = 0) -> tuple[int | None, int | None]:
    """1-based (line, column) of the first ``needle`` in ``text`` at or after ``start``.

    TOML and JSON parsers give no positions for values; this finds where a value
    is written so an error can still point at it. ``(None, None)`` when absent.
    """
    i = text.find(needle, start)
    if i < 0:
        return None, None
    line = text.count("\n", 0, i) + 1
    col = i - (text.rfind("\n", 0, i) + 1) + 1
    return line, col


def find_string_value(text: str, value: str) -> tuple[int | None, int | None]:
    """Position of a TOML/JSON string value ``value`` (quoted either way), pointing inside the quotes."""
    for q in ('"', "'"):
        line, col = find_position(text, q + value + q)
        if line is not None:
            return line, col + 1
    return find_position(text, value)


def read_text(path: Path) -> str:
    """The file's text (UTF-8, BOM stripped), or an EnvFileError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EnvFileError(path, f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                           code="encoding") from exc
    except OSError as exc:
        raise EnvFileError(path, f"cannot read: {exc.strerror or exc}", code="unreadable") from exc


def load_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; returns ``(data, text)``. Raises EnvFileError with line/column."""
    text = read_text(path)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise toml_error(path, exc, text) from exc
