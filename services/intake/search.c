/*  search.c: problem.search, full-text search over the problems a principal may list
    (docs/services/intake.md, "Search"). The index, problem_search (summary, detail,
    unit_names; rowid = problems.id), is kept by triggers in the record's own transaction
    (main.c's migration); who reads what is scope.c's, the same SQL as problem.list's. */
#include "services/intake/intake.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/search.h"

#define S_MAX_CHARS 100              /* data.q, in characters */

/*  The matches and filters: ?1 MATCH, ?2 round, ?3 unit, ?4 categories (JSON array), ?5 state,
    ?6-?7 the year's days (found_on), ?8 owner ("city" or a district), ?16-?17 the ids between
    which the round's or unit's problems lie (s_id_range): FTS5 then reads only that stretch
    of each term's matches, not every match to drop those of other rounds one by one. */
#define S_WHERE                                                                                  \
    " FROM problem_search JOIN problems p ON p.id = problem_search.rowid"                        \
    " LEFT JOIN rounds r ON r.id = p.round"                                                     \
    " WHERE problem_search MATCH ?1 AND problem_search.rowid BETWEEN ?16 AND ?17"                \
    " AND (?2 IS NULL OR p.round = ?2) AND (?3 IS NULL OR p.unit = ?3)"                          \
    " AND (?4 IS NULL OR p.category IN (SELECT value FROM json_each (?4)))"                      \
    " AND (?5 IS NULL OR p.status = ?5) AND (?6 IS NULL OR p.found_on BETWEEN ?6 AND ?7)"        \
    " AND (?8 IS NULL OR (?8 = 'city' AND r.id IS NOT NULL AND r.owner_district IS NULL)"          \
    " OR r.owner_district = ?8)"

/*  Counted up to ?9 rows (count_max + 1). */
#define S_COUNT(scope) "SELECT count(*) FROM (SELECT 1" S_WHERE " AND" scope " LIMIT ?9)"

/*  The page's ids by rank: bm25 with the policy's weights ?10-?12 (lower is better), ties by
    id descending (the newer first); ?13 rows from ?14. Ranked among the newest ?15 matches
    (rank_window): FTS5 gives matches by rowid without cost, but bm25 over every match of a
    common term is the whole cost of a search (a term in 30% of 200,000 problems: 200 ms
    ranked all, 15 ms ranked 2,000). */
#define S_PAGE(scope)                                                                            \
    "SELECT id, score FROM (SELECT p.id AS id, bm25 (problem_search, ?10, ?11, ?12) AS score"     \
    S_WHERE " AND" scope " ORDER BY problem_search.rowid DESC LIMIT ?15)"                        \
    " ORDER BY score, id DESC LIMIT ?13 OFFSET ?14"

/*  One result's fields and marks, computed for the page's rows only (not for every match). */
static const char s_row_sql[] =
    "SELECT p.round, r.name, p.unit, u.name, p.category, p.status, p.found_on, p.source,"
    " highlight (problem_search, 0, char (2), char (3)),"
    " snippet (problem_search, 1, char (2), char (3), '…', ?3)"
    " FROM problem_search JOIN problems p ON p.id = problem_search.rowid"
    " JOIN units u ON u.id = p.unit LEFT JOIN rounds r ON r.id = p.round"
    " WHERE problem_search MATCH ?1 AND problem_search.rowid = ?2";

/*  Characters in a valid UTF-8 text (the schema checked it is). */
static size_t
s_chars (const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char) *s & 0xc0) != 0x80;
    return n;
}

