"""How one folder's env files make a project: roles, backend, spec and lock, Python request,
warnings and errors (the rules are in :mod:`kernelenv.detect`'s docstring).

:func:`build_project` takes a :class:`~kernelenv.folderscan.Folder` and parses what it needs
with the engine's readers (:mod:`kernelenv.parsers`); every parse error becomes an entry of
``Project.errors`` (:class:`_Parsed`), never an exception.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EnvFileError
from .folderscan import CONDA_KINDS, INFO_KINDS, PIP_LOCK_ORDER, PIP_SPEC_KINDS, Folder, is_tooling_requirements
from .model import Backend, EnvFile, FileRole, Project, PythonRequest
from .readlog import probe


@dataclass
class _Parsed:
    """Everything parsed from one project folder."""

    errors: list[EnvFileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data: dict[Path, Any] = field(default_factory=dict)

    def parse(self, path: Path, reader) -> Any:
        if path in self.data:
            return self.data[path]
        try:
            value = reader(path)
        except EnvFileError as exc:
            self.errors.extend(e for e in exc.expand() if e not in self.errors)
            value = None
        except Exception as exc:  # noqa: BLE001 - a reader bug must not hide other projects
            self.errors.append(EnvFileError(
                path, f"cannot parse this file ({type(exc).__name__}: {exc})", code="parse-failed"))
            value = None
        self.data[path] = value
        return value


def parsed_pyproject(parsed: _Parsed, path: Path):
    """``path``'s :class:`~kernelenv.parsers.pyproject.PyProject` through ``parsed`` (``None`` on a parse error)."""
    from .parsers.pyproject import read_pyproject

    return parsed.parse(path, read_pyproject)


def safe_build(folder: Folder, workspace: Path, forced: Backend | None) -> Project | None:
    """:func:`build_project`, turning an unexpected failure into an error on the project
    (one odd folder must never hide the others)."""
    try:
        return build_project(folder, workspace, forced)
    except Exception as exc:  # noqa: BLE001
        first = next(iter(sorted(folder.files)), None)
        root = Path(folder.path)
        return Project(root=root, name=root.name, backend=forced or Backend.UV,
                       backend_reason="detection failed; see errors", workspace=workspace,
                       files=[EnvFile(root / n, k, FileRole.SPEC) for n, k in sorted(folder.files.items())],
                       errors=[EnvFileError(root / (first or ""),
                                            f"detection failed: {type(exc).__name__}: {exc}",
                                            code="detect-failed")])


