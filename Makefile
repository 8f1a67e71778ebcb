# tigress-ref: one Makefile for the whole tree (non-recursive).
# Targets: deps all test asan conformance interop bench clean.  See README.md.

PY	 = /usr/bin/python3
CC	?= cc
PKGS	 = openssl libevent libevent_openssl libevent_pthreads jansson \
	   libcurl sqlite3 hiredis
WARN	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CFLAGS	?= -O2 -g
# -iquote, not -I: lib/limits.h must not shadow <limits.h> for system
# headers (<openssl/err.h> needs INT_MAX).
ALL_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) -iquote lib \
	     -isystem $(LLHTTP_INC)
B	 = build
STAMP	 = $(B)/deps.stamp

# Package flags are looked up lazily, after `deps` has installed them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CUNIT_LIBS = -lcunit

LIB_SRCS = lib/tgerr.c lib/text.c lib/uuid.c lib/b64.c lib/rfc3339.c lib/payload.c \
	   lib/shareurl.c lib/msg.c lib/preview.c
LIB_TESTS = lib/test_main.c lib/testutil.c lib/test_tgerr.c lib/test_text.c \
	   lib/test_uuid.c \
	   lib/test_b64.c lib/test_rfc3339.c lib/test_shareurl.c \
	   lib/test_payload.c lib/test_msg.c lib/test_preview.c \
	   lib/test_wycheproof.c

RELAY_SRCS = ref-relay/main.c ref-relay/config.c ref-relay/tls.c \
	   ref-relay/server.c ref-relay/datadir.c ref-relay/worker.c \
	   ref-relay/http1.c ref-relay/longpoll.c ref-relay/storeq.c \
	   ref-relay/route.c ref-relay/mbox.c \
	   ref-relay/store.c ref-relay/store_sqlite.c ref-relay/walbuf.c ref-relay/store_redis.c \
	   ref-relay/notify.c ref-relay/accesslog.c

# llhttp (Node's HTTP/1.1 parser) is compiled from the C sources Debian's
# node-llhttp ships; its files are not ours, so not under our warnings.
LLHTTP_DIR = /usr/share/llhttp
LLHTTP_INC = /usr/share/include/llhttp
LLHTTP_SRCS = llhttp.c api.c http.c
llhttp_objs = $(patsubst %.c,$(B)/$(1)/llhttp/%.o,$(LLHTTP_SRCS))
# llhttp's strict mode: a CR must be followed by LF at the end of the head
# and in chunked framing (its default mode skips the byte after such a CR:
# request smuggling, RFC 9112 §2.2), and a target has only URI characters.
# The objects depend on this Makefile so that a change of mode rebuilds them.
LLHTTP_FLAGS = -DLLHTTP_STRICT_MODE=1 -w -I$(LLHTTP_INC)

$(B)/opt/llhttp/%.o: $(LLHTTP_DIR)/%.c Makefile | $(STAMP)
	@test -f $(LLHTTP_INC)/llhttp.h || { echo "llhttp.h missing from" \
		"$(LLHTTP_INC): make deps (Debian package node-llhttp)"; exit 1; }
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -g $(LLHTTP_FLAGS) -c $< -o $@
$(B)/asan/llhttp/%.o: $(LLHTTP_DIR)/%.c Makefile | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(ASAN_FLAGS) $(LLHTTP_FLAGS) -c $< -o $@

# Drafts for the catalog's hash checks (those tests skip without them).
REFERENCE ?= $(abspath ../shared/reference)
# Wycheproof's AES-GCM vectors, vendored under their Apache-2.0 licence.
WYCHEPROOF = vectors/wycheproof/aes_gcm_test.json

.PHONY: all deps test test-c test-py test-relay-units asan conformance interop bench fuzz clean vectors

all: $(STAMP) $(B)/libtigress.a ref-relay/tigress-relay

deps:
	@./tools/deps.sh
	@mkdir -p $(B) && touch $(STAMP)

$(STAMP): tools/deps.sh
	@./tools/deps.sh
	@mkdir -p $(B) && touch $@

# ---- objects: build/<mode>/<path>.o ---------------------------------------
$(B)/opt/%.o: %.c | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=all
$(B)/asan/%.o: %.c | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B) -name '*.d' 2>/dev/null)

objs = $(patsubst %.c,$(B)/$(1)/%.o,$(2))

$(B)/libtigress.a: $(call objs,opt,$(LIB_SRCS))
	$(AR) rcs $@ $^

