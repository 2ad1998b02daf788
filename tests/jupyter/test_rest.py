"""The REST API: shapes, auth on every route, path confinement, input validation, failing jobs.

A real Jupyter Server with the extension enabled by the shipped config (see conftest).
No env is built here (the malformed-file job fails before any build).
"""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest

from tests.conftest import copy_corpus_project
from tests.jupyter.helpers import wait_job

A = "kernelenv/api"


def make_req_project(parent, name="proj", text="requests==2.32.3\n"):
    d = parent / name
    d.mkdir(parents=True)
    (d / "requirements.txt").write_text(text)
    return d


async def test_projects_listing_shape(kapi, workdir):
    copy_corpus_project("binder-examples__requirements", workdir)
    make_req_project(workdir / "sub")
    code, _, data = await kapi("GET", f"{A}/projects?path={workdir.name}")
    assert code == 200, data
    assert data["root"] == workdir.name
    by_name = {p["name"]: p for p in data["projects"]}
    assert set(by_name) == {"binder-examples__requirements", "proj"}
    req = by_name["binder-examples__requirements"]
    # paths relative to the server root, files relative to the project
    assert req["path"] == f"{workdir.name}/binder-examples__requirements"
    assert by_name["proj"]["path"] == f"{workdir.name}/sub/proj"
    assert req["backend"] == "uv" and req["python"]["raw"] == "python-3.10"
    assert {"path": "requirements.txt", "kind": "requirements", "role": "spec"} in req["files"]
    assert req["status"]["status"] == "missing" and "kernelenv create" in req["status"]["reason"]
    assert req["job"] is None and req["kernel_name"]
    # the root itself: "" and "." both mean root_dir
    for q in ("", "?path=", "?path=."):
        code, _, data = await kapi("GET", f"{A}/projects{q}")
        assert code == 200 and data["root"] == ""
        assert f"{workdir.name}/sub/proj" in {p["path"] for p in data["projects"]}


ROUTES = [
    ("GET", f"{A}/projects?path=", None, 200),
    ("POST", f"{A}/projects/{{proj}}/lock", {}, None),  # tokenless refused; with token tested elsewhere
    ("GET", f"{A}/jobs/0123abcd", None, 404),
    ("DELETE", f"{A}/jobs/0123abcd", None, 404),
    ("GET", f"{A}/resolve?notebook={{proj}}/nb.ipynb", None, 200),
]


@pytest.mark.parametrize("method,path,body,with_token", ROUTES)
async def test_every_route_refuses_without_token(kapi, workdir, method, path, body, with_token):
    proj = make_req_project(workdir)
    rel = f"{workdir.name}/{proj.name}"
    path = path.replace("{proj}", quote(rel, safe=""))
    code, _, data = await kapi(method, path, body=body, token=False)
    assert code == 403, (code, data)
    assert not (proj / "pylock.toml").exists()
    if with_token is not None:
        code, _, data = await kapi(method, path, body=body)
        assert code == with_token, (code, data)


async def test_post_with_cookie_but_no_xsrf_is_refused(kapi, jp_serverapp, http_server_client, jp_base_url, workdir):
    """A browser-style POST (no token header, no _xsrf) must not start a job."""
    proj = make_req_project(workdir)
    resp = await http_server_client.fetch(
        f"{jp_base_url}{A}/projects/{workdir.name}/{proj.name}/create", method="POST", body="{}",
        headers={"Cookie": "username-127-0-0-1=forged"}, raise_error=False)
    assert resp.code == 403
    assert not (proj / ".kernelenv").exists()


@pytest.mark.parametrize("query", [
    "projects?path=..", "projects?path=../..", "projects?path=%2Fetc", "projects?path=sub/../../x",
    "resolve?notebook=..%2Foutside.ipynb", "resolve?notebook=%2Fetc%2Fpasswd", "projects?path=~",
])
async def test_path_traversal_refused_on_get(kapi, query):
    code, _, data = await kapi("GET", f"{A}/{query}")
    assert code == 403, data
    assert "message" in data


