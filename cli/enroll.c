/*  enroll.c: xcctl principal invite | pending | approve | reject: a person's enrollment through
    the registry service (docs/services/registry.md), signed with the operator's key (role
    office). The invitation's code is made here and shown once: the service keeps its hash. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/clock.h"

#define S_CODE_LEN 26

/*  128 random bits as 26 characters of Crockford base32 (the first carries the top 3 bits). */
static void
s_code_new (char code[S_CODE_LEN + 1])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    unsigned char bits[16];
    randombytes_buf (bits, sizeof bits);
    for (int i = 0; i < S_CODE_LEN; i++) {
        int bit = (S_CODE_LEN - 1 - i) * 5, value = 0;     /* the lowest bit of this character */
        for (int b = 4; b >= 0; b--) {
            int n = bit + b;                                /* bit n of the 128, from the lowest */
            int set = n < 128 ? (bits[15 - n / 8] >> (n % 8)) & 1 : 0;
            value = (value << 1) | set;
        }
        code[i] = alphabet[value];
    }
    code[S_CODE_LEN] = 0;
    sodium_memzero (bits, sizeof bits);
}

/*  The longest an invitation may stay open: policies.registry.invitation_hours (72). */
static int
s_invitation_hours (const ctl_t *ctl)
{
    const json_t *hours = json_object_get (json_object_get (ctl->config->policies, "registry"), "invitation_hours");
    return json_is_integer (hours) && json_integer_value (hours) > 0 ? (int) json_integer_value (hours) : 72;
}

/*  The console's address for the link: --console as given, else services.gateway.http when it
    names a host a person can open (not a wildcard such as 0.0.0.0, which a container listens on),
    https when the gateway has tls. 0 when there is none. */
static int
s_console_base (const ctl_t *ctl, const char *given, char *out, size_t size)
{
    if (given) {
        size_t n = strlen (given);
        while (n && given[n - 1] == '/')
            n--;
        return snprintf (out, size, "%.*s", (int) n, given) < (int) size;
    }
    const char *http = ctl->config->gateway_http;
    size_t len = http ? strlen (http) : 0;
    if (!http || strncmp (http, "0.0.0.0:", 8) == 0 || strncmp (http, "[::]:", 5) == 0 || http[0] == ':'
        || (len >= 2 && strcmp (http + len - 2, ":0") == 0))    /* port 0: the gateway chose one */
        return 0;
    const char *scheme = json_object_get (ctl->config->gateway, "tls") ? "https" : "http";
    return snprintf (out, size, "%s://%s", scheme, http) < (int) size;
}

static int
s_invite (ctl_t *ctl, int argc, char **argv)
{
    const char *iss = ctl_opt (argc, argv, "--iss"), *display = ctl_opt (argc, argv, "--display");
    const char *role = ctl_opt (argc, argv, "--role"), *until_text = ctl_opt (argc, argv, "--until");
    const char *scope_text = ctl_opt (argc, argv, "--scope"), *district = ctl_opt (argc, argv, "--district");
    if (!iss || !display || !role || !until_text || (scope_text && district)) {
        fprintf (stderr, "usage: xcctl principal invite --iss ISS --display NAME --role ROLE [--scope JSON | --district D]"
                         " --until TIME [--console URL]\n");
        return CTL_USAGE;
    }
    int64_t until;
    if (ctl_time (ctl, "--until", until_text, &until) != 0)
        return CTL_USAGE;
    json_t *scope = NULL;
    if (scope_text) {
        scope = json_loads (scope_text, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object (scope)) {
            fprintf (stderr, "xcctl: --scope is not a JSON object\n");
            json_decref (scope);
            return CTL_USAGE;
        }
    }
    char code[S_CODE_LEN + 1], hex[65], until_rfc[XC_RFC3339_LEN + 1], expires[XC_RFC3339_LEN + 1];
    unsigned char hash[crypto_hash_sha256_BYTES];
    s_code_new (code);
    crypto_hash_sha256 (hash, (const unsigned char *) code, S_CODE_LEN);
    sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
    xc_clock_format (until, until_rfc);
    xc_clock_format (xc_clock_wall () + s_invitation_hours (ctl) * 3600LL - 60, expires);
    json_t *data = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "iss", iss, "display", display, "role", role, "until",
                              until_rfc, "code_sha256", hex, "expires", expires);
    if (scope)
        json_object_set_new (data, "scope", scope);
    if (district)
        json_object_set_new (data, "district", json_string (district));
    int rc;
    json_t *result = ctl_call (ctl, "registry", "principal.invite", data, &rc, NULL);
    if (!result)
        return rc;
    char shown[S_CODE_LEN + 8];
    size_t o = 0;
    for (int i = 0; i < S_CODE_LEN; i++) {
        if (i && i % 4 == 0)
            shown[o++] = '-';
        shown[o++] = code[i];
    }
    shown[o] = 0;
    char base[512];
    int has_base = s_console_base (ctl, ctl_opt (argc, argv, "--console"), base, sizeof base);
    if (ctl->json) {
        json_object_set_new (result, "code", json_string (shown));
        if (has_base)
            json_object_set_new (result, "link", json_sprintf ("%s/#/enroll?iss=%s&code=%s", base, iss, shown));
        ctl_print (ctl, result);
    }
    else {
        printf ("invited %s (%s, %s) until %s%s\n", iss, display, role, until_rfc,
                json_is_true (json_object_get (result, "reenroll")) ? ": a re-enrollment, the old keys end on approval" : "");
        printf ("code %s (shown once; valid until %s)\n", shown, json_string_value (json_object_get (result, "expires")));
        if (has_base)
            printf ("link %s/#/enroll?iss=%s&code=%s\n", base, iss, shown);
        else
            printf ("link (no address the person can open: give --console URL, the console's address as people reach it;"
                    " the person opens its #/enroll?iss=%s&code=%s)\n", iss, shown);
    }
    sodium_memzero (code, sizeof code);
    json_decref (result);
    return CTL_OK;
}

