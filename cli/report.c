/*  report.c: xcctl stats, one report across the services in the shape of the source
    document's summary, for a selection (round, owner, year, kind, mode, category, unit level)
    passed as the same filters to intake.stats, referral.stats and rectify.stats
    (docs/xcctl.md names where each figure comes from). Everything printed is Chinese: the
    office reads it. Each rate is printed with the definition its service gives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"

/*  A word of the protocol and how the report names it. */
typedef struct {
    const char *id, *name;
} s_word_t;

/*  The fixed vocabularies of the schemas (services/intake/routes.c): their names in the
    report. Policy lists (categories, sanction kinds) are named by the services' answers. */
static const s_word_t s_kinds[] = {
    { "regular", "常规巡察" }, { "special", "专项巡察" }, { "mobile", "机动巡察" }, { "lookback", "回头看" }, { NULL, NULL } };
static const s_word_t s_modes[] = {
    { "elevated", "提级巡察" }, { "cross", "交叉巡察" }, { "system", "系统巡察" }, { "extended", "延伸巡察" },
    { "linked", "联动巡察" }, { "audit_linked", "巡审联动" }, { NULL, NULL } };
static const s_word_t s_levels[] = {
    { "city_department", "市级部门" }, { "district", "县/区" }, { "town", "镇/街道" }, { "village", "村/社区" },
    { "soe", "国有企业" }, { "school", "学校" }, { "hospital", "医院" }, { "other", "其他单位" }, { NULL, NULL } };
/*  The options of xcctl stats: each a filter member of the three stats queries. */
static const struct {
    const char *option, *member, *label;
    const s_word_t *words;           /* its values, when the schema fixes them */
} s_filters[] = {
    { "--round", "round", "轮次", NULL },
    { "--owner", "owner", "巡察主体", NULL },
    { "--year", "year", "年度", NULL },
    { "--kind", "kind", "巡察类型", s_kinds },
    { "--mode", "mode", "巡察方式", s_modes },
    { "--category", "category", "问题类别", NULL },
    { "--unit-level", "unit_level", "单位层级", s_levels },
};
#define N_FILTERS (sizeof s_filters / sizeof s_filters[0])
#define YEAR_MIN 2000
#define YEAR_MAX 2100

static const char *
s_name (const s_word_t *words, const char *id)
{
    for (int i = 0; words && words[i].id; i++)
        if (strcmp (words[i].id, id) == 0)
            return words[i].name;
    return id;
}

int
ctl_stats_filters (int argc, char **argv, json_t **filters_p)
{
    json_t *filters = json_object ();
    for (int i = 0; i < argc; i += 2) {
        size_t f = 0;
        while (f < N_FILTERS && strcmp (s_filters[f].option, argv[i]) != 0)
            f++;
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (f == N_FILTERS || !value) {
            /* xcctl.c has named an unknown option already: a word where an option belongs, or
               an option without its value */
            if (f == N_FILTERS)
                fprintf (stderr, "xcctl: stats: '%s' is not an option\n", argv[i]);
            else
                fprintf (stderr, "xcctl: stats: %s needs a value\n", argv[i]);
            fprintf (stderr, "usage: xcctl stats [--round R] [--owner O] [--year Y] [--kind K] [--mode M] [--category C]"
                             " [--unit-level L]\n");
            json_decref (filters);
            return CTL_USAGE;
        }
        const char *member = s_filters[f].member;
        if (json_object_get (filters, member)) {
            fprintf (stderr, "xcctl: stats: %s given twice (the filters combine with AND, one value each)\n", argv[i]);
            json_decref (filters);
            return CTL_USAGE;
        }
        json_t *v = NULL;
        if (strcmp (member, "year") == 0) {
            char *end;
            long year = strtol (value, &end, 10);
            if (*end || end == value || year < YEAR_MIN || year > YEAR_MAX)
                fprintf (stderr, "xcctl: stats --year: '%s' is not a year from %d to %d\n", value, YEAR_MIN, YEAR_MAX);
            else
                v = json_integer (year);
        }
        else if (s_filters[f].words) {
            const char *known[16];
            size_t n = 0;
            for (; s_filters[f].words[n].id && n < 16; n++)
                known[n] = s_filters[f].words[n].id;
            for (size_t k = 0; k < n && !v; k++)
                if (strcmp (known[k], value) == 0)
                    v = json_string (value);
            if (!v) {
                fprintf (stderr, "xcctl: stats %s: no such value '%s'", argv[i], value);
                ctl_suggest (value, known, n);
            }
        }
        else if (ctl_is_id (value))
            v = json_string (value);
        else
            fprintf (stderr, "xcctl: stats %s: '%s' is not an id (1-64 of A-Z a-z 0-9 . _ : -)\n", argv[i], value);
        if (!v) {
            json_decref (filters);
            return CTL_USAGE;
        }
        json_object_set_new (filters, member, v);
    }
    *filters_p = filters;
    return CTL_OK;
}

