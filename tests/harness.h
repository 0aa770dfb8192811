/*  harness.h: the few lines every C test binary needs.

    A test is a function; CHECK records a failed condition with its place and goes on, so one
    run shows every broken check. A test passes when none of its checks failed. main ends with
    HARNESS_END, which prints "N passed, N failed" (tests/run.sh sums those lines).

        static void test_b64_roundtrip (void) { CHECK (x == 3); CHECK_STR (s, "abc"); }
        int main (void) { RUN (test_b64_roundtrip); HARNESS_END (); }

    Temp folders, for tests that write files:

        char dir[64];
        h_tmpdir (dir, sizeof dir, "store");      makes /tmp/xc-store-XXXXXX (exits on failure)
        ...
        h_rmtree (dir);                            removes it and all below it

    h_rmtree uses nftw(3), which is X/Open: the Makefile builds with -D_XOPEN_SOURCE=700.
*/
#ifndef XC_HARNESS_H
#define XC_HARNESS_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
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

/*  Makes a fresh folder /tmp/xc-<name>-XXXXXX into dir (size bytes). A test cannot go on
    without it, so a failure ends the binary (run.sh counts that as a failed test). */
__attribute__ ((unused)) static void
h_tmpdir (char *dir, size_t size, const char *name)
{
    int n = snprintf (dir, size, "/tmp/xc-%s-XXXXXX", name);
    if (n < 0 || (size_t) n >= size || !mkdtemp (dir)) {
        fprintf (stderr, "unable to make a temp folder for '%s'\n", name);
        exit (1);
    }
}

__attribute__ ((unused)) static int
h_rmtree_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

/*  Removes dir and everything below it, without following links; 0 or -1 (said on stderr,
    not a failed check: the test's own checks are what count). */
__attribute__ ((unused)) static int
h_rmtree (const char *dir)
{
    if (nftw (dir, h_rmtree_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        fprintf (stderr, "unable to remove '%s'\n", dir);
        return -1;
    }
    return 0;
}

#endif
