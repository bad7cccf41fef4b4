# ktriage: crash-dump triage without debuginfo.
#   make            build/ktriage, build/ktriaged, build/lib/libkt_<layer>.a
#   make check      every test, built with AddressSanitizer and UBSan
#   make layers     fail on an #include or a call that runs up the layers
#   make size       fail on a file over 700 lines or a function over 60
#   make demo       triage the bundled sample dump
#   make deps       install the Debian build and test packages (./bootstrap)
#   make install    PREFIX=/usr/local DESTDIR= (binaries, unit, catalog, conf, man, completion)
#   make man        the man pages, from docs/man/*.scd (scdoc)
#   make deb        the Debian package, in build/deb/ (docs/install.md)
#   make rpm        the RPM (RHEL, Rocky, Alma, Fedora), in build/rpm/ (rpmbuild)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
CATALOGDIR ?= /usr/lib/systemd/catalog
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/ktriage
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
LIBEXECDIR ?= $(PREFIX)/libexec
STATEDIR ?= /var/lib/ktriage
BUILD ?= build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.1.0)

PKGS := libelf libdw zlib libdeflate libzstd lzo2 snappy json-c sqlite3 libsystemd \
	libbpf libseccomp inih libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# STATIC_DEPS=1 (the default) links the libraries' archives (Debian ships
# them in the -dev packages) and leaves only glibc and libsystemd shared:
# the dynamic loader relocating a dozen libraries a command never calls
# (libcrypto, sqlite3, libstdc++ through snappy) was 9 M of dmesg's 13 M
# instructions (bench/RESULTS.md).  --as-needed drops libsystemd from
# ktriage, which does not call it.  STATIC_DEPS=0 links them all shared: the
# .deb and .rpm do (debian/rules, rpm/ktriage.spec), so that the
# distribution's fixes to those libraries reach ktriage.  Every archive is
# in a package ./bootstrap installs (libbz2-dev and liblzma-dev for libdw's).
STATIC_DEPS ?= 1
ifeq ($(STATIC_DEPS),1)
GLIBC_LIBS := -lm -ldl -lpthread -pthread
PKG_LIBS := -Wl,--as-needed -Wl,-Bstatic \
	$(filter-out $(GLIBC_LIBS),$(shell pkg-config --static --libs $(filter-out libsystemd,$(PKGS)) 2>/dev/null)) \
	-lstdc++ -Wl,-Bdynamic $(shell pkg-config --libs libsystemd 2>/dev/null) $(GLIBC_LIBS)
else
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
endif

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

