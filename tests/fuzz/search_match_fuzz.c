/*  search_match_fuzz.c: user text through xc_search_match into FTS5's MATCH, on any bytes.

    Whatever xc_search_match accepts, MATCH must take without an error (raw text never reaches
    the query parser); a refusal is XC_E_SCHEMA with a message. The same bytes as a document
    must be indexed, and highlight() then read back by xc_search_segments, without an error.
    Seeds: tests/fuzz/corpus/search_match (hand-made: Chinese, Latin, FTS5 syntax, quotes).
*/
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "common/search.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static sqlite3 *s_db;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_db) {
        XC_FUZZ_ASSERT (sqlite3_open (":memory:", &s_db) == SQLITE_OK);
        XC_FUZZ_ASSERT (xc_search_register (s_db) == 0);
        XC_FUZZ_ASSERT (sqlite3_exec (s_db, "CREATE VIRTUAL TABLE d USING fts5 (a, tokenize='xc_bigram')", NULL, NULL,
                                      NULL)
                        == SQLITE_OK);
    }
    char *q = malloc (size + 1);
    if (!q)
        return 0;
    memcpy (q, data, size);
    q[size] = 0;
    sqlite3_exec (s_db, "DELETE FROM d", NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    XC_FUZZ_ASSERT (sqlite3_prepare_v2 (s_db, "INSERT INTO d (rowid, a) VALUES (1, ?)", -1, &st, NULL) == SQLITE_OK);
    sqlite3_bind_text (st, 1, q, -1, SQLITE_STATIC);
    XC_FUZZ_ASSERT (sqlite3_step (st) == SQLITE_DONE);
    sqlite3_finalize (st);
    char *match = NULL;
    xc_err_t err;
    if (xc_search_match (q, &match, &err) != 0) {
        XC_FUZZ_ASSERT (match == NULL && err.code == XC_E_SCHEMA && err.text[0]);
        free (q);
        return 0;
    }
    XC_FUZZ_ASSERT (sqlite3_prepare_v2 (s_db, "SELECT highlight (d, 0, '\x02', '\x03') FROM d WHERE d MATCH ?", -1,
                                        &st, NULL)
                    == SQLITE_OK);
    sqlite3_bind_text (st, 1, match, -1, SQLITE_STATIC);
    int rc;
    int rows = 0;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        json_t *seg = xc_search_segments ((const char *) sqlite3_column_text (st, 0));
        XC_FUZZ_ASSERT (seg && json_array_size (seg) >= 1);
        json_decref (seg);
        rows++;
    }
    /* no MATCH error, and a text always finds itself */
    XC_FUZZ_ASSERT (rc == SQLITE_DONE);
    XC_FUZZ_ASSERT (rows == 1);
    sqlite3_finalize (st);
    free (match);
    free (q);
    return 0;
}
