"""The ``pip:`` part of conda envs, done with uv: install, lock per platform, install locked.

uv is run as a subprocess with argument lists (:func:`kernelenv.uvtool.run_uv`),
always with ``--python <prefix>/bin/python`` so it installs into the conda prefix.
Locking uses ``uv pip compile --format pylock.toml`` (PEP 751) for each conda
platform (``--python-platform``, ``--python-version`` of the python the conda solve
picked) and turns its packages into conda-lock ``manager: pip`` entries.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

from .conda_channels import UV_PLATFORMS
from .errors import BuildError
from .layout import python_in
from .parsers.condalock import LockedPackage
from .progress import Reporter
from .uvtool import run_uv, run_uv_cache_first


_EDITABLE_VCS = re.compile(r"^(?:-e|--editable)[\s=]+(?P<url>(?:git|hg|svn|bzr)\+[^#\s]+)#egg=(?P<name>[A-Za-z0-9_.-]+)")


def pip_args(lines: list[str]) -> list[str]:
    """Turn pip lines (``-r f``, ``-e url``, ``--index-url=u``, ``pkg>=1``) into uv arguments.

    ``-e git+URL#egg=name`` (pip's editable VCS form, which uv does not support: uv
    only makes local folders editable) becomes the PEP 508 ``name @ git+URL``, a
    regular install of the same commit-ish.
    """
    args: list[str] = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        vcs = _EDITABLE_VCS.match(line)
        if vcs:
            args.append(f"{vcs.group('name')} @ {vcs.group('url')}")
            continue
        if line.startswith("-"):
            m = re.match(r"^(-[a-zA-Z]|--[a-z-]+)(?:[\s=]+(.+))?$", line)
            if m:
                args.append(m.group(1))
                if m.group(2):
                    args.append(m.group(2).strip())
                continue
        args.append(line)
    return args


def install_pip(prefix: Path, lines: list[str], cwd: Path, reporter: Reporter) -> None:
    """``uv pip install`` the pip lines into the conda prefix.

    Args:
        prefix: the conda prefix (its ``bin/python`` is the target).
        lines: pip lines from the spec.
        cwd: folder relative paths (``-r requirements.txt``, ``-e .``) are relative to.

    Raises:
        BuildError: uv failed (step ``pip``), with uv's last line.
    """
    if not lines:
        return
    reporter.step("pip", 0.75, f"Installing {len(lines)} pip entr{'y' if len(lines) == 1 else 'ies'} with uv")
    run_uv(["pip", "install", "--python", str(python_in(prefix, "conda")), *pip_args(lines)], reporter,
           step="pip", cwd=cwd, error="Installing the pip: section with uv failed")


def install_locked_pip(prefix: Path, packages: list[LockedPackage], reporter: Reporter,
                       extra: list[str] | None = None) -> None:
    """Install exactly the locked pip entries (URL and hash, ``--no-deps``) into the prefix.

    Args:
        prefix: the conda prefix.
        packages: the lock's ``manager: pip`` entries for this platform.
        reporter: progress (step ``pip``).
        extra: requirements kernelenv adds in the same uv call (``pip==X``, pinned per lock by
            :func:`kernelenv.kernelpins.pinned_extras`): they carry no hash, so uv is not given
            ``--require-hashes`` then; it still checks every hash the lock gives (uv's default
            ``--verify-hashes``).

    Raises:
        BuildError: uv failed (step ``pip``).
    """
    extra = list(extra or [])
    if not packages and not extra:
        return
    reporter.step("pip", 0.75, f"Installing {len(packages)} locked pip package(s) with uv"
                  + (f", and {' '.join(extra)}" if extra else ""))
    with tempfile.TemporaryDirectory(prefix="kernelenv-pip-") as d:
        req = Path(d) / "locked.txt"
        rows = []
        hashed = all(p.sha256 for p in packages)
        for p in packages:
            row = f"{p.name} @ {p.url}"
            if hashed:
                row += f" --hash=sha256:{p.sha256}"
            rows.append(row)
        req.write_text("\n".join(rows + extra) + "\n", encoding="utf-8")
        args = ["pip", "install", "--python", str(python_in(prefix, "conda")), "--no-deps", "-r", str(req)]
        if hashed and packages and not extra:
            args.append("--require-hashes")
        run_uv_cache_first(args, reporter, step="pip", what="the locked pip packages",
                           error="Installing the locked pip packages with uv failed")


def lock_pip(lines: list[str], cwd: Path, platform: str, python_version: str,
             reporter: Reporter) -> list[LockedPackage]:
    """Resolve the pip lines for one conda platform into exact ``manager: pip`` entries.

    Args:
        lines: pip lines.
        cwd: folder relative paths are resolved against.
        platform: conda subdir (see :data:`kernelenv.conda_channels.UV_PLATFORMS`).
        python_version: ``X.Y`` of the python the conda solve chose for that platform.

    Returns:
        One entry per package: the platform's wheel URL (else the sdist) and its sha256.

    Raises:
        BuildError: no uv platform for ``platform``, or uv failed (step ``lock``).
    """
    if not lines:
        return []
    if platform not in UV_PLATFORMS:
        raise BuildError("lock", f"cannot lock pip entries for {platform}: uv knows no such platform "
                         f"(supported: {', '.join(UV_PLATFORMS)})")
    with tempfile.TemporaryDirectory(prefix="kernelenv-piplock-") as d:
        out = Path(d) / "pylock.toml"
        run_uv(["pip", "compile", "--format", "pylock.toml", "-o", str(out), "--no-header", "--quiet",
                "--python-version", python_version, "--python-platform", UV_PLATFORMS[platform],
                *_compile_inputs(lines, Path(d))], reporter, step="lock", cwd=cwd,
               error=f"Locking the pip: section for {platform} with uv failed")
        data = tomllib.loads(out.read_text(encoding="utf-8"))
    result = []
    for pkg in data.get("packages", []):
        url, sha = _artifact(pkg)
        if url is None:
            raise BuildError("lock", f"pip package {pkg.get('name')} has no downloadable file for {platform} "
                             "(VCS or local path entries cannot be locked)")
        deps = {}
        result.append(LockedPackage(name=str(pkg["name"]), version=str(pkg.get("version", "")), manager="pip",
                                    platform=platform, url=url, sha256=sha, dependencies=deps))
    return result


def _compile_inputs(lines: list[str], tmp: Path) -> list[str]:
    """uv pip compile takes files: pass ``-r`` files through, put the rest in one file."""
    args: list[str] = []
    rest: list[str] = []
    for line in lines:
        m = re.match(r"^(?:-r|--requirement)[\s=]+(.+)$", line.strip())
        if m:
            args.append(m.group(1).strip())
        else:
            rest.append(line)
    if rest:
        f = tmp / "requirements.in"
        f.write_text("\n".join(rest) + "\n", encoding="utf-8")
        args.append(str(f))
    return args


def _artifact(pkg: dict) -> tuple[str | None, str | None]:
    wheels = pkg.get("wheels") or []
    if wheels:
        w = wheels[0]
        return w.get("url"), (w.get("hashes") or {}).get("sha256")
    sd = pkg.get("sdist")
    if sd:
        return sd.get("url"), (sd.get("hashes") or {}).get("sha256")
    arch = pkg.get("archive")
    if arch:
        return arch.get("url"), (arch.get("hashes") or {}).get("sha256")
    return None, None


__all__ = ["install_pip", "install_locked_pip", "lock_pip", "pip_args"]
