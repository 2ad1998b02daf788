"""Benchmark: kernelenv's KernelSpecManager vs jupyter_client's plain one, 50 project envs.

Issue 4's target: with 50 project envs, ``get_all_specs()`` of
``kernelenv_jupyter.kernelspecs.KernelenvKernelSpecManager`` stays within 1.5x of
``jupyter_client.kernelspec.KernelSpecManager`` reading the same 50 kernel.json files.

Setup (in a temp folder, nothing of the user's touched): 50 project folders, each with a
requirements.txt and a real venv made by ``uv venv`` (no packages: only the interpreter
path matters for listing), laid out and registered exactly as ``kernelenv create`` does
(``.kernelenv/envs/<build>``, the ``.venv`` link, state.json, kernel.json in the Jupyter
data dir). kernelenv's manager additionally knows the 50 projects (as after the server's
root_dir scan) and scans for conda envs and venvs, so it does strictly more work per call.

Run: ``.venv/bin/python bench/bench_kernelspecs.py [--projects 50] [--calls 200]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def setup(base: Path, n: int) -> list:
    os.environ["JUPYTER_DATA_DIR"] = str(base / "data")
    os.environ["JUPYTER_CONFIG_DIR"] = str(base / "config")
    from kernelenv import api
    from kernelenv.kernels import kernel_name, register
    from kernelenv.layout import envs_dir, live_link, python_in, switch_link
    from kernelenv.state import record_build
    from kernelenv.uvtool import uv_bin

    uv = uv_bin()
    projects = []
    for i in range(n):
        root = base / "ws" / f"project-{i:02d}"
        root.mkdir(parents=True)
        (root / "requirements.txt").write_text("six==1.17.0\n")
        project = api.find_project(root)
        build = envs_dir(root) / "b-bench"
        subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(build)], check=True,
                       stdin=subprocess.DEVNULL)
        link = live_link(root, "venv")
        switch_link(link, build)
        record_build(project, from_lock=False, build_dir=build, python_version="3.11.7", packages=1,
                     kernel_name=kernel_name(project), kernel_location={"user": True})
        register(project, python_in(link, "venv"), "3.11.7", env_path=link)
        projects.append(project)
    return projects


def timeit(fn, calls: int) -> tuple[float, float, float]:
    first = time.perf_counter()
    fn()
    cold = time.perf_counter() - first
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return cold, statistics.median(samples), min(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=50)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--new", type=int, default=20, help="new managers timed on their first call")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-kernelspecs-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        projects = setup(base, args.projects)
        print(f"setup: {args.projects} project envs (uv venv) in {time.perf_counter() - t0:.1f}s")

        from jupyter_client.kernelspec import KernelSpecManager

        from kernelenv_jupyter.kernelspecs import KernelenvKernelSpecManager

        plain = KernelSpecManager()
        ours = KernelenvKernelSpecManager()
        ours.note_projects(projects, under=base / "ws")
        n_plain, n_ours = len(plain.get_all_specs()), len(ours.get_all_specs())
        p_cold, p_med, p_min = timeit(plain.get_all_specs, args.calls)
        o_cold, o_med, o_min = timeit(ours.get_all_specs, args.calls)
        # invalidation: touch one state file and one kernel.json; the next call re-reads those only
        os.utime(projects[0].root / ".kernelenv" / "state.json")
        t1 = time.perf_counter()
        ours.get_all_specs()
        o_touch = time.perf_counter() - t1

        print(f"{'manager':<34}{'kernels':>8}{'first call':>12}{'median':>10}{'min':>10}")
        print(f"{'jupyter_client KernelSpecManager':<34}{n_plain:>8}{p_cold * 1e3:>10.2f}ms"
              f"{p_med * 1e3:>8.2f}ms{p_min * 1e3:>8.2f}ms")
        print(f"{'KernelenvKernelSpecManager':<34}{n_ours:>8}{o_cold * 1e3:>10.2f}ms"
              f"{o_med * 1e3:>8.2f}ms{o_min * 1e3:>8.2f}ms")
        print(f"after touching one state.json: {o_touch * 1e3:.2f}ms")
        ratio = o_med / p_med
        verdict = "OK" if ratio <= 1.5 else "OVER TARGET"
        print(f"ratio (median, kernelenv / plain): {ratio:.2f}x  (target <= 1.5x): {verdict}")

        # A new manager's first call (what a server start or a new kernel list pays), interleaved.
        firsts: dict[str, list[float]] = {"plain": [], "ours": []}
        for _ in range(args.new):
            t0 = time.perf_counter()
            KernelSpecManager().get_all_specs()
            firsts["plain"].append(time.perf_counter() - t0)
            m = KernelenvKernelSpecManager()
            m.note_projects(projects, under=base / "ws")
            t0 = time.perf_counter()
            m.get_all_specs()
            firsts["ours"].append(time.perf_counter() - t0)
        fp, fo = statistics.median(firsts["plain"]), statistics.median(firsts["ours"])
        print(f"a new manager's first call, median of {args.new}: plain {fp * 1e3:.2f}ms, kernelenv "
              f"{fo * 1e3:.2f}ms, ratio {fo / fp:.2f}x (target <= 1.5x), load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
