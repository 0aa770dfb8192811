# xuncha: top-level build. `make run` and `make test` are the two commands of the README.
#
#   make            build everything into build/ (binaries in build/bin/)
#   make test       unit, system and Python client tests; ends with "N passed, N failed"
#   make test SANITIZER=address,undefined
#   make memcheck   unit tests under valgrind (--error-exitcode=1)
#   make bench      benchmarks: BENCH lines, also written to bench/results.md
#   make run        start the suite with the local config (config/local.json)
#   make deps       check (and, as root with apt, install) the packages the build needs
#   make binaries   only the services and xcctl (what the container image builds)
#   make container-test   the image, the compose file and several hosts (docs/deploy.md); root
#   make fresh-test       the README's two commands on a fresh Debian 12 with only git and make
#                         (a container; docs/deploy.md); root
#   make crash-test SIGKILLs under load through all four services, then checks every invariant
#   make fuzz FUZZ_SECONDS=N   each libFuzzer target for N seconds (clang; tools/fuzz.sh)
#   make openapi    write docs/openapi.yaml from the services' route tables (tools/openapi.py)
#   make screens    the console's browser tests, keeping the screenshots they draw in docs/screens

SANITIZER ?=
CC        ?= cc
PKGS      := libzmq jansson sqlite3 libsodium libcurl libcrypto zlib
# The services' allocator (docs/architecture.md, performance): linked into the services only,
# and not into sanitizer builds, whose runtime must own malloc (nor into the tests valgrind runs).
MALLOC_PKG := jemalloc
# The HTTP gateway's server library: linked into xc-gateway only (services/gateway).
GATEWAY_PKG := libmicrohttpd gnutls
# QR codes (common/qr.c): linked into xc-gateway, xcctl and qr's unit test only.
QR_PKG := libqrencode libpng
# Debian's packages: what the build needs (the image's build stage installs the same and make,
# docker/Dockerfile), then what the tests need. A fresh Debian 12 has neither a compiler nor
# libc's headers; git and make are the README's starting point.
DEB_BUILD_PKGS := gcc libc6-dev pkg-config libzmq3-dev libjansson-dev libsqlite3-dev libsodium-dev libcurl4-openssl-dev \
                  libssl-dev libjemalloc-dev libmicrohttpd-dev libgnutls28-dev \
                  libqrencode-dev libpng-dev zlib1g-dev
DEB_TEST_PKGS  := python3-zmq python3-nacl python3-pytest python3-aiosmtpd python3-requests valgrind sqlite3 nodejs \
                  curl openssl chromium chromium-driver python3-selenium fonts-noto-cjk poppler-utils zbar-tools python3-pytest-xdist
DEB_PKGS  := $(DEB_BUILD_PKGS) $(DEB_TEST_PKGS)
CONTAINER_DEB_PKGS := podman runc slirp4netns debootstrap docker-compose nftables iproute2 git
CONTAINER_TOOLS    := podman runc slirp4netns debootstrap docker-compose nft ip git
PY        := /usr/bin/python3
PY_MODS   := zmq nacl pytest aiosmtpd requests selenium

CFLAGS_BASE := -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
               -Wformat=2 -Wno-format-nonliteral -g -O2 -pthread -I.
ifneq ($(SANITIZER),)
CFLAGS_BASE += -fsanitize=$(SANITIZER) -fno-omit-frame-pointer -fno-sanitize-recover=all -O1 -DXC_SANITIZER
LDFLAGS     += -fsanitize=$(SANITIZER)
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = $(CFLAGS_BASE) $(PKG_CFLAGS) $(CFLAGS)
LIBS       = $(PKG_LIBS) -lm -pthread
MALLOC_LIBS = $(if $(SANITIZER),,$(shell pkg-config --libs $(MALLOC_PKG) 2>/dev/null))

