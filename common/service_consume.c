/*  service_consume.c: other services' events, applied a batch at a time with the source's
    offset; an event that needs a calendar file not there yet parked (common/waiting.h), with
    the later events about the same object behind it, and tried again when the calendar folder
    changes. Private to the service*.c files (service_internal.h); it calls service_call.c only. */
#include "common/service.h"
#include "common/service_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/waiting.h"

/* ---------------------------------------------------------------- events waiting for the calendar */

void
waiting_recount (xc_service_t *self)
{
    int64_t oldest;
    xc_err_t err;
    if (xc_waiting_count (self->store, &self->n_waiting, &oldest, &err) != 0)
        xc_error (NULL, "%s", err.text);
}

/*  Parks event (inside the batch's or the retry's transaction) and tells the office once per
    event (a keyed calendar.waiting). */
static int
s_park (xc_service_t *self, xc_call_t *call, const char *source, const xc_event_t *event,
        const char *object, const char *why)
{
    char reason[sizeof call->err.text];
    snprintf (reason, sizeof reason, "%s", why);
    if (xc_waiting_park (self->store, source, event->seq, event->type, object, event->msg->raw,
                         reason, xc_clock_wall (), &call->err) != 0)
        return -1;
    xc_warn (event->msg->id, "%s event %lld (%s) waits: %s", source, (long long) event->seq,
             event->type, reason);
    char key[XC_NAME_MAX + 64];
    snprintf (key, sizeof key, "calendar.waiting:%s:%lld", source, (long long) event->seq);
    json_t *data = json_pack ("{s:s, s:I, s:s, s:s, s:s}", "event_source", source, "event_seq",
                              (json_int_t) event->seq, "event_type", event->type, "object", object,
                              "reason", reason);
    int rc = data ? xc_call_emit (call, "calendar.waiting", self->def->waiting_visibility, key, data)
                  : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    json_decref (data);
    return rc;
}

/*  Applies one event in a savepoint of its own: an event about an object an earlier one
    waits for is parked behind it; one that waits for the calendar is parked; any other
    failure fails the batch. */
static int
s_apply_one (xc_service_t *self, xc_call_t *call, const char *source, const xc_event_t *event)
{
    char object[128] = "";
    if (event->msg)
        self->def->event_object (source, event, object, sizeof object, self->def->state);
    if (object[0] && self->n_waiting > 0) {
        int64_t first;
        if (xc_waiting_first (self->store, source, object, &first, &call->err) != 0)
            return -1;
        if (first) {
            char why[160];
            snprintf (why, sizeof why, "behind %s event %lld about %.80s, which waits", source,
                      (long long) first, object);
            return s_park (self, call, source, event, object, why);
        }
    }
    if (xc_store_savepoint (self->store, &call->err) != 0)
        return -1;
    int events_before = self->n_events;
    call->waiting = false;
    self->in_command = true;
    int rc = self->def->apply (call, source, event, self->def->state);
    self->in_command = false;
    if (rc == 0)
        return xc_store_release (self->store, &call->err);
    xc_store_rollback_to (self->store);
    events_drop (self, events_before);
    if (!call->waiting || !event->msg)
        return -1;
    /* counted at once: a later event of this batch about the same object parks behind it */
    self->n_waiting++;
    return s_park (self, call, source, event, object, call->err.text);
}

/*  Applies what waits, in (source, seq) order, in one transaction: an object whose earlier
    event still waits keeps its later ones parked. */
