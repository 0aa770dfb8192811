/*  search_query.c: the frame of the services' search queries (search_query.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/search.h"
#include "common/search_query.h"

void
xc_search_policy_load (xc_search_policy_t *p, const json_t *given, const char *const *columns,
                       const int *default_weights)
{
    memset (p, 0, sizeof *p);
    const json_t *weights = json_object_get (given, "weights");
    for (int i = 0; columns[i] && i < XC_SEARCH_COLUMNS_MAX; i++, p->n_columns++) {
        const json_t *w = json_object_get (weights, columns[i]);
        p->weights[i] = w ? (int) json_integer_value (w) : default_weights[i];
    }
    const json_t *v = json_object_get (given, "count_max");
    p->count_max = v ? (int) json_integer_value (v) : 10000;
    v = json_object_get (given, "max_terms");
    p->max_terms = v ? (int) json_integer_value (v) : XC_SEARCH_MAX_TERMS;
    v = json_object_get (given, "snippet_tokens");
    p->snippet_tokens = v ? (int) json_integer_value (v) : 24;
    v = json_object_get (given, "rank_window");
    p->rank_window = v ? (int) json_integer_value (v) : XC_SEARCH_RANK_WINDOW_DEFAULT;
}

void
xc_search_weights_sql (const xc_search_policy_t *p, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < p->n_columns && n < size; i++)
        n += (size_t) snprintf (out + n, size - n, ", %d", p->weights[i]);
}

int
xc_search_page_sql (char *out, size_t size, const char *fts, const char *table, const char *alias,
                    const char *fields, const char *rank, const char *from_where, int limit_param,
                    int window_param)
{
    char window[64] = "";
    if (window_param)
        snprintf (window, sizeof window, " ORDER BY %s.rowid DESC LIMIT ?%d", fts, window_param);
    /* "+rowid IN": the page's ids looked up in an index SQLite makes once, not one FTS5 cursor
       a row (FTS5 would take "rowid IN" as rowid = each, a MATCH set up again for each) */
    int n = snprintf (out, size,
        "WITH pg AS MATERIALIZED (SELECT id, score FROM (SELECT %s.id AS id, %s AS score FROM %s%s)"
        " ORDER BY score, id DESC LIMIT ?%d OFFSET ?%d)"
        " SELECT %s, pg.score FROM %s CROSS JOIN %s CROSS JOIN pg WHERE %s MATCH ?1"
        " AND %s.rowid BETWEEN (SELECT min (id) FROM pg) AND (SELECT max (id) FROM pg)"
        " AND +%s.rowid IN (SELECT id FROM pg) AND %s.id = %s.rowid AND pg.id = %s.id"
        " ORDER BY pg.score, pg.id DESC",
        alias, rank, from_where, window, limit_param, limit_param + 1,
        fields, fts, table, fts, fts, fts, alias, fts, alias);
    return n < 0 || (size_t) n >= size ? -1 : 0;
}

bool
xc_search_windowed (const xc_search_policy_t *p, long long counted)
{
    return counted > p->rank_window || counted > p->count_max;
}

int
xc_search_call_match (xc_call_t *call, const xc_search_policy_t *p, char **match)
{
    const char *q = json_string_value (json_object_get (xc_call_msg (call)->data, "q"));
    xc_err_t err = { 0 };
    if (xc_search_match_terms (q ? q : "", p->max_terms, match, &err) != 0)
        return xc_call_fail (call, err.code == XC_E_INTERNAL ? XC_E_INTERNAL : XC_E_SCHEMA, "%s", err.text);
    return 0;
}

json_t *
xc_search_score (double rank)
{
    char text[32];
    snprintf (text, sizeof text, "%.2f", rank < 0 ? -rank : 0.0);
    return json_string (text);
}

void
xc_search_result (xc_call_t *call, const xc_search_policy_t *p, long long counted, json_t *results, bool more)
{
    const json_t *data = xc_call_msg (call)->data;
    const json_t *limit = json_object_get (data, "limit");
    long long offset = json_integer_value (json_object_get (data, "offset"));
    long long next = offset + (limit ? json_integer_value (limit) : 20);
    bool capped = counted > p->count_max;
    xc_call_result (call, json_pack ("{s:O, s:I, s:b, s:o, s:o}", "q", json_object_get (data, "q"),
                                     "count", (json_int_t) (capped ? p->count_max : counted),
                                     "count_capped", capped, "results", results,
                                     "next", more ? json_integer (next) : json_null ()));
}

int
xc_search_page_read (xc_call_t *call, sqlite3_stmt *stmt, int limit, json_t *(*row) (sqlite3_stmt *),
                     const char *failure, json_t *results, bool *more)
{
    int step;
    while ((step = sqlite3_step (stmt)) == SQLITE_ROW && (int) json_array_size (results) < limit) {
        json_t *made = row (stmt);
        if (!made || json_array_append_new (results, made) != 0) {
            sqlite3_reset (stmt);
            return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
        }
    }
    sqlite3_reset (stmt);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return xc_call_fail_db (call, failure);
    *more = step == SQLITE_ROW;
    return 0;
}
