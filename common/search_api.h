/*  search_api.h: FTS5's API pointer for a connection and the tokenizer's registration on it.
    Static inline: compiled once into libxc (search.c) and once into the loadable extension,
    where sqlite3ext.h routes the same calls through the API table it was given. */
#ifndef XC_SEARCH_API_H
#define XC_SEARCH_API_H

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
    return xc_search_tokenizer_add (api);
}

#endif
