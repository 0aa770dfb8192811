/*  json_text.h: the compact JSON text of a jansson value, the bytes json_dumps gives with
    JSON_COMPACT | JSON_ENCODE_ANY (and JSON_SORT_KEYS when asked), written faster.

    Jansson checks the UTF-8 of every string again while it writes, a character at a time;
    a json_t's strings were checked when they were made, so this writer copies each run of
    characters that needs no escape at once. Escapes, member order, integers and literals are
    jansson's; a real is written by jansson itself. Every signed message body, a command's
    result and a request's digest go through here, so a byte of difference would change what
    is signed and stored: common/json_text_test.c compares the two on random values.
*/
#ifndef XC_JSON_TEXT_H
#define XC_JSON_TEXT_H

#include <jansson.h>
#include <stdbool.h>

#include "common/text.h"

/*  Appends the text of value to b (see text.h: a failed allocation leaves b failed).
    sort_keys: each object's members in the order of their keys' bytes, as JSON_SORT_KEYS. */
void xc_json_put (xc_buf_t *b, const json_t *value, bool sort_keys);

/*  A string (len bytes of valid UTF-8) as jansson writes it: quoted, with the quote, the
    backslash and the control characters escaped; and an integer. For texts built by hand. */
void xc_json_put_string (xc_buf_t *b, const char *s, size_t len);
void xc_json_put_integer (xc_buf_t *b, json_int_t v);

/*  Whether len bytes are UTF-8 as jansson takes it for a string (no overlong forms, no
    surrogates, nothing past U+10FFFF); a NUL is a character like any other. */
bool xc_utf8_valid (const char *s, size_t len);

/*  The text of value as a new string (caller owns); NULL when out of memory. */
char *xc_json_text (const json_t *value);

#endif
