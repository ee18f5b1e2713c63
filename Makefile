# Two commands do all the set-up on a fresh machine (Python 3.11, Node 20, npm):
#   make deploy   install what is missing, compile, start the local chain, deploy the manifest
#   make test     install what is missing, lint, and run every test not marked slow (make test-slow: the
#                 slow ones; make test-all: both, what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := 0.8.28
SOLC := .rwa/solc/solc-v$(SOLC_VERSION)
# Slither (static analysis of the Solidity contracts) in a virtualenv of its own: its dependencies
# (solc-select among them, whose `solc` would shadow ours on PATH) stay out of the project's venv.
SLITHER_VENV := .rwa/slither

export SOLCX_BINARY_PATH := $(CURDIR)/.rwa/solc
export PATH := $(CURDIR)/node_modules/@foundry-rs/anvil-linux-amd64/bin:$(CURDIR)/$(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup deploy test test-slow test-split test-all test-prepare test-fast lint format slither bench plan clean fuzz postgres
.DEFAULT_GOAL := deploy

setup: $(VENV)/.installed node_modules/.installed $(SOLC)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install --quiet -e '.[test]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import ape, ape_foundry, ape_solidity, ape_vyper, ape_polygon, ape_base, rwa"
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

$(SLITHER_VENV)/.installed: tools/slither-requirements.txt
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet -r tools/slither-requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(SLITHER_VENV)/bin/python -c "import slither, crytic_compile"
	touch $@

deploy: setup
	$(BIN)/rwa deploy

# PostgreSQL's initdb and pg_ctl, for the watcher's store tests (rwa.testing.postgres starts a server of
# their own): Debian's package where they are missing (as root, as CI runs, PostgreSQL's commands run as
# the `postgres` user the package makes).
postgres:
	@if ! { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 \
		|| { [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; }; then \
		if [ "$$(id -u)" = 0 ]; then \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
		else \
			echo "make test-slow needs PostgreSQL's initdb and pg_ctl: sudo apt-get install postgresql" >&2; exit 1; \
		fi; \
	fi

plan: setup
	$(BIN)/rwa deploy --plan

# Lint first: the layers of the package (tools/layers.py), ruff, mypy (strict below cli: core to watch),
# and Slither over the Solidity contracts (every finding fixed or triaged in slither.triage.json).
PYTHON_SOURCES := cli tests examples bench scripts tools deployments

lint: setup $(SLITHER_VENV)/.installed
	$(BIN)/python tools/layers.py
	$(BIN)/ruff format --check $(PYTHON_SOURCES)
	$(BIN)/ruff check $(PYTHON_SOURCES)
	$(BIN)/mypy
	$(SLITHER_VENV)/bin/python tools/slither_check.py

slither: setup $(SLITHER_VENV)/.installed
	$(SLITHER_VENV)/bin/python tools/slither_check.py

# Lay the Python out as `make lint` checks it (the pre-commit hook does the same on each commit).
format: setup
	$(BIN)/ruff format $(PYTHON_SOURCES)
	$(BIN)/ruff check --fix $(PYTHON_SOURCES)

# The tests run their own anvils on TEST_PORT .. TEST_PORT+9 (default 8546, away from the development
# chain on 8545; `make test TEST_PORT=8630`): rwa.testing.environment derives them. Two commands split the
# suite (`make test-split` proves every test is in exactly one):
#   make test       lint, then every test not marked `slow`: the contracts, the package's tests, examples/,
#                   e2e/ (some 8 minutes of CPU: under 5 minutes on an idle 2-core machine).
#   make test-slow  every test marked `slow` (it starts processes or waits for blocks): the live-like
#                   scenarios, the Sepolia rehearsals, Hardhat's node, Sourcify, `rwa` as processes,
#                   PostgreSQL, the tour replayed.
# CI (.ci/run) runs both, and the split check: `make test-all`. Each runs as two runs at once, each on ten
# ports of its own, so a 2-core machine keeps both cores busy: one on TEST_PORT+10 .. +19 (its report
# follows the other's), the other on TEST_PORT .. +9. The watcher's store tests start a PostgreSQL server
# on their run's TEST_PORT+80 (rwa.testing.postgres).
# The package's tests, laid out as cli/rwa/ is (their helpers in tests/support/, on pytest's pythonpath).
PACKAGE_TESTS := tests/chain tests/deploy tests/admin tests/domain tests/watch tests/cli
# make test: the package's tests and e2e/ beside the rest (the contracts, examples/, the top-level tests).
TEST_PACKAGE_RUN := $(PACKAGE_TESTS) tests/e2e -m "not slow"
TEST_REST_RUN := tests examples $(addprefix --ignore=,$(PACKAGE_TESTS) tests/e2e) -m "not slow"
# make test-slow: the live-like scenarios, rehearsals, other nodes and Sourcify (they mostly wait for
# blocks) beside the other slow tests (they mostly run `rwa` processes).
LIVE_TESTS := tests/deploy/test_live_conditions.py tests/deploy/test_rehearsal.py tests/deploy/test_other_nodes.py tests/deploy/test_bounded_waits.py \
	tests/deploy/test_rehearsal_nodes.py tests/deploy/test_sourcify.py tests/cli/test_fan_livelike.py
SLOW_LIVE_RUN := $(LIVE_TESTS) -m slow
SLOW_REST_RUN := tests examples $(addprefix --ignore=,$(LIVE_TESTS)) -m slow
# Compile once, before the runs: two runs compiling a fresh clone at the same time would race on .build/.
# The compile leaves Ape's copies of the dependencies in contracts/.cache, which a later process would
# take for sources of the project's own: they go.
COMPILE := $(BIN)/python -c 'from rwa.chain import artifacts; from rwa.core import project; artifacts.load(project.paths())' \
	&& rm -rf contracts/.cache
# Two `ape test` runs at once ($(1) on TEST_PORT+10 .. +19, logged to .rwa/$(3).log; $(2) on TEST_PORT ..
# +9), the first's report after the second's; fails when either does.
define TWO_RUNS
	@port=$$($(BIN)/python -c 'from rwa.testing.environment import test_port; print(test_port())'); \
	TEST_PORT=$$((port + 10)) $(BIN)/ape test $(1) > .rwa/$(3).log 2>&1 & side=$$!; \
	TEST_PORT=$$port $(BIN)/ape test $(2); main=$$?; \
	wait $$side; side_status=$$?; echo '--- ape test $(1), run beside:'; cat .rwa/$(3).log; \
	test $$main -eq 0 && test $$side_status -eq 0
endef

test: lint
	@$(COMPILE)
	$(call TWO_RUNS,$(TEST_PACKAGE_RUN),$(TEST_REST_RUN),package-tests)

test-slow: setup postgres
	@$(COMPILE)
	$(call TWO_RUNS,$(SLOW_LIVE_RUN),$(SLOW_REST_RUN),live-tests)

# Every test is in exactly one of make test and make test-slow (collected, not run: about 30 s).
test-split: setup
	$(BIN)/python tools/test_split.py --test '$(TEST_PACKAGE_RUN)' --test '$(TEST_REST_RUN)' \
		--slow '$(SLOW_LIVE_RUN)' --slow '$(SLOW_REST_RUN)'

# What CI runs (.ci/run, which runs the two halves at once): both halves of the suite, then the check that
# they are the whole of it.
test-all: test test-slow test-split

# Everything the two halves need installed and compiled, done once before .ci/run starts them side by side
# (two compiles of a fresh clone at once would race on .build/).
test-prepare: setup $(SLITHER_VENV)/.installed postgres
	@$(COMPILE)

# The inner loop: every test but the slow ones (they spawn processes or wait for blocks: marked
# `slow`, and every test of `rwa` as real processes) and the property-based ones (marked `hypothesis`:
# `@given` tests and the state machines; a third of the contract tests' time); no lint first. Two runs
# at once, one a core, of about the same length (--durations=0 on each says what to move if they drift):
# the package's tests but tests/domain (FAST_SECOND) on TEST_PORT+10 .. +19, the rest on TEST_PORT .. +9.
# pytest's unraisable-exception plugin is off: it only reports, and its five garbage collections at the end
# of a run cost a second or more.
FAST_SECOND := tests/admin tests/cli tests/e2e tests/watch tests/deploy tests/chain
FAST := not slow and not hypothesis
FAST_OPTIONS := -m "$(FAST)" -q -p no:unraisableexception
# A test run keeps compiled bytecode (__pycache__/, git-ignored) even where the environment says not to write
# it (PYTHONDONTWRITEBYTECODE): each process would otherwise compile the package and rewrite the tests anew,
# some 3 s of CPU each.
test test-fast test-slow: export PYTHONDONTWRITEBYTECODE :=
test-fast: setup
	@$(BIN)/python -c 'from rwa.chain import artifacts; from rwa.core import project; artifacts.load(project.paths())'
	@rm -rf contracts/.cache
	@port=$$($(BIN)/python -c 'from rwa.testing.environment import test_port; print(test_port())'); \
	TEST_PORT=$$((port + 10)) $(BIN)/ape test $(FAST_SECOND) $(FAST_OPTIONS) > .rwa/fast-cli-tests.log 2>&1 & cli=$$!; \
	TEST_PORT=$$port $(BIN)/ape test tests examples $(addprefix --ignore=,$(FAST_SECOND)) $(FAST_OPTIONS); rest=$$?; \
	wait $$cli; cli_status=$$?; echo "--- $(FAST_SECOND), run beside the rest:"; cat .rwa/fast-cli-tests.log; \
	test $$rest -eq 0 && test $$cli_status -eq 0

# The long run of the contracts' property-based tests (the state machines and the `@given` tests, marked
# `hypothesis`): many long random sequences instead of make test's few short ones (RWA_FUZZ_PROFILE, read by
# each state machine and by tests/contracts/helpers.py's examples()).
fuzz: setup
	RWA_FUZZ_PROFILE=fuzz $(BIN)/ape test tests/contracts -m hypothesis -q

bench: setup
	$(BIN)/python bench/run.py
	$(BIN)/python bench/property_gas.py
	$(BIN)/python bench/nil_gas.py
	$(BIN)/python bench/fan_gas.py
	$(BIN)/python bench/market_gas.py
	$(BIN)/python bench/resume_figures.py
	$(BIN)/python bench/governance_check.py
	$(BIN)/python bench/verify_figures.py
	$(BIN)/python bench/sepolia_rehearsal.py
	$(BIN)/python bench/watch_figures.py
	$(BIN)/python bench/watch_backfill.py
	$(BIN)/python bench/webhook_figures.py
	$(BIN)/python bench/alert_figures.py
	$(BIN)/python bench/offering_gas.py

clean:
	-$(BIN)/rwa node stop
	rm -rf .build contracts/.cache .rwa
