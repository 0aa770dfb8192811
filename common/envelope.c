/*  envelope.c: JWS flattened JSON messages signed with Ed25519 (see envelope.h). */
#include "common/envelope.h"

#include "common/hash.h"
#include "common/json_read.h"
#include "common/json_text.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TYP "xc+jws"

/*  Why jansson refused a text, in the protocol's words: what names the text ("payload"). */
static int
s_parse_error (const json_error_t *jerr, const char *what, xc_err_t *err)
{
    const char *near = strstr (jerr->text, "near ");
    int at = jerr->position;
    switch (json_error_code (jerr)) {
    case json_error_duplicate_key:
        return xc_err_set (err, XC_E_DUPLICATE_KEY, "%s has a member name twice in one object%s%.60s",
                           what, near ? ", " : "", near ? near : "");
    case json_error_null_character:
        return xc_err_set (err, XC_E_MALFORMED, "%s holds \\u0000 in a string, which is not allowed",
                           what);
    case json_error_null_byte_in_key:
        return xc_err_set (err, XC_E_MALFORMED,
                           "%s holds \\u0000 in a member name, which is not allowed", what);
    case json_error_invalid_utf8:
        return xc_err_set (err, XC_E_MALFORMED, "%s is not valid UTF-8 (at byte %d)", what, at);
    case json_error_numeric_overflow:
        return xc_err_set (err, XC_E_MALFORMED,
                           "%s holds a number out of range (integers are int64) at byte %d", what,
                           at);
    case json_error_stack_overflow:
        return xc_err_set (err, XC_E_MALFORMED, "%s is nested too deep", what);
    case json_error_premature_end_of_input:
        return xc_err_set (err, XC_E_MALFORMED, "%s ends before its JSON text does", what);
    case json_error_end_of_input_expected:
        return xc_err_set (err, XC_E_MALFORMED, "%s has more after its JSON object (at byte %d)",
                           what, at);
    default:
        if (strstr (jerr->text, "Unicode"))
            return xc_err_set (err, XC_E_MALFORMED,
                               "%s holds a \\u escape that is a lone surrogate (at byte %d)", what,
                               at);
        if (strstr (jerr->text, "control character"))
            return xc_err_set (err, XC_E_MALFORMED,
                               "%s holds a control character in a string (at byte %d)", what, at);
        return xc_err_set (err, XC_E_MALFORMED, "%s is not valid JSON (at byte %d%s%.40s)", what, at,
                           near ? ", " : "", near ? near : "");
    }
}

/*  Parses JSON refusing duplicate keys at every depth; the object is the only allowed top.
    range: NULL, or where a payload's out-of-range numbers are told (see xc_msg_t): such a
    payload is read with them null. */
static int
s_parse (const char *bytes, size_t len, const char *what, json_t **json_p, char *range,
         size_t range_size, xc_err_t *err)
{
    /* the fast reader takes what it can (the same value); jansson the rest, and the errors */
    *json_p = xc_json_read (bytes, len);
    if (*json_p)
        return 0;
    if (len >= 3 && memcmp (bytes, "\xef\xbb\xbf", 3) == 0)
        return xc_err_set (err, XC_E_MALFORMED,
                           "%s begins with a byte order mark, which is not allowed", what);
    json_error_t jerr;
    json_t *json = json_loadb (bytes, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json && range && json_error_code (&jerr) == json_error_numeric_overflow) {
        size_t mended_len;
        char *mended = xc_json_mend_numbers (bytes, len, &mended_len, range, range_size);
        if (mended)
            json = json_loadb (mended, mended_len, JSON_REJECT_DUPLICATES, &jerr);
        free (mended);
        if (!json)
            range[0] = 0;
    }
    if (!json)
        return s_parse_error (&jerr, what, err);
    if (!json_is_object (json)) {
        json_decref (json);
        return xc_err_set (err, XC_E_MALFORMED, "%s is not a JSON object", what);
    }
    *json_p = json;
    return 0;
}

/*  A piece of the received text: a member's value, not NUL-terminated. */
typedef struct {
    const char *text;
    size_t len;
} s_span_t;

/*  Decodes the base64url value of member name and parses it as a JSON object (range: as in
    s_parse). */
