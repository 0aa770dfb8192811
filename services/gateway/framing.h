/*  How a request is framed, judged as soon as its header is complete and before any route
    (docs/services/gateway.md, "Hostile input"): what libmicrohttpd lets through but a careful
    server refuses, because two parties could read the request's extent or target differently
    (request smuggling) or because the gateway cannot honour it. Such a request is answered at
    once and its connection closed: its body is never read. */
#ifndef XC_GATEWAY_FRAMING_H
#define XC_GATEWAY_FRAMING_H

#include <microhttpd.h>
#include <stddef.h>

typedef struct {
    int status;                      /* 400 or 501 */
    const char *code;                /* the problem's code (urn:xuncha:gateway:<code>) */
    const char *title;               /* Chinese, for people */
    char detail[256];                /* English, for the client's developers */
} gateway_refusal_t;

/*  0 when the request may go on to its route; else the HTTP status, with *out filled: a method
    that is not HTTP's (or CONNECT: the gateway is no proxy) 501; an HTTP/1.1 request without
    exactly one Host, or any with several, 400; more than one Content-Type or Content-Length,
    or Content-Length beside Transfer-Encoding, 400; a transfer coding other than chunked 501;
    a header name with white space in it 400. */
int gateway_framing_check (struct MHD_Connection *conn, const char *method, const char *version,
                           gateway_refusal_t *out);

/*  The path of a request target in absolute form ("http://host:port/v1/intake" -> "/v1/intake",
    which a server must accept, RFC 9112 section 3.2.2); any other target as it is. */
const char *gateway_framing_path (const char *url);

/*  MHD_OPTION_UNESCAPE_CALLBACK: decodes %XX in the path in place, except %00, which stays as
    it is (libmicrohttpd's own would end the path there: "/v1/intake%00x" read as
    "/v1/intake"); the new length. */
size_t gateway_framing_unescape (void *cls, struct MHD_Connection *conn, char *uri);

#endif
