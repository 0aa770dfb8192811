/*  service_batch.c: a batch of requests, from the envelope to the reply: opened on the
    verifier threads, admitted (route, role, identity, schema), queries answered, commands run
    in one transaction and committed, replies signed and sent; and the pipeline that overlaps
    one batch's opening and another's replies with the run of a third. Private to the
    service*.c files (service_internal.h); it calls service_routes.c and service_call.c. */
#include "common/service.h"
#include "common/service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/inbox.h"
#include "common/json_read.h"
#include "common/json_text.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/page.h"

/* ---------------------------------------------------------------- a batch */

static void
s_slot_fail (slot_t *slot, const xc_err_t *err)
{
    json_decref (slot->reply);
    free (slot->reply_text);
    slot->reply_text = NULL;
    slot->reply_type = "error";
    slot->reply = json_pack ("{s:s, s:s}", "code", xc_code_name (err->code), "message",
                             err->text);
}

static void
s_slot_answer (slot_t *slot, const char *type, json_t *data)
{
    json_decref (slot->reply);
    free (slot->reply_text);
    slot->reply_text = NULL;
    slot->reply_type = type;
    slot->reply = data;
}

/*  For a message refused before it opened: its id and iss, read without trusting them, so the
    refusal reaches the right request. The payload is read as leniently as the id allows
    (padding, a byte order mark, \u0000, lone surrogates, bytes that are not UTF-8, numbers out
    of range are set aside: json_read.h), so that a body refused for its content still gets an
    answer its sender can match; the id is kept in lower case, as an opened one is. */
static void
s_peek (slot_t *slot)
{
    json_t *outer = json_loadb (slot->req.body, slot->req.len, 0, NULL);
    const char *payload = json_string_value (json_object_get (outer, "payload"));
    size_t payload_len = payload ? strlen (payload) : 0;
    while (payload_len > 0 && payload[payload_len - 1] == '=')
        payload_len--;
    unsigned char *bin = NULL;
    size_t len;
    if (payload && xc_b64url_decode (payload, payload_len, &bin, &len, NULL) == 0) {
        size_t loose_len;
        char *loose = xc_json_loosen ((const char *) bin, len, &loose_len);
        json_t *body = loose ? json_loadb (loose, loose_len, 0, NULL) : NULL;
        const char *id = json_string_value (json_object_get (body, "id"));
        const char *iss = json_string_value (json_object_get (body, "iss"));
        if (id && xc_uuid_valid (id))
            xc_uuid_lower_copy (slot->corr, id);
        /* an iss that loosening changed (U+FFFD) is not the sender's: "unknown" */
        if (iss && strlen (iss) < sizeof slot->to && !strstr (iss, "\xef\xbf\xbd"))
            snprintf (slot->to, sizeof slot->to, "%s", iss);
        json_decref (body);
        free (loose);
        free (bin);
    }
    json_decref (outer);
}

/*  "*" admits every registered role, not a signer proving an unregistered key: a route takes
    one only when it names XC_ROLE_ENROLLEE. */
static bool
s_role_allowed (const char *const *roles, const char *role)
{
    bool enrollee = strcmp (role, XC_ROLE_ENROLLEE) == 0;
    for (; roles && *roles; roles++)
        if ((!enrollee && strcmp (*roles, "*") == 0) || strcmp (*roles, role) == 0)
            return true;
    return false;
}

/*  On a verifier thread: the envelope checks and the signature, the costly part of a request.
    Nothing here logs or touches the store; the registry is not reloaded during a batch. */
static void
s_open_one (void *arg, size_t i)
{
    opening_t *opening = arg;
    slot_t *slot = &opening->slots[i];
    if (slot->req.extra_frames)
        slot->opened = xc_err_set (&slot->open_err, XC_E_MALFORMED, "a message is exactly one frame");
    else
        slot->opened = xc_envelope_open (slot->req.body, slot->req.len, &opening->verify, &slot->msg,
                                         &slot->open_err);
    /* what a retry is compared by: hashed here, off the loop's thread */
    if (slot->opened == 0)
        xc_msg_digest (slot->msg, slot->digest);
}

