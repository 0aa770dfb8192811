/*  config_test.c: defaults, checks and their messages, path resolution, the local config. */
#include "common/config.h"

#include "tests/harness.h"

#include <stdlib.h>

static char s_tmp[64];
static char s_path[128];

static int
s_load_text (const char *text, xc_config_t **cfg_p, xc_err_t *err)
{
    FILE *f = fopen (s_path, "w");
    if (!f)
        return -2;
    fputs (text, f);
    fclose (f);
    return xc_config_load (s_path, cfg_p, err);
}

/* A valid document with extra top-level members (each ending in ",") and extra members of
   the one service "echo" (each starting with ","). */
static const char *
s_doc (const char *top, const char *service)
{
    static char text[4096];
    snprintf (text, sizeof text,
              "{\"deployment\": \"test\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\",\n"
              " \"calendar\": \"cal\", %s\n"
              " \"services\": {\"echo\": {\"api\": \"tcp://127.0.0.1:7100\", "
              "\"database\": \"e.db\", \"key\": \"e.jwk\"%s}}}\n",
              top, service);
    return text;
}

static void
s_expect_error (const char *text, const char *what)
{
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    char expect[512];
    snprintf (expect, sizeof expect, "'%s': %s", s_path, what);
    CHECK_INT (s_load_text (text, &cfg, &err), -1);
    CHECK (cfg == NULL);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_STR (err.text, expect);
    xc_config_destroy (&cfg);
}

static void
s_expect_ok (const char *text)
{
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load_text (text, &cfg, &err), 0);
    if (!cfg)
        fprintf (stderr, "refused: %s\n", err.text);
    xc_config_destroy (&cfg);
}

static void
test_local_json (void)
{
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_config_load ("config/local.json", &cfg, &err), 0);
    if (!cfg) {
        fprintf (stderr, "%s\n", err.text);
        return;
    }
    CHECK_STR (cfg->path, "config/local.json");
    CHECK_STR (cfg->deployment, "local");
    CHECK_INT (cfg->utc_offset, 28800);
    CHECK_STR (cfg->registry, "config/principals.json");
    CHECK_STR (cfg->calendar, "config/calendar");
    CHECK_INT (cfg->n_services, 6);
    const xc_service_conf_t *echo = xc_config_service (cfg, "echo");
    CHECK (echo != NULL);
    if (echo) {
        CHECK_STR (echo->name, "echo");
        CHECK_STR (echo->api, "tcp://127.0.0.1:7100");
        CHECK_STR (echo->events, "tcp://127.0.0.1:7101");
        CHECK_STR (echo->api_bind, "tcp://127.0.0.1:7100");      /* bound where reached */
        CHECK_STR (echo->events_bind, "tcp://127.0.0.1:7101");
        CHECK_STR (echo->database, "config/../var/echo.db");
        CHECK_STR (echo->key, "config/keys/echo.jwk");
        CHECK (echo->curve_key == NULL);
        CHECK (echo->secret_key == NULL);
    }
    const xc_service_conf_t *intake = xc_config_service (cfg, "intake");
    CHECK (intake != NULL);
    if (intake)
        CHECK_STR (intake->secret_key, "config/keys/intake.secret");
    CHECK (xc_config_service (cfg, "referral") != NULL);
    CHECK (xc_config_service (cfg, "rectify") != NULL);
    CHECK (xc_config_service (cfg, "notify") != NULL);
    CHECK (xc_config_service (cfg, "registry") != NULL);
    CHECK (xc_config_service (cfg, "mailer") == NULL);
    CHECK (xc_config_service (cfg, NULL) == NULL);
    xc_config_destroy (&cfg);
    CHECK (cfg == NULL);
    xc_config_destroy (&cfg);
}

