"""kernelenv.history and kernelenv.rollback through the language server (real uv builds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from kernelenv import api
from kernelenv.history import live_build

from .lsphelp import command, lsp, projects_of

pytestmark = pytest.mark.e2e


async def test_history_and_rollback_commands(tmp_path: Path) -> None:
    root = tmp_path / "ws" / "notes"
    root.mkdir(parents=True)
    for pin in ("1.16.0", "1.17.0"):
        (root / "requirements.txt").write_text(f"six=={pin}\nipykernel\n")
        api.create(api.find_project(root))
    async with lsp(tmp_path / "ws", init_options={"prompt": False}) as client:
        await projects_of(client, tmp_path / "ws")
        hist = await command(client, "kernelenv.history", {"project": str(root)})
        first, second = hist["builds"]
        assert second["live"] and second["changes"] == ["six 1.16.0 → 1.17.0"]
        res = await command(client, "kernelenv.rollback", {"project": str(root)})
        assert res["build"] == first["id"] and res["previous"] == second["id"]
        assert live_build(root) == first["id"]
        with pytest.raises(JsonRpcException, match="No record of build b-20000101000000-abcdef"):
            await command(client, "kernelenv.rollback", {"project": str(root), "build": "b-20000101000000-abcdef"})
        assert live_build(root) == first["id"]
