/*  queries.c: referral.get (a logged read), referral.list, referral.stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "services/referral/referral.h"

int
referral_get (xc_call_t *call, void *state)
{
    (void) state;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "referral"));
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT kind, target, problem, title, content, state, method, referred_on, due, due_start,"
        " due_policy, due_explain, disposed_on, concluded_on, created_by FROM referrals WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *r = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *content = json_loads ((const char *) sqlite3_column_text (stmt, 4), 0, NULL);
        r = json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
                       " s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o}",
                       "id", id, "kind", xc_column_text (stmt, 0), "target", xc_column_text (stmt, 1),
                       "problem", sqlite3_column_type (stmt, 2) == SQLITE_NULL
                                      ? json_null () : json_integer (sqlite3_column_int64 (stmt, 2)),
                       "title", xc_column_text (stmt, 3), "content", content ? content : json_object (),
                       "state", xc_column_text (stmt, 5), "method", xc_column_text (stmt, 6),
                       "referred_on", xc_column_text (stmt, 7),
                       "due", "date", xc_column_text (stmt, 8), "start", xc_column_text (stmt, 9),
                       "policy", xc_column_text (stmt, 10), "explain", xc_column_text (stmt, 11),
                       "disposed_on", xc_column_text (stmt, 12), "concluded_on", xc_column_text (stmt, 13),
                       "created_by", xc_column_text (stmt, 14));
    }
    sqlite3_reset (stmt);
    const char *target = r ? json_string_value (json_object_get (r, "target")) : NULL;
    if (!r || (!xc_call_role_is (call, "office") && strcmp (target, xc_call_iss (call)) != 0)) {
        bool found = r != NULL;
        json_decref (r);
        return found ? xc_call_fail (call, XC_E_FORBIDDEN, "referral %lld is not yours to read", (long long) id)
                     : xc_call_fail (call, XC_E_NOT_FOUND, "no referral %lld", (long long) id);
    }
    /* where it comes from: round, unit (its name on the referral's date), category */
    static const char *const origin[] = { "round", "unit", "unit_name", "unit_level", "category",
                                          "category_path", "category_name", "applied_on", "quiet_until", NULL };
    static const char *const origin_json[] = { "category_path", NULL };
    char origin_sql[1024];
    snprintf (origin_sql, sizeof origin_sql, "SELECT round, unit, %s AS unit_name, unit_level, category,"
                                             " category_path, category_name, applied_on, quiet_until"
                                             " FROM referrals WHERE id = ?1", referral_name_at_sql);
    json_t *from = xc_call_rows (call, origin_sql, id, origin, origin_json);
    static const char *const signature[] = { "leader_name", "leader_title", "signed_on", "by", NULL };
    json_t *signed_by = from ? xc_call_rows (call, "SELECT leader_name, leader_title, signed_on, by FROM signatures"
                                                   " WHERE referral = ?1", id, signature, NULL) : NULL;
    if (!signed_by) {
        json_decref (from);
        json_decref (r);
        return -1;
    }
    json_object_update (r, json_array_get (from, 0));
    json_decref (from);
    const json_t *s0 = json_array_get (signed_by, 0);
    json_object_set_new (r, "signed", s0 ? json_pack ("{s:{s:O, s:O}, s:O, s:O}", "leader", "name",
                                                      json_object_get (s0, "leader_name"), "title",
                                                      json_object_get (s0, "leader_title"), "on",
                                                      json_object_get (s0, "signed_on"), "by",
                                                      json_object_get (s0, "by"))
                                         : json_null ());
    json_decref (signed_by);
    static const char *const history[] = { "n", "action", "by", "at", "data", NULL };
    static const char *const outcomes[] = { "n", "case_filed", "party_sanctions",
                                            "administrative_sanctions", "organizational_handling",
                                            "detentions", "prosecution_transfers", "note",
                                            "reported_on", "institutional_measures", "people", NULL };
    static const char *const json_columns[] = { "data", NULL };
    json_t *h = xc_call_rows (call, "SELECT n, action, by, at, data FROM referral_history WHERE referral = ?1"
                                    " ORDER BY n", id, history, json_columns);
    static const char *const people_json[] = { "people", NULL };
    json_t *o = xc_call_rows (call, "SELECT n, case_filed, party_sanctions, administrative_sanctions,"
                              " organizational_handling, detentions, prosecution_transfers, note,"
                              " reported_on, institutional_measures, (SELECT json_group_array (json_object ("
                              " 'form', p.form, 'party_sanction', p.party_sanction, 'administrative_sanction',"
                              " p.administrative_sanction, 'organizational_handling', p.organizational_handling,"
                              " 'detained', json (CASE WHEN p.detained THEN 'true' ELSE 'false' END),"
                              " 'prosecuted', json (CASE WHEN p.prosecuted THEN 'true' ELSE 'false' END)))"
                              " FROM (SELECT * FROM people p WHERE p.referral = outcomes.referral"
                              " AND p.n = outcomes.n ORDER BY p.i) p) FROM outcomes WHERE referral = ?1 ORDER BY n",
                              id, outcomes, people_json);
    if (!h || !o) {
        json_decref (h);
        json_decref (o);
        json_decref (r);
        return -1;
    }
    json_t *extensions = json_array ();
    size_t i;
    json_t *entry;
    json_array_foreach (h, i, entry)
        if (strcmp (json_string_value (json_object_get (entry, "action")), "extended") == 0)
            json_array_append (extensions, json_object_get (entry, "data"));
    json_t *due = json_object_get (r, "due");
    json_object_set_new (due, "extensions", extensions);
    /* which calendar the span counts in: working days need the deployment's holiday files */
    xc_span_t span;
    bool workdays = xc_span_parse (json_string_value (json_object_get (due, "policy")), &span, NULL) == 0
                    && span.unit == XC_SPAN_WORKDAYS;
    json_object_set_new (due, "calendar", json_string (workdays ? xc_call_config (call)->calendar
                                                                : "calendar days"));
    json_object_set_new (r, "history", h);
    json_object_set_new (r, "outcomes", o);
    /* Reading a lead is a disciplinary matter: the read itself is recorded, durably, before
       the lead is shown (a resent read is answered from the inbox and not logged twice). */
    if (strcmp (json_string_value (json_object_get (r, "kind")), "lead") == 0) {
        char visibility[XC_NAME_MAX + 8], at[XC_RFC3339_LEN + 1];
        referral_visibility (target, false, visibility, sizeof visibility);
        xc_clock_format (xc_call_now (call), at);
        if (xc_call_emit_new (call, "lead.read", visibility, NULL,
                              json_pack ("{s:I, s:s, s:s}", "referral", id, "reader",
                                         xc_call_iss (call), "at", at)) != 0) {
            json_decref (r);
            return -1;
        }
    }
    xc_call_result (call, r);
    return 0;
}

