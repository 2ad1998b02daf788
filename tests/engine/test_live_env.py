"""Living in a project env (issue 11): a kernel is an activated env, `%pip` lands in it,
`status` reports what was installed by hand, `rebuild` reverts it, `create` on a ready
project does nothing. Real uv, real PyPI (through the shared cache), real kernels."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kernelenv.backends.uv import UvBuilder
from kernelenv.layout import link_target
from tests.engine.conftest import cli_json, requirements_project_at, run_cli
from tests.engine.kernel_utils import run_in_kernel

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def live_project(tmp_path_factory) -> Path:
    """A one-package requirements project (``six``), created once for this module."""
    return requirements_project_at(tmp_path_factory.mktemp("live"), "liveproj", "# the notebook needs\nsix\n")


def test_pip_magic_and_shell_commands_land_in_the_project_env(live_project: Path) -> None:
    """`%pip install` installs into the project's venv (pip is seeded), `!python` / `!pip` are
    the env's; `status` then names the hand-installed package; `rebuild` reverts it."""
    [st] = cli_json("status", str(live_project))
    name = st["kernel_name"]
    spec = json.loads((Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels" / name / "kernel.json").read_text())
    venv = live_project / ".venv"
    assert spec["env"] == {"PATH": f"{venv}/bin:${{PATH}}", "VIRTUAL_ENV": str(venv)}

    out = run_in_kernel(name, "%pip install --quiet idna==3.7\n"
                              "!which python pip\n"
                              "!python -c 'import idna, sys; print(idna.__version__, sys.prefix)'\n")
    lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
    assert f"{venv}/bin/python" in lines and f"{venv}/bin/pip" in lines, out
    assert f"3.7 {venv}" in lines, out

    [st] = cli_json("status", str(live_project))
    assert st["status"]["status"] == "drifted"
    assert st["status"]["drift"]["added"] == [{"name": "idna", "version": "3.7"}]
    assert "added idna 3.7" in st["status"]["reason"] and "kernelenv record" in st["status"]["reason"]

    before = link_target(venv)
    proc = run_cli("create", str(live_project))  # never drops hand installs silently
    assert "drifted" in proc.stdout and link_target(venv) == before

    run_cli("rebuild", str(live_project))
    [st] = cli_json("status", str(live_project))
    assert st["status"]["status"] == "ready", st["status"]
    assert not list((link_target(venv)).glob("lib/python*/site-packages/idna-*.dist-info"))


def test_create_on_a_ready_project_does_nothing_unless_forced(live_project: Path) -> None:
    before = link_target(live_project / ".venv")
    proc = run_cli("create", str(live_project))
    assert "ready" in proc.stdout
    assert link_target(live_project / ".venv") == before, "a ready, unchanged env is not rebuilt"
    run_cli("create", "--force", str(live_project))
    assert link_target(live_project / ".venv") != before


def _uv() -> str:
    from kernelenv.uvtool import uv_bin

    return uv_bin()


def test_record_writes_hand_installs_into_the_spec_and_lock(live_project: Path) -> None:
    """A hand install (requests pulls urllib3, idna ...) is recorded as one exact pin: the
    top-level package, under the author's comments; the lock is re-written; status is ready."""
    import subprocess

    subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(live_project / ".venv/bin/python"),
                    "requests==2.32.3"], check=True, env={**os.environ, "VIRTUAL_ENV": ""})
    [st] = cli_json("status", str(live_project))
    added = {d["name"] for d in st["status"]["drift"]["added"]}
    assert {"requests", "urllib3", "idna"} <= added
    run_cli("record", str(live_project))
    assert (live_project / "requirements.txt").read_text() == \
        "# the notebook needs\nsix\nrequests==2.32.3\n"
    assert 'name = "requests"\nversion = "2.32.3"' in (live_project / "pylock.toml").read_text()
    [st] = cli_json("status", str(live_project))
    assert st["status"]["status"] == "ready", st["status"]


def test_add_and_remove_edit_the_spec_in_place_and_update_the_env(live_project: Path) -> None:
    spec = live_project / "requirements.txt"
    spec.write_text(spec.read_text().replace("six\n", "six  # py2/3 helpers\n"))
    run_cli("lock", str(live_project))
    run_cli("add", "six==1.16.0", "--project", str(live_project))
    assert spec.read_text() == "# the notebook needs\nsix==1.16.0  # py2/3 helpers\nrequests==2.32.3\n"
    [st] = cli_json("status", str(live_project))
    assert st["status"]["status"] == "ready"
    assert run_in_kernel(st["kernel_name"], "import six; print(six.__version__)").strip() == "1.16.0"
    run_cli("remove", "Requests", "--project", str(live_project))
    assert spec.read_text() == "# the notebook needs\nsix==1.16.0  # py2/3 helpers\n"
    assert 'name = "requests"' not in (live_project / "pylock.toml").read_text()
    assert not list(link_target(live_project / ".venv").glob("lib/python*/site-packages/requests"))


