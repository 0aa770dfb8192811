/*  registry.h: what the registry service's modules share (docs/services/registry.md).

    The registry service owns invitations and enrollments (registry.db) and, beside xcctl on
    the host that holds the config, is the only writer of the registry file (registry_file.h).
    invite.c: principal.invite, principal.enroll and principal.enrollment (the last two proved
    by the new key itself: roles name XC_ROLE_ENROLLEE, service.h); decide.c: approve, reject,
    revoke, which write the registry file; queries.c: list and whoami; routes.c ties them into
    routes, main.c into the service.
*/
#ifndef XC_REGISTRY_H
#define XC_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>

#include "common/handler.h"
#include "common/service.h"

#define REGISTRY_CODE_LEN 26          /* 128 random bits in Crockford base32 */
#define REGISTRY_FINGERPRINT_LEN 54   /* 43 characters in groups of 4, with spaces */

typedef struct {
    int invitation_hours;             /* policies.registry.invitation_hours: the longest an
                                         invitation's code may stay open (default 72) */
    int max_attempts;                 /* wrong codes before an invitation is void (5) */
} registry_policy_t;

typedef struct {
    registry_policy_t policy;
} registry_t;

/* The roles a person may be invited to (never "service" or "gateway": those are the host's). */
extern const char *const registry_person_roles[];
bool registry_person_role (const char *role);

/* routes.c: the service's commands and queries (main.c hands them to xc_service_main) */
const xc_route_t *registry_routes (size_t *n);

/* invite.c */
int registry_invite (xc_call_t *call, void *state);
int registry_enroll (xc_call_t *call, void *state);
int registry_enrollment (xc_call_t *call, void *state);
/* The SHA-256 (64 lowercase hex) of a code as written: separators dropped, upper case, Crockford's
   I and L read as 1, O as 0. -1 when it is not 26 characters of Crockford base32 then. */
int registry_code_hash (const char *code, char hex[65]);
/* The fingerprint an office reads by phone: the key's RFC 7638 thumbprint in groups of 4. */
void registry_fingerprint (const unsigned char pk[32], char out[REGISTRY_FINGERPRINT_LEN + 1]);

/* decide.c */
int registry_approve (xc_call_t *call, void *state);
int registry_reject (xc_call_t *call, void *state);
int registry_revoke (xc_call_t *call, void *state);

/* queries.c */
int registry_list (xc_call_t *call, void *state);
int registry_whoami (xc_call_t *call, void *state);
/* The display name kept for iss into out ("" when none). */
int registry_display (xc_call_t *call, const char *iss, char *out, size_t size);

#endif
