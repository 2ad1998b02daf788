"""pip-world lock files read as exact pins.

Sources of the formats:

* ``Pipfile.lock``: pipenv's JSON lock (``_meta``, ``default``, ``develop``; each
  entry ``{"version": "==X", "hashes": [...], "markers": "..."}``), see
  https://pipenv.pypa.io/en/latest/pipfile.html.
* ``poetry.lock``: Poetry's TOML lock (``[[package]]`` with ``name``, ``version``,
  ``files = [{file, hash}]``, ``groups``, ``markers``; ``[metadata] lock-version``),
  https://python-poetry.org/docs/basic-usage/#installing-with-poetrylock.
* ``uv.lock``: uv's TOML lock (``[[package]]`` with ``name``, ``version``,
  ``source``, ``sdist``/``wheels`` with ``hash``), https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile.
* ``pylock.toml``: PEP 751 (``lock-version``, ``[[packages]]`` with ``name``,
  ``version``, ``marker``, ``sdist``/``wheels`` with ``hashes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EnvFileError
from .errors_util import json_error, load_toml, read_text


@dataclass(frozen=True)
class Pin:
    """One locked distribution.

    Args:
        name: the distribution name as written in the lock.
        version: the exact version (``None`` for a VCS/path entry without one).
        hashes: ``"sha256:<hex>"`` strings of the artifacts the lock allows.
        marker: a PEP 508 environment marker restricting the pin, or ``None``.
        groups: Pipfile.lock section (``default``/``develop``), poetry.lock groups
            (``main``, ``dev`` ...), or ``()`` when the format has none.
        source: the index/VCS/path the pin comes from, when the lock records one.
        optional: poetry.lock's ``optional = true`` (only installed for an extra).
    """

    name: str
    version: str | None
    hashes: tuple[str, ...] = ()
    marker: str | None = None
    groups: tuple[str, ...] = ()
    source: str | None = None
    optional: bool = False

    def requirement(self) -> str:
        """``name==version`` plus ``; marker`` (the pin as a PEP 508 string)."""
        s = f"{self.name}=={self.version}" if self.version else self.name
        return f"{s} ; {self.marker}" if self.marker else s


def lock_format(path: Path) -> str | None:
    """The format of a pip-world lock file by name: ``Pipfile.lock``, ``poetry.lock``,
    ``uv.lock``, ``pylock`` (``pylock.toml`` / ``pylock.<name>.toml``), or ``None``."""
    n = path.name
    if n in ("Pipfile.lock", "poetry.lock", "uv.lock"):
        return n
    if n == "pylock.toml" or (n.startswith("pylock.") and n.endswith(".toml")):
        return "pylock"
    return None


def read_pins(path: Path) -> list[Pin]:
    """The pins of a Pipfile.lock, poetry.lock, uv.lock or pylock.toml.

    Raises:
        EnvFileError: unknown lock name, syntax errors (line/column), missing keys.
    """
    path = Path(path)
    fmt = lock_format(path)
    if fmt == "Pipfile.lock":
        return _pipfile_lock(path)
    if fmt == "poetry.lock":
        return _poetry_lock(path)
    if fmt == "uv.lock":
        return _uv_lock(path)
    if fmt == "pylock":
        return _pylock(path)
    raise EnvFileError(path, "not a known pip lock file (Pipfile.lock, poetry.lock, uv.lock, "
                       "pylock.toml)", code="unknown-lock")


def _pipfile_lock(path: Path) -> list[Pin]:
    text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise json_error(path, exc) from exc
    if not isinstance(data, dict) or "default" not in data:
        raise EnvFileError(path, "not a Pipfile.lock: no 'default' section", 1, 1,
                           code="invalid-lock")
    pins = []
    for section in ("default", "develop"):
        for name, entry in (data.get(section) or {}).items():
            if not isinstance(entry, dict):
                continue
            v = entry.get("version")
            version = v[2:] if isinstance(v, str) and v.startswith("==") else v
            source = entry.get("git") or entry.get("path") or entry.get("file") or entry.get("index")
            pins.append(Pin(name, version, tuple(entry.get("hashes") or ()), entry.get("markers"),
                            (section,), source))
    return pins


def _poetry_lock(path: Path) -> list[Pin]:
    data, _ = load_toml(path)
    pins = []
    for pkg in data.get("package") or []:
        _require(path, pkg, ("name", "version"), "[[package]]")
        hashes = tuple(f["hash"] for f in pkg.get("files") or [] if isinstance(f, dict) and f.get("hash"))
        markers = pkg.get("markers")
        if isinstance(markers, dict):  # poetry 2: per-group markers
            markers = markers.get("main") or next(iter(markers.values()), None)
        src = pkg.get("source") or {}
        pins.append(Pin(pkg["name"], pkg["version"], hashes, markers,
                        tuple(pkg.get("groups") or ()), src.get("url") if isinstance(src, dict) else None,
                        bool(pkg.get("optional", False))))
    return pins


def _uv_lock(path: Path) -> list[Pin]:
    data, _ = load_toml(path)
    pins = []
    for pkg in data.get("package") or []:
        _require(path, pkg, ("name",), "[[package]]")
        hashes = []
        if isinstance(pkg.get("sdist"), dict) and pkg["sdist"].get("hash"):
            hashes.append(pkg["sdist"]["hash"])
        hashes += [w["hash"] for w in pkg.get("wheels") or [] if isinstance(w, dict) and w.get("hash")]
        src = pkg.get("source") or {}
        source = next((str(v) for v in src.values()), None) if isinstance(src, dict) else None
        pins.append(Pin(pkg["name"], pkg.get("version"), tuple(hashes), None, (), source))
    return pins


def _pylock(path: Path) -> list[Pin]:
    data, _ = load_toml(path)
    if "lock-version" not in data:
        raise EnvFileError(path, "not a PEP 751 lock: no 'lock-version'", 1, 1, code="invalid-lock")
    pins = []
    for pkg in data.get("packages") or []:
        _require(path, pkg, ("name",), "[[packages]]")
        hashes: list[str] = []
        arts: list[Any] = list(pkg.get("wheels") or [])
        if isinstance(pkg.get("sdist"), dict):
            arts.append(pkg["sdist"])
        for a in arts:
            for algo, digest in (a.get("hashes") or {}).items():
                hashes.append(f"{algo}:{digest}")
        src = pkg.get("vcs") or pkg.get("directory") or pkg.get("archive") or {}
        pins.append(Pin(pkg["name"], pkg.get("version"), tuple(hashes), pkg.get("marker"), (),
                        pkg.get("index") or (src.get("url") or src.get("path") if isinstance(src, dict) else None)))
    return pins


def _require(path: Path, pkg: Any, keys: tuple[str, ...], where: str) -> None:
    if not isinstance(pkg, dict) or any(k not in pkg for k in keys):
        raise EnvFileError(path, f"{where} entry without {', '.join(keys)}: {str(pkg)[:80]}",
                           code="invalid-lock")
