/*  queries.c: rectify.get, rectify.list, rectify.round and rectify.stats, each limited to the
    units the reader may see (scope.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "common/text.h"
#include "services/rectify/rectify.h"

/* Overdue: one of its running deadlines is past (?1 is today). */
#define OVERDUE "EXISTS (SELECT 1 FROM deadlines d WHERE d.item = i.id AND d.running AND d.due < ?1)"
/* The items (or visits, interviews: any table aliased i with round and unit) a query counts:
   ?2 round, ?3 unit, ?4 the reader's units (NULL: all). */
#define FILTER "(?2 IS NULL OR i.round = ?2) AND (?3 IS NULL OR i.unit = ?3)" \
               " AND (?4 IS NULL OR i.unit IN (SELECT value FROM json_each (?4)))"

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

/*  Binds today, the round and unit filters of data and the reader's units, as far as stmt
    has parameters. */
static void
s_bind_filter (xc_call_t *call, sqlite3_stmt *stmt, const char *units)
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
    if (n >= 4)
        sqlite3_bind_text (stmt, 4, units, -1, SQLITE_STATIC);
}

/*  The light of a running deadline due on due (text) by the rules of source ("city" or a
    district): rectify_deadline_light, or NULL when the deadline is done or has no date. */
static json_t *
s_light (const rectify_t *rectify, const char *due, const char *source, xc_date_t today, bool ladder)
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
            ? s_light (rectify, json_string_value (json_object_get (d, "due")),
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
    json_t *light = s_light (s_list_light.rectify, (const char *) sqlite3_column_text (stmt, 13),
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
    const char *owner, *district;
    if (rectify_owner_filter (call, &owner, &district) != 0)
        return -1;
    char *units;
    if (rectify_scope_units (call, state, &units) != 0)
        return -1;
    int limit = xc_page_limit (data);
    json_t *overdue = json_object_get (data, "overdue");
    /* a district office's rounds and the owner filter as IN over the rounds' indexes, so that
       SQLite reads the items of those rounds only (items_by_round_state) */
    char scope[512] = "1", by_owner[512], sql[2048];
    if (district)
        rectify_district_clause (scope, sizeof scope, "i", 10);
    rectify_owner_clause (by_owner, sizeof by_owner, "i", owner, 11);
    snprintf (sql, sizeof sql,
        "SELECT id, problem, round, unit, category, summary, class, state, opened_on, due, " OVERDUE
        ", category_name, " RECTIFY_ROUND_OWNER ("i") ", " FIRST_DUE ("due") ", " FIRST_DUE ("policy_source") " FROM items i WHERE " FILTER
        " AND (?5 IS NULL OR state = ?5) AND (?6 IS NULL OR class = ?6)"
        " AND (?7 IS NULL OR " OVERDUE " = ?7) AND %s AND %s AND id > ?8 ORDER BY id LIMIT ?9", scope, by_owner);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt) {
        free (units);
        return -1;
    }
    s_bind_filter (call, stmt, units);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (data, "class")), -1, SQLITE_STATIC);
    if (overdue)
        sqlite3_bind_int (stmt, 7, json_is_true (overdue));
    sqlite3_bind_int64 (stmt, 8, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 9, limit + 1);
    sqlite3_bind_text (stmt, 10, district, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, owner, -1, SQLITE_STATIC);
    s_list_light.rectify = state;
    s_list_light.today = xc_call_today (call);
    int rc = xc_call_page (call, stmt, limit, s_list_row, "id", "unable to list items");
    s_list_light.rectify = NULL;
    free (units);
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

static json_t *
s_yuan (long long fen)
{
    char text[40];
    snprintf (text, sizeof text, "%s%lld.%02lld", fen < 0 ? "-" : "", llabs (fen) / 100, llabs (fen) % 100);
    return json_string (text);
}

/*  The stats filters (docs/protocol.md), bound by s_bind_stats: ?1 today, ?2 round, ?3 unit,
    ?4 the reader's units (NULL: all), ?5 from, ?6 to, ?7 owner, ?8 year (text), ?9 kind,
    ?10 mode, ?11 category, ?12 unit_level, ?13 a district office's district. A table aliased i
    with round and unit; its date (the year's), its unit's level and whether it is of the
    category are given per table; scope is the owner filter and a district office's rounds
    (districts.c: IN over the rounds' indexes, not an OR that would read every row). A record
    without a round is left out by the owner, kind and mode filters (and by round). */
