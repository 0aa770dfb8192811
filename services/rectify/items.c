/*  items.c: items opened from intake's events, and every transition of an item's life. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "services/rectify/rectify.h"

/* ------------------------------------------------------------------ from intake */

/*  The regime of a round: the office's choice, else the default of p (the rules of the round's
    owner); NULL after failing the call. */
static const rectify_regime_t *
s_regime_of (xc_call_t *call, const rectify_policy_t *p, const char *round)
{
    const rectify_regime_t *regime = NULL;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT regime FROM rounds WHERE id = ?1");
    if (!stmt)
        return NULL;
    if (round) {
        sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) == SQLITE_ROW)
            regime = rectify_policy_regime (p, (const char *) sqlite3_column_text (stmt, 0));
        sqlite3_reset (stmt);
    }
    return regime ? regime : &p->regimes[p->default_regime];
}

static int
s_open (xc_call_t *call, rectify_t *rectify, const xc_event_t *event)
{
    const json_t *data = event->msg->data;
    json_int_t problem = json_integer_value (json_object_get (data, "problem"));
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *class = json_string_value (json_object_get (data, "timeliness"));
    const char *on = json_string_value (json_object_get (data, "fed_back_on"));
    xc_date_t start;
    if (problem <= 0 || !unit || !class || !on || xc_date_parse (on, &start, NULL) != 0
        || (strcmp (class, "immediate") != 0 && strcmp (class, "deadline") != 0
            && strcmp (class, "long_term") != 0))
        return xc_call_fail (call, XC_E_SCHEMA, "problem.fed_back event %lld lacks its problem, unit,"
                             " timeliness or feedback date", (long long) event->seq);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM items WHERE problem = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, problem);
    bool exists = sqlite3_step (stmt) == SQLITE_ROW;
    sqlite3_reset (stmt);
    if (exists)                      /* one item per problem, whatever intake sends */
        return 0;

    /* the rules of the round's owner: a district's own (policies.rectify.districts) or the city's */
    const rectify_policy_t *p = rectify_round_policy (call, rectify, round, NULL);
    const rectify_regime_t *regime = p ? s_regime_of (call, p, round) : NULL;
    if (!regime)
        return -1;
    bool immediate = strcmp (class, "immediate") == 0, long_term = strcmp (class, "long_term") == 0;
    xc_date_t plan_due = 0, due = 0;
    char plan_explain[256] = "", due_explain[256] = "", due_text[XC_DATE_LEN + 1], plan_text[XC_DATE_LEN + 1];
    if (!immediate && rectify_due (call, start, regime->plan_due, &plan_due, plan_explain, sizeof plan_explain) != 0)
        return -1;
    if (!long_term && rectify_due (call, start, immediate ? p->immediate_due : regime->report_due, &due,
                                   due_explain, sizeof due_explain) != 0)
        return -1;
    xc_date_format (due, due_text);
    xc_date_format (plan_due, plan_text);

    /* fed back before the day it is applied: loaded from history, quiet for a while so that
       its claims and outcomes, loaded right after, come before any alert */
    xc_date_t today = xc_call_today (call), quiet = 0;
    char applied[XC_DATE_LEN + 1], quiet_text[XC_DATE_LEN + 1];
    xc_date_format (today, applied);
    if (start < today && rectify_due (call, today, p->history_quiet, &quiet, NULL, 0) != 0)
        return -1;
    xc_date_format (quiet, quiet_text);
    const json_t *path = json_object_get (data, "category_path");
    char *path_text = json_is_array (path) ? json_dumps (path, JSON_COMPACT) : NULL;
    stmt = xc_call_stmt (call,
        "INSERT INTO items (problem, round, unit, unit_level, category, summary, detail, severity,"
        " class, regime, state, opened_on, due, category_path, category_name, applied_on, quiet_until)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'opened', ?11, ?12, ?13, ?14, ?15, ?16)");
    if (!stmt) {
        free (path_text);
        return -1;
    }
    sqlite3_bind_text (stmt, 13, path_text, -1, SQLITE_TRANSIENT);
    free (path_text);
    sqlite3_bind_text (stmt, 14, json_string_value (json_object_get (data, "category_name")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 15, applied, -1, SQLITE_TRANSIENT);
    if (quiet)
        sqlite3_bind_text (stmt, 16, quiet_text, -1, SQLITE_TRANSIENT);
    static const char *const texts[] = { "round", "unit", "unit_level", "category", "summary", "detail", "severity" };
    sqlite3_bind_int64 (stmt, 1, problem);
    for (int i = 0; i < 7; i++)
        sqlite3_bind_text (stmt, 2 + i, json_string_value (json_object_get (data, texts[i])), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, class, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 10, regime->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, on, -1, SQLITE_STATIC);
    if (!long_term)
        sqlite3_bind_text (stmt, 12, due_text, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to open the item") != 0)
        return -1;
    json_int_t item = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    if ((!immediate && rectify_deadline_add (call, rectify, item, "plan", 0, on, regime->plan_text, plan_due,
                                             plan_explain) != 0)
        || (!long_term && rectify_deadline_add (call, rectify, item, "item", 0, on,
                                                immediate ? p->immediate_text : regime->report_text, due,
                                                due_explain) != 0)
        /* a round's items: its visits start when the round's feedback is delivered (registry.c) */
        || (!round && rectify_visit_start (call, rectify, "", unit, start) != 0)
        || rectify_history (call, item, "opened", json_pack ("{s:I, s:s}", "problem", problem, "regime",
                                                             regime->name), on) != 0)
        return -1;
    json_t *opened = xc_json_pick (data, (const char *const[]) { "round", "unit", "unit_level", "category",
                                                                 "category_path", "category_name",
                                                                 "summary", "severity", NULL });
    json_object_set_new (opened, "occurred_on", json_string (on));
    json_object_set_new (opened, "item", json_integer (item));
    json_object_set_new (opened, "problem", json_integer (problem));
    json_object_set_new (opened, "class", json_string (class));
    json_object_set_new (opened, "regime", json_string (regime->name));
    json_object_set_new (opened, "opened_on", json_string (on));
    json_object_set_new (opened, "plan_due", immediate ? json_null () : json_string (plan_text));
    json_object_set_new (opened, "due", long_term ? json_null () : json_string (due_text));
    return rectify_emit (call, "rectify.opened", unit, NULL, opened);
}

int
rectify_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state)
{
    rectify_t *rectify = state;
    if (strcmp (source, "intake") != 0 || !event->msg)
        return 0;                    /* restricted intake events are not rectify's business */
    if (strcmp (event->type, "unit.registered") == 0)
        return rectify_unit_registered (call, rectify, event);
    if (strcmp (event->type, "unit.renamed") == 0)
        return rectify_unit_renamed (call, event);
    if (strcmp (event->type, "unit.merged") == 0)
        return rectify_unit_merged (call, event);
    if (strcmp (event->type, "unit.split") == 0)
        return rectify_unit_split (call, event);
    if (strcmp (event->type, "round.opened") == 0)
        return rectify_round_opened (call, rectify, event);
    if (strcmp (event->type, "round.advanced") == 0)
        return rectify_round_advanced (call, rectify, event);
    if (strcmp (event->type, "problem.fed_back") == 0)
        return s_open (call, rectify, event);
    if (strcmp (event->type, "problem.repeat_confirmed") == 0)
        return rectify_repeat_confirmed (call, event);
    return 0;
}

