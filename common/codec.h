/*  codec.h: base64url (RFC 4648 section 5, no padding), hex and random UUIDs.

    Every function that returns a pointer returns memory the caller owns (free it with free).
*/
#ifndef XC_CODEC_H
#define XC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define XC_UUID_LEN 36               /* characters, without the terminating NUL */

/*  Encodes len bytes as base64url without padding. Caller owns the result; NULL only when out
    of memory. Table lookups: for public bytes (messages), not secrets. */
char *xc_b64url_encode (const unsigned char *bin, size_t len);

/*  The length of the base64url of len bytes, without the NUL. */
#define XC_B64URL_LEN(len) (((len) * 4 + 2) / 3)

/*  The same into out (XC_B64URL_LEN (len) + 1 bytes), NUL-terminated; returns the length. */
size_t xc_b64url_encode_to (char *out, const unsigned char *bin, size_t len);

/*  The same in constant time (libsodium), for key material. */
char *xc_b64url_encode_secret (const unsigned char *bin, size_t len);

/*  Decodes base64url without padding. Refuses padding, white space, characters outside the
    alphabet and non-canonical trailing bits. On success *bin_p (caller owns, NUL-terminated for
    convenience, NUL not counted) and *len_p are set; on failure they are NULL and 0. Table
    lookups: for public text (messages), not secrets. */
int xc_b64url_decode (const char *text, size_t text_len, unsigned char **bin_p, size_t *len_p,
                      xc_err_t *err);

/*  Decodes exactly want bytes into out (keys, signatures), in constant time (libsodium), with
    the refusals above; -1 when the length differs. */
int xc_b64url_decode_exact (const char *text, unsigned char *out, size_t want, xc_err_t *err);

/*  Reads exactly n decimal digits (no sign, no space) at s into *value; -1 otherwise. For the
    fixed-width fields of dates and times. */
int xc_decimal_fixed (const char *s, int n, int *value);

/*  Writes 2*len lowercase hex digits and a NUL into out. */
void xc_hex_encode (const unsigned char *bin, size_t len, char *out);

/*  Whether s (may be NULL) is exactly 64 hex digits, a SHA-256 written out: in lower case only
    (how the suite writes and keys them), or in either case (where a record always took both). */
bool xc_hex64 (const char *s, bool any_case);

/*  Writes a new time-ordered (version 7) UUID, lowercase, and a NUL into out[XC_UUID_LEN + 1]:
    48 bits of the Unix time in milliseconds, then 74 random bits. Ids made one after another
    sort together, so an index on them grows at its end instead of touching a random page per
    row: the outbox's ids, and the inbox's (iss, id) for every command the suite signs. */
void xc_uuid_new_ordered (char *out);

/*  Writes the UUID of 16 bytes with the given version (4: random, 7: time-ordered, 8: derived
    from a hash)
    and the RFC 9562 variant bits set. */
void xc_uuid_format (const unsigned char bytes[16], int version, char *out);

/*  True when s is a UUID in the 8-4-4-4-12 lowercase or uppercase hex form. */
int xc_uuid_valid (const char *s);

/*  Copies s (a UUID that xc_uuid_valid accepts, or "") into out[XC_UUID_LEN + 1] in lower
    case: UUIDs compare case-insensitively (RFC 9562), and the suite keeps and compares the
    lower-case form (docs/protocol.md, section 2). */
void xc_uuid_lower_copy (char *out, const char *s);

#endif
