/*  intake.h: what the intake service's modules share (docs/services/intake.md).

    One module per concern: policy (the policies.intake section of the config), identity (the
    reporter's identity, encrypted at rest), units, rounds, problems, stats (helpers shared by
    every service's handlers are in common/handler.h); routes.c ties them into the service's
    routes, main.c into the service. Handlers run inside the common service loop
    (common/service.h): they check roles, read and write the intake tables, and emit events;
    the loop commits.
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

#define INTAKE_MAX_CATEGORIES 64
#define INTAKE_MAX_SEVERITIES 16
#define INTAKE_MAX_READERS 16

typedef struct {
    char id[XC_NAME_MAX];
    char name[256];
} intake_category_t;

typedef struct {
    intake_category_t categories[INTAKE_MAX_CATEGORIES];
    int n_categories;
    char severities[INTAKE_MAX_SEVERITIES][XC_NAME_MAX];
    int n_severities;
    xc_span_t report_due;            /* after withdrawal, before round.report_overdue */
    char event_roles[INTAKE_MAX_READERS][XC_NAME_MAX];
    int n_event_roles;
    char restricted_roles[INTAKE_MAX_READERS][XC_NAME_MAX];
    int n_restricted_roles;
    char restricted_principals[INTAKE_MAX_READERS][XC_NAME_MAX];
    int n_restricted_principals;
    /* NULL-terminated views of event_roles, for the service's event_readers */
    const char *event_role_list[INTAKE_MAX_READERS + 1];
} intake_policy_t;

typedef struct {
    intake_policy_t policy;
    unsigned char secret[XC_SECRET_BYTES];   /* encrypts reporter identities */
} intake_t;

/* The visibility class of events with lead details (events.read shows their message only to
   the restricted readers of the policy). */
#define INTAKE_RESTRICTED "restricted"

/* routes.c: the service's commands and queries (types, roles, data schemas, handlers); main.c
   hands them to xc_service_main, tests/fuzz checks hostile data against their schemas. */
const xc_route_t *intake_routes (size_t *n);

/* policy.c */
int intake_policy_load (intake_policy_t *policy, const xc_config_t *cfg, xc_err_t *err);
bool intake_policy_category (const intake_policy_t *policy, const char *id);
bool intake_policy_severity (const intake_policy_t *policy, const char *severity);
bool intake_policy_restricted_reader (const intake_policy_t *policy, const xc_principal_t *p);

/* identity.c: the reporter's identity, sealed to its problem id. Caller owns results. */
int intake_identity_seal (const intake_t *intake, json_int_t problem, const json_t *reporter,
                          unsigned char **blob_p, size_t *len_p);
json_t *intake_identity_open (const intake_t *intake, json_int_t problem, const void *blob,
                              size_t len);

/* units.c */
int intake_unit_register (xc_call_t *call, void *state);
int intake_unit_get (xc_call_t *call, void *state);
int intake_unit_list (xc_call_t *call, void *state);
json_t *intake_unit_json (xc_call_t *call, const char *id);   /* NULL when absent */
/*  Whether the unit is registered: 1 yes, 0 no, -1 the store failed (call's error set). */
int intake_unit_known (xc_call_t *call, const char *id);

/* rounds.c */
int intake_round_open (xc_call_t *call, void *state);
int intake_round_advance (xc_call_t *call, void *state);
int intake_round_get (xc_call_t *call, void *state);
int intake_round_list (xc_call_t *call, void *state);
int intake_rounds_tick (xc_call_t *call, void *state);
json_t *intake_round_json (xc_call_t *call, const char *id);  /* NULL when absent */

/* problems.c */
int intake_problem_report (xc_call_t *call, void *state);
int intake_problem_classify (xc_call_t *call, void *state);
int intake_problem_merge (xc_call_t *call, void *state);
int intake_problem_get (xc_call_t *call, void *state);
int intake_problem_list (xc_call_t *call, void *state);
/* Feeds back the round's problems classified for feedback and not yet fed back. */
int intake_problems_feed_back_round (xc_call_t *call, const char *round, const char *date);

/* stats.c */
int intake_stats (xc_call_t *call, void *state);

#endif
