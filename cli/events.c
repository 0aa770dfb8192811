/*  events.c: xcctl events SERVICE [--after N] [--follow], and xcctl audit verify: every
    service's event chain read back through events.read, each hash link recomputed and each
    signature checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <zmq.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/clock.h"
#include "common/envelope.h"
#include "common/outbox.h"
#include "common/transport.h"

/*  An event's line for people: seq, local time, type and its data, compact. */
static void
s_print_event (const ctl_t *ctl, const json_t *entry, const xc_msg_t *msg, const char *why)
{
    if (ctl->json) {
        json_t *line = json_pack ("{s:O, s:O}", "seq", json_object_get (entry, "seq"), "type",
                                  json_object_get (entry, "type"));
        if (msg) {
            json_object_set_new (line, "iat", json_integer (msg->iat));
            json_object_set (line, "data", msg->data);
        }
        else if (why)
            json_object_set_new (line, "does_not_verify", json_string (why));
        else
            json_object_set_new (line, "redacted", json_true ());
        char *text = json_dumps (line, JSON_COMPACT);
        printf ("%s\n", text ? text : "");
        free (text);
        json_decref (line);
        return;
    }
    char when[32] = "";
    if (msg) {
        time_t t = (time_t) (msg->iat + ctl->config->utc_offset);
        struct tm tm;
        gmtime_r (&t, &tm);
        strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    }
    char *data = msg ? json_dumps (msg->data, JSON_COMPACT) : NULL;
    char bad[300];
    snprintf (bad, sizeof bad, "(DOES NOT VERIFY: %s)", why ? why : "");
    printf ("%6lld  %-19s  %-24s %s\n", (long long) json_integer_value (json_object_get (entry, "seq")), when,
            json_string_value (json_object_get (entry, "type")), data ? data : why ? bad : "(not yours to read)");
    free (data);
}

static xc_msg_t *
s_open (const ctl_t *ctl, const char *message, xc_err_t *err)
{
    xc_verify_t stored = { .registry = ctl->registry, .stored = true, .now = xc_clock_wall (),
                           .max_size = (size_t) ctl->config->max_message_bytes };
    xc_msg_t *msg = NULL;
    if (xc_envelope_open (message, strlen (message), &stored, &msg, err) != 0)
        return NULL;
    return msg;
}

int
ctl_events (ctl_t *ctl, int argc, char **argv)
{
    const char *service = argc > 0 ? argv[0] : NULL;
    long long after = 0;
    bool follow = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv[i], "--follow") == 0)
            follow = true;
        else if (strcmp (argv[i], "--after") == 0 && i + 1 < argc)
            after = atoll (argv[++i]);
        else
            service = NULL;
    }
    if (!service || service[0] == '-') {
        fprintf (stderr, "usage: xcctl events SERVICE [--after SEQ] [--follow]\n");
        return CTL_USAGE;
    }
    if (!xc_config_service (ctl->config, service)) {
        const char *names[64];
        size_t n = 0;
        for (; n < ctl->config->n_services && n < 64; n++)
            names[n] = ctl->config->services[n].name;
        fprintf (stderr, "xcctl: events: no service '%s' in %s", service, ctl->config->path);
        ctl_suggest (service, names, n);
        return CTL_USAGE;
    }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    if (follow)
        xc_signals_install ();       /* Ctrl-C ends the watch cleanly, exit 0 */
    if (!ctl->json && !follow)
        printf ("%6s  %-19s  %-24s %s\n", "SEQ", "TIME", "TYPE", "DATA");
    for (;;) {
        json_t *page = ctl_call (ctl, service, "events.read",
                                 json_pack ("{s:I, s:i}", "after", (json_int_t) after, "limit", 500), &rc, NULL);
        if (!page)
            return follow && xc_signals_stopping () ? CTL_OK : rc;   /* Ctrl-C during a pull */
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (page, "events"), i, entry) {
            const char *message = json_string_value (json_object_get (entry, "message"));
            xc_err_t err = { XC_OK, "" };
            xc_msg_t *msg = message ? s_open (ctl, message, &err) : NULL;
            /* a message that is there but does not verify is not the same as one not shown */
            s_print_event (ctl, entry, msg, message && !msg ? err.text : NULL);
            xc_msg_destroy (&msg);
            after = json_integer_value (json_object_get (entry, "seq"));
        }
        bool more = after < json_integer_value (json_object_get (page, "head"));
        json_decref (page);
        fflush (stdout);
        if (more)
            continue;
        if (!follow || xc_signals_stopping ())
            return CTL_OK;
        /* a pull a second covers what a hint would say; Ctrl-C ends it */
        zmq_pollitem_t none = { NULL, -1, 0, 0 };
        zmq_poll (&none, 0, 1000);
    }
}

