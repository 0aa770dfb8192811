/*  System test: the real xc-referral binary reading a real xc-intake, real sockets, real
    SQLite files.

    Written from docs/services/referral.md: leads and handovers flowing from intake's events
    (exactly once across a crash right after a commit; a lead intake redacts stops the
    consumer, loses nothing), referral.create, one referral per problem and kind, every
    transition of the life table and every forbidden one, every role refusal and schema
    refusal (nothing stored), list filters and pages, deadlines with their warnings and
    overdue notices once each across a restart and an extension (none after the first
    disposal, a reopened lead included; every open referral, more than a thousand too),
    logged reads, events visibility and referral.stats on a scenario counted by hand.

    Ids of referrals are kept as the JSON values the service gives (the page does not say
    whether they are integers or strings) and passed back as they are.

    Dates: the shared deployment's clock is never moved; deadlines, visibility of overdue
    notices and the statistics run in deployments of their own (fresh clocks).
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

static fx_t intake, referral;
static xc_client_t *to_intake, *to_referral;

#define UTC_OFFSET (8 * 3600)        /* the fixture's deployment is at +08:00 */
#define BODY "discipline-commission"
#define ORG "org-department"

/* ------------------------------------------------------------------ calls */

static xc_client_t *
s_client_of (fx_t *svc)
{
    return svc == &intake ? to_intake : to_referral;
}

/*  Sends a sealed message to svc and waits for its answer (fx_send_sealed). */
static json_t *
s_call_sealed (fx_t *svc, const char *iss, const char *msg, const char *id, xc_code_t *code_p,
               char *text, size_t text_size, char *status)
{
    return fx_send_sealed (svc, s_client_of (svc), iss, msg, id, code_p, text, text_size, status);
}

/*  Sends type with data (stolen) to svc signed by iss (fx_send). */
static json_t *
s_send (fx_t *svc, const char *iss, const char *type, json_t *data, xc_code_t *code_p, char *text,
        size_t text_size, char *status)
{
    return fx_send (svc, s_client_of (svc), iss, type, data, code_p, text, text_size, status);
}

/*  An accepted command or an answered query: its result (caller owns; an empty object after a
    failed check, so a test goes on). */
static json_t *
s_ok (int line, fx_t *svc, const char *iss, const char *type, json_t *data)
{
    xc_code_t code;
    char text[512];
    json_t *out = s_send (svc, iss, type, data, &code, text, sizeof text, NULL);
    if (!out) {
        FX_FAIL_AT (line, "%s as %s: %s (%s), expected success", type, iss, xc_code_name (code), text);
        out = json_object ();
    }
    return out;
}
#define OK_I(iss, type, data) s_ok (__LINE__, &intake, iss, type, data)
#define OK_R(iss, type, data) s_ok (__LINE__, &referral, iss, type, data)
#define DONE_R(iss, type, data) json_decref (OK_R (iss, type, data))

/* ------------------------------------------------------------------ events */

/*  Every events.read entry of svc after seq `after`, read by iss (caller owns; NULL when
    refused). */
static json_t *
s_events (fx_t *svc, const char *iss, int64_t after)
{
    return fx_events (svc, s_client_of (svc), iss, after, 100);
}

/*  svc's events head as the office reads it (-1 when refused). */
static int64_t
s_head (fx_t *svc)
{
    return fx_head (svc, s_client_of (svc));
}

/*  The data of every event of type in svc after seq `after` (office's view), in order, each
    with its seq added as "_seq" (caller owns). */
static json_t *
s_events_of (fx_t *svc, int64_t after, const char *type)
{
    return fx_events_of (svc, s_client_of (svc), after, type, 100, true);
}

/*  The types of referral's events after seq `after`, joined by spaces. */
static void
s_types_after (int64_t after, char *out, size_t size)
{
    fx_event_types (&referral, to_referral, after, 100, out, size);
}

static long long
s_outbox_count (const char *type)
{
    char sql[200];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM outbox WHERE type = '%s'", type);
    return fx_sql_int (&referral, sql);
}

/* ------------------------------------------------------------------ nothing stored */

/*  A call to referral refused with its code, and nothing stored: the events head, the inbox
    and the outbox as they were. */
static void
s_refused (int line, xc_code_t want, const char *iss, const char *type, json_t *data)
{
    char why[1024];
    if (fx_refused (&referral, to_referral, want, iss, type, data, why, sizeof why) != 0)
        FX_FAIL_AT (line, "%s", why);
}
#define REFUSED(code, iss, type, data) s_refused (__LINE__, code, iss, type, data)

/* ------------------------------------------------------------------ dates and clocks */

static void
s_date_text (xc_date_t date, char *out)
{
    xc_date_format (date, out);
}

/*  Moves svc's test clock to the given local day at 01:00 (+08:00). */
static void
s_clock_to_day (int line, fx_t *svc, xc_date_t day)
{
    char when[XC_RFC3339_LEN + 1];
    xc_clock_format ((int64_t) day * 86400 - UTC_OFFSET + 3600, when);
    json_t *r = s_ok (line, svc, "office", "clock.set", json_pack ("{s:s}", "clock", when));
    int64_t clock = 0;
    if (xc_clock_parse (json_string_value (json_object_get (r, "clock")), &clock, NULL) != 0
        || xc_date_of_time (clock, UTC_OFFSET) < day)
        FX_FAIL_AT (line, "clock.set to %s did not move %s's clock", when, svc->service);
    json_decref (r);
}
#define CLOCK_TO(day) s_clock_to_day (__LINE__, &referral, day)

/* ------------------------------------------------------------------ intake helpers */

static void
s_unit (int line, const char *id)
{
    json_decref (s_ok (line, &intake, "office", "unit.register",
                       json_pack ("{s:s, s:s, s:s}", "id", id, "name", "青石镇人民政府", "level", "town")));
}
#define UNIT(id) s_unit (__LINE__, id)

static const char *
s_source_of (const char *iss)
{
    return strcmp (iss, "petition-bureau") == 0  ? "petition"
           : strcmp (iss, "audit-bureau") == 0   ? "audit"
           : strcmp (iss, "public-channel") == 0 ? "public"
                                                 : "none";
}

/*  Reports a problem on unit as iss (petition, audit or public); returns its id (0 after a
    failed check). */
static json_int_t
s_report (int line, const char *iss, const char *unit, const char *summary, const char *detail)
{
    json_t *r = s_ok (line, &intake, iss, "problem.report",
                      json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "unit", unit, "category",
                                 "governance", "summary", summary, "detail", detail, "severity",
                                 "serious", "source", s_source_of (iss)));
    json_int_t id = json_integer_value (json_object_get (r, "problem"));
    if (id <= 0)
        FX_FAIL_AT (line, "problem.report as %s gave no problem id", iss);
    json_decref (r);
    return id;
}
#define REPORT(iss, unit, summary, detail) s_report (__LINE__, iss, unit, summary, detail)

/*  Classifies a problem with dispositions (stolen). */
static void
s_classify (int line, json_int_t problem, json_t *dispositions)
{
    json_decref (s_ok (line, &intake, "office", "problem.classify",
                       json_pack ("{s:I, s:o}", "problem", problem, "dispositions", dispositions)));
}
#define CLASSIFY(problem, dispositions) s_classify (__LINE__, problem, dispositions)
#define LEAD_TO(body) json_pack ("[{s:s, s:s, s:s}]", "kind", "lead", "body", body, "note", "涉嫌违纪")
#define HANDOVER_TO(dept) json_pack ("[{s:s, s:s}]", "kind", "handover", "department", dept)

/* ------------------------------------------------------------------ referral helpers */

/*  Every item of referral.list as iss with filters (stolen), paged through (caller owns). */
static json_t *
s_list_all (int line, const char *iss, json_t *filters)
{
    char why[300];
    json_t *all = fx_list_all (&referral, to_referral, iss, "referral.list", filters, why, sizeof why);
    if (!all)
        FX_FAIL_AT (line, "%s", why);
    return all ? all : json_array ();
}
#define LIST_ALL(iss, filters) s_list_all (__LINE__, iss, filters)

/*  The list items (of a list) whose member key has the JSON value want. */
static size_t
s_count_where (const json_t *items, const char *key, const json_t *want)
{
    size_t n = 0, i;
    json_t *item;
    json_array_foreach (items, i, item)
        n += json_equal (json_object_get (item, key), want) ? 1 : 0;
    return n;
}

/*  The item with id (borrowed from items) or NULL. */
static json_t *
s_item (const json_t *items, const json_t *id)
{
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
        if (json_equal (json_object_get (item, "id"), id))
            return item;
    return NULL;
}

/*  Waits (bounded) until referral lists, as the office, a referral of kind for problem;
    returns a copy of its item (caller owns) or NULL. */