static int
s_decode_part (s_span_t part, const char *name, json_t **json_p, char *range, size_t range_size,
               xc_err_t *err)
{
    *json_p = NULL;
    unsigned char *bin;
    size_t len;
    if (xc_b64url_decode (part.text, part.len, &bin, &len, NULL) != 0)
        return xc_err_set (err, XC_E_MALFORMED,
                           "'%s' is not base64url (no padding, no white space, RFC 4648 section 5)",
                           name);
    int rc = s_parse ((const char *) bin, len, name, json_p, range, range_size, err);
    free (bin);
    return rc;
}

static bool
s_b64url_char (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_';
}

/*  The outer object in the exact form xc_envelope_finish writes,
    {"protected":"...","payload":"...","signature":"..."} with base64url values, read without a
    JSON parser. Such text parses to just these three strings, so the checks that follow give
    the same verdict either way; any other text (spaces, another order, escapes) is left to
    jansson. */
static bool
s_outer_fast (const char *bytes, size_t len, s_span_t parts[3])
{
#define S_LITERAL(text) { text, sizeof text - 1 }
    static const s_span_t keys[3] = { S_LITERAL ("{\"protected\":\""),
                                      S_LITERAL ("\",\"payload\":\""),
                                      S_LITERAL ("\",\"signature\":\"") };
#undef S_LITERAL
    const char *p = bytes, *end = bytes + len;
    for (int i = 0; i < 3; i++) {
        if ((size_t) (end - p) < keys[i].len || memcmp (p, keys[i].text, keys[i].len) != 0)
            return false;
        p += keys[i].len;
        parts[i].text = p;
        while (p < end && s_b64url_char (*p))
            p++;
        parts[i].len = (size_t) (p - parts[i].text);
    }
    return end - p == 2 && p[0] == '"' && p[1] == '}';
}

bool
xc_envelope_payload_fast (const char *bytes, size_t len, const char **payload, size_t *payload_len)
{
    s_span_t parts[3];
    if (!s_outer_fast (bytes, len, parts))
        return false;
    *payload = parts[1].text;
    *payload_len = parts[1].len;
    return true;
}

static bool
s_is_one_of (const char *key, const char *const *names)
{
    for (; *names; names++)
        if (strcmp (key, *names) == 0)
            return true;
    return false;
}

/*  Refuses members of object other than names. */
static int
s_only_members (const json_t *object, const char *const *names, const char *what,
                xc_err_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) object, key, value)
        if (!s_is_one_of (key, names))
            return xc_err_set (err, XC_E_MALFORMED, "%s has an unexpected member '%.40s'", what,
                               key);
    return 0;
}

/*  A string member of 1..max bytes; NULL (err set) when absent, mistyped or too long. */
static const char *
s_string (const json_t *object, const char *name, size_t max, const char *what, xc_err_t *err)
{
    const json_t *value = json_object_get (object, name);
    if (!value) {
        xc_err_set (err, XC_E_MALFORMED, "%s member '%s' is missing", what, name);
        return NULL;
    }
    if (!json_is_string (value)) {
        xc_err_set (err, XC_E_MALFORMED, "%s member '%s' must be a string", what, name);
        return NULL;
    }
    size_t len = json_string_length (value);
    if (len < 1 || len > max) {
        xc_err_set (err, XC_E_MALFORMED, "%s member '%s' must be 1..%zu bytes", what, name, max);
        return NULL;
    }
    return json_string_value (value);
}