void
rectify_event_object (const char *source, const xc_event_t *event, char *object, size_t size,
                      void *state)
{
    (void) state;
    /* a unit's items and its return visit depend on the order of its feedbacks */
    const char *unit = json_string_value (json_object_get (event->msg->data, "unit"));
    if (strcmp (source, "intake") == 0 && strcmp (event->type, "problem.fed_back") == 0 && unit)
        snprintf (object, size, "unit:%s", unit);
}

/* ------------------------------------------------------------------ transitions */

/*  An item as the transitions need it. */
typedef struct {
    json_int_t id;
    char unit[XC_NAME_MAX + 8], class[16], state[16], opened_on[XC_DATE_LEN + 1], due[XC_DATE_LEN + 1];
    char round[XC_NAME_MAX + 8];
} s_item_t;

/*  Loads data.item; a unit principal must act for the item's unit, a district office own the
    item's round (the office's routes are checked by role already). */
static int
s_load (xc_call_t *call, const rectify_t *rectify, s_item_t *item)
{
    memset (item, 0, sizeof *item);
    item->id = json_integer_value (json_object_get (xc_call_msg (call)->data, "item"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT unit, class, state, opened_on, coalesce (due, ''),"
                                             " coalesce (round, '') FROM items WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item->id);
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    if (found) {
        char *fields[] = { item->unit, item->class, item->state, item->opened_on, item->due, item->round };
        size_t sizes[] = { sizeof item->unit, sizeof item->class, sizeof item->state,
                           sizeof item->opened_on, sizeof item->due, sizeof item->round };
        for (int i = 0; i < 6; i++)
            snprintf (fields[i], sizes[i], "%s", (const char *) sqlite3_column_text (stmt, i));
    }
    sqlite3_reset (stmt);
    if (!found)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no item %lld", (long long) item->id);
    if (xc_call_role_is (call, "district")) {
        char what[48];
        snprintf (what, sizeof what, "item %lld", (long long) item->id);
        return rectify_district_commands (call, rectify, item->round, what);
    }
    if (!xc_call_role_is (call, "office") && !rectify_scope_acts (xc_call_msg (call)->principal, item->unit))
        return xc_call_fail (call, XC_E_FORBIDDEN, "only unit %s's own principal acts on item %lld",
                             item->unit, (long long) item->id);
    return 0;
}

/*  The day the command's fact happened into on: its occurred_on (history roles only), else
    today. The office sends a unit's command (unit_command) only to record it from history, with
    occurred_on; no fact is dated before the item's previous one. */
static int
s_fact_on (xc_call_t *call, const rectify_t *rectify, const s_item_t *item, bool unit_command,
           char on[XC_DATE_LEN + 1])
{
    bool historical = false;
    if (xc_call_occurred_on (call, xc_call_msg (call)->data, rectify->policy.history_roles, on, &historical) < 0)
        return -1;
    if (unit_command && xc_call_role_is (call, "office") && !historical)
        return xc_call_fail (call, XC_E_FORBIDDEN, "the office sends %s, the unit's command, only to record"
                             " it from history: give occurred_on", xc_call_msg (call)->type);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT max (occurred_on) FROM item_history WHERE item = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item->id);
    char previous[XC_DATE_LEN + 1];
    snprintf (previous, sizeof previous, "%s", item->opened_on);
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        snprintf (previous, sizeof previous, "%s", (const char *) sqlite3_column_text (stmt, 0));
    sqlite3_reset (stmt);
    if (strcmp (on, previous) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "item %lld: %s on %s is before the item's previous fact,"
                             " on %s", (long long) item->id, xc_call_msg (call)->type, on, previous);
    return 0;
}

/*  Whether the unit may report on the item now: planned or reopened, or an immediate item
    that skips the plan. */
static int
s_rectifying (xc_call_t *call, const s_item_t *item, const char *what)
{
    if (strcmp (item->state, "planned") == 0 || strcmp (item->state, "reopened") == 0
        || (strcmp (item->state, "opened") == 0 && strcmp (item->class, "immediate") == 0))
        return 0;
    return xc_call_fail (call, XC_E_CONFLICT, "item %lld is %s: %s needs a plan first%s",
                         (long long) item->id, item->state, what,
                         strcmp (item->state, "opened") == 0 ? "" : " and an item not claimed or closed");
}

static int
s_set_state (xc_call_t *call, json_int_t id, const char *state)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE items SET state = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, state, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to move the item");
}

