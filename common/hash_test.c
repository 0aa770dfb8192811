/*  hash_test.c: SHA-256 by libcrypto, against the FIPS 180 examples and libsodium. */
#include "common/hash.h"

#include "tests/harness.h"

#include <sodium.h>

static void
s_hex (const unsigned char *bin, char *out)
{
    sodium_bin2hex (out, 65, bin, 32);
}

static void
test_vectors (void)
{
    unsigned char h[32];
    char hex[65];
    xc_sha256 ("abc", 3, NULL, 0, h);
    s_hex (h, hex);
    CHECK_STR (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    xc_sha256 ("", 0, NULL, 0, h);
    s_hex (h, hex);
    CHECK_STR (hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* in two parts: the same as in one */
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    xc_sha256 (two, 20, two + 20, strlen (two) - 20, h);
    s_hex (h, hex);
    CHECK_STR (hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_against_libsodium (void)
{
    unsigned char data[2100], ours[32], theirs[32];
    for (size_t len = 0; len <= sizeof data; len += len < 140 ? 1 : 97) {
        randombytes_buf (data, len);
        size_t cut = len ? randombytes_uniform ((uint32_t) len + 1) : 0;
        xc_sha256 (data, cut, data + cut, len - cut, ours);
        crypto_hash_sha256 (theirs, data, len);
        CHECK (memcmp (ours, theirs, 32) == 0);
    }
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    RUN (test_vectors);
    RUN (test_against_libsodium);
    HARNESS_END ();
}
