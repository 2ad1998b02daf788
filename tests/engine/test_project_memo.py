"""Detection's memo (kernelenv/projectmemo.py, kernelenv/readlog.py, issue 15): an unchanged
project folder is not parsed again, and every change its result depends on is seen: the env
files' content (a same-size edit with its mtime put back), a ``-r`` include outside the env
files, a path detection probed (``src/<name>`` for the project install), ``KERNELENV_BACKEND``.
Real files, real detection, real CLI processes; no env is built here."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

from kernelenv import api, projectmemo
from kernelenv.model import Project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"


def _same_size_edit(path: Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (same length) and put its mtime back."""
    st = path.stat()
    old = path.read_text()
    assert len(text) == len(old), (text, old)
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _detect(root: Path) -> list[dict]:
    return [p.to_dict() for p in api.detect(root)]


def test_an_entry_keeps_every_project_field_and_gives_back_an_equal_project(cache_home: Path) -> None:
    """Every :class:`Project` field is kept (a new field must be added to the memo), and the
    project read back equals the computed one for each in-repo fixture, errors included."""
    assert set(projectmemo.FIELDS) == {f.name for f in dataclasses.fields(Project)}
    projects = api.detect(FIXTURES)
    assert projects
    for p in projects:
        back = projectmemo.load(projectmemo.dump(p))
        assert back == p
        assert back.to_dict() == p.to_dict()
    assert [p.to_dict() for p in api.detect(FIXTURES)] == [p.to_dict() for p in projects]
    entries = list((cache_home / "projects").iterdir())
    assert len(entries) == len(projects)


def test_a_detection_from_the_memo_imports_no_parser(tmp_path: Path, cache_home: Path) -> None:
    """The second detection, in a new process, gives the same projects without importing
    packaging, yaml, tomllib or rattler; the memo lives in the user's cache folder only."""
    ws = tmp_path / "ws"
    (ws / "req").mkdir(parents=True)
    (ws / "req" / "requirements.txt").write_text("six==1.16.0\nrequests>=2\n")
    (ws / "conda").mkdir()
    (ws / "conda" / "environment.yml").write_text("name: c\ndependencies:\n  - python=3.11\n  - numpy\n")
    (ws / "pp").mkdir()
    (ws / "pp" / "pyproject.toml").write_text('[project]\nname = "pp"\nversion = "0"\ndependencies = ["six"]\n')
    before = sorted(p.relative_to(ws) for p in ws.rglob("*"))
    script = ("import json, sys; from pathlib import Path; from kernelenv import api; "
              "ps = [p.to_dict() for p in api.detect(Path(sys.argv[1]))]; "
              "mods = [m for m in ('packaging.requirements', 'yaml', 'tomllib', 'rattler') if m in sys.modules]; "
              "print(json.dumps([ps, mods]))")
    env = {**os.environ, "KERNELENV_CACHE_HOME": str(cache_home)}
    runs = [json.loads(subprocess.run([sys.executable, "-c", script, str(ws)], capture_output=True, text=True,
                                      env=env, check=True, timeout=120).stdout) for _ in range(2)]
    (cold, cold_mods), (warm, warm_mods) = runs
    assert len(cold) == 3 and warm == cold
    assert "packaging.requirements" in cold_mods and "yaml" in cold_mods  # the first one parsed
    assert warm_mods == []
    assert sorted(p.relative_to(ws) for p in ws.rglob("*")) == before
    assert len(list((cache_home / "projects").iterdir())) == 3


def test_every_change_the_result_depends_on_is_seen(tmp_path: Path, cache_home: Path, monkeypatch) -> None:
    """Content edits that keep size and mtime, in the env file and in a ``-r`` include that is
    no env file; a probed path appearing; ``KERNELENV_BACKEND``: each gives the new result."""
    root = tmp_path / "proj"
    (root / "deps").mkdir(parents=True)
    (root / "requirements.txt").write_text("-r deps/base.txt\nsix\n")
    (root / "deps" / "base.txt").write_text("requests\n")
    [first] = _detect(root)
    assert first["errors"] == []
    assert _detect(root) == [first]

    _same_size_edit(root / "deps" / "base.txt", "reqs=!==\n")  # an invalid line, same size and mtime
    [p] = _detect(root)
    assert p["errors"] and p["errors"][0]["path"].endswith("base.txt") and p["errors"][0]["line"] == 1
    _same_size_edit(root / "deps" / "base.txt", "requests\n")
    assert _detect(root) == [first]

    _same_size_edit(root / "requirements.txt", "-r deps/base.txt\nsi=\n")
    [p] = _detect(root)
    assert p["errors"] and p["errors"][0]["path"].endswith("requirements.txt") and p["errors"][0]["line"] == 2
    _same_size_edit(root / "requirements.txt", "-r deps/base.txt\nsix\n")
    assert _detect(root) == [first]

    monkeypatch.setenv("KERNELENV_BACKEND", "rattler")
    [p] = _detect(root)
    assert p["backend"] == "rattler" and "KERNELENV_BACKEND" in p["backend_reason"]
    monkeypatch.delenv("KERNELENV_BACKEND")
    assert _detect(root) == [first]


