/*  rounds.c: inspection rounds, their targets, their stages, and the report deadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/schema.h"
#include "services/intake/intake.h"

static const char *const s_stages[] = { "planned", "stationed", "withdrawn", "reported",
                                        "feedback_delivered", "rectifying",
                                        "rectification_reported", "evaluated", "closed" };
#define N_STAGES ((int) (sizeof s_stages / sizeof s_stages[0]))

static int
s_stage_index (const char *stage)
{
    for (int i = 0; i < N_STAGES; i++)
        if (strcmp (s_stages[i], stage) == 0)
            return i;
    return -1;
}

/*  A JSON array read back from a column that intake itself wrote. */
static json_t *
s_column_json (sqlite3_stmt *stmt, int column)
{
    json_t *v = json_loads ((const char *) sqlite3_column_text (stmt, column), 0, NULL);
    return v ? v : json_array ();
}

#define ROUND_COLUMNS                                                                      \
    "id, name, kind, theme, prior_round, modes, audit_ref, team, planned_start, planned_end,"  \
    " stage, owner_district, organ, year, link_kind, link_round, link_by, link_district"

/* The policy, for the organ of rounds opened before rounds had one (the city's). */
static const intake_policy_t *s_policy;

void
intake_rounds_init (const intake_policy_t *policy)
{
    s_policy = policy;
}

/*  The link's member for each kind (docs/services/intake.md, "round.open"). */
static const char *const s_link_members[][2] = { { "linked", "round" }, { "crossed", "by" },
                                                 { "raised", "district" } };

/*  A round's link from its columns (14: kind; 15-17: round, by, district), or null. */
static json_t *
s_link_json (sqlite3_stmt *stmt)
{
    const char *kind = (const char *) sqlite3_column_text (stmt, 14);
    if (!kind)
        return json_null ();
    for (int i = 0; i < 3; i++)
        if (strcmp (kind, s_link_members[i][0]) == 0)
            return json_pack ("{s:s, s:o}", "kind", kind, s_link_members[i][1],
                              xc_column_text (stmt, 15 + i));
    return json_null ();
}

static json_t *
s_round_row (sqlite3_stmt *stmt)
{
    const char *district = (const char *) sqlite3_column_text (stmt, 11);
    const char *organ = (const char *) sqlite3_column_text (stmt, 12);
    json_t *owner = json_pack ("{s:s, s:o, s:s}", "level", district ? "district" : "city",
                               "district", xc_column_text (stmt, 11), "organ",
                               organ ? organ : s_policy ? s_policy->organ_city : "");
    return json_pack ("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o}",
                      "id", xc_column_text (stmt, 0), "name", xc_column_text (stmt, 1),
                      "kind", xc_column_text (stmt, 2), "theme", xc_column_text (stmt, 3),
                      "prior_round", xc_column_text (stmt, 4), "modes", s_column_json (stmt, 5),
                      "audit_ref", xc_column_text (stmt, 6), "team", xc_column_text (stmt, 7),
                      "planned_start", xc_column_text (stmt, 8),
                      "planned_end", xc_column_text (stmt, 9), "stage", xc_column_text (stmt, 10),
                      "owner", owner, "year", (json_int_t) sqlite3_column_int64 (stmt, 13),
                      "link", s_link_json (stmt));
}

/*  Fills round[key] with the rows of sql (one text parameter: the round id), two columns each. */
static int
s_round_pairs (xc_call_t *call, json_t *round, const char *key, const char *sql,
               const char *first, const char *second)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, json_string_value (json_object_get (round, "id")), -1, SQLITE_TRANSIENT);
    json_t *list = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *pair = json_pack ("{s:o, s:o}", first, xc_column_text (stmt, 0), second,
                                  xc_column_text (stmt, 1));
        /* a look-back's target that its prior round did not inspect (lookback_new_targets) */
        if (sqlite3_column_count (stmt) > 2 && sqlite3_column_int (stmt, 2))
            json_object_set_new (pair, "addition", json_true ());
        json_array_append_new (list, pair);
    }
    sqlite3_reset (stmt);
    json_object_set_new (round, key, list);
    return 0;
}

