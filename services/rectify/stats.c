/*  stats.c: rectify.stats, the figures over the items, visits and interviews a reader may see
    with the filters every *.stats takes (docs/services/rectify.md, "rectify.stats"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "common/text.h"
#include "services/rectify/rectify.h"

#define OVERDUE RECTIFY_SQL_OVERDUE

static json_t *
s_yuan (long long fen)
{
    char text[40];
    snprintf (text, sizeof text, "%s%lld.%02lld", fen < 0 ? "-" : "", llabs (fen) / 100, llabs (fen) % 100);
    return json_string (text);
}

/*  The stats filters (docs/protocol.md), bound by s_bind_stats: ?1 today, ?2 round, ?3 unit,
    ?4 the reader's units (NULL: all), ?5 from, ?6 to, ?7 owner, ?8 year (text), ?9 kind,
    ?10 mode, ?11 category, ?12 unit_level, ?13 a district office's district. A table aliased i
    with round and unit; its date (the year's), its unit's level and whether it is of the
    category are given per table; scope is the owner filter and a district office's rounds
    (districts.c: IN over the rounds' indexes, not an OR that would read every row). A record
    without a round is left out by the owner, kind and mode filters (and by round). */
static void
s_where (char *out, size_t size, const char *date, const char *level, const char *category, const char *scope)
{
    snprintf (out, size,
        "(?2 IS NULL OR i.round = ?2) AND (?3 IS NULL OR i.unit = ?3)"
        " AND (?4 IS NULL OR i.unit IN (SELECT value FROM json_each (?4)))"
        " AND (?8 IS NULL OR %s BETWEEN ?8 || '-01-01' AND ?8 || '-12-31')"
        " AND (?12 IS NULL OR %s = ?12) AND (?11 IS NULL OR %s)"
        " AND (coalesce (?9, ?10) IS NULL OR EXISTS (SELECT 1 FROM rounds r WHERE r.id = i.round"
        "  AND (?9 IS NULL OR r.kind = ?9)"
        "  AND (?10 IS NULL OR EXISTS (SELECT 1 FROM json_each (r.modes) WHERE value = ?10))))"
        " AND %s",
        date, level, category, scope);
}

/* the category and everything under it */
#define ITEM_CATEGORY(a) RECTIFY_SQL_IN_CATEGORY (a, "?11")
/* a unit's visit or interview in a round is of a category when one of its items there is */
#define UNIT_CATEGORY "EXISTS (SELECT 1 FROM items c WHERE coalesce (c.round, '') = i.round AND c.unit = i.unit" \
                      " AND " ITEM_CATEGORY ("c") ")"
#define UNIT_LEVEL "(SELECT level FROM units WHERE id = i.unit)"

static void
s_where_items (char *out, size_t size, const char *scope)
{
    s_where (out, size, "i.opened_on", "i.unit_level", ITEM_CATEGORY ("i"), scope);
}

static const char *s_district;       /* ?13 of the stats being answered (one call at a time) */

static void
s_bind_stats (xc_call_t *call, sqlite3_stmt *stmt, const char *units)
{
    if (sqlite3_bind_parameter_count (stmt) >= 13)
        sqlite3_bind_text (stmt, 13, s_district, -1, SQLITE_STATIC);
    const json_t *data = xc_call_msg (call)->data;
    char today[XC_DATE_LEN + 1], year[16];
    xc_date_format (xc_call_today (call), today);
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    static const char *const names[] = { NULL, NULL, "round", "unit", NULL, "from", "to", "owner", NULL, "kind",
                                         "mode", "category", "unit_level" };
    for (int i = 2; i <= 12; i++)
        if (names[i])
            sqlite3_bind_text (stmt, i, json_string_value (json_object_get (data, names[i])), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, units, -1, SQLITE_STATIC);
    json_t *y = json_object_get (data, "year");
    if (y) {
        snprintf (year, sizeof year, "%04lld", (long long) json_integer_value (y));
        sqlite3_bind_text (stmt, 8, year, -1, SQLITE_TRANSIENT);
    }
}

/*  Runs a counting query (sql_head + WHERE + where) with the filters bound and returns its one
    row's columns as integers into out (n of them); -1 after failing the call. */
