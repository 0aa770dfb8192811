/*  deliver.c: the tick that sends. Webhook and email transfers run in libcurl's multi
    interface inside the service's single thread: a tick starts the deliveries that are due,
    lets the transfers progress without blocking, and commits what finished (the try, and the
    delivery's new state: sent, retrying with a backoff, or dead). While transfers are in flight
    the service asks for a tick every few milliseconds (notify_tick_within). The tick also sends
    each day's digests and offers unread stream notices again.
*/
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/codec.h"
#include "common/log.h"
#include "services/notify/notify.h"

struct notify_transfer {
    int64_t delivery;
    bool digest;
    CURL *easy;
    struct curl_slist *headers, *rcpt;
    char *body;
    size_t len, off;
    char error[CURL_ERROR_SIZE];
    notify_transfer_t *next;
};

static void
s_transfer_free (notify_t *notify, notify_transfer_t *t)
{
    curl_multi_remove_handle (notify->multi, t->easy);
    curl_easy_cleanup (t->easy);
    curl_slist_free_all (t->headers);
    curl_slist_free_all (t->rcpt);
    free (t->body);
    free (t);
}

void
notify_deliver_end (notify_t *notify)
{
    while (notify->transfers) {
        notify_transfer_t *t = notify->transfers;
        notify->transfers = t->next;
        s_transfer_free (notify, t);
    }
    if (notify->multi)
        curl_multi_cleanup (notify->multi);
    notify->multi = NULL;
}

int
notify_tick_within (void *state)
{
    const notify_t *notify = state;
    return notify->wake ? 0 : notify->in_flight > 0 ? 5 : -1;
}

/* ------------------------------------------------------------------ the notice */

json_t *
notify_notice (xc_call_t *call, int64_t id)
{
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT recipient, channel, rule, source, seq, event_id, type, subject, text, data, stream_seq, resent"
        " FROM deliveries WHERE id = ?1");
    if (!stmt)
        return NULL;
    sqlite3_bind_int64 (stmt, 1, id);
    json_t *notice = NULL;
    if (sqlite3_step (stmt) == SQLITE_ROW) {
        json_t *data = json_loads ((const char *) sqlite3_column_text (stmt, 9), 0, NULL);
        notice = json_pack ("{s:I, s:o, s:o, s:o, s:{s:o, s:I, s:o, s:o}, s:o, s:o, s:o}",
                            "delivery", (json_int_t) id, "recipient", xc_column_text (stmt, 0),
                            "channel", xc_column_text (stmt, 1), "rule", xc_column_text (stmt, 2),
                            "event", "source", xc_column_text (stmt, 3), "seq",
                            (json_int_t) sqlite3_column_int64 (stmt, 4), "id", xc_column_text (stmt, 5),
                            "type", xc_column_text (stmt, 6), "subject", xc_column_text (stmt, 7),
                            "text", xc_column_text (stmt, 8), "data", data ? data : json_object ());
        if (notice && sqlite3_column_type (stmt, 10) != SQLITE_NULL) {
            json_object_set_new (notice, "stream_seq", json_integer (sqlite3_column_int64 (stmt, 10)));
            json_object_set_new (notice, "resent", json_integer (sqlite3_column_int64 (stmt, 11)));
        }
    }
    sqlite3_reset (stmt);
    return notice;
}

/*  A stable id for what goes out for (event, recipient, channel): the same on every try, so a
    receiver can drop a copy. */
static void
s_stable_key (const char *event_id, const char *recipient, const char *channel, char *out, size_t size)
{
    snprintf (out, size, "notice:%s:%s:%s", event_id, recipient, channel);
}

/* ------------------------------------------------------------------ building transfers */

static size_t
s_discard (char *ptr, size_t size, size_t n, void *user)
{
    (void) ptr;
    (void) user;
    return size * n;
}

static size_t
s_read (char *buffer, size_t size, size_t n, void *user)
{
    notify_transfer_t *t = user;
    size_t room = size * n, left = t->len - t->off;
    size_t take = left < room ? left : room;
    memcpy (buffer, t->body + t->off, take);
    t->off += take;
    return take;
}

