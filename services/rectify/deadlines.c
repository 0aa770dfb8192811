/*  deadlines.c: the plan, item and milestone deadlines of every item, and the timer that sends
    their warnings, overdue notices and escalation steps.

    A deadline row keeps alert_next, the day its next alert falls due (NULL once it is done),
    so a tick reads only the rows due today through an index, however many items are open.
    Each alert is recorded in alerts (deadline, due, alert) before its event is appended: a
    tick never sends what it sent before, also after a restart, and a new due date (an
    extension) starts a fresh set. The events are keyed by the same triple.
*/
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "services/rectify/rectify.h"

#define XC_STR_(x) #x
#define XC_STR(x) XC_STR_(x)

int
rectify_due (xc_call_t *call, xc_date_t start, xc_span_t span, xc_date_t *due, char *explain,
             size_t explain_size)
{
    xc_err_t err;
    if (xc_deadline_compute (xc_call_calendar (call), start, span, due, explain, explain_size, &err) != 0)
        /* a year without a calendar file: intake's event waits for it (service.h) */
        return err.code == XC_E_CONFIG ? xc_call_wait_calendar (call, err.text)
                                       : xc_call_fail (call, err.code, "%s", err.text);
    return 0;
}

/*  The first alert's day of a deadline due on due: the largest warning threshold before it. */
static xc_date_t
s_alert_first (const rectify_policy_t *p, xc_date_t due)
{
    return p->n_warnings ? due - p->warnings[p->n_warnings - 1].days_left : due + 1;
}

/*  The first day after today on which an alert of a deadline due on due falls: a warning,
    the overdue notice (the day after due) or an escalation step; 0 when none is left. */
static xc_date_t
s_alert_next (const rectify_policy_t *p, xc_date_t due, xc_date_t today)
{
    for (int i = p->n_warnings - 1; i >= 0; i--)
        if (due - p->warnings[i].days_left > today)
            return due - p->warnings[i].days_left;
    if (due + 1 > today)
        return due + 1;
    for (int k = 1; k <= p->n_steps; k++)
        if (due + (xc_date_t) k * p->every_days > today)
            return due + (xc_date_t) k * p->every_days;
    return 0;
}

static void
s_bind_date (sqlite3_stmt *stmt, int column, xc_date_t date)
{
    char text[XC_DATE_LEN + 1];
    xc_date_format (date, text);
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_TRANSIENT);
}

int
rectify_deadline_add (xc_call_t *call, const rectify_t *rectify, json_int_t item, const char *what,
                      int measure, const char *start, const char *policy, xc_date_t due,
                      const char *explain)
{
    /* the rules of the item's round's owner: its warnings and steps drive this deadline's
       alerts, and rectify.get says whose they are (policy_source) */
    const char *source;
    const rectify_policy_t *p = rectify_item_policy (call, rectify, item, &source);
    if (!p)
        return -1;
    char said[600];
    if (strcmp (source, "city") == 0)      /* the city's rules, as before districts had their own */
        snprintf (said, sizeof said, "%s", explain);
    else
        snprintf (said, sizeof said, "%.400s (rules of district %s: policies.rectify.districts.%s)", explain,
                  source, source);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO deadlines (item, what, measure, start, policy, due, explain, running, alert_next, policy_source)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9) ON CONFLICT (item, what, measure) DO UPDATE SET"
        " start = excluded.start, policy = excluded.policy, due = excluded.due,"
        " explain = excluded.explain, running = 1, alert_next = excluded.alert_next,"
        " policy_source = excluded.policy_source");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 9, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 1, item);
    sqlite3_bind_text (stmt, 2, what, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, measure);
    sqlite3_bind_text (stmt, 4, start, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, policy, -1, SQLITE_STATIC);
    s_bind_date (stmt, 6, due);
    sqlite3_bind_text (stmt, 7, said, -1, SQLITE_TRANSIENT);
    s_bind_date (stmt, 8, s_alert_first (p, due));
    return xc_call_exec (call, stmt, "unable to record a deadline");
}