B := build
COMMON_SRC  := $(filter-out %_test.c,$(wildcard common/*.c))
COMMON_OBJ  := $(COMMON_SRC:%.c=$(B)/obj/%.o)
SERVICES    := $(notdir $(wildcard services/*))
UNIT_SRC    := $(wildcard common/*_test.c services/*/*_test.c)
UNIT_BINS   := $(patsubst %.c,$(B)/test/%,$(subst /,_,$(UNIT_SRC)))
SYSTEM_SRC  := $(wildcard tests/system/*_test.c)
FIXTURE_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(filter-out %_test.c,$(wildcard tests/system/*.c)))
SYSTEM_BINS := $(patsubst tests/system/%.c,$(B)/test/system_%,$(SYSTEM_SRC))
SERVICE_BINS := $(SERVICES:%=$(B)/bin/xc-%)
BENCH_BINS  := $(patsubst tests/bench/%.c,$(B)/test/bench_%,$(wildcard tests/bench/*.c))
CLI_BINS    := $(if $(wildcard cli/*.c),$(B)/bin/xcctl)
# the search tokenizer as a SQLite loadable extension (common/search.h) for Python and sqlite3
SEARCH_EXT  := $(B)/lib/xc_search.so

.PHONY: all binaries deps test memcheck bench screens run container-tools container-test fresh-test crash-test fuzz openapi clean FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: deps $(SERVICE_BINS) $(CLI_BINS) $(UNIT_BINS) $(SYSTEM_BINS) $(SEARCH_EXT)

# The image's build stage needs the libraries, not the test tools (inherited by deps).
binaries: BUILD_ONLY := 1
binaries: deps $(SERVICE_BINS) $(CLI_BINS)

# Checks the C compiler ($(CC), which must also find libc's headers), pkg-config's libraries and
# the Python modules the tests use; installs Debian's packages when it runs as root with apt,
# otherwise prints the command and stops.
CC_CHECK = printf '\043include <stdio.h>\nint main (void) { return puts ("") < 0; }\n' | $(CC) -x c -o /dev/null - 2>/dev/null
deps:
	@missing=""; \
	if ! command -v $(firstword $(CC)) >/dev/null; then missing="$$missing $(firstword $(CC))"; \
	elif ! $(CC_CHECK); then missing="$$missing libc6-dev"; fi; \
	for p in $(PKGS) $(MALLOC_PKG) $(GATEWAY_PKG) $(QR_PKG); do pkg-config --exists $$p 2>/dev/null || missing="$$missing $$p"; done; \
	if [ -z "$(BUILD_ONLY)" ]; then \
	  for m in $(PY_MODS); do $(PY) -c "import $$m" 2>/dev/null || missing="$$missing python3-$$m"; done; \
	  command -v valgrind >/dev/null || missing="$$missing valgrind"; \
	  command -v sqlite3 >/dev/null || missing="$$missing sqlite3"; \
	  command -v node >/dev/null || missing="$$missing nodejs"; \
	  command -v curl >/dev/null || missing="$$missing curl"; \
	  command -v openssl >/dev/null || missing="$$missing openssl"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v chromedriver >/dev/null || missing="$$missing chromium-driver"; \
	  fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-noto-cjk"; \
	  command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	  command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	  $(PY) -c "import xdist" 2>/dev/null || missing="$$missing python3-pytest-xdist"; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "deps: installing $(DEB_PKGS)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS) >/dev/null || exit 1; \
	    $(CC_CHECK) || { echo "deps: the C compiler '$(CC)' cannot build a program (Debian's gcc gives cc)"; exit 1; }; \
	  else \
	    echo "deps: run as root: apt-get install -y $(DEB_PKGS)"; exit 1; \
	  fi; \
	fi

# Objects depend on the flags in use, so switching SANITIZER rebuilds everything.
$(B)/flags: FORCE
	@mkdir -p $(B); echo '$(ALL_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(ALL_CFLAGS) $(LDFLAGS)' > $@

# The services are relinked when what they link changes (the allocator above all).
$(B)/ldflags: FORCE
	@mkdir -p $(B); echo '$(MALLOC_LIBS) $(LIBS) $(LDFLAGS)' | cmp -s - $@ || echo '$(MALLOC_LIBS) $(LIBS) $(LDFLAGS)' > $@

$(B)/obj/%.o: %.c $(B)/flags | deps
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/libxc.a: $(COMMON_OBJ)
	@rm -f $@; ar rcs $@ $^

# (its header is in /usr/include: no cflags, so that every object keeps the same flags)
QR_LIBS = $(shell pkg-config --libs $(QR_PKG) 2>/dev/null)
gateway_LIBS = $(shell pkg-config --libs $(GATEWAY_PKG) 2>/dev/null) $(QR_LIBS)
$(B)/test/common_qr_test: LIBS += $(QR_LIBS)

# A service is services/<name>/*.c; its unit tests link everything but main.c.
define service_rules
$(1)_OBJ := $$(patsubst %.c,$(B)/obj/%.o,$$(filter-out %_test.c,$$(wildcard services/$(1)/*.c)))
$(B)/bin/xc-$(1): $$($(1)_OBJ) $(B)/libxc.a $(B)/ldflags
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$(filter %.o %.a,$$^) $$(MALLOC_LIBS) $$($(1)_LIBS) $$(LIBS) -o $$@
$(B)/test/services_$(1)_%_test: $(B)/obj/services/$(1)/%_test.o $$(filter-out %/main.o,$$($(1)_OBJ)) $(B)/libxc.a
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) $$^ $$($(1)_LIBS) $$(LIBS) -o $$@
endef
$(foreach s,$(SERVICES),$(eval $(call service_rules,$(s))))

$(B)/test/common_%_test: $(B)/obj/common/%_test.o $(B)/libxc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(B)/test/system_%: $(B)/obj/tests/system/%.o $(FIXTURE_OBJ) $(B)/libxc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

# xcctl import round reads categories and outcome kinds by the services' own policy modules,
# xcctl rules the rules in effect by rectify's, referral's and notify's
$(B)/bin/xcctl: $(patsubst %.c,$(B)/obj/%.o,$(wildcard cli/*.c)) $(B)/obj/services/intake/policy.o \
                $(B)/obj/services/referral/policy.o $(B)/obj/services/rectify/policy.o \
                $(B)/obj/services/notify/policy.o $(B)/libxc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LIBS) $(QR_LIBS) -o $@

# position-independent, apart from libxc's objects: only the tokenizer, no other symbol; never
# sanitized, since it is loaded into processes that are not (python, sqlite3): an ASan library
# there stops the process ("ASan runtime does not come first")
EXT_CFLAGS = $(filter-out -fsanitize=% -fno-sanitize-recover=% -DXC_SANITIZER,$(ALL_CFLAGS))
$(SEARCH_EXT): common/sqlite_ext/xc_search.c common/search_tok.c common/search.h common/search_utf8.h \
               common/search_api.h $(B)/flags | deps
	@mkdir -p $(dir $@)
	$(CC) $(EXT_CFLAGS) -fPIC -shared common/sqlite_ext/xc_search.c common/search_tok.c -o $@

$(B)/test/bench_%: $(B)/obj/tests/bench/%.o $(FIXTURE_OBJ) $(B)/libxc.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

# The OpenAPI validator tests/python/test_openapi.py runs (node): the vendored npm tarballs,
# checked against their sha256 and unpacked with tar, no network (tools/vendor/openapi-validator).
OPENAPI_VALIDATOR := $(B)/vendor/openapi-validator
$(OPENAPI_VALIDATOR)/.stamp: tools/vendor/openapi-validator/SHA256SUMS tools/vendor/openapi-validator/install.sh
	@tools/vendor/openapi-validator/install.sh $(OPENAPI_VALIDATOR)

# jose for the gateway's Node client (tests/node, tests/python/test_gateway_node.py), the same way
# (tools/vendor/jose).
JOSE_MODULES := $(B)/vendor/jose
$(JOSE_MODULES)/.stamp: tools/vendor/jose/SHA256SUMS tools/vendor/openapi-validator/install.sh
	@tools/vendor/jose/install.sh $(JOSE_MODULES)

test: all $(BENCH_BINS) $(OPENAPI_VALIDATOR)/.stamp $(JOSE_MODULES)/.stamp
	@PY=$(PY) tests/run.sh $(UNIT_BINS) $(SYSTEM_BINS) --pytest tests/python

# tests/python/test_openapi.py fails when the file is not what this writes now
openapi:
	@$(PY) tools/openapi.py

# the README's pictures are what the browser tests drew (tests/python/browserlib.py, XC_SCREENS)
screens: all
	@XC_SCREENS=$(CURDIR)/docs/screens $(PY) -m pytest -q -p no:cacheprovider tests/python/test_console_*.py

memcheck: all
	@PY=$(PY) tests/run.sh --valgrind $(UNIT_BINS)

bench: all $(BENCH_BINS)
	@tools/bench.sh $(BENCH_BINS)

run: all
	@tools/run-local.sh

# XC_CRASH_KILLS (20), XC_CRASH_BATCH (40 problems a round), XC_CRASH_SEED (the time) vary it.
crash-test: all
	@$(PY) -m pytest -q -s -p no:cacheprovider tests/crash

FUZZ_SECONDS ?= 10
FUZZ_DEB_PKGS := clang-14 libclang-rt-14-dev
fuzz: deps
	@if ! command -v clang-14 >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "fuzz: installing $(FUZZ_DEB_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FUZZ_DEB_PKGS) >/dev/null || exit 1; \
	fi
	@tools/fuzz.sh $(FUZZ_SECONDS)

# Needs root: rootful podman, network namespaces, nft (tests/container/podman.sh says so and
# fails otherwise). Installs the container tools as root with apt, like deps.
container-tools:
	@missing=""; \
	for c in $(CONTAINER_TOOLS); do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "container-tools: installing $(CONTAINER_DEB_PKGS)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CONTAINER_DEB_PKGS) >/dev/null || exit 1; \
	fi

container-test: deps container-tools
	@PY=$(PY) tests/container/run.sh

# Builds nothing here: the fresh machine (a container) installs and builds for itself.
fresh-test: container-tools
	@tests/container/fresh.sh

clean:
	rm -rf $(B)

FORCE:

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
