/*  waiting.h: events a consumer took but could not apply yet, kept in the consumer's own store.

    An event whose deadline needs a working-day calendar the deployment lacks ("no working-day
    calendar for 2027") is parked here instead of holding back the source's later events; so
    is every later event about the same object (the same unit's items, the same problem's
    referral), so that they are applied in the source's order once the first can be. A row is
    written in the transaction that also moves the consumer's offset past the event
    (consumer.h): nothing is lost and nothing is applied twice. The service retries the rows
    when the calendar folder changes (service_consume.c) and deletes each one applied.

    Table consumer_waiting (source, seq) -> type, object ("" for none), message (the source's
    signed event, opened again on each retry), reason (why it waits, for people), since (wall
    clock seconds). The table is one of the store's own (a base migration, store.c), so a
    store made before it gains it when it is opened.
*/
#ifndef XC_WAITING_H
#define XC_WAITING_H

#include <stdint.h>

#include "common/error.h"
#include "common/store.h"

/*  Parks one event (source, seq); a row already there keeps its since and gets the reason. */
int xc_waiting_park (xc_store_t *store, const char *source, int64_t seq, const char *type,
                     const char *object, const char *message, const char *reason, int64_t since,
                     xc_err_t *err);

/*  The first parked seq of source about object, or 0 in *seq_p. */
int xc_waiting_first (xc_store_t *store, const char *source, const char *object, int64_t *seq_p,
                      xc_err_t *err);

/*  How many events wait, and since when the oldest does (0 when none). */
int xc_waiting_count (xc_store_t *store, int64_t *n_p, int64_t *oldest_p, xc_err_t *err);

/*  One parked event. */
typedef struct {
    char *source, *type, *object, *message;
    int64_t seq;
} xc_waiting_t;

/*  Up to limit parked events in (source, seq) order, after (source, seq) given ("", 0: from
    the first). Caller owns *rows_p (NULL when none): xc_waiting_free. */
int xc_waiting_list (xc_store_t *store, const char *after_source, int64_t after_seq, int limit,
                     xc_waiting_t **rows_p, int *n_p, xc_err_t *err);
void xc_waiting_free (xc_waiting_t *rows, int n);

/*  An applied event leaves. */
int xc_waiting_done (xc_store_t *store, const char *source, int64_t seq, xc_err_t *err);

#endif
