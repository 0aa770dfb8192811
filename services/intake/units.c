/*  units.c: the registry of inspected units, their names over time and their changes
    (机构改革: rename, merge, split). */
#include <stdio.h>
#include <string.h>

#include "services/intake/intake.h"

#define UNIT_COLUMNS "id, name, level, parent, registered_on, status, successor, changed_on"

static json_t *
s_unit_row (sqlite3_stmt *stmt)
{
    return json_pack ("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", xc_column_text (stmt, 0),
                      "name", xc_column_text (stmt, 1), "level", xc_column_text (stmt, 2),
                      "parent", xc_column_text (stmt, 3), "registered_on", xc_column_text (stmt, 4),
                      "status", xc_column_text (stmt, 5), "successor", xc_column_text (stmt, 6),
                      "changed_on", xc_column_text (stmt, 7));
}

json_t *
intake_unit_json (xc_call_t *call, const char *id)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT " UNIT_COLUMNS " FROM units WHERE id = ?1");
    if (!stmt)
        return NULL;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    json_t *unit = sqlite3_step (stmt) == SQLITE_ROW ? s_unit_row (stmt) : NULL;
    sqlite3_reset (stmt);
    if (!unit)
        return NULL;
    stmt = xc_call_stmt (call, "SELECT name, from_on FROM unit_names WHERE unit = ?1 ORDER BY seq");
    if (!stmt) {
        json_decref (unit);
        return NULL;
    }
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    json_t *names = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (names, json_pack ("{s:o, s:o}", "name", xc_column_text (stmt, 0),
                                                 "from", xc_column_text (stmt, 1)));
    sqlite3_reset (stmt);
    json_object_set_new (unit, "names", names);
    return unit;
}

int
intake_unit_known (xc_call_t *call, const char *id)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM units WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return xc_call_fail_db (call, "unit lookup");
}

int
intake_unit_usable (xc_call_t *call, const char *id, const char *date)
{
    json_t *unit = intake_unit_json (call, id);
    if (!unit)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no unit '%s'", id);
    const char *status = json_string_value (json_object_get (unit, "status"));
    const char *on = json_string_value (json_object_get (unit, "changed_on"));
    int rc = 0;
    /* a fact from before the change (history loaded later) still names the old unit */
    if (strcmp (status, "active") != 0 && !(date && on && strcmp (date, on) < 0))
        rc = xc_call_fail (call, XC_E_CONFLICT, "unit %s was %s into %s on %s", id, status,
                           json_string_value (json_object_get (unit, "successor")), on);
    json_decref (unit);
    return rc;
}

/*  Appends a name to the unit's history, from the day given. */
static int
s_name_add (xc_call_t *call, const char *unit, const char *name, const char *from)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO unit_names (unit, seq, name, from_on)"
                                            " SELECT ?1, coalesce (max (seq) + 1, 0), ?2, ?3"
                                            " FROM unit_names WHERE unit = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, from, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record the unit's name");
}

/*  Registers a unit from {id, name, level, parent?} on the given day and emits
    unit.registered. */
static int
s_register (xc_call_t *call, const json_t *data, const char *day)
{
    const char *id = json_string_value (json_object_get (data, "id"));
    const char *parent = json_string_value (json_object_get (data, "parent"));
    const char *name = json_string_value (json_object_get (data, "name"));
    int known = intake_unit_known (call, id);
    if (known != 0)
        return known < 0 ? -1 : xc_call_fail (call, XC_E_CONFLICT, "unit '%s' is registered already", id);
    if (parent && (known = intake_unit_known (call, parent)) <= 0)
        return known < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no parent unit '%s'", parent);
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO units (id, name, level, parent, registered_on)"
                                            " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "level")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, parent, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, day, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to register the unit") != 0
        || s_name_add (call, id, name, day) != 0)
        return -1;
    json_t *unit = intake_unit_json (call, id);
    if (!unit)
        return xc_call_fail (call, XC_E_INTERNAL, "unit '%s' vanished", id);
    return xc_call_emit_new (call, "unit.registered", NULL, NULL,
                             json_pack ("{s:o, s:s}", "unit", unit, "occurred_on", day));
}

/*  For a district office: an existing unit must be in its district (forbidden otherwise); an
    unknown one is left to the command's own not_found. */
static int
s_district_owns (xc_call_t *call, const char *district, const char *unit, const char *what)
{
    if (!district)
        return 0;
    int known = intake_unit_known (call, unit);
    if (known <= 0)
        return known;
    return intake_district_unit_check (call, district, unit, what);
}

int
intake_unit_register (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    char day[XC_DATE_LEN + 1];
    const char *district;
    if (xc_call_district (call, &district) != 0
        || (district && intake_district_new_unit (call, district, data, "data") != 0)
        || xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0
        || s_register (call, data, day) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s}", "unit", json_string_value (json_object_get (data, "id"))));
    return 0;
}

