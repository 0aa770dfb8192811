/*  System test: a service reading another's events through the common service loop.

    xc-echo follows a real xc-intake (policies.echo.follow); each intake event becomes one
    row in echo's table followed (source, seq) — a primary key, so an event applied twice
    would stop echo's progress rather than pass unseen. Crashes right after a commit of a
    batch, and a source that is down, must leave every event applied exactly once, in order.
*/
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "tests/harness.h"
#include "tests/system/fixture.h"

static fx_t intake, echo;
static xc_client_t *to_intake, *to_echo;

static void
s_register_units (int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char data[128], id[XC_UUID_LEN + 1];
        snprintf (data, sizeof data, "{\"id\":\"T%d\",\"name\":\"镇%d\",\"level\":\"town\"}", i, i);
        xc_msg_t *reply = NULL;
        CHECK (fx_ask (&intake, to_intake, "office", "unit.register", data, id, &reply, NULL) == 0);
        xc_msg_destroy (&reply);
    }
}

static long long
s_intake_head (void)
{
    return fx_sql_int (&intake, "SELECT coalesce (max (seq), 0) FROM outbox");
}

/*  Waits (bounded) until echo has applied want events of intake; returns how many it has. */
static long long
s_followed (long long want, int timeout_ms)
{
    long long have = -1;
    int64_t deadline = xc_clock_mono_ms () + timeout_ms;
    do {
        have = fx_sql_int (&echo, "SELECT count(*) FROM followed WHERE source = 'intake'");
        if (have >= want)
            break;
        usleep (20 * 1000);
    } while (xc_clock_mono_ms () < deadline);
    return have;
}

static void
s_check_exactly_once (void)
{
    long long head = s_intake_head ();
    CHECK_INT (s_followed (head, 10000), head);
    CHECK_INT (fx_sql_int (&echo, "SELECT count(DISTINCT seq) FROM followed"), head);
    CHECK_INT (fx_sql_int (&echo, "SELECT min(seq) FROM followed"), 1);
    CHECK_INT (fx_sql_int (&echo, "SELECT max(seq) FROM followed"), head);
    CHECK_INT (fx_sql_int (&echo, "SELECT seq FROM consumer_offsets WHERE source = 'intake'"), head);
}

static void
test_follows_every_event (void)
{
    s_register_units (1, 30);
    s_check_exactly_once ();
    /* the types are intake's, in intake's order */
    CHECK_INT (fx_sql_int (&echo, "SELECT count(*) FROM followed WHERE type = 'unit.registered'"), 30);
}

/*  Echo is stopped, 450 events pile up, and echo dies right after committing its first batch
    of them (200): the restarted echo goes on from there. */
static void
test_crash_after_a_batch_commit (void)
{
    CHECK_INT (fx_stop (&echo), 0);
    s_register_units (100, 450);
    long long before = fx_sql_int (&echo, "SELECT count(*) FROM followed");
    const char *fault[] = { "--fail-after-commit", "1", NULL };
    CHECK (fx_start (&echo, fault) == 0);
    CHECK_INT (fx_wait (&echo, 10000), 70);
    long long after_crash = fx_sql_int (&echo, "SELECT count(*) FROM followed");
    CHECK_INT (after_crash - before, 200);
    CHECK_INT (fx_sql_int (&echo, "SELECT seq FROM consumer_offsets WHERE source = 'intake'"), after_crash);
    CHECK (fx_start (&echo, NULL) == 0);
    s_check_exactly_once ();
}

/*  Intake goes down; echo waits, backing off; intake comes back on the same address. */
static void
test_source_down_then_back (void)
{
    CHECK_INT (fx_stop (&intake), 0);
    usleep (1500 * 1000);
    CHECK (fx_start (&intake, NULL) == 0);
    xc_client_destroy (&to_intake);
    to_intake = fx_client (&intake, NULL);
    s_register_units (1000, 5);
    s_check_exactly_once ();
}

/*  Restricted intake events reach echo (role service, not a restricted reader) redacted: in
    order, counted, without their content. */
static void
test_redacted_events_are_followed (void)
{
    char id[XC_UUID_LEN + 1];
    xc_msg_t *reply = NULL;
    CHECK (fx_ask (&intake, to_intake, "petition-bureau", "problem.report",
                   "{\"unit\":\"T1\",\"category\":\"governance\",\"summary\":\"s\",\"detail\":\"d\","
                   "\"severity\":\"general\",\"source\":\"petition\"}", id, &reply, NULL) == 0);
    xc_msg_destroy (&reply);
    s_check_exactly_once ();
    CHECK_INT (fx_sql_int (&echo, "SELECT redacted FROM followed WHERE type = 'problem.recorded'"), 1);
    CHECK_INT (fx_sql_int (&echo, "SELECT count(*) FROM followed WHERE redacted = 1"), 1);
}

/*  health tells the consumer's offset and the source's head. */
static void
test_health_shows_the_lag (void)
{
    char id[XC_UUID_LEN + 1];
    xc_msg_t *reply = NULL;
    CHECK (fx_ask (&echo, to_echo, "office", "health", "{}", id, &reply, NULL) == 0);
    if (reply) {
        json_t *source = json_object_get (json_object_get (reply->data, "sources"), "intake");
        CHECK_INT (json_integer_value (json_object_get (source, "offset")), s_intake_head ());
        CHECK_INT (json_integer_value (json_object_get (source, "head")), s_intake_head ());
    }
    xc_msg_destroy (&reply);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (fx_deploy (&intake, "intake", false) != 0
        || fx_deploy_peer (&echo, &intake, "echo", "{\"follow\":[\"intake\"]}") != 0
        || fx_start (&intake, NULL) != 0 || fx_pin_endpoints (&intake) != 0
        || fx_start (&echo, NULL) != 0) {
        fprintf (stderr, "unable to start intake and echo (logs in %s)\n", intake.dir);
        return 1;
    }
    to_intake = fx_client (&intake, NULL);
    to_echo = fx_client (&echo, NULL);
    RUN (test_follows_every_event);
    RUN (test_crash_after_a_batch_commit);
    xc_client_destroy (&to_echo);
    to_echo = fx_client (&echo, NULL);
    RUN (test_source_down_then_back);
    RUN (test_redacted_events_are_followed);
    RUN (test_health_shows_the_lag);
    xc_client_destroy (&to_intake);
    xc_client_destroy (&to_echo);
    fx_destroy (&echo);
    fx_destroy (&intake);
    HARNESS_END ();
}
