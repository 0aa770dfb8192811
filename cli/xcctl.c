/*  xcctl: the operator's tool (docs/xcctl.md).

    xcctl [--config FILE] [--key FILE] [--json] [--timeout MS] COMMAND ...
      init                  make what a deployment lacks (keys, registry entries); safe to rerun
      health                every service's liveness, latest event and consumer lag
      services              the services of the config, one name a line
      NOUN VERB [--member value ...] [--file DATA.json]
                            any command or query of a service (xcctl help lists them)

    --config defaults to $XC_CONFIG, then var/local.json (make run's), then config/local.json, both
    in the current folder; --key (the operator's private JWK) to $XC_KEY, then keys/office.jwk
    beside the config. Unknown words (commands, nouns, verbs, options) are exit 2 with the
    nearest known one.
*/
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "cli/verbs.h"
#include "common/clock.h"
#include "common/config.h"
#include "common/envelope.h"
#include "common/keys.h"
#include "common/registry_file.h"
#include "common/transport.h"

#define OPERATOR "office"
#define KEY_YEARS 2

/*  mkdir -p for the folder that will hold path. */
static int
s_make_parent (const char *path)
{
    char buf[4096];
    snprintf (buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir (buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static json_t *
s_principal_find (json_t *principals, const char *iss)
{
    size_t i;
    json_t *p;
    json_array_foreach (principals, i, p) {
        if (strcmp (json_string_value (json_object_get (p, "iss")), iss) == 0)
            return p;
    }
    return NULL;
}

/*  Makes sure iss has key (and curve) in the registry document. */
static void
s_register (json_t *principals, const char *iss, const char *role, const xc_key_t *key,
            const char *curve_public)
{
    json_t *p = s_principal_find (principals, iss);
    if (!p) {
        p = json_pack ("{s:s, s:s, s:{}, s:[]}", "iss", iss, "role", role, "scope", "keys");
        json_array_append_new (principals, p);
    }
    json_t *keys = json_object_get (p, "keys");
    size_t i;
    json_t *k;
    json_array_foreach (keys, i, k) {
        if (strcmp (json_string_value (json_object_get (k, "kid")), key->kid) == 0)
            goto curve;
    }
    char from[XC_RFC3339_LEN + 1], until[XC_RFC3339_LEN + 1];
    int64_t now = xc_clock_wall ();
    xc_clock_format (now - 86400, from);
    xc_clock_format (now + KEY_YEARS * 366 * 86400LL, until);
    json_t *jwk = xc_key_public_jwk (key);
    json_object_set_new (jwk, "not_before", json_string (from));
    json_object_set_new (jwk, "not_after", json_string (until));
    json_array_append_new (keys, jwk);
    printf ("registered key '%s' for '%s'\n", key->kid, iss);
curve:
    if (curve_public)
        json_object_set_new (p, "curve", json_string (curve_public));
}

static void
s_register_curve (json_t *principals, const char *iss, const char *curve_public)
{
    json_t *p = s_principal_find (principals, iss);
    if (p)
        json_object_set_new (p, "curve", json_string (curve_public));
}

/*  Loads the key at path, or makes one named kid when there is none. */
static int
s_key_ensure (const char *path, const char *kid, xc_key_t *key)
{
    xc_err_t err;
    if (access (path, F_OK) == 0)
        return xc_key_load_jwk (key, path, &err) == 0 ? 0 : (fprintf (stderr, "xcctl: %s\n", err.text), -1);
    if (s_make_parent (path) != 0 || xc_key_generate (key, kid, &err) != 0
        || xc_key_save_jwk (key, path, &err) != 0) {
        fprintf (stderr, "xcctl: unable to make '%s': %s\n", path, err.text);
        return -1;
    }
    printf ("made key '%s' in %s\n", kid, path);
    return 0;
}

static int
s_curve_ensure (const char *path, xc_curve_keypair_t *kp)
{
    xc_err_t err;
    if (access (path, F_OK) == 0)
        return xc_curve_load (kp, path, &err) == 0 ? 0 : (fprintf (stderr, "xcctl: %s\n", err.text), -1);
    if (s_make_parent (path) != 0 || xc_curve_generate (kp, &err) != 0
        || xc_curve_save (kp, path, &err) != 0) {
        fprintf (stderr, "xcctl: unable to make '%s': %s\n", path, err.text);
        return -1;
    }
    printf ("made curve keypair in %s\n", path);
    return 0;
}

/*  Makes the secret file at path unless one is there (its content is checked then). */
static int
s_secret_ensure (const char *path)
{
    xc_err_t err;
    unsigned char secret[XC_SECRET_BYTES];
    int rc = 0;
    if (access (path, F_OK) == 0)
        rc = xc_secret_load (secret, path, &err);
    else if (s_make_parent (path) != 0 || xc_secret_generate (secret) != 0
             || xc_secret_save (secret, path, &err) != 0)
        rc = -1;
    else
        printf ("made secret key in %s\n", path);
    sodium_memzero (secret, sizeof secret);
    if (rc != 0)
        fprintf (stderr, "xcctl: '%s': %s\n", path, err.text);
    return rc;
}

/*  With curve on, the HTTP gateway connects with its own CURVE keypair as principal "gateway"
    of role gateway (services/gateway/curve.h). The registry wants a signing key for every
    principal: one is made and registered, its secret part never written, so nothing can ever
    be signed as the gateway (it signs nothing, docs/services/gateway.md). */
static int
s_gateway_ensure (const xc_config_t *cfg, json_t *principals, const char *year)
{
    if (!cfg->gateway_curve_key) {
        fprintf (stderr, "xcctl: '%s': services.gateway.curve_key: missing (curve is on)\n", cfg->path);
        return -1;
    }
    xc_curve_keypair_t kp;
    if (s_curve_ensure (cfg->gateway_curve_key, &kp) != 0)
        return -1;
    int rc = 0;
    if (s_principal_find (principals, "gateway"))
        s_register_curve (principals, "gateway", kp.public_z85);
    else {
        char kid[XC_KID_MAX];
        snprintf (kid, sizeof kid, "gateway#%s-unused", year);
        xc_key_t key;
        xc_err_t err;
        if (xc_key_generate (&key, kid, &err) != 0) {
            fprintf (stderr, "xcctl: %s\n", err.text);
            rc = -1;
        } else
            s_register (principals, "gateway", "gateway", &key, kp.public_z85);
        xc_key_wipe (&key);
    }
    sodium_memzero (&kp, sizeof kp);
    return rc;
}

/*  With services.gateway.public, the gateway signs the public's messages as principal
    "public" of role public: its key file is made (the one key the gateway holds) and
    registered. */
static int
s_public_ensure (const xc_config_t *cfg, json_t *principals, const char *year)
{
    const char *key_path = json_string_value (json_object_get (json_object_get (cfg->gateway, "public"), "key"));
    if (!key_path)
        return 0;
    char *path = xc_config_resolve (cfg, key_path);
    if (!path)
        return -1;
    char kid[XC_KID_MAX];
    snprintf (kid, sizeof kid, "public#%s-1", year);
    xc_key_t key;
    int rc = s_key_ensure (path, kid, &key);
    free (path);
    if (rc == 0)
        s_register (principals, "public", "public", &key, NULL);
    xc_key_wipe (&key);
    return rc;
}

static int s_init_locked (ctl_t *ctl);

static int
s_init (ctl_t *ctl)
{
    /* the registry service writes the file too: one writer at a time */
    int lock = ctl_registry_lock (ctl);
    if (lock < 0)
        return 1;
    int status = s_init_locked (ctl);
    xc_registry_unlock (lock);
    return status;
}

static int
s_init_locked (ctl_t *ctl)
{
    const xc_config_t *cfg = ctl->config;
    json_t *doc = access (cfg->registry, F_OK) == 0 ? json_load_file (cfg->registry, JSON_REJECT_DUPLICATES, NULL)
                                                    : json_pack ("{s:[]}", "principals");
    json_t *principals = json_object_get (doc, "principals");
    if (!json_is_array (principals)) {
        fprintf (stderr, "xcctl: '%s' is not a registry\n", cfg->registry);
        json_decref (doc);
        return 1;
    }
    char year[8];
    char now[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_clock_wall (), now);
    snprintf (year, sizeof year, "%.4s", now);
    int rc = 0;
    for (size_t i = 0; i < cfg->n_services && rc == 0; i++) {
        const xc_service_conf_t *svc = &cfg->services[i];
        char kid[XC_KID_MAX];
        snprintf (kid, sizeof kid, "%s#%s-1", svc->name, year);
        xc_key_t key;
        xc_curve_keypair_t kp;
        rc = s_key_ensure (svc->key, kid, &key);
        if (rc == 0 && cfg->curve)
            rc = s_curve_ensure (svc->curve_key, &kp);
        if (rc == 0 && svc->secret_key)
            rc = s_secret_ensure (svc->secret_key);
        if (rc == 0) {
            s_register (principals, svc->name, "service", &key, cfg->curve ? kp.public_z85 : NULL);
            s_make_parent (svc->database);
        }
        xc_key_wipe (&key);
    }
    if (rc == 0 && cfg->gateway_http && cfg->curve)
        rc = s_gateway_ensure (cfg, principals, year);
    if (rc == 0)
        rc = s_public_ensure (cfg, principals, year);
    if (rc == 0) {
        char kid[XC_KID_MAX];
        snprintf (kid, sizeof kid, "%s#%s-1", OPERATOR, year);
        xc_key_t key;
        xc_curve_keypair_t kp;
        char curve_path[4096];
        snprintf (curve_path, sizeof curve_path, "%.4000s.curve", ctl->key_path);
        rc = s_key_ensure (ctl->key_path, kid, &key);
        if (rc == 0 && cfg->curve)
            rc = s_curve_ensure (curve_path, &kp);
        if (rc == 0)
            s_register (principals, OPERATOR, "office", &key, cfg->curve ? kp.public_z85 : NULL);
        xc_key_wipe (&key);
    }
    if (rc == 0) {
        char tmp[4096];
        snprintf (tmp, sizeof tmp, "%.4000s.tmp", cfg->registry);
        if (json_dump_file (doc, tmp, JSON_INDENT (2)) != 0 || rename (tmp, cfg->registry) != 0) {
            fprintf (stderr, "xcctl: unable to write '%s'\n", cfg->registry);
            rc = -1;
        }
    }
    json_decref (doc);
    xc_registry_t *check = NULL;
    xc_err_t err;
    if (rc == 0 && xc_registry_load (cfg->registry, &check, &err) != 0) {
        fprintf (stderr, "xcctl: the registry is not valid: %s\n", err.text);
        rc = -1;
    }
    xc_registry_destroy (&check);
    return rc == 0 ? 0 : 1;
}

/*  health's events waiting for a working-day calendar file, for the row of a service that
    has them (rectify, referral; docs/protocol.md section 10). */
static void
s_health_waiting (json_t *row, const json_t *health)
{
    const json_t *waiting = json_object_get (json_object_get (health, "waiting"), "calendar");
    if (waiting)
        json_object_set (row, "waiting", (json_t *) waiting);
}

/*  Every service, or only those named (a container's healthcheck names its own), asked at
    once: with every service down the answer takes one --timeout, not one per service. */
static int
s_health (ctl_t *ctl, int argc, char **argv)
{
    const xc_config_t *cfg = ctl->config;
    for (int k = 0; k < argc; k++)
        if (!xc_config_service (cfg, argv[k])) {
            const char *names[64];
            size_t n = 0;
            for (; n < cfg->n_services && n < 64; n++)
                names[n] = cfg->services[n].name;
            fprintf (stderr, "xcctl: health: no service '%s' in the config", argv[k]);
            ctl_suggest (argv[k], names, n);
            return CTL_USAGE;
        }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    ctl_request_t *reqs = calloc (cfg->n_services ? cfg->n_services : 1, sizeof *reqs);
    if (!reqs)
        return CTL_LOCAL;
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_services; i++) {
        bool named = argc == 0;
        for (int k = 0; k < argc && !named; k++)
            named = strcmp (argv[k], cfg->services[i].name) == 0;
        if (named)
            reqs[n++] = (ctl_request_t) { .service = cfg->services[i].name, .type = "health" };
    }
    ctl_call_all (ctl, reqs, n);
    json_t *rows = json_array ();
    int down = 0, bad_reply = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        const xc_service_conf_t *svc = xc_config_service (cfg, reqs[i].service);
        json_t *h = reqs[i].result;
        int code = reqs[i].code;
        json_t *row = json_pack ("{s:s, s:s, s:s}", "service", svc->name, "api", svc->api, "state",
                                 h ? "up" : code == CTL_DOWN ? "DOWN" : code == CTL_BAD_REPLY ? "BAD REPLY" : "ERROR");
        if (h) {
            /* events of the services it reads that it has not applied yet; a source whose head
               the consumer has not learnt yet (just after a restart, or while it is down) makes
               the lag unknown, never negative */
            long long lag = 0;
            bool known = true;
            const char *source;
            json_t *position;
            json_t *sources = json_object ();
            json_object_foreach (json_object_get (h, "sources"), source, position) {
                json_t *head = json_object_get (position, "head");
                long long offset = json_integer_value (json_object_get (position, "offset"));
                bool head_known = json_is_integer (head) && json_integer_value (head) >= offset;
                known = known && head_known;
                if (head_known)
                    lag += json_integer_value (head) - offset;
                json_object_set_new (sources, source, json_pack ("{s:I, s:o}", "offset", (json_int_t) offset, "head",
                                                                 head_known ? json_incref (head) : json_null ()));
            }
            json_object_set_new (row, "sources", sources);
            json_object_set (row, "head", json_object_get (h, "head"));
            json_object_set (row, "commands", json_object_get (h, "commands"));
            json_object_set_new (row, "lag", known ? json_integer (lag) : ctl->json ? json_null () : json_string ("?"));
            s_health_waiting (row, h);
        }
        down += code == CTL_DOWN;
        bad_reply += code == CTL_BAD_REPLY;
        refused += !h && code != CTL_DOWN && code != CTL_BAD_REPLY;
        json_array_append_new (rows, row);
        json_decref (h);
    }
    free (reqs);
    if (ctl->json)
        ctl_print (ctl, rows);
    else {
        static const char *const columns[] = { "service", "api", "state", "head", "commands", "lag",
                                               "waiting", NULL };
        ctl_table (rows, columns);
    }
    json_decref (rows);
    return down ? CTL_DOWN : bad_reply ? CTL_BAD_REPLY : refused ? CTL_REFUSED : CTL_OK;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: xcctl [--config FILE] [--key FILE] [--json] [--timeout MS] COMMAND ...\n"
             "  init       make what the deployment lacks: keys and registry entries (safe to rerun)\n"
             "  health [SERVICE ...]   each service's liveness, latest event and consumer lag\n"
             "  services   the services of the config\n"
             "  events SERVICE [--after SEQ] [--follow]   a service's events, as you may read them\n"
             "  stats [--round R] [--owner O] [--year Y] [--kind K] [--mode M] [--category C] [--unit-level L]\n"
             "             one report across the services, in the source document's shape, for a selection\n"
             "  export problems|tasks|responsibilities|leads [--round R] [--unit U] [--target ISS] --out FILE.csv\n"
             "  import units FILE.csv   register units in bulk (id,name,level,parent)\n"
             "  import round --rounds 轮次.csv [--targets ..] [--problems ..] [--leads ..] [--people ..] [--check]\n"
             "             past rounds from the office's spreadsheets, each fact on its own date\n"
             "  audit verify [SERVICE ...]   check every event chain's links and signatures, and every evidence file\n"
             "  file put --service S FILE | file get --service S --sha256 H --out FILE   evidence files\n"
             "  keys export [--out FILE]   the services' public keys (a JWK Set) for a reader's own audit\n"
             "  keygen --out FILE.jwk --kid KID [--curve] [--not-before T] [--not-after T]   a key pair\n"
             "  principal add|list|revoke   edit the registry the services read (no restart)\n"
             "  simulate --profile NAME   drive empty stores to a profile's figures (config/profiles/)\n"
             "  search [--in intake,rectify,referral] [filters] WORDS...   full-text search, grouped by service\n"
             "  repeats PROBLEM | repeats [--round R] [--state S]   suspected repeat problems (屡查屡犯)\n"
             "  repeat confirm|dismiss PROBLEM OF [--note T]   decide one\n"
             "  ranking --year Y | --round R [--district D] [--csv]   the units ranked\n"
             "  lookback ROUND   a lookback round's view of its prior round\n"
             "  NOUN VERB [--member value ...] [--file DATA.json]   a command or query (below)\n"
             "  help [NOUN]   the verbs, with their arguments for a noun\n"
             "exit status: 0 done, 1 refused by a service, 2 bad usage, 3 a service did not answer,\n"
             "             4 a local problem (config, key, file), 5 audit found a record that does not verify,\n"
             "             6 something named does not exist, 7 a reply xcctl refused (too large, signature, signer)\n"
             "verbs:\n");
    ctl_verbs_help (out, NULL);
}

