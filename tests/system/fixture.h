/*  fixture.h: a throwaway deployment for system tests, and the real service binary run in it.

    fx_deploy writes, under a fresh temp folder: signing keys for the service and for the client
    principals of the table below, a principal registry, CURVE keypairs (when asked), for intake
    the reporter-identity secret key (secret.json, mode 0600), and a config whose endpoints are
    tcp://127.0.0.1:* (the ready file tells the ports). fx_start runs build/bin/xc-<service> in
    test mode and waits (bounded) for its ready file.

    Client principals (iss, role, registry scope), each with one key valid 2020-2099 unless
    said; scope {} unless said:
      office (office), petition-bureau (petition),
      audit-bureau (audit, scope {"units": ["*"]}),
      retired (office, key valid 2020 only), team-1 and team-2 (team),
      public-channel (public), referral and rectify (service),
      discipline-commission (discipline, scope {"units": ["D-1"]}: a district; the units below
        it by parent are supervised too, in rectify),
      org-department (organization: the organization department, another receiving body),
      unit-a (unit, scope {"units": ["U-A"]}), unit-b (unit, scope {"units": ["U-B"]}):
        inspected units' party organizations (rectify).
    A principal named like the service under test is left out (the service is registered
    under its own name with role service); a peer (fx_deploy_peer) named like one of them
    (referral, rectify) takes over that principal's key and entry instead of adding another.
*/
#ifndef XC_FIXTURE_H
#define XC_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/date.h"
#include "common/envelope.h"
#include "common/keys.h"
#include "common/transport.h"

#define FX_PRINCIPALS_MAX 24

typedef struct {
    char iss[XC_NAME_MAX];
    char role[XC_NAME_MAX];
    xc_key_t key;
} fx_principal_t;

typedef struct {
    char dir[256];                   /* the deployment folder (removed by fx_destroy) */
    char config[512];
    char database[512];
    char service[32];
    bool curve;
    xc_key_t office;                 /* principal "office", role "office" */
    xc_key_t petition;               /* principal "petition-bureau", role "petition" */
    xc_key_t audit;                  /* principal "audit-bureau", role "audit" */
    xc_key_t retired;                /* principal "retired", role "office", key valid 2020 only */
    fx_principal_t principals[FX_PRINCIPALS_MAX];   /* every client principal, the four above too */
    int n_principals;
    char secret[512];                /* intake: the secret key file; "" otherwise */
    xc_curve_keypair_t server_curve, office_curve, stranger_curve;
    xc_registry_t *registry;
    pid_t pid;
    char api[256];
    char events[256];
    bool peer;                       /* shares another fixture's folder (fx_deploy_peer) */
} fx_t;

int fx_deploy (fx_t *fx, const char *service, bool curve);
/*  A second service in base's deployment (same folder, registry, config and client keys):
    its own key <service>.jwk, database <service>.db and ready file, registered with role
    service; policy_json (may be NULL) becomes policies.<service>. Deploy peers before starting
    any service (a running one reloads the registry within a second anyway). */
int fx_deploy_peer (fx_t *peer, fx_t *base, const char *service, const char *policy_json);
/*  Writes the endpoints a started service got into the config, so a restart binds the same
    ports and other services of the deployment can connect to it. */
int fx_pin_endpoints (fx_t *fx);
/*  Starts the service with extra arguments (NULL-terminated list, may be NULL). */
int fx_start (fx_t *fx, const char *const *extra);
/*  Waits up to timeout_ms for the service to exit; returns its exit status, or -1 (it is
    then killed). */
int fx_wait (fx_t *fx, int timeout_ms);
/*  SIGTERM and wait; returns the exit status. */
int fx_stop (fx_t *fx);
void fx_destroy (fx_t *fx);

/*  A message from key's principal to the service; data is JSON text. Caller owns. */
char *fx_seal (fx_t *fx, const xc_key_t *key, const char *iss, const char *type,
               const char *data_json, char *id_out);
/*  The signing key of the client principal iss (see the table above), or NULL. Borrowed. */
const xc_key_t *fx_key (fx_t *fx, const char *iss);

/*  A client connected to the service (with the office's curve key when curve is on). */
xc_client_t *fx_client (fx_t *fx, const xc_curve_keypair_t *curve);
/*  Sends and waits for the answer (2 s); returns 0 on ack/result, else -1 with err. */
int fx_call (fx_t *fx, xc_client_t *client, const char *iss, const char *msg, const char *id,
             xc_msg_t **reply_p, xc_err_t *err);
/*  Runs one SQL query against the service's database file and returns the first column
    of the first row as an integer (-1 on failure). */
long long fx_sql_int (fx_t *fx, const char *sql);

