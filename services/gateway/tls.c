/*  TLS for the gateway: see tls.h. */
#include "services/gateway/tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    const char *ca = json_string_value (json_object_get (tls, "client_ca"));
    if (rc == 0 && ca) {
        char *ca_path = xc_config_resolve (cfg, ca);
        self->client_ca = ca_path ? s_read ("client_ca", ca_path, why, why_size) : NULL;
        if (!self->client_ca)
            rc = -1;
        free (ca_path);
    }
    self->require_client_cert = json_is_true (json_object_get (tls, "require_client_cert"));
    if (rc == 0 && self->require_client_cert && !self->client_ca) {
        snprintf (why, why_size, "services.gateway.tls.require_client_cert: needs client_ca");
        rc = -1;
    }
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
    if (!self->client_ca)
        return 2;
    /* libmicrohttpd then asks for a client certificate (not requiring one) and leaves its
       verification to the application: gateway_tls_check_client */
    items[2] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_TRUST, 0, self->client_ca };
    return 3;
}

void
gateway_tls_destroy (gateway_tls_t *self)
{
    if (self->key)
        explicit_bzero (self->key, strlen (self->key));
    free (self->key);
    free (self->cert);
    free (self->client_ca);
    self->key = self->cert = self->client_ca = NULL;
}

/* The payload's iss, or NULL. Caller frees. */
static char *
s_iss (const char *frame, size_t len)
{
    json_t *outer = json_loadb (frame, len, 0, NULL);
    const char *payload = json_string_value (json_object_get (outer, "payload"));
    char *iss = NULL;
    size_t plen = payload ? strlen (payload) : 0;
    unsigned char *bytes = payload ? malloc (plen + 1) : NULL;
    size_t n = 0;
    if (bytes && sodium_base642bin (bytes, plen + 1, payload, plen, NULL, &n, NULL,
                                    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0) {
        json_t *body = json_loadb ((const char *) bytes, n, 0, NULL);
        const char *text = json_string_value (json_object_get (body, "iss"));
        iss = text ? strdup (text) : NULL;
        json_decref (body);
    }
    free (bytes);
    json_decref (outer);
    return iss;
}

/* The principal of the registry listing fingerprint (lower-case hex) in client_cert_sha256. */
static char *
s_principal_of (const char *registry_path, const char *fingerprint)
{
    json_t *registry = json_load_file (registry_path, JSON_REJECT_DUPLICATES, NULL);
    char *found = NULL;
    size_t i, k;
    json_t *p, *fp;
    json_array_foreach (json_object_get (registry, "principals"), i, p) {
        json_array_foreach (json_object_get (p, "client_cert_sha256"), k, fp) {
            const char *text = json_string_value (fp);
            if (!found && text && strcasecmp (text, fingerprint) == 0
                && json_string_value (json_object_get (p, "iss")))
                found = strdup (json_string_value (json_object_get (p, "iss")));
        }
    }
    json_decref (registry);
    return found;
}

int
gateway_tls_check_client (const gateway_tls_t *self, struct MHD_Connection *conn,
                          const char *registry_path, const char *frame, size_t len,
                          char *why, size_t why_size)
{
    if (!self->client_ca)
        return 0;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (conn,
                                                                    MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t session = info ? (gnutls_session_t) info->tls_session : NULL;
    unsigned n_certs = 0;
    const gnutls_datum_t *certs = session ? gnutls_certificate_get_peers (session, &n_certs) : NULL;
    if (!certs || n_certs == 0) {
        if (!self->require_client_cert)
            return 0;
        snprintf (why, why_size, "this gateway requires a client certificate");
        return -1;
    }
    unsigned status = 0;
    if (gnutls_certificate_verify_peers2 (session, &status) != GNUTLS_E_SUCCESS || status != 0) {
        snprintf (why, why_size, "the client certificate is not signed by the gateway's client CA, "
                                 "or is expired");
        return -1;
    }
    unsigned char digest[32];
    size_t digest_len = sizeof digest;
    char fingerprint[65];
    if (gnutls_fingerprint (GNUTLS_DIG_SHA256, &certs[0], digest, &digest_len) != GNUTLS_E_SUCCESS
        || digest_len != 32) {
        snprintf (why, why_size, "the client certificate could not be read");
        return -1;
    }
    sodium_bin2hex (fingerprint, sizeof fingerprint, digest, 32);
    char *bound = s_principal_of (registry_path, fingerprint);
    if (!bound) {
        gnutls_x509_crt_t crt;
        char cn[256];
        size_t cn_len = sizeof cn;
        if (gnutls_x509_crt_init (&crt) == GNUTLS_E_SUCCESS) {
            if (gnutls_x509_crt_import (crt, &certs[0], GNUTLS_X509_FMT_DER) == GNUTLS_E_SUCCESS
                && gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn,
                                                  &cn_len) == GNUTLS_E_SUCCESS)
                bound = strdup (cn);
            gnutls_x509_crt_deinit (crt);
        }
    }
    char *iss = s_iss (frame, len);
    int rc = 0;
    if (!bound || !iss || strcmp (bound, iss) != 0) {
        snprintf (why, why_size, "the client certificate (sha256 %s) is bound to '%s', the "
                  "message is signed as '%s'", fingerprint, bound ? bound : "nobody",
                  iss ? iss : "nobody");
        rc = -1;
    }
    free (bound);
    free (iss);
    return rc;
}
