/*  metrics.c: the gateway's counters, histogram and gauges in Prometheus text (see metrics.h). */
#include "services/gateway/metrics.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX 600
static const double s_bounds_ms[] = { 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000 };
#define N_BOUNDS (sizeof s_bounds_ms / sizeof s_bounds_ms[0])

struct metrics {
    const xc_config_t *cfg;
    size_t n;                        /* services */
    size_t n_routes;
    uint64_t *requests;              /* [route][status] */
    uint64_t *buckets;               /* [service][N_BOUNDS] (not cumulative) */
    uint64_t *count;                 /* [service] */
    double *sum_ms;                  /* [service] */
};

metrics_t *
metrics_new (const xc_config_t *cfg, size_t n_services)
{
    metrics_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = cfg;
    self->n = n_services;
    self->n_routes = ROUTE_SERVICES + 3 * n_services;
    self->requests = calloc (self->n_routes * STATUS_MAX, sizeof *self->requests);
    self->buckets = calloc ((n_services ? n_services : 1) * N_BOUNDS, sizeof *self->buckets);
    self->count = calloc (n_services ? n_services : 1, sizeof *self->count);
    self->sum_ms = calloc (n_services ? n_services : 1, sizeof *self->sum_ms);
    if (!self->requests || !self->buckets || !self->count || !self->sum_ms)
        metrics_destroy (&self);
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    metrics_t *self = *self_p;
    if (!self)
        return;
    free (self->requests);
    free (self->buckets);
    free (self->count);
    free (self->sum_ms);
    free (self);
    *self_p = NULL;
}

void
metrics_request (metrics_t *self, int route, int status)
{
    if (self && route >= 0 && (size_t) route < self->n_routes && status > 0 && status < STATUS_MAX)
        self->requests[(size_t) route * STATUS_MAX + (size_t) status]++;
}

void
metrics_latency (metrics_t *self, size_t service, double ms)
{
    if (!self || service >= self->n)
        return;
    size_t b = 0;
    while (b < N_BOUNDS && ms > s_bounds_ms[b])
        b++;
    if (b < N_BOUNDS)
        self->buckets[service * N_BOUNDS + b]++;
    self->count[service]++;
    self->sum_ms[service] += ms;
}

typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} out_t;

