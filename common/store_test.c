/*  store_test.c: pragmas, migrations, transactions and savepoints on real files. */
#include "common/store.h"

#include "common/codec.h"
#include "common/envelope.h"
#include "common/keys.h"
#include "tests/harness.h"

#include <sodium.h>

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_dir[64];

static const char *
s_path (const char *name)
{
    static char path[128];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    return path;
}

/*  One integer from sql on the store's connection; -999 when the query fails. */
static int64_t
s_int (xc_store_t *store, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    int64_t value = -999;
    if (store && sqlite3_prepare_v2 (xc_store_db (store), sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return value;
}

/*  The same through a fresh plain connection, independent of the store's own. */
static int64_t
s_raw_int (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int64_t value = -999;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        value = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    return value;
}

static int
s_raw_exec (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, sql, NULL, NULL, NULL);
    sqlite3_close (db);
    return rc;
}

static const xc_migration_t s_notes[] = {
    { "create notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)" },
    { "seed notes", "INSERT INTO notes (text) VALUES ('seed')" },
    { "seed more", "INSERT INTO notes (text) VALUES ('more')" },
};

static void
test_pragmas (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_path ("pragmas.db"), NULL, 0, &store, &err), 0);
    CHECK (store);
    if (!store)
        return;
    sqlite3_stmt *stmt = NULL;
    const char *mode = NULL;
    if (sqlite3_prepare_v2 (xc_store_db (store), "PRAGMA journal_mode", -1, &stmt, NULL)
            == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        mode = (const char *) sqlite3_column_text (stmt, 0);
    CHECK_STR (mode, "wal");
    sqlite3_finalize (stmt);
    CHECK_INT (s_int (store, "PRAGMA synchronous"), 2);
    CHECK_INT (s_int (store, "PRAGMA foreign_keys"), 1);
    /* The base tables exist and user_version holds the base count in its high half. */
    CHECK_INT (s_int (store, "SELECT count(*) FROM sqlite_master WHERE name IN "
                             "('inbox', 'outbox')"), 2);
    CHECK_INT (s_int (store, "PRAGMA user_version"), XC_STORE_BASE_VERSION << 16);
    xc_store_close (&store);
    CHECK (store == NULL);
    xc_store_close (&store);                 /* a second close is harmless */
}

static void
test_bad_paths (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_dir, NULL, 0, &store, &err), -1);
    CHECK (store == NULL);
    CHECK_INT (err.code, XC_E_IO);
    CHECK (strstr (err.text, "is a directory") != NULL);

    CHECK_INT (xc_store_open ("/nonexistent-xc-dir/x.db", NULL, 0, &store, &err), -1);
    CHECK (strstr (err.text, "not writable") != NULL);

    CHECK_INT (xc_store_open ("", NULL, 0, &store, &err), -1);

    /* A file that is not SQLite. */
    FILE *f = fopen (s_path ("garbage.db"), "w");
    if (f) {
        for (int i = 0; i < 200; i++)
            fputs ("this is not a database file ", f);
        fclose (f);
    }
    CHECK_INT (xc_store_open (s_path ("garbage.db"), NULL, 0, &store, &err), -1);
    CHECK (store == NULL);
    CHECK (strstr (err.text, "not a database") != NULL);

    /* Root writes through any mode bits, so the read-only case is checked as a user only. */
    if (geteuid () != 0) {
        const char *path = s_path ("readonly.db");
        CHECK_INT (xc_store_open (path, NULL, 0, &store, &err), 0);
        xc_store_close (&store);
        chmod (path, 0444);
        CHECK_INT (xc_store_open (path, NULL, 0, &store, &err), -1);
        CHECK (strstr (err.text, "not writable") != NULL);
        chmod (path, 0644);
    }
}

static void
test_migrations_once (void)
{
    const char *path = s_path ("migrate.db");
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (path, s_notes, 2, &store, &err), 0);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes"), 1);
    CHECK_INT (s_int (store, "PRAGMA user_version"), (XC_STORE_BASE_VERSION << 16) | 2);
    xc_store_close (&store);

    CHECK_INT (xc_store_open (path, s_notes, 2, &store, &err), 0);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes"), 1);
    xc_store_close (&store);

    /* A migration added later: only it runs. */
    CHECK_INT (xc_store_open (path, s_notes, 3, &store, &err), 0);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes"), 2);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes WHERE text = 'seed'"), 1);
    CHECK_INT (s_int (store, "PRAGMA user_version"), (XC_STORE_BASE_VERSION << 16) | 3);
    xc_store_close (&store);

    CHECK_INT (xc_store_open (path, s_notes, 3, &store, &err), 0);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes"), 2);
    xc_store_close (&store);
}

