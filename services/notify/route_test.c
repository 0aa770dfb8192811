/*  route_test.c: the parts of routing that need no sockets: type patterns, selectors against a
    directory, templates, and the policy's refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"
#include "tests/harness.h"

static char s_dir[64];

static const char s_directory[] =
    "{\"zhang\": {\"name\": \"张伟\", \"roles\": [\"officer\"], \"units\": [\"U-A\"], \"channels\": {\"email\": \"z@a.cn\"}},"
    " \"li\": {\"name\": \"李明\", \"roles\": [\"supervising_leader\"], \"units\": [\"U-A\"], \"channels\": {\"email\": \"l@a.cn\"}},"
    " \"chen\": {\"name\": \"陈红\", \"roles\": [\"officer\"], \"units\": [\"U-B\"], \"channels\": {\"email\": \"c@b.cn\"}},"
    " \"desk\": {\"name\": \"巡察办\", \"roles\": [\"office\"], \"channels\": {\"stream\": true}, \"principal\": \"office\"},"
    " \"city\": {\"name\": \"市督查室\", \"roles\": [\"officer\"], \"units\": [\"*\"], \"channels\": {\"stream\": true},"
    "          \"principal\": \"city-inspection\"},"
    " \"jw\": {\"name\": \"市纪委\", \"roles\": [\"receiving_body\"], \"principal\": \"discipline-commission\","
    "        \"channels\": {\"webhook\": \"http://127.0.0.1:9/x\"}}}";

/*  Loads policies.notify = {"directory": directory, extra} into n. */
static int
s_load_with (notify_t *n, const char *directory, const char *extra, xc_err_t *err)
{
    char path[128], text[8192];
    snprintf (path, sizeof path, "%s/config.json", s_dir);
    snprintf (text, sizeof text,
              "{\"deployment\": \"t\", \"utc_offset\": \"+08:00\", \"registry\": \"r.json\", \"calendar\": \"c\","
              " \"services\": {\"notify\": {\"api\": \"tcp://127.0.0.1:1\", \"database\": \"n.db\", \"key\": \"k\"},"
              "  \"intake\": {\"api\": \"tcp://127.0.0.1:2\", \"database\": \"i.db\", \"key\": \"k\"},"
              "  \"referral\": {\"api\": \"tcp://127.0.0.1:3\", \"database\": \"f.db\", \"key\": \"k\"},"
              "  \"rectify\": {\"api\": \"tcp://127.0.0.1:4\", \"database\": \"r.db\", \"key\": \"k\"}},"
              " \"policies\": {\"notify\": {\"directory\": %s%s}}}", directory, extra);
    FILE *f = fopen (path, "w");
    if (!f)
        return -1;
    fputs (text, f);
    fclose (f);
    xc_config_t *cfg = NULL;
    if (xc_config_load (path, &cfg, err) != 0)
        return -1;
    memset (n, 0, sizeof *n);
    int rc = notify_policy_load (n, cfg, err);
    xc_config_destroy (&cfg);
    return rc;
}

static int
s_load (notify_t *n, const char *extra, xc_err_t *err)
{
    return s_load_with (n, s_directory, extra, err);
}

/*  The recipients a selector names for the event data (JSON text), joined by spaces. */
static void
s_names (const notify_t *n, const char *selector, const char *data_text, char *out, size_t size)
{
    json_t *data = json_loads (data_text, 0, NULL);
    json_t *ids = notify_recipients (n, selector, data, NULL);
    out[0] = 0;
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id)
        snprintf (out + strlen (out), size - strlen (out), "%s%s", i ? " " : "", json_string_value (id));
    json_decref (ids);
    json_decref (data);
}

static void
test_type_patterns (void)
{
    CHECK (notify_type_matches ("rectify.warning", "rectify.warning"));
    CHECK (!notify_type_matches ("rectify.warning", "rectify.warnings"));
    CHECK (notify_type_matches ("rectify.*", "rectify.overdue"));
    CHECK (!notify_type_matches ("rectify.*", "referral.overdue"));
    CHECK (notify_type_matches ("*", "anything.at.all"));
}

