/*  principals.c: xcctl keygen and xcctl principal add | list | revoke. The registry file is
    edited in place (a checked temporary file renamed over it), so every running service picks
    the change up within a second, without a restart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/calendar.h"
#include "common/clock.h"
#include "common/registry_file.h"

/*  A key's validity bound from --not-before / --not-after: RFC 3339, or a date meaning the
    deployment's local midnight at the start of that day. -1 after saying what is wrong. */
int
ctl_time (const ctl_t *ctl, const char *option, const char *text, int64_t *t)
{
    xc_err_t err;
    xc_date_t date;
    if (strlen (text) == XC_DATE_LEN && xc_date_parse (text, &date, &err) == 0) {
        *t = (int64_t) date * 86400 - ctl->config->utc_offset;
        return 0;
    }
    if (xc_clock_parse (text, t, &err) == 0)
        return 0;
    fprintf (stderr, "xcctl: %s: '%s' is neither an RFC 3339 time (2027-01-01T00:00:00+08:00) nor a date"
             " (2027-01-01)\n", option, text);
    return -1;
}

/*  The validity of a new key: --not-before and --not-after when given, else those of the
    public key file (keygen wrote them), else from a day ago for years. Checked: before < after.
    CTL_OK or CTL_USAGE (printed). */
static int
s_validity (const ctl_t *ctl, int argc, char **argv, const json_t *jwk, int years, int64_t *from, int64_t *until)
{
    const char *nb = ctl_opt (argc, argv, "--not-before"), *na = ctl_opt (argc, argv, "--not-after");
    if (!nb && jwk)
        nb = json_string_value (json_object_get (jwk, "not_before"));
    if (!na && jwk)
        na = json_string_value (json_object_get (jwk, "not_after"));
    *from = xc_clock_wall () - 86400;
    if (nb && ctl_time (ctl, "--not-before", nb, from) != 0)
        return CTL_USAGE;
    *until = *from + 86400 + (int64_t) years * 366 * 86400;
    if (na && ctl_time (ctl, "--not-after", na, until) != 0)
        return CTL_USAGE;
    if (*from >= *until) {
        char a[XC_RFC3339_LEN + 1], b[XC_RFC3339_LEN + 1];
        xc_clock_format (*from, a);
        xc_clock_format (*until, b);
        fprintf (stderr, "xcctl: the key would be valid from %s until %s: --not-before must be earlier than"
                 " --not-after\n", a, b);
        return CTL_USAGE;
    }
    return CTL_OK;
}

int
ctl_keygen (ctl_t *ctl, int argc, char **argv)
{
    const char *out = ctl_opt (argc, argv, "--out");
    const char *kid = ctl_opt (argc, argv, "--kid");
    if (!out || !kid) {
        fprintf (stderr, "usage: xcctl keygen --out FILE.jwk --kid KID [--curve] [--not-before TIME] [--not-after TIME]\n"
                         "  writes the private key (mode 0600), FILE.jwk.pub (give it to the inspection office)\n"
                         "  and with --curve a CURVE keypair FILE.jwk.curve; TIME is RFC 3339 or a date\n");
        return CTL_USAGE;
    }
    int64_t from = 0, until = 0;
    bool dated = ctl_opt (argc, argv, "--not-before") || ctl_opt (argc, argv, "--not-after");
    if (dated && s_validity (ctl, argc, argv, NULL, 1, &from, &until) != CTL_OK)
        return CTL_USAGE;
    xc_key_t key;
    xc_err_t err;
    if (xc_key_generate (&key, kid, &err) != 0 || xc_key_save_jwk (&key, out, &err) != 0) {
        fprintf (stderr, "xcctl: %s\n", err.text);
        xc_key_wipe (&key);
        return CTL_LOCAL;
    }
    char path[4096];
    snprintf (path, sizeof path, "%.4000s.pub", out);
    json_t *pub = xc_key_public_jwk (&key);
    xc_key_wipe (&key);
    if (dated) {
        /* the validity the department asks for: principal add takes it from this file */
        char a[XC_RFC3339_LEN + 1], b[XC_RFC3339_LEN + 1];
        xc_clock_format (from, a);
        xc_clock_format (until, b);
        json_object_set_new (pub, "not_before", json_string (a));
        json_object_set_new (pub, "not_after", json_string (b));
    }
    char *text = json_dumps (pub, JSON_INDENT (2));
    json_decref (pub);
    int rc = text && ctl_write_file (path, text, strlen (text)) == 0 ? CTL_OK : CTL_LOCAL;
    free (text);
    if (rc != CTL_OK) {
        fprintf (stderr, "xcctl: unable to write '%s'\n", path);
        return rc;
    }
    printf ("private key %s (keep it), public key %s\n", out, path);
    if (ctl_flag (argc, argv, "--curve")) {
        xc_curve_keypair_t kp;
        snprintf (path, sizeof path, "%.4000s.curve", out);
        if (xc_curve_generate (&kp, &err) != 0 || xc_curve_save (&kp, path, &err) != 0) {
            fprintf (stderr, "xcctl: %s\n", err.text);
            return CTL_LOCAL;
        }
        printf ("CURVE keypair %s, public key %s\n", path, kp.public_z85);
    }
    return CTL_OK;
}

