/*  public.c: the public channel (码上巡; docs/services/intake.md, "The public channel").

    The gateway's `public` principal carries a reporter's report, receipt lookups and answers;
    the reporter is known only by the slow hash of a receipt code the gateway computed
    (code_hash: the code itself never reaches a service). A report is a problem (source public)
    and a receipt row: the hash, the problem, when it came, the SHA-256 of what came, and the
    contact as the reporter's browser sealed it to this service's X25519 key (derived from
    secret_key). The contact is opened only by problem.contact, which records each opening.
*/
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/date.h"
#include "common/files.h"
#include "services/intake/intake.h"

#define CODE_HASH_BYTES 32
#define CONTACT_FIELD_MAX 200        /* bytes of a contact's name or phone */
#define SUMMARY_MAX 200              /* bytes of a summary taken from a report's first line */

/* ------------------------------------------------------------------ keys */

int
intake_public_keys (intake_t *intake)
{
    /* a key of its own for sealing, derived from the secret (never the secretbox key itself) */
    static const char context[] = "xuncha intake public sealing key";
    unsigned char seed[crypto_box_SEEDBYTES];
    if (crypto_generichash (seed, sizeof seed, (const unsigned char *) context, sizeof context - 1,
                            intake->secret, XC_SECRET_BYTES) != 0)
        return -1;
    int rc = crypto_box_seed_keypair (intake->seal_pk, intake->seal_sk, seed);
    sodium_memzero (seed, sizeof seed);
    return rc;
}

/* ------------------------------------------------------------------ helpers */

/*  The receipt a code_hash names: its problem (0 when none). */
static int
s_receipt (xc_call_t *call, const unsigned char hash[CODE_HASH_BYTES], json_int_t *problem)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT problem FROM public_receipts WHERE code_hash = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, hash, CODE_HASH_BYTES, SQLITE_STATIC);
    *problem = sqlite3_step (stmt) == SQLITE_ROW ? (json_int_t) sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    return 0;
}

static int
s_code_hash (xc_call_t *call, unsigned char hash[CODE_HASH_BYTES])
{
    const char *text = json_string_value (json_object_get (xc_call_msg (call)->data, "code_hash"));
    xc_err_t err;
    if (xc_b64url_decode_exact (text, hash, CODE_HASH_BYTES, &err) != 0)
        return xc_call_fail (call, XC_E_SCHEMA, "data.code_hash: expected base64url of %d bytes"
                             " (the receipt code's Argon2id hash)", CODE_HASH_BYTES);
    return 0;
}

/*  Lookups with unknown codes: after policy's many within a minute, every lookup pauses for
    lockout_seconds (for everyone: the guesses may come from anywhere). Kept in memory: a
    restart forgets them, which only ends a pause early. */
static int
s_lookups_paused (xc_call_t *call, intake_t *intake)
{
    int64_t now = xc_call_now (call);
    if (now < intake->lookups_paused_until)
        return xc_call_fail (call, XC_E_UNAVAILABLE, "too many unknown receipt codes: lookups pause"
                             " for %lld more seconds", (long long) (intake->lookups_paused_until - now));
    return 0;
}

static int
s_lookup_failed (xc_call_t *call, intake_t *intake)
{
    const intake_public_policy_t *policy = &intake->policy.public;
    int64_t now = xc_call_now (call);
    int kept = 0;
    for (int i = 0; i < intake->n_lookup_fails; i++)
        if (intake->lookup_fails[i] > now - 60)
            intake->lookup_fails[kept++] = intake->lookup_fails[i];
    intake->n_lookup_fails = kept;
    if (kept < INTAKE_MAX_LOOKUPS)
        intake->lookup_fails[intake->n_lookup_fails++] = now;
    if (intake->n_lookup_fails >= policy->failed_lookups) {
        intake->lookups_paused_until = now + policy->lockout_seconds;
        intake->n_lookup_fails = 0;
    }
    return xc_call_fail (call, XC_E_NOT_FOUND, "no report with this receipt code");
}

