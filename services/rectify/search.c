/*  search.c: rectify.search, full-text search over the items, their measures and their units'
    names (docs/services/rectify.md, "Search"). The index item_search is kept by triggers in
    the record's own transaction (main.c's migration "search"); what a reader may read is
    rectify_reach's (scope.c), the same condition rectify.list uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/search.h"
#include "common/search_query.h"
#include "services/rectify/rectify.h"

/*  The search's conditions beside MATCH (?1): ?2 round, ?3 unit, ?4 category (and everything
    under it), ?5 year (text), ?6 state; then the reader's reach. The page adds ?7 rows from
    ?8 among the newest ?9 (rank_window). */
#define WHERE "item_search MATCH ?1 AND (?2 IS NULL OR i.round = ?2) AND (?3 IS NULL OR i.unit = ?3)" \
              " AND (?4 IS NULL OR " RECTIFY_SQL_IN_CATEGORY ("i", "?4") ")"                      \
              " AND (?5 IS NULL OR i.opened_on BETWEEN ?5 || '-01-01' AND ?5 || '-12-31')"         \
              " AND (?6 IS NULL OR i.state = ?6) AND %s%s"

/*  The narrowest set of items known before the search, as a condition FTS5's rows are checked
    against in memory (an index SQLite makes once from items_by_round or items_by_unit) before
    any is joined to items: a round, a unit, or the reader's units. A round's items are also one
    stretch of ids (opened together at its feedback): FTS5 reads only that stretch of each
    term's matches. A common term's every match
    was otherwise read from items to be dropped (3-7 times the time with 100,000 items; rectify.md
    "Search"). A superset of what passes the conditions above, which still apply. The office
    without such a filter: none (every item). */
static const char *
s_narrow (const json_t *data, const rectify_reach_t *reach, char *out, size_t size)
{
    if (json_object_get (data, "round"))
        return " AND +item_search.rowid IN (SELECT id FROM items WHERE round = ?2)"
               " AND item_search.rowid BETWEEN (SELECT min (id) FROM items WHERE round = ?2)"
               " AND (SELECT max (id) FROM items WHERE round = ?2)";
    if (json_object_get (data, "unit"))
        return " AND +item_search.rowid IN (SELECT id FROM items WHERE unit = ?3)";
    if (!reach->units)
        return "";
    snprintf (out, size, " AND +item_search.rowid IN (SELECT id FROM items WHERE unit IN"
              " (SELECT value FROM json_each (?%d)))", RECTIFY_REACH_PARAM);
    return out;
}

static void
s_bind (sqlite3_stmt *stmt, const json_t *data, const char *match, const rectify_reach_t *reach)
{
    sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
    static const char *const names[] = { NULL, NULL, "round", "unit", "category" };
    for (int i = 2; i <= 4; i++)
        sqlite3_bind_text (stmt, i, json_string_value (json_object_get (data, names[i])), -1, SQLITE_STATIC);
    const json_t *year = json_object_get (data, "year");
    if (year) {
        char text[16];
        snprintf (text, sizeof text, "%04lld", (long long) json_integer_value (year));
        sqlite3_bind_text (stmt, 5, text, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    rectify_reach_bind (stmt, reach);
}

static json_t *
s_row (sqlite3_stmt *stmt)
{
    json_t *r = json_pack ("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
        "kind", "item", "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
        "round", xc_column_text (stmt, 2), "round_name", xc_column_text (stmt, 3),
        "unit", xc_column_text (stmt, 4), "unit_name", xc_column_text (stmt, 5),
        "category", xc_column_text (stmt, 6), "category_name", xc_column_text (stmt, 7),
        "state", xc_column_text (stmt, 8), "date", xc_column_text (stmt, 9),
        "title", xc_search_segments ((const char *) sqlite3_column_text (stmt, 11)),
        "snippet", xc_search_segments ((const char *) sqlite3_column_text (stmt, 12)),
        "score", xc_search_score (sqlite3_column_double (stmt, 13)),
        "due", xc_column_text (stmt, 10),
        "problem", (json_int_t) sqlite3_column_int64 (stmt, 1));
    return r;
}

int
rectify_search (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const xc_search_policy_t *p = &rectify->policy.search;
    const json_t *data = xc_call_msg (call)->data;
    char *match;
    if (xc_search_call_match (call, p, &match) != 0)
        return -1;
    rectify_reach_t reach;
    if (rectify_reach (call, rectify, "i", &reach) != 0) {
        free (match);
        return -1;
    }
    const json_t *limit_json = json_object_get (data, "limit");
    int limit = limit_json ? (int) json_integer_value (limit_json) : 20;
    char where[2048], weights[128], sql[8192];
    char narrow[160];
    snprintf (where, sizeof where, WHERE, reach.sql, s_narrow (data, &reach, narrow, sizeof narrow));
    xc_search_weights_sql (p, weights, sizeof weights);
    /* how many the reader may read, up to the cap */
    snprintf (sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM item_search CROSS JOIN items i ON i.id = item_search.rowid"
              " WHERE %s LIMIT ?7)", where);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    long long counted = 0;
    int rc = -1;
    json_t *results = json_array ();
    if (!stmt)
        goto done;
    s_bind (stmt, data, match, &reach);
    sqlite3_bind_int64 (stmt, 7, (sqlite3_int64) p->count_max + 1);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        rc = xc_call_fail_db (call, "unable to count the items found");
        goto done;
    }
    counted = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    /* the page, ranked by xc_rank (common/search_api.h) with the policy's weights, ties by id descending; among the
       newest rank_window matches when there may be more (search_query.h) */
    char fields[1024], rank[160], from_where[2560];
    snprintf (fields, sizeof fields,
        "i.id, i.problem, i.round, (SELECT name FROM rounds WHERE id = i.round), i.unit,"
        " (SELECT name FROM units WHERE id = i.unit), i.category, i.category_name, i.state, i.opened_on, i.due,"
        " highlight (item_search, 0, char (2), char (3)), snippet (item_search, -1, char (2), char (3), '…', %d)",
        p->snippet_tokens);
    snprintf (rank, sizeof rank, "xc_rank (item_search%s)", weights);
    snprintf (from_where, sizeof from_where, "item_search CROSS JOIN items i ON i.id = item_search.rowid WHERE %s", where);
    bool windowed = xc_search_windowed (p, counted);
    if (xc_search_page_sql (sql, sizeof sql, "item_search", "items i", "i", fields, rank, from_where, 7,
                            windowed ? 9 : 0) != 0) {
        rc = xc_call_fail (call, XC_E_INTERNAL, "the search's statement is too long");
        goto done;
    }
    stmt = xc_call_stmt (call, sql);
    if (!stmt)
        goto done;
    s_bind (stmt, data, match, &reach);
    sqlite3_bind_int (stmt, 7, limit + 1);
    sqlite3_bind_int64 (stmt, 8, json_integer_value (json_object_get (data, "offset")));
    if (windowed)
        sqlite3_bind_int (stmt, 9, p->rank_window);
    bool more;
    if (xc_search_page_read (call, stmt, limit, s_row, "unable to search the items", results, &more) != 0)
        goto done;
    xc_search_result (call, p, counted, results, more);
    results = NULL;
    rc = 0;
done:
    json_decref (results);
    rectify_reach_clear (&reach);
    free (match);
    return rc;
}
