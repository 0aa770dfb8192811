/*  decide.c: the office's decisions that change the registry file: an enrollment approved
    (its key written), rejected, a principal revoked. Each file change is made under the
    writers' lock and saved checked and whole (common/registry_file.h), inside the command:
    a command whose transaction then fails leaves the file changed, and its retry finds the key
    written already and does not write it twice. */
#include "services/registry/registry.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/registry_file.h"

static json_t *
s_find (json_t *doc, const char *iss)
{
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get (doc, "principals"), i, p)
        if (strcmp (json_string_value (json_object_get (p, "iss")), iss) == 0)
            return p;
    return NULL;
}

/*  Ends every key of p at now (or just after its start, for a key not started yet): old
    signatures stay provable, new ones are refused. */
static void
s_end_keys (json_t *p, int64_t now)
{
    size_t i;
    json_t *key;
    json_array_foreach (json_object_get (p, "keys"), i, key) {
        int64_t from = 0, until = 0;
        xc_err_t err;
        xc_clock_parse (json_string_value (json_object_get (key, "not_before")), &from, &err);
        xc_clock_parse (json_string_value (json_object_get (key, "not_after")), &until, &err);
        int64_t end = now > from ? now : from + 1;
        if (end < until) {
            char text[XC_RFC3339_LEN + 1];
            xc_clock_format (end, text);
            json_object_set_new (key, "not_after", json_string (text));
        }
    }
}

/*  Reads the file under the lock, changes it with edit, saves it. edit returns 0, 1 for
    "nothing to change", or -1 after failing the call. */
typedef int (*s_edit_fn) (xc_call_t *call, json_t *doc, void *arg);

static int
s_registry_edit (xc_call_t *call, s_edit_fn edit, void *arg)
{
    const char *path = xc_call_config (call)->registry;
    xc_err_t err;
    int lock = xc_registry_lock (path, &err);
    if (lock < 0)
        return xc_call_fail (call, err.code, "%s", err.text);
    json_t *doc = xc_registry_read (path, &err);
    int rc = doc ? edit (call, doc, arg) : xc_call_fail (call, err.code, "%s", err.text);
    if (rc == 0 && xc_registry_save (path, doc, &err) != 0)
        rc = xc_call_fail (call, err.code, "%s", err.text);
    json_decref (doc);
    xc_registry_unlock (lock);
    return rc < 0 ? -1 : 0;
}

typedef struct {
    const char *iss, *role, *kid, *x, *until;
    json_t *scope;
    int64_t now;
    bool reenroll;
} s_approval_t;

static int
s_approve_edit (xc_call_t *call, json_t *doc, void *arg)
{
    s_approval_t *a = arg;
    json_t *p = s_find (doc, a->iss);
    if (p && strcmp (json_string_value (json_object_get (p, "role")), a->role) != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "'%s' has the role %s now, not %s", a->iss,
                             json_string_value (json_object_get (p, "role")), a->role);
    size_t i;
    json_t *key;
    json_array_foreach (json_object_get (p, "keys"), i, key)
        if (strcmp (json_string_value (json_object_get (key, "kid")), a->kid) == 0)
            return 1;                /* written by this approval before its commit failed */
    if (!p) {
        p = json_pack ("{s:s, s:s, s:[]}", "iss", a->iss, "role", a->role, "keys");
        json_array_append_new (json_object_get (doc, "principals"), p);
    }
    else {
        a->reenroll = true;
        s_end_keys (p, a->now);
        json_object_del (p, "revoked");
    }
    json_object_set (p, "scope", a->scope);
    char from[XC_RFC3339_LEN + 1];
    xc_clock_format (a->now, from);
    json_array_append_new (json_object_get (p, "keys"),
                           json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP", "crv", "Ed25519", "kid", a->kid,
                                      "x", a->x, "not_before", from, "not_after", a->until));
    return 0;
}

/* The pending enrollment of iss with its invitation: 1 found, 0 not, -1 failed. */
static int
s_pending (xc_call_t *call, const char *iss, json_int_t *id, char *kid, char *x, char *role, char *until,
           char *display, json_t **scope)
{
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT e.id, e.kid, e.x, i.role, i.until, i.display, i.scope"
                                           " FROM enrollments e JOIN invitations i ON i.id = e.invitation"
                                           " WHERE e.iss = ? AND e.state = 'pending'");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    int step = sqlite3_step (st);
    if (step != SQLITE_ROW) {
        sqlite3_reset (st);
        return step == SQLITE_DONE ? 0 : xc_call_fail_db (call, "pending enrollment");
    }
    *id = sqlite3_column_int64 (st, 0);
    snprintf (kid, XC_KID_MAX, "%s", (const char *) sqlite3_column_text (st, 1));
    snprintf (x, 64, "%s", (const char *) sqlite3_column_text (st, 2));
    snprintf (role, XC_NAME_MAX, "%s", (const char *) sqlite3_column_text (st, 3));
    snprintf (until, 64, "%s", (const char *) sqlite3_column_text (st, 4));
    snprintf (display, 512, "%s", (const char *) sqlite3_column_text (st, 5));
    *scope = json_loads ((const char *) sqlite3_column_text (st, 6), 0, NULL);
    sqlite3_reset (st);
    return 1;
}