static json_t *
s_wait_referral (json_int_t problem, const char *kind, int timeout_ms)
{
    int64_t deadline = xc_clock_mono_ms () + timeout_ms;
    json_t *want = json_integer (problem);
    json_t *found = NULL;
    do {
        json_t *items = LIST_ALL ("office", json_pack ("{s:s}", "kind", kind));
        size_t i;
        json_t *item;
        json_array_foreach (items, i, item)
            if (json_equal (json_object_get (item, "problem"), want))
                found = json_deep_copy (item);
        json_decref (items);
        if (!found)
            usleep (50 * 1000);
    } while (!found && xc_clock_mono_ms () < deadline);
    json_decref (want);
    return found;
}

/*  referral.create as office; returns the new referral's id (caller owns; JSON null after a
    failed check). The result's member is "referral" (as intake's {"problem": id}), or "id". */
static json_t *
s_create (int line, const char *kind, const char *target, const char *title)
{
    json_t *r = s_ok (line, &referral, "office", "referral.create",
                      json_pack ("{s:s, s:s, s:s, s:s}", "kind", kind, "target", target, "title", title,
                                 "detail", "经查：该单位负责人存在违规问题，详见附件。"));
    json_t *id = json_object_get (r, "referral");
    if (!id)
        id = json_object_get (r, "id");
    if (!json_is_integer (id) && !json_is_string (id)) {
        FX_FAIL_AT (line, "referral.create gave no referral id");
        id = json_null ();
    }
    json_incref (id);
    json_decref (r);
    return id;
}
#define CREATE(kind, target, title) s_create (__LINE__, kind, target, title)

/*  {"referral": id} plus the given members (a json_pack of an object, stolen). */
static json_t *
s_ref (const json_t *id, json_t *more)
{
    json_t *data = more ? more : json_object ();
    json_object_set (data, "referral", (json_t *) id);
    return data;
}

/*  referral.get's referral object (the result itself, or its member "referral" when the
    result wraps it). Borrowed from result. */
static json_t *
s_referral_of (json_t *result)
{
    json_t *inner = json_object_get (result, "referral");
    return json_is_object (inner) ? inner : result;
}

static json_t *
s_get (int line, const char *iss, const json_t *id)
{
    return s_ok (line, &referral, iss, "referral.get", s_ref (id, NULL));
}
#define GET(iss, id) s_get (__LINE__, iss, id)

/*  The state of a referral as its list item tells it to the office ("" when not listed). */
static void
s_state (int line, const json_t *id, const char *want_state, const char *want_method)
{
    json_t *items = s_list_all (line, "office", json_object ());
    json_t *item = s_item (items, id);
    const char *state = json_string_value (json_object_get (item, "state"));
    if (!state || strcmp (state, want_state) != 0)
        FX_FAIL_AT (line, "state %s, expected %s", state ? state : "(none)", want_state);
    if (want_method) {
        const char *method = json_string_value (json_object_get (item, "method"));
        if (!method || strcmp (method, want_method) != 0)
            FX_FAIL_AT (line, "method %s, expected %s", method ? method : "(none)", want_method);
    }
    json_decref (items);
}
#define STATE(id, state, method) s_state (__LINE__, id, state, method)

static json_t *
s_dispose_data (const json_t *id, const char *method)
{
    return s_ref (id, json_pack ("{s:s, s:s}", "method", method, "note", "已按程序处置"));
}

static json_t *
s_outcome_data (const json_t *id, bool case_filed, int party, int admin, int org, int detentions,
                int prosecution)
{
    return s_ref (id, json_pack ("{s:b, s:i, s:i, s:i, s:i, s:i, s:s}", "case_filed", case_filed,
                                 "party_sanctions", party, "administrative_sanctions", admin,
                                 "organizational_handling", org, "detentions", detentions,
                                 "prosecution_transfers", prosecution, "note", "处理结果"));
}

static json_t *
s_extend_data (const json_t *id, xc_date_t due)
{
    char text[XC_DATE_LEN + 1];
    s_date_text (due, text);
    return s_ref (id, json_pack ("{s:s, s:s}", "due", text, "reason", "案情复杂，申请延期"));
}

/*  The due date of the referral as the office's list shows it. */
static xc_date_t
s_due_of (int line, const json_t *id)
{
    json_t *items = s_list_all (line, "office", json_object ());
    const char *due = json_string_value (json_object_get (s_item (items, id), "due"));
    xc_date_t date = 0;
    if (!due || xc_date_parse (due, &date, NULL) != 0)
        FX_FAIL_AT (line, "no due date listed");
    json_decref (items);
    return date;
}
#define DUE_OF(id) s_due_of (__LINE__, id)

/* ------------------------------------------------------------------ flows from intake */

static void
test_lead_and_handover_flow_from_intake (void)
{
    UNIT ("RF-U1");
    const char *summary = "某局长违规收受礼金";
    const char *detail = "群众反映：该局长在2025年春节期间收受下属礼金共计两万元。";
    json_int_t lead_problem = REPORT ("petition-bureau", "RF-U1", summary, detail);
    CLASSIFY (lead_problem, LEAD_TO (BODY));
    json_t *item = s_wait_referral (lead_problem, "lead", 5000);
    CHECK (item != NULL);
    char today[XC_DATE_LEN + 1], due[XC_DATE_LEN + 1];
    s_date_text (fx_today (), today);
    s_date_text (fx_period_end (xc_date_add_months (fx_today (), 3)), due);
    if (item) {
        CHECK_STR (json_string_value (json_object_get (item, "kind")), "lead");
        CHECK_STR (json_string_value (json_object_get (item, "target")), BODY);
        CHECK_STR (json_string_value (json_object_get (item, "state")), "referred");
        CHECK_STR (json_string_value (json_object_get (item, "due")), due);
        CHECK (json_is_false (json_object_get (item, "overdue")));
        CHECK (!json_object_get (item, "detail"));          /* items carry no content */
        json_t *id = json_object_get (item, "id");
        /* the target lists it, another body does not */
        json_t *items = LIST_ALL (BODY, json_object ());
        CHECK (s_item (items, id) != NULL);
        json_decref (items);
        items = LIST_ALL (ORG, json_object ());
        CHECK (s_item (items, id) == NULL);
        json_decref (items);
        /* the content is intake's */
        for (int k = 0; k < 2; k++) {
            json_t *r = GET (k ? BODY : "office", id);
            json_t *ref = s_referral_of (r);
            char *text = json_dumps (ref, 0);
            CHECK (text && strstr (text, summary));
            CHECK (text && strstr (text, detail));
            free (text);
            CHECK_STR (json_string_value (json_object_get (ref, "kind")), "lead");
            CHECK_STR (json_string_value (json_object_get (ref, "target")), BODY);
            CHECK_INT (json_integer_value (json_object_get (ref, "problem")), lead_problem);
            json_t *d = json_object_get (ref, "due");
            CHECK_STR (json_string_value (json_object_get (d, "date")), due);
            CHECK_STR (json_string_value (json_object_get (d, "start")), today);
            json_decref (r);
        }
    }
    json_decref (item);

    /* a handover, to its department, due in two months */
    json_int_t handed = REPORT ("audit-bureau", "RF-U1", "专项资金挪用", "审计发现专项资金被挪作他用。");
    CLASSIFY (handed, HANDOVER_TO (ORG));
    item = s_wait_referral (handed, "handover", 5000);
    CHECK (item != NULL);
    s_date_text (fx_period_end (xc_date_add_months (fx_today (), 2)), due);
    if (item) {
        CHECK_STR (json_string_value (json_object_get (item, "kind")), "handover");
        CHECK_STR (json_string_value (json_object_get (item, "target")), ORG);
        CHECK_STR (json_string_value (json_object_get (item, "state")), "referred");
        CHECK_STR (json_string_value (json_object_get (item, "due")), due);
        json_t *items = LIST_ALL (ORG, json_object ());
        CHECK (s_item (items, json_object_get (item, "id")) != NULL);
        json_decref (items);
        json_t *r = GET (ORG, json_object_get (item, "id"));
        char *text = json_dumps (s_referral_of (r), 0);
        CHECK (text && strstr (text, "审计发现专项资金被挪作他用。"));
        free (text);
        json_decref (r);
    }
    json_decref (item);

    /* one problem, a lead and a handover: one referral of each kind */
    json_int_t both = REPORT ("petition-bureau", "RF-U1", "村干部优亲厚友", "低保名额分给亲属。");
    CLASSIFY (both, json_pack ("[{s:s, s:s}, {s:s, s:s}]", "kind", "lead", "body", BODY, "kind",
                               "handover", "department", ORG));
    json_t *lead = s_wait_referral (both, "lead", 5000);
    json_t *handover = s_wait_referral (both, "handover", 5000);
    CHECK (lead && handover);
    if (lead && handover)
        CHECK (!json_equal (json_object_get (lead, "id"), json_object_get (handover, "id")));
    json_decref (lead);
    json_decref (handover);

    /* feedback and special reports are passed over: nothing for that problem, while a later
       lead (applied after it, in order) arrives */
    json_int_t fed = REPORT ("petition-bureau", "RF-U1", "办事难", "窗口办事排长队。");
    CLASSIFY (fed, json_pack ("[{s:s, s:s}, {s:s, s:s}]", "kind", "feedback", "timeliness",
                              "immediate", "kind", "special_report", "report", "专题报告"));
    json_int_t later = REPORT ("petition-bureau", "RF-U1", "后来的线索", "详情。");
    CLASSIFY (later, LEAD_TO (BODY));
    item = s_wait_referral (later, "lead", 5000);
    CHECK (item != NULL);
    json_decref (item);
    json_t *all = LIST_ALL ("office", json_object ());
    json_t *want = json_integer (fed);
    CHECK_INT (s_count_where (all, "problem", want), 0);
    json_decref (want);
    /* each of these problems once per kind */
    want = json_integer (lead_problem);
    CHECK_INT (s_count_where (all, "problem", want), 1);
    json_decref (want);
    want = json_integer (both);
    CHECK_INT (s_count_where (all, "problem", want), 2);
    json_decref (want);
    json_decref (all);
}

