/*  metrics.h: GET /metrics, Prometheus text format 0.0.4 (docs/services/gateway.md, "Metrics").

    Routes are a fixed set (bounded labels): "other" (any path that is none of the routes),
    /healthz, /v1/directory, /v1/keys, /metrics, then /v1/<service> and
    /v1/events/<service>/hints and /v1/files/<service> for each service of the deployment. */
#ifndef XC_GATEWAY_METRICS_H
#define XC_GATEWAY_METRICS_H

#include "common/config.h"
#include "services/gateway/hints.h"

#include <stddef.h>

typedef struct metrics metrics_t;

enum { ROUTE_OTHER, ROUTE_HEALTHZ, ROUTE_DIRECTORY, ROUTE_KEYS, ROUTE_METRICS, ROUTE_SERVICES };
#define ROUTE_POST(i) (ROUTE_SERVICES + 3 * (i))
#define ROUTE_HINTS(i) (ROUTE_SERVICES + 3 * (i) + 1)
#define ROUTE_FILES(i) (ROUTE_SERVICES + 3 * (i) + 2)

metrics_t *metrics_new (const xc_config_t *cfg, size_t n_services);
void metrics_destroy (metrics_t **self_p);

/*  A request answered (counted when it completes) with its route and status. */
void metrics_request (metrics_t *self, int route, int status);

/*  A forwarded POST answered (a reply, or 504) after ms milliseconds from being sent. */
void metrics_latency (metrics_t *self, size_t service, double ms);

/*  The text of /metrics (caller frees), with the gauges of now. */
char *metrics_render (metrics_t *self, int in_flight, const hints_t *hints);

#endif