/*  Whether the connection's CURVE key is an HTTP gateway's (role "gateway"): it carries
    messages signed by any principal (docs/services/gateway.md, "CURVE"), so its connection is
    not bound to one signer; the signature and the role of the signer are still checked. */
static bool
s_forwarder (xc_service_t *self, const char *user)
{
    const xc_principal_t *p = xc_registry_principal (self->registry, user);
    return p && !p->revoked && strcmp (p->role, "gateway") == 0;
}

/*  Runs every check before a handler, on the loop's thread, after the envelope was opened:
    route, role, transport identity, schema. */
static void
s_admit (xc_service_t *self, slot_t *slot)
{
    xc_err_t err;
    snprintf (slot->to, sizeof slot->to, "unknown");
    if (slot->req.extra_frames) {
        s_peek (slot);
        s_slot_fail (slot, &slot->open_err);
        return;
    }
    if (slot->opened != 0) {
        err = slot->open_err;
        s_peek (slot);              /* bounded: frames above 4x the limit never arrive */
        xc_info (slot->corr[0] ? slot->corr : NULL, "refused: %s (%s)", err.text,
                 xc_code_name (err.code));
        s_slot_fail (slot, &err);
        return;
    }
    const xc_msg_t *msg = slot->msg;
    snprintf (slot->corr, sizeof slot->corr, "%s", msg->id);
    snprintf (slot->to, sizeof slot->to, "%s", msg->iss);
    slot->route = route_find (self, msg->type);
    if (!slot->route)
        xc_err_set (&err, XC_E_UNKNOWN_TYPE, "'%s' has no '%s'", self->def->name, msg->type);
    else if (!s_role_allowed (slot->route->roles, msg->principal->role))
        xc_err_set (&err, XC_E_FORBIDDEN, "role '%s' may not send '%s'", msg->principal->role,
                    msg->type);
    else if (slot->req.user[0] && strcmp (slot->req.user, msg->iss) != 0
             && !s_forwarder (self, slot->req.user))
        xc_err_set (&err, XC_E_FORBIDDEN, "the connection's key belongs to '%s', not '%s'",
                    slot->req.user, msg->iss);
    else if (msg->out_of_range[0])   /* read as null: named here, where schema errors come */
        xc_err_set (&err, XC_E_SCHEMA, "%s", msg->out_of_range);
    else if (xc_schema_check (msg->data, slot->route->schema ? slot->route->schema : route_no_fields,
                              "data", &err) == 0)
        return;
    xc_info (msg->id, "refused '%s' from '%s': %s (%s)", msg->type, msg->iss, err.text,
             xc_code_name (err.code));
    slot->route = NULL;
    s_slot_fail (slot, &err);
}

/*  The last guard of the frame limit: a query's answer that would not fit in one reply (an
    object whose own lists grew past it; lists page themselves, common/page.h) is refused
    too_large rather than sent and dropped by a client that keeps to the limit. */
static bool
s_result_too_large (xc_service_t *self, slot_t *slot, const json_t *result)
{
    size_t max = xc_page_result_max (self->config->max_message_bytes);
    size_t bytes = xc_page_measure (result);
    if (bytes <= max)
        return false;
    xc_err_t err;
    xc_err_set (&err, XC_E_TOO_LARGE, "the answer to '%s' would be %zu bytes, above the %zu bytes one reply"
                " carries (limits.max_message_bytes %zu)", slot->msg->type, bytes, max,
                self->config->max_message_bytes);
    xc_warn (slot->msg->id, "%s", err.text);
    s_slot_fail (slot, &err);
    return true;
}

static void
s_run_query (xc_service_t *self, slot_t *slot)
{
    xc_call_t call = { .service = self, .msg = slot->msg };
    if (slot->route->handler (&call, self->def->state) != 0) {
        xc_info (slot->msg->id, "query '%s' from '%s' failed: %s (%s)", slot->msg->type,
                 slot->msg->iss, call.err.text, xc_code_name (call.err.code));
        s_slot_fail (slot, &call.err);
    }
    else if (call.result && s_result_too_large (self, slot, call.result))
        json_decref (call.result);
    else {
        xc_debug (slot->msg->id, "query '%s' from '%s' answered", slot->msg->type, slot->msg->iss);
        s_slot_answer (slot, "result", call.result ? call.result : json_object ());
    }
}

