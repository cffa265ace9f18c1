# custom-auth: every command the README names. Each target works from a fresh clone with only
# python3 >= 3.11 on PATH: the first one that needs the virtualenv creates it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_TOOLS_VERSION := 7.6.2

.PHONY: help install test lint typecheck pytest generate lock demo clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "custom-auth needs Python 3.11 or newer: run make with PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install the project with its dev dependencies

test: lint typecheck pytest ## Everything CI checks: lint, type check, tests with coverage

lint: $(STAMP) ## ruff: lint (security rules included) and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy, strict on the layer package and the handlers
	$(BIN)/mypy
	@# Each handler is a module named app: one mypy run each.
	for handler in functions/*/app.py; do $(BIN)/mypy --strict "$$handler"; done

pytest: $(STAMP) ## The test suite with branch coverage of the layer (fails under 90%)
	$(BIN)/pytest --cov --cov-report=term

generate: $(STAMP) ## Rewrite custom_auth/_service_model.py from the installed botocore
	$(BIN)/python tools/generate_service_model.py

lock: ## Re-pin every dependency into constraints.txt (needs the package index)
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools==$(PIP_TOOLS_VERSION)
	.venv-lock/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file constraints.txt pyproject.toml
	rm -rf .venv-lock

demo: ## Run a whole sign-in against the local user pool (not built yet)
	@echo "make demo arrives with the local user pool (issue #5); until then run: make test" >&2
	@exit 2

clean: ## Remove the virtualenvs and caches
	rm -rf $(VENV) .venv-lock .pytest_cache .mypy_cache .ruff_cache .coverage .hypothesis
