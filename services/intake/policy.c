/*  policy.c: the policies.intake section of the deployment config, with the domain's defaults. */
#include <stdio.h>
#include <string.h>

#include "common/schema.h"
#include "services/intake/intake.h"

static const xc_field_t s_category = {
    .type = XC_T_OBJECT,
    .fields = (const xc_field_t[]) {
        { .name = "id", .type = XC_T_ID, .required = true },
        { .name = "name", .type = XC_T_STRING, .required = true, .min = 1, .max = 255 },
        { .name = NULL } },
};
static const xc_field_t s_name = { .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 };

static const xc_field_t s_fields[] = {
    { .name = "categories", .type = XC_T_ARRAY, .min = 1, .max = INTAKE_MAX_CATEGORIES, .items = &s_category },
    { .name = "severities", .type = XC_T_ARRAY, .min = 1, .max = INTAKE_MAX_SEVERITIES, .items = &s_name },
    { .name = "report_due", .type = XC_T_STRING, .min = 1, .max = 32 },
    { .name = "event_roles", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = "restricted_roles", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = "restricted_principals", .type = XC_T_ARRAY, .max = INTAKE_MAX_READERS, .items = &s_name },
    { .name = NULL },
};

/*  The six categories of the domain (docs/services/intake.md). */
static const intake_category_t s_default_categories[] = {
    { "political", "党的领导和政治建设" },
    { "governance", "全面从严治党" },
    { "organization", "组织建设和选人用人" },
    { "rectification", "整改落实" },
    { "public_concerns", "群众急难愁盼" },
    { "ideology", "意识形态工作责任制" },
};
static const char *const s_default_severities[] = { "general", "serious", "grave" };

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
        json_array_foreach (categories, i, c) {
            const char *id = json_string_value (json_object_get (c, "id"));
            if (intake_policy_category (policy, id)) {
                xc_err_set (err, XC_E_CONFIG, "policies.intake.categories: '%s' twice", id);
                goto done;
            }
            intake_category_t *cat = &policy->categories[policy->n_categories++];
            snprintf (cat->id, sizeof cat->id, "%s", id);
            snprintf (cat->name, sizeof cat->name, "%s", json_string_value (json_object_get (c, "name")));
        }
    }
    else {
        policy->n_categories = (int) (sizeof s_default_categories / sizeof s_default_categories[0]);
        memcpy (policy->categories, s_default_categories, sizeof s_default_categories);
    }

    static const char *const default_event_roles[] = { "office", "service" };
    static const char *const default_restricted_roles[] = { "office" };
    static const char *const default_restricted_principals[] = { "referral" };
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

    const char *due = json_string_value (json_object_get (section, "report_due"));
    xc_err_t sub;
    if (xc_span_parse (due ? due : "30 days", &policy->report_due, &sub) != 0) {
        xc_err_set (err, XC_E_CONFIG, "policies.intake.report_due: %s", sub.text);
        goto done;
    }
    /* the team's own reporting deadline, not a period a party keeps: it stays where the
       arithmetic puts it (docs/configuration.md, "A period that ends on a day off") */
    policy->report_due.end = XC_END_KEEP;
    rc = 0;
done:
    if (rc != 0 && err)
        err->code = XC_E_CONFIG;
    json_decref (section);
    return rc;
}

bool
intake_policy_category (const intake_policy_t *policy, const char *id)
{
    for (int i = 0; i < policy->n_categories; i++)
        if (strcmp (policy->categories[i].id, id) == 0)
            return true;
    return false;
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