/*  The first non-blank line of text, cut to SUMMARY_MAX bytes on a character boundary. */
static json_t *
s_summary (const char *text)
{
    const char *s = text;
    while (*s == '\n' || *s == '\r' || *s == ' ' || *s == '\t')
        s++;
    size_t n = strcspn (s, "\r\n");
    if (n > SUMMARY_MAX) {
        n = SUMMARY_MAX;
        while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80)
            n--;
    }
    return n ? json_stringn (s, n) : NULL;
}


/*  The text and evidence of a report or answer within the policy's limits. */
static int
s_text_evidence (xc_call_t *call, const intake_public_policy_t *policy, const json_t *data)
{
    size_t len = strlen (json_string_value (json_object_get (data, "text")));
    if (len > (size_t) policy->text_bytes)
        return xc_call_fail (call, XC_E_SCHEMA, "data.text: %zu bytes, above the %d the policy allows",
                             len, policy->text_bytes);
    const json_t *evidence = json_object_get (data, "evidence");
    if (json_array_size (evidence) > (size_t) policy->files)
        return xc_call_fail (call, XC_E_SCHEMA, "data.evidence: %zu files, above the %d the policy allows",
                             json_array_size (evidence), policy->files);
    for (size_t i = 0; i < json_array_size (evidence); i++)
        if (!xc_hex64 (json_string_value (json_object_get (json_array_get (evidence, i), "sha256")), true))
            return xc_call_fail (call, XC_E_SCHEMA, "data.evidence[%zu].sha256: expected 64 hex digits", i);
    return 0;
}

/*  Opens a sealed contact ({epk, nonce, box}: nacl.box from an ephemeral key to seal_pk) into
    {"name", "phone"}. NULL when it does not open or is not such an object. Caller owns. */
static json_t *
s_contact_open (const intake_t *intake, const json_t *sealed)
{
    unsigned char epk[crypto_box_PUBLICKEYBYTES], nonce[crypto_box_NONCEBYTES];
    xc_err_t err;
    if (xc_b64url_decode_exact (json_string_value (json_object_get (sealed, "epk")), epk, sizeof epk, &err) != 0
        || xc_b64url_decode_exact (json_string_value (json_object_get (sealed, "nonce")), nonce, sizeof nonce,
                                   &err) != 0)
        return NULL;
    const char *text = json_string_value (json_object_get (sealed, "box"));
    unsigned char *box = NULL;
    size_t len = 0;
    if (!text || xc_b64url_decode (text, strlen (text), &box, &len, &err) != 0)
        return NULL;
    json_t *contact = NULL;
    unsigned char *plain = len > crypto_box_MACBYTES ? malloc (len - crypto_box_MACBYTES) : NULL;
    if (plain && crypto_box_open_easy (plain, box, len, nonce, epk, intake->seal_sk) == 0) {
        size_t plain_len = len - crypto_box_MACBYTES;
        json_t *doc = json_loadb ((const char *) plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
        const char *name = json_string_value (json_object_get (doc, "name"));
        const char *phone = json_string_value (json_object_get (doc, "phone"));
        if (json_is_object (doc) && json_object_size (doc) == 2 && name && phone
            && strlen (name) <= CONTACT_FIELD_MAX && strlen (phone) <= CONTACT_FIELD_MAX
            && (name[0] || phone[0]))
            contact = json_incref (doc);
        json_decref (doc);
        sodium_memzero (plain, plain_len);
    }
    free (plain);
    free (box);
    return contact;
}

/* ------------------------------------------------------------------ public.info */

int
intake_public_info (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const intake_public_policy_t *policy = &intake->policy.public;
    const json_t *data = xc_call_msg (call)->data;
    const char *round_id = json_string_value (json_object_get (data, "round"));
    const char *unit_id = json_string_value (json_object_get (data, "unit"));
    json_t *round = intake_round_json (call, round_id);
    if (!round)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round_id);
    json_t *unit = json_null ();
    if (unit_id) {
        bool target = false;
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get (round, "targets"), i, t)
            target = target || strcmp (json_string_value (json_object_get (t, "unit")), unit_id) == 0;
        json_t *row = target ? intake_unit_json (call, unit_id) : NULL;
        if (!row) {
            json_decref (round);
            return xc_call_fail (call, XC_E_NOT_FOUND, "unit '%s' is not a target of round '%s'", unit_id, round_id);
        }
        unit = json_pack ("{s:O, s:O}", "id", json_object_get (row, "id"), "name", json_object_get (row, "name"));
        json_decref (row);
    }
    const char *stage = json_string_value (json_object_get (round, "stage"));
    bool open = false;
    for (int i = 0; i < policy->n_open_stages; i++)
        open = open || strcmp (policy->open_stages[i], stage) == 0;
    json_t *steps = json_array ();
    for (int i = 0; i < policy->n_steps; i++)
        json_array_append_new (steps, json_string (policy->steps[i]));
    /* the policy's allowed types and size of files (policies.intake.files, docs/files.md) */
    json_t *types = json_pack ("[s, s, s]", "image/jpeg", "image/png", "application/pdf");
    char *key = xc_b64url_encode (intake->seal_pk, sizeof intake->seal_pk);
    json_t *result = json_pack (
        "{s:{s:O, s:O, s:O, s:O, s:O}, s:o, s:b, s:O, s:o, s:s, s:s?,"
        " s:{s:i, s:i, s:I, s:o}}",
        "round", "id", json_object_get (round, "id"), "name", json_object_get (round, "name"),
        "owner", json_object_get (round, "owner"), "planned_start", json_object_get (round, "planned_start"),
        "planned_end", json_object_get (round, "planned_end"),
        "unit", unit, "open", open, "until", json_object_get (round, "planned_end"), "steps", steps,
        "contact_notice", policy->contact_notice, "sealing_key", key,
        "limits", "text_bytes", policy->text_bytes, "files", policy->files,
        "file_bytes", (json_int_t) 10 * 1024 * 1024, "types", types);
    free (key);
    json_decref (round);
    if (!result)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    xc_call_result (call, result);
    return 0;
}

