# Quick start: `make demo` and `make test`. Each creates .venv if needed and installs
# the package into it (rebuilding when a source file changed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# meson-python finds meson and ninja on PATH: those installed in the venv.
export PATH := $(abspath $(BIN)):$(PATH)
SOURCES := pyproject.toml meson.build $(shell find src -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test lint bench clean help

help:
	@echo "make demo   run the worked examples (softmaxkit demo)"
	@echo "make test   run the test suite"
	@echo "make lint   ruff over the sources and tests"
	@echo "make clean  remove .venv and build products"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "meson-python>=0.15" "meson>=1.2" ninja

# The package is installed, not run from src/, so tests see what users get.
$(VENV)/.installed: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation .
	@touch $@

$(VENV)/.installed-test: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation ".[test]"
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/softmaxkit demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/python -m ruff check src tests

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
