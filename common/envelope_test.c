/*  envelope_test.c: the RFC 8037 vector, sealing, and every check of xc_envelope_open. */
#include "common/envelope.h"

#include "tests/harness.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>

#define NOW 1795000000LL                  /* 2026-11-18 */
#define T2026 1767225600LL                /* 2026-01-01T00:00:00Z */
#define DAY 86400LL
#define ID "0b5a3e1c-9f6d-4c1e-8a41-2f0c6b7d9e10"
#define ID2 "6f1c2d3e-4b5a-4978-8c9d-0e1f2a3b4c5d"

/*  Messages built in a test are kept here and freed by s_fx_end. */
static char *s_pool[1024];
static int s_pooled;

static char *
s_keep (char *text)
{
    if (s_pooled < 1024)
        s_pool[s_pooled++] = text;
    return text;
}

typedef struct {
    char dir[64];
    char path[128];
    xc_registry_t *reg;
    xc_key_t pb1, pb2;                    /* petition-bureau, overlapping validity */
    xc_key_t pb_future, pb_past;          /* petition-bureau, valid from 2030 / until 2020 */
    xc_key_t intake;                      /* another principal */
    xc_key_t gone;                        /* a revoked principal */
    xc_key_t stranger;                    /* not in the registry */
    xc_verify_t v;
} fx_t;

static void
s_key (xc_key_t *key, const char *kid, unsigned char n)
{
    unsigned char seed[32];
    memset (seed, n, sizeof seed);
    xc_key_from_seed (key, kid, seed, NULL);
}

static char *
s_x (const xc_key_t *key)
{
    return s_keep (xc_b64url_encode (key->pk, 32));
}

static void
s_fx (fx_t *fx)
{
    memset (fx, 0, sizeof *fx);
    h_tmpdir (fx->dir, sizeof fx->dir, "envelope");
    snprintf (fx->path, sizeof fx->path, "%s/registry.json", fx->dir);
    s_key (&fx->pb1, "petition-bureau#2026-1", 1);
    s_key (&fx->pb2, "petition-bureau#2026-2", 2);
    s_key (&fx->pb_future, "petition-bureau#2030", 3);
    s_key (&fx->pb_past, "petition-bureau#2019", 4);
    s_key (&fx->intake, "intake#1", 5);
    s_key (&fx->gone, "gone#1", 6);
    s_key (&fx->stranger, "stranger#1", 7);
    const char *key_fmt = "{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"%s\", \"x\": \"%s\", "
                          "\"not_before\": \"%s\", \"not_after\": \"%s\"}";
    char k[6][512];
    snprintf (k[0], sizeof k[0], key_fmt, fx->pb1.kid, s_x (&fx->pb1), "2026-01-01T00:00:00Z",
              "2027-01-31T00:00:00Z");
    snprintf (k[1], sizeof k[1], key_fmt, fx->pb2.kid, s_x (&fx->pb2), "2026-10-01T00:00:00Z",
              "2028-01-31T00:00:00Z");
    snprintf (k[2], sizeof k[2], key_fmt, fx->pb_future.kid, s_x (&fx->pb_future),
              "2030-01-01T00:00:00Z", "2031-01-01T00:00:00Z");
    snprintf (k[3], sizeof k[3], key_fmt, fx->pb_past.kid, s_x (&fx->pb_past),
              "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z");
    snprintf (k[4], sizeof k[4], key_fmt, fx->intake.kid, s_x (&fx->intake),
              "2026-01-01T00:00:00Z", "2028-01-01T00:00:00Z");
    snprintf (k[5], sizeof k[5], key_fmt, fx->gone.kid, s_x (&fx->gone), "2026-01-01T00:00:00Z",
              "2028-01-01T00:00:00Z");
    char text[8192];
    snprintf (text, sizeof text,
              "{\"principals\": ["
              "{\"iss\": \"petition-bureau\", \"role\": \"petition\", \"keys\": [%s, %s, %s, %s]},"
              "{\"iss\": \"intake\", \"role\": \"service\", \"keys\": [%s]},"
              "{\"iss\": \"gone\", \"role\": \"petition\", \"revoked\": true, \"keys\": [%s]}]}",
              k[0], k[1], k[2], k[3], k[4], k[5]);
    FILE *f = fopen (fx->path, "w");
    fputs (text, f);
    fclose (f);
    xc_err_t err = { 0 };
    if (xc_registry_load (fx->path, &fx->reg, &err) != 0) {
        fprintf (stderr, "registry: %s\n", err.text);
        exit (1);
    }
    fx->v = (xc_verify_t) { .registry = fx->reg, .audience = "intake", .now = NOW, .skew = 300,
                            .max_lifetime = 600, .max_size = 256 * 1024, .stored = false };
}

static void
s_fx_end (fx_t *fx)
{
    xc_registry_destroy (&fx->reg);
    h_rmtree (fx->dir);
    for (int i = 0; i < s_pooled; i++)
        free (s_pool[i]);
    s_pooled = 0;
}

/*  {"protected":p,"payload":b,"signature":s} from three base64url strings. */
static char *
s_outer (const char *p, const char *b, const char *s)
{
    size_t size = strlen (p) + strlen (b) + strlen (s) + 64;
    char *out = malloc (size);
    snprintf (out, size, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", p, b,
              s);
    return s_keep (out);
}

static char *
s_b64 (const char *text)
{
    return s_keep (xc_b64url_encode ((const unsigned char *) text, strlen (text)));
}

/*  A message built by hand from header and body texts, with a correct Ed25519 signature by
    key, so that only what the texts get wrong is wrong. */
static char *
s_hand (const xc_key_t *key, const char *header, const char *body)
{
    char *p = s_b64 (header), *b = s_b64 (body);
    return s_outer (p, b, s_keep (xc_jws_sign (key, p, b)));
}

static char *
s_header (const char *alg, const char *kid, const char *typ)
{
    char *h = malloc (512);
    snprintf (h, 512, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"%s\"}", alg, kid, typ);
    return s_keep (h);
}

/*  A body; the test's texts are substituted for ISS, AUD, IAT and EXP. */
static char *
s_body (const char *iss, const char *aud, long long iat, long long exp)
{
    char *b = malloc (512);
    snprintf (b, 512,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%lld,\"exp\":%lld,"
              "\"type\":\"problem.report\",\"corr\":null,\"data\":{\"unit\":\"u1\"}}",
              iss, aud, iat, exp);
    return s_keep (b);
}

/*  A sealed message with default claims. */
static char *
s_seal (const xc_key_t *key, const char *iss, const char *aud, int64_t iat, int64_t exp)
{
    xc_claims_t c = { .id = ID, .iss = iss, .aud = aud, .type = "problem.report",
                      .iat = iat, .exp = exp };
    json_t *data = json_pack ("{s:s, s:i}", "unit", "u1", "count", 3);
    char *out = xc_envelope_seal (key, &c, data, NULL, NULL, NULL);
    json_decref (data);
    return s_keep (out);
}

static xc_code_t
s_open_code (const char *text, const xc_verify_t *v, xc_err_t *err)
{
    xc_msg_t *msg = (xc_msg_t *) 1;
    if (!text)
        return XC_CODE_COUNT;
    int rc = xc_envelope_open (text, strlen (text), v, &msg, err);
    if (rc == 0) {
        xc_msg_destroy (&msg);
        return XC_OK;
    }
    return msg == NULL ? err->code : XC_CODE_COUNT;
}

