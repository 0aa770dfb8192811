/*  xc_search.c: build/lib/xc_search.so, the xc_bigram tokenizer (common/search.h) as a SQLite
    loadable extension, for Python tests and benches that write a store directly and for an
    operator's sqlite3 (.load build/lib/xc_search). Linked with common/search_tok.c. */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "common/search.h"
#include "common/search_api.h"

int sqlite3_xcsearch_init (sqlite3 *db, char **error, const sqlite3_api_routines *api);

int
sqlite3_xcsearch_init (sqlite3 *db, char **error, const sqlite3_api_routines *api)
{
    SQLITE_EXTENSION_INIT2 (api);
    int rc = xc_search_api_add (db);
    if (rc != SQLITE_OK && error)
        *error = sqlite3_mprintf ("xc_search: FTS5 is not available on this connection");
    return rc;
}