static json_t *
s_list_row (sqlite3_stmt *stmt)
{
    return json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o}",
                      "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
                      "kind", xc_column_text (stmt, 1), "target", xc_column_text (stmt, 2),
                      "problem", sqlite3_column_type (stmt, 3) == SQLITE_NULL
                                     ? json_null () : json_integer (sqlite3_column_int64 (stmt, 3)),
                      "title", xc_column_text (stmt, 4), "state", xc_column_text (stmt, 5),
                      "method", xc_column_text (stmt, 6), "due", xc_column_text (stmt, 7),
                      "overdue", sqlite3_column_int (stmt, 8), "round", xc_column_text (stmt, 9),
                      "unit", xc_column_text (stmt, 10), "unit_name", xc_column_text (stmt, 11),
                      "category_name", xc_column_text (stmt, 12), "referred_on", xc_column_text (stmt, 13));
}

/* Overdue: past its due date without a first disposal (its feedback). */
#define OVERDUE "(disposed_on IS NULL AND due < ?1)"

int
referral_list (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    int limit = xc_page_limit (data);
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    json_t *overdue = json_object_get (data, "overdue");
    char sql[2048];
    snprintf (sql, sizeof sql,
        "SELECT id, kind, target, problem, title, state, method, due, " OVERDUE ", round, unit, %s,"
        " category_name, referred_on FROM referrals"
        " WHERE (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR target = ?3) AND (?4 IS NULL OR state = ?4)"
        " AND (?5 IS NULL OR " OVERDUE " = ?5) AND (?6 IS NULL OR target = ?6) AND id > ?7"
        " ORDER BY id LIMIT ?8", referral_name_at_sql);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "kind")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "target")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    if (overdue)
        sqlite3_bind_int (stmt, 5, json_is_true (overdue));
    /* everyone but the office sees only what was sent to them */
    sqlite3_bind_text (stmt, 6, xc_call_role_is (call, "office") ? NULL : xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 7, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 8, limit + 1);
    return xc_call_page (call, stmt, limit, s_list_row, "id", "unable to list referrals");
}

