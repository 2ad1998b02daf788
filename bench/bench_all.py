"""Benchmark: the rows of issue 15, kernelenv against its baseline measured in the same run.

Run: ``make bench`` or ``.venv/bin/python bench/bench_all.py [--repeat N] [--rows status,create,...]``.

Each row runs kernelenv's command and its baseline alternately (interleaved, so a load spike
hits both), ``--repeat`` times, and prints the medians and their ratio, the fastest run of each
side and their ratio (uv here now and then spends ~6 s in "marker environment resolution" for
one install, whichever side runs it; the fastest runs are free of such stalls), the load average (1 min)
before and after the row and whether bytecode was on for kernelenv's own modules. Rows:

* ``status``: ``kernelenv status`` (the console script) on a ready requirements project vs
  ``python -c pass``, in four rows: answered from the answer cache (kernelenv/answercache.py);
  the same right after a notebook was added in the project folder (still the answer cache:
  the folder is compared as detection scans it); computed after a package was installed by
  hand in its env (the answer cache misses: status reports the drift; detection comes from
  its memo, kernelenv/projectmemo.py); and computed with both off (``KERNELENV_ANSWER_CACHE=0``); with
  ../shared/corpus, the answer-cache row on a ready uv.lock project
  (kriti-ach__SharedControlPaper) vs ``uv sync --frozen --dry-run``;
* ``detect``: ``kernelenv detect`` as a process vs ``find -type f`` on bench_detect.py's
  20,000-file tree, in the same four rows (the memo row after a new folder in the tree);
* ``create``: ``kernelenv create`` of the in-repo fixture ``binder-examples__requirements``
  vs ``uv venv`` + ``uv pip install -r requirements.txt ipykernel pip`` into a new folder;
  and the first ``kernelenv status`` right after each create (the answer the build left in
  the answer cache) vs ``python -c pass``;
* ``rebuild``: ``kernelenv rebuild`` of that project vs the same raw uv calls;
* ``uvlock`` (needs ../shared/corpus): ``kernelenv create`` and ``kernelenv rebuild`` of a
  uv.lock project (kriti-ach__SharedControlPaper, 52 packages) vs ``uv sync --frozen`` into
  a fresh copy of it with the same interpreter, and vs that plus ``uv pip install pip`` at
  the version kernelenv pinned for the lock (the same env kernelenv builds);
* ``kernel``: the first kernel start (jupyter_client, start to ``kernel_info`` reply) after
  ``kernelenv create`` vs a warm start of the same kernel, both with
  ``PYTHONDONTWRITEBYTECODE=1``; and the same for the raw uv env (what kernelenv saves);
* ``conda``, ``kernelspecs``, ``lsp``: run bench_conda.py, bench_kernelspecs.py and
  bench_lsp.py (their own tables).

Defaults write nothing into the checkout: every env, project copy, Jupyter dir and
kernelenv's bytecode (``PYTHONPYCACHEPREFIX``, so kernelenv runs from bytecode as an installed
package does) live in one temp folder, removed at the end; uv uses ``UV_CACHE_DIR`` if set,
else its own user cache. Caches are warmed once before timing, so ratios measure
kernelenv's overhead, not downloads.
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
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "projects" / "binder-examples__requirements"
ROWS = ("status", "detect", "create", "rebuild", "uvlock", "kernel", "conda", "kernelspecs", "lsp")
CORPUS = Path(os.environ.get("KERNELENV_CORPUS", REPO.parent / "shared" / "corpus"))


def _load() -> float:
    return os.getloadavg()[0]


def _run(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    # Flush what earlier runs wrote first: with several envs' files dirty, the kernel throttles
    # whichever process writes next (seen here as 6 s instead of 1.2 s for either side).
    os.sync()
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


class Bench:
    """Collects rows and prints them as one table."""

    def __init__(self, work: Path, repeat: int) -> None:
        self.work = work
        self.repeat = repeat
        self.lines: list[str] = []
        pyc = work / "pycache"
        self.env = {**os.environ, "JUPYTER_DATA_DIR": str(work / "jupyter"),
                    "KERNELENV_STATE_HOME": str(work / "kernelenv-home"),
                    "KERNELENV_CACHE_HOME": str(work / "kernelenv-cache"),
                    "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(pyc)}
        self.env.pop("VIRTUAL_ENV", None)
        # kernelenv's own modules run from bytecode, as an installed package does: compiled once
        # into the temp folder's prefix (read there even where PYTHONDONTWRITEBYTECODE is set).
        self.ke = [sys.executable, "-m", "kernelenv"]
        script = Path(sys.executable).parent / "kernelenv"  # what users run (no runpy)
        self.cli = [str(script)] if script.is_file() else self.ke
        # One untimed create + status with writing on fills the prefix for every module they import.
        writing = {k: v for k, v in self.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        warm = work / "warm-project"
        shutil.copytree(FIXTURE, warm)
        for cmd in ("create", "status"):
            subprocess.run([*self.ke, cmd, str(warm)], env=writing, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        self.dont_write = os.environ.get("PYTHONDONTWRITEBYTECODE", "")
        self.bytecode = (f"kernelenv's modules from bytecode (PYTHONPYCACHEPREFIX in the temp folder); "
                         f"PYTHONDONTWRITEBYTECODE={self.dont_write or '(unset)'} for everything else")

    def row(self, what: str, ours: list[float], base_name: str, base: list[float], load: tuple[float, float]) -> None:
        m, b = statistics.median(ours), statistics.median(base)
        lo, blo = min(ours), min(base)
        self.lines.append(f"| {what} | {m * 1000:.0f} ms | {base_name} {b * 1000:.0f} ms | {m / b:.2f}x | "
                          f"{lo * 1000:.0f} / {blo * 1000:.0f} ms = {lo / blo:.2f}x | {load[0]:.2f} / {load[1]:.2f} |")
        print(self.lines[-1], flush=True)

    # ------------------------------------------------------------------ rows
    def project(self, name: str) -> Path:
        dest = self.work / name
        shutil.copytree(FIXTURE, dest)
        return dest

    def status(self) -> None:
        from kernelenv.layout import site_packages

        proj = self.work / "warm-project"  # ready: created in __init__
        site = site_packages((proj / ".venv").resolve())[0]

        def hand_install(i: int) -> None:  # what `!pip install` leaves (a distribution's metadata)
            dist = site / f"bench_hand_{i}-1.0.dist-info"
            dist.mkdir()
            (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bench-hand-{i}\nVersion: 1.0\n")

        self._cached_and_computed("status", proj, "ready requirements project", "`python -c pass`",
                                  [sys.executable, "-c", "pass"], self.repeat * 5,
                                  ("a package installed by hand in its env", hand_install))
        self._status_uvlock()

    def _cached_and_computed(self, command: str, path: Path, what: str, base_name: str, base_argv: list[str],
                             runs: int, miss: tuple[str, Callable[[int], None]]) -> None:
        """Four rows of ``kernelenv COMMAND PATH``, each against ``base_argv``: answered from the
        answer cache; the same after a notebook was added in PATH (the answer cache compares the
        folder as detection scans it); computed after ``miss`` (a change the answer depends on
        but detection does not: detection comes from its memo, kernelenv/projectmemo.py); and
        computed with both off (``KERNELENV_ANSWER_CACHE=0``)."""
        from kernelenv.answercache import RACY_SECONDS

        uncached = {**self.env, "KERNELENV_ANSWER_CACHE": "0"}
        # the bytecode of every module this command imports (detect reads YAML, TOML, MatchSpecs
        # that create/status of the warm-up project never did), as an installed package has it
        _run([*self.cli, command, str(path)], {k: v for k, v in uncached.items() if k != "PYTHONDONTWRITEBYTECODE"})
        _run([*self.cli, command, str(path)], self.env)  # fills detection's memo
        time.sleep(RACY_SECONDS + 0.2)  # the files out of the racy window: the next answer is stored
        _run([*self.cli, command, str(path)], self.env)
        what_miss, make_miss = miss
        l0 = _load()
        ours, notebook, memo, computed, base = [], [], [], [], []
        for i in range(runs):
            ours.append(_run([*self.cli, command, str(path)], self.env))
            (path / f"bench-notebook-{i}.ipynb").write_text("{}")
            notebook.append(_run([*self.cli, command, str(path)], self.env))
            make_miss(i)
            memo.append(_run([*self.cli, command, str(path)], self.env))
            computed.append(_run([*self.cli, command, str(path)], uncached))
            base.append(_run(base_argv, self.env))
            time.sleep(RACY_SECONDS + 0.2)  # what this run changed ages, so the next answer is stored
            _run([*self.cli, command, str(path)], self.env)
        load = (l0, _load())
        self.row(f"`kernelenv {command}`, {what} (answer cache)", ours, base_name, base, load)
        self.row(f"`kernelenv {command}`, same, a notebook just added in it (answer cache)", notebook, base_name,
                 base, load)
        self.row(f"`kernelenv {command}`, same, computed after {what_miss} (detection from its memo)", memo,
                 base_name, base, load)
        self.row(f"`kernelenv {command}`, same, computed (`KERNELENV_ANSWER_CACHE=0`: no answer cache, no memo)",
                 computed, base_name, base, load)

    def _status_uvlock(self) -> None:
        src = CORPUS / "kriti-ach__SharedControlPaper"
        if not src.is_dir():
            print(f"(uv.lock status row skipped: needs the corpus at {CORPUS})", flush=True)
            return
        from kernelenv.answercache import RACY_SECONDS
        from kernelenv.uvtool import uv_bin

        proj = self.work / "uvlock"
        shutil.copytree(src, proj, ignore=shutil.ignore_patterns("SOURCE.txt"))
        subprocess.run([*self.ke, "create", str(proj)], check=True, env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        time.sleep(RACY_SECONDS + 0.2)
        _run([*self.cli, "status", str(proj)], self.env)
        uv_env = {**{k: v for k, v in self.env.items() if k != "PYTHONPATH"},
                  "UV_PROJECT_ENVIRONMENT": str(proj / ".venv")}
        uv = [uv_bin(), "sync", "--frozen", "--dry-run", "--quiet"]
        l0 = _load()
        ours, base = [], []
        for _ in range(self.repeat * 5):
            ours.append(_run([*self.cli, "status", str(proj)], self.env))
            base.append(_run(uv, uv_env, cwd=proj))
        self.row("`kernelenv status`, ready uv.lock project (answer cache)", ours, "`uv sync --frozen --dry-run`",
                 base, (l0, _load()))

    def detect(self) -> None:
        sys.path.insert(0, str(REPO / "bench"))
        from bench_detect import make_tree

        tree = self.work / "tree"
        n, _ = make_tree(tree, 20_000)
        self._cached_and_computed("detect", tree, f"{n} files (process)", "`find -type f`",
                                  ["find", str(tree), "-type", "f"], self.repeat * 3,
                                  ("a new folder in the tree", lambda i: (tree / f"bench-folder-{i}").mkdir()))

    def _raw_uv(self, dest: Path, python: str, *, compile_bytecode: bool = False) -> float:
        from kernelenv.uvtool import uv_bin

        uv = uv_bin()
        env = {k: v for k, v in self.env.items() if k != "PYTHONPATH"}
        extra = ["--compile-bytecode"] if compile_bytecode else []
        return (_run([uv, "venv", "-q", "--python", python, str(dest)], env)
                + _run([uv, "pip", "install", "-q", *extra, "--python", str(dest / "bin" / "python"), "-r",
                        str(FIXTURE / "requirements.txt"), "ipykernel", "pip"], env))

    def _python(self) -> str:
        from kernelenv.interpreters import choose

        runtime = (FIXTURE / "runtime.txt").read_text().strip().removeprefix("python-")
        return str(choose(runtime).path)

    def create(self) -> None:
        python = self._python()
        self._raw_uv(self.work / "warm-uv", python)  # warm uv's cache
        l0 = _load()
        ours, base, base_bc, first_status, start = [], [], [], [], []
        for i in range(self.repeat):
            proj = self.project(f"c{i}")
            ours.append(_run([*self.ke, "create", str(proj)], self.env))
            first_status.append(_run([*self.cli, "status", str(proj)], self.env))  # within the racy window
            start.append(_run([sys.executable, "-c", "pass"], self.env))
            base.append(self._raw_uv(self.work / f"uv{i}", python))
            base_bc.append(self._raw_uv(self.work / f"uvbc{i}", python, compile_bytecode=True))
        self.row("`kernelenv create`, 44-package requirements (incl. verify + kernel bytecode)", ours,
                 "`uv venv` + `uv pip install`", base, (l0, _load()))
        self.row("`kernelenv create`, same runs", ours,
                 "`uv venv` + `uv pip install --compile-bytecode`", base_bc, (l0, _load()))
        self.row("first `kernelenv status` right after each `kernelenv create` (the answer the build left)",
                 first_status, "`python -c pass`", start, (l0, _load()))
        writing = {k: v for k, v in self.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        l0 = _load()
        ours, base = [], []
        for i in range(self.repeat):
            ours.append(_run([*self.ke, "create", str(self.project(f"cw{i}"))], writing))
            base.append(self._raw_uv(self.work / f"uvw{i}", python))
        self.row("`kernelenv create`, bytecode writing on (no kernel warm-up at build)", ours,
                 "`uv venv` + `uv pip install`", base, (l0, _load()))

    def rebuild(self) -> None:
        python = self._python()
        proj = self.work / "c0"
        if not proj.exists():
            subprocess.run([*self.ke, "create", str(self.project("c0"))], check=True, env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        l0 = _load()
        ours, base = [], []
        for i in range(self.repeat):
            ours.append(_run([*self.ke, "rebuild", str(proj)], self.env))
            base.append(self._raw_uv(self.work / f"uvr{i}", python))
        self.row("`kernelenv rebuild`, same project", ours, "`uv venv` + `uv pip install`", base, (l0, _load()))

    def uvlock(self) -> None:
        src = CORPUS / "kriti-ach__SharedControlPaper"
        if not src.is_dir():
            print(f"(uv.lock create/rebuild rows skipped: needs the corpus at {CORPUS})", flush=True)
            return
        from kernelenv.interpreters import choose
        from kernelenv.uvtool import uv_bin

        python = str(choose(">=3.12").path)  # its requires-python; kernelenv picks the same one
        raw_env = {k: v for k, v in self.env.items() if k != "PYTHONPATH"}

        def copy(name: str) -> Path:
            dest = self.work / name
            shutil.copytree(src, dest, ignore=shutil.ignore_patterns("SOURCE.txt"))
            return dest

        def raw(name: str) -> float:
            dest = copy(name)
            # --no-install-workspace: as kernelenv does here (the corpus copy has the env files,
            # not the package's sources, so uv could not build the project itself)
            return _run([uv_bin(), "sync", "--frozen", "--no-install-workspace", "--quiet", "--python", python],
                        {**raw_env, "UV_PROJECT_ENVIRONMENT": str(dest / ".venv")}, cwd=dest)

        def raw_same_env(name: str) -> float:  # the same env as kernelenv's: the lock's packages and pip
            took = raw(name)
            return took + _run([uv_bin(), "pip", "install", "--quiet", "--offline", "--python",
                                str(self.work / name / ".venv" / "bin" / "python"), pip], raw_env)

        from kernelenv.state import read_state

        raw("uvlock-warm")  # warm uv's cache
        l0 = _load()
        ours, base, same = [], [], []
        for i in range(self.repeat):
            ours.append(_run([*self.ke, "create", str(copy(f"ul{i}"))], self.env))
            if i == 0:  # the pip kernelenv pinned for this lock (kernel_pins), for the same-env baseline
                pip = next(p for p in read_state(self.work / "ul0")["kernel_pins"]["pins"] if p.startswith("pip=="))
            base.append(raw(f"ulraw{i}"))
            same.append(raw_same_env(f"ulsame{i}"))
        load = (l0, _load())
        self.row("`kernelenv create`, uv.lock project (52 packages, incl. pip for `%pip`)", ours,
                 "`uv sync --frozen` into a fresh copy", base, load)
        self.row("`kernelenv create`, same runs", ours, "`uv sync --frozen` + `uv pip install pip` (the same env)",
                 same, load)
        l0 = _load()
        ours, base, same = [], [], []
        for i in range(self.repeat):
            ours.append(_run([*self.ke, "rebuild", str(self.work / "ul0")], self.env))
            base.append(raw(f"ulrawr{i}"))
            same.append(raw_same_env(f"ulsamer{i}"))
        load = (l0, _load())
        self.row("`kernelenv rebuild`, same uv.lock project", ours, "`uv sync --frozen` into a fresh copy", base,
                 load)
        self.row("`kernelenv rebuild`, same runs", ours, "`uv sync --frozen` + `uv pip install pip` (the same env)",
                 same, load)

    def kernel(self) -> None:
        python = self._python()
        l0 = _load()
        first, warm, raw_first, raw_warm = [], [], [], []
        for i in range(self.repeat):
            proj = self.project(f"k{i}")
            subprocess.run([*self.ke, "create", str(proj)], check=True, env=self.env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            py = proj / ".venv" / "bin" / "python"
            first.append(_kernel_start(py))
            _kernel_start(py, write_bytecode=True)  # every module a kernel start loads now has its .pyc
            warm.append(_kernel_start(py))
            raw = self.work / f"kraw{i}"
            self._raw_uv(raw, python)
            raw_py = raw / "bin" / "python"
            raw_first.append(_kernel_start(raw_py))
            _kernel_start(raw_py, write_bytecode=True)
            raw_warm.append(_kernel_start(raw_py))
        self.row("first kernel start after `kernelenv create` (PYTHONDONTWRITEBYTECODE=1)", first,
                 "warm start, all its bytecode written", warm, (l0, _load()))
        self.row("first kernel start in a raw `uv pip install` env (PYTHONDONTWRITEBYTECODE=1)", raw_first,
                 "warm start, all its bytecode written", raw_warm, (l0, _load()))

    def script(self, name: str, *args: str) -> None:
        print(f"\n## {name}\nload average before: {_load():.2f}", flush=True)
        subprocess.run([sys.executable, str(REPO / "bench" / name), *args], env=self.env, check=False)


def _kernel_start(python: Path, *, write_bytecode: bool = False) -> float:
    """Seconds from launching ``python -m ipykernel_launcher`` to its ``kernel_info`` reply,
    with ``PYTHONDONTWRITEBYTECODE=1`` unless ``write_bytecode``."""
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class _One(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(argv=[str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="bench", language="python")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONPYCACHEPREFIX")}
    if write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    km = KernelManager(kernel_name="bench", kernel_spec_manager=_One())
    os.sync()  # as in _run
    t0 = time.perf_counter()
    km.start_kernel(env=env, stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        return time.perf_counter() - t0
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per row (status: 5x this)")
    ap.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {', '.join(ROWS)}")
    args = ap.parse_args()
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    sys.path.insert(0, str(REPO))
    work = Path(tempfile.mkdtemp(prefix="kernelenv-bench-all-"))
    b = Bench(work, args.repeat)
    try:
        print(f"kernelenv bench, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
              f"median of {args.repeat} interleaved runs (status: {args.repeat * 5}); bytecode: {b.bytecode}; "
              f"uv cache: {os.environ.get('UV_CACHE_DIR', 'uv default')}\n")
        print("| what | kernelenv | baseline (same run) | ratio (medians) | fastest runs | load avg before / after |")
        print("|---|---|---|---|---|---|", flush=True)
        for r in rows:
            if r in ("status", "detect", "create", "rebuild", "uvlock", "kernel"):
                getattr(b, r)()
        for r, script, extra in (("conda", "bench_conda.py", ["--repeat", str(args.repeat)]),
                                 ("kernelspecs", "bench_kernelspecs.py", []), ("lsp", "bench_lsp.py", [])):
            if r in rows:
                b.script(script, *extra)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