/*  One command inside the batch's transaction. */
static void
s_run_command (xc_service_t *self, slot_t *slot)
{
    const xc_msg_t *msg = slot->msg;
    const unsigned char *digest = slot->digest;
    xc_inbox_state_t state;
    char *first = NULL;
    xc_err_t err;
    if (xc_inbox_check (self->store, msg->iss, msg->id, digest, &state, &first, &err) != 0) {
        s_slot_fail (slot, &err);
        return;
    }
    if (state == XC_INBOX_REPLAYED) {
        xc_err_set (&err, XC_E_REPLAYED, "id '%s' was used before with another body", msg->id);
        s_slot_fail (slot, &err);
        return;
    }
    if (state == XC_INBOX_DUPLICATE) {
        json_t *result = json_loads (first, 0, NULL);
        free (first);
        if (!result) {
            xc_err_set (&err, XC_E_INTERNAL, "the stored result of '%s' is not json", msg->id);
            s_slot_fail (slot, &err);
            return;
        }
        xc_debug (msg->id, "'%s' from '%s' is a retry: the first result again", msg->type, msg->iss);
        s_slot_answer (slot, "ack", json_pack ("{s:s, s:o}", "status", "duplicate", "result", result));
        return;
    }
    if (xc_store_savepoint (self->store, &err) != 0) {
        s_slot_fail (slot, &err);
        return;
    }
    xc_call_t call = { .service = self, .msg = msg };
    char *result_text = NULL;
    int events_before = self->n_events;
    self->in_command = true;
    int rc = slot->route->handler (&call, self->def->state);
    if (rc == 0) {
        if (!call.result)
            call.result = json_object ();
        result_text = xc_json_text (call.result);
        rc = result_text ? 0 : xc_call_fail (&call, XC_E_INTERNAL, "result not serializable");
        /* an ack that would not fit in one reply (referral.get's whole referral) is refused,
           with its effects, rather than sent and dropped; the ack wraps it in 32 bytes */
        size_t max = xc_page_result_max (self->config->max_message_bytes);
        if (rc == 0 && strlen (result_text) + 32 > max)
            rc = xc_call_fail (&call, XC_E_TOO_LARGE, "the answer to '%s' would be %zu bytes, above the %zu"
                               " bytes one reply carries (limits.max_message_bytes %zu)", msg->type,
                               strlen (result_text) + 32, max, self->config->max_message_bytes);
    }
    char *kept_text = rc == 0 && call.kept ? xc_json_text (call.kept) : NULL;
    if (rc == 0 && call.kept && !kept_text)
        rc = xc_call_fail (&call, XC_E_INTERNAL, "kept result not serializable");
    if (rc == 0)
        rc = xc_inbox_record (self->store, msg->iss, msg->id, digest, msg->type, msg->raw,
                              xc_clock_wall (), kept_text ? kept_text : result_text, &call.err);
    free (kept_text);
    json_decref (call.kept);
    if (rc == 0)
        rc = xc_store_release (self->store, &call.err);
    self->in_command = false;
    /* a refusal that must be remembered (xc_call_fail_keep): its writes stay, it is answered
       with its error, and it is not recorded in the inbox (a retry is judged again) */
    if (rc != 0 && call.keep && !result_text && xc_store_release (self->store, &err) == 0) {
        xc_info (msg->id, "'%s' from '%s' refused, its writes kept: %s (%s)", msg->type, msg->iss,
                 call.err.text, xc_code_name (call.err.code));
        json_decref (call.result);
        s_slot_fail (slot, &call.err);
        return;
    }
    if (rc != 0) {
        free (result_text);
        xc_store_rollback_to (self->store);
        events_drop (self, events_before);
        xc_info (msg->id, "'%s' from '%s' failed: %s (%s)", msg->type, msg->iss, call.err.text,
                 xc_code_name (call.err.code));
        json_decref (call.result);
        s_slot_fail (slot, &call.err);
        return;
    }
    xc_debug (msg->id, "'%s' from '%s' ran, %d events; acknowledged after the commit", msg->type,
              msg->iss, self->n_events - events_before);
    json_decref (call.result);
    /* the reply's data around the result's text, which the inbox keeps too */
    xc_buf_t reply = { 0 };
    xc_buf_puts (&reply, "{\"status\":\"accepted\",\"result\":");
    xc_buf_puts (&reply, result_text);
    xc_buf_puts (&reply, "}");
    free (result_text);
    if (reply.failed) {
        xc_buf_free (&reply);
        xc_err_set (&err, XC_E_INTERNAL, "out of memory");
        s_slot_fail (slot, &err);
        return;
    }
    s_slot_answer (slot, "ack", NULL);
    slot->reply_text = reply.data;
}