#define EXPECT(m_, v_, want_)                                                          \
    do {                                                                               \
        xc_err_t e_ = { 0 };                                                           \
        xc_code_t got_ = s_open_code ((m_), (v_), &e_);                                \
        CHECK_INT (got_, want_);                                                       \
        if (got_ != (want_))                                                           \
            fprintf (stderr, "  got %s (%s)\n", xc_code_name (got_), e_.text);         \
    } while (0)

/*  EXPECT, and the error text names the problem. */
#define EXPECT_TEXT(m_, v_, want_, part_)                                              \
    do {                                                                               \
        xc_err_t e_ = { 0 };                                                           \
        xc_code_t got_ = s_open_code ((m_), (v_), &e_);                                \
        CHECK_INT (got_, want_);                                                       \
        if (!strstr (e_.text, part_))                                                  \
            fprintf (stderr, "FAIL %s (%s:%d): '%s' does not contain '%s'\n",          \
                     h_current, __FILE__, __LINE__, e_.text, part_);                   \
        CHECK (strstr (e_.text, part_) != NULL);                                       \
    } while (0)

/*  --------------------------------------------------------------------------------------
    Tests */

/*  RFC 8037 appendix A.4, byte for byte. */
static void
test_rfc8037_vector (void)
{
    unsigned char seed[32];
    CHECK (xc_b64url_decode_exact ("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", seed, 32, NULL)
           == 0);
    xc_key_t key;
    CHECK (xc_key_from_seed (&key, "rfc8037", seed, NULL) == 0);
    char *x = xc_b64url_encode (key.pk, 32);
    CHECK_STR (x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    free (x);
    /* the vector's inputs are what the RFC says they are */
    char *p = xc_b64url_encode ((const unsigned char *) "{\"alg\":\"EdDSA\"}", 15);
    char *b = xc_b64url_encode ((const unsigned char *) "Example of Ed25519 signing", 26);
    CHECK_STR (p, "eyJhbGciOiJFZERTQSJ9");
    CHECK_STR (b, "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
    char *sig = xc_jws_sign (&key, p, b);
    CHECK_STR (sig, "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvp"
                    "Ar_MuM0KAg");
    free (sig);
    free (p);
    free (b);
    xc_key_wipe (&key);
    CHECK (xc_jws_sign (&key, "a", "b") == NULL);     /* no secret, no signature */
}

/*  Proof of possession (xc_verify_t.possession): a key not in the registry, carried in
    data.key, its kid derived from its thumbprint; only for the types listed. */
static void
test_possession (void)
{
    fx_t fx;
    s_fx (&fx);
    static const char *const types[] = { "principal.enroll", NULL };
    char thumb[XC_THUMBPRINT_LEN + 1], kid[XC_KID_MAX];
    xc_key_thumbprint (fx.stranger.pk, thumb);
    snprintf (kid, sizeof kid, "new-person#%.16s", thumb);
    xc_key_t key = fx.stranger;
    snprintf (key.kid, sizeof key.kid, "%s", kid);
    char *x = xc_b64url_encode (key.pk, 32);
    json_t *data = json_pack ("{s:s, s:{s:s, s:s, s:s}}", "code", "ABCD", "key", "kty", "OKP", "crv", "Ed25519", "x", x);
    xc_claims_t c = { .id = ID, .iss = "new-person", .aud = "intake", .type = "principal.enroll",
                      .iat = NOW - 5, .exp = NOW + 295 };
    char *text = xc_envelope_seal (&key, &c, data, NULL, NULL, NULL);
    xc_msg_t *msg = NULL;
    xc_err_t err;
    /* without the list: an unknown kid */
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == -1 && err.code == XC_E_UNKNOWN_KID);
    fx.v.possession = types;
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == 0);
    if (msg) {
        CHECK_STR (msg->principal->role, XC_ROLE_ENROLLEE);
        CHECK_STR (msg->principal->iss, "new-person");
        CHECK_STR (msg->kid, kid);
    }
    xc_msg_destroy (&msg);
    free (text);
    /* another type: not a proof */
    c.type = "problem.report";
    text = xc_envelope_seal (&key, &c, data, NULL, NULL, NULL);
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == -1 && err.code == XC_E_UNKNOWN_KID);
    free (text);
    /* a kid not derived from the key carried */
    c.type = "principal.enroll";
    snprintf (key.kid, sizeof key.kid, "new-person#AAAAAAAAAAAAAAAA");
    text = xc_envelope_seal (&key, &c, data, NULL, NULL, NULL);
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == -1 && err.code == XC_E_UNKNOWN_KID);
    free (text);
    /* the kid of another iss */
    snprintf (key.kid, sizeof key.kid, "someone#%.16s", thumb);
    text = xc_envelope_seal (&key, &c, data, NULL, NULL, NULL);
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == -1 && err.code == XC_E_UNKNOWN_KID);
    free (text);
    /* the key carried, signed by another: bad signature */
    snprintf (fx.pb2.kid, sizeof fx.pb2.kid, "%s", kid);
    text = xc_envelope_seal (&fx.pb2, &c, data, NULL, NULL, NULL);
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == -1 && err.code == XC_E_BAD_SIGNATURE);
    free (text);
    /* no usable key: malformed; none at all: no proof, an unknown kid */
    json_object_set_new (json_object_get (data, "key"), "crv", json_string ("X25519"));
    snprintf (key.kid, sizeof key.kid, "%s", kid);
    text = xc_envelope_seal (&key, &c, data, NULL, NULL, NULL);
    CHECK (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err) == -1 && err.code == XC_E_MALFORMED);
    free (text);
    free (x);
    json_decref (data);
    s_fx_end (&fx);
}

