/*  calendar_test.c: dates, the working-day calendar files, spans and deadlines. */
#include "common/calendar.h"

#include "tests/harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

static char s_tmp[64];

static xc_date_t
s_d (const char *text)
{
    xc_date_t date = 0;
    if (xc_date_parse (text, &date, NULL) != 0)
        fprintf (stderr, "bad test date %s\n", text);
    return date;
}

static void
s_write (const char *name, const char *text)
{
    char path[256];
    snprintf (path, sizeof path, "%s/%s", s_tmp, name);
    FILE *f = fopen (path, "w");
    if (f) {
        fputs (text, f);
        fclose (f);
    }
}

/* Empties the temp folder between cases. */
static void
s_clear (void)
{
    DIR *d = opendir (s_tmp);
    if (!d)
        return;
    struct dirent *e;
    char path[512];
    while ((e = readdir (d)))
        if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0) {
            snprintf (path, sizeof path, "%s/%s", s_tmp, e->d_name);
            unlink (path);
        }
    closedir (d);
}

/* Loads s_tmp holding one file named name and expects failure with "'<dir>/name': what". */
static void
s_expect_file_error (const char *name, const char *text, const char *what)
{
    s_clear ();
    s_write (name, text);
    xc_calendar_t *cal = NULL;
    xc_err_t err = { 0, "" };
    char expect[512];
    snprintf (expect, sizeof expect, "'%s/%s': %s", s_tmp, name, what);
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), -1);
    CHECK (cal == NULL);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_STR (err.text, expect);
}

static void
test_date_basics (void)
{
    int y, m, d;
    CHECK_INT (xc_date_from_ymd (1970, 1, 1), 0);
    CHECK_INT (xc_date_from_ymd (2026, 1, 1), 20454);
    xc_date_to_ymd (20454, &y, &m, &d);
    CHECK (y == 2026 && m == 1 && d == 1);
    for (xc_date_t t = -30000; t < 3000000; t += 97) {
        xc_date_to_ymd (t, &y, &m, &d);
        CHECK_INT (xc_date_from_ymd (y, m, d), t);
    }
    CHECK_INT (xc_date_month_days (2026, 2), 28);
    CHECK_INT (xc_date_month_days (2024, 2), 29);
    CHECK_INT (xc_date_month_days (1900, 2), 28);
    CHECK_INT (xc_date_month_days (2000, 2), 29);
    CHECK_INT (xc_date_month_days (2026, 4), 30);
    CHECK_INT (xc_date_month_days (2026, 12), 31);

    CHECK_INT (xc_date_weekday (s_d ("1970-01-01")), 4);
    CHECK_INT (xc_date_weekday (s_d ("2026-01-01")), 4);
    CHECK_INT (xc_date_weekday (s_d ("2026-02-14")), 6);
    CHECK_INT (xc_date_weekday (s_d ("2026-02-15")), 7);
    CHECK_INT (xc_date_weekday (s_d ("2026-02-16")), 1);
    CHECK_INT (xc_date_weekday (s_d ("1969-12-31")), 3);
    CHECK_INT (xc_date_weekday (s_d ("1900-01-01")), 1);

    /* 2025-12-31T16:00:00Z is midnight in Beijing */
    CHECK_INT (xc_date_of_time (1767196800, 28800), s_d ("2026-01-01"));
    CHECK_INT (xc_date_of_time (1767196799, 28800), s_d ("2025-12-31"));
    CHECK_INT (xc_date_of_time (1767196800, 0), s_d ("2025-12-31"));
    CHECK_INT (xc_date_of_time (-1, 0), s_d ("1969-12-31"));
    CHECK_INT (xc_date_of_time (0, -3600), s_d ("1969-12-31"));
}

