/*  routes.c: the intake service's commands and queries, who may send each and the schema of
    its data (common/service.h). main.c gives them to the service; tests/fuzz checks the schemas
    against hostile data. */
#include "common/files.h"
#include "services/intake/intake.h"

/* a district office (role district) acts within its district: the handlers check the scope
   (district.c; docs/services/intake.md, "District offices") */
static const char *const s_offices[] = { "office", "district", NULL };
/* the office reports only from history, with occurred_on (problems.c) */
static const char *const s_reporters[] = { "team", "petition", "audit", "office", NULL };
/* role public (the gateway's public principal) reads nothing but the public channel */
static const char *const s_everyone[] = { "office", "team", "petition", "audit", "service",
                                          "district", NULL };
static const char *const s_public[] = { "public", NULL };
static const char *const s_public_readers[] = { "public", "office", "district", "team", NULL };
static const char *const s_askers[] = { "office", "district", "team", NULL };
/* the team only when policies.intake.public.contact_readers names it (public.c) */
static const char *const s_contact_readers[] = { "office", "team", NULL };
static const char *const s_round_readers[] = { "office", "team", "service", "district", NULL };
static const char *const s_stats_readers[] = { "office", "service", "district", NULL };
/* evidence files (common/files.h): who reports uploads; who reads problems reads their files
   (intake_file_readable decides which); the public carries uploads but reads nothing back */
static const char *const s_file_uploaders[] = { "team", "petition", "audit", "public", "office",
                                                "district", NULL };
static const char *const s_file_readers[] = { "office", "team", "petition", "audit", "service",
                                              "district", NULL };
static const char *const s_file_checkers[] = { "office", "service", NULL };

static const char *const s_levels[] = { "city_department", "district", "town", "village", "soe",
                                        "school", "hospital", "other", NULL };
static const char *const s_kinds[] = { "regular", "special", "mobile", "lookback", NULL };
static const char *const s_modes[] = { "elevated", "cross", "system", "extended", "linked",
                                       "audit_linked", NULL };
static const char *const s_coverages[] = { "main", "extended", NULL };
static const char *const s_stages[] = { "planned", "stationed", "withdrawn", "reported",
                                        "feedback_delivered", "rectifying",
                                        "rectification_reported", "evaluated", "closed", NULL };
static const char *const s_sources[] = { "inspection_team", "petition", "audit", "public", NULL };
static const char *const s_statuses[] = { "recorded", "classified", "merged", NULL };
static const char *const s_disposition_kinds[] = { "feedback", "lead", "handover",
                                                   "special_report", NULL };
static const char *const s_timeliness[] = { "immediate", "deadline", "long_term", NULL };

static const xc_field_t s_problem_id = { .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX };

#define PAGE_FIELDS                                                                        \
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 500 }