def build_project(folder: Folder, workspace: Path, forced: Backend | None) -> Project | None:
    """The project ``folder``'s env files make (``None`` when they define no env).

    Args:
        folder: one :func:`~kernelenv.folderscan.scan_folder` result.
        workspace: the workspace folder (recorded on the project).
        forced: the backend asked for explicitly, or ``None`` for the rules.

    Parse errors are in ``Project.errors``; an unexpected exception propagates (use
    :func:`safe_build` where one folder must not stop the others).
    """
    root = Path(folder.path)
    parsed = _Parsed()
    files: dict[Path, str] = {root / n: k for n, k in folder.files.items()}
    # A config folder replaces the root files when it defines an env; one holding only
    # postBuild/start/apt.txt/runtime.txt leaves the root files as the env here.
    binder_dirs = {n: f for n, f in folder.binder.items()
                   if any(k not in INFO_KINDS and k not in ("runtime.txt", "python-version") for k in f.values())}
    config_dir: Path | None = None
    if len(folder.binder) == 2:
        parsed.errors.append(EnvFileError(
            root / "binder", "both binder/ and .binder/ exist; repo2docker refuses this, "
            "keep only one of them", code="binder-conflict"))
    if binder_dirs:
        name = "binder" if "binder" in binder_dirs else ".binder"
        config_dir = root / name
    for link in folder.outside_links:
        parsed.warnings.append(f"{link} is a symlink out of the workspace; not followed")

    # Which files are the env definition (``active``) and which are listed only.
    if config_dir is not None:
        active = {config_dir / n: k for n, k in binder_dirs[config_dir.name].items()}
        ignored = files
        for n, k in (folder.binder.get(".binder" if config_dir.name == "binder" else "binder") or {}).items():
            ignored[root / (".binder" if config_dir.name == "binder" else "binder") / n] = k
    else:
        active, ignored = files, {}

    # A pyproject with only tool config is not a project: make it INFO (still read for
    # [tool.kernelenv]).
    tool_pyproject: Path | None = None
    for p, k in list(active.items()):
        if k == "pyproject":
            pp = parsed_pyproject(parsed, p)
            if pp is not None and not pp.is_project:
                tool_pyproject = p
    roles = _assign_roles(active, tool_pyproject, parsed)
    if roles is None:  # nothing that defines an env (e.g. tool-only pyproject + setup.cfg)
        return None
    for p, k in ignored.items():
        roles[p] = FileRole.INFO if k in INFO_KINDS else FileRole.VARIANT
    all_kinds = {**ignored, **active}

    family_default = _default_family(active, roles)
    backend, reason = _choose_backend(root, active, roles, parsed, forced, family_default,
                                      [p for p, k in {**active, **ignored}.items() if k == "pyproject"])
    spec, lock, ambiguity = _pick(active, roles, parsed, backend, config_dir, ignored)
    # Files referenced by the spec (environment.yml's `pip: -r file`) become part of it.
    roles = _final_roles(active, roles, spec, lock, parsed, ignored)

    project = Project(
        root=root,
        name=_name(root, active, ignored, spec, parsed),
        backend=backend,
        backend_reason=reason,
        files=[EnvFile(p, all_kinds[p], roles[p]) for p in sorted(roles, key=lambda x: str(x))],
        spec=spec,
        lock=lock,
        ambiguity=ambiguity,
        config_dir=config_dir,
        workspace=workspace,
    )
    if config_dir is not None and ignored:
        names = ", ".join(sorted(p.relative_to(root).as_posix() for p, k in ignored.items()
                                 if k not in INFO_KINDS))
        if names:
            project.warnings.append(
                f"{config_dir.name}/ holds the env files (repo2docker's rule), so {names} "
                f"in the project folder {'is' if ',' not in names else 'are'} not used")
    project.python = _python_request(project, active, parsed)
    _python_conflicts(project, {**ignored, **active}, parsed)
    if backend.env_kind == "conda" and "pixi.toml" in active.values():
        project.environment = "default"
    _info_warnings(project, active, parsed)
    _build_code(project, parsed)
    project.warnings.extend(parsed.warnings)
    project.errors.extend(parsed.errors)
    return project


def _assign_roles(active: dict[Path, str], tool_pyproject: Path | None,
                  parsed: _Parsed) -> dict[Path, FileRole] | None:
    """Initial roles; ``None`` when nothing here defines an env."""
    roles: dict[Path, FileRole] = {}
    names = {p.name for p in active}
    has_definition = False
    for p, k in active.items():
        if k in INFO_KINDS or p == tool_pyproject:
            roles[p] = FileRole.INFO
        elif k in ("runtime.txt", "python-version"):
            roles[p] = FileRole.PYTHON
        elif k in ("uv.lock", "pylock", "Pipfile.lock", "poetry.lock", "conda-lock",
                   "explicit-lock", "pixi.lock"):
            roles[p] = FileRole.LOCK
            has_definition = True
        elif k == "environment.yml":
            roles[p] = FileRole.SPEC if p.name in ("environment.yml", "environment.yaml") \
                else FileRole.VARIANT
            has_definition = True
        elif k in ("requirements", "requirements.in"):
            stem = p.name.rsplit(".", 1)[0]
            if k == "requirements.in" and f"{stem}.txt" in names:
                roles[p] = FileRole.INPUT
            elif is_tooling_requirements(p.name):
                roles[p] = FileRole.VARIANT
            else:
                roles[p] = FileRole.SPEC
                has_definition = True
        else:  # pyproject (a project), Pipfile, pixi.toml
            roles[p] = FileRole.SPEC
            has_definition = True
    if not has_definition:
        return None
    # environment-*.yml alone: the first one is the spec.
    if not any(k == "environment.yml" and roles[p] == FileRole.SPEC for p, k in active.items()):
        variants = sorted(p for p, k in active.items() if k == "environment.yml")
        if variants and not any(k in PIP_SPEC_KINDS and roles[p] == FileRole.SPEC
                                for p, k in active.items()):
            roles[variants[0]] = FileRole.SPEC
            parsed.warnings.append(f"no environment.yml; using {variants[0].name}, the first of "
                                   f"{len(variants)} environment-*.yml files")
    return roles


