"""Per-file findings for editors: every problem kernelenv sees in one env file, with its range.

The language server turns these into LSP diagnostics; other faces may show them too.
Everything is read with the engine's own parsers (:mod:`kernelenv.parsers`), so an
editor shows exactly the errors ``kernelenv create`` would raise. File reads only:
no uv, no solver, no project code (the interpreter search may run an installed Python
once to read its version, as :mod:`kernelenv.interpreters` does).

A finding is an :class:`~kernelenv.errors.EnvFileError` (1-based ``line``/``column``,
``end_line``/``end_column`` exclusive, a stable ``code``) plus a severity.

Codes, besides the parsers' own (``yaml-syntax``, ``toml-syntax``,
``invalid-requirement``, ``invalid-matchspec``, ``invalid-python-version`` ...):

* ``python-not-found``: no installed interpreter satisfies the file's Python request
  (uv backend only; conda-family backends install their own Python);
* ``lock-outdated``: the spec changed since the lock was written
  (:func:`kernelenv.state.lock_outdated`);
* ``env-stale``: the env was built from an older version of this file
  (:func:`kernelenv.api.status`);
* ``windows-only-package`` / ``windows-build-string``: a ``conda env export`` made on
  Windows, which will not solve on this platform (see :mod:`kernelenv.parsers.conda`);
* ``build-string``: a build pin, platform-specific (information).
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .errors import EnvFileError, PythonNotFoundError
from .model import Backend, PythonRequest, Project, Status, StatusReport

ERROR, WARNING, INFO = "error", "warning", "information"

#: File-name patterns :func:`diagnose_file` checks (fnmatch, matched on the name only).
PATTERNS = ("environment.yml", "environment.yaml", "environment-*.yml", "environment-*.yaml",
            "requirements*.txt", "pyproject.toml", "Pipfile", "pixi.toml", "runtime.txt",
            ".python-version")


@dataclass(frozen=True)
class Finding:
    """One problem in one file.

    Args:
        error: the problem (``path``, 1-based ``line``/``column``, exclusive
            ``end_line``/``end_column`` when known, ``code``, ``detail``).
        severity: ``"error"`` | ``"warning"`` | ``"information"``.
    """

    error: EnvFileError
    severity: str = ERROR


def is_diagnosable(path: Path | str) -> bool:
    """Whether :func:`diagnose_file` knows the file's format (by name, see :data:`PATTERNS`)."""
    name = Path(path).name
    return any(fnmatch.fnmatchcase(name, p) for p in PATTERNS)


def kind_of(path: Path | str) -> str | None:
    """The format of a diagnosable file: ``environment.yml``, ``requirements``,
    ``pyproject``, ``Pipfile``, ``pixi.toml``, ``runtime.txt``, ``python-version``; else ``None``."""
    name = Path(path).name
    if fnmatch.fnmatchcase(name, "environment*.y*ml"):
        return "environment.yml"
    if fnmatch.fnmatchcase(name, "requirements*.txt"):
        return "requirements"
    return {"pyproject.toml": "pyproject", "Pipfile": "Pipfile", "pixi.toml": "pixi.toml",
            "runtime.txt": "runtime.txt", ".python-version": "python-version"}.get(name)


# -- reading unsaved text -------------------------------------------------------------