static const xc_field_t s_unit_register[] = {
    { .name = "id", .type = XC_T_ID, .required = true },
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 200 },
    { .name = "level", .type = XC_T_STRING, .required = true, .one_of = s_levels },
    { .name = "parent", .type = XC_T_ID },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_unit_rename[] = {
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 200 },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_new_unit_fields[] = {
    { .name = "id", .type = XC_T_ID, .required = true },
    { .name = "name", .type = XC_T_STRING, .min = 1, .max = 200 },
    { .name = "level", .type = XC_T_STRING, .one_of = s_levels },
    { .name = "parent", .type = XC_T_ID },
    { .name = NULL },
};
static const xc_field_t s_unit_id = { .type = XC_T_ID };
static const xc_field_t s_unit_merge[] = {
    { .name = "from", .type = XC_T_ARRAY, .required = true, .min = 2, .max = 50, .items = &s_unit_id },
    { .name = "into", .type = XC_T_OBJECT, .required = true, .fields = s_new_unit_fields },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_new_unit = { .type = XC_T_OBJECT, .fields = s_new_unit_fields };
static const xc_field_t s_unit_split[] = {
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "into", .type = XC_T_ARRAY, .required = true, .min = 2, .max = 20, .items = &s_new_unit },
    { .name = "successor", .type = XC_T_ID, .required = true },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_unit_get[] = {
    { .name = "unit", .type = XC_T_ID, .required = true }, { .name = NULL } };
static const xc_field_t s_unit_list[] = {
    { .name = "level", .type = XC_T_STRING, .one_of = s_levels },
    { .name = "parent", .type = XC_T_ID },
    { .name = "after", .type = XC_T_ID },
    PAGE_FIELDS, { .name = NULL } };

static const xc_field_t s_target = {
    .type = XC_T_OBJECT,
    .fields = (const xc_field_t[]) {
        { .name = "unit", .type = XC_T_ID, .required = true },
        { .name = "coverage", .type = XC_T_STRING, .required = true, .one_of = s_coverages },
        { .name = NULL } },
};
static const xc_field_t s_mode = { .type = XC_T_STRING, .one_of = s_modes };
static const xc_field_t s_round_open[] = {
    { .name = "id", .type = XC_T_ID, .required = true },
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 200 },
    { .name = "kind", .type = XC_T_STRING, .required = true, .one_of = s_kinds },
    { .name = "theme", .type = XC_T_STRING, .min = 1, .max = 500 },
    { .name = "prior_round", .type = XC_T_ID },
    { .name = "modes", .type = XC_T_ARRAY, .max = 6, .items = &s_mode },
    { .name = "audit_ref", .type = XC_T_STRING, .min = 1, .max = 200 },
    { .name = "team", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "targets", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 2000, .items = &s_target },
    { .name = "planned_start", .type = XC_T_DATE, .required = true },
    { .name = "planned_end", .type = XC_T_DATE, .required = true },
    { .name = "date", .type = XC_T_DATE },
    { .name = "owner", .type = XC_T_ID },
    { .name = "organ", .type = XC_T_STRING, .min = 1, .max = 200 },
    /* {"kind": "linked" | "crossed" | "raised", ...} or null: checked by rounds.c against
       intake_link_fields, as null is allowed */
    { .name = "link", .type = XC_T_ANY },
    { .name = NULL },
};
static const xc_field_t s_round_advance[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    { .name = "stage", .type = XC_T_STRING, .required = true, .one_of = s_stages },
    { .name = "date", .type = XC_T_DATE, .required = true },
    { .name = NULL },
};
static const xc_field_t s_round_get[] = {
    { .name = "round", .type = XC_T_ID, .required = true }, { .name = NULL } };
static const xc_field_t s_round_list[] = {
    { .name = "stage", .type = XC_T_STRING, .one_of = s_stages },
    { .name = "kind", .type = XC_T_STRING, .one_of = s_kinds },
    { .name = "after", .type = XC_T_ID },
    PAGE_FIELDS, { .name = NULL } };

