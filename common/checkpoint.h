/*  checkpoint.h: a store's WAL copied back into its database on a thread of its own
    (docs/architecture.md, "Performance").

    By default SQLite checkpoints a WAL database from inside the commit that leaves the WAL at
    1000 pages or more: that commit copies the pages back and fsyncs the database file, on the
    service's loop thread, while nothing else can run there (measured: about 12 % of intake's
    rate). xc_checkpointer_start takes that off the store's connection: a commit that leaves at
    least `pages` frames in the WAL wakes a thread that holds a connection of its own to the same
    file and runs a PASSIVE checkpoint, which never blocks the writer. Every commit is still
    fsync'd to the WAL before it returns (synchronous=FULL): what is durable does not change.
    Should the thread fall behind (a failing disk), the commit that leaves eight times `pages`
    checkpoints inline as SQLite would, so the WAL stays bounded.

    Ownership: the caller owns the checkpointer and destroys it before closing the store.
*/
#ifndef XC_CHECKPOINT_H
#define XC_CHECKPOINT_H

#include "common/error.h"
#include "common/store.h"

typedef struct xc_checkpointer xc_checkpointer_t;

/*  Starts checkpointing store (whose file is path) on a thread, from `pages` WAL frames (1-1e6). */
int xc_checkpointer_start (xc_store_t *store, const char *path, int pages, xc_checkpointer_t **cp_p,
                           xc_err_t *err);

/*  Stops the thread and gives checkpoints back to the store's connection. */
void xc_checkpointer_destroy (xc_checkpointer_t **cp_p);

/*  Checkpoints the thread has run, and of those how many copied every frame back. */
void xc_checkpointer_counts (xc_checkpointer_t *cp, long *runs_p, long *complete_p);

#endif