/*  A member by dotted path ("on_time.due"), or NULL. */
static const json_t *
s_get (const json_t *o, const char *path)
{
    char copy[128];
    snprintf (copy, sizeof copy, "%s", path);
    const json_t *v = o;
    for (char *save = NULL, *k = strtok_r (copy, ".", &save); k && v; k = strtok_r (NULL, ".", &save))
        v = json_object_get (v, k);
    return v;
}

static long long
s_int (const json_t *o, const char *path)
{
    return json_integer_value (s_get (o, path));
}

/*  "9657万元" for 96570000000 fen (exact yuan otherwise). */
static void
s_wan (long long fen, char *out, size_t size)
{
    long long yuan = fen / 100;
    if (fen % 100 == 0 && yuan % 10000 == 0)
        snprintf (out, size, "%lld万元", yuan / 10000);
    else
        snprintf (out, size, "%lld.%02lld元", fen / 100, fen % 100);
}

#define LABEL_COLUMNS 36

static void
s_line (int indent, const char *label, const char *value)
{
    int pad = LABEL_COLUMNS - indent - ctl_width (label);
    printf ("%*s%s%*s %s\n", indent, "", label, pad > 0 ? pad : 0, "", value);
}

static void
s_line_int (int indent, const char *label, long long v)
{
    char text[32];
    snprintf (text, sizeof text, "%lld", v);
    s_line (indent, label, text);
}

/*  A rate as the services give it (text with two decimals, or null when nothing counts). */
static void
s_rate (const json_t *rate, long long part, long long whole, const char *of, char *out, size_t size)
{
    if (json_is_string (rate))
        snprintf (out, size, "%s%%（%lld/%lld%s）", json_string_value (rate), part, whole, of);
    else
        snprintf (out, size, "—（%s为0）", of[0] ? of : "分母");
}

/*  The definition a service gives for a figure, printed under it once; printed marks it. */
static void
s_definition (const json_t *result, const char *figure, json_t *printed, const char *service)
{
    const json_t *text = json_object_get (json_object_get (result, "definitions"), figure);
    if (!json_is_string (text))
        return;
    printf ("%*s口径：%s\n", 6, "", json_string_value (text));
    char key[128];
    snprintf (key, sizeof key, "%s.%s", service, figure);
    json_object_set_new (printed, key, json_true ());
}

/*  The counts of an object {kind: n} as "警告3人，严重警告1人" by names ({kind: name});
    "" when all are zero. */
static void
s_kinds_text (const json_t *counts, const json_t *names, char *out, size_t size)
{
    out[0] = 0;
    size_t used = 0;
    const char *kind;
    json_t *n;
    json_object_foreach ((json_t *) counts, kind, n) {
        if (!json_is_integer (n) || json_integer_value (n) == 0)
            continue;
        const json_t *given = json_object_get (names, kind);
        const char *name = json_is_string (given) ? json_string_value (given) : kind;
        int w = snprintf (out + used, size - used, "%s%s%lld人", used ? "，" : "", name, json_integer_value (n));
        if (w < 0 || (size_t) w >= size - used)
            break;
        used += (size_t) w;
    }
}

