/*  System test: common/consumer.c reading a real xc-intake's events over real sockets, with
    its offsets in a real SQLite file, as the referral service will.

    The test process is the consumer (signing as "referral" or "rectify"); what it "does" with
    each event is a row in its own table, written in the same transaction as the offset, so
    a lost, doubled or reordered event shows up as a wrong row.
*/
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/consumer.h"
#include "common/store.h"
#include "tests/harness.h"
#include "tests/system/fixture.h"

static fx_t fx;
static xc_client_t *client;
static char dir[64];

static const xc_migration_t s_applied_schema[] = {
    { "create applied", "CREATE TABLE applied (source TEXT NOT NULL, seq INTEGER NOT NULL,"
                        " type TEXT NOT NULL, redacted INTEGER NOT NULL, PRIMARY KEY (source, seq))" },
};

/*  Sends a command or query as iss; 0 when accepted or answered. */
static int
s_ask (const char *iss, const char *type, const char *data)
{
    char id[XC_UUID_LEN + 1];
    xc_msg_t *reply = NULL;
    xc_err_t err;
    int rc = fx_ask (&fx, client, iss, type, data, id, &reply, &err);
    if (rc != 0)
        fprintf (stderr, "%s as %s: %s\n", type, iss, err.text);
    xc_msg_destroy (&reply);
    return rc;
}

/*  Makes n more events in intake: units registered by the office. */
static void
s_make_events (int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char data[128];
        snprintf (data, sizeof data, "{\"id\":\"U%d\",\"name\":\"单位%d\",\"level\":\"town\"}", i, i);
        CHECK (s_ask ("office", "unit.register", data) == 0);
    }
}

static xc_consumer_t *
s_consumer (const char *as, int pull_ms)
{
    xc_consumer_opts_t opts = { .source = "intake", .api = fx.api, .events = fx.events,
                                .self = as, .key = fx_key (&fx, as), .pull_ms = pull_ms,
                                .timeout_ms = 1000, .batch = 7, .skew = 300,
                                .max_lifetime = 3600, .max_size = 262144 };
    xc_consumer_t *consumer = NULL;
    xc_err_t err;
    if (xc_consumer_new (&opts, &consumer, &err) != 0)
        fprintf (stderr, "consumer: %s\n", err.text);
    return consumer;
}

/*  Applies one batch as a service does: rows and offset in one transaction. commit false
    simulates a crash before the commit. */
static int
s_apply (xc_store_t *store, xc_consumer_t *consumer, xc_event_t *events, int n, bool commit)
{
    xc_err_t err;
    if (xc_store_begin (store, &err) != 0)
        return -1;
    sqlite3_stmt *stmt;
    xc_store_stmt (store, "INSERT INTO applied (source, seq, type, redacted) VALUES ('intake', ?1, ?2, ?3)",
                   &stmt, &err);
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_int64 (stmt, 1, events[i].seq);
        sqlite3_bind_text (stmt, 2, events[i].type, -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 3, events[i].msg == NULL);
        rc = sqlite3_step (stmt) == SQLITE_DONE ? 0 : -1;   /* a second apply breaks the key */
        sqlite3_reset (stmt);
    }
    if (rc == 0)
        rc = xc_offset_save (store, "intake", events[n - 1].seq, &err);
    if (rc != 0 || !commit) {
        xc_store_rollback (store);
        xc_consumer_failed (consumer, commit ? "apply failed" : "simulated crash");
        return -1;
    }
    if (xc_store_commit (store, &err) != 0)
        return -1;
    xc_consumer_applied (consumer, events[n - 1].seq);
    return 0;
}

/*  Runs the consumer like the service loop does, until its offset reaches want or timeout_ms
    passes. Returns the offset reached. */
static int64_t
s_run (xc_store_t *store, xc_consumer_t *consumer, int64_t want, int timeout_ms)
{
    int64_t deadline = xc_clock_mono_ms () + timeout_ms;
    while (xc_consumer_offset (consumer) < want && xc_clock_mono_ms () < deadline) {
        xc_consumer_work (consumer, fx.registry);
        xc_event_t *events;
        int n;
        if (xc_consumer_take (consumer, fx.registry, &events, &n) == 1) {
            s_apply (store, consumer, events, n, true);
            xc_events_free (events, n);
        }
        usleep (2000);
    }
    return xc_consumer_offset (consumer);
}