/*  Verifies one service's chain; prints what does not hold. The number of failures. */
static int
s_verify (ctl_t *ctl, const char *service, json_t *report, int *rc)
{
    long long after = 0, verified = 0, redacted = 0;
    unsigned char prev[32] = { 0 };
    int failures = 0;
    for (;;) {
        json_t *page = ctl_call (ctl, service, "events.read",
                                 json_pack ("{s:I, s:i}", "after", (json_int_t) after, "limit", 1000), rc, NULL);
        if (!page)
            return failures + 1;
        size_t i;
        json_t *entry;
        json_array_foreach (json_object_get (page, "events"), i, entry) {
            long long seq = json_integer_value (json_object_get (entry, "seq"));
            const char *hash = json_string_value (json_object_get (entry, "hash"));
            const char *message = json_string_value (json_object_get (entry, "message"));
            unsigned char given[32];
            char problem[400] = "";
            bool has_hash = hash && strlen (hash) == 64 && sodium_hex2bin (given, 32, hash, 64, NULL, NULL, NULL) == 0;
            if (seq != after + 1) {
                snprintf (problem, sizeof problem, "seq %lld follows %lld: events are missing", seq, after);
                /* the chain goes on from here: the next link is checked against this hash */
                if (has_hash)
                    memcpy (prev, given, 32);
            }
            else if (!has_hash)
                snprintf (problem, sizeof problem, "no hash");
            else if (!message) {
                memcpy (prev, given, 32);    /* not ours to read: the link is taken as given */
                redacted++;
            }
            else {
                unsigned char link[32];
                xc_outbox_link (prev, message, strlen (message), link);
                xc_err_t err;
                xc_msg_t *msg = s_open (ctl, message, &err);
                if (memcmp (link, given, 32) != 0)
                    snprintf (problem, sizeof problem, "the hash does not match the message and the link before it"
                              " (a changed, inserted or deleted event)");
                else if (!msg)
                    snprintf (problem, sizeof problem, "the signature does not verify: %s", err.text);
                else if (strcmp (msg->iss, service) != 0)
                    snprintf (problem, sizeof problem, "signed by '%s', not by %s", msg->iss, service);
                else if (strcmp (msg->type, json_string_value (json_object_get (entry, "type"))) != 0)
                    snprintf (problem, sizeof problem, "its type '%s' is not the message's '%s'",
                              json_string_value (json_object_get (entry, "type")), msg->type);
                else
                    verified++;
                xc_msg_destroy (&msg);
                memcpy (prev, given, 32);
            }
            if (problem[0]) {
                failures++;
                fprintf (stderr, "xcctl: audit: %s seq %lld: %s\n", service, seq, problem);
                json_array_append_new (json_object_get (report, "failures"),
                                       json_pack ("{s:s, s:I, s:s}", "service", service, "seq", (json_int_t) seq,
                                                  "problem", problem));
            }
            after = seq;
        }
        long long head = json_integer_value (json_object_get (page, "head"));
        size_t n = json_array_size (json_object_get (page, "events"));
        json_decref (page);
        if (after >= head || n == 0) {
            if (after < head) {
                failures++;
                fprintf (stderr, "xcctl: audit: %s: head %lld but events end at %lld\n", service, head, after);
            }
            json_array_append_new (json_object_get (report, "services"),
                                   json_pack ("{s:s, s:I, s:I, s:I, s:s}", "service", service, "events",
                                              (json_int_t) after, "verified", (json_int_t) verified,
                                              "not_readable", (json_int_t) redacted, "result",
                                              failures ? "FAILED" : "ok"));
            return failures;
        }
    }
}

int
ctl_audit (ctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || strcmp (argv[0], "verify") != 0) {
        if (argc > 0 && argv[0][0] != '-')
            fprintf (stderr, "xcctl: audit has no verb '%s'; did you mean 'verify'?\n", argv[0]);
        fprintf (stderr, "usage: xcctl audit verify [SERVICE ...]\n");
        return CTL_USAGE;
    }
    const char *names[64];
    size_t n_names = 0;
    for (; n_names < ctl->config->n_services && n_names < 64; n_names++)
        names[n_names] = ctl->config->services[n_names].name;
    for (int k = 1; k < argc; k++)
        if (!xc_config_service (ctl->config, argv[k])) {
            fprintf (stderr, "xcctl: audit verify: no service '%s' in %s", argv[k], ctl->config->path);
            ctl_suggest (argv[k], names, n_names);
            if (ctl_nearest (argv[k], names, n_names)) {
                fprintf (stderr, "  the services:");
                for (size_t i = 0; i < n_names; i++)
                    fprintf (stderr, " %s", names[i]);
                fprintf (stderr, "\n");
            }
            return CTL_USAGE;
        }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    json_t *report = json_pack ("{s:[], s:[]}", "services", "failures");
    int failures = 0, down = 0;
    for (size_t i = 0; i < ctl->config->n_services; i++) {
        const char *name = ctl->config->services[i].name;
        bool named = argc == 1;
        for (int k = 1; k < argc; k++)
            named = named || strcmp (argv[k], name) == 0;
        if (!named)
            continue;
        int call_rc = CTL_OK;
        failures += s_verify (ctl, name, report, &call_rc);
        down += call_rc == CTL_DOWN;
        /* and every file its records name exists and decrypts to its hash (docs/files.md) */
        if (call_rc != CTL_DOWN)
            failures += ctl_audit_files (ctl, name, report, &call_rc);
    }
    if (ctl->json)
        ctl_print (ctl, report);
    else
        ctl_table (json_object_get (report, "services"), NULL);
    json_decref (report);
    return down ? CTL_DOWN : failures ? CTL_AUDIT : CTL_OK;
}