static int
s_pending (ctl_t *ctl)
{
    json_t *rows = json_array ();
    json_t *after = NULL;
    int rc = CTL_OK;
    for (;;) {
        json_t *data = json_pack ("{s:i}", "limit", 500);
        if (after)
            json_object_set (data, "after", after);
        json_t *page = ctl_call (ctl, "registry", "principal.list", data, &rc, NULL);
        if (!page)
            break;
        size_t i;
        json_t *p;
        json_array_foreach (json_object_get (page, "principals"), i, p) {
            const json_t *e = json_object_get (p, "enrollment");
            const char *state = json_string_value (json_object_get (e, "state"));
            if (state && strcmp (state, "pending") == 0)
                json_array_append_new (rows, json_pack ("{s:O, s:O, s:O, s:O, s:O, s:O}", "iss", json_object_get (p, "iss"),
                                                        "display", json_object_get (p, "display"), "role",
                                                        json_object_get (p, "role"), "fingerprint",
                                                        json_object_get (e, "fingerprint"), "submitted",
                                                        json_object_get (e, "submitted"), "kid", json_object_get (e, "kid")));
        }
        json_decref (after);
        after = json_incref (json_object_get (page, "next"));
        json_decref (page);
        if (!json_is_string (after))
            break;
    }
    json_decref (after);
    if (rc == CTL_OK) {
        if (ctl->json)
            ctl_print (ctl, rows);
        else if (json_array_size (rows) == 0)
            printf ("no enrollment is waiting\n");
        else {
            static const char *const columns[] = { "iss", "display", "role", "fingerprint", "submitted", NULL };
            ctl_table (rows, columns);
        }
    }
    json_decref (rows);
    return rc;
}

static int
s_decide (ctl_t *ctl, const char *what, int argc, char **argv)
{
    const char *iss = ctl_opt (argc, argv, "--iss"), *reason = ctl_opt (argc, argv, "--reason");
    bool reject = strcmp (what, "reject") == 0;
    if (!iss || (reject && !reason)) {
        fprintf (stderr, reject ? "usage: xcctl principal reject --iss ISS --reason TEXT\n"
                                : "usage: xcctl principal approve --iss ISS\n");
        return CTL_USAGE;
    }
    json_t *data = reject ? json_pack ("{s:s, s:s}", "iss", iss, "reason", reason) : json_pack ("{s:s}", "iss", iss);
    int rc;
    json_t *result = ctl_call (ctl, "registry", reject ? "principal.reject" : "principal.approve", data, &rc, NULL);
    if (!result)
        return rc;
    if (ctl->json)
        ctl_print (ctl, result);
    else if (reject)
        printf ("rejected the enrollment of %s\n", iss);
    else
        printf ("approved %s: key %s valid from %s until %s%s\n", iss, json_string_value (json_object_get (result, "kid")),
                json_string_value (json_object_get (result, "not_before")),
                json_string_value (json_object_get (result, "not_after")),
                json_is_true (json_object_get (result, "reenroll")) ? "; the old keys end now" : "");
    json_decref (result);
    return CTL_OK;
}

int
ctl_enrollment (ctl_t *ctl, int argc, char **argv)
{
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    const char *what = argv[0];
    if (strcmp (what, "invite") == 0)
        return s_invite (ctl, argc - 1, argv + 1);
    if (strcmp (what, "pending") == 0)
        return s_pending (ctl);
    return s_decide (ctl, what, argc - 1, argv + 1);
}
