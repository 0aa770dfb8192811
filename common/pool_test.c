/*  pool_test.c: every item runs exactly once, on any number of threads, run after run, and
    jobs queued behind each other are each finished when waited for. */
#include "common/pool.h"

#include <stdatomic.h>
#include <string.h>

#include "tests/harness.h"

enum { ITEMS = 1000 };

typedef struct {
    atomic_int runs[ITEMS];
    atomic_int total;
} s_work_t;

static void
s_count (void *arg, size_t i)
{
    s_work_t *work = arg;
    atomic_fetch_add (&work->runs[i], 1);
    atomic_fetch_add (&work->total, 1);
}

static void
test_each_item_once (void)
{
    for (int threads = 1; threads <= 4; threads++) {
        xc_pool_t *pool = NULL;
        CHECK_INT (xc_pool_new (threads, &pool, NULL), 0);
        CHECK_INT (xc_pool_threads (pool), threads);
        static s_work_t work;
        /* many generations: a lost wake-up or a worker left behind would show as a hang
           (the harness's timeout) or a count off by one */
        for (int run = 0; run < 200; run++) {
            memset (&work, 0, sizeof work);
            size_t n = (size_t) (run % 7 == 0 ? run % 3 : ITEMS - run);
            xc_pool_run (pool, s_count, &work, n);
            int wrong = 0;
            for (size_t i = 0; i < ITEMS; i++)
                wrong += atomic_load (&work.runs[i]) != (i < n ? 1 : 0);
            CHECK_INT (wrong, 0);
            CHECK_INT (atomic_load (&work.total), (int) n);
        }
        xc_pool_destroy (&pool);
        CHECK (pool == NULL);
    }
}

enum { JOBS = 4 };

/*  Several jobs in flight at once, waited for in another order than queued, with a run
    jumping the queue between: the pipeline of a service's loop. */
static void
test_jobs_in_flight (void)
{
    for (int threads = 1; threads <= 3; threads++) {
        xc_pool_t *pool = NULL;
        CHECK_INT (xc_pool_new (threads, &pool, NULL), 0);
        static s_work_t work[JOBS], urgent;
        xc_pool_job_t jobs[JOBS];
        for (int round = 0; round < 100; round++) {
            memset (work, 0, sizeof work);
            memset (&urgent, 0, sizeof urgent);
            for (int j = 0; j < JOBS; j++)
                xc_pool_submit (pool, &jobs[j], s_count, &work[j], (size_t) (ITEMS - 10 * j - round));
            xc_pool_run (pool, s_count, &urgent, 7);
            CHECK_INT (atomic_load (&urgent.total), 7);
            for (int j = JOBS - 1; j >= 0; j--) {
                xc_pool_wait (pool, &jobs[j]);
                CHECK (xc_pool_finished (pool, &jobs[j]));
                int n = ITEMS - 10 * j - round, wrong = 0;
                for (int i = 0; i < ITEMS; i++)
                    wrong += atomic_load (&work[j].runs[i]) != (i < n ? 1 : 0);
                CHECK_INT (wrong, 0);
                CHECK_INT (atomic_load (&work[j].total), n);
            }
        }
        /* a job nobody helps with is finished by the workers alone */
        if (threads > 1) {
            memset (work, 0, sizeof work);
            xc_pool_submit (pool, &jobs[0], s_count, &work[0], ITEMS);
            for (int spins = 0; !xc_pool_finished (pool, &jobs[0]) && spins < 5000000; spins++)
                ;
            xc_pool_wait (pool, &jobs[0]);
            CHECK_INT (atomic_load (&work[0].total), ITEMS);
        }
        xc_pool_destroy (&pool);
    }
}

static void
test_bounds (void)
{
    xc_pool_t *pool = NULL;
    xc_err_t err;
    CHECK_INT (xc_pool_new (0, &pool, &err), -1);
    CHECK (pool == NULL);
    CHECK_INT (xc_pool_new (65, &pool, &err), -1);
    CHECK (strstr (err.text, "1-64") != NULL);
    xc_pool_destroy (&pool);        /* NULL: nothing to do */
}

int
main (void)
{
    RUN (test_each_item_once);
    RUN (test_jobs_in_flight);
    RUN (test_bounds);
    HARNESS_END ();
}