static void
test_future_refused (void)
{
    const char *path = s_path ("future.db");
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (path, s_notes, 3, &store, &err), 0);
    xc_store_close (&store);

    /* The service list is ahead of the code. */
    CHECK_INT (xc_store_open (path, s_notes, 2, &store, &err), -1);
    CHECK (store == NULL);
    char want[256];
    snprintf (want, sizeof want, "'%s' has schema version %d.3, newer than this program's %d.2",
              path, XC_STORE_BASE_VERSION, XC_STORE_BASE_VERSION);
    CHECK_STR (err.text, want);

    /* The base part is ahead of the code. */
    int ahead = ((XC_STORE_BASE_VERSION + 1) << 16) | 3;
    char pragma[64];
    snprintf (pragma, sizeof pragma, "PRAGMA user_version = %d", ahead);
    CHECK_INT (s_raw_exec (path, pragma), SQLITE_OK);
    CHECK_INT (xc_store_open (path, s_notes, 3, &store, &err), -1);
    snprintf (want, sizeof want, "schema version %d.3, newer than this program's %d.3",
              XC_STORE_BASE_VERSION + 1, XC_STORE_BASE_VERSION);
    CHECK (strstr (err.text, want) != NULL);
    CHECK_INT (s_raw_int (path, "PRAGMA user_version"), ahead);   /* left untouched */
}

/*  A store made before ids were kept in lower case: its inbox ids are lowered on opening, a
    row whose lower-case twin exists is left as it was. */
static void
test_inbox_ids_lowered (void)
{
    const char *path = s_path ("lower.db");
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (path, s_notes, 3, &store, &err), 0);
    xc_store_close (&store);
    char sql[512];
    snprintf (sql, sizeof sql,
              "INSERT INTO inbox VALUES ('a', '01A24E07-B439-7AF2-9C3D-5E6F708192A3', x'00', 't', 0,"
              " 'm', 'r'), ('a', '02AA0000-0000-7000-8000-000000000000', x'00', 't', 0, 'm', 'r'),"
              " ('a', '02aa0000-0000-7000-8000-000000000000', x'00', 't', 0, 'm', 'r');"
              /* as the file was at base version 5, before the lowering (the 6th base
                 migration) and the waiting table (the 7th) */
              " DROP TABLE consumer_waiting; PRAGMA user_version = %d", (5 << 16) | 3);
    CHECK_INT (s_raw_exec (path, sql), SQLITE_OK);
    CHECK_INT (xc_store_open (path, s_notes, 3, &store, &err), 0);
    xc_store_close (&store);
    CHECK_INT (s_raw_int (path, "PRAGMA user_version"), (XC_STORE_BASE_VERSION << 16) | 3);
    CHECK_INT (s_raw_int (path, "SELECT count(*) FROM inbox WHERE id = "
                                "'01a24e07-b439-7af2-9c3d-5e6f708192a3'"), 1);
    CHECK_INT (s_raw_int (path, "SELECT count(*) FROM inbox WHERE id <> lower(id)"), 1);
    CHECK_INT (s_raw_int (path, "SELECT count(*) FROM inbox"), 3);
}

static void
test_failed_migration (void)
{
    const char *path = s_path ("broken.db");
    const xc_migration_t list[] = {
        { "create notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)" },
        { "half broken", "CREATE TABLE t2 (x); INSERT INTO no_such_table VALUES (1)" },
    };
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (path, list, 2, &store, &err), -1);
    CHECK (store == NULL);
    CHECK (strstr (err.text, "half broken") != NULL);
    CHECK (strstr (err.text, "no such table") != NULL);
    /* The first migration stays; the second left nothing behind, not even its first half. */
    CHECK_INT (s_raw_int (path, "PRAGMA user_version"), (XC_STORE_BASE_VERSION << 16) | 1);
    CHECK_INT (s_raw_int (path, "SELECT count(*) FROM sqlite_master WHERE name = 'notes'"), 1);
    CHECK_INT (s_raw_int (path, "SELECT count(*) FROM sqlite_master WHERE name = 't2'"), 0);
}