int
rectify_deadline_run (xc_call_t *call, const rectify_t *rectify, json_int_t item, const char *what,
                      int measure, bool running)
{
    (void) rectify;
    /* started again: the tick looks at it today and sends what is due and not yet sent */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "UPDATE deadlines SET running = ?4, alert_next = CASE WHEN ?4 THEN ?5 END"
        " WHERE item = ?1 AND what = ?2 AND measure = ?3");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item);
    sqlite3_bind_text (stmt, 2, what, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, measure);
    sqlite3_bind_int (stmt, 4, running);
    s_bind_date (stmt, 5, xc_call_today (call));
    return xc_call_exec (call, stmt, "unable to update a deadline");
}

int
rectify_deadline_move (xc_call_t *call, const rectify_t *rectify, json_int_t item, const char *what,
                       int measure, xc_date_t due, const char *reason, char old[XC_DATE_LEN + 1])
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT due, running FROM deadlines"
                                             " WHERE item = ?1 AND what = ?2 AND measure = ?3");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item);
    sqlite3_bind_text (stmt, 2, what, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, measure);
    bool found = sqlite3_step (stmt) == SQLITE_ROW, running = false;
    if (found) {
        snprintf (old, XC_DATE_LEN + 1, "%s", (const char *) sqlite3_column_text (stmt, 0));
        running = sqlite3_column_int (stmt, 1);
    }
    sqlite3_reset (stmt);
    char label[32];
    if (measure > 0)
        snprintf (label, sizeof label, "measure %d", measure);
    else
        snprintf (label, sizeof label, "%s", what);
    if (!found)
        return xc_call_fail (call, XC_E_CONFLICT, "item %lld has no %s deadline", (long long) item, label);
    if (!running)
        return xc_call_fail (call, XC_E_CONFLICT, "item %lld's %s deadline is done: nothing to extend",
                             (long long) item, label);
    const rectify_policy_t *p = rectify_item_policy (call, rectify, item, NULL);
    if (!p)
        return -1;
    char text[XC_DATE_LEN + 1], explain[400];
    xc_date_format (due, text);
    if (strcmp (text, old) <= 0)
        return xc_call_fail (call, XC_E_CONFLICT, "the new due date %s is not after %s", text, old);
    snprintf (explain, sizeof explain, "extended from %s to %s: %.300s", old, text, reason);
    stmt = xc_call_stmt (call,
        "UPDATE deadlines SET due = ?4, explain = ?5, alert_next = ?6,"
        " extensions = json_insert (coalesce (extensions, '[]'), '$[#]',"
        "  json_object ('from', ?7, 'to', ?4, 'reason', ?8, 'by', ?9, 'at', ?10))"
        " WHERE item = ?1 AND what = ?2 AND measure = ?3");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item);
    sqlite3_bind_text (stmt, 2, what, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, measure);
    sqlite3_bind_text (stmt, 4, text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, explain, -1, SQLITE_STATIC);
    s_bind_date (stmt, 6, s_alert_first (p, due));
    sqlite3_bind_text (stmt, 7, old, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, xc_call_iss (call), -1, SQLITE_STATIC);
    s_bind_date (stmt, 10, xc_call_today (call));
    return xc_call_exec (call, stmt, "unable to extend the deadline");
}

/*  Records alert for (deadline, due); 1 when it is new, 0 when it was sent before. */
static int
s_alert_new (xc_call_t *call, json_int_t deadline, const char *due, const char *alert)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR IGNORE INTO alerts (deadline, due, alert)"
                                             " VALUES (?1, ?2, ?3)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, deadline);
    sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, alert, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record an alert") != 0)
        return -1;
    return sqlite3_changes (xc_call_db (call)) == 1;
}

/*  Who answers for the deadline: the owners and lead leaders of its measure, or of every
    measure for the item's and the plan's. */
static int
s_people (xc_call_t *call, json_int_t item, int measure, json_t *alert)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT DISTINCT owner, lead_leader FROM measures"
                                             " WHERE item = ?1 AND (?2 = 0 OR n = ?2) ORDER BY n");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item);
    sqlite3_bind_int (stmt, 2, measure);
    json_t *owners = json_array (), *leaders = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        json_array_append_new (owners, xc_column_text (stmt, 0));
        json_array_append_new (leaders, xc_column_text (stmt, 1));
    }
    sqlite3_reset (stmt);
    json_object_set_new (alert, "owners", owners);
    json_object_set_new (alert, "lead_leaders", leaders);
    return 0;
}

