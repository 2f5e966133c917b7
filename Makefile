# Quick start: `make demo` and `make test`. Each creates .venv if needed and installs
# the package into it (rebuilding when a source file changed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# meson-python finds meson and ninja on PATH: those installed in the venv.
export PATH := $(abspath $(BIN)):$(PATH)
SOURCES := pyproject.toml meson.build $(shell find src -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test test-slow fuzz lint bench bench-quick selftest selftest-aarch64 clean help

help:
	@echo "make demo   run the worked examples (softmaxkit demo)"
	@echo "make test   run the test suite"
	@echo "make bench  benchmarks: softmaxkit vs PyTorch, SciPy, NumPy and a copy (minutes)"
	@echo "make bench-quick  the same on small shapes (under a minute; not for figures)"
	@echo "make selftest   the C kernels alone, no Python (selftest-aarch64: cross-built, under qemu)"
	@echo "make test-slow  checks that take minutes or 8 GiB (64-bit indexing)"
	@echo "make fuzz   the differential fuzz suite, 20,000 examples per test (minutes)"
	@echo "make lint   ruff over the sources and tests"
	@echo "make clean  remove .venv and build products"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "meson-python>=0.15" "meson>=1.2" ninja

# The package is installed, not run from src/, so tests see what users get.
# The demo trains the classifier next to scikit-learn: the "sklearn" extra.
$(VENV)/.installed: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation ".[sklearn,plot]"
	@touch $@

$(VENV)/.installed-test: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation ".[test]"
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/softmaxkit demo

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Checks that need minutes or gigabytes (64-bit indexing: 8 GiB).
test-slow: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m slow -p no:cacheprovider -v $(PYTEST_ARGS)

# The suite runs tests/test_fuzz.py with a small budget; this runs it long and prints
# the number of cases.
FUZZ_EXAMPLES ?= 20000
fuzz: $(VENV)/.installed-test
	SOFTMAXKIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py -q \
		-p no:cacheprovider

$(VENV)/.installed-bench: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation ".[bench]"
	@touch $@

# OpenBLAS settings of the environment would skew NumPy's and SciPy's timings.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE

bench: $(VENV)/.installed-bench
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_softmax.py
	$(BENCH_ENV) $(BIN)/python benchmarks/accuracy.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_losses.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_classifier.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_dask.py

bench-quick: $(VENV)/.installed-bench
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_softmax.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/accuracy.py --rows 6
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_losses.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_classifier.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_dask.py --quick

# The kernels without Python: tools/kernel_selftest.c against a long double reference.
KERNEL_SRC := src/softmaxkit/_kernels
SELFTEST_SRC := tools/kernel_selftest.c $(KERNEL_SRC)/kernels_isa.c $(KERNEL_SRC)/dispatch.c
SELFTEST_FLAGS := -O2 -std=c11 -fopenmp -ffp-contract=off -Wall -Wno-psabi \
	-DSK_ISA_SUFFIX=_baseline -I$(KERNEL_SRC)

selftest:
	mkdir -p build
	$(CC) $(SELFTEST_FLAGS) $(SELFTEST_SRC) -lm -o build/kernel-selftest
	build/kernel-selftest

# Needs Debian's gcc-aarch64-linux-gnu and qemu-user (.ci/run installs them).
selftest-aarch64:
	mkdir -p build
	aarch64-linux-gnu-gcc $(SELFTEST_FLAGS) $(SELFTEST_SRC) -lm -static -o build/kernel-selftest-aarch64
	qemu-aarch64 build/kernel-selftest-aarch64

lint: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/python -m ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis
