/*  files.h: evidence files (佐证材料) kept by the service that owns their records
    (docs/files.md).

    The service's own store holds each file once, addressed by the SHA-256 of its plain bytes,
    encrypted with crypto_secretstream_xchacha20poly1305 (one stream per file, in chunks of
    XC_FILES_CHUNK bytes, each chunk bound to the file's hash as additional data) under a key
    derived from the service's secret_key. Uploads come in signed file.append commands, each
    part kept encrypted (secretbox) until the last byte; then the hash, the size and the type
    (filetype.h) are checked and the file stored in the same transaction, or the upload is
    dropped with the reason.

    A service uses it in four steps:
      1. its migrations end with { "files", XC_FILES_MIGRATION };
      2. its policy fields name { "files", XC_T_OBJECT, .fields = xc_files_policy_fields };
      3. its start hook calls xc_files_init with the callback that says whether the caller may
         read a record (the same access as the record's *.get);
      4. its route table holds XC_FILES_ROUTES (uploaders, checkers), and each command that
         takes evidence calls xc_files_link in its transaction.
    Records are named "<kind>:<id>" by the service ("problem:12", "claim:I-1:2").

    The module keeps one process-wide state: a service is one process.
*/
#ifndef XC_FILES_H
#define XC_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/schema.h"
#include "common/service.h"

#define XC_FILES_CHUNK 65536         /* plain bytes per secretstream chunk at rest */
#define XC_FILES_CHECK_BYTES (64 * 1024 * 1024)   /* decrypted by one file.check page at most */

/*  1 the caller may read the record, 0 not, -1 after failing the call (an error). */
typedef int (*xc_files_may_read_fn) (xc_call_t *call, const char *record, void *state);

extern const xc_field_t xc_files_policy_fields[];

#define XC_FILES_MIGRATION                                                                   \
    "CREATE TABLE files (sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL,"     \
    " size INTEGER NOT NULL, header BLOB NOT NULL, stored_at INTEGER NOT NULL) WITHOUT ROWID;" \
    "CREATE TABLE file_chunks (sha256 TEXT NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL,"  \
    " PRIMARY KEY (sha256, n)) WITHOUT ROWID;"                                               \
    "CREATE TABLE file_uploads (id TEXT PRIMARY KEY, sender TEXT NOT NULL, sha256 TEXT NOT NULL," \
    " name TEXT NOT NULL, size INTEGER NOT NULL, offset INTEGER NOT NULL,"                   \
    " complete INTEGER NOT NULL DEFAULT 0, started_at INTEGER NOT NULL) WITHOUT ROWID;"      \
    "CREATE UNIQUE INDEX file_uploads_by_sender ON file_uploads (sender, sha256);"           \
    "CREATE INDEX file_uploads_by_sha ON file_uploads (sha256, complete);"                   \
    "CREATE TABLE file_parts (upload TEXT NOT NULL, offset INTEGER NOT NULL, data BLOB NOT NULL," \
    " PRIMARY KEY (upload, offset)) WITHOUT ROWID;"                                          \
    "CREATE TABLE file_refs (sha256 TEXT NOT NULL, record TEXT NOT NULL,"                    \
    " PRIMARY KEY (sha256, record)) WITHOUT ROWID;"                                          \
    "CREATE INDEX file_refs_by_record ON file_refs (record, sha256);"

/*  Reads policies.<service>.files (checked by the service's own policy fields) and derives
    the key from services.<service>.secret_key. A service without a secret_key starts and
    refuses file.* (and links of stored files are not possible: entries stay hashes). */
int xc_files_init (xc_service_t *service, const char *name, xc_files_may_read_fn may_read,
                   void *state, xc_err_t *err);

/*  Links each entry of evidence ([{"file", "sha256"}], may be NULL) to the record kind:id, in the
    current transaction: a stored file is linked; an entry whose upload is not complete is
    refused (conflict: no half file is ever referenced); a hash with neither is accepted when
    policy files.hash_only is true (the default: records from paper), else refused. Returns 0,
    or -1 after failing the call. */
int xc_files_link (xc_call_t *call, const json_t *evidence, const char *kind, long long id);

/*  A record's name is "<kind>:<id>" (problem:7, item:7, referral:7). The id of record when it
    is of that kind: 0 and *id, else -1 (the callbacks answer "not readable" then). */
int xc_files_record_id (const char *record, const char *kind, long long *id);

/*  Whether every entry of evidence is a stored file (and there is at least one): 1 yes, 0 no
    (after failing the call with conflict naming the first that is not), -1 error. */
int xc_files_all_stored (xc_call_t *call, const json_t *evidence);

/*  The handlers of the five routes, and their data's fields. Each service lists the routes in
    its own table (so its page, security.md and openapi.py read them from its routes.c) with
    the arrays made from these lists there:
        static const xc_field_t s_file_begin[] = XC_FILES_BEGIN_FIELDS;
        { "file.begin", XC_COMMAND, uploaders, s_file_begin, xc_files_begin },
    file.begin, file.append and file.status (the sender's own uploads) for the roles that
    upload; file.read for the roles that read the records (the callback decides which file);
    file.check for the office and services: a page of the stored files by sha256 (after,
    limit, and at most XC_FILES_CHECK_BYTES decrypted), so one answer never holds the service
    long; the references' check comes with the first page. */
int xc_files_begin (xc_call_t *call, void *state);
int xc_files_append (xc_call_t *call, void *state);
int xc_files_status (xc_call_t *call, void *state);
int xc_files_read (xc_call_t *call, void *state);
int xc_files_check (xc_call_t *call, void *state);

#define XC_FILES_BEGIN_FIELDS {                                                              \
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 255 },          \
    { .name = "size", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },    \
    { .name = "sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },         \
    { .name = NULL } }
#define XC_FILES_APPEND_FIELDS {                                                             \
    { .name = "upload", .type = XC_T_STRING, .required = true, .min = 1, .max = 36 },         \
    { .name = "offset", .type = XC_T_INTEGER, .required = true, .min = 0, .max = INT64_MAX },  \
    { .name = "data", .type = XC_T_STRING, .required = true, .min = 1, .max = 16777216 },      \
    { .name = NULL } }
#define XC_FILES_STATUS_FIELDS {                                                             \
    { .name = "upload", .type = XC_T_STRING, .required = true, .min = 1, .max = 36 },         \
    { .name = NULL } }
#define XC_FILES_CHECK_FIELDS {                                                              \
    { .name = "after", .type = XC_T_STRING, .min = 64, .max = 64 },                            \
    { .name = "limit", .type = XC_T_INTEGER, .min = 1, .max = 1000 },                          \
    { .name = NULL } }
#define XC_FILES_READ_FIELDS {                                                               \
    { .name = "sha256", .type = XC_T_STRING, .required = true, .min = 64, .max = 64 },         \
    { .name = "offset", .type = XC_T_INTEGER, .min = 0, .max = INT64_MAX },                    \
    { .name = NULL } }

#endif
