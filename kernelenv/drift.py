"""Drift: what was installed or removed in an env by hand since kernelenv built it.

At the end of every build the package set of the new env is recorded in the project's
state file (:func:`snapshot`); ``status`` takes the same snapshot of the live env and
compares (:func:`compare`). A ``%pip install`` in a notebook, a ``uv pip install`` or a
``conda install`` into the env shows up as packages *added*, *removed* or *changed*.

The snapshot reads folder names only, so it costs one directory listing per
``site-packages`` and ``conda-meta`` folder (no file reads, no subprocess, no heavy
imports):

* ``site-packages/<name>-<version>.dist-info`` (the wheel spec's ``.dist-info``
  naming, PEP 427/PEP 491; ``.egg-info`` for legacy installs);
* ``conda-meta/<name>-<version>-<build>.json`` (the record conda, mamba and rattler
  write per conda package).

Where both exist for one name (a conda package that ships Python metadata) the
``dist-info`` wins: it is what ``import`` sees after a ``%pip install`` over it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .layout import site_packages

_SEP = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """PEP 503 normalized name (``Foo_Bar`` -> ``foo-bar``)."""
    return _SEP.sub("-", name).lower()


def _listdir(path: Path) -> list[str]:
    try:
        with os.scandir(path) as it:
            return [e.name for e in it]
    except OSError:
        return []


def snapshot(prefix: Path) -> dict[str, str]:
    """``{normalized name: version}`` installed in env folder ``prefix`` (venv or conda prefix).

    Read from folder names only (see the module docstring); an unreadable or absent
    folder contributes nothing.
    """
    out: dict[str, str] = {}
    for entry in _listdir(prefix / "conda-meta"):
        if entry.endswith(".json"):
            parts = entry[:-5].rsplit("-", 2)
            if len(parts) == 3:
                out[normalize(parts[0])] = parts[1]
    for sp in site_packages(prefix):
        for entry in _listdir(sp):
            for suffix in (".dist-info", ".egg-info"):
                if entry.endswith(suffix):
                    parts = entry[: -len(suffix)].split("-")
                    if len(parts) >= 2 and parts[0]:
                        out[normalize(parts[0])] = parts[1]
    return out


@dataclass
class Drift:
    """The difference between the packages a build installed and those installed now.

    Args:
        added: ``{name: version}`` installed by hand since the build.
        removed: ``{name: version}`` (the built version) uninstalled since.
        changed: ``{name: (built version, version now)}``.
    """

    added: dict[str, str] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)
    changed: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def summary(self) -> str:
        """One line: ``added idna 3.7; removed six 1.16.0; changed pandas 2.2.3 -> 2.1.0``."""
        parts = []
        if self.added:
            parts.append("added " + ", ".join(f"{n} {v}" for n, v in sorted(self.added.items())))
        if self.removed:
            parts.append("removed " + ", ".join(f"{n} {v}" for n, v in sorted(self.removed.items())))
        if self.changed:
            parts.append("changed " + ", ".join(f"{n} {a} -> {b}" for n, (a, b) in sorted(self.changed.items())))
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """``{"added": [{"name", "version"}], "removed": [...], "changed": [{"name", "built", "version"}]}``."""
        return {
            "added": [{"name": n, "version": v} for n, v in sorted(self.added.items())],
            "removed": [{"name": n, "version": v} for n, v in sorted(self.removed.items())],
            "changed": [{"name": n, "built": a, "version": b} for n, (a, b) in sorted(self.changed.items())],
        }


def compare(built: dict[str, str], now: dict[str, str]) -> Drift:
    """The :class:`Drift` from snapshot ``built`` (recorded at build time) to ``now``."""
    return Drift(
        added={n: v for n, v in now.items() if n not in built},
        removed={n: v for n, v in built.items() if n not in now},
        changed={n: (built[n], v) for n, v in now.items() if n in built and built[n] != v},
    )
