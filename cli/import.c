/*  import.c: xcctl import round: the office's past rounds loaded from its own spreadsheets
    (CSV with Chinese headers, docs/xcctl.md "Importing past rounds"), signed command by command
    as the office with each fact's real date (occurred_on, docs/protocol.md "History").

    Six files, each optional but the rounds: 轮次 (rounds and their stage dates), 被巡察单位 (the
    targets), 问题 (problems, their disposition and rectification), 线索处置 (what the bodies did
    with leads and handovers), 处理人员 (one row a person dealt with) and 专题报告 (special reports
    sent to departments, with a leader's sign-off). Every row is checked
    here first; a refused row is named by file:line and the rest go on (rows that depend on it,
    as a round's problems, are refused with it). Each command's id is derived from what the row
    names (the round's id, the office's problem number) and the step, so running the same import
    again has no second effect: the services answer duplicate with the first result.
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/csv.h"
#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/clock.h"
#include "common/codec.h"
#include "common/date.h"
#include "common/hash.h"
#include "services/intake/intake.h"
#include "services/referral/referral.h"

#define ID_MAX 65
#define DATE_BUF (XC_DATE_LEN + 1)

/* ---------------------------------------------------------------- the words of the files */

typedef struct {
    const char *word, *id;
} s_word_t;

static const s_word_t s_kinds[] = {
    { "常规巡察", "regular" }, { "常规", "regular" }, { "专项巡察", "special" }, { "专项", "special" },
    { "机动巡察", "mobile" }, { "机动", "mobile" }, { "回头看", "lookback" }, { NULL, NULL },
};
static const s_word_t s_modes[] = {
    { "提级巡察", "elevated" }, { "提级", "elevated" }, { "交叉巡察", "cross" }, { "交叉", "cross" },
    { "系统巡察", "system" }, { "系统", "system" }, { "延伸巡察", "extended" }, { "延伸", "extended" },
    { "联动巡察", "linked" }, { "联动", "linked" }, { "审计联动", "audit_linked" }, { NULL, NULL },
};
static const s_word_t s_coverages[] = { { "主体", "main" }, { "延伸", "extended" }, { NULL, NULL } };
static const s_word_t s_visit_kinds[] = { { "回访", "return_visit" }, { "专项检查", "special_check" }, { NULL, NULL } };
static const s_word_t s_sources[] = {
    { "巡察组", "inspection_team" }, { "巡察发现", "inspection_team" }, { "信访", "petition" },
    { "审计", "audit" }, { "群众", "public" }, { "码上巡", "public" }, { NULL, NULL },
};
static const s_word_t s_dispositions[] = {
    { "反馈整改", "feedback" }, { "移交线索", "lead" }, { "问题线索", "lead" }, { "移交部门", "handover" },
    { "移交职能部门", "handover" }, { "专题报告", "special_report" }, { NULL, NULL },
};
static const s_word_t s_timeliness[] = {
    { "立行立改", "immediate" }, { "限期整改", "deadline" }, { "长期坚持", "long_term" }, { NULL, NULL },
};
static const s_word_t s_completions[] = {
    { "完成", "completed" }, { "已完成", "completed" }, { "基本完成", "mostly_completed" }, { NULL, NULL },
};
static const s_word_t s_severities[] = {
    { "一般", "general" }, { "较重", "serious" }, { "严重", "grave" }, { NULL, NULL },
};
static const s_word_t s_methods[] = {
    { "谈话函询", "talk_inquiry" }, { "初步核实", "preliminary_verification" }, { "暂存待查", "park" },
    { "予以了结", "close" }, { NULL, NULL },
};
/* a round's stages after planned, by the column that dates them (docs/services/intake.md) */
static const s_word_t s_stages[] = {
    { "进驻", "stationed" }, { "撤离", "withdrawn" }, { "报告", "reported" }, { "反馈", "feedback_delivered" },
    { "整改", "rectifying" }, { "整改报告", "rectification_reported" }, { "评估", "evaluated" }, { "结束", "closed" },
};
#define N_STAGES 8
#define STAGE_FEEDBACK 3

/*  The id of word: a word of the list, or one of its ids as is. NULL when neither. */
static const char *
s_word (const s_word_t *list, const char *word)
{
    for (const s_word_t *w = list; w->word; w++)
        if (strcmp (w->word, word) == 0 || strcmp (w->id, word) == 0)
            return w->id;
    return NULL;
}

/*  "a、b、c" for an error message. */
static void
s_words_known (const s_word_t *list, char *out, size_t len)
{
    size_t at = 0;
    out[0] = 0;
    for (const s_word_t *w = list; w->word && at < len; w++)
        at += (size_t) snprintf (out + at, len - at, "%s%s", at ? "、" : "", w->word);
}

/* ------------------------------------------------------------------------ the files */

typedef struct {
    const char *name;
    bool required;
} s_column_t;

enum { F_ROUNDS, F_TARGETS, F_PROBLEMS, F_LEADS, F_PEOPLE, F_REPORTS, N_FILES };

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
                      { "约谈时间", false }, { NULL, false } } },
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

typedef struct {
    const char *path;
    ctl_csv_t csv;
    bool loaded;
} s_file_t;

typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    char id[ID_MAX];
    json_t *open;                    /* round.open's data; targets added from the targets file */
    char stages[N_STAGES][DATE_BUF];
    int n_stages;                    /* the stages dated, in order */
} s_round_t;

typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    char no[ID_MAX];                 /* 问题编号: the office's own number, unique over every import */
    int round;                       /* index into rounds, or -1 */
    char round_id[ID_MAX];
    char unit_text[256];
    json_t *report, *dispositions;
    char found_on[DATE_BUF], classified_on[DATE_BUF];
    bool feedback, referred;         /* referred: a lead or a handover */
    char timeliness[16];
    /* rectification */
    char due[DATE_BUF], done_on[DATE_BUF], closed_on[DATE_BUF];
    const char *measure, *owner, *lead_leader, *extend_reason, *evidence;
    json_t *claim;                   /* the claim's data but item and occurred_on */
    /* learnt from the services */
    json_int_t problem, item, referral;
    char unit[ID_MAX], unit_name[256];
} s_problem_t;

typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    int problem;
    char ack_on[DATE_BUF], dispose_on[DATE_BUF], outcome_on[DATE_BUF], conclude_on[DATE_BUF];
    const char *method, *note;
    bool case_filed;
    long long measures;              /* -1: not given */
    json_t *people;
} s_lead_t;

/*  What the office did with a target unit after feedback: its return visit, an interview. */
typedef struct {
    const ctl_csv_row_t *row;
    int round;
    const char *unit;                /* as written: an id or a name */
    char visit_on[DATE_BUF];
    json_t *kinds;                   /* the visit's kinds, or NULL: no visit */
    json_t *interview;               /* rectify.interview's data but round and unit, or NULL */
} s_target_t;

/*  A special report (专题报告) sent to a department, and a leader's sign-off on it. */
typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    char no[ID_MAX];
    json_t *create;                  /* referral.create's data; its unit resolved when sent */
    json_t *sign;                    /* referral.sign's data but the referral, or NULL */
} s_report_t;

typedef struct {
    ctl_t *ctl;
    bool check;                      /* --check: the files only, nothing sent */
    s_file_t files[N_FILES];
    int col[N_FILES][40];
    intake_policy_t categories;      /* intake's own policy module: the same names */
    referral_policy_t referral;      /* the kinds of a person's outcome and their names */
    xc_date_t today;
    s_round_t *rounds;
    size_t n_rounds;
    s_problem_t *problems;
    size_t n_problems;
    s_lead_t *leads;
    size_t n_leads;
    s_report_t *reports;
    size_t n_reports;
    s_target_t *targets;             /* those with a visit or an interview */
    size_t n_targets;
    json_t *units;                   /* id -> {name, ...} from unit.list */
    long refused;
    long done[16];
} s_import_t;

