/*  files.c: evidence files in the service's own store (files.h, docs/files.md). */
#include "common/files.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/filetype.h"
#include "common/handler.h"
#include "common/hash.h"
#include "common/keys.h"
#include "common/page.h"

#define XC_FILES_DEFAULT_MAX (10 * 1024 * 1024)

static const xc_field_t s_type = { .type = XC_T_STRING, .one_of = xc_filetype_known };

const xc_field_t xc_files_policy_fields[] = {
    { .name = "max_bytes", .type = XC_T_INTEGER, .min = 1, .max = 64 * 1024 * 1024 },
    { .name = "types", .type = XC_T_ARRAY, .min = 1, .max = 8, .items = &s_type },
    { .name = "max_pixels", .type = XC_T_INTEGER, .min = 1, .max = 1000000000 },
    { .name = "chunk_bytes", .type = XC_T_INTEGER, .min = 1024, .max = 4 * 1024 * 1024 },
    { .name = "read_bytes", .type = XC_T_INTEGER, .min = 1024, .max = 4 * 1024 * 1024 },
    { .name = "hash_only", .type = XC_T_BOOLEAN },
    { .name = "upload_days", .type = XC_T_INTEGER, .min = 1, .max = 366 },
    { .name = "inflate_max_bytes", .type = XC_T_INTEGER, .min = 1024 * 1024, .max = 4LL * 1024 * 1024 * 1024 },
    { .name = NULL },
};

static struct {
    const char *service;
    bool keyed;
    unsigned char stream_key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    unsigned char part_key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    int64_t max_bytes, max_pixels, upload_seconds, inflate_max;
    size_t chunk_bytes, read_bytes;
    bool types[3];                   /* by the index of xc_filetype_known */
    bool hash_only;
    xc_files_may_read_fn may_read;
    void *state;
} s_files;

static int64_t
s_int (const json_t *section, const char *name, int64_t fallback)
{
    json_t *v = json_object_get (section, name);
    return v ? json_integer_value (v) : fallback;
}

int
xc_files_init (xc_service_t *service, const char *name, xc_files_may_read_fn may_read, void *state,
               xc_err_t *err)
{
    const xc_config_t *cfg = xc_service_config (service);
    const json_t *section = json_object_get (json_object_get (cfg->policies, name), "files");
    s_files.service = name;
    s_files.may_read = may_read;
    s_files.state = state;
    s_files.max_bytes = s_int (section, "max_bytes", XC_FILES_DEFAULT_MAX);
    s_files.max_pixels = s_int (section, "max_pixels", 40000000);
    s_files.chunk_bytes = (size_t) s_int (section, "chunk_bytes", 131072);
    s_files.read_bytes = (size_t) s_int (section, "read_bytes", 131072);
    s_files.upload_seconds = s_int (section, "upload_days", 7) * 86400;
    s_files.inflate_max = s_int (section, "inflate_max_bytes", 256 * 1024 * 1024);
    json_t *hash_only = json_object_get (section, "hash_only");
    s_files.hash_only = hash_only ? json_is_true (hash_only) : true;
    json_t *types = json_object_get (section, "types");
    for (int i = 0; xc_filetype_known[i]; i++) {
        s_files.types[i] = !types;
        size_t k;
        json_t *t;
        json_array_foreach (types, k, t)
            if (strcmp (json_string_value (t), xc_filetype_known[i]) == 0)
                s_files.types[i] = true;
    }
    /* a chunk travels base64 inside the base64url of a signed message; a piece read back
       must fit one reply */
    if (s_files.chunk_bytes / 3 * 4 / 3 * 4 + 4096 > cfg->max_message_bytes)
        return xc_err_set (err, XC_E_CONFIG, "policies.%s.files.chunk_bytes: %zu bytes do not fit"
                           " one message of limits.max_message_bytes %zu", name, s_files.chunk_bytes,
                           cfg->max_message_bytes);
    size_t piece_max = (xc_page_result_max (cfg->max_message_bytes) - 1024) / 4 * 3;
    if (s_files.read_bytes > piece_max)
        s_files.read_bytes = piece_max;
    const xc_service_conf_t *conf = xc_config_service (cfg, name);
    s_files.keyed = false;
    if (!conf || !conf->secret_key)
        return 0;
    unsigned char secret[XC_SECRET_BYTES];
    if (xc_secret_load (secret, conf->secret_key, err) != 0)
        return -1;
    crypto_kdf_derive_from_key (s_files.stream_key, sizeof s_files.stream_key, 1, "xc-files", secret);
    crypto_kdf_derive_from_key (s_files.part_key, sizeof s_files.part_key, 2, "xc-files", secret);
    sodium_memzero (secret, sizeof secret);
    s_files.keyed = true;
    return 0;
}

/* ------------------------------------------------------------------ helpers */


/*  A record's evidence hash in either case, as records always took it: its lower-case form
    (how files are keyed) in out, or false when it is not 64 hex digits. */
