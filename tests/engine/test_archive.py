"""Offline archives with real uv: export, then `create --from` with an empty uv cache and an
unreachable index; damaged archives (one byte changed, truncated, newer format, other
platform) are refused before anything is written."""

from __future__ import annotations

import io
import json
import tarfile
import tomllib
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.backends.uv import UvBuilder
from kernelenv.layout import python_dists
from tests.conftest import free_port
from tests.engine.conftest import cli_json, run_cli
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> tuple[Path, Path]:
    """(project, archive): a requirements project locked to pylock.toml and archived; never built."""
    base = tmp_path_factory.mktemp("archive")
    root = base / "paper"
    root.mkdir()
    (root / "requirements.txt").write_text("six==1.16.0\nattrs==24.2.0\nipykernel\n")
    run_cli("lock", str(root))
    out = base / "paper.tar.gz"
    res = cli_json("export", str(root), "--format", "archive", "-o", str(out))
    assert res["path"] == str(out) and res["platforms"] == ["linux-64"]
    return root, out


def _offline_env(tmp_path: Path) -> dict[str, str]:
    dead = f"http://127.0.0.1:{free_port()}/simple"
    return {"UV_CACHE_DIR": str(tmp_path / "empty-uv-cache"), "UV_INDEX_URL": dead, "UV_DEFAULT_INDEX": dead,
            "PIP_INDEX_URL": dead, "HTTP_PROXY": dead, "HTTPS_PROXY": dead}


def test_create_from_archive_offline_installs_exactly_the_lock(archive, tmp_path: Path) -> None:
    root, path = archive
    dest = tmp_path / "rebuilt"
    res = cli_json("create", "--from", str(path), str(dest), env=_offline_env(tmp_path))
    assert res["status"]["status"] == "ready"
    [project] = api.detect(root)
    locked = UvBuilder().locked_packages(project, python_version=res["status"]["python_version"])
    assert python_dists(dest / ".venv") == locked
    assert (dest / "pylock.toml").read_bytes() == (root / "pylock.toml").read_bytes()
    # every archived wheel is one the lock names, with the lock's sha256
    lock_hashes = {w["hashes"]["sha256"] for p in tomllib.loads((root / "pylock.toml").read_text())["packages"]
                   for w in p.get("wheels", [])}
    manifest = json.loads((dest / ".kernelenv/archive/manifest.json").read_text())
    wheels = {k: v for k, v in manifest["files"].items() if k.startswith("wheels/")}
    assert wheels and all(v["sha256"] in lock_hashes for v in wheels.values())
    name = res["status"]["kernel_name"]
    assert run_in_kernel(name, "import six, attrs; print(six.__version__, attrs.__version__)").split() == \
        ["1.16.0", "24.2.0"]
    run_cli("purge", str(dest))