/* ------------------------------------------------------------------ public.report */

/*  SHA-256 (hex) of what the reporter sent: {"contact_sealed": {...} | null, "evidence":
    [sha256, ...], "text"} as compact JSON with sorted keys, UTF-8 unescaped. */
static int
s_report_hash (const json_t *data, char hex[65])
{
    json_t *hashes = json_array ();
    size_t i;
    json_t *e;
    json_array_foreach (json_object_get (data, "evidence"), i, e)
        json_array_append (hashes, json_object_get (e, "sha256"));
    const json_t *sealed = json_object_get (data, "contact_sealed");
    json_t *doc = json_pack ("{s:O, s:o, s:O}", "contact_sealed", sealed ? sealed : json_null (),
                             "evidence", hashes, "text", json_object_get (data, "text"));
    char *text = doc ? json_dumps (doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref (doc);
    if (!text)
        return -1;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const unsigned char *) text, strlen (text));
    free (text);
    xc_hex_encode (digest, sizeof digest, hex);
    return 0;
}

int
intake_public_report (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const intake_public_policy_t *policy = &intake->policy.public;
    const json_t *data = xc_call_msg (call)->data;
    const char *round_id = json_string_value (json_object_get (data, "round"));
    const char *text = json_string_value (json_object_get (data, "text"));
    unsigned char hash[CODE_HASH_BYTES];
    if (s_code_hash (call, hash) != 0 || s_text_evidence (call, policy, data) != 0)
        return -1;
    json_t *summary = s_summary (text);
    if (!summary)
        return xc_call_fail (call, XC_E_SCHEMA, "data.text: only blanks");

    /* a code already taken: the gateway derives the envelope's id from the hash, so a resent
       report is a duplicate before this; another id with the same hash is a different report */
    json_int_t taken;
    if (s_receipt (call, hash, &taken) != 0) {
        json_decref (summary);
        return -1;
    }
    if (taken) {
        json_decref (summary);
        return xc_call_fail (call, XC_E_CONFLICT, "this receipt code is already used by another report");
    }
    json_t *round = intake_round_json (call, round_id);
    if (!round) {
        json_decref (summary);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s'", round_id);
    }
    const char *stage = json_string_value (json_object_get (round, "stage"));
    bool open = false;
    for (int i = 0; i < policy->n_open_stages; i++)
        open = open || strcmp (policy->open_stages[i], stage) == 0;
    char stage_copy[XC_NAME_MAX];
    snprintf (stage_copy, sizeof stage_copy, "%s", stage);
    json_decref (round);
    if (!open) {
        json_decref (summary);
        return xc_call_fail (call, XC_E_CONFLICT, "round '%s' is at stage '%s': it takes no public reports"
                             " (policies.intake.public.open_stages)", round_id, stage_copy);
    }

    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT count(*) FROM public_receipts WHERE round = ?1 AND received_on = ?2");
    if (!stmt) {
        json_decref (summary);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, round_id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, today, -1, SQLITE_STATIC);
    int64_t count = sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    if (count >= policy->daily_limit) {
        json_decref (summary);
        return xc_call_fail (call, XC_E_CONFLICT, "round '%s' has had its %d public reports today: try again"
                             " tomorrow", round_id, policy->daily_limit);
    }

    /* a contact that does not open is refused, nothing stored: the reporter learns it now, not
       the office later; the plain contact is wiped at once, kept only sealed */
    const json_t *sealed = json_object_get (data, "contact_sealed");
    char *sealed_text = NULL;
    if (sealed) {
        json_t *contact = s_contact_open (intake, sealed);
        if (!contact) {
            json_decref (summary);
            return xc_call_fail (call, XC_E_SCHEMA, "data.contact_sealed: does not open with this service's"
                                 " sealing key into {\"name\", \"phone\"}");
        }
        json_decref (contact);
        sealed_text = json_dumps (sealed, JSON_COMPACT | JSON_SORT_KEYS);
    }

    json_t *problem_data = json_pack ("{s:O, s:O, s:s, s:s, s:o, s:O, s:s}",
                                      "round", json_object_get (data, "round"),
                                      "unit", json_object_get (data, "unit"),
                                      "category", policy->category, "severity", policy->severity,
                                      "summary", summary, "detail", json_object_get (data, "text"),
                                      "source", "public");
    if (problem_data && json_object_get (data, "evidence"))
        json_object_set (problem_data, "evidence", json_object_get (data, "evidence"));
    char digest[65];
    json_int_t id;
    int rc = problem_data && s_report_hash (data, digest) == 0
                 ? intake_problem_record (call, intake, problem_data, &id)
                 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    json_decref (problem_data);
    int64_t now = xc_call_now (call);
    if (rc == 0) {
        stmt = xc_call_stmt (call, "INSERT INTO public_receipts (code_hash, problem, round, unit, received_at,"
                                   " received_on, sha256, contact) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        if (!stmt)
            rc = -1;
        else {
            sqlite3_bind_blob (stmt, 1, hash, CODE_HASH_BYTES, SQLITE_STATIC);
            sqlite3_bind_int64 (stmt, 2, id);
            sqlite3_bind_text (stmt, 3, round_id, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (data, "unit")), -1, SQLITE_STATIC);
            sqlite3_bind_int64 (stmt, 5, now);
            sqlite3_bind_text (stmt, 6, today, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 7, digest, -1, SQLITE_STATIC);
            if (sealed_text)
                sqlite3_bind_text (stmt, 8, sealed_text, -1, SQLITE_STATIC);
            rc = xc_call_exec (call, stmt, "unable to record the receipt");
        }
    }
    free (sealed_text);
    if (rc != 0)
        return -1;
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (now, at);
    xc_call_result (call, json_pack ("{s:I, s:O, s:O, s:s, s:s}", "problem", id, "round",
                                     json_object_get (data, "round"), "unit", json_object_get (data, "unit"),
                                     "received_at", at, "sha256", digest));
    return 0;
}

