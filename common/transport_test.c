/*  transport_test.c: the server loop, ZAP, the client's resends, signals, over real sockets. */
#include "common/transport.h"

#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include "common/clock.h"
#include "tests/harness.h"

static const char *
s_admit_office (void *arg, const char *z85)
{
    const xc_curve_keypair_t *office = arg;
    return strcmp (z85, office->public_z85) == 0 ? "office" : NULL;
}

static xc_server_t *
s_server_at (const char *api, const xc_curve_keypair_t *curve, void *admit_arg)
{
    xc_server_opts_t opts = { .api = api, .events = "tcp://127.0.0.1:*",
                              .curve = curve, .admit = s_admit_office, .admit_arg = admit_arg,
                              .max_frame = 1 << 20 };
    xc_server_t *server = NULL;
    xc_err_t err;
    if (xc_server_new (&opts, &server, &err) != 0)
        fprintf (stderr, "server: %s\n", err.text);
    return server;
}

static xc_server_t *
s_server (const xc_curve_keypair_t *curve, void *admit_arg)
{
    return s_server_at ("tcp://127.0.0.1:*", curve, admit_arg);
}

/*  Polls until n requests arrived or 3 s passed. */
static int
s_collect (xc_server_t *server, xc_request_t *reqs, int n, int max_per_poll)
{
    int got = 0;
    int64_t deadline = xc_clock_mono_ms () + 3000;
    while (got < n && xc_clock_mono_ms () < deadline) {
        int k = xc_server_poll (server, 100, NULL, 0, NULL, reqs + got, max_per_poll < n - got ? max_per_poll : n - got, NULL);
        if (k < 0)
            break;
        got += k;
    }
    return got;
}

static void
test_request_and_reply (void)
{
    xc_server_t *server = s_server (NULL, NULL);
    CHECK (server != NULL);
    if (!server)
        return;
    CHECK (strncmp (xc_server_api (server), "tcp://127.0.0.1:", 16) == 0);
    CHECK (strcmp (xc_server_api (server), "tcp://127.0.0.1:*") != 0);
    xc_client_t *client = NULL;
    CHECK (xc_client_new (&(xc_client_opts_t) { .endpoint = xc_server_api (server) }, &client, NULL) == 0);
    int sent = -1;
    for (int i = 0; i < 200 && sent != 0; i++) {
        sent = xc_client_send (client, "hello", 5, NULL);
        if (sent != 0)
            usleep (5000);
    }
    CHECK (sent == 0);
    xc_request_t req;
    CHECK_INT (s_collect (server, &req, 1, 1), 1);
    CHECK_INT (req.len, 5);
    CHECK_STR (req.body, "hello");
    CHECK (!req.extra_frames);
    CHECK_STR (req.user, "");
    CHECK (xc_server_reply (server, &req, "world", 5, NULL) == 0);
    char *bytes = NULL;
    size_t len = 0;
    CHECK (xc_client_recv (client, 2000, &bytes, &len, NULL) == 0);
    CHECK_STR (bytes, "world");
    free (bytes);
    xc_request_clear (&req);

    /* nothing more: a receive times out with unavailable, promptly */
    xc_err_t err;
    int64_t t0 = xc_clock_mono_ms ();
    CHECK (xc_client_recv (client, 100, &bytes, &len, &err) != 0);
    CHECK_INT (err.code, XC_E_UNAVAILABLE);
    CHECK (xc_clock_mono_ms () - t0 < 1000);
    xc_client_destroy (&client);
    CHECK (client == NULL);
    xc_server_destroy (&server);
    CHECK (server == NULL);
}

/*  Requests that are ready together come out of one poll, up to max. */
static void
test_batch_and_multi_frame (void)
{
    xc_server_t *server = s_server (NULL, NULL);
    void *ctx = zmq_ctx_new ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect (dealer, xc_server_api (server));
    for (int i = 0; i < 10; i++)
        zmq_send (dealer, "x", 1, 0);
    zmq_send (dealer, "first", 5, ZMQ_SNDMORE);
    zmq_send (dealer, "second", 6, 0);
    usleep (200 * 1000);
    xc_request_t reqs[16];
    int n = xc_server_poll (server, 1000, NULL, 0, NULL, reqs, 4, NULL);
    CHECK_INT (n, 4);
    for (int i = 0; i < n; i++)
        xc_request_clear (&reqs[i]);
    n = xc_server_poll (server, 1000, NULL, 0, NULL, reqs, 16, NULL);
    CHECK_INT (n, 7);
    if (n == 7) {
        CHECK (!reqs[5].extra_frames);
        CHECK (reqs[6].extra_frames);
        CHECK_STR (reqs[6].body, "first");
    }
    for (int i = 0; i < n; i++)
        xc_request_clear (&reqs[i]);
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    xc_server_destroy (&server);
}

