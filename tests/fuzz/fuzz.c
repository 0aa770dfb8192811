/*  fuzz.c: the fixed world and the checks the libFuzzer targets share (see fuzz.h). */
#include "tests/fuzz/fuzz.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/schema.h"

_Static_assert (sizeof XC_FUZZ_SEED == 33, "the seed is 32 bytes");

void
xc_fuzz_fail (const char *file, int line, const char *what)
{
    fprintf (stderr, "fuzz: %s:%d: broken: %s\n", file, line, what);
    abort ();
}

/* ------------------------------------------------------------------ the world */

static char s_dir[256];

static void
s_remove_dir (void)
{
    /* the targets leave at most these two files behind */
    static const char *const names[] = { "registry.json", "config.json" };
    char path[sizeof s_dir + 32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf (path, sizeof path, "%s/%s", s_dir, names[i]);
        unlink (path);
    }
    rmdir (s_dir);
}

const char *
xc_fuzz_dir (void)
{
    if (!s_dir[0]) {
        const char *tmp = getenv ("TMPDIR");
        snprintf (s_dir, sizeof s_dir, "%.200s/xc-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        XC_FUZZ_ASSERT (mkdtemp (s_dir) != NULL);
        atexit (s_remove_dir);
    }
    return s_dir;
}

void
xc_fuzz_write (const char *path, const uint8_t *data, size_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    XC_FUZZ_ASSERT (fd >= 0);
    for (size_t done = 0; done < size;) {
        ssize_t n = write (fd, data + done, size - done);
        XC_FUZZ_ASSERT (n > 0);
        done += (size_t) n;
    }
    XC_FUZZ_ASSERT (close (fd) == 0);
}

const xc_key_t *
xc_fuzz_key (void)
{
    static xc_key_t key;
    if (!key.has_secret) {
        XC_FUZZ_ASSERT (sodium_init () >= 0);
        XC_FUZZ_ASSERT (xc_key_from_seed (&key, XC_FUZZ_KID, (const unsigned char *) XC_FUZZ_SEED,
                                          NULL)
                        == 0);
    }
    return &key;
}

static xc_registry_t *
s_load_registry (bool empty)
{
    char *x = xc_b64url_encode (xc_fuzz_key ()->pk, 32);
    XC_FUZZ_ASSERT (x != NULL);
    json_t *doc;
    if (empty)
        doc = json_pack ("{s:[]}", "principals");
    else {
#define KEY(kid, from, to)                                                                 \
    "{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "kid", kid, "x", x,    \
        "not_before", from, "not_after", to
        json_t *fresh = json_pack (KEY (XC_FUZZ_KID, "2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z"));
        json_t *old = json_pack (KEY ("office#old", "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"));
        json_t *next = json_pack (KEY ("office#next", "2099-01-01T00:00:00Z", "2100-01-01T00:00:00Z"));
        json_t *gone = json_pack (KEY ("gone#1", "2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z"));
#undef KEY
        doc = json_pack ("{s:[{s:s, s:s, s:{s:[s]}, s:[o, o, o]}, {s:s, s:s, s:b, s:[o]}]}",
                         "principals", "iss", XC_FUZZ_ISS, "role", "office", "scope", "units",
                         "*", "keys", fresh, old, next, "iss", "gone", "role", "unit",
                         "revoked", 1, "keys", gone);
    }
    free (x);
    XC_FUZZ_ASSERT (doc != NULL);
    char path[sizeof s_dir + 32];
    snprintf (path, sizeof path, "%s/registry.json", xc_fuzz_dir ());
    XC_FUZZ_ASSERT (json_dump_file (doc, path, 0) == 0);
    json_decref (doc);
    xc_registry_t *reg = NULL;
    xc_err_t err;
    if (xc_registry_load (path, &reg, &err) != 0) {
        fprintf (stderr, "fuzz: the fixed registry does not load: %s\n", err.text);
        abort ();
    }
    unlink (path);
    return reg;
}

static xc_registry_t *s_registries[2];

static void
s_free_registries (void)
{
    xc_registry_destroy (&s_registries[0]);
    xc_registry_destroy (&s_registries[1]);
}

const xc_registry_t *
xc_fuzz_registry (bool empty)
{
    if (!s_registries[empty]) {
        if (!s_registries[!empty])
            atexit (s_free_registries);
        s_registries[empty] = s_load_registry (empty);
    }
    return s_registries[empty];
}

xc_verify_t
xc_fuzz_verify (const xc_registry_t *registry, bool stored)
{
    return (xc_verify_t) { .registry = registry, .audience = XC_FUZZ_AUDIENCE, .now = XC_FUZZ_NOW,
                           .skew = XC_FUZZ_SKEW, .max_lifetime = XC_FUZZ_LIFETIME,
                           .max_size = XC_FUZZ_MAX_SIZE, .stored = stored };
}

/* ------------------------------------------------------------------ the envelope */

/*  Whether text[0..len) is UTF-8 as RFC 3629 allows it: shortest forms, no surrogates, nothing
    above U+10FFFF, and no NUL (protocol.md, section 2). Written apart from Jansson's check. */
static bool
s_utf8_valid (const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf;     /* the range of the second byte */
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        }
        else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        }
        else
            return false;
        if (len - i <= n || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return false;
        i += n + 1;
    }
    return true;
}

