/*  transport.c: ROUTER/PUB server with an in-loop ZAP handler, DEALER client with retries. */
#include "common/transport.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/clock.h"
#include "common/log.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "xuncha"

static volatile sig_atomic_t s_stopping;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stopping = 1;
}

void
xc_signals_install (void)
{
    /* No SA_RESTART: a blocked zmq_poll returns EINTR and the loop sees the flag at once. */
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    /* A file size limit (RLIMIT_FSIZE) then fails a write with EFBIG, which the store turns into
       `unavailable` like a full disk, instead of killing the service mid-commit. */
    signal (SIGXFSZ, SIG_IGN);
}

bool
xc_signals_stopping (void)
{
    return s_stopping != 0;
}

struct xc_server {
    void *ctx;
    void *api;
    void *pub;
    void *zap;                       /* REP on the ZAP endpoint, with CURVE only */
    xc_admit_fn admit;
    void *admit_arg;
    char api_endpoint[256];
    char events_endpoint[256];
};

static int
s_zmq_fail (xc_err_t *err, const char *what)
{
    return xc_err_set (err, XC_E_IO, "%s: %s", what, zmq_strerror (zmq_errno ()));
}

static int
s_set_int (void *socket, int option, int value)
{
    return zmq_setsockopt (socket, option, &value, sizeof value);
}

static int
s_bind (void *socket, const char *endpoint, char *actual, size_t actual_size, xc_err_t *err)
{
    if (zmq_bind (socket, endpoint) != 0)
        return xc_err_set (err, XC_E_IO, "unable to bind '%s': %s", endpoint,
                           zmq_strerror (zmq_errno ()));
    size_t size = actual_size;
    if (zmq_getsockopt (socket, ZMQ_LAST_ENDPOINT, actual, &size) != 0)
        return s_zmq_fail (err, "unable to read the bound endpoint");
    return 0;
}

static int
s_server_curve (void *socket, const xc_curve_keypair_t *curve)
{
    if (s_set_int (socket, ZMQ_CURVE_SERVER, 1) != 0
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, curve->secret_z85, 41) != 0
        || zmq_setsockopt (socket, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen (ZAP_DOMAIN)) != 0)
        return -1;
    return 0;
}

int
xc_server_new (const xc_server_opts_t *opts, xc_server_t **server_p, xc_err_t *err)
{
    *server_p = NULL;
    if (opts->curve && !opts->admit)
        return xc_err_set (err, XC_E_INTERNAL, "curve needs an admit callback");
    xc_server_t *self = calloc (1, sizeof *self);
    if (!self)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    self->admit = opts->admit;
    self->admit_arg = opts->admit_arg;
    self->ctx = zmq_ctx_new ();
    if (!self->ctx) {
        s_zmq_fail (err, "unable to create a zmq context");
        goto failed;
    }
    if (opts->curve) {
        /* The ZAP handler must be bound before any CURVE socket binds. */
        self->zap = zmq_socket (self->ctx, ZMQ_REP);
        if (!self->zap || s_set_int (self->zap, ZMQ_LINGER, 0) != 0
            || zmq_bind (self->zap, ZAP_ENDPOINT) != 0) {
            s_zmq_fail (err, "unable to start the zap handler");
            goto failed;
        }
    }
    self->api = zmq_socket (self->ctx, ZMQ_ROUTER);
    if (!self->api || s_set_int (self->api, ZMQ_ROUTER_MANDATORY, 1) != 0
        || s_set_int (self->api, ZMQ_LINGER, 0) != 0
        || (opts->reply_hwm > 0 && s_set_int (self->api, ZMQ_SNDHWM, opts->reply_hwm) != 0)
        || zmq_setsockopt (self->api, ZMQ_MAXMSGSIZE, &(int64_t) { (int64_t) opts->max_frame },
                           sizeof (int64_t)) != 0
        || (opts->curve && s_server_curve (self->api, opts->curve) != 0)) {
        s_zmq_fail (err, "unable to set up the api socket");
        goto failed;
    }
    if (s_bind (self->api, opts->api, self->api_endpoint, sizeof self->api_endpoint, err) != 0)
        goto failed;
    if (opts->events) {
        self->pub = zmq_socket (self->ctx, ZMQ_PUB);
        if (!self->pub || s_set_int (self->pub, ZMQ_LINGER, 0) != 0
            || (opts->curve && s_server_curve (self->pub, opts->curve) != 0)) {
            s_zmq_fail (err, "unable to set up the events socket");
            goto failed;
        }
        if (s_bind (self->pub, opts->events, self->events_endpoint,
                    sizeof self->events_endpoint, err) != 0)
            goto failed;
    }
    *server_p = self;
    return 0;
failed:
    xc_server_destroy (&self);
    return -1;
}

