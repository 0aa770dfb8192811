/*  repeats.c: repeat problems, 屡查屡犯 (docs/services/intake.md, "Repeat problems").

    When a problem of a round is reported or classified, intake compares it with the problems
    of earlier rounds (planned to start before its round, at most policies.intake.repeats.years
    before; 回头看 rounds included) of its unit's lineage: the unit and every unit merged or
    split into it (units.successor, followed back). The best max_suggestions at or above
    min_similarity become suggestions in problem_repeats, in the report's transaction; the
    office confirms or dismisses each once (problem.repeat), and a confirmation is the event
    problem.repeat_confirmed that rectify's evaluation counts.

    Similarity (thousandths): Dice's coefficient 2|A∩B| / (|A| + |B|) over the sets of character
    bigrams of summary + detail (xc_search_bigrams: a CJK run's adjacent pairs, a lone CJK
    character itself, a Latin word whole; punctuation, spaces and digits split runs), then the category per policy: "require"
    keeps only problems of the same top category; "prefer" mixes in category_weight of a
    category score (same category 1, same top category 0.5, else 0); "ignore" uses the text.

    The bigrams are common/search.h's (xc_search_bigrams, the splitter search uses too). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/search.h"
#include "services/intake/intake.h"

/* ------------------------------------------------------------------ similarity */

typedef struct {
    uint64_t *v;     /* xc_search_bigrams' sorted, distinct keys */
    size_t n;
} s_grams_t;

/*  The bigram set of summary + detail (common/search.h), the previous set in g freed. ASCII
    digits separate like punctuation: amounts, dates and counts differ between two findings
    of one problem and would only add noise. 0, or -1 out of memory. */
static int
s_problem_grams (const char *summary, const char *detail, s_grams_t *g)
{
    size_t ls = strlen (summary), ld = strlen (detail);
    char *text = malloc (ls + ld + 2);
    if (!text)
        return -1;
    memcpy (text, summary, ls);
    text[ls] = '\n';
    memcpy (text + ls + 1, detail, ld + 1);
    for (char *c = text; *c; c++)
        if (*c >= '0' && *c <= '9')
            *c = ' ';
    free (g->v);
    g->v = NULL;
    g->n = 0;
    int rc = xc_search_bigrams (text, &g->v, &g->n);
    free (text);
    return rc;
}

/*  Dice's coefficient in thousandths. */
static int
s_dice (const s_grams_t *a, const s_grams_t *b)
{
    return (int) (xc_search_dice (a->v, a->n, b->v, b->n) * 1000 + 0.5);
}

int
intake_repeats_text_similarity (const char *a, const char *b)
{
    s_grams_t ga = { 0 }, gb = { 0 };
    int sim = s_problem_grams (a, "", &ga) == 0 && s_problem_grams (b, "", &gb) == 0 ? s_dice (&ga, &gb) : 0;
    free (ga.v);
    free (gb.v);
    return sim;
}

/*  1000 for the same category, 500 for the same top category, else 0. */
static int
s_category_score (const intake_policy_t *policy, const char *a, const char *b)
{
    if (strcmp (a, b) == 0)
        return 1000;
    const intake_category_t *ca = intake_policy_category_find (policy, a);
    const intake_category_t *cb = intake_policy_category_find (policy, b);
    if (!ca || !cb)
        return 0;
    int ra = (int) (ca - policy->categories), rb = (int) (cb - policy->categories);
    while (policy->categories[ra].parent >= 0)
        ra = policy->categories[ra].parent;
    while (policy->categories[rb].parent >= 0)
        rb = policy->categories[rb].parent;
    return ra == rb ? 500 : 0;
}

/* ------------------------------------------------------------------ finding */

/* the unit's lineage: itself and the units merged or split into it, back to the first */
#define LINEAGE_CTE                                                                        \
    "WITH RECURSIVE lin (id, n) AS (SELECT ?1, 0 UNION SELECT u.id, lin.n + 1 FROM units u"     \
    " JOIN lin ON u.successor = lin.id WHERE lin.n < 64) "

typedef struct {
    json_int_t of;
    int similarity;
} s_candidate_t;

