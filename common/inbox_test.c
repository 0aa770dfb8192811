/*  inbox_test.c: new, duplicate and replayed commands on a real store file. */
#include "common/inbox.h"

#include "tests/harness.h"

#include <stdlib.h>

static char s_dir[64];
static char s_file[128];

static void
s_digest (unsigned char d[32], unsigned char fill)
{
    memset (d, fill, 32);
}

static void
test_new_duplicate_replayed (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_file, NULL, 0, &store, &err), 0);
    if (!store)
        return;
    unsigned char d1[32], d2[32];
    s_digest (d1, 0x11);
    s_digest (d2, 0x11);
    d2[31] = 0x12;                               /* differs in the last byte only */
    xc_inbox_state_t state = XC_INBOX_REPLAYED;
    char *result = (char *) "sentinel";

    CHECK_INT (xc_inbox_check (store, "bureau", "id-1", d1, &state, &result, &err), 0);
    CHECK_INT (state, XC_INBOX_NEW);
    CHECK (result == NULL);

    const char *first = "{\"status\":\"accepted\",\"ref\":\"N-1\"}";
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_inbox_record (store, "bureau", "id-1", d1, "note.create", "{\"jws\":1}",
                                1795000000, first, &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);

    CHECK_INT (xc_inbox_check (store, "bureau", "id-1", d1, &state, &result, &err), 0);
    CHECK_INT (state, XC_INBOX_DUPLICATE);
    CHECK_STR (result, first);
    free (result);

    CHECK_INT (xc_inbox_check (store, "bureau", "id-1", d2, &state, &result, &err), 0);
    CHECK_INT (state, XC_INBOX_REPLAYED);
    CHECK (result == NULL);

    /* Dedupe is per issuer: the same id from another issuer is new. */
    CHECK_INT (xc_inbox_check (store, "registry", "id-1", d1, &state, &result, &err), 0);
    CHECK_INT (state, XC_INBOX_NEW);

    /* The row holds what was given. */
    sqlite3_stmt *stmt = NULL;
    CHECK_INT (sqlite3_prepare_v2 (xc_store_db (store),
                                   "SELECT type, received_at, message FROM inbox"
                                   " WHERE iss = 'bureau' AND id = 'id-1'",
                                   -1, &stmt, NULL), SQLITE_OK);
    CHECK_INT (sqlite3_step (stmt), SQLITE_ROW);
    CHECK_STR ((const char *) sqlite3_column_text (stmt, 0), "note.create");
    CHECK_INT (sqlite3_column_int64 (stmt, 1), 1795000000);
    CHECK_STR ((const char *) sqlite3_column_text (stmt, 2), "{\"jws\":1}");
    sqlite3_finalize (stmt);

    int64_t count = -1;
    CHECK_INT (xc_inbox_count (store, &count, &err), 0);
    CHECK_INT (count, 1);
    xc_store_close (&store);
}

static void
test_record_rules (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_file, NULL, 0, &store, &err), 0);
    if (!store)
        return;
    unsigned char d[32];
    s_digest (d, 0x22);
    /* Outside a transaction the record could commit without the command's effects. */
    CHECK_INT (xc_inbox_record (store, "bureau", "id-2", d, "t", "m", 1, "{}", &err), -1);
    CHECK (strstr (err.text, "outside a transaction") != NULL);

    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_inbox_record (store, "bureau", "id-1", d, "t", "m", 1, "{}", &err), -1);
    CHECK (strstr (err.text, "UNIQUE constraint failed") != NULL);
    CHECK_INT (xc_inbox_record (store, "bureau", "id-2", d, "t", "m", 1, NULL, &err), -1);
    CHECK_INT (xc_inbox_record (store, "bureau", "id-2", d, "t", "m", 1, "{}", &err), 0);
    xc_store_rollback (store);

    /* The rolled-back record is gone: the command is new again. */
    xc_inbox_state_t state;
    char *result = NULL;
    CHECK_INT (xc_inbox_check (store, "bureau", "id-2", d, &state, &result, &err), 0);
    CHECK_INT (state, XC_INBOX_NEW);
    int64_t count = -1;
    CHECK_INT (xc_inbox_count (store, &count, &err), 0);
    CHECK_INT (count, 1);
    xc_store_close (&store);
}

static void
test_many_in_one_commit (void)
{
    xc_store_t *store = NULL;
    xc_err_t err = { 0 };
    CHECK_INT (xc_store_open (s_file, NULL, 0, &store, &err), 0);
    if (!store)
        return;
    unsigned char d[32];
    s_digest (d, 0x33);
    CHECK_INT (xc_store_begin (store, &err), 0);
    int ok = 0;
    for (int i = 0; i < 300; i++) {
        char id[32], result[64];
        snprintf (id, sizeof id, "batch-%d", i);
        snprintf (result, sizeof result, "{\"n\":%d}", i);
        xc_inbox_state_t state;
        char *r = NULL;
        if (xc_store_savepoint (store, &err) == 0
            && xc_inbox_check (store, "bulk", id, d, &state, &r, &err) == 0
            && state == XC_INBOX_NEW
            && xc_inbox_record (store, "bulk", id, d, "t", "m", i, result, &err) == 0
            && xc_store_release (store, &err) == 0)
            ok++;
        free (r);
    }
    CHECK_INT (ok, 300);
    CHECK_INT (xc_store_commit (store, &err), 0);
    xc_store_close (&store);

    /* After reopening: every record is there and answers with its own result. */
    CHECK_INT (xc_store_open (s_file, NULL, 0, &store, &err), 0);
    if (!store)
        return;
    int64_t count = -1;
    CHECK_INT (xc_inbox_count (store, &count, &err), 0);
    CHECK_INT (count, 301);
    xc_inbox_state_t state;
    char *result = NULL;
    CHECK_INT (xc_inbox_check (store, "bulk", "batch-299", d, &state, &result, &err), 0);
    CHECK_INT (state, XC_INBOX_DUPLICATE);
    CHECK_STR (result, "{\"n\":299}");
    free (result);
    xc_store_close (&store);
}

int
main (void)
{
    h_tmpdir (s_dir, sizeof s_dir, "inbox");
    snprintf (s_file, sizeof s_file, "%s/inbox.db", s_dir);
    RUN (test_new_duplicate_replayed);
    RUN (test_record_rules);
    RUN (test_many_in_one_commit);
    h_rmtree (s_dir);
    HARNESS_END ();
}
