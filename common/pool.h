/*  pool.h: a small pool of threads for work that is independent item by item, such as
    verifying the signatures of a batch of requests (docs/architecture.md, "Performance").

    A job is fn (arg, i) for every i in [0, n). Jobs are taken in the order they were
    submitted, except that xc_pool_run puts its job first.

    xc_pool_submit (pool, job, fn, arg, n) queues a job and returns at once, so that the caller
    can do other work (run the previous batch's commands) while the workers take its items.
    xc_pool_wait (pool, job) takes the job's items that are left on the calling thread and
    returns when every call has returned. xc_pool_finished tells, without waiting.
    xc_pool_run (pool, fn, arg, n) is a submit first in line followed by a wait.

    fn must be safe to call from several threads at once on different i; it must not call back
    into the pool. A pool of 1 thread has no workers: submit runs the whole job at once on the
    calling thread.

    Ownership: the caller owns the pool (xc_pool_destroy joins its threads) and each job it
    submits; a submitted job must be waited for before its memory is reused or freed.
*/
#ifndef XC_POOL_H
#define XC_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct xc_pool xc_pool_t;
typedef void (*xc_pool_fn) (void *arg, size_t i);

/*  One job. Its fields belong to the pool from submit until wait returns. */
typedef struct xc_pool_job {
    xc_pool_fn fn;
    void *arg;
    size_t n;
    size_t next;                     /* the next item to take */
    size_t done;                     /* items whose call has returned */
    struct xc_pool_job *queued;      /* the next job in the queue */
} xc_pool_job_t;

/*  A pool of `threads` in all (the caller counts as one: threads - 1 are started), 1-64. */
int xc_pool_new (int threads, xc_pool_t **pool_p, xc_err_t *err);
void xc_pool_destroy (xc_pool_t **pool_p);

/*  Queues fn (arg, i) for every i in [0, n) as job, last in line; returns at once. */
void xc_pool_submit (xc_pool_t *pool, xc_pool_job_t *job, xc_pool_fn fn, void *arg, size_t n);

/*  Helps with the job's items that are left, then waits until all of them have run. */
void xc_pool_wait (xc_pool_t *pool, xc_pool_job_t *job);

/*  Whether every item of a submitted job has run. */
bool xc_pool_finished (xc_pool_t *pool, const xc_pool_job_t *job);

/*  fn (arg, i) for every i in [0, n), first in line; returns when all are done. */
void xc_pool_run (xc_pool_t *pool, xc_pool_fn fn, void *arg, size_t n);

/*  The number of threads it runs on, the caller's included. */
int xc_pool_threads (const xc_pool_t *pool);

#endif
