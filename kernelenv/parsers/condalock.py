"""Reading and writing conda lock files: ``conda-lock.yml`` and ``@EXPLICIT`` lists.

Formats:

* ``conda-lock.yml``, conda-lock's unified lock file
  (https://conda.github.io/conda-lock/output/#unified-lockfile). The current layout
  has ``version: 1`` at the top; the older conda-lock 1.0.x layout has no top-level
  ``version`` key (and may list ``nodefaults`` as a channel URL). Both have
  ``metadata`` (``content_hash``, ``channels``, ``platforms``, ``sources``) and a
  ``package`` list whose entries carry ``name``, ``version``, ``manager``
  (``conda``/``pip``), ``platform``, ``dependencies``, ``url``, ``hash``
  (``md5``/``sha256``), ``category`` and ``optional``.
* explicit lists (``conda list --explicit``, ``conda-lock --kind explicit``): a text
  file with an ``@EXPLICIT`` line, then one package URL per line with an optional
  ``#<md5>`` or ``#sha256:<hex>`` suffix; ``# platform: <subdir>`` names the platform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import EnvFileError
from .errors_util import MAX_LOCK_BYTES, bounded, compose_yaml, nesting_error, read_text, yaml_error

#: conda-lock unified lock file versions kernelenv reads (``None``: the 1.0.x layout).
SUPPORTED_VERSIONS = (1,)


@dataclass
class LockedPackage:
    """One locked package for one platform.

    Args:
        name: package name as written (conda names are lower-case; pip names as locked).
        version: exact version.
        manager: ``"conda"`` or ``"pip"``.
        platform: the conda subdir the entry is for (``linux-64`` ...).
        url: where the package file is.
        md5, sha256: hex digests, or ``None``.
        dependencies: ``{name: spec}`` as locked.
        category: ``main``, ``dev`` ...
        optional: conda-lock's optional flag.
        line: 1-based line of the entry in the lock file, or ``None``.
    """

    name: str
    version: str
    manager: str
    platform: str
    url: str
    md5: str | None = None
    sha256: str | None = None
    dependencies: dict[str, str] = field(default_factory=dict)
    category: str = "main"
    optional: bool = False
    line: int | None = None

    @property
    def filename(self) -> str:
        """The last component of :attr:`url`."""
        return self.url.rstrip("/").rsplit("/", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        """The conda-lock v1 ``package`` entry (key order as conda-lock writes it)."""
        h: dict[str, str] = {}
        if self.md5:
            h["md5"] = self.md5
        if self.sha256:
            h["sha256"] = self.sha256
        return {
            "name": self.name,
            "version": self.version,
            "manager": self.manager,
            "platform": self.platform,
            "dependencies": dict(self.dependencies),
            "url": self.url,
            "hash": h,
            "category": self.category,
            "optional": self.optional,
        }


@dataclass
class CondaLock:
    """A parsed ``conda-lock.yml``.

    Args:
        path: the file.
        version: the top-level ``version`` (``1``), or ``None`` for the conda-lock
            1.0.x layout that had none.
        platforms: ``metadata.platforms``.
        channels: channel URLs/names from ``metadata.channels`` (``nodefaults`` kept as written).
        content_hash: ``{platform: hash}`` from ``metadata.content_hash``.
        sources: ``metadata.sources`` (the spec files it was made from).
        packages: every package entry, all platforms.
    """

    path: Path
    version: int | None
    platforms: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    content_hash: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    packages: list[LockedPackage] = field(default_factory=list)

    @property
    def layout(self) -> str:
        """``"v1"`` for the current layout, ``"1.0.x"`` for the old one."""
        return "1.0.x" if self.version is None else f"v{self.version}"

    def for_platform(self, platform: str, manager: str | None = None,
                     categories: tuple[str, ...] = ("main",)) -> list[LockedPackage]:
        """The entries for ``platform`` (optionally of one ``manager``) in ``categories``."""
        return [p for p in self.packages if p.platform == platform
                and (manager is None or p.manager == manager) and p.category in categories]


@dataclass
class ExplicitLock:
    """A parsed ``@EXPLICIT`` file.

    Args:
        path: the file.
        platform: from the ``# platform:`` comment, or ``None``.
        packages: one :class:`LockedPackage` per URL (``manager="conda"``; name,
            version from the file name).
    """

    path: Path
    platform: str | None
    packages: list[LockedPackage] = field(default_factory=list)


def _e(path: Path, msg: str, node: yaml.Node | None = None, code: str = "invalid-lock") -> EnvFileError:
    if node is None:
        return EnvFileError(path, msg, code=code)
    return EnvFileError(path, msg, node.start_mark.line + 1, node.start_mark.column + 1, code=code)


def _load(path: Path) -> tuple[Any, yaml.Node | None]:
    # libyaml (CSafeLoader) is fast for big locks and refuses nesting over 1000 levels
    # itself; the parsed data is then held to MAX_DEPTH like every other file.
    text = read_text(path, MAX_LOCK_BYTES)
    node = compose_yaml(path, text)
    loader = yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader
    try:
        data = loader("").construct_document(node) if node is not None else None
    except yaml.YAMLError as e:
        raise yaml_error(path, e, text) from e
    except RecursionError:
        raise nesting_error(path, None) from None
    return data, node


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v
    return None


@bounded
def read_conda_lock(path: Path) -> CondaLock:
    """Parse a ``conda-lock.yml`` in the current (``version: 1``) or the 1.0.x layout.

    Args:
        path: the lock file.

    Returns:
        A :class:`CondaLock`.

    Raises:
        EnvFileError: YAML syntax error, an unsupported ``version``, or a malformed
            ``metadata``/``package`` entry (its line; code ``invalid-lock``).
    """
    path = Path(path)
    data, root = _load(path)
    if not isinstance(data, dict):
        raise _e(path, "expected a conda-lock mapping with `metadata:` and `package:`", root)
    version = data.get("version")
    if version is not None and version not in SUPPORTED_VERSIONS:
        raise _e(path, f"conda-lock file version {version!r} is not supported (kernelenv reads version 1 "
                 "and the 1.0.x layout without a version key)", _child(root, "version"), "unsupported-lock-version")
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        raise _e(path, "missing `metadata:` mapping (is this a conda-lock file?)", root)
    platforms = meta.get("platforms")
    if not isinstance(platforms, list) or not all(isinstance(p, str) for p in platforms):
        raise _e(path, "`metadata.platforms` must be a list of platform names", _child(_child(root, "metadata"), "platforms") or root)
    channels = []
    for ch in meta.get("channels") or []:
        channels.append(str(ch.get("url")) if isinstance(ch, dict) else str(ch))
    lock = CondaLock(path=path, version=version, platforms=list(platforms), channels=channels,
                     content_hash=dict(meta.get("content_hash") or {}),
                     sources=[str(s) for s in meta.get("sources") or []])
    pkgs = data.get("package")
    pnode = _child(root, "package")
    if pkgs is None:
        pkgs = []
    if not isinstance(pkgs, list):
        raise _e(path, "`package:` must be a list", pnode)
    nodes = pnode.value if isinstance(pnode, yaml.SequenceNode) else [None] * len(pkgs)
    for entry, node in zip(pkgs, nodes):
        lock.packages.append(_package(path, entry, node))
    return lock


def _package(path: Path, entry: Any, node: yaml.Node | None) -> LockedPackage:
    if not isinstance(entry, dict):
        raise _e(path, "each `package` entry must be a mapping", node)
    missing = [k for k in ("name", "version", "manager", "platform", "url") if entry.get(k) in (None, "")]
    if missing:
        raise _e(path, f"package entry {entry.get('name', '?')!r} lacks {', '.join(missing)}", node)
    manager = str(entry["manager"])
    if manager not in ("conda", "pip"):
        raise _e(path, f"package {entry['name']!r}: unknown manager {manager!r} (expected conda or pip)", node)
    h = entry.get("hash") or {}
    if not isinstance(h, dict):
        raise _e(path, f"package {entry['name']!r}: `hash` must be a mapping", node)
    cats = entry.get("categories")
    category = str(entry.get("category") or (cats[0] if isinstance(cats, list) and cats else "main"))
    return LockedPackage(
        name=str(entry["name"]), version=str(entry["version"]), manager=manager,
        platform=str(entry["platform"]), url=str(entry["url"]),
        md5=h.get("md5"), sha256=h.get("sha256"),
        dependencies={str(k): str(v) for k, v in (entry.get("dependencies") or {}).items()},
        category=category, optional=bool(entry.get("optional", False)),
        line=node.start_mark.line + 1 if node is not None else None,
    )


def write_conda_lock(path: Path, *, platforms: list[str], channels: list[str], sources: list[str],
                     content_hash: dict[str, str], packages: list[LockedPackage]) -> None:
    """Write a conda-lock v1 unified lock file (readable by conda-lock and micromamba).

    Args:
        path: destination (written atomically).
        platforms: subdirs locked.
        channels: channel names/URLs in priority order.
        sources: spec files, relative to the lock's folder.
        content_hash: ``{platform: sha256 hex}`` of the inputs.
        packages: entries for every platform, conda and pip.
    """
    doc = {
        "version": 1,
        "metadata": {
            "content_hash": dict(content_hash),
            "channels": [{"url": c, "used_env_vars": []} for c in channels],
            "platforms": list(platforms),
            "sources": list(sources),
        },
        "package": [p.to_dict() for p in packages],
    }
    header = ("# This lock file was generated by kernelenv in conda-lock's unified format (version 1).\n"
              "# Install it with `kernelenv rebuild`, `conda-lock install` or `micromamba create -f`.\n"
              "# Re-solve after changing the environment file: `kernelenv lock`.\n")
    text = header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def is_explicit_lock(path: Path) -> bool:
    """Whether ``path`` is a text file holding an ``@EXPLICIT`` line (conda's explicit format).

    Reads at most the first 64 KiB; never raises for unreadable or binary files.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return False
    if b"\0" in head:
        return False
    return any(ln.strip() == b"@EXPLICIT" for ln in head.splitlines())


_HASH = re.compile(r"^(?P<url>[^#\s]+)(?:#(?:(?:sha256:)(?P<sha>[0-9a-fA-F]{64})|(?P<md5>[0-9a-fA-F]{32})))?$")
_FNAME = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-]+)\.(?:tar\.bz2|conda)$")


