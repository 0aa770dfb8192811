/*  repeats.c: the repeat problems (屡查屡犯) intake suggests and the office decides
    (docs/services/intake.md, "Repeat problems"):
      xcctl repeats PROBLEM                      the candidates of one problem (problem.repeats)
      xcctl repeats [--round R] [--unit U] [--state S]   the queue, every page
      xcctl repeat confirm|dismiss PROBLEM OF [--note T] [--occurred-on D]   one decision
    docs/xcctl.md, "Repeat problems". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"

#define PAGE_LIMIT 100

/*  A suggestion's state in the office's words (words.c, "repeat_state"). */
static const char *
s_state_word (const char *code)
{
    const char *word = code ? ctl_word ("repeat_state", code) : NULL;
    return word ? word : code ? code : "";
}

/*  A positive whole number of text, or 0 after saying what is wrong. */
static json_int_t
s_number (const char *what, const char *text)
{
    char *end;
    long long n = text ? strtoll (text, &end, 10) : 0;
    if (!text || end == text || *end || n <= 0) {
        fprintf (stderr, "xcctl: %s: '%s' is not a problem number\n", what, text ? text : "");
        return 0;
    }
    return (json_int_t) n;
}

static void
s_copy (json_t *to, const char *key, const json_t *from, const char *member)
{
    const json_t *v = json_object_get (from, member);
    json_object_set_new (to, key, v && !json_is_null (v) ? json_deep_copy (v) : json_string (""));
}

/*  Both texts of a round or unit: "名称（ID）". */
static json_t *
s_named (const json_t *row, const char *name, const char *id)
{
    const char *n = json_string_value (json_object_get (row, name));
    const char *i = json_string_value (json_object_get (row, id));
    char text[512];
    snprintf (text, sizeof text, n && *n ? "%s（%s）" : "%s%s", n && *n ? n : "", i ? i : "");
    return json_string (text);
}

static int
s_candidates (ctl_t *ctl, json_int_t problem)
{
    int open_rc = ctl_open (ctl);
    if (open_rc != CTL_OK)
        return open_rc;
    int code;
    json_t *result = ctl_call (ctl, "intake", "problem.repeats", json_pack ("{s:I}", "problem", problem), &code, NULL);
    if (!result)
        return code;
    if (ctl->json) {
        ctl_print (ctl, result);
        json_decref (result);
        return CTL_OK;
    }
    json_t *rows = json_array ();
    size_t i;
    json_t *c;
    json_array_foreach (json_object_get (result, "candidates"), i, c) {
        json_t *r = json_object ();
        s_copy (r, "原问题", c, "of");
        json_object_set_new (r, "轮次", s_named (c, "round_name", "round"));
        json_object_set_new (r, "单位", s_named (c, "unit_name", "unit"));
        s_copy (r, "问题摘要", c, "summary");
        s_copy (r, "发现日期", c, "found_on");
        s_copy (r, "相似度", c, "similarity");
        json_object_set_new (r, "认定", json_string (s_state_word (json_string_value (json_object_get (c, "state")))));
        s_copy (r, "认定人", c, "decided_by");
        s_copy (r, "认定日期", c, "decided_on");
        s_copy (r, "说明", c, "note");
        json_array_append_new (rows, r);
    }
    printf ("问题 %lld 的疑似屡查屡犯：%zu 条\n", (long long) problem, json_array_size (rows));
    if (json_array_size (rows))
        ctl_table (rows, (const char *const[]) { "原问题", "轮次", "单位", "问题摘要", "发现日期", "相似度", "认定",
                                                 "认定人", "认定日期", "说明", NULL });
    json_decref (rows);
    json_decref (result);
    return CTL_OK;
}