static void
test_date_parse_format (void)
{
    xc_date_t date;
    char out[XC_DATE_LEN + 1];
    xc_err_t err;
    CHECK_INT (xc_date_parse ("2026-02-28", &date, &err), 0);
    xc_date_format (date, out);
    CHECK_STR (out, "2026-02-28");
    CHECK_INT (xc_date_parse ("2024-02-29", &date, &err), 0);
    CHECK_INT (xc_date_parse ("1900-01-01", &date, &err), 0);
    CHECK_INT (xc_date_parse ("9999-12-31", &date, &err), 0);
    xc_date_format (date, out);
    CHECK_STR (out, "9999-12-31");

    const char *bad[] = { "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
                          "2026-01-00", "1899-12-31", "2026-2-10",  "2026-02-1",
                          "2026/02/10", "2026-02-10 ", " 2026-02-10", "2026-02-10T00",
                          "+026-02-10", "20260210",   "",           "２026-02-10" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.code = XC_OK;
        CHECK_INT (xc_date_parse (bad[i], &date, &err), -1);
        CHECK_INT (err.code, XC_E_SCHEMA);
    }
    CHECK_INT (xc_date_parse (NULL, &date, NULL), -1);
    xc_date_parse ("2026-02-30", &date, &err);
    CHECK_STR (err.text, "'2026-02-30' is not a real date");
    xc_date_parse ("2026-2-3", &date, &err);
    CHECK_STR (err.text, "'2026-2-3' is not a date (YYYY-MM-DD)");
}

static void
test_add_months (void)
{
    char out[XC_DATE_LEN + 1];
    struct { const char *from; int months; const char *to; } cases[] = {
        { "2026-01-31", 1, "2026-02-28" },  { "2024-01-31", 1, "2024-02-29" },
        { "2026-03-31", -1, "2026-02-28" }, { "2026-01-15", 12, "2027-01-15" },
        { "2026-01-15", -13, "2024-12-15" }, { "2026-08-31", 1, "2026-09-30" },
        { "2026-12-31", 2, "2027-02-28" },  { "2026-05-20", 0, "2026-05-20" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        xc_date_format (xc_date_add_months (s_d (cases[i].from), cases[i].months), out);
        CHECK_STR (out, cases[i].to);
    }
}

static void
test_real_calendar (void)
{
    xc_calendar_t *cal = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_calendar_load ("config/calendar", &cal, &err), 0);
    if (!cal) {
        fprintf (stderr, "%s\n", err.text);
        return;
    }
    struct { const char *date; bool workday; } days[] = {
        { "2025-01-01", false }, { "2025-01-26", true },  { "2025-01-28", false },
        { "2025-02-04", false }, { "2025-02-05", true },  { "2025-02-08", true },
        { "2025-02-09", false }, { "2025-04-27", true },  { "2025-10-08", false },
        { "2025-10-11", true },  { "2025-12-31", true },  { "2026-01-01", false },
        { "2026-01-02", false }, { "2026-01-03", false }, { "2026-01-04", true },
        { "2026-01-05", true },  { "2026-02-14", true },  { "2026-02-23", false },
        { "2026-02-28", true },  { "2026-06-19", false }, { "2026-09-20", true },
        { "2026-09-25", false }, { "2026-10-07", false }, { "2026-10-10", true },
        { "2026-10-11", false },
    };
    for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
        bool w = !days[i].workday;
        CHECK_INT (xc_calendar_is_workday (cal, s_d (days[i].date), &w, &err), 0);
        if (w != days[i].workday)
            fprintf (stderr, "wrong for %s\n", days[i].date);
        CHECK (w == days[i].workday);
    }
    /* a year without a file is an error, never a guess */
    bool w;
    err.code = XC_OK;
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2027-01-04"), &w, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_STR (err.text, "no working-day calendar for 2027");
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2015-12-31"), &w, &err), -1);   /* files start in 2016 */
    CHECK_STR (err.text, "no working-day calendar for 2015");

    xc_date_t due;
    char out[XC_DATE_LEN + 1];
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2026-02-10"), 10, &due, &err), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2026-03-02");
    /* across the new year: Jan 1-2 off, Sunday Jan 4 is a make-up working day */
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2025-12-31"), 1, &due, &err), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2026-01-04");
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2026-01-01"), 0, &due, &err), 0);
    CHECK_INT (due, s_d ("2026-01-01"));
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2026-12-30"), 2, &due, &err), -1);
    CHECK_STR (err.text, "no working-day calendar for 2027");
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2026-12-30"), -1, &due, &err), -1);
    /* a whole year of working days: 2026 has 248 (261 weekdays - 19 holidays + 6 make-up) */
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2025-12-31"), 248, &due, &err), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2026-12-31");
    xc_calendar_destroy (&cal);
    CHECK (cal == NULL);
    xc_calendar_destroy (&cal);
}

