"""The uv backend: a venv built with uv, from the project's lock or spec.

Inputs and what they become (the project itself is installed, editable, only where its
own tool would install it and its sources are there: :mod:`kernelenv.projectinstall`):

=====================  ===============================================================
lock / spec            install
=====================  ===============================================================
uv.lock                ``uv sync --frozen`` (``--no-install-workspace`` unless the project
                       itself is installed, see :mod:`kernelenv.projectinstall`)
pylock.toml (PEP 751)  ``uv pip sync pylock.toml``
poetry.lock,           what the project's own tool exports for this platform
Pipfile.lock           (``poetry export`` / ``pipenv requirements --hash``, markers and
                       hashes kept), installed with ``uv pip install --no-deps``
hashed requirements    ``uv pip install -r``
pyproject [project]    ``uv pip install -r pyproject.toml`` + the dependency group
                       holding ipykernel
requirements*.txt,     ``uv pip install -r ...`` / the PEP 508 strings the parsers give
Pipfile, poetry deps
=====================  ===============================================================

``lock`` writes the project's own lock format with its own tool: see
:mod:`kernelenv.lockers`.

ipykernel is added when the project does not declare it.
"""

from __future__ import annotations

from pathlib import Path

from packaging.utils import canonicalize_name

from .. import tomlcache
from ..errors import KernelenvError
from ..interpreters import Interpreter, choose
from ..kernelpins import install_kernel_extras
from ..layout import ensure_state_dir, python_dists, python_in
from ..model import FileRole, Project
from ..progress import Reporter
from ..uvtool import run_uv, run_uv_cache_first, uv_env
from .base import Builder, Finish, in_background

PIN_LOCKS = ("Pipfile.lock", "poetry.lock")


def _names(reqs: list[str]) -> set[str]:
    from packaging.requirements import InvalidRequirement, Requirement

    out = set()
    for r in reqs:
        try:
            out.add(canonicalize_name(Requirement(r).name))
        except InvalidRequirement:
            continue
    return out


