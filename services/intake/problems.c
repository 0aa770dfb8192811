/*  problems.c: problems from every channel, their classification, merging and feedback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/files.h"
#include "services/intake/intake.h"

/*  Emits an event about problem id (data stolen), keeping its outbox id: problem.get gives the
    problem's events with their seq and hash (the sources a formal document names). */
static int
s_emit (xc_call_t *call, const char *type, const char *visibility, const char *key, json_t *data, json_int_t id)
{
    if (!data)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    int rc = xc_call_emit_filed (call, type, visibility, key, data,
                                 "INSERT OR IGNORE INTO problem_events (problem, event_id) VALUES (?1, ?2)", id);
    json_decref (data);
    return rc;
}

#define FEEDBACK_STAGE 4             /* index of feedback_delivered in a round's stages */

#define PROBLEM_COLUMNS                                                                    \
    "p.id, p.round, p.unit, p.category, p.summary, p.severity, p.source, p.immediate,"    \
    " p.reported_by, p.reported_at, p.status, p.merged_into, p.feedback, p.fed_back_on,"   \
    " p.reporter IS NOT NULL, p.detail, p.evidence, p.found_on, p.unit_level, p.from_history"

/*  A problem's fields as a list shows them (without detail and evidence); NULL strings are
    null. */
typedef struct {
    json_int_t id;
    const char *round, *unit, *category, *summary, *severity, *source;
    bool immediate;
    const char *reported_by;
    int64_t reported_at;
    const char *status;
    bool merged;
    json_int_t merged_into;
    const char *feedback, *fed_back_on;
    bool has_reporter;
    const char *found_on, *unit_level;
    bool from_history;
} s_problem_t;

static json_t *
s_text (const char *text)
{
    return text ? json_string (text) : json_null ();
}

/*  A problem as a list shows it: the one place its shape is written, for a row read back and
    for a problem just reported alike. */
static json_t *
s_problem_value (const s_problem_t *p)
{
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (p->reported_at, at);
    return json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:s, s:o, s:o, s:o, s:o, s:b,"
                      " s:o, s:o, s:b}",
                      "id", p->id, "round", s_text (p->round), "unit", s_text (p->unit),
                      "category", s_text (p->category), "summary", s_text (p->summary),
                      "severity", s_text (p->severity), "source", s_text (p->source),
                      "immediate", p->immediate, "reported_by", s_text (p->reported_by),
                      "reported_at", at, "status", s_text (p->status),
                      "merged_into", p->merged ? json_integer (p->merged_into) : json_null (),
                      "feedback", s_text (p->feedback), "fed_back_on", s_text (p->fed_back_on),
                      "has_reporter", p->has_reporter, "found_on", s_text (p->found_on),
                      "unit_level", s_text (p->unit_level), "recorded_from_history", p->from_history);
}

static const char *
s_column (sqlite3_stmt *stmt, int column)
{
    return (const char *) sqlite3_column_text (stmt, column);
}

/*  A problem row (PROBLEM_COLUMNS) without its detail and evidence. */
static json_t *
s_problem_row (sqlite3_stmt *stmt)
{
    s_problem_t p = {
        .id = (json_int_t) sqlite3_column_int64 (stmt, 0), .round = s_column (stmt, 1),
        .unit = s_column (stmt, 2), .category = s_column (stmt, 3),
        .summary = s_column (stmt, 4), .severity = s_column (stmt, 5),
        .source = s_column (stmt, 6), .immediate = sqlite3_column_int (stmt, 7),
        .reported_by = s_column (stmt, 8), .reported_at = sqlite3_column_int64 (stmt, 9),
        .status = s_column (stmt, 10), .merged = sqlite3_column_type (stmt, 11) != SQLITE_NULL,
        .merged_into = (json_int_t) sqlite3_column_int64 (stmt, 11),
        .feedback = s_column (stmt, 12), .fed_back_on = s_column (stmt, 13),
        .has_reporter = sqlite3_column_int (stmt, 14),
        .found_on = s_column (stmt, 17), .unit_level = s_column (stmt, 18),
        .from_history = sqlite3_column_int (stmt, 19),
    };
    return s_problem_value (&p);
}

/*  Fills problem[key] with the rows of sql (parameter 1: the problem id). */
static int
s_problem_list_of (xc_call_t *call, json_t *problem, const char *key, const char *sql,
                   json_t *(*row) (sqlite3_stmt *))
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, json_integer_value (json_object_get (problem, "id")));
    json_t *list = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (list, row (stmt));
    sqlite3_reset (stmt);
    json_object_set_new (problem, key, list);
    return 0;
}

static json_t *
s_source_value (json_int_t origin, const char *source, const char *reported_by, int64_t reported_at)
{
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (reported_at, at);
    return json_pack ("{s:I, s:o, s:o, s:s}", "problem", origin, "source", s_text (source),
                      "reported_by", s_text (reported_by), "reported_at", at);
}