/*  Writes doc over the registry after checking it loads as a registry (the caller holds the
    writers' lock, ctl_registry_lock: the registry service writes it too). */
static int
s_save (const ctl_t *ctl, json_t *doc)
{
    xc_err_t err;
    if (xc_registry_save (ctl->config->registry, doc, &err) != 0) {
        fprintf (stderr, "xcctl: %s\n", err.text);
        return CTL_LOCAL;
    }
    return CTL_OK;
}

int
ctl_registry_lock (const ctl_t *ctl)
{
    xc_err_t err;
    int fd = xc_registry_lock (ctl->config->registry, &err);
    if (fd < 0)
        fprintf (stderr, "xcctl: %s\n", err.text);
    return fd;
}

static json_t *
s_find (json_t *principals, const char *iss)
{
    size_t i;
    json_t *p;
    json_array_foreach (principals, i, p)
        if (strcmp (json_string_value (json_object_get (p, "iss")), iss) == 0)
            return p;
    return NULL;
}

static int
s_add (ctl_t *ctl, json_t *doc, int argc, char **argv)
{
    const char *iss = ctl_opt (argc, argv, "--iss"), *role = ctl_opt (argc, argv, "--role");
    const char *public = ctl_opt (argc, argv, "--public"), *scope_text = ctl_opt (argc, argv, "--scope");
    const char *curve = ctl_opt (argc, argv, "--curve");
    int years = ctl_opt (argc, argv, "--years") ? atoi (ctl_opt (argc, argv, "--years")) : 1;
    if (!iss || !role || !public || years < 1 || years > 10
        || (ctl_opt (argc, argv, "--years") && ctl_opt (argc, argv, "--not-after"))) {
        fprintf (stderr, "usage: xcctl principal add --iss ISS --role ROLE --public FILE.jwk.pub"
                         " [--scope JSON | --district D] [--curve Z85] [--years 1-10 | --not-before TIME --not-after TIME]\n");
        return CTL_USAGE;
    }
    /* a district office speaks for one district: its scope names it, and no other role has one */
    const char *district = ctl_opt (argc, argv, "--district");
    bool district_role = strcmp (role, "district") == 0;
    if (district && !district_role) {
        fprintf (stderr, "xcctl: principal add: --district is for the role district (a district's inspection"
                         " office), not %s\n", role);
        return CTL_USAGE;
    }
    if (district_role && !district) {
        fprintf (stderr, "xcctl: principal add: the role district needs --district D (the unit id of the district"
                         " whose office it is)\n");
        return CTL_USAGE;
    }
    if (district && (scope_text || !ctl_is_id (district))) {
        fprintf (stderr, scope_text ? "xcctl: principal add: give --district or --scope, not both (--district sets"
                                      " the scope {\"district\": D})\n"
                                    : "xcctl: principal add --district: '%s' is not an id (1-64 of A-Z a-z 0-9 . _ : -)\n",
                 district);
        return CTL_USAGE;
    }
    json_error_t jerr;
    json_t *jwk = json_load_file (public, JSON_REJECT_DUPLICATES, &jerr);
    json_t *scope = district ? json_pack ("{s:s}", "district", district)
                    : scope_text ? json_loads (scope_text, JSON_REJECT_DUPLICATES, &jerr) : json_object ();
    if (!json_is_object (jwk) || json_object_get (jwk, "d") || !json_is_object (scope)) {
        fprintf (stderr, "xcctl: %s\n", !json_is_object (jwk) ? "the public key is not a JWK file"
                                        : json_object_get (jwk, "d") ? "that is a private key: give the .pub file"
                                                                     : "--scope is not a JSON object");
        json_decref (jwk);
        json_decref (scope);
        return CTL_USAGE;
    }
    int64_t t_from, t_until;
    if (s_validity (ctl, argc, argv, jwk, years, &t_from, &t_until) != CTL_OK) {
        json_decref (jwk);
        json_decref (scope);
        return CTL_USAGE;
    }
    char from[XC_RFC3339_LEN + 1], until[XC_RFC3339_LEN + 1];
    xc_clock_format (t_from, from);
    xc_clock_format (t_until, until);
    json_object_set_new (jwk, "not_before", json_string (from));
    json_object_set_new (jwk, "not_after", json_string (until));
    json_t *principals = json_object_get (doc, "principals");
    json_t *p = s_find (principals, iss);
    if (p && strcmp (json_string_value (json_object_get (p, "role")), role) != 0) {
        fprintf (stderr, "xcctl: '%s' has the role %s already\n", iss, json_string_value (json_object_get (p, "role")));
        json_decref (jwk);
        json_decref (scope);
        return CTL_USAGE;
    }
    if (!p) {
        p = json_pack ("{s:s, s:s, s:O, s:[]}", "iss", iss, "role", role, "scope", scope, "keys");
        json_array_append_new (principals, p);
    }
    else if (scope_text || district)
        json_object_set (p, "scope", scope);
    /* a second key for the same principal is a rotation: both verify during the overlap */
    json_array_append_new (json_object_get (p, "keys"), jwk);
    if (curve)
        json_object_set_new (p, "curve", json_string (curve));
    json_decref (scope);
    int rc = s_save (ctl, doc);
    if (rc == CTL_OK)
        printf ("registered %s (%s) with key %s valid from %s until %s\n", iss, role,
                json_string_value (json_object_get (jwk, "kid")), from, until);
    return rc;
}

