"""kernelenv's Jupyter Server extension: project envs as kernels and a REST API to build them.

Enabled by ``etc/jupyter/jupyter_server_config.d/kernelenv.json`` (shipped in the wheel).
See :mod:`kernelenv_jupyter.extension` for what linking and loading do, :mod:`kernelenv_jupyter.handlers`
for the REST API and docs/rest-api.openapi.yaml for its contract.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "kernelenv_jupyter"}]


def _link_jupyter_server_extension(serverapp: Any) -> None:
    from .extension import link

    link(serverapp)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from .extension import load

    load(serverapp)
