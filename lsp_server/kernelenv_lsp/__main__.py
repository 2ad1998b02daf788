"""``kernelenv-lsp``: start the kernelenv language server (stdio by default).

Options are pygls' own (:func:`pygls.cli.start_server`): ``--tcp`` or ``--ws`` with
``--host`` and ``--port``; no option means stdio, which is what editors use. ``--stdio``
(which vscode-languageclient and many Neovim/Helix configs pass) is accepted and means
the default.
``KERNELENV_LSP_LOG=DEBUG`` (or INFO ...) logs with timings to stderr, or to the file
``KERNELENV_LSP_LOG_FILE`` when set.
"""

from __future__ import annotations

import logging
import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` (default ``sys.argv[1:]``) and serve until the client exits."""
    from .warmup import start

    start()  # detection's imports run while pygls loads and the handshake goes on
    from pygls.cli import start_server

    from .server import make_server

    # Logging goes to stderr: stdout is the LSP channel in stdio mode.
    level = os.environ.get("KERNELENV_LSP_LOG", "WARNING").upper()
    logfile = os.environ.get("KERNELENV_LSP_LOG_FILE")
    target = {"filename": logfile} if logfile else {"stream": sys.stderr}
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), **target,
                        format="kernelenv-lsp %(levelname)s %(name)s: %(message)s")
    args = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--stdio"]
    start_server(make_server(), args)


if __name__ == "__main__":
    main()
