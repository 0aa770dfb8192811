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

/*  For a text jansson refused with a number out of range (an integer outside int64, a real
    beyond a double): a copy with every such number replaced by null (caller owns, its length
    in *len_p), and in what (when what_size is not 0) a sentence naming the first one by its
    path: "data.after: integer out of range (int64)". NULL when the text holds none. The copy
    is only mended, not checked: the caller parses it as strictly as ever. */
char *xc_json_mend_numbers (const char *text, size_t len, size_t *len_p, char *what,
                            size_t what_size);

/*  A copy of a refused text (caller owns, its length in *len_p) that a lenient parse can read
    a message's id and iss from, for addressing the refusal only, never for its content: a
    leading byte order mark dropped; inside strings, \u0000, lone surrogate escapes, control
    characters and bytes that are not UTF-8 written \ufffd (U+FFFD, so that a string that was
    changed shows it); numbers out of range null (as above). NULL when out of memory. */
char *xc_json_loosen (const char *text, size_t len, size_t *len_p);

#endif
