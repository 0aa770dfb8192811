/*  fixture.c: see fixture.h. */
#include "tests/system/fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/calendar.h"
#include "common/clock.h"
#include "common/codec.h"

static void
s_path (fx_t *fx, char *out, size_t size, const char *name)
{
    snprintf (out, size, "%s/%s", fx->dir, name);
}

/*  scope is the principal's registry scope as JSON text (NULL: {}). */
static json_t *
s_registry_entry (const char *iss, const char *role, const xc_key_t *key, const char *curve,
                  const char *scope)
{
    json_t *jwk = xc_key_public_jwk (key);
    bool retired = strcmp (iss, "retired") == 0;
    json_object_set_new (jwk, "not_before", json_string ("2020-01-01T00:00:00Z"));
    json_object_set_new (jwk, "not_after",
                         json_string (retired ? "2021-01-01T00:00:00Z" : "2099-01-01T00:00:00Z"));
    json_t *scope_json = json_loads (scope ? scope : "{}", 0, NULL);
    if (!json_is_object (scope_json)) {
        json_decref (scope_json);
        scope_json = json_object ();
    }
    json_t *p = json_pack ("{s:s, s:s, s:o, s:[o]}", "iss", iss, "role", role, "scope", scope_json,
                           "keys", jwk);
    if (curve)
        json_object_set_new (p, "curve", json_string (curve));
    return p;
}

/*  The client principals every deployment registers (fixture.h), each with its registry
    scope (JSON text; NULL: {}). */
static const struct {
    const char *iss, *role, *kid, *scope;
} s_clients[] = {
    { "office", "office", "office#1", NULL },
    { "petition-bureau", "petition", "petition-bureau#1", NULL },
    { "audit-bureau", "audit", "audit-bureau#1", "{\"units\": [\"*\"]}" },
    { "retired", "office", "retired#2020", NULL },
    { "team-1", "team", "team-1#1", NULL },
    { "team-2", "team", "team-2#1", NULL },
    { "public-channel", "public", "public-channel#1", NULL },
    { "referral", "service", "referral#1", NULL },
    { "rectify", "service", "rectify#1", NULL },
    { "discipline-commission", "discipline", "discipline-commission#1", "{\"units\": [\"D-1\"]}" },
    { "org-department", "organization", "org-department#1", NULL },
    { "unit-a", "unit", "unit-a#1", "{\"units\": [\"U-A\"]}" },
    { "unit-b", "unit", "unit-b#1", "{\"units\": [\"U-B\"]}" },
};

/*  The registry scope of the client principal iss (NULL: {}). */
static const char *
s_client_scope (const char *iss)
{
    for (size_t i = 0; i < sizeof s_clients / sizeof s_clients[0]; i++)
        if (strcmp (s_clients[i].iss, iss) == 0)
            return s_clients[i].scope;
    return NULL;
}

