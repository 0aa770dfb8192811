/*  envelope_fuzz.c: the envelope parser on a hostile frame, without verifying.

    The frame is opened against a registry with no principal, so xc_envelope_open runs every
    check up to the kid (size, outer JSON, base64url, header and body JSON, duplicate keys,
    header and body members) and stops there: nothing it is given can be accepted, and the
    refusal's code must be one of those checks'. Opened both as a command and as a stored
    event (where exp may be absent), and once more with a limit one byte below its size.
*/
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const xc_registry_t *registry = xc_fuzz_registry (true);
    for (int stored = 0; stored < 2; stored++) {
        xc_verify_t verify = xc_fuzz_verify (registry, stored);
        xc_code_t code = xc_fuzz_open ((const char *) data, size, &verify);
        XC_FUZZ_ASSERT (code == XC_E_MALFORMED || code == XC_E_DUPLICATE_KEY
                        || code == XC_E_BAD_ALG || code == XC_E_BAD_TYP
                        || code == XC_E_UNKNOWN_KID);
    }
    /* one byte over the limit: too_large before anything is read */
    if (size > 0) {
        xc_verify_t verify = xc_fuzz_verify (registry, false);
        verify.max_size = size - 1;
        XC_FUZZ_ASSERT (xc_fuzz_open ((const char *) data, size, &verify) == XC_E_TOO_LARGE);
    }
    return 0;
}
