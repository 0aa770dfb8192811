/*  System test: the real xc-intake binary, real sockets, a real SQLite file.

    Written from docs/services/intake.md: every command and query with its result and its
    events, every role refusal of the role table (each with its code, and nothing stored:
    events head, inbox rows and the object itself unchanged), the stage order, the rules of
    round kinds, merging, classification and its deferred feedback, the report deadline once
    across a restart, the reporter's identity encrypted at rest and shown to the office only,
    Chinese text kept byte for byte, events.read visibility, and intake.stats on a scenario
    counted by hand.

    Dates: the shared deployment is never moved in time, so rounds there are dated relative to
    today (a withdrawal 3 days ago is not overdue); the report deadline and the statistics run
    in deployments of their own.
*/
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/calendar.h"
#include "common/clock.h"
#include "common/codec.h"
#include "tests/harness.h"
#include "tests/system/fixture.h"

static fx_t fx;
static xc_client_t *client;

#define UTC_OFFSET (8 * 3600)        /* the fixture's deployment is at +08:00 */

/* ------------------------------------------------------------------ calls */

/*  Sends type with data (stolen) signed by iss (fx_send). */
static json_t *
s_send (const char *iss, const char *type, json_t *data, xc_code_t *code_p, char *text,
        size_t text_size, char *status)
{
    return fx_send (&fx, client, iss, type, data, code_p, text, text_size, status);
}

/*  An accepted command or an answered query: its result (caller owns; an empty object after a
    failed check, so a test goes on). */
static json_t *
s_ok (int line, const char *iss, const char *type, json_t *data)
{
    xc_code_t code;
    char text[512];
    json_t *out = s_send (iss, type, data, &code, text, sizeof text, NULL);
    if (!out) {
        FX_FAIL_AT (line, "%s as %s: %s (%s), expected success", type, iss, xc_code_name (code), text);
        out = json_object ();
    }
    return out;
}
#define OK(iss, type, data) s_ok (__LINE__, iss, type, data)

/*  The code a call gets (XC_OK when it succeeds). */
static xc_code_t
s_code (const char *iss, const char *type, json_t *data)
{
    xc_code_t code;
    json_decref (s_send (iss, type, data, &code, NULL, 0, NULL));
    return code;
}

/* ------------------------------------------------------------------ events */

/*  Every events.read entry after seq `after`, read by iss (caller owns; NULL when refused). */
static json_t *
s_events (const char *iss, int64_t after)
{
    return fx_events (&fx, client, iss, after, 50);
}

/*  The data of every event of type appended after seq `after` (office's view), in order
    (caller owns). */
static json_t *
s_events_of (int64_t after, const char *type)
{
    return fx_events_of (&fx, client, after, type, 50, false);
}

/*  The types of the events after seq `after`, joined by spaces (what a test expects to see). */
static void
s_types_after (int64_t after, char *out, size_t size)
{
    fx_event_types (&fx, client, after, 50, out, size);
}

/* ------------------------------------------------------------------ nothing stored */

/*  A call refused with its code, and nothing stored: the events head, the inbox and the
    outbox as they were. */
static void
s_refused (int line, xc_code_t want, const char *iss, const char *type, json_t *data)
{
    char why[1024];
    if (fx_refused (&fx, client, want, iss, type, data, why, sizeof why) != 0)
        FX_FAIL_AT (line, "%s", why);
}
#define REFUSED(code, iss, type, data) s_refused (__LINE__, code, iss, type, data)

/* ------------------------------------------------------------------ scenario helpers */

/*  Today + offset days at +08:00 on the wall clock (the shared deployment's clock). */
static void
s_day (int offset, char *out)
{
    xc_date_format (xc_date_of_time (xc_clock_wall (), UTC_OFFSET) + offset, out);
}

static void
s_unit (int line, const char *id, const char *name, const char *level, const char *parent)
{
    json_t *data = json_pack ("{s:s, s:s, s:s}", "id", id, "name", name, "level", level);
    if (parent)
        json_object_set_new (data, "parent", json_string (parent));
    json_decref (s_ok (line, "office", "unit.register", data));
}
#define UNIT(id, name, level, parent) s_unit (__LINE__, id, name, level, parent)

/*  Targets from a list "unit:coverage unit:coverage ..." (coverage m or e). */
static json_t *
s_targets (const char *list)
{
    json_t *targets = json_array ();
    char copy[1024];
    snprintf (copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *t = strtok_r (copy, " ", &save); t; t = strtok_r (NULL, " ", &save)) {
        char *colon = strrchr (t, ':');
        const char *coverage = "main";
        if (colon && (strcmp (colon, ":e") == 0 || strcmp (colon, ":m") == 0)) {
            coverage = colon[1] == 'e' ? "extended" : "main";
            *colon = 0;
        }
        json_array_append_new (targets, json_pack ("{s:s, s:s}", "unit", t, "coverage", coverage));
    }
    return targets;
}

/*  The data of a round.open, opened 60 days ago. */
static json_t *
s_round_data (const char *id, const char *kind, const char *team, const char *targets)
{
    char opened[XC_DATE_LEN + 1], start[XC_DATE_LEN + 1], end[XC_DATE_LEN + 1];
    s_day (-60, opened);
    s_day (-55, start);
    s_day (-5, end);
    return json_pack ("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "id", id, "name", "第一轮巡察",
                      "kind", kind, "team", team, "targets", s_targets (targets),
                      "planned_start", start, "planned_end", end, "date", opened);
}

/*  The stages after planned, and the day (relative to today) each is reached on. */
static const struct {
    const char *stage;
    int day;
} s_stage_days[] = {
    { "stationed", -50 }, { "withdrawn", -3 }, { "reported", -2 }, { "feedback_delivered", -1 },
    { "rectifying", 0 }, { "rectification_reported", 0 }, { "evaluated", 0 }, { "closed", 0 },
};
#define N_STAGE_DAYS ((int) (sizeof s_stage_days / sizeof s_stage_days[0]))

/*  Advances a round from its stage to stage, each step on its day of s_stage_days. */
static void
s_advance_to (int line, const char *round, const char *from, const char *to)
{
    bool on = strcmp (from, "planned") == 0;
    for (int i = 0; i < N_STAGE_DAYS; i++) {
        if (!on) {
            on = strcmp (s_stage_days[i].stage, from) == 0;
            continue;
        }
        char date[XC_DATE_LEN + 1];
        s_day (s_stage_days[i].day, date);
        json_decref (s_ok (line, "office", "round.advance",
                           json_pack ("{s:s, s:s, s:s}", "round", round, "stage",
                                      s_stage_days[i].stage, "date", date)));
        if (strcmp (s_stage_days[i].stage, to) == 0)
            return;
    }
}

/*  Opens a regular round of team on targets and advances it to stage. */
static void
s_round (int line, const char *id, const char *team, const char *targets, const char *stage)
{
    json_decref (s_ok (line, "office", "round.open", s_round_data (id, "regular", team, targets)));
    if (strcmp (stage, "planned") != 0)
        s_advance_to (line, id, "planned", stage);
}
#define ROUND(id, team, targets, stage) s_round (__LINE__, id, team, targets, stage)

static const char *
s_source_of (const char *iss)
{
    return strncmp (iss, "team-", 5) == 0          ? "inspection_team"
           : strcmp (iss, "petition-bureau") == 0 ? "petition"
           : strcmp (iss, "audit-bureau") == 0    ? "audit"
           : strcmp (iss, "public-channel") == 0  ? "public"
                                                  : "none";
}

/*  The data of a problem.report by iss (its own source), category political, severity
    general; round may be NULL. */
static json_t *
s_report_data (const char *iss, const char *round, const char *unit, const char *summary)
{
    json_t *data = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "unit", unit, "category", "political",
                              "summary", summary, "detail", "详细情况：见附件。", "severity", "general",
                              "source", s_source_of (iss));
    if (round)
        json_object_set_new (data, "round", json_string (round));
    return data;
}

/*  Reports and returns the problem's id (0 after a failed check). */
static json_int_t
s_report (int line, const char *iss, json_t *data)
{
    json_t *r = s_ok (line, iss, "problem.report", data);
    json_int_t id = json_integer_value (json_object_get (r, "problem"));
    if (id <= 0)
        FX_FAIL_AT (line, "problem.report as %s gave no problem id", iss);
    json_decref (r);
    return id;
}
#define REPORT(iss, round, unit, summary) s_report (__LINE__, iss, s_report_data (iss, round, unit, summary))

/*  A report through the public channel (public.report, as the gateway's principal sends it,
    with a random code_hash), into an open round on one of its targets: the problem's id. */
static json_int_t
s_public_report (int line, const char *round, const char *unit, const char *text)
{
    unsigned char hash[32];
    randombytes_buf (hash, sizeof hash);
    char *code_hash = xc_b64url_encode (hash, sizeof hash);
    json_t *r = s_ok (line, "public-channel", "public.report",
                      json_pack ("{s:s, s:s, s:s, s:s}", "round", round, "unit", unit, "text", text,
                                 "code_hash", code_hash));
    free (code_hash);
    json_int_t id = json_integer_value (json_object_get (r, "problem"));
    if (id <= 0)
        FX_FAIL_AT (line, "public.report gave no problem id");
    json_decref (r);
    return id;
}
#define PUBLIC_REPORT(round, unit, text) s_public_report (__LINE__, round, unit, text)

static json_t *
s_problem_get (const char *iss, json_int_t id, xc_code_t *code_p)
{
    char text[256];
    return s_send (iss, "problem.get", json_pack ("{s:I}", "problem", id), code_p, text,
                   sizeof text, NULL);
}

/*  Whether a list query's items (paged through) hold one whose member key equals value (a
    string, or an integer when value is NULL and number is given). */
static bool
s_listed (const char *iss, const char *type, json_t *filters, const char *key, const char *value,
          json_int_t number)
{
    bool found = false;
    json_t *after = NULL;
    for (int page = 0; page < 100 && !found; page++) {
        json_t *data = json_deep_copy (filters);
        if (after)
            json_object_set (data, "after", after);
        json_t *r = OK (iss, type, data);
        size_t i;
        json_t *item;
        json_array_foreach (json_object_get (r, "items"), i, item) {
            json_t *v = json_object_get (item, key);
            if (value ? json_is_string (v) && strcmp (json_string_value (v), value) == 0
                      : json_is_integer (v) && json_integer_value (v) == number)
                found = true;
        }
        json_decref (after);
        after = json_incref (json_object_get (r, "next"));
        json_decref (r);
        if (!after || json_is_null (after))
            break;
    }
    json_decref (after);
    json_decref (filters);
    return found;
}

/* ------------------------------------------------------------------ units */

static void
test_unit_register_get_list (void)
{
    int64_t head = fx_head (&fx, client);
    json_t *r = OK ("office", "unit.register",
                    json_pack ("{s:s, s:s, s:s}", "id", "U1-district", "name", "云溪区", "level", "district"));
    CHECK_STR (json_string_value (json_object_get (r, "unit")), "U1-district");
    json_decref (r);
    r = OK ("office", "unit.register",
            json_pack ("{s:s, s:s, s:s, s:s}", "id", "U1-town", "name", "青石镇", "level", "town",
                       "parent", "U1-district"));
    CHECK_STR (json_string_value (json_object_get (r, "unit")), "U1-town");
    json_decref (r);
    UNIT ("U1-v1", "桃花村", "village", "U1-town");
    UNIT ("U1-v2", "李家村社区", "village", "U1-town");

    json_t *events = s_events_of (head, "unit.registered");
    CHECK_INT (json_array_size (events), 4);
    json_t *unit = json_object_get (json_array_get (events, 1), "unit");
    CHECK_STR (json_string_value (json_object_get (unit, "id")), "U1-town");
    CHECK_STR (json_string_value (json_object_get (unit, "name")), "青石镇");
    CHECK_STR (json_string_value (json_object_get (unit, "level")), "town");
    CHECK_STR (json_string_value (json_object_get (unit, "parent")), "U1-district");
    unit = json_object_get (json_array_get (events, 0), "unit");
    CHECK (json_is_null (json_object_get (unit, "parent")) || !json_object_get (unit, "parent"));
    json_decref (events);

    /* the roles that read units (not the public channel: it reads nothing but public.*) */
    CHECK_INT (s_code ("public-channel", "unit.get", json_pack ("{s:s}", "unit", "U1-v1")), XC_E_FORBIDDEN);
    const char *readers[] = { "office", "team-1", "petition-bureau", "audit-bureau", "rectify" };
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
        r = OK (readers[i], "unit.get", json_pack ("{s:s}", "unit", "U1-v1"));
        CHECK_STR (json_string_value (json_object_get (r, "id")), "U1-v1");
        CHECK_STR (json_string_value (json_object_get (r, "name")), "桃花村");
        CHECK_STR (json_string_value (json_object_get (r, "level")), "village");
        CHECK_STR (json_string_value (json_object_get (r, "parent")), "U1-town");
        json_decref (r);
        CHECK (s_listed (readers[i], "unit.list", json_pack ("{s:s}", "parent", "U1-town"), "id",
                         "U1-v2", 0));
    }
    CHECK_INT (s_code ("office", "unit.get", json_pack ("{s:s}", "unit", "U1-none")), XC_E_NOT_FOUND);

    /* filters and pages of one */
    r = OK ("office", "unit.list", json_pack ("{s:s, s:i}", "parent", "U1-town", "limit", 1));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (r, "items"), 0), "id")),
               "U1-v1");
    CHECK_STR (json_string_value (json_object_get (r, "next")), "U1-v1");
    json_decref (r);
    r = OK ("office", "unit.list", json_pack ("{s:s, s:s, s:i}", "parent", "U1-town", "after", "U1-v1",
                                             "limit", 1));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (r, "items"), 0), "id")),
               "U1-v2");
    json_decref (r);
    r = OK ("office", "unit.list", json_pack ("{s:s, s:s, s:i}", "parent", "U1-town", "after", "U1-v2",
                                             "limit", 1));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 0);
    CHECK (json_is_null (json_object_get (r, "next")));
    json_decref (r);
    CHECK (s_listed ("office", "unit.list", json_pack ("{s:s}", "level", "district"), "id", "U1-district", 0));
    CHECK (!s_listed ("office", "unit.list", json_pack ("{s:s}", "level", "village"), "id", "U1-district", 0));
}

static void
test_unit_register_refusals (void)
{
    UNIT ("U2-a", "甲单位", "soe", NULL);
    /* an id registered before */
    REFUSED (XC_E_CONFLICT, "office", "unit.register",
             json_pack ("{s:s, s:s, s:s}", "id", "U2-a", "name", "另一个", "level", "school"));
    json_t *r = OK ("office", "unit.get", json_pack ("{s:s}", "unit", "U2-a"));
    CHECK_STR (json_string_value (json_object_get (r, "name")), "甲单位");
    json_decref (r);
    /* a parent that does not exist */
    REFUSED (XC_E_NOT_FOUND, "office", "unit.register",
             json_pack ("{s:s, s:s, s:s, s:s}", "id", "U2-b", "name", "乙", "level", "village",
                        "parent", "U2-nowhere"));
    /* not a level, not an id, a name too long */
    REFUSED (XC_E_SCHEMA, "office", "unit.register",
             json_pack ("{s:s, s:s, s:s}", "id", "U2-b", "name", "乙", "level", "province"));
    REFUSED (XC_E_SCHEMA, "office", "unit.register",
             json_pack ("{s:s, s:s, s:s}", "id", "U2 b", "name", "乙", "level", "village"));
    char long_name[260];
    memset (long_name, 'x', 201);
    long_name[201] = 0;
    REFUSED (XC_E_SCHEMA, "office", "unit.register",
             json_pack ("{s:s, s:s, s:s}", "id", "U2-b", "name", long_name, "level", "village"));
    CHECK_INT (s_code ("office", "unit.get", json_pack ("{s:s}", "unit", "U2-b")), XC_E_NOT_FOUND);
}

/* ------------------------------------------------------------------ rounds */