def _default_family(active: dict[Path, str], roles: dict[Path, FileRole]) -> str:
    conda = any(k in CONDA_KINDS and roles[p] in (FileRole.SPEC, FileRole.LOCK)
                for p, k in active.items())
    return "conda" if conda else "pip"


def parse_backend(value: Backend | str) -> Backend:
    """``value`` as a :class:`Backend` (see :meth:`Backend.parse`; raises ValueError)."""
    return value if isinstance(value, Backend) else Backend.parse(value)


def _choose_backend(root: Path, active: dict[Path, str], roles: dict[Path, FileRole],
                    parsed: _Parsed, forced: Backend | None, family: str,
                    pyprojects: list[Path]) -> tuple[Backend, str]:
    if forced is not None:
        return forced, f"backend {forced.value} chosen explicitly (--backend)"
    env = os.environ.get("KERNELENV_BACKEND", "").strip()
    if env:
        try:
            b = Backend.parse(env)
            return b, f"backend {b.value} from KERNELENV_BACKEND"
        except ValueError as exc:
            parsed.warnings.append(f"KERNELENV_BACKEND ignored: {exc}")
    for p in sorted(pyprojects):  # [tool.kernelenv] applies even when binder/ holds the specs
        pp = parsed_pyproject(parsed, p)
        value = (pp.kernelenv or {}).get("backend") if pp is not None else None
        if value:
            try:
                b = Backend.parse(str(value))
                return b, f"backend {b.value} from [tool.kernelenv] in {p.name}"
            except ValueError as exc:
                from .parsers.errors_util import find_string_value, read_text

                line, col = find_string_value(read_text(p), str(value))
                parsed.errors.append(EnvFileError(p, f"[tool.kernelenv] backend: {exc}", line, col,
                                                  code="invalid-backend"))
    kinds = {k for p, k in active.items() if roles.get(p) in (FileRole.SPEC, FileRole.LOCK)}
    if family == "conda":
        if "pixi.toml" in kinds or "pixi.lock" in kinds:
            return Backend.RATTLER, ("pixi.toml is a conda manifest (pixi), so a conda env "
                                     "solved and installed with py-rattler")
        order = {"environment.yml": 0, "conda-lock": 1, "explicit-lock": 2}
        first = min((p for p, k in active.items() if k in order
                     and roles.get(p) in (FileRole.SPEC, FileRole.LOCK)),
                    key=lambda p: (order[active[p]], p.name))
        label = {"environment.yml": "is a conda environment file", "conda-lock": "is a conda lock",
                 "explicit-lock": "is an @EXPLICIT conda lock"}[active[first]]
        return Backend.RATTLER, (f"{first.relative_to(root).as_posix()} {label} (conda files -> "
                                 "a conda env, pyve's rule), built with py-rattler")
    what = ("uv.lock" if "uv.lock" in kinds else "Pipfile" if "Pipfile" in kinds
            else "poetry" if "poetry.lock" in kinds else "pyproject.toml" if "pyproject" in kinds
            else "requirements")
    label = {"uv.lock": "uv.lock and pyproject.toml (a uv project)",
             "Pipfile": "a Pipfile (pipenv project)",
             "poetry": "a Poetry project with poetry.lock (read by Poetry: what `poetry install` installs here)",
             "pyproject.toml": "pyproject.toml declares the project's dependencies",
             "requirements": "only pip requirement files"}[what]
    return Backend.UV, f"no conda files; {label}: a venv built with uv"


