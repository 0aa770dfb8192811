/*  policy.c: policies.notify (docs/services/notify.md): the directory of recipients, the
    routing rules, the templates, retries and the SMTP relay, each checked at start. */
#include <stdio.h>
#include <string.h>

#include "common/schema.h"
#include "services/notify/notify.h"

static const char *const s_channels[] = { "email", "webhook", "stream", NULL };

#define TEXT(n, req, most) { .name = n, .type = XC_T_STRING, .required = req, .min = 1, .max = most }
static const xc_field_t s_word = { .type = XC_T_STRING, .min = 1, .max = 63 };
static const xc_field_t s_id = { .type = XC_T_ID };
static const xc_field_t s_unit = { .type = XC_T_STRING, .min = 1, .max = 64 };   /* an id, or "*" */
static const xc_field_t s_channel_fields[] = {
    TEXT ("email", false, 254), TEXT ("webhook", false, 2000),
    { .name = "stream", .type = XC_T_BOOLEAN },
    { .name = NULL },
};
static const xc_field_t s_digest_fields[] = {
    { .name = "at", .type = XC_T_STRING, .required = true, .min = 5, .max = 5 },
    { .name = NULL },
};
static const xc_field_t s_entry_fields[] = {
    TEXT ("name", true, 100),
    { .name = "roles", .type = XC_T_ARRAY, .max = 16, .items = &s_word },
    { .name = "units", .type = XC_T_ARRAY, .max = 10000, .items = &s_unit },
    TEXT ("principal", false, 63),
    { .name = "channels", .type = XC_T_OBJECT, .required = true, .fields = s_channel_fields },
    { .name = "digest", .type = XC_T_OBJECT, .fields = s_digest_fields },
    { .name = "district", .type = XC_T_ID },    /* absent: the city's entry */
    { .name = NULL },
};
static const xc_field_t s_entry = { .type = XC_T_OBJECT, .fields = s_entry_fields };
/* policies.notify.districts.<D>: what a district adds (its people and systems) */
static const xc_field_t s_district_fields[] = {
    { .name = "directory", .type = XC_T_MAP, .max = 100000, .items = &s_entry },
    { .name = NULL },
};
static const xc_field_t s_district = { .type = XC_T_OBJECT, .fields = s_district_fields };
static const xc_field_t s_pattern = { .type = XC_T_STRING, .min = 1, .max = 64 };
static const xc_field_t s_selector = { .type = XC_T_STRING, .min = 1, .max = 200 };
static const xc_field_t s_channel = { .type = XC_T_STRING, .one_of = s_channels };
static const xc_field_t s_value = { .type = XC_T_ANY };
static const xc_field_t s_values = { .type = XC_T_ARRAY, .min = 1, .max = 100, .items = &s_value };
static const xc_field_t s_resend_fields[] = {
    { .name = "after_seconds", .type = XC_T_INTEGER, .required = true, .min = 1, .max = 31536000 },
    { .name = "times", .type = XC_T_INTEGER, .required = true, .min = 1, .max = 100 },
    { .name = NULL },
};
static const xc_field_t s_rule_fields[] = {
    TEXT ("id", true, 63),
    TEXT ("name", false, 100),       /* how a notice names the rule that sent it (else the id) */
    { .name = "events", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 32, .items = &s_pattern },
    { .name = "when", .type = XC_T_MAP, .max = 16, .items = &s_values },
    { .name = "to", .type = XC_T_ARRAY, .required = true, .min = 1, .max = 16, .items = &s_selector },
    { .name = "channels", .type = XC_T_ARRAY, .min = 1, .max = 3, .items = &s_channel },
    { .name = "resend", .type = XC_T_OBJECT, .fields = s_resend_fields },
    { .name = NULL },
};
static const xc_field_t s_rule = { .type = XC_T_OBJECT, .fields = s_rule_fields };
static const xc_field_t s_template_fields[] = {
    TEXT ("subject", true, 500), TEXT ("text", true, 10000),
    { .name = NULL },
};
static const xc_field_t s_template = { .type = XC_T_OBJECT, .fields = s_template_fields };
static const xc_field_t s_label = { .type = XC_T_STRING, .min = 1, .max = 200 };
static const xc_field_t s_retry_fields[] = {
    { .name = "max_attempts", .type = XC_T_INTEGER, .min = 1, .max = 100 },
    { .name = "backoff_ms", .type = XC_T_INTEGER, .min = 1, .max = 3600000 },
    { .name = "backoff_max_ms", .type = XC_T_INTEGER, .min = 1, .max = 86400000 },
    { .name = "timeout_ms", .type = XC_T_INTEGER, .min = 100, .max = 600000 },
    { .name = NULL },
};
static const xc_field_t s_email_fields[] = {
    TEXT ("smtp", false, 500), TEXT ("from", false, 254),
    { .name = NULL },
};
static const xc_field_t s_fields[] = {
    { .name = "directory", .type = XC_T_MAP, .required = true, .max = 100000, .items = &s_entry },
    { .name = "rules", .type = XC_T_ARRAY, .max = 200, .items = &s_rule },
    { .name = "templates", .type = XC_T_MAP, .max = 200, .items = &s_template },
    { .name = "retry", .type = XC_T_OBJECT, .fields = s_retry_fields },
    { .name = "email", .type = XC_T_OBJECT, .fields = s_email_fields },
    { .name = "sources", .type = XC_T_ARRAY, .min = 1, .max = NOTIFY_SOURCES_MAX, .items = &s_id },
    { .name = "labels", .type = XC_T_MAP, .max = 1000, .items = &s_label },
    { .name = "districts", .type = XC_T_MAP, .max = 1000, .items = &s_district },
    { .name = NULL },
};

