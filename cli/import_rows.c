/*  import_rows.c: xcctl import round's files read and every row checked (import.h): the words
    people write (类型, 处置, 形态 ...) as the services' ids, dates as spreadsheets write them,
    references between the files; what passes becomes the data of the commands import.c sends. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/import.h"
#include "common/codec.h"
#include "common/hash.h"
#include "common/schema.h"

static const import_word_t s_kinds[] = {
    { "常规巡察", "regular" }, { "常规", "regular" }, { "专项巡察", "special" }, { "专项", "special" },
    { "机动巡察", "mobile" }, { "机动", "mobile" }, { "回头看", "lookback" }, { NULL, NULL },
};
static const import_word_t s_modes[] = {
    { "提级巡察", "elevated" }, { "提级", "elevated" }, { "交叉巡察", "cross" }, { "交叉", "cross" },
    { "系统巡察", "system" }, { "系统", "system" }, { "延伸巡察", "extended" }, { "延伸", "extended" },
    { "联动巡察", "linked" }, { "联动", "linked" }, { "审计联动", "audit_linked" }, { NULL, NULL },
};
static const import_word_t s_coverages[] = { { "主体", "main" }, { "延伸", "extended" }, { NULL, NULL } };
static const import_word_t s_visit_kinds[] = { { "回访", "return_visit" }, { "专项检查", "special_check" }, { NULL, NULL } };
static const import_word_t s_sources[] = {
    { "巡察组", "inspection_team" }, { "巡察发现", "inspection_team" }, { "信访", "petition" },
    { "审计", "audit" }, { "群众", "public" }, { "码上巡", "public" }, { NULL, NULL },
};
static const import_word_t s_dispositions[] = {
    { "反馈整改", "feedback" }, { "移交线索", "lead" }, { "问题线索", "lead" }, { "移交部门", "handover" },
    { "移交职能部门", "handover" }, { "专题报告", "special_report" }, { NULL, NULL },
};
static const import_word_t s_timeliness[] = {
    { "立行立改", "immediate" }, { "限期整改", "deadline" }, { "长期坚持", "long_term" }, { NULL, NULL },
};
static const import_word_t s_completions[] = {
    { "完成", "completed" }, { "已完成", "completed" }, { "基本完成", "mostly_completed" }, { NULL, NULL },
};
static const import_word_t s_severities[] = {
    { "一般", "general" }, { "较重", "serious" }, { "严重", "grave" }, { NULL, NULL },
};
static const import_word_t s_methods[] = {
    { "谈话函询", "talk_inquiry" }, { "初步核实", "preliminary_verification" }, { "暂存待查", "park" },
    { "予以了结", "close" }, { NULL, NULL },
};


/*  The id of word: a word of the list, or one of its ids as is. NULL when neither. */
static const char *
s_word (const import_word_t *list, const char *word)
{
    for (const import_word_t *w = list; w->word; w++)
        if (strcmp (w->word, word) == 0 || strcmp (w->id, word) == 0)
            return w->id;
    return NULL;
}

/*  "a、b、c" for an error message. */
static void
s_words_known (const import_word_t *list, char *out, size_t len)
{
    size_t at = 0;
    out[0] = 0;
    for (const import_word_t *w = list; w->word && at < len; w++)
        at += (size_t) snprintf (out + at, len - at, "%s%s", at ? "、" : "", w->word);
}

/* a round's stages after planned, by the column that dates them (docs/services/intake.md) */
const import_word_t import_stages[N_STAGES] = {
    { "进驻", "stationed" }, { "撤离", "withdrawn" }, { "报告", "reported" }, { "反馈", "feedback_delivered" },
    { "整改", "rectifying" }, { "整改报告", "rectification_reported" }, { "评估", "evaluated" }, { "结束", "closed" },
};

typedef struct {
    const char *name;
    bool required;
} s_column_t;


static const struct {
    const char *option, *label;
    s_column_t columns[40];
} s_files[N_FILES] = {
    [F_ROUNDS] = { "--rounds", "轮次",
                   { { "轮次编号", true }, { "轮次名称", true }, { "类型", true }, { "方式", false }, { "专项主题", false },
                     { "前轮次", false }, { "审计项目", false }, { "巡察组", true }, { "巡察机构", false }, { "所属", false },
                     { "立项", false }, { "计划开始", true }, { "计划结束", true }, { "进驻", false }, { "撤离", false },
                     { "报告", false }, { "反馈", false }, { "整改", false }, { "整改报告", false }, { "评估", false },
                     { "结束", false }, { NULL, false } } },
    [F_TARGETS] = { "--targets", "被巡察单位",
                    { { "轮次编号", true }, { "被巡察单位", true }, { "覆盖", false }, { "回访时间", false },
                      { "回访方式", false }, { "约谈对象", false }, { "约谈职务", false }, { "约谈人", false },
                      { "约谈时间", false }, { "领导班子", false }, { "责任落实", false }, { "任务完成", false },
                      { "满意度", false }, { "主要负责人", false }, { "负责人职务", false }, { "评估时间", false },
                      { NULL, false } } },
    [F_PROBLEMS] = { "--problems", "问题",
                     { { "问题编号", true }, { "轮次编号", false }, { "被巡察单位", true }, { "问题描述", true },
                       { "问题详情", false }, { "问题类别", true }, { "严重程度", false }, { "发现时间", true },
                       { "问题来源", false }, { "立行立改", false }, { "处置", false }, { "处置时间", false },
                       { "整改类型", false }, { "接收单位", false }, { "专题报告", false }, { "整改措施", false },
                       { "责任人", false }, { "牵头领导", false }, { "整改时限", false }, { "延期理由", false },
                       { "完成时间", false }, { "完成情况", false }, { "销号时间", false }, { "佐证材料", false },
                       { "制度机制", false }, { "清缴金额", false }, { "核销金额", false }, { "群众关切", false },
                       { NULL, false } } },
    [F_LEADS] = { "--leads", "线索处置",
                  { { "问题编号", true }, { "受理时间", false }, { "处置方式", true }, { "处置时间", true },
                    { "立案", false }, { "结果时间", false }, { "办结时间", false }, { "制度机制", false },
                    { "备注", false }, { NULL, false } } },
    [F_PEOPLE] = { "--people", "处理人员",
                   { { "问题编号", true }, { "形态", true }, { "党纪处分", false }, { "政务处分", false },
                     { "组织处理", false }, { "留置", false }, { "移送司法", false }, { NULL, false } } },
    [F_REPORTS] = { "--reports", "专题报告",
                    { { "报告编号", true }, { "轮次编号", false }, { "被巡察单位", false }, { "问题类别", false },
                      { "报告标题", true }, { "报告内容", false }, { "接收单位", true }, { "报送时间", true },
                      { "签批领导", false }, { "签批职务", false }, { "签批时间", false }, { NULL, false } } },
};

const char *
import_file_option (int file)
{
    return s_files[file].option;
}

const char *
import_get (const import_t *imp, int file, const ctl_csv_row_t *row, const char *column)
{
    const s_column_t *cols = s_files[file].columns;
    for (int i = 0; cols[i].name; i++)
        if (strcmp (cols[i].name, column) == 0)
            return ctl_csv_field (row, imp->col[file][i]);
    return "";
}

/*  Names a refused row: "FILE:LINE: why". */
void
import_refuse (import_t *imp, int file, const ctl_csv_row_t *row, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fprintf (stderr, "%s:%ld: ", imp->files[file].path, row->line);
    vfprintf (stderr, fmt, ap);
    fprintf (stderr, "\n");
    va_end (ap);
    imp->refused++;
}

/*  Reads every file given and checks its header: each column known, the required ones there.
    CTL_OK, or CTL_LOCAL / CTL_USAGE after saying what is wrong. */
int
import_load (import_t *imp)
{
    for (int f = 0; f < N_FILES; f++) {
        if (!imp->files[f].path)
            continue;
        char err[512];
        if (ctl_csv_read (imp->files[f].path, &imp->files[f].csv, err, sizeof err) != 0) {
            fprintf (stderr, "xcctl: import round: %s\n", err);
            return CTL_LOCAL;
        }
        imp->files[f].loaded = true;
        const ctl_csv_t *csv = &imp->files[f].csv;
        const s_column_t *cols = s_files[f].columns;
        const char *known[40];
        size_t n_known = 0;
        for (int i = 0; cols[i].name; i++) {
            known[n_known++] = cols[i].name;
            imp->col[f][i] = ctl_csv_column (csv, cols[i].name);
            if (cols[i].required && imp->col[f][i] < 0) {
                fprintf (stderr, "xcctl: import round: %s:1: the %s file has no column '%s'\n", imp->files[f].path,
                         s_files[f].label, cols[i].name);
                return CTL_LOCAL;
            }
        }
        for (int h = 0; h < csv->header.n; h++) {
            const char *name = csv->header.fields[h];
            bool ok = false;
            for (size_t k = 0; k < n_known && !ok; k++)
                ok = strcmp (known[k], name) == 0;
            for (int k = 0; k < h && ok; k++)
                if (strcmp (csv->header.fields[k], name) == 0) {
                    fprintf (stderr, "xcctl: import round: %s:1: column '%s' twice\n", imp->files[f].path, name);
                    return CTL_LOCAL;
                }
            if (!ok) {
                fprintf (stderr, "xcctl: import round: %s:1: the %s file has no column '%s'", imp->files[f].path,
                         s_files[f].label, name);
                ctl_suggest (name, known, n_known);
                return CTL_LOCAL;
            }
        }
    }
    return CTL_OK;
}

/*  A date as spreadsheets write it (2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日) into out as
    YYYY-MM-DD. 0; -1 when it is no real date; 1 when it is after today. */
static int
s_date (const import_t *imp, const char *text, char out[DATE_BUF])
{
    int y = 0, m = 0, d = 0, used = 0;
    char sep1[8] = "", sep2[8] = "";
    if (sscanf (text, "%4d%3[-/.年]%2d%3[-/.月]%2d%n", &y, sep1, &m, sep2, &d, &used) != 5)
        return -1;
    const char *rest = text + used;
    bool chinese = strcmp (sep1, "年") == 0;
    if (chinese && strcmp (rest, "日") == 0)
        rest += strlen ("日");
    if (*rest || (chinese ? strcmp (sep2, "月") != 0 : strcmp (sep1, sep2) != 0))
        return -1;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > xc_date_month_days (y, m))
        return -1;
    xc_date_t date = xc_date_from_ymd (y, m, d);
    xc_date_format (date, out);
    return date > imp->today ? 1 : 0;
}

/*  Reads the date of column into out: 0 (empty is "" when optional), or -1 after refusing. */
static int
s_date_column (import_t *imp, int file, const ctl_csv_row_t *row, const char *column, bool required,
               char out[DATE_BUF])
{
    const char *text = import_get (imp, file, row, column);
    out[0] = 0;
    if (!text[0]) {
        if (!required)
            return 0;
        import_refuse (imp, file, row, "%s is empty", column);
        return -1;
    }
    int rc = s_date (imp, text, out);
    if (rc < 0)
        import_refuse (imp, file, row, "%s '%s' is no date (2019-03-05, 2019/3/5 or 2019年3月5日)", column, text);
    else if (rc > 0)
        import_refuse (imp, file, row, "%s %s is after today: only facts that happened are imported", column, out);
    return rc == 0 ? 0 : -1;
}

/*  A word of list in column (empty: dflt, which may be NULL for none). 0, or -1 after refusing. */
static int
s_word_column (import_t *imp, int file, const ctl_csv_row_t *row, const char *column, const import_word_t *list,
               const char *dflt, const char **out)
{
    const char *text = import_get (imp, file, row, column);
    *out = text[0] ? s_word (list, text) : dflt;
    if (text[0] && !*out) {
        char known[512];
        s_words_known (list, known, sizeof known);
        import_refuse (imp, file, row, "%s '%s' is none of %s", column, text, known);
        return -1;
    }
    return 0;
}

/*  是/否 (also 1/0, Y/N, true/false; empty: false). 0, or -1 after refusing. */
static int
s_yes (import_t *imp, int file, const ctl_csv_row_t *row, const char *column, bool *out)
{
    const char *text = import_get (imp, file, row, column);
    *out = false;
    if (!text[0] || !strcmp (text, "否") || !strcmp (text, "0") || !strcasecmp (text, "n") || !strcasecmp (text, "false"))
        return 0;
    if (!strcmp (text, "是") || !strcmp (text, "1") || !strcasecmp (text, "y") || !strcasecmp (text, "true")) {
        *out = true;
        return 0;
    }
    import_refuse (imp, file, row, "%s '%s' is neither 是 nor 否", column, text);
    return -1;
}

/*  A count 0-max in column (empty: -1). 0, or -1 after refusing. */
static int
s_count (import_t *imp, int file, const ctl_csv_row_t *row, const char *column, long long max, long long *out)
{
    const char *text = import_get (imp, file, row, column);
    *out = -1;
    if (!text[0])
        return 0;
    char *end;
    long long v = strtoll (text, &end, 10);
    if (*end || !isdigit ((unsigned char) text[0]) || v > max) {
        import_refuse (imp, file, row, "%s '%s' is no whole number from 0 to %lld", column, text, max);
        return -1;
    }
    *out = v;
    return 0;
}

/*  An amount in yuan with at most two decimals ("96570000", "1261.5", "1,261.50") as fen
    (empty: -1). 0, or -1 after refusing. */
static int
s_money (import_t *imp, int file, const ctl_csv_row_t *row, const char *column, long long *fen)
{
    const char *text = import_get (imp, file, row, column);
    *fen = -1;
    if (!text[0])
        return 0;
    long long yuan = 0, cents = 0;
    int decimals = -1, digits = 0;
    for (const char *p = text; *p; p++) {
        if (*p == ',' && decimals < 0)
            continue;
        if (*p == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (!isdigit ((unsigned char) *p) || decimals == 2 || digits > 11)
            goto bad;
        if (decimals < 0) {
            yuan = yuan * 10 + (*p - '0');
            digits++;
        }
        else {
            cents = cents * 10 + (*p - '0');
            decimals++;
        }
    }
    if (!digits)
        goto bad;
    *fen = yuan * 100 + (decimals == 1 ? cents * 10 : cents);
    return 0;
bad:
    import_refuse (imp, file, row, "%s '%s' is no amount in yuan (at most two decimals, below 10^11)", column, text);
    return -1;
}

/*  Splits a list cell ("提级、联动", "a;b", "a，b") in place; the count. */
static int
s_split_list (char *text, char **out, int max)
{
    int n = 0;
    char *p = text;
    while (*p && n < max) {
        char *start = p;
        char *end = NULL;
        size_t skip = 0;
        for (char *q = p; *q; q++) {
            if (*q == ';' || *q == ',' || *q == ' ') {
                end = q;
                skip = 1;
                break;
            }
            if (strncmp (q, "、", 3) == 0 || strncmp (q, "，", 3) == 0 || strncmp (q, "；", 3) == 0) {
                end = q;
                skip = 3;
                break;
            }
        }
        if (end) {
            *end = 0;
            p = end + skip;
        }
        else
            p += strlen (p);
        if (*start)
            out[n++] = start;
    }
    return n;
}

/*  A category of intake's policy by its id, its name (when only one has it) or its path of
    names from the top joined by › (or > or /: "全面从严治党 › 四风"); NULL with why set when
    none or more than one. */
static const char *
s_category (const import_t *imp, const char *text, const char **why)
{
    char path[1600];
    size_t at = 0;
    int parts = 0;
    const char *p = text;
    while (*p && at < sizeof path - 8) {
        size_t sep = !strncmp (p, "›", strlen ("›")) ? strlen ("›") : (*p == '>' || *p == '/') ? 1 : 0;
        if (!sep) {
            path[at++] = *p++;
            continue;
        }
        while (at && path[at - 1] == ' ')
            at--;
        at += (size_t) snprintf (path + at, sizeof path - at, " › ");
        parts++;
        p += sep;
        while (*p == ' ')
            p++;
    }
    path[at] = 0;
    const char *found = NULL;
    for (int i = 0; i < imp->categories.n_categories; i++) {
        const intake_category_t *c = &imp->categories.categories[i];
        if (!strcmp (c->id, text) || !strcmp (c->name_path, path))
            return c->id;
        if (!parts && !strcmp (c->name, text)) {
            if (found) {
                *why = "more than one category has that name: give its path (上级 › 名称) or its id";
                return NULL;
            }
            found = c->id;
        }
    }
    if (!found)
        *why = "no category of policies.intake.categories has that name, path (names from the top joined by ›) or id";
    return found;
}

int
import_round_index (const import_t *imp, const char *id)
{
    for (size_t i = 0; i < imp->n_rounds; i++)
        if (strcmp (imp->rounds[i].id, id) == 0)
            return (int) i;
    return -1;
}

static int
s_problem_index (const import_t *imp, const char *no)
{
    for (size_t i = 0; i < imp->n_problems; i++)
        if (strcmp (imp->problems[i].no, no) == 0)
            return (int) i;
    return -1;
}

static void
s_check_rounds (import_t *imp)
{
    const ctl_csv_t *csv = &imp->files[F_ROUNDS].csv;
    imp->rounds = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->rounds);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        import_round_t *r = &imp->rounds[imp->n_rounds];
        r->row = row;
        const char *id = import_get (imp, F_ROUNDS, row, "轮次编号");
        if (!xc_id_valid (id)) {
            import_refuse (imp, F_ROUNDS, row, "轮次编号 '%s' is no round id (1-64 of A-Z a-z 0-9 . _ : -)", id);
            continue;
        }
        if (import_round_index (imp, id) >= 0) {
            import_refuse (imp, F_ROUNDS, row, "轮次编号 '%s' is on an earlier line too", id);
            continue;
        }
        snprintf (r->id, sizeof r->id, "%s", id);
        const char *kind, *name = import_get (imp, F_ROUNDS, row, "轮次名称"), *team = import_get (imp, F_ROUNDS, row, "巡察组");
        char opened[DATE_BUF], start[DATE_BUF], end[DATE_BUF];
        if (!name[0]) {
            import_refuse (imp, F_ROUNDS, row, "轮次名称 is empty");
            continue;
        }
        if (!team[0]) {
            import_refuse (imp, F_ROUNDS, row, "巡察组 is empty (the iss of the team's principal)");
            continue;
        }
        if (s_word_column (imp, F_ROUNDS, row, "类型", s_kinds, NULL, &kind) != 0
            || s_date_column (imp, F_ROUNDS, row, "计划开始", true, start) != 0
            || s_date_column (imp, F_ROUNDS, row, "计划结束", true, end) != 0
            || s_date_column (imp, F_ROUNDS, row, "立项", false, opened) != 0)
            continue;
        if (!kind) {
            import_refuse (imp, F_ROUNDS, row, "类型 is empty");
            continue;
        }
        if (strcmp (end, start) < 0) {
            import_refuse (imp, F_ROUNDS, row, "计划结束 %s is before 计划开始 %s", end, start);
            continue;
        }
        json_t *open = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "id", id, "name", name, "kind", kind,
                                  "team", team, "planned_start", start, "planned_end", end, "date",
                                  opened[0] ? opened : start, "targets");
        char modes_text[1024];
        snprintf (modes_text, sizeof modes_text, "%s", import_get (imp, F_ROUNDS, row, "方式"));
        char *modes[8];
        int n_modes = s_split_list (modes_text, modes, 8);
        bool bad = false;
        if (n_modes) {
            json_t *list = json_array ();
            for (int m = 0; m < n_modes && !bad; m++) {
                const char *mode = s_word (s_modes, modes[m]);
                if (!mode) {
                    char known[512];
                    s_words_known (s_modes, known, sizeof known);
                    import_refuse (imp, F_ROUNDS, row, "方式 '%s' is none of %s", modes[m], known);
                    bad = true;
                }
                else
                    json_array_append_new (list, json_string (mode));
            }
            json_object_set_new (open, "modes", list);
        }
        static const struct { const char *column, *member; } optional[] = {
            { "专项主题", "theme" }, { "前轮次", "prior_round" }, { "审计项目", "audit_ref" }, { "巡察机构", "organ" },
        };
        for (size_t k = 0; k < sizeof optional / sizeof optional[0]; k++) {
            const char *v = import_get (imp, F_ROUNDS, row, optional[k].column);
            if (v[0])
                json_object_set_new (open, optional[k].member, json_string (v));
        }
        const char *owner = import_get (imp, F_ROUNDS, row, "所属");
        if (owner[0] && strcmp (owner, "市委") != 0 && strcmp (owner, "市级") != 0 && strcmp (owner, "city") != 0)
            json_object_set_new (open, "owner", json_string (owner));   /* a district: resolved with the units */
        /* the stages: each dated one after the other, none skipped */
        char last[DATE_BUF];
        snprintf (last, sizeof last, "%s", opened[0] ? opened : start);
        for (int s = 0; s < N_STAGES && !bad; s++) {
            char day[DATE_BUF];
            if (s_date_column (imp, F_ROUNDS, row, import_stages[s].word, false, day) != 0) {
                bad = true;
                break;
            }
            if (!day[0])
                continue;
            if (s > r->n_stages) {
                import_refuse (imp, F_ROUNDS, row, "%s is dated but %s is not: a round goes through every stage", import_stages[s].word,
                          import_stages[r->n_stages].word);
                bad = true;
            }
            else if (strcmp (day, last) < 0) {
                import_refuse (imp, F_ROUNDS, row, "%s %s is before the stage before it (%s)", import_stages[s].word, day, last);
                bad = true;
            }
            else {
                snprintf (r->stages[s], DATE_BUF, "%s", day);
                snprintf (last, sizeof last, "%s", day);
                r->n_stages = s + 1;
            }
        }
        if (bad || !open) {
            json_decref (open);
            continue;
        }
        r->open = open;
        r->ok = true;
        imp->n_rounds++;
    }
}

static void
s_check_targets (import_t *imp)
{
    if (!imp->files[F_TARGETS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_TARGETS].csv;
    imp->targets = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->targets);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        const char *round = import_get (imp, F_TARGETS, row, "轮次编号"), *unit = import_get (imp, F_TARGETS, row, "被巡察单位");
        const char *coverage;
        int r = import_round_index (imp, round);
        if (r < 0) {
            import_refuse (imp, F_TARGETS, row, "轮次编号 '%s' is no round of the rounds file (or its line was refused)", round);
            continue;
        }
        if (!unit[0]) {
            import_refuse (imp, F_TARGETS, row, "被巡察单位 is empty");
            continue;
        }
        if (s_word_column (imp, F_TARGETS, row, "覆盖", s_coverages, "main", &coverage) != 0)
            continue;
        /* the unit as written: resolved (id or name) once the units are known */
        json_array_append_new (json_object_get (imp->rounds[r].open, "targets"),
                               json_pack ("{s:s, s:s, s:I}", "unit", unit, "coverage", coverage, "line",
                                          (json_int_t) row->line));
        /* after feedback: the return visit, an interview (约谈); a refusal here keeps the unit a
           target of its round (the round is the same when the row is fixed and sent again) */
        import_target_t t = { .row = row, .round = r, .unit = unit };
        const char *who = import_get (imp, F_TARGETS, row, "约谈对象"), *title = import_get (imp, F_TARGETS, row, "约谈职务");
        const char *by = import_get (imp, F_TARGETS, row, "约谈人");
        char interviewed_on[DATE_BUF];
        if (s_date_column (imp, F_TARGETS, row, "回访时间", false, t.visit_on) != 0
            || s_date_column (imp, F_TARGETS, row, "约谈时间", false, interviewed_on) != 0)
            continue;
        const char *feedback = imp->rounds[r].n_stages > STAGE_FEEDBACK ? imp->rounds[r].stages[STAGE_FEEDBACK] : NULL;
        if ((t.visit_on[0] || interviewed_on[0]) && !feedback) {
            import_refuse (imp, F_TARGETS, row, "回访 and 约谈 come after feedback: round %s has no 反馈 date", round);
            continue;
        }
        if (t.visit_on[0] && strcmp (t.visit_on, feedback) < 0) {
            import_refuse (imp, F_TARGETS, row, "回访时间 %s is before the round's 反馈 %s", t.visit_on, feedback);
            continue;
        }
        if ((who[0] || title[0] || by[0] || interviewed_on[0]) && !(who[0] && title[0] && by[0] && interviewed_on[0])) {
            import_refuse (imp, F_TARGETS, row, "an interview needs 约谈对象, 约谈职务, 约谈人 and 约谈时间");
            continue;
        }
        if (t.visit_on[0]) {
            char kinds_text[256];
            snprintf (kinds_text, sizeof kinds_text, "%s", import_get (imp, F_TARGETS, row, "回访方式"));
            char *kinds[2];
            int n_kinds = s_split_list (kinds_text, kinds, 2);
            t.kinds = json_array ();
            if (!n_kinds)
                json_array_append_new (t.kinds, json_string ("return_visit"));
            bool bad = false;
            for (int k = 0; k < n_kinds && !bad; k++) {
                const char *kind = s_word (s_visit_kinds, kinds[k]);
                if (!kind) {
                    import_refuse (imp, F_TARGETS, row, "回访方式 '%s' is none of 回访、专项检查", kinds[k]);
                    bad = true;
                }
                else
                    json_array_append_new (t.kinds, json_string (kind));
            }
            if (bad) {
                json_decref (t.kinds);
                continue;
            }
        }
        else if (import_get (imp, F_TARGETS, row, "回访方式")[0]) {
            import_refuse (imp, F_TARGETS, row, "回访方式 without 回访时间");
            continue;
        }
        /* the evaluation (评估): the four parts scored, the unit's principal leader */
        static const struct { const char *column, *part; } parts[] = {
            { "领导班子", "leadership" }, { "责任落实", "responsibility" }, { "任务完成", "task_completion" },
            { "满意度", "satisfaction" },
        };
        json_t *scored = json_object ();
        bool bad_part = false;
        for (size_t k = 0; k < 4 && !bad_part; k++) {
            long long v;
            bad_part = s_count (imp, F_TARGETS, row, parts[k].column, 100, &v) != 0;
            if (v >= 0)
                json_object_set_new (scored, parts[k].part, json_integer (v));
        }
        const char *leader = import_get (imp, F_TARGETS, row, "主要负责人");
        const char *leader_title = import_get (imp, F_TARGETS, row, "负责人职务");
        char evaluated_on[DATE_BUF];
        if (bad_part || s_date_column (imp, F_TARGETS, row, "评估时间", false, evaluated_on) != 0) {
            json_decref (scored);
            json_decref (t.kinds);
            continue;
        }
        size_t n_parts = json_object_size (scored);
        if ((n_parts || leader[0] || leader_title[0] || evaluated_on[0])
            && (n_parts != 4 || !leader[0] || !leader_title[0])) {
            import_refuse (imp, F_TARGETS, row, "an evaluation needs 领导班子, 责任落实, 任务完成, 满意度 (0-100 each),"
                           " 主要负责人 and 负责人职务");
            json_decref (scored);
            json_decref (t.kinds);
            continue;
        }
        if (n_parts) {
            const char *stage = imp->rounds[r].n_stages > 6 ? imp->rounds[r].stages[6] : NULL;   /* 评估 */
            if (!evaluated_on[0] && !stage) {
                import_refuse (imp, F_TARGETS, row, "评估时间 is empty and round %s has no 评估 date", round);
                json_decref (scored);
                json_decref (t.kinds);
                continue;
            }
            t.evaluate = json_pack ("{s:o, s:{s:s, s:s}, s:s}", "parts", scored, "principal_leader", "name", leader,
                                    "title", leader_title, "occurred_on", evaluated_on[0] ? evaluated_on : stage);
        }
        else
            json_decref (scored);
        if (who[0])
            t.interview = json_pack ("{s:{s:s, s:s}, s:s, s:s}", "interviewee", "name", who, "title", title, "by", by,
                                     "occurred_on", interviewed_on);
        if (t.kinds || t.interview || t.evaluate)
            imp->targets[imp->n_targets++] = t;
    }
    for (size_t r = 0; r < imp->n_rounds; r++)
        if (json_array_size (json_object_get (imp->rounds[r].open, "targets")) == 0) {
            fprintf (stderr, "%s:%ld: round %s has no target in the targets file\n", imp->files[F_ROUNDS].path,
                     imp->rounds[r].row->line, imp->rounds[r].id);
            imp->refused++;
            imp->rounds[r].ok = false;
        }
}

static void
s_check_problems (import_t *imp)
{
    if (!imp->files[F_PROBLEMS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_PROBLEMS].csv;
    imp->problems = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->problems);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        import_problem_t *p = &imp->problems[imp->n_problems];
        json_decref (p->report);         /* a slot left by a refused row */
        json_decref (p->dispositions);
        json_decref (p->claim);
        memset (p, 0, sizeof *p);
        p->row = row;
        p->round = -1;
        const char *no = import_get (imp, F_PROBLEMS, row, "问题编号");
        if (!no[0] || strlen (no) >= ID_MAX) {
            import_refuse (imp, F_PROBLEMS, row, "问题编号 '%s' must be 1-64 bytes: the office's own number of the problem", no);
            continue;
        }
        if (s_problem_index (imp, no) >= 0) {
            import_refuse (imp, F_PROBLEMS, row, "问题编号 '%s' is on an earlier line too", no);
            continue;
        }
        snprintf (p->no, sizeof p->no, "%s", no);
        const char *round = import_get (imp, F_PROBLEMS, row, "轮次编号");
        if (round[0]) {
            p->round = import_round_index (imp, round);
            if (p->round < 0) {
                import_refuse (imp, F_PROBLEMS, row, "轮次编号 '%s' is no round of the rounds file (or its line was refused)",
                          round);
                continue;
            }
            if (!imp->rounds[p->round].ok) {
                import_refuse (imp, F_PROBLEMS, row, "round %s was refused (its line in the rounds file)", round);
                continue;
            }
            snprintf (p->round_id, sizeof p->round_id, "%s", round);
        }
        const char *unit = import_get (imp, F_PROBLEMS, row, "被巡察单位");
        const char *summary = import_get (imp, F_PROBLEMS, row, "问题描述"), *detail = import_get (imp, F_PROBLEMS, row, "问题详情");
        const char *category_text = import_get (imp, F_PROBLEMS, row, "问题类别");
        if (!unit[0] || !summary[0]) {
            import_refuse (imp, F_PROBLEMS, row, "%s is empty", unit[0] ? "问题描述" : "被巡察单位");
            continue;
        }
        if (strlen (summary) > 500) {
            import_refuse (imp, F_PROBLEMS, row, "问题描述 is %zu bytes, above 500: put the whole text in 问题详情",
                      strlen (summary));
            continue;
        }
        snprintf (p->unit_text, sizeof p->unit_text, "%s", unit);
        const char *why = NULL;
        const char *category = s_category (imp, category_text, &why);
        if (!category) {
            import_refuse (imp, F_PROBLEMS, row, "问题类别 '%s': %s", category_text, why);
            continue;
        }
        const char *severity_text = import_get (imp, F_PROBLEMS, row, "严重程度");
        const char *severity = severity_text[0] ? s_word (s_severities, severity_text) : "general";
        if (!severity)
            severity = severity_text;             /* a severity of the policy: intake judges it */
        const char *source, *classify_kinds = import_get (imp, F_PROBLEMS, row, "处置"), *timeliness;
        bool immediate, concern;
        if (s_date_column (imp, F_PROBLEMS, row, "发现时间", true, p->found_on) != 0
            || s_word_column (imp, F_PROBLEMS, row, "问题来源", s_sources, "inspection_team", &source) != 0
            || s_yes (imp, F_PROBLEMS, row, "立行立改", &immediate) != 0
            || s_yes (imp, F_PROBLEMS, row, "群众关切", &concern) != 0
            || s_date_column (imp, F_PROBLEMS, row, "处置时间", false, p->classified_on) != 0
            || s_word_column (imp, F_PROBLEMS, row, "整改类型", s_timeliness, immediate ? "immediate" : "deadline",
                              &timeliness) != 0
            || s_date_column (imp, F_PROBLEMS, row, "整改时限", false, p->due) != 0
            || s_date_column (imp, F_PROBLEMS, row, "完成时间", false, p->done_on) != 0
            || s_date_column (imp, F_PROBLEMS, row, "销号时间", false, p->closed_on) != 0)
            continue;
        if (!p->classified_on[0])
            snprintf (p->classified_on, DATE_BUF, "%s", p->found_on);
        if (strcmp (p->classified_on, p->found_on) < 0) {
            import_refuse (imp, F_PROBLEMS, row, "处置时间 %s is before 发现时间 %s", p->classified_on, p->found_on);
            continue;
        }
        if (p->round >= 0 && strcmp (p->found_on, json_string_value (json_object_get (imp->rounds[p->round].open, "date"))) < 0) {
            import_refuse (imp, F_PROBLEMS, row, "发现时间 %s is before round %s was opened (%s)", p->found_on, round,
                      json_string_value (json_object_get (imp->rounds[p->round].open, "date")));
            continue;
        }
        snprintf (p->timeliness, sizeof p->timeliness, "%s", timeliness);
        p->report = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "unit", unit, "category", category,
                               "summary", summary, "detail", detail[0] ? detail : summary, "severity", severity,
                               "source", source, "immediate", immediate, "occurred_on", p->found_on);
        if (p->round >= 0)
            json_object_set_new (p->report, "round", json_string (round));
        /* the dispositions */
        char kinds_text[512];
        snprintf (kinds_text, sizeof kinds_text, "%s", classify_kinds);
        char *kinds[4];
        int n_kinds = s_split_list (kinds_text, kinds, 4);
        const char *target = import_get (imp, F_PROBLEMS, row, "接收单位");
        bool bad = false;
        p->dispositions = json_array ();
        for (int k = 0; k < n_kinds && !bad; k++) {
            const char *kind = s_word (s_dispositions, kinds[k]);
            if (!kind) {
                char known[512];
                s_words_known (s_dispositions, known, sizeof known);
                import_refuse (imp, F_PROBLEMS, row, "处置 '%s' is none of %s", kinds[k], known);
                bad = true;
            }
            else if (!strcmp (kind, "feedback")) {
                p->feedback = true;
                json_array_append_new (p->dispositions, json_pack ("{s:s, s:s}", "kind", kind, "timeliness", timeliness));
            }
            else if (!strcmp (kind, "special_report")) {
                const char *report = import_get (imp, F_PROBLEMS, row, "专题报告");
                json_array_append_new (p->dispositions,
                                       json_pack ("{s:s, s:s}", "kind", kind, "report", report[0] ? report : summary));
            }
            else if (!target[0]) {
                import_refuse (imp, F_PROBLEMS, row, "处置 %s needs 接收单位 (the iss of the receiving body or department)",
                          kinds[k]);
                bad = true;
            }
            else {
                p->referred = true;
                json_array_append_new (p->dispositions, json_pack ("{s:s, s:s}", "kind", kind,
                                                                  !strcmp (kind, "lead") ? "body" : "department", target));
            }
        }
        if (bad)
            continue;
        /* the rectification: what the unit planned and claimed, what the office signed off */
        p->measure = import_get (imp, F_PROBLEMS, row, "整改措施");
        p->owner = import_get (imp, F_PROBLEMS, row, "责任人");
        p->lead_leader = import_get (imp, F_PROBLEMS, row, "牵头领导");
        p->extend_reason = import_get (imp, F_PROBLEMS, row, "延期理由");
        p->evidence = import_get (imp, F_PROBLEMS, row, "佐证材料");
        const char *completion;
        long long measures, recovered, written_off;
        if (s_word_column (imp, F_PROBLEMS, row, "完成情况", s_completions, "completed", &completion) != 0
            || s_count (imp, F_PROBLEMS, row, "制度机制", 10000, &measures) != 0
            || s_money (imp, F_PROBLEMS, row, "清缴金额", &recovered) != 0
            || s_money (imp, F_PROBLEMS, row, "核销金额", &written_off) != 0)
            continue;
        bool rectify_data = p->due[0] || p->done_on[0] || p->closed_on[0] || p->measure[0] || measures >= 0
                            || recovered >= 0 || written_off >= 0 || concern;
        if (rectify_data && !p->feedback) {
            import_refuse (imp, F_PROBLEMS, row, "rectification columns are filled but 处置 has no 反馈整改");
            continue;
        }
        if (p->closed_on[0] && !p->done_on[0]) {
            import_refuse (imp, F_PROBLEMS, row, "销号时间 without 完成时间: an item is signed off after the unit's claim");
            continue;
        }
        if (p->done_on[0] && strcmp (p->done_on, p->classified_on) < 0) {
            import_refuse (imp, F_PROBLEMS, row, "完成时间 %s is before 处置时间 %s", p->done_on, p->classified_on);
            continue;
        }
        if (!p->closed_on[0] && p->done_on[0])
            snprintf (p->closed_on, DATE_BUF, "%s", p->done_on);
        if (strcmp (p->closed_on, p->done_on) < 0) {
            import_refuse (imp, F_PROBLEMS, row, "销号时间 %s is before 完成时间 %s", p->closed_on, p->done_on);
            continue;
        }
        if (!strcmp (timeliness, "long_term") && !p->due[0] && !p->done_on[0]) {
            import_refuse (imp, F_PROBLEMS, row, "长期坚持 needs 整改时限 or 完成时间 (its milestone)");
            continue;
        }
        if (p->done_on[0]) {
            json_t *outcomes = json_object ();
            if (measures >= 0)
                json_object_set_new (outcomes, "institutional_measures", json_integer (measures));
            if (recovered >= 0)
                json_object_set_new (outcomes, "money_recovered_fen", json_integer (recovered));
            if (written_off >= 0)
                json_object_set_new (outcomes, "money_written_off_fen", json_integer (written_off));
            if (concern)
                json_object_set_new (outcomes, "public_concern_resolved", json_true ());
            /* the evidence is the office's paper record: the file named, or this row itself, named
               by its number and digested as read (dates normalized), so that the same row saved
               again by a spreadsheet, or moved to another line, is the same claim */
            json_t *claim = json_pack ("{s:s, s:o}", "completion", completion, "outcomes", outcomes);
            json_t *record = json_pack ("{s:O, s:O, s:s, s:s, s:s}", "report", p->report, "claim", claim,
                                        "due", p->due, "done_on", p->done_on, "closed_on", p->closed_on);
            char *text = record ? json_dumps (record, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
            unsigned char digest[XC_SHA256_BYTES];
            char hex[2 * XC_SHA256_BYTES + 1], file[300];
            xc_sha256 (text ? text : "", text ? strlen (text) : 0, NULL, 0, digest);
            xc_hex_encode (digest, sizeof digest, hex);
            free (text);
            json_decref (record);
            snprintf (file, sizeof file, "问题编号 %s", p->no);
            json_object_set_new (claim, "evidence", json_pack ("[{s:s, s:s}]", "file", p->evidence[0] ? p->evidence : file,
                                                               "sha256", hex));
            p->claim = claim;
        }
        else if (measures >= 0 || recovered >= 0 || written_off >= 0 || concern) {
            import_refuse (imp, F_PROBLEMS, row, "outcomes (制度机制, 清缴金额, 核销金额, 群众关切) without 完成时间: only a claim"
                      " carries them");
            continue;
        }
        if (!p->report) {
            import_refuse (imp, F_PROBLEMS, row, "a text is not UTF-8");
            continue;
        }
        p->ok = true;
        imp->n_problems++;
    }
}

static void
s_check_leads (import_t *imp)
{
    if (!imp->files[F_LEADS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_LEADS].csv;
    imp->leads = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->leads);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        import_lead_t *l = &imp->leads[imp->n_leads];
        json_decref (l->people);
        memset (l, 0, sizeof *l);
        l->row = row;
        const char *no = import_get (imp, F_LEADS, row, "问题编号");
        l->problem = s_problem_index (imp, no);
        if (l->problem < 0) {
            import_refuse (imp, F_LEADS, row, "问题编号 '%s' is no problem of the problems file (or its line was refused)", no);
            continue;
        }
        if (!imp->problems[l->problem].referred) {
            import_refuse (imp, F_LEADS, row, "problem %s was neither 移交线索 nor 移交部门", no);
            continue;
        }
        for (size_t k = 0; k < imp->n_leads; k++)
            if (imp->leads[k].problem == l->problem) {
                import_refuse (imp, F_LEADS, row, "problem %s is on line %ld too", no, imp->leads[k].row->line);
                l->problem = -1;
                break;
            }
        if (l->problem < 0)
            continue;
        if (s_word_column (imp, F_LEADS, row, "处置方式", s_methods, NULL, &l->method) != 0
            || s_date_column (imp, F_LEADS, row, "处置时间", true, l->dispose_on) != 0
            || s_date_column (imp, F_LEADS, row, "受理时间", false, l->ack_on) != 0
            || s_date_column (imp, F_LEADS, row, "结果时间", false, l->outcome_on) != 0
            || s_date_column (imp, F_LEADS, row, "办结时间", false, l->conclude_on) != 0
            || s_yes (imp, F_LEADS, row, "立案", &l->case_filed) != 0
            || s_count (imp, F_LEADS, row, "制度机制", 10000, &l->measures) != 0)
            continue;
        if (!l->method) {
            import_refuse (imp, F_LEADS, row, "处置方式 is empty");
            continue;
        }
        const import_problem_t *p = &imp->problems[l->problem];
        if (!l->ack_on[0])
            snprintf (l->ack_on, DATE_BUF, "%s", l->dispose_on);
        if (!l->outcome_on[0])
            snprintf (l->outcome_on, DATE_BUF, "%s", l->conclude_on[0] ? l->conclude_on : l->dispose_on);
        const char *order[][2] = { { "处置时间 (the referral)", p->classified_on }, { "受理时间", l->ack_on },
                                   { "处置时间", l->dispose_on }, { "结果时间", l->outcome_on },
                                   { "办结时间", l->conclude_on } };
        bool bad = false;
        for (int k = 1; k < 5 && !bad; k++)
            for (int j = 0; j < k && !bad; j++)
                if (order[k][1][0] && strcmp (order[k][1], order[j][1]) < 0) {
                    import_refuse (imp, F_LEADS, row, "%s %s is before %s %s", order[k][0], order[k][1], order[j][0], order[j][1]);
                    bad = true;
                }
        if (bad)
            continue;
        bool park = !strcmp (l->method, "park");
        if (park && (l->case_filed || l->conclude_on[0] || l->measures >= 0)) {
            import_refuse (imp, F_LEADS, row, "暂存待查 has no outcome: 立案, 办结时间 and 制度机制 must be empty");
            continue;
        }
        l->note = import_get (imp, F_LEADS, row, "备注");
        l->people = json_array ();
        l->ok = true;
        imp->n_leads++;
    }
}

/*  A kind of the referral policy's list (party_sanction ...) by its name or id (empty: none).
    0, or -1 after refusing with the names known. */
static int
s_kind_column (import_t *imp, const ctl_csv_row_t *row, const char *column, const char *list, const char **out)
{
    const char *text = import_get (imp, F_PEOPLE, row, column);
    *out = NULL;
    if (!text[0])
        return 0;
    size_t i;
    const json_t *kind;
    const json_t *kinds = json_object_get (imp->referral.outcomes, list);
    json_array_foreach (kinds, i, kind)
        if (!strcmp (json_string_value (json_object_get (kind, "id")), text)
            || !strcmp (json_string_value (json_object_get (kind, "name")), text)) {
            *out = json_string_value (json_object_get (kind, "id"));
            return 0;
        }
    char known[1024];
    size_t at = 0;
    known[0] = 0;
    json_array_foreach (kinds, i, kind)
        if (at < sizeof known)
            at += (size_t) snprintf (known + at, sizeof known - at, "%s%s", i ? "、" : "",
                                     json_string_value (json_object_get (kind, "name")));
    import_refuse (imp, F_PEOPLE, row, "%s '%s' is none of %s (policies.referral)", column, text, known);
    return -1;
}

/*  形态: 1-4, or the policy's name of a form (第一种形态), or the start of one (第一种). */
static int
s_form_column (import_t *imp, const ctl_csv_row_t *row, int *form)
{
    const char *text = import_get (imp, F_PEOPLE, row, "形态");
    *form = 0;
    if (text[0] >= '1' && text[0] <= '4' && !text[1])
        *form = text[0] - '0';
    size_t i;
    const json_t *name;
    json_array_foreach (json_object_get (imp->referral.outcomes, "forms"), i, name)
        if (text[0] && !*form && !strncmp (json_string_value (name), text, strlen (text)))
            *form = (int) i + 1;
    if (*form)
        return 0;
    import_refuse (imp, F_PEOPLE, row, "形态 '%s' is none of 1-4, 第一种形态 … 第四种形态", text);
    return -1;
}

static void
s_check_people (import_t *imp)
{
    if (!imp->files[F_PEOPLE].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_PEOPLE].csv;
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        const char *no = import_get (imp, F_PEOPLE, row, "问题编号");
        import_lead_t *lead = NULL;
        for (size_t k = 0; k < imp->n_leads && !lead; k++)
            if (!strcmp (imp->problems[imp->leads[k].problem].no, no))
                lead = &imp->leads[k];
        if (!lead) {
            import_refuse (imp, F_PEOPLE, row, "问题编号 '%s' has no line in the leads file (or it was refused)", no);
            continue;
        }
        if (!strcmp (lead->method, "park")) {
            import_refuse (imp, F_PEOPLE, row, "problem %s was 暂存待查: it has no outcome", no);
            continue;
        }
        const char *party, *administrative, *handling;
        int form;
        bool detained, prosecuted;
        if (s_form_column (imp, row, &form) != 0
            || s_kind_column (imp, row, "党纪处分", "party_sanction", &party) != 0
            || s_kind_column (imp, row, "政务处分", "administrative_sanction", &administrative) != 0
            || s_kind_column (imp, row, "组织处理", "organizational_handling", &handling) != 0
            || s_yes (imp, F_PEOPLE, row, "留置", &detained) != 0 || s_yes (imp, F_PEOPLE, row, "移送司法", &prosecuted) != 0)
            continue;
        json_array_append_new (lead->people,
                               json_pack ("{s:i, s:o, s:o, s:o, s:b, s:b}", "form", form, "party_sanction",
                                          party ? json_string (party) : json_null (), "administrative_sanction",
                                          administrative ? json_string (administrative) : json_null (),
                                          "organizational_handling", handling ? json_string (handling) : json_null (),
                                          "detained", detained, "prosecuted", prosecuted));
    }
}

static void
s_check_reports (import_t *imp)
{
    if (!imp->files[F_REPORTS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_REPORTS].csv;
    imp->reports = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->reports);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        import_report_t *r = &imp->reports[imp->n_reports];
        json_decref (r->create);
        json_decref (r->sign);
        memset (r, 0, sizeof *r);
        r->row = row;
        const char *no = import_get (imp, F_REPORTS, row, "报告编号"), *round = import_get (imp, F_REPORTS, row, "轮次编号");
        const char *title = import_get (imp, F_REPORTS, row, "报告标题"), *detail = import_get (imp, F_REPORTS, row, "报告内容");
        const char *target = import_get (imp, F_REPORTS, row, "接收单位"), *leader = import_get (imp, F_REPORTS, row, "签批领导");
        const char *leader_title = import_get (imp, F_REPORTS, row, "签批职务"), *category_text = import_get (imp, F_REPORTS, row, "问题类别");
        if (!no[0] || strlen (no) >= ID_MAX) {
            import_refuse (imp, F_REPORTS, row, "报告编号 '%s' must be 1-64 bytes: the office's own number of the report", no);
            continue;
        }
        bool twice = false;
        for (size_t k = 0; k < imp->n_reports; k++)
            twice = twice || !strcmp (imp->reports[k].no, no);
        if (twice) {
            import_refuse (imp, F_REPORTS, row, "报告编号 '%s' is on an earlier line too", no);
            continue;
        }
        if (!title[0] || !target[0]) {
            import_refuse (imp, F_REPORTS, row, "%s is empty", title[0] ? "接收单位" : "报告标题");
            continue;
        }
        if (round[0] && (import_round_index (imp, round) < 0 || !imp->rounds[import_round_index (imp, round)].ok)) {
            import_refuse (imp, F_REPORTS, row, "轮次编号 '%s' is no round of the rounds file (or its line was refused)", round);
            continue;
        }
        char sent[DATE_BUF], signed_on[DATE_BUF];
        if (s_date_column (imp, F_REPORTS, row, "报送时间", true, sent) != 0
            || s_date_column (imp, F_REPORTS, row, "签批时间", false, signed_on) != 0)
            continue;
        if ((leader[0] || leader_title[0] || signed_on[0]) && !(leader[0] && leader_title[0])) {
            import_refuse (imp, F_REPORTS, row, "a sign-off needs 签批领导 and 签批职务");
            continue;
        }
        if (signed_on[0] && strcmp (signed_on, sent) < 0) {
            import_refuse (imp, F_REPORTS, row, "签批时间 %s is before 报送时间 %s", signed_on, sent);
            continue;
        }
        snprintf (r->no, sizeof r->no, "%s", no);
        r->create = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "kind", "report", "target", target, "title", title,
                               "detail", detail[0] ? detail : title, "occurred_on", sent);
        if (!r->create) {
            import_refuse (imp, F_REPORTS, row, "a text is not UTF-8");
            continue;
        }
        if (round[0])
            json_object_set_new (r->create, "round", json_string (round));
        const char *unit = import_get (imp, F_REPORTS, row, "被巡察单位");
        if (unit[0])
            json_object_set_new (r->create, "unit", json_string (unit));
        if (category_text[0]) {
            const char *why = NULL;
            const char *category = s_category (imp, category_text, &why);
            if (!category) {
                import_refuse (imp, F_REPORTS, row, "问题类别 '%s': %s", category_text, why);
                continue;
            }
            json_object_set_new (r->create, "category", json_string (category));
        }
        if (leader[0])
            r->sign = json_pack ("{s:{s:s, s:s}, s:s}", "leader", "name", leader, "title", leader_title, "occurred_on",
                                 signed_on[0] ? signed_on : sent);
        r->ok = true;
        imp->n_reports++;
    }
}

void
import_check (import_t *imp)
{
    s_check_rounds (imp);
    s_check_targets (imp);
    s_check_problems (imp);
    s_check_leads (imp);
    s_check_people (imp);
    s_check_reports (imp);
}
