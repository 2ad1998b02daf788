"""Finding installed Python interpreters without trusting shims.

uv's own discovery stumbles over pyenv shims (``uv python find 3.10`` fails when 3.10 is
not the active pyenv version), and uv cannot download Pythons offline. kernelenv looks
itself, in this order: ``KERNELENV_PYTHONS`` (os.pathsep-separated interpreter paths),
PATH (skipping shim folders), pyenv's ``versions/`` folder, uv-managed Pythons, and the
Windows ``py`` launcher; then hands uv an exact path.

Versions are read from the interpreter's file or folder name when it carries one
(``python3.10``, ``~/.pyenv/versions/3.10.13``, ``cpython-3.12.1-linux-x86_64-gnu``)
and only otherwise by running it once (results are kept per path and mtime, and in the user's
cache per the file's identity: :mod:`kernelenv.contentmemo`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .errors import PythonNotFoundError

_VERSION_IN_NAME = re.compile(r"(?:^|[-/])(?:cpython-)?(\d+\.\d+(?:\.\d+)?)(?:[-/]|$)")


@dataclass(frozen=True)
class Interpreter:
    """An installed CPython.

    Args:
        path: absolute path of the executable (not a shim).
        version: its full version (``3.10.13``).
        source: where it was found: ``env``, ``PATH``, ``pyenv``, ``uv``, ``py``.
    """

    path: Path
    version: Version
    source: str

    def to_dict(self) -> dict:
        return {"path": str(self.path), "version": str(self.version), "source": self.source}


def _exe_names() -> list[str]:
    if sys.platform == "win32":
        return ["python.exe"]
    return ["python3", "python"]


def _is_shim(path: Path) -> bool:
    parts = {p.lower() for p in path.parts}
    return "shims" in parts or path.parent.name == "shims"


@lru_cache(maxsize=256)
def _probe(path: str, mtime: float) -> Version | None:
    from .contentmemo import digest, keep, recall

    try:  # the interpreter file's identity: a Python upgraded in place has another
        st = os.stat(path)
        identity = digest(f"{os.path.realpath(path)}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0"
                          f"{st.st_ino}".encode())
    except OSError:
        return None
    kept = (recall("python-version", identity) or {}).get("version")
    if isinstance(kept, str):
        try:
            return Version(kept)
        except InvalidVersion:
            pass
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL,
        )
        version = Version(out.stdout.strip()) if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, InvalidVersion):
        return None
    if version is not None:
        keep("python-version", identity, {"version": str(version)})
    return version


def _version_of(path: Path, hint: str | None = None) -> Version | None:
    for text in (hint, path.name, str(path.parent.parent)):
        if not text:
            continue
        m = _VERSION_IN_NAME.search(text) if text != path.name else re.fullmatch(
            r"python(\d+\.\d+)(?:\.exe)?", text)
        if m:
            try:
                v = Version(m.group(1))
            except InvalidVersion:
                continue
            if len(v.release) == 3 or text == path.name:
                # A bare "python3.10" name gives only major.minor; probe for the patch level.
                if len(v.release) < 3:
                    break
                return v
    try:
        return _probe(str(path), path.stat().st_mtime)
    except OSError:
        return None


def _path_candidates() -> list[tuple[Path, str | None]]:
    found: list[tuple[Path, str | None]] = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d:
            continue
        folder = Path(d)
        if _is_shim(folder / "x") or not folder.is_dir():
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for n in names:
            if re.fullmatch(r"python3(\.\d+)?(\.exe)?|python(\.exe)?", n):
                found.append((folder / n, None))
    return found


def _pyenv_candidates() -> list[tuple[Path, str | None]]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    versions = root / "versions"
    out: list[tuple[Path, str | None]] = []
    if versions.is_dir():
        for d in sorted(versions.iterdir()):
            exe = d / ("python.exe" if sys.platform == "win32" else "bin/python3")
            if exe.exists():
                out.append((exe, d.name))
    return out


def _uv_candidates() -> list[tuple[Path, str | None]]:
    roots = []
    if os.environ.get("UV_PYTHON_INSTALL_DIR"):
        roots.append(Path(os.environ["UV_PYTHON_INSTALL_DIR"]))
    if sys.platform == "win32":
        roots.append(Path(os.environ.get("APPDATA", "")) / "uv" / "python")
    else:
        roots.append(Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local/share")) / "uv/python")
    out: list[tuple[Path, str | None]] = []
    for r in roots:
        if not r.is_dir():
            continue
        for d in sorted(r.iterdir()):
            if not d.name.startswith("cpython-"):
                continue
            exe = d / ("python.exe" if sys.platform == "win32" else "bin/python3")
            if exe.exists():
                out.append((exe, d.name))
    return out


def _py_launcher_candidates() -> list[tuple[Path, str | None]]:
    if sys.platform != "win32" or not shutil.which("py"):
        return []
    try:
        out = subprocess.run(["py", "-0p"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    found = []
    for line in out.stdout.splitlines():
        m = re.match(r"\s*-V?:?(\d+\.\d+)\S*\s+\*?\s*(.+)$", line)
        if m:
            found.append((Path(m.group(2).strip()), None))
    return found


def find_interpreters() -> list[Interpreter]:
    """Every distinct installed CPython, newest first.

    Returns:
        Interpreters deduplicated by resolved path.
    """
    sources: list[tuple[str, list[tuple[Path, str | None]]]] = []
    extra = [(Path(p), None) for p in os.environ.get("KERNELENV_PYTHONS", "").split(os.pathsep) if p]
    sources.append(("env", extra))
    sources.append(("PATH", _path_candidates()))
    sources.append(("pyenv", _pyenv_candidates()))
    sources.append(("uv", _uv_candidates()))
    sources.append(("py", _py_launcher_candidates()))
    seen: set[str] = set()
    result: list[Interpreter] = []
    for source, cands in sources:
        for path, hint in cands:
            try:
                real = os.path.realpath(path)
            except OSError:
                continue
            if real in seen or not os.access(real, os.X_OK):
                continue
            version = _version_of(path, hint)
            if version is None:
                continue
            seen.add(real)
            result.append(Interpreter(path=path, version=version, source=source))
    result.sort(key=lambda i: i.version, reverse=True)
    return result


def parse_request(text: str) -> SpecifierSet:
    """Turn a Python request into a PEP 440 specifier set.

    Accepts ``3.10`` (meaning ``==3.10.*``), ``3.10.4`` (``==3.10.4``), and specifier
    strings (``>=3.12``, ``==3.11.*``, ``>=3.9,<3.13``).

    Raises:
        ValueError: not a version nor a specifier.
    """
    t = text.strip()
    if re.fullmatch(r"\d+(\.\d+){0,1}", t):
        return SpecifierSet(f"=={t}.*")
    if re.fullmatch(r"\d+\.\d+\.\d+", t):
        return SpecifierSet(f"=={t}")
    try:
        return SpecifierSet(t)
    except InvalidSpecifier:
        raise ValueError(f"not a Python version or specifier: {text!r}") from None


def choose(request: str | None, *, source: Path | None = None,
           interpreters: list[Interpreter] | None = None) -> Interpreter:
    """Pick the newest installed interpreter satisfying ``request``.

    Args:
        request: a version, a specifier (see :func:`parse_request`), an interpreter
            path, or ``None`` for the newest installed one.
        source: the file the request came from, for the error message.
        interpreters: candidates (defaults to :func:`find_interpreters`).

    Raises:
        PythonNotFoundError: nothing installed satisfies it (lists what is installed).
    """
    if request and (os.sep in request or request.endswith(".exe")):
        p = Path(request)
        v = _version_of(p)
        if v is None:
            raise PythonNotFoundError(request, source, [])
        return Interpreter(p, v, "explicit")
    cands = interpreters if interpreters is not None else find_interpreters()
    if request is None:
        if not cands:
            raise PythonNotFoundError("any", source, [])
        # Prefer the interpreter running kernelenv: known to work here.
        cur = Version(".".join(map(str, sys.version_info[:3])))
        for c in cands:
            if c.version == cur:
                return c
        return cands[0]
    spec = parse_request(request)
    for c in cands:
        if spec.contains(c.version, prereleases=True):
            return c
    raise PythonNotFoundError(str(spec), source, [str(v) for v in sorted({c.version for c in cands})])


def check_request(value: str, interpreters: list[Interpreter] | None = None) -> str:
    """Validate a ``python`` option from an untrusted client (a REST body): a version or
    specifier (see :func:`parse_request`), or the path of an interpreter kernelenv itself
    discovered (:func:`find_interpreters`, what ``kernelenv pythons`` lists), given as an
    absolute path. Never runs the given path: an arbitrary executable is refused before anything starts it.

    Args:
        value: the option as sent.
        interpreters: the discovered interpreters (default: :func:`find_interpreters`).

    Returns:
        The request to pass on: the stripped version/specifier, or the discovered
        interpreter's own path.

    Raises:
        ValueError: with a message saying what is accepted.
    """
    t = value.strip()
    if not t:
        raise ValueError("'python' must not be empty: give a version such as 3.11.")
    if any(c in t for c in ("/", "\\", os.sep)) or t.endswith(".exe") or t.startswith("~"):
        cands = interpreters if interpreters is not None else find_interpreters()
        real = os.path.realpath(t) if os.path.isabs(t) else None  # a relative path is refused
        for c in cands:
            if real is not None and (str(c.path) == t or os.path.realpath(c.path) == real):
                return str(c.path)
        known = ", ".join(str(c.path) for c in cands[:8]) or "none found"
        raise ValueError(f"'python' {value!r} is not an interpreter kernelenv discovered; give a "
                         f"version such as 3.11, or one of the paths `kernelenv pythons` lists ({known}).")
    try:
        parse_request(t)
    except ValueError:
        raise ValueError(f"'python' {value!r} is neither a Python version (3.11), a specifier "
                         "(>=3.10) nor an interpreter path `kernelenv pythons` lists.") from None
    return t


def to_json(interps: list[Interpreter]) -> str:
    """JSON list of :meth:`Interpreter.to_dict` (for ``kernelenv pythons --json``)."""
    return json.dumps([i.to_dict() for i in interps], indent=2)
