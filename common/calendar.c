/*  calendar.c: the working-day calendar and deadline arithmetic (dates themselves: date.c). */
#include "common/calendar.h"
#include "common/codec.h"

#include "common/schema.h"

#include <dirent.h>
#include <sys/stat.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The working-day calendar: per loaded year, what each day of it is. */
typedef enum { S_DAY_PLAIN = 0, S_DAY_HOLIDAY, S_DAY_MAKEUP } s_mark_t;

typedef enum { S_WORK, S_WEEKEND, S_HOLIDAY, S_MAKEUP } s_kind_t;

typedef struct {
    int year;
    unsigned char mark[366];         /* s_mark_t, indexed by day of the year */
} s_year_t;

struct xc_calendar {
    bool weekends_only;
    s_year_t *years;
    size_t n_years;
};

#define S_SPAN_MAX 3660
#define S_FIRST_DATE (-25567)        /* 1900-01-01 */
#define S_LAST_DATE 2932896          /* 9999-12-31 */

static const xc_field_t s_date_item = { .name = "date", .type = XC_T_STRING };

static const xc_field_t s_file_fields[] = {
    { .name = "year", .type = XC_T_INTEGER, .required = true, .min = 1900, .max = 9999 },
    { .name = "source", .type = XC_T_STRING, .max = 1000 },
    { .name = "holidays", .type = XC_T_ARRAY, .required = true, .max = 366,
      .items = &s_date_item },
    { .name = "workdays", .type = XC_T_ARRAY, .required = true, .max = 366,
      .items = &s_date_item },
    { .name = NULL }
};

/* True for "YYYY.json"; sets *year. */
static bool
s_year_file_name (const char *name, int *year)
{
    return strlen (name) == 9 && strcmp (name + 4, ".json") == 0
           && xc_decimal_fixed (name, 4, year) == 0;
}

/* Marks each date of one list (holidays or workdays) in y, checking it. */
static int
s_mark_dates (s_year_t *y, const json_t *list, const char *list_name, s_mark_t mark,
              const char *path, xc_err_t *err)
{
    xc_date_t jan1 = xc_date_from_ymd (y->year, 1, 1);
    size_t i;
    json_t *item;
    json_array_foreach (list, i, item) {
        const char *text = json_string_value (item);
        xc_date_t date;
        xc_err_t perr;
        if (xc_date_parse (text, &date, &perr) != 0)
            return xc_err_set (err, XC_E_CONFIG, "'%.120s': %s[%zu]: %s", path, list_name, i,
                               perr.text);
        int yy, mm, dd;
        xc_date_to_ymd (date, &yy, &mm, &dd);
        if (yy != y->year)
            return xc_err_set (err, XC_E_CONFIG, "'%.120s': %s[%zu]: %s is not in %d", path,
                               list_name, i, text, y->year);
        bool weekend = xc_date_weekday (date) >= 6;
        if (mark == S_DAY_HOLIDAY && weekend)
            return xc_err_set (err, XC_E_CONFIG,
                               "'%.120s': %s[%zu]: %s falls on a weekend, not a weekday",
                               path, list_name, i, text);
        if (mark == S_DAY_MAKEUP && !weekend)
            return xc_err_set (err, XC_E_CONFIG,
                               "'%.120s': %s[%zu]: %s is a weekday, not a weekend day", path,
                               list_name, i, text);
        if (y->mark[date - jan1] != S_DAY_PLAIN)
            return xc_err_set (err, XC_E_CONFIG, "'%.120s': %s is listed twice", path, text);
        y->mark[date - jan1] = (unsigned char) mark;
    }
    return 0;
}

