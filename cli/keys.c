/*  keys.c: xcctl keys export [--out FILE]: the public keys of the deployment's services, from
    the registry file, as the JWK Set the gateway serves at /v1/keys. The office hands it to a
    reader (an auditor) who loads it into the console's 核验 page, so that what the reader's
    browser trusts is the file they were given, not whatever the gateway serves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/tools.h"
#include "common/registry_file.h"

int
ctl_keys (ctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || strcmp (argv[0], "export") != 0) {
        if (argc > 0 && argv[0][0] != '-')
            fprintf (stderr, "xcctl: keys has no verb '%s'; did you mean 'export'?\n", argv[0]);
        fprintf (stderr, "usage: xcctl keys export [--out FILE.json]\n");
        return CTL_USAGE;
    }
    const char *out = ctl_opt (argc - 1, argv + 1, "--out");
    xc_err_t err;
    json_t *doc = xc_registry_read (ctl->config->registry, &err);
    if (!doc) {
        fprintf (stderr, "xcctl: keys export: %s\n", err.text);
        return CTL_LOCAL;
    }
    json_t *keys = xc_registry_service_keys (doc, ctl->config);
    json_decref (doc);
    size_t n = json_array_size (json_object_get (keys, "keys"));
    char *text = json_dumps (keys, JSON_INDENT (1) | JSON_ENSURE_ASCII);
    json_decref (keys);
    if (!text)
        return CTL_LOCAL;
    int rc = CTL_OK;
    if (!out)
        printf ("%s\n", text);
    else if (ctl_write_file (out, text, strlen (text)) != 0) {
        fprintf (stderr, "xcctl: keys export: cannot write '%s'\n", out);
        rc = CTL_LOCAL;
    }
    else
        fprintf (stderr, "xcctl: %zu public keys of %s's services written to %s\n", n,
                 ctl->config->deployment, out);
    free (text);
    return rc;
}
