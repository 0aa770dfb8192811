/*  simulate.c: xcctl simulate --profile NAME drives a running suite with empty stores through
    signed commands, like any client, until its figures are those of the profile
    (config/profiles/NAME.json): units, rounds, problems, leads and their outcomes, special
    reports, and rectification items closed on time with their outcomes. Afterwards xcctl stats
    prints the profile's figures.

    Dates: the five years are compressed into the last weeks (every round fed back ten days
    ago), because the services compute deadlines from the feedback date and the claims are made
    now; every item is due today and claimed today, so all close on time.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/calendar.h"
#include "common/clock.h"

typedef struct {
    ctl_t *ctl;
    const json_t *profile;
    xc_key_t team, discipline, units;
    long long calls;
    char today[XC_DATE_LEN + 1];
} s_sim_t;

static long long
s_num (const json_t *profile, const char *a, const char *b)
{
    const json_t *v = json_object_get (profile, a);
    return json_integer_value (b ? json_object_get (v, b) : v);
}

/*  One call as key's principal (NULL: the operator); the result, or NULL after printing why. */
static json_t *
s_do (s_sim_t *sim, const xc_key_t *key, const char *iss, const char *service, const char *type, json_t *data)
{
    int code;
    json_t *r = key ? ctl_call_as (sim->ctl, key, iss, service, type, data, &code, NULL)
                    : ctl_call (sim->ctl, service, type, data, &code, NULL);
    if (++sim->calls % 5000 == 0)
        fprintf (stderr, "simulate: %lld calls\n", sim->calls);
    return r;
}

#define DO(sim, key, iss, service, type, data)                              \
    do {                                                                    \
        json_t *r_ = s_do (sim, key, iss, service, type, data);             \
        if (!r_)                                                            \
            return CTL_REFUSED;                                             \
        json_decref (r_);                                                   \
    } while (0)

static void
s_day (s_sim_t *sim, int offset, char out[XC_DATE_LEN + 1])
{
    xc_date_format (xc_date_of_time (xc_clock_wall (), sim->ctl->config->utc_offset) + offset, out);
}

/*  Waits (bounded) until what returns at least want; 0 when it did. */
static int
s_wait (s_sim_t *sim, const char *service, const char *type, const char *member, long long want)
{
    for (int i = 0; i < 600; i++) {
        json_t *r = s_do (sim, NULL, NULL, service, type, NULL);
        long long have = json_integer_value (json_object_get (r, member));
        json_decref (r);
        if (have >= want)
            return 0;
        usleep (100 * 1000);
    }
    fprintf (stderr, "simulate: %s did not reach %s = %lld within 60 s\n", service, member, want);
    return -1;
}

static const char *const s_city_levels[] = { "city_department", "soe", "school", "hospital" };
static const char *const s_categories[] = { "political", "governance", "organization", "rectification", "ideology" };

