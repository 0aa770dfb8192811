/*  search.c: xcctl search [--in intake,rectify,referral] [filters] WORDS...: one full-text
    search across the services (problem.search, rectify.search, referral.search, asked at once),
    the results grouped by service, each with its count and the matched words shown as 【…】.
    A service the principal may not ask (its role refused) is named and left out; the others
    still answer. docs/xcctl.md, "Searching". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/text.h"

/*  The services that search, their query and how the office names what they hold. */
static const struct {
    const char *service, *type, *name;
    const char *states[6];           /* its `state` filter's values (the service's schema) */
} s_sources[] = {
    { "intake", "problem.search", "问题", { "recorded", "classified", "merged" } },
    { "rectify", "rectify.search", "整改事项", { "opened", "planned", "claimed", "reopened", "closed" } },
    { "referral", "referral.search", "移交事项", { "referred", "acknowledged", "disposed", "concluded" } },
};

/*  Whether source s has the state (a state is one service's: the others are not asked). */
static bool
s_has_state (size_t s, const char *state)
{
    for (size_t k = 0; k < 6 && s_sources[s].states[k]; k++)
        if (strcmp (s_sources[s].states[k], state) == 0)
            return true;
    return false;
}
#define N_SOURCES (sizeof s_sources / sizeof s_sources[0])

/*  The filter options: each a member of the three queries' data. */
static const struct {
    const char *option, *member;
    bool integer;
} s_filters[] = {
    { "--round", "round", false }, { "--owner", "owner", false }, { "--unit", "unit", false },
    { "--category", "category", false }, { "--year", "year", true }, { "--state", "state", false },
    { "--limit", "limit", true }, { "--offset", "offset", true },
};
#define N_FILTERS (sizeof s_filters / sizeof s_filters[0])

static int
s_usage (void)
{
    fprintf (stderr, "usage: xcctl search [--in intake,rectify,referral] [--round R] [--owner O] [--unit U]"
                     " [--category C] [--year Y] [--state S] [--limit N] [--offset N] WORDS...\n");
    return CTL_USAGE;
}

/*  Segments (an array of strings, odd ones matched) as text with the matched parts in 【】. */
static void
s_segments_print (const json_t *segments)
{
    size_t i;
    json_t *s;
    json_array_foreach (segments, i, s) {
        const char *text = json_string_value (s);
        if (!text)
            continue;
        /* a line break inside a snippet would break the listing's lines */
        for (const char *p = i % 2 ? "【" : ""; *p; p++)
            putchar (*p);
        for (const char *p = text; *p; p++)
            putchar (*p == '\n' || *p == '\r' ? ' ' : *p);
        if (i % 2)
            fputs ("】", stdout);
    }
}

static const char *
s_str (const json_t *row, const char *member)
{
    const char *v = json_string_value (json_object_get (row, member));
    return v ? v : "";
}

/*  One service's answer: its count, then each result on two or three lines. */
static void
s_print_result (const ctl_t *ctl, const char *name, const json_t *result, json_int_t offset)
{
    const json_t *results = json_object_get (result, "results");
    json_int_t count = json_integer_value (json_object_get (result, "count"));
    bool capped = json_is_true (json_object_get (result, "count_capped"));
    printf ("【%s】共 %lld%s 条", name, (long long) count, capped ? " 余" : "");
    if (json_array_size (results))
        printf ("，显示第 %lld-%lld 条", (long long) offset + 1, (long long) offset + (json_int_t) json_array_size (results));
    printf ("\n");
    size_t i;
    json_t *row;
    json_array_foreach (results, i, row) {
        const char *kind = s_str (row, "kind");
        const char *state = s_str (row, "state");
        const char *word = ctl_word (strcmp (kind, "problem") == 0 ? "status" : "state", state);
        const char *category = s_str (row, "category_name");
        if (!*category && *s_str (row, "category"))
            category = ctl_category_name (ctl, s_str (row, "category")) ? ctl_category_name (ctl, s_str (row, "category"))
                                                                         : s_str (row, "category");
        printf ("  %lld  ", (long long) json_integer_value (json_object_get (row, "id")));
        s_segments_print (json_object_get (row, "title"));
        printf ("\n      %s（%s）· %s（%s）· %s · %s · %s\n", s_str (row, "round_name"), s_str (row, "round"),
                s_str (row, "unit_name"), s_str (row, "unit"), category, word ? word : state, s_str (row, "date"));
        if (json_array_size (json_object_get (row, "snippet"))) {
            printf ("      ");
            s_segments_print (json_object_get (row, "snippet"));
            printf ("\n");
        }
    }
    const json_t *next = json_object_get (result, "next");
    if (json_is_integer (next))
        printf ("  （还有，下一页：--offset %lld）\n", (long long) json_integer_value (next));
}