enum { D_ROUNDS, D_PROBLEMS, D_ITEMS_CLOSED, D_LEADS, D_PEOPLE, D_REPORTS, D_SIGNED, D_VISITS, D_INTERVIEWS };

static const char *
s_get (const s_import_t *imp, int file, const ctl_csv_row_t *row, const char *column)
{
    const s_column_t *cols = s_files[file].columns;
    for (int i = 0; cols[i].name; i++)
        if (strcmp (cols[i].name, column) == 0)
            return ctl_csv_field (row, imp->col[file][i]);
    return "";
}

/*  Names a refused row: "FILE:LINE: why". */
__attribute__ ((format (printf, 4, 5))) static void
s_refuse (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *fmt, ...)
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
static int
s_load (s_import_t *imp)
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

/* ----------------------------------------------------------------- checking the rows */

/*  A date as spreadsheets write it (2019-03-05, 2019/3/5, 2019.3.5, 2019年3月5日) into out as
    YYYY-MM-DD. 0; -1 when it is no real date; 1 when it is after today. */
static int
s_date (const s_import_t *imp, const char *text, char out[DATE_BUF])
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
s_date_column (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *column, bool required,
               char out[DATE_BUF])
{
    const char *text = s_get (imp, file, row, column);
    out[0] = 0;
    if (!text[0]) {
        if (!required)
            return 0;
        s_refuse (imp, file, row, "%s is empty", column);
        return -1;
    }
    int rc = s_date (imp, text, out);
    if (rc < 0)
        s_refuse (imp, file, row, "%s '%s' is no date (2019-03-05, 2019/3/5 or 2019年3月5日)", column, text);
    else if (rc > 0)
        s_refuse (imp, file, row, "%s %s is after today: only facts that happened are imported", column, out);
    return rc == 0 ? 0 : -1;
}

/*  A word of list in column (empty: dflt, which may be NULL for none). 0, or -1 after refusing. */
static int
s_word_column (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *column, const s_word_t *list,
               const char *dflt, const char **out)
{
    const char *text = s_get (imp, file, row, column);
    *out = text[0] ? s_word (list, text) : dflt;
    if (text[0] && !*out) {
        char known[512];
        s_words_known (list, known, sizeof known);
        s_refuse (imp, file, row, "%s '%s' is none of %s", column, text, known);
        return -1;
    }
    return 0;
}

/*  是/否 (also 1/0, Y/N, true/false; empty: false). 0, or -1 after refusing. */
static int
s_yes (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *column, bool *out)
{
    const char *text = s_get (imp, file, row, column);
    *out = false;
    if (!text[0] || !strcmp (text, "否") || !strcmp (text, "0") || !strcasecmp (text, "n") || !strcasecmp (text, "false"))
        return 0;
    if (!strcmp (text, "是") || !strcmp (text, "1") || !strcasecmp (text, "y") || !strcasecmp (text, "true")) {
        *out = true;
        return 0;
    }
    s_refuse (imp, file, row, "%s '%s' is neither 是 nor 否", column, text);
    return -1;
}

/*  A count 0-max in column (empty: -1). 0, or -1 after refusing. */
static int
s_count (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *column, long long max, long long *out)
{
    const char *text = s_get (imp, file, row, column);
    *out = -1;
    if (!text[0])
        return 0;
    char *end;
    long long v = strtoll (text, &end, 10);
    if (*end || !isdigit ((unsigned char) text[0]) || v > max) {
        s_refuse (imp, file, row, "%s '%s' is no whole number from 0 to %lld", column, text, max);
        return -1;
    }
    *out = v;
    return 0;
}

/*  An amount in yuan with at most two decimals ("96570000", "1261.5", "1,261.50") as fen
    (empty: -1). 0, or -1 after refusing. */
