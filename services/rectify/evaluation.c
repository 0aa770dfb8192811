/*  evaluation.c: return visits (回访) and special checks, unit scores, interviews (约谈). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/rectify/rectify.h"

int
rectify_visit_start (xc_call_t *call, const rectify_t *rectify, const char *round, const char *unit,
                     xc_date_t feedback_on)
{
    xc_date_t due;
    char explain[256], on[XC_DATE_LEN + 1], due_text[XC_DATE_LEN + 1];
    /* revisit_after of the round's owner: a district's own, else the city's */
    const rectify_policy_t *p = rectify_round_policy (call, rectify, round, NULL);
    if (!p || rectify_due (call, feedback_on, p->revisit_after, &due, explain, sizeof explain) != 0)
        return -1;
    xc_date_format (feedback_on, on);
    xc_date_format (due, due_text);
    /* feedback loaded from history: no notice before history_quiet has passed (the visit
       itself, made long ago, is loaded right after) */
    xc_date_t today = xc_call_today (call), alert = due, quiet;
    if (feedback_on < today) {
        if (rectify_due (call, today, p->history_quiet, &quiet, NULL, 0) != 0)
            return -1;
        alert = quiet > due ? quiet : due;
    }
    char alert_text[XC_DATE_LEN + 1];
    xc_date_format (alert, alert_text);
    /* the round's feedback (or a unit's first item without a round) starts it once */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT OR IGNORE INTO visits (round, unit, feedback_on, due, explain, alert_next)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, on, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, due_text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, explain, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, alert_text, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to schedule the return visit");
}

int
rectify_visit_tick (xc_call_t *call, const rectify_t *rectify, xc_date_t today)
{
    char today_text[XC_DATE_LEN + 1];
    xc_date_format (today, today_text);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT round, unit, feedback_on, due FROM visits"
                                             " WHERE alert_next <= ?1 ORDER BY alert_next LIMIT 1000");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today_text, -1, SQLITE_STATIC);
    json_t *due = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (due, json_pack ("{s:o, s:o, s:o, s:o}", "round", xc_column_text (stmt, 0),
                                               "unit", xc_column_text (stmt, 1), "feedback_on",
                                               xc_column_text (stmt, 2), "due", xc_column_text (stmt, 3)));
    sqlite3_reset (stmt);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size (due); i++) {
        json_t *visit = json_array_get (due, i);
        const char *round = json_string_value (json_object_get (visit, "round"));
        const char *unit = json_string_value (json_object_get (visit, "unit"));
        char key[200];
        snprintf (key, sizeof key, "revisit.due:%s:%s", round, unit);
        /* the policy's span as text (the round owner's), so that a notice says the real one */
        const rectify_policy_t *p = rectify_round_policy (call, rectify, round, NULL);
        if (!p) {
            rc = -1;
            break;
        }
        json_object_set_new (visit, "after", json_string (p->revisit_text));
        rc = xc_call_begin (call);
        if (rc == 0)
            rc = rectify_emit (call, "revisit.due", unit, key, json_incref (visit));
        stmt = rc == 0 ? xc_call_stmt (call, "UPDATE visits SET alert_next = NULL WHERE round = ?1 AND unit = ?2")
                       : NULL;
        if (!stmt)
            rc = -1;
        else {
            sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
            rc = xc_call_exec (call, stmt, "unable to mark the return visit due");
        }
    }
    json_decref (due);
    return rc;
}

