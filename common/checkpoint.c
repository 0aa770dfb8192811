/*  checkpoint.c: WAL checkpoints on a thread of their own (checkpoint.h). The store's
    connection tells the thread through its WAL hook, called after each commit with the frames
    the WAL holds; the thread's connection runs the checkpoint. */
#include "common/checkpoint.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define S_INLINE_FACTOR 8            /* frames beyond pages * this: checkpoint in the commit */
#define S_WARN_EVERY_MS 10000

struct xc_checkpointer {
    xc_store_t *store;
    sqlite3 *db;                     /* the thread's own connection */
    int pages;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool due;
    bool stopping;
    long runs;
    long complete;
    int64_t warned;                  /* monotonic ms of the last warning */
    char path[4096];
};

/*  On the store's thread, after a commit. */
static int
s_wal_hook (void *arg, sqlite3 *db, const char *name, int frames)
{
    xc_checkpointer_t *cp = arg;
    if (frames >= cp->pages * S_INLINE_FACTOR) {
        /* the thread is behind: do what SQLite would have done, here */
        sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (frames >= cp->pages) {
        pthread_mutex_lock (&cp->lock);
        cp->due = true;
        pthread_cond_signal (&cp->wake);
        pthread_mutex_unlock (&cp->lock);
    }
    return SQLITE_OK;
}

static void *
s_run (void *arg)
{
    xc_checkpointer_t *cp = arg;
    pthread_mutex_lock (&cp->lock);
    for (;;) {
        while (!cp->due && !cp->stopping)
            pthread_cond_wait (&cp->wake, &cp->lock);
        if (cp->stopping)
            break;
        cp->due = false;
        pthread_mutex_unlock (&cp->lock);
        int frames = 0, copied = 0;
        int rc = sqlite3_wal_checkpoint_v2 (cp->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
        /* busy is normal (another checkpoint, a backup); anything else is said now and then:
           the next commit past the mark tries again */
        if (rc != SQLITE_OK && rc != SQLITE_BUSY
            && xc_clock_mono_ms () - cp->warned >= S_WARN_EVERY_MS) {
            cp->warned = xc_clock_mono_ms ();
            xc_warn (NULL, "checkpoint of '%s' failed: %s; retried after later commits", cp->path,
                     sqlite3_errmsg (cp->db));
        }
        pthread_mutex_lock (&cp->lock);
        cp->runs++;
        cp->complete += rc == SQLITE_OK && frames >= 0 && copied == frames;
    }
    pthread_mutex_unlock (&cp->lock);
    return NULL;
}

int
xc_checkpointer_start (xc_store_t *store, const char *path, int pages, xc_checkpointer_t **cp_p,
                       xc_err_t *err)
{
    *cp_p = NULL;
    if (pages < 1 || pages > 1000000)
        return xc_err_set (err, XC_E_INTERNAL, "checkpoint pages %d not in 1-1000000", pages);
    xc_checkpointer_t *cp = calloc (1, sizeof *cp);
    if (!cp)
        return xc_err_set (err, XC_E_INTERNAL, "out of memory");
    cp->store = store;
    cp->pages = pages;
    cp->warned = xc_clock_mono_ms () - S_WARN_EVERY_MS;
    snprintf (cp->path, sizeof cp->path, "%s", path);
    if (sqlite3_open_v2 (path, &cp->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
        || sqlite3_exec (cp->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
        char what[4200];
        snprintf (what, sizeof what, "unable to open '%s' for checkpoints", path);
        xc_store_fail (cp->db, what, err);
        sqlite3_close_v2 (cp->db);
        free (cp);
        return -1;
    }
    pthread_mutex_init (&cp->lock, NULL);
    pthread_cond_init (&cp->wake, NULL);
    /* the thread blocks every signal, so SIGTERM reaches the loop's poll */
    sigset_t all, saved;
    sigfillset (&all);
    pthread_sigmask (SIG_SETMASK, &all, &saved);
    int rc = pthread_create (&cp->thread, NULL, s_run, cp);
    pthread_sigmask (SIG_SETMASK, &saved, NULL);
    if (rc != 0) {
        pthread_cond_destroy (&cp->wake);
        pthread_mutex_destroy (&cp->lock);
        sqlite3_close_v2 (cp->db);
        free (cp);
        return xc_err_set (err, XC_E_INTERNAL, "unable to start the checkpoint thread");
    }
    /* replaces SQLite's own autocheckpoint, which is a WAL hook too */
    sqlite3_wal_hook (xc_store_db (store), s_wal_hook, cp);
    *cp_p = cp;
    return 0;
}

void
xc_checkpointer_destroy (xc_checkpointer_t **cp_p)
{
    xc_checkpointer_t *cp = *cp_p;
    if (!cp)
        return;
    sqlite3_wal_autocheckpoint (xc_store_db (cp->store), 1000);
    pthread_mutex_lock (&cp->lock);
    cp->stopping = true;
    pthread_cond_signal (&cp->wake);
    pthread_mutex_unlock (&cp->lock);
    pthread_join (cp->thread, NULL);
    pthread_cond_destroy (&cp->wake);
    pthread_mutex_destroy (&cp->lock);
    sqlite3_close_v2 (cp->db);
    free (cp);
    *cp_p = NULL;
}

void
xc_checkpointer_counts (xc_checkpointer_t *cp, long *runs_p, long *complete_p)
{
    pthread_mutex_lock (&cp->lock);
    *runs_p = cp->runs;
    *complete_p = cp->complete;
    pthread_mutex_unlock (&cp->lock);
}
