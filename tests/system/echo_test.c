/*  System test: the real xc-echo binary, real sockets, a real SQLite file.

    Proves the common library end to end: accepted commands are durable and answered once,
    retries are deduplicated, hostile messages are refused with their own code and leave no
    trace, events come back in order on a verifiable hash chain, a crash between commit and
    reply loses nothing, SIGTERM stops the service promptly, CURVE admits only known keys.
*/
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/outbox.h"
#include "tests/harness.h"
#include "tests/system/fixture.h"

static fx_t fx;
static xc_client_t *client;

/*  What the database holds, to prove that a refusal stored nothing. */
typedef struct {
    long long inbox, outbox, notes;
} s_counts_t;

static s_counts_t
s_counts (void)
{
    return (s_counts_t) { fx_sql_int (&fx, "SELECT count(*) FROM inbox"),
                          fx_sql_int (&fx, "SELECT count(*) FROM outbox"),
                          fx_sql_int (&fx, "SELECT count(*) FROM notes") };
}

static long long
s_reminded (void)
{
    return fx_sql_int (&fx, "SELECT count(*) FROM outbox WHERE type = 'echo.reminded'");
}

static bool
s_same (s_counts_t a, s_counts_t b)
{
    return a.inbox == b.inbox && a.outbox == b.outbox && a.notes == b.notes && a.inbox >= 0;
}

/*  Sends msg as iss and returns the error code it got (XC_OK for an ack or a result). */
static xc_code_t
s_code_with (xc_client_t *via, const char *iss, const char *msg, const char *id)
{
    xc_code_t code;
    json_decref (fx_send_sealed (&fx, via, iss, msg, id, &code, NULL, 0, NULL));
    return code;
}

static xc_code_t
s_code (const char *iss, const char *msg, const char *id)
{
    return s_code_with (client, iss, msg, id);
}

static char *
s_b64 (const char *text)
{
    return xc_b64url_encode ((const unsigned char *) text, strlen (text));
}

/*  A message built from raw header and body texts, correctly signed by key: only what the
    texts get wrong is wrong. */
