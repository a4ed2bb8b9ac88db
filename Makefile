# mxdoc: the commands a person and CI run. Meson does the building; this
# file only names the steps.
#   make        install missing Debian packages, then build (build/mxdoc)
#   make test   unit tests, fuzz-corpus replay and the integration lab, all
#               under AddressSanitizer and UndefinedBehaviorSanitizer
#   make demo   start the local lab and diagnose each of its domains
#   make fuzz   run every libFuzzer target for FUZZ_SECONDS each (clang;
#               the whole library is built with coverage instrumentation)
#   make bench  the benchmarks under bench/

BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build test unit integration demo fuzz bench check clean

all: build

deps:
	@sh scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN)/build.ninja:
	meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug

test: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	sh scripts/test.sh $(ASAN)

unit: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	meson test -C $(ASAN) --suite unit --suite fuzz --print-errorlogs

integration: build
	MXDOC=$(BUILD)/mxdoc sh tests/integration/run.sh

demo: build
	MXDOC=$(BUILD)/mxdoc bash scripts/lab/demo.sh

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) -Dfuzzing=true \
		-Dc_args=-fsanitize=fuzzer-no-link \
		-Db_sanitize=address,undefined -Db_lundef=false

fuzz: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ)
	sh scripts/fuzz.sh $(FUZZ) $(FUZZ_SECONDS)

bench: build
	sh bench/run.sh $(BUILD)/mxdoc

check:
	sh scripts/checksrc

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
