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
# Every dependency is pinned, with its hashes, in these lock files: an install is reproducible and can
# be audited (`make audit`). After changing dependencies in pyproject.toml, run `make lock`.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# The lock and audit tools live in a venv of their own, so they never mix with Signet's packages.
TOOLS := $(VENV)/tools
UV_VERSION := 0.13.9
PIP_AUDIT_VERSION := 2.10.1
UV_COMPILE := $(TOOLS)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" --quiet $(if $(UPGRADE),--upgrade)

.PHONY: help install install-dev lock audit chromium migrate run create-admin test lint typecheck pytest demo bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/\$$(HOST)/$(HOST)/g' -e 's/\$$(PORT)/$(PORT)/g' \
	  | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Signet needs Python 3.11, found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): $(LOCK) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

$(DEV_STAMP): $(DEV_LOCK) $(RUNTIME_STAMP)
	$(BIN)/pip install --quiet --require-hashes -r $(DEV_LOCK)
	@touch $@

install: $(RUNTIME_STAMP)  ## Create .venv and install Signet (exact versions from requirements.lock)

install-dev: $(DEV_STAMP)  ## Also install the test and lint tools (requirements-dev.lock)

$(TOOLS)/bin/python: | $(BIN)/python
	$(PYTHON) -m venv $(TOOLS)

lock: | $(TOOLS)/bin/python  ## Re-pin dependencies after editing pyproject.toml (UPGRADE=1: newest allowed)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"
	$(UV_COMPILE) -o $(LOCK)
	$(UV_COMPILE) --extra dev --constraint $(LOCK) -o $(DEV_LOCK)

audit: | $(TOOLS)/bin/python  ## Check every pinned dependency for known vulnerabilities (pip-audit)
	$(TOOLS)/bin/pip install --quiet "pip-audit==$(PIP_AUDIT_VERSION)"
	$(TOOLS)/bin/pip-audit --disable-pip --require-hashes -r $(LOCK) -r $(DEV_LOCK)

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

bench: install-dev  ## Print the benchmark figures (sign-in load, sandbox, Teammates page, sync, render, freshness)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done
	@echo "== bench.sync (10,000 users, 50 ms latency; add --rate-limit 50 for the rate-limited run)"
	@$(BIN)/python -m bench.sync --users 10000 --latency-ms 50
	@echo "== bench.render (every signature of 10,000 teammates)"
	@$(BIN)/python -m bench.render --teammates 10000
	@echo "== bench.freshness (a title change in the sandbox until the export API and private page show it)"
	@$(BIN)/python -m bench.freshness
	@$(BIN)/python -m bench.freshness --event-hook

clean:  ## Remove the virtualenv and caches (keeps ./instance, your data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