static bool
s_hex64_lower (const char *s, char out[65])
{
    if (!xc_hex64 (s, true))
        return false;
    for (int i = 0; i <= 64; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'F' ? (char) (s[i] - 'A' + 'a') : s[i];
    return true;
}

static int
s_keyed (xc_call_t *call)
{
    if (s_files.keyed)
        return 0;
    return xc_call_fail (call, XC_E_UNAVAILABLE, "service '%s' keeps no files: services.%s.secret_key"
                         " is not configured", s_files.service, s_files.service);
}

/*  The name is a label shown to people, never a path: refused with a NUL, a control
    character, a slash or backslash, or when it is "." or "..". */
static int
s_name_check (xc_call_t *call, const json_t *name)
{
    const char *s = json_string_value (name);
    if (strlen (s) != json_string_length (name))
        return xc_call_fail (call, XC_E_SCHEMA, "data.name: contains a NUL character");
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return xc_call_fail (call, XC_E_SCHEMA, "data.name: contains a control character");
        else if (*p == '/' || *p == '\\')
            return xc_call_fail (call, XC_E_SCHEMA, "data.name: a file name is a label, not a"
                                 " path: no slash or backslash");
    if (strcmp (s, ".") == 0 || strcmp (s, "..") == 0)
        return xc_call_fail (call, XC_E_SCHEMA, "data.name: '%s' is not a file name", s);
    return 0;
}

static int
s_type_allowed (const char *type)
{
    for (int i = 0; xc_filetype_known[i]; i++)
        if (strcmp (xc_filetype_known[i], type) == 0)
            return s_files.types[i];
    return 0;
}

/*  The part's additional data: the upload and the offset, so a part cannot be moved. */
static size_t
s_part_ad (const char *upload, int64_t offset, char *ad, size_t size)
{
    int n = snprintf (ad, size, "%s:%lld", upload, (long long) offset);
    return n > 0 && (size_t) n < size ? (size_t) n : 0;
}

/*  Decrypts a stored file into a new buffer of its size. 0; 1 when it does not decrypt to a
    whole stream (a changed or cut row); -1 after failing the call. upto: stop after the
    chunk holding this byte (the whole file when >= size). */
static int
s_file_decrypt (xc_call_t *call, const char *sha256, int64_t size, int64_t upto,
                unsigned char **plain_p)
{
    *plain_p = NULL;
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT header FROM files WHERE sha256 = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    int rc = sqlite3_step (stmt);
    bool ok = rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == (int) sizeof header;
    if (ok)
        memcpy (header, sqlite3_column_blob (stmt, 0), sizeof header);
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_call_fail_db (call, "file header");
    if (!ok)
        return 1;
    crypto_secretstream_xchacha20poly1305_state st;
    if (crypto_secretstream_xchacha20poly1305_init_pull (&st, header, s_files.stream_key) != 0)
        return 1;
    unsigned char *plain = malloc ((size_t) size + 1);
    if (!plain)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory reading a file");
    stmt = xc_call_stmt (call, "SELECT n, data FROM file_chunks WHERE sha256 = ?1 ORDER BY n");
    if (!stmt) {
        free (plain);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    int64_t at = 0, n_expected = 0;
    bool bad = false, final = false;
    while (!bad && !final && (rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        const unsigned char *c = sqlite3_column_blob (stmt, 1);
        size_t clen = (size_t) sqlite3_column_bytes (stmt, 1);
        unsigned long long mlen;
        unsigned char tag;
        if (sqlite3_column_int64 (stmt, 0) != n_expected++
            || clen < crypto_secretstream_xchacha20poly1305_ABYTES
            || clen - crypto_secretstream_xchacha20poly1305_ABYTES > (size_t) (size - at)
            || crypto_secretstream_xchacha20poly1305_pull (&st, plain + at, &mlen, &tag, c, clen,
                                                           (const unsigned char *) sha256, 64) != 0) {
            bad = true;
            break;
        }
        at += (int64_t) mlen;
        final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
        if (!final && at > upto)
            break;
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        free (plain);
        return xc_call_fail_db (call, "file chunks");
    }
    if (bad || (final ? at != size : at <= upto)) {
        free (plain);
        return 1;
    }
    *plain_p = plain;
    return 0;
}

/*  Stores plain (size bytes, already checked) as sha256's chunks and row. */
static int
s_file_store (xc_call_t *call, const char *sha256, const char *name, const char *type,
              const unsigned char *plain, int64_t size)
{
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_state st;
    crypto_secretstream_xchacha20poly1305_init_push (&st, header, s_files.stream_key);
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO files (sha256, name, type, size, header,"
                                       " stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, size);
    sqlite3_bind_blob (stmt, 5, header, sizeof header, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 6, xc_call_now (call));
    if (xc_call_exec (call, stmt, "file") != 0)
        return -1;
    unsigned char *c = malloc (XC_FILES_CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
    if (!c)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory storing a file");
    int64_t at = 0, n = 0;
    int status = 0;
    do {
        size_t len = size - at > XC_FILES_CHUNK ? XC_FILES_CHUNK : (size_t) (size - at);
        bool last = at + (int64_t) len == size;
        unsigned long long clen;
        crypto_secretstream_xchacha20poly1305_push (&st, c, &clen, plain + at, len,
                                                    (const unsigned char *) sha256, 64,
                                                    last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
        stmt = xc_call_stmt (call, "INSERT INTO file_chunks (sha256, n, data) VALUES (?1, ?2, ?3)");
        if (!stmt) {
            status = -1;
            break;
        }
        sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, n++);
        sqlite3_bind_blob (stmt, 3, c, (int) clen, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "file chunk") != 0) {
            status = -1;
            break;
        }
        at += (int64_t) len;
    } while (at < size);
    free (c);
    return status;
}

/*  A stored file's size, or 0 when none (-1 after failing). */
static int64_t
s_stored_size (xc_call_t *call, const char *sha256)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT size FROM files WHERE sha256 = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    int64_t size = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_call_fail_db (call, "file");
    return size;
}

static int
s_drop_upload (xc_call_t *call, const char *upload)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "DELETE FROM file_parts WHERE upload = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, upload, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "upload parts") != 0)
        return -1;
    stmt = xc_call_stmt (call, "DELETE FROM file_uploads WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, upload, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "upload");
}

/*  Drops (a bounded number of) unfinished uploads begun more than upload_days ago, whoever
    began them: run by every file.begin, so abandoned parts do not stay for ever. */
static int
s_purge_stale (xc_call_t *call)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT id FROM file_uploads WHERE complete = 0 AND started_at < ?1"
                                       " LIMIT 16");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, xc_call_now (call) - s_files.upload_seconds);
    json_t *stale = json_array ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        json_array_append_new (stale, json_string ((const char *) sqlite3_column_text (stmt, 0)));
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (stale);
        return xc_call_fail_db (call, "stale uploads");
    }
    size_t i;
    json_t *id;
    json_array_foreach (stale, i, id)
        if (s_drop_upload (call, json_string_value (id)) != 0) {
            json_decref (stale);
            return -1;
        }
    json_decref (stale);
    return 0;
}

