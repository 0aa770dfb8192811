/*  ranking.c: rectify's ranking of units and its 回头看 view, as the office reads them
    (docs/services/rectify.md, "Ranking" and "Lookback"):
      xcctl ranking --year Y | --round R [--district D] [--csv]
      xcctl lookback ROUND
    --csv writes the ranking as a spreadsheet reads it: UTF-8 with a byte order mark, the header
    in Chinese, one row per unit with every part of its score. docs/xcctl.md, "Ranking". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/text.h"

/*  The parts of an evaluation (rectify's policy) and their names. */
static const struct {
    const char *id, *name;
} s_parts[] = {
    { "leadership", "领导重视" }, { "responsibility", "责任落实" }, { "task_completion", "任务完成" },
    { "satisfaction", "群众满意" },
};
#define N_PARTS (sizeof s_parts / sizeof s_parts[0])

/*  A value as a cell: text as it is, numbers as written, null or absent empty. Caller frees. */
static char *
s_text (const json_t *v)
{
    if (!v || json_is_null (v))
        return strdup ("");
    if (json_is_string (v))
        return strdup (json_string_value (v));
    if (json_is_true (v))
        return strdup ("是");
    if (json_is_false (v))
        return strdup ("否");
    char *t = json_dumps (v, JSON_ENCODE_ANY);
    return t ? t : strdup ("");
}

static const json_t *
s_at (const json_t *v, const char *a, const char *b)
{
    const json_t *x = json_object_get (v, a);
    return b ? json_object_get (x, b) : x;
}

/*  The columns of a unit's row: a header and where its value is. */
typedef struct {
    const char *header;
    const char *a, *b, *c;           /* path of members; c for a part's member */
} s_column_t;

static const s_column_t s_columns[] = {
    { "名次", "rank", NULL, NULL }, { "单位编号", "unit", NULL, NULL }, { "单位名称", "unit_name", NULL, NULL },
    { "所属区县", "district", NULL, NULL }, { "综合得分", "evaluation", "score", NULL },
    { "等次", "evaluation", "grade_name", NULL },
    /* the four parts go here (s_row) */
    { "屡查屡犯扣分", "evaluation", "deduction", NULL }, { "评估轮次数", "evaluation", "rounds", NULL },
    { "按期整改数", "on_time", "closed_on_time", NULL }, { "到期事项数", "on_time", "due", NULL },
    { "按期整改率", "on_time", "rate", NULL }, { "逾期天数", "overdue_days", NULL, NULL },
    { "逾期事项数", "overdue_items", NULL, NULL }, { "屡查屡犯次数", "repeats", NULL, NULL },
    { "建议约谈", "interview", NULL, NULL }, { "首轮专项督查", "special_check", NULL, NULL },
};
#define N_COLUMNS (sizeof s_columns / sizeof s_columns[0])
#define PARTS_AFTER 6                /* the parts follow the first six columns */

/*  The header line (weights from the answer) and each unit's cells, as arrays of strings. */
static json_t *
s_header (const json_t *result)
{
    json_t *h = json_array ();
    for (size_t c = 0; c < N_COLUMNS; c++) {
        if (c == PARTS_AFTER)
            for (size_t p = 0; p < N_PARTS; p++) {
                char text[128];
                json_t *w = json_object_get (json_object_get (result, "weights"), s_parts[p].id);
                char *wt = s_text (w);
                snprintf (text, sizeof text, "%s原始分", s_parts[p].name);
                json_array_append_new (h, json_string (text));
                snprintf (text, sizeof text, "%s得分（权重%s）", s_parts[p].name, wt);
                json_array_append_new (h, json_string (text));
                free (wt);
            }
        json_array_append_new (h, json_string (s_columns[c].header));
    }
    return h;
}

