/*  search_utf8.h: strict UTF-8 decoding and the character classes of search.h's tokenizer
    (shared by search.c and search_tok.c; static inline so the loadable extension needs no
    other object). */
#ifndef XC_SEARCH_UTF8_H
#define XC_SEARCH_UTF8_H

#include <stdint.h>

enum { XC_SEARCH_SEPARATOR, XC_SEARCH_WORD, XC_SEARCH_CJK };

/*  The code point at s (n > 0 bytes there) and its length in *step; -1 (step 1) for a byte
    that does not begin a valid sequence: overlong forms, surrogates and > U+10FFFF too. */
static inline int32_t
xc_search_utf8 (const char *s, int n, int *step)
{
    const unsigned char *u = (const unsigned char *) s;
    *step = 1;
    if (u[0] < 0x80)
        return u[0];
    int len;
    int32_t c, min;
    if (u[0] >= 0xc2 && u[0] <= 0xdf) { len = 2; c = u[0] & 0x1f; min = 0x80; }
    else if (u[0] >= 0xe0 && u[0] <= 0xef) { len = 3; c = u[0] & 0x0f; min = 0x800; }
    else if (u[0] >= 0xf0 && u[0] <= 0xf4) { len = 4; c = u[0] & 0x07; min = 0x10000; }
    else
        return -1;
    if (n < len)
        return -1;
    for (int i = 1; i < len; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return -1;
        c = (c << 6) | (u[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return -1;
    *step = len;
    return c;
}

static inline int
xc_search_class (int32_t c)
{
    if (c < 0)
        return XC_SEARCH_SEPARATOR;
    if (c < 0x80)
        return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ? XC_SEARCH_WORD
                                                                                  : XC_SEARCH_SEPARATOR;
    if (c == 0x3007 || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff)
        || (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3134f))
        return XC_SEARCH_CJK;
    if ((c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7) || (c >= 0x370 && c <= 0x3ff && c != 0x37e)
        || (c >= 0x400 && c <= 0x4ff) || (c >= 0xff10 && c <= 0xff19) || (c >= 0xff21 && c <= 0xff3a)
        || (c >= 0xff41 && c <= 0xff5a))
        return XC_SEARCH_WORD;
    return XC_SEARCH_SEPARATOR;
}

/*  The ASCII form of a word character (lower case; full-width folded), -1 when it has none. */
static inline int32_t
xc_search_fold (int32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0x80)
        return c;
    if (c >= 0xff10 && c <= 0xff19)
        return '0' + (c - 0xff10);
    if (c >= 0xff21 && c <= 0xff3a)
        return 'a' + (c - 0xff21);
    if (c >= 0xff41 && c <= 0xff5a)
        return 'a' + (c - 0xff41);
    return -1;
}

#endif
