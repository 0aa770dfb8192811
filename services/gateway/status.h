/*  status.h: the HTTP status of a service's reply (docs/services/gateway.md, "Status").

    The gateway reads the reply's payload only for its type and, for an error, its data.code;
    it verifies nothing (the client verifies the reply's signature itself).
*/
#ifndef XC_GATEWAY_STATUS_H
#define XC_GATEWAY_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/*  The HTTP status for an error code of the protocol (docs/protocol.md section 5): 400 for a
    code the gateway does not know. *transient is set for the codes a client resends
    (unavailable, busy: 503 with Retry-After). */
int gateway_status_of_code (const char *code, bool *transient);

/*  The HTTP status for a reply frame: 200 for ack and result, the code's status for an error,
    502 for a frame whose payload does not read as a reply. */
int gateway_status_of_reply (const char *frame, size_t len, bool *transient);

/*  Reads the body's aud and id of a flattened JWS without verifying anything: 0 and aud
    (at most aud_size - 1 bytes) and id (lower case, a 36-character UUID), or -1 with why
    (a static text) when the payload does not read as an object with those two strings. */
int gateway_read_aud_id (const char *frame, size_t len, char *aud, size_t aud_size,
                         char id[37], const char **why);

/*  Reads a reply's corr (lower case) without verifying anything: 0, or -1 when it has none. */
int gateway_read_corr (const char *frame, size_t len, char corr[37]);

#endif
