/*  xc-gateway: the suite's signed messages over HTTP (docs/services/gateway.md).

    One thread, one poll loop. libmicrohttpd runs without a thread of its own (MHD_USE_EPOLL,
    external polling): its epoll descriptor is polled by zmq_poll beside one DEALER socket per
    service (the services' api endpoints of the deployment file). A POST /v1/{service} is read
    whole, its payload decoded only to read aud (which must be the path's service) and id (the
    correlation), and the body is sent as it came, one frame, on that service's DEALER. The
    connection is then suspended (MHD_suspend_connection) until the reply whose corr is that
    id comes back on the socket, or until services.gateway.reply_timeout_ms passes (504); it is
    then resumed and answered with the reply's bytes, the status read from the reply's type
    and code (status.c). It signs nothing and verifies nothing it carries; with
    services.gateway.public it signs the public's messages as principal public (public.h), the
    receipt codes hashed on a worker thread (hashing.h).

    Everything the gateway refuses itself is an application/problem+json body (RFC 9457).
*/
#include "common/clock.h"
#include "common/codec.h"
#include "common/envelope.h"
#include "common/keys.h"
#include "common/qr.h"
#include "common/config.h"
#include "common/log.h"
#include "common/registry_file.h"
#include "common/transport.h"
#include "services/gateway/curve.h"
#include "services/gateway/files.h"
#include "services/gateway/framing.h"
#include "services/gateway/hashing.h"
#include "services/gateway/hints.h"
#include "services/gateway/metrics.h"
#include "services/gateway/public.h"
#include "services/gateway/limits.h"
#include "services/gateway/request.h"
#include "services/gateway/status.h"
#include "services/gateway/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define SERVICES_MAX 64

typedef enum { REQ_READING, REQ_HASHING, REQ_WAITING, REQ_ANSWERED } req_state_t;

/* One HTTP request, from its first header to its completion. */
typedef struct req {
    req_state_t state;
    struct MHD_Connection *conn;
    request_body_t body;             /* a POST's, as it comes in */
    int service;                     /* index into the services, -1 for none */
    char corr[37];                   /* the request's id, lower case */
    int64_t deadline;                /* monotonic ms */
    int status;                      /* the answer, once REQ_ANSWERED */
    char *answer;
    size_t answer_len;
    bool problem;                    /* answer is a problem body, not a reply */
    bool retry_after;
    const char *allow;               /* a 405's Allow header */
    int route;                       /* metrics.h's route, for /metrics */
    request_action_t action;         /* request.c's decision from the headers */
    int stream;                      /* GET /v1/events/{service}/hints: the service, else -1 */
    int64_t sent;                    /* when the frame was sent (monotonic ms) */
    unsigned retry_after_s;          /* 0: 1 */
    int public_route;                /* public.h's route of a /v1/public/ request, else 0 */
    const char *type;                /* the answer's Content-Type when not the default */
    bool suspended;                  /* MHD_suspend_connection was called */
    uint64_t job;                    /* REQ_HASHING: the receipt code's hash job (hashing.h) */
    public_req_t *pub;               /* REQ_HASHING: what is sent once the hash is in */
    struct req *hnext;               /* the list of requests waiting for their hash */
    struct req *prev, *next;         /* the waiting list */
} req_t;

typedef struct {
    xc_config_t *cfg;
    struct MHD_Daemon *daemon;
    void *ctx;
    void *sockets[SERVICES_MAX];
    size_t n_services;
    req_t *waiting;                  /* oldest first */
    req_t *waiting_tail;
    int in_flight;
    hints_t *hints;                  /* hints.c */
    metrics_t *metrics;              /* metrics.c */
    gateway_limits_t limits;
    gateway_tls_t tls;
    gateway_curve_t curve;           /* the CURVE client side, with curve on */
    const char *names[SERVICES_MAX]; /* the services' names, for request.c */
    request_world_t world;
    files_t files;                   /* services.gateway.web, read at start (files.h) */
    public_conf_t public_conf;       /* services.gateway.public (public.h) */
    public_t *public;                /* NULL: no public channel */
    xc_key_t public_key;             /* the public principal's signing key */
    unsigned char public_salt[16];   /* the receipt code's salt */
    int intake;                      /* the intake service's index, for the public channel */
    hashing_t *hashing;              /* the receipt codes' hashes, on a thread of their own */
    req_t *hashing_list;             /* requests waiting for their hash */
    uint64_t next_job;
} gateway_t;

static int s_queued;                 /* the status s_queue gave last (for /metrics) */

static void
s_unlink (gateway_t *self, req_t *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else if (self->waiting == r)
        self->waiting = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else if (self->waiting_tail == r)
        self->waiting_tail = r->prev;
    r->prev = r->next = NULL;
}

static void
s_answer (req_t *r, int status, char *answer, size_t len, bool problem, bool retry_after)
{
    free (r->answer);
    r->state = REQ_ANSWERED;
    r->status = status;
    r->answer = answer;
    r->answer_len = len;
    r->problem = problem;
    r->retry_after = retry_after;
}

/* A refusal as an RFC 9457 problem body (request.c writes it). */
static void
s_refuse (req_t *r, const request_problem_t *problem)
{
    char *text = request_problem_json (problem);
    s_answer (r, problem->status, text, text ? strlen (text) : 0, true, problem->status == 503);
}