/*  Base64 of bytes, in lines of 76 (RFC 2045). Caller frees. */
static char *
s_base64_lines (const char *bytes, size_t len)
{
    size_t b64_len = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc (b64_len);
    char *out = malloc (b64_len + b64_len / 76 * 2 + 3);
    if (!b64 || !out) {
        free (b64);
        free (out);
        return NULL;
    }
    sodium_bin2base64 (b64, b64_len, (const unsigned char *) bytes, len, sodium_base64_VARIANT_ORIGINAL);
    size_t o = 0, n = strlen (b64);
    for (size_t i = 0; i < n; i += 76) {
        size_t take = n - i < 76 ? n - i : 76;
        memcpy (out + o, b64 + i, take);
        o += take;
        out[o++] = '\r';
        out[o++] = '\n';
    }
    out[o] = 0;
    free (b64);
    return out;
}

/*  An RFC 5322 message with a UTF-8 subject (RFC 2047) and a base64 UTF-8 text; its Message-ID
    comes from the stable key. Caller frees. */
static char *
s_email (const notify_t *notify, const char *to, const char *subject, const char *text, const char *key,
         size_t *len_p)
{
    unsigned char hash[32];
    crypto_hash_sha256 (hash, (const unsigned char *) key, strlen (key));
    char id[65];
    xc_hex_encode (hash, 16, id);
    size_t s_len = sodium_base64_ENCODED_LEN (strlen (subject), sodium_base64_VARIANT_ORIGINAL);
    char *s64 = malloc (s_len);
    char *body = s_base64_lines (text, strlen (text));
    char date[64];
    time_t now = (time_t) xc_clock_wall ();
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char *msg = NULL;
    if (s64 && body) {
        sodium_bin2base64 (s64, s_len, (const unsigned char *) subject, strlen (subject),
                           sodium_base64_VARIANT_ORIGINAL);
        size_t size = strlen (s64) + strlen (body) + strlen (to) + strlen (notify->from) + 512;
        msg = malloc (size);
        if (msg)
            *len_p = (size_t) snprintf (msg, size,
                "From: <%s>\r\nTo: <%s>\r\nSubject: =?UTF-8?B?%s?=\r\nDate: %s\r\n"
                "Message-ID: <%s@xuncha>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n%s",
                notify->from, to, s64, date, id, body);
    }
    free (s64);
    free (body);
    return msg;
}

/*  Starts the transfer of one due delivery (or digest). */
static int
s_start (xc_call_t *call, notify_t *notify, int64_t id, const char *channel, const char *address,
         const char *subject, const char *text, const char *event_id, const char *recipient, bool digest)
{
    notify_transfer_t *t = calloc (1, sizeof *t);
    if (!t || !(t->easy = curl_easy_init ())) {
        free (t);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    t->delivery = id;
    t->digest = digest;
    char key[400];
    s_stable_key (event_id, recipient, channel, key, sizeof key);
    CURL *e = t->easy;
    curl_easy_setopt (e, CURLOPT_PRIVATE, t);
    curl_easy_setopt (e, CURLOPT_ERRORBUFFER, t->error);
    curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (e, CURLOPT_TIMEOUT_MS, (long) notify->timeout_ms);
    curl_easy_setopt (e, CURLOPT_URL, strcmp (channel, "webhook") == 0 ? address : notify->smtp);
    if (strcmp (channel, "webhook") == 0) {
        json_t *notice = notify_notice (call, id);
        char msg_id[XC_UUID_LEN + 1], header[512];
        t->body = notice ? xc_call_seal (call, key, recipient, "notice", notice, &t->len, msg_id) : NULL;
        json_decref (notice);
        if (!t->body) {
            curl_easy_cleanup (e);
            free (t);
            return -1;
        }
        t->headers = curl_slist_append (t->headers, "Content-Type: application/jose+json");
        snprintf (header, sizeof header, "Idempotency-Key: %s", msg_id);
        t->headers = curl_slist_append (t->headers, header);
        curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt (e, CURLOPT_HTTPHEADER, t->headers);
        curl_easy_setopt (e, CURLOPT_POSTFIELDS, t->body);
        curl_easy_setopt (e, CURLOPT_POSTFIELDSIZE, (long) t->len);
        curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, s_discard);
    }
    else {
        char from[300], to[300];
        t->body = s_email (notify, address, subject, text, key, &t->len);
        if (!t->body) {
            curl_easy_cleanup (e);
            free (t);
            return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
        }
        snprintf (from, sizeof from, "<%s>", notify->from);
        snprintf (to, sizeof to, "<%s>", address);
        t->rcpt = curl_slist_append (NULL, to);
        curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt (e, CURLOPT_MAIL_FROM, from);
        curl_easy_setopt (e, CURLOPT_MAIL_RCPT, t->rcpt);
        curl_easy_setopt (e, CURLOPT_READFUNCTION, s_read);
        curl_easy_setopt (e, CURLOPT_READDATA, t);
        curl_easy_setopt (e, CURLOPT_UPLOAD, 1L);
    }
    curl_multi_add_handle (notify->multi, e);
    t->next = notify->transfers;
    notify->transfers = t;
    notify->in_flight++;
    return 0;
}

