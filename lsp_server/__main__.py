"""``kernelenv-lsp``: start the kernelenv language server (stdio by default).

Options are pygls' own (:func:`pygls.cli.start_server`): ``--tcp`` or ``--ws`` with
``--host`` and ``--port``; no option means stdio, which is what editors use.
"""

from __future__ import annotations

import logging
import sys


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` (default ``sys.argv[1:]``) and serve until the client exits."""
    from pygls.cli import start_server

    from .server import make_server

    # Logging goes to stderr: stdout is the LSP channel in stdio mode.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="kernelenv-lsp %(levelname)s %(name)s: %(message)s")
    start_server(make_server(), argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
