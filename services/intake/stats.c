/*  stats.c: intake.stats, the source document's figures from intake's own tables, for the
    selection the filters make (docs/services/intake.md, "intake.stats").

    Speed: the problems' figures come from one grouped query that reads a covering index
    (main.c's problems_stats*: whichever leads with the filter given), so a filter over a
    million problems reads only the index entries it selects; coverage reads the round
    targets of the selected rounds, which are few. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/intake/intake.h"

typedef struct {
    const char *round, *owner, *kind, *mode, *category, *unit_level;
    char owner_name[256];            /* the owner district's name (one district) */
    json_int_t year;
    char from[16], to[16];           /* the year's first and last day */
    char *categories;                /* JSON array of the category and those under it */
} s_filters_t;

/*  Checks the filters that the schema cannot: the round, the owner district and the category
    must exist. */
static int
s_filters (xc_call_t *call, const intake_t *intake, const json_t *data, s_filters_t *f)
{
    memset (f, 0, sizeof *f);
    f->round = json_string_value (json_object_get (data, "round"));
    f->owner = json_string_value (json_object_get (data, "owner"));
    /* a district office counts its own rounds only: no owner means its district */
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    if (district && f->owner && strcmp (f->owner, district) != 0)
        return xc_call_fail (call, XC_E_FORBIDDEN, "data.owner: a district office's figures are its"
                             " own district's ('%s'), not '%s'", district, f->owner);
    if (district)
        f->owner = district;
    f->kind = json_string_value (json_object_get (data, "kind"));
    f->mode = json_string_value (json_object_get (data, "mode"));
    f->category = json_string_value (json_object_get (data, "category"));
    f->unit_level = json_string_value (json_object_get (data, "unit_level"));
    f->year = json_integer_value (json_object_get (data, "year"));
    if (f->year) {
        snprintf (f->from, sizeof f->from, "%04d-01-01", (int) f->year);
        snprintf (f->to, sizeof f->to, "%04d-12-31", (int) f->year);
    }
    if (f->round) {
        json_t *round = intake_round_json (call, f->round);
        bool seen = round && (!district || intake_round_scope (round, district) == INTAKE_SCOPE_OWNS);
        json_decref (round);
        if (!seen)
            return xc_call_fail (call, XC_E_NOT_FOUND, "data.round: no round '%s'", f->round);
    }
    if (f->owner && strcmp (f->owner, "city") != 0 && strcmp (f->owner, "district") != 0) {
        json_t *unit = intake_unit_json (call, f->owner);
        if (!unit)
            return xc_call_fail (call, XC_E_NOT_FOUND, "data.owner: '%s' is neither \"city\","
                                 " \"district\" nor a district's unit id", f->owner);
        bool is_district = strcmp (json_string_value (json_object_get (unit, "level")), "district") == 0;
        snprintf (f->owner_name, sizeof f->owner_name, "%s", json_string_value (json_object_get (unit, "name")));
        json_decref (unit);
        if (!is_district)
            return xc_call_fail (call, XC_E_SCHEMA, "data.owner: unit '%s' is not a district", f->owner);
    }
    if (f->category) {
        json_t *ids = intake_policy_category_subtree (&intake->policy, f->category);
        if (!ids)
            return xc_call_fail (call, XC_E_SCHEMA, "data.category: '%s' is not a category of this"
                                 " deployment", f->category);
        f->categories = json_dumps (ids, JSON_COMPACT);
        json_decref (ids);
        if (!f->categories)
            return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    return 0;
}

/*  The conditions on rounds (alias r) of the round, owner, kind and mode filters. */
static void
s_round_where (const s_filters_t *f, char *out, size_t size)
{
    snprintf (out, size, "%s%s%s%s",
              f->round ? " AND r.id = :round" : "",
              !f->owner ? ""
              : strcmp (f->owner, "city") == 0 ? " AND r.owner_district IS NULL"
              : strcmp (f->owner, "district") == 0 ? " AND r.owner_district IS NOT NULL"
                                                   : " AND r.owner_district = :owner",
              f->kind ? " AND r.kind = :kind" : "",
              f->mode ? " AND EXISTS (SELECT 1 FROM json_each (r.modes) m WHERE m.value = :mode)" : "");
}

/*  The conditions on problems (alias p): live, and every filter given. */
static void
s_problem_where (const s_filters_t *f, char *out, size_t size)
{
    char rounds[512];
    s_round_where (f, rounds, sizeof rounds);
    bool only_round = f->round && !f->owner && !f->kind && !f->mode;
    snprintf (out, size, "p.status != 'merged'%s%s%s%s%s%s",
              only_round ? " AND p.round = :round" : "",
              rounds[0] && !only_round ? " AND p.round IN (SELECT r.id FROM rounds r WHERE 1" : "",
              rounds[0] && !only_round ? rounds : "", rounds[0] && !only_round ? ")" : "",
              f->year ? " AND p.found_on BETWEEN :from AND :to" : "",
              f->category ? (f->unit_level ? " AND p.category IN (SELECT value FROM json_each (:categories))"
                                               " AND p.unit_level = :unit_level"
                                           : " AND p.category IN (SELECT value FROM json_each (:categories))")
              : f->unit_level ? " AND p.unit_level = :unit_level" : "");
}

/*  A statement for sql with the filters' named parameters bound. */
static sqlite3_stmt *
s_stmt (xc_call_t *call, const s_filters_t *f, const char *sql)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return NULL;
    const struct { const char *name, *value; } texts[] = {
        { ":round", f->round }, { ":owner", f->owner }, { ":kind", f->kind }, { ":mode", f->mode },
        { ":from", f->from }, { ":to", f->to }, { ":categories", f->categories },
        { ":unit_level", f->unit_level },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        int k = sqlite3_bind_parameter_index (stmt, texts[i].name);
        if (k)
            sqlite3_bind_text (stmt, k, texts[i].value, -1, SQLITE_TRANSIENT);
    }
    int k = sqlite3_bind_parameter_index (stmt, ":year");
    if (k)
        sqlite3_bind_int64 (stmt, k, f->year);
    return stmt;
}