static int
s_by_similarity (const void *a, const void *b)
{
    const s_candidate_t *x = a, *y = b;
    if (x->similarity != y->similarity)
        return y->similarity - x->similarity;
    return x->of < y->of ? 1 : x->of > y->of ? -1 : 0;
}

/*  A problem's unit, round start, category and status: 1 when it has a round, 0 when it has
    none (no repeats), -1 after failing the call. */
typedef struct {
    char unit[XC_NAME_MAX], round[XC_NAME_MAX], start[16], category[XC_NAME_MAX], status[32];
    char found_on[16];
} s_subject_t;

static int
s_subject (xc_call_t *call, json_int_t id, s_subject_t *s, s_grams_t *grams)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT p.unit, p.round, r.planned_start, p.category, p.status, p.summary, p.detail,"
        " coalesce (p.found_on, '') FROM problems p LEFT JOIN rounds r ON r.id = p.round WHERE p.id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    int rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return rc == SQLITE_DONE ? xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id)
                                 : xc_call_fail_db (call, "unable to read the problem");
    }
    bool has_round = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
    snprintf (s->unit, sizeof s->unit, "%s", (const char *) sqlite3_column_text (stmt, 0));
    snprintf (s->round, sizeof s->round, "%s", has_round ? (const char *) sqlite3_column_text (stmt, 1) : "");
    snprintf (s->start, sizeof s->start, "%s", has_round ? (const char *) sqlite3_column_text (stmt, 2) : "");
    snprintf (s->category, sizeof s->category, "%s", (const char *) sqlite3_column_text (stmt, 3));
    snprintf (s->status, sizeof s->status, "%s", (const char *) sqlite3_column_text (stmt, 4));
    snprintf (s->found_on, sizeof s->found_on, "%s", (const char *) sqlite3_column_text (stmt, 7));
    int out = has_round ? 1 : 0;
    if (grams && has_round
        && s_problem_grams ((const char *) sqlite3_column_text (stmt, 5),
                            (const char *) sqlite3_column_text (stmt, 6), grams) != 0)
        out = xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    sqlite3_reset (stmt);
    return out;
}

/*  Recomputes problem id's suggestions: the undecided pairs become the best candidates now;
    decided pairs stay as they were. */
