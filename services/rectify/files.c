/*  files.c: rectify's evidence files (common/files.h, docs/files.md): the claims' and plans'
    files belong to their item ("item:<id>"), read by whoever may rectify.get it; sign-off
    requiring stored files (policies.rectify.evidence.signoff_requires_files). */
#include <stdio.h>
#include <string.h>

#include "common/files.h"
#include "services/rectify/rectify.h"


static bool s_signoff_requires_files;

/*  As rectify.get decides: a district office the items of the rounds it owns or reads, the
    others those of the units their scope sees. */
static int
s_item_readable (xc_call_t *call, const char *record, void *state)
{
    const rectify_t *rectify = state;
    long long id;
    if (xc_files_record_id (record, "item", &id) != 0)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT unit, coalesce (round, '') FROM items WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    char unit[XC_NAME_MAX] = "", round[XC_NAME_MAX] = "";
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    if (found) {
        snprintf (unit, sizeof unit, "%s", (const char *) sqlite3_column_text (stmt, 0));
        snprintf (round, sizeof round, "%s", (const char *) sqlite3_column_text (stmt, 1));
    }
    sqlite3_reset (stmt);
    if (!found)
        return 0;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    if (district)
        return rectify_district_reach (rectify, district, round) > 0;
    return rectify_scope_sees (rectify, xc_call_msg (call)->principal, unit);
}

int
rectify_files_init (xc_service_t *service, rectify_t *rectify, xc_err_t *err)
{
    const json_t *evidence = json_object_get (json_object_get (xc_service_config (service)->policies, "rectify"),
                                              "evidence");
    s_signoff_requires_files = json_is_true (json_object_get (evidence, "signoff_requires_files"));
    return xc_files_init (service, "rectify", s_item_readable, rectify, err);
}

int
rectify_files_link (xc_call_t *call, json_int_t item, const json_t *evidence)
{
    return xc_files_link (call, evidence, "item", (long long) item);
}

int
rectify_files_signoff (xc_call_t *call, json_int_t item)
{
    if (!s_signoff_requires_files)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT evidence FROM claims WHERE item = ?1 ORDER BY n DESC LIMIT 1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, item);
    json_t *evidence = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW)
        evidence = json_loads ((const char *) sqlite3_column_text (stmt, 0), 0, NULL);
    sqlite3_reset (stmt);
    int rc = xc_files_all_stored (call, evidence);
    json_decref (evidence);
    return rc == 1 ? 0 : -1;
}
