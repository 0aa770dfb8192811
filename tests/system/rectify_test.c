/*  System test: the real xc-rectify binary reading a real xc-intake, real sockets, real
    SQLite files.

    Written from docs/services/rectify.md (problems fed back as intake.md says, the wire as
    protocol.md says): an item's whole life from a round's feedback to the office's sign-off,
    every forbidden transition and role (nothing stored), schema and rule refusals, the 2017
    and 2024 regimes and a working-day regime across the 2026 Spring Festival, the timer's
    warnings, overdue notices and escalation steps exactly once (across restarts, after an
    extension, a deadline entering a band late, milestones of a long-term item), return
    visits, evaluation scores and interviews, statistics counted by hand, the scope of units
    and supervisors (queries and events), CSV export, and the consumer across a crash.

    The page names the members of commands and events but not every member of a query's
    result. Where it is silent the helpers accept the likely shapes and say so: an item's id is
    kept as the JSON value the service gives (list items name it "id" or "item"); rectify.get's
    result is the item or wraps it in "item"; its "deadlines" is a list of objects naming their
    kind or an object keyed by kind; a deadline's date is "due" (or "date"); the item's own start
    is "start" (or "opened_on", "fed_back_on"); rectify.round's visits, evaluations and
    interviews are members of their own or carried by each target; a score is exact text
    ("86.00") or a number; an escalation step sent late (the clock jumped past it) is at least
    k x every_days days overdue, not exactly.

    Dates: the shared deployment's clock is never moved. Every test that moves rectify's clock
    (clock.set, test mode) or needs a policy runs in a deployment of its own. "Today" is the
    wall clock's local date at +08:00, the fixture's offset; the working-day calendar has files
    for 2025 and 2026 only, so working-day deadlines are computed on fixed 2026 dates.

    Units of every deployment (unit.register): D-1 东城区 (district) > U-A 青石镇 (town) >
    V-1 柳树村 (village); D-2 西城区 (district) > U-B 白沙镇, U-C 红岩镇, U-D 金山镇 (towns).
    unit-a's scope is U-A, unit-b's U-B; discipline-commission supervises D-1 (so U-A and V-1),
    audit-bureau every unit (fixture.h).
*/
#include <jansson.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/calendar.h"
#include "common/clock.h"
#include "tests/harness.h"
#include "tests/system/fixture.h"

static fx_t intake, rectify;
static xc_client_t *to_intake, *to_rectify;

#define UTC_OFFSET (8 * 3600)        /* the fixture's deployment is at +08:00 */
#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
#define WAIT_MS 10000                /* bound of every wait for the consumer */

/* ------------------------------------------------------------------ calls */

static xc_client_t *
s_client_of (fx_t *svc)
{
    return svc == &intake ? to_intake : to_rectify;
}

/*  Sends type with data (stolen) to svc signed by iss (fx_send). */
static json_t *
s_send (fx_t *svc, const char *iss, const char *type, json_t *data, xc_code_t *code_p, char *text,
        size_t text_size)
{
    return fx_send (svc, s_client_of (svc), iss, type, data, code_p, text, text_size, NULL);
}

/*  An accepted command or an answered query: its result (caller owns; an empty object after a
    failed check, so a test goes on). */
static json_t *
s_ok (int line, fx_t *svc, const char *iss, const char *type, json_t *data)
{
    xc_code_t code;
    char text[512];
    json_t *out = s_send (svc, iss, type, data, &code, text, sizeof text);
    if (!out) {
        FX_FAIL_AT (line, "%s as %s: %s (%s), expected success", type, iss, xc_code_name (code), text);
        out = json_object ();
    }
    return out;
}
#define OK_I(iss, type, data) s_ok (__LINE__, &intake, iss, type, data)
#define OK_R(iss, type, data) s_ok (__LINE__, &rectify, iss, type, data)
#define DONE_I(iss, type, data) json_decref (OK_I (iss, type, data))
#define DONE_R(iss, type, data) json_decref (OK_R (iss, type, data))

/*  A call to rectify refused with its code, and nothing stored: the events head, the inbox and
    the outbox as they were (fx_refused). */
static void
s_refused (int line, xc_code_t want, const char *iss, const char *type, json_t *data)
{
    char why[1024];
    if (fx_refused (&rectify, to_rectify, want, iss, type, data, why, sizeof why) != 0)
        FX_FAIL_AT (line, "%s", why);
}
#define REFUSED(code, iss, type, data) s_refused (__LINE__, code, iss, type, data)

/* ------------------------------------------------------------------ events */

/*  The data of every event of type in svc (office's view), in order, each with "_seq". */
static json_t *
s_events_of (fx_t *svc, int64_t after, const char *type)
{
    return fx_events_of (svc, s_client_of (svc), after, type, 200, true);
}

static int64_t
s_head (fx_t *svc)
{
    return fx_head (svc, s_client_of (svc));
}

/*  The types of rectify's events after seq `after`, joined by spaces. */
static void
s_types_after (int64_t after, char *out, size_t size)
{
    fx_event_types (&rectify, to_rectify, after, 200, out, size);
}

static long long
s_outbox_count (const char *type)
{
    char sql[200];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM outbox WHERE type = '%s'", type);
    return fx_sql_int (&rectify, sql);
}

/*  Waits (at most 5 s) until rectify's outbox has not grown for half a second: five ticks of
    the fixture's 100 ms timer, so whatever the clock made due has been emitted. */
static void
s_quiet (void)
{
    long long last = -2;
    int64_t since = xc_clock_mono_ms (), deadline = since + 5000;
    while (xc_clock_mono_ms () < deadline) {
        long long head = fx_sql_int (&rectify, "SELECT coalesce (max (seq), 0) FROM outbox");
        if (head != last) {
            last = head;
            since = xc_clock_mono_ms ();
        }
        else if (xc_clock_mono_ms () - since >= 500)
            return;
        usleep (20 * 1000);
    }
}

/* ------------------------------------------------------------------ dates and clocks */

static json_t *
s_jdate (xc_date_t date)
{
    char text[XC_DATE_LEN + 1];
    xc_date_format (date, text);
    return json_string (text);
}

/*  Whether a JSON value is the date's text. */
static bool
s_is_date (const json_t *value, xc_date_t date)
{
    char text[XC_DATE_LEN + 1];
    xc_date_format (date, text);
    return json_is_string (value) && strcmp (json_string_value (value), text) == 0;
}

/*  A date's text checked at the caller's line. */
static void
s_check_date (int line, const char *what, const json_t *value, xc_date_t want)
{
    if (!s_is_date (value, want)) {
        char text[XC_DATE_LEN + 1];
        xc_date_format (want, text);
        const char *got = json_string_value (value);
        FX_FAIL_AT (line, "%s is %s, expected %s", what, got ? got : "(not a date)", text);
    }
}
#define CHECK_DATE(what, value, want) s_check_date (__LINE__, what, value, want)

/*  Moves rectify's test clock to the given local day at 01:00 (+08:00), then waits for the
    timer to settle (s_quiet). */
static void
s_clock_to_day (int line, xc_date_t day)
{
    char when[XC_RFC3339_LEN + 1];
    xc_clock_format ((int64_t) day * 86400 - UTC_OFFSET + 3600, when);
    json_t *r = s_ok (line, &rectify, "office", "clock.set", json_pack ("{s:s}", "clock", when));
    int64_t clock = 0;
    if (xc_clock_parse (json_string_value (json_object_get (r, "clock")), &clock, NULL) != 0
        || xc_date_of_time (clock, UTC_OFFSET) < day)
        FX_FAIL_AT (line, "clock.set to %s did not move rectify's clock", when);
    json_decref (r);
    s_quiet ();
}
#define CLOCK_TO(day) s_clock_to_day (__LINE__, day)

/*  Stops and starts rectify (same database, same ports); its clock is back at the wall clock. */
static void
s_restart (int line)
{
    if (fx_stop (&rectify) != 0 || fx_start (&rectify, NULL) != 0)
        FX_FAIL_AT (line, "unable to restart rectify (logs in %s)", rectify.dir);
    xc_client_destroy (&to_rectify);
    to_rectify = fx_client (&rectify, NULL);
}
#define RESTART() s_restart (__LINE__)

/* ------------------------------------------------------------------ intake: units, rounds,
                                                                       problems */

static const struct {
    const char *id, *name, *level, *parent;
} s_units[] = {
    { "D-1", "东城区", "district", NULL },
    { "U-A", "青石镇", "town", "D-1" },
    { "V-1", "青石镇柳树村", "village", "U-A" },
    { "D-2", "西城区", "district", NULL },
    { "U-B", "白沙镇", "town", "D-2" },
    { "U-C", "红岩镇", "town", "D-2" },
    { "U-D", "金山镇", "town", "D-2" },
};
#define N_UNITS ((int) (sizeof s_units / sizeof s_units[0]))

static const char *
s_unit_name (const char *id)
{
    for (int i = 0; i < N_UNITS; i++)
        if (strcmp (s_units[i].id, id) == 0)
            return s_units[i].name;
    return "?";
}

/*  Registers the units of every deployment (the header comment). */
static int
s_register_units (void)
{
    for (int i = 0; i < N_UNITS; i++) {
        json_t *data = json_pack ("{s:s, s:s, s:s}", "id", s_units[i].id, "name", s_units[i].name,
                                  "level", s_units[i].level);
        if (s_units[i].parent)
            json_object_set_new (data, "parent", json_string (s_units[i].parent));
        xc_code_t code;
        json_t *r = s_send (&intake, "office", "unit.register", data, &code, NULL, 0);
        if (!r)
            return -1;
        json_decref (r);
    }
    return 0;
}

static void
s_advance (int line, const char *round, const char *stage, xc_date_t date)
{
    json_decref (s_ok (line, &intake, "office", "round.advance",
                       json_pack ("{s:s, s:s, s:o}", "round", round, "stage", stage, "date", s_jdate (date))));
}

/*  Opens round (team-1's, regular; every unit of the space-separated targets a main target) on
    feedback - 40 and stations it on feedback - 35: team-1 may report into it. */
static void
s_round_open (int line, const char *round, const char *targets, xc_date_t feedback)
{
    json_t *list = json_array ();
    char copy[256];
    snprintf (copy, sizeof copy, "%s", targets);
    char *save = NULL;
    for (char *t = strtok_r (copy, " ", &save); t; t = strtok_r (NULL, " ", &save))
        json_array_append_new (list, json_pack ("{s:s, s:s}", "unit", t, "coverage", "main"));
    json_decref (s_ok (line, &intake, "office", "round.open",
                       json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", round, "name",
                                  "2026年第一轮巡察", "kind", "regular", "team", "team-1", "targets", list,
                                  "planned_start", s_jdate (feedback - 35), "planned_end",
                                  s_jdate (feedback - 10), "date", s_jdate (feedback - 40))));
    s_advance (line, round, "stationed", feedback - 35);
}
#define ROUND_OPEN(round, targets, feedback) s_round_open (__LINE__, round, targets, feedback)

/*  A problem a team reports: its unit, the timeliness the office classifies it with, and its
    texts (detail NULL: a plain one). */
typedef struct {
    const char *unit, *timeliness, *summary, *detail;
} s_problem_t;

/*  Into an open, stationed round: team-1 reports each problem, the round is withdrawn
    (feedback - 10) and reported (feedback - 5), the office classifies each for feedback with
    its timeliness, and the round reaches feedback_delivered on feedback. Every problem is then
    fed back (an immediate one at once, when it is classified, on intake's today). */
static void
s_round_feed (int line, const char *round, xc_date_t feedback, const s_problem_t *problems, int n,
              json_int_t *ids)
{
    for (int i = 0; i < n; i++) {
        json_t *r = s_ok (line, &intake, "team-1", "problem.report",
                          json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "round", round, "unit",
                                     problems[i].unit, "category", "rectification", "summary",
                                     problems[i].summary, "detail",
                                     problems[i].detail ? problems[i].detail : "详细情况见巡察底稿。",
                                     "severity", "general", "source", "inspection_team"));
        ids[i] = json_integer_value (json_object_get (r, "problem"));
        if (ids[i] <= 0)
            FX_FAIL_AT (line, "problem.report gave no problem id");
        json_decref (r);
    }
    s_advance (line, round, "withdrawn", feedback - 10);
    s_advance (line, round, "reported", feedback - 5);
    for (int i = 0; i < n; i++)
        json_decref (s_ok (line, &intake, "office", "problem.classify",
                           json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", ids[i], "dispositions", "kind",
                                      "feedback", "timeliness", problems[i].timeliness)));
    s_advance (line, round, "feedback_delivered", feedback);
}
#define ROUND_FEED(round, feedback, problems, n, ids) s_round_feed (__LINE__, round, feedback, problems, n, ids)

/*  A problem the petition bureau reports on unit without a round, classified for feedback with
    timeliness: fed back at once, on intake's today, in the round "". Returns its id. */
static json_int_t
s_petition (int line, const char *unit, const char *timeliness, const char *summary, const char *detail)
{
    json_t *r = s_ok (line, &intake, "petition-bureau", "problem.report",
                      json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "unit", unit, "category",
                                 "public_concerns", "summary", summary, "detail", detail ? detail : "群众来信反映。",
                                 "severity", "general", "source", "petition"));
    json_int_t id = json_integer_value (json_object_get (r, "problem"));
    json_decref (r);
    if (id <= 0)
        FX_FAIL_AT (line, "problem.report gave no problem id");
    json_decref (s_ok (line, &intake, "office", "problem.classify",
                       json_pack ("{s:I, s:[{s:s, s:s}]}", "problem", id, "dispositions", "kind",
                                  "feedback", "timeliness", timeliness)));
    return id;
}
#define PETITION(unit, timeliness, summary) s_petition (__LINE__, unit, timeliness, summary, NULL)

/* ------------------------------------------------------------------ rectify: items */

/*  An item's id in a list item or an event ("item", else "id"). Borrowed. */
static json_t *
s_id_of (const json_t *obj)
{
    json_t *id = json_object_get (obj, "item");
    if (json_is_integer (id) || json_is_string (id))
        return id;
    return json_object_get (obj, "id");
}

/*  {"item": item} plus the given members (a json_pack of an object, stolen; NULL: none). */
static json_t *
s_ref (const json_t *item, json_t *more)
{
    json_t *data = more ? more : json_object ();
    json_object_set (data, "item", (json_t *) item);
    return data;
}

/*  Every item of rectify.list as iss with filters (stolen), paged through (caller owns). */
static json_t *
s_list_all (int line, const char *iss, json_t *filters)
{
    char why[300];
    json_t *all = fx_list_all (&rectify, to_rectify, iss, "rectify.list", filters, why, sizeof why);
    if (!all)
        FX_FAIL_AT (line, "%s", why);
    return all ? all : json_array ();
}
#define LIST_ALL(iss, filters) s_list_all (__LINE__, iss, filters)

/*  The list item with this id (borrowed from items) or NULL. */
static json_t *
s_find (const json_t *items, const json_t *id)
{
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item)
        if (json_equal (s_id_of (item), id))
            return item;
    return NULL;
}

/*  The id of the item rectify opened for problem, from its rectify.opened event or its list
    item (whichever names the problem), or NULL. Caller owns. */
static json_t *
s_item_for (json_int_t problem)
{
    json_t *found = NULL;
    json_t *events = s_events_of (&rectify, 0, "rectify.opened");
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e)
        if (!found && json_integer_value (json_object_get (e, "problem")) == problem && s_id_of (e))
            found = json_incref (s_id_of (e));
    json_decref (events);
    if (found)
        return found;
    json_t *items = LIST_ALL ("office", json_object ());
    json_array_foreach (items, i, e)
        if (!found && json_integer_value (json_object_get (e, "problem")) == problem && s_id_of (e))
            found = json_incref (s_id_of (e));
    json_decref (items);
    return found;
}

