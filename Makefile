# Herald - a mailing-list server as small cooperating Unix daemons.
#
#   make demo    install what is missing, build, run Herald's main job locally
#   make test    install what is missing, build, run every test (also under ASan+UBSan)
#   make bench   benchmarks, one line "bench NAME: VALUE UNIT" each
#   make fuzz    libFuzzer targets, FUZZ_SECONDS each (default 60)
#
# Sources are found by name: lib/*.c is the shared library, cmd/<program>/*.c
# one program each, test/*_test.c one unit test each, test/fuzz/*_fuzz.c one
# fuzz target each. Nothing here needs editing to add a module or a test.

SHELL		= /bin/sh
CC		= cc
BUILD		= build
PREFIX		= /usr/local
SYSCONFDIR	= /etc/herald
LIBEXECDIR	= $(PREFIX)/libexec/herald
# Herald's default scenario files (scenarios/ here), compiled into
# lib/scenario_find.c; tests point at the source tree instead.
SCENARIODIR	= $(PREFIX)/share/herald/scenarios
# Translated message catalogues (catalog/*.yaml); English is also built in.
CATALOGDIR	= $(PREFIX)/share/herald/catalog
PKGS		= libevent libevent_openssl libpq openssl opendkim libpcre2-8 yaml-0.1
FUZZ_SECONDS	= 60

# Evaluated when a recipe runs, not when make starts: `make test` installs
# the -dev packages before anything asks pkg-config about them.
PKG_CFLAGS	= $(shell pkg-config --cflags $(PKGS))
PKG_LIBS	= $(shell pkg-config --libs $(PKGS))

WARN		= -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		  -Wmissing-prototypes -Wformat=2 -Wvla
OPT		= -O2
CFLAGS		= -std=c17 -g $(OPT) $(WARN)
CPPFLAGS	= -D_GNU_SOURCE -Ilib -Ispool-layout -Itest/util -I$(BUILD)/gen \
		  -DHERALD_CONFIG_PATH='"$(SYSCONFDIR)/herald.yaml"' \
		  -DHERALD_LIBEXECDIR='"$(LIBEXECDIR)"' \
		  -DHERALD_SCENARIODIR='"$(SCENARIODIR)"' \
		  -DHERALD_CATALOGDIR='"$(CATALOGDIR)"'
LDFLAGS		= -Wl,--as-needed
ifeq ($(SAN),1)
CFLAGS		+= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
LDFLAGS		+= -fsanitize=address,undefined
OPT		= -O1
endif

LIB_SRCS	:= $(wildcard lib/*.c)
MIGRATIONS	:= $(sort $(wildcard lib/migrations/*.sql))
LIB_OBJS	= $(LIB_SRCS:%.c=$(BUILD)/%.o) $(if $(MIGRATIONS),$(BUILD)/gen/migrations.o) \
		  $(BUILD)/gen/aliases_templates.o $(BUILD)/gen/catalog_en.o
PROGRAMS	:= $(notdir $(wildcard cmd/*))
BINS		= $(PROGRAMS:%=$(BUILD)/bin/%)
TESTUTIL_SRCS	:= $(wildcard test/util/*.c)
TESTUTIL_OBJS	= $(TESTUTIL_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS	:= $(wildcard test/*_test.c)
TEST_BINS	= $(TEST_SRCS:test/%.c=$(BUILD)/test/%)
FUZZ_SRCS	:= $(wildcard test/fuzz/*_fuzz.c)
BENCH_SRCS	:= $(wildcard test/bench/*_bench.c)
BENCH_BINS	= $(BENCH_SRCS:test/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps build tests benches san test check demo bench fuzz fuzz-build install clean
.DEFAULT_GOAL := all

all: build tests

build: $(BINS)

tests: $(TEST_BINS)

deps:
	sh scripts/deps.sh

# The sanitizer build lives beside the normal one; every object is rebuilt.
san:
	$(MAKE) BUILD=build/san SAN=1 all

test: deps
	$(MAKE) all
	$(MAKE) san
	$(MAKE) fuzz-build
	sh test/run.sh

# The suite without the install step, on whatever is built.
check: all
	sh test/run.sh build

demo: deps
	$(MAKE) build
	sh scripts/demo.sh

bench: deps
	$(MAKE) build benches
	sh test/bench/run.sh

fuzz: deps
	$(MAKE) fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh test/fuzz/run.sh

# libFuzzer needs clang; the library is compiled again with coverage hooks.
FUZZ_BUILD	= build/fuzz
fuzz-build:
	$(MAKE) CC=clang BUILD=$(FUZZ_BUILD) OPT=-O1 \
	    CFLAGS_EXTRA='-fsanitize=fuzzer-no-link,address,undefined' fuzz-targets

CFLAGS		+= $(CFLAGS_EXTRA)
FUZZ_BINS	= $(FUZZ_SRCS:test/fuzz/%.c=$(BUILD)/%)
fuzz-targets: $(FUZZ_BINS)

$(BUILD)/%_fuzz: $(BUILD)/test/fuzz/%_fuzz.o $(BUILD)/libherald.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/gen/migrations.c: $(MIGRATIONS) scripts/embed-migrations.sh scripts/c-string.awk
	@mkdir -p $(@D)
	sh scripts/embed-migrations.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/aliases_templates.c: aliases/postfix.aliases aliases/exim.aliases \
	    scripts/embed-text.sh scripts/c-string.awk
	@mkdir -p $(@D)
	sh scripts/embed-text.sh aliases_tmpl_postfix aliases/postfix.aliases \
	    aliases_tmpl_exim aliases/exim.aliases > $@.tmp && mv $@.tmp $@

# English, built in: the product speaks with no catalogue installed.
$(BUILD)/gen/catalog_en.c: catalog/en.yaml scripts/embed-text.sh scripts/c-string.awk
	@mkdir -p $(@D)
	sh scripts/embed-text.sh catalog_en_yaml catalog/en.yaml > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libherald.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/bin/%: $$(addsuffix .o,$$(basename $$(addprefix $(BUILD)/,$$(wildcard cmd/$$*/*.c)))) \
	    $(BUILD)/libherald.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

benches: $(BENCH_BINS)

$(BUILD)/bench/%_bench: $(BUILD)/test/bench/%_bench.o $(TESTUTIL_OBJS) $(BUILD)/libherald.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/test/%_test: $(BUILD)/test/%_test.o $(TESTUTIL_OBJS) $(BUILD)/libherald.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

install: build
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(filter-out $(BUILD)/bin/herald,$(BINS)) $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 $(BUILD)/bin/herald $(DESTDIR)$(PREFIX)/sbin
	install -d $(DESTDIR)$(SCENARIODIR)
	for f in scenarios/*; do if [ -f "$$f" ]; then \
	    install -m 0644 "$$f" $(DESTDIR)$(SCENARIODIR) || exit 1; fi; done
	install -d $(DESTDIR)$(CATALOGDIR)
	install -m 0644 catalog/*.yaml $(DESTDIR)$(CATALOGDIR)
	install -d $(DESTDIR)$(SYSCONFDIR)
	# An empty file means every default; an existing one is never replaced.
	test -e $(DESTDIR)$(SYSCONFDIR)/herald.yaml || \
	    printf '# herald.yaml(5): see herald config -d -x\n' > $(DESTDIR)$(SYSCONFDIR)/herald.yaml

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