static xc_store_t *
s_store (const char *name)
{
    char path[128];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    xc_store_t *store = NULL;
    xc_err_t err;
    if (xc_store_open (path, s_applied_schema, 1, &store, &err) != 0)
        fprintf (stderr, "store: %s\n", err.text);
    return store;
}

static long long
s_store_int (xc_store_t *store, const char *sql)
{
    sqlite3_stmt *stmt;
    long long v = -1;
    if (sqlite3_prepare_v2 (xc_store_db (store), sql, -1, &stmt, NULL) == SQLITE_OK
        && sqlite3_step (stmt) == SQLITE_ROW)
        v = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);
    return v;
}

static long long
s_head (void)
{
    return fx_sql_int (&fx, "SELECT max(seq) FROM outbox");
}

/*  Every event once, in order, across batches of 7. */
static void
test_reads_every_event_once_in_order (void)
{
    s_make_events (1, 20);
    xc_store_t *store = s_store ("order.db");
    xc_consumer_t *consumer = s_consumer ("referral", 100);
    CHECK_INT (s_run (store, consumer, s_head (), 5000), s_head ());
    CHECK_INT (s_store_int (store, "SELECT count(*) FROM applied"), s_head ());
    CHECK_INT (s_store_int (store, "SELECT min(seq) FROM applied"), 1);
    CHECK_INT (s_store_int (store, "SELECT max(seq) FROM applied"), s_head ());
    CHECK_INT (s_store_int (store, "SELECT count(*) FROM applied WHERE type != 'unit.registered'"), 0);
    int64_t offset;
    CHECK (xc_offset_load (store, "intake", &offset, NULL) == 0);
    CHECK_INT (offset, s_head ());
    xc_consumer_destroy (&consumer);
    xc_store_close (&store);
}

/*  A crash before the commit loses nothing; one after it doubles nothing. */
static void
test_resumes_after_a_crash_exactly (void)
{
    xc_store_t *store = s_store ("crash.db");
    xc_consumer_t *consumer = s_consumer ("referral", 100);
    /* first batch taken, then the "process" dies before committing it */
    int64_t deadline = xc_clock_mono_ms () + 5000;
    int taken = 0;
    while (!taken && xc_clock_mono_ms () < deadline) {
        xc_consumer_work (consumer, fx.registry);
        xc_event_t *events;
        int n;
        if (xc_consumer_take (consumer, fx.registry, &events, &n) == 1) {
            s_apply (store, consumer, events, n, false);
            xc_events_free (events, n);
            taken = n;
        }
        usleep (2000);
    }
    CHECK (taken > 0);
    xc_consumer_destroy (&consumer);
    CHECK_INT (s_store_int (store, "SELECT count(*) FROM applied"), 0);

    /* a new consumer starts from the stored offset (none): applies everything once */
    consumer = s_consumer ("referral", 100);
    CHECK_INT (s_run (store, consumer, 10, 5000), 14);   /* batches of 7: stops after 14 */
    xc_consumer_destroy (&consumer);

    /* and after that commit, a restart resumes at 14, not before */
    consumer = s_consumer ("referral", 100);
    int64_t offset;
    xc_offset_load (store, "intake", &offset, NULL);
    xc_consumer_set_offset (consumer, offset);
    CHECK_INT (offset, 14);
    CHECK_INT (s_run (store, consumer, s_head (), 5000), s_head ());
    CHECK_INT (s_store_int (store, "SELECT count(*) FROM applied"), s_head ());
    CHECK_INT (s_store_int (store, "SELECT count(DISTINCT seq) FROM applied"), s_head ());
    xc_consumer_destroy (&consumer);
    xc_store_close (&store);
}