static void
test_selectors_name_only_who_answers (void)
{
    notify_t n;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (&n, "", &err), 0);
    char got[256];
    /* a unit's officers, the city-wide one too; not another unit's */
    s_names (&n, "role:officer", "{\"unit\": \"U-A\"}", got, sizeof got);
    CHECK_STR (got, "zhang city");
    /* the office answers for every event: it lists no units */
    s_names (&n, "role:office", "{\"unit\": \"U-B\"}", got, sizeof got);
    CHECK_STR (got, "desk");
    /* owners named in the plan, of that unit only (a same-named person elsewhere is not them) */
    s_names (&n, "owners", "{\"unit\": \"U-A\", \"owners\": [\"张伟\", \"陈红\"]}", got, sizeof got);
    CHECK_STR (got, "zhang");
    /* no owners yet: the fallback after | */
    s_names (&n, "owners|role:supervising_leader", "{\"unit\": \"U-A\", \"owners\": []}", got, sizeof got);
    CHECK_STR (got, "li");
    s_names (&n, "owners|role:supervising_leader", "{\"unit\": \"U-A\", \"owners\": [\"张伟\"]}", got, sizeof got);
    CHECK_STR (got, "zhang");
    s_names (&n, "target", "{\"target\": \"discipline-commission\"}", got, sizeof got);
    CHECK_STR (got, "jw");
    s_names (&n, "target", "{\"target\": \"org-department\"}", got, sizeof got);
    CHECK_STR (got, "");
    /* an event without a unit reaches no unit's people */
    s_names (&n, "role:officer", "{\"referral\": 3}", got, sizeof got);
    CHECK_STR (got, "city");
    notify_policy_free (&n);
}

static void
s_refused (const char *extra, const char *what)
{
    notify_t n;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (&n, extra, &err), -1);
    if (!strstr (err.text, what)) {
        fprintf (stderr, "FAIL %s: '%s' does not say '%s'\n", h_current, err.text, what);
        h_checks_failed_now++;
    }
    notify_policy_free (&n);
}

/*  The city's desk and officer, district D-1's office, leadership and a unit officer. */
static const char s_districts[] =
    ", \"districts\": {\"D-1\": {\"directory\": {"
    "  \"d1-desk\": {\"name\": \"云溪区委巡察办\", \"roles\": [\"office\"], \"principal\": \"d1-office\","
    "               \"channels\": {\"stream\": true}},"
    "  \"d1-lead\": {\"name\": \"云溪区委巡察办主任\", \"roles\": [\"office_leadership\"], \"channels\": {\"email\": \"a@d1.cn\"}},"
    "  \"d1-officer\": {\"name\": \"周青\", \"roles\": [\"officer\"], \"units\": [\"U-T1\"], \"channels\": {\"email\": \"z@d1.cn\"}}}},"
    " \"D-2\": {\"directory\": {\"d2-desk\": {\"name\": \"白沙区委巡察办\", \"roles\": [\"office\"],"
    "  \"channels\": {\"email\": \"x@d2.cn\"}}}}}";

static void
test_role_resolves_among_the_owners_entries (void)
{
    notify_t n;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (&n, s_districts, &err), 0);
    char got[256];
    /* entries of a district get its id */
    CHECK_STR (json_string_value (json_object_get (json_object_get (n.directory, "d1-lead"), "district")), "D-1");
    CHECK (json_object_get (json_object_get (n.directory, "desk"), "district") == NULL);
    /* the city's event: the city's office only; a district's: that district's office only */
    s_names (&n, "role:office", "{\"unit\": \"U-T1\"}", got, sizeof got);
    CHECK_STR (got, "desk");
    json_t *data = json_loads ("{\"unit\": \"U-T1\"}", 0, NULL);
    json_t *ids = notify_recipients (&n, "role:office", data, "D-1");
    CHECK_INT (json_array_size (ids), 1);
    CHECK_STR (json_string_value (json_array_get (ids, 0)), "d1-desk");
    json_decref (ids);
    /* the unit's officer of the district; the city's "*" officer is the city's, not D-1's */
    ids = notify_recipients (&n, "role:officer", data, "D-1");
    CHECK_INT (json_array_size (ids), 1);
    CHECK_STR (json_string_value (json_array_get (ids, 0)), "d1-officer");
    json_decref (ids);
    /* a district without an entry of that role: nobody, not the city */
    ids = notify_recipients (&n, "role:office_leadership", data, "D-2");
    CHECK_INT (json_array_size (ids), 0);
    json_decref (ids);
    ids = notify_recipients (&n, "role:office", data, "D-9");
    CHECK_INT (json_array_size (ids), 0);
    json_decref (ids);
    /* city:role: the city's whoever owns the event */
    ids = notify_recipients (&n, "city:role:office", data, "D-1");
    CHECK_INT (json_array_size (ids), 1);
    CHECK_STR (json_string_value (json_array_get (ids, 0)), "desk");
    json_decref (ids);
    json_decref (data);
    /* the default rules: the escalation at warning and accountability to the city office */
    size_t i;
    json_t *rule;
    bool found = false;
    json_array_foreach (n.rules, i, rule)
        if (strcmp (json_string_value (json_object_get (rule, "id")), "escalated-city") == 0) {
            found = true;
            CHECK_STR (json_string_value (json_array_get (json_object_get (rule, "to"), 0)), "city:role:office");
        }
    CHECK (found);
    notify_policy_free (&n);
}