static void
s_add (json_t *counts, const char *key, json_int_t n)
{
    json_object_set_new (counts, key, json_integer (json_integer_value (json_object_get (counts, key)) + n));
}

static const char *
s_key (sqlite3_stmt *stmt, int column)
{
    return sqlite3_column_type (stmt, column) == SQLITE_NULL ? "none"
                                                             : (const char *) sqlite3_column_text (stmt, column);
}

/*  by_month: the problems found in each month (months: {"YYYY-MM": n}, stolen), every month
    from the first with a problem to today's (with year: that year's, to its December at
    most), those without one as 0, in order. */
static json_t *
s_months (xc_call_t *call, const s_filters_t *f, json_t *months)
{
    const char *first = NULL, *month;
    json_t *n;
    json_object_foreach (months, month, n)
        if (!first || strcmp (month, first) < 0)
            first = month;
    json_t *out = json_object ();
    char day[XC_DATE_LEN + 1], last[8];
    xc_date_format (xc_call_today (call), day);
    snprintf (last, sizeof last, "%.7s", day);
    if (f->year && f->year * 100 + 12 < atoi (last) * 100 + atoi (last + 5))
        snprintf (last, sizeof last, "%04d-12", (int) f->year);
    xc_date_t at;
    snprintf (day, sizeof day, "%.7s-01", first ? first : "");
    for (int ok = first && xc_date_parse (day, &at, NULL) == 0; ok; at = xc_date_add_months (at, 1)) {
        xc_date_format (at, day);
        day[7] = '\0';
        if (strcmp (day, last) > 0)
            break;
        json_object_set_new (out, day, json_integer (json_integer_value (json_object_get (months, day))));
    }
    json_decref (months);
    return out;
}