static int
s_money (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *column, long long *fen)
{
    const char *text = s_get (imp, file, row, column);
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
    s_refuse (imp, file, row, "%s '%s' is no amount in yuan (at most two decimals, below 10^11)", column, text);
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
s_category (const s_import_t *imp, const char *text, const char **why)
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

static int
s_round_index (const s_import_t *imp, const char *id)
{
    for (size_t i = 0; i < imp->n_rounds; i++)
        if (strcmp (imp->rounds[i].id, id) == 0)
            return (int) i;
    return -1;
}

static int
s_problem_index (const s_import_t *imp, const char *no)
{
    for (size_t i = 0; i < imp->n_problems; i++)
        if (strcmp (imp->problems[i].no, no) == 0)
            return (int) i;
    return -1;
}

static bool
s_id_ok (const char *id)
{
    size_t n = strlen (id);
    if (n < 1 || n > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum ((unsigned char) *p) && !strchr ("._:-", *p))
            return false;
    return true;
}

static void
s_check_rounds (s_import_t *imp)
{
    const ctl_csv_t *csv = &imp->files[F_ROUNDS].csv;
    imp->rounds = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->rounds);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        s_round_t *r = &imp->rounds[imp->n_rounds];
        r->row = row;
        const char *id = s_get (imp, F_ROUNDS, row, "轮次编号");
        if (!s_id_ok (id)) {
            s_refuse (imp, F_ROUNDS, row, "轮次编号 '%s' is no round id (1-64 of A-Z a-z 0-9 . _ : -)", id);
            continue;
        }
        if (s_round_index (imp, id) >= 0) {
            s_refuse (imp, F_ROUNDS, row, "轮次编号 '%s' is on an earlier line too", id);
            continue;
        }
        snprintf (r->id, sizeof r->id, "%s", id);
        const char *kind, *name = s_get (imp, F_ROUNDS, row, "轮次名称"), *team = s_get (imp, F_ROUNDS, row, "巡察组");
        char opened[DATE_BUF], start[DATE_BUF], end[DATE_BUF];
        if (!name[0]) {
            s_refuse (imp, F_ROUNDS, row, "轮次名称 is empty");
            continue;
        }
        if (!team[0]) {
            s_refuse (imp, F_ROUNDS, row, "巡察组 is empty (the iss of the team's principal)");
            continue;
        }
        if (s_word_column (imp, F_ROUNDS, row, "类型", s_kinds, NULL, &kind) != 0
            || s_date_column (imp, F_ROUNDS, row, "计划开始", true, start) != 0
            || s_date_column (imp, F_ROUNDS, row, "计划结束", true, end) != 0
            || s_date_column (imp, F_ROUNDS, row, "立项", false, opened) != 0)
            continue;
        if (!kind) {
            s_refuse (imp, F_ROUNDS, row, "类型 is empty");
            continue;
        }
        if (strcmp (end, start) < 0) {
            s_refuse (imp, F_ROUNDS, row, "计划结束 %s is before 计划开始 %s", end, start);
            continue;
        }
        json_t *open = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[]}", "id", id, "name", name, "kind", kind,
                                  "team", team, "planned_start", start, "planned_end", end, "date",
                                  opened[0] ? opened : start, "targets");
        char modes_text[1024];
        snprintf (modes_text, sizeof modes_text, "%s", s_get (imp, F_ROUNDS, row, "方式"));
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
                    s_refuse (imp, F_ROUNDS, row, "方式 '%s' is none of %s", modes[m], known);
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
            const char *v = s_get (imp, F_ROUNDS, row, optional[k].column);
            if (v[0])
                json_object_set_new (open, optional[k].member, json_string (v));
        }
        const char *owner = s_get (imp, F_ROUNDS, row, "所属");
        if (owner[0] && strcmp (owner, "市委") != 0 && strcmp (owner, "市级") != 0 && strcmp (owner, "city") != 0)
            json_object_set_new (open, "owner", json_string (owner));   /* a district: resolved with the units */
        /* the stages: each dated one after the other, none skipped */
        char last[DATE_BUF];
        snprintf (last, sizeof last, "%s", opened[0] ? opened : start);
        for (int s = 0; s < N_STAGES && !bad; s++) {
            char day[DATE_BUF];
            if (s_date_column (imp, F_ROUNDS, row, s_stages[s].word, false, day) != 0) {
                bad = true;
                break;
            }
            if (!day[0])
                continue;
            if (s > r->n_stages) {
                s_refuse (imp, F_ROUNDS, row, "%s is dated but %s is not: a round goes through every stage", s_stages[s].word,
                          s_stages[r->n_stages].word);
                bad = true;
            }
            else if (strcmp (day, last) < 0) {
                s_refuse (imp, F_ROUNDS, row, "%s %s is before the stage before it (%s)", s_stages[s].word, day, last);
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
s_check_targets (s_import_t *imp)
{
    if (!imp->files[F_TARGETS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_TARGETS].csv;
    imp->targets = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->targets);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        const char *round = s_get (imp, F_TARGETS, row, "轮次编号"), *unit = s_get (imp, F_TARGETS, row, "被巡察单位");
        const char *coverage;
        int r = s_round_index (imp, round);
        if (r < 0) {
            s_refuse (imp, F_TARGETS, row, "轮次编号 '%s' is no round of the rounds file (or its line was refused)", round);
            continue;
        }
        if (!unit[0]) {
            s_refuse (imp, F_TARGETS, row, "被巡察单位 is empty");
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
        s_target_t t = { .row = row, .round = r, .unit = unit };
        const char *who = s_get (imp, F_TARGETS, row, "约谈对象"), *title = s_get (imp, F_TARGETS, row, "约谈职务");
        const char *by = s_get (imp, F_TARGETS, row, "约谈人");
        char interviewed_on[DATE_BUF];
        if (s_date_column (imp, F_TARGETS, row, "回访时间", false, t.visit_on) != 0
            || s_date_column (imp, F_TARGETS, row, "约谈时间", false, interviewed_on) != 0)
            continue;
        const char *feedback = imp->rounds[r].n_stages > STAGE_FEEDBACK ? imp->rounds[r].stages[STAGE_FEEDBACK] : NULL;
        if ((t.visit_on[0] || interviewed_on[0]) && !feedback) {
            s_refuse (imp, F_TARGETS, row, "回访 and 约谈 come after feedback: round %s has no 反馈 date", round);
            continue;
        }
        if (t.visit_on[0] && strcmp (t.visit_on, feedback) < 0) {
            s_refuse (imp, F_TARGETS, row, "回访时间 %s is before the round's 反馈 %s", t.visit_on, feedback);
            continue;
        }
        if ((who[0] || title[0] || by[0] || interviewed_on[0]) && !(who[0] && title[0] && by[0] && interviewed_on[0])) {
            s_refuse (imp, F_TARGETS, row, "an interview needs 约谈对象, 约谈职务, 约谈人 and 约谈时间");
            continue;
        }
        if (t.visit_on[0]) {
            char kinds_text[256];
            snprintf (kinds_text, sizeof kinds_text, "%s", s_get (imp, F_TARGETS, row, "回访方式"));
            char *kinds[2];
            int n_kinds = s_split_list (kinds_text, kinds, 2);
            t.kinds = json_array ();
            if (!n_kinds)
                json_array_append_new (t.kinds, json_string ("return_visit"));
            bool bad = false;
            for (int k = 0; k < n_kinds && !bad; k++) {
                const char *kind = s_word (s_visit_kinds, kinds[k]);
                if (!kind) {
                    s_refuse (imp, F_TARGETS, row, "回访方式 '%s' is none of 回访、专项检查", kinds[k]);
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
        else if (s_get (imp, F_TARGETS, row, "回访方式")[0]) {
            s_refuse (imp, F_TARGETS, row, "回访方式 without 回访时间");
            continue;
        }
        if (who[0])
            t.interview = json_pack ("{s:{s:s, s:s}, s:s, s:s}", "interviewee", "name", who, "title", title, "by", by,
                                     "occurred_on", interviewed_on);
        if (t.kinds || t.interview)
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
s_check_problems (s_import_t *imp)
{
    if (!imp->files[F_PROBLEMS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_PROBLEMS].csv;
    imp->problems = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->problems);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        s_problem_t *p = &imp->problems[imp->n_problems];
        json_decref (p->report);         /* a slot left by a refused row */
        json_decref (p->dispositions);
        json_decref (p->claim);
        memset (p, 0, sizeof *p);
        p->row = row;
        p->round = -1;
        const char *no = s_get (imp, F_PROBLEMS, row, "问题编号");
        if (!no[0] || strlen (no) >= ID_MAX) {
            s_refuse (imp, F_PROBLEMS, row, "问题编号 '%s' must be 1-64 bytes: the office's own number of the problem", no);
            continue;
        }
        if (s_problem_index (imp, no) >= 0) {
            s_refuse (imp, F_PROBLEMS, row, "问题编号 '%s' is on an earlier line too", no);
            continue;
        }
        snprintf (p->no, sizeof p->no, "%s", no);
        const char *round = s_get (imp, F_PROBLEMS, row, "轮次编号");
        if (round[0]) {
            p->round = s_round_index (imp, round);
            if (p->round < 0) {
                s_refuse (imp, F_PROBLEMS, row, "轮次编号 '%s' is no round of the rounds file (or its line was refused)",
                          round);
                continue;
            }
            if (!imp->rounds[p->round].ok) {
                s_refuse (imp, F_PROBLEMS, row, "round %s was refused (its line in the rounds file)", round);
                continue;
            }
            snprintf (p->round_id, sizeof p->round_id, "%s", round);
        }
        const char *unit = s_get (imp, F_PROBLEMS, row, "被巡察单位");
        const char *summary = s_get (imp, F_PROBLEMS, row, "问题描述"), *detail = s_get (imp, F_PROBLEMS, row, "问题详情");
        const char *category_text = s_get (imp, F_PROBLEMS, row, "问题类别");
        if (!unit[0] || !summary[0]) {
            s_refuse (imp, F_PROBLEMS, row, "%s is empty", unit[0] ? "问题描述" : "被巡察单位");
            continue;
        }
        if (strlen (summary) > 500) {
            s_refuse (imp, F_PROBLEMS, row, "问题描述 is %zu bytes, above 500: put the whole text in 问题详情",
                      strlen (summary));
            continue;
        }
        snprintf (p->unit_text, sizeof p->unit_text, "%s", unit);
        const char *why = NULL;
        const char *category = s_category (imp, category_text, &why);
        if (!category) {
            s_refuse (imp, F_PROBLEMS, row, "问题类别 '%s': %s", category_text, why);
            continue;
        }
        const char *severity_text = s_get (imp, F_PROBLEMS, row, "严重程度");
        const char *severity = severity_text[0] ? s_word (s_severities, severity_text) : "general";
        if (!severity)
            severity = severity_text;             /* a severity of the policy: intake judges it */
        const char *source, *classify_kinds = s_get (imp, F_PROBLEMS, row, "处置"), *timeliness;
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
            s_refuse (imp, F_PROBLEMS, row, "处置时间 %s is before 发现时间 %s", p->classified_on, p->found_on);
            continue;
        }
        if (p->round >= 0 && strcmp (p->found_on, json_string_value (json_object_get (imp->rounds[p->round].open, "date"))) < 0) {
            s_refuse (imp, F_PROBLEMS, row, "发现时间 %s is before round %s was opened (%s)", p->found_on, round,
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
        const char *target = s_get (imp, F_PROBLEMS, row, "接收单位");
        bool bad = false;
        p->dispositions = json_array ();
        for (int k = 0; k < n_kinds && !bad; k++) {
            const char *kind = s_word (s_dispositions, kinds[k]);
            if (!kind) {
                char known[512];
                s_words_known (s_dispositions, known, sizeof known);
                s_refuse (imp, F_PROBLEMS, row, "处置 '%s' is none of %s", kinds[k], known);
                bad = true;
            }
            else if (!strcmp (kind, "feedback")) {
                p->feedback = true;
                json_array_append_new (p->dispositions, json_pack ("{s:s, s:s}", "kind", kind, "timeliness", timeliness));
            }
            else if (!strcmp (kind, "special_report")) {
                const char *report = s_get (imp, F_PROBLEMS, row, "专题报告");
                json_array_append_new (p->dispositions,
                                       json_pack ("{s:s, s:s}", "kind", kind, "report", report[0] ? report : summary));
            }
            else if (!target[0]) {
                s_refuse (imp, F_PROBLEMS, row, "处置 %s needs 接收单位 (the iss of the receiving body or department)",
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
        p->measure = s_get (imp, F_PROBLEMS, row, "整改措施");
        p->owner = s_get (imp, F_PROBLEMS, row, "责任人");
        p->lead_leader = s_get (imp, F_PROBLEMS, row, "牵头领导");
        p->extend_reason = s_get (imp, F_PROBLEMS, row, "延期理由");
        p->evidence = s_get (imp, F_PROBLEMS, row, "佐证材料");
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
            s_refuse (imp, F_PROBLEMS, row, "rectification columns are filled but 处置 has no 反馈整改");
            continue;
        }
        if (p->closed_on[0] && !p->done_on[0]) {
            s_refuse (imp, F_PROBLEMS, row, "销号时间 without 完成时间: an item is signed off after the unit's claim");
            continue;
        }
        if (p->done_on[0] && strcmp (p->done_on, p->classified_on) < 0) {
            s_refuse (imp, F_PROBLEMS, row, "完成时间 %s is before 处置时间 %s", p->done_on, p->classified_on);
            continue;
        }
        if (!p->closed_on[0] && p->done_on[0])
            snprintf (p->closed_on, DATE_BUF, "%s", p->done_on);
        if (strcmp (p->closed_on, p->done_on) < 0) {
            s_refuse (imp, F_PROBLEMS, row, "销号时间 %s is before 完成时间 %s", p->closed_on, p->done_on);
            continue;
        }
        if (!strcmp (timeliness, "long_term") && !p->due[0] && !p->done_on[0]) {
            s_refuse (imp, F_PROBLEMS, row, "长期坚持 needs 整改时限 or 完成时间 (its milestone)");
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
            /* the evidence is the office's paper record: the file named, or this row itself */
            unsigned char digest[XC_SHA256_BYTES];
            char hex[2 * XC_SHA256_BYTES + 1], file[300];
            xc_sha256 (row->raw, row->raw_len, NULL, 0, digest);
            xc_hex_encode (digest, sizeof digest, hex);
            const char *base = strrchr (imp->files[F_PROBLEMS].path, '/');
            snprintf (file, sizeof file, "%.200s:%ld", base ? base + 1 : imp->files[F_PROBLEMS].path, row->line);
            p->claim = json_pack ("{s:s, s:[{s:s, s:s}], s:o}", "completion", completion, "evidence", "file",
                                  p->evidence[0] ? p->evidence : file, "sha256", hex, "outcomes", outcomes);
        }
        else if (measures >= 0 || recovered >= 0 || written_off >= 0 || concern) {
            s_refuse (imp, F_PROBLEMS, row, "outcomes (制度机制, 清缴金额, 核销金额, 群众关切) without 完成时间: only a claim"
                      " carries them");
            continue;
        }
        if (!p->report) {
            s_refuse (imp, F_PROBLEMS, row, "a text is not UTF-8");
            continue;
        }
        p->ok = true;
        imp->n_problems++;
    }
}

static void
s_check_leads (s_import_t *imp)
{
    if (!imp->files[F_LEADS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_LEADS].csv;
    imp->leads = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->leads);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        s_lead_t *l = &imp->leads[imp->n_leads];
        json_decref (l->people);
        memset (l, 0, sizeof *l);
        l->row = row;
        const char *no = s_get (imp, F_LEADS, row, "问题编号");
        l->problem = s_problem_index (imp, no);
        if (l->problem < 0) {
            s_refuse (imp, F_LEADS, row, "问题编号 '%s' is no problem of the problems file (or its line was refused)", no);
            continue;
        }
        if (!imp->problems[l->problem].referred) {
            s_refuse (imp, F_LEADS, row, "problem %s was neither 移交线索 nor 移交部门", no);
            continue;
        }
        for (size_t k = 0; k < imp->n_leads; k++)
            if (imp->leads[k].problem == l->problem) {
                s_refuse (imp, F_LEADS, row, "problem %s is on line %ld too", no, imp->leads[k].row->line);
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
            s_refuse (imp, F_LEADS, row, "处置方式 is empty");
            continue;
        }
        const s_problem_t *p = &imp->problems[l->problem];
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
                    s_refuse (imp, F_LEADS, row, "%s %s is before %s %s", order[k][0], order[k][1], order[j][0], order[j][1]);
                    bad = true;
                }
        if (bad)
            continue;
        bool park = !strcmp (l->method, "park");
        if (park && (l->case_filed || l->conclude_on[0] || l->measures >= 0)) {
            s_refuse (imp, F_LEADS, row, "暂存待查 has no outcome: 立案, 办结时间 and 制度机制 must be empty");
            continue;
        }
        l->note = s_get (imp, F_LEADS, row, "备注");
        l->people = json_array ();
        l->ok = true;
        imp->n_leads++;
    }
}

/*  A kind of the referral policy's list (party_sanction ...) by its name or id (empty: none).
    0, or -1 after refusing with the names known. */
static int
s_kind_column (s_import_t *imp, const ctl_csv_row_t *row, const char *column, const char *list, const char **out)
{
    const char *text = s_get (imp, F_PEOPLE, row, column);
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
    s_refuse (imp, F_PEOPLE, row, "%s '%s' is none of %s (policies.referral)", column, text, known);
    return -1;
}

/*  形态: 1-4, or the policy's name of a form (第一种形态), or the start of one (第一种). */
static int
s_form_column (s_import_t *imp, const ctl_csv_row_t *row, int *form)
{
    const char *text = s_get (imp, F_PEOPLE, row, "形态");
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
    s_refuse (imp, F_PEOPLE, row, "形态 '%s' is none of 1-4, 第一种形态 … 第四种形态", text);
    return -1;
}

static void
s_check_people (s_import_t *imp)
{
    if (!imp->files[F_PEOPLE].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_PEOPLE].csv;
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        const char *no = s_get (imp, F_PEOPLE, row, "问题编号");
        s_lead_t *lead = NULL;
        for (size_t k = 0; k < imp->n_leads && !lead; k++)
            if (!strcmp (imp->problems[imp->leads[k].problem].no, no))
                lead = &imp->leads[k];
        if (!lead) {
            s_refuse (imp, F_PEOPLE, row, "问题编号 '%s' has no line in the leads file (or it was refused)", no);
            continue;
        }
        if (!strcmp (lead->method, "park")) {
            s_refuse (imp, F_PEOPLE, row, "problem %s was 暂存待查: it has no outcome", no);
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

/* -------------------------------------------------------------------- the commands */

/*  The command's id: a UUID (version 8) from the signer and what the step is about, so that
    the same row imported again is the same command. */
static void
s_command_id (const s_import_t *imp, const char *what, char out[XC_UUID_LEN + 1])
{
    unsigned char digest[XC_SHA256_BYTES];
    char text[1024];
    int n = snprintf (text, sizeof text, "xcctl import round|%s|%s", imp->ctl->iss, what);
    xc_sha256 (text, (size_t) n, NULL, 0, digest);
    xc_uuid_format (digest, 8, out);
}

/*  Sends one command as the office with its derived id; the result (caller owns), or NULL
    after naming the row. *down is set when the service did not answer (the import stops). */
static json_t *
s_send (s_import_t *imp, int file, const ctl_csv_row_t *row, const char *service, const char *type, const char *what,
        json_t *data, bool *down)
{
    char id[XC_UUID_LEN + 1];
    char key[512];
    snprintf (key, sizeof key, "%s|%s", type, what);
    s_command_id (imp, key, id);
    ctl_request_t req = { .service = service, .type = type, .data = data, .id = id, .quiet = true };
    ctl_call_all (imp->ctl, &req, 1);
    if (req.code == CTL_OK)
        return req.result;
    if (req.code == CTL_DOWN || req.code == CTL_BAD_REPLY || req.code == CTL_LOCAL)
        *down = true;
    if (!strcmp (req.error, "replayed"))
        s_refuse (imp, file, row, "%s was imported before with other content (%s %s): a row, once imported, stays"
                  " as it was", what, service, type);
    else if (req.error[0])
        s_refuse (imp, file, row, "%s refused %s: %s: %s", service, type, req.error, req.message);
    else
        s_refuse (imp, file, row, "%s %s: no answer", service, type);
    return NULL;
}

/*  The units by id, for names and ids in the files. CTL_OK or the failure's code. */
static int
s_units (s_import_t *imp)
{
    int rc;
    json_t *items = ctl_list_all (imp->ctl, "intake", "unit.list", json_object (), &rc);
    if (!items)
        return rc;
    imp->units = json_object ();
    size_t i;
    json_t *u;
    json_array_foreach (items, i, u)
        json_object_set (imp->units, json_string_value (json_object_get (u, "id")), u);
    json_decref (items);
    return CTL_OK;
}

/*  A unit named by its id or its (current or former) name; NULL when none or more than one. */
static const json_t *
s_unit (const s_import_t *imp, const char *text, const char **why)
{
    const json_t *u = json_object_get (imp->units, text);
    if (u)
        return u;
    const json_t *found = NULL;
    const char *id;
    json_t *v;
    json_object_foreach ((json_t *) imp->units, id, v) {
        bool named = !strcmp (json_string_value (json_object_get (v, "name")), text);
        size_t k;
        json_t *n;
        json_array_foreach (json_object_get (v, "names"), k, n)
            named = named || !strcmp (json_string_value (json_object_get (n, "name")) ?: "", text);
        if (!named)
            continue;
        if (found) {
            *why = "more than one unit has that name: give the unit's id";
            return NULL;
        }
        found = v;
    }
    if (!found)
        *why = "no unit has that id or name (register it first: xcctl import units)";
    return found;
}

static void
s_round_refused (s_import_t *imp, s_round_t *r)
{
    r->ok = false;
    for (size_t k = 0; k < imp->n_problems; k++)
        if (imp->problems[k].ok && imp->problems[k].round == r - imp->rounds) {
            s_refuse (imp, F_PROBLEMS, imp->problems[k].row, "round %s was not opened", r->id);
            imp->problems[k].ok = false;
        }
}

/*  Opens a round with its targets, its owner resolved; advances it through its stages up to
    before (not including) stage `until`, from `from`. */
static void
s_round_advance (s_import_t *imp, s_round_t *r, int from, int until, bool *down)
{
    for (int s = from; s < until && s < r->n_stages && r->ok && !*down; s++) {
        char what[128];
        snprintf (what, sizeof what, "%s|%s", r->id, s_stages[s].id);
        json_t *res = s_send (imp, F_ROUNDS, r->row, "intake", "round.advance", what,
                              json_pack ("{s:s, s:s, s:s}", "round", r->id, "stage", s_stages[s].id, "date", r->stages[s]),
                              down);
        if (!res)
            s_round_refused (imp, r);
        json_decref (res);
    }
}

static void
s_round_open (s_import_t *imp, s_round_t *r, bool *down)
{
    json_t *targets = json_object_get (r->open, "targets");
    size_t i;
    json_t *t;
    json_array_foreach (targets, i, t) {
        const char *why = NULL;
        const json_t *u = s_unit (imp, json_string_value (json_object_get (t, "unit")), &why);
        if (!u) {
            const ctl_csv_row_t line = { .line = (long) json_integer_value (json_object_get (t, "line")) };
            s_refuse (imp, F_TARGETS, &line, "被巡察单位 '%s': %s", json_string_value (json_object_get (t, "unit")), why);
            s_round_refused (imp, r);
            return;
        }
        json_object_set (t, "unit", json_object_get (u, "id"));
        json_object_del (t, "line");
    }
    const char *owner = json_string_value (json_object_get (r->open, "owner"));
    if (owner) {
        const char *why = NULL;
        const json_t *u = s_unit (imp, owner, &why);
        if (!u) {
            s_refuse (imp, F_ROUNDS, r->row, "所属 '%s': %s", owner, why);
            s_round_refused (imp, r);
            return;
        }
        json_object_set (r->open, "owner", json_object_get (u, "id"));
    }
    json_t *res = s_send (imp, F_ROUNDS, r->row, "intake", "round.open", r->id, json_incref (r->open), down);
    if (!res) {
        s_round_refused (imp, r);
        return;
    }
    json_decref (res);
    imp->done[D_ROUNDS]++;
}

/*  Reports and classifies problem p (round opened, or none). */
static void
s_problem (s_import_t *imp, s_problem_t *p, bool *down)
{
    const char *why = NULL;
    const json_t *u = s_unit (imp, p->unit_text, &why);
    if (!u) {
        s_refuse (imp, F_PROBLEMS, p->row, "被巡察单位 '%s': %s", p->unit_text, why);
        p->ok = false;
        return;
    }
    snprintf (p->unit, sizeof p->unit, "%s", json_string_value (json_object_get (u, "id")));
    snprintf (p->unit_name, sizeof p->unit_name, "%s", json_string_value (json_object_get (u, "name")));
    json_object_set_new (p->report, "unit", json_string (p->unit));
    json_t *res = s_send (imp, F_PROBLEMS, p->row, "intake", "problem.report", p->no, json_incref (p->report), down);
    if (!res) {
        p->ok = false;
        return;
    }
    p->problem = json_integer_value (json_object_get (res, "problem"));
    json_decref (res);
    imp->done[D_PROBLEMS]++;
    if (json_array_size (p->dispositions) == 0)
        return;
    res = s_send (imp, F_PROBLEMS, p->row, "intake", "problem.classify", p->no,
                  json_pack ("{s:I, s:O, s:s}", "problem", p->problem, "dispositions", p->dispositions, "occurred_on",
                             p->classified_on),
                  down);
    if (!res) {
        p->ok = false;
        p->feedback = p->referred = false;
    }
    json_decref (res);
}

/*  Whether p's item is to be opened by rectify: fed back at once, or when its round reached
    反馈. */
static bool
s_fed_back (const s_import_t *imp, const s_problem_t *p)
{
    return p->ok && p->feedback
           && (!strcmp (p->timeliness, "immediate") || p->round < 0 || imp->rounds[p->round].n_stages > STAGE_FEEDBACK);
}

/*  How many return visits to record rectify does not know yet (it makes a round's visits when
    it applies the round's feedback). */
static int
s_visits_missing (s_import_t *imp, long *missing)
{
    *missing = 0;
    for (size_t r = 0; r < imp->n_rounds; r++) {
        bool wanted = false;
        for (size_t k = 0; k < imp->n_targets && !wanted; k++)
            wanted = imp->targets[k].round == (int) r && imp->targets[k].kinds;
        if (!wanted || !imp->rounds[r].ok)
            continue;
        int rc;
        json_t *round = ctl_call (imp->ctl, "rectify", "rectify.round", json_pack ("{s:s}", "round", imp->rounds[r].id),
                                  &rc, NULL);
        if (!round && rc != CTL_NOT_FOUND)
            return rc;
        for (size_t k = 0; k < imp->n_targets; k++) {
            s_target_t *t = &imp->targets[k];
            if (t->round != (int) r || !t->kinds)
                continue;
            const char *why;
            const json_t *u = s_unit (imp, t->unit, &why);
            bool known = false;
            size_t i;
            json_t *target;
            json_array_foreach (json_object_get (round, "targets"), i, target)
                known = known || (u && !strcmp (json_string_value (json_object_get (target, "unit")) ?: "",
                                                 json_string_value (json_object_get (u, "id")))
                                  && json_is_string (json_object_get (json_object_get (target, "visit"), "due")));
            *missing += !known;
        }
        json_decref (round);
    }
    return CTL_OK;
}

/*  Waits (bounded by wait_s) until rectify has an item for every problem fed back and referral
    a referral for every lead and handover; learns their ids. */
static int
s_wait_downstream (s_import_t *imp, int wait_s)
{
    for (int tries = 0;; tries++) {
        long missing_items = 0, missing_referrals = 0;
        int rc;
        json_t *items = ctl_list_all (imp->ctl, "rectify", "rectify.list", json_object (), &rc);
        if (!items)
            return rc;
        json_t *referrals = ctl_list_all (imp->ctl, "referral", "referral.list", json_object (), &rc);
        if (!referrals) {
            json_decref (items);
            return rc;
        }
        /* by problem id: one pass over each list, not one per problem */
        json_t *item_of = json_object (), *referral_of = json_object ();
        char key[32];
        size_t i;
        json_t *it;
        json_array_foreach (items, i, it) {
            snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (it, "problem")));
            json_object_set (item_of, key, json_object_get (it, "id"));
        }
        json_array_foreach (referrals, i, it)
            if (strcmp (json_string_value (json_object_get (it, "kind")) ?: "", "report") != 0
                && json_is_integer (json_object_get (it, "problem"))) {
                snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (it, "problem")));
                json_object_set (referral_of, key, json_object_get (it, "id"));
            }
        for (size_t k = 0; k < imp->n_problems; k++) {
            s_problem_t *p = &imp->problems[k];
            if (!p->problem)
                continue;
            snprintf (key, sizeof key, "%lld", (long long) p->problem);
            p->item = json_integer_value (json_object_get (item_of, key));
            p->referral = json_integer_value (json_object_get (referral_of, key));
            missing_items += s_fed_back (imp, p) && !p->item;
            missing_referrals += p->ok && p->referred && !p->referral;
        }
        json_decref (item_of);
        json_decref (referral_of);
        json_decref (items);
        json_decref (referrals);
        long missing_visits = 0;
        rc = s_visits_missing (imp, &missing_visits);
        if (rc != CTL_OK)
            return rc;
        if (!missing_items && !missing_referrals && !missing_visits)
            return CTL_OK;
        if (tries >= wait_s * 5) {
            fprintf (stderr, "xcctl: import round: after %d s, rectify has not opened %ld items nor %ld return visits"
                     " and referral has not made %ld referrals of what was recorded; is each consuming intake's events"
                     " (xcctl health)?\n", wait_s, missing_items, missing_visits, missing_referrals);
            return CTL_DOWN;
        }
        usleep (200 * 1000);
    }
}

/*  The unit's plan, claim and the office's sign-off, each on its own day. */
static void
s_rectify (s_import_t *imp, s_problem_t *p, bool *down)
{
    if (!p->item || (!p->due[0] && !p->done_on[0]))
        return;
    char what[128];
    json_t *item = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.get", p->no,
                           json_pack ("{s:I}", "item", p->item), down);
    if (!item)
        return;
    const char *opened_on = json_string_value (json_object_get (item, "opened_on"));
    const char *policy_due = NULL;
    size_t i;
    json_t *d;
    json_array_foreach (json_object_get (item, "deadlines"), i, d)
        if (!strcmp (json_string_value (json_object_get (d, "deadline")) ?: "", "item"))
            policy_due = json_string_value (json_object_get (d, "due"));
    const char *state = json_string_value (json_object_get (item, "state"));
    bool immediate = !strcmp (p->timeliness, "immediate");
    char on[DATE_BUF];
    snprintf (on, sizeof on, "%s", opened_on ? opened_on : p->classified_on);
    /* the deadline the paper gives; the policy's, when it gives none */
    char due[DATE_BUF];
    snprintf (due, sizeof due, "%s", p->due[0] ? p->due : policy_due ? policy_due : p->done_on);
    if (p->due[0] && policy_due && strcmp (p->due, policy_due) > 0) {
        char reason[256];
        snprintf (reason, sizeof reason, "%s", p->extend_reason[0] ? p->extend_reason : "历史台账所载整改时限");
        json_t *r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.extend", p->no,
                            json_pack ("{s:I, s:s, s:s, s:s, s:s}", "item", p->item, "due", p->due, "reason", reason,
                                       "deadline", "item", "occurred_on", on),
                            down);
        if (!r) {
            json_decref (item);
            return;
        }
        json_decref (r);
    }
    /* an immediate item needs no plan, but one gives it the deadline the paper gives */
    if ((!immediate || p->due[0]) && state && !strcmp (state, "opened")) {
        json_t *r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.plan", p->no,
                            json_pack ("{s:I, s:[{s:s, s:s, s:s, s:s}], s:s}", "item", p->item, "measures", "text",
                                       p->measure[0] ? p->measure : json_string_value (json_object_get (p->report, "summary")),
                                       "owner", p->owner[0] ? p->owner : p->unit_name, "lead_leader",
                                       p->lead_leader[0] ? p->lead_leader : p->unit_name, "deadline", due, "occurred_on", on),
                            down);
        if (!r) {
            json_decref (item);
            return;
        }
        json_decref (r);
    }
    json_decref (item);
    if (!p->claim)
        return;
    json_t *claim = json_deep_copy (p->claim);
    json_object_set_new (claim, "item", json_integer (p->item));
    json_object_set_new (claim, "occurred_on", json_string (p->done_on));
    json_t *r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.claim", p->no, claim, down);
    if (!r)
        return;
    json_decref (r);
    snprintf (what, sizeof what, "%s", p->no);
    r = s_send (imp, F_PROBLEMS, p->row, "rectify", "rectify.review", what,
                json_pack ("{s:I, s:s, s:s}", "item", p->item, "decision", "accept", "occurred_on", p->closed_on), down);
    if (r)
        imp->done[D_ITEMS_CLOSED]++;
    json_decref (r);
}

/*  What the body did: acknowledged, disposed, its outcome with the people, concluded. */
static void
s_lead (s_import_t *imp, s_lead_t *l, bool *down)
{
    const s_problem_t *p = &imp->problems[l->problem];
    if (!p->ok || !p->referral) {
        s_refuse (imp, F_LEADS, l->row, "problem %s has no referral (its line in the problems file was refused)", p->no);
        return;
    }
    json_t *steps[4] = {
        json_pack ("{s:I, s:s}", "referral", p->referral, "occurred_on", l->ack_on),
        json_pack ("{s:I, s:s, s:s}", "referral", p->referral, "method", l->method, "occurred_on", l->dispose_on),
        NULL, NULL,
    };
    static const char *const types[4] = { "referral.acknowledge", "referral.dispose", "referral.outcome",
                                          "referral.conclude" };
    if (l->note[0])
        json_object_set_new (steps[1], "note", json_string (l->note));
    if (strcmp (l->method, "park") != 0) {
        steps[2] = json_pack ("{s:I, s:b, s:O, s:s}", "referral", p->referral, "case_filed", l->case_filed, "people",
                              l->people, "occurred_on", l->outcome_on);
        if (l->measures >= 0)
            json_object_set_new (steps[2], "institutional_measures", json_integer (l->measures));
        if (l->conclude_on[0])
            steps[3] = json_pack ("{s:I, s:s}", "referral", p->referral, "occurred_on", l->conclude_on);
    }
    bool ok = true;
    for (int s = 0; s < 4; s++) {
        if (!steps[s])
            continue;
        if (!ok || *down) {
            json_decref (steps[s]);
            continue;
        }
        json_t *r = s_send (imp, F_LEADS, l->row, "referral", types[s], p->no, steps[s], down);
        ok = r != NULL;
        json_decref (r);
    }
    if (ok) {
        imp->done[D_LEADS]++;
        imp->done[D_PEOPLE] += (long) json_array_size (l->people);
    }
}

static void
s_check_reports (s_import_t *imp)
{
    if (!imp->files[F_REPORTS].loaded)
        return;
    const ctl_csv_t *csv = &imp->files[F_REPORTS].csv;
    imp->reports = calloc (csv->n_rows ? csv->n_rows : 1, sizeof *imp->reports);
    for (size_t i = 0; i < csv->n_rows; i++) {
        const ctl_csv_row_t *row = &csv->rows[i];
        s_report_t *r = &imp->reports[imp->n_reports];
        json_decref (r->create);
        json_decref (r->sign);
        memset (r, 0, sizeof *r);
        r->row = row;
        const char *no = s_get (imp, F_REPORTS, row, "报告编号"), *round = s_get (imp, F_REPORTS, row, "轮次编号");
        const char *title = s_get (imp, F_REPORTS, row, "报告标题"), *detail = s_get (imp, F_REPORTS, row, "报告内容");
        const char *target = s_get (imp, F_REPORTS, row, "接收单位"), *leader = s_get (imp, F_REPORTS, row, "签批领导");
        const char *leader_title = s_get (imp, F_REPORTS, row, "签批职务"), *category_text = s_get (imp, F_REPORTS, row, "问题类别");
        if (!no[0] || strlen (no) >= ID_MAX) {
            s_refuse (imp, F_REPORTS, row, "报告编号 '%s' must be 1-64 bytes: the office's own number of the report", no);
            continue;
        }
        bool twice = false;
        for (size_t k = 0; k < imp->n_reports; k++)
            twice = twice || !strcmp (imp->reports[k].no, no);
        if (twice) {
            s_refuse (imp, F_REPORTS, row, "报告编号 '%s' is on an earlier line too", no);
            continue;
        }
        if (!title[0] || !target[0]) {
            s_refuse (imp, F_REPORTS, row, "%s is empty", title[0] ? "接收单位" : "报告标题");
            continue;
        }
        if (round[0] && (s_round_index (imp, round) < 0 || !imp->rounds[s_round_index (imp, round)].ok)) {
            s_refuse (imp, F_REPORTS, row, "轮次编号 '%s' is no round of the rounds file (or its line was refused)", round);
            continue;
        }
        char sent[DATE_BUF], signed_on[DATE_BUF];
        if (s_date_column (imp, F_REPORTS, row, "报送时间", true, sent) != 0
            || s_date_column (imp, F_REPORTS, row, "签批时间", false, signed_on) != 0)
            continue;
        if ((leader[0] || leader_title[0] || signed_on[0]) && !(leader[0] && leader_title[0])) {
            s_refuse (imp, F_REPORTS, row, "a sign-off needs 签批领导 and 签批职务");
            continue;
        }
        if (signed_on[0] && strcmp (signed_on, sent) < 0) {
            s_refuse (imp, F_REPORTS, row, "签批时间 %s is before 报送时间 %s", signed_on, sent);
            continue;
        }
        snprintf (r->no, sizeof r->no, "%s", no);
        r->create = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "kind", "report", "target", target, "title", title,
                               "detail", detail[0] ? detail : title, "occurred_on", sent);
        if (!r->create) {
            s_refuse (imp, F_REPORTS, row, "a text is not UTF-8");
            continue;
        }
        if (round[0])
            json_object_set_new (r->create, "round", json_string (round));
        const char *unit = s_get (imp, F_REPORTS, row, "被巡察单位");
        if (unit[0])
            json_object_set_new (r->create, "unit", json_string (unit));
        if (category_text[0]) {
            const char *why = NULL;
            const char *category = s_category (imp, category_text, &why);
            if (!category) {
                s_refuse (imp, F_REPORTS, row, "问题类别 '%s': %s", category_text, why);
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

/*  A report sent to its department, and the leader's sign-off. */
static void
s_report (s_import_t *imp, s_report_t *r, bool *down)
{
    const char *unit = json_string_value (json_object_get (r->create, "unit"));
    if (unit) {
        const char *why = NULL;
        const json_t *u = s_unit (imp, unit, &why);
        if (!u) {
            s_refuse (imp, F_REPORTS, r->row, "被巡察单位 '%s': %s", unit, why);
            return;
        }
        json_object_set (r->create, "unit", json_object_get (u, "id"));
    }
    json_t *res = s_send (imp, F_REPORTS, r->row, "referral", "referral.create", r->no, json_incref (r->create), down);
    if (!res)
        return;
    json_int_t referral = json_integer_value (json_object_get (res, "referral"));
    json_decref (res);
    imp->done[D_REPORTS]++;
    if (!r->sign)
        return;
    json_t *sign = json_deep_copy (r->sign);
    json_object_set_new (sign, "referral", json_integer (referral));
    res = s_send (imp, F_REPORTS, r->row, "referral", "referral.sign", r->no, sign, down);
    imp->done[D_SIGNED] += res != NULL;
    json_decref (res);
}

/*  The office's return visit and interview of a target unit. */
static void
s_target (s_import_t *imp, s_target_t *t, bool *down)
{
    const s_round_t *r = &imp->rounds[t->round];
    const char *why;
    const json_t *u = s_unit (imp, t->unit, &why);
    if (!u)
        return;                      /* named with its round */
    const char *unit = json_string_value (json_object_get (u, "id"));
    char what[160];
    snprintf (what, sizeof what, "%s|%s", r->id, unit);
    if (t->kinds) {
        json_t *res = s_send (imp, F_TARGETS, t->row, "rectify", "rectify.revisit", what,
                              json_pack ("{s:s, s:s, s:s, s:O}", "round", r->id, "unit", unit, "date", t->visit_on,
                                         "kinds", t->kinds),
                              down);
        imp->done[D_VISITS] += res != NULL;
        json_decref (res);
    }
    if (t->interview && !*down) {
        json_t *data = json_deep_copy (t->interview);
        json_object_set_new (data, "round", json_string (r->id));
        json_object_set_new (data, "unit", json_string (unit));
        json_t *res = s_send (imp, F_TARGETS, t->row, "rectify", "rectify.interview", what, data, down);
        imp->done[D_INTERVIEWS] += res != NULL;
        json_decref (res);
    }
}

static int
s_run (s_import_t *imp, int wait_s)
{
    int rc = s_units (imp);
    if (rc != CTL_OK)
        return rc;
    bool down = false;
    /* each round: opened, its stages up to 报告, its problems, then 反馈 and on (feedback
       reaches the problems classified for it, dated that day) */
    for (size_t r = 0; r < imp->n_rounds && !down; r++) {
        s_round_t *round = &imp->rounds[r];
        if (!round->ok)
            continue;
        s_round_open (imp, round, &down);
        s_round_advance (imp, round, 0, STAGE_FEEDBACK, &down);
        for (size_t k = 0; k < imp->n_problems && round->ok && !down; k++)
            if (imp->problems[k].ok && imp->problems[k].round == (int) r)
                s_problem (imp, &imp->problems[k], &down);
        s_round_advance (imp, round, STAGE_FEEDBACK, N_STAGES, &down);
    }
    for (size_t k = 0; k < imp->n_problems && !down; k++)
        if (imp->problems[k].ok && imp->problems[k].round < 0)
            s_problem (imp, &imp->problems[k], &down);
    if (down)
        return CTL_DOWN;
    rc = s_wait_downstream (imp, wait_s);
    if (rc != CTL_OK)
        return rc;
    for (size_t k = 0; k < imp->n_problems && !down; k++)
        if (imp->problems[k].ok && imp->problems[k].feedback) {
            if (imp->problems[k].claim && !imp->problems[k].item)
                s_refuse (imp, F_PROBLEMS, imp->problems[k].row, "完成时间 is given but the problem was not fed back"
                          " (its round has no 反馈 date)");
            else
                s_rectify (imp, &imp->problems[k], &down);
        }
    for (size_t k = 0; k < imp->n_leads && !down; k++)
        if (imp->leads[k].ok)
            s_lead (imp, &imp->leads[k], &down);
    for (size_t k = 0; k < imp->n_targets && !down; k++)
        if (imp->rounds[imp->targets[k].round].ok)
            s_target (imp, &imp->targets[k], &down);
    for (size_t k = 0; k < imp->n_reports && !down; k++) {
        const char *round = json_string_value (json_object_get (imp->reports[k].create, "round"));
        if (round && !imp->rounds[s_round_index (imp, round)].ok)
            s_refuse (imp, F_REPORTS, imp->reports[k].row, "round %s was not opened", round);
        else
            s_report (imp, &imp->reports[k], &down);
    }
    return down ? CTL_DOWN : CTL_OK;
}

int
ctl_import_round (ctl_t *ctl, int argc, char **argv)
{
    s_import_t imp = { .ctl = ctl };
    int wait_s = 60;
    for (int i = 0; i < argc; i++) {
        if (!strcmp (argv[i], "--check")) {
            imp.check = true;
            continue;
        }
        bool known = false;
        for (int f = 0; f < N_FILES; f++)
            if (!strcmp (argv[i], s_files[f].option) && i + 1 < argc) {
                imp.files[f].path = argv[++i];
                known = true;
            }
        if (!known && !strcmp (argv[i], "--wait") && i + 1 < argc) {
            wait_s = atoi (argv[++i]);
            known = wait_s > 0;
        }
        if (!known || !imp.files[F_ROUNDS].path) {
            if (!known) {
                fprintf (stderr, "usage: xcctl import round --rounds 轮次.csv [--targets 被巡察单位.csv] [--problems 问题.csv]"
                                 " [--leads 线索处置.csv] [--people 处理人员.csv] [--reports 专题报告.csv] [--check] [--wait SECONDS]\n");
                return CTL_USAGE;
            }
        }
    }
    if (!imp.files[F_ROUNDS].path) {
        fprintf (stderr, "xcctl: import round: --rounds FILE.csv is required (the rounds the other files name)\n");
        return CTL_USAGE;
    }
    xc_err_t err;
    if (intake_policy_load (&imp.categories, ctl->config, &err) != 0) {
        fprintf (stderr, "xcctl: import round: %s: %s\n", ctl->config->path, err.text);
        return CTL_LOCAL;
    }
    if (referral_policy_load (&imp.referral, ctl->config, &err) != 0) {
        fprintf (stderr, "xcctl: import round: %s: %s\n", ctl->config->path, err.text);
        return CTL_LOCAL;
    }
    imp.today = xc_date_of_time (xc_clock_wall (), ctl->config->utc_offset);
    int rc = s_load (&imp);
    if (rc == CTL_OK) {
        s_check_rounds (&imp);
        s_check_targets (&imp);
        s_check_problems (&imp);
        s_check_leads (&imp);
        s_check_people (&imp);
        s_check_reports (&imp);
        if (!imp.check) {
            rc = ctl_open (ctl);
            if (rc == CTL_OK)
                rc = s_run (&imp, wait_s);
        }
    }
    if (rc == CTL_OK || rc == CTL_REFUSED) {
        if (imp.check)
            printf ("%zu rounds, %zu problems, %zu leads, %zu reports read; %ld rows refused\n", imp.n_rounds,
                    imp.n_problems, imp.n_leads, imp.n_reports, imp.refused);
        else
            printf ("%ld rounds opened, %ld problems recorded, %ld items closed, %ld leads dealt with (%ld people),"
                    " %ld reports sent (%ld signed), %ld return visits, %ld interviews; %ld rows refused\n",
                    imp.done[D_ROUNDS], imp.done[D_PROBLEMS], imp.done[D_ITEMS_CLOSED], imp.done[D_LEADS],
                    imp.done[D_PEOPLE], imp.done[D_REPORTS], imp.done[D_SIGNED], imp.done[D_VISITS],
                    imp.done[D_INTERVIEWS], imp.refused);
        rc = imp.refused ? CTL_REFUSED : CTL_OK;
    }
    for (size_t r = 0; r < imp.n_rounds; r++)
        json_decref (imp.rounds[r].open);
    for (size_t k = 0; k < imp.n_problems + (imp.problems && imp.n_problems < imp.files[F_PROBLEMS].csv.n_rows); k++) {
        json_decref (imp.problems[k].report);
        json_decref (imp.problems[k].dispositions);
        json_decref (imp.problems[k].claim);
    }
    for (size_t k = 0; k < imp.n_leads + (imp.leads && imp.n_leads < imp.files[F_LEADS].csv.n_rows); k++)
        json_decref (imp.leads[k].people);
    free (imp.rounds);
    free (imp.problems);
    free (imp.leads);
    for (size_t k = 0; k < imp.n_reports + (imp.reports && imp.n_reports < imp.files[F_REPORTS].csv.n_rows); k++) {
        json_decref (imp.reports[k].create);
        json_decref (imp.reports[k].sign);
    }
    free (imp.reports);
    for (size_t k = 0; k < imp.n_targets; k++) {
        json_decref (imp.targets[k].kinds);
        json_decref (imp.targets[k].interview);
    }
    free (imp.targets);
    json_decref (imp.units);
    referral_policy_free (&imp.referral);
    for (int f = 0; f < N_FILES; f++)
        if (imp.files[f].loaded)
            ctl_csv_free (&imp.files[f].csv);
    return rc;
}