static void
test_good_message (void)
{
    fx_t fx;
    s_fx (&fx);
    xc_claims_t c = { .id = ID, .iss = "petition-bureau", .aud = "intake",
                      .type = "problem.report", .corr = ID2, .iat = NOW - 5, .exp = NOW + 295 };
    json_t *data = json_pack ("{s:s, s:i, s:[s]}", "unit", "u1", "count", 3, "tags", "urgent");
    size_t len = 0;
    char id[XC_UUID_LEN + 1] = "";
    char *text = xc_envelope_seal (&fx.pb1, &c, data, &len, id, NULL);
    CHECK (text != NULL);
    if (!text) {
        json_decref (data);
        s_fx_end (&fx);
        return;
    }
    CHECK_INT (len, strlen (text));
    CHECK_STR (id, ID);

    /* the wire form, exactly */
    json_t *outer = json_loads (text, 0, NULL);
    const char *p = json_string_value (json_object_get (outer, "protected"));
    const char *b = json_string_value (json_object_get (outer, "payload"));
    const char *s = json_string_value (json_object_get (outer, "signature"));
    char expect[1024];
    snprintf (expect, sizeof expect, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
              p, b, s);
    CHECK_STR (text, expect);
    unsigned char *bin;
    size_t blen;
    CHECK (xc_b64url_decode (p, strlen (p), &bin, &blen, NULL) == 0);
    CHECK_STR ((char *) bin, "{\"alg\":\"EdDSA\",\"kid\":\"petition-bureau#2026-1\",\"typ\":\"xc+jws\"}");
    free (bin);
    CHECK (xc_b64url_decode (b, strlen (b), &bin, &blen, NULL) == 0);
    snprintf (expect, sizeof expect,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":\"" ID2 "\","
              "\"data\":{\"unit\":\"u1\",\"count\":3,\"tags\":[\"urgent\"]}}",
              NOW - 5, NOW + 295);
    CHECK_STR ((char *) bin, expect);
    free (bin);
    json_decref (outer);

    xc_msg_t *msg = NULL;
    xc_err_t err = { 0 };
    CHECK (xc_envelope_open (text, len, &fx.v, &msg, &err) == 0);
    CHECK (msg != NULL);
    if (msg) {
        CHECK_STR (msg->kid, "petition-bureau#2026-1");
        CHECK_STR (msg->id, ID);
        CHECK_STR (msg->iss, "petition-bureau");
        CHECK_STR (msg->aud, "intake");
        CHECK_STR (msg->type, "problem.report");
        CHECK_STR (msg->corr, ID2);
        CHECK_INT (msg->iat, NOW - 5);
        CHECK_INT (msg->exp, NOW + 295);
        CHECK (json_equal (msg->data, data));
        CHECK (json_object_get (msg->body, "data") == msg->data);
        CHECK (msg->principal == xc_registry_principal (fx.reg, "petition-bureau"));
        CHECK_STR (msg->principal->role, "petition");
        CHECK_INT (msg->raw_len, len);
        CHECK (msg->raw != text && memcmp (msg->raw, text, len) == 0 && msg->raw[len] == 0);
        xc_msg_destroy (&msg);
        CHECK (msg == NULL);
    }
    free (text);

    /* defaults: a new time-ordered id (the receiver's inbox index then grows at its end),
       corr null, no exp member */
    c = (xc_claims_t) { .iss = "petition-bureau", .aud = "*", .type = "case.opened",
                        .iat = NOW };
    text = xc_envelope_seal (&fx.pb1, &c, data, &len, id, NULL);
    CHECK (xc_uuid_valid (id) && strcmp (id, ID) != 0);
    CHECK (id[14] == '7');
    fx.v.stored = true;
    CHECK (xc_envelope_open (text, len, &fx.v, &msg, &err) == 0);
    if (msg) {
        CHECK_STR (msg->id, id);
        CHECK_STR (msg->corr, "");
        CHECK_INT (msg->exp, 0);
        CHECK (json_object_get (msg->body, "exp") == NULL);
        CHECK (json_is_null (json_object_get (msg->body, "corr")));
        xc_msg_destroy (&msg);
    }
    free (text);

    /* seal refuses what a receiver would refuse */
    c.type = "Case.Opened";
    CHECK (xc_envelope_seal (&fx.pb1, &c, data, NULL, NULL, &err) == NULL);
    CHECK_INT (err.code, XC_E_MALFORMED);
    c.type = "case.opened";
    c.corr = "not-a-uuid";
    CHECK (xc_envelope_seal (&fx.pb1, &c, data, NULL, NULL, &err) == NULL);
    c.corr = NULL;
    json_t *array = json_array ();
    CHECK (xc_envelope_seal (&fx.pb1, &c, array, NULL, NULL, &err) == NULL);
    json_decref (array);
    json_decref (data);
    s_fx_end (&fx);
}

/*  Rotation: two keys of one principal, both valid now. */
static void
test_rotation (void)
{
    fx_t fx;
    s_fx (&fx);
    EXPECT (s_seal (&fx.pb1, "petition-bureau", "intake", NOW, NOW + 60), &fx.v, XC_OK);
    EXPECT (s_seal (&fx.pb2, "petition-bureau", "intake", NOW, NOW + 60), &fx.v, XC_OK);
    EXPECT (s_seal (&fx.intake, "intake", "intake", NOW, NOW + 60), &fx.v, XC_OK);
    s_fx_end (&fx);
}

/*  Replaces one member of a sealed message; returns the new message. */
static char *
s_swap (const char *text, const char *member, const char *value)
{
    json_t *outer = json_loads (text, 0, NULL);
    json_object_set_new (outer, member, json_string (value));
    char *out = s_outer (json_string_value (json_object_get (outer, "protected")),
                         json_string_value (json_object_get (outer, "payload")),
                         json_string_value (json_object_get (outer, "signature")));
    json_decref (outer);
    return out;
}

static void
test_tampered (void)
{
    fx_t fx;
    s_fx (&fx);
    char *good = s_seal (&fx.pb1, "petition-bureau", "intake", NOW, NOW + 60);
    EXPECT (good, &fx.v, XC_OK);

    /* header: alg EdDSA -> Ed25519 is still a valid header, but not the signed one */
    char *p = s_b64 (s_header ("Ed25519", fx.pb1.kid, "xc+jws"));
    EXPECT_TEXT (s_swap (good, "protected", p), &fx.v, XC_E_BAD_SIGNATURE, "does not verify");
    /* control: signed as such, that header is accepted */
    char *b = s_b64 (s_body ("petition-bureau", "intake", NOW, NOW + 60));
    EXPECT (s_outer (p, b, s_keep (xc_jws_sign (&fx.pb1, p, b))), &fx.v, XC_OK);

    /* header: the kid of the other valid key of the same principal */
    p = s_b64 (s_header ("EdDSA", fx.pb2.kid, "xc+jws"));
    EXPECT (s_swap (good, "protected", p), &fx.v, XC_E_BAD_SIGNATURE);

    /* payload: another data value */
    json_t *outer = json_loads (good, 0, NULL);
    const char *pb = json_string_value (json_object_get (outer, "payload"));
    unsigned char *bin;
    size_t len;
    xc_b64url_decode (pb, strlen (pb), &bin, &len, NULL);
    char *at = strstr ((char *) bin, "\"u1\"");
    CHECK (at != NULL);
    if (at)
        at[2] = '2';
    EXPECT (s_swap (good, "payload", s_b64 ((char *) bin)), &fx.v, XC_E_BAD_SIGNATURE);
    free (bin);

    /* signature: one character, a byte short, not base64url */
    char sig[128];
    snprintf (sig, sizeof sig, "%s", json_string_value (json_object_get (outer, "signature")));
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    EXPECT (s_swap (good, "signature", sig), &fx.v, XC_E_BAD_SIGNATURE);
    unsigned char raw[64] = { 0 };
    EXPECT_TEXT (s_swap (good, "signature", s_keep (xc_b64url_encode (raw, 63))), &fx.v,
                 XC_E_BAD_SIGNATURE, "64 bytes");
    EXPECT (s_swap (good, "signature", "!!!!"), &fx.v, XC_E_BAD_SIGNATURE);
    EXPECT (s_swap (good, "signature", ""), &fx.v, XC_E_BAD_SIGNATURE);
    json_decref (outer);
    s_fx_end (&fx);
}

static void
test_audience (void)
{
    fx_t fx;
    s_fx (&fx);
    EXPECT_TEXT (s_seal (&fx.pb1, "petition-bureau", "registry", NOW, NOW + 60), &fx.v,
                 XC_E_WRONG_AUDIENCE, "aud 'registry' is not 'intake'");
    /* a command to "*" could be replayed at every service */
    EXPECT (s_seal (&fx.pb1, "petition-bureau", "*", NOW, NOW + 60), &fx.v,
            XC_E_WRONG_AUDIENCE);
    EXPECT (s_seal (&fx.pb1, "petition-bureau", "Intake", NOW, NOW + 60), &fx.v,
            XC_E_WRONG_AUDIENCE);
    EXPECT (s_seal (&fx.pb1, "petition-bureau", "intake2", NOW, NOW + 60), &fx.v,
            XC_E_WRONG_AUDIENCE);
    s_fx_end (&fx);
}

