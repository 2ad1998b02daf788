"""Benchmark: conda kernels with activate.d applied, and `kernelenv kernels --sync` with 50 envs.

1. Kernel start (jupyter_client ``KernelManager.start_kernel`` until ``kernel_info`` answers, then shut
   down) of one real conda env (rattler, the local channel of :mod:`tests.conda.localchannel`,
   with ``hello-activate``'s activate.d script), three ways: plain (PATH and CONDA_PREFIX
   only, no activate.d), activated with the computed variables in kernel.json (a plain export
   list), and activated through the ``/bin/sh`` launcher (a script that is not an export list).
   Issue 13's goal: activated ≤ 1.1× plain.
2. ``api.sync_env_kernels`` with 50 conda envs under a temporary HOME (``~/.conda/envs/env-NN``,
   each a link to the env above: discovery and kernelspec writing, not env size, are measured):
   cold (writes 100 kernelspecs: py and r for each), warm (nothing changed: nothing written),
   against jupyter_client's ``KernelSpecManager.install_kernel_spec`` of the same 100 folders.

Run: ``.venv/bin/python bench/bench_env_kernels.py [--starts 7] [--envs 50]``
"""

from __future__ import annotations

import argparse
import json
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


def kernel_starts(specs: list[dict], base: Path, starts: int) -> list[float]:
    """Median start time of each spec, the specs' starts interleaved and rotated (machine load
    and order effects hit all alike)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    managers = []
    for i, spec in enumerate(specs):
        d = base / "kernels" / f"bench{i}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        (d / "kernel.json").write_text(json.dumps(spec))
        managers.append((f"bench{i}", KernelSpecManager(kernel_dirs=[str(d.parent)])))
    times: list[list[float]] = [[] for _ in specs]
    for r in range(starts):
        for i in [(r + j) % len(managers) for j in range(len(managers))]:  # rotated: no order effect
            name, ksm = managers[i]
            t = time.perf_counter()
            km = KernelManager(kernel_name=name, kernel_spec_manager=ksm)
            km.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            times[i].append(time.perf_counter() - t)
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    return [statistics.median(t) for t in times]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=7)
    ap.add_argument("--envs", type=int, default=50)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kernelenv-bench-envkernels-"))
    os.environ["JUPYTER_DATA_DIR"] = str(work / "jupyter")
    os.environ.setdefault("KERNELENV_STATE_HOME", str(work / "state"))
    os.environ.setdefault("UV_CACHE_DIR", str(REPO / ".cache" / "uv"))

    from kernelenv import activation, api
    from kernelenv.envkernels import point_at_env
    from kernelenv.kernels import activation_env
    from tests.conda.conftest import write_env
    from tests.conda.localchannel import build_channel

    channel = build_channel(work / "channel")
    mm = "%d.%d" % sys.version_info[:2]
    root = work / "proj"
    write_env(root, channel, [f"python={mm}", "hello-activate", "r-irkernel-debian"], name="benchenv")
    (project,) = api.detect(root)
    api.create(project)
    prefix = Path(os.path.realpath(root / ".conda"))
    base_spec = {"argv": [str(prefix / "bin/python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                 "display_name": "bench", "language": "python"}

    plain = dict(base_spec, env=activation_env(prefix, "conda"))
    computed = point_at_env(base_spec, prefix, "conda")
    assert "HELLO_ACTIVATE" in computed["env"] and computed["argv"][0] != "/bin/sh"
    script = prefix / "etc/conda/activate.d/zz-bench.sh"
    script.write_text('if [ -n "$CONDA_PREFIX" ]; then export BENCH_SOURCED=1; fi\n')
    sourced = point_at_env(base_spec, prefix, "conda")
    assert sourced["argv"][0] == "/bin/sh"
    script.unlink()
    activation._cache.clear()

    kernel_starts([plain], work, 1)  # warm the page cache
    names = ["plain (PATH + CONDA_PREFIX)", "activated, computed into kernel.json", "activated, sourced by /bin/sh"]
    rows = list(zip(names, kernel_starts([plain, computed, sourced], work, args.starts)))
    t0 = rows[0][1]
    print(f"Kernel start, median of {args.starts} (jupyter_client start_kernel to kernel_info):")
    for name, t in rows:
        print(f"  {name:<40} {t * 1000:7.0f} ms  {t / t0:5.2f}x")

    home = work / "home"
    envs = home / ".conda" / "envs"
    envs.mkdir(parents=True)
    for i in range(args.envs):
        (envs / f"env-{i:02d}").symlink_to(prefix, target_is_directory=True)
    os.environ["HOME"] = str(home)
    for var in ("CONDA_ENVS_PATH", "CONDARC", "CONDA_ROOT", "MAMBA_ROOT_PREFIX", "CONDA_EXE", "WORKON_HOME"):
        os.environ.pop(var, None)
    kernels_dir = work / "jupyter" / "kernels"
    shutil.rmtree(kernels_dir, ignore_errors=True)

    t = time.perf_counter()
    report = api.sync_env_kernels()
    cold = time.perf_counter() - t
    t = time.perf_counter()
    warm_report = api.sync_env_kernels()
    warm = time.perf_counter() - t
    assert not warm_report.written and len(report.written) == 2 * args.envs, report.to_dict()

    from jupyter_client.kernelspec import KernelSpecManager

    src = work / "raw-src"
    for name in report.written:
        shutil.copytree(kernels_dir / name, src / name)
    raw_dir = work / "raw-prefix"
    ksm = KernelSpecManager()
    t = time.perf_counter()
    for name in report.written:
        ksm.install_kernel_spec(str(src / name), kernel_name=name, prefix=str(raw_dir))
    raw = time.perf_counter() - t
    print(f"kernels --sync, {args.envs} conda envs ({len(report.written)} kernelspecs):")
    print(f"  {'cold (discover + write all)':<40} {cold * 1000:7.0f} ms  {cold / raw:5.2f}x raw install")
    print(f"  {'warm (discover, nothing changed)':<40} {warm * 1000:7.0f} ms  {warm / raw:5.2f}x raw install")
    print(f"  {'raw: jupyter_client install_kernel_spec':<40} {raw * 1000:7.0f} ms  1.00x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
