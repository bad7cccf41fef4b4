# libFuzzer harnesses, tests/fuzz/fuzz_<parser>.c (included by the Makefile).
#
#   make fuzz              build them with clang in build/fuzz, make the seed
#                          corpora (tests/fuzz/make-seeds), run each harness
#                          FUZZ_SECONDS (60); FUZZ_HARNESSES picks some
#   make fuzz-smoke        the same, FUZZ_SMOKE_SECONDS (3) each: make check
#   make fuzz-regressions  replay tests/fuzz/regressions/<harness>/ through
#                          each harness linked with replay.c, in $(BUILD) and
#                          with its compiler and sanitizers: make check
#
# A crash stops the run and leaves its input in build/fuzz/crashes/<harness>/;
# commit it under tests/fuzz/regressions/<harness>/ with the fix.

FUZZ_CC ?= clang
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_JOBS ?= 1
FUZZ_RUN_ARGS ?=
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_HARNESSES ?= $(FUZZ_NAMES)
FUZZ_BIN := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_NAMES))
FUZZ_REPLAY_BIN := $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_NAMES))
.SECONDARY: $(call obj,$(wildcard tests/fuzz/*.c))
.PHONY: fuzz fuzz-smoke fuzz-bins fuzz-replay-bins fuzz-regressions

# FUZZ=1: the whole library gets libFuzzer's coverage instrumentation.
ifeq ($(FUZZ),1)
override CFLAGS += -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o \
		$(BUILD)/obj/tests/fuzz/replay.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-bins: $(FUZZ_BIN)
fuzz-replay-bins: $(FUZZ_REPLAY_BIN)

fuzz-regressions: fuzz-replay-bins
	python3 tests/fuzz/run replay --bin $(BUILD)/fuzz $(FUZZ_NAMES)

fuzz:
	@if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' | \
		$(FUZZ_CC) -x c - -fsanitize=fuzzer -o /dev/null 2>/dev/null; then \
		echo "fuzz: $(FUZZ_CC) cannot build libFuzzer binaries; skipped"; exit 0; fi; \
	set -e; \
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) FUZZ=1 \
		CFLAGS="-O1 -g" fuzz-bins fixture-bins; \
	python3 tests/fuzz/make-seeds --out $(FUZZ_BUILD)/seeds \
		--mkvmcore $(FUZZ_BUILD)/tests/mkvmcore --sample samples/cgroup_deadlock \
		--vmcores $(VMCORES); \
	nice python3 tests/fuzz/run fuzz --bin $(FUZZ_BUILD)/fuzz --work $(FUZZ_BUILD) \
		--seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_RUN_ARGS) $(FUZZ_HARNESSES)

fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) \
		FUZZ_RUN_ARGS=--fresh
