/*  simulate.c: xcctl simulate --profile NAME drives a running suite with empty stores through
    signed commands, like any client, over the profile's real years (config/profiles/NAME.json):
    units, the city's and the districts' rounds with their stages on real dates, problems found
    while the teams were stationed, leads and their outcomes per person, special reports and the
    leaders' sign-offs, rectification items planned, claimed and accepted, return visits,
    evaluations and interviews. Afterwards xcctl stats prints the figures, for any filter.

    Everything is recorded as the office recording from paper (docs/protocol.md, "History"):
    each fact carries its occurred_on, and the services compute every deadline and figure from
    those dates. The simulation types in no figure it does not record: the on-time rate is what
    the claim dates make it against the due dates rectify computed (the profile says how many
    claims to make before their due date), the linked round's figures are what its leads'
    outcomes say, the return visits' coverage is the visits recorded of those rectify made.

    Two levels (市县巡察上下联动): each district gets its own district office, a principal of
    role district (its key beside the operator's, registered like `xcctl principal add`). A
    district's rounds are opened, advanced and classified by its office, their items reviewed
    and their units visited by it; the city's by the city office (the operator). The city
    office opens the crossed rounds (交叉: a district's round run by another district's team)
    and the raised one (提级: the 回头看 over a district's units); the linked round (联动) is the
    city's round and one round of every district linked to it. So the city's units and the
    districts' units and villages are the figures of the rounds' owners, not of unit levels.

    Commands that do not depend on each other go in batches (ctl_call_all): one round trip for
    many, which is most of the run's time otherwise.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/clock.h"
#include "common/date.h"

#define S_BATCH 48                   /* commands in flight at once: within the 250 ms resend */

/*  A district office: the principal that speaks for one district (role district). */
typedef struct {
    const char *id;                  /* the district's unit id */
    const char *name;
    char iss[XC_NAME_MAX];
    char key_path[4096];
    xc_key_t key;
    ctl_t ctl;                       /* the operator's deployment with this key and sockets of its
                                        own: a late answer to one office's resent command never
                                        arrives on a socket where another office waits */
} s_office_t;

typedef struct {
    char id[80];
    char name[160];
    char team[96];                   /* the inspection group, as people read it */
    const char *kind;                /* regular | special | lookback */
    const char *owner;               /* a district's unit id, or NULL: the city */
    const s_office_t *office;        /* who runs it: the owner's office, NULL: the city office */
    bool opened_by_city;             /* a crossed round: the city office opens it */
    const char *prior;               /* a lookback's prior round */
    const char *theme;
    json_t *targets;                 /* [{"unit", "coverage"}] */
    json_t *modes;                   /* NULL or ["linked"] */
    json_t *link;                    /* NULL or {"kind": "linked" | "crossed" | "raised", ...} */
    xc_date_t open, start, withdrawn, reported, feedback;
    int city_index;                  /* the city's regular rounds: 0, 1, ...; -1 otherwise */
} s_round_t;

enum { P_RECORDED, P_LEAD, P_FEEDBACK, P_IMMEDIATE };

typedef struct {
    json_int_t id;                   /* intake's */
    int round;
    unsigned char what;              /* P_* */
    bool concern, filed, late, linked;
    int rank;                        /* its place among the round's leads or among the items */
    xc_date_t found, classified;
} s_problem_t;

typedef struct {
    ctl_t *ctl;
    const json_t *profile;
    long long calls;
    s_office_t *offices;             /* one a district of the profile, in its order */
    int n_offices;
    s_round_t *rounds;
    int n_rounds;
    s_problem_t *problems;
    long long n_problems;
    ctl_request_t batch[S_BATCH];
    const s_office_t *batch_office;  /* who signs the batch: one signer (and socket) a batch */
    json_int_t *keep[S_BATCH];       /* where a request's result's "keep_member" goes, or NULL */
    const char *keep_member[S_BATCH];
    size_t n_batch;
    int failed;                      /* the first failure's exit code */
} s_sim_t;

static long long
s_num (const json_t *obj, const char *a, const char *b)
{
    const json_t *v = json_object_get (obj, a);
    return json_integer_value (b ? json_object_get (v, b) : v);
}

static const char *
s_str (const json_t *obj, const char *a, const char *fallback)
{
    const char *s = json_string_value (json_object_get (obj, a));
    return s ? s : fallback;
}

static json_t *
s_date (xc_date_t d)
{
    char text[XC_DATE_LEN + 1];
    xc_date_format (d, text);
    return json_string (text);
}

static xc_date_t
s_parse (const json_t *text)
{
    xc_date_t d = 0;
    xc_err_t err;
    if (!json_is_string (text) || xc_date_parse (json_string_value (text), &d, &err) != 0)
        return 0;
    return d;
}

static xc_date_t s_today;               /* the deployment's today: no fact is dated after it */

/*  data with "occurred_on": d added (stolen, returned); a day after today is today (a late
    claim or an outcome of the profile's last months). */
static json_t *
s_on (json_t *data, xc_date_t d)
{
    json_object_set_new (data, "occurred_on", s_date (d > s_today ? s_today : d));
    return data;
}

/*  Sends what is queued and waits for every answer; the first refusal stops the run. */
static void
s_flush (s_sim_t *sim)
{
    if (!sim->n_batch)
        return;
    ctl_call_all (sim->batch_office ? (ctl_t *) &sim->batch_office->ctl : sim->ctl, sim->batch, sim->n_batch);
    for (size_t i = 0; i < sim->n_batch; i++) {
        if (sim->batch[i].code != CTL_OK && !sim->failed) {
            fprintf (stderr, "simulate: %s %s failed\n", sim->batch[i].service, sim->batch[i].type);
            sim->failed = sim->batch[i].code;
        }
        if (sim->keep[i])
            *sim->keep[i] = json_integer_value (json_object_get (sim->batch[i].result, sim->keep_member[i]));
        json_decref (sim->batch[i].result);
        sim->batch[i].result = NULL;
    }
    sim->calls += (long long) sim->n_batch;
    if (sim->calls / 5000 != (sim->calls - (long long) sim->n_batch) / 5000)
        fprintf (stderr, "simulate: %lld calls\n", sim->calls);
    sim->n_batch = 0;
}

/*  Queues a command signed by office (NULL: the city office, the operator; data stolen); its
    result is not needed. */