/*  The commands beyond the services' own verbs, with their usage for --help and help WORD. */
static const struct {
    const char *name, *usage;
} s_commands[] = {
    { "init", "xcctl init\n  makes what the deployment lacks: each service's keys, the operator's key, their registry entries" },
    { "health", "xcctl health [SERVICE ...]\n  every service (or those named), asked at once: up or down, latest event,"
                " commands, consumer lag\n  (? while a source's head is not known yet); exit 3 when one does not answer" },
    { "services", "xcctl services\n  the services of the config" },
    { "events", "xcctl events SERVICE [--after SEQ] [--follow]\n  a service's events as you may read them" },
    { "audit", "xcctl audit verify [SERVICE ...]\n  recompute every hash link, check every signature; exit 5 names what fails" },
    { "keys", "xcctl keys export [--out FILE.json]\n  the public keys of the deployment's services from the registry, as a JWK Set"
              " (what the gateway serves at /v1/keys),\n  for a reader to load into the console's 核验 page" },
    { "stats", "xcctl stats [--round R] [--owner city|district|UNIT] [--year YYYY] [--kind K] [--mode M]"
               " [--category C] [--unit-level L]\n"
               "  one report across the services in the source document's shape, in Chinese, each rate with its"
               " definition;\n  the filters (combined with AND) go to intake.stats, referral.stats and rectify.stats:"
               "\n  --kind regular|special|mobile|lookback, --mode elevated|cross|system|extended|linked|audit_linked,"
               "\n  --year 2000-2100, --category a category id (with the categories under it), --unit-level a unit level" },
    { "rules", "xcctl rules [--district D]\n  the rules in effect from the deployment file (deadlines, warnings, escalation,"
               " lead access, notices' recipients),\n  for the city and for D (without --district: every district with its own"
               " rules), each with why:\n  全市默认 (the code's default), 全市配置 (the city's policy), 区县配置 (the district's)" },
    { "export", "xcctl export problems|tasks|responsibilities [--round R] [--unit U] --out FILE.csv\n"
                "xcctl export leads [--target ISS] --out FILE.csv\n  a round, unit or target that does not exist is exit 6"
                " and no file is written" },
    { "import", "xcctl import units FILE.csv\n  a header line, then id,name,level,parent; refused rows named by line\n"
                "xcctl import round --rounds 轮次.csv [--targets 被巡察单位.csv] [--problems 问题.csv] [--leads 线索处置.csv]"
                " [--people 处理人员.csv] [--reports 专题报告.csv] [--check] [--wait S]\n  past rounds with their real dates (docs/xcctl.md,"
                " \"Importing past rounds\"); refused rows named by file:line, the rest go on; --check reads only" },
    { "keygen", "xcctl keygen --out FILE.jwk --kid KID [--curve] [--not-before TIME] [--not-after TIME]\n"
                "  TIME: RFC 3339 (2027-01-01T00:00:00+08:00) or a date (2027-01-01, the deployment's local midnight)" },
    { "principal", "xcctl principal add --iss ISS --role ROLE --public FILE.jwk.pub [--scope JSON | --district D] [--curve Z85]"
                   " [--years N | --not-before TIME --not-after TIME]\n  --district D: a district's inspection office (role district,"
                   " scope {\"district\": D})\nxcctl principal list\nxcctl principal revoke --iss ISS\n"
                   "xcctl principal invite --iss ISS --display NAME --role ROLE [--scope JSON | --district D] --until TIME [--console URL]\n"
                   "  prints the code (shown once) and the console's link for the person to enroll with\n"
                   "xcctl principal pending\n  enrollments waiting, with the fingerprint to compare by phone\n"
                   "xcctl principal approve --iss ISS\nxcctl principal reject --iss ISS --reason TEXT" },
    { "qr", "xcctl qr --round R [--unit U] [--format png|svg] --out FILE\n  the QR of the public page's address"
            " (services.gateway.public.base_url/public/?round=R&unit=U), as the gateway serves it" },
    { "file", "xcctl file put --service intake|rectify|referral [--name NAME] FILE\n  upload an evidence file (resumes an"
              " upload begun before); prints its sha256 and type\nxcctl file get --service S --sha256 HASH --out FILE\n"
              "  download it, checked against the hash" },
    { "simulate", "xcctl simulate --profile NAME\n  drive empty stores to the profile's figures (config/profiles/NAME.json)" },
    { "search", "xcctl search [--in intake,rectify,referral] [--round R] [--owner O] [--unit U] [--category C] [--year Y]"
                " [--state S] [--limit N] [--offset N] WORDS...\n  full-text search of problems, items and referrals (each"
                " service you may ask), grouped, matched words in 【】" },
    { "repeats", "xcctl repeats PROBLEM\n  the suspected repeat problems (屡查屡犯) of a problem, with their decisions\n"
                 "xcctl repeats [--round R] [--unit U] [--state suggested|confirmed|dismissed]\n  the queue of suggestions" },
    { "repeat", "xcctl repeat confirm|dismiss PROBLEM OF [--note T] [--occurred-on D]\n  decide a suggestion, or confirm"
                " a pair found by hand" },
    { "ranking", "xcctl ranking --year Y | --round R [--district D] [--csv]\n  the units ranked by rectify; --csv: UTF-8"
                 " with BOM, Chinese header, every part of the score" },
    { "lookback", "xcctl lookback ROUND\n  a lookback (回头看) round's view of its prior round's items, unit by unit" },
    { "help", "xcctl help [COMMAND | NOUN]\n  every command and verb, or one command's usage, or a noun's verbs" },
};
#define N_COMMANDS (sizeof s_commands / sizeof s_commands[0])