int
fx_deploy (fx_t *fx, const char *service, bool curve)
{
    memset (fx, 0, sizeof *fx);
    snprintf (fx->service, sizeof fx->service, "%s", service);
    fx->curve = curve;
    snprintf (fx->dir, sizeof fx->dir, "/tmp/xc-fixture-XXXXXX");
    if (!mkdtemp (fx->dir))
        return -1;
    char path[600];
    xc_key_t service_key;
    xc_err_t err;
    if (xc_key_generate (&service_key, service, &err) != 0)
        return -1;
    for (size_t i = 0; i < sizeof s_clients / sizeof s_clients[0]; i++) {
        if (strcmp (s_clients[i].iss, service) == 0)
            continue;
        fx_principal_t *p = &fx->principals[fx->n_principals++];
        snprintf (p->iss, sizeof p->iss, "%s", s_clients[i].iss);
        snprintf (p->role, sizeof p->role, "%s", s_clients[i].role);
        if (xc_key_generate (&p->key, s_clients[i].kid, &err) != 0)
            return -1;
    }
    fx->office = *fx_key (fx, "office");
    fx->petition = *fx_key (fx, "petition-bureau");
    fx->audit = *fx_key (fx, "audit-bureau");
    fx->retired = *fx_key (fx, "retired");
    s_path (fx, path, sizeof path, "service.jwk");
    if (xc_key_save_jwk (&service_key, path, &err) != 0)
        return -1;
    if (curve) {
        xc_curve_generate (&fx->server_curve, NULL);
        xc_curve_generate (&fx->office_curve, NULL);
        xc_curve_generate (&fx->stranger_curve, NULL);
        s_path (fx, path, sizeof path, "service.curve");
        if (xc_curve_save (&fx->server_curve, path, &err) != 0)
            return -1;
    }
    json_t *principals = json_array ();
    json_array_append_new (principals, s_registry_entry (service, "service", &service_key,
                                                         curve ? fx->server_curve.public_z85 : NULL,
                                                         NULL));
    for (int i = 0; i < fx->n_principals; i++) {
        const fx_principal_t *p = &fx->principals[i];
        bool office = strcmp (p->iss, "office") == 0;
        json_array_append_new (principals, s_registry_entry (p->iss, p->role, &p->key,
                                                             curve && office ? fx->office_curve.public_z85 : NULL,
                                                             s_client_scope (p->iss)));
    }
    json_t *registry = json_pack ("{s:o}", "principals", principals);
    s_path (fx, path, sizeof path, "principals.json");
    int rc = json_dump_file (registry, path, JSON_INDENT (1));
    json_decref (registry);
    if (rc != 0 || xc_registry_load (path, &fx->registry, &err) != 0)
        return -1;

    char cwd[400];
    if (!getcwd (cwd, sizeof cwd))
        return -1;
    char calendar[512];
    snprintf (calendar, sizeof calendar, "%s/config/calendar", cwd);
    json_t *svc = json_pack ("{s:s, s:s, s:s, s:s}", "api", "tcp://127.0.0.1:*", "events",
                             "tcp://127.0.0.1:*", "database", "service.db", "key", "service.jwk");
    if (curve)
        json_object_set_new (svc, "curve_key", json_string ("service.curve"));
    if (strcmp (service, "intake") == 0) {
        s_path (fx, fx->secret, sizeof fx->secret, "secret.json");
        unsigned char secret[XC_SECRET_BYTES];
        xc_secret_generate (secret);
        int saved = xc_secret_save (secret, fx->secret, &err);
        sodium_memzero (secret, sizeof secret);
        if (saved != 0) {
            json_decref (svc);
            return -1;
        }
        json_object_set_new (svc, "secret_key", json_string ("secret.json"));
    }
    json_t *config = json_pack ("{s:s, s:s, s:s, s:s, s:b, s:{s:i, s:i}, s:{s:o}}",
                                "deployment", "fixture", "utc_offset", "+08:00",
                                "registry", "principals.json", "calendar", calendar,
                                "curve", curve, "limits", "heartbeat_ms", 200, "tick_ms", 100,
                                "services", service, svc);
    s_path (fx, fx->config, sizeof fx->config, "config.json");
    s_path (fx, fx->database, sizeof fx->database, "service.db");
    rc = json_dump_file (config, fx->config, JSON_INDENT (1));
    json_decref (config);
    xc_key_wipe (&service_key);
    return rc;
}

int
fx_start (fx_t *fx, const char *const *extra)
{
    char ready[600], binary[128], log[600];
    char ready_name[64];
    snprintf (ready_name, sizeof ready_name, "%s.ready.json", fx->service);
    s_path (fx, ready, sizeof ready, ready_name);
    s_path (fx, log, sizeof log, "service.log");
    unlink (ready);
    snprintf (binary, sizeof binary, "build/bin/xc-%s", fx->service);
    const char *argv[32] = { binary, "--config", fx->config, "--ready-file", ready, "--test-mode" };
    int argc = 6;
    for (; extra && *extra && argc < 30; extra++)
        argv[argc++] = *extra;
    argv[argc] = NULL;
    fx->pid = fork ();
    if (fx->pid < 0)
        return -1;
    if (fx->pid == 0) {
        int fd = open (log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0)
            dup2 (fd, 2);
        execv (binary, (char *const *) argv);
        _exit (127);
    }
    /* Wait (at most 10 s) for the ready file; a service that exits early fails at once. */
    for (int i = 0; i < 1000; i++) {
        json_t *doc = json_load_file (ready, 0, NULL);
        if (doc) {
            snprintf (fx->api, sizeof fx->api, "%s", json_string_value (json_object_get (doc, "api")));
            snprintf (fx->events, sizeof fx->events, "%s",
                      json_string_value (json_object_get (doc, "events")));
            json_decref (doc);
            return 0;
        }
        int status;
        if (waitpid (fx->pid, &status, WNOHANG) == fx->pid) {
            fx->pid = 0;
            return -1;
        }
        nanosleep (&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
    }
    fx_stop (fx);
    return -1;
}

int
fx_wait (fx_t *fx, int timeout_ms)
{
    if (fx->pid <= 0)
        return -1;
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        int status;
        if (waitpid (fx->pid, &status, WNOHANG) == fx->pid) {
            fx->pid = 0;
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        }
        nanosleep (&(struct timespec) { 0, 5 * 1000 * 1000 }, NULL);
    }
    kill (fx->pid, SIGKILL);
    waitpid (fx->pid, NULL, 0);
    fx->pid = 0;
    return -1;
}

