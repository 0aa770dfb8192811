/*  queries.c: rectify.get, rectify.list and rectify.round, each limited to the units the reader
    may see (scope.c). rectify.stats is stats.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "common/text.h"
#include "services/rectify/rectify.h"

#define OVERDUE RECTIFY_SQL_OVERDUE
/* The items (or visits, interviews: any table aliased i with round and unit) a query counts:
   ?2 round, ?3 unit; what the reader may read is rectify_reach's (scope.c). */
#define FILTER "(?2 IS NULL OR i.round = ?2) AND (?3 IS NULL OR i.unit = ?3)"

json_t *
rectify_rate (long long part, long long of)
{
    if (of <= 0)
        return json_null ();
    long long centi = (part * 20000 + of) / (2 * of);   /* percent in hundredths, half up */
    char text[32];
    snprintf (text, sizeof text, "%lld.%02lld", centi / 100, centi % 100);
    return json_string (text);
}

/*  Binds today, the round and unit filters of data, as far as stmt has parameters. */
static void
s_bind_filter (xc_call_t *call, sqlite3_stmt *stmt)
{
    const json_t *data = xc_call_msg (call)->data;
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    int n = sqlite3_bind_parameter_count (stmt);
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    if (n >= 2)
        sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "round")), -1, SQLITE_STATIC);
    if (n >= 3)
        sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "unit")), -1, SQLITE_STATIC);
}

json_t *
rectify_item_light (const rectify_t *rectify, const char *due, const char *source, xc_date_t today, bool ladder)
{
    xc_date_t date;
    if (!due || xc_date_parse (due, &date, NULL) != 0)
        return NULL;
    const rectify_policy_t *p = rectify_policy_for (&rectify->policy,
                                                    source && strcmp (source, "city") != 0 ? source : NULL, NULL);
    return rectify_deadline_light (p, date, today, ladder);
}

/*  Which calendar a deadline's span counts in (working days need the holiday files), and for a
    running one its light today (colour, days left, escalation steps and their ladder). */
static void
s_calendar (xc_call_t *call, const rectify_t *rectify, json_t *deadlines)
{
    size_t i;
    json_t *d;
    json_array_foreach (deadlines, i, d) {
        json_t *light = json_integer_value (json_object_get (d, "running"))
            ? rectify_item_light (rectify, json_string_value (json_object_get (d, "due")),
                       json_string_value (json_object_get (d, "policy_source")), xc_call_today (call), true)
            : NULL;
        if (light)
            json_object_update (d, light);
        json_decref (light);
        xc_span_t span;
        bool workdays = xc_span_parse (json_string_value (json_object_get (d, "policy")), &span, NULL) == 0
                        && span.unit == XC_SPAN_WORKDAYS;
        json_object_set_new (d, "calendar", json_string (workdays ? xc_call_config (call)->calendar
                                                                  : "calendar days"));
        json_object_set (d, "running", json_boolean (json_integer_value (json_object_get (d, "running"))));
        if (!json_is_array (json_object_get (d, "extensions")))
            json_object_set_new (d, "extensions", json_array ());
    }
}

