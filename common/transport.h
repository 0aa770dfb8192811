/*  transport.h: ZeroMQ sockets of a service and of its clients.

    Server: a ROUTER socket for commands and queries (ZMQ_ROUTER_MANDATORY, so a reply to a
    peer that is gone is reported, not silently dropped) and a PUB socket for wake-up hints and
    the heartbeat. With CURVE on, a ZAP handler (ZeroMQ RFC 27) served in the same poll loop
    admits only client keys the admit callback knows, and each request carries the name of
    the principal that owns the connection's key.

    Client: a DEALER socket. xc_client_call sends a signed request and waits for the reply
    whose corr is the request's id; on a timeout or a transient error it sends the same bytes
    again (the server's inbox makes that safe) until an ack, a result, a permanent error, or
    its overall deadline.

    SIGTERM and SIGINT set a flag (xc_signals_install) that interrupts a poll, so a service
    stops promptly and cleanly.
*/
#ifndef XC_TRANSPORT_H
#define XC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/envelope.h"
#include "common/error.h"
#include "common/keys.h"

/*  Returns the principal (iss) owning a CURVE client key, or NULL to refuse the connection. */
typedef const char *(*xc_admit_fn) (void *arg, const char *client_z85);

typedef struct {
    const char *api;                 /* ROUTER bind endpoint; "tcp://127.0.0.1:*" picks a port */
    const char *events;              /* PUB bind endpoint; NULL for none */
    const xc_curve_keypair_t *curve; /* the server's keypair; NULL for plain TCP */
    xc_admit_fn admit;               /* required with curve */
    void *admit_arg;
    size_t max_frame;                /* hard limit per frame; a larger frame drops the peer */
    int reply_hwm;                   /* replies queued per peer before more are dropped
                                        (0: ZeroMQ's default, 1000) */
} xc_server_opts_t;

typedef struct xc_server xc_server_t;

/*  One request as received on the ROUTER socket. */
typedef struct {
    unsigned char peer[256];         /* routing id of the DEALER */
    size_t peer_len;
    char *body;                      /* the first frame after the routing id, NUL-terminated;
                                        owned (xc_request_clear) */
    size_t len;
    bool extra_frames;               /* the peer sent more than one frame: refused */
    char user[XC_NAME_MAX];          /* principal of the CURVE key; "" without CURVE */
} xc_request_t;

int xc_server_new (const xc_server_opts_t *opts, xc_server_t **server_p, xc_err_t *err);
void xc_server_destroy (xc_server_t **server_p);

/*  The endpoints actually bound (a wildcard port resolved). Borrowed. */
const char *xc_server_api (const xc_server_t *server);
const char *xc_server_events (const xc_server_t *server);

/*  Waits up to timeout_ms for requests or for input on one of the n_watch other sockets
    (a consumer's DEALER and SUB; NULL entries are skipped), serving ZAP on the way. Then
    sets ready[i] for each watched socket with input and takes every request that is ready,
    up to max, without waiting more. Returns how many requests were taken (0 on a timeout, a
    signal or watched input only), -1 on a socket failure. Each taken request must be cleared
    by the caller. */
int xc_server_poll (xc_server_t *server, int timeout_ms, void *const *watch, int n_watch,
                    bool *ready, xc_request_t *requests, int max, xc_err_t *err);

/*  Sends a reply to the request's peer without blocking. -1 when the peer is gone or its queue
    is full: the reply is dropped and the client's retry gets it again from the inbox. */
int xc_server_reply (xc_server_t *server, const xc_request_t *request, const char *bytes,
                     size_t len, xc_err_t *err);

/*  Publishes one frame on the PUB socket (no-op without one). */
int xc_server_publish (xc_server_t *server, const char *bytes, size_t len, xc_err_t *err);

void xc_request_clear (xc_request_t *request);

typedef struct {
    const char *endpoint;
    const xc_curve_keypair_t *curve; /* the client's own keypair; NULL for plain TCP */
    const char *server_key;          /* the server's Z85 public key, with curve */
} xc_client_opts_t;

typedef struct xc_client xc_client_t;

int xc_client_new (const xc_client_opts_t *opts, xc_client_t **client_p, xc_err_t *err);
void xc_client_destroy (xc_client_t **client_p);

/*  The DEALER socket, for a caller that polls it with others. Borrowed. */
void *xc_client_socket (xc_client_t *client);

/*  Sends one frame without blocking; XC_E_UNAVAILABLE when not connected yet or queue full. */
int xc_client_send (xc_client_t *client, const char *bytes, size_t len, xc_err_t *err);

/*  Receives one frame within timeout_ms (caller owns *bytes_p, NUL-terminated);
    XC_E_UNAVAILABLE on a timeout. */
int xc_client_recv (xc_client_t *client, int timeout_ms, char **bytes_p, size_t *len_p,
                    xc_err_t *err);

/*  Sends request (whose body id is request_id) until it gets the reply whose corr is
    request_id, resending the same bytes after each wait without an answer and after a
    transient error, for at most timeout_ms in all. Replies are opened with verify (its
    audience is the caller's iss) and must come from service. On an ack or a result, *reply_p
    is set (caller owns). On an error reply, err has its code and text. */
int xc_client_call (xc_client_t *client, const char *request, size_t len,
                    const char *request_id, const xc_verify_t *verify, const char *service,
                    int timeout_ms, xc_msg_t **reply_p, xc_err_t *err);

/*  A SUB socket on a service's events endpoint, subscribed to everything. */
typedef struct xc_subscriber xc_subscriber_t;
int xc_subscriber_new (const xc_client_opts_t *opts, xc_subscriber_t **sub_p, xc_err_t *err);
void xc_subscriber_destroy (xc_subscriber_t **sub_p);
void *xc_subscriber_socket (xc_subscriber_t *sub);
/*  Takes one waiting frame without blocking (caller owns *bytes_p); -1 when none. */
int xc_subscriber_take (xc_subscriber_t *sub, char **bytes_p, size_t *len_p);

void xc_signals_install (void);
bool xc_signals_stopping (void);

#endif
