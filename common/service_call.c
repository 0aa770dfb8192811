/*  service_call.c: what a handler's call can do (the xc_call_* API of service.h), and the
    events a call emits: built when emitted, signed on the verifier threads and appended to the
    outbox before the commit; a transaction's commit or rollback, and the head published after.
    Private to the service*.c files (service_internal.h); it calls none of them. */
#include "common/service.h"
#include "common/service_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/handler.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/page.h"

#define EXIT_FAULT 70                /* the exit status of --fail-after-commit */

const xc_msg_t *
xc_call_msg (const xc_call_t *call)
{
    return call->msg;
}

sqlite3 *
xc_call_db (xc_call_t *call)
{
    return xc_store_db (call->service->store);
}

xc_store_t *
xc_call_store (xc_call_t *call)
{
    return call->service->store;
}

const xc_calendar_t *
xc_call_calendar (const xc_call_t *call)
{
    return call->service->calendar;
}

const xc_config_t *
xc_call_config (const xc_call_t *call)
{
    return call->service->config;
}

int64_t
xc_call_now (const xc_call_t *call)
{
    (void) call;
    return xc_clock_now ();
}

int
xc_call_begin (xc_call_t *call)
{
    xc_service_t *self = call->service;
    if (self->in_tx)
        return 0;
    if (xc_store_begin (self->store, &call->err) != 0)
        return -1;
    self->in_tx = true;
    return 0;
}

void
xc_call_result (xc_call_t *call, json_t *result)
{
    json_decref (call->result);
    call->result = result;
}

void
xc_call_result_withheld (xc_call_t *call, json_t *result, json_t *kept)
{
    xc_call_result (call, result);
    json_decref (call->kept);
    call->kept = kept;
}

int
xc_call_fail (xc_call_t *call, xc_code_t code, const char *fmt, ...)
{
    call->err.code = code;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (call->err.text, sizeof call->err.text, fmt, ap);
    va_end (ap);
    return -1;
}

int
xc_call_fail_keep (xc_call_t *call, xc_code_t code, const char *fmt, ...)
{
    call->err.code = code;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (call->err.text, sizeof call->err.text, fmt, ap);
    va_end (ap);
    call->keep = true;
    return -1;
}

int
xc_call_wait_calendar (xc_call_t *call, const char *why)
{
    call->waiting = true;
    return xc_call_fail (call, XC_E_CONFIG, "%s", why);
}

int
xc_call_fail_db (xc_call_t *call, const char *what)
{
    return xc_store_fail (xc_call_db (call), what, &call->err);
}

/*  Signs a message from this service, its data a value or (data NULL) the text data_text.
    Caller owns the result. */
char *
message_seal (xc_service_t *self, const char *id, const char *aud, const char *type,
        const char *corr, bool expires, const json_t *data, const char *data_text, size_t *len_p,
        xc_err_t *err)
{
    int64_t now = xc_clock_wall ();
    xc_claims_t claims = {
        .id = id, .iss = self->def->name, .aud = aud, .type = type,
        .corr = corr && *corr ? corr : NULL, .iat = now,
        .exp = expires ? now + self->config->clock_skew_seconds : 0,
    };
    if (data)
        return xc_envelope_seal (&self->key, &claims, data, len_p, NULL, err);
    xc_sealing_t sealing;
    if (xc_envelope_prepare_text (&self->key, &claims, data_text, &sealing, err) != 0)
        return NULL;
    char *out = xc_envelope_finish (&self->key, &sealing, len_p, err);
    xc_sealing_clear (&sealing);
    return out;
}

/*  A keyed message's id is derived from the service and the key, so every copy of the same
    event (or notice) is the same message id too; without a key, a random one. */
void
message_id_derive (const xc_service_t *self, const char *key, char id[XC_UUID_LEN + 1])
{
    if (!key) {
        xc_uuid_new_ordered (id);
        return;
    }
    unsigned char hash[XC_SHA256_BYTES];
    xc_sha256 (self->def->name, strlen (self->def->name) + 1, key, strlen (key), hash);
    xc_uuid_format (hash, 8, id);
}