static void
test_round_open_get_list (void)
{
    UNIT ("U3-a", "市财政局", "city_department", NULL);
    UNIT ("U3-b", "市教育局", "city_department", NULL);
    UNIT ("U3-c", "东山村", "village", NULL);
    int64_t head = fx_head (&fx, client);
    json_t *data = s_round_data ("R3", "regular", "team-1", "U3-a:m U3-b:m U3-c:e");
    json_object_set_new (data, "modes", json_pack ("[s, s]", "elevated", "cross"));
    json_t *r = OK ("office", "round.open", data);
    CHECK_STR (json_string_value (json_object_get (r, "round")), "R3");
    json_decref (r);
    char opened[XC_DATE_LEN + 1], start[XC_DATE_LEN + 1], end[XC_DATE_LEN + 1];
    s_day (-60, opened);
    s_day (-55, start);
    s_day (-5, end);

    /* round.opened carries the whole round */
    json_t *events = s_events_of (head, "round.opened");
    CHECK_INT (json_array_size (events), 1);
    json_t *round = json_object_get (json_array_get (events, 0), "round");
    CHECK_STR (json_string_value (json_object_get (round, "id")), "R3");
    CHECK_STR (json_string_value (json_object_get (round, "name")), "第一轮巡察");
    CHECK_STR (json_string_value (json_object_get (round, "kind")), "regular");
    CHECK_STR (json_string_value (json_object_get (round, "team")), "team-1");
    CHECK_STR (json_string_value (json_object_get (round, "stage")), "planned");
    CHECK_STR (json_string_value (json_object_get (round, "planned_start")), start);
    CHECK_STR (json_string_value (json_object_get (round, "planned_end")), end);
    CHECK_INT (json_array_size (json_object_get (round, "targets")), 3);
    CHECK_INT (json_array_size (json_object_get (round, "modes")), 2);
    json_decref (events);

    /* round.get: the office, the round's own team, a service */
    const char *readers[] = { "office", "team-1", "referral" };
    for (size_t i = 0; i < 3; i++) {
        r = OK (readers[i], "round.get", json_pack ("{s:s}", "round", "R3"));
        CHECK_STR (json_string_value (json_object_get (r, "id")), "R3");
        CHECK_STR (json_string_value (json_object_get (r, "stage")), "planned");
        json_t *targets = json_object_get (r, "targets");
        CHECK_INT (json_array_size (targets), 3);
        int extended = 0, main_ = 0;
        size_t k;
        json_t *t;
        json_array_foreach (targets, k, t) {
            const char *unit = json_string_value (json_object_get (t, "unit"));
            const char *coverage = json_string_value (json_object_get (t, "coverage"));
            extended += unit && coverage && strcmp (unit, "U3-c") == 0 && strcmp (coverage, "extended") == 0;
            main_ += coverage && strcmp (coverage, "main") == 0;
        }
        CHECK_INT (extended, 1);
        CHECK_INT (main_, 2);
        /* the stage dates: planned on the day it was opened */
        json_t *stages = json_object_get (r, "stages");
        CHECK_INT (json_array_size (stages), 1);
        CHECK_STR (json_string_value (json_object_get (json_array_get (stages, 0), "stage")), "planned");
        CHECK_STR (json_string_value (json_object_get (json_array_get (stages, 0), "date")), opened);
        json_decref (r);
    }
    /* another team does not see it; the reporting roles may not read rounds */
    CHECK_INT (s_code ("team-2", "round.get", json_pack ("{s:s}", "round", "R3")), XC_E_NOT_FOUND);
    CHECK (!s_listed ("team-2", "round.list", json_object (), "id", "R3", 0));
    CHECK (s_listed ("team-1", "round.list", json_object (), "id", "R3", 0));
    CHECK_INT (s_code ("petition-bureau", "round.get", json_pack ("{s:s}", "round", "R3")), XC_E_FORBIDDEN);
    CHECK_INT (s_code ("public-channel", "round.list", json_object ()), XC_E_FORBIDDEN);
    CHECK_INT (s_code ("office", "round.get", json_pack ("{s:s}", "round", "R3-none")), XC_E_NOT_FOUND);

    /* without a date, the round is opened today (the service's clock, +08:00) */
    char before_day[XC_DATE_LEN + 1], after_day[XC_DATE_LEN + 1];
    s_day (0, before_day);
    data = s_round_data ("R3-today", "regular", "team-2", "U3-a");
    json_object_del (data, "date");
    json_decref (OK ("office", "round.open", data));
    s_day (0, after_day);
    r = OK ("office", "round.get", json_pack ("{s:s}", "round", "R3-today"));
    const char *on = json_string_value (json_object_get (json_array_get (json_object_get (r, "stages"), 0), "date"));
    CHECK (on && (strcmp (on, before_day) == 0 || strcmp (on, after_day) == 0));
    json_decref (r);

    /* round.list filters */
    CHECK (s_listed ("office", "round.list", json_pack ("{s:s}", "stage", "planned"), "id", "R3", 0));
    CHECK (!s_listed ("office", "round.list", json_pack ("{s:s}", "stage", "stationed"), "id", "R3", 0));
    CHECK (s_listed ("rectify", "round.list", json_pack ("{s:s}", "kind", "regular"), "id", "R3", 0));
    CHECK (!s_listed ("office", "round.list", json_pack ("{s:s}", "kind", "special"), "id", "R3", 0));
}

static void
test_round_open_refusals (void)
{
    UNIT ("U4-a", "市审计局", "city_department", NULL);
    ROUND ("R4", "team-1", "U4-a", "planned");
    /* an id used before */
    REFUSED (XC_E_CONFLICT, "office", "round.open", s_round_data ("R4", "regular", "team-2", "U4-a"));
    json_t *r = OK ("office", "round.get", json_pack ("{s:s}", "round", "R4"));
    CHECK_STR (json_string_value (json_object_get (r, "team")), "team-1");
    json_decref (r);
    /* a target that is not a unit */
    REFUSED (XC_E_NOT_FOUND, "office", "round.open", s_round_data ("R4-b", "regular", "team-1", "U4-a U4-none"));
    /* no targets, a unit twice, the end before the start, a mode twice */
    json_t *data = s_round_data ("R4-b", "regular", "team-1", "U4-a");
    json_object_set_new (data, "targets", json_array ());
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    REFUSED (XC_E_SCHEMA, "office", "round.open", s_round_data ("R4-b", "regular", "team-1", "U4-a:m U4-a:e"));
    data = s_round_data ("R4-b", "regular", "team-1", "U4-a");
    json_object_set (data, "planned_end", json_object_get (data, "date"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_round_data ("R4-b", "regular", "team-1", "U4-a");
    json_object_set_new (data, "modes", json_pack ("[s, s]", "cross", "cross"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_round_data ("R4-b", "regular", "team-1", "U4-a");
    json_object_set_new (data, "kind", json_string ("annual"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    /* only the office opens rounds */
    REFUSED (XC_E_FORBIDDEN, "team-1", "round.open", s_round_data ("R4-b", "regular", "team-1", "U4-a"));
    REFUSED (XC_E_FORBIDDEN, "rectify", "round.open", s_round_data ("R4-b", "regular", "team-1", "U4-a"));
    CHECK_INT (s_code ("office", "round.get", json_pack ("{s:s}", "round", "R4-b")), XC_E_NOT_FOUND);
    CHECK (!s_listed ("office", "round.list", json_object (), "id", "R4-b", 0));
}

/*  The rules of kinds and modes: special needs a theme, look-back a prior round that exists,
    audit_linked an audit reference; and none of them elsewhere. */
static void
test_round_kinds_and_modes (void)
{
    UNIT ("U5-a", "市卫健委", "city_department", NULL);
    /* special: without a theme refused, with one accepted; a theme elsewhere refused */
    REFUSED (XC_E_SCHEMA, "office", "round.open", s_round_data ("R5-s", "special", "team-1", "U5-a"));
    json_t *data = s_round_data ("R5-r", "regular", "team-1", "U5-a");
    json_object_set_new (data, "theme", json_string ("乡村振兴"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_round_data ("R5-s", "special", "team-1", "U5-a");
    json_object_set_new (data, "theme", json_string ("乡村振兴专项巡察"));
    json_decref (OK ("office", "round.open", data));
    json_t *r = OK ("office", "round.get", json_pack ("{s:s}", "round", "R5-s"));
    CHECK_STR (json_string_value (json_object_get (r, "theme")), "乡村振兴专项巡察");
    CHECK_STR (json_string_value (json_object_get (r, "kind")), "special");
    json_decref (r);

    /* look-back: without a prior round refused, with one that does not exist not_found */
    REFUSED (XC_E_SCHEMA, "office", "round.open", s_round_data ("R5-l", "lookback", "team-1", "U5-a"));
    data = s_round_data ("R5-l", "lookback", "team-1", "U5-a");
    json_object_set_new (data, "prior_round", json_string ("R5-never"));
    REFUSED (XC_E_NOT_FOUND, "office", "round.open", data);
    data = s_round_data ("R5-r", "regular", "team-1", "U5-a");
    json_object_set_new (data, "prior_round", json_string ("R5-s"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_round_data ("R5-l", "lookback", "team-1", "U5-a");
    json_object_set_new (data, "prior_round", json_string ("R5-s"));
    json_decref (OK ("office", "round.open", data));
    r = OK ("office", "round.get", json_pack ("{s:s}", "round", "R5-l"));
    CHECK_STR (json_string_value (json_object_get (r, "prior_round")), "R5-s");
    json_decref (r);

    /* audit_linked: without audit_ref refused; audit_ref without the mode refused */
    data = s_round_data ("R5-a", "mobile", "team-1", "U5-a");
    json_object_set_new (data, "modes", json_pack ("[s]", "audit_linked"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_round_data ("R5-a", "mobile", "team-1", "U5-a");
    json_object_set_new (data, "audit_ref", json_string ("审计报告〔2026〕12号"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_round_data ("R5-a", "mobile", "team-1", "U5-a");
    json_object_set_new (data, "modes", json_pack ("[s, s]", "linked", "audit_linked"));
    json_object_set_new (data, "audit_ref", json_string ("审计报告〔2026〕12号"));
    json_decref (OK ("office", "round.open", data));
    r = OK ("office", "round.get", json_pack ("{s:s}", "round", "R5-a"));
    CHECK_STR (json_string_value (json_object_get (r, "audit_ref")), "审计报告〔2026〕12号");
    CHECK_STR (json_string_value (json_object_get (r, "kind")), "mobile");
    json_decref (r);
    CHECK (!s_listed ("office", "round.list", json_object (), "id", "R5-r", 0));
}

/*  planned -> stationed -> ... -> closed, one step at a time, dates never going back. */
static void
test_round_stage_order (void)
{
    UNIT ("U6-a", "市水务局", "city_department", NULL);
    ROUND ("R6", "team-2", "U6-a", "planned");
    /* recent dates: a round withdrawn here must not be overdue (report_due 30 days) */
    char stationed_on[XC_DATE_LEN + 1], day_before[XC_DATE_LEN + 1], later[XC_DATE_LEN + 1];
    char before_opening[XC_DATE_LEN + 1];
    s_day (-4, stationed_on);
    s_day (-5, day_before);
    s_day (-3, later);
    s_day (-61, before_opening);
    /* skipping a stage; a date before the opening day */
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "withdrawn", "date", stationed_on));
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "stationed", "date", before_opening));
    int64_t head = fx_head (&fx, client);
    json_t *r = OK ("office", "round.advance",
                    json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "stationed", "date", stationed_on));
    CHECK_STR (json_string_value (json_object_get (r, "round")), "R6");
    CHECK_STR (json_string_value (json_object_get (r, "stage")), "stationed");
    json_decref (r);
    json_t *events = s_events_of (head, "round.advanced");
    CHECK_INT (json_array_size (events), 1);
    json_t *e = json_array_get (events, 0);
    CHECK_STR (json_string_value (json_object_get (e, "round")), "R6");
    CHECK_STR (json_string_value (json_object_get (e, "stage")), "stationed");
    CHECK_STR (json_string_value (json_object_get (e, "date")), stationed_on);
    json_decref (events);

    /* going back, staying, skipping, a date before the previous stage's date */
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "planned", "date", later));
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "stationed", "date", later));
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "reported", "date", later));
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "withdrawn", "date", day_before));
    /* the same day as the previous stage is not before it */
    json_decref (OK ("office", "round.advance",
                     json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "withdrawn", "date", stationed_on)));
    /* no such round, not a stage, not a date, not the office */
    REFUSED (XC_E_NOT_FOUND, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6-none", "stage", "stationed", "date", later));
    REFUSED (XC_E_SCHEMA, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "finished", "date", later));
    REFUSED (XC_E_SCHEMA, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "reported", "date", "2026-02-30"));
    REFUSED (XC_E_FORBIDDEN, "team-2", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "reported", "date", later));

    /* on to closed, each stage's date kept */
    s_advance_to (__LINE__, "R6", "withdrawn", "closed");
    r = OK ("office", "round.get", json_pack ("{s:s}", "round", "R6"));
    CHECK_STR (json_string_value (json_object_get (r, "stage")), "closed");
    json_t *stages = json_object_get (r, "stages");
    CHECK_INT (json_array_size (stages), 9);
    const char *order[] = { "planned", "stationed", "withdrawn", "reported", "feedback_delivered",
                            "rectifying", "rectification_reported", "evaluated", "closed" };
    for (size_t i = 0; i < 9 && i < json_array_size (stages); i++)
        CHECK_STR (json_string_value (json_object_get (json_array_get (stages, i), "stage")), order[i]);
    CHECK_STR (json_string_value (json_object_get (json_array_get (stages, 2), "date")), stationed_on);
    json_decref (r);
    char today[XC_DATE_LEN + 1];
    s_day (0, today);
    REFUSED (XC_E_CONFLICT, "office", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "planned", "date", today));
}

/* ------------------------------------------------------------------ problems */

/*  The problem of a problem.recorded event's data: {"problem": {...}}, or the problem itself. */
static const json_t *
s_recorded_problem (const json_t *data)
{
    const json_t *p = json_object_get (data, "problem");
    return json_is_object (p) ? p : data;
}

/*  Each reporting role with its own source; the result, the event, the read-back. */
static void
test_problem_report_each_source (void)
{
    UNIT ("U7-a", "市住建局", "city_department", NULL);
    UNIT ("U7-b", "市交通局", "city_department", NULL);
    ROUND ("R7", "team-1", "U7-a U7-b:e", "stationed");
    int64_t head = fx_head (&fx, client);

    /* a team into its own stationed round, with evidence */
    json_t *data = s_report_data ("team-1", "R7", "U7-a", "工程招投标不规范");
    json_object_set_new (data, "severity", json_string ("serious"));
    json_object_set_new (data, "immediate", json_true ());
    json_object_set_new (data, "evidence",
                         json_pack ("[{s:s, s:s}]", "file", "合同.pdf", "sha256",
                                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"));
    json_int_t team = s_report (__LINE__, "team-1", data);
    /* a petition without a round, audit into the round on a target, the public channel */
    json_int_t petition = REPORT ("petition-bureau", NULL, "U7-b", "信访反映违规收费");
    json_int_t audit = REPORT ("audit-bureau", "R7", "U7-b", "审计发现专项资金挪用");
    json_int_t public = PUBLIC_REPORT ("R7", "U7-a", "群众反映办事难");
    CHECK (team > 0 && petition > team && audit > petition && public > audit);

    char types[512];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "problem.recorded problem.recorded problem.recorded problem.recorded");
    json_t *events = s_events_of (head, "problem.recorded");
    CHECK_INT (json_array_size (events), 4);
    const json_t *p = s_recorded_problem (json_array_get (events, 0));
    CHECK_INT (json_integer_value (json_object_get (p, "id")), team);
    CHECK_STR (json_string_value (json_object_get (p, "round")), "R7");
    CHECK_STR (json_string_value (json_object_get (p, "unit")), "U7-a");
    CHECK_STR (json_string_value (json_object_get (p, "source")), "inspection_team");
    CHECK_STR (json_string_value (json_object_get (p, "severity")), "serious");
    CHECK_STR (json_string_value (json_object_get (p, "summary")), "工程招投标不规范");
    CHECK (json_is_true (json_object_get (p, "immediate")));
    CHECK (json_is_false (json_object_get (p, "has_reporter")));
    CHECK (!json_object_get (p, "reporter"));
    p = s_recorded_problem (json_array_get (events, 1));
    CHECK_INT (json_integer_value (json_object_get (p, "id")), petition);
    CHECK_STR (json_string_value (json_object_get (p, "source")), "petition");
    CHECK (json_is_null (json_object_get (p, "round")) || !json_object_get (p, "round"));
    CHECK (json_is_false (json_object_get (p, "immediate")));

    /* read back by the reporter: the event's problem is the stored one, member for member
       (the handler builds it from what it wrote, without reading it back) */
    json_t *r = OK ("team-1", "problem.get", json_pack ("{s:I}", "problem", team));
    /* problem.get's events (seq, type, hash of the problem's own events) are not the problem's */
    CHECK (json_is_array (json_object_get (r, "events")));
    json_object_del (r, "events");
    CHECK (json_equal (r, s_recorded_problem (json_array_get (events, 0))));
    json_t *r2 = OK ("office", "problem.get", json_pack ("{s:I}", "problem", petition));
    CHECK (json_array_size (json_object_get (r2, "events")) == 1);   /* its problem.recorded */
    json_object_del (r2, "events");
    CHECK (json_equal (r2, s_recorded_problem (json_array_get (events, 1))));
    json_decref (r2);
    json_decref (events);
    CHECK_INT (json_integer_value (json_object_get (r, "id")), team);
    CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
    CHECK_STR (json_string_value (json_object_get (r, "category")), "political");
    CHECK_STR (json_string_value (json_object_get (r, "detail")), "详细情况：见附件。");
    json_t *evidence = json_object_get (r, "evidence");
    CHECK_INT (json_array_size (evidence), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (evidence, 0), "file")), "合同.pdf");
    json_t *sources = json_object_get (r, "sources");
    CHECK_INT (json_array_size (sources), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (sources, 0), "source")), "inspection_team");
    CHECK_INT (json_array_size (json_object_get (r, "dispositions")), 0);
    json_decref (r);
    struct {
        const char *iss;
        json_int_t id;
        const char *source;
    } own[] = { { "petition-bureau", petition, "petition" }, { "audit-bureau", audit, "audit" },
                { "office", public, "public" } };
    for (size_t i = 0; i < 3; i++) {
        r = OK (own[i].iss, "problem.get", json_pack ("{s:I}", "problem", own[i].id));
        CHECK_STR (json_string_value (json_object_get (r, "source")), own[i].source);
        CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
        json_decref (r);
    }
    r = OK ("audit-bureau", "problem.get", json_pack ("{s:I}", "problem", audit));
    CHECK_STR (json_string_value (json_object_get (r, "round")), "R7");
    json_decref (r);
    /* the public channel's report: by its principal, read by the office, not by the channel */
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", public));
    CHECK_STR (json_string_value (json_object_get (r, "reported_by")), "public-channel");
    CHECK_STR (json_string_value (json_object_get (r, "summary")), "群众反映办事难");
    json_decref (r);
    CHECK_INT (s_code ("public-channel", "problem.get", json_pack ("{s:I}", "problem", public)), XC_E_FORBIDDEN);
}