static void
s_where (char *out, size_t size, const char *date, const char *level, const char *category, const char *scope)
{
    snprintf (out, size,
        "(?2 IS NULL OR i.round = ?2) AND (?3 IS NULL OR i.unit = ?3)"
        " AND (?4 IS NULL OR i.unit IN (SELECT value FROM json_each (?4)))"
        " AND (?8 IS NULL OR %s BETWEEN ?8 || '-01-01' AND ?8 || '-12-31')"
        " AND (?12 IS NULL OR %s = ?12) AND (?11 IS NULL OR %s)"
        " AND (coalesce (?9, ?10) IS NULL OR EXISTS (SELECT 1 FROM rounds r WHERE r.id = i.round"
        "  AND (?9 IS NULL OR r.kind = ?9)"
        "  AND (?10 IS NULL OR EXISTS (SELECT 1 FROM json_each (r.modes) WHERE value = ?10))))"
        " AND %s",
        date, level, category, scope);
}

/* the category and everything under it */
#define ITEM_CATEGORY(a) "(" a ".category = ?11 OR EXISTS (SELECT 1 FROM json_each (" a ".category_path)" \
                         " WHERE value = ?11))"
/* a unit's visit or interview in a round is of a category when one of its items there is */
#define UNIT_CATEGORY "EXISTS (SELECT 1 FROM items c WHERE coalesce (c.round, '') = i.round AND c.unit = i.unit" \
                      " AND " ITEM_CATEGORY ("c") ")"
#define UNIT_LEVEL "(SELECT level FROM units WHERE id = i.unit)"

static void
s_where_items (char *out, size_t size, const char *scope)
{
    s_where (out, size, "i.opened_on", "i.unit_level", ITEM_CATEGORY ("i"), scope);
}

static const char *s_district;       /* ?13 of the stats being answered (one call at a time) */

static void
s_bind_stats (xc_call_t *call, sqlite3_stmt *stmt, const char *units)
{
    if (sqlite3_bind_parameter_count (stmt) >= 13)
        sqlite3_bind_text (stmt, 13, s_district, -1, SQLITE_STATIC);
    const json_t *data = xc_call_msg (call)->data;
    char today[XC_DATE_LEN + 1], year[16];
    xc_date_format (xc_call_today (call), today);
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    static const char *const names[] = { NULL, NULL, "round", "unit", NULL, "from", "to", "owner", NULL, "kind",
                                         "mode", "category", "unit_level" };
    for (int i = 2; i <= 12; i++)
        if (names[i])
            sqlite3_bind_text (stmt, i, json_string_value (json_object_get (data, names[i])), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, units, -1, SQLITE_STATIC);
    json_t *y = json_object_get (data, "year");
    if (y) {
        snprintf (year, sizeof year, "%04lld", (long long) json_integer_value (y));
        sqlite3_bind_text (stmt, 8, year, -1, SQLITE_TRANSIENT);
    }
}

/*  Runs a counting query (sql_head + WHERE + where) with the filters bound and returns its one
    row's columns as integers into out (n of them); -1 after failing the call. */
static int
s_counts (xc_call_t *call, const char *head, const char *where, const char *units, long long *out, int n)
{
    char sql[8192];
    snprintf (sql, sizeof sql, "%s WHERE %s", head, where);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    s_bind_stats (call, stmt, units);
    int rc = sqlite3_step (stmt);
    for (int i = 0; rc == SQLITE_ROW && i < n; i++)
        out[i] = sqlite3_column_int64 (stmt, i);
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW ? 0 : xc_call_fail_db (call, "unable to count items");
}

/*  {value: count} of a grouping query (head WHERE where tail) with the filters bound. */
static json_t *
s_groups (xc_call_t *call, const char *head, const char *where, const char *tail, const char *units)
{
    char sql[8192];
    snprintf (sql, sizeof sql, "%s WHERE %s %s", head, where, tail);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return NULL;
    s_bind_stats (call, stmt, units);
    json_t *groups = json_object ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_object_set_new (groups, (const char *) sqlite3_column_text (stmt, 0),
                             json_integer (sqlite3_column_int64 (stmt, 1)));
    sqlite3_reset (stmt);
    return groups;
}

/*  The policy's definitions, with "owner": the sentence of the scope counted (全市, 市本级,
    各区县合计, one district's: a district office's own), {district} replaced
    by the district's name. NULL after failing the call. */