void
xc_server_destroy (xc_server_t **server_p)
{
    xc_server_t *self = *server_p;
    if (!self)
        return;
    if (self->api)
        zmq_close (self->api);
    if (self->pub)
        zmq_close (self->pub);
    if (self->zap)
        zmq_close (self->zap);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self);
    *server_p = NULL;
}

const char *
xc_server_api (const xc_server_t *server)
{
    return server->api_endpoint;
}

const char *
xc_server_events (const xc_server_t *server)
{
    return server->events_endpoint;
}

/*  Answers one ZAP request (RFC 27): version, request id, domain, address, identity,
    mechanism, then the mechanism's credentials (the client's 32-byte public key for CURVE). */
static void
s_zap_serve (xc_server_t *self)
{
    zmq_msg_t frames[7];
    int n = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&part);
            break;
        }
        more = zmq_msg_more (&part);
        if (n < 7)
            frames[n++] = part;
        else
            zmq_msg_close (&part);
    }
    const char *status = "400", *text = "refused";
    const char *user = "";
    char z85[41] = "";
    if (n == 7 && zmq_msg_size (&frames[0]) == 3 && memcmp (zmq_msg_data (&frames[0]), "1.0", 3) == 0
        && zmq_msg_size (&frames[5]) == 5 && memcmp (zmq_msg_data (&frames[5]), "CURVE", 5) == 0
        && zmq_msg_size (&frames[6]) == 32) {
        zmq_z85_encode (z85, zmq_msg_data (&frames[6]), 32);
        const char *who = self->admit (self->admit_arg, z85);
        if (who) {
            status = "200";
            text = "OK";
            user = who;
        }
    }
    if (status[0] != '2')
        xc_warn (NULL, "refused a connection with unknown curve key '%s'", z85[0] ? z85 : "?");
    if (n >= 2) {
        /* version, request id, status code, status text, user id, metadata */
        zmq_send (self->zap, "1.0", 3, ZMQ_SNDMORE);
        zmq_send (self->zap, zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), ZMQ_SNDMORE);
        zmq_send (self->zap, status, 3, ZMQ_SNDMORE);
        zmq_send (self->zap, text, strlen (text), ZMQ_SNDMORE);
        zmq_send (self->zap, user, strlen (user), ZMQ_SNDMORE);
        zmq_send (self->zap, "", 0, 0);
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close (&frames[i]);
}

/*  Takes one request off the api socket without waiting: 1 taken, 0 none ready, -1 failure. */
static int
s_take (xc_server_t *self, xc_request_t *req)
{
    memset (req, 0, sizeof *req);
    zmq_msg_t part;
    zmq_msg_init (&part);
    if (zmq_msg_recv (&part, self->api, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&part);
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    }
    /* The first frame is the routing id ROUTER added. */
    req->peer_len = zmq_msg_size (&part) < sizeof req->peer ? zmq_msg_size (&part) : sizeof req->peer;
    memcpy (req->peer, zmq_msg_data (&part), req->peer_len);
    int more = zmq_msg_more (&part);
    int frames = 0;
    while (more) {
        zmq_msg_close (&part);
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, self->api, 0) < 0)
            break;
        more = zmq_msg_more (&part);
        if (frames++ == 0) {
            req->len = zmq_msg_size (&part);
            req->body = malloc (req->len + 1);
            if (req->body) {
                memcpy (req->body, zmq_msg_data (&part), req->len);
                req->body[req->len] = 0;
            }
            const char *user = zmq_msg_gets (&part, "User-Id");
            if (user)
                snprintf (req->user, sizeof req->user, "%s", user);
        }
    }
    zmq_msg_close (&part);
    req->extra_frames = frames > 1;
    if (!req->body) {
        /* an empty message or out of memory: answerable only as malformed */
        req->body = calloc (1, 1);
        req->len = 0;
        req->extra_frames = req->extra_frames || frames == 0;
        if (!req->body)
            return -1;
    }
    return 1;
}

#define S_WATCH_MAX 64

