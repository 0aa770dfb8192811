/*  store.c: the SQLite file, its pragmas, migrations, transactions and a statement cache. */
#include "common/store.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/codec.h"
#include "common/envelope.h"
#include "common/search.h"

/*  The store's own tables. Append only: a released entry never changes. */
static const xc_migration_t s_base[] = {
    { "create inbox",
      "CREATE TABLE inbox ("
      " iss TEXT NOT NULL,"
      " id TEXT NOT NULL,"
      " digest BLOB NOT NULL,"
      " type TEXT NOT NULL,"
      " received_at INTEGER NOT NULL,"
      " message TEXT NOT NULL,"
      " result TEXT NOT NULL,"
      " PRIMARY KEY (iss, id)"
      ") WITHOUT ROWID" },
    { "create outbox",
      "CREATE TABLE outbox ("
      " seq INTEGER PRIMARY KEY,"
      " id TEXT NOT NULL UNIQUE,"
      " type TEXT NOT NULL,"
      " message TEXT NOT NULL,"
      " hash BLOB NOT NULL"
      ")" },
    { "add outbox visibility",
      "ALTER TABLE outbox ADD COLUMN visibility TEXT NOT NULL DEFAULT 'open'" },
    { "create consumer offsets",
      "CREATE TABLE consumer_offsets (source TEXT PRIMARY KEY, seq INTEGER NOT NULL)"
      " WITHOUT ROWID" },
    /* health's count of commands, kept with each record: counting the inbox grows with it */
    { "create counters",
      "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
      "INSERT INTO counters SELECT 'commands', count(*) FROM inbox" },
    /* ids are read in lower case (envelope.c): a command kept under an upper-case id before
       must still answer its retry. Where the same id was kept in both cases (two commands,
       the defect this fixes), the lower-case row stays and the other can match nothing. */
    { "inbox ids in lower case",
      "UPDATE OR IGNORE inbox SET id = lower(id) WHERE id <> lower(id)" },
    /* a consumer's events that wait for a working-day calendar (waiting.h) */
    { "create consumer waiting",
      "CREATE TABLE consumer_waiting ("
      " source TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,"
      " object TEXT NOT NULL, message TEXT NOT NULL, reason TEXT NOT NULL,"
      " since INTEGER NOT NULL, PRIMARY KEY (source, seq)) WITHOUT ROWID;"
      "CREATE INDEX consumer_waiting_by_object ON consumer_waiting (source, object, seq)" },
};
#define S_BASE_COUNT ((int) (sizeof s_base / sizeof s_base[0]))
_Static_assert (S_BASE_COUNT == XC_STORE_BASE_VERSION, "XC_STORE_BASE_VERSION is the count");
#define S_MAX_SERVICE 0xffff         /* the low 16 bits of user_version */

typedef struct {
    char *sql;                       /* owned copy */
    const char *given;               /* the address it was last asked for by */
    sqlite3_stmt *stmt;
} s_cached_t;

struct xc_store {
    sqlite3 *db;
    s_cached_t *cache;
    size_t cache_len;
    size_t cache_size;
};

int
xc_store_fail (sqlite3 *db, const char *what, xc_err_t *err)
{
    if (!db)
        return xc_err_set (err, XC_E_INTERNAL, "%s: out of memory", what);
    xc_code_t code;
    switch (sqlite3_errcode (db) & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = XC_E_BUSY;
        break;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
        code = XC_E_UNAVAILABLE;
        break;
    default:
        code = XC_E_INTERNAL;
    }
    return xc_err_set (err, code, "%s: %s", what, sqlite3_errmsg (db));
}

sqlite3 *
xc_store_db (xc_store_t *store)
{
    return store->db;
}