/* The domain's practice (docs/services/notify.md). */
static const char s_default_rules[] =
    "[{\"id\": \"warning-green\", \"name\": \"整改绿色预警\", \"events\": [\"rectify.warning\"],"
    "  \"when\": {\"colour\": [\"green\"]}, \"to\": [\"owners|role:officer\"]},"
    " {\"id\": \"warning-yellow\", \"name\": \"整改黄色预警\", \"events\": [\"rectify.warning\"],"
    "  \"when\": {\"colour\": [\"yellow\"]}, \"to\": [\"owners|role:officer\", \"lead_leaders|role:supervising_leader\"]},"
    " {\"id\": \"overdue\", \"name\": \"整改逾期\", \"events\": [\"rectify.overdue\"], \"to\": [\"role:party_secretary\", \"role:office\"]},"
    " {\"id\": \"escalated\", \"name\": \"逾期督办\", \"events\": [\"rectify.escalated\"], \"to\": [\"role:office\", \"role:principal_leader\"]},"
    " {\"id\": \"escalated-city\", \"name\": \"区县逾期督办报市\", \"events\": [\"rectify.escalated\"],"
    "  \"when\": {\"step_name\": [\"warning\", \"accountability\"]}, \"to\": [\"city:role:office\"]},"
    " {\"id\": \"revisit-due\", \"name\": \"巡察回访\", \"events\": [\"revisit.due\"], \"to\": [\"role:office\"]},"
    " {\"id\": \"referral-warning\", \"name\": \"线索办理预警\", \"events\": [\"referral.warning\"], \"to\": [\"target\"]},"
    " {\"id\": \"referral-overdue\", \"name\": \"线索办理逾期\", \"events\": [\"referral.overdue\"], \"to\": [\"role:office\", \"target\"]},"
    " {\"id\": \"report-overdue\", \"name\": \"巡察报告逾期\", \"events\": [\"round.report_overdue\"], \"to\": [\"role:office\"]},"
    " {\"id\": \"interview\", \"name\": \"约谈建议\", \"events\": [\"interview.recommended\"], \"to\": [\"role:office_leadership\"]},"
    " {\"id\": \"interview-held\", \"name\": \"约谈完成\", \"events\": [\"interview.held\"], \"to\": [\"role:office_leadership\"]},"
    " {\"id\": \"referral-extension\", \"name\": \"线索延期申请\", \"events\": [\"referral.extension_requested\"], \"to\": [\"role:office\"]},"
    " {\"id\": \"report-signed\", \"name\": \"领导签批\", \"events\": [\"referral.signed\"], \"to\": [\"role:office\", \"target\"]},"
    " {\"id\": \"unit-merged\", \"name\": \"机构改革\", \"events\": [\"unit.merged\", \"unit.split\"], \"to\": [\"role:office\"]},"
    " {\"id\": \"calendar-waiting\", \"name\": \"期限待算\", \"events\": [\"calendar.waiting\"], \"to\": [\"role:office\"]},"
    " {\"id\": \"calendar-missing\", \"name\": \"日历缺失\", \"events\": [\"calendar.missing\"], \"to\": [\"role:office\"]}]";

