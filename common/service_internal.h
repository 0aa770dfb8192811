/*  service_internal.h: the state a service's files share: private to common/service*.c
    (a service and its handlers see service.h only).

    The files, each one concern, and who calls whom. The calls go one way, down this list,
    never back up (a file calls only files below it):
      service.c          start and stop, the poll loop, a tick, xc_service_main and the
                         accessors a service's main() and start() call;
      service_batch.c    a batch of requests: admission, queries, commands, replies, and the
                         pipeline that overlaps batches (calls service_routes.c, service_call.c);
      service_consume.c  other services' events applied, events parked until the calendar
                         has what they need, the calendar re-checked (calls service_call.c);
      service_routes.c   the built-in routes: events.read, health, clock.set (calls
                         service_call.c);
      service_call.c     the xc_call_* API of handlers, the events a call emits (sealed,
                         appended to the outbox), a transaction's commit or rollback, the
                         published head. It calls none of the others. */
#ifndef XC_SERVICE_INTERNAL_H
#define XC_SERVICE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/checkpoint.h"
#include "common/keys.h"
#include "common/pool.h"
#include "common/service.h"
#include "common/transport.h"

#define SOURCES_MAX 8

/*  An event emitted in the current transaction: built, to be signed and appended just before
    the commit (events_append). */
typedef struct {
    char *event_id;                  /* the key, or the message id */
    bool keyed;
    char *type;
    char *visibility;                /* NULL: open */
    xc_sealing_t sealing;
    char *message;                   /* signed, by a verifier thread */
    size_t len;
    xc_err_t err;
} emitted_t;

struct xc_service {
    const xc_service_def_t *def;
    xc_consumer_t *consumers[SOURCES_MAX];
    int n_consumers;
    xc_config_t *config;
    const xc_service_conf_t *conf;
    xc_registry_t *registry;
    xc_key_t key;
    xc_calendar_t *calendar;
    xc_store_t *store;
    xc_checkpointer_t *checkpointer; /* the store's WAL copied back on a thread of its own */
    xc_server_t *server;
    xc_curve_keypair_t curve;
    xc_pool_t *verifiers;            /* opens a batch's envelopes on limits.verify_threads */
    const char **possession;         /* the types of the routes admitting XC_ROLE_ENROLLEE, NULL-ended */
    bool in_tx;
    bool in_command;                 /* inside a command's savepoint */
    emitted_t *events;               /* emitted in this transaction, not yet appended */
    int n_events;
    int events_max;
    int64_t started;                 /* wall clock */
    int commits;
    int fail_after_commit;           /* 0: never */
    uint64_t calendar_stamp;         /* of the calendar folder as loaded (xc_calendar_stamp) */
    int64_t calendar_check;          /* monotonic ms of the next look at the folder */
    int64_t n_waiting;               /* parked events (waiting.h), as last counted */
};

struct xc_call {
    xc_service_t *service;
    const xc_msg_t *msg;
    const char *cause;               /* the id of the source event being applied */
    json_t *result;
    json_t *kept;                    /* xc_call_result_withheld: what the inbox keeps instead */
    xc_err_t err;
    bool waiting;                    /* failed by xc_call_wait_calendar */
    bool keep;                       /* failed by xc_call_fail_keep: its writes stay */
};

/*  One request of a batch and the reply it will get. */
typedef struct {
    xc_request_t req;
    xc_msg_t *msg;                   /* NULL when refused before or at the envelope */
    const xc_route_t *route;
    const char *reply_type;          /* "ack", "result", "error" */
    json_t *reply;                   /* the reply's data, or */
    char *reply_text;                /* its text (an accepted command's, made from its result's) */
    char corr[XC_UUID_LEN + 1];      /* for refusals before the envelope opened */
    char to[XC_NAME_MAX];
    int opened;                      /* xc_envelope_open's result, from the verifiers */
    xc_err_t open_err;
    unsigned char digest[32];        /* of the opened message (xc_msg_digest), from the verifiers */
    char *sealed;                    /* the signed reply, from the verifiers after the commit */
    size_t sealed_len;
    xc_err_t seal_err;
} slot_t;

