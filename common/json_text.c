/*  json_text.c: see json_text.h. */
#include "common/json_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
xc_json_put_string (xc_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    xc_buf_put (b, "\"", 1);
    size_t run = 0;                       /* start of the characters not yet written */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        xc_buf_put (b, s + run, i - run);
        run = i + 1;
        char esc[7] = { '\\', 0 };
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy (esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        xc_buf_put (b, esc, n);
    }
    xc_buf_put (b, s + run, len - run);
    xc_buf_put (b, "\"", 1);
}

bool
xc_utf8_valid (const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (n == 0 || (size_t) (end - p) < n)
            return false;
        uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff)
            || cp > 0x10ffff)
            return false;
        p += n;
    }
    return true;
}

void
xc_json_put_integer (xc_buf_t *b, json_int_t v)
{
    /* "%lld", without the cost of a printf */
    unsigned long long u = v < 0 ? 0 - (unsigned long long) v : (unsigned long long) v;
    char digits[24];
    char *p = digits + sizeof digits;
    do
        *--p = (char) ('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    xc_buf_put (b, p, (size_t) (digits + sizeof digits - p));
}

typedef struct {
    const char *key;
    size_t len;
    const json_t *value;
} s_member_t;

/*  JSON_SORT_KEYS's order: the bytes, then the shorter first. */
static int
s_member_cmp (const void *a, const void *b)
{
    const s_member_t *x = a, *y = b;
    int rc = memcmp (x->key, y->key, x->len < y->len ? x->len : y->len);
    return rc ? rc : (x->len > y->len) - (x->len < y->len);
}

static void s_put (xc_buf_t *b, const json_t *value, bool sort_keys);

static void
s_put_object (xc_buf_t *b, const json_t *object, bool sort_keys)
{
    size_t n = json_object_size (object);
    s_member_t some[16];
    s_member_t *members = n <= 16 ? some : malloc (n * sizeof *members);
    if (!members) {
        b->failed = true;
        return;
    }
    size_t i = 0;
    for (void *it = json_object_iter ((json_t *) object); it && i < n;
         it = json_object_iter_next ((json_t *) object, it), i++)
        members[i] = (s_member_t) { json_object_iter_key (it), json_object_iter_key_len (it),
                                    json_object_iter_value (it) };
    if (sort_keys && i > 1)
        qsort (members, i, sizeof *members, s_member_cmp);
    xc_buf_put (b, "{", 1);
    for (size_t k = 0; k < i; k++) {
        if (k)
            xc_buf_put (b, ",", 1);
        xc_json_put_string (b, members[k].key, members[k].len);
        xc_buf_put (b, ":", 1);
        s_put (b, members[k].value, sort_keys);
    }
    xc_buf_put (b, "}", 1);
    if (members != some)
        free (members);
}

static void
s_put (xc_buf_t *b, const json_t *value, bool sort_keys)
{
    switch (json_typeof (value)) {
    case JSON_OBJECT:
        s_put_object (b, value, sort_keys);
        break;
    case JSON_ARRAY:
        xc_buf_put (b, "[", 1);
        for (size_t i = 0; i < json_array_size (value); i++) {
            if (i)
                xc_buf_put (b, ",", 1);
            s_put (b, json_array_get (value, i), sort_keys);
        }
        xc_buf_put (b, "]", 1);
        break;
    case JSON_STRING:
        xc_json_put_string (b, json_string_value (value), json_string_length (value));
        break;
    case JSON_INTEGER:
        xc_json_put_integer (b, json_integer_value (value));
        break;
    case JSON_REAL: {
        /* jansson's own rules for reals (precision, a ".0" or an exponent) */
        char *text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text)
            xc_buf_puts (b, text);
        else
            b->failed = true;
        free (text);
        break;
    }
    case JSON_TRUE:
        xc_buf_put (b, "true", 4);
        break;
    case JSON_FALSE:
        xc_buf_put (b, "false", 5);
        break;
    case JSON_NULL:
        xc_buf_put (b, "null", 4);
        break;
    }
}

void
xc_json_put (xc_buf_t *b, const json_t *value, bool sort_keys)
{
    if (!value) {
        b->failed = true;
        return;
    }
    s_put (b, value, sort_keys);
}

char *
xc_json_text (const json_t *value)
{
    /* its users write small texts (a command's result, a header): the buffer starts small
       and doubles, so that a short text never takes a block of a kilobyte */
    xc_buf_t b = { 0 };
    xc_json_put (&b, value, false);
    if (b.failed) {
        xc_buf_free (&b);
        return NULL;
    }
    return b.data;
}
