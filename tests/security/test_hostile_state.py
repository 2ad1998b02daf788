"""A cloned repository's ``.kernelenv/`` is hostile input (issue 17, item 1).

Each test plants what an attacker can commit (a state.json naming ``../`` paths, the
user's own kernels or another project's kernel; symbolic links inside ``.kernelenv``)
and checks that kernelenv neither writes outside the project's ``.kernelenv/`` and the
kernels dir nor overwrites or deletes a kernelspec it did not create for the project.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from kernelenv import api
from kernelenv.errors import KernelspecConflictError, UnsafePathError
from kernelenv.kernels import (KernelLocation, is_valid_kernel_name, kernel_name, prune, register,
                               unregister)
from kernelenv.state import current_origin, origin_mismatch, read_raw_state, read_state, write_state
from tests.engine.conftest import cli_json, run_cli


def _kernels_dir() -> Path:
    return Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels"


def _project(root: Path, name: str | None = None):
    root.mkdir(parents=True)
    if name:
        (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "0"\ndependencies = ["six"]\n')
    else:
        (root / "requirements.txt").write_text("six\n")
    [p] = api.detect(root)
    return p


def _plant_state(root: Path, *, forged_origin: bool, **fields) -> None:
    """Write a state.json as an attacker would commit it; ``forged_origin`` also fakes the
    origin of this very folder, host and user (the worst case: only validation is left)."""
    d = root / ".kernelenv"
    d.mkdir(exist_ok=True)
    data = {"version": 1, "environment": None, **fields}
    if forged_origin:
        data["origin"] = current_origin(root)
    (d / "state.json").write_text(json.dumps(data))


def _foreign_spec(name: str, argv0: str = "/usr/bin/python3", metadata: dict | None = None) -> Path:
    d = _kernels_dir() / name
    d.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [argv0, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"user's own {name}", "language": "python", "metadata": metadata or {}}
    (d / "kernel.json").write_text(json.dumps(spec))
    return d


def _files_under(d: Path) -> set[str]:
    return {p.relative_to(d).as_posix() for p in d.rglob("*")} if d.is_dir() else set()


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """One real create (six from the shared uv cache) of a folder named ``myenv`` whose
    committed state.json names ``../../../../../../<tmp>/PWNED`` with a forged origin,
    while the user has a kernelspec ``myenv`` of their own."""
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "outside"
    outside.mkdir()
    user_spec = _foreign_spec("myenv")
    before = (user_spec / "kernel.json").read_bytes()
    root = base / "repo" / "myenv"
    root.mkdir(parents=True)
    (root / "requirements.txt").write_text("six\n")
    evil = "../" * 12 + str(outside / "PWNED").lstrip("/")
    _plant_state(root, forged_origin=True, kernel_name=evil, kernel_location={"user": True})
    [res] = cli_json("create", str(root))
    yield {"root": root, "outside": outside, "user_spec": user_spec, "before": before, "result": res}
    (user_spec / "kernel.json").unlink()
    user_spec.rmdir()


def test_hostile_state_name_never_becomes_a_path(hostile_build) -> None:
    res, outside = hostile_build["result"], hostile_build["outside"]
    name = res["result"]["kernel_name"]
    assert is_valid_kernel_name(name) and "PWNED" not in name and "/" not in name
    assert _files_under(outside) == set(), "nothing may be written outside the kernels dir"
    spec_dir = _kernels_dir() / name
    assert spec_dir.parent == _kernels_dir() and (spec_dir / "kernel.json").is_file()
    meta = json.loads((spec_dir / "kernel.json").read_text())["metadata"]["kernelenv"]
    assert meta["project"] == str(hostile_build["root"])


def test_users_own_kernelspec_of_the_same_name_is_kept(hostile_build) -> None:
    name = hostile_build["result"]["result"]["kernel_name"]
    assert name != "myenv" and name.startswith("myenv-"), "a suffixed name, not the user's myenv"
    assert (hostile_build["user_spec"] / "kernel.json").read_bytes() == hostile_build["before"]


def test_remove_deletes_only_the_projects_own_kernel(hostile_build) -> None:
    root = hostile_build["root"]
    name = hostile_build["result"]["result"]["kernel_name"]
    run_cli("purge", str(root))
    assert not (_kernels_dir() / name).exists()
    assert (hostile_build["user_spec"] / "kernel.json").read_bytes() == hostile_build["before"]


@pytest.mark.parametrize("forged_origin", [False, True])
def test_state_naming_python3_never_shadows_the_default_kernel(tmp_path: Path, forged_origin: bool) -> None:
    folder = f"proj-forged-{forged_origin}".lower()
    p = _project(tmp_path / folder)
    _plant_state(p.root, forged_origin=forged_origin, kernel_name="python3")
    assert kernel_name(p) == folder
    d = register(p, p.root / ".venv" / "bin" / "python", "3.11.7", env_path=p.root / ".venv")
    assert d.name == folder
    assert not (_kernels_dir() / "python3").exists()


def test_project_named_python3_gets_a_suffix(tmp_path: Path) -> None:
    p = _project(tmp_path / "python3")
    assert kernel_name(p).startswith("python3-")


@pytest.mark.parametrize("forged_origin", [False, True])
def test_remove_never_deletes_another_projects_kernel(tmp_path: Path, forged_origin: bool) -> None:
    victim = _project(tmp_path / f"victim-{forged_origin}".lower())
    spec = register(victim, victim.root / ".venv" / "bin" / "python", "3.11.7", env_path=victim.root / ".venv")
    attacker = _project(tmp_path / "attacker")
    _plant_state(attacker.root, forged_origin=forged_origin, kernel_name=spec.name,
                 kernel_location={"user": True}, build="b-x")
    assert kernel_name(attacker) != spec.name
    api.purge(attacker)
    assert (spec / "kernel.json").is_file(), "another project's kernel must survive purge"
    assert not unregister(spec.name, project=attacker.root)
    assert (spec / "kernel.json").is_file()
    assert unregister(spec.name, project=victim.root)


def test_register_refuses_to_overwrite_a_foreign_kernelspec(tmp_path: Path) -> None:
    """Even a name that slipped through (a prefix location with a foreign spec) is refused."""
    p = _project(tmp_path / "proj", "demo")
    loc = KernelLocation(user=False, prefix=tmp_path / "pfx")
    foreign = loc.kernels_dir() / "demo"
    foreign.mkdir(parents=True)
    (foreign / "kernel.json").write_text('{"argv": ["x"], "display_name": "mine", "language": "python"}')
    d = register(p, p.root / ".venv" / "bin" / "python", "3.11.7", env_path=p.root / ".venv", location=loc)
    assert d.name.startswith("demo-")
    assert json.loads((foreign / "kernel.json").read_text())["display_name"] == "mine"
    # both candidate names taken by foreign kernelspecs: a clear refusal, nothing written
    other = loc.kernels_dir() / d.name
    (other / "kernel.json").write_text('{"argv": ["x"], "display_name": "also mine", "language": "python"}')
    with pytest.raises(KernelspecConflictError, match="never overwrites"):
        register(p, p.root / ".venv" / "bin" / "python", "3.11.7", env_path=p.root / ".venv", location=loc)
    assert json.loads((other / "kernel.json").read_text())["display_name"] == "also mine"


def test_prune_leaves_kernelspecs_kernelenv_did_not_write(tmp_path: Path) -> None:
    p = _project(tmp_path / "gone")
    ours = register(p, p.root / ".venv" / "bin" / "python", "3.11.7", env_path=p.root / ".venv")
    # kernelenv-looking metadata, but its interpreter is not in a project's live env link
    lookalike = _foreign_spec("lookalike", argv0=str(tmp_path / "missing" / "python"),
                              metadata={"kernelenv": {"project": str(tmp_path)}})
    removed = {k.name for k in prune()}
    assert ours.name in removed and not ours.exists()
    assert "lookalike" not in removed and (lookalike / "kernel.json").is_file()


def test_state_from_another_folder_host_or_user_is_absent(tmp_path: Path) -> None:
    p = _project(tmp_path / "here")
    write_state(p.root, {"kernel_name": "here-kernel", "environment": None})
    assert read_state(p.root)["kernel_name"] == "here-kernel"
    assert origin_mismatch(read_raw_state(p.root), p.root) == {}
    raw = read_raw_state(p.root)
    for field, value in (("root", "/elsewhere/here"), ("host", socket.gethostname() + "-other"),
                         ("user", "someone-else")):
        data = {**raw, "origin": {**raw["origin"], field: value}}
        (p.root / ".kernelenv" / "state.json").write_text(json.dumps(data))
        assert set(origin_mismatch(data, p.root)) == {field}
        assert read_state(p.root) is None, f"a state file for another {field} is absent"
        assert kernel_name(p) == "here"
        # same host and user, a folder that holds no project any more: a moved project (issue 12)
        assert api.status(p).status.value == ("moved" if field == "root" else "missing")
        assert api.status(p).kernel_name == "here"  # never the state's name for a folder it does not own
    # a copied project: the state names the folder it was built for
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "requirements.txt").write_text("six\n")
    (copy / ".kernelenv").mkdir()
    (copy / ".kernelenv" / "state.json").write_text(json.dumps(raw))
    assert origin_mismatch(raw, copy) == {"root": (str(p.root.resolve()), str(copy.resolve()))}
    assert read_state(copy) is None


def test_symlinked_state_dir_is_refused_before_any_write(tmp_path: Path) -> None:
    target = tmp_path / "victim-dir"
    target.mkdir()
    (target / "precious").write_text("keep me")
    p = _project(tmp_path / "proj")
    (p.root / ".kernelenv").mkdir()
    (p.root / ".kernelenv" / "envs").symlink_to(target, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        api.create(p)
    with pytest.raises(UnsafePathError):
        api.purge(p)
    assert _files_under(target) == {"precious"}
    (p.root / ".kernelenv" / "envs").unlink()
    (p.root / ".kernelenv").rmdir()
    (p.root / ".kernelenv").symlink_to(target, target_is_directory=True)
    with pytest.raises(UnsafePathError):
        api.lock(p)
    assert _files_under(target) == {"precious"}


def test_adopted_image_state_holds_on_any_host_but_a_committed_copy_does_not(tmp_path: Path) -> None:
    """`kernelenv adopt` in an image build records host "*": containers of the image get new
    host names. That is believed only for an adopted prefix outside the project folder (a
    repository cannot ship the prefix); a state claiming "*" for an env inside it is absent."""
    p = _project(tmp_path / "binderish")
    prefix = tmp_path / "srv-conda-env"
    prefix.mkdir()
    envs = p.root / ".kernelenv" / "envs"
    envs.mkdir(parents=True)
    (envs / "image").symlink_to(prefix, target_is_directory=True)
    write_state(p.root, {"build": "image", "kernel_name": "binderish", "environment": None}, any_host=True)
    raw = read_raw_state(p.root)
    assert raw["origin"]["host"] == "*"
    data = {**raw, "origin": {**raw["origin"], "host": "*"}}
    assert origin_mismatch(data, p.root) == {}
    assert read_state(p.root) is not None
    # the same claim for an env shipped inside the repository is not believed
    inside = envs / "b-evil"
    inside.mkdir()
    (envs / "image").unlink()
    (envs / "image").symlink_to(inside, target_is_directory=True)
    assert set(origin_mismatch(data, p.root)) == {"host"}
    assert read_state(p.root) is None
    for build in ("../../x", "b-evil", None):
        assert "host" in origin_mismatch({**data, "build": build}, p.root)
