/*  districts.c: the deployment's districts (intake's units of level district): the blocks of
    xcctl stats, and the names a table shows for a round's owner or link. */
#include <stdio.h>
#include <string.h>

#include "cli/ctl.h"

json_t *
ctl_districts (ctl_t *ctl, int *code)
{
    return ctl_list_all (ctl, "intake", "unit.list", json_pack ("{s:s}", "level", "district"), code);
}

/*  Whether a row names a district: a round's owner or link, a rectify row's round_owner. */
static bool
s_names_district (const json_t *row)
{
    const json_t *owner = json_object_get (row, "owner");
    const json_t *link = json_object_get (row, "link");
    const char *round_owner = json_string_value (json_object_get (row, "round_owner"));
    return json_is_string (json_object_get (owner, "district")) || json_object_get (link, "by")
           || json_object_get (link, "district") || (round_owner && strcmp (round_owner, "city") != 0);
}

void
ctl_district_names (ctl_t *ctl, const json_t *result)
{
    if (ctl->json || ctl->district_names)
        return;
    const json_t *items = json_object_get (result, "items");
    bool named = false;
    size_t i;
    json_t *row;
    json_array_foreach (items, i, row)
        named = named || s_names_district (row);
    if (!named)
        return;
    int code;
    json_t *units = ctl_list_all (ctl, "intake", "unit.list", json_pack ("{s:s}", "level", "district"), &code);
    ctl->district_names = json_object ();
    json_array_foreach (units, i, row)
        json_object_set (ctl->district_names, json_string_value (json_object_get (row, "id")),
                         json_object_get (row, "name"));
    json_decref (units);
}

const char *
ctl_own_district (const ctl_t *ctl)
{
    if (!ctl->principal || strcmp (ctl->principal->role, "district") != 0)
        return NULL;
    return json_string_value (json_object_get (ctl->principal->scope, "district"));
}