int
ctl_principal (ctl_t *ctl, int argc, char **argv)
{
    const char *what = argc > 0 ? argv[0] : "";
    /* enrollment goes through the registry service (enroll.c) */
    if (strcmp (what, "invite") == 0 || strcmp (what, "pending") == 0 || strcmp (what, "approve") == 0
        || strcmp (what, "reject") == 0)
        return ctl_enrollment (ctl, argc, argv);
    if (strcmp (what, "add") != 0 && strcmp (what, "list") != 0 && strcmp (what, "revoke") != 0) {
        fprintf (stderr, "usage: xcctl principal add | list | revoke | invite | pending | approve | reject\n");
        return CTL_USAGE;
    }
    int lock = ctl_registry_lock (ctl);
    if (lock < 0)
        return CTL_LOCAL;
    json_error_t jerr;
    json_t *doc = json_load_file (ctl->config->registry, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_array (json_object_get (doc, "principals"))) {
        fprintf (stderr, "xcctl: '%s': %s\n", ctl->config->registry, doc ? "not a registry" : jerr.text);
        json_decref (doc);
        xc_registry_unlock (lock);
        return CTL_LOCAL;
    }
    int rc = CTL_OK;
    if (strcmp (what, "add") == 0)
        rc = s_add (ctl, doc, argc - 1, argv + 1);
    else if (strcmp (what, "revoke") == 0) {
        const char *iss = ctl_opt (argc, argv, "--iss");
        json_t *p = iss ? s_find (json_object_get (doc, "principals"), iss) : NULL;
        if (!p) {
            fprintf (stderr, iss ? "xcctl: no principal '%s'\n" : "usage: xcctl principal revoke --iss ISS\n", iss);
            rc = iss ? CTL_LOCAL : CTL_USAGE;
        }
        else {
            json_object_set_new (p, "revoked", json_true ());
            rc = s_save (ctl, doc);
            if (rc == CTL_OK)
                printf ("revoked %s: its messages are refused from now on\n", iss);
        }
    }
    else {
        json_t *rows = json_array ();
        size_t i;
        json_t *p;
        json_array_foreach (json_object_get (doc, "principals"), i, p) {
            const char *until = "";
            size_t k;
            json_t *key;
            json_array_foreach (json_object_get (p, "keys"), k, key)
                if (strcmp (json_string_value (json_object_get (key, "not_after")), until) > 0)
                    until = json_string_value (json_object_get (key, "not_after"));
            json_t *scope = json_object_get (p, "scope");
            const json_t *district = json_object_get (scope, "district");
            json_array_append_new (rows, json_pack ("{s:O, s:O, s:O, s:I, s:s, s:b, s:o}", "iss", json_object_get (p, "iss"),
                                                    "role", json_object_get (p, "role"),
                                                    "district", district ? (json_t *) district : json_null (),
                                                    "keys", (json_int_t) json_array_size (json_object_get (p, "keys")),
                                                    "valid_until", until,
                                                    "revoked", json_is_true (json_object_get (p, "revoked")),
                                                    "scope", scope ? json_incref (scope) : json_object ()));
        }
        if (ctl->json)
            ctl_print (ctl, rows);
        else {
            static const char *const columns[] = { "iss", "role", "district", "keys", "valid_until", "revoked", "scope",
                                                     NULL };
            ctl_table (rows, columns);
        }
        json_decref (rows);
    }
    json_decref (doc);
    xc_registry_unlock (lock);
    return rc;
}

