/*  codec_test.c: base64url, hex and UUIDs. */
#include "common/codec.h"

#include "tests/harness.h"

#include <sodium.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Decodes text and returns 0 / -1, checking the failure contract on the way. */
static int
s_decode (const char *text, size_t len, unsigned char **bin, size_t *n)
{
    xc_err_t err = { 0, "" };
    int rc = xc_b64url_decode (text, len, bin, n, &err);
    if (rc != 0) {
        CHECK (*bin == NULL);
        CHECK_INT (*n, 0);
        CHECK_INT (err.code, XC_E_MALFORMED);
    }
    return rc;
}

static void
test_b64url_vectors (void)
{
    /* RFC 4648 section 10, without padding */
    const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    const char *coded[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
    for (size_t i = 0; i < 7; i++) {
        char *text = xc_b64url_encode ((const unsigned char *) plain[i], strlen (plain[i]));
        CHECK_STR (text, coded[i]);
        free (text);
        unsigned char *bin = NULL;
        size_t n = 99;
        CHECK_INT (s_decode (coded[i], strlen (coded[i]), &bin, &n), 0);
        CHECK_INT (n, strlen (plain[i]));
        CHECK (bin && memcmp (bin, plain[i], n) == 0);
        CHECK (bin && bin[n] == 0);      /* NUL-terminated for convenience */
        free (bin);
    }
    /* the URL-safe alphabet: 0xfb 0xff is "+/8" in standard base64 */
    const unsigned char high[] = { 0xfb, 0xff };
    char *text = xc_b64url_encode (high, 2);
    CHECK_STR (text, "-_8");
    free (text);
}

static void
test_b64url_round_trip (void)
{
    unsigned char data[300];
    for (size_t len = 0; len <= sizeof data; len += (len < 70 ? 1 : 23)) {
        randombytes_buf (data, len);
        char *text = xc_b64url_encode (data, len);
        CHECK (text != NULL);
        if (!text)
            continue;
        CHECK_INT (strlen (text), (len * 4 + 2) / 3);
        CHECK (strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
               == strlen (text));
        unsigned char *bin = NULL;
        size_t n = 0;
        CHECK_INT (s_decode (text, strlen (text), &bin, &n), 0);
        CHECK_INT (n, len);
        CHECK (bin && memcmp (bin, data, len) == 0);
        free (bin);
        free (text);
    }
}

static void
test_b64url_refusals (void)
{
    const char *bad[] = {
        "QQ==", "QQ=", "Zm9vYg==", "=",           /* padding */
        "+w", "/w", "Zm+v", "Zm/v",              /* standard alphabet */
        "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v\t",    /* white space */
        "Q", "Zm9vY",                            /* impossible lengths */
        "QR", "QUF", "Zm9vYh", "-_",             /* non-canonical trailing bits */
        "Zm9*", "Zm9v.", "Zm9vÀ", "Zm9\x80", "\xffm9v", "y\xf6s\xd0",   /* above 0x7f */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *bin = (unsigned char *) "x";
        size_t n = 7;
        if (s_decode (bad[i], strlen (bad[i]), &bin, &n) != -1)
            fprintf (stderr, "accepted '%s'\n", bad[i]);
        CHECK (bin == NULL);
    }
    /* the canonical neighbours of the non-canonical ones are fine */
    const char *good[] = { "QQ", "QUE", "Zm9vYg", "-w" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        unsigned char *bin = NULL;
        size_t n = 0;
        CHECK_INT (s_decode (good[i], strlen (good[i]), &bin, &n), 0);
        free (bin);
    }
    /* text_len is what counts: a NUL inside is refused, bytes after the length ignored */
    unsigned char *bin = NULL;
    size_t n = 0;
    CHECK_INT (s_decode ("Zm9v\0Zm", 7, &bin, &n), -1);
    CHECK_INT (s_decode ("Zm9vYmFy", 4, &bin, &n), 0);
    CHECK_INT (n, 3);
    CHECK (bin && memcmp (bin, "foo", 4) == 0);
    free (bin);
    xc_err_t err;
    bin = NULL;
    xc_b64url_decode ("QQ==", 4, &bin, &n, &err);
    CHECK_STR (err.text, "invalid base64url");
}

/*  The table-driven coder against libsodium's constant-time one (which decode_exact and
    encode_secret use): the same text for every length, and the same verdict and bytes for
    random ASCII text over the alphabet plus a few characters outside it. (Bytes above 0x7f are
    left out: libsodium 1.0.18 takes some of them for letters; test_b64url_refusals has them.) */
static void
test_b64url_against_libsodium (void)
{
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    unsigned char data[100];
    for (size_t len = 0; len <= sizeof data; len++) {
        randombytes_buf (data, len);
        char *fast = xc_b64url_encode (data, len);
        char *slow = xc_b64url_encode_secret (data, len);
        char ref[200];
        sodium_bin2base64 (ref, sizeof ref, data, len, variant);
        CHECK (fast && slow && strcmp (fast, ref) == 0 && strcmp (slow, ref) == 0);
        free (fast);
        free (slow);
    }
    const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                         "AQgw+/=.\n ";
    int accepted = 0, refused = 0;
    for (int round = 0; round < 20000; round++) {
        char text[16];
        size_t len = randombytes_uniform (sizeof text);
        /* mostly the alphabet, so that many texts are valid */
        bool pure = randombytes_uniform (2) == 0;
        for (size_t i = 0; i < len; i++)
            text[i] = chars[randombytes_uniform (pure ? 64 : (uint32_t) sizeof chars - 1)];
        unsigned char *bin = NULL, ref[16];
        size_t n = 0, ref_len = 0;
        const char *end = NULL;
        int ref_rc = sodium_base642bin (ref, sizeof ref, text, len, NULL, &ref_len, &end, variant);
        bool ref_ok = ref_rc == 0 && end == text + len;
        int rc = xc_b64url_decode (text, len, &bin, &n, NULL);
        CHECK_INT (rc == 0, ref_ok);
        if (rc == 0 && ref_ok)
            CHECK (n == ref_len && memcmp (bin, ref, n) == 0);
        accepted += rc == 0;
        refused += rc != 0;
        free (bin);
    }
    CHECK (accepted > 1000 && refused > 1000);
}

static void
test_b64url_decode_exact (void)
{
    unsigned char key[32], out[32];
    randombytes_buf (key, sizeof key);
    char *text = xc_b64url_encode (key, sizeof key);
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_b64url_decode_exact (text, out, 32, &err), 0);
    CHECK (memcmp (key, out, 32) == 0);
    free (text);

    text = xc_b64url_encode (key, 31);
    CHECK_INT (xc_b64url_decode_exact (text, out, 32, &err), -1);
    CHECK_INT (err.code, XC_E_MALFORMED);
    CHECK_STR (err.text, "expected 32 bytes, got 31");
    free (text);
    text = xc_b64url_encode (key, 32);
    unsigned char small[16];
    CHECK_INT (xc_b64url_decode_exact (text, small, 16, &err), -1);
    CHECK_STR (err.text, "expected 16 bytes, got 32");
    free (text);
    CHECK_INT (xc_b64url_decode_exact (NULL, out, 32, &err), -1);
    CHECK_STR (err.text, "missing base64url value");
    CHECK_INT (xc_b64url_decode_exact ("AAAA=", out, 3, &err), -1);
    /* libsodium 1.0.18 alone takes these (bytes above 0x7f read as letters) */
    CHECK_INT (xc_b64url_decode_exact ("Zm9\x80", out, 3, &err), -1);
    CHECK_INT (xc_b64url_decode_exact ("\xffm9v", out, 3, &err), -1);
    CHECK_INT (xc_b64url_decode_exact ("Zm9v", out, 3, &err), 0);
    CHECK_INT (err.code, XC_E_MALFORMED);
    CHECK_INT (xc_b64url_decode_exact ("", out, 0, &err), 0);
}

