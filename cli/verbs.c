/*  verbs.c: a verb for every command and query of every service: `xcctl NOUN VERB
    [--member value ...] [--file DATA.json]` sends NOUN.VERB to the service that owns it.

    Each verb's synopsis declares its options: those outside brackets are required, those in
    brackets optional, and no other is known. xcctl checks the data against it before sending,
    so a missing or unknown option is bad usage (exit 2) named here, not a schema error from
    the service (tests/python/test_xcctl_newcomer.py checks the synopses against the services'
    schemas).

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
    { "unit.register", "intake", "--id ID --name NAME --level LEVEL [--parent UNIT] [--occurred-on D]",
      "register a unit (office, district)" },
    { "unit.rename", "intake", "--unit ID --name NAME [--occurred-on D]", "rename a unit (office, district)" },
    { "unit.merge", "intake", "--from JSON --into JSON [--occurred-on D]",
      "merge units into a new or an existing one (office, district)" },
    { "unit.split", "intake", "--unit ID --into JSON --successor ID [--occurred-on D]",
      "split a unit into new units (office, district)" },
    { "unit.get", "intake", "--unit ID", "one unit" },
    { "unit.list", "intake", "[--level L] [--parent UNIT] [--after ID] [--limit N]", "units" },
    { "round.open", "intake", "--id ID --name NAME --kind KIND --team ISS --targets JSON --planned-start DATE"
                              " --planned-end DATE [--theme T] [--prior-round R] [--modes JSON] [--audit-ref REF] [--date D]"
                              " [--owner O] [--organ T] [--link JSON]",
      "open an inspection round (office, district)" },
    { "round.advance", "intake", "--round ID --stage STAGE --date DATE", "move a round to its next stage (office, district)" },
    { "round.get", "intake", "--round ID", "one round with its targets" },
    { "round.list", "intake", "[--stage S] [--kind K] [--after ID] [--limit N]", "rounds" },
    { "problem.report", "intake", "--unit ID --category C --summary TEXT --detail TEXT --severity S --source SRC"
                                  " [--round ID] [--immediate true] [--evidence JSON] [--reporter JSON] [--occurred-on D]",
      "report a problem (team, petition, audit, public)" },
    { "problem.classify", "intake", "--problem N --dispositions JSON [--occurred-on D]", "classify a problem (office, district)" },
    { "problem.merge", "intake", "--into N --from JSON [--occurred-on D]", "merge duplicate reports (office, district)" },
    { "problem.get", "intake", "--problem N", "one problem" },
    { "problem.list", "intake", "[--round R] [--unit U] [--category C] [--source S] [--status S] [--after N]"
                                " [--limit N]", "problems" },
    { "intake.stats", "intake", "[--round R] [--owner O] [--year Y] [--kind K] [--mode M] [--category C]"
                                " [--unit-level L]", "intake's figures" },
    { "referral.create", "referral", "--kind KIND --target ISS --title T --detail D [--problem N]"
                                       " [--round ID] [--unit ID] [--category C] [--occurred-on DATE]",
      "make a referral (office; a district office for its own rounds)" },
    { "referral.acknowledge", "referral", "--referral N [--occurred-on DATE]",
      "acknowledge a referral (its target)" },
    { "referral.dispose", "referral", "--referral N --method M [--note T] [--occurred-on DATE]",
      "dispose of a referral (its target)" },
    { "referral.outcome", "referral", "--referral N --case-filed BOOL [--people JSON] [--party-sanctions N]"
                                          " [--administrative-sanctions N] [--organizational-handling N] [--detentions N]"
                                          " [--prosecution-transfers N] [--institutional-measures N] [--note T]"
                                          " [--evidence JSON] [--occurred-on DATE]",
      "report an outcome (its target)" },
    { "referral.reopen", "referral", "--referral N --reason T [--occurred-on DATE]",
      "reopen a parked lead (its target)" },
    { "referral.conclude", "referral", "--referral N [--note T] [--occurred-on DATE]",
      "conclude a referral (its target)" },
    { "referral.extend", "referral", "--referral N --due DATE --reason T [--occurred-on DATE]",
      "extend the due date (office; a district office for its own rounds)" },
    { "referral.request_extension", "referral", "--referral N --due DATE --reason T",
      "ask for a later due date (its target; one open request at a time)" },
    { "referral.decline_extension", "referral", "--referral N --reason T",
      "decline the open extension request (office; a district office for its own rounds; referral.extend grants it)" },
    { "referral.sign", "referral", "--referral N --leader JSON [--occurred-on DATE]",
      "record a leader's sign-off on a special report (office; a district office for its own rounds)" },
    { "referral.get", "referral", "--referral N", "one referral (the read is logged)" },
    { "referral.list", "referral", "[--kind K] [--target ISS] [--state S] [--overdue BOOL] [--after N] [--limit N]",
      "referrals" },
    { "referral.stats", "referral", "[--round R] [--owner O] [--year Y] [--kind K] [--mode M] [--category C]"
                                   " [--unit-level L]", "referral's figures (office; a district office over its own rounds)" },
    { "rectify.plan", "rectify", "--item N --measures JSON [--evidence JSON] [--note T] [--occurred-on DATE]",
      "submit the plan (the unit; the office from history)" },
    { "rectify.progress", "rectify", "--item N --note T [--measures-done JSON] [--occurred-on DATE]",
      "report progress (the unit; the office from history)" },
    { "rectify.claim", "rectify", "--item N --completion C --evidence JSON [--outcomes JSON] [--note T]"
                                  " [--occurred-on DATE]", "claim completion (the unit; the office from history)" },
    { "rectify.review", "rectify", "--item N --decision accept|reject [--reason T] [--occurred-on DATE]",
      "review a claim (office; a district office for its rounds)" },
    { "rectify.extend", "rectify", "--item N --due DATE --reason T [--deadline item|plan|measure] [--measure N]"
                                   " [--occurred-on DATE]",
      "extend a deadline (office; a district office for its rounds)" },
    { "rectify.regime", "rectify", "--round ID --regime NAME", "choose a round's regime (office; a district office for its rounds)" },
    { "rectify.revisit", "rectify", "--unit ID --date DATE --kinds JSON [--round ID] [--note T]",
      "record a return visit (office; a district office for its rounds)" },
    { "rectify.evaluate", "rectify", "--round ID --unit ID --parts JSON --principal-leader JSON [--note T]"
                                     " [--occurred-on DATE]", "score a unit (office; a district office for its rounds)" },
    { "rectify.interview", "rectify", "--round ID --unit ID --interviewee JSON --by T [--note T] [--occurred-on DATE]",
      "record an interview (约谈) held (office; a district office for its rounds)" },
    { "rectify.get", "rectify", "--item N", "one item" },
    { "rectify.list", "rectify", "[--round R] [--unit U] [--state S] [--class C] [--overdue BOOL] [--owner O]"
                                 " [--after N] [--limit N]", "items (each with its round_owner)" },
    { "rectify.export", "rectify", "--list problems|tasks|responsibilities [--round R] [--unit U] [--after N] [--limit N]",
      "one page of a list as CSV (xcctl export writes whole files)" },
    { "rectify.round", "rectify", "--round ID [--after UNIT] [--limit N]", "a round's targets, scores, visits, interviews, a page at a time" },
    { "rectify.stats", "rectify", "[--round R] [--unit U] [--from DATE] [--to DATE] [--owner O] [--year Y] [--kind K]"
                                  " [--mode M] [--category C] [--unit-level L]", "rectify's figures" },
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
    "administrative_sanctions", "organizational_handling", "detentions", "prosecution_transfers",
    "institutional_measures", "year", NULL,
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
        /* the noun on every line, also under `help NOUN`: a line read alone says the whole command */
        int len = (int) (dot - s_verbs[i].type);
        fprintf (out, "  %-9.*s %-12s %s\n", len, s_verbs[i].type, dot + 1, s_verbs[i].help);
        if (noun)
            fprintf (out, "      %s %s %s\n", noun, dot + 1, s_verbs[i].args);
    }
}

