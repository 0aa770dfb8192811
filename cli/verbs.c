/*  verbs.c: a verb for every command and query of every service: `xcctl NOUN VERB
    [--member value ...] [--file DATA.json]` sends NOUN.VERB to the service that owns it.

    Values are strings, except members that are integers or booleans in the protocol (listed
    below) and values starting with [ or {, which are JSON. --file gives the whole data object
    (- for standard input); options given as well replace its members. A dash in an option's
    name is an underscore in the member's (--planned-start is planned_start).
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/verbs.h"

static const ctl_verb_t s_verbs[] = {
    { "unit.register", "intake", "--id ID --name NAME --level LEVEL [--parent UNIT]", "register a unit (office)" },
    { "unit.get", "intake", "--unit ID", "one unit" },
    { "unit.list", "intake", "[--level L] [--parent UNIT] [--after ID] [--limit N]", "units" },
    { "round.open", "intake", "--id ID --name NAME --kind KIND --team ISS --targets JSON --planned-start DATE"
                              " --planned-end DATE [--theme T] [--prior-round R] [--modes JSON] [--date D]",
      "open an inspection round (office)" },
    { "round.advance", "intake", "--round ID --stage STAGE --date DATE", "move a round to its next stage (office)" },
    { "round.get", "intake", "--round ID", "one round with its targets" },
    { "round.list", "intake", "[--stage S] [--kind K] [--after ID] [--limit N]", "rounds" },
    { "problem.report", "intake", "--unit ID --category C --summary TEXT --detail TEXT --severity S --source SRC"
                                  " [--round ID] [--immediate true] [--evidence JSON] [--reporter JSON]",
      "report a problem (team, petition, audit, public)" },
    { "problem.classify", "intake", "--problem N --dispositions JSON", "classify a problem (office)" },
    { "problem.merge", "intake", "--into N --from JSON", "merge duplicate reports (office)" },
    { "problem.get", "intake", "--problem N", "one problem" },
    { "problem.list", "intake", "[--round R] [--unit U] [--category C] [--source S] [--status S] [--after N]"
                                " [--limit N]", "problems" },
    { "intake.stats", "intake", "", "intake's figures" },
    { "referral.create", "referral", "--kind KIND --target ISS --title T --detail D [--problem N]",
      "make a referral (office)" },
    { "referral.acknowledge", "referral", "--referral N", "acknowledge a referral (its target)" },
    { "referral.dispose", "referral", "--referral N --method M [--note T]", "dispose of a referral (its target)" },
    { "referral.outcome", "referral", "--referral N --case-filed BOOL --party-sanctions N ... [--note T]",
      "report an outcome (its target)" },
    { "referral.reopen", "referral", "--referral N --reason T", "reopen a parked lead (its target)" },
    { "referral.conclude", "referral", "--referral N [--note T]", "conclude a referral (its target)" },
    { "referral.extend", "referral", "--referral N --due DATE --reason T", "extend the due date (office)" },
    { "referral.get", "referral", "--referral N", "one referral (the read is logged)" },
    { "referral.list", "referral", "[--kind K] [--target ISS] [--state S] [--overdue BOOL] [--after N] [--limit N]",
      "referrals" },
    { "referral.stats", "referral", "", "referral's figures (office)" },
    { "rectify.plan", "rectify", "--item N --measures JSON [--note T]", "submit the plan (the unit)" },
    { "rectify.progress", "rectify", "--item N --note T [--measures-done JSON]", "report progress (the unit)" },
    { "rectify.claim", "rectify", "--item N --completion C --evidence JSON [--outcomes JSON] [--note T]",
      "claim completion (the unit)" },
    { "rectify.review", "rectify", "--item N --decision accept|reject [--reason T]", "review a claim (office)" },
    { "rectify.extend", "rectify", "--item N --due DATE --reason T [--deadline item|plan|measure] [--measure N]",
      "extend a deadline (office)" },
    { "rectify.regime", "rectify", "--round ID --regime NAME", "choose a round's regime (office)" },
    { "rectify.revisit", "rectify", "--unit ID --date DATE --kinds JSON [--round ID] [--note T]",
      "record a return visit (office)" },
    { "rectify.evaluate", "rectify", "--round ID --unit ID --parts JSON --principal-leader JSON [--note T]",
      "score a unit (office)" },
    { "rectify.get", "rectify", "--item N", "one item" },
    { "rectify.list", "rectify", "[--round R] [--unit U] [--state S] [--class C] [--overdue BOOL] [--after N]"
                                 " [--limit N]", "items" },
    { "rectify.export", "rectify", "--list problems|tasks|responsibilities [--round R] [--unit U]",
      "one page of a list as CSV (xcctl export writes whole files)" },
    { "rectify.round", "rectify", "--round ID", "a round's targets, scores, visits, interviews" },
    { "rectify.stats", "rectify", "[--round R] [--unit U] [--from DATE] [--to DATE]", "rectify's figures" },
    { "notify.list", "notify", "[--recipient ID] [--type T] [--state S] [--channel C] [--after N] [--limit N]",
      "deliveries" },
    { "notify.get", "notify", "--delivery N", "one delivery with its tries" },
    { "notify.stats", "notify", "", "deliveries by state and channel, latency (office)" },
    { "notify.read", "notify", "[--after N] [--limit N]", "your stream of notices" },
    { "notify.ack", "notify", "--deliveries JSON", "acknowledge stream notices" },
    { NULL, NULL, NULL, NULL },
};

/*  Members that are integers or booleans on the wire. */
static const char *const s_integers[] = {
    "problem", "item", "referral", "delivery", "after", "limit", "into", "measure", "party_sanctions",
    "administrative_sanctions", "organizational_handling", "detentions", "prosecution_transfers", NULL,
};
static const char *const s_booleans[] = { "immediate", "overdue", "case_filed", NULL };

