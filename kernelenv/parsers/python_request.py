"""The Python version a project asks for, from each file that can say it, as a PEP 440 specifier.

Sources of the formats:

* ``runtime.txt``: repo2docker's "runtime.txt" config file
  (https://repo2docker.readthedocs.io/en/latest/config_files.html#runtime-txt),
  one line ``python-X.Y`` (or ``python-X.Y.Z``).
* ``.python-version``: pyenv / uv (https://docs.astral.sh/uv/concepts/python-versions/),
  the first non-comment line, e.g. ``3.10``, ``3.11.4``, ``cpython-3.12``.
* ``requires-python``: PEP 621 / PEP 440 (already a specifier set).
* Pipfile ``[requires] python_version`` / ``python_full_version``: the Pipfile spec
  (https://github.com/pypa/pipfile).
* Poetry's ``python = "^3.11.2"`` (see :mod:`.poetry`).
* conda's ``python=3.11`` MatchSpec version (conda's "Package match specifications").

Every function returns a :class:`~kernelenv.model.PythonRequest` (or ``None`` when the
file asks for nothing) and raises :class:`~kernelenv.errors.EnvFileError` with the line
when the text is not a version.
"""

from __future__ import annotations

import re
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from ..errors import EnvFileError
from ..model import PythonRequest
from .errors_util import bounded, read_text
from .poetry import PoetryConstraintError, constraint_to_specifier

_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")


def version_to_specifier(version: str) -> str:
    """``"3.10"`` -> ``"==3.10.*"``, ``"3.10.4"`` -> ``"==3.10.4"``, ``"3"`` -> ``"==3.*"``.

    Raises:
        ValueError: not a plain ``X[.Y[.Z]]`` version.
    """
    v = version.strip()
    if not _VERSION.match(v):
        raise ValueError(f"{version!r} is not a Python version like 3.11 or 3.11.4")
    return f"=={v}" if v.count(".") == 2 else f"=={v}.*"


def check_specifier(spec: str) -> str:
    """Validate a PEP 440 specifier set string and return it normalised (``>=3.10``)."""
    return str(SpecifierSet(spec)) if spec.strip() else ""


@bounded
def from_runtime_txt(path: Path) -> PythonRequest | None:
    """Read repo2docker's ``runtime.txt``: ``python-3.10`` -> ``==3.10.*``.

    Returns ``None`` for a non-Python runtime (``r-4.1-2021-10-01``), which
    repo2docker also allows. Raises EnvFileError for anything else.
    """
    text = read_text(path)
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^python-(.+)$", s)
        if m:
            try:
                return PythonRequest(version_to_specifier(m.group(1)), path, s)
            except ValueError as exc:
                raise EnvFileError(path, str(exc), no, len("python-") + 1,
                                   code="invalid-python-version") from exc
        if re.match(r"^r-", s):
            return None
        raise EnvFileError(path, f"expected 'python-X.Y' (repo2docker runtime.txt), got {s!r}",
                           no, 1, code="invalid-python-version")
    return None


@bounded
def from_python_version_file(path: Path) -> PythonRequest | None:
    """Read ``.python-version`` (pyenv/uv): the first line naming a CPython version.

    ``3.10`` -> ``==3.10.*``; ``3.11.4`` -> ``==3.11.4``; ``cpython-3.12`` and
    ``3.13t`` are accepted. Raises EnvFileError when the line is not a version.
    """
    text = read_text(path)
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        v = re.sub(r"^(cpython|python)[-@]?", "", s, flags=re.I)
        v = re.sub(r"^(\d+\.\d+(?:\.\d+)?)t$", r"\1", v)
        v = v.split("-")[0]
        try:
            return PythonRequest(version_to_specifier(v), path, s)
        except ValueError:
            try:
                return PythonRequest(check_specifier(v), path, s)
            except InvalidSpecifier:
                raise EnvFileError(path, f"{s!r} is not a Python version like 3.11",
                                   no, 1, code="invalid-python-version") from None
    return None


def from_requires_python(spec: str, path: Path) -> PythonRequest:
    """A PEP 621 ``requires-python`` value. Raises EnvFileError when it is not PEP 440."""
    try:
        return PythonRequest(check_specifier(spec), path, spec)
    except InvalidSpecifier as exc:
        raise EnvFileError(path, f"requires-python {spec!r} is not a PEP 440 specifier: {exc}",
                           code="invalid-python-version") from exc


def from_poetry(constraint: str, path: Path) -> PythonRequest:
    """Poetry's ``python = "^3.11.2"`` -> ``>=3.11.2,<4.0.0``. Raises EnvFileError."""
    try:
        return PythonRequest(constraint_to_specifier(constraint), path, constraint)
    except PoetryConstraintError as exc:
        raise EnvFileError(path, f"python constraint: {exc}", code="invalid-python-version") from exc


def from_pipfile_version(version: str, path: Path) -> PythonRequest:
    """Pipfile ``python_version = "3.6"`` -> ``==3.6.*`` (``python_full_version`` -> ``==X.Y.Z``)."""
    try:
        return PythonRequest(version_to_specifier(version), path, version)
    except ValueError as exc:
        raise EnvFileError(path, f"[requires] {exc}", code="invalid-python-version") from exc


def conda_version_to_specifier(version: str) -> str | None:
    """A conda MatchSpec version for ``python`` as a PEP 440 specifier set string.

    ``"3.11"``/``"3.11.*"`` -> ``==3.11.*``; ``"3.8.5"`` -> ``==3.8.5``;
    ``">=3.9,<3.12"`` unchanged; ``"==3.14"`` unchanged; ``"*"`` -> ``None`` (no
    request). A build string after a space or ``=`` is dropped. Returns ``None`` for
    ``|`` alternatives, which PEP 440 cannot express.
    """
    v = version.strip()
    v = re.split(r"[\s=](?=[^=<>!~,.\d*])", v)[0]  # drop a build string
    v = v.strip()
    if v in ("", "*") or "|" in v:
        return None
    if re.match(r"^[<>=!~]", v):
        try:
            return check_specifier(v)
        except InvalidSpecifier:
            return None
    v = v.rstrip("*").rstrip(".")
    try:
        return version_to_specifier(v)
    except ValueError:
        return None