/* ------------------------------------------------------------------ questions */

/*  The questions of a problem; public: as the reporter sees them (no asker). Caller owns. */
static json_t *
s_questions (xc_call_t *call, json_int_t problem, bool public)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT id, text, asked_by, asked_at, answer, answer_evidence,"
                                             " answered_at FROM public_questions WHERE problem = ?1 ORDER BY id");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, problem);
    json_t *list = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        char at[XC_RFC3339_LEN + 1];
        xc_clock_format (sqlite3_column_int64 (stmt, 3), at);
        json_t *q = json_pack ("{s:I, s:o, s:s}", "id", (json_int_t) sqlite3_column_int64 (stmt, 0),
                               "text", xc_column_text (stmt, 1), "asked_at", at);
        if (!public)
            json_object_set_new (q, "asked_by", xc_column_text (stmt, 2));
        if (sqlite3_column_type (stmt, 6) != SQLITE_NULL) {
            xc_clock_format (sqlite3_column_int64 (stmt, 6), at);
            json_t *evidence = json_loads ((const char *) sqlite3_column_text (stmt, 5), 0, NULL);
            json_object_set_new (q, "answer", xc_column_text (stmt, 4));
            json_object_set_new (q, "answer_evidence", evidence ? evidence : json_array ());
            json_object_set_new (q, "answered_at", json_string (at));
        }
        json_array_append_new (list, q);
    }
    sqlite3_reset (stmt);
    return list;
}

