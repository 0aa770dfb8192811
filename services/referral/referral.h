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
#include "common/service.h"

#define REFERRAL_MAX_WARNINGS 8

typedef struct {
    xc_span_t due_lead, due_handover, due_report;
    char due_text[3][32];            /* the spans as written, shown by referral.get */
    int warn_days[REFERRAL_MAX_WARNINGS];   /* ascending */
    int n_warn_days;
} referral_policy_t;

typedef struct {
    referral_policy_t policy;
} referral_t;

/* routes.c: the service's commands and queries (types, roles, data schemas, handlers); main.c
   hands them to xc_service_main, tests/fuzz checks hostile data against their schemas. */
const xc_route_t *referral_routes (size_t *n);

/* policy.c */
int referral_policy_load (referral_policy_t *policy, const xc_config_t *cfg, xc_err_t *err);
/* The span and its text for a kind ("lead", "handover", "report"). */
const xc_span_t *referral_policy_due (const referral_policy_t *policy, const char *kind,
                                      const char **text);

/* The visibility class of a referral's events: only the office and the target read them; an
   alert's (no content) also the services. */
void referral_visibility (const char *target, bool alert, char *out, size_t size);

/* life.c */
int referral_make (xc_call_t *call, const referral_t *referral, const char *kind,
                   const char *target, json_int_t problem, const char *title, json_t *content,
                   xc_date_t date, const char *by);
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
/* Appends to a referral's history (data stolen). */
int referral_history (xc_call_t *call, json_int_t id, const char *action, const char *by,
                      json_t *data);

/* deadlines.c */
int referral_due (xc_call_t *call, const referral_t *referral, const char *kind, xc_date_t start,
                  xc_date_t *due, char *explain, size_t explain_size);
/* The next day after today on which an alert falls due for a referral due on due (a warning
   threshold's day, or the day after due for the overdue notice); 0 when none is left. */
xc_date_t referral_alert_next (const referral_t *referral, xc_date_t due, xc_date_t today);
/* The first alert's day for a new due date: the largest threshold before it. */
xc_date_t referral_alert_first (const referral_t *referral, xc_date_t due);
/* Writes that day (or NULL) into the referral's alert_next. */
int referral_alert_schedule (xc_call_t *call, const referral_t *referral, json_int_t id,
                             xc_date_t due, xc_date_t today);
int referral_tick (xc_call_t *call, void *state);

/* queries.c */
int referral_get (xc_call_t *call, void *state);
int referral_list (xc_call_t *call, void *state);
int referral_stats (xc_call_t *call, void *state);

#endif
