/*  config.c: loads and checks a deployment's configuration file (see config.h). */
#include "common/config.h"

#include "common/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const xc_field_t s_limit_fields[] = {
    { .name = "max_message_bytes", .type = XC_T_INTEGER, .min = 1024, .max = 16 * 1024 * 1024 },
    { .name = "clock_skew_seconds", .type = XC_T_INTEGER, .min = 1, .max = 3600 },
    { .name = "max_lifetime_seconds", .type = XC_T_INTEGER, .min = 1, .max = 86400 },
    { .name = "heartbeat_ms", .type = XC_T_INTEGER, .min = 50, .max = 60000 },
    { .name = "tick_ms", .type = XC_T_INTEGER, .min = 10, .max = 60000 },
    { .name = "batch_max", .type = XC_T_INTEGER, .min = 1, .max = 10000 },
    { .name = "request_timeout_ms", .type = XC_T_INTEGER, .min = 100, .max = 600000 },
    { .name = "pull_ms", .type = XC_T_INTEGER, .min = 10, .max = 600000 },
    { .name = "verify_threads", .type = XC_T_INTEGER, .min = 1, .max = 64 },
    { .name = "calendar_check_ms", .type = XC_T_INTEGER, .min = 100, .max = 86400000 },
    { .name = NULL }
};

static const xc_field_t s_service_fields[] = {
    { .name = "api", .type = XC_T_STRING, .required = true, .max = 1024 },
    { .name = "events", .type = XC_T_STRING, .max = 1024 },
    { .name = "api_bind", .type = XC_T_STRING, .max = 1024 },
    { .name = "events_bind", .type = XC_T_STRING, .max = 1024 },
    { .name = "database", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "key", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "curve_key", .type = XC_T_STRING, .min = 1, .max = 4096 },
    { .name = "secret_key", .type = XC_T_STRING, .min = 1, .max = 4096 },
    { .name = NULL }
};

/* services.gateway is the HTTP gateway (services/gateway): an HTTP address, not a ZeroMQ
   service; it is taken out of the services before they are checked and filled. */
/* services.gateway.limits and .tls: read by services/gateway/limits.c and tls.c */
static const xc_field_t s_gateway_limit_fields[] = {
    { .name = "connections", .type = XC_T_INTEGER, .min = 1, .max = 65536 },
    { .name = "connections_per_address", .type = XC_T_INTEGER, .min = 1, .max = 65536 },
    { .name = "connection_memory_bytes", .type = XC_T_INTEGER, .min = 4096, .max = 16 * 1024 * 1024 },
    { .name = "idle_timeout_seconds", .type = XC_T_INTEGER, .min = 1, .max = 3600 },
    { .name = "header_timeout_seconds", .type = XC_T_INTEGER, .min = 1, .max = 3600 },
    { .name = "requests_per_second", .type = XC_T_INTEGER, .min = 0, .max = 1000000 },
    { .name = "burst", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "addresses_tracked", .type = XC_T_INTEGER, .min = 16, .max = 1000000 },
    { .name = NULL }
};
static const xc_field_t s_gateway_tls_fields[] = {
    { .name = "cert", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "key", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "client_ca", .type = XC_T_STRING, .min = 1, .max = 4096 },
    { .name = "require_client_cert", .type = XC_T_BOOLEAN },
    { .name = NULL }
};
/* the public channel (services/gateway/public.c checks the ranges and gives the defaults) */
static const xc_field_t s_gateway_public_fields[] = {
    { .name = "key", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "base_url", .type = XC_T_STRING, .required = true, .min = 8, .max = 200 },
    { .name = "pwhash_ops", .type = XC_T_INTEGER, .min = 1, .max = 20 },
    { .name = "pwhash_mem_bytes", .type = XC_T_INTEGER, .min = 8192, .max = 1024 * 1024 * 1024 },
    { .name = "pow_bits", .type = XC_T_INTEGER, .min = 0, .max = 32 },
    { .name = "pow_bits_burst", .type = XC_T_INTEGER, .min = 0, .max = 32 },
    { .name = "pow_ttl_seconds", .type = XC_T_INTEGER, .min = 10, .max = 86400 },
    { .name = "burst_reports_per_minute", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "requests_per_minute", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "receipts_per_minute", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "reports_per_hour", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "upload_bytes_per_hour", .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX },
    { .name = "addresses_tracked", .type = XC_T_INTEGER, .min = 8, .max = 1 << 22 },
    { .name = "pow_used_max", .type = XC_T_INTEGER, .min = 8, .max = 1 << 24 },
    { .name = NULL }
};
static const xc_field_t s_gateway_fields[] = {
    { .name = "http", .type = XC_T_STRING, .required = true, .min = 3, .max = 300 },
    { .name = "reply_timeout_ms", .type = XC_T_INTEGER, .min = 10, .max = 600000 },
    { .name = "sse_clients", .type = XC_T_INTEGER, .min = 0, .max = 100000 },
    { .name = "sse_heartbeat_ms", .type = XC_T_INTEGER, .min = 100, .max = 600000 },
    { .name = "limits", .type = XC_T_OBJECT, .fields = s_gateway_limit_fields },
    { .name = "tls", .type = XC_T_OBJECT, .fields = s_gateway_tls_fields },
    { .name = "curve_key", .type = XC_T_STRING, .min = 1, .max = 4096 },
    { .name = "web", .type = XC_T_STRING, .min = 1, .max = 4096 },
    { .name = "web_max_bytes", .type = XC_T_INTEGER, .min = 1, .max = 1024 * 1024 * 1024 },
    { .name = "public", .type = XC_T_OBJECT, .fields = s_gateway_public_fields },
    { .name = NULL }
};

