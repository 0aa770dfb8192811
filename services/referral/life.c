/*  life.c: referrals made from intake's events or by the office, and every transition. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
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

/*  Emits a referral's event, visible to the office and the target only (data stolen). */
static int
s_emit_private (xc_call_t *call, const char *type, const char *target, json_t *data)
{
    char visibility[XC_NAME_MAX + 8];
    referral_visibility (target, false, visibility, sizeof visibility);
    return xc_call_emit_new (call, type, visibility, NULL, data);
}

int
referral_make (xc_call_t *call, const referral_t *referral, const char *kind, const char *target,
               json_int_t problem, const char *title, json_t *content, xc_date_t date,
               const char *by)
{
    xc_date_t due;
    char explain[256], date_text[XC_DATE_LEN + 1], due_text[XC_DATE_LEN + 1], from_text[XC_DATE_LEN + 1];
    const char *policy_text;
    referral_policy_due (&referral->policy, kind, &policy_text);
    if (referral_due (call, referral, kind, date, &due, explain, sizeof explain) != 0)
        return -1;
    xc_date_format (date, date_text);
    xc_date_format (due, due_text);
    xc_date_format (referral_alert_first (referral, due), from_text);
    char *content_text = json_dumps (content, JSON_COMPACT);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO referrals (kind, target, problem, title, content, state, referred_on, due,"
        " due_start, due_policy, due_explain, alert_next, created_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'referred', ?6, ?7, ?6, ?8, ?9, ?10, ?11)");
    if (!stmt || !content_text) {
        free (content_text);
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
    free (content_text);
    if (xc_call_exec (call, stmt, "unable to make the referral") != 0)
        return -1;
    json_int_t id = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    if (referral_history (call, id, "created", by, json_pack ("{s:s}", "due", due_text)) != 0)
        return -1;
    json_t *event = json_pack ("{s:I, s:s, s:s, s:s, s:O, s:s, s:s}", "referral", id, "kind", kind,
                               "target", target, "title", title, "content", content,
                               "referred_on", date_text, "due", due_text);
    if (problem > 0)
        json_object_set_new (event, "problem", json_integer (problem));
    if (s_emit_private (call, "referral.created", target, event) != 0)
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

/*  intake's problem.referred and problem.handed_over become referrals; the rest passes. */
int
referral_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state)
{
    const referral_t *referral = state;
    bool lead = strcmp (event->type, "problem.referred") == 0;
    if (strcmp (source, "intake") != 0 || (!lead && strcmp (event->type, "problem.handed_over") != 0))
        return 0;
    if (!event->msg)
        return xc_call_fail (call, XC_E_FORBIDDEN, "intake redacts %s event %lld for referral: make"
                             " referral one of intake's restricted readers", event->type,
                             (long long) event->seq);
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
    json_t *content = json_deep_copy (data);
    int rc = referral_make (call, referral, kind, target, problem, title, content,
                            xc_date_of_time (event->msg->iat, xc_call_config (call)->utc_offset),
                            "intake");
    json_decref (content);
    return rc;
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

int
referral_create (xc_call_t *call, void *state)
{
    const json_t *data = xc_call_msg (call)->data;
    json_t *problem = json_object_get (data, "problem");
    if (problem && s_exists (call, json_integer_value (problem),
                             json_string_value (json_object_get (data, "kind"))))
        return xc_call_fail (call, XC_E_CONFLICT, "problem %lld has a referral of that kind already",
                             (long long) json_integer_value (problem));
    json_t *content = json_pack ("{s:O}", "detail", json_object_get (data, "detail"));
    int rc = referral_make (call, state, json_string_value (json_object_get (data, "kind")),
                            json_string_value (json_object_get (data, "target")),
                            problem ? json_integer_value (problem) : 0,
                            json_string_value (json_object_get (data, "title")), content,
                            xc_call_today (call), xc_call_iss (call));
    json_decref (content);
    return rc;
}

/*  A referral as the transitions need it. */
typedef struct {
    json_int_t id;
    char kind[16], target[XC_NAME_MAX], state[16], method[32], due[XC_DATE_LEN + 1];
    bool disposed;                   /* disposed once: its feedback was given */
} s_referral_t;

/*  Loads the referral of data.referral; checks the sender is its target (or the office when
    office is set). */
static int
s_load (xc_call_t *call, s_referral_t *r, bool office)
{
    memset (r, 0, sizeof *r);
    r->id = json_integer_value (json_object_get (xc_call_msg (call)->data, "referral"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT kind, target, state, coalesce (method, ''), due,"
                                             " disposed_on IS NOT NULL FROM referrals WHERE id = ?1");
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
    }
    sqlite3_reset (stmt);
    if (!found)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no referral %lld", (long long) r->id);
    if (office ? !xc_call_role_is (call, "office") : strcmp (xc_call_iss (call), r->target) != 0)
        return xc_call_fail (call, XC_E_FORBIDDEN, "only %s may do that to referral %lld",
                             office ? "the inspection office" : r->target, (long long) r->id);
    return 0;
}

/*  Moves r to state (and method, when not NULL), records it and emits type. */
static int
s_move (xc_call_t *call, const s_referral_t *r, const char *state, const char *method,
        const char *action, const char *type)
{
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "UPDATE referrals SET state = ?2, method = coalesce (?3, method),"
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
    sqlite3_bind_text (stmt, 5, today, -1, SQLITE_STATIC);
    const json_t *data = xc_call_msg (call)->data;
    if (xc_call_exec (call, stmt, "unable to move the referral") != 0
        || referral_history (call, r->id, action, xc_call_iss (call), json_deep_copy (data)) != 0)
        return -1;
    json_t *event = json_deep_copy (data);
    json_object_set_new (event, "state", json_string (state));
    json_object_set_new (event, "on", json_string (today));
    if (s_emit_private (call, type, r->target, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "referral", r->id, "state", state));
    return 0;
}

int
referral_acknowledge (xc_call_t *call, void *state)
{
    (void) state;
    s_referral_t r;
    if (s_load (call, &r, false) != 0)
        return -1;
    if (strcmp (r.state, "referred") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is %s, not referred", (long long) r.id, r.state);
    return s_move (call, &r, "acknowledged", NULL, "acknowledged", "referral.acknowledged");
}

int
referral_dispose (xc_call_t *call, void *state)
{
    (void) state;
    s_referral_t r;
    if (s_load (call, &r, false) != 0)
        return -1;
    if (strcmp (r.state, "acknowledged") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is %s: it is disposed once acknowledged",
                             (long long) r.id, r.state);
    const char *method = json_string_value (json_object_get (xc_call_msg (call)->data, "method"));
    return s_move (call, &r, "disposed", method, "disposed", "referral.disposed");
}

/*  Outcomes and conclusion need a disposal that is not parked. */
static int
s_disposed_not_parked (xc_call_t *call, const s_referral_t *r, const char *what)
{
    if (strcmp (r->state, "disposed") != 0 || strcmp (r->method, "park") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is %s%s%s: %s needs a disposal that is"
                             " not parked", (long long) r->id, r->state, r->method[0] ? " by " : "",
                             r->method, what);
    return 0;
}

int
referral_outcome (xc_call_t *call, void *state)
{
    (void) state;
    s_referral_t r;
    if (s_load (call, &r, false) != 0 || s_disposed_not_parked (call, &r, "an outcome") != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO outcomes (referral, n, case_filed, party_sanctions, administrative_sanctions,"
        " organizational_handling, detentions, prosecution_transfers, note, reported_on) VALUES (?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM outcomes WHERE referral = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!stmt)
        return -1;
    static const char *const counts[] = { "party_sanctions", "administrative_sanctions",
                                          "organizational_handling", "detentions",
                                          "prosecution_transfers" };
    sqlite3_bind_int64 (stmt, 1, r.id);
    sqlite3_bind_int (stmt, 2, json_is_true (json_object_get (data, "case_filed")));
    for (int i = 0; i < 5; i++)
        sqlite3_bind_int64 (stmt, 3 + i, json_integer_value (json_object_get (data, counts[i])));
    sqlite3_bind_text (stmt, 8, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, today, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the outcome") != 0)
        return -1;
    return s_move (call, &r, "disposed", NULL, "outcome", "referral.outcome_reported");
}

int
referral_reopen (xc_call_t *call, void *state)
{
    (void) state;
    s_referral_t r;
    if (s_load (call, &r, false) != 0)
        return -1;
    if (strcmp (r.state, "disposed") != 0 || strcmp (r.method, "park") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld is not a parked lead", (long long) r.id);
    return s_move (call, &r, "acknowledged", NULL, "reopened", "referral.reopened");
}

int
referral_conclude (xc_call_t *call, void *state)
{
    (void) state;
    s_referral_t r;
    if (s_load (call, &r, false) != 0 || s_disposed_not_parked (call, &r, "concluding") != 0)
        return -1;
    return s_move (call, &r, "concluded", NULL, "concluded", "referral.concluded");
}

int
referral_extend (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    s_referral_t r;
    if (s_load (call, &r, true) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *due = json_string_value (json_object_get (data, "due"));
    const char *reason = json_string_value (json_object_get (data, "reason"));
    if (r.disposed || strcmp (r.state, "concluded") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "referral %lld was disposed: only one awaiting its"
                             " first disposal is extended", (long long) r.id);
    if (strcmp (due, r.due) <= 0)
        return xc_call_fail (call, XC_E_CONFLICT, "the new due date %s is not after %s", due, r.due);
    xc_date_t due_date;
    xc_date_parse (due, &due_date, NULL);
    char from[XC_DATE_LEN + 1], explain[400];
    xc_date_format (referral_alert_first (referral, due_date), from);
    snprintf (explain, sizeof explain, "extended from %s to %s: %.300s", r.due, due, reason);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE referrals SET due = ?2, alert_next = ?3,"
                                             " due_explain = ?4 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, r.id);
    sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, from, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, explain, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to extend the referral") != 0
        || referral_history (call, r.id, "extended", xc_call_iss (call),
                             json_pack ("{s:s, s:s, s:s}", "from", r.due, "to", due, "reason", reason)) != 0)
        return -1;
    /* No content in this event: the notification service routes it. */
    char visibility[XC_NAME_MAX + 8];
    referral_visibility (r.target, true, visibility, sizeof visibility);
    if (xc_call_emit_new (call, "referral.extended", visibility, NULL,
                          json_pack ("{s:I, s:s, s:s, s:s, s:s}", "referral", r.id, "kind", r.kind,
                                     "target", r.target, "due", due, "previous_due", r.due)) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "referral", r.id, "due", due));
    return 0;
}