static int
s_refresh (xc_call_t *call, const intake_t *intake, json_int_t id)
{
    const intake_repeats_policy_t *rp = &intake->policy.repeats;
    s_subject_t subject;
    s_grams_t mine = { 0 };
    int has = s_subject (call, id, &subject, &mine);
    if (has <= 0 || strcmp (subject.status, "merged") == 0) {
        free (mine.v);
        return has < 0 ? -1 : 0;
    }
    char years[32];
    snprintf (years, sizeof years, "-%d years", rp->years);
    sqlite3_stmt *stmt = xc_call_stmt (call, LINEAGE_CTE
        "SELECT p.id, p.category, p.summary, p.detail FROM problems p JOIN rounds r ON r.id = p.round"
        " WHERE p.unit IN (SELECT id FROM lin) AND r.planned_start < ?2"
        " AND r.planned_start >= date (?2, ?3) AND p.status != 'merged' AND p.id != ?4");
    if (!stmt) {
        free (mine.v);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, subject.unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 2, subject.start, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, years, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 4, id);
    s_candidate_t *found = NULL;
    size_t n = 0, cap = 0;
    int rc;
    s_grams_t theirs = { 0 };
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *category = (const char *) sqlite3_column_text (stmt, 1);
        int cat = s_category_score (&intake->policy, subject.category, category);
        if (rp->category == INTAKE_CATEGORY_REQUIRE && cat == 0)
            continue;
        if (s_problem_grams ((const char *) sqlite3_column_text (stmt, 2),
                             (const char *) sqlite3_column_text (stmt, 3), &theirs) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        int sim = s_dice (&mine, &theirs);
        if (rp->category == INTAKE_CATEGORY_PREFER)
            sim = (sim * (1000 - rp->category_weight) + cat * rp->category_weight + 500) / 1000;
        if (sim < rp->min_similarity)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            s_candidate_t *grown = realloc (found, cap * sizeof *found);
            if (!grown) {
                rc = SQLITE_NOMEM;
                break;
            }
            found = grown;
        }
        found[n++] = (s_candidate_t) { (json_int_t) sqlite3_column_int64 (stmt, 0), sim };
    }
    sqlite3_reset (stmt);
    free (mine.v);
    free (theirs.v);
    if (rc != SQLITE_DONE) {
        free (found);
        return rc == SQLITE_NOMEM ? xc_call_fail (call, XC_E_INTERNAL, "out of memory")
                                  : xc_call_fail_db (call, "unable to read the earlier problems");
    }
    if (n > 1)                       /* qsort takes no NULL, even for nothing */
        qsort (found, n, sizeof *found, s_by_similarity);
    /* the best max_suggestions not decided already */
    json_t *keep = json_array ();
    sqlite3_stmt *decided = xc_call_stmt (call, "SELECT 1 FROM problem_repeats WHERE problem = ?1"
                                               " AND of = ?2 AND state != 'suggested'");
    sqlite3_stmt *put = xc_call_stmt (call,
        "INSERT INTO problem_repeats (problem, of, similarity_milli, state) VALUES (?1, ?2, ?3, 'suggested')"
        " ON CONFLICT (problem, of) DO UPDATE SET similarity_milli = excluded.similarity_milli"
        " WHERE state = 'suggested'");
    rc = decided && put ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n && (int) json_array_size (keep) < rp->max_suggestions; i++) {
        sqlite3_bind_int64 (decided, 1, id);
        sqlite3_bind_int64 (decided, 2, found[i].of);
        int d = xc_call_exists (call, decided, "unable to read the decisions");
        if (d < 0)
            rc = -1;
        if (d != 0)
            continue;
        sqlite3_bind_int64 (put, 1, id);
        sqlite3_bind_int64 (put, 2, found[i].of);
        sqlite3_bind_int (put, 3, found[i].similarity);
        rc = xc_call_exec (call, put, "unable to record a suggestion");
        json_array_append_new (keep, json_integer (found[i].of));
    }
    free (found);
    char *kept = rc == 0 ? json_dumps (keep, JSON_COMPACT) : NULL;
    json_decref (keep);
    if (rc != 0)
        return -1;
    sqlite3_stmt *drop = xc_call_stmt (call, "DELETE FROM problem_repeats WHERE problem = ?1 AND state ="
                                            " 'suggested' AND of NOT IN (SELECT value FROM json_each (?2))");
    if (!drop || !kept) {
        free (kept);
        return drop ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_int64 (drop, 1, id);
    sqlite3_bind_text (drop, 2, kept, -1, SQLITE_TRANSIENT);
    free (kept);
    return xc_call_exec (call, drop, "unable to drop old suggestions");
}

int
intake_repeats_find (xc_call_t *call, const intake_t *intake, json_int_t id)
{
    s_subject_t subject;
    int has = s_subject (call, id, &subject, NULL);
    if (has <= 0)
        return has;
    if (s_refresh (call, intake, id) != 0)
        return -1;
    /* the later problems of the units this unit was merged or split into (and its own): a
       problem loaded from history after them is their earlier problem */
    char years[32];
    snprintf (years, sizeof years, "+%d years", intake->policy.repeats.years);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "WITH RECURSIVE chain (id, n) AS (SELECT ?1, 0 UNION SELECT u.successor, chain.n + 1 FROM units u"
        " JOIN chain ON u.id = chain.id WHERE u.successor IS NOT NULL AND chain.n < 64)"
        " SELECT p.id FROM problems p JOIN rounds r ON r.id = p.round WHERE p.unit IN (SELECT id FROM chain)"
        " AND r.planned_start > ?2 AND r.planned_start <= date (?2, ?3) AND p.status != 'merged'"
        " ORDER BY p.id");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, subject.unit, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 2, subject.start, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, years, -1, SQLITE_TRANSIENT);
    json_t *later = json_array ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        json_array_append_new (later, json_integer (sqlite3_column_int64 (stmt, 0)));
    sqlite3_reset (stmt);
    int out = rc == SQLITE_DONE ? 0 : xc_call_fail_db (call, "unable to read the later problems");
    for (size_t i = 0; out == 0 && i < json_array_size (later); i++)
        out = s_refresh (call, intake, json_integer_value (json_array_get (later, i)));
    json_decref (later);
    return out;
}