/*  The selection as a person reads it: "轮次 R1（十二届市委第一轮巡察）；年度 2020", or 全部.
    round and unit: round.get's and unit.get's answers (NULL when not asked or refused). */
static void
s_print_filters (const ctl_t *ctl, const json_t *filters, const json_t *round, const json_t *unit)
{
    printf ("统计范围：");
    if (!json_object_size (filters)) {
        printf ("全部\n");
        return;
    }
    bool first = true;
    for (size_t f = 0; f < N_FILTERS; f++) {
        const json_t *v = json_object_get (filters, s_filters[f].member);
        if (!v)
            continue;
        printf ("%s%s ", first ? "" : "；", s_filters[f].label);
        first = false;
        const char *text = json_string_value (v), *member = s_filters[f].member;
        const json_t *name = NULL;
        if (json_is_integer (v))
            printf ("%lld", (long long) json_integer_value (v));
        else if (strcmp (member, "owner") == 0 && (strcmp (text, "city") == 0 || strcmp (text, "district") == 0))
            printf ("%s", strcmp (text, "city") == 0 ? "市委（市级巡察）" : "各区县委（县级巡察）");
        else if (strcmp (member, "category") == 0 && ctl_category_name (ctl, text))
            printf ("%s", ctl_category_name (ctl, text));
        else {
            printf ("%s", s_name (s_filters[f].words, text));
            name = strcmp (member, "round") == 0 ? json_object_get (round, "name")
                   : strcmp (member, "owner") == 0 ? json_object_get (unit, "name") : NULL;
        }
        if (json_is_string (name))
            printf ("（%s）", json_string_value (name));
    }
    printf ("\n");
}

/*  The headline figures derived from the three answers (also in --json's "summary"). */
typedef struct {
    long long city_main, city_extended, district_units, district_villages;
    long long measures_rectify, measures_referral;
} s_summary_t;

static void
s_summarize (const json_t *intake, const json_t *referral, const json_t *rectify, s_summary_t *s)
{
    memset (s, 0, sizeof *s);
    /* 市级巡察: the units of the city's regular rounds, main / extended; 县级巡察: the distinct
       units of the districts' regular rounds and those of them that are villages (a unit seen
       only in a 回头看 is not counted among the regular ones) */
    const json_t *city = s_get (intake, "coverage.by_owner.city");
    const json_t *district = s_get (intake, "coverage.by_owner.district");
    s->city_main = s_int (city, "by_kind.regular.main");
    s->city_extended = s_int (city, "by_kind.regular.extended");
    s->district_units = s_int (district, "units_by_kind.regular");
    s->district_villages = s_int (district, "by_kind_level.regular.village");
    s->measures_rectify = s_int (rectify, "institutional_measures");
    s->measures_referral = s_int (referral, "institutional_measures");
}

