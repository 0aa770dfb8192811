/*  hints.c: Server-Sent Events of the services' PUB hints (see hints.h). */
#include "services/gateway/hints.h"

#include "common/clock.h"
#include "common/log.h"
#include "services/gateway/status.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

typedef struct stream {
    struct hints *owner;
    struct MHD_Connection *conn;
    size_t service;
    char *buf;                       /* bytes not yet given to MHD */
    size_t len, cap;
    bool suspended;
    int64_t last_write;
    struct stream *prev, *next;
} stream_t;

struct hints {
    const xc_config_t *cfg;
    size_t n;
    void **sockets;
    int64_t *head;                   /* last seq forwarded, -1 none */
    int64_t *offset;                 /* [consumer * n + source]: what the hint said, -1 none */
    char **last;                     /* last hint frame, for a new stream */
    size_t *last_len;
    stream_t *streams;
    size_t n_streams;
    bool stopping;
};

hints_t *
hints_new (void *ctx, const xc_config_t *cfg, const gateway_curve_t *curve, size_t n)
{
    hints_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = cfg;
    self->n = n;
    self->sockets = calloc (n ? n : 1, sizeof *self->sockets);
    self->head = calloc (n ? n : 1, sizeof *self->head);
    self->last = calloc (n ? n : 1, sizeof *self->last);
    self->last_len = calloc (n ? n : 1, sizeof *self->last_len);
    self->offset = malloc ((n ? n * n : 1) * sizeof *self->offset);
    if (!self->sockets || !self->head || !self->last || !self->last_len || !self->offset) {
        hints_destroy (&self);
        return NULL;
    }
    for (size_t i = 0; i < n * n; i++)
        self->offset[i] = -1;
    int64_t max_frame = (int64_t) cfg->max_message_bytes * 4;
    for (size_t i = 0; i < n; i++) {
        self->head[i] = -1;
        if (!cfg->services[i].events)
            continue;
        void *s = zmq_socket (ctx, ZMQ_SUB);
        int zero = 0;
        if (!s || zmq_setsockopt (s, ZMQ_LINGER, &zero, sizeof zero) != 0
            || zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) != 0
            || zmq_setsockopt (s, ZMQ_SUBSCRIBE, "", 0) != 0
            || gateway_curve_apply (curve, s, i) != 0
            || zmq_connect (s, cfg->services[i].events) != 0) {
            xc_error (NULL, "unable to subscribe to '%s' at '%s': %s", cfg->services[i].name,
                      cfg->services[i].events, zmq_strerror (zmq_errno ()));
            if (s)
                zmq_close (s);
            hints_destroy (&self);
            return NULL;
        }
        self->sockets[i] = s;
    }
    return self;
}

void
hints_destroy (hints_t **self_p)
{
    hints_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; self->sockets && i < self->n; i++)
        if (self->sockets[i])
            zmq_close (self->sockets[i]);
    for (size_t i = 0; self->last && i < self->n; i++)
        free (self->last[i]);
    /* streams are freed by MHD (s_free) when the daemon stops */
    for (stream_t *s = self->streams; s; s = s->next)
        s->owner = NULL;
    free (self->sockets);
    free (self->head);
    free (self->offset);
    free (self->last);
    free (self->last_len);
    free (self);
    *self_p = NULL;
}

void *
hints_socket (hints_t *self, size_t service)
{
    return service < self->n ? self->sockets[service] : NULL;
}

static bool
s_append (stream_t *s, const char *bytes, size_t len)
{
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + len)
            cap *= 2;
        char *buf = realloc (s->buf, cap);
        if (!buf)
            return false;
        s->buf = buf;
        s->cap = cap;
    }
    memcpy (s->buf + s->len, bytes, len);
    s->len += len;
    return true;
}

static void
s_wake (stream_t *s, int *resumed)
{
    s->last_write = xc_clock_mono_ms ();
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection (s->conn);
        (*resumed)++;
    }
}

/* The SSE event of one hint: its seq as id, the signed frame as data (one line: a flattened
   JWS as the services write it has no newline; any CR or LF would be dropped). */
static void
s_send_hint (stream_t *s, int64_t seq, const char *frame, size_t len)
{
    char head[96];
    int n = snprintf (head, sizeof head, "id: %lld\nevent: events.head\ndata: ", (long long) seq);
    s_append (s, head, (size_t) n);
    size_t from = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || frame[i] == '\n' || frame[i] == '\r') {
            s_append (s, frame + from, i - from);
            from = i + 1;
        }
    s_append (s, "\n\n", 2);
}

/* The index of the service named, or -1. */
static int
s_service_index (const hints_t *self, const char *name)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->cfg->services[i].name, name) == 0)
            return (int) i;
    return -1;
}

/* The hint's data.seq, read without verifying (the client verifies the hint itself), and its
   data.sources (each source's offset, for /metrics) kept for the service; -1 for no hint. */