static void
test_policy_sections (void)
{
    static const xc_field_t fields[] = {
        { .name = "due", .type = XC_T_STRING, .required = true }, { .name = NULL } };
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load_text (s_doc ("\"policies\": {\"a\": {\"due\": \"3 months\"},"
                                   " \"b\": {\"due\": \"x\", \"dew\": 1}},", ""), &cfg, &err), 0);
    if (!cfg)
        return;
    json_t *a = xc_config_policy (cfg, "a", fields, &err);
    CHECK_STR (json_string_value (json_object_get (a, "due")), "3 months");
    json_decref (a);
    CHECK (xc_config_policy (cfg, "b", fields, &err) == NULL);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_STR (err.text, "policies.b.dew: unknown key");
    /* an absent section is checked as {}: fine when nothing is required, refused otherwise */
    static const xc_field_t optional[] = { { .name = "due", .type = XC_T_STRING }, { .name = NULL } };
    json_t *absent = xc_config_policy (cfg, "c", optional, &err);
    CHECK (json_is_object (absent) && json_object_size (absent) == 0);
    json_decref (absent);
    CHECK (xc_config_policy (cfg, "c", fields, &err) == NULL);
    CHECK_STR (err.text, "policies.c.due: missing");
    xc_config_destroy (&cfg);
}

static void
test_defaults (void)
{
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load_text (s_doc ("", ""), &cfg, &err), 0);
    if (!cfg) {
        fprintf (stderr, "%s\n", err.text);
        return;
    }
    CHECK_STR (cfg->log_level, "info");
    CHECK (!cfg->curve);
    CHECK_INT (cfg->max_message_bytes, 262144);
    CHECK_INT (cfg->clock_skew_seconds, 300);
    CHECK_INT (cfg->max_lifetime_seconds, 3600);
    CHECK_INT (cfg->heartbeat_ms, 1000);
    CHECK_INT (cfg->tick_ms, 1000);
    CHECK_INT (cfg->batch_max, 256);
    CHECK_INT (cfg->request_timeout_ms, 5000);
    CHECK (json_is_object (cfg->policies));
    CHECK_INT (json_object_size (cfg->policies), 0);
    CHECK (cfg->policies == json_object_get (cfg->root, "policies"));
    CHECK (cfg->services[0].events == NULL);
    CHECK (cfg->services[0].events_bind == NULL);
    CHECK (cfg->services[0].curve_key == NULL);
    xc_config_destroy (&cfg);

    /* an empty limits object is the same as none */
    CHECK_INT (s_load_text (s_doc ("\"limits\": {},", ""), &cfg, &err), 0);
    CHECK (cfg && cfg->tick_ms == 1000 && cfg->max_message_bytes == 262144);
    xc_config_destroy (&cfg);
}

static void
test_everything_set (void)
{
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    const char *text =
        "{\"deployment\": \"prod-1\", \"utc_offset\": \"-05:30\",\n"
        " \"registry\": \"/etc/xuncha/principals.json\", \"calendar\": \"data/calendar\",\n"
        " \"log_level\": \"debug\", \"curve\": true,\n"
        " \"limits\": {\"max_message_bytes\": 1024, \"clock_skew_seconds\": 3600,\n"
        "   \"max_lifetime_seconds\": 86400, \"heartbeat_ms\": 50, \"tick_ms\": 60000,\n"
        "   \"batch_max\": 1, \"request_timeout_ms\": 600000},\n"
        " \"services\": {\n"
        "   \"intake\": {\"api\": \"ipc:///run/xc/intake\", \"database\": \"/var/lib/xc/i.db\",\n"
        "              \"key\": \"keys/intake.jwk\", \"curve_key\": \"keys/intake.curve\"},\n"
        "   \"case-2\": {\"api\": \"inproc://case\", \"events\": \"tcp://*:7201\",\n"
        "              \"database\": \"c.db\", \"key\": \"/k/c.jwk\", \"curve_key\": \"c.curve\"}},\n"
        " \"policies\": {\"intake\": {\"answer_within\": \"10 workdays\"}, \"n\": 3}}\n";
    CHECK_INT (s_load_text (text, &cfg, &err), 0);
    if (!cfg) {
        fprintf (stderr, "%s\n", err.text);
        return;
    }
    char expect[256];
    CHECK_STR (cfg->deployment, "prod-1");
    CHECK_INT (cfg->utc_offset, -19800);
    CHECK_STR (cfg->registry, "/etc/xuncha/principals.json");
    snprintf (expect, sizeof expect, "%s/data/calendar", s_tmp);
    CHECK_STR (cfg->calendar, expect);
    CHECK_STR (cfg->log_level, "debug");
    CHECK (cfg->curve);
    CHECK_INT (cfg->max_message_bytes, 1024);
    CHECK_INT (cfg->clock_skew_seconds, 3600);
    CHECK_INT (cfg->max_lifetime_seconds, 86400);
    CHECK_INT (cfg->heartbeat_ms, 50);
    CHECK_INT (cfg->tick_ms, 60000);
    CHECK_INT (cfg->batch_max, 1);
    CHECK_INT (cfg->request_timeout_ms, 600000);
    CHECK_INT (cfg->n_services, 2);
    const xc_service_conf_t *intake = xc_config_service (cfg, "intake");
    const xc_service_conf_t *c2 = xc_config_service (cfg, "case-2");
    CHECK (intake && c2);
    if (intake && c2) {
        CHECK_STR (intake->api, "ipc:///run/xc/intake");
        CHECK (intake->events == NULL);
        CHECK_STR (intake->database, "/var/lib/xc/i.db");
        snprintf (expect, sizeof expect, "%s/keys/intake.jwk", s_tmp);
        CHECK_STR (intake->key, expect);
        snprintf (expect, sizeof expect, "%s/keys/intake.curve", s_tmp);
        CHECK_STR (intake->curve_key, expect);
        CHECK_STR (c2->api, "inproc://case");
        CHECK_STR (c2->events, "tcp://*:7201");
        CHECK_STR (c2->key, "/k/c.jwk");
    }
    /* policies are kept as written, for the services to check */
    CHECK_STR (json_string_value (json_object_get (json_object_get (cfg->policies, "intake"),
                                                   "answer_within")),
               "10 workdays");
    CHECK_INT (json_integer_value (json_object_get (cfg->policies, "n")), 3);
    xc_config_destroy (&cfg);
}

