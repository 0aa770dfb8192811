/*  policy.c: policies.referral, with the domain's defaults (3 months for a lead's feedback). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/files.h"
#include "common/schema.h"
#include "common/search_query.h"
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
static const char *const s_lead_access[] = { "none", "status", "full", NULL };
/* a district's own rules: what it sees of its rounds' leads, and its deadlines */
static const xc_field_t s_district_fields[] = {
    { .name = "lead_access", .type = XC_T_STRING, .one_of = s_lead_access },
    { .name = "due", .type = XC_T_OBJECT, .fields = s_due_fields },
    { .name = "period_end", .type = XC_T_STRING, .one_of = s_period_ends },
    { .name = "warn_days", .type = XC_T_ARRAY, .max = REFERRAL_MAX_WARNINGS, .items = &s_day },
    { .name = NULL },
};
static const xc_field_t s_district = { .type = XC_T_OBJECT, .fields = s_district_fields };
/* policies.referral.search (search.c): referral_search's columns in the table's order and
   their default bm25 weights */
static const char *const s_search_columns[] = { "title", "content", "unit_names", NULL };
static const int s_search_weights[] = { 10, 2, 5 };

static const xc_field_t s_search_weight_fields[] = {
    XC_SEARCH_WEIGHT ("title"), XC_SEARCH_WEIGHT ("content"), XC_SEARCH_WEIGHT ("unit_names"),
    { .name = NULL },
};
const xc_field_t referral_search_policy_fields[] = { XC_SEARCH_POLICY_FIELDS (s_search_weight_fields) };

void
referral_search_policy_load (referral_policy_t *policy, const json_t *given)
{
    xc_search_policy_load (&policy->search, given, s_search_columns, s_search_weights);
}