int
ctl_principal_ensure (ctl_t *ctl, const char *iss, const char *role, const json_t *scope, const char *key_path,
                      xc_key_t *key)
{
    xc_err_t err;
    if (access (key_path, F_OK) == 0 ? xc_key_load_jwk (key, key_path, &err) != 0
                                      : (xc_key_generate (key, iss, &err) != 0 || xc_key_save_jwk (key, key_path, &err) != 0)) {
        fprintf (stderr, "xcctl: %s\n", err.text);
        return CTL_LOCAL;
    }
    int lock = ctl_registry_lock (ctl);
    if (lock < 0)
        return CTL_LOCAL;
    json_error_t jerr;
    json_t *doc = json_load_file (ctl->config->registry, JSON_REJECT_DUPLICATES, &jerr);
    json_t *principals = json_object_get (doc, "principals");
    if (!json_is_array (principals)) {
        fprintf (stderr, "xcctl: '%s': %s\n", ctl->config->registry, doc ? "not a registry" : jerr.text);
        json_decref (doc);
        xc_registry_unlock (lock);
        return CTL_LOCAL;
    }
    json_t *p = s_find (principals, iss);
    bool has_key = false;
    size_t i;
    json_t *k;
    json_array_foreach (json_object_get (p, "keys"), i, k)
        has_key = has_key || strcmp (json_string_value (json_object_get (k, "kid")), key->kid) == 0;
    int rc = CTL_OK;
    if (!p || !has_key || !json_equal (json_object_get (p, "scope"), (json_t *) scope)) {
        if (p && strcmp (json_string_value (json_object_get (p, "role")), role) != 0) {
            fprintf (stderr, "xcctl: '%s' has the role %s already\n", iss, json_string_value (json_object_get (p, "role")));
            json_decref (doc);
            xc_registry_unlock (lock);
            return CTL_LOCAL;
        }
        if (!p) {
            p = json_pack ("{s:s, s:s, s:[]}", "iss", iss, "role", role, "keys");
            json_array_append_new (principals, p);
        }
        json_object_set (p, "scope", (json_t *) scope);
        if (!has_key) {
            char from[XC_RFC3339_LEN + 1], until[XC_RFC3339_LEN + 1];
            int64_t now = xc_clock_wall ();
            xc_clock_format (now - 86400, from);
            xc_clock_format (now + 366 * 86400LL, until);
            json_t *jwk = xc_key_public_jwk (key);
            json_object_set_new (jwk, "not_before", json_string (from));
            json_object_set_new (jwk, "not_after", json_string (until));
            json_array_append_new (json_object_get (p, "keys"), jwk);
        }
        rc = s_save (ctl, doc);
    }
    json_decref (doc);
    xc_registry_unlock (lock);
    return rc;
}