static int
s_cmp_int (const void *a, const void *b)
{
    int x = *(const int *) a, y = *(const int *) b;
    return (x > y) - (x < y);
}

/*  What each figure means, as a person reads it next to the figure; the policy's
    definitions replace these one by one. */
static const char *const s_definitions[][2] = {
    { "leads", "问题线索：移交纪检监察机关或组织部门的问题线索件数，按移交日期计入年度。" },
    { "handovers", "移交有关部门：移交有关职能部门办理的问题件数，按移交日期计入年度。" },
    { "reports", "专题报告：报送有关职能部门的专题报告件数（专题报告只在此处计数）。" },
    { "reports_signed", "领导签批：上述专题报告中经领导签批的件数，每份报告计一次。" },
    { "cases_filed", "立案：已立案的问题线索件数，一条线索计一次。" },
    { "people", "处理人数：办理结果中列明的人数，每人每份结果计一次。" },
    { "by_form", "四种形态：按对每人运用的形态（第一种至第四种）统计的人数。" },
    { "sanctioned_people", "党纪政务处分人数：受到党纪处分或政务处分（或两者兼有）的人数，每人计一次。" },
    { "party_sanctions", "党纪处分：受到党纪处分的人数。" },
    { "administrative_sanctions", "政务处分：受到政务处分的人数。" },
    { "organizational_handling", "组织处理：受到组织处理的人数。" },
    { "detentions", "留置：被采取留置措施的人数。" },
    { "prosecution_transfers", "移送司法：移送司法机关处理的人数。" },
    { "institutional_measures", "完善制度机制（职能部门）：专题报告和移交事项的办理部门报告的完善制度机制项数。" },
    { "overdue_now", "逾期未反馈：已过反馈期限、仍未首次处置（反馈）的件数。" },
    { "median_days_to_disposal", "处置用时中位数：从移交之日到首次处置（反馈）之日的天数的中位数。" },
};

/*  The filters of data as an SQL condition on referrals r (appended to sql), with their
    parameters bound by number: ?2 round, ?3 district, ?4/?5 year, ?6 kind, ?7 mode,
    ?8 category, ?9 unit level. Unknown rounds and districts are not_found. */
