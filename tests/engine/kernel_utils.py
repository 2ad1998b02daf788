"""Starting a registered kernel with jupyter_client and running code in it."""

from __future__ import annotations

from jupyter_client.manager import start_new_kernel


def run_in_kernel(kernel_name: str, code: str, timeout: float = 120) -> str:
    """Start kernelspec ``kernel_name``, execute ``code``, return its stdout; shut the kernel down.

    Raises:
        AssertionError: the execution replied with an error.
    """
    km, kc = start_new_kernel(kernel_name=kernel_name, startup_timeout=timeout)
    out: list[str] = []
    try:
        reply = kc.execute_interactive(code, timeout=timeout,
                                       output_hook=lambda msg: _collect(msg, out))
        if reply["content"]["status"] != "ok":
            raise AssertionError(f"kernel error: {reply['content'].get('ename')}: "
                                 f"{reply['content'].get('evalue')}\n{''.join(out)}")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(out)


def _collect(msg: dict, out: list[str]) -> None:
    if msg["header"]["msg_type"] == "stream":
        out.append(msg["content"]["text"])
    elif msg["header"]["msg_type"] == "error":
        out.append("\n".join(msg["content"]["traceback"]))
