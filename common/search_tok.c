/*  search_tok.c: the xc_bigram FTS5 tokenizer (search.h says what it gives). It calls no
    sqlite3_* function, so the loadable extension links the same object code. */
#include "common/search.h"
#include "common/search_utf8.h"

#include <stdbool.h>
#include <string.h>

/*  A word longer than this is indexed by its first bytes (the same in a document and a query). */
#define S_WORD_MAX 128

static char s_instance;              /* the tokenizer has no state: one address for all */

static int
s_create (void *ctx, const char **args, int n_args, Fts5Tokenizer **out)
{
    (void) ctx;
    (void) args;
    *out = NULL;
    if (n_args != 0)
        return SQLITE_ERROR;         /* it takes no options: a typo must not pass unnoticed */
    *out = (Fts5Tokenizer *) &s_instance;
    return SQLITE_OK;
}

static void
s_delete (Fts5Tokenizer *tokenizer)
{
    (void) tokenizer;
}

typedef int (*s_token_fn) (void *ctx, int flags, const char *token, int n, int start, int end);

/*  A word from text[at..): its folded form into buf; returns the byte after it. */
static int
s_word (const char *text, int n, int at, char *buf, int *len)
{
    *len = 0;
    while (at < n) {
        int step;
        int32_t c = xc_search_utf8 (text + at, n - at, &step);
        if (xc_search_class (c) != XC_SEARCH_WORD)
            break;
        char folded[4];
        int flen = step;
        const char *src = text + at;
        int32_t ascii = xc_search_fold (c);
        if (ascii >= 0) {
            folded[0] = (char) ascii;
            src = folded;
            flen = 1;
        }
        if (*len + flen <= S_WORD_MAX) {
            memcpy (buf + *len, src, (size_t) flen);
            *len += flen;
        }
        at += step;
    }
    return at;
}

static int
s_tokenize (Fts5Tokenizer *tokenizer, void *ctx, int flags, const char *text, int n, s_token_fn token)
{
    (void) tokenizer;
    bool query = (flags & FTS5_TOKENIZE_QUERY) != 0;
    char word[S_WORD_MAX];
    int at = 0;
    int rc = SQLITE_OK;
    while (rc == SQLITE_OK && at < n) {
        int step;
        int32_t c = xc_search_utf8 (text + at, n - at, &step);
        int class = xc_search_class (c);
        if (class == XC_SEARCH_WORD) {
            int len;
            int end = s_word (text, n, at, word, &len);
            rc = token (ctx, 0, word, len, at, end);
            at = end;
            continue;
        }
        if (class != XC_SEARCH_CJK) {
            at += step;
            continue;
        }
        /* a CJK run, one position per character */
        for (;;) {
            int next = at + step;
            int next_step = 0;
            bool more = next < n
                        && xc_search_class (xc_search_utf8 (text + next, n - next, &next_step)) == XC_SEARCH_CJK;
            if (query)
                rc = token (ctx, 0, text + at, more ? step + next_step : step, at, next);
            else {
                rc = token (ctx, 0, text + at, step, at, next);
                if (rc == SQLITE_OK && more)
                    rc = token (ctx, FTS5_TOKEN_COLOCATED, text + at, step + next_step, at, next);
            }
            at = next;
            step = next_step;
            if (!more || rc != SQLITE_OK)
                break;
        }
    }
    return rc;
}

int
xc_search_tokenizer_add (fts5_api *api)
{
    static fts5_tokenizer tokenizer = { s_create, s_delete, s_tokenize };
    return api->xCreateTokenizer (api, XC_SEARCH_TOKENIZER, NULL, &tokenizer, NULL);
}
