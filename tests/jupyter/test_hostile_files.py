"""Issue 17 items 2-3 in the Jupyter server: one hostile project folder is an error on that project;
the REST listing still answers 200 with every other project, and the server keeps answering
while it parses (detection runs in the executor, and the parsers are linear and size-bounded).

A real Jupyter Server with the extension (see conftest); the hostile files are the issue's repros.
"""

from __future__ import annotations

import asyncio

A = "kernelenv/api"


async def test_listing_survives_hostile_projects(kapi, workdir):
    deep = workdir / "deep"
    deep.mkdir()
    (deep / "pyproject.toml").write_text('[project]\nname = "deep"\ndependencies = '
                                         + "[" * 5000 + "]" * 5000 + "\n")
    quad = workdir / "quadratic"
    quad.mkdir()
    (quad / "requirements.txt").write_text("numpy" + " " * 2_000_000 + "x\n")
    big = workdir / "big"
    big.mkdir()
    (big / "environment.yml").write_text("dependencies:\n" + "  - numpy\n" * 600_000)
    good = workdir / "good"
    good.mkdir()
    (good / "requirements.txt").write_text("six\n")

    listing = asyncio.ensure_future(kapi("GET", f"{A}/projects?path={workdir.name}", timeout=120))
    # The event loop is free while the listing parses: another request is answered meanwhile.
    code, _, _ = await kapi("GET", f"{A}/jobs/0123abcd")
    assert code == 404
    code, _, data = await listing
    assert code == 200, data
    by_name = {p["path"].rsplit("/", 1)[-1]: p for p in data["projects"]}
    assert set(by_name) == {"deep", "quadratic", "big", "good"}
    assert by_name["good"]["errors"] == [] and by_name["good"]["status"]["status"] == "missing"
    codes = {n: [(e["code"], e["line"]) for e in p["errors"]] for n, p in by_name.items()}
    assert codes["deep"] == [("too-deep", 3)]
    assert codes["quadratic"] == [("invalid-requirement", 1)]
    assert codes["big"] == [("file-too-large", 1)]