/* ------------------------------------------------------------------ access */

/*  Whether the caller reads problem id for repeats: office and service every problem but a
    lead when they are no restricted reader; a district office those of the rounds it owns or
    reads (owns: *owns). 1, 0, -1 after failing the call. */
static int
s_readable (xc_call_t *call, const intake_t *intake, const char *district, json_int_t id, bool *owns)
{
    *owns = false;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT round, EXISTS (SELECT 1 FROM dispositions d"
                                            " WHERE d.problem = p.id AND d.kind = 'lead') FROM problems p WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return 0;
    }
    char round[XC_NAME_MAX];
    bool has_round = sqlite3_column_type (stmt, 0) != SQLITE_NULL;
    snprintf (round, sizeof round, "%s", has_round ? (const char *) sqlite3_column_text (stmt, 0) : "");
    bool lead = sqlite3_column_int (stmt, 1);
    sqlite3_reset (stmt);
    if (!district) {
        *owns = true;
        return !lead || intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal);
    }
    intake_scope_t scope;
    bool exists;
    if (intake_round_id_scope (call, has_round ? round : NULL, district, &scope, &exists) != 0)
        return -1;
    *owns = scope == INTAKE_SCOPE_OWNS;
    return scope != INTAKE_SCOPE_NONE;
}

static void
s_similarity (char out[8], int milli)
{
    snprintf (out, 8, "%.2f", milli / 1000.0);
}

/*  The dispositions of a problem as [{kind, timeliness?}], leads left out unless shown. */
static json_t *
s_dispositions (xc_call_t *call, json_int_t id, bool leads)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT kind, timeliness FROM dispositions WHERE problem = ?1"
                                            " ORDER BY kind");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *list = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        const char *kind = (const char *) sqlite3_column_text (stmt, 0);
        if (!leads && strcmp (kind, "lead") == 0)
            continue;
        json_t *d = json_pack ("{s:s}", "kind", kind);
        if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
            json_object_set_new (d, "timeliness", xc_column_text (stmt, 1));
        json_array_append_new (list, d);
    }
    sqlite3_reset (stmt);
    return list;
}

/* ------------------------------------------------------------------ problem.repeats */

/*  {"problem"}: the problem's candidates with their outcome. */
static int
s_candidates (xc_call_t *call, const intake_t *intake, const char *district, json_int_t id)
{
    bool owns;
    int may = s_readable (call, intake, district, id, &owns);
    if (may <= 0)
        return may < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id);
    bool leads = district ? false : intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT x.of, q.round, r.name, r.kind, q.unit, un.name, q.category, q.summary, q.found_on,"
        " q.status, x.similarity_milli, x.state, x.decided_by, x.decided_on, x.note"
        " FROM problem_repeats x JOIN problems q ON q.id = x.of LEFT JOIN rounds r ON r.id = q.round"
        " LEFT JOIN units un ON un.id = q.unit WHERE x.problem = ?1"
        " ORDER BY x.state = 'dismissed', x.similarity_milli DESC, x.of DESC");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *rows = json_array ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        char sim[8];
        s_similarity (sim, sqlite3_column_int (stmt, 10));
        json_t *c = json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o}",
                               "of", (json_int_t) sqlite3_column_int64 (stmt, 0),
                               "round", xc_column_text (stmt, 1), "round_name", xc_column_text (stmt, 2),
                               "round_kind", xc_column_text (stmt, 3), "unit", xc_column_text (stmt, 4),
                               "unit_name", xc_column_text (stmt, 5), "category", xc_column_text (stmt, 6),
                               "summary", xc_column_text (stmt, 7), "found_on", xc_column_text (stmt, 8),
                               "status", xc_column_text (stmt, 9), "similarity", sim,
                               "state", xc_column_text (stmt, 11));
        static const char *const decided[] = { "decided_by", "decided_on", "note" };
        for (int k = 12; k <= 14; k++)
            if (sqlite3_column_type (stmt, k) != SQLITE_NULL)
                json_object_set_new (c, decided[k - 12], xc_column_text (stmt, k));
        json_array_append_new (rows, c);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (rows);
        return xc_call_fail_db (call, "unable to read the repeats");
    }
    /* each candidate the caller may read, with its dispositions */
    json_t *out = json_array ();
    size_t i;
    json_t *c;
    json_array_foreach (rows, i, c) {
        json_int_t of = json_integer_value (json_object_get (c, "of"));
        bool of_owns;
        int r = s_readable (call, intake, district, of, &of_owns);
        json_t *d = r > 0 ? s_dispositions (call, of, district ? of_owns : leads) : NULL;
        if (r < 0 || (r > 0 && !d)) {
            json_decref (rows);
            json_decref (out);
            return -1;
        }
        if (r == 0)
            continue;
        json_object_set_new (c, "dispositions", d);
        json_array_append (out, c);
    }
    json_decref (rows);
    xc_call_result (call, json_pack ("{s:I, s:o}", "problem", id, "candidates", out));
    return 0;
}