static void
test_savepoints (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_path ("savepoint.db"), s_notes, 1, &store, &err), 0);
    if (!store)
        return;
    CHECK_INT (xc_store_savepoint (store, &err), -1);   /* needs a transaction */
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_store_savepoint (store, &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (text) VALUES ('first')", &err), 0);
    CHECK_INT (xc_store_release (store, &err), 0);
    CHECK_INT (xc_store_savepoint (store, &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (text) VALUES ('second')", &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (text) VALUES ('second too')", &err), 0);
    xc_store_rollback_to (store);
    /* A third command after the rolled-back one, in the same transaction. */
    CHECK_INT (xc_store_savepoint (store, &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (text) VALUES ('third')", &err), 0);
    CHECK_INT (xc_store_release (store, &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);
    CHECK (sqlite3_get_autocommit (xc_store_db (store)));   /* no savepoint left open */
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes"), 2);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes WHERE text LIKE 'second%'"), 0);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes WHERE text IN ('first', 'third')"), 2);

    /* A whole transaction rolled back. */
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (text) VALUES ('gone')", &err), 0);
    xc_store_rollback (store);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes"), 2);
    xc_store_close (&store);
}

static void
test_failed_statement (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_path ("failed.db"), s_notes, 1, &store, &err), 0);
    if (!store)
        return;
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (id, text) VALUES (7, 'kept')", &err),
               0);
    err.code = XC_OK;
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (id, text) VALUES (7, 'twice')", &err),
               -1);
    CHECK_INT (err.code, XC_E_INTERNAL);
    CHECK (strstr (err.text, "UNIQUE constraint failed") != NULL);
    CHECK_INT (xc_store_exec (store, "INSERT INTO nowhere VALUES (1)", &err), -1);
    CHECK (strstr (err.text, "no such table: nowhere") != NULL);
    /* The transaction is still open and the first statement's row commits. */
    CHECK (!sqlite3_get_autocommit (xc_store_db (store)));
    CHECK_INT (xc_store_commit (store, &err), 0);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes WHERE id = 7 AND text = 'kept'"), 1);

    /* A commit with no transaction fails and leaves the store usable. */
    CHECK_INT (xc_store_commit (store, &err), -1);
    CHECK (strstr (err.text, "no transaction is active") != NULL);
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);
    xc_store_close (&store);
}

static void
test_busy (void)
{
    const char *path = s_path ("busy.db");
    xc_store_t *a = NULL, *b = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (path, s_notes, 1, &a, &err), 0);
    CHECK_INT (xc_store_open (path, s_notes, 1, &b, &err), 0);
    if (!a || !b) {
        xc_store_close (&a);
        xc_store_close (&b);
        return;
    }
    sqlite3_busy_timeout (xc_store_db (b), 20);   /* keep the test short */
    CHECK_INT (xc_store_begin (a, &err), 0);
    CHECK_INT (xc_store_begin (b, &err), -1);
    CHECK_INT (err.code, XC_E_BUSY);
    CHECK (strstr (err.text, "locked") != NULL);
    xc_store_rollback (a);
    CHECK_INT (xc_store_begin (b, &err), 0);
    CHECK_INT (xc_store_commit (b, &err), 0);
    xc_store_close (&a);
    xc_store_close (&b);
}

static void
test_durable (void)
{
    const char *path = s_path ("durable.db");
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (path, s_notes, 1, &store, &err), 0);
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_store_exec (store, "INSERT INTO notes (text) VALUES ('closed')", &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);
    xc_store_close (&store);

    /* A child commits, opens a second transaction and is killed inside it, without closing:
       a crash right after an ack. */
    int ready[2];
    if (pipe (ready) != 0) {
        CHECK (!"pipe");
        return;
    }
    fflush (NULL);
    pid_t pid = fork ();
    if (pid == 0) {
        close (ready[0]);
        xc_store_t *s = NULL;
        if (xc_store_open (path, s_notes, 1, &s, NULL) != 0 || xc_store_begin (s, NULL) != 0
            || xc_store_exec (s, "INSERT INTO notes (text) VALUES ('crashed')", NULL) != 0
            || xc_store_commit (s, NULL) != 0 || xc_store_begin (s, NULL) != 0
            || xc_store_exec (s, "INSERT INTO notes (text) VALUES ('uncommitted')", NULL) != 0
            || write (ready[1], "r", 1) != 1)
            _exit (1);
        for (;;)
            pause ();                    /* until the parent kills it */
    }
    close (ready[1]);
    char c = 0;
    /* EOF (the child failed and exited) ends the wait as well. */
    CHECK (pid > 0 && read (ready[0], &c, 1) == 1 && c == 'r');
    close (ready[0]);
    if (pid > 0)
        kill (pid, SIGKILL);
    int status = -1;
    CHECK (pid > 0 && waitpid (pid, &status, 0) == pid);
    CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

    CHECK_INT (xc_store_open (path, s_notes, 1, &store, &err), 0);
    if (!store)
        return;
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes WHERE text IN ('closed', 'crashed')"), 2);
    CHECK_INT (s_int (store, "SELECT count(*) FROM notes WHERE text = 'uncommitted'"), 0);
    xc_store_close (&store);
}

