"""kernelenv language server (pygls)."""
