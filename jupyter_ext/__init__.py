"""Jupyter server extension for kernelenv."""