int
fx_stop (fx_t *fx)
{
    if (fx->pid <= 0)
        return -1;
    kill (fx->pid, SIGTERM);
    return fx_wait (fx, 5000);
}

void
fx_destroy (fx_t *fx)
{
    fx_stop (fx);
    xc_registry_destroy (&fx->registry);
    if (fx->peer)
        return;
    if (getenv ("XC_KEEP_FIXTURE")) {
        fprintf (stderr, "fixture kept in %s\n", fx->dir);
        return;
    }
    char cmd[400];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system (cmd) != 0)
        fprintf (stderr, "unable to remove '%s'\n", fx->dir);
}

int
fx_deploy_peer (fx_t *peer, fx_t *base, const char *service, const char *policy_json)
{
    *peer = *base;
    peer->registry = NULL;
    peer->pid = 0;
    peer->peer = true;
    snprintf (peer->service, sizeof peer->service, "%s", service);
    char name[64], path[600], reg_path[600];
    xc_key_t key;
    xc_err_t err;
    snprintf (name, sizeof name, "%s.jwk", service);
    s_path (peer, path, sizeof path, name);
    /* A peer named like a client principal of the table (referral, rectify) is that principal:
       it signs with the client's key, so its registry entry (role service) stays the only one
       with that iss and fx_key (fx, service) still names a registered key. */
    const xc_key_t *client = fx_key (base, service);
    if (client)
        key = *client;
    else if (xc_key_generate (&key, service, &err) != 0)
        return -1;
    if (xc_key_save_jwk (&key, path, &err) != 0)
        return -1;
    s_path (peer, reg_path, sizeof reg_path, "principals.json");
    json_t *registry = json_load_file (reg_path, 0, NULL);
    json_t *principals = json_object_get (registry, "principals");
    if (client) {
        size_t i;
        json_t *entry;
        json_array_foreach (principals, i, entry)
            if (strcmp (json_string_value (json_object_get (entry, "iss")), service) == 0)
                json_object_set_new (entry, "role", json_string ("service"));
    }
    else
        json_array_append_new (principals, s_registry_entry (service, "service", &key, NULL, NULL));
    int rc = json_dump_file (registry, reg_path, JSON_INDENT (1));
    json_decref (registry);
    xc_key_wipe (&key);
    json_t *config = json_load_file (peer->config, 0, NULL);
    snprintf (name, sizeof name, "%s.db", service);
    s_path (peer, peer->database, sizeof peer->database, name);
    json_t *svc = json_pack ("{s:s, s:s, s:s, s:s+}", "api", "tcp://127.0.0.1:*", "events",
                             "tcp://127.0.0.1:*", "database", name, "key", service, ".jwk");
    json_object_set_new (json_object_get (config, "services"), service, svc);
    if (policy_json) {
        if (!json_object_get (config, "policies"))
            json_object_set_new (config, "policies", json_object ());
        json_object_set_new (json_object_get (config, "policies"), service,
                             json_loads (policy_json, 0, NULL));
    }
    rc = rc == 0 ? json_dump_file (config, peer->config, JSON_INDENT (1)) : rc;
    json_decref (config);
    xc_registry_destroy (&base->registry);
    if (rc != 0 || xc_registry_load (reg_path, &base->registry, &err) != 0
        || xc_registry_load (reg_path, &peer->registry, &err) != 0)
        return -1;
    return 0;
}

