/*  log.h: one line per event to stderr.

    Line format:  <RFC 3339 wall time> <level> <service> id=<message id or -> <text>
    Control characters in the text are written as '?', so a line can never be split or forged by
    input. Never pass a secret (private key, reporter identity, lead details) to these functions.
*/
#ifndef XC_LOG_H
#define XC_LOG_H

typedef enum { XC_LOG_DEBUG, XC_LOG_INFO, XC_LOG_WARN, XC_LOG_ERROR } xc_log_level_t;

/*  Sets the service name printed on every line and the lowest level printed. */
void xc_log_init (const char *service, xc_log_level_t min_level);

/*  Parses "debug", "info", "warn", "error"; returns -1 for anything else. */
int xc_log_level_parse (const char *name, xc_log_level_t *level);

void xc_log (xc_log_level_t level, const char *msg_id, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

#define xc_debug(id, ...) xc_log (XC_LOG_DEBUG, (id), __VA_ARGS__)
#define xc_info(id, ...)  xc_log (XC_LOG_INFO, (id), __VA_ARGS__)
#define xc_warn(id, ...)  xc_log (XC_LOG_WARN, (id), __VA_ARGS__)
#define xc_error(id, ...) xc_log (XC_LOG_ERROR, (id), __VA_ARGS__)

#endif
