/*  rules.c: xcctl rules [--district D]: the rules in effect, read from the deployment file by
    the services' own policy modules (rectify's, referral's, notify's), for the city and for a
    district, each with why it applies: 全市默认 (the code's default), 全市配置 (the
    deployment's city policy) or 区县配置 (the district's override, policies.<svc>.districts.<D>).

    A district's rules are the city's with the district's override on top, as the modules load
    them: rectify's own (rectify_policy_for), notify's directory with each district's entries,
    and referral's section with the override on top (its due merging member by member), loaded
    by its module. Nothing is sent to a service: it is the file, as the services read it at
    start, and a file a service would refuse is refused here (exit 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/text.h"
#include "services/notify/notify.h"
#include "services/referral/referral.h"
#include "services/rectify/rectify.h"

/*  Where a rule's value comes from. */
typedef enum { S_DEFAULT, S_CITY, S_DISTRICT } s_source_t;
static const char *const s_source_codes[] = { "default", "city", "district" };
static const char *const s_source_words[] = { "全市默认", "全市配置", "区县配置" };

/*  The rules xcctl shows: each a member of a service's policy that a district may override. */
static const struct {
    const char *service, *member, *name;
} s_rules[] = {
    { "rectify", "regimes", "整改时限制度" },
    { "rectify", "default_regime", "默认整改时限制度" },
    { "rectify", "immediate_due", "立行立改时限" },
    { "rectify", "warnings", "整改预警" },
    { "rectify", "escalation", "逾期督办升级" },
    { "rectify", "revisit_after", "巡察回访时间" },
    { "rectify", "period_end", "整改期限末日遇休息日" },
    { "referral", "lead_access", "区县巡察办知悉线索" },
    { "referral", "due", "线索办理时限" },
    { "referral", "warn_days", "线索办理预警" },
    { "referral", "period_end", "线索期限末日遇休息日" },
    { "notify", "directory", "通知接收人" },
};
#define N_RULES (sizeof s_rules / sizeof s_rules[0])

static const char *
s_period_end_code (xc_period_end_t end)
{
    return end == XC_END_AFTER_HOLIDAY ? "after_holiday" : end == XC_END_KEEP ? "keep" : "next_workday";
}

/*  A span as written in a policy ("3 months"). */
static json_t *
s_span (const xc_span_t *span)
{
    static const char *const units[] = { "days", "workdays", "months" };
    char text[48];
    snprintf (text, sizeof text, "%d %s", span->amount, units[span->unit]);
    return json_string (text);
}

/*  The deployment's rectify and notify policies as the services load them: rectify's holds
    each district's rules (rectify_policy_for), notify's directory each district's entries. */
typedef struct {
    rectify_policy_t rectify;
    referral_policy_t referral;
    notify_t notify;
    bool loaded[3];                  /* rectify, referral, notify: the services the deployment runs */
} s_whole_t;

static void
s_whole_free (s_whole_t *w)
{
    if (w->loaded[0])
        rectify_policy_clear (&w->rectify);
    if (w->loaded[1])
        referral_policy_free (&w->referral);
    if (w->loaded[2])
        notify_policy_free (&w->notify);
    memset (w, 0, sizeof *w);
}

/*  -1 after saying why: an override the services refuse is refused here. */
static int
s_whole_load (const ctl_t *ctl, s_whole_t *w)
{
    memset (w, 0, sizeof *w);
    xc_err_t err;
    bool rectify = xc_config_service (ctl->config, "rectify") != NULL;
    bool referral = xc_config_service (ctl->config, "referral") != NULL;
    bool notify = xc_config_service (ctl->config, "notify") != NULL;
    if (!rectify || rectify_policy_load (&w->rectify, ctl->config, &err) == 0) {
        w->loaded[0] = rectify;
        if (!referral || referral_policy_load (&w->referral, ctl->config, &err) == 0) {
            w->loaded[1] = referral;
            if (!notify || notify_policy_load (&w->notify, ctl->config, &err) == 0) {
                w->loaded[2] = notify;
                return 0;
            }
        }
    }
    fprintf (stderr, "xcctl: rules: %s (%s)\n", err.text, ctl->config->path);
    s_whole_free (w);
    return -1;
}

/*  A scope's rules, as the services apply them to its rounds' records. */
typedef struct {
    const rectify_policy_t *rectify;
    const referral_rules_t *referral;
    referral_lead_access_t lead_access;
    const notify_t *notify;
} s_policies_t;

/*  A rule's value in one scope, as JSON, from the loaded policy (district: NULL for the city,
    whose notify entries have no district; section: the scope's policies, for lead_access,
    which the module may not keep). */
