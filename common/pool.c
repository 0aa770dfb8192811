/*  pool.c: a fork-join pool of threads (see pool.h). Each run is a generation: the caller
    publishes the work, wakes the workers, takes items itself from a shared counter, and waits
    until every worker has finished the generation. */
#include "common/pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

struct xc_pool {
    int threads;                     /* the caller's included */
    pthread_t *workers;              /* threads - 1 */
    pthread_mutex_t lock;
    pthread_cond_t work;             /* a new generation, or stop */
    pthread_cond_t done;             /* a worker finished its part */
    unsigned long generation;
    bool stopping;
    xc_pool_fn fn;
    void *arg;
    size_t n;
    size_t next;                     /* the next item to take, under lock */
    int busy;                        /* workers still in this generation */
};

/* Takes items until none are left; the lock is not held while fn runs. */
static void
s_drain (xc_pool_t *pool)
{
    for (;;) {
        pthread_mutex_lock (&pool->lock);
        size_t i = pool->next < pool->n ? pool->next++ : pool->n;
        pthread_mutex_unlock (&pool->lock);
        if (i >= pool->n)
            return;
        pool->fn (pool->arg, i);
    }
}

static void *
s_worker (void *arg)
{
    xc_pool_t *pool = arg;
    unsigned long seen = 0;
    pthread_mutex_lock (&pool->lock);
    for (;;) {
        while (!pool->stopping && pool->generation == seen)
            pthread_cond_wait (&pool->work, &pool->lock);
        if (pool->stopping)
            break;
        seen = pool->generation;
        pthread_mutex_unlock (&pool->lock);
        s_drain (pool);
        pthread_mutex_lock (&pool->lock);
        if (--pool->busy == 0)
            pthread_cond_signal (&pool->done);
    }
    pthread_mutex_unlock (&pool->lock);
    return NULL;
}

int
xc_pool_new (int threads, xc_pool_t **pool_p, xc_err_t *err)
{
    *pool_p = NULL;
    if (threads < 1 || threads > 64)
        return xc_err_set (err, XC_E_INTERNAL, "a pool has 1-64 threads, not %d", threads);
    xc_pool_t *pool = calloc (1, sizeof *pool);
    if (!pool || (threads > 1 && !(pool->workers = calloc ((size_t) threads - 1, sizeof *pool->workers)))) {
        free (pool);
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    }
    pthread_mutex_init (&pool->lock, NULL);
    pthread_cond_init (&pool->work, NULL);
    pthread_cond_init (&pool->done, NULL);
    pool->threads = 1;
    /* Workers block every signal, so SIGTERM reaches the thread whose poll it must interrupt. */
    sigset_t all, saved;
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &saved);
    int started = 0;
    for (int i = 0; i < threads - 1 && pthread_create (&pool->workers[i], NULL, s_worker, pool) == 0; i++)
        started++;
    pthread_sigmask (SIG_SETMASK, &saved, NULL);
    pool->threads += started;
    if (started < threads - 1) {
        xc_pool_destroy (&pool);
        return xc_err_set (err, XC_E_INTERNAL, "unable to start a thread");
    }
    *pool_p = pool;
    return 0;
}

void
xc_pool_destroy (xc_pool_t **pool_p)
{
    if (!pool_p || !*pool_p)
        return;
    xc_pool_t *pool = *pool_p;
    pthread_mutex_lock (&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast (&pool->work);
    pthread_mutex_unlock (&pool->lock);
    for (int i = 0; i < pool->threads - 1; i++)
        pthread_join (pool->workers[i], NULL);
    pthread_cond_destroy (&pool->done);
    pthread_cond_destroy (&pool->work);
    pthread_mutex_destroy (&pool->lock);
    free (pool->workers);
    free (pool);
    *pool_p = NULL;
}

void
xc_pool_run (xc_pool_t *pool, xc_pool_fn fn, void *arg, size_t n)
{
    if (pool->threads == 1 || n < 2) {
        for (size_t i = 0; i < n; i++)
            fn (arg, i);
        return;
    }
    pthread_mutex_lock (&pool->lock);
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    pool->next = 0;
    pool->busy = pool->threads - 1;
    pool->generation++;
    pthread_cond_broadcast (&pool->work);
    pthread_mutex_unlock (&pool->lock);
    s_drain (pool);
    pthread_mutex_lock (&pool->lock);
    while (pool->busy > 0)
        pthread_cond_wait (&pool->done, &pool->lock);
    pthread_mutex_unlock (&pool->lock);
}

int
xc_pool_threads (const xc_pool_t *pool)
{
    return pool->threads;
}
