"""Sphinx extension generating kernelenv's reference pages from the code at each build.

At ``builder-inited`` it writes Markdown into ``docs/_generated/`` (git-ignored), which the
pages ``{include}``:

* ``cli.md``: every ``kernelenv`` subcommand from :func:`kernelenv.cli._parser` (its help,
  usage and arguments), so the page is the CLI's own ``--help``;
* ``traitlets.md``: every traitlets ``Configurable`` defined in the ``kernelenv_jupyter``
  package with its ``config=True`` traits (type, default, help string);
* ``vscode-settings.md`` and ``vscode-commands.md``: the settings and commands the VS
  Code extension contributes (``vscode/package.json``);
* ``screenshots.md``: the images in ``docs/images/`` (written by the browser tests).

Generated pages start at ``#``; the pages include them with ``:heading-offset: 1``. The
``jsonc`` code-block language (JSON with comments) is highlighted as JavaScript.

A module that fails to import is a Sphinx warning naming it (so ``-W`` fails the build)
rather than a silently shorter page. Files are rewritten only when their text changes,
so incremental builds stay incremental.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import textwrap
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

log = logging.getLogger(__name__)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


# ----------------------------------------------------------------------------- CLI
def _arg_row(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(f"`{o}`" for o in action.option_strings)
        if action.nargs != 0:
            names += f" `{action.metavar or action.dest.upper()}`"
    else:
        names = f"`{action.metavar or action.dest.upper()}`"
    default = ""
    if action.default not in (None, False, argparse.SUPPRESS) and action.nargs != 0:
        default = f"`{action.default}`"
    if action.required and action.option_strings:
        default = "required"
    return f"| {names} | {default} | {_md_cell(action.help or '')} |"


def cli_markdown() -> str:
    """The CLI reference, one section per subcommand of :func:`kernelenv.cli._parser`."""
    from kernelenv.cli import COMMANDS, _parser

    parser = _parser()
    out = [f"{_md_cell(parser.description or '')}\n",
           "Exit codes: `0` success, `1` a kernelenv error (the message names the file and line "
           "where there is one), `2` bad usage.\n"]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    for name, sp in sub.choices.items():
        out.append(f"# `kernelenv {name}`\n")
        if name not in COMMANDS:
            log.warning("kernelenv CLI: subcommand %r has no entry in COMMANDS", name)
        out.append(f"{_md_cell(helps.get(name, ''))}\n")
        usage = sp.format_usage().replace("usage: ", "", 1).strip()
        out.append(f"```text\n{usage}\n```\n")
        rows = [_arg_row(a) for a in sp._actions if not isinstance(a, argparse._HelpAction)]
        if rows:
            out.append("| Argument | Default | Meaning |\n|---|---|---|")
            out.extend(rows)
            out.append("")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------ traitlets
def configurables(package: str = "kernelenv_jupyter") -> list[type]:
    """The traitlets ``Configurable`` classes defined in ``package`` (with config traits)."""
    from traitlets.config import Configurable

    pkg = importlib.import_module(package)
    found: dict[str, type] = {}
    names = [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__)]
    for modname in names:
        try:
            mod = importlib.import_module(modname)
        except Exception as e:  # a face being written must not silently vanish from the docs
            log.warning("kernelenv docs: cannot import %s for the settings reference: %s", modname, e)
            continue
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if (issubclass(cls, Configurable) and cls.__module__ == modname
                    and cls.class_own_traits(config=True)):
                found[f"{modname}.{cls.__name__}"] = cls
    return [found[k] for k in sorted(found)]


def _trait_type(trait: Any) -> str:
    info = trait.info_text if isinstance(getattr(trait, "info_text", None), str) else ""
    return f"{type(trait).__name__}" + (f" ({info})" if info and len(info) < 60 else "")


def traitlets_markdown() -> str:
    """One section per Configurable: its docstring and a table of its config traits."""
    out = []
    for cls in configurables():
        out.append(f"# `{cls.__name__}`\n")
        out.append(f"Defined in `{cls.__module__}`. {_md_cell(inspect.getdoc(cls) or '')}\n")
        out.append("| Setting | Type | Default | Meaning |\n|---|---|---|---|")
        for name, trait in sorted(cls.class_own_traits(config=True).items()):
            try:
                default = trait.default_value_repr()
            except Exception:
                default = "(computed)"
            out.append(f"| `c.{cls.__name__}.{name}` | {_md_cell(_trait_type(trait))} | "
                       f"`{_md_cell(default)}` | {_md_cell(textwrap.dedent(trait.help or ''))} |")
        out.append("")
    if not out:
        log.warning("kernelenv docs: no traitlets Configurable found in kernelenv_jupyter")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- VS Code
def vscode_markdown(root: Path) -> tuple[str, str]:
    """(settings table, commands table) from ``vscode/package.json``'s ``contributes``."""
    pkg = root / "vscode" / "package.json"
    try:
        contributes = json.loads(pkg.read_text(encoding="utf-8"))["contributes"]
    except (OSError, ValueError, KeyError) as e:
        log.warning("kernelenv docs: cannot read %s: %s", pkg, e)
        return "", ""
    conf = contributes.get("configuration", {})
    props: dict[str, Any] = {}
    for block in conf if isinstance(conf, list) else [conf]:
        props.update(block.get("properties", {}))
    rows = ["| Setting | Type | Default | Meaning |", "|---|---|---|---|"]
    for name, p in props.items():
        typ = p.get("type", "")
        if "enum" in p:
            typ = " \\| ".join(f"`{v}`" for v in p["enum"])
        desc = p.get("markdownDescription") or p.get("description") or ""
        rows.append(f"| `{name}` | {_md_cell(typ)} | `{json.dumps(p.get('default'))}` | {_md_cell(desc)} |")
    cmds = ["| Command | Title |", "|---|---|"]
    for c in contributes.get("commands", []):
        title = f"{c.get('category') + ': ' if c.get('category') else ''}{c.get('title', '')}"
        cmds.append(f"| `{c['command']}` | {_md_cell(title)} |")
    return "\n".join(rows) + "\n", "\n".join(cmds) + "\n"


# ------------------------------------------------------------------------ screenshots
def screenshots_markdown(docs: Path) -> str:
    """A figure per image in ``docs/images/`` (caption from the file name), or nothing."""
    images = sorted(p for p in (docs / "images").glob("*") if p.suffix.lower() in (".png", ".jpg", ".svg"))
    out = []
    for img in images:
        caption = img.stem.replace("-", " ").replace("_", " ").capitalize()
        out.append(f"```{{figure}} /images/{img.name}\n:alt: {caption}\n\n{caption}\n```\n")
    return "\n".join(out)


def generate(app: Sphinx) -> None:
    """Write every generated page (the ``builder-inited`` hook)."""
    docs = Path(app.srcdir)
    gen = docs / "_generated"
    _write(gen / "cli.md", cli_markdown())
    _write(gen / "traitlets.md", traitlets_markdown())
    settings, commands = vscode_markdown(docs.parent)
    _write(gen / "vscode-settings.md", settings)
    _write(gen / "vscode-commands.md", commands)
    _write(gen / "screenshots.md", screenshots_markdown(docs))


def setup(app: Sphinx) -> dict[str, Any]:
    from pygments.lexers.javascript import JavascriptLexer

    app.add_lexer("jsonc", JavascriptLexer)  # JSON with comments (LSP messages in lsp.md)
    app.connect("builder-inited", generate)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
