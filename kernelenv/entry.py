"""The ``kernelenv`` console script's entry point.

A repeated ``kernelenv status [PATH] [--json] [--check]`` or ``kernelenv detect [PATH]
[--json]`` on unchanged files is answered from :mod:`kernelenv.answercache` before the CLI
(argparse, detection, the parsers) is imported: ``stat`` calls instead of several times
Python's start-up (issue 15).
Everything else goes to :func:`kernelenv.cli.main`.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run ``kernelenv`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    words = sys.argv[1:] if argv is None else argv
    if words[:1] in (["status"], ["detect"]):
        from .answercache import lookup

        hit = lookup(words)
        if hit is not None:
            output, code = hit
            try:
                sys.stdout.write(output)
                sys.stdout.flush()
            except BrokenPipeError:
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 141
            return code
    from .cli import main as cli_main

    return cli_main(argv)