/*  What the verifier threads share for one batch: read-only but for each slot's own result. */
typedef struct {
    xc_service_t *self;
    slot_t *slots;
    xc_verify_t verify;
} opening_t;

/*  The pipeline's ring of batches (service_batch.c says how a batch moves through it). */
enum { PIPELINE_BATCHES = 4 };

/*  Replies a peer may have queued: four rings full, and at least ten thousand. */
#define PIPELINE_REPLY_HWM(batch_max) \
    (4 * PIPELINE_BATCHES * (batch_max) > 10000 ? 4 * PIPELINE_BATCHES * (batch_max) : 10000)

typedef enum { STAGE_FREE, STAGE_OPENING, STAGE_SEALING } stage_t;

typedef struct {
    stage_t stage;
    slot_t *slots;                   /* limits.batch_max */
    int n;
    opening_t opening;               /* what the job's items share */
    xc_pool_job_t job;
} batch_t;

typedef struct {
    batch_t batches[PIPELINE_BATCHES];
    int first;                       /* the oldest batch in flight */
    int count;                       /* batches in flight */
} pipeline_t;

/* ---------------------------------------------------------------- service_call.c */

/*  Events held before they are signed and appended: a timer that emits ten thousand in one
    transaction appends them a chunk at a time (outside any command's savepoint, so that a
    command's rollback never takes back another's events), which bounds the memory they hold. */
#define EVENTS_CHUNK 1024

/*  Signs a message from this service (data, or data_text when data is NULL); caller owns it. */
char *message_seal (xc_service_t *self, const char *id, const char *aud, const char *type,
                    const char *corr, bool expires, const json_t *data, const char *data_text,
                    size_t *len_p, xc_err_t *err);
/*  A keyed message's id, derived from the service and the key; without a key, a random one. */
void message_id_derive (const xc_service_t *self, const char *key, char id[XC_UUID_LEN + 1]);
/*  Drops the events emitted after the first `keep`. */
void events_drop (xc_service_t *self, int keep);
/*  Signs the transaction's events and appends them to the outbox. */
int events_append (xc_service_t *self, xc_err_t *err);
/*  Ends the current transaction: its events appended, then the commit; or all dropped. */
int tx_commit (xc_service_t *self, xc_err_t *err);
void tx_rollback (xc_service_t *self);
/*  After each commit: --fail-after-commit's exit. */
void commit_note (xc_service_t *self);
/*  Publishes the outbox's head (events.head). */
void head_publish (xc_service_t *self);

/* ---------------------------------------------------------------- service_routes.c */

/*  The route of a message type: the service's own first, then the built-in ones. */
const xc_route_t *route_find (xc_service_t *self, const char *type);
/*  The schema of a route that has none: no fields. */
extern const xc_field_t route_no_fields[];

/* ---------------------------------------------------------------- service_batch.c */

/*  Starts opening n requests as the newest batch. */
void pipeline_open (xc_service_t *self, pipeline_t *pipe, const xc_request_t *reqs, int n);
/*  One step after a poll that brought `received` new requests. */
void pipeline_step (xc_service_t *self, pipeline_t *pipe, int received);
/*  Frees the oldest batch, after sending its replies (if send). */
void pipeline_retire (xc_service_t *self, pipeline_t *pipe, bool send);
/*  The oldest batch still opening (newer_p: how many came after it), or NULL. */
batch_t *pipeline_opening (pipeline_t *pipe, int *newer_p);

/* ---------------------------------------------------------------- service_consume.c */

/*  A consumer for each of the definition's sources, from its saved offset. */
int consumers_start (xc_service_t *self, xc_err_t *err);
/*  Each consumer: hints, pulls, and the batches that came back, applied. */
void sources_consume (xc_service_t *self);
/*  A changed calendar folder reloaded, and what waits tried again (at once if force). */
void calendar_recheck (xc_service_t *self, bool force);
/*  self->n_waiting counted again from the store. */
void waiting_recount (xc_service_t *self);

#endif