static void
test_bad_district_directories_are_refused (void)
{
    /* an id of the city's directory again */
    s_refused (", \"districts\": {\"D-1\": {\"directory\": {\"desk\": {\"name\": \"x\", \"channels\": {}}}}}",
               "policies.notify.districts.D-1.directory.desk: the id is an entry of the city's directory too");
    /* an id of another district's */
    s_refused (", \"districts\": {\"D-1\": {\"directory\": {\"x\": {\"name\": \"x\", \"channels\": {}}}},"
               " \"D-2\": {\"directory\": {\"x\": {\"name\": \"y\", \"channels\": {}}}}}",
               "directory.x: the id is an entry of district 'D-1' too");
    s_refused (", \"districts\": {\"D-1\": {\"rules\": []}}", "districts.D-1.rules: unknown key");
    s_refused (", \"districts\": {\"D-1\": {\"directory\": {\"x\": {\"name\": \"x\", \"channels\": {},"
               " \"colour\": \"red\"}}}}", "colour: unknown key");
    s_refused (", \"districts\": {\"D-1\": {\"directory\": {\"x\": {\"name\": \"x\", \"channels\": {},"
               " \"district\": \"D-2\"}}}}", "districts.D-1.directory.x.district: 'D-2' in the directory of district 'D-1'");
    s_refused (", \"districts\": {\"D 1\": {\"directory\": {}}}", "'D 1' is not a district id");
    s_refused (", \"districts\": {\"D-1\": {\"directory\": {\"x\": {\"name\": \"x\","
               " \"channels\": {\"stream\": true}}}}}", "districts.D-1.directory.x.channels.stream: a stream needs");
    s_refused (", \"rules\": [{\"id\": \"a\", \"events\": [\"*\"], \"to\": [\"city:role:\"]}]",
               "'city:role:' is not a selector");
}

static void
test_templates_render_members_and_leave_unknowns (void)
{
    json_t *v = json_pack ("{s:s, s:i, s:s}", "unit_name", "青石镇", "days_left", 10, "x", "{y}");
    char *out = notify_render ("【整改预警】{unit_name} 剩余{days_left}天 {nope} {x} {", v);
    CHECK_STR (out, "【整改预警】青石镇 剩余10天 {nope} {y} {");
    free (out);
    json_decref (v);
    notify_t n;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (&n, ", \"templates\": {\"rectify.warning:yellow\": {\"subject\": \"黄{days_left}\","
                           " \"text\": \"t\"}}", &err), 0);
    json_t *data = json_pack ("{s:s, s:i, s:s, s:i}", "colour", "yellow", "days_left", 9, "unit", "U-A", "item", 4);
    json_t *extras = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s}", "unit_name", "青石镇", "rule", "r1", "rule_name",
                                "黄色预警", "source", "rectify", "seq", (json_int_t) 7, "type", "rectify.warning");
    char *subject, *text;
    CHECK_INT (notify_compose (&n, "rectify.warning", data, extras, &subject, &text), 0);
    CHECK_STR (subject, "黄9");      /* type:colour comes before type */
    /* why it came, in words: the rule's name, the service's and the event type's */
    CHECK (strstr (text, "规则“黄色预警”，由整改监督第7号事件（整改预警）触发") != NULL);
    free (subject);
    free (text);
    json_object_set_new (data, "colour", json_string ("green"));
    CHECK_INT (notify_compose (&n, "rectify.warning", data, extras, &subject, &text), 0);
    CHECK_STR (subject, "【整改预警】青石镇 整改事项4 剩余9天");   /* the default kept */
    free (subject);
    free (text);
    json_decref (data);
    json_decref (extras);
    notify_policy_free (&n);
}

/*  Composes the default template of type for data (JSON text) with a few extras. */
static void
s_compose (notify_t *n, const char *type, const char *data_text, char **subject, char **text)
{
    json_t *data = json_loads (data_text, 0, NULL);
    json_t *extras = json_pack ("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "unit_name", "青石镇", "round_name", "十二届第八轮",
                                "rule", "r", "source", "rectify", "seq", (json_int_t) 1, "type", type,
                                "recipient", "市委巡察办");
    CHECK_INT (notify_compose (n, type, data, extras, subject, text), 0);
    json_decref (data);
    json_decref (extras);
}