static const xc_field_t s_evidence = {
    .type = XC_T_OBJECT,
    .fields = (const xc_field_t[]) {
        { .name = "file", .type = XC_T_STRING, .required = true, .min = 1, .max = 255 },
        { .name = "sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
        { .name = NULL } },
};
static const xc_field_t s_reporter_fields[] = {
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 100 },
    { .name = "contact", .type = XC_T_STRING, .max = 200 },
    { .name = NULL },
};
static const xc_field_t s_problem_report[] = {
    { .name = "round", .type = XC_T_ID },
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "category", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "summary", .type = XC_T_STRING, .required = true, .min = 1, .max = 500 },
    { .name = "detail", .type = XC_T_STRING, .required = true, .min = 1, .max = 20000 },
    { .name = "severity", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "source", .type = XC_T_STRING, .required = true, .one_of = s_sources },
    { .name = "immediate", .type = XC_T_BOOLEAN },
    { .name = "evidence", .type = XC_T_ARRAY, .max = 50, .items = &s_evidence },
    { .name = "reporter", .type = XC_T_OBJECT, .fields = s_reporter_fields },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_disposition = {
    .type = XC_T_OBJECT,
    .fields = (const xc_field_t[]) {
        { .name = "kind", .type = XC_T_STRING, .required = true, .one_of = s_disposition_kinds },
        { .name = "timeliness", .type = XC_T_STRING, .one_of = s_timeliness },
        { .name = "body", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
        { .name = "department", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
        { .name = "report", .type = XC_T_STRING, .min = 1, .max = 500 },
        { .name = "note", .type = XC_T_STRING, .min = 1, .max = 2000 },
        { .name = NULL } },
};
static const xc_field_t s_problem_classify[] = {
    { .name = "problem", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = "dispositions", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 4, .items = &s_disposition },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_problem_merge[] = {
    { .name = "into", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = "from", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 100, .items = &s_problem_id },
    { .name = "occurred_on", .type = XC_T_DATE },
    { .name = NULL },
};
static const xc_field_t s_problem_get[] = {
    { .name = "problem", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = NULL } };
static const xc_field_t s_problem_list[] = {
    { .name = "round", .type = XC_T_ID },
    { .name = "unit", .type = XC_T_ID },
    { .name = "category", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "source", .type = XC_T_STRING, .one_of = s_sources },
    { .name = "status", .type = XC_T_STRING, .one_of = s_statuses },
    { .name = "after", .type = XC_T_INTEGER, .min = 0, .max = INT64_MAX },
    PAGE_FIELDS, { .name = NULL } };

/* problem.search (docs/services/intake.md, "Search"): q is 1-100 characters (checked by the
   handler; up to 4 bytes each here) */
static const xc_field_t s_problem_search[] = {
    { .name = "q", .type = XC_T_STRING, .required = true, .min = 1, .max = 400 },
    { .name = "round", .type = XC_T_ID },
    { .name = "owner", .type = XC_T_ID },
    { .name = "unit", .type = XC_T_ID },
    { .name = "category", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "year", .type = XC_T_INTEGER, .min = 2000, .max = 2100 },
    { .name = "state", .type = XC_T_STRING, .one_of = s_statuses },
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 100 },
    { .name = "offset", .type = XC_T_INTEGER, .min = 0, .max = 1000 },
    { .name = NULL } };

/* The filters every *.stats query takes (docs/services/intake.md, "intake.stats"); "owner" is
   "city", "district" or a district's unit id. */
static const xc_field_t s_stats[] = {
    { .name = "round", .type = XC_T_ID },
    { .name = "owner", .type = XC_T_ID },
    { .name = "year", .type = XC_T_INTEGER, .min = 2000, .max = 2100 },
    { .name = "kind", .type = XC_T_STRING, .one_of = s_kinds },
    { .name = "mode", .type = XC_T_STRING, .one_of = s_modes },
    { .name = "category", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "unit_level", .type = XC_T_STRING, .one_of = s_levels },
    { .name = NULL } };

/* the public channel (public.c): code_hash is base64url of the receipt code's 32-byte hash;
   text limits are the policy's (policies.intake.public.text_bytes), checked by the handler */
static const xc_field_t s_sealed_fields[] = {
    { .name = "epk", .type = XC_T_STRING, .required = true, .min = 43, .max = 43 },
    { .name = "nonce", .type = XC_T_STRING, .required = true, .min = 32, .max = 32 },
    { .name = "box", .type = XC_T_STRING, .required = true, .min = 22, .max = 2048 },
    { .name = NULL },
};
static const xc_field_t s_public_info[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    { .name = "unit", .type = XC_T_ID },
    { .name = NULL } };
static const xc_field_t s_public_report[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "text", .type = XC_T_STRING, .required = true, .min = 1, .max = 20000 },
    { .name = "code_hash", .type = XC_T_STRING, .required = true, .min = 43, .max = 43 },
    { .name = "contact_sealed", .type = XC_T_OBJECT, .fields = s_sealed_fields },
    { .name = "evidence", .type = XC_T_ARRAY, .max = 50, .items = &s_evidence },
    { .name = NULL } };
static const xc_field_t s_public_status[] = {
    { .name = "code_hash", .type = XC_T_STRING, .required = true, .min = 43, .max = 43 },
    { .name = NULL } };
static const xc_field_t s_public_answer[] = {
    { .name = "code_hash", .type = XC_T_STRING, .required = true, .min = 43, .max = 43 },
    { .name = "question", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = "text", .type = XC_T_STRING, .required = true, .min = 1, .max = 20000 },
    { .name = "evidence", .type = XC_T_ARRAY, .max = 50, .items = &s_evidence },
    { .name = NULL } };
static const xc_field_t s_problem_ask[] = {
    { .name = "problem", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = "text", .type = XC_T_STRING, .required = true, .min = 1, .max = 20000 },
    { .name = NULL } };
static const xc_field_t s_file_begin[] = XC_FILES_BEGIN_FIELDS;
static const xc_field_t s_file_append[] = XC_FILES_APPEND_FIELDS;
static const xc_field_t s_file_status[] = XC_FILES_STATUS_FIELDS;
static const xc_field_t s_file_read[] = XC_FILES_READ_FIELDS;
static const xc_field_t s_file_check[] = XC_FILES_CHECK_FIELDS;

static const xc_route_t s_routes[] = {
    { "unit.register", XC_COMMAND, s_offices, s_unit_register, intake_unit_register },
    { "unit.rename", XC_COMMAND, s_offices, s_unit_rename, intake_unit_rename },
    { "unit.merge", XC_COMMAND, s_offices, s_unit_merge, intake_unit_merge },
    { "unit.split", XC_COMMAND, s_offices, s_unit_split, intake_unit_split },
    { "round.open", XC_COMMAND, s_offices, s_round_open, intake_round_open },
    { "round.advance", XC_COMMAND, s_offices, s_round_advance, intake_round_advance },
    { "problem.report", XC_COMMAND, s_reporters, s_problem_report, intake_problem_report },
    { "problem.classify", XC_COMMAND, s_offices, s_problem_classify, intake_problem_classify },
    { "problem.merge", XC_COMMAND, s_offices, s_problem_merge, intake_problem_merge },
    { "unit.get", XC_QUERY, s_everyone, s_unit_get, intake_unit_get },
    { "unit.list", XC_QUERY, s_everyone, s_unit_list, intake_unit_list },
    { "round.get", XC_QUERY, s_round_readers, s_round_get, intake_round_get },
    { "round.list", XC_QUERY, s_round_readers, s_round_list, intake_round_list },
    { "problem.get", XC_QUERY, s_everyone, s_problem_get, intake_problem_get },
    { "problem.list", XC_QUERY, s_everyone, s_problem_list, intake_problem_list },
    /* who may list problems may search them, each reading what its list shows */
    { "problem.search", XC_QUERY, s_everyone, s_problem_search, intake_problem_search },
    /* whoever may report or read problems may know their categories (data {}) */
    { "problem.categories", XC_QUERY, s_everyone, NULL, intake_problem_categories },
    { "intake.stats", XC_QUERY, s_stats_readers, s_stats, intake_stats },
    { "public.info", XC_QUERY, s_public_readers, s_public_info, intake_public_info },
    { "public.report", XC_COMMAND, s_public, s_public_report, intake_public_report },
    { "public.status", XC_QUERY, s_public, s_public_status, intake_public_status },
    { "public.answer", XC_COMMAND, s_public, s_public_answer, intake_public_answer },
    { "problem.ask", XC_COMMAND, s_askers, s_problem_ask, intake_problem_ask },
    /* a command, not a query: each opening is recorded (an event) before the contact is shown */
    { "problem.contact", XC_COMMAND, s_contact_readers, s_problem_get, intake_problem_contact },
    { "file.begin", XC_COMMAND, s_file_uploaders, s_file_begin, xc_files_begin },
    { "file.append", XC_COMMAND, s_file_uploaders, s_file_append, xc_files_append },
    { "file.status", XC_QUERY, s_file_uploaders, s_file_status, xc_files_status },
    { "file.read", XC_QUERY, s_file_readers, s_file_read, xc_files_read },
    { "file.check", XC_QUERY, s_file_checkers, s_file_check, xc_files_check },
};

static const char *const s_link_kinds[] = { "linked", "crossed", "raised", NULL };
/* round.open's link (not null): one kind and its one member, checked in rounds.c */
const xc_field_t intake_link_fields[] = {
    { .name = "kind", .type = XC_T_STRING, .required = true, .one_of = s_link_kinds },
    { .name = "round", .type = XC_T_ID },
    { .name = "by", .type = XC_T_ID },
    { .name = "district", .type = XC_T_ID },
    { .name = NULL },
};

const xc_route_t *
intake_routes (size_t *n)
{
    *n = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}
