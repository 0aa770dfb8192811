/*  intake.h: what the intake service's modules share (docs/services/intake.md).

    One module per concern: policy (the policies.intake section of the config), identity (the
    reporter's identity, encrypted at rest), units, rounds, problems, stats, public (the public
    channel, 码上巡; helpers shared by every service's handlers are in common/handler.h);
    routes.c ties them into the service's routes, main.c into the service. Handlers run inside
    the common service loop (common/service.h): they check roles, read and write the intake
    tables, and emit events; the loop commits.
*/
#ifndef XC_INTAKE_H
#define XC_INTAKE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "common/calendar.h"
#include "common/keys.h"
#include "common/handler.h"
#include "common/service.h"

#define INTAKE_MAX_CATEGORIES 128
#define INTAKE_MAX_CATEGORY_DEPTH 6
#define INTAKE_MAX_SEVERITIES 16
#define INTAKE_MAX_READERS 16

typedef struct {
    char id[XC_NAME_MAX];
    char name[256];
    int parent;                      /* index of the parent category, -1 at the top */
    int depth;
    char name_path[1600];            /* names from the root joined by " › " */
} intake_category_t;

#define INTAKE_MAX_DEFINITIONS 32

typedef struct {
    char figure[XC_NAME_MAX];        /* "problems.total" */
    char text[1024];
} intake_definition_t;

#define INTAKE_MAX_PUBLIC_STEPS 8
#define INTAKE_MAX_LOOKUPS 1000      /* failed receipt lookups remembered (public.c) */

/*  policies.intake.public (docs/services/intake.md, "The public channel (码上巡)"). */
typedef struct {
    char open_stages[INTAKE_MAX_SEVERITIES][XC_NAME_MAX];   /* a round takes reports at these */
    int n_open_stages;
    int daily_limit;                 /* public reports per round per day */
    int text_bytes;                  /* a report's or an answer's text */
    int files;                       /* evidence entries per report or answer */
    int failed_lookups;              /* unknown receipt codes per minute before the pause */
    int lockout_seconds;             /* how long lookups pause after that */
    bool team_reads_contact;         /* contact_readers names "team" (the office always) */
    char category[XC_NAME_MAX];      /* a public report's category and severity */
    char severity[XC_NAME_MAX];
    char steps[INTAKE_MAX_PUBLIC_STEPS][512];   /* what happens to a report, in Chinese */
    int n_steps;
    char contact_notice[1024];       /* who can open the contact, in Chinese */
    char feedback_text[512];         /* public.status' feedback once fed back, in Chinese */
} intake_public_policy_t;

/*  policies.intake.search (docs/services/intake.md, "Search"). */
typedef struct {
    int w_summary, w_detail, w_unit_names;   /* bm25's column weights */
    int count_max;                   /* matches counted at most (count_capped beyond) */
    int rank_window;                 /* the newest matches ranked and paged (>= 1100: offset + limit) */
    int max_terms;                   /* terms in one search */
    int snippet_tokens;              /* characters or words in a snippet */
} intake_search_policy_t;

typedef struct {
    intake_category_t categories[INTAKE_MAX_CATEGORIES];
    int n_categories;
    char severities[INTAKE_MAX_SEVERITIES][XC_NAME_MAX];
    int n_severities;
    xc_span_t report_due;            /* after withdrawal, before round.report_overdue */
    xc_span_t history_quiet;         /* a round withdrawn from history: no notice so long */
    char event_roles[INTAKE_MAX_READERS][XC_NAME_MAX];
    int n_event_roles;
    char restricted_roles[INTAKE_MAX_READERS][XC_NAME_MAX];
    int n_restricted_roles;
    char restricted_principals[INTAKE_MAX_READERS][XC_NAME_MAX];
    int n_restricted_principals;
    char history_roles[INTAKE_MAX_READERS][XC_NAME_MAX];   /* may give occurred_on */
    int n_history_roles;
    char organ_city[256];            /* the 巡察机构 of a city round */
    char organ_district_suffix[128]; /* after a district's name: its 巡察机构 */
    bool lookback_additions;         /* lookback_new_targets: "addition" (else "refuse") */
    intake_definition_t definitions[INTAKE_MAX_DEFINITIONS];   /* intake.stats' figures */
    int n_definitions;
    /* NULL-terminated views of event_roles, for the service's event_readers */
    const char *event_role_list[INTAKE_MAX_READERS + 1];
    const char *history_role_list[INTAKE_MAX_READERS + 1];
    intake_public_policy_t public;   /* policies.intake.public: the public channel (public.c) */
    intake_search_policy_t search;   /* policies.intake.search (search.c) */
} intake_policy_t;