int
fx_pin_endpoints (fx_t *fx)
{
    json_t *config = json_load_file (fx->config, 0, NULL);
    json_t *svc = json_object_get (json_object_get (config, "services"), fx->service);
    json_object_set_new (svc, "api", json_string (fx->api));
    json_object_set_new (svc, "events", json_string (fx->events));
    int rc = svc ? json_dump_file (config, fx->config, JSON_INDENT (1)) : -1;
    json_decref (config);
    return rc;
}

char *
fx_seal (fx_t *fx, const xc_key_t *key, const char *iss, const char *type,
         const char *data_json, char *id_out)
{
    json_t *data = json_loads (data_json, 0, NULL);
    if (!data)
        return NULL;
    int64_t now = xc_clock_wall ();
    xc_claims_t claims = { .iss = iss, .aud = fx->service, .type = type, .iat = now, .exp = now + 120 };
    char *msg = xc_envelope_seal (key, &claims, data, NULL, id_out, NULL);
    json_decref (data);
    return msg;
}

const xc_key_t *
fx_key (fx_t *fx, const char *iss)
{
    for (int i = 0; i < fx->n_principals; i++)
        if (strcmp (fx->principals[i].iss, iss) == 0)
            return &fx->principals[i].key;
    return NULL;
}

xc_client_t *
fx_client (fx_t *fx, const xc_curve_keypair_t *curve)
{
    xc_client_opts_t opts = { .endpoint = fx->api };
    if (fx->curve) {
        opts.curve = curve ? curve : &fx->office_curve;
        opts.server_key = fx->server_curve.public_z85;
    }
    xc_client_t *client = NULL;
    xc_client_new (&opts, &client, NULL);
    return client;
}

int
fx_call (fx_t *fx, xc_client_t *client, const char *iss, const char *msg, const char *id,
         xc_msg_t **reply_p, xc_err_t *err)
{
    xc_verify_t verify = { .registry = fx->registry, .audience = iss, .skew = 300,
                           .max_lifetime = 3600, .max_size = 1 << 24 };
    return xc_client_call (client, msg, strlen (msg), id, &verify, fx->service, 2000, reply_p, err);
}

long long
fx_sql_int (fx_t *fx, const char *sql)
{
    sqlite3 *db;
    long long value = -1;
    if (sqlite3_open_v2 (fx->database, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *stmt;
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK) {
            if (sqlite3_step (stmt) == SQLITE_ROW)
                value = sqlite3_column_int64 (stmt, 0);
            sqlite3_finalize (stmt);
        }
    }
    sqlite3_close (db);
    return value;
}

int
fx_ask (fx_t *fx, xc_client_t *client, const char *iss, const char *type, const char *data_json,
        char *id_out, xc_msg_t **reply_p, xc_err_t *err)
{
    xc_err_t local;
    if (!err)
        err = &local;
    const xc_key_t *key = fx_key (fx, iss);
    char *msg = key && data_json ? fx_seal (fx, key, iss, type, data_json, id_out) : NULL;
    if (!msg)
        return xc_err_set (err, XC_E_INTERNAL, "unable to seal '%s' as '%s'", type, iss);
    int rc = fx_call (fx, client, iss, msg, id_out, reply_p, err);
    free (msg);
    return rc;
}

/*  What fx_send_sealed returns for a call's outcome; destroys the reply. */
static json_t *
s_answer (int rc, xc_msg_t **reply_p, const xc_err_t *err, xc_code_t *code_p, char *text,
          size_t text_size, char *status)
{
    xc_msg_t *reply = *reply_p;
    json_t *out = NULL;
    if (text_size)
        text[0] = 0;
    if (rc == 0 && reply) {
        *code_p = XC_OK;
        bool ack = strcmp (reply->type, "ack") == 0;
        out = json_incref (ack ? json_object_get (reply->data, "result") : reply->data);
        if (!out)
            out = json_object ();
        if (status)
            snprintf (status, 16, "%s",
                      ack ? json_string_value (json_object_get (reply->data, "status")) : "result");
    }
    else {
        *code_p = err->code == XC_OK ? XC_E_INTERNAL : err->code;
        if (text_size)
            snprintf (text, text_size, "%s", err->text);
    }
    xc_msg_destroy (reply_p);
    return out;
}

