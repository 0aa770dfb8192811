/*  config_fuzz.c: the config loader on a hostile file, and each service's policy loader on
    what it accepted.

    The input is written to a file of the process's folder and loaded with xc_config_load
    (paths in it are only resolved, never opened). A loaded config is checked against what
    config.h promises and handed to the policy loaders of intake, referral, rectify and
    notify (services/<name>/policy.c), whose results are checked against their headers.
*/
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "services/intake/intake.h"
#include "services/notify/notify.h"
#include "services/rectify/rectify.h"
#include "services/referral/referral.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_check_config (const xc_config_t *cfg)
{
    XC_FUZZ_ASSERT (cfg->deployment && cfg->registry && cfg->calendar && cfg->log_level);
    XC_FUZZ_ASSERT (cfg->utc_offset >= -14 * 3600 && cfg->utc_offset <= 14 * 3600);
    XC_FUZZ_ASSERT (cfg->max_message_bytes >= 1024 && cfg->clock_skew_seconds >= 1
                    && cfg->max_lifetime_seconds >= 1 && cfg->batch_max >= 1);
    XC_FUZZ_ASSERT (json_is_object (cfg->policies));
    XC_FUZZ_ASSERT (cfg->n_services >= 1 && cfg->services);
    for (size_t i = 0; i < cfg->n_services; i++) {
        const xc_service_conf_t *s = &cfg->services[i];
        XC_FUZZ_ASSERT (s->name && s->api && s->api_bind && s->database && s->key);
        XC_FUZZ_ASSERT (!s->events_bind || s->events);
        XC_FUZZ_ASSERT (xc_config_service (cfg, s->name) == s);
    }
}

static void
s_intake (const xc_config_t *cfg)
{
    static intake_policy_t policy;
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (intake_policy_load (&policy, cfg, &err) != 0) {
        XC_FUZZ_ASSERT (err.code == XC_E_CONFIG);
        return;
    }
    XC_FUZZ_ASSERT (policy.n_categories >= 1 && policy.n_categories <= INTAKE_MAX_CATEGORIES);
    XC_FUZZ_ASSERT (policy.n_severities >= 1 && policy.n_severities <= INTAKE_MAX_SEVERITIES);
    XC_FUZZ_ASSERT (policy.n_event_roles <= INTAKE_MAX_READERS
                    && policy.event_role_list[policy.n_event_roles] == NULL);
    for (int i = 0; i < policy.n_categories; i++)
        XC_FUZZ_ASSERT (intake_policy_category (&policy, policy.categories[i].id));
}

static void
s_referral (const xc_config_t *cfg)
{
    referral_policy_t policy;
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (referral_policy_load (&policy, cfg, &err) != 0) {
        XC_FUZZ_ASSERT (err.code == XC_E_CONFIG);
        return;
    }
    /* the city's rules and each district's (its overrides on the city's) */
    for (size_t d = 0; d <= policy.n_districts; d++) {
        const referral_rules_t *rules = d == 0 ? &policy.city : &policy.districts[d - 1].rules;
        XC_FUZZ_ASSERT (rules->n_warn_days <= REFERRAL_MAX_WARNINGS);
        for (int i = 1; i < rules->n_warn_days; i++)
            XC_FUZZ_ASSERT (rules->warn_days[i - 1] < rules->warn_days[i]);
        static const char *const kinds[] = { "lead", "handover", "report" };
        for (int i = 0; i < 3; i++) {
            const char *text = NULL;
            const xc_span_t *span = referral_rules_due (rules, kinds[i], &text);
            XC_FUZZ_ASSERT (span && text && span->amount >= 0 && span->amount <= 3660);
        }
    }
    referral_policy_free (&policy);
}

static void
s_rectify (const xc_config_t *cfg)
{
    rectify_policy_t policy;
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (rectify_policy_load (&policy, cfg, &err) != 0) {
        XC_FUZZ_ASSERT (err.code == XC_E_CONFIG);
        return;
    }
    XC_FUZZ_ASSERT (policy.n_regimes >= 1 && policy.n_regimes <= RECTIFY_MAX_REGIMES);
    XC_FUZZ_ASSERT (policy.default_regime >= 0 && policy.default_regime < policy.n_regimes);
    for (int i = 0; i < policy.n_regimes; i++)
        XC_FUZZ_ASSERT (rectify_policy_regime (&policy, policy.regimes[i].name) != NULL);
    XC_FUZZ_ASSERT (policy.n_warnings <= RECTIFY_MAX_WARNINGS);
    for (int i = 1; i < policy.n_warnings; i++)
        XC_FUZZ_ASSERT (policy.warnings[i - 1].days_left < policy.warnings[i].days_left);
    XC_FUZZ_ASSERT (policy.n_steps <= RECTIFY_MAX_STEPS);
    XC_FUZZ_ASSERT (policy.weights[0] + policy.weights[1] + policy.weights[2] + policy.weights[3]
                    == 100);
    XC_FUZZ_ASSERT (policy.n_grades >= 1 && policy.n_grades <= RECTIFY_MAX_GRADES
                    && policy.grades[policy.n_grades - 1].min == 0);
    for (int i = 1; i < policy.n_grades; i++)
        XC_FUZZ_ASSERT (policy.grades[i - 1].min > policy.grades[i].min);
    rectify_policy_clear (&policy);     /* the definitions it holds */
}

static void
s_notify (const xc_config_t *cfg)
{
    notify_t notify;
    memset (&notify, 0, sizeof notify);
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (notify_policy_load (&notify, cfg, &err) != 0)
        XC_FUZZ_ASSERT (err.code == XC_E_CONFIG);
    else {
        XC_FUZZ_ASSERT (json_is_object (notify.directory) && json_is_array (notify.rules)
                        && json_is_object (notify.templates) && json_is_object (notify.labels));
        XC_FUZZ_ASSERT (notify.max_attempts >= 1 && notify.backoff_ms >= 1
                        && notify.timeout_ms >= 100 && notify.smtp && notify.from);
        int n = 0;
        while (notify.sources[n]) {
            XC_FUZZ_ASSERT (xc_config_service (cfg, notify.sources[n]) != NULL);
            n++;
        }
        XC_FUZZ_ASSERT (n >= 1 && n <= NOTIFY_SOURCES_MAX);
    }
    notify_policy_free (&notify);     /* a failure after the checks has set it too */
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char path[320];
    snprintf (path, sizeof path, "%s/config.json", xc_fuzz_dir ());
    xc_fuzz_write (path, data, size);
    xc_config_t *cfg = NULL;
    xc_err_t err = { .code = XC_CODE_COUNT };
    if (xc_config_load (path, &cfg, &err) != 0) {
        XC_FUZZ_ASSERT (cfg == NULL);
        XC_FUZZ_ASSERT (err.code == XC_E_CONFIG);
        XC_FUZZ_ASSERT (memchr (err.text, 0, sizeof err.text) != NULL);
        return 0;
    }
    s_check_config (cfg);
    s_intake (cfg);
    s_referral (cfg);
    s_rectify (cfg);
    s_notify (cfg);
    xc_config_destroy (&cfg);
    return 0;
}