static void
s_queue_as (s_sim_t *sim, const s_office_t *office, const char *service, const char *type, json_t *data)
{
    if (sim->failed) {
        json_decref (data);
        return;
    }
    if (sim->n_batch == S_BATCH || (sim->n_batch && office != sim->batch_office))
        s_flush (sim);
    sim->batch_office = office;
    sim->keep[sim->n_batch] = NULL;
    sim->batch[sim->n_batch++] = (ctl_request_t) { .service = service, .type = type, .data = data };
}

/*  The same as the city office. */
static void
s_queue (s_sim_t *sim, const char *service, const char *type, json_t *data)
{
    s_queue_as (sim, NULL, service, type, data);
}

/*  The same, keeping the result's integer member into *out once it is flushed. */
static void
s_queue_keep (s_sim_t *sim, const char *service, const char *type, json_t *data, const char *member, json_int_t *out)
{
    s_queue (sim, service, type, data);
    if (!sim->failed) {
        sim->keep[sim->n_batch - 1] = out;
        sim->keep_member[sim->n_batch - 1] = member;
    }
}

/*  One call now, its result (caller owns), or NULL after printing why. */
static json_t *
s_call (s_sim_t *sim, const char *service, const char *type, json_t *data)
{
    s_flush (sim);
    int code;
    json_t *r = ctl_call (sim->ctl, service, type, data, &code, NULL);
    sim->calls++;
    if (!r && !sim->failed)
        sim->failed = code;
    return r;
}

/*  Waits (bounded) until query's member (a path of two members when sub) reaches want. */
static int
s_wait (s_sim_t *sim, const char *service, const char *type, const char *member, const char *sub, long long want)
{
    s_flush (sim);
    long long have = -1;
    for (int i = 0; i < 1200 && !sim->failed; i++) {
        json_t *r = s_call (sim, service, type, NULL);
        have = s_num (r, member, sub);
        json_decref (r);
        if (have >= want)
            return 0;
        usleep (100 * 1000);
    }
    fprintf (stderr, "simulate: %s %s%s%s is %lld, not %lld, after 120 s\n", service, member, sub ? "." : "",
             sub ? sub : "", have, want);
    if (!sim->failed)
        sim->failed = CTL_DOWN;
    return -1;
}

/* ---- the district offices ------------------------------------------------------------ */

static const s_office_t *
s_office_of (const s_sim_t *sim, const char *district)
{
    for (int d = 0; district && d < sim->n_offices; d++)
        if (strcmp (sim->offices[d].id, district) == 0)
            return &sim->offices[d];
    return NULL;
}

/*  The signers in turn, for loops that group a batch by signer: k = -1 the city office (NULL),
    then each district's office. */
static const s_office_t *
s_signer (const s_sim_t *sim, int k)
{
    return k < 0 ? NULL : &sim->offices[k];
}

/*  Each district's office: a principal of role district, scope {"district": id}, named
    district-<id in lower case>, its key beside the operator's (made once, kept for a rerun);
    then waits (bounded) until every service has reloaded the registry and knows the keys. */
static int
s_offices (s_sim_t *sim)
{
    const json_t *districts = json_object_get (sim->profile, "districts");
    sim->n_offices = (int) json_array_size (districts);
    sim->offices = calloc ((size_t) sim->n_offices + 1, sizeof *sim->offices);
    if (!sim->offices)
        return CTL_LOCAL;
    const char *slash = strrchr (sim->ctl->key_path, '/');
    int dir_len = slash ? (int) (slash - sim->ctl->key_path) : 1;
    const char *dir = slash ? sim->ctl->key_path : ".";
    for (int d = 0; d < sim->n_offices; d++) {
        s_office_t *o = &sim->offices[d];
        const json_t *district = json_array_get (districts, (size_t) d);
        o->id = s_str (district, "id", "?");
        o->name = s_str (district, "name", "?");
        size_t n = (size_t) snprintf (o->iss, sizeof o->iss, "district-");
        for (const char *c = o->id; *c && n + 1 < sizeof o->iss; c++)   /* iss: [a-z][a-z0-9._-]* */
            o->iss[n++] = *c >= 'A' && *c <= 'Z' ? (char) (*c - 'A' + 'a') : *c == ':' ? '-' : *c;
        o->iss[n] = 0;
        snprintf (o->key_path, sizeof o->key_path, "%.*s/%s.jwk", dir_len, dir, o->iss);
        json_t *scope = json_pack ("{s:s}", "district", o->id);
        int rc = ctl_principal_ensure (sim->ctl, o->iss, "district", scope, o->key_path, &o->key);
        json_decref (scope);
        if (rc != CTL_OK)
            return rc;
        o->ctl = *sim->ctl;
        memset (o->ctl.clients, 0, sizeof o->ctl.clients);
        o->ctl.key = o->key;
        o->ctl.iss = o->iss;
        printf ("区县巡察办 %s: %s (key %s)\n", o->name, o->iss, o->key_path);
    }
    fflush (stdout);
    if (!sim->n_offices)
        return CTL_OK;
    /* health answers every known principal: unknown_kid until the service reloads */
    const s_office_t *last = &sim->offices[sim->n_offices - 1];
    static const char *const services[] = { "intake", "referral", "rectify" };     /* the ones it calls */
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        for (int tries = 0;; tries++) {
            ctl_request_t req = { .service = services[i], .type = "health", .quiet = true };
            ctl_call_all ((ctl_t *) &last->ctl, &req, 1);
            json_decref (req.result);
            sim->calls++;
            if (req.code == CTL_OK)
                break;
            if (tries == 100) {
                fprintf (stderr, "simulate: %s does not know %s after 10 s: %s %s\n", services[i],
                         last->iss, req.error, req.message);
                return CTL_DOWN;
            }
            usleep (100 * 1000);
        }
    }
    return CTL_OK;
}

/* ---- units and rounds ---------------------------------------------------------------- */

static const char *const s_city_levels[] = { "city_department", "soe", "school", "hospital" };

static void
s_register (s_sim_t *sim, const s_office_t *office, const char *id, const char *name, const char *level,
            const char *parent)
{
    json_t *data = json_pack ("{s:s, s:s, s:s}", "id", id, "name", name, "level", level);
    if (parent)
        json_object_set_new (data, "parent", json_string (parent));
    s_queue_as (sim, office, "intake", "unit.register", data);
}

/*  A round's stages on real dates: opened two weeks before the team is stationed, a month
    there, the report ten days after, the feedback a fortnight later. */