/* ------------------------------------------------------------------ file.begin */

int
xc_files_begin (xc_call_t *call, void *state)
{
    (void) state;
    if (s_keyed (call) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *sha256 = json_string_value (json_object_get (data, "sha256"));
    const char *name = json_string_value (json_object_get (data, "name"));
    json_int_t size = json_integer_value (json_object_get (data, "size"));
    if (s_name_check (call, json_object_get (data, "name")) != 0)
        return -1;
    if (!xc_hex64 (sha256, false))
        return xc_call_fail (call, XC_E_SCHEMA, "data.sha256: expected 64 lowercase hex digits");
    if (s_purge_stale (call) != 0)
        return -1;
    if (size > s_files.max_bytes)
        return xc_call_fail (call, XC_E_TOO_LARGE, "data.size: %lld bytes is above the %lld bytes a"
                             " file may have (policies.%s.files.max_bytes)", (long long) size,
                             (long long) s_files.max_bytes, s_files.service);
    int64_t stored = s_stored_size (call, sha256);
    if (stored < 0)
        return -1;
    if (stored && stored != size)
        return xc_call_fail (call, XC_E_SCHEMA, "data.size: the file with this sha256 has %lld bytes,"
                             " not %lld", (long long) stored, (long long) size);
    const char *iss = xc_call_iss (call);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT id, size, offset, complete FROM file_uploads"
                                       " WHERE sender = ?1 AND sha256 = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, iss, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, sha256, -1, SQLITE_STATIC);
    char id[XC_UUID_LEN + 1] = "";
    int64_t had_size = 0, offset = 0;
    bool complete = false;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        snprintf (id, sizeof id, "%s", (const char *) sqlite3_column_text (stmt, 0));
        had_size = sqlite3_column_int64 (stmt, 1);
        offset = sqlite3_column_int64 (stmt, 2);
        complete = sqlite3_column_int (stmt, 3) != 0;
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_call_fail_db (call, "upload");
    if (*id && had_size != size) {
        /* the same bytes cannot have two sizes: the earlier begin lied, start again */
        if (s_drop_upload (call, id) != 0)
            return -1;
        *id = '\0';
    }
    if (!*id) {
        xc_uuid_new_ordered (id);
        stmt = xc_call_stmt (call, "INSERT INTO file_uploads (id, sender, sha256, name, size, offset,"
                             " complete, started_at) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6)");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 2, iss, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 3, sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text (stmt, 4, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 5, size);
        sqlite3_bind_int64 (stmt, 6, xc_call_now (call));
        if (xc_call_exec (call, stmt, "upload") != 0)
            return -1;
        offset = 0;
    }
    if (stored && !complete) {
        /* the file is already whole here: this sender's upload is done at once */
        stmt = xc_call_stmt (call, "DELETE FROM file_parts WHERE upload = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "upload parts") != 0)
            return -1;
        stmt = xc_call_stmt (call, "UPDATE file_uploads SET complete = 1, offset = size WHERE id = ?1");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        if (xc_call_exec (call, stmt, "upload") != 0)
            return -1;
        complete = true;
        offset = size;
    }
    xc_call_result (call, json_pack ("{s:s, s:I, s:b, s:I}", "upload", id, "offset", (json_int_t) offset,
                                     "complete", complete, "chunk_bytes", (json_int_t) s_files.chunk_bytes));
    return 0;
}

/* ------------------------------------------------------------------ file.append */

typedef struct {
    char id[XC_UUID_LEN + 1];
    char sha256[65];
    char name[256 * 4];
    int64_t size, offset;
    bool complete;
} upload_t;

/*  The sender's own upload: 1 found, 0 not (after failing not_found), -1 error. */
static int
s_upload_get (xc_call_t *call, const char *id, upload_t *u)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT sha256, name, size, offset, complete FROM file_uploads"
                                       " WHERE id = ?1 AND sender = ?2");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, xc_call_iss (call), -1, SQLITE_STATIC);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW) {
        snprintf (u->id, sizeof u->id, "%s", id);
        snprintf (u->sha256, sizeof u->sha256, "%s", (const char *) sqlite3_column_text (stmt, 0));
        snprintf (u->name, sizeof u->name, "%s", (const char *) sqlite3_column_text (stmt, 1));
        u->size = sqlite3_column_int64 (stmt, 2);
        u->offset = sqlite3_column_int64 (stmt, 3);
        u->complete = sqlite3_column_int (stmt, 4) != 0;
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return xc_call_fail_db (call, "upload");
    if (rc != SQLITE_ROW) {
        xc_call_fail (call, XC_E_NOT_FOUND, "no upload '%s' of yours", id);
        return 0;
    }
    return 1;
}