static void
s_print (const ctl_t *ctl, const char *title, const json_t *filters, const json_t *intake, const json_t *referral,
         const json_t *rectify, const json_t *round, const json_t *unit)
{
    char text[512], a[64], b[64];
    json_t *printed = json_object ();
    s_summary_t sum;
    s_summarize (intake, referral, rectify, &sum);

    printf ("巡察工作统计%s%s\n", title ? "：" : "", title ? title : "");
    s_print_filters (ctl, filters, round, unit);
    /* what the scope counts (the owner filter's definition), once for the three answers */
    const json_t *answers[] = { intake, referral, rectify };
    static const char *const answered_by[] = { "intake", "referral", "rectify" };
    const char *said = NULL;
    for (int k = 0; k < 3; k++) {
        const json_t *sentence = json_object_get (json_object_get (answers[k], "definitions"), "owner");
        if (!json_is_string (sentence))
            continue;
        if (!said || strcmp (said, json_string_value (sentence)) != 0)
            printf ("口径：%s\n", json_string_value (sentence));
        said = json_string_value (sentence);
        char key[64];
        snprintf (key, sizeof key, "%s.owner", answered_by[k]);
        json_object_set_new (printed, key, json_true ());
    }

    printf ("\n巡察覆盖\n");
    snprintf (text, sizeof text, "%lld / %lld", sum.city_main, sum.city_extended);
    s_line (2, "市级巡察 常规巡察/延伸巡察单位", text);
    snprintf (text, sizeof text, "%lld / %lld", sum.district_units, sum.district_villages);
    s_line (2, "县级巡察 被巡察单位/其中村（社区）", text);
    s_definition (intake, "coverage.by_owner", printed, "intake");
    s_line_int (2, "被巡察单位（不重复）", s_int (intake, "coverage.units"));
    s_definition (intake, "coverage.units", printed, "intake");

    printf ("\n发现问题与处置\n");
    s_line_int (2, "发现问题", s_int (intake, "problems.total"));
    s_definition (intake, "problems.total", printed, "intake");
    s_line_int (2, "立行立改（发现即改）", s_int (intake, "problems.immediate"));
    s_definition (intake, "problems.immediate", printed, "intake");
    s_line_int (4, "其中已整改销号", s_int (rectify, "immediate.closed"));
    s_definition (rectify, "immediate", printed, "rectify");
    s_line_int (2, "屡查屡犯（已确认）", s_int (intake, "problems.repeats"));
    s_definition (intake, "problems.repeats", printed, "intake");
    s_line_int (2, "移交问题线索", s_int (referral, "leads"));
    s_line_int (2, "移交职能部门", s_int (referral, "handovers"));
    s_line_int (2, "专题报告", s_int (referral, "reports"));
    s_definition (referral, "reports", printed, "referral");
    s_line_int (4, "其中领导签批", s_int (referral, "reports_signed"));
    s_definition (referral, "reports_signed", printed, "referral");
    s_line_int (4, "并入专题报告的问题", s_int (intake, "problems.folded_into_reports"));
    s_definition (intake, "problems.folded_into_reports", printed, "intake");

    printf ("\n问题线索处置结果\n");
    s_line_int (2, "立案", s_int (referral, "cases_filed"));
    s_definition (referral, "cases_filed", printed, "referral");
    s_line_int (2, "处理人数", s_int (referral, "people"));
    s_definition (referral, "people", printed, "referral");
    /* the kinds by the words of the referral policy, as referral's answer gives them */
    const json_t *names = json_object_get (referral, "names");
    for (int k = 0; k < 4; k++) {
        char form[2] = { (char) ('1' + k), 0 }, label[64];
        const json_t *name = json_object_get (json_object_get (names, "form"), form);
        snprintf (label, sizeof label, "%s", json_is_string (name) ? json_string_value (name) : form);
        snprintf (text, sizeof text, "%lld人", s_int (json_object_get (referral, "by_form"), form));
        s_line (4, label, text);
    }
    s_line_int (2, "党纪政务处分（人）", s_int (referral, "sanctioned_people"));
    s_definition (referral, "sanctioned_people", printed, "referral");
    /* each kind by its name: by_sanction {party: {kind: n}, administrative: {...}}, by_handling {kind: n} */
    static const struct {
        const char *label, *total, *list, *group;
        int indent;
    } people[] = {
        { "党纪处分", "party_sanctions", "party_sanction", "party", 4 },
        { "政务处分", "administrative_sanctions", "administrative_sanction", "administrative", 4 },
        { "组织处理", "organizational_handling", "organizational_handling", NULL, 2 },
    };
    for (int k = 0; k < 3; k++) {
        const json_t *by_sanction = json_object_get (referral, "by_sanction");
        const json_t *counts = people[k].group ? json_object_get (by_sanction, people[k].group)
                                               : json_object_get (referral, "by_handling");
        if (!counts && people[k].group)
            counts = json_object_get (by_sanction, people[k].list);
        char kinds[384];
        s_kinds_text (counts, json_object_get (names, people[k].list), kinds, sizeof kinds);
        snprintf (text, sizeof text, "%lld人%s%s%s", s_int (referral, people[k].total), kinds[0] ? "（" : "", kinds,
                  kinds[0] ? "）" : "");
        s_line (people[k].indent, people[k].label, text);
    }
    s_line_int (2, "留置", s_int (referral, "detentions"));
    s_line_int (2, "移送司法", s_int (referral, "prosecution_transfers"));
    snprintf (text, sizeof text, "%lld件", s_int (referral, "overdue_now"));
    s_line (2, "逾期未反馈线索", text);
    s_definition (referral, "overdue_now", printed, "referral");

    printf ("\n整改落实\n");
    s_rate (s_get (rectify, "on_time.rate"), s_int (rectify, "on_time.closed_on_time"), s_int (rectify, "on_time.due"),
            "", text, sizeof text);
    s_line (2, "整改按期报结率", text);
    s_definition (rectify, "on_time", printed, "rectify");
    s_rate (s_get (rectify, "completion.rate"), s_int (rectify, "completion.completed"),
            s_int (rectify, "completion.items"), "", text, sizeof text);
    s_line (2, "整改完成率", text);
    s_definition (rectify, "completion", printed, "rectify");
    snprintf (text, sizeof text, "%lld项（整改单位%lld项，专题报告和移交部门%lld项）",
              sum.measures_rectify + sum.measures_referral, sum.measures_rectify, sum.measures_referral);
    s_line (2, "完善制度机制", text);
    s_definition (rectify, "institutional_measures", printed, "rectify");
    s_definition (referral, "institutional_measures", printed, "referral");
    s_line_int (2, "解决群众关切问题", s_int (rectify, "public_concerns_resolved"));
    s_wan (s_int (rectify, "money_recovered_fen"), a, sizeof a);
    s_wan (s_int (rectify, "money_written_off_fen"), b, sizeof b);
    snprintf (text, sizeof text, "%s / %s", a, b);
    s_line (2, "清缴/核销应收款", text);
    s_definition (rectify, "money", printed, "rectify");
    snprintf (text, sizeof text, "%lld人（建议约谈%lld人）", s_int (rectify, "interviews_held"),
              s_int (rectify, "interviews_recommended"));
    s_line (2, "约谈一把手", text);
    s_definition (rectify, "interviews_held", printed, "rectify");
    s_definition (rectify, "interviews_recommended", printed, "rectify");
    long long due = s_int (rectify, "revisits.due"), done = s_int (rectify, "revisits.done");
    const json_t *coverage = s_get (rectify, "revisits.coverage");
    if (due > 0 && done >= due)
        snprintf (text, sizeof text, "%lld个 / 应回访%lld个，全覆盖", done, due);
    else if (json_is_string (coverage))
        snprintf (text, sizeof text, "%lld个 / 应回访%lld个，覆盖率%s%%", done, due, json_string_value (coverage));
    else
        snprintf (text, sizeof text, "%lld个 / 应回访%lld个", done, due);
    s_line (2, "巡察回访", text);
    s_definition (rectify, "revisits", printed, "rectify");
    snprintf (text, sizeof text, "%lld项", s_int (rectify, "overdue_now"));
    s_line (2, "逾期未整改", text);
    s_definition (rectify, "overdue_now", printed, "rectify");
    snprintf (text, sizeof text, "红 %lld 黄 %lld 绿 %lld", s_int (rectify, "lights.red"),
              s_int (rectify, "lights.yellow"), s_int (rectify, "lights.green"));
    s_line (2, "亮灯", text);
    s_definition (rectify, "lights", printed, "rectify");

    /* the services' other definitions, so that no figure's meaning is left out */
    bool heading = false;
    static const char *const services[] = { "intake", "referral", "rectify" };
    const json_t *results[] = { intake, referral, rectify };
    for (int k = 0; k < 3; k++) {
        const char *figure;
        json_t *sentence;
        json_object_foreach (json_object_get (results[k], "definitions"), figure, sentence) {
            char key[128];
            snprintf (key, sizeof key, "%s.%s", services[k], figure);
            if (json_object_get (printed, key) || !json_is_string (sentence))
                continue;
            if (!heading)
                printf ("\n其他口径\n");
            heading = true;
            printf ("  %s\n", json_string_value (sentence));
        }
    }
    json_decref (printed);
}