typedef struct {
    intake_policy_t policy;
    unsigned char secret[XC_SECRET_BYTES];   /* encrypts reporter identities */
    /* public.c: the X25519 key pair a reporter's browser seals the contact to, derived from
       secret; and the times of recent failed receipt lookups (in memory: a rate limit) */
    unsigned char seal_pk[32], seal_sk[32];
    int64_t lookup_fails[INTAKE_MAX_LOOKUPS];
    int n_lookup_fails;
    int64_t lookups_paused_until;
} intake_t;

/* The visibility class of events with lead details (events.read shows their message only to
   the restricted readers of the policy). */
#define INTAKE_RESTRICTED "restricted"

/* routes.c: round.open's link when not null ({"kind", "round" | "by" | "district"}). */
extern const xc_field_t intake_link_fields[];

/* routes.c: the service's commands and queries (types, roles, data schemas, handlers); main.c
   hands them to xc_service_main, tests/fuzz checks hostile data against their schemas. */
const xc_route_t *intake_routes (size_t *n);

/* policy.c */
int intake_policy_load (intake_policy_t *policy, const xc_config_t *cfg, xc_err_t *err);
bool intake_policy_category (const intake_policy_t *policy, const char *id);
const intake_category_t *intake_policy_category_find (const intake_policy_t *policy, const char *id);
/*  The ids from the root to id (empty when unknown). Caller owns. */
json_t *intake_policy_category_path (const intake_policy_t *policy, const char *id);
/*  id and every category under it (NULL when unknown). Caller owns. */
json_t *intake_policy_category_subtree (const intake_policy_t *policy, const char *id);
/*  Whether category index is ancestor or lies under it. */
bool intake_policy_category_under (const intake_policy_t *policy, int index, int ancestor);
bool intake_policy_severity (const intake_policy_t *policy, const char *severity);
bool intake_policy_restricted_reader (const intake_policy_t *policy, const xc_principal_t *p);

/* identity.c: the reporter's identity, sealed to its problem id. Caller owns results. */
int intake_identity_seal (const intake_t *intake, json_int_t problem, const json_t *reporter,
                          unsigned char **blob_p, size_t *len_p);
json_t *intake_identity_open (const intake_t *intake, json_int_t problem, const void *blob,
                              size_t len);

/* units.c */
int intake_unit_register (xc_call_t *call, void *state);
int intake_unit_rename (xc_call_t *call, void *state);
int intake_unit_merge (xc_call_t *call, void *state);
int intake_unit_split (xc_call_t *call, void *state);
int intake_unit_get (xc_call_t *call, void *state);
int intake_unit_list (xc_call_t *call, void *state);
json_t *intake_unit_json (xc_call_t *call, const char *id);   /* NULL when absent */
/*  Whether the unit is registered: 1 yes, 0 no, -1 the store failed (call's error set). */
int intake_unit_known (xc_call_t *call, const char *id);
/*  Whether a new round or problem dated `date` may name the unit: 0 yes (active, or the fact
    is dated before the unit was merged or split), -1 after failing the call (not_found,
    conflict "unit X was merged into Y on D"). */
int intake_unit_usable (xc_call_t *call, const char *id, const char *date);

/* rounds.c */
void intake_rounds_init (const intake_policy_t *policy);   /* at start */
int intake_round_open (xc_call_t *call, void *state);
int intake_round_advance (xc_call_t *call, void *state);
int intake_round_get (xc_call_t *call, void *state);
int intake_round_list (xc_call_t *call, void *state);
int intake_rounds_tick (xc_call_t *call, void *state);
json_t *intake_round_json (xc_call_t *call, const char *id);  /* NULL when absent */

/* district.c: a district office's scope (docs/services/intake.md, "District offices"). */
typedef enum { INTAKE_SCOPE_NONE, INTAKE_SCOPE_READS, INTAKE_SCOPE_OWNS } intake_scope_t;
/*  Whether unit is in district (the unit itself or an ancestor by parent): 1 yes, 0 no, -1 the
    store failed (call's error set). */
int intake_unit_in_district (xc_call_t *call, const char *unit, const char *district);
/*  Whether a district office sees the unit: in its district, or a target of a crossed round
    whose `by` is its district. 1, 0, -1 as above. */
int intake_unit_visible (xc_call_t *call, const char *unit, const char *district);
/*  What district is to a round as intake_round_json shows it (NONE for a NULL district). */
intake_scope_t intake_round_scope (const json_t *round, const char *district);
/*  The same for a round id (NULL: no round); *exists says whether the round is there. */
int intake_round_id_scope (xc_call_t *call, const char *round, const char *district,
                           intake_scope_t *scope, bool *exists);
