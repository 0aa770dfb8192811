/*  outbox_test.c: append, read, the hash chain and its verification on a real store file. */
#include "common/outbox.h"
#include "common/codec.h"
#include "common/page.h"

#include "tests/harness.h"

#include <sodium.h>
#include <stdlib.h>

static char s_dir[64];

static const char *
s_path (const char *name)
{
    static char path[128];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    return path;
}

/*  Event i's message; lengths vary so max_bytes cuts are visible. */
static void
s_message (int i, char *out, size_t size)
{
    snprintf (out, size, "{\"protected\":\"eyJhbGciOiJFZERTQSJ9\",\"payload\":\"ev-%d-%.*s\","
              "\"signature\":\"sig\"}", i, i % 7 * 10,
              "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

/*  Appends events from..to (ids "ev-<i>") in one transaction; returns how many appended. */
static int
s_append_range (xc_store_t *store, int from, int to)
{
    xc_err_t err = { 0 };
    if (xc_store_begin (store, &err) != 0)
        return -1;
    int appended = 0;
    xc_outbox_end_t end = { 0 };         /* carried along, as the service does */
    for (int i = from; i <= to; i++) {
        char id[32], msg[256];
        snprintf (id, sizeof id, "ev-%d", i);
        s_message (i, msg, sizeof msg);
        int64_t seq = 0;
        bool added = false;
        if (xc_outbox_append (store, &end, id, false, "note.created", NULL, msg, strlen (msg), &seq,
                              &added, &err)
                != 0
            || !added || seq != i) {
            xc_store_rollback (store);
            return -1;
        }
        appended++;
    }
    if (xc_store_commit (store, &err) != 0)
        return -1;
    return appended;
}

static xc_store_t *
s_open_with_events (const char *name, int n)
{
    xc_store_t *store = NULL;
    if (xc_store_open (s_path (name), NULL, 0, &store, NULL) != 0)
        return NULL;
    if (n > 0 && s_append_range (store, 1, n) != n)
        xc_store_close (&store);
    return store;
}

static int
s_raw (xc_store_t *store, const char *sql)
{
    return sqlite3_exec (xc_store_db (store), sql, NULL, NULL, NULL);
}

static void
test_append_and_read (void)
{
    xc_store_t *store = s_open_with_events ("read.db", 100);
    CHECK (store);
    if (!store)
        return;
    xc_err_t err = { 0 };
    int64_t head = -1;
    CHECK_INT (xc_outbox_head (store, &head, &err), 0);
    CHECK_INT (head, 100);

    /* All of them, in order, in pages of 30. */
    int64_t after = 0;
    int pages = 0, seen = 0, in_order = 1;
    while (pages < 10) {
        json_t *events = NULL;
        CHECK_INT (xc_outbox_read (store, after, 30, 1 << 20, &events, &err), 0);
        if (!events)
            break;
        size_t n = json_array_size (events);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get (events, i);
            int64_t seq = json_integer_value (json_object_get (e, "seq"));
            char id[32], msg[256];
            snprintf (id, sizeof id, "ev-%lld", (long long) seq);
            s_message ((int) seq, msg, sizeof msg);
            if (seq != after + 1 || strcmp (json_string_value (json_object_get (e, "id")), id)
                || strcmp (json_string_value (json_object_get (e, "type")), "note.created")
                || strcmp (json_string_value (json_object_get (e, "message")), msg)
                || strlen (json_string_value (json_object_get (e, "hash"))) != 64)
                in_order = 0;
            after = seq;
            seen++;
        }
        json_decref (events);
        pages++;
        if (n == 0)
            break;
        CHECK (n <= 30);
    }
    CHECK_INT (seen, 100);
    CHECK_INT (pages, 5);                        /* 30 + 30 + 30 + 10 + an empty page */
    CHECK (in_order);

    /* after in the middle, and a limit of one. */
    json_t *events = NULL;
    CHECK_INT (xc_outbox_read (store, 41, 1, 1 << 20, &events, &err), 0);
    CHECK_INT (json_array_size (events), 1);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (events, 0), "seq")), 42);
    json_decref (events);

    /* A limit above 1000 is clamped, not refused; below 1 and a negative after are refused. */
    CHECK_INT (xc_outbox_read (store, 0, 5000, 1 << 20, &events, &err), 0);
    CHECK_INT (json_array_size (events), 100);
    json_decref (events);
    CHECK_INT (xc_outbox_read (store, 0, 0, 1 << 20, &events, &err), -1);
    CHECK (events == NULL);
    CHECK_INT (err.code, XC_E_SCHEMA);
    CHECK_INT (xc_outbox_read (store, -1, 10, 1 << 20, &events, &err), -1);
    CHECK_INT (xc_outbox_read (store, 100, 10, 1 << 20, &events, &err), 0);
    CHECK_INT (json_array_size (events), 0);
    json_decref (events);
    xc_store_close (&store);
}

