/*  referral.h: what the referral service's modules share (docs/services/referral.md).

    policy (policies.referral), life (referrals made from intake's events or by the office,
    and every transition), deadlines (due dates, warnings, overdue), queries (get, list,
    stats); routes.c ties them into the service's routes, main.c into the service and its
    consumer of intake.
*/
#ifndef XC_REFERRAL_H
#define XC_REFERRAL_H

#include <jansson.h>
#include <stdbool.h>

#include "common/calendar.h"
#include "common/handler.h"
#include "common/search_query.h"
#include "common/service.h"

#define REFERRAL_MAX_WARNINGS 8
#define REFERRAL_MAX_KINDS 32
#define REFERRAL_MAX_ROLES 16
#define REFERRAL_MAX_DISTRICTS 256
#define REFERRAL_DISTRICT_LEN 65      /* a district id: 1-64 of A-Z a-z 0-9 . _ : - */

/*  The deadline rules in force for a referral: the city's (policies.referral), or a district's
    overrides (policies.referral.districts.<D>) on top of them, for the referrals of rounds that
    district owns. Each own_* flag says the member was written at this level: for the city's
    rules, in policies.referral (else the built-in default); for a district's, in its override
    (else inherited from the city's). xcctl shows the rules in effect from them. */
typedef struct {
    char source[REFERRAL_DISTRICT_LEN];   /* "city" or the district's id: policy_source */
    xc_span_t due_lead, due_handover, due_report;
    char due_text[3][32];            /* the spans as written, shown by referral.get */
    int warn_days[REFERRAL_MAX_WARNINGS];   /* ascending */
    int n_warn_days;
    bool own_due[3], own_period_end, own_warn_days;   /* lead, handover, report */
} referral_rules_t;

/*  What a district office sees of the leads of its own rounds (its discipline body's say). */
typedef enum { REFERRAL_LEADS_NONE, REFERRAL_LEADS_STATUS, REFERRAL_LEADS_FULL } referral_lead_access_t;

typedef struct {
    char id[REFERRAL_DISTRICT_LEN];
    referral_lead_access_t lead_access;
    bool own_lead_access;
    referral_rules_t rules;
} referral_district_t;

typedef struct {
    referral_rules_t city;
    referral_district_t *districts;  /* policies.referral.districts, in the file's order */
    size_t n_districts;
    /* who may give occurred_on (history), and how long a referral loaded from history is
       quiet (no alerts) after it was applied */
    char history_roles[REFERRAL_MAX_ROLES][XC_NAME_MAX];
    const char *history_role_list[REFERRAL_MAX_ROLES + 1];
    int n_history_roles;
    xc_span_t history_quiet;
    char quiet_text[32];
    /* {"forms": [4 names], "party_sanction" | "administrative_sanction" |
       "organizational_handling": [{"id", "name"}]}: the kinds of a person's outcome */
    json_t *outcomes;
    json_t *definitions;             /* {figure: Chinese sentence}: replaces the built-in ones */
    xc_search_policy_t search;       /* policies.referral.search (search.c) */
} referral_policy_t;

typedef struct {
    referral_policy_t policy;
} referral_t;

/* routes.c: the service's commands and queries (types, roles, data schemas, handlers); main.c
   hands them to xc_service_main, tests/fuzz checks hostile data against their schemas. */
const xc_route_t *referral_routes (size_t *n);

/* files.c: evidence files (common/files.h): an outcome's files, read as referral.get reads
   the referral */
int referral_files_init (xc_service_t *service, referral_t *referral, xc_err_t *err);
/* Links an outcome's evidence to its referral ("referral:<id>"): 0, or -1 after failing. */
int referral_files_link (xc_call_t *call, json_int_t id, const json_t *evidence);

/* policy.c */
int referral_policy_load (referral_policy_t *policy, const xc_config_t *cfg, xc_err_t *err);
/* The policy's JSON (outcome kinds, definitions); a failed load has freed it already. */
void referral_policy_free (referral_policy_t *policy);
/* The span and its text for a kind ("lead", "handover", "report") under rules. */
const xc_span_t *referral_rules_due (const referral_rules_t *rules, const char *kind, const char **text);
/* The span and its text for a kind under the city's rules. */
const xc_span_t *referral_policy_due (const referral_policy_t *policy, const char *kind,
                                      const char **text);
