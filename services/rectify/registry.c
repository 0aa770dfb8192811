/*  registry.c: what rectify knows of intake's units and rounds: units registered and renamed
    (with their name history), merged or split (机构改革: open items and visits go to the
    successor), rounds opened (owner, kind, modes, year, targets) and advanced (feedback
    delivered starts every target's return visit). items.c hands it these events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/rectify/rectify.h"

/*  Adds name to the unit's name history from from_on (NULL: since it was registered), unless
    it is already the latest name. */
static int
s_name_add (xc_call_t *call, const char *unit, const char *name, const char *from_on)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO unit_names (unit, n, name, from_on) SELECT ?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM unit_names WHERE unit = ?1), ?2, ?3"
        " WHERE coalesce ((SELECT name FROM unit_names WHERE unit = ?1 ORDER BY n DESC LIMIT 1), '') != ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, from_on, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a unit's name");
}

int
rectify_unit_registered (xc_call_t *call, rectify_t *rectify, const xc_event_t *event)
{
    const json_t *unit = json_object_get (event->msg->data, "unit");
    const char *id = json_string_value (json_object_get (unit, "id"));
    const char *name = json_string_value (json_object_get (unit, "name"));
    const char *level = json_string_value (json_object_get (unit, "level"));
    const char *parent = json_string_value (json_object_get (unit, "parent"));
    if (!id || !name || !level)
        return xc_call_fail (call, XC_E_SCHEMA, "unit.registered event %lld lacks the unit's id, name"
                             " or level", (long long) event->seq);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO units (id, name, level, parent) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET"
        " name = excluded.name, level = excluded.level, parent = excluded.parent");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, level, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, parent, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record a unit") != 0
        || s_name_add (call, id, name, json_string_value (json_object_get (event->msg->data, "occurred_on"))) != 0)
        return -1;
    /* a rolled-back batch leaves a true fact behind: the same unit comes again */
    rectify_scope_add (rectify, id, parent);
    return 0;
}

int
rectify_unit_renamed (xc_call_t *call, const xc_event_t *event)
{
    const json_t *data = event->msg->data;
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *name = json_string_value (json_object_get (data, "name"));
    const char *on = json_string_value (json_object_get (data, "occurred_on"));
    if (!unit || !name || !on)
        return xc_call_fail (call, XC_E_SCHEMA, "unit.renamed event %lld lacks its unit, name or date",
                             (long long) event->seq);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE units SET name = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to rename a unit") != 0)
        return -1;
    return s_name_add (call, unit, name, on);
}

/*  The old unit is merged or split: its open items and its visits not yet made go to the
    successor, each item with a history entry; closed ones stay where they were. */
static int
s_succeed (xc_call_t *call, const char *old, const char *status, const char *successor, const char *on)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE units SET status = ?2, successor = ?3 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, old, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, successor, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record a unit's successor") != 0)
        return -1;
    stmt = xc_call_stmt (call, "SELECT id FROM items WHERE unit = ?1 AND state != 'closed' ORDER BY id");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, old, -1, SQLITE_STATIC);
    json_t *moved = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (moved, json_integer (sqlite3_column_int64 (stmt, 0)));
    sqlite3_reset (stmt);
    int rc = 0;
    size_t i;
    json_t *id;
    json_array_foreach (moved, i, id) {
        stmt = xc_call_stmt (call, "UPDATE items SET unit = ?2, unit_level = coalesce ((SELECT level FROM units"
                                   " WHERE id = ?2), unit_level) WHERE id = ?1");
        if (!stmt) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64 (stmt, 1, json_integer_value (id));
        sqlite3_bind_text (stmt, 2, successor, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to move an item to the successor") != 0
            || rectify_history (call, json_integer_value (id), "unit_succeeded",
                                json_pack ("{s:s, s:s, s:s}", "from", old, "to", successor, "occurred_on", on),
                                on) != 0) {
            rc = -1;
            break;
        }
    }
    json_decref (moved);
    if (rc != 0)
        return -1;
    /* a visit of the successor in the same round already covers it: that one stays */
    stmt = xc_call_stmt (call, "UPDATE OR IGNORE visits SET unit = ?2 WHERE unit = ?1 AND recorded_on IS NULL");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, old, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, successor, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to move the visits to the successor");
}

int
rectify_unit_merged (xc_call_t *call, const xc_event_t *event)
{
    const json_t *data = event->msg->data;
    const json_t *from = json_object_get (data, "from");
    const char *into = json_string_value (json_object_get (data, "into"));
    const char *on = json_string_value (json_object_get (data, "occurred_on"));
    if (!json_is_array (from) || !into || !on)
        return xc_call_fail (call, XC_E_SCHEMA, "unit.merged event %lld lacks from, into or its date",
                             (long long) event->seq);
    size_t i;
    json_t *old;
    json_array_foreach (from, i, old)
        if (json_is_string (old) && s_succeed (call, json_string_value (old), "merged", into, on) != 0)
            return -1;
    return 0;
}