/*  Reads the upload's parts back into one buffer of its size. */
static int
s_parts_join (xc_call_t *call, const upload_t *u, unsigned char **plain_p)
{
    *plain_p = NULL;
    unsigned char *plain = malloc ((size_t) u->size + 1);
    if (!plain)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory joining an upload");
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT offset, data FROM file_parts WHERE upload = ?1"
                                       " ORDER BY offset");
    if (!stmt) {
        free (plain);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, u->id, -1, SQLITE_STATIC);
    int64_t at = 0;
    int rc;
    bool bad = false;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
        int64_t off = sqlite3_column_int64 (stmt, 0);
        const unsigned char *c = sqlite3_column_blob (stmt, 1);
        size_t clen = (size_t) sqlite3_column_bytes (stmt, 1);
        const size_t over = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
        char ad[128];
        size_t adlen = s_part_ad (u->id, off, ad, sizeof ad);
        unsigned long long mlen;
        if (off != at || clen < over || clen - over > (size_t) (u->size - at)
            || crypto_aead_xchacha20poly1305_ietf_decrypt (
                   plain + at, &mlen, NULL, c + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                   clen - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, (const unsigned char *) ad,
                   adlen, c, s_files.part_key) != 0) {
            bad = true;
            break;
        }
        at += (int64_t) mlen;
    }
    sqlite3_reset (stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        free (plain);
        return xc_call_fail_db (call, "upload parts");
    }
    if (bad || at != u->size) {
        free (plain);
        return xc_call_fail (call, XC_E_INTERNAL, "upload '%s': its parts do not decrypt", u->id);
    }
    *plain_p = plain;
    return 0;
}

/*  Refuses the finished upload for why, dropping it: its writes (the drop) are kept. */
static int
s_refuse_drop (xc_call_t *call, const upload_t *u, xc_code_t code, const char *why, const char *type)
{
    if (s_drop_upload (call, u->id) != 0)
        return -1;
    switch (code) {
    case XC_E_CONFLICT:
        return xc_call_fail_keep (call, XC_E_CONFLICT, "upload '%s': the bytes received do not have"
                                  " the sha256 it began with; dropped, begin again", u->id);
    default:
        break;
    }
    if (strcmp (why, "type") == 0)
        return type
            ? xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': files of type %s are not allowed"
                                 " (policies.%s.files.types); dropped", u->id, type, s_files.service)
            : xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': not a type allowed (only JPEG, PNG"
                                 " or PDF, recognised by content); dropped", u->id);
    if (strcmp (why, "truncated") == 0)
        return xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': a broken %s file; dropped", u->id, type);
    if (strcmp (why, "trailing") == 0)
        return xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': bytes after the end of the %s"
                                  " (another file hidden in it); dropped", u->id, type);
    if (strcmp (why, "crc") == 0)
        return xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': a PNG chunk with a wrong CRC;"
                                  " dropped", u->id);
    if (strcmp (why, "pixels") == 0)
        return xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': the image's width times height is"
                                  " zero or above %lld pixels (policies.%s.files.max_pixels); dropped",
                                  u->id, (long long) s_files.max_pixels, s_files.service);
    if (strcmp (why, "bomb") == 0)
        return xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': a PDF whose compressed streams inflate"
                                  " to more than %lld bytes (policies.%s.files.inflate_max_bytes: a"
                                  " decompression bomb); dropped", u->id, (long long) s_files.inflate_max,
                                  s_files.service);
    return xc_call_fail_keep (call, XC_E_SCHEMA, "upload '%s': a PDF with active content (JavaScript,"
                              " Launch or an embedded file); dropped", u->id);
}

