/*  request_test.c: the gateway's decisions (request.h) from method, path and headers to the
    route or the refusal, from a body to the correlation, from a reply frame to the status. */
#include "services/gateway/request.h"

#include "services/gateway/metrics.h"
#include "tests/harness.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const s_names[] = { "intake", "referral", "rectify", "notify" };
static const request_world_t s_world = { .services = s_names, .n_services = 4, .max_body = 100 };

#define JOSE "application/jose+json"
#define ID "0190A1B2-0000-7000-8000-00000000000A"

/* A flattened JWS whose payload is body (the signature is not looked at). */
static const char *
s_jws (const char *body)
{
    static char text[2048];
    char payload[1024];
    sodium_bin2base64 (payload, sizeof payload, (const unsigned char *) body, strlen (body),
                       sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf (text, sizeof text, "{\"protected\":\"e30\",\"payload\":\"%s\",\"signature\":\"AA\"}",
              payload);
    return text;
}

static void
test_get_routes (void)
{
    static const struct {
        const char *method, *url;
        request_action_t action;
        int route;
    } rows[] = {
        { "GET", "/healthz", REQUEST_HEALTHZ, ROUTE_HEALTHZ },
        { "HEAD", "/healthz", REQUEST_HEALTHZ, ROUTE_HEALTHZ },
        { "GET", "/v1/directory", REQUEST_DIRECTORY, ROUTE_DIRECTORY },
        { "GET", "/v1/keys", REQUEST_KEYS, ROUTE_KEYS },
        { "GET", "/metrics", REQUEST_METRICS, ROUTE_METRICS },
        { "GET", "/v1/events/rectify/hints", REQUEST_HINTS, ROUTE_HINTS (2) },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        request_t req;
        request_route (&s_world, rows[i].method, rows[i].url, NULL, NULL, &req);
        CHECK_INT (req.action, rows[i].action);
        CHECK_INT (req.route, rows[i].route);
        CHECK_INT (req.problem.status, 0);
        CHECK (req.allow == NULL);
    }
    request_t req;
    request_route (&s_world, "GET", "/v1/events/notify/hints", NULL, NULL, &req);
    CHECK_INT (req.service, 3);
}

static void
test_post_route (void)
{
    request_t req;
    request_route (&s_world, "POST", "/v1/referral", JOSE, "42", &req);
    CHECK_INT (req.action, REQUEST_POST);
    CHECK_INT (req.service, 1);
    CHECK_INT (req.route, ROUTE_POST (1));
    CHECK (!req.too_big);
    request_route (&s_world, "POST", "/v1/referral", "Application/JOSE+JSON ; charset=utf-8", NULL,
                   &req);
    CHECK_INT (req.action, REQUEST_POST);
    /* exactly the limit passes; one byte more is refused once the body is read */
    request_route (&s_world, "POST", "/v1/intake", JOSE, "100", &req);
    CHECK (!req.too_big);
    request_route (&s_world, "POST", "/v1/intake", JOSE, "101", &req);
    CHECK_INT (req.action, REQUEST_POST);
    CHECK (req.too_big);
}

/* A refusal: its status, code, Allow and a problem body that reads back. */
static void
s_check_refused (const char *method, const char *url, const char *ctype, int status,
                 const char *code, const char *allow, int route)
{
    request_t req;
    request_route (&s_world, method, url, ctype, NULL, &req);
    CHECK_INT (req.action, REQUEST_REFUSED);
    CHECK_INT (req.problem.status, status);
    CHECK_STR (req.problem.code, code);
    CHECK_INT (req.route, route);
    if (allow)
        CHECK_STR (req.allow, allow);
    else
        CHECK (req.allow == NULL);
    char *text = request_problem_json (&req.problem);
    json_t *doc = text ? json_loads (text, 0, NULL) : NULL;
    char type[96];
    snprintf (type, sizeof type, "urn:xuncha:gateway:%s", code);
    CHECK_STR (json_string_value (json_object_get (doc, "type")), type);
    CHECK_INT (json_integer_value (json_object_get (doc, "status")), status);
    CHECK (json_string_length (json_object_get (doc, "title")) > 0);
    CHECK (json_string_length (json_object_get (doc, "detail")) > 0);
    json_decref (doc);
    free (text);
}

static void
test_refusals (void)
{
    s_check_refused ("GET", "/", NULL, 404, "not-found", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v1/", JOSE, 404, "not-found", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v1/intake/", JOSE, 404, "not-found", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v2/intake", JOSE, 404, "not-found", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v1/events/intake/hints/x", JOSE, 404, "not-found", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v1/bank", JOSE, 404, "unknown-service", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v1/intak", JOSE, 404, "unknown-service", NULL, ROUTE_OTHER);
    s_check_refused ("POST", "/v1/intakes", JOSE, 404, "unknown-service", NULL, ROUTE_OTHER);
    s_check_refused ("GET", "/v1/events/bank/hints", NULL, 404, "unknown-service", NULL,
                     ROUTE_OTHER);
    s_check_refused ("GET", "/v1/events//hints", NULL, 404, "unknown-service", NULL, ROUTE_OTHER);
    s_check_refused ("GET", "/v1/intake", NULL, 405, "method-not-allowed", "POST", ROUTE_POST (0));
    s_check_refused ("PUT", "/v1/notify", JOSE, 405, "method-not-allowed", "POST", ROUTE_POST (3));
    s_check_refused ("POST", "/healthz", JOSE, 405, "method-not-allowed", "GET, HEAD",
                     ROUTE_HEALTHZ);
    s_check_refused ("DELETE", "/v1/keys", NULL, 405, "method-not-allowed", "GET, HEAD",
                     ROUTE_KEYS);
    s_check_refused ("POST", "/v1/events/intake/hints", JOSE, 405, "method-not-allowed",
                     "GET, HEAD", ROUTE_HINTS (0));
    s_check_refused ("POST", "/v1/intake", NULL, 415, "unsupported-media-type", NULL,
                     ROUTE_POST (0));
    s_check_refused ("POST", "/v1/intake", "application/json", 415, "unsupported-media-type",
                     NULL, ROUTE_POST (0));
    s_check_refused ("POST", "/v1/intake", "application/jose+jsonx", 415,
                     "unsupported-media-type", NULL, ROUTE_POST (0));
    s_check_refused ("POST", "/v1/intake", "application/jose", 415, "unsupported-media-type",
                     NULL, ROUTE_POST (0));
}

/* A detail quoting what the client sent stays JSON: bytes that are not UTF-8 become '?'. */
static void
test_problem_utf8 (void)
{
    request_t req;
    request_route (&s_world, "\xb2OST", "/v1/intake", JOSE, NULL, &req);
    CHECK_INT (req.problem.status, 405);
    char *text = request_problem_json (&req.problem);
    json_t *doc = text ? json_loads (text, 0, NULL) : NULL;
    CHECK_STR (json_string_value (json_object_get (doc, "detail")),
               "a message to a service is a POST, not ?OST");
    json_decref (doc);
    free (text);
    /* cut in the middle of a character by the detail's size */
    request_problem_t problem;
    char long_text[600] = "";
    while (strlen (long_text) + 3 < sizeof long_text)
        strcat (long_text, "巡");
    request_problem_set (&problem, 400, "x", "标题", "ab%s", long_text);
    CHECK (strlen (problem.detail) == sizeof problem.detail - 1);
    text = request_problem_json (&problem);
    doc = text ? json_loads (text, 0, NULL) : NULL;
    const char *detail = json_string_value (json_object_get (doc, "detail"));
    CHECK (detail && strlen (detail) == sizeof problem.detail - 1);
    CHECK (detail && detail[strlen (detail) - 1] == '?');
    json_decref (doc);
    free (text);
}

static void
test_media_type (void)
{
    CHECK (request_media_type_is_jose (JOSE));
    CHECK (request_media_type_is_jose ("application/jose+json\t;x=1"));
    CHECK (!request_media_type_is_jose (NULL));
    CHECK (!request_media_type_is_jose (""));
    CHECK (!request_media_type_is_jose ("application/jose+json+x"));
}

static void
test_body (void)
{
    request_body_t body = { 0 };
    char chunk[60];
    memset (chunk, 'a', sizeof chunk);
    CHECK_INT (request_body_add (&body, chunk, 0, 100), 0);
    CHECK (body.bytes == NULL);
    CHECK_INT (request_body_add (&body, chunk, 60, 100), 0);
    CHECK_INT (request_body_add (&body, chunk, 40, 100), 0);
    CHECK_INT (body.len, 100);
    CHECK (!body.too_big);
    CHECK (body.bytes[100] == '\0');
    CHECK_INT (request_body_add (&body, chunk, 1, 100), 0);
    CHECK (body.too_big);
    CHECK_INT (body.len, 100);
    CHECK_INT (request_body_add (&body, chunk, 1, 100), 0);
    CHECK_INT (body.len, 100);
    request_body_free (&body);
    CHECK (body.bytes == NULL && body.len == 0 && !body.too_big);
}

static void
test_check_body (void)
{
    const request_world_t world = { .services = s_names, .n_services = 4, .max_body = 4096 };
    char corr[37];
    request_problem_t problem = { 0 };
    const char *ok = s_jws ("{\"aud\":\"rectify\",\"id\":\"" ID "\"}");
    CHECK_INT (request_check_body (&world, 2, ok, strlen (ok), false, corr, &problem), 0);
    CHECK_STR (corr, "0190a1b2-0000-7000-8000-00000000000a");
    CHECK_INT (problem.status, 0);
    CHECK_INT (request_check_body (&world, 2, ok, strlen (ok), true, corr, &problem), -1);
    CHECK_INT (problem.status, 413);
    CHECK_STR (problem.code, "too-large");
    CHECK (strstr (problem.detail, "4096") != NULL);
    CHECK_INT (request_check_body (&world, 0, ok, strlen (ok), false, corr, &problem), -1);
    CHECK_INT (problem.status, 400);
    CHECK_STR (problem.code, "audience-mismatch");
    CHECK_STR (corr, "");
    CHECK (strstr (problem.detail, "'rectify'") && strstr (problem.detail, "'intake'"));
    CHECK_INT (request_check_body (&world, 0, NULL, 0, false, corr, &problem), -1);
    CHECK_STR (problem.code, "unreadable-payload");
    const char *no_id = s_jws ("{\"aud\":\"intake\"}");
    CHECK_INT (request_check_body (&world, 0, no_id, strlen (no_id), false, corr, &problem), -1);
    CHECK_STR (problem.code, "unreadable-payload");
    CHECK (strstr (problem.detail, "UUID") != NULL);
}

static void
test_reply (void)
{
    request_reply_t reply;
    const char *ack = s_jws ("{\"type\":\"ack\",\"corr\":\"" ID "\"}");
    request_reply (ack, strlen (ack), &reply);
    CHECK (reply.has_corr);
    CHECK_STR (reply.corr, "0190a1b2-0000-7000-8000-00000000000a");
    CHECK_INT (reply.status, 200);
    CHECK (!reply.transient);
    const char *busy = s_jws ("{\"type\":\"error\",\"corr\":\"" ID "\",\"data\":{\"code\":\"busy\"}}");
    request_reply (busy, strlen (busy), &reply);
    CHECK_INT (reply.status, 503);
    CHECK (reply.transient);
    const char *schema = s_jws ("{\"type\":\"error\",\"corr\":\"" ID "\",\"data\":{\"code\":\"schema\"}}");
    request_reply (schema, strlen (schema), &reply);
    CHECK_INT (reply.status, 422);
    CHECK (!reply.transient);
    request_reply ("nonsense", 8, &reply);
    CHECK (!reply.has_corr);
    CHECK_INT (reply.status, 502);
}

/* With services.gateway.web set, a GET or HEAD of a path that no route and not /v1/ takes is a
   file (files.c says which); other methods 405; the routes and /v1/ keep priority. */
static void
test_web_routes (void)
{
    request_world_t world = s_world;
    world.web = true;
    request_t out;
    static const char *const files[] = { "/", "/index.html", "/vendor/x.js", "/../x", "/v1", "/healthzx" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        request_route (&world, "GET", files[i], NULL, NULL, &out);
        CHECK_INT ((int) out.action, REQUEST_FILE);
        request_route (&world, "HEAD", files[i], NULL, NULL, &out);
        CHECK_INT ((int) out.action, REQUEST_FILE);
        request_route (&world, "POST", files[i], JOSE, NULL, &out);
        CHECK_INT ((int) out.action, REQUEST_REFUSED);
        CHECK_INT (out.problem.status, 405);
        CHECK_STR (out.allow, "GET, HEAD");
    }
    request_route (&world, "GET", "/healthz", NULL, NULL, &out);
    CHECK_INT ((int) out.action, REQUEST_HEALTHZ);
    request_route (&world, "GET", "/v1/keys", NULL, NULL, &out);
    CHECK_INT ((int) out.action, REQUEST_KEYS);
    request_route (&world, "POST", "/v1/intake", JOSE, NULL, &out);
    CHECK_INT ((int) out.action, REQUEST_POST);
    request_route (&world, "GET", "/v1/bank", NULL, NULL, &out);
    CHECK_INT (out.problem.status, 404);
    request_route (&s_world, "GET", "/", NULL, NULL, &out);     /* without web: not found */
    CHECK_INT (out.problem.status, 404);
}

int
main (void)
{
    RUN (test_get_routes);
    RUN (test_post_route);
    RUN (test_refusals);
    RUN (test_problem_utf8);
    RUN (test_media_type);
    RUN (test_body);
    RUN (test_check_body);
    RUN (test_reply);
    RUN (test_web_routes);
    HARNESS_END ();
}
