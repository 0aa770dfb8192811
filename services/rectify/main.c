/*  xc-rectify: every unit's rectification from feedback to sign-off, with its deadlines,
    return visits and evaluation (docs/services/rectify.md). */
#include <string.h>

#include "services/rectify/rectify.h"

static rectify_t s_rectify;

static const xc_migration_t s_migrations[] = {
    { "create items",
      "CREATE TABLE units (id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT)"
      " WITHOUT ROWID;"
      "CREATE TABLE rounds (id TEXT PRIMARY KEY, name TEXT NOT NULL, regime TEXT) WITHOUT ROWID;"
      "CREATE TABLE round_targets (round TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (round, unit))"
      " WITHOUT ROWID;"
      "CREATE TABLE items ("
      " id INTEGER PRIMARY KEY, problem INTEGER NOT NULL UNIQUE, round TEXT, unit TEXT NOT NULL,"
      " unit_level TEXT, category TEXT, summary TEXT, detail TEXT, severity TEXT, class TEXT NOT NULL,"
      " regime TEXT NOT NULL, state TEXT NOT NULL, opened_on TEXT NOT NULL, due TEXT, completion TEXT,"
      " claimed_on TEXT, closed_on TEXT);"
      "CREATE INDEX items_by_unit ON items (unit, id);"
      "CREATE INDEX items_by_round ON items (round, unit);"
      "CREATE TABLE measures ("
      " item INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL, text TEXT NOT NULL,"
      " owner TEXT NOT NULL, lead_leader TEXT NOT NULL, deadline TEXT NOT NULL, done_on TEXT,"
      " PRIMARY KEY (item, n)) WITHOUT ROWID;"
      "CREATE TABLE deadlines ("
      " id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES items (id), what TEXT NOT NULL,"
      " measure INTEGER NOT NULL, start TEXT NOT NULL, policy TEXT NOT NULL, due TEXT NOT NULL,"
      " explain TEXT NOT NULL, running INTEGER NOT NULL, alert_next TEXT, extensions TEXT,"
      " UNIQUE (item, what, measure));"
      "CREATE INDEX deadlines_alerting ON deadlines (alert_next) WHERE alert_next IS NOT NULL;"
      "CREATE INDEX deadlines_running ON deadlines (item) WHERE running;"
      "CREATE TABLE alerts (deadline INTEGER NOT NULL REFERENCES deadlines (id), due TEXT NOT NULL,"
      " alert TEXT NOT NULL, PRIMARY KEY (deadline, due, alert)) WITHOUT ROWID;"
      "CREATE TABLE claims ("
      " item INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL, completion TEXT NOT NULL,"
      " evidence TEXT NOT NULL, institutional_measures INTEGER NOT NULL,"
      " money_recovered_fen INTEGER NOT NULL, money_written_off_fen INTEGER NOT NULL,"
      " public_concern_resolved INTEGER NOT NULL, note TEXT, claimed_on TEXT NOT NULL,"
      " decision TEXT, reason TEXT, reviewed_on TEXT, PRIMARY KEY (item, n)) WITHOUT ROWID;"
      "CREATE TABLE item_history ("
      " item INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL, action TEXT NOT NULL,"
      " by TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (item, n)) WITHOUT ROWID;"
      "CREATE TABLE visits ("
      " round TEXT NOT NULL, unit TEXT NOT NULL, feedback_on TEXT NOT NULL, due TEXT NOT NULL,"
      " explain TEXT NOT NULL, alert_next TEXT, recorded_on TEXT, kinds TEXT, note TEXT, recorded_by TEXT,"
      " PRIMARY KEY (round, unit)) WITHOUT ROWID;"
      "CREATE INDEX visits_alerting ON visits (alert_next) WHERE alert_next IS NOT NULL;"
      "CREATE TABLE evaluations ("
      " round TEXT NOT NULL, unit TEXT NOT NULL, leadership INTEGER NOT NULL,"
      " responsibility INTEGER NOT NULL, task_completion INTEGER NOT NULL, satisfaction INTEGER NOT NULL,"
      " score_centi INTEGER NOT NULL, grade TEXT NOT NULL, principal_leader TEXT NOT NULL, note TEXT,"
      " evaluated_on TEXT NOT NULL, evaluated_by TEXT NOT NULL, PRIMARY KEY (round, unit)) WITHOUT ROWID;"
      "CREATE TABLE interviews (round TEXT NOT NULL, unit TEXT NOT NULL, reason TEXT NOT NULL,"
      " PRIMARY KEY (round, unit)) WITHOUT ROWID;" },
};

static const char *const s_office[] = { "office", NULL };
static const char *const s_unit[] = { "unit", NULL };
static const char *const s_readers[] = { "office", "service", "unit", "discipline", "audit", NULL };
static const char *const s_office_service[] = { "office", "service", NULL };
static const char *const s_anyone[] = { "*", NULL };
static const char *const s_states[] = { "opened", "planned", "claimed", "reopened", "closed", NULL };
static const char *const s_classes[] = { "immediate", "deadline", "long_term", NULL };
static const char *const s_completions[] = { "completed", "mostly_completed", NULL };
static const char *const s_decisions[] = { "accept", "reject", NULL };
static const char *const s_deadline_kinds[] = { "item", "plan", "measure", NULL };
static const char *const s_visit_kinds[] = { "return_visit", "special_check", NULL };
static const char *const s_lists[] = { "problems", "tasks", "responsibilities", NULL };