def test_an_include_too_large_to_read_is_seen_once_it_shrinks(tmp_path: Path, cache_home: Path) -> None:
    """An include over the size limit is reported and never read; the memo does not keep that
    answer past the file's change (here: shrunk to a valid line)."""
    from kernelenv.parsers.errors_util import MAX_SPEC_BYTES

    root = tmp_path / "proj"
    (root / "deps").mkdir(parents=True)
    (root / "requirements.txt").write_text("-r deps/big.txt\n")
    (root / "deps" / "big.txt").write_text("# padding\n" * (MAX_SPEC_BYTES // 10 + 1))
    [p] = _detect(root)
    assert [e["code"] for e in p["errors"]] == ["file-too-large"]
    (root / "deps" / "big.txt").write_text("six\n")
    [p] = _detect(root)
    assert p["errors"] == []


def test_a_probed_path_appearing_changes_the_project_install(tmp_path: Path, cache_home: Path) -> None:
    """Whether create installs the project depends on ``src/<name>`` existing, which is no env
    file: the memo keeps that probe, so creating the package folder is seen."""
    root = tmp_path / "pkgproj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "mypkg"\nversion = "0"\ndependencies = []\n\n'
                                         '[build-system]\nrequires = ["hatchling"]\n'
                                         'build-backend = "hatchling.build"\n')
    [p] = _detect(root)
    assert p["install_project"] is False
    (root / "src" / "mypkg").mkdir(parents=True)
    [p] = _detect(root)
    assert p["install_project"] is True and "src/mypkg" in p["install_project_reason"]


def test_a_damaged_or_foreign_entry_is_a_miss(tmp_path: Path, cache_home: Path, monkeypatch) -> None:
    """An entry that is not marshal data, or one written for other content, is never used;
    ``KERNELENV_ANSWER_CACHE=0`` computes without reading or writing entries."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "requirements.txt").write_text("six\n")
    [first] = _detect(root)
    [entry] = (cache_home / "projects").iterdir()
    entry.write_bytes(b"\x00garbage")
    assert _detect(root) == [first]
    (root / "requirements.txt").write_text("six\nrequests=\n")
    [p] = _detect(root)
    assert p["errors"] and p["errors"][0]["line"] == 2
    monkeypatch.setenv("KERNELENV_ANSWER_CACHE", "0")
    entry.unlink()
    [again] = _detect(root)
    assert again == p and not entry.exists()


def test_detect_answers_watch_the_includes_detection_read(tmp_path: Path, cache_home: Path) -> None:
    """`kernelenv detect` answered from the answer cache is recomputed when a ``-r`` include
    (no env file, outside the project's file list) changes, and kept when only a notebook is
    added (the folder is compared as detection scans it)."""
    import time

    from kernelenv.answercache import RACY_SECONDS

    ws = tmp_path / "ws"
    (ws / "proj" / "deps").mkdir(parents=True)
    (ws / "proj" / "requirements.txt").write_text("-r deps/base.txt\n")
    (ws / "proj" / "deps" / "base.txt").write_text("six\n")
    env = {**os.environ, "KERNELENV_CACHE_HOME": str(cache_home)}

    def detect() -> tuple[str, bool]:
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "kernelenv", "detect", str(ws)],
                              capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)
        return proc.stdout, "kernelenv.cli" not in proc.stderr

    time.sleep(RACY_SECONDS + 0.2)
    first, _ = detect()
    assert detect() == (first, True)
    (ws / "proj" / "analysis.ipynb").write_text("{}")
    time.sleep(RACY_SECONDS + 0.2)
    assert detect() == (first, True)
    (ws / "proj" / "deps" / "base.txt").write_text("six=\n")
    out, cached = detect()
    assert not cached and "base.txt:1" in out