static json_t *
s_source_row (sqlite3_stmt *stmt)
{
    return s_source_value ((json_int_t) sqlite3_column_int64 (stmt, 0), s_column (stmt, 1),
                           s_column (stmt, 2), sqlite3_column_int64 (stmt, 3));
}

static json_t *
s_disposition_row (sqlite3_stmt *stmt)
{
    const char *kind = (const char *) sqlite3_column_text (stmt, 0);
    json_t *d = json_pack ("{s:s}", "kind", kind);
    const char *target_key = strcmp (kind, "lead") == 0 ? "body"
                             : strcmp (kind, "handover") == 0 ? "department"
                             : strcmp (kind, "special_report") == 0 ? "report" : NULL;
    if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        json_object_set_new (d, "timeliness", xc_column_text (stmt, 1));
    if (target_key)
        json_object_set_new (d, target_key, xc_column_text (stmt, 2));
    if (sqlite3_column_type (stmt, 3) != SQLITE_NULL)
        json_object_set_new (d, "note", xc_column_text (stmt, 3));
    return d;
}

/*  The whole problem, with detail, evidence, sources and dispositions; the encrypted reporter
    blob is left to the caller. NULL when absent. */
static json_t *
s_problem_json (xc_call_t *call, json_int_t id)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT " PROBLEM_COLUMNS " FROM problems p WHERE p.id = ?1");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *problem = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        problem = s_problem_row (stmt);
        json_object_set_new (problem, "detail", xc_column_text (stmt, 15));
        json_t *evidence = json_loads ((const char *) sqlite3_column_text (stmt, 16), 0, NULL);
        json_object_set_new (problem, "evidence", evidence ? evidence : json_array ());
    }
    sqlite3_reset (stmt);
    if (problem
        && (s_problem_list_of (call, problem, "sources",
                               "SELECT origin, source, reported_by, reported_at FROM problem_sources"
                               " WHERE problem = ?1 ORDER BY origin", s_source_row) != 0
            || s_problem_list_of (call, problem, "dispositions",
                                  "SELECT kind, timeliness, target, note FROM dispositions"
                                  " WHERE problem = ?1 ORDER BY kind", s_disposition_row) != 0)) {
        json_decref (problem);
        return NULL;
    }
    return problem;
}

/*  Adds to an event about a problem what every such event carries (docs/services/intake.md,
    "Events"): the category with its path and names, the unit's level, the round's name,
    owner and link (null without a round). */
static int
s_context (xc_call_t *call, const intake_t *intake, const json_t *problem, json_t *event)
{
    const char *category = json_string_value (json_object_get (problem, "category"));
    const intake_category_t *cat = intake_policy_category_find (&intake->policy, category);
    json_object_set_new (event, "category", s_text (category));
    json_object_set_new (event, "category_path", intake_policy_category_path (&intake->policy, category));
    /* a category the policy no longer has keeps its id as its name */
    json_object_set_new (event, "category_name", json_string (cat ? cat->name_path : category));
    json_object_set (event, "unit_level", json_object_get (problem, "unit_level"));
    const char *round_id = json_string_value (json_object_get (problem, "round"));
    json_t *round = round_id ? intake_round_json (call, round_id) : NULL;
    if (round_id && !round)
        return xc_call_fail (call, XC_E_INTERNAL, "round '%s' vanished", round_id);
    json_object_set (event, "round_name", round ? json_object_get (round, "name") : json_null ());
    json_object_set (event, "round_owner", round ? json_object_get (round, "owner") : json_null ());
    json_object_set (event, "round_link", round ? json_object_get (round, "link") : json_null ());
    json_decref (round);
    return 0;
}

static bool
s_is_lead (const json_t *problem)
{
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get (problem, "dispositions"), i, d)
        if (strcmp (json_string_value (json_object_get (d, "kind")), "lead") == 0)
            return true;
    return false;
}

/*  Who may read a problem: the office and services all, but a lead only the restricted readers
    (the office and referral by default: only they and the receiving body learn of a lead); a
    team those of its rounds; a reporting bureau or channel those it reported. */
static bool
s_may_read (xc_call_t *call, const intake_t *intake, const json_t *problem)
{
    if (xc_call_role_is (call, "office") || xc_call_role_is (call, "service"))
        return !s_is_lead (problem)
               || intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal);
    if (xc_call_role_is (call, "team")) {
        const char *round = json_string_value (json_object_get (problem, "round"));
        json_t *r = round ? intake_round_json (call, round) : NULL;
        bool own = r && strcmp (json_string_value (json_object_get (r, "team")), xc_call_iss (call)) == 0;
        json_decref (r);
        return own;
    }
    return strcmp (json_string_value (json_object_get (problem, "reported_by")), xc_call_iss (call)) == 0;
}

