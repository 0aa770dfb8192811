/*  accept_bench: how fast services accept signed commands, against this machine's own floor.

    floor         one Ed25519 verify plus one sign on one core: the work a service must do per
                  command (verify the request, sign the reply), measured here in this run: once
                  at the start, and then just before and just after each trial below, whose
                  rate is compared with the mean of those two (the shared machine's speed drifts).
    trials        each figure below is measured TRIALS times in a row (floor, trial, floor,
                  trial, ...); its line is the trial of median ratio, and every trial is printed
                  as a comment: one slow second of the shared machine moves one trial, not the
                  figure.
    echo_accept   signed echo.note commands per second that the real xc-echo verifies,
                  commits (WAL, synchronous=FULL, group commit) and acknowledges with a signed
                  reply, from this process on loopback with up to IN_FLIGHT outstanding.
    intake_accept the same for problem.report to the real xc-intake (the petition bureau
                  reporting; each problem also signs a problem.recorded event).
    Prints "BENCH <name> <value> <unit> floor=<value> ratio=<value>" lines.
*/
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/envelope.h"
#include "tests/system/fixture.h"

enum { IN_FLIGHT = 1000, TRIALS = 3 };
static int COMMANDS = 20000;        /* XC_BENCH_TINY: 200, so that make test keeps it running */
static int FLOOR_MS = 1000;         /* XC_BENCH_TINY: 100 */

static double
s_floor_per_second (void)
{
    xc_key_t key;
    xc_key_generate (&key, "bench#1", NULL);
    unsigned char msg[300], sig[64];
    randombytes_buf (msg, sizeof msg);
    int n = 0;
    int64_t t0 = xc_clock_mono_ms ();
    while (xc_clock_mono_ms () - t0 < FLOOR_MS) {
        for (int i = 0; i < 100; i++, n++) {
            crypto_sign_detached (sig, NULL, msg, sizeof msg, key.sk);
            if (crypto_sign_verify_detached (sig, msg, sizeof msg, key.pk) != 0)
                abort ();
        }
    }
    return n * 1000.0 / (double) (xc_clock_mono_ms () - t0);
}

static int
s_compare_id (const void *a, const void *b)
{
    return strcmp (a, b);
}

/*  Sends COMMANDS signed commands of type (data from data_fmt with the command's number in
    the run) as iss, IN_FLIGHT at a time, and returns acknowledged commands per second (-1 on
    a failure). */
