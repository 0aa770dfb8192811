/*  log_test.c: the line format, level filtering, cleaning of control characters, one write
    per line. stderr is redirected to a temp file and read back. */
#include "common/log.h"

#include "common/clock.h"

#include "tests/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char s_tmp[64];
static char s_path[128];
static int s_saved = -1;
static char s_out[4 << 20];

/* Sends stderr to a fresh temp file (appending, as a shared log file would be opened). */
static void
s_capture_start (void)
{
    fflush (stderr);
    int fd = open (s_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    s_saved = dup (STDERR_FILENO);
    dup2 (fd, STDERR_FILENO);
    close (fd);
}

/* Restores stderr and reads what was written into s_out; returns its length. */
static size_t
s_capture_end (void)
{
    dup2 (s_saved, STDERR_FILENO);
    close (s_saved);
    s_out[0] = 0;
    FILE *f = fopen (s_path, "r");
    if (!f)
        return 0;
    size_t n = fread (s_out, 1, sizeof s_out - 1, f);
    s_out[n] = 0;
    fclose (f);
    return n;
}

static int
s_count_lines (const char *text)
{
    int n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void
test_level_parse (void)
{
    xc_log_level_t level = XC_LOG_ERROR;
    CHECK_INT (xc_log_level_parse ("debug", &level), 0);
    CHECK_INT (level, XC_LOG_DEBUG);
    CHECK_INT (xc_log_level_parse ("info", &level), 0);
    CHECK_INT (level, XC_LOG_INFO);
    CHECK_INT (xc_log_level_parse ("warn", &level), 0);
    CHECK_INT (level, XC_LOG_WARN);
    CHECK_INT (xc_log_level_parse ("error", &level), 0);
    CHECK_INT (level, XC_LOG_ERROR);
    const char *bad[] = { "INFO", "Info", "", "warning", "fatal", "info ", "err" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT (xc_log_level_parse (bad[i], &level), -1);
    CHECK_INT (xc_log_level_parse (NULL, &level), -1);
    CHECK_INT (level, XC_LOG_ERROR);
}

static void
test_format (void)
{
    xc_log_init ("intake", XC_LOG_INFO);
    int64_t before = xc_clock_wall ();
    s_capture_start ();
    xc_info ("0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1b", "accepted %s in %d ms", "report.submit",
             12);
    size_t n = s_capture_end ();
    int64_t after = xc_clock_wall ();
    /* "2026-11-25T16:46:06Z info intake id=... text\n" */
    CHECK (n > XC_RFC3339_LEN + 1);
    CHECK_INT (s_count_lines (s_out), 1);
    CHECK (n > 0 && s_out[n - 1] == '\n');
    char when[XC_RFC3339_LEN + 1];
    memcpy (when, s_out, XC_RFC3339_LEN);
    when[XC_RFC3339_LEN] = 0;
    int64_t t = 0;
    CHECK_INT (xc_clock_parse (when, &t, NULL), 0);
    CHECK (t >= before && t <= after);
    CHECK_STR (s_out + XC_RFC3339_LEN,
               " info intake id=0b6f3c2e-8d1a-4f5e-9a7b-2c4d6e8f0a1b accepted report.submit "
               "in 12 ms\n");

    s_capture_start ();
    xc_error (NULL, "no id");
    xc_warn ("", "empty id");
    xc_info ("a b\nc", "id with a space and a newline");
    s_capture_end ();
    CHECK (strncmp (s_out + XC_RFC3339_LEN, " error intake id=- no id\n", 25) == 0);
    const char *second = strchr (s_out, '\n');
    CHECK (second && strncmp (second + 1 + XC_RFC3339_LEN, " warn intake id=- empty id\n",
                              27) == 0);
    CHECK (strstr (s_out, " info intake id=a?b?c id with a space and a newline\n") != NULL);

    /* before xc_log_init the service prints as "-"; the name itself is cleaned too */
    xc_log_init (NULL, XC_LOG_DEBUG);
    s_capture_start ();
    xc_debug ("x", "hello");
    s_capture_end ();
    CHECK_STR (s_out + XC_RFC3339_LEN, " debug - id=x hello\n");
    xc_log_init ("bad name\n", XC_LOG_DEBUG);
    s_capture_start ();
    xc_debug ("x", "hello");
    s_capture_end ();
    CHECK_STR (s_out + XC_RFC3339_LEN, " debug bad?name? id=x hello\n");
}

static void
test_levels (void)
{
    xc_log_init ("echo", XC_LOG_WARN);
    s_capture_start ();
    xc_debug ("1", "debug line");
    xc_info ("2", "info line");
    xc_warn ("3", "warn line");
    xc_error ("4", "error line");
    s_capture_end ();
    CHECK_INT (s_count_lines (s_out), 2);
    CHECK (strstr (s_out, "debug line") == NULL);
    CHECK (strstr (s_out, "info line") == NULL);
    CHECK (strstr (s_out, " warn echo id=3 warn line\n") != NULL);
    CHECK (strstr (s_out, " error echo id=4 error line\n") != NULL);

    xc_log_init ("echo", XC_LOG_ERROR);
    s_capture_start ();
    xc_warn ("3", "warn line");
    xc_error ("4", "error line");
    s_capture_end ();
    CHECK_INT (s_count_lines (s_out), 1);
    CHECK (strstr (s_out, "warn line") == NULL);

    xc_log_init ("echo", XC_LOG_DEBUG);
    s_capture_start ();
    xc_debug ("1", "debug line");
    xc_info ("2", "info line");
    s_capture_end ();
    CHECK_INT (s_count_lines (s_out), 2);
}

static void
test_control_characters (void)
{
    xc_log_init ("echo", XC_LOG_INFO);
    s_capture_start ();
    xc_info ("1", "a\nb\rc\td\x1b[31me\x7f" "f%s", "\x01injected\n2026-01-01T00:00:00Z error");
    xc_info ("2", "举报已受理：%s ✓", "编号 42");
    xc_info ("3", "%s", "caf\xc3\xa9 \xff\xfe");
    s_capture_end ();
    CHECK_INT (s_count_lines (s_out), 3);
    CHECK (strstr (s_out, " id=1 a?b?c?d?[31me?f?injected?2026-01-01T00:00:00Z error\n")
           != NULL);
    CHECK (strstr (s_out, " id=2 举报已受理：编号 42 ✓\n") != NULL);
    /* bytes above 0x7f pass through untouched, valid UTF-8 or not */
    CHECK (strstr (s_out, " id=3 caf\xc3\xa9 \xff\xfe\n") != NULL);
}

static void
test_long_line (void)
{
    xc_log_init ("echo", XC_LOG_INFO);
    static char big[10000];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    /* 3-byte characters, so a cut at a fixed byte count would usually split one */
    static char wide[3 * 3000 + 1];
    for (int i = 0; i < 3000; i++)
        memcpy (wide + 3 * i, "中", 3);
    wide[sizeof wide - 1] = 0;
    s_capture_start ();
    xc_info ("1", "%s", big);
    xc_info ("2", "%s", wide);
    size_t n = s_capture_end ();
    CHECK_INT (s_count_lines (s_out), 2);
    char *second = strchr (s_out, '\n') + 1;
    size_t first_len = (size_t) (second - s_out);
    CHECK (first_len <= 4096);
    CHECK (first_len > 4000);
    CHECK (strncmp (second - 5, "x...\n", 5) == 0);
    size_t second_len = n - first_len;
    CHECK (second_len <= 4096);
    CHECK (strncmp (s_out + n - 4, "...\n", 4) == 0);
    /* the text before "..." is whole characters */
    const char *text = strstr (second, " id=2 ") + 6;
    size_t text_len = (size_t) (s_out + n - 4 - text);
    CHECK_INT (text_len % 3, 0);
    CHECK (text_len > 3900);
    CHECK (strncmp (s_out + n - 7, "中...\n", 7) == 0);
}

static void
test_errno_kept (void)
{
    xc_log_init ("echo", XC_LOG_INFO);
    s_capture_start ();
    errno = ENOENT;
    xc_info ("1", "something");
    int e = errno;
    s_capture_end ();
    CHECK_INT (e, ENOENT);
}

/* Several processes log long lines at once into one file: every line stays whole. */
static void
test_concurrent_processes (void)
{
    xc_log_init ("echo", XC_LOG_INFO);
    enum { CHILDREN = 4, LINES = 200, TEXT = 2000 };
    s_capture_start ();
    pid_t pids[CHILDREN];
    for (int c = 0; c < CHILDREN; c++) {
        pids[c] = fork ();
        if (pids[c] == 0) {
            char text[TEXT + 1];
            memset (text, 'a' + c, TEXT);
            text[TEXT] = 0;
            for (int i = 0; i < LINES; i++)
                xc_info ("c", "%s", text);
            _exit (0);
        }
    }
    for (int c = 0; c < CHILDREN; c++)
        if (pids[c] > 0)
            waitpid (pids[c], NULL, 0);
    s_capture_end ();
    CHECK_INT (s_count_lines (s_out), CHILDREN * LINES);
    int whole = 0;
    for (char *line = s_out; *line;) {
        char *end = strchr (line, '\n');
        if (!end)
            break;
        const char *text = line + XC_RFC3339_LEN + strlen (" info echo id=c ");
        size_t len = (size_t) (end - text);
        int same = len == TEXT;
        for (size_t i = 1; same && i < len; i++)
            same = text[i] == text[0];
        whole += same && strncmp (line + XC_RFC3339_LEN, " info echo id=c ", 16) == 0;
        line = end + 1;
    }
    CHECK_INT (whole, CHILDREN * LINES);
}

int
main (void)
{
    h_tmpdir (s_tmp, sizeof s_tmp, "log");
    snprintf (s_path, sizeof s_path, "%s/stderr.txt", s_tmp);
    RUN (test_level_parse);
    RUN (test_format);
    RUN (test_levels);
    RUN (test_control_characters);
    RUN (test_long_line);
    RUN (test_errno_kept);
    RUN (test_concurrent_processes);
    h_rmtree (s_tmp);
    HARNESS_END ();
}
