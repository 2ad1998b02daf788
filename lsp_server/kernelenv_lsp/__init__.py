"""kernelenv language server (pygls 2.x): project envs for any LSP editor. Start it with ``kernelenv-lsp``."""

__version__ = "0.1.0"
