"""Code lenses (env status + actions) and hovers (locked / installed versions) for env files."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from kernelenv.diagnose import requirement_at
from kernelenv.model import Project, Status, StatusReport

_TOP = types.Range(types.Position(0, 0), types.Position(0, 0))


def status_title(project: Project, report: StatusReport) -> str:
    """``env ready · uv · Python 3.11 · 42 packages``, ``env missing``, ``env stale`` ..."""
    if report.status is Status.READY or report.status is Status.LOCK_OUTDATED:
        parts = ["env ready" if report.status is Status.READY else "env ready (lock out of date)",
                 report.backend or project.backend.value]
        if report.python_version:
            parts.append("Python " + ".".join(report.python_version.split(".")[:2]))
        if report.packages is not None:
            parts.append(f"{report.packages} packages")
        return " · ".join(parts)
    if report.status is Status.DRIFTED and report.drift:
        n = sum(len(report.drift[k]) for k in ("added", "removed", "changed"))
        return f"env drifted · {n} package{'s' if n != 1 else ''} changed by hand"
    return {Status.MISSING: "env missing", Status.STALE: "env stale", Status.BROKEN: "env broken",
            Status.BUILDING: "env building…"}.get(report.status, f"env {report.status.value}")


def actions(project: Project, report: StatusReport) -> list[str]:
    """The commands that apply: ``create`` / ``lock`` / ``rebuild`` (in that order); for a
    drifted env ``record`` (keep the hand installs) and ``rebuild`` (revert them)."""
    s = report.status
    has_lock = project.lock is not None and project.lock.exists()
    out: list[str] = []
    if s is Status.DRIFTED:
        return ["record", "rebuild"]
    if s in (Status.MISSING, Status.STALE):
        out.append("create")
    if s is not Status.BUILDING and (not has_lock or s in (Status.LOCK_OUTDATED, Status.STALE)):
        if project.spec is not None:
            out.append("lock")
    if s in (Status.READY, Status.STALE, Status.LOCK_OUTDATED, Status.BROKEN):
        out.append("rebuild")
    return out


def code_lenses(project: Project, report: StatusReport) -> list[types.CodeLens]:
    """Lenses at the top of an env file: the status (runs ``kernelenv.status``) then the actions."""
    arg = [{"project": str(project.root)}]
    lenses = [types.CodeLens(range=_TOP, command=types.Command(
        title=status_title(project, report), command="kernelenv.status", arguments=arg))]
    for a in actions(project, report):
        lenses.append(types.CodeLens(range=_TOP, command=types.Command(
            title=a.capitalize(), command=f"kernelenv.{a}", arguments=arg)))
    return lenses


def hover_for(project: Project, path: Path, line0: int, text: str | None) -> types.Hover | None:
    """Markdown with the locked and installed versions of the requirement on 0-based ``line0``."""
    name = requirement_at(path, line0 + 1, text=text)
    if name is None:
        return None
    from kernelenv.backends import get_builder
    from kernelenv.layout import link_target, live_link

    builder = get_builder(project.backend)
    try:
        locked = builder.locked_packages(project)
    except Exception:
        locked = None
    link = live_link(project.root, builder.env_kind)
    target = link_target(link)
    installed = None
    if target is not None and target.is_dir():
        try:
            installed = builder.installed(target)
        except Exception:
            installed = None
    lock_name = project.lock.name if project.lock else "lock"
    rows = [f"**{name}**", ""]
    if locked is None:
        rows.append("- locked: no lock (run *Lock*)")
    else:
        rows.append(f"- locked: `{locked[name]}` ({lock_name})" if name in locked
                    else f"- locked: not in {lock_name}")
    if installed is None:
        rows.append("- installed: no env yet (run *Create*)")
    else:
        rows.append(f"- installed: `{installed[name]}` ({link.name})" if name in installed
                    else f"- installed: not installed in {link.name}")
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n".join(rows)),
                       range=types.Range(types.Position(line0, 0), types.Position(line0 + 1, 0)))
