/*  status.h: the HTTP status of a service's reply (docs/services/gateway.md, "Status").

    The gateway reads the reply's payload only for its type and, for an error, its data.code;
    it verifies nothing (the client verifies the reply's signature itself).
*/
#ifndef XC_GATEWAY_STATUS_H
#define XC_GATEWAY_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/*  The HTTP status for an error code of the protocol (docs/protocol.md section 5): 400 for a
    code the gateway does not know. *transient is set for the codes a client resends
    (unavailable, busy: 503 with Retry-After). */
int gateway_status_of_code (const char *code, bool *transient);


/*  The decoded payload of a flattened JWS as a JSON object, read without verifying anything and
    as leniently as a service reads a message it must answer (status.c says how); NULL with why
    (a static text) when it does not read as one. Caller owns it. */
json_t *gateway_read_payload (const char *frame, size_t len, const char **why);

/*  Reads the body's aud and id of a flattened JWS without verifying anything: 0 and aud
    (at most aud_size - 1 bytes) and id (lower case, a 36-character UUID), or -1 with why
    (a static text) when the payload does not read as an object with those two strings. */
int gateway_read_aud_id (const char *frame, size_t len, char *aud, size_t aud_size,
                         char id[37], const char **why);

/*  Reads a reply frame without verifying anything, its payload parsed once: the HTTP status
    (200 for ack and result, the code's status for an error, 502 for a frame whose payload does
    not read as a reply), and its corr in lower case (empty when it has none). */
int gateway_read_reply (const char *frame, size_t len, char corr[37], bool *transient);

#endif
