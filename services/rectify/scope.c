/*  scope.c: who sees which unit's items and events, and who acts for a unit.

    A principal's registry scope {"units": [...]} names units; a unit principal acts for and
    sees exactly those, a supervisor (discipline, audit) sees them and every unit below them.
    The tree of units comes from intake's unit.registered events and is kept in memory too,
    because events.read decides visibility without a database handle.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/store.h"
#include "services/rectify/rectify.h"

#define DEPTH_MAX 64                 /* a tree deeper than this is a cycle in bad data */

int
rectify_scope_load (rectify_t *rectify, sqlite3 *db, xc_err_t *err)
{
    if (!rectify->parents)
        rectify->parents = json_object ();
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db, "SELECT id, parent FROM units", -1, &stmt, NULL) != SQLITE_OK)
        return xc_store_fail (db, "unable to read the units", err);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        rectify_scope_add (rectify, (const char *) sqlite3_column_text (stmt, 0),
                           (const char *) sqlite3_column_text (stmt, 1));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : xc_store_fail (db, "unable to read the units", err);
}

void
rectify_scope_add (rectify_t *rectify, const char *unit, const char *parent)
{
    if (unit)
        json_object_set_new (rectify->parents, unit, parent ? json_string (parent) : json_null ());
}

static bool
s_named (const xc_principal_t *p, const char *unit)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (p->scope, "units"), i, v) {
        const char *named = json_string_value (v);
        if (named && (strcmp (named, unit) == 0 || strcmp (named, "*") == 0))
            return true;
    }
    return false;
}

bool
rectify_scope_acts (const xc_principal_t *principal, const char *unit)
{
    if (strcmp (principal->role, "unit") != 0)
        return false;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (principal->scope, "units"), i, v)
        if (json_string_value (v) && strcmp (json_string_value (v), unit) == 0)
            return true;
    return false;
}

bool
rectify_scope_sees (const rectify_t *rectify, const xc_principal_t *reader, const char *unit)
{
    const char *role = reader->role;
    if (strcmp (role, "office") == 0 || strcmp (role, "service") == 0)
        return true;
    if (strcmp (role, "unit") == 0)
        return rectify_scope_acts (reader, unit);
    if (strcmp (role, "discipline") != 0 && strcmp (role, "audit") != 0)
        return false;
    for (int depth = 0; unit && depth < DEPTH_MAX; depth++) {
        if (s_named (reader, unit))
            return true;
        unit = json_string_value (json_object_get (rectify->parents, unit));
    }
    return false;
}

int
rectify_scope_units (xc_call_t *call, const rectify_t *rectify, char **text_p)
{
    *text_p = NULL;
    const xc_msg_t *msg = xc_call_msg (call);
    const char *role = xc_call_role (call);
    /* a district office's rows are limited by its rounds instead (districts.c) */
    if (strcmp (role, "office") == 0 || strcmp (role, "service") == 0 || strcmp (role, "district") == 0)
        return 0;
    json_t *units = json_array ();
    const xc_principal_t *reader = msg->principal;
    const char *unit;
    json_t *parent;
    json_object_foreach (rectify->parents, unit, parent)
        if (rectify_scope_sees (rectify, reader, unit))
            json_array_append_new (units, json_string (unit));
    /* a unit principal's own units, even before intake's unit.registered reached rectify */
    if (strcmp (role, "unit") == 0) {
        size_t i;
        json_t *v;
        json_array_foreach (json_object_get (reader->scope, "units"), i, v)
            if (json_is_string (v))
                json_array_append (units, v);
    }
    *text_p = json_dumps (units, JSON_COMPACT);
    json_decref (units);
    return *text_p ? 0 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
}

void
rectify_visibility (const char *unit, char *out, size_t size)
{
    snprintf (out, size, "unit:%s", unit);
}

int
rectify_reach (xc_call_t *call, const rectify_t *rectify, const char *alias, rectify_reach_t *reach)
{
    memset (reach, 0, sizeof *reach);
    if (rectify_owner_filter (call, &reach->owner, &reach->district) != 0
        || rectify_scope_units (call, rectify, &reach->units) != 0)
        return -1;
    /* a district office's rounds and the owner filter as IN over the rounds' indexes, so that
       SQLite reads the items of those rounds only (items_by_round_state) */
    char by_district[512] = "1", by_owner[512];
    if (reach->district)
        rectify_district_clause (by_district, sizeof by_district, alias, RECTIFY_REACH_PARAM + 1);
    rectify_owner_clause (by_owner, sizeof by_owner, alias, reach->owner, RECTIFY_REACH_PARAM + 2);
    snprintf (reach->sql, sizeof reach->sql, "(?%d IS NULL OR %s.unit IN (SELECT value FROM json_each (?%d)))"
              " AND %s AND %s", RECTIFY_REACH_PARAM, alias, RECTIFY_REACH_PARAM, by_district, by_owner);
    return 0;
}

void
rectify_reach_bind (sqlite3_stmt *stmt, const rectify_reach_t *reach)
{
    sqlite3_bind_text (stmt, RECTIFY_REACH_PARAM, reach->units, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, RECTIFY_REACH_PARAM + 1, reach->district, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, RECTIFY_REACH_PARAM + 2, reach->owner, -1, SQLITE_STATIC);
}

void
rectify_reach_clear (rectify_reach_t *reach)
{
    free (reach->units);
    reach->units = NULL;
}
