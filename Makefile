# Signet: `make run` serves the app, `make test` runs every check, `make demo` adds the local Okta sandbox.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
SANDBOX_PORT ?= 9000
CHROMIUM := /usr/bin/chromium

# The runtime and dev installs are remembered by stamp files, so a second `make run` does not reinstall.
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed

.PHONY: help install install-dev chromium migrate run create-admin test lint typecheck pytest demo bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/\$$(HOST)/$(HOST)/g' -e 's/\$$(PORT)/$(PORT)/g' \
	  | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Signet needs Python 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(RUNTIME_STAMP)  ## Create .venv and install Signet

install-dev: $(DEV_STAMP)  ## Also install the test and lint tools

chromium:  ## Make sure Debian's chromium is there for the browser tests
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "The browser tests need Debian's chromium at $(CHROMIUM). Install it with:"; \
	  echo "    sudo apt-get install chromium"; exit 1; \
	fi

migrate: install  ## Apply database migrations
	$(BIN)/flask --app wsgi migrate

run: migrate  ## Serve Signet on http://$(HOST):$(PORT) (SQLite in ./instance)
	@$(BIN)/python scripts/serve.py --host $(HOST) --port $(PORT)

create-admin: migrate  ## Create an admin: make create-admin EMAIL=you@example.com
	@test -n "$(EMAIL)" || { echo "Usage: make create-admin EMAIL=you@example.com"; exit 2; }
	HOST=$(HOST) PORT=$(PORT) $(BIN)/flask --app wsgi create-admin "$(EMAIL)"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev chromium
	$(BIN)/pytest

test: lint typecheck pytest  ## Lint, type-check and run every test (browser tests included)

demo: migrate install-dev  ## Run Signet beside the local Okta sandbox (no Okta account needed)
	@$(BIN)/python scripts/serve.py --host 127.0.0.1 --port $(PORT) --sandbox-port $(SANDBOX_PORT) \
	  --state-file instance/okta-sandbox-state.json

bench: install-dev  ## Print the benchmark figures
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:  ## Remove the virtualenv and caches (keeps ./instance, your data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