static json_t *
s_definitions (xc_call_t *call, const rectify_t *rectify, const char *owner, const char *district)
{
    const char *one = district ? district : owner;
    const char *key = !owner ? "owner.all"
                      : strcmp (owner, "city") == 0 ? "owner.city"
                      : strcmp (owner, "district") == 0 ? "owner.district" : "owner.one_district";
    char name[256];
    snprintf (name, sizeof name, "%s", one ? one : "");
    sqlite3_stmt *stmt = one ? xc_call_stmt (call, "SELECT name FROM units WHERE id = ?1") : NULL;
    if (one && !stmt)
        return NULL;
    if (stmt) {
        sqlite3_bind_text (stmt, 1, one, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) == SQLITE_ROW)
            snprintf (name, sizeof name, "%s", (const char *) sqlite3_column_text (stmt, 0));
        sqlite3_reset (stmt);
    }
    json_t *definitions = json_deep_copy (rectify->policy.definitions);
    const char *sentence = json_string_value (json_object_get (definitions, key));
    if (sentence) {
        xc_buf_t text = { 0 };
        for (const char *at = sentence, *hit; *at; at = hit + 10) {
            hit = strstr (at, "{district}");
            if (!hit) {
                xc_buf_puts (&text, at);
                break;
            }
            xc_buf_put (&text, at, (size_t) (hit - at));
            xc_buf_puts (&text, name);
        }
        json_object_set_new (definitions, "owner", json_stringn (text.data ? text.data : "", text.len));
        xc_buf_free (&text);
    }
    /* the templates stay in the policy: a result gives the one sentence of its scope (as intake) */
    static const char *const templates[] = { "owner.all", "owner.city", "owner.district", "owner.one_district",
                                             NULL };
    for (int i = 0; templates[i]; i++)
        json_object_del (definitions, templates[i]);
    return definitions;
}

