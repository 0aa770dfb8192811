/*  decode_referral_fuzz.c: referral's command decoder: the data of every command and query of
    services/referral/routes.c against its schema. data[0] chooses the route (modulo their
    number), the rest is the data's JSON (fuzz.h, xc_fuzz_decode).
*/
#include "services/referral/referral.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t n;
    const xc_route_t *routes = referral_routes (&n);
    xc_fuzz_decode (routes, n, data, size);
    return 0;
}
