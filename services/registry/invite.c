/*  invite.c: an invitation (the office's, with the hash of a code its own client made), the
    enrollment that uses its code (signed by the new key itself), and the enrollment's state as
    the new key asks for it (docs/services/registry.md). */
#include "services/registry/registry.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/keys.h"
#include "common/registry_file.h"

/* One reason for every way a code fails, so that a guesser learns nothing from it. */
#define S_BAD_CODE "the invitation code is wrong, expired or used"

int
registry_code_hash (const char *code, char hex[65])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char norm[REGISTRY_CODE_LEN + 1];
    size_t n = 0;
    for (const char *p = code; *p; p++) {
        char c = (char) toupper ((unsigned char) *p);
        if (c == '-' || c == ' ')
            continue;
        if (c == 'I' || c == 'L')
            c = '1';
        else if (c == 'O')
            c = '0';
        if (!strchr (alphabet, c) || c == 0 || n == REGISTRY_CODE_LEN)
            return -1;
        norm[n++] = c;
    }
    if (n != REGISTRY_CODE_LEN)
        return -1;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (hash, (const unsigned char *) norm, n);
    sodium_bin2hex (hex, 65, hash, sizeof hash);
    return 0;
}

void
registry_fingerprint (const unsigned char pk[32], char out[REGISTRY_FINGERPRINT_LEN + 1])
{
    char thumb[XC_THUMBPRINT_LEN + 1];
    xc_key_thumbprint (pk, thumb);
    size_t o = 0;
    for (size_t i = 0; thumb[i]; i++) {
        if (i && i % 4 == 0)
            out[o++] = ' ';
        out[o++] = thumb[i];
    }
    out[o] = 0;
}

static bool
s_lower_hex (const char *text)
{
    for (; *text; text++)
        if (!strchr ("0123456789abcdef", *text))
            return false;
    return true;
}

/* [a-z][a-z0-9._-]{0,62}, as the registry file requires (keys.h) */
static bool
s_iss_valid (const char *iss)
{
    if (!*iss || !(*iss >= 'a' && *iss <= 'z') || strlen (iss) > 63)
        return false;
    for (const char *p = iss; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr ("._-", *p)))
            return false;
    return true;
}

static int
s_time (xc_call_t *call, const char *member, int64_t *t)
{
    xc_err_t err;
    if (xc_clock_parse (json_string_value (json_object_get (xc_call_msg (call)->data, member)), t, &err) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "data.%s: expected an RFC 3339 time", member);
    return 0;
}

