/*  log.c: one line per event to stderr, written with a single write(2). */
#include "common/log.h"

#include "common/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Lines up to PIPE_BUF bytes are written atomically to a pipe, so lines from several
   processes sharing one stderr never interleave. Longer texts are cut. */
#define S_LINE_MAX 4096

static char s_service[32] = "-";
static xc_log_level_t s_min_level = XC_LOG_INFO;

static const char *const s_level_names[] = { "debug", "info", "warn", "error" };

/* Copies src into dst (at most size - 1 bytes, NUL-terminated); control characters become
   '?', and so do spaces when the value is a single field of the line. */
static void
s_clean (char *dst, size_t size, const char *src, int field)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char) src[i];
        dst[i] = c < 0x20 || c == 0x7f || (field && c == ' ') ? '?' : (char) c;
    }
    dst[i] = 0;
}

void
xc_log_init (const char *service, xc_log_level_t min_level)
{
    s_clean (s_service, sizeof s_service, service && *service ? service : "-", 1);
    s_min_level = min_level;
}

int
xc_log_level_parse (const char *name, xc_log_level_t *level)
{
    for (int i = XC_LOG_DEBUG; i <= XC_LOG_ERROR; i++)
        if (name && strcmp (name, s_level_names[i]) == 0) {
            *level = (xc_log_level_t) i;
            return 0;
        }
    return -1;
}

void
xc_log (xc_log_level_t level, const char *msg_id, const char *fmt, ...)
{
    if (level < s_min_level || level > XC_LOG_ERROR)
        return;
    int saved_errno = errno;         /* callers log and then report errno */
    char line[S_LINE_MAX], id[72], when[XC_RFC3339_LEN + 1];
    xc_clock_format (xc_clock_wall (), when);
    s_clean (id, sizeof id, msg_id && *msg_id ? msg_id : "-", 1);
    int head = snprintf (line, sizeof line, "%s %s %s id=%s ", when, s_level_names[level],
                         s_service, id);
    if (head < 0 || (size_t) head >= sizeof line - 1) {
        errno = saved_errno;
        return;
    }
    /* room for the text, a possible "..." and the newline; vsnprintf may write one byte
       more, plus its NUL, so the cut below sees the first byte it drops */
    size_t room = sizeof line - (size_t) head - 5;
    char *text = line + head;
    va_list ap;
    va_start (ap, fmt);
    int n = vsnprintf (text, room + 2, fmt, ap);
    va_end (ap);
    size_t len = n < 0 ? 0 : (size_t) n;
    if (len > room) {
        /* cut on a UTF-8 character boundary and mark the cut */
        len = room;
        while (len > 0 && ((unsigned char) text[len] & 0xc0) == 0x80)
            len--;
        memcpy (text + len, "...", 3);
        len += 3;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if (c < 0x20 || c == 0x7f)
            text[i] = '?';
    }
    text[len] = '\n';
    size_t total = (size_t) head + len + 1;
    ssize_t w;
    do
        w = write (STDERR_FILENO, line, total);
    while (w < 0 && errno == EINTR);
    errno = saved_errno;
}