static void
test_notices_read_in_words (void)
{
    notify_t n;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load (&n, "", &err), 0);
    char *subject, *text;
    /* the configured span, whatever it is */
    s_compose (&n, "revisit.due", "{\"unit\": \"U-A\", \"round\": \"R1\", \"feedback_on\": \"2026-01-05\","
               " \"due\": \"2026-04-07\", \"after\": \"3 months\"}", &subject, &text);
    CHECK_STR (subject, "【巡察回访】青石镇 整改满3个月");
    free (subject);
    free (text);
    s_compose (&n, "revisit.due", "{\"unit\": \"U-A\", \"feedback_on\": \"2026-01-05\", \"due\": \"2026-02-03\","
               " \"after\": \"20 workdays\"}", &subject, &text);
    CHECK (strstr (text, "整改已满20个工作日（2026-02-03）") != NULL);
    free (subject);
    free (text);
    /* the grade's name: the event's own, else the label of its grade */
    s_compose (&n, "interview.recommended", "{\"unit\": \"U-A\", \"round\": \"R1\", \"score\": \"45.00\","
               " \"grade\": \"poor\", \"grade_name\": \"较差\"}", &subject, &text);
    CHECK_STR (subject, "【约谈建议】青石镇 整改评估得分45.00（较差）");
    CHECK (strstr (text, "在十二届第八轮整改评估中得分45.00（较差）") != NULL);
    free (subject);
    free (text);
    s_compose (&n, "interview.recommended", "{\"unit\": \"U-A\", \"round\": \"R1\", \"score\": \"45.00\","
               " \"grade\": \"poor\"}", &subject, &text);
    CHECK_STR (subject, "【约谈建议】青石镇 整改评估得分45.00（差）");
    free (subject);
    free (text);
    /* members of members: the leader who signed */
    s_compose (&n, "referral.signed", "{\"referral\": 12, \"leader\": {\"name\": \"王强\", \"title\": \"市长\"},"
               " \"occurred_on\": \"2020-06-01\"}", &subject, &text);
    CHECK_STR (subject, "【领导签批】专题报告12 已由市长王强签批");
    free (subject);
    free (text);
    /* a type without a template: named by its label */
    s_compose (&n, "problem.fed_back", "{\"unit\": \"U-A\"}", &subject, &text);
    CHECK_STR (subject, "【巡察通知】问题反馈整改");
    free (subject);
    free (text);
    notify_policy_free (&n);
    /* a template naming the category reads its name when the event carries it */
    CHECK_INT (s_load (&n, ", \"templates\": {\"problem.fed_back\": {\"subject\": \"{category}\", \"text\": \"t\"}}",
                       &err), 0);
    s_compose (&n, "problem.fed_back", "{\"category\": \"four_styles\", \"category_name\": \"全面从严治党 › 四风\"}",
               &subject, &text);
    CHECK_STR (subject, "全面从严治党 › 四风");
    free (subject);
    free (text);
    notify_policy_free (&n);
}

static void
test_bad_policies_are_refused (void)
{
    s_refused (", \"rules\": [{\"id\": \"a\", \"events\": [\"*\"], \"to\": [\"everyone\"]}]",
               "rules.a.to: 'everyone' is not a selector");
    s_refused (", \"rules\": [{\"id\": \"a\", \"events\": [\"*\"], \"to\": [\"target\"]},"
               " {\"id\": \"a\", \"events\": [\"*\"], \"to\": [\"target\"]}]", "id 'a' twice");
    s_refused (", \"rules\": [{\"id\": \"a\", \"events\": [\"*\"], \"to\": [\"target\"], \"when\": {\"step\": [1.5]}}]",
               "strings or integers");
    s_refused (", \"email\": {\"smtp\": \"http://mail\"}", "email.smtp");
    s_refused (", \"email\": {\"from\": \"a@b\\r\\nBcc: x@y\"}", "email.from: not an address");
    s_refused (", \"sources\": [\"mailer\"]", "'mailer' is not a service");
    s_refused (", \"retry\": {\"max_attempts\": 0}", "max_attempts");
}

static void
test_a_stream_needs_its_reader (void)
{
    notify_t n;
    xc_err_t err = { 0, "" };
    CHECK_INT (s_load_with (&n, "{\"desk\": {\"name\": \"x\", \"channels\": {\"stream\": true}}}", "", &err), -1);
    CHECK (strstr (err.text, "directory.desk.channels.stream: a stream needs the principal") != NULL);
    notify_policy_free (&n);
}

int
main (void)
{
    h_tmpdir (s_dir, sizeof s_dir, "notify-route");
    RUN (test_type_patterns);
    RUN (test_selectors_name_only_who_answers);
    RUN (test_role_resolves_among_the_owners_entries);
    RUN (test_bad_district_directories_are_refused);
    RUN (test_templates_render_members_and_leave_unknowns);
    RUN (test_notices_read_in_words);
    RUN (test_bad_policies_are_refused);
    RUN (test_a_stream_needs_its_reader);
    h_rmtree (s_dir);
    HARNESS_END ();
}
