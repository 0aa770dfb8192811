/*  ctl.h: what xcctl's verbs share: the deployment, the operator's key, signed calls to a
    service with errors a person can act on, and output for people (aligned tables that count
    a Chinese character as two columns) or for scripts (--json).

    Exit codes (docs/xcctl.md): 0 done; 1 a service refused (its error code and message are
    printed); 2 bad usage; 3 a service did not answer; 4 a local problem (config, key, file);
    5 audit verify found a record that does not verify; 6 something named does not exist
    (a service's not_found, a round or unit a filter names); 7 a service answered but xcctl
    refused the reply (above max_message_bytes, a signature that does not verify, another
    signer).
*/
#ifndef XC_CTL_H
#define XC_CTL_H

#include <jansson.h>
#include <stdbool.h>

#include "common/config.h"
#include "common/keys.h"
#include "common/transport.h"

enum {
    CTL_OK = 0, CTL_REFUSED = 1, CTL_USAGE = 2, CTL_DOWN = 3, CTL_LOCAL = 4, CTL_AUDIT = 5, CTL_NOT_FOUND = 6,
    CTL_BAD_REPLY = 7
};

typedef struct {
    const char *config_path;
    const char *key_path;
    xc_config_t *config;
    bool json;                       /* --json: machine output */
    int timeout_ms;                  /* per call: --timeout MS, default 2000 */
    /* after ctl_open */
    xc_key_t key;
    xc_registry_t *registry;
    xc_curve_keypair_t curve;
    const char *iss;                 /* the principal the key belongs to */
    const xc_principal_t *principal; /* and its entry (role, scope); borrowed from registry */
    json_t *district_names;          /* district id -> name, once asked (ctl_district_names) */
    xc_client_t *clients[16];        /* one per service of the config, opened on first use */
} ctl_t;

/*  Loads the operator's key, the registry and (with curve) the CURVE keypair beside the key.
    Prints what is wrong and returns CTL_LOCAL when it cannot. */
int ctl_open (ctl_t *ctl);
void ctl_close (ctl_t *ctl);

/*  Calls type on service with data (stolen) and returns the result (caller owns), or NULL with
    *code set to CTL_REFUSED, CTL_NOT_FOUND, CTL_DOWN, CTL_BAD_REPLY or CTL_LOCAL after printing why to stderr. status (may be
    NULL, 16 bytes) gets "accepted", "duplicate" or "result". */
json_t *ctl_call (ctl_t *ctl, const char *service, const char *type, json_t *data, int *code, char *status);

/*  The same, signed as another principal (iss, with its key). */
json_t *ctl_call_as (ctl_t *ctl, const xc_key_t *key, const char *iss, const char *service, const char *type,
                     json_t *data, int *code, char *status);

/*  One call of ctl_call_all. */
typedef struct {
    const char *service;
    const char *type;
    json_t *data;                    /* stolen (NULL: {}) */
    const xc_key_t *key;             /* NULL: the operator's */
    const char *iss;                 /* NULL: the operator's */
    const char *id;                  /* the command's id (a UUID): NULL, a new one; a retry or a
                                        re-run that must not act twice gives the same */
    bool quiet;                      /* a refusal is not printed: the caller says it (message) */
    /* out */
    json_t *result;                  /* caller owns; NULL when code is not CTL_OK */
    int code;                        /* CTL_OK, CTL_REFUSED, CTL_NOT_FOUND, CTL_DOWN, CTL_BAD_REPLY, CTL_LOCAL */
    char status[16];                 /* "accepted", "duplicate" or "result" */
    char error[32];                  /* the service's error code when it refused */
    char message[512];               /* and its message */
} ctl_request_t;

/*  Sends every request at once and waits for them all within one --timeout, resending each
    after a wait without its answer; why each failed is printed to stderr. */
void ctl_call_all (ctl_t *ctl, ctl_request_t *reqs, size_t n);

/*  A paged query's whole answer (caller owns; data is taken): the first page's result with the
    array `member` of every later page appended (each asked with "after" = the page's "next")
    and "next" null. NULL when a page failed (*code says why). */
json_t *ctl_call_pages (ctl_t *ctl, const char *service, const char *type, json_t *data, const char *member,
                        int *code);

/*  Every item of a paged list query ({"items", "next"}), paged through (caller owns). */
json_t *ctl_list_all (ctl_t *ctl, const char *service, const char *type, json_t *filters, int *code);

/*  Columns a UTF-8 string takes in a terminal: East Asian wide characters count two. */
int ctl_width (const char *s);

/*  districts.c: the deployment's districts, intake's units of level district, every page
    (caller owns; NULL with *code set after saying why). */
json_t *ctl_districts (ctl_t *ctl, int *code);
/*  Asks intake once for the districts' names (ctl->district_names) when result's rows name
    a district (a round's owner or link, a row's round_owner), so that tables show the name.
    A refusal leaves the ids. */
void ctl_district_names (ctl_t *ctl, const json_t *result);
/*  The district operator's district: the scope's "district" of a principal of role district,
    else NULL (ctl_open first). */
const char *ctl_own_district (const ctl_t *ctl);

/*  Prints rows (an array of objects) as an aligned table of the given columns (NULL-terminated;
    NULL: every member of any row, in the order first seen). Never JSON in a cell: a nested
    object is key=value text (dotted keys deeper down), an array its elements joined by ", ". */
void ctl_table (const json_t *rows, const char *const *columns);

/*  words.c: the office's word for a service's code in a member of a list ("state" "closed":
    已销号), or NULL when it has none (the code is shown). */
const char *ctl_word (const char *member, const char *code);

/*  table.c: a category's names from the root ("全面从严治党 › 四风") by the deployment's intake
    policy (its defaults when the file has none), or NULL when the policy has no such id. */
const char *ctl_category_name (const ctl_t *ctl, const char *id);

/*  Prints a result: --json as JSON; else a list ("items", or the one member that is an array
    of objects, as notify.read's "notices") as a table, its other members and other results
    as "member value" lines. */
void ctl_print (const ctl_t *ctl, const json_t *result);

/*  The value after the option name in argv, or NULL; whether a flag is there. */
const char *ctl_opt (int argc, char **argv, const char *name);
bool ctl_flag (int argc, char **argv, const char *name);

/*  The known word nearest to word (at most two edits, or one word starts with), or NULL. */
const char *ctl_nearest (const char *word, const char *const *known, size_t n);
/*  Ends an error line about an unknown word: "; did you mean 'X'?" with the nearest known one,
    else "; known: a, b, c". */
void ctl_suggest (const char *word, const char *const *known, size_t n);

/*  Whether text is an id as the schemas take it (common/schema.c: 1-64 of A-Z a-z 0-9 . _ : -). */
bool ctl_is_id (const char *text);

/*  Writes text (size bytes) to path atomically (a temporary file renamed). */
int ctl_write_file (const char *path, const char *text, size_t size);

#endif
