/*  keys.h: Ed25519 signing keys as JWK files, the principal registry, CURVE keypairs.

    A private JWK file ({"kty":"OKP","crv":"Ed25519","kid":..,"x":..,"d":..}) is written with mode
    0600 and refused on load when its mode lets the group or others read or write it.

    The registry is a JSON file that every service reads and that xcctl edits:

      {"principals": [
        {"iss": "petition-bureau",             the name a principal signs as (iss)
         "role": "petition",                   what it may do (each service maps roles to types)
         "scope": {"units": ["*"]},            which objects it may touch (read by services)
         "curve": "<40 Z85 characters>",       optional: its CURVE public key (ZAP admits it)
         "revoked": false,                     optional: a revoked principal is refused everywhere
         "keys": [
           {"kty": "OKP", "crv": "Ed25519", "kid": "petition-bureau#2026-1",
            "x": "<base64url of 32 bytes>",
            "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-31T00:00:00Z"}]}]}

    A kid is unique across the whole registry. Two keys of one principal with overlapping
    validity are how a key is rotated without downtime.
*/
#ifndef XC_KEYS_H
#define XC_KEYS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define XC_KID_MAX 128               /* bytes, with the NUL */
#define XC_NAME_MAX 64               /* iss, role, service names, with the NUL */

typedef struct {
    char kid[XC_KID_MAX];
    unsigned char pk[32];            /* Ed25519 public key */
    unsigned char sk[64];            /* libsodium secret key (seed || pk); zero when has_secret is false */
    bool has_secret;
} xc_key_t;

/*  A new random key. */
int xc_key_generate (xc_key_t *key, const char *kid, xc_err_t *err);

/*  The key of a 32-byte seed (the JWK "d"); used for the RFC 8037 test vector. */
int xc_key_from_seed (xc_key_t *key, const char *kid, const unsigned char seed[32], xc_err_t *err);

/*  Loads a private JWK file; checks its mode, its members and that d derives x. */
int xc_key_load_jwk (xc_key_t *key, const char *path, xc_err_t *err);

/*  Writes a private JWK file with mode 0600 (refuses to overwrite an existing file). */
int xc_key_save_jwk (const xc_key_t *key, const char *path, xc_err_t *err);

/*  The public JWK {"kty","crv","kid","x"}. Caller owns the result. */
json_t *xc_key_public_jwk (const xc_key_t *key);

/*  The RFC 7638 thumbprint of an Ed25519 public key: base64url (43 characters) of the SHA-256 of
    {"crv":"Ed25519","kty":"OKP","x":"<x>"}, into out. */
#define XC_THUMBPRINT_LEN 43
void xc_key_thumbprint (const unsigned char pk[32], char out[XC_THUMBPRINT_LEN + 1]);

/*  Zeroes the secret part. */
void xc_key_wipe (xc_key_t *key);

typedef struct {
    char iss[XC_NAME_MAX];
    char role[XC_NAME_MAX];
    json_t *scope;                   /* an object; borrowed from the registry */
    char curve[41];                  /* Z85 public key, "" when absent */
    bool revoked;
} xc_principal_t;

typedef struct {
    char kid[XC_KID_MAX];
    unsigned char pk[32];
    int64_t not_before;              /* Unix seconds */
    int64_t not_after;
    const xc_principal_t *owner;     /* borrowed from the registry */
} xc_pubkey_t;

typedef struct xc_registry xc_registry_t;

/*  Loads and checks a registry file (members as above and no others, iss and role matching
    [a-z][a-z0-9._-]{0,62}, unique iss, kid and curve key, x of 32 bytes, not_before <
    not_after, curve of 40 Z85 characters, 1..16 keys per principal; scope defaults to {}).
    Fails with XC_E_CONFIG and a text naming the problem. Caller owns *reg_p. */
int xc_registry_load (const char *path, xc_registry_t **reg_p, xc_err_t *err);
void xc_registry_destroy (xc_registry_t **reg_p);

/*  Reloads *reg_p from its file when the file changed since it was loaded (mtime or ctime to
    the nanosecond, size, inode or device). Returns 1 when it reloaded, 0 when nothing changed,
    -1 when the file is gone or the new file is invalid (the old registry stays in use, err
    says why; every later call tries again, and returns -1 again until the file is fixed).
    Pointers borrowed from the old registry are invalid after a reload that returns 1. */
int xc_registry_refresh (xc_registry_t **reg_p, xc_err_t *err);

/*  Whether xc_registry_refresh would try to reload: the file changed or cannot be read. A
    caller that must first release the pointers it borrowed asks this before. */
bool xc_registry_stale (const xc_registry_t *reg);

/*  Lookups; results are borrowed from reg, NULL when absent. */
const xc_principal_t *xc_registry_principal (const xc_registry_t *reg, const char *iss);
const xc_pubkey_t *xc_registry_key (const xc_registry_t *reg, const char *kid);
const xc_principal_t *xc_registry_curve_client (const xc_registry_t *reg, const char *z85);
/*  The same lookup by the 32-byte binary key, as a ZAP request carries it (RFC 27). */
const xc_principal_t *xc_registry_curve_client_bin (const xc_registry_t *reg,
                                                    const unsigned char key[32]);

/*  A symmetric secret (32 bytes) for data a service encrypts at rest, stored as a JWK of type
    "oct": {"kty": "oct", "k": "<base64url of 32 bytes>"}, mode 0600 like a private key. */
#define XC_SECRET_BYTES 32
int xc_secret_generate (unsigned char secret[XC_SECRET_BYTES]);
/*  Loads a secret file; refused when readable by group or others, or not exactly 32 bytes. */
int xc_secret_load (unsigned char secret[XC_SECRET_BYTES], const char *path, xc_err_t *err);
/*  Writes with mode 0600; refuses to overwrite. */
int xc_secret_save (const unsigned char secret[XC_SECRET_BYTES], const char *path,
                    xc_err_t *err);

/*  A CURVE keypair (ZeroMQ RFC 26) in Z85 form, stored as {"public": .., "secret": ..}. */
typedef struct {
    char public_z85[41];
    char secret_z85[41];
} xc_curve_keypair_t;

int xc_curve_generate (xc_curve_keypair_t *kp, xc_err_t *err);
/*  Loads a keypair file; refused when readable by group or others; checks both keys decode. */
int xc_curve_load (xc_curve_keypair_t *kp, const char *path, xc_err_t *err);
/*  Writes with mode 0600; refuses to overwrite. */
int xc_curve_save (const xc_curve_keypair_t *kp, const char *path, xc_err_t *err);

#endif
