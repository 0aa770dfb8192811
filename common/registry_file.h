/*  registry_file.h: writing the principal registry (keys.h) as its two writers do: xcctl on
    the host that holds the config, and the registry service (services/registry).

    Both take the same advisory lock (flock on "<registry>.lock", beside the file: the file
    itself is replaced by rename, so a lock on it would not outlive a write), read the file,
    change it, and save it: written to "<registry>.new", flushed, loaded by the very parser the
    services use (xc_registry_load), and only then renamed over the old one (and the folder
    flushed). A reader therefore sees the old file or the new one, never a part; a document that
    would not load is refused (XC_E_CONFLICT) and nothing changes.
*/
#ifndef XC_REGISTRY_FILE_H
#define XC_REGISTRY_FILE_H

#include <jansson.h>

#include "common/config.h"
#include "common/error.h"

/*  Takes the writers' lock of the registry at path (waits for it). Returns the lock's file
    descriptor, or -1 with err. */
int xc_registry_lock (const char *path, xc_err_t *err);
/*  Releases it (fd < 0: nothing). */
void xc_registry_unlock (int fd);

/*  Reads the registry at path as JSON (duplicate members refused). Caller owns; NULL with err
    (XC_E_CONFIG) when it cannot be read or has no "principals" array. */
json_t *xc_registry_read (const char *path, xc_err_t *err);

/*  Saves doc over the registry at path as described above; the caller holds the lock.
    XC_E_CONFLICT when doc would not load as a registry (err says why), XC_E_IO when a write
    fails; either way the file is unchanged. */
int xc_registry_save (const char *path, const json_t *doc, xc_err_t *err);

/*  The public keys of the services cfg runs (principals of role service) in a registry
    document, as a JWK Set: {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid", "x", "alg": "EdDSA",
    "use": "sig", "iss", "not_before", "not_after"}]}. What the gateway serves as /v1/keys and
    `xcctl keys export` writes for a reader's audit (docs/console.md, "The audit in the
    reader's browser"). Caller owns. */
json_t *xc_registry_service_keys (const json_t *doc, const xc_config_t *cfg);

#endif
