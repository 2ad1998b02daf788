"""A real conda channel on disk for offline tests: packages written with tarfile, indexed by rattler.

Why a local channel and a venv-style ``python`` package: this machine reaches only PyPI,
so conda-forge's python and packages cannot be downloaded. The channel holds real conda
packages (``.tar.bz2`` with ``info/index.json`` and ``info/paths.json``) that rattler
solves and links like any other; only the ``python`` package is unusual: for
``linux-64`` it is a venv-style skeleton over this machine's interpreter (``bin/python``
a symlink to it plus ``pyvenv.cfg`` and an empty ``site-packages``), so the prefix
gets a working Python that uv can install into and ipykernel can run in. For the other
lock platforms (osx-64, osx-arm64, win-64) ``python`` is a metadata-only package: it can
be solved and locked, never installed here.

Packages:

* ``python`` (see above), version = this interpreter's.
* ``hello-conda`` 1.0 and 2.0, noarch python, module ``hello_conda`` (``VERSION``),
  depends on ``python >=3.8`` and ``hello-dep``.
* ``hello-dep`` 0.5, generic noarch, a data file ``share/hello-dep/data.txt``.
* ``hello-shell`` 1.0 in two builds: ``unix_0`` (depends ``__unix``) and ``win_0``
  (depends ``__win``), module ``hello_shell`` with ``KIND`` = ``"unix"``/``"win"``
  (shows the per-platform virtual packages at work when locking).
* ``hello-tool`` 1.0, generic noarch, an executable ``bin/hello-tool`` (a shell script
  printing ``hello from hello-tool``): found on the kernel's PATH like conda's ffmpeg.
* ``needs-old-python`` 1.0, noarch python, depends ``python <3.0`` (unsatisfiable here).
* ``hello-activate`` 1.0, generic noarch, ``etc/conda/activate.d/hello-activate.sh`` exporting
  ``HELLO_ACTIVATE=$CONDA_PREFIX/share/hello-activate`` (a plain export list, as gdal's and
  proj's scripts are).
* ``r-irkernel-debian`` 1.0, generic noarch, ``share/jupyter/kernels/ir/kernel.json`` running
  Debian's R (``/usr/bin/R``) with its IRkernel (``r-cran-irkernel``): conda-forge's r-base
  cannot be downloaded here, so the kernelspec r-irkernel ships points at the system R.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import sys
import tarfile
from pathlib import Path

PLATFORM_META = {
    "linux-64": ("x86_64", "linux"),
    "osx-64": ("x86_64", "osx"),
    "osx-arm64": ("arm64", "osx"),
    "win-64": ("x86_64", "win"),
}


def write_package(channel: Path, subdir: str, name: str, version: str, build: str, *,
                  files: dict[str, bytes] | None = None, links: dict[str, str] | None = None,
                  depends: list[str] | None = None, noarch: str | None = None) -> Path:
    """Write one conda package ``<channel>/<subdir>/<name>-<version>-<build>.tar.bz2``.

    Args:
        files: ``{path in package: content}`` (``bin/*`` files are executable).
        links: ``{path in package: symlink target}``.
        depends: MatchSpec strings.
        noarch: ``"python"``, ``"generic"`` or ``None``.
    """
    d = channel / subdir
    d.mkdir(parents=True, exist_ok=True)
    target = d / f"{name}-{version}-{build}.tar.bz2"
    paths = []
    with tarfile.open(target, "w:bz2") as tf:
        def add(arc: str, data: bytes, mode: int = 0o644) -> None:
            ti = tarfile.TarInfo(arc)
            ti.size, ti.mode, ti.mtime = len(data), mode, 0
            tf.addfile(ti, io.BytesIO(data))

        for arc, data in (files or {}).items():
            add(arc, data, 0o755 if arc.startswith("bin/") else 0o644)
            paths.append({"_path": arc, "path_type": "hardlink", "sha256": hashlib.sha256(data).hexdigest(),
                          "size_in_bytes": len(data)})
        for arc, link in (links or {}).items():
            ti = tarfile.TarInfo(arc)
            ti.type, ti.linkname, ti.mtime = tarfile.SYMTYPE, link, 0
            tf.addfile(ti)
            paths.append({"_path": arc, "path_type": "softlink"})
        index = {"name": name, "version": version, "build": build, "build_number": 0,
                 "depends": list(depends or []), "subdir": subdir, "license": "MIT",
                 "timestamp": 1700000000000}
        if noarch:
            index["noarch"] = noarch
        if subdir in PLATFORM_META:
            index["arch"], index["platform"] = PLATFORM_META[subdir]
        add("info/index.json", json.dumps(index, indent=1).encode())
        add("info/paths.json", json.dumps({"paths": paths, "paths_version": 1}, indent=1).encode())
    return target


def python_version() -> str:
    """This interpreter's version, ``X.Y.Z``."""
    return "%d.%d.%d" % sys.version_info[:3]


def base_interpreter() -> str:
    """The real (non-venv) interpreter behind the test process."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def build_channel(channel: Path) -> Path:
    """Write every package of the module docstring into ``channel`` and index it with rattler."""
    import rattler

    base = base_interpreter()
    ver = python_version()
    mm = "%d.%d" % sys.version_info[:2]
    cfg = f"home = {os.path.dirname(base)}\ninclude-system-site-packages = false\nversion = {ver}\n"
    write_package(channel, "linux-64", "python", ver, "0_kernelenv_venv", files={
        "pyvenv.cfg": cfg.encode(),
        f"lib/python{mm}/site-packages/README.kernelenv-test": b"venv-style python skeleton for kernelenv tests\n",
    }, links={"bin/python": base, "bin/python3": "python", f"bin/python{mm}": "python"})
    for sub in ("osx-64", "osx-arm64", "win-64"):
        write_package(channel, sub, "python", ver, "0_kernelenv_meta",
                      files={"README.kernelenv-test": b"metadata-only python for lock tests\n"})
    for v in ("1.0", "2.0"):
        write_package(channel, "noarch", "hello-conda", v, "py_0", noarch="python",
                      depends=["python >=3.8", "hello-dep"],
                      files={"site-packages/hello_conda/__init__.py": f"VERSION = {v!r}\n".encode()})
    write_package(channel, "noarch", "hello-dep", "0.5", "0", noarch="generic",
                  files={"share/hello-dep/data.txt": b"hello-dep data\n"})
    for build, dep, kind in (("unix_0", "__unix", "unix"), ("win_0", "__win", "win")):
        write_package(channel, "noarch", "hello-shell", "1.0", build, noarch="python",
                      depends=["python >=3.8", dep],
                      files={"site-packages/hello_shell/__init__.py": f"KIND = {kind!r}\n".encode()})
    write_package(channel, "noarch", "hello-tool", "1.0", "0", noarch="generic",
                  files={"bin/hello-tool": b"#!/bin/sh\necho hello from hello-tool\n"})
    write_package(channel, "noarch", "needs-old-python", "1.0", "py_0", noarch="python",
                  depends=["python <3.0"],
                  files={"site-packages/needs_old_python.py": b"X = 1\n"})
    write_package(channel, "noarch", "hello-activate", "1.0", "0", noarch="generic", files={
        "etc/conda/activate.d/hello-activate.sh":
            b'# set by hello-activate\nexport HELLO_ACTIVATE="${CONDA_PREFIX}/share/hello-activate"\n'})
    write_package(channel, "noarch", "r-irkernel-debian", "1.0", "0", noarch="generic", files={
        "share/jupyter/kernels/ir/kernel.json": json.dumps({
            "argv": ["/usr/bin/R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"],
            "display_name": "R", "language": "R"}).encode()})
    asyncio.run(rattler.index.index_fs(channel, write_zst=False, write_shards=False, force=True))
    return channel
