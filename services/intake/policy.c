/*  policy.c: the policies.intake section of the deployment config, with the domain's defaults. */
#include <stdio.h>
#include <string.h>

#include "common/files.h"
#include "common/schema.h"
#include "services/intake/intake.h"

static const xc_field_t s_category = {
    .type = XC_T_OBJECT,
    .fields = (const xc_field_t[]) {
        { .name = "id", .type = XC_T_ID, .required = true },
        { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 255 },
        { .name = "parent", .type = XC_T_ID },
        { .name = NULL } },
};
static const xc_field_t s_definition = { .type = XC_T_STRING, .min = 1, .max = 1000 };
static const char *const s_lookback_rules[] = { "refuse", "addition", NULL };
static const xc_field_t s_organ_fields[] = {
    { .name = "city", .type = XC_T_STRING, .min = 1, .max = 200 },
    { .name = "district_suffix", .type = XC_T_STRING, .min = 1, .max = 100 },
    { .name = NULL },
};
static const xc_field_t s_name = { .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 };

/* policies.intake.public: the public channel (public.c) */
static const char *const s_round_stages[] = { "planned", "stationed", "withdrawn", "reported",
                                              "feedback_delivered", "rectifying", "rectification_reported",
                                              "evaluated", "closed", NULL };
static const xc_field_t s_stage = { .type = XC_T_STRING, .one_of = s_round_stages };
static const xc_field_t s_step = { .type = XC_T_STRING, .min = 1, .max = 511 };
static const char *const s_contact_roles[] = { "office", "team", NULL };
static const xc_field_t s_contact_reader = { .type = XC_T_STRING, .one_of = s_contact_roles };

const xc_field_t intake_public_policy_fields[] = {
    { .name = "open_stages", .type = XC_T_ARRAY, .max = INTAKE_MAX_SEVERITIES, .items = &s_stage },
    { .name = "daily_limit", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "text_bytes", .type = XC_T_INTEGER, .min = 1, .max = 20000 },
    { .name = "files", .type = XC_T_INTEGER, .min = 0, .max = 50 },
    { .name = "failed_lookups_per_minute", .type = XC_T_INTEGER, .min = 1, .max = INTAKE_MAX_LOOKUPS },
    { .name = "lockout_seconds", .type = XC_T_INTEGER, .min = 1, .max = 86400 },
    { .name = "contact_readers", .type = XC_T_ARRAY, .max = 2, .items = &s_contact_reader },
    { .name = "category", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "severity", .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = "steps", .type = XC_T_ARRAY, .min = 1, .max = INTAKE_MAX_PUBLIC_STEPS, .items = &s_step },
    { .name = "contact_notice", .type = XC_T_STRING, .min = 1, .max = 1023 },
    { .name = "feedback_text", .type = XC_T_STRING, .min = 1, .max = 511 },
    { .name = NULL },
};

/* policies.intake.search: problem.search (search.c) */
static const xc_field_t s_search_weights[] = {
    { .name = "summary", .type = XC_T_INTEGER, .min = 0, .max = 1000 },
    { .name = "detail", .type = XC_T_INTEGER, .min = 0, .max = 1000 },
    { .name = "unit_names", .type = XC_T_INTEGER, .min = 0, .max = 1000 },
    { .name = NULL },
};
static const xc_field_t s_search_fields[] = {
    { .name = "weights", .type = XC_T_OBJECT, .fields = s_search_weights },
    { .name = "count_max", .type = XC_T_INTEGER, .min = 1, .max = 1000000 },
    { .name = "rank_window", .type = XC_T_INTEGER, .min = 1100, .max = 1000000 },
    { .name = "max_terms", .type = XC_T_INTEGER, .min = 1, .max = 32 },
    { .name = "snippet_tokens", .type = XC_T_INTEGER, .min = 4, .max = 64 },
    { .name = NULL },
};
/* policies.intake.repeats (repeats.c); the similarities are numbers 0..1, checked below */
static const char *const s_category_rules[] = { "require", "prefer", "ignore", NULL };
static const xc_field_t s_repeats_fields[] = {
    { .name = "min_similarity", .type = XC_T_ANY },
    { .name = "max_suggestions", .type = XC_T_INTEGER, .min = 1, .max = 50 },
    { .name = "category", .type = XC_T_STRING, .one_of = s_category_rules },
    { .name = "category_weight", .type = XC_T_ANY },
    { .name = "years", .type = XC_T_INTEGER, .min = 1, .max = 50 },
    { .name = NULL },
};

