/*  consumer.c: pulls another service's events without blocking the loop (consumer.h). */
#include "common/consumer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/transport.h"

#define S_BACKOFF_FIRST 250
#define S_BACKOFF_MAX 30000

struct xc_consumer {
    char source[XC_NAME_MAX];
    char self[XC_NAME_MAX];
    const xc_key_t *key;
    xc_client_t *client;
    xc_subscriber_t *sub;
    int pull_ms, timeout_ms, batch;
    int skew, max_lifetime;
    size_t max_size;
    int64_t offset;
    int64_t head;
    int64_t due;                     /* monotonic ms of the next pull */
    char pending[XC_UUID_LEN + 1];   /* id of the pull in flight, "" when none */
    int64_t pending_deadline;
    int backoff_ms;
    bool refused;                    /* backing off because the source answered and a batch
                                        failed (not because it was unreachable) */
};

int
xc_consumer_new (const xc_consumer_opts_t *opts, xc_consumer_t **consumer_p, xc_err_t *err)
{
    *consumer_p = NULL;
    xc_consumer_t *self = calloc (1, sizeof *self);
    if (!self)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    snprintf (self->source, sizeof self->source, "%s", opts->source);
    snprintf (self->self, sizeof self->self, "%s", opts->self);
    self->key = opts->key;
    self->pull_ms = opts->pull_ms;
    self->timeout_ms = opts->timeout_ms;
    self->batch = opts->batch < 1 ? 1 : opts->batch > 1000 ? 1000 : opts->batch;
    self->skew = opts->skew;
    self->max_lifetime = opts->max_lifetime;
    self->max_size = opts->max_size;
    self->backoff_ms = S_BACKOFF_FIRST;
    self->due = xc_clock_mono_ms ();
    xc_client_opts_t copts = { .endpoint = opts->api, .curve = opts->curve,
                               .server_key = opts->server_key };
    if (xc_client_new (&copts, &self->client, err) != 0)
        goto failed;
    if (opts->events) {
        copts.endpoint = opts->events;
        if (xc_subscriber_new (&copts, &self->sub, err) != 0)
            goto failed;
    }
    *consumer_p = self;
    return 0;
failed:
    xc_consumer_destroy (&self);
    return -1;
}

void
xc_consumer_destroy (xc_consumer_t **consumer_p)
{
    xc_consumer_t *self = *consumer_p;
    if (!self)
        return;
    xc_client_destroy (&self->client);
    xc_subscriber_destroy (&self->sub);
    free (self);
    *consumer_p = NULL;
}

const char *
xc_consumer_source (const xc_consumer_t *self)
{
    return self->source;
}

void *
xc_consumer_dealer (xc_consumer_t *self)
{
    return xc_client_socket (self->client);
}

void *
xc_consumer_sub (xc_consumer_t *self)
{
    return self->sub ? xc_subscriber_socket (self->sub) : NULL;
}

int64_t
xc_consumer_due (const xc_consumer_t *self)
{
    /* With a pull in flight, what is due is giving up on it. */
    return self->pending[0] ? self->pending_deadline : self->due;
}

int64_t
xc_consumer_offset (const xc_consumer_t *self)
{
    return self->offset;
}

void
xc_consumer_set_offset (xc_consumer_t *self, int64_t offset)
{
    self->offset = offset;
}

int64_t
xc_consumer_head (const xc_consumer_t *self)
{
    return self->head;
}

/*  Next pull after a failure: the current backoff, give or take a quarter, then doubled. */
static void
s_back_off (xc_consumer_t *self)
{
    int jitter = (int) randombytes_uniform ((uint32_t) self->backoff_ms / 2 + 1) - self->backoff_ms / 4;
    self->due = xc_clock_mono_ms () + self->backoff_ms + jitter;
    self->backoff_ms = self->backoff_ms * 2 > S_BACKOFF_MAX ? S_BACKOFF_MAX : self->backoff_ms * 2;
    self->pending[0] = 0;
}

/*  quiet: the first misses to reach the source are the normal start-up race (not connected
    yet), said at debug level until the backoff reaches a second. */
