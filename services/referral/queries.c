/*  queries.c: referral.get (a logged read), referral.list, referral.stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "services/referral/referral.h"

int
referral_get (xc_call_t *call, void *state)
{
    (void) state;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "referral"));
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT kind, target, problem, title, content, state, method, referred_on, due, due_start,"
        " due_policy, due_explain, disposed_on, concluded_on, created_by FROM referrals WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *r = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *content = json_loads ((const char *) sqlite3_column_text (stmt, 4), 0, NULL);
        r = json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                       " s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o}",
                       "id", id, "kind", xc_column_text (stmt, 0), "target", xc_column_text (stmt, 1),
                       "problem", sqlite3_column_type (stmt, 2) == SQLITE_NULL
                                      ? json_null () : json_integer (sqlite3_column_int64 (stmt, 2)),
                       "title", xc_column_text (stmt, 3), "content", content ? content : json_object (),
                       "state", xc_column_text (stmt, 5), "method", xc_column_text (stmt, 6),
                       "referred_on", xc_column_text (stmt, 7),
                       "due", "date", xc_column_text (stmt, 8), "start", xc_column_text (stmt, 9),
                       "policy", xc_column_text (stmt, 10), "explain", xc_column_text (stmt, 11),
                       "disposed_on", xc_column_text (stmt, 12), "concluded_on", xc_column_text (stmt, 13),
                       "created_by", xc_column_text (stmt, 14));
    }
    sqlite3_reset (stmt);
    const char *target = r ? json_string_value (json_object_get (r, "target")) : NULL;
    if (!r || (!xc_call_role_is (call, "office") && strcmp (target, xc_call_iss (call)) != 0)) {
        bool found = r != NULL;
        json_decref (r);
        return found ? xc_call_fail (call, XC_E_FORBIDDEN, "referral %lld is not yours to read", (long long) id)
                     : xc_call_fail (call, XC_E_NOT_FOUND, "no referral %lld", (long long) id);
    }
    static const char *const history[] = { "n", "action", "by", "at", "data", NULL };
    static const char *const outcomes[] = { "n", "case_filed", "party_sanctions",
                                            "administrative_sanctions", "organizational_handling",
                                            "detentions", "prosecution_transfers", "note",
                                            "reported_on", NULL };
    static const char *const json_columns[] = { "data", NULL };
    json_t *h = xc_call_rows (call, "SELECT n, action, by, at, data FROM referral_history WHERE referral = ?1"
                                    " ORDER BY n", id, history, json_columns);
    json_t *o = xc_call_rows (call, "SELECT n, case_filed, party_sanctions, administrative_sanctions,"
                              " organizational_handling, detentions, prosecution_transfers, note,"
                              " reported_on FROM outcomes WHERE referral = ?1 ORDER BY n", id, outcomes, NULL);
    if (!h || !o) {
        json_decref (h);
        json_decref (o);
        json_decref (r);
        return -1;
    }
    json_t *extensions = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (h, i, entry)
        if (strcmp (json_string_value (json_object_get (entry, "action")), "extended") == 0)
            json_array_append (extensions, json_object_get (entry, "data"));
    json_t *due = json_object_get (r, "due");
    json_object_set_new (due, "extensions", extensions);
    /* which calendar the span counts in: working days need the deployment's holiday files */
    xc_span_t span;
    bool workdays = xc_span_parse (json_string_value (json_object_get (due, "policy")), &span, NULL) == 0
                    && span.unit == XC_SPAN_WORKDAYS;
    json_object_set_new (due, "calendar", json_string (workdays ? xc_call_config (call)->calendar
                                                                : "calendar days"));
    json_object_set_new (r, "history", h);
    json_object_set_new (r, "outcomes", o);
    /* Reading a lead is a disciplinary matter: the read itself is recorded, durably, before
       the lead is shown (a resent read is answered from the inbox and not logged twice). */
    if (strcmp (json_string_value (json_object_get (r, "kind")), "lead") == 0) {
        char visibility[XC_NAME_MAX + 8], at[XC_RFC3339_LEN + 1];
        referral_visibility (target, false, visibility, sizeof visibility);
        xc_clock_format (xc_call_now (call), at);
        if (xc_call_emit_new (call, "lead.read", visibility, NULL,
                              json_pack ("{s:I, s:s, s:s}", "referral", id, "reader",
                                         xc_call_iss (call), "at", at)) != 0) {
            json_decref (r);
            return -1;
        }
    }
    xc_call_result (call, r);
    return 0;
}

