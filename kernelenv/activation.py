"""What a conda env's ``etc/conda/activate.d`` scripts set, for kernels that run in the env.

``conda activate`` sources every ``<prefix>/etc/conda/activate.d/*.sh`` (``*.bat`` on
Windows), in name order, after setting ``CONDA_PREFIX``; packages use them to export
``GDAL_DATA``, ``PROJ_LIB``, ``JAVA_HOME``, ``LD_LIBRARY_PATH`` ... A kernel started from a
kernelspec never runs them, so kernelenv gives the kernel their effect in one of two ways:

* **computed** (no process at all): when every script is a plain list of assignments,
  ``export NAME=value`` or ``NAME=value``, whose values use only literal text, quotes,
  ``$CONDA_PREFIX`` and variables assigned earlier in the scripts, the variables are computed
  here and written into kernel.json's ``env``. Kernel start costs nothing extra.
* **sourced**: for any other script (conditionals, functions, other variables, command
  substitution), the kernel's argv is prefixed with :data:`SOURCE_SCRIPT`, a fixed
  ``/bin/sh`` program that sources the scripts and then ``exec``\\ s the kernel. The prefix
  and the kernel command are passed as separate arguments, never spliced into shell text.

Results are cached by the mtimes of ``activate.d`` and its scripts. Only ``.sh`` scripts on
Unix are supported; on Windows (``.bat``/``.ps1``) nothing is applied.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: scripts bigger than this are sourced, never parsed
MAX_SCRIPT_BYTES = 64 * 1024

#: The /bin/sh program of the sourced mode: ``$0`` is the prefix, ``"$@"`` the kernel command.
SOURCE_SCRIPT = ('CONDA_PREFIX="$0"; export CONDA_PREFIX; '
                 'for f in "$0"/etc/conda/activate.d/*.sh; do [ -f "$f" ] && . "$f"; done; exec "$@"')

_ASSIGN = re.compile(r"(export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Activation:
    """The effect of an env's activate.d scripts.

    Args:
        scripts: the ``*.sh`` scripts, in the order conda sources them.
        env: variables to add to the kernel's environment (computed mode).
        sourced: some script is not a plain assignment list, so the kernel starts through the
            launcher that sources the scripts (:func:`wrap_argv`).
        reason: for ``sourced``, the first script and line that could not be computed.
    """

    scripts: tuple[Path, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    sourced: bool = False
    reason: str | None = None


class _NotPlain(Exception):
    pass


def _expand(text: str, i: int, known: dict[str, str]) -> tuple[str, int]:
    """Expand ``$NAME`` or ``${NAME}`` at ``text[i] == "$"``; returns (value, next index)."""
    if text.startswith("${", i):
        end = text.find("}", i)
        name = text[i + 2:end] if end > 0 else ""
        if not _NAME.fullmatch(name):
            raise _NotPlain("a ${...} form other than ${NAME}")
        nxt = end + 1
    else:
        m = _NAME.match(text, i + 1)
        if not m:
            raise _NotPlain("a $ that is not $NAME")
        name, nxt = m.group(0), m.end()
    if name not in known:
        raise _NotPlain(f"${name} is not CONDA_PREFIX or a variable set earlier")
    return known[name], nxt


def parse_value(text: str, known: dict[str, str]) -> str:
    """The value of a shell assignment's right-hand side, as ``sh`` would compute it.

    Supports literal text, ``'single'`` and ``"double"`` quotes, backslash escapes and
    ``$NAME``/``${NAME}`` of the variables in ``known``. Linear in ``len(text)``.

    Raises:
        _NotPlain: anything else (command substitution, unquoted spaces, ``;`` ...).
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise _NotPlain("an unterminated quote")
            out.append(text[i + 1:end])
            i = end + 1
        elif c == '"':
            i += 1
            while True:
                if i >= n:
                    raise _NotPlain("an unterminated quote")
                c = text[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\" and i + 1 < n and text[i + 1] in '$`"\\':
                    out.append(text[i + 1])
                    i += 2
                elif c == "$":
                    val, i = _expand(text, i, known)
                    out.append(val)
                elif c == "`":
                    raise _NotPlain("command substitution")
                else:
                    out.append(c)
                    i += 1
        elif c == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif c == "$":
            val, i = _expand(text, i, known)
            out.append(val)
        elif c in " \t":
            if text[i:].strip() and not text[i:].strip().startswith("#"):
                raise _NotPlain("more than one word")
            break
        elif c in "`;&|<>()*?[":
            raise _NotPlain(f"the shell character {c!r}")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_script(text: str, known: dict[str, str]) -> dict[str, str]:
    """The variables a plain assignment-list script exports (``known`` is updated with every
    assignment; only the names assigned with ``export`` are returned).

    Raises:
        _NotPlain: with ``"line N: why"`` for the first line that is not a plain assignment.
    """
    exported: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _ASSIGN.fullmatch(line)
        if not m:
            raise _NotPlain(f"line {lineno}: not an assignment")
        try:
            value = parse_value(m.group(3), known)
        except _NotPlain as e:
            raise _NotPlain(f"line {lineno}: {e}") from None
        known[m.group(2)] = value
        if m.group(1) or m.group(2) in exported:
            exported[m.group(2)] = value
    return exported


def scripts(prefix: Path) -> list[Path]:
    """``<prefix>/etc/conda/activate.d/*.sh`` in name order (``[]`` on Windows or without any)."""
    if sys.platform == "win32":
        return []
    d = prefix / "etc" / "conda" / "activate.d"
    try:
        names = sorted(n for n in os.listdir(d) if n.endswith(".sh"))
    except OSError:
        return []
    return [d / n for n in names if (d / n).is_file()]


def _key(prefix: Path) -> tuple:
    d = prefix / "etc" / "conda" / "activate.d"
    try:
        top = os.stat(d).st_mtime_ns
    except OSError:
        return (None,)
    return (top, tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in scripts(prefix)))


