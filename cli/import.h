/*  import.h: what the two halves of xcctl import round share (import.c): the rows read and
    checked (import_rows.c) and the commands they become (import.c). */
#ifndef XC_CTL_IMPORT_H
#define XC_CTL_IMPORT_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/csv.h"
#include "cli/ctl.h"
#include "common/date.h"
#include "services/intake/intake.h"
#include "services/referral/referral.h"

#define ID_MAX 65
#define DATE_BUF (XC_DATE_LEN + 1)

typedef struct {
    const char *word, *id;
} import_word_t;

/* a round's stages after planned, by the column that dates them (docs/services/intake.md) */
#define N_STAGES 8
#define STAGE_FEEDBACK 3
extern const import_word_t import_stages[N_STAGES];

enum { F_ROUNDS, F_TARGETS, F_PROBLEMS, F_LEADS, F_PEOPLE, F_REPORTS, N_FILES };

/* the files, by the option that names each */
typedef struct {
    const char *path;
    ctl_csv_t csv;
    bool loaded;
} import_file_t;

/*  A round: opened with its targets, advanced through the stages dated. */
typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    char id[ID_MAX];
    json_t *open;                    /* round.open's data; targets added from the targets file */
    char stages[N_STAGES][DATE_BUF];
    int n_stages;                    /* the stages dated, in order */
} import_round_t;

/*  A problem: reported, classified, and its item's plan, claim and sign-off. */
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
} import_problem_t;

/*  What a body or department did with a problem's referral, with the people dealt with. */
typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    int problem;                     /* index into problems */
    char ack_on[DATE_BUF], dispose_on[DATE_BUF], outcome_on[DATE_BUF], conclude_on[DATE_BUF];
    const char *method, *note;
    bool case_filed;
    long long measures;              /* -1: not given */
    json_t *people;
} import_lead_t;

/*  What the office did with a target unit after feedback: its return visit, its evaluation,
    an interview. */
typedef struct {
    const ctl_csv_row_t *row;
    int round;
    const char *unit;                /* as written: an id or a name */
    char visit_on[DATE_BUF];
    json_t *kinds;                   /* the visit's kinds, or NULL: no visit */
    json_t *evaluate;                /* rectify.evaluate's data but round and unit, or NULL */
    json_t *interview;               /* rectify.interview's data but round and unit, or NULL */
} import_target_t;

/*  A special report (专题报告) sent to a department, and a leader's sign-off on it. */
typedef struct {
    const ctl_csv_row_t *row;
    bool ok;
    char no[ID_MAX];
    json_t *create;                  /* referral.create's data; its unit resolved when sent */
    json_t *sign;                    /* referral.sign's data but the referral, or NULL */
} import_report_t;

/*  One import: the files, what their rows became, and what was done. */
typedef struct {
    ctl_t *ctl;
    bool check;                      /* --check: the files only, nothing sent */
    import_file_t files[N_FILES];
    int col[N_FILES][40];
    intake_policy_t categories;      /* intake's own policy module: the same names */
    referral_policy_t referral;      /* the kinds of a person's outcome and their names */
    xc_date_t today;
    import_round_t *rounds;
    size_t n_rounds;
    import_problem_t *problems;
    size_t n_problems;
    import_lead_t *leads;
    size_t n_leads;
    import_report_t *reports;
    size_t n_reports;
    import_target_t *targets;        /* those with a visit or an interview */
    size_t n_targets;
    json_t *units;                   /* id -> {name, ...} from unit.list */
    long refused;
    long done[16];
} import_t;

/* what was done, counted for the last line */
enum { D_ROUNDS, D_PROBLEMS, D_ITEMS_CLOSED, D_LEADS, D_PEOPLE, D_REPORTS, D_SIGNED, D_VISITS, D_INTERVIEWS,
       D_EVALUATIONS };

/*  The option that names a file (--rounds ...). */
const char *import_file_option (int file);

/*  The field of row under column (a column name of file's kind), "" when absent. */
const char *import_get (const import_t *imp, int file, const ctl_csv_row_t *row, const char *column);

/*  Names a refused row: "FILE:LINE: why". */
__attribute__ ((format (printf, 4, 5))) void import_refuse (import_t *imp, int file, const ctl_csv_row_t *row,
                                                            const char *fmt, ...);

/*  Reads every file given and checks its header: each column known, the required ones there.
    CTL_OK, or CTL_LOCAL after saying what is wrong. */
int import_load (import_t *imp);

/*  Checks every row of the files read into the rounds, problems, leads (with their people),
    targets and reports to send; each refused row is named. */
void import_check (import_t *imp);

/*  The index of the round of the rounds file with that id, or -1. */
int import_round_index (const import_t *imp, const char *id);

#endif