static void
test_hex (void)
{
    const unsigned char bin[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
    char out[13];
    xc_hex_encode (bin, sizeof bin, out);
    CHECK_STR (out, "0001abcdefff");
    xc_hex_encode (bin, 0, out);
    CHECK_STR (out, "");
    /* a SHA-256 written out: 64 digits, lower case, or either case where asked */
    const char *lower = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *mixed = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";
    CHECK (xc_hex64 (lower, false) && xc_hex64 (lower, true));
    CHECK (!xc_hex64 (mixed, false) && xc_hex64 (mixed, true));
    CHECK (!xc_hex64 (NULL, true) && !xc_hex64 ("", true) && !xc_hex64 ("abc", true));
    char bad[66];
    snprintf (bad, sizeof bad, "%sa", lower);                 /* 65 digits */
    CHECK (!xc_hex64 (bad, true));
    snprintf (bad, sizeof bad, "%.63sg", lower);               /* a letter beyond f */
    CHECK (!xc_hex64 (bad, true));
}

static int
s_cmp (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

static void
test_uuid (void)
{
    static char ids[1000][XC_UUID_LEN + 1];
    for (int i = 0; i < 1000; i++) {
        char *id = ids[i];
        xc_uuid_new_ordered (id);
        CHECK_INT (strlen (id), XC_UUID_LEN);
        CHECK (xc_uuid_valid (id));
        CHECK (id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-');
        CHECK_INT (strspn (id, "0123456789abcdef-"), XC_UUID_LEN);
        CHECK (id[14] == '7');                          /* version 7 */
        CHECK (strchr ("89ab", id[19]) != NULL);        /* RFC 4122 variant */
    }
    qsort (ids, 1000, sizeof ids[0], s_cmp);
    int dups = 0;
    for (int i = 1; i < 1000; i++)
        dups += strcmp (ids[i - 1], ids[i]) == 0;
    CHECK_INT (dups, 0);

    /* the time in the first 48 bits, later ids sort after */
    char a[XC_UUID_LEN + 1], b[XC_UUID_LEN + 1];
    long long before = (long long) time (NULL) * 1000;
    xc_uuid_new_ordered (a);
    CHECK (xc_uuid_valid (a));
    CHECK (a[14] == '7' && strchr ("89ab", a[19]) != NULL);
    char ms_hex[13];
    memcpy (ms_hex, a, 8);
    memcpy (ms_hex + 8, a + 9, 4);
    ms_hex[12] = 0;
    long long ms = strtoll (ms_hex, NULL, 16);
    CHECK (ms >= before && ms < before + 2000);
    struct timespec pause = { 0, 2000000 };
    nanosleep (&pause, NULL);
    xc_uuid_new_ordered (b);
    CHECK (strcmp (a, b) < 0);
    /* a known vector: the format of 16 bytes */
    unsigned char bytes[16] = { 0x0b, 0x6f, 0x3c, 0x2e, 0x8d, 0x1a, 0xff, 0x5e,
                                0xfa, 0x7b, 0x2c, 0x4d, 0x6e, 0x8f, 0x0a, 0x1b };
    xc_uuid_format (bytes, 8, a);
    CHECK_STR (a, "0b6f3c2e-8d1a-8f5e-ba7b-2c4d6e8f0a1b");
    CHECK (xc_uuid_valid ("0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1b"));
    CHECK (xc_uuid_valid ("0B6F3C2E-8D1A-4F5E-9A7B-2C4D6E8F0A1B"));
    CHECK (!xc_uuid_valid (NULL));
    CHECK (!xc_uuid_valid (""));
    CHECK (!xc_uuid_valid ("0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1"));
    CHECK (!xc_uuid_valid ("0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1bc"));
    CHECK (!xc_uuid_valid ("0b6f3c2e8d1a-4f5e-9a7b-2c4d6e8f0a1b-"));
    CHECK (!xc_uuid_valid ("0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1g"));
    CHECK (!xc_uuid_valid ("0b6f3c2e 8d1a-4f5e-9a7b-2c4d6e8f0a1b"));
    CHECK (!xc_uuid_valid ("{b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1}"));
    /* the lower-case form the suite keeps */
    xc_uuid_lower_copy (a, "0B6F3C2E-8d1A-4F5E-9A7B-2C4D6E8F0A1B");
    CHECK_STR (a, "0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1b");
    xc_uuid_lower_copy (a, "");
    CHECK_STR (a, "");
}

static void
test_uuid_format (void)
{
    unsigned char ones[16], zeros[16];
    memset (ones, 0xff, sizeof ones);
    memset (zeros, 0, sizeof zeros);
    char out[XC_UUID_LEN + 1];
    xc_uuid_format (ones, 8, out);
    CHECK_STR (out, "ffffffff-ffff-8fff-bfff-ffffffffffff");
    xc_uuid_format (zeros, 4, out);
    CHECK_STR (out, "00000000-0000-4000-8000-000000000000");
    /* the input is not modified */
    CHECK (ones[6] == 0xff && ones[8] == 0xff);
}

/*  Ids draw their random bits from a buffer per thread: a forked child must not draw the same
    bits as its parent. */
static void
test_uuid_after_fork (void)
{
    char first[XC_UUID_LEN + 1], parent[XC_UUID_LEN + 1], child[XC_UUID_LEN + 1] = "";
    xc_uuid_new_ordered (first);                 /* the parent's buffer is filled */
    int fds[2];
    CHECK_INT (pipe (fds), 0);
    pid_t pid = fork ();
    if (pid == 0) {
        char id[XC_UUID_LEN + 1];
        xc_uuid_new_ordered (id);
        ssize_t n = write (fds[1], id, sizeof id);
        _exit (n == (ssize_t) sizeof id ? 0 : 1);
    }
    xc_uuid_new_ordered (parent);
    CHECK_INT (read (fds[0], child, sizeof child), (int) sizeof child);
    int status = -1;
    waitpid (pid, &status, 0);
    CHECK_INT (status, 0);
    close (fds[0]);
    close (fds[1]);
    /* the last 12 digits are random bits only */
    CHECK (xc_uuid_valid (child) && strcmp (child + 24, parent + 24) != 0);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    RUN (test_b64url_vectors);
    RUN (test_b64url_round_trip);
    RUN (test_b64url_refusals);
    RUN (test_b64url_against_libsodium);
    RUN (test_b64url_decode_exact);
    RUN (test_hex);
    RUN (test_uuid);
    RUN (test_uuid_after_fork);
    RUN (test_uuid_format);
    HARNESS_END ();
}