static json_t *
s_value (const s_policies_t *p, const char *service, const char *member, const char *district)
{
    if (strcmp (service, "rectify") == 0) {
        const rectify_policy_t *r = p->rectify;
        if (strcmp (member, "regimes") == 0) {
            json_t *v = json_object ();
            for (int i = 0; i < r->n_regimes; i++)
                json_object_set_new (v, r->regimes[i].name, json_pack ("{s:o, s:o}", "plan_due",
                                                                      s_span (&r->regimes[i].plan_due), "report_due",
                                                                      s_span (&r->regimes[i].report_due)));
            return v;
        }
        if (strcmp (member, "default_regime") == 0)
            return json_string (r->regimes[r->default_regime].name);
        if (strcmp (member, "immediate_due") == 0)
            return s_span (&r->immediate_due);
        if (strcmp (member, "revisit_after") == 0)
            return s_span (&r->revisit_after);
        if (strcmp (member, "period_end") == 0)
            return json_string (s_period_end_code (r->period_end));
        if (strcmp (member, "warnings") == 0) {
            json_t *v = json_array ();
            for (int i = r->n_warnings - 1; i >= 0; i--)
                json_array_append_new (v, json_pack ("{s:s, s:i}", "colour", r->warnings[i].colour, "days_left",
                                                     r->warnings[i].days_left));
            return v;
        }
        json_t *steps = json_array ();
        for (int i = 0; i < r->n_steps; i++)
            json_array_append_new (steps, json_string (r->steps[i]));
        return json_pack ("{s:i, s:o}", "every_days", r->every_days, "steps", steps);
    }
    if (strcmp (service, "referral") == 0) {
        const referral_rules_t *r = p->referral;
        if (strcmp (member, "lead_access") == 0)
            return json_string (referral_lead_access_name (p->lead_access));
        if (strcmp (member, "due") == 0)
            return json_pack ("{s:o, s:o, s:o}", "lead", s_span (&r->due_lead), "handover", s_span (&r->due_handover),
                              "report", s_span (&r->due_report));
        if (strcmp (member, "period_end") == 0)
            return json_string (s_period_end_code (r->due_lead.end));
        json_t *v = json_array ();
        for (int i = r->n_warn_days - 1; i >= 0; i--)
            json_array_append_new (v, json_integer (r->warn_days[i]));
        return v;
    }
    /* notify's directory: the entries of the scope (an entry without district is the city's) */
    json_t *v = json_object ();
    const char *id;
    json_t *entry;
    json_object_foreach ((json_t *) p->notify->directory, id, entry) {
        const char *of = json_string_value (json_object_get (entry, "district"));
        if (district ? !of || strcmp (of, district) != 0 : of != NULL)
            continue;
        json_t *row = json_pack ("{s:O}", "name", json_object_get (entry, "name"));
        if (json_object_get (entry, "roles"))
            json_object_set (row, "roles", json_object_get (entry, "roles"));
        if (json_object_get (entry, "principal"))
            json_object_set (row, "principal", json_object_get (entry, "principal"));
        json_object_set_new (v, id, row);
    }
    return v;
}

/*  "3 months" as people read it: 3个月; "20 workdays" 20个工作日; "15 days" 15日. */
static void
s_span_words (const char *text, char *out, size_t size)
{
    int n = atoi (text);
    const char *unit = strchr (text, ' ');
    unit = unit ? unit + 1 : "";
    snprintf (out, size, "%d%s", n, strncmp (unit, "workday", 7) == 0 ? "个工作日"
                                    : strncmp (unit, "month", 5) == 0 ? "个月" : "日");
}

static const char *
s_word (const char *member, const char *code)
{
    const char *word = ctl_word (member, code);
    return word ? word : code;
}

