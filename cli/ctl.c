/*  ctl.c: the operator's key and registry, signed calls, paging, files (ctl.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zmq.h>

#include "cli/ctl.h"
#include "common/clock.h"
#include "common/envelope.h"
#include "common/schema.h"

int
ctl_open (ctl_t *ctl)
{
    xc_err_t err;
    char curve_path[4096];
    snprintf (curve_path, sizeof curve_path, "%.4000s.curve", ctl->key_path);
    if (xc_key_load_jwk (&ctl->key, ctl->key_path, &err) != 0) {
        fprintf (stderr, "xcctl: %s\n  (the operator's key: --key FILE or XC_KEY; make run makes one with xcctl init)\n",
                 err.text);
        return CTL_LOCAL;
    }
    if (xc_registry_load (ctl->config->registry, &ctl->registry, &err) != 0) {
        fprintf (stderr, "xcctl: %s\n", err.text);
        return CTL_LOCAL;
    }
    if (ctl->config->curve && xc_curve_load (&ctl->curve, curve_path, &err) != 0) {
        fprintf (stderr, "xcctl: %s\n  (curve is on: the operator's CURVE keypair is %s)\n", err.text, curve_path);
        return CTL_LOCAL;
    }
    const xc_pubkey_t *pub = xc_registry_key (ctl->registry, ctl->key.kid);
    if (!pub) {
        fprintf (stderr, "xcctl: the registry %s has no key '%s'; register it (xcctl principal add) or run"
                 " xcctl init\n", ctl->config->registry, ctl->key.kid);
        return CTL_LOCAL;
    }
    ctl->iss = pub->owner->iss;
    ctl->principal = pub->owner;
    return CTL_OK;
}

void
ctl_close (ctl_t *ctl)
{
    for (size_t i = 0; i < sizeof ctl->clients / sizeof ctl->clients[0]; i++)
        xc_client_destroy (&ctl->clients[i]);
    xc_registry_destroy (&ctl->registry);
    ctl->principal = NULL;
    json_decref (ctl->district_names);
    ctl->district_names = NULL;
    xc_key_wipe (&ctl->key);
}

/*  The client of service (opened on first use), or NULL after printing why. */
static xc_client_t *
s_client (ctl_t *ctl, const char *service, const xc_service_conf_t **svc_p)
{
    const xc_config_t *cfg = ctl->config;
    for (size_t i = 0; i < cfg->n_services && i < sizeof ctl->clients / sizeof ctl->clients[0]; i++) {
        if (strcmp (cfg->services[i].name, service) != 0)
            continue;
        *svc_p = &cfg->services[i];
        if (!ctl->clients[i]) {
            const xc_principal_t *sp = xc_registry_principal (ctl->registry, service);
            xc_client_opts_t opts = { .endpoint = cfg->services[i].api, .curve = cfg->curve ? &ctl->curve : NULL,
                                      .server_key = sp ? sp->curve : NULL };
            xc_err_t err;
            if (xc_client_new (&opts, &ctl->clients[i], &err) != 0) {
                fprintf (stderr, "xcctl: %s: %s\n", service, err.text);
                return NULL;
            }
        }
        return ctl->clients[i];
    }
    fprintf (stderr, "xcctl: the deployment %s has no service '%s'\n", cfg->path, service);
    return NULL;
}

json_t *
ctl_call (ctl_t *ctl, const char *service, const char *type, json_t *data, int *code, char *status)
{
    return ctl_call_as (ctl, &ctl->key, ctl->iss, service, type, data, code, status);
}

json_t *
ctl_call_as (ctl_t *ctl, const xc_key_t *key, const char *iss, const char *service, const char *type,
             json_t *data, int *code, char *status)
{
    ctl_request_t req = { .service = service, .type = type, .data = data, .key = key, .iss = iss };
    ctl_call_all (ctl, &req, 1);
    *code = req.code;
    if (status)
        memcpy (status, req.status, sizeof req.status);
    return req.result;
}

/*  One request in flight: its sealed bytes, when to send it again, what came back. */
typedef struct {
    ctl_request_t *req;
    const xc_service_conf_t *svc;
    xc_client_t *client;
    char *msg;
    size_t len;
    char id[XC_UUID_LEN + 1];
    bool sent, done;
    int64_t resend_at;
    int wait_ms;
    xc_err_t refused;                /* a reply xcctl did not accept (its code), or XC_OK */
    size_t refused_len;
    char signer[XC_NAME_MAX];        /* who signed a reply from the wrong principal */
} s_flight_t;

