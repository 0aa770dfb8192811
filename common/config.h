/*  config.h: one JSON file per deployment.

    {
      "deployment": "local",                    a name, shown in logs and health
      "utc_offset": "+08:00",                   local time of the deployment, for dates
      "registry": "principals.json",            the principal registry (keys.h)
      "calendar": "calendar",                   folder of working-day files (calendar.h)
      "log_level": "info",                      optional: debug | info | warn | error
      "curve": false,                           optional: CURVE encryption between services
      "limits": {                               optional, each member optional
        "max_message_bytes": 262144,            frames above are refused with too_large
        "clock_skew_seconds": 300,              allowed |iat - now|
        "max_lifetime_seconds": 3600,           allowed exp - iat
        "heartbeat_ms": 1000,                   PUB heartbeat period
        "tick_ms": 1000,                        timer period for deadlines
        "batch_max": 256,                       commands that may share one transaction
        "request_timeout_ms": 5000,             a client's total wait for an answer
        "pull_ms": 1000,                        a consumer pulls another service's events at
                                                least this often (hints wake it sooner)
        "verify_threads": 2,                    threads that open a batch's envelopes (the
                                                signatures); default: the cores, at most 4
        "calendar_check_ms": 60000              how often a service that reads events looks
                                                for new or changed calendar files
      },
      "services": {                             one member per service
        "echo": {
          "api": "tcp://127.0.0.1:7100",        ROUTER, commands and queries
          "events": "tcp://127.0.0.1:7101",     PUB, wake-up hints and heartbeat
          "api_bind": "tcp://0.0.0.0:7100",     optional: what the service binds when the
          "events_bind": "tcp://0.0.0.0:7101",  others reach it by another name (a container's
                                                host name); api and events by default
          "database": "../var/echo.db",         its own SQLite file
          "key": "keys/echo.jwk",               its Ed25519 signing key (private, 0600)
          "curve_key": "keys/echo.curve",       its CURVE keypair (required when curve is on)
          "secret_key": "keys/echo.secret"      optional: a symmetric key for data it encrypts
                                                at rest (keys.h, xc_secret_load)
        },
        "gateway": {                            optional: the HTTP gateway (services/gateway),
          "http": "127.0.0.1:7180",             not a ZeroMQ service: its HTTP address (host:port,
                                                port 0 picks one), and how long it waits for a
          "reply_timeout_ms": 5000,             service's reply (limits.request_timeout_ms by
                                                default). Not in services[] below.
          "limits": {...},                      optional: connections, rates, timeouts; and
          "tls": {"cert", "key", "client_ca"}   optional: HTTPS (docs/services/gateway.md); kept
                                                as written in cfg->gateway
          "curve_key": "keys/gateway.curve"     its CURVE keypair (required when curve is on: it
        }                                       connects as principal `gateway`, role gateway)
      },
      "policies": { ... }                       read and checked by the services that use them
    }

    Relative paths are resolved against the config file's folder. Unknown keys and wrong types
    are refused with a message naming the key. The policies object is checked by each service
    that reads it (xc_schema_check over its own part), since only it knows its shape.
*/
#ifndef XC_CONFIG_H
#define XC_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/schema.h"

typedef struct {
    char *name;
    char *api;                       /* endpoint strings as written */
    char *events;                    /* NULL when absent */
    char *api_bind;                  /* what the service binds: api_bind, else api */
    char *events_bind;               /* events_bind, else events; NULL when events is absent */
    char *database;                  /* absolute or as resolved against the config folder */
    char *key;
    char *curve_key;                 /* NULL when absent */
    char *secret_key;                /* NULL when absent */
} xc_service_conf_t;

typedef struct {
    char *path;                      /* the file loaded */
    char *deployment;
    int utc_offset;                  /* seconds east of UTC */
    char *registry;                  /* resolved path */
    char *calendar;                  /* resolved path */
    char *log_level;                 /* "info" when absent */
    bool curve;
    size_t max_message_bytes;
    int clock_skew_seconds;
    int max_lifetime_seconds;
    int heartbeat_ms;
    int tick_ms;
    int batch_max;
    int request_timeout_ms;
    int pull_ms;
    int verify_threads;
    int calendar_check_ms;
    xc_service_conf_t *services;
    size_t n_services;
    char *gateway_http;              /* services.gateway.http; NULL when absent */
    int gateway_reply_timeout_ms;
    int gateway_sse_clients;         /* services.gateway.sse_clients (256) */
    int gateway_sse_heartbeat_ms;    /* services.gateway.sse_heartbeat_ms (15000) */
    json_t *gateway;                 /* services.gateway as written (limits, tls); NULL when absent */
    char *gateway_curve_key;         /* services.gateway.curve_key resolved; NULL when absent */
    json_t *policies;                /* borrowed from root; an empty object when absent */
    json_t *root;                    /* the whole document */
} xc_config_t;

/*  Loads and checks path. Caller owns *cfg_p (xc_config_destroy). */
int xc_config_load (const char *path, xc_config_t **cfg_p, xc_err_t *err);
void xc_config_destroy (xc_config_t **cfg_p);

/*  The service of that name, or NULL. Borrowed from cfg. */
const xc_service_conf_t *xc_config_service (const xc_config_t *cfg, const char *name);

/*  A service's policies.<name>, checked against fields: the section, or an empty object when
    the config has none (checked too: a required member is then missing). Caller owns the
    result (json_decref). NULL when it does not match, with err (XC_E_CONFIG) naming the key. */
json_t *xc_config_policy (const xc_config_t *cfg, const char *name, const xc_field_t *fields,
                          xc_err_t *err);

/*  Resolves a path written in the config file against its folder. Caller owns the result. */
char *xc_config_resolve (const xc_config_t *cfg, const char *path);

#endif
