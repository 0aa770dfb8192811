/*  districts.c: the two levels (docs/services/notify.md, "Districts"). An event belongs to the
    city or to a district (the owner of its round); role selectors resolve among the owner's
    directory entries, city:role: among the city's. A district office reads only the stream of
    an entry of its own district. */
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

/*  The owner of a round as round.opened said, into *district (when not set yet and the round is
    a district's); *organ gets the round's organ when not set yet. An unknown round: nothing. */
static int
s_round_owner (xc_call_t *call, const char *round, char **district, json_t **organ)
{
    if (!round)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT district, organ FROM rounds WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, round, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        const char *d = (const char *) sqlite3_column_text (stmt, 0);
        const char *o = (const char *) sqlite3_column_text (stmt, 1);
        if (d && !*district)
            *district = strdup (d);
        if (o && organ && !*organ)
            *organ = json_string (o);
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_call_fail_db (call, "unable to read a round's owner");
    return 0;
}

/*  The name of the owner's first entry of role office, or NULL. */
static const char *
s_office_name (const notify_t *notify, const char *district)
{
    const char *id;
    json_t *entry;
    json_object_foreach ((json_t *) notify->directory, id, entry)
        if (notify_entry_of (entry, district)) {
            size_t i;
            json_t *role;
            json_array_foreach (json_object_get (entry, "roles"), i, role)
                if (strcmp (json_string_value (role), "office") == 0)
                    return json_string_value (json_object_get (entry, "name"));
        }
    return NULL;
}

bool
notify_entry_of (const json_t *entry, const char *district)
{
    const char *of = json_string_value (json_object_get (entry, "district"));
    return district ? of && strcmp (of, district) == 0 : !of;
}

int
notify_event_owner (xc_call_t *call, const notify_t *notify, const json_t *data, char **district, json_t **organ)
{
    *district = NULL;
    *organ = NULL;
    const json_t *owner = json_object_get (data, "round_owner");
    const json_t *round = json_object_get (data, "round");
    /* round.opened carries the round itself, with its owner */
    if (!owner && json_is_object (round))
        owner = json_object_get (round, "owner");
    bool said = false;
    if (json_is_string (owner)) {          /* rectify, referral: "city" or the district's id */
        said = true;
        if (strcmp (json_string_value (owner), "city") != 0)
            *district = strdup (json_string_value (owner));
    } else if (json_is_object (owner)) {   /* intake: {level, district, organ} */
        said = true;
        const char *level = json_string_value (json_object_get (owner, "level"));
        const char *d = json_string_value (json_object_get (owner, "district"));
        if (level && strcmp (level, "district") == 0 && d)
            *district = strdup (d);
        if (json_is_string (json_object_get (owner, "organ")))
            *organ = json_incref (json_object_get (owner, "organ"));
    }
    /* an event that names only its round (intake's round.report_overdue, an alert of a service
       that says no owner): the round's owner as round.opened said; no round: the city's */
    const char *round_id = json_is_string (round) ? json_string_value (round)
                         : json_string_value (json_object_get (round, "id"));
    char *unused = NULL;
    int rc = s_round_owner (call, round_id, said ? &unused : district, organ);
    free (unused);
    if (rc != 0) {
        free (*district);
        *district = NULL;
        json_decref (*organ);
        *organ = NULL;
        return -1;
    }
    if (!*organ) {
        const char *name = s_office_name (notify, *district);
        *organ = json_string (name ? name : "");
    }
    return 0;
}

int
notify_reader (xc_call_t *call, const notify_t *notify, const char **recipient)
{
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    const char *id = notify_recipient_of (notify, xc_call_iss (call));
    if (!id)
        return xc_call_fail (call, XC_E_FORBIDDEN, "'%s' has no notices: it is no principal of the directory",
                             xc_call_iss (call));
    /* a district office reads as an entry of its own district, never as the city's or another's */
    if (district && !notify_entry_of (json_object_get (notify->directory, id), district))
        return xc_call_fail (call, XC_E_FORBIDDEN, "'%s' is the principal of '%s', no entry of district '%s'",
                             xc_call_iss (call), id, district);
    if (recipient)
        *recipient = id;
    return 0;
}
