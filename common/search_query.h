/*  search_query.h: what the services' search queries share (rectify.search, referral.search;
    docs/protocol.md's shapes in each service's page): the policy policies.<svc>.search, the
    count capped by it, the score as text and the reply.

    Each service keeps its own FTS5 table and SQL (its columns, its scope shared with its list);
    this is only the frame around them. Ownership: results are the caller's.
*/
#ifndef XC_SEARCH_QUERY_H
#define XC_SEARCH_QUERY_H

#include <jansson.h>

#include "common/handler.h"
#include "common/schema.h"

#define XC_SEARCH_COLUMNS_MAX 8

/*  policies.<svc>.search: bm25 weights by column (integers 0..1000, as intake's, the FTS table's column
    order), how far a count goes (count_capped beyond), how many terms a query may have, how
    many tokens a snippet shows, and rank_window: the newest matches ranked and paged (as
    intake's: at least XC_SEARCH_RANK_WINDOW_MIN, the deepest page's offset + limit), so that a
    common term's rank reads rank_window rows, not every match. */
typedef struct {
    int weights[XC_SEARCH_COLUMNS_MAX];
    int n_columns;
    int count_max, max_terms, snippet_tokens, rank_window;
} xc_search_policy_t;

#define XC_SEARCH_RANK_WINDOW_MIN 1100      /* the schema's greatest offset (1000) + limit (100) */
#define XC_SEARCH_RANK_WINDOW_DEFAULT 2000

/*  The policy's members after "weights" (whose fields are the service's columns). */
#define XC_SEARCH_POLICY_FIELDS(weight_fields)                                                     \
    { .name = "weights", .type = XC_T_OBJECT, .fields = weight_fields },                           \
    { .name = "count_max", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },                       \
    { .name = "max_terms", .type = XC_T_INTEGER, .min = 1, .max = 32 },                            \
    { .name = "snippet_tokens", .type = XC_T_INTEGER, .min = 4, .max = 64 },                       \
    { .name = "rank_window", .type = XC_T_INTEGER, .min = XC_SEARCH_RANK_WINDOW_MIN, .max = 1000000 },  \
    { .name = NULL }
#define XC_SEARCH_WEIGHT(n) { .name = n, .type = XC_T_INTEGER, .min = 0, .max = 1000 }

/*  Fills p from given (policies.<svc>.search, already checked against the fields above; NULL:
    absent) over the defaults: columns (NULL-terminated) with their default weights, count_max
    10000, max_terms XC_SEARCH_MAX_TERMS, snippet_tokens 24, rank_window
    XC_SEARCH_RANK_WINDOW_DEFAULT. */
void xc_search_policy_load (xc_search_policy_t *p, const json_t *given, const char *const *columns,
                            const int *default_weights);

/*  The bm25 weights as an SQL argument list ", 4, 1, 2, 3" (appended after the table's name). */
void xc_search_weights_sql (const xc_search_policy_t *p, char *out, size_t size);

/*  The page statement into out (size bytes; -1 when it does not fit): the page's ids ranked by
    rank (an SQL expression over fts, lower is better), ties by id descending, among the matches
    of from_where ("fts JOIN table alias ON ... WHERE fts MATCH ?1 AND ...") - when window_param
    is not 0, among the newest ?window_param only (FTS5 gives them by rowid descending without
    reading the rest) - taking rows ?limit_param from ?limit_param + 1; then fields (the
    result's columns over alias and fts, its highlight() and snippet() among them) for those ids
    only, read again from one FTS5 scan bounded by the page's least and greatest id, so that the
    marks are made for the page's rows, never for every match sorted. The last column is the
    rank; rows come in the page's order. */
int xc_search_page_sql (char *out, size_t size, const char *fts, const char *table, const char *alias,
                        const char *fields, const char *rank, const char *from_where, int limit_param,
                        int window_param);

/*  Whether a search that counted `counted` matches (up to count_max + 1) ranks among the newest
    rank_window only: when there may be more than the window. Fewer are all ranked: the same
    page, without reading the matches newest first (slower for FTS5 and the join). */
bool xc_search_windowed (const xc_search_policy_t *p, long long counted);

/*  The request's q as a MATCH expression (*match: the caller's, free), or -1 after failing the
    call with the reason (schema). */
int xc_search_call_match (xc_call_t *call, const xc_search_policy_t *p, char **match);

/*  Steps stmt (bound, the page's rows in order) into results: at most limit rows, each made by
    row (NULL: out of memory); *more when a row is left over. 0, or -1 after failing the call
    (failure: the text a database error is reported with, e.g. "unable to search the items"). */
int xc_search_page_read (xc_call_t *call, sqlite3_stmt *stmt, int limit, json_t *(*row) (sqlite3_stmt *),
                         const char *failure, json_t *results, bool *more);

/*  A rank of xc_rank (lower is better) as the reply's score: "1.23", higher is better. */
json_t *xc_search_score (double rank);

/*  Sets the call's result {"q", "count", "count_capped", "results", "next"} (results stolen):
    count is counted (up to count_max + 1: more is capped); next the offset of the next page
    when more is true. */
void xc_search_result (xc_call_t *call, const xc_search_policy_t *p, long long counted, json_t *results,
                       bool more);

#endif
