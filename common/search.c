/*  search.c: registration, MATCH expressions from user text, marked text as segments and
    bigram sets (search.h). */
#include "common/search.h"
#include "common/search_api.h"
#include "common/search_utf8.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

int
xc_search_register (sqlite3 *db)
{
    return xc_search_api_add (db) == SQLITE_OK ? 0 : -1;
}

void
xc_search_facet (char kind, const char *value, char out[XC_SEARCH_FACET_LEN + 1])
{
    xc_search_facet_text (kind, value, strlen (value), out);
}

/*  White space between terms: ASCII and the ideographic space an IME types. */
static int
s_space (const char *s, int n)
{
    if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        return 1;
    return n >= 3 && memcmp (s, "\xe3\x80\x80", 3) == 0 ? 3 : 0;
}

int
xc_search_match_terms (const char *q, int max_terms, char **match, xc_err_t *err)
{
    *match = NULL;
    if (!q)
        return xc_err_set (err, XC_E_SCHEMA, "the search has no term");
    int n = (int) strnlen (q, 1 << 20);
    for (int at = 0, step; at < n; at += step)
        if (xc_search_utf8 (q + at, n - at, &step) < 0)
            return xc_err_set (err, XC_E_SCHEMA, "the search text is not valid utf-8");
    xc_buf_t out = { 0 };
    int terms = 0;
    int at = 0;
    while (at < n) {
        int space = s_space (q + at, n - at);
        if (space) {
            at += space;
            continue;
        }
        int start = at;
        bool indexed = false;
        while (at < n && !s_space (q + at, n - at)) {
            int step;
            int32_t c = xc_search_utf8 (q + at, n - at, &step);
            indexed = indexed || xc_search_class (c) != XC_SEARCH_SEPARATOR;
            at += step;
        }
        terms++;
        if (!indexed) {
            xc_buf_free (&out);
            return xc_err_set (err, XC_E_SCHEMA,
                               "search term %d has no letter, digit or chinese character", terms);
        }
        if (terms > max_terms) {
            xc_buf_free (&out);
            return xc_err_set (err, XC_E_SCHEMA, "the search has more than %d terms", max_terms);
        }
        xc_buf_puts (&out, terms > 1 ? " AND \"" : "\"");
        for (int i = start; i < at; i++)
            xc_buf_put (&out, q[i] == '"' ? "\"\"" : q + i, q[i] == '"' ? 2 : 1);
        xc_buf_puts (&out, "\"");
    }
    if (terms == 0) {
        xc_buf_free (&out);
        return xc_err_set (err, XC_E_SCHEMA, "the search has no term");
    }
    if (out.failed) {
        xc_buf_free (&out);
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    *match = out.data;
    return 0;
}

int
xc_search_match (const char *q, char **match, xc_err_t *err)
{
    return xc_search_match_terms (q, XC_SEARCH_MAX_TERMS, match, err);
}

/*  Appends piece (valid UTF-8 only; anything else is dropped) to arr, as a new element or
    joined to the last when the kind is the same. */
static int
s_segment (json_t *arr, bool marked, const char *s, int n)
{
    xc_buf_t clean = { 0 };
    for (int at = 0, step; at < n; at += step)
        if (xc_search_utf8 (s + at, n - at, &step) >= 0)
            xc_buf_put (&clean, s + at, (size_t) step);
    xc_buf_puts (&clean, "");
    if (clean.failed) {
        xc_buf_free (&clean);
        return -1;
    }
    size_t len = json_array_size (arr);
    bool last_marked = len % 2 == 0;
    int rc = 0;
    if (clean.len == 0 && (marked || len > 0))
        ;                            /* an empty mark, or nothing to add */
    else if (len > 0 && last_marked == marked) {
        json_t *last = json_array_get (arr, len - 1);
        xc_buf_t joined = { 0 };
        xc_buf_puts (&joined, json_string_value (last));
        xc_buf_put (&joined, clean.data, clean.len);
        rc = joined.failed || json_string_setn (last, joined.data, joined.len) ? -1 : 0;
        xc_buf_free (&joined);
    } else {
        if (marked && len == 0)
            rc = json_array_append_new (arr, json_string (""));
        if (rc == 0)
            rc = json_array_append_new (arr, json_stringn (clean.data, clean.len));
    }
    xc_buf_free (&clean);
    return rc;
}

json_t *
xc_search_segments (const char *marked)
{
    json_t *arr = json_array ();
    if (!arr || !marked)
        return arr;
    bool in_mark = false;
    const char *piece = marked;
    for (const char *p = marked;; p++) {
        if (*p != XC_SEARCH_OPEN[0] && *p != XC_SEARCH_CLOSE[0] && *p != '\0')
            continue;
        if (s_segment (arr, in_mark, piece, (int) (p - piece)) < 0) {
            json_decref (arr);
            return NULL;
        }
        piece = p + 1;
        if (*p == '\0')
            break;
        in_mark = *p == XC_SEARCH_OPEN[0];
    }
    return arr;
}

static int
s_cmp_key (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

int
xc_search_bigrams (const char *text, uint64_t **keys, size_t *n)
{
    *keys = NULL;
    *n = 0;
    if (!text)
        return 0;
    int len = (int) strlen (text);
    size_t size = (size_t) len + 1;  /* at most one key per byte */
    uint64_t *k = malloc (size * sizeof *k);
    if (!k)
        return -1;
    size_t count = 0;
    int32_t prev = -1;               /* the CJK character before, in the run */
    int run = 0;
    for (int at = 0, step; at < len;) {
        int32_t c = xc_search_utf8 (text + at, len - at, &step);
        int class = xc_search_class (c);
        if (class == XC_SEARCH_CJK) {
            if (prev >= 0)
                k[count++] = ((uint64_t) prev << 21) | (uint64_t) c;
            prev = c;
            run++;
            at += step;
            continue;
        }
        if (run == 1)
            k[count++] = (uint64_t) prev;
        prev = -1;
        run = 0;
        if (class == XC_SEARCH_WORD) {
            uint64_t h = 14695981039346656037ULL;
            while (at < len && xc_search_class (c = xc_search_utf8 (text + at, len - at, &step)) == XC_SEARCH_WORD) {
                int32_t f = xc_search_fold (c);
                for (int i = 0; i < (f >= 0 ? 1 : step); i++) {
                    h ^= f >= 0 ? (uint64_t) f : (unsigned char) text[at + i];
                    h *= 1099511628211ULL;
                }
                at += step;
            }
            k[count++] = h | (1ULL << 63);
        } else
            at += step;
    }
    if (run == 1)
        k[count++] = (uint64_t) prev;
    if (count == 0) {
        free (k);
        return 0;
    }
    qsort (k, count, sizeof *k, s_cmp_key);
    size_t distinct = 1;
    for (size_t i = 1; i < count; i++)
        if (k[i] != k[distinct - 1])
            k[distinct++] = k[i];
    *keys = k;
    *n = distinct;
    return 0;
}

double
xc_search_dice (const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (na + nb == 0)
        return 0;
    size_t i = 0, j = 0, both = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            both++;
            i++;
            j++;
        } else if (a[i] < b[j])
            i++;
        else
            j++;
    }
    return 2.0 * (double) both / (double) (na + nb);
}