int
intake_public_status (xc_call_t *call, void *state)
{
    intake_t *intake = state;
    unsigned char hash[CODE_HASH_BYTES];
    json_int_t id;
    if (s_code_hash (call, hash) != 0 || s_lookups_paused (call, intake) != 0 || s_receipt (call, hash, &id) != 0)
        return -1;
    if (!id)
        return s_lookup_failed (call, intake);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT r.received_at, p.status, coalesce (p.fed_back_on, m.fed_back_on) FROM public_receipts r"
        " JOIN problems p ON p.id = r.problem LEFT JOIN problems m ON m.id = p.merged_into"
        " WHERE r.code_hash = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_blob (stmt, 1, hash, CODE_HASH_BYTES, SQLITE_STATIC);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return xc_call_fail (call, XC_E_INTERNAL, "the receipt's problem %lld vanished", (long long) id);
    }
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (sqlite3_column_int64 (stmt, 0), at);
    const char *status = (const char *) sqlite3_column_text (stmt, 1);
    bool finished = sqlite3_column_type (stmt, 2) != SQLITE_NULL;
    json_t *result = json_pack ("{s:I, s:s, s:s}", "problem", id, "received_at", at, "state",
                                finished ? "finished" : strcmp (status, "recorded") == 0 ? "received" : "handling");
    if (finished)
        json_object_set_new (result, "feedback", json_pack ("{s:o, s:s}", "on", xc_column_text (stmt, 2),
                                                            "text", intake->policy.public.feedback_text));
    sqlite3_reset (stmt);
    json_t *questions = s_questions (call, id, true);
    if (!questions) {
        json_decref (result);
        return -1;
    }
    json_object_set_new (result, "questions", questions);
    xc_call_result (call, result);
    return 0;
}

/*  Emits a restricted event about a public problem, filed under it (problem.get's events). */
static int
s_emit (xc_call_t *call, const char *type, json_t *data, json_int_t problem)
{
    if (!data)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    int rc = xc_call_emit_filed (call, type, INTAKE_RESTRICTED, NULL, data,
                                 "INSERT OR IGNORE INTO problem_events (problem, event_id) VALUES (?1, ?2)",
                                 problem);
    json_decref (data);
    return rc;
}

