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
from .errors_util import MAX_LOCK_BYTES, bounded, check_depth, json_error, load_toml, nesting_error, read_text


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


@bounded
def read_pins(path: Path) -> list[Pin]:
    """The pins of a Pipfile.lock, poetry.lock, uv.lock or pylock.toml.

    Raises:
        EnvFileError: unknown lock name, syntax errors (line/column), missing keys.
    """
    path = Path(path)
    fmt = lock_format(path)
    if fmt == "Pipfile.lock":
        return _pipfile_lock(path)
    if fmt in ("poetry.lock", "uv.lock", "pylock"):
        data, text = load_toml(path, MAX_LOCK_BYTES)
        return pins_of(path, fmt, data, text)
    raise EnvFileError(path, "not a known pip lock file (Pipfile.lock, poetry.lock, uv.lock, "
                       "pylock.toml)", code="unknown-lock")


def pins_of(path: Path, fmt: str, data: dict[str, Any], text: str) -> list[Pin]:
    """The pins of an already parsed TOML lock (``fmt``: ``poetry.lock``, ``uv.lock`` or ``pylock``;
    ``text`` locates errors). Raises EnvFileError like :func:`read_pins`."""
    reader = {"poetry.lock": _poetry_lock, "uv.lock": _uv_lock, "pylock": _pylock}[fmt]
    return reader(path, data, text)


def _pipfile_lock(path: Path) -> list[Pin]:
    text = read_text(path, MAX_LOCK_BYTES)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise json_error(path, exc) from exc
    except RecursionError:
        raise nesting_error(path, text) from None
    check_depth(path, data, text)
    if not isinstance(data, dict) or "default" not in data:
        raise EnvFileError(path, "not a Pipfile.lock: no 'default' section", 1, 1,
                           code="invalid-lock")
    pins = []
    for section in ("default", "develop"):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise EnvFileError(path, f"'{section}' must be an object of packages", *_json_pos(text, section),
                               code="invalid-lock")
        for name, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            wrong = [k for k, t in (("version", str), ("markers", str), ("hashes", list)) if k in entry
                     and not isinstance(entry[k], t)]
            if wrong or not all(isinstance(h, str) for h in entry.get("hashes") or []):
                raise EnvFileError(path, f"{name}: '{(wrong or ['hashes'])[0]}' has the wrong type",
                                   *_json_pos(text, name), code="invalid-lock")
            v = entry.get("version")
            version = v[2:] if isinstance(v, str) and v.startswith("==") else v
            source = entry.get("git") or entry.get("path") or entry.get("file") or entry.get("index")
            pins.append(Pin(name, version, tuple(entry.get("hashes") or ()), entry.get("markers"),
                            (section,), source))
    return pins


def _poetry_lock(path: Path, data: dict[str, Any], text: str) -> list[Pin]:
    pins = []
    for i, pkg in enumerate(_list(path, data, "package")):
        _require(path, pkg, ("name", "version"), "[[package]]", i, text)
        hashes = tuple(f["hash"] for f in pkg.get("files") or [] if isinstance(f, dict) and f.get("hash"))
        markers = pkg.get("markers")
        if isinstance(markers, dict):  # poetry 2: per-group markers
            markers = markers.get("main") or next(iter(markers.values()), None)
        src = pkg.get("source") or {}
        pins.append(Pin(pkg["name"], pkg["version"], hashes, markers,
                        tuple(pkg.get("groups") or ()), src.get("url") if isinstance(src, dict) else None,
                        bool(pkg.get("optional", False))))
    return pins


def _uv_lock(path: Path, data: dict[str, Any], text: str) -> list[Pin]:
    pins = []
    for i, pkg in enumerate(_list(path, data, "package")):
        _require(path, pkg, ("name",), "[[package]]", i, text)
        hashes = []
        if isinstance(pkg.get("sdist"), dict) and pkg["sdist"].get("hash"):
            hashes.append(pkg["sdist"]["hash"])
        hashes += [w["hash"] for w in pkg.get("wheels") or [] if isinstance(w, dict) and w.get("hash")]
        src = pkg.get("source") or {}
        source = next((str(v) for v in src.values()), None) if isinstance(src, dict) else None
        pins.append(Pin(pkg["name"], pkg.get("version"), tuple(hashes), None, (), source))
    return pins


def _pylock(path: Path, data: dict[str, Any], text: str) -> list[Pin]:
    if "lock-version" not in data:
        raise EnvFileError(path, "not a PEP 751 lock: no 'lock-version'", 1, 1, code="invalid-lock")
    pins = []
    for i, pkg in enumerate(_list(path, data, "packages")):
        _require(path, pkg, ("name",), "[[packages]]", i, text)
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


def _json_pos(text: str, key: str) -> tuple[int, int]:
    """1-based (line, column) of ``"key"`` in a JSON text (1, 1 when absent)."""
    from .errors_util import find_position

    line, col = find_position(text, json.dumps(key))
    return (line or 1, col or 1)


def _list(path: Path, data: dict[str, Any], key: str) -> list[Any]:
    v = data.get(key) or []
    if not isinstance(v, list):
        raise EnvFileError(path, f"`{key}` must be an array of tables ([[{key}]])", 1, 1, code="invalid-lock")
    return v


def _require(path: Path, pkg: Any, keys: tuple[str, ...], where: str, index: int = 0,
             text: str | None = None) -> None:
    """Each of ``keys`` is in table ``pkg`` (the ``index``-th ``where`` table of ``text``) and a string."""
    bad = not isinstance(pkg, dict) or any(not isinstance(pkg.get(k), str) for k in keys)
    if not bad:
        return
    line = None
    if text is not None:  # the index-th "[[package]]" header
        pos = -1
        for _ in range(index + 1):
            pos = text.find(where, pos + 1)
            if pos < 0:
                break
        if pos >= 0:
            line = text.count("\n", 0, pos) + 1
    raise EnvFileError(path, f"{where} entry without {', '.join(keys)} (as strings)", line or 1, 1,
                       code="invalid-lock")