static bool
s_in (const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcmp (list[i], name) == 0)
            return true;
    return false;
}

const ctl_verb_t *
ctl_verb_find (const char *type)
{
    for (int i = 0; s_verbs[i].type; i++)
        if (strcmp (s_verbs[i].type, type) == 0)
            return &s_verbs[i];
    return NULL;
}

void
ctl_verbs_help (FILE *out, const char *noun)
{
    for (int i = 0; s_verbs[i].type; i++) {
        const char *dot = strchr (s_verbs[i].type, '.');
        if (noun && (strncmp (s_verbs[i].type, noun, (size_t) (dot - s_verbs[i].type)) != 0
                     || strlen (noun) != (size_t) (dot - s_verbs[i].type)))
            continue;
        fprintf (out, "  %-8s %-12s %s\n", noun ? "" : "", dot + 1, s_verbs[i].help);
        if (noun)
            fprintf (out, "      %s %s %s\n", noun, dot + 1, s_verbs[i].args);
    }
}

/*  The value of an option as JSON for member name; NULL after printing why. */
static json_t *
s_value (const char *name, const char *text)
{
    if (s_in (s_integers, name)) {
        char *end;
        errno = 0;
        long long v = strtoll (text, &end, 10);
        if (errno || *end || end == text) {
            fprintf (stderr, "xcctl: --%s: '%s' is not an integer\n", name, text);
            return NULL;
        }
        return json_integer (v);
    }
    if (s_in (s_booleans, name)) {
        if (strcmp (text, "true") == 0 || strcmp (text, "false") == 0)
            return json_boolean (strcmp (text, "true") == 0);
        fprintf (stderr, "xcctl: --%s: '%s' is not true or false\n", name, text);
        return NULL;
    }
    if (text[0] == '[' || text[0] == '{') {
        json_error_t jerr;
        json_t *v = json_loads (text, JSON_REJECT_DUPLICATES, &jerr);
        if (!v)
            fprintf (stderr, "xcctl: --%s: not JSON: %s (column %d)\n", name, jerr.text, jerr.column);
        return v;
    }
    return json_string (text);
}

json_t *
ctl_args_data (int argc, char **argv)
{
    json_t *data = json_object ();
    for (int i = 0; i < argc; i += 2) {
        if (strncmp (argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf (stderr, "xcctl: '%s': expected --member value\n", argv[i]);
            json_decref (data);
            return NULL;
        }
        if (strcmp (argv[i], "--file") == 0) {
            json_error_t jerr;
            json_t *file = strcmp (argv[i + 1], "-") == 0 ? json_loadf (stdin, JSON_REJECT_DUPLICATES, &jerr)
                                                           : json_load_file (argv[i + 1], JSON_REJECT_DUPLICATES, &jerr);
            if (!json_is_object (file)) {
                fprintf (stderr, "xcctl: %s: %s\n", argv[i + 1], file ? "not a JSON object" : jerr.text);
                json_decref (file);
                json_decref (data);
                return NULL;
            }
            /* options already given win over the file */
            json_object_update_missing (data, file);
            json_decref (file);
            continue;
        }
        char name[128];
        snprintf (name, sizeof name, "%s", argv[i] + 2);
        for (char *p = name; *p; p++)
            if (*p == '-')
                *p = '_';
        json_t *v = s_value (name, argv[i + 1]);
        if (!v) {
            json_decref (data);
            return NULL;
        }
        json_object_set_new (data, name, v);
    }
    return data;
}

int
ctl_verb_run (ctl_t *ctl, const char *noun, const char *verb, int argc, char **argv)
{
    char type[96];
    snprintf (type, sizeof type, "%s.%s", noun, verb);
    const ctl_verb_t *v = ctl_verb_find (type);
    if (!v) {
        fprintf (stderr, "xcctl: no verb '%s %s'; the verbs of %s:\n", noun, verb, noun);
        ctl_verbs_help (stderr, noun);
        return CTL_USAGE;
    }
    if (argc > 0 && (strcmp (argv[0], "--help") == 0 || strcmp (argv[0], "-h") == 0)) {
        printf ("usage: xcctl %s %s %s\n  %s (sent as %s to %s)\n", noun, verb, v->args, v->help, v->type, v->service);
        return CTL_OK;
    }
    json_t *data = ctl_args_data (argc, argv);
    if (!data)
        return CTL_USAGE;
    int rc = ctl_open (ctl);
    if (rc != CTL_OK) {
        json_decref (data);
        return rc;
    }
    char status[16] = "";
    json_t *result = ctl_call (ctl, v->service, v->type, data, &rc, status);
    if (!result)
        return rc;
    if (!ctl->json && strcmp (status, "duplicate") == 0)
        printf ("(already done: the first answer)\n");
    ctl_print (ctl, result);
    json_decref (result);
    return CTL_OK;
}