/*  Starts what is due: pending or retrying deliveries whose time has come, not in flight. */
static int
s_start_due (xc_call_t *call, notify_t *notify)
{
    int room = NOTIFY_IN_FLIGHT_MAX - notify->in_flight;
    if (room <= 0)
        return 0;
    json_t *flying = json_array ();
    for (notify_transfer_t *t = notify->transfers; t; t = t->next)
        json_array_append_new (flying, json_integer (t->delivery));
    char *flying_text = json_dumps (flying, JSON_COMPACT);
    json_decref (flying);
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id, channel, address, subject, text, event_id, recipient, source = 'digest' FROM deliveries"
        " WHERE state IN ('pending', 'retrying') AND next_try_ms <= ?1"
        " AND id NOT IN (SELECT value FROM json_each (?2)) ORDER BY next_try_ms LIMIT ?3");
    if (!stmt || !flying_text) {
        free (flying_text);
        return stmt ? xc_call_fail (call, XC_E_INTERNAL, "out of memory") : -1;
    }
    sqlite3_bind_int64 (stmt, 1, xc_clock_wall_ms ());
    sqlite3_bind_text (stmt, 2, flying_text, -1, SQLITE_STATIC);
    sqlite3_bind_int (stmt, 3, room);
    json_t *due = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (due, json_pack ("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
            "id", (json_int_t) sqlite3_column_int64 (stmt, 0), "channel", xc_column_text (stmt, 1),
            "address", xc_column_text (stmt, 2), "subject", xc_column_text (stmt, 3),
            "text", xc_column_text (stmt, 4), "event_id", xc_column_text (stmt, 5),
            "recipient", xc_column_text (stmt, 6), "digest", sqlite3_column_int (stmt, 7)));
    sqlite3_reset (stmt);
    free (flying_text);
    int rc = 0;
    size_t i;
    json_t *d;
    json_array_foreach (due, i, d) {
        const char *address = json_string_value (json_object_get (d, "address"));
        if (!address)                /* a channel without an address cannot be tried */
            continue;
        rc = s_start (call, notify, json_integer_value (json_object_get (d, "id")),
                      json_string_value (json_object_get (d, "channel")), address,
                      json_string_value (json_object_get (d, "subject")),
                      json_string_value (json_object_get (d, "text")),
                      json_string_value (json_object_get (d, "event_id")),
                      json_string_value (json_object_get (d, "recipient")),
                      json_is_true (json_object_get (d, "digest")));
        if (rc != 0)
            break;
    }
    json_decref (due);
    return rc;
}

/* ------------------------------------------------------------------ results */

/*  The wait before try n+1 after n failed: exponential, capped, with jitter in [0.5, 1.5). */
static int64_t
s_backoff (const notify_t *notify, int tries)
{
    double wait = notify->backoff_ms;
    for (int i = 1; i < tries && wait < notify->backoff_max_ms; i++)
        wait *= 2;
    if (wait > notify->backoff_max_ms)
        wait = notify->backoff_max_ms;
    return (int64_t) (wait * (0.5 + randombytes_uniform (1000) / 1000.0));
}

