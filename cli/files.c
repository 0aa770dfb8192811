/*  files.c: xcctl export (the three lists, a body's lead list: CSV, UTF-8 with a byte order
    mark) and xcctl import units FILE.csv (a city's units in bulk, each bad row named by its
    line); xcctl import round is import.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"
#include "common/text.h"

/*  A body's lead list, from referral.list: one row a lead, no content (the list has none). */
static int
s_leads (ctl_t *ctl, const char *target, xc_buf_t *b, long long *rows)
{
    json_t *filters = json_pack ("{s:s}", "kind", "lead");
    if (target)
        json_object_set_new (filters, "target", json_string (target));
    int rc;
    json_t *items = ctl_list_all (ctl, "referral", "referral.list", filters, &rc);
    if (!items)
        return rc;
    xc_buf_puts (b, "\xEF\xBB\xBF线索编号,接收单位,问题编号,标题,状态,处置方式,反馈期限,是否逾期\r\n");
    size_t i;
    json_t *r;
    json_array_foreach (items, i, r) {
        char id[32], problem[32];
        snprintf (id, sizeof id, "%lld", (long long) json_integer_value (json_object_get (r, "id")));
        snprintf (problem, sizeof problem, "%lld", (long long) json_integer_value (json_object_get (r, "problem")));
        xc_csv_field (b, id, true);
        xc_csv_field (b, json_string_value (json_object_get (r, "target")), false);
        xc_csv_field (b, json_is_integer (json_object_get (r, "problem")) ? problem : "", false);
        xc_csv_field (b, json_string_value (json_object_get (r, "title")), false);
        xc_csv_field (b, json_string_value (json_object_get (r, "state")), false);
        xc_csv_field (b, json_string_value (json_object_get (r, "method")), false);
        xc_csv_field (b, json_string_value (json_object_get (r, "due")), false);
        xc_csv_field (b, json_is_true (json_object_get (r, "overdue")) ? "是" : "否", false);
        xc_buf_puts (b, "\r\n");
        (*rows)++;
    }
    json_decref (items);
    return b->failed ? CTL_LOCAL : CTL_OK;
}

/*  A filter that names nothing would export an empty list as if it were one: every round,
    unit and target named must exist. CTL_NOT_FOUND after saying which does not. */
static int
s_filters_exist (ctl_t *ctl, int argc, char **argv)
{
    static const struct { const char *option, *type, *member; } checks[] = {
        { "--round", "round.get", "round" },
        { "--unit", "unit.get", "unit" },
    };
    for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++) {
        const char *value = ctl_opt (argc, argv, checks[k].option);
        if (!value)
            continue;
        int rc;
        json_t *found = ctl_call (ctl, "intake", checks[k].type, json_pack ("{s:s}", checks[k].member, value), &rc,
                                  NULL);
        if (!found) {
            if (rc == CTL_NOT_FOUND)
                fprintf (stderr, "xcctl: export: %s '%s' does not exist\n", checks[k].member, value);
            return rc;
        }
        json_decref (found);
    }
    const char *target = ctl_opt (argc, argv, "--target");
    if (target && !xc_registry_principal (ctl->registry, target)) {
        fprintf (stderr, "xcctl: export: target '%s' is no principal of the registry %s (xcctl principal list)\n",
                 target, ctl->config->registry);
        return CTL_NOT_FOUND;
    }
    return CTL_OK;
}

int
ctl_export (ctl_t *ctl, int argc, char **argv)
{
    const char *list = argc > 0 ? argv[0] : "";
    const char *out = ctl_opt (argc, argv, "--out");
    bool leads = strcmp (list, "leads") == 0;
    if (!out || (!leads && strcmp (list, "problems") != 0 && strcmp (list, "tasks") != 0
                 && strcmp (list, "responsibilities") != 0)) {
        fprintf (stderr, "usage: xcctl export problems|tasks|responsibilities [--round R] [--unit U] --out FILE.csv\n"
                         "       xcctl export leads [--target ISS] --out FILE.csv\n");
        return CTL_USAGE;
    }
    static const char *const lists_opts[] = { "--round", "--unit", "--out" }, *const leads_opts[] = { "--target", "--out" };
    const char *const *known = leads ? leads_opts : lists_opts;
    size_t n_known = leads ? 2 : 3;
    for (int i = 1; i < argc; i += 2) {
        bool ok = false;
        for (size_t k = 0; k < n_known; k++)
            ok = ok || strcmp (argv[i], known[k]) == 0;
        if (!ok || i + 1 >= argc) {
            fprintf (stderr, "xcctl: export %s: %s '%s'", list, ok ? "no value after" : "unknown option", argv[i]);
            if (ok)
                fprintf (stderr, "\n");
            else
                ctl_suggest (argv[i], known, n_known);
            return CTL_USAGE;
        }
    }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    rc = s_filters_exist (ctl, argc, argv);
    if (rc != CTL_OK) {
        fprintf (stderr, "xcctl: export: nothing written to %s\n", out);
        return rc;
    }
    xc_buf_t b = { 0 };
    long long rows = 0;
    if (leads)
        rc = s_leads (ctl, ctl_opt (argc, argv, "--target"), &b, &rows);
    else {
        /* rectify's pages concatenate: the first has the BOM and the header; an item too
           large for one reply is not in any page, only named (docs/services/rectify.md) */
        json_t *after = NULL;
        json_t *too_large = json_array ();
        for (;;) {
            json_t *data = json_pack ("{s:s, s:i}", "list", list, "limit", 500);
            if (ctl_opt (argc, argv, "--round"))
                json_object_set_new (data, "round", json_string (ctl_opt (argc, argv, "--round")));
            if (ctl_opt (argc, argv, "--unit"))
                json_object_set_new (data, "unit", json_string (ctl_opt (argc, argv, "--unit")));
            if (after)
                json_object_set (data, "after", after);
            json_t *page = ctl_call (ctl, "rectify", "rectify.export", data, &rc, NULL);
            if (!page)
                break;
            xc_buf_puts (&b, json_string_value (json_object_get (page, "csv")));
            if (b.failed)
                rc = CTL_LOCAL;
            rows += json_integer_value (json_object_get (page, "rows"));
            json_array_extend (too_large, json_object_get (page, "too_large"));
            json_decref (after);
            after = json_incref (json_object_get (page, "next"));
            json_decref (page);
            if (rc != CTL_OK || !after || json_is_null (after))
                break;
        }
        json_decref (after);
        size_t i;
        json_t *item;
        json_array_foreach (too_large, i, item)
            fprintf (stderr, "xcctl: item %lld is too large for one reply and is not in '%s';"
                             " read it with: xcctl rectify get --item %lld\n",
                     (long long) json_integer_value (item), out, (long long) json_integer_value (item));
        json_decref (too_large);
    }
    if (rc == CTL_OK && ctl_write_file (out, b.data ? b.data : "", b.len) != 0) {
        fprintf (stderr, "xcctl: unable to write '%s'\n", out);
        rc = CTL_LOCAL;
    }
    if (rc == CTL_OK && !ctl->json)
        printf ("wrote %lld rows to %s\n", rows, out);
    xc_buf_free (&b);
    return rc;
}

