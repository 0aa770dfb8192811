/*  units.c: the rounds and units referral learns from intake's events (round.opened,
    unit.registered, unit.renamed, unit.merged, unit.split), the unit's name at a date, and
    the successor a merged or split unit's open referrals move to. */
#include <stdio.h>
#include <string.h>

#include "services/referral/referral.h"

/*  The date a fact of an intake event happened: its occurred_on, else the day it was signed. */
void
referral_event_date (xc_call_t *call, const xc_event_t *event, char out[XC_DATE_LEN + 1])
{
    const char *given = json_string_value (json_object_get (event->msg->data, "occurred_on"));
    xc_date_t date;
    if (given && xc_date_parse (given, &date, NULL) == 0)
        snprintf (out, XC_DATE_LEN + 1, "%s", given);
    else
        xc_date_format (xc_date_of_time (event->msg->iat, xc_call_config (call)->utc_offset), out);
}

static int
s_unit_name (xc_call_t *call, const char *unit, const char *from, const char *name)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR REPLACE INTO unit_names (unit, from_on, name)"
                                             " VALUES (?1, ?2, ?3)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, from, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, name, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a unit's name");
}

static int
s_registered (xc_call_t *call, const xc_event_t *event, const char *on)
{
    const json_t *unit = json_object_get (event->msg->data, "unit");
    const char *id = json_string_value (json_object_get (unit, "id"));
    const char *name = json_string_value (json_object_get (unit, "name"));
    const char *level = json_string_value (json_object_get (unit, "level"));
    if (!id || !name || !level)
        return xc_call_fail (call, XC_E_SCHEMA, "unit.registered event %lld lacks the unit's id, name or level",
                             (long long) event->seq);
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR REPLACE INTO units (id, level, parent) VALUES (?1, ?2, ?3)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, level, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (unit, "parent")), -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record a unit") != 0 || s_unit_name (call, id, on, name) != 0)
        return -1;
    /* referrals the office made naming the unit before referral read its registration */
    stmt = xc_call_stmt (call, "UPDATE referrals SET unit_level = ?2 WHERE unit = ?1 AND unit_level IS NULL");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, level, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a unit's level");
}

/*  A round as the stats filters need it: owner, kind, modes, year (of planned_start). */
static int
s_round_opened (xc_call_t *call, const xc_event_t *event)
{
    const json_t *round = json_object_get (event->msg->data, "round");
    const char *id = json_string_value (json_object_get (round, "id"));
    const char *name = json_string_value (json_object_get (round, "name"));
    const char *kind = json_string_value (json_object_get (round, "kind"));
    if (!id || !name || !kind)
        return xc_call_fail (call, XC_E_SCHEMA, "round.opened event %lld lacks the round's id, name or kind",
                             (long long) event->seq);
    /* a round opened before intake named owners is the city's */
    const json_t *owner = json_object_get (round, "owner");
    const char *level = json_string_value (json_object_get (owner, "level"));
    const char *start = json_string_value (json_object_get (round, "planned_start"));
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT OR REPLACE INTO rounds (id, name, kind, owner_level, owner_district, organ, year, planned_start)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, CAST (substr (?7, 1, 4) AS INTEGER), ?7)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, level ? level : "city", -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (owner, "district")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (owner, "organ")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, start, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record a round") != 0)
        return -1;
    /* its link (联动, 交叉, 提级): kept with the round; the district of a crossed round's teams
       or of a raised round's units in link_district */
    const json_t *link = json_object_get (round, "link");
    const char *by = json_string_value (json_object_get (link, "by"));
    stmt = xc_call_stmt (call, "UPDATE rounds SET link_kind = ?2, link_round = ?3, link_district = ?4 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (link, "kind")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (link, "round")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, by ? by : json_string_value (json_object_get (link, "district")), -1,
                       SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record a round's link") != 0)
        return -1;
    /* referrals the office made naming the round before referral read it: theirs is the owner */
    stmt = xc_call_stmt (call, "UPDATE referrals SET owner_district = (SELECT owner_district FROM rounds"
                               " WHERE id = ?1) WHERE round = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the owner of a round's referrals") != 0)
        return -1;
    size_t i;
    const json_t *mode;
    json_array_foreach (json_object_get (round, "modes"), i, mode) {
        stmt = xc_call_stmt (call, "INSERT OR IGNORE INTO round_modes (mode, round) VALUES (?1, ?2)");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, json_string_value (mode), -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to record a round's mode") != 0)
            return -1;
    }
    return 0;
}

