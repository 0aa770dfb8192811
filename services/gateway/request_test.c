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

/* POST /v1/files/{service}: a download, checked as a POST (media type, size, service); any
   other method 405 with Allow: POST; the route's metrics label is its own. */
static void
test_download_route (void)
{
    request_t out;
    request_route (&s_world, "POST", "/v1/files/rectify", JOSE, "10", &out);
    CHECK_INT ((int) out.action, REQUEST_DOWNLOAD);
    CHECK_INT (out.service, 2);
    CHECK_INT (out.route, ROUTE_FILES (2));
    CHECK (!out.too_big);
    request_route (&s_world, "POST", "/v1/files/intake", JOSE, "101", &out);
    CHECK_INT ((int) out.action, REQUEST_DOWNLOAD);
    CHECK (out.too_big);
    request_route (&s_world, "GET", "/v1/files/intake", NULL, NULL, &out);
    CHECK_INT (out.problem.status, 405);
    CHECK_STR (out.allow, "POST");
    request_route (&s_world, "POST", "/v1/files/intake", "application/json", NULL, &out);
    CHECK_INT (out.problem.status, 415);
    request_route (&s_world, "POST", "/v1/files/bank", JOSE, NULL, &out);
    CHECK_INT (out.problem.status, 404);
    CHECK_STR (out.problem.code, "unknown-service");
    request_route (&s_world, "POST", "/v1/files/intake/x", JOSE, NULL, &out);
    CHECK_INT (out.problem.status, 404);
    request_route (&s_world, "POST", "/v1/files/", JOSE, NULL, &out);
    CHECK_INT (out.problem.status, 404);
    request_world_t world = s_world;
    world.web = true;               /* a route, not a console file */
    request_route (&world, "POST", "/v1/files/intake", JOSE, NULL, &out);
    CHECK_INT ((int) out.action, REQUEST_DOWNLOAD);
    CHECK (ROUTE_FILES (0) != ROUTE_POST (1) && ROUTE_FILES (0) != ROUTE_HINTS (1));
}

/* Only a file.read goes through the download route. */
static void
test_check_download (void)
{
    request_problem_t p;
    const char *read = s_jws ("{\"id\":\"" ID "\",\"aud\":\"intake\",\"type\":\"file.read\",\"data\":{}}");
    CHECK_INT (request_check_download (read, strlen (read), &p), 0);
    const char *get = s_jws ("{\"id\":\"" ID "\",\"aud\":\"intake\",\"type\":\"problem.get\",\"data\":{}}");
    CHECK_INT (request_check_download (get, strlen (get), &p), -1);
    CHECK_INT (p.status, 400);
    CHECK_STR (p.code, "not-a-file-read");
    CHECK (strstr (p.detail, "problem.get") != NULL);
    const char *none = s_jws ("{\"id\":\"" ID "\",\"aud\":\"intake\"}");
    CHECK_INT (request_check_download (none, strlen (none), &p), -1);
    CHECK_INT (request_check_download ("{", 1, &p), -1);
    CHECK_INT (request_check_download (NULL, 0, &p), -1);
}

/* A reply of type result with the file: its bytes, type, disposition and hash. */
static const char *
s_file_reply (const char *type, const char *name, const char *media, const char *bytes,
              long long size, const char *sha_override)
{
    static char body[1024];
    unsigned char digest[32];
    char hex[65], b64[256];
    crypto_hash_sha256 (digest, (const unsigned char *) bytes, strlen (bytes));
    for (int i = 0; i < 32; i++)
        snprintf (hex + 2 * i, 3, "%02x", digest[i]);
    sodium_bin2base64 (b64, sizeof b64, (const unsigned char *) bytes, strlen (bytes),
                       sodium_base64_VARIANT_ORIGINAL);
    snprintf (body, sizeof body, "{\"id\":\"" ID "\",\"corr\":\"" ID "\",\"type\":\"%s\",\"data\":"
              "{\"sha256\":\"%s\",\"name\":\"%s\",\"type\":\"%s\",\"size\":%lld,\"data\":\"%s\"}}",
              type, sha_override ? sha_override : hex, name, media, size, b64);
    return s_jws (body);
}

