/*  routes.c: the registry service's commands and queries, who may send each and the schema of
    its data (common/service.h). Only the office invites, decides and lists; the new key itself
    (XC_ROLE_ENROLLEE: proof of possession, envelope.h) enrolls and asks how it stands. */
#include "services/registry/registry.h"

#include <string.h>

const char *const registry_person_roles[] = { "office", "team", "unit", "discipline", "petition", "audit",
                                              "public", "district", "department", NULL };

bool
registry_person_role (const char *role)
{
    for (const char *const *r = registry_person_roles; *r; r++)
        if (strcmp (*r, role) == 0)
            return true;
    return false;
}

static const char *const s_office[] = { "office", NULL };
static const char *const s_enrollee[] = { XC_ROLE_ENROLLEE, NULL };
/* the new key asks before and after it is registered */
static const char *const s_enrollee_or_anyone[] = { XC_ROLE_ENROLLEE, "*", NULL };
static const char *const s_anyone[] = { "*", NULL };

#define ISS { .name = "iss", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_NAME_MAX - 1 }
#define TIME(n) { .name = n, .type = XC_T_STRING, .required = true, .min = 20, .max = 40 }
#define REASON { .name = "reason", .type = XC_T_STRING, .required = true, .min = 1, .max = 500 }

static const xc_field_t s_invite[] = {
    ISS,
    { .name = "display", .type = XC_T_STRING, .required = true, .min = 1, .max = 100 },
    { .name = "role", .type = XC_T_STRING, .required = true, .one_of = registry_person_roles },
    { .name = "scope", .type = XC_T_ANY },
    { .name = "district", .type = XC_T_ID },
    TIME ("until"),
    { .name = "code_sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
    TIME ("expires"),
    { .name = NULL },
};
static const xc_field_t s_jwk[] = {
    { .name = "kty", .type = XC_T_STRING, .required = true, .min = 1, .max = 8 },
    { .name = "crv", .type = XC_T_STRING, .required = true, .min = 1, .max = 16 },
    { .name = "x", .type = XC_T_STRING, .required = true, .min = 43, .max = 43 },
    { .name = "kid", .type = XC_T_STRING, .min = 1, .max = XC_KID_MAX - 1 },
    { .name = NULL },
};
static const xc_field_t s_enroll[] = {
    { .name = "code", .type = XC_T_STRING, .required = true, .min = 1, .max = 64 },
    { .name = "key", .type = XC_T_OBJECT, .required = true, .fields = s_jwk },
    { .name = NULL },
};
/* the key proves itself again (envelope.h); once registered it signs as its principal */
static const xc_field_t s_enrollment[] = {
    { .name = "key", .type = XC_T_OBJECT, .fields = s_jwk },
    { .name = NULL },
};
static const xc_field_t s_only_iss[] = { ISS, { .name = NULL } };
static const xc_field_t s_iss_reason[] = { ISS, REASON, { .name = NULL } };
static const xc_field_t s_list[] = {
    { .name = "after", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 500 },
    { .name = NULL },
};

static const xc_route_t s_routes[] = {
    { "principal.invite", XC_COMMAND, s_office, s_invite, registry_invite },
    { "principal.enroll", XC_COMMAND, s_enrollee, s_enroll, registry_enroll },
    { "principal.enrollment", XC_QUERY, s_enrollee_or_anyone, s_enrollment, registry_enrollment },
    { "principal.approve", XC_COMMAND, s_office, s_only_iss, registry_approve },
    { "principal.reject", XC_COMMAND, s_office, s_iss_reason, registry_reject },
    { "principal.revoke", XC_COMMAND, s_office, s_iss_reason, registry_revoke },
    { "principal.list", XC_QUERY, s_office, s_list, registry_list },
    { "principal.whoami", XC_QUERY, s_anyone, NULL, registry_whoami },
};

const xc_route_t *
registry_routes (size_t *n)
{
    *n = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
