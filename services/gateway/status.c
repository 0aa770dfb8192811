/*  status.c: reads what the gateway needs of a JWS (see status.h), and the status table. */
#include "services/gateway/status.h"

#include "common/codec.h"
#include "common/envelope.h"
#include "common/json_read.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *code;
    int status;
} s_table[] = {
    { "too_large", 413 },
    { "malformed", 400 },
    { "duplicate_key", 400 },
    { "bad_alg", 400 },
    { "bad_typ", 400 },
    { "wrong_audience", 400 },
    { "unknown_kid", 401 },
    { "kid_issuer_mismatch", 401 },
    { "key_not_valid", 401 },
    { "bad_signature", 401 },
    { "expired", 401 },
    { "iat_skew", 401 },
    { "forbidden", 403 },
    { "not_found", 404 },
    { "unknown_type", 404 },
    { "conflict", 409 },
    { "replayed", 409 },
    { "schema", 422 },
    { "unavailable", 503 },
    { "busy", 503 },
};

int
gateway_status_of_code (const char *code, bool *transient)
{
    *transient = false;
    for (size_t i = 0; code && i < sizeof s_table / sizeof s_table[0]; i++)
        if (strcmp (s_table[i].code, code) == 0) {
            *transient = s_table[i].status == 503;
            return s_table[i].status;
        }
    return 400;
}

/* The decoded payload of a flattened JWS as a JSON object, or NULL. Caller owns it. Read as
   leniently as a service reads a refused message's id for its reply (service_batch.c, s_peek:
   padding, a byte order mark, \u0000, lone surrogates, bytes that are not UTF-8 and numbers out
   of range set aside, json_read.h), so that the gateway refuses itself only what a service
   could not answer by its id either: everything else is the service's to judge. */
json_t *
gateway_read_payload (const char *frame, size_t len, const char **why)
{
    /* the form every signer of the suite writes, without jansson (most of the gateway's
       time per request went into jansson reading the payload's string); any other text as
       jansson reads it, which gives the same payload for that form */
    json_t *outer = NULL, *body = NULL;
    const char *payload;
    size_t plen;
    if (!xc_envelope_payload_fast (frame, len, &payload, &plen)) {
        outer = json_loadb (frame, len, 0, NULL);
        payload = json_string_value (json_object_get (outer, "payload"));
        if (!json_is_object (outer) || !payload) {
            *why = "the body is not a JSON object with a string member 'payload'";
            goto cleanup;
        }
        plen = strlen (payload);
    }
    while (plen > 0 && payload[plen - 1] == '=')
        plen--;
    unsigned char *bytes = NULL;
    size_t n = 0;
    if (xc_b64url_decode (payload, plen, &bytes, &n, NULL) != 0) {
        *why = "the member 'payload' is not base64url";
        goto cleanup;
    }
    /* strict first: every frame a service writes reads so, and loosening copies it */
    body = json_loadb ((const char *) bytes, n, JSON_REJECT_DUPLICATES, NULL);
    if (!body) {
        size_t loose_len;
        char *loose = xc_json_loosen ((const char *) bytes, n, &loose_len);
        body = loose ? json_loadb (loose, loose_len, 0, NULL) : NULL;
        free (loose);
    }
    free (bytes);
    if (!json_is_object (body)) {
        json_decref (body);
        body = NULL;
        *why = "the decoded payload is not a JSON object";
    }
cleanup:
    json_decref (outer);
    return body;
}

static bool
s_is_uuid (const char *text)
{
    if (strlen (text) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !isxdigit ((unsigned char) text[i]))
            return false;
    }
    return true;
}

int
gateway_read_aud_id (const char *frame, size_t len, char *aud, size_t aud_size, char id[37],
                     const char **why)
{
    aud[0] = '\0';
    id[0] = '\0';
    json_t *body = gateway_read_payload (frame, len, why);
    if (!body)
        return -1;
    const char *a = json_string_value (json_object_get (body, "aud"));
    const char *i = json_string_value (json_object_get (body, "id"));
    int rc = -1;
    if (!a || strlen (a) >= aud_size)
        *why = "the payload has no string member 'aud' naming a service";
    else if (!i || !s_is_uuid (i))
        *why = "the payload's 'id' is not a UUID (8-4-4-4-12 hex digits)";
    else {
        strcpy (aud, a);
        for (int k = 0; k < 36; k++)
            id[k] = (char) tolower ((unsigned char) i[k]);
        id[36] = '\0';
        rc = 0;
    }
    json_decref (body);
    return rc;
}

int
gateway_read_reply (const char *frame, size_t len, char corr[37], bool *transient)
{
    corr[0] = '\0';
    *transient = false;
    const char *why;
    json_t *body = gateway_read_payload (frame, len, &why);
    const char *c = json_string_value (json_object_get (body, "corr"));
    if (c && s_is_uuid (c)) {
        for (int k = 0; k < 36; k++)
            corr[k] = (char) tolower ((unsigned char) c[k]);
        corr[36] = '\0';
    }
    const char *type = json_string_value (json_object_get (body, "type"));
    int status = 502;
    if (type && (strcmp (type, "ack") == 0 || strcmp (type, "result") == 0))
        status = 200;
    else if (type && strcmp (type, "error") == 0) {
        json_t *code = json_object_get (json_object_get (body, "data"), "code");
        status = json_is_string (code) ? gateway_status_of_code (json_string_value (code), transient)
                                       : 502;
    }
    json_decref (body);
    return status;
}