static void
s_run_commands (xc_service_t *self, slot_t *slots, int n)
{
    xc_err_t err;
    if (xc_store_begin (self->store, &err) != 0) {
        for (int i = 0; i < n; i++)
            if (slots[i].route && slots[i].route->kind == XC_COMMAND)
                s_slot_fail (&slots[i], &err);
        return;
    }
    self->in_tx = true;
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        if (!slots[i].route || slots[i].route->kind != XC_COMMAND)
            continue;
        if (self->n_events >= EVENTS_CHUNK)
            rc = events_append (self, &err);
        if (rc == 0)
            s_run_command (self, &slots[i]);
    }
    if (rc != 0)
        tx_rollback (self);
    if (rc != 0 || tx_commit (self, &err) != 0) {
        xc_error (NULL, "commit of %d requests failed: %s", n, err.text);
        xc_err_set (&err, XC_E_UNAVAILABLE, "the commit failed; retry with the same id");
        for (int i = 0; i < n; i++)
            if (slots[i].route && slots[i].route->kind == XC_COMMAND)
                s_slot_fail (&slots[i], &err);
        return;
    }
    commit_note (self);
}

/*  On a verifier thread, after the commit: signs one reply (the other costly part), and frees
    the request's message, which was most likely made on this thread too (freeing another
    thread's memory costs the loop's thread a lock per block). */
static void
s_seal_one (void *arg, size_t i)
{
    opening_t *opening = arg;
    slot_t *slot = &opening->slots[i];
    xc_msg_destroy (&slot->msg);
    slot->sealed = message_seal (opening->self, NULL, slot->to, slot->reply_type, slot->corr, true,
                           slot->reply, slot->reply_text, &slot->sealed_len, &slot->seal_err);
}

/*  On the loop's thread: the socket is not shared. */
static void
s_send_reply (xc_service_t *self, slot_t *slot)
{
    xc_err_t err;
    if (!slot->sealed) {
        xc_error (slot->corr, "unable to sign a reply: %s", slot->seal_err.text);
        return;
    }
    if (xc_server_reply (self->server, &slot->req, slot->sealed, slot->sealed_len, &err) != 0)
        xc_warn (slot->corr, "reply to '%s' dropped: %s", slot->to, err.text);
    free (slot->sealed);
    slot->sealed = NULL;
}

/* ---------------------------------------------------------------- the pipeline */

/*  Batches go through three stages, so that the verifier threads open the next batch and sign
    the last one's replies while the loop's thread runs a batch and waits for its commit:
      opening   its envelopes are being opened on the pool (job: s_open_one);
      run       on the loop's thread, inside s_pipeline_run: admitted, run, committed;
      sealing   its replies are being signed on the pool (job: s_seal_one), then sent.
    The batches are a ring, oldest first, each stage after the one before. */

static batch_t *
s_pipeline_at (pipeline_t *pipe, int k)
{
    return &pipe->batches[(pipe->first + k) % PIPELINE_BATCHES];
}

/*  The oldest batch still opening, or NULL. */
batch_t *
pipeline_opening (pipeline_t *pipe, int *newer_p)
{
    for (int k = 0; k < pipe->count; k++) {
        batch_t *batch = s_pipeline_at (pipe, k);
        if (batch->stage == STAGE_OPENING) {
            *newer_p = pipe->count - k - 1;
            return batch;
        }
    }
    return NULL;
}

