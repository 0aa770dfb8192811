/*  status_test.c: the status table (docs/services/gateway.md) and what the gateway reads of a
    JWS without verifying it. */
#include "services/gateway/status.h"

#include "tests/harness.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void
test_table (void)
{
    static const struct {
        const char *code;
        int status;
        bool transient;
    } rows[] = {
        { "schema", 422, false }, { "malformed", 400, false }, { "duplicate_key", 400, false },
        { "bad_alg", 400, false }, { "bad_typ", 400, false }, { "wrong_audience", 400, false },
        { "unknown_kid", 401, false }, { "kid_issuer_mismatch", 401, false },
        { "key_not_valid", 401, false }, { "bad_signature", 401, false }, { "expired", 401, false },
        { "iat_skew", 401, false }, { "forbidden", 403, false }, { "not_found", 404, false },
        { "unknown_type", 404, false }, { "conflict", 409, false }, { "replayed", 409, false },
        { "too_large", 413, false }, { "unavailable", 503, true }, { "busy", 503, true },
        { "a_code_of_tomorrow", 400, false },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bool transient = !rows[i].transient;
        CHECK_INT (gateway_status_of_code (rows[i].code, &transient), rows[i].status);
        CHECK (transient == rows[i].transient);
    }
}

/* A flattened JWS whose payload is body (the signature is not looked at). */
static const char *
s_jws (const char *body)
{
    static char text[2048];
    char payload[1024];
    sodium_bin2base64 (payload, sizeof payload, (const unsigned char *) body, strlen (body),
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf (text, sizeof text, "{\"protected\":\"e30\",\"payload\":\"%s\",\"signature\":\"AA\"}",
              payload);
    return text;
}

static void
test_reply_status (void)
{
    bool transient;
    const char *ack = s_jws ("{\"type\":\"ack\",\"corr\":\"0190A1B2-0000-7000-8000-00000000000A\"}");
    char corr[37];
    CHECK_INT (gateway_read_reply (ack, strlen (ack), corr, &transient), 200);
    CHECK_STR (corr, "0190a1b2-0000-7000-8000-00000000000a");
    CHECK (!transient);
    const char *result = s_jws ("{\"type\":\"result\"}");
    CHECK_INT (gateway_read_reply (result, strlen (result), corr, &transient), 200);
    CHECK_STR (corr, "");
    const char *busy = s_jws ("{\"type\":\"error\",\"data\":{\"code\":\"busy\"}}");
    CHECK_INT (gateway_read_reply (busy, strlen (busy), corr, &transient), 503);
    CHECK (transient);
    const char *odd = s_jws ("{\"type\":\"error\",\"data\":{}}");
    CHECK_INT (gateway_read_reply (odd, strlen (odd), corr, &transient), 502);
    CHECK_INT (gateway_read_reply ("[]", 2, corr, &transient), 502);
    CHECK_STR (corr, "");
}

static void
test_aud_id (void)
{
    char aud[64], id[37];
    const char *why = NULL;
    const char *ok = s_jws ("{\"aud\":\"intake\",\"id\":\"0190A1B2-0000-7000-8000-00000000000A\"}");
    CHECK_INT (gateway_read_aud_id (ok, strlen (ok), aud, sizeof aud, id, &why), 0);
    CHECK_STR (aud, "intake");
    CHECK_STR (id, "0190a1b2-0000-7000-8000-00000000000a");
    const char *no_id = s_jws ("{\"aud\":\"intake\",\"id\":\"{0190a1b2-0000-7000-8000-00000000000a}\"}");
    CHECK_INT (gateway_read_aud_id (no_id, strlen (no_id), aud, sizeof aud, id, &why), -1);
    CHECK (strstr (why, "UUID") != NULL);
    const char *empty = "{\"protected\":\"e30\",\"payload\":\"e30=\",\"signature\":\"AA\"}";
    CHECK_INT (gateway_read_aud_id (empty, strlen (empty), aud, sizeof aud, id, &why), -1);
    /* read as leniently as a service reads a refused message's id: the service judges these */
    const char *lenient = s_jws ("\xef\xbb\xbf{\"aud\":\"intake\",\"id\":\"0190a1b2-0000-7000-8000-00000000000b\","
                                 "\"iat\":1e400,\"n\":\"\\u0000\xff\"}");
    CHECK_INT (gateway_read_aud_id (lenient, strlen (lenient), aud, sizeof aud, id, &why), 0);
    CHECK_STR (id, "0190a1b2-0000-7000-8000-00000000000b");
    CHECK_INT (gateway_read_aud_id ("{", 1, aud, sizeof aud, id, &why), -1);
    CHECK_STR (aud, "");
    CHECK_STR (id, "");
}

int
main (void)
{
    RUN (test_table);
    RUN (test_reply_status);
    RUN (test_aud_id);
    HARNESS_END ();
}
