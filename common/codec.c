/*  codec.c: base64url, hex and UUIDs. */
#include "common/codec.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char s_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*  The value of each character of the alphabet, 0xff for any other byte. */
static const unsigned char s_b64_values[256] = {
#define X 0xff
#define X16 X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X
    X16, X16,
    X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,                  /* '-' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,         /* '0'-'9' */
    X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,              /* 'A'-'O' */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,       /* 'P'-'Z', '_' */
    X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,    /* 'a'-'o' */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,        /* 'p'-'z' */
    X16, X16, X16, X16, X16, X16, X16, X16,
#undef X16
#undef X
};

char *
xc_b64url_encode (const unsigned char *bin, size_t len)
{
    char *out = malloc (XC_B64URL_LEN (len) + 1);
    if (out)
        xc_b64url_encode_to (out, bin, len);
    return out;
}

size_t
xc_b64url_encode_to (char *out, const unsigned char *bin, size_t len)
{
    char *p = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t) bin[i] << 16 | (uint32_t) bin[i + 1] << 8 | bin[i + 2];
        *p++ = s_b64_alphabet[v >> 18];
        *p++ = s_b64_alphabet[(v >> 12) & 63];
        *p++ = s_b64_alphabet[(v >> 6) & 63];
        *p++ = s_b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        *p++ = s_b64_alphabet[bin[i] >> 2];
        *p++ = s_b64_alphabet[(bin[i] & 3) << 4];
    }
    else if (len - i == 2) {
        uint32_t v = (uint32_t) bin[i] << 8 | bin[i + 1];
        *p++ = s_b64_alphabet[v >> 10];
        *p++ = s_b64_alphabet[(v >> 4) & 63];
        *p++ = s_b64_alphabet[(v << 2) & 63];
    }
    *p = 0;
    return (size_t) (p - out);
}

char *
xc_b64url_encode_secret (const unsigned char *bin, size_t len)
{
    const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
    size_t size = sodium_base64_ENCODED_LEN (len, variant);
    char *out = malloc (size);
    if (out)
        sodium_bin2base64 (out, size, bin, len, variant);
    return out;
}

int
xc_b64url_decode (const char *text, size_t text_len, unsigned char **bin_p, size_t *len_p,
                  xc_err_t *err)
{
    *bin_p = NULL;
    *len_p = 0;
    /* a last group of one character cannot hold a byte */
    if (text_len % 4 == 1)
        return xc_err_set (err, XC_E_MALFORMED, "invalid base64url");
    unsigned char *bin = malloc (text_len / 4 * 3 + 3);
    if (!bin)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    const unsigned char *t = (const unsigned char *) text;
    unsigned char *p = bin;
    size_t i = 0;
    unsigned bad = 0;                  /* any byte outside the alphabet sets its high bits */
    for (; i + 4 <= text_len; i += 4) {
        unsigned a = s_b64_values[t[i]], b = s_b64_values[t[i + 1]];
        unsigned c = s_b64_values[t[i + 2]], d = s_b64_values[t[i + 3]];
        bad |= a | b | c | d;
        uint32_t v = (uint32_t) a << 18 | (uint32_t) b << 12 | (uint32_t) c << 6 | d;
        *p++ = (unsigned char) (v >> 16);
        *p++ = (unsigned char) (v >> 8);
        *p++ = (unsigned char) v;
    }
    unsigned rest = 0;                 /* bits that must be zero in a canonical last group */
    if (text_len - i == 2) {
        unsigned a = s_b64_values[t[i]], b = s_b64_values[t[i + 1]];
        bad |= a | b;
        *p++ = (unsigned char) (a << 2 | b >> 4);
        rest = b & 15;
    }
    else if (text_len - i == 3) {
        unsigned a = s_b64_values[t[i]], b = s_b64_values[t[i + 1]], c = s_b64_values[t[i + 2]];
        bad |= a | b | c;
        *p++ = (unsigned char) (a << 2 | b >> 4);
        *p++ = (unsigned char) (b << 4 | c >> 2);
        rest = c & 3;
    }
    if ((bad & 0xc0) || rest) {
        free (bin);
        return xc_err_set (err, XC_E_MALFORMED, "invalid base64url");
    }
    *p = 0;
    *bin_p = bin;
    *len_p = (size_t) (p - bin);
    return 0;
}