int
intake_public_answer (xc_call_t *call, void *state)
{
    intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    unsigned char hash[CODE_HASH_BYTES];
    json_int_t id;
    if (s_code_hash (call, hash) != 0 || s_lookups_paused (call, intake) != 0
        || s_text_evidence (call, &intake->policy.public, data) != 0 || s_receipt (call, hash, &id) != 0)
        return -1;
    if (!id)
        return s_lookup_failed (call, intake);
    json_int_t question = json_integer_value (json_object_get (data, "question"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT answered_at IS NOT NULL FROM public_questions"
                                             " WHERE id = ?1 AND problem = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, question);
    sqlite3_bind_int64 (stmt, 2, id);
    int row = sqlite3_step (stmt);
    bool answered = row == SQLITE_ROW && sqlite3_column_int (stmt, 0);
    sqlite3_reset (stmt);
    if (row != SQLITE_ROW)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no question %lld on this report", (long long) question);
    if (answered)
        return xc_call_fail (call, XC_E_CONFLICT, "question %lld is answered already", (long long) question);
    const json_t *evidence = json_object_get (data, "evidence");
    char *evidence_text = evidence ? json_dumps (evidence, JSON_COMPACT) : strdup ("[]");
    int64_t now = xc_call_now (call);
    stmt = xc_call_stmt (call, "UPDATE public_questions SET answer = ?2, answer_evidence = ?3, answered_at = ?4"
                               " WHERE id = ?1");
    if (!stmt || !evidence_text) {
        free (evidence_text);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_int64 (stmt, 1, question);
    sqlite3_bind_text (stmt, 2, json_string_value (json_object_get (data, "text")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, evidence_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 4, now);
    free (evidence_text);
    if (xc_call_exec (call, stmt, "unable to record the answer") != 0)
        return -1;
    /* the answer's files belong to the report's problem: read by whoever reads it */
    if (xc_files_link (call, evidence, "problem", (long long) id) != 0)
        return -1;
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (now, at);
    if (s_emit (call, "problem.answered",
                json_pack ("{s:I, s:I, s:O, s:o, s:s}", "problem", id, "question", question, "text",
                           json_object_get (data, "text"),
                           "evidence", evidence ? json_incref ((json_t *) evidence) : json_array (),
                           "answered_at", at), id) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:s}", "question", question, "answered_at", at));
    return 0;
}

/*  A public-channel problem the sender may act on: office all; a district office its own
    rounds'; a team its rounds'. Fills *problem (caller owns). */
static int
s_public_problem (xc_call_t *call, json_int_t id, bool team_allowed, json_t **problem_p)
{
    *problem_p = NULL;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT p.round, r.team, p.source, (SELECT 1 FROM public_receipts"
                                             " WHERE problem = p.id) FROM problems p LEFT JOIN rounds r"
                                             " ON r.id = p.round WHERE p.id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no problem %lld", (long long) id);
    }
    json_t *p = json_pack ("{s:I, s:o, s:o, s:b}", "id", id, "round", xc_column_text (stmt, 0),
                           "team", xc_column_text (stmt, 1), "public", sqlite3_column_type (stmt, 3) != SQLITE_NULL);
    sqlite3_reset (stmt);
    const char *round = json_string_value (json_object_get (p, "round"));
    const char *district;
    int rc = xc_call_district (call, &district);
    if (rc == 0 && district) {
        intake_scope_t scope;
        bool exists;
        rc = intake_round_id_scope (call, round, district, &scope, &exists);
        if (rc == 0 && scope != INTAKE_SCOPE_OWNS)
            rc = xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld is not of a round district '%s' owns",
                               (long long) id, district);
    }
    else if (rc == 0 && xc_call_role_is (call, "team")) {
        const char *team = json_string_value (json_object_get (p, "team"));
        if (!team_allowed)
            rc = xc_call_fail (call, XC_E_FORBIDDEN, "a team does not open a reporter's contact"
                               " (policies.intake.public.contact_readers)");
        else if (!team || strcmp (team, xc_call_iss (call)) != 0)
            rc = xc_call_fail (call, XC_E_FORBIDDEN, "problem %lld is not of this team's round", (long long) id);
    }
    if (rc == 0 && !json_is_true (json_object_get (p, "public")))
        rc = xc_call_fail (call, XC_E_CONFLICT, "problem %lld did not come through the public channel",
                           (long long) id);
    if (rc != 0) {
        json_decref (p);
        return -1;
    }
    *problem_p = p;
    return 0;
}

int
intake_problem_ask (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    const json_t *data = xc_call_msg (call)->data;
    json_int_t id = json_integer_value (json_object_get (data, "problem"));
    const char *text = json_string_value (json_object_get (data, "text"));
    json_t *problem;
    if (s_public_problem (call, id, true, &problem) != 0)
        return -1;
    json_decref (problem);
    if (strlen (text) > (size_t) intake->policy.public.text_bytes)
        return xc_call_fail (call, XC_E_SCHEMA, "data.text: %zu bytes, above the %d the policy allows",
                             strlen (text), intake->policy.public.text_bytes);
    int64_t now = xc_call_now (call);
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO public_questions (problem, text, asked_by, asked_at)"
                                             " VALUES (?1, ?2, ?3, ?4)");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, now);
    if (xc_call_exec (call, stmt, "unable to record the question") != 0)
        return -1;
    json_int_t question = (json_int_t) sqlite3_last_insert_rowid (xc_call_db (call));
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (now, at);
    if (s_emit (call, "problem.asked",
                json_pack ("{s:I, s:I, s:s, s:s, s:s}", "problem", id, "question", question, "text", text,
                           "asked_by", xc_call_iss (call), "asked_at", at), id) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I}", "question", question));
    return 0;
}