/*  The problems' figures. */
static json_t *
s_problems (xc_call_t *call, const intake_t *intake, const s_filters_t *f)
{
    char where[1024], sql[2048];
    s_problem_where (f, where, sizeof where);
    /* by day too, added up into months here: found_on is the last column of every covering
       index, so the groups still come in an index's order (grouping by the month, an
       expression, would sort every row: 0.15 s became 1.3 s over a million problems) */
    snprintf (sql, sizeof sql, "SELECT p.category, p.source, p.round, p.unit_level, p.immediate, count(*),"
              " p.found_on FROM problems p WHERE %s GROUP BY 1, 2, 3, 4, 5, 7", where);
    sqlite3_stmt *stmt = s_stmt (call, f, sql);
    if (!stmt)
        return NULL;
    json_t *by_category = json_object (), *by_source = json_object (), *by_round = json_object (),
           *by_level = json_object (), *months = json_object ();
    json_int_t total = 0, immediate = 0;
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        json_int_t n = sqlite3_column_int64 (stmt, 5);
        s_add (by_category, s_key (stmt, 0), n);
        s_add (by_source, s_key (stmt, 1), n);
        s_add (by_round, s_key (stmt, 2), n);
        s_add (by_level, s_key (stmt, 3), n);
        total += n;
        immediate += sqlite3_column_int (stmt, 4) ? n : 0;
        if (sqlite3_column_type (stmt, 6) != SQLITE_NULL) {
            char month[8];
            snprintf (month, sizeof month, "%.7s", (const char *) sqlite3_column_text (stmt, 6));
            s_add (months, month, n);
        }
    }
    sqlite3_reset (stmt);
    json_t *problems = json_pack ("{s:I, s:o, s:o, s:o, s:o, s:I, s:o}", "total", total,
                                  "by_category", by_category, "by_source", by_source,
                                  "by_round", by_round, "by_unit_level", by_level,
                                  "immediate", immediate, "by_month", s_months (call, f, months));
    if (rc != SQLITE_DONE) {
        json_decref (problems);
        xc_call_fail_db (call, "unable to count problems");
        return NULL;
    }
    /* each category with everything under it (by_category counts each problem's own) */
    json_t *tree = json_object ();
    for (int c = 0; c < intake->policy.n_categories; c++) {
        json_int_t n = 0;
        const char *id;
        json_t *v;
        json_object_foreach (by_category, id, v) {
            const intake_category_t *cat = intake_policy_category_find (&intake->policy, id);
            if (cat && intake_policy_category_under (&intake->policy, (int) (cat - intake->policy.categories), c))
                n += json_integer_value (v);
        }
        if (n)
            json_object_set_new (tree, intake->policy.categories[c].id, json_integer (n));
    }
    json_object_set_new (problems, "by_category_tree", tree);
    /* dispositions: problems made leads, problems folded into a special report */
    static const char *const kinds[][2] = { { "lead", "leads" }, { "special_report", "folded_into_reports" } };
    for (int i = 0; i < 2; i++) {
        /* from the dispositions of the kind (an index), whatever the filter: a year's problems
           are many more than its leads; but a round or an owner selects few problems (a
           district's), read through the rounds, each looked up in dispositions, so a
           district's figures do not grow with the other districts' leads */
        if (f->round || f->owner)
            snprintf (sql, sizeof sql, "SELECT count(*) FROM problems p WHERE %s AND EXISTS"
                      " (SELECT 1 FROM dispositions d WHERE d.problem = p.id AND d.kind = '%s')",
                      where, kinds[i][0]);
        else
            snprintf (sql, sizeof sql, "SELECT count(*) FROM dispositions d CROSS JOIN problems p"
                      " ON p.id = d.problem WHERE d.kind = '%s' AND %s", kinds[i][0], where);
        if (!(stmt = s_stmt (call, f, sql))) {
            json_decref (problems);
            return NULL;
        }
        rc = sqlite3_step (stmt);
        json_object_set_new (problems, kinds[i][1], json_integer (rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0));
        sqlite3_reset (stmt);
        if (rc != SQLITE_ROW) {
            json_decref (problems);
            xc_call_fail_db (call, "unable to count dispositions");
            return NULL;
        }
    }
    /* confirmed repeats (repeats.c), counted by the repeating problem */
    snprintf (sql, sizeof sql, intake_repeats_stats_sql, where);
    if (!(stmt = s_stmt (call, f, sql))) {
        json_decref (problems);
        return NULL;
    }
    rc = sqlite3_step (stmt);
    json_object_set_new (problems, "repeats", json_integer (rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0));
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW) {
        json_decref (problems);
        xc_call_fail_db (call, "unable to count repeats");
        return NULL;
    }
    return problems;
}

