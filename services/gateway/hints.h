/*  hints.h: GET /v1/events/{service}/hints, Server-Sent Events of each service's PUB hint
    (docs/services/gateway.md, "Hints"; docs/protocol.md section 7).

    One SUB socket per service that has an `events` endpoint, polled in the gateway's loop.
    Each hint whose seq is above the last one forwarded for that service (a heartbeat repeats
    the head: not forwarded) goes to every open stream of that service as
        id: <seq>
        event: events.head
        data: <the hint as the service signed it, a flattened JWS>
    A new stream gets the last hint seen at once. A stream with nothing to send is suspended
    (MHD_suspend_connection from its content reader) and resumed when there is; every
    sse_heartbeat_ms an idle stream gets a comment line ": heartbeat". No thread. */
#ifndef XC_GATEWAY_HINTS_H
#define XC_GATEWAY_HINTS_H

#include "common/config.h"
#include "services/gateway/curve.h"

#include <microhttpd.h>
#include <stdint.h>

typedef struct hints hints_t;

/*  SUB sockets on ctx for the cfg's services (the first n of them), CURVE clients with curve
    on; NULL on failure. */
hints_t *hints_new (void *ctx, const xc_config_t *cfg, const gateway_curve_t *curve, size_t n);
void hints_destroy (hints_t **self_p);

/*  The service's SUB socket, or NULL when it has no events endpoint. */
void *hints_socket (hints_t *self, size_t service);

/*  Takes every hint waiting on the service's socket; the number of streams resumed. */
int hints_take (hints_t *self, size_t service);

/*  Heartbeats for idle streams; the ms until the next one is due. */
int hints_tick (hints_t *self);

/*  Queues the stream on conn: MHD_YES, or MHD_NO; *full when sse_clients are open already
    (nothing queued: the caller answers 503). */
enum MHD_Result hints_open (hints_t *self, struct MHD_Connection *conn, size_t service, bool *full);

/*  Ends every stream (the gateway stops): each is resumed and ends once its bytes are sent. */
void hints_stop (hints_t *self);

/*  Open streams; the last head seq seen for a service (-1: no hint yet). */
size_t hints_clients (const hints_t *self);
int64_t hints_head (const hints_t *self, size_t service);

/*  How far the consumer service has applied the source service's events, as the consumer's
    last hint said (data.sources, docs/protocol.md section 7); -1 when no hint said it. */
int64_t hints_offset (const hints_t *self, size_t consumer, size_t source);

#endif