/*  Splits one CSV line (no line breaks inside fields: unit rows have none) into at most max
    fields; quotes are honoured. Returns the count, or -1 for an unclosed quote. */
static int
s_split (char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        fields[n++] = p;
        if (*p == '"') {
            char *r = p + 1;
            for (;;) {
                if (!*r)
                    return -1;
                if (*r == '"' && r[1] == '"') {
                    *out++ = '"';
                    r += 2;
                }
                else if (*r == '"') {
                    r++;
                    break;
                }
                else
                    *out++ = *r++;
            }
            p = r;
        }
        else
            while (*p && *p != ',')
                *out++ = *p++;
        char next = *p;
        *out = 0;
        if (next != ',')
            break;
        p++;
    }
    return n;
}

int
ctl_import (ctl_t *ctl, int argc, char **argv)
{
    if (argc >= 1 && strcmp (argv[0], "round") == 0)
        return ctl_import_round (ctl, argc - 1, argv + 1);
    if (argc != 2 || strcmp (argv[0], "units") != 0) {
        fprintf (stderr, "usage: xcctl import units FILE.csv   (columns: id,name,level,parent; a header line first)\n"
                         "       xcctl import round --rounds 轮次.csv [--targets 被巡察单位.csv] [--problems 问题.csv]"
                         " [--leads 线索处置.csv] [--people 处理人员.csv] [--reports 专题报告.csv] [--check]\n");
        return CTL_USAGE;
    }
    FILE *f = fopen (argv[1], "rb");
    if (!f) {
        fprintf (stderr, "xcctl: unable to read '%s'\n", argv[1]);
        return CTL_LOCAL;
    }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK) {
        fclose (f);
        return rc;
    }
    char line[8192];
    long line_no = 0, done = 0, bad = 0;
    while (fgets (line, sizeof line, f)) {
        line_no++;
        size_t len = strlen (line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            fprintf (stderr, "line %ld: longer than %zu bytes\n", line_no, sizeof line - 2);
            bad++;
            int c;
            while ((c = fgetc (f)) != EOF && c != '\n')
                ;
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        char *text = line;
        if (line_no == 1 && strncmp (text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;               /* a spreadsheet's byte order mark */
        if (line_no == 1 || len == 0)
            continue;                /* the header; blank lines */
        char *fields[5] = { 0 };
        int n = s_split (text, fields, 5);
        if (n < 3 || n > 4 || !fields[0][0] || !fields[1][0] || !fields[2][0]) {
            fprintf (stderr, "line %ld: expected id,name,level[,parent]%s\n", line_no,
                     n < 0 ? " (a quote is not closed)" : "");
            bad++;
            continue;
        }
        json_t *data = json_pack ("{s:s, s:s, s:s}", "id", fields[0], "name", fields[1], "level", fields[2]);
        if (n == 4 && fields[3][0])
            json_object_set_new (data, "parent", json_string (fields[3]));
        if (!data) {
            fprintf (stderr, "line %ld: not UTF-8 text\n", line_no);
            bad++;
            continue;
        }
        fprintf (stderr, "line %ld: ", line_no);
        int code;
        json_t *r = ctl_call (ctl, "intake", "unit.register", data, &code, NULL);
        if (r)
            fprintf (stderr, "registered %s\n", fields[0]);
        done += r != NULL;
        bad += r == NULL;
        json_decref (r);
        if (code == CTL_DOWN) {
            fclose (f);
            return CTL_DOWN;
        }
    }
    fclose (f);
    printf ("%ld units registered, %ld rows refused\n", done, bad);
    return bad ? CTL_REFUSED : CTL_OK;
}