static void
s_problem (req_t *r, int status, const char *code, const char *title, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static void
s_problem (req_t *r, int status, const char *code, const char *title, const char *fmt, ...)
{
    request_problem_t problem = { .status = status, .code = code, .title = title };
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (problem.detail, sizeof problem.detail, fmt, ap);
    va_end (ap);
    s_refuse (r, &problem);
}

static enum MHD_Result
s_queue (struct MHD_Connection *conn, int status, const char *bytes, size_t len,
         const char *type, const char *extra_header, const char *extra_value)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer (len, (void *) bytes,
                                                                 MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header (resp, "Cache-Control", "no-store");
    MHD_add_response_header (resp, "X-Content-Type-Options", "nosniff");
    if (extra_header)
        MHD_add_response_header (resp, extra_header, extra_value);
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned) status, resp);
    MHD_destroy_response (resp);
    s_queued = status;
    return rc;
}

static enum MHD_Result
s_send_answer (req_t *r)
{
    const char *type = r->type ? r->type
                     : r->problem ? "application/problem+json" : "application/jose+json";
    if (r->status == 405 && r->allow)
        return s_queue (r->conn, r->status, r->answer ? r->answer : "", r->answer_len, type,
                        MHD_HTTP_HEADER_ALLOW, r->allow);
    char seconds[16];
    snprintf (seconds, sizeof seconds, "%u", r->retry_after_s ? r->retry_after_s : 1);
    return s_queue (r->conn, r->status, r->answer ? r->answer : "", r->answer_len, type,
                    r->retry_after ? MHD_HTTP_HEADER_RETRY_AFTER : NULL, seconds);
}

static enum MHD_Result
s_send_json (struct MHD_Connection *conn, int status, json_t *doc)
{
    char *text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    if (!text)
        return MHD_NO;
    enum MHD_Result rc = s_queue (conn, status, text, strlen (text), "application/json", NULL, NULL);
    free (text);
    return rc;
}

/* GET /v1/directory: the services, their paths, the protocol's version and limit. */
static enum MHD_Result
s_directory (gateway_t *self, struct MHD_Connection *conn)
{
    json_t *services = json_array ();
    for (size_t i = 0; i < self->n_services; i++) {
        char path[96];
        snprintf (path, sizeof path, "/v1/%s", self->cfg->services[i].name);
        json_array_append_new (services, json_pack ("{s:s, s:s}", "name", self->cfg->services[i].name,
                                                    "path", path));
    }
    return s_send_json (conn, 200, json_pack ("{s:i, s:s, s:I, s:o, s:s}", "protocol", 1,
                                              "deployment", self->cfg->deployment,
                                              "max_message_bytes",
                                              (json_int_t) self->cfg->max_message_bytes,
                                              "services", services,
                                              "media_type", "application/jose+json"));
}

/* GET /v1/keys: the services' public keys from the registry file, as a JWK Set. The file is
   read on each request, so a rotation shows at once. */
static enum MHD_Result
s_keys (gateway_t *self, struct MHD_Connection *conn, req_t *r)
{
    json_t *registry = json_load_file (self->cfg->registry, JSON_REJECT_DUPLICATES, NULL);
    json_t *principals = json_object_get (registry, "principals");
    if (!json_is_array (principals)) {
        json_decref (registry);
        s_problem (r, 500, "registry-unreadable", "注册表无法读取",
                   "the principal registry could not be read");
        return s_send_answer (r);
    }
    json_t *keys = xc_registry_service_keys (registry, self->cfg);
    json_decref (registry);
    return s_send_json (conn, 200, keys);
}

/* GET or HEAD of one of the console's files: from the table read at start, with the
   security headers; 304 when the client's copy is current; 404 for anything else. */
static enum MHD_Result
s_file (gateway_t *self, struct MHD_Connection *conn, req_t *r, const char *url)
{
    char key[FILES_MAX_PATH + 16];
    const files_entry_t *e = files_path_key (url, key, sizeof key) == 0
                             ? files_find (&self->files, key) : NULL;
    if (!e) {
        s_problem (r, 404, "not-found", "页面不存在", "no such file in the console");
        return s_send_answer (r);
    }
    const char *inm = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool fresh = files_etag_matches (inm, e->etag);
    /* the table lives as long as the daemon: served from it, not copied */
    struct MHD_Response *resp = MHD_create_response_from_buffer (fresh ? 0 : e->len,
                                                                 fresh ? NULL : e->bytes,
                                                                 MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, e->type);
    MHD_add_response_header (resp, MHD_HTTP_HEADER_ETAG, e->etag);
    for (size_t i = 0; files_headers[i][0]; i++)
        MHD_add_response_header (resp, files_headers[i][0], files_headers[i][1]);
    int status = fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK;
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned) status, resp);
    MHD_destroy_response (resp);
    s_queued = status;
    return rc;
}

static void s_send (gateway_t *self, req_t *r, const char *bytes, size_t len);

