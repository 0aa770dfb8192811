/*  schema_test.c: every type, required members, unknown keys, ranges, one_of, paths. */
#include "common/schema.h"

#include "tests/harness.h"

/* Parses text (a JSON object) and checks it against fields as "data"; returns the result and
   leaves the error text in *err. */
static int
s_check (const char *text, const xc_field_t *fields, xc_err_t *err)
{
    json_error_t jerr;
    json_t *root = json_loads (text, JSON_DECODE_ANY, &jerr);
    if (!root) {
        fprintf (stderr, "bad test JSON %s: %s\n", text, jerr.text);
        return -2;
    }
    err->code = XC_OK;
    err->text[0] = 0;
    int rc = xc_schema_check (root, fields, "data", err);
    json_decref (root);
    return rc;
}

static void
s_ok (const char *text, const xc_field_t *fields)
{
    xc_err_t err;
    int rc = s_check (text, fields, &err);
    if (rc != 0)
        fprintf (stderr, "refused %s: %s\n", text, err.text);
    CHECK_INT (rc, 0);
}

static void
s_bad (const char *text, const xc_field_t *fields, const char *message)
{
    xc_err_t err;
    CHECK_INT (s_check (text, fields, &err), -1);
    CHECK_INT (err.code, XC_E_SCHEMA);
    CHECK_STR (err.text, message);
}

static const xc_field_t s_any_fields[] = { { .name = "v", .type = XC_T_ANY }, { .name = NULL } };
static const xc_field_t s_string_fields[] = { { .name = "v", .type = XC_T_STRING }, { .name = NULL } };
static const xc_field_t s_int_fields[] = { { .name = "v", .type = XC_T_INTEGER }, { .name = NULL } };
static const xc_field_t s_bool_fields[] = { { .name = "v", .type = XC_T_BOOLEAN }, { .name = NULL } };
static const xc_field_t s_nullable_fields[] = {
    { .name = "v", .type = XC_T_NULLABLE_STRING, .min = 1, .max = 3 }, { .name = NULL }
};

static const xc_field_t s_id_fields[] = { { .name = "v", .type = XC_T_ID }, { .name = NULL } };
static const xc_field_t s_date_fields[] = { { .name = "v", .type = XC_T_DATE }, { .name = NULL } };

static void
test_id_and_date (void)
{
    s_ok ("{\"v\": \"R-2021.05_a:b\"}", s_id_fields);
    s_ok ("{\"v\": \"1234567890123456789012345678901234567890123456789012345678901234\"}", s_id_fields);
    s_bad ("{\"v\": \"12345678901234567890123456789012345678901234567890123456789012345\"}", s_id_fields,
           "data.v: expected id (1-64 of A-Z a-z 0-9 . _ : -)");
    s_bad ("{\"v\": \"\"}", s_id_fields, "data.v: expected id (1-64 of A-Z a-z 0-9 . _ : -)");
    s_bad ("{\"v\": \"a b\"}", s_id_fields, "data.v: expected id (1-64 of A-Z a-z 0-9 . _ : -)");
    s_bad ("{\"v\": \"单位\"}", s_id_fields, "data.v: expected id (1-64 of A-Z a-z 0-9 . _ : -)");
    s_bad ("{\"v\": 7}", s_id_fields, "data.v: expected id (1-64 of A-Z a-z 0-9 . _ : -)");
    s_ok ("{\"v\": \"2024-02-29\"}", s_date_fields);
    s_bad ("{\"v\": \"2026-02-29\"}", s_date_fields, "data.v: expected date YYYY-MM-DD");
    s_bad ("{\"v\": \"2026-2-01\"}", s_date_fields, "data.v: expected date YYYY-MM-DD");
    s_bad ("{\"v\": \"2026-02-01T00:00:00Z\"}", s_date_fields, "data.v: expected date YYYY-MM-DD");
}

static void
test_types (void)
{
    s_ok ("{\"v\": 1}", s_any_fields);
    s_ok ("{\"v\": null}", s_any_fields);
    s_ok ("{\"v\": [1, {\"x\": 2}]}", s_any_fields);
    s_ok ("{}", s_any_fields);

    s_ok ("{\"v\": \"\"}", s_string_fields);
    s_ok ("{\"v\": \"中文\"}", s_string_fields);
    s_bad ("{\"v\": 1}", s_string_fields, "data.v: expected string");
    s_bad ("{\"v\": null}", s_string_fields, "data.v: expected string");
    s_bad ("{\"v\": [\"a\"]}", s_string_fields, "data.v: expected string");

    s_ok ("{\"v\": -7}", s_int_fields);
    s_ok ("{\"v\": 9007199254740993}", s_int_fields);
    s_bad ("{\"v\": 1.0}", s_int_fields, "data.v: expected integer");
    s_bad ("{\"v\": \"1\"}", s_int_fields, "data.v: expected integer");
    s_bad ("{\"v\": true}", s_int_fields, "data.v: expected integer");

    s_ok ("{\"v\": true}", s_bool_fields);
    s_ok ("{\"v\": false}", s_bool_fields);
    s_bad ("{\"v\": 0}", s_bool_fields, "data.v: expected boolean");
    s_bad ("{\"v\": \"true\"}", s_bool_fields, "data.v: expected boolean");

    s_ok ("{\"v\": null}", s_nullable_fields);
    s_ok ("{\"v\": \"abc\"}", s_nullable_fields);
    s_bad ("{\"v\": 1}", s_nullable_fields, "data.v: expected string or null");
    s_bad ("{\"v\": \"abcd\"}", s_nullable_fields, "data.v: length 4 is outside 1..3 bytes");
    s_bad ("{\"v\": \"\"}", s_nullable_fields, "data.v: length 0 is outside 1..3 bytes");

    s_bad ("[1]", s_any_fields, "data: expected object");
    s_bad ("\"x\"", s_any_fields, "data: expected object");
}

