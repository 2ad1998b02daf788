"""Progress and cancellation plumbing shared by every long operation.

A :class:`Reporter` is what the faces hand to the engine: the CLI renders it with rich,
the server extension stores it in a job, the language server turns it into
``$/progress`` notifications. The engine only ever calls :meth:`Reporter.step`,
:meth:`Reporter.log` and :meth:`Reporter.check_cancelled`.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .errors import CancelledError

StepCallback = Callable[[str, "float | None", str], None]
LogCallback = Callable[[str], None]


@dataclass
class Reporter:
    """Receives progress from an operation and carries its cancel flag.

    Args:
        on_step: called as ``on_step(step, fraction, message)``; ``fraction`` is in
            [0, 1] or ``None`` when unknown.
        on_log: called with each line of tool output (no trailing newline).
        cancel_event: set it (from any thread) to cancel the operation.
        tail_lines: how many log lines :attr:`tail` keeps.
    """

    on_step: StepCallback | None = None
    on_log: LogCallback | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    tail_lines: int = 200

    def __post_init__(self) -> None:
        self.tail: deque[str] = deque(maxlen=self.tail_lines)
        self.current_step = ""
        self.fraction: float | None = None
        self.message = ""

    def step(self, step: str, fraction: float | None = None, message: str = "") -> None:
        """Announce the current step (``"resolve"``, ``"install"``, ``"register"`` ...)."""
        self.current_step, self.fraction, self.message = step, fraction, message
        if self.on_step:
            self.on_step(step, fraction, message)

    def log(self, line: str) -> None:
        """Record one line of output."""
        self.tail.append(line)
        if self.on_log:
            self.on_log(line)

    def cancel(self) -> None:
        """Ask the operation to stop; it raises :class:`CancelledError` soon after."""
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`~kernelenv.errors.CancelledError` if cancel was asked for."""
        if self.cancel_event.is_set():
            raise CancelledError("Cancelled; the previous environment is unchanged.")

    def tail_text(self, n: int = 40) -> str:
        """The last ``n`` log lines joined by newlines."""
        return "\n".join(list(self.tail)[-n:])


def null_reporter() -> Reporter:
    """A reporter that records the log tail and nothing else."""
    return Reporter()
