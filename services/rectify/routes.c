/*  routes.c: the rectify service's commands and queries, who may send each and the schema of
    its data (common/service.h). main.c gives them to the service; tests/fuzz checks the schemas
    against hostile data. */
#include "common/files.h"
#include "services/rectify/rectify.h"

/* the office sends a unit's command only to record it from history (with occurred_on) */
static const char *const s_unit_or_office[] = { "unit", "office", NULL };
/* a district office (区县巡察办) directs the items of the rounds its district owns: the handlers
   check the round (districts.c) */
static const char *const s_offices[] = { "office", "district", NULL };
static const char *const s_readers[] = { "office", "service", "district", NULL };
static const char *const s_anyone[] = { "*", NULL };
static const char *const s_states[] = { "opened", "planned", "claimed", "reopened", "closed", NULL };
static const char *const s_classes[] = { "immediate", "deadline", "long_term", NULL };
static const char *const s_completions[] = { "completed", "mostly_completed", NULL };
static const char *const s_decisions[] = { "accept", "reject", NULL };
static const char *const s_deadline_kinds[] = { "item", "plan", "measure", NULL };
static const char *const s_visit_kinds[] = { "return_visit", "special_check", NULL };
static const char *const s_lists[] = { "problems", "tasks", "responsibilities", NULL };
static const char *const s_kinds[] = { "regular", "special", "mobile", "lookback", NULL };
/* intake's unit levels and round modes (services/intake/routes.c) */
static const char *const s_levels[] = { "city_department", "district", "town", "village", "soe",
                                        "school", "hospital", "other", NULL };
static const char *const s_modes[] = { "elevated", "cross", "system", "extended", "linked",
                                       "audit_linked", NULL };

#define ITEM_ID { .name = "item", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX }
#define TEXT(n, req, most) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = most }
#define MONEY(n) { .name = n, .type = XC_T_INTEGER, .min = 0, .max = 10000000000000LL }
/* the day the fact happened (common/handler.h: xc_call_occurred_on) */
#define OCCURRED_ON { .name = "occurred_on", .type = XC_T_DATE }
#define PART(n) { .name = n, .type = XC_T_INTEGER, .required = true, .min = 0, .max = 100 }