/*  A retry of a report is the same report: one problem, one event, the first result. */
static void
test_problem_report_retry_is_one_problem (void)
{
    UNIT ("U8-a", "市民政局", "city_department", NULL);
    char id[XC_UUID_LEN + 1];
    json_t *data = s_report_data ("petition-bureau", NULL, "U8-a", "重复提交的信访件");
    char *text = json_dumps (data, JSON_COMPACT);
    json_decref (data);
    char *msg = text ? fx_seal (&fx, &fx.petition, "petition-bureau", "problem.report", text, id) : NULL;
    free (text);
    CHECK (msg != NULL);
    if (!msg)
        return;
    xc_msg_t *first = NULL, *second = NULL;
    xc_err_t err;
    CHECK (fx_call (&fx, client, "petition-bureau", msg, id, &first, &err) == 0);
    fx_snap_t after_first = fx_snap (&fx, client);
    CHECK (fx_call (&fx, client, "petition-bureau", msg, id, &second, &err) == 0);
    if (first && second) {
        CHECK_STR (json_string_value (json_object_get (first->data, "status")), "accepted");
        CHECK_STR (json_string_value (json_object_get (second->data, "status")), "duplicate");
        CHECK (json_equal (json_object_get (first->data, "result"), json_object_get (second->data, "result")));
    }
    fx_snap_t now = fx_snap (&fx, client);
    CHECK_INT (now.head, after_first.head);
    CHECK_INT (now.inbox, after_first.inbox);
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM problems WHERE summary = '重复提交的信访件'"), 1);
    xc_msg_destroy (&first);
    xc_msg_destroy (&second);
    free (msg);
}

/*  The report's own rules besides roles: category and severity of the policy, the unit and the
    round exist, a team names a round, a round named by another source has the unit. */
static void
test_problem_report_rules (void)
{
    UNIT ("U9-a", "市应急局", "city_department", NULL);
    UNIT ("U9-b", "市林业局", "city_department", NULL);
    ROUND ("R9", "team-1", "U9-a", "stationed");
    json_t *data = s_report_data ("petition-bureau", NULL, "U9-a", "R9 rules");
    json_object_set_new (data, "category", json_string ("weather"));
    REFUSED (XC_E_SCHEMA, "petition-bureau", "problem.report", data);
    data = s_report_data ("petition-bureau", NULL, "U9-a", "R9 rules");
    json_object_set_new (data, "severity", json_string ("minor"));
    REFUSED (XC_E_SCHEMA, "petition-bureau", "problem.report", data);
    REFUSED (XC_E_NOT_FOUND, "petition-bureau", "problem.report",
             s_report_data ("petition-bureau", NULL, "U9-none", "R9 rules"));
    REFUSED (XC_E_NOT_FOUND, "petition-bureau", "problem.report",
             s_report_data ("petition-bureau", "R9-none", "U9-a", "R9 rules"));
    REFUSED (XC_E_SCHEMA, "team-1", "problem.report", s_report_data ("team-1", NULL, "U9-a", "R9 rules"));
    /* another source naming a round on a unit that is not its target */
    REFUSED (XC_E_CONFLICT, "audit-bureau", "problem.report",
             s_report_data ("audit-bureau", "R9", "U9-b", "R9 rules"));
    data = s_report_data ("petition-bureau", NULL, "U9-a", "R9 rules");
    json_object_set_new (data, "evidence", json_pack ("[{s:s, s:s}]", "file", "a.jpg", "sha256", "not hex"));
    REFUSED (XC_E_SCHEMA, "petition-bureau", "problem.report", data);
    data = s_report_data ("petition-bureau", NULL, "U9-a", "R9 rules");
    json_object_set_new (data, "summary", json_string (""));
    REFUSED (XC_E_SCHEMA, "petition-bureau", "problem.report", data);
    data = s_report_data ("petition-bureau", NULL, "U9-a", "R9 rules");
    json_object_set_new (data, "reporter", json_pack ("{s:s}", "contact", "13800000000"));
    REFUSED (XC_E_SCHEMA, "petition-bureau", "problem.report", data);
    CHECK (!s_listed ("office", "problem.list", json_object (), "summary", "R9 rules", 0));
    CHECK_INT (fx_sql_int (&fx, "SELECT count(*) FROM problems WHERE summary = 'R9 rules'"), 0);
}

/* ------------------------------------------------------------------ role refusals */

static void
test_refused_petition_registers_unit (void)
{
    REFUSED (XC_E_FORBIDDEN, "petition-bureau", "unit.register",
             json_pack ("{s:s, s:s, s:s}", "id", "U10-p", "name", "信访局登记的单位", "level", "other"));
    CHECK_INT (s_code ("office", "unit.get", json_pack ("{s:s}", "unit", "U10-p")), XC_E_NOT_FOUND);
    CHECK (!s_listed ("office", "unit.list", json_object (), "id", "U10-p", 0));
    /* nor a team, a service, the public channel, the audit bureau */
    const char *others[] = { "team-1", "referral", "public-channel", "audit-bureau" };
    for (size_t i = 0; i < 4; i++)
        REFUSED (XC_E_FORBIDDEN, others[i], "unit.register",
                 json_pack ("{s:s, s:s, s:s}", "id", "U10-p", "name", "x", "level", "other"));
    CHECK_INT (s_code ("office", "unit.get", json_pack ("{s:s}", "unit", "U10-p")), XC_E_NOT_FOUND);
}

/*  Nothing of summary among the problems the office lists. */
static bool
s_no_problem (const char *summary)
{
    return !s_listed ("office", "problem.list", json_object (), "summary", summary, 0)
           && fx_sql_int (&fx, "SELECT count(*) FROM problems") >= 0;
}

static void
test_refused_team_into_another_teams_round (void)
{
    UNIT ("U11-a", "市商务局", "city_department", NULL);
    ROUND ("R11", "team-1", "U11-a", "stationed");
    REFUSED (XC_E_FORBIDDEN, "team-2", "problem.report",
             s_report_data ("team-2", "R11", "U11-a", "team-2 into R11"));
    CHECK (s_no_problem ("team-2 into R11"));
    CHECK (!s_listed ("team-1", "problem.list", json_pack ("{s:s}", "round", "R11"), "summary", "team-2 into R11", 0));
}

static void
test_refused_team_on_a_unit_not_a_target (void)
{
    UNIT ("U12-a", "市统计局", "city_department", NULL);
    UNIT ("U12-b", "市文旅局", "city_department", NULL);
    ROUND ("R12", "team-1", "U12-a", "stationed");
    REFUSED (XC_E_FORBIDDEN, "team-1", "problem.report",
             s_report_data ("team-1", "R12", "U12-b", "team-1 off target"));
    CHECK (s_no_problem ("team-1 off target"));
}

static void
test_refused_team_at_stage_planned (void)
{
    UNIT ("U13-a", "市医保局", "city_department", NULL);
    ROUND ("R13", "team-1", "U13-a", "planned");
    REFUSED (XC_E_FORBIDDEN, "team-1", "problem.report",
             s_report_data ("team-1", "R13", "U13-a", "team-1 while planned"));
    CHECK (s_no_problem ("team-1 while planned"));
    /* and after reported: feedback_delivered is past the team's stages */
    ROUND ("R13-f", "team-1", "U13-a", "feedback_delivered");
    REFUSED (XC_E_FORBIDDEN, "team-1", "problem.report",
             s_report_data ("team-1", "R13-f", "U13-a", "team-1 after reported"));
    CHECK (s_no_problem ("team-1 after reported"));
    /* withdrawn and reported are still the team's */
    ROUND ("R13-w", "team-1", "U13-a", "withdrawn");
    json_int_t w = REPORT ("team-1", "R13-w", "U13-a", "team-1 while withdrawn");
    s_advance_to (__LINE__, "R13-w", "withdrawn", "reported");
    json_int_t r = REPORT ("team-1", "R13-w", "U13-a", "team-1 while reported");
    CHECK (w > 0 && r > w);
}

static void
test_refused_source_not_the_senders (void)
{
    UNIT ("U14-a", "市国资委", "city_department", NULL);
    ROUND ("R14", "team-1", "U14-a", "stationed");
    json_t *data = s_report_data ("petition-bureau", NULL, "U14-a", "petition as audit");
    json_object_set_new (data, "source", json_string ("audit"));
    REFUSED (XC_E_FORBIDDEN, "petition-bureau", "problem.report", data);
    CHECK (s_no_problem ("petition as audit"));
    data = s_report_data ("public-channel", NULL, "U14-a", "public as petition");
    json_object_set_new (data, "source", json_string ("petition"));
    REFUSED (XC_E_FORBIDDEN, "public-channel", "problem.report", data);
    data = s_report_data ("team-1", "R14", "U14-a", "team as public");
    json_object_set_new (data, "source", json_string ("public"));
    REFUSED (XC_E_FORBIDDEN, "team-1", "problem.report", data);
    data = s_report_data ("audit-bureau", NULL, "U14-a", "audit as team");
    json_object_set_new (data, "source", json_string ("inspection_team"));
    REFUSED (XC_E_FORBIDDEN, "audit-bureau", "problem.report", data);
    /* the office and the services do not report */
    REFUSED (XC_E_FORBIDDEN, "office", "problem.report", s_report_data ("petition-bureau", NULL, "U14-a", "office reports"));
    REFUSED (XC_E_FORBIDDEN, "rectify", "problem.report", s_report_data ("petition-bureau", NULL, "U14-a", "rectify reports"));
    CHECK (s_no_problem ("public as petition") && s_no_problem ("team as public") && s_no_problem ("audit as team"));
    CHECK (s_no_problem ("office reports") && s_no_problem ("rectify reports"));
}

static void
test_refused_public_reads_what_it_did_not_report (void)
{
    UNIT ("U15-a", "市公安局", "city_department", NULL);
    ROUND ("R15", "team-2", "U15-a", "stationed");
    json_int_t petition = REPORT ("petition-bureau", NULL, "U15-a", "U15 petition");
    json_int_t team = REPORT ("team-2", "R15", "U15-a", "U15 team-2");
    json_int_t public = PUBLIC_REPORT ("R15", "U15-a", "U15 public");
    fx_snap_t before = fx_snap (&fx, client);
    xc_code_t code;
    /* the public channel reads no problem, not even the one it carried (issue 24) */
    json_decref (s_problem_get ("public-channel", petition, &code));
    CHECK_INT (code, XC_E_FORBIDDEN);
    json_decref (s_problem_get ("public-channel", public, &code));
    CHECK_INT (code, XC_E_FORBIDDEN);
    CHECK_INT (s_code ("public-channel", "problem.list", json_pack ("{s:s}", "unit", "U15-a")), XC_E_FORBIDDEN);
    json_t *r = s_problem_get ("team-2", public, &code);     /* the round's team reads it */
    CHECK_INT (code, XC_OK);
    CHECK_STR (json_string_value (json_object_get (r, "summary")), "U15 public");
    json_decref (r);
    /* the others: the petition and audit bureaus see their own, teams their rounds' */
    json_decref (s_problem_get ("audit-bureau", petition, &code));
    CHECK_INT (code, XC_E_NOT_FOUND);
    json_decref (s_problem_get ("petition-bureau", public, &code));
    CHECK_INT (code, XC_E_NOT_FOUND);
    json_decref (s_problem_get ("team-1", team, &code));
    CHECK_INT (code, XC_E_NOT_FOUND);
    json_decref (s_problem_get ("team-2", petition, &code));
    CHECK_INT (code, XC_E_NOT_FOUND);
    json_decref (s_problem_get ("team-2", team, &code));
    CHECK_INT (code, XC_OK);
    CHECK (!s_listed ("team-1", "problem.list", json_pack ("{s:s}", "unit", "U15-a"), "summary", "U15 team-2", 0));
    CHECK (s_listed ("team-2", "problem.list", json_pack ("{s:s}", "unit", "U15-a"), "summary", "U15 team-2", 0));
    CHECK (!s_listed ("team-2", "problem.list", json_pack ("{s:s}", "unit", "U15-a"), "summary", "U15 petition", 0));
    CHECK (s_listed ("referral", "problem.list", json_pack ("{s:s}", "unit", "U15-a"), "summary", "U15 petition", 0));
    CHECK (s_listed ("office", "problem.list", json_pack ("{s:s}", "unit", "U15-a"), "summary", "U15 team-2", 0));
    fx_snap_t after = fx_snap (&fx, client);
    CHECK_INT (after.head, before.head);
    CHECK_INT (after.inbox, before.inbox);
}

/*  A role the role table does not name is forbidden everywhere. */
static void
test_refused_unknown_role (void)
{
    UNIT ("U16-a", "市纪委监委派驻组", "other", NULL);
    json_int_t id = REPORT ("petition-bureau", NULL, "U16-a", "U16 petition");
    const char *iss = "discipline-commission";
    REFUSED (XC_E_FORBIDDEN, iss, "unit.register", json_pack ("{s:s, s:s, s:s}", "id", "U16-d", "name", "x", "level", "other"));
    REFUSED (XC_E_FORBIDDEN, iss, "problem.report", s_report_data ("petition-bureau", NULL, "U16-a", "U16 discipline"));
    json_t *data = s_report_data ("petition-bureau", NULL, "U16-a", "U16 discipline");
    json_object_set_new (data, "source", json_string ("discipline"));
    REFUSED (XC_E_FORBIDDEN, iss, "problem.report", data);
    REFUSED (XC_E_FORBIDDEN, iss, "problem.classify",
             json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", id, "dispositions", "kind", "lead", "body", iss));
    REFUSED (XC_E_FORBIDDEN, iss, "unit.get", json_pack ("{s:s}", "unit", "U16-a"));
    REFUSED (XC_E_FORBIDDEN, iss, "unit.list", json_object ());
    REFUSED (XC_E_FORBIDDEN, iss, "round.list", json_object ());
    REFUSED (XC_E_FORBIDDEN, iss, "problem.get", json_pack ("{s:I}", "problem", id));
    REFUSED (XC_E_FORBIDDEN, iss, "problem.list", json_object ());
    REFUSED (XC_E_FORBIDDEN, iss, "intake.stats", json_object ());
    REFUSED (XC_E_FORBIDDEN, iss, "events.read", json_object ());
    CHECK (s_no_problem ("U16 discipline"));
    json_t *r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
    json_decref (r);
}

/*  The other lines of the role table: reporters do not read rounds, stats or events; teams
    and services do not classify or merge; a service reads everything but reporters. */
static void
test_refused_role_table_rest (void)
{
    UNIT ("U17-a", "市税务局", "city_department", NULL);
    json_int_t a = REPORT ("petition-bureau", NULL, "U17-a", "U17 a");
    json_int_t b = REPORT ("petition-bureau", NULL, "U17-a", "U17 b");
    const char *reporters[] = { "petition-bureau", "audit-bureau", "public-channel", "team-1" };
    for (size_t i = 0; i < 4; i++) {
        REFUSED (XC_E_FORBIDDEN, reporters[i], "intake.stats", json_object ());
        REFUSED (XC_E_FORBIDDEN, reporters[i], "events.read", json_object ());
        REFUSED (XC_E_FORBIDDEN, reporters[i], "problem.classify",
                 json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", a, "dispositions", "kind", "feedback",
                            "timeliness", "immediate"));
        REFUSED (XC_E_FORBIDDEN, reporters[i], "problem.merge",
                 json_pack ("{s:I, s:[I]}", "into", a, "from", b));
    }
    REFUSED (XC_E_FORBIDDEN, "referral", "problem.classify",
             json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", a, "dispositions", "kind", "feedback",
                        "timeliness", "immediate"));
    REFUSED (XC_E_FORBIDDEN, "rectify", "problem.merge", json_pack ("{s:I, s:[I]}", "into", a, "from", b));
    REFUSED (XC_E_FORBIDDEN, "rectify", "round.advance",
             json_pack ("{s:s, s:s, s:s}", "round", "R6", "stage", "closed", "date", "2026-01-01"));
    json_t *r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", a));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
    CHECK_INT (json_array_size (json_object_get (r, "dispositions")), 0);
    json_decref (r);
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", b));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
    json_decref (r);
    json_decref (OK ("rectify", "intake.stats", json_object ()));
    json_decref (OK ("office", "intake.stats", json_object ()));
}