/* A POST whose body is complete: checks it and sends it on, or answers. */
static void
s_forward (gateway_t *self, req_t *r)
{
    request_problem_t problem;
    if (request_check_body (&self->world, r->service, r->body.bytes, r->body.len, r->body.too_big,
                            r->corr, &problem) != 0) {
        s_refuse (r, &problem);
        return;
    }
    char refused[512];
    if (gateway_tls_check_client (&self->tls, r->conn, self->cfg->registry, r->body.bytes,
                                  r->body.len, refused, sizeof refused) != 0) {
        s_problem (r, 403, "client-certificate", "客户端证书与签发者不符", "%s", refused);
        return;
    }
    s_send (self, r, r->body.bytes, r->body.len);
}

/* Sends a message to r->service and suspends r until its reply (r->corr) or its deadline. */
static void
s_send (gateway_t *self, req_t *r, const char *bytes, size_t len)
{
    const xc_service_conf_t *svc = &self->cfg->services[r->service];
    if (zmq_send (self->sockets[r->service], bytes, len, ZMQ_DONTWAIT) < 0) {
        s_problem (r, 503, "service-unreachable", "服务暂不可用",
                   "the message could not be queued for '%s' (%s): resend the same bytes",
                   svc->name, zmq_strerror (zmq_errno ()));
        return;
    }
    r->state = REQ_WAITING;
    r->sent = xc_clock_mono_ms ();
    r->deadline = r->sent + self->cfg->gateway_reply_timeout_ms;
    r->prev = self->waiting_tail;
    if (self->waiting_tail)
        self->waiting_tail->next = r;
    else
        self->waiting = r;
    self->waiting_tail = r;
    self->in_flight++;
    if (!r->suspended)
        MHD_suspend_connection (r->conn);
    r->suspended = true;
}

/* Signs data as the public principal and sends it to intake; id NULL for a new one. */
static void
s_public_send (gateway_t *self, req_t *r, const char *type, const json_t *data, const char *id)
{
    int64_t now = xc_clock_wall ();
    xc_claims_t claims = { .id = id, .iss = "public", .aud = self->cfg->services[self->intake].name,
                           .type = type, .iat = now, .exp = now + 60 };
    xc_err_t err;
    size_t len;
    char used[XC_UUID_LEN + 1];
    char *msg = xc_envelope_seal (&self->public_key, &claims, data, &len, used, &err);
    if (!msg) {
        s_problem (r, 500, "signing-failed", "网关内部错误", "%s", err.text);
        return;
    }
    r->service = self->intake;
    xc_uuid_lower_copy (r->corr, used);
    s_send (self, r, msg, len);
    free (msg);
}

/* GET /v1/public/qr: the QR of the public page's address for the round (and unit). */
static void
s_public_qr (gateway_t *self, req_t *r, const char *round, const char *unit, const char *format)
{
    char url[512];
    snprintf (url, sizeof url, "%s/public/?round=%s%s%s", self->public_conf.base_url, round,
              unit ? "&unit=" : "", unit ? unit : "");
    bool png = format && strcmp (format, "png") == 0;
    size_t len = 0;
    char *bytes = png ? xc_qr_png (url, 8, &len) : xc_qr_svg (url, &len);
    if (!bytes) {
        s_problem (r, 500, "qr-failed", "二维码生成失败", "the QR of '%s' could not be made", url);
        return;
    }
    s_answer (r, 200, bytes, len, false, false);
    r->type = png ? "image/png" : "image/svg+xml";
}

/* A request under /v1/public/ whose header (and a POST's body) is in: answered at once, or
   signed as the public principal and sent to intake (public.h decides, this does the I/O). */
static void
s_public (gateway_t *self, struct MHD_Connection *conn, req_t *r)
{
    int64_t now = xc_clock_wall ();
    request_problem_t problem = { 0 };
    public_route_t route = (public_route_t) r->public_route;
    bool post = route != PUBLIC_POW && route != PUBLIC_INFO && route != PUBLIC_QR;
    public_req_t req = { 0 };
    int parsed = 0;
    if (post && r->body.too_big) {
        request_problem_set (&problem, 413, "too-large", "提交内容过大",
                             "the body is larger than the protocol's max_message_bytes (%zu)",
                             self->world.max_body);
        parsed = -1;
    } else if (post) {
        parsed = public_body_parse (route, r->body.bytes, r->body.len, &req, &problem);
        if (r->body.bytes)           /* it holds the receipt code: not kept past here */
            sodium_memzero (r->body.bytes, r->body.len);
    }
    uint8_t addr[16];
    unsigned wait_s = gateway_limits_address (conn, addr)
                      ? public_limit (self->public, addr, route, parsed == 0 ? req.upload_bytes : 0, now)
                      : 0;
    if (wait_s) {
        s_problem (r, 429, "too-many-requests", "提交过于频繁，请稍后再试",
                   "more requests from this address than services.gateway.public allows: "
                   "retry after %u s", wait_s);
        r->retry_after = true;
        r->retry_after_s = wait_s;
        goto done;
    }
    if (parsed != 0) {
        s_refuse (r, &problem);
        goto done;
    }
    if (route == PUBLIC_POW) {
        char *text = public_pow_issue (self->public, now);
        s_answer (r, text ? 200 : 500, text, text ? strlen (text) : 0, false, false);
        r->type = "application/json";
        goto done;
    }
    if (route == PUBLIC_INFO || route == PUBLIC_QR) {
        const char *round = MHD_lookup_connection_value (conn, MHD_GET_ARGUMENT_KIND, "round");
        const char *unit = MHD_lookup_connection_value (conn, MHD_GET_ARGUMENT_KIND, "unit");
        const char *format = MHD_lookup_connection_value (conn, MHD_GET_ARGUMENT_KIND, "format");
        if (unit && !*unit)
            unit = NULL;
        if (public_query_check (route, round, unit, format, &problem) != 0)
            s_refuse (r, &problem);
        else if (route == PUBLIC_QR)
            s_public_qr (self, r, round, unit, format);
        else {
            json_t *data = json_pack ("{s:s}", "round", round);
            if (unit)
                json_object_set_new (data, "unit", json_string (unit));
            s_public_send (self, r, "public.info", data, NULL);
            json_decref (data);
        }
        goto done;
    }
    if (route == PUBLIC_FILES) {
        s_public_send (self, r, req.type, req.data, NULL);
        goto done;
    }
    /* report, receipt, answer: the PoW, then the code's slow hash (the code goes no further) */
    if (public_pow_redeem (self->public, req.challenge, req.nonce, now, &problem) != 0) {
        s_refuse (r, &problem);
        goto done;
    }
    /* the slow hash on the worker (hashing.h); the request waits suspended */
    r->pub = calloc (1, sizeof *r->pub);
    if (!r->pub || hashing_submit (self->hashing, self->next_job + 1, req.code) != 0) {
        s_problem (r, 503, "busy", "访问人数较多，请稍后再试",
                   "too many receipt codes are being hashed: retry in a moment");
        r->retry_after = true;
        goto done;
    }
    r->job = ++self->next_job;
    *r->pub = req;
    memset (&req, 0, sizeof req);
    sodium_memzero (r->pub->code, sizeof r->pub->code);
    r->state = REQ_HASHING;
    r->hnext = self->hashing_list;
    self->hashing_list = r;
    MHD_suspend_connection (r->conn);
    r->suspended = true;
done:
    public_req_clear (&req);
}

