/*  The gateway's limits (services.gateway.limits, docs/services/gateway.md): connections in
    total and per client address, memory per connection, idle and header timeouts given to
    libmicrohttpd as options, and a per-address request rate (a token bucket per address in a
    bounded table) checked as each request's header is complete. */
#ifndef XC_GATEWAY_LIMITS_H
#define XC_GATEWAY_LIMITS_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gateway_conn gateway_conn_t;
typedef struct gateway_bucket gateway_bucket_t;

typedef struct {
    unsigned connections;            /* in total */
    unsigned per_address;            /* from one client address */
    unsigned memory_bytes;           /* per connection: the header must fit in it */
    unsigned idle_timeout_s;         /* no byte for so long: closed (libmicrohttpd) */
    unsigned header_timeout_s;       /* a request's header not complete so long after the
                                        connection or the previous request: closed */
    unsigned rate;                   /* requests per second per address; 0: no rate limit */
    unsigned burst;
    size_t tracked;                  /* addresses in the rate table */
    gateway_bucket_t *buckets;
    gateway_conn_t *conns;           /* every open connection */
    int64_t next_sweep_ms;           /* gateway_limits_sweep walks conns no sooner */
} gateway_limits_t;

/*  Reads services.gateway.limits (gateway may be NULL: the defaults). 0, or -1 (out of memory). */
int gateway_limits_init (gateway_limits_t *self, const json_t *gateway);
void gateway_limits_destroy (gateway_limits_t *self);

/*  Appends the libmicrohttpd options (at most 5 items) at *items; the count added. */
size_t gateway_limits_options (gateway_limits_t *self, struct MHD_OptionItem *items);

/*  A request's header is complete: 0 when the client's address may go on, else the seconds
    after which it may (answer 429 with Retry-After). */
unsigned gateway_limits_request (gateway_limits_t *self, struct MHD_Connection *conn,
                                 int64_t now_ms);

/*  A request is over (MHD_OPTION_NOTIFY_COMPLETED): the header timeout starts again. */
void gateway_limits_request_done (gateway_limits_t *self, struct MHD_Connection *conn,
                                  int64_t now_ms);

/*  The client's address as 16 bytes (IPv4 mapped); false when libmicrohttpd gives none. */
bool gateway_limits_address (struct MHD_Connection *conn, uint8_t out[16]);

/*  Closes the connections whose header is late (a slow client dribbling it). */
void gateway_limits_sweep (gateway_limits_t *self, int64_t now_ms);

#endif
