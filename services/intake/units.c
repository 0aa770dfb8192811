/*  units.c: the registry of inspected units. */
#include <stdio.h>

#include "services/intake/intake.h"

#define UNIT_COLUMNS "id, name, level, parent, registered_on"

static json_t *
s_unit_row (sqlite3_stmt *stmt)
{
    return json_pack ("{s:o, s:o, s:o, s:o, s:o}", "id", xc_column_text (stmt, 0), "name",
                      xc_column_text (stmt, 1), "level", xc_column_text (stmt, 2),
                      "parent", xc_column_text (stmt, 3), "registered_on",
                      xc_column_text (stmt, 4));
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
intake_unit_register (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *id = json_string_value (json_object_get (data, "id"));
    const char *parent = json_string_value (json_object_get (data, "parent"));
    json_t *existing = intake_unit_json (call, id);
    if (existing) {
        json_decref (existing);
        return xc_call_fail (call, XC_E_CONFLICT, "unit '%s' is registered already", id);
    }
    if (parent) {
        json_t *p = intake_unit_json (call, parent);
        if (!p)
            return xc_call_fail (call, XC_E_NOT_FOUND, "no parent unit '%s'", parent);
        json_decref (p);
    }
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO units (id, name, level, parent, registered_on)"
                                            " VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "name")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "level")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, parent, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, today, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to register the unit") != 0)
        return -1;
    json_t *unit = intake_unit_json (call, id);
    if (!unit)
        return xc_call_fail (call, XC_E_INTERNAL, "unit '%s' vanished", id);
    json_t *event = json_pack ("{s:o}", "unit", unit);
    int rc = xc_call_emit (call, "unit.registered", NULL, NULL, event);
    json_decref (event);
    if (rc != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s}", "unit", id));
    return 0;
}

int
intake_unit_get (xc_call_t *call, void *state)
{
    (void) state;
    const char *id = json_string_value (json_object_get (xc_call_msg (call)->data, "unit"));
    json_t *unit = intake_unit_json (call, id);
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
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT " UNIT_COLUMNS " FROM units"
        " WHERE (?1 IS NULL OR level = ?1) AND (?2 IS NULL OR parent = ?2) AND id > ?3"
        " ORDER BY id LIMIT ?4");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, level, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, parent, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, limit + 1);
    return xc_call_page (call, stmt, limit, s_unit_row, "id", "unable to list units");
}
