/*  life.c: referrals made from intake's events or by the office, and every transition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "services/referral/referral.h"

int
referral_history (xc_call_t *call, json_int_t id, const char *action, const char *by,
                  json_t *data)
{
    char *text = data ? json_dumps (data, JSON_COMPACT) : NULL;
    json_decref (data);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO referral_history (referral, n, action, by, at, data) VALUES (?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM referral_history WHERE referral = ?1), ?2, ?3, ?4, ?5)");
    if (!stmt || !text) {
        free (text);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, by, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, xc_call_now (call));
    sqlite3_bind_text (stmt, 5, text, -1, SQLITE_TRANSIENT);
    free (text);
    return xc_call_exec (call, stmt, "unable to record the history");
}

int
referral_emit (xc_call_t *call, const char *type, const char *visibility, const char *key, json_t *data)
{
    if (!data)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    int rc = xc_call_emit_filed (call, type, visibility, key, data,
                                 "INSERT OR IGNORE INTO referral_events (referral, event_id) VALUES (?1, ?2)",
                                 json_integer_value (json_object_get (data, "referral")));
    json_decref (data);
    return rc;
}

/*  Emits a referral's event, visible to the office and the target only, and to the office of
    district (its round's owner; NULL or "": the city) as its lead_access allows (data stolen). */
static int
s_emit_private (xc_call_t *call, const char *type, const char *target, const char *district, json_t *data)
{
    char visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8];
    referral_visibility (target, district, false, visibility, sizeof visibility);
    return referral_emit (call, type, visibility, NULL, data);
}

/*  The day a referral loaded from history stops being quiet: applied + history_quiet. */
static xc_date_t
s_quiet_until (xc_call_t *call, const referral_t *referral, xc_date_t applied)
{
    xc_date_t until;
    if (xc_deadline_compute (xc_call_calendar (call), applied, referral->policy.history_quiet, &until, NULL, 0,
                             NULL) != 0)
        until = applied + referral->policy.history_quiet.amount;   /* no calendar file: in days */
    return until;
}

/*  The first alert for due: the largest threshold's day, not before the quiet time is over. */
static xc_date_t
s_first_alert (const referral_rules_t *rules, xc_date_t due, const char *quiet_until)
{
    xc_date_t first = referral_alert_first (rules, due), quiet;
    if (quiet_until && xc_date_parse (quiet_until, &quiet, NULL) == 0 && quiet > first)
        return quiet;
    return first;
}