int
xc_server_poll (xc_server_t *self, int timeout_ms, void *const *watch, int n_watch,
                bool *ready, xc_request_t *requests, int max, xc_err_t *err)
{
    if (n_watch > S_WATCH_MAX)
        return xc_err_set (err, XC_E_INTERNAL, "more than %d watched sockets", S_WATCH_MAX);
    zmq_pollitem_t items[2 + S_WATCH_MAX] = { { self->api, 0, ZMQ_POLLIN, 0 },
                                              { self->zap, 0, ZMQ_POLLIN, 0 } };
    int n_items = 2;
    int slot[S_WATCH_MAX];             /* the item of each watched socket, -1 for NULL */
    for (int i = 0; i < n_watch; i++) {
        ready[i] = false;
        slot[i] = watch[i] ? n_items : -1;
        if (watch[i])
            items[n_items++] = (zmq_pollitem_t) { watch[i], 0, ZMQ_POLLIN, 0 };
    }
    /* Without ZAP, item 1 is an empty slot that zmq_poll ignores. */
    if (!self->zap)
        items[1] = (zmq_pollitem_t) { NULL, -1, 0, 0 };
    int64_t deadline = xc_clock_mono_ms () + (timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        int64_t left = deadline - xc_clock_mono_ms ();
        int rc = zmq_poll (items, n_items, left > 0 ? (long) left : 0);
        if (rc < 0) {
            if (zmq_errno () == EINTR)
                return 0;
            return s_zmq_fail (err, "poll failed");
        }
        if (self->zap && (items[1].revents & ZMQ_POLLIN))
            s_zap_serve (self);
        bool watched = false;
        for (int i = 0; i < n_watch; i++)
            if (slot[i] >= 0 && (items[slot[i]].revents & ZMQ_POLLIN))
                watched = ready[i] = true;
        if (items[0].revents & ZMQ_POLLIN)
            break;
        if (watched || left <= 0 || xc_signals_stopping ())
            return 0;
    }
    int taken = 0;
    while (taken < max) {
        int rc = s_take (self, &requests[taken]);
        if (rc < 0)
            return s_zmq_fail (err, "receive failed");
        if (rc == 0)
            break;
        taken++;
    }
    return taken;
}

int
xc_server_reply (xc_server_t *self, const xc_request_t *req, const char *bytes, size_t len,
                 xc_err_t *err)
{
    if (zmq_send (self->api, req->peer, req->peer_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return s_zmq_fail (err, "reply not sent");
    if (zmq_send (self->api, bytes, len, ZMQ_DONTWAIT) < 0)
        return s_zmq_fail (err, "reply not sent");
    return 0;
}

int
xc_server_publish (xc_server_t *self, const char *bytes, size_t len, xc_err_t *err)
{
    if (self->pub && zmq_send (self->pub, bytes, len, ZMQ_DONTWAIT) < 0 && zmq_errno () != EAGAIN)
        return s_zmq_fail (err, "publish failed");
    return 0;
}

void
xc_request_clear (xc_request_t *req)
{
    free (req->body);
    req->body = NULL;
    req->len = 0;
}

struct xc_client {
    void *ctx;
    void *socket;
};

/*  A socket of type on its own context, connected to opts->endpoint, with CURVE when asked. */
static int
s_connect (int type, const xc_client_opts_t *opts, void **ctx_p, void **socket_p, xc_err_t *err)
{
    void *ctx = zmq_ctx_new ();
    void *socket = ctx ? zmq_socket (ctx, type) : NULL;
    int rc = -1;
    /* IMMEDIATE: nothing queues for a server that is not connected, so a restarted server
       does not receive a burst of stale copies. */
    if (!socket || s_set_int (socket, ZMQ_LINGER, 0) != 0
        || (type == ZMQ_DEALER && s_set_int (socket, ZMQ_IMMEDIATE, 1) != 0)
        || (type == ZMQ_SUB && zmq_setsockopt (socket, ZMQ_SUBSCRIBE, "", 0) != 0))
        s_zmq_fail (err, "unable to create a client socket");
    else if (opts->curve
             && (!opts->server_key
                 || zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, opts->server_key, 41) != 0
                 || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, opts->curve->public_z85, 41) != 0
                 || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, opts->curve->secret_z85, 41) != 0))
        xc_err_set (err, XC_E_CONFIG, "unable to set the curve keys for '%s'", opts->endpoint);
    else if (zmq_connect (socket, opts->endpoint) != 0)
        xc_err_set (err, XC_E_IO, "unable to connect to '%s': %s", opts->endpoint,
                    zmq_strerror (zmq_errno ()));
    else
        rc = 0;
    if (rc != 0) {
        if (socket)
            zmq_close (socket);
        if (ctx)
            zmq_ctx_term (ctx);
        ctx = socket = NULL;
    }
    *ctx_p = ctx;
    *socket_p = socket;
    return rc;
}