/*  What a district office is to a problem: its round's scope (NONE without a round). */
static int
s_district_scope (xc_call_t *call, const json_t *problem, const char *district, intake_scope_t *scope)
{
    bool exists;
    return intake_round_id_scope (call, json_string_value (json_object_get (problem, "round")), district,
                                  scope, &exists);
}

/*  A district office acts on the problems of the rounds it owns: forbidden otherwise. */
static int
s_district_acts (xc_call_t *call, const json_t *problem, const char *district)
{
    intake_scope_t scope;
    if (!district)
        return 0;
    if (s_district_scope (call, problem, district, &scope) != 0)
        return -1;
    if (scope == INTAKE_SCOPE_OWNS)
        return 0;
    json_int_t id = json_integer_value (json_object_get (problem, "id"));
    return json_is_null (json_object_get (problem, "round"))
               ? xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld has no round: the city office"
                               " handles it", (long long) id)
               : xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld is of round '%s', not owned by"
                               " district '%s'", (long long) id,
                               json_string_value (json_object_get (problem, "round")), district);
}

static const char *
s_source_of_role (const char *role)
{
    static const char *const map[][2] = { { "team", "inspection_team" }, { "petition", "petition" },
                                          { "audit", "audit" }, { "public", "public" } };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp (map[i][0], role) == 0)
            return map[i][1];
    return NULL;
}


/*  Whether unit is a target of round. */
static int
s_is_target (xc_call_t *call, const char *round, const char *unit, bool *target)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM round_targets WHERE round = ?1 AND unit = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    *target = sqlite3_step (stmt) == SQLITE_ROW;
    sqlite3_reset (stmt);
    return 0;
}

/*  The report's rules on source, round and unit (docs/services/intake.md). */
static int
s_report_rules (xc_call_t *call, const intake_t *intake, const json_t *data, const char *found_on)
{
    const char *source = json_string_value (json_object_get (data, "source"));
    const char *own = s_source_of_role (xc_call_role (call));
    /* the office records another's report from paper: any source, with its date */
    bool office = xc_call_role_is (call, "office");
    if (office && !json_object_get (data, "occurred_on"))
        return xc_call_fail (call, XC_E_FORBIDDEN, "the office reports a problem only from history,"
                             " with occurred_on (the day it was found)");
    if (!office && (!own || strcmp (own, source) != 0))
        return xc_call_fail (call, XC_E_FORBIDDEN, "role '%s' reports only with source '%s'",
                             xc_call_role (call), own ? own : "none");
    const char *category = json_string_value (json_object_get (data, "category"));
    if (!intake_policy_category (&intake->policy, category))
        return xc_call_fail (call, XC_E_SCHEMA, "data.category: '%s' is not a category of this deployment", category);
    const char *severity = json_string_value (json_object_get (data, "severity"));
    if (!intake_policy_severity (&intake->policy, severity))
        return xc_call_fail (call, XC_E_SCHEMA, "data.severity: '%s' is not a severity of this deployment", severity);
    const json_t *evidence = json_object_get (data, "evidence");
    for (size_t i = 0; i < json_array_size (evidence); i++)
        if (!xc_hex64 (json_string_value (json_object_get (json_array_get (evidence, i), "sha256")), true))
            return xc_call_fail (call, XC_E_SCHEMA, "data.evidence[%zu].sha256: expected 64 hex digits", i);

    const char *unit = json_string_value (json_object_get (data, "unit"));
    if (intake_unit_usable (call, unit, found_on) != 0)
        return -1;
    const char *round_id = json_string_value (json_object_get (data, "round"));
    bool team = xc_call_role_is (call, "team");
    if (!round_id)
        return team ? xc_call_fail (call, XC_E_SCHEMA, "data.round: a team reports into its round") : 0;
    json_t *round = intake_round_json (call, round_id);
    if (!round)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round_id);
    int rc = 0;
    bool target = false;
    const char *stage = json_string_value (json_object_get (round, "stage"));
    /* the office from history: the round's stage is not checked (it is no team), its targets are */
    if (team && strcmp (json_string_value (json_object_get (round, "team")), xc_call_iss (call)) != 0)
        rc = xc_call_fail (call, XC_E_FORBIDDEN, "round '%s' is not this team's", round_id);
    else if (team && strcmp (stage, "stationed") != 0 && strcmp (stage, "withdrawn") != 0
             && strcmp (stage, "reported") != 0)
        rc = xc_call_fail (call, XC_E_FORBIDDEN, "round '%s' is at stage '%s': a team reports while"
                           " stationed, withdrawn or reported", round_id, stage);
    else if ((rc = s_is_target (call, round_id, unit, &target)) == 0 && !target)
        rc = xc_call_fail (call, team ? XC_E_FORBIDDEN : XC_E_CONFLICT,
                           "unit '%s' is not a target of round '%s'", unit, round_id);
    json_decref (round);
    return rc;
}

int
intake_problem_report (xc_call_t *call, void *state)
{
    json_int_t id;
    if (intake_problem_record (call, state, xc_call_msg (call)->data, &id) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I}", "problem", id));
    return 0;
}