/*  The last byte came: check the hash, the type by content, store the file. */
static int
s_upload_finish (xc_call_t *call, upload_t *u, const char **type_out)
{
    unsigned char *plain;
    if (s_parts_join (call, u, &plain) != 0)
        return -1;
    unsigned char digest[XC_SHA256_BYTES];
    char hex[65];
    xc_sha256 (plain, (size_t) u->size, NULL, 0, digest);
    xc_hex_encode (digest, sizeof digest, hex);
    if (strcmp (hex, u->sha256) != 0) {
        free (plain);
        return s_refuse_drop (call, u, XC_E_CONFLICT, "", NULL);
    }
    const char *type;
    xc_filetype_result_t r = xc_filetype_check (plain, (size_t) u->size, s_files.max_pixels,
                                                (size_t) s_files.inflate_max, &type);
    static const char *const whys[] = { [XC_FT_NOT_ALLOWED] = "type", [XC_FT_TRUNCATED] = "truncated",
                                        [XC_FT_TRAILING] = "trailing", [XC_FT_BAD_CRC] = "crc",
                                        [XC_FT_TOO_MANY_PIXELS] = "pixels",
                                        [XC_FT_ACTIVE_CONTENT] = "active", [XC_FT_BOMB] = "bomb" };
    if (r == XC_FT_OK && !s_type_allowed (type))
        r = XC_FT_NOT_ALLOWED;
    if (r != XC_FT_OK) {
        free (plain);
        return s_refuse_drop (call, u, XC_E_SCHEMA, whys[r], type);
    }
    int64_t stored = s_stored_size (call, u->sha256);
    int status = stored < 0 ? -1
                 : stored ? 0 : s_file_store (call, u->sha256, u->name, type, plain, u->size);
    sodium_memzero (plain, (size_t) u->size);
    free (plain);
    if (status != 0)
        return -1;
    sqlite3_stmt *stmt = xc_call_stmt (call, "DELETE FROM file_parts WHERE upload = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, u->id, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "upload parts") != 0)
        return -1;
    stmt = xc_call_stmt (call, "UPDATE file_uploads SET complete = 1 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, u->id, -1, SQLITE_STATIC);
    if (xc_call_exec (call, stmt, "upload") != 0)
        return -1;
    *type_out = type;
    return 0;
}

int
xc_files_append (xc_call_t *call, void *state)
{
    (void) state;
    if (s_keyed (call) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *id = json_string_value (json_object_get (data, "upload"));
    json_int_t offset = json_integer_value (json_object_get (data, "offset"));
    const char *b64 = json_string_value (json_object_get (data, "data"));
    upload_t u;
    int found = s_upload_get (call, id, &u);
    if (found <= 0)
        return -1;
    if (u.complete)
        return xc_call_fail (call, XC_E_CONFLICT, "upload '%s' is complete (offset %lld)", id,
                             (long long) u.offset);
    if (offset != u.offset)
        return xc_call_fail (call, XC_E_CONFLICT, "upload '%s' is at offset %lld, not %lld: go on from"
                             " there", id, (long long) u.offset, (long long) offset);
    size_t b64_len = strlen (b64);
    if (b64_len > (s_files.chunk_bytes + 2) / 3 * 4)
        return xc_call_fail (call, XC_E_TOO_LARGE, "data.data: more than %zu bytes in one part"
                             " (chunk_bytes)", s_files.chunk_bytes);
    size_t cap = b64_len / 4 * 3 + 3;
    unsigned char *bin = malloc (cap);
    size_t len = 0;
    if (!bin)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory decoding a part");
    if (sodium_base642bin (bin, cap, b64, b64_len, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0
        || len == 0) {
        free (bin);
        return xc_call_fail (call, XC_E_SCHEMA, "data.data: expected base64 (RFC 4648, with padding)"
                             " of at least one byte");
    }
    if (len > s_files.chunk_bytes || (int64_t) len > u.size - u.offset) {
        free (bin);
        return len > s_files.chunk_bytes
            ? xc_call_fail (call, XC_E_TOO_LARGE, "data.data: more than %zu bytes in one part"
                            " (chunk_bytes)", s_files.chunk_bytes)
            : xc_call_fail (call, XC_E_SCHEMA, "data.data: %zu bytes at offset %lld go past the"
                            " %lld bytes the upload began with", len, (long long) offset,
                            (long long) u.size);
    }
    const size_t nonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    size_t clen = nonce + len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    unsigned char *c = malloc (clen);
    if (!c) {
        free (bin);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory storing a part");
    }
    randombytes_buf (c, nonce);
    char ad[128];
    size_t adlen = s_part_ad (id, offset, ad, sizeof ad);
    crypto_aead_xchacha20poly1305_ietf_encrypt (c + nonce, NULL, bin, len, (const unsigned char *) ad,
                                                adlen, NULL, c, s_files.part_key);
    sodium_memzero (bin, len);
    free (bin);
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO file_parts (upload, offset, data) VALUES (?1, ?2, ?3)");
    int status = -1;
    if (stmt) {
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, offset);
        sqlite3_bind_blob (stmt, 3, c, (int) clen, SQLITE_STATIC);
        status = xc_call_exec (call, stmt, "upload part");
    }
    free (c);
    if (status != 0)
        return -1;
    u.offset += (int64_t) len;
    stmt = xc_call_stmt (call, "UPDATE file_uploads SET offset = ?2 WHERE id = ?1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, u.offset);
    if (xc_call_exec (call, stmt, "upload") != 0)
        return -1;
    const char *type = NULL;
    if (u.offset == u.size && s_upload_finish (call, &u, &type) != 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:b, s:s*}", "offset", (json_int_t) u.offset, "complete",
                                     u.offset == u.size, "type", type));
    return 0;
}

/* ------------------------------------------------------------------ file.status */

int
xc_files_status (xc_call_t *call, void *state)
{
    (void) state;
    if (s_keyed (call) != 0)
        return -1;
    upload_t u;
    int found = s_upload_get (call, json_string_value (json_object_get (xc_call_msg (call)->data, "upload")), &u);
    if (found <= 0)
        return -1;
    xc_call_result (call, json_pack ("{s:I, s:I, s:b, s:s}", "offset", (json_int_t) u.offset, "size",
                                     (json_int_t) u.size, "complete", u.complete, "sha256", u.sha256));
    return 0;
}

/* ------------------------------------------------------------------ file.read */

/*  Whether the caller may read the file: a reader of a record naming it, or its uploader
    while no record names it. 1, 0, -1 after failing. */
static int
s_may_read_file (xc_call_t *call, const char *sha256)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT record FROM file_refs WHERE sha256 = ?1 ORDER BY record");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    json_t *records = json_array ();
    int rc;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        json_array_append_new (records, json_string ((const char *) sqlite3_column_text (stmt, 0)));
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (records);
        return xc_call_fail_db (call, "file references");
    }
    int may = 0;
    size_t i;
    json_t *r;
    json_array_foreach (records, i, r) {
        may = s_files.may_read ? s_files.may_read (call, json_string_value (r), s_files.state) : 0;
        if (may != 0)
            break;
    }
    size_t n = json_array_size (records);
    json_decref (records);
    if (may != 0 || n > 0)
        return may;
    stmt = xc_call_stmt (call, "SELECT 1 FROM file_uploads WHERE sha256 = ?1 AND sender = ?2 AND complete = 1");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, xc_call_iss (call), -1, SQLITE_STATIC);
    return xc_call_exists (call, stmt, "upload");
}

