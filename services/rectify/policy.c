/*  policy.c: policies.rectify, with the domain's defaults (docs/services/rectify.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "common/files.h"
#include "common/schema.h"
#include "common/search_query.h"
#include "services/rectify/rectify.h"

const char *const rectify_parts[4] = { "leadership", "responsibility", "task_completion", "satisfaction" };

#define SPAN(n) { .name = n, .type = XC_T_STRING, .min = 1, .max = RECTIFY_WORD - 1 }
#define WORD(n, req) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = RECTIFY_WORD - 1 }

static const char *const s_period_ends[] = { "next_workday", "after_holiday", "keep", NULL };
#define PERIOD_END { .name = "period_end", .type = XC_T_STRING, .one_of = s_period_ends }

static const xc_field_t s_regime_fields[] = {
    { .name = "plan_due", .type = XC_T_STRING, .required = true, .min = 1, .max = RECTIFY_WORD - 1 },
    { .name = "report_due", .type = XC_T_STRING, .required = true, .min = 1, .max = RECTIFY_WORD - 1 },
    PERIOD_END,
    { .name = NULL },
};
static const xc_field_t s_regime = { .type = XC_T_OBJECT, .fields = s_regime_fields };
static const xc_field_t s_warning_fields[] = {
    WORD ("colour", true),
    { .name = "days_left", .type = XC_T_INTEGER, .required = true, .min = 1, .max = 366 },
    { .name = NULL },
};
static const xc_field_t s_warning = { .type = XC_T_OBJECT, .fields = s_warning_fields };
static const xc_field_t s_step = { .type = XC_T_STRING, .min = 1, .max = RECTIFY_WORD - 1 };
static const xc_field_t s_escalation_fields[] = {
    { .name = "every_days", .type = XC_T_INTEGER, .min = 1, .max = 366 },
    { .name = "steps", .type = XC_T_ARRAY, .max = RECTIFY_MAX_STEPS, .items = &s_step },
    { .name = NULL },
};
#define WEIGHT(n) { .name = n, .type = XC_T_INTEGER, .required = true, .min = 0, .max = 100 }
static const xc_field_t s_weight_fields[] = {
    WEIGHT ("leadership"), WEIGHT ("responsibility"), WEIGHT ("task_completion"), WEIGHT ("satisfaction"),
    { .name = NULL },
};
static const xc_field_t s_grade_fields[] = {
    WORD ("grade", true),
    { .name = "name", .type = XC_T_STRING, .min = 1, .max = RECTIFY_WORD * 2 - 1 },
    { .name = "min", .type = XC_T_INTEGER, .required = true, .min = 0, .max = 100 },
    { .name = NULL },
};
static const xc_field_t s_grade = { .type = XC_T_OBJECT, .fields = s_grade_fields };
static const xc_field_t s_interview_fields[] = {
    { .name = "below", .type = XC_T_INTEGER, .min = 0, .max = 100 },
    { .name = "lowest", .type = XC_T_INTEGER, .min = 0, .max = 10000 },
    { .name = NULL },
};
/* the deadline rules: the city's, and the members a district may have its own of */
#define DEADLINE_RULES                                                                         \
    { .name = "regimes", .type = XC_T_MAP, .max = RECTIFY_MAX_REGIMES, .items = &s_regime },     \
    WORD ("default_regime", false),                                                             \
    SPAN ("immediate_due"),                                                                     \
    { .name = "warnings", .type = XC_T_ARRAY, .max = RECTIFY_MAX_WARNINGS, .items = &s_warning }, \
    { .name = "escalation", .type = XC_T_OBJECT, .fields = s_escalation_fields },                \
    SPAN ("revisit_after"),                                                                     \
    PERIOD_END