int
intake_problem_record (xc_call_t *call, const intake_t *intake, const json_t *data, json_int_t *id_out)
{
    const xc_msg_t *msg = xc_call_msg (call);
    char found_on[XC_DATE_LEN + 1];
    bool historical;
    if (xc_call_occurred_on (call, data, intake->policy.history_role_list, found_on, &historical) < 0
        || s_report_rules (call, intake, data, found_on) != 0)
        return -1;
    json_t *unit_row = intake_unit_json (call, json_string_value (json_object_get (data, "unit")));
    char unit_level[XC_NAME_MAX] = "";
    if (unit_row)
        snprintf (unit_level, sizeof unit_level, "%s", json_string_value (json_object_get (unit_row, "level")));
    json_decref (unit_row);
    bool from_history = historical && xc_call_role_is (call, "office");
    const json_t *evidence = json_object_get (data, "evidence");
    char *evidence_text = evidence ? json_dumps (evidence, JSON_COMPACT) : strdup ("[]");
    int64_t now = xc_call_now (call);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO problems (round, unit, category, summary, detail, severity, source, immediate,"
        " evidence, reported_by, reported_at, status, found_on, unit_level, from_history)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'recorded', ?12, ?13, ?14)");
    if (!stmt || !evidence_text) {
        free (evidence_text);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    const char *texts[] = { "round", "unit", "category", "summary", "detail", "severity", "source" };
    for (int i = 0; i < 7; i++)
        sqlite3_bind_text (stmt, i + 1, json_string_value (json_object_get (data, texts[i])), -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 8, json_is_true (json_object_get (data, "immediate")));
    sqlite3_bind_text (stmt, 9, evidence_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 10, msg->iss, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 11, now);
    sqlite3_bind_text (stmt, 12, found_on, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 13, unit_level, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 14, from_history);
    free (evidence_text);
    if (xc_call_exec (call, stmt, "unable to record the problem") != 0)
        return -1;
    json_int_t id = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));

    stmt = xc_call_stmt (call, "INSERT INTO problem_sources (problem, origin, source, reported_by,"
                              " reported_at) VALUES (?1, ?1, ?2, ?3, ?4)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "source")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, msg->iss, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, now);
    if (xc_call_exec (call, stmt, "unable to record the source") != 0)
        return -1;

    /* stored evidence files are linked to the problem now (no half upload is named) */
    if (xc_files_link (call, evidence, "problem", (long long) id) != 0)
        return -1;

    const json_t *reporter = json_object_get (data, "reporter");
    if (reporter) {
        unsigned char *blob;
        size_t len;
        if (intake_identity_seal (intake, id, reporter, &blob, &len) != 0)
            return xc_call_fail (call, XC_E_INTERNAL, "unable to encrypt the reporter");
        stmt = xc_call_stmt (call, "UPDATE problems SET reporter = ?2 WHERE id = ?1");
        if (stmt) {
            sqlite3_bind_int64 (stmt, 1, id);
            sqlite3_bind_blob (stmt, 2, blob, (int) len, SQLITE_TRANSIENT);
        }
        free (blob);
        if (!stmt || xc_call_exec (call, stmt, "unable to store the reporter") != 0)
            return -1;
    }
    /* the problem as s_problem_json would read it back, from what was just written */
    const char *source = json_string_value (json_object_get (data, "source"));
    s_problem_t fields = {
        .id = id, .round = json_string_value (json_object_get (data, "round")),
        .unit = json_string_value (json_object_get (data, "unit")),
        .category = json_string_value (json_object_get (data, "category")),
        .summary = json_string_value (json_object_get (data, "summary")),
        .severity = json_string_value (json_object_get (data, "severity")), .source = source,
        .immediate = json_is_true (json_object_get (data, "immediate")),
        .reported_by = msg->iss, .reported_at = now, .status = "recorded",
        .has_reporter = reporter != NULL, .found_on = found_on, .unit_level = unit_level,
        .from_history = from_history,
    };
    json_t *problem = s_problem_value (&fields);
    if (!problem
        || json_object_set_new (problem, "detail",
                                json_incref (json_object_get (data, "detail"))) != 0
        || json_object_set_new (problem, "evidence",
                                evidence ? json_incref ((json_t *) evidence) : json_array ()) != 0
        || json_object_set_new (problem, "sources",
                                json_pack ("[o]", s_source_value (id, source, msg->iss, now))) != 0
        || json_object_set_new (problem, "dispositions", json_array ()) != 0) {
        json_decref (problem);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_t *event = json_pack ("{s:o, s:s}", "problem", problem, "occurred_on", found_on);
    if (!event || s_context (call, intake, problem, event) != 0) {
        json_decref (event);
        return -1;
    }
    if (from_history)
        json_object_set_new (event, "recorded_from_history", json_true ());
    if (s_emit (call, "problem.recorded", INTAKE_RESTRICTED, NULL, event, id) != 0)
        return -1;
    *id_out = id;
    return 0;
}

/*  Appends problem.fed_back for one problem (once: keyed by the problem) and dates it. */
static int
s_feed_back (xc_call_t *call, const intake_t *intake, json_int_t id, const char *date)
{
    json_t *p = s_problem_json (call, id);
    if (!p)
        return xc_call_fail (call, XC_E_INTERNAL, "problem %lld vanished", (long long) id);
    static const char *const keys[] = { "round", "unit", "category", "summary", "detail",
                                        "severity", "immediate", "found_on", NULL };
    json_t *event = xc_json_pick (p, keys);
    json_object_set_new (event, "problem", json_integer (id));
    json_object_set (event, "timeliness", json_object_get (p, "feedback"));
    json_object_set_new (event, "fed_back_on", json_string (date));
    json_object_set_new (event, "occurred_on", json_string (date));
    int rc = s_context (call, intake, p, event);
    json_decref (p);
    if (rc != 0) {
        json_decref (event);
        return -1;
    }
    char key[64];
    snprintf (key, sizeof key, "fed_back:%lld", (long long) id);
    if (s_emit (call, "problem.fed_back", NULL, key, event, id) != 0)
        return -1;
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE problems SET fed_back_on = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, date, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to date the feedback");
}

int
intake_problems_feed_back_round (xc_call_t *call, const intake_t *intake, const char *round,
                                 const char *date)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT id FROM problems WHERE round = ?1 AND status ="
                                            " 'classified' AND feedback IS NOT NULL AND fed_back_on"
                                            " IS NULL ORDER BY id");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    json_t *ids = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (ids, json_integer (sqlite3_column_int64 (stmt, 0)));
    sqlite3_reset (stmt);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size (ids); i++)
        rc = s_feed_back (call, intake, json_integer_value (json_array_get (ids, i)), date);
    json_decref (ids);
    return rc;
}