/*  A rule's value as people read it. */
static void
s_text (const char *member, const json_t *v, xc_buf_t *b)
{
    char span[48], line[512];
    const char *key;
    json_t *e;
    size_t i;
    if (strcmp (member, "regimes") == 0)
        json_object_foreach ((json_t *) v, key, e) {
            char plan[48], report[48];
            s_span_words (json_string_value (json_object_get (e, "plan_due")), plan, sizeof plan);
            s_span_words (json_string_value (json_object_get (e, "report_due")), report, sizeof report);
            snprintf (line, sizeof line, "%s%s：整改方案%s，整改报告%s", b->len ? "；" : "", key, plan, report);
            xc_buf_puts (b, line);
        }
    else if (strcmp (member, "due") == 0) {
        static const char *const kinds[] = { "lead", "handover", "report" };
        for (int k = 0; k < 3; k++) {
            s_span_words (json_string_value (json_object_get (v, kinds[k])), span, sizeof span);
            snprintf (line, sizeof line, "%s%s%s", k ? "，" : "", s_word ("kind", kinds[k]), span);
            xc_buf_puts (b, line);
        }
    }
    else if (strcmp (member, "warnings") == 0)
        json_array_foreach (v, i, e) {
            snprintf (line, sizeof line, "%s%s：到期前%lld日", i ? "；" : "",
                      s_word ("colour", json_string_value (json_object_get (e, "colour"))),
                      (long long) json_integer_value (json_object_get (e, "days_left")));
            xc_buf_puts (b, line);
        }
    else if (strcmp (member, "warn_days") == 0) {
        xc_buf_puts (b, json_array_size (v) ? "到期前" : "不预警");
        json_array_foreach (v, i, e) {
            snprintf (line, sizeof line, "%s%lld日", i ? "、" : "", (long long) json_integer_value (e));
            xc_buf_puts (b, line);
        }
    }
    else if (strcmp (member, "escalation") == 0) {
        snprintf (line, sizeof line, "逾期后每%lld日升一级：", (long long) json_integer_value (json_object_get (v, "every_days")));
        xc_buf_puts (b, line);
        json_array_foreach (json_object_get (v, "steps"), i, e) {
            xc_buf_puts (b, i ? " → " : "");
            xc_buf_puts (b, s_word ("step", json_string_value (e)));
        }
    }
    else if (strcmp (member, "directory") == 0) {
        if (!json_object_size (v))
            xc_buf_puts (b, "（无）");
        json_object_foreach ((json_t *) v, key, e) {
            snprintf (line, sizeof line, "%s%s（%s", b->len ? "；" : "", json_string_value (json_object_get (e, "name")), key);
            xc_buf_puts (b, line);
            size_t r;
            json_t *role;
            json_array_foreach (json_object_get (e, "roles"), r, role) {
                xc_buf_puts (b, r ? "、" : "，角色 ");
                xc_buf_puts (b, s_word ("directory_role", json_string_value (role)));
            }
            xc_buf_puts (b, "）");
        }
    }
    else if (strcmp (member, "immediate_due") == 0 || strcmp (member, "revisit_after") == 0) {
        s_span_words (json_string_value (v), span, sizeof span);
        xc_buf_puts (b, span);
    }
    else if (json_is_string (v))
        xc_buf_puts (b, s_word (member, json_string_value (v)));
}

/*  The members a district may override, by service (policies.<svc>.districts.<D>). */
static bool
s_known_override (const char *service, const char *member)
{
    for (size_t r = 0; r < N_RULES; r++)
        if (strcmp (s_rules[r].service, service) == 0 && strcmp (s_rules[r].member, member) == 0)
            return true;
    return false;
}

/*  Where a rule's value comes from in a scope. */
static s_source_t
s_source (const json_t *policies, const char *service, const char *member, const char *district)
{
    const json_t *city = json_object_get (policies, service);
    if (district) {
        const json_t *over = json_object_get (json_object_get (city, "districts"), district);
        if (json_object_get (over, member))
            return S_DISTRICT;
        /* a district's notices go to its own entries only: none is the code's default */
        if (strcmp (member, "directory") == 0)
            return S_DEFAULT;
    }
    return json_object_get (city, member) ? S_CITY : S_DEFAULT;
}

/*  The rules of one scope into rows (people) and out (--json: {service.member: {value, source}}). */
static int
s_scope (const ctl_t *ctl, const s_whole_t *whole, const char *district, json_t *rows, json_t *out)
{
    const json_t *policies = ctl->config->policies;
    s_policies_t p = { .notify = &whole->notify };
    if (whole->loaded[0])
        p.rectify = rectify_policy_for (&whole->rectify, district, NULL);
    if (whole->loaded[1]) {
        p.referral = referral_policy_rules (&whole->referral, district);
        p.lead_access = referral_policy_lead_access (&whole->referral, district);
    }
    /* the rules of the services the deployment runs */
    const bool *runs = whole->loaded;
    for (size_t r = 0; r < N_RULES; r++) {
        int svc = strcmp (s_rules[r].service, "rectify") == 0 ? 0 : strcmp (s_rules[r].service, "referral") == 0 ? 1 : 2;
        if (!runs[svc])
            continue;
        json_t *value = s_value (&p, s_rules[r].service, s_rules[r].member, district);
        s_source_t source = s_source (policies, s_rules[r].service, s_rules[r].member, district);
        char path[96];
        snprintf (path, sizeof path, "%s.%s", s_rules[r].service, s_rules[r].member);
        xc_buf_t b = { 0 };
        s_text (s_rules[r].member, value, &b);
        char scope[128];
        snprintf (scope, sizeof scope, district ? "区县 %s" : "全市", district);
        json_array_append_new (rows, json_pack ("{s:s, s:s, s:s, s:s, s:s}", "规则", s_rules[r].name, "配置项", path,
                                                "范围", scope, "取值", b.data ? b.data : "", "依据",
                                                s_source_words[source]));
        xc_buf_free (&b);
        json_object_set_new (out, path, json_pack ("{s:o, s:s}", "value", value, "source", s_source_codes[source]));
    }
    return CTL_OK;
}

