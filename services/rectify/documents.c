/*  documents.c: the register of the office's formal documents (公文, GB/T 9704-2012).

    document.issue gives a document its number (发文字号) in the transaction that records it:
    per issuer (the city office, or the district office owning the round), per year and per
    kind's code (机关代字), the next integer with no gap. A retried command gets its first
    result (the inbox), a refused one stores nothing, so the numbers stay gapless. A document
    names the signed events it was made from (service, seq, hash); rectify's own are checked
    against the outbox here, the other services' are kept as given (their readers check them
    with xcctl audit verify). Kinds, codes and issuers: policies.rectify.documents (policy.c).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "services/rectify/rectify.h"

/* what a document row gives, in this order (document.get, document.list) */
#define COLUMNS "d.id, d.number, d.seq, d.kind, d.kind_name, d.issuer, d.issuer_name, d.year, d.round," \
                " d.unit, d.title, d.recipient, d.sources, d.content_sha256, d.issued_on, d.issued_by, d.item," \
                " d.referral, d.dated, d.text"

static json_t *
s_row (sqlite3_stmt *stmt)
{
    static const char *const names[] = { "number", "kind", "kind_name", "issuer", "issuer_name", "year",
                                         "round", "unit", "title", "recipient", "sources", "content_sha256",
                                         "issued_on", "issued_by", "item", "referral", "dated", "text" };
    static const int columns[] = { 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 };
    json_t *row = json_pack ("{s:I, s:I}", "document", (json_int_t) sqlite3_column_int64 (stmt, 0),
                             "seq", (json_int_t) sqlite3_column_int64 (stmt, 2));
    for (size_t i = 0; row && i < sizeof names / sizeof names[0]; i++) {
        int c = columns[i];
        json_t *v;
        if (c == 7 || ((c == 16 || c == 17) && sqlite3_column_type (stmt, c) != SQLITE_NULL))
            v = json_integer (sqlite3_column_int64 (stmt, c));
        else if (c == 12) {
            const char *text = (const char *) sqlite3_column_text (stmt, c);
            v = text ? json_loads (text, 0, NULL) : NULL;
            if (!v)
                v = json_array ();
        }
        else
            v = xc_column_text (stmt, c);
        json_object_set_new (row, names[i], v);
    }
    return row;
}

/*  The issuer of round's documents: "city" or the owning district's id into id, its name and
    short name (the first part of the 机关代字) from the policy, a district's built from its
    unit name by district_issuer. -1 after failing the call. */
static int
s_issuer (xc_call_t *call, const rectify_t *rectify, const char *round, char id[RECTIFY_ID],
          json_t **issuer_p)
{
    *issuer_p = NULL;
    if (rectify_round_owner (call, round, id) != 0)
        return -1;
    const json_t *docs = rectify->policy.documents;
    const json_t *given = json_object_get (json_object_get (docs, "issuers"), id);
    if (given) {
        *issuer_p = json_pack ("{s:s, s:O, s:O}", "issuer", id, "name", json_object_get (given, "name"),
                               "short", json_object_get (given, "short"));
        return *issuer_p ? 0 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    char name[256] = "";
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT name FROM units WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
    if (xc_call_text (call, stmt, name, sizeof name, "unable to read the district's name") < 0)
        return -1;
    const json_t *pattern = json_object_get (docs, "district_issuer");
    json_t *issuer = json_pack ("{s:s}", "issuer", id);
    static const char *const parts[] = { "name", "short" };
    for (int i = 0; issuer && i < 2; i++) {
        const char *p = json_string_value (json_object_get (pattern, parts[i]));
        const char *at = p ? strstr (p, "{district}") : NULL;
        char text[512];
        if (at)
            snprintf (text, sizeof text, "%.*s%s%s", (int) (at - p), p, *name ? name : id, at + 10);
        else
            snprintf (text, sizeof text, "%s", p ? p : id);
        json_object_set_new (issuer, parts[i], json_string (text));
    }
    *issuer_p = issuer;
    return issuer ? 0 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
}

/*  Whether the sender may read round's documents: the office and the services all, a district
    office those of the rounds it owns or reads. */
static bool
s_reads (xc_call_t *call, const rectify_t *rectify, const char *round)
{
    const char *district = xc_principal_district (xc_call_msg (call)->principal);
    if (strcmp (xc_call_role (call), "district") != 0)
        return true;
    return district && round && rectify_district_reach (rectify, district, round) > 0;
}

/*  Checks a source that is one of rectify's own events against the outbox: 0 when it holds. */
static int
s_source_check (xc_call_t *call, json_int_t seq, const char *hash)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT hash FROM outbox WHERE seq = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, seq);
    char hex[65] = "";
    if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == 32)
        xc_hex_encode (sqlite3_column_blob (stmt, 0), 32, hex);
    sqlite3_reset (stmt);
    if (!*hex)
        return xc_call_fail (call, XC_E_NOT_FOUND, "source rectify#%lld: no such event", (long long) seq);
    if (strcmp (hex, hash) != 0)
        return xc_call_fail (call, XC_E_CONFLICT, "source rectify#%lld: its hash is not %s", (long long) seq, hash);
    return 0;
}