/* Every member a template names is one the event always carries, or one notify adds (notify.md):
   a member left out shows as written. */
static const char s_default_templates[] =
    "{\"rectify.warning\": {\"subject\": \"【整改预警】{unit_name} 整改事项{item} 剩余{days_left}天\","
    "  \"text\": \"{recipient}：\\n{unit_name}的整改事项{item}（{deadline_name}期限 {due}）剩余{days_left}天，请按期完成整改。\"},"
    " \"rectify.overdue\": {\"subject\": \"【整改逾期】{unit_name} 整改事项{item} 已逾期{days_overdue}天\","
    "  \"text\": \"{recipient}：\\n{unit_name}的整改事项{item}（{deadline_name}期限 {due}）已逾期{days_overdue}天，请立即整改并向{organ}报告。\"},"
    " \"rectify.escalated\": {\"subject\": \"【整改督办】{unit_name} 整改事项{item} 第{step}步：{step_name}\","
    "  \"text\": \"{recipient}：\\n{unit_name}的整改事项{item}（期限 {due}）逾期{days_overdue}天，进入{organ}督办第{step}步（{step_name}）。\"},"
    " \"revisit.due\": {\"subject\": \"【巡察回访】{unit_name} 整改满{after}\","
    "  \"text\": \"{recipient}：\\n{unit_name}自{feedback_on}反馈以来整改已满{after}（{due}），请{organ}安排巡察回访和整改情况专项督查。\"},"
    " \"referral.warning\": {\"subject\": \"【线索办理预警】{kind}{referral} 剩余{days_left}天反馈\","
    "  \"text\": \"{recipient}：\\n移交的{kind}（编号{referral}）应于{due}前反馈办理情况，剩余{days_left}天。\"},"
    " \"referral.overdue\": {\"subject\": \"【线索办理逾期】{kind}{referral} 已超过反馈期限\","
    "  \"text\": \"{recipient}：\\n移交给{target_name}的{kind}（编号{referral}）应于{due}前反馈，现已逾期。\"},"
    " \"referral.extension_requested\": {\"subject\": \"【线索延期申请】{kind}{referral} 申请延至{due}\","
    "  \"text\": \"{recipient}：\\n{target_name}申请将{kind}（编号{referral}）的反馈期限由{current_due}延至{due}，请审核。\"},"
    " \"referral.signed\": {\"subject\": \"【领导签批】专题报告{referral} 已由{leader.title}{leader.name}签批\","
    "  \"text\": \"{recipient}：\\n报送{target_name}的专题报告（编号{referral}）已于{occurred_on}经{leader.title}{leader.name}签批，请按批示办理。\"},"
    " \"round.report_overdue\": {\"subject\": \"【巡察报告逾期】{round_name}\","
    "  \"text\": \"{recipient}：\\n{round_name}于{withdrawn_on}撤离，巡察报告应于{due}前完成，现已逾期。\"},"
    " \"unit.evaluated\": {\"subject\": \"【整改评估】{unit_name} 得分{score}（{grade_name}）\","
    "  \"text\": \"{recipient}：\\n{unit_name}在{round_name}整改评估中得分{score}（{grade_name}）。\"},"
    " \"interview.recommended\": {\"subject\": \"【约谈建议】{unit_name} 整改评估得分{score}（{grade_name}）\","
    "  \"text\": \"{recipient}：\\n{unit_name}在{round_name}整改评估中得分{score}（{grade_name}），建议{organ}约谈其主要负责人。\"},"
    " \"interview.held\": {\"subject\": \"【约谈】{unit_name} {interviewee.title}{interviewee.name}\","
    "  \"text\": \"{recipient}：\\n{by}已于{occurred_on}约谈{unit_name}{interviewee.title}{interviewee.name}（{round_name}整改）。\"},"
    " \"unit.merged\": {\"subject\": \"【机构改革】{from_names}并入{into_name}\","
    "  \"text\": \"{recipient}：\\n{from_names}已于{occurred_on}并入{into_name}，其未办结的整改事项、问题线索和回访由{into_name}承接。\"},"
    " \"unit.split\": {\"subject\": \"【机构改革】{unit_name}分设为{into_names}\","
    "  \"text\": \"{recipient}：\\n{unit_name}已于{occurred_on}分设为{into_names}，其未办结的整改事项、问题线索和回访由{successor_name}承接。\"},"
    " \"calendar.waiting\": {\"subject\": \"【期限待算】{event_source}事件{event_seq}等待工作日历\","
    "  \"text\": \"{recipient}：\\n{event_source}的事件{event_seq}（{event_type}）暂无法计算期限：{reason}。请按国务院办公厅节假日安排通知添加该年度日历文件，添加后自动处理。\"},"
    " \"calendar.missing\": {\"subject\": \"【日历缺失】{year}年工作日历文件尚未添加\","
    "  \"text\": \"{recipient}：\\n{year}年的工作日历文件（{year}.json）尚未添加。国务院办公厅公布{year}年节假日安排后，请添加到日历目录；在此之前，需按工作日计算且落在{year}年的期限将等待。\"}}";

