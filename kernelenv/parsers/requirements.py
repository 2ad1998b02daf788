"""pip requirements files (``requirements*.txt``, ``requirements.in``).

Source: pip's "Requirements File Format"
(https://pip.pypa.io/en/stable/reference/requirements-file-format/): one PEP 508
requirement per line, ``#`` comments (at line start or after whitespace), ``\\``
line continuations, ``-r``/``-c`` includes relative to the including file, ``-e``
editable installs, global options (``--index-url``, ``--extra-index-url``,
``--find-links``, ``--no-index``, ``--pre`` ...) and per-requirement options
(``--hash``, ``--config-settings``). Requirements are parsed with
:class:`packaging.requirements.Requirement` (PEP 508).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from ..errors import EnvFileError
from ..readlog import probe
from .errors_util import Collector, bounded, read_text, requirement_error

#: Global options pip accepts in a requirements file, with whether they take a value.
GLOBAL_OPTIONS: dict[str, bool] = {
    "-i": True, "--index-url": True, "--extra-index-url": True, "--no-index": False,
    "-f": True, "--find-links": True, "--pre": False, "--trusted-host": True,
    "--prefer-binary": False, "--only-binary": True, "--no-binary": True,
    "--require-hashes": False, "--use-feature": True,
}
_LONG = {"-i": "--index-url", "-f": "--find-links", "-r": "--requirement",
         "-c": "--constraint", "-e": "--editable"}
_PER_REQ = ("--hash", "--config-settings", "--global-option", "--install-option")
# A comment starts at a ``#`` that begins the line or follows whitespace (pip's rule).
# Found with a lookbehind, not pip's ``(^|\s+)#.*$``: that pattern backtracks over every
# suffix of a run of spaces, quadratic in the run (issue 17: 40,000 spaces took 11 s).
_COMMENT = re.compile(r"(?:^|(?<=\s))#")
#: Most requirement lines one file may hold (a real env has a few hundred; 100,000
#: lines made ``create`` run for minutes with no word).
MAX_LINES = 10_000


@dataclass(frozen=True)
class ReqLine:
    """One logical line of a requirements file.

    Exactly one of ``requirement`` (a PEP 508 requirement), ``option`` (a global
    option such as ``--index-url``) or ``url`` (an editable/URL/path install that is
    not a PEP 508 string) is set.

    Args:
        path: the file the line is in (an included file for ``-r`` lines).
        line: 1-based line number (the first physical line of a continued line).
        raw: the logical line as written, comments removed.
        requirement: the parsed requirement.
        option: the long option name (``--index-url``), for option lines.
        value: the option's value, if it takes one.
        hashes: ``--hash`` values (``sha256:...``).
        editable: ``-e`` line.
        constraint: the line comes from a ``-c`` constraints file.
        url: target of a ``-e`` or bare URL/path line.
    """

    path: Path
    line: int
    raw: str
    requirement: Requirement | None = None
    option: str | None = None
    value: str | None = None
    hashes: tuple[str, ...] = ()
    editable: bool = False
    constraint: bool = False
    url: str | None = None
    extra_options: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str | None:
        """The requirement's name as written, or the ``#egg=`` name of a URL line."""
        if self.requirement is not None:
            return self.requirement.name
        if self.url and "#egg=" in self.url:
            return self.url.split("#egg=", 1)[1].split("&")[0]
        return None


def logical_lines(text: str) -> list[tuple[int, str, int]]:
    """``(line number, text without comment, column offset)`` for each logical line.

    Continuation lines ending in ``\\`` are joined; blank and comment-only lines are dropped.
    """
    out: list[tuple[int, str, int]] = []
    buf = ""
    start = 0
    for no, physical in enumerate(text.splitlines(), 1):
        if not buf:
            start = no
        m = _COMMENT.search(physical)
        stripped = physical[: m.start()].rstrip() if m else physical
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        if buf.strip():
            lead = len(buf) - len(buf.lstrip())
            out.append((start, buf.strip(), lead))
        buf = ""
    if buf.strip():
        out.append((start, buf.strip(), len(buf) - len(buf.lstrip())))
    return out


@bounded
def read_requirements(path: Path, *, constraint: bool = False,
                      _seen: frozenset[Path] = frozenset()) -> list[ReqLine]:
    """Parse a requirements file, following ``-r``/``-c`` includes.

    Args:
        path: the file.
        constraint: mark every line as coming from a constraints file.

    Returns:
        The lines in file order, includes expanded in place (their ``path`` is the
        included file).

    Raises:
        EnvFileError: an invalid requirement (line and column from packaging's
            parser), an unknown option, a missing or circular include, a file over
            :data:`~.errors_util.MAX_SPEC_BYTES` or with more than :data:`MAX_LINES`
            lines. Every line is checked: several bad lines raise
            :class:`~kernelenv.errors.EnvFileErrors` holding one error per line.
    """
    path = Path(path)
    text = read_text(path)
    seen = _seen | {path.resolve()}
    out: list[ReqLine] = []
    lines = logical_lines(text)
    if len(lines) > MAX_LINES:
        no = lines[MAX_LINES][0]
        raise EnvFileError(path, f"{len(lines):,} requirement lines; kernelenv reads up to {MAX_LINES:,} "
                           "per file (split the file, or check it is a requirements file)", no, 1,
                           code="file-too-large")
    errors = Collector()
    for no, line, col0 in lines:
        with errors.attempt():
            out.extend(parse_line(path, no, line, col0, constraint=constraint, seen=seen))
    errors.raise_all()
    return out