int
rectify_document_issue (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const json_t *data = xc_call_msg (call)->data;
    const char *kind = json_string_value (json_object_get (data, "kind"));
    const char *round = json_string_value (json_object_get (data, "round"));
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *sha = json_string_value (json_object_get (data, "content_sha256"));
    const json_t *kinds = json_object_get (rectify->policy.documents, "kinds");
    const json_t *kind_def = json_object_get (kinds, kind);
    if (!kind_def)
        return xc_call_fail (call, XC_E_SCHEMA, "data.kind: no document kind '%s'", kind);
    if (!xc_hex64 (sha, false))
        return xc_call_fail (call, XC_E_SCHEMA, "data.content_sha256: not 64 lower-case hex digits");
    /* a document without a round (a special report of the city's) is the city office's */
    sqlite3_stmt *stmt;
    int found;
    if (round) {
        stmt = xc_call_stmt (call, "SELECT 1 FROM rounds WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, round, -1, SQLITE_TRANSIENT);
        found = xc_call_exists (call, stmt, "unable to read the round");
        if (found <= 0)
            return found < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)",
                                                  round);
    }
    if (!round && xc_call_role_is (call, "district"))
        return xc_call_fail (call, XC_E_FORBIDDEN, "a document without a round is the city office's: a district"
                             " office issues the documents of its own rounds");
    /* the refusal names the round (its Chinese reads "<round> 不属于…") */
    if (round && rectify_district_commands (call, rectify, round, round) != 0)
        return -1;
    if (unit) {
        stmt = xc_call_stmt (call, "SELECT 1 FROM units WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, unit, -1, SQLITE_TRANSIENT);
        found = xc_call_exists (call, stmt, "unable to read the unit");
        if (found <= 0)
            return found < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no unit '%s'", unit);
    }
    /* the item it was made from (the console composes it again from it): one of this round's */
    json_int_t item = json_integer_value (json_object_get (data, "item"));
    if (item) {
        stmt = xc_call_stmt (call, "SELECT 1 FROM items WHERE id = ?1 AND round IS ?2");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, item);
        sqlite3_bind_text (stmt, 2, round, -1, SQLITE_TRANSIENT);
        found = xc_call_exists (call, stmt, "unable to read the item");
        if (found <= 0)
            return found < 0 ? -1 : xc_call_fail (call, XC_E_NOT_FOUND, "no item %lld", (long long) item);
    }
    /* each source once, rectify's own checked against the outbox */
    const json_t *sources = json_object_get (data, "sources");
    size_t i, j;
    json_t *source;
    json_array_foreach (sources, i, source) {
        const char *service = json_string_value (json_object_get (source, "service"));
        json_int_t seq = json_integer_value (json_object_get (source, "seq"));
        const char *hash = json_string_value (json_object_get (source, "hash"));
        if (!xc_hex64 (hash, false))
            return xc_call_fail (call, XC_E_SCHEMA, "data.sources[%zu].hash: not 64 lower-case hex digits", i);
        for (j = 0; j < i; j++) {
            const json_t *other = json_array_get (sources, j);
            if (strcmp (json_string_value (json_object_get (other, "service")), service) == 0
                && json_integer_value (json_object_get (other, "seq")) == seq)
                return xc_call_fail (call, XC_E_SCHEMA, "data.sources[%zu]: %s#%lld is named twice", i, service,
                                     (long long) seq);
        }
        if (strcmp (service, "rectify") == 0 && s_source_check (call, seq, hash) != 0)
            return -1;
    }
    char owner[RECTIFY_ID];
    json_t *issuer;
    if (s_issuer (call, rectify, round, owner, &issuer) != 0)
        return -1;
    const char *code = json_string_value (json_object_get (kind_def, "code"));
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    int year = atoi (today);
    /* the next number of (issuer, year, code): the table's unique key keeps it single */
    json_int_t seq = 0;
    stmt = xc_call_stmt (call, "SELECT coalesce (max (seq), 0) + 1 FROM documents WHERE issuer = ?1 AND year = ?2"
                               " AND code = ?3");
    if (!stmt) {
        json_decref (issuer);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int (stmt, 2, year);
    sqlite3_bind_text (stmt, 3, code, -1, SQLITE_TRANSIENT);
    if (sqlite3_step (stmt) == SQLITE_ROW)
        seq = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    if (seq <= 0) {
        json_decref (issuer);
        return xc_call_fail_db (call, "unable to number the document");
    }
    char number[512];
    snprintf (number, sizeof number, "%s%s\xE3\x80\x94%d\xE3\x80\x95%lld\xE5\x8F\xB7",
              json_string_value (json_object_get (issuer, "short")), code, year, (long long) seq);
    char *sources_text = json_dumps (sources, JSON_COMPACT);
    stmt = xc_call_stmt (call,
        "INSERT INTO documents (issuer, year, code, seq, number, kind, kind_name, issuer_name, round, unit, title,"
        " recipient, sources, content_sha256, issued_on, issued_by, item, referral, dated, text) VALUES (?1, ?2, ?3,"
        " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
    if (!stmt || !sources_text) {
        free (sources_text);
        json_decref (issuer);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    const char *texts[] = { owner, NULL, code, NULL, number, kind,
                            json_string_value (json_object_get (kind_def, "name")),
                            json_string_value (json_object_get (issuer, "name")), round, unit,
                            json_string_value (json_object_get (data, "title")),
                            json_string_value (json_object_get (data, "recipient")), sources_text, sha, today,
                            xc_call_iss (call) };
    for (int k = 0; k < 16; k++)
        if (k == 1)
            sqlite3_bind_int (stmt, 2, year);
        else if (k == 3)
            sqlite3_bind_int64 (stmt, 4, seq);
        else
            sqlite3_bind_text (stmt, k + 1, texts[k], -1, SQLITE_TRANSIENT);
    static const char *const ids[] = { "item", "referral" };
    for (int k = 0; k < 2; k++)
        if (json_object_get (data, ids[k]))
            sqlite3_bind_int64 (stmt, 17 + k, json_integer_value (json_object_get (data, ids[k])));
    sqlite3_bind_text (stmt, 19, json_string_value (json_object_get (data, "dated")), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 20, json_string_value (json_object_get (data, "text")), -1, SQLITE_TRANSIENT);
    free (sources_text);
    if (xc_call_exec (call, stmt, "unable to record the document") != 0) {
        json_decref (issuer);
        return -1;
    }
    json_int_t id = sqlite3_last_insert_rowid (xc_store_db (xc_call_store (call)));
    json_t *result = json_pack ("{s:I, s:s, s:I, s:s, s:O, s:s}", "document", id, "number", number, "seq", seq,
                                "issued_on", today, "issuer_name", json_object_get (issuer, "name"), "issuer",
                                owner);
    json_decref (issuer);
    json_t *event = json_pack ("{s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:O, s:s, s:s}", "document", id, "number", number,
                               "kind", kind, "round", round ? json_string (round) : json_null (),
                               "title", json_string_value (json_object_get (data, "title")),
                               "recipient", json_string_value (json_object_get (data, "recipient")),
                               "unit", unit ? json_string (unit) : json_null (), "sources", sources,
                               "content_sha256", sha, "issued_on", today);
    char visibility[XC_NAME_MAX + 16];
    if (round)
        snprintf (visibility, sizeof visibility, "documents round:%s", round);
    else
        snprintf (visibility, sizeof visibility, "documents");
    if (!result || !event || xc_call_emit (call, "document.issued", visibility, NULL, event) != 0) {
        json_decref (result);
        json_decref (event);
        return result && event ? -1 : xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_decref (event);
    xc_call_result (call, result);
    return 0;
}

int
rectify_document_get (xc_call_t *call, void *state)
{
    json_int_t id = json_integer_value (json_object_get (xc_call_msg (call)->data, "document"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT " COLUMNS " FROM documents d WHERE d.id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *row = sqlite3_step (stmt) == SQLITE_ROW ? s_row (stmt) : NULL;
    sqlite3_reset (stmt);
    /* a district office: another round's document's existence is hidden */
    if (!row || !s_reads (call, state, json_string_value (json_object_get (row, "round")))) {
        json_decref (row);
        return xc_call_fail (call, XC_E_NOT_FOUND, "no document %lld", (long long) id);
    }
    xc_call_result (call, row);
    return 0;
}

int
rectify_document_list (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *district;
    if (xc_call_district (call, &district) != 0)
        return -1;
    char sql[1536], scope[512] = "1";
    if (district)
        rectify_district_clause (scope, sizeof scope, "d", 7);
    snprintf (sql, sizeof sql, "SELECT " COLUMNS " FROM documents d WHERE (?1 IS NULL OR d.round = ?1)"
              " AND (?2 IS NULL OR d.unit = ?2) AND (?3 IS NULL OR d.kind = ?3) AND (?4 IS NULL OR d.year = ?4)"
              " AND d.id > ?5 AND %s ORDER BY d.id LIMIT ?6", scope);
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    static const char *const keys[] = { "round", "unit", "kind" };
    for (int k = 0; k < 3; k++)
        sqlite3_bind_text (stmt, k + 1, json_string_value (json_object_get (data, keys[k])), -1, SQLITE_TRANSIENT);
    if (json_object_get (data, "year"))
        sqlite3_bind_int64 (stmt, 4, json_integer_value (json_object_get (data, "year")));
    sqlite3_bind_int64 (stmt, 5, json_integer_value (json_object_get (data, "after")));
    int limit = xc_page_limit (data);
    sqlite3_bind_int (stmt, 6, limit + 1);
    if (district)
        sqlite3_bind_text (stmt, 7, district, -1, SQLITE_TRANSIENT);
    return xc_call_page (call, stmt, limit, s_row, "document", "unable to list the documents");
}

int
rectify_document_kinds (xc_call_t *call, void *state)
{
    const rectify_t *rectify = state;
    const char *round = json_string_value (json_object_get (xc_call_msg (call)->data, "round"));
    json_t *kinds = json_array ();
    const char *kind;
    json_t *def;
    json_object_foreach (json_object_get (rectify->policy.documents, "kinds"), kind, def)
        json_array_append_new (kinds, json_pack ("{s:s, s:O, s:O}", "kind", kind, "name", json_object_get (def, "name"),
                                                 "code", json_object_get (def, "code")));
    json_t *issuer = NULL;
    char owner[RECTIFY_ID];
    if (round && (!s_reads (call, rectify, round) || s_issuer (call, rectify, round, owner, &issuer) != 0)) {
        json_decref (kinds);
        return xc_call_msg (call) && !s_reads (call, rectify, round)
                   ? xc_call_fail (call, XC_E_NOT_FOUND, "no round '%s' (rectify learns rounds from intake)", round)
                   : -1;
    }
    /* today on the service's clock: the date a document issued now gets (the 成文日期 offered) */
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    xc_call_result (call, json_pack ("{s:o, s:o, s:s}", "kinds", kinds, "issuer", issuer ? issuer : json_null (),
                                     "today", today));
    return 0;
}