/* A receipt code's hash is in: the message goes on to intake (or the request is answered).
   The number of connections resumed. */
static int
s_public_hashed (gateway_t *self, uint64_t job, const unsigned char hash[32], bool ok)
{
    req_t **p = &self->hashing_list;
    while (*p && (*p)->job != job)
        p = &(*p)->hnext;
    req_t *r = *p;
    if (!r)
        return 0;                    /* answered already (the gateway is stopping) */
    *p = r->hnext;
    r->hnext = NULL;
    r->state = REQ_READING;
    if (!ok)
        s_problem (r, 503, "busy", "访问人数较多，请稍后再试", "the receipt code could not be hashed (memory)");
    else {
        char text[44], id[XC_UUID_LEN + 1];
        public_hash_text (hash, text);
        json_object_set_new (r->pub->data, "code_hash", json_string (text));
        if (r->public_route == PUBLIC_REPORT) {
            /* the id from the hash: a report resent with the same code is a duplicate */
            public_report_id (hash, id);
            public_report_seen (self->public, xc_clock_wall ());
        }
        s_public_send (self, r, r->pub->type, r->pub->data, r->public_route == PUBLIC_REPORT ? id : NULL);
    }
    public_req_clear (r->pub);
    if (r->state == REQ_WAITING)
        return 0;
    MHD_resume_connection (r->conn);
    return 1;
}