static char *
s_forge (const xc_key_t *key, const char *header, const char *body)
{
    char *p = s_b64 (header), *b = s_b64 (body);
    char *sig = xc_jws_sign (key, p, b);
    size_t size = strlen (p) + strlen (b) + strlen (sig) + 64;
    char *msg = malloc (size);
    snprintf (msg, size, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", p, b, sig);
    free (p);
    free (b);
    free (sig);
    return msg;
}

static char *
s_body (const char *id, const char *iss, const char *aud, int64_t iat, int64_t exp,
        const char *type, const char *data)
{
    size_t size = strlen (data) + 512;
    char *out = malloc (size);
    snprintf (out, size,
              "{\"v\":1,\"id\":\"%s\",\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%lld,\"exp\":%lld,"
              "\"type\":\"%s\",\"corr\":null,\"data\":%s}",
              id, iss, aud, (long long) iat, (long long) exp, type, data);
    return out;
}

static void
test_note_accepted_and_read_back (void)
{
    char id[XC_UUID_LEN + 1];
    xc_msg_t *reply = NULL;
    CHECK (fx_ask (&fx, client, "office", "echo.note", "{\"text\":\"第一条 note\"}", id, &reply, NULL) == 0);
    if (reply) {
        CHECK_STR (reply->type, "ack");
        CHECK_STR (reply->corr, id);
        CHECK_STR (json_string_value (json_object_get (reply->data, "status")), "accepted");
        CHECK_INT (json_integer_value (json_object_get (json_object_get (reply->data, "result"), "n")), 1);
    }
    xc_msg_destroy (&reply);

    CHECK (fx_ask (&fx, client, "petition-bureau", "echo.get", "{\"n\":1}", id, &reply, NULL) == 0);
    if (reply) {
        CHECK_STR (reply->type, "result");
        CHECK_STR (json_string_value (json_object_get (reply->data, "text")), "第一条 note");
        CHECK_STR (json_string_value (json_object_get (reply->data, "iss")), "office");
    }
    xc_msg_destroy (&reply);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes"), 1);
}

static void
test_retry_has_one_effect (void)
{
    char id[XC_UUID_LEN + 1];
    char *msg = fx_seal (&fx, &fx.office, "office", "echo.note", "{\"text\":\"retried\"}", id);
    xc_msg_t *first = NULL, *second = NULL;
    xc_err_t err;
    CHECK (fx_call (&fx, client, "office", msg, id, &first, &err) == 0);
    s_counts_t after_first = s_counts ();
    CHECK (fx_call (&fx, client, "office", msg, id, &second, &err) == 0);
    if (first && second) {
        CHECK_STR (json_string_value (json_object_get (second->data, "status")), "duplicate");
        CHECK (json_equal (json_object_get (first->data, "result"),
                           json_object_get (second->data, "result")));
    }
    CHECK (s_same (after_first, s_counts ()));
    xc_msg_destroy (&first);
    xc_msg_destroy (&second);
    free (msg);

    /* A retry signed again later (new iat and exp, same id, same command) is the same command. */
    int64_t now = xc_clock_wall ();
    char *body = s_body (id, "office", "echo", now + 1, now + 60, "echo.note", "{\"text\":\"retried\"}");
    char hdr[256];
    snprintf (hdr, sizeof hdr, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"xc+jws\"}", fx.office.kid);
    msg = s_forge (&fx.office, hdr, body);
    CHECK_INT (s_code ("office", msg, id), XC_OK);
    CHECK (s_same (after_first, s_counts ()));
    free (msg);
    free (body);

    /* The same id with another body is refused and changes nothing. */
    body = s_body (id, "office", "echo", now, now + 60, "echo.note", "{\"text\":\"other\"}");
    msg = s_forge (&fx.office, hdr, body);
    CHECK_INT (s_code ("office", msg, id), XC_E_REPLAYED);
    CHECK (s_same (after_first, s_counts ()));
    free (msg);
    free (body);
}

static void
test_hostile_messages_refused_and_nothing_stored (void)
{
    s_counts_t before = s_counts ();
    int64_t now = xc_clock_wall ();
    char id[XC_UUID_LEN + 1], hdr[256], other_hdr[256], retired_hdr[256];
    snprintf (hdr, sizeof hdr, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"xc+jws\"}", fx.office.kid);
    snprintf (other_hdr, sizeof other_hdr, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"xc+jws\"}", fx.petition.kid);
    snprintf (retired_hdr, sizeof retired_hdr, "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"xc+jws\"}", fx.retired.kid);
    const char *note = "{\"text\":\"hostile\"}";
    struct {
        const char *what;
        const xc_key_t *key;
        const char *header;
        char *body;
        xc_code_t want;
    } cases[] = {
        { "alg none", &fx.office, "{\"alg\":\"none\",\"kid\":\"office#1\",\"typ\":\"xc+jws\"}", NULL, XC_E_BAD_ALG },
        { "alg HS256", &fx.office, "{\"alg\":\"HS256\",\"kid\":\"office#1\",\"typ\":\"xc+jws\"}", NULL, XC_E_BAD_ALG },
        { "typ", &fx.office, "{\"alg\":\"EdDSA\",\"kid\":\"office#1\",\"typ\":\"JWT\"}", NULL, XC_E_BAD_TYP },
        { "unknown kid", &fx.office, "{\"alg\":\"EdDSA\",\"kid\":\"nobody#1\",\"typ\":\"xc+jws\"}", NULL, XC_E_UNKNOWN_KID },
        { "kid of another issuer", &fx.petition, other_hdr, NULL, XC_E_KID_ISSUER },
        { "key outside its dates", &fx.retired, retired_hdr, NULL, XC_E_KEY_NOT_VALID },
        { "wrong aud", &fx.office, hdr, s_body ("", "office", "intake", now, now + 60, "echo.note", note), XC_E_WRONG_AUDIENCE },
        { "expired", &fx.office, hdr, s_body ("", "office", "echo", now - 400, now - 100, "echo.note", note), XC_E_EXPIRED },
        { "iat ahead", &fx.office, hdr, s_body ("", "office", "echo", now + 1000, now + 1100, "echo.note", note), XC_E_IAT_SKEW },
        { "iat behind", &fx.office, hdr, s_body ("", "office", "echo", now - 1000, now + 100, "echo.note", note), XC_E_IAT_SKEW },
        { "unknown type", &fx.office, hdr, s_body ("", "office", "echo", now, now + 60, "echo.delete", note), XC_E_UNKNOWN_TYPE },
        { "role may not", &fx.audit, "{\"alg\":\"EdDSA\",\"kid\":\"audit-bureau#1\",\"typ\":\"xc+jws\"}",
          s_body ("", "audit-bureau", "echo", now, now + 60, "echo.note", note), XC_E_FORBIDDEN },
        { "schema", &fx.office, hdr, s_body ("", "office", "echo", now, now + 60, "echo.note", "{\"text\":7}"), XC_E_SCHEMA },
        { "unknown field", &fx.office, hdr, s_body ("", "office", "echo", now, now + 60, "echo.note", "{\"text\":\"a\",\"x\":1}"), XC_E_SCHEMA },
        { "duplicate key", &fx.office, hdr, s_body ("", "office", "echo", now, now + 60, "echo.note", "{\"text\":\"a\",\"text\":\"b\"}"), XC_E_DUPLICATE_KEY },
        { "clock.set without a time", &fx.office, hdr, s_body ("", "office", "echo", now, now + 60, "clock.set", "{\"clock\":\"tomorrow, please!!!!\"}"), XC_E_SCHEMA },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        h_current = cases[i].what;
        xc_uuid_new_ordered (id);
        char *body = cases[i].body;
        char *iss = "office";
        if (!body) {
            const char *signer = cases[i].key == &fx.retired ? "retired" : "office";
            body = s_body (id, signer, "echo", now, now + 60, "echo.note", note);
            iss = (char *) signer;
        }
        else {
            /* put the fresh id into the prepared body */
            char *slot = strstr (body, "\"id\":\"\"");
            char *fixed = malloc (strlen (body) + XC_UUID_LEN + 1);
            size_t head = (size_t) (slot - body) + 6;
            memcpy (fixed, body, head);
            strcpy (fixed + head, id);
            strcat (fixed, body + head);
            free (body);
            body = fixed;
            if (cases[i].key == &fx.audit)
                iss = "audit-bureau";
        }
        char *msg = s_forge (cases[i].key, cases[i].header, body);
        CHECK_STR (xc_code_name (s_code (iss, msg, id)), xc_code_name (cases[i].want));
        free (msg);
        free (body);
    }
    h_current = "test_hostile_messages_refused_and_nothing_stored";

    /* Each part of a good message tampered. */
    char *good = fx_seal (&fx, &fx.office, "office", "echo.note", note, id);
    json_t *jws = json_loads (good, 0, NULL);
    const char *parts[] = { "protected", "payload", "signature" };
    for (int i = 0; i < 3; i++) {
        json_t *copy = json_deep_copy (jws);
        char *value = strdup (json_string_value (json_object_get (copy, parts[i])));
        if (i == 0) {
            free (value);
            value = s_b64 ("{\"alg\":\"EdDSA\",\"kid\":\"office#1\",\"typ\":\"xc+jws\"} ");
        }
        else if (i == 1) {
            unsigned char *bin;
            size_t len;
            xc_b64url_decode (value, strlen (value), &bin, &len, NULL);
            char *hostile = strstr ((char *) bin, "hostile");
            if (hostile)
                hostile[0] = 'H';
            free (value);
            value = xc_b64url_encode (bin, len);
            free (bin);
        }
        else
            value[10] = value[10] == 'A' ? 'B' : 'A';
        json_object_set_new (copy, parts[i], json_string (value));
        char *msg = json_dumps (copy, JSON_COMPACT);
        CHECK_STR (xc_code_name (s_code ("office", msg, id)), "bad_signature");
        free (msg);
        free (value);
        json_decref (copy);
    }
    json_decref (jws);
    free (good);

    /* Oversized: a valid signature over a body above the frame limit. */
    size_t big = 300 * 1024;
    char *text = malloc (big + 32);
    snprintf (text, 32, "{\"text\":\"");
    memset (text + 9, 'x', big);
    strcpy (text + 9 + big, "\"}");
    xc_uuid_new_ordered (id);
    char *body = s_body (id, "office", "echo", now, now + 60, "echo.note", text);
    char *msg = s_forge (&fx.office, hdr, body);
    CHECK_STR (xc_code_name (s_code ("office", msg, id)), "too_large");
    free (msg);
    free (body);
    free (text);

    /* Not JSON at all. */
    CHECK_STR (xc_code_name (s_code ("office", "{\"protected\":", "00000000-0000-4000-8000-000000000000")),
               "unavailable");   /* no id to answer to: the client hears nothing and gives up */

    CHECK (s_same (before, s_counts ()));
}

static void
test_multi_frame_refused (void)
{
    char id[XC_UUID_LEN + 1];
    char *msg = fx_seal (&fx, &fx.office, "office", "echo.note", "{\"text\":\"two frames\"}", id);
    void *ctx = zmq_ctx_new ();
    void *dealer = zmq_socket (ctx, ZMQ_DEALER);
    int linger = 0, timeout = 2000;
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_connect (dealer, fx.api);
    zmq_send (dealer, msg, strlen (msg), ZMQ_SNDMORE);
    zmq_send (dealer, "extra", 5, 0);
    char buf[8192];
    int n = zmq_recv (dealer, buf, sizeof buf - 1, 0);
    CHECK (n > 0);
    if (n > 0) {
        xc_verify_t v = { .registry = fx.registry, .audience = "office", .now = xc_clock_wall (),
                          .skew = 300, .max_lifetime = 3600, .max_size = sizeof buf };
        xc_msg_t *reply = NULL;
        CHECK (xc_envelope_open (buf, (size_t) n, &v, &reply, NULL) == 0);
        if (reply) {
            CHECK_STR (reply->type, "error");
            CHECK_STR (reply->corr, id);
            CHECK_STR (json_string_value (json_object_get (reply->data, "code")), "malformed");
        }
        xc_msg_destroy (&reply);
    }
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes WHERE text = 'two frames'"), 0);
    zmq_close (dealer);
    zmq_ctx_term (ctx);
    free (msg);
}

static void
test_conflict_rolls_back_its_event (void)
{
    s_counts_t before = s_counts ();
    char id[XC_UUID_LEN + 1];
    char *msg = fx_seal (&fx, &fx.office, "office", "echo.note", "{\"text\":\"第一条 note\"}", id);
    CHECK_STR (xc_code_name (s_code ("office", msg, id)), "conflict");
    CHECK (s_same (before, s_counts ()));
    free (msg);
}

/*  Sends every message of msgs at once on via (a send may wait for room) and collects the
    replies, each opened as a reply to aud: codes[i] is the i-th message's code (XC_OK for an
    ack), -1 when unanswered within 5 s of the last reply. */
static void
s_burst (xc_client_t *via, const char *aud, char **msgs, char (*ids)[XC_UUID_LEN + 1], int n,
         int *codes)
{
    for (int i = 0; i < n; i++) {
        codes[i] = -1;
        /* a full send queue waits for the service to take some (bounded: 5 s a message) */
        int sent = xc_client_send (via, msgs[i], strlen (msgs[i]), NULL);
        for (int naps = 0; naps < 5000 && sent != 0; naps++) {
            struct timespec nap = { 0, 1000000 };
            nanosleep (&nap, NULL);
            sent = xc_client_send (via, msgs[i], strlen (msgs[i]), NULL);
        }
        CHECK (sent == 0);
    }
    xc_verify_t v = { .registry = fx.registry, .audience = aud, .skew = 300,
                      .max_lifetime = 3600, .max_size = 1 << 20 };
    for (int answered = 0; answered < n;) {
        char *bytes;
        size_t len;
        if (xc_client_recv (via, 5000, &bytes, &len, NULL) != 0)
            break;
        v.now = xc_clock_wall ();
        xc_msg_t *reply = NULL;
        if (xc_envelope_open (bytes, len, &v, &reply, NULL) == 0)
            for (int i = 0; i < n; i++)
                if (codes[i] == -1 && strcmp (ids[i], reply->corr) == 0) {
                    xc_code_t code = XC_OK;
                    if (strcmp (reply->type, "error") == 0)
                        code = xc_code_from_name (json_string_value (json_object_get (reply->data, "code")));
                    codes[i] = (int) code;
                    answered++;
                }
        xc_msg_destroy (&reply);
        free (bytes);
    }
}

/*  n notes "<prefix> <i>" from the petition bureau in one burst (s_burst); returns how many
    were acknowledged. */
static int
s_note_burst (const char *prefix, int n)
{
    char **msgs = calloc ((size_t) n, sizeof *msgs);
    char (*ids)[XC_UUID_LEN + 1] = calloc ((size_t) n, sizeof *ids);
    int *codes = calloc ((size_t) n, sizeof *codes);
    for (int i = 0; i < n; i++) {
        char data[96];
        snprintf (data, sizeof data, "{\"text\":\"%s %d\"}", prefix, i);
        msgs[i] = fx_seal (&fx, &fx.petition, "petition-bureau", "echo.note", data, ids[i]);
    }
    s_burst (client, "petition-bureau", msgs, ids, n, codes);
    int accepted = 0;
    for (int i = 0; i < n; i++) {
        accepted += codes[i] == (int) XC_OK;
        free (msgs[i]);
    }
    free (msgs);
    free (ids);
    free (codes);
    return accepted;
}

/*  Many commands in flight at once share commits; each still gets its own reply. */
static void
test_pipelined_commands_each_answered (void)
{
    enum { N = 200 };
    long long notes_before = fx_sql_int (&fx, "SELECT count(*) FROM notes");
    CHECK_INT (s_note_burst ("pipelined", N), N);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes") - notes_before, N);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(DISTINCT n) FROM notes WHERE text LIKE 'pipelined %'"), N);
}