/*  Waits (bounded) for the item of problem; its id (caller owns), or JSON null after a failed
    check (so later calls are refused rather than crash). */
static json_t *
s_wait_item (int line, json_int_t problem)
{
    int64_t deadline = xc_clock_mono_ms () + WAIT_MS;
    json_t *id = NULL;
    while (!(id = s_item_for (problem)) && xc_clock_mono_ms () < deadline)
        usleep (50 * 1000);
    if (!id) {
        FX_FAIL_AT (line, "no item opened for problem %lld", (long long) problem);
        id = json_null ();
    }
    return id;
}
#define ITEM(problem) s_wait_item (__LINE__, problem)

/*  rectify.get's item (the result, or its member "item" when it wraps it). Borrowed. */
static json_t *
s_item_of (json_t *result)
{
    json_t *inner = json_object_get (result, "item");
    return json_is_object (inner) ? inner : result;
}

/*  The item as iss reads it with rectify.get (caller owns; {} after a failed check). */
static json_t *
s_get (int line, const char *iss, const json_t *item)
{
    json_t *r = s_ok (line, &rectify, iss, "rectify.get", s_ref (item, NULL));
    json_t *out = json_incref (s_item_of (r));
    json_decref (r);
    return out;
}
#define GET(item) s_get (__LINE__, "office", item)

static void
s_state (int line, const json_t *item, const char *want)
{
    json_t *it = s_get (line, "office", item);
    const char *state = json_string_value (json_object_get (it, "state"));
    if (!state || strcmp (state, want) != 0)
        FX_FAIL_AT (line, "state %s, expected %s", state ? state : "(none)", want);
    json_decref (it);
}
#define STATE(item, want) s_state (__LINE__, item, want)

/*  A deadline of an item as rectify.get shows it (borrowed; NULL when it has none): kind
    "plan", "item" or "measure" (with its number). Accepts "deadlines" as a list of objects
    naming their kind ("deadline" or "kind") or as an object keyed by kind (measure deadlines
    a list or keyed by number, or keyed "measure:<n>"). */
static json_t *
s_deadline (const json_t *item, const char *kind, int measure)
{
    json_t *all = json_object_get (item, "deadlines");
    bool is_measure = strcmp (kind, "measure") == 0;
    size_t i;
    json_t *d;
    if (json_is_array (all)) {
        json_array_foreach (all, i, d) {
            const char *k = json_string_value (json_object_get (d, "deadline"));
            if (!k)
                k = json_string_value (json_object_get (d, "kind"));
            if (k && strcmp (k, kind) == 0
                && (!is_measure || json_integer_value (json_object_get (d, "measure")) == measure))
                return d;
        }
        return NULL;
    }
    if (!json_is_object (all))
        return NULL;
    if (!is_measure) {
        d = json_object_get (all, kind);
        return json_is_object (d) ? d : NULL;
    }
    char key[32];
    snprintf (key, sizeof key, "measure:%d", measure);
    if (json_is_object (json_object_get (all, key)))
        return json_object_get (all, key);
    json_t *m = json_object_get (all, "measure");
    if (!m)
        m = json_object_get (all, "measures");
    if (json_is_array (m)) {
        json_array_foreach (m, i, d)
            if (json_integer_value (json_object_get (d, "measure")) == measure)
                return d;
        d = json_array_get (m, (size_t) measure - 1);
        return json_is_object (d) ? d : NULL;
    }
    snprintf (key, sizeof key, "%d", measure);
    d = json_object_get (m, key);
    return json_is_object (d) ? d : NULL;
}

/*  The item's start, its feedback date: the page says what it is, not the member's name
    ("start", as the deadlines name theirs, or "opened_on" or "fed_back_on"). Borrowed. */
static json_t *
s_start_of (const json_t *item)
{
    const char *names[] = { "start", "opened_on", "fed_back_on" };
    for (int i = 0; i < 3; i++)
        if (json_is_string (json_object_get (item, names[i])))
            return json_object_get (item, names[i]);
    return NULL;
}

/*  A deadline's due date ("due", or "date"). Borrowed. */
static json_t *
s_due_of (const json_t *deadline)
{
    json_t *due = json_object_get (deadline, "due");
    return due ? due : json_object_get (deadline, "date");
}

/*  Checks a deadline of the item: its start, due date, an explanation naming both, and the
    number of its extensions. */
static void
s_check_deadline (int line, const json_t *item, const char *kind, xc_date_t start, xc_date_t due,
                  size_t extensions)
{
    json_t *d = s_deadline (item, kind, 0);
    if (!d) {
        FX_FAIL_AT (line, "rectify.get shows no %s deadline", kind);
        return;
    }
    char what[64];
    snprintf (what, sizeof what, "the %s deadline's due date", kind);
    s_check_date (line, what, s_due_of (d), due);
    snprintf (what, sizeof what, "the %s deadline's start", kind);
    s_check_date (line, what, json_object_get (d, "start"), start);
    char start_text[XC_DATE_LEN + 1], due_text[XC_DATE_LEN + 1];
    xc_date_format (start, start_text);
    xc_date_format (due, due_text);
    const char *explain = json_string_value (json_object_get (d, "explain"));
    if (!explain || !strstr (explain, due_text) || (!extensions && !strstr (explain, start_text)))
        FX_FAIL_AT (line, "the %s deadline's explain '%s' names not %s and %s", kind,
                    explain ? explain : "(none)", start_text, due_text);
    if (!json_is_string (json_object_get (d, "policy")))
        FX_FAIL_AT (line, "the %s deadline names no policy", kind);
    json_t *ext = json_object_get (d, "extensions");
    if (!json_is_array (ext) || json_array_size (ext) != extensions)
        FX_FAIL_AT (line, "the %s deadline has %d extensions, expected %d", kind,
                    json_is_array (ext) ? (int) json_array_size (ext) : -1, (int) extensions);
}
#define CHECK_DEADLINE(item, kind, start, due, ext) s_check_deadline (__LINE__, item, kind, start, due, ext)

/*  The size of a list or an object (-1 otherwise): the page names what a result holds, not
    always whether as a list or keyed. */
static int
s_size (const json_t *value)
{
    return json_is_array (value) ? (int) json_array_size (value)
           : json_is_object (value) ? (int) json_object_size (value)
                                    : -1;
}

/*  How many of what ("evaluations", "interviews", "visits": those recorded) rectify.round's
    result holds. The page lists what the result shows, not its shape: a member of that name
    (a list, or an object keyed by unit), or each target carrying its own ("score" or
    "evaluation"; "interview"; "visit" with "recorded_on"). */
static int
s_round_count (const json_t *round, const char *what)
{
    json_t *member = json_object_get (round, what);
    if (member)
        return s_size (member);
    int n = 0;
    size_t i;
    json_t *t;
    json_array_foreach (json_object_get (round, "targets"), i, t) {
        if (strcmp (what, "evaluations") == 0) {
            json_t *score = json_object_get (t, "score");
            json_t *evaluation = json_object_get (t, "evaluation");
            n += (score && !json_is_null (score)) || json_is_object (evaluation);
        }
        else if (strcmp (what, "interviews") == 0) {
            json_t *interview = json_object_get (t, "interview");
            n += interview && !json_is_null (interview) && !json_is_false (interview);
        }
        else {
            json_t *visit = json_object_get (t, "visit");
            n += json_is_string (json_object_get (visit, "recorded_on"));
        }
    }
    return n;
}

/*  An integer member, 0 when absent (a count the result may leave out). */
static json_int_t
s_int (const json_t *obj, const char *key)
{
    return json_integer_value (json_object_get (obj, key));
}

/* ------------------------------------------------------------------ rectify: command data */

static json_t *
s_measure (const char *text, const char *owner, const char *lead, xc_date_t deadline)
{
    return json_pack ("{s:s, s:s, s:s, s:o}", "text", text, "owner", owner, "lead_leader", lead,
                      "deadline", s_jdate (deadline));
}

/*  rectify.plan data with measures (a list, stolen). */
static json_t *
s_plan (const json_t *item, json_t *measures)
{
    return s_ref (item, json_pack ("{s:o, s:s}", "measures", measures, "note", "整改方案经党委会研究通过"));
}

#define OWNER "党政办 王五"
#define LEAD "党委书记 赵六"

/*  A plan of one measure due on deadline (owner OWNER, lead leader LEAD). */
static json_t *
s_plan1 (const json_t *item, xc_date_t deadline)
{
    return s_plan (item, json_pack ("[o]", s_measure ("落实整改措施", OWNER, LEAD, deadline)));
}

/*  rectify.progress data; done (stolen) may be NULL. */
static json_t *
s_progress (const json_t *item, const char *note, json_t *done)
{
    json_t *data = s_ref (item, json_pack ("{s:s}", "note", note));
    if (done)
        json_object_set_new (data, "measures_done", done);
    return data;
}

/*  rectify.claim data with one piece of evidence; outcomes (stolen) NULL: {}. */
static json_t *
s_claim (const json_t *item, const char *completion, json_t *outcomes)
{
    return s_ref (item, json_pack ("{s:s, s:[{s:s, s:s}], s:o, s:s}", "completion", completion,
                                   "evidence", "file", "整改报告.pdf", "sha256", SHA, "outcomes",
                                   outcomes ? outcomes : json_object (), "note", "整改已完成"));
}

static json_t *
s_accept (const json_t *item)
{
    return s_ref (item, json_pack ("{s:s}", "decision", "accept"));
}

static json_t *
s_reject (const json_t *item, const char *reason)
{
    return s_ref (item, json_pack ("{s:s, s:s}", "decision", "reject", "reason", reason));
}

/*  rectify.extend data: deadline kind (with measure when > 0) to due. */
static json_t *
s_extend (const json_t *item, const char *kind, int measure, xc_date_t due)
{
    json_t *data = s_ref (item, json_pack ("{s:s, s:o, s:s}", "deadline", kind, "due", s_jdate (due),
                                           "reason", "涉及工程招标，需延长期限"));
    if (measure > 0)
        json_object_set_new (data, "measure", json_integer (measure));
    return data;
}

static json_t *
s_evaluation (const char *round, const char *unit, int leadership, int responsibility, int task,
              int satisfaction)
{
    return json_pack ("{s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:{s:s, s:s}, s:s}", "round", round, "unit",
                      unit, "parts", "leadership", leadership, "responsibility", responsibility,
                      "task_completion", task, "satisfaction", satisfaction, "principal_leader",
                      "name", "张建国", "title", "党委书记", "note", "综合评估");
}

static json_t *
s_revisit (const char *round, const char *unit, xc_date_t date)
{
    return json_pack ("{s:s, s:s, s:o, s:[s], s:s}", "round", round, "unit", unit, "date", s_jdate (date),
                      "kinds", "return_visit", "note", "回访整改落实情况");
}

/*  Waits (bounded) until rectify knows round (rectify.round answers the office). */
static void
s_wait_round (int line, const char *round)
{
    int64_t deadline = xc_clock_mono_ms () + WAIT_MS;
    json_t *r = NULL;
    xc_code_t code = XC_OK;
    while (!(r = s_send (&rectify, "office", "rectify.round", json_pack ("{s:s}", "round", round), &code,
                         NULL, 0))
           && xc_clock_mono_ms () < deadline)
        usleep (50 * 1000);
    if (!r)
        FX_FAIL_AT (line, "rectify.round %s: %s, expected the round", round, xc_code_name (code));
    json_decref (r);
}
#define WAIT_ROUND(round) s_wait_round (__LINE__, round)

/* ------------------------------------------------------------------ alerts */

/*  How many events of type (office's view) concern item and match: deadline kind (NULL any),
    measure (0 any), due (0 any), colour (NULL any), step (0 any). */
static int
s_alerts (const char *type, const json_t *item, const char *deadline, int measure, xc_date_t due,
          const char *colour, int step)
{
    json_t *events = s_events_of (&rectify, 0, type);
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e) {
        if (!json_equal (json_object_get (e, "item"), item))
            continue;
        const char *k = json_string_value (json_object_get (e, "deadline"));
        if (deadline && (!k || strcmp (k, deadline) != 0))
            continue;
        if (measure && json_integer_value (json_object_get (e, "measure")) != measure)
            continue;
        if (due && !s_is_date (json_object_get (e, "due"), due))
            continue;
        const char *c = json_string_value (json_object_get (e, "colour"));
        if (colour && (!c || strcmp (c, colour) != 0))
            continue;
        if (step && json_integer_value (json_object_get (e, "step")) != step)
            continue;
        n++;
    }
    json_decref (events);
    return n;
}
#define WARNINGS(item, kind, due, colour) s_alerts ("rectify.warning", item, kind, 0, due, colour, 0)
#define OVERDUES(item, kind, due) s_alerts ("rectify.overdue", item, kind, 0, due, NULL, 0)
#define STEPS(item, kind, due, step) s_alerts ("rectify.escalated", item, kind, 0, due, NULL, step)

/* ------------------------------------------------------------------ deployments */

static int
s_start_pair (const char *policy)
{
    /* rectify's warning that next year's calendar file is missing depends on the day the tests
       run: off here (its event, appended while a refusal is checked, would look stored by it) */
    char with[4096];
    snprintf (with, sizeof with, "{\"calendar_warn_from\": null%s%s", policy ? ", " : "}",
              policy ? policy + 1 : "");
    if (fx_deploy (&intake, "intake", false) != 0
        || fx_deploy_peer (&rectify, &intake, "rectify", with) != 0
        || fx_start (&intake, NULL) != 0 || fx_pin_endpoints (&intake) != 0
        || fx_start (&rectify, NULL) != 0 || fx_pin_endpoints (&rectify) != 0)
        return -1;
    to_intake = fx_client (&intake, NULL);
    to_rectify = fx_client (&rectify, NULL);
    return to_intake && to_rectify ? s_register_units () : -1;
}

/*  Stops both services and removes the deployment (only what s_start_pair got to make). */
static void
s_stop_pair (void)
{
    xc_client_destroy (&to_intake);
    xc_client_destroy (&to_rectify);
    if (rectify.dir[0])
        fx_destroy (&rectify);
    if (intake.dir[0])
        fx_destroy (&intake);
}

/*  Runs test in a deployment of its own (fresh databases and clocks, rectify's policy as
    given, may be NULL), then puts the shared one back. */
static void
s_in_fresh_deployment (const char *policy, void (*test) (void))
{
    fx_t shared_intake = intake, shared_rectify = rectify;
    xc_client_t *shared_ti = to_intake, *shared_tr = to_rectify;
    to_intake = to_rectify = NULL;
    memset (&intake, 0, sizeof intake);
    memset (&rectify, 0, sizeof rectify);
    if (s_start_pair (policy) != 0) {
        fprintf (stderr, "FAIL %s: unable to start intake and rectify (in %s)\n", h_current, intake.dir);
        h_checks_failed_now++;
    }
    else
        test ();
    s_stop_pair ();
    intake = shared_intake;
    rectify = shared_rectify;
    to_intake = shared_ti;
    to_rectify = shared_tr;
}

/* ------------------------------------------------------------------ an item's whole life */

/*  A round on U-A (town under D-1) and U-B: team-1 reports a problem on each, the office
    classifies both for feedback (deadline), the round reaches feedback_delivered today and
    rectify opens an item for each. U-A's item goes the whole way: planned (2 measures),
    progress with measure 1 done, claimed, rejected (reopened, reason kept), claimed again,
    accepted (closed today). Every step an event, in order, and a history entry with who. */