static enum MHD_Result
s_handle (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    gateway_t *self = cls;
    req_t *r = *con_cls;
    url = gateway_framing_path (url);
    if (!r) {
        r = calloc (1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->conn = conn;
        r->service = -1;
        r->stream = -1;
        *con_cls = r;
        unsigned wait_s = gateway_limits_request (&self->limits, conn, xc_clock_mono_ms ());
        if (wait_s) {
            s_problem (r, 429, "too-many-requests", "请求过于频繁",
                       "more requests from this address than services.gateway.limits allows: "
                       "retry after %u s", wait_s);
            r->retry_after = true;
            r->retry_after_s = wait_s;
            return MHD_YES;
        }
        gateway_refusal_t refusal;
        if (gateway_framing_check (conn, method, version, &refusal)) {
            /* answered at once: queued before the body is read, libmicrohttpd reads no more
               of this connection and closes it after the answer (framing.h) */
            s_problem (r, refusal.status, refusal.code, refusal.title, "%s", refusal.detail);
            return s_send_answer (r);
        }
        const char *ctype = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                         MHD_HTTP_HEADER_CONTENT_TYPE);
        const char *length = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
        request_t req;
        request_route (&self->world, method, url, ctype, length, &req);
        r->route = req.route;
        r->action = req.action;
        r->service = req.action == REQUEST_HINTS ? -1 : req.service;
        r->stream = req.action == REQUEST_HINTS ? req.service : -1;
        r->body.too_big = req.too_big;
        r->public_route = req.public_route;
        if (req.action == REQUEST_REFUSED) {
            r->allow = req.allow;
            s_refuse (r, &req.problem);
        }
        /* answered once the body is read: a refusal too reads (and drops) what the client
           sends, so that closing the socket does not reset the connection under the answer */
        const char *expect = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_EXPECT);
        if (req.action == REQUEST_POST && r->body.too_big && expect
            && strcasecmp (expect, "100-continue") == 0) {
            /* the client waits for "100 Continue" before its body: 413 instead, at once */
            s_forward (self, r);
            return s_send_answer (r);
        }
        return MHD_YES;
    }

    if (*upload_size > 0) {
        /* a body: kept for a POST that is still going, dropped for one already answered */
        if (r->state == REQ_READING && (r->action == REQUEST_POST || r->action == REQUEST_PUBLIC)
            && request_body_add (&r->body, upload, *upload_size, self->world.max_body) != 0)
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }

    if (r->state == REQ_ANSWERED)
        return s_send_answer (r);
    if (r->action == REQUEST_PUBLIC) {
        if (r->state == REQ_READING) {
            s_public (self, conn, r);
            if (r->state == REQ_ANSWERED)
                return s_send_answer (r);
        }
        return MHD_YES;              /* suspended: answered when resumed */
    }
    if (r->action != REQUEST_POST) {
        if (r->action == REQUEST_FILE)
            return s_file (self, conn, r, url);
        if (r->action == REQUEST_HEALTHZ)
            return s_send_json (conn, 200, json_pack ("{s:s, s:i}", "status", "ok", "in_flight",
                                                      self->in_flight));
        if (r->action == REQUEST_DIRECTORY)
            return s_directory (self, conn);
        if (r->action == REQUEST_METRICS) {
            char *text = metrics_render (self->metrics, self->in_flight, self->hints);
            enum MHD_Result rc = text ? s_queue (conn, 200, text, strlen (text),
                                                 "text/plain; version=0.0.4; charset=utf-8", NULL, NULL)
                                      : MHD_NO;
            free (text);
            return rc;
        }
        if (r->stream >= 0) {
            bool full;
            enum MHD_Result rc = hints_open (self->hints, conn, (size_t) r->stream, &full);
            if (!full) {
                r->status = 200;
                return rc;
            }
            s_problem (r, 503, "too-many-streams", "事件流连接过多",
                       "%d hint streams are open already (services.gateway.sse_clients): retry later",
                       self->cfg->gateway_sse_clients);
            return s_send_answer (r);
        }
        return s_keys (self, conn, r);
    }
    if (r->state == REQ_READING) {
        s_forward (self, r);
        if (r->state == REQ_ANSWERED)
            return s_send_answer (r);
    }
    return MHD_YES;                  /* suspended: answered when resumed */
}

/* s_handle, with the status it queued kept for /metrics */
static enum MHD_Result
s_handler (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    s_queued = 0;
    enum MHD_Result rc = s_handle (cls, conn, url, method, version, upload, upload_size, con_cls);
    req_t *r = *con_cls;
    if (r && s_queued)
        r->status = s_queued;
    return rc;
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    (void) toe;
    gateway_t *self = cls;
    gateway_limits_request_done (&self->limits, conn, xc_clock_mono_ms ());
    req_t *r = *con_cls;
    if (!r)
        return;
    if (r->state == REQ_WAITING) {
        s_unlink (self, r);
        self->in_flight--;
    }
    metrics_request (self->metrics, r->route, r->status);
    for (req_t **p = &self->hashing_list; *p; p = &(*p)->hnext)
        if (*p == r) {
            *p = r->hnext;
            break;
        }
    if (r->pub) {
        public_req_clear (r->pub);
        free (r->pub);
    }
    request_body_free (&r->body);
    free (r->answer);
    free (r);
    *con_cls = NULL;
}

/* Takes every reply waiting on a service's socket; resumes the oldest request with its corr. */
static int
s_take_replies (gateway_t *self, int service)
{
    int resumed = 0;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, self->sockets[service], ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        bool more = zmq_msg_more (&msg);
        size_t len = zmq_msg_size (&msg);
        char *bytes = malloc (len + 1);
        if (bytes) {
            memcpy (bytes, zmq_msg_data (&msg), len);
            bytes[len] = '\0';
        }
        zmq_msg_close (&msg);
        while (more) {               /* a reply is one frame: drop any other */
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, self->sockets[service], ZMQ_DONTWAIT) < 0)
                more = false;
            else
                more = zmq_msg_more (&msg);
            zmq_msg_close (&msg);
        }
        if (!bytes)
            continue;
        request_reply_t reply;
        request_reply (bytes, len, &reply);
        req_t *match = NULL;
        for (req_t *r = self->waiting; reply.has_corr && r; r = r->next)
            if (r->service == service && strcmp (r->corr, reply.corr) == 0) {
                match = r;
                break;
            }
        if (!match) {
            xc_debug (NULL, "a reply from '%s' for no request waiting: dropped",
                      self->cfg->services[service].name);
            free (bytes);
            continue;
        }
        s_unlink (self, match);
        self->in_flight--;
        metrics_latency (self->metrics, (size_t) service, (double) (xc_clock_mono_ms () - match->sent));
        s_answer (match, reply.status, bytes, len, false, reply.transient);
        if (match->public_route == PUBLIC_REPORT && reply.status == 200) {
            /* the reporter's acknowledgement: intake's signed reply, as a string */
            json_t *doc = json_pack ("{s:s%}", "acknowledgement", bytes, len);
            char *text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
            json_decref (doc);
            if (text) {
                s_answer (match, 200, text, strlen (text), false, false);
                match->type = "application/json";
            }
        }
        MHD_resume_connection (match->conn);
        resumed++;
    }
    return resumed;
}

