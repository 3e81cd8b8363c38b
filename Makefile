# Entry points. `make demo` and `make test` work on a fresh Debian 12 machine:
# both install missing packages first (tools/install-deps.sh).
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
# Every Python step runs in the project's virtual environment, which
# tools/install-deps.sh creates (Debian's python3 refuses pip installs).
VENV       ?= .venv
PYTHON     ?= $(abspath $(VENV))/bin/python
PIP        := $(PYTHON) -m pip install --disable-pip-version-check --progress-bar off
CLI        := $(BUILD)/tools/libsearch
# The Python package's CMake build. It sits at the same depth as $(BUILD) and
# uses the same compiler name and flags, so ccache (which install-deps installs,
# with paths made relative to this directory) serves its library objects from
# the Release build's instead of compiling them a second time.
PY_BUILD   ?= $(BUILD)-python
CCACHE     := -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache
export CCACHE_BASEDIR   := $(CURDIR)
export CCACHE_NOHASHDIR := 1
DEMO_INDEX := $(BUILD)/demo/products.idx

ADVISE_DEMO := $(BUILD)/advise-demo

.PHONY: all deps build demo advise-demo test test-release test-asan test-python test-functions package bench clean fuzz \
        install-python install-advisor lint lint-cpp lint-python bench-live test-package

all: build

deps:
	@bash tools/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DLIBSEARCH_WERROR=ON $(CCACHE)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Builds the CLI only: the demo runs nothing else.
demo: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target libsearch_cli
	@mkdir -p $(BUILD)/demo
	$(CLI) index --schema examples/products/schema.json \
	    --input examples/products/products.jsonl.gz --output $(DEMO_INDEX)
	$(CLI) info $(DEMO_INDEX) | head -n 20
	@for q in 'peanut butter' '"dark chocolate" -milk' 'organic (apple OR pear) juice' \
	          'product_name:cookies chocolate chip' 'crème brûlée'; do \
	  echo; echo "\$$ libsearch search $(DEMO_INDEX) '$$q'"; \
	  $(CLI) search $(DEMO_INDEX) "$$q" --k 5 || exit 1; \
	done
	@echo
	@echo "Web demo (README \"Web demo\"): build the service, start it on the demo index, then open the page:"
	@echo "  cmake -S . -B $(BUILD) -DLIBSEARCH_BUILD_FUNCTIONS=ON && cmake --build $(BUILD) --target libsearch_http_service"
	@echo "  $(BUILD)/functions/http_service/libsearch-service --index $(DEMO_INDEX) --port 8080"
	@echo "  open http://127.0.0.1:8080/"

# The Python package `pip install .` (README "Python") and the advisor
# (advisor/, its own package) into $(PYTHON), with -Werror and the CMake build
# kept in $(PY_BUILD). pip prints what it does; --verbose shows the
# extension's build (minutes) as it goes instead of one silent line.
install-python: deps
	$(PIP) --verbose . --config-settings=build-dir=$(PY_BUILD) \
	    --config-settings=cmake.define.LIBSEARCH_WERROR=ON \
	    --config-settings=cmake.define.CMAKE_CXX_COMPILER=c++ \
	    --config-settings=cmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache

install-advisor: install-python
	$(PIP) ./advisor