/*  The options and first words each command knows (the rest are unknown: exit 2). */
static const struct {
    const char *name;
    const char *options[16];
    const char *words[8];            /* its first word, when it takes one from a list */
} s_known[] = {
    { "events", { "--after", "--follow" }, { NULL } },
    { "audit", { NULL }, { "verify" } },
    { "keys", { "--out" }, { "export" } },
    { "export", { "--round", "--unit", "--target", "--out" }, { "problems", "tasks", "responsibilities", "leads" } },
    { "import", { "--rounds", "--targets", "--problems", "--leads", "--people", "--reports", "--check", "--wait" },
      { "units", "round" } },
    { "keygen", { "--out", "--kid", "--curve", "--not-before", "--not-after" }, { NULL } },
    { "principal", { "--iss", "--role", "--public", "--scope", "--district", "--curve", "--years", "--not-before",
                      "--not-after", "--display", "--until", "--reason", "--console" },
      { "add", "list", "revoke", "invite", "pending", "approve", "reject" } },
    { "simulate", { "--profile" }, { NULL } },
    { "qr", { "--round", "--unit", "--format", "--out" }, { NULL } },
    { "file", { "--service", "--sha256", "--out", "--name" }, { "put", "get" } },
    { "rules", { "--district" }, { NULL } },
    { "init", { NULL }, { NULL } },
    { "health", { NULL }, { NULL } },
    { "services", { NULL }, { NULL } },
    { "stats", { "--round", "--owner", "--year", "--kind", "--mode", "--category", "--unit-level" }, { NULL } },
    { "search", { "--in", "--round", "--owner", "--unit", "--category", "--year", "--state", "--limit", "--offset" },
      { NULL } },
    { "repeats", { "--round", "--unit", "--state" }, { NULL } },
    { "repeat", { "--note", "--occurred-on" }, { "confirm", "dismiss" } },
    { "ranking", { "--year", "--round", "--district", "--csv" }, { NULL } },
    { "lookback", { NULL }, { NULL } },
};

