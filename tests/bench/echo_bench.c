/*  echo_bench: what the common library costs, measured against this machine's own floor.

    floor       one Ed25519 verify plus one sign on one core: the work a service must do per
                command (verify the request, sign the reply), measured here in this run.
    echo_accept signed echo.note commands per second that the real xc-echo verifies, commits
                (WAL, synchronous=FULL, group commit) and acknowledges with a signed reply,
                from this process on loopback with up to IN_FLIGHT commands outstanding.
    Prints "BENCH <name> <value> <unit> floor=<value> ratio=<value>" lines.
*/
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/envelope.h"
#include "tests/system/fixture.h"

enum { COMMANDS = 20000, IN_FLIGHT = 1000 };

static double
s_floor_per_second (void)
{
    xc_key_t key;
    xc_key_generate (&key, "bench#1", NULL);
    unsigned char msg[300], sig[64];
    randombytes_buf (msg, sizeof msg);
    int n = 0;
    int64_t t0 = xc_clock_mono_ms ();
    while (xc_clock_mono_ms () - t0 < 1000) {
        for (int i = 0; i < 100; i++, n++) {
            crypto_sign_detached (sig, NULL, msg, sizeof msg, key.sk);
            if (crypto_sign_verify_detached (sig, msg, sizeof msg, key.pk) != 0)
                abort ();
        }
    }
    return n * 1000.0 / (double) (xc_clock_mono_ms () - t0);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    double floor = s_floor_per_second ();
    fx_t fx;
    if (fx_deploy (&fx, "echo", false) != 0 || fx_start (&fx, NULL) != 0) {
        fprintf (stderr, "unable to start xc-echo\n");
        return 1;
    }
    char (*ids)[XC_UUID_LEN + 1] = calloc (COMMANDS, sizeof *ids);
    char **msgs = calloc (COMMANDS, sizeof *msgs);
    for (int i = 0; i < COMMANDS; i++) {
        char data[64];
        snprintf (data, sizeof data, "{\"text\":\"bench %d\"}", i);
        msgs[i] = fx_seal (&fx, &fx.office, "office", "echo.note", data, ids[i]);
    }
    xc_client_t *client = fx_client (&fx, NULL);
    xc_verify_t verify = { .registry = fx.registry, .audience = "office", .skew = 300,
                           .max_lifetime = 3600, .max_size = 1 << 20 };
    int sent = 0, acked = 0, failed = 0;
    int64_t t0 = xc_clock_mono_ms ();
    while (acked + failed < COMMANDS && xc_clock_mono_ms () - t0 < 120000) {
        while (sent < COMMANDS && sent - acked - failed < IN_FLIGHT
               && xc_client_send (client, msgs[sent], strlen (msgs[sent]), NULL) == 0)
            sent++;
        char *bytes;
        size_t len;
        if (sent == acked + failed) {
            /* nothing in flight: the connection is not up yet */
            if (xc_client_recv (client, 10, &bytes, &len, NULL) == 0)
                free (bytes);
            continue;
        }
        if (xc_client_recv (client, 5000, &bytes, &len, NULL) != 0)
            break;
        verify.now = xc_clock_wall ();
        xc_msg_t *reply = NULL;
        if (xc_envelope_open (bytes, len, &verify, &reply, NULL) == 0 && strcmp (reply->type, "ack") == 0)
            acked++;
        else
            failed++;
        xc_msg_destroy (&reply);
        free (bytes);
    }
    double seconds = (double) (xc_clock_mono_ms () - t0) / 1000.0;
    double rate = acked / seconds;
    long long stored = fx_sql_int (&fx, "SELECT count(*) FROM notes");
    printf ("BENCH sign_verify_floor %.0f ops/s floor=%.0f ratio=1.00\n", floor, floor);
    printf ("BENCH echo_accept %.0f commands/s floor=%.0f ratio=%.2f\n", rate, floor, rate / floor);
    printf ("# %d sent, %d acknowledged, %d failed, %lld stored, %.2f s\n", sent, acked, failed,
            stored, seconds);
    xc_client_destroy (&client);
    for (int i = 0; i < COMMANDS; i++)
        free (msgs[i]);
    free (msgs);
    free (ids);
    fx_destroy (&fx);
    return acked == COMMANDS && stored == COMMANDS ? 0 : 1;
}