static void
s_fail (xc_consumer_t *self, const char *why, bool quiet)
{
    self->refused = !quiet;
    xc_log (quiet && self->backoff_ms < 1000 ? XC_LOG_DEBUG : XC_LOG_WARN, NULL,
            "events of '%s' after %lld: %s; next try in about %d ms", self->source,
            (long long) self->offset, why, self->backoff_ms);
    s_back_off (self);
}

void
xc_consumer_failed (xc_consumer_t *self, const char *why)
{
    s_fail (self, why, false);
}

void
xc_consumer_applied (xc_consumer_t *self, int64_t new_offset)
{
    self->offset = new_offset;
    self->backoff_ms = S_BACKOFF_FIRST;
    self->refused = false;
    self->due = self->head > self->offset ? xc_clock_mono_ms () : xc_clock_mono_ms () + self->pull_ms;
}

/*  Hints: each says the source's head; one beyond what was applied means pull now. */
static void
s_drain_hints (xc_consumer_t *self, const xc_registry_t *registry)
{
    char *bytes;
    size_t len;
    while (self->sub && xc_subscriber_take (self->sub, &bytes, &len) == 0) {
        xc_verify_t v = { .registry = registry, .stored = true, .now = xc_clock_wall (),
                          .max_size = self->max_size };
        xc_msg_t *hint = NULL;
        if (xc_envelope_open (bytes, len, &v, &hint, NULL) == 0 && strcmp (hint->iss, self->source) == 0
            && strcmp (hint->type, "events.head") == 0) {
            int64_t seq = json_integer_value (json_object_get (hint->data, "seq"));
            if (seq > self->head)
                self->head = seq;
            /* A source that speaks is up: pull now, unless the backoff is for a batch it
               answered and that failed, which a hint does not mend. */
            if (seq > self->offset && !self->pending[0] && !self->refused) {
                self->due = xc_clock_mono_ms ();
                self->backoff_ms = S_BACKOFF_FIRST;
            }
        }
        xc_msg_destroy (&hint);
        free (bytes);
    }
}

void
xc_consumer_work (xc_consumer_t *self, const xc_registry_t *registry)
{
    s_drain_hints (self, registry);
    int64_t now = xc_clock_mono_ms ();
    if (self->pending[0]) {
        if (now >= self->pending_deadline)
            s_fail (self, "no answer", true);
        return;
    }
    if (now < self->due)
        return;
    json_t *data = json_pack ("{s:I, s:i}", "after", (json_int_t) self->offset, "limit", self->batch);
    int64_t wall = xc_clock_wall ();
    xc_claims_t claims = { .iss = self->self, .aud = self->source, .type = "events.read",
                           .iat = wall, .exp = wall + self->timeout_ms / 1000 + 60 };
    size_t len;
    xc_err_t err;
    char *request = xc_envelope_seal (self->key, &claims, data, &len, self->pending, &err);
    json_decref (data);
    if (!request || xc_client_send (self->client, request, len, &err) != 0) {
        self->pending[0] = 0;
        s_fail (self, err.text, true);
    }
    else
        self->pending_deadline = now + self->timeout_ms;
    free (request);
}

void
xc_events_free (xc_event_t *events, int n)
{
    for (int i = 0; events && i < n; i++)
        xc_msg_destroy (&events[i].msg);
    free (events);
}

