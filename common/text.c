/*  text.c: see text.h. */
#include "common/text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void
xc_buf_put (xc_buf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->size) {
        size_t size = b->size ? b->size : 256;
        while (size < b->len + n + 1)
            size *= 2;
        char *data = realloc (b->data, size);
        if (!data) {
            b->failed = true;
            return;
        }
        b->data = data;
        b->size = size;
    }
    memcpy (b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void
xc_buf_puts (xc_buf_t *b, const char *s)
{
    xc_buf_put (b, s, strlen (s));
}

void
xc_buf_free (xc_buf_t *b)
{
    free (b->data);
    memset (b, 0, sizeof *b);
}

static pthread_key_t s_scratch_key;
static pthread_once_t s_scratch_once = PTHREAD_ONCE_INIT;

static void
s_scratch_free (void *arg)
{
    xc_buf_free (arg);
    free (arg);
}

static void
s_scratch_key_make (void)
{
    pthread_key_create (&s_scratch_key, s_scratch_free);
}

xc_buf_t *
xc_buf_scratch (void)
{
    pthread_once (&s_scratch_once, s_scratch_key_make);
    xc_buf_t *b = pthread_getspecific (s_scratch_key);
    if (!b) {
        b = calloc (1, sizeof *b);
        if (!b || pthread_setspecific (s_scratch_key, b) != 0) {
            free (b);
            return NULL;
        }
    }
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = 0;
    return b;
}

void
xc_csv_field (xc_buf_t *b, const char *s, bool first)
{
    if (!first)
        xc_buf_put (b, ",", 1);
    if (!s)
        return;
    bool quote = strpbrk (s, ",\"\r\n") != NULL;
    if (quote)
        xc_buf_put (b, "\"", 1);
    if (s[0] && strchr ("=+-@\t\r", s[0]))
        xc_buf_put (b, "'", 1);
    for (const char *p = s; *p; p++) {
        xc_buf_put (b, p, 1);
        if (*p == '"')
            xc_buf_put (b, "\"", 1);
    }
    if (quote)
        xc_buf_put (b, "\"", 1);
}
