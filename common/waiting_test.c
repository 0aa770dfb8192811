/*  waiting_test.c: parked events kept across a reopen, found by object, listed in order and
    paged, taken back one by one; a rolled-back park leaves nothing. */
#include "common/waiting.h"

#include "tests/harness.h"

static char s_dir[64];

static xc_store_t *
s_open (void)
{
    char path[128];
    snprintf (path, sizeof path, "%s/w.db", s_dir);
    xc_store_t *store = NULL;
    xc_err_t err;
    CHECK_INT (xc_store_open (path, NULL, 0, &store, &err), 0);
    return store;
}

static void
test_parked_events_by_object_in_order (void)
{
    xc_store_t *store = s_open ();
    xc_err_t err;
    int64_t n, oldest, first;
    CHECK_INT (xc_waiting_count (store, &n, &oldest, &err), 0);
    CHECK (n == 0 && oldest == 0);
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_waiting_park (store, "intake", 16, "problem.fed_back", "unit:U-A", "m16",
                                "no working-day calendar for 2027", 1000, &err), 0);
    CHECK_INT (xc_waiting_park (store, "intake", 21, "problem.fed_back", "unit:U-A", "m21",
                                "behind intake event 16", 1001, &err), 0);
    CHECK_INT (xc_waiting_park (store, "intake", 18, "problem.fed_back", "", "m18",
                                "no working-day calendar for 2027", 1002, &err), 0);
    CHECK_INT (xc_waiting_park (store, "alpha", 3, "x.y", "unit:U-A", "a3", "r", 999, &err), 0);
    /* parked again (a retry that still waits): the reason changes, since does not */
    CHECK_INT (xc_waiting_park (store, "intake", 16, "problem.fed_back", "unit:U-A", "m16",
                                "no working-day calendar for 2028", 5000, &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);

    CHECK_INT (xc_waiting_count (store, &n, &oldest, &err), 0);
    CHECK (n == 4 && oldest == 999);
    CHECK_INT (xc_waiting_first (store, "intake", "unit:U-A", &first, &err), 0);
    CHECK (first == 16);
    CHECK_INT (xc_waiting_first (store, "intake", "unit:U-B", &first, &err), 0);
    CHECK (first == 0);
    CHECK_INT (xc_waiting_first (store, "alpha", "unit:U-A", &first, &err), 0);
    CHECK (first == 3);

    /* in (source, seq) order, two at a time */
    xc_waiting_t *rows;
    int got;
    CHECK_INT (xc_waiting_list (store, "", 0, 2, &rows, &got, &err), 0);
    CHECK_INT (got, 2);
    if (got == 2) {
        CHECK_STR (rows[0].source, "alpha");
        CHECK (rows[1].seq == 16);
        CHECK_STR (rows[1].message, "m16");
        CHECK_STR (rows[1].object, "unit:U-A");
        CHECK_STR (rows[1].type, "problem.fed_back");
    }
    xc_waiting_free (rows, got);
    CHECK_INT (xc_waiting_list (store, "intake", 16, 10, &rows, &got, &err), 0);
    CHECK_INT (got, 2);
    if (got == 2) {
        CHECK (rows[0].seq == 18 && rows[1].seq == 21);
        CHECK_STR (rows[0].object, "");
    }
    xc_waiting_free (rows, got);

    /* a park rolled back with its batch leaves nothing */
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_waiting_park (store, "intake", 30, "t", "", "m30", "r", 1, &err), 0);
    xc_store_rollback (store);
    CHECK_INT (xc_waiting_count (store, &n, &oldest, &err), 0);
    CHECK (n == 4);

    /* kept across a reopen; init again is harmless; done takes one back */
    xc_store_close (&store);
    store = s_open ();
    CHECK_INT (xc_store_begin (store, &err), 0);
    CHECK_INT (xc_waiting_done (store, "intake", 16, &err), 0);
    CHECK_INT (xc_store_commit (store, &err), 0);
    CHECK_INT (xc_waiting_first (store, "intake", "unit:U-A", &first, &err), 0);
    CHECK (first == 21);
    CHECK_INT (xc_waiting_count (store, &n, &oldest, &err), 0);
    CHECK (n == 3 && oldest == 999);
    xc_store_close (&store);
}

int
main (void)
{
    h_tmpdir (s_dir, sizeof s_dir, "waiting");
    RUN (test_parked_events_by_object_in_order);
    h_rmtree (s_dir);
    HARNESS_END ();
}