/*  The last file read in pieces, whole and decrypted: a reader asks for its pieces in turn,
    and a secretstream is read from its start, so without it each piece would decrypt all the
    pieces before it again. One file, never more than max_bytes; only file.read uses it
    (file.check always reads the store). */
static struct {
    char sha256[65];
    unsigned char *plain;
    int64_t size;
} s_cache;

static void
s_cache_drop (void)
{
    if (s_cache.plain) {
        sodium_memzero (s_cache.plain, (size_t) s_cache.size);
        free (s_cache.plain);
    }
    s_cache.plain = NULL;
    s_cache.sha256[0] = '\0';
}

/*  The file's plain bytes up to end: from the cache, or decrypted (a file of more than one
    piece whole, into the cache; the caller must not free what is the cache's). 0, 1 when it
    does not decrypt, -1 after failing. */
static int
s_read_plain (xc_call_t *call, const char *sha256, int64_t size, int64_t end, unsigned char **plain_p)
{
    if (s_cache.plain && strcmp (s_cache.sha256, sha256) == 0 && s_cache.size == size) {
        *plain_p = s_cache.plain;
        return 0;
    }
    bool whole = size > (int64_t) s_files.read_bytes;
    int rc = s_file_decrypt (call, sha256, size, whole ? size : end - 1, plain_p);
    if (rc == 0 && whole) {
        s_cache_drop ();
        snprintf (s_cache.sha256, sizeof s_cache.sha256, "%s", sha256);
        s_cache.plain = *plain_p;
        s_cache.size = size;
    }
    return rc;
}