json_t *
fx_send_sealed (fx_t *fx, xc_client_t *client, const char *iss, const char *msg, const char *id,
                xc_code_t *code_p, char *text, size_t text_size, char *status)
{
    xc_msg_t *reply = NULL;
    xc_err_t err = { XC_OK, "" };
    int rc = fx_call (fx, client, iss, msg, id, &reply, &err);
    return s_answer (rc, &reply, &err, code_p, text, text_size, status);
}

json_t *
fx_send (fx_t *fx, xc_client_t *client, const char *iss, const char *type, json_t *data,
         xc_code_t *code_p, char *text, size_t text_size, char *status)
{
    char *json = data ? json_dumps (data, JSON_COMPACT) : NULL;
    json_decref (data);
    char id[XC_UUID_LEN + 1];
    xc_msg_t *reply = NULL;
    xc_err_t err = { XC_OK, "" };
    int rc = fx_ask (fx, client, iss, type, json, id, &reply, &err);
    free (json);
    return s_answer (rc, &reply, &err, code_p, text, text_size, status);
}

json_t *
fx_list_all (fx_t *fx, xc_client_t *client, const char *iss, const char *type, json_t *filters,
             char *why, size_t size)
{
    json_t *all = json_array ();
    json_t *after = NULL;
    for (int page = 0; page < 1000 && all; page++) {
        json_t *data = json_deep_copy (filters);
        json_object_set_new (data, "limit", json_integer (50));
        if (after)
            json_object_set (data, "after", after);
        xc_code_t code;
        char text[256] = "";
        json_t *r = fx_send (fx, client, iss, type, data, &code, text, sizeof text, NULL);
        json_t *items = json_object_get (r, "items");
        if (!json_is_array (items)) {
            snprintf (why, size, "%s as %s: %s", type, iss, r ? "no items" : text);
            json_decref (r);
            json_decref (all);
            all = NULL;
            break;
        }
        json_array_extend (all, items);
        json_decref (after);
        after = json_incref (json_object_get (r, "next"));
        size_t n = json_array_size (items);
        json_decref (r);
        if (!after || json_is_null (after) || n == 0)
            break;
    }
    json_decref (after);
    json_decref (filters);
    return all;
}

json_t *
fx_events (fx_t *fx, xc_client_t *client, const char *iss, int64_t after, int limit)
{
    json_t *all = json_array ();
    for (int page = 0; page < 1000; page++) {
        xc_code_t code;
        json_t *r = fx_send (fx, client, iss, "events.read",
                             json_pack ("{s:I, s:i}", "after", (json_int_t) after, "limit", limit),
                             &code, NULL, 0, NULL);
        if (!r) {
            json_decref (all);
            return NULL;
        }
        json_t *events = json_object_get (r, "events");
        json_array_extend (all, events);
        size_t n = json_array_size (events);
        if (n)
            after = json_integer_value (json_object_get (json_array_get (events, n - 1), "seq"));
        int64_t head = json_integer_value (json_object_get (r, "head"));
        json_decref (r);
        if (after >= head || n == 0)
            break;
    }
    return all;
}

int64_t
fx_head (fx_t *fx, xc_client_t *client)
{
    xc_code_t code;
    json_t *r = fx_send (fx, client, "office", "events.read", json_pack ("{s:i}", "limit", 1),
                         &code, NULL, 0, NULL);
    int64_t head = r ? json_integer_value (json_object_get (r, "head")) : -1;
    json_decref (r);
    return head;
}

xc_msg_t *
fx_event_open (fx_t *fx, const json_t *entry)
{
    const char *message = json_string_value (json_object_get (entry, "message"));
    if (!message)
        return NULL;
    xc_verify_t stored = { .registry = fx->registry, .stored = true, .now = xc_clock_wall (),
                           .max_size = 1 << 22 };
    xc_msg_t *event = NULL;
    if (xc_envelope_open (message, strlen (message), &stored, &event, NULL) != 0)
        return NULL;
    if (strcmp (event->iss, fx->service) != 0)
        xc_msg_destroy (&event);
    return event;
}

