/*  page_test.c: pages stop at their budget, stand-ins for rows larger than a page, text. */
#include "common/page.h"
#include "common/json_text.h"

#include "tests/harness.h"

/*  A row of about n bytes of text that grows sixfold in JSON (a control character). */
static json_t *
s_row (int id, size_t n)
{
    char *text = malloc (n + 1);
    memset (text, 1, n);
    text[n] = 0;
    json_t *row = json_pack ("{s:i, s:s}", "id", id, "text", text);
    free (text);
    return row;
}

static void
test_budget (void)
{
    /* 4 bytes of frame carry 3 of body; the reserves come off both */
    CHECK_INT (xc_page_budget (262144), (262144 - XC_PAGE_FRAME_RESERVE) / 4 * 3 - XC_PAGE_BODY_RESERVE);
    CHECK_INT (xc_page_budget (100), 0);
    CHECK_INT (xc_page_budget (XC_PAGE_FRAME_RESERVE + 4), 0);
}

/*  Rows are taken while their text (escapes counted) and commas fit the budget. */
static void
test_stops_at_budget (void)
{
    size_t max = 65536, budget = xc_page_budget (max);
    xc_page_t page;
    CHECK_INT (xc_page_init (&page, max, 500, NULL), 0);
    int taken = 0, rc;
    size_t bytes = 0;
    while ((rc = xc_page_add (&page, s_row (taken + 1, 1000))) == 1)
        taken++;
    CHECK_INT (rc, 0);
    CHECK (page.full);
    json_t *rows = xc_page_take (&page);
    char *text = xc_json_text (rows);
    bytes = strlen (text) - 2;       /* without the brackets */
    CHECK (bytes <= budget);
    /* each row is about 6000 bytes: one more would not have fitted */
    CHECK (bytes + 6000 > budget);
    CHECK_INT ((int) json_array_size (rows), taken);
    free (text);
    json_decref (rows);
    /* a full page takes nothing more, not even a small row */
    CHECK_INT (xc_page_add (&page, json_pack ("{s:i}", "id", 1)), 0);
    xc_page_clear (&page);
}

static void
test_limit (void)
{
    xc_page_t page;
    CHECK_INT (xc_page_init (&page, 262144, 3, NULL), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT (xc_page_add (&page, s_row (i, 10)), 1);
    CHECK_INT (xc_page_add (&page, s_row (4, 10)), 0);
    CHECK_INT ((int) json_array_size (page.rows), 3);
    xc_page_clear (&page);
}

/*  A row larger than a page is a stand-in with its cursor; an outbox event goes whole, alone. */
static void
test_too_large (void)
{
    static const char *const keep[] = { "id", NULL };
    size_t max = 16384;
    xc_page_t page;
    CHECK_INT (xc_page_init (&page, max, 10, keep), 0);
    CHECK_INT (xc_page_add (&page, s_row (1, 100)), 1);
    CHECK_INT (xc_page_add (&page, s_row (2, max)), 1);
    CHECK_INT (xc_page_add (&page, s_row (3, 100)), 1);
    json_t *stand_in = json_array_get (page.rows, 1);
    CHECK_INT (json_integer_value (json_object_get (stand_in, "id")), 2);
    CHECK (json_is_true (json_object_get (stand_in, "too_large")));
    CHECK (json_integer_value (json_object_get (stand_in, "bytes")) > (json_int_t) (6 * max));
    CHECK (!json_object_get (stand_in, "text"));
    xc_page_clear (&page);

    CHECK_INT (xc_page_init (&page, max, 10, NULL), 0);
    CHECK_INT (xc_page_add_whole (&page, s_row (1, 100)), 1);
    CHECK_INT (xc_page_add_whole (&page, s_row (2, max)), 0);     /* not beside another */
    xc_page_clear (&page);
    CHECK_INT (xc_page_init (&page, max, 10, NULL), 0);
    CHECK_INT (xc_page_add_whole (&page, s_row (2, max)), 1);     /* alone */
    CHECK (page.full);
    CHECK_INT (xc_page_add_whole (&page, s_row (3, 10)), 0);
    CHECK_INT ((int) json_array_size (page.rows), 1);
    xc_page_clear (&page);
}

/*  Text kept by the caller is measured as the JSON string it ends up in. */
static void
test_text (void)
{
    size_t max = 16384, budget = xc_page_budget (max);
    xc_page_t page;
    CHECK_INT (xc_page_init (&page, max, 10, NULL), 0);
    char line[1001];
    memset (line, '"', 1000);        /* a quote is two bytes in JSON */
    line[1000] = 0;
    int taken = 0;
    while (xc_page_add_text (&page, line, 1000) == 1)
        taken++;
    CHECK_INT (taken, (int) (budget / 2000));
    CHECK (page.full);
    xc_page_clear (&page);
    CHECK_INT (xc_page_init (&page, max, 10, NULL), 0);
    char *big = malloc (budget + 1);
    memset (big, 'x', budget + 1);
    CHECK_INT (xc_page_add_text (&page, big, budget + 1), -2);
    CHECK (!page.full);
    CHECK_INT (xc_page_add_text (&page, big, budget), 1);
    free (big);
    xc_page_clear (&page);
}

int
main (void)
{
    RUN (test_budget);
    RUN (test_stops_at_budget);
    RUN (test_limit);
    RUN (test_too_large);
    RUN (test_text);
    HARNESS_END ();
}