async def test_path_traversal_refused_on_post(kapi, workdir, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside")
    make_req_project(outside)
    os.symlink(outside, workdir / "link-out")
    for path in ("..%2F..%2Fetc", "%2Ftmp", quote(str(outside / "proj"), safe=""),
                 f"{workdir.name}%2Flink-out%2Fproj", f"{workdir.name}/link-out/proj"):
        code, _, data = await kapi("POST", f"{A}/projects/{path}/create", body={})
        assert code == 403, (path, code, data)
    code, _, data = await kapi("GET", f"{A}/projects?path={workdir.name}/link-out")
    assert code == 403, data
    assert not (outside / "proj" / ".kernelenv").exists()


async def test_missing_paths_are_404(kapi, workdir):
    code, _, data = await kapi("GET", f"{A}/projects?path={workdir.name}/nope")
    assert code == 404 and "does not exist" in data["message"]
    code, _, data = await kapi("POST", f"{A}/projects/{workdir.name}/nope/create", body={})
    assert code == 404
    (workdir / "empty").mkdir()
    code, _, data = await kapi("POST", f"{A}/projects/{workdir.name}/empty/create", body={})
    assert code == 404 and "not a project" in data["message"]


@pytest.mark.parametrize("action,body,fragment", [
    ("build", {}, "Unknown action"),
    ("create", "{not json", "not valid JSON"),
    ("create", "[1, 2]", "JSON object"),
    ("create", {"python": 3.11}, "'python' must be a str"),
    ("create", {"strip_builds": "yes"}, "'strip_builds' must be a bool"),
    ("create", {"bogus": 1}, "Unknown field 'bogus'"),
    ("rebuild", {"python": "3.11"}, "rebuild does not take 'python'"),
    ("lock", {"strip_builds": True}, "lock does not take 'strip_builds'"),
])
async def test_bad_requests_are_400(kapi, workdir, action, body, fragment):
    proj = make_req_project(workdir)
    code, _, data = await kapi("POST", f"{A}/projects/{workdir.name}/{proj.name}/{action}", body=body)
    assert code == 400, data
    assert fragment in data["message"]
    assert not (proj / ".kernelenv").exists()


async def test_malformed_env_file_job_fails_with_file_and_line(kapi, workdir):
    proj = make_req_project(workdir, text="# pinned\nrequests==2.32.3\nnumpy >= 1.0 <<\n")
    code, headers, job = await kapi("POST", f"{A}/projects/{quote(workdir.name + '/proj', safe='')}/create",
                                    body={})
    assert code == 202, job
    assert headers["Location"].endswith(f"/kernelenv/api/jobs/{job['id']}")
    assert job["action"] == "create" and job["project"] == str(proj)
    job = await wait_job(kapi, job["id"], timeout=120)
    assert job["state"] == "failed", job
    err = job["error"]
    assert err["path"] == str(proj / "requirements.txt") and err["line"] == 3, err
    assert "requirements.txt:3" in err["message"]
    # the project is listed with the error and no env
    code, _, data = await kapi("GET", f"{A}/projects?path={workdir.name}")
    (p,) = data["projects"]
    assert p["status"]["status"] == "missing" and p["job"] is None
    assert p["errors"] and p["errors"][0]["line"] == 3


async def test_resolve_notebook(kapi, workdir):
    copy_corpus_project("binder-examples__requirements", workdir)
    (workdir / "binder-examples__requirements" / "notebooks").mkdir()
    nb = f"{workdir.name}/binder-examples__requirements/notebooks/analysis.ipynb"
    code, _, data = await kapi("GET", f"{A}/resolve?notebook={quote(nb)}")
    assert code == 200, data
    assert data["project"]["path"] == f"{workdir.name}/binder-examples__requirements"
    assert data["kernel_name"] == data["project"]["kernel_name"]
    assert data["status"]["status"] == "missing" and data["job"] is None and data["notebook"] == nb
    (workdir / "loose").mkdir()
    code, _, data = await kapi("GET", f"{A}/resolve?notebook={workdir.name}/loose/x.ipynb")
    assert code == 200 and data["project"] is None and data["kernel_name"] is None
    code, _, data = await kapi("GET", f"{A}/resolve")
    assert code == 400


async def test_root_project_addressed_as_dot_or_without_path(kapi):
    """The server root is `projects/./ACTION` or, as browsers normalise it, `projects/ACTION`;
    the test root holds no env file, so both answer 'not a project' for the root itself."""
    for url in (f"{A}/projects/./lock", f"{A}/projects/%2E/lock", f"{A}/projects/lock"):
        code, _, data = await kapi("POST", url, body={})
        assert code == 404 and data["message"].startswith("'.' is not a project folder"), (url, data)


async def test_unknown_job_is_json_404(kapi):
    for job_id in ("0123abcd", "not-a-job"):
        for method in ("GET", "DELETE"):
            code, _, data = await kapi(method, f"{A}/jobs/{job_id}")
            assert code == 404 and job_id in data["message"], data


async def test_project_locked_by_another_process_is_409(kapi, workdir):
    """The engine's cross-process lock (what a `kernelenv create` in a terminal holds) is
    taken here in the test process; the server must refuse rather than queue or corrupt."""
    from kernelenv.locking import project_lock

    proj = make_req_project(workdir)
    with project_lock(proj, "create"):
        code, _, data = await kapi("POST", f"{A}/projects/{workdir.name}/proj/create", body={})
        assert code == 409 and data["job"] is None, data
        assert "Another kernelenv process" in data["message"]
        code, _, data = await kapi("GET", f"{A}/projects?path={workdir.name}")
        assert data["projects"][0]["status"]["status"] == "building"
        assert data["projects"][0]["job"] is None
    assert not (proj / ".kernelenv" / "envs").exists()


def test_openapi_document_matches_the_routes():
    """docs/rest-api.openapi.yaml documents exactly the routes and methods the extension serves."""
    import re
    from pathlib import Path

    import yaml

    from kernelenv_jupyter.handlers import handlers

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "rest-api.openapi.yaml").read_text())
    routes = [(re.compile(pattern + "$"), cls) for pattern, cls in handlers("/")]
    documented = set()
    for template, ops in doc["paths"].items():
        url = "/kernelenv/api" + template.replace("{path}", "a/b").replace("{action}", "create").replace("{id}", "ab12")
        cls = next(c for rx, c in routes if rx.match(url))  # tornado serves the first match
        for method in ops:
            if method in ("get", "post", "delete", "put", "patch"):
                assert method in cls.__dict__, (template, method, cls)
                documented.add((cls, method))
    served = {(cls, m) for _, cls in routes for m in ("get", "post", "delete", "put", "patch") if m in cls.__dict__}
    assert served == documented
