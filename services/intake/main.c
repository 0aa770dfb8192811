/*  xc-intake: units, inspection rounds and problems from every channel
    (docs/services/intake.md). */
#include <sodium.h>
#include <string.h>

#include "common/keys.h"
#include "services/intake/intake.h"

static intake_t s_intake;

/* ------------------------------------------------------------------ schema */

static const xc_migration_t s_migrations[] = {
    { "create units",
      "CREATE TABLE units ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL,"
      " parent TEXT REFERENCES units (id), registered_on TEXT NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX units_by_level ON units (level, id);"
      "CREATE INDEX units_by_parent ON units (parent, id);" },
    { "create rounds",
      "CREATE TABLE rounds ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, theme TEXT,"
      " prior_round TEXT REFERENCES rounds (id), modes TEXT NOT NULL, audit_ref TEXT,"
      " team TEXT NOT NULL, planned_start TEXT NOT NULL, planned_end TEXT NOT NULL,"
      " stage TEXT NOT NULL, stage_index INTEGER NOT NULL, withdrawn_on TEXT,"
      " report_overdue_sent INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
      "CREATE INDEX rounds_by_team ON rounds (team, id);"
      "CREATE INDEX rounds_waiting_report ON rounds (withdrawn_on)"
      " WHERE stage = 'withdrawn' AND report_overdue_sent = 0;"
      "CREATE TABLE round_stages ("
      " round TEXT NOT NULL REFERENCES rounds (id), stage_index INTEGER NOT NULL,"
      " stage TEXT NOT NULL, date TEXT NOT NULL, PRIMARY KEY (round, stage_index)) WITHOUT ROWID;"
      "CREATE TABLE round_targets ("
      " round TEXT NOT NULL REFERENCES rounds (id), unit TEXT NOT NULL REFERENCES units (id),"
      " coverage TEXT NOT NULL, PRIMARY KEY (round, unit)) WITHOUT ROWID;"
      "CREATE INDEX round_targets_by_unit ON round_targets (unit);" },
    { "create problems",
      "CREATE TABLE problems ("
      " id INTEGER PRIMARY KEY, round TEXT REFERENCES rounds (id),"
      " unit TEXT NOT NULL REFERENCES units (id), category TEXT NOT NULL,"
      " summary TEXT NOT NULL, detail TEXT NOT NULL, severity TEXT NOT NULL,"
      " source TEXT NOT NULL, immediate INTEGER NOT NULL, evidence TEXT NOT NULL,"
      " reporter BLOB, reported_by TEXT NOT NULL, reported_at INTEGER NOT NULL,"
      " status TEXT NOT NULL, merged_into INTEGER REFERENCES problems (id),"
      " feedback TEXT, fed_back_on TEXT);"
      "CREATE INDEX problems_by_round ON problems (round, id);"
      "CREATE INDEX problems_by_unit ON problems (unit, id);"
      "CREATE INDEX problems_by_reporter ON problems (reported_by, id);"
      "CREATE TABLE problem_sources ("
      " problem INTEGER NOT NULL REFERENCES problems (id), origin INTEGER NOT NULL,"
      " source TEXT NOT NULL, reported_by TEXT NOT NULL, reported_at INTEGER NOT NULL,"
      " PRIMARY KEY (problem, origin)) WITHOUT ROWID;"
      "CREATE TABLE dispositions ("
      " problem INTEGER NOT NULL REFERENCES problems (id), kind TEXT NOT NULL,"
      " timeliness TEXT, target TEXT, note TEXT, PRIMARY KEY (problem, kind)) WITHOUT ROWID;" },
    /* The report deadline is computed once, when the round is withdrawn, not every tick. */
    { "add round report due",
      "ALTER TABLE rounds ADD COLUMN report_due TEXT;"
      "ALTER TABLE rounds ADD COLUMN report_due_explain TEXT;"
      "DROP INDEX rounds_waiting_report;"
      "CREATE INDEX rounds_report_due ON rounds (report_due)"
      " WHERE stage = 'withdrawn' AND report_overdue_sent = 0;" },
};

/* ------------------------------------------------------------------ routes */

static const char *const s_office[] = { "office", NULL };
static const char *const s_reporters[] = { "team", "petition", "audit", "public", NULL };
static const char *const s_everyone[] = { "office", "team", "petition", "audit", "public", "service", NULL };
static const char *const s_round_readers[] = { "office", "team", "service", NULL };
static const char *const s_stats_readers[] = { "office", "service", NULL };

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
    { .name = NULL },
};
static const xc_field_t s_problem_merge[] = {
    { .name = "into", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = "from", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 100, .items = &s_problem_id },
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

static const xc_route_t s_routes[] = {
    { "unit.register", XC_COMMAND, s_office, s_unit_register, intake_unit_register },
    { "round.open", XC_COMMAND, s_office, s_round_open, intake_round_open },
    { "round.advance", XC_COMMAND, s_office, s_round_advance, intake_round_advance },
    { "problem.report", XC_COMMAND, s_reporters, s_problem_report, intake_problem_report },
    { "problem.classify", XC_COMMAND, s_office, s_problem_classify, intake_problem_classify },
    { "problem.merge", XC_COMMAND, s_office, s_problem_merge, intake_problem_merge },
    { "unit.get", XC_QUERY, s_everyone, s_unit_get, intake_unit_get },
    { "unit.list", XC_QUERY, s_everyone, s_unit_list, intake_unit_list },
    { "round.get", XC_QUERY, s_round_readers, s_round_get, intake_round_get },
    { "round.list", XC_QUERY, s_round_readers, s_round_list, intake_round_list },
    { "problem.get", XC_QUERY, s_everyone, s_problem_get, intake_problem_get },
    { "problem.list", XC_QUERY, s_everyone, s_problem_list, intake_problem_list },
    { "intake.stats", XC_QUERY, s_stats_readers, NULL, intake_stats },
};

/* ------------------------------------------------------------------ hooks */

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    intake_t *intake = state;
    const xc_config_t *cfg = xc_service_config (service);
    const xc_service_conf_t *conf = xc_config_service (cfg, "intake");
    if (intake_policy_load (&intake->policy, cfg, err) != 0)
        return -1;
    if (!conf->secret_key)
        return xc_err_set (err, XC_E_CONFIG,
                           "services.intake.secret_key: missing (it encrypts reporter identities)");
    return xc_secret_load (intake->secret, conf->secret_key, err);
}

static bool
s_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    const intake_t *intake = state;
    if (strcmp (visibility, INTAKE_RESTRICTED) != 0)
        return true;
    return intake_policy_restricted_reader (&intake->policy, reader);
}

int
main (int argc, char **argv)
{
    /* Event readers come from the policy, which is read at start: the def keeps a pointer to
       the list that s_start fills. */
    xc_service_def_t def = {
        .name = "intake",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = s_routes,
        .n_routes = sizeof s_routes / sizeof s_routes[0],
        .event_readers = s_intake.policy.event_role_list,
        .state = &s_intake,
        .start = s_start,
        .tick = intake_rounds_tick,
        .event_visible = s_event_visible,
    };
    int status = xc_service_main (&def, argc, argv);
    sodium_memzero (s_intake.secret, sizeof s_intake.secret);
    return status;
}
