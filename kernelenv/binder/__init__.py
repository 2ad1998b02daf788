"""Binder (repo2docker) support: write a ``binder/`` folder from a project's lock, and adopt
the env a repo2docker image built from it.

One module a concept:

* :mod:`.config`: ``kernelenv binder``: the config folder (which files, the generated
  marker, what is kept of the author's own files, warnings);
* :mod:`.pins`: venv projects' ``requirements.txt`` (the lock's packages for linux-64 and
  the chosen Python, exported by the lock's own tool) and the Python chosen;
* :mod:`.conda`: conda projects' ``environment.yml`` (conda-lock.yml's linux-64 pins);
* :mod:`.postbuild`: the kernel registration step, merged into the author's postBuild;
* :mod:`.adopt`: ``kernelenv adopt``: record an image's env as the project's env.

repo2docker's configuration rules: https://repo2docker.readthedocs.io/en/latest/configuration/.
"""

from __future__ import annotations

from .adopt import Mismatch, adopt, check_prefix
from .common import BINDER_PLATFORM, REPO2DOCKER_PYTHONS, BinderError, BinderResult
from .config import GENERATED_MARKER, existing_config_dirs, is_generated, root_project, write_binder

__all__ = ["BinderError", "BinderResult", "write_binder", "existing_config_dirs", "adopt",
           "check_prefix", "Mismatch", "REPO2DOCKER_PYTHONS", "BINDER_PLATFORM", "root_project",
           "GENERATED_MARKER", "is_generated"]
