/*  files.h: the console's static files, services.gateway.web (docs/services/gateway.md,
    "The console's files").

    The folder is read whole at start into a table (path -> bytes, type, ETag); a request can
    only name an entry of that table, compared as a string. So nothing outside the folder can
    be reached (no path is ever joined to the folder at request time), a file is never read in
    the poll loop, and what is served does not change under a running gateway (a new web/ needs
    a restart, as a new certificate does). The decisions (the path, the type, the ETag match,
    the headers) are apart from the reading and do no I/O (files_test.c).
*/
#ifndef XC_GATEWAY_FILES_H
#define XC_GATEWAY_FILES_H

#include <stdbool.h>
#include <stddef.h>

#define FILES_MAX_BYTES_DEFAULT (16u * 1024 * 1024)  /* the whole folder */
#define FILES_MAX_ENTRIES 4096
#define FILES_MAX_PATH 512

typedef struct {
    char *path;                      /* "/index.html", "/vendor/preact.module.js" */
    const char *type;                /* Content-Type (static text) */
    unsigned char *bytes;
    size_t len;
    char etag[40];                   /* "\"<32 hex digits>\"", a hash of the bytes */
} files_entry_t;

typedef struct {
    files_entry_t *entries;          /* sorted by path */
    size_t n;
    size_t total;                    /* bytes */
} files_t;

/*  The Content-Type served for a file name, by its extension (html, js, mjs, css, svg, png,
    json, woff2, ico, txt, map); NULL for any other: such a file is not served. */
const char *files_type (const char *name);

/*  The table key for a request path (libmicrohttpd's, %XX decoded but %00 kept): 0 and key
    ("/" and any "/dir/" -> its index.html), or -1 when the path is refused whatever the folder
    holds: not starting with '/', a "." or ".." segment, an empty segment ("//"), a segment
    starting with '.', a backslash, a control byte or "%00", longer than FILES_MAX_PATH. */
int files_path_key (const char *url, char *key, size_t key_size);

/*  Whether an If-None-Match value (a list, "*", weak tags) matches etag (RFC 9110 13.1.2:
    weak comparison). */
bool files_etag_matches (const char *if_none_match, const char *etag);

/*  The headers every file answer carries (CSP, nosniff, ...): n pairs, NULL-terminated. */
extern const char *const files_headers[][2];

/*  Reads the folder root (symlinks followed only while they stay inside it; names starting
    with '.' and files of no known type skipped) into *self. 0, or -1 and why (the folder or
    the file at fault): unreadable, more than max_bytes in all, more than FILES_MAX_ENTRIES. */
int files_load (files_t *self, const char *root, size_t max_bytes, char *why, size_t why_size);

/*  The entry for key (files_path_key's), or NULL. */
const files_entry_t *files_find (const files_t *self, const char *key);

void files_destroy (files_t *self);

#endif