static json_t *
s_row (const json_t *unit)
{
    json_t *r = json_array ();
    const json_t *parts = s_at (unit, "evaluation", "parts");
    for (size_t c = 0; c < N_COLUMNS; c++) {
        if (c == PARTS_AFTER)
            for (size_t p = 0; p < N_PARTS; p++) {
                const json_t *part = json_object_get (parts, s_parts[p].id);
                char *v = s_text (json_object_get (part, "value")), *pts = s_text (json_object_get (part, "points"));
                json_array_append_new (r, json_string (v));
                json_array_append_new (r, json_string (pts));
                free (v);
                free (pts);
            }
        char *t = s_text (s_at (unit, s_columns[c].a, s_columns[c].b));
        json_array_append_new (r, json_string (t));
        free (t);
    }
    return r;
}

static void
s_csv_line (xc_buf_t *b, const json_t *cells)
{
    size_t i;
    json_t *v;
    json_array_foreach (cells, i, v)
        xc_csv_field (b, json_string_value (v), i == 0);
    xc_buf_puts (b, "\r\n");
}

int
ctl_ranking (ctl_t *ctl, int argc, char **argv)
{
    static const char *usage = "usage: xcctl ranking --year Y | --round R [--district D] [--csv]\n";
    json_t *data = json_object ();
    bool csv = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp (argv[i], "--csv") == 0) {
            csv = true;
            continue;
        }
        const char *member = strcmp (argv[i], "--year") == 0 ? "year"
                             : strcmp (argv[i], "--round") == 0 ? "round"
                             : strcmp (argv[i], "--district") == 0 ? "district" : NULL;
        if (!member || i + 1 >= argc) {
            fprintf (stderr, member ? "xcctl: ranking: %s needs a value\n" : "xcctl: ranking: unknown word '%s'\n",
                     argv[i]);
            fputs (usage, stderr);
            json_decref (data);
            return CTL_USAGE;
        }
        const char *value = argv[++i];
        if (strcmp (member, "year") == 0) {
            char *end;
            long y = strtol (value, &end, 10);
            if (end == value || *end || y < 2000 || y > 2100) {
                fprintf (stderr, "xcctl: ranking: --year: '%s' is not a year (2000-2100)\n", value);
                json_decref (data);
                return CTL_USAGE;
            }
            json_object_set_new (data, member, json_integer (y));
        }
        else
            json_object_set_new (data, member, json_string (value));
    }
    if (!json_object_get (data, "year") == !json_object_get (data, "round")) {
        fprintf (stderr, "xcctl: ranking: give exactly one of --year and --round\n");
        fputs (usage, stderr);
        json_decref (data);
        return CTL_USAGE;
    }
    int open_rc = ctl_open (ctl);
    if (open_rc != CTL_OK) {
        json_decref (data);
        return open_rc;
    }
    /* every page: a reply holds as many units as max_message_bytes allows (next: the rank to
       go on after) */
    int code;
    json_t *result = ctl_call_pages (ctl, "rectify", "rectify.ranking", data, "units", &code);
    if (!result)
        return code;
    if (ctl->json && !csv) {
        ctl_print (ctl, result);
        json_decref (result);
        return CTL_OK;
    }
    json_t *header = s_header (result);
    json_t *units = json_object_get (result, "units");
    if (csv) {
        xc_buf_t b = { 0 };
        xc_buf_puts (&b, "\xEF\xBB\xBF");    /* the byte order mark: a spreadsheet reads UTF-8 then */
        s_csv_line (&b, header);
        size_t i;
        json_t *u;
        json_array_foreach (units, i, u) {
            json_t *row = s_row (u);
            s_csv_line (&b, row);
            json_decref (row);
        }
        int rc = CTL_OK;
        if (b.failed || fwrite (b.data, 1, b.len, stdout) != b.len)
            rc = CTL_LOCAL;
        xc_buf_free (&b);
        json_decref (header);
        json_decref (result);
        return rc;
    }
    /* a table of the figures a person compares; every part is in --csv and --json */
    const char *const shown[] = { "名次", "单位名称", "综合得分", "等次", "屡查屡犯扣分", "按期整改率", "逾期天数",
                                  "屡查屡犯次数", "建议约谈", "首轮专项督查", NULL };
    json_t *rows = json_array ();
    size_t i;
    json_t *u;
    json_array_foreach (units, i, u) {
        json_t *cells = s_row (u), *r = json_object ();
        size_t k;
        json_t *h;
        json_array_foreach (header, k, h)
            json_object_set (r, json_string_value (h), json_array_get (cells, k));
        /* the unit's id beside its name, as a value */
        char name[512];
        snprintf (name, sizeof name, "%s（%s）", json_string_value (json_object_get (r, "单位名称")),
                  json_string_value (json_object_get (r, "单位编号")));
        json_object_set_new (r, "单位名称", json_string (name));
        json_array_append_new (rows, r);
        json_decref (cells);
    }
    printf ("整改排名：%zu 个单位（各项得分见 --csv）\n", json_array_size (rows));
    if (json_array_size (rows))
        ctl_table (rows, shown);
    json_decref (rows);
    json_decref (header);
    json_decref (result);
    return CTL_OK;
}