int
referral_make (xc_call_t *call, const referral_t *referral, const char *kind, const char *target,
               json_int_t problem, const char *title, json_t *content, xc_date_t date,
               const char *by, const referral_origin_t *origin)
{
    xc_date_t due, applied = xc_call_today (call);
    char explain[256], date_text[XC_DATE_LEN + 1], due_text[XC_DATE_LEN + 1], from_text[XC_DATE_LEN + 1];
    char applied_text[XC_DATE_LEN + 1], quiet_text[XC_DATE_LEN + 1], district[REFERRAL_DISTRICT_LEN];
    const char *policy_text;
    /* the rules of the round's owner: a district's own deadlines for its rounds */
    if (referral_round_owner (call, origin->round, district, sizeof district) != 0)
        return -1;
    const referral_rules_t *rules = referral_policy_rules (&referral->policy, district[0] ? district : NULL);
    referral_rules_due (rules, kind, &policy_text);
    if (referral_due (call, rules, kind, date, &due, explain, sizeof explain) != 0)
        return -1;
    xc_date_format (date, date_text);
    xc_date_format (due, due_text);
    xc_date_format (applied, applied_text);
    /* opened from history: quiet for a while, so its disposals and outcomes, loaded right
       after, come before any alert */
    bool quiet = date < applied;
    if (quiet)
        xc_date_format (s_quiet_until (call, referral, applied), quiet_text);
    xc_date_format (s_first_alert (rules, due, quiet ? quiet_text : NULL), from_text);
    json_t *path = origin->category_path ? json_deep_copy (origin->category_path)
                   : origin->category ? json_pack ("[s]", origin->category) : NULL;
    char *content_text = json_dumps (content, JSON_COMPACT);
    char *path_text = path ? json_dumps (path, JSON_COMPACT) : NULL;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO referrals (kind, target, problem, title, content, state, referred_on, due,"
        " due_start, due_policy, due_explain, alert_next, created_by, round, unit, unit_level,"
        " category, category_path, category_name, last_on, applied_on, quiet_until, owner_district,"
        " due_source) VALUES (?1, ?2, ?3, ?4, ?5, 'referred', ?6, ?7, ?6, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
        " ?15, ?16, ?17, ?6, ?18, ?19, ?20, ?21)");
    if (!stmt || !content_text) {
        free (content_text);
        free (path_text);
        json_decref (path);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, target, -1, SQLITE_STATIC);
    if (problem > 0)
        sqlite3_bind_int64 (stmt, 3, problem);
    sqlite3_bind_text (stmt, 4, title, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, content_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 6, date_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, due_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, policy_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, explain, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 10, from_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, by, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 12, origin->round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 13, origin->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 14, origin->unit_level && origin->unit_level[0] ? origin->unit_level : NULL, -1,
                       SQLITE_STATIC);
    sqlite3_bind_text (stmt, 15, origin->category, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 16, path_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 17, origin->category_name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 18, applied_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 19, quiet ? quiet_text : NULL, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 20, district[0] ? district : NULL, -1, SQLITE_STATIC);
    /* which rules set the due date: the district's own span or period end, else the city's */
    int k = strcmp (kind, "lead") == 0 ? 0 : strcmp (kind, "handover") == 0 ? 1 : 2;
    sqlite3_bind_text (stmt, 21, rules->own_due[k] || rules->own_period_end ? rules->source : "city", -1,
                       SQLITE_STATIC);
    free (content_text);
    free (path_text);
    if (xc_call_exec (call, stmt, "unable to make the referral") != 0) {
        json_decref (path);
        return -1;
    }
    json_int_t id = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    /* the category and each one above it, for the category filter (a subtree is one lookup) */
    size_t i;
    const json_t *category;
    json_array_foreach (path, i, category) {
        stmt = xc_call_stmt (call, "INSERT OR IGNORE INTO referral_categories (category, referral) VALUES (?1, ?2)");
        if (!stmt || !json_is_string (category)) {
            json_decref (path);
            return stmt ? xc_call_fail (call, XC_E_SCHEMA, "a category path holds a non-string") : -1;
        }
        sqlite3_bind_text (stmt, 1, json_string_value (category), -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, id);
        if (xc_call_exec (call, stmt, "unable to record the referral's category") != 0) {
            json_decref (path);
            return -1;
        }
    }
    json_t *created = json_pack ("{s:s, s:s}", "due", due_text, "occurred_on", date_text);
    if (quiet)
        json_object_set_new (created, "recorded_from_history", json_true ());
    if (referral_history (call, id, "created", by, created) != 0) {
        json_decref (path);
        return -1;
    }
    json_t *event = json_pack ("{s:I, s:s, s:s, s:s, s:O, s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s*, s:o, s:s*}",
                               "referral", id, "kind", kind, "target", target, "title", title,
                               "content", content, "referred_on", date_text, "occurred_on", date_text,
                               "due", due_text, "round", origin->round, "unit", origin->unit,
                               "unit_level", origin->unit_level && origin->unit_level[0] ? origin->unit_level : NULL,
                               "category", origin->category, "category_path", path ? path : json_null (),
                               "category_name", origin->category_name);
    if (problem > 0)
        json_object_set_new (event, "problem", json_integer (problem));
    if (s_emit_private (call, "referral.created", target, district, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "referral", id, "due", due_text));
    return 0;
}

/*  Whether the problem has a referral of that kind. */
static bool
s_exists (xc_call_t *call, json_int_t problem, const char *kind)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM referrals WHERE problem = ?1 AND kind = ?2");
    if (!stmt)
        return false;
    sqlite3_bind_int64 (stmt, 1, problem);
    sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
    bool exists = sqlite3_step (stmt) == SQLITE_ROW;
    sqlite3_reset (stmt);
    return exists;
}

/*  intake's problem.referred and problem.handed_over become referrals, dated by their
    occurred_on; rounds and units are kept for the figures (units.c); the rest passes. */
