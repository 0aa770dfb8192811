/*  keys_test.c: JWK files, the registry and its refresh, CURVE keypairs. A temp folder per
    test, removed with its files at the end. */
#include "common/keys.h"

#include "common/codec.h"
#include "tests/harness.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static void
s_write (const char *path, const char *text, mode_t mode)
{
    unlink (path);
    FILE *f = fopen (path, "w");
    if (!f) {
        perror (path);
        exit (1);
    }
    fputs (text, f);
    fclose (f);
    chmod (path, mode);
}

/*  Writes text to path through a temporary file and rename, as an editor or xcctl would. */
static void
s_replace (const char *path, const char *text)
{
    char tmp[512];
    snprintf (tmp, sizeof tmp, "%s.new", path);
    s_write (tmp, text, 0644);
    rename (tmp, path);
}

static bool
s_contains (const char *text, const char *part)
{
    return strstr (text, part) != NULL;
}

/*  --------------------------------------------------------------------------------------
    JWK files */

static void
test_jwk_roundtrip (void)
{
    char dir[64], path[128];
    h_tmpdir (dir, sizeof dir, "keys");
    snprintf (path, sizeof path, "%s/signing.jwk", dir);
    xc_key_t key, back;
    xc_err_t err = { 0 };
    CHECK (xc_key_generate (&key, "petition-bureau#2026-1", &err) == 0);
    CHECK (xc_key_save_jwk (&key, path, &err) == 0);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK (xc_key_load_jwk (&back, path, &err) == 0);
    CHECK_STR (back.kid, "petition-bureau#2026-1");
    CHECK (memcmp (back.pk, key.pk, 32) == 0);
    CHECK (memcmp (back.sk, key.sk, 64) == 0);
    CHECK (back.has_secret);

    json_t *pub = xc_key_public_jwk (&key);
    CHECK (json_object_size (pub) == 4);
    CHECK_STR (json_string_value (json_object_get (pub, "kty")), "OKP");
    CHECK_STR (json_string_value (json_object_get (pub, "crv")), "Ed25519");
    CHECK_STR (json_string_value (json_object_get (pub, "kid")), "petition-bureau#2026-1");
    unsigned char x[32];
    CHECK (xc_b64url_decode_exact (json_string_value (json_object_get (pub, "x")), x, 32, NULL)
           == 0);
    CHECK (memcmp (x, key.pk, 32) == 0);
    CHECK (json_object_get (pub, "d") == NULL);
    json_decref (pub);

    xc_key_wipe (&back);
    CHECK (!back.has_secret);
    unsigned char zero[64] = { 0 };
    CHECK (memcmp (back.sk, zero, 64) == 0);

    /* a kid with a quote survives JSON escaping */
    snprintf (path, sizeof path, "%s/quoted.jwk", dir);
    CHECK (xc_key_generate (&key, "a \"quoted\" \\ kid", &err) == 0);
    CHECK (xc_key_save_jwk (&key, path, &err) == 0);
    CHECK (xc_key_load_jwk (&back, path, &err) == 0);
    CHECK_STR (back.kid, "a \"quoted\" \\ kid");
    h_rmtree (dir);
}

static void
test_jwk_mode_refused (void)
{
    char dir[64], path[128];
    h_tmpdir (dir, sizeof dir, "keys");
    snprintf (path, sizeof path, "%s/signing.jwk", dir);
    xc_key_t key, back;
    xc_err_t err = { 0 };
    CHECK (xc_key_generate (&key, "k1", &err) == 0);
    CHECK (xc_key_save_jwk (&key, path, &err) == 0);
    chmod (path, 0644);
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK (s_contains (err.text, "is readable by others; chmod 600"));
    CHECK (s_contains (err.text, path));
    CHECK (!back.has_secret);
    chmod (path, 0620);                  /* group write is refused too */
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    chmod (path, 0400);
    CHECK (xc_key_load_jwk (&back, path, &err) == 0);
    h_rmtree (dir);
}

