/*  search_test.c: the xc_bigram tokenizer's tokens, MATCH expressions from user text, marked
    text as segments and bigram sets, on an in-memory SQLite with FTS5. */
#include "common/search.h"

#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "tests/harness.h"

static sqlite3 *s_db;

static void
s_exec (const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec (s_db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf (stderr, "sql: %s: %s\n", sql, msg ? msg : "?");
    sqlite3_free (msg);
    CHECK_INT (rc, SQLITE_OK);
}

/*  The tokens of text as a document, "term@pos" joined by spaces, in position order. */
static const char *
s_tokens (const char *text)
{
    static char out[2048];
    out[0] = 0;
    s_exec ("DELETE FROM t");
    sqlite3_stmt *st;
    CHECK_INT (sqlite3_prepare_v2 (s_db, "INSERT INTO t (rowid, a) VALUES (1, ?)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text (st, 1, text, -1, SQLITE_TRANSIENT);
    CHECK_INT (sqlite3_step (st), SQLITE_DONE);
    sqlite3_finalize (st);
    CHECK_INT (sqlite3_prepare_v2 (s_db, "SELECT term, offset FROM v ORDER BY offset, length (term)", -1, &st,
                                   NULL),
               SQLITE_OK);
    while (sqlite3_step (st) == SQLITE_ROW) {
        char one[128];
        snprintf (one, sizeof one, "%s%s@%d", out[0] ? " " : "", sqlite3_column_text (st, 0),
                  sqlite3_column_int (st, 1));
        strncat (out, one, sizeof out - strlen (out) - 1);
    }
    sqlite3_finalize (st);
    return out;
}

/*  highlight() of the rows matching user text q (through xc_search_match), "id:text|..."; or
    "refused" when xc_search_match refuses q. */
static const char *
s_find (const char *q)
{
    static char out[4096];
    out[0] = 0;
    char *match = NULL;
    xc_err_t err;
    if (xc_search_match (q, &match, &err) != 0)
        return "refused";
    sqlite3_stmt *st;
    CHECK_INT (sqlite3_prepare_v2 (s_db, "SELECT rowid, highlight (d, 0, '[', ']') FROM d WHERE d MATCH ?"
                                         " ORDER BY rowid", -1, &st, NULL),
               SQLITE_OK);
    sqlite3_bind_text (st, 1, match, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step (st)) == SQLITE_ROW) {
        char one[512];
        snprintf (one, sizeof one, "%s%d:%s", out[0] ? "|" : "", sqlite3_column_int (st, 0),
                  sqlite3_column_text (st, 1));
        strncat (out, one, sizeof out - strlen (out) - 1);
    }
    CHECK_INT (rc, SQLITE_DONE);
    sqlite3_finalize (st);
    free (match);
    return out;
}

static void
test_tokens (void)
{
    /* Chinese: each character, and the bigram at the same position; the run's last alone */
    CHECK_STR (s_tokens ("公车私用"), "公@0 公车@0 车@1 车私@1 私@2 私用@2 用@3");
    /* Latin: words, lower-cased; full-width folded to ASCII; digits are words */
    CHECK_STR (s_tokens ("GPS 定位 Ｖ２"), "gps@0 定@1 定位@1 位@2 v2@3");
    /* mixed without spaces: a word ends where Chinese begins; punctuation separates */
    CHECK_STR (s_tokens ("2024年三资，清查"), "2024@0 年@1 年三@1 三@2 三资@2 资@3 清@4 清查@4 查@5");
    /* hostile UTF-8: a lone continuation byte, an overlong '/', a surrogate, a cut sequence
       separate; what is around them is still found */
    CHECK_STR (s_tokens ("村\x80委\xc0\xaf会\xed\xa0\x80" "ab\xe5\x85"), "村@0 委@1 会@2 ab@3");
    CHECK_STR (s_tokens (""), "");
    CHECK_STR (s_tokens ("，。！?  \t"), "");
}

static void
test_find (void)
{
    s_exec ("DELETE FROM d");
    s_exec ("INSERT INTO d (rowid, a) VALUES (1, '违规使用公车问题'), (2, '村级三资管理不规范'),"
            " (3, '公，车辆登记'), (4, '村村通道路 GPS 未装'), (5, 'Ｘ２０２４年度 \"引号\" 报告')");
    /* two-character terms of the issue */
    CHECK_STR (s_find ("公车"), "1:违规使用[公车]问题");
    CHECK_STR (s_find ("三资"), "2:村级[三资]管理不规范");
    /* three and more characters */
    CHECK_STR (s_find ("违规使用"), "1:[违规使用]公车问题");
    /* one character: every place, each marked alone (marks never overlap in 村村) */
    CHECK_STR (s_find ("村"), "2:[村]级三资管理不规范|4:[村][村]通道路 GPS 未装");
    /* across a punctuation mark: not found */
    CHECK_STR (s_find ("公车辆"), "");
    CHECK_STR (s_find ("车辆"), "3:公，[车辆]登记");
    /* Latin: any case, full-width */
    CHECK_STR (s_find ("gps"), "4:村村通道路 [GPS] 未装");
    CHECK_STR (s_find ("x2024"), "5:[Ｘ２０２４]年度 \"引号\" 报告");
    /* all terms must match */
    CHECK_STR (s_find ("村 GPS"), "4:[村][村]通道路 [GPS] 未装");
    CHECK_STR (s_find ("公车 三资"), "");
    /* quotes and FTS5 syntax are text */
    CHECK_STR (s_find ("\"引号\""), "5:Ｘ２０２４年度 \"[引号]\" 报告");
    CHECK_STR (s_find ("NEAR(公车 问题) OR *"), "refused");
    CHECK_STR (s_find ("公车 AND"), "");  /* "and" is a word to find, not an operator */
    /* adjacent matches of two terms mark both, nothing repeated */
    CHECK_STR (s_find ("使用 公车"), "1:违规[使用][公车]问题");
}

static void
test_match (void)
{
    char *m = NULL;
    xc_err_t err;
    CHECK_INT (xc_search_match ("公车  三资\xe3\x80\x80" "Ab\"c", &m, &err), 0);
    CHECK_STR (m, "\"公车\" AND \"三资\" AND \"Ab\"\"c\"");
    free (m);
    CHECK_INT (xc_search_match ("", &m, &err), -1);
    CHECK (m == NULL && err.code == XC_E_SCHEMA);
    CHECK_STR (err.text, "the search has no term");
    CHECK_INT (xc_search_match (" \t\xe3\x80\x80 ", &m, &err), -1);
    CHECK_STR (err.text, "the search has no term");
    CHECK_INT (xc_search_match ("公车 ，。", &m, &err), -1);
    CHECK_STR (err.text, "search term 2 has no letter, digit or chinese character");
    CHECK_INT (xc_search_match ("a b c d e f g h i", &m, &err), -1);
    CHECK_STR (err.text, "the search has more than 8 terms");
    CHECK_INT (xc_search_match_terms ("a b c", 2, &m, &err), -1);
    CHECK_STR (err.text, "the search has more than 2 terms");
    CHECK_INT (xc_search_match ("公\xe8车", &m, &err), -1);
    CHECK_STR (err.text, "the search text is not valid utf-8");
    CHECK_INT (xc_search_match (NULL, &m, &err), -1);
}

static void
s_check_segments (const char *marked, const char *want)
{
    json_t *seg = xc_search_segments (marked);
    char *got = json_dumps (seg, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
    CHECK_STR (got, want);
    free (got);
    json_decref (seg);
}

static void
test_segments (void)
{
    s_check_segments ("违规使用\x02公车\x03问题", "[\"违规使用\",\"公车\",\"问题\"]");
    s_check_segments ("\x02公车\x03", "[\"\",\"公车\"]");
    s_check_segments ("\x02村\x03\x02村\x03通", "[\"\",\"村村\",\"通\"]");
    s_check_segments ("无标记", "[\"无标记\"]");
    s_check_segments ("", "[\"\"]");
    s_check_segments (NULL, "[]");
    /* stray, nested, empty and unclosed markers; invalid bytes dropped */
    s_check_segments ("a\x03" "b\x02\x03" "c\x02" "d\x02" "e\x03" "f\x02" "g\xff", "[\"abc\",\"de\",\"f\",\"g\"]");
}

static void
test_bigrams (void)
{
    uint64_t *a, *b;
    size_t na, nb;
    CHECK_INT (xc_search_bigrams ("公车私用，公车", &a, &na), 0);
    CHECK_INT ((int) na, 3);         /* 公车 车私 私用 (公车 twice) */
    CHECK_INT (xc_search_bigrams ("私用公车 GPS", &b, &nb), 0);
    CHECK_INT ((int) nb, 4);         /* 私用 用公 公车 gps */
    /* 公车 and 私用 in both: 2*2 / (3+4) */
    double d = xc_search_dice (a, na, b, nb);
    CHECK (d > 0.5714 && d < 0.5715);
    CHECK (xc_search_dice (a, na, a, na) == 1.0);
    free (a);
    free (b);
    CHECK_INT (xc_search_bigrams ("，。", &a, &na), 0);
    CHECK (a == NULL && na == 0);
    CHECK (xc_search_dice (NULL, 0, NULL, 0) == 0.0);
    CHECK_INT (xc_search_bigrams ("村 gps GPS", &a, &na), 0);
    CHECK_INT ((int) na, 2);         /* a lone character, one word (any case) */
    free (a);
}

int
main (void)
{
    CHECK_INT (sqlite3_open (":memory:", &s_db), SQLITE_OK);
    CHECK_INT (xc_search_register (s_db), 0);
    s_exec ("CREATE VIRTUAL TABLE t USING fts5 (a, tokenize='xc_bigram');"
            "CREATE VIRTUAL TABLE v USING fts5vocab (t, 'instance');"
            "CREATE VIRTUAL TABLE d USING fts5 (a, tokenize='xc_bigram')");
    RUN (test_tokens);
    RUN (test_find);
    RUN (test_match);
    RUN (test_segments);
    RUN (test_bigrams);
    sqlite3_close (s_db);
    HARNESS_END ();
}