static int64_t
s_hint_read (hints_t *self, size_t service, const char *frame, size_t len)
{
    const char *why;
    json_t *body = gateway_read_payload (frame, len, &why);
    const char *type = json_string_value (json_object_get (body, "type"));
    json_t *data = json_object_get (body, "data");
    json_t *s = json_object_get (data, "seq");
    int64_t seq = -1;
    if (type && strcmp (type, "events.head") == 0 && json_is_integer (s) && json_integer_value (s) >= 0) {
        seq = json_integer_value (s);
        const char *source;
        json_t *offset;
        json_object_foreach (json_object_get (data, "sources"), source, offset) {
            int i = s_service_index (self, source);
            if (i >= 0 && json_is_integer (offset) && json_integer_value (offset) >= 0)
                self->offset[service * self->n + (size_t) i] = json_integer_value (offset);
        }
    }
    json_decref (body);
    return seq;
}

int
hints_take (hints_t *self, size_t service)
{
    int resumed = 0;
    void *sock = hints_socket (self, service);
    while (sock) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        bool more = zmq_msg_more (&msg);
        size_t len = zmq_msg_size (&msg);
        int64_t seq = more ? -1 : s_hint_read (self, service, zmq_msg_data (&msg), len);
        if (seq > self->head[service]) {
            char *copy = malloc (len);
            if (copy) {
                memcpy (copy, zmq_msg_data (&msg), len);
                free (self->last[service]);
                self->last[service] = copy;
                self->last_len[service] = len;
                self->head[service] = seq;
                for (stream_t *s = self->streams; s; s = s->next)
                    if (s->service == service) {
                        s_send_hint (s, seq, copy, len);
                        s_wake (s, &resumed);
                    }
            }
        }
        zmq_msg_close (&msg);
        while (more) {               /* a hint is one frame: drop any other */
            zmq_msg_init (&msg);
            more = zmq_msg_recv (&msg, sock, ZMQ_DONTWAIT) >= 0 && zmq_msg_more (&msg);
            zmq_msg_close (&msg);
        }
    }
    return resumed;
}

int
hints_tick (hints_t *self)
{
    int64_t now = xc_clock_mono_ms ();
    int64_t every = self->cfg->gateway_sse_heartbeat_ms;
    int64_t next = every;
    int resumed = 0;
    for (stream_t *s = self->streams; s; s = s->next) {
        if (now - s->last_write >= every) {
            s_append (s, ": heartbeat\n\n", 13);
            s_wake (s, &resumed);
        } else if (s->last_write + every - now < next)
            next = s->last_write + every - now;
    }
    return (int) next;
}

static ssize_t
s_read (void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    stream_t *s = cls;
    if (!s->owner || (s->owner->stopping && s->len == 0))
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (s->len == 0) {
        s->suspended = true;
        MHD_suspend_connection (s->conn);
        return 0;
    }
    size_t n = s->len < max ? s->len : max;
    memcpy (buf, s->buf, n);
    memmove (s->buf, s->buf + n, s->len - n);
    s->len -= n;
    return (ssize_t) n;
}

static void
s_free (void *cls)
{
    stream_t *s = cls;
    hints_t *self = s->owner;
    if (self) {
        if (s->prev)
            s->prev->next = s->next;
        else
            self->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        self->n_streams--;
    }
    free (s->buf);
    free (s);
}

enum MHD_Result
hints_open (hints_t *self, struct MHD_Connection *conn, size_t service, bool *full)
{
    *full = self->n_streams >= (size_t) self->cfg->gateway_sse_clients;
    if (*full)
        return MHD_YES;
    stream_t *s = calloc (1, sizeof *s);
    if (!s)
        return MHD_NO;
    s->owner = self;
    s->conn = conn;
    s->service = service;
    s->last_write = xc_clock_mono_ms ();
    /* a comment first, so the client sees the stream open at once; then the head known now */
    s_append (s, ": xuncha hints\n\n", 16);
    if (self->last[service])
        s_send_hint (s, self->head[service], self->last[service], self->last_len[service]);
    struct MHD_Response *resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096, &s_read,
                                                                   s, &s_free);
    if (!resp) {
        free (s->buf);
        free (s);
        return MHD_NO;
    }
    s->next = self->streams;
    if (self->streams)
        self->streams->prev = s;
    self->streams = s;
    self->n_streams++;
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header (resp, "Cache-Control", "no-store");
    MHD_add_response_header (resp, "X-Accel-Buffering", "no");
    enum MHD_Result rc = MHD_queue_response (conn, MHD_HTTP_OK, resp);
    MHD_destroy_response (resp);
    return rc;
}

void
hints_stop (hints_t *self)
{
    int resumed = 0;
    self->stopping = true;
    for (stream_t *s = self->streams; s; s = s->next)
        s_wake (s, &resumed);
}

size_t
hints_clients (const hints_t *self)
{
    return self ? self->n_streams : 0;
}

int64_t
hints_head (const hints_t *self, size_t service)
{
    return self && service < self->n ? self->head[service] : -1;
}

int64_t
hints_offset (const hints_t *self, size_t consumer, size_t source)
{
    return self && consumer < self->n && source < self->n ? self->offset[consumer * self->n + source] : -1;
}