/*  Records the transition in the history (the command's data), emits type with event (stolen,
    item, unit and on added) and answers {"item", "state"}. */
static int
s_done (xc_call_t *call, const s_item_t *item, const char *state, const char *action, const char *type,
        json_t *event, const char *on)
{
    if (rectify_history (call, item->id, action, json_deep_copy (xc_call_msg (call)->data), on) != 0) {
        json_decref (event);
        return -1;
    }
    json_object_set_new (event, "item", json_integer (item->id));
    json_object_set_new (event, "unit", json_string (item->unit));
    /* the round too: the district office owning or reading it reads the event (record.c) */
    json_object_set_new (event, "round", item->round[0] ? json_string (item->round) : json_null ());
    json_object_set_new (event, "on", json_string (on));
    json_object_set_new (event, "occurred_on", json_string (on));
    if (json_object_get (xc_call_msg (call)->data, "occurred_on")) {
        json_object_set_new (event, "by", json_string (xc_call_iss (call)));
        json_object_set_new (event, "recorded_from_history", json_true ());
    }
    if (rectify_emit (call, type, item->unit, NULL, event) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "item", item->id, "state", state));
    return 0;
}

int
rectify_plan (xc_call_t *call, void *state)
{
    rectify_t *rectify = state;
    s_item_t item;
    char on[XC_DATE_LEN + 1];
    if (s_load (call, rectify, &item) != 0 || s_fact_on (call, rectify, &item, true, on) != 0)
        return -1;
    if (strcmp (item.state, "opened") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "item %lld is %s: a plan is made once, when opened",
                             (long long) item.id, item.state);
    const json_t *measures = json_object_get (xc_call_msg (call)->data, "measures");
    bool long_term = strcmp (item.class, "long_term") == 0;
    const char *latest = NULL;
    size_t i;
    json_t *m;
    json_array_foreach (measures, i, m) {
        const char *deadline = json_string_value (json_object_get (m, "deadline"));
        if (strcmp (deadline, item.opened_on) < 0)
            return xc_call_fail (call, XC_E_CONFLICT, "measure %zu's deadline %s is before the feedback"
                                 " on %s", i + 1, deadline, item.opened_on);
        if (!long_term && strcmp (deadline, item.due) > 0)
            return xc_call_fail (call, XC_E_CONFLICT, "measure %zu's deadline %s is after the item's due"
                                 " date %s: ask the office for an extension", i + 1, deadline, item.due);
        if (!latest || strcmp (deadline, latest) > 0)
            latest = deadline;
        sqlite3_stmt *stmt = xc_call_stmt (call,
            "INSERT INTO measures (item, n, text, owner, lead_leader, deadline) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, item.id);
        sqlite3_bind_int (stmt, 2, (int) i + 1);
        static const char *const names[] = { "text", "owner", "lead_leader", "deadline" };
        for (int k = 0; k < 4; k++)
            sqlite3_bind_text (stmt, 3 + k, json_string_value (json_object_get (m, names[k])), -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to record a measure") != 0)
            return -1;
        xc_date_t date;
        xc_date_parse (deadline, &date, NULL);      /* checked by the schema */
        char explain[64];
        snprintf (explain, sizeof explain, "measure %zu's deadline in the plan", i + 1);
        if (long_term && rectify_deadline_add (call, rectify, item.id, "measure", (int) i + 1, item.opened_on,
                                               "the plan", date, explain) != 0)
            return -1;
    }
    char due[XC_DATE_LEN + 1] = "";
    if (!long_term) {
        /* the item is due when its last measure is */
        snprintf (due, sizeof due, "%s", latest);
        xc_date_t date;
        xc_date_parse (due, &date, NULL);
        char explain[128];
        snprintf (explain, sizeof explain, "the latest measure deadline of the plan (the policy's date was %s)",
                  item.due);
        sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE items SET due = ?2 WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, item.id);
        sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to set the item's due date") != 0
            || rectify_deadline_add (call, rectify, item.id, "item", 0, item.opened_on, "the plan", date, explain) != 0)
            return -1;
    }
    if (rectify_deadline_run (call, rectify, item.id, "plan", 0, false) != 0
        || s_set_state (call, item.id, "planned") != 0)
        return -1;
    const json_t *evidence = json_object_get (xc_call_msg (call)->data, "evidence");
    if (rectify_files_link (call, item.id, evidence) != 0)
        return -1;
    return s_done (call, &item, "planned", "planned", "rectify.planned",
                   json_pack ("{s:O, s:o, s:O*}", "measures", measures, "due",
                              long_term ? json_null () : json_string (due), "evidence", evidence),
                   on);
}