static const char *const s_queue_names[] = { "id", "problem", "of", "unit", "round", "of_unit", "of_round",
                                             "category", "summary", "of_summary", "similarity_milli",
                                             "state", "decided_by", "decided_on", "note", NULL };

int
intake_problem_repeats (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    const json_t *problem = json_object_get (data, "problem");
    if (problem) {
        static const char *const others[] = { "round", "unit", "state", "after", "limit" };
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
            if (json_object_get (data, others[i]))
                return xc_call_fail (call, XC_E_SCHEMA, "data.%s: not with data.problem (one problem's"
                                     " candidates, or the list)", others[i]);
        return s_candidates (call, intake, district, json_integer_value (problem));
    }
    /* the queue: pairs whose two problems the caller reads, in the order they were found */
    bool no_leads = !district && !intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal);
    int limit = xc_page_limit (data);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT x.id, x.problem, x.of, p.unit, p.round, q.unit, q.round, p.category, p.summary, q.summary,"
        " x.similarity_milli, x.state, x.decided_by, x.decided_on, x.note"
        " FROM problem_repeats x JOIN problems p ON p.id = x.problem JOIN problems q ON q.id = x.of"
        " WHERE x.id > ?1 AND (?2 IS NULL OR p.round = ?2) AND (?3 IS NULL OR p.unit = ?3)"
        " AND (?4 IS NULL OR x.state = ?4)"
        " AND (?5 IS NULL OR (p.round IN (SELECT id FROM rounds WHERE owner_district = ?5 OR link_by = ?5)"
        " AND q.round IN (SELECT id FROM rounds WHERE owner_district = ?5 OR link_by = ?5)))"
        " AND (?6 = 0 OR NOT EXISTS (SELECT 1 FROM dispositions d WHERE d.problem IN (p.id, q.id)"
        " AND d.kind = 'lead'))"
        " ORDER BY x.id LIMIT ?7");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, json_integer_value (json_object_get (data, "after")));
    const char *filters[] = { "round", "unit", "state" };
    for (int i = 0; i < 3; i++)
        sqlite3_bind_text (stmt, i + 2, json_string_value (json_object_get (data, filters[i])), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, district, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 6, no_leads);
    sqlite3_bind_int (stmt, 7, limit + 1);
    json_t *list = json_array ();
    int rc;
    json_int_t last = 0;
    bool more = false;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        if ((int) json_array_size (list) == limit) {
            more = true;
            break;
        }
        json_t *row = json_object ();
        for (int k = 0; s_queue_names[k]; k++) {
            if (strcmp (s_queue_names[k], "similarity_milli") == 0) {
                char sim[8];
                s_similarity (sim, sqlite3_column_int (stmt, k));
                json_object_set_new (row, "similarity", json_string (sim));
            }
            else if (sqlite3_column_type (stmt, k) == SQLITE_INTEGER)
                json_object_set_new (row, s_queue_names[k], json_integer (sqlite3_column_int64 (stmt, k)));
            else if (sqlite3_column_type (stmt, k) != SQLITE_NULL || k < 12)
                json_object_set_new (row, s_queue_names[k], xc_column_text (stmt, k));
        }
        last = (json_int_t) sqlite3_column_int64 (stmt, 0);
        json_array_append_new (list, row);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        json_decref (list);
        return xc_call_fail_db (call, "unable to list the repeats");
    }
    xc_call_result (call, json_pack ("{s:o, s:o}", "repeats", list, "next", more ? json_integer (last) : json_null ()));
    return 0;
}