static void
test_item_whole_life (void)
{
    xc_date_t today = fx_today ();
    ROUND_OPEN ("R-1", "U-A U-B", today);
    const s_problem_t problems[] = {
        { "U-A", "deadline", "学生宿舍楼年久失修", "宿舍楼屋顶漏水，存在安全隐患。" },
        { "U-B", "deadline", "惠民资金发放不及时", "部分补贴延迟三个月发放。" },
    };
    json_int_t ids[2];
    ROUND_FEED ("R-1", today, problems, 2, ids);
    json_t *a = ITEM (ids[0]);
    json_t *b = ITEM (ids[1]);
    CHECK (!json_equal (a, b));

    /* rectify.opened names the unit; the item as intake fed it back */
    json_t *opened = s_events_of (&rectify, 0, "rectify.opened");
    json_t *event = NULL;
    size_t i;
    json_t *e;
    json_array_foreach (opened, i, e)
        if (json_equal (s_id_of (e), a))
            event = e;
    CHECK (event != NULL);
    CHECK_STR (json_string_value (json_object_get (event, "unit")), "U-A");
    json_decref (opened);
    json_t *it = GET (a);
    CHECK_STR (json_string_value (json_object_get (it, "unit")), "U-A");
    CHECK_STR (json_string_value (json_object_get (it, "round")), "R-1");
    CHECK_STR (json_string_value (json_object_get (it, "class")), "deadline");
    CHECK_STR (json_string_value (json_object_get (it, "state")), "opened");
    CHECK_STR (json_string_value (json_object_get (it, "category")), "rectification");
    CHECK_STR (json_string_value (json_object_get (it, "summary")), "学生宿舍楼年久失修");
    CHECK_STR (json_string_value (json_object_get (it, "detail")), "宿舍楼屋顶漏水，存在安全隐患。");
    CHECK_DATE ("start", s_start_of (it), today);
    /* the 2017 regime by default: plan in a month, the rectification in two */
    CHECK_DEADLINE (it, "plan", today, fx_period_end (xc_date_add_months (today, 1)), 0);
    CHECK_DEADLINE (it, "item", today, fx_period_end (xc_date_add_months (today, 2)), 0);
    json_decref (it);
    /* unit-a reads its own item */
    it = s_get (__LINE__, "unit-a", a);
    CHECK_STR (json_string_value (json_object_get (it, "unit")), "U-A");
    json_decref (it);

    int64_t head = s_head (&rectify);
    /* the plan: two measures, the task and responsibility lists */
    DONE_R ("unit-a", "rectify.plan",
            s_plan (a, json_pack ("[o, o]",
                                  s_measure ("制定宿舍楼维修方案", "后勤处 王五", "副校长 赵六", today + 40),
                                  s_measure ("完成屋顶防水改造并验收", "基建处 钱七", "校长 孙八", today + 50))));
    it = GET (a);
    CHECK_STR (json_string_value (json_object_get (it, "state")), "planned");
    json_t *measures = json_object_get (it, "measures");
    CHECK_INT (json_array_size (measures), 2);
    CHECK_STR (json_string_value (json_object_get (json_array_get (measures, 0), "text")), "制定宿舍楼维修方案");
    CHECK_STR (json_string_value (json_object_get (json_array_get (measures, 1), "owner")), "基建处 钱七");
    CHECK_STR (json_string_value (json_object_get (json_array_get (measures, 1), "lead_leader")), "校长 孙八");
    /* once planned the item is due on its latest measure deadline */
    CHECK_DATE ("item due after the plan", s_due_of (s_deadline (it, "item", 0)), today + 50);
    json_decref (it);

    DONE_R ("unit-a", "rectify.progress", s_progress (a, "维修方案已制定并公示", json_pack ("[i]", 1)));
    STATE (a, "planned");
    /* a measure is done once */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.progress", s_progress (a, "再次报告", json_pack ("[i]", 1)));

    DONE_R ("unit-a", "rectify.claim",
            s_claim (a, "completed", json_pack ("{s:i, s:I, s:b}", "institutional_measures", 2,
                                                "money_recovered_fen", (json_int_t) 150000,
                                                "public_concern_resolved", 1)));
    STATE (a, "claimed");
    const char *reason = "验收材料不全，请补充整改前后对比照片";
    DONE_R ("office", "rectify.review", s_reject (a, reason));
    it = GET (a);
    CHECK_STR (json_string_value (json_object_get (it, "state")), "reopened");
    char *text = json_dumps (it, 0);
    CHECK (text && strstr (text, reason));                  /* the reason is kept */
    free (text);
    json_decref (it);

    DONE_R ("unit-a", "rectify.claim", s_claim (a, "completed", NULL));
    STATE (a, "claimed");
    DONE_R ("office", "rectify.review", s_accept (a));
    it = GET (a);
    CHECK_STR (json_string_value (json_object_get (it, "state")), "closed");
    CHECK_DATE ("closed_on", json_object_get (it, "closed_on"), today);
    CHECK_INT (s_size (json_object_get (it, "claims")), 2);
    /* the history: every step, with who (unit-a planned, reported, claimed twice; the office
       reviewed twice) */
    json_t *history = json_object_get (it, "history");
    CHECK (json_array_size (history) >= 6);
    int by_unit = 0, by_office = 0;
    json_array_foreach (history, i, e) {
        char *entry = json_dumps (e, 0);
        by_unit += entry && strstr (entry, "\"unit-a\"") ? 1 : 0;
        by_office += entry && strstr (entry, "\"office\"") ? 1 : 0;
        free (entry);
    }
    CHECK_INT (by_unit, 4);
    CHECK_INT (by_office, 2);
    json_decref (it);

    char types[512];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "rectify.planned rectify.progressed rectify.claimed rectify.reopened "
                      "rectify.claimed rectify.closed");
    json_t *closed = s_events_of (&rectify, head, "rectify.closed");
    CHECK_INT (json_array_size (closed), 1);
    CHECK (json_equal (json_object_get (json_array_get (closed, 0), "item"), a));
    json_decref (closed);
    /* U-B's item was not touched */
    STATE (b, "opened");
    json_decref (a);
    json_decref (b);
}

/* ------------------------------------------------------------------ refusals */

/*  Each state × each command the life table does not allow there: conflict, nothing stored.
    A deadline item walks opened -> planned -> claimed -> reopened -> claimed -> closed; an
    immediate item may report and claim while opened, a long-term item may not. */
static void
test_forbidden_transitions (void)
{
    xc_date_t today = fx_today ();
    xc_date_t plan_due = fx_period_end (xc_date_add_months (today, 1));
    json_t *x = ITEM (PETITION ("U-A", "deadline", "办事大厅窗口服务差"));

    /* opened: not progress, claim or review (plan and extension are allowed) */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.progress", s_progress (x, "进展", NULL));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.claim", s_claim (x, "completed", NULL));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_accept (x));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_reject (x, "不予通过"));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (x, today + 30));
    STATE (x, "planned");

    /* planned: not plan again, not review; the plan deadline is done */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (x, today + 31));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_accept (x));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_reject (x, "不予通过"));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 10));
    DONE_R ("unit-a", "rectify.progress", s_progress (x, "已完成窗口人员培训", NULL));
    DONE_R ("unit-a", "rectify.claim", s_claim (x, "mostly_completed", NULL));
    STATE (x, "claimed");

    /* claimed: only review; the item deadline is done with the claim */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (x, today + 31));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.progress", s_progress (x, "进展", NULL));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.claim", s_claim (x, "completed", NULL));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "item", 0, today + 40));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 10));
    DONE_R ("office", "rectify.review", s_reject (x, "群众满意度调查未开展"));
    STATE (x, "reopened");

    /* reopened: not plan, not review; progress and a new claim */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (x, today + 31));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_accept (x));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 10));
    DONE_R ("unit-a", "rectify.progress", s_progress (x, "已开展满意度调查", NULL));
    STATE (x, "reopened");
    DONE_R ("unit-a", "rectify.claim", s_claim (x, "completed", NULL));
    DONE_R ("office", "rectify.review", s_accept (x));
    STATE (x, "closed");

    /* closed: nothing */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (x, today + 31));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.progress", s_progress (x, "进展", NULL));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.claim", s_claim (x, "completed", NULL));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_accept (x));
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_reject (x, "不予通过"));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "item", 0, today + 40));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 10));
    STATE (x, "closed");

    /* an immediate item: progress and claim while opened; never reviewed before a claim */
    json_t *y = ITEM (PETITION ("U-A", "immediate", "路灯损坏无人维修"));
    s_quiet ();                          /* due in 15 days: its green warning comes at once */
    REFUSED (XC_E_CONFLICT, "office", "rectify.review", s_accept (y));
    DONE_R ("unit-a", "rectify.progress", s_progress (y, "已联系供电所", NULL));
    STATE (y, "opened");
    DONE_R ("unit-a", "rectify.claim", s_claim (y, "completed", NULL));
    STATE (y, "claimed");
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.progress", s_progress (y, "进展", NULL));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (y, today + 5));

    /* a long-term item: neither progress nor claim before its plan */
    json_t *z = ITEM (PETITION ("U-A", "long_term", "农村集体经济薄弱"));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.progress", s_progress (z, "进展", NULL));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.claim", s_claim (z, "completed", NULL));
    STATE (z, "opened");
    json_decref (x);
    json_decref (y);
    json_decref (z);
}

/*  Who may do what: a unit only on its units' items, the office only its own commands, read-only
    roles nothing; unknown items not_found. Each refusal stores nothing. */
static void
test_role_refusals (void)
{
    xc_date_t today = fx_today ();
    json_t *a = ITEM (PETITION ("U-A", "deadline", "集体资产台账不清"));
    json_t *none = json_integer (987654321);

    /* unit-b on unit-a's item */
    REFUSED (XC_E_FORBIDDEN, "unit-b", "rectify.plan", s_plan1 (a, today + 30));
    REFUSED (XC_E_FORBIDDEN, "unit-b", "rectify.progress", s_progress (a, "进展", NULL));
    REFUSED (XC_E_FORBIDDEN, "unit-b", "rectify.claim", s_claim (a, "completed", NULL));
    REFUSED (XC_E_FORBIDDEN, "unit-b", "rectify.get", s_ref (a, NULL));
    /* the office does not plan, report or claim */
    REFUSED (XC_E_FORBIDDEN, "office", "rectify.plan", s_plan1 (a, today + 30));
    REFUSED (XC_E_FORBIDDEN, "office", "rectify.progress", s_progress (a, "进展", NULL));
    REFUSED (XC_E_FORBIDDEN, "office", "rectify.claim", s_claim (a, "completed", NULL));
    /* a unit does not review, extend, set regimes, record visits or evaluate */
    DONE_R ("unit-a", "rectify.plan", s_plan1 (a, today + 30));
    DONE_R ("unit-a", "rectify.claim", s_claim (a, "completed", NULL));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.review", s_accept (a));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.extend", s_extend (a, "item", 0, today + 60));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.regime",
             json_pack ("{s:s, s:s}", "round", "R-1", "regime", "2024"));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.revisit", s_revisit ("R-1", "U-A", today));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.evaluate", s_evaluation ("R-1", "U-A", 90, 90, 90, 90));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.round", json_pack ("{s:s}", "round", "R-1"));
    STATE (a, "claimed");

    /* roles with no part in rectification: nothing, not even a read */
    const char *strangers[] = { "petition-bureau", "team-1", "public-channel", "org-department" };
    for (int k = 0; k < 4; k++) {
        REFUSED (XC_E_FORBIDDEN, strangers[k], "rectify.get", s_ref (a, NULL));
        REFUSED (XC_E_FORBIDDEN, strangers[k], "rectify.review", s_accept (a));
        REFUSED (XC_E_FORBIDDEN, strangers[k], "rectify.claim", s_claim (a, "completed", NULL));
        REFUSED (XC_E_FORBIDDEN, strangers[k], "rectify.extend", s_extend (a, "item", 0, today + 60));
        REFUSED (XC_E_FORBIDDEN, strangers[k], "rectify.round", json_pack ("{s:s}", "round", "R-1"));
    }
    /* supervisors and services read, and do nothing else */
    const char *readers[] = { "discipline-commission", "audit-bureau", "referral" };
    for (int k = 0; k < 3; k++) {
        json_decref (s_get (__LINE__, readers[k], a));
        REFUSED (XC_E_FORBIDDEN, readers[k], "rectify.review", s_accept (a));
        REFUSED (XC_E_FORBIDDEN, readers[k], "rectify.progress", s_progress (a, "进展", NULL));
        REFUSED (XC_E_FORBIDDEN, readers[k], "rectify.extend", s_extend (a, "item", 0, today + 60));
        REFUSED (XC_E_FORBIDDEN, readers[k], "rectify.regime",
                 json_pack ("{s:s, s:s}", "round", "R-1", "regime", "2024"));
        REFUSED (XC_E_FORBIDDEN, readers[k], "rectify.revisit", s_revisit ("R-1", "U-A", today));
        REFUSED (XC_E_FORBIDDEN, readers[k], "rectify.evaluate",
                 s_evaluation ("R-1", "U-A", 90, 90, 90, 90));
    }
    /* rectify.round: the office and the services */
    REFUSED (XC_E_FORBIDDEN, "discipline-commission", "rectify.round", json_pack ("{s:s}", "round", "R-1"));
    REFUSED (XC_E_FORBIDDEN, "audit-bureau", "rectify.round", json_pack ("{s:s}", "round", "R-1"));
    DONE_R ("referral", "rectify.round", json_pack ("{s:s}", "round", "R-1"));
    STATE (a, "claimed");

    /* unknown items */
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.get", s_ref (none, NULL));
    REFUSED (XC_E_NOT_FOUND, "unit-a", "rectify.plan", s_plan1 (none, today + 30));
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.review", s_accept (none));
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.extend", s_extend (none, "item", 0, today + 60));
    json_decref (none);
    json_decref (a);
}

/*  Data outside the schema (schema) and against the rules of the life table (conflict):
    nothing stored. The boundaries themselves are accepted. */
