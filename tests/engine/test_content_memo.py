"""The content memo (kernelenv/contentmemo.py, issue 15): what a build reads from a lock's bytes
(the Python minors its wheels support) is kept by the digest of those bytes, wherever the lock
lies, and recomputed as soon as the bytes change; an interpreter's version is kept by the
file's identity. Real files and processes; the parser and ``subprocess.run`` are replaced by
functions that fail only to prove they are not called."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from packaging.version import Version

from kernelenv import interpreters
from kernelenv.lockers import pythons

LOCK = """version = 1
requires-python = ">=3.10"

[[package]]
name = "fastmod"
version = "1.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [
    {{ url = "https://files.example/fastmod-1.0-cp310-cp310-manylinux_2_17_x86_64.whl" }},{extra}
]

[[package]]
name = "puremod"
version = "2.0"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [{{ url = "https://files.example/puremod-2.0-py3-none-any.whl" }}]
"""
CP312 = '\n    { url = "https://files.example/fastmod-1.0-cp312-cp312-manylinux_2_17_x86_64.whl" },'


def _no_parsing(monkeypatch) -> None:
    def refuse(lock: Path):
        raise AssertionError(f"{lock} was parsed")

    monkeypatch.setattr(pythons, "wheel_files", refuse)


def test_lock_verdicts_are_kept_by_the_lock_bytes(tmp_path: Path, cache_home: Path, monkeypatch) -> None:
    """A second question about the same bytes (the same file, a copy elsewhere, after `touch`)
    is answered without parsing; a new minor, an edit or another format's name are computed."""
    lock = tmp_path / "a" / "uv.lock"
    lock.parent.mkdir()
    lock.write_text(LOCK.format(extra=""))
    plats = pythons.LINUX_X86_64
    assert pythons.supported_minors(lock, ["3.12", "3.10"], plats) == ["3.10"]
    assert list((cache_home / "memo").glob("lock-fits-*.marshal"))

    with monkeypatch.context() as m:
        _no_parsing(m)
        copy = tmp_path / "b" / "uv.lock"
        copy.parent.mkdir()
        shutil.copy(lock, copy)
        lock.touch()
        assert pythons.supported_minors(lock, ["3.10", "3.12"], plats) == ["3.10"]
        assert pythons.supported_minors(copy, ["3.12", "3.10"], plats) == ["3.10"]
        with pytest.raises(AssertionError, match="was parsed"):
            pythons.supported_minors(copy, ["3.11"], plats)  # never asked: computed
        other_format = tmp_path / "b" / "poetry.lock"
        shutil.copy(lock, other_format)
        with pytest.raises(AssertionError, match="was parsed"):
            pythons.supported_minors(other_format, ["3.10"], plats)

    assert pythons.supported_minors(copy, ["3.11", "3.10"], plats) == ["3.10"]
    copy.write_text(LOCK.format(extra=CP312))  # a new wheel: other bytes, another answer
    assert pythons.supported_minors(copy, ["3.12", "3.11", "3.10"], plats) == ["3.12", "3.10"]
    assert pythons.supported_minors(tmp_path / "b" / "missing.lock", ["3.10"], plats) is None


def test_caching_off_parses_every_time(tmp_path: Path, cache_home: Path, monkeypatch) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(LOCK.format(extra=""))
    monkeypatch.setenv("KERNELENV_ANSWER_CACHE", "0")
    assert pythons.supported_minors(lock, ["3.10"], pythons.LINUX_X86_64) == ["3.10"]
    assert not (cache_home / "memo").exists()
    _no_parsing(monkeypatch)
    with pytest.raises(AssertionError, match="was parsed"):
        pythons.supported_minors(lock, ["3.10"], pythons.LINUX_X86_64)


