/*  calendar.h: deadline arithmetic in calendar days, months and working days.

    A date is a day number (days since 1970-01-01). The working-day calendar is data: one JSON
    file per year in a folder (config/calendar/2026.json), listing the public holidays that fall
    on weekdays and the make-up working days (调休) that fall on weekends:

        {"year": 2026,
         "holidays": ["2026-01-01", ...],     rest days that would otherwise be working days
         "workdays": ["2026-01-04", ...]}     working days that would otherwise be weekend days

    A working-day computation that reaches a year with no file fails (XC_E_CONFIG) rather than
    guess. Every deadline comes with a one-line explanation a user can read.
*/
#ifndef XC_CALENDAR_H
#define XC_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/date.h"
#include "common/error.h"

typedef struct xc_calendar xc_calendar_t;

/*  Loads every YYYY.json in dir. Each file is checked: the year matches the name, every date
    lies in that year, holidays are weekdays, workdays are weekend days, no date twice, no
    unknown keys. Caller owns *cal_p. */
int xc_calendar_load (const char *dir, xc_calendar_t **cal_p, xc_err_t *err);
void xc_calendar_destroy (xc_calendar_t **cal_p);

/*  A fingerprint of dir's year files (their names, sizes and modification times), to tell
    cheaply whether the folder changed since it was loaded: one readdir and a stat per file.
    0 when the folder cannot be read. */
uint64_t xc_calendar_stamp (const char *dir);

/*  Whether year has a file (always, for a weekends-only calendar). */
bool xc_calendar_has_year (const xc_calendar_t *cal, int year);

/*  An empty calendar (weekends only, every year known); for tests and for deployments that
    count calendar days only. Caller owns the result. */
xc_calendar_t *xc_calendar_new_weekends_only (void);

/*  Whether date is a working day. Fails when date's year is not loaded: that failure, and only
    that one, is XC_E_CONFIG here and in the functions below ("no working-day calendar for
    2027"), so a caller can tell it from a bad argument. */
int xc_calendar_is_workday (const xc_calendar_t *cal, xc_date_t date, bool *workday,
                            xc_err_t *err);

/*  The n-th working day after start (start itself never counts; 0 <= n <= 3660; n = 0 gives
    start). */
int xc_calendar_add_workdays (const xc_calendar_t *cal, xc_date_t start, int n,
                              xc_date_t *due, xc_err_t *err);

/*  A span of time in a deadline policy: "10 days", "20 workdays", "3 months" (singular forms
    "1 day", "1 workday", "1 month" too). */
typedef enum { XC_SPAN_DAYS, XC_SPAN_WORKDAYS, XC_SPAN_MONTHS } xc_span_unit_t;

/*  What happens to a period (of days or months) whose last day is a day off. The civil law's
    rule (民法典 art. 203, 民事诉讼法 art. 85: where the last day is a 节假日 the period ends on
    the first day after it) is the default; its 节假日 is read as every rest day, weekends
    included (docs/configuration.md says why). A span of working days always ends on one.
      XC_END_NEXT_WORKDAY    a weekend day or a holiday moves to the next working day
      XC_END_AFTER_HOLIDAY   only a listed holiday moves (to the next working day); weekends stay
      XC_END_KEEP            the end stays where the arithmetic puts it */
typedef enum { XC_END_NEXT_WORKDAY = 0, XC_END_AFTER_HOLIDAY, XC_END_KEEP } xc_period_end_t;

typedef struct {
    int amount;                      /* 0 ... 3660 */
    xc_span_unit_t unit;
    xc_period_end_t end;             /* xc_span_parse sets the default, XC_END_NEXT_WORKDAY */
} xc_span_t;

int xc_span_parse (const char *text, xc_span_t *span, xc_err_t *err);

/*  "next_workday", "after_holiday" or "keep" (a policy's period_end). */
int xc_period_end_parse (const char *text, xc_period_end_t *end, xc_err_t *err);

/*  Computes start + span into *due and writes a human explanation into explain (may be NULL),
    e.g. "2026-02-10 + 10 workdays = 2026-03-02 (skipped 6 holidays and 4 weekend days, counted
    2 make-up workdays)" or "2026-01-31 + 1 month = 2026-02-28 (clamped to the end of the
    month)". The parenthesis names only what happened; it is absent when nothing did. A period
    of days or months whose end is a day off moves by span.end, and the explanation says so:
    "2025-03-31 + 2 months = 2025-05-31, a day off: the period ends on the next working day,
    2025-06-03 (Civil Code art. 203)". When that end's year has no calendar file the end stays,
    and the explanation says it was not checked (the deadline is never held up for it). */
int xc_deadline_compute (const xc_calendar_t *cal, xc_date_t start, xc_span_t span,
                         xc_date_t *due, char *explain, size_t explain_len, xc_err_t *err);

#endif
