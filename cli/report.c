/*  report.c: xcctl stats, one report across the services in the shape of the source
    document's summary (docs/xcctl.md names where each figure comes from). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/tools.h"

static long long
s_int (const json_t *o, const char *path)
{
    char copy[128];
    snprintf (copy, sizeof copy, "%s", path);
    const json_t *v = o;
    for (char *save = NULL, *k = strtok_r (copy, ".", &save); k && v; k = strtok_r (NULL, ".", &save))
        v = json_object_get (v, k);
    return json_integer_value (v);
}

/*  "9657万元" for 96570000000 fen (one decimal place kept when there is one, exact otherwise). */
static void
s_wan (long long fen, char *out, size_t size)
{
    long long yuan = fen / 100;
    if (yuan % 10000 == 0)
        snprintf (out, size, "%lld万元", yuan / 10000);
    else
        snprintf (out, size, "%lld.%02lld元", fen / 100, fen % 100);
}

static void
s_line (const char *label, const char *value)
{
    int pad = 44 - ctl_width (label);
    printf ("  %s%*s %s\n", label, pad > 0 ? pad : 0, "", value);
}

static void
s_line_int (const char *label, long long v)
{
    char text[32];
    snprintf (text, sizeof text, "%lld", v);
    s_line (label, text);
}

int
ctl_stats (ctl_t *ctl, int argc, char **argv)
{
    (void) argv;
    if (argc > 0) {
        fprintf (stderr, "usage: xcctl stats\n");
        return CTL_USAGE;
    }
    int rc = ctl_open (ctl);
    if (rc != CTL_OK)
        return rc;
    json_t *intake = ctl_call (ctl, "intake", "intake.stats", NULL, &rc, NULL);
    json_t *referral = intake ? ctl_call (ctl, "referral", "referral.stats", NULL, &rc, NULL) : NULL;
    json_t *rectify = referral ? ctl_call (ctl, "rectify", "rectify.stats", NULL, &rc, NULL) : NULL;
    if (!rectify) {
        json_decref (intake);
        json_decref (referral);
        return rc;
    }
    if (ctl->json) {
        json_t *all = json_pack ("{s:o, s:o, s:o}", "intake", intake, "referral", referral, "rectify", rectify);
        ctl_print (ctl, all);
        json_decref (all);
        return CTL_OK;
    }
    char text[160], a[64], b[64];
    printf ("巡察工作统计 (the source document's figures)\n");
    s_line_int ("发现问题 problems found", s_int (intake, "problems.total"));
    s_line_int ("移交问题线索 leads referred", s_int (referral, "leads"));
    s_line_int ("立案 cases filed", s_int (referral, "cases_filed"));
    s_line_int ("专题报告 special reports", s_int (referral, "reports"));
    s_line_int ("完善制度机制 institutional measures", s_int (rectify, "institutional_measures"));
    /* city-level units are inspected by the city's rounds; districts, towns and villages by the
       district rounds the city guides (docs/xcctl.md) */
    static const char *const city[] = { "city_department", "soe", "school", "hospital", "other", NULL };
    const json_t *levels = json_object_get (json_object_get (intake, "coverage"), "by_level_coverage");
    long long main = 0, extended = 0, district = 0, villages = 0;
    const char *level;
    json_t *cover;
    json_object_foreach ((json_t *) levels, level, cover) {
        bool is_city = false;
        for (int k = 0; city[k]; k++)
            is_city = is_city || strcmp (city[k], level) == 0;
        long long m = s_int (cover, "main"), e = s_int (cover, "extended");
        if (is_city) {
            main += m;
            extended += e;
        }
        else if (strcmp (level, "village") == 0)
            villages += m + e;
        else
            district += m + e;
    }
    snprintf (text, sizeof text, "%lld / %lld", main, extended);
    s_line ("市级巡察 city units: inspected / extended", text);
    snprintf (text, sizeof text, "%lld / %lld", district, villages);
    s_line ("县级巡察 district rounds: units / villages", text);
    s_line_int ("群众关切问题 public concerns resolved", s_int (rectify, "public_concerns_resolved"));
    s_wan (s_int (rectify, "money_recovered_fen"), a, sizeof a);
    s_wan (s_int (rectify, "money_written_off_fen"), b, sizeof b);
    snprintf (text, sizeof text, "%s / %s", a, b);
    s_line ("清缴/核销应收款 recovered / written off", text);
    const json_t *rate = json_object_get (json_object_get (rectify, "on_time"), "rate");
    snprintf (text, sizeof text, "%s%s (%lld of %lld due)", json_is_string (rate) ? json_string_value (rate) : "-",
              json_is_string (rate) ? "%" : "", s_int (rectify, "on_time.closed_on_time"), s_int (rectify, "on_time.due"));
    s_line ("整改按期报结率 on-time closure rate", text);
    rate = json_object_get (json_object_get (rectify, "completion"), "rate");
    snprintf (text, sizeof text, "%s%s (%lld of %lld)", json_is_string (rate) ? json_string_value (rate) : "-",
              json_is_string (rate) ? "%" : "", s_int (rectify, "completion.completed"), s_int (rectify, "completion.items"));
    s_line ("整改完成率 completion rate", text);
    s_line_int ("立行立改 immediate fixes", s_int (rectify, "immediate.closed"));
    s_line_int ("约谈 interviews recommended", s_int (rectify, "interviews_recommended"));
    snprintf (text, sizeof text, "%lld items, %lld referrals", s_int (rectify, "overdue_now"), s_int (referral, "overdue_now"));
    s_line ("逾期 overdue now", text);
    json_decref (intake);
    json_decref (referral);
    json_decref (rectify);
    return CTL_OK;
}
