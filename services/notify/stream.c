/*  stream.c: department systems pull their own notices (notify.read) and acknowledge them
    (notify.ack). A reader is the directory entry whose principal is the sender. */
#include <string.h>

#include "common/clock.h"
#include "services/notify/notify.h"

const char *
notify_recipient_of (const notify_t *notify, const char *iss)
{
    const char *id;
    json_t *entry;
    json_object_foreach ((json_t *) notify->directory, id, entry) {
        const char *principal = json_string_value (json_object_get (entry, "principal"));
        if (principal && strcmp (principal, iss) == 0)
            return id;
    }
    return NULL;
}

int
notify_read (xc_call_t *call, void *state)
{
    const notify_t *notify = state;
    if (!notify_recipient_of (notify, xc_call_iss (call)))
        return xc_call_fail (call, XC_E_FORBIDDEN, "'%s' has no stream: it is no principal of the directory",
                             xc_call_iss (call));
    const json_t *data = xc_call_msg (call)->data;
    json_int_t after = json_integer_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id, stream_seq FROM deliveries WHERE principal = ?1 AND channel = 'stream' AND stream_seq > ?2"
        " ORDER BY stream_seq LIMIT ?3");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, after);
    sqlite3_bind_int (stmt, 3, limit);
    json_t *ids = json_array ();
    json_int_t next = after;
    while (sqlite3_step (stmt) == SQLITE_ROW) {
        json_array_append_new (ids, json_integer (sqlite3_column_int64 (stmt, 0)));
        next = sqlite3_column_int64 (stmt, 1);
    }
    sqlite3_reset (stmt);
    json_t *notices = json_array ();
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id) {
        json_t *notice = notify_notice (call, json_integer_value (id));
        if (!notice) {
            json_decref (ids);
            json_decref (notices);
            return xc_call_fail_db (call, "unable to read a notice");
        }
        json_array_append_new (notices, notice);
    }
    json_decref (ids);
    xc_call_result (call, json_pack ("{s:o, s:I}", "notices", notices, "next", next));
    return 0;
}

int
notify_ack (xc_call_t *call, void *state)
{
    const notify_t *notify = state;
    if (!notify_recipient_of (notify, xc_call_iss (call)))
        return xc_call_fail (call, XC_E_FORBIDDEN, "'%s' has no stream: it is no principal of the directory",
                             xc_call_iss (call));
    size_t i;
    json_t *id;
    json_int_t acknowledged = 0;
    json_array_foreach (json_object_get (xc_call_msg (call)->data, "deliveries"), i, id) {
        sqlite3_stmt *stmt = xc_call_stmt (call,
            "UPDATE deliveries SET state = 'acknowledged', acked_ms = coalesce (acked_ms, ?3), next_try_ms = NULL"
            " WHERE id = ?1 AND principal = ?2 AND channel = 'stream'");
        if (!stmt)
            return -1;
        sqlite3_bind_int64 (stmt, 1, json_integer_value (id));
        sqlite3_bind_text (stmt, 2, xc_call_iss (call), -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 3, xc_clock_wall_ms ());
        if (xc_call_exec (call, stmt, "unable to acknowledge") != 0)
            return -1;
        /* another's notice and an unknown one look the same: neither exists for this reader */
        if (sqlite3_changes (xc_call_db (call)) != 1)
            return xc_call_fail (call, XC_E_NOT_FOUND, "no stream notice %lld for '%s'",
                                 (long long) json_integer_value (id), xc_call_iss (call));
        acknowledged++;
    }
    xc_call_result (call, json_pack ("{s:I}", "acknowledged", acknowledged));
    return 0;
}
