/*  service.c: a service's start and stop, its poll loop and ticks, and xc_service_main
    (service.h). What a request, another service's event or a handler's call does is in the
    service_*.c files beside it; common/service_internal.h lists them and their order. */
#include "common/service.h"
#include "common/service_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/hash.h"
#include "common/inbox.h"
#include "common/json_read.h"
#include "common/json_text.h"
#include "common/keys.h"
#include "common/log.h"
#include "common/outbox.h"
#include "common/page.h"
#include "common/pool.h"
#include "common/transport.h"
#include "common/waiting.h"

/* ---------------------------------------------------------------- a tick */

static void
s_tick (xc_service_t *self)
{
    xc_call_t call = { .service = self };
    int64_t head_before = 0, head_after = 0;
    xc_outbox_head (self->store, &head_before, NULL);
    int rc = self->def->tick (&call, self->def->state);
    if (self->in_tx) {
        xc_err_t err;
        if (rc == 0 && tx_commit (self, &err) != 0)
            xc_error (NULL, "tick commit failed: %s", err.text);
        else if (rc != 0)
            tx_rollback (self);
        xc_outbox_head (self->store, &head_after, NULL);
        if (head_after != head_before)
            head_publish (self);
    }
    if (rc != 0)
        xc_error (NULL, "tick failed: %s", call.err.text);
    json_decref (call.result);
}

/* ---------------------------------------------------------------- events waiting for the calendar */

static void
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
static void
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
static void
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

static int
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

/* ---------------------------------------------------------------- start and stop */

static const char *
s_admit_key (void *arg, const char *z85)
{
    xc_service_t *self = arg;
    const xc_principal_t *p = xc_registry_curve_client (self->registry, z85);
    return p && !p->revoked ? p->iss : NULL;
}

