/*  ranking.c: rectify.ranking, the units of a year or a round ranked by their evaluation, on-time
    rate, overdue days and repeat problems, with each figure's parts, and the 约谈 and 首轮专项督查
    lists drawn from it (docs/services/rectify.md, "Ranking": each figure's definition). */
#include <stdlib.h>
#include <string.h>

#include "common/page.h"
#include "services/rectify/rectify.h"

/* one unit's figures, for the order */
typedef struct {
    json_t *row;                     /* the reply's unit (owned until moved into the reply) */
    const char *unit;                /* row's "unit" */
    bool scored;
    long long score_centi;           /* mean score, hundredths, half up */
    long long rate_centi;            /* on-time rate as shown (hundredths of a percent); -1: none due */
    long long overdue_days, overdue_items, repeats;
} s_unit_t;

/* the period's rounds (alias r): ?1 year or ?2 round; with ?3 a district office's, those it owns */
#define ROUNDS_IN(r) "(?1 IS NULL OR " r ".year = ?1) AND (?2 IS NULL OR " r ".id = ?2)" \
                     " AND (?3 IS NULL OR (" r ".owner_level = 'district' AND " r ".owner_district = ?3))"

/*  Text of hundredths: "86.50". */
static json_t *
s_centi (long long centi)
{
    char text[32];
    snprintf (text, sizeof text, "%lld.%02lld", centi / 100, centi % 100);
    return json_string (text);
}

/*  sum / n rounded half up (sum, n >= 0, n > 0). */
static long long
s_mean (long long sum, long long n)
{
    return (2 * sum + n) / (2 * n);
}

/*  Compares a and b by key (b before a: > 0). A figure that is missing (no evaluation, nothing
    due) comes after every present one, in either direction. */
static int
s_cmp_key (const s_unit_t *a, const s_unit_t *b, int key, bool desc)
{
    long long x, y;
    bool has_x = true, has_y = true;
    switch (key) {
    case RECTIFY_KEY_SCORE:
        x = a->score_centi, y = b->score_centi, has_x = a->scored, has_y = b->scored;
        break;
    case RECTIFY_KEY_ON_TIME:
        x = a->rate_centi, y = b->rate_centi, has_x = x >= 0, has_y = y >= 0;
        break;
    case RECTIFY_KEY_OVERDUE_DAYS:
        x = a->overdue_days, y = b->overdue_days;
        break;
    case RECTIFY_KEY_OVERDUE_ITEMS:
        x = a->overdue_items, y = b->overdue_items;
        break;
    case RECTIFY_KEY_REPEATS:
        x = a->repeats, y = b->repeats;
        break;
    default: {
        int c = strcmp (a->unit, b->unit);
        return desc ? -c : c;
    }
    }
    if (has_x != has_y)
        return has_x ? -1 : 1;
    if (!has_x || x == y)
        return 0;
    return (x < y) == desc ? 1 : -1;
}

static int
s_cmp (const rectify_policy_t *p, const s_unit_t *a, const s_unit_t *b)
{
    for (int k = 0; k < p->n_ranking_order; k++) {
        int c = s_cmp_key (a, b, p->ranking_order[k].key, p->ranking_order[k].desc);
        if (c)
            return c;
    }
    return 0;
}

/*  The unit's district: the nearest unit of level district above it (by parent), or null. */
static json_t *
s_district_of (xc_call_t *call, const char *unit)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "WITH RECURSIVE up (id, level, parent, depth) AS (SELECT id, level, parent, 0 FROM units WHERE id = ?1"
        " UNION ALL SELECT u.id, u.level, u.parent, up.depth + 1 FROM units u JOIN up ON u.id = up.parent"
        " WHERE up.depth < 64)"
        " SELECT id FROM up WHERE level = 'district' AND depth > 0 ORDER BY depth LIMIT 1");
    if (!stmt)
        return NULL;
    sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_STATIC);
    json_t *district = sqlite3_step (stmt) == SQLITE_ROW ? xc_column_text (stmt, 0) : json_null ();
    sqlite3_reset (stmt);
    return district;
}

/*  Binds the period (?1 year, ?2 round, ?3 a district office's district) to stmt. */
static void
s_bind_period (sqlite3_stmt *stmt, const json_t *year, const char *round, const char *own)
{
    if (year)
        sqlite3_bind_int64 (stmt, 1, json_integer_value (year));
    sqlite3_bind_text (stmt, 2, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, own, -1, SQLITE_STATIC);
}