static const xc_field_t s_district_fields[] = {
    DEADLINE_RULES,
    { .name = NULL },
};
static const xc_field_t s_district = { .type = XC_T_OBJECT, .fields = s_district_fields };
static const xc_field_t s_sentence = { .type = XC_T_STRING, .min = 1, .max = 2000 };
static const xc_field_t s_role = { .type = XC_T_STRING, .min = 1, .max = RECTIFY_WORD - 1 };
/* policies.rectify.documents: the formal documents' kinds and issuers (documents.c) */
static const xc_field_t s_doc_kind_fields[] = {
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 60 },
    { .name = "code", .type = XC_T_STRING, .required = true, .min = 1, .max = 40 },
    { .name = NULL },
};
static const xc_field_t s_doc_kind = { .type = XC_T_OBJECT, .fields = s_doc_kind_fields };
static const xc_field_t s_doc_issuer_fields[] = {
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 200 },
    { .name = "short", .type = XC_T_STRING, .required = true, .min = 1, .max = 60 },
    { .name = NULL },
};
static const xc_field_t s_doc_issuer = { .type = XC_T_OBJECT, .fields = s_doc_issuer_fields };
static const xc_field_t s_documents_fields[] = {
    { .name = "kinds", .type = XC_T_MAP, .max = 64, .items = &s_doc_kind },
    { .name = "issuers", .type = XC_T_MAP, .max = 256, .items = &s_doc_issuer },
    { .name = "district_issuer", .type = XC_T_OBJECT, .fields = s_doc_issuer_fields },
    { .name = NULL },
};
/* policies.rectify.evidence (files.c) */
const xc_field_t rectify_evidence_policy_fields[] = {
    { .name = "signoff_requires_files", .type = XC_T_BOOLEAN },
    { .name = NULL },
};
/* policies.rectify.search (search.c): item_search's columns, in the table's order, and their
   default bm25 weights: a word in the summary weighs most, then the measures, the detail and the unit's names */
static const char *const s_search_columns[] = { "summary", "detail", "measures", "unit_names", NULL };
static const int s_search_weights[] = { 10, 2, 5, 5 };

static const xc_field_t s_search_weight_fields[] = {
    XC_SEARCH_WEIGHT ("summary"), XC_SEARCH_WEIGHT ("detail"), XC_SEARCH_WEIGHT ("measures"),
    XC_SEARCH_WEIGHT ("unit_names"),
    { .name = NULL },
};
const xc_field_t rectify_search_policy_fields[] = { XC_SEARCH_POLICY_FIELDS (s_search_weight_fields) };

void
rectify_search_policy_load (rectify_policy_t *policy, const json_t *given)
{
    xc_search_policy_load (&policy->search, given, s_search_columns, s_search_weights);
}

static const xc_field_t s_fields[] = {
    { .name = "documents", .type = XC_T_OBJECT, .fields = s_documents_fields },
    { .name = "history_roles", .type = XC_T_ARRAY, .max = RECTIFY_MAX_ROLES, .items = &s_role },
    SPAN ("history_quiet"),
    { .name = "definitions", .type = XC_T_MAP, .max = 32, .items = &s_sentence },
    DEADLINE_RULES,
    { .name = "calendar_warn_from", .type = XC_T_NULLABLE_STRING, .min = 5, .max = 5 },
    { .name = "weights", .type = XC_T_OBJECT, .fields = s_weight_fields },
    { .name = "grades", .type = XC_T_ARRAY, .min = 1, .max = RECTIFY_MAX_GRADES, .items = &s_grade },
    { .name = "interview", .type = XC_T_OBJECT, .fields = s_interview_fields },
    { .name = "districts", .type = XC_T_MAP, .max = 256, .items = &s_district },
    /* evidence files (common/files.h, services/rectify/files.c, docs/files.md) */
    { .name = "files", .type = XC_T_OBJECT, .fields = xc_files_policy_fields },
    { .name = "evidence", .type = XC_T_OBJECT, .fields = rectify_evidence_policy_fields },
    /* full-text search (search.c) */
    { .name = "search", .type = XC_T_OBJECT, .fields = rectify_search_policy_fields },
    { .name = NULL },
};

