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
static const xc_field_t s_fields[] = {
    { .name = "due", .type = XC_T_OBJECT, .fields = s_due_fields },
    { .name = "period_end", .type = XC_T_STRING, .one_of = s_period_ends },
    { .name = "warn_days", .type = XC_T_ARRAY, .max = REFERRAL_MAX_WARNINGS, .items = &s_day },
    { .name = NULL },
};

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
    rc = 0;
done:
    if (rc != 0 && err)
        err->code = XC_E_CONFIG;
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
