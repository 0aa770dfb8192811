/*  verify_fuzz.c: the verifier on a hostile frame.

    The frame is opened against the fixed registry (fuzz.h: one known key under four kids) as
    a command for intake at XC_FUZZ_NOW and as a stored event. The seeds are messages signed
    with that key, so the fuzzer starts past the signature and changes from there; an accepted
    message is checked member by member and its signature verified again (fuzz.c).
*/
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const xc_registry_t *registry = xc_fuzz_registry (false);
    for (int stored = 0; stored < 2; stored++) {
        xc_verify_t verify = xc_fuzz_verify (registry, stored);
        xc_fuzz_open ((const char *) data, size, &verify);
    }
    return 0;
}