/*  Checks the events of a reply against what comes next and opens each message. */
static int
s_check_events (xc_consumer_t *self, const xc_registry_t *registry, const json_t *list,
                xc_event_t **events_p, int *n_p, char *why, size_t why_size)
{
    size_t n = json_array_size (list);
    xc_event_t *events = calloc (n ? n : 1, sizeof *events);
    if (!events)
        return snprintf (why, why_size, "out of memory"), -1;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get (list, i);
        xc_event_t *ev = &events[i];
        ev->seq = json_integer_value (json_object_get (e, "seq"));
        const char *type = json_string_value (json_object_get (e, "type"));
        const char *message = json_string_value (json_object_get (e, "message"));
        bool redacted = json_is_true (json_object_get (e, "redacted"));
        if (ev->seq != self->offset + (int64_t) i + 1 || !type || strlen (type) >= XC_TYPE_MAX
            || (!message && !redacted)) {
            snprintf (why, why_size, "event %zu of the reply is not seq %lld with a type and a message",
                      i, (long long) (self->offset + (int64_t) i + 1));
            goto failed;
        }
        snprintf (ev->type, sizeof ev->type, "%s", type);
        if (redacted)
            continue;
        xc_verify_t v = { .registry = registry, .stored = true, .now = xc_clock_wall (),
                          .max_size = self->max_size };
        xc_err_t err;
        if (xc_envelope_open (message, strlen (message), &v, &ev->msg, &err) != 0
            || strcmp (ev->msg->iss, self->source) != 0 || strcmp (ev->msg->type, type) != 0) {
            snprintf (why, why_size, "event %lld does not verify as '%.64s' from '%.64s': %.100s",
                      (long long) ev->seq, type, self->source, ev->msg ? "wrong issuer or type" : err.text);
            goto failed;
        }
    }
    *events_p = events;
    *n_p = (int) n;
    return 0;
failed:
    xc_events_free (events, (int) n);
    return -1;
}

int
xc_consumer_take (xc_consumer_t *self, const xc_registry_t *registry, xc_event_t **events_p,
                  int *n_p)
{
    *events_p = NULL;
    *n_p = 0;
    char *bytes;
    size_t len;
    while (xc_client_recv (self->client, 0, &bytes, &len, NULL) == 0) {
        xc_verify_t v = { .registry = registry, .audience = self->self, .now = xc_clock_wall (),
                          .skew = self->skew, .max_lifetime = self->max_lifetime,
                          .max_size = self->max_size };
        xc_msg_t *reply = NULL;
        xc_err_t err;
        int opened = xc_envelope_open (bytes, len, &v, &reply, &err);
        free (bytes);
        /* A stale answer (to a pull given up on) is dropped; a pull is always safe to redo. */
        if (opened != 0 || !self->pending[0] || strcmp (reply->corr, self->pending) != 0
            || strcmp (reply->iss, self->source) != 0) {
            xc_msg_destroy (&reply);
            continue;
        }
        int rc = 0;
        char why[512];
        if (strcmp (reply->type, "result") != 0) {
            const char *message = json_string_value (json_object_get (reply->data, "message"));
            const char *code = json_string_value (json_object_get (reply->data, "code"));
            snprintf (why, sizeof why, "refused: %.200s (%.40s)", message ? message : "?",
                      code ? code : reply->type);
            xc_consumer_failed (self, why);
            rc = -1;
        }
        else {
            self->pending[0] = 0;
            int64_t head = json_integer_value (json_object_get (reply->data, "head"));
            if (head > self->head)
                self->head = head;
            rc = s_check_events (self, registry, json_object_get (reply->data, "events"), events_p,
                                 n_p, why, sizeof why);
            if (rc != 0)
                xc_consumer_failed (self, why);
            else if (*n_p == 0) {
                xc_events_free (*events_p, 0);
                *events_p = NULL;
                xc_consumer_applied (self, self->offset);
            }
            else
                rc = 1;
        }
        xc_msg_destroy (&reply);
        return rc;
    }
    return 0;
}

int
xc_offset_load (xc_store_t *store, const char *source, int64_t *seq_p, xc_err_t *err)
{
    *seq_p = 0;
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "SELECT seq FROM consumer_offsets WHERE source = ?1", &stmt, err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        *seq_p = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_store_fail (xc_store_db (store), "unable to read the consumer offset", err);
    return 0;
}

int
xc_offset_save (xc_store_t *store, const char *source, int64_t seq, xc_err_t *err)
{
    sqlite3_stmt *stmt;
    if (xc_store_stmt (store, "INSERT INTO consumer_offsets (source, seq) VALUES (?1, ?2)"
                              " ON CONFLICT (source) DO UPDATE SET seq = excluded.seq",
                       &stmt, err) != 0)
        return -1;
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, seq);
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
        return xc_store_fail (xc_store_db (store), "unable to store the consumer offset", err);
    return 0;
}
