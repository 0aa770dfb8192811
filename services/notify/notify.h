/*  notify.h: what the notification service's modules share (docs/services/notify.md).

    policy (policies.notify: directory, rules, templates, retries), route (events to
    deliveries: rules, recipients, one delivery per event, recipient and channel), render
    (subjects and texts from templates), deliver (the tick: webhook and email transfers with
    libcurl's multi interface, retries, dead letters, digests, stream re-offers), stream
    (notify.read, notify.ack), queries (list, get, stats), districts (an event's owner, the
    city's or a district's, and who reads as a district office); routes.c ties them into routes,
    main.c into the service.
*/
#ifndef XC_NOTIFY_H
#define XC_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/handler.h"
#include "common/service.h"

#define NOTIFY_SOURCES_MAX 8
#define NOTIFY_IN_FLIGHT_MAX 32       /* transfers at once */

typedef struct notify_transfer notify_transfer_t;

typedef struct {
    json_t *policy;                  /* policies.notify, checked, defaults filled in; owned */
    const json_t *directory;         /* id -> entry; borrowed from policy */
    const json_t *rules;             /* array */
    const json_t *templates;         /* type or type:colour -> {subject, text} */
    const json_t *labels;            /* a value -> how it reads in a text ("reminder" -> 提醒) */
    int max_attempts, backoff_ms, backoff_max_ms, timeout_ms;
    const char *smtp, *from;
    const char *sources[NOTIFY_SOURCES_MAX + 1];
    /* deliver.c: the transfers in flight (libcurl multi); deliveries made since the last tick */
    void *multi;
    notify_transfer_t *transfers;
    int in_flight;
    bool wake;
} notify_t;

/* routes.c: the service's commands and queries (types, roles, data schemas, handlers); main.c
   hands them to xc_service_main, tests/fuzz checks hostile data against their schemas. */
const xc_route_t *notify_routes (size_t *n);

/* policy.c */
int notify_policy_load (notify_t *notify, const xc_config_t *cfg, xc_err_t *err);
void notify_policy_free (notify_t *notify);

/* route.c */
int notify_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state);
/*  Whether the event's type matches a rule's pattern ("rectify.*", "*", or exact). */
bool notify_type_matches (const char *pattern, const char *type);
/*  The directory ids a selector ("role:office", "city:role:office", "owners|role:officer",
    "target", ...) names for an event's data whose owner is district (NULL: the city's); a new
    array, caller owns. */
json_t *notify_recipients (const notify_t *notify, const char *selector, const json_t *data, const char *district);

/* districts.c */
/*  Whether a directory entry is district's (NULL: the city's). */
bool notify_entry_of (const json_t *entry, const char *district);
/*  Who owns an event: *district gets the owning district's id (caller frees), NULL for the
    city's (round_owner "city", a city round, no round at all); *organ (caller owns) the organ
    that concerns it: the round owner's organ as intake sent it, else the name of the owner's
    office entry, else "". -1 after failing the call. */
int notify_event_owner (xc_call_t *call, const notify_t *notify, const json_t *data, char **district,
                        json_t **organ);
/*  The directory entry the sender reads as (*recipient, may be NULL): forbidden for a sender no
    entry names, and for a district office whose entry is not of its district. */
int notify_reader (xc_call_t *call, const notify_t *notify, const char **recipient);

/* render.c */
/*  Renders text with {member} replaced from values (an object: strings and integers); unknown
    members are left as written. Caller frees. */
char *notify_render (const char *text, const json_t *values);
/*  The subject and text of a notice of type for data, with the extras ({unit_name},
    {recipient}, {rule}, {source}, {seq}, {type}, {days_overdue}) and why it came appended.
    Caller frees both. */
int notify_compose (const notify_t *notify, const char *type, const json_t *data,
                    const json_t *extras, char **subject, char **text);

/* deliver.c */
int notify_tick (xc_call_t *call, void *state);
int notify_tick_within (void *state);
void notify_deliver_end (notify_t *notify);
/*  The notice a webhook or stream carries for the delivery row id (caller owns). */
json_t *notify_notice (xc_call_t *call, int64_t id);

/* stream.c */
int notify_read (xc_call_t *call, void *state);
int notify_ack (xc_call_t *call, void *state);
/*  The directory entry whose principal is iss, or NULL. */
const char *notify_recipient_of (const notify_t *notify, const char *iss);

/* queries.c */
int notify_list (xc_call_t *call, void *state);
int notify_get (xc_call_t *call, void *state);
int notify_stats (xc_call_t *call, void *state);

#endif
