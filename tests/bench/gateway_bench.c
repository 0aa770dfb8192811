/*  gateway_bench: what the HTTP gateway (xc-gateway, issue 21) costs in front of a service, each
    figure against the same service reached directly over ZeroMQ in the same run.

    setting        a real xc-intake (fixture deployment, unit U1 registered) and a real
                   xc-gateway on the same config (services.gateway: http 127.0.0.1:0; limits
                   raised for a load generator on one address: 4096 connections in total and from
                   one address, 10^6 requests/s, idle 300 s). The load generator is this process,
                   in C: ZeroMQ through common/transport's client, HTTP/1.1 over raw sockets and
                   epoll (a Python client would be the bottleneck here). Every message is sealed
                   before the clock starts, and every reply is verified after it stops (a signed
                   ack from intake for another of the commands sent, HTTP status 200): the client's
                   own signing and verifying is not what is measured.
    gateway_accept problem.report commands/s through the gateway over HTTP/1.1 keep-alive with
                   CONNS connections, one request in flight on each; floor: intake_accept, the
                   same commands straight to intake over ZeroMQ with accept_bench's IN_FLIGHT
                   outstanding, measured just before and just after each HTTP trial (their mean).
                   TRIALS trials, the line is the trial of median ratio (bar: ratio >= 0.8).
    gateway_accept_1000
                   the same with CONNS_MANY connections, as many requests in flight as
                   intake_accept has over ZeroMQ: the gateway's own cost, apart from the cost of
                   fewer in flight (intake commits smaller batches).
    gateway_latency_500_p50/_p99
                   open loop at RATE problem.report/s, each phase PHASE commands, alternating
                   direct ZeroMQ and gateway phases (PHASES of each); latency from the send to the
                   whole reply read. value: the percentile through the gateway; floor: the same
                   percentile over direct ZeroMQ; the comment line gives what the gateway adds
                   (the difference of the percentiles; bar: p99 added < 1 ms).
    gateway_idle_1000
                   VmRSS of a fresh xc-gateway holding IDLE keep-alive connections, each of which
                   has made one signed problem.report and then stays idle; floor: its VmRSS just
                   after start (bar: < 32 MiB). Each connection is used again after the measure:
                   all must still be open.
    XC_BENCH_TINY=1: a few hundred commands, 50 idle connections.
    Prints "BENCH <name> <value> <unit> floor=<value> ratio=<value>" lines; exit 1 on a failure.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/envelope.h"
#include "tests/system/fixture.h"

enum { TRIALS = 3, IN_FLIGHT = 1000, CONNS = 64, CONNS_MANY = 1000, RATE = 500, BUF = 1 << 16 };
static int COMMANDS = 20000;        /* per accept trial; XC_BENCH_TINY: 200 */
static int PHASE = 1250;            /* commands per latency phase (2.5 s at RATE); tiny: 100 */
static int PHASES = 4;              /* of each kind, alternating */
static int IDLE = 1000;             /* tiny: 50 */

static const char REPORT[] =
    "{\"unit\":\"U1\",\"category\":\"public_concerns\",\"summary\":\"网关第%d件\","
    "\"detail\":\"群众反映的问题\",\"severity\":\"general\",\"source\":\"petition\"}";

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------------ HTTP/1.1 keep-alive client */

typedef struct {
    int fd;
    bool busy;                      /* a request sent, its response not read whole yet */
    size_t len;
    char buf[BUF];
} conn_t;

typedef struct {
    struct sockaddr_in addr;
    int epoll_fd;
    conn_t **conns;
    int n_conns;
} http_t;

static int
s_connect (const struct sockaddr_in *addr)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct timeval five = { .tv_sec = 5 };
    if (fd < 0 || setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0
        || setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &five, sizeof five) != 0
        || connect (fd, (const struct sockaddr *) addr, sizeof *addr) != 0) {
        if (fd >= 0)
            close (fd);
        return -1;
    }
    return fd;
}

