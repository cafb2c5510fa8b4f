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

.PHONY: install lint test bench bench-quick infra-up infra-down infra-status schemas nats-config up demo

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

install: $(UV)
	$(UV) sync --all-packages --frozen

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

test: lint
	$(RUN) coverage erase
	$(RUN) parley-infra run -- coverage run -m pytest
	$(RUN) coverage combine --quiet
	$(RUN) coverage html --quiet
	$(RUN) coverage json --quiet
	$(RUN) coverage report

infra-up: install
	$(RUN) parley-infra up

infra-down: install
	$(RUN) parley-infra down

infra-status: install
	$(RUN) parley-infra status

schemas: install
	$(RUN) python -m parley_contracts.export

nats-config: install
	$(RUN) python -m parley_stack.nats_permissions > deploy/nats/nats.conf

up: install
	$(RUN) python -m parley_stack

demo: install
	$(RUN) python -m parley_stack.demo

# The Cassandra persistence scenario needs Cassandra; the rest runs on the embedded stack.
bench: install
	$(RUN) parley-infra run --server cassandra -- python -m parley_bench $(BENCH_ARGS)

bench-quick: install
	$(RUN) parley-infra run --server cassandra -- python -m parley_bench --quick $(BENCH_ARGS)
