/*  store.h: a service's own SQLite file.

    Opened with journal_mode=WAL, synchronous=FULL (a commit is on disk before it returns),
    foreign_keys=ON and a busy timeout. The schema is built by migrations, each run once in its
    own transaction:
    - the store's base migrations (the inbox and outbox tables of inbox.h and outbox.h);
    - then the service's own list, given to xc_store_open.
    PRAGMA user_version records both: (base version << 16) | service version. A migration list
    only ever grows at its end; a file whose version is ahead of the code is refused.

    Every connection has the search tokenizer xc_bigram (search.h), and one SQL function of the
    suite's own, registered before the migrations
    run, so that a migration can read the events a service stored (its outbox's `message`):
    - jws_payload(message): the payload of a flattened JWS (docs/protocol.md section 2), decoded
      from base64url, as TEXT, when it is a JSON object; NULL for anything else (not text, not a
      JWS object, bad base64url, a payload that is not a JSON object). The signature is not
      checked: the outbox's hash chain is what vouches for its rows. NULL and not an error, so
      that a migration skips a damaged row, e.g.
        SELECT json_extract (jws_payload (message), '$.data.item') FROM outbox
*/
#ifndef XC_STORE_H
#define XC_STORE_H

#include <sqlite3.h>
#include <stddef.h>

#include "common/error.h"

/*  How many base migrations this program has (inbox, outbox, outbox visibility, consumer
    offsets). */
#define XC_STORE_BASE_VERSION 7

typedef struct {
    const char *name;                /* shown in logs: "create notes" */
    const char *sql;                 /* one or more statements */
} xc_migration_t;

typedef struct xc_store xc_store_t;

/*  Opens (creating if needed) path and brings its schema up to date. Caller owns *store_p. */
int xc_store_open (const char *path, const xc_migration_t *migrations, size_t n_migrations,
                   xc_store_t **store_p, xc_err_t *err);
void xc_store_close (xc_store_t **store_p);

/*  The connection, for the service's own statements. Borrowed. */
sqlite3 *xc_store_db (xc_store_t *store);

/*  BEGIN IMMEDIATE ... COMMIT. A failed commit is rolled back; the caller reports
    XC_E_UNAVAILABLE to every command of the batch. */
int xc_store_begin (xc_store_t *store, xc_err_t *err);
int xc_store_commit (xc_store_t *store, xc_err_t *err);
void xc_store_rollback (xc_store_t *store);

/*  One savepoint per command inside a group commit, so a failing command undoes only its own
    effects. */
int xc_store_savepoint (xc_store_t *store, xc_err_t *err);
int xc_store_release (xc_store_t *store, xc_err_t *err);
void xc_store_rollback_to (xc_store_t *store);

/*  Runs sql (no results expected). For migrations and tests. */
int xc_store_exec (xc_store_t *store, const char *sql, xc_err_t *err);

/*  A prepared statement for sql, kept in the store (keyed by the SQL text) until
    xc_store_close finalizes it: for statements a group commit runs many times (inbox,
    outbox, a service's hot path). Returned reset, with no bindings. Borrowed: do not finalize;
    sqlite3_reset it after the last step, so it holds no read snapshot open. */
int xc_store_stmt (xc_store_t *store, const char *sql, sqlite3_stmt **stmt_p, xc_err_t *err);

/*  Fills err with SQLite's message for a failed call on db (XC_E_BUSY for SQLITE_BUSY and
    SQLITE_LOCKED, XC_E_UNAVAILABLE for I/O and full disk, XC_E_INTERNAL otherwise). Returns -1. */
int xc_store_fail (sqlite3 *db, const char *what, xc_err_t *err);

#endif