$(B)/test_lib: $(call objs,opt,$(LIB_TESTS)) $(B)/libtigress.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/asan/test_lib: $(call objs,asan,$(LIB_TESTS) $(LIB_SRCS))
	$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

# ---- relay unit tests: one CUnit program per module -------------------------
TEST_TLS_SRCS	 = ref-relay/test_tls.c ref-relay/tls.c
TEST_CONFIG_SRCS = ref-relay/test_config.c ref-relay/config.c
TEST_HTTP1_SRCS	 = ref-relay/test_http1.c ref-relay/http1.c lib/tgerr.c

$(B)/test_tls: $(call objs,opt,$(TEST_TLS_SRCS))
	$(CC) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/test_config: $(call objs,opt,$(TEST_CONFIG_SRCS))
	$(CC) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/asan/test_tls: $(call objs,asan,$(TEST_TLS_SRCS))
	$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/asan/test_config: $(call objs,asan,$(TEST_CONFIG_SRCS))
	$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/test_http1: $(call objs,opt,$(TEST_HTTP1_SRCS)) $(call llhttp_objs,opt)
	$(CC) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/asan/test_http1: $(call objs,asan,$(TEST_HTTP1_SRCS)) \
		$(call llhttp_objs,asan)
	$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

ref-relay/tigress-relay: $(call objs,opt,$(RELAY_SRCS)) \
		$(call llhttp_objs,opt) $(B)/libtigress.a
	$(CC) -o $@ $^ $(PKG_LIBS) -lpthread

# The relay's protocol modules, without the network: unit-tested alone.
RELAY_CORE = ref-relay/route.c ref-relay/mbox.c ref-relay/store.c \
	   ref-relay/store_sqlite.c ref-relay/walbuf.c ref-relay/store_redis.c ref-relay/notify.c \
	   ref-relay/accesslog.c ref-relay/longpoll.c
$(B)/test_mbox: $(call objs,opt,ref-relay/test_mbox.c $(RELAY_CORE)) \
		$(B)/libtigress.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)
$(B)/asan/test_mbox: $(call objs,asan,ref-relay/test_mbox.c $(RELAY_CORE) \
		$(LIB_SRCS))
	$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

# ---- tests ---------------------------------------------------------------
# `make test` runs every suite (add suites to test-suites, not to test)
# and ends with one line "N passed, N failed" over all of them.
.PHONY: test-suites test-build
test:
	@$(PY) tools/test-summary $(MAKE) --no-print-directory -k test-suites

test-suites: test-build test-c test-relay-units test-py

# Everything the suites run is built first, one compiler per core (a make
# without -j would compile one file at a time on a fresh clone); the suites
# then run one after another, so that their outputs do not mix.  Under
# `make -jN` the jobserver already shares the cores.
NPROC	 = $(shell nproc 2>/dev/null || echo 2)
TEST_BINS = $(B)/test_lib $(B)/test_mbox $(B)/test_tls $(B)/test_config \
	   $(B)/test_http1
test-build:
	@$(MAKE) --no-print-directory \
		$(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(NPROC)) \
		all $(TEST_BINS)

test-c: $(B)/test_lib $(B)/test_mbox
	$(B)/test_lib vectors $(WYCHEPROOF)
	$(B)/test_mbox

test-relay-units: $(B)/test_tls $(B)/test_config $(B)/test_http1
	$(B)/test_tls
	$(B)/test_config
	$(B)/test_http1

# Every pytest suite; each starts and stops the servers it needs.  The
# relay's first: its longest files (testssl.sh, valgrind) start early.
PYTEST_DIRS = ref-relay/tests conformance/tests tools

# One pytest session over all of them, spread over the cores by
# pytest-xdist: most tests wait on relays, drivers and browsers, so two
# workers per core keep the cores busy.  A test file stays on one worker
# (--dist loadfile): its module fixtures are made once.  PYTEST_WORKERS=0
# runs everything in this process (for a debugger).
PYTEST_WORKERS ?= $(shell echo $$((2 * $(NPROC))))

# Python may keep compiled modules (__pycache__, ignored by git) even where
# PYTHONDONTWRITEBYTECODE is set: the suites start over a thousand Python
# processes (drivers, the tools, the test relays), each of which would
# otherwise compile the same sources again.
test-py: all $(B)/test_mbox
	env -u PYTHONDONTWRITEBYTECODE TIGRESS_REFERENCE=$(REFERENCE) \
		$(PY) -m pytest -q -p no:cacheprovider \
		-n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_DIRS)

ASAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	   UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

