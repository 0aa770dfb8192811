/*  ctl.c: the operator's key and registry, signed calls, paging, files (ctl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "common/clock.h"
#include "common/envelope.h"

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
    return CTL_OK;
}

void
ctl_close (ctl_t *ctl)
{
    for (size_t i = 0; i < sizeof ctl->clients / sizeof ctl->clients[0]; i++)
        xc_client_destroy (&ctl->clients[i]);
    xc_registry_destroy (&ctl->registry);
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
    const xc_service_conf_t *svc = NULL;
    xc_client_t *client = s_client (ctl, service, &svc);
    if (!client) {
        json_decref (data);
        *code = CTL_LOCAL;
        return NULL;
    }
    int64_t now = xc_clock_wall ();
    xc_claims_t claims = { .iss = iss, .aud = service, .type = type, .iat = now,
                           .exp = now + ctl->config->clock_skew_seconds };
    xc_err_t err;
    char id[XC_UUID_LEN + 1];
    size_t len;
    if (!data)
        data = json_object ();
    char *msg = xc_envelope_seal (key, &claims, data, &len, id, &err);
    json_decref (data);
    if (!msg) {
        fprintf (stderr, "xcctl: %s %s: %s\n", service, type, err.text);
        *code = CTL_LOCAL;
        return NULL;
    }
    xc_verify_t verify = { .registry = ctl->registry, .audience = iss,
                           .skew = ctl->config->clock_skew_seconds,
                           .max_lifetime = ctl->config->max_lifetime_seconds,
                           .max_size = ctl->config->max_message_bytes };
    xc_msg_t *reply = NULL;
    int rc = xc_client_call (client, msg, len, id, &verify, service, ctl->timeout_ms, &reply, &err);
    free (msg);
    if (rc != 0) {
        if (xc_signals_stopping ()) {
            *code = CTL_DOWN;            /* interrupted (Ctrl-C): the caller decides, nothing to say */
            return NULL;
        }
        if (err.code == XC_E_UNAVAILABLE || err.code == XC_E_BUSY) {
            fprintf (stderr, "xcctl: %s at %s did not answer within %.3g s; is it running? try make run\n",
                     service, svc->api, ctl->timeout_ms / 1000.0);
            *code = CTL_DOWN;
        }
        else {
            fprintf (stderr, "xcctl: %s refused %s: %s: %s\n", service, type, xc_code_name (err.code), err.text);
            *code = CTL_REFUSED;
        }
        return NULL;
    }
    bool ack = strcmp (reply->type, "ack") == 0;
    json_t *out = json_incref (ack ? json_object_get (reply->data, "result") : reply->data);
    if (status)
        snprintf (status, 16, "%s", ack ? json_string_value (json_object_get (reply->data, "status")) : "result");
    xc_msg_destroy (&reply);
    *code = CTL_OK;
    return out ? out : json_object ();
}

json_t *
ctl_list_all (ctl_t *ctl, const char *service, const char *type, json_t *filters, int *code)
{
    json_t *all = json_array ();
    json_t *after = NULL;
    for (;;) {
        json_t *data = json_deep_copy (filters);
        json_object_set_new (data, "limit", json_integer (500));
        if (after && !json_is_null (after))
            json_object_set (data, "after", after);
        json_t *page = ctl_call (ctl, service, type, data, code, NULL);
        if (!page) {
            json_decref (all);
            all = NULL;
            break;
        }
        json_array_extend (all, json_object_get (page, "items"));
        json_decref (after);
        after = json_incref (json_object_get (page, "next"));
        size_t n = json_array_size (json_object_get (page, "items"));
        json_decref (page);
        if (!after || json_is_null (after) || n == 0)
            break;
    }
    json_decref (after);
    json_decref (filters);
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