int
referral_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state)
{
    const referral_t *referral = state;
    if (strcmp (source, "intake") != 0)
        return 0;
    bool lead = strcmp (event->type, "problem.referred") == 0;
    if (!lead && strcmp (event->type, "problem.handed_over") != 0)
        return event->msg ? referral_units_apply (call, event) : 0;
    if (!event->msg)
        return xc_call_fail (call, XC_E_FORBIDDEN, "intake redacts %s event %lld for referral: make"
                             " referral one of intake's restricted readers", event->type,
                             (long long) event->seq);
    if (referral_units_apply (call, event) != 0)   /* the problem's round */
        return -1;
    const json_t *data = event->msg->data;
    const char *kind = lead ? "lead" : "handover";
    const char *target = json_string_value (json_object_get (data, lead ? "body" : "department"));
    const char *title = json_string_value (json_object_get (data, "summary"));
    json_int_t problem = json_integer_value (json_object_get (data, "problem"));
    if (!target || !title || problem <= 0)
        return xc_call_fail (call, XC_E_SCHEMA, "%s event %lld lacks its target, summary or problem",
                             event->type, (long long) event->seq);
    /* One referral per problem and kind, whatever intake sends. */
    if (s_exists (call, problem, kind))
        return 0;
    char on[XC_DATE_LEN + 1], level[32] = "";
    referral_event_date (call, event, on);
    xc_date_t date;
    xc_date_parse (on, &date, NULL);
    referral_origin_t origin = {
        .round = json_string_value (json_object_get (data, "round")),
        .unit = json_string_value (json_object_get (data, "unit")),
        .unit_level = json_string_value (json_object_get (data, "unit_level")),
        .category = json_string_value (json_object_get (data, "category")),
        .category_name = json_string_value (json_object_get (data, "category_name")),
        .category_path = json_is_array (json_object_get (data, "category_path"))
                         ? json_object_get (data, "category_path") : NULL,
    };
    /* an older intake sends no unit_level: the unit's as referral knows it */
    if (!origin.unit_level && origin.unit) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT level FROM units WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, origin.unit, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) == SQLITE_ROW)
            snprintf (level, sizeof level, "%s", (const char *) sqlite3_column_text (stmt, 0));
        sqlite3_reset (stmt);
        origin.unit_level = level;
    }
    json_t *content = json_deep_copy (data);
    int rc = referral_make (call, referral, kind, target, problem, title, content, date, "intake", &origin);
    json_decref (content);
    if (rc != 0 || !origin.unit)
        return rc;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT id FROM referrals WHERE problem = ?1 AND kind = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, problem);
    sqlite3_bind_text (stmt, 2, kind, -1, SQLITE_STATIC);
    json_int_t id = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    return referral_unit_follow (call, id, origin.unit);
}

void
referral_event_object (const char *source, const xc_event_t *event, char *object, size_t size,
                       void *state)
{
    (void) state;
    /* a problem's lead and handover follow intake's order */
    json_int_t problem = json_integer_value (json_object_get (event->msg->data, "problem"));
    if (strcmp (source, "intake") == 0 && problem > 0
        && (strcmp (event->type, "problem.referred") == 0 || strcmp (event->type, "problem.handed_over") == 0))
        snprintf (object, size, "problem:%lld", (long long) problem);
}

/*  The path (ids from the root) and name ("全面从严治党 › 四风") of a category of
    policies.intake.categories; a deployment without that list has flat categories. Fails the
    call (schema) for an id not in the list. */