static int
s_filters (xc_call_t *call, const json_t *data, char *sql, size_t size)
{
    const char *owner = json_string_value (json_object_get (data, "owner"));
    const char *round = json_string_value (json_object_get (data, "round"));
    if (round) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM rounds WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
        bool known = sqlite3_step (stmt) == SQLITE_ROW;
        sqlite3_reset (stmt);
        if (!known)
            return xc_call_fail (call, XC_E_NOT_FOUND, "no round %s (referral knows the rounds intake opened)",
                                 round);
    }
    if (owner && strcmp (owner, "city") != 0 && strcmp (owner, "district") != 0) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT level FROM units WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, owner, -1, SQLITE_STATIC);
        char level[32] = "";
        if (sqlite3_step (stmt) == SQLITE_ROW)
            snprintf (level, sizeof level, "%s", (const char *) sqlite3_column_text (stmt, 0));
        sqlite3_reset (stmt);
        if (strcmp (level, "district") != 0)
            return level[0] ? xc_call_fail (call, XC_E_SCHEMA, "owner %s is a unit of level %s, not a district",
                                            owner, level)
                            : xc_call_fail (call, XC_E_NOT_FOUND, "owner: no district unit %s", owner);
    }
    size_t n = strlen (sql);
    const struct { const char *member, *value, *condition; } conds[] = {
        { "round", NULL, " AND r.round = ?2" },
        { "owner", "city", " AND r.round IN (SELECT id FROM rounds WHERE owner_level = 'city')" },
        { "owner", "district", " AND r.round IN (SELECT id FROM rounds WHERE owner_level = 'district')" },
        { "owner", "", " AND r.round IN (SELECT id FROM rounds WHERE owner_district = ?3)" },
        { "year", NULL, " AND r.referred_on >= ?4 AND r.referred_on < ?5" },
        { "kind", NULL, " AND r.round IN (SELECT id FROM rounds WHERE kind = ?6)" },
        { "mode", NULL, " AND r.round IN (SELECT round FROM round_modes WHERE mode = ?7)" },
        { "category", NULL, " AND r.id IN (SELECT referral FROM referral_categories WHERE category = ?8)" },
        { "unit_level", NULL, " AND r.unit_level = ?9" },
    };
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++) {
        const json_t *v = json_object_get (data, conds[i].member);
        if (!v)
            continue;
        if (conds[i].value && (conds[i].value[0] ? strcmp (owner, conds[i].value) != 0
                                                 : strcmp (owner, "city") == 0 || strcmp (owner, "district") == 0))
            continue;
        n += (size_t) snprintf (sql + n, n < size ? size - n : 0, "%s", conds[i].condition);
    }
    if (n >= size)
        return xc_call_fail (call, XC_E_INTERNAL, "the stats query is too long");
    return 0;
}