int
rectify_revisit (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *date = json_string_value (json_object_get (data, "date"));
    round = round ? round : "";
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    if (strcmp (date, today) > 0)
        return xc_call_fail (call, XC_E_SCHEMA, "data.date: %s is after today (%s)", date, today);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT feedback_on, due, recorded_on IS NOT NULL FROM visits"
                                             " WHERE round = ?1 AND unit = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    char feedback_on[XC_DATE_LEN + 1] = "", due[XC_DATE_LEN + 1] = "";
    bool found = sqlite3_step (stmt) == SQLITE_ROW, recorded = false;
    if (found) {
        snprintf (feedback_on, sizeof feedback_on, "%s", (const char *) sqlite3_column_text (stmt, 0));
        snprintf (due, sizeof due, "%s", (const char *) sqlite3_column_text (stmt, 1));
        recorded = sqlite3_column_int (stmt, 2);
    }
    sqlite3_reset (stmt);
    if (!found)
        return xc_call_fail (call, XC_E_NOT_FOUND, "unit '%s' has no return visit in round '%s' (the round's"
                             " feedback starts its targets' visits)", unit, round);
    char what[160];
    snprintf (what, sizeof what, "the return visit of unit '%s' in round '%s'", unit, round);
    if (rectify_district_commands (call, rectify, round, what) != 0)
        return -1;
    if (recorded)
        return xc_call_fail (call, XC_E_CONFLICT, "the return visit of unit '%s' in round '%s' is recorded"
                             " already", unit, round);
    if (strcmp (date, feedback_on) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "the visit on %s is before the feedback on %s", date, feedback_on);
    char *kinds = json_dumps (json_object_get (data, "kinds"), JSON_COMPACT);
    stmt = xc_call_stmt (call, "UPDATE visits SET recorded_on = ?3, kinds = ?4, note = ?5, recorded_by = ?6,"
                               " alert_next = NULL WHERE round = ?1 AND unit = ?2");
    if (!stmt || !kinds) {
        free (kinds);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, date, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, kinds, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, xc_call_iss (call), -1, SQLITE_STATIC);
    free (kinds);
    if (xc_call_exec (call, stmt, "unable to record the visit") != 0)
        return -1;
    json_t *event = xc_json_pick (data, (const char *const[]) { "unit", "date", "kinds", "note", NULL });
    json_object_set_new (event, "round", json_string (round));
    json_object_set_new (event, "feedback_on", json_string (feedback_on));
    json_object_set_new (event, "due", json_string (due));
    json_object_set_new (event, "occurred_on", json_string (date));
    if (rectify_emit (call, "revisit.recorded", unit, NULL, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:s, s:s}", "round", round, "unit", unit, "date", date));
    return 0;
}

/*  "86.15" from 8615 hundredths. */
static json_t *
s_score_text (long long centi)
{
    char text[32];
    snprintf (text, sizeof text, "%lld.%02lld", centi / 100, centi % 100);
    return json_string (text);
}

/*  Once every target of the round is scored: the low scorers' leaders are to be interviewed. */
static int
s_interviews (xc_call_t *call, const rectify_t *rectify, const char *round)
{
    const rectify_policy_t *p = &rectify->policy;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT count(*) FROM round_targets t WHERE t.round = ?1 AND NOT EXISTS"
        " (SELECT 1 FROM evaluations e WHERE e.round = t.round AND e.unit = t.unit)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    long long missing = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
    sqlite3_reset (stmt);
    if (missing != 0)
        return missing < 0 ? xc_call_fail_db (call, "unable to count the evaluations") : 0;
    stmt = xc_call_stmt (call,
        "SELECT e.unit, e.score_centi, e.grade, e.principal_leader, u.name FROM evaluations e"
        " LEFT JOIN units u ON u.id = e.unit WHERE e.round = ?1 ORDER BY e.score_centi, e.unit");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    json_t *rows = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *leader = json_loads ((const char *) sqlite3_column_text (stmt, 3), 0, NULL);
        json_array_append_new (rows, json_pack ("{s:o, s:I, s:o, s:o, s:o}", "unit", xc_column_text (stmt, 0),
                                                "centi", (json_int_t) sqlite3_column_int64 (stmt, 1),
                                                "grade", xc_column_text (stmt, 2),
                                                "principal_leader", leader ? leader : json_null (),
                                                "unit_name", xc_column_text (stmt, 4)));
    }
    sqlite3_reset (stmt);
    /* the lowest N, and every unit tied with the N-th */
    long long lowest_limit = -1;
    if (p->interview_lowest > 0 && json_array_size (rows) > 0) {
        size_t nth = (size_t) p->interview_lowest < json_array_size (rows) ? (size_t) p->interview_lowest - 1
                                                                             : json_array_size (rows) - 1;
        lowest_limit = json_integer_value (json_object_get (json_array_get (rows, nth), "centi"));
    }
    int rc = 0;
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row) {
        long long centi = json_integer_value (json_object_get (row, "centi"));
        bool below = p->interview_below > 0 && centi < (long long) p->interview_below * 100;
        bool lowest = centi <= lowest_limit;
        if (!below && !lowest)
            continue;
        char reason[64], key[200];
        if (below && lowest)
            snprintf (reason, sizeof reason, "below %d and among the lowest %d", p->interview_below, p->interview_lowest);
        else if (below)
            snprintf (reason, sizeof reason, "below %d", p->interview_below);
        else
            snprintf (reason, sizeof reason, "among the lowest %d", p->interview_lowest);
        const char *unit = json_string_value (json_object_get (row, "unit"));
        stmt = xc_call_stmt (call, "INSERT INTO interviews (round, unit, reason) VALUES (?1, ?2, ?3)");
        if (!stmt) {
            rc = -1;
            break;
        }
        sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, reason, -1, SQLITE_STATIC);
        snprintf (key, sizeof key, "interview:%s:%s", round, unit);
        if (xc_call_exec (call, stmt, "unable to record an interview") != 0
            || rectify_emit (call, "interview.recommended", unit, key,
                             json_pack ("{s:s, s:s, s:O, s:O, s:o, s:O, s:s, s:s}", "round", round, "unit", unit,
                                        "unit_name", json_object_get (row, "unit_name"), "principal_leader",
                                        json_object_get (row, "principal_leader"), "score", s_score_text (centi),
                                        "grade", json_object_get (row, "grade"), "grade_name",
                                        rectify_policy_grade_name (p, json_string_value (json_object_get (row, "grade"))),
                                        "reason", reason)) != 0) {
            rc = -1;
            break;
        }
    }
    json_decref (rows);
    return rc;
}

