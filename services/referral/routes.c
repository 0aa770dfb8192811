/*  routes.c: the referral service's commands and queries, who may send each and the schema of
    its data (common/service.h). main.c gives them to the service; tests/fuzz checks the schemas
    against hostile data. */
#include "common/files.h"
#include "services/referral/referral.h"

/* the city office; a district office for its own rounds (the handlers check the scope) */
static const char *const s_offices[] = { "office", "district", NULL };
static const char *const s_anyone[] = { "*", NULL };
static const char *const s_kinds[] = { "lead", "handover", "report", NULL };
static const char *const s_states[] = { "referred", "acknowledged", "disposed", "concluded", NULL };
static const char *const s_methods[] = { "talk_inquiry", "preliminary_verification", "park", "close", NULL };
/* the round's kinds, modes and the units' levels as intake has them (docs/services/intake.md) */
static const char *const s_round_kinds[] = { "regular", "special", "mobile", "lookback", NULL };
static const char *const s_modes[] = { "elevated", "cross", "system", "extended", "linked", "audit_linked", NULL };
static const char *const s_levels[] = { "city_department", "district", "town", "village", "soe",
                                        "school", "hospital", "other", NULL };

#define REFERRAL_ID { .name = "referral", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX }
#define TARGET_NAME(n, req) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = XC_NAME_MAX - 1 }
#define NOTE(n, req) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = 2000 }
#define COUNT(n) { .name = n, .type = XC_T_INTEGER, .min = 0, .max = 10000 }
/* the day the fact happened, for loading history (docs/protocol.md, "History") */
#define OCCURRED_ON { .name = "occurred_on", .type = XC_T_DATE }