static void
s_round_dates (s_round_t *r, xc_date_t start)
{
    r->start = start;
    r->open = start - 14;
    r->withdrawn = start + 30;
    r->reported = start + 40;
    r->feedback = start + 55;
}

/*  The district a crossed round's team comes from (profile "crossed": [{"district_round": k,
    "by": id}]), or NULL. */
static const char *
s_crossed_by (const json_t *profile, int k)
{
    size_t i;
    const json_t *c;
    json_array_foreach (json_object_get (profile, "crossed"), i, c)
        if (s_num (c, "district_round", NULL) == k + 1)
            return s_str (c, "by", NULL);
    return NULL;
}

static s_round_t *
s_round_new (s_sim_t *sim, const char *kind, const char *owner)
{
    s_round_t *round = &sim->rounds[sim->n_rounds++];
    round->kind = kind;
    round->owner = owner;
    round->office = s_office_of (sim, owner);
    round->city_index = -1;
    round->targets = json_array ();
    return round;
}

static void
s_target (s_round_t *round, const char *unit, const char *coverage)
{
    json_array_append_new (round->targets, json_pack ("{s:s, s:s}", "unit", unit, "coverage", coverage));
}

static int
s_units_and_rounds (s_sim_t *sim)
{
    const json_t *p = sim->profile;
    long long city_main = s_num (p, "city_units", "main"), city_ext = s_num (p, "city_units", "extended");
    long long towns = s_num (p, "district_units", NULL), villages = s_num (p, "villages", NULL);
    const json_t *districts = json_object_get (p, "districts");
    long long n_districts = (long long) json_array_size (districts);
    int city_rounds = (int) s_num (p, "city_rounds", NULL), district_rounds = (int) s_num (p, "district_rounds", NULL);
    int first = (int) s_num (p, "first_year", NULL), years = (int) (s_num (p, "last_year", NULL) - first + 1);
    const json_t *linked = json_object_get (p, "linked_round");
    const json_t *lookback = json_object_get (p, "lookback");
    char id[32], parent[32], name[160];
    for (long long i = 0; i < city_main + city_ext; i++) {
        snprintf (id, sizeof id, "C%04lld", i + 1);
        snprintf (name, sizeof name, "市直单位%lld", i + 1);
        s_register (sim, NULL, id, name, s_city_levels[i % 4], NULL);
    }
    for (long long d = 0; d < n_districts; d++) {
        const json_t *district = json_array_get (districts, (size_t) d);
        s_register (sim, NULL, s_str (district, "id", "?"), s_str (district, "name", "?"), "district", NULL);
    }
    s_flush (sim);                   /* the districts first: their offices register under them */
    /* towns and villages belong to the district whose round inspects them: round k of the
       districts' rounds is the district k mod n's, and inspects towns and villages i = k mod
       rounds; each district's office registers its own */
    for (long long d = 0; d < n_districts; d++)
        for (long long i = 0; i < towns; i++) {
            const s_office_t *office = &sim->offices[d];
            if (i % district_rounds % n_districts != d)
                continue;
            snprintf (id, sizeof id, "T%04lld", i + 1);
            snprintf (name, sizeof name, "%s镇街%lld", office->name, i / district_rounds + 1);
            s_register (sim, office, id, name, "town", office->id);
        }
    s_flush (sim);
    for (long long d = 0; d < n_districts; d++)
        for (long long i = 0; i < villages; i++) {
            long long k = i % district_rounds, per_round = (towns - k + district_rounds - 1) / district_rounds;
            if (k % n_districts != d)
                continue;
            snprintf (id, sizeof id, "V%04lld", i + 1);
            snprintf (parent, sizeof parent, "T%04lld", k + district_rounds * ((i / district_rounds) % per_round) + 1);
            snprintf (name, sizeof name, "村社区%lld", i + 1);
            s_register (sim, &sim->offices[d], id, name, "village", parent);
        }
    s_flush (sim);
    if (sim->failed)
        return sim->failed;

    int n = city_rounds + district_rounds + (linked ? 1 + (int) n_districts : 0) + (lookback ? 1 : 0);
    sim->rounds = calloc ((size_t) n, sizeof *sim->rounds);
    if (!sim->rounds)
        return CTL_LOCAL;
    /* the city's rounds two a year, spring and autumn, over the years; the districts' likewise */
    for (int r = 0; r < city_rounds; r++) {
        s_round_t *round = s_round_new (sim, "regular", NULL);
        int year = first + r * years / city_rounds;
        snprintf (round->id, sizeof round->id, "CR-%02d", r + 1);
        snprintf (round->name, sizeof round->name, "%d年市委第%d轮巡察", year, r + 1);
        snprintf (round->team, sizeof round->team, "市委第%d巡察组", r % 5 + 1);
        round->city_index = r;
        s_round_dates (round, xc_date_from_ymd (year, r % 2 ? 9 : 3, 10));
        for (long long i = r; i < city_main; i += city_rounds) {
            snprintf (id, sizeof id, "C%04lld", i + 1);
            s_target (round, id, "main");
        }
        for (long long i = r; i < city_ext; i += city_rounds) {
            snprintf (id, sizeof id, "C%04lld", city_main + i + 1);
            s_target (round, id, "extended");
        }
    }
    for (int k = 0; k < district_rounds; k++) {
        const json_t *district = json_array_get (districts, (size_t) (k % n_districts));
        s_round_t *round = s_round_new (sim, "regular", s_str (district, "id", "?"));
        int year = first + k * years / district_rounds;
        snprintf (round->id, sizeof round->id, "DR-%02d", k + 1);
        snprintf (round->name, sizeof round->name, "%d年%s委第%lld轮巡察", year, round->office->name,
                  (long long) (k / n_districts + 1));
        /* 交叉巡察: the city office opens it, another district's team inspects, the owner runs it */
        const char *by = s_crossed_by (p, k);
        if (by) {
            round->link = json_pack ("{s:s, s:s}", "kind", "crossed", "by", by);
            round->opened_by_city = true;
            snprintf (round->team, sizeof round->team, "%s委巡察组（交叉）", s_office_of (sim, by)->name);
        }
        else
            snprintf (round->team, sizeof round->team, "%s委巡察组", round->office->name);
        s_round_dates (round, xc_date_from_ymd (year, 4 + (k % 3) * 2, 15));
        for (long long i = k; i < towns; i += district_rounds) {
            snprintf (id, sizeof id, "T%04lld", i + 1);
            s_target (round, id, "main");
        }
        for (long long i = k; i < villages; i += district_rounds) {
            snprintf (id, sizeof id, "V%04lld", i + 1);
            s_target (round, id, "main");
        }
    }
    if (linked) {
        /* the provincial special inspection's linked round (联动): the city's round over its
           departments of the theme, and every district's round over the district, linked to it */
        const char *theme = s_str (linked, "theme", "危化品安全生产");
        xc_date_t start = xc_date_from_ymd ((int) s_num (linked, "year", NULL), 7, 1);
        s_round_t *city = s_round_new (sim, "special", NULL);
        snprintf (city->id, sizeof city->id, "%s", s_str (linked, "id", "LR-1"));
        snprintf (city->name, sizeof city->name, "%s", s_str (linked, "name", "联动巡察"));
        snprintf (city->team, sizeof city->team, "市委联动巡察组");
        city->theme = theme;
        city->modes = json_pack ("[s]", "linked");
        s_round_dates (city, start);
        long long city_targets = json_object_get (linked, "city_targets") ? s_num (linked, "city_targets", NULL) : 1;
        for (long long i = 0; i < city_targets && i < city_main; i++) {
            snprintf (id, sizeof id, "C%04lld", i + 1);
            s_target (city, id, "main");
        }
        for (long long d = 0; d < n_districts; d++) {
            const s_office_t *office = &sim->offices[d];
            s_round_t *round = s_round_new (sim, "special", office->id);
            snprintf (round->id, sizeof round->id, "%.31s-%.40s", city->id, office->id);
            snprintf (round->name, sizeof round->name, "%.100s（%s）", city->name, office->name);
            snprintf (round->team, sizeof round->team, "%s委联动巡察组", office->name);
            round->theme = theme;
            round->modes = json_pack ("[s]", "linked");
            round->link = json_pack ("{s:s, s:s}", "kind", "linked", "round", city->id);
            s_round_dates (round, start);
            s_target (round, office->id, "main");
        }
    }
    if (lookback) {
        /* the city's 提级回头看 (raised) over some of the first district round's towns and
           villages: its targets are all that district's */
        const s_round_t *prior = &sim->rounds[city_rounds];
        s_round_t *round = s_round_new (sim, "lookback", NULL);
        snprintf (round->id, sizeof round->id, "%s", s_str (lookback, "id", "LB-1"));
        snprintf (round->name, sizeof round->name, "%s", s_str (lookback, "name", "提级巡察回头看"));
        snprintf (round->team, sizeof round->team, "市委提级巡察组");
        round->prior = prior->id;
        round->modes = json_pack ("[s]", "elevated");
        round->link = json_pack ("{s:s, s:s}", "kind", "raised", "district", prior->owner);
        s_round_dates (round, xc_date_from_ymd ((int) s_num (lookback, "year", NULL), 5, 20));
        long long want_towns = s_num (lookback, "towns", NULL), want_villages = s_num (lookback, "villages", NULL);
        size_t i;
        const json_t *t;
        json_array_foreach (prior->targets, i, t) {
            const char *unit = s_str (t, "unit", "");
            long long *want = unit[0] == 'T' ? &want_towns : &want_villages;
            if (*want > 0) {
                (*want)--;
                s_target (round, unit, "main");
            }
        }
    }
    /* the rounds that name no other first, then those naming one (a look-back's prior, a
       linked round's city round); each phase grouped by who opens them */
    for (int phase = 0; phase < 2; phase++) {
        for (int k = -1; k < sim->n_offices; k++)
            for (int r = 0; r < sim->n_rounds; r++) {
                s_round_t *round = &sim->rounds[r];
                bool after = round->prior || (round->link && json_object_get (round->link, "round"));
                if (after != (phase == 1) || (round->opened_by_city ? NULL : round->office) != s_signer (sim, k))
                    continue;
                json_t *data = json_pack ("{s:s, s:s, s:s, s:s, s:O, s:o, s:o, s:o}", "id", round->id,
                                          "name", round->name, "kind", round->kind, "team", round->team,
                                          "targets", round->targets, "planned_start", s_date (round->start),
                                          "planned_end", s_date (round->withdrawn), "date", s_date (round->open));
                if (round->owner)
                    json_object_set_new (data, "owner", json_string (round->owner));
                if (round->modes)
                    json_object_set (data, "modes", round->modes);
                if (round->link)
                    json_object_set (data, "link", round->link);
                if (round->theme)
                    json_object_set_new (data, "theme", json_string (round->theme));
                if (round->prior)
                    json_object_set_new (data, "prior_round", json_string (round->prior));
                s_queue_as (sim, s_signer (sim, k), "intake", "round.open", data);
            }
        s_flush (sim);
    }
    for (int k = -1; k < sim->n_offices; k++)
        for (int r = 0; r < sim->n_rounds; r++)
            if (sim->rounds[r].office == s_signer (sim, k))
                s_queue_as (sim, sim->rounds[r].office, "intake", "round.advance",
                            json_pack ("{s:s, s:s, s:o}", "round", sim->rounds[r].id, "stage", "stationed",
                                       "date", s_date (sim->rounds[r].start)));
    s_flush (sim);
    return sim->failed;
}