static void
test_time (void)
{
    fx_t fx;
    s_fx (&fx);
    const char *pb = "petition-bureau";
    /* expired, and at the boundary still good */
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW - 200, NOW - 1), &fx.v, XC_E_EXPIRED);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW - 200, NOW), &fx.v, XC_OK);
    /* iat too far in the past and in the future, and at the boundaries */
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW - 301, NOW + 10), &fx.v, XC_E_IAT_SKEW);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW - 300, NOW + 10), &fx.v, XC_OK);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW + 301, NOW + 400), &fx.v, XC_E_IAT_SKEW);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW + 300, NOW + 400), &fx.v, XC_OK);
    /* exp at most max_lifetime after iat, and after it */
    EXPECT_TEXT (s_seal (&fx.pb1, pb, "intake", NOW, NOW + 601), &fx.v, XC_E_MALFORMED,
                 "at most 600 seconds");
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW, NOW + 600), &fx.v, XC_OK);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW, NOW), &fx.v, XC_E_MALFORMED);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW, NOW - 1), &fx.v, XC_E_MALFORMED);
    /* extreme values neither overflow nor pass */
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", fx.pb1.kid, "xc+jws"),
                    s_body (pb, "intake", -9223372036854775807LL, 9223372036854775807LL)),
            &fx.v, XC_E_MALFORMED);
    s_fx_end (&fx);
}

static void
test_keys (void)
{
    fx_t fx;
    s_fx (&fx);
    const char *pb = "petition-bureau";
    EXPECT_TEXT (s_seal (&fx.stranger, pb, "intake", NOW, NOW + 60), &fx.v, XC_E_UNKNOWN_KID,
                 "stranger#1");
    EXPECT_TEXT (s_seal (&fx.intake, pb, "intake", NOW, NOW + 60), &fx.v, XC_E_KID_ISSUER,
                 "belongs to 'intake'");
    EXPECT (s_seal (&fx.pb1, "intake", "intake", NOW, NOW + 60), &fx.v, XC_E_KID_ISSUER);
    EXPECT (s_seal (&fx.pb_future, pb, "intake", NOW, NOW + 60), &fx.v, XC_E_KEY_NOT_VALID);
    EXPECT (s_seal (&fx.pb_past, pb, "intake", NOW, NOW + 60), &fx.v, XC_E_KEY_NOT_VALID);
    EXPECT_TEXT (s_seal (&fx.gone, "gone", "intake", NOW, NOW + 60), &fx.v, XC_E_KEY_NOT_VALID,
                 "revoked");

    /* the validity window is inclusive at both ends */
    int64_t not_after = T2026 + 395 * DAY;            /* pb1: 2027-01-31T00:00:00Z */
    fx.v.now = not_after;
    EXPECT (s_seal (&fx.pb1, pb, "intake", not_after, not_after + 60), &fx.v, XC_OK);
    fx.v.now = not_after + 1;
    EXPECT (s_seal (&fx.pb1, pb, "intake", not_after + 1, not_after + 60), &fx.v,
            XC_E_KEY_NOT_VALID);
    fx.v.now = T2026;
    EXPECT (s_seal (&fx.pb1, pb, "intake", T2026, T2026 + 60), &fx.v, XC_OK);
    fx.v.now = T2026 - 1;
    EXPECT (s_seal (&fx.pb1, pb, "intake", T2026 - 1, T2026 + 60), &fx.v, XC_E_KEY_NOT_VALID);
    s_fx_end (&fx);
}

static void
test_alg_typ (void)
{
    fx_t fx;
    s_fx (&fx);
    const char *kid = fx.pb1.kid;
    char *body = s_body ("petition-bureau", "intake", NOW, NOW + 60);
    /* controls: both names of the algorithm are accepted */
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", kid, "xc+jws"), body), &fx.v, XC_OK);
    EXPECT (s_hand (&fx.pb1, s_header ("Ed25519", kid, "xc+jws"), body), &fx.v, XC_OK);
    EXPECT_TEXT (s_hand (&fx.pb1, s_header ("none", kid, "xc+jws"), body), &fx.v, XC_E_BAD_ALG,
                 "alg 'none'");
    EXPECT (s_hand (&fx.pb1, s_header ("HS256", kid, "xc+jws"), body), &fx.v, XC_E_BAD_ALG);
    EXPECT (s_hand (&fx.pb1, s_header ("eddsa", kid, "xc+jws"), body), &fx.v, XC_E_BAD_ALG);
    EXPECT (s_hand (&fx.pb1, s_header ("", kid, "xc+jws"), body), &fx.v, XC_E_BAD_ALG);
    EXPECT (s_hand (&fx.pb1, s_header ("", kid, ""), body), &fx.v, XC_E_BAD_ALG);
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", kid, ""), body), &fx.v, XC_E_BAD_TYP);
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", "", "xc+jws"), body), &fx.v, XC_E_UNKNOWN_KID);
    char longkid[300];
    memset (longkid, 'k', 250);
    longkid[250] = 0;
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", longkid, "xc+jws"), body), &fx.v,
            XC_E_UNKNOWN_KID);
    /* alg none with an empty signature, as an attacker would send it */
    char *p = s_b64 (s_header ("none", kid, "xc+jws"));
    EXPECT (s_outer (p, s_b64 (body), ""), &fx.v, XC_E_BAD_ALG);
    EXPECT_TEXT (s_hand (&fx.pb1, "{\"alg\":1,\"kid\":\"x\",\"typ\":\"xc+jws\"}", body),
                 &fx.v, XC_E_MALFORMED, "'alg' must be a string");
    EXPECT_TEXT (s_hand (&fx.pb1, "{\"alg\":\"EdDSA\",\"kid\":null,\"typ\":\"xc+jws\"}", body),
                 &fx.v, XC_E_MALFORMED, "'kid' must be a string");

    EXPECT_TEXT (s_hand (&fx.pb1, s_header ("EdDSA", kid, "JWT"), body), &fx.v, XC_E_BAD_TYP,
                 "typ 'JWT'");
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", kid, "XC+JWS"), body), &fx.v, XC_E_BAD_TYP);
    char h[256];
    snprintf (h, sizeof h, "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", kid);
    EXPECT_TEXT (s_hand (&fx.pb1, h, body), &fx.v, XC_E_MALFORMED, "'typ' is missing");
    snprintf (h, sizeof h, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"xc+jws\",\"jku\":\"x\"}",
              kid);
    EXPECT_TEXT (s_hand (&fx.pb1, h, body), &fx.v, XC_E_MALFORMED, "'jku'");
    snprintf (h, sizeof h, "{\"alg\":\"EdDSA\",\"typ\":\"xc+jws\"}");
    EXPECT_TEXT (s_hand (&fx.pb1, h, body), &fx.v, XC_E_MALFORMED, "'kid' is missing");
    s_fx_end (&fx);
}

