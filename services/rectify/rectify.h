/*  rectify.h: what the rectification service's modules share (docs/services/rectify.md).

    policy (policies.rectify), scope (who may see which unit's items and events), registry
    (intake's units and rounds: names, successors, owners, feedback), record (an
    item's history and the events about a unit, which the modules below share), items
    (items opened from intake's events and every transition of their life), deadlines (plan,
    item and milestone deadlines, their warnings, overdue notices and escalations, and the
    return-visit timer), evaluation (revisits, unit scores, interviews), queries (get, list,
    round, stats) and export (the three lists as CSV); routes.c ties them into routes and the
    timer, main.c into the service. Calls go one way: items -> registry -> evaluation -> deadlines
    -> record (registry: intake's units and rounds).
*/
#ifndef XC_RECTIFY_H
#define XC_RECTIFY_H

#include <jansson.h>
#include <stdbool.h>

#include "common/calendar.h"
#include "common/handler.h"
#include "common/keys.h"
#include "common/search_query.h"
#include "common/service.h"

#define RECTIFY_MAX_REGIMES 8
#define RECTIFY_MAX_WARNINGS 8
#define RECTIFY_MAX_STEPS 10
#define RECTIFY_MAX_GRADES 8
#define RECTIFY_MAX_ROLES 8
#define RECTIFY_WORD 32                 /* names of regimes, colours, steps, grades, with the NUL */

typedef struct {
    char name[RECTIFY_WORD];
    xc_span_t plan_due, report_due;
    char plan_text[RECTIFY_WORD], report_text[RECTIFY_WORD];
} rectify_regime_t;

typedef struct {
    rectify_regime_t regimes[RECTIFY_MAX_REGIMES];
    int n_regimes;
    int default_regime;              /* index into regimes */
    xc_period_end_t period_end;      /* of the periods below and of regimes without their own */
    xc_span_t immediate_due, revisit_after;
    char immediate_text[RECTIFY_WORD], revisit_text[RECTIFY_WORD];
    struct {
        char colour[RECTIFY_WORD];
        int days_left;
    } warnings[RECTIFY_MAX_WARNINGS];   /* days_left ascending */
    int n_warnings;
    int every_days;
    char steps[RECTIFY_MAX_STEPS][RECTIFY_WORD];
    int n_steps;
    int weights[4];                  /* leadership, responsibility, task_completion, satisfaction */
    struct {
        char grade[RECTIFY_WORD];
        char name[RECTIFY_WORD * 2]; /* what people read: 好, 较好 ... */
        int min;                     /* a score out of 100 */
    } grades[RECTIFY_MAX_GRADES];    /* min descending, the last 0 */
    int n_grades;
    int interview_below;             /* 0: off */
    int interview_lowest;            /* 0: off */
    int calendar_warn_month, calendar_warn_day;  /* calendar.missing from then; 0: never */
    char history_role_names[RECTIFY_MAX_ROLES][RECTIFY_WORD];
    const char *history_roles[RECTIFY_MAX_ROLES + 1];   /* may give occurred_on; NULL-terminated */
    xc_span_t history_quiet;         /* an item loaded from history is quiet this long */
    char history_quiet_text[RECTIFY_WORD];
    json_t *definitions;             /* {figure: the sentence people read next to it}; owned */
    json_t *documents;               /* the city's only: {"kinds", "issuers", "district_issuer"}
                                        (documents.c); owned */
    /* policies.rectify.districts: each district's rules (the city's with its overrides), in
       the order given; owned. A district's own entries have none of their own. */
    struct rectify_district_policy *districts;
    int n_districts;
    xc_search_policy_t search;       /* policies.rectify.search (search.c) */
} rectify_policy_t;

#define RECTIFY_ID 65                   /* a district's id, with the NUL */

/*  A district's rules for the records of rounds it owns (policies.rectify.districts.<id>). */
typedef struct rectify_district_policy {
    char id[RECTIFY_ID];
    rectify_policy_t policy;
} rectify_district_policy_t;

typedef struct {
    rectify_policy_t policy;
    json_t *parents;                 /* unit id -> parent id or null: supervisors' scopes; owned */
    json_t *rounds;                  /* round id -> [owner district or null, crossed link.by or null];
                                        district offices' event visibility; owned */
    int calendar_warned;             /* the year calendar.missing was last emitted for */
} rectify_t;

