/*  pool.h: a small fork-join pool of threads for work that is independent item by item, such
    as verifying the signatures of a batch of requests (docs/architecture.md, "Performance").

    xc_pool_run (pool, fn, arg, n) calls fn (arg, i) once for every i in [0, n), spread over
    the pool's threads and the calling thread, and returns when every call has returned. fn
    must be safe to call from several threads at once on different i; it must not call back
    into the pool. A pool of 1 thread runs everything on the calling thread.

    Ownership: the caller owns the pool (xc_pool_destroy joins its threads).
*/
#ifndef XC_POOL_H
#define XC_POOL_H

#include <stddef.h>

#include "common/error.h"

typedef struct xc_pool xc_pool_t;
typedef void (*xc_pool_fn) (void *arg, size_t i);

/*  A pool of `threads` in all (the caller counts as one: threads - 1 are started), 1-64. */
int xc_pool_new (int threads, xc_pool_t **pool_p, xc_err_t *err);
void xc_pool_destroy (xc_pool_t **pool_p);

/*  fn (arg, i) for every i in [0, n); returns when all are done. */
void xc_pool_run (xc_pool_t *pool, xc_pool_fn fn, void *arg, size_t n);

/*  The number of threads it runs on, the caller's included. */
int xc_pool_threads (const xc_pool_t *pool);

#endif