/*  The text of events 1..n as a reply holds them: the rows and the commas between them. */
static size_t
s_rows_bytes (xc_store_t *store, int n)
{
    json_t *events = NULL;
    xc_err_t err = { 0 };
    size_t bytes = 0;
    if (xc_outbox_read (store, 0, n, 1 << 24, &events, &err) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        bytes += xc_page_measure (json_array_get (events, (size_t) i)) + (i > 0);
    json_decref (events);
    return bytes;
}

static void
test_max_bytes (void)
{
    xc_store_t *store = s_open_with_events ("bytes.db", 20);
    CHECK (store);
    if (!store)
        return;
    xc_err_t err = { 0 };
    /* For every frame limit in a range, the page holds exactly the events whose text fits the
       budget page.h derives from it: n fit, n + 1 would not. */
    int checked = 0;
    for (size_t max = 4096; max < 8192; max += 61) {
        size_t budget = xc_page_budget (max);
        json_t *events = NULL;
        CHECK_INT (xc_outbox_read (store, 0, 100, max, &events, &err), 0);
        int n = (int) json_array_size (events);
        CHECK (n >= 1 && n < 20);
        CHECK (s_rows_bytes (store, n) <= budget);
        CHECK (s_rows_bytes (store, n + 1) > budget);
        json_decref (events);
        checked++;
    }
    CHECK (checked > 50);
    /* One event larger than a page still comes, alone. */
    json_t *events = NULL;
    CHECK_INT (xc_outbox_read (store, 4, 100, 1, &events, &err), 0);
    CHECK_INT (json_array_size (events), 1);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (events, 0), "seq")), 5);
    json_decref (events);
    CHECK_INT (xc_outbox_read (store, 0, 100, 0, &events, &err), 0);
    CHECK_INT (json_array_size (events), 1);
    json_decref (events);
    xc_store_close (&store);
}

static void
test_chain_independent (void)
{
    xc_store_t *store = s_open_with_events ("chain.db", 100);
    CHECK (store);
    if (!store)
        return;
    xc_err_t err = { 0 };
    json_t *events = NULL;
    CHECK_INT (xc_outbox_read (store, 0, 1000, 1 << 20, &events, &err), 0);
    CHECK_INT (json_array_size (events), 100);
    /* Recomputed with the one-shot API over prev || message, not with xc_outbox_link. */
    unsigned char prev[32] = { 0 }, hash[32];
    int matches = 0;
    for (size_t i = 0; i < json_array_size (events); i++) {
        json_t *e = json_array_get (events, i);
        const char *msg = json_string_value (json_object_get (e, "message"));
        size_t len = strlen (msg);
        unsigned char *buf = malloc (32 + len);
        if (!buf)
            break;
        memcpy (buf, prev, 32);
        memcpy (buf + 32, msg, len);
        crypto_hash_sha256 (hash, buf, 32 + len);
        free (buf);
        char hex[65];
        sodium_bin2hex (hex, sizeof hex, hash, 32);
        if (strcmp (hex, json_string_value (json_object_get (e, "hash"))) == 0)
            matches++;
        memcpy (prev, hash, 32);
    }
    CHECK_INT (matches, 100);
    json_decref (events);

    /* xc_outbox_link agrees with the same formula on a known input. */
    unsigned char zero[32] = { 0 }, a[32], b[32], buf[35] = { 0 };
    memcpy (buf + 32, "abc", 3);
    crypto_hash_sha256 (a, buf, sizeof buf);
    xc_outbox_link (zero, "abc", 3, b);
    CHECK (memcmp (a, b, 32) == 0);

    int64_t bad = -1;
    CHECK_INT (xc_outbox_verify (store, &bad, &err), 0);
    CHECK_INT (bad, 0);
    xc_store_close (&store);
}

