# ktriage: crash-dump triage without debuginfo.
#   make            build/ktriage, build/ktriaged, build/libktriage.a
#   make check      every test, built with AddressSanitizer and UBSan
#   make demo       triage the bundled sample dump
#   make deps       install the Debian build and test packages
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
BUILD ?= build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PKGS := libelf libdw zlib libzstd lzo2 snappy json-c sqlite3 libsystemd \
	libbpf libseccomp inih libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wvla
override CFLAGS += -std=gnu11 $(WARNINGS) -Iinclude $(PKG_CFLAGS) \
	-D_GNU_SOURCE -DKT_VERSION='"$(VERSION)"' -D_FILE_OFFSET_BITS=64 -MMD -MP
LDLIBS += $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

LIB_SRC := $(sort $(wildcard lib/*.c lib/dump/*.c lib/kernel/*.c analyzers/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FIXTURE_SRC := $(sort $(wildcard tests/fixtures/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ := $(call obj,$(LIB_SRC))
LIB := $(BUILD)/libktriage.a
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FIXTURE_BIN := $(patsubst tests/fixtures/%.c,$(BUILD)/tests/%,$(FIXTURE_SRC))
# Keep the test objects: deleted as intermediates, they would be rebuilt
# (without the sanitizers) by check's second make.
.SECONDARY: $(call obj,$(UNIT_SRC) $(FIXTURE_SRC))

.PHONY: all check unit integration demo deps install clean fuzz bench bench-reader
all: $(BUILD)/ktriage $(BUILD)/ktriaged $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/ktriage: $(call obj,$(CLI_SRC)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ktriaged: $(call obj,$(DAEMON_SRC)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests see the library's private headers too.
$(BUILD)/obj/tests/%.o: override CFLAGS += -Ilib $(shell pkg-config --cflags cmocka)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)
$(BUILD)/tests/%: $(BUILD)/obj/tests/fixtures/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The shared corpus of real dumps, when this machine has it.
VMCORES ?= $(abspath $(CURDIR)/../shared/vmcores)
CHECK_BUILD := build/check
check:
	$(MAKE) --no-print-directory BUILD=$(CHECK_BUILD) SANITIZE=1 CFLAGS="-O1 -g" \
		all unit-bins fixture-bins
	$(MAKE) --no-print-directory BUILD=$(CHECK_BUILD) unit integration

unit-bins: $(UNIT_BIN)
fixture-bins: $(FIXTURE_BIN)

unit: unit-bins
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; \
		KT_SAMPLE=$(CURDIR)/samples/cgroup_deadlock KT_VMCORES=$(VMCORES) $$t; done

integration:
	KTRIAGE=$(CURDIR)/$(BUILD)/ktriage KT_TESTS_BIN=$(CURDIR)/$(BUILD)/tests \
	KT_SAMPLE=$(CURDIR)/samples/cgroup_deadlock KT_VMCORES=$(VMCORES) \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		python3 -m unittest discover -v -s tests/integration -p 'test_*.py'

# The reader benchmark, next to libkdumpfile (bench/reader.py says what it measures).
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(sort $(wildcard bench/*.c)))
$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDLIBS) $(shell pkg-config --libs libkdumpfile)
# make bench: ktriage next to crash, drgn, makedumpfile and libkdumpfile (bench/run; results
# in bench/RESULTS.md); make bench-reader: the dump reader alone (bench/RESULTS-reader.md).
bench: $(BUILD)/ktriage $(BENCH_BIN)
	bench/run --ktriage $(BUILD)/ktriage --bin $(BUILD)/bench --vmcores $(VMCORES) $(BENCH_ARGS)
bench-reader: $(BUILD)/ktriage $(BENCH_BIN) $(FIXTURE_BIN)
	python3 bench/reader.py --ktriage $(BUILD)/ktriage --bin $(BUILD)/bench \
		--mkvmcore $(BUILD)/tests/mkvmcore --vmcores $(VMCORES)

demo: $(BUILD)/ktriage
	$(BUILD)/ktriage info samples/cgroup_deadlock/vmcore.kdump
	$(BUILD)/ktriage check samples/cgroup_deadlock/vmcore.kdump

DEB_PACKAGES := build-essential pkg-config libelf-dev libdw-dev zlib1g-dev \
	libzstd-dev liblzo2-dev libsnappy-dev libsystemd-dev libjson-c-dev \
	libsqlite3-dev libbpf-dev libseccomp-dev libinih-dev libssl-dev \
	libcmocka-dev python3 makedumpfile xz-utils libkdumpfile-dev \
	systemd
deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $(DEB_PACKAGES)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(BUILD)/ktriage $(DESTDIR)$(BINDIR)/ktriage
	install -m 0755 $(BUILD)/ktriaged $(DESTDIR)$(SBINDIR)/ktriaged
	install -d $(DESTDIR)$(SYSCONFDIR)/ktriage $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR)
	test -e $(DESTDIR)$(SYSCONFDIR)/ktriage/ktriaged.conf || \
		install -m 0644 conf/ktriaged.conf $(DESTDIR)$(SYSCONFDIR)/ktriage/ktriaged.conf
	install -m 0644 systemd/ktriaged.service $(DESTDIR)$(UNITDIR)/ktriaged.service
	install -m 0644 systemd/ktriage.catalog $(DESTDIR)$(CATALOGDIR)/ktriage.catalog

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