int
xc_files_read (xc_call_t *call, void *state)
{
    (void) state;
    if (s_keyed (call) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    const char *sha256 = json_string_value (json_object_get (data, "sha256"));
    json_int_t offset = json_integer_value (json_object_get (data, "offset"));
    if (!xc_hex64 (sha256, false))
        return xc_call_fail (call, XC_E_SCHEMA, "data.sha256: expected 64 lowercase hex digits");
    int64_t size = s_stored_size (call, sha256);
    if (size < 0)
        return -1;
    int may = size ? s_may_read_file (call, sha256) : 0;
    if (may < 0)
        return -1;
    if (!may)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no file %s", sha256);
    if (offset >= size)
        return xc_call_fail (call, XC_E_SCHEMA, "data.offset: %lld is not within the file's %lld bytes",
                             (long long) offset, (long long) size);
    int64_t end = offset + (int64_t) s_files.read_bytes < size ? offset + (int64_t) s_files.read_bytes : size;
    unsigned char *plain;
    int rc = s_read_plain (call, sha256, size, end, &plain);
    if (rc < 0)
        return -1;
    if (rc > 0)
        return xc_call_fail (call, XC_E_INTERNAL, "file %s does not decrypt: the store was changed"
                             " (xcctl audit verify)", sha256);
    sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT name, type FROM files WHERE sha256 = ?1");
    if (!stmt) {
        free (plain);
        return -1;
    }
    sqlite3_bind_text (stmt, 1, sha256, -1, SQLITE_STATIC);
    json_t *result = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        size_t b64_size = sodium_base64_ENCODED_LEN ((size_t) (end - offset), sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc (b64_size);
        if (b64) {
            sodium_bin2base64 (b64, b64_size, plain + offset, (size_t) (end - offset),
                               sodium_base64_VARIANT_ORIGINAL);
            result = json_pack ("{s:s, s:s, s:s, s:I, s:I, s:s, s:o}", "sha256", sha256,
                                "name", (const char *) sqlite3_column_text (stmt, 0),
                                "type", (const char *) sqlite3_column_text (stmt, 1),
                                "size", (json_int_t) size, "offset", offset, "data", b64,
                                "next", end < size ? json_integer (end) : json_null ());
            free (b64);
        }
    }
    sqlite3_reset (stmt);
    if (plain != s_cache.plain) {
        sodium_memzero (plain, (size_t) size);
        free (plain);
    }
    if (!result)
        return xc_call_fail (call, XC_E_INTERNAL, "file %s could not be read", sha256);
    xc_call_result (call, result);
    return 0;
}

/* ------------------------------------------------------------------ file.check */

int
xc_files_check (xc_call_t *call, void *state)
{
    (void) state;
    const json_t *data = xc_call_msg (call)->data;
    const char *after = json_string_value (json_object_get (data, "after"));
    json_t *limit_json = json_object_get (data, "limit");
    json_int_t limit = limit_json ? json_integer_value (limit_json) : 100;
    json_t *missing = json_array (), *mismatched = json_array (), *checked = json_array ();
    json_int_t n_refs = 0;
    const char *next = NULL;
    int status = 0;
    if (s_files.keyed) {
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT sha256, size FROM files WHERE sha256 > ?1"
                                           " ORDER BY sha256 LIMIT ?2");
        status = stmt ? 0 : -1;
        if (stmt) {
            sqlite3_bind_text (stmt, 1, after ? after : "", -1, SQLITE_STATIC);
            sqlite3_bind_int64 (stmt, 2, limit + 1);
            int rc;
            int64_t bytes = 0;
            /* a page: up to limit files, and no more bytes than XC_FILES_CHECK_BYTES (at least one) */
            while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
                int64_t size = sqlite3_column_int64 (stmt, 1);
                if ((json_int_t) json_array_size (checked) == limit
                    || (json_array_size (checked) > 0 && bytes + size > XC_FILES_CHECK_BYTES)) {
                    next = "more";
                    break;
                }
                bytes += size;
                json_array_append_new (checked, json_pack ("{s:s, s:I}", "sha256", sqlite3_column_text (stmt, 0),
                                                           "size", (json_int_t) size));
            }
            sqlite3_reset (stmt);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                status = xc_call_fail_db (call, "files");
        }
        size_t i;
        json_t *f;
        json_array_foreach (checked, i, f) {
            if (status != 0)
                break;
            const char *sha = json_string_value (json_object_get (f, "sha256"));
            int64_t size = json_integer_value (json_object_get (f, "size"));
            unsigned char *plain;
            int d = s_file_decrypt (call, sha, size, size, &plain);
            if (d < 0) {
                status = -1;
                break;
            }
            bool ok = false;
            if (d == 0) {
                unsigned char digest[XC_SHA256_BYTES];
                char hex[65];
                xc_sha256 (plain, (size_t) size, NULL, 0, digest);
                xc_hex_encode (digest, sizeof digest, hex);
                ok = strcmp (hex, sha) == 0;
                free (plain);
            }
            if (!ok)
                json_array_append_new (mismatched, json_string (sha));
        }
    }
    /* the references: every one counted on each page, the missing files named on the first */
    sqlite3_stmt *stmt = status == 0 ? xc_call_stmt (call, "SELECT r.sha256, r.record, f.sha256 IS NULL"
                                                     " FROM file_refs r LEFT JOIN files f ON f.sha256 = r.sha256"
                                                     " ORDER BY r.sha256, r.record") : NULL;
    if (stmt) {
        int rc;
        while ((rc = sqlite3_step (stmt)) == SQLITE_ROW) {
            n_refs++;
            if (!after && sqlite3_column_int (stmt, 2))
                json_array_append_new (missing, json_pack ("{s:s, s:s}", "sha256", sqlite3_column_text (stmt, 0),
                                                           "record", sqlite3_column_text (stmt, 1)));
        }
        sqlite3_reset (stmt);
        if (rc != SQLITE_DONE)
            status = xc_call_fail_db (call, "file references");
    }
    else
        status = -1;
    json_t *last = json_array_get (checked, json_array_size (checked) - 1);
    json_t *next_json = next && last ? json_incref (json_object_get (last, "sha256")) : json_null ();
    json_int_t n_files = (json_int_t) json_array_size (checked);
    json_decref (checked);
    if (status != 0) {
        json_decref (missing);
        json_decref (mismatched);
        json_decref (next_json);
        return -1;
    }
    xc_call_result (call, json_pack ("{s:I, s:I, s:o, s:o, s:o}", "files", n_files, "references", n_refs,
                                     "missing", missing, "mismatched", mismatched, "next", next_json));
    return 0;
}