static void
test_curve_zap (void)
{
    xc_curve_keypair_t server_kp, office, stranger;
    CHECK (xc_curve_generate (&server_kp, NULL) == 0);
    CHECK (xc_curve_generate (&office, NULL) == 0);
    CHECK (xc_curve_generate (&stranger, NULL) == 0);
    xc_server_t *server = s_server (&server_kp, &office);
    CHECK (server != NULL);
    if (!server)
        return;
    xc_client_t *good = NULL, *bad = NULL, *plain = NULL;
    xc_client_new (&(xc_client_opts_t) { .endpoint = xc_server_api (server), .curve = &office,
                                         .server_key = server_kp.public_z85 }, &good, NULL);
    xc_client_new (&(xc_client_opts_t) { .endpoint = xc_server_api (server), .curve = &stranger,
                                         .server_key = server_kp.public_z85 }, &bad, NULL);
    xc_client_new (&(xc_client_opts_t) { .endpoint = xc_server_api (server) }, &plain, NULL);
    /* The poll loop serves ZAP, so it runs while the clients try to get their frames out. */
    bool good_sent = false;
    int bad_sent = 0, plain_sent = 0;
    xc_request_t reqs[8];
    int got = 0;
    for (int i = 0; i < 60; i++) {
        if (!good_sent)
            good_sent = xc_client_send (good, "from office", 11, NULL) == 0;
        bad_sent += xc_client_send (bad, "from stranger", 13, NULL) == 0;
        plain_sent += xc_client_send (plain, "plain", 5, NULL) == 0;
        int n = xc_server_poll (server, 25, NULL, 0, NULL, reqs + got, 8 - got, NULL);
        got += n > 0 ? n : 0;
        if (got == 8)
            break;
    }
    CHECK (good_sent);
    CHECK_INT (bad_sent, 0);       /* never admitted: IMMEDIATE keeps its frames */
    CHECK_INT (plain_sent, 0);
    CHECK_INT (got, 1);
    if (got >= 1) {
        CHECK_STR (reqs[0].body, "from office");
        CHECK_STR (reqs[0].user, "office");
    }
    for (int i = 0; i < got; i++)
        xc_request_clear (&reqs[i]);
    xc_client_destroy (&good);
    xc_client_destroy (&bad);
    xc_client_destroy (&plain);
    xc_server_destroy (&server);
}

/*  A registry with a service "svc" and a client "office" in dir. */
static xc_registry_t *
s_registry (const char *dir, xc_key_t *svc, xc_key_t *office)
{
    xc_key_generate (svc, "svc#1", NULL);
    xc_key_generate (office, "office#1", NULL);
    json_t *principals = json_array ();
    const char *names[] = { "svc", "office" };
    const xc_key_t *keys[] = { svc, office };
    for (int i = 0; i < 2; i++) {
        json_t *jwk = xc_key_public_jwk (keys[i]);
        json_object_set_new (jwk, "not_before", json_string ("2020-01-01T00:00:00Z"));
        json_object_set_new (jwk, "not_after", json_string ("2099-01-01T00:00:00Z"));
        json_array_append_new (principals, json_pack ("{s:s, s:s, s:[o]}", "iss", names[i],
                                                      "role", names[i], "keys", jwk));
    }
    json_t *doc = json_pack ("{s:o}", "principals", principals);
    char path[300];
    snprintf (path, sizeof path, "%s/principals.json", dir);
    json_dump_file (doc, path, 0);
    json_decref (doc);
    xc_registry_t *reg = NULL;
    xc_registry_load (path, &reg, NULL);
    unlink (path);
    return reg;
}

static char *
s_reply (const xc_key_t *svc, const char *corr, const char *type, const char *data_text)
{
    json_t *data = json_loads (data_text, 0, NULL);
    int64_t now = xc_clock_wall ();
    xc_claims_t claims = { .iss = "svc", .aud = "office", .type = type, .corr = corr,
                           .iat = now, .exp = now + 60 };
    char *bytes = xc_envelope_seal (svc, &claims, data, NULL, NULL, NULL);
    json_decref (data);
    return bytes;
}

/*  The client resends the same bytes after silence and after a transient error, ignores a
    reply to another request, and stops at the ack. A child process plays the server. */
