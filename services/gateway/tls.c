/*  TLS for the gateway: see tls.h. */
#include "services/gateway/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_MAX (1024 * 1024)

/* The whole file, NUL-terminated; NULL with why naming it. */
static char *
s_read (const char *member, const char *path, char *why, size_t why_size)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (why, why_size, "services.gateway.tls.%s: '%s': %s", member, path, strerror (errno));
        return NULL;
    }
    char *text = malloc (PEM_MAX + 1);
    size_t n = text ? fread (text, 1, PEM_MAX + 1, f) : 0;
    bool failed = !text || ferror (f);
    fclose (f);
    if (failed || n == 0 || n > PEM_MAX) {
        snprintf (why, why_size, "services.gateway.tls.%s: '%s': %s", member, path,
                  !text ? "out of memory" : failed ? "unable to read"
                  : n == 0 ? "empty" : "larger than 1 MiB");
        if (text)
            explicit_bzero (text, PEM_MAX + 1);
        free (text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}

int
gateway_tls_load (gateway_tls_t *self, const xc_config_t *cfg, char *why, size_t why_size)
{
    memset (self, 0, sizeof *self);
    json_t *tls = json_object_get (cfg->gateway, "tls");
    if (!tls)
        return 0;
    if (MHD_is_feature_supported (MHD_FEATURE_TLS) != MHD_YES) {
        snprintf (why, why_size, "services.gateway.tls: this libmicrohttpd is built without TLS");
        return -1;
    }
    char *cert_path = xc_config_resolve (cfg, json_string_value (json_object_get (tls, "cert")));
    char *key_path = xc_config_resolve (cfg, json_string_value (json_object_get (tls, "key")));
    int rc = -1;
    if (!cert_path || !key_path)
        snprintf (why, why_size, "out of memory");
    else if ((self->cert = s_read ("cert", cert_path, why, why_size))
             && (self->key = s_read ("key", key_path, why, why_size)))
        rc = 0;
    free (cert_path);
    free (key_path);
    if (rc != 0)
        gateway_tls_destroy (self);
    return rc;
}

unsigned
gateway_tls_flags (const gateway_tls_t *self)
{
    return self->cert ? MHD_USE_TLS : 0;
}

size_t
gateway_tls_options (const gateway_tls_t *self, struct MHD_OptionItem *items)
{
    if (!self->cert)
        return 0;
    items[0] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, self->cert };
    items[1] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, self->key };
    return 2;
}

void
gateway_tls_destroy (gateway_tls_t *self)
{
    if (self->key)
        explicit_bzero (self->key, strlen (self->key));
    free (self->key);
    free (self->cert);
    self->key = self->cert = NULL;
}
