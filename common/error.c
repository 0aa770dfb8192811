/*  error.c: names of the protocol's error codes. */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const s_names[XC_CODE_COUNT] = {
    [XC_OK] = "ok",
    [XC_E_TOO_LARGE] = "too_large",
    [XC_E_MALFORMED] = "malformed",
    [XC_E_DUPLICATE_KEY] = "duplicate_key",
    [XC_E_BAD_ALG] = "bad_alg",
    [XC_E_BAD_TYP] = "bad_typ",
    [XC_E_UNKNOWN_KID] = "unknown_kid",
    [XC_E_KID_ISSUER] = "kid_issuer_mismatch",
    [XC_E_KEY_NOT_VALID] = "key_not_valid",
    [XC_E_BAD_SIGNATURE] = "bad_signature",
    [XC_E_WRONG_AUDIENCE] = "wrong_audience",
    [XC_E_EXPIRED] = "expired",
    [XC_E_IAT_SKEW] = "iat_skew",
    [XC_E_UNKNOWN_TYPE] = "unknown_type",
    [XC_E_FORBIDDEN] = "forbidden",
    [XC_E_SCHEMA] = "schema",
    [XC_E_REPLAYED] = "replayed",
    [XC_E_NOT_FOUND] = "not_found",
    [XC_E_CONFLICT] = "conflict",
    [XC_E_UNAVAILABLE] = "unavailable",
    [XC_E_BUSY] = "busy",
    [XC_E_IO] = "io",
    [XC_E_CONFIG] = "config",
    [XC_E_INTERNAL] = "internal",
};

int
xc_err_set (xc_err_t *err, xc_code_t code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (err->text, sizeof err->text, fmt, ap);
        va_end (ap);
    }
    return -1;
}

const char *
xc_code_name (xc_code_t code)
{
    if ((int) code < 0 || code >= XC_CODE_COUNT)
        return "internal";
    return s_names[code];
}

xc_code_t
xc_code_from_name (const char *name)
{
    for (int i = 0; i < XC_CODE_COUNT; i++)
        if (name && strcmp (s_names[i], name) == 0)
            return (xc_code_t) i;
    return XC_CODE_COUNT;
}

bool
xc_code_is_transient (xc_code_t code)
{
    return code == XC_E_UNAVAILABLE || code == XC_E_BUSY;
}
