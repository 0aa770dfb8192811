/*  table.c: output for people: aligned columns where a Chinese character takes two. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/ctl.h"
#include "common/text.h"

/*  Whether a code point is East Asian Wide or Fullwidth (Unicode UAX #11), by its main
    blocks: enough for Chinese text, full-width forms and emoji. */
static bool
s_wide (uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) || (c >= 0x3041 && c <= 0x33FF)
           || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF)
           || (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F)
           || (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F)
           || (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

int
ctl_width (const char *s)
{
    int width = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        uint32_t c;
        int n = *p < 0x80 ? 1 : (*p >> 5) == 0x6 ? 2 : (*p >> 4) == 0xE ? 3 : (*p >> 3) == 0x1E ? 4 : 1;
        c = n == 1 ? *p : *p & (0xFF >> (n + 1));
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {  /* broken sequence: count the byte as one */
                n = 1;
                c = '?';
                break;
            }
            c = (c << 6) | (p[i] & 0x3F);
        }
        /* combining marks and controls take no column */
        width += c < 0x20 || (c >= 0x300 && c <= 0x36F) || c == 0x200B ? 0 : s_wide (c) ? 2 : 1;
        p += n;
    }
    return width;
}

/*  Appends v for people: a scalar as its text (a string with a space or '=' in quotes when
    nested), an object as key=value pairs with dotted keys for deeper objects
    ("source=intake seq=3"), an array as its elements joined by ", " (objects in braces). */