static const xc_field_t s_create[] = {
    { .name = "kind", .type = XC_T_STRING, .required = true, .one_of = s_kinds },
    TARGET_NAME ("target", true),
    { .name = "title", .type = XC_T_STRING, .required = true, .min = 1, .max = 500 },
    { .name = "detail", .type = XC_T_STRING, .required = true, .min = 1, .max = 20000 },
    { .name = "problem", .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX },
    { .name = "round", .type = XC_T_ID },
    { .name = "unit", .type = XC_T_ID },
    { .name = "category", .type = XC_T_ID },
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_only_id[] = { REFERRAL_ID, { .name = NULL } };
static const xc_field_t s_acknowledge[] = { REFERRAL_ID, OCCURRED_ON, { .name = NULL } };
static const xc_field_t s_dispose[] = {
    REFERRAL_ID,
    { .name = "method", .type = XC_T_STRING, .required = true, .one_of = s_methods },
    NOTE ("note", false),
    OCCURRED_ON,
    { .name = NULL },
};
/* one person's outcome; the kinds of sanction and handling are the policy's (checked there) */
static const xc_field_t s_person_fields[] = {
    { .name = "form", .type = XC_T_INTEGER, .required = true, .min = 1, .max = 4 },
    { .name = "party_sanction", .type = XC_T_NULLABLE_STRING, .min = 1, .max = 64 },
    { .name = "administrative_sanction", .type = XC_T_NULLABLE_STRING, .min = 1, .max = 64 },
    { .name = "organizational_handling", .type = XC_T_NULLABLE_STRING, .min = 1, .max = 64 },
    { .name = "detained", .type = XC_T_BOOLEAN },
    { .name = "prosecuted", .type = XC_T_BOOLEAN },
    { .name = NULL },
};
static const xc_field_t s_person = { .type = XC_T_OBJECT, .fields = s_person_fields };
static const xc_field_t s_evidence = {
    .type = XC_T_OBJECT,
    .fields = (const xc_field_t[]) {
        { .name = "file", .type = XC_T_STRING, .required = true, .min = 1, .max = 255 },
        { .name = "sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
        { .name = NULL } },
};
static const xc_field_t s_outcome[] = {
    REFERRAL_ID,
    { .name = "evidence", .type = XC_T_ARRAY, .max = 50, .items = &s_evidence },
    { .name = "case_filed", .type = XC_T_BOOLEAN, .required = true },
    { .name = "people", .type = XC_T_ARRAY, .min = 0, .max = 1000, .items = &s_person },
    COUNT ("party_sanctions"), COUNT ("administrative_sanctions"), COUNT ("organizational_handling"),
    COUNT ("detentions"), COUNT ("prosecution_transfers"), COUNT ("institutional_measures"),
    NOTE ("note", false),
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_reopen[] = { REFERRAL_ID, NOTE ("reason", true), OCCURRED_ON, { .name = NULL } };
static const xc_field_t s_conclude[] = { REFERRAL_ID, NOTE ("note", false), OCCURRED_ON, { .name = NULL } };
static const xc_field_t s_extend[] = {
    REFERRAL_ID,
    { .name = "due", .type = XC_T_DATE, .required = true },
    NOTE ("reason", true),
    OCCURRED_ON,
    { .name = NULL },
};
/* the target asks for more time; no occurred_on: a request is made in the system, not loaded
   from paper */
static const xc_field_t s_request_extension[] = {
    REFERRAL_ID,
    { .name = "due", .type = XC_T_DATE, .required = true },
    NOTE ("reason", true),
    { .name = NULL },
};
static const xc_field_t s_decline_extension[] = { REFERRAL_ID, NOTE ("reason", true), { .name = NULL } };
static const xc_field_t s_leader[] = {
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 100 },
    { .name = "title", .type = XC_T_STRING, .required = true, .min = 1, .max = 200 },
    { .name = NULL },
};
static const xc_field_t s_sign[] = {
    REFERRAL_ID,
    { .name = "leader", .type = XC_T_OBJECT, .required = true, .fields = s_leader },
    OCCURRED_ON,
    { .name = NULL },
};
/* the filters every *.stats takes (docs/services/referral.md, "Figures") */
static const xc_field_t s_stats[] = {
    { .name = "round", .type = XC_T_ID },
    { .name = "owner", .type = XC_T_ID },
    { .name = "year", .type = XC_T_INTEGER, .min = 2000, .max = 2100 },
    { .name = "kind", .type = XC_T_STRING, .one_of = s_round_kinds },
    { .name = "mode", .type = XC_T_STRING, .one_of = s_modes },
    { .name = "category", .type = XC_T_ID },
    { .name = "unit_level", .type = XC_T_STRING, .one_of = s_levels },
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

/* referral.search (search.c): words, the filters, a page by offset */
static const xc_field_t s_search[] = {
    { .name = "q", .type = XC_T_STRING, .required = true, .min = 1, .max = 100 },
    { .name = "round", .type = XC_T_ID }, { .name = "owner", .type = XC_T_ID },
    { .name = "unit", .type = XC_T_ID }, { .name = "category", .type = XC_T_ID },
    { .name = "year", .type = XC_T_INTEGER, .min = 2000, .max = 2100 },
    { .name = "state", .type = XC_T_STRING, .one_of = s_states },
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 100 },
    { .name = "offset", .type = XC_T_INTEGER, .min = 0, .max = 1000 },
    { .name = NULL },
};

/*  Transitions are open to every role here: the handler checks that the sender is the
    referral's target, whatever its role. referral.get is a command: each read is logged. */
/* evidence files (common/files.h): whoever may be a referral's target uploads for its
   outcome; files.c decides who reads (as referral.get) */
static const char *const s_file_users[] = { "office", "district", "team", "petition", "audit", "unit",
                                            "discipline", "department", "service", NULL };
static const char *const s_file_checkers[] = { "office", "service", NULL };
static const xc_field_t s_file_begin[] = XC_FILES_BEGIN_FIELDS;
static const xc_field_t s_file_append[] = XC_FILES_APPEND_FIELDS;
static const xc_field_t s_file_status[] = XC_FILES_STATUS_FIELDS;
static const xc_field_t s_file_read[] = XC_FILES_READ_FIELDS;
static const xc_field_t s_file_check[] = XC_FILES_CHECK_FIELDS;

static const xc_route_t s_routes[] = {
    { "referral.create", XC_COMMAND, s_offices, s_create, referral_create },
    { "referral.acknowledge", XC_COMMAND, s_anyone, s_acknowledge, referral_acknowledge },
    { "referral.dispose", XC_COMMAND, s_anyone, s_dispose, referral_dispose },
    { "referral.outcome", XC_COMMAND, s_anyone, s_outcome, referral_outcome },
    { "referral.reopen", XC_COMMAND, s_anyone, s_reopen, referral_reopen },
    { "referral.conclude", XC_COMMAND, s_anyone, s_conclude, referral_conclude },
    { "referral.extend", XC_COMMAND, s_offices, s_extend, referral_extend },
    { "referral.request_extension", XC_COMMAND, s_anyone, s_request_extension, referral_request_extension },
    { "referral.decline_extension", XC_COMMAND, s_offices, s_decline_extension, referral_decline_extension },
    { "referral.sign", XC_COMMAND, s_offices, s_sign, referral_sign },
    { "referral.get", XC_COMMAND, s_anyone, s_only_id, referral_get },
    { "referral.list", XC_QUERY, s_anyone, s_list, referral_list },
    { "referral.stats", XC_QUERY, s_offices, s_stats, referral_stats },
    /* whoever may send referral.outcome (anyone, as a target) may ask which kinds it takes */
    { "referral.outcome_kinds", XC_QUERY, s_anyone, NULL, referral_outcome_kinds },
    { "file.begin", XC_COMMAND, s_file_users, s_file_begin, xc_files_begin },
    { "file.append", XC_COMMAND, s_file_users, s_file_append, xc_files_append },
    { "file.status", XC_QUERY, s_file_users, s_file_status, xc_files_status },
    { "file.read", XC_QUERY, s_file_users, s_file_read, xc_files_read },
    { "file.check", XC_QUERY, s_file_checkers, s_file_check, xc_files_check },
    /* as referral.list: anyone may ask, and reads what the list would give it whole */
    { "referral.search", XC_QUERY, s_anyone, s_search, referral_search },
};

const xc_route_t *
referral_routes (size_t *n)
{
    *n = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
