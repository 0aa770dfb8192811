/*  extensions.c: a target asks for more time on a referral (referral.request_extension); the
    office answers, granting with referral.extend (life.c, which marks the request granted) or
    declining (referral.decline_extension). One open request per referral at a time. */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "services/referral/referral.h"


/*  Whether r's due date may move to due (referral.extend, and a request for it): not yet
    disposed nor concluded, and due after the current one. 0, or -1 after failing the call. */
int
referral_extension_allowed (xc_call_t *call, const referral_row_t *r, const char *due)
{
    if (r->disposed || strcmp (r->state, "concluded") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld was disposed: only one awaiting its"
                             " first disposal is extended", (long long) r->id);
    if (strcmp (due, r->due) <= 0)
        return xc_call_fail (call, XC_E_CONFLICT, "the new due date %s is not after %s", due, r->due);
    return 0;
}

/*  The number and requested due date of the referral's open request; *n is 0 when none. */
static int
s_open (xc_call_t *call, json_int_t id, json_int_t *n, char due[XC_DATE_LEN + 1])
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT n, due FROM extension_requests WHERE referral = ?1"
                                             " AND state = 'open'");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    *n = 0;
    due[0] = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        *n = sqlite3_column_int64 (stmt, 0);
        snprintf (due, XC_DATE_LEN + 1, "%s", (const char *) sqlite3_column_text (stmt, 1));
    }
    sqlite3_reset (stmt);
    return 0;
}

/*  Closes request n of referral id as granted (with due) or declined (with reason). */
static int
s_answer (xc_call_t *call, json_int_t id, json_int_t n, const char *state, const char *due,
          const char *reason)
{
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_call_now (call), at);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE extension_requests SET state = ?3, answered_at = ?4,"
                                             " answered_by = ?5, granted_due = ?6, answer_reason = ?7"
                                             " WHERE referral = ?1 AND n = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, n);
    sqlite3_bind_text (stmt, 3, state, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 5, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, due, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, reason, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to answer the extension request");
}

int
referral_request_extension (xc_call_t *call, void *state)
{
    referral_row_t r;
    if (referral_load (call, state, &r, REFERRAL_AS_TARGET) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *due = json_string_value (json_object_get (data, "due"));
    const char *reason = json_string_value (json_object_get (data, "reason"));
    /* the same rules as the extension itself: it could not be granted otherwise */
    if (referral_extension_allowed (call, &r, due) != 0)
        return -1;
    json_int_t open;
    char open_due[XC_DATE_LEN + 1];
    if (s_open (call, r.id, &open, open_due) != 0)
        return -1;
    if (open > 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld has an open extension request (to %s):"
                             " the office answers it first", (long long) r.id, open_due);
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_call_now (call), at);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO extension_requests (referral, n, due, reason, requested_at, requested_by) VALUES (?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM extension_requests WHERE referral = ?1), ?2, ?3, ?4, ?5)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r.id);
    sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 5, xc_call_iss (call), -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the extension request") != 0
        || s_open (call, r.id, &open, open_due) != 0
        || referral_history (call, r.id, "extension_requested", xc_call_iss (call),
                             json_pack ("{s:I, s:s, s:s}", "request", open, "due", due, "reason", reason)) != 0)
        return -1;
    /* an alert without the reason (it may tell of the lead): notify routes it to the office,
       who reads the reason in referral.get */
    char visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8];
    referral_visibility (r.target, r.district, true, visibility, sizeof visibility);
    if (referral_emit (call, "referral.extension_requested", visibility, NULL,
                          json_pack ("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "referral", r.id,
                                     "request", open, "kind", r.kind, "target", r.target, "due", due,
                                     "current_due", r.due, "requested_at", at, "round_owner",
                                     r.district[0] ? r.district : "city")) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:I, s:s}", "referral", r.id, "request", open, "due", due));
    return 0;
}

int
referral_decline_extension (xc_call_t *call, void *state)
{
    referral_row_t r;
    if (referral_load (call, state, &r, REFERRAL_AS_OFFICE) != 0)
        return -1;
    const char *reason = json_string_value (json_object_get (xc_call_msg (call)->data, "reason"));
    json_int_t open;
    char due[XC_DATE_LEN + 1];
    if (s_open (call, r.id, &open, due) != 0)
        return -1;
    if (open == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld has no open extension request",
                             (long long) r.id);
    if (s_answer (call, r.id, open, "declined", NULL, reason) != 0
        || referral_history (call, r.id, "extension_declined", xc_call_iss (call),
                             json_pack ("{s:I, s:s, s:s}", "request", open, "due", due, "reason", reason)) != 0)
        return -1;
    /* the office's reason is for the target: the event is the referral's private kind */
    char visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8];
    referral_visibility (r.target, r.district, false, visibility, sizeof visibility);
    if (referral_emit (call, "referral.extension_declined", visibility, NULL,
                          json_pack ("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}", "referral", r.id, "request", open,
                                     "kind", r.kind, "target", r.target, "due", due, "reason", reason,
                                     "round_owner", r.district[0] ? r.district : "city")) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:I, s:s}", "referral", r.id, "request", open, "state", "declined"));
    return 0;
}

int
referral_extension_grant (xc_call_t *call, json_int_t id, const char *due, json_int_t *n)
{
    char requested[XC_DATE_LEN + 1];
    if (s_open (call, id, n, requested) != 0)
        return -1;
    return *n > 0 ? s_answer (call, id, *n, "granted", due, NULL) : 0;
}

json_t *
referral_extension_requests (xc_call_t *call, json_int_t id)
{
    static const char *const names[] = { "n", "due", "reason", "requested_at", "requested_by", "state",
                                         "answer", NULL };
    static const char *const json_names[] = { "answer", NULL };
    return xc_call_rows (call,
        "SELECT n, due, reason, requested_at, requested_by, state,"
        " CASE WHEN state <> 'open' THEN json_object ('decision', state, 'at', answered_at,"
        " 'by', answered_by, 'due', granted_due, 'reason', answer_reason) END"
        " FROM extension_requests WHERE referral = ?1 ORDER BY n", id, names, json_names);
}