static const xc_field_t s_fields[] = {
    { .name = "categories", .type = XC_T_ARRAY, .min = 1, .max = INTAKE_MAX_CATEGORIES, .items = &s_category },
    { .name = "severities", .type = XC_T_ARRAY, .min = 1, .max = INTAKE_MAX_SEVERITIES, .items = &s_name },
    { .name = "report_due", .type = XC_T_STRING, .min = 1, .max = 32 },
    { .name = "history_quiet", .type = XC_T_STRING, .min = 1, .max = 32 },
    { .name = "event_roles", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = "restricted_roles", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = "restricted_principals", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = "history_roles", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = "organs", .type = XC_T_OBJECT, .fields = s_organ_fields },
    { .name = "lookback_new_targets", .type = XC_T_STRING, .one_of = s_lookback_rules },
    { .name = "definitions", .type = XC_T_MAP, .max = INTAKE_MAX_DEFINITIONS, .items = &s_definition },
    { .name = "public", .type = XC_T_OBJECT, .fields = intake_public_policy_fields },
    { .name = "search", .type = XC_T_OBJECT, .fields = s_search_fields },
    /* evidence files (common/files.h, docs/files.md) */
    { .name = "files", .type = XC_T_OBJECT, .fields = xc_files_policy_fields },
    { .name = "repeats", .type = XC_T_OBJECT, .fields = s_repeats_fields },
    { .name = NULL },
};

/*  The six categories of the domain, with the source's areas under them
    (docs/services/intake.md): {id, name, parent}. */
static const char *const s_default_categories[][3] = {
    { "political", "党的领导和政治建设", NULL },
    { "governance", "全面从严治党", NULL },
    { "four_styles", "四风", "governance" },
    { "eight_rules", "八项规定", "governance" },
    { "organization", "组织建设和选人用人", NULL },
    { "rectification", "整改落实", NULL },
    { "public_concerns", "群众急难愁盼", NULL },
    { "livelihood", "民生", "public_concerns" },
    { "poverty_alleviation", "扶贫", "public_concerns" },
    { "hazardous_chemicals", "危化品安全", "public_concerns" },
    { "receivables", "村级应收款", "public_concerns" },
    { "ideology", "意识形态工作责任制", NULL },
};

/*  Adds a category after its parent; its name path is the parent's, " › ", its name. */
static int
s_category_add (intake_policy_t *policy, const char *id, const char *name, const char *parent,
                xc_err_t *err)
{
    if (intake_policy_category (policy, id))
        return xc_err_set (err, XC_E_CONFIG, "policies.intake.categories: '%s' twice", id);
    if (policy->n_categories >= INTAKE_MAX_CATEGORIES)
        return xc_err_set (err, XC_E_CONFIG, "policies.intake.categories: more than %d",
                           INTAKE_MAX_CATEGORIES);
    intake_category_t *cat = &policy->categories[policy->n_categories];
    cat->parent = -1;
    cat->depth = 0;
    snprintf (cat->id, sizeof cat->id, "%s", id);
    snprintf (cat->name, sizeof cat->name, "%s", name);
    int n = snprintf (cat->name_path, sizeof cat->name_path, "%s", name);
    if (parent) {
        const intake_category_t *p = intake_policy_category_find (policy, parent);
        if (!p)
            return xc_err_set (err, XC_E_CONFIG, "policies.intake.categories: the parent '%s' of"
                               " '%s' is not an earlier category", parent, id);
        cat->parent = (int) (p - policy->categories);
        cat->depth = p->depth + 1;
        n = snprintf (cat->name_path, sizeof cat->name_path, "%s › %s", p->name_path, name);
    }
    if (n < 0 || (size_t) n >= sizeof cat->name_path || cat->depth >= INTAKE_MAX_CATEGORY_DEPTH)
        return xc_err_set (err, XC_E_CONFIG, "policies.intake.categories: '%s' is too deep", id);
    policy->n_categories++;
    return 0;
}
/*  What each of intake.stats' figures counts, in the words a person reads next to it; the
    policy's definitions replace or add to these. */