/*  Every option of a built-in command known, its first word one of its list: CTL_OK, or
    CTL_USAGE after naming the unknown word and the nearest known one. */
static int
s_check_words (const char *command, int argc, char **argv)
{
    for (size_t c = 0; c < sizeof s_known / sizeof s_known[0]; c++) {
        if (strcmp (s_known[c].name, command) != 0)
            continue;
        size_t n_opts = 0, n_words = 0;
        while (n_opts < 16 && s_known[c].options[n_opts])
            n_opts++;
        while (n_words < 8 && s_known[c].words[n_words])
            n_words++;
        if (n_words && argc > 0 && argv[0][0] != '-') {
            bool ok = false;
            for (size_t w = 0; w < n_words; w++)
                ok = ok || strcmp (argv[0], s_known[c].words[w]) == 0;
            if (!ok) {
                fprintf (stderr, "xcctl: %s has no '%s'", command, argv[0]);
                ctl_suggest (argv[0], s_known[c].words, n_words);
                return CTL_USAGE;
            }
        }
        for (int k = 0; k < argc; k++) {
            if (strncmp (argv[k], "--", 2) != 0 || strcmp (argv[k], "--help") == 0)
                continue;
            bool ok = false;
            for (size_t o = 0; o < n_opts; o++)
                ok = ok || strcmp (argv[k], s_known[c].options[o]) == 0;
            if (!ok) {
                fprintf (stderr, "xcctl: %s: unknown option '%s'", command, argv[k]);
                if (n_opts)
                    ctl_suggest (argv[k], s_known[c].options, n_opts);
                else
                    fprintf (stderr, "; %s takes none\n", command);
                return CTL_USAGE;
            }
            /* flags take no value */
            k += strcmp (argv[k], "--follow") != 0 && strcmp (argv[k], "--check") != 0 && strcmp (argv[k], "--csv") != 0
                 && !(strcmp (command, "keygen") == 0 && strcmp (argv[k], "--curve") == 0);
        }
    }
    return CTL_OK;
}

