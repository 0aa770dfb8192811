/*  policy.c: policies.referral, with the domain's defaults (3 months for a lead's feedback). */
#include <stdio.h>
#include <string.h>

#include "common/schema.h"
#include "services/referral/referral.h"

static const xc_field_t s_day = { .type = XC_T_INTEGER, .min = 1, .max = 366 };
static const xc_field_t s_due_fields[] = {
    { .name = "lead", .type = XC_T_STRING, .min = 1, .max = 31 },
    { .name = "handover", .type = XC_T_STRING, .min = 1, .max = 31 },
    { .name = "report", .type = XC_T_STRING, .min = 1, .max = 31 },
    { .name = NULL },
};
static const char *const s_period_ends[] = { "next_workday", "after_holiday", "keep", NULL };
static const xc_field_t s_role = { .type = XC_T_ID };
static const xc_field_t s_kind_fields[] = {
    { .name = "id", .type = XC_T_ID, .required = true },
    { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 100 },
    { .name = NULL },
};
static const xc_field_t s_kind = { .type = XC_T_OBJECT, .fields = s_kind_fields };
static const xc_field_t s_form_name = { .type = XC_T_STRING, .min = 1, .max = 100 };
static const xc_field_t s_outcome_fields[] = {
    { .name = "forms", .type = XC_T_ARRAY, .min = 4, .max = 4, .items = &s_form_name },
    { .name = "party_sanction", .type = XC_T_ARRAY, .min = 1, .max = REFERRAL_MAX_KINDS, .items = &s_kind },
    { .name = "administrative_sanction", .type = XC_T_ARRAY, .min = 1, .max = REFERRAL_MAX_KINDS, .items = &s_kind },
    { .name = "organizational_handling", .type = XC_T_ARRAY, .min = 1, .max = REFERRAL_MAX_KINDS, .items = &s_kind },
    { .name = NULL },
};
static const xc_field_t s_definition = { .type = XC_T_STRING, .min = 1, .max = 1000 };
static const xc_field_t s_fields[] = {
    { .name = "due", .type = XC_T_OBJECT, .fields = s_due_fields },
    { .name = "period_end", .type = XC_T_STRING, .one_of = s_period_ends },
    { .name = "warn_days", .type = XC_T_ARRAY, .max = REFERRAL_MAX_WARNINGS, .items = &s_day },
    { .name = "history_roles", .type = XC_T_ARRAY, .max = 16, .items = &s_role },
    { .name = "history_quiet", .type = XC_T_STRING, .min = 1, .max = 31 },
    { .name = "outcomes", .type = XC_T_OBJECT, .fields = s_outcome_fields },
    { .name = "definitions", .type = XC_T_MAP, .max = 64, .items = &s_definition },
    { .name = NULL },
};

/*  The kinds of a person's outcome and their Chinese names (中国共产党纪律处分条例, 公职人员
    政务处分法, 组织处理规定): the defaults, which the policy may replace list by list. */
static const char *const s_default_outcomes =
    "{\"forms\": [\"第一种形态\", \"第二种形态\", \"第三种形态\", \"第四种形态\"],"
    " \"party_sanction\": [{\"id\": \"warning\", \"name\": \"警告\"},"
    " {\"id\": \"serious_warning\", \"name\": \"严重警告\"},"
    " {\"id\": \"removal\", \"name\": \"撤销党内职务\"},"
    " {\"id\": \"probation\", \"name\": \"留党察看\"},"
    " {\"id\": \"expulsion\", \"name\": \"开除党籍\"}],"
    " \"administrative_sanction\": [{\"id\": \"warning\", \"name\": \"警告\"},"
    " {\"id\": \"demerit\", \"name\": \"记过\"},"
    " {\"id\": \"major_demerit\", \"name\": \"记大过\"},"
    " {\"id\": \"demotion\", \"name\": \"降级\"},"
    " {\"id\": \"dismissal\", \"name\": \"撤职\"},"
    " {\"id\": \"expulsion\", \"name\": \"开除\"}],"
    " \"organizational_handling\": [{\"id\": \"admonishment\", \"name\": \"诫勉\"},"
    " {\"id\": \"suspension\", \"name\": \"停职检查\"},"
    " {\"id\": \"reassignment\", \"name\": \"调整职务\"},"
    " {\"id\": \"ordered_resignation\", \"name\": \"责令辞职\"},"
    " {\"id\": \"removal\", \"name\": \"免职\"},"
    " {\"id\": \"demotion\", \"name\": \"降职\"}]}";