json_t *
intake_round_json (xc_call_t *call, const char *id)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT " ROUND_COLUMNS " FROM rounds WHERE id = ?1");
    if (!stmt)
        return NULL;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    json_t *round = sqlite3_step (stmt) == SQLITE_ROW ? s_round_row (stmt) : NULL;
    sqlite3_reset (stmt);
    if (round
        && (s_round_pairs (call, round, "targets",
                           "SELECT unit, coverage, addition FROM round_targets WHERE round = ?1 ORDER BY unit",
                           "unit", "coverage") != 0
            || s_round_pairs (call, round, "stages",
                              "SELECT stage, date FROM round_stages WHERE round = ?1"
                              " ORDER BY stage_index", "stage", "date") != 0)) {
        json_decref (round);
        return NULL;
    }
    return round;
}

/*  The checks of round.open that the schema cannot express. */
static int
s_open_rules (xc_call_t *call, const json_t *data)
{
    const char *kind = json_string_value (json_object_get (data, "kind"));
    bool special = strcmp (kind, "special") == 0, lookback = strcmp (kind, "lookback") == 0;
    if (special != (json_object_get (data, "theme") != NULL))
        return xc_call_fail (call, XC_E_SCHEMA, special ? "data.theme: a special round needs a theme"
                                                        : "data.theme: only a special round has a theme");
    if (lookback != (json_object_get (data, "prior_round") != NULL))
        return xc_call_fail (call, XC_E_SCHEMA,
                             lookback ? "data.prior_round: a look-back round names the round it re-inspects"
                                      : "data.prior_round: only a look-back round has a prior round");
    bool audit_linked = false;
    const json_t *modes = json_object_get (data, "modes");
    for (size_t i = 0; i < json_array_size (modes); i++) {
        const char *mode = json_string_value (json_array_get (modes, i));
        audit_linked = audit_linked || strcmp (mode, "audit_linked") == 0;
        for (size_t k = 0; k < i; k++)
            if (strcmp (mode, json_string_value (json_array_get (modes, k))) == 0)
                return xc_call_fail (call, XC_E_SCHEMA, "data.modes: '%s' twice", mode);
    }
    if (audit_linked != (json_object_get (data, "audit_ref") != NULL))
        return xc_call_fail (call, XC_E_SCHEMA,
                             audit_linked ? "data.audit_ref: an audit-linked round names the audit"
                                          : "data.audit_ref: only an audit-linked round has one");
    const char *start = json_string_value (json_object_get (data, "planned_start"));
    const char *end = json_string_value (json_object_get (data, "planned_end"));
    if (strcmp (end, start) < 0)
        return xc_call_fail (call, XC_E_SCHEMA, "data.planned_end: before planned_start");
    const json_t *targets = json_object_get (data, "targets");
    for (size_t i = 0; i < json_array_size (targets); i++)
        for (size_t k = 0; k < i; k++)
            if (json_equal (json_object_get (json_array_get (targets, i), "unit"),
                            json_object_get (json_array_get (targets, k), "unit")))
                return xc_call_fail (call, XC_E_SCHEMA, "data.targets[%zu]: unit '%s' twice", i,
                                     json_string_value (json_object_get (json_array_get (targets, i), "unit")));
    return 0;
}

/*  The round's owner: "city" (default) or a registered district, and the organ that runs it
    (given, or the policy's: the city's, or the district's name and the policy's suffix). */