static const char s_defaults[] =
    "{\"regimes\": {\"2017\": {\"plan_due\": \"1 months\", \"report_due\": \"2 months\"},"
    "               \"2024\": {\"plan_due\": \"1 months\", \"report_due\": \"6 months\"}},"
    " \"default_regime\": \"2017\", \"immediate_due\": \"15 days\","
    " \"warnings\": [{\"colour\": \"green\", \"days_left\": 20}, {\"colour\": \"yellow\", \"days_left\": 10}],"
    " \"escalation\": {\"every_days\": 7, \"steps\": [\"supervision_notice\", \"stage_guidance\","
    "                 \"reminder\", \"warning\", \"accountability\"]},"
    " \"revisit_after\": \"3 months\", \"period_end\": \"next_workday\", \"calendar_warn_from\": \"11-01\","
    " \"weights\": {\"leadership\": 15, \"responsibility\": 15, \"task_completion\": 60, \"satisfaction\": 10},"
    " \"grades\": [{\"grade\": \"good\", \"name\": \"好\", \"min\": 90},"
    "             {\"grade\": \"fairly_good\", \"name\": \"较好\", \"min\": 80},"
    "             {\"grade\": \"average\", \"name\": \"一般\", \"min\": 60},"
    "             {\"grade\": \"poor\", \"name\": \"差\", \"min\": 0}],"
    " \"history_roles\": [\"office\"], \"history_quiet\": \"1 days\","
    " \"interview\": {\"below\": 60, \"lowest\": 0}}";

/*  The formal documents (documents.c): each kind's name and code (机关代字, numbered apart per
    issuer and year), each step of the default ladder's letter, and the issuers (发文机关): the
    city's, and a district's built from its name ({district}) unless issuers names it. */
static const char s_documents_defaults[] =
    "{\"kinds\": {\"feedback\": {\"name\": \"巡察反馈意见\", \"code\": \"巡反\"},"
    "            \"rectify_notice\": {\"name\": \"整改通知书\", \"code\": \"巡改\"},"
    "            \"step.supervision_notice\": {\"name\": \"督办函\", \"code\": \"巡督\"},"
    "            \"step.stage_guidance\": {\"name\": \"阶段指导函\", \"code\": \"巡导\"},"
    "            \"step.reminder\": {\"name\": \"提醒函\", \"code\": \"巡提\"},"
    "            \"step.warning\": {\"name\": \"警示函\", \"code\": \"巡警\"},"
    "            \"step.accountability\": {\"name\": \"约谈通知书\", \"code\": \"巡责\"},"
    "            \"interview_record\": {\"name\": \"约谈记录\", \"code\": \"巡谈\"},"
    "            \"special_report\": {\"name\": \"专题报告\", \"code\": \"巡报\"},"
    "            \"three_lists\": {\"name\": \"三张清单\", \"code\": \"巡单\"}},"
    " \"issuers\": {\"city\": {\"name\": \"中共市委巡察工作领导小组办公室\", \"short\": \"市委\"}},"
    " \"district_issuer\": {\"name\": \"中共{district}委员会巡察工作领导小组办公室\", \"short\": \"{district}委\"}}";

/*  policy->documents: the defaults with the deployment's kinds and issuers added or replaced. A
    ladder step's letter is the kind "step.<step>"; a step without one has no letter (the
    console says so) rather than a name made up here. */
static int
s_load_documents (rectify_policy_t *policy, const json_t *given, xc_err_t *err)
{
    json_t *docs = json_loads (s_documents_defaults, 0, NULL);
    if (!docs)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    policy->documents = docs;
    static const char *const parts[] = { "kinds", "issuers" };
    for (int i = 0; i < 2; i++)
        json_object_update (json_object_get (docs, parts[i]), json_object_get (given, parts[i]));
    if (json_object_get (given, "district_issuer"))
        json_object_set (docs, "district_issuer", json_object_get (given, "district_issuer"));
    return 0;
}

/*  What a person reads next to each rate and less obvious figure of rectify.stats
    (docs/services/rectify.md); a deployment's definitions replace these or add to them. */