/*  Emits one alert of a deadline (base: its routing data, copied). */
static int
s_emit (xc_call_t *call, const char *type, json_int_t deadline, const char *due, const char *alert,
        const json_t *base, json_t *extra)
{
    char key[128];
    snprintf (key, sizeof key, "%s:%lld:%s:%s", type, (long long) deadline, due, alert);
    json_t *data = json_deep_copy (base);
    json_object_update (data, extra);
    json_decref (extra);
    return rectify_emit (call, type, json_string_value (json_object_get (base, "unit")), key, data);
}

/*  The alerts a deadline is due today. Days left within a band gets that band's warning once;
    bands a late deadline skipped are recorded without a warning of their own. Overdue, each
    step reached is sent, in order; for an item loaded from history (historical) only its state
    now: the latest step reached (or the overdue notice when none is), the earlier ones
    recorded without a notice. */
static int
s_alerts_for (xc_call_t *call, const rectify_policy_t *p, json_int_t deadline, xc_date_t due,
              xc_date_t today, const json_t *base, bool historical)
{
    const char *due_text = json_string_value (json_object_get (base, "due"));
    int days_left = (int) (due - today);
    if (days_left < 0) {
        int reached = 0;
        while (reached < p->n_steps && today >= due + (xc_date_t) (reached + 1) * p->every_days)
            reached++;
        int fresh = s_alert_new (call, deadline, due_text, "overdue");
        if (fresh < 0 || (fresh && !(historical && reached > 0)
                          && s_emit (call, "rectify.overdue", deadline, due_text, "overdue", base,
                                     json_pack ("{s:s, s:i}", "colour", "red", "days_left", days_left)) != 0))
            return -1;
        for (int k = 1; k <= reached; k++) {
            char alert[16];
            snprintf (alert, sizeof alert, "step:%d", k);
            fresh = s_alert_new (call, deadline, due_text, alert);
            if (fresh < 0 || (fresh && (!historical || k == reached)
                              && s_emit (call, "rectify.escalated", deadline, due_text, alert, base,
                                               json_pack ("{s:s, s:i, s:i, s:s}", "colour", "red", "days_left",
                                                          days_left, "step", k, "step_name", p->steps[k - 1])) != 0))
                return -1;
        }
        return 0;
    }
    int band = -1;                   /* the smallest threshold not below days_left */
    for (int i = 0; i < p->n_warnings && band < 0; i++)
        if (days_left <= p->warnings[i].days_left)
            band = i;
    for (int i = p->n_warnings - 1; band >= 0 && i >= band; i--) {
        const char *colour = p->warnings[i].colour;
        int fresh = s_alert_new (call, deadline, due_text, colour);
        if (fresh < 0)
            return -1;
        if (fresh && i == band
            && s_emit (call, "rectify.warning", deadline, due_text, colour, base,
                       json_pack ("{s:s, s:i}", "colour", colour, "days_left", days_left)) != 0)
            return -1;
    }
    return 0;
}

static int
s_schedule (xc_call_t *call, json_int_t deadline, xc_date_t next)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE deadlines SET alert_next = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, deadline);
    if (next)
        s_bind_date (stmt, 2, next);
    return xc_call_exec (call, stmt, "unable to schedule the next alert");
}

/*  What rectify.get shows of a deadline beside its dates, computed here by the timer's own
    rules so that no client works it out: "colour", the band it is in today (a warning's colour,
    "red" once overdue, null before the first band or when it is not running), and "escalation"
    (running deadlines only): {"every_days", "steps": [{"step", "on", "reached"}], "next":
    {"step", "on"} or null}, step k falling on due + k x every_days as rectify_deadline_tick
    sends it. The rules are those that made the deadline (its policy_source). */
/*  The rules that made a deadline: the city's, or those of the district named by source. */
static const rectify_policy_t *
s_rules (const rectify_t *rectify, const char *source)
{
    return rectify_policy_for (&rectify->policy, source && strcmp (source, "city") != 0 ? source : NULL, NULL);
}