/* Loads and checks one year file into y. */
static int
s_load_year (const char *path, int name_year, s_year_t *y, xc_err_t *err)
{
    json_error_t jerr;
    json_t *root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return xc_err_set (err, XC_E_CONFIG, "'%.120s' line %d: %s", path, jerr.line,
                           jerr.text);
    int rc = -1;
    xc_err_t serr;
    if (xc_schema_check (root, s_file_fields, "calendar", &serr) != 0) {
        xc_err_set (err, XC_E_CONFIG, "'%.120s': %s", path, serr.text);
        goto cleanup;
    }
    memset (y, 0, sizeof *y);
    y->year = (int) json_integer_value (json_object_get (root, "year"));
    if (y->year != name_year) {
        xc_err_set (err, XC_E_CONFIG, "'%.120s': year %d does not match the file name", path,
                    y->year);
        goto cleanup;
    }
    if (s_mark_dates (y, json_object_get (root, "holidays"), "holidays", S_DAY_HOLIDAY, path,
                      err) != 0
        || s_mark_dates (y, json_object_get (root, "workdays"), "workdays", S_DAY_MAKEUP, path,
                         err) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    json_decref (root);
    return rc;
}

int
xc_calendar_load (const char *dir, xc_calendar_t **cal_p, xc_err_t *err)
{
    *cal_p = NULL;
    DIR *d = opendir (dir);
    if (!d)
        return xc_err_set (err, XC_E_CONFIG, "unable to open calendar folder '%s'", dir);
    int rc = -1;
    xc_calendar_t *cal = calloc (1, sizeof *cal);
    if (!cal) {
        xc_err_set (err, XC_E_INTERNAL, "out of memory");
        goto cleanup;
    }
    struct dirent *entry;
    while ((entry = readdir (d))) {
        int year;
        if (!s_year_file_name (entry->d_name, &year))
            continue;
        s_year_t *years = realloc (cal->years, (cal->n_years + 1) * sizeof *years);
        if (!years) {
            xc_err_set (err, XC_E_INTERNAL, "out of memory");
            goto cleanup;
        }
        cal->years = years;
        char path[4096];
        if ((size_t) snprintf (path, sizeof path, "%s/%s", dir, entry->d_name) >= sizeof path) {
            xc_err_set (err, XC_E_CONFIG, "calendar folder path too long");
            goto cleanup;
        }
        if (s_load_year (path, year, &cal->years[cal->n_years], err) != 0)
            goto cleanup;
        cal->n_years++;
    }
    if (cal->n_years == 0) {
        xc_err_set (err, XC_E_CONFIG, "no calendar files (YYYY.json) in '%s'", dir);
        goto cleanup;
    }
    *cal_p = cal;
    cal = NULL;
    rc = 0;
cleanup:
    xc_calendar_destroy (&cal);
    closedir (d);
    return rc;
}

void
xc_calendar_destroy (xc_calendar_t **cal_p)
{
    if (!cal_p || !*cal_p)
        return;
    free ((*cal_p)->years);
    free (*cal_p);
    *cal_p = NULL;
}

uint64_t
xc_calendar_stamp (const char *dir)
{
    DIR *d = opendir (dir);
    if (!d)
        return 0;
    /* FNV-1a over each year file's name, size and mtime, summed so the order readdir gives
       does not matter */
    uint64_t stamp = 1;
    struct dirent *entry;
    while ((entry = readdir (d))) {
        int year;
        char path[4096];
        struct stat st;
        if (!s_year_file_name (entry->d_name, &year)
            || (size_t) snprintf (path, sizeof path, "%s/%s", dir, entry->d_name) >= sizeof path
            || stat (path, &st) != 0)
            continue;
        int64_t parts[] = { year, (int64_t) st.st_size, (int64_t) st.st_mtim.tv_sec,
                            (int64_t) st.st_mtim.tv_nsec };
        uint64_t h = 14695981039346656037u;
        const unsigned char *bytes = (const unsigned char *) parts;
        for (size_t i = 0; i < sizeof parts; i++)
            h = (h ^ bytes[i]) * 1099511628211u;
        stamp += h;
    }
    closedir (d);
    return stamp;
}

bool
xc_calendar_has_year (const xc_calendar_t *cal, int year)
{
    if (cal->weekends_only)
        return true;
    for (size_t i = 0; i < cal->n_years; i++)
        if (cal->years[i].year == year)
            return true;
    return false;
}

xc_calendar_t *
xc_calendar_new_weekends_only (void)
{
    xc_calendar_t *cal = calloc (1, sizeof *cal);
    if (cal)
        cal->weekends_only = true;
    return cal;
}

static int
s_day_kind (const xc_calendar_t *cal, xc_date_t date, s_kind_t *kind, xc_err_t *err)
{
    bool weekend = xc_date_weekday (date) >= 6;
    *kind = weekend ? S_WEEKEND : S_WORK;
    if (cal->weekends_only)
        return 0;
    int y, m, d;
    xc_date_to_ymd (date, &y, &m, &d);
    for (size_t i = 0; i < cal->n_years; i++) {
        if (cal->years[i].year != y)
            continue;
        unsigned char mark = cal->years[i].mark[date - xc_date_from_ymd (y, 1, 1)];
        if (mark == S_DAY_HOLIDAY)
            *kind = S_HOLIDAY;
        else if (mark == S_DAY_MAKEUP)
            *kind = S_MAKEUP;
        return 0;
    }
    return xc_err_set (err, XC_E_CONFIG, "no working-day calendar for %d", y);
}

int
xc_calendar_is_workday (const xc_calendar_t *cal, xc_date_t date, bool *workday,
                        xc_err_t *err)
{
    s_kind_t kind;
    *workday = false;
    if (s_day_kind (cal, date, &kind, err) != 0)
        return -1;
    *workday = kind == S_WORK || kind == S_MAKEUP;
    return 0;
}

typedef struct {
    int holidays, weekend_days, makeup_days;
} s_tally_t;

/* Walks forward from start to the n-th working day, counting what it passes. */
static int
s_walk (const xc_calendar_t *cal, xc_date_t start, int n, xc_date_t *due, s_tally_t *tally,
        xc_err_t *err)
{
    memset (tally, 0, sizeof *tally);
    *due = start;
    if (n < 0 || n > S_SPAN_MAX)
        return xc_err_set (err, XC_E_SCHEMA, "workdays must be between 0 and %d",
                           S_SPAN_MAX);
    xc_date_t date = start;
    while (n > 0) {
        if (date >= S_LAST_DATE)
            return xc_err_set (err, XC_E_SCHEMA, "deadline falls after 9999-12-31");
        date++;
        s_kind_t kind;
        if (s_day_kind (cal, date, &kind, err) != 0)
            return -1;
        if (kind == S_HOLIDAY)
            tally->holidays++;
        else if (kind == S_WEEKEND)
            tally->weekend_days++;
        else {
            if (kind == S_MAKEUP)
                tally->makeup_days++;
            n--;
        }
    }
    *due = date;
    return 0;
}

int
xc_calendar_add_workdays (const xc_calendar_t *cal, xc_date_t start, int n, xc_date_t *due,
                          xc_err_t *err)
{
    s_tally_t tally;
    return s_walk (cal, start, n, due, &tally, err);
}

static const char *const s_unit_names[] = {
    [XC_SPAN_DAYS] = "day", [XC_SPAN_WORKDAYS] = "workday", [XC_SPAN_MONTHS] = "month"
};

int
xc_span_parse (const char *text, xc_span_t *span, xc_err_t *err)
{
    span->amount = 0;
    span->unit = XC_SPAN_DAYS;
    span->end = XC_END_NEXT_WORKDAY;
    const char *p = text ? text : "";
    int amount = 0, digits = 0;
    while (p[digits] >= '0' && p[digits] <= '9' && digits < 5)
        amount = amount * 10 + (p[digits++] - '0');
    /* no sign, no leading zero, exactly one space */
    if (digits == 0 || (digits > 1 && p[0] == '0') || p[digits] != ' ')
        goto bad;
    const char *word = p + digits + 1;
    for (int u = 0; u < 3; u++) {
        size_t len = strlen (s_unit_names[u]);
        if (strncmp (word, s_unit_names[u], len) != 0)
            continue;
        bool singular = word[len] == 0, plural = word[len] == 's' && word[len + 1] == 0;
        if (!plural && !(singular && amount == 1))
            goto bad;
        if (amount > S_SPAN_MAX)
            return xc_err_set (err, XC_E_SCHEMA, "'%.40s': the amount must be 0..%d", text,
                               S_SPAN_MAX);
        span->amount = amount;
        span->unit = (xc_span_unit_t) u;
        return 0;
    }
bad:
    return xc_err_set (err, XC_E_SCHEMA,
                       "'%.40s' is not a span such as '10 days', '20 workdays' or '3 months'",
                       p);
}

static const char *const s_end_names[] = {
    [XC_END_NEXT_WORKDAY] = "next_workday", [XC_END_AFTER_HOLIDAY] = "after_holiday",
    [XC_END_KEEP] = "keep"
};

int
xc_period_end_parse (const char *text, xc_period_end_t *end, xc_err_t *err)
{
    *end = XC_END_NEXT_WORKDAY;
    for (int i = 0; i < 3; i++)
        if (text && strcmp (text, s_end_names[i]) == 0) {
            *end = (xc_period_end_t) i;
            return 0;
        }
    return xc_err_set (err, XC_E_SCHEMA, "'%.40s' is not 'next_workday', 'after_holiday' or 'keep'",
                       text ? text : "");
}

/*  Whether the run of days off around date (a day off) holds a listed holiday: a weekend
    day next to a holiday is part of it (端午 2025 is Sat 05-31 .. Mon 06-02, and the file lists
    only the Monday). Fails when the run reaches a year without a file. */
static int
s_in_holiday (const xc_calendar_t *cal, xc_date_t date, bool *holiday, xc_err_t *err)
{
    *holiday = false;
    for (int dir = -1; dir <= 1; dir += 2) {
        s_kind_t kind = S_WEEKEND;
        for (xc_date_t d = date; kind == S_WEEKEND || kind == S_HOLIDAY; d += dir) {
            if (d < S_FIRST_DATE || d > S_LAST_DATE)
                break;
            if (s_day_kind (cal, d, &kind, err) != 0)
                return -1;
            if (kind == S_HOLIDAY)
                *holiday = true;
        }
    }
    return 0;
}

/*  Moves a period's last day off a day off by rule; writes what it did into note (the text
    that follows "= <date>" in an explanation, "" when nothing happened). */
static void
s_period_end (const xc_calendar_t *cal, xc_period_end_t rule, xc_date_t *end, char *note,
              size_t note_size)
{
    note[0] = 0;
    if (rule == XC_END_KEEP)
        return;
    s_kind_t kind;
    xc_err_t err;
    bool holiday = false;
    if (s_day_kind (cal, *end, &kind, &err) != 0) {
        snprintf (note, note_size, " (%.60s: not checked for a day off)", err.text);
        return;
    }
    /* the run of days off matters to after_holiday; to next_workday only for the wording */
    if ((kind == S_WEEKEND || kind == S_HOLIDAY) && s_in_holiday (cal, *end, &holiday, &err) != 0) {
        holiday = kind == S_HOLIDAY;
        if (rule == XC_END_AFTER_HOLIDAY) {
            snprintf (note, note_size, " (%.60s: not checked for a day off)", err.text);
            return;
        }
    }
    if (kind == S_WORK || kind == S_MAKEUP || (rule == XC_END_AFTER_HOLIDAY && !holiday))
        return;
    xc_date_t moved = *end;
    do {
        if (moved >= S_LAST_DATE || s_day_kind (cal, ++moved, &kind, &err) != 0) {
            snprintf (note, note_size, ", a day off (%.60s: not moved)", moved >= S_LAST_DATE
                      ? "no working day before 9999-12-31" : err.text);
            return;
        }
    } while (kind == S_WEEKEND || kind == S_HOLIDAY);
    char to[XC_DATE_LEN + 1];
    xc_date_format (moved, to);
    snprintf (note, note_size, ", %s: the period ends on the next working day, %s (Civil Code"
              " art. 203)", holiday ? "in a public holiday" : "a weekend day", to);
    *end = moved;
}

/* "3 holidays", "1 holiday" */
static const char *
s_plural (int n)
{
    return n == 1 ? "" : "s";
}

int
xc_deadline_compute (const xc_calendar_t *cal, xc_date_t start, xc_span_t span,
                     xc_date_t *due, char *explain, size_t explain_len, xc_err_t *err)
{
    *due = start;
    if (explain && explain_len)
        explain[0] = 0;
    if (span.amount < 0 || span.amount > S_SPAN_MAX || (unsigned) span.unit > XC_SPAN_MONTHS)
        return xc_err_set (err, XC_E_SCHEMA, "invalid span");
    if (start < S_FIRST_DATE || start > S_LAST_DATE)
        return xc_err_set (err, XC_E_SCHEMA, "start date outside 1900-01-01..9999-12-31");
    xc_date_t result;
    s_tally_t tally = { 0, 0, 0 };
    bool clamped = false;
    if (span.unit == XC_SPAN_DAYS)
        result = start + span.amount;
    else if (span.unit == XC_SPAN_MONTHS) {
        int y, m, d, ry, rm, rd;
        xc_date_to_ymd (start, &y, &m, &d);
        result = xc_date_add_months (start, span.amount);
        xc_date_to_ymd (result, &ry, &rm, &rd);
        clamped = rd != d;
    }
    else if (s_walk (cal, start, span.amount, &result, &tally, err) != 0)
        return -1;
    if (result > S_LAST_DATE)
        return xc_err_set (err, XC_E_SCHEMA, "deadline falls after 9999-12-31");
    xc_date_t computed = result;
    char moved[160] = "";
    if (span.unit != XC_SPAN_WORKDAYS)
        s_period_end (cal, span.end, &result, moved, sizeof moved);
    *due = result;
    if (!explain || !explain_len)
        return 0;

    char from[XC_DATE_LEN + 1], to[XC_DATE_LEN + 1], note[160] = "";
    xc_date_format (start, from);
    xc_date_format (computed, to);
    if (clamped)
        snprintf (note, sizeof note, " (clamped to the end of the month)");
    else if (tally.holidays || tally.weekend_days || tally.makeup_days) {
        /* name only what happened: "(skipped 2 weekend days)" */
        char skipped[80] = "", counted[48] = "";
        if (tally.holidays && tally.weekend_days)
            snprintf (skipped, sizeof skipped, "skipped %d holiday%s and %d weekend day%s",
                      tally.holidays, s_plural (tally.holidays), tally.weekend_days,
                      s_plural (tally.weekend_days));
        else if (tally.holidays)
            snprintf (skipped, sizeof skipped, "skipped %d holiday%s", tally.holidays,
                      s_plural (tally.holidays));
        else if (tally.weekend_days)
            snprintf (skipped, sizeof skipped, "skipped %d weekend day%s",
                      tally.weekend_days, s_plural (tally.weekend_days));
        if (tally.makeup_days)
            snprintf (counted, sizeof counted, "counted %d make-up workday%s",
                      tally.makeup_days, s_plural (tally.makeup_days));
        snprintf (note, sizeof note, " (%s%s%s)", skipped, *skipped && *counted ? ", " : "",
                  counted);
    }
    snprintf (explain, explain_len, "%s + %d %s%s = %s%s%s", from, span.amount,
              s_unit_names[span.unit], s_plural (span.amount), to, note, moved);
    return 0;
}
