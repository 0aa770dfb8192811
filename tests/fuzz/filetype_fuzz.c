/*  filetype_fuzz.c: the type check by content (common/filetype.h) on any bytes.

    It must never read out of bounds nor loop; what it accepts has a known type, and the same
    bytes with anything appended after the end (a polyglot's second file) are never accepted,
    except whitespace after a PDF's %%EOF. Seeds: tests/fuzz/corpus/filetype (hand-made: a
    small PNG, JPEG and PDF, and hostile ones).
*/
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "common/filetype.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *type;
    xc_filetype_result_t r = xc_filetype_check (data, size, 40000000, 64 * 1024 * 1024, &type);
    if (r != XC_FT_OK)
        return 0;
    bool known = false;
    for (int i = 0; xc_filetype_known[i]; i++)
        known = known || (type && strcmp (type, xc_filetype_known[i]) == 0);
    XC_FUZZ_ASSERT (known);
    /* the same verdict with a tighter pixel limit can only be OK or too many pixels */
    const char *again;
    xc_filetype_result_t tight = xc_filetype_check (data, size, 1, 64 * 1024 * 1024, &again);
    XC_FUZZ_ASSERT (tight == XC_FT_OK || tight == XC_FT_TOO_MANY_PIXELS);
    uint8_t *more = malloc (size + 4);
    if (!more)
        return 0;
    memcpy (more, data, size);
    memcpy (more + size, "PK\x03\x04", 4);
    XC_FUZZ_ASSERT (xc_filetype_check (more, size + 4, 40000000, 64 * 1024 * 1024, &again) != XC_FT_OK);
    free (more);
    return 0;
}
