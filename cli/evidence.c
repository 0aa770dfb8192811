/*  evidence.c: xcctl file put|get --service S (evidence files, docs/files.md) and the files'
    part of xcctl audit verify (file.check on each service that keeps files). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/codec.h"
#include "common/hash.h"
#include "common/text.h"

/* the services that keep files (common/files.h) */
static const char *const s_keepers[] = { "intake", "rectify", "referral", NULL };

static bool
s_keeps_files (const char *service)
{
    for (int i = 0; s_keepers[i]; i++)
        if (strcmp (s_keepers[i], service) == 0)
            return true;
    return false;
}

/*  The whole file at path (xc_buf_t grows it); a read error is an error, not the file's end. */
static int
s_read_all (const char *path, unsigned char **data_p, size_t *len_p)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        fprintf (stderr, "xcctl: file put: cannot read %s\n", path);
        return CTL_LOCAL;
    }
    xc_buf_t b = { 0 };
    char piece[65536];
    size_t n;
    while ((n = fread (piece, 1, sizeof piece, f)) > 0)
        xc_buf_put (&b, piece, n);
    bool broken = ferror (f) != 0;
    fclose (f);
    if (broken || b.failed) {
        fprintf (stderr, "xcctl: file put: %s reading %s\n", broken ? "an error" : "out of memory", path);
        xc_buf_free (&b);
        return CTL_LOCAL;
    }
    *data_p = (unsigned char *) b.data;   /* NULL for an empty file: the caller says so */
    *len_p = b.len;
    return CTL_OK;
}