static void
test_resolve (void)
{
    xc_config_t *cfg = NULL;
    CHECK_INT (s_load_text (s_doc ("", ""), &cfg, NULL), 0);
    if (!cfg)
        return;
    char expect[256], *path;
    path = xc_config_resolve (cfg, "keys/a.jwk");
    snprintf (expect, sizeof expect, "%s/keys/a.jwk", s_tmp);
    CHECK_STR (path, expect);
    free (path);
    path = xc_config_resolve (cfg, "../var/x.db");
    snprintf (expect, sizeof expect, "%s/../var/x.db", s_tmp);
    CHECK_STR (path, expect);
    free (path);
    path = xc_config_resolve (cfg, "/abs/x.db");
    CHECK_STR (path, "/abs/x.db");
    free (path);
    CHECK (xc_config_resolve (cfg, NULL) == NULL);
    xc_config_destroy (&cfg);

    /* a config file in the current folder, and one in the root folder */
    xc_config_t here = { .path = (char *) "local.json" };
    path = xc_config_resolve (&here, "keys/a.jwk");
    CHECK_STR (path, "keys/a.jwk");
    free (path);
    xc_config_t root = { .path = (char *) "/local.json" };
    path = xc_config_resolve (&root, "keys/a.jwk");
    CHECK_STR (path, "/keys/a.jwk");
    free (path);
}

