"""The ``kernelenv`` command line: detect | status | create | lock | rebuild | remove | history |
rollback | export | list | gc | kernels | pythons | binder | adopt.

Every command takes a PATH (default: the current folder; add/remove: ``--project PATH``).
For create/lock/rebuild/purge
PATH may be a project folder, a file or folder inside one, or a workspace holding
exactly one project (``--all`` acts on every project of a workspace). ``--json``
prints the same JSON models the Jupyter and editor faces use. Exit codes: 0 success,
1 a kernelenv error (its message names the file and line where there is one),
2 bad usage. ``detect`` exits 1 when a project's env files have errors. ``status`` exits
(first that applies, as ``uv lock --check`` and ``git diff --exit-code`` report state
through the exit code):

* 3 (:data:`kernelenv.statusanswer.EXIT_FILE_ERRORS`): a project's env files or lock have errors (shown);
* 4 (:data:`kernelenv.statusanswer.EXIT_BROKEN`): a project's env is broken (its interpreter is gone);
* 5 (:data:`kernelenv.statusanswer.EXIT_NOT_READY`): with ``--check`` only: a project is not ready (missing,
  stale, lock out of date, drifted, building);
* 0 otherwise: every env is usable as far as the files tell.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import KernelenvError

if TYPE_CHECKING:
    from .kernels import KernelLocation
    from .model import Project
    from .progress import Reporter


class _LazyModule:
    """A module imported on first attribute access. Each command imports only what it needs,
    so ``kernelenv status`` costs little more than starting Python (issue 15,
    bench/bench_all.py): keep heavy imports (filelock, packaging, jupyter_core, yaml, rich)
    out of this module's top level and inside the functions that use them."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        module = importlib.import_module(self._name)
        globals()[self._name.rpartition(".")[2]] = module  # later calls skip the proxy
        return getattr(module, attr)


api = _LazyModule("kernelenv.api")


class _Skipped:
    """Stands in for the subparser of a command not being run: takes every call and keeps nothing."""

    def __getattr__(self, name: str) -> Callable[..., "_Skipped"]:
        return lambda *a, **k: self