/* The district's entry of policies.referral.districts; NULL when it has none (or district is NULL). */
const referral_district_t *referral_policy_district (const referral_policy_t *policy, const char *district);
/* The rules for the referrals of rounds owned by district (NULL: the city's): the district's
   overrides on the city's when it has an entry, else the city's. */
const referral_rules_t *referral_policy_rules (const referral_policy_t *policy, const char *district);
/* What district sees of its rounds' leads (none without an entry). */
referral_lead_access_t referral_policy_lead_access (const referral_policy_t *policy, const char *district);
const char *referral_lead_access_name (referral_lead_access_t access);
/* The Chinese name of a kind in an outcome list ("party_sanction", ...); NULL when unknown. */
const char *referral_policy_kind_name (const referral_policy_t *policy, const char *list,
                                       const char *id);

/* The visibility class of a referral's events: only the office and the target read them; an
   alert's (no content) also the services. district: the owner of the referral's round (NULL:
   the city), whose office reads them as policies.referral.districts.<D>.lead_access allows
   (alerts with status, everything with full). Classes: "to:<target>", "alert:<target>",
   "to@<D>|<target>", "alert@<D>|<target>" (a district id has no '|'). */
void referral_visibility (const char *target, const char *district, bool alert, char *out, size_t size);
/* Whether reader may read an event of that class (the service's event_visible hook). */
bool referral_event_visible (const xc_principal_t *reader, const char *visibility, void *state);

/* Where a referral comes from: its round, inspected unit and category (each may be NULL). */
typedef struct {
    const char *round, *unit, *unit_level, *category, *category_name;
    const json_t *category_path;     /* ids from the root; NULL: [category] */
} referral_origin_t;

/* units.c: rounds (owner, link), units and problems' rounds from intake's events, the unit's
   successor */
int referral_units_apply (xc_call_t *call, const xc_event_t *event);
/* The day an intake event's fact happened: its occurred_on, else its signing day. */
void referral_event_date (xc_call_t *call, const xc_event_t *event, char out[XC_DATE_LEN + 1]);
/* The unit's level into level ("" when referral does not know the unit); conflict when the
   unit was merged or split (naming its successor and the day). */
int referral_unit_check (xc_call_t *call, const char *unit, char *level, size_t size);
/* A referral made for a unit that was merged or split before referral read it (an event that
   waited for a calendar file) moves to its successor, as the unit's open referrals did. */
int referral_unit_follow (xc_call_t *call, json_int_t id, const char *unit);
/* The district owning round ("" for the city, an unknown round or NULL) into out. */
int referral_round_owner (xc_call_t *call, const char *round, char *out, size_t size);
/* The round intake recorded problem under (from its problem.* events) into out ("" unknown). */
int referral_problem_round (xc_call_t *call, json_int_t problem, char *out, size_t size);
/* An SQL expression: the name of referrals.unit on referrals.referred_on. */
extern const char *const referral_name_at_sql;

/* life.c */
/*  A referral as the transitions need it, and the day the transition happened. */
typedef struct {
    json_int_t id;
    char kind[16], target[XC_NAME_MAX], state[16], method[32], due[XC_DATE_LEN + 1];
    char referred_on[XC_DATE_LEN + 1], last_on[XC_DATE_LEN + 1], quiet_until[XC_DATE_LEN + 1];
    bool disposed;                   /* disposed once: its feedback was given */
    char on[XC_DATE_LEN + 1];        /* the day this transition happened (occurred_on or today) */
    bool from_history;               /* sent by the office on the target's behalf, from the record */
    char district[REFERRAL_DISTRICT_LEN];   /* the owner of its round ("": the city) */
} referral_row_t;

/*  Who sends a transition: the target; the office (the city's, or the district's owning the
    referral's round); the office, dated against the referral's date only (a sign-off). */
enum { REFERRAL_AS_TARGET, REFERRAL_AS_OFFICE, REFERRAL_AS_OFFICE_SINCE_REFERRED };
/*  Loads the referral of data.referral; checks the sender is its target (or the office, by
    mode), or a history role recording the target's act from paper (only with occurred_on);
    sets the transition's day, which may not be before the referral's last dated fact
    (conflict). */
int referral_load (xc_call_t *call, const referral_t *referral, referral_row_t *r, int mode);
/*  Whether r's due date may move to due (extensions.c): 0, or -1 after failing the call. */
int referral_extension_allowed (xc_call_t *call, const referral_row_t *r, const char *due);
int referral_make (xc_call_t *call, const referral_t *referral, const char *kind,
                   const char *target, json_int_t problem, const char *title, json_t *content,
                   xc_date_t date, const char *by, const referral_origin_t *origin);