/* ------------------------------------------------------------------ classification */

static json_t *
s_classify_data (json_int_t id, json_t *dispositions)
{
    return json_pack ("{s:I, s:o}", "problem", id, "dispositions", dispositions);
}

/*  The problem.fed_back events of problem id after seq `after` (caller owns). */
static json_t *
s_fed_back_of (int64_t after, json_int_t id)
{
    json_t *all = s_events_of (after, "problem.fed_back"), *mine = json_array ();
    size_t i;
    json_t *e;
    json_array_foreach (all, i, e)
        if (json_integer_value (json_object_get (e, "problem")) == id)
            json_array_append (mine, e);
    json_decref (all);
    return mine;
}

/*  Immediate timeliness feeds back at once, dated today, with the event's whole data. */
static void
test_classify_feedback_immediate (void)
{
    UNIT ("U20-a", "桂花村", "village", NULL);
    ROUND ("R20", "team-1", "U20-a:e", "stationed");
    json_t *data = s_report_data ("team-1", "R20", "U20-a", "村务公开不及时");
    json_object_set_new (data, "immediate", json_true ());
    json_object_set_new (data, "severity", json_string ("grave"));
    json_int_t id = s_report (__LINE__, "team-1", data);
    char before_day[XC_DATE_LEN + 1], after_day[XC_DATE_LEN + 1];
    s_day (0, before_day);
    int64_t head = fx_head (&fx, client);
    json_t *r = OK ("office", "problem.classify",
                    s_classify_data (id, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "immediate")));
    s_day (0, after_day);
    CHECK_INT (json_integer_value (json_object_get (r, "problem")), id);
    json_decref (r);
    char types[256];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "problem.classified problem.fed_back");
    json_t *classified = s_events_of (head, "problem.classified");
    json_t *c = json_array_get (classified, 0);
    CHECK_INT (json_integer_value (json_object_get (c, "problem")), id);
    CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (c, "dispositions"), 0), "timeliness")),
               "immediate");
    json_decref (classified);
    json_t *fed = s_fed_back_of (head, id);
    CHECK_INT (json_array_size (fed), 1);
    json_t *e = json_array_get (fed, 0);
    CHECK_STR (json_string_value (json_object_get (e, "round")), "R20");
    CHECK_STR (json_string_value (json_object_get (e, "unit")), "U20-a");
    CHECK_STR (json_string_value (json_object_get (e, "unit_level")), "village");
    CHECK_STR (json_string_value (json_object_get (e, "category")), "political");
    CHECK_STR (json_string_value (json_object_get (e, "summary")), "村务公开不及时");
    CHECK_STR (json_string_value (json_object_get (e, "detail")), "详细情况：见附件。");
    CHECK_STR (json_string_value (json_object_get (e, "severity")), "grave");
    CHECK (json_is_true (json_object_get (e, "immediate")));
    CHECK_STR (json_string_value (json_object_get (e, "timeliness")), "immediate");
    const char *on = json_string_value (json_object_get (e, "fed_back_on"));
    CHECK (on && (strcmp (on, before_day) == 0 || strcmp (on, after_day) == 0));
    json_decref (fed);

    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "classified");
    json_t *d = json_array_get (json_object_get (r, "dispositions"), 0);
    CHECK_STR (json_string_value (json_object_get (d, "kind")), "feedback");
    CHECK_STR (json_string_value (json_object_get (d, "timeliness")), "immediate");
    json_decref (r);
    CHECK (s_listed ("office", "problem.list", json_pack ("{s:s, s:s}", "round", "R20", "status", "classified"),
                     "id", NULL, id));
    CHECK (!s_listed ("office", "problem.list", json_pack ("{s:s, s:s}", "round", "R20", "status", "recorded"),
                      "id", NULL, id));

    /* the round reaching feedback_delivered later does not feed it back again */
    head = fx_head (&fx, client);
    s_advance_to (__LINE__, "R20", "stationed", "feedback_delivered");
    fed = s_fed_back_of (head, id);
    CHECK_INT (json_array_size (fed), 0);
    json_decref (fed);
}

/*  Deadline and long-term feedback waits for the round's feedback_delivered, then comes once
    with the advance's date; a problem without a round, or of a round past that stage, at once. */
static void
test_classify_feedback_deferred (void)
{
    UNIT ("U21-a", "河西街道", "town", NULL);
    ROUND ("R21", "team-2", "U21-a", "stationed");
    json_int_t deadline = REPORT ("team-2", "R21", "U21-a", "R21 deadline");
    json_int_t longterm = REPORT ("team-2", "R21", "U21-a", "R21 long term");
    json_int_t lead = REPORT ("team-2", "R21", "U21-a", "R21 lead only");
    int64_t start = fx_head (&fx, client);
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (deadline, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "deadline"))));
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (longterm, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "long_term"))));
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (lead, json_pack ("[{s:s, s:s}]", "kind", "lead", "body", "discipline-commission"))));
    json_t *fed = s_events_of (start, "problem.fed_back");
    CHECK_INT (json_array_size (fed), 0);
    json_decref (fed);
    /* withdrawn, reported: still waiting */
    s_advance_to (__LINE__, "R21", "stationed", "reported");
    fed = s_events_of (start, "problem.fed_back");
    CHECK_INT (json_array_size (fed), 0);
    json_decref (fed);
    json_t *r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", deadline));
    CHECK (json_is_null (json_object_get (r, "fed_back_on")) || !json_object_get (r, "fed_back_on"));
    json_decref (r);

    /* feedback_delivered: each once, dated that day, right after the round.advanced */
    char d1[XC_DATE_LEN + 1];
    s_day (-1, d1);
    int64_t head = fx_head (&fx, client);
    json_decref (OK ("office", "round.advance",
                     json_pack ("{s:s, s:s, s:s}", "round", "R21", "stage", "feedback_delivered", "date", d1)));
    char types[256];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "round.advanced problem.fed_back problem.fed_back");
    json_t *one = s_fed_back_of (head, deadline), *two = s_fed_back_of (head, longterm), *three = s_fed_back_of (head, lead);
    CHECK_INT (json_array_size (one), 1);
    CHECK_INT (json_array_size (two), 1);
    CHECK_INT (json_array_size (three), 0);
    CHECK_STR (json_string_value (json_object_get (json_array_get (one, 0), "fed_back_on")), d1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (one, 0), "timeliness")), "deadline");
    CHECK_STR (json_string_value (json_object_get (json_array_get (two, 0), "fed_back_on")), d1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (two, 0), "timeliness")), "long_term");
    CHECK (json_is_false (json_object_get (json_array_get (two, 0), "immediate")));
    CHECK_STR (json_string_value (json_object_get (json_array_get (two, 0), "unit_level")), "town");
    json_decref (one);
    json_decref (two);
    json_decref (three);
    r = OK ("rectify", "problem.get", json_pack ("{s:I}", "problem", deadline));
    CHECK_STR (json_string_value (json_object_get (r, "fed_back_on")), d1);
    json_decref (r);

    /* later stages feed back nothing more */
    head = fx_head (&fx, client);
    s_advance_to (__LINE__, "R21", "feedback_delivered", "closed");
    fed = s_events_of (head, "problem.fed_back");
    CHECK_INT (json_array_size (fed), 0);
    json_decref (fed);

    /* a round past feedback_delivered, and no round at all: at once, dated today */
    json_int_t late = REPORT ("audit-bureau", "R21", "U21-a", "R21 late audit finding");
    json_int_t loose = REPORT ("petition-bureau", NULL, "U21-a", "U21 petition without round");
    char today[XC_DATE_LEN + 1];
    s_day (0, today);
    head = fx_head (&fx, client);
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (late, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "long_term"))));
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (loose, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "deadline"))));
    one = s_fed_back_of (head, late);
    two = s_fed_back_of (head, loose);
    CHECK_INT (json_array_size (one), 1);
    CHECK_INT (json_array_size (two), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (one, 0), "fed_back_on")), today);
    CHECK_STR (json_string_value (json_object_get (json_array_get (two, 0), "fed_back_on")), today);
    CHECK (json_is_null (json_object_get (json_array_get (two, 0), "round")));
    json_decref (one);
    json_decref (two);
}

/*  A lead is referred (restricted, with what the receiving body needs), a handover handed
    over (open), a special report folded in; classifying twice is a conflict. */
static void
test_classify_lead_handover_special_report (void)
{
    UNIT ("U22-a", "市自然资源局", "city_department", NULL);
    ROUND ("R22", "team-1", "U22-a", "stationed");
    json_t *data = s_report_data ("team-1", "R22", "U22-a", "违规审批用地");
    json_object_set_new (data, "evidence", json_pack ("[{s:s, s:s}]", "file", "批文.jpg", "sha256",
                                                      "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789"));
    json_int_t id = s_report (__LINE__, "team-1", data);
    int64_t head = fx_head (&fx, client);
    json_t *r = OK ("office", "problem.classify",
                    s_classify_data (id, json_pack ("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}]",
                                                    "kind", "lead", "body", "discipline-commission", "note", "涉嫌违纪",
                                                    "kind", "handover", "department", "audit-bureau", "note", "请核查",
                                                    "kind", "special_report", "report", "土地专题报告")));
    CHECK_INT (json_integer_value (json_object_get (r, "problem")), id);
    json_decref (r);
    char types[256];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "problem.classified problem.referred problem.handed_over");

    json_t *events = s_events_of (head, "problem.referred");
    CHECK_INT (json_array_size (events), 1);
    json_t *e = json_array_get (events, 0);
    CHECK_INT (json_integer_value (json_object_get (e, "problem")), id);
    CHECK_STR (json_string_value (json_object_get (e, "body")), "discipline-commission");
    CHECK_STR (json_string_value (json_object_get (e, "note")), "涉嫌违纪");
    CHECK_STR (json_string_value (json_object_get (e, "round")), "R22");
    CHECK_STR (json_string_value (json_object_get (e, "unit")), "U22-a");
    CHECK_STR (json_string_value (json_object_get (e, "category")), "political");
    CHECK_STR (json_string_value (json_object_get (e, "summary")), "违规审批用地");
    CHECK_STR (json_string_value (json_object_get (e, "detail")), "详细情况：见附件。");
    CHECK_STR (json_string_value (json_object_get (e, "severity")), "general");
    CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (e, "evidence"), 0), "file")), "批文.jpg");
    CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (e, "sources"), 0), "source")),
               "inspection_team");
    json_decref (events);
    events = s_events_of (head, "problem.handed_over");
    CHECK_INT (json_array_size (events), 1);
    e = json_array_get (events, 0);
    CHECK_INT (json_integer_value (json_object_get (e, "problem")), id);
    CHECK_STR (json_string_value (json_object_get (e, "department")), "audit-bureau");
    CHECK_STR (json_string_value (json_object_get (e, "note")), "请核查");
    CHECK_STR (json_string_value (json_object_get (e, "summary")), "违规审批用地");
    CHECK_STR (json_string_value (json_object_get (e, "unit")), "U22-a");
    json_decref (events);
    /* visibility: referred and classified are restricted, handed_over is open */
    json_t *as_rectify = s_events ("rectify", head);
    size_t i;
    json_array_foreach (as_rectify, i, e) {
        const char *type = json_string_value (json_object_get (e, "type"));
        bool restricted = strcmp (type, "problem.handed_over") != 0;
        CHECK (restricted == json_is_true (json_object_get (e, "redacted")));
        CHECK (restricted == !json_object_get (e, "message"));
    }
    CHECK_INT (json_array_size (as_rectify), 3);
    json_decref (as_rectify);

    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    CHECK_INT (json_array_size (json_object_get (r, "dispositions")), 3);
    CHECK_STR (json_string_value (json_object_get (r, "status")), "classified");
    json_decref (r);

    /* twice: conflict, nothing stored */
    REFUSED (XC_E_CONFLICT, "office", "problem.classify",
             s_classify_data (id, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "immediate")));
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    CHECK_INT (json_array_size (json_object_get (r, "dispositions")), 3);
    json_decref (r);
    /* unknown problem; a kind twice; no disposition; five; a lead without its body */
    json_int_t other = REPORT ("team-1", "R22", "U22-a", "R22 second");
    REFUSED (XC_E_NOT_FOUND, "office", "problem.classify",
             s_classify_data (999999, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "immediate")));
    REFUSED (XC_E_SCHEMA, "office", "problem.classify",
             s_classify_data (other, json_pack ("[{s:s, s:s}, {s:s, s:s}]", "kind", "lead", "body", "a",
                                                "kind", "lead", "body", "b")));
    REFUSED (XC_E_SCHEMA, "office", "problem.classify", s_classify_data (other, json_array ()));
    REFUSED (XC_E_SCHEMA, "office", "problem.classify",
             s_classify_data (other, json_pack ("[{s:s}]", "kind", "lead")));
    REFUSED (XC_E_SCHEMA, "office", "problem.classify",
             s_classify_data (other, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "someday")));
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", other));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
    json_decref (r);
}

/* ------------------------------------------------------------------ merge */

static json_int_t
s_stat (const json_t *stats, const char *group, const char *key)
{
    const json_t *problems = json_object_get (stats, "problems");
    const json_t *g = key ? json_object_get (problems, group) : problems;
    return json_integer_value (json_object_get (g, key ? key : group));
}

static void
test_merge_keeps_sources (void)
{
    UNIT ("U23-a", "市城管局", "city_department", NULL);
    ROUND ("R23", "team-2", "U23-a", "stationed");
    json_int_t into = REPORT ("team-2", "R23", "U23-a", "占道经营 (team)");
    json_int_t p = REPORT ("petition-bureau", NULL, "U23-a", "占道经营 (petition)");
    json_int_t q = PUBLIC_REPORT ("R23", "U23-a", "占道经营 (public)");
    json_int_t classified = REPORT ("audit-bureau", NULL, "U23-a", "U23 classified");
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (classified, json_pack ("[{s:s, s:s}]", "kind", "special_report", "report", "U23"))));
    json_t *stats_before = OK ("office", "intake.stats", json_object ());

    /* refusals first: into itself, a classified one, an unknown one, a from twice */
    REFUSED (XC_E_CONFLICT, "office", "problem.merge", json_pack ("{s:I, s:[I, I]}", "into", into, "from", p, into));
    REFUSED (XC_E_CONFLICT, "office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", into, "from", classified));
    REFUSED (XC_E_NOT_FOUND, "office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", into, "from", 999999));
    REFUSED (XC_E_NOT_FOUND, "office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", 999999, "from", p));
    REFUSED (XC_E_SCHEMA, "office", "problem.merge", json_pack ("{s:I, s:[]}", "into", into, "from"));

    int64_t head = fx_head (&fx, client);
    json_t *r = OK ("office", "problem.merge", json_pack ("{s:I, s:[I, I]}", "into", into, "from", p, q));
    CHECK_INT (json_integer_value (json_object_get (r, "into")), into);
    json_decref (r);
    json_t *events = s_events_of (head, "problem.merged");
    CHECK_INT (json_array_size (events), 1);
    json_t *e = json_array_get (events, 0);
    CHECK_INT (json_integer_value (json_object_get (e, "into")), into);
    CHECK_INT (json_array_size (json_object_get (e, "from")), 2);
    CHECK_INT (json_integer_value (json_array_get (json_object_get (e, "from"), 0)), p);
    CHECK_INT (json_integer_value (json_array_get (json_object_get (e, "from"), 1)), q);
    CHECK_INT (json_array_size (json_object_get (e, "sources")), 3);
    json_decref (events);

    /* into keeps every source; from is merged */
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", into));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "recorded");
    json_t *sources = json_object_get (r, "sources");
    CHECK_INT (json_array_size (sources), 3);
    int petition = 0, public = 0, team = 0;
    size_t i;
    json_t *s;
    json_array_foreach (sources, i, s) {
        const char *src = json_string_value (json_object_get (s, "source"));
        const char *by = json_string_value (json_object_get (s, "reported_by"));
        petition += src && by && strcmp (src, "petition") == 0 && strcmp (by, "petition-bureau") == 0;
        public += src && by && strcmp (src, "public") == 0 && strcmp (by, "public-channel") == 0;
        team += src && by && strcmp (src, "inspection_team") == 0 && strcmp (by, "team-2") == 0;
    }
    CHECK (petition == 1 && public == 1 && team == 1);
    json_decref (r);
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", p));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "merged");
    json_decref (r);
    r = OK ("team-2", "problem.get", json_pack ("{s:I}", "problem", q));
    CHECK_STR (json_string_value (json_object_get (r, "status")), "merged");
    json_decref (r);
    CHECK (s_listed ("office", "problem.list", json_pack ("{s:s, s:s}", "unit", "U23-a", "status", "merged"), "id", NULL, q));

    /* stats count the matter once */
    json_t *stats_after = OK ("office", "intake.stats", json_object ());
    CHECK_INT (s_stat (stats_after, "total", NULL), s_stat (stats_before, "total", NULL) - 2);
    CHECK_INT (s_stat (stats_after, "by_source", "petition"), s_stat (stats_before, "by_source", "petition") - 1);
    CHECK_INT (s_stat (stats_after, "by_source", "public"), s_stat (stats_before, "by_source", "public") - 1);
    CHECK_INT (s_stat (stats_after, "by_source", "inspection_team"), s_stat (stats_before, "by_source", "inspection_team"));
    /* the petition's category is political; the public report's the policy's public_concerns */
    CHECK_INT (s_stat (stats_after, "by_category", "political"), s_stat (stats_before, "by_category", "political") - 1);
    CHECK_INT (s_stat (stats_after, "by_category", "public_concerns"),
               s_stat (stats_before, "by_category", "public_concerns") - 1);
    json_decref (stats_before);
    json_decref (stats_after);

    /* a merged problem is neither merged again nor classified, nor a target */
    json_int_t fresh = REPORT ("petition-bureau", NULL, "U23-a", "U23 fresh");
    REFUSED (XC_E_CONFLICT, "office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", fresh, "from", p));
    REFUSED (XC_E_CONFLICT, "office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", p, "from", fresh));
    REFUSED (XC_E_CONFLICT, "office", "problem.classify",
             s_classify_data (p, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "immediate")));
    /* a classified problem may take others in */
    json_decref (OK ("office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", classified, "from", fresh)));
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", classified));
    CHECK_INT (json_array_size (json_object_get (r, "sources")), 2);
    json_decref (r);
}

