/*  inbox.c: command dedupe on (iss, id) in the store's inbox table. */
#include "common/inbox.h"

#include <stdlib.h>
#include <string.h>

int
xc_inbox_check (xc_store_t *store, const char *iss, const char *id,
                const unsigned char digest[32], xc_inbox_state_t *state, char **result_p,
                xc_err_t *err)
{
    *result_p = NULL;
    *state = XC_INBOX_NEW;
    if (!iss || !id)
        return xc_err_set (err, XC_E_INTERNAL, "inbox check without iss or id");
    sqlite3 *db = xc_store_db (store);
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT digest, result FROM inbox WHERE iss = ?1 AND id = ?2",
                       &stmt, err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, iss, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE) {
        sqlite3_reset (stmt);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        xc_store_fail (db, "inbox check", err);
        sqlite3_reset (stmt);
        return -1;
    }
    const void *stored = sqlite3_column_blob (stmt, 0);
    int stored_len = sqlite3_column_bytes (stmt, 0);
    /* The digest is of a public body: no need for a constant-time compare. */
    if (stored && stored_len == 32 && memcmp (stored, digest, 32) == 0) {
        const char *result = (const char *) sqlite3_column_text (stmt, 1);
        if (!result) {
            sqlite3_reset (stmt);
            return xc_err_set (err, XC_E_INTERNAL, "inbox result of '%.60s' is missing", id);
        }
        *result_p = strdup (result);
        sqlite3_reset (stmt);
        if (!*result_p)
            return xc_err_set (err, XC_E_INTERNAL, "out of memory");
        *state = XC_INBOX_DUPLICATE;
        return 0;
    }
    sqlite3_reset (stmt);
    *state = XC_INBOX_REPLAYED;
    return 0;
}

int
xc_inbox_record (xc_store_t *store, const char *iss, const char *id,
                 const unsigned char digest[32], const char *type, const char *message,
                 int64_t received_at, const char *result_json, xc_err_t *err)
{
    if (!iss || !id || !type || !message || !result_json)
        return xc_err_set (err, XC_E_INTERNAL, "inbox record with a missing field");
    sqlite3 *db = xc_store_db (store);
    /* The record and the command's effects commit together or not at all. */
    if (sqlite3_get_autocommit (db))
        return xc_err_set (err, XC_E_INTERNAL, "inbox record outside a transaction");
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store,
                       "INSERT INTO inbox (iss, id, digest, type, received_at, message, result)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       &stmt, err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, iss, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob (stmt, 3, digest, 32, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 5, received_at);
    sqlite3_bind_text (stmt, 6, message, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, result_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
        xc_store_fail (db, "inbox record", err);
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return -1;
    if (xc_store_stmt (store, "UPDATE counters SET value = value + 1 WHERE name = 'commands'", &stmt, err) != 0)
        return -1;
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
        xc_store_fail (db, "inbox count", err);
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
xc_inbox_count (xc_store_t *store, int64_t *count, xc_err_t *err)
{
    *count = 0;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT value FROM counters WHERE name = 'commands'", &stmt, err) != 0)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64 (stmt, 0);
    else
        xc_store_fail (xc_store_db (store), "inbox count", err);
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW ? 0 : -1;
}