char *
xc_call_seal (xc_call_t *call, const char *key, const char *aud, const char *type, const json_t *data,
              size_t *len_p, char id_out[XC_UUID_LEN + 1])
{
    message_id_derive (call->service, key, id_out);
    return message_seal (call->service, id_out, aud, type, NULL, true, data, NULL, len_p, &call->err);
}

static void
s_event_clear (emitted_t *event)
{
    free (event->event_id);
    free (event->type);
    free (event->visibility);
    free (event->message);
    xc_sealing_clear (&event->sealing);
    memset (event, 0, sizeof *event);
}

/*  Drops the events emitted after the first `keep` (a command's savepoint rolled back, or the
    whole transaction). */
void
events_drop (xc_service_t *self, int keep)
{
    while (self->n_events > keep)
        s_event_clear (&self->events[--self->n_events]);
}

/*  The bytes of an events.read entry beside its event's signing input: the message's other
    parts (signature, members), the escapes of its quotes, seq, id (a key), type, hash. */
#define S_EVENT_ENTRY_RESERVE 1024

static int s_emit (xc_call_t *call, const char *type, const char *visibility, const char *key,
                   const json_t *data, char id_out[XC_UUID_LEN + 1]);

int
xc_call_emit (xc_call_t *call, const char *type, const char *visibility, const char *key,
              const json_t *data)
{
    return s_emit (call, type, visibility, key, data, NULL);
}

int
xc_call_emit_filed (xc_call_t *call, const char *type, const char *visibility, const char *key,
                    const json_t *data, const char *insert_sql, json_int_t object)
{
    char id[XC_UUID_LEN + 1];
    if (s_emit (call, type, visibility, key, data, id) != 0)
        return -1;
    if (object <= 0)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, insert_sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, object);
    sqlite3_bind_text (stmt, 2, key ? key : id, -1, SQLITE_TRANSIENT);
    return xc_call_exec (call, stmt, "unable to file the event under its record");
}

/*  Appends an event to the transaction's; its message id to id_out (when given), the outbox's
    "id" of an unkeyed event. */
