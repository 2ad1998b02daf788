"""The ``kernelenv`` command line: detect | status | create | lock | rebuild | remove | kernels | pythons.

Every command takes a PATH (default: the current folder). For create/lock/rebuild/remove
PATH may be a project folder, a file or folder inside one, or a workspace holding
exactly one project (``--all`` acts on every project of a workspace). ``--json``
prints the same JSON models the Jupyter and editor faces use. Exit codes: 0 success,
1 a kernelenv error (its message names the file and line where there is one),
2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from . import api
from .errors import KernelenvError
from .kernels import KernelLocation, iter_registered, prune
from .model import Backend, Project
from .progress import Reporter


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kernelenv",
        description="Make each project's own environment a Jupyter kernel: detect env files, "
                    "create/lock/rebuild the env (uv or py-rattler) and register its kernel.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, *, path: bool = True) -> None:
        if path:
            sp.add_argument("path", nargs="?", default=".", help="project or workspace folder (default: .)")
        sp.add_argument("--json", action="store_true", help="print machine-readable JSON")
        sp.add_argument("--backend", help="force a backend: uv, rattler, micromamba or conda "
                                          "(else KERNELENV_BACKEND, else [tool.kernelenv] backend)")

    sp = sub.add_parser("detect", help="list the projects and env files in a folder (never runs project code)")
    common(sp)
    sp = sub.add_parser("status", help="missing / ready / stale / lock out of date / broken, per project")
    common(sp)

    for name, helptext in (("create", "build the env (from the lock if any) and register its kernel"),
                           ("rebuild", "recreate the env exactly from the lock (build aside, then switch)")):
        sp = sub.add_parser(name, help=helptext)
        common(sp)
        sp.add_argument("--all", action="store_true", help="every project under PATH")
        sp.add_argument("--python", help="Python version or interpreter path (overrides the project's request)")
        sp.add_argument("--environment", help="pixi environment to use (default: default)")
        loc = sp.add_mutually_exclusive_group()
        loc.add_argument("--user", action="store_true", help="register the kernel for this user (default)")
        loc.add_argument("--sys-prefix", action="store_true", help="register into sys.prefix (this Jupyter's env)")
        loc.add_argument("--prefix", type=Path, help="register into PREFIX/share/jupyter/kernels")
        sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long for another operation on the project instead of refusing")
        sp.add_argument("-v", "--verbose", action="store_true", help="stream the tools' output")
        if name == "create":
            sp.add_argument("--strip-builds", action="store_true",
                            help="conda: drop build strings and Windows-only packages from a foreign export")

    sp = sub.add_parser("lock", help="write the lock (uv.lock, pylock.toml or conda-lock.yml)")
    common(sp)
    sp.add_argument("--all", action="store_true", help="every project under PATH")
    sp.add_argument("--environment", help="pixi environment")
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")
    sp.add_argument("-v", "--verbose", action="store_true")

    sp = sub.add_parser("remove", help="delete the env and unregister its kernel")
    common(sp)
    sp.add_argument("--all", action="store_true")
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")
    sp.add_argument("-v", "--verbose", action="store_true")

    sp = sub.add_parser("kernels", help="list the kernels kernelenv registered")
    common(sp, path=False)
    sp.add_argument("--prune", action="store_true", help="remove kernels whose env is gone")

    sp = sub.add_parser("pythons", help="list the interpreters kernelenv can build with")
    common(sp, path=False)

    sp = sub.add_parser("binder", help="write binder/ so a Binder launch reproduces the locked env "
                                       "(locks first when the project has no lock)")
    common(sp)
    sp.add_argument("--force", action="store_true",
                    help="replace the env files of an existing binder/ or .binder/ (other files are kept)")
    sp.add_argument("--python", help="Python version for binder/runtime.txt (default: the env's, else the "
                                     "newest installed one the project accepts)")
    sp.add_argument("--kernelenv-spec", default="kernelenv", metavar="SPEC",
                    help="what binder/postBuild pip-installs (default: kernelenv; e.g. kernelenv==0.1.0 "
                         "or a git+https URL)")
    sp.add_argument("-v", "--verbose", action="store_true", help="stream the tools' output")

    sp = sub.add_parser("adopt", help="record an env built elsewhere (a Binder image's) as the project's "
                                      "env and register its kernel, after checking it holds every pin")
    common(sp)
    sp.add_argument("--env", required=True, type=Path, metavar="PREFIX",
                    help="the env's folder (on Binder: $KERNEL_PYTHON_PREFIX)")
    sp.add_argument("--name", help="the project's name on the author's machine (sets the kernel name)")
    sp.add_argument("--no-check", action="store_true", help="do not compare the env with the pins")
    loc = sp.add_mutually_exclusive_group()
    loc.add_argument("--user", action="store_true", help="register the kernel for this user (default)")
    loc.add_argument("--sys-prefix", action="store_true", help="register into sys.prefix (this Jupyter's env)")
    loc.add_argument("--prefix", type=Path, help="register into PREFIX/share/jupyter/kernels")
    return p


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2) if args.json else text)


def _projects(args: argparse.Namespace, *, many: bool) -> list[Project]:
    path = Path(args.path).resolve()
    if not path.exists():
        raise KernelenvError(f"{path}: no such file or folder")
    backend = args.backend
    if many:
        return api.detect(path if path.is_dir() else path.parent, backend=backend)
    proj = api.find_project(path, backend=backend)
    if proj is not None and not getattr(args, "all", False):
        return [_with_env(proj, args)]
    found = api.detect(path if path.is_dir() else path.parent, backend=backend)
    if not found:
        raise KernelenvError(f"{path}: no environment files found (requirements*.txt, pyproject.toml, "
                             "environment.yml, Pipfile, pixi.toml ...). `kernelenv detect` lists what it sees.")
    if len(found) > 1 and not getattr(args, "all", False):
        names = "\n  ".join(str(p.root) for p in found)
        raise KernelenvError(f"{path} holds {len(found)} projects; name one or pass --all:\n  {names}")
    return [_with_env(p, args) for p in found]


def _with_env(project: Project, args: argparse.Namespace) -> Project:
    env = getattr(args, "environment", None)
    if env:
        from dataclasses import replace

        return replace(project, environment=env)
    return project


def _reporter(args: argparse.Namespace) -> tuple[Reporter, Callable[[], None]]:
    verbose = getattr(args, "verbose", False)
    if args.json or not sys.stderr.isatty():
        rep = Reporter(on_log=(lambda line: print(line, file=sys.stderr)) if verbose else None,
                       on_step=(lambda s, f, m: print(f"[{s}] {m}", file=sys.stderr)) if not args.json else None)
        return rep, lambda: None
    from rich.console import Console
    from rich.status import Status as RichStatus

    console = Console(stderr=True)
    spinner = RichStatus("starting", console=console)
    spinner.start()

    def on_step(step: str, fraction: float | None, message: str) -> None:
        pct = f" {int(fraction * 100)}%" if fraction is not None else ""
        spinner.update(f"[bold]{step}[/]{pct} {message}")

    rep = Reporter(on_step=on_step, on_log=(lambda line: console.print(line, markup=False, highlight=False))
                   if verbose else None)
    return rep, spinner.stop


def _location(args: argparse.Namespace) -> KernelLocation | None:
    if getattr(args, "prefix", None):
        return KernelLocation(user=False, prefix=args.prefix.resolve())
    if getattr(args, "sys_prefix", False):
        return KernelLocation(user=False, sys_prefix=True)
    return None


def cmd_detect(args: argparse.Namespace) -> int:
    root = Path(args.path).resolve()
    projects = api.detect(root, backend=args.backend)
    data = [p.to_dict(relative_to=root) for p in projects]
    lines = []
    for p in projects:
        d = p.to_dict(relative_to=root)
        py = f"Python {d['python']['specifier']} (from {d['python']['source']})" if d["python"] else "Python: any"
        lines.append(f"{d['path']}: {p.name} [{p.backend.value}] {py}, kernel {d['kernel_name']}")
        lines.append(f"    why: {p.backend_reason}")
        if p.ambiguity:
            lines.append(f"    ambiguous: {p.ambiguity}")
        for f in d["files"]:
            lines.append(f"    {f['role']:>8}  {f['path']}")
        lines += [f"    warning: {w}" for w in p.warnings]
        lines += [f"    error: {e}" for e in p.errors]
    _out(args, {"workspace": str(root), "projects": data},
         "\n".join(lines) if lines else f"No projects found under {root}.")
    return 1 if any(p.errors for p in projects) else 0


def cmd_status(args: argparse.Namespace) -> int:
    projects = _projects(args, many=True) if Path(args.path).is_dir() and api.find_project(
        Path(args.path).resolve(), backend=args.backend) is None else _projects(args, many=False)
    rows, lines = [], []
    for p in projects:
        rep = api.status(p)
        rows.append({**p.to_dict(), "status": rep.to_dict()})
        extra = []
        if rep.python_version:
            extra.append(f"Python {rep.python_version}")
        if rep.packages is not None:
            extra.append(f"{rep.packages} packages")
        lines.append(f"{p.root}: {rep.status.value} ({p.backend.value}{', ' if extra else ''}{', '.join(extra)})"
                     f" kernel {rep.kernel_name}\n    {rep.reason}")
    _out(args, rows, "\n".join(lines) if lines else "No projects found.")
    return 0


def _run_each(args: argparse.Namespace, action: Callable[[Project, Reporter], Any]) -> int:
    results = []
    code = 0
    for project in _projects(args, many=False):
        rep, stop = _reporter(args)
        try:
            res = action(project, rep)
            results.append({"project": str(project.root), "ok": True, "result": res})
            if not args.json:
                print(_summary(project, res))
        except KernelenvError as e:
            code = 1
            results.append({"project": str(project.root), "ok": False, "error": e.to_dict()})
            if not args.json:
                print(f"error: {e}", file=sys.stderr)
                tail = getattr(e, "log_tail", "")
                if tail and not getattr(args, "verbose", False):
                    print(tail, file=sys.stderr)
        finally:
            stop()
    if args.json:
        print(json.dumps(results, indent=2))
    return code


def _summary(project: Project, res: Any) -> str:
    if isinstance(res, dict) and "status" in res:
        return (f"{project.name}: {res['status']} · Python {res.get('python_version')} · "
                f"{res.get('packages')} packages · kernel {res.get('kernel_name')} · env {res.get('env_path')}")
    if isinstance(res, dict) and "lock" in res:
        return f"{project.name}: wrote {res['lock']}"
    return f"{project.name}: done"


def cmd_create(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.create(
        p, python=args.python, reporter=r, kernel_location=_location(args),
        strip_builds=args.strip_builds, wait=args.wait).to_dict())


def cmd_rebuild(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.rebuild(
        p, reporter=r, kernel_location=_location(args), python=args.python, wait=args.wait).to_dict())


def cmd_lock(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: {"lock": str(api.lock(p, reporter=r, wait=args.wait))})


def cmd_remove(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.remove(p, reporter=r, wait=args.wait) or {"removed": True})


def cmd_kernels(args: argparse.Namespace) -> int:
    removed = [k.to_dict() for k in prune()] if args.prune else []
    kernels = [k.to_dict() for k in iter_registered()]
    lines = [f"{k['name']:<30} {'ok' if k['alive'] else 'ENV GONE':<8} {k['display_name']}  ({k['project']})"
             for k in kernels]
    lines += [f"removed {k['name']} (env gone: {k['python']})" for k in removed]
    _out(args, {"kernels": kernels, "pruned": removed}, "\n".join(lines) or "No kernelenv kernels registered.")
    return 0


def cmd_pythons(args: argparse.Namespace) -> int:
    from .interpreters import find_interpreters

    found = find_interpreters()
    _out(args, [i.to_dict() for i in found],
         "\n".join(f"{i.version!s:<10} {i.path}  ({i.source})" for i in found) or "No Python found.")
    return 0


def cmd_binder(args: argparse.Namespace) -> int:
    from .binder import write_binder

    project = _projects(args, many=False)[0]
    rep, stop = _reporter(args)
    try:
        res = write_binder(project, force=args.force, python=args.python,
                           kernelenv_spec=args.kernelenv_spec, reporter=rep)
    finally:
        stop()
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    lines = [f"{project.name}: wrote {', '.join(str(f.relative_to(project.root)) for f in res.files)}",
             f"    {len(res.pins)} exact pins from {res.lock.name}"
             + (" (locked first: the project had no lock)" if res.locked_first else "")
             + (f", Python {res.python}" if res.python else "") + f", kernel {res.kernel_name}"]
    _out(args, res.to_dict(), "\n".join(lines))
    return 0


def cmd_adopt(args: argparse.Namespace) -> int:
    from .binder import adopt

    project = _projects(args, many=False)[0]
    rep = adopt(project, args.env, name=args.name, kernel_location=_location(args), check=not args.no_check)
    _out(args, rep.to_dict(), f"{args.name or project.name}: {rep.status.value} · Python {rep.python_version} · "
                              f"{rep.packages} packages · kernel {rep.kernel_name} · env {args.env}")
    return 0


COMMANDS = {"detect": cmd_detect, "status": cmd_status, "create": cmd_create, "rebuild": cmd_rebuild,
            "lock": cmd_lock, "remove": cmd_remove, "kernels": cmd_kernels, "pythons": cmd_pythons,
            "binder": cmd_binder, "adopt": cmd_adopt}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kernelenv`` console script. Returns the exit code."""
    args = _parser().parse_args(argv)
    if args.backend:
        try:
            Backend.parse(args.backend)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    try:
        return COMMANDS[args.command](args)
    except KernelenvError as e:
        if getattr(args, "json", False):
            print(json.dumps({"ok": False, "error": e.to_dict()}, indent=2))
        else:
            print(f"error: {e}", file=sys.stderr)
        return 1
    except (FileNotFoundError, NotADirectoryError, PermissionError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the previous environment is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
