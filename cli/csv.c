/*  csv.c: a spreadsheet's CSV, record by record (csv.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/csv.h"

#define CSV_MAX_BYTES (64L * 1024 * 1024)
#define CSV_MAX_FIELDS 256

/*  Trims blanks (spaces, tabs, and a full-width space U+3000) at both ends, in place. */
static void
s_trim (char *s)
{
    char *start = s;
    for (;;) {
        if (*start == ' ' || *start == '\t')
            start++;
        else if (strncmp (start, "\xE3\x80\x80", 3) == 0)
            start += 3;
        else
            break;
    }
    size_t len = strlen (start);
    for (;;) {
        if (len && (start[len - 1] == ' ' || start[len - 1] == '\t'))
            len--;
        else if (len >= 3 && strncmp (start + len - 3, "\xE3\x80\x80", 3) == 0)
            len -= 3;
        else
            break;
    }
    memmove (s, start, len);
    s[len] = 0;
}

/*  Parses one record at *p (end at end): its fields into row; *p moves past it and *line
    counts the line breaks passed. 0, 1 at the end of the text, -1 for an unclosed quote or
    too many fields. */
static int
s_record (const char **p, const char *end, long *line, ctl_csv_row_t *row)
{
    if (*p >= end)
        return 1;
    const char *start = *p;
    char **fields = calloc (CSV_MAX_FIELDS, sizeof *fields);
    char *buf = malloc ((size_t) (end - start) + 1);
    if (!fields || !buf) {
        free (fields);
        free (buf);
        return -1;
    }
    int n = 0;
    char *out = buf;
    const char *r = start;
    row->line = *line;
    for (;;) {
        if (n == CSV_MAX_FIELDS) {
            free (fields);
            free (buf);
            return -1;
        }
        fields[n++] = out;
        if (r < end && *r == '"') {
            r++;
            for (;;) {
                if (r >= end) {
                    free (fields);
                    free (buf);
                    return -1;
                }
                if (*r == '"' && r + 1 < end && r[1] == '"') {
                    *out++ = '"';
                    r += 2;
                }
                else if (*r == '"') {
                    r++;
                    break;
                }
                else {
                    if (*r == '\n')
                        (*line)++;
                    *out++ = *r++;
                }
            }
            /* text after the closing quote up to the separator is kept, as spreadsheets do */
            while (r < end && *r != ',' && *r != '\n' && *r != '\r')
                *out++ = *r++;
        }
        else
            while (r < end && *r != ',' && *r != '\n' && *r != '\r')
                *out++ = *r++;
        *out++ = 0;
        if (r < end && *r == ',') {
            r++;
            continue;
        }
        break;
    }
    row->raw_len = (size_t) (r - start);
    if (r < end && *r == '\r')
        r++;
    if (r < end && *r == '\n') {
        r++;
        (*line)++;
    }
    *p = r;
    for (int i = 0; i < n; i++)
        s_trim (fields[i]);
    row->fields = fields;
    row->n = n;
    row->raw = malloc (row->raw_len + 1);
    if (row->raw) {
        memcpy (row->raw, start, row->raw_len);
        row->raw[row->raw_len] = 0;
    }
    /* fields point into buf: buf is fields[0] */
    return 0;
}

static bool
s_blank (const ctl_csv_row_t *row)
{
    for (int i = 0; i < row->n; i++)
        if (row->fields[i][0])
            return false;
    return true;
}

static void
s_row_free (ctl_csv_row_t *row)
{
    if (row->fields)
        free (row->fields[0]);
    free (row->fields);
    free (row->raw);
    memset (row, 0, sizeof *row);
}

int
ctl_csv_read (const char *path, ctl_csv_t *csv, char *err, size_t err_len)
{
    memset (csv, 0, sizeof *csv);
    csv->path = path;
    FILE *f = fopen (path, "rb");
    if (!f) {
        snprintf (err, err_len, "%s: unable to read it", path);
        return -1;
    }
    char *text = malloc (CSV_MAX_BYTES + 1);
    size_t len = text ? fread (text, 1, CSV_MAX_BYTES + 1, f) : 0;
    fclose (f);
    if (!text || len > CSV_MAX_BYTES) {
        snprintf (err, err_len, "%s: larger than %ld MiB", path, CSV_MAX_BYTES >> 20);
        free (text);
        return -1;
    }
    text[len] = 0;
    if (memchr (text, 0, len)) {
        snprintf (err, err_len, "%s: not a CSV text file (it has NUL bytes: a spreadsheet's own format? save it"
                                " as CSV UTF-8)", path);
        free (text);
        return -1;
    }
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;                      /* a spreadsheet's byte order mark */
    long line = 1;
    int rc = s_record (&p, end, &line, &csv->header);
    if (rc != 0) {
        snprintf (err, err_len, "%s:1: %s", path, rc > 0 ? "empty: no header line" : "the header line does not read"
                                                             " as CSV (a quote not closed?)");
        free (text);
        return -1;
    }
    size_t cap = 0;
    for (;;) {
        ctl_csv_row_t row = { 0 };
        long at = line;
        rc = s_record (&p, end, &line, &row);
        if (rc > 0)
            break;
        if (rc < 0) {
            snprintf (err, err_len, "%s:%ld: a quote is not closed (or more than %d columns)", path, at,
                      CSV_MAX_FIELDS);
            free (text);
            ctl_csv_free (csv);
            return -1;
        }
        if (s_blank (&row)) {
            s_row_free (&row);
            continue;
        }
        if (csv->n_rows == cap) {
            cap = cap ? cap * 2 : 64;
            ctl_csv_row_t *grown = realloc (csv->rows, cap * sizeof *grown);
            if (!grown) {
                s_row_free (&row);
                snprintf (err, err_len, "%s: out of memory", path);
                free (text);
                ctl_csv_free (csv);
                return -1;
            }
            csv->rows = grown;
        }
        csv->rows[csv->n_rows++] = row;
    }
    free (text);
    return 0;
}

void
ctl_csv_free (ctl_csv_t *csv)
{
    s_row_free (&csv->header);
    for (size_t i = 0; i < csv->n_rows; i++)
        s_row_free (&csv->rows[i]);
    free (csv->rows);
    csv->rows = NULL;
    csv->n_rows = 0;
}

int
ctl_csv_column (const ctl_csv_t *csv, const char *name)
{
    for (int i = 0; i < csv->header.n; i++)
        if (strcmp (csv->header.fields[i], name) == 0)
            return i;
    return -1;
}

const char *
ctl_csv_field (const ctl_csv_row_t *row, int column)
{
    return column >= 0 && column < row->n ? row->fields[column] : "";
}
