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

# The SAM CLI and its cfn-lint live in their own virtualenv: their boto3 pin conflicts with ours.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
# The Lambda runtime is python3.13. `sam build` needs one on PATH; the built functions are
# checked under one. pyenv's shims expose only the active version, so ask pyenv directly.
PYTHON313 ?= $(shell (python3.13 -c 'import sys' >/dev/null 2>&1 && command -v python3.13) || \
	(p="$$(pyenv prefix 3.13 2>/dev/null)" && test -x "$$p/bin/python3.13" && echo "$$p/bin/python3.13"))
# A python3.13 virtualenv with only what the Lambda runtime has (boto3) and moto.
LAMBDA_VENV := .venv-lambda
LAMBDA_STAMP := $(LAMBDA_VENV)/.installed

.PHONY: help install browser test lint typecheck pytest long fuzz bench sam-check sam-build-host generate events lock demo clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "custom-auth needs Python 3.11 or newer: run make with PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP) ## Create .venv and install the project with its dev dependencies

# The sign-in page's browser tests drive Debian's Chromium with the chromedriver of the same
# package (no browser download works offline). Without them the tests skip, saying so.
browser: ## Install Chromium and chromedriver for the browser tests (Debian's packages; sudo unless root)
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		echo "Chromium and chromedriver are installed: $$(chromedriver --version)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		sudo=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium chromium-driver >/dev/null && \
		echo "installed: $$(chromedriver --version)"; \
	else \
		echo "no apt-get here: install Chromium and its chromedriver yourself, or set CHROMIUM and CHROMEDRIVER" >&2; \
		exit 1; \
	fi

test: lint typecheck pytest sam-check ## Everything CI checks: lint, types, tests, the SAM app

