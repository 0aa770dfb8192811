/*  search.h: full-text search over Chinese and Latin text with SQLite's FTS5.

    SQLite here is 3.40.1: its `trigram` tokenizer matches no term of one or two characters (the
    issue's own 公车, 三资), and LIKE is a full scan. So the suite has one FTS5 tokenizer of its
    own, `xc_bigram`, registered on every store connection (xc_store_open calls
    xc_search_register before the migrations) and built as a loadable extension too,
    build/lib/xc_search.so (entry point sqlite3_xcsearch_init; tests/python/searchlib.py).

    Tokens (a document, and the text highlight()/snippet() read again):
    - a run of CJK characters: at every position i the character c[i] alone, and, colocated at
      the same position (FTS5_TOKEN_COLOCATED), the bigram c[i]c[i+1] when the run goes on;
    - a run of Latin letters and digits (ASCII, full-width forms folded to ASCII, Latin-1 and
      Latin Extended letters): one word, ASCII letters lower-cased;
    - everything else (white space, punctuation, symbols, invalid UTF-8) separates.
    Every token's offsets are those of its first character (a word's: the whole word), so
    highlight() marks exactly the characters a term matched and two marks never overlap.
    (With bigram offsets spanning two characters, 3.40's highlight() copies the rest of the
    text again when two matches touch, e.g. "村" in 村村通.)

    A query (FTS5_TOKENIZE_QUERY): a CJK run c0..c(k-1) of k >= 2 characters gives the bigrams
    c0c1 ... c(k-2)c(k-1) then c(k-1) alone, a phrase that matches the substring and nothing
    across a separator; one character gives itself (every position has it: no prefix scan).

    Ownership: results are the caller's (free / json_decref); nothing is kept between calls.
*/
#ifndef XC_SEARCH_H
#define XC_SEARCH_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/*  The tokenizer's name in CREATE VIRTUAL TABLE ... USING fts5 (..., tokenize='xc_bigram'). */
#define XC_SEARCH_TOKENIZER "xc_bigram"

/*  The markers given to highlight() and snippet() (read back by xc_search_segments). */
#define XC_SEARCH_OPEN "\x02"
#define XC_SEARCH_CLOSE "\x03"

/*  How many terms xc_search_match takes when no policy says otherwise. */
#define XC_SEARCH_MAX_TERMS 8

/*  A filter value's token (a facet), 17 characters: see xc_search_facet. */
#define XC_SEARCH_FACET_LEN 17

/*  Registers on db (needs FTS5): the tokenizer xc_bigram; the auxiliary function
    xc_rank(table, weight...) (BM25's term-frequency part without the document-frequency pass,
    common/search_api.h); the SQL function xc_facet(kind, value), a filter value as one token
    for a table's `facets` column. 0, or -1 (sqlite3_errmsg (db) may say why). */
int xc_search_register (sqlite3 *db);

/*  User text -> a safe FTS5 MATCH expression (*match: malloc'd, the caller's). Terms are split
    on white space (ASCII and U+3000); each becomes one quoted phrase (quotes doubled); all
    must match. Refused (-1, XC_E_SCHEMA, a message naming the term): not valid UTF-8, no term,
    more than max_terms terms, a term with no letter, digit or CJK character. Raw text never
    reaches MATCH: whatever it accepts, MATCH takes (tests/fuzz/search_match_fuzz.c). */
int xc_search_match_terms (const char *q, int max_terms, char **match, xc_err_t *err);
/*  The same with XC_SEARCH_MAX_TERMS. */
int xc_search_match (const char *q, char **match, xc_err_t *err);

/*  Text marked with XC_SEARCH_OPEN ... XC_SEARCH_CLOSE -> a new JSON array of strings, even
    indices plain, odd indices matched: ["违规使用", "公车", "问题"]. The first is always plain
    (maybe ""), an empty mark is dropped, neighbours of one kind are joined, stray markers are
    removed. NULL text gives []. NULL only when out of memory. */
json_t *xc_search_segments (const char *marked);

/*  The set of a text's character bigrams, for similarity (intake's repeat problems): in a CJK
    run each adjacent pair (c1 << 21 | c2), a lone CJK character itself, a Latin word its
    64-bit FNV-1a hash with the top bit set (never equal to a CJK key). *keys: malloc'd, sorted,
    distinct, the caller's (NULL when *n is 0). 0, or -1 when out of memory. */
int xc_search_bigrams (const char *text, uint64_t **keys, size_t *n);

/*  A filter's value as one token of a `facets` column (the same as SQL's xc_facet (kind,
    value)): kind (a letter a-z) and the value's 64-bit FNV-1a hash in hex. A search ANDs
    `facets : token` into its MATCH so that FTS5 narrows the matches by the filter before any row
    is read; the filter's SQL condition stays too (a hash is not the value). */
void xc_search_facet (char kind, const char *value, char out[XC_SEARCH_FACET_LEN + 1]);

/*  Dice's coefficient of two such sets, 2|A∩B| / (|A| + |B|), in [0, 1]; 0 when both empty. */
double xc_search_dice (const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/*  The tokenizer's parts, shared by xc_search_register and the loadable extension
    (common/sqlite_ext/xc_search.c). */
int xc_search_tokenizer_add (fts5_api *api);
#endif
