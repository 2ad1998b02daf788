"""Benchmark: kernelenv's conda backend vs raw py-rattler calls on the same specs (local channel).

Run: ``.venv/bin/python bench/bench_conda.py [--repeat N]``.

The env is the offline test env of ``tests/conda`` (a ``file://`` channel written by
:mod:`tests.conda.localchannel`: a venv-style python, noarch packages; plus a ``pip:``
entry from PyPI and ipykernel, installed with uv). Two comparisons, each with warm
caches (rattler's package cache, uv's cache), so the ratio measures kernelenv's
overhead, not downloads:

* create: ``kernelenv.api.create`` vs raw ``rattler.solve`` + ``rattler.install`` +
  ``uv pip install`` of the same pip lines (kernelenv also checks the env imports
  ipykernel, switches the live link, writes its state and registers the kernel);
* rebuild from the lock: ``kernelenv.api.rebuild`` (from conda-lock.yml) vs raw
  ``rattler.install`` of the same records + ``uv pip install --no-deps`` of the locked
  wheels; and the same raw calls with uv's ``--offline``, which is how kernelenv installs
  a lock's pip files when uv's cache holds them all (uv revalidates each cached URL
  wheel with the index on an online install).

Also prints ``kernelenv.api.status`` on the up-to-date env (no solver, no Python run).
"""

from __future__ import annotations

import argparse
import asyncio
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

PIP = ["iniconfig==2.1.0", "ipykernel"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kernelenv-bench-conda-"))
    os.environ.setdefault("JUPYTER_DATA_DIR", str(work / "jupyter"))
    os.environ.setdefault("KERNELENV_STATE_HOME", str(work / "state"))
    # uv: UV_CACHE_DIR if set, else its own user cache (never a cache in the checkout)

    import rattler

    from kernelenv import api
    from kernelenv.backends.rattler import locked_records
    from kernelenv.conda_channels import current_platform, virtual_packages
    from kernelenv.uvtool import uv_bin, uv_env
    from tests.conda.conftest import write_env
    from tests.conda.localchannel import build_channel

    channel = build_channel(work / "channel")
    mm = "%d.%d" % sys.version_info[:2]
    specs = [f"python={mm}", "hello-conda<2", "hello-shell"]
    uv = uv_bin()
    plat = current_platform()

    def raw_create(prefix: Path) -> None:
        records = asyncio.run(rattler.solve([channel.as_uri()], specs, platforms=[plat, "noarch"],
                                            virtual_packages=virtual_packages(plat)))
        asyncio.run(rattler.install(records, prefix, show_progress=False))
        subprocess.run([uv, "pip", "install", "-q", "--python", str(prefix / "bin/python"), *PIP],
                       check=True, env=uv_env())

    def raw_rebuild(prefix: Path, lock: Path, *offline: str) -> None:
        records, pip = locked_records(lock, plat)
        asyncio.run(rattler.install(records, prefix, show_progress=False))
        req = prefix.parent / f"{prefix.name}-locked.txt"
        req.write_text("".join(f"{p.name} @ {p.url} --hash=sha256:{p.sha256}\n" for p in pip))
        subprocess.run([uv, "pip", "install", "-q", "--no-deps", "--require-hashes", *offline, "--python",
                        str(prefix / "bin/python"), "-r", str(req)], check=True, env=uv_env())

    # Warm every cache once (and make the lock the rebuild rows use).
    warm = work / "warm"
    write_env(warm, channel, specs, PIP[:1], name="benchwarm")
    [project] = api.detect(warm)
    api.create(project)
    lock = api.lock(project)
    raw_create(work / "raw-warm")

    rows: dict[str, list[float]] = {k: [] for k in (
        "kernelenv create", "raw rattler solve+install + uv pip", "kernelenv rebuild (conda-lock)",
        "raw rattler install + uv pip (lock)", "raw, uv pip --offline (lock)", "kernelenv status (ready)")}
    for i in range(args.repeat):
        root = work / f"p{i}"
        write_env(root, channel, specs, PIP[:1], name=f"bench{i}")
        [project] = api.detect(root)
        t = time.perf_counter()
        api.create(project)
        rows["kernelenv create"].append(time.perf_counter() - t)
        t = time.perf_counter()
        raw_create(work / f"raw{i}")
        rows["raw rattler solve+install + uv pip"].append(time.perf_counter() - t)

        shutil.copy(lock, root / "conda-lock.yml")
        [project] = api.detect(root)
        t = time.perf_counter()
        api.rebuild(project)
        rows["kernelenv rebuild (conda-lock)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        raw_rebuild(work / f"rawlock{i}", lock)
        rows["raw rattler install + uv pip (lock)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        raw_rebuild(work / f"rawoffline{i}", lock, "--offline")
        rows["raw, uv pip --offline (lock)"].append(time.perf_counter() - t)

        statuses = []
        for _ in range(5):
            t = time.perf_counter()
            api.status(project)
            statuses.append(time.perf_counter() - t)
        rows["kernelenv status (ready)"].append(statistics.median(statuses))

    med = {k: statistics.median(v) for k, v in rows.items()}
    ratio = {"kernelenv create": med["kernelenv create"] / med["raw rattler solve+install + uv pip"],
             "kernelenv rebuild (conda-lock)": med["kernelenv rebuild (conda-lock)"]
             / med["raw rattler install + uv pip (lock)"]}
    offline = med["kernelenv rebuild (conda-lock)"] / med["raw, uv pip --offline (lock)"]
    print(f"conda env on a local file:// channel ({len(specs)} conda specs + {len(PIP)} pip lines), "
          f"{args.repeat} runs, warm caches, Python {sys.version.split()[0]}")
    print(f"{'what':<38} {'median s':>9} {'min s':>7} {'vs raw':>8}")
    for name, vals in rows.items():
        r = f"{ratio[name]:>7.2f}x" if name in ratio else f"{'':>8}"
        print(f"{name:<38} {med[name]:>9.3f} {min(vals):>7.3f} {r}")
    print(f"kernelenv rebuild vs raw with uv pip --offline: {offline:.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
