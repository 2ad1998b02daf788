"""Reading pixi manifests (``pixi.toml``) and lock files (``pixi.lock``) without pixi.

Formats: the pixi manifest (https://pixi.sh/latest/reference/pixi_manifest/): a
``[workspace]`` table (current pixi) or ``[project]`` table (older pixi) with
``name``, ``channels`` and ``platforms``; ``[dependencies]`` (conda MatchSpecs by
name), ``[pypi-dependencies]``, ``[feature.<name>.*]`` tables and ``[environments]``
(``name = ["feat", ...]`` or ``name = {features = [...], no-default-feature = true}``).
Every environment includes the implicit ``default`` feature unless it says
``no-default-feature``. ``pixi.lock`` is read with :class:`rattler.LockFile`, the
library pixi itself uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EnvFileError
from .errors_util import MAX_LOCK_BYTES, Collector, bounded, find_position, load_toml, too_large
from .condalock import LockedPackage


@dataclass
class PixiFeature:
    """One pixi feature (``default`` is the manifest's top-level tables).

    Args:
        dependencies: ``{name: spec}``; a table spec is kept as a dict.
        pypi_dependencies: ``{name: spec}``.
        channels: extra channels (features only), platforms likewise.
        targets: ``{platform: {"dependencies": {...}, "pypi-dependencies": {...}}}``.
    """

    name: str
    dependencies: dict[str, Any] = field(default_factory=dict)
    pypi_dependencies: dict[str, Any] = field(default_factory=dict)
    channels: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    targets: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass
class PixiManifest:
    """What a ``pixi.toml`` declares.

    Args:
        path: the file.
        name: workspace/project name, or ``None``.
        table: ``"workspace"`` or ``"project"`` (which table held the metadata).
        channels: channel names/URLs in priority order.
        platforms: subdirs the workspace supports.
        dependencies: the default feature's ``{name: spec}``.
        pypi_dependencies: the default feature's PyPI dependencies.
        python: the default feature's python spec (``"3.11.*"``), or ``None`` when
            absent or ``"*"``.
        environments: ``{env name: [feature names]}``; always holds ``default``.
        features: ``{feature name: PixiFeature}`` including ``default``.
    """

    path: Path
    name: str | None = None
    table: str = "workspace"
    channels: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    dependencies: dict[str, Any] = field(default_factory=dict)
    pypi_dependencies: dict[str, Any] = field(default_factory=dict)
    python: str | None = None
    environments: dict[str, list[str]] = field(default_factory=dict)
    features: dict[str, PixiFeature] = field(default_factory=dict)

    def resolve(self, environment: str = "default", platform: str | None = None) -> PixiFeature:
        """Merge the features of ``environment`` (later features win) into one.

        Args:
            environment: an environment name.
            platform: include ``[target.<platform>.*]`` tables of each feature.

        Raises:
            EnvFileError: unknown environment (lists the known ones).
        """
        if environment not in self.environments:
            raise EnvFileError(self.path, f"no pixi environment {environment!r}; known: "
                               f"{', '.join(sorted(self.environments))}", code="unknown-environment")
        out = PixiFeature(name=environment, channels=[], platforms=[])
        for fname in self.environments[environment]:
            f = self.features[fname]
            for ch in f.channels:
                if ch not in out.channels:
                    out.channels.append(ch)
            out.dependencies.update(f.dependencies)
            out.pypi_dependencies.update(f.pypi_dependencies)
            if platform and platform in f.targets:
                out.dependencies.update(f.targets[platform].get("dependencies", {}))
                out.pypi_dependencies.update(f.targets[platform].get("pypi-dependencies", {}))
        for ch in self.channels:
            if ch not in out.channels:
                out.channels.append(ch)
        out.platforms = list(self.platforms)
        return out


def _channel(c: Any) -> str:
    return str(c.get("channel")) if isinstance(c, dict) else str(c)


def _locate(text: str, header: str, name: str) -> tuple[int | None, int | None, int | None]:
    """(line, column, end column) of ``name = ...`` in table ``header`` (1-based, end exclusive)."""
    start = text.find(f"[{header}]")
    start = max(0, start)
    for needle in (f"{name} =", f'"{name}" =', f"{name}="):
        line, col = find_position(text, needle, start)
        if line is not None:
            row = text.splitlines()[line - 1]
            return line, col, len(row.rstrip()) + 1
    return None, None, None


def _check_deps(path: Path, text: str, header: str, deps: Any, errors: Collector, pypi: bool) -> None:
    """Type-check and validate one ``[...dependencies]`` table; each bad entry is an error."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from rattler import NamelessMatchSpec

    if deps is None:
        return
    if not isinstance(deps, dict):
        line, col = find_position(text, header)
        errors.add(EnvFileError(path, f"[{header}] must be a table of name = spec", line, col,
                                code="invalid-type"))
        return
    for name, spec in deps.items():
        def bad(msg: str, code: str = "invalid-specifier") -> None:
            # Located only for a bad entry: a lookup per entry would be quadratic in the table.
            line, col, end = _locate(text, header, name)
            errors.add(EnvFileError(path, f"[{header}] {name}: {msg}", line, col, code=code,
                                    end_line=line if end else None, end_column=end))

        version = spec.get("version") if isinstance(spec, dict) else spec
        if not isinstance(spec, (str, dict)):
            bad(f"expected a version spec string or a table, not {type(spec).__name__}", "invalid-type")
            continue
        if isinstance(spec, dict):
            wrong = [k for k, v in spec.items() if k in ("version", "build", "channel", "path", "git",
                                                        "url", "branch", "tag", "rev", "subdirectory")
                     and not isinstance(v, str)]
            if wrong:
                bad(f"{wrong[0]} must be a string, not {type(spec[wrong[0]]).__name__}", "invalid-type")
                continue
        if not isinstance(version, str) or version.strip() in ("", "*"):
            continue
        try:
            if pypi:
                SpecifierSet(version)
            else:
                NamelessMatchSpec(version)
        except (InvalidSpecifier, Exception) as exc:  # rattler raises its own error types
            bad(f"invalid version spec {version!r}: {str(exc).splitlines()[0]}")


def _feature(name: str, t: dict[str, Any]) -> PixiFeature:
    f = PixiFeature(name=name, dependencies=dict(t.get("dependencies") or {}),
                    pypi_dependencies=dict(t.get("pypi-dependencies") or {}),
                    channels=[_channel(c) for c in t.get("channels") or []],
                    platforms=[str(p) for p in t.get("platforms") or []])
    for plat, tt in (t.get("target") or {}).items():
        f.targets[str(plat)] = {k: dict(tt.get(k) or {}) for k in ("dependencies", "pypi-dependencies")}
    return f


def _python(spec: Any) -> str | None:
    if isinstance(spec, dict):
        spec = spec.get("version")
    if not isinstance(spec, str) or spec.strip() in ("", "*"):
        return None
    return spec.strip()


@bounded
def read_pixi_toml(path: Path) -> PixiManifest:
    """Parse a ``pixi.toml``.

    Args:
        path: the manifest.

    Returns:
        A :class:`PixiManifest`.

    Raises:
        EnvFileError: TOML syntax error (line/column, code ``toml-syntax``), no
            ``[workspace]``/``[project]`` table, or an environment naming an unknown
            feature (code ``invalid-manifest``), a dependency whose spec is not a valid
            conda version spec (``python = ">>=3"``) or PEP 440 specifier (PyPI), or of
            the wrong type (each one reported: :class:`~kernelenv.errors.EnvFileErrors`),
            size/nesting limits.
    """
    path = Path(path)
    data, text = load_toml(path)
    table = "workspace" if "workspace" in data else "project" if "project" in data else None
    if table is None:
        raise EnvFileError(path, "no [workspace] (or older [project]) table: not a pixi manifest", 1, 1,
                           code="invalid-manifest")
    meta = data[table]
    if not isinstance(meta, dict):
        line, col = find_position(text, table)
        raise EnvFileError(path, f"[{table}] must be a table", line, col, code="invalid-type")
    errors = Collector()
    for key in ("channels", "platforms"):
        if key in meta and not isinstance(meta[key], list):
            line, col = find_position(text, f"{key} =")
            errors.add(EnvFileError(path, f"[{table}] {key} must be a list", line, col, code="invalid-type"))
    if "name" in meta and not isinstance(meta["name"], str):
        line, col = find_position(text, "name =")
        errors.add(EnvFileError(path, f"[{table}] name must be a string", line, col, code="invalid-type"))
    _check_deps(path, text, "dependencies", data.get("dependencies"), errors, pypi=False)
    _check_deps(path, text, "pypi-dependencies", data.get("pypi-dependencies"), errors, pypi=True)
    features = data.get("feature") or {}
    if not isinstance(features, dict):
        errors.add(EnvFileError(path, "[feature] must be a table of features", *find_position(text, "feature"),
                                code="invalid-type"))
        features = {}
    for fname, ft in features.items():
        if not isinstance(ft, dict):
            errors.add(EnvFileError(path, f"[feature.{fname}] must be a table",
                                    *find_position(text, f"feature.{fname}"), code="invalid-type"))
            continue
        _check_deps(path, text, f"feature.{fname}.dependencies", ft.get("dependencies"), errors, pypi=False)
        _check_deps(path, text, f"feature.{fname}.pypi-dependencies", ft.get("pypi-dependencies"), errors,
                    pypi=True)
    errors.raise_all()
    m = PixiManifest(path=path, name=meta.get("name"), table=table,
                     channels=[_channel(c) for c in meta.get("channels") or []],
                     platforms=[str(p) for p in meta.get("platforms") or []])
    default = _feature("default", data)
    m.features["default"] = default
    m.dependencies = default.dependencies
    m.pypi_dependencies = default.pypi_dependencies
    m.python = _python(default.dependencies.get("python"))
    for fname, t in (data.get("feature") or {}).items():
        m.features[str(fname)] = _feature(str(fname), t or {})
    m.environments["default"] = ["default"]
    for ename, spec in (data.get("environments") or {}).items():
        if isinstance(spec, list):
            feats, no_default = [str(x) for x in spec], False
        elif isinstance(spec, dict):
            feats = [str(x) for x in spec.get("features") or []]
            no_default = bool(spec.get("no-default-feature", False))
        else:
            raise EnvFileError(path, f"environment {ename!r} must be a list of features or a table",
                               code="invalid-manifest")
        unknown = [f for f in feats if f not in m.features]
        if unknown:
            raise EnvFileError(path, f"environment {ename!r} uses unknown feature(s): {', '.join(unknown)}",
                               code="invalid-manifest")
        m.environments[str(ename)] = ([] if no_default else ["default"]) + [f for f in feats if f != "default"]
    return m


@dataclass
class PixiLock:
    """A parsed ``pixi.lock``.

    Args:
        path: the file.
        environments: ``{env: {platform: [LockedPackage]}}`` (conda and pypi records).
        channels: ``{env: [channel URL]}``.
    """

    path: Path
    environments: dict[str, dict[str, list[LockedPackage]]] = field(default_factory=dict)
    channels: dict[str, list[str]] = field(default_factory=dict)

    @property
    def platforms(self) -> list[str]:
        """Platforms of the default environment."""
        return sorted(self.environments.get("default", {}))


@bounded
def read_pixi_lock(path: Path) -> PixiLock:
    """Parse a ``pixi.lock`` with :class:`rattler.LockFile`.

    Raises:
        EnvFileError: rattler cannot read it (the message is rattler's, code
            ``invalid-lock``), or it is over :data:`~.errors_util.MAX_LOCK_BYTES`.
    """
    import rattler

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise EnvFileError(path, f"cannot read: {e.strerror or e}", code="unreadable") from e
    if size > MAX_LOCK_BYTES:
        raise too_large(path, size, MAX_LOCK_BYTES)
    try:
        lf = rattler.LockFile.from_path(path)
    except Exception as e:  # rattler raises its own exception types per failure
        raise EnvFileError(path, f"cannot read pixi.lock: {e}", code="invalid-lock") from e
    out = PixiLock(path=path)
    for ename, env in lf.environments():
        out.channels[ename] = [str(c) for c in env.channels()]
        per: dict[str, list[LockedPackage]] = {}
        for plat in env.platforms():
            pk: list[LockedPackage] = []
            for p in env.packages(plat) or []:
                hashes = getattr(p, "hashes", None)
                md5 = sha = None
                if hashes is not None:
                    md5 = hashes.md5.hex() if getattr(hashes, "md5", None) else None
                    sha = hashes.sha256.hex() if getattr(hashes, "sha256", None) else None
                manager = "pip" if isinstance(p, rattler.PypiLockedPackage) else "conda"
                pk.append(LockedPackage(name=str(p.name), version=str(p.version), manager=manager,
                                        platform=plat.name, url=str(p.location), md5=md5, sha256=sha))
            per[plat.name] = pk
        out.environments[ename] = per
    return out


__all__ = ["PixiManifest", "PixiFeature", "PixiLock", "read_pixi_toml", "read_pixi_lock"]
