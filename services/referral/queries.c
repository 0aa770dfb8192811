/*  queries.c: referral.get (a logged read), referral.list, referral.stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "services/referral/referral.h"

int
referral_get (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "referral"));
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT kind, target, problem, title, content, state, method, referred_on, due, due_start,"
        " due_policy, due_explain, disposed_on, concluded_on, created_by, coalesce (owner_district, ''),"
        " due_source FROM referrals WHERE id = ?1");
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
        json_object_set_new (json_object_get (r, "due"), "policy_source", xc_column_text (stmt, 16));
        json_object_set_new (r, "owner_district", xc_column_text (stmt, 15));
    }
    sqlite3_reset (stmt);
    const char *target = r ? json_string_value (json_object_get (r, "target")) : NULL;
    char owner[REFERRAL_DISTRICT_LEN] = "";
    if (r) {
        snprintf (owner, sizeof owner, "%s", json_string_value (json_object_get (r, "owner_district")));
        json_object_del (r, "owner_district");
    }
    /* a district office reads the leads of its own rounds when its discipline body allows it all */
    bool lead_reader = district && strcmp (district, owner) == 0
                       && referral_policy_lead_access (&referral->policy, district) == REFERRAL_LEADS_FULL;
    if (!r || (!xc_call_role_is (call, "office") && !lead_reader && strcmp (target, xc_call_iss (call)) != 0)) {
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
    /* the warnings come from the rules of the round's owner as the policy has them now */
    const referral_rules_t *rules = referral_policy_rules (&referral->policy, owner[0] ? owner : NULL);
    json_t *warn_days = json_array ();
    for (int k = rules->n_warn_days - 1; k >= 0; k--)
        json_array_append_new (warn_days, json_integer (rules->warn_days[k]));
    json_object_set_new (due, "warnings", json_pack ("{s:o, s:s}", "days", warn_days, "policy_source",
                                                     rules->own_warn_days ? rules->source : "city"));
    /* the target's requests for more time and the office's answers */
    json_t *requests = referral_extension_requests (call, id);
    if (!requests) {
        json_decref (h);
        json_decref (o);
        json_decref (r);
        return -1;
    }
    json_object_set_new (r, "extension_requests", requests);
    json_object_set_new (r, "round_owner", json_string (owner[0] ? owner : "city"));
    json_object_set_new (r, "history", h);
    json_object_set_new (r, "outcomes", o);
    /* the referral's signed events with their seq and hash (a formal document's sources) */
    static const char *const event_names[] = { "seq", "type", "hash", NULL };
    json_t *events = xc_call_rows (call, "SELECT o.seq, o.type, lower (hex (o.hash)) FROM referral_events e JOIN outbox o"
                                   " ON o.id = e.event_id WHERE e.referral = ?1 ORDER BY o.seq", id, event_names, NULL);
    if (!events) {
        json_decref (r);
        return -1;
    }
    json_object_set_new (r, "events", events);
    /* Reading a lead is a disciplinary matter: the read itself is recorded, durably, before
       the lead is shown (a resent read is answered from the inbox and not logged twice). */
    if (strcmp (json_string_value (json_object_get (r, "kind")), "lead") == 0) {
        char visibility[XC_NAME_MAX + REFERRAL_DISTRICT_LEN + 8], at[XC_RFC3339_LEN + 1];
        referral_visibility (target, owner, false, visibility, sizeof visibility);
        xc_clock_format (xc_call_now (call), at);
        /* not among the referral's events (referral.get's "events"): a read is about the reader,
           and each read would change what the next one answers */
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
    /* a district office's row of its round's referral under lead_access status: no text */
    if (!sqlite3_column_int (stmt, 14))
        return json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
                          "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
                          "kind", xc_column_text (stmt, 1), "target", xc_column_text (stmt, 2),
                          "round", xc_column_text (stmt, 9), "state", xc_column_text (stmt, 5),
                          "method", xc_column_text (stmt, 6), "due", xc_column_text (stmt, 7),
                          "overdue", sqlite3_column_int (stmt, 8));
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
referral_reach (xc_call_t *call, const referral_t *referral, const char *alias, referral_reach_t *reach)
{
    memset (reach, 0, sizeof *reach);
    if (xc_call_district (call, &reach->district) != 0)
        return -1;
    referral_lead_access_t access = referral_policy_lead_access (&referral->policy, reach->district);
    bool office = xc_call_role_is (call, "office");
    reach->iss = xc_call_iss (call);
    /* whole rows: the office's, and a district's whose lead_access is full */
    reach->whole_all = office || (reach->district && access == REFERRAL_LEADS_FULL);
    const int p = REFERRAL_REACH_PARAM;
    if (office)
        snprintf (reach->rows, sizeof reach->rows, "1");
    else if (reach->district && access != REFERRAL_LEADS_NONE)
        snprintf (reach->rows, sizeof reach->rows, "%s.id IN (SELECT id FROM referrals WHERE target = ?%d UNION ALL"
                  " SELECT id FROM referrals WHERE owner_district = ?%d AND target <> ?%d)", alias, p, p + 1, p);
    else
        snprintf (reach->rows, sizeof reach->rows, "%s.target = ?%d", alias, p);
    snprintf (reach->whole, sizeof reach->whole, "(?%d OR %s.target = ?%d)", p + 2, alias, p);
    return 0;
}

void
referral_reach_bind (sqlite3_stmt *stmt, const referral_reach_t *reach)
{
    sqlite3_bind_text (stmt, REFERRAL_REACH_PARAM, reach->iss, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, REFERRAL_REACH_PARAM + 1, reach->district, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, REFERRAL_REACH_PARAM + 2, reach->whole_all);
}

static const char s_list_sql[] =
    "SELECT id, kind, target, problem, title, state, method, due, " OVERDUE ", round, unit, %s,"
    " category_name, referred_on, %s FROM referrals"
    " WHERE %s AND (?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR target = ?3) AND (?4 IS NULL OR state = ?4)"
    " AND (?5 IS NULL OR " OVERDUE " = ?5) AND id > ?7 ORDER BY id LIMIT ?8";

int
referral_list (xc_call_t *call, void *state)
{
    const json_t *data = xc_call_msg (call)->data;
    referral_reach_t reach;
    if (referral_reach (call, state, "referrals", &reach) != 0)
        return -1;
    int limit = xc_page_limit (data);
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    json_t *overdue = json_object_get (data, "overdue");
    char sql[2048];
    snprintf (sql, sizeof sql, s_list_sql, referral_name_at_sql, reach.whole, reach.rows);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "kind")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (data, "target")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (data, "state")), -1, SQLITE_STATIC);
    if (overdue)
        sqlite3_bind_int (stmt, 5, json_is_true (overdue));
    sqlite3_bind_int64 (stmt, 7, json_integer_value (json_object_get (data, "after")));
    sqlite3_bind_int (stmt, 8, limit + 1);
    referral_reach_bind (stmt, &reach);
    return xc_call_page (call, stmt, limit, s_list_row, "id", "unable to list referrals");
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
    { "by_target", "各承办机关：移交各纪检监察机关、组织部门或职能部门的问题线索和移交事项（不含专题报告）中，"
                   "未办结的件数；即将到期为尚未首次处置（反馈）、距反馈期限不超过首次预警天数"
                   "（{warn_days}天，区县组织的轮次按该区县的设置）且未逾期的件数；"
                   "逾期为已过反馈期限、仍未首次处置（反馈）的件数（同逾期未反馈）。" },
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