static const char *const s_default_definitions[][2] = {
    { "problems.total", "问题总数：所选范围内登记的问题数，重复反映合并后只计一次；按年度筛选时以问题的发现日期为准。" },
    { "problems.immediate", "立行立改：登记时标明立行立改的问题数。" },
    { "problems.leads", "问题线索：处置为问题线索移交的问题数（线索的处置结果见移交统计）。" },
    { "problems.folded_into_reports", "纳入专题报告：处置为专题报告的问题数；专题报告的份数只在移交统计中计算。" },
    { "problems.repeats", "屡查屡犯：巡察办确认的重复问题对数，按后发现的问题计入其轮次、单位和发现日期；一个问题与多个前期问题确认重复时各计一次。" },
    { "problems.by_category_tree", "按问题类别：每一类别计入其本身及其下级类别的问题数。" },
    { "problems.by_month", "按月发现问题：各月发现的问题数（按问题的发现日期），自所选范围内最早发现问题的月份起至本月"
                           "（按年度筛选时只列该年度的月份）。" },
    { "coverage.units", "被巡察单位：所选轮次巡察的不同单位数；按年度筛选时以轮次计划开始的年度为准。" },
    { "coverage.by_kind", "按巡察类型：常规、专项、机动、回头看各计不同单位数，主体巡察与延伸巡察分列。" },
    { "coverage.by_owner", "市级巡察计市委组织的轮次，县级巡察计区（县）委组织的轮次；单位层级另计，不决定市级或县级。" },
    /* the owner scope of a result (definitions.owner); {district} is the district's name */
    { "owner.all", "全市：市委和各区（县）委组织的全部轮次，以及不属于任何轮次的问题（如信访反映）。" },
    { "owner.city", "市本级：市委组织的轮次（含提级巡察），不含区（县）委组织的轮次。" },
    { "owner.district", "各区县合计：各区（县）委组织的轮次之和（含联动巡察、交叉巡察），不含市委组织的轮次。" },
    { "owner.one_district", "{district}：{district}委组织的轮次（含其联动巡察和在本区县开展的交叉巡察），不含市委和其他区县组织的轮次。" },
};
static const char *const s_default_severities[] = { "general", "serious", "grave" };

/*  A share 0..1 of policies.intake.repeats.<name> in thousandths, or the default. */
static int
s_share (const json_t *section, const char *name, int fallback, int *out, xc_err_t *err)
{
    const json_t *v = json_object_get (section, name);
    if (!v) {
        *out = fallback;
        return 0;
    }
    if (!json_is_number (v) || json_number_value (v) < 0 || json_number_value (v) > 1)
        return xc_err_set (err, XC_E_CONFIG, "policies.intake.repeats.%s: expected a number"
                           " from 0 to 1", name);
    *out = (int) (json_number_value (v) * 1000 + 0.5);
    return 0;
}

/*  policies.intake.repeats with its defaults (docs/services/intake.md, "Repeat problems"). */
static int
s_repeats_load (intake_repeats_policy_t *r, const json_t *section, xc_err_t *err)
{
    if (s_share (section, "min_similarity", 400, &r->min_similarity, err) != 0
        || s_share (section, "category_weight", 200, &r->category_weight, err) != 0)
        return -1;
    const json_t *n = json_object_get (section, "max_suggestions");
    r->max_suggestions = n ? (int) json_integer_value (n) : 5;
    n = json_object_get (section, "years");
    r->years = n ? (int) json_integer_value (n) : 5;
    const char *rule = json_string_value (json_object_get (section, "category"));
    r->category = !rule || strcmp (rule, "prefer") == 0 ? INTAKE_CATEGORY_PREFER
                  : strcmp (rule, "require") == 0 ? INTAKE_CATEGORY_REQUIRE : INTAKE_CATEGORY_IGNORE;
    return 0;
}