/* ------------------------------------------------------------------ calls with answers

    What the system tests share to talk to a service: client is the connection to use (a test
    may hold several), iss one of the client principals of the table (it signs with its key). */

/*  Seals type with data (JSON text) as iss and calls (fx_call): 0 on ack/result, else -1 with
    err (may be NULL). The reply goes to *reply_p (caller destroys), the message id to id_out
    (XC_UUID_LEN + 1 bytes). */
int fx_ask (fx_t *fx, xc_client_t *client, const char *iss, const char *type,
            const char *data_json, char *id_out, xc_msg_t **reply_p, xc_err_t *err);
/*  Calls with a sealed msg (id its message id) and returns the ack's result or the query's
    result (caller owns; an ack without a result gives an empty object), or NULL with *code_p
    and text (text_size bytes, may be 0) saying why. status (16 bytes, may be NULL) gets the
    ack's status ("accepted", "duplicate") or "result". */
json_t *fx_send_sealed (fx_t *fx, xc_client_t *client, const char *iss, const char *msg,
                        const char *id, xc_code_t *code_p, char *text, size_t text_size,
                        char *status);
/*  The same, sealing type with data (stolen) as iss first. */
json_t *fx_send (fx_t *fx, xc_client_t *client, const char *iss, const char *type, json_t *data,
                 xc_code_t *code_p, char *text, size_t text_size, char *status);

/*  Every item of a paged list query (type: {"items", "next"}) as iss with filters (stolen),
    in pages of 50 (caller owns); NULL when a page is refused or has no items, with why (size
    bytes) saying so. */
json_t *fx_list_all (fx_t *fx, xc_client_t *client, const char *iss, const char *type, json_t *filters,
                     char *why, size_t size);

/* ------------------------------------------------------------------ events */

/*  Every events.read entry after seq `after`, read by iss in pages of limit, paging to the
    head (caller owns); NULL when a read is refused. */
json_t *fx_events (fx_t *fx, xc_client_t *client, const char *iss, int64_t after, int limit);
/*  The events head as the office reads it (-1 when refused). */
int64_t fx_head (fx_t *fx, xc_client_t *client);
/*  The event of an events.read entry, verified as a stored message signed by fx's service
    (caller destroys); NULL when it has no message, does not verify or is another's. */
xc_msg_t *fx_event_open (fx_t *fx, const json_t *entry);
/*  The data of every event of type after seq `after` (the office's view, pages of limit), in
    order, each with its seq added as "_seq" when with_seq; an entry that does not open is a
    JSON null, so a check fails on it (caller owns). */
json_t *fx_events_of (fx_t *fx, xc_client_t *client, int64_t after, const char *type, int limit,
                      bool with_seq);
/*  The types of the events after seq `after` (the office's view, pages of limit), joined by
    spaces into out (size bytes). */
void fx_event_types (fx_t *fx, xc_client_t *client, int64_t after, int limit, char *out,
                     size_t size);

/* ------------------------------------------------------------------ nothing stored */

/*  What a refusal must leave as it was: the events head and the inbox and outbox rows. */
typedef struct {
    int64_t head;
    long long inbox, outbox;
} fx_snap_t;

fx_snap_t fx_snap (fx_t *fx, xc_client_t *client);
/*  Sends type with data (stolen) as iss: 0 when it is refused with want and stores nothing
    (fx_snap the same before and after), else -1 with why (size bytes) saying what went wrong. */
int fx_refused (fx_t *fx, xc_client_t *client, xc_code_t want, const char *iss, const char *type,
                json_t *data, char *why, size_t size);

/*  CPU seconds (user + system) a process (tid 0) or one of its threads has used, from
    /proc/<pid>[/task/<tid>]/stat; 0 when it cannot be read. For the benches. */
double fx_cpu_seconds (pid_t pid, pid_t tid);

/*  Today in the fixture's deployment (UTC+08:00), by the wall clock. */
xc_date_t fx_today (void);
/*  Where the services end a period of days or months that the arithmetic puts on date (the
    default period_end, next_workday): a day off of a year with a file in config/calendar moves
    to the next working day; a year without one leaves it. Walked day by day from the files,
    apart from calendar.c's own period code. */
xc_date_t fx_period_end (xc_date_t date);

/*  A failed check reported at the caller's line, for helpers that check on a test's behalf
    (tests/harness.h must be included before it is used). */
#define FX_FAIL_AT(line, ...)                                                              \
    do {                                                                                   \
        fprintf (stderr, "FAIL %s (%s:%d): ", h_current, __FILE__, line);                  \
        fprintf (stderr, __VA_ARGS__);                                                     \
        fputc ('\n', stderr);                                                              \
        h_checks_failed_now++;                                                             \
    } while (0)

#endif