static const xc_field_t s_fields[] = {
    { .name = "due", .type = XC_T_OBJECT, .fields = s_due_fields },
    { .name = "period_end", .type = XC_T_STRING, .one_of = s_period_ends },
    { .name = "warn_days", .type = XC_T_ARRAY, .max = REFERRAL_MAX_WARNINGS, .items = &s_day },
    { .name = "history_roles", .type = XC_T_ARRAY, .max = 16, .items = &s_role },
    { .name = "history_quiet", .type = XC_T_STRING, .min = 1, .max = 31 },
    { .name = "outcomes", .type = XC_T_OBJECT, .fields = s_outcome_fields },
    { .name = "definitions", .type = XC_T_MAP, .max = 64, .items = &s_definition },
    { .name = "districts", .type = XC_T_MAP, .max = REFERRAL_MAX_DISTRICTS, .items = &s_district },
    /* evidence files (common/files.h, docs/files.md) */
    { .name = "files", .type = XC_T_OBJECT, .fields = xc_files_policy_fields },
    /* full-text search (search.c) */
    { .name = "search", .type = XC_T_OBJECT, .fields = referral_search_policy_fields },
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

static const char *const s_kinds[] = { "lead", "handover", "report" };

/*  Reads the deadline members of section (policies.referral, or one district's override) over
    rules, which hold the defaults or the city's; where names the section in errors. */
static int
s_rules_load (referral_rules_t *rules, const json_t *section, const char *where, xc_err_t *err)
{
    xc_span_t *spans[] = { &rules->due_lead, &rules->due_handover, &rules->due_report };
    const json_t *due = json_object_get (section, "due");
    /* a period ending on a day off: the civil law's rule unless the deployment says otherwise */
    const char *end_text = json_string_value (json_object_get (section, "period_end"));
    rules->own_period_end = end_text != NULL;
    for (int i = 0; i < 3; i++) {
        const char *text = json_string_value (json_object_get (due, s_kinds[i]));
        rules->own_due[i] = text != NULL;
        if (text)
            snprintf (rules->due_text[i], sizeof rules->due_text[i], "%s", text);
        xc_period_end_t end = spans[i]->end;
        if (end_text)
            xc_period_end_parse (end_text, &end, NULL);
        xc_err_t sub;
        if (xc_span_parse (rules->due_text[i], spans[i], &sub) != 0)
            return xc_err_set (err, XC_E_CONFIG, "%s.due.%s: %s", where, s_kinds[i], sub.text);
        spans[i]->end = end;
    }
    const json_t *warn = json_object_get (section, "warn_days");
    rules->own_warn_days = warn != NULL;
    if (warn) {
        rules->n_warn_days = 0;
        for (size_t i = 0; i < json_array_size (warn); i++)
            rules->warn_days[rules->n_warn_days++] = (int) json_integer_value (json_array_get (warn, i));
    }
    /* ascending, no repeats: the bands of "days left" are then simple to find */
    for (int i = 1; i < rules->n_warn_days; i++)
        for (int k = i; k > 0 && rules->warn_days[k - 1] >= rules->warn_days[k]; k--) {
            if (rules->warn_days[k - 1] == rules->warn_days[k])
                return xc_err_set (err, XC_E_CONFIG, "%s.warn_days: %d twice", where, rules->warn_days[k]);
            int t = rules->warn_days[k];
            rules->warn_days[k] = rules->warn_days[k - 1];
            rules->warn_days[k - 1] = t;
        }
    return 0;
}

/*  policies.referral.districts: each district's rules are its overrides on the city's. */
static int
s_districts_load (referral_policy_t *policy, const json_t *section, xc_err_t *err)
{
    const json_t *districts = json_object_get (section, "districts");
    size_t n = json_object_size (districts);
    if (n == 0)
        return 0;
    policy->districts = calloc (n, sizeof *policy->districts);
    if (!policy->districts)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    const char *id;
    const json_t *entry;
    json_object_foreach ((json_t *) districts, id, entry) {
        if (!xc_id_valid (id))
            return xc_err_set (err, XC_E_CONFIG, "policies.referral.districts.%.80s: not a district id"
                               " (1-64 of A-Z a-z 0-9 . _ : -)", id);
        referral_district_t *d = &policy->districts[policy->n_districts++];
        snprintf (d->id, sizeof d->id, "%s", id);
        const char *access = json_string_value (json_object_get (entry, "lead_access"));
        d->own_lead_access = access != NULL;
        d->lead_access = !access || strcmp (access, "none") == 0 ? REFERRAL_LEADS_NONE
                         : strcmp (access, "status") == 0 ? REFERRAL_LEADS_STATUS : REFERRAL_LEADS_FULL;
        d->rules = policy->city;
        snprintf (d->rules.source, sizeof d->rules.source, "%s", id);
        char where[160];
        snprintf (where, sizeof where, "policies.referral.districts.%s", id);
        if (s_rules_load (&d->rules, entry, where, err) != 0)
            return -1;
    }
    return 0;
}

int
referral_policy_load (referral_policy_t *policy, const xc_config_t *cfg, xc_err_t *err)
{
    memset (policy, 0, sizeof *policy);
    json_t *section = xc_config_policy (cfg, "referral", s_fields, err);
    if (!section)
        return -1;
    int rc = -1;
    /* the built-in defaults, then the city's members over them */
    referral_rules_t *city = &policy->city;
    snprintf (city->source, sizeof city->source, "city");
    const char *defaults[] = { "3 months", "2 months", "2 months" };
    xc_span_t *spans[] = { &city->due_lead, &city->due_handover, &city->due_report };
    for (int i = 0; i < 3; i++) {
        snprintf (city->due_text[i], sizeof city->due_text[i], "%s", defaults[i]);
        spans[i]->end = XC_END_NEXT_WORKDAY;
    }
    city->warn_days[0] = 10;
    city->warn_days[1] = 20;
    city->n_warn_days = 2;
    if (s_rules_load (city, section, "policies.referral", err) != 0
        || s_districts_load (policy, section, err) != 0)
        goto done;
    referral_search_policy_load (policy, json_object_get (section, "search"));
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
referral_rules_due (const referral_rules_t *rules, const char *kind, const char **text)
{
    int i = strcmp (kind, "lead") == 0 ? 0 : strcmp (kind, "handover") == 0 ? 1 : 2;
    *text = rules->due_text[i];
    return i == 0 ? &rules->due_lead : i == 1 ? &rules->due_handover : &rules->due_report;
}

const xc_span_t *
referral_policy_due (const referral_policy_t *policy, const char *kind, const char **text)
{
    return referral_rules_due (&policy->city, kind, text);
}

const referral_district_t *
referral_policy_district (const referral_policy_t *policy, const char *district)
{
    for (size_t i = 0; district && i < policy->n_districts; i++)
        if (strcmp (policy->districts[i].id, district) == 0)
            return &policy->districts[i];
    return NULL;
}

const referral_rules_t *
referral_policy_rules (const referral_policy_t *policy, const char *district)
{
    const referral_district_t *d = referral_policy_district (policy, district);
    return d ? &d->rules : &policy->city;
}

referral_lead_access_t
referral_policy_lead_access (const referral_policy_t *policy, const char *district)
{
    const referral_district_t *d = referral_policy_district (policy, district);
    return d ? d->lead_access : REFERRAL_LEADS_NONE;
}

const char *
referral_lead_access_name (referral_lead_access_t access)
{
    return access == REFERRAL_LEADS_FULL ? "full" : access == REFERRAL_LEADS_STATUS ? "status" : "none";
}

void
referral_visibility (const char *target, const char *district, bool alert, char *out, size_t size)
{
    if (district && district[0])
        snprintf (out, size, "%s@%s|%s", alert ? "alert" : "to", district, target);
    else
        snprintf (out, size, "%s:%s", alert ? "alert" : "to", target);
}

bool
referral_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    const referral_t *referral = state;
    bool alert = strncmp (visibility, "alert", 5) == 0;
    const char *rest = visibility + (alert ? 5 : strncmp (visibility, "to", 2) == 0 ? 2 : 0);
    if (rest == visibility || (rest[0] != ':' && rest[0] != '@'))
        return true;                 /* open */
    char district[REFERRAL_DISTRICT_LEN] = "";
    const char *target = rest + 1;
    if (rest[0] == '@') {
        const char *bar = strchr (rest, '|');
        if (!bar || (size_t) (bar - rest - 1) >= sizeof district)
            return strcmp (reader->role, "office") == 0;
        memcpy (district, rest + 1, (size_t) (bar - rest - 1));
        district[bar - rest - 1] = 0;
        target = bar + 1;
    }
    if (strcmp (reader->role, "office") == 0 || strcmp (reader->iss, target) == 0
        || (alert && strcmp (reader->role, "service") == 0))
        return true;
    /* the owning district's office, as far as its discipline body allows */
    const char *reader_district = xc_principal_district (reader);
    if (!district[0] || !reader_district || strcmp (reader_district, district) != 0)
        return false;
    referral_lead_access_t access = referral_policy_lead_access (&referral->policy, district);
    return access == REFERRAL_LEADS_FULL || (alert && access == REFERRAL_LEADS_STATUS);
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
    free (policy->districts);
    policy->districts = NULL;
    policy->n_districts = 0;
}