_cache: dict[str, tuple[tuple, Activation]] = {}


def activation(prefix: Path) -> Activation:
    """What ``prefix``'s activate.d scripts do (cached by their mtimes; file reads only).

    ``CONDA_PREFIX`` is ``prefix`` as given (a project's live link stays the link).
    """
    key = _key(prefix)
    hit = _cache.get(str(prefix))
    if hit is not None and hit[0] == key:
        return hit[1]
    found = scripts(prefix)
    known = {"CONDA_PREFIX": str(prefix)}
    env: dict[str, str] = {}
    result = Activation(tuple(found))
    for script in found:
        try:
            if script.stat().st_size > MAX_SCRIPT_BYTES:
                raise _NotPlain("too big to read")
            text = script.read_text(encoding="utf-8")
            env.update(parse_script(text, known))
        except (_NotPlain, OSError, UnicodeDecodeError) as e:
            result = Activation(tuple(found), sourced=True, reason=f"{script}: {e}")
            break
    else:
        result = Activation(tuple(found), env=env)
    _cache[str(prefix)] = (key, result)
    return result


def wrap_argv(argv: list[str], prefix: Path) -> list[str]:
    """``argv`` run through ``/bin/sh`` after sourcing ``prefix``'s activate.d scripts
    (:data:`SOURCE_SCRIPT`; the kernel command is passed as arguments, not shell text)."""
    return ["/bin/sh", "-c", SOURCE_SCRIPT, str(prefix), *argv]


def program(argv: list) -> str | None:
    """The kernel's own program in a kernel.json argv: ``argv[0]``, or for an argv wrapped by
    :func:`wrap_argv` the first argument after the prefix (``None`` for an empty or odd argv).
    What "is this kernel's interpreter still there" checks must look at."""
    if len(argv) >= 5 and argv[:3] == ["/bin/sh", "-c", SOURCE_SCRIPT]:
        argv = argv[4:]
    return argv[0] if argv and isinstance(argv[0], str) else None


def apply(spec: dict, prefix: Path) -> dict:
    """``spec`` (a kernel.json dict, changed in place and returned) with ``prefix``'s activation:
    computed variables added to ``env``, or the argv wrapped (:func:`wrap_argv`)."""
    act = activation(prefix)
    if not act.scripts:
        return spec
    if act.sourced:
        spec["argv"] = wrap_argv(list(spec["argv"]), prefix)
    else:
        env = dict(spec.get("env") or {})
        env.update(act.env)
        spec["env"] = env
    return spec
