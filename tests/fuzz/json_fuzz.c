/*  json_fuzz.c: the fast JSON reader and writer against jansson, on any bytes.

    xc_json_read must give jansson's value (json_loadb with JSON_REJECT_DUPLICATES: equal, and
    the same member order) or give up; it must never take what jansson refuses. For whatever
    jansson reads, xc_json_put must write jansson's bytes, plain and with sorted keys.
    The helpers used after a refusal, xc_json_mend_numbers and xc_json_loosen, take any bytes;
    on a text jansson reads there is nothing to mend, and loosening leaves it byte for byte.
*/
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "common/json_read.h"
#include "common/json_text.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/*  Whether ours writes value as json_dumps does, with and without sorted keys. */
static bool
s_writes_alike (const json_t *value)
{
    for (int sorted = 0; sorted < 2; sorted++) {
        char *want = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY | (sorted ? JSON_SORT_KEYS : 0));
        xc_buf_t got = { 0 };
        xc_json_put (&got, value, sorted);
        bool same = want && got.data && strcmp (want, got.data) == 0;
        free (want);
        xc_buf_free (&got);
        if (!same)
            return false;
    }
    return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    json_t *fast = xc_json_read (text, size);
    json_t *slow = json_loadb (text, size, JSON_REJECT_DUPLICATES, NULL);
    XC_FUZZ_ASSERT (!fast || (slow && json_equal (fast, slow)));
    if (fast) {
        char *a = json_dumps (fast, JSON_COMPACT), *b = json_dumps (slow, JSON_COMPACT);
        XC_FUZZ_ASSERT (a && b && strcmp (a, b) == 0);        /* the same member order */
        free (a);
        free (b);
    }
    if (slow)
        XC_FUZZ_ASSERT (s_writes_alike (slow));
    char what[128];
    size_t len;
    char *mended = xc_json_mend_numbers (text, size, &len, what, sizeof what);
    XC_FUZZ_ASSERT (!slow || !mended);
    XC_FUZZ_ASSERT (!mended || len <= size);
    free (mended);
    char *loose = xc_json_loosen (text, size, &len);
    XC_FUZZ_ASSERT (!slow || (loose && len == size && memcmp (loose, text, size) == 0));
    free (loose);
    json_decref (fast);
    json_decref (slow);
    return 0;
}
