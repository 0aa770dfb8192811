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
#include "common/text.h"

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

/*  The page's ids by rank: xc_rank (common/search_api.h: BM25 without the pass over every row
    holding a phrase) with the policy's weights ?10-?12 (lower is better), ties by
    id descending (the newer first); ?13 rows from ?14, each with the window's size. Ranked among the newest ?15 matches
    (rank_window): FTS5 gives matches by rowid without cost, but bm25 over every match of a
    common term is the whole cost of a search (a term in 30% of 200,000 problems: 200 ms
    ranked all, 15 ms ranked 2,000). */
#define S_PAGE(scope)                                                                            \
    "SELECT id, score, count(*) OVER () FROM (SELECT p.id AS id, xc_rank (problem_search, ?10, ?11, ?12, 0) AS score"     \
    S_WHERE " AND" scope " ORDER BY problem_search.rowid DESC LIMIT ?15)"                        \
    " ORDER BY score, id DESC LIMIT ?13 OFFSET ?14"

/*  The page's results, their fields and marks, in one pass over the matches between the page's
    least and greatest id (?2-?3): highlight() and snippet() run for the page's rows only (?4,
    a JSON array; the unary + keeps SQLite from asking FTS5 for each id apart, which evaluated
    the MATCH again for every row: 0.5 ms a row over the five years' problems). */
static const char s_rows_sql[] =
    "SELECT problem_search.rowid, p.round, r.name, p.unit, u.name, p.category, p.status, p.found_on, p.source,"
    " highlight (problem_search, 0, char (2), char (3)),"
    " snippet (problem_search, 1, char (2), char (3), '…', ?5)"
    " FROM problem_search JOIN problems p ON p.id = problem_search.rowid"
    " JOIN units u ON u.id = p.unit LEFT JOIN rounds r ON r.id = p.round"
    " WHERE problem_search MATCH ?1 AND problem_search.rowid BETWEEN ?2 AND ?3"
    " AND +problem_search.rowid IN (SELECT value FROM json_each (?4))";

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

/*  One filter as `AND facets : (t1 OR t2 ...)` of its values' tokens (main.c, PROBLEM_FACETS). */
static void
s_facet_clause (xc_buf_t *b, char kind, const char *const *values, size_t n)
{
    xc_buf_puts (b, " AND facets : (");
    for (size_t i = 0; i < n; i++) {
        char token[XC_SEARCH_FACET_LEN + 1];
        xc_search_facet (kind, values[i], token);
        xc_buf_puts (b, i ? " OR " : "");
        xc_buf_puts (b, token);
    }
    xc_buf_puts (b, ")");
}

/*  The MATCH expression: the user's terms (xc_search_match) in the text columns, and each
    filter given as its facet tokens, so that FTS5 intersects the term's matches with the
    filter's before any row is read (a common term under a round filter read every match of
    the term otherwise). The filters' SQL conditions stay in S_WHERE: a token is a hash.
    NULL when out of memory. */
static char *
s_match_sql (const char *terms, const json_t *data, const char *categories)
{
    xc_buf_t b = { 0 };
    xc_buf_puts (&b, "{summary detail unit_names} : (");
    xc_buf_puts (&b, terms);
    xc_buf_puts (&b, ")");
    static const struct { const char *member; char kind; } one[] = {
        { "round", 'r' }, { "unit", 'u' }, { "owner", 'o' }, { "state", 's' } };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        const char *value = json_string_value (json_object_get (data, one[i].member));
        if (value)
            s_facet_clause (&b, one[i].kind, &value, 1);
    }
    json_int_t year = json_integer_value (json_object_get (data, "year"));
    if (year) {
        char text[16];
        snprintf (text, sizeof text, "%04d", (int) year);
        const char *value = text;
        s_facet_clause (&b, 'y', &value, 1);
    }
    json_t *ids = categories ? json_loads (categories, 0, NULL) : NULL;
    if (json_array_size (ids) > 0) {
        const char **values = calloc (json_array_size (ids), sizeof *values);
        size_t n = 0;
        for (size_t i = 0; values && i < json_array_size (ids); i++)
            if (json_is_string (json_array_get (ids, i)))
                values[n++] = json_string_value (json_array_get (ids, i));
        if (values && n)
            s_facet_clause (&b, 'c', values, n);
        b.failed = b.failed || !values;
        free (values);
    }
    json_decref (ids);
    if (b.failed) {
        xc_buf_free (&b);
        return NULL;
    }
    return b.data;
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

/*  The page's results in its order (ids[0..n), their scores) appended to results. 0, or -1
    after failing the call. */
