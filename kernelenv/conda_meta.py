"""What is installed in a conda prefix, read from files only (no conda, no Python run).

``<prefix>/conda-meta/<name>-<version>-<build>.json`` is the record conda, mamba and
rattler write for every installed conda package (its ``name``, ``version``, ``build``,
``url``, ``md5``/``sha256``). Packages pip/uv installed on top are found by their
``*.dist-info`` folders (PEP 376/627) whose ``INSTALLER`` is not ``conda``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .layout import dist_info_name, site_packages


@dataclass(frozen=True)
class CondaRecord:
    """One installed conda package (from ``conda-meta``).

    Args:
        name, version, build: from the record.
        url: where it came from (``""`` when the record has none).
        sha256, md5: hex digests or ``None``.
    """

    name: str
    version: str
    build: str
    url: str
    sha256: str | None = None
    md5: str | None = None

    @property
    def filename(self) -> str:
        """``<name>-<version>-<build>`` plus the archive extension of :attr:`url`."""
        return self.url.rstrip("/").rsplit("/", 1)[-1] if self.url else f"{self.name}-{self.version}-{self.build}"


def normalize(name: str) -> str:
    """PEP 503 normalized name (also used for conda names, which are already lower-case)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def conda_records(prefix: Path) -> list[CondaRecord]:
    """The conda packages installed in ``prefix``, sorted by name (empty when none)."""
    out = []
    meta = prefix / "conda-meta"
    if not meta.is_dir():
        return out
    for f in sorted(meta.glob("*.json")):
        try:
            d = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(d, dict) or "name" not in d:
            continue
        out.append(CondaRecord(name=str(d["name"]), version=str(d.get("version", "")),
                               build=str(d.get("build", "")), url=str(d.get("url") or ""),
                               sha256=d.get("sha256"), md5=d.get("md5")))
    return sorted(out, key=lambda r: r.name)


def pip_dists(prefix: Path) -> dict[str, str]:
    """``{normalized name: version}`` of distributions not installed by conda (pip/uv): each
    ``*.dist-info`` folder's name (:func:`kernelenv.layout.dist_info_name`) unless its
    ``INSTALLER`` file says ``conda``."""
    out: dict[str, str] = {}
    for sp in site_packages(prefix):
        for info in sp.glob("*.dist-info"):
            found = dist_info_name(info.name)
            if found is None:
                continue
            try:
                installer = (info / "INSTALLER").read_text(encoding="utf-8").strip()
            except OSError:
                installer = ""
            if installer != "conda":
                out[found[0]] = found[1]
    return out


def installed(prefix: Path) -> dict[str, str]:
    """``{normalized name: version}``: conda records (from their file names), then pip/uv
    distributions not from conda."""
    out: dict[str, str] = {}
    meta = prefix / "conda-meta"
    # The record's file name is <name>-<version>-<build>.json (versions and builds hold no
    # "-"): no need to parse each record (their file lists run to megabytes).
    for f in (sorted(meta.glob("*.json")) if meta.is_dir() else []):
        parts = f.name[:-5].rsplit("-", 2)
        if len(parts) == 3 and all(parts):
            out[normalize(parts[0])] = parts[1]
    for name, version in pip_dists(prefix).items():
        out.setdefault(name, version)
    return out


__all__ = ["CondaRecord", "conda_records", "pip_dists", "installed", "normalize"]