static void
test_weekends_only (void)
{
    xc_calendar_t *cal = xc_calendar_new_weekends_only ();
    CHECK (cal != NULL);
    if (!cal)
        return;
    bool w = false;
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2026-01-01"), &w, NULL), 0);
    CHECK (w);
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2031-03-08"), &w, NULL), 0);
    CHECK (!w);
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("1950-06-05"), &w, NULL), 0);
    CHECK (w);
    xc_date_t due;
    char out[XC_DATE_LEN + 1];
    /* Friday + 1 = Monday */
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2030-01-04"), 1, &due, NULL), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2030-01-07");
    CHECK_INT (xc_calendar_add_workdays (cal, s_d ("2030-01-05"), 10, &due, NULL), 0);
    xc_date_format (due, out);
    CHECK_STR (out, "2030-01-18");
    xc_calendar_destroy (&cal);
}

static void
test_span_parse (void)
{
    xc_span_t span;
    xc_err_t err;
    struct { const char *text; int amount; xc_span_unit_t unit; } good[] = {
        { "10 days", 10, XC_SPAN_DAYS },       { "1 day", 1, XC_SPAN_DAYS },
        { "0 days", 0, XC_SPAN_DAYS },         { "3660 days", 3660, XC_SPAN_DAYS },
        { "20 workdays", 20, XC_SPAN_WORKDAYS }, { "1 workday", 1, XC_SPAN_WORKDAYS },
        { "3 months", 3, XC_SPAN_MONTHS },     { "1 month", 1, XC_SPAN_MONTHS },
        { "1 months", 1, XC_SPAN_MONTHS },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        span.amount = -1;
        CHECK_INT (xc_span_parse (good[i].text, &span, &err), 0);
        CHECK_INT (span.amount, good[i].amount);
        CHECK_INT (span.unit, good[i].unit);
    }
    const char *bad[] = { "10  days", " 10 days", "10 days ", "10days",   "10 Days",
                          "-1 days",  "+1 days",  "010 days", "2 day",    "0 day",
                          "10 weeks", "1 workdayss", "days",  "",         "10\tdays",
                          "10 days\n", "1.5 days", "99999 days", "10 month", "10 workday" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.code = XC_OK;
        if (xc_span_parse (bad[i], &span, &err) != -1)
            fprintf (stderr, "accepted '%s'\n", bad[i]);
        CHECK_INT (err.code, XC_E_SCHEMA);
    }
    CHECK_INT (xc_span_parse (NULL, &span, &err), -1);
    CHECK_INT (xc_span_parse ("3661 days", &span, &err), -1);
    CHECK_STR (err.text, "'3661 days': the amount must be 0..3660");
    CHECK_INT (xc_span_parse ("2 weeks", &span, &err), -1);
    CHECK_STR (err.text,
               "'2 weeks' is not a span such as '10 days', '20 workdays' or '3 months'");
}

static void
s_expect_deadline (const xc_calendar_t *cal, const char *start, const char *span_text,
                   const char *due_text, const char *explain)
{
    xc_span_t span;
    xc_date_t due = 0;
    char text[256] = "", out[XC_DATE_LEN + 1];
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_span_parse (span_text, &span, &err), 0);
    CHECK_INT (xc_deadline_compute (cal, s_d (start), span, &due, text, sizeof text, &err), 0);
    xc_date_format (due, out);
    CHECK_STR (out, due_text);
    CHECK_STR (text, explain);
}