/*  The figures come from one statement over the selected referrals (sel, materialized once):
    rows tagged k (per kind: count, overdue now), o (the outcomes' sums), s (sign-offs),
    p (people grouped by what came of them), d (referrals by days to first disposal). */
static const char s_figures[] =
    "SELECT 'k', kind, NULL, NULL, NULL, NULL, NULL, count(*), sum (disposed_on IS NULL AND due < ?1)"
    " FROM sel GROUP BY kind"
    " UNION ALL SELECT 'o', count (DISTINCT CASE WHEN o.case_filed AND sel.kind = 'lead' THEN o.referral END),"
    " sum (o.party_sanctions), sum (o.administrative_sanctions), sum (o.organizational_handling),"
    " sum (o.detentions), sum (o.prosecution_transfers), sum (o.institutional_measures), NULL"
    " FROM outcomes o JOIN sel ON sel.id = o.referral"
    " UNION ALL SELECT 's', NULL, NULL, NULL, NULL, NULL, NULL, count(*), NULL"
    " FROM signatures g JOIN sel ON sel.id = g.referral WHERE sel.kind = 'report'"
    " UNION ALL SELECT 'p', p.form, p.party_sanction, p.administrative_sanction, p.organizational_handling,"
    " p.detained, p.prosecuted, count(*), NULL FROM people p JOIN sel ON sel.id = p.referral"
    " GROUP BY 2, 3, 4, 5, 6, 7"
    " UNION ALL SELECT 'd', CAST (julianday (disposed_on) - julianday (referred_on) AS INTEGER),"
    " NULL, NULL, NULL, NULL, NULL, count(*), NULL FROM sel WHERE disposed_on IS NOT NULL GROUP BY 2"
    /* t: the leads and handovers not concluded (a concluded one was disposed: neither due nor
       overdue) by target, owner and due date: how many, how many not yet disposed and not yet
       due (due_soon is decided by the owner's rules), how many overdue now */
    " UNION ALL SELECT 't', target, owner_district, due, sum (disposed_on IS NULL AND due >= ?1), NULL, NULL,"
    " count(*), sum (disposed_on IS NULL AND due < ?1) FROM sel"
    " WHERE kind IN ('lead', 'handover') AND concluded_on IS NULL GROUP BY 2, 3, 4";

