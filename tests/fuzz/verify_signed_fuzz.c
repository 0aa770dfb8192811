/*  verify_signed_fuzz.c: the verifier behind the signature (structure-aware).

    A changed byte breaks a signature, so a fuzzed frame seldom gets past check 12. Here the
    fuzzer writes what is signed instead, and the target signs it with the fixed key:

      data[0]   flags: bit 0 opens the message as a stored event (else as a command for
                intake at XC_FUZZ_NOW); bit 1 takes the protected header from the input;
                bit 2 takes iat and exp from the input's last 6 bytes (below); bit 3 opens
                with defer_range (a number out of range in data is named, not refused)
      then      with bit 1: the header's JSON, up to the first NUL byte; then the payload's
                JSON (the body); without it: the payload only, under the header
                {"alg":"EdDSA","kid":"office#fuzz","typ":"xc+jws"}
      last 6    with bit 2: when the payload is a JSON object, its iat and exp are set from
                them: iat = a base chosen by the first byte (INT64_MIN, INT64_MIN / 2,
                -XC_FUZZ_NOW, 0, XC_FUZZ_NOW, INT64_MAX / 2, INT64_MAX - 3600, INT64_MAX) plus
                the next 4 bytes (a signed 32-bit offset, little-endian), exp = iat plus the
                last byte (signed). So the fuzzer reaches extreme times that still pass the
                lifetime check, which random bytes seldom do: an exp near INT64_MIN once
                overflowed the subtraction in the "expired" text.

    Both parts are base64url-encoded, signed and put in the outer object, so every check after
    the signature (body members, kid, issuer, key validity, audience, lifetime, expiry, skew)
    sees fuzzed values, and an accepted message is checked like any other (fuzz.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char s_header[] = "{\"alg\":\"EdDSA\",\"kid\":\"" XC_FUZZ_KID "\",\"typ\":\"xc+jws\"}";

#define S_TIMES 6

/*  The payload with iat and exp from the S_TIMES bytes at times, or NULL to sign it as it is.
    The sums wrap around (computed unsigned): a time out of range is what is fuzzed. */
static char *
s_set_times (const uint8_t *payload, size_t len, const uint8_t times[S_TIMES])
{
    static const int64_t bases[8] = { INT64_MIN, INT64_MIN / 2, -XC_FUZZ_NOW, 0, XC_FUZZ_NOW,
                                      INT64_MAX / 2, INT64_MAX - 3600, INT64_MAX };
    json_t *body = json_loadb ((const char *) payload, len, 0, NULL);
    if (!json_is_object (body)) {
        json_decref (body);
        return NULL;
    }
    uint32_t offset = (uint32_t) times[1] | (uint32_t) times[2] << 8 | (uint32_t) times[3] << 16
                      | (uint32_t) times[4] << 24;
    uint64_t iat = (uint64_t) bases[times[0] & 7] + (uint64_t) (int64_t) (int32_t) offset;
    uint64_t exp = iat + (uint64_t) (int64_t) (int8_t) times[5];
    /* back to signed: two's complement, as gcc and clang convert */
    json_object_set_new (body, "iat", json_integer ((json_int_t) iat));
    json_object_set_new (body, "exp", json_integer ((json_int_t) exp));
    char *text = json_dumps (body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (body);
    XC_FUZZ_ASSERT (text != NULL);
    return text;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool stored = data[0] & 1;
    const uint8_t *header = (const uint8_t *) s_header, *payload = data + 1;
    size_t header_len = sizeof s_header - 1, payload_len = size - 1;
    const uint8_t *times = NULL;
    if (data[0] & 4) {
        if (payload_len < S_TIMES)
            return 0;
        payload_len -= S_TIMES;
        times = data + size - S_TIMES;
    }
    if (data[0] & 2) {
        const uint8_t *nul = memchr (payload, 0, payload_len);
        if (!nul)
            return 0;
        header = payload;
        header_len = (size_t) (nul - header);
        payload = nul + 1;
        payload_len -= header_len + 1;
    }
    char *timed = times ? s_set_times (payload, payload_len, times) : NULL;
    if (timed) {
        payload = (const uint8_t *) timed;
        payload_len = strlen (timed);
    }
    char *protected_b64 = xc_b64url_encode (header, header_len);
    char *payload_b64 = xc_b64url_encode (payload, payload_len);
    XC_FUZZ_ASSERT (protected_b64 && payload_b64);
    char *sig_b64 = xc_jws_sign (xc_fuzz_key (), protected_b64, payload_b64);
    XC_FUZZ_ASSERT (sig_b64 != NULL);
    size_t frame_size = strlen (protected_b64) + strlen (payload_b64) + strlen (sig_b64) + 48;
    char *frame = malloc (frame_size);
    XC_FUZZ_ASSERT (frame != NULL);
    int n = snprintf (frame, frame_size,
                      "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
                      protected_b64, payload_b64, sig_b64);
    XC_FUZZ_ASSERT (n > 0 && (size_t) n < frame_size);

    xc_verify_t verify = xc_fuzz_verify (xc_fuzz_registry (false), stored);
    verify.defer_range = data[0] & 8;    /* as a service opens requests */
    xc_code_t code = xc_fuzz_open (frame, (size_t) n, &verify);
    /* signed by the key the registry holds for every kid it knows */
    XC_FUZZ_ASSERT (code != XC_E_BAD_SIGNATURE);

    free (frame);
    free (sig_b64);
    free (payload_b64);
    free (protected_b64);
    free (timed);
    return 0;
}