/*  Says why xcctl did not accept the reply of f's service. A reply that came but was refused
    is not "no answer": the service is up, and the fix is on this side (the config's limit,
    the registry) or theirs (their key). */
static void
s_say_refused (const ctl_t *ctl, const s_flight_t *f)
{
    const char *service = f->req->service;
    fprintf (stderr, "xcctl: %s at %s answered %s, but xcctl refused the reply: ", service, f->svc->api,
             f->req->type);
    switch ((int) f->refused.code) {
    case XC_E_TOO_LARGE:
        fprintf (stderr, "it is %zu bytes, above max_message_bytes (%zu) of %s; ask for less (a smaller --limit)\n",
                 f->refused_len, ctl->config->max_message_bytes, ctl->config->path);
        break;
    case XC_E_BAD_SIGNATURE:
    case XC_E_UNKNOWN_KID:
    case XC_E_KEY_NOT_VALID:
        fprintf (stderr, "its signature does not verify with the registry %s (%s: %s); the service signs with"
                 " a key the registry does not give '%s'\n", ctl->config->registry, xc_code_name (f->refused.code),
                 f->refused.text, service);
        break;
    case XC_E_KID_ISSUER:
        fprintf (stderr, "signed with a key of another principal (%s); is %s really %s?\n", f->refused.text,
                 f->svc->api, service);
        break;
    case XC_CODE_COUNT:
        fprintf (stderr, "signed by '%s', not by %s; is %s really %s?\n", f->signer, service, f->svc->api, service);
        break;
    default:
        fprintf (stderr, "%s: %s\n", xc_code_name (f->refused.code), f->refused.text);
    }
}

/*  A reply on f's socket: matched to the request whose id is its corr (UUIDs compare without
    regard to case, RFC 9562), or refused. */
static void
s_take_reply (ctl_t *ctl, s_flight_t *flights, size_t n, s_flight_t *f, char *bytes, size_t len)
{
    xc_verify_t v = { .registry = ctl->registry, .audience = f->req->iss, .now = xc_clock_wall (),
                      .skew = ctl->config->clock_skew_seconds, .max_lifetime = ctl->config->max_lifetime_seconds,
                      .max_size = ctl->config->max_message_bytes };
    xc_msg_t *reply = NULL;
    xc_err_t err;
    if (xc_envelope_open (bytes, len, &v, &reply, &err) != 0) {
        /* no corr can be trusted: it is the first waiting request's on this socket */
        for (size_t k = 0; k < n; k++)
            if (flights[k].client == f->client && !flights[k].done) {
                flights[k].refused = err;
                flights[k].refused_len = len;
                flights[k].done = true;
                break;
            }
        return;
    }
    s_flight_t *to = NULL;
    for (size_t k = 0; k < n && !to; k++)
        if (flights[k].client == f->client && !flights[k].done && strcasecmp (reply->corr, flights[k].id) == 0)
            to = &flights[k];
    if (!to) {
        xc_msg_destroy (&reply);         /* an answer to an earlier copy or request */
        return;
    }
    ctl_request_t *req = to->req;
    if (strcmp (reply->iss, req->service) != 0) {
        to->refused.code = XC_CODE_COUNT;
        snprintf (to->signer, sizeof to->signer, "%s", reply->iss);
        to->done = true;
    }
    else if (strcmp (reply->type, "ack") == 0 || strcmp (reply->type, "result") == 0) {
        bool ack = reply->type[0] == 'a';
        json_t *out = ack ? json_object_get (reply->data, "result") : reply->data;
        req->result = out ? json_incref (out) : json_object ();
        snprintf (req->status, sizeof req->status, "%s",
                  ack ? json_string_value (json_object_get (reply->data, "status")) : "result");
        req->code = CTL_OK;
        to->done = true;
    }
    else {
        const char *name = json_string_value (json_object_get (reply->data, "code"));
        const char *text = json_string_value (json_object_get (reply->data, "message"));
        xc_code_t code = xc_code_from_name (name);
        if (code == XC_CODE_COUNT || !xc_code_is_transient (code)) {
            snprintf (req->message, sizeof req->message, "%s", text ? text : "");
            if (!req->quiet)
                fprintf (stderr, "xcctl: %s refused %s: %s: %s\n", req->service, req->type, name ? name : "error",
                     text ? text : "");
            req->code = code == XC_E_NOT_FOUND ? CTL_NOT_FOUND : CTL_REFUSED;
            snprintf (req->error, sizeof req->error, "%s", name ? name : "error");
            to->done = true;
        }
        /* transient (busy): the same bytes go again when the wait is over */
    }
    xc_msg_destroy (&reply);
}

