/*  date.c: civil dates and their arithmetic (date.h). */
#include "common/date.h"
#include "common/codec.h"

#include <stdio.h>
#include <string.h>

/* Days from 1970-01-01 to a civil date and back (Howard Hinnant's algorithms, exact for every
   proleptic Gregorian date). */
xc_date_t
xc_date_from_ymd (int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (xc_date_t) (era * 146097 + doe - 719468);
}

void
xc_date_to_ymd (xc_date_t date, int *year, int *month, int *day)
{
    int64_t z = (int64_t) date + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *day = (int) (doy - (153 * mp + 2) / 5 + 1);
    *month = (int) (mp < 10 ? mp + 3 : mp - 9);
    *year = (int) (yoe + era * 400 + (*month <= 2));
}

int
xc_date_month_days (int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 ? 28 + leap : days[month - 1];
}

int
xc_date_parse (const char *text, xc_date_t *date, xc_err_t *err)
{
    int y, m, d;
    *date = 0;
    if (!text || strlen (text) != XC_DATE_LEN || xc_decimal_fixed (text, 4, &y) || text[4] != '-'
        || xc_decimal_fixed (text + 5, 2, &m) || text[7] != '-' || xc_decimal_fixed (text + 8, 2, &d))
        return xc_err_set (err, XC_E_SCHEMA, "'%.40s' is not a date (YYYY-MM-DD)",
                           text ? text : "");
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > xc_date_month_days (y, m))
        return xc_err_set (err, XC_E_SCHEMA, "'%s' is not a real date", text);
    *date = xc_date_from_ymd (y, m, d);
    return 0;
}

void
xc_date_format (xc_date_t date, char *out)
{
    int y, m, d;
    xc_date_to_ymd (date, &y, &m, &d);
    /* The modulos only bound the widths for the compiler; dates in use are 1900-9999. */
    snprintf (out, XC_DATE_LEN + 1, "%04u-%02u-%02u", (unsigned) y % 10000u,
              (unsigned) m % 13u, (unsigned) d % 32u);
}

xc_date_t
xc_date_of_time (int64_t t, int utc_offset)
{
    int64_t local = t + utc_offset;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    return (xc_date_t) days;
}

int
xc_date_weekday (xc_date_t date)
{
    /* 1970-01-01 was a Thursday */
    int r = (int) (((int64_t) date % 7 + 7 + 3) % 7);
    return r + 1;
}

xc_date_t
xc_date_add_months (xc_date_t date, int months)
{
    int y, m, d;
    xc_date_to_ymd (date, &y, &m, &d);
    int64_t total = (int64_t) y * 12 + (m - 1) + months;
    int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
    int nm = (int) (total - ny * 12) + 1;
    int last = xc_date_month_days ((int) ny, nm);
    return xc_date_from_ymd ((int) ny, nm, d > last ? last : d);
}