def test_an_interpreter_version_is_kept_until_the_file_changes(tmp_path: Path, cache_home: Path,
                                                               monkeypatch) -> None:
    """The version a run of the interpreter printed is reused by a later process (here: the
    in-process cache cleared, ``subprocess.run`` refusing); a replaced interpreter file (a new
    Python installed over the old one) is run again."""
    exe = tmp_path / "bin" / "python3"
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\necho 3.12.7\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    interpreters._probe.cache_clear()
    assert interpreters._probe(str(exe), exe.stat().st_mtime) == Version("3.12.7")

    def refuse(*args, **kwargs):
        raise AssertionError("the interpreter was run")

    with monkeypatch.context() as m:
        m.setattr(interpreters.subprocess, "run", refuse)
        interpreters._probe.cache_clear()
        assert interpreters._probe(str(exe), exe.stat().st_mtime) == Version("3.12.7")

    exe.write_text("#!/bin/sh\necho 3.12.10\n")
    os.utime(exe, ns=(exe.stat().st_atime_ns, exe.stat().st_mtime_ns + 1_000_000_000))
    interpreters._probe.cache_clear()
    assert interpreters._probe(str(exe), exe.stat().st_mtime) == Version("3.12.10")
    interpreters._probe.cache_clear()


def test_a_lock_found_fine_is_not_parsed_again_and_a_broken_one_always_is(tmp_path: Path, cache_home: Path,
                                                                          monkeypatch) -> None:
    """Detection's lock check (parsers/lockcheck.py) of a clone of a known lock reads its bytes
    only; a lock with errors is checked every time, so its errors always name file and line."""
    from kernelenv.parsers import lockcheck

    good = tmp_path / "good" / "uv.lock"
    good.parent.mkdir()
    good.write_text(LOCK.format(extra=""))
    bad = tmp_path / "bad" / "uv.lock"
    bad.parent.mkdir()
    bad.write_text("version = 99\n")
    assert lockcheck.check_lock(good, "uv.lock") == []
    [err] = lockcheck.check_lock(bad, "uv.lock")
    assert err.code == "unsupported-lock-version" and err.line == 1

    calls: list[Path] = []
    real_check = lockcheck._check

    def counting(path: Path, kind: str) -> None:
        calls.append(path)
        real_check(path, kind)

    monkeypatch.setattr(lockcheck, "_check", counting)
    clone = tmp_path / "clone" / "uv.lock"
    clone.parent.mkdir()
    shutil.copy(good, clone)
    assert lockcheck.check_lock(clone, "uv.lock") == []
    assert calls == [], "a clone of a lock found fine was parsed again"
    lockcheck._CACHE.clear()
    [err] = lockcheck.check_lock(bad, "uv.lock")
    assert err.code == "unsupported-lock-version" and calls == [bad]


def test_uv_lock_out_of_date_verdict_follows_both_files(tmp_path: Path, cache_home: Path, monkeypatch) -> None:
    """The uv backend's "lock out of date" verdict is kept by pyproject.toml and uv.lock
    together: a clone gets it without parsing the lock; an edit of either file recomputes."""
    from kernelenv import api, tomlcache
    from kernelenv.backends.uv import UvBuilder

    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "proj"\nversion = "0.1"\n'
                                         'requires-python = ">=3.10"\ndependencies = ["fastmod"]\n')
    lock = LOCK.format(extra="") + ('\n[[package]]\nname = "proj"\nversion = "0.1"\nsource = { virtual = "." }\n'
                                    'dependencies = [{ name = "puremod" }]\n\n[package.metadata]\n'
                                    'requires-dist = [{ name = "puremod" }]\n')
    (root / "uv.lock").write_text(lock)
    [project] = api.detect(root)
    reason = UvBuilder().lock_outdated(project)
    assert reason and "not in lock: fastmod" in reason and "only in lock: puremod" in reason

    clone = tmp_path / "clone"
    shutil.copytree(root, clone)
    [cloned] = api.detect(clone)

    def refuse(path):
        raise AssertionError(f"{path} was parsed")

    with monkeypatch.context() as m:
        m.setattr(tomlcache, "load", refuse)
        assert UvBuilder().lock_outdated(cloned) == reason
    (clone / "pyproject.toml").write_text((clone / "pyproject.toml").read_text().replace('"fastmod"', '"puremod"'))
    [cloned] = api.detect(clone)
    assert UvBuilder().lock_outdated(cloned) is None
