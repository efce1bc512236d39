# SPDX-License-Identifier: Apache-2.0
# The two commands: `make demo` and `make test`. Each installs what is missing, configures with
# CMake + Ninja, builds and runs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc)

.PHONY: all setup build deb demo tour test test-asan test-tsan fuzz-smoke format format-check bench clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: setup $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The Debian package (CPack, packaging/): build/anchor_VERSION_ARCH.deb, with its Depends from
# dpkg-shlibdeps. Install it with `sudo apt install ./build/anchor_*.deb`.
deb: build
	cd $(BUILD) && cpack -G DEB

# The main job: seed 002's IoT system (CA, anchor serve, Mosquitto with anchor's plugin, two
# devices enrolled by anchor-agent), ACLs, live revocation and the mTLS hello, on loopback.
demo: build
	@$(BUILD)/apps/anchor demo

# The tutorials' command-line flows (seeds 000, 003, 004) one anchor command at a time.
tour: build
	@bash scripts/tour.sh $(BUILD)/apps/anchor

test: build
	$(MAKE) --no-print-directory format-check
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600
	$(MAKE) --no-print-directory fuzz-smoke

# clang-format (.clang-format: Google, 100 columns, STYLE.md 2.2) over every C++ file in git.
FORMATTED = git ls-files '*.cc' '*.h'
format: setup
	$(FORMATTED) | xargs clang-format -i
format-check: setup
	@$(FORMATTED) | xargs clang-format --dry-run --Werror && echo "format-check: clean"

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DANCHOR_SANITIZE=ON -DANCHOR_BENCH=OFF

test-asan: setup $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900

$(TSAN_BUILD)/build.ninja:
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANCHOR_TSAN=ON

# The server and store tests (ctest label "tsan": concurrent issuance, group commit, the router,
# the responder, and the integration tests that drive `anchor serve`) under ThreadSanitizer.
test-tsan: setup $(TSAN_BUILD)/build.ninja
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && \
	  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -j $(JOBS) -L tsan --timeout 900

$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DANCHOR_FUZZ=ON -DANCHOR_BENCH=OFF

FUZZERS = csr_parse_fuzzer certificate_parse_fuzzer csr_to_certificate_fuzzer http_router_fuzzer \
          mqtt_policy_fuzzer http_fields_fuzzer

fuzz-smoke: setup $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZERS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -L fuzz

bench: build
	@bash scripts/setup.sh --bench
	$(BUILD)/bench/issuance_bench --benchmark_min_time=2
	bash bench/sign_vs_openssl.sh $(BUILD)/apps/anchor 1000
	bash bench/serve_bench.sh $(BUILD)
	bash bench/broker_bench.sh $(BUILD) 2000 50
	bash bench/fleet.sh $(BUILD) 1000 8
	bash bench/agent_footprint.sh $(BUILD)
	bash bench/ocsp_vs_nginx.sh $(BUILD)
	CSV=docs/store_growth.csv bash bench/store_growth.sh $(BUILD)
	bash bench/plot_store_growth.sh docs/store_growth.csv docs/store_growth.png

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