/* ------------------------------------------------------------------ visibility, identity, text */

static void
test_events_read_visibility (void)
{
    UNIT ("U24-a", "市人社局", "city_department", NULL);
    int64_t head = fx_head (&fx, client);
    json_int_t id = REPORT ("petition-bureau", NULL, "U24-a", "U24 restricted");
    UNIT ("U24-b", "市司法局", "city_department", NULL);
    json_t *office = s_events ("office", head);
    json_t *rectify = s_events ("rectify", head);
    json_t *referral = s_events ("referral", head);
    CHECK_INT (json_array_size (office), 2);
    CHECK_INT (json_array_size (rectify), 2);
    CHECK_INT (json_array_size (referral), 2);
    for (size_t i = 0; i < json_array_size (office) && i < json_array_size (rectify) && i < json_array_size (referral); i++) {
        json_t *o = json_array_get (office, i), *s = json_array_get (rectify, i), *f = json_array_get (referral, i);
        /* the same seq, id, type and hash for everyone, one after the other */
        CHECK_INT (json_integer_value (json_object_get (o, "seq")), head + 1 + (int64_t) i);
        const char *members[] = { "seq", "id", "type", "hash" };
        for (int m = 0; m < 4; m++) {
            CHECK (json_equal (json_object_get (o, members[m]), json_object_get (s, members[m])));
            CHECK (json_equal (json_object_get (o, members[m]), json_object_get (f, members[m])));
        }
        CHECK (json_is_string (json_object_get (o, "message")));
        CHECK (!json_is_true (json_object_get (o, "redacted")));
        CHECK (json_is_string (json_object_get (f, "message")));
        CHECK (!json_is_true (json_object_get (f, "redacted")));
    }
    json_t *o = json_array_get (office, 0), *s = json_array_get (rectify, 0);
    CHECK_STR (json_string_value (json_object_get (o, "type")), "problem.recorded");
    CHECK (json_is_true (json_object_get (s, "redacted")));
    CHECK (!json_object_get (s, "message"));
    xc_msg_t *event = fx_event_open (&fx, o);
    CHECK (event != NULL);
    if (event)
        CHECK_INT (json_integer_value (json_object_get (s_recorded_problem (event->data), "id")), id);
    xc_msg_destroy (&event);
    /* an open event keeps its message for the service */
    s = json_array_get (rectify, 1);
    CHECK_STR (json_string_value (json_object_get (s, "type")), "unit.registered");
    CHECK (json_is_string (json_object_get (s, "message")));
    CHECK (!json_is_true (json_object_get (s, "redacted")));
    json_decref (office);
    json_decref (rectify);
    json_decref (referral);
}

/*  memmem(3) is a GNU extension: the build is C11 with X/Open 7. */
static bool
s_contains (const void *hay, size_t size, const char *needle)
{
    size_t n = strlen (needle);
    const unsigned char *h = hay;
    for (size_t i = 0; n && i + n <= size; i++)
        if (h[i] == (unsigned char) needle[0] && memcmp (h + i, needle, n) == 0)
            return true;
    return false;
}

/*  Whether the bytes of needle occur in the file at path (false when it does not exist). */
static bool
s_file_holds (const char *path, const char *needle)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return false;
    size_t size = 0, cap = 1 << 20;
    char *buf = malloc (cap);
    size_t n;
    while (buf && (n = fread (buf + size, 1, cap - size, f)) > 0) {
        size += n;
        if (size == cap) {
            char *bigger = realloc (buf, cap * 2);
            if (!bigger) {
                free (buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose (f);
    bool found = buf && s_contains (buf, size, needle);
    free (buf);
    return found;
}

/*  Whether any event's payload (decoded, and its data written out again as raw UTF-8) holds
    the bytes of needle. Counts the events it looked at into *seen. */
static bool
s_events_hold (const char *needle, int *seen)
{
    bool found = false;
    json_t *events = s_events ("office", 0);
    size_t i;
    json_t *e;
    *seen = 0;
    json_array_foreach (events, i, e) {
        const char *message = json_string_value (json_object_get (e, "message"));
        json_t *jws = message ? json_loads (message, 0, NULL) : NULL;
        const char *payload = json_string_value (json_object_get (jws, "payload"));
        unsigned char *bin = NULL;
        size_t len = 0;
        if (payload && xc_b64url_decode (payload, strlen (payload), &bin, &len, NULL) == 0) {
            (*seen)++;
            found = found || s_contains (bin, len, needle);
            json_t *body = json_loadb ((const char *) bin, len, 0, NULL);
            char *again = body ? json_dumps (body, JSON_COMPACT) : NULL;
            found = found || (again && strstr (again, needle));
            free (again);
            json_decref (body);
        }
        free (bin);
        json_decref (jws);
    }
    json_decref (events);
    return found;
}

static void
test_reporter_identity_encrypted (void)
{
    const char *name = "欧阳明月（实名举报人）";
    const char *contact = "手机 13912345678 · 青石镇桃花村七组";
    UNIT ("U25-a", "市农业农村局", "city_department", NULL);
    json_t *data = s_report_data ("audit-bureau", NULL, "U25-a", "U25 with reporter");
    json_object_set_new (data, "reporter", json_pack ("{s:s, s:s}", "name", name, "contact", contact));
    json_int_t id = s_report (__LINE__, "audit-bureau", data);
    data = s_report_data ("petition-bureau", NULL, "U25-a", "U25 name only");
    json_object_set_new (data, "reporter", json_pack ("{s:s}", "name", name));
    json_int_t id2 = s_report (__LINE__, "petition-bureau", data);

    /* at rest: neither the name nor the contact in the database file or its WAL */
    char wal[600];
    snprintf (wal, sizeof wal, "%s-wal", fx.database);
    CHECK (access (fx.database, R_OK) == 0);
    CHECK (s_file_holds (fx.database, "U25-a") || s_file_holds (wal, "U25-a"));   /* the scan sees text */
    CHECK (!s_file_holds (fx.database, name));
    CHECK (!s_file_holds (wal, name));
    CHECK (!s_file_holds (fx.database, "13912345678"));
    CHECK (!s_file_holds (wal, "13912345678"));

    /* the office reads it back byte for byte */
    json_t *r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    json_t *reporter = json_object_get (r, "reporter");
    CHECK_STR (json_string_value (json_object_get (reporter, "name")), name);
    CHECK_STR (json_string_value (json_object_get (reporter, "contact")), contact);
    CHECK (json_is_true (json_object_get (r, "has_reporter")));
    json_decref (r);
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id2));
    CHECK_STR (json_string_value (json_object_get (json_object_get (r, "reporter"), "name")), name);
    json_decref (r);
    /* nobody else: a service, the reporting channel itself */
    const struct {
        const char *iss;
        json_int_t id;
    } others[] = { { "rectify", id }, { "referral", id }, { "audit-bureau", id }, { "petition-bureau", id2 } };
    for (size_t i = 0; i < 4; i++) {
        r = OK (others[i].iss, "problem.get", json_pack ("{s:I}", "problem", others[i].id));
        CHECK_INT (json_integer_value (json_object_get (r, "id")), others[i].id);
        CHECK (!json_object_get (r, "reporter"));
        char *text = json_dumps (r, JSON_COMPACT);
        CHECK (text && !strstr (text, name));
        free (text);
        json_decref (r);
    }
    /* nor a list, nor any event */
    r = OK ("office", "problem.list", json_pack ("{s:s}", "unit", "U25-a"));
    char *text = json_dumps (r, JSON_COMPACT);
    CHECK (text && !strstr (text, name) && strstr (text, "U25 with reporter"));
    free (text);
    json_decref (r);
    int seen;
    CHECK (!s_events_hold (name, &seen));
    CHECK (!s_events_hold ("13912345678", &seen));
    CHECK (s_events_hold ("U25 with reporter", &seen));      /* the scan does see payloads */
    CHECK ((int64_t) seen == fx_head (&fx, client));
    json_t *recorded = s_events_of (0, "problem.recorded");
    size_t i;
    json_t *e;
    int with_reporter = 0;
    json_array_foreach (recorded, i, e) {
        const json_t *p = s_recorded_problem (e);
        if (json_integer_value (json_object_get (p, "id")) == id) {
            CHECK (json_is_true (json_object_get (p, "has_reporter")));
            CHECK (!json_object_get (p, "reporter"));
            with_reporter++;
        }
    }
    CHECK_INT (with_reporter, 1);
    json_decref (recorded);
}

static void
test_chinese_text_byte_for_byte (void)
{
    const char *unit_name = "中共青石镇委员会（党委办公室）·𠮷祥社区";
    const char *summary = "「三重一大」决策不规范 — 2026年第3季度 😀";
    const char *detail = "一、基本情况：\n\t该单位于2026年3月…\n"
                         "English words, Русский текст, العربية, 한국어, にほんご\n"
                         "emoji 🇨🇳👍🏽🧑‍🤝‍🧑 and \"quotes\" \\ backslash / slash\n"
                         "全角：ＡＢＣ１２３，半角：ABC123。";
    UNIT ("U26-a", unit_name, "village", NULL);
    json_t *r = OK ("team-1", "unit.get", json_pack ("{s:s}", "unit", "U26-a"));
    CHECK_STR (json_string_value (json_object_get (r, "name")), unit_name);
    json_decref (r);
    ROUND ("R26", "team-1", "U26-a", "stationed");
    int64_t head = fx_head (&fx, client);
    json_t *data = s_report_data ("team-1", "R26", "U26-a", summary);
    json_object_set_new (data, "detail", json_string (detail));
    json_int_t id = s_report (__LINE__, "team-1", data);
    r = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    CHECK_STR (json_string_value (json_object_get (r, "summary")), summary);
    CHECK_STR (json_string_value (json_object_get (r, "detail")), detail);
    CHECK_INT (json_string_length (json_object_get (r, "detail")), strlen (detail));
    json_decref (r);
    r = OK ("team-1", "problem.list", json_pack ("{s:s}", "round", "R26"));
    CHECK_STR (json_string_value (json_object_get (json_array_get (json_object_get (r, "items"), 0), "summary")), summary);
    CHECK (!json_object_get (json_array_get (json_object_get (r, "items"), 0), "detail"));
    json_decref (r);
    json_t *events = s_events_of (head, "problem.recorded");
    const json_t *p = s_recorded_problem (json_array_get (events, 0));
    CHECK_STR (json_string_value (json_object_get (p, "summary")), summary);
    CHECK_STR (json_string_value (json_object_get (p, "detail")), detail);
    json_decref (events);
    /* and through to feedback */
    head = fx_head (&fx, client);
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (id, json_pack ("[{s:s, s:s}]", "kind", "feedback", "timeliness", "immediate"))));
    events = s_fed_back_of (head, id);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 0), "detail")), detail);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 0), "summary")), summary);
    json_decref (events);
    /* a round's name and theme too; ids stay ASCII */
    CHECK_INT (s_code ("office", "round.open", s_round_data ("R26-名", "regular", "team-1", "U26-a")), XC_E_SCHEMA);
    json_t *round = s_round_data ("R26-b", "special", "team-1", "U26-a");
    json_object_set_new (round, "name", json_string (summary));
    json_object_set_new (round, "theme", json_string ("乡村振兴 🌾 ＆ 基层治理"));
    json_decref (OK ("office", "round.open", round));
    r = OK ("referral", "round.get", json_pack ("{s:s}", "round", "R26-b"));
    CHECK_STR (json_string_value (json_object_get (r, "name")), summary);
    CHECK_STR (json_string_value (json_object_get (r, "theme")), "乡村振兴 🌾 ＆ 基层治理");
    json_decref (r);
}

/*  protocol.md section 6: an entry is {seq, id, type, hash, message}; intake.md: a restricted
    event's message is replaced by "redacted": true. Nothing else. */
static void
test_events_read_entry_members (void)
{
    UNIT ("U27-a", "市体育局", "city_department", NULL);
    int64_t head = fx_head (&fx, client);
    REPORT ("petition-bureau", NULL, "U27-a", "U27 members");
    const char *readers[] = { "office", "rectify" };
    for (int k = 0; k < 2; k++) {
        json_t *events = s_events (readers[k], head - 1);
        CHECK_INT (json_array_size (events), 2);
        size_t i;
        json_t *e;
        json_array_foreach (events, i, e) {
            bool redacted = json_is_true (json_object_get (e, "redacted"));
            const char *key;
            json_t *v;
            json_object_foreach (e, key, v) {
                bool allowed = strcmp (key, "seq") == 0 || strcmp (key, "id") == 0
                               || strcmp (key, "type") == 0 || strcmp (key, "hash") == 0
                               || strcmp (key, redacted ? "redacted" : "message") == 0;
                if (!allowed)
                    FX_FAIL_AT (__LINE__, "events.read as %s: entry %lld has member '%s'", readers[k],
                             (long long) json_integer_value (json_object_get (e, "seq")), key);
            }
            CHECK_INT (json_object_size (e), 5);
        }
        json_decref (events);
    }
}

