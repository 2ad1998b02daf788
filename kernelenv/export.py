"""``kernelenv export``: the project's lock rewritten in another format, never a guess.

Every format is derived from the project's lock file (``uv.lock``, ``pylock.toml``,
``Pipfile.lock``, ``poetry.lock``, a hashed requirements file, ``conda-lock.yml``,
``pixi.lock`` or an ``@EXPLICIT`` file); a project without a lock is refused with the
command that writes one. Formats and their sources:

* ``requirements``: pip's requirements file format with exact pins and ``--hash`` options
  (https://pip.pypa.io/en/stable/topics/secure-installs/#hash-checking-mode); from
  ``uv.lock`` it is uv's own ``uv export --format requirements.txt``.
* ``pylock``: PEP 751 ``pylock.toml`` (https://peps.python.org/pep-0751/); ``uv export
  --format pylock.toml`` for uv.lock, the file itself for a pylock, else ``uv pip compile
  --no-deps`` of the exact pins.
* ``environment.yml``: conda's environment file
  (https://docs.conda.io/projects/conda/en/stable/user-guide/tasks/manage-environments.html);
  conda packages as ``name=version=build`` for one platform, pip packages in ``pip:``.
* ``conda-explicit``: conda's ``@EXPLICIT`` list of package URLs with ``#md5`` (or
  ``#sha256:``) for one platform (conda projects only).
* ``dockerfile`` / ``apptainer``: a container definition that rebuilds the env from the
  lock (pinned base image, uv or micromamba pinned, the lock copied in, the kernel
  registered). Not built on this machine (no container runtime reaches a registry here).

The archive format lives in :mod:`kernelenv.archive`.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import KernelenvError
from .model import Project
from .progress import Reporter

FORMATS = ("requirements", "pylock", "environment.yml", "conda-explicit", "dockerfile", "apptainer",
           "archive")

#: Default output file name per format (``-o`` overrides).
FILE_NAMES = {"requirements": "requirements.lock.txt", "pylock": "pylock.toml",
              "environment.yml": "environment.lock.yml", "conda-explicit": "conda-{platform}.lock",
              "dockerfile": "Dockerfile", "apptainer": "kernelenv.def"}

#: Pinned tools inside exported container definitions.
MICROMAMBA_IMAGE = "mambaorg/micromamba:2.0.5"
UV_PIN = "uv==0.13.9"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class ExportError(KernelenvError):
    """The project cannot be exported in the requested format (no lock, wrong kind of env ...)."""

    code = "export-error"


@dataclass
class Exported:
    """An export's result.

    Args:
        format: one of :data:`FORMATS`.
        text: the file's content (``None`` for binary formats).
        source: the lock it was made from (path relative to the project).
        platform: the conda platform, for per-platform formats.
        copies: extra files a container definition copies in (relative paths in the project).
        notes: what a user should know (what was left out, what is untested).
    """

    format: str
    text: str | None
    source: str
    platform: str | None = None
    copies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def export(project: Project, fmt: str, *, platform: str | None = None,
           reporter: Reporter | None = None) -> Exported:
    """Render the project's lock as ``fmt`` (see the module docstring).

    Args:
        project: from :func:`kernelenv.api.detect`.
        fmt: one of :data:`FORMATS` but ``archive``.
        platform: conda subdir (``linux-64``) for per-platform formats (default: this machine's).

    Raises:
        ExportError: unknown format, no lock, or a format that does not fit the env kind.
        EnvFileError: the lock cannot be read.
        BuildError: uv failed (``uv export`` / ``uv pip compile``).
    """
    reporter = reporter or Reporter()
    if fmt not in FORMATS or fmt == "archive":
        raise ExportError(f"unknown export format {fmt!r}; one of: {', '.join(FORMATS)}")
    lock = _lock_of(project)
    conda = project.backend.env_kind == "conda"
    src = lock.relative_to(project.root).as_posix()
    if fmt == "requirements":
        if conda:
            raise ExportError(f"{project.root}: a conda env; export it as environment.yml or conda-explicit")
        return Exported(fmt, pip_requirements(project, reporter), src)
    if fmt == "pylock":
        if conda:
            raise ExportError(f"{project.root}: a conda env; export it as environment.yml or conda-explicit")
        return Exported(fmt, pylock_text(project, reporter), src)
    if fmt == "environment.yml":
        if conda:
            plat = platform or _current_platform()
            return Exported(fmt, _conda_environment_yml(project, plat), src, plat)
        return Exported(fmt, _venv_environment_yml(project, reporter), src,
                        notes=["pip: entries carry exact pins and markers; conda's pip section has no "
                               "hash checking (use `--format requirements` for that)"])
    if fmt == "conda-explicit":
        if not conda:
            raise ExportError(f"{project.root}: a venv has no conda packages; export it as requirements "
                              "or pylock")
        plat = platform or _current_platform()
        return Exported(fmt, _explicit(project, plat), src, plat)
    return _container(project, fmt, src)


def _lock_of(project: Project) -> Path:
    if project.lock is None or not project.lock.is_file():
        raise ExportError(f"{project.root}: no lock file to export from; run `kernelenv lock` first "
                          "(kernelenv exports the lock, never a guess)")
    return project.lock


def _current_platform() -> str:
    from .conda_channels import current_platform

    return current_platform()


# -- pip world -----------------------------------------------------------------------------

def _pin_lines(project: Project) -> list[str]:
    """``name==version ; marker --hash=...`` for each runtime pin of a pins-style lock."""
    from .backends.uv import _runtime_pins
    from .parsers.locks import read_pins

    assert project.lock is not None
    lines = []
    for p in _runtime_pins(read_pins(project.lock)):
        if not p.version:
            raise ExportError(f"{project.lock}: {p.name} is locked without a version (a VCS or path "
                              "source); it cannot be exported as a pinned requirement")
        lines.append(p.requirement() + "".join(f" \\\n    --hash={h}" for h in p.hashes))
    return lines


def pip_requirements(project: Project, reporter: Reporter) -> str:
    """The lock as a hashed requirements file (see the module docstring). Raises as :func:`export`."""
    lock = _lock_of(project)
    header = f"# Exported by kernelenv from {lock.name}: exact pins with hashes (pip install --require-hashes -r)\n"
    if lock.name == "uv.lock":
        return _uv_export(project, "requirements.txt", reporter)
    if lock.name.endswith(".txt"):  # a hashed requirements file is the lock itself
        return lock.read_text(encoding="utf-8")
    return header + "\n".join(_pin_lines(project)) + "\n"


def pylock_text(project: Project, reporter: Reporter) -> str:
    """The lock as PEP 751 ``pylock.toml`` text. Raises as :func:`export`."""
    lock = _lock_of(project)
    if lock.name == "uv.lock":
        return _uv_export(project, "pylock.toml", reporter)
    if lock.name.startswith("pylock.") and lock.name.endswith(".toml"):
        return lock.read_text(encoding="utf-8")
    from .uvtool import run_uv

    pins = [line.split(" \\", 1)[0] for line in _requirement_lines(project, reporter)]
    with tempfile.TemporaryDirectory(prefix="kernelenv-export-") as tmp:
        req = Path(tmp) / "pins.txt"
        req.write_text("\n".join(pins) + "\n", encoding="utf-8")
        out = Path(tmp) / "pylock.toml"
        run_uv(["pip", "compile", "--quiet", "--universal", "--no-deps", "--generate-hashes",
                "--format", "pylock.toml", "-o", str(out), str(req)], reporter, step="export",
               error=f"writing pylock.toml from the pins of {lock.name} failed")
        return out.read_text(encoding="utf-8")


def _requirement_lines(project: Project, reporter: Reporter) -> list[str]:
    """Requirement lines (no comments, no options) of the project's lock."""
    text = pip_requirements(project, reporter)
    out, cur = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        cur = f"{cur} {line}".strip() if cur else line
        if cur.endswith("\\"):
            cur = cur[:-1].strip()
            continue
        if not cur.startswith("-"):
            out.append(cur)
        cur = ""
    return out


def _uv_export(project: Project, fmt: str, reporter: Reporter) -> str:
    from .backends.uv import UvBuilder
    from .uvtool import run_uv

    args = ["export", "--frozen", "--no-emit-workspace", "--format", fmt, "--no-progress"]
    group = UvBuilder()._ipykernel_group(project)
    if group:
        args += ["--group", group]
    with tempfile.TemporaryDirectory(prefix="kernelenv-export-") as tmp:
        out = Path(tmp) / ("pylock.toml" if fmt == "pylock.toml" else "requirements.txt")
        run_uv([*args, "-o", str(out)], reporter, step="export", cwd=project.root,
               error=f"uv export --format {fmt} failed")
        return out.read_text(encoding="utf-8")


def _venv_environment_yml(project: Project, reporter: Reporter) -> str:
    import yaml

    pins = [line.split(" --hash", 1)[0].strip() for line in _requirement_lines(project, reporter)]
    version = _python_version(project)
    doc = {"name": _safe(project.name), "channels": ["conda-forge"],
           "dependencies": [f"python={version}" if version else "python", "pip", {"pip": pins}]}
    head = f"# Exported by kernelenv from {project.lock.name if project.lock else '?'}\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


# -- conda world ---------------------------------------------------------------------------

def _conda_entries(project: Project, platform: str) -> list:
    from .backends.rattler import locked_entries

    assert project.lock is not None
    entries = locked_entries(project.lock, platform, project.environment)
    if not entries:
        raise ExportError(f"{project.lock}: no packages locked for {platform}")
    return entries


def _channels(project: Project) -> list[str]:
    assert project.lock is not None
    name = project.lock.name
    if name == "pixi.lock":
        from .parsers.pixi import read_pixi_lock

        return read_pixi_lock(project.lock).channels.get(project.environment or "default", [])
    if name.endswith((".yml", ".yaml")):
        from .parsers.condalock import read_conda_lock

        return [c for c in read_conda_lock(project.lock).channels if c != "nodefaults"]
    return []


def _build_string(filename: str) -> str | None:
    m = re.match(r"^.+-[^-]+-(?P<build>[^-]+)\.(?:tar\.bz2|conda)$", filename)
    return m.group("build") if m else None


def _conda_environment_yml(project: Project, platform: str) -> str:
    import yaml

    entries = _conda_entries(project, platform)
    deps: list[Any] = []
    pip = []
    for p in entries:
        if p.manager == "pip":
            pip.append(f"{p.name}=={p.version}")
        else:
            build = _build_string(p.filename)
            deps.append(f"{p.name}={p.version}={build}" if build else f"{p.name}={p.version}")
    if pip:
        deps.append({"pip": pip})
    doc = {"name": _safe(project.name), "channels": _channels(project) + ["nodefaults"], "dependencies": deps}
    head = (f"# Exported by kernelenv from {project.lock.name if project.lock else '?'} for {platform}\n"
            f"# platform: {platform}\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _explicit(project: Project, platform: str) -> str:
    entries = _conda_entries(project, platform)
    lines = [f"# Exported by kernelenv from {project.lock.name if project.lock else '?'}",
             f"# platform: {platform}", "@EXPLICIT"]
    pip = []
    for p in entries:
        if p.manager == "pip":
            pip.append(f"{p.name}=={p.version}")
            continue
        if p.md5:
            lines.append(f"{p.url}#{p.md5}")
        elif p.sha256:
            lines.append(f"{p.url}#sha256:{p.sha256}")
        else:
            lines.append(p.url)
    if pip:  # @EXPLICIT holds conda packages only: say what is left out
        lines.insert(2, "# pip packages not in this file (install them after): " + ", ".join(pip))
    return "\n".join(lines) + "\n"


# -- containers ----------------------------------------------------------------------------

def _python_version(project: Project) -> str | None:
    from .state import read_state

    state = read_state(project.root) or {}
    v = state.get("python_version")
    if isinstance(v, str) and re.match(r"^\d+\.\d+\.\d+$", v):
        return v
    try:
        from .backends import get_builder

        interp = get_builder(project.backend).select_python(project, None)
        return str(interp.version) if interp is not None else None
    except KernelenvError:
        return None


def _safe(name: str) -> str:
    from .kernels import slug

    return slug(name)


def _locked_names(project: Project) -> set[str]:
    from packaging.utils import canonicalize_name

    from .parsers.locks import read_pins

    assert project.lock is not None
    if project.lock.name.endswith(".txt"):
        from .parsers.requirements import read_requirements

        return {canonicalize_name(r.requirement.name) for r in read_requirements(project.lock)
                if r.requirement is not None}
    return {canonicalize_name(p.name) for p in read_pins(project.lock)}


def _container(project: Project, fmt: str, src: str) -> Exported:
    lock = _lock_of(project)
    if not _SAFE_NAME.match(lock.name):
        raise ExportError(f"{lock}: a lock file name a container definition cannot copy safely")
    kernel = _safe(project.kernel_name)
    display = f"Python ({_safe(project.name)})"
    copies = [lock.name]
    conda = project.backend.env_kind == "conda"
    notes = ["untested here: no container image can be built on this machine"]
    if conda:
        if lock.name == "pixi.lock":
            raise ExportError(f"{lock}: micromamba cannot read pixi.lock; export --format "
                              "conda-explicit -o conda-linux-64.lock and use that")
        base = MICROMAMBA_IMAGE
        steps = [f"micromamba create --yes --prefix /opt/env --file /project/{lock.name}",
                 "micromamba clean --all --yes"]
        py = "/opt/env/bin/python"
    else:
        version = _python_version(project)
        if not version:
            raise ExportError(f"{project.root}: no Python version known to pin the base image; "
                              "run `kernelenv create` first")
        base = f"python:{version}-slim-bookworm"
        py = "/opt/env/bin/python"
        steps = [f"pip install --no-cache-dir {UV_PIN}", "uv venv /opt/env --python /usr/local/bin/python"]
        if lock.name == "uv.lock":
            copies = ["pyproject.toml", "uv.lock"]
            from .backends.uv import UvBuilder

            group = UvBuilder()._ipykernel_group(project)
            g = f" --group {group}" if group and _SAFE_NAME.match(group) else ""
            steps.append(f"cd /project && UV_PROJECT_ENVIRONMENT=/opt/env uv sync --frozen "
                         f"--no-install-project{g}")
        elif lock.name.startswith("pylock.") and lock.name.endswith(".toml"):
            steps.append(f"uv pip sync --python {py} /project/{lock.name}")
        elif lock.name.endswith(".txt"):
            steps.append(f"uv pip install --python {py} --require-hashes -r /project/{lock.name}")
        else:
            raise ExportError(f"{lock}: export --format pylock -o pylock.toml first; the container "
                              "definition installs a pylock.toml, uv.lock or hashed requirements file")
    if not conda and "ipykernel" not in _locked_names(project):
        steps.append(f"uv pip install --python {py} ipykernel")
        notes.append(f"{lock.name} does not pin ipykernel: the definition installs the newest, as "
                     "`kernelenv create` does")
    register = (f"{py} -m ipykernel install --prefix /usr/local --name {kernel} "
                f"--display-name '{display}'")
    steps.append(register)
    head = [f"# Rebuilds the {_safe(project.name)} env from {src} (written by `kernelenv export`).",
            "# Untested on the machine that wrote it: no image can be built there.",
            f"# The base image is pinned by tag; pin it by digest with `docker pull {base}` "
            "and `docker inspect --format '{{index .RepoDigests 0}}'`."]
    if fmt == "dockerfile":
        lines = [*head, f"FROM {base}", "USER root" if conda else "", "WORKDIR /project"]
        lines += [f"COPY {c} /project/{c}" for c in copies]
        lines += ["RUN " + " \\\n && ".join(steps),
                  'ENV PATH="/opt/env/bin:${PATH}"',
                  f'CMD ["{py}"]']
        text = "\n".join(line for line in lines if line != "") + "\n"
    else:
        lines = [*head, "Bootstrap: docker", f"From: {base}", "", "%files"]
        lines += [f"    {c} /project/{c}" for c in copies]
        lines += ["", "%post", "    set -e", *[f"    {s}" for s in steps], "", "%environment",
                  "    export PATH=/opt/env/bin:$PATH", "", "%runscript", f'    exec {py} "$@"']
        text = "\n".join(lines) + "\n"
    return Exported(fmt, text, src, copies=copies, notes=notes)