class _Shadow:
    """A temp folder mirroring ``path``'s folder, with ``path`` replaced by ``text``.

    The parsers read files by path and resolve includes (``-r other.txt``) beside the
    file; the siblings are symlinked so includes still resolve. Error paths pointing
    into the shadow are mapped back with :meth:`unshadow`.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.original = path
        self.dir = Path(tempfile.mkdtemp(prefix="kernelenv-diag-"))
        self.path = self.dir / path.name
        self.path.write_text(text, encoding="utf-8")
        try:
            siblings = os.listdir(path.parent)
        except OSError:
            siblings = []
        for n in siblings:
            if n == path.name:
                continue
            try:
                os.symlink(path.parent / n, self.dir / n)
            except OSError:
                pass

    def unshadow(self, err: EnvFileError) -> EnvFileError:
        if err.path.parent != self.dir:
            return err
        return EnvFileError(self.original.parent / err.path.name, err.detail, err.line, err.column,
                            end_line=err.end_line, end_column=err.end_column, code=err.code)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _read_disk(path: Path) -> str | None:
    from .parsers.errors_util import MAX_SPEC_BYTES

    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            return None
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _too_large(path: Path, text: str | None) -> EnvFileError | None:
    """The ``file-too-large`` error when the buffer (or, for ``None``, the file) is over the limit."""
    from .parsers.errors_util import MAX_SPEC_BYTES, too_large

    if text is None:
        try:
            size = path.stat().st_size
        except OSError:
            return None
    else:
        size = len(text) if len(text) > MAX_SPEC_BYTES else len(text.encode("utf-8", "surrogatepass"))
    return too_large(path, size, MAX_SPEC_BYTES) if size > MAX_SPEC_BYTES else None


# -- the checks -----------------------------------------------------------------------

def _parse(kind: str, path: Path):
    """Run the engine parser for ``kind`` on ``path``; returns its result (raises EnvFileError)."""
    if kind == "environment.yml":
        from .parsers.conda import read_environment_yml

        return read_environment_yml(path)
    if kind == "requirements":
        from .parsers.requirements import read_requirements

        return read_requirements(path)
    if kind == "pyproject":
        from .parsers.pyproject import read_pyproject

        return read_pyproject(path)
    if kind == "Pipfile":
        from .parsers.pipfile import read_pipfile

        return read_pipfile(path)
    if kind == "pixi.toml":
        from .parsers.pixi import read_pixi_toml

        return read_pixi_toml(path)
    if kind == "runtime.txt":
        from .parsers.python_request import from_runtime_txt

        return from_runtime_txt(path)
    if kind == "python-version":
        from .parsers.python_request import from_python_version_file

        return from_python_version_file(path)
    return None


def _line_text(text: str, line: int) -> str:
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _first_line_error(path: Path, text: str, message: str, code: str) -> EnvFileError:
    """An error spanning the first non-blank line (for file-level findings)."""
    for no, line in enumerate(text.splitlines(), 1):
        if line.strip():
            start = len(line) - len(line.lstrip())
            return EnvFileError(path, message, no, start + 1, end_line=no, end_column=len(line.rstrip()) + 1,
                                code=code)
    return EnvFileError(path, message, 1, 1, end_line=1, end_column=1, code=code)


def _python_request(kind: str, parsed, path: Path) -> PythonRequest | None:
    from .parsers import python_request as pr

    try:
        if kind in ("runtime.txt", "python-version"):
            return parsed
        if kind == "pyproject" and parsed.requires_python:
            return PythonRequest(parsed.requires_python, path, parsed.requires_python_raw or "")
        if kind == "Pipfile" and parsed.python_version:
            return pr.from_pipfile_version(parsed.python_version, path)
    except EnvFileError:
        return None
    return None


def _python_line(kind: str, parsed, text: str, req: PythonRequest) -> tuple[int, int, int] | None:
    """(line, start col, end col) 1-based/exclusive of the Python request in ``text``."""
    from .parsers.errors_util import find_position, find_string_value

    if kind in ("runtime.txt", "python-version"):
        line, col = find_position(text, req.raw)
    elif kind == "pyproject":
        line, col = find_string_value(text, req.raw)
    elif kind == "Pipfile":
        line, col = find_string_value(text, parsed.python_version or req.raw)
        req = PythonRequest(req.specifier, req.source, parsed.python_version or req.raw)
    else:
        return None
    if line is None or col is None:
        return None
    return line, col, col + len(req.raw)


def _check_python(kind: str, parsed, path: Path, text: str, project: Project | None,
                  choose: Callable[..., object]) -> Iterator[Finding]:
    if project is not None and project.backend is not Backend.UV:
        return
    if project is not None and project.python is not None and project.python.source != path:
        return  # another file decides the project's Python; that file gets the finding
    req = _python_request(kind, parsed, path)
    if req is None:
        return
    try:
        choose(req.specifier, source=path)
    except PythonNotFoundError as e:
        where = _python_line(kind, parsed, text, req)
        if where:
            line, col, end = where
            err = EnvFileError(path, str(e), line, col, end_line=line, end_column=end, code=e.code)
        else:
            err = _first_line_error(path, text, str(e), e.code)
        yield Finding(err, ERROR)
    except ValueError:
        return


_WIN_PREFIX = re.compile(r"^[A-Za-z]:\\")


def _check_conda(spec, path: Path, text: str) -> Iterator[Finding]:
    windows = bool(spec.windows_only) or bool(spec.prefix and _WIN_PREFIX.match(spec.prefix))
    if sys.platform == "win32":
        return
    for e in spec.entries:
        line = _line_text(text, e.line)
        start = e.column
        end = start + len(e.spec) + (2 if line[start - 1:start] in ("'", '"') else 0)
        rng = dict(end_line=e.line, end_column=end)
        if e.windows_only:
            yield Finding(EnvFileError(path, f"`{e.name}` exists only for Windows; it cannot be installed on "
                                       f"{sys.platform}. kernelenv can drop it (strip builds).",
                                       e.line, start, code="windows-only-package", **rng), WARNING)
        elif e.build and windows:
            yield Finding(EnvFileError(path, f"build string `{e.build}` comes from a Windows `conda env export`; "
                                       "no such build exists here. kernelenv can strip build strings.",
                                       e.line, start, code="windows-build-string", **rng), WARNING)
        elif e.build:
            yield Finding(EnvFileError(path, f"build string `{e.build}` pins a platform-specific build.",
                                       e.line, start, code="build-string", **rng), INFO)


def _check_state(path: Path, text: str, project: Project | None, report: StatusReport | None
                 ) -> Iterator[Finding]:
    if project is None:
        return
    try:
        rel = path.relative_to(project.root).as_posix()
    except ValueError:
        return
    if report is not None and report.status is Status.STALE and rel in report.changed:
        yield Finding(_first_line_error(path, text, f"{rel} changed since the env was built: the env is stale. "
                                        "Create (or lock, then rebuild) to update it.", "env-stale"), WARNING)
    if report is not None and report.status is Status.DRIFTED and project.spec == path:
        yield Finding(_first_line_error(path, text, f"{report.reason}", "env-drifted"), WARNING)
    if project.spec == path and project.lock is not None:
        from .state import lock_outdated

        reason = lock_outdated(project)
        if reason:
            yield Finding(_first_line_error(path, text, f"lock out of date: {reason}", "lock-outdated"), WARNING)


def diagnose_file(path: Path | str, project: Project | None = None, *, text: str | None = None,
                  report: StatusReport | None = None,
                  choose: Callable[..., object] | None = None) -> list[Finding]:
    """Every finding for one env file.

    Args:
        path: the file (absolute).
        project: its project (from :func:`kernelenv.api.detect`), for the state checks
            and the backend; ``None`` checks the file alone.
        text: the editor's unsaved text; ``None`` reads the file from disk.
        report: the project's :class:`StatusReport` when the caller has it (else the
            stale check is skipped: the caller decides how fresh the status must be).
        choose: interpreter choice (default :func:`kernelenv.interpreters.choose`).

    Returns:
        Findings in file order: every parse error the reader found (readers go on
        after the first error where the format allows); a parse error skips the
        Python and conda checks, the state checks still run.
    """
    path = Path(path)
    kind = kind_of(path)
    if kind is None:
        return []
    if choose is None:
        from .interpreters import choose
    big = _too_large(path, text)
    if big is not None:  # one finding saying so; nothing is parsed or copied
        return [Finding(big, ERROR)]
    disk = _read_disk(path)
    if text is None:
        text = disk if disk is not None else ""
    shadow = _Shadow(path, text) if disk is None or text != disk else None
    findings: list[Finding] = []
    try:
        parsed = _parse(kind, shadow.path if shadow else path)
    except EnvFileError as e:
        # Readers go on after the first error where the format allows: one finding each.
        findings.extend(Finding(shadow.unshadow(x) if shadow else x, ERROR) for x in e.expand())
        parsed = None
    except Exception as e:  # a parser bug is reported, never raised
        findings.append(Finding(EnvFileError(path, f"could not read the file: {e}", 1, 1, code="parse-failed"),
                                ERROR))
        parsed = None
    finally:
        if shadow:
            shadow.close()
    if parsed is not None:
        findings.extend(_check_python(kind, parsed, path, text, project, choose))
        if kind == "environment.yml":
            findings.extend(_check_conda(parsed, path, text))
    findings.extend(_check_state(path, text, project, report))
    findings.sort(key=lambda f: (f.error.line or 0, f.error.column or 0))
    return findings


def requirement_at(path: Path | str, line: int, *, text: str | None = None) -> str | None:
    """The normalized name of the requirement written on 1-based ``line``, or ``None``.

    Uses the engine parsers (requirements files, environment.yml conda and pip entries,
    pyproject dependencies and groups, Pipfile packages).
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    path = Path(path)
    kind = kind_of(path)
    if kind not in ("requirements", "environment.yml", "pyproject", "Pipfile"):
        return None
    disk = _read_disk(path)
    if text is None:
        text = disk or ""
    shadow = _Shadow(path, text) if disk is None or text != disk else None
    try:
        parsed = _parse(kind, shadow.path if shadow else path)
    except Exception:
        return None
    finally:
        if shadow:
            shadow.close()
    if kind == "requirements":
        target = shadow.path if shadow else path
        for r in parsed:
            if r.line == line and r.path == target and r.name:
                return canonicalize_name(r.name)
        return None
    if kind == "environment.yml":
        for e in parsed.entries:
            if e.line == line:
                return e.name
        strings = list(parsed.pip)
    elif kind == "pyproject":
        strings = list(parsed.dependencies)
        for deps in [*parsed.optional_dependencies.values(), *parsed.dependency_groups.values()]:
            strings.extend(deps)
    else:
        strings = list(parsed.packages) + list(parsed.dev_packages)
    row = _line_text(text, line)
    for s in strings:
        try:
            name = Requirement(s).name
        except InvalidRequirement:
            continue
        if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", row, flags=re.I):
            return canonicalize_name(name)
    return None


__all__ = ["Finding", "diagnose_file", "is_diagnosable", "kind_of", "requirement_at", "PATTERNS",
           "ERROR", "WARNING", "INFO"]
