/*  framing.c: a request's framing, judged before its route (see framing.h). */
#include "services/gateway/framing.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    unsigned host, content_type, content_length, transfer_encoding;
    bool chunked_only;               /* every Transfer-Encoding is exactly "chunked" */
    bool bad_name;                   /* a header name with white space */
} s_headers_t;

static enum MHD_Result
s_count (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    s_headers_t *h = cls;
    if (strpbrk (key, " \t"))
        h->bad_name = true;
    if (strcasecmp (key, MHD_HTTP_HEADER_HOST) == 0)
        h->host++;
    else if (strcasecmp (key, MHD_HTTP_HEADER_CONTENT_TYPE) == 0)
        h->content_type++;
    else if (strcasecmp (key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        h->content_length++;
    else if (strcasecmp (key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        h->transfer_encoding++;
        while (value && (*value == ' ' || *value == '\t'))
            value++;
        size_t n = value ? strlen (value) : 0;
        while (n > 0 && (value[n - 1] == ' ' || value[n - 1] == '\t'))
            n--;
        if (n != 7 || strncasecmp (value, "chunked", 7) != 0)
            h->chunked_only = false;
    }
    return MHD_YES;
}

static int
s_refuse (gateway_refusal_t *out, int status, const char *code, const char *title,
          const char *detail)
{
    out->status = status;
    out->code = code;
    out->title = title;
    snprintf (out->detail, sizeof out->detail, "%s", detail);
    return status;
}

int
gateway_framing_check (struct MHD_Connection *conn, const char *method, const char *version,
                       gateway_refusal_t *out)
{
    /* RFC 9110's methods (and PATCH); the rest, and CONNECT, are not implemented here */
    static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
                                         "TRACE", "PATCH" };
    bool is_known = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        is_known = is_known || strcmp (method, known[i]) == 0;
    if (!is_known)
        return s_refuse (out, 501, "not-implemented", "未实现的请求方法",
                         "the gateway is no proxy and knows GET, HEAD and POST only "
                         "(methods are case-sensitive)");
    s_headers_t h = { .chunked_only = true };
    MHD_get_connection_values (conn, MHD_HEADER_KIND, &s_count, &h);
    bool http11 = version && strcmp (version, MHD_HTTP_VERSION_1_0) != 0;
    if (h.bad_name)
        return s_refuse (out, 400, "bad-request", "请求格式错误",
                         "a header name holds white space (RFC 9112 section 5.1)");
    if (h.host > 1 || (http11 && h.host == 0))
        return s_refuse (out, 400, "bad-request", "请求格式错误",
                         "an HTTP/1.1 request has exactly one Host header (RFC 9112 section 3.2)");
    if (h.content_type > 1)
        return s_refuse (out, 400, "bad-request", "请求格式错误",
                         "more than one Content-Type header");
    if (h.content_length > 1)
        return s_refuse (out, 400, "bad-request", "请求格式错误",
                         "more than one Content-Length header (RFC 9112 section 6.3)");
    if (h.transfer_encoding && h.content_length)
        return s_refuse (out, 400, "bad-request", "请求格式错误",
                         "both Content-Length and Transfer-Encoding (RFC 9112 section 6.3)");
    if (h.transfer_encoding > 1 || !h.chunked_only)
        return s_refuse (out, 501, "unsupported-transfer-coding", "不支持的传输编码",
                         "the only transfer coding taken is a single 'chunked'");
    return 0;
}

const char *
gateway_framing_path (const char *url)
{
    const char *rest = strncasecmp (url, "http://", 7) == 0 ? url + 7
                     : strncasecmp (url, "https://", 8) == 0 ? url + 8 : NULL;
    if (!rest)
        return url;
    const char *slash = strchr (rest, '/');
    return slash ? slash : "/";
}

static int
s_hex (char c)
{
    return isdigit ((unsigned char) c) ? c - '0'
         : isxdigit ((unsigned char) c) ? tolower ((unsigned char) c) - 'a' + 10 : -1;
}

size_t
gateway_framing_unescape (void *cls, struct MHD_Connection *conn, char *uri)
{
    (void) cls;
    (void) conn;
    char *out = uri;
    for (const char *in = uri; *in;) {
        int hi = in[0] == '%' ? s_hex (in[1]) : -1;
        int lo = hi >= 0 ? s_hex (in[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char) (hi * 16 + lo);
            in += 3;
        } else
            *out++ = *in++;
    }
    *out = '\0';
    return (size_t) (out - uri);
}