/* Answers 504 to every request whose deadline has passed; the time to the next one. The
   waiting list is in the order the frames were sent and every deadline is sent +
   reply_timeout_ms, so it is in deadline order too: only its expired head is walked. */
static int
s_expire (gateway_t *self, int *resumed)
{
    int64_t now = xc_clock_mono_ms ();
    req_t *r;
    while ((r = self->waiting) && r->deadline <= now) {
        s_unlink (self, r);
        self->in_flight--;
        metrics_latency (self->metrics, (size_t) r->service, (double) (now - r->sent));
        s_problem (r, 504, "no-answer", "服务未在时限内答复",
                   "'%s' did not answer within %d ms: resend the same bytes (a command is "
                   "never done twice)", self->cfg->services[r->service].name,
                   self->cfg->gateway_reply_timeout_ms);
        MHD_resume_connection (r->conn);
        (*resumed)++;
    }
    return r ? (int) (r->deadline - now) : -1;
}

/* services.gateway.public: the public principal's key, which must be in the registry as
   principal "public" of role public, and intake, which the public channel talks to. */
static int
s_public_load (gateway_t *self, char *why, size_t why_len)
{
    self->intake = -1;
    for (size_t i = 0; i < self->cfg->n_services; i++)
        if (strcmp (self->cfg->services[i].name, "intake") == 0)
            self->intake = (int) i;
    if (self->intake < 0) {
        snprintf (why, why_len, "services.gateway.public: the deployment has no intake service");
        return -1;
    }
    char *path = xc_config_resolve (self->cfg, self->public_conf.key);
    xc_err_t err;
    int rc = path ? xc_key_load_jwk (&self->public_key, path, &err) : -1;
    if (rc != 0) {
        snprintf (why, why_len, "services.gateway.public.key: %s", path ? err.text : "out of memory");
        free (path);
        return -1;
    }
    free (path);
    if (sodium_init () < 0) {
        snprintf (why, why_len, "libsodium could not start");
        return -1;
    }
    xc_registry_t *reg = NULL;
    if (xc_registry_load (self->cfg->registry, &reg, &err) != 0) {
        snprintf (why, why_len, "%s", err.text);
        return -1;
    }
    const xc_pubkey_t *k = xc_registry_key (reg, self->public_key.kid);
    bool ok = k && strcmp (k->owner->iss, "public") == 0 && strcmp (k->owner->role, "public") == 0
              && memcmp (k->pk, self->public_key.pk, 32) == 0;
    xc_registry_destroy (&reg);
    if (!ok) {
        snprintf (why, why_len, "services.gateway.public.key: its key '%s' is not registered to "
                                "principal 'public' of role public (xcctl init registers it)",
                  self->public_key.kid);
        return -1;
    }
    public_salt (self->cfg->deployment, self->public_salt);
    self->public = public_new (&self->public_conf, self->public_key.sk);
    self->hashing = hashing_new (self->public_conf.pwhash_ops, self->public_conf.pwhash_mem,
                                 self->public_salt, 64);
    if (!self->public || !self->hashing) {
        snprintf (why, why_len, "out of memory");
        return -1;
    }
    xc_info (NULL, "the public channel is on: signing as 'public' with '%s'", self->public_key.kid);
    return 0;
}