static const char *
s_command_usage (const char *name)
{
    for (size_t u = 0; u < N_COMMANDS; u++)
        if (strcmp (s_commands[u].name, name) == 0)
            return s_commands[u].usage;
    return NULL;
}

static bool
s_is_noun (const char *word)
{
    const char *nouns[64];
    size_t n = ctl_verb_nouns (nouns, 64);
    for (size_t k = 0; k < n; k++)
        if (strcmp (nouns[k], word) == 0)
            return true;
    return false;
}

/*  An unknown first word: exit 2, with the nearest command or noun. */
static int
s_unknown_command (const char *word)
{
    const char *known[128];
    size_t n = 0;
    for (size_t u = 0; u < N_COMMANDS; u++)
        known[n++] = s_commands[u].name;
    n += ctl_verb_nouns (known + n, 128 - n);
    const char *near = ctl_nearest (word, known, n);
    fprintf (stderr, "xcctl: unknown command '%s'", word);
    if (near)
        fprintf (stderr, "; did you mean '%s'?", near);
    fprintf (stderr, " (xcctl help lists every command)\n");
    return CTL_USAGE;
}

/*  "'config/local.json': unable to open" says neither where that is nor how to choose:
    the path as resolved, and the ways to name the deployment. */
static void
s_config_failed (const char *path, const char *why, bool given)
{
    fprintf (stderr, "xcctl: %s\n", why);
    if (path[0] != '/') {
        char cwd[4096];
        if (getcwd (cwd, sizeof cwd))
            fprintf (stderr, "  (the config '%s' is relative to the current folder: %s/%s)\n", path, cwd, path);
    }
    if (!given)
        fprintf (stderr, "  (no --config and no XC_CONFIG: xcctl looked for var/local.json, then config/local.json,"
                         " in the current folder)\n");
    fprintf (stderr, "  choose the deployment with --config FILE or XC_CONFIG=FILE (make run's is var/local.json in"
                     " the folder it runs in)\n");
}