static const xc_field_t s_service = { .name = "service", .type = XC_T_OBJECT,
                                      .fields = s_service_fields };
static const xc_field_t s_policy = { .name = "policy", .type = XC_T_ANY };
static const char *const s_levels[] = { "debug", "info", "warn", "error", NULL };

static const xc_field_t s_config_fields[] = {
    { .name = "deployment", .type = XC_T_STRING, .required = true, .min = 1, .max = 64 },
    { .name = "utc_offset", .type = XC_T_STRING, .required = true },
    { .name = "registry", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "calendar", .type = XC_T_STRING, .required = true, .min = 1, .max = 4096 },
    { .name = "log_level", .type = XC_T_STRING, .one_of = s_levels },
    { .name = "curve", .type = XC_T_BOOLEAN },
    { .name = "limits", .type = XC_T_OBJECT, .fields = s_limit_fields },
    { .name = "services", .type = XC_T_MAP, .required = true, .max = 64, .items = &s_service },
    { .name = "policies", .type = XC_T_MAP, .items = &s_policy },
    { .name = NULL }
};

/* Every error names the file first: "'config/local.json': limits.tick_ms: ..." */
static int
s_fail (xc_err_t *err, xc_code_t code, const char *path, const char *fmt, ...)
{
    char text[sizeof err->text];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    return xc_err_set (err, code, "'%.120s': %s", path, text);
}

/* "+08:00" -> 28800 */
static int
s_parse_offset (const char *text, int *offset)
{
    if (strlen (text) != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':')
        return -1;
    for (int i = 1; i < 6; i++)
        if (i != 3 && (text[i] < '0' || text[i] > '9'))
            return -1;
    int hh = (text[1] - '0') * 10 + (text[2] - '0');
    int mm = (text[4] - '0') * 10 + (text[5] - '0');
    if (hh > 14 || mm > 59 || (hh == 14 && mm > 0))
        return -1;
    *offset = (hh * 3600 + mm * 60) * (text[0] == '-' ? -1 : 1);
    return 0;
}

/* [a-z][a-z0-9-]{0,30} */
static bool
s_valid_name (const char *name)
{
    size_t len = strlen (name);
    if (len < 1 || len > 31 || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '-'))
            return false;
    return true;
}

static bool
s_valid_endpoint (const char *text)
{
    static const char *const schemes[] = { "tcp://", "ipc://", "inproc://" };
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen (schemes[i]);
        if (strncmp (text, schemes[i], len) == 0 && text[len])
            return true;
    }
    return false;
}

static const char *
s_str (const json_t *object, const char *key)
{
    return json_string_value (json_object_get (object, key));
}

/* The checks the schema cannot express. */
static int
s_check_values (const json_t *root, const char *path, xc_err_t *err)
{
    int offset;
    if (s_parse_offset (s_str (root, "utc_offset"), &offset) != 0)
        return s_fail (err, XC_E_CONFIG, path, "utc_offset: '%.20s' is not +hh:mm or -hh:mm",
                       s_str (root, "utc_offset"));
    json_t *services = json_object_get (root, "services");
    if (json_object_size (services) == 0)
        return s_fail (err, XC_E_CONFIG, path, "services: at least one service is needed");
    bool curve = json_is_true (json_object_get (root, "curve"));
    const char *name;
    json_t *service;
    json_object_foreach (services, name, service) {
        if (!s_valid_name (name))
            return s_fail (err, XC_E_CONFIG, path,
                           "services.%.40s: a service name matches [a-z][a-z0-9-]{0,30}", name);
        static const char *const endpoints[] = { "api", "events", "api_bind", "events_bind" };
        for (size_t i = 0; i < 4; i++) {
            const char *value = s_str (service, endpoints[i]);
            if (value && !s_valid_endpoint (value))
                return s_fail (err, XC_E_CONFIG, path,
                               "services.%s.%s: '%.60s' is not a tcp://, ipc:// or inproc:// "
                               "endpoint", name, endpoints[i], value);
        }
        if (json_object_get (service, "events_bind") && !json_object_get (service, "events"))
            return s_fail (err, XC_E_CONFIG, path,
                           "services.%s.events_bind: set without events", name);
        if (curve && !json_object_get (service, "curve_key"))
            return s_fail (err, XC_E_CONFIG, path,
                           "services.%s.curve_key: missing (curve is on)", name);
    }
    return 0;
}

