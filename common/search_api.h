/*  search_api.h: FTS5's API pointer for a connection and the tokenizer's registration on it.
    Static inline: compiled once into libxc (search.c) and once into the loadable extension,
    where sqlite3ext.h routes the same calls through the API table it was given. */
#ifndef XC_SEARCH_API_H
#define XC_SEARCH_API_H

#include <stdint.h>
#include <string.h>

/*  xc_rank(table, weight0, weight1, ...): a row's relevance as BM25's term-frequency part
    (k1 1.2, b 0.75), summed over the query's phrases and the columns, each column by its weight
    (absent: 1; 0 leaves the column out), negated (lower is better, as bm25()). No inverse
    document frequency: bm25() gets it by reading every row that holds each phrase before the
    first row is ranked (xQueryPhrase), which is the whole cost of a common term; here every
    result holds every phrase (the terms are ANDed), so IDF would only weigh one phrase against
    another. Per row: its column sizes (one docsize read) and its hits (xInst), nothing else. */
static inline void
xc_search_rank (const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int n_values,
                sqlite3_value **values)
{
    enum { S_COLUMNS = 16 };
    const double k1 = 1.2, b = 0.75;
    int columns = api->xColumnCount (fts), hits = 0;
    if (columns > S_COLUMNS)
        columns = S_COLUMNS;
    sqlite3_int64 rows = 0;
    if (api->xRowCount (fts, &rows) != SQLITE_OK || api->xInstCount (fts, &hits) != SQLITE_OK) {
        sqlite3_result_error (ctx, "xc_rank: unable to read the row", -1);
        return;
    }
    /* hits per phrase and column (phrases beyond 32: counted with the 32nd) */
    int tf[32][S_COLUMNS];
    memset (tf, 0, sizeof tf);
    for (int i = 0; i < hits; i++) {
        int phrase, column, offset;
        if (api->xInst (fts, i, &phrase, &column, &offset) != SQLITE_OK)
            continue;
        if (column >= 0 && column < columns)
            tf[phrase < 32 ? phrase : 31][column]++;
    }
    int phrases = api->xPhraseCount (fts);
    if (phrases > 32)
        phrases = 32;
    double score = 0;
    for (int c = 0; c < columns; c++) {
        double weight = c < n_values ? sqlite3_value_double (values[c]) : 1.0;
        if (weight == 0)
            continue;
        int size = 0;
        sqlite3_int64 total = 0;
        if (api->xColumnSize (fts, c, &size) != SQLITE_OK || api->xColumnTotalSize (fts, c, &total) != SQLITE_OK)
            continue;
        double average = rows > 0 && total > 0 ? (double) total / (double) rows : 1.0;
        double norm = k1 * (1 - b + b * size / average);
        for (int p = 0; p < phrases; p++)
            if (tf[p][c])
                score += weight * tf[p][c] * (k1 + 1) / (tf[p][c] + norm);
    }
    sqlite3_result_double (ctx, -score);
}

/*  A filter's value as one token of xc_bigram (search.h, XC_SEARCH_FACET_LEN): the kind's letter
    then the 64-bit FNV-1a hash of the value in 16 lower-case hex digits. */
static inline void
xc_search_facet_text (char kind, const char *value, size_t n, char out[18])
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char) value[i];
        h *= 0x100000001b3ULL;
    }
    static const char hex[] = "0123456789abcdef";
    out[0] = kind;
    for (int i = 0; i < 16; i++)
        out[1 + i] = hex[(h >> (60 - 4 * i)) & 0xf];
    out[17] = '\0';
}

/*  xc_facet(kind, value): xc_search_facet_text of value under kind's first letter (a-z); NULL
    for a NULL value. */
static inline void
xc_search_facet_sql (sqlite3_context *ctx, int n_values, sqlite3_value **values)
{
    const unsigned char *kind = sqlite3_value_text (values[0]);
    if (n_values != 2 || !kind || kind[0] < 'a' || kind[0] > 'z') {
        sqlite3_result_error (ctx, "xc_facet: a kind (a-z) and a value", -1);
        return;
    }
    if (sqlite3_value_type (values[1]) == SQLITE_NULL)
        return;
    const char *value = (const char *) sqlite3_value_text (values[1]);
    char token[18];
    xc_search_facet_text ((char) kind[0], value ? value : "", (size_t) sqlite3_value_bytes (values[1]), token);
    sqlite3_result_text (ctx, token, 17, SQLITE_TRANSIENT);
}

/*  SQLITE_OK, or an SQLite error code (SQLITE_ERROR when the library has no FTS5). */
static inline int
xc_search_api_add (sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (db, "SELECT fts5(?1)", -1, &stmt, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_pointer (stmt, 1, (void *) &api, "fts5_api_ptr", NULL);
    sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (!api || api->iVersion < 2)
        return SQLITE_ERROR;
    rc = xc_search_tokenizer_add (api);
    if (rc == SQLITE_OK)
        rc = api->xCreateFunction (api, "xc_rank", NULL, xc_search_rank, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function (db, "xc_facet", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                      xc_search_facet_sql, NULL, NULL);
    return rc;
}

#endif