extern const char *const rectify_parts[4];  /* the evaluation's parts, in weights order */

/* routes.c: the service's commands and queries (types, roles, data schemas, handlers); main.c
   hands them to xc_service_main, tests/fuzz checks hostile data against their schemas. */
const xc_route_t *rectify_routes (size_t *n);
/* The service's timer: deadlines, then return visits. */
int rectify_tick (xc_call_t *call, void *state);

/* files.c: evidence files (common/files.h): items' files, read as rectify.get reads the item */
extern const xc_field_t rectify_evidence_policy_fields[];
int rectify_files_init (xc_service_t *service, rectify_t *rectify, xc_err_t *err);
/* Links a claim's or plan's evidence to its item ("item:<id>"): 0, or -1 after failing. */
int rectify_files_link (xc_call_t *call, json_int_t item, const json_t *evidence);
/* With policies.rectify.evidence.signoff_requires_files: the latest claim's evidence must be
   stored files (conflict otherwise). 0, or -1 after failing. */
int rectify_files_signoff (xc_call_t *call, json_int_t item);

/* policy.c */
int rectify_policy_load (rectify_policy_t *policy, const xc_config_t *cfg, xc_err_t *err);
/* Frees what a loaded policy owns (its definitions). */
void rectify_policy_clear (rectify_policy_t *policy);
/* The Chinese name of a grade id (the grade itself when the policy has none). */
const char *rectify_policy_grade_name (const rectify_policy_t *policy, const char *grade);
/* The regime named name, or NULL. */
const rectify_regime_t *rectify_policy_regime (const rectify_policy_t *policy, const char *name);
/* The rules for the records of rounds owned by district (NULL: the city's): that district's
   overrides on the city's when it has some, else the city's. *source (may be NULL) gets
   "city" or the district's id: the policy_source of what these rules decide. */
const rectify_policy_t *rectify_policy_for (const rectify_policy_t *policy, const char *district,
                                            const char **source);

/* districts.c: rounds' owners and links, and what a district office owns or reads */
/*  Loads every round's owner and crossed link from the store (start) / records one (apply). */
int rectify_rounds_load (rectify_t *rectify, sqlite3 *db, xc_err_t *err);
void rectify_rounds_add (rectify_t *rectify, const char *round, const char *owner_district,
                         const char *link_by);
/*  What district may do with round's records: 2 owns, 1 reads (a crossed round by it), 0 none. */
int rectify_district_reach (const rectify_t *rectify, const char *district, const char *round);
/*  The district owning round into out (RECTIFY_ID bytes), "" for the city's own round or no
    round; -1 after failing the call. */
int rectify_round_district (xc_call_t *call, const char *round, char *out);
/*  The round_owner of round: "city" or its district's id (out RECTIFY_ID bytes); -1 after failing. */
int rectify_round_owner (xc_call_t *call, const char *round, char *out);
/*  The rules for item's round's owner; NULL after failing the call. */
const rectify_policy_t *rectify_item_policy (xc_call_t *call, const rectify_t *rectify, json_int_t item,
                                             const char **source);
/*  The rules for round's owner ("" or NULL: the city's); NULL after failing the call. */
const rectify_policy_t *rectify_round_policy (xc_call_t *call, const rectify_t *rectify, const char *round,
                                              const char **source);
/*  A district office's command on round's records: 0 when it owns round (or the sender is not a
    district office); fails the call forbidden (-1) otherwise. what names the object refused. */
int rectify_district_commands (xc_call_t *call, const rectify_t *rectify, const char *round, const char *what);
/*  An SQL condition limiting rows of alias a (with a round column) to the rounds district owns
    or reads, with its parameter number param; for queries that must use the rounds' index. */
void rectify_district_clause (char *out, size_t size, const char *alias, int param);
/*  The owner filter's SQL condition on alias a (a round column): owner "city" (the city's own
    rounds), "district" (every district's rounds) or a district's id bound as parameter param;
    "1" when owner is NULL. A record without a round is left out by an owner filter, as in
    every service's stats. */
void rectify_owner_clause (char *out, size_t size, const char *alias, const char *owner, int param);
/*  The SQL expression of a's round_owner ("city" or the district's id). */
#define RECTIFY_ROUND_OWNER(a) "coalesce ((SELECT r.owner_district FROM rounds r WHERE r.id = " a ".round" \
                               " AND r.owner_level = 'district'), 'city')"
