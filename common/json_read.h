/*  json_read.h: a fast reader for the JSON that messages hold, beside jansson.

    xc_json_read reads an object made of objects, arrays, strings, integers, true, false and
    null, and gives the value json_loadb (JSON_REJECT_DUPLICATES) gives for it: the same
    members in the same order, the same strings and integers. Anything else (a real, a
    duplicate key, an integer out of range, bad UTF-8, a NUL, any syntax error, deep nesting)
    makes it give up with NULL, and the caller parses the text with jansson, which then gives
    the verdict and the error. It is only faster: jansson reads a character at a time through
    a stream with a UTF-8 check each, this reader scans runs of plain characters at once.
    common/json_read_test.c compares the two on random texts, valid and broken.
*/
#ifndef XC_JSON_READ_H
#define XC_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

/*  The object in len bytes of text (caller owns), or NULL: not read here (see above). */
json_t *xc_json_read (const char *text, size_t len);

#endif
