/*  public.h: the public channel's decisions (码上巡, docs/services/gateway.md "The public
    channel"), with no I/O: the configuration, the routes under /v1/public/, the request bodies
    checked and turned into the data of intake's public.* and file.* messages, the receipt
    code's slow hash, the proof-of-work challenges, and the per-address limits. main.c keeps
    the key file, the sockets and the connection; it passes the clock in.

    Ownership: public_t owns its tables; public_req_t owns its data (public_req_clear). */
#ifndef XC_GATEWAY_PUBLIC_H
#define XC_GATEWAY_PUBLIC_H

#include "services/gateway/request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  services.gateway.public as read at start (defaults in public_conf_read). */
typedef struct {
    bool on;                         /* services.gateway.public is present */
    const char *key;                 /* the public principal's key file, as written */
    const char *base_url;            /* the public page's origin, for the QR */
    unsigned long long pwhash_ops;   /* crypto_pwhash opslimit */
    size_t pwhash_mem;               /* crypto_pwhash memlimit, bytes */
    unsigned pow_bits, pow_bits_burst, pow_ttl_s;
    unsigned burst_reports;          /* reports in a minute from which pow_bits_burst holds */
    unsigned requests_per_minute;    /* per address, every /v1/public/ route */
    unsigned receipts_per_minute;    /* per address, POST receipt (code lookups) */
    unsigned reports_per_hour;       /* per address, POST report */
    size_t upload_bytes_per_hour;    /* per address, file.append's decoded bytes */
    size_t tracked;                  /* addresses in the limits table */
    size_t pow_used_max;             /* used challenges remembered (until they expire) */
} public_conf_t;

/*  Reads services.gateway.public (gateway may be NULL: off). 0, or -1 and why. */
int public_conf_read (const json_t *gateway, public_conf_t *conf, char *why, size_t why_len);

typedef enum {
    PUBLIC_NONE = 0,                 /* not a public route */
    PUBLIC_POW, PUBLIC_INFO, PUBLIC_REPORT, PUBLIC_RECEIPT, PUBLIC_ANSWER, PUBLIC_FILES, PUBLIC_QR
} public_route_t;

/*  The route of a path under /v1/public/ (PUBLIC_NONE for any other path), and whether the
    method fits it (GET/HEAD for pow, info, qr; POST for the others): 0, or -1 and *problem
    (404 not-found, 405 with *allow set, 415 for a POST not application/json). */
public_route_t public_route_of (const char *url);
int public_route_check (public_route_t route, const char *method, const char *content_type,
                        const char **allow, request_problem_t *problem);

/*  A checked public request: what to send to intake. */
typedef struct {
    public_route_t route;
    char type[32];                   /* the message type: public.report, file.append, ... */
    json_t *data;                    /* the message's data, without code_hash (owned) */
    char code[17];                   /* the receipt code ("" when the route has none); wiped */
    char challenge[160];             /* the PoW ("" when the route takes none) */
    char nonce[24];
    size_t upload_bytes;             /* file.append: the decoded bytes of data */
} public_req_t;

/*  Checks a POST body (JSON, UTF-8, no duplicate key, exactly the members the route takes)
    into *req. 0, or -1 and *problem (400 with a Chinese title naming what is wrong). */
int public_body_parse (public_route_t route, const char *bytes, size_t len, public_req_t *req,
                       request_problem_t *problem);

/*  GET info and qr: the query's round and unit (unit optional for info and qr) checked as ids
    (1-64 of A-Z a-z 0-9 . _ : -); format for qr (svg or png, default svg). 0 or -1. */
int public_query_check (public_route_t route, const char *round, const char *unit,
                        const char *format, request_problem_t *problem);

void public_req_clear (public_req_t *req);

/*  The receipt code: exactly 16 ASCII digits. */
bool public_code_valid (const char *code);

/*  The salt: the first 16 bytes of SHA-256("xuncha receipt " + deployment). */
void public_salt (const char *deployment, unsigned char salt[16]);

/*  crypto_pwhash (Argon2id) of the code: 0, or -1 (out of memory). */
int public_code_hash (const char *code, const unsigned char salt[16], unsigned long long ops,
                      size_t mem, unsigned char hash[32]);

/*  The envelope id of a report: a version 8 UUID from the hash's first 16 bytes. */
void public_report_id (const unsigned char hash[32], char id[37]);

/*  The hash as the messages carry it (code_hash): base64url without padding, 43 characters. */
void public_hash_text (const unsigned char hash[32], char out[44]);

/*  The state: the PoW key, the used challenges, the report rate, the per-address table. */
typedef struct public_state public_t;

/*  seed: the public key's 32-byte seed (the PoW key is derived from it, so gateways sharing
    the key accept each other's challenges). NULL when out of memory. */
public_t *public_new (const public_conf_t *conf, const unsigned char seed[32]);
void public_destroy (public_t **self_p);

/*  A new challenge, as the JSON of GET /v1/public/pow (caller frees). now: Unix seconds. */
char *public_pow_issue (public_t *self, int64_t now);

/*  Checks a solved challenge and marks it used: 0, or -1 and *problem (400 pow-invalid,
    pow-expired, pow-used, pow-unsolved; 503 busy when the used table is full). */
int public_pow_redeem (public_t *self, const char *challenge, const char *nonce, int64_t now,
                       request_problem_t *problem);

/*  The difficulty now (raised while reports come in a burst). */
unsigned public_pow_bits (public_t *self, int64_t now);

/*  A report was sent on (for the burst count). */
void public_report_seen (public_t *self, int64_t now);

/*  The per-address limits: 0 when the address may go on (and counts it), else the seconds
    after which it may. addr: 16 bytes (IPv4 mapped). bytes: file.append's decoded bytes. */
unsigned public_limit (public_t *self, const unsigned char addr[16], public_route_t route,
                       size_t bytes, int64_t now);

#endif
