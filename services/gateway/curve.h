/*  curve.h: the gateway as a CURVE client (ZeroMQ RFC 26), when the deployment's `curve` is on
    (docs/services/gateway.md, "CURVE").

    The gateway connects to every service's ROUTER and PUB with its own keypair
    (services.gateway.curve_key, made by `xcctl init`), whose public key the registry holds as
    principal `gateway`, role `gateway`: the services' ZAP handlers admit it, and a service takes
    from a connection of that role messages signed by any principal (each still verified). */
#ifndef XC_GATEWAY_CURVE_H
#define XC_GATEWAY_CURVE_H

#include "common/config.h"
#include "common/keys.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    bool on;
    xc_curve_keypair_t own;
    char (*server)[41];              /* each service's Z85 public key, in cfg's order */
    size_t n;
} gateway_curve_t;

/*  Loads the keypair and the services' public keys when cfg->curve is on (nothing otherwise).
    -1 with why: no curve_key, an unreadable keypair, or a registry without the gateway's key
    as a principal of role gateway or without a service's key. */
int gateway_curve_load (gateway_curve_t *self, const xc_config_t *cfg, char *why, size_t why_len);

/*  Makes socket a CURVE client of the service (before its connect); 0 when curve is off. */
int gateway_curve_apply (const gateway_curve_t *self, void *socket, size_t service);

/*  Forgets the secret key. */
void gateway_curve_clear (gateway_curve_t *self);

#endif