static double
s_accept (fx_t *fx, const char *iss, const char *type, const char *data_fmt)
{
    char (*ids)[XC_UUID_LEN + 1] = calloc ((size_t) COMMANDS, sizeof *ids);
    char **msgs = calloc ((size_t) COMMANDS, sizeof *msgs);
    static int numbered;            /* over all trials: echo refuses a text noted before */
    for (int i = 0; i < COMMANDS; i++) {
        char data[256];
        snprintf (data, sizeof data, data_fmt, numbered++);
        msgs[i] = fx_seal (fx, fx_key (fx, iss), iss, type, data, ids[i]);
    }
    xc_client_t *client = fx_client (fx, NULL);
    xc_verify_t verify = { .registry = fx->registry, .audience = iss, .skew = 300,
                           .max_lifetime = 3600, .max_size = 1 << 20 };
    /* The replies are kept and verified after the clock stops: the load generator shares the
       machine's two cores with the service, and its own verifying is not the service's rate. */
    char **replies = calloc ((size_t) COMMANDS, sizeof *replies);
    size_t *lens = calloc ((size_t) COMMANDS, sizeof *lens);
    int sent = 0, received = 0, acked = 0, failed = 0;
    double service_cpu = fx_cpu_seconds (fx->pid, 0), client_cpu = fx_cpu_seconds (getpid (), 0);
    double loop_cpu = fx_cpu_seconds (fx->pid, fx->pid);
    int64_t t0 = xc_clock_mono_ms ();
    while (received < COMMANDS && xc_clock_mono_ms () - t0 < 120000) {
        while (sent < COMMANDS && sent - received < IN_FLIGHT
               && xc_client_send (client, msgs[sent], strlen (msgs[sent]), NULL) == 0)
            sent++;
        char *bytes;
        size_t len;
        if (sent == received) {
            /* nothing in flight: the connection is not up yet */
            if (xc_client_recv (client, 10, &bytes, &len, NULL) == 0)
                free (bytes);
            continue;
        }
        if (xc_client_recv (client, 5000, &bytes, &len, NULL) != 0)
            break;
        replies[received] = bytes;
        lens[received++] = len;
    }
    double seconds = (double) (xc_clock_mono_ms () - t0) / 1000.0;
    service_cpu = fx_cpu_seconds (fx->pid, 0) - service_cpu;
    client_cpu = fx_cpu_seconds (getpid (), 0) - client_cpu;
    loop_cpu = fx_cpu_seconds (fx->pid, fx->pid) - loop_cpu;
    /* every reply a signed ack from the service, each for another of the commands sent */
    qsort (ids, (size_t) COMMANDS, sizeof *ids, s_compare_id);
    char (*corrs)[XC_UUID_LEN + 1] = calloc ((size_t) COMMANDS, sizeof *corrs);
    for (int i = 0; i < received; i++) {
        verify.now = xc_clock_wall ();
        xc_msg_t *reply = NULL;
        if (xc_envelope_open (replies[i], lens[i], &verify, &reply, NULL) == 0
            && strcmp (reply->type, "ack") == 0
            && bsearch (reply->corr, ids, (size_t) COMMANDS, sizeof *ids, s_compare_id))
            memcpy (corrs[acked++], reply->corr, sizeof *corrs);
        else
            failed++;
        xc_msg_destroy (&reply);
        free (replies[i]);
    }
    qsort (corrs, (size_t) acked, sizeof *corrs, s_compare_id);
    for (int i = 1; i < acked; i++)
        if (strcmp (corrs[i - 1], corrs[i]) == 0)
            failed++;               /* two answers to one command */
    free (corrs);
    free (replies);
    free (lens);
    /* where the two cores went (clock ticks: a rough split, not a figure to compare) */
    printf ("# %s: %d sent, %d acknowledged, %d failed, %.2f s; CPU per command: service %.0f us "
            "(its loop's thread %.0f us), load generator %.0f us; cores busy %.2f of %ld\n", type,
            sent, acked, failed, seconds, service_cpu * 1e6 / COMMANDS, loop_cpu * 1e6 / COMMANDS,
            client_cpu * 1e6 / COMMANDS,
            (service_cpu + client_cpu) / seconds, sysconf (_SC_NPROCESSORS_ONLN));
    xc_client_destroy (&client);
    for (int i = 0; i < COMMANDS; i++)
        free (msgs[i]);
    free (msgs);
    free (ids);
    return acked == COMMANDS && failed == 0 ? acked / seconds : -1;
}

/*  Sets limits.verify_threads in a deployed fixture's config, before it starts. */
static int
s_set_verify_threads (fx_t *fx, int threads)
{
    json_t *config = json_load_file (fx->config, 0, NULL);
    if (!config)
        return -1;
    json_object_set_new (json_object_get (config, "limits"), "verify_threads", json_integer (threads));
    int rc = json_dump_file (config, fx->config, JSON_INDENT (1));
    json_decref (config);
    return rc;
}

/*  Registers the unit U1 that the problems are reported against. */
static int
s_register_unit (fx_t *intake)
{
    xc_client_t *client = fx_client (intake, NULL);
    char id[XC_UUID_LEN + 1];
    char *msg = fx_seal (intake, &intake->office, "office", "unit.register",
                         "{\"id\":\"U1\",\"name\":\"某镇\",\"level\":\"town\"}", id);
    xc_msg_t *reply = NULL;
    int registered = fx_call (intake, client, "office", msg, id, &reply, NULL);
    xc_msg_destroy (&reply);
    free (msg);
    xc_client_destroy (&client);
    return registered;
}

