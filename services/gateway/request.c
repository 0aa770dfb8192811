/*  request.c: the gateway's decisions about a request (see request.h); no I/O. */
#include "services/gateway/request.h"

#include "common/codec.h"
#include "common/hash.h"
#include "common/json_text.h"
#include "services/gateway/metrics.h"
#include "services/gateway/public.h"
#include "services/gateway/status.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The service named by the n bytes at name, or -1. */
static int
s_service_index (const request_world_t *world, const char *name, size_t n)
{
    for (size_t i = 0; i < world->n_services; i++)
        if (strncmp (world->services[i], name, n) == 0 && world->services[i][n] == '\0')
            return (int) i;
    return -1;
}

void
request_problem_set (request_problem_t *problem, int status, const char *code, const char *title,
                     const char *fmt, ...)
{
    problem->status = status;
    problem->code = code;
    problem->title = title;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (problem->detail, sizeof problem->detail, fmt, ap);
    va_end (ap);
}

/* text with every byte that starts no valid UTF-8 character made '?': a detail quotes what
   the client sent (a method, a path), or was cut mid-character, and jansson takes UTF-8 only */
static void
s_utf8_repair (char *text)
{
    for (char *p = text; *p;) {
        size_t n = 4;
        while (n > 0 && (strnlen (p, n) < n || !xc_utf8_valid (p, n)))
            n--;
        if (n == 0) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

char *
request_problem_json (const request_problem_t *problem)
{
    char type[128], detail[sizeof problem->detail];
    snprintf (type, sizeof type, "urn:xuncha:gateway:%s", problem->code);
    snprintf (detail, sizeof detail, "%s", problem->detail);
    s_utf8_repair (detail);
    json_t *doc = json_pack ("{s:s, s:s, s:i, s:s}", "type", type, "title", problem->title,
                             "status", problem->status, "detail", detail);
    char *text = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
    json_decref (doc);
    return text;
}

bool
request_media_type_is_jose (const char *value)
{
    if (!value)
        return false;
    static const char jose[] = "application/jose+json";
    size_t n = sizeof jose - 1;
    if (strncasecmp (value, jose, n) != 0)
        return false;
    const char *rest = value + n;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

static void
s_refuse_unknown_service (request_t *out)
{
    request_problem_set (&out->problem, 404, "unknown-service", "服务不存在",
                         "this deployment has no service named in the path (GET /v1/directory)");
}

static void
s_refuse_method (request_t *out, const char *allow, const char *url)
{
    out->allow = allow;
    request_problem_set (&out->problem, 405, "method-not-allowed", "不支持的请求方法",
                         "'%s' takes GET only", url);
}

/*  A POST of a signed message to the service named (POST /v1/{service}, and POST
    /v1/files/{service} for a download): the service, the method and the media type checked,
    a body larger than Content-Length allows noted. */
static void
s_route_signed (const request_world_t *world, const char *name, bool post, const char *method,
                const char *content_type, const char *content_length, request_action_t action,
                request_t *out)
{
    bool download = action == REQUEST_DOWNLOAD;
    out->service = s_service_index (world, name, strlen (name));
    if (out->service < 0) {
        s_refuse_unknown_service (out);
        return;
    }
    out->route = download ? ROUTE_FILES (out->service) : ROUTE_POST (out->service);
    if (!post) {
        out->allow = "POST";
        request_problem_set (&out->problem, 405, "method-not-allowed", "不支持的请求方法",
                             download ? "a download is a POST of a signed file.read, not %s"
                                      : "a message to a service is a POST, not %s", method);
        return;
    }
    if (!request_media_type_is_jose (content_type)) {
        request_problem_set (&out->problem, 415, "unsupported-media-type", "不支持的内容类型",
                             "the body must be a flattened JWS sent as application/jose+json");
        return;
    }
    if (content_length && strtoull (content_length, NULL, 10) > world->max_body)
        out->too_big = true;
    out->action = action;
}

void
request_route (const request_world_t *world, const char *method, const char *url,
               const char *content_type, const char *content_length, request_t *out)
{
    memset (out, 0, sizeof *out);
    out->action = REQUEST_REFUSED;
    out->service = -1;
    bool post = strcmp (method, "POST") == 0;
    bool get = strcmp (method, "GET") == 0 || strcmp (method, "HEAD") == 0;
    out->route = strcmp (url, "/healthz") == 0 ? ROUTE_HEALTHZ
               : strcmp (url, "/v1/directory") == 0 ? ROUTE_DIRECTORY
               : strcmp (url, "/v1/keys") == 0 ? ROUTE_KEYS
               : strcmp (url, "/metrics") == 0 ? ROUTE_METRICS : ROUTE_OTHER;
    if (strncmp (url, "/v1/events/", 11) == 0) {
        /* GET /v1/events/{service}/hints (hints.c); any other path under it is not found */
        const char *name = url + 11, *slash = strchr (name, '/');
        if (slash && strcmp (slash, "/hints") == 0 && (size_t) (slash - name) < 64) {
            int i = s_service_index (world, name, (size_t) (slash - name));
            if (i < 0)
                s_refuse_unknown_service (out);
            else {
                out->route = ROUTE_HINTS (i);
                if (!get)
                    s_refuse_method (out, "GET, HEAD", url);
                else {
                    out->action = REQUEST_HINTS;
                    out->service = i;
                }
            }
            return;
        }
    }
    if (out->route != ROUTE_OTHER) {
        if (!get)
            s_refuse_method (out, "GET, HEAD", url);
        else
            out->action = out->route == ROUTE_HEALTHZ ? REQUEST_HEALTHZ
                        : out->route == ROUTE_DIRECTORY ? REQUEST_DIRECTORY
                        : out->route == ROUTE_KEYS ? REQUEST_KEYS : REQUEST_METRICS;
        return;
    }
    if (strncmp (url, "/v1/public/", 11) == 0 || strcmp (url, "/v1/public") == 0) {
        /* the public channel (public.c): no service is named public */
        if (!world->public_on) {
            request_problem_set (&out->problem, 404, "public-off", "本平台未开通码上巡",
                                 "this deployment has no public channel (services.gateway.public)");
            return;
        }
        public_route_t route = public_route_of (url);
        if (public_route_check (route, method, content_type, &out->allow, &out->problem) != 0)
            return;
        out->action = REQUEST_PUBLIC;
        out->public_route = route;
        if (content_length && strtoull (content_length, NULL, 10) > world->max_body)
            out->too_big = true;
        return;
    }
    if (world->web && strncmp (url, "/v1/", 4) != 0) {
        /* the console's files: whether the path names one is files.c's to say */
        if (!get)
            s_refuse_method (out, "GET, HEAD", url);
        else
            out->action = REQUEST_FILE;
        return;
    }
    if (strncmp (url, "/v1/files/", 10) == 0) {
        /* POST /v1/files/{service}: a file.read whose answer is the file's bytes */
        s_route_signed (world, url + 10, post, method, content_type, content_length, REQUEST_DOWNLOAD, out);
        return;
    }
    if (strncmp (url, "/v1/", 4) != 0 || !url[4] || strchr (url + 4, '/')) {
        request_problem_set (&out->problem, 404, "not-found", "路径不存在",
                             "no such path: POST /v1/{service}, GET /v1/directory, /v1/keys, /healthz");
        return;
    }
    s_route_signed (world, url + 4, post, method, content_type, content_length, REQUEST_POST, out);
}

int
request_body_add (request_body_t *body, const char *data, size_t n, size_t max_body)
{
    if (body->too_big || n == 0)
        return 0;
    if (body->len > max_body || n > max_body - body->len) {
        body->too_big = true;
        return 0;
    }
    if (body->len + n + 1 > body->cap) {
        size_t cap = body->cap ? body->cap : 4096;
        while (cap < body->len + n + 1)
            cap *= 2;
        char *bytes = realloc (body->bytes, cap);
        if (!bytes)
            return -1;
        body->bytes = bytes;
        body->cap = cap;
    }
    memcpy (body->bytes + body->len, data, n);
    body->len += n;
    body->bytes[body->len] = '\0';
    return 0;
}

void
request_body_free (request_body_t *body)
{
    free (body->bytes);
    *body = (request_body_t) { 0 };
}

int
request_check_body (const request_world_t *world, int service, const char *bytes, size_t len,
                    bool too_big, char corr[37], request_problem_t *problem)
{
    corr[0] = '\0';
    const char *name = world->services[service];
    if (too_big) {
        request_problem_set (problem, 413, "too-large", "消息过大",
                             "the body is larger than the protocol's max_message_bytes (%zu)",
                             world->max_body);
        return -1;
    }
    char aud[64];
    const char *why = NULL;
    if (gateway_read_aud_id (bytes ? bytes : "", len, aud, sizeof aud, corr, &why) != 0) {
        request_problem_set (problem, 400, "unreadable-payload", "无法读取消息",
                             "%s (docs/protocol.md section 2)", why);
        return -1;
    }
    if (strcmp (aud, name) != 0) {
        corr[0] = '\0';
        request_problem_set (problem, 400, "audience-mismatch", "路径与消息接收方不符",
                             "the payload's aud '%s' is not the path's service '%s'", aud, name);
        return -1;
    }
    return 0;
}

void
request_reply (const char *frame, size_t len, request_reply_t *out)
{
    out->status = gateway_read_reply (frame, len, out->corr, &out->transient);
    out->has_corr = out->corr[0] != '\0';
}

int
request_check_download (const char *bytes, size_t len, request_problem_t *problem)
{
    const char *why = NULL;
    json_t *body = gateway_read_payload (bytes ? bytes : "", len, &why);
    const char *type = json_string_value (json_object_get (body, "type"));
    int rc = type && strcmp (type, "file.read") == 0 ? 0 : -1;
    if (rc != 0)
        request_problem_set (problem, 400, "not-a-file-read", "下载请求不是文件读取",
                             "POST /v1/files/{service} carries a signed file.read only (its "
                             "payload's type is '%.63s')", type ? type : "");
    json_decref (body);
    return rc;
}

/* RFC 8187's attr-char: what a filename* value keeps as it is */
static bool
s_attr_char (unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || strchr ("!#$&+-.^_`|~", c) != NULL;
}

void
request_disposition (const char *name, char *out, size_t size)
{
    static const char head[] = "attachment; filename*=UTF-8''";
    static const char hex[] = "0123456789ABCDEF";
    if (size < sizeof head) {
        if (size)
            out[0] = '\0';
        return;
    }
    memcpy (out, head, sizeof head);
    size_t n = sizeof head - 1, len = strlen (name);
    for (size_t i = 0; i < len;) {
        /* one UTF-8 character at a time (a lone byte when it starts none): never half of one */
        size_t k = 1;
        unsigned char c = (unsigned char) name[i];
        size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (want > 1 && i + want <= len && xc_utf8_valid (name + i, want))
            k = want;
        size_t need = 0;
        for (size_t j = 0; j < k; j++)
            need += s_attr_char ((unsigned char) name[i + j]) ? 1 : 3;
        if (n + need + 1 > size)
            break;
        for (size_t j = 0; j < k; j++) {
            unsigned char b = (unsigned char) name[i + j];
            if (s_attr_char (b))
                out[n++] = (char) b;
            else {
                out[n++] = '%';
                out[n++] = hex[b >> 4];
                out[n++] = hex[b & 15];
            }
        }
        i += k;
    }
    out[n] = '\0';
}

/* A media type the gateway may put in Content-Type as it is: type/subtype, [a-z0-9.+-] */
static bool
s_media_type_ok (const char *t)
{
    const char *slash = strchr (t, '/');
    if (!slash || slash == t || !slash[1] || strlen (t) >= 128)
        return false;
    for (const char *p = t; *p; p++)
        if (p != slash && !((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr (".+-", *p)))
            return false;
    return true;
}


int
request_download (const char *frame, size_t len, request_download_t *out, request_problem_t *problem)
{
    memset (out, 0, sizeof *out);
    const char *why = NULL;
    json_t *body = gateway_read_payload (frame, len, &why);
    json_t *data = json_object_get (body, "data");
    const char *type = json_string_value (json_object_get (body, "type"));
    const char *sha = json_string_value (json_object_get (data, "sha256"));
    const char *name = json_string_value (json_object_get (data, "name"));
    const char *media = json_string_value (json_object_get (data, "type"));
    const char *b64 = json_string_value (json_object_get (data, "data"));
    json_t *size = json_object_get (data, "size");
    json_t *offset = json_object_get (data, "offset"), *next = json_object_get (data, "next");
    json_int_t at = json_integer_value (offset);
    int rc = -1;
    if (!type || strcmp (type, "result") != 0)
        why = "the reply is not a result";
    else if (!xc_hex64 (sha, false))
        why = "the result's sha256 is not 64 lower-case hex digits";
    else if (!b64 || !json_is_integer (size) || json_integer_value (size) < 0)
        why = "the result has no base64 data or no size";
    else if ((offset && (!json_is_integer (offset) || at < 0 || at > json_integer_value (size)))
             || (next && !json_is_null (next) && !json_is_integer (next)))
        why = "the result's offset or next is not a position in the file";
    else {
        size_t b64_len = strlen (b64), cap = b64_len / 4 * 3 + 3;
        out->bytes = malloc (cap ? cap : 1);
        size_t n = 0;
        if (!out->bytes)
            why = "out of memory";
        else if (sodium_base642bin (out->bytes, cap, b64, b64_len, NULL, &n, NULL,
                                    sodium_base64_VARIANT_ORIGINAL) != 0
                 && sodium_base642bin (out->bytes, cap, b64, b64_len, NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
            why = "the result's data is not base64";
        else if (at + (json_int_t) n > json_integer_value (size))
            why = "the result's data goes beyond its size";
        else if (json_is_integer (next) ? json_integer_value (next) != at + (json_int_t) n
                                          || json_integer_value (next) >= json_integer_value (size)
                                        : at + (json_int_t) n != json_integer_value (size))
            why = "the result's data does not end at its next (or at its size)";
        else if (at > 0 || json_is_integer (next)) {
            /* a piece: the reader hashes the whole once it has every piece */
            out->len = n;
            out->piece = true;
            rc = 0;
        } else {
            unsigned char digest[32];
            char hex[65];
            xc_sha256 (out->bytes, n, NULL, 0, digest);
            xc_hex_encode (digest, sizeof digest, hex);
            if (strcmp (hex, sha) != 0)
                why = "the result's data does not hash to its sha256";
            else {
                out->len = n;
                rc = 0;
            }
        }
    }
    if (rc == 0) {
        out->size = (long long) json_integer_value (size);
        out->offset = (long long) at;
        snprintf (out->sha256, sizeof out->sha256, "%s", sha);
        snprintf (out->type, sizeof out->type, "%s",
                  media && s_media_type_ok (media) ? media : "application/octet-stream");
        request_disposition (name ? name : "", out->disposition, sizeof out->disposition);
    }
    json_decref (body);
    if (rc != 0) {
        request_download_free (out);
        request_problem_set (problem, 502, "bad-file-reply", "文件答复无法读取",
                             "the service's answer to file.read is not a file: %s",
                             why ? why : "unreadable");
    }
    return rc;
}

void
request_download_free (request_download_t *out)
{
    free (out->bytes);
    out->bytes = NULL;
    out->len = 0;
}