static void
test_schema_and_rule_refusals (void)
{
    xc_date_t today = fx_today ();
    xc_date_t due = fx_period_end (xc_date_add_months (today, 2));
    json_t *w = ITEM (PETITION ("U-A", "deadline", "扶贫项目资产闲置"));

    /* a measure deadline before the start, or after the item's due date */
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (w, today - 1));
    REFUSED (XC_E_CONFLICT, "unit-a", "rectify.plan", s_plan1 (w, due + 1));
    /* 1-50 measures */
    json_t *many = json_array ();
    for (int k = 0; k < 60; k++)
        json_array_append_new (many, s_measure ("措施", OWNER, LEAD, today + 10));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, many));
    many = json_array ();
    for (int k = 0; k < 51; k++)
        json_array_append_new (many, s_measure ("措施", OWNER, LEAD, today + 10));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, many));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, json_array ()));
    /* measure members: text 1-2000 bytes, owner and lead leader 1-100, a real date */
    char big[2002];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, json_pack ("[o]", s_measure (big, OWNER, LEAD, today + 10))));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, json_pack ("[o]", s_measure ("", OWNER, LEAD, today + 10))));
    big[101] = 0;
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, json_pack ("[o]", s_measure ("措施", big, LEAD, today + 10))));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan", s_plan (w, json_pack ("[o]", s_measure ("措施", OWNER, big, today + 10))));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan",
             s_plan (w, json_pack ("[{s:s, s:s, s:s}]", "text", "措施", "owner", OWNER, "deadline", "2026-12-01")));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan",
             s_plan (w, json_pack ("[{s:s, s:s, s:s, s:s}]", "text", "措施", "owner", OWNER, "lead_leader",
                                   LEAD, "deadline", "2026-02-30")));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.plan",
             s_ref (w, json_pack ("{s:[o], s:s}", "measures", s_measure ("措施", OWNER, LEAD, today + 10),
                                  "colour", "red")));
    STATE (w, "opened");
    /* the boundaries: a measure on the start day and one on the due date */
    DONE_R ("unit-a", "rectify.plan",
            s_plan (w, json_pack ("[o, o]", s_measure ("立即排查", OWNER, LEAD, today),
                                  s_measure ("全面盘活资产", OWNER, LEAD, due))));
    STATE (w, "planned");

    /* progress: a note of 1-4000 bytes, measure numbers */
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.progress", s_progress (w, "", NULL));
    char *note = malloc (4002);
    memset (note, 'n', 4001);
    note[4001] = 0;
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.progress", s_progress (w, note, NULL));
    free (note);
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.progress", s_progress (w, "进展", json_pack ("[s]", "1")));

    /* claims: completion, evidence (1-50, a sha256), outcomes in range */
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim", s_claim (w, "done", NULL));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim",
             s_claim (w, "completed", json_pack ("{s:i}", "money_recovered_fen", -1)));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim",
             s_claim (w, "completed", json_pack ("{s:I}", "money_written_off_fen", (json_int_t) 10000000000001LL)));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim",
             s_claim (w, "completed", json_pack ("{s:i}", "institutional_measures", 10001)));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim",
             s_claim (w, "completed", json_pack ("{s:s}", "public_concern_resolved", "yes")));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim",
             s_claim (w, "completed", json_pack ("{s:i}", "money_saved_fen", 1)));
    json_t *data = s_claim (w, "completed", NULL);
    json_object_set_new (data, "evidence", json_array ());
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim", data);
    data = s_claim (w, "completed", NULL);
    json_object_set_new (data, "evidence", json_pack ("[{s:s, s:s}]", "file", "a.pdf", "sha256", "xyz"));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim", data);
    data = s_claim (w, "completed", NULL);
    json_t *evidence = json_object_get (data, "evidence");
    for (int k = 0; k < 50; k++)
        json_array_append_new (evidence, json_pack ("{s:s, s:s}", "file", "p.jpg", "sha256", SHA));
    REFUSED (XC_E_SCHEMA, "unit-a", "rectify.claim", data);
    STATE (w, "planned");
    /* the boundaries of the money: 0 and 10^13 fen */
    DONE_R ("unit-a", "rectify.claim",
            s_claim (w, "completed", json_pack ("{s:I, s:i}", "money_recovered_fen", (json_int_t) 10000000000000LL,
                                                "money_written_off_fen", 0)));

    /* review: a reason to reject; accept or reject only */
    REFUSED (XC_E_SCHEMA, "office", "rectify.review", s_ref (w, json_pack ("{s:s}", "decision", "reject")));
    REFUSED (XC_E_SCHEMA, "office", "rectify.review", s_ref (w, json_pack ("{s:s}", "decision", "maybe")));
    REFUSED (XC_E_SCHEMA, "office", "rectify.review", s_ref (w, json_pack ("{s:s, s:s}", "decision", "reject", "reason", "")));
    STATE (w, "claimed");
    json_decref (w);

    /* a long-term item has no item due date: a milestone may be years away */
    json_t *l = ITEM (PETITION ("U-A", "long_term", "基层党组织软弱涣散"));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (l, today + 700));
    STATE (l, "planned");
    json_decref (l);
}

/*  rectify.extend: the office moves a running deadline to a later date; the due date and
    rectify.get's extensions show it; a deadline that is done, or none, is a conflict. */
static void
test_extend_rules (void)
{
    xc_date_t today = fx_today ();
    xc_date_t plan_due = fx_period_end (xc_date_add_months (today, 1)), due = fx_period_end (xc_date_add_months (today, 2));
    json_t *x = ITEM (PETITION ("U-A", "deadline", "食堂卫生条件差"));
    /* not later than the current date */
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due - 1));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "item", 0, due));
    /* a deadline item has no milestones */
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "measure", 1, due + 10));
    int64_t head = s_head (&rectify);
    DONE_R ("office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 10));
    DONE_R ("office", "rectify.extend", s_extend (x, "item", 0, due + 20));
    char types[256];
    s_types_after (head, types, sizeof types);
    CHECK_STR (types, "rectify.extended rectify.extended");
    json_t *it = GET (x);
    CHECK_DEADLINE (it, "plan", today, plan_due + 10, 1);
    CHECK_DEADLINE (it, "item", today, due + 20, 1);
    json_decref (it);
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 10));
    /* a plan may run to the extended item due date */
    DONE_R ("unit-a", "rectify.plan", s_plan1 (x, due + 20));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "plan", 0, plan_due + 20));
    DONE_R ("office", "rectify.extend", s_extend (x, "item", 0, due + 30));
    it = GET (x);
    CHECK_DATE ("the extended item due date", s_due_of (s_deadline (it, "item", 0)), due + 30);
    json_decref (it);
    DONE_R ("unit-a", "rectify.claim", s_claim (x, "completed", NULL));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (x, "item", 0, due + 40));
    /* rejected: the item deadline runs again */
    DONE_R ("office", "rectify.review", s_reject (x, "整改不彻底"));
    DONE_R ("office", "rectify.extend", s_extend (x, "item", 0, due + 40));

    /* a long-term item: no item deadline; its milestones until each is done */
    json_t *l = ITEM (PETITION ("U-A", "long_term", "产业发展后劲不足"));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (l, "item", 0, due + 10));
    DONE_R ("unit-a", "rectify.plan",
            s_plan (l, json_pack ("[o, o]", s_measure ("引进龙头企业", OWNER, LEAD, today + 100),
                                  s_measure ("建成产业园", OWNER, LEAD, today + 200))));
    DONE_R ("office", "rectify.extend", s_extend (l, "measure", 1, today + 120));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (l, "measure", 1, today + 110));
    DONE_R ("unit-a", "rectify.progress", s_progress (l, "产业园已建成", json_pack ("[i]", 2)));
    REFUSED (XC_E_CONFLICT, "office", "rectify.extend", s_extend (l, "measure", 2, today + 300));
    json_decref (x);
    json_decref (l);
}

/* ------------------------------------------------------------------ regimes */

/*  This deployment's policy: the two regimes of the page, as they are by default, and a
    working-day one. */
#define REGIME_POLICY                                                                         \
    "{\"regimes\": {\"2017\": {\"plan_due\": \"1 months\", \"report_due\": \"2 months\"},"  \
    "               \"2024\": {\"plan_due\": \"1 months\", \"report_due\": \"6 months\"},"  \
    "               \"wd\": {\"plan_due\": \"10 workdays\", \"report_due\": \"20 workdays\"}}}"

static void
s_regimes_scenario (void)
{
    /* R-17 is left at the default regime (2017). Fed back on 2026-01-31: the plan is due a
       month later, clamped to the end of February (2026-02-28); the rectification two months
       later (2026-03-31). A long-term item has the plan deadline only. */
    xc_date_t f1 = xc_date_from_ymd (2026, 1, 31);
    ROUND_OPEN ("R-17", "U-A", f1);
    const s_problem_t p17[] = { { "U-A", "deadline", "选人用人不规范", NULL },
                                { "U-A", "long_term", "干部队伍老化", NULL } };
    json_int_t ids17[2];
    ROUND_FEED ("R-17", f1, p17, 2, ids17);
    json_t *i17 = ITEM (ids17[0]);
    json_t *l17 = ITEM (ids17[1]);
    json_t *it = GET (i17);
    CHECK_DATE ("start", s_start_of (it), f1);
    CHECK_DEADLINE (it, "plan", f1, xc_date_from_ymd (2026, 2, 28), 0);
    CHECK_DEADLINE (it, "item", f1, xc_date_from_ymd (2026, 3, 31), 0);
    json_decref (it);
    it = GET (l17);
    CHECK_DEADLINE (it, "plan", f1, xc_date_from_ymd (2026, 2, 28), 0);
    json_t *item_deadline = s_deadline (it, "item", 0);
    CHECK (!item_deadline || !json_is_string (s_due_of (item_deadline)));
    json_decref (it);
    json_t *r = OK_R ("office", "rectify.round", json_pack ("{s:s}", "round", "R-17"));
    CHECK_STR (json_string_value (json_object_get (r, "regime")), "2017");
    json_decref (r);
    s_quiet ();                          /* the timer's notices for these past dates first */
    /* the round has an item: its regime is fixed */
    REFUSED (XC_E_CONFLICT, "office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-17", "regime", "2024"));
    REFUSED (XC_E_CONFLICT, "office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-17", "regime", "2017"));
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-NONE", "regime", "2024"));

    /* R-24 is set to the 2024 regime before its first item: fed back on 2026-03-10, the plan
       is due 2026-04-10, the concentrated period ends 2026-09-10. */
    xc_date_t f2 = xc_date_from_ymd (2026, 3, 10);
    ROUND_OPEN ("R-24", "U-B", f2);
    WAIT_ROUND ("R-24");
    int64_t head = s_head (&rectify);
    DONE_R ("office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-24", "regime", "2024"));
    json_t *set = s_events_of (&rectify, head, "rectify.regime_set");
    CHECK_INT (json_array_size (set), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (set, 0), "round")), "R-24");
    CHECK_STR (json_string_value (json_object_get (json_array_get (set, 0), "regime")), "2024");
    json_decref (set);
    r = OK_R ("office", "rectify.round", json_pack ("{s:s}", "round", "R-24"));
    CHECK_STR (json_string_value (json_object_get (r, "regime")), "2024");
    json_decref (r);
    const s_problem_t p24[] = { { "U-B", "deadline", "集中整治不到位", NULL } };
    json_int_t ids24[1];
    ROUND_FEED ("R-24", f2, p24, 1, ids24);
    json_t *i24 = ITEM (ids24[0]);
    it = GET (i24);
    CHECK_DEADLINE (it, "plan", f2, xc_date_from_ymd (2026, 4, 10), 0);
    CHECK_DEADLINE (it, "item", f2, xc_date_from_ymd (2026, 9, 10), 0);
    json_decref (it);
    s_quiet ();
    REFUSED (XC_E_CONFLICT, "office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-24", "regime", "2017"));

    /* R-WD counts working days (config/calendar/2026.json). Fed back on Friday 2026-02-06:
         plan, 10 workdays: Mon 02-09 (1) .. Fri 02-13 (5), Sat 02-14 a make-up workday (6);
           the Spring Festival holidays 02-16..02-20 and 02-23 (with the weekend 02-21/22)
           count nothing; Tue 02-24 (7), 02-25 (8), 02-26 (9), Fri 02-27 (10): 2026-02-27.
         item, 20 workdays: Sat 02-28 a make-up workday (11), Mon 03-02 (12) .. Fri 03-06 (16),
           Mon 03-09 (17), 03-10 (18), 03-11 (19), Thu 03-12 (20): 2026-03-12. */
    xc_date_t f3 = xc_date_from_ymd (2026, 2, 6);
    ROUND_OPEN ("R-WD", "U-A", f3);
    WAIT_ROUND ("R-WD");
    DONE_R ("office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-WD", "regime", "wd"));
    const s_problem_t pwd[] = { { "U-A", "deadline", "春节期间值班制度不落实", NULL } };
    json_int_t idswd[1];
    ROUND_FEED ("R-WD", f3, pwd, 1, idswd);
    json_t *iwd = ITEM (idswd[0]);
    it = GET (iwd);
    CHECK_DEADLINE (it, "plan", f3, xc_date_from_ymd (2026, 2, 27), 0);
    CHECK_DEADLINE (it, "item", f3, xc_date_from_ymd (2026, 3, 12), 0);
    const char *policy = json_string_value (json_object_get (s_deadline (it, "plan", 0), "policy"));
    CHECK (policy && strstr (policy, "10 workday"));
    policy = json_string_value (json_object_get (s_deadline (it, "item", 0), "policy"));
    CHECK (policy && strstr (policy, "20 workday"));
    json_decref (it);

    /* an immediate item: due immediate_due (15 days) after its start, no plan deadline */
    xc_date_t today = fx_today ();
    json_t *imm = ITEM (PETITION ("U-B", "immediate", "村道积水影响通行"));
    it = GET (imm);
    CHECK_STR (json_string_value (json_object_get (it, "class")), "immediate");
    CHECK_DEADLINE (it, "item", today, fx_period_end (today + 15), 0);
    json_t *plan_deadline = s_deadline (it, "plan", 0);
    CHECK (!plan_deadline || !json_is_string (s_due_of (plan_deadline)));
    json_decref (it);
    json_decref (i17);
    json_decref (l17);
    json_decref (i24);
    json_decref (iwd);
    json_decref (imm);
}

static void
test_regimes_2017_2024_and_workdays (void)
{
    s_in_fresh_deployment (REGIME_POLICY, s_regimes_scenario);
}

/* ------------------------------------------------------------------ timers */

static bool
s_has_string (const json_t *list, const char *want)
{
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v)
        if (json_is_string (v) && strcmp (json_string_value (v), want) == 0)
            return true;
    return false;
}

/*  The one event of type for item with step (0 any) after seq 0, copied (caller owns), or
    NULL. */
static json_t *
s_alert_event (const char *type, const json_t *item, int step)
{
    json_t *events = s_events_of (&rectify, 0, type);
    json_t *found = NULL;
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e)
        if (json_equal (json_object_get (e, "item"), item)
            && (!step || json_integer_value (json_object_get (e, "step")) == step) && !found)
            found = json_deep_copy (e);
    json_decref (events);
    return found;
}

/*  Three deadline items of round R-T on U-A, fed back today (T) and planned today:
      A: one measure due T+45, so the item is due T+45: green at T+25, yellow at T+35,
         overdue at T+46, escalation steps 1..5 at T+52, T+59, T+66, T+73, T+80;
      D: one measure due T+8: already in the yellow band when planned, so yellow only;
      E: as A, but claimed and rejected the day it went overdue: reopened, its deadline runs
         again with the same date and the overdue notice is not sent again.
    The clock is set repeatedly, backwards (ignored) and re-set after two restarts: each
    notice exactly once. */
