"""The uv backend: a venv built with uv, from the project's lock or spec.

Inputs and what they become (the project's own package is never installed; notebook
projects often have no source to build):

=====================  ==========================================================
lock / spec            install                                   lock written by ``lock``
=====================  ==========================================================
uv.lock                ``uv sync --frozen --no-install-workspace``  ``uv lock`` -> uv.lock
pylock.toml (PEP 751)  ``uv pip sync pylock.toml``                  --
Pipfile.lock,          exact pins with hashes (read by               --
poetry.lock            :mod:`kernelenv.parsers.locks`)
pyproject [project]    ``uv pip install -r pyproject.toml``          ``uv lock`` -> uv.lock
                       + the dependency group holding ipykernel
requirements*.txt      ``uv pip install -r ...``                     ``uv pip compile --universal
Pipfile, poetry deps   the PEP 508 strings the parsers give          --generate-hashes`` -> pylock.toml
=====================  ==========================================================

ipykernel is added when the project does not declare it.
"""

from __future__ import annotations

import os
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..errors import KernelenvError
from ..interpreters import Interpreter, choose
from ..layout import ensure_state_dir, python_dists, python_in
from ..model import FileRole, Project
from ..progress import Reporter
from ..uvtool import run_uv, uv_env
from .base import Builder

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    import tomli as tomllib  # type: ignore[no-redef]

PIN_LOCKS = ("Pipfile.lock", "poetry.lock")


