/*  policy_test.c: policies.rectify (defaults, additions, every refusal), who sees which unit
    (scope.c) and the rates' rounding (queries.c), without sockets. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "services/rectify/rectify.h"
#include "tests/harness.h"

static char s_dir[64];
static char s_on_time[256];           /* the last policy's on_time definition, its start */
static bool s_keep;                   /* s_load leaves the policy loaded (the caller clears it) */

/*  Loads a config whose policies.rectify is policy (JSON text, or NULL for none). */
static int
s_load (const char *policy, rectify_policy_t *p, xc_err_t *err)
{
    char path[128], text[4096];
    snprintf (path, sizeof path, "%s/config.json", s_dir);
    snprintf (text, sizeof text,
              "{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\","
              " \"calendar\": \"cal\", \"services\": {\"rectify\": {\"api\": \"tcp://127.0.0.1:7130\","
              " \"database\": \"r.db\", \"key\": \"r.jwk\"}}%s%s%s}",
              policy ? ", \"policies\": {\"rectify\": " : "", policy ? policy : "", policy ? "}" : "");
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    fputs (text, f);
    fclose (f);
    xc_config_t *cfg = NULL;
    if (xc_config_load (path, &cfg, err) != 0)
        return -1;
    int rc = rectify_policy_load (p, cfg, err);
    xc_config_destroy (&cfg);
    /* the tests read the plain members; the definitions are kept as text and freed */
    snprintf (s_on_time, sizeof s_on_time, "%s",
              rc == 0 ? json_string_value (json_object_get (p->definitions, "on_time")) : "");
    if (rc == 0 && !s_keep)
        rectify_policy_clear (p);
    return rc;
}

static void
test_defaults_are_the_domain_s (void)
{
    rectify_policy_t p;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (NULL, &p, &err), 0);
    const rectify_regime_t *old = rectify_policy_regime (&p, "2017");
    const rectify_regime_t *new = rectify_policy_regime (&p, "2024");
    CHECK (old && new);
    if (!old || !new)
        return;
    CHECK (old->plan_due.amount == 1 && old->plan_due.unit == XC_SPAN_MONTHS);
    CHECK (old->report_due.amount == 2 && old->report_due.unit == XC_SPAN_MONTHS);
    CHECK (new->report_due.amount == 6 && new->report_due.unit == XC_SPAN_MONTHS);
    CHECK_STR (p.regimes[p.default_regime].name, "2017");
    CHECK (p.immediate_due.amount == 15 && p.immediate_due.unit == XC_SPAN_DAYS);
    CHECK (p.revisit_after.amount == 3 && p.revisit_after.unit == XC_SPAN_MONTHS);
    CHECK_INT (p.n_warnings, 2);
    CHECK_STR (p.warnings[0].colour, "yellow");      /* ascending by days left */
    CHECK_INT (p.warnings[0].days_left, 10);
    CHECK_STR (p.warnings[1].colour, "green");
    CHECK_INT (p.warnings[1].days_left, 20);
    CHECK_INT (p.every_days, 7);
    CHECK_INT (p.n_steps, 5);
    CHECK_STR (p.steps[0], "supervision_notice");
    CHECK_STR (p.steps[4], "accountability");
    CHECK (p.weights[0] == 15 && p.weights[1] == 15 && p.weights[2] == 60 && p.weights[3] == 10);
    CHECK_INT (p.n_grades, 4);
    CHECK_STR (p.grades[3].grade, "poor");
    CHECK_STR (p.grades[3].name, "差");
    CHECK_STR (p.grades[0].name, "好");
    CHECK_STR (p.history_roles[0], "office");
    CHECK (p.history_roles[1] == NULL);
    CHECK_STR (p.history_quiet_text, "1 days");
    CHECK (strncmp (s_on_time, "整改按期报结率：", strlen ("整改按期报结率：")) == 0);
    CHECK_INT (p.interview_below, 60);
    CHECK_INT (p.interview_lowest, 0);
    CHECK (p.calendar_warn_month == 11 && p.calendar_warn_day == 1);
    /* issue 25: the repeats' deduction in hundredths, the ranking's order with the unit last */
    CHECK_INT (p.repeat_deduction_centi, 200);
    CHECK_INT (p.repeat_deduction_max_centi, 1000);
    CHECK_INT (p.n_ranking_order, 5);
    CHECK (p.ranking_order[0].key == RECTIFY_KEY_SCORE && p.ranking_order[0].desc);
    CHECK (p.ranking_order[1].key == RECTIFY_KEY_ON_TIME && p.ranking_order[1].desc);
    CHECK (p.ranking_order[2].key == RECTIFY_KEY_OVERDUE_DAYS && !p.ranking_order[2].desc);
    CHECK (p.ranking_order[3].key == RECTIFY_KEY_REPEATS && !p.ranking_order[3].desc);
    CHECK (p.ranking_order[4].key == RECTIFY_KEY_UNIT && !p.ranking_order[4].desc);
    CHECK_INT (p.special_check_lowest, 3);
    CHECK_INT (p.n_special_check_grades, 1);
    CHECK_STR (p.special_check_grades[0], "poor");
    /* a deployment's own order keeps its given unit key; the deduction's members add up */
    CHECK_INT (s_load ("{\"ranking\": {\"order\": [\"repeats asc\", \"unit desc\"]},"
                       " \"repeats\": {\"deduction\": 5}}", &p, &err), 0);
    CHECK_INT (p.n_ranking_order, 2);
    CHECK (p.ranking_order[1].key == RECTIFY_KEY_UNIT && p.ranking_order[1].desc);
    CHECK_INT (p.special_check_lowest, 3);
    CHECK (p.repeat_deduction_centi == 500 && p.repeat_deduction_max_centi == 1000);
    /* a deployment words a definition its own way */
    CHECK_INT (s_load ("{\"definitions\": {\"on_time\": \"按期报结率：本市口径\"}}", &p, &err), 0);
    CHECK_STR (s_on_time, "按期报结率：本市口径");
    CHECK_INT (s_load ("{\"calendar_warn_from\": \"10-15\"}", &p, &err), 0);
    CHECK (p.calendar_warn_month == 10 && p.calendar_warn_day == 15);
    CHECK_INT (s_load ("{\"calendar_warn_from\": null}", &p, &err), 0);
    CHECK (p.calendar_warn_month == 0);
}