/*  {id: 0} for every kind of a policy list. */
static json_t *
s_zero_kinds (const referral_t *referral, const char *list)
{
    json_t *out = json_object ();
    size_t i;
    const json_t *kind;
    json_array_foreach (json_object_get (referral->policy.outcomes, list), i, kind)
        json_object_set_new (out, json_string_value (json_object_get (kind, "id")), json_integer (0));
    return out;
}

static void
s_add (json_t *object, const char *key, json_int_t n)
{
    json_object_set_new (object, key, json_integer (json_integer_value (json_object_get (object, key)) + n));
}

typedef struct {
    int days;
    json_int_t n;
} s_days_t;

static int
s_cmp_days (const void *a, const void *b)
{
    int x = ((const s_days_t *) a)->days, y = ((const s_days_t *) b)->days;
    return (x > y) - (x < y);
}

/*  The median of the histogram (sorted here): null when it is empty. */
static json_t *
s_median (s_days_t *h, size_t n)
{
    json_int_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += h[i].n;
    if (total == 0)
        return json_null ();
    qsort (h, n, sizeof *h, s_cmp_days);
    /* the values at ranks lo and hi (0-based) of the sorted list */
    json_int_t lo = (total - 1) / 2, hi = total / 2, seen = 0;
    int at_lo = 0, at_hi = 0;
    for (size_t i = 0; i < n; i++) {
        if (seen <= lo && lo < seen + h[i].n)
            at_lo = h[i].days;
        if (seen <= hi && hi < seen + h[i].n)
            at_hi = h[i].days;
        seen += h[i].n;
    }
    return json_real ((at_lo + at_hi) / 2.0);
}

static const char *
s_col (sqlite3_stmt *stmt, int i)
{
    return (const char *) sqlite3_column_text (stmt, i);
}

/*  referral.outcome_kinds: the kinds of a person's outcome as the loaded policy has them
    (policies.referral.outcomes, or the defaults), so that a client offers and names them as the
    service checks them, never from constants of its own. */
int
referral_outcome_kinds (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    static const char *const lists[] = { "forms", "party_sanction", "administrative_sanction",
                                         "organizational_handling" };
    json_t *out = json_object ();
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        json_object_set_new (out, lists[i],
                             json_deep_copy (json_object_get (referral->policy.outcomes, lists[i])));
    xc_call_result (call, out);
    return 0;
}

