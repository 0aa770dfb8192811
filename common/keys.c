/*  keys.c: Ed25519 JWK files, the principal registry, CURVE keypair files. */
#include "common/keys.h"

#include "common/clock.h"
#include "common/codec.h"
#include "common/schema.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define S_PRIVATE_MAX (64 * 1024)            /* a key file is a few hundred bytes */
#define S_REGISTRY_MAX (16 * 1024 * 1024)

/*  --------------------------------------------------------------------------------------
    Files */

/*  Reads a whole regular file of at most max bytes into *buf_p (caller owns, NUL-terminated).
    With private_file, refuses a file whose mode lets the group or others in. st receives the
    identity of the file actually read, so a later stat can tell whether it changed. */
static int
s_read_file (const char *path, size_t max, bool private_file, char **buf_p, size_t *len_p,
             struct stat *st, xc_err_t *err)
{
    *buf_p = NULL;
    *len_p = 0;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return xc_err_set (err, XC_E_IO, "unable to open '%s': %s", path, strerror (errno));
    int rc = -1;
    char *buf = NULL;
    struct stat sb;
    if (fstat (fd, &sb) != 0) {
        xc_err_set (err, XC_E_IO, "unable to stat '%s': %s", path, strerror (errno));
        goto cleanup;
    }
    if (!S_ISREG (sb.st_mode)) {
        xc_err_set (err, XC_E_CONFIG, "'%s' is not a regular file", path);
        goto cleanup;
    }
    if (private_file && (sb.st_mode & 077)) {
        xc_err_set (err, XC_E_CONFIG, "'%s' is readable by others; chmod 600 '%s'", path, path);
        goto cleanup;
    }
    buf = malloc (max + 2);
    if (!buf) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    /* Read to the end rather than trusting st_size: the file may grow while we read. */
    size_t len = 0;
    while (len <= max) {
        ssize_t n = read (fd, buf + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            xc_err_set (err, XC_E_IO, "unable to read '%s': %s", path, strerror (errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    if (len > max) {
        xc_err_set (err, XC_E_CONFIG, "'%s' is larger than %zu bytes", path, max);
        goto cleanup;
    }
    buf[len] = 0;
    *buf_p = buf;
    *len_p = len;
    if (st)
        *st = sb;
    buf = NULL;
    rc = 0;
cleanup:
    if (buf) {
        sodium_memzero (buf, max + 2);
        free (buf);
    }
    close (fd);
    return rc;
}

/*  Reads a file of secrets and parses it as a JSON object. Caller owns *json_p. */
static int
s_load_private_json (const char *path, json_t **json_p, xc_err_t *err)
{
    *json_p = NULL;
    char *buf;
    size_t len;
    if (s_read_file (path, S_PRIVATE_MAX, true, &buf, &len, NULL, err) != 0)
        return -1;
    json_error_t jerr;
    json_t *json = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr);
    sodium_memzero (buf, len);
    free (buf);
    if (!json)
        return xc_err_set (err, XC_E_CONFIG, "'%s': %s (line %d)", path, jerr.text, jerr.line);
    if (!json_is_object (json)) {
        json_decref (json);
        return xc_err_set (err, XC_E_CONFIG, "'%s': expected a JSON object", path);
    }
    *json_p = json;
    return 0;
}

/*  Creates path with mode 0600 and writes len bytes; never replaces an existing file. */
static int
s_write_new_file (const char *path, const char *buf, size_t len, xc_err_t *err)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return xc_err_set (err, XC_E_IO, "'%s' exists; refusing to overwrite it", path);
        return xc_err_set (err, XC_E_IO, "unable to create '%s': %s", path, strerror (errno));
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = write (fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t) n;
    }
    bool ok = done == len && fsync (fd) == 0;
    int saved = errno;
    if (close (fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        unlink (path);
        return xc_err_set (err, XC_E_IO, "unable to write '%s': %s", path, strerror (saved));
    }
    return 0;
}

/*  --------------------------------------------------------------------------------------
    Names */

static bool
s_kid_valid (const char *kid)
{
    size_t len = kid ? strlen (kid) : 0;
    if (len < 1 || len >= XC_KID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (kid[i] < 0x20 || kid[i] > 0x7e)
            return false;
    return true;
}

/*  [a-z][a-z0-9._-]{0,62} */
static bool
s_name_valid (const char *name)
{
    size_t len = strlen (name);
    if (len < 1 || len >= XC_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
              || c == '-'))
            return false;
    }
    return true;
}

/*  --------------------------------------------------------------------------------------
    Signing keys */

int
xc_key_generate (xc_key_t *key, const char *kid, xc_err_t *err)
{
    memset (key, 0, sizeof *key);
    if (!s_kid_valid (kid))
        return xc_err_set (err, XC_E_CONFIG, "kid must be 1..127 bytes of printable ASCII");
    if (sodium_init () < 0)
        return xc_err_set (err, XC_E_INTERNAL, "libsodium did not initialise");
    crypto_sign_keypair (key->pk, key->sk);
    strcpy (key->kid, kid);
    key->has_secret = true;
    return 0;
}

int
xc_key_from_seed (xc_key_t *key, const char *kid, const unsigned char seed[32], xc_err_t *err)
{
    memset (key, 0, sizeof *key);
    if (!s_kid_valid (kid))
        return xc_err_set (err, XC_E_CONFIG, "kid must be 1..127 bytes of printable ASCII");
    if (sodium_init () < 0)
        return xc_err_set (err, XC_E_INTERNAL, "libsodium did not initialise");
    crypto_sign_seed_keypair (key->pk, key->sk, seed);
    strcpy (key->kid, kid);
    key->has_secret = true;
    return 0;
}

static const char *const s_okp[] = { "OKP", NULL };
static const char *const s_ed25519[] = { "Ed25519", NULL };

static const xc_field_t s_jwk_fields[] = {
    { .name = "kty", .type = XC_T_STRING, .required = true, .one_of = s_okp },
    { .name = "crv", .type = XC_T_STRING, .required = true, .one_of = s_ed25519 },
    { .name = "kid", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_KID_MAX - 1 },
    { .name = "x", .type = XC_T_STRING, .required = true },
    { .name = "d", .type = XC_T_STRING, .required = true },
    { .name = NULL }
};

int
xc_key_load_jwk (xc_key_t *key, const char *path, xc_err_t *err)
{
    memset (key, 0, sizeof *key);
    json_t *jwk;
    if (s_load_private_json (path, &jwk, err) != 0)
        return -1;
    int rc = -1;
    unsigned char seed[32], x[32];
    xc_err_t sub;
    if (xc_schema_check (jwk, s_jwk_fields, "jwk", &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': %s", path, sub.text);
        goto cleanup;
    }
    const char *kid = json_string_value (json_object_get (jwk, "kid"));
    if (!s_kid_valid (kid)) {
        xc_err_set (err, XC_E_CONFIG, "'%s': kid must be 1..127 bytes of printable ASCII", path);
        goto cleanup;
    }
    if (xc_b64url_decode_exact (json_string_value (json_object_get (jwk, "x")), x, 32, &sub)
        != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': x: %s", path, sub.text);
        goto cleanup;
    }
    if (xc_b64url_decode_exact (json_string_value (json_object_get (jwk, "d")), seed, 32, &sub)
        != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': d: %s", path, sub.text);
        goto cleanup;
    }
    if (xc_key_from_seed (key, kid, seed, err) != 0)
        goto cleanup;
    if (sodium_memcmp (key->pk, x, 32) != 0) {
        xc_key_wipe (key);
        xc_err_set (err, XC_E_CONFIG, "'%s': d does not derive x (the private key does not "
                    "match the public key)", path);
        goto cleanup;
    }
    rc = 0;
cleanup:
    sodium_memzero (seed, sizeof seed);
    json_decref (jwk);
    return rc;
}

int
xc_key_save_jwk (const xc_key_t *key, const char *path, xc_err_t *err)
{
    if (!key->has_secret)
        return xc_err_set (err, XC_E_INTERNAL, "key '%s' has no secret part to save", key->kid);
    if (!s_kid_valid (key->kid))
        return xc_err_set (err, XC_E_CONFIG, "kid must be 1..127 bytes of printable ASCII");
    /* Formatted by hand into a buffer we can wipe: the secret never passes through jansson. */
    json_t *kid = json_string (key->kid);
    char *kid_json = kid ? json_dumps (kid, JSON_ENCODE_ANY) : NULL;
    json_decref (kid);
    char *x = xc_b64url_encode (key->pk, 32);
    char *d = xc_b64url_encode_secret (key->sk, 32);
    char buf[1024];
    int rc = -1;
    if (!kid_json || !x || !d) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    int n = snprintf (buf, sizeof buf,
                      "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":%s,"
                      "\"x\":\"%s\",\"d\":\"%s\"}\n",
                      kid_json, x, d);
    if (n < 0 || (size_t) n >= sizeof buf) {
        xc_err_set (err, XC_E_INTERNAL, "key file for '%s' too long", key->kid);
        goto cleanup;
    }
    rc = s_write_new_file (path, buf, (size_t) n, err);
cleanup:
    sodium_memzero (buf, sizeof buf);
    if (d) {
        sodium_memzero (d, strlen (d));
        free (d);
    }
    free (x);
    free (kid_json);
    return rc;
}

json_t *
xc_key_public_jwk (const xc_key_t *key)
{
    char *x = xc_b64url_encode (key->pk, 32);
    if (!x)
        return NULL;
    json_t *jwk = json_pack ("{s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "kid",
                             key->kid, "x", x);
    free (x);
    return jwk;
}

void
xc_key_thumbprint (const unsigned char pk[32], char out[XC_THUMBPRINT_LEN + 1])
{
    /* the required members in lexicographic order, no whitespace (RFC 7638, section 3) */
    char x[48], member[96];
    xc_b64url_encode_to (x, pk, 32);
    int n = snprintf (member, sizeof member, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", x);
    unsigned char hash[32];
    crypto_hash_sha256 (hash, (const unsigned char *) member, (unsigned long long) n);
    xc_b64url_encode_to (out, hash, sizeof hash);
}

void
xc_key_wipe (xc_key_t *key)
{
    sodium_memzero (key->sk, sizeof key->sk);
    key->has_secret = false;
}

/*  --------------------------------------------------------------------------------------
    Registry */

struct xc_registry {
    char *path;
    json_t *root;                      /* owns the scope objects */
    xc_principal_t *principals;
    unsigned char (*curves)[32];       /* decoded curve key of each principal */
    size_t principal_count;
    xc_pubkey_t *keys;
    size_t key_count;
    struct stat st;                    /* the file as it was when loaded */
};

static const xc_field_t s_reg_key_fields[] = {
    { .name = "kty", .type = XC_T_STRING, .required = true, .one_of = s_okp },
    { .name = "crv", .type = XC_T_STRING, .required = true, .one_of = s_ed25519 },
    { .name = "kid", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_KID_MAX - 1 },
    { .name = "x", .type = XC_T_STRING, .required = true },
    { .name = "not_before", .type = XC_T_STRING, .required = true },
    { .name = "not_after", .type = XC_T_STRING, .required = true },
    { .name = NULL }
};
static const xc_field_t s_reg_key = { .name = "key", .type = XC_T_OBJECT,
                                      .fields = s_reg_key_fields };

static const xc_field_t s_fingerprint = { .name = "fingerprint", .type = XC_T_STRING,
                                           .min = 64, .max = 64 };
static const xc_field_t s_principal_fields[] = {
    { .name = "iss", .type = XC_T_STRING, .required = true },
    { .name = "role", .type = XC_T_STRING, .required = true },
    { .name = "scope", .type = XC_T_MAP },
    { .name = "curve", .type = XC_T_STRING },
    { .name = "revoked", .type = XC_T_BOOLEAN },
    { .name = "keys", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 16,
      .items = &s_reg_key },
    /* read by the HTTP gateway only: client certificates bound to this principal */
    { .name = "client_cert_sha256", .type = XC_T_ARRAY, .max = 16, .items = &s_fingerprint },
    { .name = NULL }
};
static const xc_field_t s_principal = { .name = "principal", .type = XC_T_OBJECT,
                                        .fields = s_principal_fields };

static const xc_field_t s_registry_fields[] = {
    { .name = "principals", .type = XC_T_ARRAY, .required = true, .items = &s_principal },
    { .name = NULL }
};

static int
s_check_key (xc_registry_t *reg, json_t *jkey, size_t pi, size_t ki, xc_pubkey_t *out,
             xc_err_t *err)
{
    const char *path = reg->path;
    const char *kid = json_string_value (json_object_get (jkey, "kid"));
    if (!s_kid_valid (kid))
        return xc_err_set (err, XC_E_CONFIG,
                           "'%s': principals[%zu].keys[%zu].kid must be printable ASCII", path,
                           pi, ki);
    for (size_t i = 0; i < reg->key_count; i++)
        if (strcmp (reg->keys[i].kid, kid) == 0)
            return xc_err_set (err, XC_E_CONFIG, "'%s': kid '%.80s' appears twice", path, kid);
    xc_err_t sub;
    if (xc_b64url_decode_exact (json_string_value (json_object_get (jkey, "x")), out->pk, 32,
                                &sub)
        != 0)
        return xc_err_set (err, XC_E_CONFIG, "'%s': principals[%zu].keys[%zu].x: %s", path, pi,
                           ki, sub.text);
    if (xc_clock_parse (json_string_value (json_object_get (jkey, "not_before")),
                        &out->not_before, &sub)
        != 0)
        return xc_err_set (err, XC_E_CONFIG, "'%s': principals[%zu].keys[%zu].not_before: %s",
                           path, pi, ki, sub.text);
    if (xc_clock_parse (json_string_value (json_object_get (jkey, "not_after")),
                        &out->not_after, &sub)
        != 0)
        return xc_err_set (err, XC_E_CONFIG, "'%s': principals[%zu].keys[%zu].not_after: %s",
                           path, pi, ki, sub.text);
    if (out->not_before >= out->not_after)
        return xc_err_set (err, XC_E_CONFIG,
                           "'%s': kid '%.80s': not_before must be earlier than not_after", path,
                           kid);
    strcpy (out->kid, kid);
    out->owner = &reg->principals[pi];
    return 0;
}

static int
s_check_principal (xc_registry_t *reg, json_t *jp, size_t pi, xc_err_t *err)
{
    const char *path = reg->path;
    xc_principal_t *p = &reg->principals[pi];
    const char *iss = json_string_value (json_object_get (jp, "iss"));
    const char *role = json_string_value (json_object_get (jp, "role"));
    if (!s_name_valid (iss))
        return xc_err_set (err, XC_E_CONFIG,
                           "'%s': principals[%zu].iss '%.64s' is not a valid name "
                           "([a-z][a-z0-9._-]{0,62})", path, pi, iss);
    if (!s_name_valid (role))
        return xc_err_set (err, XC_E_CONFIG,
                           "'%s': principals[%zu].role '%.64s' is not a valid name "
                           "([a-z][a-z0-9._-]{0,62})", path, pi, role);
    for (size_t i = 0; i < pi; i++)
        if (strcmp (reg->principals[i].iss, iss) == 0)
            return xc_err_set (err, XC_E_CONFIG, "'%s': iss '%s' appears twice", path, iss);
    strcpy (p->iss, iss);
    strcpy (p->role, role);
    p->revoked = json_is_true (json_object_get (jp, "revoked"));

    json_t *scope = json_object_get (jp, "scope");
    if (!scope) {
        scope = json_object ();
        if (!scope || json_object_set_new (jp, "scope", scope) != 0)
            return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    p->scope = scope;

    const char *curve = json_string_value (json_object_get (jp, "curve"));
    if (curve) {
        if (strlen (curve) != 40 || !zmq_z85_decode (reg->curves[pi], curve))
            return xc_err_set (err, XC_E_CONFIG,
                               "'%s': principals[%zu].curve is not a Z85 CURVE public key "
                               "(40 characters)", path, pi);
        for (size_t i = 0; i < pi; i++)
            if (reg->principals[i].curve[0]
                && memcmp (reg->curves[i], reg->curves[pi], 32) == 0)
                return xc_err_set (err, XC_E_CONFIG, "'%s': curve key of '%s' is also the "
                                   "curve key of '%s'", path, iss, reg->principals[i].iss);
        strcpy (p->curve, curve);
    }

    size_t ki;
    json_t *jkey;
    json_array_foreach (json_object_get (jp, "keys"), ki, jkey) {
        if (s_check_key (reg, jkey, pi, ki, &reg->keys[reg->key_count], err) != 0)
            return -1;
        reg->key_count++;
    }
    return 0;
}

/*  Parses buf into a new registry; the file identity st is recorded for refresh. */
static int
s_registry_parse (const char *path, const char *buf, size_t len, const struct stat *st,
                  xc_registry_t **reg_p, xc_err_t *err)
{
    *reg_p = NULL;
    json_error_t jerr;
    json_t *root = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return xc_err_set (err, XC_E_CONFIG, "'%s': %s (line %d)", path, jerr.text, jerr.line);
    xc_registry_t *reg = calloc (1, sizeof *reg);
    if (!reg) {
        json_decref (root);
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    reg->root = root;
    reg->st = *st;
    reg->path = strdup (path);
    if (!reg->path) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto failed;
    }
    xc_err_t sub;
    if (xc_schema_check (root, s_registry_fields, "registry", &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': %s", path, sub.text);
        goto failed;
    }
    json_t *principals = json_object_get (root, "principals");
    size_t n = json_array_size (principals);
    size_t nkeys = 0, pi;
    json_t *jp;
    json_array_foreach (principals, pi, jp)
        nkeys += json_array_size (json_object_get (jp, "keys"));
    /* calloc (0) may return NULL: allocate at least one element */
    reg->principals = calloc (n ? n : 1, sizeof *reg->principals);
    reg->curves = calloc (n ? n : 1, sizeof *reg->curves);
    reg->keys = calloc (nkeys ? nkeys : 1, sizeof *reg->keys);
    if (!reg->principals || !reg->curves || !reg->keys) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto failed;
    }
    json_array_foreach (principals, pi, jp) {
        if (s_check_principal (reg, jp, pi, err) != 0)
            goto failed;
        reg->principal_count++;
    }
    *reg_p = reg;
    return 0;
failed:
    xc_registry_destroy (&reg);
    return -1;
}

int
xc_registry_load (const char *path, xc_registry_t **reg_p, xc_err_t *err)
{
    *reg_p = NULL;
    char *buf;
    size_t len;
    struct stat st;
    if (s_read_file (path, S_REGISTRY_MAX, false, &buf, &len, &st, err) != 0)
        return -1;
    int rc = s_registry_parse (path, buf, len, &st, reg_p, err);
    free (buf);
    return rc;
}

void
xc_registry_destroy (xc_registry_t **reg_p)
{
    if (!reg_p || !*reg_p)
        return;
    xc_registry_t *reg = *reg_p;
    json_decref (reg->root);
    free (reg->principals);
    free (reg->curves);
    free (reg->keys);
    free (reg->path);
    free (reg);
    *reg_p = NULL;
}

static bool
s_same_file (const struct stat *a, const struct stat *b)
{
    /* ctime too: a copy that preserves mtime (cp -p, rsync -t) still changes it */
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size
        && a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec
        && a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

bool
xc_registry_stale (const xc_registry_t *reg)
{
    struct stat st;
    return stat (reg->path, &st) != 0 || !s_same_file (&st, &reg->st);
}

int
xc_registry_refresh (xc_registry_t **reg_p, xc_err_t *err)
{
    xc_registry_t *old = *reg_p;
    struct stat st;
    if (stat (old->path, &st) != 0)
        return xc_err_set (err, XC_E_IO, "unable to stat '%s': %s; keeping the registry "
                           "loaded before", old->path, strerror (errno));
    if (s_same_file (&st, &old->st))
        return 0;
    xc_registry_t *reg;
    if (xc_registry_load (old->path, &reg, err) != 0)
        return -1;
    xc_registry_destroy (reg_p);
    *reg_p = reg;
    return 1;
}

const xc_principal_t *
xc_registry_principal (const xc_registry_t *reg, const char *iss)
{
    for (size_t i = 0; iss && i < reg->principal_count; i++)
        if (strcmp (reg->principals[i].iss, iss) == 0)
            return &reg->principals[i];
    return NULL;
}

const xc_pubkey_t *
xc_registry_key (const xc_registry_t *reg, const char *kid)
{
    for (size_t i = 0; kid && i < reg->key_count; i++)
        if (strcmp (reg->keys[i].kid, kid) == 0)
            return &reg->keys[i];
    return NULL;
}

const xc_principal_t *
xc_registry_curve_client_bin (const xc_registry_t *reg, const unsigned char key[32])
{
    for (size_t i = 0; i < reg->principal_count; i++)
        if (reg->principals[i].curve[0] && memcmp (reg->curves[i], key, 32) == 0)
            return &reg->principals[i];
    return NULL;
}

const xc_principal_t *
xc_registry_curve_client (const xc_registry_t *reg, const char *z85)
{
    unsigned char key[32];
    if (!z85 || strlen (z85) != 40 || !zmq_z85_decode (key, z85))
        return NULL;
    return xc_registry_curve_client_bin (reg, key);
}

/*  --------------------------------------------------------------------------------------
    CURVE keypairs */

int
xc_curve_generate (xc_curve_keypair_t *kp, xc_err_t *err)
{
    memset (kp, 0, sizeof *kp);
    if (zmq_curve_keypair (kp->public_z85, kp->secret_z85) != 0)
        return xc_err_set (err, XC_E_INTERNAL, "zmq_curve_keypair failed: %s",
                           zmq_strerror (zmq_errno ()));
    return 0;
}

static const xc_field_t s_curve_fields[] = {
    { .name = "public", .type = XC_T_STRING, .required = true, .min = 40, .max = 40 },
    { .name = "secret", .type = XC_T_STRING, .required = true, .min = 40, .max = 40 },
    { .name = NULL }
};

int
xc_curve_load (xc_curve_keypair_t *kp, const char *path, xc_err_t *err)
{
    memset (kp, 0, sizeof *kp);
    json_t *json;
    if (s_load_private_json (path, &json, err) != 0)
        return -1;
    int rc = -1;
    unsigned char bin[32];
    char derived[41];
    xc_err_t sub;
    if (xc_schema_check (json, s_curve_fields, "curve", &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': %s", path, sub.text);
        goto cleanup;
    }
    const char *pub = json_string_value (json_object_get (json, "public"));
    const char *sec = json_string_value (json_object_get (json, "secret"));
    if (!zmq_z85_decode (bin, pub)) {
        xc_err_set (err, XC_E_CONFIG, "'%s': public is not Z85", path);
        goto cleanup;
    }
    if (!zmq_z85_decode (bin, sec) || zmq_curve_public (derived, sec) != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': secret is not Z85", path);
        goto cleanup;
    }
    if (strcmp (derived, pub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%s': the public key does not match the secret key",
                    path);
        goto cleanup;
    }
    strcpy (kp->public_z85, pub);
    strcpy (kp->secret_z85, sec);
    rc = 0;
cleanup:
    sodium_memzero (bin, sizeof bin);
    json_decref (json);
    return rc;
}

int
xc_curve_save (const xc_curve_keypair_t *kp, const char *path, xc_err_t *err)
{
    unsigned char bin[32];
    if (strlen (kp->public_z85) != 40 || strlen (kp->secret_z85) != 40
        || !zmq_z85_decode (bin, kp->public_z85) || !zmq_z85_decode (bin, kp->secret_z85))
        return xc_err_set (err, XC_E_INTERNAL, "not a Z85 CURVE keypair");
    sodium_memzero (bin, sizeof bin);
    /* Z85's alphabet has neither '"' nor a backslash: the keys need no JSON escaping */
    char buf[128];
    int n = snprintf (buf, sizeof buf, "{\"public\":\"%s\",\"secret\":\"%s\"}\n",
                      kp->public_z85, kp->secret_z85);
    int rc = s_write_new_file (path, buf, (size_t) n, err);
    sodium_memzero (buf, sizeof buf);
    return rc;
}

/*  --------------------------------------------------------------------------------------
    Symmetric secrets */

int
xc_secret_generate (unsigned char secret[XC_SECRET_BYTES])
{
    randombytes_buf (secret, XC_SECRET_BYTES);
    return 0;
}

static const char *const s_oct[] = { "oct", NULL };
static const xc_field_t s_secret_fields[] = {
    { .name = "kty", .type = XC_T_STRING, .required = true, .one_of = s_oct },
    { .name = "k", .type = XC_T_STRING, .required = true, .min = 43, .max = 43 },
    { .name = NULL }
};

int
xc_secret_load (unsigned char secret[XC_SECRET_BYTES], const char *path, xc_err_t *err)
{
    sodium_memzero (secret, XC_SECRET_BYTES);
    json_t *json;
    if (s_load_private_json (path, &json, err) != 0)
        return -1;
    xc_err_t sub;
    int rc = 0;
    if (xc_schema_check (json, s_secret_fields, "secret", &sub) != 0)
        rc = xc_err_set (err, XC_E_CONFIG, "'%s': %s", path, sub.text);
    else if (xc_b64url_decode_exact (json_string_value (json_object_get (json, "k")), secret,
                                     XC_SECRET_BYTES, &sub) != 0)
        rc = xc_err_set (err, XC_E_CONFIG, "'%s': k: %s", path, sub.text);
    json_decref (json);
    return rc;
}

int
xc_secret_save (const unsigned char secret[XC_SECRET_BYTES], const char *path, xc_err_t *err)
{
    char *k = xc_b64url_encode_secret (secret, XC_SECRET_BYTES);
    if (!k)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    char buf[128];
    int n = snprintf (buf, sizeof buf, "{\"kty\":\"oct\",\"k\":\"%s\"}\n", k);
    int rc = s_write_new_file (path, buf, (size_t) n, err);
    sodium_memzero (buf, sizeof buf);
    sodium_memzero (k, strlen (k));
    free (k);
    return rc;
}