/*  Each kind has its one target member; the others are refused. */
static int
s_disposition_rules (xc_call_t *call, const json_t *dispositions)
{
    static const char *const targets[][2] = { { "feedback", "timeliness" }, { "lead", "body" },
                                              { "handover", "department" },
                                              { "special_report", "report" } };
    for (size_t i = 0; i < json_array_size (dispositions); i++) {
        const json_t *d = json_array_get (dispositions, i);
        const char *kind = json_string_value (json_object_get (d, "kind"));
        for (size_t k = 0; k < i; k++)
            if (strcmp (kind, json_string_value (json_object_get (json_array_get (dispositions, k), "kind"))) == 0)
                return xc_call_fail (call, XC_E_SCHEMA, "data.dispositions[%zu]: '%s' twice", i, kind);
        for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
            bool mine = strcmp (targets[t][0], kind) == 0;
            bool present = json_object_get (d, targets[t][1]) != NULL;
            if (mine && !present)
                return xc_call_fail (call, XC_E_SCHEMA, "data.dispositions[%zu].%s: missing for '%s'",
                                     i, targets[t][1], kind);
            if (!mine && present)
                return xc_call_fail (call, XC_E_SCHEMA, "data.dispositions[%zu].%s: not for '%s'",
                                     i, targets[t][1], kind);
        }
        if (strcmp (kind, "feedback") == 0 && json_object_get (d, "note"))
            return xc_call_fail (call, XC_E_SCHEMA, "data.dispositions[%zu].note: not for 'feedback'", i);
    }
    return 0;
}

/*  Whether a problem fed back now is fed back at once: immediate, no round, or the round has
    delivered its feedback already. */
static int
s_feedback_now (xc_call_t *call, const json_t *problem, const char *timeliness, bool *now)
{
    const char *round = json_string_value (json_object_get (problem, "round"));
    *now = strcmp (timeliness, "immediate") == 0 || !round;
    if (*now)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT stage_index FROM rounds WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    *now = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) >= FEEDBACK_STAGE;
    sqlite3_reset (stmt);
    return 0;
}