static char *
s_dup (const char *text)
{
    return text ? strdup (text) : NULL;
}

static int
s_limit (const json_t *root, const char *key, int fallback)
{
    json_t *value = json_object_get (json_object_get (root, "limits"), key);
    return value ? (int) json_integer_value (value) : fallback;
}

/* Fills cfg from a checked document; fails only when out of memory. */
static int
s_fill (xc_config_t *cfg, json_t *root)
{
    cfg->deployment = s_dup (s_str (root, "deployment"));
    s_parse_offset (s_str (root, "utc_offset"), &cfg->utc_offset);
    cfg->registry = xc_config_resolve (cfg, s_str (root, "registry"));
    cfg->calendar = xc_config_resolve (cfg, s_str (root, "calendar"));
    const char *level = s_str (root, "log_level");
    cfg->log_level = s_dup (level ? level : "info");
    cfg->curve = json_is_true (json_object_get (root, "curve"));
    cfg->max_message_bytes = (size_t) s_limit (root, "max_message_bytes", 262144);
    cfg->clock_skew_seconds = s_limit (root, "clock_skew_seconds", 300);
    cfg->max_lifetime_seconds = s_limit (root, "max_lifetime_seconds", 3600);
    cfg->heartbeat_ms = s_limit (root, "heartbeat_ms", 1000);
    cfg->tick_ms = s_limit (root, "tick_ms", 1000);
    cfg->batch_max = s_limit (root, "batch_max", 256);
    cfg->request_timeout_ms = s_limit (root, "request_timeout_ms", 5000);
    cfg->pull_ms = s_limit (root, "pull_ms", 1000);
    cfg->calendar_check_ms = s_limit (root, "calendar_check_ms", 60000);
    /* by default one verifier per core, at most four: the signatures are most of the work */
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    cfg->verify_threads = s_limit (root, "verify_threads", cores < 1 ? 1 : cores > 4 ? 4 : (int) cores);
    if (!cfg->deployment || !cfg->registry || !cfg->calendar || !cfg->log_level)
        return -1;

    json_t *services = json_object_get (root, "services");
    cfg->services = calloc (json_object_size (services), sizeof *cfg->services);
    if (!cfg->services)
        return -1;
    const char *name;
    json_t *service;
    json_object_foreach (services, name, service) {
        xc_service_conf_t *s = &cfg->services[cfg->n_services++];
        s->name = s_dup (name);
        s->api = s_dup (s_str (service, "api"));
        s->events = s_dup (s_str (service, "events"));
        s->api_bind = s_dup (s_str (service, json_object_get (service, "api_bind") ? "api_bind" : "api"));
        s->events_bind = s_dup (s_str (service, json_object_get (service, "events_bind") ? "events_bind"
                                                                                         : "events"));
        s->database = xc_config_resolve (cfg, s_str (service, "database"));
        s->key = xc_config_resolve (cfg, s_str (service, "key"));
        s->curve_key = xc_config_resolve (cfg, s_str (service, "curve_key"));
        s->secret_key = xc_config_resolve (cfg, s_str (service, "secret_key"));
        if (!s->name || !s->api || !s->api_bind || !s->database || !s->key
            || (json_object_get (service, "events") && (!s->events || !s->events_bind))
            || (json_object_get (service, "curve_key") && !s->curve_key)
            || (json_object_get (service, "secret_key") && !s->secret_key))
            return -1;
    }

    if (!json_object_get (root, "policies")
        && json_object_set_new (root, "policies", json_object ()) != 0)
        return -1;
    cfg->policies = json_object_get (root, "policies");
    return 0;
}