/*  The problem.referred events of intake after seq `after`: an object problem id -> seq
    (caller owns). */
static json_t *
s_referred_seqs (int64_t after)
{
    json_t *map = json_object ();
    json_t *events = s_events_of (&intake, after, "problem.referred");
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e) {
        char key[32];
        snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (e, "problem")));
        json_object_set (map, key, json_object_get (e, "_seq"));
    }
    json_decref (events);
    return map;
}

/*  How many listed leads have a problem in map, and whether any is listed twice. */
static int
s_leads_of (const json_t *map, bool *twice)
{
    json_t *items = LIST_ALL ("office", json_pack ("{s:s}", "kind", "lead"));
    json_t *seen = json_object ();
    int n = 0;
    size_t i;
    json_t *item;
    *twice = false;
    json_array_foreach (items, i, item) {
        char key[32];
        snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (item, "problem")));
        if (!json_object_get (map, key))
            continue;
        if (json_object_get (seen, key))
            *twice = true;
        json_object_set_new (seen, key, json_true ());
        n++;
    }
    json_decref (seen);
    json_decref (items);
    return n;
}

/*  Referral is down while leads pile up in intake (with enough other events between them to
    need two batches of 200); it dies right after its first commit; the next start goes on.
    Every lead exactly once. */
static void
test_consumer_crash_after_commit (void)
{
    int64_t intake_before = s_head (&intake);
    long long offset_before = fx_sql_int (&referral, "SELECT seq FROM consumer_offsets WHERE source = 'intake'");
    CHECK_INT (fx_stop (&referral), 0);
    UNIT ("RC-U");
    int leads = 0;
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 2; k++) {
            json_int_t p = REPORT ("petition-bureau", "RC-U", "批量线索", "批量线索详情。");
            CLASSIFY (p, LEAD_TO (BODY));
            leads++;
        }
        for (int u = 0; round < 2 && u < 110; u++) {
            char unit[32];
            snprintf (unit, sizeof unit, "RC-F%d-%d", round, u);
            UNIT (unit);
        }
    }
    json_t *map = s_referred_seqs (intake_before);
    CHECK_INT (json_object_size (map), leads);
    int64_t intake_head = s_head (&intake);
    CHECK (intake_head - intake_before > 200);

    const char *fault[] = { "--fail-after-commit", "1", NULL };
    CHECK (fx_start (&referral, fault) == 0);
    CHECK_INT (fx_wait (&referral, 10000), 70);
    long long offset = fx_sql_int (&referral, "SELECT seq FROM consumer_offsets WHERE source = 'intake'");
    CHECK (offset > offset_before);
    CHECK (offset < intake_head);
    /* what was committed is exactly the leads up to the stored offset */
    int committed = 0;
    const char *key;
    json_t *seq;
    json_object_foreach (map, key, seq)
        committed += json_integer_value (seq) <= offset;
    CHECK (fx_start (&referral, NULL) == 0);
    xc_client_destroy (&to_referral);
    to_referral = fx_client (&referral, NULL);
    /* the restarted service may already have gone on: at least the committed ones */
    bool twice = false;
    CHECK (s_leads_of (map, &twice) >= committed);
    CHECK (committed >= 1 && committed < leads);

    int64_t deadline = xc_clock_mono_ms () + 10000;
    int have = 0;
    do {
        have = s_leads_of (map, &twice);
        if (have < leads)
            usleep (50 * 1000);
    } while (have < leads && xc_clock_mono_ms () < deadline);
    CHECK_INT (have, leads);
    CHECK (!twice);
    CHECK_INT (fx_sql_int (&referral, "SELECT seq FROM consumer_offsets WHERE source = 'intake'"),
               s_head (&intake));
    json_decref (map);
}

/* ------------------------------------------------------------------ the life table */

/*  referred -> acknowledged -> disposed -> concluded, with outcomes while disposed; each step
    an event and a history entry; every command outside its state a conflict. */