/*  problem.list's filters, pages and who sees what; no detail in a list. */
static void
test_problem_list_filters_and_pages (void)
{
    UNIT ("U28-a", "市气象局", "city_department", NULL);
    UNIT ("U28-b", "市地震局", "city_department", NULL);
    ROUND ("R28", "team-2", "U28-a U28-b", "stationed");
    json_int_t ids[5];
    ids[0] = REPORT ("team-2", "R28", "U28-a", "U28 one");
    ids[1] = REPORT ("team-2", "R28", "U28-b", "U28 two");
    json_t *data = s_report_data ("audit-bureau", "R28", "U28-a", "U28 three");
    json_object_set_new (data, "category", json_string ("governance"));
    ids[2] = s_report (__LINE__, "audit-bureau", data);
    ids[3] = REPORT ("petition-bureau", NULL, "U28-a", "U28 four");
    ids[4] = REPORT ("petition-bureau", NULL, "U28-b", "U28 five");

    /* pages of two through the round's three, in id order */
    json_t *r = OK ("office", "problem.list", json_pack ("{s:s, s:i}", "round", "R28", "limit", 2));
    json_t *items = json_object_get (r, "items");
    CHECK_INT (json_array_size (items), 2);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (items, 0), "id")), ids[0]);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (items, 1), "id")), ids[1]);
    CHECK_INT (json_integer_value (json_object_get (r, "next")), ids[1]);
    CHECK (!json_object_get (json_array_get (items, 0), "detail"));
    json_decref (r);
    r = OK ("office", "problem.list", json_pack ("{s:s, s:I, s:i}", "round", "R28", "after", ids[1], "limit", 2));
    items = json_object_get (r, "items");
    CHECK_INT (json_array_size (items), 1);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (items, 0), "id")), ids[2]);
    CHECK (json_is_null (json_object_get (r, "next")));
    json_decref (r);

    /* each filter */
    r = OK ("office", "problem.list", json_pack ("{s:s, s:s}", "unit", "U28-a", "source", "petition"));
    items = json_object_get (r, "items");
    CHECK_INT (json_array_size (items), 1);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (items, 0), "id")), ids[3]);
    json_decref (r);
    r = OK ("office", "problem.list", json_pack ("{s:s, s:s}", "round", "R28", "category", "governance"));
    items = json_object_get (r, "items");
    CHECK_INT (json_array_size (items), 1);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (items, 0), "id")), ids[2]);
    json_decref (r);
    r = OK ("office", "problem.list", json_pack ("{s:s, s:s}", "unit", "U28-b", "source", "inspection_team"));
    items = json_object_get (r, "items");
    CHECK_INT (json_array_size (items), 1);
    CHECK_INT (json_integer_value (json_object_get (json_array_get (items, 0), "id")), ids[1]);
    json_decref (r);

    /* who sees what: the team its round's (the audit finding in it too), the petition bureau
       its own, a service all */
    r = OK ("team-2", "problem.list", json_pack ("{s:s}", "unit", "U28-a"));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 2);
    json_decref (r);
    r = OK ("petition-bureau", "problem.list", json_pack ("{s:s}", "round", "R28"));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 0);
    json_decref (r);
    r = OK ("petition-bureau", "problem.list", json_pack ("{s:s}", "unit", "U28-b"));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 1);
    json_decref (r);
    r = OK ("referral", "problem.list", json_pack ("{s:s}", "unit", "U28-b"));
    CHECK_INT (json_array_size (json_object_get (r, "items")), 2);
    json_decref (r);
    xc_code_t code;
    json_t *got = s_problem_get ("team-2", ids[2], &code);
    CHECK_INT (code, XC_OK);
    CHECK_STR (json_string_value (json_object_get (got, "source")), "audit");
    json_decref (got);
    CHECK_INT (s_code ("office", "problem.list", json_pack ("{s:i}", "limit", 501)), XC_E_SCHEMA);
    CHECK_INT (s_code ("office", "problem.list", json_pack ("{s:s}", "status", "closed")), XC_E_SCHEMA);
    CHECK_INT (s_code ("office", "problem.get", json_pack ("{s:I}", "problem", (json_int_t) 999999)), XC_E_NOT_FOUND);
}

/* ------------------------------------------------------------------ own deployments */

/*  Runs test in a deployment of its own (fresh database, clock of its own), then puts the
    shared one back. */
static void
s_in_fresh_deployment (void (*test) (void))
{
    fx_t shared = fx;
    xc_client_t *shared_client = client;
    client = NULL;
    if (fx_deploy (&fx, "intake", false) != 0 || fx_start (&fx, NULL) != 0) {
        fprintf (stderr, "FAIL %s: unable to start a second xc-intake (in %s)\n", h_current, fx.dir);
        h_checks_failed_now++;
    }
    else {
        client = fx_client (&fx, NULL);
        test ();
    }
    xc_client_destroy (&client);
    fx_destroy (&fx);
    fx = shared;
    client = shared_client;
}

static long long
s_overdue_rows (void)
{
    return fx_sql_int (&fx, "SELECT count(*) FROM outbox WHERE type = 'round.report_overdue'");
}

/*  Moves the service's test clock to the given local day at 01:00 (+08:00). */
static void
s_clock_to_day (int line, xc_date_t day)
{
    char when[XC_RFC3339_LEN + 1];
    xc_clock_format ((int64_t) day * 86400 - UTC_OFFSET + 3600, when);
    json_t *r = s_ok (line, "office", "clock.set", json_pack ("{s:s}", "clock", when));
    int64_t clock = 0;
    if (xc_clock_parse (json_string_value (json_object_get (r, "clock")), &clock, NULL) != 0
        || xc_date_of_time (clock, UTC_OFFSET) < day)
        FX_FAIL_AT (line, "clock.set to %s did not move the clock", when);
    json_decref (r);
}

/*  The message id of a keyed event (protocol.md section 6), computed here from the key. */
static void
s_keyed_id (const char *service, const char *key, char *out)
{
    crypto_hash_sha256_state st;
    unsigned char digest[32], zero = 0;
    crypto_hash_sha256_init (&st);
    crypto_hash_sha256_update (&st, (const unsigned char *) service, strlen (service));
    crypto_hash_sha256_update (&st, &zero, 1);
    crypto_hash_sha256_update (&st, (const unsigned char *) key, strlen (key));
    crypto_hash_sha256_final (&st, digest);
    digest[6] = (unsigned char) ((digest[6] & 0x0f) | 0x80);
    digest[8] = (unsigned char) ((digest[8] & 0x3f) | 0x80);
    char hex[33];
    xc_hex_encode (digest, 16, hex);
    snprintf (out, XC_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void
s_overdue_scenario (void)
{
    UNIT ("UO-a", "市发改委", "city_department", NULL);
    /* withdrawn 3 days ago (s_stage_days): due in 27 days, not overdue on today's clock */
    ROUND ("RO", "team-1", "UO-a", "withdrawn");
    /* withdrawn then too, but reported since: never overdue */
    ROUND ("RO-reported", "team-2", "UO-a", "withdrawn");
    char stationed[XC_DATE_LEN + 1], two_days_ago[XC_DATE_LEN + 1], today[XC_DATE_LEN + 1];
    s_day (-50, stationed);
    s_day (-2, two_days_ago);
    s_day (0, today);
    json_decref (OK ("office", "round.advance",
                     json_pack ("{s:s, s:s, s:s}", "round", "RO-reported", "stage", "reported", "date", today)));
    /* withdrawn a day after RO: on the day RO is first past its deadline, this one is due, not past */
    json_decref (OK ("office", "round.open", s_round_data ("RO-later", "regular", "team-1", "UO-a")));
    json_decref (OK ("office", "round.advance",
                     json_pack ("{s:s, s:s, s:s}", "round", "RO-later", "stage", "stationed", "date", stationed)));
    json_decref (OK ("office", "round.advance",
                     json_pack ("{s:s, s:s, s:s}", "round", "RO-later", "stage", "withdrawn", "date", two_days_ago)));
    /* RO's withdrawal date, as the round keeps it */
    json_t *r = OK ("office", "round.get", json_pack ("{s:s}", "round", "RO"));
    const char *withdrawn_text = json_string_value (json_object_get (json_array_get (json_object_get (r, "stages"), 2), "date"));
    xc_date_t withdrawn = 0;
    CHECK (withdrawn_text && xc_date_parse (withdrawn_text, &withdrawn, NULL) == 0);
    char withdrawn_on[XC_DATE_LEN + 1];
    snprintf (withdrawn_on, sizeof withdrawn_on, "%s", withdrawn_text ? withdrawn_text : "");
    json_decref (r);
    usleep (500 * 1000);                 /* five ticks: nothing due yet */
    CHECK_INT (s_overdue_rows (), 0);

    /* the clock past withdrawn + 30 days */
    xc_date_t due = withdrawn + 30;
    s_clock_to_day (__LINE__, due + 1);
    for (int i = 0; i < 300 && s_overdue_rows () == 0; i++)
        usleep (10 * 1000);
    CHECK_INT (s_overdue_rows (), 1);
    json_t *events = s_events_of (0, "round.report_overdue");
    CHECK_INT (json_array_size (events), 1);
    json_t *e = json_array_get (events, 0);
    char due_text[XC_DATE_LEN + 1];
    xc_date_format (due, due_text);
    CHECK_STR (json_string_value (json_object_get (e, "round")), "RO");
    CHECK_STR (json_string_value (json_object_get (e, "withdrawn_on")), withdrawn_on);
    CHECK_STR (json_string_value (json_object_get (e, "due")), due_text);
    const char *explain = json_string_value (json_object_get (e, "explain"));
    CHECK (explain && strstr (explain, due_text));
    json_decref (events);
    /* keyed: the entry's id is the key, the message's id derived from it, no corr */
    json_t *all = s_events ("office", 0);
    size_t i;
    json_t *entry;
    int keyed = 0;
    json_array_foreach (all, i, entry) {
        if (strcmp (json_string_value (json_object_get (entry, "type")), "round.report_overdue") != 0)
            continue;
        keyed++;
        CHECK_STR (json_string_value (json_object_get (entry, "id")), "report_overdue:RO");
        xc_msg_t *event = fx_event_open (&fx, entry);
        CHECK (event != NULL);
        if (event) {
            char want[XC_UUID_LEN + 1];
            s_keyed_id ("intake", "report_overdue:RO", want);
            CHECK_STR (event->id, want);
            CHECK_STR (event->corr, "");
        }
        xc_msg_destroy (&event);
    }
    CHECK_INT (keyed, 1);
    json_decref (all);
    /* an open event: a service reads its message */
    all = s_events ("rectify", 0);
    keyed = 0;
    json_array_foreach (all, i, entry)
        keyed += strcmp (json_string_value (json_object_get (entry, "type")), "round.report_overdue") == 0
                 && json_is_string (json_object_get (entry, "message"));
    CHECK_INT (keyed, 1);
    json_decref (all);
    usleep (500 * 1000);
    CHECK_INT (s_overdue_rows (), 1);

    /* across a restart, with the clock moved past the deadline again: still one */
    CHECK_INT (fx_stop (&fx), 0);
    CHECK (fx_start (&fx, NULL) == 0);
    xc_client_destroy (&client);
    client = fx_client (&fx, NULL);
    s_clock_to_day (__LINE__, due + 1);
    usleep (600 * 1000);                 /* six ticks */
    CHECK_INT (s_overdue_rows (), 1);
    events = s_events_of (0, "round.report_overdue");
    CHECK_INT (json_array_size (events), 1);
    json_decref (events);
    /* a day later RO-later is past its deadline too: its own notice, RO's not again */
    s_clock_to_day (__LINE__, due + 2);
    for (int k = 0; k < 300 && s_overdue_rows () < 2; k++)
        usleep (10 * 1000);
    usleep (300 * 1000);
    CHECK_INT (s_overdue_rows (), 2);
    events = s_events_of (0, "round.report_overdue");
    CHECK_INT (json_array_size (events), 2);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 1), "round")), "RO-later");
    json_decref (events);
}

/*  round.report_overdue once per round, when the service's clock passes withdrawal + 30 days,
    and never again, a restart included. */
static void
test_report_overdue_once_across_restart (void)
{
    s_in_fresh_deployment (s_overdue_scenario);
}

/*  A small scenario whose figures are counted by hand (see the table in the comments). */
static void
s_stats_scenario (void)
{
    UNIT ("D1", "云溪区", "district", NULL);
    UNIT ("T1", "青石镇", "town", "D1");
    UNIT ("V1", "桃花村", "village", "T1");
    UNIT ("V2", "李家村", "village", "T1");
    UNIT ("V3", "石门村", "village", "T1");
    UNIT ("C1", "市财政局", "city_department", NULL);
    UNIT ("S1", "市城投集团", "soe", NULL);
    /* RA regular: C1 S1 main, V1 V2 extended; RB regular: C1 V3 main, V1 extended;
       RC special: V2 main, D1 extended */
    ROUND ("RA", "team-1", "C1:m S1:m V1:e V2:e", "stationed");
    ROUND ("RB", "team-2", "C1:m V3:m V1:e", "stationed");
    json_t *data = s_round_data ("RC", "special", "team-1", "V2:m D1:e");
    json_object_set_new (data, "theme", json_string ("乡村振兴"));
    json_decref (OK ("office", "round.open", data));
    s_advance_to (__LINE__, "RC", "planned", "stationed");

    /* P1 team-1 RA C1 political immediate -> lead
       P2 team-1 RA V1 governance -> feedback deadline, special report 乙
       P3 team-2 RB V3 organization immediate
       P4 petition  V2 public_concerns
       P5 audit RA S1 rectification -> special report 甲
       P6 public V1 public_concerns -> merged into P4 (recorded by the office from paper)
       P7 public C1 political immediate -> merged into P1 (likewise)
       P8 team-1 RC V2 ideology -> lead, special report 甲 */
    struct {
        const char *iss, *round, *unit, *category;
        bool immediate;
    } reports[] = {
        { "team-1", "RA", "C1", "political", true },      { "team-1", "RA", "V1", "governance", false },
        { "team-2", "RB", "V3", "organization", true },   { "petition-bureau", NULL, "V2", "public_concerns", false },
        { "audit-bureau", "RA", "S1", "rectification", false },
        { "office", NULL, "V1", "public_concerns", false },
        { "office", NULL, "C1", "political", true }, { "team-1", "RC", "V2", "ideology", false },
    };
    json_int_t p[9] = { 0 };
    char today[XC_DATE_LEN + 1];
    s_day (0, today);
    for (int i = 0; i < 8; i++) {
        data = s_report_data (reports[i].iss, reports[i].round, reports[i].unit, "统计用问题");
        if (strcmp (reports[i].iss, "office") == 0) {     /* a public report from paper */
            json_object_set_new (data, "source", json_string ("public"));
            json_object_set_new (data, "occurred_on", json_string (today));
        }
        json_object_set_new (data, "category", json_string (reports[i].category));
        json_object_set_new (data, "immediate", json_boolean (reports[i].immediate));
        p[i + 1] = s_report (__LINE__, reports[i].iss, data);
    }
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (p[1], json_pack ("[{s:s, s:s}]", "kind", "lead", "body", "discipline-commission"))));
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (p[2], json_pack ("[{s:s, s:s}, {s:s, s:s}]", "kind", "feedback", "timeliness",
                                                       "deadline", "kind", "special_report", "report", "专题报告乙"))));
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (p[5], json_pack ("[{s:s, s:s}]", "kind", "special_report", "report", "专题报告甲"))));
    json_decref (OK ("office", "problem.classify",
                     s_classify_data (p[8], json_pack ("[{s:s, s:s}, {s:s, s:s}]", "kind", "lead", "body",
                                                       "discipline-commission", "kind", "special_report", "report",
                                                       "专题报告甲"))));
    json_decref (OK ("office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", p[4], "from", p[6])));
    json_decref (OK ("office", "problem.merge", json_pack ("{s:I, s:[I]}", "into", p[1], "from", p[7])));

    const char *readers[] = { "office", "rectify" };
    for (int k = 0; k < 2; k++) {
        json_t *st = OK (readers[k], "intake.stats", json_object ());
        json_t *problems = json_object_get (st, "problems");
        CHECK_INT (json_integer_value (json_object_get (problems, "total")), 6);
        CHECK_INT (s_stat (st, "by_category", "political"), 1);
        CHECK_INT (s_stat (st, "by_category", "governance"), 1);
        CHECK_INT (s_stat (st, "by_category", "organization"), 1);
        CHECK_INT (s_stat (st, "by_category", "public_concerns"), 1);
        CHECK_INT (s_stat (st, "by_category", "rectification"), 1);
        CHECK_INT (s_stat (st, "by_category", "ideology"), 1);
        CHECK_INT (s_stat (st, "by_source", "inspection_team"), 4);
        CHECK_INT (s_stat (st, "by_source", "petition"), 1);
        CHECK_INT (s_stat (st, "by_source", "audit"), 1);
        CHECK_INT (s_stat (st, "by_source", "public"), 0);        /* both merged away */
        CHECK_INT (s_stat (st, "by_round", "RA"), 3);
        CHECK_INT (s_stat (st, "by_round", "RB"), 1);
        CHECK_INT (s_stat (st, "by_round", "RC"), 1);
        CHECK_INT (s_stat (st, "by_unit_level", "city_department"), 1);
        CHECK_INT (s_stat (st, "by_unit_level", "village"), 4);
        CHECK_INT (s_stat (st, "by_unit_level", "soe"), 1);
        CHECK_INT (s_stat (st, "by_unit_level", "district"), 0);
        CHECK_INT (json_integer_value (json_object_get (problems, "immediate")), 2);
        CHECK_INT (json_integer_value (json_object_get (problems, "leads")), 2);
        /* special reports are counted in referral only; intake gives the problems folded in:
           three problems, in two reports */
        CHECK_INT (json_integer_value (json_object_get (problems, "folded_into_reports")), 3);
        CHECK (json_object_get (problems, "special_reports") == NULL);
        /* each grouping adds up to the total */
        const char *groups[] = { "by_category", "by_source", "by_unit_level" };
        for (int g = 0; g < 3; g++) {
            json_int_t sum = 0;
            const char *key;
            json_t *v;
            json_object_foreach (json_object_get (problems, groups[g]), key, v)
                sum += json_integer_value (v);
            CHECK_INT (sum, 6);
        }
        json_t *coverage = json_object_get (st, "coverage");
        json_t *by_kind = json_object_get (coverage, "by_kind");
        CHECK_INT (json_integer_value (json_object_get (json_object_get (by_kind, "regular"), "main")), 3);
        CHECK_INT (json_integer_value (json_object_get (json_object_get (by_kind, "regular"), "extended")), 2);
        CHECK_INT (json_integer_value (json_object_get (json_object_get (by_kind, "special"), "main")), 1);
        CHECK_INT (json_integer_value (json_object_get (json_object_get (by_kind, "special"), "extended")), 1);
        CHECK_INT (json_integer_value (json_object_get (json_object_get (by_kind, "mobile"), "main")), 0);
        json_t *by_level = json_object_get (coverage, "by_level");
        CHECK_INT (json_integer_value (json_object_get (by_level, "village")), 3);
        CHECK_INT (json_integer_value (json_object_get (by_level, "city_department")), 1);
        CHECK_INT (json_integer_value (json_object_get (by_level, "soe")), 1);
        CHECK_INT (json_integer_value (json_object_get (by_level, "district")), 1);
        CHECK_INT (json_integer_value (json_object_get (by_level, "town")), 0);
        CHECK_INT (json_integer_value (json_object_get (coverage, "units")), 6);
        json_decref (st);
    }
}

