"""``kernelenv-lsp --tcp`` / ``--ws``: the same server over pygls' TCP and WebSocket transports."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from lsprotocol import types
from pygls.uris import from_fs_path

from tests.conftest import free_port

from .lsphelp import SERVER, make_client, projects_of, wait_until


@pytest.mark.parametrize("transport", ["tcp", "ws"])
async def test_network_transports(workspace, transport):
    ws = workspace("binder-examples__requirements")
    port = free_port()
    proc = subprocess.Popen([*SERVER, f"--{transport}", "--host", "127.0.0.1", "--port", str(port)],
                            stdin=subprocess.DEVNULL)
    client = make_client()
    try:
        for _ in range(200):
            try:
                start = client.start_tcp if transport == "tcp" else client.start_ws
                await start("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"the {transport} server did not listen")
        await client.initialize_session(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(ws)),
            initialization_options={"prompt": False}))
        note = await projects_of(client, ws)
        assert note["projects"][0]["name"] == "binder-examples__requirements"
        await client.shutdown_session()
        await wait_until(lambda: proc.poll() is not None, 20, "the server to exit")
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        await client.stop()


async def test_stdio_flag_is_accepted(workspace):
    """vscode-languageclient and many Neovim/Helix configs start servers with ``--stdio``."""
    ws = workspace("binder-examples__requirements")
    client = make_client()
    await client.start_io(*SERVER, "--stdio")
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(ws)),
            initialization_options={"prompt": False}))
        note = await projects_of(client, ws)
        assert note["projects"][0]["backend"] == "uv"
        await client.shutdown_session()
    finally:
        await client.stop()