int
rectify_get (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "item"));
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT problem, round, unit, unit_level, category, summary, detail, severity, class, regime,"
        " state, opened_on, due, completion, claimed_on, closed_on, " OVERDUE ", category_name, applied_on,"
        " quiet_until, category_path, " RECTIFY_ROUND_OWNER ("i") " FROM items i WHERE id = ?2");
    if (!stmt)
        return -1;
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 2, id);
    json_t *item = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        static const char *const names[] = { "round", "unit", "unit_level", "category", "summary", "detail",
                                             "severity", "class", "regime", "state", "opened_on", "due",
                                             "completion", "claimed_on", "closed_on" };
        item = json_pack ("{s:I, s:I, s:b}", "id", id, "problem", (json_int_t) sqlite3_column_int64 (stmt, 0),
                          "overdue", sqlite3_column_int (stmt, 16));
        for (int i = 0; i < 15; i++)
            json_object_set_new (item, names[i], xc_column_text (stmt, 1 + i));
        static const char *const more[] = { "category_name", "applied_on", "quiet_until" };
        for (int i = 0; i < 3; i++)
            json_object_set_new (item, more[i], xc_column_text (stmt, 17 + i));
        const char *path = (const char *) sqlite3_column_text (stmt, 20);
        json_t *parsed = path ? json_loads (path, 0, NULL) : NULL;
        json_object_set_new (item, "category_path", parsed ? parsed : json_null ());
        json_object_set_new (item, "round_owner", xc_column_text (stmt, 21));
    }
    sqlite3_reset (stmt);
    const char *district;
    if (xc_call_district (call, &district) != 0) {
        json_decref (item);
        return -1;
    }
    /* a district office: the items of rounds it owns or reads; the others' existence is hidden */
    if (!item || (district && rectify_district_reach (rectify, district,
                                                      json_string_value (json_object_get (item, "round"))) == 0)) {
        json_decref (item);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no item %lld", (long long) id);
    }
    if (!district && !rectify_scope_sees (rectify, xc_call_msg (call)->principal,
                             json_string_value (json_object_get (item, "unit")))) {
        json_decref (item);
        return xc_call_fail (call, XC_E_FORBIDDEN, "item %lld is not yours to read", (long long) id);
    }
    static const char *const measures[] = { "n", "text", "owner", "lead_leader", "deadline", "done_on", NULL };
    static const char *const deadlines[] = { "deadline", "measure", "start", "policy", "due", "explain",
                                             "running", "extensions", "policy_source", NULL };
    static const char *const claims[] = { "n", "completion", "evidence", "institutional_measures",
                                          "money_recovered_fen", "money_written_off_fen",
                                          "public_concern_resolved", "note", "claimed_on", "decision",
                                          "reason", "reviewed_on", NULL };
    static const char *const history[] = { "n", "action", "by", "at", "data", "occurred_on",
                                           "recorded_from_history", NULL };
    static const char *const events[] = { "seq", "type", "hash", NULL };
    static const char *const json_columns[] = { "data", "evidence", "extensions", NULL };
    json_t *parts[] = {
        xc_call_rows (call, "SELECT n, text, owner, lead_leader, deadline, done_on FROM measures WHERE item = ?1"
                      " ORDER BY n", id, measures, NULL),
        xc_call_rows (call, "SELECT what, nullif (measure, 0), start, policy, due, explain, running, extensions,"
                      " policy_source FROM deadlines WHERE item = ?1 ORDER BY id", id, deadlines, json_columns),
        xc_call_rows (call, "SELECT n, completion, evidence, institutional_measures, money_recovered_fen,"
                      " money_written_off_fen, public_concern_resolved, note, claimed_on, decision, reason,"
                      " reviewed_on FROM claims WHERE item = ?1 ORDER BY n", id, claims, json_columns),
        xc_call_rows (call, "SELECT n, action, by, at, data, occurred_on, from_history FROM item_history"
                      " WHERE item = ?1 ORDER BY n",
                      id, history, json_columns),
        /* the item's signed events (its seq and hash: what a formal document names as sources) */
        xc_call_rows (call, "SELECT o.seq, o.type, lower (hex (o.hash)) FROM item_events e JOIN outbox o"
                      " ON o.id = e.event_id WHERE e.item = ?1 ORDER BY o.seq", id, events, NULL),
    };
    static const char *const keys[] = { "measures", "deadlines", "claims", "history", "events" };
    bool failed = false;
    for (int i = 0; i < 5; i++) {
        failed = failed || !parts[i];
        json_object_set_new (item, keys[i], parts[i] ? parts[i] : json_null ());
    }
    if (failed) {
        json_decref (item);
        return -1;
    }
    s_calendar (call, rectify, json_object_get (item, "deadlines"));
    json_t *claim;
    size_t k;
    json_array_foreach (json_object_get (item, "claims"), k, claim)
        json_object_set (claim, "public_concern_resolved",
                         json_boolean (json_integer_value (json_object_get (claim, "public_concern_resolved"))));
    json_array_foreach (json_object_get (item, "history"), k, claim)
        json_object_set (claim, "recorded_from_history",
                         json_boolean (json_integer_value (json_object_get (claim, "recorded_from_history"))));
    xc_call_result (call, item);
    return 0;
}

/* A member of the item's running deadline due first (the one its light is of). */
#define FIRST_DUE(m) "(SELECT d." m " FROM deadlines d WHERE d.item = i.id AND d.running ORDER BY d.due, d.id LIMIT 1)"

