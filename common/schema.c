/*  schema.c: checks JSON against a static field description (see schema.h). */
#include "common/schema.h"

#include "common/date.h"

#include <stdio.h>
#include <string.h>

static int s_check_value (const json_t *value, const xc_field_t *field, const char *path,
                          xc_err_t *err);

bool
xc_id_valid (const char *s)
{
    size_t n = strlen (s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

static const char *
s_type_name (xc_type_t type)
{
    switch (type) {
    case XC_T_STRING: return "string";
    case XC_T_NULLABLE_STRING: return "string or null";
    case XC_T_INTEGER: return "integer";
    case XC_T_BOOLEAN: return "boolean";
    case XC_T_OBJECT: return "object";
    case XC_T_ARRAY: return "array";
    case XC_T_MAP: return "object";
    case XC_T_ID: return "id (1-64 of A-Z a-z 0-9 . _ : -)";
    case XC_T_DATE: return "date YYYY-MM-DD";
    default: return "value";
    }
}

/*  Whether value lies in the field's range: min applies when min or max is set, max only when
    it is set, so { .min = 1 } means "at least 1". */
static bool
s_in_range (const xc_field_t *field, int64_t value)
{
    if (field->min == 0 && field->max == 0)
        return true;
    return value >= field->min && (field->max == 0 || value <= field->max);
}

static int
s_check_string (const json_t *value, const xc_field_t *field, const char *path, xc_err_t *err)
{
    size_t len = json_string_length (value);
    if (!s_in_range (field, (int64_t) len))
        return xc_err_set (err, XC_E_SCHEMA, "%s: length %zu is outside %lld..%lld bytes", path,
                           len, (long long) field->min, (long long) field->max);
    if (field->one_of) {
        for (const char *const *v = field->one_of; *v; v++)
            if (strcmp (*v, json_string_value (value)) == 0)
                return 0;
        return xc_err_set (err, XC_E_SCHEMA, "%s: '%.60s' is not an allowed value", path,
                           json_string_value (value));
    }
    return 0;
}

static int
s_check_object (const json_t *object, const xc_field_t *fields, const char *path,
                xc_err_t *err)
{
    char sub[512];
    if (!json_is_object (object))
        return xc_err_set (err, XC_E_SCHEMA, "%s: expected object", path);
    const char *key;
    json_t *member;
    json_object_foreach ((json_t *) object, key, member) {
        const xc_field_t *f = fields;
        while (f->name && strcmp (f->name, key) != 0)
            f++;
        snprintf (sub, sizeof sub, "%s.%.80s", path, key);
        if (!f->name)
            return xc_err_set (err, XC_E_SCHEMA, "%s: unknown key", sub);
        if (s_check_value (member, f, sub, err) != 0)
            return -1;
    }
    for (const xc_field_t *f = fields; f->name; f++)
        if (f->required && !json_object_get (object, f->name))
            return xc_err_set (err, XC_E_SCHEMA, "%s.%s: missing", path, f->name);
    return 0;
}

static int
s_check_value (const json_t *value, const xc_field_t *field, const char *path, xc_err_t *err)
{
    char sub[512];
    switch (field->type) {
    case XC_T_ANY:
        return 0;
    case XC_T_NULLABLE_STRING:
        if (json_is_null (value))
            return 0;
        /* fall through */
    case XC_T_STRING:
        if (!json_is_string (value))
            break;
        return s_check_string (value, field, path, err);
    case XC_T_INTEGER:
        if (!json_is_integer (value))
            break;
        if (!s_in_range (field, json_integer_value (value)))
            return xc_err_set (err, XC_E_SCHEMA, "%s: %lld is outside %lld..%lld", path,
                               (long long) json_integer_value (value), (long long) field->min,
                               (long long) field->max);
        return 0;
    case XC_T_BOOLEAN:
        if (!json_is_boolean (value))
            break;
        return 0;
    case XC_T_ID:
        if (!json_is_string (value) || !xc_id_valid (json_string_value (value)))
            break;
        return 0;
    case XC_T_DATE: {
        xc_date_t date;
        if (!json_is_string (value) || xc_date_parse (json_string_value (value), &date, NULL) != 0)
            break;
        return 0;
    }
    case XC_T_OBJECT:
        return s_check_object (value, field->fields, path, err);
    case XC_T_ARRAY: {
        if (!json_is_array (value))
            break;
        size_t n = json_array_size (value);
        if (!s_in_range (field, (int64_t) n))
            return xc_err_set (err, XC_E_SCHEMA, "%s: %zu elements, allowed %lld..%lld", path, n,
                               (long long) field->min, (long long) field->max);
        size_t i;
        json_t *item;
        json_array_foreach ((json_t *) value, i, item) {
            snprintf (sub, sizeof sub, "%s[%zu]", path, i);
            if (field->items && s_check_value (item, field->items, sub, err) != 0)
                return -1;
        }
        return 0;
    }
    case XC_T_MAP: {
        if (!json_is_object (value))
            break;
        if (field->max && (int64_t) json_object_size (value) > field->max)
            return xc_err_set (err, XC_E_SCHEMA, "%s: more than %lld members", path,
                               (long long) field->max);
        const char *key;
        json_t *member;
        json_object_foreach ((json_t *) value, key, member) {
            snprintf (sub, sizeof sub, "%s.%.80s", path, key);
            if (field->items && s_check_value (member, field->items, sub, err) != 0)
                return -1;
        }
        return 0;
    }
    }
    return xc_err_set (err, XC_E_SCHEMA, "%s: expected %s", path, s_type_name (field->type));
}

int
xc_schema_check (const json_t *object, const xc_field_t *fields, const char *where,
                 xc_err_t *err)
{
    return s_check_object (object, fields, where, err);
}