void
ctl_call_all (ctl_t *ctl, ctl_request_t *reqs, size_t n)
{
    s_flight_t *flights = calloc (n ? n : 1, sizeof *flights);
    zmq_pollitem_t *items = calloc (n ? n : 1, sizeof *items);
    if (!flights || !items) {
        fprintf (stderr, "xcctl: out of memory\n");
        for (size_t i = 0; i < n; i++) {
            json_decref (reqs[i].data);
            reqs[i].data = reqs[i].result = NULL;
            reqs[i].code = CTL_LOCAL;
        }
        free (flights);
        free (items);
        return;
    }
    int64_t now = xc_clock_mono_ms ();
    int64_t deadline = now + ctl->timeout_ms;
    size_t open = 0;
    for (size_t i = 0; i < n; i++) {
        ctl_request_t *req = &reqs[i];
        s_flight_t *f = &flights[i];
        f->req = req;
        req->result = NULL;
        req->code = CTL_LOCAL;
        req->status[0] = req->error[0] = req->message[0] = 0;
        json_t *data = req->data ? req->data : json_object ();
        req->data = NULL;
        f->done = true;
        if (!(f->client = s_client (ctl, req->service, &f->svc))) {
            json_decref (data);
            continue;
        }
        int64_t wall = xc_clock_wall ();
        xc_claims_t claims = { .iss = req->iss ? req->iss : ctl->iss, .aud = req->service, .type = req->type,
                               .iat = wall, .exp = wall + ctl->config->clock_skew_seconds,
                               .id = req->id };
        req->iss = claims.iss;
        xc_err_t err;
        f->msg = xc_envelope_seal (req->key ? req->key : &ctl->key, &claims, data, &f->len, f->id, &err);
        json_decref (data);
        if (!f->msg) {
            fprintf (stderr, "xcctl: %s %s: %s\n", req->service, req->type, err.text);
            continue;
        }
        f->done = false;
        f->wait_ms = 250;                /* doubles up to 2 s between resends */
        f->resend_at = now;
        open++;
    }
    /* one poll over every socket, one deadline for them all */
    while (open > 0 && !xc_signals_stopping ()) {
        now = xc_clock_mono_ms ();
        if (now >= deadline)
            break;
        int64_t wake = deadline;
        for (size_t i = 0; i < n; i++) {
            s_flight_t *f = &flights[i];
            items[i] = (zmq_pollitem_t) { f->done ? NULL : xc_client_socket (f->client), -1, 0, 0 };
            if (f->done)
                continue;
            if (f->resend_at <= now) {
                xc_err_t err;
                if (xc_client_send (f->client, f->msg, f->len, &err) == 0) {
                    f->sent = true;
                    f->resend_at = now + f->wait_ms;
                    f->wait_ms = f->wait_ms * 2 > 2000 ? 2000 : f->wait_ms * 2;
                }
                else
                    items[i].events |= ZMQ_POLLOUT;   /* not connected yet: send once it is */
            }
            items[i].events |= ZMQ_POLLIN;
            if (!(items[i].events & ZMQ_POLLOUT) && f->resend_at < wake)
                wake = f->resend_at;
        }
        if (zmq_poll (items, (int) n, (long) (wake > now ? wake - now : 0)) < 0 && zmq_errno () != EINTR)
            break;
        for (size_t i = 0; i < n; i++) {
            s_flight_t *f = &flights[i];
            if (f->done)
                continue;
            if (items[i].revents & ZMQ_POLLOUT)
                f->resend_at = xc_clock_mono_ms ();
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            char *bytes;
            size_t len;
            while (xc_client_recv (f->client, 0, &bytes, &len, NULL) == 0) {
                s_take_reply (ctl, flights, n, f, bytes, len);
                free (bytes);
            }
        }
        open = 0;
        for (size_t i = 0; i < n; i++)
            open += !flights[i].done;
    }
    for (size_t i = 0; i < n; i++) {
        s_flight_t *f = &flights[i];
        ctl_request_t *req = f->req;
        if (f->msg && !req->result && req->code == CTL_LOCAL) {
            if (f->refused.code != XC_OK) {
                s_say_refused (ctl, f);
                req->code = CTL_BAD_REPLY;
            }
            else if (xc_signals_stopping ())
                req->code = CTL_DOWN;    /* interrupted (Ctrl-C): the caller decides, nothing to say */
            else {
                fprintf (stderr, "xcctl: %s at %s did not answer within %.3g s; is it running? try make run\n",
                         req->service, f->svc->api, ctl->timeout_ms / 1000.0);
                req->code = CTL_DOWN;
            }
        }
        free (f->msg);
    }
    free (flights);
    free (items);
}

