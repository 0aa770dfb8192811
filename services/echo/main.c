/*  xc-echo: the smallest real service on the common library.

    It exists so that everything in common/ is exercised end to end over real sockets, by the
    system tests and by the independent Python client: a signed command that changes state and
    emits an event, a query, a conflict that must roll back a command's partial effects.

    echo.note {text, remind_after}
                       command (roles office, petition): stores the note, emits echo.noted
                       {n, text}; a text already noted is a conflict (its event, appended
                       first, is rolled back with it). With remind_after (seconds), the timer
                       emits echo.reminded {n} once the service's clock passes that moment:
                       the deadline pattern of the real services, in miniature.
    echo.get {n}       query: the note n
    echo.followed {source}
                       query: how many events of source it has applied, and the last seq

    With policies.echo.follow naming other services, echo reads their events (consumer.h)
    and records each (source, seq, type) once: the smallest real consumer, for the tests of
    the consumer path through the service loop.
*/
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/service.h"

static const xc_migration_t s_migrations[] = {
    { "create notes",
      "CREATE TABLE notes (n INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE,"
      " iss TEXT NOT NULL, noted_at INTEGER NOT NULL);" },
    { "add reminders",
      "ALTER TABLE notes ADD COLUMN remind_at INTEGER;"
      "ALTER TABLE notes ADD COLUMN reminded INTEGER NOT NULL DEFAULT 0;"
      "CREATE INDEX notes_due ON notes (remind_at) WHERE reminded = 0 AND remind_at IS NOT NULL;" },
    { "create followed",
      "CREATE TABLE followed (source TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,"
      " redacted INTEGER NOT NULL, PRIMARY KEY (source, seq)) WITHOUT ROWID;" },
};

static const xc_field_t s_note_fields[] = {
    { .name = "text", .type = XC_T_STRING, .required = true, .min = 1, .max = 2000 },
    { .name = "remind_after", .type = XC_T_INTEGER, .min = 1, .max = 10 * 366 * 86400 },
    { .name = NULL },
};

static int
s_note (xc_call_t *call, void *state)
{
    (void) state;
    const xc_msg_t *msg = xc_call_msg (call);
    sqlite3 *db = xc_call_db (call);
    const char *text = json_string_value (json_object_get (msg->data, "text"));
    int64_t n;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (db, "SELECT coalesce (max (n), 0) + 1 FROM notes", -1, &stmt, NULL)
            != SQLITE_OK
        || sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_finalize (stmt);
        return xc_call_fail_db (call, "unable to number the note");
    }
    n = sqlite3_column_int64 (stmt, 0);
    sqlite3_finalize (stmt);

    /* The event goes first on purpose: when the insert below conflicts, the savepoint must
       take the event back too. */
    json_t *event = json_pack ("{s:I, s:s}", "n", (json_int_t) n, "text", text);
    int rc = xc_call_emit (call, "echo.noted", NULL, NULL, event);
    json_decref (event);
    if (rc != 0)
        return -1;

    if (sqlite3_prepare_v2 (db, "INSERT INTO notes (n, text, iss, noted_at, remind_at)"
                                " VALUES (?, ?, ?, ?, ?)", -1, &stmt, NULL) != SQLITE_OK)
        return xc_call_fail_db (call, "unable to store the note");
    json_t *remind_after = json_object_get (msg->data, "remind_after");
    sqlite3_bind_int64 (stmt, 1, n);
    sqlite3_bind_text (stmt, 2, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, msg->iss, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 4, xc_call_now (call));
    if (remind_after)
        sqlite3_bind_int64 (stmt, 5, xc_call_now (call) + json_integer_value (remind_after));
    rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    if (rc == SQLITE_CONSTRAINT)
        return xc_call_fail (call, XC_E_CONFLICT, "that text was noted before");
    if (rc != SQLITE_DONE)
        return xc_call_fail_db (call, "unable to store the note");
    xc_call_result (call, json_pack ("{s:I}", "n", (json_int_t) n));
    return 0;
}

static const xc_field_t s_get_fields[] = {
    { .name = "n", .type = XC_T_INTEGER, .required = true, .min = 1, .max = INT64_MAX },
    { .name = NULL },
};

static int
s_get (xc_call_t *call, void *state)
{
    (void) state;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (xc_call_db (call),
                            "SELECT text, iss, noted_at FROM notes WHERE n = ?", -1, &stmt, NULL)
        != SQLITE_OK)
        return xc_call_fail_db (call, "unable to read notes");
    json_int_t n = json_integer_value (json_object_get (xc_call_msg (call)->data, "n"));
    sqlite3_bind_int64 (stmt, 1, n);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        xc_call_result (call, json_pack ("{s:I, s:s, s:s, s:I}", "n", n, "text",
                                         (const char *) sqlite3_column_text (stmt, 0), "iss",
                                         (const char *) sqlite3_column_text (stmt, 1),
                                         "noted_at", (json_int_t) sqlite3_column_int64 (stmt, 2)));
    sqlite3_finalize (stmt);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return xc_call_fail (call, XC_E_NOT_FOUND, "no note %lld", (long long) n);
    return xc_call_fail_db (call, "unable to read notes");
}