static int
s_queue (ctl_t *ctl, int argc, char **argv)
{
    json_t *filters = json_object ();
    static const char *const options[] = { "--round", "--unit", "--state" };
    for (int i = 0; i < argc; i += 2) {
        size_t o = 0;
        while (o < 3 && strcmp (options[o], argv[i]) != 0)
            o++;
        if (o == 3 || i + 1 >= argc) {
            fprintf (stderr, o == 3 ? "xcctl: repeats: unknown option '%s'\n" : "xcctl: repeats: %s needs a value\n",
                     argv[i]);
            fprintf (stderr, "usage: xcctl repeats PROBLEM | xcctl repeats [--round R] [--unit U] [--state S]\n");
            json_decref (filters);
            return CTL_USAGE;
        }
        json_object_set_new (filters, options[o] + 2, json_string (argv[i + 1]));
    }
    int open_rc = ctl_open (ctl);
    if (open_rc != CTL_OK) {
        json_decref (filters);
        return open_rc;
    }
    int code = CTL_OK;
    json_object_set_new (filters, "limit", json_integer (PAGE_LIMIT));
    json_t *result = ctl_call_pages (ctl, "intake", "problem.repeats", filters, "repeats", &code);
    if (!result)
        return code;
    json_t *all = json_incref (json_object_get (result, "repeats"));
    json_decref (result);
    if (ctl->json) {
        json_t *out = json_pack ("{s:o}", "repeats", all);
        ctl_print (ctl, out);
        json_decref (out);
        return CTL_OK;
    }
    json_t *rows = json_array ();
    size_t i;
    json_t *c;
    json_array_foreach (all, i, c) {
        json_t *r = json_object ();
        s_copy (r, "问题", c, "problem");
        s_copy (r, "原问题", c, "of");
        json_object_set_new (r, "单位", s_named (c, "unit_name", "unit"));
        json_object_set_new (r, "轮次", s_named (c, "round_name", "round"));
        s_copy (r, "问题摘要", c, "summary");
        s_copy (r, "原问题摘要", c, "of_summary");
        s_copy (r, "相似度", c, "similarity");
        json_object_set_new (r, "认定", json_string (s_state_word (json_string_value (json_object_get (c, "state")))));
        json_array_append_new (rows, r);
    }
    printf ("疑似屡查屡犯：%zu 条\n", json_array_size (rows));
    if (json_array_size (rows))
        ctl_table (rows, (const char *const[]) { "问题", "原问题", "单位", "轮次", "问题摘要", "原问题摘要", "相似度", "认定",
                                                 NULL });
    json_decref (rows);
    json_decref (all);
    return CTL_OK;
}

int
ctl_repeats (ctl_t *ctl, int argc, char **argv)
{
    if (argc > 0 && argv[0][0] != '-') {
        if (argc > 1) {
            fprintf (stderr, "xcctl: repeats PROBLEM takes nothing after the problem\n");
            return CTL_USAGE;
        }
        json_int_t problem = s_number ("repeats", argv[0]);
        return problem ? s_candidates (ctl, problem) : CTL_USAGE;
    }
    return s_queue (ctl, argc, argv);
}

int
ctl_repeat (ctl_t *ctl, int argc, char **argv)
{
    static const char *usage = "usage: xcctl repeat confirm|dismiss PROBLEM OF [--note T] [--occurred-on D]\n";
    if (argc < 3 || (strcmp (argv[0], "confirm") != 0 && strcmp (argv[0], "dismiss") != 0)) {
        fputs (usage, stderr);
        return CTL_USAGE;
    }
    json_int_t problem = s_number ("repeat", argv[1]), of = s_number ("repeat", argv[2]);
    if (!problem || !of)
        return CTL_USAGE;
    json_t *data = json_pack ("{s:I, s:I, s:s}", "problem", problem, "of", of, "decision",
                              strcmp (argv[0], "confirm") == 0 ? "confirmed" : "dismissed");
    for (int i = 3; i < argc; i += 2) {
        const char *member = strcmp (argv[i], "--note") == 0 ? "note"
                             : strcmp (argv[i], "--occurred-on") == 0 ? "occurred_on" : NULL;
        if (!member || i + 1 >= argc) {
            fprintf (stderr, member ? "xcctl: repeat: %s needs a value\n" : "xcctl: repeat: unknown option '%s'\n",
                     argv[i]);
            fputs (usage, stderr);
            json_decref (data);
            return CTL_USAGE;
        }
        json_object_set_new (data, member, json_string (argv[i + 1]));
    }
    int open_rc = ctl_open (ctl);
    if (open_rc != CTL_OK) {
        json_decref (data);
        return open_rc;
    }
    int code;
    char status[16];
    json_t *result = ctl_call (ctl, "intake", "problem.repeat", data, &code, status);
    if (!result)
        return code;
    if (ctl->json)
        ctl_print (ctl, result);
    else
        printf ("%s：问题 %lld 与原问题 %lld%s\n", strcmp (status, "duplicate") == 0 ? "已处理过" : "已记录",
                (long long) problem, (long long) of,
                strcmp (argv[0], "confirm") == 0 ? " 认定为屡查屡犯" : " 排除屡查屡犯");
    json_decref (result);
    return CTL_OK;
}
