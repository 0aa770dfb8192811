/*  stats.c: intake.stats, the source document's figures from intake's own tables. */
#include "services/intake/intake.h"

/*  Runs sql (two columns: a key, a count) into an object; NULL after failing the call. */
static json_t *
s_counts (xc_call_t *call, const char *sql)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return NULL;
    json_t *counts = json_object ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const char *key = sqlite3_column_type (stmt, 0) == SQLITE_NULL
                              ? "none" : (const char *) sqlite3_column_text (stmt, 0);
        json_object_set_new (counts, key, json_integer (sqlite3_column_int64 (stmt, 1)));
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (counts);
        xc_call_fail_db (call, "unable to count");
        return NULL;
    }
    return counts;
}

static json_int_t
s_count (xc_call_t *call, const char *sql, int *failed)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    json_int_t n = 0;
    if (stmt && sqlite3_step (stmt) == SQLITE_ROW)
        n = sqlite3_column_int64 (stmt, 0);
    else
        *failed = stmt ? xc_call_fail_db (call, "unable to count") : -1;
    if (stmt)
        sqlite3_reset (stmt);
    return n;
}

/* A merged problem's matter is counted once, in the problem it was merged into. */
#define LIVE "FROM problems p WHERE p.status != 'merged'"

int
intake_stats (xc_call_t *call, void *state)
{
    (void) state;
    int failed = 0;
    json_t *by_category = s_counts (call, "SELECT category, count(*) " LIVE " GROUP BY category");
    json_t *by_source = s_counts (call, "SELECT source, count(*) " LIVE " GROUP BY source");
    json_t *by_round = s_counts (call, "SELECT round, count(*) " LIVE " GROUP BY round");
    json_t *by_level = s_counts (call, "SELECT u.level, count(*) FROM problems p JOIN units u"
                                       " ON u.id = p.unit WHERE p.status != 'merged' GROUP BY u.level");
    json_int_t total = s_count (call, "SELECT count(*) " LIVE, &failed);
    json_int_t immediate = s_count (call, "SELECT count(*) " LIVE " AND p.immediate", &failed);
    json_int_t leads = s_count (call, "SELECT count(*) FROM dispositions WHERE kind = 'lead'", &failed);
    json_int_t reports = s_count (call, "SELECT count(DISTINCT target) FROM dispositions"
                                        " WHERE kind = 'special_report'", &failed);

    /* Coverage: distinct units per round kind and coverage, and per level. */
    json_t *by_kind = json_object ();
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT r.kind, t.coverage, count(DISTINCT t.unit) FROM round_targets t"
        " JOIN rounds r ON r.id = t.round GROUP BY r.kind, t.coverage");
    if (stmt) {
        while (sqlite3_step (stmt) == SQLITE_ROW) {
            const char *kind = (const char *) sqlite3_column_text (stmt, 0);
            json_t *k = json_object_get (by_kind, kind);
            if (!k) {
                k = json_pack ("{s:i, s:i}", "main", 0, "extended", 0);
                json_object_set_new (by_kind, kind, k);
            }
            json_object_set_new (k, (const char *) sqlite3_column_text (stmt, 1),
                                 json_integer (sqlite3_column_int64 (stmt, 2)));
        }
        sqlite3_reset (stmt);
    }
    /* distinct units per level and coverage: city-level and district-level figures are read
       from it (docs/xcctl.md) */
    json_t *by_level_coverage = json_object ();
    sqlite3_stmt *lc = xc_call_stmt (call,
        "SELECT u.level, t.coverage, count(DISTINCT t.unit) FROM round_targets t JOIN units u ON u.id = t.unit"
        " GROUP BY u.level, t.coverage");
    if (lc) {
        while (sqlite3_step (lc) == SQLITE_ROW) {
            const char *level = (const char *) sqlite3_column_text (lc, 0);
            json_t *l = json_object_get (by_level_coverage, level);
            if (!l) {
                l = json_pack ("{s:i, s:i}", "main", 0, "extended", 0);
                json_object_set_new (by_level_coverage, level, l);
            }
            json_object_set_new (l, (const char *) sqlite3_column_text (lc, 1), json_integer (sqlite3_column_int64 (lc, 2)));
        }
        sqlite3_reset (lc);
    }
    json_t *covered_levels = s_counts (call, "SELECT u.level, count(DISTINCT t.unit) FROM round_targets t"
                                             " JOIN units u ON u.id = t.unit GROUP BY u.level");
    json_int_t units = s_count (call, "SELECT count(DISTINCT unit) FROM round_targets", &failed);
    if (!by_category || !by_source || !by_round || !by_level || !stmt || !lc || !covered_levels || failed) {
        json_decref (by_level_coverage);
        json_decref (by_category);
        json_decref (by_source);
        json_decref (by_round);
        json_decref (by_level);
        json_decref (by_kind);
        json_decref (covered_levels);
        return -1;
    }
    xc_call_result (call, json_pack ("{s:{s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:I},"
                                     " s:{s:o, s:o, s:o, s:I}}",
                                     "problems", "total", total, "by_category", by_category,
                                     "by_source", by_source, "by_round", by_round,
                                     "by_unit_level", by_level, "immediate", immediate,
                                     "leads", leads, "special_reports", reports,
                                     "coverage", "by_kind", by_kind, "by_level", covered_levels,
                                     "by_level_coverage", by_level_coverage,
                                     "units", units));
    return 0;
}
