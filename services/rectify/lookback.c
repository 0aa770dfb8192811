/*  lookback.c: rectify.lookback, a 回头看 round's starting point: its prior round's items, unit
    by unit, with which were closed, reopened or repeated (docs/services/rectify.md, "回头看"). */
#include <string.h>

#include "common/page.h"
#include "services/rectify/rectify.h"

/*  The unit's entry of units (by id, the last one appended), a new one when it changes. */
static json_t *
s_unit_entry (json_t *units, const char *unit, json_t *name)
{
    json_t *last = json_array_get (units, json_array_size (units) - 1);
    if (last && strcmp (json_string_value (json_object_get (last, "unit")), unit) == 0) {
        json_decref (name);
        return last;
    }
    json_t *entry = json_pack ("{s:s, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:[]}", "unit", unit, "unit_name", name,
                               "items", 0, "closed", 0, "reopened", 0, "repeated", 0, "open", 0, "overdue", 0,
                               "rows");
    json_array_append_new (units, entry);
    return entry;
}

static void
s_count (json_t *entry, const char *figure, bool yes)
{
    if (yes)
        json_object_set_new (entry, figure, json_integer (json_integer_value (json_object_get (entry, figure)) + 1));
}

int
rectify_lookback (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const char *round = json_string_value (json_object_get (xc_call_msg (call)->data, "round"));
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    /* a district office: the rounds it owns or reads; the others' existence is hidden */
    if (district && rectify_district_reach (rectify, district, round) == 0)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT kind, prior_round, name FROM rounds WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)", round);
    }
    const char *kind = (const char *) sqlite3_column_text (stmt, 0);
    bool lookback = kind && strcmp (kind, "lookback") == 0;
    json_t *prior = xc_column_text (stmt, 1), *name = xc_column_text (stmt, 2);
    sqlite3_reset (stmt);
    if (!lookback || json_is_null (prior)) {
        json_decref (prior);
        json_decref (name);
        return xc_call_fail (call, XC_E_CONFLICT, lookback ? "round '%s' is a look-back round opened before rectify"
                                                             " kept prior rounds: its prior round is unknown"
                                                           : "round '%s' is not a look-back round (回头看)", round);
    }
    const char *prior_id = json_string_value (prior);
    if (district && rectify_district_reach (rectify, district, prior_id) == 0) {
        json_decref (prior);
        json_decref (name);
        return xc_call_fail (call, XC_E_FORBIDDEN, "the prior round of '%s' is not one district '%s' owns or reads",
                             round, district);
    }
    /* the prior round's items by unit (the unit now: an item moved to a successor is under it) */
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    stmt = xc_call_stmt (call,
        "SELECT i.id, i.problem, i.unit, coalesce (u.name, i.unit), i.summary, i.state, i.due, i.closed_on,"
        " EXISTS (SELECT 1 FROM claims c WHERE c.item = i.id AND c.decision = 'rejected')"
        "  OR EXISTS (SELECT 1 FROM item_history h WHERE h.item = i.id AND h.action = 'reopened'),"
        " (SELECT json_group_array (problem) FROM (SELECT p.problem FROM repeats p WHERE p.of = i.problem"
        "  ORDER BY p.problem)), " RECTIFY_SQL_OVERDUE
        " FROM items i LEFT JOIN units u ON u.id = i.unit WHERE i.round = ?2 AND i.unit > ?3 ORDER BY i.unit, i.id");
    if (!stmt) {
        json_decref (prior);
        json_decref (name);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, prior_id, -1, SQLITE_STATIC);
    const json_t *data = xc_call_msg (call)->data;
    const char *after = json_string_value (json_object_get (data, "after"));
    sqlite3_bind_text (stmt, 3, after ? after : "", -1, SQLITE_STATIC);
    json_t *units = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *entry = s_unit_entry (units, (const char *) sqlite3_column_text (stmt, 2), xc_column_text (stmt, 3));
        bool closed = strcmp ((const char *) sqlite3_column_text (stmt, 5), "closed") == 0;
        bool reopened = sqlite3_column_int (stmt, 8) != 0;
        json_t *by = json_loads ((const char *) sqlite3_column_text (stmt, 9), 0, NULL);
        if (!by)
            by = json_array ();
        s_count (entry, "items", true);
        s_count (entry, "closed", closed);
        s_count (entry, "open", !closed);
        s_count (entry, "reopened", reopened);
        s_count (entry, "repeated", json_array_size (by) > 0);
        s_count (entry, "overdue", sqlite3_column_int (stmt, 10) != 0);
        json_array_append_new (json_object_get (entry, "rows"), json_pack (
            "{s:I, s:I, s:o, s:o, s:o, s:o, s:b, s:o}", "item", (json_int_t) sqlite3_column_int64 (stmt, 0),
            "problem", (json_int_t) sqlite3_column_int64 (stmt, 1), "summary", xc_column_text (stmt, 4),
            "state", xc_column_text (stmt, 5), "due", xc_column_text (stmt, 6), "closed_on", xc_column_text (stmt, 7),
            "reopened", reopened, "repeated_by", by));
    }
    sqlite3_reset (stmt);
    /* the units after `after`, `limit` of them (default all), as many as one reply holds: next */
    json_t *limit_json = json_object_get (data, "limit");
    static const char *const keep[] = { "unit", NULL };
    xc_page_t page;
    if (xc_page_init (&page, xc_call_config (call)->max_message_bytes,
                      limit_json ? (int) json_integer_value (limit_json) : 2000, keep) != 0) {
        json_decref (units);
        json_decref (prior);
        json_decref (name);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    int added = 1;
    size_t i;
    json_t *entry;
    json_array_foreach (units, i, entry) {
        if ((added = xc_page_add (&page, json_incref (entry))) != 1)
            break;
    }
    json_decref (units);
    units = xc_page_take (&page);
    xc_page_clear (&page);
    if (added < 0) {
        json_decref (units);
        json_decref (prior);
        json_decref (name);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_t *next = added == 0 ? json_object_get (json_array_get (units, json_array_size (units) - 1), "unit") : NULL;
    xc_call_result (call, json_pack ("{s:s, s:o, s:o, s:o, s:O}", "round", round, "round_name", name,
                                     "prior_round", prior, "units", units, "next", next ? next : json_null ()));
    return 0;
}
