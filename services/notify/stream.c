/*  stream.c: department systems pull their own notices (notify.read) and acknowledge them
    (notify.ack). A reader is the directory entry whose principal is the sender. */
#include <string.h>

#include "common/clock.h"
#include "common/page.h"
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
    if (notify_reader (call, notify, NULL) != 0)
        return -1;
    const json_t *data = xc_call_msg (call)->data;
    json_int_t after = json_integer_value (json_object_get (data, "after"));
    int limit = xc_page_limit (data);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id FROM deliveries WHERE principal = ?1 AND channel = 'stream' AND stream_seq > ?2"
        " ORDER BY stream_seq LIMIT ?3");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, after);
    sqlite3_bind_int (stmt, 3, limit + 1);       /* one more: whether more wait */
    json_t *ids = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (ids, json_integer (sqlite3_column_int64 (stmt, 0)));
    sqlite3_reset (stmt);
    /* a page below the frame limit (common/page.h); a notice too large for one is a stand-in */
    static const char *const keep[] = { "delivery", "stream_seq", NULL };
    xc_page_t page;
    if (xc_page_init (&page, xc_call_config (call)->max_message_bytes, limit, keep) != 0) {
        json_decref (ids);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    int added = 1;
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id) {
        json_t *notice = notify_notice (call, json_integer_value (id));
        if (!notice) {
            json_decref (ids);
            xc_page_clear (&page);
            return xc_call_fail_db (call, "unable to read a notice");
        }
        added = xc_page_add (&page, notice);
        if (added != 1)
            break;
    }
    json_decref (ids);
    if (added < 0) {
        xc_page_clear (&page);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    json_t *notices = xc_page_take (&page);
    xc_page_clear (&page);
    size_t n = json_array_size (notices);
    json_int_t next = n ? json_integer_value (json_object_get (json_array_get (notices, n - 1), "stream_seq")) : after;
    xc_call_result (call, json_pack ("{s:o, s:I, s:b}", "notices", notices, "next", next, "more", added == 0));
    return 0;
}

/*  The first acknowledgement of a stream notice is its delivery: the recipient's system says it
    has the notice (a read proves nothing: a query changes nothing, and its reply can be lost).
    So the stream's notice.sent is made here, once per notice; an acknowledgement again
    changes nothing. */
static int
s_acknowledge (xc_call_t *call, int64_t id)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "UPDATE deliveries SET state = 'acknowledged', acked_ms = ?3, next_try_ms = NULL"
        " WHERE id = ?1 AND principal = ?2 AND channel = 'stream' AND state != 'acknowledged'"
        " RETURNING recipient, rule, source, seq, type");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, xc_call_iss (call), -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, xc_clock_wall_ms ());
    json_t *info = NULL;
    int rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
        info = json_pack ("{s:I, s:o, s:s, s:o, s:{s:o, s:I, s:o}}", "delivery", (json_int_t) id,
                          "recipient", xc_column_text (stmt, 0), "channel", "stream", "rule", xc_column_text (stmt, 1),
                          "event", "source", xc_column_text (stmt, 2), "seq", (json_int_t) sqlite3_column_int64 (stmt, 3),
                          "type", xc_column_text (stmt, 4));
    while (rc == SQLITE_ROW)
        rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE) {
        json_decref (info);
        return xc_call_fail_db (call, "unable to acknowledge");
    }
    if (info)
        return xc_call_emit_new (call, "notice.sent", "office", NULL, info);
    /* acknowledged before, or not this reader's: another's notice and an unknown one look the
       same, neither exists for this reader */
    stmt = xc_call_stmt (call, "SELECT 1 FROM deliveries WHERE id = ?1 AND principal = ?2 AND channel = 'stream'");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_text (stmt, 2, xc_call_iss (call), -1, SQLITE_STATIC);
    rc = sqlite3_step (stmt);
    sqlite3_reset (stmt);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return xc_call_fail_db (call, "unable to acknowledge");
    return xc_call_fail (call, XC_E_NOT_FOUND, "no stream notice %lld for '%s'", (long long) id, xc_call_iss (call));
}

int
notify_ack (xc_call_t *call, void *state)
{
    const notify_t *notify = state;
    if (notify_reader (call, notify, NULL) != 0)
        return -1;
    size_t i;
    json_t *id;
    json_int_t acknowledged = 0;
    json_array_foreach (json_object_get (xc_call_msg (call)->data, "deliveries"), i, id) {
        if (s_acknowledge (call, json_integer_value (id)) != 0)
            return -1;
        acknowledged++;
    }
    xc_call_result (call, json_pack ("{s:I}", "acknowledged", acknowledged));
    return 0;
}