def _names(reqs: list[str]) -> set[str]:
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
        if override:
            return choose(override)
        if project.python:
            return choose(project.python.specifier, source=project.python.source)
        return choose(None)

    # -- build --------------------------------------------------------------------
    def build(self, project: Project, prefix: Path, *, interpreter: Interpreter | None,
              from_lock: bool, reporter: Reporter, strip_builds: bool = False) -> None:
        assert interpreter is not None
        reporter.step("venv", 0.05, f"Creating a Python {interpreter.version} venv")
        run_uv(["venv", "--quiet", "--no-project", "--python", str(interpreter.path),
                "--prompt", project.name, str(prefix)], reporter, step="venv")
        python = python_in(prefix, "venv")
        reporter.step("install", 0.15, "Installing packages" + (" from the lock" if from_lock else ""))
        if from_lock and project.lock is not None:
            declared = self._install_lock(project, prefix, python, reporter)
        else:
            declared = self._install_spec(project, python, reporter)
        reporter.check_cancelled()
        if "ipykernel" not in declared and "ipykernel" not in self.installed(prefix):
            reporter.step("install", 0.8, "Adding ipykernel (the project does not declare it)")
            run_uv(["pip", "install", "--python", str(python), "ipykernel"], reporter,
                   step="install", error="installing ipykernel failed")

    def _install_lock(self, project: Project, prefix: Path, python: Path, reporter: Reporter) -> set[str]:
        lock = project.lock
        assert lock is not None
        name = lock.name
        if name == "uv.lock":
            args = ["sync", "--frozen", "--no-install-workspace", "--python", str(python)]
            group = self._ipykernel_group(project)
            if group:
                args += ["--group", group]
            run_uv(args, reporter, step="install", cwd=project.root,
                   env=uv_env(UV_PROJECT_ENVIRONMENT=str(prefix)),
                   error=f"installing from {lock} failed")
            return set(self.locked_packages(project) or {})
        if name.startswith("pylock.") and name.endswith(".toml"):
            run_uv(["pip", "sync", "--python", str(python), str(lock)], reporter, step="install",
                   cwd=project.root, error=f"installing from {lock} failed")
            return set(self.locked_packages(project) or {})
        if name in PIN_LOCKS:
            from ..parsers.locks import read_pins

            pins = _runtime_pins(read_pins(lock))
            req = ensure_state_dir(project.root) / f"pins-{prefix.name}.txt"
            lines = []
            for p in pins:
                line = p.requirement()
                line += "".join(f" --hash={h}" for h in p.hashes)
                lines.append(line)
            req.write_text("\n".join(lines) + "\n", encoding="utf-8")
            try:
                args = ["pip", "install", "--python", str(python), "--no-deps", "-r", str(req)]
                if pins and all(p.hashes for p in pins):
                    args.insert(2, "--require-hashes")
                run_uv(args, reporter, step="install", cwd=project.root,
                       error=f"installing the pins of {lock.name} failed")
            finally:
                req.unlink(missing_ok=True)
            return {canonicalize_name(p.name) for p in pins}
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
        if "ipykernel" not in declared:  # one resolution for the spec and the kernel
            reporter.log("Adding ipykernel (the project does not declare it)")
            args.append("ipykernel")
            declared.add("ipykernel")
        run_uv(args, reporter, step="install", cwd=project.root, error="installing the spec failed")
        return declared

    # -- lock ---------------------------------------------------------------------
    def lock(self, project: Project, reporter: Reporter) -> Path:
        interpreter = self.select_python(project, None)
        pyproject = next((f for f in project.files_of(FileRole.SPEC) if f.kind == "pyproject"), None)
        if pyproject is not None and self._read_pyproject(pyproject.path).has_project_table:
            run_uv(["lock", "--python", str(interpreter.path)], reporter, step="lock",
                   cwd=project.root, error="uv lock failed")
            return project.root / "uv.lock"
        return self._compile_pylock(project, interpreter, reporter)

    def _compile_pylock(self, project: Project, interpreter: Interpreter, reporter: Reporter) -> Path:
        state = ensure_state_dir(project.root)
        inputs: list[str] = []
        declared: set[str] = set()
        extra: list[str] = []
        for f in project.files_of(FileRole.SPEC):
            if f.kind == "requirements":
                inputs.append(os.path.relpath(f.path, project.root))
                declared |= _names(self._requirements_of(f.path))
            elif f.kind == "Pipfile":
                from ..parsers.pipfile import read_pipfile

                extra += list(read_pipfile(f.path).packages)
            elif f.kind == "pyproject":
                reqs, _ = self._pyproject_requirements(f.path)
                extra += reqs or []
        if not inputs and not extra:
            # The requirements file is itself the lock (hashed pins): re-lock from its
            # input (requirements.in) when there is one, else from the file itself.
            sources = [f.path for f in project.files_of(FileRole.INPUT) if f.kind == "requirements.in"]
            if not sources and project.lock is not None and project.lock.name.endswith((".txt", ".in")):
                sources = [project.lock]
            for src in sources:
                inputs.append(os.path.relpath(src, project.root))
                declared |= _names(self._requirements_of(src))
        declared |= _names(extra)
        if "ipykernel" not in declared:
            extra.append("ipykernel")
        if extra:
            extra_in = state / "lock-inputs.in"
            extra_in.write_text("\n".join(extra) + "\n", encoding="utf-8")
            inputs.append(os.path.relpath(extra_in, project.root))
        out = project.root / "pylock.toml"
        minor = ".".join(str(interpreter.version).split(".")[:2])
        run_uv(["pip", "compile", "--quiet", "--universal", "--generate-hashes",
                "--custom-compile-command", "kernelenv lock",
                "--python-version", minor, "--format", "pylock.toml", "-o", out.name, *inputs],
               reporter, step="lock", cwd=project.root, error="resolving the requirements failed")
        return out

    # -- reading ------------------------------------------------------------------
    def installed(self, prefix: Path) -> dict[str, str]:
        return python_dists(prefix)

    def locked_packages(self, project: Project, python_version: str | None = None) -> dict[str, str] | None:
        """``{name: version}`` the lock installs for this platform and ``python_version``."""
        lock = project.lock
        if lock is None or not lock.exists():
            return None
        env = default_environment()
        if python_version:
            env["python_version"] = ".".join(python_version.split(".")[:2])
            env["python_full_version"] = python_version
        if lock.name.startswith("pylock.") and lock.suffix == ".toml":
            data = tomllib.loads(lock.read_text(encoding="utf-8"))
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
            data = tomllib.loads(lock.read_text(encoding="utf-8"))
            return {canonicalize_name(p["name"]): p.get("version", "")
                    for p in data.get("package", [])
                    if "virtual" not in p.get("source", {}) and "editable" not in p.get("source", {})}
        if lock.name in PIN_LOCKS:
            from ..parsers.locks import read_pins

            return {canonicalize_name(p.name): p.version or "" for p in _runtime_pins(read_pins(lock))}
        return None

    def lock_outdated(self, project: Project) -> str | None:
        lock = project.lock
        if lock is None or lock.name != "uv.lock":
            return None
        pyproject = next((f.path for f in project.files if f.kind == "pyproject"), None)
        if pyproject is None:
            return None
        try:
            pp = self._read_pyproject(pyproject)
            data = tomllib.loads(lock.read_text(encoding="utf-8"))
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
        pyproject = next((f.path for f in project.files if f.kind == "pyproject"), None)
        if pyproject is None:
            return None
        return self._pyproject_requirements(pyproject)[1]

    @staticmethod
    def _requirements_of(path: Path) -> list[str]:
        from ..parsers.requirements import read_requirements, requirement_strings

        return requirement_strings(read_requirements(path))


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
    try:
        r = Requirement(req)
    except InvalidRequirement:
        return req.strip()
    r.name = canonicalize_name(r.name)
    return str(r).replace(" ", "")