/* ---- problems ------------------------------------------------------------------------ */

static const char *const s_lead_categories[] = { "political", "governance", "four_styles", "eight_rules",
                                                 "organization" };
static const char *const s_item_categories[] = { "rectification", "ideology", "poverty_alleviation", "governance",
                                                 "organization" };
static const char *const s_other_categories[] = { "political", "governance", "organization", "rectification",
                                                  "ideology", "four_styles", "eight_rules", "public_concerns" };

static int
s_this_year (void)
{
    int year, month, day;
    xc_date_to_ymd (s_today, &year, &month, &day);
    return year;
}

/*  Which problems are what: the linked round's from its figures, the rest spread over the
    regular rounds (problem i in round i mod n), the first ones leads, the next feedback items. */
static int
s_plan_problems (s_sim_t *sim)
{
    const json_t *p = sim->profile;
    const json_t *linked = json_object_get (p, "linked_round");
    long long total = s_num (p, "problems", NULL), leads = s_num (p, "leads", NULL);
    long long items = s_num (p, "feedback_items", NULL), concerns = s_num (p, "public_concerns_resolved", NULL);
    long long cases = s_num (p, "cases_filed", NULL);
    long long l_leads = s_num (linked, "leads", NULL), l_immediate = s_num (linked, "immediate", NULL);
    long long l_cases = s_num (linked, "cases_filed", NULL);
    long long n_districts = (long long) json_array_size (json_object_get (p, "districts"));
    long long city_rounds = s_num (p, "city_rounds", NULL), district_rounds = s_num (p, "district_rounds", NULL);
    long long first = s_num (p, "first_year", NULL), last = s_num (p, "last_year", NULL);
    /* the shape first: nothing is sent for a profile that cannot be simulated */
    if (n_districts < 1 || city_rounds < 1 || district_rounds < n_districts || district_rounds + city_rounds > 200
        || first < 2000 || last < first || last >= s_this_year () || s_num (p, "district_units", NULL) < district_rounds
        || s_num (p, "city_units", "main") < city_rounds || s_num (p, "villages", NULL) < 0) {
        fprintf (stderr, "xcctl: profile: it needs districts (1 or more), city_rounds (1-200, at most the city's main"
                         " units), district_rounds (at least one a district), district_units (at least one a district"
                         " round), first_year and last_year (from 2000, before this year)\n");
        return CTL_LOCAL;
    }
    const json_t *districts = json_object_get (p, "districts");
    for (long long d = 0; d < n_districts; d++) {
        const json_t *district = json_array_get (districts, (size_t) d);
        const char *id = s_str (district, "id", "");
        size_t len = strlen (s_str (district, "name", "")), id_len = strspn (id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "abcdefghijklmnopqrstuvwxyz0123456789._:-");
        bool twice = false;
        for (long long e = 0; e < d; e++)
            twice = twice || strcmp (id, s_str (json_array_get (districts, (size_t) e), "id", "")) == 0;
        if (!id[0] || id[id_len] || id_len > 40 || twice || len < 1 || len > 40) {
            fprintf (stderr, "xcctl: profile: districts[%lld] needs an id (1-40 of A-Z a-z 0-9 . _ : -, not used"
                             " before) and a name of 1-40 bytes\n", d);
            return CTL_LOCAL;
        }
    }
    const json_t *city_targets = json_object_get (linked, "city_targets");
    if (city_targets && (json_integer_value (city_targets) < 1
                         || json_integer_value (city_targets) > s_num (p, "city_units", "main"))) {
        fprintf (stderr, "xcctl: profile: linked_round.city_targets (the city's units its linked round inspects)"
                         " is 1 up to city_units.main\n");
        return CTL_LOCAL;
    }
    /* a crossed round: one of the districts' rounds, inspected by another district's team */
    size_t c;
    const json_t *crossed;
    json_array_foreach (json_object_get (p, "crossed"), c, crossed) {
        long long k = s_num (crossed, "district_round", NULL);
        const char *by = s_str (crossed, "by", "");
        bool known = false;
        for (long long d = 0; d < n_districts; d++)
            known = known || strcmp (by, s_str (json_array_get (districts, (size_t) d), "id", "")) == 0;
        const char *owner = k >= 1 && k <= district_rounds
                          ? s_str (json_array_get (districts, (size_t) ((k - 1) % n_districts)), "id", "") : by;
        if (!known || strcmp (owner, by) == 0) {
            fprintf (stderr, "xcctl: profile: crossed[%zu] needs a district_round (1-%lld) and a district 'by' other"
                             " than the round's own\n", c, district_rounds);
            return CTL_LOCAL;
        }
    }
    int regular = (int) (city_rounds + district_rounds);
    long long rest = total - l_leads - l_immediate;
    if (rest < 0 || leads < l_leads || items < l_immediate || cases < l_cases || leads - l_leads > rest
        || items - l_immediate > rest - (leads - l_leads) || concerns > items - l_immediate || cases > leads
        || s_num (p, "department_measures", NULL) > s_num (p, "institutional_measures", NULL)) {
        fprintf (stderr, "xcctl: profile: its counts do not fit together (problems, leads, feedback_items, cases_filed,"
                         " public_concerns_resolved, department_measures, linked_round)\n");
        return CTL_LOCAL;
    }
    sim->problems = calloc ((size_t) total + 1, sizeof *sim->problems);
    if (!sim->problems)
        return CTL_LOCAL;
    sim->n_problems = total;
    long long n_items = items - l_immediate, on_time_percent = s_num (p, "on_time_percent", NULL);
    long long late = n_items + l_immediate - ((n_items + l_immediate) * on_time_percent + 50) / 100;
    long long item_rank = 0;
    for (long long i = 0; i < rest; i++) {
        s_problem_t *q = &sim->problems[i];
        q->round = (int) (i % regular);
        if (i < leads - l_leads) {
            q->what = P_LEAD;
            q->filed = i < cases - l_cases;
        }
        else if (i < leads - l_leads + n_items) {
            q->what = P_FEEDBACK;
            q->concern = i - (leads - l_leads) < concerns;
            q->rank = (int) item_rank++;
        }
        else
            q->what = P_RECORDED;
    }
    int lr = regular;              /* the linked rounds follow the regular ones: the city's, the districts' */
    for (long long i = 0; linked && i < l_leads + l_immediate; i++) {
        s_problem_t *q = &sim->problems[rest + i];
        q->round = lr + (int) (i % (n_districts + 1));
        q->linked = true;
        q->what = i < l_leads ? P_LEAD : P_IMMEDIATE;
        q->rank = (int) (i < l_leads ? i : item_rank++);
        q->filed = i < l_cases;
    }
    /* the late claims spread evenly over the items */
    for (long long i = 0; i < total; i++) {
        s_problem_t *q = &sim->problems[i];
        if ((q->what == P_FEEDBACK || q->what == P_IMMEDIATE) && late > 0)
            q->late = (q->rank + 1) * late / (n_items + l_immediate) != q->rank * late / (n_items + l_immediate);
    }
    return CTL_OK;
}