int
rectify_evaluate (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const rectify_policy_t *p = &rectify->policy;
    const json_t *data = xc_call_msg (call)->data;
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    char today[XC_DATE_LEN + 1];     /* the day of the evaluation */
    if (xc_call_occurred_on (call, data, p->history_roles, today, NULL) < 0)
        return -1;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT (SELECT count(*) FROM rounds WHERE id = ?1),"
        " (SELECT count(*) FROM round_targets WHERE round = ?1 AND unit = ?2),"
        " (SELECT count(*) FROM evaluations WHERE round = ?1 AND unit = ?2)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    long long known = 0, target = 0, done = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        known = sqlite3_column_int64 (stmt, 0);
        target = sqlite3_column_int64 (stmt, 1);
        done = sqlite3_column_int64 (stmt, 2);
    }
    sqlite3_reset (stmt);
    if (!known)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)", round);
    char what[96];
    snprintf (what, sizeof what, "round '%s'", round);
    if (rectify_district_commands (call, rectify, round, what) != 0)
        return -1;
    if (!target)
        return xc_call_fail (call, XC_E_CONFLICT, "unit '%s' is not a target of round '%s'", unit, round);
    if (done)
        return xc_call_fail (call, XC_E_CONFLICT, "unit '%s' is evaluated in round '%s' already", unit, round);
    /* score = sum of weight x part / 100; in hundredths it is an exact integer */
    const json_t *parts = json_object_get (data, "parts");
    long long centi = 0;
    for (int i = 0; i < 4; i++)
        centi += (long long) p->weights[i] * json_integer_value (json_object_get (parts, rectify_parts[i]));
    /* less the confirmed repeats' deduction (repeats.c), never below 0 */
    long long repeats, deduction;
    if (rectify_repeats_deduction (call, p, round, unit, &repeats, &deduction) != 0)
        return -1;
    centi = centi > deduction ? centi - deduction : 0;
    const char *grade = p->grades[p->n_grades - 1].grade;
    for (int i = p->n_grades - 1; i >= 0; i--)
        if (centi >= (long long) p->grades[i].min * 100)
            grade = p->grades[i].grade;
    char *leader = json_dumps (json_object_get (data, "principal_leader"), JSON_COMPACT);
    stmt = xc_call_stmt (call,
        "INSERT INTO evaluations (round, unit, leadership, responsibility, task_completion, satisfaction,"
        " score_centi, grade, principal_leader, note, evaluated_on, evaluated_by, repeats, deduction_centi)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    if (!stmt || !leader) {
        free (leader);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    for (int i = 0; i < 4; i++)
        sqlite3_bind_int64 (stmt, 3 + i, json_integer_value (json_object_get (parts, rectify_parts[i])));
    sqlite3_bind_int64 (stmt, 7, centi);
    sqlite3_bind_text (stmt, 8, grade, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, leader, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 10, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, today, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 12, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 13, repeats);
    sqlite3_bind_int64 (stmt, 14, deduction);
    free (leader);
    if (xc_call_exec (call, stmt, "unable to record the evaluation") != 0
        || rectify_emit (call, "unit.evaluated", unit, NULL,
                         json_pack ("{s:s, s:s, s:O, s:o, s:s, s:s, s:O, s:s, s:I, s:o}", "round", round, "unit", unit,
                                    "parts", parts, "score", s_score_text (centi), "grade", grade, "grade_name",
                                    rectify_policy_grade_name (p, grade), "principal_leader",
                                    json_object_get (data, "principal_leader"), "occurred_on", today,
                                    "repeats", (json_int_t) repeats, "deduction", s_score_text (deduction))) != 0
        || s_interviews (call, rectify, round) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:s, s:o, s:s, s:s, s:O, s:I, s:o}", "round", round, "unit", unit, "score",
                                     s_score_text (centi), "grade", grade, "grade_name",
                                     rectify_policy_grade_name (p, grade), "parts", parts,
                                     "repeats", (json_int_t) repeats, "deduction", s_score_text (deduction)));
    return 0;
}

