/*  record.c: what every part of an item's life records: its history and the events about its
    unit. items.c, deadlines.c and evaluation.c call here; nothing here calls them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"
#include "services/rectify/rectify.h"

int
rectify_history (xc_call_t *call, json_int_t item, const char *action, json_t *data, const char *occurred_on)
{
    char *text = data ? json_dumps (data, JSON_COMPACT) : NULL;
    json_decref (data);
    const xc_msg_t *msg = xc_call_msg (call);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT INTO item_history (item, n, action, by, at, data, occurred_on, from_history) VALUES (?1,"
        " (SELECT coalesce (max (n), 0) + 1 FROM item_history WHERE item = ?1), ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!stmt || !text) {
        free (text);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_int64 (stmt, 1, item);
    sqlite3_bind_text (stmt, 2, action, -1, SQLITE_STATIC);
    /* an item opened from intake's event has no sender of its own */
    sqlite3_bind_text (stmt, 3, msg ? msg->iss : "intake", -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 4, xc_call_now (call));
    sqlite3_bind_text (stmt, 5, text, -1, SQLITE_TRANSIENT);
    free (text);
    char today[XC_DATE_LEN + 1];
    xc_date_format (xc_call_today (call), today);
    sqlite3_bind_text (stmt, 6, occurred_on ? occurred_on : today, -1, SQLITE_TRANSIENT);
    /* a command that gave occurred_on records a fact from history (paper, spreadsheets) */
    sqlite3_bind_int (stmt, 7, msg && json_object_get (msg->data, "occurred_on") != NULL);
    return xc_call_exec (call, stmt, "unable to record the history");
}

/* the alerts notify routes to the owner's office (docs/security.md): they carry round_owner */
static const char *const s_alerts[] = { "rectify.warning", "rectify.overdue", "rectify.escalated", "revisit.due",
                                        "interview.recommended", "interview.held", NULL };

int
rectify_emit (xc_call_t *call, const char *type, const char *unit, const char *key, json_t *data)
{
    /* the round too, when the event has one: district offices read the events of their rounds */
    const char *round = json_string_value (json_object_get (data, "round"));
    char visibility[XC_NAME_MAX * 2 + 16];
    rectify_visibility (unit, visibility, sizeof visibility);
    if (round && *round)
        snprintf (visibility + strlen (visibility), sizeof visibility - strlen (visibility), " round:%s", round);
    for (int i = 0; s_alerts[i]; i++)
        if (strcmp (type, s_alerts[i]) == 0) {
            char owner[RECTIFY_ID];
            if (rectify_round_owner (call, round, owner) != 0) {
                json_decref (data);
                return -1;
            }
            json_object_set_new (data, "round_owner", json_string (owner));
        }
    /* an item's events are kept by outbox id: rectify.get gives their seq and hash (the sources
       a formal document names, documents.c) */
    if (!data)
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    int rc = xc_call_emit_filed (call, type, visibility, key, data,
                                 "INSERT OR IGNORE INTO item_events (item, event_id) VALUES (?1, ?2)",
                                 json_integer_value (json_object_get (data, "item")));
    json_decref (data);
    return rc;
}