/*  The corr of every event after seq `after`, in seq order (caller frees each and the array). */
static int
s_event_corrs (int64_t after, char ***corrs_p)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int n = 0;
    char **corrs = calloc (1000, sizeof *corrs);
    xc_verify_t stored = { .registry = fx.registry, .stored = true, .max_size = 1 << 20 };
    if (sqlite3_open_v2 (fx.database, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
        && sqlite3_prepare_v2 (db, "SELECT message FROM outbox WHERE seq > ? ORDER BY seq", -1,
                               &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_int64 (stmt, 1, after);
        while (n < 1000 && sqlite3_step (stmt) == SQLITE_ROW) {
            const char *message = (const char *) sqlite3_column_text (stmt, 0);
            stored.now = xc_clock_wall ();
            xc_msg_t *event = NULL;
            if (xc_envelope_open (message, strlen (message), &stored, &event, NULL) == 0)
                corrs[n] = strdup (event->corr);
            else
                corrs[n] = strdup ("(unreadable)");
            n++;
            xc_msg_destroy (&event);
        }
    }
    sqlite3_finalize (stmt);
    sqlite3_close (db);
    *corrs_p = corrs;
    return n;
}

/*  One burst that shares a commit, with conflicts in it: one with an older note, one with a
    note of the same burst. Each conflict takes back its own event only; the others' events
    are appended in the order their commands came, each caused by its own command. */
static void
test_conflicts_in_a_batch_take_back_only_their_events (void)
{
    enum { N = 60 };
    char *msgs[N], ids[N][XC_UUID_LEN + 1];
    int codes[N];
    int64_t head = fx_sql_int (&fx, "SELECT max(seq) FROM outbox");
    for (int i = 0; i < N; i++) {
        char data[64];
        if (i % 10 == 3)
            snprintf (data, sizeof data, "{\"text\":\"第一条 note\"}");
        else
            snprintf (data, sizeof data, "{\"text\":\"burst %d\"}", i % 10 == 7 ? i - 1 : i);
        msgs[i] = fx_seal (&fx, &fx.petition, "petition-bureau", "echo.note", data, ids[i]);
    }
    s_burst (client, "petition-bureau", msgs, ids, N, codes);
    int accepted = 0, conflicts = 0, wrong = 0;
    for (int i = 0; i < N; i++) {
        bool conflict = i % 10 == 3 || i % 10 == 7;
        wrong += codes[i] != (conflict ? (int) XC_E_CONFLICT : (int) XC_OK);
        accepted += codes[i] == (int) XC_OK;
        conflicts += codes[i] == (int) XC_E_CONFLICT;
        free (msgs[i]);
    }
    CHECK_INT (wrong, 0);
    CHECK_INT (accepted, N - N / 5);
    CHECK_INT (conflicts, N / 5);
    char **corrs;
    int n = s_event_corrs (head, &corrs);
    CHECK_INT (n, accepted);
    int k = 0, out_of_order = 0;
    for (int i = 0; i < N; i++)
        if (codes[i] == (int) XC_OK)
            out_of_order += k >= n || strcmp (corrs[k++], ids[i]) != 0;
    CHECK_INT (out_of_order, 0);
    for (int i = 0; i < n; i++)
        free (corrs[i]);
    free (corrs);
}

/*  A client that sends thousands of commands before it reads any reply (its sends wait while
    the service's queue is full) gets every one answered, each once. */
static void
test_thousands_in_flight_all_answered (void)
{
    enum { N = 3000 };
    CHECK_INT (s_note_burst ("in flight", N), N);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes WHERE text LIKE 'in flight %'"), N);
}

/*  The registry is rewritten while commands stream in. The batches in flight hold messages
    that point into the loaded registry, so the service reloads it only between them (ASan
    would see a use after free otherwise); the new principal is then admitted, and every
    command of the stream is answered once, accepted. */
static void
test_registry_reloaded_under_load (void)
{
    enum { MAX = 30000, IN_FLIGHT = 300 };
    char (*ids)[XC_UUID_LEN + 1] = calloc (MAX, sizeof *ids);
    xc_key_t newcomer;
    xc_key_generate (&newcomer, "newcomer#1", NULL);
    char reg_path[600], tmp_path[610];
    snprintf (reg_path, sizeof reg_path, "%s/principals.json", fx.dir);
    snprintf (tmp_path, sizeof tmp_path, "%s.tmp", reg_path);
    long long notes_before = fx_sql_int (&fx, "SELECT count(*) FROM notes");
    xc_client_t *load = fx_client (&fx, NULL), *other = fx_client (&fx, NULL);
    xc_verify_t v = { .registry = fx.registry, .audience = "petition-bureau", .skew = 300,
                      .max_lifetime = 3600, .max_size = 1 << 20 };
    char nid[XC_UUID_LEN + 1];
    char *nmsg = NULL;
    int sent = 0, answered = 0, accepted = 0, refused_before = 0, tries = 0;
    bool rewritten = false, admitted = false;
    int64_t t0 = xc_clock_mono_ms (), next_try = 0;
    while (xc_clock_mono_ms () - t0 < 10000 && !(admitted && answered == sent)) {
        while (!admitted && sent < MAX && sent - answered < IN_FLIGHT) {
            char data[64];
            snprintf (data, sizeof data, "{\"text\":\"stream %d\"}", sent);
            char *msg = fx_seal (&fx, &fx.petition, "petition-bureau", "echo.note", data, ids[sent]);
            int rc = xc_client_send (load, msg, strlen (msg), NULL);
            free (msg);
            if (rc != 0)
                break;
            sent++;
        }
        if (!rewritten && sent >= IN_FLIGHT) {
            /* a new principal, written aside and renamed over: the service never reads half */
            json_t *registry = json_load_file (reg_path, 0, NULL);
            json_t *jwk = xc_key_public_jwk (&newcomer);
            json_object_set_new (jwk, "not_before", json_string ("2020-01-01T00:00:00Z"));
            json_object_set_new (jwk, "not_after", json_string ("2099-01-01T00:00:00Z"));
            json_array_append_new (json_object_get (registry, "principals"),
                                   json_pack ("{s:s, s:s, s:{}, s:[o]}", "iss", "newcomer",
                                              "role", "office", "scope", "keys", jwk));
            CHECK (json_dump_file (registry, tmp_path, JSON_INDENT (1)) == 0);
            CHECK (rename (tmp_path, reg_path) == 0);
            json_decref (registry);
            rewritten = true;
            nmsg = fx_seal (&fx, &newcomer, "newcomer", "echo.note", "{\"text\":\"newcomer\"}", nid);
            /* the first try after the stream has gone on past the rewrite: tried at once, the
               newcomer could be admitted before another command is sent (as on a loaded
               machine, where the service takes the 300 in flight, reloads, then answers it) */
            next_try = xc_clock_mono_ms () + 100;
        }
        if (rewritten && !admitted && xc_clock_mono_ms () >= next_try) {
            /* the same bytes each time: refused before the reload stores nothing */
            xc_code_t code;
            json_decref (fx_send_sealed (&fx, other, "newcomer", nmsg, nid, &code, NULL, 0, NULL));
            admitted = code == XC_OK;
            refused_before += code == XC_E_UNKNOWN_KID;
            tries++;
            next_try = xc_clock_mono_ms () + 100;
        }
        char *bytes;
        size_t len;
        if (answered < sent && xc_client_recv (load, 1000, &bytes, &len, NULL) == 0) {
            v.now = xc_clock_wall ();
            xc_msg_t *reply = NULL;
            if (xc_envelope_open (bytes, len, &v, &reply, NULL) == 0) {
                answered++;
                accepted += strcmp (reply->type, "ack") == 0;
            }
            xc_msg_destroy (&reply);
            free (bytes);
        }
    }
    CHECK (admitted);
    CHECK (refused_before + 1 == tries);
    CHECK (sent > IN_FLIGHT);
    CHECK_INT (answered, sent);
    CHECK_INT (accepted, sent);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes") - notes_before, sent + 1);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes WHERE iss = 'newcomer'"), 1);
    printf ("  %d commands streamed, the newcomer admitted on try %d\n", sent, tries);
    free (nmsg);
    free (ids);
    xc_client_destroy (&load);
    xc_client_destroy (&other);
}

