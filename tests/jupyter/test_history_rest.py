"""History and rollback through the REST API on a real server with real uv builds."""

from __future__ import annotations

import pytest

from kernelenv import api
from kernelenv.history import live_build

pytestmark = pytest.mark.e2e

A = "kernelenv/api"


@pytest.fixture
def two_builds(session_root):
    root = session_root / "hist"
    if not root.exists():
        root.mkdir()
        for pin in ("1.16.0", "1.17.0"):
            (root / "requirements.txt").write_text(f"six=={pin}\nipykernel\n")
            api.create(api.find_project(root))
    return root


async def test_history_and_rollback(kapi, two_builds):
    code, _, data = await kapi("GET", f"{A}/projects/hist/history")
    assert code == 200, data
    first, second = data["builds"][-2:]
    assert second["live"] and second["changes"] == ["six 1.16.0 → 1.17.0"]
    assert data["disk"]["freed"] <= data["disk"]["unique"]

    code, _, res = await kapi("POST", f"{A}/projects/hist/rollback", body={"build": first["id"]})
    assert code == 200, res
    assert res["build"] == first["id"] and res["changes"] == ["six 1.17.0 → 1.16.0"]
    assert live_build(two_builds) == first["id"]

    code, _, res = await kapi("POST", f"{A}/projects/hist/rollback", body={"build": "b-20000101000000-abcdef"})
    assert code == 400 and "No record of build b-20000101000000-abcdef" in res["message"]
    code, _, res = await kapi("POST", f"{A}/projects/hist/rollback", body={"build": 3})
    assert code == 400
    assert live_build(two_builds) == first["id"]

    from kernelenv.locking import project_lock

    with project_lock(two_builds, "rebuild"):
        code, _, res = await kapi("POST", f"{A}/projects/hist/rollback", body={})
    assert code == 409 and "is busy" in res["message"]
    code, _, _ = await kapi("POST", f"{A}/projects/hist/rollback", body={}, token=False)
    assert code == 403
    code, _, res = await kapi("POST", f"{A}/projects/hist/rollback", body={"build": second["id"]})
    assert code == 200 and live_build(two_builds) == second["id"]