static int
s_units_and_rounds (s_sim_t *sim, json_t *rounds)
{
    const json_t *p = sim->profile;
    long long city_main = s_num (p, "city_units", "main"), city_ext = s_num (p, "city_units", "extended");
    long long towns = s_num (p, "district_units", NULL), villages = s_num (p, "villages", NULL);
    long long districts = s_num (p, "districts", NULL);
    int city_rounds = (int) s_num (p, "city_rounds", NULL), district_rounds = (int) s_num (p, "district_rounds", NULL);
    char id[32], parent[32], name[64];
    for (long long i = 0; i < city_main + city_ext; i++) {
        snprintf (id, sizeof id, "C%04lld", i + 1);
        snprintf (name, sizeof name, "市直单位%lld", i + 1);
        DO (sim, NULL, NULL, "intake", "unit.register",
            json_pack ("{s:s, s:s, s:s}", "id", id, "name", name, "level", s_city_levels[i % 4]));
    }
    for (long long i = 0; i < districts; i++) {
        snprintf (id, sizeof id, "D%02lld", i + 1);
        snprintf (name, sizeof name, "第%lld区", i + 1);
        DO (sim, NULL, NULL, "intake", "unit.register", json_pack ("{s:s, s:s, s:s}", "id", id, "name", name, "level", "district"));
    }
    for (long long i = 0; i < towns; i++) {
        snprintf (id, sizeof id, "T%04lld", i + 1);
        snprintf (parent, sizeof parent, "D%02lld", i % districts + 1);
        snprintf (name, sizeof name, "镇街%lld", i + 1);
        DO (sim, NULL, NULL, "intake", "unit.register",
            json_pack ("{s:s, s:s, s:s, s:s}", "id", id, "name", name, "level", "town", "parent", parent));
    }
    for (long long i = 0; i < villages; i++) {
        snprintf (id, sizeof id, "V%04lld", i + 1);
        snprintf (parent, sizeof parent, "T%04lld", i % towns + 1);
        snprintf (name, sizeof name, "村社区%lld", i + 1);
        DO (sim, NULL, NULL, "intake", "unit.register",
            json_pack ("{s:s, s:s, s:s, s:s}", "id", id, "name", name, "level", "village", "parent", parent));
    }
    char open[XC_DATE_LEN + 1], start[XC_DATE_LEN + 1], end[XC_DATE_LEN + 1];
    s_day (sim, -40, open);
    s_day (sim, -35, start);
    s_day (sim, -25, end);
    for (int r = 0; r < city_rounds + district_rounds; r++) {
        bool city = r < city_rounds;
        json_t *targets = json_array ();
        if (city) {
            for (long long i = r; i < city_main; i += city_rounds) {
                snprintf (id, sizeof id, "C%04lld", i + 1);
                json_array_append_new (targets, json_pack ("{s:s, s:s}", "unit", id, "coverage", "main"));
            }
            for (long long i = r; i < city_ext; i += city_rounds) {
                snprintf (id, sizeof id, "C%04lld", city_main + i + 1);
                json_array_append_new (targets, json_pack ("{s:s, s:s}", "unit", id, "coverage", "extended"));
            }
        }
        else {
            int d = r - city_rounds;
            for (long long i = d; i < towns; i += district_rounds) {
                snprintf (id, sizeof id, "T%04lld", i + 1);
                json_array_append_new (targets, json_pack ("{s:s, s:s}", "unit", id, "coverage", "main"));
            }
            for (long long i = d; i < villages; i += district_rounds) {
                snprintf (id, sizeof id, "V%04lld", i + 1);
                json_array_append_new (targets, json_pack ("{s:s, s:s}", "unit", id, "coverage", "main"));
            }
        }
        snprintf (id, sizeof id, "%s-%02d", city ? "CR" : "DR", r + 1);
        snprintf (name, sizeof name, "%s第%d轮巡察", city ? "市委" : "区委", r + 1);
        json_array_append_new (rounds, json_pack ("{s:s, s:O}", "id", id, "targets", targets));
        DO (sim, NULL, NULL, "intake", "round.open",
            json_pack ("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "id", id, "name", name, "kind", "regular",
                       "team", "sim-team", "targets", targets, "planned_start", start, "planned_end", end, "date", open));
        DO (sim, NULL, NULL, "intake", "round.advance",
            json_pack ("{s:s, s:s, s:s}", "round", id, "stage", "stationed", "date", start));
    }
    return CTL_OK;
}

/*  Reports every problem; the first ones become leads, the next feedback items (the first of
    those public concerns); the rest stay recorded. */