/*  With pulls an hour apart, the PUB hint still brings new events within a second or two. */
static void
test_hint_wakes_it (void)
{
    xc_store_t *store = s_store ("hint.db");
    xc_consumer_t *consumer = s_consumer ("referral", 3600 * 1000);
    CHECK_INT (s_run (store, consumer, s_head (), 5000), s_head ());
    usleep (300 * 1000);                 /* let the SUB connection settle */
    s_make_events (100, 3);
    int64_t t0 = xc_clock_mono_ms ();
    CHECK_INT (s_run (store, consumer, s_head (), 5000), s_head ());
    CHECK (xc_clock_mono_ms () - t0 < 2500);
    xc_consumer_destroy (&consumer);
    xc_store_close (&store);
}

/*  A reader not allowed restricted events gets their seq and type, never their message, and
    its offsets stay contiguous. */
static void
test_redacted_events_keep_offsets (void)
{
    CHECK (s_ask ("office", "round.open",
                  "{\"id\":\"R1\",\"name\":\"第一轮\",\"kind\":\"regular\",\"team\":\"team-1\","
                  "\"targets\":[{\"unit\":\"U1\",\"coverage\":\"main\"}],\"planned_start\":\"2026-03-01\","
                  "\"planned_end\":\"2026-04-30\",\"date\":\"2026-02-01\"}") == 0);
    CHECK (s_ask ("petition-bureau", "problem.report",
                  "{\"unit\":\"U1\",\"category\":\"governance\",\"summary\":\"线索\",\"detail\":\"详情\","
                  "\"severity\":\"serious\",\"source\":\"petition\"}") == 0);
    xc_store_t *store = s_store ("redacted.db");
    xc_consumer_t *consumer = s_consumer ("rectify", 100);
    CHECK_INT (s_run (store, consumer, s_head (), 5000), s_head ());
    CHECK_INT (s_store_int (store, "SELECT count(*) FROM applied"), s_head ());
    CHECK_INT (s_store_int (store, "SELECT redacted FROM applied WHERE type = 'problem.recorded'"), 1);
    CHECK_INT (s_store_int (store, "SELECT redacted FROM applied WHERE type = 'round.opened'"), 0);
    xc_consumer_destroy (&consumer);
    xc_store_close (&store);
}

/*  The source stops: pulls fail and back off; it comes back on the same address: reading
    goes on where it was. */
static void
test_source_down_then_back (void)
{
    CHECK (fx_pin_endpoints (&fx) == 0);   /* a restart binds the same ports */

    xc_store_t *store = s_store ("down.db");
    xc_consumer_t *consumer = s_consumer ("referral", 100);
    CHECK_INT (s_run (store, consumer, s_head (), 5000), s_head ());
    int64_t before = s_head ();
    CHECK_INT (fx_stop (&fx), 0);
    /* two seconds of a source that does not answer: no progress, and pulls spaced out */
    int64_t t0 = xc_clock_mono_ms ();
    s_run (store, consumer, before + 1, 2000);
    CHECK_INT (xc_consumer_offset (consumer), before);
    CHECK (xc_consumer_due (consumer) > t0);
    CHECK (fx_start (&fx, NULL) == 0);
    xc_client_destroy (&client);
    client = fx_client (&fx, NULL);
    s_make_events (200, 2);
    CHECK_INT (s_run (store, consumer, s_head (), 35000), s_head ());
    CHECK_INT (s_store_int (store, "SELECT count(*) FROM applied"), s_head ());
    xc_consumer_destroy (&consumer);
    xc_store_close (&store);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    h_tmpdir (dir, sizeof dir, "consumer");
    if (fx_deploy (&fx, "intake", false) != 0 || fx_start (&fx, NULL) != 0) {
        fprintf (stderr, "unable to start build/bin/xc-intake (log in %s)\n", fx.dir);
        return 1;
    }
    client = fx_client (&fx, NULL);
    RUN (test_reads_every_event_once_in_order);
    RUN (test_resumes_after_a_crash_exactly);
    RUN (test_hint_wakes_it);
    RUN (test_redacted_events_keep_offsets);
    RUN (test_source_down_then_back);
    xc_client_destroy (&client);
    fx_destroy (&fx);
    h_rmtree (dir);
    HARNESS_END ();
}