int
xc_store_stmt (xc_store_t *store, const char *sql, sqlite3_stmt **stmt_p, xc_err_t *err)
{
    *stmt_p = NULL;
    /* Callers pass string literals, so the address is looked for first (and the text still
       compared: a buffer can be reused for another text); a scan by text alone compared the
       common prefixes of every cached statement. */
    s_cached_t *found = NULL;
    for (size_t i = 0; !found && i < store->cache_len; i++)
        if (store->cache[i].given == sql && strcmp (store->cache[i].sql, sql) == 0)
            found = &store->cache[i];
    for (size_t i = 0; !found && i < store->cache_len; i++)
        if (strcmp (store->cache[i].sql, sql) == 0) {
            found = &store->cache[i];
            found->given = sql;
        }
    if (found) {
        /* Guards against a caller that left it mid-step (an open read snapshot). */
        sqlite3_reset (found->stmt);
        sqlite3_clear_bindings (found->stmt);
        *stmt_p = found->stmt;
        return 0;
    }
    if (store->cache_len == store->cache_size) {
        size_t size = store->cache_size ? store->cache_size * 2 : 16;
        s_cached_t *cache = realloc (store->cache, size * sizeof *cache);
        if (!cache)
            return xc_err_set (err, XC_E_INTERNAL, "out of memory");
        store->cache = cache;
        store->cache_size = size;
    }
    char *copy = strdup (sql);
    if (!copy)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v3 (store->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
            != SQLITE_OK
        || !stmt) {
        free (copy);
        return xc_store_fail (store->db, "prepare", err);
    }
    store->cache[store->cache_len] = (s_cached_t) { .sql = copy, .given = sql, .stmt = stmt };
    store->cache_len++;
    *stmt_p = stmt;
    return 0;
}

/*  Runs a cached statement that returns no rows. */
static int
s_step_cached (xc_store_t *store, const char *sql, xc_err_t *err)
{
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, sql, &stmt, err) != 0)
        return -1;
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        xc_store_fail (store->db, sql, err);
        sqlite3_reset (stmt);
        return -1;
    }
    sqlite3_reset (stmt);
    return 0;
}

static void
s_reset_all (xc_store_t *store)
{
    for (size_t i = 0; i < store->cache_len; i++)
        sqlite3_reset (store->cache[i].stmt);
}

static int
s_exec (sqlite3 *db, const char *sql, xc_err_t *err)
{
    if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        char what[64];
        snprintf (what, sizeof what, "'%.40s'", sql);
        return xc_store_fail (db, what, err);
    }
    return 0;
}

int
xc_store_exec (xc_store_t *store, const char *sql, xc_err_t *err)
{
    return s_exec (store->db, sql, err);
}

int
xc_store_begin (xc_store_t *store, xc_err_t *err)
{
    return s_step_cached (store, "BEGIN IMMEDIATE", err);
}

int
xc_store_commit (xc_store_t *store, xc_err_t *err)
{
    if (s_step_cached (store, "COMMIT", err) == 0)
        return 0;
    /* err already holds the commit's own message; the rollback must not overwrite it. */
    xc_store_rollback (store);
    return -1;
}

void
xc_store_rollback (xc_store_t *store)
{
    s_reset_all (store);
    if (!sqlite3_get_autocommit (store->db))
        s_step_cached (store, "ROLLBACK", NULL);
}

int
xc_store_savepoint (xc_store_t *store, xc_err_t *err)
{
    /* Outside BEGIN a savepoint would open a deferred transaction of its own. */
    if (sqlite3_get_autocommit (store->db))
        return xc_err_set (err, XC_E_INTERNAL, "savepoint outside a transaction");
    return s_step_cached (store, "SAVEPOINT cmd", err);
}

int
xc_store_release (xc_store_t *store, xc_err_t *err)
{
    return s_step_cached (store, "RELEASE cmd", err);
}

void
xc_store_rollback_to (xc_store_t *store)
{
    s_reset_all (store);
    /* ROLLBACK TO keeps the savepoint open; RELEASE pops it so the next command's savepoint
       does not nest inside this one. Both fail harmlessly when SQLite already rolled the
       whole transaction back (I/O error, full disk): commit then reports it. */
    if (s_step_cached (store, "ROLLBACK TO cmd", NULL) == 0)
        s_step_cached (store, "RELEASE cmd", NULL);
}

/*  One integer from a statement such as "PRAGMA synchronous". */
static int
s_query_int (sqlite3 *db, const char *sql, int *value, xc_err_t *err)
{
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
        return xc_store_fail (db, sql, err);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            xc_err_set (err, XC_E_INTERNAL, "%s: no result", sql);
        else
            xc_store_fail (db, sql, err);
        sqlite3_finalize (stmt);
        return -1;
    }
    *value = sqlite3_column_int (stmt, 0);
    sqlite3_finalize (stmt);
    return 0;
}