static bool
s_type_valid (const char *type)
{
    size_t len = strlen (type);
    if (len < 1 || len >= XC_TYPE_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = type[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/*  |a - b| without overflow, for any two int64_t. */
static uint64_t
s_distance (int64_t a, int64_t b)
{
    return a > b ? (uint64_t) a - (uint64_t) b : (uint64_t) b - (uint64_t) a;
}

static const char *const s_outer_names[] = { "protected", "payload", "signature", NULL };
static const char *const s_header_names[] = { "alg", "kid", "typ", NULL };
static const char *const s_body_names[] = { "v",   "id",   "iss",  "aud",  "type",
                                            "iat", "exp",  "corr", "data", NULL };

/*  The protected headers this thread has lately found good ({"alg", "kid", "typ"} all strings,
    alg and typ allowed), with their kid: senders sign many messages with one key, so the
    header's base64url text repeats and its decoding and parsing can be skipped. */
enum { S_SEEN = 8, S_SEEN_MAX = 256 };
typedef struct {
    size_t len;                      /* 0: empty */
    char text[S_SEEN_MAX];
    char kid[XC_KID_MAX];
} s_seen_t;
static _Thread_local s_seen_t s_seen[S_SEEN];
static _Thread_local unsigned s_seen_next;

static const char *
s_seen_kid (s_span_t protected_b64)
{
    if (protected_b64.len == 0)          /* nor would an empty slot match */
        return NULL;
    for (int i = 0; i < S_SEEN; i++)
        if (s_seen[i].len == protected_b64.len
            && memcmp (s_seen[i].text, protected_b64.text, protected_b64.len) == 0)
            return s_seen[i].kid;
    return NULL;
}

static void
s_seen_add (s_span_t protected_b64, const char *kid)
{
    if (protected_b64.len == 0 || protected_b64.len > S_SEEN_MAX || strlen (kid) >= XC_KID_MAX)
        return;
    s_seen_t *seen = &s_seen[s_seen_next++ % S_SEEN];
    memcpy (seen->text, protected_b64.text, protected_b64.len);
    seen->len = protected_b64.len;
    strcpy (seen->kid, kid);
}

/*  The header's checks: its members, then alg, then typ. */
static int
s_check_header (const json_t *header, xc_err_t *err)
{
    if (s_only_members (header, s_header_names, "protected header", err) != 0)
        return -1;
    /* any string is well-formed here: what it says is judged by the checks that follow */
    for (const char *const *name = s_header_names; *name; name++) {
        const json_t *value = json_object_get (header, *name);
        if (!json_is_string (value))
            return xc_err_set (err, XC_E_MALFORMED, "protected header member '%s' %s", *name,
                               value ? "must be a string" : "is missing");
    }
    const char *alg = json_string_value (json_object_get (header, "alg"));
    const char *typ = json_string_value (json_object_get (header, "typ"));
    if (strcmp (alg, "EdDSA") != 0 && strcmp (alg, "Ed25519") != 0)
        return xc_err_set (err, XC_E_BAD_ALG, "alg '%.20s' is not allowed (EdDSA or Ed25519)",
                           alg);
    if (strcmp (typ, S_TYP) != 0)
        return xc_err_set (err, XC_E_BAD_TYP, "typ '%.20s' is not '" S_TYP "'", typ);
    return 0;
}

/*  Checks the body's members and copies them into msg. */
static int
s_check_body (const json_t *body, bool stored, bool defer_range, xc_msg_t *msg, xc_err_t *err)
{
    if (s_only_members (body, s_body_names, "payload", err) != 0)
        return -1;
    /* a number out of range in a member of the envelope itself: the envelope is not readable */
    if (msg->out_of_range[0] && (!defer_range || strncmp (msg->out_of_range, "data.", 5) != 0)) {
        const char *colon = strstr (msg->out_of_range, ": ");
        int path_len = colon ? (int) (colon - msg->out_of_range) : 0;
        return xc_err_set (err, XC_E_MALFORMED, "payload member '%.*s':%s", path_len,
                           msg->out_of_range, colon ? colon + 1 : msg->out_of_range);
    }
    const json_t *v = json_object_get (body, "v");
    if (!json_is_integer (v) || json_integer_value (v) != 1)
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'v' must be the integer 1");
    const json_t *id_json = json_object_get (body, "id");
    if (!json_is_string (id_json))
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'id' %s",
                           id_json ? "must be a string" : "is missing");
    const char *id = json_string_value (id_json);
    if (json_string_length (id_json) != XC_UUID_LEN || !xc_uuid_valid (id))
        return xc_err_set (err, XC_E_MALFORMED,
                           "payload member 'id' must be a UUID: 8-4-4-4-12 hex digits, without "
                           "braces or a urn:uuid: prefix");
    const char *iss = s_string (body, "iss", XC_NAME_MAX - 1, "payload", err);
    const char *aud = iss ? s_string (body, "aud", XC_NAME_MAX - 1, "payload", err) : NULL;
    const char *type = aud ? s_string (body, "type", XC_TYPE_MAX - 1, "payload", err) : NULL;
    if (!type)
        return -1;
    if (!s_type_valid (type))
        return xc_err_set (err, XC_E_MALFORMED,
                           "payload member 'type' must be 1..63 bytes of [a-z0-9_.]");
    const json_t *iat = json_object_get (body, "iat");
    if (!json_is_integer (iat))
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'iat' must be an integer");
    const json_t *exp = json_object_get (body, "exp");
    if (exp && !json_is_integer (exp))
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'exp' must be an integer");
    if (!exp && !stored)
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'exp' is missing");
    const json_t *corr = json_object_get (body, "corr");
    if (corr && !json_is_null (corr) && !xc_uuid_valid (json_string_value (corr)))
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'corr' must be null or a UUID");
    const json_t *data = json_object_get (body, "data");
    if (!data)
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'data' is missing");
    if (!json_is_object (data))
        return xc_err_set (err, XC_E_MALFORMED, "payload member 'data' must be an object");

    /* UUIDs compare case-insensitively (RFC 9562): the lower-case form is the one kept, so
       that the inbox, the outbox and every comparison see one id */
    xc_uuid_lower_copy (msg->id, id);
    xc_uuid_lower_copy (msg->corr, json_is_string (corr) ? json_string_value (corr) : "");
    strcpy (msg->iss, iss);
    strcpy (msg->aud, aud);
    strcpy (msg->type, type);
    msg->iat = json_integer_value (iat);
    msg->exp = exp ? json_integer_value (exp) : 0;
    msg->data = (json_t *) data;
    return 0;
}

static bool
s_possession_type (const xc_verify_t *verify, const char *type)
{
    for (const char *const *t = verify->possession; t && *t; t++)
        if (strcmp (*t, type) == 0)
            return true;
    return false;
}

/*  The key a proof of possession carries in data.key, checked against the kid that names it:
    "<iss>#<first XC_POSSESSION_THUMB characters of its RFC 7638 thumbprint>". Its signer is
    msg->possessor (role XC_ROLE_ENROLLEE), valid only now: the key is no one's yet. */
static int
s_possession_key (xc_msg_t *msg, const char *kid, xc_pubkey_t *key, xc_err_t *err)
{
    const json_t *jwk = json_object_get (msg->data, "key");
    const char *kty = json_string_value (json_object_get (jwk, "kty"));
    const char *crv = json_string_value (json_object_get (jwk, "crv"));
    const char *x = json_string_value (json_object_get (jwk, "x"));
    memset (key, 0, sizeof *key);
    if (!kty || !crv || !x || strcmp (kty, "OKP") != 0 || strcmp (crv, "Ed25519") != 0
        || xc_b64url_decode_exact (x, key->pk, sizeof key->pk, NULL) != 0)
        return xc_err_set (err, XC_E_MALFORMED, "data.key must be an Ed25519 public JWK"
                           " (kty OKP, crv Ed25519, x of 32 bytes) for '%s'", msg->type);
    char thumb[XC_THUMBPRINT_LEN + 1], want[XC_KID_MAX];
    xc_key_thumbprint (key->pk, thumb);
    snprintf (want, sizeof want, "%s#%.*s", msg->iss, XC_POSSESSION_THUMB, thumb);
    if (strcmp (kid, want) != 0)
        return xc_err_set (err, XC_E_UNKNOWN_KID, "kid '%.80s' is not in the registry, nor derived from"
                           " data.key ('%s')", kid, want);
    snprintf (key->kid, sizeof key->kid, "%s", want);
    key->not_before = INT64_MIN;
    key->not_after = INT64_MAX;
    snprintf (msg->possessor.iss, sizeof msg->possessor.iss, "%s", msg->iss);
    snprintf (msg->possessor.role, sizeof msg->possessor.role, "%s", XC_ROLE_ENROLLEE);
    key->owner = &msg->possessor;
    return 0;
}

int
xc_envelope_open (const char *bytes, size_t len, const xc_verify_t *verify, xc_msg_t **msg_p,
                  xc_err_t *err)
{
    *msg_p = NULL;
    if (!verify->registry || (!verify->stored && !verify->audience))
        return xc_err_set (err, XC_E_INTERNAL, "no registry or audience to verify against");
    if (len > verify->max_size)
        return xc_err_set (err, XC_E_TOO_LARGE, "message of %zu bytes exceeds %zu", len,
                           verify->max_size);

    int rc = -1;
    json_t *outer = NULL, *header = NULL;
    char *input = NULL;
    xc_msg_t *msg = calloc (1, sizeof *msg);
    if (!msg)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");

    /* JSON, duplicate keys refused at every level */
    s_span_t parts[3];                   /* protected, payload, signature */
    if (!s_outer_fast (bytes, len, parts)) {
        if (s_parse (bytes, len, "message", &outer, NULL, 0, err) != 0)
            goto cleanup;
        if (s_only_members (outer, s_outer_names, "message", err) != 0)
            goto cleanup;
        for (int i = 0; i < 3; i++) {
            const json_t *value = json_object_get (outer, s_outer_names[i]);
            if (!json_is_string (value)) {
                xc_err_set (err, XC_E_MALFORMED, "message member '%s' must be a string",
                            s_outer_names[i]);
                goto cleanup;
            }
            parts[i] = (s_span_t) { json_string_value (value), json_string_length (value) };
        }
    }
    const char *kid = s_seen_kid (parts[0]);
    if (!kid && s_decode_part (parts[0], "protected", &header, NULL, 0, err) != 0)
        goto cleanup;
    if (s_decode_part (parts[1], "payload", &msg->body, msg->out_of_range,
                       sizeof msg->out_of_range, err)
        != 0)
        goto cleanup;
    if (!kid) {
        if (s_check_header (header, err) != 0)
            goto cleanup;
        kid = json_string_value (json_object_get (header, "kid"));
        s_seen_add (parts[0], kid);
    }
    if (s_check_body (msg->body, verify->stored, verify->defer_range, msg, err) != 0)
        goto cleanup;

    /* the key: known, of this issuer, valid at the moment that counts; or, for a type whose
       signer proves possession of a key not yet registered, the key the message carries */
    const xc_pubkey_t *key = xc_registry_key (verify->registry, kid);
    xc_pubkey_t carried;
    if (!key && !verify->stored && s_possession_type (verify, msg->type)
        && json_object_get (msg->data, "key")) {
        if (s_possession_key (msg, kid, &carried, err) != 0)
            goto cleanup;
        key = &carried;
    }
    if (!key) {
        xc_err_set (err, XC_E_UNKNOWN_KID, "kid '%.80s' is not in the registry", kid);
        goto cleanup;
    }
    strcpy (msg->kid, key->kid);        /* a registry kid fits */
    if (strcmp (key->owner->iss, msg->iss) != 0) {
        xc_err_set (err, XC_E_KID_ISSUER, "kid '%.80s' belongs to '%s', not to '%s'", msg->kid,
                    key->owner->iss, msg->iss);
        goto cleanup;
    }
    if (key->owner->revoked) {
        xc_err_set (err, XC_E_KEY_NOT_VALID, "principal '%s' is revoked", msg->iss);
        goto cleanup;
    }
    /* a stored event stays provable after its key expires: judge the key when it signed */
    int64_t moment = verify->stored ? msg->iat : verify->now;
    if (moment < key->not_before || moment > key->not_after) {
        xc_err_set (err, XC_E_KEY_NOT_VALID, "kid '%.80s' is not valid at %lld", msg->kid,
                    (long long) moment);
        goto cleanup;
    }

    /* the signature, over the base64url text exactly as received */
    unsigned char sig[64];
    char sig_b64[96];                    /* 64 bytes are 86 characters */
    bool sig_fits = parts[2].len < sizeof sig_b64 && !memchr (parts[2].text, 0, parts[2].len);
    if (sig_fits) {
        memcpy (sig_b64, parts[2].text, parts[2].len);
        sig_b64[parts[2].len] = 0;
    }
    if (!sig_fits || xc_b64url_decode_exact (sig_b64, sig, sizeof sig, NULL) != 0) {
        xc_err_set (err, XC_E_BAD_SIGNATURE, "signature is not 64 bytes of base64url");
        goto cleanup;
    }
    /* both parts decoded as base64url, so neither holds a NUL */
    size_t plen = parts[0].len, blen = parts[1].len;
    input = malloc (plen + 1 + blen);
    if (!input) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    memcpy (input, parts[0].text, plen);
    input[plen] = '.';
    memcpy (input + plen + 1, parts[1].text, blen);
    if (crypto_sign_verify_detached (sig, (const unsigned char *) input, plen + 1 + blen,
                                     key->pk)
        != 0) {
        xc_err_set (err, XC_E_BAD_SIGNATURE, "signature does not verify with kid '%.80s'",
                    msg->kid);
        goto cleanup;
    }

    if (!verify->stored) {
        /* "*" is refused here: one command could be replayed at every service */
        if (strcmp (msg->aud, verify->audience) != 0) {
            xc_err_set (err, XC_E_WRONG_AUDIENCE, "aud '%s' is not '%s'", msg->aud,
                        verify->audience);
            goto cleanup;
        }
        uint64_t max_lifetime = verify->max_lifetime > 0 ? (uint64_t) verify->max_lifetime : 0;
        uint64_t skew = verify->skew > 0 ? (uint64_t) verify->skew : 0;
        if (msg->exp <= msg->iat || s_distance (msg->exp, msg->iat) > max_lifetime) {
            xc_err_set (err, XC_E_MALFORMED, "exp must be after iat by at most %d seconds",
                        verify->max_lifetime);
            goto cleanup;
        }
        if (verify->now > msg->exp) {
            /* s_distance: an exp near INT64_MIN must not overflow the subtraction */
            unsigned long long ago = s_distance (verify->now, msg->exp);
            xc_err_set (err, XC_E_EXPIRED, "message expired %llu second%s ago (exp)", ago,
                        ago == 1 ? "" : "s");
            goto cleanup;
        }
        if (s_distance (msg->iat, verify->now) > skew) {
            xc_err_set (err, XC_E_IAT_SKEW, "iat is more than %d seconds from now (%lld)",
                        verify->skew, (long long) verify->now);
            goto cleanup;
        }
    }

    msg->raw = malloc (len + 1);
    if (!msg->raw) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    memcpy (msg->raw, bytes, len);
    msg->raw[len] = 0;
    msg->raw_len = len;
    msg->principal = key->owner;
    *msg_p = msg;
    msg = NULL;
    rc = 0;
cleanup:
    free (input);
    json_decref (header);
    json_decref (outer);
    xc_msg_destroy (&msg);
    return rc;
}

void
xc_msg_destroy (xc_msg_t **msg_p)
{
    if (!msg_p || !*msg_p)
        return;
    xc_msg_t *msg = *msg_p;
    free (msg->raw);
    json_decref (msg->body);
    free (msg);
    *msg_p = NULL;
}

/*  The signature of a JWS signing input, in base64url into sig_b64 (87 bytes). */
static void
s_sign_input (const xc_key_t *key, const char *input, size_t len, char sig_b64[87])
{
    unsigned char sig[64];
    crypto_sign_detached (sig, NULL, (const unsigned char *) input, len, key->sk);
    xc_b64url_encode_to (sig_b64, sig, sizeof sig);
}

char *
xc_jws_sign (const xc_key_t *key, const char *protected_b64, const char *payload_b64)
{
    if (!key->has_secret)
        return NULL;
    size_t plen = strlen (protected_b64), blen = strlen (payload_b64);
    char *input = malloc (plen + 1 + blen);
    if (!input)
        return NULL;
    memcpy (input, protected_b64, plen);
    input[plen] = '.';
    memcpy (input + plen + 1, payload_b64, blen);
    char sig_b64[87];
    s_sign_input (key, input, plen + 1 + blen, sig_b64);
    free (input);
    return strdup (sig_b64);
}

/*  The compact JSON text in base64url. Caller owns the result. */
static char *
s_encode_json (const json_t *json)
{
    char *text = xc_json_text (json);
    if (!text)
        return NULL;
    char *b64 = xc_b64url_encode ((const unsigned char *) text, strlen (text));
    free (text);
    return b64;
}

/*  The protected header {"alg":"EdDSA","kid":...,"typ":"xc+jws"} of key in base64url (caller
    owns). It is the same for every message a key signs, so each thread keeps the last one. */
static char *
s_header_b64 (const xc_key_t *key)
{
    static _Thread_local char kid[XC_KID_MAX];
    static _Thread_local char b64[256];          /* "" until the first */
    if (b64[0] && strcmp (kid, key->kid) == 0)
        return strdup (b64);
    json_t *header = json_pack ("{s:s, s:s, s:s}", "alg", "EdDSA", "kid", key->kid, "typ", S_TYP);
    char *made = header ? s_encode_json (header) : NULL;
    json_decref (header);
    if (made && strlen (made) < sizeof b64 && strlen (key->kid) < sizeof kid) {
        strcpy (b64, made);
        strcpy (kid, key->kid);
    }
    return made;
}

/*  The body of data (a json_t), or of data_text (the compact text of an object). */
static int
s_prepare (const xc_key_t *key, const xc_claims_t *claims, const json_t *data,
           const char *data_text, xc_sealing_t *sealing, xc_err_t *err)
{
    memset (sealing, 0, sizeof *sealing);
    /* refuse here what every receiver would refuse */
    if (!key->has_secret)
        return xc_err_set (err, XC_E_INTERNAL, "key '%s' has no secret part", key->kid);
    if (!claims->iss || !*claims->iss || strlen (claims->iss) >= XC_NAME_MAX || !claims->aud
        || !*claims->aud || strlen (claims->aud) >= XC_NAME_MAX || !claims->type
        || !s_type_valid (claims->type))
        return xc_err_set (err, XC_E_MALFORMED, "iss, aud and type must be 1..63 bytes (type of "
                           "[a-z0-9_.])");
    if ((claims->id && !xc_uuid_valid (claims->id))
        || (claims->corr && !xc_uuid_valid (claims->corr)))
        return xc_err_set (err, XC_E_MALFORMED, "id and corr must be UUIDs");
    if (data ? !json_is_object (data) : !data_text || data_text[0] != '{')
        return xc_err_set (err, XC_E_MALFORMED, "data must be an object");
    if (!xc_utf8_valid (claims->iss, strlen (claims->iss))
        || !xc_utf8_valid (claims->aud, strlen (claims->aud)))
        return xc_err_set (err, XC_E_MALFORMED, "iss and aud must be UTF-8");
    if (claims->id)
        strcpy (sealing->id, claims->id);
    else
        xc_uuid_new_ordered (sealing->id);
    /* the body's text, written directly: the members in the order they always had */
    xc_buf_t *scratch = xc_buf_scratch ();
    if (!scratch)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    xc_buf_t body = *scratch;           /* given back below, its memory kept for the next */
    xc_buf_puts (&body, "{\"v\":1,\"id\":");
    xc_json_put_string (&body, sealing->id, strlen (sealing->id));
    xc_buf_puts (&body, ",\"iss\":");
    xc_json_put_string (&body, claims->iss, strlen (claims->iss));
    xc_buf_puts (&body, ",\"aud\":");
    xc_json_put_string (&body, claims->aud, strlen (claims->aud));
    xc_buf_puts (&body, ",\"iat\":");
    xc_json_put_integer (&body, claims->iat);
    if (claims->exp) {
        xc_buf_puts (&body, ",\"exp\":");
        xc_json_put_integer (&body, claims->exp);
    }
    xc_buf_puts (&body, ",\"type\":");
    xc_json_put_string (&body, claims->type, strlen (claims->type));
    xc_buf_puts (&body, ",\"corr\":");
    if (claims->corr)
        xc_json_put_string (&body, claims->corr, strlen (claims->corr));
    else
        xc_buf_puts (&body, "null");
    xc_buf_puts (&body, ",\"data\":");
    if (data)
        xc_json_put (&body, data, false);
    else
        xc_buf_puts (&body, data_text);
    xc_buf_puts (&body, "}");
    /* the signing input at once: the header's base64url, ".", the body's */
    int rc = 0;
    char *header = body.failed ? NULL : s_header_b64 (key);
    size_t header_len = header ? strlen (header) : 0;
    sealing->input = header ? malloc (header_len + 1 + XC_B64URL_LEN (body.len) + 1) : NULL;
    if (sealing->input) {
        memcpy (sealing->input, header, header_len);
        sealing->input[header_len] = '.';
        sealing->protected_len = header_len;
        sealing->input_len = header_len + 1
                             + xc_b64url_encode_to (sealing->input + header_len + 1,
                                                    (const unsigned char *) body.data, body.len);
    }
    else
        rc = xc_err_set (err, XC_E_INTERNAL, "unable to encode the message");
    free (header);
    *scratch = body;
    return rc;
}

int
xc_envelope_prepare (const xc_key_t *key, const xc_claims_t *claims, const json_t *data,
                     xc_sealing_t *sealing, xc_err_t *err)
{
    return s_prepare (key, claims, data, NULL, sealing, err);
}

int
xc_envelope_prepare_text (const xc_key_t *key, const xc_claims_t *claims, const char *data_text,
                          xc_sealing_t *sealing, xc_err_t *err)
{
    return s_prepare (key, claims, NULL, data_text, sealing, err);
}

char *
xc_envelope_finish (const xc_key_t *key, const xc_sealing_t *sealing, size_t *len_p, xc_err_t *err)
{
    if (!key->has_secret || !sealing->input) {
        xc_err_set (err, XC_E_INTERNAL, "unable to sign the message");
        return NULL;
    }
    char sig_b64[87];
    s_sign_input (key, sealing->input, sealing->input_len, sig_b64);
    const char *payload = sealing->input + sealing->protected_len + 1;
    size_t payload_len = sealing->input_len - sealing->protected_len - 1;
    /* base64url needs no JSON escaping */
    const struct {
        const char *text;
        size_t len;
#define S_LITERAL(text) { text, sizeof text - 1 }
    } pieces[] = { S_LITERAL ("{\"protected\":\""), { sealing->input, sealing->protected_len },
                   S_LITERAL ("\",\"payload\":\""), { payload, payload_len },
                   S_LITERAL ("\",\"signature\":\""), { sig_b64, strlen (sig_b64) },
                   S_LITERAL ("\"}") };
#undef S_LITERAL
    size_t size = 1;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
        size += pieces[i].len;
    char *out = malloc (size);
    if (!out) {
        xc_err_set (err, XC_E_INTERNAL, "unable to sign the message");
        return NULL;
    }
    char *p = out;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        memcpy (p, pieces[i].text, pieces[i].len);
        p += pieces[i].len;
    }
    *p = 0;
    if (len_p)
        *len_p = (size_t) (p - out);
    return out;
}

void
xc_sealing_clear (xc_sealing_t *sealing)
{
    free (sealing->input);
    sealing->input = NULL;
    sealing->protected_len = sealing->input_len = 0;
}

char *
xc_envelope_seal (const xc_key_t *key, const xc_claims_t *claims, const json_t *data,
                  size_t *len_p, char *id_out, xc_err_t *err)
{
    xc_sealing_t sealing;
    if (xc_envelope_prepare (key, claims, data, &sealing, err) != 0)
        return NULL;
    char *out = xc_envelope_finish (key, &sealing, len_p, err);
    if (out && id_out)
        strcpy (id_out, sealing.id);
    xc_sealing_clear (&sealing);
    return out;
}

void
xc_msg_digest (const xc_msg_t *msg, unsigned char digest[32])
{
    /* the text of json_dumps (JSON_COMPACT | JSON_SORT_KEYS), as digests always were */
    json_t *object = json_pack ("{s:s, s:s, s:O}", "aud", msg->aud, "type", msg->type, "data",
                                msg->data);
    xc_buf_t *text = xc_buf_scratch ();
    if (text)
        xc_json_put (text, object, true);
    json_decref (object);
    if (!text || text->failed) {
        /* Out of memory: a digest that matches nothing makes a retry look like a replay
           (refused) rather than a replay look like a retry (accepted). */
        randombytes_buf (digest, 32);
        return;
    }
    xc_sha256 (text->data, text->len, NULL, 0, digest);
}