def test_bad_adds_leave_spec_lock_env_and_kernel_as_they_were(live_project: Path) -> None:
    from kernelenv.locking import project_lock

    files = {p: p.read_bytes() for p in (live_project / "requirements.txt", live_project / "pylock.toml")}
    env = link_target(live_project / ".venv")
    kernel = (Path(os.environ["JUPYTER_DATA_DIR"]) / "kernels").glob("*/kernel.json")
    kernels = {p: p.read_bytes() for p in kernel}
    for args, message in ((["no-such-package-kernelenv-test"], "no-such-package-kernelenv-test was not found"),
                          (["six==999.0"], "six==999.0"),
                          (["six>>1"], "`six>>1` is not a valid requirement")):
        proc = run_cli("add", *args, "--project", str(live_project), check=False)
        assert proc.returncode == 1 and message in proc.stderr, proc.stderr
    proc = run_cli("remove", "pandas", "--project", str(live_project), check=False)
    assert "pandas is not in requirements.txt; nothing was changed" in proc.stderr
    with project_lock(live_project, "rebuild"):
        proc = run_cli("add", "idna", "--project", str(live_project), check=False)
    assert proc.returncode == 1 and "is busy" in proc.stderr and "rebuild" in proc.stderr
    assert {p: p.read_bytes() for p in files} == files
    assert link_target(live_project / ".venv") == env
    assert {p: p.read_bytes() for p in kernels} == kernels
    [st] = cli_json("status", str(live_project))
    assert st["status"]["status"] == "ready"

    # With --wait, the second operation waits for the first instead of refusing.
    import threading

    held = threading.Event()

    def hold() -> None:
        with project_lock(live_project, "add"):
            held.set()
            import time

            time.sleep(2)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(10)
    proc = run_cli("add", "idna==3.7", "--wait", "120", "--project", str(live_project), check=False)
    t.join()
    assert proc.returncode == 0, proc.stderr
    assert "idna==3.7" in (live_project / "requirements.txt").read_text()