/*  One block of the report: the three answers for one scope (owner), 3 requests from reqs. */
typedef struct {
    const char *key;                 /* "all", "city", "district" or the district's id */
    const char *title;               /* 全市, 市本级, 各区县合计, the district's name */
    json_t *filters;                 /* owned */
    size_t first;                    /* its intake, referral and rectify requests */
} s_block_t;

static json_t *
s_block_json (const s_block_t *b, const ctl_request_t *reqs)
{
    s_summary_t s;
    const json_t *intake = reqs[b->first].result, *referral = reqs[b->first + 1].result;
    const json_t *rectify = reqs[b->first + 2].result;
    s_summarize (intake, referral, rectify, &s);
    return json_pack ("{s:O, s:O, s:O, s:O, s:{s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I, s:I}}}", "filters", b->filters,
                      "intake", intake, "referral", referral, "rectify", rectify, "summary",
                      "city", "regular_main", (json_int_t) s.city_main, "regular_extended", (json_int_t) s.city_extended,
                      "district", "units", (json_int_t) s.district_units, "villages", (json_int_t) s.district_villages,
                      "institutional_measures", "total", (json_int_t) (s.measures_rectify + s.measures_referral),
                      "rectify", (json_int_t) s.measures_rectify, "referral", (json_int_t) s.measures_referral);
}

