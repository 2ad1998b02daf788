"""Bounded reading of env files, and the errors of tomllib, PyYAML, json and packaging as :class:`EnvFileError`.

Each ``*_error`` helper returns an :class:`~kernelenv.errors.EnvFileError` (it does not
raise) so callers write ``raise toml_error(path, exc) from exc``.

Bounded parsing (issue 17: a cloned repository is hostile input): every file is read
through :func:`read_text`, which refuses files over :data:`MAX_SPEC_BYTES` (specs) or
:data:`MAX_LOCK_BYTES` (locks) before reading them; parsed documents deeper than
:data:`MAX_DEPTH` are refused (:func:`check_depth`, :func:`compose_yaml`); and
:func:`bounded` turns whatever else a reader raises (``RecursionError``,
``MemoryError``, ``UnicodeDecodeError``, a ``TypeError`` from an unexpected value
type) into an :class:`EnvFileError` on that file, so one bad file is an error on its
project and never an exception that hides the other projects.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from ..errors import EnvFileError, EnvFileErrors
from ..readlog import note

#: Largest spec file read (requirements*.txt, environment.yml, pyproject.toml, Pipfile,
#: pixi.toml, runtime.txt ...): 4 MiB. Real ones are a few KB; a hashed requirements
#: file of a large app is well under 1 MiB.
MAX_SPEC_BYTES = 4 * 1024 * 1024
#: Largest lock file read (uv.lock, poetry.lock, Pipfile.lock, conda-lock.yml, pixi.lock,
#: @EXPLICIT lists): 16 MiB. The corpus' largest is 0.5 MB; a five-platform lock of a
#: 500-package conda env is about 2 MB. Parsing 16 MiB of TOML takes ~2 s and ~200 MB.
MAX_LOCK_BYTES = 16 * 1024 * 1024
#: Deepest nesting of lists/tables/mappings accepted in TOML, YAML and JSON env files.
#: Real env files nest 5-8 levels; Python's parsers recurse per level.
MAX_DEPTH = 64

_F = TypeVar("_F", bound=Callable[..., Any])

TYPE_CHECKING = False
if TYPE_CHECKING:
    import tomllib


def _tomllib():
    """tomllib (tomli before Python 3.11), imported when a TOML file is parsed: reading a
    requirements file or a state file needs no TOML parser (issue 15)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


# Anchored at the end, no leading ``\s*``: a leading ``\s*`` with ``search`` is
# quadratic in a run of spaces.
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)$")
_TOML_EOF = re.compile(r"\(at end of document\)$")


def toml_error(path: Path, exc: tomllib.TOMLDecodeError, text: str | None = None) -> EnvFileError:
    """An EnvFileError from a :class:`tomllib.TOMLDecodeError`.

    tomllib puts the position in the message (``"... (at line 3, column 7)"``); the
    position is moved to ``line``/``column`` and the message keeps only the reason.
    ``text`` (the file's content) lets "at end of document" point at the last line.
    """
    msg = str(exc).rstrip()
    line = col = None
    m = _TOML_POS.search(msg)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        msg = msg[: m.start()].rstrip()
    else:
        m = _TOML_EOF.search(msg)
        if m:
            msg = msg[: m.start()].rstrip() + " at end of file"
            if text is not None:
                line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    return EnvFileError(path, f"invalid TOML: {msg}", line, col, code="toml-syntax")


