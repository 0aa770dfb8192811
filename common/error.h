/*  error.h: the protocol's error codes and the error value every common function fills.

    The codes are part of the wire protocol (docs/protocol.md, "Error codes"): their names
    are sent in `error` replies, so a code's name never changes once released.
    Functions in common/ return 0 on success and -1 on failure, filling an xc_err_t that the
    caller owns (it may be NULL when the caller does not care why).
*/
#ifndef XC_ERROR_H
#define XC_ERROR_H

#include <stdbool.h>

typedef enum {
    XC_OK = 0,
    /* envelope checks, in the order the receiver runs them */
    XC_E_TOO_LARGE,          /* frame above the size limit */
    XC_E_MALFORMED,          /* not a JWS flattened object, bad base64url, missing or mistyped claim */
    XC_E_DUPLICATE_KEY,      /* a JSON object with the same key twice */
    XC_E_BAD_ALG,            /* alg other than EdDSA / Ed25519 */
    XC_E_BAD_TYP,            /* typ other than xc+jws */
    XC_E_UNKNOWN_KID,        /* kid not in the registry */
    XC_E_KID_ISSUER,         /* kid belongs to another issuer */
    XC_E_KEY_NOT_VALID,      /* key outside its validity dates, or revoked */
    XC_E_BAD_SIGNATURE,      /* signature does not verify over the received bytes */
    XC_E_WRONG_AUDIENCE,     /* aud is not this service */
    XC_E_EXPIRED,            /* exp has passed */
    XC_E_IAT_SKEW,           /* iat more than the allowed skew from the receiver's clock */
    XC_E_UNKNOWN_TYPE,       /* the service has no such command or query */
    XC_E_FORBIDDEN,          /* the issuer's role or scope may not do this */
    XC_E_SCHEMA,             /* data does not match the command's schema */
    XC_E_REPLAYED,           /* same (iss, id) as an earlier command with another body */
    /* outcomes of a well-formed command */
    XC_E_NOT_FOUND,
    XC_E_CONFLICT,
    /* transient: the client retries with the same id */
    XC_E_UNAVAILABLE,
    XC_E_BUSY,
    /* local (never sent on the wire as such) */
    XC_E_IO,                 /* a file or socket could not be read or written */
    XC_E_CONFIG,             /* a configuration, key or registry file is invalid */
    XC_E_INTERNAL,           /* a bug or an unexpected library failure */
    XC_CODE_COUNT
} xc_code_t;

typedef struct {
    xc_code_t code;
    char text[256];          /* lowercase, no final full stop, never holds a secret */
} xc_err_t;

/*  Fills err (when not NULL) and returns -1, so a failure path is one line:
    return xc_err_set (err, XC_E_IO, "unable to open '%s'", path);  */
int xc_err_set (xc_err_t *err, xc_code_t code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  The wire name of a code ("bad_signature"); "internal" for an unknown value. */
const char *xc_code_name (xc_code_t code);

/*  The code for a wire name, or XC_CODE_COUNT when the name is unknown. */
xc_code_t xc_code_from_name (const char *name);

/*  True for codes after which a client retries with the same message id. */
bool xc_code_is_transient (xc_code_t code);

#endif