json_t *
rectify_deadline_state (const rectify_t *rectify, const char *source, xc_date_t due, xc_date_t today)
{
    const rectify_policy_t *p = s_rules (rectify, source);
    int days_left = (int) (due - today), reached = 0;
    const char *colour = NULL;
    if (days_left < 0) {
        colour = "red";
        while (reached < p->n_steps && today >= due + (xc_date_t) (reached + 1) * p->every_days)
            reached++;
    }
    for (int i = 0; i < p->n_warnings && !colour; i++)      /* the band s_alerts_for warns of */
        if (days_left <= p->warnings[i].days_left)
            colour = p->warnings[i].colour;
    json_t *step = reached ? json_pack ("{s:i, s:s}", "n", reached, "name", p->steps[reached - 1]) : json_null ();
    json_t *next = json_null ();
    if (reached < p->n_steps) {
        char on[XC_DATE_LEN + 1];
        xc_date_format (due + (xc_date_t) (reached + 1) * p->every_days, on);
        next = json_pack ("{s:i, s:s, s:s}", "n", reached + 1, "name", p->steps[reached], "on", on);
    }
    return json_pack ("{s:o, s:i, s:o, s:o}", "colour", colour ? json_string (colour) : json_null (),
                      "days_left", days_left, "step", step, "next_step", next);
}

void
rectify_deadline_view (const rectify_t *rectify, json_t *d, xc_date_t today)
{
    const char *source = json_string_value (json_object_get (d, "policy_source"));
    const rectify_policy_t *p = s_rules (rectify, source);
    const char *due_text = json_string_value (json_object_get (d, "due"));
    xc_date_t due;
    const json_t *running = json_object_get (d, "running");   /* a column: 0 or 1 */
    if (!(json_is_true (running) || json_integer_value (running)) || !due_text
        || xc_date_parse (due_text, &due, NULL) != 0) {
        json_object_set_new (d, "colour", json_null ());
        json_object_set_new (d, "escalation", json_null ());
        return;
    }
    json_t *state = rectify_deadline_state (rectify, source, due, today);
    json_object_update (d, state);
    json_decref (state);
    /* the whole ladder: every step's day, whether it is reached, the next one */
    json_t *steps = json_array (), *next = json_null ();
    for (int k = 1; k <= p->n_steps; k++) {
        char on[XC_DATE_LEN + 1];
        xc_date_t day = due + (xc_date_t) k * p->every_days;
        xc_date_format (day, on);
        bool reached = today >= day;
        json_array_append_new (steps, json_pack ("{s:s, s:s, s:b}", "step", p->steps[k - 1], "on", on,
                                                 "reached", reached));
        if (!reached && json_is_null (next))
            next = json_pack ("{s:s, s:s}", "step", p->steps[k - 1], "on", on);
    }
    json_object_set_new (d, "escalation", json_pack ("{s:i, s:o, s:o}", "every_days", p->every_days,
                                                    "steps", steps, "next", next));
}

#define TICK_BATCH 1000

