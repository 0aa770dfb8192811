/*  routes.c: the referral service's commands and queries, who may send each and the schema of
    its data (common/service.h). main.c gives them to the service; tests/fuzz checks the schemas
    against hostile data. */
#include "services/referral/referral.h"

static const char *const s_office[] = { "office", NULL };
static const char *const s_anyone[] = { "*", NULL };
static const char *const s_kinds[] = { "lead", "handover", "report", NULL };
static const char *const s_states[] = { "referred", "acknowledged", "disposed", "concluded", NULL };
static const char *const s_methods[] = { "talk_inquiry", "preliminary_verification", "park", "close", NULL };

#define REFERRAL_ID { .name = "referral", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX }
#define TARGET_NAME(n, req) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = XC_NAME_MAX - 1 }
#define NOTE(n, req) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = 2000 }
#define COUNT(n) { .name = n, .type = XC_T_INTEGER, .required = true, .min = 0, .max = 10000 }

static const xc_field_t s_create[] = {
    { .name = "kind", .type = XC_T_STRING, .required = true, .one_of = s_kinds },
    TARGET_NAME ("target", true),
    { .name = "title", .type = XC_T_STRING, .required = true, .min = 1, .max = 500 },
    { .name = "detail", .type = XC_T_STRING, .required = true, .min = 1, .max = 20000 },
    { .name = "problem", .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX },
    { .name = NULL },
};
static const xc_field_t s_only_id[] = { REFERRAL_ID, { .name = NULL } };
static const xc_field_t s_dispose[] = {
    REFERRAL_ID,
    { .name = "method", .type = XC_T_STRING, .required = true, .one_of = s_methods },
    NOTE ("note", false),
    { .name = NULL },
};
static const xc_field_t s_outcome[] = {
    REFERRAL_ID,
    { .name = "case_filed", .type = XC_T_BOOLEAN, .required = true },
    COUNT ("party_sanctions"), COUNT ("administrative_sanctions"), COUNT ("organizational_handling"),
    COUNT ("detentions"), COUNT ("prosecution_transfers"),
    NOTE ("note", false),
    { .name = NULL },
};
static const xc_field_t s_reopen[] = { REFERRAL_ID, NOTE ("reason", true), { .name = NULL } };
static const xc_field_t s_conclude[] = { REFERRAL_ID, NOTE ("note", false), { .name = NULL } };
static const xc_field_t s_extend[] = {
    REFERRAL_ID,
    { .name = "due", .type = XC_T_DATE, .required = true },
    NOTE ("reason", true),
    { .name = NULL },
};
static const xc_field_t s_list[] = {
    { .name = "kind", .type = XC_T_STRING, .one_of = s_kinds },
    TARGET_NAME ("target", false),
    { .name = "state", .type = XC_T_STRING, .one_of = s_states },
    { .name = "overdue", .type = XC_T_BOOLEAN },
    { .name = "after", .type = XC_T_INTEGER, .min = 0, .max = INT64_MAX },
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 500 },
    { .name = NULL },
};

/*  Transitions are open to every role here: the handler checks that the sender is the
    referral's target, whatever its role. referral.get is a command: each read is logged. */
static const xc_route_t s_routes[] = {
    { "referral.create", XC_COMMAND, s_office, s_create, referral_create },
    { "referral.acknowledge", XC_COMMAND, s_anyone, s_only_id, referral_acknowledge },
    { "referral.dispose", XC_COMMAND, s_anyone, s_dispose, referral_dispose },
    { "referral.outcome", XC_COMMAND, s_anyone, s_outcome, referral_outcome },
    { "referral.reopen", XC_COMMAND, s_anyone, s_reopen, referral_reopen },
    { "referral.conclude", XC_COMMAND, s_anyone, s_conclude, referral_conclude },
    { "referral.extend", XC_COMMAND, s_office, s_extend, referral_extend },
    { "referral.get", XC_COMMAND, s_anyone, s_only_id, referral_get },
    { "referral.list", XC_QUERY, s_anyone, s_list, referral_list },
    { "referral.stats", XC_QUERY, s_office, NULL, referral_stats },
};

const xc_route_t *
referral_routes (size_t *n)
{
    *n = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
