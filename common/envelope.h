/*  envelope.h: signed messages, JWS flattened JSON serialization with EdDSA (RFC 7515, 8037).

    {"protected":"<b64url(header)>","payload":"<b64url(body)>","signature":"<b64url(sig)>"}
    header = {"alg":"EdDSA","kid":"<kid>","typ":"xc+jws"}
    body   = {"v":1,"id":"<uuid>","iss":..,"aud":..,"iat":..,"exp":..,"type":..,"corr":..,"data":{..}}
    The signature covers ASCII(protected + "." + payload) exactly as received.

    xc_envelope_open runs the receiver's checks in the order docs/protocol.md gives, each failure
    with its own code:
      size (too_large)
      -> outer JSON, then protected and payload base64url-decoded and parsed, duplicate keys
         refused at every depth (malformed, duplicate_key); the outer object has exactly the
         string members protected, payload, signature; a byte order mark, \u0000, a lone
         surrogate, bytes that are not UTF-8 (malformed); a number out of range in the payload
         is read as null and judged with the body's members (or, with defer_range and inside
         data, left to the caller's schema check)
      -> header: exactly alg, kid, typ, all strings (malformed); alg EdDSA or Ed25519 (bad_alg);
         typ xc+jws (bad_typ)
      -> body: exactly v (1), id (UUID, kept in lower case, as is corr), iss, aud (1..63 bytes), type (1..63 of [a-z0-9_.]),
         iat, exp (integers; exp may be absent only when stored), corr (null or UUID, may be
         absent), data (object) (malformed, the text names the member)
      -> kid known (unknown_kid; for a type in verify->possession whose data has a key, a kid
         derived from data.key instead: unknown_kid when it is not, malformed when data.key is
         not an Ed25519 JWK), of iss (kid_issuer_mismatch), principal not revoked and the
         key valid at now (at iat when stored) (key_not_valid)
      -> signature: 64 bytes over the received protected + "." + payload (bad_signature)
      -> unless stored: aud equals the service's audience exactly (wrong_audience)
      -> unless stored: iat < exp <= iat + max_lifetime (malformed), now <= exp (expired),
         |iat - now| <= skew (iat_skew).
    Role, schema and dedupe checks come after, in service_batch.c and inbox.c.
*/
#ifndef XC_ENVELOPE_H
#define XC_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/codec.h"
#include "common/error.h"
#include "common/keys.h"

#define XC_TYPE_MAX 64               /* message type, with the NUL */

/*  An opened (checked) message. */
typedef struct {
    char *raw;                       /* the received bytes, NUL-terminated; owned */
    size_t raw_len;
    char kid[XC_KID_MAX];
    char id[XC_UUID_LEN + 1];
    char iss[XC_NAME_MAX];
    char aud[XC_NAME_MAX];
    char type[XC_TYPE_MAX];
    char corr[XC_UUID_LEN + 1];      /* "" when null or absent */
    int64_t iat;
    int64_t exp;                     /* 0 when absent (events have no exp) */
    json_t *body;                    /* the decoded payload; owned */
    json_t *data;                    /* body's "data" (an object); borrowed from body */
    const xc_principal_t *principal; /* the signer; borrowed from the registry used to open,
                                        or &possessor for a proof of possession */
    xc_principal_t possessor;        /* a signer proving its own key (xc_verify_t.possession):
                                        iss the message's, role XC_ROLE_ENROLLEE, scope {} */
    char out_of_range[128];          /* "" or, opened with defer_range, the first number in
                                        data that is out of range, as a schema error names it
                                        ("data.after: integer out of range (int64)"); that
                                        member reads as null, and the caller must refuse the
                                        message (service_batch.c: schema, after the role) */
} xc_msg_t;

typedef struct {
    const xc_registry_t *registry;
    const char *audience;            /* the accepted aud, compared exactly. A command with aud
                                        "*" is refused: it could be replayed at every service.
                                        Stored events carry aud "*" and are opened with
                                        stored = true, which skips this check. */
    int64_t now;                     /* wall clock, Unix seconds */
    int skew;                        /* allowed |iat - now| in seconds */
    int max_lifetime;                /* allowed exp - iat in seconds */
    size_t max_size;                 /* bytes */
    bool stored;                     /* true for stored events read back: exp may be absent,
                                        iat not compared to now, aud not checked, the key
                                        judged valid or not at the message's iat */
    bool defer_range;                /* true: a number out of range inside data (an integer
                                        outside int64, a real beyond a double) does not fail
                                        the open but is named in msg->out_of_range, so that the
                                        refusal comes at the schema check; false: malformed */
    const char *const *possession;   /* NULL-terminated message types whose signer may be
                                        unregistered and prove its key instead: a kid not in
                                        the registry is then checked against data.key
                                        ({"kty": "OKP", "crv": "Ed25519", "x"}): the kid must be
                                        "<iss>#" + the first 16 characters of the key's RFC 7638
                                        thumbprint, and the signature must verify with it. The
                                        signer gets the role XC_ROLE_ENROLLEE, which no
                                        registered principal has. NULL: none. */
} xc_verify_t;

