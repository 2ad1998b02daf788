# kernelenv developer commands. `make setup` installs everything from nothing; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-python setup-lab setup-vscode setup-browser setup-r setup-editors test test-js test-python test-editors docs bench dist

setup: setup-python setup-lab setup-vscode setup-browser setup-r setup-editors

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
# package vscode/kernelenv.vsix with `vsce package` (its vscode:prepublish type-checks and bundles
# with esbuild), fail on any vsce WARNING, and check the manifest as the Marketplace / Open VSX do.
setup-vscode:
	cd vscode && { test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund; }
	cd vscode && npm run package > .vsce-package.log 2>&1; s=$$?; cat .vsce-package.log; test $$s = 0
	cd vscode && ! grep -n "WARNING" .vsce-package.log && npm run --silent verify:manifest

# Real editor hosts for tests/editors (issue 14): code-server 4.100.x from npm into
# vscode/.code-server/ (the project's own script; it apt-installs libkrb5-dev and ripgrep when
# missing), and Debian's Neovim and Emacs with eglot as stock LSP clients.
setup-editors:
	vscode/scripts/install-code-server.sh
	command -v nvim >/dev/null && dpkg -s elpa-eglot >/dev/null 2>&1 || \
	  (apt-get update && apt-get install -y --no-install-recommends neovim emacs-nox elpa-eglot)

# Debian's chromium for the browser tests (nothing downloads a browser).
setup-browser:
	command -v chromium || (apt-get update && apt-get install -y chromium)

# Debian's R with IRkernel for the R kernel test (tests/conda/test_env_kernels.py).
setup-r:
	test -x /usr/bin/R && /usr/bin/R --slave -e 'library(IRkernel)' || (apt-get update && apt-get install -y r-base-core r-cran-irkernel)

test: test-js test-python

test-js:
	cd jupyter_ext/labextension && npm test
	cd vscode && npm run lint && npm test

test-python:
	$(BIN)/pytest

# Just the real-editor suites (code-server + Chromium, headless Neovim, batch Emacs/eglot); `make test` runs them too.
test-editors:
	$(BIN)/pytest tests/editors

# A wheel for installing kernelenv without the checkout (kernelenv is not on PyPI): engine, CLI,
# server extension with the prebuilt sidebar, language server, portable kernel.
dist:
	rm -rf dist && $(BIN)/python -m pip wheel --no-deps --wheel-dir dist .

# The documentation site (Sphinx + MyST), warnings as errors.
docs:
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

# Benchmarks (docs/benchmarks.md records their last output).
bench:
	$(BIN)/python bench/bench_all.py
	$(BIN)/python bench/bench_detect.py
	$(BIN)/python bench/bench_env_kernels.py
	$(BIN)/python bench/bench_history.py
	$(BIN)/python bench/bench_packages.py
