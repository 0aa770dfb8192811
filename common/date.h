/*  date.h: civil dates as day numbers (days since 1970-01-01), their text form and month
    arithmetic. No calendar of holidays here (calendar.h); schema.c checks XC_T_DATE with it.
*/
#ifndef XC_DATE_H
#define XC_DATE_H

#include <stdint.h>

#include "common/error.h"

typedef int32_t xc_date_t;

#define XC_DATE_LEN 10               /* "YYYY-MM-DD" without the NUL */

xc_date_t xc_date_from_ymd (int year, int month, int day);
void xc_date_to_ymd (xc_date_t date, int *year, int *month, int *day);

/*  Days in a month (1-12) of a year, leap years included. */
int xc_date_month_days (int year, int month);

/*  Parses "YYYY-MM-DD" strictly (a real date of years 1900-9999). */
int xc_date_parse (const char *text, xc_date_t *date, xc_err_t *err);

/*  Writes "YYYY-MM-DD" and a NUL into out[XC_DATE_LEN + 1]. */
void xc_date_format (xc_date_t date, char *out);

/*  The civil date of Unix time t at a fixed UTC offset in seconds (China: +28800). */
xc_date_t xc_date_of_time (int64_t t, int utc_offset);

/*  Day of the week, 1 = Monday ... 7 = Sunday (ISO 8601). */
int xc_date_weekday (xc_date_t date);

/*  Adds months, clamping to the last day of the target month (Jan 31 + 1 month = Feb 28/29).
    months may be negative. */
xc_date_t xc_date_add_months (xc_date_t date, int months);

#endif