static int
s_owner (xc_call_t *call, const intake_t *intake, const json_t *data, const char *owner,
         const char **district, char *organ, size_t size)
{
    const char *given = json_string_value (json_object_get (data, "organ"));
    *district = NULL;
    if (!owner || strcmp (owner, "city") == 0) {
        snprintf (organ, size, "%s", given ? given : intake->policy.organ_city);
        return 0;
    }
    json_t *unit = intake_unit_json (call, owner);
    if (!unit)
        return xc_call_fail (call, XC_E_NOT_FOUND, "data.owner: no unit '%s' (the owner is \"city\""
                             " or a district's unit id)", owner);
    int rc = 0;
    if (strcmp (json_string_value (json_object_get (unit, "level")), "district") != 0)
        rc = xc_call_fail (call, XC_E_SCHEMA, "data.owner: unit '%s' is of level '%s', not a district",
                           owner, json_string_value (json_object_get (unit, "level")));
    else {
        *district = owner;
        int n = given ? snprintf (organ, size, "%s", given)
                      : snprintf (organ, size, "%s%s", json_string_value (json_object_get (unit, "name")),
                                  intake->policy.organ_district_suffix);
        if (n < 0 || (size_t) n >= size || n > 200)
            rc = xc_call_fail (call, XC_E_SCHEMA, "data.organ: the district's organ name is longer"
                               " than 200 bytes; give it in organ");
    }
    json_decref (unit);
    return rc;
}

/*  A look-back's targets that its prior round did not inspect: refused (conflict naming
    them) or marked additions, by policy. additions gets a boolean per target. */
static int
s_lookback_targets (xc_call_t *call, const intake_t *intake, const char *prior,
                    const json_t *targets, json_t *additions)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM round_targets WHERE round = ?1 AND unit = ?2");
    if (!stmt)
        return -1;
    char missing[1024] = "";
    size_t used = 0;
    for (size_t i = 0; i < json_array_size (targets); i++) {
        const char *unit = json_string_value (json_object_get (json_array_get (targets, i), "unit"));
        sqlite3_bind_text (stmt, 1, prior, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
        bool inspected = sqlite3_step (stmt) == SQLITE_ROW;
        sqlite3_reset (stmt);
        json_array_append_new (additions, json_boolean (!inspected));
        if (!inspected && used < sizeof missing - 80)
            used += (size_t) snprintf (missing + used, sizeof missing - used, "%s%s",
                                       used ? ", " : "", unit);
    }
    if (used && !intake->policy.lookback_additions)
        return xc_call_fail (call, XC_E_CONFLICT, "a look-back re-inspects its prior round's targets:"
                             " %s %s not a target of round '%s'", missing,
                             strchr (missing, ',') ? "were" : "was", prior);
    return 0;
}

/*  A unit that names a district: registered (not_found) and of level district (schema). */
static int
s_district_unit (xc_call_t *call, const char *id, const char *what)
{
    json_t *unit = intake_unit_json (call, id);
    if (!unit)
        return xc_call_fail (call, XC_E_NOT_FOUND, "%s: no unit '%s'", what, id);
    const char *level = json_string_value (json_object_get (unit, "level"));
    int rc = strcmp (level, "district") == 0
                 ? 0 : xc_call_fail (call, XC_E_SCHEMA, "%s: unit '%s' is of level '%s', not a district",
                                     what, id, level);
    json_decref (unit);
    return rc;
}

/*  Every target in district, or the call fails with code, naming the first that is not. */
static int
s_targets_in (xc_call_t *call, const json_t *targets, const char *district, xc_code_t code,
              const char *why)
{
    for (size_t i = 0; i < json_array_size (targets); i++) {
        const char *unit = json_string_value (json_object_get (json_array_get (targets, i), "unit"));
        int in = intake_unit_in_district (call, unit, district);
        if (in < 0)
            return -1;
        if (!in)
            return xc_call_fail (call, code, "data.targets[%zu]: unit '%s' is not in district '%s'%s",
                                 i, unit, district, why);
    }
    return 0;
}

/*  round.open's link (docs/services/intake.md): its one member checked for its kind; *kind and
    *ref are NULL for an ordinary round. owner is the round's district (NULL: the city's);
    sender the district office opening it (NULL: the city office). */
