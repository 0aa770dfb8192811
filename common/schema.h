/*  schema.h: checks a JSON value against a static description of its fields.

    Used for every JSON that comes from outside: command data, configuration, registry and
    calendar files. A description is an array of xc_field_t ended by a field with name NULL:

        static const xc_field_t s_note_fields[] = {
            { .name = "text", .type = XC_T_STRING, .required = true, .min = 1, .max = 2000 },
            { .name = "tags", .type = XC_T_ARRAY, .max = 16, .items = &s_tag },
            { .name = NULL }
        };

    Members not described are refused ("unknown key"), so a typo in a config file or a field a
    service does not know is an error, never silently ignored. Error texts name the path of the
    offending value: "data.tags[2]: expected string", "services.intake.dbb: unknown key".
*/
#ifndef XC_SCHEMA_H
#define XC_SCHEMA_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef enum {
    XC_T_ANY,                        /* anything (checked by the caller) */
    XC_T_STRING,                     /* min/max: length in bytes; one_of: allowed values */
    XC_T_INTEGER,                    /* min/max: inclusive range (see below) */
    XC_T_BOOLEAN,
    XC_T_NULLABLE_STRING,            /* a string as above, or null */
    XC_T_OBJECT,                     /* fields: its members */
    XC_T_ARRAY,                      /* items: each element; min/max: element count */
    XC_T_MAP,                        /* object with free keys; items: each value; max: count */
    XC_T_ID,                         /* 1-64 characters of A-Z a-z 0-9 . _ : - (ids chosen by people) */
    XC_T_DATE                        /* a real date "YYYY-MM-DD" */
} xc_type_t;

typedef struct xc_field {
    const char *name;                /* NULL ends a list */
    xc_type_t type;
    bool required;
    int64_t min, max;                /* both 0: no range; else at least min and, when max is
                                        not 0, at most max */
    const struct xc_field *fields;   /* XC_T_OBJECT */
    const struct xc_field *items;    /* XC_T_ARRAY, XC_T_MAP: one field describing each element */
    const char *const *one_of;       /* XC_T_STRING: NULL-terminated list of allowed values */
} xc_field_t;

/*  Whether s is an id as the schemas, the registry and the policies name things (units,
    districts, directory entries): 1-64 of A-Z a-z 0-9 . _ : - */
bool xc_id_valid (const char *s);

/*  Checks that object is a JSON object whose members match fields. where names the object
    in error texts ("data", "config"). Fails with XC_E_SCHEMA. */
int xc_schema_check (const json_t *object, const xc_field_t *fields, const char *where,
                     xc_err_t *err);

#endif