int
rectify_progress (xc_call_t *call, void *state)
{
    rectify_t *rectify = state;
    s_item_t item;
    char today[XC_DATE_LEN + 1];      /* the day the measures were done */
    if (s_load (call, rectify, &item) != 0 || s_fact_on (call, rectify, &item, true, today) != 0
        || s_rectifying (call, &item, "a progress report") != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    size_t i;
    json_t *n;
    json_array_foreach (json_object_get (data, "measures_done"), i, n) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE measures SET done_on = ?3 WHERE item = ?1 AND n = ?2"
                                                 " AND done_on IS NULL");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, item.id);
        sqlite3_bind_int64 (stmt, 2, json_integer_value (n));
        sqlite3_bind_text (stmt, 3, today, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to mark a measure done") != 0)
            return -1;
        if (sqlite3_changes (xc_call_db (call)) != 1)
            return xc_call_fail (call, XC_E_CONFLICT, "item %lld has no measure %lld still to do",
                                 (long long) item.id, (long long) json_integer_value (n));
        if (rectify_deadline_run (call, rectify, item.id, "measure", (int) json_integer_value (n), false) != 0)
            return -1;
    }
    return s_done (call, &item, item.state, "progressed", "rectify.progressed",
                   xc_json_pick (data, (const char *const[]) { "note", "measures_done", NULL }), today);
}

