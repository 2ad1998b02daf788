"""The ``kernelenv`` settings section a client sends.

Read from ``initializationOptions`` (either the section itself or ``{"kernelenv": {...}}``)
and from ``workspace/configuration`` section ``kernelenv``; the latter wins when the
client answers with a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

AUTO_SELECT = ("always", "ask", "never")


@dataclass(frozen=True)
class Settings:
    """The server's settings.

    Args:
        prompt: ask with ``window/showMessageRequest`` when a project's env is missing
            or stale.
        backend: force a backend for detection (``uv``, ``rattler`` ...), or ``None``
            for the engine's rule.
        auto_select_kernel: ``always`` | ``ask`` | ``never``; a hint for editor
            extensions choosing a notebook kernel (the server only stores it).
    """

    prompt: bool = True
    backend: str | None = None
    auto_select_kernel: str = "ask"

    def merged(self, data: Any) -> "Settings":
        """A copy updated from a client's settings object; unknown keys and bad types are ignored.

        Args:
            data: ``{"prompt": bool, "backend": str | None, "autoSelectKernel": str}``
                or ``{"kernelenv": {...}}``; anything else leaves the settings as they are.
        """
        if not isinstance(data, dict):
            return self
        if isinstance(data.get("kernelenv"), dict):
            data = data["kernelenv"]
        prompt, backend, auto = self.prompt, self.backend, self.auto_select_kernel
        if isinstance(data.get("prompt"), bool):
            prompt = data["prompt"]
        if "backend" in data and (data["backend"] is None or isinstance(data["backend"], str)):
            backend = data["backend"] or None
        if data.get("autoSelectKernel") in AUTO_SELECT:
            auto = data["autoSelectKernel"]
        return Settings(prompt=prompt, backend=backend, auto_select_kernel=auto)

    def to_dict(self) -> dict[str, Any]:
        """The client-facing (camelCase) shape."""
        return {"prompt": self.prompt, "backend": self.backend,
                "autoSelectKernel": self.auto_select_kernel}
