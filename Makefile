# Quick start: `make demo` and `make test`. Each creates .venv if needed and installs
# the package into it (rebuilding when a source file changed).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# meson-python finds meson and ninja on PATH: those installed in the venv.
export PATH := $(abspath $(BIN)):$(PATH)
SOURCES := pyproject.toml meson.build $(shell find src -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test test-slow fuzz sanitize lint bench bench-quick selftest selftest-aarch64 docs clean help

help:
	@echo "make demo   run the worked examples (softmaxkit demo)"
	@echo "make test   run the test suite"
	@echo "make docs   the documentation site, into docs/_build/html (minutes)"
	@echo "make bench  benchmarks: softmaxkit vs PyTorch, SciPy, NumPy and a copy (minutes)"
	@echo "make bench-quick  the same on small shapes (under a minute; not for figures)"
	@echo "make selftest   the C kernels alone, no Python (selftest-aarch64: cross-built, under qemu)"
	@echo "make test-slow  checks that take minutes or 8 GiB (64-bit indexing)"
	@echo "make sanitize  the kernels built with ASan and UBSan, their tests on every ISA"
	@echo "make fuzz   differential fuzzing (20,000 examples per test), then atheris (minutes)"
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
# Then atheris (coverage-guided) on the kernels' entry points and on the model loader,
# FUZZ_SECONDS each; crash inputs land in build/fuzz/.
FUZZ_EXAMPLES ?= 20000
FUZZ_SECONDS ?= 120
fuzz: $(VENV)/.installed-test
	SOFTMAXKIT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py -q \
		-p no:cacheprovider
	$(BIN)/python -m pip install --quiet "atheris>=2.3"
	mkdir -p build/fuzz/kernels build/fuzz/model
	for target in kernels model; do \
		$(BIN)/python tools/fuzz_atheris.py $$target -max_total_time=$(FUZZ_SECONDS) \
			-rss_limit_mb=4096 -artifact_prefix=build/fuzz/ build/fuzz/$$target \
			2>&1 | grep -E "^#[0-9]+ +DONE|^Done|crash-|Error"; \
	done; \
	if ls build/fuzz/crash-* build/fuzz/timeout-* build/fuzz/oom-* >/dev/null 2>&1; then \
		echo "fuzz: findings in build/fuzz/ (turn each into a regression test)"; exit 1; fi

# The extension built with AddressSanitizer and UndefinedBehaviorSanitizer (installed
# beside, not over, the normal build), then every test that reaches the native code, on
# each instruction set. Any report aborts the run. CPython itself is not instrumented:
# the runtimes are preloaded and leak detection (CPython's arenas) is off.
SANITIZE_DIR := build/sanitize
SANITIZE_TESTS := tests/test_native.py tests/test_functions.py tests/test_logsumexp.py \
	tests/test_losses.py tests/test_gradients.py tests/test_layers.py tests/test_fuzz.py \
	tests/test_bad_input.py tests/test_concurrency.py tests/test_accuracy.py \
	tests/test_classifier.py tests/test_cs231n.py tests/test_cli_text.py tests/test_sparse.py \
	tests/test_attention.py tests/test_streaming.py tests/test_segments.py tests/test_sample.py tests/test_half.py
sanitize: $(VENV)/.installed-test
	rm -rf $(SANITIZE_DIR) build/sanitize-build
	$(BIN)/python -m pip install --quiet --no-build-isolation --no-deps \
		--target $(SANITIZE_DIR) -Cbuild-dir=build/sanitize-build \
		-Csetup-args=-Db_sanitize=address,undefined -Csetup-args=-Db_lundef=false .
	for isa in avx512 avx2 baseline; do \
		echo "== sanitizers, SOFTMAXKIT_ISA=$$isa"; \
		SOFTMAXKIT_ISA=$$isa PYTHONPATH=$(SANITIZE_DIR) \
		LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
		ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow" $(SANITIZE_TESTS) || exit 1; \
	done

$(VENV)/.installed-docs: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation ".[docs]"
	@touch $@

# The documentation site: the API reference from the docstrings (numpydoc-validated), the
# gallery (examples/, each script run at build time), the tutorials and the Performance
# page (from benchmarks/results/). Offline; any warning fails the build.
docs: $(VENV)/.installed-docs
	MPLBACKEND=Agg $(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

$(VENV)/.installed-bench: $(BIN)/python $(SOURCES)
	$(BIN)/python -m pip install --quiet --no-build-isolation ".[bench]"
	@touch $@

# OpenBLAS settings of the environment would skew NumPy's and SciPy's timings.
BENCH_ENV := env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
# On an AVX-512 machine make bench also times the AVX2 kernels (what CPUs without it run).
BENCH_NARROW_ISA := $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo avx2)

bench: $(VENV)/.installed-bench
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_softmax.py
	$(BENCH_ENV) $(BIN)/python benchmarks/accuracy.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_losses.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_classifier.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_dask.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_contention.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_frameworks.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_sparse.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_attention.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_sample.py
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_half.py
ifneq ($(BENCH_NARROW_ISA),)
	# the kernels that differ by ISA, again on AVX2 (bench_softmax.py runs every ISA itself)
	SOFTMAXKIT_ISA=avx2 $(BENCH_ENV) $(BIN)/python benchmarks/bench_half.py
	SOFTMAXKIT_ISA=avx2 $(BENCH_ENV) $(BIN)/python benchmarks/bench_attention.py
	SOFTMAXKIT_ISA=avx2 $(BENCH_ENV) $(BIN)/python benchmarks/bench_sample.py
endif

bench-quick: $(VENV)/.installed-bench
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_softmax.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/accuracy.py --rows 6
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_losses.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_classifier.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_dask.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_contention.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_frameworks.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_sparse.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_attention.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_sample.py --quick
	$(BENCH_ENV) $(BIN)/python benchmarks/bench_half.py --quick

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
	$(BIN)/python -m ruff check src tests benchmarks tools examples docs

clean:
	rm -rf $(VENV) build dist .pytest_cache .hypothesis docs/_build docs/generated \
		docs/api/generated docs/auto_examples