int
ctl_lookback (ctl_t *ctl, int argc, char **argv)
{
    if (argc != 1 || argv[0][0] == '-') {
        fprintf (stderr, "usage: xcctl lookback ROUND\n");
        return CTL_USAGE;
    }
    {
        int open_rc = ctl_open (ctl);
        if (open_rc != CTL_OK)
            return open_rc;
    }
    /* every page: units after `after` while a reply says next */
    int code;
    json_t *result = ctl_call_pages (ctl, "rectify", "rectify.lookback", json_pack ("{s:s}", "round", argv[0]),
                                     "units", &code);
    if (!result)
        return code;
    if (ctl->json) {
        ctl_print (ctl, result);
        json_decref (result);
        return CTL_OK;
    }
    printf ("回头看轮次 %s，原轮次 %s\n", json_string_value (json_object_get (result, "round")),
            json_string_value (json_object_get (result, "prior_round")));
    size_t i;
    json_t *u;
    json_array_foreach (json_object_get (result, "units"), i, u) {
        printf ("\n%s（%s）：事项 %lld，已销号 %lld，曾退回 %lld，屡查屡犯 %lld，未销号 %lld，逾期 %lld\n",
                json_string_value (json_object_get (u, "unit_name")), json_string_value (json_object_get (u, "unit")),
                (long long) json_integer_value (json_object_get (u, "items")),
                (long long) json_integer_value (json_object_get (u, "closed")),
                (long long) json_integer_value (json_object_get (u, "reopened")),
                (long long) json_integer_value (json_object_get (u, "repeated")),
                (long long) json_integer_value (json_object_get (u, "open")),
                (long long) json_integer_value (json_object_get (u, "overdue")));
        json_t *rows = json_array ();
        size_t k;
        json_t *r;
        json_array_foreach (json_object_get (u, "rows"), k, r) {
            const char *state = json_string_value (json_object_get (r, "state"));
            const char *word = state ? ctl_word ("state", state) : NULL;
            json_t *row = json_object ();
            json_object_set_new (row, "事项", json_copy (json_object_get (r, "item")));
            json_object_set_new (row, "问题", json_copy (json_object_get (r, "problem")));
            json_object_set_new (row, "问题摘要", json_copy (json_object_get (r, "summary")));
            json_object_set_new (row, "状态", json_string (word ? word : state ? state : ""));
            json_object_set_new (row, "期限", json_copy (json_object_get (r, "due")));
            json_object_set_new (row, "销号日期", json_copy (json_object_get (r, "closed_on")));
            json_object_set_new (row, "曾退回", json_string (json_is_true (json_object_get (r, "reopened")) ? "是" : "否"));
            json_object_set_new (row, "屡查屡犯问题", json_copy (json_object_get (r, "repeated_by")));
            json_array_append_new (rows, row);
        }
        if (json_array_size (rows))
            ctl_table (rows, (const char *const[]) { "事项", "问题", "问题摘要", "状态", "期限", "销号日期", "曾退回",
                                                     "屡查屡犯问题", NULL });
        json_decref (rows);
    }
    json_decref (result);
    return CTL_OK;
}