# The serverless-vs-service advisor (README "Which deployment?"): measures every
# deployment surface on this machine with the bundled catalogue, then writes a
# report (report.md, report.html + PNG charts) per traffic profile in examples/advisor/ into
# $(ADVISE_DEMO)/<profile>/. If a surface cannot run here, the committed profile
# measured on the reference machine is used instead (and says so).
ADVISOR         := $(dir $(PYTHON))libsearch-advisor
ADVISOR_PROFILE := bench/results/advisor-2026-12-07/profile.json
advise-demo: deps $(BUILD)/build.ninja install-advisor
	cmake -S . -B $(BUILD) -DLIBSEARCH_BUILD_FUNCTIONS=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target libsearch_cli libsearch_lambda_bootstrap libsearch_http_service
	@mkdir -p $(ADVISE_DEMO)
	$(CLI) index --schema examples/products/schema.json \
	    --input examples/products/products.jsonl.gz --output $(ADVISE_DEMO)/products.idx
	$(ADVISOR) profile $(ADVISE_DEMO)/products.idx --out $(ADVISE_DEMO)/profile.json \
	    --bootstrap $(BUILD)/functions/aws_lambda/bootstrap --rie $(BUILD)/go/bin/aws-lambda-rie \
	    --service $(BUILD)/functions/http_service/libsearch-service \
	    --lambda-handler-dir functions/aws_lambda/python --gcf-source functions/gcp/main.py \
	    --catalogue examples/products/products.jsonl.gz --schema examples/products/schema.json \
	  || { echo "advise-demo: measuring failed; using $(ADVISOR_PROFILE)"; \
	       cp $(ADVISOR_PROFILE) $(ADVISE_DEMO)/profile.json; }
	@for t in examples/advisor/*.json; do \
	  n=$$(basename $$t .json); \
	  echo "\$$ libsearch-advisor advise --profile $(ADVISE_DEMO)/profile.json --traffic $$t --out $(ADVISE_DEMO)/$$n"; \
	  $(ADVISOR) advise --profile $(ADVISE_DEMO)/profile.json --traffic $$t --out $(ADVISE_DEMO)/$$n || exit 1; \
	done

# GCC Release build with -Werror, then the whole suite again under
# AddressSanitizer + UBSan with Clang 14 (the second supported compiler), then
# the Python package, then the deployment surfaces under their real runtimes.
test: test-release test-asan test-python test-functions

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The ASan build also builds the fuzzers (tests/fuzz, LIBSEARCH_FUZZ): its
# library objects carry libFuzzer's coverage instrumentation, so there is no
# second build of the library for them. Its ctest runs each fuzzer for 15 s
# (label `fuzz`), which fails on any crash, leak, hang or memory blow-up.
$(ASAN_BUILD)/build.ninja:
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(ASAN_BUILD) -G Ninja \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLIBSEARCH_WERROR=ON -DLIBSEARCH_SANITIZE=ON \
	    -DLIBSEARCH_FUZZ=ON $(CCACHE)

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake -S . -B $(ASAN_BUILD) -DLIBSEARCH_FUZZ=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE install

# Each fuzzer for FUZZ_SECONDS (two at a time on two cores, etc.), from its
# committed corpus; new inputs, crashes and logs go to $(ASAN_BUILD)/fuzz
# (the committed corpora are never written), then seeds and finds are
# minimised into $(ASAN_BUILD)/fuzz/merged/<fuzzer>. FUZZERS= picks some.
FUZZ_SECONDS ?= 600
FUZZERS      ?=
fuzz: deps $(ASAN_BUILD)/build.ninja
	cmake -S . -B $(ASAN_BUILD) -DLIBSEARCH_FUZZ=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target fuzzers
	ASAN_OPTIONS=detect_leaks=1 $(PYTHON) tests/fuzz/run_fuzzers.py --build $(ASAN_BUILD) \
	    --out $(ASAN_BUILD)/fuzz --seconds $(FUZZ_SECONDS) --jobs $(JOBS) --merge $(FUZZERS)

# The Python package and the advisor, installed into $(PYTHON), then pytest
# against the installed copies. The CLI is the reference for the
# identical-results test.
test-python: build install-advisor
	LIBSEARCH_CLI=$(abspath $(CLI)) $(PYTHON) -m pytest bindings/python/tests advisor/tests -q --durations=8

# functions/: the Lambda bootstrap under the AWS Runtime Interface Emulator,
# the Python handler under awslambdaric, the Cloud Functions function under
# functions-framework and the HTTP service, all as plain processes on
# 127.0.0.1, plus the cross-surface conformance test and a short load run.
test-functions: build install-advisor
	cmake -S . -B $(BUILD) -DLIBSEARCH_BUILD_FUNCTIONS=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target libsearch_lambda_bootstrap \
	    libsearch_lambda_empty_bootstrap libsearch_http_service functions_test
	LIBSEARCH_BUILD_DIR=$(abspath $(BUILD)) LIBSEARCH_RIE=$(abspath $(BUILD))/go/bin/aws-lambda-rie LIBSEARCH_REQUIRE_RUNTIMES=1 \
	    $(PYTHON) -m pytest functions/tests -q --durations=12 \
	    --ignore=functions/tests/test_package_remote.py  # make test-package runs it

# AWS Lambda artefacts for the Amazon Linux 2023 runtimes (glibc 2.34) in
# $(BUILD)/package: the provided.al2023 zip (static bootstrap + index), the
# python3.12 layer and function zips; fails if any ELF in them needs more
# than AL2023 has (functions/aws_lambda/check_al2023_abi.py). INDEX=path
# packages another index than the bundled catalogue.
package: build
	BUILD=$(BUILD) bash functions/aws_lambda/package.sh

# The packaged bootstrap and layer, unzipped, on indexes in S3 and Cloud
# Storage (functions/tests/test_package_remote.py). Not part of `make test`:
# the first `make package` on a machine takes about 13 minutes on 2 cores
# (ICU about 10, libcurl about 1).
test-package: package install-advisor
	LIBSEARCH_BUILD_DIR=$(abspath $(BUILD)) LIBSEARCH_RIE=$(abspath $(BUILD))/go/bin/aws-lambda-rie \
	    LIBSEARCH_REQUIRE_RUNTIMES=1 LIBSEARCH_REQUIRE_PACKAGE=1 \
	    $(PYTHON) -m pytest functions/tests/test_package_remote.py -q --durations=5

# Micro-benchmarks (Google Benchmark), Release build with benchmarks enabled.
bench: build
	cmake -S . -B $(BUILD) -DLIBSEARCH_BUILD_BENCHMARKS=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target libsearch_bench
	$(BUILD)/bench/libsearch_bench

# Live index benchmarks (issue 17 targets): update batches, Reopen, and
# search over many segments against compacted, on the 818k catalogue when
# ../shared/data has it (bench/live/run.sh).
bench-live: build
	cmake -S . -B $(BUILD) -DLIBSEARCH_BUILD_BENCHMARKS=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target libsearch_live_bench
	BENCH=$(abspath $(BUILD))/bench/libsearch_live_bench bash bench/live/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(PY_BUILD)

# Static checks, run by CI before the tests: C++ (clang-format with the
# repository's .clang-format on every C++ file; clang-tidy with the agreed
# checks in .clang-tidy on the library, the tools and the functions) and Python.
lint: lint-cpp lint-python

lint-cpp: deps
	LINT_BUILD=$(BUILD)-lint bash tools/lint-cpp.sh

# ruff (rules in pyproject.toml) over every Python file, and mypy --strict on
# the engine package and the advisor (each against its own sources).
lint-python: deps
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy --strict bindings/python/libsearch
	cd advisor && $(PYTHON) -m mypy --strict libsearch_advisor

# Side-by-side benchmark against Xapian, Lucene and Tantivy on the
# search-benchmark-game queries (bench/peers/README.md). Installs a JDK, Maven
# jars and Rust crates as needed, so it is not part of `make test`. Knobs:
# CORPUS, QUERIES, PASSES, ROUNDS, WARMUP_SECONDS, ENGINES, COLD_RUNS, REBUILD, LIBSEARCH_REF.
.PHONY: bench-peers
bench-peers: deps
	bash bench/peers/setup.sh
	$(PYTHON) bench/peers/peers.py

# Fuzzy mode of the peers (issue 16): misspelled product words on the 818k
# catalogue, libsearch with typos next to Lucene's FuzzyQuery and Tantivy's
# FuzzyTermQuery (bench/peers/README.md, "Fuzzy mode"). Knobs: PASSES,
# ROUNDS, WARMUP_SECONDS, ENGINES, REBUILD, LIBSEARCH_REF.
.PHONY: bench-peers-fuzzy
bench-peers-fuzzy: deps
	bash bench/peers/setup.sh
	$(PYTHON) bench/peers/fuzzy.py

# Index build wall time and peak RSS with 1 and 2 threads, libsearch against
# Tantivy on the 818k catalogue, interleaved (bench/peers/build_threads.py).
# Builds only those two peer drivers. Knobs: THREADS, ROUNDS, CORPUS.
.PHONY: bench-build
bench-build: deps
	cmake -S bench/peers/libsearch -B build-peers/libsearch -G Ninja -DCMAKE_BUILD_TYPE=Release $(CCACHE)
	cmake --build build-peers/libsearch -j $(JOBS)
	PATH="$$HOME/.cargo/bin:$$PATH" CARGO_TARGET_DIR=build-peers/tantivy-target cargo build -q \
	    --release --locked --manifest-path bench/peers/tantivy/Cargo.toml
	$(PYTHON) bench/peers/build_threads.py