/*  Every string and every key anywhere in value is valid UTF-8 without a NUL. */
static void
s_check_strings (const json_t *value)
{
    if (json_is_string (value))
        XC_FUZZ_ASSERT (s_utf8_valid ((const unsigned char *) json_string_value (value),
                                      json_string_length (value)));
    else if (json_is_array (value)) {
        size_t i;
        json_t *item;
        json_array_foreach ((json_t *) value, i, item)
            s_check_strings (item);
    }
    else if (json_is_object (value)) {
        const char *key;
        json_t *member;
        json_object_foreach ((json_t *) value, key, member) {
            XC_FUZZ_ASSERT (s_utf8_valid ((const unsigned char *) key, strlen (key)));
            s_check_strings (member);
        }
    }
}

static bool
s_type_valid (const char *type)
{
    size_t n = strlen (type);
    return n >= 1 && n < XC_TYPE_MAX && strspn (type, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

/*  Decodes base64url text apart from codec.c and checks it is the one canonical text of its
    bytes (no padding, white space or stray bits: protocol.md, section 2). Caller frees. */
static unsigned char *
s_b64url_canonical (const char *text, size_t *len_p)
{
    size_t text_len = strlen (text);
    unsigned char *bin = malloc (text_len + 1);
    XC_FUZZ_ASSERT (bin != NULL);
    XC_FUZZ_ASSERT (sodium_base642bin (bin, text_len + 1, text, text_len, NULL, len_p, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)
                    == 0);
    char *again = xc_b64url_encode (bin, *len_p);
    XC_FUZZ_ASSERT (again && strcmp (again, text) == 0);
    free (again);
    return bin;
}

/*  Checks the raw frame again, from the outer JSON on, apart from envelope.c: three string
    members, canonical base64url, a header of exactly alg (EdDSA or Ed25519), kid and typ
    (xc+jws), and a signature that verifies with the key the registry has under kid. Sets
    *body_p to the payload's JSON (caller owns). */
static void
s_check_frame (const char *raw, size_t len, const char *kid, const unsigned char pk[32],
               json_t **body_p)
{
    json_t *outer = json_loadb (raw, len, 0, NULL);
    XC_FUZZ_ASSERT (json_is_object (outer) && json_object_size (outer) == 3);
    const char *protected_b64 = json_string_value (json_object_get (outer, "protected"));
    const char *payload_b64 = json_string_value (json_object_get (outer, "payload"));
    const char *sig_b64 = json_string_value (json_object_get (outer, "signature"));
    XC_FUZZ_ASSERT (protected_b64 && payload_b64 && sig_b64);

    size_t header_len, body_len, sig_len;
    unsigned char *header_text = s_b64url_canonical (protected_b64, &header_len);
    unsigned char *body_text = s_b64url_canonical (payload_b64, &body_len);
    unsigned char *sig = s_b64url_canonical (sig_b64, &sig_len);
    XC_FUZZ_ASSERT (sig_len == 64);

    json_t *header = json_loadb ((const char *) header_text, header_len, 0, NULL);
    const char *alg = json_string_value (json_object_get (header, "alg"));
    XC_FUZZ_ASSERT (json_is_object (header) && json_object_size (header) == 3 && alg);
    XC_FUZZ_ASSERT (strcmp (alg, "EdDSA") == 0 || strcmp (alg, "Ed25519") == 0);
    const char *typ = json_string_value (json_object_get (header, "typ"));
    XC_FUZZ_ASSERT (typ && strcmp (typ, "xc+jws") == 0);
    const char *header_kid = json_string_value (json_object_get (header, "kid"));
    XC_FUZZ_ASSERT (header_kid && strcmp (header_kid, kid) == 0);
    json_decref (header);

    size_t plen = strlen (protected_b64), blen = strlen (payload_b64);
    unsigned char *input = malloc (plen + 1 + blen);
    XC_FUZZ_ASSERT (input != NULL);
    memcpy (input, protected_b64, plen);
    input[plen] = '.';
    memcpy (input + plen + 1, payload_b64, blen);
    XC_FUZZ_ASSERT (crypto_sign_verify_detached (sig, input, plen + 1 + blen, pk) == 0);
    free (input);

    *body_p = json_loadb ((const char *) body_text, body_len, 0, NULL);
    XC_FUZZ_ASSERT (*body_p != NULL);
    free (sig);
    free (body_text);
    free (header_text);
    json_decref (outer);
}

static void
s_check_msg (const xc_msg_t *msg, const char *bytes, size_t len, const xc_verify_t *verify)
{
    XC_FUZZ_ASSERT (len <= verify->max_size);
    XC_FUZZ_ASSERT (msg->raw && msg->raw_len == len && memcmp (msg->raw, bytes, len) == 0
                    && msg->raw[len] == 0);
    XC_FUZZ_ASSERT (xc_uuid_valid (msg->id));
    XC_FUZZ_ASSERT (strlen (msg->iss) >= 1 && strlen (msg->aud) >= 1);
    XC_FUZZ_ASSERT (s_type_valid (msg->type));
    XC_FUZZ_ASSERT (!msg->corr[0] || xc_uuid_valid (msg->corr));
    XC_FUZZ_ASSERT (json_is_object (msg->body) && json_is_object (msg->data)
                    && json_object_get (msg->body, "data") == msg->data);
    XC_FUZZ_ASSERT (json_integer_value (json_object_get (msg->body, "v")) == 1);
    static const char *const members[] = { "v", "id", "iss", "aud", "iat", "exp", "type", "corr",
                                           "data" };
    const char *name;
    json_t *member;
    json_object_foreach (msg->body, name, member) {
        size_t i = 0;
        while (i < sizeof members / sizeof members[0] && strcmp (members[i], name) != 0)
            i++;
        XC_FUZZ_ASSERT (i < sizeof members / sizeof members[0]);
    }
    s_check_strings (msg->body);

    /* the key: known, of this issuer, not revoked, valid at the moment that counts */
    const xc_pubkey_t *key = xc_registry_key (verify->registry, msg->kid);
    XC_FUZZ_ASSERT (key && msg->principal == key->owner);
    XC_FUZZ_ASSERT (strcmp (msg->principal->iss, msg->iss) == 0 && !msg->principal->revoked);
    int64_t moment = verify->stored ? msg->iat : verify->now;
    XC_FUZZ_ASSERT (moment >= key->not_before && moment <= key->not_after);
    json_t *body = NULL;
    s_check_frame (bytes, len, msg->kid, key->pk, &body);
    XC_FUZZ_ASSERT (json_equal (body, msg->body));
    json_decref (body);

    if (!verify->stored) {
        XC_FUZZ_ASSERT (strcmp (msg->aud, verify->audience) == 0 && strcmp (msg->aud, "*") != 0);
        XC_FUZZ_ASSERT (msg->iat < msg->exp && msg->exp - msg->iat <= verify->max_lifetime);
        XC_FUZZ_ASSERT (verify->now <= msg->exp);
        XC_FUZZ_ASSERT (msg->iat >= verify->now - verify->skew
                        && msg->iat <= verify->now + verify->skew);
    }
    XC_FUZZ_ASSERT (msg->iat == json_integer_value (json_object_get (msg->body, "iat"))
                    && msg->exp == json_integer_value (json_object_get (msg->body, "exp")));

    /* the inbox's digest: the same message, the same digest */
    unsigned char a[32], b[32];
    xc_msg_digest (msg, a);
    xc_msg_digest (msg, b);
    XC_FUZZ_ASSERT (memcmp (a, b, sizeof a) == 0);
}

xc_code_t
xc_fuzz_open (const char *bytes, size_t len, const xc_verify_t *verify)
{
    xc_msg_t *msg = NULL;
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (xc_envelope_open (bytes, len, verify, &msg, &err) == 0) {
        XC_FUZZ_ASSERT (msg != NULL);
        s_check_msg (msg, bytes, len, verify);
        xc_msg_destroy (&msg);
        XC_FUZZ_ASSERT (msg == NULL);
        return XC_OK;
    }
    XC_FUZZ_ASSERT (msg == NULL);
    XC_FUZZ_ASSERT (err.code >= XC_E_TOO_LARGE && err.code <= XC_E_IAT_SKEW);
    XC_FUZZ_ASSERT (memchr (err.text, 0, sizeof err.text) != NULL);
    XC_FUZZ_ASSERT ((len > verify->max_size) == (err.code == XC_E_TOO_LARGE));
    if (verify->stored)
        XC_FUZZ_ASSERT (err.code != XC_E_WRONG_AUDIENCE && err.code != XC_E_EXPIRED
                        && err.code != XC_E_IAT_SKEW);
    return err.code;
}

/* ------------------------------------------------------------------ the command decoder */

static const xc_field_t s_no_fields[] = { { .name = NULL } };

void
xc_fuzz_decode (const xc_route_t *routes, size_t n, const uint8_t *data, size_t size)
{
    XC_FUZZ_ASSERT (n > 0);
    if (size < 1)
        return;
    const xc_route_t *route = &routes[data[0] % n];
    const xc_field_t *fields = route->schema ? route->schema : s_no_fields;
    /* what xc_envelope_open hands over: an object parsed with duplicate keys refused */
    json_t *object = json_loadb ((const char *) data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object (object)) {
        json_decref (object);
        return;
    }
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (xc_schema_check (object, fields, "data", &err) != 0) {
        XC_FUZZ_ASSERT (err.code == XC_E_SCHEMA);
        XC_FUZZ_ASSERT (strncmp (err.text, "data", 4) == 0);
    }
    else {
        /* what the handler may then rely on: every member known, every required one there */
        const char *key;
        json_t *member;
        json_object_foreach (object, key, member) {
            const xc_field_t *f = fields;
            while (f->name && strcmp (f->name, key) != 0)
                f++;
            XC_FUZZ_ASSERT (f->name != NULL);
        }
        for (const xc_field_t *f = fields; f->name; f++)
            XC_FUZZ_ASSERT (!f->required || json_object_get (object, f->name));
    }
    json_decref (object);
}
