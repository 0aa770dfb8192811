/*  service.h: the life of a service and the path of every command through it.

    A service is a name, its own migrations, a table of routes and optional hooks; main () is
    one call to xc_service_main. The common part does everything else:

      config -> registry -> own signing key -> calendar -> store -> sockets -> loop until
      SIGTERM/SIGINT -> close in reverse order.

    Each poll cycle takes every request that is ready (up to limits.batch_max) and:
      1. opens each envelope (envelope.h: size ... iat; for a route admitting the role
         XC_ROLE_ENROLLEE, an unregistered signer proving its key), then checks the route exists
         (unknown_type), the sender's role may use it (forbidden), under CURVE that the
         connection's key belongs to the signer (forbidden), and the data schema (schema);
      2. answers queries at once (read-only);
      3. runs all commands in ONE transaction (group commit), each inside its own savepoint:
         inbox check (duplicate / replayed), the handler, the events it emits, the inbox record;
         a failing command rolls back to its savepoint and gets its error;
      4. commits (synchronous=FULL), and only then signs and sends each command's own reply;
         a failed commit answers every command of the batch `unavailable` (retry, same id);
      5. publishes a wake-up hint when events were appended.
    A timer calls the tick hook every limits.tick_ms; a signed heartbeat carrying the latest
    event seq goes out every limits.heartbeat_ms. A service that reads other services' events
    (sources) has a consumer per source polled in the same loop; each batch of events is
    applied in one transaction together with the source's new offset; an event that must wait
    for a year's calendar file is parked in that transaction (event_object, waiting.h) and
    applied once limits.calendar_check_ms finds the folder changed.

    Routes every service has: the queries `events.read` {after, limit} (roles in
    event_readers), `health` {} (any registered principal) and, only in test mode,
    `clock.set` {clock} (moves the domain clock forward to that RFC 3339 instant).

    Command line: --config FILE (default $XC_CONFIG, then config/local.json), --ready-file
    FILE (written once the sockets are bound: {"service","api","events","pid"}), --test-mode,
    and with it --fail-after-commit N (exit after the N-th commit, before its replies: used to
    prove that an acknowledged command survives and that a retry gets `duplicate`).
*/
#ifndef XC_SERVICE_H
#define XC_SERVICE_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/calendar.h"
#include "common/config.h"
#include "common/consumer.h"
#include "common/envelope.h"
#include "common/error.h"
#include "common/schema.h"
#include "common/store.h"

typedef struct xc_service xc_service_t;
typedef struct xc_call xc_call_t;

/*  A handler returns 0 (with an optional result set by xc_call_result) or -1 (after
    xc_call_fail). It must not commit or roll back: the service does. */
typedef int (*xc_handler_fn) (xc_call_t *call, void *state);

/*  Applies one event of a source the service reads (consumer.h). event->msg is NULL when the
    source redacted it for this reader. Runs inside the transaction that also stores the
    source's offset: return -1 (after xc_call_fail) and the whole batch is rolled back and
    read again later. */
typedef int (*xc_apply_fn) (xc_call_t *call, const char *source, const xc_event_t *event,
                            void *state);

typedef enum { XC_COMMAND, XC_QUERY } xc_route_kind_t;

typedef struct {
    const char *type;                /* "echo.note" */
    xc_route_kind_t kind;
    const char *const *roles;        /* NULL-terminated; "*" admits every registered role */
    const xc_field_t *schema;        /* fields of data; NULL: data must be {} */
    xc_handler_fn handler;
} xc_route_t;
/*  Proof of possession: a route whose roles name XC_ROLE_ENROLLEE ("enrollee", envelope.h)
    admits a signer whose key is not in the registry yet, which proves it holds the key the
    message carries in data.key (xc_verify_t.possession) and has that pseudo-role. No
    registered principal has it, and "*" does not admit it. */

typedef struct {
    const char *name;                /* the service's name: its aud and the iss of its messages */
    const xc_migration_t *migrations;
    size_t n_migrations;
    const xc_route_t *routes;
    size_t n_routes;
    const char *const *event_readers;  /* roles that may call events.read; NULL-terminated */
    void *state;                     /* passed to every hook and handler */
    /* optional: after the store is open, before the sockets; e.g. load policies */
    int (*start) (xc_service_t *service, void *state, xc_err_t *err);
    /* optional: every tick; call xc_call_begin before writing */
    int (*tick) (xc_call_t *call, void *state);
    /* optional: how soon (ms) the service wants its next tick, or -1 for limits.tick_ms; asked
       on every turn of the loop (e.g. 5 while network transfers are in flight) */
    int (*tick_within) (void *state);
    /* optional: whether reader may see the message of an event of this visibility class;
       events.read gives the others the event's seq, id, type and hash with "redacted": true,
       so every reader's offsets stay contiguous. NULL: every reader sees every message. */
    bool (*event_visible) (const xc_principal_t *reader, const char *visibility, void *state);
    /* optional: the services whose events it reads (NULL-terminated; may be filled by start)
       and what it does with each event */
    const char *const *sources;
    xc_apply_fn apply;
    /* optional: the object an event is about ("unit:U-A"), written into object (size bytes),
       or "" for none. With it, an event whose apply calls xc_call_wait_calendar is parked
       (waiting.h) and the batch goes on; a later event about the same object is parked behind
       it, so each object's events keep the source's order. Without it, a failing event fails
       its batch, as any other failure. */
    void (*event_object) (const char *source, const xc_event_t *event, char *object, size_t size,
                          void *state);
    /* the visibility class of the calendar.waiting notice (NULL: open) */
    const char *waiting_visibility;
} xc_service_def_t;

