/*  hash.c: see hash.h. */
#include "common/hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>

static EVP_MD *s_sha256;             /* fetched once: an implicit fetch on every use is slow */
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_fetch (void)
{
    s_sha256 = EVP_MD_fetch (NULL, "SHA2-256", NULL);
}

/*  libsodium's portable code, when libcrypto cannot. */
static void
s_sodium (const void *a, size_t a_len, const void *b, size_t b_len, unsigned char out[32])
{
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init (&state);
    crypto_hash_sha256_update (&state, a, a_len);
    if (b_len)
        crypto_hash_sha256_update (&state, b, b_len);
    crypto_hash_sha256_final (&state, out);
}

void
xc_sha256 (const void *a, size_t a_len, const void *b, size_t b_len,
           unsigned char out[XC_SHA256_BYTES])
{
    pthread_once (&s_once, s_fetch);
    EVP_MD_CTX *ctx = s_sha256 ? EVP_MD_CTX_new () : NULL;
    unsigned int len = 0;
    int ok = ctx && EVP_DigestInit_ex2 (ctx, s_sha256, NULL) == 1
             && EVP_DigestUpdate (ctx, a, a_len) == 1
             && (b_len == 0 || EVP_DigestUpdate (ctx, b, b_len) == 1)
             && EVP_DigestFinal_ex (ctx, out, &len) == 1 && len == XC_SHA256_BYTES;
    EVP_MD_CTX_free (ctx);
    if (!ok)
        s_sodium (a, a_len, b, b_len, out);
}