int
xc_client_new (const xc_client_opts_t *opts, xc_client_t **client_p, xc_err_t *err)
{
    *client_p = NULL;
    xc_client_t *self = calloc (1, sizeof *self);
    if (!self)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    if (s_connect (ZMQ_DEALER, opts, &self->ctx, &self->socket, err) != 0) {
        free (self);
        return -1;
    }
    *client_p = self;
    return 0;
}

void *
xc_client_socket (xc_client_t *client)
{
    return client->socket;
}

struct xc_subscriber {
    void *ctx;
    void *socket;
};

int
xc_subscriber_new (const xc_client_opts_t *opts, xc_subscriber_t **sub_p, xc_err_t *err)
{
    *sub_p = NULL;
    xc_subscriber_t *self = calloc (1, sizeof *self);
    if (!self)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    if (s_connect (ZMQ_SUB, opts, &self->ctx, &self->socket, err) != 0) {
        free (self);
        return -1;
    }
    *sub_p = self;
    return 0;
}

void
xc_subscriber_destroy (xc_subscriber_t **sub_p)
{
    xc_subscriber_t *self = *sub_p;
    if (!self)
        return;
    zmq_close (self->socket);
    zmq_ctx_term (self->ctx);
    free (self);
    *sub_p = NULL;
}

void *
xc_subscriber_socket (xc_subscriber_t *sub)
{
    return sub->socket;
}

int
xc_subscriber_take (xc_subscriber_t *sub, char **bytes_p, size_t *len_p)
{
    *bytes_p = NULL;
    *len_p = 0;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, sub->socket, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        return -1;
    }
    size_t len = zmq_msg_size (&msg);
    char *bytes = malloc (len + 1);
    if (bytes) {
        memcpy (bytes, zmq_msg_data (&msg), len);
        bytes[len] = 0;
    }
    zmq_msg_close (&msg);
    if (!bytes)
        return -1;
    *bytes_p = bytes;
    *len_p = len;
    return 0;
}

void
xc_client_destroy (xc_client_t **client_p)
{
    xc_client_t *self = *client_p;
    if (!self)
        return;
    if (self->socket)
        zmq_close (self->socket);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self);
    *client_p = NULL;
}

int
xc_client_send (xc_client_t *self, const char *bytes, size_t len, xc_err_t *err)
{
    if (zmq_send (self->socket, bytes, len, ZMQ_DONTWAIT) < 0) {
        if (zmq_errno () == EAGAIN)
            return xc_err_set (err, XC_E_UNAVAILABLE, "not connected");
        return s_zmq_fail (err, "send failed");
    }
    return 0;
}

int
xc_client_recv (xc_client_t *self, int timeout_ms, char **bytes_p, size_t *len_p, xc_err_t *err)
{
    *bytes_p = NULL;
    *len_p = 0;
    zmq_pollitem_t item = { self->socket, 0, ZMQ_POLLIN, 0 };
    int64_t deadline = xc_clock_mono_ms () + timeout_ms;
    for (;;) {
        int64_t left = deadline - xc_clock_mono_ms ();
        int rc = zmq_poll (&item, 1, left > 0 ? (long) left : 0);
        if (rc > 0)
            break;
        if (rc < 0 && zmq_errno () != EINTR)
            return s_zmq_fail (err, "poll failed");
        if (left <= 0 || xc_signals_stopping ())
            return xc_err_set (err, XC_E_UNAVAILABLE, "no answer within %d ms", timeout_ms);
    }
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, self->socket, 0) < 0) {
        zmq_msg_close (&msg);
        return s_zmq_fail (err, "receive failed");
    }
    /* A reply is one frame; drop any extra frames a broken peer sent. */
    while (zmq_msg_more (&msg)) {
        zmq_msg_t extra;
        zmq_msg_init (&extra);
        zmq_msg_recv (&extra, self->socket, 0);
        int more = zmq_msg_more (&extra);
        zmq_msg_close (&extra);
        if (!more)
            break;
    }
    size_t len = zmq_msg_size (&msg);
    char *bytes = malloc (len + 1);
    if (!bytes) {
        zmq_msg_close (&msg);
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    memcpy (bytes, zmq_msg_data (&msg), len);
    bytes[len] = 0;
    zmq_msg_close (&msg);
    *bytes_p = bytes;
    *len_p = len;
    return 0;
}