/* What a list row's light needs beside its statement (xc_call_page's row function takes only
   the statement): the service's rules and today, set by rectify_list for its one page. */
static struct {
    const rectify_t *rectify;
    xc_date_t today;
} s_list_light;

static json_t *
s_list_row (sqlite3_stmt *stmt)
{
    /* the item's light: that of its running deadline due first (none once every one is done) */
    json_t *light = rectify_item_light (s_list_light.rectify, (const char *) sqlite3_column_text (stmt, 13),
                             (const char *) sqlite3_column_text (stmt, 14), s_list_light.today, false);
    json_t *row = json_pack ("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o}",
                      "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
                      "problem", (json_int_t) sqlite3_column_int64 (stmt, 1),
                      "round", xc_column_text (stmt, 2), "unit", xc_column_text (stmt, 3),
                      "category", xc_column_text (stmt, 4), "summary", xc_column_text (stmt, 5),
                      "class", xc_column_text (stmt, 6), "state", xc_column_text (stmt, 7),
                      "opened_on", xc_column_text (stmt, 8), "due", xc_column_text (stmt, 9),
                      "overdue", sqlite3_column_int (stmt, 10), "category_name", xc_column_text (stmt, 11),
                      "round_owner", xc_column_text (stmt, 12));
    if (row)
        json_object_set_new (row, "light", light ? light : json_null ());
    else
        json_decref (light);
    return row;
}

int
rectify_list (xc_call_t *call, void *state)
{
    const json_t *data = xc_call_msg (call)->data;
    rectify_reach_t reach;
    if (rectify_reach (call, state, "i", &reach) != 0)
        return -1;
    int limit = xc_page_limit (data);
    json_t *overdue = json_object_get (data, "overdue");
    char sql[4096];
    snprintf (sql, sizeof sql,
        "SELECT id, problem, round, unit, category, summary, class, state, opened_on, due, " OVERDUE
        ", category_name, " RECTIFY_ROUND_OWNER ("i") ", " FIRST_DUE ("due") ", " FIRST_DUE ("policy_source") " FROM items i WHERE " FILTER
        " AND (?5 IS NULL OR state = ?5) AND (?6 IS NULL OR class = ?6)"
        " AND (?7 IS NULL OR " OVERDUE " = ?7) AND %s AND id > ?8 ORDER BY id LIMIT ?9", reach.sql);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt) {
        rectify_reach_clear (&reach);
        return -1;
    }
    s_bind_filter (call, stmt);
    rectify_reach_bind (stmt, &reach);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (data, "class")), -1, SQLITE_STATIC);
    if (overdue)
        sqlite3_bind_int (stmt, 7, json_is_true (overdue));
    sqlite3_bind_int64 (stmt, 8, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 9, limit + 1);
    s_list_light.rectify = state;
    s_list_light.today = xc_call_today (call);
    int rc = xc_call_page (call, stmt, limit, s_list_row, "id", "unable to list items");
    s_list_light.rectify = NULL;
    rectify_reach_clear (&reach);
    return rc;
}