static int
s_counts (xc_call_t *call, const char *head, const char *where, const char *units, long long *out, int n)
{
    char sql[8192];
    snprintf (sql, sizeof sql, "%s WHERE %s", head, where);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    s_bind_stats (call, stmt, units);
    int rc = sqlite3_step (stmt);
    for (int i = 0; rc == SQLITE_ROW && i < n; i++)
        out[i] = sqlite3_column_int64 (stmt, i);
    sqlite3_reset (stmt);
    return rc == SQLITE_ROW ? 0 : xc_call_fail_db (call, "unable to count items");
}

/*  {value: count} of a grouping query (head WHERE where tail) with the filters bound. */
static json_t *
s_groups (xc_call_t *call, const char *head, const char *where, const char *tail, const char *units)
{
    char sql[8192];
    snprintf (sql, sizeof sql, "%s WHERE %s %s", head, where, tail);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return NULL;
    s_bind_stats (call, stmt, units);
    json_t *groups = json_object ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_object_set_new (groups, (const char *) sqlite3_column_text (stmt, 0),
                             json_integer (sqlite3_column_int64 (stmt, 1)));
    sqlite3_reset (stmt);
    return groups;
}

/*  The policy's definitions, with "owner": the sentence of the scope counted (全市, 市本级,
    各区县合计, one district's: a district office's own), {district} replaced
    by the district's name. NULL after failing the call. */
static json_t *
s_definitions (xc_call_t *call, const rectify_t *rectify, const char *owner, const char *district)
{
    const char *one = district ? district : owner;
    const char *key = !owner ? "owner.all"
                      : strcmp (owner, "city") == 0 ? "owner.city"
                      : strcmp (owner, "district") == 0 ? "owner.district" : "owner.one_district";
    char name[256];
    snprintf (name, sizeof name, "%s", one ? one : "");
    sqlite3_stmt *stmt = one ? xc_call_stmt (call, "SELECT name FROM units WHERE id = ?1") : NULL;
    if (one && !stmt)
        return NULL;
    if (stmt) {
        sqlite3_bind_text (stmt, 1, one, -1, SQLITE_STATIC);
        if (sqlite3_step (stmt) == SQLITE_ROW)
            snprintf (name, sizeof name, "%s", (const char *) sqlite3_column_text (stmt, 0));
        sqlite3_reset (stmt);
    }
    json_t *definitions = json_deep_copy (rectify->policy.definitions);
    const char *sentence = json_string_value (json_object_get (definitions, key));
    if (sentence) {
        xc_buf_t text = { 0 };
        for (const char *at = sentence, *hit; *at; at = hit + 10) {
            hit = strstr (at, "{district}");
            if (!hit) {
                xc_buf_puts (&text, at);
                break;
            }
            xc_buf_put (&text, at, (size_t) (hit - at));
            xc_buf_puts (&text, name);
        }
        json_object_set_new (definitions, "owner", json_stringn (text.data ? text.data : "", text.len));
        xc_buf_free (&text);
    }
    /* the templates stay in the policy: a result gives the one sentence of its scope (as intake) */
    static const char *const templates[] = { "owner.all", "owner.city", "owner.district", "owner.one_district",
                                             NULL };
    for (int i = 0; templates[i]; i++)
        json_object_del (definitions, templates[i]);
    return definitions;
}

/*  The on-time definition (on_time, by_month) over items with an item deadline (not long-term)
    and a period P, a macro: P (col) is the SQL condition that col falls in the period. Three
    sums: closed in the period; still open with the due date in force in the period and past;
    closed on time (the accepted claim made by the due date in force then) of the first. */
#define ON_TIME_CLOSED_IN(P) "(i.class != 'long_term' AND i.state = 'closed' AND " P ("i.closed_on") ")"
#define ON_TIME_SUMS(P) \
    " coalesce (sum (" ON_TIME_CLOSED_IN (P) "), 0)," \
    " coalesce (sum (i.class != 'long_term' AND i.state != 'closed' AND " P ("i.due") " AND i.due < ?1), 0)," \
    " coalesce (sum (" ON_TIME_CLOSED_IN (P) " AND EXISTS (SELECT 1 FROM claims c WHERE c.item = i.id" \
    "  AND c.decision = 'accepted' AND c.claimed_on <= coalesce (c.due_then, i.due))), 0)"

static void
s_add (json_t *object, const char *key, json_int_t n)
{
    json_object_set_new (object, key, json_integer (json_integer_value (json_object_get (object, key)) + n));
}