/* How values read in a text: escalation steps, colours, kinds of referral, grades, the services
   and the event types (a notice names its event by these). */
static const char s_default_labels[] =
    "{\"supervision_notice\": \"督办通知\", \"stage_guidance\": \"阶段指导\", \"reminder\": \"提醒\","
    " \"warning\": \"警示\", \"accountability\": \"问责\", \"green\": \"绿色\", \"yellow\": \"黄色\","
    " \"red\": \"红色\", \"lead\": \"问题线索\", \"handover\": \"移交事项\", \"report\": \"专题报告\","
    " \"good\": \"好\", \"fairly_good\": \"较好\", \"average\": \"一般\", \"poor\": \"差\","
    " \"intake\": \"巡察受理\", \"referral\": \"线索移交\", \"rectify\": \"整改监督\", \"notify\": \"通知服务\","
    " \"rectify.warning\": \"整改预警\", \"rectify.overdue\": \"整改逾期\", \"rectify.escalated\": \"整改督办\","
    " \"rectify.opened\": \"整改事项建立\", \"rectify.planned\": \"整改方案报送\", \"rectify.progressed\": \"整改进展报送\","
    " \"rectify.claimed\": \"整改完成申报\", \"rectify.closed\": \"整改销号\", \"rectify.reopened\": \"整改重新打开\","
    " \"rectify.extended\": \"整改延期\", \"rectify.regime_set\": \"整改期限制度设定\","
    " \"revisit.due\": \"巡察回访到期\", \"revisit.recorded\": \"巡察回访记录\", \"unit.evaluated\": \"整改评估\","
    " \"interview.recommended\": \"约谈建议\", \"interview.held\": \"约谈\", \"calendar.waiting\": \"期限待算\","
    " \"calendar.missing\": \"日历缺失\", \"referral.created\": \"线索移交\", \"referral.acknowledged\": \"线索签收\","
    " \"referral.disposed\": \"线索处置\", \"referral.outcome_reported\": \"线索办理结果\", \"referral.concluded\": \"线索办结\","
    " \"referral.reopened\": \"线索重新办理\", \"referral.extended\": \"线索办理延期\", \"referral.extension_requested\": \"线索延期申请\", \"referral.warning\": \"线索办理预警\","
    " \"referral.overdue\": \"线索办理逾期\", \"referral.signed\": \"领导签批\", \"round.opened\": \"巡察轮次启动\","
    " \"round.advanced\": \"巡察阶段推进\", \"round.report_overdue\": \"巡察报告逾期\", \"problem.recorded\": \"问题登记\","
    " \"problem.classified\": \"问题处置\", \"problem.fed_back\": \"问题反馈整改\", \"problem.referred\": \"问题线索移交\","
    " \"problem.handed_over\": \"问题移交\", \"problem.merged\": \"问题合并\", \"unit.registered\": \"单位登记\","
    " \"unit.renamed\": \"单位更名\", \"unit.merged\": \"单位合并\", \"unit.split\": \"单位分设\"}";