int
intake_problem_classify (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    char day[XC_DATE_LEN + 1];
    if (xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0)
        return -1;
    json_int_t id = json_integer_value (json_object_get (data, "problem"));
    const json_t *dispositions = json_object_get (data, "dispositions");
    if (s_disposition_rules (call, dispositions) != 0)
        return -1;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_t *problem = s_problem_json (call, id);
    if (!problem)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id);
    int rc = -1;
    if (s_district_acts (call, problem, district) != 0)
        goto done;
    const char *status = json_string_value (json_object_get (problem, "status"));
    if (strcmp (status, "recorded") != 0) {
        xc_call_fail (call, XC_E_CONFLICT, "problem %lld is %s already", (long long) id, status);
        goto done;
    }
    const char *found_on = json_string_value (json_object_get (problem, "found_on"));
    if (found_on && strcmp (day, found_on) < 0) {
        xc_call_fail (call, XC_E_CONFLICT, "problem %lld cannot be classified on %s, before it was"
                      " found on %s", (long long) id, day, found_on);
        goto done;
    }
    const char *timeliness = NULL;
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO dispositions (problem, kind, timeliness,"
                                            " target, note) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt)
        goto done;
    for (size_t i = 0; i < json_array_size (dispositions); i++) {
        const json_t *d = json_array_get (dispositions, i);
        const char *kind = json_string_value (json_object_get (d, "kind"));
        const char *target = json_string_value (json_object_get (d, "body"));
        target = target ? target : json_string_value (json_object_get (d, "department"));
        target = target ? target : json_string_value (json_object_get (d, "report"));
        if (strcmp (kind, "feedback") == 0)
            timeliness = json_string_value (json_object_get (d, "timeliness"));
        sqlite3_bind_int64 (stmt, 1, id);
        sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (d, "timeliness")), -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 4, target, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (d, "note")), -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to record the disposition") != 0)
            goto done;
    }
    stmt = xc_call_stmt (call, "UPDATE problems SET status = 'classified', feedback = ?2,"
                              " classified_on = ?3 WHERE id = ?1");
    if (!stmt)
        goto done;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, timeliness, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, day, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to classify the problem") != 0)
        goto done;

    json_t *classified = json_pack ("{s:I, s:O, s:s}", "problem", id, "dispositions", dispositions,
                                    "occurred_on", day);
    if (!classified || s_context (call, intake, problem, classified) != 0) {
        json_decref (classified);
        goto done;
    }
    if (s_emit (call, "problem.classified", INTAKE_RESTRICTED, NULL, classified, id) != 0)
        goto done;
    for (size_t i = 0; i < json_array_size (dispositions); i++) {
        /* What a receiving body needs of the problem; a lead also carries its evidence and
           sources, which stay in restricted events. */
        static const char *const lead_keys[] = { "round", "unit", "category", "summary", "detail",
                                                 "severity", "evidence", "sources", NULL };
        static const char *const handover_keys[] = { "round", "unit", "category", "summary",
                                                     "detail", NULL };
        const json_t *d = json_array_get (dispositions, i);
        const char *kind = json_string_value (json_object_get (d, "kind"));
        bool lead = strcmp (kind, "lead") == 0;
        if (!lead && strcmp (kind, "handover") != 0)
            continue;
        json_t *event = xc_json_pick (problem, lead ? lead_keys : handover_keys);
        json_object_set_new (event, "problem", json_integer (id));
        json_object_set (event, lead ? "body" : "department", json_object_get (d, lead ? "body" : "department"));
        json_t *note = json_object_get (d, "note");
        json_object_set_new (event, "note", note ? json_incref (note) : json_null ());
        json_object_set_new (event, "occurred_on", json_string (day));
        json_object_set (event, "found_on", json_object_get (problem, "found_on"));
        if (s_context (call, intake, problem, event) != 0) {
            json_decref (event);
            goto done;
        }
        if (s_emit (call, lead ? "problem.referred" : "problem.handed_over",
                    lead ? INTAKE_RESTRICTED : NULL, NULL, event, id) != 0)
            goto done;
    }
    if (timeliness) {
        bool now;
        if (s_feedback_now (call, problem, timeliness, &now) != 0)
            goto done;
        if (now && s_feed_back (call, intake, id, day) != 0)
            goto done;
    }
    xc_call_result (call, json_pack ("{s:I, s:s}", "problem", id, "status", "classified"));
    rc = 0;
done:
    json_decref (problem);
    return rc;
}