static int
s_write_ready (const char *path, const char *http)
{
    char tmp[4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    json_t *ready = json_pack ("{s:s, s:s, s:I}", "service", "gateway", "http", http,
                               "pid", (json_int_t) getpid ());
    int rc = ready ? json_dump_file (ready, tmp, JSON_COMPACT) : -1;
    json_decref (ready);
    if (rc == 0 && rename (tmp, path) != 0)
        rc = -1;
    return rc;
}

static int
s_parse_http (const char *text, struct sockaddr_in *addr)
{
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || (size_t) (colon - text) >= 64)
        return -1;
    char host[64];
    memcpy (host, text, (size_t) (colon - text));
    host[colon - text] = '\0';
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return -1;
    memset (addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons ((uint16_t) port);
    return inet_pton (AF_INET, host, &addr->sin_addr) == 1 ? 0 : -1;
}

static void
s_usage (void)
{
    fprintf (stderr, "usage: xc-gateway [--config FILE] [--ready-file FILE] [--test-mode]\n"
                     "  --config FILE       the deployment file (default $XC_CONFIG, then config/local.json)\n"
                     "  --ready-file FILE   written once the HTTP port is bound\n"
                     "  --test-mode         accepted for the test harness; changes nothing\n");
}

int
main (int argc, char *argv[])
{
    const char *config_path = getenv ("XC_CONFIG") ? getenv ("XC_CONFIG") : "config/local.json";
    const char *ready_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp (argv[i], "--config") == 0 && value)
            config_path = argv[++i];
        else if (strcmp (argv[i], "--ready-file") == 0 && value)
            ready_path = argv[++i];
        else if (strcmp (argv[i], "--test-mode") == 0)
            ;
        else {
            s_usage ();
            return 2;
        }
    }
    xc_log_init ("gateway", XC_LOG_INFO);
    gateway_t self = { 0 };
    xc_err_t err;
    int rc = 1;
    if (xc_config_load (config_path, &self.cfg, &err) != 0) {
        xc_error (NULL, "%s", err.text);
        return 1;
    }
    xc_log_level_t level;
    if (xc_log_level_parse (self.cfg->log_level, &level) == 0)
        xc_log_init ("gateway", level);
    struct sockaddr_in addr;
    if (!self.cfg->gateway_http) {
        xc_error (NULL, "'%s': services.gateway.http: missing", config_path);
        goto cleanup;
    }
    if (s_parse_http (self.cfg->gateway_http, &addr) != 0) {
        xc_error (NULL, "'%s': services.gateway.http: '%s' is not an IPv4 address and port",
                  config_path, self.cfg->gateway_http);
        goto cleanup;
    }
    if (self.cfg->n_services > SERVICES_MAX) {
        xc_error (NULL, "'%s': more than %d services", config_path, SERVICES_MAX);
        goto cleanup;
    }
    if (gateway_limits_init (&self.limits, self.cfg->gateway) != 0) {
        xc_error (NULL, "out of memory");
        goto cleanup;
    }
    struct MHD_OptionItem options[16];
    size_t n_options = gateway_limits_options (&self.limits, options);
    char why[512];
    if (gateway_tls_load (&self.tls, self.cfg, why, sizeof why) != 0) {
        xc_error (NULL, "'%s': %s", config_path, why);
        goto cleanup;
    }
    n_options += gateway_tls_options (&self.tls, options + n_options);
    if (gateway_curve_load (&self.curve, self.cfg, why, sizeof why) != 0) {
        xc_error (NULL, "'%s': %s", config_path, why);
        goto cleanup;
    }
    const char *web = json_string_value (json_object_get (self.cfg->gateway, "web"));
    if (web) {
        json_t *max = json_object_get (self.cfg->gateway, "web_max_bytes");
        char *folder = xc_config_resolve (self.cfg, web);
        int loaded = folder ? files_load (&self.files, folder, max ? (size_t) json_integer_value (max)
                                                                   : FILES_MAX_BYTES_DEFAULT,
                                          why, sizeof why)
                            : -1;
        if (loaded == 0)
            xc_info (NULL, "serving the console from '%s': %zu files, %zu bytes", folder,
                     self.files.n, self.files.total);
        free (folder);
        if (loaded != 0) {
            xc_error (NULL, "'%s': %s", config_path, folder ? why : "out of memory");
            goto cleanup;
        }
    }
    if (public_conf_read (self.cfg->gateway, &self.public_conf, why, sizeof why) != 0) {
        xc_error (NULL, "'%s': %s", config_path, why);
        goto cleanup;
    }
    if (self.public_conf.on && s_public_load (&self, why, sizeof why) != 0) {
        xc_error (NULL, "'%s': %s", config_path, why);
        goto cleanup;
    }
    options[n_options] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };
    xc_signals_install ();
    self.ctx = zmq_ctx_new ();
    int64_t max_frame = (int64_t) self.cfg->max_message_bytes * 4;
    for (size_t i = 0; self.ctx && i < self.cfg->n_services; i++) {
        void *s = zmq_socket (self.ctx, ZMQ_DEALER);
        int zero = 0;
        if (!s || zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero) != 0
            || zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) != 0
            || gateway_curve_apply (&self.curve, s, i) != 0
            || zmq_connect (s, self.cfg->services[i].api) != 0) {
            xc_error (NULL, "unable to connect to '%s' at '%s': %s", self.cfg->services[i].name,
                      self.cfg->services[i].api, zmq_strerror (zmq_errno ()));
            if (s)
                zmq_close (s);
            goto cleanup;
        }
        self.sockets[self.n_services++] = s;
    }
    for (size_t i = 0; i < self.n_services; i++)
        self.names[i] = self.cfg->services[i].name;
    self.world = (request_world_t) { .services = self.names, .n_services = self.n_services,
                                     .max_body = self.cfg->max_message_bytes,
                                     .web = web != NULL,
                                     .public_on = self.public != NULL };
    self.hints = self.ctx ? hints_new (self.ctx, self.cfg, &self.curve, self.n_services) : NULL;
    self.metrics = metrics_new (self.cfg, self.n_services);
    if (!self.hints || !self.metrics) {
        xc_error (NULL, "unable to subscribe to the services' hints");
        goto cleanup;
    }
    self.daemon = MHD_start_daemon (MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG
                                    | gateway_tls_flags (&self.tls),
                                    0, NULL, NULL, &s_handler, &self,
                                    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
                                    MHD_OPTION_NOTIFY_COMPLETED, &s_completed, &self,
                                    MHD_OPTION_UNESCAPE_CALLBACK, &gateway_framing_unescape, NULL,
                                    MHD_OPTION_ARRAY, options,
                                    MHD_OPTION_END);
    if (!self.daemon) {
        xc_error (NULL, "unable to serve HTTP on '%s'", self.cfg->gateway_http);
        goto cleanup;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self.daemon, MHD_DAEMON_INFO_EPOLL_FD);
    const union MHD_DaemonInfo *listen = MHD_get_daemon_info (self.daemon, MHD_DAEMON_INFO_LISTEN_FD);
    struct sockaddr_in bound;
    socklen_t bound_len = sizeof bound;
    if (!info || !listen || getsockname (listen->listen_fd, (struct sockaddr *) &bound, &bound_len) != 0) {
        xc_error (NULL, "libmicrohttpd gave no epoll or listening descriptor");
        goto cleanup;
    }
    char host[INET_ADDRSTRLEN], http[INET_ADDRSTRLEN + 8];
    inet_ntop (AF_INET, &bound.sin_addr, host, sizeof host);
    snprintf (http, sizeof http, "%s:%u", host, (unsigned) ntohs (bound.sin_port));
    if (ready_path && s_write_ready (ready_path, http) != 0) {
        xc_error (NULL, "unable to write '%s'", ready_path);
        goto cleanup;
    }
    xc_info (NULL, "serving %s on %s for %zu services, replies awaited %d ms",
             self.tls.cert ? "HTTPS" : "HTTP", http, self.n_services, self.cfg->gateway_reply_timeout_ms);

    zmq_pollitem_t items[2 * SERVICES_MAX + 2];
    items[0] = (zmq_pollitem_t) { .socket = NULL, .fd = info->epoll_fd, .events = ZMQ_POLLIN };
    for (size_t i = 0; i < self.n_services; i++)
        items[i + 1] = (zmq_pollitem_t) { .socket = self.sockets[i], .events = ZMQ_POLLIN };
    size_t n_items = self.n_services + 1, hint_of[SERVICES_MAX];
    for (size_t i = 0; i < self.n_services; i++)
        if (hints_socket (self.hints, i)) {
            hint_of[n_items - self.n_services - 1] = i;
            items[n_items++] = (zmq_pollitem_t) { .socket = hints_socket (self.hints, i),
                                                  .events = ZMQ_POLLIN };
        }
    int hashing_item = -1;
    if (self.hashing) {
        hashing_item = (int) n_items;
        items[n_items++] = (zmq_pollitem_t) { .socket = NULL, .fd = hashing_fd (self.hashing),
                                              .events = ZMQ_POLLIN };
    }
    int resumed = 0;
    while (!xc_signals_stopping ()) {
        /* the wait: MHD's own timeout, the nearest reply deadline, a second at most (signals) */
        long timeout = resumed ? 0 : 1000;
        resumed = 0;
        MHD_UNSIGNED_LONG_LONG mhd_timeout;
        if (MHD_get_timeout (self.daemon, &mhd_timeout) == MHD_YES && (long long) mhd_timeout < timeout)
            timeout = (long) mhd_timeout;
        int expire_in = s_expire (&self, &resumed);
        int beat_in = hints_tick (self.hints);
        if (beat_in < timeout)
            timeout = beat_in;
        if (resumed)
            timeout = 0;
        else if (expire_in >= 0 && expire_in < timeout)
            timeout = expire_in;
        int n = zmq_poll (items, (int) n_items, timeout);
        if (n < 0 && zmq_errno () != EINTR) {
            xc_error (NULL, "poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        for (size_t i = 0; n > 0 && i < self.n_services; i++)
            if (items[i + 1].revents & ZMQ_POLLIN)
                resumed += s_take_replies (&self, (int) i);
        for (size_t k = self.n_services + 1; n > 0 && k < n_items; k++)
            if ((int) k != hashing_item && (items[k].revents & ZMQ_POLLIN))
                resumed += hints_take (self.hints, hint_of[k - self.n_services - 1]);
        if (hashing_item >= 0 && (items[hashing_item].revents & ZMQ_POLLIN)) {
            uint64_t job;
            unsigned char hash[32];
            bool ok;
            while (hashing_take (self.hashing, &job, hash, &ok))
                resumed += s_public_hashed (&self, job, hash, ok);
            sodium_memzero (hash, sizeof hash);
        }
        MHD_run (self.daemon);
        gateway_limits_sweep (&self.limits, xc_clock_mono_ms ());
    }
    rc = 0;
    xc_info (NULL, "stopping, %d requests waiting get 503", self.in_flight);
cleanup:
    if (self.daemon) {
        /* every suspended connection is resumed with an answer before the daemon stops */
        for (req_t *r = self.waiting; r; r = self.waiting) {
            s_unlink (&self, r);
            self.in_flight--;
            s_problem (r, 503, "stopping", "网关正在停止", "the gateway is stopping: resend the same bytes");
            MHD_resume_connection (r->conn);
        }
        for (req_t *r = self.hashing_list; r; r = self.hashing_list) {
            self.hashing_list = r->hnext;
            s_problem (r, 503, "stopping", "网关正在停止", "the gateway is stopping: send it again");
            MHD_resume_connection (r->conn);
        }
        if (self.hints)
            hints_stop (self.hints);
        MHD_run (self.daemon);
        MHD_stop_daemon (self.daemon);
    }
    hints_destroy (&self.hints);
    metrics_destroy (&self.metrics);
    for (size_t i = 0; i < self.n_services; i++)
        zmq_close (self.sockets[i]);
    if (self.ctx)
        zmq_ctx_term (self.ctx);
    gateway_limits_destroy (&self.limits);
    gateway_tls_destroy (&self.tls);
    gateway_curve_clear (&self.curve);
    files_destroy (&self.files);
    hashing_destroy (&self.hashing);
    public_destroy (&self.public);
    xc_key_wipe (&self.public_key);
    xc_config_destroy (&self.cfg);
    if (rc == 0)
        xc_info (NULL, "stopped");
    return rc;
}
