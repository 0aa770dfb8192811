/*  request.h: what the gateway decides about a request, with no I/O (docs/services/gateway.md).

    main.c asks, in this order: request_route once the headers are in (the route, or a refusal
    answered once the body is read), request_body_add for each piece of a POST's body,
    request_check_body once it is whole (the service and the correlation to forward with, or a
    refusal), and request_reply for each frame a service sends back (its corr and HTTP status).
    What needs the connection, the registry file or a socket (the rate limit, the client
    certificate, the send itself) stays in main.c. tests/fuzz/gateway_fuzz.c fuzzes all of it.
*/
#ifndef XC_GATEWAY_REQUEST_H
#define XC_GATEWAY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

/*  The deployment as the decisions see it: the services' names, in the order of main.c's
    DEALER sockets (a service is its index), and the protocol's max_message_bytes. */
typedef struct {
    const char *const *services;
    size_t n_services;
    size_t max_body;
    bool web;                        /* services.gateway.web is set: other paths are files */
    bool public_on;                  /* services.gateway.public is set: /v1/public/ routes */
} request_world_t;

/*  A refusal the gateway answers itself: an RFC 9457 body of type urn:xuncha:gateway:<code>,
    a Chinese title and an English detail. status 0: no refusal. */
typedef struct {
    int status;
    const char *code;                /* static texts */
    const char *title;
    char detail[512];
} request_problem_t;

typedef enum {
    REQUEST_REFUSED,                 /* answer problem (after reading and dropping any body) */
    REQUEST_HEALTHZ,                 /* GET /healthz */
    REQUEST_DIRECTORY,               /* GET /v1/directory */
    REQUEST_KEYS,                    /* GET /v1/keys */
    REQUEST_METRICS,                 /* GET /metrics */
    REQUEST_HINTS,                   /* GET /v1/events/{service}/hints */
    REQUEST_POST,                    /* POST /v1/{service}: read the body, then check it */
    REQUEST_FILE,                    /* GET or HEAD of any path outside /v1/ and the routes
                                        above, with web set: the console's files (files.h) */
    REQUEST_PUBLIC,                  /* a route under /v1/public/ (public.h): public_route
                                        says which; a POST's body is read first */
} request_action_t;

typedef struct {
    request_action_t action;
    int route;                       /* metrics.h's route, for /metrics */
    int service;                     /* REQUEST_POST, REQUEST_HINTS and some refusals; else -1 */
    bool too_big;                    /* REQUEST_POST: Content-Length is above max_body */
    const char *allow;               /* a 405's Allow header, else NULL */
    int public_route;                /* REQUEST_PUBLIC: public.h's public_route_t */
    request_problem_t problem;       /* REQUEST_REFUSED */
} request_t;

/*  Fills *out for a request's method, url (as libmicrohttpd decoded it) and its Content-Type
    and Content-Length headers (NULL when absent). Never fails: a request matches a route or
    is refused (404 not-found or unknown-service, 405 method-not-allowed with Allow, 415). The
    routes above keep priority over the console's files: a file is only what no route is. */
void request_route (const request_world_t *world, const char *method, const char *url,
                    const char *content_type, const char *content_length, request_t *out);

/*  Whether a Content-Type value is application/jose+json, with parameters or not. */
bool request_media_type_is_jose (const char *value);

/*  A POST's body as it comes in, kept up to max_body bytes (always NUL-terminated once
    anything is kept); beyond that nothing more is kept and too_big is set. */
typedef struct {
    char *bytes;
    size_t len, cap;
    bool too_big;
} request_body_t;

/*  Adds n bytes; 0, or -1 when out of memory (body unchanged). */
int request_body_add (request_body_t *body, const char *data, size_t n, size_t max_body);
void request_body_free (request_body_t *body);

/*  A whole body of a POST to service (too_big: the Content-Length or the bytes said more than
    max_body): 0 and the payload's id (lower case) to forward with, or -1 and *problem (413
    too-large, 400 unreadable-payload, 400 audience-mismatch). Nothing is verified. */
int request_check_body (const request_world_t *world, int service, const char *bytes, size_t len,
                        bool too_big, char corr[37], request_problem_t *problem);

/*  What the gateway reads of a service's reply frame: the corr (lower case; has_corr false
    without one: the frame answers no request) and the HTTP status (status.c's table; 502 for
    a frame that does not read as a reply), transient for a 503 the client resends. */
typedef struct {
    bool has_corr;
    char corr[37];
    int status;
    bool transient;
} request_reply_t;

void request_reply (const char *frame, size_t len, request_reply_t *out);

/*  Sets a refusal; detail is printf's. */
void request_problem_set (request_problem_t *problem, int status, const char *code,
                          const char *title, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

/*  The problem's application/problem+json text (caller frees), or NULL when out of memory. */
char *request_problem_json (const request_problem_t *problem);

#endif