def _split_opt(line: str) -> tuple[str, str | None]:
    if line.startswith("--"):
        m = re.match(r"^(--[\w-]+)(?:\s*=\s*|\s+)?(.*)$", line)
    else:
        m = re.match(r"^(-\w)\s*(.*)$", line)
    if not m:
        return line, None
    return m.group(1), (m.group(2).strip() or None)


def parse_line(path: Path, no: int, line: str, col0: int = 0, *, constraint: bool = False,
               seen: frozenset[Path] = frozenset(), follow: bool = True) -> list[ReqLine]:
    """Parse one logical line of a requirements file (pip's syntax; also the entries of
    environment.yml's ``pip:`` list).

    Args:
        path: the file the line is in (includes are relative to its folder).
        no: 1-based line number; ``col0``: 0-based column where ``line`` starts.
        constraint: the line comes from a constraints file.
        seen: files already being read (circular includes).
        follow: read ``-r``/``-c`` includes (else only check the file exists and
            return no lines for them).

    Raises:
        EnvFileError: an invalid requirement or option, a missing or circular include.
    """
    if line.startswith("-"):
        opt, value = _split_opt(line)
        long = _LONG.get(opt, opt)
        if long in ("--requirement", "--constraint"):
            if not value:
                raise EnvFileError(path, f"{opt} needs a file name", no, col0 + 1,
                                   code="invalid-option")
            target = (path.parent / value).resolve() if "://" not in value else None
            if target is None:
                raise EnvFileError(path, f"{opt} {value}: remote requirement files are not supported",
                                   no, col0 + 1, code="unsupported-include")
            if target in seen:
                raise EnvFileError(path, f"{opt} {value} includes itself (circular include)",
                                   no, col0 + 1, code="circular-include")
            if probe(target)[0] != "file":
                raise EnvFileError(path, f"{opt} {value}: file not found ({target})", no,
                                   col0 + 1, code="missing-include")
            if not follow:
                return []
            return read_requirements(target, constraint=constraint or long == "--constraint",
                                     _seen=seen)
        if long == "--editable":
            if not value:
                raise EnvFileError(path, "-e needs a path or URL", no, col0 + 1,
                                   code="invalid-option")
            return [ReqLine(path, no, line, editable=True, url=value, constraint=constraint)]
        if long in GLOBAL_OPTIONS:
            if GLOBAL_OPTIONS[long] and not value:
                raise EnvFileError(path, f"{opt} needs a value", no, col0 + 1, code="invalid-option")
            return [ReqLine(path, no, line, option=long, value=value, constraint=constraint)]
        raise EnvFileError(path, f"unknown option {opt!r} in a requirements file", no, col0 + 1,
                           code="invalid-option")
    req_text, hashes, extra = _split_per_requirement(line)
    if _looks_like_url_or_path(req_text):
        return [ReqLine(path, no, line, url=req_text, hashes=hashes, extra_options=extra,
                        constraint=constraint)]
    try:
        req = Requirement(req_text)
    except InvalidRequirement as exc:
        raise requirement_error(path, exc, req_text, no, col0) from exc
    return [ReqLine(path, no, line, requirement=req, hashes=hashes, extra_options=extra,
                    constraint=constraint)]


def _split_per_requirement(line: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    m = re.search(r"\s(--[\w-]+)", line)
    if not m or m.group(1) not in _PER_REQ:
        return line, (), ()
    req_text = line[: m.start()].strip()
    try:
        words = shlex.split(line[m.start():])
    except ValueError:
        words = line[m.start():].split()
    hashes: list[str] = []
    extra: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        name, _, val = w.partition("=")
        if not val and i + 1 < len(words) and not words[i + 1].startswith("--"):
            val = words[i + 1]
            i += 1
        if name == "--hash":
            hashes.append(val)
        else:
            extra.append(f"{name}={val}")
        i += 1
    return req_text, tuple(hashes), tuple(extra)


def _looks_like_url_or_path(text: str) -> bool:
    if re.match(r"^[A-Za-z0-9_.\-\[\], ]+@", text):  # PEP 508 direct reference
        return False
    return bool(re.match(r"^(\w[\w+.-]*://|\.{1,2}[/\\]|/|[A-Za-z]:[/\\])", text)) or \
        text.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2"))


def requirement_strings(lines: list[ReqLine]) -> list[str]:
    """The PEP 508 strings of the non-constraint requirement lines (options/URLs skipped)."""
    return [str(r.requirement) for r in lines if r.requirement is not None and not r.constraint]


def is_fully_hashed(lines: list[ReqLine]) -> bool:
    """True when every requirement line carries ``--hash`` (pip's hash-checking mode: a lock)."""
    reqs = [r for r in lines if (r.requirement is not None or r.url) and not r.constraint]
    return bool(reqs) and all(r.hashes for r in reqs)