/* ------------------------------------------------------------------ problem.contact */

int
intake_problem_contact (xc_call_t *call, void *state)
{
    const intake_t *intake = state;
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "problem"));
    json_t *problem;
    if (s_public_problem (call, id, intake->policy.public.team_reads_contact, &problem) != 0)
        return -1;
    json_decref (problem);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT contact FROM public_receipts WHERE problem = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *sealed = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        sealed = json_loads ((const char *) sqlite3_column_text (stmt, 0), 0, NULL);
    sqlite3_reset (stmt);
    if (!sealed)
        return xc_call_fail (call, XC_E_NOT_FOUND, "the reporter of problem %lld left no contact", (long long) id);
    json_t *contact = s_contact_open (intake, sealed);
    json_decref (sealed);
    if (!contact)
        return xc_call_fail (call, XC_E_INTERNAL, "the contact of problem %lld does not open", (long long) id);
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_call_now (call), at);
    /* who opened it and when, never the contact */
    if (s_emit (call, "problem.contact_opened",
                json_pack ("{s:I, s:s, s:s, s:s}", "problem", id, "by", xc_call_iss (call),
                           "role", xc_call_role (call), "opened_at", at), id) != 0) {
        json_decref (contact);
        return -1;
    }
    /* the reply carries the contact; the inbox keeps only that it was opened */
    xc_call_result_withheld (call, json_pack ("{s:o}", "contact", contact),
                             json_pack ("{s:I, s:s, s:b}", "problem", id, "opened_at", at, "withheld", true));
    return 0;
}

/* ------------------------------------------------------------------ problem.get */

int
intake_public_problem (xc_call_t *call, json_t *problem)
{
    json_int_t id = json_integer_value (json_object_get (problem, "id"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT received_at, contact IS NOT NULL FROM public_receipts"
                                             " WHERE problem = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return 0;
    }
    char at[XC_RFC3339_LEN + 1];
    xc_clock_format (sqlite3_column_int64 (stmt, 0), at);
    json_object_set_new (problem, "public", json_pack ("{s:s, s:b}", "received_at", at, "has_contact",
                                                       sqlite3_column_int (stmt, 1)));
    sqlite3_reset (stmt);
    json_t *questions = s_questions (call, id, false);
    if (!questions)
        return -1;
    json_object_set_new (problem, "questions", questions);
    return 0;
}
