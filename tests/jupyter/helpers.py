"""Helpers for the server-extension tests: job polling and running code in a server kernel."""

from __future__ import annotations

import asyncio
import time
from typing import Any


async def wait_job(kapi, job_id: str, timeout: float = 900, until=None) -> dict:
    """Poll ``GET kernelenv/api/jobs/{id}`` until the job ends (or ``until(job)`` is true)."""
    deadline = time.monotonic() + timeout
    while True:
        code, _, job = await kapi("GET", f"kernelenv/api/jobs/{job_id}")
        assert code == 200, job
        if job["state"] != "running" or (until and until(job)):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still running after {timeout}s: {job}")
        await asyncio.sleep(0.3)


async def execute(serverapp, kernel_id: str, code: str, timeout: float = 120) -> dict[str, Any]:
    """Run ``code`` in a running server kernel with a real kernel client from its connection info.

    Returns ``{"status", "stdout", "error": {ename, evalue, traceback} | None}``.
    """
    km = serverapp.kernel_manager.get_kernel(kernel_id)
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=timeout)
        msg_id = client.execute(code)
        stdout, error = [], None
        deadline = time.monotonic() + timeout
        while True:
            msg = await client.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream" and content.get("name") == "stdout":
                stdout.append(content["text"])
            elif kind == "error":
                error = content
            elif kind == "status" and content["execution_state"] == "idle":
                break
        while True:
            reply = await client.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        return {"status": reply["content"]["status"], "stdout": "".join(stdout), "error": error,
                "reply": reply["content"]}
    finally:
        client.stop_channels()