/*  Binds the filters and the reader to a count or page statement. */
static void
s_bind (sqlite3_stmt *stmt, const char *match, const json_t *data, const char *categories, const char *from,
        const char *to, const intake_reader_t *reader, const sqlite3_int64 range[2])
{
    sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 16, range[0]);
    sqlite3_bind_int64 (stmt, 17, range[1]);
    const char *filters[] = { "round", "unit" };
    for (int i = 0; i < 2; i++)
        sqlite3_bind_text (stmt, 2 + i, json_string_value (json_object_get (data, filters[i])), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, categories, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    if (from[0]) {
        sqlite3_bind_text (stmt, 6, from, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 7, to, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text (stmt, 8, json_string_value (json_object_get (data, "owner")), -1, SQLITE_STATIC);
    intake_reader_bind (stmt, reader);
}

/*  The least and greatest id of the problems of data's round and unit (both when both are
    given; every id without either; an empty range when there is none): a bound that holds
    for every match, cheap from problems_by_round / problems_by_unit. 0, or -1 after failing. */
static int
s_id_range (xc_call_t *call, const json_t *data, sqlite3_int64 range[2])
{
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    range[0] = 0;
    range[1] = INT64_MAX;
    if (!round && !unit)
        return 0;
    /* one statement a case: "?1 IS NULL OR round = ?1" would read every problem, no index */
    sqlite3_stmt *stmt = xc_call_stmt (call, !unit ? "SELECT min (id), max (id) FROM problems WHERE round = ?1"
                                             : !round ? "SELECT min (id), max (id) FROM problems WHERE unit = ?2"
                                                      : "SELECT min (id), max (id) FROM problems"
                                                        " WHERE round = ?1 AND unit = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL) {
        range[0] = sqlite3_column_int64 (stmt, 0);
        range[1] = sqlite3_column_int64 (stmt, 1);
    } else if (step == SQLITE_ROW) {
        range[0] = 1;                /* no problem of that round or unit: nothing matches */
        range[1] = 0;
    }
    sqlite3_reset (stmt);
    return step == SQLITE_ROW ? 0 : xc_call_fail_db (call, "unable to search problems");
}

/*  The filters the schema cannot check: the category and the owner district. 0, or -1 after
    failing the call. */
static int
s_check_filters (xc_call_t *call, const intake_t *intake, const json_t *data)
{
    const char *category = json_string_value (json_object_get (data, "category"));
    if (category && !intake_policy_category (&intake->policy, category))
        return xc_call_fail (call, XC_E_NOT_FOUND, "data.category: '%s' is not a category of this deployment",
                             category);
    const char *owner = json_string_value (json_object_get (data, "owner"));
    if (!owner || strcmp (owner, "city") == 0)
        return 0;
    json_t *unit = intake_unit_json (call, owner);
    if (!unit)
        return xc_call_fail (call, XC_E_NOT_FOUND,
                             "data.owner: no unit '%s' (the owner is \"city\" or a district's unit id)", owner);
    const char *level = json_string_value (json_object_get (unit, "level"));
    int rc = strcmp (level, "district") == 0
                 ? 0
                 : xc_call_fail (call, XC_E_SCHEMA, "data.owner: unit '%s' is of level '%s', not a district", owner,
                                 level);
    json_decref (unit);
    return rc;
}

/*  One result from the page's id: its fields, the summary marked, a snippet of the detail. */
static json_t *
s_result (xc_call_t *call, const intake_t *intake, const char *match, json_int_t id, double score)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, s_row_sql);
    if (!stmt)
        return NULL;
    sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, id);
    sqlite3_bind_int (stmt, 3, intake->policy.search.snippet_tokens);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_reset (stmt);
        if (rc == SQLITE_DONE)
            xc_call_fail (call, XC_E_INTERNAL, "problem %lld left the search index", (long long) id);
        else
            xc_call_fail_db (call, "unable to search problems");
        return NULL;
    }
    const char *category = (const char *) sqlite3_column_text (stmt, 4);
    const intake_category_t *cat = intake_policy_category_find (&intake->policy, category);
    char score_text[32];
    /* bm25 is lower for a better match: shown as a positive relevance */
    snprintf (score_text, sizeof score_text, "%.2f", score == 0 ? 0.0 : -score);
    json_t *result = json_pack ("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
        "kind", "problem", "id", id, "round", xc_column_text (stmt, 0), "round_name", xc_column_text (stmt, 1),
        "unit", xc_column_text (stmt, 2), "unit_name", xc_column_text (stmt, 3),
        "category", xc_column_text (stmt, 4), "category_name", cat ? json_string (cat->name) : json_null (),
        "state", xc_column_text (stmt, 5), "date", xc_column_text (stmt, 6), "source", xc_column_text (stmt, 7),
        "title", xc_search_segments ((const char *) sqlite3_column_text (stmt, 8)),
        "snippet", xc_search_segments ((const char *) sqlite3_column_text (stmt, 9)), "score", score_text);
    sqlite3_reset (stmt);
    if (!result)
        xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    return result;
}

