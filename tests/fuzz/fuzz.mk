# fuzz.mk: builds the libFuzzer targets into build/fuzz/ (tools/fuzz.sh runs this file).
#
#   make -f tests/fuzz/fuzz.mk FUZZ_CC=clang-14 [targets]
#
# Every object, the common library's and the services' too, is compiled with libFuzzer's
# coverage and ASan + UBSan (an error stops the run); main.c of a service is never built, its
# routes come from routes.c. Each target is tests/fuzz/<target>_fuzz.c + tests/fuzz/fuzz.c.
# F (the folder) and FUZZ_SAN may be overridden, e.g. for a line-coverage build of the same
# targets: F=/tmp/cov FUZZ_SAN='-fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping'
# then llvm-profdata-14 and llvm-cov-14 over a run of each target on its corpus (-runs=0).

FUZZ_CC   ?= clang-14
PKGS      := libzmq jansson sqlite3 libsodium libcurl libcrypto zlib
FUZZ_SAN  ?= -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -Wall -Wextra -Wshadow \
               -Wstrict-prototypes -Wno-format-nonliteral -g -O1 -fno-omit-frame-pointer -I. \
               $(FUZZ_SAN) $(shell pkg-config --cflags $(PKGS))
FUZZ_LIBS := $(shell pkg-config --libs $(PKGS)) -lm

F ?= build/fuzz
SERVICES := intake referral rectify notify
COMMON_SRC := $(filter-out %_test.c,$(wildcard common/*.c))
TARGETS := envelope verify verify_signed config json $(SERVICES:%=decode_%) gateway filetype search_match

.PHONY: all FORCE
.DELETE_ON_ERROR:
.SECONDARY:

all: $(TARGETS:%=$(F)/%)

# objects depend on the compiler and flags in use
$(F)/flags: FORCE
	@mkdir -p $(F); echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' | cmp -s - $@ || echo '$(FUZZ_CC) $(FUZZ_CFLAGS)' > $@

$(F)/obj/%.o: %.c $(F)/flags
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(F)/libxc.a: $(COMMON_SRC:%.c=$(F)/obj/%.o)
	@rm -f $@; ar rcs $@ $^

define service_lib
$(F)/lib$(1).a: $$(patsubst %.c,$(F)/obj/%.o,$$(filter-out %/main.c %_test.c,$$(wildcard services/$(1)/*.c)))
	@rm -f $$@; ar rcs $$@ $$^
$(F)/decode_$(1): $(F)/obj/tests/fuzz/decode_$(1)_fuzz.o $(F)/obj/tests/fuzz/fuzz.o $(F)/lib$(1).a $(F)/libxc.a
	$(FUZZ_CC) $(FUZZ_SAN) $$^ $(FUZZ_LIBS) -o $$@
endef
$(foreach s,$(SERVICES),$(eval $(call service_lib,$(s))))

$(F)/envelope $(F)/verify $(F)/verify_signed $(F)/json $(F)/filetype $(F)/search_match: $(F)/%: $(F)/obj/tests/fuzz/%_fuzz.o $(F)/obj/tests/fuzz/fuzz.o $(F)/libxc.a
	$(FUZZ_CC) $(FUZZ_SAN) $^ $(FUZZ_LIBS) -o $@

# the gateway's decisions and status table: no I/O, so neither libmicrohttpd nor gnutls
GATEWAY_SRC := services/gateway/request.c services/gateway/status.c services/gateway/public.c
$(F)/gateway: $(F)/obj/tests/fuzz/gateway_fuzz.o $(F)/obj/tests/fuzz/fuzz.o $(GATEWAY_SRC:%.c=$(F)/obj/%.o) $(F)/libxc.a
	$(FUZZ_CC) $(FUZZ_SAN) $^ $(FUZZ_LIBS) -o $@

$(F)/config: $(F)/obj/tests/fuzz/config_fuzz.o $(F)/obj/tests/fuzz/fuzz.o $(SERVICES:%=$(F)/lib%.a) $(F)/libxc.a
	$(FUZZ_CC) $(FUZZ_SAN) $^ $(FUZZ_LIBS) -o $@

FORCE:

-include $(shell find $(F)/obj -name '*.d' 2>/dev/null)