static void
s_timers_scenario (void)
{
    xc_date_t t = fx_today (), due = t + 45;
    ROUND_OPEN ("R-T", "U-A", t);
    const s_problem_t problems[] = { { "U-A", "deadline", "A：会议室超标", NULL },
                                     { "U-A", "deadline", "D：公车私用", NULL },
                                     { "U-A", "deadline", "E：办公用房超标", NULL } };
    json_int_t ids[3];
    ROUND_FEED ("R-T", t, problems, 3, ids);
    json_t *a = ITEM (ids[0]);
    json_t *d = ITEM (ids[1]);
    json_t *e = ITEM (ids[2]);
    DONE_R ("unit-a", "rectify.plan", s_plan1 (a, due));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (d, t + 8));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (e, due));
    s_quiet ();
    CHECK_INT (WARNINGS (d, "item", t + 8, "yellow"), 1);
    CHECK_INT (WARNINGS (d, NULL, 0, "green"), 0);
    CHECK_INT (WARNINGS (a, NULL, 0, NULL), 0);

    CLOCK_TO (t + 24);
    CHECK_INT (WARNINGS (a, NULL, 0, NULL), 0);
    CLOCK_TO (t + 25);
    CHECK_INT (WARNINGS (a, "item", due, "green"), 1);
    CHECK_INT (WARNINGS (e, "item", due, "green"), 1);
    json_t *ev = s_alert_event ("rectify.warning", a, 0);
    CHECK_INT (json_integer_value (json_object_get (ev, "days_left")), 20);
    json_decref (ev);
    /* the same day again, and a day in the past: nothing more */
    CLOCK_TO (t + 25);
    CLOCK_TO (t + 20);
    CHECK_INT (WARNINGS (a, NULL, 0, NULL), 1);
    CLOCK_TO (t + 35);
    CHECK_INT (WARNINGS (a, "item", due, "yellow"), 1);
    CHECK_INT (WARNINGS (e, "item", due, "yellow"), 1);
    RESTART ();
    CLOCK_TO (t + 35);
    CHECK_INT (WARNINGS (a, NULL, 0, NULL), 2);
    CHECK_INT (WARNINGS (e, NULL, 0, NULL), 2);
    CHECK_INT (WARNINGS (d, NULL, 0, NULL), 1);

    /* the due date itself is not overdue; the day after is */
    CLOCK_TO (due);
    CHECK_INT (OVERDUES (a, NULL, 0), 0);
    CLOCK_TO (due + 1);
    CHECK_INT (OVERDUES (a, "item", due), 1);
    CHECK_INT (OVERDUES (e, "item", due), 1);
    ev = s_alert_event ("rectify.overdue", a, 0);
    CHECK (ev != NULL);
    if (ev) {
        CHECK_STR (json_string_value (json_object_get (ev, "unit")), "U-A");
        CHECK_STR (json_string_value (json_object_get (ev, "unit_level")), "town");
        CHECK_STR (json_string_value (json_object_get (ev, "round")), "R-T");
        CHECK_STR (json_string_value (json_object_get (ev, "class")), "deadline");
        CHECK_STR (json_string_value (json_object_get (ev, "deadline")), "item");
        CHECK_STR (json_string_value (json_object_get (ev, "colour")), "red");
        CHECK_INT (json_integer_value (json_object_get (ev, "days_left")), -1);
        CHECK (s_has_string (json_object_get (ev, "owners"), OWNER));
        CHECK (s_has_string (json_object_get (ev, "lead_leaders"), LEAD));
        /* no item text in an alert */
        CHECK (!json_object_get (ev, "summary") && !json_object_get (ev, "detail")
               && !json_object_get (ev, "text"));
    }
    json_decref (ev);
    /* E claims and is rejected the same day: reopened, overdue again on the same date */
    DONE_R ("unit-a", "rectify.claim", s_claim (e, "completed", NULL));
    DONE_R ("office", "rectify.review", s_reject (e, "整改不到位"));
    CLOCK_TO (due + 2);
    CHECK_INT (OVERDUES (a, NULL, 0), 1);
    CHECK_INT (OVERDUES (e, NULL, 0), 1);

    /* escalation: step 1 seven days after the due date, once across a restart */
    CLOCK_TO (due + 6);
    CHECK_INT (STEPS (a, NULL, 0, 0), 0);
    CLOCK_TO (due + 7);
    CHECK_INT (STEPS (a, "item", due, 1), 1);
    CHECK_INT (STEPS (e, "item", due, 1), 1);
    ev = s_alert_event ("rectify.escalated", a, 1);
    CHECK_STR (json_string_value (json_object_get (ev, "step_name")), "supervision_notice");
    CHECK_INT (json_integer_value (json_object_get (ev, "days_left")), -7);
    json_decref (ev);
    RESTART ();
    CLOCK_TO (due + 7);
    CHECK_INT (STEPS (a, NULL, 0, 0), 1);
    /* two steps reached at once come both, in order */
    CLOCK_TO (due + 21);
    CHECK_INT (STEPS (a, NULL, 0, 0), 3);
    CLOCK_TO (due + 35);
    CLOCK_TO (due + 75);
    const char *names[] = { "supervision_notice", "stage_guidance", "reminder", "warning", "accountability" };
    json_t *steps = s_events_of (&rectify, 0, "rectify.escalated");
    int k = 0;
    size_t i;
    json_t *s;
    json_array_foreach (steps, i, s) {
        if (!json_equal (json_object_get (s, "item"), a))
            continue;
        CHECK_INT (json_integer_value (json_object_get (s, "step")), k + 1);
        CHECK_STR (json_string_value (json_object_get (s, "step_name")), k < 5 ? names[k] : "(none)");
        /* at least k x 7 days past the due date (a step emitted late, as these after a jump
           of the clock, may carry the days left when it was sent) */
        CHECK (json_integer_value (json_object_get (s, "days_left")) <= -7 * (k + 1));
        k++;
    }
    json_decref (steps);
    CHECK_INT (k, 5);
    CHECK_INT (STEPS (e, NULL, 0, 0), 5);
    /* totals: each notice of A once, none for the plan deadline (planned at once) */
    CHECK_INT (WARNINGS (a, NULL, 0, NULL), 2);
    CHECK_INT (OVERDUES (a, NULL, 0), 1);
    CHECK_INT (s_alerts ("rectify.warning", a, "plan", 0, 0, NULL, 0)
               + s_alerts ("rectify.overdue", a, "plan", 0, 0, NULL, 0), 0);
    /* D entered the yellow band without passing green */
    CHECK_INT (WARNINGS (d, NULL, 0, "green"), 0);
    CHECK_INT (WARNINGS (d, NULL, 0, "yellow"), 1);
    CHECK_INT (OVERDUES (d, "item", t + 8), 1);
    json_decref (a);
    json_decref (d);
    json_decref (e);
}

static void
test_timers_once_across_restarts (void)
{
    s_in_fresh_deployment (NULL, s_timers_scenario);
}

/*  An extension makes a new due date and a new set of notices: B (due T+45) gets its green
    and yellow warnings, is extended by 30 days before its due date, and gets no overdue notice
    for the old date but green, yellow and overdue for the new one. The plan deadline of an
    item left unplanned, first looked at by a clock already in its yellow band, gets yellow
    only, then goes overdue. */
static void
s_extension_scenario (void)
{
    xc_date_t t = fx_today (), due = t + 45, due2 = due + 30;
    json_t *b = ITEM (PETITION ("U-A", "deadline", "B：工程项目未招标"));
    json_t *p = ITEM (PETITION ("U-B", "deadline", "P：方案迟迟未报"));
    xc_date_t plan_due = fx_period_end (xc_date_add_months (t, 1));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (b, due));
    CLOCK_TO (due - 20);
    CHECK_INT (WARNINGS (b, "item", due, "green"), 1);
    CLOCK_TO (due - 10);
    CHECK_INT (WARNINGS (b, "item", due, "yellow"), 1);
    CLOCK_TO (due - 5);
    int64_t head = s_head (&rectify);
    DONE_R ("office", "rectify.extend", s_extend (b, "item", 0, due2));
    json_t *ext = s_events_of (&rectify, head, "rectify.extended");
    CHECK_INT (json_array_size (ext), 1);
    json_decref (ext);
    json_t *it = GET (b);
    CHECK_DATE ("the extended due date", s_due_of (s_deadline (it, "item", 0)), due2);
    CHECK_INT (s_size (json_object_get (s_deadline (it, "item", 0), "extensions")), 1);
    json_decref (it);
    CLOCK_TO (due + 1);
    CHECK_INT (OVERDUES (b, NULL, 0), 0);
    CLOCK_TO (due2 - 20);
    CHECK_INT (WARNINGS (b, "item", due2, "green"), 1);
    RESTART ();
    CLOCK_TO (due2 - 10);
    CHECK_INT (WARNINGS (b, "item", due2, "yellow"), 1);
    CLOCK_TO (due2);
    CHECK_INT (OVERDUES (b, NULL, 0), 0);
    CLOCK_TO (due2 + 1);
    CHECK_INT (OVERDUES (b, "item", due2), 1);
    CHECK_INT (OVERDUES (b, "item", due), 0);
    /* the old date's warnings were not sent again */
    CHECK_INT (WARNINGS (b, "item", due, NULL), 2);
    CHECK_INT (WARNINGS (b, NULL, 0, NULL), 4);
    /* the unplanned item's plan deadline (due T+28..31 by the month) was first seen at T+25,
       3 to 6 days left: it jumped straight into the yellow band, so yellow only; then overdue */
    CHECK_INT (WARNINGS (p, "plan", plan_due, "green"), 0);
    CHECK_INT (WARNINGS (p, "plan", plan_due, "yellow"), 1);
    CHECK_INT (OVERDUES (p, "plan", plan_due), 1);
    json_decref (b);
    json_decref (p);
}

static void
test_timers_new_set_after_extension (void)
{
    s_in_fresh_deployment (NULL, s_extension_scenario);
}

/*  The revisit.due events for unit (any round). */
static int
s_revisits_due (const char *unit)
{
    json_t *events = s_events_of (&rectify, 0, "revisit.due");
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e)
        n += strcmp (json_string_value (json_object_get (e, "unit")) ? json_string_value (json_object_get (e, "unit")) : "", unit) == 0;
    json_decref (events);
    return n;
}

/*  Round R-V fed back today (T) to U-A and U-B (U-C a target without a problem): each target's
    return visit is due T + 3 months, U-C's too. U-B's visit is recorded before: no revisit.due for it;
    U-A's comes once on its day (across a restart), and is recorded after. */
static void
s_revisit_scenario (void)
{
    xc_date_t t = fx_today (), visit = fx_period_end (xc_date_add_months (t, 3));
    ROUND_OPEN ("R-V", "U-A U-B U-C", t);
    const s_problem_t problems[] = { { "U-A", "deadline", "回访：账目不清", NULL },
                                     { "U-B", "deadline", "回访：制度缺失", NULL } };
    json_int_t ids[2];
    ROUND_FEED ("R-V", t, problems, 2, ids);
    json_t *a = ITEM (ids[0]);
    json_t *b = ITEM (ids[1]);
    int64_t head = s_head (&rectify);
    DONE_R ("office", "rectify.revisit", s_revisit ("R-V", "U-B", t));
    json_t *recorded = s_events_of (&rectify, head, "revisit.recorded");
    CHECK_INT (json_array_size (recorded), 1);
    CHECK_STR (json_string_value (json_object_get (json_array_get (recorded, 0), "round")), "R-V");
    CHECK_STR (json_string_value (json_object_get (json_array_get (recorded, 0), "unit")), "U-B");
    json_decref (recorded);
    /* once; only a target of that round; kinds 1-2 of the two */
    REFUSED (XC_E_CONFLICT, "office", "rectify.revisit", s_revisit ("R-V", "U-B", t));
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.revisit", s_revisit ("R-V", "D-1", t));
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.revisit", s_revisit ("R-NONE", "U-A", t));
    json_t *data = s_revisit ("R-V", "U-A", t);
    json_object_set_new (data, "kinds", json_array ());
    REFUSED (XC_E_SCHEMA, "office", "rectify.revisit", data);
    data = s_revisit ("R-V", "U-A", t);
    json_object_set_new (data, "kinds", json_pack ("[s, s, s]", "return_visit", "special_check", "return_visit"));
    REFUSED (XC_E_SCHEMA, "office", "rectify.revisit", data);
    data = s_revisit ("R-V", "U-A", t);
    json_object_set_new (data, "kinds", json_pack ("[s]", "tea_talk"));
    REFUSED (XC_E_SCHEMA, "office", "rectify.revisit", data);

    CLOCK_TO (visit - 1);
    CHECK_INT (s_revisits_due ("U-A"), 0);
    CLOCK_TO (visit);
    CHECK_INT (s_revisits_due ("U-A"), 1);
    CHECK_INT (s_revisits_due ("U-B"), 0);
    /* U-C had no problem: every target of the round gets its visit */
    CHECK_INT (s_revisits_due ("U-C"), 1);
    json_t *due = s_events_of (&rectify, 0, "revisit.due");
    json_t *e = json_array_get (due, 0);
    CHECK_STR (json_string_value (json_object_get (e, "round")), "R-V");
    CHECK_DATE ("feedback_on", json_object_get (e, "feedback_on"), t);
    CHECK_DATE ("the visit's due date", json_object_get (e, "due"), visit);
    /* the span as the policy says it, for the notice */
    CHECK_STR (json_string_value (json_object_get (e, "after")), "3 months");
    json_decref (due);
    CLOCK_TO (visit);
    RESTART ();
    CLOCK_TO (visit + 1);
    CHECK_INT (s_revisits_due ("U-A"), 1);
    CHECK_INT (s_revisits_due ("U-B"), 0);
    /* recorded late; still once */
    data = s_revisit ("R-V", "U-A", visit + 1);
    json_object_set_new (data, "kinds", json_pack ("[s, s]", "return_visit", "special_check"));
    DONE_R ("office", "rectify.revisit", data);
    REFUSED (XC_E_CONFLICT, "office", "rectify.revisit", s_revisit ("R-V", "U-A", visit + 1));
    json_t *r = OK_R ("office", "rectify.round", json_pack ("{s:s}", "round", "R-V"));
    CHECK_INT (s_round_count (r, "visits"), 2);
    json_decref (r);
    CHECK_INT (s_outbox_count ("revisit.recorded"), 2);
    json_decref (a);
    json_decref (b);
}

static void
test_revisits (void)
{
    s_in_fresh_deployment (NULL, s_revisit_scenario);
}

/*  A long-term item (长期坚持) is never overdue as a whole: its milestones are. L, fed back
    today (T), planned with measure 1 due T+30 (owner 组织部 周九) and measure 2 due T+40:
    measure 1 warns green at T+10, yellow at T+20, is overdue at T+31 and escalates; measure 2
    warns green at T+20, is done at T+22 and hears nothing more. The item is listed overdue
    while measure 1 is, and not once it is done. */