static int
s_category (xc_call_t *call, const char *id, json_t **path, char *name, size_t size)
{
    const json_t *list = json_object_get (json_object_get (xc_call_config (call)->policies, "intake"),
                                          "categories");
    *path = json_array ();
    name[0] = 0;
    if (!json_is_array (list) || json_array_size (list) == 0) {
        json_array_append_new (*path, json_string (id));
        return 0;
    }
    const char *at = id;
    for (int depth = 0; at && depth < 16; depth++) {
        size_t i;
        const json_t *c, *found = NULL;
        json_array_foreach (list, i, c) {
            const char *cid = json_string_value (json_object_get (c, "id"));
            if (cid && strcmp (cid, at) == 0)
                found = c;
        }
        if (!found) {
            json_decref (*path);
            *path = NULL;
            return xc_call_fail (call, XC_E_SCHEMA, "category '%s' is not in policies.intake.categories", at);
        }
        json_array_insert_new (*path, 0, json_string (at));
        const char *n = json_string_value (json_object_get (found, "name"));
        char rest[512];
        snprintf (rest, sizeof rest, "%s", name);
        int w = snprintf (name, size, "%.200s", n ? n : at);
        if (rest[0] && w > 0 && (size_t) w < size)
            snprintf (name + w, size - (size_t) w, " › %.300s", rest);
        at = json_string_value (json_object_get (found, "parent"));
    }
    return 0;
}

/*  A district office makes referrals of the rounds it owns only: the problem's round (as
    referral learnt it from intake's events) or, without a problem, the round given, must be
    known and its own (forbidden otherwise); a round given that is not the problem's is schema.
    The city office is not limited. Sets the origin's round to the problem's (kept in round). */
static int
s_district_may_create (xc_call_t *call, const json_t *problem, referral_origin_t *origin, char *round,
                       size_t size)
{
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    if (!district)
        return 0;
    if (problem) {
        json_int_t id = json_integer_value (problem);
        if (referral_problem_round (call, id, round, size) != 0)
            return -1;
        if (!round[0])
            return xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld has no round referral knows of: a district"
                                 " office refers the problems of its own rounds", (long long) id);
    }
    else if (origin->round)
        snprintf (round, size, "%s", origin->round);
    else
        return xc_call_fail (call, XC_E_FORBIDDEN, "a district office names the round (one it owns) or the"
                             " problem of a referral it makes");
    char owner[REFERRAL_DISTRICT_LEN];
    if (referral_round_owner (call, round, owner, sizeof owner) != 0)
        return -1;
    /* the problem's round is named only once it is known to be the district's own */
    if (strcmp (owner, district) != 0)
        return problem ? xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld is not of a round district %s owns",
                                       (long long) json_integer_value (problem), district)
                       : xc_call_fail (call, XC_E_FORBIDDEN, "round %s is not a round district %s owns%s", round,
                                       district, owner[0] ? "" : " (or referral has not read it from intake yet)");
    if (origin->round && strcmp (origin->round, round) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "round %s is not problem %lld's round (%s)", origin->round,
                             (long long) json_integer_value (problem), round);
    origin->round = round;
    return 0;
}

int
referral_create (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    const json_t *data = xc_call_msg (call)->data;
    json_t *problem = json_object_get (data, "problem");
    xc_date_t date = xc_call_occurred_on (call, data, referral->policy.history_role_list, NULL, NULL);
    if (date < 0)
        return -1;
    if (problem && s_exists (call, json_integer_value (problem),
                             json_string_value (json_object_get (data, "kind"))))
        return xc_call_fail (call, XC_E_CONFLICT, "problem %lld has a referral of that kind already",
                             (long long) json_integer_value (problem));
    referral_origin_t origin = {
        .round = json_string_value (json_object_get (data, "round")),
        .unit = json_string_value (json_object_get (data, "unit")),
        .category = json_string_value (json_object_get (data, "category")),
    };
    char round[XC_NAME_MAX] = "";
    if (s_district_may_create (call, problem, &origin, round, sizeof round) != 0)
        return -1;
    char level[32] = "", category_name[512] = "";
    if (origin.unit && referral_unit_check (call, origin.unit, level, sizeof level) != 0)
        return -1;
    origin.unit_level = level;
    json_t *path = NULL;
    if (origin.category && s_category (call, origin.category, &path, category_name, sizeof category_name) != 0)
        return -1;
    origin.category_path = path;
    origin.category_name = category_name[0] ? category_name : NULL;
    json_t *content = json_pack ("{s:O}", "detail", json_object_get (data, "detail"));
    int rc = referral_make (call, referral, json_string_value (json_object_get (data, "kind")),
                            json_string_value (json_object_get (data, "target")),
                            problem ? json_integer_value (problem) : 0,
                            json_string_value (json_object_get (data, "title")), content,
                            date, xc_call_iss (call), &origin);
    json_decref (content);
    json_decref (path);
    return rc;
}

