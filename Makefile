# Kasus - build, run, test, bench. See README.md.
#   make run    set up everything and serve the demo canton on :8080
#   make test   set up a separate stack and run every test
#   make test-cluster  the cluster on one machine, failure tests, backup
#   make bench  benchmarks with ratios against their baselines
CC	?= cc
PKGS	= libmicrohttpd hiredis lua5.4 jansson libxml-2.0 openssl libpq libqrencode \
          libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# A module links only what the SDK hands it values of: JSON and results.
MOD_LIBS   := $(shell pkg-config --libs jansson libpq 2>/dev/null)
WARN	= -Wall -Wextra -Werror -std=gnu11 -Wno-unused-parameter -Wno-format-truncation -Wno-missing-field-initializers
# The core sees its own headers (core/, by subsystem folder) and the SDK;
# a module sees only the SDK (core/include/kasus/) and its own folder.
BASE	= $(WARN) -D_GNU_SOURCE -Icore -Icore/include -I$(GEN) $(PKG_CFLAGS) -fPIC
MOD_BASE = $(WARN) -D_GNU_SOURCE -Icore/include $(PKG_CFLAGS) -fPIC
# Lua from its static archive (liblua5.4-dev): the shared library calls
# its own functions through the PLT (semantic interposition), and rule
# evaluation ran a tenth slower with it (tests/bench/rules_eval).
LIBS	= $(subst -llua5.4,-l:liblua5.4.a,$(PKG_LIBS)) -lpthread -ldl -lm

# Two variants: release (run, bench) and asan (every test).
VARIANT	?= release
ifeq ($(VARIANT),asan)
CFLAGS_V = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined -DKS_TEST_HOOKS
LDFLAGS_V = -fsanitize=address,undefined
else
CFLAGS_V = -O2 -g
LDFLAGS_V =
endif
B	= build/$(VARIANT)
GEN	= $(B)/gen

CORE_SRC = $(filter-out core/server/main.c,$(shell find core -name '*.c' | sort))
CORE_HDR = $(shell find core -name '*.h')
CORE_OBJ = $(patsubst core/%.c,$(B)/core/%.o,$(CORE_SRC)) $(B)/gen/queries.o
UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))

.PHONY: all build run test check check-stop test-cluster web-deps bench clean deps unit modules web

# Domain modules and the loader's test fixtures: one shared object each,
# linked against libraries only, never against the core.
MOD_NAMES = $(notdir $(patsubst %/,%,$(wildcard modules/*/ tests/fixtures/modules/*/)))
MOD_SO	= $(patsubst %,$(B)/modules/%.so,$(MOD_NAMES))

all: build
build: deps-check $(B)/kasusd modules web

# The web application (TypeScript, Vite) from npm packages pinned in
# web/package-lock.json; kasusd serves web/dist.
WEB_SRC = $(shell find web/src web/scripts web/index.html web/package.json web/package-lock.json web/vite.config.* web/tsconfig.json -type f 2>/dev/null)
ifneq ($(wildcard web/package.json),)
web: web/dist/index.html
web/dist/index.html: $(WEB_SRC) web/openapi.json web/node_modules/.package-lock.json
	@echo "  WEB     web/dist"
	@cd web && npm run --silent build
# The npm packages (the web build, and tools the tests call such as
# Redocly's linter), installed again whenever the lock file changes.
web-deps: web/node_modules/.package-lock.json
web/node_modules/.package-lock.json: web/package-lock.json
	@echo "  NPM     web/node_modules"
	@cd web && npm ci --no-audit --no-fund --loglevel=error
# The API document the web app's types are generated from (npm run
# gen:api): what this build's kasusd and modules serve, so they cannot
# drift. Rewritten only when it changed.
web/openapi.json: $(B)/kasusd $(MOD_SO)
	@echo "  OPENAPI $@"
	@KASUS_MODULE_DIR=$(B)/modules ASAN_OPTIONS=detect_leaks=0 \
	    $(B)/kasusd -c conf/kasus.conf openapi >$@.tmp 2>/dev/null
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
else
web web-deps:
endif
modules: $(MOD_SO)

.SECONDEXPANSION:
$(B)/modules/%.so: $$(wildcard modules/$$*/*.c modules/$$*/*.h tests/fixtures/modules/$$*/*.c) $$(wildcard modules/$$*/queries/*.sql) $(wildcard core/include/kasus/*.h) ops/gen-queries.sh Makefile
	@mkdir -p $(dir $@) $(GEN)/$*
	@echo "  MODULE  $@"
	@q="$(sort $(wildcard modules/$*/queries/*.sql))"; \
	if [ -n "$$q" ]; then sh ops/gen-queries.sh $* $(GEN)/$*/queries.c $(GEN)/$*/queries.h $$q; \
	q=$(GEN)/$*/queries.c; fi; \
	$(CC) -I$(GEN)/$* -Imodules/$* $(MOD_BASE) $(CFLAGS_V) -shared -o $@ $(filter %.c,$^) $$q $(MOD_LIBS)

deps-check:
	@sh ops/bootstrap.sh

$(GEN)/queries.c $(GEN)/queries.h: $(sort $(wildcard core/sql/queries/*.sql)) ops/gen-queries.sh
	@mkdir -p $(GEN)
	@sh ops/gen-queries.sh ks $(GEN)/queries.c $(GEN)/queries.h $(sort $(wildcard core/sql/queries/*.sql))

$(B)/gen/queries.o: $(GEN)/queries.c
	@$(CC) $(BASE) $(CFLAGS_V) -c -o $@ $<

$(B)/core/%.o: core/%.c $(CORE_HDR) $(GEN)/queries.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(BASE) $(CFLAGS_V) -c -o $@ $<

$(B)/libkasus.a: $(CORE_OBJ)
	@ar rcs $@ $^

$(B)/kasusd: $(B)/core/server/main.o $(B)/libkasus.a
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS_V) -rdynamic -o $@ $^ $(LIBS)

$(B)/unit/%: tests/unit/%.c tests/unit/ks_test.h $(B)/libkasus.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(BASE) $(CFLAGS_V) -Itests/unit $(LDFLAGS_V) -o $@ $< $(B)/libkasus.a $(LIBS)

unit: $(UNIT_BIN)

$(B)/bench/%: tests/bench/%.c $(B)/libkasus.a
	@mkdir -p $(dir $@)
	@$(CC) $(BASE) $(CFLAGS_V) $(LDFLAGS_V) -o $@ $< $(B)/libkasus.a $(LIBS)

run:
	@bash ops/run.sh

test:
	@bash tests/run.sh

# The inner loop: the test build, unit and rule-pack tests and the API
# tests against the real server, without the web build and the browser
# tests. PostgreSQL and Redis of the test profile stay up between runs
# (each run gets a new database); `make check-stop` stops them.
# ONLY="tests/api/x.test.mjs ..." runs only those.
check:
	@KASUS_TEST_KEEP=1 KASUS_TEST_NO_WEB=1 KASUS_TEST_ONLY="$(ONLY)" bash tests/run.sh

check-stop:
	@bash ops/services.sh test stop

# Several nodes, failover, backup and restore (ops/cluster.sh); CI runs
# it after make test.
test-cluster:
	@bash tests/cluster/run.sh

bench:
	@bash tests/bench/run.sh

clean:
	rm -rf build
