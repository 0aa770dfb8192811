/*  gateway_fuzz.c: the gateway's decisions (services/gateway/request.h) on a hostile request.

    The input: one byte of settings, then four lines (method, url, Content-Type, Content-Length)
    and the rest as the body:

        byte 0   bits 0-1: the body comes in pieces of 1, 7 or 64 bytes, or whole;
                 bit 2: max_message_bytes 64 (else 4096); bit 3: no Content-Type;
                 bit 4: no Content-Length
        then     METHOD \n URL \n CONTENT-TYPE \n CONTENT-LENGTH \n BODY

    The deployment has the four services. Each step is checked against request.h apart from
    request.c: a route only for its exact path and method, and each route's own request never
    refused; every refusal a status of its kind
    with a problem body that is JSON; the body kept exactly up to the limit; a body forwarded
    only when its payload's aud is the path's service, with the payload's id as correlation;
    the body read as a reply too, its status one of the table's, 503 exactly when transient.
*/
#include "common/json_read.h"
#include "services/gateway/metrics.h"
#include "services/gateway/request.h"
#include "services/gateway/public.h"
#include "tests/fuzz/fuzz.h"

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const s_names[] = { "intake", "referral", "rectify", "notify" };
#define N_NAMES (sizeof s_names / sizeof s_names[0])

/* The next line of [*p, end) as a C string (stops at a NUL too); NULL when none is left. */
static char *
s_line (const uint8_t **p, const uint8_t *end)
{
    if (*p >= end)
        return NULL;
    const uint8_t *nl = memchr (*p, '\n', (size_t) (end - *p));
    size_t n = (size_t) ((nl ? nl : end) - *p);
    char *line = strndup ((const char *) *p, n);
    XC_FUZZ_ASSERT (line != NULL);
    *p = nl ? nl + 1 : end;
    return line;
}

static bool
s_is_get (const char *method)
{
    return strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
}

