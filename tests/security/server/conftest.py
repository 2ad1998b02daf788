"""The real Jupyter Server fixtures of ``tests/jupyter`` (pytest-jupyter), for the security
tests that attack the server (kept in this subfolder so the other security tests do not run
under pytest-jupyter's per-test environment)."""

from tests.jupyter.conftest import *  # noqa: F401,F403
from tests.jupyter.conftest import _no_pythonpath  # noqa: F401  (autouse, not star-exported)