/*  The owner filter of a query for the sender: data's owner as given (NULL: none); a district
    office may give only its own district (forbidden otherwise). *district: the sender's district
    (NULL: not a district office), whose queries are limited to the rounds it owns or reads.
    -1 after failing the call. */
int rectify_owner_filter (xc_call_t *call, const char **owner, const char **district);

/* scope.c */
/*  Loads every known unit's parent from the store (start) / records one (apply). */
int rectify_scope_load (rectify_t *rectify, sqlite3 *db, xc_err_t *err);
void rectify_scope_add (rectify_t *rectify, const char *unit, const char *parent);
/*  Whether the principal may see the items and events of unit. */
bool rectify_scope_sees (const rectify_t *rectify, const xc_principal_t *reader, const char *unit);
/*  Whether the principal may act for unit (a unit principal with unit in its scope). */
bool rectify_scope_acts (const xc_principal_t *principal, const char *unit);
/*  The units the sender may see as a JSON array text for json_each, or NULL for every unit.
    *text_p is owned by the caller (free); returns -1 after failing the call. */
int rectify_scope_units (xc_call_t *call, const rectify_t *rectify, char **text_p);
/*  The visibility class of a unit's events. */
void rectify_visibility (const char *unit, char *out, size_t size);
/*  What the sender reads of the items, as one SQL condition shared by rectify.list and
    rectify.search (so that a search returns and counts exactly what the list does): the
    reader's units (scope), a district office's rounds, and data's owner filter (a district
    office may give only its own). The condition is on table alias (round and unit columns)
    with parameters RECTIFY_REACH_PARAM .. +2, which rectify_reach_bind binds. -1 after
    failing the call; rectify_reach_clear frees what a successful one holds. */
#define RECTIFY_REACH_PARAM 40
typedef struct {
    char *units;                     /* scope units as JSON text; NULL: every unit; owned */
    const char *district, *owner;    /* borrowed from the call */
    char sql[1280];
} rectify_reach_t;
int rectify_reach (xc_call_t *call, const rectify_t *rectify, const char *alias, rectify_reach_t *reach);
void rectify_reach_bind (sqlite3_stmt *stmt, const rectify_reach_t *reach);
void rectify_reach_clear (rectify_reach_t *reach);

/* items.c */
int rectify_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state);
/*  What an intake event is about, for the events waiting for a calendar (service.h): a
    problem.fed_back is about its unit ("unit:U-A"). */
void rectify_event_object (const char *source, const xc_event_t *event, char *object, size_t size,
                           void *state);
int rectify_plan (xc_call_t *call, void *state);
int rectify_progress (xc_call_t *call, void *state);
int rectify_claim (xc_call_t *call, void *state);
int rectify_review (xc_call_t *call, void *state);
int rectify_extend (xc_call_t *call, void *state);
int rectify_regime (xc_call_t *call, void *state);

/* registry.c: intake's units and rounds (items.c hands their events over) */
int rectify_unit_registered (xc_call_t *call, rectify_t *rectify, const xc_event_t *event);
int rectify_unit_renamed (xc_call_t *call, const xc_event_t *event);
/*  Open items and visits not yet made of the old unit(s) go to the successor. */
int rectify_unit_merged (xc_call_t *call, const xc_event_t *event);
int rectify_unit_split (xc_call_t *call, const xc_event_t *event);
int rectify_round_opened (xc_call_t *call, rectify_t *rectify, const xc_event_t *event);
/*  feedback_delivered starts the return visit of every target unit. */
int rectify_round_advanced (xc_call_t *call, const rectify_t *rectify, const xc_event_t *event);

/* record.c */
/* Appends to an item's history (data stolen): what happened on occurred_on (NULL: today). */
int rectify_history (xc_call_t *call, json_int_t item, const char *action, json_t *data,
                     const char *occurred_on);
/* Emits an event about unit (data stolen); key may be NULL. */
int rectify_emit (xc_call_t *call, const char *type, const char *unit, const char *key, json_t *data);

/* deadlines.c */
/*  Adds a running deadline (what "item", "plan" or "measure" n) due on due. */
int rectify_deadline_add (xc_call_t *call, const rectify_t *rectify, json_int_t item,
                          const char *what, int measure, const char *start, const char *policy,
                          xc_date_t due, const char *explain);