/*  The open referrals of unit (not concluded) move to successor, each with a history entry;
    concluded ones stay where they were. */
static int
s_succeed (xc_call_t *call, const char *unit, const char *successor, const char *status, const char *on)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE units SET status = ?2, successor = ?3, changed_on = ?4"
                                             " WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, successor, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, on, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record a unit's successor") != 0)
        return -1;
    stmt = xc_call_stmt (call, "SELECT id FROM referrals WHERE unit = ?1 AND state <> 'concluded' ORDER BY id");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    json_t *ids = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (ids, json_integer (sqlite3_column_int64 (stmt, 0)));
    sqlite3_reset (stmt);
    int rc = 0;
    size_t i;
    const json_t *id;
    json_array_foreach (ids, i, id) {
        stmt = xc_call_stmt (call, "UPDATE referrals SET unit = ?2 WHERE id = ?1");
        if (!stmt) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64 (stmt, 1, json_integer_value (id));
        sqlite3_bind_text (stmt, 2, successor, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to move a referral to the unit's successor") != 0
            || referral_history (call, json_integer_value (id), "unit_succeeded", "intake",
                                 json_pack ("{s:s, s:s, s:s, s:s}", "action", "unit_succeeded", "from",
                                            unit, "to", successor, "occurred_on", on)) != 0) {
            rc = -1;
            break;
        }
    }
    json_decref (ids);
    return rc;
}

int
referral_unit_follow (xc_call_t *call, json_int_t id, const char *unit)
{
    char at[XC_NAME_MAX];
    snprintf (at, sizeof at, "%s", unit);
    /* a chain of reforms (merged, then split) is followed to its end; 64 steps stop a loop */
    for (int step = 0; step < 64; step++) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT successor, changed_on FROM units WHERE id = ?1"
                                                 " AND status <> 'active' AND successor IS NOT NULL");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, at, -1, SQLITE_STATIC);
        char next[XC_NAME_MAX] = "", on[XC_DATE_LEN + 1] = "";
        if (sqlite3_step (stmt) == SQLITE_ROW) {
            snprintf (next, sizeof next, "%s", (const char *) sqlite3_column_text (stmt, 0));
            snprintf (on, sizeof on, "%s", (const char *) sqlite3_column_text (stmt, 1));
        }
        sqlite3_reset (stmt);
        if (!next[0])
            return 0;
        stmt = xc_call_stmt (call, "UPDATE referrals SET unit = ?2 WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, id);
        sqlite3_bind_text (stmt, 2, next, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to move a referral to the unit's successor") != 0
            || referral_history (call, id, "unit_succeeded", "intake",
                                 json_pack ("{s:s, s:s, s:s, s:s}", "action", "unit_succeeded", "from", at,
                                            "to", next, "occurred_on", on)) != 0)
            return -1;
        snprintf (at, sizeof at, "%s", next);
    }
    return 0;
}

/*  The round of each problem intake tells of (problem.recorded, problem.referred, ...): a
    district office refers only the problems of its own rounds. */