static void
test_duplicate_id (void)
{
    xc_store_t *store = s_open_with_events ("dup.db", 3);
    CHECK (store);
    if (!store)
        return;
    xc_err_t err = { 0 };
    int64_t seq = -1;
    bool appended = true;
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "ev-2", true, "note.created", NULL, "other", 5, &seq, &appended,
                                 &err), 0);
    CHECK (!appended);
    CHECK_INT (seq, 2);
    CHECK_INT (xc_outbox_append (store, NULL, "overdue:n1:2026-05-01", true, "note.overdue", NULL, "m4", 2, &seq,
                                 &appended, &err), 0);
    CHECK (appended);
    CHECK_INT (seq, 4);
    CHECK_INT (xc_outbox_append (store, NULL, "overdue:n1:2026-05-01", true, "note.overdue", NULL, "m4", 2, &seq,
                                 &appended, &err), 0);
    CHECK (!appended);
    CHECK_INT (seq, 4);
    CHECK_INT (xc_store_commit (store, &err), 0);
    int64_t head = -1;
    CHECK_INT (xc_outbox_head (store, &head, &err), 0);
    CHECK_INT (head, 4);

    /* With the end carried: a keyed event already there leaves it as it was, so the next link
       is still right (xc_outbox_verify below); an event that is not keyed is not looked for,
       and the table refuses a second of the same id. */
    xc_outbox_end_t end = { 0 };
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, &end, "ev-5", false, "t", NULL, "m5", 2, &seq, &appended,
                                 &err), 0);
    CHECK (appended && seq == 5 && end.known && end.seq == 5);
    CHECK_INT (xc_outbox_append (store, &end, "overdue:n1:2026-05-01", true, "note.overdue", NULL,
                                 "m4", 2, &seq, &appended, &err), 0);
    CHECK (!appended && seq == 4 && end.known && end.seq == 5);
    CHECK_INT (xc_outbox_append (store, &end, "ev-6", false, "t", NULL, "m6", 2, &seq, &appended,
                                 &err), 0);
    CHECK (appended && seq == 6);
    CHECK_INT (xc_outbox_append (store, &end, "ev-6", false, "t", NULL, "m6 again", 8, &seq,
                                 &appended, &err), -1);
    CHECK (!end.known);
    CHECK_INT (xc_store_commit (store, &err), 0);
    CHECK_INT (xc_outbox_head (store, &head, &err), 0);
    CHECK_INT (head, 6);

    /* Outside a transaction, and with an empty message: refused, nothing appended. */
    CHECK_INT (xc_outbox_append (store, NULL, "ev-9", true, "t", NULL, "m", 1, &seq, &appended, &err), -1);
    CHECK (strstr (err.text, "outside a transaction") != NULL);
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "ev-9", true, "t", NULL, "", 0, &seq, &appended, &err), -1);
    CHECK_INT (xc_outbox_append (store, NULL, "ev-9", true, "t", NULL, "a\0b", 3, &seq, &appended, &err), -1);
    xc_store_rollback (store);
    CHECK_INT (xc_outbox_head (store, &head, &err), 0);
    CHECK_INT (head, 6);
    int64_t bad = -1;
    CHECK_INT (xc_outbox_verify (store, &bad, &err), 0);
    xc_store_close (&store);
}

static void
test_verify_tampered (void)
{
    xc_err_t err = { 0 };
    int64_t bad = -1;

    xc_store_t *store = s_open_with_events ("tamper-msg.db", 10);
    CHECK (store);
    if (store) {
        CHECK_INT (xc_outbox_verify (store, &bad, &err), 0);
        CHECK_INT (s_raw (store, "UPDATE outbox SET message = message || ' ' WHERE seq = 6"),
                   SQLITE_OK);
        CHECK_INT (xc_outbox_verify (store, &bad, &err), -1);
        CHECK_INT (bad, 6);
        CHECK_STR (err.text, "hash mismatch at seq 6");
        xc_store_close (&store);
    }

    store = s_open_with_events ("tamper-gap.db", 10);
    CHECK (store);
    if (store) {
        CHECK_INT (s_raw (store, "DELETE FROM outbox WHERE seq = 4"), SQLITE_OK);
        CHECK_INT (xc_outbox_verify (store, &bad, &err), -1);
        CHECK_INT (bad, 5);
        CHECK_STR (err.text, "gap before seq 5");
        xc_store_close (&store);
    }

    store = s_open_with_events ("tamper-first.db", 3);
    CHECK (store);
    if (store) {
        CHECK_INT (s_raw (store, "DELETE FROM outbox WHERE seq = 1"), SQLITE_OK);
        CHECK_INT (xc_outbox_verify (store, &bad, &err), -1);
        CHECK_INT (bad, 2);
        CHECK_STR (err.text, "gap before seq 2");
        xc_store_close (&store);
    }

    store = s_open_with_events ("tamper-hash.db", 10);
    CHECK (store);
    if (store) {
        CHECK_INT (s_raw (store, "UPDATE outbox SET hash = zeroblob (32) WHERE seq = 9"),
                   SQLITE_OK);
        CHECK_INT (xc_outbox_verify (store, &bad, &err), -1);
        CHECK_INT (bad, 9);
        CHECK_STR (err.text, "hash mismatch at seq 9");
        /* A hash of the wrong length, earlier in the chain, is found first. */
        CHECK_INT (s_raw (store, "UPDATE outbox SET hash = x'00' WHERE seq = 3"), SQLITE_OK);
        CHECK_INT (xc_outbox_verify (store, &bad, &err), -1);
        CHECK_INT (bad, 3);
        xc_store_close (&store);
    }

    /* An empty outbox verifies. */
    store = s_open_with_events ("empty.db", 0);
    CHECK (store);
    if (store) {
        CHECK_INT (xc_outbox_verify (store, &bad, &err), 0);
        int64_t head = -1;
        CHECK_INT (xc_outbox_head (store, &head, &err), 0);
        CHECK_INT (head, 0);
        json_t *events = NULL;
        CHECK_INT (xc_outbox_read (store, 0, 10, 100, &events, &err), 0);
        CHECK_INT (json_array_size (events), 0);
        json_decref (events);
        xc_store_close (&store);
    }
}

