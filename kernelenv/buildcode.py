"""Whether ``lock`` / ``create`` will run a build backend: code from the project or from a
package's source, as opposed to installing wheels.

Detection never runs project code; the tools ``lock`` and ``create`` call sometimes must.
uv (and pip, for the ``pip:`` part of a conda env) runs a package's PEP 517 build backend
(``setup.py`` for setuptools' legacy backend) when it needs metadata that is not written
down statically, or must install a package from source:

* ``[project] dynamic`` names ``dependencies``, ``optional-dependencies``,
  ``requires-python`` or ``version`` (PEP 621): uv builds the project to learn them, at
  ``lock`` (``uv lock``) and, except for ``version``, at ``create`` from the spec. With
  ``[build-system] backend-path`` (PEP 517 in-tree backend) that backend is code in the
  repository itself (with static metadata uv never calls it);
* a requirement that is a local path or an editable install (``-e .``, ``./pkg``,
  ``name @ file:///...``, Pipfile/uv ``path =`` sources): built from that folder;
* a VCS URL (``git+https://...``) or a source archive (``.tar.gz``/``.zip``), or
  ``--no-binary``: built from source (that package's own build code, not the project's).

Sdists that a resolver picks because no wheel fits are not known before resolving: the
reason says what is known from the files.

:func:`build_backend_reason` gives one sentence for :attr:`kernelenv.model.Project.runs_build_backend`;
the faces ask before ``create``/``lock``/``rebuild`` of such a project in an untrusted folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from .model import FileRole, Project
from .readlog import probe

#: PEP 621 fields whose being ``dynamic`` makes uv build the project to read them.
DYNAMIC_BUILD_FIELDS = ("dependencies", "optional-dependencies", "requires-python", "version")

_VCS = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_ARCHIVE = (".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar")

Reader = Callable[[Path, Callable[[Path], Any]], Any]


def _read(path: Path, reader: Callable[[Path], Any]) -> Any:
    try:
        return reader(path)
    except Exception:  # noqa: BLE001 - a file that does not parse is reported by detection
        return None


def classify_target(target: str) -> str | None:
    """What installing ``target`` (a requirement line's path or URL part) builds.

    Returns:
        ``"local"`` (a folder or file on disk, ``file:`` URL), ``"vcs"``, ``"sdist"`` (a
        source archive URL/path) or ``None`` (a wheel, or a plain name from an index).
    """
    t = target.strip().strip("'\"")
    low = t.lower()
    if low.endswith(".whl"):
        return None
    if _VCS.match(t):
        return "vcs"
    if low.endswith(_ARCHIVE):
        return "sdist"
    if low.startswith("file:") or t.startswith((".", "/", "~", "\\")) or re.match(r"^[A-Za-z]:[/\\]", t):
        return "local"
    return None


def _line_reason(where: str, target: str, editable: bool) -> str | None:
    kind = classify_target(target)
    if editable and kind is None:
        kind = "local" if "://" not in target else "vcs"
    if kind is None:
        return None
    what = {"local": "builds that folder with its build backend (setup.py or [build-system])",
            "vcs": "clones and builds it from source (its own build code runs)",
            "sdist": "builds that source archive (its own build code runs)"}[kind]
    prefix = "-e " if editable else ""
    return f"{where}: {prefix}{target} {what}"


def _pip_line_reason(where: str, raw: str) -> str | None:
    line = raw.strip()
    editable = False
    for opt in ("-e ", "--editable ", "--editable="):
        if line.startswith(opt):
            line, editable = line[len(opt):].strip(), True
            break
    if line.startswith("--no-binary"):
        return f"{where}: {raw.strip()} makes pip/uv build packages from source"
    if line.startswith("-"):
        return None
    target = line.split(" @ ", 1)[1] if " @ " in line else line.split(";", 1)[0].split()[0] if line else ""
    return _line_reason(where, target, editable) if target else None


def _requirements_reasons(path: Path, rel: str, read: Reader) -> list[str]:
    from .parsers.requirements import read_requirements

    lines = read(path, read_requirements) or []
    out: list[str] = []
    for ln in lines:
        where = f"{rel}:{ln.line}" if ln.path == path else f"{ln.path.name}:{ln.line}"
        if ln.constraint:
            continue
        if ln.url is not None:
            reason = _line_reason(where, ln.url, ln.editable)
        elif ln.requirement is not None and ln.requirement.url:
            reason = _line_reason(where, ln.requirement.url, False)
        elif ln.option == "--no-binary" or any(o.startswith("--no-binary") for o in ln.extra_options):
            reason = f"{where}: --no-binary makes uv build packages from source"
        else:
            reason = None
        if reason:
            out.append(reason)
    return out


def _pyproject_reasons(path: Path, rel: str, read: Reader) -> list[str]:
    from .parsers.pyproject import read_pyproject

    pp = read(path, read_pyproject)
    if pp is None:
        return []
    data = pp.data if isinstance(pp.data, dict) else {}
    out: list[str] = []
    bs = data.get("build-system") if isinstance(data.get("build-system"), dict) else {}
    backend = bs.get("build-backend") if isinstance(bs.get("build-backend"), str) else None
    backend_path = bs.get("backend-path")
    in_tree = isinstance(backend_path, list) and bool(backend_path)
    project = data.get("project") if isinstance(data.get("project"), dict) else None
    if project is not None:
        dynamic = project.get("dynamic") if isinstance(project.get("dynamic"), list) else []
        fields = [f for f in DYNAMIC_BUILD_FIELDS if f in dynamic]
        if fields:
            who = (f"its in-tree build backend {backend or ''} (backend-path = {backend_path!r}: code in "
                   "this repository)" if in_tree else
                   f"its build backend {backend}" if backend else
                   "setuptools' legacy backend, i.e. setup.py" if probe(path.parent / "setup.py")[0] != "missing" else
                   "its build backend (setuptools by default)")
            # uv reads static dependencies without building: a dynamic version alone is needed
            # by `uv lock` only (observed with uv 0.13: `uv pip install -r pyproject.toml` skips it)
            when = ("at lock, and at create without a uv.lock" if set(fields) - {"version"}
                    else "at lock")
            out.append(f"{rel}: [project] dynamic = {fields!r}, so uv runs {who} to compute "
                       f"{'them' if len(fields) > 1 else 'it'} ({when})")
    for src in pp.path_sources:
        out.append(f"{rel}: [tool.uv.sources] path = {src!r} is built from that folder with its build backend")
    for dep in pp.dependencies:
        if " @ " in dep:
            reason = _line_reason(rel, dep.split(" @ ", 1)[1].split(";", 1)[0].strip(), False)
            if reason:
                out.append(reason)
    return out


def _environment_yml_reasons(path: Path, rel: str, read: Reader) -> list[str]:
    from .parsers.conda import read_environment_yml

    spec = read(path, read_environment_yml)
    if spec is None:
        return []
    where = f"{rel}:{spec.pip_line}" if getattr(spec, "pip_line", None) else rel
    return [r for r in (_pip_line_reason(f"{where} (pip:)", raw) for raw in spec.pip if isinstance(raw, str)) if r]


def _pipfile_reasons(path: Path, rel: str, read: Reader) -> list[str]:
    from .parsers.pipfile import read_pipfile

    pf = read(path, read_pipfile)
    if pf is None:
        return []
    return [r for r in (_pip_line_reason(rel, dep) for dep in pf.packages) if r]


_BY_KIND: dict[str, Callable[[Path, str, Reader], list[str]]] = {
    "requirements": _requirements_reasons,
    "requirements.in": _requirements_reasons,
    "pyproject": _pyproject_reasons,
    "environment.yml": _environment_yml_reasons,
    "Pipfile": _pipfile_reasons,
}


def build_backend_reasons(project: Project, read: Reader | None = None) -> list[str]:
    """Each thing in the project's env files that makes ``lock`` or ``create`` run a build
    backend (see the module docstring), as ``"<file>[:<line>]: <what runs>"``.

    Args:
        project: a detected project (its spec, input and lock files are examined).
        read: ``read(path, reader)`` returning the parsed file or ``None``; detection passes
            its memo so no file is parsed twice. Default: call ``reader(path)``, ``None`` on
            any error (parse errors are detection's to report).

    Reads files only; runs nothing.
    """
    read = read or _read
    out: list[str] = []
    for f in project.files_of(FileRole.SPEC, FileRole.INPUT, FileRole.LOCK):
        fn = _BY_KIND.get(f.kind)
        if fn is None or (f.role is FileRole.LOCK and f.kind != "requirements"):
            continue
        try:
            rel = f.path.relative_to(project.root).as_posix()
        except ValueError:
            rel = str(f.path)
        for reason in fn(f.path, rel, read):
            if reason not in out:
                out.append(reason)
    return out


def build_backend_reason(project: Project, read: Reader | None = None) -> str | None:
    """One sentence saying why ``lock``/``create`` will run a build backend, or ``None``.

    Args as :func:`build_backend_reasons`; at most three reasons are named (``and N more``).
    """
    reasons = build_backend_reasons(project, read)
    if not reasons:
        return None
    shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
    return f"lock/create will run build code, not only install wheels: {shown}."
