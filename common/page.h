/*  page.h: a page of a list query that stays below the frame limit.

    A reply is a signed message: its body is base64url-encoded (4 bytes for 3) into a frame of
    at most limits.max_message_bytes, beside the header and the signature. A page takes rows
    while the JSON text of its rows stays within xc_page_budget (max_message_bytes), which
    leaves room for all of that and for the reply's other members; the query then says where
    to go on (its cursor), and the reader asks again from there.

    Rows are measured as the service writes them (common/json_text.c: raw UTF-8, the quote,
    the backslash and control characters escaped), so what a row holds cannot push a reply over
    the limit. A row that is larger than a whole page by itself is not sent: a stand-in takes
    its place, holding the row's members named in keep (its cursor, so that the reader can go
    on) and "too_large": true with "bytes", the size of the row's text. Outbox events
    (events.read) are never replaced: an event goes whole, alone on its page when it must
    (xc_page_add_whole), since a reader that skipped it could not follow the chain; and the
    service refuses to make an event larger than a page (common/service_call.c, xc_call_emit), so
    that only an event stored before that rule, or under a larger limit, can be alone and over.
    A whole answer that is not a page (a get) is checked against xc_page_result_max.

        xc_page_t page;
        xc_page_init (&page, cfg->max_message_bytes, limit, keep);
        while (rows) if (xc_page_add (&page, row) == 0) break;   // full: say where to go on
        json_t *rows = xc_page_take (&page);                      // caller owns
        xc_page_clear (&page);
*/
#ifndef XC_PAGE_H
#define XC_PAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*  Bytes of the frame not available to a reply's body: the protected header (a kid of up to
    127 characters, base64url), the signature and the outer object's punctuation. */
#define XC_PAGE_FRAME_RESERVE 1024
/*  Bytes of the body not available to a page's rows: the body's members (id, iss, aud, iat,
    exp, type, corr), the result's members beside the rows (next, head, ...) and the brackets. */
#define XC_PAGE_BODY_RESERVE 2048

typedef struct {
    json_t *rows;                    /* the page so far; owned until taken */
    const char *const *keep;         /* members a stand-in keeps; NULL-terminated */
    size_t budget;                   /* bytes of row text a page may hold */
    size_t used;                     /* bytes of row text and separating commas so far */
    int limit;                       /* rows a page may hold */
    bool full;                       /* a row was refused, or the limit reached */
} xc_page_t;

/*  The bytes of rows' text a page may hold under a frame limit of max_message_bytes (0 when
    the limit is too small for any). */
size_t xc_page_budget (size_t max_message_bytes);

/*  The bytes of a whole result (a reply's data) one reply under max_message_bytes carries: the
    page budget and the room it leaves for the result's own members (the body's members take
    less than half of XC_PAGE_BODY_RESERVE). */
size_t xc_page_result_max (size_t max_message_bytes);

/*  Starts an empty page of at most limit rows (at least 1). keep (borrowed, may be NULL) names
    the members a row's stand-in keeps. Returns 0, or -1 when out of memory. */
int xc_page_init (xc_page_t *page, size_t max_message_bytes, int limit, const char *const *keep);

/*  Offers a row (stolen, may be NULL after a failed json_pack). Returns 1 when the page took
    it (or its stand-in), 0 when it did not fit (the page is full: the row was dropped and is
    the first of the next page), -1 when out of memory or row is NULL. */
int xc_page_add (xc_page_t *page, json_t *row);

/*  As xc_page_add, but a row larger than a page goes whole when it is the first (the page
    is then full). */
int xc_page_add_whole (xc_page_t *page, json_t *row);

/*  Offers bytes of text that the caller keeps itself (e.g. CSV lines), measured as the JSON
    string they end up in: 1 taken (counted), 0 full, -2 larger than any page by itself (not
    counted; the page is not full). */
int xc_page_add_text (xc_page_t *page, const char *text, size_t len);

/*  The rows taken so far (caller owns); the page is left empty. */
json_t *xc_page_take (xc_page_t *page);

/*  Frees what the page holds. */
void xc_page_clear (xc_page_t *page);

/*  The length of the JSON text of value as a reply holds it (0 when out of memory). */
size_t xc_page_measure (const json_t *value);

#endif