/* ------------------------------------------------------------------ problem.repeat */

/*  Whether `of` is an earlier problem of problem's unit lineage: 1, 0 with why written, -1. */
static int
s_earlier_of_lineage (xc_call_t *call, const s_subject_t *p, const s_subject_t *of, json_int_t of_id,
                      char *why, size_t size)
{
    if (!of->round[0]) {
        snprintf (why, size, "problem %lld has no round", (long long) of_id);
        return 0;
    }
    if (strcmp (of->start, p->start) >= 0) {
        snprintf (why, size, "the round of problem %lld did not start before this problem's", (long long) of_id);
        return 0;
    }
    sqlite3_stmt *stmt = xc_call_stmt (call, LINEAGE_CTE "SELECT 1 FROM lin WHERE id = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, p->unit, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, of->unit, -1, SQLITE_STATIC);
    int in = xc_call_exists (call, stmt, "unable to read the unit's lineage");
    if (in == 0)
        snprintf (why, size, "unit %s of problem %lld is not this problem's unit nor merged or split into it",
                  of->unit, (long long) of_id);
    return in;
}

int
intake_problem_repeat (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    char day[XC_DATE_LEN + 1];
    if (xc_call_occurred_on (call, data, intake->policy.history_role_list, day, NULL) < 0)
        return -1;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    json_int_t id = json_integer_value (json_object_get (data, "problem"));
    json_int_t of = json_integer_value (json_object_get (data, "of"));
    const char *decision = json_string_value (json_object_get (data, "decision"));
    bool owns, of_owns;
    int may = s_readable (call, intake, district, id, &owns);
    if (may <= 0)
        return may < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id);
    if (district && !owns)
        return xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld is of a round district '%s' does not own",
                             (long long) id, district);
    may = s_readable (call, intake, district, of, &of_owns);
    if (may <= 0)
        return may < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) of);
    s_subject_t p, q;
    if (s_subject (call, id, &p, NULL) < 0 || s_subject (call, of, &q, NULL) < 0)
        return -1;
    if (strcmp (p.status, "merged") == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "problem %lld is merged into another", (long long) id);
    if (p.found_on[0] && strcmp (day, p.found_on) < 0)
        return xc_call_fail (call, XC_E_CONFLICT, "problem %lld cannot be decided on %s, before it was"
                             " found on %s", (long long) id, day, p.found_on);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT state FROM problem_repeats WHERE problem = ?1 AND of = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, of);
    char current[32];
    int found = xc_call_text (call, stmt, current, sizeof current, "unable to read the suggestion");
    if (found < 0)
        return -1;
    if (found && strcmp (current, "suggested") != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "problem %lld as a repeat of %lld is %s already",
                             (long long) id, (long long) of, current);
    if (!found) {
        /* a pair the office found itself: only a confirmation, of an earlier problem of the lineage */
        if (strcmp (decision, "confirmed") != 0)
            return xc_call_fail (call, XC_E_CONFLICT, "problem %lld was not suggested as a repeat of %lld:"
                                 " only a confirmation names a pair of one's own", (long long) id, (long long) of);
        char why[256];
        int ok = p.round[0] ? s_earlier_of_lineage (call, &p, &q, of, why, sizeof why) : 0;
        if (!p.round[0])
            snprintf (why, sizeof why, "problem %lld has no round", (long long) id);
        if (ok <= 0)
            return ok < 0 ? -1 : xc_call_fail (call, XC_E_CONFLICT, "problem %lld cannot repeat %lld: %s",
                                                (long long) id, (long long) of, why);
    }
    stmt = xc_call_stmt (call,
        "INSERT INTO problem_repeats (problem, of, similarity_milli, state, decided_by, decided_on, note)"
        " VALUES (?1, ?2, 0, ?3, ?4, ?5, ?6) ON CONFLICT (problem, of) DO UPDATE SET state = excluded.state,"
        " decided_by = excluded.decided_by, decided_on = excluded.decided_on, note = excluded.note");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, of);
    sqlite3_bind_text (stmt, 3, decision, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 5, day, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 6, json_string_value (json_object_get (data, "note")), -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "unable to record the decision") != 0)
        return -1;
    if (strcmp (decision, "confirmed") == 0) {
        char key[96];
        snprintf (key, sizeof key, "repeat:%lld:%lld", (long long) id, (long long) of);
        json_t *event = json_pack ("{s:I, s:I, s:s, s:o, s:s, s:o, s:s, s:s}", "problem", id, "of", of,
                                   "unit", p.unit, "round", p.round[0] ? json_string (p.round) : json_null (),
                                   "of_unit", q.unit, "of_round", q.round[0] ? json_string (q.round) : json_null (),
                                   "category", p.category, "occurred_on", day);
        if (!event)
            return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
        int rc = xc_call_emit_filed (call, "problem.repeat_confirmed", NULL, key, event,
                                     "INSERT OR IGNORE INTO problem_events (problem, event_id) VALUES (?1, ?2)", id);
        json_decref (event);
        if (rc != 0)
            return -1;
    }
    xc_call_result (call, json_pack ("{s:I, s:I, s:s}", "problem", id, "of", of, "state", decision));
    return 0;
}

