/*  pool.c: a pool of threads taking items from a queue of jobs (see pool.h). A job stays in the
    queue until its last item is taken; its `done` count, under the lock, tells its waiter when
    the last call has returned. */
#include "common/pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

struct xc_pool {
    int threads;                     /* the caller's included */
    pthread_t *workers;              /* threads - 1 */
    pthread_mutex_t lock;
    pthread_cond_t work;             /* a job was queued, or stop */
    pthread_cond_t done;             /* a job's last item returned */
    xc_pool_job_t *head;             /* jobs with items not yet taken, in order */
    xc_pool_job_t *tail;
    bool stopping;
};

/*  Under the lock: takes the next item of job, and leaves the queue's head when that was its
    last one. */
static size_t
s_take (xc_pool_t *pool, xc_pool_job_t *job)
{
    size_t i = job->next++;
    if (job->next == job->n && pool->head == job) {
        pool->head = job->queued;
        if (!pool->head)
            pool->tail = NULL;
    }
    return i;
}

/*  Under the lock: one item of job has returned. */
static void
s_finish (xc_pool_t *pool, xc_pool_job_t *job)
{
    if (++job->done == job->n)
        pthread_cond_broadcast (&pool->done);
}

static void *
s_worker (void *arg)
{
    xc_pool_t *pool = arg;
    pthread_mutex_lock (&pool->lock);
    for (;;) {
        while (!pool->stopping && !pool->head)
            pthread_cond_wait (&pool->work, &pool->lock);
        if (pool->stopping)
            break;
        xc_pool_job_t *job = pool->head;
        size_t i = s_take (pool, job);
        pthread_mutex_unlock (&pool->lock);
        job->fn (job->arg, i);
        pthread_mutex_lock (&pool->lock);
        s_finish (pool, job);
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

static void
s_queue (xc_pool_t *pool, xc_pool_job_t *job, xc_pool_fn fn, void *arg, size_t n, bool first)
{
    *job = (xc_pool_job_t) { .fn = fn, .arg = arg, .n = n };
    if (n == 0)
        return;
    if (pool->threads == 1) {
        /* no workers: the job runs now, on the caller's thread */
        for (size_t i = 0; i < n; i++)
            fn (arg, i);
        job->next = job->done = n;
        return;
    }
    pthread_mutex_lock (&pool->lock);
    if (!pool->head)
        pool->head = pool->tail = job;
    else if (first) {
        job->queued = pool->head;
        pool->head = job;
    }
    else {
        pool->tail->queued = job;
        pool->tail = job;
    }
    pthread_cond_broadcast (&pool->work);
    pthread_mutex_unlock (&pool->lock);
}

void
xc_pool_submit (xc_pool_t *pool, xc_pool_job_t *job, xc_pool_fn fn, void *arg, size_t n)
{
    s_queue (pool, job, fn, arg, n, false);
}

/*  Under the lock: unlinks a job from the middle of the queue once its items are all taken
    (s_take only unlinks the head). */
static void
s_unlink (xc_pool_t *pool, xc_pool_job_t *job)
{
    xc_pool_job_t **link = &pool->head, *prev = NULL;
    while (*link && *link != job) {
        prev = *link;
        link = &(*link)->queued;
    }
    if (!*link)
        return;
    *link = job->queued;
    if (pool->tail == job)
        pool->tail = prev;
}

void
xc_pool_wait (xc_pool_t *pool, xc_pool_job_t *job)
{
    if (pool->threads == 1 || job->n == 0)
        return;
    pthread_mutex_lock (&pool->lock);
    while (job->next < job->n) {
        size_t i = job->next++;
        if (job->next == job->n)
            s_unlink (pool, job);
        pthread_mutex_unlock (&pool->lock);
        job->fn (job->arg, i);
        pthread_mutex_lock (&pool->lock);
        s_finish (pool, job);
    }
    while (job->done < job->n)
        pthread_cond_wait (&pool->done, &pool->lock);
    pthread_mutex_unlock (&pool->lock);
}

bool
xc_pool_finished (xc_pool_t *pool, const xc_pool_job_t *job)
{
    if (pool->threads == 1)
        return true;
    pthread_mutex_lock (&pool->lock);
    bool finished = job->done == job->n;
    pthread_mutex_unlock (&pool->lock);
    return finished;
}

void
xc_pool_run (xc_pool_t *pool, xc_pool_fn fn, void *arg, size_t n)
{
    xc_pool_job_t job;
    s_queue (pool, &job, fn, arg, n, true);
    xc_pool_wait (pool, &job);
}

int
xc_pool_threads (const xc_pool_t *pool)
{
    return pool->threads;
}