json_t *
fx_events_of (fx_t *fx, xc_client_t *client, int64_t after, const char *type, int limit,
              bool with_seq)
{
    json_t *out = json_array ();
    json_t *events = fx_events (fx, client, "office", after, limit);
    size_t i;
    json_t *entry;
    json_array_foreach (events, i, entry) {
        if (strcmp (json_string_value (json_object_get (entry, "type")), type) != 0)
            continue;
        xc_msg_t *event = fx_event_open (fx, entry);
        if (event && strcmp (event->type, type) == 0) {
            json_t *data = json_deep_copy (event->data);
            if (with_seq)
                json_object_set (data, "_seq", json_object_get (entry, "seq"));
            json_array_append_new (out, data);
        }
        else
            json_array_append_new (out, json_null ());
        xc_msg_destroy (&event);
    }
    json_decref (events);
    return out;
}

void
fx_event_types (fx_t *fx, xc_client_t *client, int64_t after, int limit, char *out, size_t size)
{
    out[0] = 0;
    json_t *events = fx_events (fx, client, "office", after, limit);
    size_t i;
    json_t *entry;
    json_array_foreach (events, i, entry) {
        size_t used = strlen (out);
        snprintf (out + used, size - used, "%s%s", used ? " " : "",
                  json_string_value (json_object_get (entry, "type")));
    }
    json_decref (events);
}

fx_snap_t
fx_snap (fx_t *fx, xc_client_t *client)
{
    return (fx_snap_t) { fx_head (fx, client), fx_sql_int (fx, "SELECT count(*) FROM inbox"),
                         fx_sql_int (fx, "SELECT count(*) FROM outbox") };
}

int
fx_refused (fx_t *fx, xc_client_t *client, xc_code_t want, const char *iss, const char *type,
            json_t *data, char *why, size_t size)
{
    fx_snap_t before = fx_snap (fx, client);
    xc_code_t code;
    char text[512];
    json_decref (fx_send (fx, client, iss, type, data, &code, text, sizeof text, NULL));
    fx_snap_t after = fx_snap (fx, client);
    why[0] = 0;
    if (code != want)
        snprintf (why, size, "%s as %s: %s (%s), expected %s", type, iss, xc_code_name (code),
                  text, xc_code_name (want));
    if (before.head < 0 || before.inbox < 0 || after.head != before.head
        || after.inbox != before.inbox || after.outbox != before.outbox) {
        size_t used = strlen (why);
        snprintf (why + used, size - used, "%s%s as %s stored something: head %lld -> %lld,"
                  " inbox %lld -> %lld, outbox %lld -> %lld", used ? "; " : "", type, iss,
                  (long long) before.head, (long long) after.head, before.inbox, after.inbox,
                  before.outbox, after.outbox);
    }
    return why[0] ? -1 : 0;
}

xc_date_t
fx_today (void)
{
    return xc_date_of_time (xc_clock_wall (), 8 * 3600);
}

xc_date_t
fx_period_end (xc_date_t date)
{
    xc_calendar_t *cal = NULL;
    xc_err_t err;
    if (xc_calendar_load ("config/calendar", &cal, &err) != 0)
        return date;
    bool work = false;
    xc_date_t d = date;
    while (xc_calendar_is_workday (cal, d, &work, &err) == 0 && !work)
        d++;
    bool known = xc_calendar_is_workday (cal, d, &work, &err) == 0;
    xc_calendar_destroy (&cal);
    return known ? d : date;
}

double
fx_cpu_seconds (pid_t pid, pid_t tid)
{
    char path[64], buf[1024];
    if (tid)
        snprintf (path, sizeof path, "/proc/%d/task/%d/stat", (int) pid, (int) tid);
    else
        snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen (path, "r");
    size_t len = f ? fread (buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose (f);
    buf[len] = 0;
    const char *p = strrchr (buf, ')');       /* the command name may hold spaces */
    unsigned long utime = 0, stime = 0;
    if (!p || sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (double) (utime + stime) / (double) sysconf (_SC_CLK_TCK);
}
