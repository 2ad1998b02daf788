"""Per-user memory of the "Never for this project" answer.

A small JSON file, ``lsp.json``, in ``$KERNELENV_STATE_HOME`` when set, else
:func:`platformdirs.user_state_dir` ``("kernelenv")``. Shape:
``{"never_prompt": ["/abs/project/root", ...]}``.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import platformdirs


def state_home() -> Path:
    """The folder holding kernelenv's per-user state (not created here)."""
    env = os.environ.get("KERNELENV_STATE_HOME")
    return Path(env) if env else Path(platformdirs.user_state_dir("kernelenv"))


class PromptMemory:
    """Remembers projects the user never wants to be asked about.

    Args:
        path: the JSON file (default ``state_home() / "lsp.json"``).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_home() / "lsp.json"
        self._lock = threading.Lock()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def never(self, root: Path) -> bool:
        """Whether the user answered "Never for this project" for ``root``."""
        return str(root) in self._read().get("never_prompt", [])

    def set_never(self, root: Path) -> None:
        """Remember "Never" for ``root`` (atomic write; errors are ignored: it is only a preference)."""
        with self._lock:
            data = self._read()
            roots = set(data.get("never_prompt", []))
            roots.add(str(root))
            data["never_prompt"] = sorted(roots)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_suffix(".json.tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError:
                pass