/*  Every district's override names only rules a district may have; -1 after naming the first
    that is not. */
static int
s_check_overrides (const json_t *policies)
{
    static const char *const services[] = { "rectify", "referral", "notify" };
    for (int k = 0; k < 3; k++) {
        const char *district, *member;
        json_t *over, *v;
        json_object_foreach (json_object_get (json_object_get (policies, services[k]), "districts"), district, over) {
            if (!ctl_is_id (district)) {
                fprintf (stderr, "xcctl: rules: policies.%s.districts: '%s' is not a district id\n", services[k], district);
                return -1;
            }
            if (!json_is_object (over)) {
                fprintf (stderr, "xcctl: rules: policies.%s.districts.%s: not an object\n", services[k], district);
                return -1;
            }
            json_object_foreach (over, member, v)
                if (!s_known_override (services[k], member)) {
                    fprintf (stderr, "xcctl: rules: policies.%s.districts.%s.%s: a district may not override it (only the"
                             " rules xcctl rules shows)\n", services[k], district, member);
                    return -1;
                }
        }
    }
    return 0;
}

int
ctl_rules (ctl_t *ctl, int argc, char **argv)
{
    const char *district = ctl_opt (argc, argv, "--district");
    for (int k = 0; k < argc; k++)
        if (strcmp (argv[k], "--district") != 0 || k + 1 >= argc) {
            fprintf (stderr, "usage: xcctl rules [--district D] [--json]\n");
            return CTL_USAGE;
        }
        else
            k++;
    if (district && !ctl_is_id (district)) {
        fprintf (stderr, "xcctl: rules --district: '%s' is not an id (1-64 of A-Z a-z 0-9 . _ : -)\n", district);
        return CTL_USAGE;
    }
    const json_t *policies = ctl->config->policies;
    if (s_check_overrides (policies) != 0)
        return CTL_LOCAL;
    /* the deployment as the services load it: an override a service refuses is refused here */
    s_whole_t whole;
    if (s_whole_load (ctl, &whole) != 0)
        return CTL_LOCAL;
    /* the scopes: the city, then D; without --district every district with an override */
    json_t *scopes = json_array ();
    if (district)
        json_array_append_new (scopes, json_string (district));
    else {
        static const char *const services[] = { "rectify", "referral", "notify" };
        for (int k = 0; k < 3; k++) {
            const char *id;
            json_t *over;
            json_object_foreach (json_object_get (json_object_get (policies, services[k]), "districts"), id, over) {
                bool seen = false;
                size_t i;
                json_t *s;
                json_array_foreach (scopes, i, s)
                    seen = seen || strcmp (json_string_value (s), id) == 0;
                if (!seen)
                    json_array_append_new (scopes, json_string (id));
            }
        }
    }
    json_t *rows = json_array (), *city = json_object (), *districts = json_object ();
    int rc = s_scope (ctl, &whole, NULL, rows, city);
    size_t i;
    json_t *s;
    json_array_foreach (scopes, i, s) {
        json_t *one = json_object ();
        if (rc == CTL_OK)
            rc = s_scope (ctl, &whole, json_string_value (s), rows, one);
        json_object_set_new (districts, json_string_value (s), one);
    }
    if (rc == CTL_OK) {
        if (ctl->json) {
            json_t *all = json_pack ("{s:O, s:O}", "city", city, "districts", districts);
            ctl_print (ctl, all);
            json_decref (all);
        }
        else {
            /* by rule, the city's row first, then each district's */
            json_t *sorted = json_array ();
            size_t n_scopes = 1 + json_array_size (scopes), per = json_array_size (rows) / n_scopes;
            for (size_t r = 0; r < per; r++)
                for (size_t k = 0; k < n_scopes; k++)
                    json_array_append (sorted, json_array_get (rows, k * per + r));
            printf ("生效的规则（%s）\n", ctl->config->path);
            static const char *const columns[] = { "规则", "配置项", "范围", "取值", "依据", NULL };
            ctl_table (sorted, columns);
            printf ("依据：全市默认 = 程序默认值；全市配置 = 部署文件 policies 中全市的规定；区县配置 = 该区县的规定"
                    "（policies.<服务>.districts.<区县>）\n");
            json_decref (sorted);
        }
    }
    json_decref (rows);
    json_decref (city);
    json_decref (districts);
    json_decref (scopes);
    s_whole_free (&whole);
    return rc;
}