static void
test_deadline (void)
{
    xc_calendar_t *cal = NULL;
    CHECK_INT (xc_calendar_load ("config/calendar", &cal, NULL), 0);
    if (!cal)
        return;
    s_expect_deadline (cal, "2026-02-10", "10 workdays", "2026-03-02",
                       "2026-02-10 + 10 workdays = 2026-03-02 (skipped 6 holidays and 4 "
                       "weekend days, counted 2 make-up workdays)");
    s_expect_deadline (cal, "2026-03-02", "3 workdays", "2026-03-05",
                       "2026-03-02 + 3 workdays = 2026-03-05");
    s_expect_deadline (cal, "2026-03-05", "2 workdays", "2026-03-09",
                       "2026-03-05 + 2 workdays = 2026-03-09 (skipped 2 weekend days)");
    s_expect_deadline (cal, "2026-09-30", "1 workday", "2026-10-08",
                       "2026-09-30 + 1 workday = 2026-10-08 (skipped 5 holidays and 2 weekend "
                       "days)");
    s_expect_deadline (cal, "2026-09-18", "1 workday", "2026-09-20",
                       "2026-09-18 + 1 workday = 2026-09-20 (skipped 1 weekend day, counted 1 "
                       "make-up workday)");
    s_expect_deadline (cal, "2026-06-18", "1 workday", "2026-06-22",
                       "2026-06-18 + 1 workday = 2026-06-22 (skipped 1 holiday and 2 weekend "
                       "days)");
    s_expect_deadline (cal, "2026-01-03", "1 workday", "2026-01-04",
                       "2026-01-03 + 1 workday = 2026-01-04 (counted 1 make-up workday)");
    s_expect_deadline (cal, "2026-05-08", "0 workdays", "2026-05-08",
                       "2026-05-08 + 0 workdays = 2026-05-08");
    s_expect_deadline (cal, "2026-01-31", "1 month", "2026-02-28",
                       "2026-01-31 + 1 month = 2026-02-28 (clamped to the end of the month)");
    s_expect_deadline (cal, "2026-01-15", "3 months", "2026-04-15",
                       "2026-01-15 + 3 months = 2026-04-15");
    s_expect_deadline (cal, "2026-01-31", "10 days", "2026-02-10",
                       "2026-01-31 + 10 days = 2026-02-10");
    /* calendar days and months need no working-day file: the end is not checked for a day
       off, and the explanation says so */
    s_expect_deadline (cal, "2026-12-31", "1 day", "2027-01-01",
                       "2026-12-31 + 1 day = 2027-01-01 (no working-day calendar for 2027: not "
                       "checked for a day off)");
    s_expect_deadline (cal, "2030-01-31", "1 month", "2030-02-28",
                       "2030-01-31 + 1 month = 2030-02-28 (clamped to the end of the month) (no "
                       "working-day calendar for 2030: not checked for a day off)");

    xc_span_t span = { 5, XC_SPAN_WORKDAYS, XC_END_NEXT_WORKDAY };
    xc_date_t due = 1;
    char text[256] = "x";
    xc_err_t err;
    CHECK_INT (xc_deadline_compute (cal, s_d ("2026-12-28"), span, &due, text, sizeof text,
                                    &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_STR (err.text, "no working-day calendar for 2027");
    CHECK_STR (text, "");
    /* explain may be NULL */
    CHECK_INT (xc_deadline_compute (cal, s_d ("2026-02-10"), span, &due, NULL, 0, &err), 0);
    CHECK_INT (due, s_d ("2026-02-24"));
    /* a short buffer is cut, never overrun */
    char small[12];
    CHECK_INT (xc_deadline_compute (cal, s_d ("2026-02-10"), span, &due, small, sizeof small,
                                    &err), 0);
    CHECK_STR (small, "2026-02-10 ");
    span.amount = 3661;
    CHECK_INT (xc_deadline_compute (cal, s_d ("2026-02-10"), span, &due, NULL, 0, &err), -1);
    xc_calendar_destroy (&cal);

    cal = xc_calendar_new_weekends_only ();
    s_expect_deadline (cal, "2031-05-01", "3 workdays", "2031-05-06",
                       "2031-05-01 + 3 workdays = 2031-05-06 (skipped 2 weekend days)");
    span.amount = 1;
    span.unit = XC_SPAN_DAYS;
    CHECK_INT (xc_deadline_compute (cal, s_d ("9999-12-31"), span, &due, NULL, 0, &err), -1);
    xc_calendar_destroy (&cal);
}

/*  A period of days or months ending on a day off ends on the next working day (Civil Code
    art. 203), against the real 2025 and 2026 files; the other rules; what the file lacks. */
static void
test_period_end (void)
{
    xc_calendar_t *cal = NULL;
    xc_err_t err = { 0, "" };
    CHECK_INT (xc_calendar_load ("config/calendar", &cal, &err), 0);
    /* the two cases: 端午 2025 (Sat 05-31 .. Mon 06-02) and 春节 2026 (02-15 .. 02-23) */
    s_expect_deadline (cal, "2025-03-31", "2 months", "2025-06-03",
                       "2025-03-31 + 2 months = 2025-05-31, in a public holiday: the period ends on "
                       "the next working day, 2025-06-03 (Civil Code art. 203)");
    s_expect_deadline (cal, "2026-01-20", "30 days", "2026-02-24",
                       "2026-01-20 + 30 days = 2026-02-19, in a public holiday: the period ends on "
                       "the next working day, 2026-02-24 (Civil Code art. 203)");
    /* a plain weekend: Sat 2026-03-14 -> Mon 03-16 */
    s_expect_deadline (cal, "2026-03-04", "10 days", "2026-03-16",
                       "2026-03-04 + 10 days = 2026-03-14, a weekend day: the period ends on the "
                       "next working day, 2026-03-16 (Civil Code art. 203)");
    /* a make-up Saturday is a working day: no move (Sat 2026-02-28) */
    s_expect_deadline (cal, "2026-01-31", "1 month", "2026-02-28",
                       "2026-01-31 + 1 month = 2026-02-28 (clamped to the end of the month)");
    /* clamped and moved: 2025-08-31 + 1 month = Tue 09-30, a working day; 2025-03-31 + 1
       month = Wed 04-30 too; National Day 2025: 09-01 + 1 month = Wed 10-01 -> Thu 10-09 */
    s_expect_deadline (cal, "2025-09-01", "1 month", "2025-10-09",
                       "2025-09-01 + 1 month = 2025-10-01, in a public holiday: the period ends on "
                       "the next working day, 2025-10-09 (Civil Code art. 203)");
    /* a span of working days ends on one already: unchanged by the rule */
    s_expect_deadline (cal, "2026-02-13", "1 workday", "2026-02-14",
                       "2026-02-13 + 1 workday = 2026-02-14 (counted 1 make-up workday)");

    xc_span_t span;
    xc_date_t due;
    char text[256];
    /* after_holiday: a weekend day in a holiday's run moves, a plain weekend stays */
    CHECK_INT (xc_span_parse ("2 months", &span, &err), 0);
    CHECK_INT (span.end, XC_END_NEXT_WORKDAY);
    CHECK_INT (xc_period_end_parse ("after_holiday", &span.end, &err), 0);
    CHECK_INT (xc_deadline_compute (cal, s_d ("2025-03-31"), span, &due, text, sizeof text, &err), 0);
    CHECK_INT (due, s_d ("2025-06-03"));
    CHECK_INT (xc_span_parse ("10 days", &span, &err), 0);
    span.end = XC_END_AFTER_HOLIDAY;
    CHECK_INT (xc_deadline_compute (cal, s_d ("2026-03-04"), span, &due, text, sizeof text, &err), 0);
    CHECK_INT (due, s_d ("2026-03-14"));
    CHECK_STR (text, "2026-03-04 + 10 days = 2026-03-14");
    /* keep: the end stays on the holiday */
    CHECK_INT (xc_span_parse ("30 days", &span, &err), 0);
    CHECK_INT (xc_period_end_parse ("keep", &span.end, &err), 0);
    CHECK_INT (xc_deadline_compute (cal, s_d ("2026-01-20"), span, &due, text, sizeof text, &err), 0);
    CHECK_INT (due, s_d ("2026-02-19"));
    CHECK_STR (text, "2026-01-20 + 30 days = 2026-02-19");
    CHECK_INT (xc_period_end_parse ("next_working_day", &span.end, &err), -1);
    CHECK_STR (err.text, "'next_working_day' is not 'next_workday', 'after_holiday' or 'keep'");
    CHECK_INT (xc_period_end_parse (NULL, &span.end, &err), -1);

    /* a day off on 12-31 whose next working day is in a year without a file: not moved */
    xc_calendar_destroy (&cal);
    s_clear ();
    s_write ("2030.json", "{\"year\": 2030, \"holidays\": [\"2030-12-31\"], \"workdays\": []}");
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), 0);
    s_expect_deadline (cal, "2030-12-21", "10 days", "2030-12-31",
                       "2030-12-21 + 10 days = 2030-12-31, a day off (no working-day calendar for "
                       "2031: not moved)");
    /* a weekend day on 01-01 of a year whose run reaches back into a year without a file */
    s_expect_deadline (cal, "2030-01-01", "4 days", "2030-01-07",
                       "2030-01-01 + 4 days = 2030-01-05, a weekend day: the period ends on the "
                       "next working day, 2030-01-07 (Civil Code art. 203)");
    xc_calendar_destroy (&cal);
    cal = xc_calendar_new_weekends_only ();
    s_expect_deadline (cal, "2031-05-01", "2 days", "2031-05-05",
                       "2031-05-01 + 2 days = 2031-05-03, a weekend day: the period ends on the "
                       "next working day, 2031-05-05 (Civil Code art. 203)");
    xc_calendar_destroy (&cal);
}