int
rectify_stats (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const char *owner, *district;
    if (rectify_owner_filter (call, &owner, &district) != 0)
        return -1;
    /* a district office's figures are its own rounds' (its district bound as ?13), as intake's
       and referral's are: the crossed rounds it reads are in its lists, not in its figures */
    if (district)
        owner = district;
    char *units;
    if (rectify_scope_units (call, rectify, &units) != 0)
        return -1;
    char scope[512];
    rectify_owner_clause (scope, sizeof scope, "i", owner, district ? 13 : 7);
    s_district = district;
    char items_where[3072], visits_where[3072], recommended_where[3072], held_where[3072];
    s_where_items (items_where, sizeof items_where, scope);
    s_where (visits_where, sizeof visits_where, "i.due", UNIT_LEVEL, UNIT_CATEGORY, scope);
    s_where (recommended_where, sizeof recommended_where, "(SELECT e.evaluated_on FROM evaluations e"
             " WHERE e.round = i.round AND e.unit = i.unit)", UNIT_LEVEL, UNIT_CATEGORY, scope);
    s_where (held_where, sizeof held_where, "i.held_on", UNIT_LEVEL, UNIT_CATEGORY, scope);
    long long items[9], claims[4], visits[2], interviews[2];
    /* the on-time rate over items with an item deadline (not long-term): those closed in the
       period [from (the beginning), to (today)], and those still open whose due date in force
       fell in it and is past; on time: the accepted claim made by the due date in force then */
#define PERIOD(col) col " BETWEEN coalesce (?5, '0000-01-01') AND coalesce (?6, ?1)"
#define CLOSED_IN "(i.class != 'long_term' AND i.state = 'closed' AND " PERIOD ("i.closed_on") ")"
    int rc = s_counts (call,
        "SELECT count(*), coalesce (sum (i.state = 'closed' AND i.completion = 'completed'), 0),"
        " coalesce (sum (" CLOSED_IN "), 0),"
        " coalesce (sum (i.class != 'long_term' AND i.state != 'closed' AND " PERIOD ("i.due") " AND i.due < ?1), 0),"
        " coalesce (sum (" CLOSED_IN " AND EXISTS (SELECT 1 FROM claims c WHERE c.item = i.id"
        "  AND c.decision = 'accepted' AND c.claimed_on <= coalesce (c.due_then, i.due))), 0),"
        " coalesce (sum (i.class = 'immediate'), 0), coalesce (sum (i.class = 'immediate' AND i.state = 'closed'), 0),"
        " coalesce (sum (" OVERDUE "), 0), 0 FROM items i", items_where, units, items, 9);
#undef CLOSED_IN
#undef PERIOD
    if (rc == 0)
        rc = s_counts (call,
            "SELECT coalesce (sum (c.institutional_measures), 0), coalesce (sum (c.money_recovered_fen), 0),"
            " coalesce (sum (c.money_written_off_fen), 0), coalesce (sum (c.public_concern_resolved), 0)"
            " FROM claims c JOIN items i ON i.id = c.item AND c.decision = 'accepted'", items_where, units, claims, 4);
    if (rc == 0)
        rc = s_counts (call, "SELECT coalesce (sum (i.due <= coalesce (?6, ?1) OR i.recorded_on IS NOT NULL), 0),"
                             " coalesce (sum (i.recorded_on IS NOT NULL), 0) FROM visits i",
                       visits_where, units, visits, 2);
    if (rc == 0)
        rc = s_counts (call, "SELECT count(*) FROM interviews i", recommended_where, units, interviews, 1);
    if (rc == 0)
        rc = s_counts (call, "SELECT count(*) FROM interviews_held i", held_where, units, interviews + 1, 1);
    json_t *by_state = rc == 0 ? s_groups (call, "SELECT state, count(*) FROM items i", items_where,
                                           "GROUP BY state", units) : NULL;
    json_t *by_class = by_state ? s_groups (call, "SELECT class, count(*) FROM items i", items_where,
                                            "GROUP BY class", units) : NULL;
    char steps_where[3200];
    snprintf (steps_where, sizeof steps_where, "a.alert LIKE 'step:%%' AND %s", items_where);
    json_t *steps = by_class ? s_groups (call,
        "SELECT a.alert, count(DISTINCT d.item) FROM alerts a JOIN deadlines d ON d.id = a.deadline"
        " JOIN items i ON i.id = d.item", steps_where, "GROUP BY a.alert", units) : NULL;
    free (units);
    if (!steps) {
        json_decref (by_state);
        json_decref (by_class);
        return -1;
    }
    /* escalation steps by name, every step of the policy present: one district's figures by
       that district's steps, the others by the city's */
    const char *one = district ? district : owner && strcmp (owner, "city") != 0 && strcmp (owner, "district") != 0
                                            ? owner : NULL;
    const rectify_policy_t *p = rectify_policy_for (&rectify->policy, one, NULL);
    json_t *escalations = json_object ();
    for (int k = 1; k <= p->n_steps; k++) {
        char alert[16];
        snprintf (alert, sizeof alert, "step:%d", k);
        json_object_set_new (escalations, p->steps[k - 1],
                             json_integer (json_integer_value (json_object_get (steps, alert))));
    }
    json_decref (steps);
    json_t *definitions = s_definitions (call, rectify, owner, district);
    if (!definitions) {
        json_decref (escalations);
        return -1;
    }
    /* the filters applied, as given */
    static const char *const filter_names[] = { "round", "unit", "owner", "year", "kind", "mode", "category",
                                                "unit_level", "from", "to", NULL };
    json_t *filters = json_object ();
    for (int i = 0; filter_names[i]; i++) {
        json_t *v = json_object_get (xc_call_msg (call)->data, filter_names[i]);
        if (v)
            json_object_set (filters, filter_names[i], v);
    }
    long long due = items[2] + items[3];
    xc_call_result (call, json_pack (
        "{s:I, s:o, s:o, s:{s:I, s:I, s:o}, s:{s:I, s:I, s:I, s:I, s:o}, s:{s:I, s:I}, s:I, s:I, s:I, s:o, s:o,"
        " s:I, s:I, s:o, s:{s:I, s:I, s:o}, s:I, s:I, s:o, s:o}",
        "items", (json_int_t) items[0], "by_state", by_state, "by_class", by_class,
        "completion", "completed", (json_int_t) items[1], "items", (json_int_t) items[0],
                      "rate", rectify_rate (items[1], items[0]),
        "on_time", "closed_on_time", (json_int_t) items[4], "closed", (json_int_t) items[2],
                   "open_past_due", (json_int_t) items[3], "due", (json_int_t) due,
                   "rate", rectify_rate (items[4], due),
        "immediate", "items", (json_int_t) items[5], "closed", (json_int_t) items[6],
        "institutional_measures", (json_int_t) claims[0],
        "money_recovered_fen", (json_int_t) claims[1], "money_written_off_fen", (json_int_t) claims[2],
        "money_recovered_yuan", s_yuan (claims[1]), "money_written_off_yuan", s_yuan (claims[2]),
        "public_concerns_resolved", (json_int_t) claims[3], "overdue_now", (json_int_t) items[7],
        "escalations", escalations, "revisits", "due", (json_int_t) visits[0], "done", (json_int_t) visits[1],
                       "coverage", rectify_rate (visits[1], visits[0]),
        "interviews_recommended", (json_int_t) interviews[0], "interviews_held", (json_int_t) interviews[1],
        "filters", filters, "definitions", definitions));
    return 0;
}
