/*  qr.c: xcctl qr --round R [--unit U] [--format png|svg] --out FILE: the QR of the public
    page's address for a round (and unit), as the gateway serves it at /v1/public/qr, for an
    office that prints posters without the console. The address is
    services.gateway.public.base_url + "/public/?round=R&unit=U". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/tools.h"
#include "common/qr.h"

/* an id as the services take it: 1-64 of A-Z a-z 0-9 . _ : - */
static bool
s_id_ok (const char *s)
{
    size_t n = strlen (s);
    return n >= 1 && n <= 64
           && strspn (s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

int
ctl_qr (ctl_t *ctl, int argc, char **argv)
{
    const char *round = ctl_opt (argc, argv, "--round");
    const char *unit = ctl_opt (argc, argv, "--unit");
    const char *format = ctl_opt (argc, argv, "--format");
    const char *out = ctl_opt (argc, argv, "--out");
    if (!format)                     /* from the file's name, else svg */
        format = out && strlen (out) > 4 && strcmp (out + strlen (out) - 4, ".png") == 0 ? "png" : "svg";
    if (!round || !out || (strcmp (format, "svg") != 0 && strcmp (format, "png") != 0)) {
        fprintf (stderr, "usage: xcctl qr --round R [--unit U] [--format png|svg] --out FILE\n");
        return CTL_USAGE;
    }
    if (!s_id_ok (round) || (unit && !s_id_ok (unit))) {
        fprintf (stderr, "xcctl: qr: --round and --unit are ids (1-64 of A-Z a-z 0-9 . _ : -)\n");
        return CTL_USAGE;
    }
    const char *base = json_string_value (json_object_get (json_object_get (ctl->config->gateway, "public"),
                                                           "base_url"));
    if (!base) {
        fprintf (stderr, "xcctl: qr: '%s' has no services.gateway.public.base_url (the public page's origin)\n",
                 ctl->config->path);
        return CTL_LOCAL;
    }
    char url[512];
    snprintf (url, sizeof url, "%s/public/?round=%s%s%s", base, round, unit ? "&unit=" : "", unit ? unit : "");
    size_t len = 0;
    char *bytes = strcmp (format, "png") == 0 ? xc_qr_png (url, 8, &len) : xc_qr_svg (url, &len);
    if (!bytes) {
        fprintf (stderr, "xcctl: qr: the QR of '%s' could not be made\n", url);
        return CTL_LOCAL;
    }
    int rc = ctl_write_file (out, bytes, len) == 0 ? CTL_OK : CTL_LOCAL;
    free (bytes);
    if (rc != CTL_OK)
        fprintf (stderr, "xcctl: qr: cannot write '%s'\n", out);
    else
        fprintf (stderr, "xcctl: the QR of %s written to %s\n", url, out);
    return rc;
}
