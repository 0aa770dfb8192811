/*  The gateway's limits: see limits.h and docs/services/gateway.md. */
#include "services/gateway/limits.h"

#include "common/clock.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct gateway_conn {
    struct MHD_Connection *conn;
    int fd;
    int64_t since_ms;                /* accepted, or the previous request over */
    bool in_request;                 /* the header is complete */
    bool cut;
    gateway_conn_t *prev, *next;
};

struct gateway_bucket {
    uint8_t addr[16];
    bool used;
    double tokens;
    int64_t at_ms;                   /* tokens as of then */
};

#define PROBES 8

static unsigned
s_get (const json_t *limits, const char *name, unsigned dflt)
{
    json_t *v = json_object_get (limits, name);
    return json_is_integer (v) ? (unsigned) json_integer_value (v) : dflt;
}

static void
s_notify (void *cls, struct MHD_Connection *conn, void **socket_context,
          enum MHD_ConnectionNotificationCode code)
{
    gateway_limits_t *self = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        gateway_conn_t *c = calloc (1, sizeof *c);
        if (!c)
            return;
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info (conn,
                                                                      MHD_CONNECTION_INFO_CONNECTION_FD);
        c->conn = conn;
        c->fd = fd ? fd->connect_fd : -1;
        c->since_ms = xc_clock_mono_ms ();
        c->next = self->conns;
        if (self->conns)
            self->conns->prev = c;
        self->conns = c;
        *socket_context = c;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        gateway_conn_t *c = *socket_context;
        if (!c)
            return;
        if (c->prev)
            c->prev->next = c->next;
        else
            self->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        free (c);
        *socket_context = NULL;
    }
}

int
gateway_limits_init (gateway_limits_t *self, const json_t *gateway)
{
    memset (self, 0, sizeof *self);
    const json_t *limits = json_object_get (gateway, "limits");
    self->connections = s_get (limits, "connections", 1024);
    self->per_address = s_get (limits, "connections_per_address", 64);
    self->memory_bytes = s_get (limits, "connection_memory_bytes", 12 * 1024);
    self->idle_timeout_s = s_get (limits, "idle_timeout_seconds", 30);
    self->header_timeout_s = s_get (limits, "header_timeout_seconds", 10);
    self->rate = s_get (limits, "requests_per_second", 100);
    self->burst = s_get (limits, "burst", 2 * (self->rate ? self->rate : 1));
    self->tracked = s_get (limits, "addresses_tracked", 4096);
    if (self->tracked < PROBES)
        self->tracked = PROBES;
    if (self->rate) {
        self->buckets = calloc (self->tracked, sizeof *self->buckets);
        if (!self->buckets)
            return -1;
    }
    return 0;
}

void
gateway_limits_destroy (gateway_limits_t *self)
{
    free (self->buckets);
    self->buckets = NULL;
    /* the connections are freed as libmicrohttpd closes them (MHD_stop_daemon) */
}

size_t
gateway_limits_options (gateway_limits_t *self, struct MHD_OptionItem *items)
{
    size_t n = 0;
    items[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_LIMIT, self->connections, NULL };
    items[n++] = (struct MHD_OptionItem) { MHD_OPTION_PER_IP_CONNECTION_LIMIT, self->per_address, NULL };
    items[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_MEMORY_LIMIT, self->memory_bytes, NULL };
    items[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_TIMEOUT, self->idle_timeout_s, NULL };
    items[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t) &s_notify, self };
    return n;
}

static gateway_conn_t *
s_conn (struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (conn,
                                                                    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* The client's address as 16 bytes (IPv4 mapped), for the rate table. */
bool
gateway_limits_address (struct MHD_Connection *conn, uint8_t out[16])
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (conn,
                                                                    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return false;
    memset (out, 0, 16);
    if (info->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *) info->client_addr;
        out[10] = out[11] = 0xff;
        memcpy (out + 12, &in->sin_addr, 4);
        return true;
    }
    if (info->client_addr->sa_family == AF_INET6) {
        memcpy (out, &((const struct sockaddr_in6 *) info->client_addr)->sin6_addr, 16);
        return true;
    }
    return false;
}

static double
s_tokens (const gateway_limits_t *self, const gateway_bucket_t *b, int64_t now_ms)
{
    double t = b->tokens + (double) (now_ms - b->at_ms) * self->rate / 1000.0;
    return t > self->burst ? self->burst : t;
}

/* The address's bucket: found, or a slot taken for it. The table is bounded: a full bucket
   (an address quiet long enough) is as good as none and is taken first; when every probed
   slot is busy (many addresses at once) the one quiet longest is reused. */
static gateway_bucket_t *
s_bucket (gateway_limits_t *self, const uint8_t addr[16], int64_t now_ms)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 16; i++)
        h = (h ^ addr[i]) * 1099511628211ull;
    gateway_bucket_t *victim = NULL;
    for (int p = 0; p < PROBES; p++) {
        gateway_bucket_t *b = &self->buckets[(h + (uint64_t) p) % self->tracked];
        if (b->used && memcmp (b->addr, addr, 16) == 0)
            return b;
        if (!b->used || s_tokens (self, b, now_ms) >= self->burst) {
            if (!victim || victim->used)
                victim = b;
        } else if (!victim || (victim->used && b->at_ms < victim->at_ms))
            victim = b;
    }
    memcpy (victim->addr, addr, 16);
    victim->used = true;
    victim->tokens = self->burst;
    victim->at_ms = now_ms;
    return victim;
}

unsigned
gateway_limits_request (gateway_limits_t *self, struct MHD_Connection *conn, int64_t now_ms)
{
    gateway_conn_t *c = s_conn (conn);
    if (c)
        c->in_request = true;
    uint8_t addr[16];
    if (!self->rate || !gateway_limits_address (conn, addr))
        return 0;
    gateway_bucket_t *b = s_bucket (self, addr, now_ms);
    b->tokens = s_tokens (self, b, now_ms);
    b->at_ms = now_ms;
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    double wait_s = (1.0 - b->tokens) / self->rate;
    unsigned s = (unsigned) wait_s;
    return s < wait_s || s == 0 ? s + 1 : s;
}

void
gateway_limits_request_done (gateway_limits_t *self, struct MHD_Connection *conn, int64_t now_ms)
{
    (void) self;
    gateway_conn_t *c = s_conn (conn);
    if (c) {
        c->in_request = false;
        c->since_ms = now_ms;
    }
}

void
gateway_limits_sweep (gateway_limits_t *self, int64_t now_ms)
{
    /* the deadlines are in seconds: a walk over every connection each 250 ms is enough,
       and every turn of the loop would cost O(connections) per request */
    if (now_ms < self->next_sweep_ms)
        return;
    self->next_sweep_ms = now_ms + 250;
    int64_t late = now_ms - (int64_t) self->header_timeout_s * 1000;
    for (gateway_conn_t *c = self->conns; c; c = c->next)
        if (!c->in_request && !c->cut && c->since_ms < late && c->fd >= 0) {
            /* libmicrohttpd has no header deadline of its own and keeps a connection that
               sends a byte now and then: the socket is shut, it sees the end and closes it */
            shutdown (c->fd, SHUT_RDWR);
            c->cut = true;
        }
}
