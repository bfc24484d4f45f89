# SPDX-License-Identifier: Apache-2.0
# A thin front for CMake, so that a newcomer types one word.
#   make          release build: build/release/dcr
#   make demo     the whole flow on the built-in simulated TEE
#   make check    every test (ASan + UBSan build)
#   make fuzz     the libFuzzer harnesses; make fuzz-run FUZZ_SECONDS=60 runs them
#   make deps     install missing Debian packages (as root), or say which
#   make measure  what a contract pins for this release (tee.measurements)
#   make sgx CONTRACT=FILE   the Gramine manifest, signed, and its MRENCLAVE
FUZZ_SECONDS ?= 60
FUZZERS = fuzz_contract fuzz_pubkey fuzz_envelope fuzz_evidence fuzz_sql fuzz_csv fuzz_dcap_collateral fuzz_ratls fuzz_snp_certtable fuzz_noise

.PHONY: all deps release dev check demo fuzz fuzz-run clean measure sgx

all: release

deps:
	@sh scripts/deps.sh

release: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release

dev: deps
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev

check: dev
	@ctest --preset dev

demo: release
	@./build/release/dcr demo

measure: release
	@sh scripts/measure.sh

sgx: release
	@sh scripts/sgx.sh "$(CONTRACT)"

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz
	@echo "Fuzzers are in build/fuzz/tests/fuzz/. Run each for $(FUZZ_SECONDS) s with:"
	@echo "  make fuzz-run FUZZ_SECONDS=$(FUZZ_SECONDS)"
	@echo "or one by hand, e.g.:"
	@echo "  build/fuzz/tests/fuzz/fuzz_contract -max_total_time=60 tests/fuzz/corpus/fuzz_contract"
	@echo "See docs/FUZZING.md."

fuzz-run: fuzz
	@set -e; for f in $(FUZZERS); do \
		mkdir -p build/fuzz/corpus/$$f; \
		echo "== $$f ($(FUZZ_SECONDS) s)"; \
		build/fuzz/tests/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			build/fuzz/corpus/$$f tests/fuzz/corpus/$$f 2>&1 | \
			grep -E 'stat::number_of_executed_units|Done|ERROR|SUMMARY' ; \
	done

clean:
	rm -rf build