/*  The unit exists, is active, and day is not before the last day of its history. A unit
    registered today by a command without a date is not dated yet: its registration day does
    not count (the office registers units, then loads their past). */
static int
s_changeable (xc_call_t *call, const char *unit, const char *day)
{
    json_t *u = intake_unit_json (call, unit);
    if (!u)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no unit '%s'", unit);
    const char *status = json_string_value (json_object_get (u, "status"));
    int rc = 0;
    if (strcmp (status, "active") != 0)
        rc = xc_call_fail (call, XC_E_CONFLICT, "unit %s was %s into %s on %s", unit, status,
                           json_string_value (json_object_get (u, "successor")),
                           json_string_value (json_object_get (u, "changed_on")));
    else {
        /* the dated facts: names after the first (renames) */
        const json_t *names = json_object_get (u, "names");
        for (size_t i = 1; rc == 0 && i < json_array_size (names); i++) {
            const char *from = json_string_value (json_object_get (json_array_get (names, i), "from"));
            if (strcmp (day, from) < 0)
                rc = xc_call_fail (call, XC_E_CONFLICT, "%s is before the unit %s was renamed on %s",
                                   day, unit, from);
        }
    }
    json_decref (u);
    return rc;
}

int
intake_unit_rename (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *id = json_string_value (json_object_get (data, "unit"));
    const char *name = json_string_value (json_object_get (data, "name"));
    char day[XC_DATE_LEN + 1];
    const char *district;
    if (xc_call_district (call, &district) != 0
        || s_district_owns (call, district, id, "data.unit") != 0
        || xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0
        || s_changeable (call, id, day) != 0)
        return -1;
    json_t *unit = intake_unit_json (call, id);
    char previous[256];
    snprintf (previous, sizeof previous, "%s", json_string_value (json_object_get (unit, "name")));
    json_decref (unit);
    if (strcmp (previous, name) == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "unit %s is named %s already", id, name);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE units SET name = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to rename the unit") != 0 || s_name_add (call, id, name, day) != 0)
        return -1;
    if (xc_call_emit_new (call, "unit.renamed", NULL, NULL,
                          json_pack ("{s:s, s:s, s:s, s:s}", "unit", id, "name", name,
                                     "previous_name", previous, "occurred_on", day)) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:s}", "unit", id, "name", name));
    return 0;
}

/*  Marks a unit merged or split into its successor on day. */
static int
s_retire (xc_call_t *call, const char *unit, const char *status, const char *successor, const char *day)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE units SET status = ?2, successor = ?3, changed_on = ?4"
                                            " WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, successor, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, day, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to retire the unit");
}

/*  A new unit of a merge or split has a name and a level; an existing one only its id. */
static bool
s_new_unit (const json_t *u)
{
    return json_object_get (u, "name") || json_object_get (u, "level") || json_object_get (u, "parent");
}

int
intake_unit_merge (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    const json_t *from = json_object_get (data, "from");
    const json_t *into = json_object_get (data, "into");
    const char *into_id = json_string_value (json_object_get (into, "id"));
    bool fresh = s_new_unit (into);
    if (fresh && !(json_object_get (into, "name") && json_object_get (into, "level")))
        return xc_call_fail (call, XC_E_SCHEMA, "data.into: a new unit has a name and a level"
                             " (an existing one only its id)");
    char day[XC_DATE_LEN + 1];
    const char *district;
    if (xc_call_district (call, &district) != 0
        || xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0)
        return -1;
    /* a district office merges its district's units, into one of them or a new one in it */
    if (district && (fresh ? intake_district_new_unit (call, district, into, "data.into")
                           : s_district_owns (call, district, into_id, "data.into")) != 0)
        return -1;
    for (size_t i = 0; district && i < json_array_size (from); i++)
        if (s_district_owns (call, district, json_string_value (json_array_get (from, i)), "data.from") != 0)
            return -1;
    for (size_t i = 0; i < json_array_size (from); i++) {
        const char *unit = json_string_value (json_array_get (from, i));
        for (size_t k = 0; k < i; k++)
            if (strcmp (unit, json_string_value (json_array_get (from, k))) == 0)
                return xc_call_fail (call, XC_E_SCHEMA, "data.from[%zu]: '%s' twice", i, unit);
        if (strcmp (unit, into_id) == 0)
            return xc_call_fail (call, XC_E_CONFLICT, "unit %s cannot merge into itself", unit);
        if (s_changeable (call, unit, day) != 0)
            return -1;
    }
    if (fresh) {
        if (s_register (call, into, day) != 0)
            return -1;
    }
    else if (s_changeable (call, into_id, day) != 0)
        return -1;
    for (size_t i = 0; i < json_array_size (from); i++)
        if (s_retire (call, json_string_value (json_array_get (from, i)), "merged", into_id, day) != 0)
            return -1;
    if (xc_call_emit_new (call, "unit.merged", NULL, NULL,
                          json_pack ("{s:O, s:s, s:s}", "from", from, "into", into_id,
                                     "occurred_on", day)) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:O, s:s}", "from", from, "into", into_id));
    return 0;
}