static const xc_field_t s_measure_fields[] = {
    TEXT ("text", true, 2000), TEXT ("owner", true, 100), TEXT ("lead_leader", true, 100),
    { .name = "deadline", .type = XC_T_DATE, .required = true },
    { .name = NULL },
};
static const xc_field_t s_measure = { .type = XC_T_OBJECT, .fields = s_measure_fields };
static const xc_field_t s_evidence_fields[] = {
    TEXT ("file", true, 255),
    { .name = "sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
    { .name = NULL },
};
static const xc_field_t s_evidence = { .type = XC_T_OBJECT, .fields = s_evidence_fields };
static const xc_field_t s_plan[] = {
    ITEM_ID,
    { .name = "measures", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 50, .items = &s_measure },
    { .name = "evidence", .type = XC_T_ARRAY, .max = 50, .items = &s_evidence },
    TEXT ("note", false, 4000),
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_measure_n = { .type = XC_T_INTEGER, .min = 1, .max = 50 };
static const xc_field_t s_progress[] = {
    ITEM_ID, TEXT ("note", true, 4000),
    { .name = "measures_done", .type = XC_T_ARRAY, .max = 50, .items = &s_measure_n },
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_outcome_fields[] = {
    { .name = "institutional_measures", .type = XC_T_INTEGER, .min = 0, .max = 10000 },
    MONEY ("money_recovered_fen"), MONEY ("money_written_off_fen"),
    { .name = "public_concern_resolved", .type = XC_T_BOOLEAN },
    { .name = NULL },
};
static const xc_field_t s_claim[] = {
    ITEM_ID,
    { .name = "completion", .type = XC_T_STRING, .required = true, .one_of = s_completions },
    { .name = "evidence", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 50, .items = &s_evidence },
    { .name = "outcomes", .type = XC_T_OBJECT, .fields = s_outcome_fields },
    TEXT ("note", false, 4000),
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_review[] = {
    ITEM_ID,
    { .name = "decision", .type = XC_T_STRING, .required = true, .one_of = s_decisions },
    TEXT ("reason", false, 2000),
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_extend[] = {
    ITEM_ID,
    { .name = "due", .type = XC_T_DATE, .required = true },
    TEXT ("reason", true, 2000),
    { .name = "deadline", .type = XC_T_STRING, .one_of = s_deadline_kinds },
    { .name = "measure", .type = XC_T_INTEGER, .min = 1, .max = 50 },
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_regime[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    TEXT ("regime", true, RECTIFY_WORD - 1),
    { .name = NULL },
};
static const xc_field_t s_visit_kind = { .type = XC_T_STRING, .one_of = s_visit_kinds };
static const xc_field_t s_revisit[] = {
    { .name = "round", .type = XC_T_ID },
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "date", .type = XC_T_DATE, .required = true },
    { .name = "kinds", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 2, .items = &s_visit_kind },
    TEXT ("note", false, 4000),
    { .name = NULL },
};
static const xc_field_t s_parts_fields[] = {
    PART ("leadership"), PART ("responsibility"), PART ("task_completion"), PART ("satisfaction"),
    { .name = NULL },
};
static const xc_field_t s_leader_fields[] = {
    TEXT ("name", true, 100), TEXT ("title", true, 200),
    { .name = NULL },
};
static const xc_field_t s_evaluate[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "parts", .type = XC_T_OBJECT, .required = true, .fields = s_parts_fields },
    { .name = "principal_leader", .type = XC_T_OBJECT, .required = true, .fields = s_leader_fields },
    TEXT ("note", false, 4000),
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_interview[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    { .name = "unit", .type = XC_T_ID, .required = true },
    { .name = "interviewee", .type = XC_T_OBJECT, .required = true, .fields = s_leader_fields },
    TEXT ("by", true, 200),
    TEXT ("note", false, 4000),
    OCCURRED_ON,
    { .name = NULL },
};
static const xc_field_t s_only_item[] = { ITEM_ID, { .name = NULL } };
#define PAGE \
    { .name = "after", .type = XC_T_INTEGER, .min = 0, .max = INT64_MAX }, \
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 500 }
#define ROUND_UNIT \
    { .name = "round", .type = XC_T_ID }, { .name = "unit", .type = XC_T_ID }
static const xc_field_t s_list[] = {
    ROUND_UNIT,
    { .name = "state", .type = XC_T_STRING, .one_of = s_states },
    { .name = "class", .type = XC_T_STRING, .one_of = s_classes },
    { .name = "overdue", .type = XC_T_BOOLEAN },
    /* the rounds' owner: "city", "district" (every district's) or a district's id */
    { .name = "owner", .type = XC_T_ID },
    PAGE,
    { .name = NULL },
};
static const xc_field_t s_export[] = {
    { .name = "list", .type = XC_T_STRING, .required = true, .one_of = s_lists },
    ROUND_UNIT, PAGE,
    { .name = NULL },
};
static const xc_field_t s_round[] = {
    { .name = "round", .type = XC_T_ID, .required = true },
    { .name = "after", .type = XC_T_ID },
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 2000 },
    { .name = NULL },
};
/* the shared stats filters (docs/protocol.md); owner: "city", "district" or a district's id */
static const xc_field_t s_stats[] = {
    ROUND_UNIT,
    { .name = "from", .type = XC_T_DATE }, { .name = "to", .type = XC_T_DATE },
    { .name = "owner", .type = XC_T_ID },
    { .name = "year", .type = XC_T_INTEGER, .min = 2000, .max = 2100 },
    { .name = "kind", .type = XC_T_STRING, .one_of = s_kinds },
    { .name = "mode", .type = XC_T_STRING, .one_of = s_modes },
    { .name = "category", .type = XC_T_ID },
    { .name = "unit_level", .type = XC_T_STRING, .one_of = s_levels },
    { .name = NULL },
};

/* rectify.search (search.c): words, the list's filters, a page by offset */
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

/* document.issue (documents.c): what the document is and the signed events it was made from */
static const xc_field_t s_source_fields[] = {
    { .name = "service", .type = XC_T_ID, .required = true },
    { .name = "seq", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = "hash", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
    { .name = NULL },
};
static const xc_field_t s_source = { .type = XC_T_OBJECT, .fields = s_source_fields };
static const xc_field_t s_document_issue[] = {
    TEXT ("kind", true, 64),
    { .name = "round", .type = XC_T_ID },      /* none: the city office's (a city special report) */
    { .name = "unit", .type = XC_T_ID },
    TEXT ("title", true, 400), TEXT ("recipient", true, 400),
    { .name = "sources", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 200, .items = &s_source },
    { .name = "content_sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
    /* what the console needs to compose the same document again (a reprint, checked against
       content_sha256): the record it was made from, its 成文日期 and the text typed */
    { .name = "item", .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX },
    { .name = "referral", .type = XC_T_INTEGER, .min = 1, .max = INT64_MAX },
    { .name = "dated", .type = XC_T_DATE },
    TEXT ("text", false, 8000),
    { .name = NULL },
};
static const xc_field_t s_document_get[] = {
    { .name = "document", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = NULL },
};
static const xc_field_t s_document_list[] = {
    ROUND_UNIT,
    TEXT ("kind", false, 64),
    { .name = "year", .type = XC_T_INTEGER, .min = 2000, .max = 2100 },
    PAGE,
    { .name = NULL },
};
static const xc_field_t s_document_kinds[] = {
    { .name = "round", .type = XC_T_ID },
    { .name = NULL },
};
/* the register is the offices' (a district's for its own rounds) and the services' */
static const char *const s_register_readers[] = { "office", "district", "service", NULL };

/*  A unit acts on its own items only and a reader sees only its scope: the handlers check
    that against the item's unit. Anyone else may query and gets nothing (stats count nothing). */
/* evidence files (common/files.h): the unit uploads for its claims and plans (the office too,
   from history); whoever may rectify.get an item reads its files (files.c decides) */
static const char *const s_file_uploaders[] = { "unit", "office", "district", NULL };
static const char *const s_file_readers[] = { "office", "district", "unit", "audit", "discipline", "service", NULL };
static const char *const s_file_checkers[] = { "office", "service", NULL };
static const xc_field_t s_file_begin[] = XC_FILES_BEGIN_FIELDS;
static const xc_field_t s_file_append[] = XC_FILES_APPEND_FIELDS;
static const xc_field_t s_file_status[] = XC_FILES_STATUS_FIELDS;
static const xc_field_t s_file_read[] = XC_FILES_READ_FIELDS;
static const xc_field_t s_file_check[] = XC_FILES_CHECK_FIELDS;

static const xc_route_t s_routes[] = {
    { "rectify.plan", XC_COMMAND, s_unit_or_office, s_plan, rectify_plan },
    { "rectify.progress", XC_COMMAND, s_unit_or_office, s_progress, rectify_progress },
    { "rectify.claim", XC_COMMAND, s_unit_or_office, s_claim, rectify_claim },
    { "rectify.review", XC_COMMAND, s_offices, s_review, rectify_review },
    { "rectify.extend", XC_COMMAND, s_offices, s_extend, rectify_extend },
    { "rectify.regime", XC_COMMAND, s_offices, s_regime, rectify_regime },
    { "rectify.revisit", XC_COMMAND, s_offices, s_revisit, rectify_revisit },
    { "rectify.evaluate", XC_COMMAND, s_offices, s_evaluate, rectify_evaluate },
    { "rectify.interview", XC_COMMAND, s_offices, s_interview, rectify_interview },
    { "rectify.get", XC_QUERY, s_anyone, s_only_item, rectify_get },
    { "rectify.list", XC_QUERY, s_anyone, s_list, rectify_list },
    { "rectify.export", XC_QUERY, s_anyone, s_export, rectify_export },
    { "rectify.round", XC_QUERY, s_readers, s_round, rectify_round },
    { "rectify.stats", XC_QUERY, s_anyone, s_stats, rectify_stats },
    { "document.issue", XC_COMMAND, s_offices, s_document_issue, rectify_document_issue },
    { "document.get", XC_QUERY, s_register_readers, s_document_get, rectify_document_get },
    { "document.list", XC_QUERY, s_register_readers, s_document_list, rectify_document_list },
    { "document.kinds", XC_QUERY, s_register_readers, s_document_kinds, rectify_document_kinds },
    { "file.begin", XC_COMMAND, s_file_uploaders, s_file_begin, xc_files_begin },
    { "file.append", XC_COMMAND, s_file_uploaders, s_file_append, xc_files_append },
    { "file.status", XC_QUERY, s_file_uploaders, s_file_status, xc_files_status },
    { "file.read", XC_QUERY, s_file_readers, s_file_read, xc_files_read },
    { "file.check", XC_QUERY, s_file_checkers, s_file_check, xc_files_check },
    /* as rectify.list: anyone may ask, and reads what the list would give it */
    { "rectify.search", XC_QUERY, s_anyone, s_search, rectify_search },
};

const xc_route_t *
rectify_routes (size_t *n)
{
    *n = sizeof s_routes / sizeof s_routes[0];
    return s_routes;
}

/*  The service's timer: the deadlines' alerts, the return visits', next year's calendar. */
int
rectify_tick (xc_call_t *call, void *state)
{
    rectify_t *rectify = state;
    xc_date_t today = xc_call_today (call);
    int rc = rectify_deadline_tick (call, rectify, today);
    if (rc == 0)
        rc = rectify_visit_tick (call, rectify, today);
    if (rc == 0)
        rc = rectify_calendar_tick (call, rectify, today);
    return rc;
}