int
ctl_search (ctl_t *ctl, int argc, char **argv)
{
    json_t *data = json_object ();
    bool want[N_SOURCES] = { true, true, true };
    xc_buf_t q = { 0 };
        int rc = CTL_OK;
    for (int i = 0; i < argc && rc == CTL_OK; i++) {
        if (strncmp (argv[i], "--", 2) != 0) {
            if (q.len)
                xc_buf_put (&q, " ", 1);
            xc_buf_puts (&q, argv[i]);
            continue;
        }
        if (i + 1 >= argc) {
            fprintf (stderr, "xcctl: search: %s needs a value\n", argv[i]);
            rc = s_usage ();
            break;
        }
        const char *value = argv[++i];
        if (strcmp (argv[i - 1], "--in") == 0) {
            memset (want, 0, sizeof want);
            char list[256];
            snprintf (list, sizeof list, "%s", value);
            for (char *save = NULL, *w = strtok_r (list, ",", &save); w; w = strtok_r (NULL, ",", &save)) {
                size_t s = 0;
                while (s < N_SOURCES && strcmp (s_sources[s].service, w) != 0)
                    s++;
                if (s == N_SOURCES) {
                    const char *known[N_SOURCES] = { "intake", "rectify", "referral" };
                    fprintf (stderr, "xcctl: search: --in: no service '%s' searches", w);
                    ctl_suggest (w, known, N_SOURCES);
                    rc = CTL_USAGE;
                    break;
                }
                want[s] = true;
            }
            continue;
        }
        size_t f = 0;
        while (f < N_FILTERS && strcmp (s_filters[f].option, argv[i - 1]) != 0)
            f++;
        if (f == N_FILTERS) {
            fprintf (stderr, "xcctl: search: unknown option '%s'\n", argv[i - 1]);
            rc = s_usage ();
            break;
        }
        if (json_object_get (data, s_filters[f].member)) {
            fprintf (stderr, "xcctl: search: %s given twice\n", argv[i - 1]);
            rc = CTL_USAGE;
            break;
        }
        if (s_filters[f].integer) {
            char *end;
            long long n = strtoll (value, &end, 10);
            if (end == value || *end || n < 0 || n > 100000) {
                fprintf (stderr, "xcctl: search: %s: '%s' is not a whole number\n", argv[i - 1], value);
                rc = CTL_USAGE;
                break;
            }
            json_object_set_new (data, s_filters[f].member, json_integer (n));
        }
        else
            json_object_set_new (data, s_filters[f].member, json_string (value));
    }
    if (rc == CTL_OK && q.len == 0) {
        fprintf (stderr, "xcctl: search: the words to search for are missing\n");
        rc = s_usage ();
    }
    if (rc != CTL_OK) {
        json_decref (data);
        xc_buf_free (&q);
        return rc;
    }
    /* a state belongs to one service: only the services that have it are asked */
    const char *state = json_string_value (json_object_get (data, "state"));
    if (state) {
        bool any = false;
        for (size_t s = 0; s < N_SOURCES; s++) {
            want[s] = want[s] && s_has_state (s, state);
            any = any || want[s];
        }
        if (!any) {
            fprintf (stderr, "xcctl: search: --state: no service searched has the state '%s'\n", state);
            json_decref (data);
            xc_buf_free (&q);
            return CTL_USAGE;
        }
    }
    json_object_set_new (data, "q", json_stringn (q.data, q.len));
    json_int_t offset = json_integer_value (json_object_get (data, "offset"));
    xc_buf_free (&q);

    /* only the services of the deployment and of --in, asked at once */
    ctl_request_t reqs[N_SOURCES];
    size_t at[N_SOURCES], n = 0;
    for (size_t s = 0; s < N_SOURCES; s++) {
        bool deployed = false;
        for (size_t k = 0; k < ctl->config->n_services; k++)
            deployed = deployed || strcmp (ctl->config->services[k].name, s_sources[s].service) == 0;
        if (!want[s] || !deployed)
            continue;
        reqs[n] = (ctl_request_t) { .service = s_sources[s].service, .type = s_sources[s].type,
                                    .data = json_deep_copy (data), .quiet = true };
        at[n++] = s;
    }
    json_decref (data);
    if (n == 0) {
        fprintf (stderr, "xcctl: search: none of the services named is in the deployment\n");
        return CTL_USAGE;
    }
    int open_rc = ctl_open (ctl);
    if (open_rc != CTL_OK) {
        for (size_t k = 0; k < n; k++)
            json_decref (reqs[k].data);
        return open_rc;
    }
    ctl_call_all (ctl, reqs, n);
    json_t *out = json_object ();
    size_t answered = 0, refused = 0, down = 0;
    for (size_t k = 0; k < n; k++) {
        const char *name = s_sources[at[k]].name;
        if (reqs[k].code == CTL_OK) {
            answered++;
            if (ctl->json)
                json_object_set (out, reqs[k].service, reqs[k].result);
            else
                s_print_result (ctl, name, reqs[k].result, offset);
        }
        else if (reqs[k].code == CTL_REFUSED && strcmp (reqs[k].error, "forbidden") == 0
                 && strstr (reqs[k].message, "may not send")) {
            /* a role that may not search this service: said, not an error of the whole search */
            if (ctl->json)
                json_object_set_new (out, reqs[k].service, json_pack ("{s:s}", "error", "forbidden"));
            else
                printf ("【%s】无权查询\n", name);
        }
        else {
            if (reqs[k].code == CTL_REFUSED || reqs[k].code == CTL_NOT_FOUND) {
                fprintf (stderr, "xcctl: %s refused %s: %s (%s)\n", reqs[k].service, reqs[k].type, reqs[k].message,
                         reqs[k].error);
                refused++;
                rc = reqs[k].code;
            }
            else
                down++, rc = reqs[k].code;
            if (ctl->json)
                json_object_set_new (out, reqs[k].service, json_pack ("{s:s, s:s}", "error",
                                                                      reqs[k].error[0] ? reqs[k].error : "unavailable",
                                                                      "message", reqs[k].message));
        }
        json_decref (reqs[k].result);
    }
    if (ctl->json)
        ctl_print (ctl, out);
    json_decref (out);
    /* the search did its work when every service that may be asked answered */
    if (refused || down)
        return rc;
    (void) answered;
    return CTL_OK;
}
