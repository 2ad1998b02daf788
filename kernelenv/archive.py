"""Offline archives: one ``.tar.gz`` that rebuilds a project's env with no network at all.

``kernelenv export --format archive`` writes::

    kernelenv-archive/manifest.json      format, version, project, Python, platforms, sha256 of every file
    kernelenv-archive/project/...        the project's env files (spec, lock, Python request)
    kernelenv-archive/pip/<platform>.txt exact pins with --hash per platform (venvs: what is installed offline)
    kernelenv-archive/wheels/...         every wheel/sdist the lock names for the platform(s)
    kernelenv-archive/channel/<subdir>/  every conda package of the lock, indexed with rattler

Everything comes from the lock (venvs: the lock as PEP 751 ``pylock.toml``, see
:func:`kernelenv.export.pylock_text`; conda: ``conda-lock.yml``), each download checked
against the lock's hash. ipykernel is added (resolved by ``uv pip compile`` under the
lock's pins) only when the lock does not pin it, as ``kernelenv create`` does.

``kernelenv create --from ARCHIVE [DEST]`` checks the archive before it writes anything
(tar members: plain files only, no absolute or ``..`` paths; manifest format and version;
platform; the sha256 of every file), unpacks the project into DEST, keeps the packages in
``DEST/.kernelenv/archive/`` and builds with uv ``--offline --no-index --find-links`` or
rattler from ``file://`` URLs: no index or channel is contacted.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import BuildError, KernelenvError
from .model import Project
from .progress import Reporter

FORMAT = "kernelenv-archive"
FORMAT_VERSION = 1
TOP = "kernelenv-archive"
MAX_MEMBERS = 100_000
MAX_MANIFEST_BYTES = 16 * 1024 * 1024


class ArchiveError(KernelenvError):
    """An archive cannot be written or used: truncated, tampered, another platform, a newer
    format, or an unsafe member. Nothing was written to the destination."""

    code = "archive-error"


@dataclass
class ArchiveResult:
    """What :func:`write_archive` wrote.

    Args:
        path: the archive. size: its size in bytes. files: files it holds (manifest excluded).
        platforms: conda subdirs covered. python_version: the Python the wheels are for.
        downloaded: artifacts fetched from their URLs.
    """

    path: Path
    size: int
    files: int
    platforms: list[str]
    python_version: str | None
    downloaded: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["path"] = str(self.path)
        return d


# -- writing -------------------------------------------------------------------------------

def write_archive(project: Project, output: Path, *, platforms: list[str] | None = None,
                  reporter: Reporter | None = None) -> ArchiveResult:
    """Write the offline archive of ``project`` to ``output`` (``.tar.gz``).

    Args:
        platforms: conda subdirs (``linux-64``, ``osx-arm64``, ``win-64`` ...); default this
            machine's. A venv's wheels are chosen per platform by wheel tags and markers.

    Raises:
        ExportError: no lock. ArchiveError: a download does not match the lock's hash, or
        no wheel fits this platform. EnvFileError: unreadable lock. BuildError: uv failed.
    """
    from .conda_channels import current_platform
    from .export import _lock_of, _python_version

    reporter = reporter or Reporter()
    lock = _lock_of(project)
    plats = platforms or [current_platform()]
    conda = project.backend.env_kind == "conda"
    with tempfile.TemporaryDirectory(prefix="kernelenv-archive-") as tmp:
        top = Path(tmp) / TOP
        (top / "project").mkdir(parents=True)
        for f in _project_files(project):
            dest = top / "project" / f.relative_to(project.root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
        python_version = _python_version(project)
        notes: list[str] = []
        if conda:
            downloaded = _conda_artifacts(project, lock, plats, top, reporter)
        else:
            downloaded = _pip_artifacts(project, python_version, plats, top, reporter, notes)
        files = _hash_tree(top)
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                  time.gmtime()),
            "project": {"name": project.name, "backend": project.backend.value,
                        "env_kind": project.backend.env_kind, "lock": lock.relative_to(project.root).as_posix(),
                        "environment": project.environment},
            "python_version": python_version, "platforms": plats, "files": files,
        }
        (top / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        reporter.step("archive", 0.9, f"Writing {output.name}")
        output = Path(output)
        part = output.with_name(output.name + ".part")
        with tarfile.open(part, "w:gz") as tar:
            tar.add(top / "manifest.json", arcname=f"{TOP}/manifest.json")
            for rel in sorted(files):
                tar.add(top / rel, arcname=f"{TOP}/{rel}", recursive=False)
        os.replace(part, output)
    return ArchiveResult(output, output.stat().st_size, len(files), plats, python_version, downloaded, notes)


def _project_files(project: Project) -> list[Path]:
    out = []
    for f in project.files:
        p = f.path
        try:
            p.relative_to(project.root)
        except ValueError:
            continue
        if p.is_file() and not p.is_symlink():
            out.append(p)
    return sorted(set(out))


def _hash_tree(top: Path) -> dict[str, dict[str, Any]]:
    files = {}
    for p in sorted(top.rglob("*")):
        if p.is_file() and p != top / "manifest.json":
            rel = p.relative_to(top).as_posix()
            files[rel] = {"sha256": _sha256(p), "size": p.stat().st_size}
    return files


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, dest: Path, *, sha256: str | None = None, md5: str | None = None) -> None:
    """Download (or copy, for file:// URLs) ``url`` to ``dest``, checking its hash."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=120) as r, open(part, "wb") as out:  # noqa: S310 (lock URLs)
            shutil.copyfileobj(r, out, 1 << 20)
    except OSError as e:
        part.unlink(missing_ok=True)
        raise BuildError("archive", f"downloading {url} failed: {e}") from e
    got = _sha256(part) if sha256 else hashlib.md5(part.read_bytes()).hexdigest() if md5 else None
    want = sha256 or md5
    if want and got != want.lower():
        part.unlink(missing_ok=True)
        raise ArchiveError(f"{url}: downloaded file does not match the lock's hash ({want}); not archived")
    os.replace(part, dest)


#: conda subdir -> (sys_platform, platform_system, platform_machine, os_name, wheel platform tags)
#: for platforms other than this machine's (its own tags come from packaging.tags).
_PLATFORMS: dict[str, tuple[str, str, str, str]] = {
    "linux-64": ("linux", "Linux", "x86_64", "posix"),
    "linux-aarch64": ("linux", "Linux", "aarch64", "posix"),
    "osx-64": ("darwin", "Darwin", "x86_64", "posix"),
    "osx-arm64": ("darwin", "Darwin", "arm64", "posix"),
    "win-64": ("win32", "Windows", "AMD64", "nt"),
}


def _platform_tags(platform: str) -> list[str]:
    """Wheel platform tags for a conda subdir, most specific first (PEP 425/600, macOS rules
    from packaging.tags). This machine's platform uses packaging's own detection."""
    from packaging import tags

    from .conda_channels import current_platform

    if platform == current_platform():
        return list(tags.platform_tags())
    if platform not in _PLATFORMS:
        raise ArchiveError(f"--platform {platform}: wheels can be archived for {', '.join(_PLATFORMS)}")
    machine = _PLATFORMS[platform][2]
    if platform.startswith("linux"):
        out = [f"manylinux_2_{m}_{machine}" for m in range(40, 16, -1)]
        out += [f"manylinux2014_{machine}"]
        if machine == "x86_64":
            out += ["manylinux2010_x86_64", "manylinux1_x86_64"]
        return out + [f"linux_{machine}"]
    if platform.startswith("osx"):
        arch = "arm64" if machine == "arm64" else "x86_64"
        return list(tags.mac_platforms((15, 0), arch))
    return ["win_amd64"]


def _target_tags(python_version: str, platform: str) -> list:
    from packaging import tags

    major, minor = (int(x) for x in python_version.split(".")[:2])
    plats = _platform_tags(platform)
    out = list(tags.cpython_tags((major, minor), platforms=plats))
    out += list(tags.compatible_tags((major, minor), interpreter=f"cp{major}{minor}", platforms=plats))
    return out


def _marker_env(python_version: str, platform: str) -> dict[str, str]:
    from packaging.markers import default_environment

    from .conda_channels import current_platform

    env = default_environment()
    env["python_version"] = ".".join(python_version.split(".")[:2])
    env["python_full_version"] = python_version
    if platform != current_platform():
        sys_platform, system, machine, os_name = _PLATFORMS[platform]
        env.update(sys_platform=sys_platform, platform_system=system, platform_machine=machine, os_name=os_name,
                   platform_release="", platform_version="", implementation_name="cpython",
                   platform_python_implementation="CPython")
    return env


def select_artifacts(packages: list[dict[str, Any]], python_version: str,
                     platform: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """Pick, for each PEP 751 package whose marker holds on ``platform``, the best wheel for
    that platform and CPython ``python_version`` (else its sdist).

    Returns:
        ``[(name, version, artifact table, file name)]``.

    Raises:
        ArchiveError: a package without a version, or with neither a fitting wheel nor an sdist.
    """
    from packaging.markers import Marker
    from packaging.utils import parse_wheel_filename

    env = _marker_env(python_version, platform)
    order = {t: i for i, t in enumerate(_target_tags(python_version, platform))}
    out = []
    for pkg in packages:
        name, version = pkg.get("name"), pkg.get("version")
        marker = pkg.get("marker")
        if marker and not Marker(marker).evaluate(env):
            continue
        if not version:
            raise ArchiveError(f"{name} is locked without a version (VCS or path source): it cannot be archived")
        best, rank = None, None
        for w in pkg.get("wheels") or []:
            fname = w.get("name") or urllib.parse.urlparse(w.get("url", "")).path.rsplit("/", 1)[-1]
            try:
                _, _, _, wtags = parse_wheel_filename(fname)
            except Exception:
                continue
            r = min((order[t] for t in wtags if t in order), default=None)
            if r is not None and (rank is None or r < rank):
                best, rank = (w, fname), r
        if best is None and isinstance(pkg.get("sdist"), dict):
            sd = pkg["sdist"]
            best = (sd, sd.get("name") or urllib.parse.urlparse(sd.get("url", "")).path.rsplit("/", 1)[-1])
        if best is None:
            raise ArchiveError(f"{name} {version}: the lock has no wheel for {platform} "
                               f"(Python {python_version}) and no sdist")
        out.append((str(name), str(version), best[0], best[1]))
    return out


def _pip_artifacts(project: Project, python_version: str | None, plats: list[str], top: Path,
                   reporter: Reporter, notes: list[str]) -> int:
    """Download the lock's wheels for ``plats`` into ``wheels/``; write ``pip/<platform>.txt``
    (exact pins with hashes) for each."""
    import tomllib

    from packaging.utils import canonicalize_name

    from .export import pylock_text

    if not python_version:
        raise ArchiveError(f"{project.root}: no Python version known for the wheels; run `kernelenv create` first")
    reporter.step("archive", 0.05, "Reading the lock as pylock.toml")
    packages = list(tomllib.loads(pylock_text(project, reporter)).get("packages") or [])
    names = {canonicalize_name(p.get("name", "")) for p in packages}
    if "ipykernel" not in names:
        packages += _ipykernel_packages(packages, python_version, reporter)
        notes.append(f"{project.lock.name if project.lock else 'the lock'} does not pin ipykernel: the archive adds "
                     "it (resolved under the lock's pins), as `kernelenv create` does")
    (top / "pip").mkdir(exist_ok=True)
    count = 0
    for plat in plats:
        rows = []
        chosen = select_artifacts(packages, python_version, plat)
        for i, (name, version, art, fname) in enumerate(chosen):
            sha = (art.get("hashes") or {}).get("sha256")
            url = art.get("url") or (Path(art["path"]).resolve().as_uri() if art.get("path") else None)
            if not sha or not url or "/" in fname or fname.startswith("."):
                raise ArchiveError(f"{name} {version}: the lock gives no URL and sha256 for {fname!r}")
            dest = top / "wheels" / fname
            if not dest.exists():
                reporter.step("archive", 0.1 + 0.7 * i / max(1, len(chosen)), f"Fetching {fname}")
                _fetch(url, dest, sha256=sha)
                count += 1
            rows.append(f"{name}=={version} --hash=sha256:{sha}")
        (top / "pip" / f"{plat}.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return count


def _ipykernel_packages(packages: list[dict], python_version: str, reporter: Reporter) -> list[dict]:
    """ipykernel and what it needs beyond the pins, resolved by uv under the pins (PEP 751 entries)."""
    import tomllib

    from .uvtool import run_uv

    with tempfile.TemporaryDirectory(prefix="kernelenv-ipk-") as d:
        cons = Path(d) / "pins.txt"
        cons.write_text("\n".join(f"{p['name']}=={p['version']}" for p in packages if p.get("version")) + "\n",
                        encoding="utf-8")
        req = Path(d) / "in.txt"
        req.write_text("ipykernel\n", encoding="utf-8")
        out = Path(d) / "pylock.toml"
        minor = ".".join(python_version.split(".")[:2])
        run_uv(["pip", "compile", "--quiet", "--universal", "--generate-hashes", "--python-version", minor,
                "-c", str(cons),
                "--format", "pylock.toml", "-o", str(out), str(req)], reporter, step="archive",
               error="resolving ipykernel under the lock's pins failed")
        extra = tomllib.loads(out.read_text(encoding="utf-8")).get("packages") or []
    have = {p.get("name") for p in packages}
    return [p for p in extra if p.get("name") not in have]


def _conda_artifacts(project: Project, lock: Path, plats: list[str], top: Path, reporter: Reporter) -> int:
    """Download every conda package (into ``channel/<subdir>``, then index it with rattler) and
    every pip entry (into ``wheels/``) the lock holds for ``plats``."""
    import asyncio

    import rattler

    if not lock.name.endswith((".yml", ".yaml")) or lock.name == "environment.yml":
        raise ArchiveError(f"{lock}: conda archives are written from conda-lock.yml; run `kernelenv lock`")
    from .parsers.condalock import read_conda_lock

    cl = read_conda_lock(lock)
    missing = [p for p in plats if p not in cl.platforms]
    if missing:
        raise ArchiveError(f"{lock} has no packages for {', '.join(missing)} (it covers {', '.join(cl.platforms)})")
    entries = [p for plat in plats for p in cl.for_platform(plat)]
    count = 0
    for i, p in enumerate(entries):
        fname = p.filename
        if "/" in fname or fname.startswith(".") or not fname:
            raise ArchiveError(f"{lock}: package URL {p.url!r} has no usable file name")
        reporter.step("archive", 0.1 + 0.7 * i / max(1, len(entries)), f"Fetching {fname}")
        if p.manager == "pip":
            dest = top / "wheels" / fname
        else:
            subdir = p.url.rstrip("/").rsplit("/", 2)[-2]
            dest = top / "channel" / subdir / fname
        if not dest.exists():
            _fetch(p.url, dest, sha256=p.sha256, md5=None if p.sha256 else p.md5)
            count += 1
    chan = top / "channel"
    chan.mkdir(exist_ok=True)
    (chan / "noarch").mkdir(exist_ok=True)
    asyncio.run(rattler.index.index_fs(chan, write_zst=False, write_shards=False, force=True))
    return count


# -- reading -------------------------------------------------------------------------------

def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of ``archive`` after checking format, version and member safety.

    Raises:
        ArchiveError: not a readable tar.gz (truncated), no manifest, another format, a newer
        version, an unsafe member.
    """
    with _open(archive) as tar:
        _safe_members(archive, tar)
        try:
            member = tar.getmember(f"{TOP}/manifest.json")
        except KeyError:
            raise ArchiveError(f"{archive}: no {TOP}/manifest.json: not a kernelenv archive") from None
        if member.size > MAX_MANIFEST_BYTES:
            raise ArchiveError(f"{archive}: manifest larger than {MAX_MANIFEST_BYTES} bytes")
        try:
            f = tar.extractfile(member)
            data = json.loads(f.read().decode("utf-8")) if f else None
        except (OSError, EOFError, tarfile.TarError, ValueError) as e:
            raise ArchiveError(f"{archive}: unreadable manifest ({e}); the file is truncated or damaged") from None
    return _check_manifest(archive, data)


def _check_manifest(archive: Path, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ArchiveError(f"{archive}: manifest.json is not a {FORMAT} manifest")
    v = data.get("version")
    if not isinstance(v, int):
        raise ArchiveError(f"{archive}: manifest version {v!r} is not a number")
    if v > FORMAT_VERSION:
        raise ArchiveError(f"{archive}: written by a newer kernelenv (archive format {v}; this kernelenv "
                           f"reads format {FORMAT_VERSION}): upgrade kernelenv")
    proj = data.get("project")
    files = data.get("files")
    if not isinstance(proj, dict) or not isinstance(files, dict) or not isinstance(data.get("platforms"), list):
        raise ArchiveError(f"{archive}: manifest.json lacks project, files or platforms")
    for rel, meta in files.items():
        if not _safe_rel(rel) or not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str):
            raise ArchiveError(f"{archive}: manifest entry {rel!r} is not a safe relative path with a sha256")
    lock = proj.get("lock")
    if not isinstance(lock, str) or f"project/{lock}" not in files:
        raise ArchiveError(f"{archive}: manifest names no lock file held in the archive")
    return data


def _safe_rel(rel: Any) -> bool:
    if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
        return False
    parts = rel.split("/")
    return ".." not in parts and "" not in parts and "." not in parts


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:gz")
    except FileNotFoundError:
        raise ArchiveError(f"{archive}: no such file") from None
    except (OSError, EOFError, tarfile.TarError) as e:
        raise ArchiveError(f"{archive}: not a readable .tar.gz archive ({e}); is it truncated?") from None


def _safe_members(archive: Path, tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    try:
        members = []
        for m in tar:
            members.append(m)
            if len(members) > MAX_MEMBERS:
                raise ArchiveError(f"{archive}: more than {MAX_MEMBERS} members")
    except (OSError, EOFError, tarfile.TarError, ValueError) as e:
        raise ArchiveError(f"{archive}: the archive is truncated or damaged ({e})") from None
    for m in members:
        rel = m.name[len(TOP) + 1:] if m.name.startswith(TOP + "/") else None
        if rel is None or not _safe_rel(rel) or not (m.isfile() or m.isdir()):
            raise ArchiveError(f"{archive}: unsafe member {m.name!r} (only plain files under {TOP}/ are allowed)")
    return members


def unpack(archive: Path, dest: Path) -> dict[str, Any]:
    """Check ``archive`` completely, then unpack it into the new folder ``dest``.

    Every file's sha256 is compared with the manifest before ``dest`` is created; a
    file that differs (tampered), is missing or is not in the manifest is refused by name.

    Returns:
        The manifest.

    Raises:
        ArchiveError: see :func:`read_manifest`; a hash mismatch names the file.
    """
    manifest = read_manifest(archive)
    files = manifest["files"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".kernelenv-unpack-", dir=dest.parent)
    try:
        with _open(archive) as tar:
            members = _safe_members(archive, tar)
            seen = set()
            for m in members:
                if not m.isfile():
                    continue
                rel = m.name[len(TOP) + 1:]
                if rel == "manifest.json":
                    continue
                if rel not in files:
                    raise ArchiveError(f"{archive}: {rel} is not listed in the manifest; refused")
                target = Path(tmp) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                try:
                    src = tar.extractfile(m)
                    assert src is not None
                    with open(target, "wb") as out:
                        for chunk in iter(lambda: src.read(1 << 20), b""):
                            h.update(chunk)
                            out.write(chunk)
                except (OSError, EOFError, tarfile.TarError) as e:
                    raise ArchiveError(f"{archive}: {rel} cannot be read ({e}); the archive is truncated") from None
                if h.hexdigest() != files[rel]["sha256"]:
                    raise ArchiveError(f"{archive}: {rel} does not match its sha256 in the manifest "
                                       "(the archive was modified or damaged); nothing was created")
                seen.add(rel)
        absent = sorted(set(files) - seen)
        if absent:
            raise ArchiveError(f"{archive}: {absent[0]} is listed in the manifest but missing"
                               + (f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""))
        dest.mkdir(parents=True, exist_ok=False)
        shutil.copytree(Path(tmp) / "project", dest, dirs_exist_ok=True)
        store = dest / ".kernelenv" / "archive"
        store.parent.mkdir(parents=True, exist_ok=True)
        from .layout import ensure_state_dir

        ensure_state_dir(dest)
        shutil.move(tmp, str(store))
        (store / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def create_from(archive: Path, dest: Path | None = None, *, reporter: Reporter | None = None,
                kernel_location: Any = None) -> tuple[Project, Any]:
    """Rebuild the env of an archive with no network: see the module docstring.

    Args:
        archive: a file written by :func:`write_archive`.
        dest: the new project folder (default: ``./<project name>``); must not exist
            or be empty.

    Returns:
        ``(project, StatusReport)``.

    Raises:
        ArchiveError: unusable archive (nothing is created), another platform, DEST not empty.
        BuildError / PythonNotFoundError: the offline build failed (DEST keeps the files).
    """
    from .conda_channels import current_platform

    reporter = reporter or Reporter()
    archive = Path(archive).resolve()
    manifest = read_manifest(archive)
    plat = current_platform()
    if plat not in manifest["platforms"]:
        raise ArchiveError(f"{archive}: made for {', '.join(map(str, manifest['platforms']))}, "
                           f"not this machine ({plat})")
    name = manifest["project"].get("name") or "project"
    from .kernels import slug

    dest = Path(dest).resolve() if dest else (Path.cwd() / slug(str(name))).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ArchiveError(f"{dest} exists and is not empty; name a new folder")
    if dest.is_dir():
        dest.rmdir()
    reporter.step("unpack", 0.02, f"Checking and unpacking {archive.name}")
    unpack(archive, dest)
    from .api import detect

    projects = [p for p in detect(dest) if p.root == dest]
    if not projects:
        raise ArchiveError(f"{dest}: the archive's files make no project here")
    project = projects[0]
    lock_rel = manifest["project"]["lock"]
    if project.lock is None or project.lock != dest / lock_rel:
        raise ArchiveError(f"{dest}: detection did not pick {lock_rel} as the lock")
    store = dest / ".kernelenv" / "archive"
    from .operations import create_with_builder

    builder = _offline_builder(project, store, manifest)
    python = manifest.get("python_version")
    python = ".".join(str(python).split(".")[:2]) if python and project.backend.env_kind == "venv" else None
    report = create_with_builder(project, builder, python=python, reporter=reporter,
                                 kernel_location=kernel_location, reason=f"create --from {archive.name}")
    return project, report


def _offline_builder(project: Project, store: Path, manifest: dict[str, Any]) -> Any:
    if project.backend.env_kind == "venv":
        from .backends.uv import UvBuilder

        class OfflineUv(UvBuilder):
            """Installs the archive's wheels with uv, offline, by hash, without resolving."""

            def build(self, project: Project, prefix: Path, *, interpreter: Any, from_lock: bool,
                      reporter: Reporter, strip_builds: bool = False) -> None:
                from .conda_channels import current_platform
                from .layout import python_in
                from .uvtool import run_uv, uv_env

                reporter.step("venv", 0.05, f"Creating a Python {interpreter.version} venv")
                run_uv(["venv", "--quiet", "--no-project", "--python", str(interpreter.path),
                        "--prompt", project.name, str(prefix)], reporter, step="venv")
                reporter.step("install", 0.15, "Installing the archive's packages offline")
                run_uv(["pip", "install", "--offline", "--no-index", "--find-links", str(store / "wheels"),
                        "--require-hashes", "--no-deps", "--python", str(python_in(prefix, "venv")),
                        "-r", str(store / "pip" / f"{current_platform()}.txt")], reporter, step="install",
                       env=uv_env(UV_OFFLINE="1"), error="installing from the archive failed")

        return OfflineUv()
    from .backends.rattler import RattlerBuilder
    from .parsers.condalock import read_conda_lock, write_conda_lock

    assert project.lock is not None
    cl = read_conda_lock(project.lock)
    pk = []
    for p in cl.packages:
        if p.manager == "pip":
            url = (store / "wheels" / p.filename).as_uri()
        else:
            subdir = p.url.rstrip("/").rsplit("/", 2)[-2]
            url = (store / "channel" / subdir / p.filename).as_uri()
        pk.append(replace(p, url=url))
    offline = store / "conda-lock.offline.yml"
    write_conda_lock(offline, platforms=cl.platforms, channels=[(store / "channel").as_uri()],
                     sources=cl.sources, content_hash=cl.content_hash,
                     packages=[p for p in pk if p.platform in manifest["platforms"]])

    class OfflineRattler(RattlerBuilder):
        """Installs the lock's records from the archive's local channel (file:// URLs), and
        nothing the archive does not hold (no pip added from an index)."""

        adds_pip = False

        def build(self, project: Project, prefix: Path, *, interpreter: Any, from_lock: bool,
                  reporter: Reporter, strip_builds: bool = False) -> None:
            super().build(replace(project, lock=offline), prefix, interpreter=interpreter, from_lock=True,
                          reporter=reporter)

    return OfflineRattler()


__all__ = ["ArchiveError", "ArchiveResult", "write_archive", "read_manifest", "unpack", "create_from"]
