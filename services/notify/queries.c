/*  queries.c: notify.list, notify.get and notify.stats. The office sees every delivery; a
    department system (a directory principal) sees its own. */
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

static json_t *
s_list_row (sqlite3_stmt *stmt)
{
    return json_pack ("{s:I, s:o, s:o, s:o, s:{s:o, s:I, s:o}, s:o, s:I, s:o, s:I, s:o}",
                      "id", (json_int_t) sqlite3_column_int64 (stmt, 0), "recipient", xc_column_text (stmt, 1),
                      "channel", xc_column_text (stmt, 2), "rule", xc_column_text (stmt, 3),
                      "event", "source", xc_column_text (stmt, 4), "seq", (json_int_t) sqlite3_column_int64 (stmt, 5),
                      "type", xc_column_text (stmt, 6), "state", xc_column_text (stmt, 7),
                      "tries", (json_int_t) sqlite3_column_int64 (stmt, 8), "subject", xc_column_text (stmt, 9),
                      "created_ms", (json_int_t) sqlite3_column_int64 (stmt, 10),
                      "sent_ms", sqlite3_column_type (stmt, 11) == SQLITE_NULL
                                     ? json_null () : json_integer (sqlite3_column_int64 (stmt, 11)));
}

int
notify_list (xc_call_t *call, void *state)
{
    const notify_t *notify = state;
    if (!xc_call_role_is (call, "office") && notify_reader (call, notify, NULL) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    int limit = xc_page_limit (data);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id, recipient, channel, rule, source, seq, type, state, tries, subject, created_ms, sent_ms"
        " FROM deliveries WHERE (?1 IS NULL OR recipient = ?1) AND (?2 IS NULL OR type = ?2)"
        " AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR channel = ?4) AND (?5 IS NULL OR principal = ?5)"
        " AND (source != 'digest' OR ?2 = 'digest') AND id > ?6 ORDER BY id LIMIT ?7");
    if (!stmt)
        return -1;
    static const char *const filters[] = { "recipient", "type", "state", "channel" };
    for (int i = 0; i < 4; i++)
        sqlite3_bind_text (stmt, 1 + i, json_string_value (json_object_get (data, filters[i])), -1, SQLITE_STATIC);
    /* everyone but the office sees what was sent to it */
    sqlite3_bind_text (stmt, 5, xc_call_role_is (call, "office") ? NULL : xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 6, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 7, limit + 1);
    return xc_call_page (call, stmt, limit, s_list_row, "id", "unable to list deliveries");
}

int
notify_get (xc_call_t *call, void *state)
{
    const notify_t *notify = state;
    if (!xc_call_role_is (call, "office") && notify_reader (call, notify, NULL) != 0)
        return -1;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "delivery"));
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT principal, state, tries, address, created_ms, sent_ms, acked_ms, digest, event_iat"
        " FROM deliveries WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *extra = NULL;
    bool mine = false;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        const char *principal = (const char *) sqlite3_column_text (stmt, 0);
        mine = xc_call_role_is (call, "office") || (principal && strcmp (principal, xc_call_iss (call)) == 0);
        extra = json_object ();
        static const char *const names[] = { "principal", "state", "tries", "address", "created_ms", "sent_ms",
                                             "acked_ms", "digest", "event_iat" };
        for (int i = 0; i < 9; i++)
            json_object_set_new (extra, names[i], sqlite3_column_type (stmt, i) == SQLITE_INTEGER
                                                      ? json_integer (sqlite3_column_int64 (stmt, i))
                                                      : xc_column_text (stmt, i));
    }
    sqlite3_reset (stmt);
    if (!extra)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no delivery %lld", (long long) id);
    if (!mine) {
        json_decref (extra);
        return xc_call_fail (call, XC_E_FORBIDDEN, "delivery %lld is not yours to read", (long long) id);
    }
    static const char *const attempts[] = { "n", "at_ms", "ok", "detail", NULL };
    json_t *notice = notify_notice (call, id);
    json_t *tries = xc_call_rows (call, "SELECT n, at_ms, ok, detail FROM attempts WHERE delivery = ?1 ORDER BY n",
                                  id, attempts, NULL);
    if (!notice || !tries) {
        json_decref (extra);
        json_decref (notice);
        json_decref (tries);
        return notice ? -1 : xc_call_fail_db (call, "unable to read the delivery");
    }
    json_object_update (notice, extra);
    json_decref (extra);
    json_object_set_new (notice, "attempts", tries);
    xc_call_result (call, notice);
    return 0;
}

/*  The latency at quantile q (0-1) of sent deliveries, or null when none was sent. */
static json_t *
s_latency (xc_call_t *call, long long n, double q)
{
    if (n == 0)
        return json_null ();
    long long k = (long long) (q * (double) n + 0.999999) - 1;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT sent_ms - event_iat * 1000 AS l FROM deliveries WHERE sent_ms IS NOT NULL AND source != 'digest'"
        " ORDER BY l LIMIT 1 OFFSET ?1");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, k < 0 ? 0 : k);
    json_t *v = sqlite3_step (stmt) == SQLITE_ROW ? json_integer (sqlite3_column_int64 (stmt, 0)) : json_null ();
    sqlite3_reset (stmt);
    return v;
}

int
notify_stats (xc_call_t *call, void *state)
{
    (void) state;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT channel, state, count(*) FROM deliveries"
                                             " WHERE source != 'digest' GROUP BY channel, state");
    if (!stmt)
        return -1;
    static const char *const states[] = { "pending", "retrying", "sent", "dead", "held", "acknowledged" };
    json_t *by_state = json_object (), *by_channel = json_object ();
    for (int i = 0; i < 6; i++)
        json_object_set_new (by_state, states[i], json_integer (0));
    long long total = 0;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        const char *channel = (const char *) sqlite3_column_text (stmt, 0);
        const char *st = (const char *) sqlite3_column_text (stmt, 1);
        long long n = sqlite3_column_int64 (stmt, 2);
        total += n;
        json_object_set_new (by_state, st, json_integer (json_integer_value (json_object_get (by_state, st)) + n));
        json_t *c = json_object_get (by_channel, channel);
        if (!c) {
            c = json_object ();
            for (int i = 0; i < 6; i++)
                json_object_set_new (c, states[i], json_integer (0));
            json_object_set_new (by_channel, channel, c);
        }
        json_object_set_new (c, st, json_integer (n));
    }
    sqlite3_reset (stmt);
    stmt = xc_call_stmt (call, "SELECT count(*) FROM deliveries WHERE sent_ms IS NOT NULL AND source != 'digest'");
    long long sent = 0;
    if (stmt && sqlite3_step (stmt) == SQLITE_ROW)
        sent = sqlite3_column_int64 (stmt, 0);
    if (stmt)
        sqlite3_reset (stmt);
    json_t *p50 = s_latency (call, sent, 0.5), *p99 = s_latency (call, sent, 0.99);
    if (!stmt || !p50 || !p99) {
        json_decref (by_state);
        json_decref (by_channel);
        json_decref (p50);
        json_decref (p99);
        return -1;
    }
    xc_call_result (call, json_pack ("{s:I, s:o, s:o, s:{s:o, s:o}}", "deliveries", (json_int_t) total,
                                     "by_state", by_state, "by_channel", by_channel,
                                     "latency_ms", "p50", p50, "p99", p99));
    return 0;
}