static const char *const s_definitions[][2] = {
    { "on_time", "整改按期报结率：有整改时限的事项（立行立改、限期整改；长期坚持的事项不计）中，"
                 "分母为统计期内销号的事项，加上整改时限（含延期）已在统计期内届满仍未销号的事项；"
                 "分子为其中被采纳的完成报告报结日期不晚于报结时有效整改时限的事项。" },
    { "completion", "整改完成率：已销号且完成情况为“完成”的事项占全部事项的比例。" },
    { "immediate", "立行立改：反馈时定为立行立改的事项数，及其中已销号的事项数。" },
    { "overdue_now", "当前逾期：仍在进行的整改时限（事项、方案或阶段措施）已届满的事项数。" },
    { "escalations", "督办升级：逾期后达到各级督办措施（督办通知、阶段指导、提醒、警示、问责）的事项数。" },
    { "institutional_measures", "完善制度机制（整改部分）：被采纳的完成报告中被巡察单位建章立制的数量之和。" },
    { "revisits", "回访覆盖率：已开展回访的单位（按轮次计）占应回访单位的比例；应回访指回访时间已到"
                  "或已经回访的单位；达到100%即回访全覆盖。" },
    { "interviews_held", "约谈：巡察机构记录的已开展约谈的次数（按约谈日期计年度）。" },
    { "interviews_recommended", "建议约谈：评估得分低于标准或排名靠后、被建议约谈的单位数。" },
    /* the owner scope of a result (definitions.owner, as intake's); {district} is the district's name */
    { "owner.all", "全市：市委和各区（县）委组织的全部轮次的整改事项，以及不属于任何轮次的事项。" },
    { "owner.city", "市本级：市委组织的轮次（含提级巡察）的整改事项，不含区（县）委组织的轮次。" },
    { "owner.district", "各区县合计：各区（县）委组织的轮次（含联动巡察、交叉巡察）的整改事项之和，不含市委组织的轮次。" },
    { "owner.one_district", "{district}：{district}委组织的轮次（含其联动巡察和在本区县开展的交叉巡察）的整改事项，"
                            "不含市委和其他区县组织的轮次。" },
    { "money", "清缴、核销金额：被采纳的完成报告中的金额之和（元，精确到分）。" },
    { "lights", "亮灯：未销号事项按其最先届满、仍在进行的整改时限计亮灯（与整改事项列表一致）：红灯为已逾期；"
                "黄灯、绿灯为剩余天数进入预警区间（按所属轮次组织方的预警设置）；未亮灯为尚未进入预警区间，"
                "或没有进行中的整改时限（如已报结待审核）。" },
    { "overdue_by_round", "各轮次逾期：各轮次当前逾期（红灯）的未销号事项数，只列有逾期事项的轮次，逾期多者在前。" },
    { "overdue_by_unit", "各单位逾期：各被巡察单位当前逾期（红灯）的未销号事项数，只列有逾期事项的单位，逾期多者在前；"
                         "督办层级为其逾期事项中已到达的最高一级督办措施（按所属轮次组织方的督办设置）。" },
    { "by_month", "按月趋势：各月新增事项数（按反馈之日）、销号事项数（按完成报告被采纳之日）；"
                  "按期报结率按整改按期报结率的口径，统计期为该月首日至末日（本月至今日）。"
                  "自所选范围内最早有数据的月份起至本月（按年度筛选时只列该年度的月份）。" },
};

/*  A span member: the text and its parse, ending by the rule end, or a config error naming it. */
static int
s_span (const char *at, const char *key, const char *text, xc_period_end_t end, xc_span_t *span, char *out,
        xc_err_t *err)
{
    snprintf (out, RECTIFY_WORD, "%s", text);
    xc_err_t sub;
    if (xc_span_parse (text, span, &sub) != 0)
        return xc_err_set (err, XC_E_CONFIG, "%s.%s: %s", at, key, sub.text);
    span->end = end;
    return 0;
}