def _pick(active: dict[Path, str], roles: dict[Path, FileRole], parsed: _Parsed,
          backend: Backend, config_dir: Path | None, ignored: dict[Path, str]
          ) -> tuple[Path | None, Path | None, str | None]:
    """Choose spec and lock for the backend's family; returns (spec, lock, ambiguity)."""
    def of(*kinds: str, role: FileRole | None = FileRole.SPEC) -> list[Path]:
        return sorted(p for p, k in active.items() if k in kinds and (role is None or roles[p] == role))

    conda_specs = of("pixi.toml") + of("environment.yml")
    pip_specs = _pip_specs(active, roles, parsed)
    ambiguity = None
    if backend.env_kind == "conda":
        spec = conda_specs[0] if conda_specs else (pip_specs[0] if pip_specs else None)
        if spec is not None and spec.name == "pixi.toml":
            lock = next(iter(of("pixi.lock", role=None)), None)
        else:
            lock = next(iter(of("conda-lock", role=None) + of("explicit-lock", role=None)
                             + of("pixi.lock", role=None)), None)
        if not conda_specs and spec is not None:
            parsed.warnings.append(f"backend {backend.value} was asked for but there is no conda "
                                   f"spec; {spec.name} is installed with pip inside the conda env")
        if conda_specs and pip_specs:
            ambiguity = _conda_pip_ambiguity(spec, pip_specs, parsed)
    else:
        spec = pip_specs[0] if pip_specs else (conda_specs[0] if conda_specs else None)
        lock = None
        for kind in PIP_LOCK_ORDER:
            cands = of(kind, role=None)
            if kind == "pylock":
                cands.sort(key=lambda p: (p.name != "pylock.toml", p.name))
            if cands:
                lock = cands[0]
                break
        if lock is None and spec is not None and active.get(spec) == "requirements" \
                and _fully_hashed(parsed, spec):
            lock = spec  # pip-compile --generate-hashes output: exact pins with hashes, a lock
        if conda_specs and pip_specs:
            ambiguity = (f"both conda ({', '.join(p.name for p in conda_specs)}) and pip "
                         f"({', '.join(p.name for p in pip_specs)}) specs exist; backend "
                         f"{backend.value} builds a venv from {spec.name if spec else '-'}")
        elif not pip_specs and spec is not None:
            parsed.warnings.append(f"backend {backend.value} was asked for but the only spec is "
                                   f"{spec.name} (conda); the uv backend cannot install conda packages")
        elif len(pip_specs) > 1 and spec is not None and \
                [p for p in pip_specs[1:] if _lists_dependencies(parsed, p)]:
            others = [p.name for p in pip_specs[1:] if _lists_dependencies(parsed, p)]
            ambiguity = (f"{spec.name} and {', '.join(others)} both list the dependencies; "
                         f"{spec.name} is used (repo2docker's order: Pipfile, then pyproject, "
                         f"then requirements.txt), the other{'s are' if len(others) > 1 else ' is'} "
                         "listed as a variant")
    if config_dir is not None and ignored:
        root_specs = [p.name for p, k in ignored.items() if k not in INFO_KINDS
                      and k not in ("runtime.txt", "python-version")]
        if root_specs and ambiguity is None:
            ambiguity = (f"{config_dir.name}/ and the project folder both define an env "
                         f"({', '.join(sorted(root_specs))}); {config_dir.name}/ wins under "
                         "repo2docker's rules, the others are listed as variants")
    return spec, lock, ambiguity


def _fully_hashed(parsed: _Parsed, path: Path) -> bool:
    """Whether every requirement of a requirements file is pinned with ``--hash`` (a lock)."""
    from .parsers.requirements import is_fully_hashed, read_requirements

    lines = parsed.parse(path, read_requirements)
    return bool(lines) and is_fully_hashed(lines)