/*  0 when unit is in district, else fails the call forbidden (what names the member). */
int intake_district_unit_check (xc_call_t *call, const char *district, const char *unit,
                                const char *what);
/*  A unit a district office registers ({id, name, level, parent}): its parent in the
    district, its level not district nor city_department; fails the call (forbidden,
    not_found for an unknown parent) otherwise. */
int intake_district_new_unit (xc_call_t *call, const char *district, const json_t *unit,
                              const char *what);

/* problems.c */
int intake_problem_report (xc_call_t *call, void *state);
int intake_problem_classify (xc_call_t *call, void *state);
int intake_problem_merge (xc_call_t *call, void *state);
int intake_problem_get (xc_call_t *call, void *state);
/* The files' access callback (common/files.h): may the caller read record "problem:<id>"
   as problem.get would let it. 1, 0, or -1 after failing the call. */
int intake_file_readable (xc_call_t *call, const char *record, void *state);
int intake_problem_list (xc_call_t *call, void *state);
/* problem.categories: the policy's categories in its order, with their name paths. */
int intake_problem_categories (xc_call_t *call, void *state);
/* Feeds back the round's problems classified for feedback and not yet fed back. */
int intake_problems_feed_back_round (xc_call_t *call, const intake_t *intake, const char *round,
                                     const char *date);

/*  Records a problem from a report's data (problem.report's fields; the sender's source rules
    apply) and emits problem.recorded: 0 with *id set, or -1 after failing the call. */
int intake_problem_record (xc_call_t *call, const intake_t *intake, const json_t *data, json_int_t *id);

/* policy.c: policies.intake.public, its schema and its loading (called by
   intake_policy_load, after the categories and severities it checks against) */
extern const xc_field_t intake_public_policy_fields[];
int intake_public_policy_load (intake_public_policy_t *policy, const json_t *section,
                               const intake_policy_t *intake_policy, xc_err_t *err);

/* public.c: the public channel (码上巡; docs/services/intake.md, "The public channel") */
int intake_public_keys (intake_t *intake);   /* derives the sealing key pair at start */
int intake_public_info (xc_call_t *call, void *state);
int intake_public_report (xc_call_t *call, void *state);
int intake_public_status (xc_call_t *call, void *state);
int intake_public_answer (xc_call_t *call, void *state);
int intake_problem_ask (xc_call_t *call, void *state);
int intake_problem_contact (xc_call_t *call, void *state);
/*  problem.get's additions for a public-channel problem (questions, public); 0 or -1. */
int intake_public_problem (xc_call_t *call, json_t *problem);

/* scope.c: who reads which problem in problem.list and problem.search (the rules of
   problems.c's s_may_read and of a district office's rounds, written once as SQL). */
typedef struct {
    const char *district;            /* a district office: the rounds it owns or crosses */
    const char *team;                /* a team: its rounds' problems */
    const char *reporter;            /* a reporting role: what it reported */
    bool no_leads;                   /* an office or service principal, no restricted reader */
} intake_reader_t;
/*  The sender as a reader (borrowed strings: the call's). 0, or -1 after failing the call. */
int intake_reader_get (xc_call_t *call, const intake_t *intake, intake_reader_t *reader);
/*  The condition on problems (alias p) of a district office, parameter ?20 ... */
#define INTAKE_READER_DISTRICT_SQL                                                             \
    " p.round IN (SELECT id FROM rounds WHERE owner_district = ?20"                            \
    " UNION ALL SELECT id FROM rounds WHERE link_by = ?20)"
/*  ... and of any other reader, parameters ?21 (team), ?22 (reporter), ?23 (no leads). */
#define INTAKE_READER_SQL                                                                      \
    " (?21 IS NULL OR p.round IN (SELECT id FROM rounds WHERE team = ?21))"                    \
    " AND (?22 IS NULL OR p.reported_by = ?22)"                                                \
    " AND (?23 = 0 OR NOT EXISTS (SELECT 1 FROM dispositions d WHERE d.problem = p.id AND d.kind = 'lead'))"
/*  Binds the reader's parameters (?20 for a district office, else ?21-?23). */
void intake_reader_bind (sqlite3_stmt *stmt, const intake_reader_t *reader);
/*  data's "category" and every category under it as a JSON array text (NULL without one).
    Caller frees. */
char *intake_category_ids (const intake_t *intake, const json_t *data);

/* search.c: problem.search (docs/services/intake.md, "Search") */
int intake_problem_search (xc_call_t *call, void *state);

/* stats.c */
int intake_stats (xc_call_t *call, void *state);

#endif
