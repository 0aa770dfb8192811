/*  page.c: pages of list queries that stay below the frame limit (page.h). */
#include "common/page.h"

#include "common/json_text.h"
#include "common/text.h"

size_t
xc_page_budget (size_t max_message_bytes)
{
    if (max_message_bytes <= XC_PAGE_FRAME_RESERVE)
        return 0;
    /* base64url: 3 bytes of body in 4 of frame */
    size_t body = (max_message_bytes - XC_PAGE_FRAME_RESERVE) / 4 * 3;
    return body > XC_PAGE_BODY_RESERVE ? body - XC_PAGE_BODY_RESERVE : 0;
}

size_t
xc_page_result_max (size_t max_message_bytes)
{
    size_t budget = xc_page_budget (max_message_bytes);
    return budget ? budget + XC_PAGE_BODY_RESERVE / 2 : 0;
}

int
xc_page_init (xc_page_t *page, size_t max_message_bytes, int limit, const char *const *keep)
{
    *page = (xc_page_t) { .rows = json_array (), .keep = keep,
                          .budget = xc_page_budget (max_message_bytes), .limit = limit < 1 ? 1 : limit };
    return page->rows ? 0 : -1;
}

size_t
xc_page_measure (const json_t *value)
{
    xc_buf_t *b = xc_buf_scratch ();
    if (!b)
        return 0;
    xc_json_put (b, value, false);
    return b->failed ? 0 : b->len;
}

/*  Whether bytes more (and a comma before them, past the first row) fit; counts them if so.
    The first row always fits, so that a reader always gets on (only a frame limit of a few
    KiB leaves no room for a stand-in). */
static bool
s_fits (xc_page_t *page, size_t bytes)
{
    size_t n = json_array_size (page->rows);
    size_t more = bytes + (n > 0 ? 1 : 0);
    if ((int) n >= page->limit || (n > 0 && (page->used > page->budget || more > page->budget - page->used))) {
        page->full = true;
        return false;
    }
    page->used += more;
    return true;
}

/*  A row's stand-in: the members named in keep, "too_large" and its size. */
static json_t *
s_stand_in (const xc_page_t *page, const json_t *row, size_t bytes)
{
    json_t *stand_in = json_object ();
    for (const char *const *k = page->keep; stand_in && k && *k; k++) {
        json_t *v = json_object_get (row, *k);
        if (v)
            json_object_set (stand_in, *k, v);
    }
    if (stand_in) {
        json_object_set_new (stand_in, "too_large", json_true ());
        json_object_set_new (stand_in, "bytes", json_integer ((json_int_t) bytes));
    }
    return stand_in;
}

static int
s_add (xc_page_t *page, json_t *row, bool whole)
{
    if (!row || page->full) {
        json_decref (row);
        return row ? 0 : -1;
    }
    size_t bytes = xc_page_measure (row);
    if (bytes == 0) {
        json_decref (row);
        return -1;
    }
    if (bytes > page->budget) {
        if (whole && json_array_size (page->rows) == 0) {
            /* alone, and nothing after it: the reader must have it to go on */
            page->used = bytes;
            page->full = true;
            return json_array_append_new (page->rows, row) == 0 ? 1 : -1;
        }
        if (!whole) {
            json_t *stand_in = s_stand_in (page, row, bytes);
            json_decref (row);
            if (!stand_in)
                return -1;
            row = stand_in;
            bytes = xc_page_measure (row);
        }
    }
    if (!s_fits (page, bytes)) {
        json_decref (row);
        return 0;
    }
    return json_array_append_new (page->rows, row) == 0 ? 1 : -1;
}

int
xc_page_add (xc_page_t *page, json_t *row)
{
    return s_add (page, row, false);
}

int
xc_page_add_whole (xc_page_t *page, json_t *row)
{
    return s_add (page, row, true);
}

int
xc_page_add_text (xc_page_t *page, const char *text, size_t len)
{
    if (page->full)
        return 0;
    xc_buf_t *b = xc_buf_scratch ();
    if (!b)
        return -1;
    xc_json_put_string (b, text, len);
    if (b->failed)
        return -1;
    size_t bytes = b->len - 2;       /* the quotes belong to the whole string */
    if (bytes > page->budget)
        return -2;
    if (page->used > page->budget || bytes > page->budget - page->used) {
        page->full = true;
        return 0;
    }
    page->used += bytes;
    return 1;
}

json_t *
xc_page_take (xc_page_t *page)
{
    json_t *rows = page->rows;
    page->rows = json_array ();
    return rows;
}

void
xc_page_clear (xc_page_t *page)
{
    json_decref (page->rows);
    page->rows = NULL;
}