static void
test_duplicates (void)
{
    fx_t fx;
    s_fx (&fx);
    const char *kid = fx.pb1.kid;
    char *header = s_header ("EdDSA", kid, "xc+jws");
    char *body = s_body ("petition-bureau", "intake", NOW, NOW + 60);
    char *good = s_hand (&fx.pb1, header, body);
    EXPECT (good, &fx.v, XC_OK);

    /* outer: "protected" twice */
    char *outer = malloc (strlen (good) + 64);
    snprintf (outer, strlen (good) + 64, "{\"protected\":\"e30\",%s", good + 1);
    s_keep (outer);
    EXPECT (outer, &fx.v, XC_E_DUPLICATE_KEY);

    char h[256];
    snprintf (h, sizeof h, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"xc+jws\",\"alg\":\"none\"}",
              kid);
    EXPECT (s_hand (&fx.pb1, h, body), &fx.v, XC_E_DUPLICATE_KEY);

    char b[512];
    snprintf (b, sizeof b,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,"
              "\"data\":{},\"iss\":\"intake\"}", NOW, NOW + 60);
    EXPECT (s_hand (&fx.pb1, header, b), &fx.v, XC_E_DUPLICATE_KEY);
    snprintf (b, sizeof b,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,"
              "\"data\":{\"a\":{\"unit\":\"u1\",\"unit\":\"u2\"}}}", NOW, NOW + 60);
    EXPECT (s_hand (&fx.pb1, header, b), &fx.v, XC_E_DUPLICATE_KEY);
    /* control: the same with distinct keys */
    snprintf (b, sizeof b,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,"
              "\"data\":{\"a\":{\"unit\":\"u1\",\"unit2\":\"u2\"}}}", NOW, NOW + 60);
    EXPECT (s_hand (&fx.pb1, header, b), &fx.v, XC_OK);
    s_fx_end (&fx);
}

static void
test_size_and_json (void)
{
    fx_t fx;
    s_fx (&fx);
    char *good = s_seal (&fx.pb1, "petition-bureau", "intake", NOW, NOW + 60);
    fx.v.max_size = strlen (good);
    EXPECT (good, &fx.v, XC_OK);
    fx.v.max_size = strlen (good) - 1;
    EXPECT (good, &fx.v, XC_E_TOO_LARGE);
    fx.v.max_size = 256 * 1024;

    EXPECT (s_keep (strdup ("not json")), &fx.v, XC_E_MALFORMED);
    EXPECT (s_keep (strdup ("")), &fx.v, XC_E_MALFORMED);
    EXPECT (s_keep (strdup ("[]")), &fx.v, XC_E_MALFORMED);
    EXPECT (s_keep (strdup ("\"x\"")), &fx.v, XC_E_MALFORMED);
    char *trailing = malloc (strlen (good) + 4);
    sprintf (trailing, "%s{}", good);
    EXPECT (s_keep (trailing), &fx.v, XC_E_MALFORMED);
    /* a NUL inside the frame is not JSON */
    xc_err_t err;
    xc_msg_t *msg = NULL;
    size_t len = strlen (good);
    char *nul = s_keep (malloc (len + 2));
    memcpy (nul, good, len);
    nul[len] = 0;
    nul[len + 1] = 0;
    CHECK (xc_envelope_open (nul, len + 1, &fx.v, &msg, &err) == -1);
    CHECK_INT (err.code, XC_E_MALFORMED);
    CHECK (msg == NULL);
    s_fx_end (&fx);
}

static void
test_members (void)
{
    fx_t fx;
    s_fx (&fx);
    char *header = s_header ("EdDSA", fx.pb1.kid, "xc+jws");
    char *p = s_b64 (header);
    char *good_body = s_body ("petition-bureau", "intake", NOW, NOW + 60);
    char *b = s_b64 (good_body);
    char *s = s_keep (xc_jws_sign (&fx.pb1, p, b));
    char text[2048];

    /* outer */
    snprintf (text, sizeof text, "{\"protected\":\"%s\",\"payload\":\"%s\"}", p, b);
    EXPECT_TEXT (text, &fx.v, XC_E_MALFORMED, "'signature'");
    snprintf (text, sizeof text,
              "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\",\"header\":{}}", p,
              b, s);
    EXPECT_TEXT (text, &fx.v, XC_E_MALFORMED, "'header'");
    snprintf (text, sizeof text, "{\"protected\":1,\"payload\":\"%s\",\"signature\":\"%s\"}", b,
              s);
    EXPECT_TEXT (text, &fx.v, XC_E_MALFORMED, "'protected'");

    /* protected and payload must decode to objects */
    EXPECT (s_hand (&fx.pb1, "[1]", good_body), &fx.v, XC_E_MALFORMED);
    EXPECT (s_hand (&fx.pb1, header, "[1]"), &fx.v, XC_E_MALFORMED);
    EXPECT (s_hand (&fx.pb1, header, "Example of Ed25519 signing"), &fx.v, XC_E_MALFORMED);

    /* body members, each wrong in one way */
    struct {
        const char *body, *part;
    } cases[] = {
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"corr\":null,\"data\":{}}", "'type' is missing" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{},\"x\":1}", "'x'" },
        { "{\"v\":2,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'v'" },
        { "{\"v\":\"1\",\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'v'" },
        { "{\"v\":1.0,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'v'" },
        { "{\"v\":1,\"id\":\"not-a-uuid\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'id'" },
        { "{\"v\":1,\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'id' is missing" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'iss'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":"
          "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'aud'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":7,\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'aud'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"Problem.Report\",\"corr\":null,\"data\":{}}", "'type'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a-b\",\"corr\":null,\"data\":{}}", "'type'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":\"@IAT\","
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'iat'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT.5,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'iat'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'exp' is missing" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":null,\"type\":\"a.b\",\"corr\":null,\"data\":{}}", "'exp'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":5,\"data\":{}}", "'corr'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":\"x\",\"data\":{}}", "'corr'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null,\"data\":[]}", "'data'" },
        { "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\",\"iat\":@IAT,"
          "\"exp\":@EXP,\"type\":\"a.b\",\"corr\":null}", "'data' is missing" },
        { NULL, NULL }
    };
    for (int i = 0; cases[i].body; i++) {
        /* @IAT and @EXP become NOW and NOW + 60 */
        char body[1024] = "";
        const char *from = cases[i].body;
        size_t n = 0;
        while (*from && n < sizeof body - 32) {
            if (strncmp (from, "@IAT", 4) == 0) {
                n += (size_t) snprintf (body + n, sizeof body - n, "%lld", NOW);
                from += 4;
            }
            else if (strncmp (from, "@EXP", 4) == 0) {
                n += (size_t) snprintf (body + n, sizeof body - n, "%lld", NOW + 60);
                from += 4;
            }
            else
                body[n++] = *from++;
        }
        body[n] = 0;
        EXPECT_TEXT (s_hand (&fx.pb1, header, body), &fx.v, XC_E_MALFORMED, cases[i].part);
    }
    /* control: corr may be absent, or a UUID */
    char body[512];
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"a.b\",\"data\":{}}", NOW, NOW + 60);
    EXPECT (s_hand (&fx.pb1, header, body), &fx.v, XC_OK);
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"a.b\",\"corr\":\"" ID2 "\",\"data\":{}}",
              NOW, NOW + 60);
    EXPECT (s_hand (&fx.pb1, header, body), &fx.v, XC_OK);
    s_fx_end (&fx);
}

