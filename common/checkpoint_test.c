/*  checkpoint_test.c: the WAL checkpointed by the thread, not by the committing connection;
    every row there after a reopen; the WAL kept bounded. */
#include "common/checkpoint.h"

#include "tests/harness.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char s_dir[64];

static const xc_migration_t s_migrations[] = {
    { "create rows", "CREATE TABLE rows (n INTEGER PRIMARY KEY, body BLOB NOT NULL)" },
};

static long long
s_size (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 ? (long long) st.st_size : -1;
}

/*  n commits of one row each, a 3 KB blob: about one WAL frame per commit, and more. */
static int
s_write (xc_store_t *store, int from, int n)
{
    xc_err_t err;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "INSERT INTO rows (n, body) VALUES (?1, zeroblob (3000))", &stmt, &err) != 0)
        return -1;
    for (int i = from; i < from + n; i++) {
        if (xc_store_begin (store, &err) != 0)
            return -1;
        sqlite3_bind_int (stmt, 1, i);
        int rc = sqlite3_step (stmt);
        sqlite3_reset (stmt);
        if (rc != SQLITE_DONE || xc_store_commit (store, &err) != 0)
            return -1;
    }
    return 0;
}

static void
test_checkpoints_on_the_thread (void)
{
    char path[128], wal[140];
    snprintf (path, sizeof path, "%s/cp.db", s_dir);
    snprintf (wal, sizeof wal, "%s-wal", path);
    xc_store_t *store = NULL;
    xc_err_t err;
    CHECK_INT (xc_store_open (path, s_migrations, 1, &store, &err), 0);
    if (!store)
        return;
    xc_checkpointer_t *cp = NULL;
    CHECK_INT (xc_checkpointer_start (store, path, 50, &cp, &err), 0);
    long long db_before = s_size (path);
    CHECK_INT (s_write (store, 1, 400), 0);
    long runs = 0, complete = 0;
    for (int i = 0; i < 500 && complete == 0; i++) {
        struct timespec nap = { 0, 2000000 };
        nanosleep (&nap, NULL);
        xc_checkpointer_counts (cp, &runs, &complete);
    }
    CHECK (runs > 0);
    CHECK (complete > 0);
    /* the pages went back into the database file, by the thread's checkpoints */
    CHECK (s_size (path) > db_before + 400 * 3000);
    /* the WAL restarts from its start after a complete checkpoint: it stays near the mark
       (50 frames of 4 KiB; eight times that makes the commit checkpoint inline) instead of
       holding every frame of the 800 commits (more than 3.2 MB). The inline checkpoint is
       passive: while the thread's own checkpoint holds SQLite's checkpoint lock it is busy,
       and the next commits try again, so on a loaded machine the WAL was seen a few dozen
       frames past eight times the mark (429 frames of 4120 bytes): allow twelve times. */
    CHECK_INT (s_write (store, 401, 400), 0);
    CHECK (s_size (wal) <= 12 * 50 * 4120 + 32);
    xc_checkpointer_destroy (&cp);
    CHECK (cp == NULL);
    xc_store_close (&store);

    /* every row is there for a fresh connection */
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    long long rows = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (db, "SELECT count(*) FROM rows", -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        rows = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    CHECK_INT (rows, 800);
}

static void
test_bad_arguments (void)
{
    char path[128];
    snprintf (path, sizeof path, "%s/bad.db", s_dir);
    xc_store_t *store = NULL;
    xc_err_t err;
    CHECK_INT (xc_store_open (path, s_migrations, 1, &store, &err), 0);
    xc_checkpointer_t *cp = NULL;
    CHECK_INT (xc_checkpointer_start (store, path, 0, &cp, &err), -1);
    CHECK (cp == NULL);
    xc_checkpointer_destroy (&cp);          /* NULL: nothing to do */
    xc_store_close (&store);
}

int
main (void)
{
    h_tmpdir (s_dir, sizeof s_dir, "checkpoint");
    RUN (test_checkpoints_on_the_thread);
    RUN (test_bad_arguments);
    h_rmtree (s_dir);
    HARNESS_END ();
}