/*  Reads every event with events.read, as an outside auditor would: seq must run 1, 2, 3...,
    each hash must be the link of the one before, each message must be signed by the service.
    Returns how many events it read; *bad_p is the first seq that failed (0 when none). */
static int64_t
s_walk_events (int64_t *bad_p)
{
    int64_t after = 0, seen = 0;
    unsigned char prev[32] = { 0 };
    xc_verify_t stored = { .registry = fx.registry, .stored = true, .max_size = 1 << 20 };
    *bad_p = 0;
    for (int round = 0; round < 1000; round++) {
        char id[XC_UUID_LEN + 1], data[64];
        snprintf (data, sizeof data, "{\"after\":%lld,\"limit\":97}", (long long) after);
        xc_msg_t *reply = NULL;
        if (fx_ask (&fx, client, "audit-bureau", "events.read", data, id, &reply, NULL) != 0) {
            *bad_p = -1;
            break;
        }
        json_t *events = json_object_get (reply->data, "events");
        size_t i;
        json_t *ev;
        json_array_foreach (events, i, ev) {
            int64_t seq = json_integer_value (json_object_get (ev, "seq"));
            const char *message = json_string_value (json_object_get (ev, "message"));
            unsigned char hash[32];
            char hex[65];
            xc_outbox_link (prev, message, strlen (message), hash);
            xc_hex_encode (hash, 32, hex);
            stored.now = xc_clock_wall ();
            xc_msg_t *event = NULL;
            bool good = seq == after + 1
                && strcmp (json_string_value (json_object_get (ev, "hash")), hex) == 0
                && xc_envelope_open (message, strlen (message), &stored, &event, NULL) == 0
                && strcmp (event->iss, "echo") == 0 && strncmp (event->type, "echo.", 5) == 0;
            xc_msg_destroy (&event);
            if (!good && !*bad_p)
                *bad_p = seq;
            memcpy (prev, hash, 32);
            after = seq;
            seen++;
        }
        int64_t head = json_integer_value (json_object_get (reply->data, "head"));
        xc_msg_destroy (&reply);
        if (after >= head)
            break;
    }
    return seen;
}

