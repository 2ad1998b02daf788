"""Readers for environment files: one module per format.

Every reader takes a :class:`pathlib.Path`, never executes anything, has bounded cost
(size and nesting limits, linear-time patterns: :mod:`.errors_util`) and raises only
:class:`kernelenv.errors.EnvFileError` naming the file, line and (where the underlying
parser gives one) column; readers that go on after the first problem raise
:class:`kernelenv.errors.EnvFileErrors` holding every one. :mod:`.lockcheck` checks a
lock file cheaply at detection.

Pip world: :mod:`.requirements` (pip requirements files), :mod:`.pyproject`
(PEP 621/735 + ``[tool.uv]``/``[tool.poetry]``), :mod:`.pipfile`, :mod:`.poetry`
(Poetry constraint syntax), :mod:`.locks` (uv.lock, pylock.toml, Pipfile.lock,
poetry.lock as exact pins), :mod:`.python_request` (runtime.txt, .python-version ...).
Conda world: :mod:`.conda` (environment.yml), :mod:`.condalock`, :mod:`.pixi`.
"""
