/*  outbox.c: the hash-chained event log in the store's outbox table. */
#include "common/outbox.h"
#include "common/page.h"

#include "common/codec.h"
#include "common/hash.h"

#include <sodium.h>
#include <string.h>

#define S_READ_MAX 1000

void
xc_outbox_link (const unsigned char prev[32], const char *message, size_t len,
                unsigned char hash[32])
{
    xc_sha256 (prev, 32, message, len, hash);
}

/*  The last row's seq and hash; 0 and 32 zero bytes when empty. Read from the table on every
    append rather than cached: a rolled-back transaction or savepoint can then never leave a
    stale head behind, and the lookup is one step down the rowid b-tree. */
static int
s_last (xc_store_t *store, int64_t *seq_p, unsigned char hash[32], xc_err_t *err)
{
    *seq_p = 0;
    memset (hash, 0, 32);
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT seq, hash FROM outbox ORDER BY seq DESC LIMIT 1", &stmt,
                       err) != 0)
        return -1;
    int rc = sqlite3_step (stmt), result = 0;
    if (rc == SQLITE_ROW) {
        *seq_p = sqlite3_column_int64 (stmt, 0);
        const void *blob = sqlite3_column_blob (stmt, 1);
        if (!blob || sqlite3_column_bytes (stmt, 1) != 32)
            result = xc_err_set (err, XC_E_INTERNAL, "outbox hash at seq %lld is corrupt",
                                 (long long) *seq_p);
        else
            memcpy (hash, blob, 32);
    }
    else if (rc != SQLITE_DONE)
        result = xc_store_fail (xc_store_db (store), "outbox head", err);
    sqlite3_reset (stmt);
    return result;
}