/*  Starts opening n requests as the newest batch. */
void
pipeline_open (xc_service_t *self, pipeline_t *pipe, const xc_request_t *reqs, int n)
{
    batch_t *batch = s_pipeline_at (pipe, pipe->count++);
    for (int i = 0; i < n; i++)
        batch->slots[i].req = reqs[i];
    batch->n = n;
    batch->stage = STAGE_OPENING;
    batch->opening = (opening_t) { .self = self, .slots = batch->slots, .verify = {
        .registry = self->registry, .audience = self->def->name, .now = xc_clock_wall (),
        .skew = self->config->clock_skew_seconds,
        .max_lifetime = self->config->max_lifetime_seconds,
        .max_size = self->config->max_message_bytes, .defer_range = true,
        .possession = self->possession,
    } };
    xc_pool_submit (self->verifiers, &batch->job, s_open_one, &batch->opening, (size_t) n);
}

/*  On the loop's thread: admits and runs an opened batch, commits it, and starts signing its
    replies. Its messages are freed here: nothing after this stage reads the registry. */
static void
s_pipeline_run (xc_service_t *self, batch_t *batch)
{
    xc_pool_wait (self->verifiers, &batch->job);
    slot_t *slots = batch->slots;
    int n = batch->n;
    int64_t head_before = 0, head_after = 0;
    xc_outbox_head (self->store, &head_before, NULL);
    bool commands = false;
    for (int i = 0; i < n; i++) {
        s_admit (self, &slots[i]);
        if (!slots[i].route)
            continue;
        if (slots[i].route->kind == XC_QUERY)
            s_run_query (self, &slots[i]);
        else
            commands = true;
    }
    if (commands)
        s_run_commands (self, slots, n);
    for (int i = 0; i < n; i++) {
        if (!slots[i].reply && !slots[i].reply_text)
            slots[i].reply = json_object ();
        slots[i].route = NULL;
    }
    batch->stage = STAGE_SEALING;
    xc_pool_submit (self->verifiers, &batch->job, s_seal_one, &batch->opening, (size_t) n);
    xc_outbox_head (self->store, &head_after, NULL);
    if (head_after != head_before)
        head_publish (self);
}

/*  Frees the oldest batch, which must be sealing, after sending its replies (if send). */
void
pipeline_retire (xc_service_t *self, pipeline_t *pipe, bool send)
{
    batch_t *batch = s_pipeline_at (pipe, 0);
    xc_pool_wait (self->verifiers, &batch->job);
    for (int i = 0; i < batch->n; i++) {
        slot_t *slot = &batch->slots[i];
        if (batch->stage == STAGE_SEALING && send)
            s_send_reply (self, slot);
        free (slot->sealed);
        xc_request_clear (&slot->req);
        xc_msg_destroy (&slot->msg);
        json_decref (slot->reply);
        free (slot->reply_text);
        memset (slot, 0, sizeof *slot);
    }
    batch->stage = STAGE_FREE;
    batch->n = 0;
    pipe->first = (pipe->first + 1) % PIPELINE_BATCHES;
    pipe->count--;
}

/*  One step after a poll that brought `received` new requests: runs the oldest opened batch
    once a newer one is opening behind it (so the pool has work meanwhile), or when nothing
    new came or the ring is full; then sends every finished batch's replies. With nothing new
    and nothing to run, it waits for the oldest replies: the pipeline drains when idle. */
void
pipeline_step (xc_service_t *self, pipeline_t *pipe, int received)
{
    int newer = 0;
    batch_t *opening = pipeline_opening (pipe, &newer);
    if (opening && (newer > 0 || received == 0 || pipe->count == PIPELINE_BATCHES))
        s_pipeline_run (self, opening);
    else if (!opening && received == 0 && pipe->count > 0)
        xc_pool_wait (self->verifiers, &s_pipeline_at (pipe, 0)->job);
    while (pipe->count > 0 && s_pipeline_at (pipe, 0)->stage == STAGE_SEALING
           && xc_pool_finished (self->verifiers, &s_pipeline_at (pipe, 0)->job))
        pipeline_retire (self, pipe, true);
}