/*  The id of an overdue_by_round or overdue_by_unit entry. */
static const char *
s_late_id (const json_t *entry)
{
    const json_t *unit = json_object_get (entry, "unit");
    return json_string_value (unit ? unit : json_object_get (entry, "round"));
}

/*  Most overdue first, then by id. */
static int
s_cmp_late (const void *a, const void *b)
{
    const json_t *x = *(json_t *const *) a, *y = *(json_t *const *) b;
    json_int_t m = json_integer_value (json_object_get (x, "overdue"));
    json_int_t n = json_integer_value (json_object_get (y, "overdue"));
    if (m != n)
        return m > n ? -1 : 1;
    return strcmp (s_late_id (x), s_late_id (y));
}

/*  The entries of {id: entry} as an array in s_cmp_late's order (by_id stolen). */
static json_t *
s_late_sorted (json_t *by_id)
{
    size_t n = json_object_size (by_id), k = 0;
    json_t **entries = malloc ((n ? n : 1) * sizeof *entries), *value, *out = json_array ();
    const char *id;
    if (!entries) {
        json_decref (by_id);
        json_decref (out);
        return NULL;
    }
    json_object_foreach (by_id, id, value)
        entries[k++] = value;
    qsort (entries, n, sizeof *entries, s_cmp_late);
    for (k = 0; k < n; k++)
        json_array_append (out, entries[k]);
    free (entries);
    json_decref (by_id);
    return out;
}

/*  lights, overdue_by_round and overdue_by_unit into result: the open items of the selection
    (where) grouped by unit, round and their running deadline due first (with the rules it runs
    by), each group's light from rectify_item_light as rectify.list gives it: red (overdue) counts for its
    unit and round. -1 after failing the call. */
static int
s_open_lights (xc_call_t *call, const rectify_t *rectify, const char *where, const char *units, json_t *result)
{
    char sql[8192];
    /* each open item with its running deadline due first (FIRST_DUE's: the least due; an item's
       deadlines run by one owner's rules, so the policy_source of any is that one's), by a join
       instead of two correlated subqueries per item; then the groups */
    snprintf (sql, sizeof sql,
        "SELECT unit, round, due, source, count(*), (SELECT u.name FROM units u WHERE u.id = unit),"
        " (SELECT r.name FROM rounds r WHERE r.id = round)"
        " FROM (SELECT i.unit, i.round, min (d.due) AS due, d.policy_source AS source FROM items i"
        "  LEFT JOIN deadlines d ON d.item = i.id AND d.running WHERE i.state != 'closed' AND %s GROUP BY i.id)"
        " GROUP BY 1, 2, 3, 4", where);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    s_bind_stats (call, stmt, units);
    xc_date_t today = xc_call_today (call);
    json_t *lights = json_pack ("{s:i, s:i, s:i, s:i}", "red", 0, "yellow", 0, "green", 0, "none", 0);
    /* every colour a band of the city's or a district's rules may give, counted or not */
    for (int d = -1; d < rectify->policy.n_districts; d++) {
        const rectify_policy_t *p = d < 0 ? &rectify->policy : &rectify->policy.districts[d].policy;
        for (int k = 0; k < p->n_warnings; k++)
            s_add (lights, p->warnings[k].colour, 0);
    }
    json_t *rounds = json_object (), *late_units = json_object ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        json_int_t n = sqlite3_column_int64 (stmt, 4);
        json_t *light = rectify_item_light (rectify, (const char *) sqlite3_column_text (stmt, 2),
                                 (const char *) sqlite3_column_text (stmt, 3), today, false);
        const char *colour = json_string_value (json_object_get (light, "colour"));
        s_add (lights, colour ? colour : "none", n);
        /* overdue: its first running deadline is past (the OVERDUE of the other figures) */
        if (light && json_integer_value (json_object_get (light, "days_left")) < 0) {
            const char *unit = (const char *) sqlite3_column_text (stmt, 0);
            const char *round = (const char *) sqlite3_column_text (stmt, 1);
            json_t *entry = round ? json_object_get (rounds, round) : NULL;
            if (round && !entry) {
                entry = json_pack ("{s:s, s:o, s:i}", "round", round, "name", xc_column_text (stmt, 6), "overdue", 0);
                json_object_set_new (rounds, round, entry);
            }
            if (entry)
                s_add (entry, "overdue", n);
            entry = json_object_get (late_units, unit);
            if (!entry) {
                entry = json_pack ("{s:s, s:o, s:i, s:n}", "unit", unit, "name", xc_column_text (stmt, 5),
                                   "overdue", 0, "step");
                json_object_set_new (late_units, unit, entry);
            }
            s_add (entry, "overdue", n);
            /* the furthest step reached, by the ladder of the item's round's owner */
            json_t *step = json_object_get (light, "step"), *had = json_object_get (entry, "step");
            if (json_is_object (step) && (!json_is_object (had) || json_integer_value (json_object_get (step, "n"))
                                                                   > json_integer_value (json_object_get (had, "n"))))
                json_object_set (entry, "step", step);
        }
        json_decref (light);
    }
    sqlite3_reset (stmt);
    json_t *by_round = s_late_sorted (rounds), *by_unit = s_late_sorted (late_units);
    if (rc != SQLITE_DONE || !by_round || !by_unit) {
        json_decref (lights);
        json_decref (by_round);
        json_decref (by_unit);
        return rc != SQLITE_DONE ? xc_call_fail_db (call, "unable to count the lights")
                                 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_object_set_new (result, "lights", lights);
    json_object_set_new (result, "overdue_by_round", by_round);
    json_object_set_new (result, "overdue_by_unit", by_unit);
    return 0;
}

