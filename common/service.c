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
#include "common/log.h"
#include "common/outbox.h"
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
    if (self->def->event_object)
        waiting_recount (self);
    if (xc_pool_new (self->config->verify_threads, &self->verifiers, err) != 0)
        return -1;
    /* the routes whose signer may prove possession of an unregistered key: those admitting
       the pseudo-role (service.h, envelope.h) */
    self->possession = calloc (self->def->n_routes + 1, sizeof *self->possession);
    if (!self->possession)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    for (size_t i = 0, n = 0; i < self->def->n_routes; i++)
        for (const char *const *r = self->def->routes[i].roles; r && *r; r++)
            if (strcmp (*r, XC_ROLE_ENROLLEE) == 0) {
                self->possession[n++] = self->def->routes[i].type;
                break;
            }
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
    free (self->possession);
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