static const xc_field_t s_note_fields[] = {
    { .name = "text", .type = XC_T_STRING, .required = true, .min = 1, .max = 6 },
    { .name = "n", .type = XC_T_INTEGER, .min = -3, .max = 10 },
    { .name = "free", .type = XC_T_INTEGER },
    { .name = NULL }
};

static void
test_required_and_unknown (void)
{
    s_ok ("{\"text\": \"a\"}", s_note_fields);
    s_bad ("{}", s_note_fields, "data.text: missing");
    s_bad ("{\"n\": 1}", s_note_fields, "data.text: missing");
    s_bad ("{\"text\": null}", s_note_fields, "data.text: expected string");
    s_bad ("{\"text\": \"a\", \"txt\": \"b\"}", s_note_fields, "data.txt: unknown key");
    s_bad ("{\"Text\": \"a\"}", s_note_fields, "data.Text: unknown key");
    s_bad ("{\"text\": \"a\", \"\": 1}", s_note_fields, "data.: unknown key");
}

static void
test_ranges (void)
{
    s_ok ("{\"text\": \"a\", \"n\": -3}", s_note_fields);
    s_ok ("{\"text\": \"a\", \"n\": 10}", s_note_fields);
    s_bad ("{\"text\": \"a\", \"n\": 11}", s_note_fields, "data.n: 11 is outside -3..10");
    s_bad ("{\"text\": \"a\", \"n\": -4}", s_note_fields, "data.n: -4 is outside -3..10");
    s_bad ("{\"text\": \"a\", \"n\": 9223372036854775807}", s_note_fields,
           "data.n: 9223372036854775807 is outside -3..10");
    /* min = max = 0: no range */
    s_ok ("{\"text\": \"a\", \"free\": -9223372036854775807}", s_note_fields);
    s_ok ("{\"text\": \"a\", \"free\": 9223372036854775807}", s_note_fields);
    /* string lengths are in bytes: "中文" is 6 */
    s_ok ("{\"text\": \"中文\"}", s_note_fields);
    s_ok ("{\"text\": \"abcdef\"}", s_note_fields);
    s_bad ("{\"text\": \"中文!\"}", s_note_fields, "data.text: length 7 is outside 1..6 bytes");
    s_bad ("{\"text\": \"\"}", s_note_fields, "data.text: length 0 is outside 1..6 bytes");
}

static const char *const s_colors[] = { "red", "green", NULL };
static const xc_field_t s_color_fields[] = {
    { .name = "color", .type = XC_T_STRING, .one_of = s_colors },
    { .name = "maybe", .type = XC_T_NULLABLE_STRING, .one_of = s_colors },
    { .name = NULL }
};

static void
test_one_of (void)
{
    s_ok ("{\"color\": \"red\"}", s_color_fields);
    s_ok ("{\"color\": \"green\"}", s_color_fields);
    s_bad ("{\"color\": \"pink\"}", s_color_fields, "data.color: 'pink' is not an allowed value");
    s_bad ("{\"color\": \"Red\"}", s_color_fields, "data.color: 'Red' is not an allowed value");
    s_bad ("{\"color\": \"\"}", s_color_fields, "data.color: '' is not an allowed value");
    s_bad ("{\"color\": \"red \"}", s_color_fields, "data.color: 'red ' is not an allowed value");
    s_ok ("{\"maybe\": null}", s_color_fields);
    s_ok ("{\"maybe\": \"red\"}", s_color_fields);
    s_bad ("{\"maybe\": \"blue\"}", s_color_fields, "data.maybe: 'blue' is not an allowed value");
}

/* services.<name>.{api, db}, plus tags[] and a map of counts */
static const xc_field_t s_service_fields[] = {
    { .name = "api", .type = XC_T_STRING, .required = true },
    { .name = "db", .type = XC_T_STRING },
    { .name = NULL }
};
static const xc_field_t s_service = { .name = "service", .type = XC_T_OBJECT,
                                      .fields = s_service_fields };
