"""Benchmark: kernelenv.detect() on a generated 20,000-file tree.

The tree (in a temp folder, deleted afterwards) looks like a large monorepo: 40 project
folders each with requirements.txt / pyproject.toml / environment.yml, source packages
with many modules, notebooks, data files, and the folders detection must prune
(.git objects, node_modules, a .venv with pyvenv.cfg, __pycache__, build/). It prints
the median and p95 of ``detect()`` over several runs, plus ``find_project()`` from a
deep notebook path. Run: ``python bench/bench_detect.py [--files N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def make_tree(root: Path, n_files: int, junk: bool = True) -> tuple[int, Path]:
    """Create about ``n_files`` files under ``root``; return (files written, a deep notebook).

    With ``junk`` the filler goes to folders detection prunes (.git, node_modules,
    .venv, build/); without it, to project source folders that must all be scanned.
    """
    count = 0

    def touch(p: Path, text: str = "x\n") -> None:
        nonlocal count
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        count += 1

    deep_nb = root
    n_projects = 40
    for i in range(n_projects):
        proj = root / f"group{i % 5}" / f"project{i}"
        kind = i % 4
        if kind == 0:
            touch(proj / "requirements.txt", "numpy\npandas>=2\nmatplotlib\n")
        elif kind == 1:
            touch(proj / "pyproject.toml", f'[project]\nname = "p{i}"\nversion = "0"\n'
                  'requires-python = ">=3.10"\ndependencies = ["numpy", "scipy"]\n')
        elif kind == 2:
            touch(proj / "environment.yml", "channels: [conda-forge]\ndependencies:\n"
                  "  - python=3.11\n  - numpy\n")
        else:
            touch(proj / "Pipfile", '[packages]\nnumpy = "*"\n')
            touch(proj / "runtime.txt", "python-3.11\n")
        for d in range(6):
            for m in range(12):
                touch(proj / "src" / f"pkg{i}" / f"sub{d}" / f"mod{m}.py", "def f():\n    return 1\n")
        for nb in range(4):
            deep_nb = proj / "notebooks" / "analysis" / f"nb{nb}.ipynb"
            touch(deep_nb, "{}\n")
        for k in range(20):
            touch(proj / "data" / f"part{k}.csv", "a,b\n1,2\n")
    # Folders that must be pruned.
    i = 0
    while count < n_files:
        if not junk:
            touch(root / f"group{i % 5}" / f"project{i % 40}" / "docs" / f"d{i % 97}" / f"page{i}.md")
            i += 1
            continue
        bucket = i % 4
        if bucket == 0:
            touch(root / ".git" / "objects" / f"{i % 256:02x}" / f"obj{i}")
        elif bucket == 1:
            touch(root / "node_modules" / f"pkg{i % 300}" / "lib" / f"f{i}.js")
        elif bucket == 2:
            touch(root / ".venv" / "lib" / "python3.11" / "site-packages" / f"m{i % 400}" / f"f{i}.py")
        else:
            touch(root / "group0" / "project0" / "build" / "lib" / f"f{i}.py")
        i += 1
    touch(root / ".venv" / "pyvenv.cfg", "home = /usr/bin\n")
    return count, deep_nb


def timeit(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of ``runs`` calls (CPU time is robust to a busy machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return wall, cpu


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def main(argv: list[str] | None = None) -> int:
    """Build the tree, time detect() and find_project(), print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=9)
    args = ap.parse_args(argv)

    from kernelenv.detect import detect, find_project

    print(f"{'tree':<42}{'files':>7}{'projects':>10}{'median':>11}{'p95':>11}{'cpu median':>12}")
    for label, junk in (("typical (2/3 in pruned folders)", True), ("worst (nothing pruned)", False)):
        tmp = Path(tempfile.mkdtemp(prefix="kernelenv-bench-detect-"))
        try:
            n, deep_nb = make_tree(tmp, args.files, junk=junk)
            projects = detect(tmp)  # warm-up (imports, OS cache)
            det, cpu = timeit(lambda t=tmp: detect(t), args.runs)
            print(f"{'detect: ' + label:<42}{n:>7}{len(projects):>10}"
                  f"{statistics.median(det) * 1000:>9.1f}ms{p95(det) * 1000:>9.1f}ms"
                  f"{statistics.median(cpu) * 1000:>10.1f}ms")
            if junk:
                fp, fcpu = timeit(lambda nb=deep_nb, t=tmp: find_project(nb, workspace=t),
                                  max(args.runs, 20))
                print(f"{'find_project(deep notebook)':<42}{'':>7}{1:>10}"
                      f"{statistics.median(fp) * 1000:>9.2f}ms{p95(fp) * 1000:>9.2f}ms"
                      f"{statistics.median(fcpu) * 1000:>10.2f}ms")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"({args.runs} runs of detect, warm OS cache; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