static void
test_jwk_overwrite_refused (void)
{
    char dir[64], path[128];
    h_tmpdir (dir, sizeof dir, "keys");
    snprintf (path, sizeof path, "%s/signing.jwk", dir);
    xc_key_t first, second, back;
    xc_err_t err = { 0 };
    CHECK (xc_key_generate (&first, "k1", &err) == 0);
    CHECK (xc_key_generate (&second, "k2", &err) == 0);
    CHECK (xc_key_save_jwk (&first, path, &err) == 0);
    CHECK (xc_key_save_jwk (&second, path, &err) == -1);
    CHECK_INT (err.code, XC_E_IO);
    CHECK (s_contains (err.text, "refusing to overwrite"));
    CHECK (xc_key_load_jwk (&back, path, &err) == 0);
    CHECK_STR (back.kid, "k1");
    CHECK (memcmp (back.pk, first.pk, 32) == 0);
    /* nothing to save without the secret */
    xc_key_wipe (&second);
    snprintf (path, sizeof path, "%s/other.jwk", dir);
    CHECK (xc_key_save_jwk (&second, path, &err) == -1);
    CHECK (access (path, F_OK) != 0);
    h_rmtree (dir);
}

/*  Writes a JWK by hand from parts, mode 0600. */
static void
s_write_jwk (const char *path, const char *kid, const xc_key_t *xkey, const xc_key_t *dkey,
             const char *extra)
{
    char *x = xc_b64url_encode (xkey->pk, 32);
    char *d = xc_b64url_encode (dkey->sk, 32);
    char text[1024];
    snprintf (text, sizeof text,
              "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"%s\",\"x\":\"%s\",\"d\":\"%s\"%s}",
              kid, x, d, extra);
    s_write (path, text, 0600);
    free (x);
    free (d);
}

static void
test_jwk_checks (void)
{
    char dir[64], path[128];
    h_tmpdir (dir, sizeof dir, "keys");
    snprintf (path, sizeof path, "%s/k.jwk", dir);
    xc_key_t a, b, back;
    xc_err_t err = { 0 };
    xc_key_generate (&a, "a", NULL);
    xc_key_generate (&b, "b", NULL);

    s_write_jwk (path, "a", &a, &a, "");             /* control: the hand-written form loads */
    CHECK (xc_key_load_jwk (&back, path, &err) == 0);
    CHECK (memcmp (back.sk, a.sk, 64) == 0);

    s_write_jwk (path, "a", &b, &a, "");             /* x of b, d of a */
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK (s_contains (err.text, "d does not derive x"));
    CHECK (!back.has_secret);

    s_write_jwk (path, "a", &a, &a, ",\"use\":\"sig\"");
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "use: unknown key"));

    s_write_jwk (path, "a", &a, &a, ",\"kid\":\"b\"");
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "duplicate"));

    s_write_jwk (path, "tab\\there", &a, &a, "");
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "kid"));

    char longkid[200];
    memset (longkid, 'k', 128);
    longkid[128] = 0;
    s_write_jwk (path, longkid, &a, &a, "");
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "kid"));
    longkid[127] = 0;                                /* 127 bytes is the longest allowed */
    s_write_jwk (path, longkid, &a, &a, "");
    CHECK (xc_key_load_jwk (&back, path, &err) == 0);

    s_write (path, "{\"kty\":\"EC\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"AA\",\"d\":\"AA\"}",
             0600);
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "kty"));

    char *x = xc_b64url_encode (a.pk, 32);
    char *d31 = xc_b64url_encode (a.sk, 31);
    char text[512];
    snprintf (text, sizeof text,
              "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"%s\",\"d\":\"%s\"}", x,
              d31);
    s_write (path, text, 0600);
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "d: expected 32 bytes"));
    snprintf (text, sizeof text,
              "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"a\",\"x\":\"%s\"}", x);
    s_write (path, text, 0600);
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "d: missing"));
    free (x);
    free (d31);

    s_write (path, "not json", 0600);
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    snprintf (path, sizeof path, "%s/absent.jwk", dir);
    CHECK (xc_key_load_jwk (&back, path, &err) == -1);
    CHECK_INT (err.code, XC_E_IO);
    CHECK (xc_key_generate (&back, "", &err) == -1);
    h_rmtree (dir);
}

