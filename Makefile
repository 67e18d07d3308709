# bkpipe: one Makefile. `make`, `make check`, `make install`, `make bench`.
# B is the build directory (default: the source tree), so that
# `make B=build/asan CFLAGS=...` keeps a second build beside the first.

VERSION = 0.1.0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

B ?= .
PKG_CONFIG ?= pkg-config
SCDOC ?= scdoc
CFLAGS ?= -O2 -g
LDFLAGS ?=
FUZZ_CC ?= clang

# ISA-L is the fast inflate; without it (or with ISAL=0) zlib's inflate is used.
ISAL ?= $(shell $(PKG_CONFIG) --exists libisal 2>/dev/null && echo 1 || echo 0)
PKGS = libpq libcurl zlib libcrypto expat
ifeq ($(ISAL),1)
PKGS += libisal
ISAL_DEFS = -DHAVE_ISAL
endif

WARN = -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -DBKPIPE_VERSION='"$(VERSION)"' \
	$(ISAL_DEFS) -Icommon $(WARN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread

TOOLS = gzcat-verify s3ls s3get s3put s3rm bkage pgfeed pgcount
COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:%.c=$(B)/%.o)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:%.c=$(B)/%)
TOOL_SRC = $(wildcard tests/tools/*.c)
TOOL_BIN = $(TOOL_SRC:%.c=$(B)/%)
MANS = $(TOOLS:%=man/%.1)
MAN7 = $(patsubst %.scd,%,$(wildcard man/*.7.scd))
BINS = $(TOOLS:%=$(B)/%)

all: $(BINS) $(MANS) $(MAN7)

$(B)/%.o: %.c common/*.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libbkpipe.a: $(COMMON_OBJ)
	$(AR) rcs $@ $(COMMON_OBJ)

$(BINS): $(B)/%: $(B)/cmd/%.o $(B)/libbkpipe.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libbkpipe.a $(LIBS)

$(UNIT_BIN) $(TOOL_BIN): $(B)/tests/%: $(B)/tests/%.o $(B)/libbkpipe.a
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(B)/libbkpipe.a $(LIBS)

# s3put with S3's 10,000-part limit lowered to 3, so that the tests can
# outgrow it with a few MiB.
$(B)/tests/tools/s3put-3parts: cmd/s3put.c common/upload.c common/*.h $(B)/libbkpipe.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DUPLOAD_MAX_PARTS=3 $(ALL_LDFLAGS) -o $@ cmd/s3put.c common/upload.c \
		$(B)/libbkpipe.a $(LIBS)

man/%.1: man/%.1.scd
	$(SCDOC) < $< > $@

man/%.7: man/%.7.scd
	$(SCDOC) < $< > $@

# The C unit tests, and the small programs the bats suites use.
unit: $(UNIT_BIN) $(TOOL_BIN) $(B)/tests/tools/s3put-3parts

# Runs the C unit tests (TAP on stdout).
unit-run: unit
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# libFuzzer targets, built with clang into $(B)/fuzz/. Each target reads
# its seeds (tests/fuzz/seeds/TARGET/, made by hand) and its kept corpus
# (tests/fuzz/corpus/TARGET/, what fuzz-long found) and writes only under
# $(B)/fuzz/: `make fuzz` (FUZZ_TIME seconds a target, 60 unless given;
# make check gives 20) leaves the tree as it was. `make fuzz-long` (600 s a
# target unless given) then merges what it found into the kept corpus with
# libFuzzer's -merge=1, keeping only inputs that add coverage beyond the
# seeds, so the corpus stays small (aim: under 200 files and 1 MiB a target).
# A crash leaves its input as $(B)/fuzz/TARGET-crash-*, and the run's log as
# $(B)/fuzz/TARGET.log.
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS = $(FUZZ_SRC:tests/fuzz/%.c=%)
FUZZ_BIN = $(FUZZ_TARGETS:%=$(B)/fuzz/%)
FUZZ_FLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -DBKPIPE_VERSION='"$(VERSION)"' $(ISAL_DEFS) -Icommon -g -O1 \
	-fsanitize=fuzzer,address,undefined $(PKG_CFLAGS)
# The seed and kept-corpus directories of target $$t that exist (shell).
FUZZ_INPUTS = $$(for d in tests/fuzz/corpus/$$t tests/fuzz/seeds/$$t; do [ -d $$d ] && echo $$d; done)

$(FUZZ_BIN): $(B)/fuzz/%: tests/fuzz/%.c $(COMMON_SRC) common/*.h $(wildcard tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(COMMON_SRC) $(LIBS)

fuzz: $(FUZZ_BIN)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(B)/fuzz/corpus-$$t; \
		$(B)/fuzz/$$t -max_total_time=$(or $(FUZZ_TIME),60) -artifact_prefix=$(B)/fuzz/$$t- \
			$(B)/fuzz/corpus-$$t $(FUZZ_INPUTS) || exit 1; \
	done

fuzz-long: $(FUZZ_BIN)
	@rc=0; for t in $(FUZZ_TARGETS); do \
		run=$(B)/fuzz/long-$$t new=$(B)/fuzz/merge-$$t log=$(B)/fuzz/$$t.log kept=tests/fuzz/corpus/$$t; \
		echo "fuzz-long: $$t, $(or $(FUZZ_TIME),600) s"; \
		mkdir -p $$run; rm -rf $$new; mkdir -p $$new; \
		if ! $(B)/fuzz/$$t -max_total_time=$(or $(FUZZ_TIME),600) -artifact_prefix=$(B)/fuzz/$$t- \
			$$run $(FUZZ_INPUTS) >$$log 2>&1; then \
			echo "fuzz-long: $$t failed, $$kept unchanged: see $$log and $(B)/fuzz/$$t-crash-*"; \
			tail -n 40 $$log; rc=1; continue; \
		fi; \
		if [ -d tests/fuzz/seeds/$$t ]; then \
			$(B)/fuzz/$$t -merge=1 $$new tests/fuzz/seeds/$$t >>$$log 2>&1 || { rc=1; continue; }; \
		fi; \
		ls $$new >$$new.seeds; \
		$(B)/fuzz/$$t -merge=1 $$new $$run $(FUZZ_INPUTS) >>$$log 2>&1 || { rc=1; continue; }; \
		(cd $$new && xargs rm -f <../merge-$$t.seeds); \
		mkdir -p $$kept; rm -f $$kept/*; \
		for f in $$new/*; do [ -e "$$f" ] && cp "$$f" $$kept/; done; \
		n=$$(ls $$kept | wc -l); k=$$(($$(cat $$kept/* 2>/dev/null | wc -c) / 1024)); \
		echo "fuzz-long: $$t: $$n files, $$k KiB kept in $$kept"; \
		if [ $$n -gt 200 ] || [ $$k -ge 1024 ]; then \
			echo "fuzz-long: $$kept is over 200 files or 1 MiB: consider -max_len or fewer seeds"; \
		fi; \
	done; exit $$rc

check:
	@tests/run

bench:
	@scripts/deps bench
	@$(MAKE) -s all
	@$(MAKE) -s B=build/zlib ISAL=0 build/zlib/gzcat-verify
	@for s in $(filter-out bench/pipeline.sh,$(wildcard bench/*.sh)) bench/pipeline.sh; do $$s || exit 1; done

# The runbooks of examples/ end to end, on a throwaway PostgreSQL server and
# S3 endpoint on loopback (examples/demo.sh).
demo:
	@scripts/deps demo
	@$(MAKE) -s all
	@BKPIPE_BIN=$(B) examples/demo.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	for t in $(TOOLS); do install -m 755 $(B)/$$t $(DESTDIR)$(BINDIR)/$$t; done
	for m in $(MANS); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man1/; done
	mkdir -p $(DESTDIR)$(MANDIR)/man7
	for m in $(MAN7); do install -m 644 $$m $(DESTDIR)$(MANDIR)/man7/; done
	mkdir -p $(DESTDIR)$(PREFIX)/share/bkpipe/lib
	install -m 755 $(filter-out examples/demo.sh,$(wildcard examples/*.sh)) $(DESTDIR)$(PREFIX)/share/bkpipe/
	install -m 644 examples/lib/runbook.sh $(DESTDIR)$(PREFIX)/share/bkpipe/lib/

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t; done
	for t in $(TOOLS); do rm -f $(DESTDIR)$(MANDIR)/man1/$$t.1; done
	for m in $(MAN7); do rm -f $(DESTDIR)$(MANDIR)/man7/$${m##*/}; done
	rm -rf $(DESTDIR)$(PREFIX)/share/bkpipe

clean:
	rm -f $(BINS) $(MANS) $(MAN7) $(B)/libbkpipe.a $(COMMON_OBJ) $(B)/cmd/*.o
	rm -f $(UNIT_BIN) $(TOOL_BIN) $(B)/tests/unit/*.o $(B)/tests/tools/*.o
	rm -rf build $(B)/fuzz

.PHONY: all unit unit-run fuzz fuzz-long check bench demo install uninstall clean
.SECONDARY:
.DELETE_ON_ERROR:
