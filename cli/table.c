/*  table.c: output for people: aligned columns where a Chinese character takes two. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/ctl.h"
#include "common/text.h"
#include "services/intake/intake.h"

/*  Whether a code point is East Asian Wide or Fullwidth (Unicode UAX #11), by its main
    blocks: enough for Chinese text, full-width forms and emoji. */
static bool
s_wide (uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF)
           || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF)
           || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F)
           || (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F)
           || (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

int
ctl_width (const char *s)
{
    int width = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        uint32_t c;
        int n = *p < 0x80 ? 1 : (*p >> 5) == 0x6 ? 2 : (*p >> 4) == 0xE ? 3 : (*p >> 3) == 0x1E ? 4 : 1;
        c = n == 1 ? *p : *p & (0xFF >> (n + 1));
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {  /* broken sequence: count the byte as one */
                n = 1;
                c = '?';
                break;
            }
            c = (c << 6) | (p[i] & 0x3F);
        }
        /* combining marks and controls take no column */
        width += c < 0x20 || (c >= 0x300 && c <= 0x36F) || c == 0x200B ? 0 : s_wide (c) ? 2 : 1;
        p += n;
    }
    return width;
}

/*  Appends v for people: a scalar as its text (a string with a space or '=' in quotes when
    nested), an object as key=value pairs with dotted keys for deeper objects
    ("source=intake seq=3"), an array as its elements joined by ", " (objects in braces). */
static void
s_render (xc_buf_t *b, const json_t *v, const char *prefix, bool nested)
{
    if (json_is_object (v)) {
        const char *key;
        json_t *member;
        bool first = true;
        json_object_foreach ((json_t *) v, key, member) {
            char path[256];
            snprintf (path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", key);
            if (json_is_object (member) && json_object_size (member)) {
                if (!first)
                    xc_buf_puts (b, " ");
                s_render (b, member, path, true);
            }
            else {
                xc_buf_puts (b, first ? "" : " ");
                xc_buf_puts (b, path);
                xc_buf_puts (b, "=");
                s_render (b, member, "", true);
            }
            first = false;
        }
        if (first && !prefix[0])
            xc_buf_puts (b, "{}");
    }
    else if (json_is_array (v)) {
        size_t i;
        json_t *e;
        json_array_foreach ((json_t *) v, i, e) {
            xc_buf_puts (b, i ? ", " : "");
            if (json_is_object (e))
                xc_buf_puts (b, "{");
            s_render (b, e, "", true);
            if (json_is_object (e))
                xc_buf_puts (b, "}");
        }
    }
    else if (json_is_string (v)) {
        const char *text = json_string_value (v);
        bool quote = nested && (!text[0] || strpbrk (text, " =,{}"));
        if (quote)
            xc_buf_puts (b, "\"");
        xc_buf_puts (b, text);
        if (quote)
            xc_buf_puts (b, "\"");
    }
    else if (!json_is_null (v)) {
        char *text = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
        xc_buf_puts (b, text ? text : "");
        free (text);
    }
}

/*  A cell's text: strings as they are, null empty, objects and arrays as key=value text,
    never JSON (people read tables; --json is for programs). Caller frees. */
static char *
s_cell (const json_t *v)
{
    if (!v || json_is_null (v))
        return strdup ("");
    if (json_is_string (v))
        return strdup (json_string_value (v));
    xc_buf_t b = { 0 };
    s_render (&b, v, "", false);
    char *text = b.failed || !b.data ? strdup ("") : strdup (b.data);
    xc_buf_free (&b);
    return text;
}

/*  The headers of the services' lists in the words the office reads (members not here keep
    their name in capitals). The operator's own tables (health, principal list, audit) keep
    the member names: they name the deployment's parts. */
static const struct {
    const char *member, *header;
} s_headers[] = {
    { "id", "编号" }, { "name", "名称" }, { "level", "层级" }, { "parent", "上级单位" },
    { "registered_on", "登记日期" }, { "status", "状态" }, { "successor", "承继单位" }, { "changed_on", "变更日期" },
    { "kind", "类型" }, { "theme", "主题" }, { "prior_round", "原轮次" }, { "modes", "巡察方式" },
    { "audit_ref", "审计项目" }, { "team", "巡察组" }, { "planned_start", "计划开始" }, { "planned_end", "计划结束" },
    { "stage", "阶段" }, { "owner", "巡察主体" }, { "year", "年度" }, { "organ", "巡察机构" },
    { "round", "轮次" }, { "unit", "单位" }, { "category", "问题类别" }, { "category_name", "类别名称" },
    { "summary", "问题摘要" }, { "severity", "严重程度" }, { "source", "来源" }, { "immediate", "立行立改" },
    { "reported_by", "报告人" }, { "reported_at", "报告时间" }, { "merged_into", "并入问题" },
    { "feedback", "反馈" }, { "fed_back_on", "反馈日期" }, { "has_reporter", "有反映人" }, { "found_on", "发现日期" },
    { "unit_level", "单位层级" }, { "unit_name", "单位名称" }, { "referred_on", "移交日期" }, { "recorded_from_history", "历史补录" },
    { "target", "接收单位" }, { "problem", "问题编号" }, { "title", "标题" }, { "state", "状态" },
    { "method", "处置方式" }, { "due", "期限" }, { "overdue", "逾期" }, { "class", "整改类别" },
    { "opened_on", "交办日期" }, { "items", "事项数" }, { "score", "得分" }, { "grade", "等次" },
    { "grade_name", "等次名称" }, { "visit", "回访" }, { "interview", "建议约谈" }, { "interviews_held", "已约谈" },
    { "recipient", "接收人" }, { "type", "类型" }, { "channel", "渠道" }, { "tries", "发送次数" },
    { "delivery", "通知编号" }, { "rule", "规则" }, { "event", "事件" }, { "subject", "标题" }, { "text", "正文" },
    { "data", "内容" }, { "stream_seq", "通知序号" }, { "resent", "重发次数" }, { "created_ms", "生成时间" },
    { "link", "联动类型" }, { "round_owner", "巡察机构" }, { "district", "区县" }, { "light", "预警" },
    { NULL, NULL },
};

static const char *
s_header (const char *member)
{
    for (int i = 0; s_headers[i].member; i++)
        if (strcmp (s_headers[i].member, member) == 0)
            return s_headers[i].header;
    return NULL;
}

static void s_table (const json_t *rows, const char *const *columns, bool office);

/*  A code in the office's words (ctl_word), booleans as 是/否, arrays of codes joined by 、. */
static json_t *
s_in_words (const char *member, const json_t *v)
{
    if (json_is_boolean (v))
        return json_string (json_is_true (v) ? "是" : "否");
    if (json_is_string (v)) {
        const char *word = ctl_word (member, json_string_value (v));
        return json_string (word ? word : json_string_value (v));
    }
    if (json_is_array (v) && json_array_size (v) && json_is_string (json_array_get (v, 0))) {
        xc_buf_t b = { 0 };
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e) {
            const char *code = json_is_string (e) ? json_string_value (e) : "";
            const char *word = ctl_word (member, code);
            xc_buf_puts (&b, i ? "、" : "");
            xc_buf_puts (&b, word ? word : code);
        }
        json_t *text = json_string (b.failed || !b.data ? "" : b.data);
        xc_buf_free (&b);
        return text;
    }
    return json_incref ((json_t *) v);
}

const char *
ctl_category_name (const ctl_t *ctl, const char *id)
{
    static intake_policy_t *policy;
    static bool tried;
    if (!tried) {
        tried = true;
        xc_err_t err;
        policy = calloc (1, sizeof *policy);
        if (policy && intake_policy_load (policy, ctl->config, &err) != 0) {
            free (policy);
            policy = NULL;
        }
    }
    const intake_category_t *c = policy ? intake_policy_category_find (policy, id) : NULL;
    return c ? c->name_path : NULL;
}

/*  A round's owner as the office reads it: 市本级 for the city's, else the district's organ
    (its name when the row has no organ). */
static json_t *
s_owner_word (const json_t *owner, const json_t *names)
{
    const char *district = json_string_value (json_object_get (owner, "district"));
    if (!district)
        return json_string ("市本级");
    const json_t *organ = json_object_get (owner, "organ");
    const json_t *name = json_object_get (names, district);
    return json_string (json_is_string (organ) ? json_string_value (organ)
                        : json_is_string (name) ? json_string_value (name) : district);
}

/*  A district id by its name when known ("云溪区"), else the id. */
static const char *
s_district_name (const json_t *names, const char *id)
{
    const json_t *name = json_object_get (names, id);
    return json_is_string (name) ? json_string_value (name) : id;
}

/*  rectify.list's "light" in words: its colour (正常 before any band) and the step reached. */
static json_t *
s_light_word (const json_t *light)
{
    if (!json_is_object (light))
        return json_string ("—");
    const char *colour = json_string_value (json_object_get (light, "colour"));
    const char *word = colour ? ctl_word ("colour", colour) : "正常";
    const char *step = json_string_value (json_object_get (json_object_get (light, "step"), "name"));
    const char *step_word = step ? ctl_word ("step", step) : NULL;
    char text[128];
    snprintf (text, sizeof text, "%s%s%s", word ? word : colour, step ? "，" : "",
              step ? (step_word ? step_word : step) : "");
    return json_string (text);
}

/*  A round's link as the office reads it: 联动巡察（R-C20）, 交叉巡察（派出：云溪区）,
    提级巡察（云溪区）; an ordinary round's is empty. */
static json_t *
s_link_word (const json_t *link, const json_t *names)
{
    const char *kind = json_string_value (json_object_get (link, "kind"));
    if (!kind)
        return json_string ("");
    const char *word = ctl_word ("link", kind);
    const char *round = json_string_value (json_object_get (link, "round"));
    const char *by = json_string_value (json_object_get (link, "by"));
    const char *district = json_string_value (json_object_get (link, "district"));
    char text[512];
    if (round)
        snprintf (text, sizeof text, "%s（%s）", word ? word : kind, round);
    else if (by)
        snprintf (text, sizeof text, "%s（派出：%s）", word ? word : kind, s_district_name (names, by));
    else if (district)
        snprintf (text, sizeof text, "%s（%s）", word ? word : kind, s_district_name (names, district));
    else
        snprintf (text, sizeof text, "%s", word ? word : kind);
    return json_string (text);
}

/*  A list's row as the office reads it: codes in words; a category, a grade or an owner by its
    name when the row carries it (category_name, grade_name, owner.organ), not twice; a round's
    owner, link and a row's round_owner in words, districts by name (names: id -> name). */
static json_t *
s_office_row (const json_t *row, const json_t *names)
{
    static const char *const named[][2] = {
        { "category", "category_name" }, { "grade", "grade_name" }, { NULL, NULL },
    };
    json_t *out = json_object ();
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *) row, key, v) {
        bool shown_elsewhere = false;
        for (int k = 0; named[k][0]; k++)
            shown_elsewhere = shown_elsewhere
                              || (strcmp (key, named[k][1]) == 0 && json_object_get (row, named[k][0]));
        if (shown_elsewhere)
            continue;
        const json_t *value = v;
        for (int k = 0; named[k][0]; k++)
            if (strcmp (key, named[k][0]) == 0 && json_is_string (json_object_get (row, named[k][1])))
                value = json_object_get (row, named[k][1]);
        if (strcmp (key, "owner") == 0 && json_is_object (v))
            json_object_set_new (out, key, s_owner_word (v, names));
        else if (strcmp (key, "link") == 0 && (json_is_object (v) || json_is_null (v)))
            json_object_set_new (out, key, s_link_word (v, names));
        else if (strcmp (key, "light") == 0)
            json_object_set_new (out, key, s_light_word (v));
        else if (strcmp (key, "round_owner") == 0 && json_is_string (v))
            json_object_set_new (out, key, json_string (strcmp (json_string_value (v), "city") == 0
                                                        ? "市本级" : s_district_name (names, json_string_value (v))));
        else
            json_object_set_new (out, key, s_in_words (key, value));
    }
    return out;
}

void
ctl_table (const json_t *rows, const char *const *columns)
{
    s_table (rows, columns, false);
}

/*  The table; office: the headers in the office's words (s_headers). */
static void
s_table (const json_t *rows, const char *const *columns, bool office)
{
    const char *names[32];
    int n = 0;
    if (columns)
        for (; columns[n] && n < 32; n++)
            names[n] = columns[n];
    else {
        /* every member of any row, in the order first seen */
        size_t r;
        json_t *one;
        json_array_foreach (rows, r, one) {
            const char *key;
            json_t *v;
            json_object_foreach (one, key, v) {
                bool seen = false;
                for (int c = 0; c < n && !seen; c++)
                    seen = strcmp (names[c], key) == 0;
                if (!seen && n < 32)
                    names[n++] = key;
            }
        }
    }
    /* the headers: the office's words, else the member in capitals */
    char heads[32][128];
    for (int c = 0; c < n; c++) {
        const char *word = office ? s_header (names[c]) : NULL;
        snprintf (heads[c], sizeof heads[c], "%s", word ? word : names[c]);
        for (char *p = heads[c]; !word && *p; p++)
            *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    }
    int widths[32];
    for (int c = 0; c < n; c++)
        widths[c] = ctl_width (heads[c]);
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row)
        for (int c = 0; c < n; c++) {
            char *cell = s_cell (json_object_get (row, names[c]));
            int w = cell ? ctl_width (cell) : 0;
            widths[c] = w > widths[c] ? w : widths[c];
            free (cell);
        }
    for (int c = 0; c < n; c++) {
        int pad = c == n - 1 ? 0 : widths[c] - ctl_width (heads[c]);
        printf ("%s%s%*s", c ? "  " : "", heads[c], pad, "");
    }
    printf ("\n");
    json_array_foreach (rows, i, row) {
        for (int c = 0; c < n; c++) {
            char *cell = s_cell (json_object_get (row, names[c]));
            /* line breaks inside a cell would break the table */
            for (char *p = cell; p && *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t')
                    *p = ' ';
            int pad = c == n - 1 ? 0 : widths[c] - (cell ? ctl_width (cell) : 0);
            printf ("%s%s%*s", c ? "  " : "", cell ? cell : "", pad, "");
            free (cell);
        }
        printf ("\n");
    }
}

void
ctl_print (const ctl_t *ctl, const json_t *result)
{
    if (ctl->json) {
        char *text = json_dumps (result, JSON_INDENT (2) | JSON_ENCODE_ANY);
        printf ("%s\n", text ? text : "null");
        free (text);
        return;
    }
    /* a list's rows: "items", or the one member that is an array of objects (notify.read's
       "notices"); the other members follow the table */
    const char *list = json_object_get (result, "items") ? "items" : NULL;
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *) result, key, v)
        if (!list && json_is_array (v) && json_is_object (json_array_get (v, 0)))
            list = key;
    const json_t *items = list ? json_object_get (result, list) : NULL;
    if (json_is_array (items)) {
        /* times in milliseconds read as local times */
        size_t i;
        json_t *row;
        json_array_foreach (items, i, row) {
            const char *name;
            json_t *value;
            json_object_foreach (row, name, value) {
                size_t n = strlen (name);
                if (n > 3 && strcmp (name + n - 3, "_ms") == 0 && json_is_integer (value)) {
                    time_t t = (time_t) (json_integer_value (value) / 1000 + ctl->config->utc_offset);
                    struct tm tm;
                    char text[32];
                    gmtime_r (&t, &tm);
                    strftime (text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
                    json_object_set_new (row, name, json_string (text));
                }
            }
        }
        json_t *rows = json_array ();
        json_array_foreach (items, i, row) {
            const char *category = json_string_value (json_object_get (row, "category"));
            const char *name = category && !json_object_get (row, "category_name")
                                   ? ctl_category_name (ctl, category) : NULL;
            if (name)
                json_object_set_new (row, "category_name", json_string (name));
            json_array_append_new (rows, s_office_row (row, ctl->district_names));
        }
        if (json_array_size (rows))
            s_table (rows, NULL, true);
        else
            printf ("（无）\n");
        json_decref (rows);
        const json_t *next = json_object_get (result, "next");
        if (strcmp (list, "items") == 0) {
            if (next && !json_is_null (next)) {
                char *text = json_dumps (next, JSON_ENCODE_ANY);
                printf ("（还有，下一页：--after %s）\n", text ? text : "");
                free (text);
            }
            return;
        }
        json_object_foreach ((json_t *) result, key, v)
            if (strcmp (key, list) != 0) {
                char *cell = s_cell (v);
                printf ("%-*s %s\n", 14, key, cell ? cell : "");
                free (cell);
            }
        return;
    }
    json_object_foreach ((json_t *) result, key, v) {
        char *cell = json_is_string (v) ? strdup (json_string_value (v))
                                        : json_dumps (v, JSON_ENCODE_ANY | (json_is_object (v) || json_is_array (v)
                                                                            ? JSON_INDENT (2) : 0));
        printf ("%-*s %s\n", 14, key, cell ? cell : "");
        free (cell);
    }
}
