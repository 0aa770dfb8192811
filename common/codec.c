/*  codec.c: base64url, hex and UUIDs on top of libsodium. */
#include "common/codec.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
xc_b64url_encode (const unsigned char *bin, size_t len)
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
    /* libsodium rejects padding and characters outside the alphabet for this variant, and
       reports where it stopped: anything left over means the text was not all base64url. */
    unsigned char *bin = malloc (text_len / 4 * 3 + 3);
    if (!bin)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    size_t len = 0;
    const char *end = NULL;
    if (sodium_base642bin (bin, text_len / 4 * 3 + 2, text, text_len, NULL, &len, &end,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
        || end != text + text_len) {
        free (bin);
        return xc_err_set (err, XC_E_MALFORMED, "invalid base64url");
    }
    bin[len] = 0;
    *bin_p = bin;
    *len_p = len;
    return 0;
}

int
xc_b64url_decode_exact (const char *text, unsigned char *out, size_t want, xc_err_t *err)
{
    unsigned char *bin;
    size_t len;
    if (!text)
        return xc_err_set (err, XC_E_MALFORMED, "missing base64url value");
    if (xc_b64url_decode (text, strlen (text), &bin, &len, err) != 0)
        return -1;
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

void
xc_hex_encode (const unsigned char *bin, size_t len, char *out)
{
    sodium_bin2hex (out, len * 2 + 1, bin, len);
}

void
xc_uuid_new_ordered (char *out)
{
    unsigned char b[16];
    randombytes_buf (b, sizeof b);
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