class UvBuilder(Builder):
    """Builds venvs with uv (see the module docstring for the inputs it handles)."""

    env_kind = "venv"

    # -- python -------------------------------------------------------------------
    def select_python(self, project: Project, override: str | None) -> Interpreter:
        """``override``, else the newest installed interpreter the project asks for that its
        lock installs on from wheels (:mod:`kernelenv.lockers.pythons`: a 2020 lock gets a
        2020 Python, not one its compiled pins have no wheels for), else the newest one the
        project asks for."""
        if override:
            return choose(override)
        request = project.python.specifier if project.python else None
        source = project.python.source if project.python else None
        if project.lock is not None and project.lock.exists():
            from ..interpreters import find_interpreters
            from ..lockers.pythons import supported_minors

            first = choose(request, source=source)  # what is picked whenever its minor fits
            fits = supported_minors(project.lock, [".".join(str(first.version).split(".")[:2])])
            if fits is None or fits:
                return first  # one minor checked, not every installed one (issue 15)
            cands = find_interpreters()
            minors = list(dict.fromkeys(".".join(str(c.version).split(".")[:2]) for c in cands))
            ok = supported_minors(project.lock, minors)
            if ok is not None and ok and len(ok) < len(minors):
                fitting = [c for c in cands if ".".join(str(c.version).split(".")[:2]) in ok]
                try:
                    return choose(request, source=source, interpreters=fitting)
                except KernelenvError:
                    pass
        return choose(request, source=source)

    # -- build --------------------------------------------------------------------
    def build(self, project: Project, prefix: Path, *, interpreter: Interpreter | None,
              from_lock: bool, reporter: Reporter, strip_builds: bool = False) -> Finish | None:
        assert interpreter is not None
        reporter.step("venv", 0.05, f"Creating a Python {interpreter.version} venv")
        python = python_in(prefix, "venv")
        if from_lock and project.lock is not None and project.lock.name == "uv.lock":
            python = interpreter.path  # `uv sync` creates the venv with it, one uv call fewer (issue 15)
        else:
            run_uv(["venv", "--quiet", "--no-project", "--python", str(interpreter.path),
                    "--prompt", project.name, str(prefix)], reporter, step="venv")
        reporter.step("install", 0.15, "Installing packages" + (" from the lock" if from_lock else ""))
        if from_lock and project.lock is not None:
            declared = self._install_lock(project, prefix, python, reporter)
            python = python_in(prefix, "venv")
        else:
            declared = self._install_spec(project, python, reporter)
        reporter.check_cancelled()
        installed = self.installed(prefix)
        extra = [] if "ipykernel" in declared or "ipykernel" in installed else ["ipykernel"]
        # pip, so IPython's %pip (which runs `python -m pip`) and `!pip` install into this
        # env. Installed last (not `uv venv --seed`, which adds setuptools and wheel on
        # Python < 3.12 and which `uv pip sync` keeps only in seeded venvs).
        extra += [] if "pip" in installed else ["pip"]
        install_self = project.install_project and not (from_lock and project.lock is not None
                                                        and project.lock.name == "uv.lock")
        # Pinned per lock in the state file (kernel_pins): see kernelenv.kernelpins.
        if extra == ["pip"] and not install_self:
            # pip alone, as the last step: a kernel start never imports it, so it installs
            # while the caller takes over bytecode and checks the kernel (issue 15)
            return in_background(lambda: install_kernel_extras(project, prefix, python, extra, installed,
                                                               self.installed, from_lock, reporter))
        if extra:
            install_kernel_extras(project, prefix, python, extra, installed, self.installed, from_lock, reporter)
        if install_self:
            self._install_project(project, python, reporter)
        return None

    def _install_project(self, project: Project, python: Path, reporter: Reporter) -> None:
        """The project itself, editable and without dependencies (they came from the lock or
        spec), as ``poetry install`` / ``uv sync`` install it (:mod:`kernelenv.projectinstall`).
        uv.lock projects get it from ``uv sync`` itself. Runs the project's build backend."""
        reporter.step("install", 0.85, f"Installing {project.name} itself (editable)")
        run_uv(["pip", "install", "--python", str(python), "--no-deps", "-e", str(project.root)],
               reporter, step="install", cwd=project.root,
               error=f"installing the project itself failed ({project.install_project_reason}; "
                     "[tool.kernelenv] install-project = false installs only its dependencies)")

    def _install_lock(self, project: Project, prefix: Path, python: Path, reporter: Reporter) -> set[str]:
        """Install ``project``'s lock into the venv ``prefix`` (``python``: its interpreter; for
        a uv.lock, the base interpreter ``uv sync`` creates the venv ``prefix`` with). Returns
        the names the lock declares."""
        lock = project.lock
        assert lock is not None
        name = lock.name
        if name == "uv.lock":
            args = ["sync", "--frozen", "--python", str(python)]
            if not project.install_project:  # uv sync's default installs a package project
                args.insert(2, "--no-install-workspace")
            group = self._ipykernel_group(project)
            if group:
                args += ["--group", group]
            run_uv(args, reporter, step="install", cwd=project.root,
                   env=uv_env(UV_PROJECT_ENVIRONMENT=str(prefix)),
                   error=f"installing from {lock} failed")
            # what `uv sync` installed is what the env holds (read next): the lock is not
            # parsed again to name it (issue 15)
            return set()
        if name.startswith("pylock.") and name.endswith(".toml"):
            # (uv 0.13 fetches a pylock.toml's URL wheels again on every online install even
            # when its cache holds them; from the cache a rebuild of an unchanged lock downloads
            # nothing and works offline.)
            run_uv_cache_first(["pip", "sync", "--python", str(python), str(lock)], reporter, step="install",
                               what=name, cwd=project.root, error=f"installing from {lock} failed")
            return set(self.locked_packages(project) or {})
        if name in PIN_LOCKS:
            # The project's own tool says what its install would install here (markers of
            # every dependency path, old and new lock versions): poetry export / pipenv
            # requirements, with the lock's hashes.
            from ..lockers import export_requirements_cached

            reporter.log(f"Reading {name} with its own tool")
            lines = export_requirements_cached(project, lock, reporter)
            req = ensure_state_dir(project.root) / f"pins-{prefix.name}.txt"
            req.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                args = ["pip", "install", "--python", str(python), "--no-deps", "-r", str(req)]
                if any("--hash=" in ln for ln in lines):
                    args.insert(2, "--require-hashes")
                run_uv(args, reporter, step="install", cwd=project.root,
                       error=f"installing the packages of {lock.name} failed")
            finally:
                req.unlink(missing_ok=True)
            return _names([ln.split(" --hash")[0] for ln in lines if not ln.startswith("-")])
        # A requirements file that is itself a lock (exact pins, hashes).
        run_uv(["pip", "install", "--python", str(python), "-r", str(lock)], reporter,
               step="install", cwd=project.root, error=f"installing {lock.name} failed")
        return _names(self._requirements_of(lock))

    def _install_spec(self, project: Project, python: Path, reporter: Reporter) -> set[str]:
        args = ["pip", "install", "--python", str(python)]
        declared: set[str] = set()
        specs = [f for f in project.files_of(FileRole.SPEC)]
        if not specs:
            raise KernelenvError(f"{project.root}: no environment spec to install from.")
        for f in specs:
            if f.kind == "requirements":
                args += ["-r", str(f.path)]
                declared |= _names(self._requirements_of(f.path))
            elif f.kind == "pyproject":
                reqs, group = self._pyproject_requirements(f.path)
                if reqs is None:  # PEP 621 project: let uv read it (static metadata).
                    args += ["-r", str(f.path)]
                    pp = self._read_pyproject(f.path)
                    declared |= _names(list(pp.dependencies))
                    if group:
                        args += ["--group", f"{f.path}:{group}"]
                        declared |= _names(list(pp.dependency_groups.get(group, [])))
                else:
                    args += reqs
                    declared |= _names(reqs)
            elif f.kind == "Pipfile":
                from ..parsers.pipfile import read_pipfile

                pf = read_pipfile(f.path)
                args += list(pf.packages)
                declared |= _names(list(pf.packages))
        if len(args) == 4:
            raise KernelenvError(f"{project.root}: the spec lists no packages to install.")
        for extra in ("ipykernel", "pip"):  # one resolution for the spec, the kernel and %pip
            if extra not in declared:
                reporter.log(f"Adding {extra} (the project does not declare it)")
                args.append(extra)
                declared.add(extra)
        run_uv(args, reporter, step="install", cwd=project.root, error="installing the spec failed")
        return declared

    # -- lock ---------------------------------------------------------------------
    def lock(self, project: Project, reporter: Reporter, *, strip_builds: bool = False,
             platforms: list[str] | None = None) -> Path:
        """Write the project's lock in its own format with its own tool
        (:func:`kernelenv.lockers.lock_project`: uv.lock, poetry.lock, Pipfile.lock, a
        pip-compile requirements.txt, or pylock.toml where there is no convention)."""
        from ..lockers import lock_project

        return lock_project(project, self.select_python(project, None), reporter)

    # -- reading ------------------------------------------------------------------
    def installed(self, prefix: Path) -> dict[str, str]:
        return python_dists(prefix)

    def locked_packages(self, project: Project, python_version: str | None = None) -> dict[str, str] | None:
        """``{name: version}`` the lock installs for this platform and ``python_version``."""
        lock = project.lock
        if lock is None or not lock.exists():
            return None
        from packaging.markers import default_environment
        from packaging.requirements import InvalidRequirement, Requirement

        env = default_environment()
        if python_version:
            env["python_version"] = ".".join(python_version.split(".")[:2])
            env["python_full_version"] = python_version
        if lock.name.startswith("pylock.") and lock.suffix == ".toml":
            data = tomlcache.load(lock)
            out = {}
            for p in data.get("packages", []):
                marker = p.get("marker")
                if marker:
                    from packaging.markers import Marker

                    if not Marker(marker).evaluate(env):
                        continue
                out[canonicalize_name(p["name"])] = p.get("version", "")
            return out
        if lock.name == "uv.lock":
            data = tomlcache.load(lock)
            return {canonicalize_name(p["name"]): p.get("version", "")
                    for p in data.get("package", [])
                    if "virtual" not in p.get("source", {}) and "editable" not in p.get("source", {})}
        if lock.name in PIN_LOCKS:
            return _pins_for(project, lock, env)
        if lock.suffix == ".txt":  # a hashed requirements file (pip-compile output)
            out = {}
            for line in self._requirements_of(lock):
                try:
                    req = Requirement(line)
                except InvalidRequirement:
                    continue
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
                exact = [s.version for s in req.specifier if s.operator in ("==", "===")]
                if exact:
                    out[canonicalize_name(req.name)] = exact[0]
            return out
        return None

    def lock_outdated(self, project: Project) -> str | None:
        """Why uv.lock no longer matches pyproject.toml's dependencies and groups, or ``None``;
        kept by the two files' digest (:mod:`kernelenv.contentmemo`), so a clone or a rebuild
        of a known pair does not parse the lock for it."""
        from ..contentmemo import memoized

        lock = project.lock
        if lock is None or lock.name != "uv.lock":
            return None
        pyproject = next((f.path for f in project.files if f.kind == "pyproject"), None)
        if pyproject is None:
            return None
        reason = memoized("uv-lock-outdated", [pyproject, lock], lambda: self._lock_outdated(pyproject, lock))
        return reason if isinstance(reason, str) else None

    def _lock_outdated(self, pyproject: Path, lock: Path) -> str | None:
        try:
            pp = self._read_pyproject(pyproject)
            data = tomlcache.load(lock)
        except (OSError, ValueError, KernelenvError):
            return None
        name = canonicalize_name(pp.name) if pp.name else None
        root = next((p for p in data.get("package", []) if canonicalize_name(p.get("name", "")) == name), None)
        if root is None:
            return None
        meta = root.get("metadata", {})
        locked = {_norm(_dist_entry(d)) for d in meta.get("requires-dist", [])}
        wanted = {_norm(r) for r in pp.dependencies}
        problems = []
        if locked != wanted:
            added = sorted(wanted - locked)
            removed = sorted(locked - wanted)
            problems.append("dependencies differ from uv.lock" +
                            (f" (not in lock: {', '.join(added)})" if added else "") +
                            (f" (only in lock: {', '.join(removed)})" if removed else ""))
        locked_groups = {g: {_norm(_dist_entry(d)) for d in deps}
                         for g, deps in meta.get("requires-dev", {}).items()}
        for g, deps in pp.dependency_groups.items():
            if {_norm(d) for d in deps} != locked_groups.get(g, set()):
                problems.append(f"dependency group {g!r} differs from uv.lock")
        if problems:
            return f"pyproject.toml: {'; '.join(problems)}: run `kernelenv lock` then `kernelenv rebuild`."
        return None

    # -- helpers ------------------------------------------------------------------
    @staticmethod
    def _read_pyproject(path: Path):
        from ..parsers.pyproject import read_pyproject

        return read_pyproject(path)

    def _pyproject_requirements(self, path: Path) -> tuple[list[str] | None, str | None]:
        """``(None, group)`` for PEP 621 projects uv reads itself; ``(reqs, None)`` for Poetry ones."""
        pp = self._read_pyproject(path)
        group = next((g for g, deps in pp.dependency_groups.items() if "ipykernel" in _names(list(deps))),
                     None)
        if pp.has_project_table:
            return None, group
        reqs = list(pp.dependencies)
        if group:
            reqs += list(pp.dependency_groups[group])
        return reqs, None

    def _ipykernel_group(self, project: Project) -> str | None:
        """The dependency group of the project's pyproject.toml that holds ipykernel, kept by
        the file's digest (:mod:`kernelenv.contentmemo`): a rebuild does not parse it again."""
        from ..contentmemo import memoized

        pyproject = next((f.path for f in project.files if f.kind == "pyproject"), None)
        if pyproject is None:
            return None
        group = memoized("ipykernel-group", [pyproject], lambda: self._pyproject_requirements(pyproject)[1])
        return group if isinstance(group, str) else None

    @staticmethod
    def _requirements_of(path: Path) -> list[str]:
        from ..parsers.requirements import read_requirements, requirement_strings

        return requirement_strings(read_requirements(path))


