"""``kernelenv adopt``: record an env someone else built (a repo2docker image's) as the project's env.

It checks that every pin of the project's env files is installed in the prefix (pip pins
by version, conda pins with rattler's MatchSpec against ``conda-meta``), links
``.kernelenv/envs/image`` to the prefix and points the live link at it, writes the state
file with the hashes of the files the image was built from and registers the kernel.
``kernelenv status`` then says ready and nothing is rebuilt. A later ``kernelenv rebuild``
builds a fresh env aside as usual; the adopted prefix is never deleted (only the link to it).
Binder itself does not need this (its postBuild registers the kernel with ipykernel); it is
for images and machines that have kernelenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..kernels import KernelLocation, register
from ..layout import envs_dir, link_target, live_link, python_dists, python_in, switch_link
from ..model import FileRole, Project, StatusReport
from .common import BinderError, binder_marker_env, build_of

#: The folder name adopted envs are linked under in ``.kernelenv/envs``.
ADOPTED = "image"

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
    from ..conda_meta import conda_records

    env = binder_marker_env(".".join(python_version.split(".")[:2]))
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
    from ..parsers.locks import lock_format

    if lock is not None and lock_format(lock) is not None:
        from ..backends.uv import UvBuilder

        locked = UvBuilder().locked_packages(project, python_version) or {}
        for name, version in locked.items():
            if version:
                check_req(f"{name}=={version}")
    elif lock is not None and lock.name.endswith("conda-lock.yml"):
        from ..conda_channels import current_platform
        from ..parsers.condalock import read_conda_lock

        cl = read_conda_lock(lock)
        plat = current_platform()
        for p in cl.for_platform(plat, categories=tuple({q.category for q in cl.packages})):
            if p.manager == "pip":
                check_req(f"{p.name}=={p.version}")
            else:
                build = build_of(p.filename, p.name, p.version)
                conda_specs.append(f"{p.name}=={p.version}" + (f"={build}" if build else ""))
    else:
        for f in project.files_of(FileRole.SPEC, FileRole.LOCK):
            if f.kind == "requirements":
                from ..parsers.requirements import read_requirements

                for r in read_requirements(f.path):
                    if r.requirement is not None:
                        check_req(str(r.requirement))
            elif f.kind == "environment.yml":
                from ..parsers.conda import read_environment_yml

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
    from ..locking import project_lock
    from ..state import project_status, read_state, record_build

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
        # any_host: an image built here runs in containers whose host names change per launch
        record_build(project, from_lock=from_lock, build_dir=entry, python_version=version,
                     packages=len(python_dists(prefix)), kernel_name=kernel, kernel_location=loc.to_dict(),
                     any_host=True)
        register(project, python_in(link, kind), version, env_path=link, location=loc)
        return project_status(project, check_lock=False)

__all__ = ["ADOPTED", "Mismatch", "adopt", "check_prefix"]