static int
s_exec_id (xc_call_t *call, const char *sql, int64_t id, int64_t now, const char *what)
{
    sqlite3_stmt *stmt = xc_call_stmt (call, sql);
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int64 (stmt, 2, now);
    return xc_call_exec (call, stmt, what);
}

/*  Records a finished try of delivery id and moves it on. */
static int
s_result (xc_call_t *call, notify_t *notify, int64_t id, bool digest, bool ok, const char *detail)
{
    int64_t now = xc_clock_wall_ms ();
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "UPDATE deliveries SET tries = tries + 1 WHERE id = ?1 AND state IN ('pending', 'retrying')"
        " RETURNING tries, recipient, channel, rule, source, seq, type");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, id);
    if (sqlite3_step (stmt) != SQLITE_ROW) {
        sqlite3_reset (stmt);
        return 0;                    /* moved on meanwhile: nothing to record */
    }
    int tries = sqlite3_column_int (stmt, 0);
    json_t *info = json_pack ("{s:I, s:o, s:o, s:o, s:{s:o, s:I, s:o}}", "delivery", (json_int_t) id,
                              "recipient", xc_column_text (stmt, 1), "channel", xc_column_text (stmt, 2),
                              "rule", xc_column_text (stmt, 3), "event", "source", xc_column_text (stmt, 4),
                              "seq", (json_int_t) sqlite3_column_int64 (stmt, 5), "type", xc_column_text (stmt, 6));
    while (sqlite3_step (stmt) == SQLITE_ROW)
        ;
    sqlite3_reset (stmt);
    stmt = xc_call_stmt (call, "INSERT INTO attempts (delivery, n, at_ms, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt) {
        json_decref (info);
        return -1;
    }
    sqlite3_bind_int64 (stmt, 1, id);
    sqlite3_bind_int (stmt, 2, tries);
    sqlite3_bind_int64 (stmt, 3, now);
    sqlite3_bind_int (stmt, 4, ok);
    sqlite3_bind_text (stmt, 5, detail, -1, SQLITE_STATIC);
    int rc = xc_call_exec (call, stmt, "unable to record a try");
    bool dead = !ok && tries >= notify->max_attempts;
    if (rc == 0 && ok)
        rc = s_exec_id (call, "UPDATE deliveries SET state = 'sent', sent_ms = ?2, next_try_ms = NULL WHERE id = ?1",
                        id, now, "unable to mark a delivery sent");
    else if (rc == 0 && dead)
        rc = s_exec_id (call, "UPDATE deliveries SET state = 'dead', next_try_ms = NULL WHERE id = ?1 AND ?2 = ?2",
                        id, now, "unable to dead-letter a delivery");
    else if (rc == 0)
        rc = s_exec_id (call, "UPDATE deliveries SET state = 'retrying', next_try_ms = ?2 WHERE id = ?1",
                        id, now + s_backoff (notify, tries), "unable to schedule a retry");
    /* a digest carries its held notices with it */
    if (rc == 0 && digest && (ok || dead))
        rc = s_exec_id (call, ok ? "UPDATE deliveries SET state = 'sent', sent_ms = ?2 WHERE digest = ?1 AND state = 'held'"
                                 : "UPDATE deliveries SET state = 'dead' WHERE digest = ?1 AND state = 'held' AND ?2 = ?2",
                        id, now, "unable to settle a digest's notices");
    if (rc == 0 && (ok || dead) && digest) {
        /* a digest's event names the notices it carried */
        json_t *carried = json_array ();
        stmt = xc_call_stmt (call, "SELECT id FROM deliveries WHERE digest = ?1 ORDER BY id");
        if (!stmt)
            rc = -1;
        else {
            sqlite3_bind_int64 (stmt, 1, id);
            while (sqlite3_step (stmt) == SQLITE_ROW)
                json_array_append_new (carried, json_integer (sqlite3_column_int64 (stmt, 0)));
            sqlite3_reset (stmt);
        }
        json_t *data = json_pack ("{s:I, s:O, s:o}", "digest", (json_int_t) id, "recipient",
                                  json_object_get (info, "recipient"), "deliveries", carried);
        if (dead)
            json_object_set_new (data, "tries", json_integer (tries));
        if (rc == 0)
            rc = xc_call_emit_new (call, ok ? "digest.sent" : "digest.dead", "office", NULL, data);
        else
            json_decref (data);
    }
    else if (rc == 0 && (ok || dead)) {
        if (dead)
            json_object_set_new (info, "tries", json_integer (tries));
        rc = xc_call_emit_new (call, ok ? "notice.sent" : "notice.dead", "office", NULL, json_incref (info));
    }
    if (!ok)
        xc_warn (NULL, "delivery %lld try %d failed: %s%s", (long long) id, tries, detail,
                 dead ? " (dead-lettered)" : "");
    json_decref (info);
    return rc;
}

