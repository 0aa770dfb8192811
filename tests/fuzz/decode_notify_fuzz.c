/*  decode_notify_fuzz.c: notify's command decoder: the data of every command and query of
    services/notify/routes.c against its schema. data[0] chooses the route (modulo their
    number), the rest is the data's JSON (fuzz.h, xc_fuzz_decode).
*/
#include "services/notify/notify.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t n;
    const xc_route_t *routes = notify_routes (&n);
    xc_fuzz_decode (routes, n, data, size);
    return 0;
}