int
xc_config_load (const char *path, xc_config_t **cfg_p, xc_err_t *err)
{
    *cfg_p = NULL;
    json_error_t jerr;
    json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (json_error_code (&jerr) == json_error_cannot_open_file)
            return s_fail (err, XC_E_IO, path, "unable to open");
        return s_fail (err, XC_E_CONFIG, path, "line %d: %s", jerr.line, jerr.text);
    }
    xc_config_t *cfg = NULL;
    int rc = -1;
    xc_err_t serr;
    /* the gateway's entry is not a ZeroMQ service's: kept aside, checked by its own fields */
    json_t *services = json_object_get (root, "services");
    json_t *gateway = json_incref (json_object_get (services, "gateway"));
    if (gateway)
        json_object_del (services, "gateway");
    if (xc_schema_check (root, s_config_fields, "config", &serr) != 0) {
        /* the file is the subject already: "limits.tick_ms", not "config.limits.tick_ms" */
        const char *text = serr.text;
        if (strncmp (text, "config.", 7) == 0)
            text += 7;
        s_fail (err, XC_E_CONFIG, path, "%s", text);
        goto cleanup;
    }
    if (gateway && xc_schema_check (gateway, s_gateway_fields, "services.gateway", &serr) != 0) {
        s_fail (err, XC_E_CONFIG, path, "%s", serr.text);
        goto cleanup;
    }
    if (s_check_values (root, path, err) != 0)
        goto cleanup;
    cfg = calloc (1, sizeof *cfg);
    if (!cfg || !(cfg->path = strdup (path))) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    cfg->root = root;
    root = NULL;
    if (s_fill (cfg, cfg->root) != 0) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    if (gateway) {
        json_t *timeout = json_object_get (gateway, "reply_timeout_ms");
        cfg->gateway_http = strdup (json_string_value (json_object_get (gateway, "http")));
        cfg->gateway_reply_timeout_ms = timeout ? (int) json_integer_value (timeout)
                                                : cfg->request_timeout_ms;
        json_t *sse = json_object_get (gateway, "sse_clients");
        json_t *beat = json_object_get (gateway, "sse_heartbeat_ms");
        cfg->gateway_sse_clients = sse ? (int) json_integer_value (sse) : 256;
        cfg->gateway_sse_heartbeat_ms = beat ? (int) json_integer_value (beat) : 15000;
        const char *curve_key = json_string_value (json_object_get (gateway, "curve_key"));
        cfg->gateway_curve_key = curve_key ? xc_config_resolve (cfg, curve_key) : NULL;
        if (!cfg->gateway_http || (curve_key && !cfg->gateway_curve_key)) {
            xc_err_set (err, XC_E_INTERNAL, "out of memory");
            goto cleanup;
        }
        cfg->gateway = json_incref (gateway);
    }
    *cfg_p = cfg;
    cfg = NULL;
    rc = 0;
cleanup:
    xc_config_destroy (&cfg);
    json_decref (gateway);
    json_decref (root);
    return rc;
}

void
xc_config_destroy (xc_config_t **cfg_p)
{
    if (!cfg_p || !*cfg_p)
        return;
    xc_config_t *cfg = *cfg_p;
    for (size_t i = 0; i < cfg->n_services; i++) {
        xc_service_conf_t *s = &cfg->services[i];
        free (s->name);
        free (s->api);
        free (s->events);
        free (s->api_bind);
        free (s->events_bind);
        free (s->database);
        free (s->key);
        free (s->curve_key);
        free (s->secret_key);
    }
    free (cfg->services);
    free (cfg->path);
    free (cfg->deployment);
    free (cfg->registry);
    free (cfg->calendar);
    free (cfg->log_level);
    free (cfg->gateway_http);
    free (cfg->gateway_curve_key);
    json_decref (cfg->gateway);
    json_decref (cfg->root);
    free (cfg);
    *cfg_p = NULL;
}

const xc_service_conf_t *
xc_config_service (const xc_config_t *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->n_services; i++)
        if (strcmp (cfg->services[i].name, name) == 0)
            return &cfg->services[i];
    return NULL;
}

char *
xc_config_resolve (const xc_config_t *cfg, const char *path)
{
    if (!path)
        return NULL;
    const char *slash = strrchr (cfg->path, '/');
    if (path[0] == '/' || !slash)
        return strdup (path);
    size_t dir_len = (size_t) (slash - cfg->path);
    size_t size = dir_len + 1 + strlen (path) + 1;
    char *out = malloc (size);
    if (out)
        snprintf (out, size, "%.*s/%s", (int) dir_len, cfg->path, path);
    return out;
}

json_t *
xc_config_policy (const xc_config_t *cfg, const char *name, const xc_field_t *fields,
                  xc_err_t *err)
{
    json_t *section = json_object_get (cfg->policies, name);
    section = section ? json_incref (section) : json_object ();
    char where[96];
    snprintf (where, sizeof where, "policies.%.60s", name);
    if (section && xc_schema_check (section, fields, where, err) != 0) {
        if (err)
            err->code = XC_E_CONFIG;
        json_decref (section);
        return NULL;
    }
    return section;
}
