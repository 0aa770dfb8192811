/*  json_text_test.c: the writer gives jansson's bytes, on known values and on random ones. */
#include "common/json_text.h"

#include "tests/harness.h"

#include <sodium.h>
#include <stdint.h>

/*  Compares both writers (plain and with sorted keys) on value; reports the first difference. */
static void
s_same (const json_t *value)
{
    for (int sorted = 0; sorted < 2; sorted++) {
        size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sorted ? JSON_SORT_KEYS : 0);
        char *want = json_dumps (value, flags);
        xc_buf_t b = { 0 };
        xc_json_put (&b, value, sorted);
        CHECK (want && !b.failed && b.data);
        if (want && b.data && strcmp (want, b.data) != 0) {
            fprintf (stderr, "  jansson: %.300s\n  ours:    %.300s\n", want, b.data);
            CHECK (strcmp (want, b.data) == 0);
        }
        free (want);
        xc_buf_free (&b);
    }
}

static void
test_known (void)
{
    const char *texts[] = {
        "{}", "[]", "\"\"", "0", "-1", "9223372036854775807", "-9223372036854775808", "true",
        "false", "null", "1.5", "-0.0", "1e300", "3.0",
        "{\"v\":1,\"id\":\"0b5a3e1c\",\"data\":{\"unit\":\"某镇\",\"evidence\":[],\"n\":null}}",
        "[\"a\\\"b\\\\c/d\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\",\"é€𝄞\"]",
        "{\"b\":1,\"a\":2,\"ab\":3,\"\":4,\"B\":5}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *value = json_loads (texts[i], JSON_DECODE_ANY, NULL);
        CHECK (value != NULL);
        if (value)
            s_same (value);
        json_decref (value);
    }
    /* a NUL inside a string, and inside a key */
    json_t *nul = json_object ();
    json_object_setn_new (nul, "k\0ey", 4, json_stringn ("a\0b", 3));
    json_object_setn_new (nul, "k", 1, json_true ());
    s_same (nul);
    json_decref (nul);
    /* the new string of xc_json_text */
    json_t *value = json_pack ("{s:s, s:[i, b]}", "name", "巡察", "list", 7, 1);
    char *text = xc_json_text (value);
    CHECK_STR (text, "{\"name\":\"巡察\",\"list\":[7,true]}");
    free (text);
    json_decref (value);
}

/*  A valid UTF-8 string of random characters, many of them ones that need an escape. */
static json_t *
s_random_string (void)
{
    char text[64];
    size_t len = 0, want = randombytes_uniform (12);
    for (size_t i = 0; i < want; i++) {
        uint32_t kind = randombytes_uniform (6), c;
        if (kind == 0)
            c = randombytes_uniform (0x20);                     /* control, NUL too */
        else if (kind == 1)
            c = "\"\\/\x7f"[randombytes_uniform (4)];
        else if (kind == 2)
            c = 0x80 + randombytes_uniform (0x780);             /* two bytes */
        else if (kind == 3)
            c = 0x4e00 + randombytes_uniform (0x5000);          /* three: CJK */
        else if (kind == 4)
            c = 0x10000 + randombytes_uniform (0x1000);         /* four */
        else
            c = 0x20 + randombytes_uniform (0x5f);
        unsigned char *p = (unsigned char *) text + len;
        if (c < 0x80)
            p[0] = (unsigned char) c, len += 1;
        else if (c < 0x800)
            p[0] = (unsigned char) (0xc0 | c >> 6), p[1] = (unsigned char) (0x80 | (c & 63)), len += 2;
        else if (c < 0x10000)
            p[0] = (unsigned char) (0xe0 | c >> 12), p[1] = (unsigned char) (0x80 | ((c >> 6) & 63)),
            p[2] = (unsigned char) (0x80 | (c & 63)), len += 3;
        else
            p[0] = (unsigned char) (0xf0 | c >> 18), p[1] = (unsigned char) (0x80 | ((c >> 12) & 63)),
            p[2] = (unsigned char) (0x80 | ((c >> 6) & 63)), p[3] = (unsigned char) (0x80 | (c & 63)),
            len += 4;
    }
    return json_stringn (text, len);
}

static json_t *
s_random (int depth)
{
    uint32_t kind = randombytes_uniform (depth > 3 ? 6 : 8);
    switch (kind) {
    case 0: return json_null ();
    case 1: return json_boolean (randombytes_uniform (2));
    case 2: {
        int64_t v;
        randombytes_buf (&v, sizeof v);
        return json_integer (randombytes_uniform (2) ? v : v % 1000);
    }
    case 3: return json_real ((double) (int32_t) randombytes_random () / 64.0);
    case 4:
    case 5: return s_random_string ();
    case 6: {
        json_t *array = json_array ();
        for (uint32_t i = randombytes_uniform (5); i > 0; i--)
            json_array_append_new (array, s_random (depth + 1));
        return array;
    }
    default: {
        json_t *object = json_object ();
        for (uint32_t i = randombytes_uniform (6); i > 0; i--) {
            json_t *key = s_random_string ();
            json_object_setn_new (object, json_string_value (key), json_string_length (key),
                                  s_random (depth + 1));
            json_decref (key);
        }
        return object;
    }
    }
}

static void
test_random (void)
{
    for (int i = 0; i < 3000; i++) {
        json_t *value = s_random (0);
        CHECK (value != NULL);
        if (value)
            s_same (value);
        json_decref (value);
    }
}

/*  The UTF-8 check agrees with jansson's on random bytes, biased to almost-valid sequences. */
static void
test_utf8 (void)
{
    const unsigned char starts[] = { 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed,
                                     0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x00 };
    const unsigned char nexts[] = { 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0x41, 0xc0 };
    int valid = 0;
    for (int round = 0; round < 20000; round++) {
        unsigned char text[8];
        size_t len = 1 + randombytes_uniform (6);
        for (size_t i = 0; i < len; i++)
            text[i] = randombytes_uniform (3) == 0 ? starts[randombytes_uniform (sizeof starts)]
                                                   : nexts[randombytes_uniform (sizeof nexts)];
        json_t *made = json_stringn ((const char *) text, len);
        CHECK_INT (xc_utf8_valid ((const char *) text, len), made != NULL);
        valid += made != NULL;
        json_decref (made);
    }
    CHECK (valid > 500 && valid < 19500);
    CHECK (xc_utf8_valid ("巡察", strlen ("巡察")) && xc_utf8_valid ("", 0));
    CHECK (!xc_utf8_valid ("\xed\xa0\x80", 3));          /* a surrogate */
    CHECK (!xc_utf8_valid ("\xf4\x90\x80\x80", 4));      /* past U+10FFFF */
    CHECK (!xc_utf8_valid ("\xe0\x9f\xbf", 3));          /* overlong */
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    RUN (test_known);
    RUN (test_random);
    RUN (test_utf8);
    HARNESS_END ();
}