lint: $(STAMP) ## ruff: lint (security rules included) and formatting
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy, strict on the layer package and the handlers
	$(BIN)/mypy
	@# Each handler is a module named app: one mypy run each.
	for handler in functions/*/app.py; do $(BIN)/mypy --strict "$$handler"; done

# JavaScript Cognito clients (tests/js) the tests check the local pool with, from the npm
# registry at the versions of its package-lock.json; without npm the tests that need them skip.
JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		cd $(JS_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && \
		touch node_modules/.installed; \
	else \
		echo "node or npm not found: the JavaScript client checks will be skipped" >&2; \
	fi

# One worker per core; each test file stays on one worker (module fixtures start once).
PYTEST_WORKERS ?= auto

pytest: $(STAMP) $(SAM_STAMP) $(JS_STAMP) ## The tests, with branch coverage (fails under 90%), on every core
	CUSTOM_AUTH_AWS_CLI=$(SAM_VENV)/bin/aws $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile \
		--cov --cov-report=term

long: $(STAMP) ## The long brute-force runs the default test run leaves out (marked long)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-cov -m long tests/

fuzz: $(STAMP) ## 10,000 malformed events per handler (the default test run tries a few hundred)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/pytest -n $(PYTEST_WORKERS) --no-cov tests/test_fuzz.py

$(SAM_STAMP): requirements/sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/sam.txt
	@touch $@

$(LAMBDA_STAMP): constraints.txt
	@test -n "$(PYTHON313)" || { echo "python3.13 not found: install it, or run make with PYTHON313=/path/to/python3.13" >&2; exit 1; }
	$(PYTHON313) -m venv $(LAMBDA_VENV)
	$(LAMBDA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt boto3 'moto[secretsmanager,ses,sns]'
	@touch $@

# The same template built for this machine's architecture (x86_64 here and in CI), so that
# the layer's native wheels load here and the built functions run with them (the arm64 build's
# binaries can only have their tags and ELF headers read): template.yaml with every arm64 made
# the host's, its paths resolved from here (--base-dir). It has a directory of its own because
# SAM keeps build.toml in the build directory's parent and drops the cache entries that
# build.toml does not name: in .aws-sam, each build would throw the other's cache away. SAM
# tells a makefile build no architecture, so LAYER_ARCHITECTURE tells layers/custom_auth/Makefile.
HOST_ARCHITECTURE := $(shell uname -m | sed -e 's/^aarch64$$/arm64/')
HOST_DIR := .aws-sam/$(HOST_ARCHITECTURE)
SAM_BUILD_HOST := build --template-file $(HOST_DIR)/template.yaml --base-dir . \
	--build-dir $(HOST_DIR)/build --cache-dir $(HOST_DIR)/cache --config-file "$(CURDIR)/samconfig.toml"

sam-check: $(STAMP) $(SAM_STAMP) $(LAMBDA_STAMP) ## cfn-lint, sam validate, sam build (arm64 and this machine's), wheel tags, built functions under 3.13
	mkdir -p .aws-sam $(HOST_DIR)
	$(SAM_VENV)/bin/cfn-lint template.yaml
	@# cfn-lint 1.x checks SAM resources against SAM's schema only: lint the transform's output too.
	$(SAM_VENV)/bin/python tools/sam_translate.py template.yaml > .aws-sam/translated.json
	@# W1028: SAM wraps each route of a conditional HttpApi (PasskeyApi) in the same Fn::If again.
	$(SAM_VENV)/bin/cfn-lint --ignore-checks W1028 -- .aws-sam/translated.json
	$(SAM) validate --lint --region us-east-1
	PATH="$(dir $(PYTHON313)):$$PATH" $(SAM) build
	$(BIN)/python tools/check_wheels.py --architecture arm64
	$(BIN)/python tools/check_built.py --python $(LAMBDA_VENV)/bin/python
	$(MAKE) --no-print-directory sam-build-host
	$(BIN)/python tools/check_wheels.py --architecture $(HOST_ARCHITECTURE) --build-dir $(HOST_DIR)/build
	$(BIN)/python tools/check_built.py --python $(LAMBDA_VENV)/bin/python \
		--build-dir $(HOST_DIR)/build --native

# The build for this machine's architecture (see above), which sam-check runs and bench times.
sam-build-host: $(SAM_STAMP)
	@case "$(HOST_ARCHITECTURE)" in arm64|x86_64) ;; *) echo "this machine ($(HOST_ARCHITECTURE)) is neither arm64 nor x86_64: Lambda runs nothing else" >&2; exit 1;; esac
	mkdir -p $(HOST_DIR)
	sed 's/arm64/$(HOST_ARCHITECTURE)/g' template.yaml > $(HOST_DIR)/template.yaml
	@grep -q '^ *BuildArchitecture: $(HOST_ARCHITECTURE)$$' $(HOST_DIR)/template.yaml || \
		{ echo "$(HOST_DIR)/template.yaml: the layer's BuildArchitecture is not $(HOST_ARCHITECTURE)" >&2; exit 1; }
	PATH="$(dir $(PYTHON313)):$$PATH" LAYER_ARCHITECTURE=$(HOST_ARCHITECTURE) $(SAM) $(SAM_BUILD_HOST)

bench: $(STAMP) $(SAM_STAMP) $(LAMBDA_STAMP) ## Benchmarks: cold starts, warm cost, sign-ins, sizes -> .bench/results.json
	PATH="$(dir $(PYTHON313)):$$PATH" $(SAM) build
	$(MAKE) --no-print-directory sam-build-host
	$(BIN)/python tools/bench.py --python $(LAMBDA_VENV)/bin/python --host-build $(HOST_DIR)/build

generate: $(STAMP) ## Rewrite custom_auth/_service_model.py from the installed botocore
	$(BIN)/python tools/generate_service_model.py

events: $(STAMP) ## Rewrite the sample events in events/ from custom_auth_local.sample_events
	$(BIN)/python tools/generate_sample_events.py

lock: ## Re-pin every dependency into constraints.txt (needs the package index)
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet pip-tools==$(PIP_TOOLS_VERSION)
	.venv-lock/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file constraints.txt pyproject.toml
	.venv-lock/bin/pip-compile --quiet --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements/sam.txt requirements/sam.in
	rm -rf .venv-lock

demo: $(STAMP) ## One email-code sign-in against a local user pool, step by step
	$(BIN)/custom-auth demo

clean: ## Remove the virtualenvs, the build and the caches
	rm -rf $(VENV) $(SAM_VENV) $(LAMBDA_VENV) .venv-lock .aws-sam .pytest_cache .mypy_cache \
		.ruff_cache .coverage .hypothesis $(JS_DIR)/node_modules screenshots
