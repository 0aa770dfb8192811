/*  registry_file.c: the registry's writers' lock, and its checked, atomic save (see
    registry_file.h). */
#include "common/registry_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/keys.h"

#define S_PATH_MAX 4096

int
xc_registry_lock (const char *path, xc_err_t *err)
{
    char lock[S_PATH_MAX];
    if (snprintf (lock, sizeof lock, "%s.lock", path) >= (int) sizeof lock) {
        xc_err_set (err, XC_E_IO, "registry path too long");
        return -1;
    }
    int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        xc_err_set (err, XC_E_IO, "unable to open '%s': %s", lock, strerror (errno));
        return -1;
    }
    while (flock (fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            xc_err_set (err, XC_E_IO, "unable to lock '%s': %s", lock, strerror (errno));
            close (fd);
            return -1;
        }
    }
    return fd;
}

void
xc_registry_unlock (int fd)
{
    if (fd >= 0)
        close (fd);                  /* closing the last descriptor releases the flock */
}

json_t *
xc_registry_read (const char *path, xc_err_t *err)
{
    json_error_t jerr;
    json_t *doc = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_array (json_object_get (doc, "principals"))) {
        xc_err_set (err, XC_E_CONFIG, "'%s': %s", path, doc ? "not a registry" : jerr.text);
        json_decref (doc);
        return NULL;
    }
    return doc;
}

/*  Flushes the folder holding path, so that the rename survives a power cut. */
static void
s_sync_folder (const char *path)
{
    char copy[S_PATH_MAX];
    snprintf (copy, sizeof copy, "%s", path);
    int fd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
}

int
xc_registry_save (const char *path, const json_t *doc, xc_err_t *err)
{
    char tmp[S_PATH_MAX];
    if (snprintf (tmp, sizeof tmp, "%s.new", path) >= (int) sizeof tmp)
        return xc_err_set (err, XC_E_IO, "registry path too long");
    char *text = json_dumps (doc, JSON_INDENT (2));
    if (!text)
        return xc_err_set (err, XC_E_CONFLICT, "the registry is not a JSON document");
    int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free (text);
        return xc_err_set (err, XC_E_IO, "unable to write '%s': %s", tmp, strerror (errno));
    }
    size_t len = strlen (text), done = 0;
    while (done < len) {
        ssize_t n = write (fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t) n;
    }
    free (text);
    if (done < len || write (fd, "\n", 1) != 1 || fsync (fd) != 0) {
        xc_err_set (err, XC_E_IO, "unable to write '%s': %s", tmp, strerror (errno));
        close (fd);
        unlink (tmp);
        return -1;
    }
    close (fd);
    /* the services' own parser judges it before anyone can read it */
    xc_registry_t *check = NULL;
    xc_err_t why;
    if (xc_registry_load (tmp, &check, &why) != 0) {
        unlink (tmp);
        return xc_err_set (err, XC_E_CONFLICT, "the registry would not load: %s; nothing changed", why.text);
    }
    xc_registry_destroy (&check);
    if (rename (tmp, path) != 0) {
        xc_err_set (err, XC_E_IO, "unable to replace '%s': %s", path, strerror (errno));
        unlink (tmp);
        return -1;
    }
    s_sync_folder (path);
    return 0;
}

json_t *
xc_registry_service_keys (const json_t *doc, const xc_config_t *cfg)
{
    json_t *keys = json_array ();
    size_t i;
    json_t *p;
    json_array_foreach (json_object_get (doc, "principals"), i, p) {
        const char *iss = json_string_value (json_object_get (p, "iss"));
        const char *role = json_string_value (json_object_get (p, "role"));
        if (!iss || !role || strcmp (role, "service") != 0 || !xc_config_service (cfg, iss))
            continue;
        size_t k;
        json_t *key;
        json_array_foreach (json_object_get (p, "keys"), k, key) {
            json_t *jwk = json_pack ("{s:s, s:s, s:O?, s:O?, s:s, s:s, s:s, s:O?, s:O?}",
                                     "kty", "OKP", "crv", "Ed25519",
                                     "kid", json_object_get (key, "kid"),
                                     "x", json_object_get (key, "x"), "alg", "EdDSA", "use", "sig",
                                     "iss", iss, "not_before", json_object_get (key, "not_before"),
                                     "not_after", json_object_get (key, "not_after"));
            if (jwk)
                json_array_append_new (keys, jwk);
        }
    }
    return json_pack ("{s:o}", "keys", keys);
}