def yaml_error(path: Path, exc: Exception, text: str | None = None) -> EnvFileError:
    """An EnvFileError from a PyYAML error (marks are 0-based; ours are 1-based).

    ``MarkedYAMLError`` carries a mark; a ``ReaderError`` (a control character) only a
    character ``position``, turned into line/column with ``text``.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    line = mark.line + 1 if mark is not None else None
    col = mark.column + 1 if mark is not None else None
    if problem is None:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        pos = getattr(exc, "position", None)
        if isinstance(pos, int) and text is not None and mark is None:
            line = text.count("\n", 0, pos) + 1
            col = pos - (text.rfind("\n", 0, pos) + 1) + 1
            reason = getattr(exc, "reason", None)
            if reason:
                problem = f"{reason} (character {getattr(exc, 'character', '?')!r})"
    msg = f"{context}: {problem}" if context and problem else problem
    return EnvFileError(path, f"invalid YAML: {msg}", line or 1, col, code="yaml-syntax")


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
                            label: str | None = None, start: int = 0) -> None:
    """Validate ``req`` (a PEP 508 string built from TOML table entry ``name``).

    Args:
        what: how the message describes the problem, e.g. ``"not a valid requirement"``.
        label: how the message names the entry (default: ``name``).
        start: offset in ``text`` where the entry's table starts (the entry is looked
            for from there, so the same name in two tables gets the right line).

    Raises:
        EnvFileError: code ``invalid-requirement``, at the line of ``name = ...`` (or
            ``"name" = ...``) in ``text``.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(req)
    except InvalidRequirement as exc:
        line, col = find_position(text, f"{name} =", start)
        if line is None:
            line, col = find_position(text, f'"{name}" =', start)
        end = None
        if line is not None:
            lines = text.splitlines()
            end = len(lines[line - 1].rstrip()) + 1 if line <= len(lines) else None
        raise EnvFileError(path, f"{label or name}: {what} ({req!r}): {str(exc).splitlines()[0]}", line, col,
                           end_line=line if end else None, end_column=end,
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


def too_large(path: Path, size: int, limit: int) -> EnvFileError:
    """The error for a file over ``limit`` bytes (code ``file-too-large``, at line 1)."""
    return EnvFileError(path, f"file is too large to read ({size:,} bytes; kernelenv reads env files up to "
                        f"{limit:,} bytes = {limit // (1024 * 1024)} MiB)", 1, 1, code="file-too-large")


def read_text(path: Path, limit: int = MAX_SPEC_BYTES) -> str:
    """The file's text (UTF-8, BOM stripped, universal newlines), or an EnvFileError when it cannot be read.

    Args:
        path: the file.
        limit: the largest size read, in bytes (:data:`MAX_SPEC_BYTES` or
            :data:`MAX_LOCK_BYTES`); checked before reading, and the read itself stops
            at ``limit + 1`` bytes (a file growing meanwhile, a device).

    Raises:
        EnvFileError: code ``file-too-large``, ``encoding`` (with the byte offset) or
            ``unreadable``.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            try:
                size = os.fstat(f.fileno()).st_size
            except OSError:
                size = 0
            if size > limit:
                note(path, None)  # not read: a memo (kernelenv.projectmemo) never holds this answer
                raise too_large(path, size, limit)
            data = f.read(limit + 1)
    except OSError as exc:
        note(path, None)
        raise EnvFileError(path, f"cannot read: {exc.strerror or exc}", code="unreadable") from exc
    note(path, data)
    if len(data) > limit:
        raise too_large(path, len(data), limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise EnvFileError(path, f"not UTF-8 text: {exc.reason} at byte {exc.start}", line, col,
                           code="encoding") from exc
    # Universal newlines, as Path.read_text gives (parsers and line numbers see "\n" only).
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def nesting_error(path: Path, text: str | None, limit: int = MAX_DEPTH) -> EnvFileError:
    """The error for a document nested deeper than ``limit`` (code ``too-deep``).

    The line is where brackets (``[``/``{``) first open deeper than ``limit`` (TOML
    and JSON nest with brackets; this only locates the error, the parser decided it);
    line 1 when no bracket run is that deep (e.g. dotted TOML keys).
    """
    line = col = 1
    if text is not None:
        depth = 0
        no, start = 1, 0
        for i, ch in enumerate(text):
            if ch == "\n":
                no, start = no + 1, i + 1
            elif ch in "[{":
                depth += 1
                if depth > limit:
                    line, col = no, i - start + 1
                    break
            elif ch in "]}":
                depth = max(0, depth - 1)
    return EnvFileError(path, f"nested deeper than {limit} levels; kernelenv refuses such files "
                        "(real env files nest a few levels)", line, col, code="too-deep")


def check_depth(path: Path, data: Any, text: str | None = None, limit: int = MAX_DEPTH) -> None:
    """Raise :func:`nesting_error` when ``data`` (parsed dicts/lists) nests deeper than ``limit``.

    Iterative, and each container is visited once (YAML aliases can share, or even
    cycle through, containers), so the check is linear in the document's size.
    """
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, dict):
            children = obj.values()
        elif isinstance(obj, (list, tuple)):
            children = obj
        else:
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if depth >= limit:
            raise nesting_error(path, text, limit)
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list, tuple)))


def load_toml(path: Path, limit: int = MAX_SPEC_BYTES) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; returns ``(data, text)``.

    Args:
        limit: size limit in bytes (see :func:`read_text`).

    Raises:
        EnvFileError: syntax (line/column from tomllib), size, encoding, nesting deeper
            than :data:`MAX_DEPTH`.
    """
    text = read_text(path, limit)
    try:
        data = _tomllib().loads(text)
    except _tomllib().TOMLDecodeError as exc:
        raise toml_error(path, exc, text) from exc
    except RecursionError:
        raise nesting_error(path, text) from None
    check_depth(path, data, text)
    return data, text


def check_node_depth(path: Path, root, limit: int = MAX_DEPTH) -> None:  # noqa: ANN001 - a yaml.Node
    """Raise ``too-deep`` (at the node's line) when a composed YAML tree nests deeper than ``limit``,
    and ``yaml-alias`` when an alias points at a list or mapping (a "billion laughs" file).

    Iterative and linear: each node is visited once."""
    import yaml

    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, yaml.CollectionNode):
            continue
        if id(node) in seen:  # an alias (``*a``) to a list/mapping: expands exponentially when nested
            m = node.start_mark
            raise EnvFileError(path, "YAML alias to a list or mapping defined at this line; kernelenv "
                               "refuses those in env files (nested aliases expand exponentially)",
                               m.line + 1, m.column + 1, code="yaml-alias")
        seen.add(id(node))
        if depth >= limit:
            m = node.start_mark
            raise EnvFileError(path, f"nested deeper than {limit} levels; kernelenv refuses such files "
                               "(real env files nest a few levels)", m.line + 1, m.column + 1, code="too-deep")
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        else:
            stack.extend((c, depth + 1) for c in node.value)


def _yaml_loader(base: type) -> type:
    """A PyYAML loader class whose composer refuses nodes deeper than :data:`MAX_DEPTH`."""
    import yaml

    class _Bounded(base):  # type: ignore[misc, valid-type]
        _depth = 0

        def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    event = self.peek_event()
                    raise yaml.composer.ComposerError(
                        None, None, f"nested deeper than {MAX_DEPTH} levels; kernelenv refuses such files",
                        event.start_mark)
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return _Bounded


_YAML_LOADER: type | None = None
#: Files up to this size get PyYAML's own error message (see :func:`compose_yaml`).
_REPARSE_BYTES = 256 * 1024


def compose_yaml(path: Path, text: str):
    """``yaml.compose`` of ``text`` with a nesting limit (pure-Python SafeLoader; marks for errors).

    Returns:
        The root node, or ``None`` for an empty document.

    Raises:
        EnvFileError: YAML syntax (line/column of the mark, code ``yaml-syntax``) or
            nesting deeper than :data:`MAX_DEPTH`.
    """
    import yaml

    global _YAML_LOADER
    if _YAML_LOADER is None:
        _YAML_LOADER = _yaml_loader(yaml.SafeLoader)
    # libyaml (CSafeLoader) when PyYAML has it: ~20x faster, and it refuses nesting over
    # 1000 levels itself. Its syntax messages are terser than PyYAML's ("did not find
    # expected key"), so a small file with an error is parsed again by the depth-limited
    # pure-Python loader for the message users know.
    fast = getattr(yaml, "CSafeLoader", None)
    try:
        node = yaml.compose(text, Loader=fast or _YAML_LOADER)
    except yaml.YAMLError as exc:
        if fast is not None and len(text) <= _REPARSE_BYTES:
            try:
                yaml.compose(text, Loader=_YAML_LOADER)
            except yaml.YAMLError as slow:
                raise yaml_error(path, slow, text) from slow
            except RecursionError:
                pass
        raise yaml_error(path, exc, text) from exc
    except RecursionError:
        raise nesting_error(path, None) from None
    if node is not None:
        check_node_depth(path, node)
    return node


def bounded(reader: _F) -> _F:
    """Decorate a reader ``reader(path, ...)``: anything it raises becomes an EnvFileError on ``path``.

    ``EnvFileError`` passes through (one without a position is placed at line 1);
    ``RecursionError`` becomes ``too-deep``;
    ``MemoryError`` ``file-too-large``; ``UnicodeDecodeError`` ``encoding``; ``OSError``
    ``unreadable``; any other exception (a value of an unexpected type reaching code
    that assumed another) ``invalid-content``, naming the exception. Line 1 when the
    reader gave no position.
    """

    @functools.wraps(reader)
    def wrapper(path, *args, **kwargs):  # noqa: ANN001, ANN202
        try:
            return reader(path, *args, **kwargs)
        except EnvFileError as exc:
            if any(e.line is None and e.code != "unreadable" for e in exc.expand()):
                raise _at_line_1(exc) from exc
            raise
        except RecursionError:
            raise nesting_error(Path(path), None) from None
        except MemoryError:
            raise EnvFileError(path, "out of memory while reading this file", 1, 1,
                               code="file-too-large") from None
        except UnicodeDecodeError as exc:
            raise EnvFileError(path, f"not UTF-8 text: {exc.reason} at byte {exc.start}", 1, 1,
                               code="encoding") from None
        except OSError as exc:
            raise EnvFileError(path, f"cannot read: {exc.strerror or exc}", code="unreadable") from None
        except Exception as exc:  # noqa: BLE001 - an unexpected shape is an error in the file
            msg = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise EnvFileError(path, f"unexpected content ({type(exc).__name__}: {msg})", 1, 1,
                               code="invalid-content") from exc

    return wrapper  # type: ignore[return-value]


def _at_line_1(exc: EnvFileError) -> EnvFileError:
    """``exc`` with file-level errors (no position from the format's parser) placed at line 1,
    so every face can show them on the file (an editor needs a range)."""
    out = []
    for e in exc.expand():
        if e.line is None and e.code != "unreadable":
            e = EnvFileError(e.path, e.detail, 1, None, code=e.code)
        out.append(e)
    return out[0] if len(out) == 1 else EnvFileErrors(out)


class Collector:
    """Errors of one reader that goes on after the first (issue 14: every error reported).

    ``with errors.attempt(): ...`` records an EnvFileError raised inside and carries
    on; :meth:`raise_all` raises them (one :class:`EnvFileError`, or
    :class:`EnvFileErrors` for several, in file order) at the end.
    """

    #: Errors collected per file; at the next one the reader stops (each error costs a position
    #: lookup, so a file of 100,000 bad entries would otherwise cost minutes).
    LIMIT = 200

    def __init__(self) -> None:
        self.errors: list[EnvFileError] = []

    @contextlib.contextmanager
    def attempt(self) -> Iterator[None]:
        try:
            yield
        except EnvFileError as exc:
            self.add(exc)

    def add(self, exc: EnvFileError) -> None:
        """Record ``exc`` (and whatever it stands for); past :attr:`LIMIT` errors, raise them all
        with one more saying the reader stopped there."""
        self.errors.extend(exc.expand())
        if len(self.errors) > self.LIMIT:
            last = self.errors[self.LIMIT - 1]
            stop = EnvFileError(last.path, f"more than {self.LIMIT} errors; kernelenv stopped reading this "
                                "file here", last.line, None, code="too-many-errors")
            raise EnvFileErrors(self._sorted(self.errors[: self.LIMIT]) + [stop])

    @staticmethod
    def _sorted(errors: list[EnvFileError]) -> list[EnvFileError]:
        return sorted(errors, key=lambda e: (str(e.path), e.line or 0, e.column or 0))

    def raise_all(self) -> None:
        """Raise what was recorded, if anything."""
        if not self.errors:
            return
        errs = self._sorted(self.errors)
        if len(errs) == 1:
            raise errs[0]
        raise EnvFileErrors(errs)
