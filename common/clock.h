/*  clock.h: the one clock every service reads, and RFC 3339 UTC timestamps.

    Two readings:
    - xc_clock_wall: the real time; used for message freshness (iat, exp) and log lines.
    - xc_clock_now: the domain clock; used for deadlines. It equals the wall clock, plus an
      offset that only a process in explicit test mode may move forward (xc_clock_advance), so
      deadline behaviour is tested without waiting. A normal deployment never enables test mode.
    Times are Unix seconds (int64_t).
*/
#ifndef XC_CLOCK_H
#define XC_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define XC_RFC3339_LEN 20            /* "2026-11-25T16:46:06Z" without the NUL */

int64_t xc_clock_wall (void);
int64_t xc_clock_now (void);

/*  The real time in milliseconds, for what happens on the network and is stored: a delivery's
    tries, its latency (the domain clock is for deadlines only). */
int64_t xc_clock_wall_ms (void);

/*  Wall clock in milliseconds, monotonic (for timeouts and intervals, never stored). */
int64_t xc_clock_mono_ms (void);

/*  Switches the process into test mode. Called only when a service is started with
    --test-mode. */
void xc_clock_enable_test_mode (void);
bool xc_clock_test_mode (void);

/*  Moves the domain clock forward by seconds (>= 0). Refused (XC_E_FORBIDDEN) outside test mode. */
int xc_clock_advance (int64_t seconds, xc_err_t *err);

/*  Current offset of the domain clock from the wall clock (0 outside test mode). */
int64_t xc_clock_offset (void);

/*  Writes t as "YYYY-MM-DDTHH:MM:SSZ" and a NUL into out[XC_RFC3339_LEN + 1]. */
void xc_clock_format (int64_t t, char *out);

/*  Parses an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS" with an optional fraction (ignored)
    and "Z" or "+hh:mm" / "-hh:mm". 't' and 'z' in lower case are accepted. Checks ranges
    (month 1-12, day within the month, hour 0-23, minute 0-59, second 0-60). */
int xc_clock_parse (const char *text, int64_t *t, xc_err_t *err);

#endif