static void
test_a_deployment_adds_a_regime_and_keeps_the_others (void)
{
    rectify_policy_t p;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load ("{\"regimes\": {\"wd\": {\"plan_due\": \"10 workdays\", \"report_due\": \"40 workdays\"}},"
                       " \"default_regime\": \"wd\", \"escalation\": {\"every_days\": 3},"
                       " \"interview\": {\"lowest\": 10}}", &p, &err), 0);
    CHECK (rectify_policy_regime (&p, "2017") && rectify_policy_regime (&p, "2024"));
    const rectify_regime_t *wd = rectify_policy_regime (&p, "wd");
    CHECK (wd && wd->report_due.amount == 40 && wd->report_due.unit == XC_SPAN_WORKDAYS);
    CHECK_STR (p.regimes[p.default_regime].name, "wd");
    CHECK_INT (p.every_days, 3);
    CHECK_INT (p.n_steps, 5);                        /* the steps kept their default */
    CHECK_INT (p.interview_lowest, 10);
    CHECK_INT (p.interview_below, 60);
    CHECK (rectify_policy_regime (&p, "2031") == NULL);
}

static void
s_refused (const char *policy, const char *what)
{
    rectify_policy_t p;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (policy, &p, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    if (!strstr (err.text, what)) {
        fprintf (stderr, "FAIL %s: '%s' does not say '%s'\n", h_current, err.text, what);
        h_checks_failed_now++;
    }
}

static void
test_bad_policies_are_refused_naming_the_key (void)
{
    s_refused ("{\"weights\": {\"leadership\": 20, \"responsibility\": 15, \"task_completion\": 60,"
               " \"satisfaction\": 10}}", "weights: they sum to 105, not 100");
    s_refused ("{\"default_regime\": \"1999\"}", "default_regime: no regime '1999'");
    s_refused ("{\"immediate_due\": \"soon\"}", "immediate_due");
    s_refused ("{\"regimes\": {\"x\": {\"plan_due\": \"1 fortnight\", \"report_due\": \"2 months\"}}}",
               "regimes.x.plan_due");
    s_refused ("{\"grades\": [{\"grade\": \"a\", \"name\": \"甲\", \"min\": 50},"
               " {\"grade\": \"b\", \"name\": \"乙\", \"min\": 70},"
               " {\"grade\": \"c\", \"name\": \"丙\", \"min\": 0}]}", "grades: min 70 does not descend");
    s_refused ("{\"grades\": [{\"grade\": \"a\", \"name\": \"甲\", \"min\": 50}]}",
               "the last grade's min must be 0");
    /* people read a grade's name: a grade of the deployment's own needs one */
    s_refused ("{\"grades\": [{\"grade\": \"a\", \"min\": 0}]}", "grades[0].name: required for grade 'a'");
    s_refused ("{\"history_quiet\": \"soon\"}", "policies.rectify.history_quiet");
    s_refused ("{\"warnings\": [{\"colour\": \"g\", \"days_left\": 5}, {\"colour\": \"y\", \"days_left\": 5}]}",
               "warnings: 5 days twice");
    s_refused ("{\"warnings\": [{\"colour\": \"g\", \"days_left\": 0}]}", "days_left");
    s_refused ("{\"escalation\": {\"every_days\": 0}}", "every_days");
    s_refused ("{\"colour\": \"red\"}", "unknown key");
    s_refused ("{\"ranking\": {\"order\": [\"score\"]}}", "ranking.order[0]: 'score' is not");
    s_refused ("{\"ranking\": {\"order\": [\"score up\"]}}", "ranking.order[0]");
    s_refused ("{\"ranking\": {\"order\": [\"score desc\", \"score asc\"]}}", "ranking.order[1]");
    s_refused ("{\"ranking\": {\"order\": [\"points desc\"]}}", "ranking.order[0]");
    s_refused ("{\"ranking\": {\"special_check_grades\": [\"bad\"]}}", "special_check_grades: no grade 'bad'");
    s_refused ("{\"repeats\": {\"deduction\": -1}}", "deduction");
    s_refused ("{\"repeats\": {\"deduction\": 2.5}}", "deduction");
    s_refused ("{\"period_end\": \"next_working_day\"}", "period_end");
    s_refused ("{\"calendar_warn_from\": \"11-31\"}", "calendar_warn_from: '11-31' is not a day");
    s_refused ("{\"calendar_warn_from\": \"1-011\"}", "calendar_warn_from");
    s_refused ("{\"calendar_warn_from\": \"2026-11-01\"}", "calendar_warn_from");
    s_refused ("{\"regimes\": {\"x\": {\"plan_due\": \"1 month\", \"report_due\": \"2 months\","
               " \"period_end\": \"later\"}}}", "regimes.x.period_end");
}

/*  The end of a period on a day off (Civil Code art. 203): the policy's rule, a regime's own,
    applied to real deadlines with the 2025 and 2026 calendar files. */
static void
test_a_period_ending_on_a_day_off_moves_by_the_policy_s_rule (void)
{
    xc_calendar_t *cal = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_calendar_load ("config/calendar", &cal, &err), 0);
    rectify_policy_t p;
    xc_date_t start, due;
    char text[256], out[XC_DATE_LEN + 1];

    /* the default moves: 2 months from 2025-03-31 is 端午 05-31, the period ends 06-03 */
    CHECK_INT (s_load (NULL, &p, &err), 0);
    CHECK_INT (p.period_end, XC_END_NEXT_WORKDAY);
    const rectify_regime_t *r2017 = rectify_policy_regime (&p, "2017");
    CHECK (r2017 && r2017->report_due.end == XC_END_NEXT_WORKDAY);
    xc_date_parse ("2025-03-31", &start, NULL);
    CHECK_INT (xc_deadline_compute (cal, start, r2017->report_due, &due, text, sizeof text, &err), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2025-06-03");
    CHECK (strstr (text, "Civil Code art. 203") != NULL);

    /* the policy keeps; a regime of its own moves off holidays only. 30 days from 2026-01-20 is
       02-19 (春节); 30 days from 2026-02-12 is Sat 03-14, a plain weekend */
    CHECK_INT (s_load ("{\"period_end\": \"keep\", \"immediate_due\": \"30 days\", \"regimes\": {\"h\":"
                       " {\"plan_due\": \"30 days\", \"report_due\": \"30 days\", \"period_end\": \"after_holiday\"}}}",
                       &p, &err), 0);
    CHECK_INT (p.period_end, XC_END_KEEP);
    CHECK_INT (p.revisit_after.end, XC_END_KEEP);
    xc_date_parse ("2026-01-20", &start, NULL);
    CHECK_INT (xc_deadline_compute (cal, start, p.immediate_due, &due, text, sizeof text, &err), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2026-02-19");
    CHECK_STR (text, "2026-01-20 + 30 days = 2026-02-19");
    const rectify_regime_t *h = rectify_policy_regime (&p, "h");
    CHECK (h && h->plan_due.end == XC_END_AFTER_HOLIDAY && h->report_due.end == XC_END_AFTER_HOLIDAY);
    CHECK (rectify_policy_regime (&p, "2017")->plan_due.end == XC_END_KEEP);
    if (h) {
        CHECK_INT (xc_deadline_compute (cal, start, h->report_due, &due, text, sizeof text, &err), 0);
        xc_date_format (due, out);
        CHECK_STR (out, "2026-02-24");
        xc_date_parse ("2026-02-12", &start, NULL);
        CHECK_INT (xc_deadline_compute (cal, start, h->report_due, &due, text, sizeof text, &err), 0);
        xc_date_format (due, out);
        CHECK_STR (out, "2026-03-14");
    }
    xc_calendar_destroy (&cal);
}

static xc_principal_t
s_principal (const char *role, json_t *scope)
{
    xc_principal_t p;
    memset (&p, 0, sizeof p);
    snprintf (p.iss, sizeof p.iss, "%s-1", role);
    snprintf (p.role, sizeof p.role, "%s", role);
    p.scope = scope;
    return p;
}

static void
test_units_act_for_their_own_supervisors_read_below (void)
{
    rectify_t r = { .parents = json_object () };
    rectify_scope_add (&r, "D-1", NULL);
    rectify_scope_add (&r, "T-1", "D-1");
    rectify_scope_add (&r, "V-1", "T-1");
    rectify_scope_add (&r, "X-1", NULL);
    json_t *town = json_pack ("{s:[s]}", "units", "T-1");
    json_t *district = json_pack ("{s:[s]}", "units", "D-1");
    json_t *all = json_pack ("{s:[s]}", "units", "*");
    json_t *none = json_object ();
    xc_principal_t unit = s_principal ("unit", town), discipline = s_principal ("discipline", district),
                   audit = s_principal ("audit", all), team = s_principal ("team", all),
                   office = s_principal ("office", none), lost = s_principal ("unit", none);
    CHECK (rectify_scope_acts (&unit, "T-1"));
    CHECK (!rectify_scope_acts (&unit, "V-1"));      /* a unit acts for itself only */
    CHECK (!rectify_scope_acts (&discipline, "T-1"));
    CHECK (rectify_scope_sees (&r, &unit, "T-1"));
    CHECK (!rectify_scope_sees (&r, &unit, "D-1"));
    CHECK (rectify_scope_sees (&r, &discipline, "V-1"));  /* two levels below */
    CHECK (rectify_scope_sees (&r, &discipline, "D-1"));
    CHECK (!rectify_scope_sees (&r, &discipline, "X-1"));
    CHECK (!rectify_scope_sees (&r, &discipline, "unknown"));
    CHECK (rectify_scope_sees (&r, &audit, "X-1"));
    CHECK (!rectify_scope_sees (&r, &team, "X-1"));  /* scope grants nothing to other roles */
    CHECK (rectify_scope_sees (&r, &office, "X-1"));
    CHECK (!rectify_scope_sees (&r, &lost, "T-1"));
    /* a cycle in bad data ends instead of looping */
    rectify_scope_add (&r, "C-1", "C-2");
    rectify_scope_add (&r, "C-2", "C-1");
    CHECK (!rectify_scope_sees (&r, &discipline, "C-1"));
    json_decref (town);
    json_decref (district);
    json_decref (all);
    json_decref (none);
    json_decref (r.parents);
}

/*  policies.rectify.districts: each district's rules are the city's with its overrides, by the
    same merging rules; the others follow the city's. */
static void
test_a_district_s_rules_are_the_city_s_with_its_overrides (void)
{
    rectify_policy_t p;
    xc_err_t err = { 0, "" };
    s_keep = true;
    int rc = s_load ("{\"immediate_due\": \"10 days\", \"warnings\": [{\"colour\": \"green\", \"days_left\": 30}],"
                     " \"districts\": {\"D-A\": {\"regimes\": {\"2017\": {\"plan_due\": \"20 days\","
                     " \"report_due\": \"45 days\"}, \"fast\": {\"plan_due\": \"5 days\", \"report_due\": \"9 days\"}},"
                     " \"default_regime\": \"fast\", \"warnings\": [{\"colour\": \"orange\", \"days_left\": 5}],"
                     " \"escalation\": {\"steps\": [\"district_notice\"]}, \"period_end\": \"keep\"},"
                     " \"D-B\": {\"revisit_after\": \"1 months\"}}}", &p, &err);
    s_keep = false;
    CHECK_INT (rc, 0);
    if (rc != 0) {
        printf ("  %s\n", err.text);
        return;
    }
    CHECK_INT (p.n_districts, 2);
    const char *source = NULL;
    const rectify_policy_t *a = rectify_policy_for (&p, "D-A", &source);
    CHECK_STR (source, "D-A");
    CHECK (a != &p);
    /* regimes add to the city's (2017 replaced, 2024 kept, fast added) */
    const rectify_regime_t *r2017 = rectify_policy_regime (a, "2017"), *r2024 = rectify_policy_regime (a, "2024");
    CHECK (r2017 && r2017->report_due.amount == 45 && r2017->report_due.unit == XC_SPAN_DAYS);
    CHECK (r2024 && r2024->report_due.amount == 6 && r2024->report_due.unit == XC_SPAN_MONTHS);
    CHECK_STR (a->regimes[a->default_regime].name, "fast");
    CHECK (r2024 && r2024->report_due.end == XC_END_KEEP);      /* its period_end for regimes without one */
    /* warnings replace the city's; escalation adds (every_days kept, steps replaced) */
    CHECK_INT (a->n_warnings, 1);
    CHECK_STR (a->warnings[0].colour, "orange");
    CHECK_INT (a->n_steps, 1);
    CHECK_STR (a->steps[0], "district_notice");
    CHECK_INT (a->every_days, 7);
    /* what it does not override is the city's as configured */
    CHECK (a->immediate_due.amount == 10);
    /* D-B: only its revisit span; the city's warnings */
    const rectify_policy_t *b = rectify_policy_for (&p, "D-B", &source);
    CHECK_STR (source, "D-B");
    CHECK (b->revisit_after.amount == 1 && b->revisit_after.unit == XC_SPAN_MONTHS);
    CHECK_INT (b->n_warnings, 1);
    CHECK_INT (b->warnings[0].days_left, 30);
    /* the city, and a district without rules: the city's */
    CHECK (rectify_policy_for (&p, NULL, &source) == &p);
    CHECK_STR (source, "city");
    CHECK (rectify_policy_for (&p, "D-C", &source) == &p);
    CHECK_STR (source, "city");
    CHECK_INT (p.n_warnings, 1);
    CHECK_INT (p.n_steps, 5);
    rectify_policy_clear (&p);
    CHECK (p.districts == NULL && p.n_districts == 0);
}

static void
test_a_bad_district_override_is_refused_naming_it (void)
{
    struct { const char *policy, *named; } cases[] = {
        { "{\"districts\": {\"D-A\": {\"weights\": {}}}}", "policies.rectify.districts.D-A.weights" },
        { "{\"districts\": {\"D-A\": {\"lead_access\": \"full\"}}}", "policies.rectify.districts.D-A.lead_access" },
        { "{\"districts\": {\"D A\": {}}}", "'D A' is not a district id" },
        { "{\"districts\": {\"D-A\": {\"default_regime\": \"none\"}}}",
          "policies.rectify.districts.D-A.default_regime: no regime 'none'" },
        { "{\"districts\": {\"D-A\": {\"immediate_due\": \"soon\"}}}", "policies.rectify.districts.D-A.immediate_due" },
        { "{\"districts\": {\"D-A\": {\"warnings\": [{\"colour\": \"a\", \"days_left\": 5},"
          " {\"colour\": \"b\", \"days_left\": 5}]}}}", "policies.rectify.districts.D-A.warnings: 5 days twice" },
        { "{\"districts\": {\"D-A\": {\"regimes\": {\"x\": {\"plan_due\": \"1 days\"}}}}}",
          "policies.rectify.districts.D-A.regimes.x.report_due" },
        { "{\"districts\": {\"D-A\": []}}", "policies.rectify.districts.D-A" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rectify_policy_t p;
        xc_err_t err = { 0, "" };
        CHECK_INT (s_load (cases[i].policy, &p, &err), -1);
        CHECK_INT (err.code, XC_E_CONFIG);
        if (!strstr (err.text, cases[i].named))
            printf ("  case %zu: '%s' does not name '%s'\n", i, err.text, cases[i].named);
        CHECK (strstr (err.text, cases[i].named) != NULL);
    }
}

/*  What a district office owns (its district's rounds) and reads (crossed by it). */
static void
test_a_district_owns_its_rounds_and_reads_the_crossed_ones (void)
{
    rectify_t r = { 0 };
    rectify_rounds_add (&r, "R-CITY", NULL, NULL);
    rectify_rounds_add (&r, "R-A", "D-A", NULL);
    rectify_rounds_add (&r, "R-X", "D-B", "D-A");
    CHECK_INT (rectify_district_reach (&r, "D-A", "R-A"), 2);
    CHECK_INT (rectify_district_reach (&r, "D-A", "R-X"), 1);
    CHECK_INT (rectify_district_reach (&r, "D-B", "R-X"), 2);
    CHECK_INT (rectify_district_reach (&r, "D-B", "R-A"), 0);
    CHECK_INT (rectify_district_reach (&r, "D-A", "R-CITY"), 0);
    CHECK_INT (rectify_district_reach (&r, "D-A", "R-NONE"), 0);
    CHECK_INT (rectify_district_reach (&r, "D-A", ""), 0);
    CHECK_INT (rectify_district_reach (&r, "D-A", NULL), 0);
    CHECK_INT (rectify_district_reach (&r, NULL, "R-A"), 0);
    json_decref (r.rounds);
}

static void
test_rates_round_half_up_to_two_decimals (void)
{
    struct { long long part, of; const char *want; } cases[] = {
        { 688, 697, "98.71" }, { 5, 7, "71.43" }, { 1, 8, "12.50" }, { 1, 3, "33.33" },
        { 2, 3, "66.67" }, { 1, 200000, "0.00" }, { 1, 20000, "0.01" }, { 7, 7, "100.00" },
        { 0, 9, "0.00" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *rate = rectify_rate (cases[i].part, cases[i].of);
        CHECK_STR (json_string_value (rate), cases[i].want);
        json_decref (rate);
    }
    json_t *none = rectify_rate (0, 0);
    CHECK (json_is_null (none));
    json_decref (none);
}

int
main (void)
{
    h_tmpdir (s_dir, sizeof s_dir, "rectify-policy");
    RUN (test_defaults_are_the_domain_s);
    RUN (test_a_deployment_adds_a_regime_and_keeps_the_others);
    RUN (test_bad_policies_are_refused_naming_the_key);
    RUN (test_a_period_ending_on_a_day_off_moves_by_the_policy_s_rule);
    RUN (test_units_act_for_their_own_supervisors_read_below);
    RUN (test_rates_round_half_up_to_two_decimals);
    RUN (test_a_district_s_rules_are_the_city_s_with_its_overrides);
    RUN (test_a_bad_district_override_is_refused_naming_it);
    RUN (test_a_district_owns_its_rounds_and_reads_the_crossed_ones);
    h_rmtree (s_dir);
    HARNESS_END ();
}