def _pip_specs(active: dict[Path, str], roles: dict[Path, FileRole], parsed: _Parsed) -> list[Path]:
    """pip-world specs in priority order: locked pyproject, Pipfile, poetry/[project]
    pyproject, requirements.txt, other requirements*.txt, requirements*.in."""
    kinds = set(active.values())
    out: list[tuple[int, str, Path]] = []
    for p, k in active.items():
        if roles[p] != FileRole.SPEC:
            continue
        if k == "pyproject":
            pp = parsed_pyproject(parsed, p)
            declares = pp is not None and (pp.has_project_table or pp.is_poetry or pp.dependency_groups)
            if "uv.lock" in kinds or "poetry.lock" in kinds or (pp is not None and pp.is_poetry):
                rank = 0
            elif declares:
                rank = 2
            else:
                rank = 5  # only [build-system]/[tool.uv]: used when nothing else lists deps
        elif k == "Pipfile":
            rank = 1
        elif k == "requirements":
            rank = 3 if p.name == "requirements.txt" else 4
        elif k == "requirements.in":
            rank = 4
        else:
            continue
        out.append((rank, p.name, p))
    return [p for _, _, p in sorted(out)]


def _lists_dependencies(parsed: _Parsed, path: Path) -> bool:
    """False for a pyproject that declares no dependencies (only [build-system]/[tool.uv])."""
    if path.name != "pyproject.toml":
        return True
    pp = parsed_pyproject(parsed, path)
    return pp is not None and pp.declares_dependencies


def _conda_pip_ambiguity(spec: Path, pip_specs: list[Path], parsed: _Parsed) -> str:
    from .parsers.conda import read_environment_yml

    names = ", ".join(p.name for p in pip_specs)
    if spec.name == "pixi.toml":
        return (f"pixi.toml and pip specs ({names}) both exist; pixi.toml is the more specific "
                "manifest, so one conda env is built from it")
    env = parsed.parse(spec, read_environment_yml)
    refs = {p.resolve() for p in (env.pip_files if env else [])}
    referenced = [p for p in pip_specs if p.resolve() in refs]
    rest = [p for p in pip_specs if p not in referenced]
    parts = []
    if referenced:
        parts.append(f"{spec.name} installs {', '.join(p.name for p in referenced)} through "
                     "`pip: -r`, so it is part of the conda env")
    if rest:
        why = []
        if env is not None and env.python:
            why.append(f"pins python ({env.python})")
        non_python = [d for d in (env.dependencies if env else [])
                      if not re.match(r"^(python|pip)\b", d)]
        if non_python:
            why.append(f"lists {len(non_python)} conda package(s)")
        because = f" because {spec.name} {' and '.join(why)}" if why else ""
        parts.append(f"{', '.join(p.name for p in rest)} also list{'s' if len(rest) == 1 else ''} "
                     f"dependencies; the conda env from {spec.name} is used{because} "
                     "(one env, not two; pass --backend uv to build a venv instead)")
    return "; ".join(parts)


def _final_roles(active: dict[Path, str], roles: dict[Path, FileRole], spec: Path | None,
                 lock: Path | None, parsed: _Parsed, ignored: dict[Path, str]
                 ) -> dict[Path, FileRole]:
    roles = dict(roles)
    referenced: set[Path] = set()
    if spec is not None and active.get(spec) == "environment.yml":
        from .parsers.conda import read_environment_yml

        env = parsed.parse(spec, read_environment_yml)
        referenced = {p.resolve() for p in (env.pip_files if env else [])}
    for p, k in active.items():
        if p == lock:
            roles[p] = FileRole.LOCK
        elif p == spec:
            roles[p] = FileRole.SPEC
        elif p.resolve() in referenced:
            roles[p] = FileRole.SPEC
        elif roles[p] in (FileRole.SPEC, FileRole.LOCK):
            # A spec/lock not used by the chosen backend: an alternative, listed only.
            if k == "requirements.in" and spec is not None and \
                    spec.name == p.name.rsplit(".", 1)[0] + ".txt":
                roles[p] = FileRole.INPUT
            else:
                roles[p] = FileRole.VARIANT
    return roles