int
referral_policy_load (referral_policy_t *policy, const xc_config_t *cfg, xc_err_t *err)
{
    memset (policy, 0, sizeof *policy);
    json_t *section = xc_config_policy (cfg, "referral", s_fields, err);
    if (!section)
        return -1;
    int rc = -1;
    const char *kinds[] = { "lead", "handover", "report" };
    const char *defaults[] = { "3 months", "2 months", "2 months" };
    xc_span_t *spans[] = { &policy->due_lead, &policy->due_handover, &policy->due_report };
    const json_t *due = json_object_get (section, "due");
    /* a period ending on a day off: the civil law's rule unless the deployment says otherwise */
    xc_period_end_t end = XC_END_NEXT_WORKDAY;
    const char *end_text = json_string_value (json_object_get (section, "period_end"));
    if (end_text)
        xc_period_end_parse (end_text, &end, NULL);
    for (int i = 0; i < 3; i++) {
        const char *text = json_string_value (json_object_get (due, kinds[i]));
        snprintf (policy->due_text[i], sizeof policy->due_text[i], "%s", text ? text : defaults[i]);
        xc_err_t sub;
        if (xc_span_parse (policy->due_text[i], spans[i], &sub) != 0) {
            xc_err_set (err, XC_E_CONFIG, "policies.referral.due.%s: %s", kinds[i], sub.text);
            goto done;
        }
        spans[i]->end = end;
    }
    const json_t *warn = json_object_get (section, "warn_days");
    if (warn) {
        for (size_t i = 0; i < json_array_size (warn); i++)
            policy->warn_days[policy->n_warn_days++] = (int) json_integer_value (json_array_get (warn, i));
    }
    else {
        policy->warn_days[0] = 10;
        policy->warn_days[1] = 20;
        policy->n_warn_days = 2;
    }
    /* ascending, no repeats: the bands of "days left" are then simple to find */
    for (int i = 1; i < policy->n_warn_days; i++)
        for (int k = i; k > 0 && policy->warn_days[k - 1] >= policy->warn_days[k]; k--) {
            if (policy->warn_days[k - 1] == policy->warn_days[k]) {
                xc_err_set (err, XC_E_CONFIG, "policies.referral.warn_days: %d twice", policy->warn_days[k]);
                goto done;
            }
            int t = policy->warn_days[k];
            policy->warn_days[k] = policy->warn_days[k - 1];
            policy->warn_days[k - 1] = t;
        }
    /* who may load history (occurred_on), and how long a referral loaded from it stays quiet */
    const json_t *roles = json_object_get (section, "history_roles");
    if (!roles)
        snprintf (policy->history_roles[policy->n_history_roles++], XC_NAME_MAX, "office");
    for (size_t i = 0; roles && i < json_array_size (roles); i++)
        snprintf (policy->history_roles[policy->n_history_roles++], XC_NAME_MAX, "%s",
                  json_string_value (json_array_get (roles, i)));
    for (int i = 0; i < policy->n_history_roles; i++)
        policy->history_role_list[i] = policy->history_roles[i];
    policy->history_role_list[policy->n_history_roles] = NULL;
    const char *quiet = json_string_value (json_object_get (section, "history_quiet"));
    snprintf (policy->quiet_text, sizeof policy->quiet_text, "%s", quiet ? quiet : "1 days");
    xc_err_t sub;
    if (xc_span_parse (policy->quiet_text, &policy->history_quiet, &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "policies.referral.history_quiet: %s", sub.text);
        goto done;
    }
    policy->history_quiet.end = XC_END_KEEP;
    policy->outcomes = json_loads (s_default_outcomes, 0, NULL);
    const json_t *given = json_object_get (section, "outcomes");
    const char *key;
    json_t *list;
    json_object_foreach ((json_t *) given, key, list)
        json_object_set (policy->outcomes, key, list);
    json_object_foreach (policy->outcomes, key, list) {
        if (strcmp (key, "forms") == 0)
            continue;
        size_t i, k;
        json_t *a, *b;
        json_array_foreach (list, i, a)
            json_array_foreach (list, k, b)
                if (k < i && json_equal (json_object_get (a, "id"), json_object_get (b, "id"))) {
                    xc_err_set (err, XC_E_CONFIG, "policies.referral.outcomes.%s: '%s' twice", key,
                                json_string_value (json_object_get (a, "id")));
                    goto done;
                }
    }
    policy->definitions = json_incref (json_object_get (section, "definitions"));
    rc = 0;
done:
    if (rc != 0 && err)
        err->code = XC_E_CONFIG;
    if (rc != 0)
        referral_policy_free (policy);
    json_decref (section);
    return rc;
}

const xc_span_t *
referral_policy_due (const referral_policy_t *policy, const char *kind, const char **text)
{
    int i = strcmp (kind, "lead") == 0 ? 0 : strcmp (kind, "handover") == 0 ? 1 : 2;
    *text = policy->due_text[i];
    return i == 0 ? &policy->due_lead : i == 1 ? &policy->due_handover : &policy->due_report;
}

void
referral_visibility (const char *target, bool alert, char *out, size_t size)
{
    snprintf (out, size, "%s:%s", alert ? "alert" : "to", target);
}

const char *
referral_policy_kind_name (const referral_policy_t *policy, const char *list, const char *id)
{
    size_t i;
    const json_t *kind;
    json_array_foreach (json_object_get (policy->outcomes, list), i, kind)
        if (strcmp (json_string_value (json_object_get (kind, "id")), id) == 0)
            return json_string_value (json_object_get (kind, "name"));
    return NULL;
}

void
referral_policy_free (referral_policy_t *policy)
{
    json_decref (policy->outcomes);
    json_decref (policy->definitions);
    policy->outcomes = policy->definitions = NULL;
}