/*  The evaluation's figures of u: the means of its evaluations in the period (null: none). */
static int
s_evaluation (xc_call_t *call, const rectify_policy_t *p, s_unit_t *u, const json_t *year, const char *round,
              const char *own)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT count(*), sum (e.score_centi), sum (e.leadership), sum (e.responsibility),"
        " sum (e.task_completion), sum (e.satisfaction), sum (e.repeats), sum (e.deduction_centi)"
        " FROM evaluations e JOIN rounds r ON r.id = e.round WHERE e.unit = ?4 AND " ROUNDS_IN ("r"));
    if (!stmt)
        return -1;
    s_bind_period (stmt, year, round, own);
    sqlite3_bind_text (stmt, 4, u->unit, -1, SQLITE_STATIC);
    long long n = 0, sums[7] = { 0 };
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        n = sqlite3_column_int64 (stmt, 0);
        for (int k = 0; k < 7; k++)
            sums[k] = sqlite3_column_int64 (stmt, 1 + k);
    }
    sqlite3_reset (stmt);
    if (n == 0) {
        json_object_set_new (u->row, "evaluation", json_null ());
        return 0;
    }
    u->scored = true;
    u->score_centi = s_mean (sums[0], n);
    const char *grade = p->grades[p->n_grades - 1].grade;
    for (int i = p->n_grades - 1; i >= 0; i--)
        if (u->score_centi >= (long long) p->grades[i].min * 100)
            grade = p->grades[i].grade;
    json_t *parts = json_object ();
    for (int k = 0; k < 4; k++)
        json_object_set_new (parts, rectify_parts[k],
                             json_pack ("{s:o, s:i, s:o}", "value", s_centi (s_mean (100 * sums[1 + k], n)),
                                        "weight", p->weights[k],
                                        "points", s_centi (s_mean (p->weights[k] * sums[1 + k], n))));
    json_object_set_new (u->row, "evaluation",
                         json_pack ("{s:o, s:s, s:s, s:o, s:I, s:o, s:I}", "score", s_centi (u->score_centi),
                                    "grade", grade, "grade_name", rectify_policy_grade_name (p, grade),
                                    "parts", parts, "repeats", (json_int_t) sums[5],
                                    "deduction", s_centi (s_mean (sums[6], n)), "rounds", (json_int_t) n));
    return 0;
}

/*  The on-time and overdue figures of u over its items counted by rectify.stats' on-time
    definition in [from, to]: closed in it, or still open with the due date in force in it and
    past. Overdue days: closed late, closed_on - due; still open, today - due. */
static int
s_items (xc_call_t *call, s_unit_t *u, const char *round, const char *own, const char *from, const char *to,
         const char *today)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT coalesce (sum (closed), 0), coalesce (sum (NOT closed), 0), coalesce (sum (closed AND EXISTS"
        "  (SELECT 1 FROM claims c WHERE c.item = id AND c.decision = 'accepted'"
        "   AND c.claimed_on <= coalesce (c.due_then, due))), 0),"
        " coalesce (sum (late), 0), coalesce (sum (late > 0), 0) FROM"
        " (SELECT i.id, i.due, i.state = 'closed' AS closed,"
        "  CASE WHEN i.state = 'closed' THEN max (0, CAST (julianday (i.closed_on) - julianday (i.due) AS INTEGER))"
        "  ELSE CAST (julianday (?5) - julianday (i.due) AS INTEGER) END AS late"
        "  FROM items i WHERE i.unit = ?1 AND (?2 IS NULL OR i.round = ?2)"
        "  AND (?3 IS NULL OR i.round IN (SELECT id FROM rounds WHERE owner_level = 'district'"
        "   AND owner_district = ?3))"
        "  AND i.class != 'long_term' AND i.due IS NOT NULL"
        "  AND ((i.state = 'closed' AND i.closed_on BETWEEN ?4 AND ?6)"
        "   OR (i.state != 'closed' AND i.due BETWEEN ?4 AND ?6 AND i.due < ?5)))");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, u->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, round, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, own, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, from, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, today, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, to, -1, SQLITE_STATIC);
    long long closed = 0, open = 0, on_time = 0;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        closed = sqlite3_column_int64 (stmt, 0);
        open = sqlite3_column_int64 (stmt, 1);
        on_time = sqlite3_column_int64 (stmt, 2);
        u->overdue_days = sqlite3_column_int64 (stmt, 3);
        u->overdue_items = sqlite3_column_int64 (stmt, 4);
    }
    sqlite3_reset (stmt);
    long long due = closed + open;
    u->rate_centi = due > 0 ? (on_time * 20000 + due) / (2 * due) : -1;
    json_object_set_new (u->row, "on_time", json_pack ("{s:I, s:I, s:o}", "closed_on_time", (json_int_t) on_time,
                                                       "due", (json_int_t) due, "rate", rectify_rate (on_time, due)));
    json_object_set_new (u->row, "overdue_days", json_integer (u->overdue_days));
    json_object_set_new (u->row, "overdue_items", json_integer (u->overdue_items));
    return 0;
}