static void
test_not_json (void)
{
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    char expect[256];
    CHECK_INT (s_load_text ("{\"deployment\": \"x\",\n\"utc_offset\": \"+08:00\",\n}\n", &cfg,
                            &err), -1);
    CHECK (cfg == NULL);
    CHECK_INT (err.code, XC_E_CONFIG);
    snprintf (expect, sizeof expect, "'%s': line 3: ", s_path);
    CHECK (strncmp (err.text, expect, strlen (expect)) == 0);

    CHECK_INT (s_load_text ("", &cfg, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_INT (s_load_text ("{\"deployment\": \"a\", \"deployment\": \"b\"}", &cfg, &err), -1);
    CHECK (strstr (err.text, "duplicate object key") != NULL);
    s_expect_error ("[1, 2]", "config: expected object");

    CHECK_INT (xc_config_load ("/nonexistent-xc/local.json", &cfg, &err), -1);
    CHECK_INT (err.code, XC_E_IO);
    CHECK_STR (err.text, "'/nonexistent-xc/local.json': unable to open");
}

static void
test_structure_errors (void)
{
    s_expect_error (s_doc ("\"extra\": 1,", ""), "extra: unknown key");
    s_expect_error (s_doc ("", ", \"dbb\": \"x\""), "services.echo.dbb: unknown key");
    s_expect_error ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {\"intake\": {\"api\": \"tcp://a:1\","
                    " \"database\": \"d\", \"key\": \"k\", \"dbb\": \"x\"}}}",
                    "services.intake.dbb: unknown key");
    s_expect_error (s_doc ("\"limits\": {\"tick\": 5},", ""), "limits.tick: unknown key");
    s_expect_error ("{\"utc_offset\": \"+08:00\", \"registry\": \"r\", \"calendar\": \"c\","
                    " \"services\": {}}",
                    "deployment: missing");
    s_expect_error ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\"}",
                    "services: missing");
    s_expect_error ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {\"echo\": {\"database\": \"d\","
                    " \"key\": \"k\"}}}",
                    "services.echo.api: missing");
    s_expect_error (s_doc ("\"curve\": \"yes\",", ""), "curve: expected boolean");
    s_expect_error (s_doc ("\"limits\": {\"tick_ms\": \"5\"},", ""),
                    "limits.tick_ms: expected integer");
    s_expect_error (s_doc ("\"limits\": [],", ""), "limits: expected object");
    s_expect_error (s_doc ("\"policies\": [],", ""), "policies: expected object");
    s_expect_error ("{\"deployment\": 7, \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {}}",
                    "deployment: expected string");
    s_expect_error (s_doc ("", ", \"events\": null"), "services.echo.events: expected string");
    s_expect_error (s_doc ("\"log_level\": \"verbose\",", ""),
                    "log_level: 'verbose' is not an allowed value");
    s_expect_error ("{\"deployment\": \"\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {}}",
                    "deployment: length 0 is outside 1..64 bytes");
    s_expect_error ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {}}",
                    "services: at least one service is needed");
    s_expect_error ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {\"echo\": 1}}",
                    "services.echo: expected object");
}