int
intake_unit_split (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *id = json_string_value (json_object_get (data, "unit"));
    const json_t *into = json_object_get (data, "into");
    const char *successor = json_string_value (json_object_get (data, "successor"));
    bool named = false;
    for (size_t i = 0; i < json_array_size (into); i++) {
        const json_t *u = json_array_get (into, i);
        const char *uid = json_string_value (json_object_get (u, "id"));
        if (!json_object_get (u, "name") || !json_object_get (u, "level"))
            return xc_call_fail (call, XC_E_SCHEMA, "data.into[%zu]: a new unit has a name and a level", i);
        for (size_t k = 0; k < i; k++)
            if (strcmp (uid, json_string_value (json_object_get (json_array_get (into, k), "id"))) == 0)
                return xc_call_fail (call, XC_E_SCHEMA, "data.into[%zu]: '%s' twice", i, uid);
        named = named || strcmp (uid, successor) == 0;
    }
    if (!named)
        return xc_call_fail (call, XC_E_SCHEMA, "data.successor: '%s' is none of the new units", successor);
    char day[XC_DATE_LEN + 1];
    const char *district;
    if (xc_call_district (call, &district) != 0
        || s_district_owns (call, district, id, "data.unit") != 0)
        return -1;
    for (size_t i = 0; district && i < json_array_size (into); i++) {
        char what[32];
        snprintf (what, sizeof what, "data.into[%zu]", i);
        if (intake_district_new_unit (call, district, json_array_get (into, i), what) != 0)
            return -1;
    }
    if (xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0
        || s_changeable (call, id, day) != 0)
        return -1;
    json_t *ids = json_array ();
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size (into); i++) {
        rc = s_register (call, json_array_get (into, i), day);
        json_array_append (ids, json_object_get (json_array_get (into, i), "id"));
    }
    if (rc == 0)
        rc = s_retire (call, id, "split", successor, day);
    if (rc == 0)
        rc = xc_call_emit_new (call, "unit.split", NULL, NULL,
                               json_pack ("{s:s, s:O, s:s, s:s}", "unit", id, "into", ids,
                                          "successor", successor, "occurred_on", day));
    if (rc == 0)
        xc_call_result (call, json_pack ("{s:s, s:O, s:s}", "unit", id, "into", ids, "successor", successor));
    json_decref (ids);
    return rc;
}

int
intake_unit_get (xc_call_t *call, void *state)
{
    (void) state;
    const char *id = json_string_value (json_object_get (xc_call_msg (call)->data, "unit"));
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    int visible = district ? intake_unit_visible (call, id, district) : 1;
    if (visible < 0)
        return -1;
    json_t *unit = visible ? intake_unit_json (call, id) : NULL;
    if (!unit)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no unit '%s'", id);
    xc_call_result (call, unit);
    return 0;
}

int
intake_unit_list (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *level = json_string_value (json_object_get (data, "level"));
    const char *parent = json_string_value (json_object_get (data, "parent"));
    const char *after = json_string_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    /* a district office: its district's units (down the parent index from the district) and
       the targets of the crossed rounds it reads; as many rows read as it sees */
    sqlite3_stmt *stmt = xc_call_stmt (call, district
        ? "WITH RECURSIVE down (id, depth) AS (SELECT ?5, 0"
          " UNION SELECT u.id, down.depth + 1 FROM units u JOIN down ON u.parent = down.id"
          " WHERE down.depth < 32),"
          " seen (id) AS (SELECT id FROM down UNION SELECT t.unit FROM rounds r"
          " JOIN round_targets t ON t.round = r.id WHERE r.link_by = ?5)"
          " SELECT " UNIT_COLUMNS " FROM units WHERE id IN (SELECT id FROM seen)"
          " AND (?1 IS NULL OR level = ?1) AND (?2 IS NULL OR parent = ?2) AND id > ?3"
          " ORDER BY id LIMIT ?4"
        : "SELECT " UNIT_COLUMNS " FROM units"
          " WHERE (?1 IS NULL OR level = ?1) AND (?2 IS NULL OR parent = ?2) AND id > ?3"
          " ORDER BY id LIMIT ?4");
    if (!stmt)
        return -1;
    if (district)
        sqlite3_bind_text (stmt, 5, district, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 1, level, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, parent, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, limit + 1);
    return xc_call_page (call, stmt, limit, s_unit_row, "id", "unable to list units");
}