int
rectify_round (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const char *round = json_string_value (json_object_get (xc_call_msg (call)->data, "round"));
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    /* a district office: the rounds it owns or reads; the others' existence is hidden */
    if (district && rectify_district_reach (rectify, district, round) == 0)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round);
    const rectify_policy_t *p = rectify_round_policy (call, rectify, round, NULL);
    sqlite3_stmt *stmt = p ? xc_call_stmt (call, "SELECT name, regime, CASE WHEN owner_level = 'district'"
                                                 " THEN owner_district ELSE 'city' END, link_kind, link_round, link_by,"
                                                 " link_district FROM rounds WHERE id = ?1")
                           : NULL;
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    json_t *result = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        const char *regime = (const char *) sqlite3_column_text (stmt, 1);
        /* the round's link as intake gave it: linked (round), crossed (by), raised (district) */
        json_t *link = json_null ();
        if (sqlite3_column_type (stmt, 3) != SQLITE_NULL) {
            link = json_pack ("{s:o}", "kind", xc_column_text (stmt, 3));
            static const char *const members[] = { "round", "by", "district" };
            for (int k = 0; k < 3; k++)
                if (sqlite3_column_type (stmt, 4 + k) != SQLITE_NULL)
                    json_object_set_new (link, members[k], xc_column_text (stmt, 4 + k));
        }
        result = json_pack ("{s:s, s:o, s:s, s:b, s:o, s:o}", "round", round, "name", xc_column_text (stmt, 0),
                            "regime", regime ? regime : p->regimes[p->default_regime].name,
                            "regime_chosen", regime != NULL, "owner", xc_column_text (stmt, 2), "link", link);
    }
    sqlite3_reset (stmt);
    if (!result)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round);
    /* complete: every target of the round scored, counted over all of them, not the page */
    stmt = xc_call_stmt (call, "SELECT count(*), count(e.score_centi) FROM round_targets t"
                               " LEFT JOIN evaluations e ON e.round = t.round AND e.unit = t.unit WHERE t.round = ?1");
    if (!stmt) {
        json_decref (result);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    bool complete = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) > 0
                    && sqlite3_column_int64 (stmt, 0) == sqlite3_column_int64 (stmt, 1);
    sqlite3_reset (stmt);
    /* the targets (up to 2000) in pages below the frame limit: after, limit (all), next */
    const json_t *data = xc_call_msg (call)->data;
    const char *after = json_string_value (json_object_get (data, "after"));
    json_t *limit_json = json_object_get (data, "limit");
    int limit = limit_json ? (int) json_integer_value (limit_json) : 2000;
    stmt = xc_call_stmt (call,
        "SELECT t.unit, u.name, e.score_centi, e.grade, v.feedback_on, v.due, v.recorded_on, iv.reason,"
        " (SELECT count(*) FROM items WHERE round = t.round AND unit = t.unit),"
        " (SELECT count(*) FROM interviews_held h WHERE h.round = t.round AND h.unit = t.unit), v.explain"
        " FROM round_targets t LEFT JOIN units u ON u.id = t.unit"
        " LEFT JOIN evaluations e ON e.round = t.round AND e.unit = t.unit"
        " LEFT JOIN visits v ON v.round = t.round AND v.unit = t.unit"
        " LEFT JOIN interviews iv ON iv.round = t.round AND iv.unit = t.unit"
        " WHERE t.round = ?1 AND t.unit > ?2 ORDER BY t.unit LIMIT ?3");
    static const char *const keep[] = { "unit", NULL };
    xc_page_t page;
    if (!stmt || xc_page_init (&page, xc_call_config (call)->max_message_bytes, limit, keep) != 0) {
        json_decref (result);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, limit + 1);
    int added = 1;
    while (added == 1 && sqlite3_step (stmt) == SQLITE_ROW) {
        bool scored = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
        char score[32];
        long long centi = sqlite3_column_int64 (stmt, 2);
        snprintf (score, sizeof score, "%lld.%02lld", centi / 100, centi % 100);
        added = xc_page_add (&page, json_pack (
            "{s:o, s:o, s:I, s:o, s:o, s:o, s:{s:o, s:o, s:o, s:o}, s:o, s:I}",
            "unit", xc_column_text (stmt, 0), "name", xc_column_text (stmt, 1),
            "items", (json_int_t) sqlite3_column_int64 (stmt, 8),
            "score", scored ? json_string (score) : json_null (), "grade", xc_column_text (stmt, 3),
            "grade_name", scored ? json_string (rectify_policy_grade_name (&rectify->policy,
                                                (const char *) sqlite3_column_text (stmt, 3))) : json_null (),
            "visit", "feedback_on", xc_column_text (stmt, 4), "due", xc_column_text (stmt, 5),
            "recorded_on", xc_column_text (stmt, 6), "explain", xc_column_text (stmt, 10),
            "interview", xc_column_text (stmt, 7),
            "interviews_held", (json_int_t) sqlite3_column_int64 (stmt, 9)));
    }
    sqlite3_reset (stmt);
    json_t *targets = xc_page_take (&page);
    xc_page_clear (&page);
    if (added < 0) {
        json_decref (targets);
        json_decref (result);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_t *next = added == 0 ? json_object_get (json_array_get (targets, json_array_size (targets) - 1), "unit") : NULL;
    json_object_set (result, "next", next ? next : json_null ());
    json_object_set_new (result, "targets", targets);
    json_object_set_new (result, "evaluations_complete", json_boolean (complete));
    xc_call_result (call, result);
    return 0;
}
