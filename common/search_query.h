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
    many tokens a snippet shows. */
typedef struct {
    int weights[XC_SEARCH_COLUMNS_MAX];
    int n_columns;
    int count_max, max_terms, snippet_tokens;
} xc_search_policy_t;

/*  The policy's members after "weights" (whose fields are the service's columns). */
#define XC_SEARCH_POLICY_FIELDS(weight_fields)                                                     \
    { .name = "weights", .type = XC_T_OBJECT, .fields = weight_fields },                           \
    { .name = "count_max", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },                       \
    { .name = "max_terms", .type = XC_T_INTEGER, .min = 1, .max = 32 },                            \
    { .name = "snippet_tokens", .type = XC_T_INTEGER, .min = 4, .max = 64 },                       \
    { .name = NULL }
#define XC_SEARCH_WEIGHT(n) { .name = n, .type = XC_T_INTEGER, .min = 0, .max = 1000 }

/*  Fills p from given (policies.<svc>.search, already checked against the fields above; NULL:
    absent) over the defaults: columns (NULL-terminated) with their default weights, count_max
    10000, max_terms XC_SEARCH_MAX_TERMS, snippet_tokens 24. */
void xc_search_policy_load (xc_search_policy_t *p, const json_t *given, const char *const *columns,
                            const int *default_weights);

/*  The bm25 weights as an SQL argument list ", 4, 1, 2, 3" (appended after the table's name). */
void xc_search_weights_sql (const xc_search_policy_t *p, char *out, size_t size);

/*  The request's q as a MATCH expression (*match: the caller's, free), or -1 after failing the
    call with the reason (schema). */
int xc_search_call_match (xc_call_t *call, const xc_search_policy_t *p, char **match);

/*  A bm25 rank (lower is better) as the reply's score: "1.23", higher is better. */
json_t *xc_search_score (double bm25);

/*  Sets the call's result {"q", "count", "count_capped", "results", "next"} (results stolen):
    count is counted (up to count_max + 1: more is capped); next the offset of the next page
    when more is true. */
void xc_search_result (xc_call_t *call, const xc_search_policy_t *p, long long counted, json_t *results,
                       bool more);

#endif