#define ITEM_ID { .name = "item", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX }
#define TEXT(n, req, most) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = most }
#define MONEY(n) { .name = n, .type = XC_T_INTEGER, .min = 0, .max = 10000000000000LL }
#define PART(n) { .name = n, .type = XC_T_INTEGER, .required = true, .min = 0, .max = 100 }

static const xc_field_t s_measure_fields[] = {
    TEXT ("text", true, 2000), TEXT ("owner", true, 100), TEXT ("lead_leader", true, 100),
    { .name = "deadline", .type = XC_T_DATE, .required = true },
    { .name = NULL },
};
static const xc_field_t s_measure = { .type = XC_T_OBJECT, .fields = s_measure_fields };
static const xc_field_t s_plan[] = {
    ITEM_ID,
    { .name = "measures", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 50, .items = &s_measure },
    TEXT ("note", false, 4000),
    { .name = NULL },
};
static const xc_field_t s_measure_n = { .type = XC_T_INTEGER, .min = 1, .max = 50 };
static const xc_field_t s_progress[] = {
    ITEM_ID, TEXT ("note", true, 4000),
    { .name = "measures_done", .type = XC_T_ARRAY, .max = 50, .items = &s_measure_n },
    { .name = NULL },
};
static const xc_field_t s_evidence_fields[] = {
    TEXT ("file", true, 255),
    { .name = "sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },
    { .name = NULL },
};
static const xc_field_t s_evidence = { .type = XC_T_OBJECT, .fields = s_evidence_fields };
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
    { .name = NULL },
};
static const xc_field_t s_review[] = {
    ITEM_ID,
    { .name = "decision", .type = XC_T_STRING, .required = true, .one_of = s_decisions },
    TEXT ("reason", false, 2000),
    { .name = NULL },
};
static const xc_field_t s_extend[] = {
    ITEM_ID,
    { .name = "due", .type = XC_T_DATE, .required = true },
    TEXT ("reason", true, 2000),
    { .name = "deadline", .type = XC_T_STRING, .one_of = s_deadline_kinds },
    { .name = "measure", .type = XC_T_INTEGER, .min = 1, .max = 50 },
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
    PAGE,
    { .name = NULL },
};
static const xc_field_t s_export[] = {
    { .name = "list", .type = XC_T_STRING, .required = true, .one_of = s_lists },
    ROUND_UNIT, PAGE,
    { .name = NULL },
};
static const xc_field_t s_round[] = { { .name = "round", .type = XC_T_ID, .required = true }, { .name = NULL } };
static const xc_field_t s_stats[] = {
    ROUND_UNIT,
    { .name = "from", .type = XC_T_DATE }, { .name = "to", .type = XC_T_DATE },
    { .name = NULL },
};

/*  A unit acts on its own items only and a reader sees only its scope: the handlers check
    that against the item's unit. Anyone else may query and gets nothing (stats count nothing). */
static const xc_route_t s_routes[] = {
    { "rectify.plan", XC_COMMAND, s_unit, s_plan, rectify_plan },
    { "rectify.progress", XC_COMMAND, s_unit, s_progress, rectify_progress },
    { "rectify.claim", XC_COMMAND, s_unit, s_claim, rectify_claim },
    { "rectify.review", XC_COMMAND, s_office, s_review, rectify_review },
    { "rectify.extend", XC_COMMAND, s_office, s_extend, rectify_extend },
    { "rectify.regime", XC_COMMAND, s_office, s_regime, rectify_regime },
    { "rectify.revisit", XC_COMMAND, s_office, s_revisit, rectify_revisit },
    { "rectify.evaluate", XC_COMMAND, s_office, s_evaluate, rectify_evaluate },
    { "rectify.get", XC_QUERY, s_anyone, s_only_item, rectify_get },
    { "rectify.list", XC_QUERY, s_anyone, s_list, rectify_list },
    { "rectify.export", XC_QUERY, s_anyone, s_export, rectify_export },
    { "rectify.round", XC_QUERY, s_office_service, s_round, rectify_round },
    { "rectify.stats", XC_QUERY, s_anyone, s_stats, rectify_stats },
};

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    rectify_t *rectify = state;
    if (rectify_policy_load (&rectify->policy, xc_service_config (service), err) != 0)
        return -1;
    return rectify_scope_load (rectify, xc_store_db (xc_service_store (service)), err);
}

/*  "unit:<unit>": the office, the services, the unit's principals and its supervisors. */
static bool
s_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    if (strncmp (visibility, "unit:", 5) != 0)
        return true;
    return rectify_scope_sees (state, reader, visibility + 5);
}

static const char *const s_sources[] = { "intake", NULL };

int
main (int argc, char **argv)
{
    const xc_service_def_t def = {
        .name = "rectify",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = s_routes,
        .n_routes = sizeof s_routes / sizeof s_routes[0],
        .event_readers = s_readers,
        .state = &s_rectify,
        .start = s_start,
        .tick = rectify_tick,
        .event_visible = s_event_visible,
        .sources = s_sources,
        .apply = rectify_apply,
    };
    int rc = xc_service_main (&def, argc, argv);
    json_decref (s_rectify.parents);
    return rc;
}
