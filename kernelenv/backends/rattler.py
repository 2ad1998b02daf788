"""The conda backend without conda: solve and install conda envs with py-rattler.

py-rattler (PyPI ``py-rattler``, import ``rattler``) is the library behind pixi: it
fetches repodata (:class:`rattler.Gateway`), solves (:func:`rattler.solve`) and links
packages into a prefix (:func:`rattler.install`). Its API is async; each call runs
with :func:`asyncio.run` in the calling (worker) thread, and the reporter's cancel
flag cancels the running coroutine.

* ``build`` from a spec (environment.yml or pixi.toml): channels as written
  (``nodefaults`` dropped, channel-less files use :func:`~kernelenv.conda_channels.default_channels`),
  solve for this platform, install, then the ``pip:`` lines with uv. ipykernel is
  added when the project does not ask for it: as a conda package when the channels
  have one, else with uv (private/local channels often do not).
* ``build`` from a lock (conda-lock.yml, ``@EXPLICIT``, pixi.lock): install exactly
  the records for this platform (no solve), then the pip entries with uv
  (``--no-deps``, hashes), then check ``conda-meta`` holds exactly the lock's records.
* Either way, a prefix with python but no pip then gets pip with uv, as conda adds pip to
  python (``add_pip_as_python_dependency``) and as the uv backend adds it to venvs, so
  ``%pip install`` in the kernel lands in the prefix (:mod:`kernelenv.kernelpins`).
* ``lock``: solve for each of :func:`~kernelenv.conda_request.lock_platforms_for` and
  write ``conda-lock.yml`` in conda-lock's v1 format, pip entries included.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

from ..conda_channels import channel_url, current_platform, resolve_channels, virtual_packages
from ..conda_meta import conda_records, installed as _installed, normalize
from ..conda_pip import install_locked_pip, install_pip, lock_pip
from ..conda_request import CondaRequest, is_pixi, lock_platforms_for, read_request
from ..errors import BuildError, CancelledError, EnvFileError
from ..interpreters import Interpreter
from ..kernelpins import install_kernel_extras, pinned_extras, record_pins
from ..layout import python_in
from ..model import Project
from ..parsers.condalock import LockedPackage, is_explicit_lock, read_conda_lock, read_explicit, write_conda_lock
from ..progress import Reporter
from .base import Builder

T = TypeVar("T")

_SETTLE_SECONDS = 0.5


def _solver_errors() -> tuple[type[BaseException], ...]:
    from rattler.exceptions import SolverError

    return (SolverError,)


_FNAME = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-]+)\.(?P<ext>tar\.bz2|conda)$")


def run_async(factory: Callable[[], Awaitable[T]], reporter: Reporter) -> T:
    """Run the coroutine ``factory()`` to completion in this thread, cancellable by ``reporter``.

    Uses :func:`asyncio.run`; when this thread already runs an event loop, a helper
    thread runs it instead (the caller still blocks).

    Raises:
        CancelledError: the reporter was cancelled (the coroutine is cancelled).
    """
    reporter.check_cancelled()

    async def guarded() -> T:
        task = asyncio.ensure_future(factory())
        while not task.done():
            await asyncio.wait({task}, timeout=0.2)
            if reporter.cancelled and not task.done():
                task.cancel()
                try:
                    await task
                except BaseException:
                    pass
                raise CancelledError("Cancelled; the previous environment is unchanged.")
        if task.exception() is not None and not isinstance(task.exception(), _solver_errors()):
            # py-rattler 0.28: when one repodata/package request fails, its sibling requests
            # are still in flight in rattler's threads; if the interpreter exits before they
            # finish, they crash it (PyGILState_Release at finalization). Let them settle.
            await asyncio.sleep(_SETTLE_SECONDS)
        return task.result()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(guarded())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(guarded())
        except BaseException as e:  # re-raised in the caller's thread
            box["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _reason(e: BaseException) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    causes = [ln.removeprefix("Caused by:").strip() for ln in lines if ln.startswith("Caused by:")]
    return causes[-1] if causes else (lines[0] if lines else type(e).__name__)


class RattlerBuilder(Builder):
    """Conda envs built with py-rattler; see the module docstring."""

    env_kind = "conda"
    #: add pip to prefixes that have python but no pip (see :meth:`_add_pip`)
    adds_pip = True

    def __init__(self) -> None:
        self._python_override: str | None = None

    # ----------------------------------------------------------------- python
    def select_python(self, project: Project, override: str | None) -> Interpreter | None:
        """Conda installs its own python: always ``None``.

        ``override`` (``--python``) must be a version (``3.12``); it replaces the
        spec's python entry.

        Raises:
            BuildError: ``override`` is a path (conda envs bring their own interpreter).
        """
        if override and ("/" in override or "\\" in override):
            raise BuildError("prepare", f"--python {override}: conda envs install their own Python; "
                             "pass a version such as 3.12 instead of a path.")
        self._python_override = override
        return None

    # ------------------------------------------------------------------ build
    def build(self, project: Project, prefix: Path, *, interpreter: Interpreter | None,
              from_lock: bool, reporter: Reporter, strip_builds: bool = False) -> None:
        """Build the conda prefix (see the module docstring).

        Raises:
            EnvFileError: bad spec/lock file, unsatisfiable specs (with the lines
                involved), a lock without this platform.
            BuildError: unreachable channel (names it and its URL), install or uv failure.
            CancelledError: cancelled.
        """
        locked = from_lock and project.lock is not None and project.lock.exists()
        if locked:
            self._build_from_lock(project, prefix, reporter)
        else:
            self._build_from_spec(project, prefix, reporter, strip_builds)
        reporter.check_cancelled()
        self._add_pip(project, prefix, locked, reporter)  # when the pip step above did not add it

    def _needs_pip(self, conda_names: set[str]) -> bool:
        """Whether pip is to be added to a prefix of these conda packages (normalized names):
        it has python and no pip (see :meth:`_add_pip`)."""
        return self.adds_pip and "python" in conda_names and "pip" not in conda_names

    def _add_pip(self, project: Project, prefix: Path, from_lock: bool, reporter: Reporter) -> None:
        """pip, when the prefix has python but no pip (conda adds it with python by default,
        ``add_pip_as_python_dependency``; rattler does not), so ``%pip install`` in the kernel
        lands in this prefix. Installed with uv as the venv backend does, pinned per lock
        (:func:`kernelenv.kernelpins.install_kernel_extras`). Skipped when :attr:`adds_pip` is
        false (an offline archive rebuild installs only what the archive holds)."""
        if not self.adds_pip:
            return
        python = python_in(prefix, "conda")
        installed = self.installed(prefix)
        if "python" not in installed or "pip" in installed or not python.exists():
            return
        install_kernel_extras(project, prefix, python, ["pip"], installed, self.installed, from_lock, reporter)

    def _request(self, project: Project, platform: str, strip_builds: bool) -> CondaRequest:
        req = read_request(project, strip_builds=strip_builds, platform=platform)
        if self._python_override:
            req = req.with_python(self._python_override)
        return req

    def _prepare_spec(self, project: Project, reporter: Reporter, strip_builds: bool
                      ) -> tuple[CondaRequest, str, list[str], Any, list[str], list[str]]:
        """Read the spec for this platform and add ipykernel.

        Returns:
            ``(request, platform, channel URLs, gateway, conda specs, pip lines)``.
        """
        import rattler

        plat = current_platform()
        reporter.step("read", 0.05, f"Reading {project.spec.name if project.spec else 'the spec'}")
        req = self._request(project, plat, strip_builds)
        for w in req.warnings:
            reporter.log(f"warning: {w}")
        channels = resolve_channels(req.channels, plat)
        gateway = rattler.Gateway(show_progress=False)
        specs, pip = self._with_ipykernel(req, channels, plat, gateway, reporter)
        return req, plat, channels, gateway, specs, pip

    def _build_from_spec(self, project: Project, prefix: Path, reporter: Reporter, strip_builds: bool) -> None:
        req, plat, channels, gateway, specs, pip = self._prepare_spec(project, reporter, strip_builds)
        records = self._solve(req, specs, channels, plat, gateway, reporter, for_lock=False)
        reporter.check_cancelled()
        self._install(records, prefix, reporter)
        reporter.check_cancelled()
        if pip and self._needs_pip({r.name.normalized for r in records}):
            pip = [*pip, "pip"]  # in the same uv call as the spec's pip: entries (issue 15)
        install_pip(prefix, pip, req.pip_cwd or req.source.parent, reporter)

    def _with_ipykernel(self, req: CondaRequest, channels: list[str], platform: str, gateway: Any,
                        reporter: Reporter) -> tuple[list[str], list[str]]:
        """The specs and pip lines, plus python when missing and ipykernel (conda when the channels have it, else uv).

        ipykernel is only added when the project asks for Python: the spec names python, has
        pip entries, or depends on something that brings python. A spec that solves without
        python (an R env: ``r-irkernel`` ...) is left as it is; its own kernels are registered.
        """
        specs, pip = list(req.specs), list(req.pip)
        if "python" not in req.spec_names():
            if not pip and not self._solution_has_python(req, specs, channels, platform, gateway, reporter):
                reporter.log("kernelenv: the spec asks for no Python, so no ipykernel is added; the kernels "
                             "the env ships (share/jupyter/kernels) are registered")
                return specs, pip
            reporter.log("kernelenv: adding python (a kernel env needs an interpreter)")
            specs.append("python")
        if req.ipykernel_declared:
            return specs, pip
        if self._channels_have(gateway, channels, platform, "ipykernel", req, reporter):
            reporter.log("kernelenv: adding ipykernel (conda) so the env can run as a Jupyter kernel")
            specs.append("ipykernel")
        else:
            reporter.log("kernelenv: the channels have no ipykernel; adding it to the pip entries (installed with uv)")
            pip.append("ipykernel")
        return specs, pip

    def _solution_has_python(self, req: CondaRequest, specs: list[str], channels: list[str], platform: str,
                             gateway: Any, reporter: Reporter) -> bool:
        """Whether the spec as written solves to an env holding python (one extra solve)."""
        records = self._solve(req, specs, channels, platform, gateway, reporter,
                              for_lock=platform != current_platform())
        return any(r.name.normalized == "python" for r in records)

    def _channels_have(self, gateway: Any, channels: list[str], platform: str, name: str,
                       req: CondaRequest, reporter: Reporter) -> bool:
        try:
            result = run_async(lambda: gateway.query(channels, [platform, "noarch"], [name], recursive=False),
                               reporter)
        except CancelledError:
            raise
        except Exception as e:
            raise self._channel_error(e, channels, req) from e
        return any(len(per_channel) > 0 for per_channel in result)

    # ------------------------------------------------------------------ solve
    def _solve(self, req: CondaRequest, specs: list[str], channels: list[str], platform: str, gateway: Any,
               reporter: Reporter, *, for_lock: bool) -> list:
        import rattler
        from rattler.exceptions import SolverError

        reporter.step("solve", 0.2, f"Solving {len(specs)} conda specs for {platform} "
                      f"({', '.join(channels)})")
        vps = virtual_packages(platform, for_lock=for_lock)
        # rattler.solve parses strictly and rejects conda's `name=1.0=build` form; hand it the
        # canonical text of the lenient parse (`name ==1.0 build`), as conda itself reads them.
        canonical = [str(rattler.MatchSpec(s)) for s in specs]
        try:
            return run_async(lambda: rattler.solve(channels, canonical, gateway=gateway,
                                                   platforms=[platform, "noarch"], virtual_packages=vps),
                             reporter)
        except CancelledError:
            raise
        except SolverError as e:
            raise self._unsatisfiable(e, req, specs, platform) from e
        except Exception as e:
            raise self._channel_error(e, channels, req) from e

    @staticmethod
    def _unsatisfiable(e: Exception, req: CondaRequest, specs: list[str], platform: str) -> EnvFileError:
        explanation = str(e).strip()
        low = explanation.lower()
        position: dict[str, int] = {}
        for m in re.finditer(r"[a-z0-9_.\-]+", low):
            position.setdefault(m.group(0), m.start())
        involved = sorted(((s, req.lines.get(_spec_name(s))) for s in specs if _spec_name(s) in position),
                          key=lambda item: position[_spec_name(item[0])])
        where = "; ".join(f"line {ln}: `{s}`" if ln else f"`{s}` (added by kernelenv)" for s, ln in involved)
        first = next((ln for _, ln in involved if ln), None)
        msg = f"the conda specs cannot be solved for {platform}: {explanation}"
        if where:
            msg += f" Specs involved: {where}."
        if any(_has_build(s) for s in specs):
            msg += (" Some entries pin build strings, which are platform-specific (a `conda env export` "
                    "from another machine?): try again with --strip-builds.")
        return EnvFileError(req.source, msg, first, None, code="unsatisfiable")

    @staticmethod
    def _channel_error(e: Exception, channels: list[str], req: CondaRequest) -> BuildError:
        text = str(e)
        hit = None
        for c in channels:
            try:
                url = channel_url(c)
            except Exception:
                url = c
            if url.rstrip("/") in text or c in text:
                hit = (c, url)
                break
        reason = _reason(e)
        if hit:
            msg = f"Channel {hit[0]!r} ({hit[1]}) is unreachable: {reason}. The env was not changed."
        else:
            urls = ", ".join(f"{c} ({_safe_url(c)})" for c in channels)
            msg = f"Fetching the channels' package index failed ({urls}): {reason}. The env was not changed."
        return BuildError("solve", f"{req.source.name}: {msg}", text[-2000:])

    # ---------------------------------------------------------------- install
    def _install(self, records: list, prefix: Path, reporter: Reporter) -> None:
        import rattler

        reporter.step("install", 0.5, f"Installing {len(records)} conda packages")
        # requested_specs is not passed: py-rattler 0.28 rejects its own MatchSpec objects there.
        bridge = _install_progress(reporter)
        try:
            run_async(lambda: rattler.install(records, prefix, show_progress=False, execute_link_scripts=False,
                                              reporter=bridge), reporter)
        except CancelledError:
            raise
        except Exception as e:
            raise _install_error(e) from e

    # -------------------------------------------------------------- from lock
    def _build_from_lock(self, project: Project, prefix: Path, reporter: Reporter) -> None:
        assert project.lock is not None
        plat = current_platform()
        reporter.step("read", 0.05, f"Reading {project.lock.name}")
        records, pip = locked_records(project.lock, plat, project.environment)
        check_local_hashes(records, project.lock)
        names = {normalize(r.name.normalized) for r in records} | {normalize(p.name) for p in pip}
        if "ipykernel" not in names and "python" in names:
            raise BuildError("install", f"{project.lock.name} does not include ipykernel for {plat}, so the env "
                             "could not run as a kernel; run `kernelenv lock` (kernelenv adds ipykernel when "
                             "it locks) and then `kernelenv rebuild`.")
        self._install(records, prefix, reporter)
        reporter.check_cancelled()
        conda_names = {normalize(r.name.normalized) for r in records}
        extra, digest = ([], None)
        if pip and self._needs_pip(conda_names) and "pip" not in names:
            # pip in the same uv call as the locked packages, pinned per lock (kernelenv.kernelpins)
            extra, digest = pinned_extras(project, ["pip"], from_lock=True)
        install_locked_pip(prefix, pip, reporter, extra=extra)
        if digest:  # pip has no dependencies: its version is the pin
            record_pins(project, digest, {}, {n: v for n, v in self.installed(prefix).items() if n == "pip"})
        reporter.step("verify-lock", 0.85, "Checking conda-meta matches the lock")
        check_matches_lock(prefix, records, project.lock)

    # ------------------------------------------------------------------- lock
    def lock(self, project: Project, reporter: Reporter, *, strip_builds: bool = False,
             platforms: list[str] | None = None) -> Path:
        """Solve for every lock platform and write ``conda-lock.yml`` beside the spec.

        The platforms are ``platforms`` when given, else the spec's own list
        (:func:`~kernelenv.conda_request.lock_platforms_for`). ``strip_builds`` drops build
        strings and Windows-only packages as for ``create --strip-builds``.

        Raises:
            EnvFileError: bad spec, unsatisfiable on some platform (named).
            BuildError: unreachable channel, uv failure.

        pixi projects get ``pixi.lock`` instead (see :meth:`_lock_pixi`).
        """
        import rattler

        if project.spec is not None and is_pixi(project.spec):
            return self._lock_pixi(project, reporter)
        platforms, source = lock_platforms_for(project, platforms)
        reporter.log(f"Locking for {', '.join(platforms)} ({source})")
        gateway = rattler.Gateway(show_progress=False)
        packages: list[LockedPackage] = []
        hashes: dict[str, str] = {}
        all_channels: list[str] = []
        req = None
        for i, plat in enumerate(platforms):
            reporter.check_cancelled()
            reporter.step("solve", i / max(1, len(platforms)), f"Locking for {plat}")
            req, channels, records, pip, hashes[plat] = self._solve_platform(project, plat, gateway, reporter,
                                                                             strip_builds)
            for c in channels:
                if c not in all_channels:
                    all_channels.append(c)
            packages += sorted((_locked_from_record(r, plat) for r in records), key=lambda p: p.name)
            packages += pip
        assert req is not None
        path = req.source.parent / "conda-lock.yml"
        write_conda_lock(path, platforms=platforms, channels=all_channels, sources=[req.source.name],
                         content_hash=hashes, packages=packages)
        return path

    def _solve_platform(self, project: Project, plat: str, gateway: Any, reporter: Reporter,
                        strip_builds: bool = False) -> tuple[CondaRequest, list[str], list, list[LockedPackage], str]:
        """Solve one platform for a lock: (request, channels, conda records, pip entries, content hash)."""
        req = self._request(project, plat, strip_builds)
        channels = resolve_channels(req.channels, plat)
        specs, pip = self._with_ipykernel(req, channels, plat, gateway, reporter)
        records = self._solve(req, specs, channels, plat, gateway, reporter, for_lock=True)
        pip_locked: list[LockedPackage] = []
        if pip:
            py = next((r for r in records if r.name.normalized == "python"), None)
            if py is None:
                raise BuildError("lock", f"the {plat} solve has no python, so the pip entries cannot be "
                                 "locked; add python to the dependencies.")
            pyver = ".".join(str(py.version).split(".")[:2])
            pip_locked = lock_pip(pip, req.pip_cwd or req.source.parent, plat, pyver, reporter)
        return req, channels, records, pip_locked, _content_hash(req, channels, specs, pip, plat)

    def _lock_pixi(self, project: Project, reporter: Reporter) -> Path:
        """Write ``pixi.lock`` (rattler's lock format, the one pixi reads) for the pixi manifest's platforms.

        Every environment of the manifest is locked, whichever one ``--environment`` selects,
        so one pixi.lock holds them all, as ``pixi lock`` writes it: locking ``test`` never drops
        ``default``. Nothing is written unless every environment solves.
        """
        import dataclasses

        import rattler

        from ..parsers.pixi import read_pixi_toml

        assert project.spec is not None
        manifest = read_pixi_toml(project.spec)
        selected = project.environment or "default"
        env_names = [selected, *sorted(n for n in manifest.environments if n != selected)]
        platforms = manifest.platforms or [current_platform()]
        gateway = rattler.Gateway(show_progress=False)
        lf = rattler.LockFile([rattler.LockPlatform(p) for p in platforms])
        steps = len(platforms) * len(env_names)
        for j, env_name in enumerate(env_names):
            env_project = dataclasses.replace(project, environment=env_name)
            channels: list[str] = []
            for i, plat in enumerate(platforms):
                reporter.check_cancelled()
                reporter.step("solve", (j * len(platforms) + i) / steps, f"Locking {env_name} for {plat}")
                _req, chans, records, pip, _h = self._solve_platform(env_project, plat, gateway, reporter)
                channels = channels or chans
                lp = rattler.LockPlatform(plat)
                for r in records:
                    lf.add_conda_package(env_name, lp, r)
                for p in pip:
                    lf.add_pypi_package(env_name, lp, p.name, p.version, p.url)
            lf.set_channels(env_name, [rattler.LockChannel(channel_url(c)) for c in channels])
        path = project.spec.parent / "pixi.lock"
        tmp = path.with_name("pixi.lock.tmp")
        lf.to_path(tmp)
        tmp.replace(path)
        return path

    # -------------------------------------------------------------- inspection
    def installed(self, prefix: Path) -> dict[str, str]:
        """``{normalized name: version}`` from ``conda-meta`` plus pip/uv dist-info (file reads only)."""
        return _installed(prefix)

    def locked_packages(self, project: Project) -> dict[str, str] | None:
        """``{normalized name: version}`` the lock pins for this platform, or ``None``."""
        if project.lock is None or not project.lock.exists():
            return None
        try:
            pk = locked_entries(project.lock, current_platform(), project.environment)
        except (EnvFileError, OSError):
            return None
        return {normalize(p.name): p.version for p in pk}

    def lock_outdated(self, project: Project) -> str | None:
        """Why the lock no longer satisfies the spec (file reads only), else ``None``.

        Each conda spec of the spec file must name a locked package of this platform
        whose version matches the spec's version, and each pip requirement must be locked.
        """
        if project.lock is None or project.spec is None or not project.lock.exists():
            return None
        plat = current_platform()
        try:
            req = read_request(project, strip_builds=True, platform=plat)
            locked = locked_entries(project.lock, plat, project.environment)
        except (EnvFileError, OSError):
            return None
        if not locked:
            return f"{project.lock.name} has no packages for {plat}: run `kernelenv lock`."
        return compare_spec_with_lock(req, locked, project.lock.name)


# ---------------------------------------------------------------------- helpers
def _install_progress(reporter: Reporter) -> Any:
    """A :class:`rattler.InstallerReporter` that turns rattler's install events into reporter steps.

    Steps go from 0.5 to 0.75 of the operation (``install``), one per 5% of the
    packages at most; each linked package is logged.
    """
    import rattler

    class Bridge(rattler.InstallerReporter):
        def __init__(self) -> None:
            super().__init__()
            self.total = 0
            self.done = 0
            self.shown = -1
            self.lock = threading.Lock()

        def on_transaction_start(self, total_operations: int) -> None:
            self.total = total_operations

        def on_link_start(self, operation: int, package_name: str) -> int:
            reporter.log(f"linking {package_name}")
            return 0

        def on_transaction_operation_complete(self, operation: int) -> None:
            with self.lock:
                self.done += 1
                pct = int(100 * self.done / max(1, self.total))
                if pct // 5 == self.shown and self.done < self.total:
                    return
                self.shown = pct // 5
            reporter.step("install", 0.5 + 0.25 * self.done / max(1, self.total),
                          f"Installed {self.done}/{self.total} conda packages")

    return Bridge()


def _install_error(e: Exception) -> BuildError:
    """A BuildError naming the package file and channel a failed download came from."""
    text = str(e)
    m = re.search(r"url \((?P<url>[^)\s]+)\)", text)
    if m:
        url = m.group("url")
        base, _, fname = url.rpartition("/")
        channel = base.rpartition("/")[0] + "/"
        msg = (f"Could not download {fname} from channel {channel} ({url}): {_reason(e)}. "
               "The env was not changed.")
    else:
        msg = f"Installing the conda packages failed: {_reason(e)}"
    return BuildError("install", msg, text[-2000:])


def _safe_url(c: str) -> str:
    try:
        return channel_url(c)
    except Exception:
        return c


def _spec_name(spec: str) -> str:
    from rattler import MatchSpec

    try:
        ms = MatchSpec(spec)
    except Exception:
        return spec.split()[0].lower()
    return ms.name.normalized if ms.name is not None else spec


def _has_build(spec: str) -> bool:
    from rattler import MatchSpec

    try:
        return MatchSpec(spec).build is not None
    except Exception:
        return False


def _content_hash(req: CondaRequest, channels: list[str], specs: list[str], pip: list[str], platform: str) -> str:
    doc = {"channels": channels, "specs": sorted(specs), "pip": pip, "platform": platform}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _locked_from_record(r: Any, platform: str) -> LockedPackage:
    deps: dict[str, str] = {}
    for d in r.depends:
        name, _, rest = d.strip().partition(" ")
        deps[name] = rest.strip()
    return LockedPackage(name=r.name.normalized, version=str(r.version), manager="conda", platform=platform,
                         url=str(r.url), md5=r.md5.hex() if r.md5 else None,
                         sha256=r.sha256.hex() if r.sha256 else None, dependencies=deps)


def record_from_locked(p: LockedPackage) -> Any:
    """A :class:`rattler.RepoDataRecord` for a locked conda entry (name/version/build from its file name).

    Raises:
        EnvFileError: the URL does not end in ``<name>-<version>-<build>.conda|.tar.bz2``.
    """
    import rattler
    from rattler import PackageRecord, RepoDataRecord

    url = p.url
    parts = url.rstrip("/").rsplit("/", 2)
    m = _FNAME.match(parts[-1])
    if not m or len(parts) < 3:
        raise EnvFileError(Path(p.url), f"locked package {p.name}: URL {url} is not a conda package file",
                           code="invalid-lock")
    subdir = parts[-2]
    depends = [f"{k} {v}".strip() for k, v in p.dependencies.items()]
    pr = PackageRecord(m.group("name"), m.group("version"), rattler.BuildString(m.group("build")), 0, subdir,
                       depends=depends, md5=bytes.fromhex(p.md5) if p.md5 else None,
                       sha256=bytes.fromhex(p.sha256) if p.sha256 else None)
    return RepoDataRecord(pr, parts[-1], url, parts[0] + "/")


def _lock_kind(path: Path) -> str:
    if path.name == "pixi.lock":
        return "pixi"
    if is_explicit_lock(path):
        return "explicit"
    return "conda-lock"


def locked_entries(lock: Path, platform: str, environment: str | None = None) -> list[LockedPackage]:
    """Every entry (conda and pip) the lock holds for ``platform``.

    Raises:
        EnvFileError: the lock cannot be read.
    """
    kind = _lock_kind(lock)
    if kind == "pixi":
        from ..parsers.pixi import read_pixi_lock

        pl = read_pixi_lock(lock)
        return pl.environments.get(environment or "default", {}).get(platform, [])
    if kind == "explicit":
        ex = read_explicit(lock)
        return [p for p in ex.packages if ex.platform in (None, platform)]
    return read_conda_lock(lock).for_platform(platform)


def locked_records(lock: Path, platform: str, environment: str | None = None) -> tuple[list, list[LockedPackage]]:
    """The rattler records (conda) and pip entries to install from ``lock`` for ``platform``.

    Raises:
        EnvFileError: unreadable lock, or no packages for ``platform`` (lists the
            platforms it has; code ``platform-not-locked``).
    """
    import rattler

    kind = _lock_kind(lock)
    if kind == "pixi":
        lf = rattler.LockFile.from_path(lock)
        env = lf.environment(environment or "default")
        if env is None:
            names = ", ".join(n for n, _ in lf.environments())
            raise EnvFileError(lock, f"pixi.lock has no environment {environment!r} (it has {names})",
                               code="unknown-environment")
        lplat = next((p for p in env.platforms() if p.name == platform), None)
        if lplat is None:
            have = ", ".join(p.name for p in env.platforms())
            raise EnvFileError(lock, f"pixi.lock has no packages for {platform} (it covers {have}); "
                               "re-solve with pixi or use the environment.yml", code="platform-not-locked")
        from ..parsers.pixi import read_pixi_lock

        pip = [p for p in read_pixi_lock(lock).environments[environment or "default"][platform]
               if p.manager == "pip"]
        return list(env.conda_repodata_records_for_platform(lplat) or []), pip
    if kind == "explicit":
        ex = read_explicit(lock)
        if ex.platform and ex.platform != platform:
            raise EnvFileError(lock, f"this @EXPLICIT file is for {ex.platform}, not {platform}",
                               code="platform-not-locked")
        return [record_from_locked(p) for p in ex.packages], []
    cl = read_conda_lock(lock)
    conda = cl.for_platform(platform, "conda")
    if not conda:
        raise EnvFileError(lock, f"{lock.name} has no packages for {platform} (it covers "
                           f"{', '.join(cl.platforms)}): run `kernelenv lock` to re-solve",
                           code="platform-not-locked")
    return [record_from_locked(p) for p in conda], cl.for_platform(platform, "pip")


def check_local_hashes(records: list, lock: Path) -> None:
    """Check ``file://`` packages against the lock's sha256/md5 (rattler checks downloads, not local files).

    Raises:
        BuildError: step ``verify-lock``, naming the file and both digests.
    """
    from urllib.parse import unquote, urlparse

    for r in records:
        url = str(r.url)
        if not url.startswith("file://"):
            continue
        path = Path(unquote(urlparse(url).path))
        try:
            data = path.read_bytes()
        except OSError as e:
            raise BuildError("verify-lock", f"{lock.name}: cannot read {path}: {e.strerror}") from e
        for algo, want in (("sha256", r.sha256), ("md5", r.md5)):
            if want is None:
                continue
            got = hashlib.new(algo, data).hexdigest()
            if got != want.hex():
                raise BuildError("verify-lock", f"{path.name} does not match {lock.name}: {algo} "
                                 f"{got} on disk, {want.hex()} in the lock. The env was not changed.")


def check_matches_lock(prefix: Path, records: list, lock: Path) -> None:
    """Assert ``prefix/conda-meta`` holds exactly ``records`` (name, version, build).

    Raises:
        BuildError: step ``verify-lock``, listing what is missing and what is extra.
    """
    want = {(r.name.normalized, str(r.version), str(r.build)) for r in records}
    have = {(r.name, r.version, r.build) for r in conda_records(prefix)}
    if want != have:
        missing = sorted(want - have)
        extra = sorted(have - want)
        raise BuildError("verify-lock", f"the installed conda packages differ from {lock.name}: "
                         f"missing {missing[:10]}, unexpected {extra[:10]}")


def compare_spec_with_lock(req: CondaRequest, locked: list[LockedPackage], lock_name: str) -> str | None:
    """A reason when a spec entry is not satisfied by the lock's entries, else ``None``."""
    import rattler
    from rattler import MatchSpec, PackageRecord

    conda = {normalize(p.name): p for p in locked if p.manager == "conda"}
    pip = {normalize(p.name) for p in locked if p.manager == "pip"} | set(conda)
    for spec in req.specs:
        ms = MatchSpec(spec)
        name = ms.name.normalized if ms.name is not None else spec
        p = conda.get(normalize(name))
        if p is None:
            return f"{req.source.name} asks for {spec!r}, which {lock_name} does not pin: run `kernelenv lock`."
        m = _FNAME.match(p.filename)
        build = m.group("build") if m else "0"
        rec = PackageRecord(p.name, p.version, rattler.BuildString(build), 0,
                            p.url.rstrip("/").rsplit("/", 2)[-2] if "/" in p.url else "noarch")
        plain = MatchSpec(f"{name} {ms.version}" if ms.version else name)
        if not plain.matches(rec):
            return (f"{lock_name} pins {p.name} {p.version}, which does not satisfy {spec!r} in "
                    f"{req.source.name}: run `kernelenv lock`.")
    for name in req.pip_names():
        if name not in pip:
            return f"{req.source.name} asks for pip package {name!r}, which {lock_name} does not pin: run `kernelenv lock`."
    return None


__all__ = ["RattlerBuilder", "run_async", "locked_records", "locked_entries", "record_from_locked",
           "check_matches_lock", "compare_spec_with_lock"]
