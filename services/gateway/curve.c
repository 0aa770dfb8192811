/*  curve.c: the gateway as a CURVE client (curve.h). */
#include "services/gateway/curve.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int
gateway_curve_load (gateway_curve_t *self, const xc_config_t *cfg, char *why, size_t why_len)
{
    memset (self, 0, sizeof *self);
    if (!cfg->curve)
        return 0;
    if (!cfg->gateway_curve_key) {
        snprintf (why, why_len, "services.gateway.curve_key: missing (curve is on; xcctl init makes it)");
        return -1;
    }
    xc_err_t err;
    if (xc_curve_load (&self->own, cfg->gateway_curve_key, &err) != 0) {
        snprintf (why, why_len, "services.gateway.curve_key: %s", err.text);
        return -1;
    }
    self->on = true;
    xc_registry_t *reg = NULL;
    if (xc_registry_load (cfg->registry, &reg, &err) != 0) {
        snprintf (why, why_len, "%s", err.text);
        gateway_curve_clear (self);
        return -1;
    }
    int rc = -1;
    /* a key the services would not admit, or admit as someone else, fails here, not as 504s */
    const xc_principal_t *me = xc_registry_curve_client (reg, self->own.public_z85);
    if (!me || me->revoked || strcmp (me->role, "gateway") != 0) {
        snprintf (why, why_len, "the CURVE key of '%s' is not in the registry '%s' as a principal "
                  "of role gateway (xcctl init registers it)", cfg->gateway_curve_key, cfg->registry);
        goto done;
    }
    self->n = cfg->n_services;
    self->server = calloc (self->n ? self->n : 1, sizeof *self->server);
    if (!self->server) {
        snprintf (why, why_len, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < self->n; i++) {
        const xc_principal_t *p = xc_registry_principal (reg, cfg->services[i].name);
        if (!p || !p->curve[0]) {
            snprintf (why, why_len, "the registry '%s' has no CURVE key for service '%s'",
                      cfg->registry, cfg->services[i].name);
            goto done;
        }
        memcpy (self->server[i], p->curve, sizeof self->server[i]);
    }
    rc = 0;
done:
    xc_registry_destroy (&reg);
    if (rc != 0)
        gateway_curve_clear (self);
    return rc;
}

int
gateway_curve_apply (const gateway_curve_t *self, void *socket, size_t service)
{
    if (!self->on)
        return 0;
    if (service >= self->n)
        return -1;
    if (zmq_setsockopt (socket, ZMQ_CURVE_SERVERKEY, self->server[service], 41) != 0
        || zmq_setsockopt (socket, ZMQ_CURVE_PUBLICKEY, self->own.public_z85, 41) != 0
        || zmq_setsockopt (socket, ZMQ_CURVE_SECRETKEY, self->own.secret_z85, 41) != 0)
        return -1;
    return 0;
}

void
gateway_curve_clear (gateway_curve_t *self)
{
    sodium_memzero (&self->own, sizeof self->own);
    free (self->server);
    self->server = NULL;
    self->n = 0;
    self->on = false;
}