int
rectify_claim (xc_call_t *call, void *state)
{
    rectify_t *rectify = state;
    s_item_t item;
    char today[XC_DATE_LEN + 1];      /* the day the claim was made */
    if (s_load (call, rectify, &item) != 0 || s_fact_on (call, rectify, &item, true, today) != 0
        || s_rectifying (call, &item, "a completion claim") != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const json_t *outcomes = json_object_get (data, "outcomes");
    char *evidence = json_dumps (json_object_get (data, "evidence"), JSON_COMPACT);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO claims (item, n, completion, evidence, institutional_measures, money_recovered_fen,"
        " money_written_off_fen, public_concern_resolved, note, claimed_on, due_then) VALUES (?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM claims WHERE item = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " (SELECT due FROM items WHERE id = ?1))");
    if (!stmt || !evidence) {
        free (evidence);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_int64 (stmt, 1, item.id);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "completion")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, evidence, -1, SQLITE_TRANSIENT);
    free (evidence);
    static const char *const counts[] = { "institutional_measures", "money_recovered_fen", "money_written_off_fen" };
    for (int i = 0; i < 3; i++)
        sqlite3_bind_int64 (stmt, 4 + i, json_integer_value (json_object_get (outcomes, counts[i])));
    sqlite3_bind_int (stmt, 7, json_is_true (json_object_get (outcomes, "public_concern_resolved")));
    sqlite3_bind_text (stmt, 8, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, today, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the claim") != 0
        || rectify_deadline_run (call, rectify, item.id, "item", 0, false) != 0
        || rectify_deadline_run (call, rectify, item.id, "plan", 0, false) != 0
        || s_set_state (call, item.id, "claimed") != 0
        || rectify_files_link (call, item.id, json_object_get (data, "evidence")) != 0)
        return -1;
    return s_done (call, &item, "claimed", "claimed", "rectify.claimed",
                   xc_json_pick (data, (const char *const[]) { "completion", "evidence", "outcomes", NULL }), today);
}