int referral_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state);
/*  What an intake event is about, for the events waiting for a calendar (service.h): a
    problem.referred or problem.handed_over is about its problem ("problem:17"). */
void referral_event_object (const char *source, const xc_event_t *event, char *object, size_t size,
                            void *state);
int referral_create (xc_call_t *call, void *state);
int referral_acknowledge (xc_call_t *call, void *state);
int referral_dispose (xc_call_t *call, void *state);
int referral_outcome (xc_call_t *call, void *state);
int referral_reopen (xc_call_t *call, void *state);
int referral_conclude (xc_call_t *call, void *state);
int referral_extend (xc_call_t *call, void *state);
int referral_sign (xc_call_t *call, void *state);
/* extensions.c: the target's requests for more time, and the office's answer (extend grants) */
int referral_request_extension (xc_call_t *call, void *state);
int referral_decline_extension (xc_call_t *call, void *state);
/* Marks the referral's open request (if any) granted with due; *n its number (0: none). */
int referral_extension_grant (xc_call_t *call, json_int_t id, const char *due, json_int_t *n);
/* The referral's requests for referral.get: [{"n", "due", "reason", "requested_at",
   "requested_by", "state", "answer"}]; NULL on failure (the call failed). */
json_t *referral_extension_requests (xc_call_t *call, json_int_t id);
/* Appends to a referral's history (data stolen). */
/*  Emits an event (data stolen); one about a referral (data's "referral") is kept by outbox id,
    so that referral.get gives the referral's events with their seq and hash (the sources a
    formal document names, rectify's documents). */
int referral_emit (xc_call_t *call, const char *type, const char *visibility, const char *key, json_t *data);
int referral_history (xc_call_t *call, json_int_t id, const char *action, const char *by,
                      json_t *data);

/* deadlines.c: each under the rules in force for the referral (referral_policy_rules) */
int referral_due (xc_call_t *call, const referral_rules_t *rules, const char *kind, xc_date_t start,
                  xc_date_t *due, char *explain, size_t explain_size);
/* The next day after today on which an alert falls due for a referral due on due (a warning
   threshold's day, or the day after due for the overdue notice); 0 when none is left. */
xc_date_t referral_alert_next (const referral_rules_t *rules, xc_date_t due, xc_date_t today);
/* The first alert's day for a new due date: the largest threshold before it. */
xc_date_t referral_alert_first (const referral_rules_t *rules, xc_date_t due);
/* Writes that day (or NULL) into the referral's alert_next. */
int referral_alert_schedule (xc_call_t *call, const referral_rules_t *rules, json_int_t id,
                             xc_date_t due, xc_date_t today);
int referral_tick (xc_call_t *call, void *state);

/* queries.c */
int referral_get (xc_call_t *call, void *state);
int referral_list (xc_call_t *call, void *state);
int referral_stats (xc_call_t *call, void *state);
/* referral.outcome_kinds: the policy's forms and kinds of a person's outcome */
int referral_outcome_kinds (xc_call_t *call, void *state);
/*  Who reads which referrals, shared by referral.list and referral.search (so that a search
    returns and counts exactly what the list shows): the office every one; a district office
    those sent to it and, when its lead_access is status or full, those of the rounds it owns
    (by the indexes (target, id) and (owner_district, id)); anyone else those sent to it.
    rows: the SQL condition on alias for the rows read; whole: the condition for a row read
    whole (its title and content; a district's row under lead_access status is read without
    them). Parameters REFERRAL_REACH_PARAM .. +2, bound by referral_reach_bind. -1 after
    failing the call. */
#define REFERRAL_REACH_PARAM 40
typedef struct {
    const char *district, *iss;      /* borrowed from the call */
    bool whole_all;
    char rows[512], whole[128];
} referral_reach_t;
int referral_reach (xc_call_t *call, const referral_t *referral, const char *alias, referral_reach_t *reach);
void referral_reach_bind (sqlite3_stmt *stmt, const referral_reach_t *reach);

/* search.c: referral.search over the referrals' titles, contents and units' names */
/*  policy.c: policies.referral.search's fields and, from the checked section (or NULL), the policy
    with its defaults. */
extern const xc_field_t referral_search_policy_fields[];
/*  policies.referral.search (given: the checked section or NULL) with its defaults. */
void referral_search_policy_load (referral_policy_t *policy, const json_t *given);
int referral_search (xc_call_t *call, void *state);

#endif
