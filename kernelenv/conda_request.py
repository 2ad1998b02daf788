"""What to solve for a conda project: channels, MatchSpecs and pip lines, from its spec file.

One :class:`CondaRequest` shape for both spec formats kernelenv solves with rattler:
``environment.yml`` (:mod:`kernelenv.parsers.conda`) and ``pixi.toml``
(:mod:`kernelenv.parsers.pixi`, one pixi environment). It keeps each spec's line so a
solver failure can point at the lines involved.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EnvFileError
from .model import Project
from .parsers.conda import is_windows_only, read_environment_yml, strip_build
from .parsers.pixi import read_pixi_toml


@dataclass
class CondaRequest:
    """A solve request.

    Args:
        source: the spec file.
        channels: channels as written (``nodefaults``/``defaults`` unresolved).
        specs: conda MatchSpec strings.
        pip: pip lines (requirements, ``-r file``, ``-e ...``) for uv, run in :attr:`pip_cwd`.
        pip_cwd: the folder relative pip paths are resolved against.
        lines: ``{conda name: 1-based line}`` in :attr:`source`.
        warnings: from parsing and from what kernelenv added.
        ipykernel_declared: whether the project itself asks for ipykernel.
    """

    source: Path
    channels: list[str]
    specs: list[str]
    pip: list[str] = field(default_factory=list)
    pip_cwd: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    ipykernel_declared: bool = False

    def spec_names(self) -> list[str]:
        """The normalized names of :attr:`specs`."""
        return [_name(s) for s in self.specs]

    def pip_names(self) -> list[str]:
        """Normalized names of the pip requirement lines (option lines skipped)."""
        out = []
        for line in self.pip:
            if line.startswith("-"):
                m = re.search(r"#egg=([A-Za-z0-9_.-]+)", line)
                if m:
                    out.append(_pep503(m.group(1)))
                continue
            m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
            if m:
                out.append(_pep503(m.group(1)))
        return out

    def with_python(self, version: str) -> "CondaRequest":
        """A copy whose python spec is ``python <version>`` (``--python`` override)."""
        specs = [s for s in self.specs if _name(s) != "python"]
        v = version.strip()
        specs.insert(0, f"python {v}.*" if re.fullmatch(r"\d+(\.\d+)?", v) else f"python {v}")
        return dataclasses.replace(self, specs=specs)


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(spec: str) -> str:
    from rattler import MatchSpec

    ms = MatchSpec(spec)
    return ms.name.normalized if ms.name is not None else spec


def spec_file(project: Project) -> Path:
    """The spec file of a conda project.

    Raises:
        EnvFileError: the project has no environment.yml / pixi.toml spec.
    """
    if project.spec is None:
        raise EnvFileError(project.lock or project.root,
                           "no environment.yml or pixi.toml to solve from (only a lock)", code="no-spec")
    return project.spec


def is_pixi(path: Path) -> bool:
    """Whether ``path`` is a pixi manifest."""
    return path.name == "pixi.toml"


def read_request(project: Project, *, strip_builds: bool = False, platform: str | None = None) -> CondaRequest:
    """Read the project's spec into a :class:`CondaRequest`.

    Args:
        project: a conda/pixi project.
        strip_builds: drop build strings and Windows-only packages (environment.yml).
        platform: the subdir being solved (Windows-only packages are fine on ``win-*``).

    Raises:
        EnvFileError: a parse error, or (without ``strip_builds``) Windows-only packages
            when solving for another platform: the message names the first one's line
            and offers ``--strip-builds``.
    """
    path = spec_file(project)
    if is_pixi(path):
        return _from_pixi(path, project.environment or "default", platform)
    if path.suffix not in (".yml", ".yaml"):
        return _from_pip_spec(project, path)
    env = read_environment_yml(path)
    target = platform or _current()
    req = CondaRequest(source=path, channels=list(env.channels), specs=list(env.dependencies),
                       pip=list(env.pip), pip_cwd=path.parent,
                       lines={e.name: e.line for e in env.entries}, warnings=list(env.warnings))
    win = env.windows_only
    if strip_builds:
        kept, dropped = env.stripped_dependencies()
        if target.startswith("win"):
            kept += [strip_build(d) for d in dropped]
            dropped = []
        req.specs = kept
        if not target.startswith("win"):
            win_pip = [ln for ln in req.pip if not ln.startswith("-") and _is_windows_pip(ln)]
            if win_pip:
                req.pip = [ln for ln in req.pip if ln not in win_pip]
                req.warnings.append(f"--strip-builds: dropped Windows-only pip entries: {', '.join(win_pip)}")
        if dropped or env.with_builds:
            req.warnings.append(f"--strip-builds: removed build strings from {len(env.with_builds)} entries"
                                + (f" and dropped {len(dropped)} Windows-only packages ({', '.join(dropped)})"
                                   if dropped else ""))
    elif win and not target.startswith("win"):
        first = win[0]
        more = f" (and {len(win) - 1} more: {', '.join(e.name for e in win[1:6])}{' ...' if len(win) > 6 else ''})" \
            if len(win) > 1 else ""
        raise EnvFileError(
            path, f"`{first.spec}` is a Windows-only package{more}: this file is a `conda env export` made on "
            f"Windows and cannot be solved for {target}. Run again with --strip-builds to drop the build strings "
            "and the Windows-only packages.", first.line, first.column, code="windows-only")
    req.ipykernel_declared = "ipykernel" in req.spec_names() or "ipykernel" in req.pip_names()
    return req


def _from_pip_spec(project: Project, path: Path) -> CondaRequest:
    """A conda env asked for (``--backend rattler``) over a pip-only project: python from conda, the rest with uv."""
    if not path.name.startswith("requirements"):
        raise EnvFileError(path, f"a conda env cannot be built from {path.name}: add an environment.yml, "
                           "or use the uv backend", code="unsupported-spec")
    python = "python"
    if project.python is not None:
        m = re.match(r"^==\s*(\d+\.\d+)(\.\*)?$", project.python.specifier)
        python = f"python {m.group(1)}.*" if m else f"python {project.python.specifier}"
    req = CondaRequest(source=path, channels=[], specs=[python], pip=[f"-r {path.name}"], pip_cwd=path.parent,
                       warnings=[f"{path.name} is installed with uv into a conda env (no conda spec)"])
    req.ipykernel_declared = False
    return req


def _is_windows_pip(line: str) -> bool:
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return bool(m) and is_windows_only(m.group(1))


def _current() -> str:
    from .conda_channels import current_platform

    return current_platform()


def _pixi_spec(name: str, spec: Any) -> str:
    if isinstance(spec, dict):
        version = str(spec.get("version") or "").strip()
        build = str(spec.get("build") or "").strip()
        channel = str(spec.get("channel") or "").strip()
        s = f"{channel}::{name}" if channel else name
        if version and version != "*":
            s += f" {version}"
        elif build:
            s += " *"
        if build:
            s += f" {build}"
        return s
    v = str(spec).strip()
    return name if v in ("", "*") else f"{name} {v}"


def _pypi_line(name: str, spec: Any) -> str:
    if isinstance(spec, dict):
        extras = spec.get("extras") or []
        base = name + (f"[{','.join(extras)}]" if extras else "")
        if spec.get("git"):
            ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
            return f"{base} @ git+{spec['git']}" + (f"@{ref}" if ref else "")
        if spec.get("url"):
            return f"{base} @ {spec['url']}"
        if spec.get("path"):
            return f"{'-e ' if spec.get('editable') else ''}{spec['path']}"
        v = str(spec.get("version") or "").strip()
        return base if v in ("", "*") else base + v
    v = str(spec).strip()
    return name if v in ("", "*") else name + v


def _from_pixi(path: Path, environment: str, platform: str | None) -> CondaRequest:
    manifest = read_pixi_toml(path)
    feat = manifest.resolve(environment, platform or _current())
    text = path.read_text(encoding="utf-8")
    lines = {}
    for name in feat.dependencies:
        # [ \t]*, not \s*: with re.M, \s* runs across blank lines from every line start
        # (quadratic in a run of newlines).
        m = re.search(rf"^[ \t]*\"?{re.escape(name)}\"?[ \t]*=", text, re.M)
        if m:
            lines[name.lower()] = text.count("\n", 0, m.start()) + 1
    req = CondaRequest(source=path, channels=list(feat.channels),
                       specs=[_pixi_spec(n, s) for n, s in feat.dependencies.items()],
                       pip=[_pypi_line(n, s) for n, s in feat.pypi_dependencies.items()],
                       pip_cwd=path.parent, lines=lines)
    req.ipykernel_declared = "ipykernel" in req.spec_names() or "ipykernel" in req.pip_names()
    return req


def lock_platforms_for(project: Project, override: list[str] | None = None) -> tuple[list[str], str]:
    """The conda platforms to lock a project for, and where that list came from.

    First match wins: ``override`` (``kernelenv lock --platform``), the environment.yml
    ``platforms:`` list, ``[tool.conda-lock] platforms`` in the project's pyproject.toml
    (conda-lock's two conventions), then :func:`kernelenv.conda_channels.lock_platforms`
    (``KERNELENV_LOCK_PLATFORMS`` or linux-64, osx-64, osx-arm64, win-64).

    Raises:
        EnvFileError: a ``platforms`` entry (or an override) is not a conda platform name.
    """
    from .conda_channels import is_platform, lock_platforms

    if override:
        for p in override:
            if not is_platform(p):
                raise EnvFileError(project.spec or project.root, f"--platform {p}: not a conda platform "
                                   "(linux-64, linux-aarch64, osx-64, osx-arm64, win-64 ...)",
                                   code="invalid-platform")
        return list(dict.fromkeys(override)), "--platform"
    path = project.spec
    if path is not None and path.suffix in (".yml", ".yaml") and not is_pixi(path):
        env = read_environment_yml(path)
        if env.platforms:
            return env.platforms, f"{path.name} platforms (line {env.platforms_line})"
    pyproject = project.root / "pyproject.toml"
    if pyproject.is_file():
        plats = _conda_lock_platforms(pyproject)
        if plats:
            return plats, "pyproject.toml [tool.conda-lock] platforms"
    return lock_platforms(), "default"


def _conda_lock_platforms(pyproject: Path) -> list[str]:
    """``[tool.conda-lock] platforms`` of a pyproject.toml (``[]`` when absent or unreadable).

    Raises:
        EnvFileError: the value is not a list of conda platform names.
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    from .conda_channels import is_platform

    try:
        if pyproject.stat().st_size > (1 << 20):
            return []
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return []  # the pyproject parser reports its errors
    tool = data.get("tool")
    cl = tool.get("conda-lock") if isinstance(tool, dict) else None
    plats = cl.get("platforms") if isinstance(cl, dict) else None
    if plats is None:
        return []
    if not isinstance(plats, list) or not all(isinstance(p, str) for p in plats):
        raise EnvFileError(pyproject, "[tool.conda-lock] platforms must be a list of platform names",
                           code="invalid-platform")
    for p in plats:
        if not is_platform(p):
            raise EnvFileError(pyproject, f"[tool.conda-lock] platforms: `{p}` is not a conda platform",
                               code="invalid-platform")
    return list(dict.fromkeys(plats))


__all__ = ["CondaRequest", "read_request", "spec_file", "is_pixi", "lock_platforms_for"]
