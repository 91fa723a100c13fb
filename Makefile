# monitor — `make run` starts the daemon on the default config; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: help run once test lint bench clean

help:
	@echo "make run    set up .venv, migrate, start the daemon on config/monitor.toml (Ctrl-C stops)"
	@echo "make once   one poll-and-alert cycle, then exit"
	@echo "make test   set up .venv with the dev extra, lint, run the tests"
	@echo "make bench  run the benchmarks, write bench/results.json (BENCH_ARGS=--quick: a smoke run)"
	@echo "make clean  remove .venv and var/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/monitor db upgrade
	exec $(BIN)/monitor run

once: $(VENV)/.installed
	$(BIN)/monitor run --once

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check monitor tests bench
	$(BIN)/ruff format --check monitor tests bench
	$(BIN)/mypy monitor

test: lint
	$(BIN)/pytest -q -ra

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
