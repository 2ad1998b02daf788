"""Engine findings (:mod:`kernelenv.diagnose`) as LSP diagnostics with exact ranges."""

from __future__ import annotations

import time
from pathlib import Path

from lsprotocol import types

from kernelenv.diagnose import ERROR, INFO, WARNING, Finding, diagnose_file, is_diagnosable
from kernelenv.model import Project, StatusReport

SOURCE = "kernelenv"
_SEVERITY = {ERROR: types.DiagnosticSeverity.Error, WARNING: types.DiagnosticSeverity.Warning,
             INFO: types.DiagnosticSeverity.Information}


def is_env_file(path: Path) -> bool:
    """Whether the server gives diagnostics, lenses and hovers for ``path``."""
    return is_diagnosable(path)


def _col(line_text: str, col0: int, utf16: bool) -> int:
    """A 0-based code-point column as the client counts it (UTF-16 code units unless ``utf16`` is off)."""
    col0 = max(0, min(col0, len(line_text)))
    if not utf16:
        return col0
    return len(line_text[:col0].encode("utf-16-le")) // 2


def to_range(f: Finding, lines: list[str], utf16: bool = True) -> types.Range:
    """The LSP range of a finding.

    Engine positions are 1-based with exclusive ends. No column: the whole line. No
    end: from the column to the end of the line. No line: the start of the file.
    """
    e = f.error
    if e.line is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    ln = e.line - 1
    text = lines[ln] if 0 <= ln < len(lines) else ""
    if e.column is None:
        start = len(text) - len(text.lstrip())
        return types.Range(types.Position(ln, _col(text, start, utf16)),
                           types.Position(ln, _col(text, len(text.rstrip()), utf16)))
    start = e.column - 1
    if e.end_line is not None and e.end_column is not None:
        eln = e.end_line - 1
        etext = lines[eln] if 0 <= eln < len(lines) else ""
        end = types.Position(eln, _col(etext, e.end_column - 1, utf16))
    else:
        end = types.Position(ln, _col(text, max(len(text.rstrip()), start + 1), utf16))
    return types.Range(types.Position(ln, _col(text, start, utf16)), end)


def to_diagnostic(f: Finding, lines: list[str], utf16: bool = True) -> types.Diagnostic:
    """One LSP diagnostic (``source: "kernelenv"``, ``code``: the engine's error code)."""
    return types.Diagnostic(range=to_range(f, lines, utf16), message=f.error.detail,
                            severity=_SEVERITY.get(f.severity, types.DiagnosticSeverity.Error),
                            code=f.error.code, source=SOURCE)


_INTERPRETERS: tuple[float, list] = (0.0, [])
_INTERPRETERS_TTL = 30.0


def _choose(request, *, source=None):
    """:func:`kernelenv.interpreters.choose` over the installed interpreters, looked up at
    most every 30 s (diagnostics run on every keystroke)."""
    from kernelenv import interpreters

    global _INTERPRETERS
    now = time.monotonic()
    if now - _INTERPRETERS[0] > _INTERPRETERS_TTL:
        _INTERPRETERS = (now, interpreters.find_interpreters())
    return interpreters.choose(request, source=source, interpreters=_INTERPRETERS[1])


def diagnostics_for(path: Path, text: str | None, project: Project | None, report: StatusReport | None,
                    utf16: bool = True) -> list[types.Diagnostic]:
    """Diagnostics of one env file (``text``: the editor's buffer, ``None`` to read the disk)."""
    if text is None:
        from kernelenv.parsers.errors_util import MAX_SPEC_BYTES

        try:  # a file over the size limit gets one diagnostic from diagnose_file, unread
            text = path.read_text(encoding="utf-8-sig") if path.stat().st_size <= MAX_SPEC_BYTES else None
        except (OSError, UnicodeDecodeError):
            text = ""
    findings = diagnose_file(path, project, text=text, report=report, choose=_choose)
    if text is None:
        text = ""
    lines = text.splitlines()
    return [to_diagnostic(f, lines, utf16) for f in findings if f.error.path == path]