/*  Stops a deadline (done) or starts it again from today; no row is fine. */
int rectify_deadline_run (xc_call_t *call, const rectify_t *rectify, json_int_t item,
                          const char *what, int measure, bool running);
/*  Sets a running deadline's new due date (an extension); -1 with conflict when it is not
    running or the date is not later. *old gets the previous date. */
int rectify_deadline_move (xc_call_t *call, const rectify_t *rectify, json_int_t item,
                           const char *what, int measure, xc_date_t due, const char *reason,
                           char old[XC_DATE_LEN + 1]);
/*  start + span, failing the call when the calendar cannot. */
int rectify_due (xc_call_t *call, xc_date_t start, xc_span_t span, xc_date_t *due,
                 char *explain, size_t explain_size);
/*  Sends the alerts of every deadline due today. */
int rectify_deadline_tick (xc_call_t *call, const rectify_t *rectify, xc_date_t today);
/*  What the timer's rules p say today of a running deadline due on due, for the readers
    (rectify.get, rectify.list; the console shows it): {"colour": red past due, else the
    warning band days_left is in, null before the first band; "days_left"; "step": the
    escalation step reached {"n", "name"} or null; "next_step": {"n", "name", "on"} or null;
    with ladder (rectify.get) also "ladder": every step [{"n", "name", "on", "reached"}]}. */
json_t *rectify_deadline_light (const rectify_policy_t *p, xc_date_t due, xc_date_t today, bool ladder);
/*  From policy's calendar_warn_from on, tells the office once (a keyed calendar.missing) that
    next year's working-day calendar file is missing. */
int rectify_calendar_tick (xc_call_t *call, rectify_t *rectify, xc_date_t today);

/* evaluation.c */
/*  The first item of (round, unit) starts its return visit. round may be "". */
int rectify_visit_start (xc_call_t *call, const rectify_t *rectify, const char *round,
                         const char *unit, xc_date_t feedback_on);
int rectify_visit_tick (xc_call_t *call, const rectify_t *rectify, xc_date_t today);
int rectify_revisit (xc_call_t *call, void *state);
int rectify_evaluate (xc_call_t *call, void *state);
/*  rectify.interview: the office records an interview (约谈) held with a unit's leader. */
int rectify_interview (xc_call_t *call, void *state);

/* queries.c */
/* An item (table aliased i) is overdue: one of its running deadlines is past (?1 is today). */
#define RECTIFY_SQL_OVERDUE "EXISTS (SELECT 1 FROM deadlines d WHERE d.item = i.id AND d.running AND d.due < ?1)"
/* An item (table alias a) is of the category bound as parameter param, or under it. */
#define RECTIFY_SQL_IN_CATEGORY(a, param) "(" a ".category = " param " OR EXISTS (SELECT 1 FROM json_each (" \
                                          a ".category_path) WHERE value = " param "))"
int rectify_get (xc_call_t *call, void *state);
int rectify_list (xc_call_t *call, void *state);
int rectify_round (xc_call_t *call, void *state);
/*  A rate as "98.71" (percent, two decimals, half up), or null when of is 0. */
json_t *rectify_rate (long long part, long long of);
/*  The light of a running deadline due on due (text) by the rules of source ("city" or a
    district): rectify_deadline_light, or NULL when the deadline is done or has no date. Shared
    by rectify.list and rectify.stats so that both say the same. */
json_t *rectify_item_light (const rectify_t *rectify, const char *due, const char *source, xc_date_t today,
                            bool ladder);

/* search.c: rectify.search over items, measures and units' names, and its policy */
/*  policy.c: policies.rectify.search's fields and, from the checked section (or NULL), the policy
    with its defaults. */
extern const xc_field_t rectify_search_policy_fields[];
/*  policies.rectify.search (given: the checked section or NULL) with its defaults. */
void rectify_search_policy_load (rectify_policy_t *policy, const json_t *given);
int rectify_search (xc_call_t *call, void *state);

/* stats.c */
int rectify_stats (xc_call_t *call, void *state);

/* documents.c: the formal documents' register */
int rectify_document_issue (xc_call_t *call, void *state);
int rectify_document_get (xc_call_t *call, void *state);
int rectify_document_list (xc_call_t *call, void *state);
/*  The kinds (name, code) and, with round, the issuer of its documents (name, short). */
int rectify_document_kinds (xc_call_t *call, void *state);

/* export.c */
int rectify_export (xc_call_t *call, void *state);

#endif
