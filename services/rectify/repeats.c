/*  repeats.c: intake's confirmed repeat problems (屡查屡犯, problem.repeat_confirmed) kept in
    table repeats, and the points they take off a unit's evaluation in that round
    (policies.rectify.repeats; docs/services/rectify.md, "Repeat problems"). */
#include <string.h>

#include "services/rectify/rectify.h"

/*  Checks and keeps {"problem", "of", "unit", "round", "of_unit", "of_round", "category",
    "occurred_on"}; a second event of the same pair changes nothing (INSERT OR IGNORE). */
int
rectify_repeat_confirmed (xc_call_t *call, const xc_event_t *event)
{
    const json_t *data = event->msg->data;
    json_int_t problem = json_integer_value (json_object_get (data, "problem"));
    json_int_t of = json_integer_value (json_object_get (data, "of"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *on = json_string_value (json_object_get (data, "occurred_on"));
    xc_date_t day;
    if (problem < 1 || of < 1 || problem == of || !unit || !on || xc_date_parse (on, &day, NULL) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "problem.repeat_confirmed event %lld lacks its problem, of, unit"
                             " or occurred_on", (long long) event->seq);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT OR IGNORE INTO repeats (problem, of, unit, round, of_unit, of_round, category, occurred_on)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, problem);
    sqlite3_bind_int64 (stmt, 2, of);
    sqlite3_bind_text (stmt, 3, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (data, "of_unit")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (data, "of_round")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, json_string_value (json_object_get (data, "category")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, on, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a repeat problem");
}

int
rectify_repeats_deduction (xc_call_t *call, const rectify_policy_t *p, const char *round, const char *unit,
                           long long *n, long long *centi)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT count(*) FROM repeats WHERE round = ?1 AND unit = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    *n = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    long long off = *n * p->repeat_deduction_centi;
    *centi = off < p->repeat_deduction_max_centi ? off : p->repeat_deduction_max_centi;
    return 0;
}
