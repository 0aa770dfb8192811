/*  search.c: referral.search, full-text search over the referrals' titles, contents and their
    units' names (docs/services/referral.md, "Search"). The index referral_search is kept by
    triggers in the record's own transaction (main.c's migration "search"); what a reader may
    read is referral_reach's (queries.c), the condition referral.list uses, and of it only the
    rows it reads whole: a district office's row under lead_access status shows no text in the
    list, so a search neither finds nor counts it. A lead's content is not indexed (main.c):
    a search shows a lead's title and unit, never its content. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/search.h"
#include "services/referral/referral.h"

/*  The search's conditions beside MATCH (?1): ?2 round, ?3 unit, ?4 category (and everything
    under it: referral_categories holds each category of the path), ?5/?6 the year's first day
    and the next year's, ?7 state, ?8 owner ("city", "district" or a district's id); then the
    reader's reach, whole rows only. The page adds ?9 rows from ?10 among the newest ?11
    (rank_window). */
#define WHERE "referral_search MATCH ?1 AND (?2 IS NULL OR referrals.round = ?2)"                          \
              " AND (?3 IS NULL OR referrals.unit = ?3)"                                                   \
              " AND (?4 IS NULL OR referrals.id IN (SELECT referral FROM referral_categories WHERE category = ?4))" \
              " AND (?5 IS NULL OR (referrals.referred_on >= ?5 AND referrals.referred_on < ?6))"          \
              " AND (?7 IS NULL OR referrals.state = ?7)"                                                  \
              " AND (?8 IS NULL OR referrals.round IN (SELECT id FROM rounds WHERE CASE ?8"                \
              "  WHEN 'city' THEN owner_level = 'city' WHEN 'district' THEN owner_level = 'district'"     \
              "  ELSE owner_level = 'district' AND owner_district = ?8 END))"                             \
              " AND %s AND %s%s"

/*  The narrowest set of referrals known before the search, as a condition FTS5's rows are
    checked against in memory (an index SQLite makes once from referrals_by_round,
    referrals_by_unit or the reader's rows: referrals_by_target) before any is joined to
    referrals: a round (also bounding FTS5's read to the stretch of its ids), a unit, or the rows
    a reader other than the office reads. A superset of
    what passes the conditions above, which still apply. Without it a common term's every match
    was read from referrals to be dropped, or SQLite drove the search from the reader's rows with
    one MATCH set up again a row (the audit office over 100,000 referrals: p50 309 ms, p99 1.7 s;
    rectify.md "Search"). */
static const char *
s_narrow (const json_t *data, const referral_reach_t *reach, char *out, size_t size)
{
    if (json_object_get (data, "round"))
        return " AND +referral_search.rowid IN (SELECT id FROM referrals WHERE round = ?2)"
               " AND referral_search.rowid BETWEEN (SELECT min (id) FROM referrals WHERE round = ?2)"
               " AND (SELECT max (id) FROM referrals WHERE round = ?2)";
    if (json_object_get (data, "unit"))
        return " AND +referral_search.rowid IN (SELECT id FROM referrals WHERE unit = ?3)";
    if (strcmp (reach->rows, "1") == 0)
        return "";
    snprintf (out, size, " AND +referral_search.rowid IN (SELECT referrals.id FROM referrals WHERE %s)", reach->rows);
    return out;
}