class _OnlySubparsers:
    """``add_subparsers()`` that builds only the subparser of ``only`` (the command being run:
    building all of them costs several milliseconds of every ``kernelenv`` call)."""

    def __init__(self, sub: Any, only: str | None) -> None:
        self._sub, self._only = sub, only

    def add_parser(self, name: str, **kw: Any) -> Any:
        return self._sub.add_parser(name, **kw) if self._only in (None, name) else _Skipped()


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; ``only``: a command name, whose subparser alone is built."""
    p = argparse.ArgumentParser(
        prog="kernelenv",
        description="Make each project's own environment a Jupyter kernel: detect env files, "
                    "create/lock/rebuild the env (uv or py-rattler) and register its kernel.",
    )
    sub = _OnlySubparsers(p.add_subparsers(dest="command", required=True, metavar="COMMAND"), only)

    def common(sp: argparse.ArgumentParser, *, path: bool = True) -> None:
        if path:
            sp.add_argument("path", nargs="?", default=".", help="project or workspace folder (default: .)")
        sp.add_argument("--json", action="store_true", help="print machine-readable JSON")
        sp.add_argument("--backend", help="force a backend: uv, rattler, micromamba or conda "
                                          "(else KERNELENV_BACKEND, else [tool.kernelenv] backend)")

    sp = sub.add_parser("detect", help="list the projects and env files in a folder (never runs project code)")
    common(sp)
    sp = sub.add_parser("status", help="missing / ready / stale / lock out of date / broken, per project "
                                       "(exit 3: env file errors, 4: a broken env)")
    common(sp)
    sp.add_argument("--check", action="store_true",
                    help="also exit 5 unless every project is ready (for CI and scripts)")
    sp.add_argument("--environment", help="pixi environment (default: default)")

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
            sp.add_argument("--from", dest="from_archive", type=Path, metavar="ARCHIVE",
                            help="rebuild from an offline archive (`export --format archive`) with no "
                                 "network; PATH is the new folder (default: ./NAME)")
            sp.add_argument("--force", action="store_true",
                            help="rebuild even when the env is ready and its files unchanged")
        sp.add_argument("--strip-builds", action="store_true", default=None,
                        help="conda: drop build strings and Windows-only packages from a foreign export "
                             "(remembered for the project's later lock and rebuild)")

    sp = sub.add_parser("lock", help="write the lock in the project's own format with its own tool (uv.lock, poetry.lock, "
                                     "Pipfile.lock, a pip-compile requirements.txt, pylock.toml, conda-lock.yml, pixi.lock)")
    common(sp)
    sp.add_argument("--all", action="store_true", help="every project under PATH")
    sp.add_argument("--environment", help="pixi environment")
    sp.add_argument("--platform", action="append", metavar="SUBDIR",
                    help="conda: lock for this platform (repeatable; overrides environment.yml `platforms:` "
                         "and [tool.conda-lock] platforms)")
    sp.add_argument("--strip-builds", action="store_true", default=None,
                    help="conda: drop build strings and Windows-only packages (remembered for the project)")
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")
    sp.add_argument("-v", "--verbose", action="store_true")

    sp = sub.add_parser("purge", help="delete the env and its history and unregister its kernel "
                                      "(the project's files are kept)")
    common(sp)
    sp.add_argument("--environment", help="pixi environment: purge only its env and kernel (default: default)")
    sp.add_argument("--all", action="store_true")
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")
    sp.add_argument("-v", "--verbose", action="store_true")

    for name, helptext, what in (
            ("add", "add packages to the spec (comments and layout kept), re-lock, update the env",
             "SPEC"),
            ("remove", "remove packages from the spec, re-lock, update the env", "NAME")):
        sp = sub.add_parser(name, help=helptext)
        sp.add_argument("packages", nargs="+", metavar=what,
                        help="PEP 508 requirements (conda projects: MatchSpecs)" if what == "SPEC"
                        else "package names")
        sp.add_argument("--project", dest="path", default=".",
                        help="the project (default: the one holding the current folder)")
        common(sp, path=False)
        sp.add_argument("--pip", action="store_true",
                        help="conda projects: environment.yml's pip: section / pixi's pypi-dependencies")
        sp.add_argument("--group", help="pyproject: a [dependency-groups] group")
        sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="wait this long for another operation on the project instead of refusing")
        sp.add_argument("-v", "--verbose", action="store_true", help="stream the tools' output")

    sp = sub.add_parser("record", help="write packages installed by hand (%%pip) into the spec, re-lock, "
                                       "rebuild (`rebuild` reverts them instead)")
    common(sp)
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")
    sp.add_argument("-v", "--verbose", action="store_true")

    sp = sub.add_parser("packages", help="list the env's packages: name, version, how installed "
                                         "(lock / spec / by hand)")
    common(sp)

    sp = sub.add_parser("history", help="list the builds kept, what changed between them and their real disk use")
    common(sp)
    sp.add_argument("--environment", help="pixi environment (default: default)")

    sp = sub.add_parser("rollback", help="make an earlier build live again (no solve, no network) "
                                         "and restore the lock file it was built from")
    common(sp)
    sp.add_argument("--environment", help="pixi environment (default: default)")
    sp.add_argument("build", nargs="?", help="build id from `kernelenv history` (default: the build "
                                             "before the live one)")
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS")

    sp = sub.add_parser("export", help="write the lock in another format: requirements, pylock, "
                                       "environment.yml, conda-explicit, dockerfile, apptainer")
    common(sp)
    sp.add_argument("--format", "-f", required=True, dest="format",
                    choices=["requirements", "pylock", "environment.yml", "conda-explicit", "dockerfile",
                             "apptainer", "archive"])
    sp.add_argument("-o", "--output", type=Path, help="write to FILE (default: standard output; archive: "
                                                      "NAME-kernelenv.tar.gz)")
    sp.add_argument("--platform", help="conda platform(s) for environment.yml/conda-explicit/archive, "
                                       "comma-separated for an archive (default: this machine's)")
    sp.add_argument("-v", "--verbose", action="store_true")

    sp = sub.add_parser("list", help="every project env kernelenv knows on this machine: folder, backend, "
                                     "status, builds kept, disk use (hard links counted once)")
    common(sp, path=False)

    sp = sub.add_parser("gc", help="remove dead kernels, builds past the history limit, half-built folders "
                                   "and cache entries unused for 30 days")
    common(sp, path=False)
    sp.add_argument("--all", action="store_true", help="also any kernelspec in your Jupyter data dir whose "
                                                       "interpreter is gone (not only kernelenv's)")
    sp.add_argument("--dry-run", action="store_true", help="print what would be removed, remove nothing")

    sp = sub.add_parser("kernels", help="list the kernels kernelenv registered")
    common(sp, path=False)
    sp.add_argument("--prune", action="store_true", help="remove kernels whose env is gone")
    sp.add_argument("--sync", action="store_true",
                    help="write kernelspecs for every kernel of the conda envs and venvs on this machine "
                         "(nb_conda_kernels' names: conda-env-NAME-py ...) and remove those whose env is gone")
    sp.add_argument("--env-filter", metavar="REGEX", help="--sync: leave out envs whose path matches REGEX")
    sp.add_argument("--name-format", metavar="FORMAT",
                    help="--sync: display name format (default '{0} [conda env:{1}]': language, env name)")
    sp.add_argument("--envs-dir", action="append", default=[], metavar="DIR",
                    help="--sync: another folder holding conda envs (repeatable)")
    sp.add_argument("--venvs-dir", action="append", default=None, metavar="DIR",
                    help="--sync: a folder holding virtualenvs (repeatable; default $WORKON_HOME, ~/.virtualenvs)")
    loc = sp.add_mutually_exclusive_group()
    loc.add_argument("--user", action="store_true", help="--sync into this user's Jupyter data dir (default)")
    loc.add_argument("--sys-prefix", action="store_true", help="--sync into sys.prefix (this Jupyter's env)")
    loc.add_argument("--prefix", type=Path, help="--sync into PREFIX/share/jupyter/kernels")

    sp = sub.add_parser("pythons", help="list the interpreters kernelenv can build with")
    common(sp, path=False)

    sp = sub.add_parser("binder", help="write binder/ (a generated output) so a Binder launch installs the "
                                       "project's lock for linux-64 and registers its kernel; needs no "
                                       "kernelenv on Binder (locks first when the project has no lock)")
    common(sp)
    sp.add_argument("--force", action="store_true",
                    help="write into an existing binder/ or .binder/ kernelenv did not generate (its postBuild "
                         "is kept with kernelenv's step appended; start, apt.txt and other files are kept)")
    sp.add_argument("--python", help="Python version for binder/runtime.txt (default: the env's, else the "
                                     "newest one repo2docker offers that the project and its lock accept)")
    sp.add_argument("--kernelenv-spec", default=None, metavar="SPEC", help=argparse.SUPPRESS)
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


def _out(args: argparse.Namespace, data: Any, text: str) -> str:
    """Print ``data`` as JSON (``--json``) or ``text``; returns what was printed."""
    output = json.dumps(data, indent=2) if args.json else text
    print(output)
    return output


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
    from .progress import Reporter

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
    from .kernels import KernelLocation

    if getattr(args, "prefix", None):
        return KernelLocation(user=False, prefix=args.prefix.resolve())
    if getattr(args, "sys_prefix", False):
        return KernelLocation(user=False, sys_prefix=True)
    return None


def cmd_detect(args: argparse.Namespace) -> int:
    import time

    started = time.time()
    root = Path(args.path).resolve()
    scanned: list[tuple] = []
    projects = api.detect(root, backend=args.backend, scanned=scanned)
    data = [p.to_dict(relative_to=root) for p in projects]
    lines = []
    for p, d in zip(projects, data):
        py = f"Python {d['python']['specifier']} (from {d['python']['source']})" if d["python"] else "Python: any"
        lines.append(f"{d['path']}: {p.name} [{p.backend.value}] {py}, kernel {d['kernel_name']}")
        lines.append(f"    why: {p.backend_reason}")
        if p.runs_build_backend:
            lines.append(f"    runs code: {p.runs_build_backend}")
        if p.install_project_reason and p.backend.env_kind == "venv":
            lines.append(f"    the project itself: {'installed' if p.install_project else 'not installed'}: "
                         f"{p.install_project_reason}")
        if p.ambiguity:
            lines.append(f"    ambiguous: {p.ambiguity}")
        for f in d["files"]:
            lines.append(f"    {f['role']:>8}  {f['path']}")
        lines += [f"    warning: {w}" for w in p.warnings]
        lines += [f"    error: {e}" for e in p.errors]
    output = _out(args, {"workspace": str(root), "projects": data},
                  "\n".join(lines) if lines else f"No projects found under {root}.")
    code = 1 if any(p.errors for p in projects) else 0
    if not args.backend:
        from . import answercache

        paths = list(scanned)
        for p, d in zip(projects, data):
            paths += answercache.kernel_name_paths(p, d["kernel_name"])
        answercache.store([(_cache_argv(args), output + "\n", code)], paths, started)
    return code


def cmd_status(args: argparse.Namespace) -> int:
    from .statusanswer import answer, compute, exit_code, render

    path = Path(args.path).resolve()
    if not args.backend and not getattr(args, "environment", None):
        # the plain `status [PATH] [--json] [--check]` form, which the answer cache keeps
        code = answer(args.path, _cache_argv(args)[2:])
        if code is not None:
            return code
        proj = None  # PATH lies in no project (looked up once)
    else:
        proj = api.find_project(path, backend=args.backend) if path.exists() else None
    if proj is not None:
        projects = [_with_env(proj, args)]  # looked up once (a file or folder inside a project)
    elif path.is_dir():
        projects = _projects(args, many=True)
    else:
        projects = _projects(args, many=False)
    statuses, rows, text = compute(projects)
    print(render(rows, text, as_json=args.json))
    return exit_code(projects, statuses, check=getattr(args, "check", False))


def _cache_argv(args: argparse.Namespace) -> list[str]:
    """The command line the answer cache keys an answer by (``[command, path, flags...]``)."""
    flags = [f for f, on in (("--json", args.json), ("--check", getattr(args, "check", False))) if on]
    return [args.command, args.path, *flags]


def _run_each(args: argparse.Namespace, action: Callable[[Project, Reporter], Any]) -> int:
    results = []
    code = 0
    for project in _projects(args, many=False):
        if project.runs_build_backend and getattr(args, "command", None) in ("create", "lock", "rebuild"):
            print(f"note: {project.name}: {project.runs_build_backend}", file=sys.stderr)
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
    if args.from_archive is not None:
        rep, stop = _reporter(args)
        try:
            dest = None if args.path == "." else Path(args.path)
            res = api.create_from_archive(args.from_archive, dest, reporter=rep, kernel_location=_location(args))
        finally:
            stop()
        st = res["status"]
        _out(args, res, f"{res['project']['name']}: {st['status']} · Python {st['python_version']} · "
                        f"{st['packages']} packages · kernel {st['kernel_name']} · env {st['env_path']} "
                        f"(built offline from {args.from_archive})")
        return 0
    return _run_each(args, lambda p, r: api.create(
        p, python=args.python, reporter=r, kernel_location=_location(args),
        strip_builds=bool(args.strip_builds), wait=args.wait, force=args.force).to_dict())


def cmd_rebuild(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.rebuild(
        p, reporter=r, kernel_location=_location(args), python=args.python, wait=args.wait,
        strip_builds=args.strip_builds).to_dict())


def cmd_lock(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: {"lock": str(api.lock(p, reporter=r, wait=args.wait, platforms=args.platform,
                                                              strip_builds=args.strip_builds))})


def cmd_purge(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.purge(p, reporter=r, wait=args.wait) or {"purged": True})


def cmd_add(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.add(p, args.packages, pip=args.pip, group=args.group,
                                                reporter=r, wait=args.wait).to_dict())


def cmd_remove(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.remove(p, args.packages, pip=args.pip, group=args.group,
                                                   reporter=r, wait=args.wait).to_dict())


def cmd_record(args: argparse.Namespace) -> int:
    return _run_each(args, lambda p, r: api.record(p, reporter=r, wait=args.wait).to_dict())


def cmd_packages(args: argparse.Namespace) -> int:
    [project] = _projects(args, many=False)[:1]
    pkgs = api.installed_packages(project)
    _out(args, pkgs, "\n".join(f"{p['name']:<30} {p['version']:<16} {p['how']}" for p in pkgs)
         or f"{project.name}: no env yet (`kernelenv create`).")
    return 0


def cmd_kernels(args: argparse.Namespace) -> int:
    if args.sync:
        return _sync_kernels(args)
    from .kernels import iter_registered, prune

    removed = [k.to_dict() for k in prune()] if args.prune else []
    kernels = [k.to_dict() for k in iter_registered()]
    lines = [f"{k['name']:<30} {'ok' if k['alive'] else 'ENV GONE':<8} {k['display_name']}  ({k['project']})"
             for k in kernels]
    lines += [f"removed {k['name']} (env gone: {k['python']})" for k in removed]
    _out(args, {"kernels": kernels, "pruned": removed}, "\n".join(lines) or "No kernelenv kernels registered.")
    return 0


def _sync_kernels(args: argparse.Namespace) -> int:
    try:
        report = api.sync_env_kernels(location=_location(args), env_filter=args.env_filter, name_format=args.name_format,
                                      conda_dirs=args.envs_dir, venv_dirs=args.venvs_dir)
    except ValueError as e:
        raise KernelenvError(str(e)) from None
    lines = [f"wrote   {n}" for n in report.written] + [f"removed {n} (env gone or filtered out)" for n in report.removed]
    lines += [f"skipped {n}: {why}" for n, why in report.skipped.items()]
    _out(args, report.to_dict(), "\n".join(lines + [f"kernelspecs up to date in {report.kernels_dir}"]))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from .history import fmt_bytes

    project = _projects(args, many=False)[0]
    data = api.history(project)
    lines = [f"{project.root}: {len(data['builds'])} build(s) kept (limit: live + {data['keep']} earlier)"]
    for b in reversed(data["builds"]):
        mark = "*" if b["live"] else " "
        if b["error"]:
            lines.append(f"{mark} {b['id']}  unusable: {b['error']}")
            continue
        where = "" if b["env_exists"] else "  (env folder gone)"
        lines.append(f"{mark} {b['id']}  {b['created']}  {b['reason']}  Python {b['python_version']}, "
                     f"{b['packages']} packages{', from ' + b['lock'] if b['lock'] else ''}, "
                     f"{fmt_bytes(b['freed_bytes'])} own{where}")
        lines += [f"      {c}" for c in b["changes"]]
    if data["disk"] is not None and data["disk"]["files"]:
        d = data["disk"]
        lines.append(f"Earlier builds: {fmt_bytes(d['apparent'])} apparent, {fmt_bytes(d['freed'])} on disk "
                     "of their own (the rest is hard-linked from the uv/rattler cache or the live build).")
    _out(args, {"project": str(project.root), **data}, "\n".join(lines))
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from .history import is_build_id

    build = args.build
    if build is None and is_build_id(Path(args.path).name) and not Path(args.path).exists():
        args.path, build = ".", args.path  # `kernelenv rollback BUILD` in the project folder
    project = _projects(args, many=False)[0]
    res = api.rollback(project, build, wait=args.wait)
    lines = [f"{project.name}: build {res['build']} is live again (was {res['previous']}); "
             f"kernel {res['kernel_name']} unchanged: restart open notebooks. "
             f"Took {res['seconds'] * 1000:.0f} ms."]
    if res["lock_restored"]:
        lines.append(f"    {res['lock_restored']} " + ("already matched that build."
                                                          if res["lock_unchanged"] else
                                                          "restored to the copy it was built from."))
    else:
        lines.append("    That build was made from the spec (no lock): the env files were not changed.")
    lines += [f"    {c}" for c in res["changes"]]
    rep = api.status(project)
    if rep.status.value != "ready":
        lines.append(f"    Now {rep.status.value}: {rep.reason}")
    _out(args, res, "\n".join(lines))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    project = _projects(args, many=False)[0]
    rep, stop = _reporter(args)
    if args.format == "archive":
        from .history import fmt_bytes
        from .kernels import slug

        out = (args.output or Path(f"{slug(project.name)}-kernelenv.tar.gz")).resolve()
        plats = [p.strip() for p in args.platform.split(",") if p.strip()] if args.platform else None
        try:
            res = api.export_archive(project, out, platforms=plats, reporter=rep)
        finally:
            stop()
        for n in res["notes"]:
            print(f"note: {n}", file=sys.stderr)
        _out(args, res, f"{project.name}: wrote {res['path']} ({fmt_bytes(res['size'])}, {res['files']} files, "
                        f"{', '.join(res['platforms'])}, Python {res['python_version']}); rebuild it offline "
                        "with `kernelenv create --from ARCHIVE [DEST]`")
        return 0
    try:
        res = api.export(project, args.format, platform=args.platform, reporter=rep)
    finally:
        stop()
    if args.output:
        out = args.output.resolve()
        tmp = out.with_name(out.name + ".kernelenv-tmp")
        tmp.write_text(res["text"], encoding="utf-8")
        tmp.replace(out)
        res = {**res, "output": str(out)}
        msg = f"{project.name}: wrote {out} ({args.format} from {res['source']})"
        if res["copies"]:
            msg += f"; build it in {project.root} (it copies {', '.join(res['copies'])})"
        for n in res["notes"]:
            print(f"note: {n}", file=sys.stderr)
        _out(args, res, msg)
    elif args.json:
        print(json.dumps(res, indent=2))
    else:
        sys.stdout.write(res["text"])
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .history import fmt_bytes

    envs = api.list_envs()
    lines = []
    for e in envs:
        disk = f", {fmt_bytes(e['disk']['unique'])} ({fmt_bytes(e['disk']['freed'])} not shared with caches)" \
            if e["disk"] else ""
        kernels = f", kernel {', '.join(e['kernels'])}" if e["kernels"] else ""
        lines.append(f"{e['root']}: {e['status']} ({e['backend'] or '-'}, {e['builds']} build(s){disk}{kernels})")
    _out(args, envs, "\n".join(lines) or "kernelenv knows no project envs on this machine.")
    return 0


def cmd_gc(args: argparse.Namespace) -> int:
    from .history import fmt_bytes

    items = api.gc(all_kernels=args.all, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    lines = [f"{verb} {i['kind']}: {i['path']} ({i['why']}{', ' + fmt_bytes(i['bytes']) if i['bytes'] else ''})"
             for i in items]
    _out(args, items, "\n".join(lines) or "Nothing to clean up.")
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
    for k in res.kept:
        print(f"kept: {k}", file=sys.stderr)
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
            "lock": cmd_lock, "purge": cmd_purge, "add": cmd_add,
            "remove": cmd_remove, "record": cmd_record, "packages": cmd_packages, "kernels": cmd_kernels, "pythons": cmd_pythons,
            "binder": cmd_binder, "adopt": cmd_adopt, "history": cmd_history, "rollback": cmd_rollback,
            "export": cmd_export, "list": cmd_list, "gc": cmd_gc}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kernelenv`` console script. Returns the exit code.

    A reader that stops early (``kernelenv detect | head -3``) ends the output quietly with
    exit code 141 (128 + SIGPIPE, what a shell reports for other tools killed by the broken
    pipe), as the Python documentation recommends for SIGPIPE: no traceback.
    """
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        import os

        # Python flushes stdout again at exit: point it at devnull so that flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


def _main(argv: list[str] | None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = _parser(words[0] if words and words[0] in COMMANDS else None).parse_args(argv)
    if args.backend:
        from .model import Backend

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