/*  One directory entry (where: the member that holds it, for the error). */
static int
s_check_entry (const char *where, const char *id, const json_t *entry, xc_err_t *err)
{
    if (!xc_id_valid (id))
        return xc_err_set (err, XC_E_CONFIG, "%s: '%.64s' is not an id", where, id);
    const json_t *channels = json_object_get (entry, "channels");
    const char *email = json_string_value (json_object_get (channels, "email"));
    const char *url = json_string_value (json_object_get (channels, "webhook"));
    const char *name = json_string_value (json_object_get (entry, "name"));
    if (email && (!strchr (email, '@') || strpbrk (email, "\r\n<> ,")))
        return xc_err_set (err, XC_E_CONFIG, "%s.%s.channels.email: not an address", where, id);
    if (json_is_true (json_object_get (channels, "stream")) && !json_object_get (entry, "principal"))
        return xc_err_set (err, XC_E_CONFIG, "%s.%s.channels.stream: a stream needs the"
                           " principal that reads it", where, id);
    if (url && strncmp (url, "http://", 7) != 0 && strncmp (url, "https://", 8) != 0)
        return xc_err_set (err, XC_E_CONFIG, "%s.%s.channels.webhook: not an http(s) URL", where, id);
    if (strpbrk (name, "\r\n"))
        return xc_err_set (err, XC_E_CONFIG, "%s.%s.name: a line break", where, id);
    const char *at = json_string_value (json_object_get (json_object_get (entry, "digest"), "at"));
    int h, m;
    char tail;
    if (at && (sscanf (at, "%2d:%2d%c", &h, &m, &tail) != 2 || at[2] != ':' || h < 0 || h > 23 || m < 0 || m > 59))
        return xc_err_set (err, XC_E_CONFIG, "%s.%s.digest.at: not HH:MM", where, id);
    return 0;
}

/*  Adds each district's directory to the directory, every entry with its district: one
    directory, whose ids are unique across the city and every district. */
static int
s_merge_districts (json_t *p, xc_err_t *err)
{
    json_t *directory = json_object_get (p, "directory");
    const char *district, *id;
    json_t *section, *entry;
    json_object_foreach (json_object_get (p, "districts"), district, section) {
        if (!xc_id_valid (district))
            return xc_err_set (err, XC_E_CONFIG, "policies.notify.districts: '%.64s' is not a district id", district);
        char where[128];
        snprintf (where, sizeof where, "policies.notify.districts.%s.directory", district);
        json_object_foreach (json_object_get (section, "directory"), id, entry) {
            if (s_check_entry (where, id, entry, err) != 0)
                return -1;
            const char *given = json_string_value (json_object_get (entry, "district"));
            if (given && strcmp (given, district) != 0)
                return xc_err_set (err, XC_E_CONFIG, "%s.%s.district: '%s' in the directory of district '%s'",
                                   where, id, given, district);
            const json_t *other = json_object_get (directory, id);
            if (other) {
                const char *of = json_string_value (json_object_get (other, "district"));
                return xc_err_set (err, XC_E_CONFIG, "%s.%s: the id is an entry of %s%s%s too", where, id,
                                   of ? "district '" : "the city's directory", of ? of : "", of ? "'" : "");
            }
        }
        json_object_foreach (json_object_get (section, "directory"), id, entry) {
            json_t *copy = json_deep_copy (entry);
            json_object_set_new (copy, "district", json_string (district));
            json_object_set_new (directory, id, copy);
        }
    }
    return 0;
}

