/*  clock_test.c: RFC 3339 formatting and parsing, the clocks, test mode.

    Test mode is process-global and cannot be switched off, so the tests that need it run
    last, after the ones that check it is off. */
#include "common/clock.h"

#include "tests/harness.h"

#include <time.h>

static int64_t
s_parse (const char *text)
{
    int64_t t = -12345;
    xc_err_t err = { 0, "" };
    if (xc_clock_parse (text, &t, &err) != 0)
        fprintf (stderr, "refused '%s': %s\n", text, err.text);
    return t;
}

static void
test_format (void)
{
    char out[XC_RFC3339_LEN + 1];
    xc_clock_format (0, out);
    CHECK_STR (out, "1970-01-01T00:00:00Z");
    xc_clock_format (1767196800, out);
    CHECK_STR (out, "2025-12-31T16:00:00Z");
    xc_clock_format (-1, out);
    CHECK_STR (out, "1969-12-31T23:59:59Z");
    xc_clock_format (951782400, out);
    CHECK_STR (out, "2000-02-29T00:00:00Z");
    xc_clock_format (4102444799, out);
    CHECK_STR (out, "2099-12-31T23:59:59Z");
    xc_clock_format (1795625166, out);
    CHECK_STR (out, "2026-11-25T16:46:06Z");
}

static void
test_round_trip (void)
{
    char out[XC_RFC3339_LEN + 1];
    int bad = 0;
    for (int64_t t = -2208988800LL; t < 253402300800LL; t += 86400LL * 97 + 3671) {
        xc_clock_format (t, out);
        int64_t back = 0;
        if (xc_clock_parse (out, &back, NULL) != 0 || back != t)
            bad++;
    }
    CHECK_INT (bad, 0);
    int64_t now = xc_clock_wall ();
    xc_clock_format (now, out);
    CHECK_INT (s_parse (out), now);
}

static void
test_parse (void)
{
    CHECK_INT (s_parse ("1970-01-01T00:00:00Z"), 0);
    CHECK_INT (s_parse ("2026-01-01T00:00:00+08:00"), 1767196800);
    CHECK_INT (s_parse ("2025-12-31T16:00:00Z"), 1767196800);
    CHECK_INT (s_parse ("2025-12-31T10:30:00-05:30"), 1767196800);
    CHECK_INT (s_parse ("2025-12-31T16:00:00+00:00"), 1767196800);
    CHECK_INT (s_parse ("2025-12-31T16:00:00-00:00"), 1767196800);
    CHECK_INT (s_parse ("2025-12-31t16:00:00z"), 1767196800);
    /* fractions are ignored, whatever their length */
    CHECK_INT (s_parse ("2025-12-31T16:00:00.5Z"), 1767196800);
    CHECK_INT (s_parse ("2025-12-31T16:00:00.999999999Z"), 1767196800);
    CHECK_INT (s_parse ("2026-01-01T00:00:00.123+08:00"), 1767196800);
    /* a leap second counts as the second before it */
    CHECK_INT (s_parse ("2016-12-31T23:59:60Z"), s_parse ("2016-12-31T23:59:59Z"));
    CHECK_INT (s_parse ("2024-02-29T12:00:00Z"), 1709208000);
    CHECK_INT (s_parse ("1969-12-31T23:59:59Z"), -1);
}

static void
test_parse_refusals (void)
{
    const char *bad[] = {
        "2026-02-29T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:61Z", "2026-01-01T00:00:00",  "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00+0800", "2026-01-01T00:00:00+08:60", "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+08", "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00Z ",
        "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00,5Z", "2026-1-01T00:00:00Z",
        "26-01-01T00:00:00Z", "2026-01-01T0:00:00Z", "", "2026-01-01", "2026-01-01T00:00:00UTC",
        "+026-01-01T00:00:00Z", "2026-01-01T00:00:00+08:00:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 99;
        xc_err_t err = { 0, "" };
        if (xc_clock_parse (bad[i], &t, &err) != -1)
            fprintf (stderr, "accepted '%s'\n", bad[i]);
        CHECK_INT (err.code, XC_E_SCHEMA);
        CHECK_INT (t, 0);
    }
    int64_t t;
    xc_err_t err;
    CHECK_INT (xc_clock_parse (NULL, &t, &err), -1);
    xc_clock_parse ("2026-02-29T00:00:00Z", &t, &err);
    CHECK_STR (err.text, "'2026-02-29T00:00:00Z' is out of range");
    xc_clock_parse ("yesterday", &t, &err);
    CHECK_STR (err.text, "'yesterday' is not an RFC 3339 date-time");
}

static void
test_clocks (void)
{
    int64_t wall = xc_clock_wall ();
    int64_t sys = (int64_t) time (NULL);
    CHECK (wall >= sys - 1 && wall <= sys + 1);
    int64_t a = xc_clock_mono_ms ();
    struct timespec pause = { 0, 20 * 1000000 };
    nanosleep (&pause, NULL);
    int64_t b = xc_clock_mono_ms ();
    CHECK (b - a >= 19 && b - a < 5000);
}

/* Must run before test_test_mode. */
static void
test_normal_mode (void)
{
    CHECK (!xc_clock_test_mode ());
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_clock_advance (3600, &err), -1);
    CHECK_INT (err.code, XC_E_FORBIDDEN);
    CHECK_STR (err.text, "the clock moves only in test mode");
    CHECK_INT (xc_clock_advance (0, &err), -1);
    CHECK_INT (xc_clock_offset (), 0);
    int64_t wall = xc_clock_wall (), now = xc_clock_now ();
    CHECK (now - wall >= 0 && now - wall <= 1);
    int64_t wall_ms = xc_clock_wall_ms ();
    CHECK (wall_ms / 1000 - wall >= 0 && wall_ms / 1000 - wall <= 1);
}

static void
test_test_mode (void)
{
    xc_clock_enable_test_mode ();
    CHECK (xc_clock_test_mode ());
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_clock_advance (-1, &err), -1);
    CHECK_INT (err.code, XC_E_SCHEMA);
    CHECK_INT (xc_clock_advance (101LL * 366 * 86400, &err), -1);
    CHECK_INT (xc_clock_offset (), 0);
    CHECK_INT (xc_clock_advance (0, &err), 0);
    CHECK_INT (xc_clock_advance (86400, &err), 0);
    CHECK_INT (xc_clock_advance (30, &err), 0);
    CHECK_INT (xc_clock_offset (), 86430);
    int64_t wall = xc_clock_wall (), now = xc_clock_now ();
    CHECK (now - wall >= 86430 && now - wall <= 86431);
    /* the wall clock in ms does not move with it */
    int64_t wall_ms = xc_clock_wall_ms ();
    CHECK (wall_ms / 1000 - xc_clock_wall () >= -1 && wall_ms / 1000 - xc_clock_wall () <= 0);
    /* the wall clock itself never moves */
    int64_t sys = (int64_t) time (NULL);
    CHECK (wall >= sys - 1 && wall <= sys + 1);
}

int
main (void)
{
    RUN (test_format);
    RUN (test_round_trip);
    RUN (test_parse);
    RUN (test_parse_refusals);
    RUN (test_clocks);
    RUN (test_normal_mode);
    RUN (test_test_mode);
    HARNESS_END ();
}
