/*  files.c: the console's static files (see files.h). */
#include "services/gateway/files.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Strict: the console has no inline script or style and no eval (htm parses its templates
   without Function); it talks only to its own origin; blob: images for photos chosen on a
   phone before they are sent. */
#define FILES_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; " \
                  "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; " \
                  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const char *const files_headers[][2] = {
    { "Content-Security-Policy", FILES_CSP },
    { "X-Content-Type-Options", "nosniff" },
    { "Referrer-Policy", "no-referrer" },
    { "X-Frame-Options", "DENY" },                      /* frame-ancestors for older browsers */
    { "Cross-Origin-Opener-Policy", "same-origin" },
    { "Cross-Origin-Resource-Policy", "same-origin" },
    /* no build step, so no hashed names: every use revalidates (a 304 when unchanged) */
    { "Cache-Control", "no-cache" },
    { NULL, NULL }
};

static const struct {
    const char *ext, *type;
} s_types[] = {
    { "html", "text/html; charset=utf-8" },
    { "js", "text/javascript; charset=utf-8" },
    { "mjs", "text/javascript; charset=utf-8" },
    { "css", "text/css; charset=utf-8" },
    { "svg", "image/svg+xml" },
    { "png", "image/png" },
    { "json", "application/json" },
    { "woff2", "font/woff2" },
    { "ico", "image/x-icon" },
    { "txt", "text/plain; charset=utf-8" },
    { "map", "application/json" },
};

const char *
files_type (const char *name)
{
    const char *slash = strrchr (name, '/');
    const char *dot = strrchr (slash ? slash + 1 : name, '.');
    if (!dot || dot[1] == '\0')
        return NULL;
    for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
        if (strcasecmp (dot + 1, s_types[i].ext) == 0)
            return s_types[i].type;
    return NULL;
}

int
files_path_key (const char *url, char *key, size_t key_size)
{
    size_t len = strlen (url);
    if (url[0] != '/' || len > FILES_MAX_PATH || strstr (url, "%00") || strchr (url, '\\'))
        return -1;
    for (const unsigned char *p = (const unsigned char *) url; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return -1;
    /* every segment between slashes: not empty (but the last), not starting with '.' (this
       refuses ".", ".." and hidden files alike) */
    for (const char *seg = url + 1;; seg++) {
        const char *end = strchr (seg, '/');
        if (seg[0] == '.' || (end == seg))
            return -1;
        if (!end)
            break;
        seg = end;
    }
    bool dir = url[len - 1] == '/';
    int n = snprintf (key, key_size, "%s%s", url, dir ? "index.html" : "");
    return n < 0 || (size_t) n >= key_size ? -1 : 0;
}

/* The next tag of an If-None-Match list at *p: its opaque part (quotes included) */
static bool
s_next_tag (const char **p, const char **tag, size_t *n)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t' || *s == ',')
        s++;
    if (!*s)
        return false;
    if (strncmp (s, "W/", 2) == 0)
        s += 2;
    const char *e = s;
    if (*e == '"') {
        e = strchr (e + 1, '"');
        e = e ? e + 1 : s + strlen (s);
    } else
        while (*e && *e != ',')
            e++;
    *tag = s;
    *n = (size_t) (e - s);
    *p = e;
    return true;
}

bool
files_etag_matches (const char *if_none_match, const char *etag)
{
    if (!if_none_match)
        return false;
    const char *p = if_none_match, *tag;
    size_t n;
    while (s_next_tag (&p, &tag, &n))
        if ((n == 1 && tag[0] == '*') || (n == strlen (etag) && memcmp (tag, etag, n) == 0))
            return true;
    return false;
}

static int
s_by_path (const void *a, const void *b)
{
    return strcmp (((const files_entry_t *) a)->path, ((const files_entry_t *) b)->path);
}

const files_entry_t *
files_find (const files_t *self, const char *key)
{
    if (!self || !self->n)
        return NULL;
    files_entry_t probe = { .path = (char *) key };
    return bsearch (&probe, self->entries, self->n, sizeof probe, s_by_path);
}

void
files_destroy (files_t *self)
{
    for (size_t i = 0; i < self->n; i++) {
        free (self->entries[i].path);
        free (self->entries[i].bytes);
    }
    free (self->entries);
    *self = (files_t) { 0 };
}