static int
s_problems (s_sim_t *sim, const json_t *rounds)
{
    const json_t *p = sim->profile;
    long long problems = s_num (p, "problems", NULL), leads = s_num (p, "leads", NULL);
    long long items = s_num (p, "feedback_items", NULL), concerns = s_num (p, "public_concerns_resolved", NULL);
    size_t n_rounds = json_array_size (rounds);
    for (long long i = 0; i < problems; i++) {
        const json_t *round = json_array_get (rounds, (size_t) i % n_rounds);
        const json_t *targets = json_object_get (round, "targets");
        const json_t *target = json_array_get (targets, (size_t) (i / (long long) n_rounds) % json_array_size (targets));
        bool concern = i >= leads && i < leads + concerns;
        char summary[64];
        snprintf (summary, sizeof summary, "巡察发现问题%lld", i + 1);
        json_t *r = s_do (sim, &sim->team, "sim-team", "intake", "problem.report",
                          json_pack ("{s:O, s:O, s:s, s:s, s:s, s:s, s:s}", "round", json_object_get (round, "id"),
                                     "unit", json_object_get (target, "unit"), "category",
                                     concern ? "public_concerns" : s_categories[i % 5], "summary", summary,
                                     "detail", "模拟数据：按来源文件五年数字生成", "severity", "general",
                                     "source", "inspection_team"));
        if (!r)
            return CTL_REFUSED;
        json_int_t id = json_integer_value (json_object_get (r, "problem"));
        json_decref (r);
        if (i < leads)
            DO (sim, NULL, NULL, "intake", "problem.classify",
                json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", id, "dispositions", "kind", "lead", "body", "sim-discipline"));
        else if (i < leads + items)
            DO (sim, NULL, NULL, "intake", "problem.classify",
                json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", id, "dispositions", "kind", "feedback",
                           "timeliness", "deadline"));
    }
    char day[XC_DATE_LEN + 1];
    static const struct { const char *stage; int offset; } stages[] = {
        { "withdrawn", -25 }, { "reported", -20 }, { "feedback_delivered", -10 },
    };
    for (int s = 0; s < 3; s++) {
        s_day (sim, stages[s].offset, day);
        for (size_t k = 0; k < n_rounds; k++)
            DO (sim, NULL, NULL, "intake", "round.advance",
                json_pack ("{s:O, s:s, s:s}", "round", json_object_get (json_array_get (rounds, k), "id"),
                           "stage", stages[s].stage, "date", day));
    }
    return CTL_OK;
}

static int
s_referrals (s_sim_t *sim)
{
    const json_t *p = sim->profile;
    long long leads = s_num (p, "leads", NULL), cases = s_num (p, "cases_filed", NULL);
    if (s_wait (sim, "referral", "referral.stats", "leads", leads) != 0)
        return CTL_DOWN;
    int code;
    json_t *all = ctl_list_all (sim->ctl, "referral", "referral.list", json_pack ("{s:s}", "kind", "lead"), &code);
    if (!all)
        return code;
    size_t i;
    json_t *r;
    int rc = CTL_OK;
    json_array_foreach (all, i, r) {
        json_int_t id = json_integer_value (json_object_get (r, "id"));
        bool filed = (long long) i < cases;
        json_t *steps[] = {
            json_pack ("{s:I}", "referral", id),
            json_pack ("{s:I, s:s}", "referral", id, "method", filed ? "preliminary_verification" : "talk_inquiry"),
            filed ? json_pack ("{s:I, s:b, s:i, s:i, s:i, s:i, s:i}", "referral", id, "case_filed", 1,
                               "party_sanctions", 1, "administrative_sanctions", 0, "organizational_handling", 0,
                               "detentions", 0, "prosecution_transfers", 0) : NULL,
            json_pack ("{s:I}", "referral", id),
        };
        static const char *const types[] = { "referral.acknowledge", "referral.dispose", "referral.outcome",
                                             "referral.conclude" };
        for (int s = 0; s < 4; s++) {
            if (!steps[s])
                continue;
            json_t *out = rc == CTL_OK ? s_do (sim, &sim->discipline, "sim-discipline", "referral", types[s], steps[s])
                                       : (json_decref (steps[s]), NULL);
            if (!out)
                rc = CTL_REFUSED;
            json_decref (out);
        }
    }
    json_decref (all);
    if (rc != CTL_OK)
        return rc;
    for (long long k = 0; k < s_num (p, "special_reports", NULL); k++) {
        char title[64];
        snprintf (title, sizeof title, "专题报告%lld", k + 1);
        DO (sim, NULL, NULL, "referral", "referral.create",
            json_pack ("{s:s, s:s, s:s, s:s}", "kind", "report", "target", "sim-department", "title", title,
                       "detail", "巡察中发现的共性问题及建议"));
    }
    return CTL_OK;
}