static void
test_download_reply (void)
{
    request_download_t d;
    request_problem_t p;
    const char *ok = s_file_reply ("result", "现场照片.jpg", "image/jpeg", "hello bytes", 11, NULL);
    CHECK_INT (request_download (ok, strlen (ok), &d, &p), 0);
    CHECK_INT ((int) d.len, 11);
    CHECK (memcmp (d.bytes, "hello bytes", 11) == 0);
    CHECK_STR (d.type, "image/jpeg");
    CHECK_STR (d.disposition, "attachment; filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg");
    CHECK_INT ((int) strlen (d.sha256), 64);
    request_download_free (&d);
    CHECK (d.bytes == NULL);

    /* a type that could break the header is not passed on */
    const char *odd = s_file_reply ("result", "a.pdf", "text/html\\r\\nSet-Cookie: x", "x", 1, NULL);
    CHECK_INT (request_download (odd, strlen (odd), &d, &p), 0);
    CHECK_STR (d.type, "application/octet-stream");
    request_download_free (&d);

    static const struct {
        const char *type, *bytes;
        long long size;
        const char *sha;
    } bad[] = {
        { "error", "x", 1, NULL },                     /* not a result */
        { "result", "abc", 4, NULL },                  /* size not the length */
        { "result", "abc", 3, "00" },                  /* sha256 not 64 hex */
        { "result", "abc", 3,                          /* hash not the bytes' */
          "0000000000000000000000000000000000000000000000000000000000000000" },
        { "result", "abc", 3,                          /* upper case */
          "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *f = s_file_reply (bad[i].type, "a", "image/png", bad[i].bytes, bad[i].size, bad[i].sha);
        CHECK_INT (request_download (f, strlen (f), &d, &p), -1);
        CHECK_INT (p.status, 502);
        CHECK_STR (p.code, "bad-file-reply");
        CHECK (d.bytes == NULL);
    }
    const char *notb64 = s_jws ("{\"type\":\"result\",\"data\":{\"sha256\":\"ba7816bf8f01cfea414140de5dae2223"
                                "b00361a396177a9cb410ff61f20015ad\",\"name\":\"a\",\"type\":\"a/b\",\"size\":3,"
                                "\"data\":\"!!!!\"}}");
    CHECK_INT (request_download (notb64, strlen (notb64), &d, &p), -1);
    CHECK (strstr (p.detail, "base64") != NULL);
    CHECK_INT (request_download ("x", 1, &d, &p), -1);
}

/* The name is only a label: every byte outside attr-char %-encoded (quotes, CR LF, slashes,
   ';' cannot end the header or the parameter), cut whole characters only. */
static void
test_disposition (void)
{
    char out[64];
    request_disposition ("../a b;\"\r\n.pdf", out, sizeof out);
    CHECK_STR (out, "attachment; filename*=UTF-8''..%2Fa%20b%3B%22%0D%0A.pdf");
    request_disposition ("", out, sizeof out);
    CHECK_STR (out, "attachment; filename*=UTF-8''");
    request_disposition ("\xff\xfe", out, sizeof out);
    CHECK_STR (out, "attachment; filename*=UTF-8''%FF%FE");
    char small[38];                  /* room for the head and one of the two characters */
    request_disposition ("照片", small, sizeof small);
    CHECK_STR (small, "attachment; filename*=UTF-8''");
    char fits[40];
    request_disposition ("照片", fits, sizeof fits);
    CHECK_STR (fits, "attachment; filename*=UTF-8''%E7%85%A7");
    for (size_t i = 0; fits[i]; i++)
        CHECK (fits[i] != '\r' && fits[i] != '\n' && fits[i] != '"');
}

/* A file.read answered a piece at a time ({"offset", "next"}): each piece passed on as where
   it lies; a piece that does not fit its size or its next is refused. */
static void
test_download_piece (void)
{
    request_download_t d;
    request_problem_t p;
    static const char sha[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    char body[512];
    static const struct {
        int offset;
        const char *next, *b64;
        int ok;
        long long len;
    } rows[] = {
        { 0, "2", "YWI=", 1, 2 },      /* "ab" of "abc": the first piece */
        { 2, "null", "Yw==", 1, 1 },   /* "c": the last */
        { 0, "null", "YWJj", 1, 3 },   /* the whole in one piece: its hash checked */
        { 0, "null", "YWJk", 0, 0 },   /* ... and refused when it does not match */
        { 2, "3", "Yw==", 0, 0 },      /* next at the size */
        { 2, "null", "Y2M=", 0, 0 },   /* beyond the size */
        { 1, "2", "YWI=", 0, 0 },      /* next not the end */
        { 4, "null", "", 0, 0 },       /* offset beyond the size */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf (body, sizeof body, "{\"type\":\"result\",\"data\":{\"sha256\":\"%s\",\"name\":\"a.pdf\","
                  "\"type\":\"application/pdf\",\"size\":3,\"offset\":%d,\"next\":%s,\"data\":\"%s\"}}",
                  sha, rows[i].offset, rows[i].next, rows[i].b64);
        const char *f = s_jws (body);
        int rc = request_download (f, strlen (f), &d, &p);
        CHECK_INT (rc, rows[i].ok ? 0 : -1);
        if (rc == 0) {
            CHECK_INT ((int) d.len, (int) rows[i].len);
            CHECK_INT ((int) d.offset, rows[i].offset);
            CHECK_INT ((int) d.size, 3);
            CHECK (d.piece == (rows[i].len != 3));
            CHECK_STR (d.sha256, sha);
            CHECK_STR (d.type, "application/pdf");
        } else
            CHECK_STR (p.code, "bad-file-reply");
        request_download_free (&d);
    }
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
    RUN (test_download_route);
    RUN (test_check_download);
    RUN (test_download_reply);
    RUN (test_disposition);
    RUN (test_download_piece);
    HARNESS_END ();
}