static void
s_waiting_retry (xc_service_t *self)
{
    xc_call_t call = { .service = self };
    json_t *blocked = json_object ();
    int64_t head_before = 0, head_after = 0;
    xc_outbox_head (self->store, &head_before, NULL);
    int applied = 0, rc = xc_store_begin (self->store, &call.err);
    self->in_tx = rc == 0;
    char after[XC_NAME_MAX] = "";
    int64_t after_seq = 0;
    while (rc == 0) {
        xc_waiting_t *rows;
        int n;
        if ((rc = xc_waiting_list (self->store, after, after_seq, 100, &rows, &n, &call.err)) != 0 || n == 0)
            break;
        for (int i = 0; rc == 0 && i < n; i++) {
            xc_waiting_t *row = &rows[i];
            snprintf (after, sizeof after, "%s", row->source);
            after_seq = row->seq;
            char key[XC_NAME_MAX + 140];
            snprintf (key, sizeof key, "%s\n%s", row->source, row->object);
            if (row->object[0] && json_object_get (blocked, key))
                continue;
            xc_verify_t v = { .registry = self->registry, .stored = true, .now = xc_clock_wall (),
                              .max_size = self->config->max_message_bytes };
            xc_event_t event = { .seq = row->seq };
            snprintf (event.type, sizeof event.type, "%s", row->type);
            xc_err_t err;
            if (xc_envelope_open (row->message, strlen (row->message), &v, &event.msg, &err) != 0) {
                xc_error (NULL, "waiting %s event %lld no longer opens: %s", row->source,
                          (long long) row->seq, err.text);
                json_object_set_new (blocked, key, json_true ());
                continue;
            }
            call.cause = event.msg->id;
            if (xc_store_savepoint (self->store, &call.err) != 0) {
                rc = -1;
                xc_msg_destroy (&event.msg);
                break;
            }
            int events_before = self->n_events;
            call.waiting = false;
            self->in_command = true;
            int applied_rc = self->def->apply (&call, row->source, &event, self->def->state);
            self->in_command = false;
            json_decref (call.result);
            call.result = NULL;
            if (applied_rc == 0 && xc_store_release (self->store, &call.err) == 0) {
                rc = xc_waiting_done (self->store, row->source, row->seq, &call.err);
                applied++;
                xc_info (event.msg->id, "waiting %s event %lld (%s) applied", row->source,
                         (long long) row->seq, row->type);
            }
            else {
                xc_store_rollback_to (self->store);
                events_drop (self, events_before);
                if (!call.waiting)
                    xc_error (event.msg->id, "waiting %s event %lld (%s) failed: %s", row->source,
                              (long long) row->seq, row->type, call.err.text);
                else
                    rc = xc_waiting_park (self->store, row->source, row->seq, row->type, row->object,
                                          row->message, call.err.text, 0, &call.err);
                json_object_set_new (blocked, key, json_true ());
            }
            xc_msg_destroy (&event.msg);
        }
        xc_waiting_free (rows, n);
    }
    json_decref (blocked);
    if (rc == 0 && self->in_tx)
        rc = tx_commit (self, &call.err);
    else if (self->in_tx)
        tx_rollback (self);
    self->in_tx = false;
    if (rc != 0) {
        xc_error (NULL, "the waiting events were not retried: %s", call.err.text);
        return;
    }
    commit_note (self);
    waiting_recount (self);
    xc_outbox_head (self->store, &head_after, NULL);
    if (head_after != head_before)
        head_publish (self);
    if (applied)
        xc_info (NULL, "%d waiting events applied, %lld still wait", applied, (long long) self->n_waiting);
}

/*  Every limits.calendar_check_ms: a calendar folder that changed is loaded (a bad file is
    logged and the calendar kept), and what waits is tried again. */
void
calendar_recheck (xc_service_t *self, bool force)
{
    int64_t now = xc_clock_mono_ms ();
    if (!force && now < self->calendar_check)
        return;
    self->calendar_check = now + self->config->calendar_check_ms;
    uint64_t stamp = xc_calendar_stamp (self->config->calendar);
    if (stamp != self->calendar_stamp) {
        self->calendar_stamp = stamp;
        xc_calendar_t *calendar;
        xc_err_t err;
        if (xc_calendar_load (self->config->calendar, &calendar, &err) != 0) {
            xc_error (NULL, "calendar not reloaded (the one loaded before stays): %s", err.text);
            return;
        }
        xc_calendar_destroy (&self->calendar);
        self->calendar = calendar;
        xc_info (NULL, "calendar folder '%s' reloaded", self->config->calendar);
        force = true;
    }
    if (force && self->n_waiting > 0)
        s_waiting_retry (self);
}