static void
s_long_term_scenario (void)
{
    xc_date_t t = fx_today ();
    json_t *l = ITEM (PETITION ("U-A", "long_term", "L：基层治理长效机制不健全"));
    DONE_R ("unit-a", "rectify.plan",
            s_plan (l, json_pack ("[o, o]", s_measure ("建立村务监督长效机制", "组织部 周九", "副书记 吴十", t + 30),
                                  s_measure ("完成村规民约修订", "宣传部 郑一", "部长 冯二", t + 40))));
    CLOCK_TO (t + 9);
    CHECK_INT (s_alerts ("rectify.warning", l, NULL, 0, 0, NULL, 0), 0);
    CLOCK_TO (t + 10);
    CHECK_INT (s_alerts ("rectify.warning", l, "measure", 1, t + 30, "green", 0), 1);
    CLOCK_TO (t + 20);
    CHECK_INT (s_alerts ("rectify.warning", l, "measure", 1, t + 30, "yellow", 0), 1);
    CHECK_INT (s_alerts ("rectify.warning", l, "measure", 2, t + 40, "green", 0), 1);
    CLOCK_TO (t + 22);
    DONE_R ("unit-a", "rectify.progress", s_progress (l, "村规民约已修订", json_pack ("[i]", 2)));
    CLOCK_TO (t + 30);
    CHECK_INT (s_alerts ("rectify.overdue", l, NULL, 0, 0, NULL, 0), 0);
    CLOCK_TO (t + 31);
    CHECK_INT (s_alerts ("rectify.overdue", l, "measure", 1, t + 30, "red", 0), 1);
    json_t *ev = s_alert_event ("rectify.overdue", l, 0);
    CHECK_STR (json_string_value (json_object_get (ev, "class")), "long_term");
    CHECK_INT (json_integer_value (json_object_get (ev, "measure")), 1);
    CHECK (s_has_string (json_object_get (ev, "owners"), "组织部 周九"));
    CHECK (s_has_string (json_object_get (ev, "lead_leaders"), "副书记 吴十"));
    json_decref (ev);
    json_t *items = LIST_ALL ("office", json_pack ("{s:b}", "overdue", 1));
    CHECK (s_find (items, l) != NULL);
    json_decref (items);
    items = LIST_ALL ("office", json_pack ("{s:b}", "overdue", 0));
    CHECK (s_find (items, l) == NULL);
    json_decref (items);
    CLOCK_TO (t + 38);
    CHECK_INT (s_alerts ("rectify.escalated", l, "measure", 1, t + 30, NULL, 1), 1);
    RESTART ();
    CLOCK_TO (t + 41);
    CLOCK_TO (t + 200);
    /* measure 1: every step once; measure 2 nothing after its green; the item as a whole never */
    CHECK_INT (s_alerts ("rectify.escalated", l, "measure", 1, t + 30, NULL, 0), 5);
    CHECK_INT (s_alerts ("rectify.warning", l, "measure", 1, 0, NULL, 0), 2);
    CHECK_INT (s_alerts ("rectify.overdue", l, "measure", 1, 0, NULL, 0), 1);
    CHECK_INT (s_alerts ("rectify.warning", l, "measure", 2, 0, NULL, 0), 1);
    CHECK_INT (s_alerts ("rectify.overdue", l, "measure", 2, 0, NULL, 0)
               + s_alerts ("rectify.escalated", l, "measure", 2, 0, NULL, 0), 0);
    const char *types[] = { "rectify.warning", "rectify.overdue", "rectify.escalated" };
    for (int k = 0; k < 3; k++)
        CHECK_INT (s_alerts (types[k], l, "item", 0, 0, NULL, 0), 0);
    /* measure 1 done: no longer overdue */
    DONE_R ("unit-a", "rectify.progress", s_progress (l, "长效机制已建立", json_pack ("[i]", 1)));
    items = LIST_ALL ("office", json_pack ("{s:b}", "overdue", 1));
    CHECK (s_find (items, l) == NULL);
    json_decref (items);
    json_decref (l);
}

static void
test_long_term_milestones (void)
{
    s_in_fresh_deployment (NULL, s_long_term_scenario);
}

/* ------------------------------------------------------------------ evaluation */

/*  Whether a score is the exact value: text with two decimals ("86.00"), or a number (the
    page says "kept exact to 0.01", not the type). */
static void
s_check_score (int line, const json_t *score, const char *want)
{
    bool ok = json_is_string (score) ? strcmp (json_string_value (score), want) == 0
              : json_is_number (score) ? fabs (json_number_value (score) - atof (want)) < 0.001
                                       : false;
    if (!ok) {
        char *text = score ? json_dumps (score, JSON_ENCODE_ANY) : NULL;
        FX_FAIL_AT (line, "score %s, expected %s", text ? text : "(none)", want);
        free (text);
    }
}
#define CHECK_SCORE(score, want) s_check_score (__LINE__, score, want)

/*  Evaluates unit in round as the office and checks its unit.evaluated event's score and
    grade. */
static void
s_evaluate (int line, const char *round, const char *unit, int l, int r, int t, int s,
            const char *score, const char *grade)
{
    int64_t head = s_head (&rectify);
    json_decref (s_ok (line, &rectify, "office", "rectify.evaluate", s_evaluation (round, unit, l, r, t, s)));
    json_t *events = s_events_of (&rectify, head, "unit.evaluated");
    json_t *e = json_array_get (events, 0);
    if (json_array_size (events) != 1)
        FX_FAIL_AT (line, "%d unit.evaluated events, expected 1", (int) json_array_size (events));
    else {
        s_check_score (line, json_object_get (e, "score"), score);
        const char *g = json_string_value (json_object_get (e, "grade"));
        if (!g || strcmp (g, grade) != 0)
            FX_FAIL_AT (line, "grade %s, expected %s", g ? g : "(none)", grade);
        const char *u = json_string_value (json_object_get (e, "unit"));
        if (!u || strcmp (u, unit) != 0 || json_integer_value (json_object_get (json_object_get (e, "parts"), "task_completion")) != t)
            FX_FAIL_AT (line, "unit.evaluated names another unit or parts");
    }
    json_decref (events);
}
#define EVALUATE(round, unit, l, r, t, s, score, grade) s_evaluate (__LINE__, round, unit, l, r, t, s, score, grade)

/*  The interview.recommended events after seq `after` (caller owns). */
static json_t *
s_interviews (int64_t after)
{
    return s_events_of (&rectify, after, "interview.recommended");
}

/*  Round R-E, targets U-A, U-B and U-C, with the default weights 15/15/60/10 and grades:
      U-A 100/80/90/50: 15 + 12 + 54 + 5 = 86.00, fairly_good
      U-B 50/50/50/50: 50.00, poor (below 60)
      U-C 33/67/81/99: 4.95 + 10.05 + 48.60 + 9.90 = 73.50, average
    The last evaluation recommends an interview for U-B only (lowest is off by default). */
static void
test_evaluation_scores_and_interviews (void)
{
    ROUND_OPEN ("R-E", "U-A U-B U-C", fx_today ());
    WAIT_ROUND ("R-E");
    int64_t head = s_head (&rectify);
    EVALUATE ("R-E", "U-A", 100, 80, 90, 50, "86.00", "fairly_good");
    REFUSED (XC_E_CONFLICT, "office", "rectify.evaluate", s_evaluation ("R-E", "U-A", 90, 90, 90, 90));
    REFUSED (XC_E_CONFLICT, "office", "rectify.evaluate", s_evaluation ("R-E", "U-D", 90, 90, 90, 90));
    REFUSED (XC_E_NOT_FOUND, "office", "rectify.evaluate", s_evaluation ("R-NONE", "U-A", 90, 90, 90, 90));
    REFUSED (XC_E_SCHEMA, "office", "rectify.evaluate", s_evaluation ("R-E", "U-B", 101, 90, 90, 90));
    REFUSED (XC_E_SCHEMA, "office", "rectify.evaluate", s_evaluation ("R-E", "U-B", 90, -1, 90, 90));
    json_t *data = s_evaluation ("R-E", "U-B", 90, 90, 90, 90);
    json_object_del (json_object_get (data, "parts"), "satisfaction");
    REFUSED (XC_E_SCHEMA, "office", "rectify.evaluate", data);
    EVALUATE ("R-E", "U-B", 50, 50, 50, 50, "50.00", "poor");
    json_t *iv = s_interviews (head);
    CHECK_INT (json_array_size (iv), 0);         /* not before the last target */
    json_decref (iv);
    EVALUATE ("R-E", "U-C", 33, 67, 81, 99, "73.50", "average");
    iv = s_interviews (head);
    CHECK_INT (json_array_size (iv), 1);
    json_t *e = json_array_get (iv, 0);
    CHECK_STR (json_string_value (json_object_get (e, "round")), "R-E");
    CHECK_STR (json_string_value (json_object_get (e, "unit")), "U-B");
    CHECK_STR (json_string_value (json_object_get (e, "unit_name")), s_unit_name ("U-B"));
    CHECK_STR (json_string_value (json_object_get (json_object_get (e, "principal_leader"), "name")), "张建国");
    CHECK_STR (json_string_value (json_object_get (json_object_get (e, "principal_leader"), "title")), "党委书记");
    CHECK_SCORE (json_object_get (e, "score"), "50.00");
    CHECK_STR (json_string_value (json_object_get (e, "grade")), "poor");
    CHECK (json_is_string (json_object_get (e, "reason")));
    json_decref (iv);
    json_t *r = OK_R ("office", "rectify.round", json_pack ("{s:s}", "round", "R-E"));
    CHECK_INT (s_round_count (r, "evaluations"), 3);
    CHECK_INT (s_round_count (r, "interviews"), 1);
    CHECK_INT (s_size (json_object_get (r, "targets")), 3);
    json_decref (r);
    /* everyone is scored: nothing more */
    REFUSED (XC_E_CONFLICT, "office", "rectify.evaluate", s_evaluation ("R-E", "U-C", 10, 10, 10, 10));
}

/*  interview {"below": 60, "lowest": 1}: U-A 90.00 (good, the band's boundary), U-D
    100/100/100/0 = 15 + 15 + 60 + 0 = 90.00 (good), U-B and U-C 70.00 each (average): none
    below 60, and the lowest place is a tie, so both get an interview, once each. */
static void
s_interview_scenario (void)
{
    ROUND_OPEN ("R-I", "U-A U-B U-C U-D", fx_today ());
    WAIT_ROUND ("R-I");
    int64_t head = s_head (&rectify);
    EVALUATE ("R-I", "U-A", 90, 90, 90, 90, "90.00", "good");
    EVALUATE ("R-I", "U-B", 70, 70, 70, 70, "70.00", "average");
    EVALUATE ("R-I", "U-C", 70, 70, 70, 70, "70.00", "average");
    json_t *iv = s_interviews (head);
    CHECK_INT (json_array_size (iv), 0);
    json_decref (iv);
    EVALUATE ("R-I", "U-D", 100, 100, 100, 0, "90.00", "good");
    iv = s_interviews (head);
    CHECK_INT (json_array_size (iv), 2);
    bool b = false, c = false;
    size_t i;
    json_t *e;
    json_array_foreach (iv, i, e) {
        const char *unit = json_string_value (json_object_get (e, "unit"));
        b = b || (unit && strcmp (unit, "U-B") == 0);
        c = c || (unit && strcmp (unit, "U-C") == 0);
        CHECK_SCORE (json_object_get (e, "score"), "70.00");
    }
    CHECK (b && c);
    json_decref (iv);
}

static void
test_interview_lowest_with_a_tie (void)
{
    s_in_fresh_deployment ("{\"interview\": {\"below\": 60, \"lowest\": 1}}", s_interview_scenario);
}

/* ------------------------------------------------------------------ statistics */

/*  A rate: text with two decimals, or JSON null when nothing counts (want NULL). */
static void
s_check_rate (int line, const char *what, const json_t *obj, const char *want)
{
    json_t *rate = json_object_get (obj, "rate");
    if (want ? !json_is_string (rate) || strcmp (json_string_value (rate), want) != 0 : !json_is_null (rate)) {
        char *text = rate ? json_dumps (rate, JSON_ENCODE_ANY) : NULL;
        FX_FAIL_AT (line, "%s rate %s, expected %s", what, text ? text : "(absent)", want ? want : "null");
        free (text);
    }
}
#define CHECK_RATE(what, obj, want) s_check_rate (__LINE__, what, obj, want)

/*  rectify.stats as iss with filters (stolen). */
#define STATS(iss, filters) OK_R (iss, "rectify.stats", filters)

/*  Round R-S, fed back today (T) to U-A and U-B, counted by hand:
      I1 U-A deadline   measure T+10, claimed T completed (2 institutional measures,
                        123456789 fen recovered, a public concern resolved), accepted: on time
      I2 U-A deadline   measure T+10, claimed T+15 completed (1 fen recovered, 96570000 fen
                        written off), accepted T+16: late
      I3 U-B deadline   measure T+10, claimed T mostly_completed (3 institutional), accepted
      I4 U-B deadline   measure T+12, claimed T completed (7 institutional, 500 fen each way,
                        a public concern) and rejected: none of it counts; reopened, overdue
                        from T+13, supervision_notice at T+19, stage_guidance at T+26
      I5 U-A immediate  due T+15, claimed T completed, accepted: on time
      I6 U-B immediate  due T+15, untouched: overdue from T+16, supervision_notice at T+22
      I7 U-A long_term  measure T+40, planned
    At T+25, with U-A's return visit recorded:
      items 7: closed 4, reopened 1, opened 1, planned 1; deadline 4, immediate 2, long_term 1
      completion: completed 3 (I1 I2 I5; I3 is mostly) of 7 = 42.857.. -> "42.86"
      on time: closed by today 4 (I1 I2 I3 I5) and open past their due date 2 (I4 I6): 6,
      closed on time 3 (I1 I3 I5) -> "50.00"
      immediate 2, closed 1; institutional 2 + 3 = 5; public concerns 1
      money recovered 123456789 + 1 = 123456790 fen = "1234567.90" yuan,
      written off 96570000 fen = "965700.00" yuan
      overdue now 2 (I4 I6); supervision_notice reached by 2, stage_guidance by none
      revisits done 1; interviews 0
    U-A alone: items 4, completed 3 -> "75.00"; due 3 (I1 I2 I5), on time 2 -> "66.67".
    U-B alone: items 3, completed 0 -> "0.00"; due 3 (I3 I4 I6), on time 1 -> "33.33".
    In [T+11, T+15]: none closed (I1 I3 I5 on T, I2 on T+16), open and due in it I4 I6: 0 of 2,
    "0.00"; in [T+16, T+20] I2 closed late and I6 (if its due date moved past a day off) -> 0. */