static int
s_problem_round (xc_call_t *call, const xc_event_t *event)
{
    const json_t *data = event->msg->data, *problem = json_object_get (data, "problem");
    json_int_t id = json_is_object (problem) ? json_integer_value (json_object_get (problem, "id"))
                                             : json_integer_value (problem);
    const char *round = json_string_value (json_object_get (json_is_object (problem) ? problem : data, "round"));
    if (id <= 0 || !round)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR REPLACE INTO problem_rounds (problem, round) VALUES (?1, ?2)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, round, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a problem's round");
}

int
referral_problem_round (xc_call_t *call, json_int_t problem, char *out, size_t size)
{
    out[0] = 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT round FROM problem_rounds WHERE problem = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, problem);
    return xc_call_text (call, stmt, out, size, "problem round lookup") < 0 ? -1 : 0;
}

int
referral_round_owner (xc_call_t *call, const char *round, char *out, size_t size)
{
    out[0] = 0;
    if (!round)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT coalesce (owner_district, '') FROM rounds WHERE id = ?1"
                                             " AND owner_level = 'district'");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    return xc_call_text (call, stmt, out, size, "round owner lookup") < 0 ? -1 : 0;
}

int
referral_units_apply (xc_call_t *call, const xc_event_t *event)
{
    if (strncmp (event->type, "problem.", 8) == 0)
        return s_problem_round (call, event);
    const json_t *data = event->msg->data;
    char on[XC_DATE_LEN + 1];
    referral_event_date (call, event, on);
    if (strcmp (event->type, "unit.registered") == 0)
        return s_registered (call, event, on);
    if (strcmp (event->type, "round.opened") == 0)
        return s_round_opened (call, event);
    if (strcmp (event->type, "unit.renamed") == 0) {
        const char *unit = json_string_value (json_object_get (data, "unit"));
        const char *name = json_string_value (json_object_get (data, "name"));
        return unit && name ? s_unit_name (call, unit, on, name) : 0;
    }
    if (strcmp (event->type, "unit.merged") == 0) {
        const char *into = json_string_value (json_object_get (data, "into"));
        size_t i;
        const json_t *from;
        json_array_foreach (json_object_get (data, "from"), i, from)
            if (into && json_is_string (from)
                && s_succeed (call, json_string_value (from), into, "merged", on) != 0)
                return -1;
        return 0;
    }
    if (strcmp (event->type, "unit.split") == 0) {
        const char *unit = json_string_value (json_object_get (data, "unit"));
        const char *successor = json_string_value (json_object_get (data, "successor"));
        return unit && successor ? s_succeed (call, unit, successor, "split", on) : 0;
    }
    return 0;
}

/*  A unit's name on a date: the latest name given on or before it, else its first name. */
#define NAME_AT(unit, date)                                                                    \
    "coalesce ((SELECT name FROM unit_names WHERE unit = " unit " AND from_on <= " date          \
    " ORDER BY from_on DESC LIMIT 1), (SELECT name FROM unit_names WHERE unit = " unit           \
    " ORDER BY from_on LIMIT 1))"
const char *const referral_name_at_sql = NAME_AT ("referrals.unit", "referrals.referred_on");

int
referral_unit_check (xc_call_t *call, const char *unit, char *level, size_t size)
{
    level[0] = 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT level, status, coalesce (successor, ''),"
                                             " coalesce (changed_on, '') FROM units WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    char status[16] = "", successor[XC_NAME_MAX] = "", on[XC_DATE_LEN + 1] = "";
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        snprintf (level, size, "%s", (const char *) sqlite3_column_text (stmt, 0));
        snprintf (status, sizeof status, "%s", (const char *) sqlite3_column_text (stmt, 1));
        snprintf (successor, sizeof successor, "%s", (const char *) sqlite3_column_text (stmt, 2));
        snprintf (on, sizeof on, "%s", (const char *) sqlite3_column_text (stmt, 3));
    }
    sqlite3_reset (stmt);
    if (status[0] && strcmp (status, "active") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "unit %s was %s into %s on %s", unit,
                             strcmp (status, "merged") == 0 ? "merged" : "split", successor, on);
    return 0;
}
