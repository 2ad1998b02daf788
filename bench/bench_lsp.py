"""Benchmark: the kernelenv language server's two latencies an editor user feels.

1. ``initialized`` -> ``kernelenv/projects``: a fresh server (``python -m kernelenv_lsp``) per
   run on a generated 20,000-file workspace (the tree of ``bench_detect.py``: 40 projects,
   source, notebooks, data, and pruned folders), timed from sending ``initialized`` to
   receiving the notification.
2. ``textDocument/didChange`` -> ``textDocument/publishDiagnostics`` on an open
   environment.yml, alternating a valid and an invalid MatchSpec so every change
   produces a different diagnostic set.

Prints median and p95 of each. Real server subprocess over stdio, pygls' own client.
Run: ``python bench/bench_lsp.py [--files N] [--runs R] [--edits E]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_detect import make_tree  # noqa: E402  (the same tree as the detection benchmark)

SERVER = [sys.executable, "-m", "kernelenv_lsp"]


def p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def fmt(name: str, xs: list[float]) -> str:
    return (f"{name:<48} median {statistics.median(xs) * 1000:8.1f} ms   p95 {p95(xs) * 1000:8.1f} ms"
            f"   (n={len(xs)})")


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("kernelenv-bench", "0")
        self.projects_at: float | None = None
        self.diag_events: list[tuple[float, int]] = []
        self.diag_uri = ""

        @self.feature("kernelenv/projects")
        def _projects(ls: Client, params) -> None:
            if ls.projects_at is None:
                ls.projects_at = time.perf_counter()

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diags(ls: Client, params: types.PublishDiagnosticsParams) -> None:
            if params.uri == ls.diag_uri:
                ls.diag_events.append((time.perf_counter(), len(params.diagnostics)))

        @self.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def _prompt(ls: Client, params) -> None:
            return None

        @self.feature(types.WORKSPACE_CONFIGURATION)
        def _config(ls: Client, params: types.ConfigurationParams):
            return [{"prompt": False} for _ in params.items]


CAPS = types.ClientCapabilities(
    workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True),
    text_document=types.TextDocumentClientCapabilities(
        publish_diagnostics=types.PublishDiagnosticsClientCapabilities()),
)


async def session(ws: Path) -> Client:
    client = Client()
    await client.start_io(*SERVER)
    await client.initialize_async(types.InitializeParams(
        capabilities=CAPS, root_uri=from_fs_path(str(ws)),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(ws)), name=ws.name)],
        initialization_options={"prompt": False}))
    return client


async def close(client: Client) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def wait_for(pred, timeout: float = 120.0) -> None:
    end = time.perf_counter() + timeout
    while not pred():
        if time.perf_counter() > end:
            raise TimeoutError("no answer from the server")
        await asyncio.sleep(0.0005)


async def bench_projects(ws: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        client = await session(ws)
        t0 = time.perf_counter()
        client.initialized(types.InitializedParams())
        await wait_for(lambda: client.projects_at is not None)
        out.append(client.projects_at - t0)
        await close(client)
    return out


async def bench_diagnostics(ws: Path, edits: int) -> list[float]:
    env = ws / "editproj" / "environment.yml"
    env.parent.mkdir(parents=True, exist_ok=True)
    good = "name: demo\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy>=1.26\n"
    bad = good.replace("numpy>=1.26", "numpy>=1.26 [")
    env.write_text(good)
    client = await session(ws)
    client.initialized(types.InitializedParams())
    await wait_for(lambda: client.projects_at is not None)
    uri = from_fs_path(str(env))
    client.diag_uri = uri
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
        uri=uri, language_id="yaml", version=1, text=good)))
    await asyncio.sleep(1.0)  # let the start-up pushes settle
    out = []
    for i in range(edits):
        text, want = (bad, 1) if i % 2 == 0 else (good, 0)
        n = len(client.diag_events)
        t0 = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=i + 2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))
        await wait_for(lambda: any(c == want for _, c in client.diag_events[n:]))
        t1 = next(t for t, c in client.diag_events[n:] if c == want)
        out.append(t1 - t0)
    await close(client)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kernelenv-bench-lsp-"))
    try:
        ws = tmp / "ws"
        written, _ = make_tree(ws, args.files)
        print(f"workspace: {written} files in {ws}")
        proj = asyncio.run(bench_projects(ws, args.runs))
        print(fmt("initialized -> kernelenv/projects", proj))
        diags = asyncio.run(bench_diagnostics(ws, args.edits))
        print(fmt("didChange environment.yml -> publishDiagnostics", diags))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
