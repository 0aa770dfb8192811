/*  outbox.h: a service's events, in order, hash-chained, served by events.read.

    An event is appended in the same transaction as the command or timer tick that caused it.
    Rows: seq (1, 2, 3, ... with no gap), the event's id (unique: a deterministic id such as
    "overdue:<item>:<due>" makes a second append of the same event a no-op), its type, the signed
    message, and hash = SHA-256(prev_hash || message bytes), where prev_hash of seq 1 is 32 zero
    bytes. An auditor recomputes the chain from events.read alone; a changed row breaks it.

    Table (created by the store's base migrations):
      outbox(seq INTEGER PRIMARY KEY, id UNIQUE, type, message, hash, visibility)
    The visibility is not part of the chain: it decides who is shown a message, not what the
    message says.
*/
#ifndef XC_OUTBOX_H
#define XC_OUTBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/store.h"

/*  The chain's last link (seq and hash), carried from one append to the next of a transaction
    so that each append does not read it again. Zeroed (known false) before the first; an
    append that fails leaves it unknown. */
typedef struct {
    bool known;
    int64_t seq;
    unsigned char hash[32];
} xc_outbox_end_t;

/*  Appends a signed event message. visibility names who may read its message (the service
    decides what a class means; NULL is "open"). *seq_p is its sequence number. A keyed event
    (event_id is its key) is appended once: when one with the same id exists, nothing is
    appended, *seq_p is the existing seq and *appended_p is false. An event that is not keyed
    has a new message id: it is not looked for first, and a second one with the same id is
    refused by the table. end: NULL, or the last link as the previous append of this
    transaction left it. Must run inside a transaction. */
int xc_outbox_append (xc_store_t *store, xc_outbox_end_t *end, const char *event_id, bool keyed,
                      const char *type, const char *visibility, const char *message,
                      size_t message_len, int64_t *seq_p, bool *appended_p, xc_err_t *err);

/*  The latest seq (0 when empty). */
int xc_outbox_head (xc_store_t *store, int64_t *seq_p, xc_err_t *err);

/*  Events with seq > after, at most limit of them, as many as one reply under a frame limit of
    max_message_bytes holds (common/page.h); the first always comes, alone when it is larger
    than a page. *events_p (caller owns) is an array of
      {"seq": n, "id": "..", "type": "..", "visibility": "..", "hash": "<64 hex>",
       "message": "<the signed JWS>"}.
    A limit above 1000 is lowered to 1000; limit < 1 or after < 0 fails with XC_E_SCHEMA. */
int xc_outbox_read (xc_store_t *store, int64_t after, int limit, size_t max_message_bytes,
                    json_t **events_p, xc_err_t *err);

/*  Recomputes the whole chain. Returns 0 when every link holds and seq has no gap; otherwise
    -1 with *bad_seq_p the first seq whose row does not match (err says how). */
int xc_outbox_verify (xc_store_t *store, int64_t *bad_seq_p, xc_err_t *err);

/*  hash = SHA-256(prev || message): the chain's one formula, shared with tests and xcctl. */
void xc_outbox_link (const unsigned char prev[32], const char *message, size_t len,
                     unsigned char hash[32]);

#endif