int
xc_outbox_append (xc_store_t *store, xc_outbox_end_t *end, const char *event_id, bool keyed,
                  const char *type, const char *visibility, const char *message,
                  size_t message_len, int64_t *seq_p, bool *appended_p, xc_err_t *err)
{
    *seq_p = 0;
    *appended_p = false;
    xc_outbox_end_t own = { 0 };
    if (!end)
        end = &own;
    bool was_known = end->known;
    end->known = false;
    if (!event_id || !*event_id || !type || !*type || !message || message_len == 0)
        return xc_err_set (err, XC_E_INTERNAL, "outbox append with a missing field");
    /* Stored as TEXT and served as a JSON string: an embedded NUL would not survive. */
    if (memchr (message, 0, message_len))
        return xc_err_set (err, XC_E_INTERNAL, "event '%.60s' holds a NUL byte", event_id);
    sqlite3 *db = xc_store_db (store);
    if (sqlite3_get_autocommit (db))
        return xc_err_set (err, XC_E_INTERNAL, "outbox append outside a transaction");

    sqlite3_stmt *stmt;
    int rc;
    if (keyed) {
        if (xc_store_stmt (store, "SELECT seq FROM outbox WHERE id = ?1", &stmt, err) != 0)
            return -1;
        sqlite3_bind_text (stmt, 1, event_id, -1, SQLITE_STATIC);
        rc = sqlite3_step (stmt);
        if (rc == SQLITE_ROW)
            *seq_p = sqlite3_column_int64 (stmt, 0);
        else if (rc != SQLITE_DONE)
            xc_store_fail (db, "outbox lookup", err);
        sqlite3_reset (stmt);
        if (rc == SQLITE_ROW) {
            end->known = was_known;          /* nothing appended: the end stays */
            return 0;
        }
        if (rc != SQLITE_DONE)
            return -1;
    }

    int64_t last = end->seq;
    unsigned char hash[32];
    memcpy (hash, end->hash, 32);
    if (!was_known && s_last (store, &last, hash, err) != 0)
        return -1;
    xc_outbox_link (hash, message, message_len, hash);

    if (xc_store_stmt (store,
                       "INSERT INTO outbox (seq, id, type, message, hash, visibility)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       &stmt, err) != 0)
        return -1;
    sqlite3_bind_int64 (stmt, 1, last + 1);
    sqlite3_bind_text (stmt, 2, event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_text64 (stmt, 4, message, message_len, SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_blob (stmt, 5, hash, 32, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, visibility ? visibility : "open", -1, SQLITE_STATIC);
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
        xc_store_fail (db, "outbox append", err);
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return -1;
    *seq_p = last + 1;
    *appended_p = true;
    *end = (xc_outbox_end_t) { .known = true, .seq = last + 1 };
    memcpy (end->hash, hash, 32);
    return 0;
}

int
xc_outbox_head (xc_store_t *store, int64_t *seq_p, xc_err_t *err)
{
    *seq_p = 0;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT max(seq) FROM outbox", &stmt, err) != 0)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *seq_p = sqlite3_column_int64 (stmt, 0);   /* NULL, when empty, reads as 0 */
    else
        xc_store_fail (xc_store_db (store), "outbox head", err);
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}

/*  One row of events.read, or NULL (err filled) when the row is unusable. */
static json_t *
s_event (sqlite3_stmt *stmt, int64_t seq, xc_err_t *err)
{
    const char *id = (const char *) sqlite3_column_text (stmt, 1);
    const char *type = (const char *) sqlite3_column_text (stmt, 2);
    const char *message = (const char *) sqlite3_column_text (stmt, 3);
    int message_len = sqlite3_column_bytes (stmt, 3);
    const void *hash = sqlite3_column_blob (stmt, 4);
    const char *visibility = (const char *) sqlite3_column_text (stmt, 5);
    if (!id || !type || !message || !hash || !visibility || sqlite3_column_bytes (stmt, 4) != 32) {
        xc_err_set (err, XC_E_INTERNAL, "outbox row %lld is corrupt", (long long) seq);
        return NULL;
    }
    char hex[65];
    xc_hex_encode (hash, 32, hex);
    json_t *event = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s%}", "seq", (json_int_t) seq,
                               "id", id, "type", type, "visibility", visibility, "hash", hex,
                               "message", message, (size_t) message_len);
    if (!event)
        xc_err_set (err, XC_E_INTERNAL, "outbox row %lld is not valid utf-8", (long long) seq);
    return event;
}

int
xc_outbox_read (xc_store_t *store, int64_t after, int limit, size_t max_message_bytes,
                json_t **events_p, xc_err_t *err)
{
    *events_p = NULL;
    if (after < 0)
        return xc_err_set (err, XC_E_SCHEMA, "after must not be negative");
    if (limit < 1)
        return xc_err_set (err, XC_E_SCHEMA, "limit must be at least 1");
    if (limit > S_READ_MAX)
        limit = S_READ_MAX;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store,
                       "SELECT seq, id, type, message, hash, visibility FROM outbox"
                       " WHERE seq > ?1 ORDER BY seq LIMIT ?2",
                       &stmt, err) != 0)
        return -1;
    json_t *events = json_array ();
    if (!events)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    sqlite3_bind_int64 (stmt, 1, after);
    sqlite3_bind_int (stmt, 2, limit);
    xc_page_t page;
    if (xc_page_init (&page, max_message_bytes, limit, NULL) != 0) {
        json_decref (events);
        sqlite3_reset (stmt);
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    int rc, added = 1;
    while (added == 1 && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64 (stmt, 0);
        json_t *event = s_event (stmt, seq, err);
        if (!event) {
            xc_page_clear (&page);
            goto fail;
        }
        /* measured with its visibility, which the reader does not get (so a little more than
           it gets, redacted or not); an event goes whole, alone when it must, so that a reader
           never has to skip one */
        added = xc_page_add_whole (&page, event);
        if (added < 0) {
            xc_page_clear (&page);
            xc_err_set (err, XC_E_INTERNAL, "out of memory");
            goto fail;
        }
    }
    json_decref (events);
    events = xc_page_take (&page);
    xc_page_clear (&page);
    if (added == 1 && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        xc_store_fail (xc_store_db (store), "outbox read", err);
        goto fail;
    }
    sqlite3_reset (stmt);
    *events_p = events;
    return 0;
fail:
    sqlite3_reset (stmt);
    json_decref (events);
    return -1;
}

int
xc_outbox_verify (xc_store_t *store, int64_t *bad_seq_p, xc_err_t *err)
{
    *bad_seq_p = 0;
    sqlite3 *db = xc_store_db (store);
    sqlite3_stmt *stmt = NULL;
    /* Not cached: an audit runs rarely. One statement reads one consistent snapshot. */
    if (sqlite3_prepare_v2 (db, "SELECT seq, message, hash FROM outbox ORDER BY seq", -1,
                            &stmt, NULL) != SQLITE_OK)
        return xc_store_fail (db, "outbox verify", err);
    unsigned char prev[32] = { 0 }, hash[32];
    int64_t expected = 1;
    int rc, result = 0;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64 (stmt, 0);
        if (seq != expected) {
            *bad_seq_p = seq;
            result = xc_err_set (err, XC_E_INTERNAL, "gap before seq %lld", (long long) seq);
            break;
        }
        const char *message = (const char *) sqlite3_column_blob (stmt, 1);
        size_t len = (size_t) sqlite3_column_bytes (stmt, 1);
        const void *stored = sqlite3_column_blob (stmt, 2);
        xc_outbox_link (prev, message ? message : "", len, hash);
        if (!stored || sqlite3_column_bytes (stmt, 2) != 32 || memcmp (stored, hash, 32) != 0) {
            *bad_seq_p = seq;
            result = xc_err_set (err, XC_E_INTERNAL, "hash mismatch at seq %lld",
                                 (long long) seq);
            break;
        }
        memcpy (prev, hash, 32);
        expected++;
    }
    if (result == 0 && rc != SQLITE_DONE)
        result = xc_store_fail (db, "outbox verify", err);
    sqlite3_finalize (stmt);
    return result;
}