/*  A period_end member, or the rule given (absent member). The schema checked its value. */
static xc_period_end_t
s_period_end (const json_t *object, xc_period_end_t otherwise)
{
    xc_period_end_t end = otherwise;
    const char *text = json_string_value (json_object_get (object, "period_end"));
    if (text)
        xc_period_end_parse (text, &end, NULL);
    return end;
}

/*  Loads the merged rules of section; at names them in errors ("policies.rectify" or a
    district's "policies.rectify.districts.<id>"). */
static int
s_load (rectify_policy_t *p, const json_t *section, const char *at, xc_err_t *err)
{
    p->period_end = s_period_end (section, XC_END_NEXT_WORKDAY);
    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) json_object_get (section, "regimes"), key, value) {
        if (p->n_regimes == RECTIFY_MAX_REGIMES)
            return xc_err_set (err, XC_E_CONFIG, "%s.regimes: more than %d with 2017 and 2024",
                               at, RECTIFY_MAX_REGIMES);
        if (strlen (key) == 0 || strlen (key) >= RECTIFY_WORD)
            return xc_err_set (err, XC_E_CONFIG, "%s.regimes: a name of 1-%d bytes", at, RECTIFY_WORD - 1);
        rectify_regime_t *r = &p->regimes[p->n_regimes++];
        snprintf (r->name, sizeof r->name, "%s", key);
        /* a regime's own rule for its periods, else the policy's */
        xc_period_end_t end = s_period_end (value, p->period_end);
        char where[96];
        snprintf (where, sizeof where, "regimes.%s.plan_due", key);
        if (s_span (at, where, json_string_value (json_object_get (value, "plan_due")), end, &r->plan_due,
                    r->plan_text, err) != 0)
            return -1;
        snprintf (where, sizeof where, "regimes.%s.report_due", key);
        if (s_span (at, where, json_string_value (json_object_get (value, "report_due")), end, &r->report_due,
                    r->report_text, err) != 0)
            return -1;
    }
    const char *name = json_string_value (json_object_get (section, "default_regime"));
    p->default_regime = -1;
    for (int i = 0; i < p->n_regimes; i++)
        if (strcmp (p->regimes[i].name, name) == 0)
            p->default_regime = i;
    if (p->default_regime < 0)
        return xc_err_set (err, XC_E_CONFIG, "%s.default_regime: no regime '%s'", at, name);
    if (s_span (at, "immediate_due", json_string_value (json_object_get (section, "immediate_due")),
                p->period_end, &p->immediate_due, p->immediate_text, err) != 0
        || s_span (at, "revisit_after", json_string_value (json_object_get (section, "revisit_after")),
                   p->period_end, &p->revisit_after, p->revisit_text, err) != 0)
        return -1;

    size_t i;
    json_array_foreach (json_object_get (section, "warnings"), i, value) {
        int days = (int) json_integer_value (json_object_get (value, "days_left"));
        /* kept ascending by days left, so the band of a day is the first threshold it reaches */
        int k = p->n_warnings++;
        while (k > 0 && p->warnings[k - 1].days_left > days) {
            p->warnings[k] = p->warnings[k - 1];
            k--;
        }
        if (k > 0 && p->warnings[k - 1].days_left == days)
            return xc_err_set (err, XC_E_CONFIG, "%s.warnings: %d days twice", at, days);
        p->warnings[k].days_left = days;
        snprintf (p->warnings[k].colour, RECTIFY_WORD, "%s", json_string_value (json_object_get (value, "colour")));
    }
    const json_t *escalation = json_object_get (section, "escalation");
    json_t *every = json_object_get (escalation, "every_days");
    p->every_days = every ? (int) json_integer_value (every) : 7;
    json_array_foreach (json_object_get (escalation, "steps"), i, value)
        snprintf (p->steps[p->n_steps++], RECTIFY_WORD, "%s", json_string_value (value));

    const json_t *weights = json_object_get (section, "weights");
    int sum = 0;
    for (int w = 0; w < 4; w++)
        sum += p->weights[w] = (int) json_integer_value (json_object_get (weights, rectify_parts[w]));
    if (sum != 100)
        return xc_err_set (err, XC_E_CONFIG, "policies.rectify.weights: they sum to %d, not 100", sum);
    json_array_foreach (json_object_get (section, "grades"), i, value) {
        int min = (int) json_integer_value (json_object_get (value, "min"));
        if (i > 0 && min >= p->grades[i - 1].min)
            return xc_err_set (err, XC_E_CONFIG, "policies.rectify.grades: min %d does not descend", min);
        p->grades[i].min = min;
        const char *grade = json_string_value (json_object_get (value, "grade"));
        snprintf (p->grades[i].grade, RECTIFY_WORD, "%s", grade);
        /* people read the name; the four default grades keep theirs when a deployment gives none */
        const char *gname = json_string_value (json_object_get (value, "name"));
        static const char *const known[][2] = { { "good", "好" }, { "fairly_good", "较好" },
                                                { "average", "一般" }, { "poor", "差" } };
        for (int k = 0; !gname && k < 4; k++)
            if (strcmp (known[k][0], grade) == 0)
                gname = known[k][1];
        if (!gname)
            return xc_err_set (err, XC_E_CONFIG, "policies.rectify.grades[%zu].name: required for grade '%s'"
                               " (the name people read, such as 好)", i, grade);
        snprintf (p->grades[i].name, sizeof p->grades[i].name, "%s", gname);
        p->n_grades++;
    }
    if (p->grades[p->n_grades - 1].min != 0)
        return xc_err_set (err, XC_E_CONFIG, "policies.rectify.grades: the last grade's min must be 0");
    /* from this day of each year the office is told once that next year's calendar file is
       missing; null: never */
    const char *warn = json_string_value (json_object_get (section, "calendar_warn_from"));
    if (warn) {
        int m, d;
        if (xc_decimal_fixed (warn, 2, &m) != 0 || warn[2] != '-' || xc_decimal_fixed (warn + 3, 2, &d) != 0
            || m < 1 || m > 12 || d < 1 || d > xc_date_month_days (2001, m))
            return xc_err_set (err, XC_E_CONFIG, "policies.rectify.calendar_warn_from: '%s' is not a day"
                               " of the year (MM-DD, such as 11-01)", warn);
        p->calendar_warn_month = m;
        p->calendar_warn_day = d;
    }
    json_array_foreach (json_object_get (section, "history_roles"), i, value) {
        snprintf (p->history_role_names[i], RECTIFY_WORD, "%s", json_string_value (value));
        p->history_roles[i] = p->history_role_names[i];
    }
    if (s_span (at, "history_quiet", json_string_value (json_object_get (section, "history_quiet")),
                XC_END_KEEP, &p->history_quiet, p->history_quiet_text, err) != 0)
        return -1;
    p->definitions = json_object ();
    for (size_t k = 0; k < sizeof s_definitions / sizeof s_definitions[0]; k++)
        json_object_set_new (p->definitions, s_definitions[k][0], json_string (s_definitions[k][1]));
    json_object_update (p->definitions, json_object_get (section, "definitions"));
    const json_t *interview = json_object_get (section, "interview");
    p->interview_below = (int) json_integer_value (json_object_get (interview, "below"));
    p->interview_lowest = (int) json_integer_value (json_object_get (interview, "lowest"));
    return 0;
}