/*  Runs the service until SIGTERM or SIGINT. Returns the process exit status. */
int xc_service_main (const xc_service_def_t *def, int argc, char **argv);

/*  Accessors for hooks. Borrowed. */
const xc_config_t *xc_service_config (const xc_service_t *service);
const xc_calendar_t *xc_service_calendar (const xc_service_t *service);
xc_store_t *xc_service_store (xc_service_t *service);

/*  Inside a handler or tick. All borrowed. */
const xc_msg_t *xc_call_msg (const xc_call_t *call);        /* NULL in a tick */
sqlite3 *xc_call_db (xc_call_t *call);
xc_store_t *xc_call_store (xc_call_t *call);
const xc_calendar_t *xc_call_calendar (const xc_call_t *call);
const xc_config_t *xc_call_config (const xc_call_t *call);
int64_t xc_call_now (const xc_call_t *call);                 /* the domain clock */

/*  In a tick: starts the transaction the tick's writes go into (no-op in a command). */
int xc_call_begin (xc_call_t *call);

/*  Appends a signed event (iss = the service, aud = "*", corr = the id of the command or of
    the source event that caused it) to the outbox in the current transaction. visibility:
    NULL ("open") or a class the service's event_visible hook knows. key: NULL for a new event,
    or a deterministic key such as "overdue:<item>:<due>" so that the same event is appended
    at most once (then the message id is derived from the key). data is borrowed.
    The event is built here but signed and appended just before the transaction commits, with
    the others of the transaction, in the order they were emitted (the signatures spread over
    the verifier threads); a command that fails takes its events back with its savepoint. */
int xc_call_emit (xc_call_t *call, const char *type, const char *visibility, const char *key,
                  const json_t *data);
/*  xc_call_emit, and the event filed under the record it is about, in the same transaction:
    insert_sql, a statement of the service's own table, is run with ?1 object and ?2 the
    event's outbox id (its key when keyed, else its message id), e.g. "INSERT OR IGNORE INTO
    item_events (item, event_id) VALUES (?1, ?2)"; nothing is filed when object <= 0. A
    service's *.get then lists a record's events with their seq and hash from the outbox (the
    sources a formal document names). */
int xc_call_emit_filed (xc_call_t *call, const char *type, const char *visibility, const char *key,
                        const json_t *data, const char *insert_sql, json_int_t object);

/*  A message signed by the service for someone outside the protocol's request/reply (e.g. a
    webhook): iss the service, exp iat + limits.clock_skew_seconds, id derived from key as for
    events (the same on every copy), written to id_out. Caller owns; NULL after failing. */
char *xc_call_seal (xc_call_t *call, const char *key, const char *aud, const char *type,
                    const json_t *data, size_t *len_p, char id_out[XC_UUID_LEN + 1]);

/*  Sets the command's or query's result (stolen). */
void xc_call_result (xc_call_t *call, json_t *result);

/*  In a command: sets the result the reply carries (stolen), while the inbox keeps `kept`
    (stolen) instead: for a result that must not rest in the store in plain (problem.contact's
    contact). A retry (duplicate) gets `kept`. */
void xc_call_result_withheld (xc_call_t *call, json_t *result, json_t *kept);

/*  Records why the call failed; returns -1 so a handler can `return xc_call_fail (...)`. */
int xc_call_fail (xc_call_t *call, xc_code_t code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  In a command: fails it as xc_call_fail does, but keeps what it wrote before (not its
    events' absence: it should emit none), for a refusal that must be remembered, such as a
    wrong code counted against its invitation. Returns -1. */
int xc_call_fail_keep (xc_call_t *call, xc_code_t code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  In an event's apply: the event cannot be applied before the working-day calendar has the
    year it lacks (why: the calendar's error text, "no working-day calendar for 2027"). Fails
    the call with XC_E_CONFIG and why; when the service has event_object, the event is parked
    instead of failing its batch, and applied when the calendar folder changes. Elsewhere
    (commands, ticks) it is a plain failure. Returns -1. */
int xc_call_wait_calendar (xc_call_t *call, const char *why);

/*  Fails the call with the store's error for db (see xc_store_fail). Returns -1. */
int xc_call_fail_db (xc_call_t *call, const char *what);

#endif
