/*  scope.c: which problems a principal reads in a list of problems, one rule for problem.list
    and problem.search (intake.h, INTAKE_READER_SQL), and the category filter both take. */
#include "services/intake/intake.h"

#include <stdlib.h>

int
intake_reader_get (xc_call_t *call, const intake_t *intake, intake_reader_t *reader)
{
    *reader = (intake_reader_t) { 0 };
    if (xc_call_district (call, &reader->district) != 0)
        return -1;
    if (reader->district)
        return 0;
    bool office = xc_call_role_is (call, "office") || xc_call_role_is (call, "service");
    if (xc_call_role_is (call, "team"))
        reader->team = xc_call_iss (call);
    else if (!office)
        reader->reporter = xc_call_iss (call);
    /* an office or service principal that is no restricted reader reads no lead (problems.c,
       s_may_read) */
    reader->no_leads = office && !intake_policy_restricted_reader (&intake->policy, xc_call_msg (call)->principal);
    return 0;
}

void
intake_reader_bind (sqlite3_stmt *stmt, const intake_reader_t *reader)
{
    if (reader->district) {
        sqlite3_bind_text (stmt, 20, reader->district, -1, SQLITE_STATIC);
        return;
    }
    sqlite3_bind_text (stmt, 21, reader->team, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 22, reader->reporter, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 23, reader->no_leads);
}

char *
intake_category_ids (const intake_t *intake, const json_t *data)
{
    const char *category = json_string_value (json_object_get (data, "category"));
    if (!category)
        return NULL;
    json_t *ids = intake_policy_category_subtree (&intake->policy, category);
    if (!ids)
        ids = json_pack ("[s]", category);
    char *text = json_dumps (ids, JSON_COMPACT);
    json_decref (ids);
    return text;
}