@bounded
def read_explicit(path: Path) -> ExplicitLock:
    """Parse an ``@EXPLICIT`` file.

    Returns:
        An :class:`ExplicitLock`; each package's name/version come from the file name
        (``<name>-<version>-<build>.conda|.tar.bz2``).

    Raises:
        EnvFileError: no ``@EXPLICIT`` line, or a line that is not a package URL (its line).
    """
    path = Path(path)
    text = read_text(path, MAX_LOCK_BYTES)
    platform = None
    seen_explicit = False
    out = ExplicitLock(path=path, platform=None)
    for i, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = re.match(r"#\s*platform:\s*(\S+)", line)
            if m:
                platform = m.group(1)
            continue
        if line == "@EXPLICIT":
            seen_explicit = True
            continue
        if not seen_explicit:
            raise EnvFileError(path, f"unexpected line before @EXPLICIT: {line!r}", i, 1, code="invalid-lock")
        m = _HASH.match(line)
        fname = m.group("url").rstrip("/").rsplit("/", 1)[-1] if m else ""
        fm = _FNAME.match(fname)
        if not m or not fm:
            raise EnvFileError(path, f"not a conda package URL: {line!r}", i, 1, code="invalid-lock")
        subdir = m.group("url").rstrip("/").rsplit("/", 2)[-2]
        out.packages.append(LockedPackage(
            name=fm.group("name"), version=fm.group("version"), manager="conda",
            platform=platform or subdir, url=m.group("url"), md5=(m.group("md5") or None),
            sha256=(m.group("sha") or None), line=i))
    if not seen_explicit:
        raise EnvFileError(path, "no @EXPLICIT line: not a conda explicit lock file", 1, 1, code="invalid-lock")
    out.platform = platform
    return out


__all__ = ["CondaLock", "ExplicitLock", "LockedPackage", "read_conda_lock", "write_conda_lock",
           "is_explicit_lock", "read_explicit"]
