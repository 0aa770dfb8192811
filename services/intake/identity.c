/*  identity.c: a reporter's identity, encrypted at rest.

    libsodium secretbox (XSalsa20-Poly1305) with the deployment's secret key and a random
    nonce; the blob is nonce || ciphertext. The plaintext names the problem it belongs to, so
    a blob copied onto another problem's row does not open there.
*/
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "services/intake/intake.h"

int
intake_identity_seal (const intake_t *intake, json_int_t problem, const json_t *reporter,
                      unsigned char **blob_p, size_t *len_p)
{
    *blob_p = NULL;
    *len_p = 0;
    json_t *doc = json_pack ("{s:I, s:O}", "problem", problem, "reporter", reporter);
    char *plain = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    if (!plain)
        return -1;
    size_t plain_len = strlen (plain);
    size_t len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain_len;
    unsigned char *blob = malloc (len);
    if (blob) {
        randombytes_buf (blob, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy (blob + crypto_secretbox_NONCEBYTES, (unsigned char *) plain,
                               plain_len, blob, intake->secret);
    }
    sodium_memzero (plain, plain_len);
    free (plain);
    if (!blob)
        return -1;
    *blob_p = blob;
    *len_p = len;
    return 0;
}

json_t *
intake_identity_open (const intake_t *intake, json_int_t problem, const void *blob, size_t len)
{
    const size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
    if (!blob || len <= overhead)
        return NULL;
    size_t plain_len = len - overhead;
    unsigned char *plain = malloc (plain_len);
    if (!plain)
        return NULL;
    const unsigned char *b = blob;
    json_t *reporter = NULL;
    if (crypto_secretbox_open_easy (plain, b + crypto_secretbox_NONCEBYTES,
                                    len - crypto_secretbox_NONCEBYTES, b, intake->secret)
        == 0) {
        json_t *doc = json_loadb ((const char *) plain, plain_len, 0, NULL);
        if (json_integer_value (json_object_get (doc, "problem")) == problem)
            reporter = json_incref (json_object_get (doc, "reporter"));
        json_decref (doc);
    }
    sodium_memzero (plain, plain_len);
    free (plain);
    return reporter;
}
