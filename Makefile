# The two commands of the README: `make run` and `make test`. `make` alone builds.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
# The sanitizer build (clang, ASan + UBSan, libFuzzer targets) and how long `make fuzz` runs
# each target (seconds).
SAN_DIR ?= build-san
FUZZ_SECONDS ?= 600
# Extra arguments for `make run`, e.g. make run ARGS="--print-syscalls --redis redis://127.0.0.1:6379"
ARGS ?=

.PHONY: all deps build run test unit e2e sanitize sanitize-build fuzz bench bench-realsw bench-scale package image clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/docker-anomalies run $(ARGS)

# The Debian package (binary, systemd unit, /etc/docker-anomalies/config.yaml, logrotate, docs)
# in $(BUILD_DIR): sudo apt install ./$(BUILD_DIR)/docker-anomalies_*.deb
package: build
	cd $(BUILD_DIR) && cpack -G DEB

# The agent's own image from that package (docs/operations.md shows how to run it).
image: package
	@test -f $(BUILD_DIR)/install-rootfs.tar || bash tests/harness/install-in-chroot.sh $(BUILD_DIR)
	bash packaging/build-image.sh $(BUILD_DIR)

unit: build
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure

# Unit tests, then end-to-end tests against a private dockerd and redis-server that the harness
# starts and stops itself.
e2e: build
	bash tests/harness/run-e2e.sh $(BUILD_DIR)

test: build
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure
	bash tests/harness/run-e2e.sh $(BUILD_DIR)
	@$(MAKE) --no-print-directory sanitize

sanitize-build: deps
	@CC=clang CXX=clang++ cmake -S . -B $(SAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DDA_BUILD_FUZZ=ON -DDA_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(SAN_DIR) -j $(JOBS) --target unit_tests docker-anomalies fuzz_all

# The unit tests under ASan and UBSan, then every fuzz target for a few seconds.
sanitize: sanitize-build
	ctest --test-dir $(SAN_DIR) -L unit --output-on-failure
	bash fuzz/run.sh $(SAN_DIR) 10

# Every fuzz target for FUZZ_SECONDS (numbers in docs/reliability.md).
fuzz: sanitize-build
	bash fuzz/run.sh $(SAN_DIR) $(FUZZ_SECONDS)

# Scoring throughput (Google Benchmark), capture overhead on a syscall loop and on redis and
# nginx under load, then detection on real software (root: a private dockerd; the last takes
# about 50 minutes per backend).
bench: build
	$(BUILD_DIR)/bench/scoring_bench --benchmark_min_time=1
	bash bench/run-overhead.sh $(BUILD_DIR)
	bash bench/services-overhead.sh $(BUILD_DIR) 3 untraced ebpf ptrace_floor ptrace
	bash bench/real-software.sh $(BUILD_DIR)
	bash bench/scale.sh $(BUILD_DIR) 3

bench-realsw: build
	bash bench/real-software.sh $(BUILD_DIR)

bench-scale: build
	bash bench/scale.sh $(BUILD_DIR) 3

clean:
	rm -rf $(BUILD_DIR) $(SAN_DIR)
