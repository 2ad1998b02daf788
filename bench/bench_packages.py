"""Benchmark: `kernelenv add` of one small package vs the raw tools, and `create` on a ready project vs `status`.

Run: ``.venv/bin/python bench/bench_packages.py [--repeat N]``.

Two projects of about 40 packages (``requests``, ``python-dateutil``, ``pyyaml`` and
ipykernel with their dependencies), warm uv cache, one small package (``six``) added and
removed again each round:

* a uv project (``pyproject.toml`` + ``uv.lock``): ``kernelenv add six`` (``uv add
  --no-sync``, then the env rebuilt aside and switched) vs ``uv add six`` (re-lock and
  sync in place);
* a requirements project locked to ``pylock.toml``: ``kernelenv add six`` (line edit,
  ``uv pip compile`` to pylock.toml, env rebuilt aside) vs ``uv pip install six`` into the
  env + the same ``uv pip compile``.

kernelenv's extra time is the safe build: a fresh env next to the live one, switched only
when complete. ``create`` on a ready, unchanged project does nothing; it is timed against
``status`` (both file reads only).
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
DEPS = ["requests", "python-dateutil", "pyyaml", "ipykernel"]


def _time(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from kernelenv.interpreters import choose
    from kernelenv.uvtool import uv_bin

    work = Path(tempfile.mkdtemp(prefix="kernelenv-bench-pkgs-"))
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(JUPYTER_DATA_DIR=str(work / "jupyter"), KERNELENV_STATE_HOME=str(work / "state"),
               UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(REPO / ".cache" / "uv")))
    uv, python = uv_bin(), str(choose(None).path)
    kernelenv = [sys.executable, "-m", "kernelenv"]
    deps = "".join(f'    "{d}",\n' for d in DEPS)
    pyproject = f'[project]\nname = "benchuv"\nversion = "0.1.0"\nrequires-python = ">=3.10"\ndependencies = [\n{deps}]\n'

    ke_uv, raw_uv, ke_req, raw_req = (work / n for n in ("ke-uv", "raw-uv", "ke-req", "raw-req"))
    for d in (ke_uv, raw_uv):
        d.mkdir()
        (d / "pyproject.toml").write_text(pyproject)
    subprocess.run([*kernelenv, "create", str(ke_uv)], check=True, env=env, capture_output=True)
    subprocess.run([uv, "sync", "-q", "--python", python], check=True, env=env, cwd=raw_uv)
    for d in (ke_req, raw_req):
        d.mkdir()
        (d / "requirements.txt").write_text("".join(f"{x}\n" for x in DEPS))
    subprocess.run([*kernelenv, "lock", str(ke_req)], check=True, env=env, capture_output=True)
    subprocess.run([*kernelenv, "create", str(ke_req)], check=True, env=env, capture_output=True)
    subprocess.run([uv, "venv", "-q", "--python", python, str(raw_req / ".venv")], check=True, env=env)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(raw_req / ".venv/bin/python"), *DEPS],
                   check=True, env=env)
    compile_ = [uv, "pip", "compile", "-q", "--universal", "--generate-hashes", "--format", "pylock.toml",
                "-o", "pylock.toml", "requirements.txt"]
    packages = len(list((ke_req / ".venv").resolve().glob("lib/python*/site-packages/*.dist-info")))

    rows: dict[str, list[float]] = {k: [] for k in (
        "uv project: kernelenv add", "uv project: uv add",
        "requirements: kernelenv add", "requirements: uv pip install + compile",
        "kernelenv create (ready)", "kernelenv status (ready)")}
    for _ in range(args.repeat):
        rows["uv project: kernelenv add"].append(_time([*kernelenv, "add", "six", "--project", str(ke_uv)], env))
        rows["uv project: uv add"].append(_time([uv, "add", "-q", "--python", python, "six"], env, raw_uv))
        rows["requirements: kernelenv add"].append(_time([*kernelenv, "add", "six", "--project", str(ke_req)], env))
        with open(raw_req / "requirements.txt", "a") as f:
            f.write("six\n")
        rows["requirements: uv pip install + compile"].append(
            _time([uv, "pip", "install", "-q", "--python", str(raw_req / ".venv/bin/python"), "six"], env)
            + _time(compile_, env, raw_req))
        rows["kernelenv create (ready)"].append(_time([*kernelenv, "create", str(ke_req)], env))
        rows["kernelenv status (ready)"].append(_time([*kernelenv, "status", str(ke_req)], env))
        # back to the starting point (not timed)
        subprocess.run([*kernelenv, "remove", "six", "--project", str(ke_uv)], check=True, env=env, capture_output=True)
        subprocess.run([uv, "remove", "-q", "six"], check=True, env=env, cwd=raw_uv)
        subprocess.run([*kernelenv, "remove", "six", "--project", str(ke_req)], check=True, env=env,
                       capture_output=True)
        (raw_req / "requirements.txt").write_text("".join(f"{x}\n" for x in DEPS))
        subprocess.run([uv, "pip", "uninstall", "-q", "--python", str(raw_req / ".venv/bin/python"), "six"],
                       check=True, env=env)

    med = {k: statistics.median(v) for k, v in rows.items()}
    base = {"uv project: kernelenv add": med["uv project: uv add"],
            "requirements: kernelenv add": med["requirements: uv pip install + compile"],
            "kernelenv create (ready)": med["kernelenv status (ready)"]}
    print(f"add one package to a ~{packages}-package env, {args.repeat} runs, warm uv cache")
    print(f"{'what':<42} {'median s':>9} {'min s':>7} {'ratio':>8}")
    for name, vals in rows.items():
        ratio = f"{med[name] / base[name]:.2f}x" if name in base else ""
        print(f"{name:<42} {med[name]:>9.2f} {min(vals):>7.2f} {ratio:>8}")
    print("ratio: kernelenv vs the raw tool on the line below it (create vs status for the last pair)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
