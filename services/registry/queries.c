/*  queries.c: principal.list (the registry file's principals and those invited, with their
    invitation and enrollment, in iss order, a page at a time) and principal.whoami. */
#include "services/registry/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/registry_file.h"

int
registry_display (xc_call_t *call, const char *iss, char *out, size_t size)
{
    /* the display approved, else the latest invitation's */
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT display FROM people WHERE iss = ?1 UNION ALL"
                                           " SELECT display FROM (SELECT display FROM invitations WHERE iss = ?1"
                                           " ORDER BY id DESC LIMIT 1)");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    return xc_call_text (call, st, out, size, "display") < 0 ? -1 : 0;
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The latest invitation of iss, or NULL. */
static json_t *
s_invitation (xc_call_t *call, const char *iss)
{
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT id, role, scope, until, expires, state, attempts, reenroll, by, at"
                                           " FROM invitations WHERE iss = ? ORDER BY id DESC LIMIT 1");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    json_t *out = NULL;
    if (sqlite3_step (st) == SQLITE_ROW) {
        char expires[XC_RFC3339_LEN + 1], at[XC_RFC3339_LEN + 1];
        int64_t exp_t = sqlite3_column_int64 (st, 4);
        xc_clock_format (exp_t, expires);
        xc_clock_format (sqlite3_column_int64 (st, 9), at);
        const char *state = (const char *) sqlite3_column_text (st, 5);
        /* an open invitation past its time is shown as what it is */
        if (strcmp (state, "open") == 0 && xc_call_now (call) > exp_t)
            state = "expired";
        json_t *scope = json_loads ((const char *) sqlite3_column_text (st, 2), 0, NULL);
        out = json_pack ("{s:I, s:s, s:o, s:s, s:s, s:s, s:i, s:b, s:s, s:s}", "id",
                         (json_int_t) sqlite3_column_int64 (st, 0), "role", (const char *) sqlite3_column_text (st, 1),
                         "scope", scope ? scope : json_object (), "until", (const char *) sqlite3_column_text (st, 3),
                         "expires", expires, "state", state, "attempts", sqlite3_column_int (st, 6), "reenroll",
                         sqlite3_column_int (st, 7) != 0, "by", (const char *) sqlite3_column_text (st, 8), "at", at);
    }
    sqlite3_reset (st);
    return out;
}

/* The latest enrollment of iss, or NULL. */
static json_t *
s_enrollment (xc_call_t *call, const char *iss)
{
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT id, state, fingerprint, submitted, kid, reason FROM enrollments"
                                           " WHERE iss = ? ORDER BY id DESC LIMIT 1");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    json_t *out = NULL;
    if (sqlite3_step (st) == SQLITE_ROW) {
        char submitted[XC_RFC3339_LEN + 1];
        xc_clock_format (sqlite3_column_int64 (st, 3), submitted);
        out = json_pack ("{s:I, s:o, s:o, s:s, s:o, s:o}", "id", (json_int_t) sqlite3_column_int64 (st, 0), "state",
                         xc_column_text (st, 1), "fingerprint", xc_column_text (st, 2), "submitted", submitted, "kid",
                         xc_column_text (st, 4), "reason", xc_column_text (st, 5));
    }
    sqlite3_reset (st);
    return out;
}

int
registry_list (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *after = json_string_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    xc_err_t err;
    json_t *doc = xc_registry_read (xc_call_config (call)->registry, &err);
    if (!doc)
        return xc_call_fail (call, err.code, "%s", err.text);
    /* every iss: the file's, and those invited who are not in it yet */
    json_t *by_iss = json_object ();
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get (doc, "principals"), i, p)
        json_object_set (by_iss, json_string_value (json_object_get (p, "iss")), p);
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT DISTINCT iss FROM invitations");
    while (sqlite3_step (st) == SQLITE_ROW) {
        const char *iss = (const char *) sqlite3_column_text (st, 0);
        if (!json_object_get (by_iss, iss))
            json_object_set_new (by_iss, iss, json_null ());
    }
    sqlite3_reset (st);
    size_t n = json_object_size (by_iss), k = 0;
    const char **names = calloc (n ? n : 1, sizeof *names);
    const char *key;
    json_t *value;
    json_object_foreach (by_iss, key, value)
        names[k++] = key;
    qsort (names, n, sizeof *names, s_strcmp);
    json_t *principals = json_array ();
    const char *last = NULL;
    bool more = false;
    int rc = 0;
    for (k = 0; rc == 0 && k < n; k++) {
        if (after && strcmp (names[k], after) <= 0)
            continue;
        if ((int) json_array_size (principals) == limit) {
            more = true;
            break;
        }
        const char *iss = names[k];
        p = json_object_get (by_iss, iss);
        if (json_is_null (p))       /* invited, not in the file yet */
            p = NULL;
        char display[512];
        rc = registry_display (call, iss, display, sizeof display);
        json_t *keys = json_array ();
        size_t j;
        json_t *jwk;
        json_array_foreach (json_object_get (p, "keys"), j, jwk)
            json_array_append_new (keys, json_pack ("{s:O, s:O, s:O}", "kid", json_object_get (jwk, "kid"), "not_before",
                                                    json_object_get (jwk, "not_before"), "not_after",
                                                    json_object_get (jwk, "not_after")));
        json_t *scope = json_object_get (p, "scope");
        json_t *row = json_pack ("{s:s, s:o, s:o, s:o, s:b, s:b, s:o}", "iss", iss, "display",
                                 *display ? json_string (display) : json_null (), "role",
                                 p ? json_incref (json_object_get (p, "role")) : json_null (), "scope",
                                 scope ? json_incref (scope) : json_object (), "revoked",
                                 json_is_true (json_object_get (p, "revoked")), "registered", p != NULL, "keys", keys);
        json_t *invitation = s_invitation (call, iss), *enrollment = s_enrollment (call, iss);
        if (invitation) {
            if (!p)              /* not registered yet: the role and scope it is invited to */
                json_object_set (row, "role", json_object_get (invitation, "role"));
            json_object_set_new (row, "invitation", invitation);
        }
        if (enrollment)
            json_object_set_new (row, "enrollment", enrollment);
        json_array_append_new (principals, row);
        last = iss;
    }
    json_t *result = rc == 0 ? json_pack ("{s:o, s:o}", "principals", principals, "next",
                                          more && last ? json_string (last) : json_null ())
                             : NULL;
    if (rc != 0)
        json_decref (principals);
    free (names);
    json_decref (by_iss);
    json_decref (doc);
    if (rc != 0)
        return -1;
    xc_call_result (call, result);
    return 0;
}

int
registry_whoami (xc_call_t *call, void *state)
{
    (void) state;
    const xc_principal_t *who = xc_call_msg (call)->principal;
    char display[512];
    if (registry_display (call, who->iss, display, sizeof display) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:o, s:s, s:O}", "iss", who->iss, "display",
                                     *display ? json_string (display) : json_null (), "role", who->role, "scope",
                                     who->scope ? who->scope : json_object ()));
    return 0;
}