/*  The visibility class is kept and returned, "open" when none was given, and is outside the
    chain: the hashes match an append without it. */
static void
test_visibility (void)
{
    xc_store_t *store = NULL;
    xc_err_t err;
    CHECK (xc_store_open (s_path ("visibility.db"), NULL, 0, &store, &err) == 0);
    if (!store)
        return;
    int64_t seq;
    bool appended;
    CHECK (xc_store_begin (store, &err) == 0);
    CHECK_INT (xc_outbox_append (store, NULL, "a", true, "t", NULL, "one", 3, &seq, &appended, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "b", true, "t", "restricted", "two", 3, &seq, &appended, &err), 0);
    CHECK (xc_store_commit (store, &err) == 0);
    json_t *events = NULL;
    CHECK (xc_outbox_read (store, 0, 10, 1 << 20, &events, &err) == 0);
    CHECK_INT (json_array_size (events), 2);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 0), "visibility")), "open");
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 1), "visibility")), "restricted");
    unsigned char h1[32], h2[32];
    char hex[65];
    xc_outbox_link ((unsigned char[32]) { 0 }, "one", 3, h1);
    xc_outbox_link (h1, "two", 3, h2);
    xc_hex_encode (h2, 32, hex);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 1), "hash")), hex);
    json_decref (events);
    xc_store_close (&store);
}

static void
test_rollback_keeps_chain (void)
{
    xc_store_t *store = s_open_with_events ("rollback.db", 5);
    CHECK (store);
    if (!store)
        return;
    xc_err_t err = { 0 };
    int64_t seq = -1;
    bool appended = false;

    /* A whole transaction rolled back. */
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "lost-1", true, "t", NULL, "lost one", 8, &seq, &appended, &err), 0);
    CHECK_INT (seq, 6);
    xc_store_rollback (store);
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "kept-1", true, "t", NULL, "kept one", 8, &seq, &appended, &err), 0);
    CHECK_INT (seq, 6);
    CHECK_INT (xc_store_commit (store, &err), 0);

    /* A command's savepoint rolled back inside a group commit. */
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_store_savepoint (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "kept-2", true, "t", NULL, "kept two", 8, &seq, &appended, &err), 0);
    CHECK_INT (xc_store_release (store, &err), 0);
    CHECK_INT (xc_store_savepoint (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "lost-2", true, "t", NULL, "lost two", 8, &seq, &appended, &err), 0);
    CHECK_INT (seq, 8);
    xc_store_rollback_to (store);
    CHECK_INT (xc_store_savepoint (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "kept-3", true, "t", NULL, "kept three", 10, &seq, &appended, &err),
               0);
    CHECK_INT (seq, 8);
    CHECK_INT (xc_store_release (store, &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);

    int64_t bad = -1;
    CHECK_INT (xc_outbox_verify (store, &bad, &err), 0);
    CHECK_INT (bad, 0);
    json_t *events = NULL;
    CHECK_INT (xc_outbox_read (store, 5, 10, 1 << 20, &events, &err), 0);
    CHECK_INT (json_array_size (events), 3);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 2), "id")),
               "kept-3");
    json_decref (events);
    xc_store_close (&store);

    /* The chain continues across a reopen. */
    CHECK_INT (xc_store_open (s_path ("rollback.db"), NULL, 0, &store, &err), 0);
    if (!store)
        return;
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_outbox_append (store, NULL, "after-reopen", true, "t", NULL, "again", 5, &seq, &appended, &err),
               0);
    CHECK_INT (seq, 9);
    CHECK_INT (xc_store_commit (store, &err), 0);
    CHECK_INT (xc_outbox_verify (store, &bad, &err), 0);
    xc_store_close (&store);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    h_tmpdir (s_dir, sizeof s_dir, "outbox");
    RUN (test_append_and_read);
    RUN (test_max_bytes);
    RUN (test_chain_independent);
    RUN (test_duplicate_id);
    RUN (test_verify_tampered);
    RUN (test_rollback_keeps_chain);
    RUN (test_visibility);
    h_rmtree (s_dir);
    HARNESS_END ();
}
