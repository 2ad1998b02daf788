# kernelenv developer commands. `make setup` installs everything from nothing; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-python setup-lab setup-vscode setup-browser test test-js test-python docs bench

setup: setup-python setup-lab setup-vscode setup-browser

setup-python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test,docs]'

# JupyterLab extension (owned by the labextension work). `pip install -e` above already built it
# through the hatch hook; this installs the locked npm deps (unit tests, playwright-core), rebuilds
# only when a source changed, links the build into the venv (so `npm run build` takes effect), checks it.
setup-lab:
	cd jupyter_ext/labextension && { test node_modules/.package-lock.json -nt package-lock.json || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; }
	cd jupyter_ext/labextension && { test -f build/kernelenv/package.json && test -z "$$(find src style schema package.json install.json -newer build/kernelenv/package.json)" || PATH="$(CURDIR)/$(BIN):$$PATH" npm run build:prod; }
	mkdir -p $(VENV)/share/jupyter/labextensions && rm -rf $(VENV)/share/jupyter/labextensions/kernelenv
	ln -s $(CURDIR)/jupyter_ext/labextension/build/kernelenv $(VENV)/share/jupyter/labextensions/kernelenv
	$(BIN)/jupyter labextension list 2>&1 | grep -E "kernelenv v[0-9.]+ .*enabled.*OK"

# VS Code / Cursor extension (owned by the vscode work): locked npm deps (vsce pinned in them),
# compile, package vscode/kernelenv.vsix.
setup-vscode:
	cd vscode && { test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund; }
	cd vscode && npm run package

# Debian's chromium for the browser tests (nothing downloads a browser).
setup-browser:
	command -v chromium || (apt-get update && apt-get install -y chromium)

test: test-js test-python

test-js:
	cd jupyter_ext/labextension && npm test
	cd vscode && npm run lint && npm test

test-python:
	$(BIN)/pytest

# The documentation site (Sphinx + MyST), warnings as errors.
docs:
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# Benchmarks (docs/benchmarks.md records their last output).
bench:
	$(BIN)/python bench/bench_create.py
	$(BIN)/python bench/bench_detect.py
	$(BIN)/python bench/bench_conda.py
	$(BIN)/python bench/bench_kernelspecs.py
	$(BIN)/python bench/bench_lsp.py