static void
test_stmt_cache (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_path ("cache.db"), s_notes, 1, &store, &err), 0);
    if (!store)
        return;
    sqlite3_stmt *s1 = NULL, *s2 = NULL, *s3 = NULL;
    const char *sql = "SELECT count(*) FROM notes WHERE text = ?1";
    CHECK_INT (xc_store_stmt (store, sql, &s1, &err), 0);
    CHECK_INT (sqlite3_bind_text (s1, 1, "x", -1, SQLITE_STATIC), SQLITE_OK);
    CHECK_INT (sqlite3_step (s1), SQLITE_ROW);   /* left mid-step on purpose */
    char copy[64];
    snprintf (copy, sizeof copy, "%s", sql);     /* same text, another pointer */
    CHECK_INT (xc_store_stmt (store, copy, &s2, &err), 0);
    CHECK (s1 == s2);
    CHECK (sqlite3_stmt_busy (s2) == 0);         /* handed back reset */
    CHECK (sqlite3_bind_parameter_count (s2) == 1);
    CHECK_INT (xc_store_stmt (store, "SELECT 1", &s3, &err), 0);
    CHECK (s3 && s3 != s1);
    CHECK_INT (xc_store_stmt (store, "SELECT FROM nothing", &s3, &err), -1);
    CHECK (s3 == NULL);
    CHECK (strstr (err.text, "syntax error") != NULL);
    /* Many distinct statements grow the cache; close finalizes them all (valgrind). They are
       asked for through one buffer: the same address with another text is another statement. */
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 40; i++) {
            char q[32];
            snprintf (q, sizeof q, "SELECT %d", i);
            CHECK_INT (xc_store_stmt (store, q, &s3, &err), 0);
            CHECK (s3 && strcmp (sqlite3_sql (s3), q) == 0);
        }
    xc_store_close (&store);
}

/*  jws_payload(x) on the store's connection: its text, or "<null>" for NULL. Caller frees. */
static char *
s_payload (xc_store_t *store, const char *message)
{
    sqlite3_stmt *stmt = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2 (xc_store_db (store), "SELECT jws_payload (?1)", -1, &stmt, NULL) == SQLITE_OK) {
        if (message)
            sqlite3_bind_text (stmt, 1, message, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) == SQLITE_ROW)
            out = strdup (sqlite3_column_type (stmt, 0) == SQLITE_NULL ? "<null>"
                                                                         : (const char *) sqlite3_column_text (stmt, 0));
    }
    sqlite3_finalize (stmt);
    return out ? out : strdup ("<failed>");
}

/*  A flattened JWS with payload_b64 as its payload (a made-up signature: jws_payload does not
    check it). */
static char *
s_jws (const char *payload_b64)
{
    char *text = malloc (strlen (payload_b64) + 96);
    sprintf (text, "{\"protected\":\"eyJhbGciOiJFZERTQSJ9\",\"payload\":\"%s\",\"signature\":\"c2ln\"}",
             payload_b64);
    return text;
}