static int
s_emit (xc_call_t *call, const char *type, const char *visibility, const char *key,
        const json_t *data, char id_out[XC_UUID_LEN + 1])
{
    xc_service_t *self = call->service;
    if (!self->in_tx)
        return xc_call_fail (call, XC_E_INTERNAL, "emit outside a transaction");
    if (self->n_events == self->events_max) {
        int max = self->events_max ? 2 * self->events_max : 64;
        emitted_t *events = realloc (self->events, (size_t) max * sizeof *events);
        if (!events)
            return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
        self->events = events;
        self->events_max = max;
    }
    char id[XC_UUID_LEN + 1];
    message_id_derive (self, key, id);
    emitted_t *event = &self->events[self->n_events];
    memset (event, 0, sizeof *event);
    const char *corr = call->msg ? call->msg->id : call->cause;
    xc_claims_t claims = { .id = id, .iss = self->def->name, .aud = "*", .type = type,
                           .corr = corr && *corr ? corr : NULL, .iat = xc_clock_wall () };
    if (xc_envelope_prepare (&self->key, &claims, data, &event->sealing, &call->err) != 0)
        return -1;
    /* An event must fit in one events.read reply: a reader could never get past one that does
       not. The signed message is the signing input and about 130 bytes; its entry adds seq,
       id, type, hash and escapes. */
    size_t entry = event->sealing.input_len + S_EVENT_ENTRY_RESERVE;
    size_t budget = xc_page_budget (self->config->max_message_bytes);
    if (entry > budget) {
        xc_sealing_clear (&event->sealing);
        return xc_call_fail (call, XC_E_TOO_LARGE, "the event '%s' it makes would be %zu bytes, above the %zu bytes an"
                             " events.read reply carries (limits.max_message_bytes %zu)", type, entry, budget,
                             self->config->max_message_bytes);
    }
    if (id_out)
        memcpy (id_out, key ? "" : id, key ? 1 : XC_UUID_LEN + 1);
    event->event_id = strdup (key ? key : id);
    event->keyed = key != NULL;
    event->type = strdup (type);
    event->visibility = visibility ? strdup (visibility) : NULL;
    if (!event->event_id || !event->type || (visibility && !event->visibility)) {
        s_event_clear (event);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    self->n_events++;
    if (!self->in_command && self->n_events >= EVENTS_CHUNK)
        return events_append (self, &call->err);
    return 0;
}

/*  On a verifier thread: signs one emitted event. */
static void
s_event_sign (void *arg, size_t i)
{
    xc_service_t *self = arg;
    emitted_t *event = &self->events[i];
    event->message = xc_envelope_finish (&self->key, &event->sealing, &event->len, &event->err);
}

/*  Signs the transaction's events on the verifier threads, then appends them to the outbox in
    the order they were emitted (each links to the one before). */
int
events_append (xc_service_t *self, xc_err_t *err)
{
    xc_pool_run (self->verifiers, s_event_sign, self, (size_t) self->n_events);
    int rc = 0;
    xc_outbox_end_t end = { 0 };
    for (int i = 0; rc == 0 && i < self->n_events; i++) {
        emitted_t *event = &self->events[i];
        int64_t seq;
        bool appended;
        if (!event->message)
            rc = xc_err_set (err, event->err.code, "%s", event->err.text);
        else
            rc = xc_outbox_append (self->store, &end, event->event_id, event->keyed, event->type,
                                   event->visibility, event->message, event->len, &seq,
                                   &appended, err);
    }
    events_drop (self, 0);
    return rc;
}

/*  Ends the current transaction: its events appended, then the commit. */
int
tx_commit (xc_service_t *self, xc_err_t *err)
{
    self->in_tx = false;
    if (events_append (self, err) != 0) {
        xc_store_rollback (self->store);
        return -1;
    }
    return xc_store_commit (self->store, err);
}

void
tx_rollback (xc_service_t *self)
{
    self->in_tx = false;
    events_drop (self, 0);
    xc_store_rollback (self->store);
}

/*  --fail-after-commit: the process dies right after the N-th commit, before anything that
    follows it (replies, an offset's next pull). */
void
commit_note (xc_service_t *self)
{
    if (self->fail_after_commit && ++self->commits >= self->fail_after_commit) {
        xc_warn (NULL, "test mode: exiting after commit %d, before what follows it", self->commits);
        _exit (EXIT_FAULT);
    }
}

/*  The outbox's head, signed, on the events socket: after a commit that appended events,
    and at each heartbeat (readers pull from their offset up to it). */
void
head_publish (xc_service_t *self)
{
    int64_t head;
    xc_err_t err;
    if (xc_outbox_head (self->store, &head, &err) != 0) {
        xc_error (NULL, "unable to read the event head: %s", err.text);
        return;
    }
    json_t *data = json_pack ("{s:I}", "seq", (json_int_t) head);
    /* How far this service has read each source: the gateway's /metrics shows each
       consumer's lag from it, without a key of its own to ask `health`. */
    if (self->n_consumers > 0) {
        json_t *sources = json_object ();
        for (int i = 0; i < self->n_consumers; i++)
            json_object_set_new (sources, xc_consumer_source (self->consumers[i]),
                                 json_integer ((json_int_t) xc_consumer_offset (self->consumers[i])));
        json_object_set_new (data, "sources", sources);
    }
    size_t len;
    char *bytes = message_seal (self, NULL, "*", "events.head", NULL, true, data, NULL, &len, &err);
    json_decref (data);
    if (bytes && xc_server_publish (self->server, bytes, len, &err) != 0)
        xc_warn (NULL, "%s", err.text);
    free (bytes);
}