int
rectify_interview (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    char on[XC_DATE_LEN + 1];
    if (xc_call_occurred_on (call, data, rectify->policy.history_roles, on, NULL) < 0)
        return -1;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT (SELECT count(*) FROM rounds WHERE id = ?1),"
        " (SELECT count(*) FROM round_targets WHERE round = ?1 AND unit = ?2)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    long long known = 0, target = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        known = sqlite3_column_int64 (stmt, 0);
        target = sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_reset (stmt);
    if (!known)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)", round);
    char what[96];
    snprintf (what, sizeof what, "round '%s'", round);
    if (rectify_district_commands (call, rectify, round, what) != 0)
        return -1;
    if (!target)
        return xc_call_fail (call, XC_E_CONFLICT, "unit '%s' is not a target of round '%s'", unit, round);
    char *interviewee = json_dumps (json_object_get (data, "interviewee"), JSON_COMPACT);
    stmt = xc_call_stmt (call, "INSERT INTO interviews_held (round, unit, interviewee, held_by, note, held_on,"
                               " recorded_by, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!stmt || !interviewee) {
        free (interviewee);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, interviewee, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (data, "by")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, on, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 8, xc_call_now (call));
    free (interviewee);
    if (xc_call_exec (call, stmt, "unable to record the interview") != 0)
        return -1;
    json_int_t id = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    json_t *event = xc_json_pick (data, (const char *const[]) { "round", "unit", "interviewee", "by", "note", NULL });
    json_object_set_new (event, "interview", json_integer (id));
    /* the names people read in a notice */
    stmt = xc_call_stmt (call, "SELECT (SELECT name FROM units WHERE id = ?2), (SELECT name FROM rounds WHERE id = ?1)");
    if (!stmt) {
        json_decref (event);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, unit, -1, SQLITE_STATIC);
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        json_object_set_new (event, "unit_name", xc_column_text (stmt, 0));
        json_object_set_new (event, "round_name", xc_column_text (stmt, 1));
    }
    sqlite3_reset (stmt);
    json_object_set_new (event, "occurred_on", json_string (on));
    if (rectify_emit (call, "interview.held", unit, NULL, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s, s:s, s:s}", "interview", id, "round", round, "unit", unit,
                                     "occurred_on", on));
    return 0;
}
