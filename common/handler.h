/*  handler.h: small helpers for a service's handlers (common/service.h): who sent the
    message, today's date, cached statements, events from fresh JSON, paged lists.
    Failures fail the call (xc_call_fail) and return -1 or NULL.
*/
#ifndef XC_HANDLER_H
#define XC_HANDLER_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "common/calendar.h"
#include "common/service.h"

/*  The sender's role and name; the message must exist (not in a tick or an apply). */
const char *xc_call_role (xc_call_t *call);
const char *xc_call_iss (xc_call_t *call);
bool xc_call_role_is (xc_call_t *call, const char *role);

/*  District offices (docs/security.md, "Districts"): a principal of role "district" speaks for
    the district named by its registry scope {"district": "<a district unit's id>"}.
    xc_principal_district gives that id, or NULL for a principal of any other role and for a
    district principal whose scope names none (as an id: 1-64 of A-Z a-z 0-9 . _ : -).
    xc_call_district sets *district to the sender's (NULL when the sender is not a district
    office) and returns 0; a district principal without a valid district fails the call
    (forbidden, nothing is looked at) and returns -1: such a principal may do nothing. */
const char *xc_principal_district (const xc_principal_t *principal);
int xc_call_district (xc_call_t *call, const char **district);

/*  Today's local date on the service's clock (the deployment's utc_offset). */
xc_date_t xc_call_today (xc_call_t *call);

/*  The day a recorded fact happened (docs/protocol.md, "History"): the data's "occurred_on"
    when it has one, else today. Only a sender whose role is in history_roles (NULL-terminated)
    may give it, to load what happened before the system (forbidden otherwise); it may not be
    after today (schema). Writes the date to out[XC_DATE_LEN + 1] when out is not NULL and sets
    *historical to whether it was given (may be NULL). Returns the date, or -1 after failing the
    call. The envelope's iat stays the signing time: events carry both. */
xc_date_t xc_call_occurred_on (xc_call_t *call, const json_t *data, const char *const *history_roles,
                               char *out, bool *historical);

/*  A prepared statement for sql from the store's cache, reset and cleared. Borrowed. */
sqlite3_stmt *xc_call_stmt (xc_call_t *call, const char *sql);

/*  Steps a statement that returns no row and resets it; 0, or -1 after failing with what. */
int xc_call_exec (xc_call_t *call, sqlite3_stmt *stmt, const char *what);

/*  Steps a statement that asks whether a row exists and resets it: 1 when it gave a row, 0
    when none, -1 after failing with what. */
int xc_call_exists (xc_call_t *call, sqlite3_stmt *stmt, const char *what);

/*  Steps a statement that gives at most one row and resets it, copying that row's column 0 as
    text into out[size] ("" without a row or for NULL): 1 when it gave a row, 0 when none, -1
    after failing with what. */
int xc_call_text (xc_call_t *call, sqlite3_stmt *stmt, char *out, size_t size, const char *what);

/*  xc_call_emit taking (stealing) data, which may be NULL after a failed json_pack. */
int xc_call_emit_new (xc_call_t *call, const char *type, const char *visibility, const char *key,
                      json_t *data);

/*  A column as a JSON string, or null. Caller owns. */
json_t *xc_column_text (sqlite3_stmt *stmt, int column);

/*  A new object with the members of from named in keys (NULL-terminated); absent ones null. */
json_t *xc_json_pick (const json_t *from, const char *const *keys);

/*  The rows of sql, with parameter 1 bound to id, as objects of the given column names
    (NULL-terminated): integers as numbers, other values as text or null, and the columns named
    in json_columns (NULL-terminated, may be NULL) parsed, as they hold JSON text the service
    wrote. Caller owns; NULL after failing the call. */
json_t *xc_call_rows (xc_call_t *call, const char *sql, json_int_t id, const char *const *names,
                      const char *const *json_columns);

/*  The "limit" member of a list query's data (100 when absent). */
int xc_page_limit (const json_t *data);

/*  Runs a list query whose statement has limit + 1 as its row limit, making each row an item
    with row (); sets the call's result to {"items", "next"}, next being the cursor member of
    the last item when there are more rows, null otherwise. The page stops early, below the
    frame limit, when the rows' text would not fit in one reply (common/page.h); a row larger
    than a page by itself comes as {cursor, "too_large": true, "bytes"}. */
int xc_call_page (xc_call_t *call, sqlite3_stmt *stmt, int limit,
                  json_t *(*row) (sqlite3_stmt *stmt), const char *cursor, const char *what);

#endif
