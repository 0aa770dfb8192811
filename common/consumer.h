/*  consumer.h: reading another service's events, exactly once, in order.

    A service that depends on another's events (referral on intake, notify on all three) has
    one consumer per source. The consumer
    - keeps the last applied seq in the consumer's own store (table consumer_offsets), written
      by the service in the same transaction as what it did with the events, so after any
      crash it resumes exactly there: nothing lost, nothing applied twice, nothing reordered;
    - pulls `events.read {after: offset}` with a signed request on a DEALER socket, without
      blocking the service's loop: the reply is picked up by the loop's poll;
    - subscribes to the source's PUB hints, which wake it early, and pulls every pull_ms anyway,
      since a hint may be lost;
    - backs off (doubling, with jitter, up to 30 s) while the source does not answer or
      refuses, and says so in the log; other sources go on.
    Each event of a reply is checked before it is handed over: seq is the next one, the
    message (unless redacted for this reader) opens as a stored message of the source.
*/
#ifndef XC_CONSUMER_H
#define XC_CONSUMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/envelope.h"
#include "common/error.h"
#include "common/keys.h"
#include "common/store.h"

typedef struct xc_consumer xc_consumer_t;

typedef struct {
    const char *source;              /* the service read from ("intake") */
    const char *api;                 /* its endpoints, from the deployment config */
    const char *events;              /* NULL: no hints, timer pulls only */
    const char *self;                /* the reading service's name: iss of its requests */
    const xc_key_t *key;             /* the reading service's signing key (borrowed) */
    const xc_curve_keypair_t *curve; /* own CURVE keypair, NULL for plain TCP */
    const char *server_key;          /* the source's CURVE public key, with curve */
    int pull_ms;                     /* pull at least this often */
    int timeout_ms;                  /* a pull unanswered this long is retried */
    int batch;                       /* events asked for per pull (1-1000) */
    int skew;                        /* the deployment's limits, for the replies and events it */
    int max_lifetime;                /* opens (config.h) */
    size_t max_size;
} xc_consumer_opts_t;

int xc_consumer_new (const xc_consumer_opts_t *opts, xc_consumer_t **consumer_p, xc_err_t *err);
void xc_consumer_destroy (xc_consumer_t **consumer_p);

const char *xc_consumer_source (const xc_consumer_t *consumer);

/*  The two ZeroMQ sockets to poll for input (a DEALER and a SUB; the SUB may be NULL). */
void *xc_consumer_dealer (xc_consumer_t *consumer);
void *xc_consumer_sub (xc_consumer_t *consumer);

/*  When (monotonic ms) the consumer next wants to act if no socket wakes it. */
int64_t xc_consumer_due (const xc_consumer_t *consumer);

/*  The offset it reads after; set from the store at start and after each applied batch. */
int64_t xc_consumer_offset (const xc_consumer_t *consumer);
void xc_consumer_set_offset (xc_consumer_t *consumer, int64_t offset);
/*  The source's latest seq as last heard (reply or hint); 0 before any. */
int64_t xc_consumer_head (const xc_consumer_t *consumer);

/*  Does what is due: drains hints, sends a pull when it is time. Never blocks. */
void xc_consumer_work (xc_consumer_t *consumer, const xc_registry_t *registry);

/*  One event read from the source, checked. */
typedef struct {
    int64_t seq;
    char type[XC_TYPE_MAX];
    xc_msg_t *msg;                   /* the opened event; NULL when redacted for this reader */
} xc_event_t;

/*  Takes the reply to the pending pull, if there is one. Returns 1 and sets *events_p and
    *n_p to the checked events in seq order, starting at offset + 1 (caller owns:
    xc_events_free); 0 when nothing new arrived; -1 when the reply was refused or broken
    (logged; the consumer backs off). */
int xc_consumer_take (xc_consumer_t *consumer, const xc_registry_t *registry,
                      xc_event_t **events_p, int *n_p);
void xc_events_free (xc_event_t *events, int n);

/*  After the service applied and committed a batch ending at new_offset. */
void xc_consumer_applied (xc_consumer_t *consumer, int64_t new_offset);
/*  After the service failed to apply a batch: retry later, with backoff. */
void xc_consumer_failed (xc_consumer_t *consumer, const char *why);

/*  Offsets in the consumer's store (table consumer_offsets, created by the store's base
    migrations). _save must run inside the transaction that applied the events. */
int xc_offset_load (xc_store_t *store, const char *source, int64_t *seq_p, xc_err_t *err);
int xc_offset_save (xc_store_t *store, const char *source, int64_t seq, xc_err_t *err);

#endif