def _name(root: Path, active: dict[Path, str], ignored: dict[Path, str], spec: Path | None,
          parsed: _Parsed) -> str:
    for p, k in {**active, **ignored}.items():
        if k == "pyproject":
            pp = parsed_pyproject(parsed, p)
            if pp is not None and pp.is_project and pp.name:
                return str(pp.name)
    for p, k in active.items():
        if k == "pixi.toml":
            from .parsers.pixi import read_pixi_toml

            m = parsed.parse(p, read_pixi_toml)
            if m is not None and m.name:
                return str(m.name)
    if spec is not None and active.get(spec) == "environment.yml":
        from .parsers.conda import read_environment_yml

        env = parsed.parse(spec, read_environment_yml)
        if env is not None and env.name:
            return str(env.name)
    return root.name


def _python_request(project: Project, active: dict[Path, str], parsed: _Parsed
                    ) -> PythonRequest | None:
    from .parsers import python_request as pr

    spec = project.spec
    spec_kind = active.get(spec) if spec is not None else None
    if project.backend.env_kind == "conda":
        if spec_kind == "environment.yml":
            from .parsers.conda import read_environment_yml

            env = parsed.parse(spec, read_environment_yml)
            if env is not None and env.python:
                s = pr.conda_version_to_specifier(env.python)
                if s:
                    return PythonRequest(s, spec, f"python{'' if env.python[:1] in '<>=!~' else '='}"
                                         f"{env.python}")
            return None
        if spec_kind == "pixi.toml":
            from .parsers.pixi import read_pixi_toml

            m = parsed.parse(spec, read_pixi_toml)
            if m is not None and m.python:
                s = pr.conda_version_to_specifier(m.python)
                if s:
                    return PythonRequest(s, spec, f"python = {m.python!r}")
            return None
    by_kind = {k: p for p, k in sorted(active.items(), reverse=True)}
    if "runtime.txt" in by_kind:
        r = parsed.parse(by_kind["runtime.txt"], pr.from_runtime_txt)
        if r is not None:
            return r
    if "python-version" in by_kind:
        r = parsed.parse(by_kind["python-version"], pr.from_python_version_file)
        if r is not None:
            return r
    for p, k in active.items():
        if k == "pyproject":
            pp = parsed_pyproject(parsed, p)
            if pp is not None and pp.is_project and pp.requires_python is not None:
                return PythonRequest(pp.requires_python, p, pp.requires_python_raw or pp.requires_python)
    if "Pipfile" in by_kind:
        from .parsers.pipfile import read_pipfile

        pf = parsed.parse(by_kind["Pipfile"], read_pipfile)
        if pf is not None and pf.python_version:
            try:
                return pr.from_pipfile_version(pf.python_version, pf.path)
            except EnvFileError as exc:
                parsed.errors.append(EnvFileError(pf.path, exc.detail, pf.python_line,
                                                  code=exc.code))
    return None


def _python_conflicts(project: Project, files: dict[Path, str], parsed: _Parsed) -> None:
    """Warn when another file asks for a Python the chosen request excludes (Cassini:
    binder/environment.yml pins 3.8 while pyproject.toml requires ^3.9)."""
    chosen = project.python
    if chosen is None or not chosen.specifier.startswith("==") or "," in chosen.specifier:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    version = chosen.specifier[2:].removesuffix(".*")
    for p, k in sorted(files.items()):
        if p == chosen.source or k != "pyproject":
            continue
        pp = parsed_pyproject(parsed, p)
        if pp is None or not pp.is_project or not pp.requires_python:
            continue
        try:
            ok = SpecifierSet(pp.requires_python).contains(version, prereleases=True)
        except InvalidSpecifier:
            continue
        if not ok:
            rel = p.relative_to(project.root).as_posix()
            src = chosen.source.relative_to(project.root).as_posix()
            project.warnings.append(
                f"{src} asks for Python {chosen.raw} but {rel} requires {pp.requires_python_raw}; "
                f"kernelenv follows {src}")