static void
s_stats_scenario (void)
{
    xc_date_t t = fx_today ();
    ROUND_OPEN ("R-S", "U-A U-B", t);
    const s_problem_t problems[] = {
        { "U-A", "deadline", "I1", NULL }, { "U-A", "deadline", "I2", NULL },
        { "U-B", "deadline", "I3", NULL }, { "U-B", "deadline", "I4", NULL },
        { "U-A", "immediate", "I5", NULL }, { "U-B", "immediate", "I6", NULL },
        { "U-A", "long_term", "I7", NULL },
    };
    json_int_t ids[7];
    ROUND_FEED ("R-S", t, problems, 7, ids);
    json_t *item[7];
    for (int k = 0; k < 7; k++)
        item[k] = ITEM (ids[k]);
    DONE_R ("unit-a", "rectify.plan", s_plan1 (item[0], t + 10));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (item[1], t + 10));
    DONE_R ("unit-b", "rectify.plan", s_plan1 (item[2], t + 10));
    DONE_R ("unit-b", "rectify.plan", s_plan1 (item[3], t + 12));
    DONE_R ("unit-a", "rectify.plan", s_plan1 (item[6], t + 40));
    DONE_R ("unit-a", "rectify.claim",
            s_claim (item[0], "completed", json_pack ("{s:i, s:I, s:b}", "institutional_measures", 2,
                                                      "money_recovered_fen", (json_int_t) 123456789,
                                                      "public_concern_resolved", 1)));
    DONE_R ("office", "rectify.review", s_accept (item[0]));
    DONE_R ("unit-b", "rectify.claim",
            s_claim (item[2], "mostly_completed", json_pack ("{s:i}", "institutional_measures", 3)));
    DONE_R ("office", "rectify.review", s_accept (item[2]));
    DONE_R ("unit-b", "rectify.claim",
            s_claim (item[3], "completed", json_pack ("{s:i, s:i, s:i, s:b}", "institutional_measures", 7,
                                                      "money_recovered_fen", 500, "money_written_off_fen", 500,
                                                      "public_concern_resolved", 1)));
    DONE_R ("office", "rectify.review", s_reject (item[3], "整改成效不明显"));
    DONE_R ("unit-a", "rectify.claim", s_claim (item[4], "completed", NULL));
    DONE_R ("office", "rectify.review", s_accept (item[4]));
    CLOCK_TO (t + 15);
    DONE_R ("unit-a", "rectify.claim",
            s_claim (item[1], "completed", json_pack ("{s:i, s:I}", "money_recovered_fen", 1,
                                                      "money_written_off_fen", (json_int_t) 96570000)));
    CLOCK_TO (t + 16);
    DONE_R ("office", "rectify.review", s_accept (item[1]));
    json_t *it = GET (item[1]);
    CHECK_DATE ("I2 closed_on", json_object_get (it, "closed_on"), t + 16);
    json_decref (it);
    CLOCK_TO (t + 25);
    DONE_R ("office", "rectify.revisit", s_revisit ("R-S", "U-A", t + 25));

    json_t *st = STATS ("office", json_object ());
    CHECK_INT (s_int (st, "items"), 7);
    json_t *by = json_object_get (st, "by_state");
    CHECK_INT (s_int (by, "closed"), 4);
    CHECK_INT (s_int (by, "reopened"), 1);
    CHECK_INT (s_int (by, "opened"), 1);
    CHECK_INT (s_int (by, "planned"), 1);
    CHECK_INT (s_int (by, "claimed"), 0);
    by = json_object_get (st, "by_class");
    CHECK_INT (s_int (by, "deadline"), 4);
    CHECK_INT (s_int (by, "immediate"), 2);
    CHECK_INT (s_int (by, "long_term"), 1);
    json_t *c = json_object_get (st, "completion");
    CHECK_INT (s_int (c, "completed"), 3);
    CHECK_INT (s_int (c, "items"), 7);
    CHECK_RATE ("completion", c, "42.86");
    c = json_object_get (st, "on_time");
    CHECK_INT (s_int (c, "closed_on_time"), 3);
    CHECK_INT (s_int (c, "due"), 6);
    CHECK_RATE ("on_time", c, "50.00");
    c = json_object_get (st, "immediate");
    CHECK_INT (s_int (c, "items"), 2);
    CHECK_INT (s_int (c, "closed"), 1);
    CHECK_INT (s_int (st, "institutional_measures"), 5);
    CHECK_INT (s_int (st, "money_recovered_fen"), 123456790);
    CHECK_INT (s_int (st, "money_written_off_fen"), 96570000);
    CHECK_STR (json_string_value (json_object_get (st, "money_recovered_yuan")), "1234567.90");
    CHECK_STR (json_string_value (json_object_get (st, "money_written_off_yuan")), "965700.00");
    CHECK_INT (s_int (st, "public_concerns_resolved"), 1);
    CHECK_INT (s_int (st, "overdue_now"), 2);
    c = json_object_get (st, "escalations");
    CHECK_INT (s_int (c, "supervision_notice"), 2);
    CHECK_INT (s_int (c, "stage_guidance"), 0);
    CHECK_INT (s_int (c, "accountability"), 0);
    CHECK_INT (s_int (json_object_get (st, "revisits"), "done"), 1);
    CHECK_INT (s_int (st, "interviews_recommended"), 0);
    json_decref (st);

    /* one unit at a time */
    st = STATS ("office", json_pack ("{s:s, s:s}", "round", "R-S", "unit", "U-A"));
    CHECK_INT (s_int (st, "items"), 4);
    CHECK_INT (s_int (json_object_get (st, "completion"), "completed"), 3);
    CHECK_RATE ("completion", json_object_get (st, "completion"), "75.00");
    CHECK_INT (s_int (json_object_get (st, "on_time"), "due"), 3);
    CHECK_RATE ("on_time", json_object_get (st, "on_time"), "66.67");
    CHECK_STR (json_string_value (json_object_get (st, "money_recovered_yuan")), "1234567.90");
    CHECK_INT (s_int (st, "overdue_now"), 0);
    CHECK_INT (s_int (json_object_get (st, "immediate"), "items"), 1);
    json_decref (st);
    st = STATS ("office", json_pack ("{s:s}", "unit", "U-B"));
    CHECK_INT (s_int (st, "items"), 3);
    CHECK_RATE ("completion", json_object_get (st, "completion"), "0.00");
    CHECK_RATE ("on_time", json_object_get (st, "on_time"), "33.33");
    CHECK_STR (json_string_value (json_object_get (st, "money_recovered_yuan")), "0.00");
    CHECK_INT (s_int (st, "public_concerns_resolved"), 0);
    CHECK_INT (s_int (st, "overdue_now"), 2);
    json_decref (st);
    /* unit-a sees U-A's items only; team-1 sees nothing */
    st = STATS ("unit-a", json_object ());
    CHECK_INT (s_int (st, "items"), 4);
    CHECK_RATE ("completion", json_object_get (st, "completion"), "75.00");
    json_decref (st);
    st = STATS ("team-1", json_object ());
    CHECK_INT (s_int (st, "items"), 0);
    CHECK_RATE ("completion", json_object_get (st, "completion"), NULL);
    json_decref (st);
    /* due dates in a window */
    st = STATS ("office", json_pack ("{s:o, s:o}", "from", s_jdate (t + 11), "to", s_jdate (t + 15)));
    json_t *i6 = GET (item[5]), *t15 = s_jdate (t + 15);
    bool i6_in = strcmp (json_string_value (json_object_get (i6, "due")), json_string_value (t15)) <= 0;
    json_decref (i6);
    json_decref (t15);
    CHECK_INT (s_int (json_object_get (st, "on_time"), "due"), i6_in ? 2 : 1);
    CHECK_INT (s_int (json_object_get (st, "on_time"), "closed"), 0);
    CHECK_INT (s_int (json_object_get (st, "on_time"), "closed_on_time"), 0);
    CHECK_RATE ("on_time", json_object_get (st, "on_time"), "0.00");
    json_decref (st);
    st = STATS ("office", json_pack ("{s:o, s:o}", "from", s_jdate (t + 30), "to", s_jdate (t + 35)));
    CHECK_INT (s_int (json_object_get (st, "on_time"), "due"), 0);
    CHECK_RATE ("on_time", json_object_get (st, "on_time"), NULL);
    json_decref (st);
    /* nothing counts: null rates */
    st = STATS ("office", json_pack ("{s:s}", "unit", "U-C"));
    CHECK_INT (s_int (st, "items"), 0);
    CHECK_RATE ("completion", json_object_get (st, "completion"), NULL);
    CHECK_RATE ("on_time", json_object_get (st, "on_time"), NULL);
    json_decref (st);

    /* the round's evaluation: U-A below 60, one interview */
    EVALUATE ("R-S", "U-A", 50, 50, 50, 50, "50.00", "poor");
    EVALUATE ("R-S", "U-B", 90, 90, 90, 90, "90.00", "good");
    st = STATS ("office", json_object ());
    CHECK_INT (s_int (st, "interviews_recommended"), 1);
    json_decref (st);

    /* past the return visits' due date (T + 3 months): both visits fell due, U-A's is done;
       I4 and I6 reached every escalation step, and so did I7 by its milestone (due T+40,
       accountability at T+75): three items overdue now */
    CLOCK_TO (fx_period_end (xc_date_add_months (t, 3)) + 1);
    CHECK_INT (s_revisits_due ("U-B"), 1);
    CHECK_INT (s_revisits_due ("U-A"), 0);
    st = STATS ("office", json_object ());
    CHECK_INT (s_int (json_object_get (st, "revisits"), "due"), 2);
    CHECK_INT (s_int (json_object_get (st, "revisits"), "done"), 1);
    const char *steps[] = { "supervision_notice", "stage_guidance", "reminder", "warning", "accountability" };
    for (int k = 0; k < 5; k++)
        CHECK_INT (s_int (json_object_get (st, "escalations"), steps[k]), 3);
    CHECK_INT (s_int (st, "overdue_now"), 3);
    json_decref (st);
    for (int k = 0; k < 7; k++)
        json_decref (item[k]);
}

static void
test_stats_counted_by_hand (void)
{
    s_in_fresh_deployment (NULL, s_stats_scenario);
}

/* ------------------------------------------------------------------ lists */

/*  rectify.list filters (round, unit, state, class) keep only what they name, and pages of one
    give the office's whole list in the same order. */
static void
test_list_filters_and_pages (void)
{
    json_t *imm = ITEM (PETITION ("U-B", "immediate", "列表：立行立改"));
    s_quiet ();                          /* due in 15 days: its green warning */
    DONE_R ("unit-b", "rectify.claim", s_claim (imm, "completed", NULL));
    struct {
        const char *key, *value;
    } filters[] = { { "round", "R-1" }, { "unit", "U-B" }, { "state", "claimed" }, { "class", "immediate" } };
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        json_t *items = LIST_ALL ("office", json_pack ("{s:s}", filters[f].key, filters[f].value));
        CHECK (json_array_size (items) > 0);
        size_t i;
        json_t *item;
        json_array_foreach (items, i, item) {
            const char *v = json_string_value (json_object_get (item, filters[f].key));
            if (!v || strcmp (v, filters[f].value) != 0)
                FX_FAIL_AT (__LINE__, "rectify.list %s=%s lists an item with %s", filters[f].key,
                            filters[f].value, v ? v : "(none)");
        }
        bool listed = s_find (items, imm) != NULL;
        CHECK (listed == (f != 0));
        json_decref (items);
    }
    json_t *all = LIST_ALL ("office", json_object ());
    json_t *after = NULL;
    size_t k = 0;
    for (; k < json_array_size (all) + 2; k++) {
        json_t *data = json_pack ("{s:i}", "limit", 1);
        if (after)
            json_object_set (data, "after", after);
        json_t *r = OK_R ("office", "rectify.list", data);
        json_t *page = json_object_get (r, "items");
        if (json_array_size (page) == 0) {
            json_decref (r);
            break;
        }
        CHECK_INT (json_array_size (page), 1);
        CHECK (json_equal (s_id_of (json_array_get (page, 0)), s_id_of (json_array_get (all, k))));
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
    json_decref (all);
    json_decref (imm);
}

/* ------------------------------------------------------------------ scope and visibility */

/*  Whether every listed item's unit is one of units (space-separated). */
static bool
s_all_of_units (const json_t *items, const char *units)
{
    size_t i;
    json_t *item;
    json_array_foreach (items, i, item) {
        const char *unit = json_string_value (json_object_get (item, "unit"));
        char padded[64], list[128];
        snprintf (padded, sizeof padded, " %s ", unit ? unit : "?");
        snprintf (list, sizeof list, " %s ", units);
        if (!strstr (list, padded))
            return false;
    }
    return true;
}

/*  The office's view of rectify's events: seq -> the unit the event concerns (those naming
    one). Caller owns. */
static json_t *
s_units_by_seq (void)
{
    json_t *map = json_object ();
    json_t *events = fx_events (&rectify, to_rectify, "office", 0, 200);
    size_t i;
    json_t *entry;
    json_array_foreach (events, i, entry) {
        xc_msg_t *event = fx_event_open (&rectify, entry);
        const char *unit = event ? json_string_value (json_object_get (event->data, "unit")) : NULL;
        if (unit) {
            char key[32];
            snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (entry, "seq")));
            json_object_set_new (map, key, json_string (unit));
        }
        xc_msg_destroy (&event);
    }
    json_decref (events);
    return map;
}

/*  Checks reader's events.read against the office's: an event about a unit in `visible`
    (space-separated) carries its message, any other unit's is redacted. Returns how many
    were redacted. refused_ok: the role may be refused events.read altogether. */
static int
s_check_event_view (int line, const char *reader, const json_t *units, const char *visible, bool refused_ok)
{
    json_t *events = fx_events (&rectify, to_rectify, reader, 0, 200);
    if (!events) {
        if (!refused_ok)
            FX_FAIL_AT (line, "events.read refused to %s", reader);
        return -1;
    }
    int redacted = 0;
    size_t i;
    json_t *entry;
    json_array_foreach (events, i, entry) {
        char key[32];
        snprintf (key, sizeof key, "%lld", (long long) json_integer_value (json_object_get (entry, "seq")));
        const char *unit = json_string_value (json_object_get (units, key));
        if (!unit)
            continue;
        char padded[64], list[128];
        snprintf (padded, sizeof padded, " %s ", unit);
        snprintf (list, sizeof list, " %s ", visible);
        bool should = strstr (list, padded) != NULL;
        bool open = json_is_string (json_object_get (entry, "message"));
        bool hidden = json_is_true (json_object_get (entry, "redacted"));
        if (should && !open)
            FX_FAIL_AT (line, "%s does not see %s (seq %s, unit %s)", reader,
                        json_string_value (json_object_get (entry, "type")), key, unit);
        if (!should && (open || !hidden))
            FX_FAIL_AT (line, "%s sees %s (seq %s, unit %s) unredacted", reader,
                        json_string_value (json_object_get (entry, "type")), key, unit);
        redacted += hidden ? 1 : 0;
    }
    json_decref (events);
    return redacted;
}

/*  unit-a reads U-A's items only (not even the village below it: a unit acts for the units
    of its scope), unit-b U-B's; discipline-commission (D-1) U-A's and V-1's, which are below
    D-1, not U-B's; audit-bureau (*) and the services all; team-1 and the petition bureau
    nothing. Events follow the same scope, redacted for the others; rectify.regime_set is
    open. */
static void
test_scope_and_visibility (void)
{
    json_t *a = ITEM (PETITION ("U-A", "deadline", "范围：青石镇"));
    json_t *b = ITEM (PETITION ("U-B", "deadline", "范围：白沙镇"));
    json_t *v = ITEM (PETITION ("V-1", "deadline", "范围：柳树村"));
    struct {
        const char *iss, *units;
        bool a, b, v;
    } readers[] = {
        { "office", "U-A U-B V-1 D-1 D-2 U-C U-D", true, true, true },
        { "unit-a", "U-A", true, false, false },
        { "unit-b", "U-B", false, true, false },
        { "discipline-commission", "D-1 U-A V-1", true, false, true },
        { "audit-bureau", "U-A U-B V-1 D-1 D-2 U-C U-D", true, true, true },
        { "referral", "U-A U-B V-1 D-1 D-2 U-C U-D", true, true, true },
        { "team-1", "", false, false, false },
        { "petition-bureau", "", false, false, false },
    };
    for (size_t k = 0; k < sizeof readers / sizeof readers[0]; k++) {
        json_t *items = LIST_ALL (readers[k].iss, json_object ());
        if (!s_all_of_units (items, readers[k].units))
            FX_FAIL_AT (__LINE__, "%s lists an item of a unit outside %s", readers[k].iss, readers[k].units);
        if ((s_find (items, a) != NULL) != readers[k].a || (s_find (items, b) != NULL) != readers[k].b
            || (s_find (items, v) != NULL) != readers[k].v)
            FX_FAIL_AT (__LINE__, "%s lists U-A %d U-B %d V-1 %d", readers[k].iss, s_find (items, a) != NULL,
                        s_find (items, b) != NULL, s_find (items, v) != NULL);
        /* a list has no detail */
        size_t i;
        json_t *item;
        json_array_foreach (items, i, item)
            if (json_object_get (item, "detail"))
                FX_FAIL_AT (__LINE__, "rectify.list as %s shows an item's detail", readers[k].iss);
        /* stats count what the reader may list */
        json_t *st = STATS (readers[k].iss, json_object ());
        CHECK_INT (s_int (st, "items"), json_array_size (items));
        json_decref (st);
        json_decref (items);
    }
    /* a filter does not widen the scope */
    json_t *items = LIST_ALL ("unit-b", json_pack ("{s:s}", "unit", "U-A"));
    CHECK_INT (json_array_size (items), 0);
    json_decref (items);
    /* rectify.get by scope */
    json_decref (s_get (__LINE__, "discipline-commission", v));
    json_decref (s_get (__LINE__, "audit-bureau", b));
    json_decref (s_get (__LINE__, "unit-b", b));
    REFUSED (XC_E_FORBIDDEN, "discipline-commission", "rectify.get", s_ref (b, NULL));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.get", s_ref (v, NULL));
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.get", s_ref (b, NULL));
    REFUSED (XC_E_FORBIDDEN, "team-1", "rectify.get", s_ref (a, NULL));
    /* a unit acts on its own only: not on the village below it */
    REFUSED (XC_E_FORBIDDEN, "unit-a", "rectify.plan", s_plan1 (v, fx_today () + 30));
    /* exports are empty for a reader who sees nothing */
    json_t *r = OK_R ("team-1", "rectify.export", json_pack ("{s:s}", "list", "problems"));
    CHECK_INT (s_int (r, "rows"), 0);
    json_decref (r);

    /* an open event: a regime set on a fresh round */
    ROUND_OPEN ("R-7", "U-B", fx_today ());
    WAIT_ROUND ("R-7");
    DONE_R ("office", "rectify.regime", json_pack ("{s:s, s:s}", "round", "R-7", "regime", "2024"));
    json_t *set = s_events_of (&rectify, 0, "rectify.regime_set");
    json_int_t set_seq = 0;
    size_t n;
    json_t *e;
    json_array_foreach (set, n, e)
        if (json_is_string (json_object_get (e, "round")) && strcmp (json_string_value (json_object_get (e, "round")), "R-7") == 0)
            set_seq = json_integer_value (json_object_get (e, "_seq"));
    json_decref (set);
    CHECK (set_seq > 0);
    json_t *units = s_units_by_seq ();
    CHECK (s_check_event_view (__LINE__, "unit-b", units, "U-B", false) > 0);
    CHECK (s_check_event_view (__LINE__, "unit-a", units, "U-A", false) > 0);
    CHECK (s_check_event_view (__LINE__, "discipline-commission", units, "U-A V-1 D-1", false) > 0);
    CHECK_INT (s_check_event_view (__LINE__, "audit-bureau", units, "U-A U-B V-1 D-1 D-2 U-C U-D", false), 0);
    CHECK_INT (s_check_event_view (__LINE__, "referral", units, "U-A U-B V-1 D-1 D-2 U-C U-D", false), 0);
    s_check_event_view (__LINE__, "team-1", units, "", true);
    json_decref (units);
    const char *open_readers[] = { "unit-a", "unit-b", "discipline-commission" };
    for (int k = 0; k < 3; k++) {
        json_t *events = fx_events (&rectify, to_rectify, open_readers[k], 0, 200);
        int seen = 0;
        size_t i;
        json_t *entry;
        json_array_foreach (events, i, entry)
            if (strcmp (json_string_value (json_object_get (entry, "type")), "rectify.regime_set") == 0
                && json_integer_value (json_object_get (entry, "seq")) == set_seq)
                seen += json_is_string (json_object_get (entry, "message")) ? 1 : 0;
        if (seen != 1)
            FX_FAIL_AT (__LINE__, "%s does not see rectify.regime_set", open_readers[k]);
        json_decref (events);
    }
    json_decref (a);
    json_decref (b);
    json_decref (v);
}