static void
test_stats_on_a_scenario_counted_by_hand (void)
{
    s_in_fresh_deployment (s_stats_scenario);
}

/* ------------------------------------------------------------------ issue 19 */

/*  The member of the only event of type after seq `after` (office's view); NULL when there
    is not exactly one. Borrowed from *events_p (caller decrefs it). */
static json_t *
s_one_event (int64_t after, const char *type, json_t **events_p)
{
    *events_p = s_events_of (after, type);
    return json_array_size (*events_p) == 1 ? json_array_get (*events_p, 0) : NULL;
}

/*  A round.open of id on targets owned by owner (NULL: the default), planned to start on
    start (NULL: 55 days ago). */
static json_t *
s_owned_round (const char *id, const char *kind, const char *targets, const char *owner,
               const char *start)
{
    json_t *data = s_round_data (id, kind, "team-1", targets);
    if (owner)
        json_object_set_new (data, "owner", json_string (owner));
    if (start)
        json_object_set_new (data, "planned_start", json_string (start));
    if (strcmp (kind, "special") == 0)
        json_object_set_new (data, "theme", json_string ("乡村振兴"));
    return data;
}

static void
test_round_owner_and_organ (void)
{
    UNIT ("O-D1", "云溪区", "district", NULL);
    UNIT ("O-T1", "青石镇", "town", "O-D1");
    json_decref (OK ("office", "round.open", s_owned_round ("O-R1", "regular", "O-T1:m", NULL, NULL)));
    json_decref (OK ("office", "round.open", s_owned_round ("O-R2", "regular", "O-T1:m", "O-D1", "2021-03-01")));
    json_t *given = s_owned_round ("O-R3", "regular", "O-T1:m", "city", NULL);
    json_object_set_new (given, "organ", json_string ("市委第三巡察组"));
    json_decref (OK ("office", "round.open", given));

    json_t *r1 = OK ("office", "round.get", json_pack ("{s:s}", "round", "O-R1"));
    json_t *owner = json_object_get (r1, "owner");
    CHECK_STR (json_string_value (json_object_get (owner, "level")), "city");
    CHECK (json_is_null (json_object_get (owner, "district")));
    CHECK_STR (json_string_value (json_object_get (owner, "organ")), "市委巡察办");
    json_t *r2 = OK ("office", "round.get", json_pack ("{s:s}", "round", "O-R2"));
    owner = json_object_get (r2, "owner");
    CHECK_STR (json_string_value (json_object_get (owner, "level")), "district");
    CHECK_STR (json_string_value (json_object_get (owner, "district")), "O-D1");
    CHECK_STR (json_string_value (json_object_get (owner, "organ")), "云溪区委巡察办");
    CHECK_INT (json_integer_value (json_object_get (r2, "year")), 2021);
    json_t *r3 = OK ("office", "round.get", json_pack ("{s:s}", "round", "O-R3"));
    CHECK_STR (json_string_value (json_object_get (json_object_get (r3, "owner"), "organ")), "市委第三巡察组");
    json_decref (r1);
    json_decref (r2);
    json_decref (r3);

    /* the owner is the city or a district: a town is schema, an unknown unit not_found */
    REFUSED (XC_E_SCHEMA, "office", "round.open", s_owned_round ("O-R4", "regular", "O-T1:m", "O-T1", NULL));
    REFUSED (XC_E_NOT_FOUND, "office", "round.open", s_owned_round ("O-R4", "regular", "O-T1:m", "O-NONE", NULL));
}

static void
test_lookback_refuses_units_its_prior_round_did_not_inspect (void)
{
    UNIT ("L-U1", "市交通局", "city_department", NULL);
    UNIT ("L-U2", "市水务局", "city_department", NULL);
    json_decref (OK ("office", "round.open", s_owned_round ("L-R1", "regular", "L-U1:m", NULL, NULL)));
    json_t *data = s_owned_round ("L-R2", "lookback", "L-U1:m L-U2:m", NULL, NULL);
    json_object_set_new (data, "prior_round", json_string ("L-R1"));
    xc_code_t code;
    char text[512] = "";
    json_decref (s_send ("office", "round.open", json_deep_copy (data), &code, text, sizeof text, NULL));
    CHECK_INT (code, XC_E_CONFLICT);
    CHECK (strstr (text, "L-U2") != NULL && strstr (text, "L-U1") == NULL);
    REFUSED (XC_E_CONFLICT, "office", "round.open", data);
    /* its prior round's targets only: accepted, no target an addition */
    data = s_owned_round ("L-R2", "lookback", "L-U1:m", NULL, NULL);
    json_object_set_new (data, "prior_round", json_string ("L-R1"));
    json_decref (OK ("office", "round.open", data));
    json_t *round = OK ("office", "round.get", json_pack ("{s:s}", "round", "L-R2"));
    CHECK (json_object_get (json_array_get (json_object_get (round, "targets"), 0), "addition") == NULL);
    json_decref (round);
}

static void
test_problem_events_carry_category_unit_and_round (void)
{
    UNIT ("E-D1", "云溪区", "district", NULL);
    UNIT ("E-V1", "桃花村", "village", "E-D1");
    json_t *round = s_owned_round ("E-R1", "regular", "E-V1:m", "E-D1", NULL);
    json_decref (OK ("office", "round.open", round));
    s_advance_to (__LINE__, "E-R1", "planned", "stationed");
    int64_t head = fx_head (&fx, client);
    json_t *data = s_report_data ("team-1", "E-R1", "E-V1", "公款吃喝");
    json_object_set_new (data, "category", json_string ("four_styles"));
    json_int_t id = s_report (__LINE__, "team-1", data);
    json_t *events;
    json_t *e = s_one_event (head, "problem.recorded", &events);
    CHECK (e != NULL);
    CHECK_STR (json_string_value (json_object_get (e, "category")), "four_styles");
    json_t *path = json_object_get (e, "category_path");
    CHECK_INT (json_array_size (path), 2);
    CHECK_STR (json_string_value (json_array_get (path, 0)), "governance");
    CHECK_STR (json_string_value (json_array_get (path, 1)), "four_styles");
    CHECK_STR (json_string_value (json_object_get (e, "category_name")), "全面从严治党 › 四风");
    CHECK_STR (json_string_value (json_object_get (e, "unit_level")), "village");
    CHECK_STR (json_string_value (json_object_get (e, "round_name")), "第一轮巡察");
    CHECK_STR (json_string_value (json_object_get (json_object_get (e, "round_owner"), "district")), "E-D1");
    char today[XC_DATE_LEN + 1];
    s_day (0, today);
    CHECK_STR (json_string_value (json_object_get (e, "occurred_on")), today);
    json_decref (events);

    /* classified for feedback at once (immediate): each event carries the same members */
    head = fx_head (&fx, client);
    json_decref (OK ("office", "problem.classify",
                     json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", id, "dispositions", "kind",
                                "feedback", "timeliness", "immediate")));
    const char *types[] = { "problem.classified", "problem.fed_back" };
    for (int i = 0; i < 2; i++) {
        e = s_one_event (head, types[i], &events);
        CHECK (e != NULL);
        CHECK_STR (json_string_value (json_object_get (e, "category_name")), "全面从严治党 › 四风");
        CHECK_INT (json_array_size (json_object_get (e, "category_path")), 2);
        CHECK_STR (json_string_value (json_object_get (e, "unit_level")), "village");
        CHECK_STR (json_string_value (json_object_get (e, "round_name")), "第一轮巡察");
        CHECK_STR (json_string_value (json_object_get (json_object_get (e, "round_owner"), "level")), "district");
        CHECK_STR (json_string_value (json_object_get (e, "occurred_on")), today);
        json_decref (events);
    }
    /* a problem without a round: round_name and round_owner null */
    head = fx_head (&fx, client);
    s_report (__LINE__, "petition-bureau", s_report_data ("petition-bureau", NULL, "E-V1", "信访反映"));
    e = s_one_event (head, "problem.recorded", &events);
    CHECK (e && json_is_null (json_object_get (e, "round_name")) && json_is_null (json_object_get (e, "round_owner")));
    CHECK_STR (json_string_value (json_object_get (e, "category_name")), "党的领导和政治建设");
    json_decref (events);
}

/*  Issue 20: a round's link (联动, 交叉, 提级) is stored, shown and carried by round.opened, and
    every problem event carries it as round_link beside round_owner. */
static void
test_round_link_in_events (void)
{
    UNIT ("K-D1", "云溪区", "district", NULL);
    UNIT ("K-D2", "青山区", "district", NULL);
    UNIT ("K-T1", "青石镇", "town", "K-D1");
    UNIT ("K-T2", "白沙镇", "town", "K-D2");
    int64_t head = fx_head (&fx, client);
    json_t *data = s_owned_round ("K-RX", "regular", "K-T2:m", "K-D2", NULL);
    json_object_set_new (data, "link", json_pack ("{s:s, s:s}", "kind", "crossed", "by", "K-D1"));
    json_decref (OK ("office", "round.open", data));
    json_t *events;
    json_t *e = s_one_event (head, "round.opened", &events);
    CHECK (e != NULL);
    json_t *link = json_object_get (json_object_get (e, "round"), "link");
    CHECK_STR (json_string_value (json_object_get (link, "kind")), "crossed");
    CHECK_STR (json_string_value (json_object_get (link, "by")), "K-D1");
    CHECK_INT (json_object_size (link), 2);
    json_decref (events);

    /* raised: the city's, over units of the district named; linked: a district's, to a city round */
    data = s_owned_round ("K-RR", "regular", "K-T1:m", NULL, NULL);
    json_object_set_new (data, "link", json_pack ("{s:s, s:s}", "kind", "raised", "district", "K-D1"));
    json_decref (OK ("office", "round.open", data));
    data = s_owned_round ("K-RL", "regular", "K-T1:m", "K-D1", NULL);
    json_object_set_new (data, "link", json_pack ("{s:s, s:s}", "kind", "linked", "round", "K-RR"));
    json_decref (OK ("office", "round.open", data));
    json_t *r = OK ("office", "round.get", json_pack ("{s:s}", "round", "K-RL"));
    CHECK_STR (json_string_value (json_object_get (json_object_get (r, "link"), "round")), "K-RR");
    json_decref (r);
    /* refused, nothing stored: raised over another district's unit, crossed by the owner */
    data = s_owned_round ("K-RN", "regular", "K-T2:m", NULL, NULL);
    json_object_set_new (data, "link", json_pack ("{s:s, s:s}", "kind", "raised", "district", "K-D1"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    data = s_owned_round ("K-RN", "regular", "K-T2:m", "K-D2", NULL);
    json_object_set_new (data, "link", json_pack ("{s:s, s:s}", "kind", "crossed", "by", "K-D2"));
    REFUSED (XC_E_SCHEMA, "office", "round.open", data);
    REFUSED (XC_E_NOT_FOUND, "office", "round.get", json_pack ("{s:s}", "round", "K-RN"));

    /* a problem of the crossed round: recorded, classified, fed back, each with round_link */
    s_advance_to (__LINE__, "K-RX", "planned", "stationed");
    head = fx_head (&fx, client);
    json_int_t id = REPORT ("team-1", "K-RX", "K-T2", "交叉巡察发现的问题");
    json_decref (OK ("office", "problem.classify",
                     json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", id, "dispositions", "kind",
                                "feedback", "timeliness", "immediate")));
    const char *types[] = { "problem.recorded", "problem.classified", "problem.fed_back" };
    for (int i = 0; i < 3; i++) {
        e = s_one_event (head, types[i], &events);
        CHECK (e != NULL);
        CHECK_STR (json_string_value (json_object_get (json_object_get (e, "round_link"), "by")), "K-D1");
        CHECK_STR (json_string_value (json_object_get (json_object_get (e, "round_owner"), "district")), "K-D2");
        json_decref (events);
    }
    /* an ordinary round's problem: round_link null */
    json_decref (OK ("office", "round.open", s_owned_round ("K-RO", "regular", "K-T1:m", NULL, NULL)));
    s_advance_to (__LINE__, "K-RO", "planned", "stationed");
    head = fx_head (&fx, client);
    REPORT ("team-1", "K-RO", "K-T1", "普通轮次的问题");
    e = s_one_event (head, "problem.recorded", &events);
    CHECK (e && json_is_null (json_object_get (e, "round_link")));
    json_decref (events);
}

static void
test_office_records_history_with_occurred_on (void)
{
    UNIT ("H-U1", "市住建局", "city_department", NULL);
    json_t *round = s_owned_round ("H-R1", "regular", "H-U1:m", NULL, "2019-03-01");
    json_decref (OK ("office", "round.open", round));    /* planned: no team could report */
    /* the office reports only from history, with occurred_on */
    json_t *data = s_report_data ("team-1", "H-R1", "H-U1", "历史问题");
    REFUSED (XC_E_FORBIDDEN, "office", "problem.report", json_deep_copy (data));
    /* a team may not give occurred_on; a date after today is schema */
    json_t *team = json_deep_copy (data);
    json_object_set_new (team, "occurred_on", json_string ("2019-04-02"));
    REFUSED (XC_E_FORBIDDEN, "team-1", "problem.report", team);
    char tomorrow[XC_DATE_LEN + 1];
    s_day (1, tomorrow);
    json_t *future = json_deep_copy (data);
    json_object_set_new (future, "occurred_on", json_string (tomorrow));
    REFUSED (XC_E_SCHEMA, "office", "problem.report", future);
    /* a unit not a target of the named round: conflict */
    UNIT ("H-U2", "市民政局", "city_department", NULL);
    json_t *off = s_report_data ("team-1", "H-R1", "H-U2", "历史问题");
    json_object_set_new (off, "occurred_on", json_string ("2019-04-02"));
    REFUSED (XC_E_CONFLICT, "office", "problem.report", off);

    int64_t head = fx_head (&fx, client);
    json_object_set_new (data, "occurred_on", json_string ("2019-04-02"));
    json_int_t id = s_report (__LINE__, "office", data);
    json_t *p = OK ("office", "problem.get", json_pack ("{s:I}", "problem", id));
    CHECK_STR (json_string_value (json_object_get (p, "found_on")), "2019-04-02");
    CHECK_STR (json_string_value (json_object_get (p, "source")), "inspection_team");
    CHECK_STR (json_string_value (json_object_get (p, "reported_by")), "office");
    CHECK (json_is_true (json_object_get (p, "recorded_from_history")));
    json_decref (p);
    json_t *events;
    json_t *e = s_one_event (head, "problem.recorded", &events);
    CHECK (e && json_is_true (json_object_get (e, "recorded_from_history")));
    CHECK_STR (json_string_value (json_object_get (e, "occurred_on")), "2019-04-02");
    json_decref (events);

    /* classified before it was found: conflict naming both dates; then on its day */
    json_t *classify = json_pack ("{s:I, s:[{s:s, s:s}], s:s}", "problem", id, "dispositions", "kind",
                                  "feedback", "timeliness", "immediate", "occurred_on", "2019-04-01");
    xc_code_t code;
    char text[512] = "";
    json_decref (s_send ("office", "problem.classify", json_deep_copy (classify), &code, text, sizeof text, NULL));
    CHECK_INT (code, XC_E_CONFLICT);
    CHECK (strstr (text, "2019-04-01") && strstr (text, "2019-04-02"));
    REFUSED (XC_E_CONFLICT, "office", "problem.classify", classify);
    head = fx_head (&fx, client);
    json_decref (OK ("office", "problem.classify",
                     json_pack ("{s:I, s:[{s:s, s:s}], s:s}", "problem", id, "dispositions", "kind",
                                "feedback", "timeliness", "immediate", "occurred_on", "2019-04-10")));
    e = s_one_event (head, "problem.fed_back", &events);
    CHECK_STR (json_string_value (json_object_get (e, "fed_back_on")), "2019-04-10");
    CHECK_STR (json_string_value (json_object_get (e, "occurred_on")), "2019-04-10");
    CHECK_STR (json_string_value (json_object_get (e, "found_on")), "2019-04-02");
    json_decref (events);
}

static void
test_unit_rename_merge_split (void)
{
    UNIT ("M-A", "市农业局", "city_department", NULL);
    UNIT ("M-B", "市林业局", "city_department", NULL);
    UNIT ("M-S", "市文广新局", "city_department", NULL);
    UNIT ("M-X", "市旅游局", "city_department", NULL);
    /* rename, from a date */
    int64_t head = fx_head (&fx, client);
    json_decref (OK ("office", "unit.rename", json_pack ("{s:s, s:s, s:s}", "unit", "M-A", "name",
                                                         "市农业农村局", "occurred_on", "2019-02-01")));
    json_t *events;
    json_t *e = s_one_event (head, "unit.renamed", &events);
    CHECK_STR (json_string_value (json_object_get (e, "previous_name")), "市农业局");
    CHECK_STR (json_string_value (json_object_get (e, "name")), "市农业农村局");
    CHECK_STR (json_string_value (json_object_get (e, "occurred_on")), "2019-02-01");
    json_decref (events);
    json_t *a = OK ("office", "unit.get", json_pack ("{s:s}", "unit", "M-A"));
    CHECK_STR (json_string_value (json_object_get (a, "name")), "市农业农村局");
    json_t *names = json_object_get (a, "names");
    CHECK_INT (json_array_size (names), 2);
    CHECK_STR (json_string_value (json_object_get (json_array_get (names, 0), "name")), "市农业局");
    CHECK_STR (json_string_value (json_object_get (json_array_get (names, 1), "from")), "2019-02-01");
    CHECK_STR (json_string_value (json_object_get (a, "status")), "active");
    json_decref (a);
    /* a change dated before the rename: conflict */
    REFUSED (XC_E_CONFLICT, "office", "unit.rename", json_pack ("{s:s, s:s, s:s}", "unit", "M-A", "name",
                                                               "又一名", "occurred_on", "2019-01-01"));

    /* merge into a new unit: unit.registered first, then unit.merged */
    head = fx_head (&fx, client);
    json_decref (OK ("office", "unit.merge",
                     json_pack ("{s:[s, s], s:{s:s, s:s, s:s}, s:s}", "from", "M-A", "M-B", "into", "id", "M-C",
                                "name", "市农业农村和林业局", "level", "city_department", "occurred_on", "2020-01-01")));
    char types[512];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "unit.registered unit.merged");
    e = s_one_event (head, "unit.merged", &events);
    CHECK_STR (json_string_value (json_object_get (e, "into")), "M-C");
    CHECK_INT (json_array_size (json_object_get (e, "from")), 2);
    CHECK_STR (json_string_value (json_object_get (e, "occurred_on")), "2020-01-01");
    json_decref (events);
    json_t *b = OK ("office", "unit.get", json_pack ("{s:s}", "unit", "M-B"));
    CHECK_STR (json_string_value (json_object_get (b, "status")), "merged");
    CHECK_STR (json_string_value (json_object_get (b, "successor")), "M-C");
    json_decref (b);
    /* a new round on a merged unit: conflict naming the successor and the day */
    xc_code_t code;
    char text[512] = "";
    json_decref (s_send ("office", "round.open", s_owned_round ("M-R1", "regular", "M-B:m", NULL, NULL),
                         &code, text, sizeof text, NULL));
    CHECK_INT (code, XC_E_CONFLICT);
    CHECK (strstr (text, "M-B was merged into M-C on 2020-01-01") != NULL);
    REFUSED (XC_E_CONFLICT, "petition-bureau", "problem.report",
             s_report_data ("petition-bureau", NULL, "M-B", "合并后的单位"));
    /* a fact from before the merge, loaded from history, still names it */
    json_t *old = s_report_data ("petition-bureau", NULL, "M-B", "合并前的问题");
    json_object_set_new (old, "occurred_on", json_string ("2019-06-01"));
    s_report (__LINE__, "office", old);
    /* merged units merge no more; into an existing unit of the from list: conflict */
    REFUSED (XC_E_CONFLICT, "office", "unit.merge", json_pack ("{s:[s, s], s:{s:s}}", "from", "M-B", "M-X",
                                                              "into", "id", "M-S"));
    REFUSED (XC_E_CONFLICT, "office", "unit.merge", json_pack ("{s:[s, s], s:{s:s}}", "from", "M-S", "M-X",
                                                              "into", "id", "M-X"));
    REFUSED (XC_E_SCHEMA, "office", "unit.merge", json_pack ("{s:[s, s], s:{s:s, s:s}}", "from", "M-S", "M-X",
                                                            "into", "id", "M-N", "name", "无层级"));

    /* split into two new units, one the successor */
    REFUSED (XC_E_SCHEMA, "office", "unit.split",
             json_pack ("{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:s}", "unit", "M-S", "into",
                        "id", "M-S1", "name", "市文化局", "level", "city_department", "id", "M-S2", "name",
                        "市广电局", "level", "city_department", "successor", "M-S3"));
    head = fx_head (&fx, client);
    json_decref (OK ("office", "unit.split",
                     json_pack ("{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:s}", "unit", "M-S", "into",
                                "id", "M-S1", "name", "市文化局", "level", "city_department", "id", "M-S2",
                                "name", "市广电局", "level", "city_department", "successor", "M-S1")));
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "unit.registered unit.registered unit.split");
    e = s_one_event (head, "unit.split", &events);
    CHECK_STR (json_string_value (json_object_get (e, "successor")), "M-S1");
    CHECK_INT (json_array_size (json_object_get (e, "into")), 2);
    json_decref (events);
    json_t *s = OK ("office", "unit.get", json_pack ("{s:s}", "unit", "M-S"));
    CHECK_STR (json_string_value (json_object_get (s, "status")), "split");
    CHECK_STR (json_string_value (json_object_get (s, "successor")), "M-S1");
    json_decref (s);
    /* only the office changes units */
    REFUSED (XC_E_FORBIDDEN, "team-1", "unit.rename", json_pack ("{s:s, s:s}", "unit", "M-X", "name", "某局"));
}

