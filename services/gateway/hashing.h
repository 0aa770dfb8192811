/*  hashing.h: the receipt codes' Argon2id hashes on a worker thread of their own, so that a
    hash (tens of milliseconds by design) never holds the gateway's one poll loop.

    The loop submits a job (an id of its own and the code) and polls hashing_fd; when it is
    readable, hashing_take gives each finished job's hash. The worker keeps the code only
    while it hashes it, and wipes it. hashing_t owns its thread and queues. */
#ifndef XC_GATEWAY_HASHING_H
#define XC_GATEWAY_HASHING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hashing hashing_t;

/*  Starts the worker; queue_max jobs may wait at once. NULL when out of memory or threads. */
hashing_t *hashing_new (unsigned long long ops, size_t mem, const unsigned char salt[16],
                        size_t queue_max);

/*  A descriptor readable while finished jobs wait to be taken. */
int hashing_fd (const hashing_t *self);

/*  Queues code (16 digits) as job: 0, or -1 when queue_max jobs wait already. */
int hashing_submit (hashing_t *self, uint64_t job, const char *code);

/*  One finished job: true and its id, its hash and ok (false: crypto_pwhash failed, out of
    memory), or false when none is finished. */
bool hashing_take (hashing_t *self, uint64_t *job, unsigned char hash[32], bool *ok);

/*  Stops the worker (after the job in hand) and drops what waits. */
void hashing_destroy (hashing_t **self_p);

#endif
