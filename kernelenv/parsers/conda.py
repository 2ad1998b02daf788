"""Reading conda ``environment.yml`` files (the ``conda env create -f`` format).

Format: conda's environment file spec
(https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#create-env-file-manually):
a YAML mapping with ``name``, ``channels``, ``dependencies`` (conda MatchSpec strings,
plus at most one ``{pip: [...]}`` entry holding pip requirement lines, where
``-r file`` is relative to the env file) and, in ``conda env export`` output,
``prefix``. Each conda entry is validated with :class:`rattler.MatchSpec` (the same
parser the solver uses). Line numbers come from the YAML node marks
(:func:`yaml.compose`), so every error names the file, line and column.

Nothing here touches the network or runs project code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import EnvFileError
from .errors_util import Collector, bounded, compose_yaml, read_text

#: conda packages that only exist for Windows (``conda env export`` on Windows lists
#: them; they never solve on Linux/macOS). Prefix patterns end with ``*``.
WINDOWS_ONLY = (
    "vc", "vc14_runtime", "vs2015_runtime", "vs2017_runtime", "vs2019_win-64",
    "vs2022_win-64", "ucrt", "pywin32", "pywin32-ctypes", "pywinpty", "winpty",
    "wincertstore", "win_inet_pton", "win32_setctime", "msys2-conda-epoch", "m2w64-*",
    "m2-*", "pyreadline", "pyreadline3", "console_shortcut", "powershell_shortcut",
    "libwinpthread",
)

_KNOWN_KEYS = {"name", "channels", "dependencies", "prefix", "variables", "category", "platforms"}


@dataclass
class CondaDependency:
    """One conda entry of ``dependencies``.

    Args:
        spec: the MatchSpec string as written (trailing ``# comment`` removed by YAML).
        name: the normalized package name.
        line: 1-based line of the entry.
        column: 1-based column where the entry's text starts.
        build: the build string, when the entry pins one (``=py36_0``), else ``None``.
    """

    spec: str
    name: str
    line: int
    column: int
    build: str | None = None

    @property
    def windows_only(self) -> bool:
        """Whether the package exists only for Windows (see :data:`WINDOWS_ONLY`)."""
        return is_windows_only(self.name)


@dataclass
class CondaEnvSpec:
    """What an ``environment.yml`` asks for.

    Args:
        path: the file.
        name: the ``name:`` value, or ``None``.
        channels: channel names/URLs in order, including ``nodefaults`` when written.
        dependencies: conda MatchSpec strings (the ``pip:`` entry excluded).
        pip: the raw pip lines, in order (``-r file`` and ``-e ...`` lines included).
        pip_files: files named by ``-r``/``--requirement`` lines, resolved relative to
            the env file's folder.
        python: the version part of the python entry (``"3.11"`` for ``python=3.11``,
            ``"==3.14"`` for ``python==3.14``, ``"3.6.10"`` for
            ``python=3.6.10=h9f7ef89_2``), or ``None`` when python is absent/unpinned.
        python_line: 1-based line of the python entry, or ``None``.
        prefix: the ``prefix:`` value (from ``conda env export``), or ``None``.
        warnings: things a user should know (Windows-only packages, build strings,
            unknown keys, ``-e`` lines ...), one sentence each.
        entries: one :class:`CondaDependency` per conda entry, with its line.
        pip_line: 1-based line of the ``pip:`` entry, or ``None``.
        platforms: the ``platforms:`` list (conda-lock's key: the subdirs to lock for), each
            checked to be a conda platform name; empty when absent.
        platforms_line: 1-based line of the ``platforms:`` key, or ``None``.
    """

    path: Path
    name: str | None = None
    channels: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    pip: list[str] = field(default_factory=list)
    pip_files: list[Path] = field(default_factory=list)
    python: str | None = None
    python_line: int | None = None
    prefix: str | None = None
    warnings: list[str] = field(default_factory=list)
    entries: list[CondaDependency] = field(default_factory=list)
    pip_line: int | None = None
    platforms: list[str] = field(default_factory=list)
    platforms_line: int | None = None

    @property
    def windows_only(self) -> list[CondaDependency]:
        """Entries naming Windows-only packages."""
        return [e for e in self.entries if e.windows_only]

    @property
    def with_builds(self) -> list[CondaDependency]:
        """Entries pinning a build string (typical of ``conda env export``)."""
        return [e for e in self.entries if e.build]

    def line_of(self, name: str) -> int | None:
        """1-based line of the entry for package ``name`` (normalized), or ``None``."""
        n = name.lower()
        return next((e.line for e in self.entries if e.name == n), None)

    def stripped_dependencies(self) -> tuple[list[str], list[str]]:
        """The dependencies with build strings removed and Windows-only packages dropped.

        Returns:
            ``(kept, dropped)``: ``kept`` are MatchSpec strings without build strings
            (``absl-py=0.9.0=py36_0`` becomes ``absl-py==0.9.0``); ``dropped`` are the
            Windows-only entries as written.
        """
        kept, dropped = [], []
        for e in self.entries:
            if e.windows_only:
                dropped.append(e.spec)
            elif e.build:
                kept.append(strip_build(e.spec))
            else:
                kept.append(e.spec)
        return kept, dropped


def is_windows_only(name: str) -> bool:
    """Whether conda package ``name`` exists only for Windows (see :data:`WINDOWS_ONLY`)."""
    n = name.lower()
    for pat in WINDOWS_ONLY:
        if pat.endswith("*") and n.startswith(pat[:-1]):
            return True
        if n == pat:
            return True
    return False


def strip_build(spec: str) -> str:
    """Drop the build string of a MatchSpec string, keeping name and version.

    ``absl-py=0.9.0=py36_0`` -> ``absl-py==0.9.0``; ``numpy 1.2 py_0`` -> ``numpy==1.2``;
    a spec with no build is returned unchanged.
    """
    from rattler import MatchSpec

    m = MatchSpec(spec)
    if m.build is None or m.name is None:
        return spec
    name = m.name.normalized
    version = m.version
    return f"{name}{_version_text(version)}" if version else name


def _version_text(version: str) -> str:
    v = version.strip()
    return v if v[:1] in "=<>!~" else f" {v}"


def _python_version(spec: str) -> str | None:
    """The version part of a ``python...`` MatchSpec string as written, or ``None``."""
    m = re.match(r"^\s*python\s*(.*)$", spec)
    rest = (m.group(1) if m else "").strip()
    if not rest or rest == "*":
        return None
    if rest.startswith("=="):
        return "==" + re.split(r"[=\s]", rest[2:].strip(), maxsplit=1)[0]
    if rest.startswith("=") and not rest.startswith("=="):
        rest = rest[1:]
    return re.split(r"(?<=[^<>!~=])=|\s+", rest.strip(), maxsplit=1)[0] or None


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _err(path: Path, node: yaml.Node | None, message: str, code: str) -> EnvFileError:
    if node is None:
        return EnvFileError(path, message, 1, 1, code=code)
    line, col = _mark(node)
    end = node.end_mark
    return EnvFileError(path, message, line, col, end_line=end.line + 1, end_column=end.column + 1,
                        code=code)


def _compose(path: Path) -> yaml.Node | None:
    return compose_yaml(path, read_text(path))


_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_TYPE_NAMES = {"tag:yaml.org,2002:int": "a number", "tag:yaml.org,2002:float": "a number",
               "tag:yaml.org,2002:bool": "a boolean"}


def _scalar(path: Path, node: yaml.Node, what: str) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _NULL:
            return None
        return node.value
    raise _err(path, node, f"{what} must be a single value, not a {_kind(node)}", "invalid-structure")


def _entry_text(path: Path, node: yaml.Node, what: str) -> str:
    """An entry of a list that must be a string: null, numbers and booleans are errors
    (YAML reads ``- 3.10`` as the number 3.1, and conda would too)."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _NULL:
            raise _err(path, node, f"empty entry in {what} (null); write a package name or remove the line",
                       "invalid-type")
        if node.tag in _TYPE_NAMES:
            raise _err(path, node, f"entry {node.value!r} in {what} is {_TYPE_NAMES[node.tag]}, not a "
                       f"package spec; quote it if you mean the text", "invalid-type")
        return node.value
    raise _err(path, node, f"each entry of {what} must be a single value, not a {_kind(node)}",
               "invalid-structure")


def _kind(node: yaml.Node) -> str:
    return {yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}.get(type(node), "value")


def _string_list(path: Path, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node]]:
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null":
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise _err(path, node, f"`{what}` must be a list, not a {_kind(node)}", "invalid-structure")
    out = []
    errors = Collector()
    for item in node.value:
        with errors.attempt():
            out.append((_entry_text(path, item, f"`{what}`"), item))
    errors.raise_all()
    return out


def _platforms(path: Path, node: yaml.Node) -> list[str]:
    """conda-lock's ``platforms:`` list: conda platform names (``linux-64``, ``osx-arm64`` ...)."""
    from ..conda_channels import is_platform

    out = []
    for text, item in _string_list(path, node, "platforms"):
        if not is_platform(text.strip()):
            raise _err(path, item, f"`{text}` is not a conda platform (linux-64, linux-aarch64, osx-64, "
                       "osx-arm64, win-64 ...)", "invalid-platform") from None
        out.append(text.strip())
    return list(dict.fromkeys(out))


@bounded
def read_environment_yml(path: Path) -> CondaEnvSpec:
    """Parse a conda environment file.

    Args:
        path: an ``environment.yml``/``.yaml`` (any name).

    Returns:
        A :class:`CondaEnvSpec`.

    Raises:
        EnvFileError: unreadable file, YAML syntax error (line/column of the YAML
            mark, code ``yaml-syntax``), wrong structure (``invalid-structure``), or
            a conda entry that is not a valid MatchSpec (its line, code
            ``invalid-matchspec``), a null/number entry (``invalid-type``), a pip entry
            that is not a valid requirement line (``invalid-requirement``), a file
            over the size or nesting limits. Every conda and pip entry is checked:
            several bad entries raise :class:`~kernelenv.errors.EnvFileErrors`.
    """
    from rattler import MatchSpec
    from rattler.exceptions import InvalidMatchSpecError

    path = Path(path)
    root = _compose(path)
    spec = CondaEnvSpec(path=path)
    if root is None:
        raise EnvFileError(path, "the file is empty; expected a mapping with `dependencies:`", 1, 1,
                           code="invalid-structure")
    if not isinstance(root, yaml.MappingNode):
        raise _err(path, root, f"expected a mapping (name:, channels:, dependencies:), got a {_kind(root)}",
                   "invalid-structure")
    seen: set[str] = set()
    deps_node = None
    errors = Collector()
    for key_node, value in root.value:
        key = str(key_node.value)
        if key in seen:
            spec.warnings.append(f"line {_mark(key_node)[0]}: duplicate key `{key}`; the last one wins.")
        seen.add(key)
        if key == "name":
            with errors.attempt():
                spec.name = _scalar(path, value, "`name`")
        elif key == "prefix":
            with errors.attempt():
                spec.prefix = _scalar(path, value, "`prefix`")
            if spec.prefix and re.match(r"^[A-Za-z]:\\", spec.prefix):
                spec.warnings.append(f"line {_mark(key_node)[0]}: `prefix: {spec.prefix}` is a Windows path "
                                     "from `conda env export`; it is ignored.")
        elif key == "channels":
            with errors.attempt():
                spec.channels = [c.strip() for c, _ in _string_list(path, value, "channels")]
        elif key == "dependencies":
            deps_node = value
        elif key == "platforms":
            with errors.attempt():
                spec.platforms = _platforms(path, value)
                spec.platforms_line = _mark(key_node)[0]
        elif key not in _KNOWN_KEYS:
            spec.warnings.append(f"line {_mark(key_node)[0]}: unknown key `{key}` is ignored.")
    if deps_node is None:
        raise _err(path, root, "no `dependencies:` list", "invalid-structure")
    if isinstance(deps_node, yaml.ScalarNode) and deps_node.tag == "tag:yaml.org,2002:null":
        items: list[yaml.Node] = []
    elif isinstance(deps_node, yaml.SequenceNode):
        items = deps_node.value
    else:
        raise _err(path, deps_node, f"`dependencies` must be a list, not a {_kind(deps_node)}",
                   "invalid-structure")
    from .requirements import MAX_LINES

    count = len(items) + sum(len(v.value) for i in items if isinstance(i, yaml.MappingNode)
                             for _, v in i.value if isinstance(v, yaml.SequenceNode))
    if count > MAX_LINES:
        raise _err(path, deps_node, f"{count:,} dependencies; kernelenv reads up to {MAX_LINES:,} per file "
                   "(check the file is an environment file)", "file-too-large")
    for item in items:
        if isinstance(item, yaml.MappingNode):
            with errors.attempt():
                _read_pip(path, item, spec, errors)
            continue
        try:
            text = _entry_text(path, item, "`dependencies`").strip()
        except EnvFileError as e:
            errors.add(e)
            continue
        line, col = _mark(item)
        try:
            ms = MatchSpec(text)
        except InvalidMatchSpecError as e:
            msg = str(e).split("\nCaused by:")[0]
            errors.add(_err(path, item, f"invalid conda dependency {text!r}: {msg}", "invalid-matchspec"))
            continue
        name = ms.name.normalized if ms.name is not None else text
        dep = CondaDependency(spec=text, name=name, line=line, column=col, build=ms.build)
        spec.entries.append(dep)
        spec.dependencies.append(text)
        if name == "python":
            spec.python = _python_version(text)
            spec.python_line = line
    errors.raise_all()
    _summarise(spec)
    return spec


def _read_pip(path: Path, node: yaml.MappingNode, spec: CondaEnvSpec, errors: Collector) -> None:
    from .requirements import parse_line

    for key_node, value in node.value:
        key = str(key_node.value)
        if key != "pip":
            raise _err(path, key_node, f"unexpected `{key}:` in dependencies; only a `pip:` list is allowed "
                       "there", "invalid-structure")
        if spec.pip_line is not None:
            spec.warnings.append(f"line {_mark(key_node)[0]}: a second `pip:` section; both are installed.")
        else:
            spec.pip_line = _mark(key_node)[0]
        if isinstance(value, yaml.ScalarNode) and value.tag == _NULL:
            continue
        if not isinstance(value, yaml.SequenceNode):
            raise _err(path, value, f"`pip` must be a list, not a {_kind(value)}", "invalid-structure")
        for item in value.value:
            try:
                line_text = _entry_text(path, item, "`pip`").strip()
            except EnvFileError as e:
                errors.add(e)
                continue
            spec.pip.append(line_text)
            no, col = _mark(item)
            quoted = 1 if getattr(item, "style", None) in ("'", '"') else 0
            with errors.attempt():
                parse_line(path, no, line_text, col - 1 + quoted, follow=False)
            m = re.match(r"^(?:-r|--requirement)(?:\s+|=)?(.+)$", line_text)
            if m and not line_text.startswith("--requirements"):
                spec.pip_files.append((path.parent / m.group(1).strip()).resolve())
            elif line_text.startswith(("-e ", "--editable")):
                spec.warnings.append(f"line {_mark(item)[0]}: editable pip entry `{line_text}` "
                                     "(needs the source or git; installed as written by uv).")


def _summarise(spec: CondaEnvSpec) -> None:
    if not spec.channels:
        spec.warnings.append("no `channels:`; kernelenv uses the default channel list "
                             "(KERNELENV_CONDA_CHANNELS, default conda-forge).")
    win = spec.windows_only
    if win:
        names = ", ".join(e.name for e in win[:8]) + (" ..." if len(win) > 8 else "")
        spec.warnings.append(
            f"{len(win)} Windows-only package(s) ({names}): this looks like a `conda env export` made on "
            "Windows; use --strip-builds to drop them on this platform.")
    builds = spec.with_builds
    if builds:
        spec.warnings.append(
            f"{len(builds)} of {len(spec.entries)} dependencies pin a build string (e.g. `{builds[0].spec}` "
            f"on line {builds[0].line}); builds are platform-specific, use --strip-builds to drop them.")


__all__ = ["CondaEnvSpec", "CondaDependency", "read_environment_yml", "strip_build", "is_windows_only",
           "WINDOWS_ONLY"]
