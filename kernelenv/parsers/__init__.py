"""Readers for environment files: one module per format.

Every reader takes a :class:`pathlib.Path`, never executes anything, and raises
:class:`kernelenv.errors.EnvFileError` naming the file, line and (where the underlying
parser gives one) column of the first problem.

Pip world: :mod:`.requirements` (pip requirements files), :mod:`.pyproject`
(PEP 621/735 + ``[tool.uv]``/``[tool.poetry]``), :mod:`.pipfile`, :mod:`.poetry`
(Poetry constraint syntax), :mod:`.locks` (uv.lock, pylock.toml, Pipfile.lock,
poetry.lock as exact pins), :mod:`.python_request` (runtime.txt, .python-version ...).
Conda world: :mod:`.conda` (environment.yml), :mod:`.condalock`, :mod:`.pixi`.
"""
