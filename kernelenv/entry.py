"""The ``kernelenv`` console script's entry point.

A repeated ``kernelenv status [PATH] [--json] [--check]`` or ``kernelenv detect [PATH]
[--json]`` on unchanged files is answered from :mod:`kernelenv.answercache` before the CLI
(argparse, detection, the parsers) is imported: ``stat`` calls instead of several times
Python's start-up (issue 15). A plain ``status`` of one project the cache cannot answer is
computed without the CLI's argument parser (:func:`kernelenv.statusanswer.answer`).
Everything else goes to :func:`kernelenv.cli.main`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run ``kernelenv`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    words = sys.argv[1:] if argv is None else argv
    if words[:1] in (["status"], ["detect"]):
        from .answercache import lookup

        try:
            hit = lookup(words)
            if hit is not None:
                _write(hit[0])
                code = hit[1]
            else:
                code = _status(words)
        except BrokenPipeError:
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
        if code is not None:
            return code
    from .cli import main as cli_main

    return cli_main(argv)


def _write(output: str) -> None:
    sys.stdout.write(output)
    sys.stdout.flush()


def _status(words: list[str]) -> int | None:
    """A plain ``status [PATH] [--json] [--check]`` of one project the cache did not answer,
    computed without the CLI's argument parser (:func:`kernelenv.statusanswer.answer`); ``None``
    for any other command line, a path in no project, or an error (the CLI then handles it,
    and reports the error as it does for every command)."""
    from .answercache import parse_args

    parsed = parse_args(words)
    if parsed is None or parsed[0] != "status":
        return None
    from .errors import KernelenvError
    from .statusanswer import answer

    try:
        code = answer(parsed[1], parsed[2])
    except (KernelenvError, OSError):
        return None
    if code is not None:
        sys.stdout.flush()
    return code