static void
s_out (out_t *o, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_out (out_t *o, const char *fmt, ...)
{
    if (o->failed)
        return;
    for (;;) {
        va_list ap;
        va_start (ap, fmt);
        int n = vsnprintf (o->text ? o->text + o->len : NULL, o->text ? o->cap - o->len : 0, fmt, ap);
        va_end (ap);
        if (n < 0) {
            o->failed = true;
            return;
        }
        if (o->text && o->len + (size_t) n < o->cap) {
            o->len += (size_t) n;
            return;
        }
        size_t cap = o->cap ? o->cap * 2 : 8192;
        while (cap < o->len + (size_t) n + 1)
            cap *= 2;
        char *text = realloc (o->text, cap);
        if (!text) {
            o->failed = true;
            return;
        }
        o->text = text;
        o->cap = cap;
    }
}

static void
s_route_name (const metrics_t *self, size_t route, char *name, size_t size)
{
    static const char *const fixed[] = { "other", "/healthz", "/v1/directory", "/v1/keys", "/metrics" };
    if (route < ROUTE_SERVICES)
        snprintf (name, size, "%s", fixed[route]);
    else if ((route - ROUTE_SERVICES) % 3 == 0)
        snprintf (name, size, "/v1/%s", self->cfg->services[(route - ROUTE_SERVICES) / 3].name);
    else if ((route - ROUTE_SERVICES) % 3 == 1)
        snprintf (name, size, "/v1/events/%s/hints", self->cfg->services[(route - ROUTE_SERVICES) / 3].name);
    else
        snprintf (name, size, "/v1/files/%s", self->cfg->services[(route - ROUTE_SERVICES) / 3].name);
}

char *
metrics_render (metrics_t *self, int in_flight, const hints_t *hints)
{
    out_t o = { 0 };
    s_out (&o, "# HELP xc_gateway_requests_total HTTP requests answered, by route and status.\n"
               "# TYPE xc_gateway_requests_total counter\n");
    for (size_t r = 0; r < self->n_routes; r++)
        for (int st = 0; st < STATUS_MAX; st++) {
            uint64_t v = self->requests[r * STATUS_MAX + (size_t) st];
            if (!v)
                continue;
            char name[160];
            s_route_name (self, r, name, sizeof name);
            s_out (&o, "xc_gateway_requests_total{route=\"%s\",status=\"%d\"} %llu\n", name, st,
                   (unsigned long long) v);
        }
    s_out (&o, "# HELP xc_gateway_forward_seconds Time from a POST's frame sent to its reply (or 504).\n"
               "# TYPE xc_gateway_forward_seconds histogram\n");
    for (size_t i = 0; i < self->n; i++) {
        const char *svc = self->cfg->services[i].name;
        uint64_t cum = 0;
        for (size_t b = 0; b < N_BOUNDS; b++) {
            cum += self->buckets[i * N_BOUNDS + b];
            s_out (&o, "xc_gateway_forward_seconds_bucket{service=\"%s\",le=\"%g\"} %llu\n", svc,
                   s_bounds_ms[b] / 1000.0, (unsigned long long) cum);
        }
        s_out (&o, "xc_gateway_forward_seconds_bucket{service=\"%s\",le=\"+Inf\"} %llu\n", svc,
               (unsigned long long) self->count[i]);
        s_out (&o, "xc_gateway_forward_seconds_sum{service=\"%s\"} %.6f\n", svc, self->sum_ms[i] / 1000.0);
        s_out (&o, "xc_gateway_forward_seconds_count{service=\"%s\"} %llu\n", svc,
               (unsigned long long) self->count[i]);
    }
    s_out (&o, "# HELP xc_gateway_in_flight POSTs waiting for their service's reply.\n"
               "# TYPE xc_gateway_in_flight gauge\nxc_gateway_in_flight %d\n", in_flight);
    s_out (&o, "# HELP xc_gateway_sse_clients Open hint streams (GET /v1/events/{service}/hints).\n"
               "# TYPE xc_gateway_sse_clients gauge\nxc_gateway_sse_clients %zu\n", hints_clients (hints));
    s_out (&o, "# HELP xc_gateway_head_seq The last head seq a service's PUB hint gave (absent: none yet).\n"
               "# TYPE xc_gateway_head_seq gauge\n");
    for (size_t i = 0; i < self->n; i++) {
        int64_t head = hints_head (hints, i);
        if (head >= 0)
            s_out (&o, "xc_gateway_head_seq{service=\"%s\"} %lld\n", self->cfg->services[i].name,
                   (long long) head);
    }
    /* Each consumer's lag: the source's head less what the consumer's own hint says it has
       applied. Both come from hints, which PUB may drop, so a lag is as fresh as the older of
       the two (at most a heartbeat, 1 s, behind); a head hint older than the offset reads 0. */
    s_out (&o, "# HELP xc_gateway_consumer_offset The last seq of source a service has applied, as its hint said.\n"
               "# TYPE xc_gateway_consumer_offset gauge\n"
               "# HELP xc_gateway_consumer_lag Events of source a service has yet to apply (source's head less the offset).\n"
               "# TYPE xc_gateway_consumer_lag gauge\n");
    for (size_t c = 0; c < self->n; c++)
        for (size_t src = 0; src < self->n; src++) {
            int64_t offset = hints_offset (hints, c, src), head = hints_head (hints, src);
            if (offset < 0)
                continue;
            const char *consumer = self->cfg->services[c].name, *source = self->cfg->services[src].name;
            s_out (&o, "xc_gateway_consumer_offset{service=\"%s\",source=\"%s\"} %lld\n", consumer,
                   source, (long long) offset);
            if (head >= 0)
                s_out (&o, "xc_gateway_consumer_lag{service=\"%s\",source=\"%s\"} %lld\n", consumer,
                       source, (long long) (head > offset ? head - offset : 0));
        }
    if (o.failed) {
        free (o.text);
        return NULL;
    }
    return o.text;
}