static double
s_intake_rate (fx_t *intake)
{
    return s_accept (intake, "petition-bureau", "problem.report",
                     "{\"unit\":\"U1\",\"category\":\"public_concerns\",\"summary\":\"第%d件\","
                     "\"detail\":\"群众反映的问题\",\"severity\":\"general\",\"source\":\"petition\"}");
}

typedef struct {
    double rate, floor;              /* floor: the mean of the floors just before and after */
} s_trial_t;

static int
s_compare_trial (const void *a, const void *b)
{
    double ra = ((const s_trial_t *) a)->rate / ((const s_trial_t *) a)->floor;
    double rb = ((const s_trial_t *) b)->rate / ((const s_trial_t *) b)->floor;
    return (ra > rb) - (ra < rb);
}

/*  Measures rate_of (fx) TRIALS times, each between two floors, prints each trial and the
    BENCH line of the median one; returns the number of trials that failed. */
static int
s_bench_trials (const char *name, double (*rate_of) (fx_t *), fx_t *fx)
{
    s_trial_t trials[TRIALS];
    int failed = 0;
    double before = s_floor_per_second ();
    for (int i = 0; i < TRIALS; i++) {
        double rate = rate_of (fx);
        double after = s_floor_per_second ();
        trials[i] = (s_trial_t) { rate, (before + after) / 2 };
        printf ("# %s trial %d: %.0f commands/s; floor just before %.0f, just after %.0f ops/s; "
                "ratio %.2f\n", name, i + 1, rate, before, after, rate / trials[i].floor);
        failed += rate <= 0;
        before = after;
    }
    /* a failed trial (-1) sorts first; the run then exits 1 whatever the median shows */
    qsort (trials, TRIALS, sizeof *trials, s_compare_trial);
    const s_trial_t *median = &trials[TRIALS / 2];
    printf ("BENCH %s %.0f commands/s floor=%.0f ratio=%.2f\n", name, median->rate, median->floor,
            median->rate / median->floor);
    return failed;
}

static double
s_echo_rate (fx_t *echo)
{
    return s_accept (echo, "office", "echo.note", "{\"text\":\"bench %d\"}");
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (getenv ("XC_BENCH_TINY")) {
        COMMANDS = 200;
        FLOOR_MS = 100;
    }
    double floor = s_floor_per_second ();
    printf ("BENCH sign_verify_floor %.0f ops/s floor=%.0f ratio=1.00\n", floor, floor);
    fx_t echo, intake;
    if (fx_deploy (&echo, "echo", false) != 0 || fx_start (&echo, NULL) != 0
        || fx_deploy (&intake, "intake", false) != 0 || fx_start (&intake, NULL) != 0) {
        fprintf (stderr, "unable to start the services\n");
        return 1;
    }
    /* The machine is shared: its speed drifts from one second to the next. Each trial is
       compared with the floor measured just before and just after it (their mean). */
    int failed = s_bench_trials ("echo_accept", s_echo_rate, &echo);
    long long notes = fx_sql_int (&echo, "SELECT count(*) FROM notes");
    failed += s_register_unit (&intake) == 0 ? s_bench_trials ("intake_accept", s_intake_rate, &intake)
                                             : TRIALS;
    long long problems = fx_sql_int (&intake, "SELECT count(*) FROM inbox WHERE type = 'problem.report'");
    /* the same with one thread doing everything: what the verifier threads bring, same run */
    fx_t single;
    if (fx_deploy (&single, "intake", false) == 0 && s_set_verify_threads (&single, 1) == 0
        && fx_start (&single, NULL) == 0 && s_register_unit (&single) == 0)
        failed += s_bench_trials ("intake_accept_1thread", s_intake_rate, &single);
    else
        failed++;
    fx_destroy (&single);
    fx_destroy (&echo);
    fx_destroy (&intake);
    return notes == (long long) TRIALS * COMMANDS && problems == (long long) TRIALS * COMMANDS
           && failed == 0 ? 0 : 1;
}