int
intake_problem_merge (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    char day[XC_DATE_LEN + 1];
    if (xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0)
        return -1;
    json_int_t into = json_integer_value (json_object_get (data, "into"));
    const json_t *from = json_object_get (data, "from");
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_t *target = s_problem_json (call, into);
    if (!target)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) into);
    if (s_district_acts (call, target, district) != 0) {
        json_decref (target);
        return -1;
    }
    bool merged = strcmp (json_string_value (json_object_get (target, "status")), "merged") == 0;
    char into_found[XC_DATE_LEN + 1];
    snprintf (into_found, sizeof into_found, "%s", json_string_value (json_object_get (target, "found_on")));
    json_decref (target);
    if (merged)
        return xc_call_fail (call, XC_E_CONFLICT, "problem %lld is merged into another", (long long) into);
    if (into_found[0] && strcmp (day, into_found) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "problems cannot be merged on %s, before problem %lld"
                             " was found on %s", day, (long long) into, into_found);
    for (size_t i = 0; i < json_array_size (from); i++) {
        json_int_t id = json_integer_value (json_array_get (from, i));
        if (id == into)
            return xc_call_fail (call, XC_E_CONFLICT, "problem %lld cannot merge into itself", (long long) id);
        for (size_t k = 0; k < i; k++)
            if (json_integer_value (json_array_get (from, k)) == id)
                return xc_call_fail (call, XC_E_SCHEMA, "data.from[%zu]: %lld twice", i, (long long) id);
        json_t *p = s_problem_json (call, id);
        if (!p)
            return xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id);
        if (s_district_acts (call, p, district) != 0) {
            json_decref (p);
            return -1;
        }
        const char *status = json_string_value (json_object_get (p, "status"));
        const char *found = json_string_value (json_object_get (p, "found_on"));
        int refused = strcmp (status, "recorded") != 0
                          ? xc_call_fail (call, XC_E_CONFLICT, "problem %lld is %s: only a recorded"
                                          " problem merges", (long long) id, status)
                      : found && strcmp (day, found) < 0
                          ? xc_call_fail (call, XC_E_CONFLICT, "problems cannot be merged on %s, before"
                                          " problem %lld was found on %s", day, (long long) id, found)
                          : 0;
        json_decref (p);
        if (refused)
            return -1;
        sqlite3_stmt *move = xc_call_stmt (call, "UPDATE problem_sources SET problem = ?2 WHERE problem = ?1");
        if (!move)
            return -1;
        sqlite3_bind_int64 (move, 1, id);
        sqlite3_bind_int64 (move, 2, into);
        if (xc_call_exec (call, move, "unable to move the sources") != 0)
            return -1;
        sqlite3_stmt *mark = xc_call_stmt (call, "UPDATE problems SET status = 'merged', merged_into = ?2"
                                                " WHERE id = ?1");
        if (!mark)
            return -1;
        sqlite3_bind_int64 (mark, 1, id);
        sqlite3_bind_int64 (mark, 2, into);
        if (xc_call_exec (call, mark, "unable to merge the problem") != 0)
            return -1;
    }
    target = s_problem_json (call, into);
    if (!target)
        return xc_call_fail (call, XC_E_INTERNAL, "problem %lld vanished", (long long) into);
    json_t *event = json_pack ("{s:I, s:O, s:O, s:s}", "into", into, "from", from, "sources",
                               json_object_get (target, "sources"), "occurred_on", day);
    int rc = event ? s_context (call, intake, target, event) : -1;
    json_decref (target);
    if (rc != 0) {
        json_decref (event);
        return -1;
    }
    if (s_emit (call, "problem.merged", NULL, NULL, event, into) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:O}", "into", into, "from", from));
    return 0;
}

int
intake_file_readable (xc_call_t *call, const char *record, void *state)
{
    const intake_t *intake = state;
    long long id;
    if (xc_files_record_id (record, "problem", &id) != 0)
        return 0;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_t *problem = s_problem_json (call, (json_int_t) id);
    if (!problem)
        return 0;
    intake_scope_t scope = INTAKE_SCOPE_NONE;
    int may;
    if (district)
        may = s_district_scope (call, problem, district, &scope) != 0 ? -1 : scope != INTAKE_SCOPE_NONE;
    else
        may = s_may_read (call, intake, problem);
    json_decref (problem);
    return may;
}

int
intake_problem_get (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "problem"));
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_t *problem = s_problem_json (call, id);
    intake_scope_t scope = INTAKE_SCOPE_NONE;
    if (problem && district && s_district_scope (call, problem, district, &scope) != 0) {
        json_decref (problem);
        return -1;
    }
    if (!problem || (district ? scope == INTAKE_SCOPE_NONE : !s_may_read (call, intake, problem))) {
        json_decref (problem);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id);
    }
    /* A team or reporter sees what it reported, but not that it became a lead, nor to whom;
       a district office sees the leads of its own rounds (it classified them), not those of
       a crossed round it only reads. */
    if (scope != INTAKE_SCOPE_OWNS
        && !intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal)) {
        json_t *dispositions = json_object_get (problem, "dispositions");
        for (size_t i = json_array_size (dispositions); i-- > 0;)
            if (strcmp (json_string_value (json_object_get (json_array_get (dispositions, i), "kind")),
                        "lead") == 0)
                json_array_remove (dispositions, i);
    }
    /* Its signed events with their seq and hash (a formal document's sources); the restricted
       ones (recorded, classified, referred) only to whom the dispositions' leads are shown. */
    bool restricted = scope == INTAKE_SCOPE_OWNS
                      || intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal);
    static const char *const event_names[] = { "seq", "type", "hash", NULL };
    json_t *events = xc_call_rows (call, restricted
        ? "SELECT o.seq, o.type, lower (hex (o.hash)) FROM problem_events e JOIN outbox o ON o.id = e.event_id"
          " WHERE e.problem = ?1 ORDER BY o.seq"
        : "SELECT o.seq, o.type, lower (hex (o.hash)) FROM problem_events e JOIN outbox o ON o.id = e.event_id"
          " WHERE e.problem = ?1 AND o.visibility <> '" INTAKE_RESTRICTED "' ORDER BY o.seq", id, event_names, NULL);
    if (!events) {
        json_decref (problem);
        return -1;
    }
    json_object_set_new (problem, "events", events);
    if (intake_public_problem (call, problem) != 0) {
        json_decref (problem);
        return -1;
    }
    /* The reporter's identity is shown only to the inspection office. */
    if (xc_call_role_is (call, "office") && json_is_true (json_object_get (problem, "has_reporter"))) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT reporter FROM problems WHERE id = ?1");
        if (!stmt) {
            json_decref (problem);
            return -1;
        }
        sqlite3_bind_int64 (stmt, 1, id);
        json_t *reporter = NULL;
        if (sqlite3_step (stmt) == SQLITE_ROW)
            reporter = intake_identity_open (intake, id, sqlite3_column_blob (stmt, 0),
                                             (size_t) sqlite3_column_bytes (stmt, 0));
        sqlite3_reset (stmt);
        if (!reporter) {
            json_decref (problem);
            return xc_call_fail (call, XC_E_INTERNAL, "the reporter of problem %lld does not decrypt"
                                 " with this deployment's secret key", (long long) id);
        }
        json_object_set_new (problem, "reporter", reporter);
    }
    xc_call_result (call, problem);
    return 0;
}