/*  Marks unit in the set node[member] (an object of units); s_sets_count makes counts. */
static json_t *
s_child (json_t *node, const char *member)
{
    json_t *child = json_object_get (node, member);
    if (!child) {
        child = json_object ();
        json_object_set_new (node, member, child);
    }
    return child;
}

static void
s_mark (json_t *node, const char *member, const char *unit)
{
    json_object_set_new (s_child (node, member), unit, json_true ());
}

/*  Replaces every set (an object whose members are true) by its size. */
static void
s_sets_count (json_t *node)
{
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe (node, tmp, key, v) {
        if (!json_is_object (v))
            continue;
        void *first = json_object_iter (v);
        if (first && json_is_true (json_object_iter_value (first)))
            json_object_set_new (node, key, json_integer ((json_int_t) json_object_size (v)));
        else
            s_sets_count (v);
    }
}

/*  Gives each object under node[member] its "main" and "extended" (0 when none). */
static void
s_both_coverages (json_t *node, const char *member)
{
    const char *key;
    json_t *v;
    json_object_foreach (json_object_get (node, member), key, v)
        for (int i = 0; i < 2; i++)
            if (!json_object_get (v, i ? "extended" : "main"))
                json_object_set_new (v, i ? "extended" : "main", json_integer (0));
}

/*  One target row into a coverage block: by kind and coverage, units by kind, by kind and
    level, by mode (coverage and units), by level, by level and coverage, and units. */
static void
s_cover (json_t *block, const char *kind, const json_t *modes, const char *coverage,
         const char *level, const char *unit)
{
    s_mark (s_child (s_child (block, "by_kind"), kind), coverage, unit);
    s_mark (s_child (block, "units_by_kind"), kind, unit);
    s_mark (s_child (s_child (block, "by_kind_level"), kind), level, unit);
    size_t i;
    json_t *m;
    json_array_foreach (modes, i, m) {
        json_t *mode = s_child (s_child (block, "by_mode"), json_string_value (m));
        s_mark (mode, coverage, unit);
        s_mark (mode, "units", unit);
    }
    s_mark (s_child (block, "by_level"), level, unit);
    s_mark (s_child (s_child (block, "by_level_coverage"), level), coverage, unit);
    s_mark (block, "units", unit);
}

static json_t *
s_block (void)
{
    return json_pack ("{s:{}, s:{}, s:{}, s:{}, s:{}, s:{}}", "by_kind", "units_by_kind",
                      "by_kind_level", "by_mode", "by_level", "by_level_coverage");
}

static void
s_block_finish (json_t *block)
{
    s_sets_count (block);
    if (!json_object_get (block, "units"))
        json_object_set_new (block, "units", json_integer (0));
    s_both_coverages (block, "by_kind");
    s_both_coverages (block, "by_mode");
    s_both_coverages (block, "by_level_coverage");
}