int
referral_load (xc_call_t *call, const referral_t *referral, referral_row_t *r, int mode)
{
    bool office = mode != REFERRAL_AS_TARGET;
    memset (r, 0, sizeof *r);
    const json_t *data = xc_call_msg (call)->data;
    r->id = json_integer_value (json_object_get (data, "referral"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT kind, target, state, coalesce (method, ''), due,"
                                             " disposed_on IS NOT NULL, referred_on,"
                                             " coalesce (last_on, referred_on), coalesce (quiet_until, ''),"
                                             " coalesce (owner_district, '') FROM referrals WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r->id);
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    if (found) {
        snprintf (r->kind, sizeof r->kind, "%s", (const char *) sqlite3_column_text (stmt, 0));
        snprintf (r->target, sizeof r->target, "%s", (const char *) sqlite3_column_text (stmt, 1));
        snprintf (r->state, sizeof r->state, "%s", (const char *) sqlite3_column_text (stmt, 2));
        snprintf (r->method, sizeof r->method, "%s", (const char *) sqlite3_column_text (stmt, 3));
        snprintf (r->due, sizeof r->due, "%s", (const char *) sqlite3_column_text (stmt, 4));
        r->disposed = sqlite3_column_int (stmt, 5);
        snprintf (r->referred_on, sizeof r->referred_on, "%s", (const char *) sqlite3_column_text (stmt, 6));
        snprintf (r->last_on, sizeof r->last_on, "%s", (const char *) sqlite3_column_text (stmt, 7));
        snprintf (r->quiet_until, sizeof r->quiet_until, "%s", (const char *) sqlite3_column_text (stmt, 8));
        snprintf (r->district, sizeof r->district, "%s", (const char *) sqlite3_column_text (stmt, 9));
    }
    sqlite3_reset (stmt);
    if (!found)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no referral %lld", (long long) r->id);
    bool historical = json_object_get (data, "occurred_on") != NULL, recorder = false;
    for (int i = 0; i < referral->policy.n_history_roles && !recorder; i++)
        recorder = xc_call_role_is (call, referral->policy.history_roles[i]);
    /* the office's commands: the city office, or the office of the district owning its round;
       a district office among the history roles records only its own rounds' referrals */
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    if (district && strcmp (district, r->district) != 0)
        recorder = false;
    bool allowed = office ? xc_call_role_is (call, "office") || (district && strcmp (district, r->district) == 0)
                          : strcmp (xc_call_iss (call), r->target) == 0;
    if (!allowed && !office && historical && recorder)
        r->from_history = allowed = true;
    if (!allowed && office && district)
        return xc_call_fail (call, XC_E_FORBIDDEN, "referral %lld is not of a round district %s owns",
                             (long long) r->id, district);
    if (!allowed)
        return xc_call_fail (call, XC_E_FORBIDDEN, "only %s may do that to referral %lld%s",
                             office ? "the inspection office" : r->target, (long long) r->id,
                             !office && recorder ? " (or the office recording it from history, with occurred_on)" : "");
    if (xc_call_occurred_on (call, data, referral->policy.history_role_list, r->on, NULL) < 0)
        return -1;
    if (mode == REFERRAL_AS_OFFICE_SINCE_REFERRED && strcmp (r->on, r->referred_on) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "occurred_on %s is before referral %lld was made, on %s",
                             r->on, (long long) r->id, r->referred_on);
    if (mode != REFERRAL_AS_OFFICE_SINCE_REFERRED && strcmp (r->on, r->last_on) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "occurred_on %s is before referral %lld's previous"
                             " recorded fact, on %s", r->on, (long long) r->id, r->last_on);
    return 0;
}

/*  The history entry's data: the command's, with the day and who recorded it from paper. */
static json_t *
s_history_data (const referral_row_t *r, const json_t *data)
{
    json_t *h = json_deep_copy (data);
    json_object_set_new (h, "occurred_on", json_string (r->on));
    if (r->from_history)
        json_object_set_new (h, "recorded_from_history", json_true ());
    return h;
}

/*  Moves r to state (and method, when not NULL) on r->on, records it and emits type. */
static int
s_move (xc_call_t *call, const referral_row_t *r, const char *state, const char *method,
        const char *action, const char *type)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "UPDATE referrals SET state = ?2, method = coalesce (?3, method), last_on = ?5,"
        " disposed_on = CASE WHEN ?4 = 'disposed' AND disposed_on IS NULL THEN ?5 ELSE disposed_on END,"
        " concluded_on = CASE WHEN ?2 = 'concluded' THEN ?5 ELSE concluded_on END,"
        /* feedback given: no more warnings for this referral, even if reopened */
        " alert_next = CASE WHEN ?4 = 'disposed' THEN NULL ELSE alert_next END WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r->id);
    sqlite3_bind_text (stmt, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, method, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, r->on, -1, SQLITE_STATIC);
    const json_t *data = xc_call_msg (call)->data;
    if (xc_call_exec (call, stmt, "unable to move the referral") != 0
        || referral_history (call, r->id, action, xc_call_iss (call), s_history_data (r, data)) != 0)
        return -1;
    json_t *event = json_deep_copy (data);
    json_object_set_new (event, "state", json_string (state));
    json_object_set_new (event, "on", json_string (r->on));
    json_object_set_new (event, "occurred_on", json_string (r->on));
    if (r->from_history) {
        json_object_set_new (event, "by", json_string (xc_call_iss (call)));
        json_object_set_new (event, "recorded_from_history", json_true ());
    }
    if (s_emit_private (call, type, r->target, r->district, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "referral", r->id, "state", state));
    return 0;
}

int
referral_acknowledge (xc_call_t *call, void *state)
{
    referral_row_t r;
    if (referral_load (call, state, &r, REFERRAL_AS_TARGET) != 0)
        return -1;
    if (strcmp (r.state, "referred") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is %s, not referred", (long long) r.id, r.state);
    return s_move (call, &r, "acknowledged", NULL, "acknowledged", "referral.acknowledged");
}

int
referral_dispose (xc_call_t *call, void *state)
{
    referral_row_t r;
    if (referral_load (call, state, &r, REFERRAL_AS_TARGET) != 0)
        return -1;
    if (strcmp (r.state, "acknowledged") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is %s: it is disposed once acknowledged",
                             (long long) r.id, r.state);
    const char *method = json_string_value (json_object_get (xc_call_msg (call)->data, "method"));
    return s_move (call, &r, "disposed", method, "disposed", "referral.disposed");
}

/*  Outcomes and conclusion need a disposal that is not parked. */
static int
s_disposed_not_parked (xc_call_t *call, const referral_row_t *r, const char *what)
{
    if (strcmp (r->state, "disposed") != 0 || strcmp (r->method, "park") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is %s%s%s: %s needs a disposal that is"
                             " not parked", (long long) r->id, r->state, r->method[0] ? " by " : "",
                             r->method, what);
    return 0;
}

static const char *const s_counts[] = { "party_sanctions", "administrative_sanctions",
                                        "organizational_handling", "detentions",
                                        "prosecution_transfers" };

/*  Checks each person's kinds against the policy and derives the five counts from them; a
    count also given that disagrees is schema. Without people, the counts given (absent: 0). */
static int
s_outcome_counts (xc_call_t *call, const referral_t *referral, const json_t *data, json_int_t counts[5])
{
    const json_t *people = json_object_get (data, "people");
    for (int i = 0; i < 5; i++)
        counts[i] = json_integer_value (json_object_get (data, s_counts[i]));
    if (!people)
        return 0;
    static const char *const lists[] = { "party_sanction", "administrative_sanction", "organizational_handling" };
    json_int_t derived[5] = { 0 };
    size_t i;
    const json_t *person;
    json_array_foreach (people, i, person) {
        for (int k = 0; k < 3; k++) {
            const char *kind = json_string_value (json_object_get (person, lists[k]));
            if (!kind)
                continue;
            if (!referral_policy_kind_name (&referral->policy, lists[k], kind))
                return xc_call_fail (call, XC_E_SCHEMA, "people[%zu].%s: '%.64s' is not one of"
                                     " policies.referral.outcomes.%s", i, lists[k], kind, lists[k]);
            derived[k]++;
        }
        derived[3] += json_is_true (json_object_get (person, "detained"));
        derived[4] += json_is_true (json_object_get (person, "prosecuted"));
    }
    for (int k = 0; k < 5; k++) {
        const json_t *given = json_object_get (data, s_counts[k]);
        if (given && json_integer_value (given) != derived[k])
            return xc_call_fail (call, XC_E_SCHEMA, "%s is %lld but the people listed make %lld", s_counts[k],
                                 (long long) json_integer_value (given), (long long) derived[k]);
        counts[k] = derived[k];
    }
    return 0;
}

int
referral_outcome (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    referral_row_t r;
    if (referral_load (call, referral, &r, REFERRAL_AS_TARGET) != 0 || s_disposed_not_parked (call, &r, "an outcome") != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    json_int_t counts[5];
    if (s_outcome_counts (call, referral, data, counts) != 0)
        return -1;
    const json_t *measures = json_object_get (data, "institutional_measures");
    if (measures && strcmp (r.kind, "lead") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is a lead: institutional_measures are a"
                             " department's, on a special report or a handover", (long long) r.id);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO outcomes (referral, n, case_filed, party_sanctions, administrative_sanctions,"
        " organizational_handling, detentions, prosecution_transfers, note, reported_on,"
        " institutional_measures) VALUES (?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM outcomes WHERE referral = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r.id);
    sqlite3_bind_int (stmt, 2, json_is_true (json_object_get (data, "case_filed")));
    for (int i = 0; i < 5; i++)
        sqlite3_bind_int64 (stmt, 3 + i, counts[i]);
    sqlite3_bind_text (stmt, 8, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, r.on, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 10, json_integer_value (measures));
    if (xc_call_exec (call, stmt, "unable to record the outcome") != 0)
        return -1;
    sqlite3_int64 n = sqlite3_last_insert_rowid (xc_call_db (call));
    (void) n;
    if (referral_files_link (call, r.id, json_object_get (data, "evidence")) != 0)
        return -1;
    size_t i;
    const json_t *person;
    json_array_foreach (json_object_get (data, "people"), i, person) {
        stmt = xc_call_stmt (call,
            "INSERT INTO people (referral, n, i, form, party_sanction, administrative_sanction,"
            " organizational_handling, detained, prosecuted) VALUES (?1,"
            " (SELECT max (n) FROM outcomes WHERE referral = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, r.id);
        sqlite3_bind_int64 (stmt, 2, (sqlite3_int64) i + 1);
        sqlite3_bind_int64 (stmt, 3, json_integer_value (json_object_get (person, "form")));
        sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (person, "party_sanction")), -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (person, "administrative_sanction")), -1,
                           SQLITE_STATIC);
        sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (person, "organizational_handling")), -1,
                           SQLITE_STATIC);
        sqlite3_bind_int (stmt, 7, json_is_true (json_object_get (person, "detained")));
        sqlite3_bind_int (stmt, 8, json_is_true (json_object_get (person, "prosecuted")));
        if (xc_call_exec (call, stmt, "unable to record a person's outcome") != 0)
            return -1;
    }
    return s_move (call, &r, "disposed", NULL, "outcome", "referral.outcome_reported");
}