/*  The confirmed repeats of u in the period's rounds (repeats.c keeps them). */
static int
s_repeats (xc_call_t *call, s_unit_t *u, const json_t *year, const char *round, const char *own)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT count(*) FROM repeats p JOIN rounds r ON r.id = p.round"
                                             " WHERE p.unit = ?4 AND " ROUNDS_IN ("r"));
    if (!stmt)
        return -1;
    s_bind_period (stmt, year, round, own);
    sqlite3_bind_text (stmt, 4, u->unit, -1, SQLITE_STATIC);
    u->repeats = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    json_object_set_new (u->row, "repeats", json_integer (u->repeats));
    return 0;
}

/*  Marks interview (约谈) and special_check (首轮专项督查) over the ordered units: among the
    units with an evaluation, the last `lowest` of the order, or a score below interview.below
    (约谈) / a grade of special_check_grades (专项督查). */
static void
s_flags (const rectify_policy_t *p, s_unit_t *units, size_t n)
{
    size_t scored = 0;
    for (size_t i = 0; i < n; i++)
        scored += units[i].scored;
    size_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        s_unit_t *u = &units[i];
        bool interview = false, special = false;
        if (u->scored) {
            size_t from_end = scored - seen++;     /* 1 for the last scored unit */
            interview = (p->interview_below > 0 && u->score_centi < (long long) p->interview_below * 100)
                        || (p->interview_lowest > 0 && from_end <= (size_t) p->interview_lowest);
            const char *grade = json_string_value (json_object_get (json_object_get (u->row, "evaluation"), "grade"));
            special = p->special_check_lowest > 0 && from_end <= (size_t) p->special_check_lowest;
            for (int g = 0; !special && g < p->n_special_check_grades; g++)
                special = strcmp (p->special_check_grades[g], grade) == 0;
        }
        json_object_set_new (u->row, "interview", json_boolean (interview));
        json_object_set_new (u->row, "special_check", json_boolean (special));
    }
}

static json_t *
s_special_grades (const rectify_policy_t *p)
{
    json_t *grades = json_array ();
    for (int g = 0; g < p->n_special_check_grades; g++)
        json_array_append_new (grades, json_string (p->special_check_grades[g]));
    return grades;
}

