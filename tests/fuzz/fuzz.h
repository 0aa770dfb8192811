/*  fuzz.h: what the libFuzzer targets of tests/fuzz share (tools/fuzz.sh builds and runs them).

    Every target is one file, tests/fuzz/<target>_fuzz.c, defining LLVMFuzzerTestOneInput; this
    part gives them a fixed world to run in, so that a seed signed once stays valid forever:

      - one Ed25519 key, derived from XC_FUZZ_SEED (tests/fuzz/make_seeds.py signs the seeds
        with the same key);
      - a small registry (xc_fuzz_registry) where that one key is registered under four kids:
        "office#fuzz" of the principal "office" (role office), valid from 2020 to 2100;
        "office#old" of "office", which expired in 2021; "office#next", valid only from 2099;
        and "gone#1" of the revoked principal "gone". A message signed with the key and naming
        any of them verifies, so the checks behind the signature are all reachable;
      - a fixed clock, XC_FUZZ_NOW, for the verifier's now.

    The seeds are tests/fuzz/corpus/<target>/, written by tests/fuzz/make_seeds.py (run it
    again after changing a route table or this world). A kept crash replays with
    build/fuzz/<target> <file>.

    A target finds a bug by crashing: ASan, UBSan and LeakSanitizer, or XC_FUZZ_ASSERT when a
    result breaks what the headers promise (an accepted message that was not signed, a refusal
    with a code from a later check, data that passed a schema with a member it does not know).
*/
#ifndef XC_FUZZ_H
#define XC_FUZZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/envelope.h"
#include "common/keys.h"
#include "common/service.h"

#define XC_FUZZ_NOW 1780000000                   /* 2026-05-28T20:26:40Z */
#define XC_FUZZ_SEED "xuncha fuzz key: never deployed!"  /* 32 bytes: the Ed25519 seed */
#define XC_FUZZ_KID "office#fuzz"
#define XC_FUZZ_ISS "office"
#define XC_FUZZ_AUDIENCE "intake"
#define XC_FUZZ_SKEW 300
#define XC_FUZZ_LIFETIME 3600
#define XC_FUZZ_MAX_SIZE 262144

/*  Stops the run with the place and what broke: libFuzzer saves the input as a crash. */
#define XC_FUZZ_ASSERT(cond)                                                               \
    do {                                                                                   \
        if (!(cond))                                                                       \
            xc_fuzz_fail (__FILE__, __LINE__, #cond);                                      \
    } while (0)

void xc_fuzz_fail (const char *file, int line, const char *what) __attribute__ ((noreturn));

/*  The fixed key (with its secret part). Aborts when libsodium cannot start. */
const xc_key_t *xc_fuzz_key (void);

/*  The registry above, or with no principal at all when empty is set (every kid unknown).
    Loaded once per process from a file in xc_fuzz_dir, which is then removed. */
const xc_registry_t *xc_fuzz_registry (bool empty);

/*  A private folder for the process's files (removed at exit with what it holds). */
const char *xc_fuzz_dir (void);

/*  Writes size bytes to path (created or truncated); aborts when it cannot. */
void xc_fuzz_write (const char *path, const uint8_t *data, size_t size);

/*  The verifier's settings: audience intake, XC_FUZZ_NOW, skew, lifetime and size as in
    config.h's defaults; stored as given. */
xc_verify_t xc_fuzz_verify (const xc_registry_t *registry, bool stored);

/*  Opens len bytes with verify and checks the outcome against envelope.h and protocol.md. On
    success, apart from envelope.c: the frame's three members in canonical base64url, the
    header exactly alg (EdDSA or Ed25519), kid and typ (xc+jws), the signature verified again
    with the registry's key, the body exactly its members and equal to the message's, every
    string and key valid UTF-8 without NUL, the key valid and its principal not revoked, and
    unless stored the audience, lifetime, expiry and skew; the digest stable. On failure: a
    code of the envelope's checks, too_large exactly when len is above the limit, none of the
    checks a stored event skips. Returns the code. */
xc_code_t xc_fuzz_open (const char *bytes, size_t len, const xc_verify_t *verify);

/*  The command decoder of a service: data[0] chooses one of the n routes, the rest is the
    command's data as the envelope would hand it over (parsed with duplicate keys refused, an
    object), checked against the route's schema as common/service_batch.c does. On success, checks
    independently that data has every required member and no unknown one. */
void xc_fuzz_decode (const xc_route_t *routes, size_t n, const uint8_t *data, size_t size);

#endif
