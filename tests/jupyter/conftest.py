"""Fixtures for the server-extension tests: a real Jupyter Server (pytest-jupyter) that loads
kernelenv through the config file the wheel ships, real kernels, real envs.

pytest-jupyter's fixtures and hooks are imported here (not via the root conftest's
``pytest_plugins``), so they apply to this folder only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F401,F403  (fixtures and hooks for this folder)

from tests.conftest import copy_corpus_project

REPO = Path(__file__).resolve().parents[2]
SHIPPED_SERVER_CONFIG = REPO / "jupyter-config" / "jupyter_server_config.d" / "kernelenv.json"
SHIPPED_KERNELSPEC = REPO / "jupyter-config" / "kernels" / "kernelenv-project"
CORPUS_PROJECT = "binder-examples__requirements"

# pytest-jupyter points HOME at a temp folder per test; keep finding the machine's pyenv Pythons.
os.environ.setdefault("PYENV_ROOT", str(Path.home() / ".pyenv"))


@pytest.fixture
def jp_asyncio_loop(_function_scoped_runner):
    """Run pytest-jupyter's server on the loop pytest-asyncio (asyncio_mode=auto) runs the tests in."""
    yield _function_scoped_runner.get_loop()


@pytest.fixture(autouse=True)
def _no_pythonpath(jp_environ, monkeypatch):
    """pytest-jupyter exports this interpreter's sys.path as PYTHONPATH; a project env on another
    Python version (3.10 here) would import 3.11 modules from it. Jupyter itself sets no PYTHONPATH."""
    monkeypatch.delenv("PYTHONPATH", raising=False)


@pytest.fixture(scope="session")
def session_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's root_dir, shared by every test here so the corpus env is built once."""
    return tmp_path_factory.mktemp("jproot")


@pytest.fixture
def jp_root_dir(session_root: Path) -> Path:
    return session_root


@pytest.fixture
def shipped_files(jp_env_config_path: Path, jp_env_jupyter_path: Path) -> None:
    """Copy the wheel's shared-data where the wheel installs it (``<prefix>/etc/jupyter`` and
    ``<prefix>/share/jupyter``; pytest-jupyter points both at temp folders): the
    ``jupyter_server_config.d/kernelenv.json`` enabling the extension and the portable kernelspec."""
    conf_d = jp_env_config_path / "jupyter_server_config.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED_SERVER_CONFIG, conf_d / "kernelenv.json")
    kernels = jp_env_jupyter_path / "kernels"
    kernels.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SHIPPED_KERNELSPEC, kernels / "kernelenv-project", dirs_exist_ok=True)


@pytest.fixture
def jp_server_config(shipped_files) -> dict:
    """No kernelenv settings at all: the extension is enabled by the shipped config file only."""
    return {"ServerApp": {"jpserver_extensions": {"jupyter_server_terminals": True}}}


@pytest.fixture(scope="session")
def corpus_project(session_root: Path) -> Path:
    """A writable copy of binder-examples__requirements under the server root (at ``req/``)."""
    parent = session_root / "req-parent"
    parent.mkdir(exist_ok=True)
    root = parent / CORPUS_PROJECT
    if not root.exists():
        copy_corpus_project(CORPUS_PROJECT, parent)
    return root


@pytest.fixture
def built_project(corpus_project: Path) -> Path:
    """The corpus project with a ready env: built by ``test_create_through_api_...`` when it ran
    first in this session, else here with the engine (once per session either way)."""
    from kernelenv import api
    from kernelenv.model import Status

    project = api.find_project(corpus_project)
    if api.status(project).status is not Status.READY:
        api.create(project)
    assert api.status(project).status is Status.READY
    return corpus_project


@pytest.fixture
def kapi(jp_serverapp, http_server_client, jp_auth_header, jp_base_url, jp_http_port):
    """``await kapi(method, path, body=None, token=True)`` -> ``(code, headers, json or text)``.

    ``path`` is appended to ``<base_url>`` verbatim (already URL-encoded), so tests control
    the exact bytes sent (encoded slashes, ``..``)."""

    async def call(method: str, path: str, body=None, token: bool = True, timeout: float = 30):
        headers = dict(jp_auth_header) if token else {}
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if method in ("POST", "PUT", "PATCH") and body is None:
            body = ""
        url = f"{jp_base_url}{path}"  # the client prefixes http://127.0.0.1:PORT
        resp = await http_server_client.fetch(url, method=method, body=body, headers=headers,
                                              raise_error=False, request_timeout=timeout,
                                              allow_nonstandard_methods=True)
        text = resp.body.decode() if resp.body else ""
        try:
            data = json.loads(text) if text else None
        except ValueError:
            data = text
        return resp.code, resp.headers, data

    return call


@pytest.fixture
def workdir(session_root: Path, request) -> Path:
    """A fresh folder under the server root for one test (its path relative to the root is ``.name``)."""
    d = session_root / ("w-" + re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)[:60])
    if d.exists():
        shutil.rmtree(d)
    d.mkdir()
    return d
