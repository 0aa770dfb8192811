/*  hashing.c: the receipt codes' hashes on a worker thread (see hashing.h). */
#include "services/gateway/hashing.h"

#include "services/gateway/public.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct job {
    uint64_t id;
    char code[17];
    unsigned char hash[32];
    bool ok;
    struct job *next;
} job_t;

struct hashing {
    unsigned long long ops;
    size_t mem;
    unsigned char salt[16];
    size_t queue_max, queued;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stop;
    job_t *todo, *todo_tail;         /* oldest first */
    job_t *done, *done_tail;
    int pipe[2];                     /* a byte per finished job */
};

static void
s_push (job_t **head, job_t **tail, job_t *j)
{
    j->next = NULL;
    if (*tail)
        (*tail)->next = j;
    else
        *head = j;
    *tail = j;
}

static job_t *
s_pop (job_t **head, job_t **tail)
{
    job_t *j = *head;
    if (j) {
        *head = j->next;
        if (!*head)
            *tail = NULL;
    }
    return j;
}

static void *
s_worker (void *arg)
{
    hashing_t *self = arg;
    pthread_mutex_lock (&self->lock);
    for (;;) {
        while (!self->stop && !self->todo)
            pthread_cond_wait (&self->wake, &self->lock);
        if (self->stop)
            break;
        job_t *j = s_pop (&self->todo, &self->todo_tail);
        pthread_mutex_unlock (&self->lock);
        j->ok = public_code_hash (j->code, self->salt, self->ops, self->mem, j->hash) == 0;
        sodium_memzero (j->code, sizeof j->code);
        pthread_mutex_lock (&self->lock);
        self->queued--;
        s_push (&self->done, &self->done_tail, j);
        char one = 1;
        while (write (self->pipe[1], &one, 1) < 0 && errno == EINTR)
            ;
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

hashing_t *
hashing_new (unsigned long long ops, size_t mem, const unsigned char salt[16], size_t queue_max)
{
    hashing_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->ops = ops;
    self->mem = mem;
    memcpy (self->salt, salt, 16);
    self->queue_max = queue_max;
    self->pipe[0] = self->pipe[1] = -1;
    if (pipe (self->pipe) != 0 || fcntl (self->pipe[0], F_SETFL, O_NONBLOCK) != 0
        || fcntl (self->pipe[1], F_SETFL, O_NONBLOCK) != 0) {
        hashing_destroy (&self);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    if (pthread_create (&self->thread, NULL, s_worker, self) != 0) {
        pthread_mutex_destroy (&self->lock);
        pthread_cond_destroy (&self->wake);
        close (self->pipe[0]);
        close (self->pipe[1]);
        free (self);
        return NULL;
    }
    return self;
}

int
hashing_fd (const hashing_t *self)
{
    return self->pipe[0];
}

int
hashing_submit (hashing_t *self, uint64_t id, const char *code)
{
    job_t *j = calloc (1, sizeof *j);
    if (!j)
        return -1;
    j->id = id;
    snprintf (j->code, sizeof j->code, "%s", code);
    pthread_mutex_lock (&self->lock);
    int rc = 0;
    if (self->queued >= self->queue_max)
        rc = -1;
    else {
        self->queued++;
        s_push (&self->todo, &self->todo_tail, j);
        pthread_cond_signal (&self->wake);
    }
    pthread_mutex_unlock (&self->lock);
    if (rc != 0) {
        sodium_memzero (j->code, sizeof j->code);
        free (j);
    }
    return rc;
}

bool
hashing_take (hashing_t *self, uint64_t *id, unsigned char hash[32], bool *ok)
{
    char drain[64];
    while (read (self->pipe[0], drain, sizeof drain) > 0)
        ;
    pthread_mutex_lock (&self->lock);
    job_t *j = s_pop (&self->done, &self->done_tail);
    pthread_mutex_unlock (&self->lock);
    if (!j)
        return false;
    *id = j->id;
    *ok = j->ok;
    memcpy (hash, j->hash, 32);
    sodium_memzero (j, sizeof *j);
    free (j);
    return true;
}

void
hashing_destroy (hashing_t **self_p)
{
    hashing_t *self = *self_p;
    if (!self)
        return;
    if (self->pipe[0] >= 0 && self->pipe[1] >= 0 && self->thread) {
        pthread_mutex_lock (&self->lock);
        self->stop = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->thread, NULL);
        pthread_mutex_destroy (&self->lock);
        pthread_cond_destroy (&self->wake);
    }
    for (job_t *list[2] = { self->todo, self->done }, **l = list; l < list + 2; l++)
        for (job_t *j = *l, *next; j; j = next) {
            next = j->next;
            sodium_memzero (j, sizeof *j);
            free (j);
        }
    if (self->pipe[0] >= 0)
        close (self->pipe[0]);
    if (self->pipe[1] >= 0)
        close (self->pipe[1]);
    free (self);
    *self_p = NULL;
}
