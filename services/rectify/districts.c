/*  districts.c: the rounds' owners and links (intake's round.opened), and what a district office
    (role district, 区县巡察办) owns or reads: it directs the records of the rounds its district
    owns, and reads also those of the crossed rounds (交叉巡察) whose teams came from it
    (link.by). docs/services/rectify.md, "District offices".

    The queries limit rows to a district's rounds with an IN over the rounds' index by owner
    (rounds_by_owner, rounds_by_reader) and the items' by round, so that a district's view
    reads its own rows only, however many districts the store holds. The rounds are kept in
    memory too, because events.read decides visibility without a database handle.
*/
#include <stdio.h>
#include <string.h>

#include "common/store.h"
#include "services/rectify/rectify.h"

int
rectify_rounds_load (rectify_t *rectify, sqlite3 *db, xc_err_t *err)
{
    if (!rectify->rounds)
        rectify->rounds = json_object ();
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2 (db, "SELECT id, CASE WHEN owner_level = 'district' THEN owner_district END, link_by"
                                " FROM rounds", -1, &stmt, NULL) != SQLITE_OK)
        return xc_store_fail (db, "unable to read the rounds", err);
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        rectify_rounds_add (rectify, (const char *) sqlite3_column_text (stmt, 0),
                            (const char *) sqlite3_column_text (stmt, 1),
                            (const char *) sqlite3_column_text (stmt, 2));
    sqlite3_finalize (stmt);
    return rc == SQLITE_DONE ? 0 : xc_store_fail (db, "unable to read the rounds", err);
}

void
rectify_rounds_add (rectify_t *rectify, const char *round, const char *owner_district, const char *link_by)
{
    if (!rectify->rounds)
        rectify->rounds = json_object ();
    if (round)
        json_object_set_new (rectify->rounds, round,
                             json_pack ("[s?, s?]", owner_district, link_by));
}

int
rectify_district_reach (const rectify_t *rectify, const char *district, const char *round)
{
    const json_t *known = round ? json_object_get (rectify->rounds, round) : NULL;
    if (!district || !known)
        return 0;
    const char *owner = json_string_value (json_array_get (known, 0));
    const char *by = json_string_value (json_array_get (known, 1));
    if (owner && strcmp (owner, district) == 0)
        return 2;
    return by && strcmp (by, district) == 0 ? 1 : 0;
}

int
rectify_round_district (xc_call_t *call, const char *round, char *out)
{
    out[0] = '\0';
    if (!round || !*round)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT owner_district FROM rounds WHERE id = ?1"
                                             " AND owner_level = 'district'");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    return xc_call_text (call, stmt, out, RECTIFY_ID, "round owner lookup") < 0 ? -1 : 0;
}

int
rectify_round_owner (xc_call_t *call, const char *round, char *out)
{
    if (rectify_round_district (call, round, out) != 0)
        return -1;
    if (!out[0])
        snprintf (out, RECTIFY_ID, "city");
    return 0;
}

const rectify_policy_t *
rectify_round_policy (xc_call_t *call, const rectify_t *rectify, const char *round, const char **source)
{
    char district[RECTIFY_ID];
    if (rectify_round_district (call, round, district) != 0)
        return NULL;
    return rectify_policy_for (&rectify->policy, district[0] ? district : NULL, source);
}

const rectify_policy_t *
rectify_item_policy (xc_call_t *call, const rectify_t *rectify, json_int_t item, const char **source)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT r.owner_district FROM items i JOIN rounds r ON r.id = i.round"
                                             " WHERE i.id = ?1 AND r.owner_level = 'district'");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, item);
    char district[RECTIFY_ID];
    if (xc_call_text (call, stmt, district, sizeof district, "item owner lookup") < 0)
        return NULL;
    return rectify_policy_for (&rectify->policy, district[0] ? district : NULL, source);
}

int
rectify_district_commands (xc_call_t *call, const rectify_t *rectify, const char *round, const char *what)
{
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    if (!district || rectify_district_reach (rectify, district, round) == 2)
        return 0;
    /* a crossed round it reads, another district's or the city's, or no round at all */
    return xc_call_fail (call, XC_E_FORBIDDEN, "%s is not of a round district %s owns: its office may not act"
                         " on it", what, district);
}

void
rectify_district_clause (char *out, size_t size, const char *alias, int param)
{
    snprintf (out, size, "%s.round IN (SELECT id FROM rounds WHERE owner_district = ?%d AND owner_level = 'district'"
              " UNION ALL SELECT id FROM rounds WHERE link_by = ?%d)", alias, param, param);
}

void
rectify_owner_clause (char *out, size_t size, const char *alias, const char *owner, int param)
{
    if (!owner)
        snprintf (out, size, "1");
    else if (strcmp (owner, "city") == 0 || strcmp (owner, "district") == 0)
        snprintf (out, size, "%s.round IN (SELECT id FROM rounds WHERE owner_level = '%s')", alias,
                  strcmp (owner, "city") == 0 ? "city" : "district");
    else
        snprintf (out, size, "%s.round IN (SELECT id FROM rounds WHERE owner_district = ?%d"
                  " AND owner_level = 'district')", alias, param);
}

int
rectify_owner_filter (xc_call_t *call, const char **owner, const char **district)
{
    *owner = json_string_value (json_object_get (xc_call_msg (call)->data, "owner"));
    if (xc_call_district (call, district) != 0)
        return -1;
    if (*district && *owner && strcmp (*owner, *district) != 0)
        return xc_call_fail (call, XC_E_FORBIDDEN, "a district office reads its own district's figures only:"
                             " owner '%s' is not %s", *owner, *district);
    return 0;
}
