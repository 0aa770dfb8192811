/*  json_read.c: see json_read.h. Every "return NULL" means "leave it to jansson". */
#include "common/json_read.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_text.h"

#define S_DEPTH_MAX 64               /* deeper than any message; jansson takes the rest */

typedef struct {
    const char *p, *end;
} s_reader_t;

static void
s_space (s_reader_t *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int
s_hex (char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*  Four hex digits after "\u"; -1 when they are not. */
static int32_t
s_u4 (s_reader_t *r)
{
    if (r->end - r->p < 4)
        return -1;
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = s_hex (r->p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    r->p += 4;
    return v;
}

static size_t
s_utf8_put (char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char) cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char) (0xc0 | cp >> 6);
        out[1] = (char) (0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char) (0xe0 | cp >> 12);
        out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char) (0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char) (0xf0 | cp >> 18);
    out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char) (0x80 | (cp & 0x3f));
    return 4;
}

/*  A string, the opening quote already read: its bytes in *text_p and *len_p, either inside
    the input (no escapes: *owned_p NULL) or in *owned_p (caller frees). false: give up. */
static bool
s_string (s_reader_t *r, const char **text_p, size_t *len_p, char **owned_p)
{
    *owned_p = NULL;
    const char *start = r->p;
    bool high = false;
    while (r->p < r->end && *r->p != '"' && *r->p != '\\') {
        unsigned char c = (unsigned char) *r->p;
        if (c < 0x20)
            return false;
        high |= c >= 0x80;
        r->p++;
    }
    if (r->p == r->end)
        return false;
    if (*r->p == '"') {
        *text_p = start;
        *len_p = (size_t) (r->p - start);
        r->p++;
        return !high || xc_utf8_valid (start, *len_p);
    }
    /* escapes: decoded into a copy, never longer than the text it comes from */
    size_t most = (size_t) (r->end - start);
    char *out = malloc (most + 1);
    if (!out)
        return false;
    size_t n = (size_t) (r->p - start);
    memcpy (out, start, n);
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char) *r->p;
        if (c < 0x20)
            goto fail;
        if (c != '\\') {
            high |= c >= 0x80;
            out[n++] = (char) c;
            r->p++;
            continue;
        }
        if (++r->p == r->end)
            goto fail;
        char e = *r->p++;
        const char *simple = strchr ("\"\\/bfnrt", e);
        if (e && simple) {
            out[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            continue;
        }
        if (e != 'u')
            goto fail;
        int32_t cp = s_u4 (r);
        if (cp <= 0 || (cp >= 0xdc00 && cp <= 0xdfff))     /* \u0000, a lone low surrogate */
            goto fail;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
                goto fail;
            r->p += 2;
            int32_t low = s_u4 (r);
            if (low < 0xdc00 || low > 0xdfff)
                goto fail;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        }
        n += s_utf8_put (out + n, (uint32_t) cp);
    }
    if (r->p == r->end || (high && !xc_utf8_valid (out, n)))
        goto fail;
    r->p++;
    out[n] = 0;
    *text_p = out;
    *len_p = n;
    *owned_p = out;
    return true;
fail:
    free (out);
    return false;
}

/*  An integer as jansson reads one: -?(0|[1-9][0-9]*), in range; a fraction or an exponent
    (a real) gives up. */
static json_t *
s_integer (s_reader_t *r)
{
    bool negative = r->p < r->end && *r->p == '-';
    if (negative)
        r->p++;
    if (r->p == r->end || *r->p < '0' || *r->p > '9')
        return NULL;
    if (*r->p == '0' && r->end - r->p > 1 && r->p[1] >= '0' && r->p[1] <= '9')
        return NULL;
    uint64_t v = 0;
    int digits = 0;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
        if (++digits > 19)
            return NULL;
        v = v * 10 + (uint64_t) (*r->p++ - '0');
    }
    if (r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'))
        return NULL;
    if (v > (uint64_t) INT64_MAX + negative)
        return NULL;
    json_int_t value = negative ? (json_int_t) (0 - v) : (json_int_t) v;
    return json_integer (value);
}

static json_t *s_value (s_reader_t *r, int depth);

/*  After a member or an element: ',' (another follows: 1), the closing character (0), or
    anything else (-1, give up). */
static int
s_next (s_reader_t *r, char close)
{
    s_space (r);
    if (r->p < r->end && (*r->p == ',' || *r->p == close))
        return *r->p++ == ',';
    return -1;
}

static json_t *
s_object (s_reader_t *r, int depth)
{
    json_t *object = json_object ();
    if (!object)
        return NULL;
    s_space (r);
    if (r->p < r->end && *r->p == '}') {
        r->p++;
        return object;
    }
    for (;;) {
        s_space (r);
        if (r->p == r->end || *r->p != '"')
            break;
        r->p++;
        const char *key;
        size_t key_len;
        char *owned;
        if (!s_string (r, &key, &key_len, &owned))
            break;
        s_space (r);
        json_t *value = NULL;
        if (r->p < r->end && *r->p == ':' && !json_object_getn (object, key, key_len)) {
            r->p++;
            value = s_value (r, depth + 1);
        }
        int set = value ? json_object_setn_new_nocheck (object, key, key_len, value) : -1;
        free (owned);
        int next = set == 0 ? s_next (r, '}') : -1;
        if (next == 0)
            return object;
        if (next < 0)
            break;
    }
    json_decref (object);
    return NULL;
}

static json_t *
s_array (s_reader_t *r, int depth)
{
    json_t *array = json_array ();
    if (!array)
        return NULL;
    s_space (r);
    if (r->p < r->end && *r->p == ']') {
        r->p++;
        return array;
    }
    for (;;) {
        json_t *value = s_value (r, depth + 1);
        int next = value && json_array_append_new (array, value) == 0 ? s_next (r, ']') : -1;
        if (next == 0)
            return array;
        if (next < 0)
            break;
    }
    json_decref (array);
    return NULL;
}

static bool
s_word (s_reader_t *r, const char *word, size_t len)
{
    if ((size_t) (r->end - r->p) < len || memcmp (r->p, word, len) != 0)
        return false;
    r->p += len;
    return true;
}

static json_t *
s_value (s_reader_t *r, int depth)
{
    if (depth > S_DEPTH_MAX)
        return NULL;
    s_space (r);
    if (r->p == r->end)
        return NULL;
    switch (*r->p) {
    case '{':
        r->p++;
        return s_object (r, depth);
    case '[':
        r->p++;
        return s_array (r, depth);
    case '"': {
        r->p++;
        const char *text;
        size_t len;
        char *owned;
        if (!s_string (r, &text, &len, &owned))
            return NULL;
        json_t *string = json_stringn_nocheck (text, len);
        free (owned);
        return string;
    }
    case 't':
        return s_word (r, "true", 4) ? json_true () : NULL;
    case 'f':
        return s_word (r, "false", 5) ? json_false () : NULL;
    case 'n':
        return s_word (r, "null", 4) ? json_null () : NULL;
    default:
        return s_integer (r);
    }
}

json_t *
xc_json_read (const char *text, size_t len)
{
    s_reader_t r = { text, text + len };
    s_space (&r);
    if (r.p == r.end || *r.p != '{')
        return NULL;
    json_t *value = s_value (&r, 0);
    s_space (&r);
    if (value && r.p != r.end) {
        json_decref (value);
        return NULL;
    }
    return value;
}