static void
test_base64 (void)
{
    fx_t fx;
    s_fx (&fx);
    char *p = s_b64 (s_header ("EdDSA", fx.pb1.kid, "xc+jws"));
    char *b = s_b64 (s_body ("petition-bureau", "intake", NOW, NOW + 60));
    char *s = s_keep (xc_jws_sign (&fx.pb1, p, b));
    EXPECT (s_outer (p, b, s), &fx.v, XC_OK);
    char bad[2048];
    snprintf (bad, sizeof bad, "%s=", p);                     /* padding */
    EXPECT_TEXT (s_outer (bad, b, s), &fx.v, XC_E_MALFORMED, "'protected' is not base64url");
    snprintf (bad, sizeof bad, "%s", p);
    bad[3] = '+';                                              /* standard alphabet */
    EXPECT (s_outer (bad, b, s), &fx.v, XC_E_MALFORMED);
    snprintf (bad, sizeof bad, "%s", b);
    bad[5] = '!';
    EXPECT_TEXT (s_outer (p, bad, s), &fx.v, XC_E_MALFORMED, "'payload' is not base64url");
    EXPECT (s_outer (p, "", s), &fx.v, XC_E_MALFORMED);
    s_fx_end (&fx);
}

typedef struct {
    const char *text;
    const xc_verify_t *v;
    xc_code_t code;
} s_empty_args_t;

static void *
s_open_on_thread (void *arg)
{
    s_empty_args_t *args = arg;
    xc_err_t err = { 0 };
    args->code = s_open_code (args->text, args->v, &err);
    return NULL;
}

/*  The outer object in the form the suite writes is read without jansson, any other form
    with it: both give the same verdicts. And a protected header seen before is not decoded
    again, which must never give one header's kid to another. */
static void
test_outer_forms (void)
{
    fx_t fx;
    s_fx (&fx);
    char *p = s_b64 (s_header ("EdDSA", fx.pb1.kid, "xc+jws"));
    char *b = s_b64 (s_body ("petition-bureau", "intake", NOW, NOW + 60));
    char *s = s_keep (xc_jws_sign (&fx.pb1, p, b));
    char text[2048];
    const char *forms[] = {
        "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
        " {\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
        "{\"protected\": \"%s\", \"payload\": \"%s\", \"signature\": \"%s\"}\n",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        snprintf (text, sizeof text, forms[i], p, b, s);
        EXPECT (text, &fx.v, XC_OK);
    }
    snprintf (text, sizeof text, "{\"payload\":\"%s\",\"signature\":\"%s\",\"protected\":\"%s\"}",
              b, s, p);
    EXPECT (text, &fx.v, XC_OK);
    /* an escaped character in a value: the value is what it stands for */
    snprintf (text, sizeof text,
              "{\"protected\":\"%s\",\"payload\":\"\\u%04x%s\",\"signature\":\"%s\"}", p,
              (unsigned) b[0], b + 1, s);
    EXPECT (text, &fx.v, XC_OK);
    /* the compact form cut short, or with something after it */
    snprintf (text, sizeof text, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"", p, b, s);
    EXPECT (text, &fx.v, XC_E_MALFORMED);
    snprintf (text, sizeof text, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}x", p, b,
              s);
    EXPECT (text, &fx.v, XC_E_MALFORMED);
    snprintf (text, sizeof text, "{\"protected\":\"%s\",\"payload\":\"%s=\",\"signature\":\"%s\"}", p, b,
              s);
    EXPECT_TEXT (text, &fx.v, XC_E_MALFORMED, "'payload' is not base64url");
    /* no NUL in any value */
    snprintf (text, sizeof text,
              "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\\u0000x\"}", p, b, s);
    EXPECT (text, &fx.v, XC_E_MALFORMED);

    /* two kids of the same length, one after the other: each message keeps its own */
    CHECK_INT (strlen (fx.pb1.kid), strlen (fx.pb2.kid));
    for (int round = 0; round < 3; round++) {
        const xc_key_t *key = round % 2 ? &fx.pb2 : &fx.pb1;
        char *msg = s_seal (key, "petition-bureau", "intake", NOW, NOW + 60);
        xc_msg_t *opened = NULL;
        xc_err_t err = { 0 };
        CHECK_INT (xc_envelope_open (msg, strlen (msg), &fx.v, &opened, &err), 0);
        if (opened)
            CHECK_STR (opened->kid, key->kid);
        xc_msg_destroy (&opened);
    }
    /* an empty header is no header seen good: on a thread whose cache is still empty (an empty
       slot is not a match), and on this one */
    s_empty_args_t args = { .text = s_outer ("", b, s), .v = &fx.v, .code = XC_OK };
    pthread_t thread;
    CHECK_INT (pthread_create (&thread, NULL, s_open_on_thread, &args), 0);
    pthread_join (thread, NULL);
    CHECK_INT (args.code, XC_E_MALFORMED);
    EXPECT_TEXT (args.text, &fx.v, XC_E_MALFORMED, "protected");
    /* a header seen good, then a bad one of the same length */
    char *bad = s_b64 (s_header ("EdDSB", fx.pb1.kid, "xc+jws"));
    CHECK_INT (strlen (bad), strlen (p));
    EXPECT (s_outer (bad, b, s_keep (xc_jws_sign (&fx.pb1, bad, b))), &fx.v, XC_E_BAD_ALG);
    EXPECT (s_outer (p, b, s), &fx.v, XC_OK);
    s_fx_end (&fx);
}

/*  The body is written as text: the same bytes jansson wrote from the members in their order,
    with data as a value or as its text. */
static void
test_body_text (void)
{
    fx_t fx;
    s_fx (&fx);
    json_t *data = json_pack ("{s:s, s:[i, n], s:{}}", "summary", "某镇 \"quoted\"\n", "list", -7,
                              "empty");
    xc_claims_t claims[] = {
        { .id = ID, .iss = "petition-bureau", .aud = "intake", .type = "problem.report",
          .corr = ID2, .iat = NOW, .exp = NOW + 60 },
        { .id = ID, .iss = "intake", .aud = "*", .type = "problem.recorded", .iat = NOW },
    };
    for (int i = 0; i < 2; i++) {
        const xc_claims_t *c = &claims[i];
        json_t *body = json_pack ("{s:i, s:s, s:s, s:s, s:I}", "v", 1, "id", c->id, "iss", c->iss,
                                  "aud", c->aud, "iat", (json_int_t) c->iat);
        if (c->exp)
            json_object_set_new (body, "exp", json_integer (c->exp));
        json_object_set_new (body, "type", json_string (c->type));
        json_object_set_new (body, "corr", c->corr ? json_string (c->corr) : json_null ());
        json_object_set (body, "data", data);
        char *want = json_dumps (body, JSON_COMPACT);
        char *data_text = json_dumps (data, JSON_COMPACT);
        xc_sealing_t a, b;
        CHECK_INT (xc_envelope_prepare (&fx.pb1, c, data, &a, NULL), 0);
        CHECK_INT (xc_envelope_prepare_text (&fx.pb1, c, data_text, &b, NULL), 0);
        unsigned char *got = NULL;
        size_t len = 0;
        const char *payload = a.input ? a.input + a.protected_len + 1 : NULL;
        CHECK (payload && a.input[a.protected_len] == '.'
               && xc_b64url_decode (payload, strlen (payload), &got, &len, NULL) == 0);
        CHECK (got && strcmp ((char *) got, want) == 0);
        CHECK (a.input && b.input && strcmp (a.input, b.input) == 0
               && a.input_len == strlen (a.input));
        free (got);
        xc_sealing_clear (&a);
        xc_sealing_clear (&b);
        free (want);
        free (data_text);
        json_decref (body);
    }
    /* what jansson refused to hold, refused here too */
    xc_sealing_t s;
    xc_claims_t bad = claims[1];
    bad.aud = "\xc0\x80";
    CHECK_INT (xc_envelope_prepare (&fx.pb1, &bad, data, &s, NULL), -1);
    CHECK_INT (xc_envelope_prepare_text (&fx.pb1, &claims[1], "[1]", &s, NULL), -1);
    json_decref (data);
    s_fx_end (&fx);
}