static int
s_http_open (http_t *h, const char *host_port, int n)
{
    char host[64];
    int port;
    memset (h, 0, sizeof *h);
    if (sscanf (host_port, "%63[^:]:%d", host, &port) != 2)
        return -1;
    h->addr.sin_family = AF_INET;
    h->addr.sin_port = htons ((uint16_t) port);
    if (inet_pton (AF_INET, host, &h->addr.sin_addr) != 1)
        return -1;
    h->epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
    h->conns = calloc ((size_t) n, sizeof *h->conns);
    if (h->epoll_fd < 0 || !h->conns)
        return -1;
    for (; h->n_conns < n; h->n_conns++) {
        conn_t *c = malloc (sizeof *c);
        if (!c)
            return -1;
        c->busy = false;
        c->len = 0;
        c->fd = s_connect (&h->addr);
        h->conns[h->n_conns] = c;
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (c->fd < 0 || epoll_ctl (h->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            h->n_conns++;
            return -1;
        }
    }
    return 0;
}

static void
s_http_close (http_t *h)
{
    for (int i = 0; i < h->n_conns; i++) {
        if (h->conns[i]->fd >= 0)
            close (h->conns[i]->fd);
        free (h->conns[i]);
    }
    free (h->conns);
    if (h->epoll_fd > 0)
        close (h->epoll_fd);
    memset (h, 0, sizeof *h);
}

/*  Sends a POST of body to path on connection c (blocking, 5 s at most). */
static int
s_http_post (conn_t *c, const char *path, const char *body, size_t len)
{
    char head[256];
    int n = snprintf (head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: bench\r\nContent-Type: application/jose+json\r\n"
                      "Content-Length: %zu\r\n\r\n", path, len);
    struct iovec iov[2] = { { head, (size_t) n }, { (void *) body, len } };
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
    size_t want = (size_t) n + len;
    ssize_t w = sendmsg (c->fd, &m, MSG_NOSIGNAL);
    if (w < 0)
        return -1;
    /* the rest, if the socket took only part (rare on loopback) */
    for (size_t done = (size_t) w; done < want; ) {
        size_t off = done;
        const char *p = off < (size_t) n ? head + off : body + (off - (size_t) n);
        size_t left = off < (size_t) n ? (size_t) n - off : want - off;
        w = send (c->fd, p, left, MSG_NOSIGNAL);
        if (w <= 0)
            return -1;
        done += (size_t) w;
    }
    c->busy = true;
    return 0;
}

/*  A whole response at the start of c's buffer: its length, status and body, or 0. */
static size_t
s_http_parse (conn_t *c, int *status, const char **body, size_t *body_len)
{
    char *end = memmem (c->buf, c->len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t) (end - c->buf) + 4;
    long cl = -1;
    for (char *p = c->buf; p && p < end; p = memchr (p, '\n', (size_t) (end - p))) {
        p += *p == '\n';
        if (strncasecmp (p, "Content-Length:", 15) == 0)
            cl = strtol (p + 15, NULL, 10);
    }
    if (cl < 0 || sscanf (c->buf, "HTTP/1.1 %d", status) != 1)
        return (size_t) -1;          /* not what the gateway answers: a failure */
    if (c->len < head + (size_t) cl)
        return 0;
    *body = c->buf + head;
    *body_len = (size_t) cl;
    return head + (size_t) cl;
}

/*  Reads whatever came on ready connections, waiting up to timeout_ms; calls got for each whole
    response. Returns the number of responses, or -1 when a connection failed. */
static int
s_http_poll (http_t *h, int timeout_ms,
             void (*got) (void *arg, int status, const char *body, size_t len), void *arg)
{
    struct epoll_event ev[64];
    int n = epoll_wait (h->epoll_fd, ev, 64, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    int responses = 0;
    for (int i = 0; i < n; i++) {
        conn_t *c = ev[i].data.ptr;
        ssize_t r = recv (c->fd, c->buf + c->len, sizeof c->buf - c->len, MSG_DONTWAIT);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            return -1;               /* the gateway closed a kept-alive connection */
        }
        c->len += (size_t) r;
        int status;
        const char *body;
        size_t body_len, whole;
        while ((whole = s_http_parse (c, &status, &body, &body_len)) > 0) {
            if (whole == (size_t) -1 || !c->busy)
                return -1;
            got (arg, status, body, body_len);
            responses++;
            c->busy = false;
            memmove (c->buf, c->buf + whole, c->len - whole);
            c->len -= whole;
        }
        if (c->len == sizeof c->buf)
            return -1;
    }
    return responses;
}

/* ------------------------------------------------------------------ one load, either way */

typedef struct {
    char **msgs;                    /* sealed before the clock */
    char (*ids)[XC_UUID_LEN + 1];
    int n;
    int64_t *sent_us;               /* per command */
    char **replies;                 /* in arrival order */
    size_t *lens;
    int *statuses;                  /* HTTP status, 200 for ZeroMQ */
    int64_t *got_us;
    int received;
    int no_free_conn;               /* open loop: commands that waited for a free connection */
} load_t;

static void
s_load_got (void *arg, int status, const char *body, size_t len)
{
    load_t *l = arg;
    if (l->received >= l->n)
        return;
    l->replies[l->received] = malloc (len + 1);
    memcpy (l->replies[l->received], body, len);
    l->replies[l->received][len] = 0;
    l->lens[l->received] = len;
    l->statuses[l->received] = status;
    l->got_us[l->received++] = s_now_us ();
}

static int sealed;                  /* numbers the summaries over the whole run */

static void
s_load_new (load_t *l, fx_t *intake, int n)
{
    memset (l, 0, sizeof *l);
    l->n = n;
    l->msgs = calloc ((size_t) n, sizeof *l->msgs);
    l->ids = calloc ((size_t) n, sizeof *l->ids);
    l->sent_us = calloc ((size_t) n, sizeof *l->sent_us);
    l->replies = calloc ((size_t) n, sizeof *l->replies);
    l->lens = calloc ((size_t) n, sizeof *l->lens);
    l->statuses = calloc ((size_t) n, sizeof *l->statuses);
    l->got_us = calloc ((size_t) n, sizeof *l->got_us);
    for (int i = 0; i < n; i++) {
        char data[512];
        snprintf (data, sizeof data, REPORT, sealed++);
        l->msgs[i] = fx_seal (intake, &intake->petition, "petition-bureau", "problem.report", data, l->ids[i]);
    }
}

static void
s_load_destroy (load_t *l)
{
    for (int i = 0; i < l->n; i++) {
        free (l->msgs[i]);
        free (l->replies[i]);
    }
    free (l->msgs);
    free (l->ids);
    free (l->sent_us);
    free (l->replies);
    free (l->lens);
    free (l->statuses);
    free (l->got_us);
}

/*  Sends l's commands to intake over ZeroMQ (client) or through the gateway (http), closed loop
    with window in flight (rate 0) or open loop at rate per second; returns the seconds from the
    first send to the last reply, or -1 when not every command got a reply in time. */
static double
s_load_run (load_t *l, xc_client_t *client, http_t *http, int window, int rate)
{
    int sent = 0;
    bool busy = false;               /* the next command found no free connection */
    int64_t t0 = s_now_us ();
    int64_t limit = t0 + 120 * 1000000LL;
    while (l->received < l->n && s_now_us () < limit) {
        int64_t now = s_now_us ();
        while (sent < l->n && sent - l->received < window
               && (rate == 0 || t0 + (int64_t) sent * 1000000 / rate <= now)) {
            const char *m = l->msgs[sent];
            int rc = -1;
            if (client)
                rc = xc_client_send (client, m, strlen (m), NULL);
            else
                for (int k = 0; k < http->n_conns && rc != 0; k++)
                    if (!http->conns[k]->busy)
                        rc = s_http_post (http->conns[k], "/v1/intake", m, strlen (m));
            if (rc != 0) {
                busy = true;
                break;
            }
            /* open loop: from when it was due, so that a wait for a free connection counts */
            l->sent_us[sent] = rate ? t0 + (int64_t) sent * 1000000 / rate : s_now_us ();
            sent++;
            l->no_free_conn += busy && rate > 0;
            busy = false;
            now = s_now_us ();
        }
        /* wait for a reply, or until the next send is due (open loop) */
        int wait_ms = 5000;
        if (rate > 0 && sent < l->n && !busy && sent - l->received < window) {
            int64_t due = t0 + (int64_t) sent * 1000000 / rate - s_now_us ();
            wait_ms = due <= 0 ? 0 : (int) ((due + 999) / 1000);
        }
        if (client) {
            char *bytes;
            size_t len;
            if (xc_client_recv (client, wait_ms, &bytes, &len, NULL) == 0) {
                if (l->received < l->n) {
                    l->replies[l->received] = bytes;
                    l->lens[l->received] = len;
                    l->statuses[l->received] = 200;
                    l->got_us[l->received++] = s_now_us ();
                } else
                    free (bytes);
            } else if (wait_ms == 5000 && sent > l->received)
                return -1;           /* 5 s without a reply */
        } else {
            int got = s_http_poll (http, wait_ms, s_load_got, l);
            if (got < 0 || (got == 0 && wait_ms == 5000 && sent > l->received))
                return -1;
        }
    }
    return l->received == l->n ? (double) (l->got_us[l->received - 1] - t0) / 1e6 : -1;
}

static int
s_compare_id (const void *a, const void *b)
{
    return strcmp (a, b);
}

/*  Every reply a signed ack from intake with HTTP status 200, for another command of l; when
    latency_ms is given, each command's latency goes there (in command order). Returns the
    number of replies that are not. */
static int
s_load_check (load_t *l, fx_t *intake, double *latency_ms)
{
    typedef struct {
        char id[XC_UUID_LEN + 1];
        int index;
    } idx_t;
    idx_t *sorted = calloc ((size_t) l->n, sizeof *sorted);
    for (int i = 0; i < l->n; i++) {
        memcpy (sorted[i].id, l->ids[i], sizeof sorted[i].id);
        sorted[i].index = i;
    }
    qsort (sorted, (size_t) l->n, sizeof *sorted, s_compare_id);
    bool *answered = calloc ((size_t) l->n, sizeof *answered);
    xc_verify_t verify = { .registry = intake->registry, .audience = "petition-bureau", .skew = 300,
                           .max_lifetime = 3600, .max_size = 1 << 20 };
    int failed = 0;
    for (int i = 0; i < l->received; i++) {
        verify.now = xc_clock_wall ();
        xc_msg_t *reply = NULL;
        idx_t *hit = NULL;
        if (l->statuses[i] == 200 && xc_envelope_open (l->replies[i], l->lens[i], &verify, &reply, NULL) == 0
            && strcmp (reply->type, "ack") == 0 && strcmp (reply->iss, "intake") == 0)
            hit = bsearch (reply->corr, sorted, (size_t) l->n, sizeof *sorted, s_compare_id);
        if (!hit || answered[hit->index])
            failed++;
        else {
            answered[hit->index] = true;
            if (latency_ms)
                latency_ms[hit->index] = (double) (l->got_us[i] - l->sent_us[hit->index]) / 1000.0;
        }
        xc_msg_destroy (&reply);
    }
    free (answered);
    free (sorted);
    return failed + (l->n - l->received);
}

/* ------------------------------------------------------------------ the gateway process */

typedef struct {
    pid_t pid;
    char http[64];                  /* host:port it bound */
    char ready[600];
} gw_t;

/*  Adds services.gateway to intake's config (after its endpoints are pinned) and starts
    build/bin/xc-gateway on it; waits (10 s at most) for its ready file. */
static int
s_gateway_start (gw_t *gw, fx_t *intake)
{
    json_t *config = json_load_file (intake->config, 0, NULL);
    json_t *limits = json_pack ("{s:i, s:i, s:i, s:i, s:i, s:i}", "connections", 4096,
                                "connections_per_address", 4096, "idle_timeout_seconds", 300,
                                "header_timeout_seconds", 300, "requests_per_second", 1000000,
                                "burst", 1000000);
    if (!config || !limits)
        return -1;
    json_object_set_new (json_object_get (config, "services"), "gateway",
                         json_pack ("{s:s, s:i, s:o}", "http", "127.0.0.1:0", "reply_timeout_ms", 10000,
                                    "limits", limits));
    int rc = json_dump_file (config, intake->config, JSON_INDENT (1));
    json_decref (config);
    if (rc != 0)
        return -1;
    snprintf (gw->ready, sizeof gw->ready, "%s/gateway.ready", intake->dir);
    unlink (gw->ready);
    char log[600];
    snprintf (log, sizeof log, "%s/gateway.log", intake->dir);
    gw->pid = fork ();
    if (gw->pid == 0) {
        FILE *f = freopen (log, "a", stderr);
        (void) f;
        execl ("build/bin/xc-gateway", "xc-gateway", "--config", intake->config, "--ready-file",
               gw->ready, (char *) NULL);
        _exit (127);
    }
    for (int64_t t0 = xc_clock_mono_ms (); gw->pid > 0 && xc_clock_mono_ms () - t0 < 10000; ) {
        json_t *ready = json_load_file (gw->ready, 0, NULL);
        const char *http = json_string_value (json_object_get (ready, "http"));
        if (http)
            snprintf (gw->http, sizeof gw->http, "%s", http);
        json_decref (ready);
        if (http)
            return 0;
        if (waitpid (gw->pid, NULL, WNOHANG) == gw->pid)
            break;
        usleep (20000);
    }
    fprintf (stderr, "xc-gateway did not start (see %s)\n", log);
    return -1;
}

/*  SIGTERM and wait (5 s, then SIGKILL): 0 when it exited 0. */
static int
s_gateway_stop (gw_t *gw)
{
    if (gw->pid <= 0)
        return -1;
    kill (gw->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; i++) {
        if (waitpid (gw->pid, &status, WNOHANG) == gw->pid)
            return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
        usleep (10000);
    }
    kill (gw->pid, SIGKILL);
    waitpid (gw->pid, NULL, 0);
    return -1;
}

/*  /proc/loadavg's first three figures (the machine is shared). */
static const char *
s_loadavg (void)
{
    static char text[64];
    FILE *f = fopen ("/proc/loadavg", "r");
    float a = 0, b = 0, c = 0;
    if (!f || fscanf (f, "%f %f %f", &a, &b, &c) != 3)
        a = b = c = -1;
    if (f)
        fclose (f);
    snprintf (text, sizeof text, "%.2f %.2f %.2f", a, b, c);
    return text;
}

static long
s_rss_kib (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kib = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kib = strtol (line + 6, NULL, 10);
    if (f)
        fclose (f);
    return kib;
}

/* ------------------------------------------------------------------ the figures */

static pid_t gateway_pid;           /* the gateway of the accept and latency figures */

/*  Commands/s of one closed-loop trial, -1 on a failure: over ZeroMQ (client) with window in
    flight, or through the gateway (http) with one on each connection. */
static double
s_accept_rate (fx_t *intake, xc_client_t *client, http_t *http, int window)
{
    load_t l;
    s_load_new (&l, intake, COMMANDS);
    double cpu_i = fx_cpu_seconds (intake->pid, 0), cpu_g = fx_cpu_seconds (gateway_pid, 0);
    double cpu_me = fx_cpu_seconds (getpid (), 0);
    double seconds = s_load_run (&l, client, http, client ? window : http->n_conns, 0);
    cpu_i = fx_cpu_seconds (intake->pid, 0) - cpu_i;
    cpu_g = fx_cpu_seconds (gateway_pid, 0) - cpu_g;
    cpu_me = fx_cpu_seconds (getpid (), 0) - cpu_me;
    int failed = s_load_check (&l, intake, NULL);
    /* where the two cores went (clock ticks: a rough split) */
    printf ("# %s %d: %d sent, %d answered, %d not acknowledged, %.2f s; CPU per command: intake %.0f "
            "us, gateway %.0f us, load generator %.0f us; load average %s\n",
            client ? "ZeroMQ, in flight" : "HTTP, connections", client ? window : http->n_conns,
            l.n, l.received, failed, seconds, cpu_i * 1e6 / l.n, cpu_g * 1e6 / l.n, cpu_me * 1e6 / l.n,
            s_loadavg ());
    s_load_destroy (&l);
    return seconds > 0 && failed == 0 ? COMMANDS / seconds : -1;
}

typedef struct {
    double rate, floor;
} trial_t;

static int
s_compare_trial (const void *a, const void *b)
{
    double ra = ((const trial_t *) a)->rate / ((const trial_t *) a)->floor;
    double rb = ((const trial_t *) b)->rate / ((const trial_t *) b)->floor;
    return (ra > rb) - (ra < rb);
}

static int
s_bench_accept (const char *name, fx_t *intake, xc_client_t *client, http_t *http)
{
    trial_t trials[TRIALS];
    int failed = 0;
    double before = s_accept_rate (intake, client, NULL, IN_FLIGHT);
    for (int i = 0; i < TRIALS; i++) {
        double rate = s_accept_rate (intake, NULL, http, 0);
        /* what as few in flight cost intake without the gateway: tells the two causes apart */
        double same = s_accept_rate (intake, client, NULL, http->n_conns);
        double after = s_accept_rate (intake, client, NULL, IN_FLIGHT);
        trials[i] = (trial_t) { rate, (before + after) / 2 };
        printf ("# %s trial %d: %.0f commands/s over HTTP (%d connections); intake_accept over "
                "ZeroMQ (%d in flight) just before %.0f, just after %.0f; ratio %.2f; over ZeroMQ "
                "with %d in flight %.0f (HTTP's ratio to it %.2f)\n", name, i + 1, rate,
                http->n_conns, IN_FLIGHT, before, after, rate / trials[i].floor, http->n_conns, same,
                rate / same);
        failed += same <= 0;
        failed += rate <= 0 || before <= 0 || after <= 0;
        before = after;
    }
    qsort (trials, TRIALS, sizeof *trials, s_compare_trial);
    const trial_t *median = &trials[TRIALS / 2];
    printf ("BENCH %s %.0f commands/s floor=%.0f ratio=%.2f\n", name, median->rate, median->floor,
            median->rate / median->floor);
    fflush (stdout);
    return failed;
}

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

static double
s_percentile (double *sorted, int n, double p)
{
    int k = (int) (p / 100.0 * n + 0.999999);
    return sorted[(k < 1 ? 1 : k) - 1];
}

static int
s_bench_latency (fx_t *intake, xc_client_t *client, http_t *http)
{
    int n = PHASE * PHASES, failed = 0, no_conn = 0;
    double *direct = calloc ((size_t) n, sizeof *direct), *through = calloc ((size_t) n, sizeof *through);
    for (int phase = 0; phase < 2 * PHASES; phase++) {
        bool gw = phase % 2 == 1;
        load_t l;
        s_load_new (&l, intake, PHASE);
        double seconds = s_load_run (&l, gw ? NULL : client, gw ? http : NULL, PHASE, RATE);
        int bad = s_load_check (&l, intake, (gw ? through : direct) + (phase / 2) * PHASE);
        printf ("# latency phase %d, %s: %d sent at %d/s, %d answered, %d not acknowledged, %.2f s\n",
                phase + 1, gw ? "through the gateway" : "direct ZeroMQ", PHASE, RATE, l.received, bad,
                seconds);
        failed += bad + (seconds < 0);
        no_conn += l.no_free_conn;
        s_load_destroy (&l);
    }
    qsort (direct, (size_t) n, sizeof *direct, s_compare_double);
    qsort (through, (size_t) n, sizeof *through, s_compare_double);
    double d50 = s_percentile (direct, n, 50), d99 = s_percentile (direct, n, 99);
    double g50 = s_percentile (through, n, 50), g99 = s_percentile (through, n, 99);
    printf ("# gateway_latency_500: %d commands each way at %d/s; direct ZeroMQ p50 %.3f p99 %.3f max "
            "%.3f ms; through the gateway p50 %.3f p99 %.3f max %.3f ms; the gateway adds p50 %.3f "
            "p99 %.3f ms (bar: p99 < 1 ms); sends that found every HTTP connection busy: %d\n",
            n, RATE, d50, d99, direct[n - 1], g50, g99, through[n - 1], g50 - d50, g99 - d99, no_conn);
    printf ("BENCH gateway_latency_500_p50 %.3f ms floor=%.3f ratio=%.2f\n", g50, d50, d50 / g50);
    printf ("BENCH gateway_latency_500_p99 %.3f ms floor=%.3f ratio=%.2f\n", g99, d99, d99 / g99);
    fflush (stdout);
    free (direct);
    free (through);
    return failed;
}

static void
s_count_ok (void *arg, int status, const char *body, size_t len)
{
    (void) body;
    (void) len;
    *(int *) arg += status == 200;
}

/*  Each connection makes one request and waits for its answer, one connection at a time. */
static int
s_each_once (http_t *h, fx_t *intake)
{
    int ok = 0;
    for (int i = 0; i < h->n_conns; i++) {
        char id[XC_UUID_LEN + 1], data[512];
        snprintf (data, sizeof data, REPORT, sealed++);
        char *m = fx_seal (intake, &intake->petition, "petition-bureau", "problem.report", data, id);
        int before = ok;
        if (m && s_http_post (h->conns[i], "/v1/intake", m, strlen (m)) == 0)
            for (int64_t t0 = xc_clock_mono_ms (); ok == before && h->conns[i]->busy
                                                   && xc_clock_mono_ms () - t0 < 5000; )
                if (s_http_poll (h, 100, s_count_ok, &ok) < 0)
                    break;
        free (m);
    }
    return ok;
}

static int
s_bench_idle (fx_t *intake)
{
    gw_t gw = { 0 };
    if (s_gateway_start (&gw, intake) != 0)
        return 1;
    usleep (200000);
    long start = s_rss_kib (gw.pid);
    http_t h;
    int64_t t0 = xc_clock_mono_ms ();
    int opened = s_http_open (&h, gw.http, IDLE) == 0 ? h.n_conns : 0;
    int first = opened ? s_each_once (&h, intake) : 0;
    double setup = (double) (xc_clock_mono_ms () - t0) / 1000.0;
    sleep (1);                      /* idle: nothing in flight, every answer sent */
    long idle = s_rss_kib (gw.pid);
    int again = opened ? s_each_once (&h, intake) : 0;
    printf ("# gateway_idle_%d: %d keep-alive connections opened and each answered %d of %d requests "
            "in %.1f s, then idle 1 s; VmRSS %.1f MiB just after start, %.1f MiB with them idle; used "
            "again afterwards: %d of %d answered 200 (bar: < 32 MiB)\n", IDLE, opened, first, IDLE,
            setup, start / 1024.0, idle / 1024.0, again, IDLE);
    printf ("BENCH gateway_idle_%d %.2f MiB floor=%.2f ratio=%.2f\n", IDLE, idle / 1024.0, start / 1024.0,
            (double) start / (double) idle);
    fflush (stdout);
    s_http_close (&h);
    int stopped = s_gateway_stop (&gw);
    return opened == IDLE && first == IDLE && again == IDLE && start > 0 && idle > 0 && stopped == 0 ? 0 : 1;
}

/*  Registers the unit U1 that the problems are reported against. */
static int
s_register_unit (fx_t *intake)
{
    char id[XC_UUID_LEN + 1];
    xc_client_t *client = fx_client (intake, NULL);
    char *msg = fx_seal (intake, &intake->office, "office", "unit.register",
                         "{\"id\":\"U1\",\"name\":\"某镇\",\"level\":\"town\"}", id);
    xc_msg_t *reply = NULL;
    int rc = fx_call (intake, client, "office", msg, id, &reply, NULL);
    xc_msg_destroy (&reply);
    free (msg);
    xc_client_destroy (&client);
    return rc;
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (getenv ("XC_BENCH_TINY")) {
        COMMANDS = 200;
        PHASE = 100;
        PHASES = 2;
        IDLE = 50;
    }
    /* IDLE connections here and as many in the gateway, which inherits this limit */
    struct rlimit nofile;
    if (getrlimit (RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 4 * (rlim_t) IDLE) {
        nofile.rlim_cur = nofile.rlim_max < 4 * (rlim_t) IDLE ? nofile.rlim_max : 4 * (rlim_t) IDLE;
        setrlimit (RLIMIT_NOFILE, &nofile);
    }
    fx_t intake;
    gw_t gw = { 0 };
    if (fx_deploy (&intake, "intake", false) != 0 || fx_start (&intake, NULL) != 0
        || fx_pin_endpoints (&intake) != 0 || s_register_unit (&intake) != 0
        || s_gateway_start (&gw, &intake) != 0) {
        fprintf (stderr, "unable to start intake and the gateway\n");
        return 1;
    }
    gateway_pid = gw.pid;
    long long before = fx_sql_int (&intake, "SELECT count(*) FROM inbox WHERE type = 'problem.report'");
    xc_client_t *client = fx_client (&intake, NULL);
    http_t http, many;
    int failed = s_http_open (&http, gw.http, CONNS) != 0 || s_http_open (&many, gw.http, CONNS_MANY) != 0;
    if (!failed) {
        failed += s_bench_accept ("gateway_accept", &intake, client, &http);
        failed += s_bench_accept ("gateway_accept_1000", &intake, client, &many);
        failed += s_bench_latency (&intake, client, &http);
    }
    s_http_close (&http);
    s_http_close (&many);
    xc_client_destroy (&client);
    failed += s_gateway_stop (&gw) != 0;
    failed += s_bench_idle (&intake);
    /* every command sent was stored once */
    long long stored = fx_sql_int (&intake, "SELECT count(*) FROM inbox WHERE type = 'problem.report'") - before;
    if (stored != sealed) {
        printf ("# WRONG: %d problem.report sealed, %lld stored\n", sealed, stored);
        failed++;
    }
    fx_destroy (&intake);
    return failed == 0 ? 0 : 1;
}
