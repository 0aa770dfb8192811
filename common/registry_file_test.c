/*  registry_file_test.c: the registry writers' lock, and a save that is checked by the
    services' parser before it replaces the file. */
#include "common/registry_file.h"

#include "common/keys.h"
#include "tests/harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static char *
s_read (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    static char buf[8192];
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = 0;
    return strdup (buf);
}

static void
test_save_checked (void)
{
    char dir[64], path[128], tmp[160];
    h_tmpdir (dir, sizeof dir, "regfile");
    snprintf (path, sizeof path, "%s/principals.json", dir);
    snprintf (tmp, sizeof tmp, "%s.new", path);
    xc_key_t key;
    CHECK (xc_key_generate (&key, "office#1", NULL) == 0);
    json_t *jwk = xc_key_public_jwk (&key);
    json_object_set_new (jwk, "not_before", json_string ("2020-01-01T00:00:00Z"));
    json_object_set_new (jwk, "not_after", json_string ("2099-01-01T00:00:00Z"));
    json_t *doc = json_pack ("{s:[{s:s, s:s, s:[O]}]}", "principals", "iss", "office", "role", "office", "keys", jwk);
    xc_err_t err;
    CHECK (xc_registry_save (path, doc, &err) == 0);
    xc_registry_t *reg = NULL;
    CHECK (xc_registry_load (path, &reg, &err) == 0);
    CHECK (reg && xc_registry_principal (reg, "office") != NULL);
    xc_registry_destroy (&reg);
    char *before = s_read (path);
    /* a document the services would refuse (the same kid twice): conflict, file unchanged */
    json_t *bad = json_deep_copy (doc);
    json_array_append_new (json_object_get (bad, "principals"),
                           json_pack ("{s:s, s:s, s:[O]}", "iss", "other", "role", "team", "keys", jwk));
    CHECK (xc_registry_save (path, bad, &err) == -1);
    CHECK_INT (err.code, XC_E_CONFLICT);
    char *after = s_read (path);
    CHECK (before && after && strcmp (before, after) == 0);
    CHECK (access (tmp, F_OK) != 0);           /* no temporary left behind */
    json_t *read = xc_registry_read (path, &err);
    CHECK (read && json_equal (read, doc));
    json_decref (read);
    free (before);
    free (after);
    json_decref (bad);
    json_decref (doc);
    json_decref (jwk);
    h_rmtree (dir);
}

static void
test_lock_excludes (void)
{
    char dir[64], path[128], lock_path[160];
    h_tmpdir (dir, sizeof dir, "reglock");
    snprintf (path, sizeof path, "%s/principals.json", dir);
    snprintf (lock_path, sizeof lock_path, "%s.lock", path);
    xc_err_t err;
    int fd = xc_registry_lock (path, &err);
    CHECK (fd >= 0);
    int other = open (lock_path, O_RDWR);
    CHECK (other >= 0 && flock (other, LOCK_EX | LOCK_NB) == -1);   /* held */
    xc_registry_unlock (fd);
    CHECK (flock (other, LOCK_EX | LOCK_NB) == 0);                  /* released */
    close (other);
    /* a registry that is not one is said so */
    FILE *f = fopen (path, "w");
    fputs ("{\"principal\": []}", f);
    fclose (f);
    CHECK (xc_registry_read (path, &err) == NULL && err.code == XC_E_CONFIG);
    h_rmtree (dir);
}

int
main (void)
{
    RUN (test_save_checked);
    RUN (test_lock_excludes);
    HARNESS_END ();
}