static void
s_render (xc_buf_t *b, const json_t *v, const char *prefix, bool nested)
{
    if (json_is_object (v)) {
        const char *key;
        json_t *member;
        bool first = true;
        json_object_foreach ((json_t *) v, key, member) {
            char path[256];
            snprintf (path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", key);
            if (json_is_object (member) && json_object_size (member)) {
                if (!first)
                    xc_buf_puts (b, " ");
                s_render (b, member, path, true);
            }
            else {
                xc_buf_puts (b, first ? "" : " ");
                xc_buf_puts (b, path);
                xc_buf_puts (b, "=");
                s_render (b, member, "", true);
            }
            first = false;
        }
        if (first && !prefix[0])
            xc_buf_puts (b, "{}");
    }
    else if (json_is_array (v)) {
        size_t i;
        json_t *e;
        json_array_foreach ((json_t *) v, i, e) {
            xc_buf_puts (b, i ? ", " : "");
            if (json_is_object (e))
                xc_buf_puts (b, "{");
            s_render (b, e, "", true);
            if (json_is_object (e))
                xc_buf_puts (b, "}");
        }
    }
    else if (json_is_string (v)) {
        const char *text = json_string_value (v);
        bool quote = nested && (!text[0] || strpbrk (text, " =,{}"));
        if (quote)
            xc_buf_puts (b, "\"");
        xc_buf_puts (b, text);
        if (quote)
            xc_buf_puts (b, "\"");
    }
    else if (!json_is_null (v)) {
        char *text = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
        xc_buf_puts (b, text ? text : "");
        free (text);
    }
}

/*  A cell's text: strings as they are, null empty, objects and arrays as key=value text,
    never JSON (people read tables; --json is for programs). Caller frees. */
static char *
s_cell (const json_t *v)
{
    if (!v || json_is_null (v))
        return strdup ("");
    if (json_is_string (v))
        return strdup (json_string_value (v));
    xc_buf_t b = { 0 };
    s_render (&b, v, "", false);
    char *text = b.failed || !b.data ? strdup ("") : strdup (b.data);
    xc_buf_free (&b);
    return text;
}

void
ctl_table (const json_t *rows, const char *const *columns)
{
    const char *names[32];
    int n = 0;
    if (columns)
        for (; columns[n] && n < 32; n++)
            names[n] = columns[n];
    else {
        /* every member of any row, in the order first seen */
        size_t r;
        json_t *one;
        json_array_foreach (rows, r, one) {
            const char *key;
            json_t *v;
            json_object_foreach (one, key, v) {
                bool seen = false;
                for (int c = 0; c < n && !seen; c++)
                    seen = strcmp (names[c], key) == 0;
                if (!seen && n < 32)
                    names[n++] = key;
            }
        }
    }
    int widths[32];
    for (int c = 0; c < n; c++)
        widths[c] = ctl_width (names[c]);
    size_t i;
    json_t *row;
    json_array_foreach (rows, i, row)
        for (int c = 0; c < n; c++) {
            char *cell = s_cell (json_object_get (row, names[c]));
            int w = cell ? ctl_width (cell) : 0;
            widths[c] = w > widths[c] ? w : widths[c];
            free (cell);
        }
    for (int c = 0; c < n; c++) {
        char upper[128];
        snprintf (upper, sizeof upper, "%s", names[c]);
        for (char *p = upper; *p; p++)
            *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        printf ("%s%-*s", c ? "  " : "", c == n - 1 ? 0 : widths[c], upper);
    }
    printf ("\n");
    json_array_foreach (rows, i, row) {
        for (int c = 0; c < n; c++) {
            char *cell = s_cell (json_object_get (row, names[c]));
            /* line breaks inside a cell would break the table */
            for (char *p = cell; p && *p; p++)
                if (*p == '\n' || *p == '\r' || *p == '\t')
                    *p = ' ';
            int pad = c == n - 1 ? 0 : widths[c] - (cell ? ctl_width (cell) : 0);
            printf ("%s%s%*s", c ? "  " : "", cell ? cell : "", pad, "");
            free (cell);
        }
        printf ("\n");
    }
}

void
ctl_print (const ctl_t *ctl, const json_t *result)
{
    if (ctl->json) {
        char *text = json_dumps (result, JSON_INDENT (2) | JSON_ENCODE_ANY);
        printf ("%s\n", text ? text : "null");
        free (text);
        return;
    }
    /* a list's rows: "items", or the one member that is an array of objects (notify.read's
       "notices"); the other members follow the table */
    const char *list = json_object_get (result, "items") ? "items" : NULL;
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *) result, key, v)
        if (!list && json_is_array (v) && json_is_object (json_array_get (v, 0)))
            list = key;
    const json_t *items = list ? json_object_get (result, list) : NULL;
    if (json_is_array (items)) {
        /* times in milliseconds read as local times */
        size_t i;
        json_t *row;
        json_array_foreach (items, i, row) {
            const char *name;
            json_t *value;
            json_object_foreach (row, name, value) {
                size_t n = strlen (name);
                if (n > 3 && strcmp (name + n - 3, "_ms") == 0 && json_is_integer (value)) {
                    time_t t = (time_t) (json_integer_value (value) / 1000 + ctl->config->utc_offset);
                    struct tm tm;
                    char text[32];
                    gmtime_r (&t, &tm);
                    strftime (text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
                    json_object_set_new (row, name, json_string (text));
                }
            }
        }
        if (json_array_size (items))
            ctl_table (items, NULL);
        else
            printf ("(none)\n");
        const json_t *next = json_object_get (result, "next");
        if (strcmp (list, "items") == 0) {
            if (next && !json_is_null (next)) {
                char *text = json_dumps (next, JSON_ENCODE_ANY);
                printf ("(more: --after %s)\n", text ? text : "");
                free (text);
            }
            return;
        }
        json_object_foreach ((json_t *) result, key, v)
            if (strcmp (key, list) != 0) {
                char *cell = s_cell (v);
                printf ("%-*s %s\n", 14, key, cell ? cell : "");
                free (cell);
            }
        return;
    }
    json_object_foreach ((json_t *) result, key, v) {
        char *cell = json_is_string (v) ? strdup (json_string_value (v))
                                        : json_dumps (v, JSON_ENCODE_ANY | (json_is_object (v) || json_is_array (v)
                                                                            ? JSON_INDENT (2) : 0));
        printf ("%-*s %s\n", 14, key, cell ? cell : "");
        free (cell);
    }
}
