/*  files_test.c: the console's files (files.h): the path to its key or the refusal, the types,
    the ETag match, the headers, and the table read from a folder with symlinks in and out. */
#include "services/gateway/files.h"

#include "tests/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
test_path_key (void)
{
    static const struct {
        const char *url, *key;      /* key NULL: refused */
    } rows[] = {
        { "/", "/index.html" },
        { "/app.js", "/app.js" },
        { "/vendor/", "/vendor/index.html" },
        { "/vendor/preact/preact.mjs", "/vendor/preact/preact.mjs" },
        { "/a..b.js", "/a..b.js" },                  /* dots inside a name are a name */
        { "/..", NULL },
        { "/../x", NULL },
        { "/a/../x", NULL },
        { "/a/..", NULL },
        { "/./x", NULL },
        { "/.hidden", NULL },
        { "/a/.git/config", NULL },
        { "//x", NULL },
        { "/a//x", NULL },
        { "/a\\..\\x", NULL },
        { "/x%00.png", NULL },                       /* framing.c keeps %00 as it is */
        { "/x\x01", NULL },
        { "/x\x7f", NULL },
        { "x", NULL },
        { "", NULL },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char key[FILES_MAX_PATH + 16] = "";
        int rc = files_path_key (rows[i].url, key, sizeof key);
        if (rows[i].key) {
            CHECK_INT (rc, 0);
            CHECK_STR (key, rows[i].key);
        } else
            CHECK_INT (rc, -1);
    }
    char longer[FILES_MAX_PATH + 8];
    memset (longer, 'a', sizeof longer - 1);
    longer[0] = '/';
    longer[sizeof longer - 1] = '\0';
    char key[FILES_MAX_PATH + 16];
    CHECK_INT (files_path_key (longer, key, sizeof key), -1);
}

static void
test_types (void)
{
    CHECK_STR (files_type ("/index.html"), "text/html; charset=utf-8");
    CHECK_STR (files_type ("/app.js"), "text/javascript; charset=utf-8");
    CHECK_STR (files_type ("/v/preact.mjs"), "text/javascript; charset=utf-8");
    CHECK_STR (files_type ("/a.CSS"), "text/css; charset=utf-8");
    CHECK_STR (files_type ("/i.svg"), "image/svg+xml");
    CHECK_STR (files_type ("/i.png"), "image/png");
    CHECK_STR (files_type ("/m.json"), "application/json");
    CHECK_STR (files_type ("/f.woff2"), "font/woff2");
    CHECK (files_type ("/LICENSE") == NULL);
    CHECK (files_type ("/a.exe") == NULL);
    CHECK (files_type ("/a.js/LICENSE") == NULL);    /* the name's extension, not a folder's */
    CHECK (files_type ("/a.") == NULL);
}

static void
test_etag (void)
{
    const char *tag = "\"abc\"";
    CHECK (files_etag_matches ("\"abc\"", tag));
    CHECK (files_etag_matches ("W/\"abc\"", tag));
    CHECK (files_etag_matches ("\"x\", \"abc\"", tag));
    CHECK (files_etag_matches ("*", tag));
    CHECK (!files_etag_matches ("\"abcd\"", tag));
    CHECK (!files_etag_matches ("abc", tag));
    CHECK (!files_etag_matches ("", tag));
    CHECK (!files_etag_matches (NULL, tag));
    CHECK (!files_etag_matches ("\"ab", tag));
}

static void
test_headers (void)
{
    const char *csp = NULL, *nosniff = NULL, *referrer = NULL;
    for (size_t i = 0; files_headers[i][0]; i++) {
        if (strcmp (files_headers[i][0], "Content-Security-Policy") == 0)
            csp = files_headers[i][1];
        if (strcmp (files_headers[i][0], "X-Content-Type-Options") == 0)
            nosniff = files_headers[i][1];
        if (strcmp (files_headers[i][0], "Referrer-Policy") == 0)
            referrer = files_headers[i][1];
    }
    CHECK (csp && strstr (csp, "script-src 'self';") && strstr (csp, "object-src 'none'")
           && strstr (csp, "base-uri 'none'") && strstr (csp, "frame-ancestors 'none'")
           && strstr (csp, "default-src 'self'") && !strstr (csp, "unsafe"));
    CHECK_STR (nosniff, "nosniff");
    CHECK_STR (referrer, "no-referrer");
}

static void
s_write (const char *path, const char *text)
{
    FILE *f = fopen (path, "w");
    CHECK (f != NULL);
    fputs (text, f);
    fclose (f);
}

static void
test_load (void)
{
    char top[] = "/tmp/xc-files-XXXXXX";
    CHECK (mkdtemp (top) != NULL);
    char web[256], p[512], q[512];
    snprintf (web, sizeof web, "%s/web", top);
    CHECK_INT (mkdir (web, 0755), 0);
    snprintf (p, sizeof p, "%s/index.html", web);
    s_write (p, "<p>巡察</p>");
    snprintf (p, sizeof p, "%s/sub", web);
    mkdir (p, 0755);
    snprintf (p, sizeof p, "%s/sub/a.js", web);
    s_write (p, "export {};");
    snprintf (p, sizeof p, "%s/.env.json", web);
    s_write (p, "{}");
    snprintf (p, sizeof p, "%s/README", web);
    s_write (p, "no type");
    snprintf (p, sizeof p, "%s/secret.json", top);
    s_write (p, "{\"s\":1}");
    snprintf (q, sizeof q, "%s/out.json", web);
    CHECK_INT (symlink (p, q), 0);
    snprintf (q, sizeof q, "%s/up", web);
    CHECK_INT (symlink (top, q), 0);
    snprintf (p, sizeof p, "%s/index.html", web);
    snprintf (q, sizeof q, "%s/alias.html", web);
    CHECK_INT (symlink (p, q), 0);

    files_t files;
    char why[512] = "";
    CHECK_INT (files_load (&files, web, 1 << 20, why, sizeof why), 0);
    CHECK_INT ((int) files.n, 3);               /* index.html, alias.html, sub/a.js */
    const files_entry_t *e = files_find (&files, "/index.html");
    CHECK (e && e->len == strlen ("<p>巡察</p>") && memcmp (e->bytes, "<p>巡察</p>", e->len) == 0);
    CHECK (e && strlen (e->etag) == 34 && e->etag[0] == '"');
    const files_entry_t *alias = files_find (&files, "/alias.html");
    CHECK (alias && e && strcmp (alias->etag, e->etag) == 0);
    CHECK (files_find (&files, "/sub/a.js") != NULL);
    CHECK (files_find (&files, "/out.json") == NULL);
    CHECK (files_find (&files, "/up/secret.json") == NULL);
    CHECK (files_find (&files, "/.env.json") == NULL);
    CHECK (files_find (&files, "/README") == NULL);
    files_destroy (&files);

    CHECK_INT (files_load (&files, web, 10, why, sizeof why), -1);
    CHECK (strstr (why, "web_max_bytes (10)") != NULL);
    snprintf (p, sizeof p, "%s/none", top);
    CHECK_INT (files_load (&files, p, 1 << 20, why, sizeof why), -1);
    CHECK (strstr (why, "none") != NULL);

    char cmd[600];
    snprintf (cmd, sizeof cmd, "rm -rf '%s'", top);
    CHECK_INT (system (cmd), 0);
}

int
main (void)
{
    RUN (test_path_key);
    RUN (test_types);
    RUN (test_etag);
    RUN (test_headers);
    RUN (test_load);
    HARNESS_END ();
}