/*  RFC 8037 appendix A.1: the seed d gives the public key x. */
static void
test_rfc8037_key (void)
{
    unsigned char seed[32];
    CHECK (xc_b64url_decode_exact ("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A", seed, 32, NULL)
           == 0);
    xc_key_t key;
    CHECK (xc_key_from_seed (&key, "rfc8037", seed, NULL) == 0);
    char *x = xc_b64url_encode (key.pk, 32);
    CHECK_STR (x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    free (x);
}

/*  RFC 8037 appendix A.3: the RFC 7638 thumbprint of that key. */
static void
test_thumbprint (void)
{
    unsigned char pk[32];
    CHECK (xc_b64url_decode_exact ("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", pk, 32, NULL) == 0);
    char thumb[XC_THUMBPRINT_LEN + 1];
    xc_key_thumbprint (pk, thumb);
    CHECK_STR (thumb, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

/*  --------------------------------------------------------------------------------------
    Registry */

typedef struct {
    char dir[64];
    char path[128];
    char x1[64], x2[64], x3[64];      /* base64url public keys */
    char curve[41];
} reg_fx_t;

static void
s_reg_fx (reg_fx_t *fx)
{
    h_tmpdir (fx->dir, sizeof fx->dir, "keys");
    snprintf (fx->path, sizeof fx->path, "%s/registry.json", fx->dir);
    char *xs[3];
    for (int i = 0; i < 3; i++) {
        xc_key_t k;
        xc_key_generate (&k, "k", NULL);
        xs[i] = xc_b64url_encode (k.pk, 32);
    }
    strcpy (fx->x1, xs[0]);
    strcpy (fx->x2, xs[1]);
    strcpy (fx->x3, xs[2]);
    for (int i = 0; i < 3; i++)
        free (xs[i]);
    xc_curve_keypair_t kp;
    xc_curve_generate (&kp, NULL);
    strcpy (fx->curve, kp.public_z85);
}

/*  A valid registry; the %s slots of a principal or key are filled by the tests. */
static void
s_reg_text (const reg_fx_t *fx, char *out, size_t size, const char *iss1, const char *role1,
            const char *kid2, const char *principal_extra, const char *key_extra)
{
    snprintf (out, size,
              "{\"principals\": ["
              "{\"iss\": \"%s\", \"role\": \"%s\", \"scope\": {\"units\": [\"*\"]},"
              " \"curve\": \"%s\"%s,"
              " \"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"pb#1\","
              "  \"x\": \"%s\", \"not_before\": \"2026-01-01T00:00:00Z\","
              "  \"not_after\": \"2027-01-31T00:00:00Z\"%s},"
              " {\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"pb#2\","
              "  \"x\": \"%s\", \"not_before\": \"2026-10-01T00:00:00+08:00\","
              "  \"not_after\": \"2028-01-31T00:00:00Z\"}]},"
              "{\"iss\": \"intake\", \"role\": \"service\", \"revoked\": true,"
              " \"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"%s\","
              "  \"x\": \"%s\", \"not_before\": \"2026-01-01T00:00:00Z\","
              "  \"not_after\": \"2028-01-01T00:00:00Z\"}]}]}",
              iss1, role1, fx->curve, principal_extra, fx->x1, key_extra, fx->x2, kid2, fx->x3);
}

static void
test_registry_load (void)
{
    reg_fx_t fx;
    s_reg_fx (&fx);
    char text[4096];
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#1", "", "");
    s_write (fx.path, text, 0644);
    xc_registry_t *reg = NULL;
    xc_err_t err = { 0 };
    CHECK (xc_registry_load (fx.path, &reg, &err) == 0);
    if (!reg) {
        fprintf (stderr, "  (%s)\n", err.text);
        h_rmtree (fx.dir);
        return;
    }
    const xc_principal_t *pb = xc_registry_principal (reg, "petition-bureau");
    const xc_principal_t *in = xc_registry_principal (reg, "intake");
    CHECK (pb && in);
    CHECK (xc_registry_principal (reg, "nobody") == NULL);
    CHECK (xc_registry_principal (reg, "petition") == NULL);
    if (pb && in) {
        CHECK_STR (pb->role, "petition");
        CHECK (!pb->revoked);
        CHECK_STR (pb->curve, fx.curve);
        CHECK (json_is_array (json_object_get (pb->scope, "units")));
        CHECK_STR (in->role, "service");
        CHECK (in->revoked);
        CHECK_STR (in->curve, "");
        CHECK (json_is_object (in->scope) && json_object_size (in->scope) == 0);
    }
    const xc_pubkey_t *k1 = xc_registry_key (reg, "pb#1");
    const xc_pubkey_t *k2 = xc_registry_key (reg, "pb#2");
    const xc_pubkey_t *k3 = xc_registry_key (reg, "intake#1");
    CHECK (k1 && k2 && k3);
    CHECK (xc_registry_key (reg, "pb#3") == NULL);
    if (k1 && k2 && k3) {
        CHECK (k1->owner == pb && k2->owner == pb && k3->owner == in);
        CHECK_INT (k1->not_before, 1767225600);           /* 2026-01-01T00:00:00Z */
        CHECK_INT (k1->not_after, 1767225600 + 395 * 86400);
        CHECK_INT (k2->not_before, 1767225600 + 273 * 86400 - 8 * 3600);
        unsigned char x[32];
        xc_b64url_decode_exact (fx.x2, x, 32, NULL);
        CHECK (memcmp (k2->pk, x, 32) == 0);
    }
    xc_registry_destroy (&reg);
    CHECK (reg == NULL);
    h_rmtree (fx.dir);
}

typedef struct {
    const char *iss, *role, *kid2, *principal_extra, *key_extra;
    const char *expect;                  /* a part of the error text */
} reg_case_t;

static void
test_registry_errors (void)
{
    reg_fx_t fx;
    s_reg_fx (&fx);
    char curve_twice[128], bad_curve[64];
    snprintf (curve_twice, sizeof curve_twice, ", \"curve\": \"%s\"", fx.curve);
    snprintf (bad_curve, sizeof bad_curve, "%.39s~", fx.curve);    /* '~' is not Z85 */
    const reg_case_t cases[] = {
        { "Petition", "petition", "intake#1", "", "", "principals[0].iss 'Petition' is not a valid name" },
        { "9lives", "petition", "intake#1", "", "", "principals[0].iss '9lives'" },
        { "petition-bureau", "a role", "intake#1", "", "", "principals[0].role 'a role' is not a valid name" },
        { "petition-bureau", "petition", "pb#1", "", "", "kid 'pb#1' appears twice" },
        { "intake", "petition", "intake#1", "", "", "iss 'intake' appears twice" },
        { "petition-bureau", "petition", "intake#1", "", ", \"colour\": 1", "keys[0].colour: unknown key" },
        { "petition-bureau", "petition", "intake#1", ", \"colour\": 1", "", "principals[0].colour: unknown key" },
        { "petition-bureau", "petition", "intake#1", ", \"revoked\": \"yes\"", "", "revoked: expected boolean" },
        { "petition-bureau", "petition", "intake#1", "", ", \"kty\": \"EC\"", "duplicate object key" },
        { "petition-bureau", "petition", "intake#1", curve_twice, "", "duplicate object key" },
        { NULL }
    };
    char text[4096];
    xc_registry_t *reg = NULL;
    xc_err_t err;
    for (const reg_case_t *c = cases; c->iss; c++) {
        s_reg_text (&fx, text, sizeof text, c->iss, c->role, c->kid2, c->principal_extra,
                    c->key_extra);
        s_write (fx.path, text, 0644);
        memset (&err, 0, sizeof err);
        CHECK (xc_registry_load (fx.path, &reg, &err) == -1);
        CHECK (reg == NULL);
        CHECK_INT (err.code, XC_E_CONFIG);
        if (!s_contains (err.text, c->expect)) {
            fprintf (stderr, "FAIL registry case: '%s' does not contain '%s'\n", err.text,
                     c->expect);
            CHECK (false);
        }
    }

    /* cases that need a changed value rather than an added member */
    struct {
        const char *from, *to, *expect;
    } edits[] = {
        { "\"not_after\": \"2027-01-31T00:00:00Z\"", "\"not_after\": \"2026-01-01T00:00:00Z\"",
          "kid 'pb#1': not_before must be earlier than not_after" },
        { "\"not_before\": \"2026-01-01T00:00:00Z\"", "\"not_before\": \"2026-13-01T00:00:00Z\"",
          "keys[0].not_before: '2026-13-01T00:00:00Z' is out of range" },
        { "\"not_after\": \"2027-01-31T00:00:00Z\"", "\"not_after\": \"tomorrow\"",
          "keys[0].not_after: 'tomorrow' is not an RFC 3339 date-time" },
        { "\"kid\": \"pb#1\"", "\"kid\": \"pb\\u00011\"", "keys[0].kid must be printable ASCII" },
        { "\"crv\": \"Ed25519\", \"kid\": \"pb#1\"", "\"crv\": \"X25519\", \"kid\": \"pb#1\"",
          "keys[0].crv: 'X25519' is not an allowed value" },
        { fx.curve, "tooshort", "principals[0].curve is not a Z85 CURVE public key" },
        { fx.curve, bad_curve, "principals[0].curve is not a Z85 CURVE public key" },
        { "\"scope\": {\"units\": [\"*\"]}", "\"scope\": []",
          "principals[0].scope: expected object" },
        { fx.x1, "AAAA", "principals[0].keys[0].x: expected 32 bytes, got 3" },
        { fx.x1, "not base64!", "principals[0].keys[0].x: invalid base64url" },
        { "{\"principals\": [", "{\"principal\": [", "registry.principal: unknown key" },
        { NULL, NULL, NULL }
    };
    for (int i = 0; edits[i].from; i++) {
        s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#1", "", "");
        char *at = strstr (text, edits[i].from);
        CHECK (at != NULL);
        if (!at)
            continue;
        char edited[4096];
        snprintf (edited, sizeof edited, "%.*s%s%s", (int) (at - text), text, edits[i].to,
                  at + strlen (edits[i].from));
        s_write (fx.path, edited, 0644);
        memset (&err, 0, sizeof err);
        CHECK (xc_registry_load (fx.path, &reg, &err) == -1);
        CHECK_INT (err.code, XC_E_CONFIG);
        if (!s_contains (err.text, edits[i].expect)) {
            fprintf (stderr, "FAIL registry edit %d: '%s' does not contain '%s'\n", i,
                     err.text, edits[i].expect);
            CHECK (false);
        }
    }

    /* two principals with one CURVE key: ZAP could not tell them apart */
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#1", "", "");
    char edited[4096], *at = strstr (text, "\"revoked\": true");
    snprintf (edited, sizeof edited, "%.*s\"curve\": \"%s\", %s", (int) (at - text), text,
              fx.curve, at);
    s_write (fx.path, edited, 0644);
    CHECK (xc_registry_load (fx.path, &reg, &err) == -1);
    CHECK (s_contains (err.text, "curve key of 'intake' is also the curve key of "
                                 "'petition-bureau'"));

    /* keys: 1..16 */
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#1", "", "");
    at = strstr (text, "\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"intake#1\"");
    snprintf (edited, sizeof edited, "%.*s\"keys\": []}]}", (int) (at - text), text);
    s_write (fx.path, edited, 0644);
    CHECK (xc_registry_load (fx.path, &reg, &err) == -1);
    CHECK (s_contains (err.text, "principals[1].keys: 0 elements, allowed 1..16"));

    char many[8192];
    int n = snprintf (many, sizeof many, "{\"principals\": [{\"iss\": \"many\", \"role\": \"r\", "
                      "\"keys\": [");
    for (int i = 0; i < 17; i++)
        n += snprintf (many + n, sizeof many - (size_t) n,
                       "%s{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"m#%d\", "
                       "\"x\": \"%s\", \"not_before\": \"2026-01-01T00:00:00Z\", "
                       "\"not_after\": \"2027-01-01T00:00:00Z\"}", i ? ", " : "", i, fx.x1);
    snprintf (many + n, sizeof many - (size_t) n, "]}]}");
    s_write (fx.path, many, 0644);
    CHECK (xc_registry_load (fx.path, &reg, &err) == -1);
    CHECK (s_contains (err.text, "keys: 17 elements, allowed 1..16"));
    /* 16 keys are allowed */
    at = strstr (many, ", {\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"m#16\"");
    CHECK (at != NULL);
    if (at) {
        strcpy (at, "]}]}");
        s_write (fx.path, many, 0644);
        CHECK (xc_registry_load (fx.path, &reg, &err) == 0);
        CHECK (reg && xc_registry_key (reg, "m#15") != NULL);
        xc_registry_destroy (&reg);
    }

    s_write (fx.path, "{\"principals\": [", 0644);
    CHECK (xc_registry_load (fx.path, &reg, &err) == -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK (s_contains (err.text, fx.path));
    s_write (fx.path, "{\"principals\": []}", 0644);    /* an empty registry is valid */
    CHECK (xc_registry_load (fx.path, &reg, &err) == 0);
    CHECK (reg && xc_registry_principal (reg, "intake") == NULL);
    xc_registry_destroy (&reg);
    h_rmtree (fx.dir);
}

static void
test_registry_refresh (void)
{
    reg_fx_t fx;
    s_reg_fx (&fx);
    char text[4096];
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#1", "", "");
    s_write (fx.path, text, 0644);
    xc_registry_t *reg = NULL;
    xc_err_t err = { 0 };
    CHECK (xc_registry_load (fx.path, &reg, &err) == 0);
    if (!reg) {
        h_rmtree (fx.dir);
        return;
    }
    CHECK (!xc_registry_stale (reg));
    CHECK_INT (xc_registry_refresh (&reg, &err), 0);

    /* replaced through rename: another inode */
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#2", "", "");
    s_replace (fx.path, text);
    CHECK (xc_registry_stale (reg));
    CHECK_INT (xc_registry_refresh (&reg, &err), 1);
    CHECK (!xc_registry_stale (reg));
    CHECK (reg != NULL);
    CHECK (xc_registry_key (reg, "intake#2") != NULL);
    CHECK (xc_registry_key (reg, "intake#1") == NULL);
    CHECK_INT (xc_registry_refresh (&reg, &err), 0);

    /* rewritten in place with another size: same inode */
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#three", "", "");
    FILE *f = fopen (fx.path, "w");
    fputs (text, f);
    fclose (f);
    CHECK_INT (xc_registry_refresh (&reg, &err), 1);
    CHECK (xc_registry_key (reg, "intake#three") != NULL);

    /* a broken file: the registry in use stays, and the next call says so again */
    s_replace (fx.path, "{\"principals\": [{\"iss\": \"x\"}]}");
    xc_registry_t *kept = reg;
    CHECK_INT (xc_registry_refresh (&reg, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK (s_contains (err.text, "principals[0].role: missing"));
    CHECK (reg == kept);
    CHECK (xc_registry_key (reg, "intake#three") != NULL);
    CHECK_INT (xc_registry_refresh (&reg, &err), -1);
    CHECK (reg == kept);

    /* the file gone: the same */
    unlink (fx.path);
    CHECK (xc_registry_stale (reg));
    CHECK_INT (xc_registry_refresh (&reg, &err), -1);
    CHECK_INT (err.code, XC_E_IO);
    CHECK (reg == kept && xc_registry_principal (reg, "intake") != NULL);

    /* fixed again */
    s_reg_text (&fx, text, sizeof text, "petition-bureau", "petition", "intake#4", "", "");
    s_replace (fx.path, text);
    CHECK_INT (xc_registry_refresh (&reg, &err), 1);
    CHECK (xc_registry_key (reg, "intake#4") != NULL);
    xc_registry_destroy (&reg);
    h_rmtree (fx.dir);
}

/*  --------------------------------------------------------------------------------------
    CURVE */

static void
test_secret (void)
{
    char dir[64], path[128];
    h_tmpdir (dir, sizeof dir, "keys");
    snprintf (path, sizeof path, "%s/secret.json", dir);
    unsigned char a[XC_SECRET_BYTES], b[XC_SECRET_BYTES], back[XC_SECRET_BYTES];
    xc_err_t err = { 0 };
    xc_secret_generate (a);
    xc_secret_generate (b);
    CHECK (memcmp (a, b, XC_SECRET_BYTES) != 0);
    CHECK (xc_secret_save (a, path, &err) == 0);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK (xc_secret_load (back, path, &err) == 0);
    CHECK (memcmp (a, back, XC_SECRET_BYTES) == 0);
    CHECK (xc_secret_save (b, path, &err) == -1);
    CHECK (s_contains (err.text, "refusing to overwrite"));
    chmod (path, 0640);
    CHECK (xc_secret_load (back, path, &err) == -1);
    CHECK (s_contains (err.text, "is readable by others"));
    s_write (path, "{\"kty\":\"oct\",\"k\":\"AAAA\"}", 0600);
    CHECK (xc_secret_load (back, path, &err) == -1);
    CHECK (s_contains (err.text, "k: length 4"));
    s_write (path, "{\"kty\":\"OKP\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 0600);
    CHECK (xc_secret_load (back, path, &err) == -1);
    CHECK (s_contains (err.text, "kty"));
    h_rmtree (dir);
}

static void
test_curve (void)
{
    char dir[64], path[128], path2[128];
    h_tmpdir (dir, sizeof dir, "keys");
    snprintf (path, sizeof path, "%s/curve.json", dir);
    snprintf (path2, sizeof path2, "%s/curve2.json", dir);
    xc_curve_keypair_t kp, kp2, back;
    xc_err_t err = { 0 };
    CHECK (xc_curve_generate (&kp, &err) == 0);
    CHECK (xc_curve_generate (&kp2, &err) == 0);
    CHECK_INT (strlen (kp.public_z85), 40);
    CHECK_INT (strlen (kp.secret_z85), 40);
    CHECK (strcmp (kp.public_z85, kp2.public_z85) != 0);
    CHECK (xc_curve_save (&kp, path, &err) == 0);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK (xc_curve_load (&back, path, &err) == 0);
    CHECK_STR (back.public_z85, kp.public_z85);
    CHECK_STR (back.secret_z85, kp.secret_z85);

    CHECK (xc_curve_save (&kp2, path, &err) == -1);
    CHECK (s_contains (err.text, "refusing to overwrite"));

    chmod (path, 0644);
    CHECK (xc_curve_load (&back, path, &err) == -1);
    CHECK (s_contains (err.text, "is readable by others; chmod 600"));
    CHECK_STR (back.secret_z85, "");

    char text[256];
    snprintf (text, sizeof text, "{\"public\":\"%s\",\"secret\":\"%s\"}", kp2.public_z85,
              kp.secret_z85);
    s_write (path2, text, 0600);
    CHECK (xc_curve_load (&back, path2, &err) == -1);
    CHECK (s_contains (err.text, "does not match the secret"));
    snprintf (text, sizeof text, "{\"public\":\"%s\",\"secret\":\"%s\",\"x\":1}", kp.public_z85,
              kp.secret_z85);
    s_write (path2, text, 0600);
    CHECK (xc_curve_load (&back, path2, &err) == -1);
    CHECK (s_contains (err.text, "x: unknown key"));
    snprintf (text, sizeof text, "{\"public\":\"%s\",\"secret\":\"%.39s~\"}", kp.public_z85,
              kp.secret_z85);
    s_write (path2, text, 0600);
    CHECK (xc_curve_load (&back, path2, &err) == -1);
    CHECK (s_contains (err.text, "secret is not Z85"));

    /* the registry finds a principal by its CURVE public key */
    char reg_path[128];
    snprintf (reg_path, sizeof reg_path, "%s/registry.json", dir);
    xc_key_t k;
    xc_key_generate (&k, "k", NULL);
    char *x = xc_b64url_encode (k.pk, 32);
    char reg_text[1024];
    snprintf (reg_text, sizeof reg_text,
              "{\"principals\": [{\"iss\": \"client\", \"role\": \"r\", \"curve\": \"%s\", "
              "\"keys\": [{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"c#1\", \"x\": "
              "\"%s\", \"not_before\": \"2026-01-01T00:00:00Z\", \"not_after\": "
              "\"2027-01-01T00:00:00Z\"}]}, {\"iss\": \"other\", \"role\": \"r\", \"keys\": "
              "[{\"kty\": \"OKP\", \"crv\": \"Ed25519\", \"kid\": \"o#1\", \"x\": \"%s\", "
              "\"not_before\": \"2026-01-01T00:00:00Z\", \"not_after\": "
              "\"2027-01-01T00:00:00Z\"}]}]}",
              kp.public_z85, x, x);
    free (x);
    s_write (reg_path, reg_text, 0644);
    xc_registry_t *reg = NULL;
    CHECK (xc_registry_load (reg_path, &reg, &err) == 0);
    if (reg) {
        const xc_principal_t *p = xc_registry_curve_client (reg, kp.public_z85);
        CHECK (p && strcmp (p->iss, "client") == 0);
        unsigned char bin[32];
        CHECK (zmq_z85_decode (bin, kp.public_z85) != NULL);
        CHECK (xc_registry_curve_client_bin (reg, bin) == p);
        CHECK (xc_registry_curve_client (reg, kp2.public_z85) == NULL);
        CHECK (xc_registry_curve_client (reg, "") == NULL);
        CHECK (xc_registry_curve_client (reg, "short") == NULL);
        memset (bin, 0, sizeof bin);
        CHECK (xc_registry_curve_client_bin (reg, bin) == NULL);
        xc_registry_destroy (&reg);
    }
    h_rmtree (dir);
}

int
main (void)
{
    RUN (test_jwk_roundtrip);
    RUN (test_jwk_mode_refused);
    RUN (test_jwk_overwrite_refused);
    RUN (test_jwk_checks);
    RUN (test_rfc8037_key);
    RUN (test_thumbprint);
    RUN (test_registry_load);
    RUN (test_registry_errors);
    RUN (test_registry_refresh);
    RUN (test_curve);
    RUN (test_secret);
    HARNESS_END ();
}