static void
test_client_call_resends_same_bytes (void)
{
    char dir[64];
    h_tmpdir (dir, sizeof dir, "transport");
    xc_key_t svc, office;
    xc_registry_t *reg = s_registry (dir, &svc, &office);
    CHECK (reg != NULL);
    if (!reg) {
        h_rmtree (dir);
        return;
    }
    /* ZeroMQ sockets do not survive fork: each child binds its own server on an ipc path. */
    char api[256];
    snprintf (api, sizeof api, "ipc://%s/api", dir);
    int64_t now = xc_clock_wall ();
    char id[XC_UUID_LEN + 1];
    xc_claims_t claims = { .iss = "office", .aud = "svc", .type = "thing.do", .iat = now, .exp = now + 60 };
    json_t *data = json_object ();
    size_t len;
    char *request = xc_envelope_seal (&office, &claims, data, &len, id, NULL);
    json_decref (data);

    pid_t child = fork ();
    if (child == 0) {
        /* 1st copy: silence; 2nd: a stray reply, then busy; 3rd: the ack. */
        xc_server_t *server = s_server_at (api, NULL, NULL);
        int status = server ? 0 : 1;
        xc_request_t req;
        for (int copy = 1; copy <= 3; copy++) {
            if (s_collect (server, &req, 1, 1) != 1 || req.len != len || memcmp (req.body, request, len) != 0)
                status = 1;
            char *reply = NULL;
            if (copy == 2) {
                reply = s_reply (&svc, "00000000-0000-4000-8000-000000000000", "ack",
                                 "{\"status\":\"accepted\",\"result\":{\"stray\":true}}");
                xc_server_reply (server, &req, reply, strlen (reply), NULL);
                free (reply);
                reply = s_reply (&svc, id, "error", "{\"code\":\"busy\",\"message\":\"locked\"}");
            }
            else if (copy == 3)
                reply = s_reply (&svc, id, "ack", "{\"status\":\"accepted\",\"result\":{\"n\":7}}");
            if (reply)
                xc_server_reply (server, &req, reply, strlen (reply), NULL);
            free (reply);
            xc_request_clear (&req);
        }
        usleep (200 * 1000);
        xc_server_destroy (&server);
        _exit (status);
    }
    xc_client_t *client = NULL;
    xc_client_new (&(xc_client_opts_t) { .endpoint = api }, &client, NULL);
    xc_verify_t verify = { .registry = reg, .audience = "office", .skew = 300,
                           .max_lifetime = 3600, .max_size = 1 << 20 };
    xc_msg_t *reply = NULL;
    xc_err_t err;
    CHECK (xc_client_call (client, request, len, id, &verify, "svc", 10000, &reply, &err) == 0);
    if (reply) {
        CHECK_STR (reply->corr, id);
        CHECK_INT (json_integer_value (json_object_get (json_object_get (reply->data, "result"), "n")), 7);
    }
    int status = -1;
    waitpid (child, &status, 0);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    xc_msg_destroy (&reply);

    /* a permanent error ends the call at once with its code and text */
    child = fork ();
    if (child == 0) {
        xc_server_t *server = s_server_at (api, NULL, NULL);
        xc_request_t req;
        if (server && s_collect (server, &req, 1, 1) == 1) {
            char *r = s_reply (&svc, id, "error", "{\"code\":\"forbidden\",\"message\":\"not yours\"}");
            xc_server_reply (server, &req, r, strlen (r), NULL);
            free (r);
            xc_request_clear (&req);
        }
        usleep (200 * 1000);
        xc_server_destroy (&server);
        _exit (0);
    }
    CHECK (xc_client_call (client, request, len, id, &verify, "svc", 10000, &reply, &err) != 0);
    CHECK_INT (err.code, XC_E_FORBIDDEN);
    CHECK_STR (err.text, "not yours");
    waitpid (child, NULL, 0);

    /* nobody answers: unavailable, within the deadline */
    int64_t t0 = xc_clock_mono_ms ();
    CHECK (xc_client_call (client, request, len, id, &verify, "svc", 600, &reply, &err) != 0);
    CHECK_INT (err.code, XC_E_UNAVAILABLE);
    CHECK (xc_clock_mono_ms () - t0 < 1500);

    free (request);
    xc_client_destroy (&client);
    xc_registry_destroy (&reg);
    h_rmtree (dir);
}

static void
test_sigterm_interrupts_poll (void)
{
    xc_server_t *server = s_server (NULL, NULL);
    xc_signals_install ();
    CHECK (!xc_signals_stopping ());
    pid_t self = getpid ();
    pid_t child = fork ();
    if (child == 0) {
        usleep (100 * 1000);
        kill (self, SIGTERM);
        _exit (0);
    }
    xc_request_t reqs[1];
    int64_t t0 = xc_clock_mono_ms ();
    CHECK_INT (xc_server_poll (server, 5000, NULL, 0, NULL, reqs, 1, NULL), 0);
    CHECK (xc_clock_mono_ms () - t0 < 2000);
    CHECK (xc_signals_stopping ());
    waitpid (child, NULL, 0);
    xc_server_destroy (&server);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    RUN (test_request_and_reply);
    RUN (test_batch_and_multi_frame);
    RUN (test_curve_zap);
    RUN (test_client_call_resends_same_bytes);
    RUN (test_sigterm_interrupts_poll);
    HARNESS_END ();
}