static int
s_write_ready (xc_service_t *self, const char *path, xc_err_t *err)
{
    char tmp[4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    json_t *ready = json_pack ("{s:s, s:s, s:s, s:I}", "service", self->def->name, "api",
                               xc_server_api (self->server), "events",
                               xc_server_events (self->server), "pid", (json_int_t) getpid ());
    int rc = json_dump_file (ready, tmp, JSON_COMPACT);
    json_decref (ready);
    if (rc != 0 || rename (tmp, path) != 0)
        return xc_err_set (err, XC_E_IO, "unable to write '%s': %s", path, strerror (errno));
    return 0;
}

static int
s_start (xc_service_t *self, const char *config_path, xc_err_t *err)
{
    const char *name = self->def->name;
    if (xc_config_load (config_path, &self->config, err) != 0)
        return -1;
    self->conf = xc_config_service (self->config, name);
    if (!self->conf)
        return xc_err_set (err, XC_E_CONFIG, "'%s' has no services.%s", config_path, name);
    xc_log_level_t level = XC_LOG_INFO;
    xc_log_level_parse (self->config->log_level, &level);
    xc_log_init (name, level);
    if (xc_registry_load (self->config->registry, &self->registry, err) != 0
        || xc_key_load_jwk (&self->key, self->conf->key, err) != 0)
        return -1;
    const xc_pubkey_t *pub = xc_registry_key (self->registry, self->key.kid);
    if (!pub || strcmp (pub->owner->iss, name) != 0 || memcmp (pub->pk, self->key.pk, 32) != 0)
        return xc_err_set (err, XC_E_CONFIG, "the registry has no public key '%s' for '%s'",
                           self->key.kid, name);
    self->calendar_stamp = xc_calendar_stamp (self->config->calendar);
    if (xc_calendar_load (self->config->calendar, &self->calendar, err) != 0
        || xc_store_open (self->conf->database, self->def->migrations, self->def->n_migrations,
                          &self->store, err) != 0)
        return -1;
    /* SQLite's own threshold (1000 pages), only no longer inside a commit */
    if (xc_checkpointer_start (self->store, self->conf->database, 1000, &self->checkpointer, err) != 0)
        return -1;
    if (self->def->start && self->def->start (self, self->def->state, err) != 0)
        return -1;
    if (self->config->curve && xc_curve_load (&self->curve, self->conf->curve_key, err) != 0)
        return -1;
    if (consumers_start (self, err) != 0)
        return -1;
    if (self->def->event_object) {
        if (xc_waiting_init (self->store, err) != 0)
            return -1;
        waiting_recount (self);
    }
    if (xc_pool_new (self->config->verify_threads, &self->verifiers, err) != 0)
        return -1;
    xc_server_opts_t opts = {
        .api = self->conf->api_bind, .events = self->conf->events_bind,
        .curve = self->config->curve ? &self->curve : NULL,
        .admit = s_admit_key, .admit_arg = self,
        /* Frames up to 4x the limit are read and refused with too_large; beyond that the
           peer is dropped without reading the frame. */
        .max_frame = self->config->max_message_bytes * 4,
        /* The pipeline may send the replies of several batches while a client is still
           reading the ones before (ZeroMQ tells the sender of room freed only every half
           HWM): a client reading its replies never meets the limit; one that stops reading
           gets its replies dropped past it, and its retries answered duplicate. */
        .reply_hwm = PIPELINE_REPLY_HWM (self->config->batch_max),
    };
    return xc_server_new (&opts, &self->server, err);
}

static void
s_stop (xc_service_t *self)
{
    events_drop (self, 0);
    free (self->events);
    for (int i = 0; i < self->n_consumers; i++)
        xc_consumer_destroy (&self->consumers[i]);
    xc_server_destroy (&self->server);
    xc_pool_destroy (&self->verifiers);
    xc_checkpointer_destroy (&self->checkpointer);
    xc_store_close (&self->store);
    xc_calendar_destroy (&self->calendar);
    xc_key_wipe (&self->key);
    sodium_memzero (&self->curve, sizeof self->curve);
    xc_registry_destroy (&self->registry);
    xc_config_destroy (&self->config);
}

/*  Whether the registry may be reloaded now: opened messages point into it, so it waits until
    no batch is opening or waiting to run. */
static bool
s_registry_free (pipeline_t *pipe)
{
    int newer;
    return pipeline_opening (pipe, &newer) == NULL;
}

static void
s_loop (xc_service_t *self)
{
    const xc_config_t *cfg = self->config;
    pipeline_t pipe = { 0 };
    xc_request_t *reqs = calloc ((size_t) cfg->batch_max, sizeof *reqs);
    bool ok = reqs != NULL;
    for (int k = 0; k < PIPELINE_BATCHES; k++)
        ok = ok && (pipe.batches[k].slots = calloc ((size_t) cfg->batch_max, sizeof (slot_t)));
    if (!ok) {
        xc_error (NULL, "out of memory");
        goto done;
    }
    if (self->def->event_object)     /* what waited while the service was down */
        calendar_recheck (self, true);
    int64_t now = xc_clock_mono_ms ();
    int64_t next_tick = now + cfg->tick_ms, next_beat = now, next_refresh = now + 1000;
    bool refresh_due = false;
    while (!xc_signals_stopping ()) {
        now = xc_clock_mono_ms ();
        if (self->def->tick_within) {
            int within = self->def->tick_within (self->def->state);
            if (within >= 0 && now + within < next_tick)
                next_tick = now + within;
        }
        int64_t next = next_tick < next_beat ? next_tick : next_beat;
        next = next < next_refresh ? next : next_refresh;
        void *watch[2 * SOURCES_MAX];
        bool ready[2 * SOURCES_MAX];
        for (int i = 0; i < self->n_consumers; i++) {
            int64_t due = xc_consumer_due (self->consumers[i]);
            next = due < next ? due : next;
            watch[2 * i] = xc_consumer_dealer (self->consumers[i]);
            watch[2 * i + 1] = xc_consumer_sub (self->consumers[i]);
        }
        /* While batches are in flight the poll only looks; no new batch while the ring is
           full or the registry waits to be reloaded. */
        int timeout = pipe.count > 0 ? 0 : (int) (next > now ? next - now : 0);
        int max = pipe.count < PIPELINE_BATCHES && !refresh_due ? cfg->batch_max : 0;
        xc_err_t err;
        int n = xc_server_poll (self->server, timeout, watch, 2 * self->n_consumers, ready, reqs,
                                max, &err);
        if (n < 0) {
            xc_error (NULL, "%s", err.text);
            break;
        }
        if (n > 0)
            pipeline_open (self, &pipe, reqs, n);
        pipeline_step (self, &pipe, n);
        if (self->n_consumers)
            sources_consume (self);
        now = xc_clock_mono_ms ();
        if (now >= next_tick) {
            if (self->def->event_object)
                calendar_recheck (self, false);
            if (self->def->tick)
                s_tick (self);
            next_tick = now + cfg->tick_ms;
        }
        if (now >= next_beat) {
            head_publish (self);
            next_beat = now + cfg->heartbeat_ms;
        }
        if (now >= next_refresh) {
            refresh_due = xc_registry_stale (self->registry);
            next_refresh = now + 1000;
        }
        if (refresh_due && s_registry_free (&pipe)) {
            if (xc_registry_refresh (&self->registry, &err) < 0)
                xc_error (NULL, "registry not reloaded: %s", err.text);
            refresh_due = false;
        }
    }
    /* Stopping: what was committed gets its replies; what was not is left to the clients'
       retries. */
    while (pipe.count > 0)
        pipeline_retire (self, &pipe, true);
done:
    for (int k = 0; k < PIPELINE_BATCHES; k++)
        free (pipe.batches[k].slots);
    free (reqs);
}

static void
s_usage (const char *name)
{
    fprintf (stderr,
             "usage: xc-%s [--config FILE] [--ready-file FILE] [--test-mode "
             "[--fail-after-commit N]]\n"
             "  --config FILE       deployment config (default $XC_CONFIG, then config/local.json)\n"
             "  --ready-file FILE   written once the sockets are bound\n"
             "  --test-mode         lets tests move the clock; never in a deployment\n",
             name);
}

int
xc_service_main (const xc_service_def_t *def, int argc, char **argv)
{
    const char *config_path = getenv ("XC_CONFIG");
    const char *ready_path = NULL;
    xc_service_t self = { .def = def, .started = xc_clock_wall () };
    bool test_mode = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp (arg, "--test-mode") == 0)
            test_mode = true;
        else if (strcmp (arg, "--config") == 0 && value)
            config_path = argv[++i];
        else if (strcmp (arg, "--ready-file") == 0 && value)
            ready_path = argv[++i];
        else if (strcmp (arg, "--fail-after-commit") == 0 && value && atoi (value) > 0)
            self.fail_after_commit = atoi (argv[++i]);
        else {
            s_usage (def->name);
            return strcmp (arg, "--help") == 0 ? 0 : 2;
        }
    }
    if (self.fail_after_commit && !test_mode) {
        fprintf (stderr, "xc-%s: --fail-after-commit needs --test-mode\n", def->name);
        return 2;
    }
    if (!config_path)
        config_path = "config/local.json";
    xc_log_init (def->name, XC_LOG_INFO);
    if (sodium_init () < 0) {
        xc_error (NULL, "libsodium failed to initialise");
        return 1;
    }
    if (test_mode)
        xc_clock_enable_test_mode ();
    xc_signals_install ();
    xc_err_t err;
    int status = 0;
    if (s_start (&self, config_path, &err) != 0
        || (ready_path && s_write_ready (&self, ready_path, &err) != 0)) {
        xc_error (NULL, "not started: %s", err.text);
        status = 1;
    }
    else {
        xc_info (NULL, "serving on %s, events on %s%s%s", xc_server_api (self.server),
                 xc_server_events (self.server), self.config->curve ? ", curve on" : "",
                 test_mode ? ", TEST MODE" : "");
        s_loop (&self);
        xc_info (NULL, "stopped");
    }
    s_stop (&self);
    return status;
}

const xc_config_t *
xc_service_config (const xc_service_t *service)
{
    return service->config;
}

const xc_calendar_t *
xc_service_calendar (const xc_service_t *service)
{
    return service->calendar;
}

xc_store_t *
xc_service_store (xc_service_t *service)
{
    return service->store;
}
