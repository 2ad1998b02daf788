"""A tiny kernel that answers every execution with an actionable error.

The "Python (project env)" kernel starts this instead of the project's env when that
env is missing or broken, so the user sees *why* (which project, what is wrong, how to
create it) in the notebook instead of a kernel that dies at start. The message comes
from the ``KERNELENV_ERROR_MESSAGE`` environment variable, set by the portable kernel's
launcher (:mod:`kernelenv.portable`) or kernel provisioner.

Run as ``python -m kernelenv.error_kernel -f CONNECTION_FILE``.
"""

from __future__ import annotations

import os
from typing import Any

from ipykernel.kernelbase import Kernel

MESSAGE_ENV = "KERNELENV_ERROR_MESSAGE"
ENAME = "KernelenvEnvError"


class ErrorKernel(Kernel):
    """An ipykernel ``Kernel`` whose every ``execute_request`` fails with the kernelenv message."""

    implementation = "kernelenv-error"
    implementation_version = "1.0"
    language = "python"
    language_version = "3"
    language_info = {"name": "python", "mimetype": "text/x-python", "file_extension": ".py"}

    @property
    def message(self) -> str:
        return os.environ.get(MESSAGE_ENV) or "kernelenv could not start this project's env."

    @property
    def banner(self) -> str:  # type: ignore[override]
        return f"kernelenv: this kernel cannot run code.\n{self.message}"

    async def do_execute(self, code: str, silent: bool, store_history: bool = True,
                         user_expressions: dict | None = None, allow_stdin: bool = False,
                         **kwargs: Any) -> dict[str, Any]:
        """Reply with an error (and publish it on iopub unless ``silent``)."""
        content = {"ename": ENAME, "evalue": self.message, "traceback": [f"{ENAME}: {self.message}"]}
        if not silent:
            self.send_response(self.iopub_socket, "error", content)
        return {"status": "error", "execution_count": self.execution_count, **content}

    async def do_complete(self, code: str, cursor_pos: int) -> dict[str, Any]:
        return {"status": "ok", "matches": [], "cursor_start": cursor_pos, "cursor_end": cursor_pos,
                "metadata": {}}


def main() -> None:
    """Start the error kernel (``-f CONNECTION_FILE`` as for ipykernel)."""
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(kernel_class=ErrorKernel)


if __name__ == "__main__":
    main()
