"""Binder (repo2docker) support: write a ``binder/`` folder from a project's lock, and adopt
the env a repo2docker image built from it.

Writing (:func:`write_binder`, ``kernelenv binder PATH``)
    repo2docker (https://repo2docker.readthedocs.io/en/latest/configuration/) reads a
    ``binder/`` (or ``.binder/``) folder *instead of* the repository root's files. From the
    project's lock kernelenv writes:

    * venv projects (uv backend): ``requirements.txt`` with one exact ``name==version`` per
      locked distribution (markers kept, so pip evaluates them in the image), read from
      ``uv.lock`` with ``uv export --frozen``, from ``pylock.toml`` / ``Pipfile.lock`` /
      ``poetry.lock`` with :func:`kernelenv.parsers.locks.read_pins`, or copied from a
      requirements file that is itself the lock; ``runtime.txt`` (``python-X.Y``) for
      repo2docker's Python buildpack.
    * conda projects: ``environment.yml`` with exact ``name=version=build`` pins of the
      ``linux-64`` section of ``conda-lock.yml`` (Binder images are linux-64) and its
      ``manager: pip`` entries as ``pip:`` pins; the channels of the lock. The Python is
      pinned there (repo2docker's conda buildpack reads it from environment.yml, so no
      runtime.txt is written).
    * ``postBuild``: installs kernelenv into the image's env (for venv projects constrained
      by ``requirements.txt``, so pip cannot move a locked pin) and runs
      ``kernelenv adopt`` so the image's env becomes the project's env under the same
      stable kernel name as on the author's machine.

    A project without a lock is locked first (:func:`kernelenv.api.lock`), because a
    Binder config that only repeats the spec would resolve to different versions on
    every launch.

Adopting (:func:`adopt`, ``kernelenv adopt PATH --env PREFIX``)
    Records an env someone else built (the repo2docker image's env) as the project's
    env: it checks that every pin of the project's env files is installed in the prefix
    (pip pins by version, conda pins with rattler's MatchSpec against ``conda-meta``),
    links ``.kernelenv/envs/image`` to the prefix and points the live link at it, writes
    the state file with the hashes of the files the image was built from and registers
    the kernel. ``kernelenv status`` then says ready and nothing is rebuilt at launch. A
    later ``kernelenv rebuild`` builds a fresh env aside as usual; the adopted prefix is
    never deleted (only the link to it).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from .errors import KernelenvError
from .kernels import KernelLocation, register
from .layout import envs_dir, link_target, live_link, python_dists, python_in, switch_link
from .model import Backend, FileRole, Project, StatusReport
from .progress import Reporter

#: Python versions repo2docker can install (its ``buildpacks/conda/environment.py-X.Y.yml``
#: base environments, as of repo2docker 2024-2026).
REPO2DOCKER_PYTHONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14")

#: The platform Binder images run on (conda subdir and the PEP 508 marker values).
BINDER_PLATFORM = "linux-64"

#: Files in a config folder that decide what repo2docker builds; ``--force`` replaces them.
CONFIG_FILES = ("environment.yml", "environment.yaml", "requirements.txt", "requirements3.txt",
                "Pipfile", "Pipfile.lock", "runtime.txt", "postBuild", "setup.py", "install.R",
                "REQUIRE", "Project.toml", "default.nix", "Dockerfile")

#: Root files Binder stops reading once binder/ exists (repo2docker ``binder_path``).
ROOT_FILES_IGNORED = ("environment.yml", "environment.yaml", "requirements.txt", "Pipfile",
                      "Pipfile.lock", "runtime.txt", "setup.py", "pyproject.toml", "apt.txt",
                      "postBuild", "start", "install.R", "Project.toml", "default.nix", "Dockerfile")

#: The folder name adopted envs are linked under in ``.kernelenv/envs``.
ADOPTED = "image"


class BinderError(KernelenvError):
    """A Binder config cannot be written or an image env cannot be adopted (the message says why)."""

    code = "binder-error"


@dataclass
class BinderResult:
    """What :func:`write_binder` wrote.

    Args:
        directory: the config folder (``<project>/binder`` or ``.binder``).
        files: the files written, in order.
        kind: ``"requirements"`` (venv project) or ``"environment"`` (conda project).
        python: the Python version the image gets (``"3.11"``), or ``None``.
        kernel_name: the stable kernel name ``postBuild`` registers.
        lock: the lock file the pins come from.
        locked_first: whether the project had no lock and one was written.
        pins: ``{normalized name: version}`` written (conda and pip together).
        warnings: what Binder will ignore or do differently, one sentence each.
    """

    directory: Path
    files: list[Path]
    kind: str
    python: str | None
    kernel_name: str
    lock: Path
    locked_first: bool
    pins: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"directory": str(self.directory), "files": [str(f) for f in self.files],
                "kind": self.kind, "python": self.python, "kernel_name": self.kernel_name,
                "lock": str(self.lock), "locked_first": self.locked_first, "pins": self.pins,
                "warnings": list(self.warnings)}


# --------------------------------------------------------------------------- writing
def existing_config_dirs(root: Path) -> list[Path]:
    """``binder/`` and/or ``.binder/`` under ``root`` (repo2docker's config folders)."""
    return [root / d for d in ("binder", ".binder") if (root / d).is_dir()]


def write_binder(project: Project, *, force: bool = False, python: str | None = None,
                 kernelenv_spec: str = "kernelenv", reporter: Reporter | None = None) -> BinderResult:
    """Write a Binder config reproducing the project's locked env (see the module docstring).

    Args:
        project: from :func:`kernelenv.api.detect` / ``find_project``.
        force: replace the env files of an existing ``binder/`` or ``.binder/`` (other
            files there, such as ``apt.txt`` or ``start``, are kept).
        python: the Python version for ``runtime.txt`` (``"3.11"``); default: the
            version the project's env was built with, else the newest installed
            interpreter satisfying the project's request.
        kernelenv_spec: what ``postBuild`` passes to ``pip install`` (a version
            specifier such as ``kernelenv==0.1.0``, or a ``git+https://...`` URL).
        reporter: progress for the lock step, when one is needed.

    Returns:
        A :class:`BinderResult`.

    Raises:
        BinderError: both ``binder/`` and ``.binder/`` exist; one exists and ``force``
            is False; the project's backend or lock cannot be expressed for Binder.
        EnvFileError, BuildError, PythonNotFoundError: from locking or reading the lock.
    """
    root = project.root
    dirs = existing_config_dirs(root)
    if len(dirs) == 2:
        raise BinderError(f"{root} has both binder/ and .binder/: repo2docker refuses to build such a "
                          "repository. Remove one of them and run `kernelenv binder` again.")
    if dirs and not force:
        raise BinderError(f"{dirs[0]} already exists; kernelenv does not overwrite a Binder config. "
                          "Pass --force to replace its env files (apt.txt, start and other files are kept).")
    if project.config_dir is not None and project.config_dir in dirs and not force:
        raise BinderError(f"{project.config_dir} is already this project's env.")  # pragma: no cover
    target = dirs[0] if dirs else root / "binder"
    if project.config_dir is not None:
        # Detection follows repo2docker (binder/ replaces the root files); regenerate from the
        # project's own root files instead.
        own = root_project(project)
        if own is None:
            raise BinderError(f"{root}: the env is defined only in {project.config_dir.name}/ (no env files in "
                              "the project folder), so there is no lock to regenerate it from.")
        project = own

    locked_first = False
    lock = project.lock
    if lock is None or not lock.exists():
        from . import api

        lock = api.lock(project, reporter=reporter)
        project = replace(project, lock=lock)
        locked_first = True
    warnings = _warnings(project, target)
    from .state import lock_outdated

    outdated = lock_outdated(project)
    if outdated:
        warnings.append(f"The lock is out of date with the spec ({outdated}); Binder will get the "
                        "old pins. Run `kernelenv lock`, then `kernelenv binder --force`.")

    if project.backend.env_kind == "conda":
        kind = "environment"
        files, pins, py = _conda_files(project, lock)
    elif project.backend is Backend.UV:
        kind = "requirements"
        py = _python_for(project, python)
        files, pins = _venv_files(project, lock, py, reporter or Reporter())
        if py not in REPO2DOCKER_PYTHONS:
            warnings.append(f"repo2docker may not offer Python {py} (it offers "
                            f"{', '.join(REPO2DOCKER_PYTHONS)}).")
    else:  # pragma: no cover - every Backend is venv or conda kind
        raise BinderError(f"backend {project.backend.value} has no Binder equivalent")

    name = project.kernel_name
    files["postBuild"] = _postbuild(project, target, kind, name, kernelenv_spec)

    target.mkdir(parents=True, exist_ok=True)
    if force:
        for f in CONFIG_FILES:
            p = target / f
            if p.is_file() and f not in files:
                p.unlink()
    written = []
    for fname, text in files.items():
        p = target / fname
        tmp = p.with_name(p.name + ".kernelenv-tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)
        if fname == "postBuild":
            p.chmod(0o755)
        written.append(p)
    root_apt = root / "apt.txt"
    if root_apt.is_file() and not (target / "apt.txt").exists():
        shutil.copyfile(root_apt, target / "apt.txt")
        written.append(target / "apt.txt")
        warnings.append("Copied apt.txt into the config folder: Binder reads only that folder now.")
    return BinderResult(directory=target, files=written, kind=kind, python=py, kernel_name=name,
                        lock=lock, locked_first=locked_first, pins=pins, warnings=warnings)


def root_project(project: Project) -> Project | None:
    """See :func:`kernelenv.detect.root_files_project` (kept for callers of this module)."""
    from .detect import root_files_project

    return root_files_project(project)


def _warnings(project: Project, target: Path) -> list[str]:
    root = project.root
    out = []
    ignored = [f for f in ROOT_FILES_IGNORED if (root / f).is_file() and f != "apt.txt"]
    if ignored:
        out.append(f"Binder will ignore these root files once {target.name}/ exists: {', '.join(ignored)} "
                   f"(it reads only {target.name}/).")
    for code in ("postBuild", "start"):
        if (root / code).is_file():
            out.append(f"The root {code} will no longer run on Binder; move its steps into "
                       f"{target.name}/{code}.")
    repo = next((p for p in [root, *root.parents] if (p / ".git").exists()), None)
    if repo is not None and repo != root:
        out.append(f"Binder reads {target.name}/ at the repository root ({repo}), but this project is "
                   f"{root.relative_to(repo)}; launch it from a repository whose root is the project.")
    return out


def _python_for(project: Project, override: str | None) -> str:
    """``X.Y`` for runtime.txt (see :func:`write_binder`)."""
    if override:
        return ".".join(override.split(".")[:2])
    from .state import read_state

    spec = SpecifierSet(project.python.specifier) if project.python else SpecifierSet()
    built = (read_state(project.root) or {}).get("python_version")
    if built and spec.contains(built, prereleases=True):
        return ".".join(built.split(".")[:2])
    from .backends import get_builder

    interp = get_builder(project.backend).select_python(project, None)
    return ".".join(str(interp.version).split(".")[:2])


def _marker_env(python: str) -> dict[str, str]:
    env = dict(default_environment())
    env.update(sys_platform="linux", platform_system="Linux", os_name="posix",
               platform_machine="x86_64", python_version=python,
               python_full_version=f"{python}.0", implementation_name="cpython",
               platform_python_implementation="CPython")
    return env


def _venv_files(project: Project, lock: Path, python: str,
                reporter: Reporter) -> tuple[dict[str, str], dict[str, str]]:
    lines = _venv_pin_lines(project, lock, reporter)
    env = _marker_env(python)
    pins: dict[str, str] = {}
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        exact = [s.version for s in req.specifier if s.operator in ("==", "===")]
        if exact:
            pins[canonicalize_name(req.name)] = exact[0]
    if "ipykernel" not in {canonicalize_name(Requirement(ln).name) for ln in lines if _is_req(ln)}:
        lines.append("ipykernel  # not in the lock: added so the env can run as a kernel, as kernelenv create does")
    rel = os.path.relpath(lock, project.root)
    header = (f"# Written by `kernelenv binder` from {rel}: the exact versions of the lock, so a Binder\n"
              "# launch installs the same env. Regenerate with `kernelenv binder --force` after\n"
              "# `kernelenv lock`; do not edit by hand.\n")
    return ({"requirements.txt": header + "\n".join(lines) + "\n",
             "runtime.txt": f"python-{python}\n"}, pins)


def _is_req(line: str) -> bool:
    try:
        Requirement(line)
    except InvalidRequirement:
        return False
    return True


def _venv_pin_lines(project: Project, lock: Path, reporter: Reporter) -> list[str]:
    """PEP 508 ``name==version [; marker]`` lines of the lock (see the module docstring)."""
    from .parsers.locks import lock_format, read_pins

    fmt = lock_format(lock)
    if fmt == "uv.lock":
        return _uv_export(project, lock, reporter)
    if fmt is not None:
        from .backends.uv import _runtime_pins

        # What the uv backend installs from this lock: for Pipfile.lock / poetry.lock only the
        # default / main pins (dev groups are not part of a notebook env).
        pins = _runtime_pins(read_pins(lock)) if fmt in ("Pipfile.lock", "poetry.lock") else read_pins(lock)
        missing = [p.name for p in pins if not p.version]
        if missing:
            raise BinderError(f"{lock}: {', '.join(missing)} have no version in the lock (VCS or path "
                              "entries); Binder cannot install them from a registry.")
        return [p.requirement() for p in pins]
    from .parsers.requirements import read_requirements

    return [str(r.requirement) for r in read_requirements(lock) if r.requirement is not None]


def _uv_export(project: Project, lock: Path, reporter: Reporter) -> list[str]:
    from .backends.uv import UvBuilder
    from .uvtool import run_uv

    group = UvBuilder()._ipykernel_group(project)
    with tempfile.TemporaryDirectory(prefix="kernelenv-export-") as tmp:
        out = Path(tmp) / "requirements.txt"
        args = ["export", "--frozen", "--format", "requirements-txt", "--no-hashes", "--no-header",
                "--no-annotate", "--no-emit-workspace", "--quiet", "-o", str(out)]
        if group:
            args += ["--group", group]
        run_uv(args, reporter, step="export", cwd=lock.parent, error=f"exporting {lock} failed")
        text = out.read_text(encoding="utf-8")
    lines = []
    for raw in text.splitlines():
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith("-e ") or s.startswith("./") or s.startswith("../"):
            raise BinderError(f"{lock}: the lock installs the local path {s!r}; Binder installs only "
                              "registry pins from binder/requirements.txt. Make it a registry dependency "
                              "or add it to binder/postBuild by hand.")
        lines.append(s)
    return lines


def _conda_files(project: Project, lock: Path) -> tuple[dict[str, str], dict[str, str], str | None]:
    from .parsers.condalock import read_conda_lock

    if lock.name.startswith("pixi."):
        raise BinderError(f"{lock}: pixi projects are not supported by `kernelenv binder` yet; Binder's "
                          "repo2docker has no pixi buildpack.")
    from .parsers.condalock import is_explicit_lock

    if is_explicit_lock(lock):
        raise BinderError(f"{lock}: an @EXPLICIT lock carries no pip pins or channels for Binder; "
                          "lock the project with `kernelenv lock` (conda-lock.yml) first.")
    cl = read_conda_lock(lock)
    if BINDER_PLATFORM not in cl.platforms:
        raise BinderError(f"{lock} has no {BINDER_PLATFORM} section (it locks {', '.join(cl.platforms)}); "
                          "Binder images are linux-64. Add linux-64 to the lock's platforms.")
    pkgs = cl.for_platform(BINDER_PLATFORM, categories=tuple({p.category for p in cl.packages}))
    conda = sorted((p for p in pkgs if p.manager == "conda"), key=lambda p: p.name)
    pip = sorted((p for p in pkgs if p.manager == "pip"), key=lambda p: p.name.lower())
    channels = []
    for ch in cl.channels:
        c = ch.rstrip("/")
        for prefix in ("https://conda.anaconda.org/", "http://conda.anaconda.org/"):
            if c.startswith(prefix):
                c = c[len(prefix):]
        if c not in channels:
            channels.append(c)
    if "nodefaults" not in channels:
        channels.append("nodefaults")
    pins: dict[str, str] = {}
    deps = []
    python = None
    for p in conda:
        build = _build_of(p.filename, p.name, p.version)
        deps.append(f"{p.name}={p.version}={build}" if build else f"{p.name}=={p.version}")
        pins[canonicalize_name(p.name)] = p.version
        if p.name == "python":
            python = ".".join(p.version.split(".")[:2])
    import yaml

    doc: dict[str, Any] = {"name": project.name, "channels": channels, "dependencies": deps}
    if pip:
        # Exactly the lock: no unpinned `pip` added (repo2docker's base env has pip).
        doc["dependencies"] = deps + [{"pip": [f"{p.name}=={p.version}" for p in pip]}]
        for p in pip:
            pins[canonicalize_name(p.name)] = p.version
    rel = os.path.relpath(lock, project.root)
    header = (f"# Written by `kernelenv binder` from {rel} ({BINDER_PLATFORM}): exact conda pins with their\n"
              "# builds and the lock's pip entries. Regenerate with `kernelenv binder --force` after\n"
              "# `kernelenv lock`; do not edit by hand.\n")
    text = header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=1000)
    return {"environment.yml": text}, pins, python


def _build_of(filename: str, name: str, version: str) -> str | None:
    for ext in (".conda", ".tar.bz2"):
        if filename.endswith(ext):
            stem = filename[: -len(ext)]
            head = f"{name}-{version}-"
            if stem.startswith(head):
                return stem[len(head):]
    return None


def _postbuild(project: Project, target: Path, kind: str, kernel: str, kernelenv_spec: str) -> str:
    rel = os.path.relpath(project.root, target.parent)
    env_file = "requirements.txt" if kind == "requirements" else "environment.yml"
    constraint = f' -c "{target.name}/requirements.txt"' if kind == "requirements" else ""
    why = (",\n#    constrained by the lock's pins so pip cannot change a locked version"
           if constraint else "")
    prefix = "${KERNEL_PYTHON_PREFIX:-${NB_PYTHON_PREFIX:-$(python -c 'import sys; print(sys.prefix)')}}"
    return (
        "#!/bin/bash\n"
        "# Written by `kernelenv binder`. Binder (repo2docker) runs this once while building the image,\n"
        f"# after it installed {target.name}/{env_file} into the image's env.\n"
        "set -euo pipefail\n"
        'cd "$(dirname "$0")/.."\n'
        "\n"
        f'# 1. kernelenv itself (server extension, "Python (project env)" kernel, CLI){why}.\n'
        f"python -m pip install --no-cache-dir{constraint} {shlex.quote(kernelenv_spec)}\n"
        "\n"
        "# 2. Adopt the image's env as the project's env: check it holds every locked pin, record it\n"
        f'#    as built and register its kernel as "{kernel}" (its name on the author\'s machine), so\n'
        "#    notebooks saved there find their kernel here and nothing is rebuilt at launch.\n"
        f'kernelenv adopt {shlex.quote(rel)} --env "{prefix}" --name {shlex.quote(project.name)} --sys-prefix\n'
    )


# --------------------------------------------------------------------------- adopting
@dataclass
class Mismatch:
    """A pin the prefix does not satisfy: ``wanted`` (the pin as written) vs ``installed`` (or None)."""

    name: str
    wanted: str
    installed: str | None

    def __str__(self) -> str:
        return f"{self.name}: wants {self.wanted}, has {self.installed or 'nothing'}"


def check_prefix(project: Project, prefix: Path, python_version: str) -> list[Mismatch]:
    """The pins of the project's env files that ``prefix`` does not satisfy (empty: it matches).

    Reads files only: pip pins (``requirements*.txt``, the pip section of environment.yml,
    pip-world locks) against the prefix's ``*.dist-info``; conda pins (environment.yml,
    conda-lock.yml's ``linux-64`` or this platform's section) against ``conda-meta`` with
    rattler's MatchSpec. Requirements without an exact pin are checked by their specifier.
    """
    from .conda_meta import conda_records

    env = _marker_env(".".join(python_version.split(".")[:2]))
    env["python_full_version"] = python_version
    env["sys_platform"], env["platform_machine"] = default_environment()["sys_platform"], \
        default_environment()["platform_machine"]
    dists = python_dists(prefix)
    bad: list[Mismatch] = []

    def check_req(text: str) -> None:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            return
        if req.marker is not None and not req.marker.evaluate(env):
            return
        have = dists.get(canonicalize_name(req.name))
        if have is None or (req.specifier and not req.specifier.contains(have, prereleases=True)):
            bad.append(Mismatch(canonicalize_name(req.name), str(req.specifier) or "any version", have))

    conda_specs: list[str] = []
    lock = project.lock if project.lock is not None and project.lock.exists() else None
    from .parsers.locks import lock_format

    if lock is not None and lock_format(lock) is not None:
        from .backends.uv import UvBuilder

        locked = UvBuilder().locked_packages(project, python_version) or {}
        for name, version in locked.items():
            if version:
                check_req(f"{name}=={version}")
    elif lock is not None and lock.name.endswith("conda-lock.yml"):
        from .conda_channels import current_platform
        from .parsers.condalock import read_conda_lock

        cl = read_conda_lock(lock)
        plat = current_platform()
        for p in cl.for_platform(plat, categories=tuple({q.category for q in cl.packages})):
            if p.manager == "pip":
                check_req(f"{p.name}=={p.version}")
            else:
                build = _build_of(p.filename, p.name, p.version)
                conda_specs.append(f"{p.name}=={p.version}" + (f"={build}" if build else ""))
    else:
        for f in project.files_of(FileRole.SPEC, FileRole.LOCK):
            if f.kind == "requirements":
                from .parsers.requirements import read_requirements

                for r in read_requirements(f.path):
                    if r.requirement is not None:
                        check_req(str(r.requirement))
            elif f.kind == "environment.yml":
                from .parsers.conda import read_environment_yml

                spec = read_environment_yml(f.path)
                conda_specs += list(spec.dependencies)
                for line in spec.pip:
                    if not line.lstrip().startswith("-"):
                        check_req(line)
    if conda_specs:
        from rattler import MatchSpec

        records = {r.name: r for r in conda_records(prefix)}
        for text in conda_specs:
            ms = MatchSpec(text)
            name = ms.name.normalized if hasattr(ms.name, "normalized") else str(ms.name)
            rec = records.get(name)
            if rec is None:
                bad.append(Mismatch(name, text, None))
                continue
            if not _conda_matches(ms, prefix, rec):
                bad.append(Mismatch(name, text, f"{rec.version}={rec.build}"))
    return bad


def _conda_matches(ms: Any, prefix: Path, rec: Any) -> bool:
    from rattler import PrefixRecord

    path = prefix / "conda-meta" / f"{rec.name}-{rec.version}-{rec.build}.json"
    return bool(ms.matches(PrefixRecord.from_path(path)))


def adopt(project: Project, prefix: Path | str, *, name: str | None = None,
          kernel_location: KernelLocation | None = None, check: bool = True) -> StatusReport:
    """Record an existing env (a repo2docker image's) as the project's env and register its kernel.

    Args:
        project: the project, detected inside the image.
        prefix: the env's folder (``$KERNEL_PYTHON_PREFIX`` / ``$NB_PYTHON_PREFIX`` on Binder).
        name: the project's name on the author's machine, so the kernel name and display
            name match the notebooks saved there (the image's checkout folder is named
            after the image user, not the project).
        kernel_location: where kernel.json goes (default: the user's Jupyter data dir).
        check: verify the prefix holds every pin of the project's env files first.

    Returns:
        The project's status afterwards (ready).

    Raises:
        BinderError: the prefix has no Python, no ipykernel, or misses pins (each listed);
            ``<project>/.venv`` (or ``.conda``) is someone else's env.
        ProjectBusyError: another operation holds the project's lock.
    """
    from .locking import project_lock
    from .state import project_status, read_state, record_build

    prefix = Path(prefix).resolve()
    if name:
        project = replace(project, name=name)
    kind = project.backend.env_kind
    python = python_in(prefix, kind)
    if not python.exists():
        raise BinderError(f"{prefix} has no Python ({python} is missing); pass the image env's prefix "
                          "with --env.")
    try:
        out = subprocess.run([str(python), "-c",
                              "import sys, ipykernel; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as e:
        raise BinderError(f"{python} did not run: {e}") from e
    if out.returncode != 0:
        raise BinderError(f"{prefix} cannot import ipykernel, so it cannot be the project's kernel:\n"
                          f"{out.stderr.strip()[-1500:]}")
    version = out.stdout.strip()
    if check:
        bad = check_prefix(project, prefix, version)
        if bad:
            lines = "\n  ".join(str(m) for m in bad[:40])
            more = f"\n  ... and {len(bad) - 40} more" if len(bad) > 40 else ""
            raise BinderError(f"{prefix} was not built from {project.root}'s env files; "
                              f"{len(bad)} pin(s) differ:\n  {lines}{more}\n"
                              "Run `kernelenv binder --force` after `kernelenv lock` so the image and the "
                              "lock agree, or `kernelenv create` to build the env from the files.")
    with project_lock(project.root, "adopt"):
        d = envs_dir(project.root)
        d.mkdir(parents=True, exist_ok=True)
        entry = d / ADOPTED
        if entry.is_symlink() or entry.exists():
            if not entry.is_symlink():
                raise BinderError(f"{entry} exists and is not a link; remove it first.")
            entry.unlink()
        os.symlink(prefix, entry, target_is_directory=True)
        link = live_link(project.root, kind)
        previous = link_target(link)
        try:
            switch_link(link, entry)
        except FileExistsError as e:
            raise BinderError(str(e)) from None
        if previous is not None and previous != entry and previous.is_dir() and not previous.is_symlink():
            shutil.rmtree(previous, ignore_errors=True)
        loc = kernel_location or KernelLocation.from_dict((read_state(project.root) or {}).get("kernel_location"))
        from_lock = project.lock is not None and project.lock.exists()
        kernel = project.kernel_name
        record_build(project, from_lock=from_lock, build_dir=entry, python_version=version,
                     packages=len(python_dists(prefix)), kernel_name=kernel, kernel_location=loc.to_dict())
        register(project, python_in(link, kind), version, env_path=link, location=loc)
        return project_status(project, check_lock=False)


__all__ = ["BinderError", "BinderResult", "write_binder", "existing_config_dirs", "adopt",
           "check_prefix", "Mismatch", "REPO2DOCKER_PYTHONS"]
