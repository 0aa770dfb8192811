/*  TLS for the gateway (services.gateway.tls, docs/services/gateway.md): libmicrohttpd's GnuTLS
    support, the certificate chain and the private key read (PEM) from the files the config
    names. Without services.gateway.tls the gateway speaks plain HTTP (loopback, make run). */
#ifndef XC_GATEWAY_TLS_H
#define XC_GATEWAY_TLS_H

#include "common/config.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *cert;                      /* PEM, NULL without TLS */
    char *key;
    char *client_ca;                 /* PEM: client certificates are asked for; NULL: not */
    bool require_client_cert;
} gateway_tls_t;

/*  Reads the files of services.gateway.tls, if any: 0, or -1 with why naming the file. */
int gateway_tls_load (gateway_tls_t *self, const xc_config_t *cfg, char *why, size_t why_size);

/*  MHD_USE_TLS when on, else 0. */
unsigned gateway_tls_flags (const gateway_tls_t *self);

/*  Appends libmicrohttpd's options (at most 3 items); the count added. */
size_t gateway_tls_options (const gateway_tls_t *self, struct MHD_OptionItem *items);

/*  With client certificates (tls.client_ca): checks the one the connection presented against
    the POST's body. A certificate must be signed by client_ca and bound to the payload's iss:
    a principal of the registry listing its SHA-256 fingerprint (client_cert_sha256), else its
    subject's CN. 0 when it may go on, or -1 with why (answer 403, nothing forwarded). Without
    a certificate: 0, or -1 when require_client_cert. */
int gateway_tls_check_client (const gateway_tls_t *self, struct MHD_Connection *conn,
                              const char *registry_path, const char *frame, size_t len,
                              char *why, size_t why_size);

/*  Frees, the key wiped first. */
void gateway_tls_destroy (gateway_tls_t *self);

#endif