/*  Stored events: no exp, aud "*", the key judged at iat. */
static void
test_stored (void)
{
    fx_t fx;
    s_fx (&fx);
    xc_verify_t stored = fx.v;
    stored.stored = true;
    stored.audience = NULL;
    const char *pb = "petition-bureau";
    int64_t feb = T2026 + 31 * DAY;
    char *event = s_seal (&fx.pb1, pb, "*", feb, 0);
    EXPECT (event, &stored, XC_OK);
    EXPECT_TEXT (event, &fx.v, XC_E_MALFORMED, "'exp' is missing");    /* not as a command */
    /* a key long expired now, valid when it signed */
    char *old = s_seal (&fx.pb_past, pb, "*", T2026 - 2400 * DAY, 0);    /* mid 2019 */
    EXPECT (old, &stored, XC_OK);
    stored.now = T2026 - 2400 * DAY;
    EXPECT (old, &stored, XC_OK);
    stored.now = NOW;
    /* signed by pb2 at a time before pb2 was valid */
    EXPECT (s_seal (&fx.pb2, pb, "*", feb, 0), &stored, XC_E_KEY_NOT_VALID);
    /* a command stored with its exp opens too; its signature still counts */
    char *cmd = s_seal (&fx.pb1, pb, "intake", feb, feb + 60);
    EXPECT (cmd, &stored, XC_OK);
    EXPECT (s_swap (cmd, "signature", s_keep (xc_jws_sign (&fx.pb2, "a", "b"))), &stored,
            XC_E_BAD_SIGNATURE);
    EXPECT (s_seal (&fx.gone, "gone", "*", feb, 0), &stored, XC_E_KEY_NOT_VALID);
    s_fx_end (&fx);
}

/*  With several faults, the first check in the documented order reports. */
static void
test_order (void)
{
    fx_t fx;
    s_fx (&fx);
    const char *pb = "petition-bureau";
    char *good_body = s_body (pb, "intake", NOW, NOW + 60);

    /* too large before not JSON */
    char *junk = s_keep (strdup ("not json at all"));
    fx.v.max_size = 4;
    EXPECT (junk, &fx.v, XC_E_TOO_LARGE);
    fx.v.max_size = 256 * 1024;
    /* duplicate key before bad alg */
    char h[256];
    snprintf (h, sizeof h, "{\"alg\":\"none\",\"kid\":\"x\",\"typ\":\"xc+jws\",\"kid\":\"y\"}");
    EXPECT (s_hand (&fx.pb1, h, good_body), &fx.v, XC_E_DUPLICATE_KEY);
    /* bad alg before bad typ, bad typ before a malformed body */
    EXPECT (s_hand (&fx.pb1, s_header ("none", fx.pb1.kid, "JWT"), good_body), &fx.v,
            XC_E_BAD_ALG);
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", fx.pb1.kid, "JWT"), "{\"v\":2}"), &fx.v,
            XC_E_BAD_TYP);
    /* malformed body before unknown kid */
    EXPECT (s_hand (&fx.stranger, s_header ("EdDSA", fx.stranger.kid, "xc+jws"), "{\"v\":2}"),
            &fx.v, XC_E_MALFORMED);
    /* unknown kid before bad signature (signed by another key) */
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", fx.stranger.kid, "xc+jws"), good_body), &fx.v,
            XC_E_UNKNOWN_KID);
    /* kid of another issuer before key validity and signature */
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", fx.intake.kid, "xc+jws"), good_body), &fx.v,
            XC_E_KID_ISSUER);
    /* key not valid before bad signature */
    EXPECT (s_hand (&fx.pb1, s_header ("EdDSA", fx.pb_past.kid, "xc+jws"), good_body), &fx.v,
            XC_E_KEY_NOT_VALID);
    /* bad signature before wrong audience */
    EXPECT (s_hand (&fx.pb2, s_header ("EdDSA", fx.pb1.kid, "xc+jws"),
                    s_body (pb, "registry", NOW, NOW + 60)),
            &fx.v, XC_E_BAD_SIGNATURE);
    /* wrong audience before expired and a bad lifetime */
    EXPECT (s_seal (&fx.pb1, pb, "registry", NOW - 100, NOW - 50), &fx.v, XC_E_WRONG_AUDIENCE);
    EXPECT (s_seal (&fx.pb1, pb, "registry", NOW, NOW + 6000), &fx.v, XC_E_WRONG_AUDIENCE);
    /* a bad lifetime before expired, expired before iat skew */
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW - 5000, NOW - 10), &fx.v, XC_E_MALFORMED);
    EXPECT (s_seal (&fx.pb1, pb, "intake", NOW - 1000, NOW - 500), &fx.v, XC_E_EXPIRED);
    s_fx_end (&fx);
}

static void
test_digest (void)
{
    fx_t fx;
    s_fx (&fx);
    xc_claims_t c = { .id = ID, .iss = "petition-bureau", .aud = "intake", .type = "problem.report",
                      .iat = NOW, .exp = NOW + 60 };
    json_t *data = json_pack ("{s:s, s:i}", "b", "x", "a", 1);    /* not in sorted order */
    unsigned char d1[32], d2[32], d3[32], d4[32], expect[32];
    xc_msg_t *m = NULL;
    xc_err_t err;

    char *t = s_keep (xc_envelope_seal (&fx.pb1, &c, data, NULL, NULL, NULL));
    CHECK (xc_envelope_open (t, strlen (t), &fx.v, &m, &err) == 0);
    if (m)
        xc_msg_digest (m, d1);
    xc_msg_destroy (&m);
    const char *canon = "{\"aud\":\"intake\",\"data\":{\"a\":1,\"b\":\"x\"},\"type\":\"problem.report\"}";
    crypto_hash_sha256 (expect, (const unsigned char *) canon, strlen (canon));
    CHECK (memcmp (d1, expect, 32) == 0);

    /* a retry: another id, iat and exp, another key of the signer: the same digest */
    c.id = ID2;
    c.iat = NOW - 10;
    c.exp = NOW + 100;
    t = s_keep (xc_envelope_seal (&fx.pb2, &c, data, NULL, NULL, NULL));
    CHECK (xc_envelope_open (t, strlen (t), &fx.v, &m, &err) == 0);
    if (m)
        xc_msg_digest (m, d2);
    xc_msg_destroy (&m);
    CHECK (memcmp (d1, d2, 32) == 0);

    /* another body: another digest */
    json_object_set_new (data, "a", json_integer (2));
    t = s_keep (xc_envelope_seal (&fx.pb1, &c, data, NULL, NULL, NULL));
    CHECK (xc_envelope_open (t, strlen (t), &fx.v, &m, &err) == 0);
    if (m)
        xc_msg_digest (m, d3);
    xc_msg_destroy (&m);
    CHECK (memcmp (d1, d3, 32) != 0);

    json_object_set_new (data, "a", json_integer (1));
    c.type = "problem.close";
    t = s_keep (xc_envelope_seal (&fx.pb1, &c, data, NULL, NULL, NULL));
    CHECK (xc_envelope_open (t, strlen (t), &fx.v, &m, &err) == 0);
    if (m)
        xc_msg_digest (m, d4);
    xc_msg_destroy (&m);
    CHECK (memcmp (d1, d4, 32) != 0);
    json_decref (data);
    s_fx_end (&fx);
}