static void
test_jws_payload (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_path ("jws.db"), s_notes, 1, &store, &err), 0);
    if (!store)
        return;
    /* a real signed event: its body, as json_extract reads it */
    xc_key_t key;
    CHECK_INT (xc_key_generate (&key, "rectify", &err), 0);
    json_t *data = json_pack ("{s:i, s:s}", "item", 42, "unit", "单位");
    xc_claims_t claims = { .iss = "rectify", .aud = "*", .type = "rectify.opened", .iat = 1700000000 };
    char *message = xc_envelope_seal (&key, &claims, data, NULL, NULL, &err);
    json_decref (data);
    CHECK (message != NULL);
    char *got = s_payload (store, message);
    json_t *body = json_loads (got, 0, NULL);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (body, "data"), "item")), 42);
    CHECK_STR (json_string_value (json_object_get (body, "type")), "rectify.opened");
    json_decref (body);
    free (got);
    sqlite3_stmt *stmt = NULL;
    CHECK_INT (sqlite3_prepare_v2 (xc_store_db (store), "SELECT json_extract (jws_payload (?1), '$.data.unit')", -1,
                                   &stmt, NULL), SQLITE_OK);
    sqlite3_bind_text (stmt, 1, message, -1, SQLITE_STATIC);
    CHECK_INT (sqlite3_step (stmt), SQLITE_ROW);
    CHECK_STR ((const char *) sqlite3_column_text (stmt, 0), "单位");
    sqlite3_finalize (stmt);
    /* the same payload in a JWS with its members in another order and spaces (through jansson) */
    const char *p = strstr (message, "\"payload\":\"") + 11;
    char b64[4096];
    snprintf (b64, sizeof b64, "%.*s", (int) (strchr (p, '"') - p), p);
    char other[8192];
    snprintf (other, sizeof other, "{ \"signature\": \"c2ln\", \"payload\": \"%s\", \"protected\": \"e30\" }", b64);
    got = s_payload (store, other);
    CHECK (strstr (got, "\"item\":42") != NULL);
    free (got);
    free (message);

    /* what is not decodable is NULL, never an error: bad base64url (padding, a character
       outside the alphabet), a payload that is not a JSON object, not a JWS, not text */
    static const char *const bad_b64[] = { "eyJhIjoxfQ==", "eyJhIjo*fQ", "eyJhIjoxfQ.", NULL };
    for (int i = 0; bad_b64[i]; i++) {
        char *jws = s_jws (bad_b64[i]);
        got = s_payload (store, jws);
        CHECK_STR (got, "<null>");
        free (got);
        free (jws);
    }
    static const char *const not_objects[] = { "not json", "[1, 2]", "{\"a\": 1", "\"text\"", "", NULL };
    for (int i = 0; not_objects[i]; i++) {
        char *b = xc_b64url_encode ((const unsigned char *) not_objects[i], strlen (not_objects[i]));
        char *jws = s_jws (b);
        got = s_payload (store, jws);
        CHECK_STR (got, "<null>");
        free (got);
        free (jws);
        free (b);
    }
    char *b = xc_b64url_encode ((const unsigned char *) "{\"a\":1}", 7);
    char *jws = s_jws (b);
    got = s_payload (store, jws);
    CHECK_STR (got, "{\"a\":1}");
    free (got);
    free (jws);
    free (b);
    static const char *const not_jws[] = { "", "{}", "{\"payload\": 7}", "plain text", "{\"payload\":\"eyJhIjoxfQ\"", NULL };
    for (int i = 0; not_jws[i]; i++) {
        got = s_payload (store, not_jws[i]);
        CHECK_STR (got, "<null>");
        free (got);
    }
    got = s_payload (store, NULL);
    CHECK_STR (got, "<null>");
    free (got);
    /* a migration over rows with a bad one skips it and does not fail */
    CHECK_INT (xc_store_exec (store, "CREATE TABLE m (message TEXT); INSERT INTO m VALUES ('garbage'), (NULL), (7)", &err), 0);
    CHECK_INT (s_int (store, "SELECT count (*) FROM m WHERE json_extract (jws_payload (message), '$.a') IS NULL"), 3);
    xc_store_close (&store);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    h_tmpdir (s_dir, sizeof s_dir, "store");
    RUN (test_pragmas);
    RUN (test_bad_paths);
    RUN (test_migrations_once);
    RUN (test_future_refused);
    RUN (test_inbox_ids_lowered);
    RUN (test_failed_migration);
    RUN (test_savepoints);
    RUN (test_failed_statement);
    RUN (test_busy);
    RUN (test_durable);
    RUN (test_stmt_cache);
    RUN (test_jws_payload);
    h_rmtree (s_dir);
    HARNESS_END ();
}
