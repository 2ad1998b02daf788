"""Property-based fuzzing of every env-file reader (issue 17): mutants of real env files give a
result or the project's own error type, with a file and a line, within a time bound, and
detection of a folder holding the mutant never raises.

Seeds are the repository's own fixtures (``tests/fixtures/``: one small file per format in
``fuzz-seeds/`` plus the project fixtures) and, in a second test that skips when it is
absent, ``../shared/corpus``. Mutations are the ones that broke kernelenv before: inserted
structure characters, ``null``/numbers where strings go, long runs of one chunk (the
quadratic regex), deep bracket nesting, YAML aliases, invalid UTF-8, truncation.

Hypothesis runs derandomized (the same examples every run, no example database), about a
minute in all on CI's 2 cores. Real parsers, nothing mocked.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kernelenv import api
from kernelenv.errors import EnvFileError
from kernelenv.parsers.conda import read_environment_yml
from kernelenv.parsers.condalock import read_conda_lock, read_explicit
from kernelenv.parsers.lockcheck import check_lock
from kernelenv.parsers.locks import read_pins
from kernelenv.parsers.pipfile import read_pipfile
from kernelenv.parsers.pixi import read_pixi_lock, read_pixi_toml
from kernelenv.parsers.pyproject import read_pyproject
from kernelenv.parsers.python_request import from_python_version_file, from_runtime_txt
from kernelenv.parsers.requirements import read_requirements

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS = Path(os.environ.get("KERNELENV_CORPUS",
                             Path(__file__).resolve().parents[3] / "shared" / "corpus"))
#: Seconds one reader call (or one detection of the mutant's folder) may take. Generous:
#: the machine is shared; the quadratic pattern took minutes on the inputs drawn here.
BOUND = 10.0
#: Seed files larger than this are not mutated (parsing them dozens of times costs CI time).
MAX_SEED = 48 * 1024


def _lock_reader(kind: str) -> Callable[[Path], object]:
    def read(path: Path) -> object:
        errs = check_lock(path, kind)
        if errs:
            raise errs[0] if len(errs) == 1 else EnvFileError(errs[0].path, errs[0].detail, errs[0].line)
        return None
    return read


#: format -> (file name the mutant is written as, the reader, names of seed files)
FORMATS: dict[str, tuple[str, Callable[[Path], object], tuple[str, ...]]] = {
    "requirements": ("requirements.txt", read_requirements, ("requirements.txt", "requirements.in")),
    "environment.yml": ("environment.yml", read_environment_yml,
                        ("environment.yml", "environment.yaml", "environment-*.yml")),
    "pyproject": ("pyproject.toml", read_pyproject, ("pyproject.toml", "poetry-pyproject.toml")),
    "Pipfile": ("Pipfile", read_pipfile, ("Pipfile",)),
    "pixi.toml": ("pixi.toml", read_pixi_toml, ("pixi.toml",)),
    "runtime.txt": ("runtime.txt", from_runtime_txt, ("runtime.txt",)),
    "python-version": (".python-version", from_python_version_file, (".python-version",)),
    "uv.lock": ("uv.lock", read_pins, ("uv.lock",)),
    "poetry.lock": ("poetry.lock", read_pins, ("poetry.lock",)),
    "Pipfile.lock": ("Pipfile.lock", read_pins, ("Pipfile.lock",)),
    "pylock": ("pylock.toml", read_pins, ("pylock.toml",)),
    "conda-lock": ("conda-lock.yml", read_conda_lock, ("conda-lock.yml",)),
    "explicit-lock": ("linux-64.lock", read_explicit, ("explicit-linux-64.lock", "*.lock")),
    "pixi.lock": ("pixi.lock", read_pixi_lock, ("pixi.lock",)),
}
LOCK_KINDS = {"uv.lock", "poetry.lock", "Pipfile.lock", "pylock", "conda-lock", "explicit-lock", "pixi.lock"}


def _seeds(root: Path, patterns: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    if not root.is_dir():
        return out
    for pat in patterns:
        for p in sorted(root.rglob(pat)):
            if p.is_file() and p.stat().st_size <= MAX_SEED:
                try:
                    out.append(p.read_text(encoding="utf-8"))
                except UnicodeDecodeError:
                    continue
    return list(dict.fromkeys(out))


TOKENS = st.one_of(
    st.sampled_from([
        "[", "]", "{", "}", ":", "=", ",", '"', "'", "#", "\n", " ", "\t", "\\", "\\\n", "-", "- ",
        "null", "~", "3.10", "1e999", "true", "*", "==", ">=", ">>=", ";", "@", "&a ", "*a", "<<: *a",
        "!!python/object/apply:os.system ['true']", "\x00", "\ufeff", "é", "𝔘", "[[package]]",
        "- pip:", "  - pip:\n    - ", "version = 99", "version: 99", "lock-version = \"9\"",
        "-r ", "-r requirements.txt", "-c ../../etc/passwd", "--hash=", "python = 3.10",
        "python_version = 3.10", "dependencies = [null]", "dependencies:\n  - ~\n", "[project]\n",
        "[tool.uv.workspace]\nmembers = ['../*']\n", "@EXPLICIT\n", "https://x/y/a-1-0.conda#",
    ]),
    st.text(max_size=12),
)


@st.composite
def mutants(draw, seeds: list[str]) -> tuple[str, bool]:
    """``(text, invalid_utf8)``: a seed with 1-4 mutations."""
    text = draw(st.sampled_from(seeds))
    bad_bytes = False
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "insert", "delete", "replace", "repeat", "nest",
                                   "lines", "truncate", "bytes"]))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 60)))
        if op == "insert":
            text = text[:i] + draw(TOKENS) + text[i:]
        elif op == "delete":
            text = text[:i] + text[j:]
        elif op == "replace":
            text = text[:i] + draw(TOKENS) + text[j:]
        elif op == "repeat":
            chunk = text[i:j] or draw(TOKENS) or " "
            times = draw(st.sampled_from([2, 50, 5_000, 60_000]))
            times = max(1, min(times, 1_500_000 // max(1, len(chunk))))
            text = text[:i] + chunk * times + text[j:]
        elif op == "nest":
            depth = draw(st.sampled_from([8, 70, 3_000]))
            opener, closer = draw(st.sampled_from([("[", "]"), ("{", "}"), ("[{a=", "}]"), ("- ", "")]))
            text = text[:i] + opener * depth + closer * depth + text[i:]
        elif op == "lines":
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                a = draw(st.integers(0, len(lines) - 1))
                b = draw(st.integers(0, len(lines) - 1))
                lines[a], lines[b] = lines[b], lines[a]
                text = "".join(lines)
        elif op == "truncate":
            text = text[:i]
        else:
            bad_bytes = True
    return text, bad_bytes


def _write(folder: Path, name: str, mutant: tuple[str, bool]) -> Path:
    text, bad = mutant
    data = text.encode("utf-8")
    if bad:
        data = data[: len(data) // 2] + b"\xff\xfe" + data[len(data) // 2:]
    path = folder / name
    path.write_bytes(data)
    return path


def _check_error(err: EnvFileError, folder: Path) -> None:
    for e in err.expand():
        assert isinstance(e, EnvFileError)
        assert e.path == folder or folder in e.path.parents, f"error names another file: {e.path}"
        if e.code != "unreadable":
            assert e.line is not None and e.line >= 1, f"no line: {e!r} ({e.code})"
        assert e.column is None or e.column >= 1, f"bad column: {e!r}"


def _run(fmt: str, mutant: tuple[str, bool]) -> None:
    name, reader, _ = FORMATS[fmt]
    folder = Path(tempfile.mkdtemp(prefix="kernelenv-fuzz-"))
    try:
        proj = folder / "p"
        proj.mkdir()
        path = _write(proj, name, mutant)
        if fmt in LOCK_KINDS or fmt in ("runtime.txt", "python-version"):
            # A lock (or a Python request) alone may not make a project: give it a spec.
            (proj / ("environment.yml" if fmt in ("conda-lock", "explicit-lock", "pixi.lock")
                     else "requirements.txt")).write_text(
                "dependencies:\n  - six\n" if fmt in ("conda-lock", "explicit-lock", "pixi.lock") else "six\n")
            if fmt == "pixi.lock":
                (proj / "pixi.toml").write_text('[workspace]\nname = "x"\nchannels = ["conda-forge"]\n'
                                                'platforms = ["linux-64"]\n[dependencies]\nsix = "*"\n')
        t0 = time.monotonic()
        try:
            reader(path)
        except EnvFileError as err:
            _check_error(err, proj)
        took = time.monotonic() - t0
        assert took < BOUND, f"{fmt} reader took {took:.1f} s"
        t0 = time.monotonic()
        projects = api.detect(folder)  # never raises; problems are on the project
        took = time.monotonic() - t0
        assert took < BOUND, f"detect took {took:.1f} s"
        assert [p.root for p in projects] in ([], [proj])  # a mutant may no longer make a project
        for e in (projects[0].errors if projects else []):
            _check_error(e, proj)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# No shrinking: a failure prints its (derandomized, so reproducible) example at once; shrinking
# a slow example could take many minutes of CI.
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=40,
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])


def _fuzz(fmt: str, seeds: list[str], examples: int) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(mutant=mutants(seeds))
    def run(mutant: tuple[str, bool]) -> None:
        _run(fmt, mutant)

    run()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fuzz_repo_fixtures(fmt):
    seeds = _seeds(FIXTURES, FORMATS[fmt][2])
    assert seeds, f"no seed for {fmt} under {FIXTURES}"
    _fuzz(fmt, seeds, 100)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_fuzz_corpus(fmt):
    if not CORPUS.is_dir():
        pytest.skip(f"../shared/corpus not found at {CORPUS}: corpus seeds skipped (repo fixtures are fuzzed)")
    seeds = _seeds(CORPUS, FORMATS[fmt][2])
    if not seeds:
        pytest.skip(f"the corpus has no {fmt} file under {MAX_SEED // 1024} KB")
    _fuzz(fmt, seeds, 40)