int
ctl_stats (ctl_t *ctl, int argc, char **argv)
{
    json_t *filters;
    int rc = ctl_stats_filters (argc, argv, &filters);
    if (rc != CTL_OK)
        return rc;
    rc = ctl_open (ctl);
    if (rc != CTL_OK) {
        json_decref (filters);
        return rc;
    }
    /* a district office sees its own district's figures only: its block, as with --owner */
    const char *own = ctl_own_district (ctl);
    if (own && !json_object_get (filters, "owner"))
        json_object_set_new (filters, "owner", json_string (own));
    const char *owner = json_string_value (json_object_get (filters, "owner"));
    /* the scopes: one with --owner; else the city as a whole, the city's own rounds, all
       districts and each district (intake's units of level district) */
    json_t *districts = NULL;
    if (!owner) {
        districts = ctl_districts (ctl, &rc);
        if (!districts) {
            json_decref (filters);
            return rc;
        }
    }
    size_t n_blocks = owner ? 1 : 3 + json_array_size (districts);
    s_block_t *blocks = calloc (n_blocks, sizeof *blocks);
    /* one call per service per block, all at once; for people, the names of the round and of
       the district the filters name (round.get, unit.get: no figure depends on them) */
    ctl_request_t *reqs = calloc (3 * n_blocks + 2, sizeof *reqs);
    if (!blocks || !reqs) {
        free (blocks);
        free (reqs);
        json_decref (districts);
        json_decref (filters);
        return CTL_LOCAL;
    }
    for (size_t b = 0; b < n_blocks; b++) {
        json_t *f = json_deep_copy (filters);
        if (owner)
            blocks[b] = (s_block_t) { .key = owner, .title = NULL };
        else if (b < 3) {
            static const char *const keys[] = { "all", "city", "district" };
            static const char *const titles[] = { "全市", "市本级", "各区县合计" };
            blocks[b] = (s_block_t) { .key = keys[b], .title = titles[b] };
            if (b > 0)
                json_object_set_new (f, "owner", json_string (keys[b]));
        }
        else {
            const json_t *unit = json_array_get (districts, b - 3);
            const char *id = json_string_value (json_object_get (unit, "id"));
            const char *name = json_string_value (json_object_get (unit, "name"));
            blocks[b] = (s_block_t) { .key = id, .title = name ? name : id };
            json_object_set_new (f, "owner", json_string (id));
        }
        blocks[b].filters = f;
        blocks[b].first = 3 * b;
        static const char *const services[] = { "intake", "referral", "rectify" };
        static const char *const types[] = { "intake.stats", "referral.stats", "rectify.stats" };
        for (int k = 0; k < 3; k++)
            reqs[3 * b + (size_t) k] = (ctl_request_t) { .service = services[k], .type = types[k],
                                                         .data = json_deep_copy (f),
                                                         /* a district office may see no leads: said below */
                                                         .quiet = own && k == 1 };
    }
    size_t n = 3 * n_blocks;
    const char *round = json_string_value (json_object_get (filters, "round"));
    bool named_owner = owner && strcmp (owner, "city") != 0 && strcmp (owner, "district") != 0;
    int round_req = -1, unit_req = -1;
    if (round && !ctl->json) {
        round_req = (int) n;
        reqs[n++] = (ctl_request_t) { .service = "intake", .type = "round.get", .data = json_pack ("{s:s}", "round", round) };
    }
    if (named_owner && !ctl->json) {
        unit_req = (int) n;
        reqs[n++] = (ctl_request_t) { .service = "intake", .type = "unit.get", .data = json_pack ("{s:s}", "unit", owner) };
    }
    ctl_call_all (ctl, reqs, n);
    /* a district office whose discipline body allows it no view of leads (lead_access none):
       the figures of intake and rectify, and the leads' said to be withheld */
    bool no_leads = own && reqs[1].code == CTL_REFUSED && strcmp (reqs[1].error, "forbidden") == 0;
    if (no_leads) {
        reqs[1].code = CTL_OK;
        reqs[1].result = json_object ();
    }
    else if (own && reqs[1].code != CTL_OK)
        fprintf (stderr, "xcctl: referral refused referral.stats: %s: %s\n", reqs[1].error, reqs[1].message);
    rc = CTL_OK;
    for (size_t k = 0; k < 3 * n_blocks; k++)
        if (reqs[k].code != CTL_OK && rc == CTL_OK)
            rc = reqs[k].code;
    if (rc == CTL_OK && ctl->json) {
        json_t *all;
        if (owner) {
            all = s_block_json (&blocks[0], reqs);
            if (no_leads)
                json_object_set_new (all, "referral", json_null ());
        }
        else {
            /* the city as a whole at the top (the shape of one scope's answer, which readers of
               the report know), the other scopes keyed by theirs: city, district, districts.<D> */
            all = s_block_json (&blocks[0], reqs);
            json_object_set_new (all, "city", s_block_json (&blocks[1], reqs));
            json_object_set_new (all, "district", s_block_json (&blocks[2], reqs));
            json_object_set_new (all, "districts", json_object ());
            for (size_t b = 3; b < n_blocks; b++) {
                json_t *block = s_block_json (&blocks[b], reqs);
                json_object_set_new (block, "name", json_string (blocks[b].title));
                json_object_set_new (json_object_get (all, "districts"), blocks[b].key, block);
            }
        }
        ctl_print (ctl, all);
        json_decref (all);
    }
    else if (rc == CTL_OK)
        for (size_t b = 0; b < n_blocks; b++) {
            if (b)
                printf ("\n\n");
            /* a district's block names it as --owner does */
            json_t *unit = owner ? (unit_req >= 0 ? json_incref (reqs[unit_req].result) : NULL)
                         : b >= 3 ? json_pack ("{s:s}", "name", blocks[b].title) : NULL;
            s_print (ctl, blocks[b].title, blocks[b].filters, reqs[3 * b].result, reqs[3 * b + 1].result,
                     reqs[3 * b + 2].result, round_req >= 0 ? reqs[round_req].result : NULL, unit);
            json_decref (unit);
            if (no_leads)
                printf ("\n问题线索的数字不显示：本区县的纪委监委未同意巡察机构知悉线索（policies.referral.districts.%s.lead_access）\n",
                        own);
        }
    for (size_t k = 0; k < n; k++)
        json_decref (reqs[k].result);
    for (size_t b = 0; b < n_blocks; b++)
        json_decref (blocks[b].filters);
    free (reqs);
    free (blocks);
    json_decref (districts);
    json_decref (filters);
    return rc;
}