/* ------------------------------------------------------------------ counts */

const char *const intake_repeats_stats_sql =
    "SELECT count(*) FROM problem_repeats x JOIN problems p ON p.id = x.problem"
    " WHERE x.state = 'confirmed' AND %s";

int
intake_problem_repeat_counts (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *owner = json_string_value (json_object_get (data, "owner"));
    json_int_t year = json_integer_value (json_object_get (data, "year"));
    if (round && year)
        return xc_call_fail (call, XC_E_SCHEMA, "data.year: not with data.round (one period)");
    if (district && owner && strcmp (owner, district) != 0)
        return xc_call_fail (call, XC_E_FORBIDDEN, "data.owner: a district office's figures are its"
                             " own district's ('%s'), not '%s'", district, owner);
    if (district)
        owner = district;
    if (round) {
        json_t *r = intake_round_json (call, round);
        bool seen = r && (!district || intake_round_scope (r, district) == INTAKE_SCOPE_OWNS);
        json_decref (r);
        if (!seen)
            return xc_call_fail (call, XC_E_NOT_FOUND, "data.round: no round '%s'", round);
    }
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT p.unit, un.name, p.round, r.name, count(*) FROM problem_repeats x"
        " JOIN problems p ON p.id = x.problem JOIN rounds r ON r.id = p.round JOIN units un ON un.id = p.unit"
        " WHERE x.state = 'confirmed' AND (?1 IS NULL OR p.round = ?1) AND (?2 = 0 OR r.year = ?2)"
        " AND (?3 IS NULL OR (?3 = 'city' AND r.owner_district IS NULL)"
        " OR (?3 = 'district' AND r.owner_district IS NOT NULL) OR r.owner_district = ?3)"
        " GROUP BY p.round, p.unit ORDER BY p.round, p.unit");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, year);
    sqlite3_bind_text (stmt, 3, owner, -1, SQLITE_STATIC);
    json_t *counts = json_array ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        json_array_append_new (counts, json_pack ("{s:o, s:o, s:o, s:o, s:I}", "unit", xc_column_text (stmt, 0),
                                                  "unit_name", xc_column_text (stmt, 1), "round",
                                                  xc_column_text (stmt, 2), "round_name", xc_column_text (stmt, 3),
                                                  "repeats", (json_int_t) sqlite3_column_int64 (stmt, 4)));
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (counts);
        return xc_call_fail_db (call, "unable to count the repeats");
    }
    xc_call_result (call, json_pack ("{s:o}", "counts", counts));
    return 0;
}