/*  put: begin (or resume), append the rest in chunk_bytes parts; prints sha256, type, size. */
static int
s_put (ctl_t *ctl, const char *service, const char *path, const char *name)
{
    unsigned char *data;
    size_t len;
    int rc = s_read_all (path, &data, &len);
    if (rc != CTL_OK)
        return rc;
    if (len == 0) {
        free (data);
        fprintf (stderr, "xcctl: file put: %s is empty\n", path);
        return CTL_LOCAL;
    }
    unsigned char digest[XC_SHA256_BYTES];
    char hex[65];
    xc_sha256 (data, len, NULL, 0, digest);
    xc_hex_encode (digest, sizeof digest, hex);
    if (!name) {
        name = strrchr (path, '/');
        name = name ? name + 1 : path;
    }
    json_t *begun = ctl_call (ctl, service, "file.begin",
                              json_pack ("{s:s, s:I, s:s}", "name", name, "size", (json_int_t) len, "sha256", hex),
                              &rc, NULL);
    if (!begun) {
        free (data);
        return rc;
    }
    char upload[XC_UUID_LEN + 1];
    snprintf (upload, sizeof upload, "%s", json_string_value (json_object_get (begun, "upload")));
    json_int_t offset = json_integer_value (json_object_get (begun, "offset"));
    size_t chunk = (size_t) json_integer_value (json_object_get (begun, "chunk_bytes"));
    json_t *last = begun;
    while ((size_t) offset < len && chunk > 0) {
        size_t n = len - (size_t) offset < chunk ? len - (size_t) offset : chunk;
        size_t b64_size = sodium_base64_ENCODED_LEN (n, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc (b64_size);
        if (!b64) {
            rc = CTL_LOCAL;
            break;
        }
        sodium_bin2base64 (b64, b64_size, data + offset, n, sodium_base64_VARIANT_ORIGINAL);
        json_t *got = ctl_call (ctl, service, "file.append",
                                json_pack ("{s:s, s:I, s:s}", "upload", upload, "offset", offset, "data", b64),
                                &rc, NULL);
        free (b64);
        if (!got)
            break;
        json_decref (last);
        last = got;
        offset = json_integer_value (json_object_get (got, "offset"));
    }
    free (data);
    if ((size_t) offset < len || !last) {
        json_decref (last);
        return rc != CTL_OK ? rc : CTL_BAD_REPLY;
    }
    json_t *out = json_pack ("{s:s, s:s, s:I, s:O*}", "sha256", hex, "name", name, "size", (json_int_t) len,
                             "type", json_object_get (last, "type"));
    ctl_print (ctl, out);
    json_decref (out);
    json_decref (last);
    return CTL_OK;
}

/*  get: every piece of file.read, the bytes checked against the hash, written atomically. */
static int
s_get (ctl_t *ctl, const char *service, const char *sha256, const char *out_path)
{
    size_t cap = 0, len = 0;
    unsigned char *data = NULL;
    json_int_t offset = 0;
    int rc = CTL_OK;
    for (;;) {
        json_t *piece = ctl_call (ctl, service, "file.read",
                                  json_pack ("{s:s, s:I}", "sha256", sha256, "offset", offset), &rc, NULL);
        if (!piece)
            break;
        json_int_t size = json_integer_value (json_object_get (piece, "size"));
        if (!data) {
            cap = (size_t) size;
            data = malloc (cap ? cap : 1);
        }
        const char *b64 = json_string_value (json_object_get (piece, "data"));
        size_t n = 0;
        if (!data || !b64 || json_integer_value (json_object_get (piece, "offset")) != (json_int_t) len
            || sodium_base642bin (data + len, cap - len, b64, strlen (b64), NULL, &n, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0) {
            json_decref (piece);
            fprintf (stderr, "xcctl: file get: %s answered a piece that does not follow\n", service);
            rc = CTL_BAD_REPLY;
            break;
        }
        len += n;
        json_t *next = json_object_get (piece, "next");
        bool more = json_is_integer (next);
        offset = more ? json_integer_value (next) : 0;
        json_decref (piece);
        if (!more)
            break;
    }
    if (rc == CTL_OK) {
        unsigned char digest[XC_SHA256_BYTES];
        char hex[65];
        xc_sha256 (data, len, NULL, 0, digest);
        xc_hex_encode (digest, sizeof digest, hex);
        if (len != cap || strcmp (hex, sha256) != 0) {
            fprintf (stderr, "xcctl: file get: the bytes %s sent have the sha256 %s, not %s\n", service, hex, sha256);
            rc = CTL_AUDIT;
        }
        else if (ctl_write_file (out_path, (const char *) data, len) != 0) {
            fprintf (stderr, "xcctl: file get: cannot write %s\n", out_path);
            rc = CTL_LOCAL;
        }
    }
    free (data);
    return rc;
}

int
ctl_file (ctl_t *ctl, int argc, char **argv)
{
    const char *service = NULL, *sha256 = NULL, *out = NULL, *name = NULL, *path = NULL;
    const char *verb = argc > 0 ? argv[0] : "";
    for (int i = 1; i < argc; i++) {
        const char **slot = strcmp (argv[i], "--service") == 0 ? &service
                            : strcmp (argv[i], "--sha256") == 0 ? &sha256
                            : strcmp (argv[i], "--out") == 0 ? &out
                            : strcmp (argv[i], "--name") == 0 ? &name : NULL;
        if (slot && i + 1 < argc)
            *slot = argv[++i];
        else if (!slot && argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf (stderr, "xcctl: file: unexpected '%s'\n", argv[i]);
            return CTL_USAGE;
        }
    }
    bool put = strcmp (verb, "put") == 0, get = strcmp (verb, "get") == 0;
    if ((!put && !get) || !service || (put && (!path || sha256 || out)) || (get && (!sha256 || !out || path || name))) {
        fprintf (stderr, "usage: xcctl file put --service S [--name NAME] FILE\n"
                         "       xcctl file get --service S --sha256 HASH --out FILE\n");
        return CTL_USAGE;
    }
    if (!s_keeps_files (service) || !xc_config_service (ctl->config, service)) {
        fprintf (stderr, "xcctl: file: '%s' keeps no files (intake, rectify, referral)\n", service);
        return CTL_USAGE;
    }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    return put ? s_put (ctl, service, path, name) : s_get (ctl, service, sha256, out);
}

/*  Prints and records one failure of service's files. */
static void
s_file_failure (const char *service, json_t *report, const char *problem)
{
    fprintf (stderr, "xcctl: audit: %s: %s\n", service, problem);
    json_array_append_new (json_object_get (report, "failures"),
                           json_pack ("{s:s, s:s}", "service", service, "problem", problem));
}

int
ctl_audit_files (ctl_t *ctl, const char *service, json_t *report, int *call_rc)
{
    if (!s_keeps_files (service))
        return 0;
    int failures = 0;
    json_int_t files = 0;
    char after[65] = "";
    /* page by page: each answer checks a bounded number of bytes */
    for (;;) {
        int rc;
        json_t *data = *after ? json_pack ("{s:s}", "after", after) : json_object ();
        json_t *res = ctl_call (ctl, service, "file.check", data, &rc, NULL);
        if (!res) {
            *call_rc = rc;
            return failures + (rc == CTL_DOWN ? 0 : 1);
        }
        files += json_integer_value (json_object_get (res, "files"));
        size_t i;
        json_t *v;
        char problem[256];
        json_array_foreach (json_object_get (res, "missing"), i, v) {
            snprintf (problem, sizeof problem, "file %s named by %s is missing",
                      json_string_value (json_object_get (v, "sha256")),
                      json_string_value (json_object_get (v, "record")));
            s_file_failure (service, report, problem);
            failures++;
        }
        json_array_foreach (json_object_get (res, "mismatched"), i, v) {
            snprintf (problem, sizeof problem, "file %s does not decrypt to its sha256 (changed in the store)",
                      json_string_value (v));
            s_file_failure (service, report, problem);
            failures++;
        }
        const char *next = json_string_value (json_object_get (res, "next"));
        bool more = next && strlen (next) == 64 && strcmp (next, after) > 0;
        if (more)
            snprintf (after, sizeof after, "%s", next);
        json_decref (res);
        if (!more)
            break;
    }
    /* the service's row of the table (s_verify's, the last one): its files, and FAILED */
    json_t *rows = json_object_get (report, "services");
    json_t *row = json_array_get (rows, json_array_size (rows) - 1);
    if (row && strcmp (json_string_value (json_object_get (row, "service")), service) == 0) {
        json_object_set_new (row, "files", json_integer (files));
        if (failures)
            json_object_set_new (row, "result", json_string ("FAILED"));
    }
    return failures;
}
