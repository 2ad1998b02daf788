"""History and rollback of a conda prefix built with rattler on the local channel: two builds
from two locks, rollback to the first, the prefix's conda-meta and the lock file follow."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.conda_meta import conda_records
from kernelenv.history import list_builds, live_build
from tests.conda.conftest import write_env

pytestmark = pytest.mark.e2e

MM = "%d.%d" % sys.version_info[:2]


def test_conda_rollback_restores_the_prefix_and_its_lock(tmp_path: Path, local_channel: Path) -> None:
    root = tmp_path / "condahist"
    locks = []
    for pin in ("hello-conda<2", "hello-conda>=2"):
        write_env(root, local_channel, [f"python={MM}", pin], extra_channels=["nodefaults"])
        [project] = api.detect(root)
        api.lock(project)
        [project] = api.detect(root)
        api.rebuild(project)
        locks.append((root / "conda-lock.yml").read_bytes())
    first, second = list_builds(root)
    assert second.live and "hello-conda 1.0 → 2.0" in second.changes
    assert second.record.env_kind == "conda" and second.record.lock == "conda-lock.yml"
    [project] = api.detect(root)
    res = api.rollback(project)
    assert res["build"] == first.id and res["lock_restored"] == "conda-lock.yml"
    assert live_build(root) == first.id
    assert (root / "conda-lock.yml").read_bytes() == locks[0]
    versions = {r.name: r.version for r in conda_records(root / ".conda")}
    assert versions["hello-conda"] == "1.0"