/*  The folder's fingerprint changes when a year file is added, rewritten or removed, not for
    other files; has_year says which years are loaded. */
static void
test_stamp_and_years (void)
{
    s_clear ();
    s_write ("2030.json", "{\"year\": 2030, \"holidays\": [], \"workdays\": []}");
    uint64_t one = xc_calendar_stamp (s_tmp);
    CHECK (one != 0);
    CHECK (xc_calendar_stamp (s_tmp) == one);
    s_write ("notes.txt", "not a calendar");
    CHECK (xc_calendar_stamp (s_tmp) == one);
    s_write ("2031.json", "{\"year\": 2031, \"holidays\": [\"2031-01-01\"], \"workdays\": []}");
    uint64_t two = xc_calendar_stamp (s_tmp);
    CHECK (two != one);
    s_write ("2031.json", "{\"year\": 2031, \"holidays\": [\"2031-01-01\", \"2031-01-02\"], \"workdays\": []}");
    CHECK (xc_calendar_stamp (s_tmp) != two);
    CHECK (xc_calendar_stamp ("/nonexistent-xc-folder") == 0);

    xc_calendar_t *cal = NULL;
    xc_err_t err;
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), 0);
    CHECK (xc_calendar_has_year (cal, 2030) && xc_calendar_has_year (cal, 2031));
    CHECK (!xc_calendar_has_year (cal, 2032));
    /* a missing year is XC_E_CONFIG, a bad argument is not: callers tell them apart */
    xc_span_t span = { 300, XC_SPAN_WORKDAYS, XC_END_NEXT_WORKDAY };
    xc_date_t due;
    CHECK_INT (xc_deadline_compute (cal, s_d ("2031-06-01"), span, &due, NULL, 0, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    span.amount = 3661;
    CHECK_INT (xc_deadline_compute (cal, s_d ("2031-06-01"), span, &due, NULL, 0, &err), -1);
    CHECK (err.code != XC_E_CONFIG);
    xc_calendar_destroy (&cal);
    cal = xc_calendar_new_weekends_only ();
    CHECK (xc_calendar_has_year (cal, 2099));
    xc_calendar_destroy (&cal);
}

static void
test_load_errors (void)
{
    xc_calendar_t *cal = NULL;
    xc_err_t err = { 0, "" };
    char expect[256];

    /* no year files at all; other names are ignored */
    s_clear ();
    s_write ("README.txt", "not a calendar");
    s_write ("2026.json.bak", "{}");
    s_write ("26.json", "{}");
    s_write ("abcd.json", "{}");
    s_write ("20260.json", "{}");
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    snprintf (expect, sizeof expect, "no calendar files (YYYY.json) in '%s'", s_tmp);
    CHECK_STR (err.text, expect);

    /* one good file next to the junk */
    s_write ("2030.json", "{\"year\": 2030, \"holidays\": [\"2030-01-01\"], \"workdays\": "
                          "[\"2030-01-05\"]}");
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), 0);
    bool w = true;
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2030-01-01"), &w, &err), 0);
    CHECK (!w);
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2030-01-05"), &w, &err), 0);
    CHECK (w);
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2030-01-06"), &w, &err), 0);
    CHECK (!w);
    CHECK_INT (xc_calendar_is_workday (cal, s_d ("2026-01-05"), &w, &err), -1);
    CHECK_STR (err.text, "no working-day calendar for 2026");
    xc_calendar_destroy (&cal);

    CHECK_INT (xc_calendar_load ("/nonexistent-xc-folder", &cal, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    CHECK_STR (err.text, "unable to open calendar folder '/nonexistent-xc-folder'");

    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [], \"workdays\": [], "
                                      "\"extra\": 1}",
                         "calendar.extra: unknown key");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"workdays\": []}",
                         "calendar.holidays: missing");
    s_expect_file_error ("2026.json", "{\"year\": \"2026\", \"holidays\": [], \"workdays\": []}",
                         "calendar.year: expected integer");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [20260101], "
                                      "\"workdays\": []}",
                         "calendar.holidays[0]: expected string");
    s_expect_file_error ("2026.json", "{\"year\": 2025, \"holidays\": [], \"workdays\": []}",
                         "year 2025 does not match the file name");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [\"2026-01-01\", "
                                      "\"2025-12-31\"], \"workdays\": []}",
                         "holidays[1]: 2025-12-31 is not in 2026");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [\"2026-1-01\"], "
                                      "\"workdays\": []}",
                         "holidays[0]: '2026-1-01' is not a date (YYYY-MM-DD)");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [], \"workdays\": "
                                      "[\"2026-02-29\"]}",
                         "workdays[0]: '2026-02-29' is not a real date");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [\"2026-02-21\"], "
                                      "\"workdays\": []}",
                         "holidays[0]: 2026-02-21 falls on a weekend, not a weekday");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [], \"workdays\": "
                                      "[\"2026-02-13\"]}",
                         "workdays[0]: 2026-02-13 is a weekday, not a weekend day");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [\"2026-02-16\", "
                                      "\"2026-02-17\", \"2026-02-16\"], \"workdays\": []}",
                         "2026-02-16 is listed twice");
    s_expect_file_error ("2026.json", "{\"year\": 2026, \"holidays\": [], \"workdays\": "
                                      "[\"2026-01-04\", \"2026-01-04\"]}",
                         "2026-01-04 is listed twice");

    /* not JSON: the message carries the line */
    s_clear ();
    s_write ("2026.json", "{\"year\": 2026,\n\"holidays\": [\n\"2026-01-01\",\n]}");
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), -1);
    CHECK_INT (err.code, XC_E_CONFIG);
    snprintf (expect, sizeof expect, "'%s/2026.json' line 4:", s_tmp);
    CHECK (strncmp (err.text, expect, strlen (expect)) == 0);
    /* duplicate keys are refused too */
    s_clear ();
    s_write ("2026.json", "{\"year\": 2026, \"year\": 2026, \"holidays\": [], "
                          "\"workdays\": []}");
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), -1);
    CHECK (strstr (err.text, "duplicate object key") != NULL);

    /* one bad file spoils the folder */
    s_clear ();
    s_write ("2030.json", "{\"year\": 2030, \"holidays\": [], \"workdays\": []}");
    s_write ("2031.json", "{\"year\": 2031, \"holidays\": [\"2031-01-04\"], \"workdays\": []}");
    CHECK_INT (xc_calendar_load (s_tmp, &cal, &err), -1);
    CHECK (cal == NULL);
    CHECK (strstr (err.text, "2031-01-04 falls on a weekend") != NULL);
    s_clear ();
}

int
main (void)
{
    h_tmpdir (s_tmp, sizeof s_tmp, "calendar");
    RUN (test_date_basics);
    RUN (test_date_parse_format);
    RUN (test_add_months);
    RUN (test_real_calendar);
    RUN (test_weekends_only);
    RUN (test_span_parse);
    RUN (test_deadline);
    RUN (test_period_end);
    RUN (test_stamp_and_years);
    RUN (test_load_errors);
    h_rmtree (s_tmp);
    HARNESS_END ();
}
