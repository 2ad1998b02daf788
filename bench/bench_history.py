"""Benchmark: rollback vs a rebuild, and the offline archive vs a warm-cache create.

Run: ``.venv/bin/python bench/bench_history.py [--repeat N]``.

One small uv project (``six`` + ``attrs`` + ipykernel, locked to pylock.toml) built twice
with different pins, then, in one run on one machine:

* rollback: ``kernelenv rollback`` (switch the live link, restore the lock: no solve, no
  network) vs ``kernelenv rebuild`` of the same lock from a warm uv cache, both as the
  CLI a user runs (process start included) and the engine call alone;
* archive: its size, ``kernelenv export --format archive`` time, and ``kernelenv create
  --from ARCHIVE`` with an empty uv cache and an unreachable index vs ``kernelenv create``
  of the same project from a warm cache;
* real disk use of the two kept builds (hard links into uv's cache counted once).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def cli(*args: str, env: dict | None = None) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kernelenv", *args], check=True, capture_output=True,
                   env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)
    return time.perf_counter() - t


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs) * 1000:8.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kernelenv-bench-history-"))
    os.environ.setdefault("JUPYTER_DATA_DIR", str(work / "jupyter"))
    os.environ.setdefault("KERNELENV_STATE_HOME", str(work / "state"))
    os.environ.setdefault("UV_CACHE_DIR", str(REPO / ".cache" / "uv"))
    os.environ["PYTHONPATH"] = str(REPO)

    from kernelenv import api
    from kernelenv.history import fmt_bytes, list_builds

    root = work / "paper"
    root.mkdir()
    for pins in ("six==1.16.0\n", "six==1.17.0\nattrs==24.2.0\n"):
        (root / "requirements.txt").write_text(pins + "ipykernel\n")
        cli("lock", str(root))
        cli("create", str(root))
    first, second = [b.id for b in list_builds(root)]

    rb_cli, rb_api, rebuild = [], [], []
    for _ in range(args.repeat):
        rb_cli.append(cli("rollback", str(root), first))
        rb_cli.append(cli("rollback", str(root), second))
        project = api.find_project(root)
        t = time.perf_counter()
        api.rollback(project, first)
        rb_api.append(time.perf_counter() - t)
        api.rollback(project, second)
    for _ in range(args.repeat):
        rebuild.append(cli("rebuild", str(root), env={"KERNELENV_HISTORY": "1"}))
    hist = api.history(api.find_project(root))

    out = work / "paper.tar.gz"
    export = [cli("export", str(root), "--format", "archive", "-o", str(out))]
    dead = "http://127.0.0.1:9/simple"
    offline, warm = [], []
    for i in range(args.repeat):
        dest = work / f"from-archive-{i}"
        cache = work / f"empty-cache-{i}"
        offline.append(cli("create", "--from", str(out), str(dest),
                           env={"UV_CACHE_DIR": str(cache), "UV_INDEX_URL": dead, "UV_DEFAULT_INDEX": dead}))
        cli("purge", str(dest))
        copy = work / f"copy-{i}"
        copy.mkdir()
        for f in ("requirements.txt", "pylock.toml"):
            shutil.copy(root / f, copy / f)
        warm.append(cli("create", str(copy)))
        cli("purge", str(copy))

    print(f"bench_history: {args.repeat} repeats, medians; one small uv project (six, attrs, ipykernel)")
    print(f"  rollback (CLI, process start included) {med(rb_cli)}")
    print(f"  rollback (engine call)                 {med(rb_api)}")
    print(f"  rebuild from the lock, warm uv cache   {med(rebuild)}   ratio rollback/rebuild "
          f"{statistics.median(rb_cli) / statistics.median(rebuild):.3f}")
    print(f"  earlier builds: {fmt_bytes(hist['disk']['apparent'])} apparent, "
          f"{fmt_bytes(hist['disk']['freed'])} of their own on disk")
    print(f"  archive: {fmt_bytes(out.stat().st_size)}, export {med(export)}")
    print(f"  create --from archive, empty uv cache, no index {med(offline)}")
    print(f"  create from the lock, warm uv cache           {med(warm)}   ratio "
          f"{statistics.median(offline) / statistics.median(warm):.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