int
registry_invite (xc_call_t *call, void *state)
{
    const registry_t *registry = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *iss = json_string_value (json_object_get (data, "iss"));
    const char *role = json_string_value (json_object_get (data, "role"));
    const char *display = json_string_value (json_object_get (data, "display"));
    const char *hash = json_string_value (json_object_get (data, "code_sha256"));
    const char *district = json_string_value (json_object_get (data, "district"));
    const json_t *scope_given = json_object_get (data, "scope");
    if (!s_iss_valid (iss))
        return xc_call_fail (call, XC_E_SCHEMA, "data.iss: expected 1-63 of a-z 0-9 . _ - starting with a letter");
    if (!s_lower_hex (hash))
        return xc_call_fail (call, XC_E_SCHEMA, "data.code_sha256: expected 64 lowercase hex digits");
    if (scope_given && !json_is_object (scope_given))
        return xc_call_fail (call, XC_E_SCHEMA, "data.scope: expected object");
    /* a district office speaks for one district, and only it has one (as xcctl principal add) */
    bool district_role = strcmp (role, "district") == 0;
    if (district_role != (district != NULL) || (district && scope_given))
        return xc_call_fail (call, XC_E_SCHEMA, district_role ? "data.district: required for the role district, instead of scope"
                                                              : "data.district: only for the role district");
    int64_t now = xc_call_now (call), until, expires;
    if (s_time (call, "until", &until) != 0 || s_time (call, "expires", &expires) != 0)
        return -1;
    if (until <= now)
        return xc_call_fail (call, XC_E_CONFLICT, "until %s has passed", json_string_value (json_object_get (data, "until")));
    if (expires <= now || expires > now + registry->policy.invitation_hours * 3600LL)
        return xc_call_fail (call, XC_E_CONFLICT, "expires must be in the next %d hours (policies.registry.invitation_hours)",
                             registry->policy.invitation_hours);
    /* a registered iss is a re-enrollment (a lost PC): the same role */
    char registered_role[XC_NAME_MAX] = "";
    sqlite3_stmt *st;
    xc_err_t err;
    json_t *doc = xc_registry_read (xc_call_config (call)->registry, &err);
    if (!doc)
        return xc_call_fail (call, err.code, "%s", err.text);
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get (doc, "principals"), i, p)
        if (strcmp (json_string_value (json_object_get (p, "iss")), iss) == 0)
            snprintf (registered_role, sizeof registered_role, "%s", json_string_value (json_object_get (p, "role")));
    json_decref (doc);
    if (*registered_role && strcmp (registered_role, role) != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "'%s' has the role %s: a re-enrollment keeps it", iss, registered_role);
    json_t *scope = district ? json_pack ("{s:s}", "district", district)
                    : scope_given ? json_deep_copy (scope_given) : json_object ();
    char *scope_text = json_dumps (scope, JSON_COMPACT | JSON_SORT_KEYS);
    /* a newer invitation replaces an open one, and what was enrolled on it and not decided */
    st = xc_call_stmt (call, "UPDATE enrollments SET state = 'rejected', reason = 'a new invitation replaced it',"
                             " decided = ?2, by = ?3 WHERE iss = ?1 AND state = 'pending'");
    sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 2, now);
    sqlite3_bind_text (st, 3, xc_call_iss (call), -1, SQLITE_STATIC);
    int rc = xc_call_exec (call, st, "replace enrollment");
    if (rc == 0) {
        st = xc_call_stmt (call, "UPDATE invitations SET state = 'void' WHERE iss = ? AND state = 'open'");
        sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
        rc = xc_call_exec (call, st, "replace invitation");
    }
    if (rc == 0) {
        st = xc_call_stmt (call, "INSERT INTO invitations (iss, display, role, scope, until, code_sha256, expires, state,"
                                 " reenroll, by, at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)");
        sqlite3_bind_text (st, 1, iss, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 2, display, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 3, role, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 4, scope_text, -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 5, json_string_value (json_object_get (data, "until")), -1, SQLITE_STATIC);
        sqlite3_bind_text (st, 6, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 7, expires);
        sqlite3_bind_int (st, 8, *registered_role != 0);
        sqlite3_bind_text (st, 9, xc_call_iss (call), -1, SQLITE_STATIC);
        sqlite3_bind_int64 (st, 10, now);
        rc = xc_call_exec (call, st, "invite");
    }
    free (scope_text);
    if (rc != 0) {
        json_decref (scope);
        return -1;
    }
    json_int_t id = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    char until_text[XC_RFC3339_LEN + 1], expires_text[XC_RFC3339_LEN + 1];
    xc_clock_format (until, until_text);
    xc_clock_format (expires, expires_text);
    /* never the code, nor its hash */
    if (xc_call_emit_new (call, "principal.invited", NULL, NULL,
                          json_pack ("{s:I, s:s, s:s, s:s, s:O, s:s, s:s, s:b}", "invitation", id, "iss", iss,
                                     "display", display, "role", role, "scope", scope, "until", until_text,
                                     "expires", expires_text, "reenroll", *registered_role != 0))
        != 0) {
        json_decref (scope);
        return -1;
    }
    xc_call_result (call, json_pack ("{s:I, s:s, s:s, s:o, s:b}", "invitation", id, "iss", iss, "expires", expires_text,
                                     "scope", scope, "reenroll", *registered_role != 0));
    return 0;
}