static int
s_problems (s_sim_t *sim)
{
    const json_t *linked = json_object_get (sim->profile, "linked_round");
    const char *linked_category = s_str (linked, "category", "hazardous_chemicals");
    struct { long long index; } pending[S_BATCH];
    size_t n_pending = 0;
    long long *per_round = calloc ((size_t) sim->n_rounds + 1, sizeof *per_round);
    if (!per_round)
        return CTL_LOCAL;
    for (long long i = 0; i <= sim->n_problems && !sim->failed; i++) {
        if (i < sim->n_problems) {
            s_problem_t *q = &sim->problems[i];
            s_round_t *round = &sim->rounds[q->round];
            long long k = per_round[q->round]++;
            const json_t *target = json_array_get (round->targets, (size_t) k % json_array_size (round->targets));
            /* found while the team was stationed; classified after it withdrew */
            q->found = round->start + 1 + (int) (k % 28);
            q->classified = round->withdrawn + 5;
            const char *category = q->linked ? linked_category
                                 : q->concern ? (q->rank == 0 ? "receivables" : "livelihood")
                                 : q->what == P_LEAD ? s_lead_categories[i % 5]
                                 : q->what == P_FEEDBACK ? s_item_categories[i % 5] : s_other_categories[i % 8];
            char summary[64];
            snprintf (summary, sizeof summary, "巡察发现问题%lld", i + 1);
            json_t *data = json_pack ("{s:s, s:O, s:s, s:s, s:s, s:s, s:s, s:b}", "round", round->id,
                                      "unit", json_object_get (target, "unit"), "category", category,
                                      "summary", summary, "detail", "模拟数据：按来源文件五年数字生成",
                                      "severity", "general", "source", "inspection_team",
                                      "immediate", q->what == P_IMMEDIATE);
            sim->keep[sim->n_batch] = NULL;
            sim->batch[sim->n_batch++] = (ctl_request_t) { .service = "intake", .type = "problem.report",
                                                           .data = s_on (data, q->found) };
            pending[n_pending++].index = i;
        }
        if (n_pending == S_BATCH || (i == sim->n_problems && n_pending)) {
            ctl_call_all (sim->ctl, sim->batch, sim->n_batch);
            for (size_t b = 0; b < sim->n_batch; b++) {
                ctl_request_t *req = &sim->batch[b];
                if (req->code != CTL_OK && !sim->failed)
                    sim->failed = req->code;
                sim->problems[pending[b].index].id = json_integer_value (json_object_get (req->result, "problem"));
                json_decref (req->result);
                req->result = NULL;
            }
            sim->calls += (long long) sim->n_batch;
            sim->n_batch = n_pending = 0;
        }
    }
    free (per_round);
    for (int k = -1; k < sim->n_offices; k++)         /* the round's owner classifies: its office */
    for (long long i = 0; i < sim->n_problems && !sim->failed; i++) {
        const s_problem_t *q = &sim->problems[i];
        json_t *d = NULL;
        const s_round_t *round = &sim->rounds[q->round];
        if (round->office != s_signer (sim, k))
            continue;
        char body[96];
        snprintf (body, sizeof body, "%s纪委监委", round->office ? round->office->name : "市");
        if (q->what == P_LEAD)
            d = json_pack ("{s:s, s:s}", "kind", "lead", "body", body);
        else if (q->what == P_FEEDBACK || q->what == P_IMMEDIATE)
            d = json_pack ("{s:s, s:s}", "kind", "feedback", "timeliness",
                           q->what == P_IMMEDIATE ? "immediate" : "deadline");
        if (d)
            s_queue_as (sim, round->office, "intake", "problem.classify",
                     s_on (json_pack ("{s:I, s:[o]}", "problem", q->id, "dispositions", d), q->classified));
    }
    s_flush (sim);
    static const char *const stages[] = { "withdrawn", "reported", "feedback_delivered" };
    for (int s = 0; s < 3; s++) {
        for (int k = -1; k < sim->n_offices; k++)
        for (int r = 0; r < sim->n_rounds; r++) {
            const s_round_t *round = &sim->rounds[r];
            if (round->office != s_signer (sim, k))
                continue;
            xc_date_t d = s == 0 ? round->withdrawn : s == 1 ? round->reported : round->feedback;
            s_queue_as (sim, round->office, "intake", "round.advance",
                        json_pack ("{s:s, s:s, s:o}", "round", round->id, "stage", stages[s], "date", s_date (d)));
        }
        s_flush (sim);
    }
    return sim->failed;
}

