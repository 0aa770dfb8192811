/*  framing_test.c: the absolute-form path and the unescaping that keeps %00 (framing.h). The
    header checks need a connection: tests/python/test_gateway_hostile.py sends them. */
#include "services/gateway/framing.h"

#include "tests/harness.h"

#include <string.h>

static void
test_path (void)
{
    CHECK_STR (gateway_framing_path ("/v1/intake"), "/v1/intake");
    CHECK_STR (gateway_framing_path ("http://127.0.0.1:7180/v1/intake"), "/v1/intake");
    CHECK_STR (gateway_framing_path ("HTTPS://gw.example/healthz"), "/healthz");
    CHECK_STR (gateway_framing_path ("http://gw.example"), "/");
    CHECK_STR (gateway_framing_path ("127.0.0.1:22"), "127.0.0.1:22");
    CHECK_STR (gateway_framing_path ("*"), "*");
}

static void
test_unescape (void)
{
    static const struct {
        const char *in, *out;
    } rows[] = {
        { "/v1/%69ntake", "/v1/intake" }, { "/v1/%2e%2e/x", "/v1/../x" },
        { "/v1/intake%00", "/v1/intake%00" }, { "/healthz%00.json", "/healthz%00.json" },
        { "/a%2", "/a%2" }, { "/a%", "/a%" }, { "/a%zz", "/a%zz" }, { "/%2F%2f", "///" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char buf[64];
        strcpy (buf, rows[i].in);
        size_t n = gateway_framing_unescape (NULL, NULL, buf);
        CHECK_STR (buf, rows[i].out);
        CHECK_INT ((int) n, (int) strlen (rows[i].out));
    }
}

int
main (void)
{
    RUN (test_path);
    RUN (test_unescape);
    HARNESS_END ();
}