static int
s_rectify (s_sim_t *sim)
{
    const json_t *p = sim->profile;
    long long items = s_num (p, "feedback_items", NULL), measures = s_num (p, "institutional_measures", NULL);
    if (s_wait (sim, "rectify", "rectify.stats", "items", items) != 0)
        return CTL_DOWN;
    int code;
    json_t *all = ctl_list_all (sim->ctl, "rectify", "rectify.list", json_object (), &code);
    if (!all)
        return code;
    static const char evidence[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    size_t i, n = json_array_size (all);
    json_t *item;
    int rc = CTL_OK;
    json_array_foreach (all, i, item) {
        if (rc != CTL_OK)
            break;
        json_int_t id = json_integer_value (json_object_get (item, "id"));
        /* the institutional measures spread over the items, exactly */
        long long m = measures / (long long) n + ((long long) i < measures % (long long) n);
        bool concern = strcmp (json_string_value (json_object_get (item, "category")), "public_concerns") == 0;
        json_t *outcomes = json_pack ("{s:I, s:b}", "institutional_measures", (json_int_t) m,
                                      "public_concern_resolved", concern);
        if (i == 0)
            json_object_set_new (outcomes, "money_recovered_fen", json_integer (s_num (p, "money_recovered_fen", NULL)));
        if (i == 1 || n == 1)
            json_object_set_new (outcomes, "money_written_off_fen", json_integer (s_num (p, "money_written_off_fen", NULL)));
        json_t *plan = json_pack ("{s:I, s:[{s:s, s:s, s:s, s:s}]}", "item", id, "measures", "text", "立行整改，建章立制",
                                  "owner", "整改责任人", "lead_leader", "分管领导", "deadline", sim->today);
        json_t *claim = json_pack ("{s:I, s:s, s:[{s:s, s:s}], s:o}", "item", id, "completion", "completed",
                                   "evidence", "file", "整改报告.pdf", "sha256", evidence, "outcomes", outcomes);
        json_t *a = s_do (sim, &sim->units, "sim-units", "rectify", "rectify.plan", plan);
        json_t *b = a ? s_do (sim, &sim->units, "sim-units", "rectify", "rectify.claim", claim) : (json_decref (claim), NULL);
        json_t *c = b ? s_do (sim, NULL, NULL, "rectify", "rectify.review",
                              json_pack ("{s:I, s:s}", "item", id, "decision", "accept")) : NULL;
        rc = a && b && c ? CTL_OK : CTL_REFUSED;
        json_decref (a);
        json_decref (b);
        json_decref (c);
    }
    json_decref (all);
    return rc;
}

int
ctl_simulate (ctl_t *ctl, int argc, char **argv)
{
    const char *name = argc == 2 && strcmp (argv[0], "--profile") == 0 ? argv[1] : NULL;
    if (!name) {
        fprintf (stderr, "usage: xcctl simulate --profile NAME   (config/profiles/NAME.json, or a path)\n");
        return CTL_USAGE;
    }
    char path[4096];
    snprintf (path, sizeof path, strchr (name, '/') ? "%s" : "config/profiles/%s.json", name);
    json_error_t jerr;
    json_t *profile = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object (profile)) {
        fprintf (stderr, "xcctl: profile '%s': %s\n", path, profile ? "not an object" : jerr.text);
        json_decref (profile);
        return CTL_LOCAL;
    }
    if (ctl->config->curve) {
        fprintf (stderr, "xcctl: simulate acts as several principals over one connection: run it on a deployment"
                         " without curve\n");
        json_decref (profile);
        return CTL_LOCAL;
    }
    int rc = ctl_open (ctl);
    s_sim_t sim = { .ctl = ctl, .profile = profile };
    if (rc == CTL_OK) {
        json_t *stats = s_do (&sim, NULL, NULL, "intake", "intake.stats", NULL);
        long long have = s_num (json_object_get (stats, "problems"), "total", NULL);
        json_decref (stats);
        if (!stats)
            rc = CTL_DOWN;
        else if (have) {
            fprintf (stderr, "xcctl: simulate needs empty stores; intake has %lld problems already\n", have);
            rc = CTL_LOCAL;
        }
    }
    /* the principals it acts as, registered like any department's (xcctl principal add) */
    char dir[4096], key_path[4200];
    snprintf (dir, sizeof dir, "%s", ctl->config->path);
    char *slash = strrchr (dir, '/');
    snprintf (slash ? slash + 1 : dir, sizeof dir - (size_t) (slash ? slash + 1 - dir : 0), "%s", "keys");
    json_t *all_units = json_object ();
    if (rc == CTL_OK && mkdir (dir, 0700) != 0 && errno != EEXIST) {
        fprintf (stderr, "xcctl: unable to make '%s'\n", dir);
        rc = CTL_LOCAL;
    }
    if (rc == CTL_OK) {
        json_t *units = json_array ();
        char id[32];
        long long city = s_num (profile, "city_units", "main") + s_num (profile, "city_units", "extended");
        for (long long i = 0; i < city; i++) {
            snprintf (id, sizeof id, "C%04lld", i + 1);
            json_array_append_new (units, json_string (id));
        }
        for (long long i = 0; i < s_num (profile, "district_units", NULL); i++) {
            snprintf (id, sizeof id, "T%04lld", i + 1);
            json_array_append_new (units, json_string (id));
        }
        for (long long i = 0; i < s_num (profile, "villages", NULL); i++) {
            snprintf (id, sizeof id, "V%04lld", i + 1);
            json_array_append_new (units, json_string (id));
        }
        json_object_set_new (all_units, "units", units);
        json_t *none = json_object (), *every = json_pack ("{s:[s]}", "units", "*");
        snprintf (key_path, sizeof key_path, "%s/sim-team.jwk", dir);
        rc = ctl_principal_ensure (ctl, "sim-team", "team", none, key_path, &sim.team);
        snprintf (key_path, sizeof key_path, "%s/sim-discipline.jwk", dir);
        rc = rc ? rc : ctl_principal_ensure (ctl, "sim-discipline", "discipline", every, key_path, &sim.discipline);
        snprintf (key_path, sizeof key_path, "%s/sim-units.jwk", dir);
        rc = rc ? rc : ctl_principal_ensure (ctl, "sim-units", "unit", all_units, key_path, &sim.units);
        json_decref (none);
        json_decref (every);
        sleep (2);                   /* every service reloads the registry within a second */
    }
    json_decref (all_units);
    int64_t started = xc_clock_mono_ms ();
    s_day (&sim, 0, sim.today);
    json_t *rounds = json_array ();
    if (rc == CTL_OK)
        rc = s_units_and_rounds (&sim, rounds);
    if (rc == CTL_OK)
        rc = s_problems (&sim, rounds);
    if (rc == CTL_OK)
        rc = s_referrals (&sim);
    if (rc == CTL_OK)
        rc = s_rectify (&sim);
    json_decref (rounds);
    if (rc == CTL_OK)
        printf ("simulated '%s': %lld calls in %.1f s; xcctl stats shows its figures\n",
                json_string_value (json_object_get (profile, "name")), sim.calls,
                (double) (xc_clock_mono_ms () - started) / 1000.0);
    xc_key_wipe (&sim.team);
    xc_key_wipe (&sim.discipline);
    xc_key_wipe (&sim.units);
    json_decref (profile);
    return rc;
}
