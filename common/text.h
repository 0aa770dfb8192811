/*  text.h: a growing text buffer, and CSV fields as a spreadsheet reads them.

    xc_buf_t collects text; after a failed allocation it stays failed (later puts do nothing),
    so a caller checks once, at the end. The caller owns data (xc_buf_free).

    xc_csv_field writes one RFC 4180 field: quoted when it holds a comma, a quote or a line
    break (a quote inside is doubled); a field starting with = + - @ tab or carriage return gets
    a ' first, so that a spreadsheet shows it instead of running it as a formula.
*/
#ifndef XC_TEXT_H
#define XC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;                      /* NUL-terminated once anything was put */
    size_t len, size;
    bool failed;
} xc_buf_t;

void xc_buf_put (xc_buf_t *b, const char *s, size_t n);
void xc_buf_puts (xc_buf_t *b, const char *s);
void xc_buf_free (xc_buf_t *b);

/*  The calling thread's scratch buffer, emptied (its memory kept for the next use); freed when
    the thread ends. One user at a time: valid until the thread's next call. NULL only when
    out of memory. */
xc_buf_t *xc_buf_scratch (void);

/*  One field, preceded by a comma unless first; NULL is an empty field. */
void xc_csv_field (xc_buf_t *b, const char *s, bool first);

#endif
