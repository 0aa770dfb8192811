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
xc_search_call_match (xc_call_t *call, const xc_search_policy_t *p, char **match)
{
    const char *q = json_string_value (json_object_get (xc_call_msg (call)->data, "q"));
    xc_err_t err = { 0 };
    if (xc_search_match_terms (q ? q : "", p->max_terms, match, &err) != 0)
        return xc_call_fail (call, err.code == XC_E_INTERNAL ? XC_E_INTERNAL : XC_E_SCHEMA, "%s", err.text);
    return 0;
}

json_t *
xc_search_score (double bm25)
{
    char text[32];
    snprintf (text, sizeof text, "%.2f", bm25 < 0 ? -bm25 : 0.0);
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