int
rectify_review (xc_call_t *call, void *state)
{
    rectify_t *rectify = state;
    s_item_t item;
    char today[XC_DATE_LEN + 1];      /* the day of the review */
    if (s_load (call, rectify, &item) != 0)
        return -1;
    if (strcmp (item.state, "claimed") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "item %lld is %s: only a claim is reviewed",
                             (long long) item.id, item.state);
    const json_t *data = xc_call_msg (call)->data;
    bool accept = strcmp (json_string_value (json_object_get (data, "decision")), "accept") == 0;
    const char *reason = json_string_value (json_object_get (data, "reason"));
    if (!accept && !reason)
        return xc_call_fail (call, XC_E_SCHEMA, "data.reason: required to reject a claim");
    if (s_fact_on (call, rectify, &item, false, today) != 0)
        return -1;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "UPDATE claims SET decision = ?2, reason = ?3, reviewed_on = ?4 WHERE item = ?1"
        " AND n = (SELECT max (n) FROM claims WHERE item = ?1)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item.id);
    sqlite3_bind_text (stmt, 2, accept ? "accepted" : "rejected", -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, today, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the review") != 0)
        return -1;
    if (!accept) {
        /* the item's deadline runs again: an overdue notice already sent is not sent again */
        if (rectify_deadline_run (call, rectify, item.id, "item", 0, true) != 0
            || s_set_state (call, item.id, "reopened") != 0)
            return -1;
        return s_done (call, &item, "reopened", "reopened", "rectify.reopened", json_pack ("{s:s}", "reason", reason),
                       today);
    }
    if (rectify_files_signoff (call, item.id) != 0)
        return -1;
    stmt = xc_call_stmt (call,
        "UPDATE items SET state = 'closed', closed_on = ?2, (completion, claimed_on) ="
        " (SELECT completion, claimed_on FROM claims WHERE item = ?1 ORDER BY n DESC LIMIT 1) WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item.id);
    sqlite3_bind_text (stmt, 2, today, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to close the item") != 0)
        return -1;
    /* closed: nothing runs any more, milestones included */
    stmt = xc_call_stmt (call, "UPDATE deadlines SET running = 0, alert_next = NULL WHERE item = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item.id);
    if (xc_call_exec (call, stmt, "unable to stop the item's deadlines") != 0)
        return -1;
    /* on time: claimed on or before the due date in force when the claim was made */
    stmt = xc_call_stmt (call, "SELECT i.completion, i.claimed_on, coalesce ((SELECT c.due_then FROM claims c"
                               " WHERE c.item = i.id ORDER BY c.n DESC LIMIT 1), i.due) FROM items i WHERE i.id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item.id);
    json_t *closed = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *due = xc_column_text (stmt, 2);
        const char *claimed = (const char *) sqlite3_column_text (stmt, 1);
        bool on_time = json_is_string (due) && claimed && strcmp (claimed, json_string_value (due)) <= 0;
        closed = json_pack ("{s:o, s:o, s:o, s:o}", "completion", xc_column_text (stmt, 0),
                            "claimed_on", xc_column_text (stmt, 1), "due", due,
                            "on_time", json_is_string (due) ? json_boolean (on_time) : json_null ());
    }
    sqlite3_reset (stmt);
    if (!closed)
        return xc_call_fail_db (call, "unable to read the closed item");
    return s_done (call, &item, "closed", "closed", "rectify.closed", closed, today);
}

int
rectify_extend (xc_call_t *call, void *state)
{
    rectify_t *rectify = state;
    s_item_t item;
    char on[XC_DATE_LEN + 1];
    if (s_load (call, rectify, &item) != 0 || s_fact_on (call, rectify, &item, false, on) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *what = json_string_value (json_object_get (data, "deadline"));
    what = what ? what : "item";
    int measure = (int) json_integer_value (json_object_get (data, "measure"));
    if ((strcmp (what, "measure") == 0) != (measure > 0))
        return xc_call_fail (call, XC_E_SCHEMA, "data.measure: given exactly when the deadline is a measure's");
    if (strcmp (item.state, "closed") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "item %lld is closed", (long long) item.id);
    const char *due = json_string_value (json_object_get (data, "due"));
    const char *reason = json_string_value (json_object_get (data, "reason"));
    xc_date_t date;
    xc_date_parse (due, &date, NULL);  /* checked by the schema */
    char old[XC_DATE_LEN + 1];
    if (rectify_deadline_move (call, rectify, item.id, what, measure, date, reason, old) != 0)
        return -1;
    if (strcmp (what, "item") == 0) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "UPDATE items SET due = ?2 WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, item.id);
        sqlite3_bind_text (stmt, 2, due, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "unable to extend the item") != 0)
            return -1;
    }
    json_t *event = json_pack ("{s:s, s:s, s:s}", "deadline", what, "due", due, "previous_due", old);
    if (measure > 0)
        json_object_set_new (event, "measure", json_integer (measure));
    if (s_done (call, &item, item.state, "extended", "rectify.extended", event, on) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s, s:s}", "item", item.id, "deadline", what, "due", due));
    return 0;
}

int
rectify_regime (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *name = json_string_value (json_object_get (data, "regime"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT (SELECT count(*) FROM rounds WHERE id = ?1),"
                                             " (SELECT count(*) FROM items WHERE round = ?1)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    long long known = 0, items = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        known = sqlite3_column_int64 (stmt, 0);
        items = sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_reset (stmt);
    if (!known)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)", round);
    char what[96];
    snprintf (what, sizeof what, "round '%s'", round);
    if (rectify_district_commands (call, rectify, round, what) != 0)
        return -1;
    /* one of the regimes of the round's owner: a district's own rules, else the city's */
    const char *source;
    const rectify_policy_t *p = rectify_round_policy (call, rectify, round, &source);
    if (!p)
        return -1;
    if (!rectify_policy_regime (p, name))
        return xc_call_fail (call, XC_E_SCHEMA, "data.regime: no regime '%s' in the %s policy", name,
                             strcmp (source, "city") == 0 ? "city's" : source);
    if (items)
        return xc_call_fail (call, XC_E_CONFLICT, "round '%s' has %lld items already: its regime is fixed",
                             round, items);
    /* open to every reader but the district offices that neither own nor read the round */
    char visibility[XC_NAME_MAX + 16];
    snprintf (visibility, sizeof visibility, "round:%s", round);
    stmt = xc_call_stmt (call, "UPDATE rounds SET regime = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to set the regime") != 0
        || xc_call_emit_new (call, "rectify.regime_set", visibility, NULL,
                             json_pack ("{s:s, s:s}", "round", round, "regime", name)) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:s}", "round", round, "regime", name));
    return 0;
}
