# The two commands of the README: `make run` and `make test`. `make` alone builds.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# Extra arguments for `make run`, e.g. make run ARGS="--print-syscalls --redis redis://127.0.0.1:6379"
ARGS ?=

.PHONY: all deps build run test unit e2e bench bench-realsw clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/docker-anomalies run $(ARGS)

unit: build
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure

# Unit tests, then end-to-end tests against a private dockerd and redis-server that the harness
# starts and stops itself.
e2e: build
	bash tests/harness/run-e2e.sh $(BUILD_DIR)

test: build
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure
	bash tests/harness/run-e2e.sh $(BUILD_DIR)

# Scoring throughput (Google Benchmark), capture overhead, then detection on real software
# (root: a private dockerd; the last takes about 50 minutes per backend).
bench: build
	$(BUILD_DIR)/bench/scoring_bench --benchmark_min_time=1
	bash bench/run-overhead.sh $(BUILD_DIR)
	bash bench/real-software.sh $(BUILD_DIR)

bench-realsw: build
	bash bench/real-software.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
