/*  text_test.c: the growing buffer and CSV fields. */
#include <string.h>

#include "common/text.h"
#include "tests/harness.h"

#include <pthread.h>

static void
test_buffer_grows_and_stays_terminated (void)
{
    xc_buf_t b = { 0 };
    for (int i = 0; i < 1000; i++)
        xc_buf_puts (&b, "宿舍");
    CHECK (!b.failed);
    CHECK_INT ((int) b.len, 6000);
    CHECK_INT ((int) strlen (b.data), 6000);
    CHECK (strncmp (b.data + 5994, "宿舍", 6) == 0);
    xc_buf_put (&b, "", 0);
    CHECK_INT ((int) b.len, 6000);
    xc_buf_free (&b);
    CHECK (b.data == NULL && b.len == 0);
}

static void
test_csv_fields (void)
{
    xc_buf_t b = { 0 };
    xc_csv_field (&b, "青石镇", true);
    xc_csv_field (&b, "宿舍楼改造, \"急\"", false);
    xc_csv_field (&b, NULL, false);
    xc_csv_field (&b, "两行\n文字", false);
    xc_csv_field (&b, "=HYPERLINK(\"x\")", false);
    xc_csv_field (&b, "-5%", false);
    xc_csv_field (&b, "", false);
    CHECK_STR (b.data, "青石镇,\"宿舍楼改造, \"\"急\"\"\",,\"两行\n文字\",\"'=HYPERLINK(\"\"x\"\")\",'-5%,");
    xc_buf_free (&b);
}

/*  A thread's scratch buffer: the same one again, emptied; another thread's is another, and
    is freed when that thread ends (valgrind, in make memcheck). */
static void *
s_other_thread (void *arg)
{
    xc_buf_t *b = xc_buf_scratch ();
    xc_buf_puts (b, "other");
    *(xc_buf_t **) arg = b;
    return NULL;
}

static void
test_scratch (void)
{
    xc_buf_t *a = xc_buf_scratch ();
    CHECK (a != NULL);
    if (!a)
        return;
    xc_buf_puts (a, "some text to keep room for");
    char *memory = a->data;
    xc_buf_t *again = xc_buf_scratch ();
    CHECK (again == a && again->len == 0 && again->data == memory && again->data[0] == 0);
    xc_buf_t *other = NULL;
    pthread_t thread;
    CHECK_INT (pthread_create (&thread, NULL, s_other_thread, &other), 0);
    pthread_join (thread, NULL);
    CHECK (other && other != a);
}

int
main (void)
{
    RUN (test_buffer_grows_and_stays_terminated);
    RUN (test_csv_fields);
    RUN (test_scratch);
    HARNESS_END ();
}