/*  Turns an opened reply into the call's outcome: 1 done (ack or result), 0 transient (retry),
    -1 permanent error. */
static int
s_reply_outcome (const xc_msg_t *reply, xc_err_t *err)
{
    if (strcmp (reply->type, "ack") == 0 || strcmp (reply->type, "result") == 0)
        return 1;
    if (strcmp (reply->type, "error") != 0) {
        xc_err_set (err, XC_E_MALFORMED, "reply of unknown type '%s'", reply->type);
        return -1;
    }
    const char *name = json_string_value (json_object_get (reply->data, "code"));
    const char *text = json_string_value (json_object_get (reply->data, "message"));
    xc_code_t code = xc_code_from_name (name);
    if (code == XC_CODE_COUNT)
        code = XC_E_INTERNAL;
    xc_err_set (err, code, "%s", text ? text : (name ? name : "error"));
    return xc_code_is_transient (code) ? 0 : -1;
}

int
xc_client_call (xc_client_t *self, const char *request, size_t len, const char *request_id,
                const xc_verify_t *verify, const char *service, int timeout_ms,
                xc_msg_t **reply_p, xc_err_t *err)
{
    *reply_p = NULL;
    int64_t deadline = xc_clock_mono_ms () + timeout_ms;
    int wait_ms = 250;                   /* doubles up to 2 s between resends */
    xc_err_t last = { XC_E_UNAVAILABLE, "" };
    snprintf (last.text, sizeof last.text, "'%s' did not answer within %d ms", service, timeout_ms);
    for (;;) {
        int64_t left = deadline - xc_clock_mono_ms ();
        if (left <= 0 || xc_signals_stopping ())
            break;
        xc_err_t send_err;
        bool sent = xc_client_send (self, request, len, &send_err) == 0;
        int64_t until = xc_clock_mono_ms () + (wait_ms < left ? wait_ms : left);
        /* Read replies until this attempt's wait is over; replies to earlier requests or
           earlier copies of this one (corr differs, or a second answer) are dropped. */
        while (sent) {
            int64_t remain = until - xc_clock_mono_ms ();
            if (remain <= 0)
                break;
            char *bytes;
            size_t n;
            xc_err_t recv_err;
            if (xc_client_recv (self, (int) remain, &bytes, &n, &recv_err) != 0)
                break;
            xc_verify_t v = *verify;
            v.now = xc_clock_wall ();
            xc_msg_t *reply;
            xc_err_t open_err;
            int opened = xc_envelope_open (bytes, n, &v, &reply, &open_err);
            free (bytes);
            if (opened != 0) {
                xc_warn (request_id, "dropped a reply that did not verify: %s (%s)",
                         open_err.text, xc_code_name (open_err.code));
                continue;
            }
            if (strcmp (reply->corr, request_id) != 0 || strcmp (reply->iss, service) != 0) {
                xc_msg_destroy (&reply);
                continue;
            }
            int outcome = s_reply_outcome (reply, &last);
            if (outcome == 1) {
                *reply_p = reply;
                return 0;
            }
            xc_msg_destroy (&reply);
            if (outcome < 0) {
                if (err)
                    *err = last;
                return -1;
            }
            break;                       /* transient: resend after the wait */
        }
        if (!sent && send_err.code == XC_E_UNAVAILABLE) {
            /* Not connected yet (IMMEDIATE): send as soon as the connection is up rather than
               after a whole wait, which cost every new client a quarter of a second. */
            int64_t nap = until - xc_clock_mono_ms ();
            zmq_pollitem_t out = { self->socket, 0, ZMQ_POLLOUT, 0 };
            if (nap > 0 && zmq_poll (&out, 1, (long) nap) > 0 && (out.revents & ZMQ_POLLOUT))
                continue;
        }
        else if (!sent) {
            last = send_err;                 /* a real send error: say it, and wait as before */
            int64_t nap = until - xc_clock_mono_ms ();
            if (nap > 0) {
                zmq_pollitem_t none = { NULL, -1, 0, 0 };
                zmq_poll (&none, 0, (long) nap);
            }
        }
        else if (xc_clock_mono_ms () < until) {
            int64_t nap = until - xc_clock_mono_ms ();
            if (nap > 0) {
                zmq_pollitem_t none = { NULL, -1, 0, 0 };
                zmq_poll (&none, 0, (long) nap);
            }
        }
        wait_ms = wait_ms * 2 > 2000 ? 2000 : wait_ms * 2;
    }
    if (err)
        *err = last;
    return -1;
}
