"""The interface every backend implements; :mod:`kernelenv.operations` drives it.

A builder only ever builds into a fresh folder it is handed (``prefix``); switching
the live link, writing state and registering the kernel are the operations module's
job, the same for every backend.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable
from pathlib import Path

from ..interpreters import Interpreter
from ..model import Project
from ..progress import Reporter

#: Waits for a build's work left running in the background, then raises what it raised.
Finish = Callable[[], None]


def in_background(work: Callable[[], None]) -> Finish:
    """Start ``work`` (a step of a build, such as installing pip) in a thread and return the
    :data:`Finish` that joins it and re-raises its exception (``BuildError``,
    ``CancelledError`` ...). Tools it runs are still killed by the reporter's cancel flag
    (:func:`kernelenv.proc.run`)."""
    failed: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as e:  # handed to the caller by finish()
            failed.append(e)

    thread = threading.Thread(target=target, name="kernelenv-build-step", daemon=True)
    thread.start()

    def finish() -> None:
        thread.join()
        if failed:
            raise failed[0]

    return finish


class Builder(abc.ABC):
    """Builds envs for one backend.

    Attributes:
        env_kind: ``"venv"`` or ``"conda"``.
    """

    env_kind: str = "venv"

    @abc.abstractmethod
    def select_python(self, project: Project, override: str | None) -> Interpreter | None:
        """The base interpreter to build with, or ``None`` when the backend installs its own.

        Raises:
            PythonNotFoundError: nothing installed satisfies the request.
        """

    @abc.abstractmethod
    def build(self, project: Project, prefix: Path, *, interpreter: Interpreter | None,
              from_lock: bool, reporter: Reporter, strip_builds: bool = False) -> Finish | None:
        """Create a complete env with ipykernel in the new, empty folder ``prefix``.

        Args:
            from_lock: install exactly ``project.lock`` (no resolution) when True.

        Returns:
            ``None`` when the env is complete, or a :data:`Finish` for work still running that
            a kernel start does not depend on (pip for ``%pip``, :func:`in_background`): the
            caller checks the kernel meanwhile and calls it before reading the env's packages.

        Raises:
            EnvFileError, BuildError, CancelledError.
        """

    @abc.abstractmethod
    def lock(self, project: Project, reporter: Reporter, *, strip_builds: bool = False,
             platforms: list[str] | None = None) -> Path:
        """Write the lock file and return its path. Raises EnvFileError, BuildError.

        ``strip_builds`` and ``platforms`` (conda platform names overriding the project's
        list) apply to conda locks only."""

    @abc.abstractmethod
    def installed(self, prefix: Path) -> dict[str, str]:
        """``{normalized name: version}`` installed in ``prefix``, read from files (no subprocess)."""

    def lock_outdated(self, project: Project) -> str | None:
        """A reason when ``project.lock`` no longer matches the spec, else ``None``.

        Must be cheap: file reads only. The default knows nothing and returns ``None``.
        """
        return None

    def locked_packages(self, project: Project) -> dict[str, str] | None:
        """``{normalized name: version}`` the lock pins for this platform, or ``None``."""
        return None
