"""Benchmark: kernelenv create vs raw uv vs plain venv+pip, and status on an up-to-date project.

Run: ``.venv/bin/python bench/bench_create.py [--project CORPUS_FOLDER] [--repeat N]``.
Prints one table; the numbers in docs/benchmarks.md come from this script. Every tool
uses the same warm uv cache (``UV_CACHE_DIR``), and pip its own warm cache, so the ratio
measures kernelenv's overhead rather than downloads. All installs include ipykernel,
since a kernel needs it.
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
CORPUS = Path(os.environ.get("KERNELENV_CORPUS", REPO.parent / "shared" / "corpus"))


def _time(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", default="binder-examples__requirements")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from kernelenv.interpreters import choose
    from kernelenv.uvtool import uv_bin

    work = Path(tempfile.mkdtemp(prefix="kernelenv-bench-"))
    env = {**os.environ, "JUPYTER_DATA_DIR": str(work / "jupyter")}  # uv: UV_CACHE_DIR or its user cache
    src = CORPUS / args.project
    req = src / "requirements.txt"
    runtime = (src / "runtime.txt").read_text().strip().removeprefix("python-") if (src / "runtime.txt").exists() else None
    python = str(choose(runtime).path)
    uv = uv_bin()
    rows: dict[str, list[float]] = {k: [] for k in ("kernelenv create", "uv venv + uv pip install",
                                                    "python -m venv + pip install", "kernelenv status (ready)")}
    # Warm both caches once.
    warm = work / "warm"
    subprocess.run([uv, "venv", "-q", "--python", python, str(warm)], check=True, env=env)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(warm / "bin/python"), "-r", str(req), "ipykernel"],
                   check=True, env=env)
    subprocess.run([python, "-m", "venv", str(work / "warm-pip")], check=True)
    subprocess.run([str(work / "warm-pip/bin/pip"), "install", "-q", "-r", str(req), "ipykernel"], check=True)
    for i in range(args.repeat):
        proj = work / f"p{i}"
        shutil.copytree(src, proj)
        rows["kernelenv create"].append(_time([sys.executable, "-m", "kernelenv", "create", str(proj)], env))
        statuses = [_time([sys.executable, "-m", "kernelenv", "status", str(proj)], env) for _ in range(5)]
        rows["kernelenv status (ready)"].append(statistics.median(statuses))
        v = work / f"uv{i}"
        rows["uv venv + uv pip install"].append(
            _time([uv, "venv", "-q", "--python", python, str(v)], env)
            + _time([uv, "pip", "install", "-q", "--python", str(v / "bin/python"), "-r", str(req), "ipykernel"], env))
        pv = work / f"pip{i}"
        rows["python -m venv + pip install"].append(
            _time([python, "-m", "venv", str(pv)], env)
            + _time([str(pv / "bin/pip"), "install", "-q", "-r", str(req), "ipykernel"], env))
    base = statistics.median(rows["uv venv + uv pip install"])
    print(f"project: {args.project} (Python {runtime or 'default'}), {args.repeat} runs, warm caches")
    print(f"{'what':<32} {'median s':>9} {'min s':>7} {'vs raw uv':>10}")
    for name, vals in rows.items():
        med = statistics.median(vals)
        print(f"{name:<32} {med:>9.2f} {min(vals):>7.2f} {med / base:>9.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