/*  Commits the transfers that finished. */
static int
s_harvest (xc_call_t *call, notify_t *notify)
{
    int running, left, rc = 0;
    curl_multi_perform (notify->multi, &running);
    CURLMsg *m;
    while ((m = curl_multi_info_read (notify->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        notify_transfer_t *t = NULL;
        curl_easy_getinfo (m->easy_handle, CURLINFO_PRIVATE, (char **) &t);
        long code = 0;
        curl_easy_getinfo (m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
        bool webhook = t->rcpt == NULL;
        bool ok = m->data.result == CURLE_OK && (!webhook || (code >= 200 && code < 300));
        char detail[CURL_ERROR_SIZE + 64];
        if (m->data.result != CURLE_OK && code)
            snprintf (detail, sizeof detail, "%s %ld: %s", webhook ? "HTTP" : "SMTP", code,
                      t->error[0] ? t->error : curl_easy_strerror (m->data.result));
        else if (m->data.result != CURLE_OK)
            snprintf (detail, sizeof detail, "%s", t->error[0] ? t->error : curl_easy_strerror (m->data.result));
        else
            snprintf (detail, sizeof detail, "%s %ld", webhook ? "HTTP" : "SMTP", code);
        if (rc == 0)
            rc = xc_call_begin (call);
        if (rc == 0)
            rc = s_result (call, notify, t->delivery, t->digest, ok, detail);
        /* unlink and free: a failed commit leaves the delivery due, so it is tried again */
        for (notify_transfer_t **p = &notify->transfers; *p; p = &(*p)->next)
            if (*p == t) {
                *p = t->next;
                break;
            }
        s_transfer_free (notify, t);
        notify->in_flight--;
    }
    return rc;
}

/* ------------------------------------------------------------------ digests, stream */

/*  Each recipient with a digest whose time of day has come gets today's digest of what is
    held for it, once. */
static int
s_digests (xc_call_t *call, notify_t *notify)
{
    int64_t now = xc_call_now (call);
    int offset = xc_call_config (call)->utc_offset;
    int minute = (int) (((now + offset) % 86400 + 86400) % 86400 / 60);
    xc_date_t today = xc_call_today (call);
    const char *id;
    json_t *entry;
    json_object_foreach ((json_t *) notify->directory, id, entry) {
        const char *at = json_string_value (json_object_get (json_object_get (entry, "digest"), "at"));
        const char *email = json_string_value (json_object_get (json_object_get (entry, "channels"), "email"));
        if (!at || !email || minute < atoi (at) * 60 + atoi (at + 3))
            continue;
        sqlite3_stmt *stmt = xc_call_stmt (call,
            "SELECT count(*), group_concat ('· ' || subject, char (10)) FROM"
            " (SELECT subject FROM deliveries WHERE recipient = ?1 AND state = 'held' AND digest IS NULL ORDER BY id)");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        long long n = 0;
        char *list = NULL;
        if (sqlite3_step (stmt) == SQLITE_ROW) {
            n = sqlite3_column_int64 (stmt, 0);
            list = n ? strdup ((const char *) sqlite3_column_text (stmt, 1)) : NULL;
        }
        sqlite3_reset (stmt);
        if (!n)
            continue;
        char day[XC_DATE_LEN + 1], event_id[160], subject[128];
        xc_date_format (today, day);
        snprintf (event_id, sizeof event_id, "digest:%s:%s", id, day);
        snprintf (subject, sizeof subject, "【巡察待办汇总】%s %lld项", day, n);
        json_t *values = json_pack ("{s:s, s:s, s:I}", "recipient", json_string_value (json_object_get (entry, "name")),
                                    "day", day, "n", (json_int_t) n);
        json_object_set_new (values, "list", json_string (list ? list : ""));
        free (list);
        char *text = notify_render ("{recipient}：\n{day}待办通知共{n}项：\n{list}\n\n——\n此为每日汇总，逐项详情见各通知。", values);
        json_decref (values);
        int64_t ms = xc_clock_wall_ms ();
        stmt = text ? xc_call_stmt (call,
            "INSERT OR IGNORE INTO deliveries (source, seq, event_id, type, event_iat, recipient, channel, address,"
            " rule, subject, text, data, state, next_try_ms, created_ms)"
            " VALUES ('digest', ?1, ?2, 'digest', ?3, ?4, 'email', ?5, 'digest', ?6, ?7, '{}', 'pending', ?8, ?8)")
                    : NULL;
        int rc = stmt ? 0 : -1;
        if (stmt) {
            sqlite3_bind_int64 (stmt, 1, today);
            sqlite3_bind_text (stmt, 2, event_id, -1, SQLITE_STATIC);
            sqlite3_bind_int64 (stmt, 3, now);
            sqlite3_bind_text (stmt, 4, id, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 5, email, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 6, subject, -1, SQLITE_STATIC);
            sqlite3_bind_text (stmt, 7, text, -1, SQLITE_STATIC);
            sqlite3_bind_int64 (stmt, 8, ms);
            rc = xc_call_begin (call);
            if (rc == 0)
                rc = xc_call_exec (call, stmt, "unable to make a digest");
        }
        free (text);
        if (rc != 0)
            return -1;
        if (sqlite3_changes (xc_call_db (call)) == 0)
            continue;                /* today's digest went out already: the rest waits a day */
        int64_t digest = sqlite3_last_insert_rowid (xc_call_db (call));
        stmt = xc_call_stmt (call, "UPDATE deliveries SET digest = ?2 WHERE recipient = ?1 AND state = 'held'"
                                   " AND digest IS NULL");
        if (!stmt)
            return -1;
        sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (stmt, 2, digest);
        if (xc_call_exec (call, stmt, "unable to gather a digest") != 0)
            return -1;
        notify->wake = true;
    }
    return 0;
}

/*  Stream notices left unread past their rule's resend time are offered again. */
static int
s_resend (xc_call_t *call)
{
    int64_t now = xc_call_now (call) * 1000;     /* the domain clock: notify.md */
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "SELECT id FROM deliveries WHERE channel = 'stream' AND state = 'sent' AND next_try_ms <= ?1 LIMIT 500");
    if (!stmt)
        return -1;
    sqlite3_bind_int64 (stmt, 1, now);
    json_t *ids = json_array ();
    while (sqlite3_step (stmt) == SQLITE_ROW)
        json_array_append_new (ids, json_integer (sqlite3_column_int64 (stmt, 0)));
    sqlite3_reset (stmt);
    int rc = 0;
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id) {
        rc = xc_call_begin (call);
        if (rc == 0)
            rc = s_exec_id (call,
                "UPDATE deliveries SET stream_seq = (SELECT max (stream_seq) + 1 FROM deliveries),"
                " resent = resent + 1, resend_left = resend_left - 1,"
                " next_try_ms = CASE WHEN resend_left > 1 THEN ?2 + resend_after_ms END WHERE id = ?1",
                json_integer_value (id), now, "unable to offer a notice again");
        if (rc != 0)
            break;
    }
    json_decref (ids);
    return rc;
}

int
notify_tick (xc_call_t *call, void *state)
{
    notify_t *notify = state;
    notify->wake = false;
    if (!notify->multi && !(notify->multi = curl_multi_init ()))
        return xc_call_fail (call, XC_E_INTERNAL, "unable to start libcurl");
    int rc = s_harvest (call, notify);
    if (rc == 0)
        rc = s_digests (call, notify);
    if (rc == 0)
        rc = s_resend (call);
    if (rc == 0)
        rc = s_start_due (call, notify);
    int running;
    curl_multi_perform (notify->multi, &running);
    return rc;
}