def _pins_for(project: Project, lock: Path, env: dict[str, str]) -> dict[str, str]:
    """``{name: version}`` a poetry.lock/Pipfile.lock installs for the marker ``env``.

    From the tool's cached export (:func:`kernelenv.lockers.cached_export`) when one was
    made for this lock (every create makes one); else from the lock's own entries with
    their markers (exact for Pipfile.lock and poetry.lock 2.x, which record each package's
    markers; approximate for lock-version 1.x, which records them only on dependency
    edges). File reads only.
    """
    from packaging.markers import Marker
    from packaging.requirements import InvalidRequirement, Requirement

    from ..lockers import cached_export

    lines = cached_export(project, lock)
    if lines is not None:
        out = {}
        for ln in lines:
            if ln.startswith("-"):
                continue
            try:
                req = Requirement(ln.split(" --hash")[0].strip())
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            exact = [s.version for s in req.specifier if s.operator in ("==", "===")]
            out[canonicalize_name(req.name)] = exact[0] if exact else ""
        return out
    from ..parsers.locks import read_pins

    out = {}
    for p in _runtime_pins(read_pins(lock)):
        if p.marker:
            try:
                if not Marker(p.marker).evaluate(env):
                    continue
            except Exception:  # noqa: BLE001 - an unreadable marker: keep the pin
                pass
        out[canonicalize_name(p.name)] = p.version or ""
    return out


def _runtime_pins(pins: list) -> list:
    """The pins a notebook env needs: Pipfile.lock ``default`` / poetry.lock ``main`` (or
    ungrouped) entries, without Poetry's optional (extra-only) ones. Dev groups are left
    out; ipykernel is added separately when the project does not declare it."""
    runtime = {"default", "main"}
    return [p for p in pins if not p.optional and (not p.groups or runtime & set(p.groups))]


def _dist_entry(d: dict) -> str:
    s = d["name"]
    if d.get("extra"):
        s += "[" + ",".join(d["extra"]) + "]"
    if d.get("specifier"):
        s += d["specifier"]
    if d.get("url") or d.get("git"):
        s += " @ " + (d.get("url") or d.get("git"))
    if d.get("marker"):
        s += " ; " + d["marker"]
    return s


def _norm(req: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        r = Requirement(req)
    except InvalidRequirement:
        return req.strip()
    r.name = canonicalize_name(r.name)
    return str(r).replace(" ", "")