static int s_stats (xc_call_t *call, const referral_t *referral, const json_t *data);

int
referral_stats (xc_call_t *call, void *state)
{
    const referral_t *referral = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_t *forced = NULL;
    if (district) {
        /* a district office: over its own rounds, when its discipline body lets it see their leads */
        referral_lead_access_t access = referral_policy_lead_access (&referral->policy, district);
        const char *owner = json_string_value (json_object_get (data, "owner"));
        if (access == REFERRAL_LEADS_NONE)
            return xc_call_fail (call, XC_E_FORBIDDEN, "district %s may not see its rounds' referrals"
                                 " (policies.referral.districts.%s.lead_access is none)", district, district);
        if (owner && strcmp (owner, district) != 0)
            return xc_call_fail (call, XC_E_FORBIDDEN, "district %s counts its own rounds only, not owner %s",
                                 district, owner);
        forced = json_deep_copy (data);
        json_object_set_new (forced, "owner", json_string (district));
        data = forced;
    }
    int rc = s_stats (call, referral, data);
    json_decref (forced);
    return rc;
}

static int
s_stats (xc_call_t *call, const referral_t *referral, const json_t *data)
{
    char today[XC_DATE_LEN + 1], where[1024] = "", sql[4096];
    xc_date_format (xc_call_today (call), today);
    if (s_filters (call, data, where, sizeof where) != 0)
        return -1;
    snprintf (sql, sizeof sql, "WITH sel AS MATERIALIZED (SELECT r.id, r.kind, r.due, r.referred_on,"
                               " r.disposed_on, r.target, r.concluded_on, r.owner_district FROM referrals r WHERE 1%s) %s",
                               where, s_figures);
    /* the text depends on the filters given: a few dozen shapes, each cached by the store */
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    s_bind_filters (stmt, data, today);
    static const char *const outcome_sums[] = { "cases_filed", "party_sanctions", "administrative_sanctions",
                                                "organizational_handling", "detentions",
                                                "prosecution_transfers", "institutional_measures" };
    json_t *stats = json_pack ("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "leads", 0, "handovers", 0, "reports", 0,
                               "reports_signed", 0, "overdue_now", 0, "people", 0, "sanctioned_people", 0);
    for (int i = 0; i < 7; i++)
        json_object_set_new (stats, outcome_sums[i], json_integer (0));
    json_t *by_form = json_pack ("{s:i, s:i, s:i, s:i}", "1", 0, "2", 0, "3", 0, "4", 0);
    json_t *party = s_zero_kinds (referral, "party_sanction");
    json_t *admin = s_zero_kinds (referral, "administrative_sanction");
    json_t *handling = s_zero_kinds (referral, "organizational_handling");
    json_t *by_target = json_object ();
    xc_date_t today_date = xc_call_today (call);
    size_t n_days = 0, size_days = 0;
    s_days_t *days = NULL;
    int rc;
    bool oom = false;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW && !oom) {
        const char *tag = s_col (stmt, 0);
        json_int_t n = sqlite3_column_int64 (stmt, 7);
        if (tag[0] == 'k') {
            const char *kind = s_col (stmt, 1);
            s_add (stats, strcmp (kind, "lead") == 0 ? "leads" : strcmp (kind, "handover") == 0 ? "handovers"
                                                                                                : "reports", n);
            s_add (stats, "overdue_now", sqlite3_column_int64 (stmt, 8));
        }
        else if (tag[0] == 'o')
            for (int i = 0; i < 7; i++)
                json_object_set_new (stats, outcome_sums[i], json_integer (sqlite3_column_int64 (stmt, 1 + i)));
        else if (tag[0] == 's')
            json_object_set_new (stats, "reports_signed", json_integer (n));
        else if (tag[0] == 'p') {
            char form[24];
            snprintf (form, sizeof form, "%lld", (long long) sqlite3_column_int64 (stmt, 1));
            s_add (by_form, form, n);
            s_add (stats, "people", n);
            const char *p = s_col (stmt, 2), *a = s_col (stmt, 3), *h = s_col (stmt, 4);
            if (p)
                s_add (party, p, n);
            if (a)
                s_add (admin, a, n);
            if (h)
                s_add (handling, h, n);
            if (p || a)
                s_add (stats, "sanctioned_people", n);
        }
        else if (tag[0] == 't') {
            /* due soon: the first warning's day (the owner's rules, as the timer sends it) is here */
            json_int_t open = n, overdue = sqlite3_column_int64 (stmt, 8), waiting = sqlite3_column_int64 (stmt, 4);
            xc_date_t due;
            json_int_t soon = 0;
            if (waiting && xc_date_parse (s_col (stmt, 3), &due, NULL) == 0
                && today_date >= referral_alert_first (referral_policy_rules (&referral->policy, s_col (stmt, 2)),
                                                       due))
                soon = waiting;
            if (open || overdue || soon) {
                const char *target = s_col (stmt, 1);
                json_t *entry = json_object_get (by_target, target);
                if (!entry) {
                    entry = json_pack ("{s:i, s:i, s:i}", "open", 0, "due_soon", 0, "overdue", 0);
                    json_object_set_new (by_target, target, entry);
                }
                s_add (entry, "open", open);
                s_add (entry, "due_soon", soon);
                s_add (entry, "overdue", overdue);
            }
        }
        else if (tag[0] == 'd') {
            if (n_days == size_days) {
                size_days = size_days ? 2 * size_days : 256;
                s_days_t *more = realloc (days, sizeof *days * size_days);
                if (!more) {
                    oom = true;
                    break;
                }
                days = more;
            }
            days[n_days].days = sqlite3_column_int (stmt, 1);
            days[n_days++].n = n;
        }
    }
    sqlite3_reset (stmt);
    if (oom || rc != SQLITE_DONE) {
        free (days);
        json_decref (stats);
        json_decref (by_target);
        json_decref (by_form);
        json_decref (party);
        json_decref (admin);
        json_decref (handling);
        return oom ? xc_call_fail (call, XC_E_INTERNAL, "out of memory")
                   : xc_call_fail_db (call, "unable to count referrals");
    }
    json_object_set_new (stats, "by_target", by_target);
    json_object_set_new (stats, "by_form", by_form);
    /* party and administrative sanctions share words (警告, 开除): kept apart */
    json_object_set_new (stats, "by_sanction", json_pack ("{s:o, s:o}", "party", party, "administrative", admin));
    json_object_set_new (stats, "by_handling", handling);
    json_object_set_new (stats, "median_days_to_disposal", s_median (days, n_days));
    free (days);

    /* what was applied, what each figure means, and the words for the kinds */
    json_object_set_new (stats, "filters", json_deep_copy (data));
    json_t *definitions = json_object ();
    const json_t *given = referral->policy.definitions;
    for (size_t i = 0; i < sizeof s_definitions / sizeof s_definitions[0]; i++) {
        const char *text = json_string_value (json_object_get (given, s_definitions[i][0]));
        json_object_set_new (definitions, s_definitions[i][0], json_string (text ? text : s_definitions[i][1]));
    }
    /* by_target's due_soon names the first warning of the rules counted by (the owner's) */
    const char *by_target_text = json_string_value (json_object_get (definitions, "by_target"));
    const char *hole = by_target_text ? strstr (by_target_text, "{warn_days}") : NULL;
    if (hole) {
        const char *owner = json_string_value (json_object_get (data, "owner"));
        const referral_rules_t *rules = referral_policy_rules (&referral->policy, owner);
        json_object_set_new (definitions, "by_target",
                             json_sprintf ("%.*s%d%s", (int) (hole - by_target_text), by_target_text,
                                           rules->n_warn_days ? rules->warn_days[rules->n_warn_days - 1] : 0,
                                           hole + strlen ("{warn_days}")));
    }
    json_object_update_missing (definitions, (json_t *) given);   /* a figure the policy adds */
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
