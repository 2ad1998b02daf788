"""Projects that were moved or copied on this machine.

The state file records the folder it was written for (:func:`kernelenv.state.origin_mismatch`).
When a project's state names another folder on this host for this user:

* **moved**: that folder no longer holds a kernelenv project (no state file there). Status
  is ``moved`` (not ready: console scripts and the kernelspec still point at the old
  folder). ``create`` repairs it cheaply (:func:`repair_move`): venv builds get the old
  folder's path rewritten in what carries absolute paths (``bin/`` scripts' ``#!`` lines and
  ``activate*``, ``*.pth`` and editable-install finders in site-packages; each rewritten
  file replaced, never edited in place, since uv hard-links files from its cache), build
  records follow, the kernelspec kernelenv wrote for the old folder is handed over (same
  kernel name, so notebooks keep it), and the kernel is registered again. Conda prefixes
  embed their path in many files: they are rebuilt (from the lock, from rattler's cache).
* **copied**: the original folder still holds its project. The copy's state is not
  believed (it is treated as having no env), so its first build gets its own kernel name
  and never touches the original's kernel; the copied builds, made for the original
  folder, are deleted at that build.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .layout import envs_dir, state_file

#: Largest file rewritten in a venv's bin/ or site-packages (scripts and .pth files are small).
MAX_REWRITE_BYTES = 1024 * 1024


@dataclass
class Move:
    """A project found in another folder than the one its state was written for.

    Args:
        old_root: the folder the state was written for.
        kernel_name: the kernel name recorded there, when valid and a kernelspec of that
            name that kernelenv wrote for ``old_root`` exists (else ``None``).
        state: the raw state file content.
    """

    old_root: Path
    kernel_name: str | None
    state: dict[str, Any]


def find_move(root: Path) -> Move | None:
    """A :class:`Move` when ``root``'s state was written for another folder on this host by
    this user and that folder no longer holds a kernelenv project; else ``None`` (not
    moved, copied, or a state from elsewhere)."""
    from .kernels import is_valid_kernel_name

    found = _other_folder(root)
    if found is None:
        return None
    raw, old = found
    if state_file(old).exists():
        return None  # copied: the original is still there
    name = raw.get("kernel_name")
    if not (isinstance(name, str) and is_valid_kernel_name(name)):
        name = None
    elif not _spec_of(name, old):
        name = None  # only a kernelspec kernelenv wrote for the old folder is taken over
    return Move(old, name, raw)


def _spec_of(name: str, folder: Path) -> bool:
    from .kernels import kernel_dirs, _owner

    return any((d / name / "kernel.json").is_file() and not (d / name).is_symlink()
               and _owner(d / name) == str(folder) for d in kernel_dirs())


def copied_from(root: Path) -> Path | None:
    """The original folder when ``root`` is a copy of a project that still exists, else ``None``."""
    found = _other_folder(root)
    return found[1] if found is not None and state_file(found[1]).exists() else None


def _other_folder(root: Path) -> tuple[dict, Path] | None:
    """``(raw state, the absolute folder it was written for)`` when ``root``'s state file was
    written by this user on this host for another folder (only the folder differs), else ``None``."""
    from .state import origin_mismatch, read_raw_state

    raw = read_raw_state(root)
    if raw is None:
        return None
    mismatch = origin_mismatch(raw, root)
    if set(mismatch) != {"root"} or not mismatch["root"][0]:
        return None
    old = Path(mismatch["root"][0])
    return (raw, old) if old.is_absolute() else None


def _rewrite(path: Path, old: bytes, new: bytes) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    if not path.is_file() or path.is_symlink() or st.st_size > MAX_REWRITE_BYTES:
        return False
    data = path.read_bytes()
    if old not in data or b"\0" in data[:8192]:
        return False
    tmp = path.with_name(path.name + ".kernelenv-tmp")
    tmp.write_bytes(data.replace(old, new))
    os.chmod(tmp, st.st_mode & 0o7777)
    os.replace(tmp, path)  # a new inode: the uv cache's hard-linked copy is not touched
    return True


def relocate_venv(prefix: Path, old_root: Path, new_root: Path) -> int:
    """Rewrite ``old_root`` to ``new_root`` in the files of a venv that carry absolute paths.

    Returns:
        How many files were rewritten.
    """
    old = (str(old_root).rstrip("/") + "/").encode()
    new = (str(new_root).rstrip("/") + "/").encode()
    count = 0
    bindir = prefix / "bin"
    if bindir.is_dir():
        for f in bindir.iterdir():
            count += _rewrite(f, old, new)
    from .layout import site_packages

    for sp in site_packages(prefix):
        for f in sp.iterdir():
            if f.suffix == ".pth" or (f.name.startswith("__editable__") and f.suffix == ".py"):
                count += _rewrite(f, old, new)
    return count


def _hand_over_kernelspec(name: str, old_root: Path, new_root: Path) -> bool:
    """Point the kernelspec kernelenv wrote for ``old_root`` (now gone) at ``new_root``."""
    from .kernels import METADATA_KEY, kernel_dirs, _owner, is_valid_kernel_name

    if not is_valid_kernel_name(name):
        return False
    done = False
    for d in kernel_dirs():
        spec = d / name
        kj = spec / "kernel.json"
        if spec.is_symlink() or not kj.is_file() or _owner(spec) != str(old_root):
            continue
        data = json.loads(kj.read_text(encoding="utf-8"))
        data["metadata"][METADATA_KEY]["project"] = str(new_root)
        tmp = spec / "kernel.json.tmp"
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, kj)
        done = True
    return done


def repair_move(project: Any, move: Move) -> dict[str, Any]:
    """Adopt a moved project's state and builds here (see the module docstring).

    Call while holding the project's lock. For venvs the env is then usable as it is;
    the caller registers the kernel. Conda prefixes are not relocated (``relocated`` is
    ``False``): the caller rebuilds.

    Returns:
        ``{"from": old folder, "kernel_name", "relocated": bool, "files": n rewritten}``.
    """
    from .history import history_dir, is_build_id
    from .state import write_state

    root = project.root
    state = {k: v for k, v in move.state.items() if k not in ("origin", "version")}
    kind = state.get("env_kind")
    files = 0
    relocated = kind == "venv"
    if relocated:
        for child in envs_dir(root).iterdir() if envs_dir(root).is_dir() else []:
            if is_build_id(child.name):
                files += relocate_venv(child, move.old_root, root)
    hd = history_dir(root)
    for rec in hd.glob("*.json") if hd.is_dir() else []:
        try:
            data = json.loads(rec.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("root") == str(move.old_root):
            if relocated:
                data["root"] = str(root)
                tmp = rec.with_name(rec.name + ".tmp")
                tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
                os.replace(tmp, rec)
    if move.kernel_name:
        _hand_over_kernelspec(move.kernel_name, move.old_root, root)
    if relocated:
        write_state(root, state)
    else:  # conda: keep the kernel name, rebuild (the caller does)
        write_state(root, {"kernel_name": move.kernel_name} if move.kernel_name else {})
        shutil.rmtree(hd, ignore_errors=True)
    return {"from": str(move.old_root), "kernel_name": move.kernel_name, "relocated": relocated, "files": files}