static json_t *
s_list_row (sqlite3_stmt *stmt)
{
    return json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
                      "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
                      "kind", xc_column_text (stmt, 1), "target", xc_column_text (stmt, 2),
                      "problem", sqlite3_column_type (stmt, 3) == SQLITE_NULL
                                     ? json_null () : json_integer (sqlite3_column_int64 (stmt, 3)),
                      "title", xc_column_text (stmt, 4), "state", xc_column_text (stmt, 5),
                      "method", xc_column_text (stmt, 6), "due", xc_column_text (stmt, 7),
                      "overdue", sqlite3_column_int (stmt, 8));
}

/* Overdue: past its due date without a first disposal (its feedback). */
#define OVERDUE "(disposed_on IS NULL AND due < ?1)"

int
referral_list (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    int limit = xc_page_limit (data);
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    json_t *overdue = json_object_get (data, "overdue");
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id, kind, target, problem, title, state, method, due, " OVERDUE " FROM referrals"
        " WHERE (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR target = ?3) AND (?4 IS NULL OR state = ?4)"
        " AND (?5 IS NULL OR " OVERDUE " = ?5) AND (?6 IS NULL OR target = ?6) AND id > ?7"
        " ORDER BY id LIMIT ?8");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "kind")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "target")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    if (overdue)
        sqlite3_bind_int (stmt, 5, json_is_true (overdue));
    /* everyone but the office sees only what was sent to them */
    sqlite3_bind_text (stmt, 6, xc_call_role_is (call, "office") ? NULL : xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 7, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 8, limit + 1);
    return xc_call_page (call, stmt, limit, s_list_row, "id", "unable to list referrals");
}

static int
s_cmp_int (const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;
    return (x > y) - (x < y);
}

int
referral_stats (xc_call_t *call, void *state)
{
    (void) state;
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT (SELECT count(*) FROM referrals WHERE kind = 'lead'),"
        " (SELECT count(*) FROM referrals WHERE kind = 'handover'),"
        " (SELECT count(*) FROM referrals WHERE kind = 'report'),"
        " (SELECT count(DISTINCT referral) FROM outcomes WHERE case_filed),"
        " (SELECT coalesce (sum (party_sanctions), 0) FROM outcomes),"
        " (SELECT coalesce (sum (administrative_sanctions), 0) FROM outcomes),"
        " (SELECT coalesce (sum (organizational_handling), 0) FROM outcomes),"
        " (SELECT coalesce (sum (detentions), 0) FROM outcomes),"
        " (SELECT coalesce (sum (prosecution_transfers), 0) FROM outcomes),"
        " (SELECT count(*) FROM referrals WHERE " OVERDUE ")");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return xc_call_fail_db (call, "unable to count referrals");
    }
    static const char *const names[] = { "leads", "handovers", "reports", "cases_filed",
                                         "party_sanctions", "administrative_sanctions",
                                         "organizational_handling", "detentions",
                                         "prosecution_transfers", "overdue_now" };
    json_t *stats = json_object ();
    for (int i = 0; i < 10; i++)
        json_object_set_new (stats, names[i], json_integer (sqlite3_column_int64 (stmt, i)));
    sqlite3_reset (stmt);

    stmt = xc_call_stmt (call, "SELECT CAST (julianday (disposed_on) - julianday (referred_on) AS INTEGER)"
                               " FROM referrals WHERE disposed_on IS NOT NULL");
    if (!stmt) {
        json_decref (stats);
        return -1;
    }
    int n = 0, size = 64;
    int *days = malloc (sizeof *days * (size_t) size);
    while (days && sqlite3_step (stmt) == SQLITE_ROW) {
        if (n == size) {
            int *more = realloc (days, sizeof *days * (size_t) (size *= 2));
            if (!more) {
                free (days);
                days = NULL;
                break;
            }
            days = more;
        }
        days[n++] = sqlite3_column_int (stmt, 0);
    }
    sqlite3_reset (stmt);
    if (!days) {
        json_decref (stats);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    qsort (days, (size_t) n, sizeof *days, s_cmp_int);
    json_t *median = n == 0 ? json_null ()
                     : n % 2 ? json_real (days[n / 2])
                             : json_real ((days[n / 2 - 1] + days[n / 2]) / 2.0);
    free (days);
    json_object_set_new (stats, "median_days_to_disposal", median);
    xc_call_result (call, stats);
    return 0;
}
