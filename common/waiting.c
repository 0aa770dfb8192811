/*  waiting.c: the consumer's parked events (waiting.h). */
#include "common/waiting.h"

#include <stdlib.h>
#include <string.h>

/*  Steps a cached statement to its end, then resets it. */
static int
s_done (xc_store_t *store, sqlite3_stmt *stmt, const char *what, xc_err_t *err)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? 0 : xc_store_fail (xc_store_db (store), what, err);
}

int
xc_waiting_park (xc_store_t *store, const char *source, int64_t seq, const char *type,
                 const char *object, const char *message, const char *reason, int64_t since,
                 xc_err_t *err)
{
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store,
                       "INSERT INTO consumer_waiting (source, seq, type, object, message, reason, since)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                       " ON CONFLICT (source, seq) DO UPDATE SET reason = excluded.reason",
                       &stmt, err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, seq);
    sqlite3_bind_text (stmt, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, object ? object : "", -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, message, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 7, since);
    return s_done (store, stmt, "unable to park an event", err);
}

int
xc_waiting_first (xc_store_t *store, const char *source, const char *object, int64_t *seq_p,
                  xc_err_t *err)
{
    *seq_p = 0;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT min (seq) FROM consumer_waiting WHERE source = ?1 AND object = ?2",
                       &stmt, err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, object, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *seq_p = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW)
        return xc_store_fail (xc_store_db (store), "unable to read the parked events", err);
    return 0;
}

int
xc_waiting_count (xc_store_t *store, int64_t *n_p, int64_t *oldest_p, xc_err_t *err)
{
    *n_p = 0;
    *oldest_p = 0;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT count (*), coalesce (min (since), 0) FROM consumer_waiting",
                       &stmt, err) != 0)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        *n_p = sqlite3_column_int64 (stmt, 0);
        *oldest_p = sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW)
        return xc_store_fail (xc_store_db (store), "unable to count the parked events", err);
    return 0;
}

static char *
s_column (sqlite3_stmt *stmt, int i)
{
    const char *text = (const char *) sqlite3_column_text (stmt, i);
    return strdup (text ? text : "");
}

int
xc_waiting_list (xc_store_t *store, const char *after_source, int64_t after_seq, int limit,
                 xc_waiting_t **rows_p, int *n_p, xc_err_t *err)
{
    *rows_p = NULL;
    *n_p = 0;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store,
                       "SELECT source, seq, type, object, message FROM consumer_waiting"
                       " WHERE (source, seq) > (?1, ?2) ORDER BY source, seq LIMIT ?3",
                       &stmt, err) != 0)
        return -1;
    xc_waiting_t *rows = calloc ((size_t) (limit > 0 ? limit : 1), sizeof *rows);
    if (!rows)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    sqlite3_bind_text (stmt, 1, after_source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, after_seq);
    sqlite3_bind_int (stmt, 3, limit);
    int n = 0, rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW && n < limit) {
        xc_waiting_t *row = &rows[n++];
        row->source = s_column (stmt, 0);
        row->seq = sqlite3_column_int64 (stmt, 1);
        row->type = s_column (stmt, 2);
        row->object = s_column (stmt, 3);
        row->message = s_column (stmt, 4);
        if (!row->source || !row->type || !row->object || !row->message) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        xc_waiting_free (rows, n);
        return rc == SQLITE_NOMEM ? xc_err_set (err, XC_E_INTERNAL, "out of memory")
                                  : xc_store_fail (xc_store_db (store), "unable to read the parked events", err);
    }
    if (n == 0) {
        free (rows);
        rows = NULL;
    }
    *rows_p = rows;
    *n_p = n;
    return 0;
}

void
xc_waiting_free (xc_waiting_t *rows, int n)
{
    for (int i = 0; rows && i < n; i++) {
        free (rows[i].source);
        free (rows[i].type);
        free (rows[i].object);
        free (rows[i].message);
    }
    free (rows);
}

int
xc_waiting_done (xc_store_t *store, const char *source, int64_t seq, xc_err_t *err)
{
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "DELETE FROM consumer_waiting WHERE source = ?1 AND seq = ?2", &stmt,
                       err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, seq);
    return s_done (store, stmt, "unable to take back a parked event", err);
}
