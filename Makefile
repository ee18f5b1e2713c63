# Two commands do all the set-up on a fresh machine (Python 3.11, Node 20, npm):
#   make deploy   install what is missing, compile, start the local chain, deploy the manifest
#   make test     install what is missing and run every test
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := 0.8.28
SOLC := .rwa/solc/solc-v$(SOLC_VERSION)

export SOLCX_BINARY_PATH := $(CURDIR)/.rwa/solc
export PATH := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin:$(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup deploy test lint bench plan clean
.DEFAULT_GOAL := deploy

setup: $(VENV)/.installed node_modules/.installed $(SOLC)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install --quiet -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import ape, ape_foundry, ape_solidity, ape_vyper, rwa"
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A native solc of the pinned version when one is on PATH, otherwise the WebAssembly front end.
$(SOLC): tools/solc-frontend.js node_modules/.installed
	mkdir -p $(dir $@)
	if command -v solc >/dev/null && solc --version | grep -q "Version: $(SOLC_VERSION)+"; then \
		ln -sf "$$(command -v solc)" $@; \
	else \
		printf '#!/bin/sh\nexec node "%s/tools/solc-frontend.js" "$$@"\n' "$(CURDIR)" > $@; \
		chmod +x $@; \
	fi
	$@ --version | grep -q "$(SOLC_VERSION)"

deploy: setup
	$(BIN)/rwa deploy

plan: setup
	$(BIN)/rwa deploy --plan

# Lint first: the layers of the package (tools/layers.py), ruff, and mypy (strict on core, chain, deploy).
lint: setup
	$(BIN)/python tools/layers.py
	$(BIN)/ruff check cli tests examples bench scripts tools deployments
	$(BIN)/mypy

# The tests run their own anvils on TEST_PORT .. TEST_PORT+9 (default 8546, away from the development
# chain on 8545; `make test TEST_PORT=8620`): rwa.testing.environment derives them. The live-like
# scenarios mostly wait for one-second blocks, so they run beside the rest as a second run on the
# ten ports above (TEST_PORT+10 .. +19); their report follows the main one.
LIVE_TESTS := tests/cli/test_live_conditions.py
test: lint
	@port=$$($(BIN)/python -c 'from rwa.testing.environment import test_port; print(test_port())'); \
	TEST_PORT=$$((port + 10)) $(BIN)/ape test $(LIVE_TESTS) > .rwa/live-tests.log 2>&1 & live=$$!; \
	TEST_PORT=$$port $(BIN)/ape test tests examples --ignore=$(LIVE_TESTS); rest=$$?; \
	wait $$live; live_status=$$?; echo "--- $(LIVE_TESTS), run beside the rest:"; cat .rwa/live-tests.log; \
	test $$rest -eq 0 && test $$live_status -eq 0

bench: setup
	$(BIN)/python bench/run.py
	$(BIN)/python bench/property_gas.py
	$(BIN)/python bench/nil_gas.py
	$(BIN)/python bench/resume_figures.py
	$(BIN)/python bench/governance_check.py
	$(BIN)/python bench/watch_figures.py

clean:
	-$(BIN)/rwa node stop
	rm -rf .build contracts/.cache .rwa