static int
s_decided (xc_call_t *call, json_int_t id, const char *state, const char *reason)
{
    sqlite3_stmt *st = xc_call_stmt (call, "UPDATE enrollments SET state = ?2, reason = ?3, decided = ?4, by = ?5"
                                           " WHERE id = ?1");
    sqlite3_bind_int64 (st, 1, id);
    sqlite3_bind_text (st, 2, state, -1, SQLITE_STATIC);
    if (reason)
        sqlite3_bind_text (st, 3, reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 4, xc_call_now (call));
    sqlite3_bind_text (st, 5, xc_call_iss (call), -1, SQLITE_STATIC);
    return xc_call_exec (call, st, "decide enrollment");
}

int
registry_approve (xc_call_t *call, void *state)
{
    (void) state;
    const char *iss = json_string_value (json_object_get (xc_call_msg (call)->data, "iss"));
    json_int_t id;
    char kid[XC_KID_MAX], x[64], role[XC_NAME_MAX], until[64], display[512];
    json_t *scope = NULL;
    int found = s_pending (call, iss, &id, kid, x, role, until, display, &scope);
    if (found <= 0)
        return found < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no pending enrollment of '%s'", iss);
    /* keys are judged by the wall clock everywhere */
    s_approval_t a = { .iss = iss, .role = role, .kid = kid, .x = x, .until = until, .scope = scope,
                       .now = xc_clock_wall () };
    int64_t until_t = 0;
    xc_err_t err;
    if (xc_clock_parse (until, &until_t, &err) != 0 || until_t <= a.now) {
        json_decref (scope);
        return xc_call_fail (call, XC_E_CONFLICT, "the invitation's until %s has passed: invite again", until);
    }
    int rc = s_registry_edit (call, s_approve_edit, &a);
    if (rc == 0)
        rc = s_decided (call, id, "approved", NULL);
    if (rc == 0) {
        sqlite3_stmt *st = xc_call_stmt (call, "INSERT INTO people (iss, display) VALUES (?1, ?2)"
                                               " ON CONFLICT (iss) DO UPDATE SET display = ?2");
        sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 2, display, -1, SQLITE_STATIC);
        rc = xc_call_exec (call, st, "display");
    }
    char from[XC_RFC3339_LEN + 1];
    xc_clock_format (a.now, from);
    if (rc == 0)
        rc = xc_call_emit_new (call, "principal.approved", NULL, NULL,
                               json_pack ("{s:I, s:s, s:s, s:s, s:O, s:s, s:s, s:b}", "enrollment", id, "iss", iss,
                                          "kid", kid, "role", role, "scope", scope, "not_before", from,
                                          "not_after", until, "reenroll", a.reenroll));
    if (rc == 0)
        xc_call_result (call, json_pack ("{s:s, s:s, s:s, s:s, s:b}", "iss", iss, "kid", kid, "not_before", from,
                                         "not_after", until, "reenroll", a.reenroll));
    json_decref (scope);
    return rc;
}

int
registry_reject (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *iss = json_string_value (json_object_get (data, "iss"));
    const char *reason = json_string_value (json_object_get (data, "reason"));
    json_int_t id;
    char kid[XC_KID_MAX], x[64], role[XC_NAME_MAX], until[64], display[512];
    json_t *scope = NULL;
    int found = s_pending (call, iss, &id, kid, x, role, until, display, &scope);
    json_decref (scope);
    if (found <= 0)
        return found < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no pending enrollment of '%s'", iss);
    if (s_decided (call, id, "rejected", reason) != 0
        || xc_call_emit_new (call, "principal.rejected", NULL, NULL,
                             json_pack ("{s:I, s:s, s:s, s:s}", "enrollment", id, "iss", iss, "kid", kid, "reason", reason))
               != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "enrollment", id, "iss", iss));
    return 0;
}

typedef struct {
    const char *iss;
    int64_t now;
} s_revocation_t;

static int
s_revoke_edit (xc_call_t *call, json_t *doc, void *arg)
{
    s_revocation_t *r = arg;
    json_t *p = s_find (doc, r->iss);
    if (!p)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no principal '%s' in the registry", r->iss);
    const char *role = json_string_value (json_object_get (p, "role"));
    if (!registry_person_role (role))
        return xc_call_fail (call, XC_E_FORBIDDEN, "'%s' has the role %s: only xcctl on the host revokes it", r->iss, role);
    json_object_set_new (p, "revoked", json_true ());
    s_end_keys (p, r->now);
    return 0;
}

int
registry_revoke (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *iss = json_string_value (json_object_get (data, "iss"));
    const char *reason = json_string_value (json_object_get (data, "reason"));
    s_revocation_t r = { .iss = iss, .now = xc_clock_wall () };
    if (s_registry_edit (call, s_revoke_edit, &r) != 0)
        return -1;
    /* what was under way for it ends too */
    sqlite3_stmt *st = xc_call_stmt (call, "UPDATE invitations SET state = 'void' WHERE iss = ? AND state = 'open'");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    if (xc_call_exec (call, st, "void invitation") != 0)
        return -1;
    st = xc_call_stmt (call, "UPDATE enrollments SET state = 'rejected', reason = 'revoked', decided = ?2, by = ?3"
                             " WHERE iss = ?1 AND state = 'pending'");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, xc_call_now (call));
    sqlite3_bind_text (st, 3, xc_call_iss (call), -1, SQLITE_STATIC);
    if (xc_call_exec (call, st, "end enrollment") != 0)
        return -1;
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (r.now, at);
    if (xc_call_emit_new (call, "principal.revoked", NULL, NULL,
                          json_pack ("{s:s, s:s, s:s}", "iss", iss, "reason", reason, "at", at))
        != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:s, s:s}", "iss", iss, "revoked", at));
    return 0;
}