/* ------------------------------------------------------------------ references */

int
xc_files_record_id (const char *record, const char *kind, long long *id)
{
    size_t n = strlen (kind);
    char tail;
    if (strncmp (record, kind, n) != 0 || record[n] != ':' || sscanf (record + n + 1, "%lld%c", id, &tail) != 1)
        return -1;
    return 0;
}

int
xc_files_link (xc_call_t *call, const json_t *evidence, const char *kind, long long id)
{
    char record[64];
    snprintf (record, sizeof record, "%s:%lld", kind, id);
    size_t i;
    json_t *e;
    json_array_foreach (evidence, i, e) {
        char sha[65];
        if (!s_hex64_lower (json_string_value (json_object_get (e, "sha256")), sha))
            return xc_call_fail (call, XC_E_SCHEMA, "data.evidence[%zu].sha256: expected 64 hex digits", i);
        int64_t stored = s_files.keyed ? s_stored_size (call, sha) : 0;
        if (stored < 0)
            return -1;
        if (stored) {
            sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR IGNORE INTO file_refs (sha256, record)"
                                               " VALUES (?1, ?2)");
            if (!stmt)
                return -1;
            sqlite3_bind_text (stmt, 1, sha, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 2, record, -1, SQLITE_STATIC);
            if (xc_call_exec (call, stmt, "file reference") != 0)
                return -1;
            continue;
        }
        sqlite3_stmt *stmt = xc_call_stmt (call, "SELECT 1 FROM file_uploads WHERE sha256 = ?1 AND complete = 0");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, sha, -1, SQLITE_STATIC);
        int uploading = xc_call_exists (call, stmt, "upload");
        if (uploading < 0)
            return -1;
        if (uploading)
            return xc_call_fail (call, XC_E_CONFLICT, "data.evidence[%zu]: the upload of %s is not"
                                 " complete", i, sha);
        if (!s_files.hash_only)
            return xc_call_fail (call, XC_E_CONFLICT, "data.evidence[%zu]: no stored file %s (upload it"
                                 " first: policies.%s.files.hash_only is false)", i, sha, s_files.service);
    }
    return 0;
}

int
xc_files_all_stored (xc_call_t *call, const json_t *evidence)
{
    if (json_array_size (evidence) == 0)
        return xc_call_fail (call, XC_E_CONFLICT, "no evidence file: the policy requires stored files");
    size_t i;
    json_t *e;
    json_array_foreach (evidence, i, e) {
        char sha[65];
        int64_t stored = s_files.keyed && s_hex64_lower (json_string_value (json_object_get (e, "sha256")), sha)
                       ? s_stored_size (call, sha) : 0;
        if (stored < 0)
            return -1;
        if (!stored)
            return xc_call_fail (call, XC_E_CONFLICT, "evidence[%zu] ('%s') is a hash without a stored"
                                 " file: the policy requires stored files",
                                 i, json_string_value (json_object_get (e, "file")));
    }
    return 1;
}