json_t *
ctl_call_pages (ctl_t *ctl, const char *service, const char *type, json_t *data, const char *member, int *code)
{
    json_t *result = NULL;
    for (json_t *after = NULL;;) {
        json_t *ask = json_deep_copy (data);
        if (after)
            json_object_set_new (ask, "after", after);
        json_t *page = ctl_call (ctl, service, type, ask, code, NULL);
        if (!page) {
            json_decref (result);
            result = NULL;
            break;
        }
        json_t *next = json_object_get (page, "next");
        after = next && !json_is_null (next) ? json_deep_copy (next) : NULL;
        size_t n = json_array_size (json_object_get (page, member));
        if (!result)
            result = page;
        else {
            json_array_extend (json_object_get (result, member), json_object_get (page, member));
            json_decref (page);
        }
        if (!after || n == 0) {
            json_decref (after);
            json_object_set_new (result, "next", json_null ());
            break;
        }
    }
    json_decref (data);
    return result;
}

json_t *
ctl_list_all (ctl_t *ctl, const char *service, const char *type, json_t *filters, int *code)
{
    json_object_set_new (filters, "limit", json_integer (500));
    json_t *result = ctl_call_pages (ctl, service, type, filters, "items", code);
    json_t *all = result ? json_incref (json_object_get (result, "items")) : NULL;
    json_decref (result);
    return all;
}

int
ctl_write_file (const char *path, const char *text, size_t size)
{
    char tmp[4096];
    snprintf (tmp, sizeof tmp, "%.4000s.tmp", path);
    FILE *f = fopen (tmp, "wb");
    if (!f)
        return -1;
    bool ok = fwrite (text, 1, size, f) == size;
    ok = fclose (f) == 0 && ok;
    if (!ok || rename (tmp, path) != 0) {
        unlink (tmp);
        return -1;
    }
    return 0;
}

const char *
ctl_opt (int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp (argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

bool
ctl_flag (int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp (argv[i], name) == 0)
            return true;
    return false;
}

/*  The characters of s (UTF-8 code points, at most 63) into out; their count. */
static int
s_chars (const char *s, uint32_t out[64])
{
    int n = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p && n < 63) {
        uint32_t c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        for (; more > 0 && (*p & 0xC0) == 0x80; more--)
            c = c << 8 | *p++;
        out[n++] = c;
    }
    return n;
}

/*  Levenshtein distance between a and b in characters (each cut at 63): a Chinese column
    name one character off is one edit, as a typo in English is. */
static int
s_distance (const char *a, const char *b)
{
    uint32_t ca[64], cb[64];
    int la = s_chars (a, ca), lb = s_chars (b, cb);
    int row[64];
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (ca[i - 1] != cb[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *
ctl_nearest (const char *word, const char *const *known, size_t n)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    size_t wl = strlen (word);
    uint32_t chars[64];
    int letters = s_chars (word, chars);
    for (size_t i = 0; i < n; i++) {
        /* a word a known one starts with ("rect" for rectify) is as near as a typo */
        int d = wl >= 3 && strncmp (known[i], word, wl) == 0 ? 1 : s_distance (word, known[i]);
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    /* at most two edits, and fewer than the word has letters: 'x' is near nothing */
    return best && best_d <= 2 && best_d < letters ? best : NULL;
}

void
ctl_suggest (const char *word, const char *const *known, size_t n)
{
    const char *near = ctl_nearest (word, known, n);
    if (near)
        fprintf (stderr, "; did you mean '%s'?\n", near);
    else {
        fprintf (stderr, "; known: ");
        for (size_t i = 0; i < n; i++)
            fprintf (stderr, "%s%s", i ? ", " : "", known[i]);
        fprintf (stderr, "\n");
    }
}

bool
ctl_is_id (const char *text)
{
    return xc_id_valid (text);
}
