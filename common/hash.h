/*  hash.h: SHA-256, for the outbox's chain, a command's digest and the ids of keyed events.

    OpenSSL's libcrypto computes it: it uses the processor's SHA instructions where there are
    any, about four times libsodium's portable code on these machines (a 1.1 KB event: 0.7
    against 3.3 us), and every command hashes its event and its digest. libsodium is used when
    libcrypto has no SHA-256 to give (a provider configured without it); both give the same
    bytes, common/hash_test.c compares them.
*/
#ifndef XC_HASH_H
#define XC_HASH_H

#include <stddef.h>

#define XC_SHA256_BYTES 32

/*  SHA-256 of a (a_len bytes) followed by b (b_len bytes; b may be NULL when b_len is 0). */
void xc_sha256 (const void *a, size_t a_len, const void *b, size_t b_len,
                unsigned char out[XC_SHA256_BYTES]);

#endif