static int
s_link (xc_call_t *call, const json_t *data, const char *owner, const char *sender,
        const char **kind, const char **ref)
{
    const json_t *link = json_object_get (data, "link");
    *kind = *ref = NULL;
    if (!link || json_is_null (link))
        return 0;
    if (!json_is_object (link))
        return xc_call_fail (call, XC_E_SCHEMA, "data.link: expected an object or null");
    xc_err_t err;
    if (xc_schema_check (link, intake_link_fields, "data.link", &err) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "%s", err.text);
    *kind = json_string_value (json_object_get (link, "kind"));
    for (int i = 0; i < 3; i++) {
        bool mine = strcmp (*kind, s_link_members[i][0]) == 0;
        bool present = json_object_get (link, s_link_members[i][1]) != NULL;
        if (mine && !present)
            return xc_call_fail (call, XC_E_SCHEMA, "data.link.%s: missing for '%s'", s_link_members[i][1], *kind);
        if (!mine && present)
            return xc_call_fail (call, XC_E_SCHEMA, "data.link.%s: not for '%s'", s_link_members[i][1], *kind);
        if (mine)
            *ref = json_string_value (json_object_get (link, s_link_members[i][1]));
    }
    const json_t *targets = json_object_get (data, "targets");
    if (strcmp (*kind, "linked") == 0) {
        if (!owner)
            return xc_call_fail (call, XC_E_SCHEMA, "data.link: a linked round (联动) is a district's,"
                                 " linked to a city round; this round's owner is the city");
        json_t *city = intake_round_json (call, *ref);
        if (!city)
            return xc_call_fail (call, XC_E_NOT_FOUND, "data.link.round: no round '%s'", *ref);
        bool city_owned = json_is_null (json_object_get (json_object_get (city, "owner"), "district"));
        json_decref (city);
        if (!city_owned)
            return xc_call_fail (call, XC_E_SCHEMA, "data.link.round: round '%s' is not the city's", *ref);
        return 0;
    }
    if (strcmp (*kind, "crossed") == 0) {
        if (sender)
            return xc_call_fail (call, XC_E_FORBIDDEN, "data.link: only the city office opens a"
                                 " crossed round (交叉巡察)");
        if (!owner)
            return xc_call_fail (call, XC_E_SCHEMA, "data.link: a crossed round (交叉巡察) is owned by"
                                 " the district whose units it inspects; this round's owner is the city");
        if (s_district_unit (call, *ref, "data.link.by") != 0)
            return -1;
        if (strcmp (*ref, owner) == 0)
            return xc_call_fail (call, XC_E_SCHEMA, "data.link.by: '%s' is the owner; a crossed round's"
                                 " teams come from another district", *ref);
        return s_targets_in (call, targets, owner, XC_E_SCHEMA,
                             " (a crossed round inspects the owner district's units)");
    }
    /* raised */
    if (owner)
        return xc_call_fail (call, XC_E_SCHEMA, "data.link: a raised round (提级巡察) is the city's;"
                             " this round's owner is '%s'", owner);
    if (s_district_unit (call, *ref, "data.link.district") != 0)
        return -1;
    return s_targets_in (call, targets, *ref, XC_E_SCHEMA,
                         " (a raised round inspects units that district would)");
}

static int
s_stage_insert (xc_call_t *call, const char *round, int index, const char *date)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO round_stages (round, stage_index, stage, date)"
                                            " VALUES (?1, ?2, ?3, ?4)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 2, index);
    sqlite3_bind_text (stmt, 3, s_stages[index], -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, date, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record the stage");
}

