/*  deadlines.c: a referral's due date for feedback, its warnings and its overdue notice.

    Each alert is recorded in the table alerts (referral, due, alert) before its event is
    appended, so a tick never signs an event it has sent before, and a new due date (an
    extension) starts a fresh set. The events are keyed by referral, due date and alert too.
*/
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "services/referral/referral.h"

int
referral_due (xc_call_t *call, const referral_rules_t *rules, const char *kind, xc_date_t start,
              xc_date_t *due, char *explain, size_t explain_size)
{
    const char *text;
    const xc_span_t *span = referral_rules_due (rules, kind, &text);
    xc_err_t err;
    if (xc_deadline_compute (xc_call_calendar (call), start, *span, due, explain, explain_size, &err) != 0)
        /* a year without a calendar file: intake's event waits for it (service.h) */
        return err.code == XC_E_CONFIG ? xc_call_wait_calendar (call, err.text)
                                       : xc_call_fail (call, err.code, "%s", err.text);
    return 0;
}

xc_date_t
referral_alert_next (const referral_rules_t *p, xc_date_t due, xc_date_t today)
{
    /* thresholds ascend, so their days descend: the first later than today, from the largest */
    for (int i = p->n_warn_days - 1; i >= 0; i--)
        if (due - p->warn_days[i] > today)
            return due - p->warn_days[i];
    return due + 1 > today ? due + 1 : 0;
}

xc_date_t
referral_alert_first (const referral_rules_t *p, xc_date_t due)
{
    return p->n_warn_days ? due - p->warn_days[p->n_warn_days - 1] : due + 1;
}

int
referral_alert_schedule (xc_call_t *call, const referral_rules_t *rules, json_int_t id,
                         xc_date_t due, xc_date_t today)
{
    xc_date_t next = referral_alert_next (rules, due, today);
    char text[XC_DATE_LEN + 1];
    xc_date_format (next, text);
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE referrals SET alert_next = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    if (next)
        sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
    return xc_call_exec (call, stmt, "unable to schedule the next alert");
}

/*  Records alert for (id, due); 1 when it is new, 0 when it was sent before. */
static int
s_alert_new (xc_call_t *call, json_int_t id, const char *due, const char *alert)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR IGNORE INTO alerts (referral, due, alert)"
                                             " VALUES (?1, ?2, ?3)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, alert, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record an alert") != 0)
        return -1;
    return sqlite3_changes (xc_call_db (call)) == 1;
}

/*  The alerts one referral is due now. Days left within a band gets that band's warning
    once; bands a late referral skipped are recorded without a warning of their own. */
static int
s_alerts_for (xc_call_t *call, const referral_rules_t *p, json_int_t id, const char *kind,
              const char *target, const char *district, const char *due_text, xc_date_t due, xc_date_t today)
{
    int days_left = (int) (due - today);
    char alert[32], key[128], visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8];
    referral_visibility (target, district, true, visibility, sizeof visibility);
    /* notify routes by the owner of the referral's round (docs/services/notify.md) */
    const char *owner = district && district[0] ? district : "city";
    if (days_left < 0) {
        int fresh = s_alert_new (call, id, due_text, "overdue");
        if (fresh <= 0)
            return fresh;
        snprintf (key, sizeof key, "overdue:%lld:%s", (long long) id, due_text);
        return referral_emit (call, "referral.overdue", visibility, key,
                                 json_pack ("{s:I, s:s, s:s, s:s, s:s}", "referral", id, "kind", kind,
                                            "target", target, "due", due_text, "round_owner", owner));
    }
    int band = -1;                   /* the smallest threshold not below days_left */
    for (int i = 0; i < p->n_warn_days && band < 0; i++)
        if (days_left <= p->warn_days[i])
            band = i;
    if (band < 0)
        return 0;
    for (int i = p->n_warn_days - 1; i >= band; i--) {
        snprintf (alert, sizeof alert, "warn:%d", p->warn_days[i]);
        int fresh = s_alert_new (call, id, due_text, alert);
        if (fresh < 0)
            return -1;
        if (!fresh || i != band)
            continue;
        snprintf (key, sizeof key, "warning:%lld:%s:%d", (long long) id, due_text, p->warn_days[i]);
        if (referral_emit (call, "referral.warning", visibility, key,
                              json_pack ("{s:I, s:s, s:s, s:s, s:i, s:s}", "referral", id, "kind", kind,
                                         "target", target, "due", due_text, "days_left", days_left,
                                         "round_owner", owner)) != 0)
            return -1;
    }
    return 0;
}

int
referral_tick (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    xc_date_t today = xc_call_today (call);
    char today_text[XC_DATE_LEN + 1];
    xc_date_format (today, today_text);
    /* Only referrals with an alert due by today: the tick costs nothing for the others,
       however many there are, and a referral done with leaves the index (alert_next NULL). */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id, kind, target, due, coalesce (owner_district, '') FROM referrals WHERE alert_next <= ?1"
        " ORDER BY alert_next LIMIT 1000");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today_text, -1, SQLITE_STATIC);
    json_t *due = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (due, json_pack ("{s:I, s:o, s:o, s:o, s:o}", "id",
                                               (json_int_t) sqlite3_column_int64 (stmt, 0), "kind",
                                               xc_column_text (stmt, 1), "target",
                                               xc_column_text (stmt, 2), "due", xc_column_text (stmt, 3),
                                               "district", xc_column_text (stmt, 4)));
    sqlite3_reset (stmt);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size (due); i++) {
        const json_t *r = json_array_get (due, i);
        const char *due_text = json_string_value (json_object_get (r, "due"));
        xc_date_t due_date;
        if (xc_date_parse (due_text, &due_date, NULL) != 0) {
            xc_error (NULL, "referral %lld has a due date '%.20s' that is not a date: no alerts",
                      (long long) json_integer_value (json_object_get (r, "id")), due_text ? due_text : "");
            continue;
        }
        /* a transaction only when there is something to write */
        json_int_t id = json_integer_value (json_object_get (r, "id"));
        const char *district = json_string_value (json_object_get (r, "district"));
        /* the warnings of the rules in force for the referral's round's owner */
        const referral_rules_t *rules = referral_policy_rules (&referral->policy, district);
        rc = xc_call_begin (call);
        if (rc == 0)
            rc = s_alerts_for (call, rules, id, json_string_value (json_object_get (r, "kind")),
                               json_string_value (json_object_get (r, "target")), district, due_text,
                               due_date, today);
        if (rc == 0)
            rc = referral_alert_schedule (call, rules, id, due_date, today);
    }
    json_decref (due);
    return rc;
}
