"""Opening a workspace: the kernelenv/projects notification, the prompt, settings, client profiles.

Real server subprocess (``python -m kernelenv_lsp``) and a real pytest-lsp client; real
corpus projects copied to a temp folder.
"""

from __future__ import annotations

import json

import pytest
from lsprotocol import types

from .lsphelp import client_capabilities, command, lsp, projects_of, uri, wait_until

REQ = "binder-examples__requirements"
CONDA = "binder-examples__conda"
PIPFILE = "binder-examples__pipfile"


async def test_initialize_reports_projects_and_prompts_once(workspace, tmp_path):
    ws = workspace(REQ, CONDA)
    state_home = tmp_path / "state"
    env = {"KERNELENV_STATE_HOME": str(state_home)}
    async with lsp(ws, env=env, answer="Never for this project") as client:
        note = await projects_of(client, ws)
        assert note["workspaceFolder"] == uri(ws)
        by_name = {p["name"]: p for p in note["projects"]}
        req = by_name[REQ]
        assert req["path"] == REQ and req["root"] == str(ws / REQ)
        assert req["backend"] == "uv" and req["env_kind"] == "venv"
        assert req["python"] == {"specifier": "==3.10.*", "source": "runtime.txt", "raw": "python-3.10"}
        assert req["spec"] == "requirements.txt"
        assert req["status"]["status"] == "missing"
        assert req["kernel_name"] == req["status"]["kernel_name"]
        conda = next(p for p in note["projects"] if p["root"] == str(ws / CONDA))
        assert conda["env_kind"] == "conda"
        assert conda["status"]["status"] == "missing"

        # One prompt per missing project, with the three actions; "Never" is remembered.
        await wait_until(lambda: len(client.prompts) == 2, 30, "two prompts")
        for p in client.prompts:
            assert [a.title for a in p.actions] == ["Create environment", "Not now", "Never for this project"]
        assert any(str(ws / REQ) in p.message for p in client.prompts)
        memory = state_home / "lsp.json"
        await wait_until(lambda: memory.exists() and len(json.loads(memory.read_text())["never_prompt"]) == 2,
                         10, "never-prompt memory")
        assert set(json.loads(memory.read_text())["never_prompt"]) == {str(ws / REQ), str(ws / CONDA)}

    # A new session does not ask again about those projects.
    async with lsp(ws, env=env, answer="Not now") as client:
        res = await command(client, "kernelenv.projects")  # right away: waits for detection
        assert [f["workspaceFolder"] for f in res] == [uri(ws)]
        assert {p["name"] for p in res[0]["projects"]} >= {REQ}
        assert res[0] == await projects_of(client, ws)
        assert client.prompts == []


async def test_prompts_off_through_configuration_and_init_options(workspace, tmp_path):
    ws = workspace(REQ)
    env = {"KERNELENV_STATE_HOME": str(tmp_path / "state")}
    async with lsp(ws, env=env, configuration={"kernelenv": {"prompt": False}},
                   answer="Never for this project") as client:
        note = await projects_of(client, ws)
        assert note["projects"][0]["status"]["status"] == "missing"
        # Ask for status to be sure the server is past its startup work.
        await command(client, "kernelenv.status", {"project": str(ws / REQ)})
        assert client.prompts == []
    async with lsp(ws, env=env, init_options={"kernelenv": {"prompt": False}},
                   caps=types.ClientCapabilities(), answer="Never for this project") as client:
        await projects_of(client, ws)
        await command(client, "kernelenv.status", uri(ws / REQ))
        assert client.prompts == []
    assert not (tmp_path / "state" / "lsp.json").exists()


async def test_backend_setting_and_folder_changes(workspace, tmp_path):
    ws = workspace(REQ)
    other = tmp_path / "other"
    other.mkdir()
    from tests.conftest import copy_corpus_project

    copy_corpus_project(PIPFILE, other)
    async with lsp(ws, init_options={"prompt": False, "backend": "rattler"}) as client:
        note = await projects_of(client, ws)
        assert note["projects"][0]["backend"] == "rattler"
        client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=uri(other), name="other")],
                removed=[types.WorkspaceFolder(uri=uri(ws), name="ws")])))
        added = await projects_of(client, other)
        assert [p["name"] for p in added["projects"]] == [PIPFILE]
        assert added["projects"][0]["path"] == PIPFILE
        removed = await wait_until(lambda: next((p for p in client.kernelenv_projects[1:]
                                                 if p["workspaceFolder"] == uri(ws)), None), 10, "removal")
        assert removed["projects"] == []


async def test_kernel_for_notebook_and_bad_arguments(workspace):
    ws = workspace(CONDA)
    nb = next((ws / CONDA).rglob("*.ipynb"))
    async with lsp(ws, init_options={"prompt": False}) as client:
        await projects_of(client, ws)
        res = await command(client, "kernelenv.kernelForNotebook", {"notebook": uri(nb)})
        assert res["kernel_name"] and res["project"]["root"] == str(ws / CONDA)
        assert res["status"]["status"] == "missing" and res["python"] is None
        with pytest.raises(Exception) as exc:
            await command(client, "kernelenv.create", {"project": str(ws.parent)})
        assert "No kernelenv project" in str(exc.value)
        with pytest.raises(Exception):
            await command(client, "kernelenv.status", {"nope": 1})
        # Still answering.
        res = await command(client, "kernelenv.status", {"project": uri(ws / CONDA)})
        assert res["status"]["status"] == "missing"


@pytest.mark.parametrize("profile", ["visual-studio-code", "neovim"])
async def test_client_profiles(workspace, profile):
    """The capability profiles pytest-lsp ships (VS Code 1.65, Neovim latest)."""
    ws = workspace(REQ)
    bad = ws / REQ / "requirements.txt"
    caps = client_capabilities(profile)
    async with lsp(ws, caps=caps, init_options={"prompt": False}) as client:
        note = await projects_of(client, ws)
        assert note["projects"][0]["name"] == REQ
        text = bad.read_text() + "not a requirement ==\n"
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri(bad), language_id="pip-requirements", version=1, text=text)))
        last = len(text.splitlines()) - 1
        if caps.text_document and caps.text_document.diagnostic:
            report = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
                text_document=types.TextDocumentIdentifier(uri=uri(bad))))
            diags = report.items
        else:
            diags = await wait_until(lambda: client.diagnostics.get(uri(bad)), 30, "pushed diagnostics")
        assert [(d.code, d.range.start.line, d.source) for d in diags] == [("invalid-requirement", last, "kernelenv")]
        lenses = await client.text_document_code_lens_async(types.CodeLensParams(
            text_document=types.TextDocumentIdentifier(uri=uri(bad))))
        assert lenses[0].command.title == "env missing"
        if profile == "visual-studio-code":
            # VS Code registers file watchers dynamically.
            await wait_until(lambda: getattr(client, "registrations", None), 10, "watcher registration")
            assert client.registrations[0].method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
