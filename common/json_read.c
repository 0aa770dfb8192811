/*  json_read.c: see json_read.h. Every "return NULL" means "leave it to jansson". */
#include "common/json_read.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---------------------------------------------------------------- after a refusal */

/*  Where the mending scan is inside the text: one entry per open object or array. */
enum { S_PATH_LEVELS = 16 };
typedef struct {
    bool object;
    bool want_key;                   /* object: the next string is a member name */
    const char *key;                 /* object: the current member's name, as written */
    size_t key_len;
    size_t index;                    /* array: the current element */
} s_level_t;

/*  The path of the value at the scan's position: "data.after", "data.items[2]". */
static void
s_path (const s_level_t *levels, int depth, char *out, size_t size)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < depth && i < S_PATH_LEVELS && n < size; i++) {
        const s_level_t *l = &levels[i];
        int w = l->object ? snprintf (out + n, size - n, "%s%.*s", n ? "." : "",
                                      (int) (l->key_len > 40 ? 40 : l->key_len),
                                      l->key ? l->key : "")
                          : snprintf (out + n, size - n, "[%zu]", l->index);
        n += w > 0 ? (size_t) w : 0;
    }
}

/*  A number literal at p (maximal munch of -?digits(.digits)?([eE][+-]?digits)?): its length,
    and whether jansson refuses it as out of range (an integer outside int64, a real whose
    magnitude is beyond a double). */
static size_t
s_number (const char *p, const char *end, bool *out_of_range, bool *integer)
{
    const char *q = p;
    if (q < end && *q == '-')
        q++;
    const char *digits = q;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    size_t n_digits = (size_t) (q - digits);
    *integer = true;
    if (q < end && *q == '.') {
        *integer = false;
        for (q++; q < end && *q >= '0' && *q <= '9'; q++)
            ;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        *integer = false;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    size_t len = (size_t) (q - p);
    *out_of_range = false;
    if (*integer) {
        /* leading zeros are a syntax error for the parser, not a range error */
        bool negative = *p == '-';
        if (n_digits > 19)
            *out_of_range = digits[0] != '0';
        else if (n_digits == 19) {
            const char *top = negative ? "9223372036854775808" : "9223372036854775807";
            *out_of_range = memcmp (digits, top, 19) > 0;
        }
        return len;
    }
    char *copy = malloc (len + 1);
    if (copy) {
        memcpy (copy, p, len);
        copy[len] = 0;
        double v = strtod (copy, NULL);
        *out_of_range = v == HUGE_VAL || v == -HUGE_VAL;
        free (copy);
    }
    return len;
}

char *
xc_json_mend_numbers (const char *text, size_t len, size_t *len_p, char *what, size_t what_size)
{
    char *out = malloc (len + 1);
    if (!out)
        return NULL;
    s_level_t levels[S_PATH_LEVELS];
    int depth = 0;
    size_t n = 0;
    bool mended = false;
    const char *p = text, *end = text + len;
    while (p < end) {
        char c = *p;
        s_level_t *top = depth > 0 && depth <= S_PATH_LEVELS ? &levels[depth - 1] : NULL;
        if (c == '"') {
            const char *start = p + 1;
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' && p + 1 < end)
                    p++;
            if (top && top->object && top->want_key) {
                top->key = start;
                top->key_len = (size_t) (p - start);
                top->want_key = false;
            }
            p = p < end ? p + 1 : p;
            memcpy (out + n, start - 1, (size_t) (p - start + 1));
            n += (size_t) (p - start + 1);
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth < S_PATH_LEVELS)
                levels[depth] = (s_level_t) { .object = c == '{', .want_key = c == '{' };
            depth++;
        }
        else if ((c == '}' || c == ']') && depth > 0)
            depth--;
        else if (c == ',' && top) {
            top->want_key = top->object;
            top->index++;
        }
        else if (c == '-' || (c >= '0' && c <= '9')) {
            bool out_of_range, integer;
            size_t number = s_number (p, end, &out_of_range, &integer);
            if (out_of_range) {
                if (!mended && what_size) {
                    char path[96];
                    s_path (levels, depth, path, sizeof path);
                    snprintf (what, what_size, "%s: %s", path[0] ? path : "value",
                              integer ? "integer out of range (int64)" : "number out of range");
                }
                mended = true;
                memcpy (out + n, "null", 4);
                n += 4;
            }
            else {
                memcpy (out + n, p, number);
                n += number;
            }
            p += number;
            continue;
        }
        out[n++] = c;
        p++;
    }
    if (!mended) {
        free (out);
        return NULL;
    }
    out[n] = 0;
    *len_p = n;
    return out;
}

char *
xc_json_loosen (const char *text, size_t len, size_t *len_p)
{
    if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0) {
        text += 3;
        len -= 3;
    }
    char *out = malloc (6 * len + 1);    /* a byte may become \ufffd */
    if (!out)
        return NULL;
    size_t n = 0;
    bool in_string = false;
    const char *p = text, *end = text + len;
    while (p < end) {
        unsigned char c = (unsigned char) *p;
        if (!in_string || c == '"') {
            in_string ^= c == '"';
            out[n++] = *p++;
            continue;
        }
        if (c == '\\' && end - p >= 6 && p[1] == 'u') {
            s_reader_t r = { p + 2, end };
            int32_t cp = s_u4 (&r);
            bool pair = false;
            if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
                r.p = p + 8;
                int32_t low = s_u4 (&r);
                pair = low >= 0xdc00 && low <= 0xdfff;
            }
            size_t take = pair ? 12 : 6;
            /* \u0000 and a lone surrogate: U+FFFD in the same six characters */
            bool bad = cp == 0 || (!pair && cp >= 0xd800 && cp <= 0xdfff);
            memcpy (out + n, bad ? "\\ufffd" : p, take);
            n += take;
            p += take;
        }
        else if (c == '\\') {
            size_t take = end - p >= 2 ? 2 : 1;
            memcpy (out + n, p, take);
            n += take;
            p += take;
        }
        else if (c < 0x20) {
            memcpy (out + n, "\\ufffd", 6);
            n += 6;
            p++;
        }
        else if (c >= 0x80) {
            size_t seq = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
                       : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            if (seq && (size_t) (end - p) >= seq && xc_utf8_valid (p, seq)) {
                memcpy (out + n, p, seq);
                n += seq;
                p += seq;
            }
            else {
                memcpy (out + n, "\\ufffd", 6);
                n += 6;
                p++;
            }
        }
        else
            out[n++] = *p++;
    }
    out[n] = 0;
    size_t mended_len;
    char *mended = xc_json_mend_numbers (out, n, &mended_len, NULL, 0);
    if (mended) {
        free (out);
        out = mended;
        n = mended_len;
    }
    *len_p = n;
    return out;
}