/* by_month's period: the month of the row's group, m, which is that of the very column the
   period is asked of (closed_on for a closed item, due for an open one), and today caps it
   already (closed_on is at most today; an open item counts only when due < today): nothing to
   test again per row */
#define MONTH_PERIOD(col) "1"

/*  Adds the rows of sql (month, then n figures) into rows ({month: {figure: n}}) under names.
    -1 after failing the call. */
static int
s_month_rows (xc_call_t *call, const char *sql, const char *units, json_t *rows, const char *const *names, int n)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    s_bind_stats (call, stmt, units);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *month = (const char *) sqlite3_column_text (stmt, 0);
        json_t *row = json_object_get (rows, month);
        if (!row) {
            row = json_object ();
            json_object_set_new (rows, month, row);
        }
        for (int k = 0; k < n; k++)
            s_add (row, names[k], sqlite3_column_int64 (stmt, 1 + k));
    }
    sqlite3_reset (stmt);
    return rc == SQLITE_DONE ? 0 : xc_call_fail_db (call, "unable to count the months");
}

/*  by_month into result: per month, the items opened in it (by opened_on, through its index),
    and closed, due and closed on time by ON_TIME_SUMS, each item in the month it closed in or,
    open, the month of its due date in force (so the months' figures add up to on_time's). The
    months from the first with a figure to today's (with year: within that year). -1 after
    failing the call. */
static int
s_by_month (xc_call_t *call, const char *where, const char *units, json_t *result)
{
    char sql[8192];
    json_t *rows = json_object ();
    static const char *const opened[] = { "opened" };
    static const char *const on_time[] = { "closed", "open_past_due", "closed_on_time" };
    snprintf (sql, sizeof sql, "SELECT substr (i.opened_on, 1, 7), count(*) FROM items i WHERE %s GROUP BY 1", where);
    int rc = s_month_rows (call, sql, units, rows, opened, 1);
    if (rc == 0) {
        snprintf (sql, sizeof sql,
            "SELECT substr (CASE WHEN i.state = 'closed' THEN i.closed_on ELSE i.due END, 1, 7) m,"
            ON_TIME_SUMS (MONTH_PERIOD) " FROM items i WHERE %s AND m <= substr (?1, 1, 7)"
            " AND (?8 IS NULL OR substr (m, 1, 4) = ?8) GROUP BY 1", where);
        rc = s_month_rows (call, sql, units, rows, on_time, 3);
    }
    if (rc != 0) {
        json_decref (rows);
        return -1;
    }
    /* every month from the first with a figure to today's (or the year's last), in order, those
       without one as 0 */
    char first[8] = "", day[XC_DATE_LEN + 1], last[8];
    const char *month;
    json_t *row;
    json_object_foreach (rows, month, row)
        if ((!first[0] || strcmp (month, first) < 0) && (json_integer_value (json_object_get (row, "opened"))
                                                         || json_integer_value (json_object_get (row, "closed"))
                                                         || json_integer_value (json_object_get (row, "open_past_due"))))
            snprintf (first, sizeof first, "%s", month);
    xc_date_format (xc_call_today (call), day);
    snprintf (last, sizeof last, "%.7s", day);
    json_t *year = json_object_get (xc_call_msg (call)->data, "year");
    if (year && json_integer_value (year) * 100 + 12 < atoi (last) * 100 + atoi (last + 5))
        snprintf (last, sizeof last, "%04d-12", (int) json_integer_value (year));
    json_t *by_month = json_object ();
    xc_date_t at;
    snprintf (day, sizeof day, "%s-01", first);
    for (int ok = first[0] && xc_date_parse (day, &at, NULL) == 0; ok; at = xc_date_add_months (at, 1)) {
        xc_date_format (at, day);
        day[7] = '\0';
        if (strcmp (day, last) > 0)
            break;
        row = json_object_get (rows, day);
        json_int_t n[4] = { 0 };
        static const char *const names[] = { "opened", "closed", "open_past_due", "closed_on_time" };
        for (int k = 0; k < 4; k++)
            n[k] = json_integer_value (json_object_get (row, names[k]));
        json_object_set_new (by_month, day, json_pack ("{s:I, s:I, s:I, s:I, s:o}", "opened", n[0], "closed", n[1],
                                                       "closed_on_time", n[3], "due", n[1] + n[2],
                                                       "on_time_rate", rectify_rate (n[3], n[1] + n[2])));
    }
    json_decref (rows);
    json_object_set_new (result, "by_month", by_month);
    return 0;
}