static int
s_check_path (const char *path, xc_err_t *err)
{
    if (!path || !*path)
        return xc_err_set (err, XC_E_IO, "store path is empty");
    struct stat st;
    if (stat (path, &st) == 0) {
        if (S_ISDIR (st.st_mode))
            return xc_err_set (err, XC_E_IO, "'%s' is a directory", path);
        if (!S_ISREG (st.st_mode))
            return xc_err_set (err, XC_E_IO, "'%s' is not a regular file", path);
        if (access (path, R_OK | W_OK) != 0)
            return xc_err_set (err, XC_E_IO, "'%s' is not writable: %s", path,
                               strerror (errno));
    }
    else if (errno != ENOENT)
        return xc_err_set (err, XC_E_IO, "unable to open '%s': %s", path, strerror (errno));
    /* WAL needs to create path-wal and path-shm next to the file. */
    char dir[PATH_MAX];
    const char *slash = strrchr (path, '/');
    if (!slash)
        snprintf (dir, sizeof dir, ".");
    else if (slash == path)
        snprintf (dir, sizeof dir, "/");
    else
        snprintf (dir, sizeof dir, "%.*s", (int) (slash - path), path);
    if (access (dir, W_OK | X_OK) != 0)
        return xc_err_set (err, XC_E_IO, "directory of '%s' is not writable: %s", path,
                           strerror (errno));
    return 0;
}

static int
s_set_pragmas (sqlite3 *db, const char *path, xc_err_t *err)
{
    char what[PATH_MAX + 64];
    snprintf (what, sizeof what, "unable to set journal_mode on '%s'", path);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK)
        return xc_store_fail (db, what, err);
    int rc = sqlite3_step (stmt);
    const char *mode = rc == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : NULL;
    bool wal = mode && strcasecmp (mode, "wal") == 0;
    if (!wal) {
        if (rc == SQLITE_ROW)
            xc_err_set (err, XC_E_IO, "'%s' refused journal_mode wal (got '%s')", path,
                        mode ? mode : "");
        else
            xc_store_fail (db, what, err);
        sqlite3_finalize (stmt);
        return -1;
    }
    sqlite3_finalize (stmt);

    int value = -1;
    if (s_exec (db, "PRAGMA synchronous=FULL", err) != 0
        || s_query_int (db, "PRAGMA synchronous", &value, err) != 0)
        return -1;
    if (value != 2)
        return xc_err_set (err, XC_E_INTERNAL, "'%s' refused synchronous=FULL", path);
    if (s_exec (db, "PRAGMA foreign_keys=ON", err) != 0
        || s_query_int (db, "PRAGMA foreign_keys", &value, err) != 0)
        return -1;
    if (value != 1)
        return xc_err_set (err, XC_E_INTERNAL, "'%s' refused foreign_keys=ON", path);
    /* A batch's savepoints would otherwise spill into temporary files, and its pages outgrow
       the default 2 MB cache (measured: a third of the kernel time per command). */
    if (s_exec (db, "PRAGMA temp_store=MEMORY", err) != 0
        || s_exec (db, "PRAGMA cache_size=-32768", err) != 0)
        return -1;
    return 0;
}

/*  jws_payload(message): the decoded payload of a flattened JWS as text, when it is base64url
    of a JSON object; NULL for anything else (store.h). Migrations read stored events with it
    (SQLite cannot decode base64url); NULL rather than an error, so that one bad row is skipped
    and does not stop a migration. */
static void
s_jws_payload (sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void) argc;
    if (sqlite3_value_type (argv[0]) != SQLITE_TEXT)
        return;                      /* NULL */
    const char *text = (const char *) sqlite3_value_text (argv[0]);
    size_t len = (size_t) sqlite3_value_bytes (argv[0]);
    const char *b64 = NULL;
    size_t b64_len = 0;
    json_t *outer = NULL;
    /* the exact form the services write, without a JSON parser; any other text through jansson */
    if (!text || !xc_envelope_payload_fast (text, len, &b64, &b64_len)) {
        outer = text ? json_loadb (text, len, 0, NULL) : NULL;
        json_t *payload = json_object_get (outer, "payload");
        b64 = json_string_value (payload);
        b64_len = json_string_length (payload);
    }
    unsigned char *bin = NULL;
    size_t bin_len = 0;
    xc_err_t err = { 0 };
    int rc = b64 ? xc_b64url_decode (b64, b64_len, &bin, &bin_len, &err) : -1;
    json_decref (outer);
    if (rc != 0)
        return;
    json_t *body = json_loadb ((const char *) bin, bin_len, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object (body) && bin_len <= INT_MAX)
        sqlite3_result_text (ctx, (const char *) bin, (int) bin_len, free);
    else
        free (bin);
    json_decref (body);
}

