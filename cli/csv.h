/*  csv.h: reading a spreadsheet's CSV (RFC 4180, UTF-8, with or without a byte order mark):
    a header line of column names, then records, each with the line it starts on so that a
    refused row can be named by it. Quoted fields may hold commas, quotes and line breaks. */
#ifndef XC_CTL_CSV_H
#define XC_CTL_CSV_H

#include <stddef.h>

typedef struct {
    char **fields;
    int n;
    long line;                       /* the line the record starts on (1: the header) */
    char *raw;                       /* the record's bytes as in the file (for a digest) */
    size_t raw_len;
} ctl_csv_row_t;

typedef struct {
    const char *path;
    ctl_csv_row_t header;
    ctl_csv_row_t *rows;             /* blank lines are left out */
    size_t n_rows;
} ctl_csv_t;

/*  Reads path into csv. 0, or -1 after writing why (with the line) into err. */
int ctl_csv_read (const char *path, ctl_csv_t *csv, char *err, size_t err_len);
void ctl_csv_free (ctl_csv_t *csv);

/*  The index of the header's column name (surrounding blanks ignored), or -1. */
int ctl_csv_column (const ctl_csv_t *csv, const char *name);

/*  The field of row at column (-1 or past the row's end: ""), without surrounding blanks. */
const char *ctl_csv_field (const ctl_csv_row_t *row, int column);

#endif
