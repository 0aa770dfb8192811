/*  xc-referral: leads to discipline bodies and handovers to departments, tracked to an outcome
    (docs/services/referral.md). */
#include <string.h>

#include "services/referral/referral.h"

static referral_t s_referral;

static const xc_migration_t s_migrations[] = {
    { "create referrals",
      "CREATE TABLE referrals ("
      " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, problem INTEGER,"
      " title TEXT NOT NULL, content TEXT NOT NULL, state TEXT NOT NULL, method TEXT,"
      " referred_on TEXT NOT NULL, due TEXT NOT NULL, due_start TEXT NOT NULL,"
      " due_policy TEXT NOT NULL, due_explain TEXT NOT NULL, alert_next TEXT,"
      " disposed_on TEXT, concluded_on TEXT, created_by TEXT NOT NULL, UNIQUE (problem, kind));"
      "CREATE INDEX referrals_by_target ON referrals (target, id);"
      "CREATE INDEX referrals_alerting ON referrals (alert_next) WHERE alert_next IS NOT NULL;"
      "CREATE TABLE referral_history ("
      " referral INTEGER NOT NULL REFERENCES referrals (id), n INTEGER NOT NULL,"
      " action TEXT NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL,"
      " PRIMARY KEY (referral, n)) WITHOUT ROWID;"
      "CREATE TABLE outcomes ("
      " referral INTEGER NOT NULL REFERENCES referrals (id), n INTEGER NOT NULL,"
      " case_filed INTEGER NOT NULL, party_sanctions INTEGER NOT NULL,"
      " administrative_sanctions INTEGER NOT NULL, organizational_handling INTEGER NOT NULL,"
      " detentions INTEGER NOT NULL, prosecution_transfers INTEGER NOT NULL, note TEXT,"
      " reported_on TEXT NOT NULL, PRIMARY KEY (referral, n)) WITHOUT ROWID;"
      "CREATE TABLE alerts (referral INTEGER NOT NULL REFERENCES referrals (id),"
      " due TEXT NOT NULL, alert TEXT NOT NULL, PRIMARY KEY (referral, due, alert)) WITHOUT ROWID;" },
};

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

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    referral_t *referral = state;
    return referral_policy_load (&referral->policy, xc_service_config (service), err);
}

/*  "to:<target>": only the office and that target read the message; "alert:<target>" (no
    content: warnings, overdue, extensions) also the services, so notify can route it. */
static bool
s_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    (void) state;
    bool alert = strncmp (visibility, "alert:", 6) == 0;
    if (!alert && strncmp (visibility, "to:", 3) != 0)
        return true;
    const char *target = visibility + (alert ? 6 : 3);
    return strcmp (reader->role, "office") == 0 || strcmp (reader->iss, target) == 0
           || (alert && strcmp (reader->role, "service") == 0);
}

static const char *const s_sources[] = { "intake", NULL };

int
main (int argc, char **argv)
{
    const xc_service_def_t def = {
        .name = "referral",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = s_routes,
        .n_routes = sizeof s_routes / sizeof s_routes[0],
        .event_readers = s_anyone,
        .state = &s_referral,
        .start = s_start,
        .tick = referral_tick,
        .event_visible = s_event_visible,
        .sources = s_sources,
        .apply = referral_apply,
    };
    return xc_service_main (&def, argc, argv);
}