static void
test_values (void)
{
    char top[128];
    const char *bad_offsets[] = { "+8:00", "08:00", "+08:60", "+15:00", "+14:30", "+08:00 ",
                                  "Z", "", "+0800", "+08-00", "＋08:00" };
    for (size_t i = 0; i < sizeof bad_offsets / sizeof bad_offsets[0]; i++) {
        char what[128];
        snprintf (top, sizeof top, "\"utc_offset\": \"%s\",", bad_offsets[i]);
        snprintf (what, sizeof what, "utc_offset: '%s' is not +hh:mm or -hh:mm", bad_offsets[i]);
        char text[1024];
        snprintf (text, sizeof text,
                  "{\"deployment\": \"t\", %s \"registry\": \"r\", \"calendar\": \"c\","
                  " \"services\": {\"echo\": {\"api\": \"tcp://a:1\", \"database\": \"d\","
                  " \"key\": \"k\"}}}", top);
        s_expect_error (text, what);
    }
    const char *good_offsets[] = { "+00:00", "-00:00", "+14:00", "-12:00", "+05:45" };
    for (size_t i = 0; i < sizeof good_offsets / sizeof good_offsets[0]; i++) {
        char text[1024];
        snprintf (text, sizeof text,
                  "{\"deployment\": \"t\", \"utc_offset\": \"%s\", \"registry\": \"r\","
                  " \"calendar\": \"c\", \"services\": {\"echo\": {\"api\": \"tcp://a:1\","
                  " \"database\": \"d\", \"key\": \"k\"}}}", good_offsets[i]);
        s_expect_ok (text);
    }

    const char *bad_names[] = { "Echo", "1echo", "echo_x", "-echo", "", "echo.x", "回声",
                                "abcdefghijabcdefghijabcdefghijab" };
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        char text[1024], what[256];
        snprintf (text, sizeof text,
                  "{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                  " \"calendar\": \"c\", \"services\": {\"%s\": {\"api\": \"tcp://a:1\","
                  " \"database\": \"d\", \"key\": \"k\"}}}", bad_names[i]);
        snprintf (what, sizeof what, "services.%s: a service name matches [a-z][a-z0-9-]{0,30}",
                  bad_names[i]);
        s_expect_error (text, what);
    }
    const char *good_names[] = { "a", "echo-2", "x9", "abcdefghijabcdefghijabcdefghija" };
    for (size_t i = 0; i < sizeof good_names / sizeof good_names[0]; i++) {
        char text[1024];
        snprintf (text, sizeof text,
                  "{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                  " \"calendar\": \"c\", \"services\": {\"%s\": {\"api\": \"tcp://a:1\","
                  " \"database\": \"d\", \"key\": \"k\"}}}", good_names[i]);
        s_expect_ok (text);
    }

    const char *bad_endpoints[] = { "", "tcp://", "http://x", "TCP://127.0.0.1:1", "127.0.0.1:1",
                                    "udp://x:1", "inproc:/x", " tcp://a:1" };
    for (size_t i = 0; i < sizeof bad_endpoints / sizeof bad_endpoints[0]; i++) {
        char text[1024], what[256];
        snprintf (text, sizeof text,
                  "{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                  " \"calendar\": \"c\", \"services\": {\"echo\": {\"api\": \"%s\","
                  " \"database\": \"d\", \"key\": \"k\"}}}", bad_endpoints[i]);
        snprintf (what, sizeof what,
                  "services.echo.api: '%s' is not a tcp://, ipc:// or inproc:// endpoint",
                  bad_endpoints[i]);
        s_expect_error (text, what);
    }
    s_expect_error (s_doc ("", ", \"events\": \"pgm://x\""),
                    "services.echo.events: 'pgm://x' is not a tcp://, ipc:// or inproc:// "
                    "endpoint");
    s_expect_error (s_doc ("", ", \"events\": \"\""),
                    "services.echo.events: '' is not a tcp://, ipc:// or inproc:// endpoint");
    s_expect_ok (s_doc ("", ", \"events\": \"ipc:///tmp/x\""));
    s_expect_error (s_doc ("", ", \"api_bind\": \"udp://x\""),
                    "services.echo.api_bind: 'udp://x' is not a tcp://, ipc:// or inproc:// "
                    "endpoint");
    s_expect_error (s_doc ("", ", \"events_bind\": \"tcp://*:1\""),
                    "services.echo.events_bind: set without events");
    {
        /* a container binds every interface; the others reach it by its host name */
        xc_config_t *cfg = NULL;
        xc_err_t err;
        CHECK_INT (s_load_text ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": "
                                "\"r\", \"calendar\": \"c\", \"services\": {\"echo\": {\"api\": "
                                "\"tcp://intake:7110\", \"api_bind\": \"tcp://*:7110\", \"events\": "
                                "\"tcp://intake:7111\", \"events_bind\": \"tcp://*:7111\", "
                                "\"database\": \"d\", \"key\": \"k\"}}}", &cfg, &err), 0);
        CHECK (cfg != NULL);
        if (cfg) {
            CHECK_STR (cfg->services[0].api, "tcp://intake:7110");
            CHECK_STR (cfg->services[0].api_bind, "tcp://*:7110");
            CHECK_STR (cfg->services[0].events, "tcp://intake:7111");
            CHECK_STR (cfg->services[0].events_bind, "tcp://*:7111");
        }
        xc_config_destroy (&cfg);
    }
    s_expect_ok (s_doc ("", ", \"events\": \"inproc://x\""));

    s_expect_error ("{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r\","
                    " \"calendar\": \"c\", \"services\": {\"echo\": {\"api\": \"tcp://a:1\","
                    " \"database\": \"\", \"key\": \"k\"}}}",
                    "services.echo.database: length 0 is outside 1..4096 bytes");

    s_expect_error (s_doc ("\"curve\": true,", ""),
                    "services.echo.curve_key: missing (curve is on)");
    s_expect_ok (s_doc ("\"curve\": true,", ", \"curve_key\": \"k.curve\""));
    s_expect_ok (s_doc ("\"curve\": false,", ", \"curve_key\": \"k.curve\""));
}

static void
test_limits (void)
{
    struct { const char *name; long lo, hi; } limits[] = {
        { "max_message_bytes", 1024, 16777216 }, { "clock_skew_seconds", 1, 3600 },
        { "max_lifetime_seconds", 1, 86400 },    { "heartbeat_ms", 50, 60000 },
        { "tick_ms", 10, 60000 },                { "batch_max", 1, 10000 },
        { "request_timeout_ms", 100, 600000 },
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char top[128], what[128];
        long values[] = { limits[i].lo - 1, limits[i].hi + 1 };
        for (int j = 0; j < 2; j++) {
            snprintf (top, sizeof top, "\"limits\": {\"%s\": %ld},", limits[i].name, values[j]);
            snprintf (what, sizeof what, "limits.%s: %ld is outside %ld..%ld", limits[i].name,
                      values[j], limits[i].lo, limits[i].hi);
            s_expect_error (s_doc (top, ""), what);
        }
        snprintf (top, sizeof top, "\"limits\": {\"%s\": %ld},", limits[i].name, limits[i].lo);
        s_expect_ok (s_doc (top, ""));
        snprintf (top, sizeof top, "\"limits\": {\"%s\": %ld},", limits[i].name, limits[i].hi);
        s_expect_ok (s_doc (top, ""));
    }
    /* the brief's own example */
    s_expect_error (s_doc ("\"limits\": {\"tick_ms\": 5},", ""),
                    "limits.tick_ms: 5 is outside 10..60000");
    s_expect_error (s_doc ("\"limits\": {\"tick_ms\": 1.5},", ""),
                    "limits.tick_ms: expected integer");
}

