/*  harness.h: the few lines every C test binary needs.

    A test is a function; CHECK records a failed condition with its place and goes on, so one
    run shows every broken check. A test passes when none of its checks failed. main ends with
    HARNESS_END, which prints "N passed, N failed" (tests/run.sh sums those lines).

        static void test_b64_roundtrip (void) { CHECK (x == 3); CHECK_STR (s, "abc"); }
        int main (void) { RUN (test_b64_roundtrip); HARNESS_END (); }
*/
#ifndef XC_HARNESS_H
#define XC_HARNESS_H

#include <stdio.h>
#include <string.h>

static int h_passed, h_failed, h_checks_failed_now;
static const char *h_current;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf (stderr, "FAIL %s (%s:%d): %s\n", h_current, __FILE__, __LINE__,    \
                     #cond);                                                           \
            h_checks_failed_now++;                                                     \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        const char *h_a = (a), *h_b = (b);                                             \
        if (!h_a || !h_b || strcmp (h_a, h_b) != 0) {                                  \
            fprintf (stderr, "FAIL %s (%s:%d): %s == \"%s\", expected \"%s\"\n",       \
                     h_current, __FILE__, __LINE__, #a, h_a ? h_a : "(null)",          \
                     h_b ? h_b : "(null)");                                            \
            h_checks_failed_now++;                                                     \
        }                                                                              \
    } while (0)

#define CHECK_INT(a, b)                                                                \
    do {                                                                               \
        long long h_a = (long long) (a), h_b = (long long) (b);                        \
        if (h_a != h_b) {                                                              \
            fprintf (stderr, "FAIL %s (%s:%d): %s == %lld, expected %lld\n", h_current, \
                     __FILE__, __LINE__, #a, h_a, h_b);                                \
            h_checks_failed_now++;                                                     \
        }                                                                              \
    } while (0)

#define RUN(fn)                                                                        \
    do {                                                                               \
        h_current = #fn;                                                               \
        h_checks_failed_now = 0;                                                       \
        fn ();                                                                         \
        if (h_checks_failed_now)                                                       \
            h_failed++;                                                                \
        else                                                                           \
            h_passed++;                                                                \
    } while (0)

#define HARNESS_END()                                                                  \
    do {                                                                               \
        printf ("%d passed, %d failed\n", h_passed, h_failed);                         \
        return h_failed ? 1 : 0;                                                       \
    } while (0)

#endif