/*  Checks what the schema cannot: ids, addresses without line breaks, URLs, times, selectors. */
static int
s_check (json_t *p, xc_err_t *err)
{
    const char *id;
    json_t *entry;
    json_object_foreach (json_object_get (p, "directory"), id, entry)
        if (s_check_entry ("policies.notify.directory", id, entry, err) != 0)
            return -1;
    if (s_merge_districts (p, err) != 0)
        return -1;
    size_t i, k;
    json_t *rule, *v;
    json_array_foreach (json_object_get (p, "rules"), i, rule) {
        const char *rid = json_string_value (json_object_get (rule, "id"));
        for (size_t j = 0; j < i; j++)
            if (strcmp (rid, json_string_value (json_object_get (json_array_get (json_object_get (p, "rules"), j), "id"))) == 0)
                return xc_err_set (err, XC_E_CONFIG, "policies.notify.rules: id '%s' twice", rid);
        json_array_foreach (json_object_get (rule, "to"), k, v) {
            char copy[201];
            snprintf (copy, sizeof copy, "%s", json_string_value (v));
            for (char *save = NULL, *alt = strtok_r (copy, "|", &save); alt; alt = strtok_r (NULL, "|", &save))
                if (strcmp (alt, "owners") != 0 && strcmp (alt, "lead_leaders") != 0 && strcmp (alt, "target") != 0
                    && (strncmp (alt, "role:", 5) != 0 || !alt[5]) && (strncmp (alt, "city:role:", 10) != 0 || !alt[10]))
                    return xc_err_set (err, XC_E_CONFIG, "policies.notify.rules.%s.to: '%s' is not a selector", rid, alt);
        }
        const char *key;
        json_t *values;
        json_object_foreach ((json_t *) json_object_get (rule, "when"), key, values)
            json_array_foreach (values, k, v)
                if (!json_is_string (v) && !json_is_integer (v))
                    return xc_err_set (err, XC_E_CONFIG, "policies.notify.rules.%s.when.%s: strings or integers", rid, key);
    }
    const char *smtp = json_string_value (json_object_get (json_object_get (p, "email"), "smtp"));
    if (strncmp (smtp, "smtp://", 7) != 0 && strncmp (smtp, "smtps://", 8) != 0)
        return xc_err_set (err, XC_E_CONFIG, "policies.notify.email.smtp: not an smtp:// or smtps:// URL");
    const char *from = json_string_value (json_object_get (json_object_get (p, "email"), "from"));
    if (!strchr (from, '@') || strpbrk (from, "\r\n<> ,"))
        return xc_err_set (err, XC_E_CONFIG, "policies.notify.email.from: not an address");
    return 0;
}

/*  section's member name, or the default (JSON text) when absent; the object members of
    both are merged when merge is set. */
static void
s_default (json_t *section, const char *name, const char *text, bool merge)
{
    json_t *given = json_object_get (section, name);
    if (given && !merge)
        return;
    json_t *value = json_loads (text, 0, NULL);
    if (given && value)
        json_object_update (value, given);
    json_object_set_new (section, name, value ? value : json_object ());
}

int
notify_policy_load (notify_t *notify, const xc_config_t *cfg, xc_err_t *err)
{
    json_t *p = xc_config_policy (cfg, "notify", s_fields, err);
    if (!p)
        return -1;
    s_default (p, "rules", s_default_rules, false);
    s_default (p, "templates", s_default_templates, true);
    s_default (p, "retry", "{\"max_attempts\": 5, \"backoff_ms\": 1000, \"backoff_max_ms\": 600000,"
                           " \"timeout_ms\": 5000}", true);
    s_default (p, "email", "{\"smtp\": \"smtp://127.0.0.1:25\", \"from\": \"xuncha@localhost\"}", true);
    s_default (p, "sources", "[\"intake\", \"referral\", \"rectify\"]", false);
    s_default (p, "labels", s_default_labels, true);
    if (s_check (p, err) != 0) {
        json_decref (p);
        return -1;
    }
    notify->policy = p;
    notify->directory = json_object_get (p, "directory");
    notify->rules = json_object_get (p, "rules");
    notify->templates = json_object_get (p, "templates");
    notify->labels = json_object_get (p, "labels");
    const json_t *retry = json_object_get (p, "retry");
    notify->max_attempts = (int) json_integer_value (json_object_get (retry, "max_attempts"));
    notify->backoff_ms = (int) json_integer_value (json_object_get (retry, "backoff_ms"));
    notify->backoff_max_ms = (int) json_integer_value (json_object_get (retry, "backoff_max_ms"));
    notify->timeout_ms = (int) json_integer_value (json_object_get (retry, "timeout_ms"));
    notify->smtp = json_string_value (json_object_get (json_object_get (p, "email"), "smtp"));
    notify->from = json_string_value (json_object_get (json_object_get (p, "email"), "from"));
    size_t i;
    json_t *source;
    json_array_foreach (json_object_get (p, "sources"), i, source) {
        if (!xc_config_service (cfg, json_string_value (source)))
            return xc_err_set (err, XC_E_CONFIG, "policies.notify.sources: '%s' is not a service of the deployment",
                               json_string_value (source));
        notify->sources[i] = json_string_value (source);
    }
    notify->sources[i] = NULL;
    return 0;
}

void
notify_policy_free (notify_t *notify)
{
    json_decref (notify->policy);
    notify->policy = NULL;
}