int
intake_round_open (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *id = json_string_value (json_object_get (data, "id"));
    const char *sender;
    if (xc_call_district (call, &sender) != 0 || s_open_rules (call, data) != 0)
        return -1;
    /* a district office opens its own district's rounds */
    const char *owner = json_string_value (json_object_get (data, "owner"));
    if (sender && owner && strcmp (owner, sender) != 0)
        return xc_call_fail (call, XC_E_FORBIDDEN, "data.owner: a district office opens rounds of"
                             " its own district '%s', not of '%s'", sender, owner);
    if (sender)
        owner = sender;
    json_t *existing = intake_round_json (call, id);
    if (existing) {
        json_decref (existing);
        return xc_call_fail (call, XC_E_CONFLICT, "round '%s' exists already", id);
    }
    const char *prior = json_string_value (json_object_get (data, "prior_round"));
    if (prior) {
        json_t *p = intake_round_json (call, prior);
        /* a district office sees only the rounds it owns or reads */
        bool seen = p && (!sender || intake_round_scope (p, sender) != INTAKE_SCOPE_NONE);
        json_decref (p);
        if (!seen)
            return xc_call_fail (call, XC_E_NOT_FOUND, "no prior round '%s'", prior);
    }
    char date[XC_DATE_LEN + 1];
    const char *given = json_string_value (json_object_get (data, "date"));
    if (given)
        snprintf (date, sizeof date, "%s", given);
    else
        xc_date_format (xc_call_today (call), date);
    const json_t *targets = json_object_get (data, "targets");
    for (size_t i = 0; i < json_array_size (targets); i++) {
        const char *unit = json_string_value (json_object_get (json_array_get (targets, i), "unit"));
        if (intake_unit_usable (call, unit, date) != 0)
            return -1;
    }
    if (sender && s_targets_in (call, targets, sender, XC_E_FORBIDDEN, "") != 0)
        return -1;
    char organ[512];
    const char *district = NULL, *link_kind, *link_ref;
    if (s_owner (call, state, data, owner, &district, organ, sizeof organ) != 0
        || s_link (call, data, district, sender, &link_kind, &link_ref) != 0)
        return -1;
    json_t *additions = json_array ();
    if (prior && s_lookback_targets (call, state, prior, targets, additions) != 0) {
        json_decref (additions);
        return -1;
    }
    json_t *modes = json_object_get (data, "modes");
    char *modes_text = modes ? json_dumps (modes, JSON_COMPACT) : strdup ("[]");
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO rounds (id, name, kind, theme, prior_round, modes, audit_ref, team,"
        " planned_start, planned_end, stage, stage_index, owner_district, organ, year,"
        " link_kind, link_round, link_by, link_district)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'planned', 0, ?11, ?12,"
        " CAST (substr (?9, 1, 4) AS INTEGER), ?13, ?14, ?15, ?16)");
    if (!stmt || !modes_text) {
        free (modes_text);
        json_decref (additions);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 11, district, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 12, organ, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 13, link_kind, -1, SQLITE_TRANSIENT);
    for (int i = 0; i < 3; i++)
        sqlite3_bind_text (stmt, 14 + i, link_kind && strcmp (link_kind, s_link_members[i][0]) == 0
                                             ? link_ref : NULL, -1, SQLITE_TRANSIENT);
    const char *columns[] = { "id", "name", "kind", "theme", "prior_round", NULL, "audit_ref",
                              "team", "planned_start", "planned_end" };
    for (int i = 0; i < 10; i++)
        sqlite3_bind_text (stmt, i + 1,
                           columns[i] ? json_string_value (json_object_get (data, columns[i])) : modes_text,
                           -1, SQLITE_TRANSIENT);
    free (modes_text);
    if (xc_call_exec (call, stmt, "unable to open the round") != 0
        || s_stage_insert (call, id, 0, date) != 0
        || !(stmt = xc_call_stmt (call, "INSERT INTO round_targets (round, unit, coverage, addition)"
                                        " VALUES (?1, ?2, ?3, ?4)"))) {
        json_decref (additions);
        return -1;
    }
    for (size_t i = 0; i < json_array_size (targets); i++) {
        const json_t *t = json_array_get (targets, i);
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (t, "unit")), -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (t, "coverage")), -1, SQLITE_STATIC);
        sqlite3_bind_int (stmt, 4, json_is_true (json_array_get (additions, i)));
        if (xc_call_exec (call, stmt, "unable to record a target") != 0) {
            json_decref (additions);
            return -1;
        }
    }
    json_decref (additions);
    json_t *round = intake_round_json (call, id);
    if (!round)
        return xc_call_fail (call, XC_E_INTERNAL, "round '%s' vanished", id);
    json_t *event = json_pack ("{s:o}", "round", round);
    int rc = xc_call_emit (call, "round.opened", NULL, NULL, event);
    json_decref (event);
    if (rc != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s}", "round", id));
    return 0;
}