/* ------------------------------------------------------------------ CSV export */

/*  Parses RFC 4180 CSV (records ended by CRLF, or LF; quoted fields with "" for a quote, which
    may hold commas and line breaks) into a list of records, each a list of strings. NULL when
    a quote is left open. Caller owns. */
static json_t *
s_csv_parse (const char *text, size_t len)
{
    json_t *records = json_array ();
    json_t *record = json_array ();
    char *field = malloc (len + 1);
    size_t n = 0, i = 0;
    bool fresh = true;                   /* nothing read of the current record yet */
    while (i < len) {
        if (text[i] == '"' && n == 0) {
            /* a quoted field: to the closing quote */
            i++;
            for (;;) {
                if (i >= len) {
                    free (field);
                    json_decref (record);
                    json_decref (records);
                    return NULL;
                }
                if (text[i] == '"' && i + 1 < len && text[i + 1] == '"') {
                    field[n++] = '"';
                    i += 2;
                }
                else if (text[i] == '"') {
                    i++;
                    break;
                }
                else
                    field[n++] = text[i++];
            }
            fresh = false;
            continue;
        }
        if (text[i] == ',') {
            json_array_append_new (record, json_stringn (field, n));
            n = 0;
            i++;
            fresh = false;
            continue;
        }
        if (text[i] == '\r' || text[i] == '\n') {
            i += text[i] == '\r' && i + 1 < len && text[i + 1] == '\n' ? 2 : 1;
            json_array_append_new (record, json_stringn (field, n));
            json_array_append_new (records, record);
            record = json_array ();
            n = 0;
            fresh = true;
            continue;
        }
        field[n++] = text[i++];
        fresh = false;
    }
    if (!fresh) {
        json_array_append_new (record, json_stringn (field, n));
        json_array_append_new (records, record);
    }
    else
        json_decref (record);
    free (field);
    return records;
}

/*  Whether some record (of records, from index `from`) has a field equal to want. */
static bool
s_csv_has (const json_t *records, size_t from, const char *want)
{
    for (size_t r = from; r < json_array_size (records); r++) {
        size_t i;
        json_t *f;
        json_array_foreach (json_array_get (records, r), i, f)
            if (strcmp (json_string_value (f), want) == 0)
                return true;
    }
    return false;
}

#define BOM "\xEF\xBB\xBF"

/*  rectify.export of list in round as the office, one page (limit, after may be NULL). */
static json_t *
s_export (int line, const char *list, const char *round, int limit, const json_t *after)
{
    json_t *data = json_pack ("{s:s, s:s, s:i}", "list", list, "round", round, "limit", limit);
    if (after)
        json_object_set (data, "after", (json_t *) after);
    return s_ok (line, &rectify, "office", "rectify.export", data);
}

/*  Exports list in pages of one: their texts concatenated (caller frees), and the rows. The
    first page starts with the byte order mark, no later page does. */
static char *
s_export_paged (int line, const char *list, const char *round, int *rows)
{
    size_t size = 1;
    char *all = calloc (1, 1);
    json_t *after = NULL;
    *rows = 0;
    for (int page = 0; page < 100; page++) {
        json_t *r = s_export (line, list, round, 1, after);
        const char *csv = json_string_value (json_object_get (r, "csv"));
        if (!csv) {
            FX_FAIL_AT (line, "export %s page %d has no csv", list, page);
            json_decref (r);
            break;
        }
        if ((page == 0) != (strncmp (csv, BOM, 3) == 0))
            FX_FAIL_AT (line, "export %s page %d %s the byte order mark", list, page, page ? "repeats" : "lacks");
        size_t len = strlen (csv);
        all = realloc (all, size + len);
        memcpy (all + size - 1, csv, len + 1);
        size += len;
        int n = (int) s_int (r, "rows");
        *rows += n;
        json_decref (after);
        after = json_incref (json_object_get (r, "next"));
        json_decref (r);
        if (!after || json_is_null (after) || n == 0)
            break;
    }
    json_decref (after);
    return all;
}

/*  Round R-CSV on U-B: a problem whose summary holds a comma and quotes, one whose summary is
    a formula; unit-b's plans have a task with quotes and a line break, and formulas and a tab
    at the start of a task and of responsibilities. Each list's first page starts with the UTF-8 byte order
    mark and a Chinese header line; the rows parse back to the very texts, formulas defused
    with a leading '; pages of one concatenate to the whole export. */
static void
test_csv_export (void)
{
    xc_date_t today = fx_today ();
    ROUND_OPEN ("R-CSV", "U-B", today);
    const char *summary = "宿舍楼改造, \"急\"";
    const char *task = "更换屋顶防水层，\"加急\"\r\n分两期施工";
    const s_problem_t problems[] = { { "U-B", "deadline", summary, NULL },
                                     { "U-B", "deadline", "=1+1", "-公式开头的问题" } };
    json_int_t ids[2];
    ROUND_FEED ("R-CSV", today, problems, 2, ids);
    json_t *p1 = ITEM (ids[0]);
    json_t *p2 = ITEM (ids[1]);
    DONE_R ("unit-b", "rectify.plan",
            s_plan (p1, json_pack ("[o, o]", s_measure (task, "后勤处", "赵六", today + 30),
                                   s_measure ("=HYPERLINK(\"http://x\")", "@基建处", "+钱七", today + 40))));
    DONE_R ("unit-b", "rectify.plan", s_plan (p2, json_pack ("[o]", s_measure ("-5 号楼整改", "\t王五", "孙八", today + 20))));
    s_quiet ();                          /* p2 is due in 20 days: its green warning, before the next tests */

    struct {
        const char *list;
        int rows;
        const char *fields[4];
    } lists[] = {
        { "problems", 2, { summary, "'=1+1", NULL } },
        { "tasks", 3, { task, "'=HYPERLINK(\"http://x\")", "'-5 号楼整改", NULL } },
        { "responsibilities", 3, { "后勤处", "'@基建处", "'+钱七", "'\t王五" } },
    };
    for (int k = 0; k < 3; k++) {
        json_t *r = s_export (__LINE__, lists[k].list, "R-CSV", 100, NULL);
        const char *csv = json_string_value (json_object_get (r, "csv"));
        CHECK (csv && strncmp (csv, BOM, 3) == 0);
        CHECK_INT (s_int (r, "rows"), lists[k].rows);
        CHECK (json_is_null (json_object_get (r, "next")));
        size_t len = csv ? strlen (csv) : 0;
        CHECK (len >= 2 && csv[len - 2] == '\r' && csv[len - 1] == '\n');     /* CRLF records */
        json_t *records = csv && len > 3 ? s_csv_parse (csv + 3, len - 3) : NULL;
        CHECK (records != NULL);
        /* a header line, in Chinese, then the rows */
        CHECK_INT (json_array_size (records), lists[k].rows + 1);
        char *header = json_dumps (json_array_get (records, 0), JSON_ENSURE_ASCII);
        CHECK (header && strstr (header, "\\u"));
        free (header);
        for (int f = 0; f < 4 && lists[k].fields[f]; f++)
            if (!s_csv_has (records, 1, lists[k].fields[f]))
                FX_FAIL_AT (__LINE__, "export %s has no field '%s'", lists[k].list, lists[k].fields[f]);
        /* no field a spreadsheet would run */
        for (size_t row = 0; row < json_array_size (records); row++) {
            size_t i;
            json_t *field;
            json_array_foreach (json_array_get (records, row), i, field) {
                const char *t = json_string_value (field);
                if (t[0] && strchr ("=+-@\t\r", t[0]))
                    FX_FAIL_AT (__LINE__, "export %s row %d field '%s' starts with a formula character",
                                lists[k].list, (int) row, t);
            }
        }
        json_decref (records);
        /* pages of one: the same file */
        int rows = 0;
        char *paged = s_export_paged (__LINE__, lists[k].list, "R-CSV", &rows);
        CHECK_INT (rows, lists[k].rows);
        CHECK (csv && paged && strcmp (paged, csv) == 0);
        free (paged);
        json_decref (r);
    }
    json_decref (p1);
    json_decref (p2);
}

/* ------------------------------------------------------------------ consumer crash */

/*  rectify.opened rows in rectify's outbox (one per item opened). */
static long long
s_opened_rows (void)
{
    return s_outbox_count ("rectify.opened");
}

/*  Rectify is down while problems are fed back in intake, with enough other events between
    them to need more than one batch of 200; it dies right after its first commit of intake's
    events (--fail-after-commit), and the next start goes on. Every problem gets exactly one
    item: rows counted in rectify's own database and items listed. */
static void
s_crash_scenario (void)
{
    int64_t intake_before = s_head (&intake);
    CHECK_INT (fx_stop (&rectify), 0);
    json_int_t problems[6];
    int n = 0;
    for (int group = 0; group < 3; group++) {
        for (int k = 0; k < 2; k++)
            problems[n++] = PETITION (k ? "U-A" : "U-B", "deadline", "批量反馈问题");
        for (int u = 0; group < 2 && u < 110; u++) {
            char unit[32];
            snprintf (unit, sizeof unit, "CR-%d-%d", group, u);
            DONE_I ("office", "unit.register", json_pack ("{s:s, s:s, s:s, s:s}", "id", unit, "name", "批量单位",
                                                          "level", "village", "parent", "U-B"));
        }
    }
    int64_t intake_head = s_head (&intake);
    CHECK (intake_head - intake_before > 200);
    /* the seq of each problem.fed_back */
    json_t *fed = s_events_of (&intake, intake_before, "problem.fed_back");
    CHECK_INT (json_array_size (fed), n);

    /* one commit and out; a start whose first commit was not intake's events (a tick's)
       is tried again, a few times */
    long long offset = 0;
    for (int tries = 0; tries < 5 && offset <= 0; tries++) {
        const char *fault[] = { "--fail-after-commit", "1", NULL };
        CHECK (fx_start (&rectify, fault) == 0);
        CHECK_INT (fx_wait (&rectify, 10000), 70);
        offset = fx_sql_int (&rectify, "SELECT coalesce ((SELECT seq FROM consumer_offsets WHERE source = 'intake'), 0)");
    }
    CHECK (offset > 0);
    CHECK (offset < intake_head);
    int committed = 0;
    size_t i;
    json_t *e;
    json_array_foreach (fed, i, e)
        committed += json_integer_value (json_object_get (e, "_seq")) <= offset;
    json_decref (fed);
    CHECK (committed >= 1 && committed < n);
    /* what was committed is exactly the items of the feedback up to the offset */
    CHECK_INT (s_opened_rows (), committed);

    CHECK (fx_start (&rectify, NULL) == 0);
    xc_client_destroy (&to_rectify);
    to_rectify = fx_client (&rectify, NULL);
    json_t *items[6];
    for (int k = 0; k < n; k++)
        items[k] = ITEM (problems[k]);
    int64_t deadline = xc_clock_mono_ms () + WAIT_MS;
    while (fx_sql_int (&rectify, "SELECT seq FROM consumer_offsets WHERE source = 'intake'") < intake_head
           && xc_clock_mono_ms () < deadline)
        usleep (50 * 1000);
    CHECK_INT (fx_sql_int (&rectify, "SELECT seq FROM consumer_offsets WHERE source = 'intake'"), intake_head);
    s_quiet ();
    CHECK_INT (s_opened_rows (), n);
    json_t *all = LIST_ALL ("office", json_object ());
    CHECK_INT (json_array_size (all), n);
    for (int k = 0; k < n; k++) {
        CHECK (s_find (all, items[k]) != NULL);
        for (int j = 0; j < k; j++)
            CHECK (!json_equal (items[j], items[k]));
    }
    json_decref (all);
    /* and a plain restart in the middle of nothing changes nothing */
    RESTART ();
    s_quiet ();
    CHECK_INT (s_opened_rows (), n);
    for (int k = 0; k < n; k++)
        json_decref (items[k]);
}

static void
test_consumer_crash_opens_each_item_once (void)
{
    s_in_fresh_deployment (NULL, s_crash_scenario);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    if (s_start_pair (NULL) != 0) {
        fprintf (stderr, "unable to start intake and rectify (logs in %s)\n", intake.dir);
        s_stop_pair ();
        return 1;
    }
    RUN (test_item_whole_life);
    RUN (test_forbidden_transitions);
    RUN (test_role_refusals);
    RUN (test_schema_and_rule_refusals);
    RUN (test_extend_rules);
    RUN (test_evaluation_scores_and_interviews);
    RUN (test_csv_export);
    RUN (test_list_filters_and_pages);
    RUN (test_scope_and_visibility);
    RUN (test_regimes_2017_2024_and_workdays);
    RUN (test_timers_once_across_restarts);
    RUN (test_timers_new_set_after_extension);
    RUN (test_revisits);
    RUN (test_long_term_milestones);
    RUN (test_interview_lowest_with_a_tie);
    RUN (test_stats_counted_by_hand);
    RUN (test_consumer_crash_opens_each_item_once);
    s_stop_pair ();
    HARNESS_END ();
}