typedef struct {
    files_t *files;
    size_t cap, max_bytes;
    const char *top;                 /* the folder, resolved */
    size_t top_len;
    char *why;
    size_t why_size;
} s_walk_t;

/* Reads the file at real (resolved, inside the folder) as the entry rel. */
static int
s_add (s_walk_t *w, const char *real, const char *rel, const char *type, off_t size)
{
    files_t *f = w->files;
    if (f->n == FILES_MAX_ENTRIES) {
        snprintf (w->why, w->why_size, "services.gateway.web: more than %d files", FILES_MAX_ENTRIES);
        return -1;
    }
    if ((size_t) size > w->max_bytes - f->total) {
        snprintf (w->why, w->why_size, "services.gateway.web: '%s' makes the folder larger than "
                  "web_max_bytes (%zu)", real, w->max_bytes);
        return -1;
    }
    if (f->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        files_entry_t *e = realloc (f->entries, cap * sizeof *e);
        if (!e)
            goto oom;
        f->entries = e;
        w->cap = cap;
    }
    files_entry_t *e = &f->entries[f->n];
    *e = (files_entry_t) { .type = type, .len = (size_t) size };
    e->bytes = malloc (e->len ? e->len : 1);
    e->path = strdup (rel);
    if (!e->bytes || !e->path) {
        free (e->bytes);
        free (e->path);
        goto oom;
    }
    FILE *in = fopen (real, "rb");
    size_t got = in ? fread (e->bytes, 1, e->len, in) : 0;
    bool whole = in && got == e->len && fgetc (in) == EOF;
    if (in)
        fclose (in);
    if (!whole) {
        snprintf (w->why, w->why_size, "services.gateway.web: '%s' could not be read whole", real);
        free (e->bytes);
        free (e->path);
        return -1;
    }
    unsigned char hash[16];
    crypto_generichash (hash, sizeof hash, e->bytes, e->len, NULL, 0);
    char hex[33];
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    snprintf (e->etag, sizeof e->etag, "\"%s\"", hex);
    f->n++;
    f->total += e->len;
    return 0;
oom:
    snprintf (w->why, w->why_size, "services.gateway.web: out of memory");
    return -1;
}

static int
s_walk (s_walk_t *w, const char *dir, const char *rel, int depth)
{
    if (depth > 16)
        return 0;
    DIR *d = opendir (dir);
    if (!d) {
        snprintf (w->why, w->why_size, "services.gateway.web: '%s': %s", dir, strerror (errno));
        return -1;
    }
    int rc = 0;
    struct dirent *ent;
    while (rc == 0 && (ent = readdir (d))) {
        if (ent->d_name[0] == '.')   /* ., .. and hidden files: never served */
            continue;
        char path[PATH_MAX], sub[FILES_MAX_PATH + 1];
        if (snprintf (path, sizeof path, "%s/%s", dir, ent->d_name) >= (int) sizeof path
            || snprintf (sub, sizeof sub, "%s/%s", rel, ent->d_name) >= (int) sizeof sub)
            continue;                /* a name too long to be asked for */
        /* a symlink is followed only when where it leads is inside the folder */
        char real[PATH_MAX];
        struct stat st;
        if (!realpath (path, real) || stat (real, &st) != 0)
            continue;
        if (strncmp (real, w->top, w->top_len) != 0 || (real[w->top_len] != '/' && real[w->top_len]))
            continue;
        if (S_ISDIR (st.st_mode))
            rc = s_walk (w, real, sub, depth + 1);
        else if (S_ISREG (st.st_mode) && files_type (sub))
            rc = s_add (w, real, sub, files_type (sub), st.st_size);
    }
    closedir (d);
    return rc;
}

int
files_load (files_t *self, const char *root, size_t max_bytes, char *why, size_t why_size)
{
    *self = (files_t) { 0 };
    char top[PATH_MAX];
    if (!realpath (root, top)) {
        snprintf (why, why_size, "services.gateway.web: '%s': %s", root, strerror (errno));
        return -1;
    }
    s_walk_t w = { .files = self, .max_bytes = max_bytes, .top = top, .top_len = strlen (top),
                   .why = why, .why_size = why_size };
    if (s_walk (&w, top, "", 0) != 0) {
        files_destroy (self);
        return -1;
    }
    if (self->n)
        qsort (self->entries, self->n, sizeof *self->entries, s_by_path);
    return 0;
}