/*  Every tick: the notes whose reminder has come, oldest first, each reminded once. The event
    key names the note and its moment, so even a second pass could not append it twice. */
static int
s_tick (xc_call_t *call, void *state)
{
    (void) state;
    sqlite3 *db = xc_call_db (call);
    sqlite3_stmt *due = NULL, *mark = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2 (db, "SELECT n, remind_at FROM notes WHERE reminded = 0 AND"
                                " remind_at IS NOT NULL AND remind_at <= ? ORDER BY remind_at"
                                " LIMIT 1000", -1, &due, NULL) != SQLITE_OK
        || sqlite3_prepare_v2 (db, "UPDATE notes SET reminded = 1 WHERE n = ?", -1, &mark, NULL)
               != SQLITE_OK) {
        rc = xc_call_fail_db (call, "unable to read reminders");
        goto cleanup;
    }
    sqlite3_bind_int64 (due, 1, xc_call_now (call));
    while (rc == 0 && sqlite3_step (due) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64 (due, 0), at = sqlite3_column_int64 (due, 1);
        char key[64];
        snprintf (key, sizeof key, "remind:%lld:%lld", (long long) n, (long long) at);
        json_t *event = json_pack ("{s:I}", "n", (json_int_t) n);
        rc = xc_call_begin (call);
        if (rc == 0)
            rc = xc_call_emit (call, "echo.reminded", NULL, key, event);
        json_decref (event);
        sqlite3_bind_int64 (mark, 1, n);
        if (rc == 0 && sqlite3_step (mark) != SQLITE_DONE)
            rc = xc_call_fail_db (call, "unable to mark a reminder");
        sqlite3_reset (mark);
    }
cleanup:
    sqlite3_finalize (due);
    sqlite3_finalize (mark);
    return rc;
}

/*  policies.echo: {"follow": ["intake", ...]} */
static const xc_field_t s_name = { .type = XC_T_STRING, .min = 1, .max = XC_NAME_MAX - 1 };
static const xc_field_t s_policy_fields[] = {
    { .name = "follow", .type = XC_T_ARRAY, .max = 4, .items = &s_name },
    { .name = NULL },
};
static char s_follow[5][XC_NAME_MAX];
static const char *s_sources[5];

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    (void) state;
    json_t *policy = xc_config_policy (xc_service_config (service), "echo", s_policy_fields, err);
    if (!policy)
        return -1;
    const json_t *follow = json_object_get (policy, "follow");
    for (size_t i = 0; i < json_array_size (follow); i++) {
        snprintf (s_follow[i], sizeof s_follow[i], "%s", json_string_value (json_array_get (follow, i)));
        s_sources[i] = s_follow[i];
    }
    json_decref (policy);
    return 0;
}

static int
s_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state)
{
    (void) state;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (xc_call_db (call), "INSERT INTO followed (source, seq, type, redacted)"
                            " VALUES (?, ?, ?, ?)", -1, &stmt, NULL) != SQLITE_OK)
        return xc_call_fail_db (call, "unable to record a followed event");
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, event->seq);
    sqlite3_bind_text (stmt, 3, event->type, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 4, event->msg == NULL);
    int rc = sqlite3_step (stmt);
    sqlite3_finalize (stmt);
    /* A second apply of one event breaks the primary key: loud, never silent. */
    return rc == SQLITE_DONE ? 0 : xc_call_fail_db (call, "unable to record a followed event");
}

static const xc_field_t s_followed_fields[] = {
    { .name = "source", .type = XC_T_STRING, .required = true, .min = 1, .max = XC_NAME_MAX - 1 },
    { .name = NULL },
};

static int
s_followed (xc_call_t *call, void *state)
{
    (void) state;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2 (xc_call_db (call), "SELECT count(*), coalesce (max (seq), 0) FROM"
                            " followed WHERE source = ?", -1, &stmt, NULL) != SQLITE_OK)
        return xc_call_fail_db (call, "unable to count followed events");
    sqlite3_bind_text (stmt, 1, json_string_value (json_object_get (xc_call_msg (call)->data, "source")),
                       -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        xc_call_result (call, json_pack ("{s:I, s:I}", "count", (json_int_t) sqlite3_column_int64 (stmt, 0),
                                         "last", (json_int_t) sqlite3_column_int64 (stmt, 1)));
    sqlite3_finalize (stmt);
    return rc == SQLITE_ROW ? 0 : xc_call_fail_db (call, "unable to count followed events");
}

static const char *const s_anyone[] = { "*", NULL };
static const char *const s_noters[] = { "office", "petition", NULL };

static const xc_route_t s_routes[] = {
    { "echo.note", XC_COMMAND, s_noters, s_note_fields, s_note },
    { "echo.get", XC_QUERY, s_anyone, s_get_fields, s_get },
    { "echo.followed", XC_QUERY, s_anyone, s_followed_fields, s_followed },
};

int
main (int argc, char **argv)
{
    const xc_service_def_t def = {
        .name = "echo",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = s_routes,
        .n_routes = sizeof s_routes / sizeof s_routes[0],
        .event_readers = s_anyone,
        .tick = s_tick,
        .start = s_start,
        .sources = s_sources,
        .apply = s_apply,
    };
    return xc_service_main (&def, argc, argv);
}