# The library is five layers, each a folder under lib/, an archive and a
# public header in include/ktriage/ (docs/architecture.md).  A layer uses only
# the layers after it in LAYERS, which is also the link order; `make layers`
# (tools/check-layers) enforces it on includes and on calls.
LAYERS := analysis kernel dump services base
layer_src = $(sort $(shell find lib/$(1) -name '*.c'))
layer_libs = $(foreach l,$(1),$(BUILD)/lib/libkt_$(l).a)
CLI_SRC := $(sort $(wildcard cli/*.c))
DAEMON_SRC := $(sort $(wildcard daemon/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
FIXTURE_SRC := $(sort $(wildcard tests/fixtures/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBS := $(call layer_libs,$(LAYERS))
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FIXTURE_BIN := $(patsubst tests/fixtures/%.c,$(BUILD)/tests/%,$(FIXTURE_SRC))
# Keep the test objects: deleted as intermediates, they would be rebuilt
# (without the sanitizers) by check's second make.
.SECONDARY: $(call obj,$(UNIT_SRC) $(FIXTURE_SRC))

.PHONY: all check unit integration demo deps install clean fuzz bench bench-reader layers size
all: $(BUILD)/ktriage $(BUILD)/ktriaged $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

define layer_archive
$(BUILD)/lib/libkt_$(1).a: $(call obj,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@ && $$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_archive,$(l))))

# The patterns see the analysis layer's private headers (report.h).
$(BUILD)/obj/lib/analysis/patterns/%.o: override CFLAGS += -iquote lib/analysis

$(BUILD)/ktriage: $(call obj,$(CLI_SRC)) $(call layer_libs,analysis kernel dump services base)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ktriaged: $(call obj,$(DAEMON_SRC)) $(call layer_libs,analysis kernel dump services base)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# STYLE's "a function fits on a screen", as numbers (tools/check-size).
size:
	python3 tools/check-size

# Includes first (no build needed), then the calls in the built archives.
layers:
	python3 tools/check-layers --includes-only
	$(MAKE) --no-print-directory $(LIBS)
	python3 tools/check-layers --build $(BUILD)

# Unit tests include the public headers; a test of a private decoder names
# that layer's private header by its path (../../lib/kernel/locks.h).
$(BUILD)/obj/tests/%.o: override CFLAGS += $(shell pkg-config --cflags cmocka)
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cmocka)
$(BUILD)/tests/%: $(BUILD)/obj/tests/fixtures/%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The shared corpus of real dumps, when this machine has it.
VMCORES ?= $(abspath $(CURDIR)/../shared/vmcores)
# Dumps of kernels before 6.0 (no SYMBOL(kallsyms_*) in VMCOREINFO).
VMCORES_515 ?= $(abspath $(CURDIR)/../shared/vmcores-5.15)
VMCORES_54 ?= $(abspath $(CURDIR)/../shared/vmcores-5.4)
OLD_VMCORES_ENV = KT_VMCORES_515=$(VMCORES_515) KT_VMCORES_54=$(VMCORES_54)
# Captures of lab/scenarios (lab/capture ... --out DIR/...): tests/integration/test_memfacts.py
LAB_VMCORES ?= /tmp/kt/lab
# arm64 captures (../shared/vmlab/arm64, lab/capture --arch arm64): tests/integration/test_lab_arm64.py
ARM64_VMCORES ?= /tmp/kt/arm64
CHECK_BUILD := build/check
# Both stages build the same way, so the second never relinks a test
# against objects built without the sanitizers.
CHECK_MAKE = $(MAKE) --no-print-directory BUILD=$(CHECK_BUILD) SANITIZE=1 CFLAGS="-O1 -g"
check:
	$(CHECK_MAKE) all unit-bins fixture-bins fuzz-replay-bins
	@# The optimised build too: test_hostile_inputs measures time and memory on it.
	$(MAKE) --no-print-directory all
	$(CHECK_MAKE) size layers unit integration fuzz-regressions
	$(MAKE) --no-print-directory fuzz-smoke

unit-bins: $(UNIT_BIN)
fixture-bins: $(FIXTURE_BIN)

unit: unit-bins
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; \
		KT_SAMPLE=$(CURDIR)/samples/cgroup_deadlock KT_VMCORES=$(VMCORES) $(OLD_VMCORES_ENV) $$t; done

integration:
	KTRIAGE=$(CURDIR)/$(BUILD)/ktriage KT_TESTS_BIN=$(CURDIR)/$(BUILD)/tests \
	KT_BUILD=$(CURDIR)/$(BUILD) \
	KT_SAMPLE=$(CURDIR)/samples/cgroup_deadlock KT_VMCORES=$(VMCORES) $(OLD_VMCORES_ENV) \
	KT_RELEASE_KTRIAGE=$(CURDIR)/build/ktriage KT_LAB_VMCORES=$(LAB_VMCORES) \
	KT_ARM64_VMCORES=$(ARM64_VMCORES) \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		python3 -m unittest discover -v -s tests/integration -p 'test_*.py'

# The reader benchmark, next to libkdumpfile (bench/reader.py says what it measures).
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(sort $(wildcard bench/*.c)))
$(BUILD)/bench/%: bench/%.c $(call layer_libs,dump base)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(call layer_libs,dump base) $(LDLIBS) $(shell pkg-config --libs libkdumpfile)
# make bench: ktriage next to crash, drgn, makedumpfile and libkdumpfile (bench/run; results
# in bench/RESULTS.md); make bench-reader: the dump reader alone (bench/RESULTS-reader.md).
bench: $(BUILD)/ktriage $(BENCH_BIN)
	bench/run --ktriage $(BUILD)/ktriage --bin $(BUILD)/bench --vmcores $(VMCORES) $(BENCH_ARGS)
bench-reader: $(BUILD)/ktriage $(BENCH_BIN) $(FIXTURE_BIN)
	python3 bench/reader.py --ktriage $(BUILD)/ktriage --bin $(BUILD)/bench \
		--mkvmcore $(BUILD)/tests/mkvmcore --vmcores $(VMCORES)

demo: $(BUILD)/ktriage
	$(BUILD)/ktriage info samples/cgroup_deadlock/vmcore.kdump
	$(BUILD)/ktriage analyze samples/cgroup_deadlock/vmcore.kdump

# The packages live in ./bootstrap (it installs make itself, so it cannot be
# a make target); this is the same thing under its old name.
deps:
	./bootstrap

install: all man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR)
	install -m 0755 $(BUILD)/ktriage $(DESTDIR)$(BINDIR)/ktriage
	install -m 0755 $(BUILD)/ktriaged $(DESTDIR)$(SBINDIR)/ktriaged
	install -d $(DESTDIR)$(SYSCONFDIR)/ktriage $(DESTDIR)$(UNITDIR) $(DESTDIR)$(CATALOGDIR)
	test -e $(DESTDIR)$(SYSCONFDIR)/ktriage/ktriaged.conf || \
		install -m 0644 conf/ktriaged.conf $(DESTDIR)$(SYSCONFDIR)/ktriage/ktriaged.conf
	sed 's|^ExecStart=[^ ]*/ktriaged|ExecStart=$(SBINDIR)/ktriaged|' systemd/ktriaged.service \
		>$(DESTDIR)$(UNITDIR)/ktriaged.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ktriaged.service
	install -m 0644 systemd/ktriage.catalog $(DESTDIR)$(CATALOGDIR)/ktriage.catalog
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/ktriage.1 $(DESTDIR)$(MANDIR)/man1/ktriage.1
	install -m 0644 $(BUILD)/man/ktriaged.conf.5 $(DESTDIR)$(MANDIR)/man5/ktriaged.conf.5
	install -m 0644 $(BUILD)/man/ktriaged.8 $(DESTDIR)$(MANDIR)/man8/ktriaged.8
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 completion/ktriage.bash $(DESTDIR)$(BASHCOMPDIR)/ktriage
	ln -sf ktriage $(DESTDIR)$(BASHCOMPDIR)/ktriaged
	install -d $(DESTDIR)$(LIBEXECDIR)/ktriage $(DESTDIR)$(DOCDIR)/examples/kdump-tools-dump.service.d
	install -m 0755 contrib/kdump/kdump-post contrib/kdump/kdump-tools-savecore \
		$(DESTDIR)$(LIBEXECDIR)/ktriage/
	sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' contrib/kdump/kdump-tools-dump.service.d/ktriage.conf.in \
		>$(DESTDIR)$(DOCDIR)/examples/kdump-tools-dump.service.d/ktriage.conf
	install -m 0644 README.md schema/report.schema.json $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(DOCDIR)/examples/prometheus
	install -m 0644 contrib/prometheus/ktriage.rules.yml \
		contrib/prometheus/ktriage-dashboard.json $(DESTDIR)$(DOCDIR)/examples/prometheus/
	install -d -m 0750 $(DESTDIR)$(STATEDIR)
	if [ -z "$(DESTDIR)" ] && command -v journalctl >/dev/null; then journalctl --update-catalog; fi

# Man pages: scdoc sources in docs/man/, rendered with the version in.
MAN_PAGES := $(patsubst docs/man/%.scd,$(BUILD)/man/%,$(wildcard docs/man/*.scd))
.PHONY: man deb rpm
man: $(MAN_PAGES)
$(BUILD)/man/%: docs/man/%.scd VERSION
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/' $< | scdoc >$@.tmp && mv $@.tmp $@

# The Debian package.  dpkg-buildpackage cleans the tree it builds in and
# writes its results to the parent directory, so it runs in a copy:
# $(BUILD)/deb/ktriage-$(VERSION)/, and the .deb lands in $(BUILD)/deb/.
DEB_DIR := $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/ktriage-$(VERSION)
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C $(DEB_DIR)/ktriage-$(VERSION)
	cd $(DEB_DIR)/ktriage-$(VERSION) && dpkg-buildpackage -us -uc -b
	@if command -v lintian >/dev/null; then lintian --info --fail-on error,warning $(DEB_DIR)/*.changes; fi
	@ls -l $(DEB_DIR)/*.deb

# The RPM, from rpm/ktriage.spec: a source tarball of this tree (as make deb
# copies it), then rpmbuild -bb with build/rpm as its top directory.  On a
# machine whose rpm database is not the system's (rpmbuild on Debian), the
# BuildRequires cannot be checked (--nodeps) and no debuginfo is split.
RPM_DIR := $(BUILD)/rpm
RPMBUILD_ARGS ?=
rpm:
	rm -rf $(RPM_DIR) && mkdir -p $(RPM_DIR)/SOURCES
	tar -czf $(RPM_DIR)/SOURCES/ktriage-$(VERSION).tar.gz --exclude=./build \
		--exclude=./.git --transform 's|^\.|ktriage-$(VERSION)|' .
	@if rpm -q rpm >/dev/null 2>&1; then foreign=; else foreign=1; fi; set -x; \
	rpmbuild -bb --define "_topdir $(abspath $(RPM_DIR))" \
		$${foreign:+--nodeps --define "debug_package %{nil}"} $(RPMBUILD_ARGS) \
		rpm/ktriage.spec
	@if command -v rpmlint >/dev/null; then \
		rpmlint -r rpm/ktriage.rpmlintrc $(RPM_DIR)/RPMS/*/*.rpm; fi
	@ls -l $(RPM_DIR)/RPMS/*/*.rpm

clean:
	rm -rf build

include tests/fuzz/fuzz.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