static int
s_results (xc_call_t *call, const intake_t *intake, const char *match, const json_int_t *ids, const double *scores,
           int n, json_t *results)
{
    if (n == 0)
        return 0;
    json_t *wanted = json_array ();
    json_int_t lo = ids[0], hi = ids[0];
    for (int i = 0; i < n; i++) {
        json_array_append_new (wanted, json_integer (ids[i]));
        lo = ids[i] < lo ? ids[i] : lo;
        hi = ids[i] > hi ? ids[i] : hi;
    }
    char *wanted_text = json_dumps (wanted, JSON_COMPACT);
    json_decref (wanted);
    sqlite3_stmt *stmt = wanted_text ? xc_call_stmt (call, s_rows_sql) : NULL;
    if (!stmt) {
        free (wanted_text);
        return wanted_text ? -1 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    sqlite3_bind_text (stmt, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, lo);
    sqlite3_bind_int64 (stmt, 3, hi);
    sqlite3_bind_text (stmt, 4, wanted_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int (stmt, 5, intake->policy.search.snippet_tokens);
    free (wanted_text);
    json_t *by_id = json_object ();
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *category = (const char *) sqlite3_column_text (stmt, 5);
        const intake_category_t *cat = intake_policy_category_find (&intake->policy, category);
        char key[32];
        snprintf (key, sizeof key, "%lld", (long long) sqlite3_column_int64 (stmt, 0));
        json_object_set_new (by_id, key, json_pack ("{s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
            "kind", "problem", "id", (json_int_t) sqlite3_column_int64 (stmt, 0), "round", xc_column_text (stmt, 1),
            "round_name", xc_column_text (stmt, 2), "unit", xc_column_text (stmt, 3),
            "unit_name", xc_column_text (stmt, 4), "category", xc_column_text (stmt, 5),
            "category_name", cat ? json_string (cat->name) : json_null (), "state", xc_column_text (stmt, 6),
            "date", xc_column_text (stmt, 7), "source", xc_column_text (stmt, 8),
            "title", xc_search_segments ((const char *) sqlite3_column_text (stmt, 9)),
            "snippet", xc_search_segments ((const char *) sqlite3_column_text (stmt, 10))));
    }
    sqlite3_reset (stmt);
    int rc = 0;
    if (step != SQLITE_DONE)
        rc = xc_call_fail_db (call, "unable to search problems");
    for (int i = 0; rc == 0 && i < n; i++) {
        char key[32];
        snprintf (key, sizeof key, "%lld", (long long) ids[i]);
        json_t *result = json_object_get (by_id, key);
        if (!result) {
            rc = xc_call_fail (call, XC_E_INTERNAL, "problem %lld left the search index", (long long) ids[i]);
            break;
        }
        char score_text[32];
        /* xc_rank is lower for a better match: shown as a positive relevance */
        snprintf (score_text, sizeof score_text, "%.2f", scores[i] == 0 ? 0.0 : -scores[i]);
        json_object_set_new (result, "score", json_string (score_text));
        json_array_append (results, result);
    }
    json_decref (by_id);
    return rc;
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
    char *terms = match;
    match = s_match_sql (terms, data, categories);
    free (terms);
    if (!match) {
        free (categories);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_t *results = json_array ();
    int rc = -1;
    json_int_t count = 0;
    bool more = false;

    /* the page's ids first, then each one's marks: highlight() and snippet() run for the
       page's rows, never for every match sorted. The page's query also says how many matches
       the window holds: fewer than rank_window is every match (the count, exactly); a full
       window is more than count_max when count_max < rank_window (the defaults): the count
       needs no pass of its own then */
    json_int_t ids[101];
    double scores[101];
    int n = 0;
    long long in_window = 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, reader.district ? S_PAGE (INTAKE_READER_DISTRICT_SQL)
                                                             : S_PAGE (INTAKE_READER_SQL));
    if (!stmt)
        goto done;
    s_bind (stmt, match, data, categories, from, to, &reader, range);
    sqlite3_bind_int (stmt, 10, policy->w_summary);
    sqlite3_bind_int (stmt, 11, policy->w_detail);
    sqlite3_bind_int (stmt, 12, policy->w_unit_names);
    sqlite3_bind_int64 (stmt, 13, limit + 1);
    sqlite3_bind_int64 (stmt, 14, offset);
    sqlite3_bind_int (stmt, 15, policy->rank_window);
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW && n <= limit) {
        ids[n] = sqlite3_column_int64 (stmt, 0);
        scores[n++] = sqlite3_column_double (stmt, 1);
        in_window = sqlite3_column_int64 (stmt, 2);
    }
    sqlite3_reset (stmt);
    if (step != SQLITE_DONE && step != SQLITE_ROW) {
        xc_call_fail_db (call, "unable to search problems");
        goto done;
    }
    if (n > 0 && in_window < policy->rank_window)
        count = in_window;
    else if (n > 0 && policy->count_max < policy->rank_window)
        count = policy->count_max + 1;
    else if (n > 0 || offset > 0) {
        /* a page past the window's rows, or a count_max beyond the window: counted */
        stmt = xc_call_stmt (call, reader.district ? S_COUNT (INTAKE_READER_DISTRICT_SQL)
                                                   : S_COUNT (INTAKE_READER_SQL));
        if (!stmt)
            goto done;
        s_bind (stmt, match, data, categories, from, to, &reader, range);
        sqlite3_bind_int (stmt, 9, policy->count_max + 1);
        step = sqlite3_step (stmt);
        if (step == SQLITE_ROW)
            count = sqlite3_column_int64 (stmt, 0);
        sqlite3_reset (stmt);
        if (step != SQLITE_ROW) {
            xc_call_fail_db (call, "unable to count the matches");
            goto done;
        }
    }
    more = n > limit;
    if (more)
        n = (int) limit;
    if (s_results (call, intake, match, ids, scores, n, results) != 0)
        goto done;
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