/*  Copies a JSON array of names, or the defaults when absent. */
static int
s_names (const json_t *array, char (*out)[XC_NAME_MAX], int *n, const char *const *defaults,
         int n_defaults)
{
    *n = 0;
    if (!array) {
        for (int i = 0; i < n_defaults; i++)
            snprintf (out[(*n)++], XC_NAME_MAX, "%s", defaults[i]);
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach (array, i, v) {
        for (int k = 0; k < *n; k++)
            if (strcmp (out[k], json_string_value (v)) == 0)
                return -1;
        snprintf (out[(*n)++], XC_NAME_MAX, "%s", json_string_value (v));
    }
    return 0;
}

static int s_int (const json_t *section, const char *key, int fallback);

/*  policies.intake.search, with its defaults: a match in the summary counts most, then the
    unit's names, then the detail. */
static void
s_search_load (intake_search_policy_t *search, const json_t *section)
{
    const json_t *weights = json_object_get (section, "weights");
    search->w_summary = s_int (weights, "summary", 10);
    search->w_detail = s_int (weights, "detail", 2);
    search->w_unit_names = s_int (weights, "unit_names", 5);
    search->count_max = s_int (section, "count_max", 1000);
    search->rank_window = s_int (section, "rank_window", 2000);
    search->max_terms = s_int (section, "max_terms", 8);
    search->snippet_tokens = s_int (section, "snippet_tokens", 24);
}

int
intake_policy_load (intake_policy_t *policy, const xc_config_t *cfg, xc_err_t *err)
{
    memset (policy, 0, sizeof *policy);
    json_t *section = xc_config_policy (cfg, "intake", s_fields, err);
    if (!section)
        return -1;
    int rc = -1;

    const json_t *categories = json_object_get (section, "categories");
    if (categories) {
        size_t i;
        json_t *c;
        json_array_foreach (categories, i, c)
            if (s_category_add (policy, json_string_value (json_object_get (c, "id")),
                                json_string_value (json_object_get (c, "name")),
                                json_string_value (json_object_get (c, "parent")), err) != 0)
                goto done;
    }
    else
        for (size_t i = 0; i < sizeof s_default_categories / sizeof s_default_categories[0]; i++)
            if (s_category_add (policy, s_default_categories[i][0], s_default_categories[i][1],
                                s_default_categories[i][2], err) != 0)
                goto done;

    const json_t *organs = json_object_get (section, "organs");
    const char *city = json_string_value (json_object_get (organs, "city"));
    const char *suffix = json_string_value (json_object_get (organs, "district_suffix"));
    snprintf (policy->organ_city, sizeof policy->organ_city, "%s", city ? city : "市委巡察办");
    snprintf (policy->organ_district_suffix, sizeof policy->organ_district_suffix, "%s",
              suffix ? suffix : "委巡察办");
    const char *lookback = json_string_value (json_object_get (section, "lookback_new_targets"));
    policy->lookback_additions = lookback && strcmp (lookback, "addition") == 0;

    for (size_t i = 0; i < sizeof s_default_definitions / sizeof s_default_definitions[0]; i++) {
        intake_definition_t *d = &policy->definitions[policy->n_definitions++];
        snprintf (d->figure, sizeof d->figure, "%s", s_default_definitions[i][0]);
        snprintf (d->text, sizeof d->text, "%s", s_default_definitions[i][1]);
    }
    const char *figure;
    json_t *text;
    json_object_foreach (json_object_get (section, "definitions"), figure, text) {
        int k = 0;
        while (k < policy->n_definitions && strcmp (policy->definitions[k].figure, figure) != 0)
            k++;
        if (k == INTAKE_MAX_DEFINITIONS) {
            xc_err_set (err, XC_E_CONFIG, "policies.intake.definitions: more than %d figures",
                        INTAKE_MAX_DEFINITIONS);
            goto done;
        }
        if (k == policy->n_definitions)
            policy->n_definitions++;
        snprintf (policy->definitions[k].figure, sizeof policy->definitions[k].figure, "%s", figure);
        snprintf (policy->definitions[k].text, sizeof policy->definitions[k].text, "%s",
                  json_string_value (text));
    }

    static const char *const default_event_roles[] = { "office", "service" };
    static const char *const default_restricted_roles[] = { "office" };
    static const char *const default_restricted_principals[] = { "referral" };
    static const char *const default_history_roles[] = { "office" };
    struct {
        const char *name;
        char (*out)[XC_NAME_MAX];
        int *n;
        const char *const *defaults;
        int n_defaults;
    } lists[] = {
        { "severities", policy->severities, &policy->n_severities, s_default_severities, 3 },
        { "event_roles", policy->event_roles, &policy->n_event_roles, default_event_roles, 2 },
        { "restricted_roles", policy->restricted_roles, &policy->n_restricted_roles,
          default_restricted_roles, 1 },
        { "restricted_principals", policy->restricted_principals,
          &policy->n_restricted_principals, default_restricted_principals, 1 },
        { "history_roles", policy->history_roles, &policy->n_history_roles, default_history_roles, 1 },
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (s_names (json_object_get (section, lists[i].name), lists[i].out, lists[i].n,
                     lists[i].defaults, lists[i].n_defaults) != 0) {
            xc_err_set (err, XC_E_CONFIG, "policies.intake.%s: a name twice", lists[i].name);
            goto done;
        }
    for (int i = 0; i < policy->n_event_roles; i++)
        policy->event_role_list[i] = policy->event_roles[i];
    policy->event_role_list[policy->n_event_roles] = NULL;
    for (int i = 0; i < policy->n_history_roles; i++)
        policy->history_role_list[i] = policy->history_roles[i];
    policy->history_role_list[policy->n_history_roles] = NULL;

    const char *due = json_string_value (json_object_get (section, "report_due"));
    xc_err_t sub;
    if (xc_span_parse (due ? due : "30 days", &policy->report_due, &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "policies.intake.report_due: %s", sub.text);
        goto done;
    }
    /* the team's own reporting deadline, not a period a party keeps: it stays where the
       arithmetic puts it (docs/configuration.md, "A period that ends on a day off") */
    policy->report_due.end = XC_END_KEEP;
    const char *quiet = json_string_value (json_object_get (section, "history_quiet"));
    if (xc_span_parse (quiet ? quiet : "1 days", &policy->history_quiet, &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "policies.intake.history_quiet: %s", sub.text);
        goto done;
    }
    policy->history_quiet.end = XC_END_KEEP;
    s_search_load (&policy->search, json_object_get (section, "search"));
    if (intake_public_policy_load (&policy->public, json_object_get (section, "public"), policy, err) != 0
        || s_repeats_load (&policy->repeats, json_object_get (section, "repeats"), err) != 0)
        goto done;
    rc = 0;
done:
    if (rc != 0 && err)
        err->code = XC_E_CONFIG;
    json_decref (section);
    return rc;
}

const intake_category_t *
intake_policy_category_find (const intake_policy_t *policy, const char *id)
{
    for (int i = 0; id && i < policy->n_categories; i++)
        if (strcmp (policy->categories[i].id, id) == 0)
            return &policy->categories[i];
    return NULL;
}

bool
intake_policy_category (const intake_policy_t *policy, const char *id)
{
    return intake_policy_category_find (policy, id) != NULL;
}

json_t *
intake_policy_category_path (const intake_policy_t *policy, const char *id)
{
    const intake_category_t *cat = intake_policy_category_find (policy, id);
    json_t *path = json_array ();
    for (int i = cat ? (int) (cat - policy->categories) : -1; i >= 0; i = policy->categories[i].parent)
        json_array_insert_new (path, 0, json_string (policy->categories[i].id));
    return path;
}

bool
intake_policy_category_under (const intake_policy_t *policy, int index, int ancestor)
{
    for (int i = index; i >= 0; i = policy->categories[i].parent)
        if (i == ancestor)
            return true;
    return false;
}

json_t *
intake_policy_category_subtree (const intake_policy_t *policy, const char *id)
{
    const intake_category_t *cat = intake_policy_category_find (policy, id);
    if (!cat)
        return NULL;
    json_t *ids = json_array ();
    for (int i = 0; i < policy->n_categories; i++)
        if (intake_policy_category_under (policy, i, (int) (cat - policy->categories)))
            json_array_append_new (ids, json_string (policy->categories[i].id));
    return ids;
}

bool
intake_policy_severity (const intake_policy_t *policy, const char *severity)
{
    for (int i = 0; i < policy->n_severities; i++)
        if (strcmp (policy->severities[i], severity) == 0)
            return true;
    return false;
}

bool
intake_policy_restricted_reader (const intake_policy_t *policy, const xc_principal_t *p)
{
    for (int i = 0; i < policy->n_restricted_roles; i++)
        if (strcmp (policy->restricted_roles[i], p->role) == 0)
            return true;
    for (int i = 0; i < policy->n_restricted_principals; i++)
        if (strcmp (policy->restricted_principals[i], p->iss) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ policies.intake.public */

static const char *const s_default_steps[] = {
    "您的反映提交后，系统立即生成回执：请记下16位查询码，并保存签名回执。",
    "巡察组在驻点期间阅看每一条反映，需要时通过本页向您提出补充问题。",
    "巡察办对反映进行分类处置，处理进展可凭查询码随时查看。",
    "巡察反馈后，本页显示“已办结”。",
};

static int
s_int (const json_t *section, const char *key, int fallback)
{
    const json_t *v = json_object_get (section, key);
    return v ? (int) json_integer_value (v) : fallback;
}

static void
s_copy (char *out, size_t size, const json_t *section, const char *key, const char *fallback)
{
    const char *v = json_string_value (json_object_get (section, key));
    snprintf (out, size, "%s", v ? v : fallback);
}

int
intake_public_policy_load (intake_public_policy_t *policy, const json_t *section,
                           const intake_policy_t *intake_policy, xc_err_t *err)
{
    memset (policy, 0, sizeof *policy);
    const json_t *stages = json_object_get (section, "open_stages");
    static const char *const default_stages[] = { "stationed", "withdrawn", "reported" };
    size_t i;
    json_t *v;
    if (stages)
        json_array_foreach (stages, i, v)
            snprintf (policy->open_stages[policy->n_open_stages++], XC_NAME_MAX, "%s", json_string_value (v));
    else
        for (i = 0; i < 3; i++)
            snprintf (policy->open_stages[policy->n_open_stages++], XC_NAME_MAX, "%s", default_stages[i]);
    policy->daily_limit = s_int (section, "daily_limit", 200);
    policy->text_bytes = s_int (section, "text_bytes", 4000);
    policy->files = s_int (section, "files", 5);
    policy->failed_lookups = s_int (section, "failed_lookups_per_minute", 20);
    policy->lockout_seconds = s_int (section, "lockout_seconds", 300);
    json_array_foreach (json_object_get (section, "contact_readers"), i, v)
        if (strcmp (json_string_value (v), "team") == 0)
            policy->team_reads_contact = true;
    /* without a setting: public_concerns and general when the deployment has them, else its
       first category and severity */
    s_copy (policy->category, sizeof policy->category, section, "category",
            intake_policy_category (intake_policy, "public_concerns") ? "public_concerns"
                                                                      : intake_policy->categories[0].id);
    s_copy (policy->severity, sizeof policy->severity, section, "severity",
            intake_policy_severity (intake_policy, "general") ? "general" : intake_policy->severities[0]);
    if (!intake_policy_category (intake_policy, policy->category))
        return xc_err_set (err, XC_E_CONFIG, "policies.intake.public.category: '%s' is not a category",
                           policy->category);
    if (!intake_policy_severity (intake_policy, policy->severity))
        return xc_err_set (err, XC_E_CONFIG, "policies.intake.public.severity: '%s' is not a severity",
                           policy->severity);
    const json_t *steps = json_object_get (section, "steps");
    if (steps)
        json_array_foreach (steps, i, v)
            snprintf (policy->steps[policy->n_steps++], sizeof policy->steps[0], "%s", json_string_value (v));
    else
        for (i = 0; i < sizeof s_default_steps / sizeof s_default_steps[0]; i++)
            snprintf (policy->steps[policy->n_steps++], sizeof policy->steps[0], "%s", s_default_steps[i]);
    s_copy (policy->contact_notice, sizeof policy->contact_notice, section, "contact_notice",
            policy->team_reads_contact
                ? "姓名和电话在您的浏览器中加密后提交，只有巡察办和本轮巡察组能够打开，每次打开都有记录；"
                  "网关、被巡察单位和其他部门都无法看到。也可以不留。"
                : "姓名和电话在您的浏览器中加密后提交，只有巡察办能够打开，每次打开都有记录；"
                  "网关、巡察组、被巡察单位和其他部门都无法看到。也可以不留。");
    s_copy (policy->feedback_text, sizeof policy->feedback_text, section, "feedback_text",
            "巡察组已向被巡察单位反馈本轮巡察发现的问题，您反映的情况已纳入处置。");
    return 0;
}