/*  The pseudo-role of a signer proving possession of an unregistered key (a person enrolling). */
#define XC_ROLE_ENROLLEE "enrollee"
/*  The characters of a key's thumbprint a possession kid carries after "<iss>#". */
#define XC_POSSESSION_THUMB 16

/*  Runs the checks above on len bytes. On success *msg_p is set (caller owns). On failure
    *msg_p is NULL and err has the code and a text saying what was wrong. */
int xc_envelope_open (const char *bytes, size_t len, const xc_verify_t *verify,
                      xc_msg_t **msg_p, xc_err_t *err);

void xc_msg_destroy (xc_msg_t **msg_p);

/*  The payload of a flattened JWS in the exact form xc_envelope_finish writes
    ({"protected":"..","payload":"..","signature":".."}, base64url values), found without a JSON
    parser (jansson reads some 20 ns a byte): true, *payload pointing into bytes; false for any
    other text, which the caller gives to jansson (the value would be the same). */
bool xc_envelope_payload_fast (const char *bytes, size_t len, const char **payload,
                               size_t *payload_len);

/*  What a sender puts in a message's body besides data. */
typedef struct {
    const char *id;                  /* NULL: a new time-ordered UUID */
    const char *iss;
    const char *aud;
    const char *type;
    const char *corr;                /* NULL: null */
    int64_t iat;
    int64_t exp;                     /* 0: no exp member (events) */
} xc_claims_t;

/*  A message built but not yet signed: xc_envelope_prepare does the JSON (on the thread that
    owns data), xc_envelope_finish the signature (on any thread: it reads only this and the
    key), so that a batch's signatures can be spread over threads. */
typedef struct {
    char id[XC_UUID_LEN + 1];
    char *input;                     /* base64url(header) "." base64url(body): what is signed;
                                        owned, xc_sealing_clear frees */
    size_t protected_len;            /* the header's part of input, before the "." */
    size_t input_len;
} xc_sealing_t;

int xc_envelope_prepare (const xc_key_t *key, const xc_claims_t *claims, const json_t *data,
                         xc_sealing_t *sealing, xc_err_t *err);
/*  The same with data given as the compact JSON text of an object (the caller's own: it is
    not parsed again), such as a result kept as text. */
int xc_envelope_prepare_text (const xc_key_t *key, const xc_claims_t *claims,
                              const char *data_text, xc_sealing_t *sealing, xc_err_t *err);
/*  The signed message (caller owns, NUL-terminated), its length in *len_p when not NULL. */
char *xc_envelope_finish (const xc_key_t *key, const xc_sealing_t *sealing, size_t *len_p,
                          xc_err_t *err);
void xc_sealing_clear (xc_sealing_t *sealing);

/*  Builds and signs a message. data must be an object (borrowed). On success returns the
    message (caller owns, NUL-terminated), sets *len_p when not NULL, and copies the id used
    (claims->id, or a new time-ordered one) into id_out when not NULL (XC_UUID_LEN + 1 bytes). */
char *xc_envelope_seal (const xc_key_t *key, const xc_claims_t *claims, const json_t *data,
                        size_t *len_p, char *id_out, xc_err_t *err);

/*  The JWS signing step on its own: signs ASCII(protected_b64 + "." + payload_b64) and returns
    the base64url signature (caller owns). Exposed for the RFC 8037 test vector and for tests
    that build hostile messages. */
char *xc_jws_sign (const xc_key_t *key, const char *protected_b64, const char *payload_b64);

/*  SHA-256 over aud, type and data, independent of id, iat, exp and the signature: the inbox
    compares it to tell a retry (same digest) from a replay with another body. Exactly:
      SHA-256 (json_dumps ({"aud": aud, "type": type, "data": data},
                           JSON_COMPACT | JSON_SORT_KEYS))
    i.e. {"aud":..,"data":..,"type":..} with the keys of every object sorted, no spaces. */
void xc_msg_digest (const xc_msg_t *msg, unsigned char digest[32]);

#endif
