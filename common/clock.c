/*  clock.c: wall clock, the test-movable domain clock, RFC 3339. */
#include "common/clock.h"

#include "common/calendar.h"
#include "common/codec.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool s_test_mode;
static int64_t s_offset;

int64_t
xc_clock_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec;
}

int64_t
xc_clock_now (void)
{
    return xc_clock_wall () + s_offset;
}

int64_t
xc_clock_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
xc_clock_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
xc_clock_enable_test_mode (void)
{
    s_test_mode = true;
}

bool
xc_clock_test_mode (void)
{
    return s_test_mode;
}

int
xc_clock_advance (int64_t seconds, xc_err_t *err)
{
    if (!s_test_mode)
        return xc_err_set (err, XC_E_FORBIDDEN, "the clock moves only in test mode");
    if (seconds < 0 || seconds > 100LL * 366 * 86400)
        return xc_err_set (err, XC_E_SCHEMA, "seconds must be between 0 and 100 years");
    s_offset += seconds;
    return 0;
}

int64_t
xc_clock_offset (void)
{
    return s_offset;
}

void
xc_clock_format (int64_t t, char *out)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int y, m, d;
    xc_date_to_ymd ((xc_date_t) days, &y, &m, &d);
    unsigned year = (unsigned) y % 10000u, hh = (unsigned) (secs / 3600) % 24u,
             mm = (unsigned) (secs / 60 % 60), ss = (unsigned) (secs % 60);
    snprintf (out, XC_RFC3339_LEN + 1, "%04u-%02u-%02uT%02u:%02u:%02uZ", year,
              (unsigned) m % 13u, (unsigned) d % 32u, hh, mm, ss);
}

int
xc_clock_parse (const char *text, int64_t *t, xc_err_t *err)
{
    *t = 0;
    int y, mo, d, h, mi, s;
    const char *p = text;
    if (!p || strlen (p) < 20 || xc_decimal_fixed (p, 4, &y) || p[4] != '-' || xc_decimal_fixed (p + 5, 2, &mo)
        || p[7] != '-' || xc_decimal_fixed (p + 8, 2, &d) || (p[10] != 'T' && p[10] != 't')
        || xc_decimal_fixed (p + 11, 2, &h) || p[13] != ':' || xc_decimal_fixed (p + 14, 2, &mi)
        || p[16] != ':' || xc_decimal_fixed (p + 17, 2, &s))
        return xc_err_set (err, XC_E_SCHEMA, "'%.40s' is not an RFC 3339 date-time",
                           text ? text : "");
    if (mo < 1 || mo > 12 || d < 1 || d > xc_date_month_days (y, mo) || h > 23 || mi > 59 || s > 60)
        return xc_err_set (err, XC_E_SCHEMA, "'%.40s' is out of range", text);
    p += 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return xc_err_set (err, XC_E_SCHEMA, "'%.40s' has an empty fraction", text);
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int offset = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == 0)
        offset = 0;
    else if ((*p == '+' || *p == '-') && strlen (p) == 6 && p[3] == ':') {
        int oh, om;
        if (xc_decimal_fixed (p + 1, 2, &oh) || xc_decimal_fixed (p + 4, 2, &om) || oh > 23 || om > 59)
            return xc_err_set (err, XC_E_SCHEMA, "'%.40s' has a bad offset", text);
        offset = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    }
    else
        return xc_err_set (err, XC_E_SCHEMA, "'%.40s' needs Z or an offset", text);
    if (s == 60)
        s = 59;                          /* a leap second counts as the second before it */
    *t = (int64_t) xc_date_from_ymd (y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
    return 0;
}
