# Parley's commands. `make test` installs and starts everything it needs from nothing.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .parley/tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
RUN := $(UV) run --frozen

# Use the machine's Python only; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Trust the machine's certificate store (which may hold a proxy's CA), as pip does.
export UV_SYSTEM_CERTS := true

.PHONY: install lint test bench bench-quick bench-compare infra-up infra-down infra-status schemas nats-config up up-cluster chaos demo web web-install chromium

# The browser half (web/): npm packages from the lockfile; never a browser download.
NPM ?= npm
WEB_INSTALLED := web/node_modules/.package-lock.json
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM := /usr/bin/chromium

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --all-packages --frozen

lint: install web-install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	cd web && $(NPM) run lint

test: lint web chromium
	$(RUN) coverage erase
	$(RUN) parley-infra run -- coverage run -m pytest
	$(RUN) coverage combine --quiet
	$(RUN) coverage html --quiet
	$(RUN) coverage json --quiet
	$(RUN) coverage report
	@$(RUN) python -c 'import tomllib; floor = tomllib.load(open("pyproject.toml", "rb"))["tool"]["coverage"]["report"]["fail_under"]; print(f"coverage floor: {floor} % (fail_under in pyproject.toml): met")'

$(WEB_INSTALLED): web/package-lock.json
	cd web && $(NPM) ci --no-audit --no-fund

web-install: $(WEB_INSTALLED)

# The client and hooks (tsc) and the app (Vite) into web/app/dist, which the edge serves at /.
web: web-install
	cd web && $(NPM) run build

# Debian's Chromium for the browser tests (as root); nothing else ever downloads a browser.
chromium:
	@test -x $(CHROMIUM) || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

infra-up: install
	$(RUN) parley-infra up

infra-down: install
	$(RUN) parley-infra down

infra-status: install
	$(RUN) parley-infra status

# The JSON Schemas, and the web client's TypeScript types generated from them (node only).
schemas: install
	$(RUN) python -m parley_contracts.export
	node web/packages/client/scripts/gen-types.mjs

nats-config: install
	$(RUN) python -m parley_stack.nats_permissions > deploy/nats/nats.conf

up: install
	@test -f web/app/dist/index.html || { echo "parley: building the web app (make web) so the edge serves it at /"; $(MAKE) web; }
	$(RUN) python -m parley_stack

# Three NATS nodes (JetStream replicated to all three) and two copies of every service.
up-cluster: install
	@test -f web/app/dist/index.html || { echo "parley: building the web app (make web) so the edge serves it at /"; $(MAKE) web; }
	PARLEY_NATS_NODES=3 PARLEY_INSTANCES=2 $(RUN) python -m parley_stack

demo: install
	$(RUN) python -m parley_stack.demo

# The fault tests alone (they also run in `make test`), then their table.
chaos: install
	$(RUN) parley-infra run -- pytest tests/test_faults.py
	$(RUN) python -m parley_testkit.chaos

# The Cassandra persistence scenario needs Cassandra; the rest runs on the embedded stack.
bench: install
	$(RUN) python -m parley_bench $(BENCH_ARGS)

bench-quick: install
	$(RUN) python -m parley_bench --quick $(BENCH_ARGS)

bench-compare: install
	$(RUN) python -m parley_bench.compare $(BENCH_ARGS)