def test_a_killed_add_is_undone_by_the_next_operation(live_project: Path) -> None:
    """kernelenv itself SIGKILLed after editing the spec, while uv locks: the next operation
    puts the spec and lock back byte-identical (from the edit journal) before anything else."""
    import signal
    import subprocess
    import sys
    import time

    spec, lock = live_project / "requirements.txt", live_project / "pylock.toml"
    before = {spec: spec.read_bytes(), lock: lock.read_bytes()}
    env = link_target(live_project / ".venv")
    proc = subprocess.Popen([sys.executable, "-m", "kernelenv", "add", "idna==3.6", "--project", str(live_project)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while spec.read_bytes() == before[spec] and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert b"idna==3.6" in spec.read_bytes(), "killed after the edit, before the build finished"
    assert (live_project / ".kernelenv" / "edit-journal" / "manifest.json").is_file()

    out = run_cli("create", str(live_project)).stdout
    assert {p: p.read_bytes() for p in before} == before
    assert not (live_project / ".kernelenv" / "edit-journal").exists()
    assert link_target(live_project / ".venv") == env and "ready" in out


def test_uv_project_add_and_remove_go_through_uv(tmp_path: Path) -> None:
    """A pyproject [project] is edited by `uv add` / `uv remove`; uv.lock stays valid for uv."""
    import subprocess

    root = tmp_path / "uvproj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "uvproj"\nversion = "0.1.0"\n'
                                         'requires-python = ">=3.11"\n# what the notebooks import\n'
                                         'dependencies = [\n    "six",  # helpers\n]\n')
    run_cli("add", "idna==3.7", "--project", str(root))
    text = (root / "pyproject.toml").read_text()
    assert '# what the notebooks import' in text and '"six",  # helpers' in text and '"idna==3.7"' in text
    assert 'name = "idna"\nversion = "3.7"' in (root / "uv.lock").read_text()
    subprocess.run([_uv(), "lock", "--check"], cwd=root, check=True, env={**os.environ, "VIRTUAL_ENV": ""},
                   capture_output=True)
    [st] = cli_json("status", str(root))
    assert st["status"]["status"] == "ready"
    assert run_in_kernel(st["kernel_name"], "import idna; print(idna.__version__)").strip() == "3.7"
    run_cli("remove", "idna", "--project", str(root))
    assert "idna" not in (root / "pyproject.toml").read_text()
    assert 'name = "idna"' not in (root / "uv.lock").read_text()

    # ipykernel is not in uv.lock (the project does not declare it): the versions installed the
    # first time are pinned for this lock, and every rebuild from it installs exactly them.
    from kernelenv.state import read_state, update_state

    pins = read_state(root)["kernel_pins"]["pins"]
    assert any(p.startswith("ipykernel==") for p in pins) and any(p.startswith("pip==") for p in pins)
    old = [p for p in pins if not p.startswith("ipykernel==")] + ["ipykernel==6.29.0"]
    update_state(root, kernel_pins={**read_state(root)["kernel_pins"], "pins": old})
    run_cli("rebuild", str(root))
    assert UvBuilder().installed(link_target(root / ".venv"))["ipykernel"] == "6.29.0"


@pytest.mark.parametrize("name,text,expected", [
    ("pyproject.toml",
     '[tool.poetry]\nname = "poetryproj"\nversion = "0.1.0"\n\n# runtime\n[tool.poetry.dependencies]\n'
     'python = ">=3.10"\nsix = "*"  # helpers\n',
     '[tool.poetry]\nname = "poetryproj"\nversion = "0.1.0"\n\n# runtime\n[tool.poetry.dependencies]\n'
     'python = ">=3.10"\nsix = "*"  # helpers\nidna = "==3.7"\n'),
    ("Pipfile",
     '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
     '[packages]\nsix = "*"  # helpers\n\n[dev-packages]\npytest = "*"\n',
     '[[source]]\nurl = "https://pypi.org/simple"\nverify_ssl = true\nname = "pypi"\n\n'
     '[packages]\nsix = "*"  # helpers\nidna = "==3.7"\n\n[dev-packages]\npytest = "*"\n'),
])
def test_add_to_poetry_and_pipfile_projects(tmp_path: Path, name: str, text: str, expected: str) -> None:
    """Poetry's and pipenv's dependency tables are edited in place; the env (built from the spec,
    there is no lock here) has the package."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / name).write_text(text)
    [res] = cli_json("add", "idna==3.7", "--project", str(root))
    assert res["ok"], res
    assert (root / name).read_text() == expected
    assert run_in_kernel(res["result"]["kernel_name"], "import idna; print(idna.__version__)").strip() == "3.7"


def test_add_to_a_spec_with_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    root.mkdir()
    text = '[project]\nname = "broken"\ndependencies = ["six",\n'
    (root / "pyproject.toml").write_text(text)
    proc = run_cli("add", "idna", "--project", str(root), check=False)
    assert proc.returncode == 1
    assert "pyproject.toml:3" in proc.stderr, proc.stderr
    assert (root / "pyproject.toml").read_text() == text
    assert not (root / ".venv").exists() and not (root / "uv.lock").exists()


def _pins(text: str) -> dict[str, str]:
    """``{name: version}`` of a compiled requirements.txt's ``name==version`` lines."""
    return {ln.split("==")[0]: ln.split("==")[1].split()[0] for ln in text.splitlines()
            if "==" in ln and not ln.startswith((" ", "#"))}


def test_add_and_remove_on_a_pip_compile_project_edit_the_in_and_recompile_the_txt(tmp_path: Path) -> None:
    """requirements.in is the spec (comments kept), requirements.txt is re-compiled from it by
    `uv pip compile --generate-hashes` (the other pins kept), the env has the package; `remove`
    takes it out of both; a package that does not exist leaves both byte-identical."""
    from tests.conftest import copy_corpus_project

    root = copy_corpus_project("binder-examples__requirements", tmp_path)
    src, out = root / "requirements.in", root / "requirements.txt"
    src0, pins0 = src.read_text(), _pins(out.read_text())
    assert "idna" not in pins0

    run_cli("add", "idna==3.7", "--project", str(root))
    assert src.read_text() == src0 + "idna==3.7\n"
    text = out.read_text()
    assert "autogenerated by pip-compile" in text and "idna==3.7 \\\n    --hash=sha256:" in text
    assert _pins(text) == {**pins0, "idna": "3.7"}  # the existing pins kept, as pip-compile does
    [st] = cli_json("status", str(root))
    assert st["status"]["status"] == "ready", st["status"]
    assert UvBuilder().installed(link_target(root / ".venv"))["idna"] == "3.7"

    before = {p: p.read_bytes() for p in (src, out)}
    env = link_target(root / ".venv")
    proc = run_cli("add", "no-such-package-kernelenv-test", "--project", str(root), check=False)
    assert proc.returncode == 1 and "no-such-package-kernelenv-test" in proc.stderr, proc.stderr
    assert {p: p.read_bytes() for p in before} == before
    assert link_target(root / ".venv") == env

    run_cli("remove", "idna", "--project", str(root))
    assert src.read_text() == src0
    assert _pins(out.read_text()) == pins0
    assert "idna" not in UvBuilder().installed(link_target(root / ".venv"))