/*  Runs one migration and the user_version update in one BEGIN IMMEDIATE transaction. The
    version is read again under the write lock, so a second process that migrated first is
    not migrated over. */
static int
s_migrate_one (xc_store_t *store, const xc_migration_t *m, int from, int to, xc_err_t *err)
{
    if (xc_store_begin (store, err) != 0)
        return -1;
    int now;
    if (s_query_int (store->db, "PRAGMA user_version", &now, err) != 0)
        goto fail;
    if (now != from) {
        xc_store_rollback (store);
        return 1;                    /* changed under us: the caller starts over */
    }
    char pragma[64];
    snprintf (pragma, sizeof pragma, "PRAGMA user_version = %d", to);
    if (sqlite3_exec (store->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
        char what[160];
        snprintf (what, sizeof what, "migration '%.100s'", m->name ? m->name : "");
        xc_store_fail (store->db, what, err);
        goto fail;
    }
    if (xc_store_exec (store, pragma, err) != 0)
        goto fail;
    return xc_store_commit (store, err);
fail:
    xc_store_rollback (store);
    return -1;
}

static int
s_migrate (xc_store_t *store, const char *path, const xc_migration_t *migrations,
           size_t n_migrations, xc_err_t *err)
{
    if (n_migrations > S_MAX_SERVICE)
        return xc_err_set (err, XC_E_INTERNAL, "too many migrations (%zu)", n_migrations);
    const int n_service = (int) n_migrations;
    for (;;) {
        int version;
        if (s_query_int (store->db, "PRAGMA user_version", &version, err) != 0)
            return -1;
        if (version < 0)
            return xc_err_set (err, XC_E_IO, "'%s' has an invalid schema version %d", path,
                               version);
        int base = version >> 16, service = version & S_MAX_SERVICE;
        if (base > S_BASE_COUNT || service > n_service)
            return xc_err_set (err, XC_E_IO,
                               "'%s' has schema version %d.%d, newer than this program's %d.%d",
                               path, base, service, S_BASE_COUNT, n_service);
        const xc_migration_t *m;
        int to;
        if (base < S_BASE_COUNT) {
            m = &s_base[base];
            to = ((base + 1) << 16) | service;
        }
        else if (service < n_service) {
            m = &migrations[service];
            to = (base << 16) | (service + 1);
        }
        else
            return 0;
        if (!m->sql)
            return xc_err_set (err, XC_E_INTERNAL, "migration %d has no sql", service + 1);
        if (s_migrate_one (store, m, version, to, err) < 0)
            return -1;
    }
}

int
xc_store_open (const char *path, const xc_migration_t *migrations, size_t n_migrations,
               xc_store_t **store_p, xc_err_t *err)
{
    *store_p = NULL;
    if (s_check_path (path, err) != 0)
        return -1;
    xc_store_t *store = calloc (1, sizeof *store);
    if (!store)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2 (path, &store->db, flags, NULL) != SQLITE_OK) {
        char what[PATH_MAX + 32];
        snprintf (what, sizeof what, "unable to open '%s'", path);
        xc_store_fail (store->db, what, err);
        goto fail;
    }
    sqlite3_busy_timeout (store->db, 5000);
    /* before the migrations: a service's migration may read its outbox's events with it */
    if (sqlite3_create_function (store->db, "jws_payload", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                 s_jws_payload, NULL, NULL) != SQLITE_OK) {
        xc_store_fail (store->db, "jws_payload", err);
        goto fail;
    }
    /* a migration may create a search index (search.h) and index the rows already there */
    if (xc_search_register (store->db) != 0) {
        xc_store_fail (store->db, "search tokenizer", err);
        goto fail;
    }
    if (s_set_pragmas (store->db, path, err) != 0
        || s_migrate (store, path, migrations, n_migrations, err) != 0)
        goto fail;
    *store_p = store;
    return 0;
fail:
    xc_store_close (&store);
    return -1;
}

void
xc_store_close (xc_store_t **store_p)
{
    xc_store_t *store = *store_p;
    if (!store)
        return;
    for (size_t i = 0; i < store->cache_len; i++) {
        sqlite3_finalize (store->cache[i].stmt);
        free (store->cache[i].sql);
    }
    free (store->cache);
    /* close_v2 still frees the connection if a service left a statement unfinalized. */
    sqlite3_close_v2 (store->db);
    free (store);
    *store_p = NULL;
}