static bool
s_lower_uuid (const char *id)
{
    if (strlen (id) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !(isdigit ((unsigned char) id[i]) || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    }
    return true;
}

/* The problem's body: JSON with the type, title, status and detail request.h promises. */
static void
s_check_problem (const request_problem_t *problem)
{
    XC_FUZZ_ASSERT (memchr (problem->detail, 0, sizeof problem->detail) != NULL);
    char *text = request_problem_json (problem);
    XC_FUZZ_ASSERT (text != NULL);
    json_t *doc = json_loads (text, 0, NULL);
    XC_FUZZ_ASSERT (json_is_object (doc) && json_object_size (doc) == 4);
    const char *type = json_string_value (json_object_get (doc, "type"));
    XC_FUZZ_ASSERT (type && strncmp (type, "urn:xuncha:gateway:", 19) == 0
                    && strcmp (type + 19, problem->code) == 0);
    XC_FUZZ_ASSERT (json_string_length (json_object_get (doc, "title")) > 0);
    XC_FUZZ_ASSERT (json_integer_value (json_object_get (doc, "status")) == problem->status);
    XC_FUZZ_ASSERT (json_is_string (json_object_get (doc, "detail")));
    json_decref (doc);
    free (text);
}

static void
s_check_route (const request_world_t *world, const char *method, const char *url,
               const char *ctype, const char *length, const request_t *req)
{
    int routes = ROUTE_SERVICES + 2 * (int) world->n_services;
    XC_FUZZ_ASSERT (req->route >= 0 && req->route < routes);
    XC_FUZZ_ASSERT ((req->allow != NULL) == (req->problem.status == 405));
    if (req->route >= ROUTE_SERVICES) {
        /* a service's route only for its own path, the hints' or the POST's */
        int s = (req->route - ROUTE_SERVICES) / 2;
        char path[128];
        snprintf (path, sizeof path, (req->route - ROUTE_SERVICES) % 2 ? "/v1/events/%s/hints"
                                                                       : "/v1/%s", s_names[s]);
        XC_FUZZ_ASSERT (strcmp (url, path) == 0);
    }
    /* and the other way: a route's own request is never refused */
    for (size_t s = 0; s < world->n_services; s++) {
        char own[128];
        snprintf (own, sizeof own, "/v1/%s", s_names[s]);
        if (strcmp (url, own) == 0 && strcmp (method, "POST") == 0 && request_media_type_is_jose (ctype))
            XC_FUZZ_ASSERT (req->action == REQUEST_POST && req->service == (int) s);
        snprintf (own, sizeof own, "/v1/events/%s/hints", s_names[s]);
        if (strcmp (url, own) == 0 && s_is_get (method))
            XC_FUZZ_ASSERT (req->action == REQUEST_HINTS && req->service == (int) s);
    }
    if (s_is_get (method) && (strcmp (url, "/healthz") == 0 || strcmp (url, "/v1/directory") == 0
                              || strcmp (url, "/v1/keys") == 0 || strcmp (url, "/metrics") == 0))
        XC_FUZZ_ASSERT (req->action != REQUEST_REFUSED);
    char path[128] = "";
    if (req->service >= 0) {
        XC_FUZZ_ASSERT ((size_t) req->service < world->n_services);
        snprintf (path, sizeof path, req->action == REQUEST_HINTS ? "/v1/events/%s/hints" : "/v1/%s",
                  s_names[req->service]);
    }
    switch (req->action) {
    case REQUEST_REFUSED:
        XC_FUZZ_ASSERT (req->problem.status == 404 || req->problem.status == 405
                        || req->problem.status == 415);
        XC_FUZZ_ASSERT (!req->too_big);
        s_check_problem (&req->problem);
        if (req->problem.status == 405)
            XC_FUZZ_ASSERT (strcmp (req->allow, "POST") == 0 ? strcmp (method, "POST") != 0
                            : !s_is_get (method) && strcmp (req->allow, "GET, HEAD") == 0);
        if (req->problem.status == 415)
            XC_FUZZ_ASSERT (strcmp (method, "POST") == 0
                            && (!request_media_type_is_jose (ctype) || strncmp (url, "/v1/public/", 11) == 0));
        return;
    case REQUEST_HEALTHZ:
        XC_FUZZ_ASSERT (strcmp (url, "/healthz") == 0);
        break;
    case REQUEST_DIRECTORY:
        XC_FUZZ_ASSERT (strcmp (url, "/v1/directory") == 0);
        break;
    case REQUEST_KEYS:
        XC_FUZZ_ASSERT (strcmp (url, "/v1/keys") == 0);
        break;
    case REQUEST_METRICS:
        XC_FUZZ_ASSERT (strcmp (url, "/metrics") == 0);
        break;
    case REQUEST_HINTS:
        XC_FUZZ_ASSERT (req->service >= 0 && strcmp (url, path) == 0);
        break;
    case REQUEST_POST:
        XC_FUZZ_ASSERT (req->service >= 0 && strcmp (url, path) == 0 && strcmp (method, "POST") == 0);
        XC_FUZZ_ASSERT (request_media_type_is_jose (ctype));
        XC_FUZZ_ASSERT (req->too_big == (length && strtoull (length, NULL, 10) > world->max_body));
        XC_FUZZ_ASSERT (req->problem.status == 0);
        return;
    case REQUEST_PUBLIC:
        /* only with the public channel on, and only its own paths (public.h) */
        XC_FUZZ_ASSERT (world->public_on && req->public_route != PUBLIC_NONE
                        && public_route_of (url) == (public_route_t) req->public_route);
        return;
    default:
        XC_FUZZ_ASSERT (!"an action request.h does not name");
    }
    XC_FUZZ_ASSERT (s_is_get (method) && req->problem.status == 0 && !req->too_big);
}

/* The payload's aud and id, read apart from status.c as a service reads a message it must
   answer by its id (padding dropped, the JSON loosened by json_read.h's xc_json_loosen): 0, or
   -1 when it has not both. */
static int
s_payload_aud_id (const char *bytes, size_t len, char **aud, char **id)
{
    *aud = *id = NULL;
    json_t *outer = json_loadb (bytes, len, 0, NULL);
    const char *b64 = json_string_value (json_object_get (outer, "payload"));
    json_t *body = NULL;
    if (b64) {
        size_t n = strlen (b64), out = 0;
        while (n > 0 && b64[n - 1] == '=')
            n--;
        unsigned char *raw = malloc (n + 1);
        XC_FUZZ_ASSERT (raw != NULL);
        if (sodium_base642bin (raw, n + 1, b64, n, NULL, &out, NULL,
                               sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0) {
            size_t loose_len;
            char *loose = xc_json_loosen ((const char *) raw, out, &loose_len);
            body = loose ? json_loadb (loose, loose_len, 0, NULL) : NULL;
            free (loose);
        }
        free (raw);
    }
    const char *a = json_string_value (json_object_get (body, "aud"));
    const char *i = json_string_value (json_object_get (body, "id"));
    if (a && i) {
        *aud = strdup (a);
        *id = strdup (i);
    }
    json_decref (body);
    json_decref (outer);
    return *aud ? 0 : -1;
}

static void
s_check_body (const request_world_t *world, const request_t *req, const uint8_t *body, size_t len,
              size_t piece)
{
    request_body_t kept = { .too_big = req->too_big };
    for (size_t at = 0; at < len; at += piece) {
        size_t n = len - at < piece ? len - at : piece;
        XC_FUZZ_ASSERT (request_body_add (&kept, (const char *) body + at, n, world->max_body) == 0);
    }
    /* kept: the body exactly when it fits (and Content-Length did not say more), else a prefix */
    XC_FUZZ_ASSERT (kept.too_big == (req->too_big || len > world->max_body));
    XC_FUZZ_ASSERT (kept.len <= world->max_body && kept.len <= len);
    XC_FUZZ_ASSERT (kept.len == 0 || (memcmp (kept.bytes, body, kept.len) == 0
                                      && kept.bytes[kept.len] == '\0'));
    if (!kept.too_big)
        XC_FUZZ_ASSERT (kept.len == len);

    char corr[37];
    request_problem_t problem = { 0 };
    int rc = request_check_body (world, req->service, kept.bytes, kept.len, kept.too_big, corr,
                                 &problem);
    char *aud, *id;
    bool readable = s_payload_aud_id (kept.bytes ? kept.bytes : "", kept.len, &aud, &id) == 0;
    if (rc == 0) {
        XC_FUZZ_ASSERT (!kept.too_big && readable && problem.status == 0);
        XC_FUZZ_ASSERT (strcmp (aud, s_names[req->service]) == 0);
        XC_FUZZ_ASSERT (s_lower_uuid (corr) && strcasecmp (corr, id) == 0);
    }
    else {
        XC_FUZZ_ASSERT (corr[0] == '\0');
        XC_FUZZ_ASSERT (problem.status == (kept.too_big ? 413 : 400));
        if (problem.status == 400 && readable && strcmp (aud, s_names[req->service]) != 0
            && strlen (aud) < 64 && strlen (id) == 36)
            XC_FUZZ_ASSERT (strcmp (problem.code, "audience-mismatch") == 0
                            || strcmp (problem.code, "unreadable-payload") == 0);
        s_check_problem (&problem);
    }
    free (aud);
    free (id);
    request_body_free (&kept);
}

static void
s_check_reply (const uint8_t *frame, size_t len)
{
    request_reply_t reply;
    request_reply ((const char *) frame, len, &reply);
    static const int statuses[] = { 200, 400, 401, 403, 404, 409, 413, 422, 502, 503 };
    size_t i = 0;
    while (i < sizeof statuses / sizeof statuses[0] && statuses[i] != reply.status)
        i++;
    XC_FUZZ_ASSERT (i < sizeof statuses / sizeof statuses[0]);
    XC_FUZZ_ASSERT (reply.transient == (reply.status == 503));
    XC_FUZZ_ASSERT (reply.has_corr ? s_lower_uuid (reply.corr) : reply.corr[0] == '\0');
}

/* A public route's body (public.h): refused as 400 with a problem, or data to sign that
   holds neither the receipt code nor the PoW. */
static void
s_check_public (const request_t *req, const uint8_t *body, size_t len)
{
    public_req_t pub;
    request_problem_t problem = { 0 };
    if (public_body_parse ((public_route_t) req->public_route, (const char *) body, len, &pub, &problem) != 0) {
        XC_FUZZ_ASSERT (problem.status == 400);
        s_check_problem (&problem);
        return;
    }
    XC_FUZZ_ASSERT (json_is_object (pub.data) && pub.type[0]);
    XC_FUZZ_ASSERT (!json_object_get (pub.data, "code") && !json_object_get (pub.data, "pow"));
    XC_FUZZ_ASSERT (!pub.code[0] || public_code_valid (pub.code));
    public_req_clear (&pub);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t pieces[] = { 1, 7, 64, SIZE_MAX };
    uint8_t settings = data[0];
    const request_world_t world = { .services = s_names, .n_services = N_NAMES,
                                    .max_body = settings & 4 ? 64 : 4096,
                                    .public_on = (settings & 32) != 0 };
    const uint8_t *p = data + 1, *end = data + size;
    char *method = s_line (&p, end), *url = s_line (&p, end);
    char *ctype = s_line (&p, end), *length = s_line (&p, end);
    if (method && url) {
        const char *ct = settings & 8 ? NULL : ctype, *cl = settings & 16 ? NULL : length;
        request_t req;
        request_route (&world, method, url, ct, cl, &req);
        s_check_route (&world, method, url, ct, cl, &req);
        if (req.action == REQUEST_POST)
            s_check_body (&world, &req, p, (size_t) (end - p), pieces[settings & 3]);
        if (req.action == REQUEST_PUBLIC && strcmp (method, "POST") == 0)
            s_check_public (&req, p, (size_t) (end - p));
    }
    s_check_reply (p, (size_t) (end - p));
    free (method);
    free (url);
    free (ctype);
    free (length);
    return 0;
}