/*  Binds the filters both problem lists take to parameters 1-5: round, unit, category (it and
    everything under it, as a JSON array of ids), source, status. */
static void
s_bind_list_filters (sqlite3_stmt *stmt, const intake_t *intake, const json_t *data)
{
    const char *filters[] = { "round", "unit", NULL, "source", "status" };
    for (int i = 0; i < 5; i++)
        if (filters[i])
            sqlite3_bind_text (stmt, i + 1, json_string_value (json_object_get (data, filters[i])), -1, SQLITE_STATIC);
    char *categories = intake_category_ids (intake, data);
    sqlite3_bind_text (stmt, 3, categories, -1, SQLITE_TRANSIENT);
    free (categories);
}

/*  problem.list for a district office: the problems of the rounds it owns or reads, read
    round by round through problems_by_round from the rounds' indexes by owner and crossing
    district, so its cost follows its own problems, not the city's. */
static int
s_district_list (xc_call_t *call, const intake_t *intake, const json_t *data, const intake_reader_t *reader,
                 int limit)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT " PROBLEM_COLUMNS " FROM problems p"
        " WHERE" INTAKE_READER_DISTRICT_SQL
        " AND (?1 IS NULL OR p.round = ?1) AND (?2 IS NULL OR p.unit = ?2)"
        " AND (?3 IS NULL OR p.category IN (SELECT value FROM json_each (?3))) AND (?4 IS NULL OR p.source = ?4)"
        " AND (?5 IS NULL OR p.status = ?5)"
        " AND p.id > ?7 ORDER BY p.id LIMIT ?8");
    if (!stmt)
        return -1;
    s_bind_list_filters (stmt, intake, data);
    intake_reader_bind (stmt, reader);
    sqlite3_bind_int64 (stmt, 7, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 8, limit + 1);
    return xc_call_page (call, stmt, limit, s_problem_row, "id", "unable to list problems");
}

int
intake_problem_list (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    int limit = xc_page_limit (data);
    intake_reader_t reader;
    if (intake_reader_get (call, intake, &reader) != 0)
        return -1;
    if (reader.district)
        return s_district_list (call, intake, data, &reader, limit);
    /* who reads what: scope.c, shared with problem.search */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT " PROBLEM_COLUMNS " FROM problems p"
        " WHERE (?1 IS NULL OR p.round = ?1) AND (?2 IS NULL OR p.unit = ?2)"
        " AND (?3 IS NULL OR p.category IN (SELECT value FROM json_each (?3))) AND (?4 IS NULL OR p.source = ?4)"
        " AND (?5 IS NULL OR p.status = ?5)"
        " AND" INTAKE_READER_SQL
        " AND p.id > ?8 ORDER BY p.id LIMIT ?9");
    if (!stmt)
        return -1;
    s_bind_list_filters (stmt, intake, data);
    intake_reader_bind (stmt, &reader);
    sqlite3_bind_int64 (stmt, 8, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 9, limit + 1);
    return xc_call_page (call, stmt, limit, s_problem_row, "id", "unable to list problems");
}

/*  problem.categories: the categories of the loaded policy (policies.intake.categories, or the
    defaults), in the policy's order, so that a client names them as the service does. */
int
intake_problem_categories (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const intake_policy_t *policy = &intake->policy;
    json_t *list = json_array ();
    for (int i = 0; i < policy->n_categories; i++) {
        const intake_category_t *c = &policy->categories[i];
        json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:o}", "id", c->id, "name", c->name,
                                                "path", c->name_path, "parent",
                                                c->parent >= 0
                                                    ? json_string (policy->categories[c->parent].id)
                                                    : json_null ()));
    }
    xc_call_result (call, json_pack ("{s:o}", "categories", list));
    return 0;
}