int
rectify_ranking (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const rectify_policy_t *p = &rectify->policy;
    const json_t *data = xc_call_msg (call)->data;
    const json_t *year = json_object_get (data, "year");
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *district = json_string_value (json_object_get (data, "district"));
    const char *own;                 /* a district office's district: only the rounds it owns count */
    if (xc_call_district (call, &own) != 0)
        return -1;
    if (!year == !round)
        return xc_call_fail (call, XC_E_SCHEMA, "data: give exactly one of year and round");
    if (own && district && strcmp (own, district) != 0)
        return xc_call_fail (call, XC_E_FORBIDDEN, "a district office ranks the units of its own district '%s' only,"
                             " not of '%s'", own, district);
    if (own)
        district = own;
    char today[XC_DATE_LEN + 1], from[XC_DATE_LEN + 1] = "0000-01-01", to[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    snprintf (to, sizeof to, "%s", today);
    json_t *period;
    if (year) {
        snprintf (from, sizeof from, "%04d-01-01", (int) json_integer_value (year));
        snprintf (to, sizeof to, "%04d-12-31", (int) json_integer_value (year));
        period = json_pack ("{s:O, s:s, s:s}", "year", year, "from", from, "to", to);
    } else {
        if (own && rectify_district_reach (rectify, own, round) < 2)
            return rectify_district_reach (rectify, own, round) == 0
                   ? xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round)
                   : xc_call_fail (call, XC_E_FORBIDDEN, "round '%s' is not one district '%s' owns: it reads it"
                                   " only", round, own);
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT name, year FROM rounds WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
        period = sqlite3_step (stmt) == SQLITE_ROW
                 ? json_pack ("{s:s, s:o, s:o, s:s}", "round", round, "round_name", xc_column_text (stmt, 0),
                              "year", sqlite3_column_type (stmt, 1) == SQLITE_NULL ? json_null ()
                                      : json_integer (sqlite3_column_int64 (stmt, 1)), "to", today)
                 : NULL;
        sqlite3_reset (stmt);
        if (!period)
            return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)", round);
    }
    if (district && !own) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT count(*) FROM units WHERE id = ?1 AND level = 'district'");
        if (!stmt) {
            json_decref (period);
            return -1;
        }
        sqlite3_bind_text (stmt, 1, district, -1, SQLITE_STATIC);
        bool known = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) > 0;
        sqlite3_reset (stmt);
        if (!known) {
            json_decref (period);
            return xc_call_fail (call, XC_E_NOT_FOUND, "no district '%s' (a unit of level district)", district);
        }
    }
    if (district)
        json_object_set_new (period, "district", json_string (district));
    /* the units: the targets of the period's rounds (with district, those under it) */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "WITH RECURSIVE under (id, depth) AS (SELECT id, 1 FROM units WHERE parent = ?4"
        " UNION SELECT u.id, under.depth + 1 FROM units u JOIN under ON u.parent = under.id WHERE under.depth < 64)"
        " SELECT DISTINCT t.unit, coalesce (n.name, t.unit) FROM round_targets t JOIN rounds r ON r.id = t.round"
        " LEFT JOIN units n ON n.id = t.unit"
        " WHERE " ROUNDS_IN ("r") " AND (?4 IS NULL OR t.unit IN (SELECT id FROM under)) ORDER BY t.unit");
    if (!stmt) {
        json_decref (period);
        return -1;
    }
    s_bind_period (stmt, year, round, own);
    sqlite3_bind_text (stmt, 4, district, -1, SQLITE_STATIC);
    json_t *rows = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (rows, json_pack ("{s:o, s:o}", "unit", xc_column_text (stmt, 0),
                                                "unit_name", xc_column_text (stmt, 1)));
    sqlite3_reset (stmt);
    size_t n = json_array_size (rows);
    s_unit_t *units = calloc (n ? n : 1, sizeof *units);
    if (!units) {
        json_decref (rows);
        json_decref (period);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        s_unit_t *u = &units[i];
        u->row = json_incref (json_array_get (rows, i));
        u->unit = json_string_value (json_object_get (u->row, "unit"));
        json_t *in = s_district_of (call, u->unit);
        if (!in)
            rc = -1;
        else
            json_object_set_new (u->row, "district", in);
        if (rc == 0)
            rc = s_evaluation (call, p, u, year, round, own);
        if (rc == 0)
            rc = s_items (call, u, round, own, from, to, today);
        if (rc == 0)
            rc = s_repeats (call, u, year, round, own);
    }
    /* insertion sort by the policy's order (a total order: the unit id is its last key) */
    for (size_t i = 1; rc == 0 && i < n; i++) {
        s_unit_t key = units[i];
        size_t j = i;
        while (j > 0 && s_cmp (p, &units[j - 1], &key) > 0) {
            units[j] = units[j - 1];
            j--;
        }
        units[j] = key;
    }
    /* the ranks after `after`, as many as one reply holds (limit, default all): next */
    json_t *limit_json = json_object_get (data, "limit");
    int limit = limit_json ? (int) json_integer_value (limit_json) : 2000;
    size_t after = (size_t) json_integer_value (json_object_get (data, "after"));
    static const char *const keep[] = { "rank", "unit", NULL };
    xc_page_t page;
    int added = 1;
    if (rc == 0 && xc_page_init (&page, xc_call_config (call)->max_message_bytes, limit, keep) != 0)
        rc = xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    json_t *ranked = NULL;
    if (rc == 0) {
        s_flags (p, units, n);
        for (size_t i = after; added == 1 && i < n; i++) {
            json_object_set_new (units[i].row, "rank", json_integer ((json_int_t) i + 1));
            added = xc_page_add (&page, json_incref (units[i].row));
        }
        ranked = xc_page_take (&page);
        xc_page_clear (&page);
        if (added < 0)
            rc = xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        json_decref (units[i].row);
    free (units);
    json_decref (rows);
    if (rc != 0) {
        json_decref (ranked);
        json_decref (period);
        return -1;
    }
    json_t *weights = json_object (), *order = json_array ();
    for (int k = 0; k < 4; k++)
        json_object_set_new (weights, rectify_parts[k], json_integer (p->weights[k]));
    for (int k = 0; k < p->n_ranking_order; k++) {
        char text[48];
        snprintf (text, sizeof text, "%s %s", rectify_ranking_keys[p->ranking_order[k].key],
                  p->ranking_order[k].desc ? "desc" : "asc");
        json_array_append_new (order, json_string (text));
    }
    size_t shown = json_array_size (ranked);
    json_t *next = added == 0 && shown > 0 ? json_integer ((json_int_t) (after + shown)) : json_null ();
    xc_call_result (call, json_pack ("{s:o, s:o, s:o, s:o, s:I, s:o, s:{s:i, s:i, s:i, s:o}}", "period", period,
                                     "weights", weights, "order", order, "units", ranked,
                                     "count", (json_int_t) n, "next", next,
                                     "flags", "interview_below", p->interview_below, "interview_lowest",
                                     p->interview_lowest, "special_check_lowest", p->special_check_lowest,
                                     "special_check_grades", s_special_grades (p)));
    return 0;
}
