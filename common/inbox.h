/*  inbox.h: command dedupe on (iss, id), keeping the first reply.

    Each accepted command is recorded with its message as received, the digest of its body
    (xc_msg_digest) and the result it got, in the same transaction as its effects. A command
    seen again with the same digest is a retry: it gets the first result with status duplicate
    and has no second effect. The same (iss, id) with another digest is refused as replayed.
    Commands that failed are not recorded: nothing of a refused command is stored.

    Table (created by the store's base migrations):
      inbox(iss, id, digest, type, received_at, message, result, PRIMARY KEY (iss, id))
*/
#ifndef XC_INBOX_H
#define XC_INBOX_H

#include <stdint.h>

#include "common/store.h"

typedef enum {
    XC_INBOX_NEW,                    /* never seen: run the command */
    XC_INBOX_DUPLICATE,              /* seen with the same digest: *result_p has the first result */
    XC_INBOX_REPLAYED                /* seen with another digest: refuse */
} xc_inbox_state_t;

/*  Looks (iss, id) up. On XC_INBOX_DUPLICATE *result_p is the stored result JSON text (caller
    owns, free); otherwise NULL. */
int xc_inbox_check (xc_store_t *store, const char *iss, const char *id,
                    const unsigned char digest[32], xc_inbox_state_t *state, char **result_p,
                    xc_err_t *err);

/*  Records an accepted command. Must run inside the command's transaction. */
int xc_inbox_record (xc_store_t *store, const char *iss, const char *id,
                     const unsigned char digest[32], const char *type, const char *message,
                     int64_t received_at, const char *result_json, xc_err_t *err);

/*  Number of recorded commands (for health and tests), kept in a counter that each record
    raises in the same transaction: constant time however large the inbox grows. */
int xc_inbox_count (xc_store_t *store, int64_t *count, xc_err_t *err);

#endif