int
referral_reopen (xc_call_t *call, void *state)
{
    referral_row_t r;
    if (referral_load (call, state, &r, REFERRAL_AS_TARGET) != 0)
        return -1;
    if (strcmp (r.state, "disposed") != 0 || strcmp (r.method, "park") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is not a parked lead", (long long) r.id);
    return s_move (call, &r, "acknowledged", NULL, "reopened", "referral.reopened");
}

int
referral_conclude (xc_call_t *call, void *state)
{
    referral_row_t r;
    if (referral_load (call, state, &r, REFERRAL_AS_TARGET) != 0 || s_disposed_not_parked (call, &r, "concluding") != 0)
        return -1;
    return s_move (call, &r, "concluded", NULL, "concluded", "referral.concluded");
}

int
referral_extend (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    referral_row_t r;
    if (referral_load (call, referral, &r, REFERRAL_AS_OFFICE) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *due = json_string_value (json_object_get (data, "due"));
    const char *reason = json_string_value (json_object_get (data, "reason"));
    if (referral_extension_allowed (call, &r, due) != 0)
        return -1;
    xc_date_t due_date;
    xc_date_parse (due, &due_date, NULL);
    char from[XC_DATE_LEN + 1], explain[400];
    const referral_rules_t *rules = referral_policy_rules (&referral->policy, r.district[0] ? r.district : NULL);
    xc_date_format (s_first_alert (rules, due_date, r.quiet_until[0] ? r.quiet_until : NULL), from);
    snprintf (explain, sizeof explain, "extended from %s to %s: %.300s", r.due, due, reason);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE referrals SET due = ?2, alert_next = ?3,"
                                             " due_explain = ?4, last_on = ?5 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r.id);
    sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, from, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, explain, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, r.on, -1, SQLITE_STATIC);
    /* the target's open request, if any, is answered by this extension */
    json_int_t request = 0;
    if (xc_call_exec (call, stmt, "unable to extend the referral") != 0
        || referral_extension_grant (call, r.id, due, &request) != 0)
        return -1;
    json_t *entry = json_pack ("{s:s, s:s, s:s, s:s}", "from", r.due, "to", due, "reason", reason,
                               "occurred_on", r.on);
    if (request > 0)
        json_object_set_new (entry, "request", json_integer (request));
    if (referral_history (call, r.id, "extended", xc_call_iss (call), entry) != 0)
        return -1;
    /* No content in this event: the notification service routes it. */
    char visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8];
    referral_visibility (r.target, r.district, true, visibility, sizeof visibility);
    json_t *event = json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "referral", r.id, "kind", r.kind,
                               "target", r.target, "due", due, "previous_due", r.due,
                               "occurred_on", r.on, "round_owner", r.district[0] ? r.district : "city");
    if (request > 0)
        json_object_set_new (event, "request", json_integer (request));
    if (referral_emit (call, "referral.extended", visibility, NULL, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "referral", r.id, "due", due));
    return 0;
}