/*  base with given's members: each replaces base's, except the objects below, whose members
    are added to base's (a deployment that adds a regime keeps 2017 and 2024). A new object. */
static json_t *
s_merge (const json_t *base, const json_t *given)
{
    json_t *merged = json_deep_copy (base);
    if (!merged)
        return NULL;
    json_object_update (merged, (json_t *) given);
    static const char *const additive[] = { "regimes", "escalation", "interview" };
    for (int i = 0; i < 3; i++) {
        json_t *part = json_object_get (given, additive[i]);
        if (!part)
            continue;
        json_t *sum = json_deep_copy (json_object_get (base, additive[i]));
        if (!sum)
            sum = json_object ();
        json_object_update (sum, part);
        json_object_set_new (merged, additive[i], sum);
    }
    json_object_del (merged, "districts");
    json_object_del (merged, "documents");
    return merged;
}

/*  Each district's rules: the city's (merged) with its overrides, by the same merging rules. */
static int
s_load_districts (rectify_policy_t *policy, const json_t *city, const json_t *districts, xc_err_t *err)
{
    size_t n = json_object_size (districts);
    if (n == 0)
        return 0;
    policy->districts = calloc (n, sizeof *policy->districts);
    if (!policy->districts)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    const char *id;
    json_t *given;
    json_object_foreach ((json_t *) districts, id, given) {
        if (!xc_id_valid (id))
            return xc_err_set (err, XC_E_CONFIG, "policies.rectify.districts: '%.80s' is not a district id"
                               " (1-64 of A-Z a-z 0-9 . _ : -)", id);
        rectify_district_policy_t *d = &policy->districts[policy->n_districts++];
        snprintf (d->id, sizeof d->id, "%s", id);
        char at[128];
        snprintf (at, sizeof at, "policies.rectify.districts.%s", id);
        json_t *merged = s_merge (city, given);
        if (!merged)
            return xc_err_set (err, XC_E_INTERNAL, "out of memory");
        int rc = s_load (&d->policy, merged, at, err);
        json_decref (merged);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int
rectify_policy_load (rectify_policy_t *policy, const xc_config_t *cfg, xc_err_t *err)
{
    memset (policy, 0, sizeof *policy);
    json_t *section = xc_config_policy (cfg, "rectify", s_fields, err);
    if (!section)
        return -1;
    json_t *defaults = json_loads (s_defaults, 0, NULL);
    json_t *merged = defaults ? s_merge (defaults, section) : NULL;
    json_decref (defaults);
    if (!merged) {
        json_decref (section);
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    int rc = s_load (policy, merged, "policies.rectify", err);
    if (rc == 0)
        rc = s_load_districts (policy, merged, json_object_get (section, "districts"), err);
    if (rc == 0)
        rc = s_load_documents (policy, json_object_get (section, "documents"), err);
    if (rc == 0)
        rectify_search_policy_load (policy, json_object_get (section, "search"));
    if (rc != 0)
        rectify_policy_clear (policy);
    if (rc != 0 && err)
        err->code = XC_E_CONFIG;
    json_decref (merged);
    json_decref (section);
    return rc;
}

void
rectify_policy_clear (rectify_policy_t *policy)
{
    json_decref (policy->definitions);
    policy->definitions = NULL;
    json_decref (policy->documents);
    policy->documents = NULL;
    for (int i = 0; i < policy->n_districts; i++)
        rectify_policy_clear (&policy->districts[i].policy);
    free (policy->districts);
    policy->districts = NULL;
    policy->n_districts = 0;
}

const rectify_policy_t *
rectify_policy_for (const rectify_policy_t *policy, const char *district, const char **source)
{
    for (int i = 0; district && i < policy->n_districts; i++)
        if (strcmp (policy->districts[i].id, district) == 0) {
            if (source)
                *source = policy->districts[i].id;
            return &policy->districts[i].policy;
        }
    if (source)
        *source = "city";
    return policy;
}

const char *
rectify_policy_grade_name (const rectify_policy_t *policy, const char *grade)
{
    for (int i = 0; grade && i < policy->n_grades; i++)
        if (strcmp (policy->grades[i].grade, grade) == 0)
            return policy->grades[i].name;
    return grade;
}

const rectify_regime_t *
rectify_policy_regime (const rectify_policy_t *policy, const char *name)
{
    for (int i = 0; i < policy->n_regimes; i++)
        if (name && strcmp (policy->regimes[i].name, name) == 0)
            return &policy->regimes[i];
    return NULL;
}