def _info_warnings(project: Project, active: dict[Path, str], parsed: _Parsed) -> None:
    """Warnings for files that are reported but never run, and the specs' own warnings;
    also parses every used spec so syntax errors surface at detection time (lock files,
    which can be megabytes, are read by the backend at create/rebuild time)."""
    from .parsers.errors_util import read_text

    for p, k in sorted(active.items()):
        rel = p.relative_to(project.root).as_posix()
        if k == "apt.txt":
            try:
                pkgs = [ln.split("#")[0].strip() for ln in read_text(p).splitlines()]
            except EnvFileError as exc:
                parsed.errors.append(exc)
                continue
            pkgs = [x for x in pkgs if x]
            project.warnings.append(
                f"{rel} lists system packages only Binder installs: {', '.join(pkgs) or '(none)'}; "
                "kernelenv does not install them (use your system's package manager)")
        elif k in ("postBuild", "start"):
            what = "a build script" if k == "postBuild" else "a start-up wrapper"
            project.warnings.append(f"{rel} is {what} repo2docker runs; kernelenv does not run it")
        elif k == "setup.py":
            project.warnings.append(f"{rel} is listed but never executed; the project itself is "
                                    "not installed, only its declared dependencies")
    _validate(project, active, parsed)
    if project.lock is not None and active.get(project.lock):
        from .parsers.lockcheck import check_lock

        parsed.errors.extend(check_lock(project.lock, active[project.lock]))


def _build_code(project: Project, parsed: _Parsed) -> None:
    """Set ``project.runs_build_backend`` (files already parsed are not parsed again); a
    setup.py is then no longer said to be never executed."""
    from .buildcode import _read, build_backend_reason

    def read(path: Path, reader):
        return parsed.data[path] if path in parsed.data else _read(path, reader)

    project.runs_build_backend = build_backend_reason(project, read)
    _project_install(project, parsed)
    if project.runs_build_backend:
        project.warnings[:] = [
            w.replace("is listed but never executed; the project itself is not installed, only its "
                      "declared dependencies", "is not run by detection; lock/create may run it (see "
                      "runs_build_backend)") for w in project.warnings]


def _project_install(project: Project, parsed: _Parsed) -> None:
    """Whether create installs the project itself (:mod:`kernelenv.projectinstall`); when it
    does, that runs the project's build backend, which ``runs_build_backend`` then says."""
    from .projectinstall import decide

    pp_path = project.root / "pyproject.toml"
    pp = parsed_pyproject(parsed, pp_path) if probe(pp_path)[0] == "file" else None
    project.install_project, project.install_project_reason = decide(project, pp)
    if project.install_project and not project.runs_build_backend:
        project.runs_build_backend = ("pyproject.toml: create installs the project itself (editable), as its "
                                      "tool does, which runs its build backend")


def _validate(project: Project, active: dict[Path, str], parsed: _Parsed) -> None:
    import importlib

    # (module, function) per kind, imported only for the kinds present: a requirements
    # project never loads yaml or the TOML parsers (issue 15).
    readers = {"environment.yml": (".parsers.conda", "read_environment_yml"),
               "requirements": (".parsers.requirements", "read_requirements"),
               "requirements.in": (".parsers.requirements", "read_requirements"),
               "Pipfile": (".parsers.pipfile", "read_pipfile"), "pixi.toml": (".parsers.pixi", "read_pixi_toml")}
    used = {f.path for f in project.files if f.role in (FileRole.SPEC, FileRole.INPUT)}
    for p, k in active.items():
        if p in used and k in readers:
            module, func = readers[k]
            value = parsed.parse(p, getattr(importlib.import_module(module, __package__), func))
            if k == "environment.yml" and value is not None:
                for w in value.warnings:
                    parsed.warnings.append(f"{p.relative_to(project.root).as_posix()}: {w}")
        if p in used and k == "pyproject":
            pp = parsed_pyproject(parsed, p)
            if pp is not None:
                parsed.warnings.extend(pp.warnings)


__all__ = ["build_project", "safe_build", "parse_backend", "parsed_pyproject"]
