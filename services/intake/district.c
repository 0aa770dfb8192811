/*  district.c: what a district office (role district) may see and do within its district D
    (docs/services/intake.md, "District offices"): units in D by the parent chain, rounds D
    owns or reads, problems of those rounds. The handlers ask here; the city office and the
    other roles never reach these checks with a district. */
#include <stdio.h>
#include <string.h>

#include "services/intake/intake.h"


int
intake_unit_in_district (xc_call_t *call, const char *unit, const char *district)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "WITH RECURSIVE up (id, parent, depth) AS ("
        " SELECT id, parent, 0 FROM units WHERE id = ?1"
        " UNION ALL SELECT u.id, u.parent, up.depth + 1 FROM units u JOIN up ON u.id = up.parent"
        /* registries are shallow; the bound only stops a loop in a store edited by hand */
        " WHERE up.depth < 32)"
        " SELECT 1 FROM up WHERE id = ?2 LIMIT 1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, district, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return xc_call_fail_db (call, "unit lookup");
}

int
intake_unit_visible (xc_call_t *call, const char *unit, const char *district)
{
    int in = intake_unit_in_district (call, unit, district);
    if (in != 0)
        return in;
    /* a target of a crossed round D's teams inspect */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT 1 FROM rounds r JOIN round_targets t ON t.round = r.id"
        " WHERE r.link_by = ?2 AND t.unit = ?1 LIMIT 1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, district, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return xc_call_fail_db (call, "unit lookup");
}

intake_scope_t
intake_round_scope (const json_t *round, const char *district)
{
    if (!round || !district)
        return INTAKE_SCOPE_NONE;
    const char *owner = json_string_value (json_object_get (json_object_get (round, "owner"), "district"));
    if (owner && strcmp (owner, district) == 0)
        return INTAKE_SCOPE_OWNS;
    const json_t *link = json_object_get (round, "link");
    const char *kind = json_string_value (json_object_get (link, "kind"));
    const char *by = json_string_value (json_object_get (link, "by"));
    if (kind && strcmp (kind, "crossed") == 0 && by && strcmp (by, district) == 0)
        return INTAKE_SCOPE_READS;
    return INTAKE_SCOPE_NONE;
}

int
intake_round_id_scope (xc_call_t *call, const char *round, const char *district,
                       intake_scope_t *scope, bool *exists)
{
    *scope = INTAKE_SCOPE_NONE;
    *exists = false;
    if (!round)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT owner_district, link_by FROM rounds WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        const char *owner = (const char *) sqlite3_column_text (stmt, 0);
        const char *by = (const char *) sqlite3_column_text (stmt, 1);
        *exists = true;
        *scope = owner && district && strcmp (owner, district) == 0 ? INTAKE_SCOPE_OWNS
                 : by && district && strcmp (by, district) == 0     ? INTAKE_SCOPE_READS
                                                                    : INTAKE_SCOPE_NONE;
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_call_fail_db (call, "round lookup");
    return 0;
}

int
intake_district_unit_check (xc_call_t *call, const char *district, const char *unit,
                            const char *what)
{
    int in = intake_unit_in_district (call, unit, district);
    if (in < 0)
        return -1;
    if (!in)
        return xc_call_fail (call, XC_E_FORBIDDEN, "%s: unit '%s' is not in district '%s'", what,
                             unit, district);
    return 0;
}

int
intake_district_new_unit (xc_call_t *call, const char *district, const json_t *unit,
                          const char *what)
{
    const char *level = json_string_value (json_object_get (unit, "level"));
    const char *parent = json_string_value (json_object_get (unit, "parent"));
    if (level && (strcmp (level, "district") == 0 || strcmp (level, "city_department") == 0))
        return xc_call_fail (call, XC_E_FORBIDDEN, "%s.level: a district office does not register"
                             " a unit of level '%s' (the city office does)", what, level);
    if (!parent)
        return xc_call_fail (call, XC_E_FORBIDDEN, "%s.parent: a district office registers a unit"
                             " under a unit of its district '%s'", what, district);
    int known = intake_unit_known (call, parent);
    if (known <= 0)
        return known < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no parent unit '%s'", parent);
    char where[128];
    snprintf (where, sizeof where, "%s.parent", what);
    return intake_district_unit_check (call, district, parent, where);
}