def _rewrite(src: Path, dest: Path, change) -> None:
    """Copy a tar.gz archive, passing each member's (name, bytes) through ``change``."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dest, "w:gz") as tout:
        for m in tin:
            data = tin.extractfile(m).read() if m.isfile() else None
            if data is not None:
                data = change(m.name, data)
                m.size = len(data)
            tout.addfile(m, io.BytesIO(data) if data is not None else None)


def test_tampered_truncated_newer_and_foreign_archives_are_refused(archive, tmp_path: Path) -> None:
    _, path = archive

    def flip(name: str, data: bytes) -> bytes:
        if name.endswith(".whl") and "six-" in name:
            return data[:100] + bytes([data[100] ^ 1]) + data[101:]
        return data

    bad = tmp_path / "tampered.tar.gz"
    _rewrite(path, bad, flip)
    dest = tmp_path / "d1"
    proc = run_cli("create", "--from", str(bad), str(dest), check=False)
    assert proc.returncode == 1
    assert "wheels/six-1.16.0-py2.py3-none-any.whl does not match its sha256" in proc.stderr
    assert not dest.exists()

    cut = tmp_path / "truncated.tar.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    proc = run_cli("create", "--from", str(cut), str(dest), check=False)
    assert proc.returncode == 1 and "truncated" in proc.stderr and not dest.exists()

    def manifest(**changes):
        def change(name: str, data: bytes) -> bytes:
            if name.endswith("manifest.json"):
                return json.dumps({**json.loads(data), **changes}).encode()
            return data
        return change

    newer = tmp_path / "newer.tar.gz"
    _rewrite(path, newer, manifest(version=99))
    proc = run_cli("create", "--from", str(newer), str(dest), check=False)
    assert proc.returncode == 1 and "written by a newer kernelenv (archive format 99" in proc.stderr

    foreign = tmp_path / "foreign.tar.gz"
    _rewrite(path, foreign, manifest(platforms=["osx-arm64"]))
    proc = run_cli("create", "--from", str(foreign), str(dest), check=False)
    assert proc.returncode == 1 and "made for osx-arm64, not this machine (linux-64)" in proc.stderr
    assert not dest.exists()


def test_unsafe_member_is_refused(archive, tmp_path: Path) -> None:
    _, path = archive
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "r:gz") as tin, tarfile.open(evil, "w:gz") as tout:
        for m in tin:
            tout.addfile(m, tin.extractfile(m) if m.isfile() else None)
        link = tarfile.TarInfo("kernelenv-archive/project/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tout.addfile(link)
    proc = run_cli("create", "--from", str(evil), str(tmp_path / "d"), check=False)
    assert proc.returncode == 1 and "unsafe member 'kernelenv-archive/project/escape'" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_wheels_are_chosen_per_platform_by_tags_and_markers() -> None:
    """`--platform` picks each platform's wheel (tags) and drops packages whose marker excludes it."""
    from kernelenv.archive import select_artifacts

    def wheel(name: str) -> dict:
        return {"name": name, "url": f"https://files.example/{name}", "hashes": {"sha256": "0" * 64}}

    packages = [
        {"name": "pyzmq", "version": "27.1.0", "wheels": [
            wheel("pyzmq-27.1.0-cp311-cp311-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl"),
            wheel("pyzmq-27.1.0-cp311-cp311-macosx_10_15_universal2.whl"),
            wheel("pyzmq-27.1.0-cp311-cp311-win_amd64.whl"),
            wheel("pyzmq-27.1.0-cp312-cp312-win_amd64.whl")]},
        {"name": "appnope", "version": "0.1.4", "marker": "sys_platform == 'darwin'",
         "wheels": [wheel("appnope-0.1.4-py2.py3-none-any.whl")]},
        {"name": "pywin32", "version": "308", "marker": "sys_platform == 'win32' and platform_python_implementation != 'PyPy'",
         "wheels": [wheel("pywin32-308-cp311-cp311-win_amd64.whl")]},
        {"name": "six", "version": "1.16.0", "wheels": [wheel("six-1.16.0-py2.py3-none-any.whl")],
         "sdist": {"name": "six-1.16.0.tar.gz", "url": "https://files.example/six.tar.gz", "hashes": {"sha256": "1" * 64}}},
    ]
    picked = {p: [f for _, _, _, f in select_artifacts(packages, "3.11.7", p)]
              for p in ("linux-64", "osx-arm64", "win-64")}
    assert picked["linux-64"] == ["pyzmq-27.1.0-cp311-cp311-manylinux_2_26_x86_64.manylinux_2_28_x86_64.whl",
                                  "six-1.16.0-py2.py3-none-any.whl"]
    assert picked["osx-arm64"] == ["pyzmq-27.1.0-cp311-cp311-macosx_10_15_universal2.whl",
                                   "appnope-0.1.4-py2.py3-none-any.whl", "six-1.16.0-py2.py3-none-any.whl"]
    assert picked["win-64"] == ["pyzmq-27.1.0-cp311-cp311-win_amd64.whl", "pywin32-308-cp311-cp311-win_amd64.whl",
                                "six-1.16.0-py2.py3-none-any.whl"]
    from kernelenv.archive import ArchiveError

    with pytest.raises(ArchiveError, match="no wheel for win-64"):
        select_artifacts([{"name": "x", "version": "1", "wheels": [wheel("x-1-cp311-cp311-manylinux_2_17_x86_64.whl")]}],
                         "3.11.7", "win-64")