int
rectify_stats (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const char *owner, *district;
    if (rectify_owner_filter (call, &owner, &district) != 0)
        return -1;
    /* a district office's figures are its own rounds' (its district bound as ?13), as intake's
       and referral's are: the crossed rounds it reads are in its lists, not in its figures */
    if (district)
        owner = district;
    char *units;
    if (rectify_scope_units (call, rectify, &units) != 0)
        return -1;
    char scope[512];
    rectify_owner_clause (scope, sizeof scope, "i", owner, district ? 13 : 7);
    s_district = district;
    char items_where[3072], visits_where[3072], recommended_where[3072], held_where[3072];
    s_where_items (items_where, sizeof items_where, scope);
    s_where (visits_where, sizeof visits_where, "i.due", UNIT_LEVEL, UNIT_CATEGORY, scope);
    s_where (recommended_where, sizeof recommended_where, "(SELECT e.evaluated_on FROM evaluations e"
             " WHERE e.round = i.round AND e.unit = i.unit)", UNIT_LEVEL, UNIT_CATEGORY, scope);
    s_where (held_where, sizeof held_where, "i.held_on", UNIT_LEVEL, UNIT_CATEGORY, scope);
    long long items[9], claims[4], visits[2], interviews[2];
    /* the on-time rate over the period [from (the beginning), to (today)] */
#define PERIOD(col) col " BETWEEN coalesce (?5, '0000-01-01') AND coalesce (?6, ?1)"
    int rc = s_counts (call,
        "SELECT count(*), coalesce (sum (i.state = 'closed' AND i.completion = 'completed'), 0),"
        ON_TIME_SUMS (PERIOD) ","
        " coalesce (sum (i.class = 'immediate'), 0), coalesce (sum (i.class = 'immediate' AND i.state = 'closed'), 0),"
        " coalesce (sum (" OVERDUE "), 0), 0 FROM items i", items_where, units, items, 9);
#undef PERIOD
    if (rc == 0)
        rc = s_counts (call,
            "SELECT coalesce (sum (c.institutional_measures), 0), coalesce (sum (c.money_recovered_fen), 0),"
            " coalesce (sum (c.money_written_off_fen), 0), coalesce (sum (c.public_concern_resolved), 0)"
            " FROM claims c JOIN items i ON i.id = c.item AND c.decision = 'accepted'", items_where, units, claims, 4);
    if (rc == 0)
        rc = s_counts (call, "SELECT coalesce (sum (i.due <= coalesce (?6, ?1) OR i.recorded_on IS NOT NULL), 0),"
                             " coalesce (sum (i.recorded_on IS NOT NULL), 0) FROM visits i",
                       visits_where, units, visits, 2);
    if (rc == 0)
        rc = s_counts (call, "SELECT count(*) FROM interviews i", recommended_where, units, interviews, 1);
    if (rc == 0)
        rc = s_counts (call, "SELECT count(*) FROM interviews_held i", held_where, units, interviews + 1, 1);
    json_t *by_state = rc == 0 ? s_groups (call, "SELECT state, count(*) FROM items i", items_where,
                                           "GROUP BY state", units) : NULL;
    json_t *by_class = by_state ? s_groups (call, "SELECT class, count(*) FROM items i", items_where,
                                            "GROUP BY class", units) : NULL;
    char steps_where[3200];
    snprintf (steps_where, sizeof steps_where, "a.alert LIKE 'step:%%' AND %s", items_where);
    json_t *steps = by_class ? s_groups (call,
        "SELECT a.alert, count(DISTINCT d.item) FROM alerts a JOIN deadlines d ON d.id = a.deadline"
        " JOIN items i ON i.id = d.item", steps_where, "GROUP BY a.alert", units) : NULL;
    if (!steps) {
        free (units);
        json_decref (by_state);
        json_decref (by_class);
        return -1;
    }
    /* escalation steps by name, every step of the policy present: one district's figures by
       that district's steps, the others by the city's */
    const char *one = district ? district : owner && strcmp (owner, "city") != 0 && strcmp (owner, "district") != 0
                                            ? owner : NULL;
    const rectify_policy_t *p = rectify_policy_for (&rectify->policy, one, NULL);
    json_t *escalations = json_object ();
    for (int k = 1; k <= p->n_steps; k++) {
        char alert[16];
        snprintf (alert, sizeof alert, "step:%d", k);
        json_object_set_new (escalations, p->steps[k - 1],
                             json_integer (json_integer_value (json_object_get (steps, alert))));
    }
    json_decref (steps);
    json_t *definitions = s_definitions (call, rectify, owner, district);
    if (!definitions) {
        free (units);
        json_decref (escalations);
        return -1;
    }
    /* the filters applied, as given */
    static const char *const filter_names[] = { "round", "unit", "owner", "year", "kind", "mode", "category",
                                                "unit_level", "from", "to", NULL };
    json_t *filters = json_object ();
    for (int i = 0; filter_names[i]; i++) {
        json_t *v = json_object_get (xc_call_msg (call)->data, filter_names[i]);
        if (v)
            json_object_set (filters, filter_names[i], v);
    }
    long long due = items[2] + items[3];
    json_t *result = json_pack (
        "{s:I, s:o, s:o, s:{s:I, s:I, s:o}, s:{s:I, s:I, s:I, s:I, s:o}, s:{s:I, s:I}, s:I, s:I, s:I, s:o, s:o,"
        " s:I, s:I, s:o, s:{s:I, s:I, s:o}, s:I, s:I, s:o, s:o}",
        "items", (json_int_t) items[0], "by_state", by_state, "by_class", by_class,
        "completion", "completed", (json_int_t) items[1], "items", (json_int_t) items[0],
                      "rate", rectify_rate (items[1], items[0]),
        "on_time", "closed_on_time", (json_int_t) items[4], "closed", (json_int_t) items[2],
                   "open_past_due", (json_int_t) items[3], "due", (json_int_t) due,
                   "rate", rectify_rate (items[4], due),
        "immediate", "items", (json_int_t) items[5], "closed", (json_int_t) items[6],
        "institutional_measures", (json_int_t) claims[0],
        "money_recovered_fen", (json_int_t) claims[1], "money_written_off_fen", (json_int_t) claims[2],
        "money_recovered_yuan", s_yuan (claims[1]), "money_written_off_yuan", s_yuan (claims[2]),
        "public_concerns_resolved", (json_int_t) claims[3], "overdue_now", (json_int_t) items[7],
        "escalations", escalations, "revisits", "due", (json_int_t) visits[0], "done", (json_int_t) visits[1],
                       "coverage", rectify_rate (visits[1], visits[0]),
        "interviews_recommended", (json_int_t) interviews[0], "interviews_held", (json_int_t) interviews[1],
        "filters", filters, "definitions", definitions);
    if (!result) {
        free (units);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    if (s_open_lights (call, rectify, items_where, units, result) != 0
        || s_by_month (call, items_where, units, result) != 0) {
        free (units);
        json_decref (result);
        return -1;
    }
    free (units);
    xc_call_result (call, result);
    return 0;
}
