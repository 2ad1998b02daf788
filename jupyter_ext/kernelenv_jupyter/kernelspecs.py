"""A KernelSpecManager that adds project envs and existing conda envs/venvs to Jupyter's kernels.

``KernelenvKernelSpecManager`` wraps another manager (``wrapped_class``, default
jupyter_client's own), so it composes with e.g. nb_conda_kernels instead of competing
for ``ServerApp.kernel_spec_manager_class``. On top of the wrapped manager's kernels it
lists:

* the built envs of the projects under the server's root_dir (from each project's
  ``.kernelenv/state.json``), even when their kernel.json is not on this server's path;
* every kernel of the conda envs and virtualenvs on this machine (:mod:`kernelenv.envscan`,
  :mod:`kernelenv.envkernels`), named like nb_conda_kernels (``conda-env-NAME-py``,
  ``conda-env-NAME-r``), ``c.Kernelenv.env_filter`` and ``name_format`` applied;
* the portable "Python (project env)" kernel (``kernelenv-project``) when it is not installed.

Kernels kernelenv registered whose interpreter is gone (stale) are hidden. Everything is
cached and revalidated by file mtimes on each call (a handful of ``stat`` calls), never
by a timer.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager, NoSuchKernel
from traitlets import Type

from kernelenv import envkernels, envscan
from kernelenv.activation import program
from kernelenv.errors import KernelenvError
from kernelenv.kernels import METADATA_KEY, kernel_name, kernel_spec
from kernelenv.layout import live_link, python_in, state_file
from kernelenv.model import Project
from kernelenv.state import read_state

from .settings import Kernelenv

PORTABLE_NAME = "kernelenv-project"
PROVISIONER_NAME = "kernelenv-project"

#: The portable kernelspec; identical to the shipped jupyter-config/kernels/kernelenv-project/kernel.json.
PORTABLE_SPEC: dict[str, Any] = {
    "argv": ["python", "-m", "kernelenv.portable", "-f", "{connection_file}"],
    "display_name": "Python (project env)",
    "language": "python",
    "interrupt_mode": "signal",
    "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER_NAME, "config": {}}},
}


def _mtime(path: Path | str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _resources_dir() -> str:
    try:
        from ipykernel.kernelspec import RESOURCES

        return RESOURCES
    except ImportError:  # pragma: no cover - ipykernel is a dependency
        return str(Path(__file__).parent)


def is_stale(spec: dict[str, Any]) -> bool:
    """Whether ``spec`` is a kernelenv-registered kernel whose interpreter no longer exists."""
    meta = (spec.get("metadata") or {}).get(METADATA_KEY)
    argv = spec.get("argv") or []
    exe = program(argv) if isinstance(argv, list) else None
    if not meta or not exe:
        return False
    return os.path.isabs(exe) and not os.path.exists(exe)


class KernelenvKernelSpecManager(KernelSpecManager):
    """Jupyter's kernel list plus project envs, conda envs and venvs (see the module docstring).

    Set by the kernelenv server extension; configure with ``c.Kernelenv.*`` and
    ``c.KernelenvKernelSpecManager.wrapped_class``.
    """

    wrapped_class = Type(
        default_value=KernelSpecManager, klass=KernelSpecManager, config=True,
        help="""The KernelSpecManager whose kernels are listed besides kernelenv's
        (e.g. nb_conda_kernels.CondaKernelSpecManager). Default: jupyter_client's.""",
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernelenv = Kernelenv(parent=self)
        cls = self.wrapped_class
        if issubclass(cls, KernelenvKernelSpecManager):
            cls = KernelSpecManager
        self.wrapped = cls(parent=self)
        self._plain = type(self.wrapped) is KernelSpecManager
        self._lock = threading.Lock()
        self._json_cache: dict[str, tuple[int | None, dict[str, Any]]] = {}
        self._projects: dict[Path, Project] = {}
        self._project_cache: dict[Path, tuple[int | None, dict[str, Any] | None]] = {}
        self._scan_key: tuple | None = None
        self._envs: list[envscan.FoundEnv] = []
        self._env_key: tuple | None = None
        self._kernels: list[envkernels.EnvKernel] = []

    # ----- projects fed by the server extension -----------------------------------------
    def note_projects(self, projects: Iterable[Project], under: Path | None = None) -> None:
        """Remember the projects detection found (``under``: the folder that was scanned,
        whose previously known projects not in ``projects`` are forgotten)."""
        projects = list(projects)
        with self._lock:
            if under is not None:
                for root in [r for r in self._projects if r == under or under in r.parents]:
                    del self._projects[root]
            for p in projects:
                self._projects[p.root] = p

    def _project_spec(self, project: Project) -> dict[str, Any] | None:
        root = project.root
        key = _mtime(state_file(root))
        cached = self._project_cache.get(root)
        if cached is None or cached[0] != key:
            spec = None
            state = read_state(root) if key is not None else None
            if state and state.get("kernel_name"):
                kind = state.get("env_kind", project.backend.env_kind)
                link = live_link(root, kind)
                spec = kernel_spec(project, python_in(link, kind), state.get("python_version"),
                                   env_path=link)
                try:  # validated and derived, never the state file's string as it is
                    spec["_name"] = kernel_name(project)
                except KernelenvError:
                    spec = None
            cached = (key, spec)
            self._project_cache[root] = cached
        return cached[1]

    # ----- conda envs and venvs -----------------------------------------------------------
    def _env_kernels(self) -> list[envkernels.EnvKernel]:
        """The kernels of the conda envs and venvs on this machine (:mod:`kernelenv.envscan`),
        recomputed only when an env, an envs folder or a settings file changed (mtimes)."""
        s = self.kernelenv
        conda_dirs, venv_dirs = list(s.conda_envs_dirs), list(s.venv_dirs)
        key = tuple(_mtime(p) for p in envscan.watch_list(conda_dirs, venv_dirs))
        if key != self._scan_key:
            self._envs = envscan.discover(conda_dirs=conda_dirs, venv_dirs=venv_dirs, env_filter=s.env_filter)
            self._scan_key = key
        env_key = (key, s.name_format, tuple(tuple(_mtime(p) for p in envkernels.watch_paths(e.prefix))
                                             for e in self._envs))
        if env_key != self._env_key:
            self._kernels = envkernels.discovered_kernels(self._envs, name_format=s.name_format)
            self._env_key = env_key
        return self._kernels

    # ----- what kernelenv adds ------------------------------------------------------------
    def extra_specs(self, listed: set[tuple[str, str]] | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
        """``{name: (resource_dir, spec dict)}`` of the kernels kernelenv adds (stale ones left out).

        Args:
            listed: ``(project folder, program)`` of the kernelenv kernels already listed; a
                project that has one running its live env's interpreter is skipped (it is on
                the list already), so a new manager's first listing reads no state file for
                it (issue 15).
        """
        res = _resources_dir()
        out: dict[str, tuple[str, dict[str, Any]]] = {}
        if self.kernelenv.list_project_envs:
            with self._lock:
                projects = list(self._projects.values())
            for project in projects:
                if listed and any((str(project.root), str(python_in(live_link(project.root, kind), kind))) in listed
                                  for kind in ("venv", "conda")):
                    continue
                spec = self._project_spec(project)
                if spec is not None and os.path.exists(program(spec["argv"]) or ""):
                    clean = {k: v for k, v in spec.items() if k != "_name"}
                    out.setdefault(spec["_name"], (res, clean))
        if self.kernelenv.list_conda_envs:
            for k in self._env_kernels():
                out.setdefault(k.name, (str(k.resource_dir) if k.resource_dir else res, k.spec))
        out.setdefault(PORTABLE_NAME, (res, json.loads(json.dumps(PORTABLE_SPEC))))
        return out

    # ----- KernelSpecManager interface ----------------------------------------------------
    def _read_spec(self, name: str, resource_dir: str) -> dict[str, Any] | None:
        path = os.path.join(resource_dir, "kernel.json")
        key = _mtime(path)
        cached = self._json_cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            if key is None:  # e.g. the native python3 kernel served from ipykernel's resources
                spec = self.wrapped.get_kernel_spec(name).to_dict()
            else:
                spec = KernelSpec.from_resource_dir(resource_dir).to_dict()
        except Exception as e:  # a broken kernel.json hides that kernel only
            self.log.warning("kernelenv: skipping kernelspec %s: %s", resource_dir, e)
            return None
        self._json_cache[path] = (key, spec)
        return spec

    def get_all_specs(self) -> dict[str, dict[str, Any]]:
        """``{name: {"resource_dir": str, "spec": dict}}`` of every kernel (stale ones hidden)."""
        out: dict[str, dict[str, Any]] = {}
        if self._plain:
            for name, rdir in self.wrapped.find_kernel_specs().items():
                spec = self._read_spec(name, rdir)
                if spec is not None and not is_stale(spec):
                    out[name] = {"resource_dir": rdir, "spec": dict(spec)}
        else:
            for name, info in self.wrapped.get_all_specs().items():
                if not is_stale(info.get("spec") or {}):
                    out[name] = info
        allowed = self.allowed_kernelspecs
        listed: set[tuple[str, str]] = set()
        for info in out.values():
            spec = info.get("spec") or {}
            meta = (spec.get("metadata") or {}).get(METADATA_KEY)
            exe = program(spec.get("argv") or []) if isinstance(spec.get("argv"), list) else None
            if isinstance(meta, dict) and isinstance(meta.get("project"), str) and exe:
                listed.add((meta["project"], exe))
        for name, (rdir, spec) in self.extra_specs(listed).items():
            if name not in out and (not allowed or name in allowed):
                out[name] = {"resource_dir": rdir, "spec": spec}
        return out

    def find_kernel_specs(self) -> dict[str, str]:
        """``{name: resource_dir}`` of every kernel (stale ones hidden)."""
        return {name: info["resource_dir"] for name, info in self.get_all_specs().items()}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        """The spec of ``kernel_name``.

        Raises:
            NoSuchKernel: unknown, or a kernelenv kernel whose env is gone.
        """
        try:
            spec = self.wrapped.get_kernel_spec(kernel_name)
        except NoSuchKernel:
            spec = None
        if spec is not None and not is_stale(spec.to_dict()):
            return spec
        extras = self.extra_specs()
        if self.allowed_kernelspecs:
            extras = {k: v for k, v in extras.items() if k in self.allowed_kernelspecs}
        hit = extras.get(kernel_name)
        if hit is None:
            lower = kernel_name.lower()
            hit = next((v for k, v in extras.items() if k.lower() == lower), None)
        if hit is not None:
            rdir, d = hit
            return KernelSpec(resource_dir=rdir, **d)
        raise NoSuchKernel(kernel_name)

    def remove_kernel_spec(self, name: str) -> str:
        """Remove an installed kernelspec through the wrapped manager."""
        return self.wrapped.remove_kernel_spec(name)

    def install_kernel_spec(self, *args: Any, **kwargs: Any) -> str:
        """Install a kernelspec through the wrapped manager."""
        return self.wrapped.install_kernel_spec(*args, **kwargs)