/*  Ids are kept in lower case (they compare case-insensitively); a number out of range in data
    is named for the schema check with defer_range, and malformed without it or outside data;
    the texts speak the protocol's words. */
static void
test_ids_and_ranges (void)
{
    fx_t fx;
    s_fx (&fx);
    const char *hdr = s_header ("EdDSA", fx.pb1.kid, "xc+jws");
    char body[512];
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"0B5A3E1C-9F6D-4C1E-8A41-2F0C6B7D9E10\",\"iss\":\"petition-bureau\","
              "\"aud\":\"intake\",\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\","
              "\"corr\":\"6F1C2D3E-4b5a-4978-8C9D-0E1F2A3B4C5D\",\"data\":{\"unit\":\"u1\"}}",
              NOW, NOW + 60);
    const char *text = s_hand (&fx.pb1, hdr, body);
    xc_msg_t *msg = NULL;
    xc_err_t err;
    CHECK_INT (xc_envelope_open (text, strlen (text), &fx.v, &msg, &err), 0);
    if (msg) {
        CHECK_STR (msg->id, ID);
        CHECK_STR (msg->corr, ID2);
        CHECK_STR (msg->out_of_range, "");
    }
    xc_msg_destroy (&msg);

    /* 2^63 in data.list[1].after: null there, named; refused as malformed without defer */
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,"
              "\"data\":{\"unit\":\"u1\",\"list\":[{},{\"after\":9223372036854775808}],"
              "\"n\":-9223372036854775809,\"r\":1e400}}", NOW, NOW + 60);
    text = s_hand (&fx.pb1, hdr, body);
    EXPECT_TEXT (text, &fx.v, XC_E_MALFORMED,
                 "payload member 'data.list[1].after': integer out of range (int64)");
    xc_verify_t deferred = fx.v;
    deferred.defer_range = true;
    CHECK_INT (xc_envelope_open (text, strlen (text), &deferred, &msg, &err), 0);
    if (msg) {
        CHECK_STR (msg->out_of_range, "data.list[1].after: integer out of range (int64)");
        json_t *list = json_object_get (msg->data, "list");
        CHECK (json_is_null (json_object_get (json_array_get (list, 1), "after")));
        CHECK (json_is_null (json_object_get (msg->data, "n")));
        CHECK (json_is_null (json_object_get (msg->data, "r")));
    }
    xc_msg_destroy (&msg);
    /* the largest and smallest int64 are in range */
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,"
              "\"data\":{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"c\":1e-400}}",
              NOW, NOW + 60);
    text = s_hand (&fx.pb1, hdr, body);
    CHECK_INT (xc_envelope_open (text, strlen (text), &deferred, &msg, &err), 0);
    if (msg)
        CHECK_STR (msg->out_of_range, "");
    xc_msg_destroy (&msg);
    /* outside data: the envelope itself is unreadable */
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":18446744073709551616,\"exp\":%lld,\"type\":\"problem.report\","
              "\"corr\":null,\"data\":{}}", NOW + 60);
    text = s_hand (&fx.pb1, hdr, body);
    EXPECT_TEXT (text, &deferred, XC_E_MALFORMED, "payload member 'iat': integer out of range (int64)");

    /* an id in braces or as a URN is no UUID here */
    const char *forms[] = { "{" ID "}", "urn:uuid:" ID };
    for (int i = 0; i < 2; i++) {
        snprintf (body, sizeof body,
                  "{\"v\":1,\"id\":\"%s\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
                  "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,"
                  "\"data\":{}}", forms[i], NOW, NOW + 60);
        text = s_hand (&fx.pb1, hdr, body);
        EXPECT_TEXT (text, &fx.v, XC_E_MALFORMED, "'id' must be a UUID: 8-4-4-4-12 hex digits");
    }

    /* the texts: no library's words */
    const char *bodies[] = {
        "{\"v\":1,\"id\":\"" ID "\",\"data\":{\"a\":\"x\\u0000y\"}}",
        "\xef\xbb\xbf{\"v\":1,\"id\":\"" ID "\",\"data\":{}}",
        "{\"v\":1,\"id\":\"" ID "\",\"data\":{\"a\":\"\\ud800\"}}",
        "{\"v\":1,\"id\":\"" ID "\",\"data\":{\"a\":\"\xff\"}}",
        "{\"v\":1,\"id\":\"" ID "\",\"data\":{\"a\":1,\"a\":2}}",
        "{\"v\":1,\"id\":\"" ID "\",\"data\":{\"a\":1}",
    };
    const char *words[] = { "\\u0000", "byte order mark", "lone surrogate", "UTF-8", "twice",
                            "ends before" };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        text = s_hand (&fx.pb1, hdr, bodies[i]);
        xc_err_t e = { 0 };
        s_open_code (text, &deferred, &e);
        CHECK (strstr (e.text, words[i]) != NULL);
        CHECK (!strstr (e.text, "JSON_") && !strstr (e.text, "jansson")
               && !strstr (e.text, "too big"));
        if (!strstr (e.text, words[i]))
            fprintf (stderr, "  text: %s\n", e.text);
    }
    /* one second is a second */
    xc_verify_t late = fx.v;
    late.now = NOW + 61;
    snprintf (body, sizeof body,
              "{\"v\":1,\"id\":\"" ID "\",\"iss\":\"petition-bureau\",\"aud\":\"intake\","
              "\"iat\":%lld,\"exp\":%lld,\"type\":\"problem.report\",\"corr\":null,\"data\":{}}",
              NOW, NOW + 60);
    text = s_hand (&fx.pb1, hdr, body);
    EXPECT_TEXT (text, &late, XC_E_EXPIRED, "expired 1 second ago");
    s_fx_end (&fx);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    RUN (test_rfc8037_vector);
    RUN (test_good_message);
    RUN (test_possession);
    RUN (test_rotation);
    RUN (test_tampered);
    RUN (test_audience);
    RUN (test_time);
    RUN (test_keys);
    RUN (test_alg_typ);
    RUN (test_duplicates);
    RUN (test_size_and_json);
    RUN (test_members);
    RUN (test_base64);
    RUN (test_outer_forms);
    RUN (test_body_text);
    RUN (test_stored);
    RUN (test_order);
    RUN (test_digest);
    RUN (test_ids_and_ranges);
    HARNESS_END ();
}