/* ---------------------------------------------------------------- other services' events */

/*  One batch of a source's events and the source's new offset, in one transaction. */
static void
s_apply_batch (xc_service_t *self, xc_consumer_t *consumer, const xc_event_t *events, int n)
{
    const char *source = xc_consumer_source (consumer);
    xc_call_t call = { .service = self };
    int64_t head_before = 0, head_after = 0;
    xc_outbox_head (self->store, &head_before, NULL);
    int rc = xc_store_begin (self->store, &call.err);
    self->in_tx = rc == 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        call.cause = events[i].msg ? events[i].msg->id : NULL;
        rc = self->def->event_object ? s_apply_one (self, &call, source, &events[i])
                                     : self->def->apply (&call, source, &events[i], self->def->state);
        json_decref (call.result);
        call.result = NULL;
    }
    if (rc == 0)
        rc = xc_offset_save (self->store, source, events[n - 1].seq, &call.err);
    if (rc == 0)
        rc = tx_commit (self, &call.err);
    else if (self->in_tx)
        tx_rollback (self);
    self->in_tx = false;
    if (self->def->event_object)
        waiting_recount (self);
    if (rc != 0) {
        xc_consumer_failed (consumer, call.err.text);
        return;
    }
    commit_note (self);
    xc_consumer_applied (consumer, events[n - 1].seq);
    xc_outbox_head (self->store, &head_after, NULL);
    if (head_after != head_before)
        head_publish (self);
}

/*  Each consumer: hints, pulls, and the batches that came back. */
void
sources_consume (xc_service_t *self)
{
    for (int i = 0; i < self->n_consumers; i++) {
        xc_consumer_t *consumer = self->consumers[i];
        xc_consumer_work (consumer, self->registry);
        xc_event_t *events;
        int n;
        while (xc_consumer_take (consumer, self->registry, &events, &n) == 1) {
            s_apply_batch (self, consumer, events, n);
            xc_events_free (events, n);
            xc_consumer_work (consumer, self->registry);
        }
    }
}

int
consumers_start (xc_service_t *self, xc_err_t *err)
{
    const xc_config_t *cfg = self->config;
    for (const char *const *source = self->def->sources; source && *source; source++) {
        if (self->n_consumers == SOURCES_MAX)
            return xc_err_set (err, XC_E_CONFIG, "more than %d sources", SOURCES_MAX);
        const xc_service_conf_t *conf = xc_config_service (cfg, *source);
        if (!conf)
            return xc_err_set (err, XC_E_CONFIG, "services.%s: missing ('%s' reads its events)",
                               *source, self->def->name);
        const xc_principal_t *p = xc_registry_principal (self->registry, *source);
        if (cfg->curve && (!p || !p->curve[0]))
            return xc_err_set (err, XC_E_CONFIG, "the registry has no curve key for '%s'", *source);
        xc_consumer_opts_t opts = {
            .source = *source, .api = conf->api, .events = conf->events, .self = self->def->name,
            .key = &self->key, .curve = cfg->curve ? &self->curve : NULL,
            .server_key = cfg->curve ? p->curve : NULL, .pull_ms = cfg->pull_ms,
            .timeout_ms = cfg->request_timeout_ms, .batch = 200,
            .skew = cfg->clock_skew_seconds, .max_lifetime = cfg->max_lifetime_seconds,
            .max_size = cfg->max_message_bytes,
        };
        xc_consumer_t *consumer;
        int64_t offset;
        if (xc_offset_load (self->store, *source, &offset, err) != 0
            || xc_consumer_new (&opts, &consumer, err) != 0)
            return -1;
        xc_consumer_set_offset (consumer, offset);
        self->consumers[self->n_consumers++] = consumer;
    }
    if (self->n_consumers && !self->def->apply)
        return xc_err_set (err, XC_E_INTERNAL, "sources without an apply function");
    return 0;
}