static void
s_bind_filters (sqlite3_stmt *stmt, const json_t *data, const char *today)
{
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "round")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "owner")), -1, SQLITE_TRANSIENT);
    const json_t *year = json_object_get (data, "year");
    if (year) {
        char from[32], to[32];
        snprintf (from, sizeof from, "%04d-01-01", (int) json_integer_value (year));
        snprintf (to, sizeof to, "%04d-01-01", (int) json_integer_value (year) + 1);
        sqlite3_bind_text (stmt, 4, from, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text (stmt, 5, to, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (data, "kind")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 7, json_string_value (json_object_get (data, "mode")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 8, json_string_value (json_object_get (data, "category")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 9, json_string_value (json_object_get (data, "unit_level")), -1, SQLITE_TRANSIENT);
}

/*  A statement over the selected referrals (the CTE sel: id, kind, due, referred_on,
    disposed_on), prepared afresh: its text depends on the filters given. Caller finalizes. */
static sqlite3_stmt *
s_prepare (xc_call_t *call, const char *where, const char *body)
{
    char sql[4096];
    snprintf (sql, sizeof sql, "WITH sel AS MATERIALIZED (SELECT r.id, r.kind, r.due, r.referred_on,"
                               " r.disposed_on FROM referrals r WHERE 1%s) %s", where, body);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (xc_call_db (call), sql, -1, &stmt, NULL) != SQLITE_OK) {
        xc_call_fail_db (call, "unable to count referrals");
        return NULL;
    }
    return stmt;
}

/*  {id: n} of a people column's kinds, with every kind of the policy's list (0 when none). */
static json_t *
s_by_kind (xc_call_t *call, const referral_t *referral, const char *where, const json_t *data,
           const char *today, const char *column, const char *list)
{
    json_t *out = json_object ();
    size_t i;
    const json_t *kind;
    json_array_foreach (json_object_get (referral->policy.outcomes, list), i, kind)
        json_object_set_new (out, json_string_value (json_object_get (kind, "id")), json_integer (0));
    char body[256];
    snprintf (body, sizeof body, "SELECT p.%s, count(*) FROM people p JOIN sel ON sel.id = p.referral"
                                 " WHERE p.%s IS NOT NULL GROUP BY 1", column, column);
    sqlite3_stmt *stmt = s_prepare (call, where, body);
    if (!stmt) {
        json_decref (out);
        return NULL;
    }
    s_bind_filters (stmt, data, today);
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_object_set_new (out, (const char *) sqlite3_column_text (stmt, 0),
                             json_integer (sqlite3_column_int64 (stmt, 1)));
    sqlite3_finalize (stmt);
    return out;
}

int
referral_stats (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    const json_t *data = xc_call_msg (call)->data;
    char today[XC_DATE_LEN + 1], where[1024] = "";
    xc_date_format (xc_call_today (call), today);
    if (s_filters (call, data, where, sizeof where) != 0)
        return -1;
    sqlite3_stmt *stmt = s_prepare (call, where,
        "SELECT (SELECT count(*) FROM sel WHERE kind = 'lead'),"
        " (SELECT count(*) FROM sel WHERE kind = 'handover'),"
        " (SELECT count(*) FROM sel WHERE kind = 'report'),"
        " (SELECT count(*) FROM signatures s JOIN sel ON sel.id = s.referral WHERE sel.kind = 'report'),"
        " (SELECT count(DISTINCT o.referral) FROM outcomes o JOIN sel ON sel.id = o.referral"
        "  WHERE o.case_filed AND sel.kind = 'lead'),"
        " (SELECT coalesce (sum (o.party_sanctions), 0) FROM outcomes o JOIN sel ON sel.id = o.referral),"
        " (SELECT coalesce (sum (o.administrative_sanctions), 0) FROM outcomes o JOIN sel ON sel.id = o.referral),"
        " (SELECT coalesce (sum (o.organizational_handling), 0) FROM outcomes o JOIN sel ON sel.id = o.referral),"
        " (SELECT coalesce (sum (o.detentions), 0) FROM outcomes o JOIN sel ON sel.id = o.referral),"
        " (SELECT coalesce (sum (o.prosecution_transfers), 0) FROM outcomes o JOIN sel ON sel.id = o.referral),"
        " (SELECT coalesce (sum (o.institutional_measures), 0) FROM outcomes o JOIN sel ON sel.id = o.referral),"
        " (SELECT count(*) FROM sel WHERE disposed_on IS NULL AND due < ?1),"
        " (SELECT count(*) FROM people p JOIN sel ON sel.id = p.referral),"
        " (SELECT count(*) FROM people p JOIN sel ON sel.id = p.referral"
        "  WHERE p.party_sanction IS NOT NULL OR p.administrative_sanction IS NOT NULL)");
    if (!stmt)
        return -1;
    s_bind_filters (stmt, data, today);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_finalize (stmt);
        return xc_call_fail_db (call, "unable to count referrals");
    }
    static const char *const names[] = { "leads", "handovers", "reports", "reports_signed", "cases_filed",
                                         "party_sanctions", "administrative_sanctions",
                                         "organizational_handling", "detentions",
                                         "prosecution_transfers", "institutional_measures", "overdue_now",
                                         "people", "sanctioned_people" };
    json_t *stats = json_object ();
    for (int i = 0; i < (int) (sizeof names / sizeof names[0]); i++)
        json_object_set_new (stats, names[i], json_integer (sqlite3_column_int64 (stmt, i)));
    sqlite3_finalize (stmt);

    /* people by form, by sanction and by handling */
    json_t *by_form = json_object ();
    for (int f = 1; f <= 4; f++) {
        char key[4];
        snprintf (key, sizeof key, "%d", f);
        json_object_set_new (by_form, key, json_integer (0));
    }
    stmt = s_prepare (call, where, "SELECT p.form, count(*) FROM people p JOIN sel ON sel.id = p.referral GROUP BY 1");
    if (!stmt) {
        json_decref (stats);
        json_decref (by_form);
        return -1;
    }
    s_bind_filters (stmt, data, today);
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        char key[24];
        snprintf (key, sizeof key, "%lld", (long long) sqlite3_column_int64 (stmt, 0));
        json_object_set_new (by_form, key, json_integer (sqlite3_column_int64 (stmt, 1)));
    }
    sqlite3_finalize (stmt);
    json_object_set_new (stats, "by_form", by_form);
    json_t *party = s_by_kind (call, referral, where, data, today, "party_sanction", "party_sanction");
    json_t *admin = party ? s_by_kind (call, referral, where, data, today, "administrative_sanction",
                                       "administrative_sanction") : NULL;
    json_t *handling = admin ? s_by_kind (call, referral, where, data, today, "organizational_handling",
                                          "organizational_handling") : NULL;
    if (!handling) {
        json_decref (party);
        json_decref (admin);
        json_decref (stats);
        return -1;
    }
    /* party and administrative sanctions share words (警告, 开除): kept apart */
    json_object_set_new (stats, "by_sanction", json_pack ("{s:o, s:o}", "party", party, "administrative", admin));
    json_object_set_new (stats, "by_handling", handling);

    stmt = s_prepare (call, where, "SELECT CAST (julianday (disposed_on) - julianday (referred_on) AS INTEGER)"
                                   " FROM sel WHERE disposed_on IS NOT NULL");
    if (!stmt) {
        json_decref (stats);
        return -1;
    }
    s_bind_filters (stmt, data, today);
    int n = 0, size = 64;
    int *days = malloc (sizeof *days * (size_t) size);
    while (days && sqlite3_step (stmt) == SQLITE_ROW) {
        if (n == size) {
            int *more = realloc (days, sizeof *days * (size_t) (size *= 2));
            if (!more) {
                free (days);
                days = NULL;
                break;
            }
            days = more;
        }
        days[n++] = sqlite3_column_int (stmt, 0);
    }
    sqlite3_finalize (stmt);
    if (!days) {
        json_decref (stats);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    qsort (days, (size_t) n, sizeof *days, s_cmp_int);
    json_t *median = n == 0 ? json_null ()
                     : n % 2 ? json_real (days[n / 2])
                             : json_real ((days[n / 2 - 1] + days[n / 2]) / 2.0);
    free (days);
    json_object_set_new (stats, "median_days_to_disposal", median);

    /* what was applied, what each figure means, and the words for the kinds */
    json_object_set_new (stats, "filters", json_deep_copy (data));
    json_t *definitions = json_object ();
    const json_t *given = referral->policy.definitions;
    for (size_t i = 0; i < sizeof s_definitions / sizeof s_definitions[0]; i++) {
        const char *text = json_string_value (json_object_get (given, s_definitions[i][0]));
        json_object_set_new (definitions, s_definitions[i][0], json_string (text ? text : s_definitions[i][1]));
    }
    json_object_set_new (stats, "definitions", definitions);
    json_t *words = json_object ();
    const char *list;
    json_t *kinds;
    json_object_foreach (referral->policy.outcomes, list, kinds) {
        if (strcmp (list, "forms") == 0) {
            json_t *forms = json_object ();
            size_t i;
            json_t *name;
            json_array_foreach (kinds, i, name) {
                char key[24];
                snprintf (key, sizeof key, "%zu", i + 1);
                json_object_set (forms, key, name);
            }
            json_object_set_new (words, "form", forms);
            continue;
        }
        json_t *map = json_object ();
        size_t i;
        json_t *kind;
        json_array_foreach (kinds, i, kind)
            json_object_set (map, json_string_value (json_object_get (kind, "id")), json_object_get (kind, "name"));
        json_object_set_new (words, list, map);
    }
    json_object_set_new (stats, "names", words);
    xc_call_result (call, stats);
    return 0;
}