/*  Stats filters: a city and a district round in two years, categories in a tree. */
static json_int_t
s_total (json_t *filters)
{
    json_t *st = OK ("office", "intake.stats", filters);
    json_int_t n = json_integer_value (json_object_get (json_object_get (st, "problems"), "total"));
    json_decref (st);
    return n;
}

static void
s_filters_scenario (void)
{
    UNIT ("D1", "云溪区", "district", NULL);
    UNIT ("V1", "桃花村", "village", "D1");
    UNIT ("V2", "李家村", "village", "D1");
    UNIT ("C1", "市财政局", "city_department", NULL);
    json_t *city = s_owned_round ("RC", "regular", "C1:m V1:e", NULL, "2019-03-01");
    json_t *linked = json_pack ("[s]", "linked");
    json_object_set_new (city, "modes", linked);
    json_decref (OK ("office", "round.open", city));
    json_decref (OK ("office", "round.open", s_owned_round ("RD", "regular", "V1:m V2:m", "D1", "2020-03-01")));
    json_decref (OK ("office", "round.open", s_owned_round ("RS", "special", "V2:m", "D1", "2020-05-01")));
    /* problems, with the day found: RC 2019 four_styles C1, RC 2019 political V1 (immediate),
       RD 2020 livelihood V1, RD 2020 four_styles V2, petition 2020 governance V2 (no round) */
    const struct { const char *round, *unit, *category, *day; bool immediate; } ps[] = {
        { "RC", "C1", "four_styles", "2019-04-01", false }, { "RC", "V1", "political", "2019-04-02", true },
        { "RD", "V1", "livelihood", "2020-04-01", false }, { "RD", "V2", "four_styles", "2020-04-02", false },
        { NULL, "V2", "governance", "2020-06-01", false },
    };
    json_int_t ids[5];
    for (int i = 0; i < 5; i++) {
        json_t *d = s_report_data ("team-1", ps[i].round, ps[i].unit, "问题");
        json_object_set_new (d, "category", json_string (ps[i].category));
        json_object_set_new (d, "occurred_on", json_string (ps[i].day));
        json_object_set_new (d, "immediate", json_boolean (ps[i].immediate));
        ids[i] = s_report (__LINE__, "office", d);
    }
    json_decref (OK ("office", "problem.classify",
                     json_pack ("{s:I, s:[{s:s, s:s}], s:s}", "problem", ids[3], "dispositions", "kind",
                                "lead", "body", "discipline-commission", "occurred_on", "2020-05-01")));
    json_decref (OK ("office", "problem.classify",
                     json_pack ("{s:I, s:[{s:s, s:s}], s:s}", "problem", ids[0], "dispositions", "kind",
                                "special_report", "report", "作风专题报告", "occurred_on", "2019-05-01")));

    CHECK_INT (s_total (json_object ()), 5);
    CHECK_INT (s_total (json_pack ("{s:i}", "year", 2019)), 2);
    CHECK_INT (s_total (json_pack ("{s:i}", "year", 2020)), 3);
    CHECK_INT (s_total (json_pack ("{s:i}", "year", 2021)), 0);
    CHECK_INT (s_total (json_pack ("{s:s}", "round", "RD")), 2);
    CHECK_INT (s_total (json_pack ("{s:s}", "owner", "city")), 2);
    CHECK_INT (s_total (json_pack ("{s:s}", "owner", "district")), 2);     /* the petition has no round */
    CHECK_INT (s_total (json_pack ("{s:s}", "owner", "D1")), 2);
    CHECK_INT (s_total (json_pack ("{s:s}", "kind", "regular")), 4);
    CHECK_INT (s_total (json_pack ("{s:s}", "mode", "linked")), 2);
    CHECK_INT (s_total (json_pack ("{s:s}", "category", "governance")), 3);   /* with four_styles */
    CHECK_INT (s_total (json_pack ("{s:s}", "category", "four_styles")), 2);
    CHECK_INT (s_total (json_pack ("{s:s}", "category", "public_concerns")), 1);
    CHECK_INT (s_total (json_pack ("{s:s}", "unit_level", "village")), 4);
    CHECK_INT (s_total (json_pack ("{s:s, s:i, s:s}", "category", "governance", "year", 2020, "owner", "district")), 1);

    json_t *st = OK ("office", "intake.stats", json_pack ("{s:i}", "year", 2019));
    json_t *problems = json_object_get (st, "problems");
    CHECK_INT (json_integer_value (json_object_get (problems, "immediate")), 1);
    CHECK_INT (json_integer_value (json_object_get (problems, "leads")), 0);
    CHECK_INT (json_integer_value (json_object_get (problems, "folded_into_reports")), 1);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (problems, "by_category_tree"), "governance")), 1);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (st, "filters"), "year")), 2019);
    CHECK (json_is_string (json_object_get (json_object_get (st, "definitions"), "problems.total")));
    /* coverage by the round's year: 2019 is the city's round only */
    json_t *coverage = json_object_get (st, "coverage");
    CHECK_INT (json_integer_value (json_object_get (coverage, "units")), 2);
    json_t *by_owner = json_object_get (coverage, "by_owner");
    json_t *cr = json_object_get (json_object_get (json_object_get (by_owner, "city"), "by_kind"), "regular");
    CHECK_INT (json_integer_value (json_object_get (cr, "main")), 1);
    CHECK_INT (json_integer_value (json_object_get (cr, "extended")), 1);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (by_owner, "district"), "units")), 0);
    json_decref (st);

    /* all years: the district's regular units, villages among them; the city's by mode */
    st = OK ("office", "intake.stats", json_object ());
    by_owner = json_object_get (json_object_get (st, "coverage"), "by_owner");
    json_t *district = json_object_get (by_owner, "district");
    CHECK_INT (json_integer_value (json_object_get (json_object_get (district, "units_by_kind"), "regular")), 2);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (json_object_get (district, "by_kind_level"),
                                                                     "regular"), "village")), 2);
    CHECK_INT (json_object_size (json_object_get (json_object_get (district, "by_kind"), "regular")), 2);
    CHECK_INT (json_integer_value (json_object_get (district, "units")), 2);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (district, "by_level"), "village")), 2);
    json_t *linked_cov = json_object_get (json_object_get (json_object_get (by_owner, "city"), "by_mode"), "linked");
    CHECK_INT (json_integer_value (json_object_get (linked_cov, "units")), 2);
    CHECK_INT (json_integer_value (json_object_get (json_object_get (st, "problems"), "leads")), 1);
    json_decref (st);

    /* bad filters: unknown round or district not_found, a unit not a district or an unknown
       category schema */
    xc_code_t code;
    json_decref (s_send ("office", "intake.stats", json_pack ("{s:s}", "round", "NONE"), &code, NULL, 0, NULL));
    CHECK_INT (code, XC_E_NOT_FOUND);
    json_decref (s_send ("office", "intake.stats", json_pack ("{s:s}", "owner", "NONE"), &code, NULL, 0, NULL));
    CHECK_INT (code, XC_E_NOT_FOUND);
    json_decref (s_send ("office", "intake.stats", json_pack ("{s:s}", "owner", "V1"), &code, NULL, 0, NULL));
    CHECK_INT (code, XC_E_SCHEMA);
    json_decref (s_send ("office", "intake.stats", json_pack ("{s:s}", "category", "nothing"), &code, NULL, 0, NULL));
    CHECK_INT (code, XC_E_SCHEMA);
    json_decref (s_send ("office", "intake.stats", json_pack ("{s:i}", "year", 1999), &code, NULL, 0, NULL));
    CHECK_INT (code, XC_E_SCHEMA);
}

static void
test_stats_filters (void)
{
    s_in_fresh_deployment (s_filters_scenario);
}

/*  A round withdrawn long ago, loaded from history: its report deadline is past when the
    withdrawal is applied, but no round.report_overdue comes for history_quiet (1 day), so that
    the report loaded next comes first; after that, one notice. */
static void
s_history_quiet_scenario (void)
{
    UNIT ("UQ-a", "市审计局", "city_department", NULL);
    json_t *data = s_owned_round ("RQ", "regular", "UQ-a:m", NULL, "2019-03-01");
    json_object_set_new (data, "planned_end", json_string ("2019-05-31"));
    json_object_set_new (data, "date", json_string ("2019-02-20"));
    json_decref (OK ("office", "round.open", data));
    const char *steps[][2] = { { "stationed", "2019-03-01" }, { "withdrawn", "2019-04-30" } };
    for (int i = 0; i < 2; i++)
        json_decref (OK ("office", "round.advance", json_pack ("{s:s, s:s, s:s}", "round", "RQ", "stage",
                                                               steps[i][0], "date", steps[i][1])));
    usleep (600 * 1000);                 /* six ticks: quiet */
    CHECK_INT (s_overdue_rows (), 0);
    s_clock_to_day (__LINE__, fx_today () + 1);
    for (int i = 0; i < 300 && s_overdue_rows () == 0; i++)
        usleep (10 * 1000);
    CHECK_INT (s_overdue_rows (), 1);
    json_t *events = s_events_of (0, "round.report_overdue");
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 0), "due")), "2019-05-30");
    json_decref (events);
}

static void
test_history_round_quiet_before_its_overdue_notice (void)
{
    s_in_fresh_deployment (s_history_quiet_scenario);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (fx_deploy (&fx, "intake", false) != 0 || fx_start (&fx, NULL) != 0) {
        fprintf (stderr, "unable to start build/bin/xc-intake (log in %s)\n", fx.dir);
        return 1;
    }
    client = fx_client (&fx, NULL);
    RUN (test_unit_register_get_list);
    RUN (test_unit_register_refusals);
    RUN (test_round_open_get_list);
    RUN (test_round_open_refusals);
    RUN (test_round_kinds_and_modes);
    RUN (test_round_stage_order);
    RUN (test_problem_report_each_source);
    RUN (test_problem_report_retry_is_one_problem);
    RUN (test_problem_report_rules);
    RUN (test_refused_petition_registers_unit);
    RUN (test_refused_team_into_another_teams_round);
    RUN (test_refused_team_on_a_unit_not_a_target);
    RUN (test_refused_team_at_stage_planned);
    RUN (test_refused_source_not_the_senders);
    RUN (test_refused_public_reads_what_it_did_not_report);
    RUN (test_refused_unknown_role);
    RUN (test_refused_role_table_rest);
    RUN (test_classify_feedback_immediate);
    RUN (test_classify_feedback_deferred);
    RUN (test_classify_lead_handover_special_report);
    RUN (test_merge_keeps_sources);
    RUN (test_events_read_visibility);
    RUN (test_reporter_identity_encrypted);
    RUN (test_chinese_text_byte_for_byte);
    RUN (test_events_read_entry_members);
    RUN (test_problem_list_filters_and_pages);
    RUN (test_stats_on_a_scenario_counted_by_hand);
    RUN (test_report_overdue_once_across_restart);
    RUN (test_round_owner_and_organ);
    RUN (test_lookback_refuses_units_its_prior_round_did_not_inspect);
    RUN (test_problem_events_carry_category_unit_and_round);
    RUN (test_round_link_in_events);
    RUN (test_office_records_history_with_occurred_on);
    RUN (test_unit_rename_merge_split);
    RUN (test_stats_filters);
    RUN (test_history_round_quiet_before_its_overdue_notice);
    xc_client_destroy (&client);
    fx_destroy (&fx);
    HARNESS_END ();
}