int
intake_round_advance (xc_call_t *call, void *state)
{
    const json_t *data = xc_call_msg (call)->data;
    const char *id = json_string_value (json_object_get (data, "round"));
    const char *stage = json_string_value (json_object_get (data, "stage"));
    const char *date = json_string_value (json_object_get (data, "date"));
    const char *district;
    intake_scope_t scope;
    bool exists;
    if (xc_call_district (call, &district) != 0
        || (district && intake_round_id_scope (call, id, district, &scope, &exists) != 0))
        return -1;
    /* a district office moves only the rounds it owns (a crossed round's teams' district
       reads it, the owner runs it) */
    if (district && exists && scope != INTAKE_SCOPE_OWNS)
        return xc_call_fail (call, XC_E_FORBIDDEN, "round '%s' is not owned by district '%s' (a district"
                             " office advances its own rounds)", id, district);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT r.stage_index, s.date FROM rounds r JOIN round_stages s"
        " ON s.round = r.id AND s.stage_index = r.stage_index WHERE r.id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", id);
    }
    int current = sqlite3_column_int (stmt, 0);
    char last_date[XC_DATE_LEN + 1];
    snprintf (last_date, sizeof last_date, "%s", (const char *) sqlite3_column_text (stmt, 1));
    sqlite3_reset (stmt);
    int next = s_stage_index (stage);
    if (next != current + 1)
        return xc_call_fail (call, XC_E_CONFLICT, "round '%s' is at stage '%s'; the next stage is %s%s%s",
                             id, s_stages[current], current + 1 < N_STAGES ? "'" : "",
                             current + 1 < N_STAGES ? s_stages[current + 1] : "none (it is closed)",
                             current + 1 < N_STAGES ? "'" : "");
    if (strcmp (date, last_date) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "date %s is before the stage '%s' of %s", date,
                             s_stages[current], last_date);
    /* Withdrawn: the report is due by policy from that date; a deadline the calendar cannot
       compute (a year without its file) refuses the move rather than never fire. */
    char due_text[XC_DATE_LEN + 1] = "", explain[256] = "", quiet_text[XC_DATE_LEN + 1] = "";
    if (next == s_stage_index ("withdrawn")) {
        const intake_t *intake = state;
        xc_date_t withdrawn, due, today = xc_call_today (call), quiet;
        xc_err_t err;
        char quiet_explain[256];
        xc_date_parse (date, &withdrawn, NULL);     /* the schema checked it */
        if (xc_deadline_compute (xc_call_calendar (call), withdrawn, intake->policy.report_due,
                                 &due, explain, sizeof explain, &err) != 0)
            return xc_call_fail (call, XC_E_CONFLICT, "the report deadline cannot be computed: %s",
                                 err.text);
        xc_date_format (due, due_text);
        /* withdrawn before today (history): quiet a while, so the report loaded next comes
           first (policies.intake.history_quiet) */
        if (withdrawn < today) {
            if (xc_deadline_compute (xc_call_calendar (call), today, intake->policy.history_quiet,
                                     &quiet, quiet_explain, sizeof quiet_explain, &err) != 0)
                return xc_call_fail (call, XC_E_CONFLICT, "the quiet time cannot be computed: %s",
                                     err.text);
            xc_date_format (quiet, quiet_text);
        }
    }
    stmt = xc_call_stmt (call, "UPDATE rounds SET stage = ?2, stage_index = ?3,"
                              " withdrawn_on = CASE WHEN ?2 = 'withdrawn' THEN ?4 ELSE withdrawn_on END,"
                              " report_due = CASE WHEN ?2 = 'withdrawn' THEN ?5 ELSE report_due END,"
                              " report_due_explain = CASE WHEN ?2 = 'withdrawn' THEN ?6"
                              " ELSE report_due_explain END,"
                              " report_quiet_until = CASE WHEN ?2 = 'withdrawn' THEN nullif (?7, '')"
                              " ELSE report_quiet_until END WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 5, due_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, explain, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, quiet_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, stage, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, next);
    sqlite3_bind_text (stmt, 4, date, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to advance the round") != 0
        || s_stage_insert (call, id, next, date) != 0)
        return -1;
    json_t *event = json_pack ("{s:s, s:s, s:s}", "round", id, "stage", stage, "date", date);
    int rc = xc_call_emit (call, "round.advanced", NULL, NULL, event);
    json_decref (event);
    if (rc == 0 && strcmp (stage, "feedback_delivered") == 0)
        rc = intake_problems_feed_back_round (call, state, id, date);
    if (rc != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:s}", "round", id, "stage", stage));
    return 0;
}