int
rectify_unit_split (xc_call_t *call, const xc_event_t *event)
{
    const json_t *data = event->msg->data;
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *successor = json_string_value (json_object_get (data, "successor"));
    const char *on = json_string_value (json_object_get (data, "occurred_on"));
    if (!unit || !successor || !on)
        return xc_call_fail (call, XC_E_SCHEMA, "unit.split event %lld lacks its unit, successor or date",
                             (long long) event->seq);
    return s_succeed (call, unit, "split", successor, on);
}

int
rectify_round_opened (xc_call_t *call, rectify_t *rectify, const xc_event_t *event)
{
    const json_t *round = json_object_get (event->msg->data, "round");
    const char *id = json_string_value (json_object_get (round, "id"));
    const char *name = json_string_value (json_object_get (round, "name"));
    const json_t *targets = json_object_get (round, "targets");
    if (!id || !name || !json_is_array (targets))
        return xc_call_fail (call, XC_E_SCHEMA, "round.opened event %lld lacks the round's id, name or"
                             " targets", (long long) event->seq);
    const json_t *owner = json_object_get (round, "owner");
    const char *start = json_string_value (json_object_get (round, "planned_start"));
    const json_t *modes = json_object_get (round, "modes");
    char *modes_text = json_is_array (modes) ? json_dumps (modes, JSON_COMPACT) : strdup ("[]");
    /* its link (issue 20): linked to a city round, crossed by another district's teams, raised */
    const json_t *link = json_object_get (round, "link");
    const char *link_kind = json_string_value (json_object_get (link, "kind"));
    const char *link_by = link_kind && strcmp (link_kind, "crossed") == 0
                          ? json_string_value (json_object_get (link, "by")) : NULL;
    const char *owner_level = json_string_value (json_object_get (owner, "level"));
    const char *owner_district = json_string_value (json_object_get (owner, "district"));
    /* a round without an owner (before rounds had one) is the city's; its year is its planned start's */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT OR IGNORE INTO rounds (id, name, kind, modes, owner_level, owner_district, organ, year,"
        " link_kind, link_round, link_by, link_district, prior_round)"
        " VALUES (?1, ?2, ?3, ?4, coalesce (?5, 'city'), ?6, ?7, CAST (substr (?8, 1, 4) AS INTEGER),"
        " ?9, ?10, ?11, ?12, ?13)");
    if (!stmt || !modes_text) {
        free (modes_text);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (round, "kind")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, modes_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 5, owner_level, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, owner_district, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, json_string_value (json_object_get (owner, "organ")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, start, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, link_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 10, json_string_value (json_object_get (link, "round")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, link_by, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 12, json_string_value (json_object_get (link, "district")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 13, json_string_value (json_object_get (round, "prior_round")), -1, SQLITE_STATIC);
    free (modes_text);
    if (xc_call_exec (call, stmt, "unable to record a round") != 0)
        return -1;
    /* INSERT OR IGNORE: the first round.opened of an id is the one kept, in memory too */
    if (sqlite3_changes (xc_call_db (call)) == 1)
        rectify_rounds_add (rectify, id, owner_level && strcmp (owner_level, "district") == 0 ? owner_district : NULL,
                            link_by);
    size_t i;
    json_t *target;
    json_array_foreach (targets, i, target) {
        const char *unit = json_string_value (json_object_get (target, "unit"));
        if (!unit)
            return xc_call_fail (call, XC_E_SCHEMA, "round.opened event %lld: target %zu has no unit",
                                 (long long) event->seq, i);
        stmt = xc_call_stmt (call, "INSERT OR IGNORE INTO round_targets (round, unit) VALUES (?1, ?2)");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to record a round's target") != 0)
            return -1;
    }
    return 0;
}

/*  feedback_delivered: every target unit of the round gets its return visit, due revisit_after
    after that day, whether or not it has items. Other stages change nothing here. */
int
rectify_round_advanced (xc_call_t *call, const rectify_t *rectify, const xc_event_t *event)
{
    const json_t *data = event->msg->data;
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *stage = json_string_value (json_object_get (data, "stage"));
    const char *on = json_string_value (json_object_get (data, "occurred_on"));
    on = on ? on : json_string_value (json_object_get (data, "date"));
    if (!round || !stage || strcmp (stage, "feedback_delivered") != 0)
        return 0;
    xc_date_t date;
    if (!on || xc_date_parse (on, &date, NULL) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "round.advanced event %lld lacks its date", (long long) event->seq);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE rounds SET feedback_on = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, on, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the round's feedback") != 0)
        return -1;
    stmt = xc_call_stmt (call, "SELECT unit FROM round_targets WHERE round = ?1 ORDER BY unit");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    json_t *units = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (units, xc_column_text (stmt, 0));
    sqlite3_reset (stmt);
    int rc = 0;
    size_t i;
    json_t *unit;
    json_array_foreach (units, i, unit)
        if (rc == 0)
            rc = rectify_visit_start (call, rectify, round, json_string_value (unit), date);
    json_decref (units);
    return rc;
}