int
main (int argc, char **argv)
{
    ctl_t ctl = { .config_path = getenv ("XC_CONFIG"), .key_path = getenv ("XC_KEY"), .timeout_ms = 2000 };
    if (ctl.config_path && !ctl.config_path[0])
        ctl.config_path = NULL;
    bool config_given = ctl.config_path != NULL;
    /* --json may come anywhere: people add it at the end */
    int n = 0;
    for (int k = 0; k < argc; k++) {
        if (strcmp (argv[k], "--json") == 0)
            ctl.json = true;
        else
            argv[n++] = argv[k];
    }
    argc = n;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i += 2) {
        if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0) {
            s_usage (stdout);
            return CTL_OK;
        }
        static const char *const globals[] = { "--config", "--key", "--timeout", "--json", "--help" };
        bool known = false;
        for (size_t g = 0; g < 3; g++)
            known = known || strcmp (argv[i], globals[g]) == 0;
        if (!known) {
            fprintf (stderr, "xcctl: unknown option '%s'", argv[i]);
            ctl_suggest (argv[i], globals, 5);
            return CTL_USAGE;
        }
        if (i + 1 >= argc) {
            fprintf (stderr, "xcctl: %s needs a value\n", argv[i]);
            return CTL_USAGE;
        }
        if (strcmp (argv[i], "--config") == 0) {
            ctl.config_path = argv[i + 1];
            config_given = true;
        }
        else if (strcmp (argv[i], "--key") == 0)
            ctl.key_path = argv[i + 1];
        else {
            char *end;
            long ms = strtol (argv[i + 1], &end, 10);
            if (*end || end == argv[i + 1] || ms <= 0 || ms > 3600000) {
                fprintf (stderr, "xcctl: --timeout: '%s' is not a number of milliseconds (1 to 3600000)\n",
                         argv[i + 1]);
                return CTL_USAGE;
            }
            ctl.timeout_ms = (int) ms;
        }
    }
    if (i >= argc) {
        s_usage (stderr);
        return CTL_USAGE;
    }
    const char *command = argv[i];
    if (strcmp (command, "help") == 0) {
        if (i + 1 >= argc) {
            s_usage (stdout);
            return CTL_OK;
        }
        const char *word = argv[i + 1];
        if (s_command_usage (word))
            printf ("usage: %s\n", s_command_usage (word));
        else if (s_is_noun (word)) {
            printf ("the verbs of %s:\n", word);
            ctl_verbs_help (stdout, word);
        }
        else
            return s_unknown_command (word);
        return CTL_OK;
    }
    /* words are checked before the deployment is read: a typo is a typo wherever one stands */
    bool builtin = s_command_usage (command) != NULL;
    if (!builtin && !s_is_noun (command))
        return s_unknown_command (command);
    if (!builtin && (i + 1 >= argc || argv[i + 1][0] == '-')) {
        if (i + 1 < argc && (strcmp (argv[i + 1], "--help") == 0 || strcmp (argv[i + 1], "-h") == 0)) {
            printf ("the verbs of %s:\n", command);
            ctl_verbs_help (stdout, command);
            return CTL_OK;
        }
        fprintf (stderr, "xcctl: '%s' needs a verb; the verbs of %s:\n", command, command);
        ctl_verbs_help (stderr, command);
        return CTL_USAGE;
    }
    json_t *data = NULL;
    if (!builtin) {
        int usage = ctl_verb_prepare (command, argv[i + 1], argc - i - 2, argv + i + 2, &data);
        if (usage != CTL_OK || !data)
            return usage;
    }
    if (builtin && s_check_words (command, argc - i - 1, argv + i + 1) != CTL_OK)
        return CTL_USAGE;
    /* the stats filters' values, checked before the deployment is read */
    if (strcmp (command, "stats") == 0 && !ctl_flag (argc - i - 1, argv + i + 1, "--help")
        && !ctl_flag (argc - i - 1, argv + i + 1, "-h")) {
        json_t *filters;
        if (ctl_stats_filters (argc - i - 1, argv + i + 1, &filters) != CTL_OK)
            return CTL_USAGE;
        json_decref (filters);
    }
    /* --help after a command: its usage, on stdout */
    if (builtin)
        for (int k = i + 1; k < argc; k++)
            if (strcmp (argv[k], "--help") == 0 || strcmp (argv[k], "-h") == 0) {
                printf ("usage: %s\n", s_command_usage (command));
                return CTL_OK;
            }
    if (sodium_init () < 0)
        return CTL_LOCAL;
    /* make run's own deployment when there is one, else the template it is made from */
    if (!ctl.config_path)
        ctl.config_path = access ("var/local.json", R_OK) == 0 ? "var/local.json" : "config/local.json";
    xc_err_t err;
    if (xc_config_load (ctl.config_path, &ctl.config, &err) != 0) {
        s_config_failed (ctl.config_path, err.text, config_given);
        json_decref (data);
        return CTL_LOCAL;
    }
    char *default_key = xc_config_resolve (ctl.config, "keys/" OPERATOR ".jwk");
    if (!ctl.key_path)
        ctl.key_path = default_key;
    int rc;
    if (strcmp (command, "init") == 0)
        rc = s_init (&ctl);
    else if (strcmp (command, "health") == 0)
        rc = s_health (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "services") == 0) {
        for (size_t k = 0; k < ctl.config->n_services; k++)
            printf ("%s\n", ctl.config->services[k].name);
        rc = CTL_OK;
    }
    else if (strcmp (command, "events") == 0)
        rc = ctl_events (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "audit") == 0)
        rc = ctl_audit (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "keys") == 0)
        rc = ctl_keys (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "qr") == 0)
        rc = ctl_qr (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "stats") == 0)
        rc = ctl_stats (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "rules") == 0)
        rc = ctl_rules (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "export") == 0)
        rc = ctl_export (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "import") == 0)
        rc = ctl_import (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "keygen") == 0)
        rc = ctl_keygen (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "simulate") == 0)
        rc = ctl_simulate (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "principal") == 0)
        rc = ctl_principal (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "file") == 0)
        rc = ctl_file (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "search") == 0)
        rc = ctl_search (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "repeats") == 0)
        rc = ctl_repeats (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "repeat") == 0)
        rc = ctl_repeat (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "ranking") == 0)
        rc = ctl_ranking (&ctl, argc - i - 1, argv + i + 1);
    else if (strcmp (command, "lookback") == 0)
        rc = ctl_lookback (&ctl, argc - i - 1, argv + i + 1);
    else
        rc = ctl_verb_run (&ctl, command, argv[i + 1], data);
    ctl_close (&ctl);
    free (default_key);
    xc_config_destroy (&ctl.config);
    return rc;
}
