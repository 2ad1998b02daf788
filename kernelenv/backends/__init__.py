"""Env builders, one per backend. :func:`get_builder` maps a :class:`~kernelenv.model.Backend` to one."""

from __future__ import annotations

from ..model import Backend
from .base import Builder


def get_builder(backend: Backend) -> Builder:
    """The builder for ``backend``.

    Raises:
        BackendUnavailableError: the backend's tool is missing on this machine.
    """
    if backend is Backend.UV:
        from .uv import UvBuilder

        return UvBuilder()
    if backend is Backend.RATTLER:
        from .rattler import RattlerBuilder

        return RattlerBuilder()
    from .condacli import CondaCliBuilder

    return CondaCliBuilder(backend)


__all__ = ["Builder", "get_builder"]