int
xc_b64url_decode_exact (const char *text, unsigned char *out, size_t want, xc_err_t *err)
{
    unsigned char *bin;
    size_t len;
    if (!text)
        return xc_err_set (err, XC_E_MALFORMED, "missing base64url value");
    /* libsodium's decoder: constant time, for key material. It refuses padding and characters
       outside the alphabet, and reports where it stopped: anything left over means the text was
       not all base64url. Version 1.0.18 takes some bytes above 0x7f for letters, so those are
       refused first, without a branch per byte. */
    size_t text_len = strlen (text);
    unsigned high = 0;
    for (size_t i = 0; i < text_len; i++)
        high |= (unsigned char) text[i];
    bin = malloc (text_len / 4 * 3 + 3);
    if (!bin)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    const char *end = NULL;
    len = 0;
    if ((high & 0x80)
        || sodium_base642bin (bin, text_len / 4 * 3 + 2, text, text_len, NULL, &len, &end,
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
        || end != text + text_len) {
        sodium_memzero (bin, text_len / 4 * 3 + 3);
        free (bin);
        return xc_err_set (err, XC_E_MALFORMED, "invalid base64url");
    }
    int rc = 0;
    if (len != want)
        rc = xc_err_set (err, XC_E_MALFORMED, "expected %zu bytes, got %zu", want, len);
    else
        memcpy (out, bin, want);
    sodium_memzero (bin, len);
    free (bin);
    return rc;
}

int
xc_decimal_fixed (const char *s, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return 0;
}

bool
xc_hex64 (const char *s, bool any_case)
{
    if (!s || strlen (s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (any_case && *s >= 'A' && *s <= 'F')))
            return false;
    return true;
}

void
xc_hex_encode (const unsigned char *bin, size_t len, char *out)
{
    sodium_bin2hex (out, len * 2 + 1, bin, len);
}

/*  Random bytes for ids, drawn from libsodium a few kilobytes at a time: each call of
    randombytes_buf is a getrandom system call, and a service makes two ids per command. A
    forked child starts with none, so that it never repeats its parent's. */
static _Thread_local unsigned char s_id_pool[4096];
static _Thread_local size_t s_id_left;
static pthread_once_t s_id_once = PTHREAD_ONCE_INIT;

static void
s_id_forget (void)
{
    s_id_left = 0;
}

static void
s_id_at_fork (void)
{
    pthread_atfork (NULL, NULL, s_id_forget);
}

static void
s_id_random (unsigned char *out, size_t n)
{
    unsigned char *pool = s_id_pool;
    size_t left = s_id_left;
    pthread_once (&s_id_once, s_id_at_fork);
    if (left < n) {
        randombytes_buf (pool, sizeof s_id_pool);
        left = sizeof s_id_pool;
    }
    memcpy (out, pool + sizeof s_id_pool - left, n);
    sodium_memzero (pool + sizeof s_id_pool - left, n);      /* each byte used once */
    s_id_left = left - n;
}

void
xc_uuid_new_ordered (char *out)
{
    unsigned char b[16];
    s_id_random (b, sizeof b);
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char) (ms >> (40 - 8 * i));
    xc_uuid_format (b, 7, out);
}

void
xc_uuid_format (const unsigned char bytes[16], int version, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    memcpy (b, bytes, sizeof b);
    b[6] = (unsigned char) ((b[6] & 0x0f) | (version << 4));
    b[8] = (b[8] & 0x3f) | 0x80;       /* RFC 9562 variant */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0x0f];
    }
    *p = 0;
}

int
xc_uuid_valid (const char *s)
{
    if (!s || strlen (s) != XC_UUID_LEN)
        return 0;
    for (int i = 0; i < XC_UUID_LEN; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex)
            return 0;
    }
    return 1;
}

void
xc_uuid_lower_copy (char *out, const char *s)
{
    size_t i = 0;
    for (; s[i] && i < XC_UUID_LEN; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'F' ? (char) (s[i] - 'A' + 'a') : s[i];
    out[i] = 0;
}