/*  A team sees only its own rounds; a district office those it owns or reads. */
static bool
s_may_read (xc_call_t *call, const json_t *round, const char *district)
{
    if (district)
        return intake_round_scope (round, district) != INTAKE_SCOPE_NONE;
    return !xc_call_role_is (call, "team")
           || strcmp (json_string_value (json_object_get (round, "team")), xc_call_iss (call)) == 0;
}

int
intake_round_get (xc_call_t *call, void *state)
{
    (void) state;
    const char *id = json_string_value (json_object_get (xc_call_msg (call)->data, "round"));
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_t *round = intake_round_json (call, id);
    if (!round || !s_may_read (call, round, district)) {
        json_decref (round);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", id);
    }
    xc_call_result (call, round);
    return 0;
}

int
intake_round_list (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *after = json_string_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    /* a district office's rounds through the indexes by owner and by crossing district: the
       same cost however many districts the city has */
    sqlite3_stmt *stmt = xc_call_stmt (call, district
        ? "SELECT " ROUND_COLUMNS " FROM rounds"
          " WHERE (owner_district = ?6 OR link_by = ?6)"
          " AND (?1 IS NULL OR stage = ?1) AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR team = ?3)"
          " AND id > ?4 ORDER BY id LIMIT ?5"
        : "SELECT " ROUND_COLUMNS " FROM rounds"
          " WHERE (?1 IS NULL OR stage = ?1) AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR team = ?3)"
          " AND id > ?4 ORDER BY id LIMIT ?5");
    if (!stmt)
        return -1;
    if (district)
        sqlite3_bind_text (stmt, 6, district, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 1, json_string_value (json_object_get (data, "stage")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "kind")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, xc_call_role_is (call, "team") ? xc_call_iss (call) : NULL, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 5, limit + 1);
    return xc_call_page (call, stmt, limit, s_round_row, "id", "unable to list rounds");
}

/*  Every tick: rounds withdrawn past their report deadline, each announced once. Only those
    past it are read (an index on the due date), however many rounds wait for a report. */
int
intake_rounds_tick (xc_call_t *call, void *state)
{
    (void) state;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id, withdrawn_on, report_due, report_due_explain FROM rounds"
        " WHERE stage = 'withdrawn' AND report_overdue_sent = 0 AND report_due < ?1"
        " AND (report_quiet_until IS NULL OR report_quiet_until <= ?1)"
        " ORDER BY report_due LIMIT 1000");
    if (!stmt)
        return -1;
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_STATIC);
    json_t *due_rounds = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (due_rounds, json_pack ("{s:o, s:o, s:o, s:o}", "round",
                                                      xc_column_text (stmt, 0), "withdrawn_on",
                                                      xc_column_text (stmt, 1), "due",
                                                      xc_column_text (stmt, 2), "explain",
                                                      xc_column_text (stmt, 3)));
    sqlite3_reset (stmt);
    int rc = 0;
    size_t i;
    json_t *event;
    json_array_foreach (due_rounds, i, event) {
        const char *round = json_string_value (json_object_get (event, "round"));
        char key[128];
        snprintf (key, sizeof key, "report_overdue:%s", round);
        sqlite3_stmt *mark = NULL;
        if ((rc = xc_call_begin (call)) != 0
            || (rc = xc_call_emit (call, "round.report_overdue", NULL, key, event)) != 0
            || !(mark = xc_call_stmt (call, "UPDATE rounds SET report_overdue_sent = 1 WHERE id = ?1"))) {
            rc = -1;
            break;
        }
        sqlite3_bind_text (mark, 1, round, -1, SQLITE_TRANSIENT);
        if ((rc = xc_call_exec (call, mark, "unable to mark the round")) != 0)
            break;
    }
    json_decref (due_rounds);
    return rc;
}