/*  领导签批: a leader's sign-off on a special report, once. Not a step of the department's
    handling, so it is dated against the referral's date only. */
int
referral_sign (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    referral_row_t r;
    if (referral_load (call, referral, &r, REFERRAL_AS_OFFICE_SINCE_REFERRED) != 0)
        return -1;
    if (strcmp (r.kind, "report") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is a %s: a leader signs off special reports"
                             " (kind report)", (long long) r.id, r.kind);
    const json_t *leader = json_object_get (xc_call_msg (call)->data, "leader");
    const char *name = json_string_value (json_object_get (leader, "name"));
    const char *title = json_string_value (json_object_get (leader, "title"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT leader_name, signed_on FROM signatures WHERE referral = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r.id);
    char before[256] = "";
    if (sqlite3_step (stmt) == SQLITE_ROW)
        snprintf (before, sizeof before, "%s on %s", (const char *) sqlite3_column_text (stmt, 0),
                  (const char *) sqlite3_column_text (stmt, 1));
    sqlite3_reset (stmt);
    if (before[0])
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld was signed off before, by %s", (long long) r.id,
                             before);
    stmt = xc_call_stmt (call, "INSERT INTO signatures (referral, leader_name, leader_title, signed_on, by)"
                               " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r.id);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, r.on, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, xc_call_iss (call), -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the sign-off") != 0
        || referral_history (call, r.id, "signed", xc_call_iss (call),
                             json_pack ("{s:O, s:s}", "leader", leader, "occurred_on", r.on)) != 0)
        return -1;
    /* no content: the office's notices (notify) route it like the deadline alerts */
    char visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8];
    referral_visibility (r.target, r.district, true, visibility, sizeof visibility);
    if (referral_emit (call, "referral.signed", visibility, NULL,
                          json_pack ("{s:I, s:s, s:s, s:O, s:s, s:s}", "referral", r.id, "kind", r.kind,
                                     "target", r.target, "leader", leader, "occurred_on", r.on,
                                     "round_owner", r.district[0] ? r.district : "city")) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "referral", r.id, "signed_on", r.on));
    return 0;
}