size_t
ctl_verb_nouns (const char **nouns, size_t max)
{
    static char names[64][32];
    size_t n = 0;
    for (int i = 0; s_verbs[i].type; i++) {
        int len = (int) (strchr (s_verbs[i].type, '.') - s_verbs[i].type);
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strncmp (names[k], s_verbs[i].type, (size_t) len) == 0 && names[k][len] == 0;
        if (!seen && n < max && n < 64) {
            snprintf (names[n], sizeof names[n], "%.*s", len, s_verbs[i].type);
            nouns[n] = names[n];
            n++;
        }
    }
    return n;
}

size_t
ctl_verb_verbs (const char *noun, const char **verbs, size_t max)
{
    size_t n = 0, len = strlen (noun);
    for (int i = 0; s_verbs[i].type && n < max; i++)
        if (strncmp (s_verbs[i].type, noun, len) == 0 && s_verbs[i].type[len] == '.')
            verbs[n++] = s_verbs[i].type + len + 1;
    return n;
}

/*  The options of v's synopsis as member names (a dash is an underscore), each with whether
    it is required (outside brackets). Returns how many. */
static int
s_options (const ctl_verb_t *v, char names[][48], bool *required, int max)
{
    int n = 0, depth = 0;
    for (const char *p = v->args; *p && n < max; p++) {
        if (*p == '[')
            depth++;
        else if (*p == ']')
            depth--;
        else if (p[0] == '-' && p[1] == '-' && (p == v->args || p[-1] == ' ' || p[-1] == '[')) {
            int k = 0;
            for (p += 2; *p && *p != ' ' && *p != ']' && k < 47; p++)
                names[n][k++] = *p == '-' ? '_' : *p;
            names[n][k] = 0;
            required[n++] = depth == 0;
            p--;
        }
    }
    return n;
}