/*  Coverage: distinct units of the selected rounds (year: the round's), of the level given. */
static json_t *
s_coverage (xc_call_t *call, const s_filters_t *f)
{
    char rounds[512], sql[2048];
    s_round_where (f, rounds, sizeof rounds);
    snprintf (sql, sizeof sql, "SELECT r.owner_district IS NOT NULL, r.kind, r.modes, t.coverage, u.level,"
              " t.unit FROM round_targets t JOIN rounds r ON r.id = t.round JOIN units u ON u.id = t.unit"
              " WHERE 1%s%s%s", rounds, f->year ? " AND r.year = :year" : "",
              f->unit_level ? " AND u.level = :unit_level" : "");
    sqlite3_stmt *stmt = s_stmt (call, f, sql);
    if (!stmt)
        return NULL;
    json_t *coverage = s_block ();
    json_t *by_owner = json_pack ("{s:o, s:o}", "city", s_block (), "district", s_block ());
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        json_t *modes = json_loads ((const char *) sqlite3_column_text (stmt, 2), 0, NULL);
        const char *kind = (const char *) sqlite3_column_text (stmt, 1);
        const char *cov = (const char *) sqlite3_column_text (stmt, 3);
        const char *level = (const char *) sqlite3_column_text (stmt, 4);
        const char *unit = (const char *) sqlite3_column_text (stmt, 5);
        s_cover (coverage, kind, modes, cov, level, unit);
        s_cover (json_object_get (by_owner, sqlite3_column_int (stmt, 0) ? "district" : "city"), kind,
                 modes, cov, level, unit);
        json_decref (modes);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (coverage);
        json_decref (by_owner);
        xc_call_fail_db (call, "unable to count coverage");
        return NULL;
    }
    s_block_finish (coverage);
    s_block_finish (json_object_get (by_owner, "city"));
    s_block_finish (json_object_get (by_owner, "district"));
    json_object_set_new (coverage, "by_owner", by_owner);
    return coverage;
}

/*  The sentence for the owner scope of the result (口径): the policy's owner.all (全市),
    owner.city (市本级), owner.district (各区县合计) or owner.one_district with {district}
    replaced by the district's name. */
static json_t *
s_owner_definition (const intake_t *intake, const s_filters_t *f)
{
    const char *figure = !f->owner ? "owner.all"
                         : strcmp (f->owner, "city") == 0 ? "owner.city"
                         : strcmp (f->owner, "district") == 0 ? "owner.district" : "owner.one_district";
    const char *text = "";
    for (int i = 0; i < intake->policy.n_definitions; i++)
        if (strcmp (intake->policy.definitions[i].figure, figure) == 0)
            text = intake->policy.definitions[i].text;
    const char *policy_text = text;
    char out[4096];
    size_t used = 0;
    for (const char *mark; (mark = strstr (text, "{district}")) && used < sizeof out - 1;
         text = mark + strlen ("{district}"))
        used += (size_t) snprintf (out + used, sizeof out - used, "%.*s%s", (int) (mark - text), text,
                                   f->owner_name);
    if (used < sizeof out - 1)
        snprintf (out + used, sizeof out - used, "%s", text);
    /* a sentence cut inside a character by the bound (a pathological policy): as written */
    json_t *v = json_string (out);
    return v ? v : json_string (policy_text);
}

int
intake_stats (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    s_filters_t f;
    if (s_filters (call, intake, data, &f) != 0) {
        free (f.categories);
        return -1;
    }
    json_t *problems = s_problems (call, intake, &f);
    json_t *coverage = problems ? s_coverage (call, &f) : NULL;
    free (f.categories);
    if (!problems || !coverage) {
        json_decref (problems);
        json_decref (coverage);
        return -1;
    }
    /* the filters applied, as given */
    json_t *filters = json_object ();
    static const char *const names[] = { "round", "owner", "year", "kind", "mode", "category", "unit_level" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (json_object_get (data, names[i]))
            json_object_set (filters, names[i], json_object_get (data, names[i]));
    /* a district office's figures are its district's, asked or not */
    if (f.owner && !json_object_get (filters, "owner"))
        json_object_set_new (filters, "owner", json_string (f.owner));
    json_t *definitions = json_object ();
    for (int i = 0; i < intake->policy.n_definitions; i++)
        if (strncmp (intake->policy.definitions[i].figure, "owner.", 6) != 0)
            json_object_set_new (definitions, intake->policy.definitions[i].figure,
                                 json_string (intake->policy.definitions[i].text));
    json_object_set_new (definitions, "owner", s_owner_definition (intake, &f));
    xc_call_result (call, json_pack ("{s:o, s:o, s:o, s:o}", "problems", problems, "coverage", coverage,
                                     "filters", filters, "definitions", definitions));
    return 0;
}