static const xc_field_t s_tag = { .name = "tag", .type = XC_T_STRING, .min = 1, .max = 8 };
static const xc_field_t s_count = { .name = "count", .type = XC_T_INTEGER, .min = 0, .max = 9 };
static const xc_field_t s_inner_fields[] = {
    { .name = "deep", .type = XC_T_BOOLEAN, .required = true },
    { .name = NULL }
};
static const xc_field_t s_outer_fields[] = {
    { .name = "inner", .type = XC_T_OBJECT, .fields = s_inner_fields },
    { .name = NULL }
};
static const xc_field_t s_nested_fields[] = {
    { .name = "services", .type = XC_T_MAP, .max = 2, .items = &s_service },
    { .name = "tags", .type = XC_T_ARRAY, .min = 1, .max = 3, .items = &s_tag },
    { .name = "list", .type = XC_T_ARRAY },
    { .name = "counts", .type = XC_T_MAP, .items = &s_count },
    { .name = "outer", .type = XC_T_OBJECT, .fields = s_outer_fields },
    { .name = NULL }
};

static void
test_nested (void)
{
    s_ok ("{\"services\": {\"intake\": {\"api\": \"x\", \"db\": \"y\"}, \"case\": {\"api\": "
          "\"z\"}}, \"tags\": [\"a\", \"b\", \"c\"], \"list\": [1, \"x\", null], \"counts\": "
          "{\"a\": 0, \"b\": 9}, \"outer\": {\"inner\": {\"deep\": true}}}",
          s_nested_fields);
    s_bad ("{\"services\": {\"intake\": {\"api\": \"x\", \"dbb\": \"y\"}}}", s_nested_fields,
           "data.services.intake.dbb: unknown key");
    s_bad ("{\"services\": {\"intake\": {\"db\": \"y\"}}}", s_nested_fields,
           "data.services.intake.api: missing");
    s_bad ("{\"services\": {\"intake\": {\"api\": 5}}}", s_nested_fields,
           "data.services.intake.api: expected string");
    s_bad ("{\"services\": {\"intake\": []}}", s_nested_fields,
           "data.services.intake: expected object");
    s_bad ("{\"services\": []}", s_nested_fields, "data.services: expected object");
    s_bad ("{\"services\": {\"a\": {\"api\": \"x\"}, \"b\": {\"api\": \"x\"}, \"c\": {\"api\": "
           "\"x\"}}}", s_nested_fields, "data.services: more than 2 members");
    s_ok ("{\"services\": {}}", s_nested_fields);

    s_bad ("{\"tags\": [\"a\", \"b\", 3]}", s_nested_fields, "data.tags[2]: expected string");
    s_bad ("{\"tags\": [\"a\", \"\"]}", s_nested_fields,
           "data.tags[1]: length 0 is outside 1..8 bytes");
    s_bad ("{\"tags\": []}", s_nested_fields, "data.tags: 0 elements, allowed 1..3");
    s_bad ("{\"tags\": [\"a\", \"b\", \"c\", \"d\"]}", s_nested_fields,
           "data.tags: 4 elements, allowed 1..3");
    s_bad ("{\"tags\": \"a\"}", s_nested_fields, "data.tags: expected array");
    s_ok ("{\"list\": []}", s_nested_fields);

    s_bad ("{\"counts\": {\"a\": 1, \"b\": 10}}", s_nested_fields,
           "data.counts.b: 10 is outside 0..9");
    s_bad ("{\"counts\": {\"a\": \"1\"}}", s_nested_fields, "data.counts.a: expected integer");

    s_bad ("{\"outer\": {\"inner\": {}}}", s_nested_fields, "data.outer.inner.deep: missing");
    s_bad ("{\"outer\": {\"inner\": {\"deep\": true, \"zz\": 1}}}", s_nested_fields,
           "data.outer.inner.zz: unknown key");
    s_bad ("{\"outer\": {\"inner\": {\"deep\": 1}}}", s_nested_fields,
           "data.outer.inner.deep: expected boolean");
    s_bad ("{\"outer\": {\"inner\": 1}}", s_nested_fields, "data.outer.inner: expected object");

    /* where is the first part of every path */
    json_t *root = json_pack ("{s:{s:{s:s}}}", "services", "intake", "dbb", "x");
    xc_err_t err;
    CHECK_INT (xc_schema_check (root, s_nested_fields, "config", &err), -1);
    CHECK_STR (err.text, "config.services.intake.dbb: unknown key");
    json_decref (root);
    CHECK_INT (xc_schema_check (NULL, s_nested_fields, "data", &err), -1);
    CHECK_STR (err.text, "data: expected object");
    /* err may be NULL */
    root = json_pack ("{s:i}", "zz", 1);
    CHECK_INT (xc_schema_check (root, s_nested_fields, "data", NULL), -1);
    json_decref (root);
}

int
main (void)
{
    RUN (test_types);
    RUN (test_required_and_unknown);
    RUN (test_ranges);
    RUN (test_one_of);
    RUN (test_nested);
    RUN (test_id_and_date);
    HARNESS_END ();
}