/*  One batch of the deadlines due today; *n gets how many were read. */
static int
s_tick_batch (xc_call_t *call, const rectify_t *rectify, xc_date_t today, const char *today_text, int *n)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT d.id, d.item, d.what, d.measure, d.due, i.unit, i.unit_level, i.round, i.class, i.quiet_until,"
        " d.policy_source FROM deadlines d JOIN items i ON i.id = d.item WHERE d.alert_next <= ?1"
        " ORDER BY d.alert_next, d.id LIMIT " XC_STR (TICK_BATCH));
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today_text, -1, SQLITE_STATIC);
    json_t *rows = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        int measure = sqlite3_column_int (stmt, 3);
        json_array_append_new (rows, json_pack ("{s:I, s:o, s:o, s:{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}}",
            "deadline", (json_int_t) sqlite3_column_int64 (stmt, 0), "quiet_until", xc_column_text (stmt, 9),
            "policy_source", xc_column_text (stmt, 10),
            "base", "item", (json_int_t) sqlite3_column_int64 (stmt, 1),
            "deadline", xc_column_text (stmt, 2),
            "measure", measure ? json_integer (measure) : json_null (),
            "due", xc_column_text (stmt, 4), "unit", xc_column_text (stmt, 5),
            "unit_level", xc_column_text (stmt, 6), "round", xc_column_text (stmt, 7),
            "class", xc_column_text (stmt, 8)));
    }
    sqlite3_reset (stmt);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size (rows); i++) {
        const json_t *row = json_array_get (rows, i);
        json_int_t deadline = json_integer_value (json_object_get (row, "deadline"));
        json_t *base = json_object_get (row, "base");
        const char *due_text = json_string_value (json_object_get (base, "due"));
        xc_date_t due;
        /* a transaction only when there is something to write */
        rc = xc_call_begin (call);
        if (rc != 0)
            break;
        if (!due_text || xc_date_parse (due_text, &due, NULL) != 0) {
            xc_error (NULL, "deadline %lld has a due date '%.20s' that is not a date: no alerts",
                      (long long) deadline, due_text ? due_text : "");
            rc = s_schedule (call, deadline, 0);
            continue;
        }
        /* loaded from history: quiet until then, so its claims and outcomes come first */
        const char *quiet = json_string_value (json_object_get (row, "quiet_until"));
        xc_date_t quiet_until = 0;
        if (quiet && xc_date_parse (quiet, &quiet_until, NULL) == 0 && today < quiet_until) {
            rc = s_schedule (call, deadline, quiet_until);
            continue;
        }
        json_int_t item = json_integer_value (json_object_get (base, "item"));
        /* the warnings and escalation steps of the rules that made the deadline */
        const char *source = json_string_value (json_object_get (row, "policy_source"));
        const rectify_policy_t *p = rectify_policy_for (&rectify->policy,
                                                        source && strcmp (source, "city") != 0 ? source : NULL, NULL);
        rc = s_people (call, item, (int) json_integer_value (json_object_get (base, "measure")), base);
        if (rc == 0)
            rc = s_alerts_for (call, p, deadline, due, today, base, quiet != NULL);
        if (rc == 0)
            rc = s_schedule (call, deadline, s_alert_next (p, due, today));
    }
    *n = (int) json_array_size (rows);
    json_decref (rows);
    return rc;
}

int
rectify_deadline_tick (xc_call_t *call, const rectify_t *rectify, xc_date_t today)
{
    char today_text[XC_DATE_LEN + 1];
    xc_date_format (today, today_text);
    /* every deadline due today, in batches: each one handled moves its alert_next past today,
       so the next batch reads the next ones, and a day with many crossings ends in one tick */
    int rc = 0, n = TICK_BATCH;
    while (rc == 0 && n == TICK_BATCH)
        rc = s_tick_batch (call, rectify, today, today_text, &n);
    return rc;
}

int
rectify_calendar_tick (xc_call_t *call, rectify_t *rectify, xc_date_t today)
{
    const rectify_policy_t *p = &rectify->policy;
    int year, month, day;
    xc_date_to_ymd (today, &year, &month, &day);
    if (!p->calendar_warn_month || rectify->calendar_warned == year + 1
        || today < xc_date_from_ymd (year, p->calendar_warn_month, p->calendar_warn_day)
        || xc_calendar_has_year (xc_call_calendar (call), year + 1))
        return 0;
    /* keyed: one event per missing year, also across restarts (the key is kept) */
    char key[48], from[XC_DATE_LEN + 1];
    snprintf (key, sizeof key, "calendar.missing:%d", year + 1);
    xc_date_format (xc_date_from_ymd (year, p->calendar_warn_month, p->calendar_warn_day), from);
    char file[32];
    snprintf (file, sizeof file, "%d.json", year + 1);
    json_t *data = json_pack ("{s:i, s:s, s:s}", "year", year + 1, "file", file, "warned_from", from);
    int rc = xc_call_begin (call);
    if (rc == 0)
        rc = xc_call_emit (call, "calendar.missing", NULL, key, data);
    json_decref (data);
    if (rc == 0) {
        rectify->calendar_warned = year + 1;
        xc_warn (NULL, "no working-day calendar for %d yet: the office is told (calendar.missing)", year + 1);
    }
    return rc;
}
