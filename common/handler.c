/*  handler.c: helpers for handlers (handler.h). */
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/store.h"
#include "common/handler.h"
#include "common/page.h"
#include "common/schema.h"

const char *
xc_call_role (xc_call_t *call)
{
    return xc_call_msg (call)->principal->role;
}

const char *
xc_call_iss (xc_call_t *call)
{
    return xc_call_msg (call)->iss;
}

bool
xc_call_role_is (xc_call_t *call, const char *role)
{
    return strcmp (xc_call_role (call), role) == 0;
}

const char *
xc_principal_district (const xc_principal_t *principal)
{
    if (!principal || strcmp (principal->role, "district") != 0 || !json_is_object (principal->scope))
        return NULL;
    const char *id = json_string_value (json_object_get (principal->scope, "district"));
    return id && xc_id_valid (id) ? id : NULL;
}

int
xc_call_district (xc_call_t *call, const char **district)
{
    const xc_principal_t *principal = xc_call_msg (call)->principal;
    *district = xc_principal_district (principal);
    if (*district || strcmp (principal->role, "district") != 0)
        return 0;
    return xc_call_fail (call, XC_E_FORBIDDEN, "principal '%s' is a district office whose registry"
                         " scope names no district ({\"district\": \"<unit id>\"})", principal->iss);
}

xc_date_t
xc_call_today (xc_call_t *call)
{
    return xc_date_of_time (xc_call_now (call), xc_call_config (call)->utc_offset);
}

xc_date_t
xc_call_occurred_on (xc_call_t *call, const json_t *data, const char *const *history_roles,
                     char *out, bool *historical)
{
    xc_date_t today = xc_call_today (call), date = today;
    const json_t *given = json_object_get (data, "occurred_on");
    if (historical)
        *historical = given != NULL;
    if (given) {
        bool allowed = false;
        for (int k = 0; history_roles && history_roles[k] && !allowed; k++)
            allowed = xc_call_role_is (call, history_roles[k]);
        if (!allowed)
            return xc_call_fail (call, XC_E_FORBIDDEN, "occurred_on is for loading history, which role"
                                 " '%s' may not do", xc_call_role (call));
        xc_err_t err;
        if (!json_is_string (given) || xc_date_parse (json_string_value (given), &date, &err) != 0)
            return xc_call_fail (call, XC_E_SCHEMA, "occurred_on: not a date (YYYY-MM-DD)");
        if (date > today) {
            char day[XC_DATE_LEN + 1];
            xc_date_format (today, day);
            return xc_call_fail (call, XC_E_SCHEMA, "occurred_on %s is after today (%s)",
                                 json_string_value (given), day);
        }
    }
    if (out)
        xc_date_format (date, out);
    return date;
}

sqlite3_stmt *
xc_call_stmt (xc_call_t *call, const char *sql)
{
    sqlite3_stmt *stmt = NULL;
    xc_err_t err;
    if (xc_store_stmt (xc_call_store (call), sql, &stmt, &err) != 0) {
        xc_call_fail (call, err.code, "%s", err.text);
        return NULL;
    }
    return stmt;
}

int
xc_call_exists (xc_call_t *call, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return xc_call_fail_db (call, what);
}

int
xc_call_text (xc_call_t *call, sqlite3_stmt *stmt, char *out, size_t size, const char *what)
{
    out[0] = '\0';
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW && sqlite3_column_text (stmt, 0))
        snprintf (out, size, "%s", (const char *) sqlite3_column_text (stmt, 0));
    sqlite3_reset (stmt);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc == SQLITE_ROW;
    return xc_call_fail_db (call, what);
}

int
xc_call_exec (xc_call_t *call, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_DONE)
        return 0;
    return xc_call_fail_db (call, what);
}

int
xc_call_emit_new (xc_call_t *call, const char *type, const char *visibility, const char *key,
             json_t *data)
{
    if (!data)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    int rc = xc_call_emit (call, type, visibility, key, data);
    json_decref (data);
    return rc;
}

json_t *
xc_json_pick (const json_t *from, const char *const *keys)
{
    json_t *out = json_object ();
    for (; out && *keys; keys++) {
        json_t *v = json_object_get (from, *keys);
        json_object_set_new (out, *keys, v ? json_incref (v) : json_null ());
    }
    return out;
}

json_t *
xc_column_text (sqlite3_stmt *stmt, int column)
{
    if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
        return json_null ();
    return json_stringn ((const char *) sqlite3_column_text (stmt, column),
                         (size_t) sqlite3_column_bytes (stmt, column));
}

int
xc_call_page (xc_call_t *call, sqlite3_stmt *stmt, int limit,
             json_t *(*row) (sqlite3_stmt *stmt), const char *cursor, const char *what)
{
    const char *const keep[] = { cursor, NULL };
    xc_page_t page;
    if (xc_page_init (&page, xc_call_config (call)->max_message_bytes, limit, keep) != 0) {
        sqlite3_reset (stmt);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    int rc, added = 1;
    while (added == 1 && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
        added = xc_page_add (&page, row (stmt));
    sqlite3_reset (stmt);
    if (added < 0 || (added == 1 && rc != SQLITE_DONE)) {
        xc_page_clear (&page);
        return added < 0 ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : xc_call_fail_db (call, what);
    }
    /* a row was left over (the limit, or the page's bytes): the reader goes on after the last */
    json_t *items = xc_page_take (&page);
    json_t *next = added == 0 ? json_object_get (json_array_get (items, json_array_size (items) - 1), cursor) : NULL;
    xc_call_result (call, json_pack ("{s:o, s:O}", "items", items, "next", next ? next : json_null ()));
    xc_page_clear (&page);
    return 0;
}

int
xc_page_limit (const json_t *data)
{
    json_t *limit = json_object_get (data, "limit");
    return limit ? (int) json_integer_value (limit) : 100;
}

static bool
s_named (const char *const *list, const char *name)
{
    for (int i = 0; list && list[i]; i++)
        if (strcmp (list[i], name) == 0)
            return true;
    return false;
}

json_t *
xc_call_rows (xc_call_t *call, const char *sql, json_int_t id, const char *const *names,
              const char *const *json_columns)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *rows = json_array ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        json_t *row = json_object ();
        for (int i = 0; names[i]; i++) {
            json_t *v = sqlite3_column_type (stmt, i) == SQLITE_INTEGER
                            ? json_integer (sqlite3_column_int64 (stmt, i)) : xc_column_text (stmt, i);
            if (json_is_string (v) && s_named (json_columns, names[i])) {
                json_t *parsed = json_loads (json_string_value (v), 0, NULL);
                if (parsed) {
                    json_decref (v);
                    v = parsed;
                }
            }
            json_object_set_new (row, names[i], v);
        }
        json_array_append_new (rows, row);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (rows);
        xc_call_fail_db (call, "unable to read rows");
        return NULL;
    }
    return rows;
}