static void
test_events_read_back_on_a_chain (void)
{
    int64_t bad;
    int64_t seen = s_walk_events (&bad);
    CHECK_INT (bad, 0);
    /* one event per note: the conflict's event was rolled back with it */
    CHECK_INT (seen, fx_sql_int (&fx, "SELECT count(*) FROM notes"));
    CHECK (seen > 200);
}

static void
test_heartbeat_carries_the_head (void)
{
    void *ctx = zmq_ctx_new ();
    void *sub = zmq_socket (ctx, ZMQ_SUB);
    int timeout = 3000, linger = 0;
    zmq_setsockopt (sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (sub, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    zmq_connect (sub, fx.events);
    char buf[4096];
    int n = zmq_recv (sub, buf, sizeof buf - 1, 0);
    CHECK (n > 0);
    if (n > 0) {
        xc_verify_t v = { .registry = fx.registry, .stored = true, .now = xc_clock_wall (),
                          .max_size = sizeof buf };
        xc_msg_t *hint = NULL;
        CHECK (xc_envelope_open (buf, (size_t) n, &v, &hint, NULL) == 0);
        if (hint) {
            CHECK_STR (hint->type, "events.head");
            CHECK_INT (json_integer_value (json_object_get (hint->data, "seq")),
                       fx_sql_int (&fx, "SELECT max(seq) FROM outbox"));
        }
        xc_msg_destroy (&hint);
    }
    zmq_close (sub);
    zmq_ctx_term (ctx);
}

/*  The service dies after the commit and before the ack: the client's retry, to the restarted
    service, gets duplicate with the first result, and the note exists once. */
static void
test_crash_after_commit_then_retry_gets_duplicate (void)
{
    CHECK_INT (fx_stop (&fx), 0);
    const char *fault[] = { "--fail-after-commit", "1", NULL };
    CHECK (fx_start (&fx, fault) == 0);
    xc_client_destroy (&client);
    client = fx_client (&fx, NULL);
    char id[XC_UUID_LEN + 1];
    char *msg = fx_seal (&fx, &fx.office, "office", "echo.note", "{\"text\":\"survives\"}", id);
    xc_client_send (client, msg, strlen (msg), NULL);
    for (int i = 0; i < 100 && xc_client_send (client, msg, strlen (msg), NULL) != 0; i++)
        usleep (10000);
    CHECK_INT (fx_wait (&fx, 5000), 70);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes WHERE text = 'survives'"), 1);
    long long n = fx_sql_int (&fx, "SELECT n FROM notes WHERE text = 'survives'");

    CHECK (fx_start (&fx, NULL) == 0);
    xc_client_destroy (&client);
    client = fx_client (&fx, NULL);
    xc_msg_t *reply = NULL;
    xc_err_t err;
    CHECK (fx_call (&fx, client, "office", msg, id, &reply, &err) == 0);
    if (reply) {
        CHECK_STR (json_string_value (json_object_get (reply->data, "status")), "duplicate");
        CHECK_INT (json_integer_value (json_object_get (json_object_get (reply->data, "result"), "n")), n);
    }
    xc_msg_destroy (&reply);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes WHERE text = 'survives'"), 1);
    free (msg);

    /* The restarted service's clock is past the reminder again: still one reminder. */
    char data[64], target[XC_RFC3339_LEN + 1];
    xc_clock_format (fx_sql_int (&fx, "SELECT remind_at FROM notes WHERE text = 'remind me'") + 1,
                     target);
    snprintf (data, sizeof data, "{\"clock\":\"%s\"}", target);
    msg = fx_seal (&fx, &fx.office, "office", "clock.set", data, id);
    CHECK_STR (xc_code_name (s_code ("office", msg, id)), "ok");
    free (msg);
    usleep (300 * 1000);
    CHECK_INT (s_reminded (), 1);
}

static void
test_health_and_test_clock (void)
{
    char id[XC_UUID_LEN + 1];
    xc_msg_t *reply = NULL;
    CHECK (fx_ask (&fx, client, "office", "health", "{}", id, &reply, NULL) == 0);
    if (reply) {
        CHECK_STR (json_string_value (json_object_get (reply->data, "service")), "echo");
        CHECK_INT (json_integer_value (json_object_get (reply->data, "head")),
                   fx_sql_int (&fx, "SELECT max(seq) FROM outbox"));
        CHECK (json_is_true (json_object_get (reply->data, "test_mode")));
    }
    xc_msg_destroy (&reply);

    char target[XC_RFC3339_LEN + 1], data[64];
    xc_clock_format (xc_clock_wall () + 864000, target);
    snprintf (data, sizeof data, "{\"clock\":\"%s\"}", target);
    /* sent twice (as a resend would be): the clock moves once */
    for (int i = 0; i < 2; i++) {
        CHECK (fx_ask (&fx, client, "office", "clock.set", data, id, &reply, NULL) == 0);
        if (reply) {
            int64_t clock;
            CHECK (xc_clock_parse (json_string_value (json_object_get (reply->data, "clock")), &clock, NULL) == 0);
            CHECK (clock - xc_clock_wall () >= 864000 - 5);
            CHECK (clock - xc_clock_wall () <= 864000 + 5);
        }
        xc_msg_destroy (&reply);
    }
}

/*  A deadline crossed by moving the test clock yields its event once, across a restart. */
static void
test_reminder_once_when_the_clock_passes (void)
{
    char id[XC_UUID_LEN + 1], data[64], target[XC_RFC3339_LEN + 1];
    char *msg = fx_seal (&fx, &fx.office, "office", "echo.note",
                         "{\"text\":\"remind me\",\"remind_after\":7200000}", id);
    CHECK_STR (xc_code_name (s_code ("office", msg, id)), "ok");
    free (msg);
    usleep (300 * 1000);                 /* three ticks: not due yet */
    CHECK_INT (s_reminded (), 0);

    xc_clock_format (fx_sql_int (&fx, "SELECT remind_at FROM notes WHERE text = 'remind me'") + 1,
                     target);
    snprintf (data, sizeof data, "{\"clock\":\"%s\"}", target);
    msg = fx_seal (&fx, &fx.office, "office", "clock.set", data, id);
    CHECK_STR (xc_code_name (s_code ("office", msg, id)), "ok");
    free (msg);
    for (int i = 0; i < 300 && s_reminded () == 0; i++)
        usleep (10 * 1000);
    CHECK_INT (s_reminded (), 1);
    CHECK_INT (fx_sql_int (&fx, "SELECT reminded FROM notes WHERE text = 'remind me'"), 1);
    usleep (300 * 1000);
    CHECK_INT (s_reminded (), 1);
}

static void
test_sigterm_stops_within_a_second (void)
{
    int64_t t0 = xc_clock_mono_ms ();
    kill (fx.pid, SIGTERM);
    CHECK_INT (fx_wait (&fx, 1000), 0);
    CHECK (xc_clock_mono_ms () - t0 < 1000);
}

/*  Without test mode there is no clock.advance. */
static void
test_no_clock_route_outside_test_mode (void)
{
    char ready[600];
    snprintf (ready, sizeof ready, "%s/ready2.json", fx.dir);
    pid_t pid = fork ();
    if (pid == 0) {
        execl ("build/bin/xc-echo", "xc-echo", "--config", fx.config, "--ready-file", ready, (char *) NULL);
        _exit (127);
    }
    fx.pid = pid;
    json_t *doc = NULL;
    for (int i = 0; i < 500 && !doc; i++) {
        doc = json_load_file (ready, 0, NULL);
        if (!doc)
            usleep (10000);
    }
    CHECK (doc != NULL);
    if (doc) {
        snprintf (fx.api, sizeof fx.api, "%s", json_string_value (json_object_get (doc, "api")));
        json_decref (doc);
        xc_client_destroy (&client);
        client = fx_client (&fx, NULL);
        char id[XC_UUID_LEN + 1];
        char *msg = fx_seal (&fx, &fx.office, "office", "clock.set", "{\"clock\":\"2099-01-01T00:00:00Z\"}", id);
        CHECK_STR (xc_code_name (s_code ("office", msg, id)), "unknown_type");
        free (msg);
    }
    CHECK_INT (fx_stop (&fx), 0);
}

/*  A changed event row, found by an outside reader with its seq. */
static void
test_changed_event_row_breaks_the_chain (void)
{
    CHECK (fx_start (&fx, NULL) == 0);
    xc_client_destroy (&client);
    client = fx_client (&fx, NULL);
    sqlite3 *db;
    CHECK (sqlite3_open (fx.database, &db) == SQLITE_OK);
    sqlite3_busy_timeout (db, 5000);
    CHECK (sqlite3_exec (db, "UPDATE outbox SET message = replace (message, 'A', 'B') WHERE seq = 3",
                         NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close (db);
    int64_t bad;
    s_walk_events (&bad);
    CHECK_INT (bad, 3);
    CHECK_INT (fx_stop (&fx), 0);
}

/*  The services run on jemalloc (the Makefile's MALLOC_PKG, docs/architecture.md), except
    in sanitizer builds (XC_SANITIZER), whose runtime must own malloc. */
static void
test_allocator_is_jemalloc (void)
{
    char path[64], line[4096];      /* a line of maps: addresses, then the mapped file */
    snprintf (path, sizeof path, "/proc/%d/maps", (int) fx.pid);
    FILE *f = fopen (path, "r");
    CHECK (f != NULL);
    if (!f)
        return;
    bool jemalloc = false;
    while (fgets (line, sizeof line, f))
        jemalloc = jemalloc || strstr (line, "/libjemalloc.so") != NULL;
    fclose (f);
#ifdef XC_SANITIZER
    CHECK (!jemalloc);
#else
    CHECK (jemalloc);
#endif
}

static void
test_curve_admits_only_known_keys (void)
{
    fx_t plain = fx;
    CHECK (fx_deploy (&fx, "echo", true) == 0);
    CHECK (fx_start (&fx, NULL) == 0);
    char id[XC_UUID_LEN + 1];

    xc_client_t *known = fx_client (&fx, &fx.office_curve);
    char *msg = fx_seal (&fx, &fx.office, "office", "echo.note", "{\"text\":\"over curve\"}", id);
    CHECK_STR (xc_code_name (s_code_with (known, "office", msg, id)), "ok");
    free (msg);

    /* a key the registry does not know: ZAP refuses the connection, no answer ever comes */
    xc_client_t *stranger = fx_client (&fx, &fx.stranger_curve);
    msg = fx_seal (&fx, &fx.office, "office", "echo.note", "{\"text\":\"stranger\"}", id);
    CHECK_STR (xc_code_name (s_code_with (stranger, "office", msg, id)), "unavailable");
    free (msg);

    /* the office's connection carrying a message signed by another principal */
    msg = fx_seal (&fx, &fx.petition, "petition-bureau", "echo.note", "{\"text\":\"borrowed\"}", id);
    CHECK_STR (xc_code_name (s_code_with (known, "petition-bureau", msg, id)), "forbidden");
    free (msg);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM notes"), 1);

    xc_client_destroy (&known);
    xc_client_destroy (&stranger);
    fx_destroy (&fx);
    fx = plain;
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (fx_deploy (&fx, "echo", false) != 0 || fx_start (&fx, NULL) != 0) {
        fprintf (stderr, "unable to start build/bin/xc-echo (log in %s)\n", fx.dir);
        return 1;
    }
    client = fx_client (&fx, NULL);
    RUN (test_allocator_is_jemalloc);
    RUN (test_note_accepted_and_read_back);
    RUN (test_retry_has_one_effect);
    RUN (test_hostile_messages_refused_and_nothing_stored);
    RUN (test_multi_frame_refused);
    RUN (test_conflict_rolls_back_its_event);
    RUN (test_pipelined_commands_each_answered);
    RUN (test_conflicts_in_a_batch_take_back_only_their_events);
    RUN (test_thousands_in_flight_all_answered);
    RUN (test_registry_reloaded_under_load);
    RUN (test_events_read_back_on_a_chain);
    RUN (test_heartbeat_carries_the_head);
    RUN (test_health_and_test_clock);
    RUN (test_reminder_once_when_the_clock_passes);
    RUN (test_crash_after_commit_then_retry_gets_duplicate);
    RUN (test_sigterm_stops_within_a_second);
    RUN (test_no_clock_route_outside_test_mode);
    RUN (test_changed_event_row_breaks_the_chain);
    xc_client_destroy (&client);
    RUN (test_curve_admits_only_known_keys);
    fx_destroy (&fx);
    HARNESS_END ();
}
