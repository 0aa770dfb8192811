/*  files.c: referral's evidence files (common/files.h, docs/files.md): an outcome's files
    belong to its referral ("referral:<id>"), read by whoever may referral.get it: the office,
    the target, a district office that reads its own rounds' leads in full. */
#include <stdio.h>
#include <string.h>

#include "common/files.h"
#include "services/referral/referral.h"

static int
s_referral_readable (xc_call_t *call, const char *record, void *state)
{
    const referral_t *referral = state;
    long long id;
    if (xc_files_record_id (record, "referral", &id) != 0)
        return 0;
    if (xc_call_role_is (call, "office"))
        return 1;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT target, coalesce (owner_district, '') FROM referrals"
                                       " WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    char target[XC_NAME_MAX] = "", owner[REFERRAL_DISTRICT_LEN] = "";
    bool found = sqlite3_step (stmt) == SQLITE_ROW;
    if (found) {
        snprintf (target, sizeof target, "%s", (const char *) sqlite3_column_text (stmt, 0));
        snprintf (owner, sizeof owner, "%s", (const char *) sqlite3_column_text (stmt, 1));
    }
    sqlite3_reset (stmt);
    if (!found)
        return 0;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    if (district)
        return strcmp (district, owner) == 0
               && referral_policy_lead_access (&referral->policy, district) == REFERRAL_LEADS_FULL;
    return strcmp (target, xc_call_iss (call)) == 0;
}

int
referral_files_init (xc_service_t *service, referral_t *referral, xc_err_t *err)
{
    return xc_files_init (service, "referral", s_referral_readable, referral, err);
}

int
referral_files_link (xc_call_t *call, json_int_t id, const json_t *evidence)
{
    return xc_files_link (call, evidence, "referral", (long long) id);
}