int
registry_enroll (xc_call_t *call, void *state)
{
    const registry_t *registry = state;
    const xc_msg_t *msg = xc_call_msg (call);
    const char *code = json_string_value (json_object_get (msg->data, "code"));
    const char *x = json_string_value (json_object_get (json_object_get (msg->data, "key"), "x"));
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT id, code_sha256, expires, attempts FROM invitations"
                                           " WHERE iss = ? AND state = 'open'");
    sqlite3_bind_text (st, 1, msg->iss, -1, SQLITE_STATIC);
    int step = sqlite3_step (st);
    if (step != SQLITE_ROW) {
        sqlite3_reset (st);
        return step == SQLITE_DONE ? xc_call_fail (call, XC_E_FORBIDDEN, S_BAD_CODE) : xc_call_fail_db (call, "enroll");
    }
    json_int_t id = sqlite3_column_int64 (st, 0);
    char want[65];
    snprintf (want, sizeof want, "%s", (const char *) sqlite3_column_text (st, 1));
    int64_t expires = sqlite3_column_int64 (st, 2);
    int attempts = sqlite3_column_int (st, 3);
    sqlite3_reset (st);
    if (xc_call_now (call) > expires)
        return xc_call_fail (call, XC_E_FORBIDDEN, S_BAD_CODE);
    char got[65];
    bool ok = registry_code_hash (code, got) == 0;
    /* in constant time: the hash of a wrong code says nothing of the right one */
    if (!ok || sodium_memcmp (got, want, 64) != 0) {
        attempts++;
        st = xc_call_stmt (call, "UPDATE invitations SET attempts = ?2,"
                                 " state = CASE WHEN ?2 >= ?3 THEN 'void' ELSE state END WHERE id = ?1");
        sqlite3_bind_int64 (st, 1, id);
        sqlite3_bind_int (st, 2, attempts);
        sqlite3_bind_int (st, 3, registry->policy.max_attempts);
        if (xc_call_exec (call, st, "count a wrong code") != 0)
            return -1;
        /* kept: the count must survive the refusal */
        return xc_call_fail_keep (call, XC_E_FORBIDDEN, S_BAD_CODE);
    }
    unsigned char pk[32];
    if (xc_b64url_decode_exact (x, pk, sizeof pk, NULL) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "data.key.x: expected 32 bytes of base64url");
    char fingerprint[REGISTRY_FINGERPRINT_LEN + 1];
    registry_fingerprint (pk, fingerprint);
    int64_t now = xc_call_now (call);
    st = xc_call_stmt (call, "UPDATE invitations SET state = 'enrolled' WHERE id = ?");
    sqlite3_bind_int64 (st, 1, id);
    if (xc_call_exec (call, st, "use invitation") != 0)
        return -1;
    st = xc_call_stmt (call, "INSERT INTO enrollments (invitation, iss, kid, x, fingerprint, state, submitted)"
                             " VALUES (?, ?, ?, ?, ?, 'pending', ?)");
    sqlite3_bind_int64 (st, 1, id);
    sqlite3_bind_text (st, 2, msg->iss, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 3, msg->kid, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 4, x, -1, SQLITE_STATIC);
    sqlite3_bind_text (st, 5, fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (st, 6, now);
    if (sqlite3_step (st) != SQLITE_DONE) {
        sqlite3_reset (st);
        return xc_call_fail (call, XC_E_CONFLICT, "the key '%s' was enrolled before", msg->kid);
    }
    sqlite3_reset (st);
    json_int_t enrollment = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    if (xc_call_emit_new (call, "principal.enrolled", NULL, NULL,
                          json_pack ("{s:I, s:I, s:s, s:s, s:s}", "enrollment", enrollment, "invitation", id,
                                     "iss", msg->iss, "kid", msg->kid, "fingerprint", fingerprint))
        != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s, s:s}", "enrollment", enrollment, "fingerprint", fingerprint,
                                     "kid", msg->kid));
    return 0;
}

int
registry_enrollment (xc_call_t *call, void *state)
{
    (void) state;
    const xc_msg_t *msg = xc_call_msg (call);
    sqlite3_stmt *st = xc_call_stmt (call, "SELECT state, reason, fingerprint FROM enrollments WHERE kid = ?");
    sqlite3_bind_text (st, 1, msg->kid, -1, SQLITE_STATIC);
    int step = sqlite3_step (st);
    if (step != SQLITE_ROW) {
        sqlite3_reset (st);
        return step == SQLITE_DONE ? xc_call_fail (call, XC_E_NOT_FOUND, "no enrollment of the key '%s'", msg->kid)
                                   : xc_call_fail_db (call, "enrollment");
    }
    json_t *result = json_pack ("{s:o, s:o}", "state", xc_column_text (st, 0), "fingerprint", xc_column_text (st, 2));
    if (sqlite3_column_type (st, 1) != SQLITE_NULL)
        json_object_set_new (result, "reason", xc_column_text (st, 1));
    sqlite3_reset (st);
    xc_call_result (call, result);
    return 0;
}
