/*  json_read_test.c: the fast reader gives jansson's value or gives up, never another value. */
#include "common/json_read.h"

#include "tests/harness.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

/*  Reads text both ways. When the fast reader gives a value, jansson must give the same one,
    member order included; returns whether the fast reader took it. */
static bool
s_agree (const char *text, size_t len)
{
    json_t *fast = xc_json_read (text, len);
    json_t *slow = json_loadb (text, len, JSON_REJECT_DUPLICATES, NULL);
    if (fast) {
        char *a = json_dumps (fast, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = slow ? json_dumps (slow, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        bool same = slow && json_equal (fast, slow) && a && b && strcmp (a, b) == 0;
        if (!same)
            fprintf (stderr, "  text: %.*s\n  fast: %s\n  jansson: %s\n", (int) (len > 200 ? 200 : len),
                     text, a ? a : "-", b ? b : "(refused)");
        CHECK (same);
        free (a);
        free (b);
    }
    json_decref (fast);
    json_decref (slow);
    return fast != NULL;
}

static void
test_known (void)
{
    const char *taken[] = {
        "{}", " {\"a\":1} ", "{\"a\":[],\"b\":{},\"c\":[1,-2,0,-0]}",
        "{\"v\":1,\"id\":\"0b5a3e1c\",\"data\":{\"unit\":\"某镇\",\"n\":null,\"t\":true,\"f\":false}}",
        "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u4e2d\\ud834\\udd1e\"}",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775808}",
        "{ \"a\" : [ 1 , { \"b\" : \"c\" } ] }\n", "{\"\":\"\"}",
    };
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
        CHECK (s_agree (taken[i], strlen (taken[i])));
    /* left to jansson: reals, duplicates, ranges, escapes and bytes it refuses, any error */
    const char *left[] = {
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":1,\"a\":2}", "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}", "{\"a\":01}", "{\"a\":-}", "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud834\"}", "{\"a\":\"\\udd1e\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\x01\"}",
        "{\"a\":\"\xc0\x80\"}", "{\"a\":\"\xed\xa0\x80\"}", "[1]", "\"s\"", "{\"a\":1", "{\"a\":1}x",
        "{\"a\" 1}", "{\"a\":tru}", "{\"a\":[1,]}", "{\"a\":1,}", "{a:1}", "",
    };
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++)
        CHECK (!s_agree (left[i], strlen (left[i])));
    /* a NUL byte inside the length */
    CHECK (!s_agree ("{\"a\":\"x\0y\"}", 11));
    CHECK (!s_agree ("{\"a\":1}\0", 8));
}

/*  Random values written by jansson, with white space and escapes of its choosing, read back;
    then the same texts with a byte changed, cut short or doubled: the fast reader either
    agrees with jansson or leaves them to it. */
static void
test_random (void)
{
    const char *atoms[] = { "0", "-1", "42", "9223372036854775807", "true", "false", "null",
                            "\"\"", "\"x\"", "\"某镇\"", "\"a\\nb\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
                            "1.5", "[]", "{}" };
    int taken = 0, mutated_taken = 0;
    for (int round = 0; round < 4000; round++) {
        /* an object of a few members, some nested */
        char text[2048];
        size_t n = 0;
        n += (size_t) snprintf (text + n, sizeof text - n, "{");
        int members = (int) randombytes_uniform (6);
        for (int m = 0; m < members; m++) {
            const char *sep = randombytes_uniform (4) ? "" : " ";
            n += (size_t) snprintf (text + n, sizeof text - n, "%s\"k%u\"%s:%s", m ? "," : "",
                                    randombytes_uniform (8), sep, sep);
            if (randombytes_uniform (4) == 0)
                n += (size_t) snprintf (text + n, sizeof text - n, "[%s,{\"in\":%s}]",
                                        atoms[randombytes_uniform (16)], atoms[randombytes_uniform (16)]);
            else
                n += (size_t) snprintf (text + n, sizeof text - n, "%s", atoms[randombytes_uniform (16)]);
        }
        n += (size_t) snprintf (text + n, sizeof text - n, "}");
        taken += s_agree (text, n);
        /* one byte changed to one of those that matter */
        const char bytes[] = "{}[],:\"\\ -0159.eEu\x01\x80\xff";
        char changed[2048];
        memcpy (changed, text, n);
        changed[randombytes_uniform ((uint32_t) n)] = bytes[randombytes_uniform (sizeof bytes - 1)];
        mutated_taken += s_agree (changed, n);
        s_agree (text, randombytes_uniform ((uint32_t) n));            /* cut short */
    }
    CHECK (taken > 1000);
    CHECK (mutated_taken > 100);
}

/*  Loosening a refused text lets its id be read, and changes only what it must. */
static void
test_loosen (void)
{
    const char *texts[] = {
        "\xef\xbb\xbf{\"id\":\"x\",\"a\":1}", "{\"id\":\"x\",\"a\":\"b\\u0000c\"}",
        "{\"id\":\"x\",\"a\":\"\\ud800\",\"b\":\"\\udc00\\ud834\\udd1e\"}",
        "{\"id\":\"x\",\"a\":\"\xff\xc0\xaf\xed\xa0\x80\"}", "{\"id\":\"x\",\"a\":\"\x01\"}",
        "{\"id\":\"x\",\"a\":[18446744073709551616,1e400,-1e999,1.5e3]}",
        "{\"id\":\"x\",\"a\":\"\\\\u0000\"}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t len;
        char *loose = xc_json_loosen (texts[i], strlen (texts[i]), &len);
        json_t *json = loose ? json_loadb (loose, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
        CHECK (json && strcmp (json_string_value (json_object_get (json, "id")), "x") == 0);
        if (!json)
            fprintf (stderr, "  not read: %s\n", loose ? loose : "-");
        json_decref (json);
        free (loose);
    }
    /* an escaped backslash before u0000 is text, and a valid pair stays */
    size_t len;
    char *loose = xc_json_loosen ("{\"a\":\"\\\\u0000\\ud834\\udd1e\"}", 27, &len);
    CHECK (loose && strcmp (loose, "{\"a\":\"\\\\u0000\\ud834\\udd1e\"}") == 0);
    free (loose);
    /* mending names the first number out of range by its path */
    char what[128];
    const char *text = "{\"v\":1,\"data\":{\"ok\":[9223372036854775807,-9223372036854775808],"
                       "\"x\":{\"y\":[0,\"s,]\",-9223372036854775809]},\"z\":1e400}}";
    char *mended = xc_json_mend_numbers (text, strlen (text), &len, what, sizeof what);
    CHECK (mended && strstr (mended, "\"y\":[0,\"s,]\",null]") && strstr (mended, "\"z\":null"));
    CHECK (strcmp (what, "data.x.y[2]: integer out of range (int64)") == 0);
    free (mended);
    CHECK (xc_json_mend_numbers ("{\"a\":1e308,\"b\":12}", 18, &len, what, sizeof what) == NULL);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    RUN (test_known);
    RUN (test_loosen);
    RUN (test_random);
    HARNESS_END ();
}