static void
s_bind (sqlite3_stmt *stmt, const json_t *data, const char *match, const referral_reach_t *reach)
{
    sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
    static const char *const names[] = { NULL, NULL, "round", "unit", "category" };
    for (int i = 2; i <= 4; i++)
        sqlite3_bind_text (stmt, i, json_string_value (json_object_get (data, names[i])), -1, SQLITE_STATIC);
    const json_t *year = json_object_get (data, "year");
    if (year) {
        char from[32], to[32];
        snprintf (from, sizeof from, "%04lld-01-01", (long long) json_integer_value (year));
        snprintf (to, sizeof to, "%04lld-01-01", (long long) json_integer_value (year) + 1);
        sqlite3_bind_text (stmt, 5, from, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 6, to, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text (stmt, 7, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, json_string_value (json_object_get (data, "owner")), -1, SQLITE_STATIC);
    referral_reach_bind (stmt, reach);
}

static json_t *
s_row (sqlite3_stmt *stmt)
{
    return json_pack ("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "kind", "referral", "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
        "round", xc_column_text (stmt, 3), "round_name", xc_column_text (stmt, 4),
        "unit", xc_column_text (stmt, 5), "unit_name", xc_column_text (stmt, 6),
        "category", xc_column_text (stmt, 7), "category_name", xc_column_text (stmt, 8),
        "state", xc_column_text (stmt, 9), "date", xc_column_text (stmt, 10),
        "title", xc_search_segments ((const char *) sqlite3_column_text (stmt, 11)),
        "snippet", xc_search_segments ((const char *) sqlite3_column_text (stmt, 12)),
        "score", xc_search_score (sqlite3_column_double (stmt, 13)),
        "referral_kind", xc_column_text (stmt, 1), "target", xc_column_text (stmt, 2));
}

int
referral_search (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    const xc_search_policy_t *p = &referral->policy.search;
    const json_t *data = xc_call_msg (call)->data;
    char *match;
    if (xc_search_call_match (call, p, &match) != 0)
        return -1;
    referral_reach_t reach;
    if (referral_reach (call, referral, "referrals", &reach) != 0) {
        free (match);
        return -1;
    }
    const json_t *limit_json = json_object_get (data, "limit");
    int limit = limit_json ? (int) json_integer_value (limit_json) : 20;
    char where[3072], weights[128], sql[8192];
    char narrow[768];
    snprintf (where, sizeof where, WHERE, reach.rows, reach.whole, s_narrow (data, &reach, narrow, sizeof narrow));
    xc_search_weights_sql (p, weights, sizeof weights);
    /* how many the reader may read, up to the cap */
    snprintf (sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM referral_search CROSS JOIN referrals"
              " ON referrals.id = referral_search.rowid WHERE %s LIMIT ?9)", where);
    int rc = -1;
    json_t *results = json_array ();
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        goto done;
    s_bind (stmt, data, match, &reach);
    sqlite3_bind_int64 (stmt, 9, (sqlite3_int64) p->count_max + 1);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        rc = xc_call_fail_db (call, "unable to count the referrals found");
        goto done;
    }
    long long counted = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    /* the page, ranked by xc_rank (common/search_api.h) with the policy's weights, ties by id descending; among the
       newest rank_window matches when there may be more (search_query.h). The unit's name on
       the referral's date, as referral.list gives it. */
    char fields[1536], rank[160], from_where[3584];
    snprintf (fields, sizeof fields,
        "referrals.id, referrals.kind, referrals.target, referrals.round,"
        " (SELECT name FROM rounds WHERE id = referrals.round), referrals.unit, %s, referrals.category,"
        " referrals.category_name, referrals.state, referrals.referred_on,"
        " highlight (referral_search, 0, char (2), char (3)),"
        " snippet (referral_search, -1, char (2), char (3), '…', %d)", referral_name_at_sql, p->snippet_tokens);
    snprintf (rank, sizeof rank, "xc_rank (referral_search%s)", weights);
    snprintf (from_where, sizeof from_where,
              "referral_search CROSS JOIN referrals ON referrals.id = referral_search.rowid WHERE %s", where);
    bool windowed = xc_search_windowed (p, counted);
    if (xc_search_page_sql (sql, sizeof sql, "referral_search", "referrals", "referrals", fields, rank, from_where,
                            9, windowed ? 11 : 0) != 0) {
        rc = xc_call_fail (call, XC_E_INTERNAL, "the search's statement is too long");
        goto done;
    }
    stmt = xc_call_stmt (call, sql);
    if (!stmt)
        goto done;
    s_bind (stmt, data, match, &reach);
    sqlite3_bind_int (stmt, 9, limit + 1);
    sqlite3_bind_int64 (stmt, 10, json_integer_value (json_object_get (data, "offset")));
    if (windowed)
        sqlite3_bind_int (stmt, 11, p->rank_window);
    bool more;
    if (xc_search_page_read (call, stmt, limit, s_row, "unable to search the referrals", results, &more) != 0)
        goto done;
    xc_search_result (call, p, counted, results, more);
    results = NULL;
    rc = 0;
done:
    json_decref (results);
    free (match);
    return rc;
}