/*  Checks the data of v against its synopsis: every option known, every required one given
    (on the line or in --file). Prints what is wrong; CTL_OK or CTL_USAGE. */
static int
s_check (const ctl_verb_t *v, const json_t *data, int argc, char **argv)
{
    char names[32][48];
    bool required[32];
    int n = s_options (v, names, required, 32);
    const char *dot = strchr (v->type, '.');
    for (int i = 0; i < argc; i += 2) {
        if (strcmp (argv[i], "--file") == 0)
            continue;
        char name[128];
        snprintf (name, sizeof name, "%s", argv[i] + 2);
        for (char *p = name; *p; p++)
            if (*p == '-')
                *p = '_';
        bool known = false;
        const char *options[32];
        char dashed[32][52];
        for (int k = 0; k < n; k++) {
            known = known || strcmp (names[k], name) == 0;
            snprintf (dashed[k], sizeof dashed[k], "--%.45s", names[k]);
            for (char *p = dashed[k]; *p; p++)
                if (*p == '_')
                    *p = '-';
            options[k] = dashed[k];
        }
        if (!known) {
            fprintf (stderr, "xcctl: %.*s %s: unknown option '%s'", (int) (dot - v->type), v->type, dot + 1, argv[i]);
            ctl_suggest (argv[i], options, (size_t) n);
            fprintf (stderr, "usage: xcctl %.*s %s %s\n", (int) (dot - v->type), v->type, dot + 1, v->args);
            return CTL_USAGE;
        }
    }
    int missing = 0;
    for (int k = 0; k < n; k++)
        if (required[k] && !json_object_get (data, names[k])) {
            char dashed[52];
            snprintf (dashed, sizeof dashed, "--%.45s", names[k]);
            for (char *p = dashed; *p; p++)
                if (*p == '_')
                    *p = '-';
            fprintf (stderr, "xcctl: %.*s %s: the option %s is required\n", (int) (dot - v->type), v->type, dot + 1,
                     dashed);
            missing++;
        }
    if (missing) {
        fprintf (stderr, "usage: xcctl %.*s %s %s\n", (int) (dot - v->type), v->type, dot + 1, v->args);
        return CTL_USAGE;
    }
    return CTL_OK;
}

/*  The value of an option as JSON for member name; NULL after printing why. */
static json_t *
s_value (const char *name, const char *text)
{
    /* JSON first: unit.merge's --into is an object where problem.merge's is an integer */
    if (text[0] == '[' || text[0] == '{') {
        json_error_t jerr;
        json_t *v = json_loads (text, JSON_REJECT_DUPLICATES, &jerr);
        if (!v)
            fprintf (stderr, "xcctl: --%s: not JSON: %s (column %d)\n", name, jerr.text, jerr.column);
        return v;
    }
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
ctl_verb_prepare (const char *noun, const char *verb, int argc, char **argv, json_t **data_p)
{
    *data_p = NULL;
    char type[96];
    snprintf (type, sizeof type, "%s.%s", noun, verb);
    const ctl_verb_t *v = ctl_verb_find (type);
    if (!v) {
        const char *verbs[64];
        size_t n = ctl_verb_verbs (noun, verbs, 64);
        fprintf (stderr, "xcctl: %s has no verb '%s'", noun, verb);
        ctl_suggest (verb, verbs, n);
        fprintf (stderr, "the verbs of %s:\n", noun);
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
    if (s_check (v, data, argc, argv) != CTL_OK) {
        json_decref (data);
        return CTL_USAGE;
    }
    *data_p = data;
    return CTL_OK;
}

int
ctl_verb_run (ctl_t *ctl, const char *noun, const char *verb, json_t *data)
{
    char type[96];
    snprintf (type, sizeof type, "%s.%s", noun, verb);
    const ctl_verb_t *v = ctl_verb_find (type);
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
    ctl_district_names (ctl, result);
    ctl_print (ctl, result);
    json_decref (result);
    return CTL_OK;
}