static void
test_life_forward_path_and_conflicts (void)
{
    json_t *id = CREATE ("lead", BODY, "关于某局长问题线索");
    STATE (id, "referred", NULL);
    json_t *r = GET ("office", id);
    size_t history = json_array_size (json_object_get (s_referral_of (r), "history"));
    json_decref (r);
    int64_t head = s_head (&referral);

    /* at referred: only acknowledge (and extend) */
    REFUSED (XC_E_CONFLICT, BODY, "referral.dispose", s_dispose_data (id, "talk_inquiry"));
    REFUSED (XC_E_CONFLICT, BODY, "referral.outcome", s_outcome_data (id, true, 1, 0, 0, 0, 0));
    REFUSED (XC_E_CONFLICT, BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    REFUSED (XC_E_CONFLICT, BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
    DONE_R (BODY, "referral.acknowledge", s_ref (id, NULL));
    STATE (id, "acknowledged", NULL);

    /* at acknowledged: only dispose */
    REFUSED (XC_E_CONFLICT, BODY, "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_CONFLICT, BODY, "referral.outcome", s_outcome_data (id, true, 1, 0, 0, 0, 0));
    REFUSED (XC_E_CONFLICT, BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    REFUSED (XC_E_CONFLICT, BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
    DONE_R (BODY, "referral.dispose", s_dispose_data (id, "preliminary_verification"));
    STATE (id, "disposed", "preliminary_verification");

    /* at disposed (not parked): outcomes, any number, then conclude */
    REFUSED (XC_E_CONFLICT, BODY, "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_CONFLICT, BODY, "referral.dispose", s_dispose_data (id, "close"));
    REFUSED (XC_E_CONFLICT, BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    REFUSED (XC_E_CONFLICT, "office", "referral.extend", s_extend_data (id, fx_today () + 200));
    DONE_R (BODY, "referral.outcome", s_outcome_data (id, true, 1, 0, 0, 0, 0));
    DONE_R (BODY, "referral.outcome", s_outcome_data (id, false, 0, 1, 1, 1, 1));
    STATE (id, "disposed", "preliminary_verification");
    DONE_R (BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "办结")));
    STATE (id, "concluded", NULL);

    /* at concluded: nothing */
    REFUSED (XC_E_CONFLICT, BODY, "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_CONFLICT, BODY, "referral.dispose", s_dispose_data (id, "close"));
    REFUSED (XC_E_CONFLICT, BODY, "referral.outcome", s_outcome_data (id, true, 1, 0, 0, 0, 0));
    REFUSED (XC_E_CONFLICT, BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    REFUSED (XC_E_CONFLICT, BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
    REFUSED (XC_E_CONFLICT, "office", "referral.extend", s_extend_data (id, fx_today () + 200));

    char types[512];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "referral.acknowledged referral.disposed referral.outcome_reported "
                      "referral.outcome_reported referral.concluded");
    /* every transition in the history, with who; two outcomes among the outcomes */
    r = GET ("office", id);
    json_t *ref = s_referral_of (r);
    CHECK_STR (json_string_value (json_object_get (ref, "state")), "concluded");
    CHECK_INT (json_array_size (json_object_get (ref, "history")), history + 5);
    CHECK_INT (json_array_size (json_object_get (ref, "outcomes")), 2);
    char *text = json_dumps (json_object_get (ref, "history"), 0);
    CHECK (text && strstr (text, BODY) && strstr (text, "办结"));
    free (text);
    json_decref (r);
    json_decref (id);
}

/*  The four disposal methods; outcomes and conclusion on every method but park. */
static void
test_dispose_methods (void)
{
    const char *methods[] = { "talk_inquiry", "preliminary_verification", "park", "close" };
    for (int i = 0; i < 4; i++) {
        json_t *id = CREATE ("lead", BODY, "处置方式");
        DONE_R (BODY, "referral.acknowledge", s_ref (id, NULL));
        DONE_R (BODY, "referral.dispose", s_dispose_data (id, methods[i]));
        STATE (id, "disposed", methods[i]);
        bool park = strcmp (methods[i], "park") == 0;
        if (park) {
            REFUSED (XC_E_CONFLICT, BODY, "referral.outcome", s_outcome_data (id, false, 0, 0, 0, 0, 0));
            REFUSED (XC_E_CONFLICT, BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
        }
        else {
            REFUSED (XC_E_CONFLICT, BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
            DONE_R (BODY, "referral.outcome", s_outcome_data (id, false, 0, 0, 0, 0, 0));
            DONE_R (BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
            STATE (id, "concluded", NULL);
        }
        json_decref (id);
    }
    /* not a method */
    json_t *id = CREATE ("lead", BODY, "处置方式");
    DONE_R (BODY, "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_SCHEMA, BODY, "referral.dispose", s_dispose_data (id, "ignore"));
    STATE (id, "acknowledged", NULL);
    json_decref (id);
}

/*  A parked lead goes back to acknowledged on reopen and is disposed again. */
static void
test_parked_lead_reopened (void)
{
    json_t *id = CREATE ("lead", BODY, "暂存待查线索");
    DONE_R (BODY, "referral.acknowledge", s_ref (id, NULL));
    DONE_R (BODY, "referral.dispose", s_dispose_data (id, "park"));
    int64_t head = s_head (&referral);
    DONE_R (BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "发现新证据")));
    STATE (id, "acknowledged", NULL);
    REFUSED (XC_E_CONFLICT, BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    REFUSED (XC_E_CONFLICT, BODY, "referral.outcome", s_outcome_data (id, true, 0, 0, 0, 0, 0));
    DONE_R (BODY, "referral.dispose", s_dispose_data (id, "talk_inquiry"));
    STATE (id, "disposed", "talk_inquiry");
    DONE_R (BODY, "referral.outcome", s_outcome_data (id, false, 0, 0, 1, 0, 0));
    DONE_R (BODY, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
    char types[512];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "referral.reopened referral.disposed referral.outcome_reported referral.concluded");
    json_decref (id);
}

/*  referral.extend: office only, before disposal, to a later date; the due date moves and the
    extension is listed. */
static void
test_extend_rules (void)
{
    json_t *id = CREATE ("handover", ORG, "移交事项");
    xc_date_t due = DUE_OF (id);
    CHECK_INT (due, fx_period_end (xc_date_add_months (fx_today (), 2)));
    REFUSED (XC_E_CONFLICT, "office", "referral.extend", s_extend_data (id, due));
    REFUSED (XC_E_CONFLICT, "office", "referral.extend", s_extend_data (id, due - 1));
    int64_t head = s_head (&referral);
    DONE_R ("office", "referral.extend", s_extend_data (id, due + 15));
    CHECK_INT (DUE_OF (id), due + 15);
    char types[256];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "referral.extended");
    /* acknowledged is not yet disposed: extend again */
    DONE_R (ORG, "referral.acknowledge", s_ref (id, NULL));
    DONE_R ("office", "referral.extend", s_extend_data (id, due + 30));
    CHECK_INT (DUE_OF (id), due + 30);
    json_t *r = GET ("office", id);
    json_t *d = json_object_get (s_referral_of (r), "due");
    CHECK_INT (json_array_size (json_object_get (d, "extensions")), 2);
    char text[XC_DATE_LEN + 1];
    s_date_text (due + 30, text);
    CHECK_STR (json_string_value (json_object_get (d, "date")), text);
    json_decref (r);
    DONE_R (ORG, "referral.dispose", s_dispose_data (id, "close"));
    REFUSED (XC_E_CONFLICT, "office", "referral.extend", s_extend_data (id, due + 60));
    CHECK_INT (DUE_OF (id), due + 30);
    /* unknown referrals */
    json_t *none = json_integer (987654);
    REFUSED (XC_E_NOT_FOUND, "office", "referral.extend", s_extend_data (none, due + 60));
    REFUSED (XC_E_NOT_FOUND, BODY, "referral.acknowledge", s_ref (none, NULL));
    REFUSED (XC_E_NOT_FOUND, "office", "referral.get", s_ref (none, NULL));
    json_decref (none);
    json_decref (id);
}

/* ------------------------------------------------------------------ roles */

static void
test_role_refusals (void)
{
    json_t *id = CREATE ("lead", BODY, "角色检查");
    /* create by a body, a service, the public */
    REFUSED (XC_E_FORBIDDEN, BODY, "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s}", "kind", "lead", "target", BODY, "title", "t", "detail", "d"));
    REFUSED (XC_E_FORBIDDEN, "rectify", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s}", "kind", "lead", "target", BODY, "title", "t", "detail", "d"));
    /* another body, the office, a service acting for the target */
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_FORBIDDEN, "office", "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_FORBIDDEN, "rectify", "referral.acknowledge", s_ref (id, NULL));
    STATE (id, "referred", NULL);
    /* extend by a body (the target included) */
    REFUSED (XC_E_FORBIDDEN, BODY, "referral.extend", s_extend_data (id, fx_today () + 200));
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.extend", s_extend_data (id, fx_today () + 200));
    /* reading: another body, a service, the public */
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.get", s_ref (id, NULL));
    REFUSED (XC_E_FORBIDDEN, "rectify", "referral.get", s_ref (id, NULL));
    REFUSED (XC_E_FORBIDDEN, "public-channel", "referral.get", s_ref (id, NULL));
    /* the rest of the target's commands by another body */
    DONE_R (BODY, "referral.acknowledge", s_ref (id, NULL));
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.dispose", s_dispose_data (id, "park"));
    STATE (id, "acknowledged", NULL);
    DONE_R (BODY, "referral.dispose", s_dispose_data (id, "park"));
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    REFUSED (XC_E_FORBIDDEN, "office", "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    STATE (id, "disposed", "park");
    DONE_R (BODY, "referral.reopen", s_ref (id, json_pack ("{s:s}", "reason", "r")));
    DONE_R (BODY, "referral.dispose", s_dispose_data (id, "close"));
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.outcome", s_outcome_data (id, true, 1, 1, 1, 1, 1));
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.conclude", s_ref (id, json_pack ("{s:s}", "note", "n")));
    STATE (id, "disposed", "close");
    /* stats: office only */
    REFUSED (XC_E_FORBIDDEN, BODY, "referral.stats", json_object ());
    REFUSED (XC_E_FORBIDDEN, "rectify", "referral.stats", json_object ());
    /* lists: another body, a service and the public see nothing of it */
    const char *others[] = { ORG, "rectify", "public-channel", "audit-bureau" };
    for (int i = 0; i < 4; i++) {
        json_t *items = LIST_ALL (others[i], json_object ());
        CHECK (s_item (items, id) == NULL);
        json_t *target = json_string (others[i]);
        CHECK_INT (s_count_where (items, "target", target), json_array_size (items));
        json_decref (target);
        json_decref (items);
    }
    json_t *items = LIST_ALL ("audit-bureau", json_object ());
    CHECK_INT (json_array_size (items), 0);
    json_decref (items);
    items = LIST_ALL ("public-channel", json_pack ("{s:s}", "target", BODY));
    CHECK_INT (json_array_size (items), 0);
    json_decref (items);
    json_decref (id);
}

/*  Data outside the schema: refused schema, nothing stored. */
static void
test_schema_refusals (void)
{
    json_t *id = CREATE ("lead", BODY, "数据检查");
    REFUSED (XC_E_SCHEMA, "office", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s}", "kind", "memo", "target", BODY, "title", "t", "detail", "d"));
    REFUSED (XC_E_SCHEMA, "office", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s}", "kind", "lead", "target", BODY, "title", "", "detail", "d"));
    char *big = malloc (20002);
    memset (big, 'x', 20001);
    big[20001] = 0;
    REFUSED (XC_E_SCHEMA, "office", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s}", "kind", "lead", "target", BODY, "title", "t", "detail", big));
    big[501] = 0;
    REFUSED (XC_E_SCHEMA, "office", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s}", "kind", "lead", "target", BODY, "title", big, "detail", "d"));
    free (big);
    REFUSED (XC_E_SCHEMA, "office", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s, s:s}", "kind", "lead", "target", BODY, "title", "t",
                        "detail", "d", "colour", "red"));
    DONE_R (BODY, "referral.acknowledge", s_ref (id, NULL));
    DONE_R (BODY, "referral.dispose", s_dispose_data (id, "talk_inquiry"));
    REFUSED (XC_E_SCHEMA, BODY, "referral.outcome", s_outcome_data (id, true, 10001, 0, 0, 0, 0));
    REFUSED (XC_E_SCHEMA, BODY, "referral.outcome", s_outcome_data (id, true, 0, 0, 0, -1, 0));
    json_t *data = s_outcome_data (id, true, 0, 0, 0, 0, 0);
    json_object_set_new (data, "case_filed", json_integer (1));
    REFUSED (XC_E_SCHEMA, BODY, "referral.outcome", data);
    DONE_R (BODY, "referral.outcome", s_outcome_data (id, true, 10000, 0, 0, 0, 0));
    REFUSED (XC_E_SCHEMA, "office", "referral.extend",
             s_ref (id, json_pack ("{s:s, s:s}", "due", "2099-02-30", "reason", "r")));
    json_decref (id);
}

/*  At most one referral of each kind per problem: referral.create naming a problem that
    already has one of that kind is a conflict; another kind is fine. */
static void
test_one_referral_per_problem_and_kind (void)
{
    json_t *r = OK_R ("office", "referral.create",
                      json_pack ("{s:s, s:s, s:s, s:s, s:i}", "kind", "lead", "target", BODY, "title", "t",
                                 "detail", "d", "problem", 424242));
    json_decref (r);
    REFUSED (XC_E_CONFLICT, "office", "referral.create",
             json_pack ("{s:s, s:s, s:s, s:s, s:i}", "kind", "lead", "target", ORG, "title", "t2",
                        "detail", "d2", "problem", 424242));
    json_decref (OK_R ("office", "referral.create",
                       json_pack ("{s:s, s:s, s:s, s:s, s:i}", "kind", "handover", "target", ORG,
                                  "title", "t3", "detail", "d3", "problem", 424242)));
    json_t *items = LIST_ALL ("office", json_object ());
    json_t *want = json_integer (424242);
    CHECK_INT (s_count_where (items, "problem", want), 2);
    json_decref (want);
    json_decref (items);
}

/*  referral.list filters (kind, target, state, overdue) and pages. */
static void
test_list_filters_and_pages (void)
{
    json_t *report = CREATE ("report", ORG, "专题报告");
    json_t *handover = CREATE ("handover", ORG, "移交");
    DONE_R (ORG, "referral.acknowledge", s_ref (handover, NULL));
    struct {
        const char *key, *value;
    } filters[] = { { "kind", "report" }, { "kind", "handover" }, { "target", ORG },
                    { "state", "acknowledged" }, { "state", "referred" } };
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        json_t *items = LIST_ALL ("office", json_pack ("{s:s}", filters[f].key, filters[f].value));
        json_t *want = json_string (filters[f].value);
        CHECK (json_array_size (items) > 0);
        CHECK_INT (s_count_where (items, filters[f].key, want), json_array_size (items));
        json_decref (want);
        bool report_in = s_item (items, report) != NULL, handover_in = s_item (items, handover) != NULL;
        CHECK (report_in == (f == 0 || f == 2 || f == 4));
        CHECK (handover_in == (f == 1 || f == 2 || f == 3));
        json_decref (items);
    }
    /* nothing is overdue on today's clock */
    json_t *items = LIST_ALL ("office", json_pack ("{s:b}", "overdue", 1));
    CHECK_INT (json_array_size (items), 0);
    json_decref (items);
    items = LIST_ALL ("office", json_pack ("{s:b}", "overdue", 0));
    json_t *all = LIST_ALL ("office", json_object ());
    CHECK_INT (json_array_size (items), json_array_size (all));
    json_decref (items);
    /* pages of one give the same items in the same order */
    json_t *after = NULL;
    size_t k = 0;
    for (; k < json_array_size (all) + 2; k++) {
        json_t *data = json_pack ("{s:i}", "limit", 1);
        if (after)
            json_object_set (data, "after", after);
        json_t *r = OK_R ("office", "referral.list", data);
        json_t *page = json_object_get (r, "items");
        if (json_array_size (page) == 0) {
            CHECK (json_is_null (json_object_get (r, "next")));
            json_decref (r);
            break;
        }
        CHECK_INT (json_array_size (page), 1);
        CHECK (json_equal (json_object_get (json_array_get (page, 0), "id"),
                           json_object_get (json_array_get (all, k), "id")));
        json_decref (after);
        after = json_incref (json_object_get (r, "next"));
        json_decref (r);
        if (!after || json_is_null (after)) {
            k++;
            break;
        }
    }
    json_decref (after);
    CHECK_INT (k, json_array_size (all));
    /* the target sees its own, with filters too */
    items = LIST_ALL (ORG, json_pack ("{s:s}", "kind", "report"));
    CHECK (s_item (items, report) != NULL);
    CHECK (s_item (items, handover) == NULL);
    json_decref (items);
    json_decref (all);
    json_decref (report);
    json_decref (handover);
}

/* ------------------------------------------------------------------ get */

/*  referral.get shows how the due date was computed; each read is logged once as lead.read,
    a resent read not again. */
static void
test_get_shows_due_and_is_logged (void)
{
    json_t *id = CREATE ("lead", BODY, "读取留痕");
    long long reads = s_outbox_count ("lead.read");
    int64_t head = s_head (&referral);
    json_t *r = GET ("office", id);
    json_t *d = json_object_get (s_referral_of (r), "due");
    char today[XC_DATE_LEN + 1], due[XC_DATE_LEN + 1];
    s_date_text (fx_today (), today);
    s_date_text (fx_period_end (xc_date_add_months (fx_today (), 3)), due);
    CHECK_STR (json_string_value (json_object_get (d, "date")), due);
    CHECK_STR (json_string_value (json_object_get (d, "start")), today);
    const char *policy = json_string_value (json_object_get (d, "policy"));
    CHECK (policy && strstr (policy, "3 month"));
    const char *explain = json_string_value (json_object_get (d, "explain"));
    CHECK (explain && strstr (explain, due) && strstr (explain, today));
    CHECK (json_is_array (json_object_get (d, "extensions")));
    CHECK_INT (json_array_size (json_object_get (d, "extensions")), 0);
    json_decref (r);
    CHECK_INT (s_outbox_count ("lead.read"), reads + 1);
    json_t *events = s_events_of (&referral, head, "lead.read");
    CHECK_INT (json_array_size (events), 1);
    json_t *e = json_array_get (events, 0);
    CHECK (json_equal (json_object_get (e, "referral"), id));
    CHECK_STR (json_string_value (json_object_get (e, "reader")), "office");
    CHECK (json_is_string (json_object_get (e, "at")));
    json_decref (events);

    /* the target's read is logged too; the same message resent is not logged again */
    json_t *get = s_ref (id, NULL);
    char *json = json_dumps (get, JSON_COMPACT);
    json_decref (get);
    char msg_id[XC_UUID_LEN + 1];
    char *msg = fx_seal (&referral, fx_key (&referral, BODY), BODY, "referral.get", json, msg_id);
    free (json);
    xc_code_t code;
    char text[256], status[16] = "";
    r = s_call_sealed (&referral, BODY, msg, msg_id, &code, text, sizeof text, status);
    CHECK_INT (code, XC_OK);
    CHECK_STR (status, "accepted");
    CHECK_STR (json_string_value (json_object_get (s_referral_of (r), "title")), "读取留痕");
    json_decref (r);
    r = s_call_sealed (&referral, BODY, msg, msg_id, &code, text, sizeof text, status);
    CHECK_INT (code, XC_OK);
    CHECK_STR (status, "duplicate");
    CHECK_STR (json_string_value (json_object_get (s_referral_of (r), "title")), "读取留痕");
    json_decref (r);
    free (msg);
    CHECK_INT (s_outbox_count ("lead.read"), reads + 2);
    events = s_events_of (&referral, head, "lead.read");
    CHECK_INT (json_array_size (events), 2);
    CHECK_STR (json_string_value (json_object_get (json_array_get (events, 1), "reader")), BODY);
    json_decref (events);
    /* a refused read is not logged */
    REFUSED (XC_E_FORBIDDEN, ORG, "referral.get", s_ref (id, NULL));
    CHECK_INT (s_outbox_count ("lead.read"), reads + 2);
    json_decref (id);
}

/* ------------------------------------------------------------------ own deployments */

/*  Runs test in a deployment of its own (fresh databases, clocks of their own), then puts the
    shared one back. */
/*  Sets policies.<service> in the deployment's config to policy_json. */
static int
s_set_policy (fx_t *fx, const char *service, const char *policy_json)
{
    json_t *config = json_load_file (fx->config, 0, NULL);
    json_t *policy = json_loads (policy_json, 0, NULL);
    if (!config || !policy) {
        json_decref (config);
        json_decref (policy);
        return -1;
    }
    if (!json_object_get (config, "policies"))
        json_object_set_new (config, "policies", json_object ());
    json_object_set_new (json_object_get (config, "policies"), service, policy);
    int rc = json_dump_file (config, fx->config, JSON_INDENT (1));
    json_decref (config);
    return rc;
}

static void
s_in_fresh_deployment_with (const char *intake_policy, const char *policy, void (*test) (void))
{
    fx_t shared_intake = intake, shared_referral = referral;
    xc_client_t *shared_ti = to_intake, *shared_tr = to_referral;
    to_intake = to_referral = NULL;
    if (fx_deploy (&intake, "intake", false) != 0
        || (intake_policy && s_set_policy (&intake, "intake", intake_policy) != 0)
        || fx_deploy_peer (&referral, &intake, "referral", policy) != 0
        || fx_start (&intake, NULL) != 0 || fx_pin_endpoints (&intake) != 0
        || fx_start (&referral, NULL) != 0 || fx_pin_endpoints (&referral) != 0) {
        fprintf (stderr, "FAIL %s: unable to start intake and referral (in %s)\n", h_current, intake.dir);
        h_checks_failed_now++;
    }
    else {
        to_intake = fx_client (&intake, NULL);
        to_referral = fx_client (&referral, NULL);
        test ();
    }
    xc_client_destroy (&to_intake);
    xc_client_destroy (&to_referral);
    fx_destroy (&referral);
    fx_destroy (&intake);
    intake = shared_intake;
    referral = shared_referral;
    to_intake = shared_ti;
    to_referral = shared_tr;
}

static void
s_in_fresh_deployment (const char *policy, void (*test) (void))
{
    s_in_fresh_deployment_with (NULL, policy, test);
}

/*  Waits (bounded) until the outbox holds at least want events of type, then a few more
    ticks; returns the count. */
static long long
s_settle (const char *type, long long want)
{
    for (int i = 0; i < 300 && s_outbox_count (type) < want; i++)
        usleep (10 * 1000);
    usleep (400 * 1000);                 /* four more ticks: nothing more may come */
    return s_outbox_count (type);
}

/*  The notices (type) for referral id, as [due, days_left] pairs in "due/days" text. */
static int
s_notices (const char *type, const json_t *id, const char *due, int days_left)
{
    json_t *events = s_events_of (&referral, 0, type);
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e) {
        if (!json_equal (json_object_get (e, "referral"), id))
            continue;
        const char *e_due = json_string_value (json_object_get (e, "due"));
        if (due && (!e_due || strcmp (e_due, due) != 0))
            continue;
        if (days_left >= 0 && json_integer_value (json_object_get (e, "days_left")) != days_left)
            continue;
        n++;
    }
    json_decref (events);
    return n;
}

static void
s_deadline_scenario (void)
{
    xc_date_t today = fx_today ();
    xc_date_t d1 = fx_period_end (xc_date_add_months (today, 3));
    char d1_text[XC_DATE_LEN + 1];
    s_date_text (d1, d1_text);
    json_t *plain = CREATE ("lead", BODY, "普通线索");        /* warnings, overdue */
    json_t *early = CREATE ("lead", BODY, "及时处置");        /* disposed at once: nothing */
    json_t *late = CREATE ("lead", BODY, "警告后处置");       /* disposed after the first warning */
    json_t *extended = CREATE ("lead", BODY, "延期线索");     /* extended before its due date */
    CHECK_INT (DUE_OF (plain), d1);
    DONE_R (BODY, "referral.acknowledge", s_ref (early, NULL));
    DONE_R (BODY, "referral.dispose", s_dispose_data (early, "close"));
    DONE_R (BODY, "referral.acknowledge", s_ref (late, NULL));

    usleep (500 * 1000);                 /* five ticks on today's clock: nothing */
    CHECK_INT (s_outbox_count ("referral.warning"), 0);
    CHECK_INT (s_outbox_count ("referral.overdue"), 0);
    CLOCK_TO (d1 - 21);
    CHECK_INT (s_settle ("referral.warning", 1), 0);

    /* 20 days left: one warning each for the three not disposed */
    CLOCK_TO (d1 - 20);
    CHECK_INT (s_settle ("referral.warning", 3), 3);
    CHECK_INT (s_notices ("referral.warning", plain, d1_text, 20), 1);
    CHECK_INT (s_notices ("referral.warning", late, d1_text, 20), 1);
    CHECK_INT (s_notices ("referral.warning", extended, d1_text, 20), 1);
    CHECK_INT (s_notices ("referral.warning", early, NULL, -1), 0);
    json_t *events = s_events_of (&referral, 0, "referral.warning");
    json_t *e = json_array_get (events, 0);
    CHECK_STR (json_string_value (json_object_get (e, "kind")), "lead");
    CHECK_STR (json_string_value (json_object_get (e, "target")), BODY);
    CHECK (!json_object_get (e, "title") && !json_object_get (e, "detail"));
    json_decref (events);

    /* across a restart, the clock there again: no second warning */
    CHECK_INT (fx_stop (&referral), 0);
    CHECK (fx_start (&referral, NULL) == 0);
    xc_client_destroy (&to_referral);
    to_referral = fx_client (&referral, NULL);
    CLOCK_TO (d1 - 20);
    usleep (200 * 1000);
    CHECK_INT (s_settle ("referral.warning", 3), 3);
    CLOCK_TO (d1 - 15);
    CHECK_INT (s_settle ("referral.warning", 3), 3);

    /* disposed after its first warning: no more for it */
    DONE_R (BODY, "referral.dispose", s_dispose_data (late, "talk_inquiry"));
    CLOCK_TO (d1 - 10);
    CHECK_INT (s_settle ("referral.warning", 5), 5);
    CHECK_INT (s_notices ("referral.warning", plain, d1_text, 10), 1);
    CHECK_INT (s_notices ("referral.warning", extended, d1_text, 10), 1);
    CHECK_INT (s_notices ("referral.warning", late, NULL, -1), 1);

    /* extended before its due date, by 40 days */
    CLOCK_TO (d1 - 5);
    DONE_R ("office", "referral.extend", s_extend_data (extended, d1 + 40));
    char d2_text[XC_DATE_LEN + 1];
    s_date_text (d1 + 40, d2_text);

    /* the due date itself has not passed */
    CLOCK_TO (d1);
    CHECK_INT (s_settle ("referral.overdue", 1), 0);
    /* a day after: the one not disposed, not extended is overdue, once */
    CLOCK_TO (d1 + 1);
    CHECK_INT (s_settle ("referral.overdue", 1), 1);
    CHECK_INT (s_notices ("referral.overdue", plain, d1_text, -1), 1);
    json_t *items = LIST_ALL ("office", json_pack ("{s:b}", "overdue", 1));
    CHECK_INT (json_array_size (items), 1);
    CHECK (s_item (items, plain) != NULL);
    json_decref (items);

    /* across a restart: still once */
    CHECK_INT (fx_stop (&referral), 0);
    CHECK (fx_start (&referral, NULL) == 0);
    xc_client_destroy (&to_referral);
    to_referral = fx_client (&referral, NULL);
    CLOCK_TO (d1 + 2);
    usleep (200 * 1000);
    CHECK_INT (s_settle ("referral.overdue", 1), 1);
    CHECK_INT (s_outbox_count ("referral.warning"), 5);

    /* the new due date's warnings and overdue notice */
    CLOCK_TO (d1 + 20);
    CHECK_INT (s_settle ("referral.warning", 6), 6);
    CHECK_INT (s_notices ("referral.warning", extended, d2_text, 20), 1);
    CLOCK_TO (d1 + 30);
    CHECK_INT (s_settle ("referral.warning", 7), 7);
    CHECK_INT (s_notices ("referral.warning", extended, d2_text, 10), 1);
    CLOCK_TO (d1 + 41);
    CHECK_INT (s_settle ("referral.overdue", 2), 2);
    CHECK_INT (s_notices ("referral.overdue", extended, d2_text, -1), 1);
    CHECK_INT (s_notices ("referral.overdue", extended, d1_text, -1), 0);
    /* never anything for the ones disposed */
    CHECK_INT (s_notices ("referral.warning", early, NULL, -1), 0);
    CHECK_INT (s_notices ("referral.overdue", early, NULL, -1), 0);
    CHECK_INT (s_notices ("referral.overdue", late, NULL, -1), 0);
    CLOCK_TO (d1 + 100);
    CHECK_INT (s_settle ("referral.warning", 7), 7);
    CHECK_INT (s_outbox_count ("referral.overdue"), 2);
    json_decref (plain);
    json_decref (early);
    json_decref (late);
    json_decref (extended);
}

static void
test_deadlines_warnings_and_overdue (void)
{
    s_in_fresh_deployment (NULL, s_deadline_scenario);
}

/*  As rectify (role service): created redacted, warnings and overdue open; as the office all
    open; as another body or the public nothing (refused, or every entry redacted). */
static void
s_visibility_scenario (void)
{
    json_t *id = CREATE ("report", ORG, "专题报告：某系统问题");
    xc_date_t due = DUE_OF (id);
    CHECK_INT (due, fx_today () + 45);           /* the policy of this deployment */
    json_t *r = GET ("office", id);
    const char *policy = json_string_value (json_object_get (json_object_get (s_referral_of (r), "due"), "policy"));
    CHECK (policy && strstr (policy, "45 day"));
    json_decref (r);
    /* a lead, disposed (no notices), read once: lead.read */
    json_t *lead = CREATE ("lead", BODY, "线索");
    DONE_R (BODY, "referral.acknowledge", s_ref (lead, NULL));
    DONE_R (BODY, "referral.dispose", s_dispose_data (lead, "close"));
    json_decref (GET ("office", lead));
    json_decref (lead);
    CLOCK_TO (due - 20);
    CHECK_INT (s_settle ("referral.warning", 1), 1);
    CLOCK_TO (due - 10);
    CHECK_INT (s_settle ("referral.warning", 2), 2);
    CLOCK_TO (due + 1);
    CHECK_INT (s_settle ("referral.overdue", 1), 1);
    const char *readers[] = { "rectify", "office" };
    for (int k = 0; k < 2; k++) {
        json_t *events = s_events (&referral, readers[k], 0);
        CHECK (events != NULL);
        int created = 0, overdue = 0, warning = 0, read = 0;
        size_t i;
        json_t *entry;
        json_array_foreach (events, i, entry) {
            const char *type = json_string_value (json_object_get (entry, "type"));
            bool open = json_is_string (json_object_get (entry, "message"));
            bool redacted = json_is_true (json_object_get (entry, "redacted"));
            CHECK (open != redacted);
            CHECK (json_is_string (json_object_get (entry, "hash")));
            CHECK_INT (json_integer_value (json_object_get (entry, "seq")), i + 1);
            if (strcmp (type, "referral.created") == 0) {
                created++;
                CHECK (k == 0 ? redacted : open);
            }
            else if (strcmp (type, "referral.overdue") == 0) {
                overdue++;
                CHECK (open);
                xc_msg_t *event = fx_event_open (&referral, entry);
                CHECK (event && json_equal (json_object_get (event->data, "referral"), id));
                CHECK (event && !json_object_get (event->data, "title"));
                xc_msg_destroy (&event);
            }
            else if (strcmp (type, "referral.warning") == 0) {
                warning++;
                CHECK (open);
            }
            else if (strcmp (type, "lead.read") == 0) {
                read++;
                CHECK (k == 0 ? redacted : open);
            }
        }
        CHECK_INT (created, 2);
        CHECK_INT (overdue, 1);
        CHECK_INT (warning, 2);
        CHECK_INT (read, 1);
        json_decref (events);
    }
    /* "anyone else (another body, units, services, the public): ... events are redacted":
       a body that is no target here and the public read no message (or are refused); the
       lead's target reads nothing about the report sent to another department */
    const char *others[] = { "audit-bureau", "public-channel", BODY };
    for (int k = 0; k < 3; k++) {
        xc_code_t code;
        char text[256];
        json_t *out = s_send (&referral, others[k], "events.read", json_object (), &code, text,
                              sizeof text, NULL);
        if (out) {
            size_t i;
            json_t *entry;
            json_array_foreach (json_object_get (out, "events"), i, entry) {
                if (!json_object_get (entry, "message"))
                    continue;
                xc_msg_t *event = fx_event_open (&referral, entry);
                bool own = event && k == 2 && !json_equal (json_object_get (event->data, "referral"), id);
                if (!own)
                    FX_FAIL_AT (__LINE__, "%s reads the message of %s (seq %lld)", others[k],
                             json_string_value (json_object_get (entry, "type")),
                             (long long) json_integer_value (json_object_get (entry, "seq")));
                xc_msg_destroy (&event);
            }
        }
        else
            CHECK_INT (code, XC_E_FORBIDDEN);
        json_decref (out);
    }
    json_decref (id);
}

static void
test_events_visibility (void)
{
    s_in_fresh_deployment ("{\"due\": {\"lead\": \"3 months\", \"handover\": \"2 months\","
                           " \"report\": \"45 days\"}, \"warn_days\": [20, 10]}",
                           s_visibility_scenario);
}

/*  A scenario counted by hand:
      L1 lead -> BODY, disposed talk_inquiry on day 0; outcome case filed, 2 party, 1 admin,
         0 org, 1 detention, 1 prosecution
      L2 lead -> BODY, disposed preliminary_verification on day 10; outcome case filed, 1 party,
         0 admin, 1 org, 0, 0
      L3 lead -> BODY, disposed park on day 30
      L4 lead -> ORG, never disposed (due in 3 months: not overdue at the end)
      L5 lead from intake -> BODY, never disposed
      H1 handover -> ORG, never disposed (overdue at the end)
      H2 handover -> audit-bureau, disposed close on day 10; outcome no case, 0 ... 0
      R1 report -> ORG, never disposed (overdue at the end)
    At 2 months + 1 day: leads 5, handovers 2, reports 1, cases filed 2, party 3, admin 1,
    org 1, detentions 1, prosecutions 1, overdue now 2 (H1, R1), days to disposal
    0 10 10 30: median 10. */
static void
s_stats_scenario (void)
{
    xc_date_t today = fx_today ();
    json_t *l1 = CREATE ("lead", BODY, "L1");
    json_t *l2 = CREATE ("lead", BODY, "L2");
    json_t *l3 = CREATE ("lead", BODY, "L3");
    json_t *l4 = CREATE ("lead", ORG, "L4");
    json_t *h1 = CREATE ("handover", ORG, "H1");
    json_t *h2 = CREATE ("handover", "audit-bureau", "H2");
    json_t *r1 = CREATE ("report", ORG, "R1");
    UNIT ("ST-U");
    json_int_t p = REPORT ("petition-bureau", "ST-U", "统计线索", "详情。");
    CLASSIFY (p, LEAD_TO (BODY));
    json_t *l5 = s_wait_referral (p, "lead", 5000);
    CHECK (l5 != NULL);

    json_t *st = OK_R ("office", "referral.stats", json_object ());
    CHECK (json_is_null (json_object_get (st, "median_days_to_disposal")));
    CHECK_INT (json_integer_value (json_object_get (st, "cases_filed")), 0);
    json_decref (st);

    DONE_R (BODY, "referral.acknowledge", s_ref (l1, NULL));
    DONE_R (BODY, "referral.dispose", s_dispose_data (l1, "talk_inquiry"));
    DONE_R (BODY, "referral.outcome", s_outcome_data (l1, true, 2, 1, 0, 1, 1));
    DONE_R (BODY, "referral.acknowledge", s_ref (l2, NULL));
    DONE_R (BODY, "referral.acknowledge", s_ref (l3, NULL));
    DONE_R ("audit-bureau", "referral.acknowledge", s_ref (h2, NULL));
    CLOCK_TO (today + 10);
    DONE_R (BODY, "referral.dispose", s_dispose_data (l2, "preliminary_verification"));
    DONE_R (BODY, "referral.outcome", s_outcome_data (l2, true, 1, 0, 1, 0, 0));
    DONE_R ("audit-bureau", "referral.dispose", s_dispose_data (h2, "close"));
    DONE_R ("audit-bureau", "referral.outcome", s_outcome_data (h2, false, 0, 0, 0, 0, 0));
    CLOCK_TO (today + 30);
    DONE_R (BODY, "referral.dispose", s_dispose_data (l3, "park"));
    CLOCK_TO (fx_period_end (xc_date_add_months (today, 2)) + 1);
    s_settle ("referral.overdue", 2);

    st = OK_R ("office", "referral.stats", json_object ());
    CHECK_INT (json_integer_value (json_object_get (st, "leads")), 5);
    CHECK_INT (json_integer_value (json_object_get (st, "handovers")), 2);
    CHECK_INT (json_integer_value (json_object_get (st, "reports")), 1);
    CHECK_INT (json_integer_value (json_object_get (st, "cases_filed")), 2);
    CHECK_INT (json_integer_value (json_object_get (st, "party_sanctions")), 3);
    CHECK_INT (json_integer_value (json_object_get (st, "administrative_sanctions")), 1);
    CHECK_INT (json_integer_value (json_object_get (st, "organizational_handling")), 1);
    CHECK_INT (json_integer_value (json_object_get (st, "detentions")), 1);
    CHECK_INT (json_integer_value (json_object_get (st, "prosecution_transfers")), 1);
    CHECK_INT (json_integer_value (json_object_get (st, "overdue_now")), 2);
    json_t *median = json_object_get (st, "median_days_to_disposal");
    CHECK (json_is_number (median) && json_number_value (median) == 10.0);
    json_decref (st);
    CHECK_INT (s_outbox_count ("referral.overdue"), 2);

    json_decref (l1);
    json_decref (l2);
    json_decref (l3);
    json_decref (l4);
    json_decref (l5);
    json_decref (h1);
    json_decref (h2);
    json_decref (r1);
}

static void
test_stats_on_a_scenario_counted_by_hand (void)
{
    s_in_fresh_deployment (NULL, s_stats_scenario);
}

/*  Intake redacts problem.referred for referral (not one of its restricted readers): the
    consumer stops there with an error in the log rather than lose the lead or pass it over;
    a handover after it waits too. Once intake names referral again, both arrive, once. */
static void
s_redacted_scenario (void)
{
    UNIT ("RD-U");
    json_int_t lead = REPORT ("petition-bureau", "RD-U", "被遮蔽的线索", "详情。");
    CLASSIFY (lead, LEAD_TO (BODY));
    json_int_t handed = REPORT ("petition-bureau", "RD-U", "其后的移交", "详情。");
    CLASSIFY (handed, HANDOVER_TO (ORG));
    json_t *seqs = s_referred_seqs (0);
    char key[32];
    snprintf (key, sizeof key, "%lld", (long long) lead);
    json_int_t lead_seq = json_integer_value (json_object_get (seqs, key));
    json_decref (seqs);
    usleep (1500 * 1000);                /* several pulls */
    json_t *items = LIST_ALL ("office", json_object ());
    CHECK_INT (json_array_size (items), 0);
    json_decref (items);
    long long offset = fx_sql_int (&referral, "SELECT coalesce ((SELECT seq FROM consumer_offsets"
                                              " WHERE source = 'intake'), 0)");
    CHECK (lead_seq > 0 && offset < lead_seq);
    /* the log says why */
    char path[600];
    snprintf (path, sizeof path, "%s/service.log", referral.dir);
    FILE *f = fopen (path, "r");
    bool said = false;
    char line[2048];
    while (f && fgets (line, sizeof line, f))
        said = said || (strstr (line, "problem.referred") && (strstr (line, "warn") || strstr (line, "error")));
    if (f)
        fclose (f);
    if (!said)
        FX_FAIL_AT (__LINE__, "no warn or error line about problem.referred in %s", path);

    /* intake names referral again; both restarted */
    CHECK_INT (fx_stop (&referral), 0);
    CHECK_INT (fx_stop (&intake), 0);
    CHECK (s_set_policy (&intake, "intake", "{\"restricted_principals\": [\"referral\"]}") == 0);
    CHECK (fx_start (&intake, NULL) == 0);
    CHECK (fx_start (&referral, NULL) == 0);
    xc_client_destroy (&to_intake);
    xc_client_destroy (&to_referral);
    to_intake = fx_client (&intake, NULL);
    to_referral = fx_client (&referral, NULL);
    json_t *item = s_wait_referral (lead, "lead", 10000);
    CHECK (item != NULL);
    json_decref (item);
    item = s_wait_referral (handed, "handover", 10000);
    CHECK (item != NULL);
    json_decref (item);
    items = LIST_ALL ("office", json_object ());
    CHECK_INT (json_array_size (items), 2);
    json_decref (items);
}

static void
test_redacted_lead_stops_the_consumer (void)
{
    s_in_fresh_deployment_with ("{\"restricted_principals\": []}", NULL, s_redacted_scenario);
}

/*  "Feedback is the first disposal: once a referral is disposed no more warnings come." A
    parked lead reopened (back to acknowledged) was disposed once: no warning and no overdue
    notice for it, while one never disposed gets both. */
static void
s_reopened_scenario (void)
{
    json_t *reopened = CREATE ("lead", BODY, "暂存后重启");
    json_t *waiting = CREATE ("lead", BODY, "一直未处置");
    DONE_R (BODY, "referral.acknowledge", s_ref (reopened, NULL));
    DONE_R (BODY, "referral.dispose", s_dispose_data (reopened, "park"));
    DONE_R (BODY, "referral.reopen", s_ref (reopened, json_pack ("{s:s}", "reason", "新情况")));
    STATE (reopened, "acknowledged", NULL);
    xc_date_t due = DUE_OF (waiting);
    CLOCK_TO (due - 20);
    CHECK_INT (s_settle ("referral.warning", 1), 1);
    CLOCK_TO (due - 10);
    CHECK_INT (s_settle ("referral.warning", 2), 2);
    CLOCK_TO (due + 1);
    CHECK_INT (s_settle ("referral.overdue", 1), 1);
    CHECK_INT (s_notices ("referral.warning", waiting, NULL, -1), 2);
    CHECK_INT (s_notices ("referral.overdue", waiting, NULL, -1), 1);
    CHECK_INT (s_notices ("referral.warning", reopened, NULL, -1), 0);
    CHECK_INT (s_notices ("referral.overdue", reopened, NULL, -1), 0);
    /* its first disposal counts in the statistics */
    json_t *st = OK_R ("office", "referral.stats", json_object ());
    json_t *median = json_object_get (st, "median_days_to_disposal");
    CHECK (json_is_number (median) && json_number_value (median) == 0.0);
    json_decref (st);
    json_decref (reopened);
    json_decref (waiting);
}

static void
test_reopened_lead_gets_no_more_notices (void)
{
    s_in_fresh_deployment (NULL, s_reopened_scenario);
}

/*  Creates n referrals (kind to target, as the office) quickly: sends them in windows of 200
    on a client of its own and collects the acks. Returns how many were accepted. */
static int
s_create_many (int n, const char *kind, const char *target)
{
    xc_client_t *client = fx_client (&referral, NULL);
    xc_verify_t verify = { .registry = referral.registry, .audience = "office", .skew = 300,
                           .max_lifetime = 3600, .max_size = 1 << 24 };
    int accepted = 0;
    for (int from = 0; client && from < n; from += 200) {
        int window = n - from < 200 ? n - from : 200, sent = 0;
        for (int i = 0; i < window; i++) {
            char data[256], id[XC_UUID_LEN + 1];
            snprintf (data, sizeof data, "{\"kind\":\"%s\",\"target\":\"%s\",\"title\":\"批量%d\","
                      "\"detail\":\"详情\"}", kind, target, from + i);
            char *msg = fx_seal (&referral, &referral.office, "office", "referral.create", data, id);
            for (int tries = 0; msg && tries < 200; tries++) {
                if (xc_client_send (client, msg, strlen (msg), NULL) == 0) {
                    sent++;
                    break;
                }
                usleep (10 * 1000);
            }
            free (msg);
        }
        for (int got = 0; got < sent; got++) {
            char *bytes;
            size_t len;
            if (xc_client_recv (client, 5000, &bytes, &len, NULL) != 0)
                break;
            verify.now = xc_clock_wall ();
            xc_msg_t *reply = NULL;
            if (xc_envelope_open (bytes, len, &verify, &reply, NULL) == 0 && strcmp (reply->type, "ack") == 0)
                accepted++;
            xc_msg_destroy (&reply);
            free (bytes);
        }
    }
    xc_client_destroy (&client);
    return accepted;
}

/*  More referrals awaiting feedback than one tick looks at (1000 in the service's query):
    every one gets its warning and its overdue notice, the newest too. Open referrals past
    their warning window stay open (bodies are late), so a tick that always looks at the same
    oldest ones would starve the rest. */
static void
s_many_scenario (void)
{
    xc_date_t today = fx_today ();
    int n = 1100;
    CHECK_INT (s_create_many (n, "handover", ORG), n);
    json_t *newest = CREATE ("handover", ORG, "最新的移交");
    n++;
    xc_date_t due = DUE_OF (newest);
    CHECK_INT (due, fx_period_end (xc_date_add_months (today, 2)));
    CLOCK_TO (due - 10);
    long long warnings = 0;
    for (int i = 0; i < 1000 && (warnings = s_outbox_count ("referral.warning")) < n; i++)
        usleep (10 * 1000);
    CHECK_INT (warnings, n);
    CHECK_INT (s_notices ("referral.warning", newest, NULL, 10), 1);
    CLOCK_TO (due + 1);
    long long overdue = 0;
    for (int i = 0; i < 1000 && (overdue = s_outbox_count ("referral.overdue")) < n; i++)
        usleep (10 * 1000);
    CHECK_INT (overdue, n);
    CHECK_INT (s_notices ("referral.overdue", newest, NULL, -1), 1);
    json_t *st = OK_R ("office", "referral.stats", json_object ());
    CHECK_INT (json_integer_value (json_object_get (st, "overdue_now")), n);
    json_decref (st);
    json_decref (newest);
}

static void
test_deadlines_for_more_than_a_tick_looks_at (void)
{
    s_in_fresh_deployment (NULL, s_many_scenario);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (fx_deploy (&intake, "intake", false) != 0
        || fx_deploy_peer (&referral, &intake, "referral", NULL) != 0
        || fx_start (&intake, NULL) != 0 || fx_pin_endpoints (&intake) != 0
        || fx_start (&referral, NULL) != 0 || fx_pin_endpoints (&referral) != 0) {
        fprintf (stderr, "unable to start intake and referral (logs in %s)\n", intake.dir);
        fx_destroy (&referral);
        fx_destroy (&intake);
        return 1;
    }
    to_intake = fx_client (&intake, NULL);
    to_referral = fx_client (&referral, NULL);
    RUN (test_lead_and_handover_flow_from_intake);
    RUN (test_consumer_crash_after_commit);
    RUN (test_life_forward_path_and_conflicts);
    RUN (test_dispose_methods);
    RUN (test_parked_lead_reopened);
    RUN (test_extend_rules);
    RUN (test_role_refusals);
    RUN (test_schema_refusals);
    RUN (test_list_filters_and_pages);
    RUN (test_one_referral_per_problem_and_kind);
    RUN (test_get_shows_due_and_is_logged);
    RUN (test_deadlines_warnings_and_overdue);
    RUN (test_events_visibility);
    RUN (test_stats_on_a_scenario_counted_by_hand);
    RUN (test_redacted_lead_stops_the_consumer);
    RUN (test_reopened_lead_gets_no_more_notices);
    RUN (test_deadlines_for_more_than_a_tick_looks_at);
    xc_client_destroy (&to_intake);
    xc_client_destroy (&to_referral);
    fx_destroy (&referral);
    fx_destroy (&intake);
    HARNESS_END ();
}