/* ---- referral: leads, reports, sign-offs --------------------------------------------- */

static const s_problem_t *
s_problem_of (const s_sim_t *sim, json_int_t id)
{
    /* intake numbers the problems in the order reported, which is the plan's order; look up
       by value so a gap would not misplace one */
    long long lo = 0, hi = sim->n_problems - 1;
    while (lo <= hi) {
        long long mid = (lo + hi) / 2;
        if (sim->problems[mid].id == id)
            return &sim->problems[mid];
        if (sim->problems[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    for (long long i = 0; i < sim->n_problems; i++)
        if (sim->problems[i].id == id)
            return &sim->problems[i];
    return NULL;
}

static json_t *
s_person (int form, const char *party, const char *administrative, const char *handling, bool detained,
          bool prosecuted)
{
    return json_pack ("{s:i, s:s?, s:s?, s:s?, s:b, s:b}", "form", form, "party_sanction", party,
                      "administrative_sanction", administrative, "organizational_handling", handling,
                      "detained", detained, "prosecuted", prosecuted);
}

/*  The people of a lead's outcome. The linked round's first leads carry its sanctions and
    detentions (profile: sanctioned_people, detentions); its other cases are still being
    investigated (no one yet). Elsewhere a case ends in a warning for one person. */
static json_t *
s_people (const s_sim_t *sim, const s_problem_t *q)
{
    json_t *people = json_array ();
    if (!q->linked) {
        json_array_append_new (people, s_person (2, "warning", NULL, NULL, false, false));
        return people;
    }
    const json_t *linked = json_object_get (sim->profile, "linked_round");
    long long sanctioned = s_num (linked, "sanctioned_people", NULL), detained = s_num (linked, "detentions", NULL);
    if (q->rank < detained)          /* detained (留置) and expelled, handed to the prosecutors */
        json_array_append_new (people, s_person (4, "expulsion", q->rank == 0 ? "dismissal" : NULL, NULL, true,
                                                 true));
    else if (q->rank < sanctioned)
        json_array_append_new (people, s_person (3, "serious_warning", "demerit", NULL, false, false));
    return people;
}

static int
s_referrals (s_sim_t *sim)
{
    const json_t *p = sim->profile;
    long long leads = s_num (p, "leads", NULL);
    if (s_wait (sim, "referral", "referral.stats", "leads", NULL, leads) != 0)
        return sim->failed;
    int code;
    json_t *all = ctl_list_all (sim->ctl, "referral", "referral.list", json_pack ("{s:s}", "kind", "lead"), &code);
    if (!all)
        return code;
    size_t i;
    json_t *r;
    /* each step of every lead, one step at a time over all of them: a batch holds no two
       steps of one referral */
    for (int step = 0; step < 4 && !sim->failed; step++) {
        json_array_foreach (all, i, r) {
            json_int_t id = json_integer_value (json_object_get (r, "id"));
            const s_problem_t *q = s_problem_of (sim, json_integer_value (json_object_get (r, "problem")));
            if (!q) {
                fprintf (stderr, "simulate: lead %lld names a problem the simulation did not report\n", (long long) id);
                sim->failed = CTL_LOCAL;
                break;
            }
            xc_date_t referred = q->classified;
            if (step == 0)
                s_queue (sim, "referral", "referral.acknowledge", s_on (json_pack ("{s:I}", "referral", id), referred + 3));
            else if (step == 1)
                s_queue (sim, "referral", "referral.dispose",
                         s_on (json_pack ("{s:I, s:s}", "referral", id, "method",
                                          q->filed ? "preliminary_verification" : "talk_inquiry"), referred + 10));
            else if (step == 2 && q->filed)
                s_queue (sim, "referral", "referral.outcome",
                         s_on (json_pack ("{s:I, s:b, s:o}", "referral", id, "case_filed", 1, "people", s_people (sim, q)),
                               referred + 60 + (int) (id % 30)));
            else if (step == 3)
                s_queue (sim, "referral", "referral.conclude", s_on (json_pack ("{s:I}", "referral", id),
                                                                     referred + 100));
        }
        s_flush (sim);
    }
    json_decref (all);
    if (sim->failed)
        return sim->failed;

    /* special reports: one after each round's feedback in turn, to a department that
       acknowledges it, closes it with its 完善制度机制 measures (the profile's
       department_measures, spread exactly) and concludes it; the first ones signed by a city
       leader the day after they were made, before they go to the department (签批后转办) */
    long long reports = s_num (p, "special_reports", NULL), signed_ = s_num (p, "reports_signed", NULL);
    long long dept = s_num (p, "department_measures", NULL);
    json_int_t *ids = calloc ((size_t) reports + 1, sizeof *ids);
    if (!ids)
        return CTL_LOCAL;
    for (long long k = 0; k < reports; k++) {
        const s_round_t *round = &sim->rounds[k % sim->n_rounds];
        char title[256];
        snprintf (title, sizeof title, "%s专题报告%lld", round->name, k / sim->n_rounds + 1);
        s_queue_keep (sim, "referral", "referral.create",
                      s_on (json_pack ("{s:s, s:s, s:s, s:s, s:s}", "kind", "report", "target", "市有关职能部门",
                                       "title", title, "detail", "巡察中发现的共性问题及建议", "round", round->id),
                            round->feedback + 5), "referral", &ids[k]);
    }
    s_flush (sim);
    for (int step = 0; step < 5 && !sim->failed; step++) {
        for (long long k = 0; k < reports; k++) {
            xc_date_t made = sim->rounds[k % sim->n_rounds].feedback + 5;
            json_t *data = json_pack ("{s:I}", "referral", ids[k]);
            const char *type = "referral.acknowledge";
            xc_date_t on = made + 3;
            if (step == 0 && k < signed_) {
                type = "referral.sign";
                json_object_set_new (data, "leader", json_pack ("{s:s, s:s}", "name", "市领导", "title", "分管市领导"));
                on = made + 1;
            }
            else if (step == 0) {
                json_decref (data);
                continue;
            }
            else if (step == 2) {
                type = "referral.dispose";
                json_object_set_new (data, "method", json_string ("close"));
                on = made + 20;
            }
            else if (step == 3) {
                type = "referral.outcome";
                json_object_set_new (data, "case_filed", json_false ());
                json_object_set_new (data, "people", json_array ());
                json_object_set_new (data, "institutional_measures",
                                     json_integer (dept / reports + (k < dept % reports)));
                on = made + 40;
            }
            else if (step == 4) {
                type = "referral.conclude";
                on = made + 45;
            }
            s_queue (sim, "referral", type, s_on (data, on));
        }
        s_flush (sim);
    }
    free (ids);
    return sim->failed;
}

/* ---- rectify: items, visits, evaluations, interviews -------------------------------- */

static int
s_rectify (s_sim_t *sim)
{
    const json_t *p = sim->profile;
    long long items = s_num (p, "feedback_items", NULL);
    long long measures = s_num (p, "institutional_measures", NULL) - s_num (p, "department_measures", NULL);
    if (s_wait (sim, "rectify", "rectify.stats", "items", NULL, items) != 0)
        return sim->failed;
    int code;
    json_t *all = ctl_list_all (sim->ctl, "rectify", "rectify.list", json_object (), &code);
    if (!all)
        return code;
    static const char evidence[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    size_t i, n = json_array_size (all);
    json_t *item;
    xc_date_t *claimed = calloc (n + 1, sizeof *claimed);
    if (!claimed) {
        json_decref (all);
        return CTL_LOCAL;
    }
    /* the plan a few days after the feedback, its measure due on the item's due date; the claim
       before that date, or after it for the profile's late share; the office accepts two days on */
    for (int step = 0; step < 3 && !sim->failed; step++) {
        for (int k = -1; k < sim->n_offices; k++)
        json_array_foreach (all, i, item) {
            json_int_t id = json_integer_value (json_object_get (item, "id"));
            const s_problem_t *q = s_problem_of (sim, json_integer_value (json_object_get (item, "problem")));
            xc_date_t opened = s_parse (json_object_get (item, "opened_on")), due = s_parse (json_object_get (item, "due"));
            if (!q || !opened || !due) {
                fprintf (stderr, "simulate: item %lld has no problem of the simulation, or no dates\n", (long long) id);
                sim->failed = CTL_LOCAL;
                break;
            }
            /* the unit's plan and claim, recorded by the city office; the review by the round's owner */
            if ((step == 2 ? sim->rounds[q->round].office : NULL) != s_signer (sim, k))
                continue;
            xc_date_t planned = opened + 2;
            if (step == 0) {
                json_t *m = json_pack ("{s:s, s:s, s:s, s:o}", "text", "立行整改，建章立制", "owner", "整改责任人",
                                       "lead_leader", "分管领导", "deadline", s_date (due));
                s_queue (sim, "rectify", "rectify.plan", s_on (json_pack ("{s:I, s:[o]}", "item", id, "measures", m),
                                                               planned));
            }
            else if (step == 1) {
                xc_date_t when = q->late ? due + 5 + (int) (id % 20) : due - 1 - (int) (id % 10);
                if (when < planned)
                    when = planned;
                claimed[i] = when;
                long long m = measures / (long long) n + ((long long) i < measures % (long long) n);
                json_t *outcomes = json_pack ("{s:I, s:b}", "institutional_measures", (json_int_t) m,
                                              "public_concern_resolved", q->concern && q->rank != 0);
                if (q->concern && q->rank == 0) {      /* the villages' receivables */
                    json_object_set_new (outcomes, "money_recovered_fen",
                                         json_integer (s_num (p, "money_recovered_fen", NULL)));
                    json_object_set_new (outcomes, "money_written_off_fen",
                                         json_integer (s_num (p, "money_written_off_fen", NULL)));
                    json_object_set_new (outcomes, "public_concern_resolved", json_true ());
                }
                s_queue (sim, "rectify", "rectify.claim",
                         s_on (json_pack ("{s:I, s:s, s:[{s:s, s:s}], s:o}", "item", id, "completion", "completed",
                                          "evidence", "file", "整改报告.pdf", "sha256", evidence, "outcomes", outcomes),
                               when));
            }
            else
                s_queue_as (sim, sim->rounds[q->round].office, "rectify", "rectify.review",
                         s_on (json_pack ("{s:I, s:s}", "item", id, "decision", "accept"), claimed[i] + 2));
        }
        s_flush (sim);
    }
    free (claimed);
    json_decref (all);
    if (sim->failed)
        return sim->failed;

    /* every target unit's return visit, a few days after it fell due; the interviews of the
       first city round's lowest-scored units (evaluated first, their scores below the
       interview line) */
    long long targets = 0;
    for (int r = 0; r < sim->n_rounds; r++)
        targets += (long long) json_array_size (sim->rounds[r].targets);
    if (s_wait (sim, "rectify", "rectify.stats", "revisits", "due", targets) != 0)
        return sim->failed;
    for (int k = -1; k < sim->n_offices; k++)
    for (int r = 0; r < sim->n_rounds; r++) {
        const s_round_t *round = &sim->rounds[r];
        if (round->office != s_signer (sim, k))
            continue;
        xc_date_t visit = xc_date_add_months (round->feedback, 3) + 7;
        visit = visit > s_today ? s_today : visit;
        const json_t *t;
        json_array_foreach (round->targets, i, t)
            s_queue_as (sim, round->office, "rectify", "rectify.revisit",
                     json_pack ("{s:s, s:O, s:o, s:[s]}", "round", round->id, "unit", json_object_get (t, "unit"),
                                "date", s_date (visit), "kinds", "return_visit"));
    }
    s_flush (sim);
    long long interviews = s_num (p, "interviews", NULL);
    const s_round_t *first = &sim->rounds[0];
    size_t n_first = json_array_size (first->targets);
    for (size_t k = 0; k < n_first; k++) {
        const json_t *unit = json_object_get (json_array_get (first->targets, k), "unit");
        int task = (long long) k < interviews ? 40 + (int) k % 10 : 80 + (int) k % 20;   /* below 60 overall, or well above */
        s_queue (sim, "rectify", "rectify.evaluate",
                 s_on (json_pack ("{s:s, s:O, s:{s:i, s:i, s:i, s:i}, s:{s:s, s:s}}", "round", first->id, "unit", unit,
                                  "parts", "leadership", (long long) k < interviews ? 50 : 85, "responsibility",
                                  (long long) k < interviews ? 50 : 85, "task_completion", task, "satisfaction",
                                  (long long) k < interviews ? 50 : 90, "principal_leader", "name", "单位主要负责人",
                                  "title", "党委书记"),
                       first->feedback + 120));
    }
    s_flush (sim);
    for (long long k = 0; k < interviews && k < (long long) json_array_size (first->targets); k++) {
        const json_t *unit = json_object_get (json_array_get (first->targets, (size_t) k), "unit");
        s_queue (sim, "rectify", "rectify.interview",
                 s_on (json_pack ("{s:s, s:O, s:{s:s, s:s}, s:s, s:s}", "round", first->id, "unit", unit,
                                  "interviewee", "name", "单位主要负责人", "title", "党委书记", "by", "市委巡察工作领导小组",
                                  "note", "整改情况专项督查：综合整改评估分值偏低"),
                       first->feedback + 130));
    }
    s_flush (sim);
    return sim->failed;
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
    int rc = ctl_open (ctl);
    s_sim_t sim = { .ctl = ctl, .profile = profile };
    if (rc == CTL_OK) {
        json_t *stats = s_call (&sim, "intake", "intake.stats", NULL);
        long long have = s_num (json_object_get (stats, "problems"), "total", NULL);
        json_decref (stats);
        if (!stats)
            rc = CTL_DOWN;
        else if (have) {
            fprintf (stderr, "xcctl: simulate needs empty stores; intake has %lld problems already\n", have);
            rc = CTL_LOCAL;
        }
    }
    int64_t started = xc_clock_mono_ms ();
    s_today = xc_date_of_time (xc_clock_wall (), ctl->config->utc_offset);
    if (rc == CTL_OK)
        rc = s_plan_problems (&sim);
    if (rc == CTL_OK)
        rc = s_offices (&sim);
    if (rc == CTL_OK)
        rc = s_units_and_rounds (&sim);
    if (rc == CTL_OK)
        rc = s_problems (&sim);
    if (rc == CTL_OK)
        rc = s_referrals (&sim);
    if (rc == CTL_OK)
        rc = s_rectify (&sim);
    s_flush (&sim);
    if (rc == CTL_OK && sim.failed)
        rc = sim.failed;
    if (rc == CTL_OK)
        printf ("simulated '%s': %lld calls in %.1f s; xcctl stats shows its figures\n",
                s_str (profile, "name", name), sim.calls, (double) (xc_clock_mono_ms () - started) / 1000.0);
    for (int r = 0; r < sim.n_rounds; r++) {
        json_decref (sim.rounds[r].targets);
        json_decref (sim.rounds[r].modes);
        json_decref (sim.rounds[r].link);
    }
    for (int d = 0; d < sim.n_offices; d++) {
        for (size_t i = 0; i < sizeof sim.offices[d].ctl.clients / sizeof sim.offices[d].ctl.clients[0]; i++)
            xc_client_destroy (&sim.offices[d].ctl.clients[i]);
        xc_key_wipe (&sim.offices[d].ctl.key);
        xc_key_wipe (&sim.offices[d].key);
    }
    free (sim.offices);
    free (sim.rounds);
    free (sim.problems);
    json_decref (profile);
    return rc;
}
