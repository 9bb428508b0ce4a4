# The two commands: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUN_VERSION := 1.4.5
TOOLS := .tools
BUN := $(TOOLS)/node_modules/.bin/bun
PORT ?= 3000

# Reflex: bun from the npm registry (its own download needs the open internet),
# no telemetry, no version check (both wait on hosts this machine cannot reach).
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: run test migrate check lint bench prerequisites clean FORCE

prerequisites:
	@command -v $(PYTHON) >/dev/null || { echo "make: Python 3.11+ is needed (as '$(PYTHON)'); install it first."; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make: Python 3.11+ is needed; '$(PYTHON)' is $$($(PYTHON) -V 2>&1)."; exit 1; }
	@command -v npm >/dev/null || { echo "make: Node.js with npm is needed to build the web front end; install it first."; exit 1; }

$(PY): | prerequisites
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when the pinned requirements change, by content: `reflex run`
# touches requirements.txt without changing it, so timestamps would lie.
$(VENV)/.installed: $(PY) FORCE
	@cd $(CURDIR) && sha256sum --status -c $@ 2>/dev/null || { \
	  $(PY) -m pip install --quiet -r requirements-dev.txt && \
	  sha256sum requirements.txt requirements-dev.txt > $@; }

FORCE:

$(BUN): | prerequisites
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION)

.env: | $(VENV)/.installed
	$(PY) -m crm_app.core.envfile .env

migrate: $(VENV)/.installed .env
	$(PY) -m crm_app migrate

check: $(VENV)/.installed .env
	$(PY) -m crm_app check

# PUBLIC_BASE_URL follows PORT unless it is set (environment or .env): the websocket and
# the auth endpoints accept only its origin, so a page at another port could not connect.
run: migrate $(BUN)
	@base_url="$$($(PY) -m crm_app.core.config public-base-url $(PORT))" || exit 1; \
	echo "PUBLIC_BASE_URL=$$base_url"; \
	PUBLIC_BASE_URL="$$base_url" exec $(VENV)/bin/reflex run --env prod \
	  --frontend-port $(PORT) --backend-port $(PORT)

# Two pytest workers (xdist), whole files to each: a file's module fixtures (a drill's
# server) stay in one worker, and each worker serves its own app to its browser tests.
# TEST_WORKERS=0 runs everything in this one process.
TEST_WORKERS ?= 2
test: $(VENV)/.installed $(BUN)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Benchmarks beside their baselines; writes docs/performance.md (needs PostgreSQL).
bench: $(VENV)/.installed $(BUN)
	$(PY) -m bench.run $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check crm_app tests alembic bench
	$(VENV)/bin/ruff format --check crm_app tests alembic bench

clean:
	rm -rf .web .states $(TOOLS)
