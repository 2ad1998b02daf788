"""Errors raised by the kernelenv engine.

Every error carries a human message and can be turned into a JSON-able dict with
:meth:`KernelenvError.to_dict`, which the faces (CLI ``--json``, REST API, language
server) send to their clients unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class KernelenvError(Exception):
    """Base class of every error kernelenv reports to a user.

    Args:
        message: what went wrong and, where possible, what to do about it.
    """

    code = "kernelenv-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"code", "message"}`` plus subclass fields, JSON-serialisable."""
        return {"code": self.code, "message": str(self)}


class EnvFileError(KernelenvError):
    """An environment file is malformed or holds an invalid entry.

    Args:
        path: the file.
        message: what is wrong.
        line: 1-based line number, or ``None`` when the parser gives none.
        column: 1-based column, or ``None``.
        end_line, end_column: 1-based end of the offending range, when known
            (the language server uses it for the diagnostic's range).
        code: a short stable identifier (``yaml-syntax``, ``invalid-requirement`` ...).
    """

    def __init__(
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        *,
        end_line: int | None = None,
        end_column: int | None = None,
        code: str = "env-file-error",
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.code = code
        self.detail = message
        where = str(self.path)
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}")

    def expand(self) -> list["EnvFileError"]:
        """Every error this one stands for: ``[self]``; :class:`EnvFileErrors` gives each of its errors."""
        return [self]

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(
            path=str(self.path),
            line=self.line,
            column=self.column,
            end_line=self.end_line,
            end_column=self.end_column,
            detail=self.detail,
        )
        return d


class EnvFileErrors(EnvFileError):
    """Several errors in one environment file (a reader that goes on after the first).

    Behaves as its first error (``path``, ``line``, ``code`` ...; the message says how
    many more there are), so a caller that shows one error still shows the first;
    :meth:`expand` gives all of them, in file order, for faces that list every error
    (detection's ``Project.errors``, the language server's diagnostics).

    Args:
        errors: at least one error, all about the same file (includes may add others).
    """

    def __init__(self, errors: list[EnvFileError]) -> None:
        if not errors:
            raise ValueError("EnvFileErrors needs at least one error")
        flat = [e for err in errors for e in err.expand()]
        first = flat[0]
        more = len(flat) - 1
        detail = first.detail + (f" (and {more} more error{'s' if more > 1 else ''} in this file)"
                                 if more else "")
        super().__init__(first.path, detail, first.line, first.column, end_line=first.end_line,
                         end_column=first.end_column, code=first.code)
        self.errors = flat

    def expand(self) -> list[EnvFileError]:
        return list(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """The first error's fields (as :class:`EnvFileError`) plus ``errors``: every error's dict."""
        d = super().to_dict()
        d["errors"] = [e.to_dict() for e in self.errors]
        return d


class PythonNotFoundError(KernelenvError):
    """No installed interpreter satisfies the project's Python request.

    Args:
        request: the PEP 440 specifier asked for (e.g. ``==3.6.*``).
        source: the file the request came from, or ``None`` for ``--python``.
        installed: versions found on this machine, as strings.
    """

    code = "python-not-found"

    def __init__(self, request: str, source: Path | None, installed: list[str]) -> None:
        self.request = request
        self.source = source
        self.installed = installed
        origin = f" (asked for by {source})" if source else ""
        have = ", ".join(installed) if installed else "none"
        super().__init__(
            f"No installed Python satisfies {request}{origin}. Installed: {have}. "
            "Install a matching Python (e.g. with pyenv or `uv python install`), or pass "
            "--python VERSION|PATH to choose another interpreter explicitly."
        )

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(request=self.request, source=str(self.source) if self.source else None,
                 installed=self.installed)
        return d


class BuildError(KernelenvError):
    """A step of create/lock/rebuild failed. The previous env is untouched.

    Args:
        step: the step that failed (``"install"``, ``"solve"`` ...).
        message: what went wrong.
        log_tail: the last lines of the failing tool's output.
    """

    code = "build-failed"

    def __init__(self, step: str, message: str, log_tail: str = "") -> None:
        self.step = step
        self.log_tail = log_tail
        super().__init__(message)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.update(step=self.step, log_tail=self.log_tail)
        return d


class ProjectBusyError(KernelenvError):
    """Another create/lock/rebuild/remove holds the project's lock."""

    code = "project-busy"


class CancelledError(KernelenvError):
    """The operation was cancelled; the previous env is untouched."""

    code = "cancelled"


class BackendUnavailableError(KernelenvError):
    """The requested backend cannot run here (e.g. micromamba is not on PATH)."""

    code = "backend-unavailable"


class KernelspecConflictError(KernelenvError):
    """A kernelspec kernelenv did not create for this project is in the way.

    kernelenv never overwrites or deletes a kernelspec whose ``kernel.json`` lacks its
    metadata naming the project (the user's own ``myenv``, ``python3``, another
    project's kernel).
    """

    code = "kernelspec-conflict"


class UnsafePathError(KernelenvError):
    """A path kernelenv would write through leads outside the project's ``.kernelenv/``
    (a symbolic link committed to the repository, a file where a folder belongs)."""

    code = "unsafe-path"