int
intake_problem_search (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const intake_search_policy_t *policy = &intake->policy.search;
    const json_t *data = xc_call_msg (call)->data;
    const char *q = json_string_value (json_object_get (data, "q"));
    if (s_chars (q) > S_MAX_CHARS)
        return xc_call_fail (call, XC_E_SCHEMA, "data.q: more than %d characters", S_MAX_CHARS);
    intake_reader_t reader;
    if (intake_reader_get (call, intake, &reader) != 0 || s_check_filters (call, intake, data) != 0)
        return -1;
    char *match = NULL;
    xc_err_t err;
    if (xc_search_match_terms (q, policy->max_terms, &match, &err) != 0)
        return xc_call_fail (call, err.code, "data.q: %s", err.text);
    json_int_t limit = json_object_get (data, "limit") ? json_integer_value (json_object_get (data, "limit")) : 20;
    json_int_t offset = json_integer_value (json_object_get (data, "offset"));
    json_int_t year = json_integer_value (json_object_get (data, "year"));
    char from[16] = "", to[16] = "";
    if (year) {
        snprintf (from, sizeof from, "%04d-01-01", (int) year);
        snprintf (to, sizeof to, "%04d-12-31", (int) year);
    }
    sqlite3_int64 range[2];
    if (s_id_range (call, data, range) != 0) {
        free (match);
        return -1;
    }
    char *categories = intake_category_ids (intake, data);
    json_t *results = json_array ();
    int rc = -1;
    json_int_t count = 0;
    bool more = false;

    sqlite3_stmt *stmt = xc_call_stmt (call, reader.district ? S_COUNT (INTAKE_READER_DISTRICT_SQL)
                                                             : S_COUNT (INTAKE_READER_SQL));
    if (!stmt)
        goto done;
    s_bind (stmt, match, data, categories, from, to, &reader, range);
    sqlite3_bind_int (stmt, 9, policy->count_max + 1);
    int step = sqlite3_step (stmt);
    if (step == SQLITE_ROW)
        count = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (step != SQLITE_ROW) {
        xc_call_fail_db (call, "unable to count the matches");
        goto done;
    }

    /* the page's ids first, then each one's marks: highlight() and snippet() run for the
       page's rows, never for every match sorted */
    json_int_t ids[101];
    double scores[101];
    int n = 0;
    /* a capped count does not say where the matches end: the page is asked for */
    if (count > offset || count > policy->count_max) {
        stmt = xc_call_stmt (call, reader.district ? S_PAGE (INTAKE_READER_DISTRICT_SQL) : S_PAGE (INTAKE_READER_SQL));
        if (!stmt)
            goto done;
        s_bind (stmt, match, data, categories, from, to, &reader, range);
        sqlite3_bind_int (stmt, 10, policy->w_summary);
        sqlite3_bind_int (stmt, 11, policy->w_detail);
        sqlite3_bind_int (stmt, 12, policy->w_unit_names);
        sqlite3_bind_int64 (stmt, 13, limit + 1);
        sqlite3_bind_int64 (stmt, 14, offset);
        sqlite3_bind_int (stmt, 15, policy->rank_window);
        while ((step = sqlite3_step (stmt)) == SQLITE_ROW && n <= limit) {
            ids[n] = sqlite3_column_int64 (stmt, 0);
            scores[n++] = sqlite3_column_double (stmt, 1);
        }
        sqlite3_reset (stmt);
        if (step != SQLITE_DONE && step != SQLITE_ROW) {
            xc_call_fail_db (call, "unable to search problems");
            goto done;
        }
    }
    more = n > limit;
    if (more)
        n = (int) limit;
    for (int i = 0; i < n; i++) {
        json_t *result = s_result (call, intake, match, ids[i], scores[i]);
        if (!result)
            goto done;
        json_array_append_new (results, result);
    }
    bool capped = count > policy->count_max;
    /* the next page while offset stays within what the schema takes */
    json_t *next = more && offset + limit <= 1000 ? json_integer (offset + limit) : json_null ();
    xc_call_result (call, json_pack ("{s:s, s:I, s:b, s:O, s:o}", "q", q,
                                     "count", capped ? (json_int_t) policy->count_max : count, "count_capped", capped,
                                     "results", results, "next", next));
    rc = 0;
done:
    json_decref (results);
    free (categories);
    free (match);
    return rc;
}