static void
test_gateway (void)
{
    /* services.gateway is the HTTP gateway's, kept out of the services */
    xc_config_t *cfg = NULL;
    xc_err_t err = { 0, "" };
    const char *doc = "{\"deployment\": \"test\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\",\n"
                      " \"calendar\": \"cal\", \"limits\": {\"request_timeout_ms\": 700},\n"
                      " \"services\": {\"echo\": {\"api\": \"tcp://127.0.0.1:7100\", "
                      "\"database\": \"e.db\", \"key\": \"e.jwk\"}, "
                      "\"gateway\": {\"http\": \"127.0.0.1:7180\"}}}\n";
    CHECK_INT (s_load_text (doc, &cfg, &err), 0);
    if (cfg) {
        CHECK_INT ((int) cfg->n_services, 1);
        CHECK_STR (cfg->services[0].name, "echo");
        CHECK (xc_config_service (cfg, "gateway") == NULL);
        CHECK_STR (cfg->gateway_http, "127.0.0.1:7180");
        CHECK_INT (cfg->gateway_reply_timeout_ms, 700);
        CHECK (cfg->gateway_curve_key == NULL);
    }
    xc_config_destroy (&cfg);
    /* its CURVE keypair, resolved as the services' keys are (beside the config) */
    doc = "{\"deployment\": \"test\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\",\n"
          " \"calendar\": \"cal\", \"services\": {\"echo\": {\"api\": \"tcp://127.0.0.1:7100\", "
          "\"database\": \"e.db\", \"key\": \"e.jwk\"}, "
          "\"gateway\": {\"http\": \"127.0.0.1:7180\", \"curve_key\": \"keys/gateway.curve\"}}}\n";
    CHECK_INT (s_load_text (doc, &cfg, &err), 0);
    if (cfg) {
        char want[4200];
        snprintf (want, sizeof want, "%s/keys/gateway.curve", s_tmp);
        CHECK_STR (cfg->gateway_curve_key, want);
    }
    xc_config_destroy (&cfg);
    CHECK_INT (s_load_text (s_doc ("", ""), &cfg, &err), 0);
    CHECK (cfg && cfg->gateway_http == NULL);
    xc_config_destroy (&cfg);
    s_expect_error ("{\"deployment\": \"test\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\","
                    " \"calendar\": \"cal\", \"services\": {\"echo\": {\"api\": \"tcp://127.0.0.1:7100\", "
                    "\"database\": \"e.db\", \"key\": \"e.jwk\"}, \"gateway\": {\"api\": \"tcp://x:1\"}}}",
                    "services.gateway.api: unknown key");
    s_expect_error ("{\"deployment\": \"test\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\","
                    " \"calendar\": \"cal\", \"services\": {\"echo\": {\"api\": \"tcp://127.0.0.1:7100\", "
                    "\"database\": \"e.db\", \"key\": \"e.jwk\"}, \"gateway\": {}}}",
                    "services.gateway.http: missing");
}

int
main (void)
{
    h_tmpdir (s_tmp, sizeof s_tmp, "config");
    snprintf (s_path, sizeof s_path, "%s/config.json", s_tmp);
    RUN (test_local_json);
    RUN (test_defaults);
    RUN (test_policy_sections);
    RUN (test_everything_set);
    RUN (test_resolve);
    RUN (test_not_json);
    RUN (test_structure_errors);
    RUN (test_values);
    RUN (test_limits);
    RUN (test_gateway);
    h_rmtree (s_tmp);
    HARNESS_END ();
}