asan: $(B)/asan/test_lib $(B)/asan/test_tls $(B)/asan/test_config \
		$(B)/asan/test_mbox $(B)/asan/test_http1
	$(ASAN_ENV) $(B)/asan/test_mbox
	$(ASAN_ENV) $(B)/asan/test_lib vectors \
		$(WYCHEPROOF)
	$(ASAN_ENV) $(B)/asan/test_tls
	$(ASAN_ENV) $(B)/asan/test_config
	$(ASAN_ENV) $(B)/asan/test_http1

# libFuzzer over every parser of lib/, seeded from the vectors (clang).
FUZZ_TIME ?= 60
$(B)/fuzz/fuzz_lib: lib/fuzz_lib.c $(LIB_SRCS) | $(STAMP)
	@./tools/deps.sh fuzz
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -iquote lib \
		$(PKG_CFLAGS) $^ -o $@ $(PKG_LIBS)
fuzz: $(B)/fuzz/fuzz_lib
	$(PY) tools/fuzz_seed.py $(B)/fuzz/corpus
	$(B)/fuzz/fuzz_lib -max_total_time=$(FUZZ_TIME) -max_len=4096 \
		$(B)/fuzz/corpus

# The load generator of make bench (tools/bench_load.c), on llhttp too.
$(B)/bench_load: $(B)/opt/tools/bench_load.o $(call llhttp_objs,opt) \
		$(B)/libtigress.a
	$(CC) -o $@ $^ $(PKG_LIBS) -lpthread

bench: all $(B)/bench_load
	$(PY) tools/bench.py $(BENCH_FLAGS)

vectors: $(STAMP)
	$(PY) tools/gen_vectors.py

# `make conformance` checks the bundled ref-relay (started and stopped by the
# runner); `make conformance RELAY=https://host:port [CA=ca.pem]
# [DRAFT=sct-04]` checks another relay.  Reports go to build/conformance/.
# `make conformance CLIENT=path/to/driver [DRAFT=sct-04]` checks a client
# through its driver (spec/drivers.md); reports in build/conformance-client/.
conformance: all
ifdef CLIENT
	$(PY) tools/tigress-conformance client $(CLIENT) \
		$(if $(DRAFT),--draft $(DRAFT)) $(if $(CASES),--case $(CASES)) \
		--report $(B)/conformance-client
else
	TIGRESS_VIA_MAKE=1 $(PY) tools/tigress-conformance relay \
		$(if $(RELAY),$(RELAY) $(if $(CA),--ca $(CA)),--start-ref) \
		$(if $(DRAFT),--draft $(DRAFT)) $(if $(CASES),--case $(CASES)) \
		--report $(B)/conformance
endif

# The interop matrix of conformance/interop-default.json (or IMPLS=file):
# reports in build/interop/.
interop: all
	$(PY) tools/interop $(if $(IMPLS),$(IMPLS),conformance/interop-default.json) \
		--report $(B)/interop

clean:
	rm -rf $(B)

# ---- ref-client: the client library and the tigress CLI ------------------
# (additions only: extra prerequisites of all, test, asan and test-py)
CLIENT_SRCS = ref-client/http.c ref-client/client.c ref-client/state.c \
	   ref-client/session.c ref-client/cli.c ref-client/fileio.c
CLIENT_TESTS = ref-client/test_main.c ref-client/test_fake.c \
	   ref-client/test_state.c ref-client/test_client.c \
	   ref-client/test_cli.c ref-client/test_session.c

.PHONY: test-client-units asan-client

all: ref-client/tigress
test-suites: test-client-units
asan: asan-client
PYTEST_DIRS += ref-client/tests
TEST_BINS += $(B)/test_client

ref-client/tigress: $(call objs,opt,ref-client/tigress.c $(CLIENT_SRCS)) \
		$(B)/libtigress.a
	$(CC) -o $@ $^ $(PKG_LIBS)

$(B)/test_client: $(call objs,opt,$(CLIENT_TESTS) $(CLIENT_SRCS)) \
		$(B)/libtigress.a
	$(CC) -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

$(B)/asan/test_client: $(call objs,asan,$(CLIENT_TESTS) $(CLIENT_SRCS) \
		$(LIB_SRCS))
	$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS) $(CUNIT_LIBS)

test-client-units: $(B)/test_client
	$(B)/test_client

asan-client: $(B)/asan/test_client
	$(ASAN_ENV) $(B)/asan/test_client

# ---- make demo: the car-key deployment example (tools/demo/README.md) -----
.PHONY: demo
demo: all
	$(PY) tools/demo/carkey.py
