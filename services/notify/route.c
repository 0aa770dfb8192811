/*  route.c: events to deliveries. Every rule that matches an event names recipients through
    selectors; each (event, recipient, channel) becomes one delivery, made in the transaction
    that stores the source's offset (a unique key makes a second one impossible). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/text.h"
#include "services/notify/notify.h"

bool
notify_type_matches (const char *pattern, const char *type)
{
    size_t n = strlen (pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp (pattern, type, n - 1) == 0;
    return strcmp (pattern, type) == 0;
}

static bool
s_has (const json_t *list, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v)
        if (json_is_string (v) && value && strcmp (json_string_value (v), value) == 0)
            return true;
    return false;
}

/*  Whether a directory entry answers for the event's unit: entries without units answer for
    every event; "*" for every unit; others for theirs. */
static bool
s_answers_for (const json_t *entry, const char *unit)
{
    const json_t *units = json_object_get (entry, "units");
    return !units || s_has (units, "*") || s_has (units, unit);
}

/*  One alternative of a selector, for an event of district (NULL: the city's). role: among the
    owner's entries (a district's event never reaches the city by role: the city hears of it by
    city:role:, which is among the city's entries whoever owns the event). */
static void
s_resolve (const notify_t *notify, const char *what, const json_t *data, const char *district, json_t *out)
{
    const char *unit = json_string_value (json_object_get (data, "unit"));
    const char *id;
    json_t *entry;
    json_object_foreach ((json_t *) notify->directory, id, entry) {
        bool named = false;
        if (strncmp (what, "role:", 5) == 0)
            named = notify_entry_of (entry, district) && s_has (json_object_get (entry, "roles"), what + 5)
                    && s_answers_for (entry, unit);
        else if (strncmp (what, "city:role:", 10) == 0)
            named = notify_entry_of (entry, NULL) && s_has (json_object_get (entry, "roles"), what + 10)
                    && s_answers_for (entry, unit);
        else if (strcmp (what, "owners") == 0 || strcmp (what, "lead_leaders") == 0)
            /* people of that very unit, named in the plan's responsibility list */
            named = unit && s_has (json_object_get (entry, "units"), unit)
                    && s_has (json_object_get (data, what), json_string_value (json_object_get (entry, "name")));
        else if (strcmp (what, "target") == 0) {
            const char *principal = json_string_value (json_object_get (entry, "principal"));
            const char *target = json_string_value (json_object_get (data, "target"));
            named = principal && target && strcmp (principal, target) == 0;
        }
        if (named)
            json_array_append_new (out, json_string (id));
    }
}

json_t *
notify_recipients (const notify_t *notify, const char *selector, const json_t *data, const char *district)
{
    json_t *out = json_array ();
    char copy[256];
    snprintf (copy, sizeof copy, "%s", selector);
    /* a|b: b only when a names nobody */
    for (char *save = NULL, *alt = strtok_r (copy, "|", &save); alt && json_array_size (out) == 0;
         alt = strtok_r (NULL, "|", &save))
        s_resolve (notify, alt, data, district, out);
    return out;
}

/*  Whether every member named in when has one of its values in data. */
static bool
s_when (const json_t *when, const json_t *data)
{
    const char *key;
    json_t *values;
    json_object_foreach ((json_t *) when, key, values) {
        const json_t *have = json_object_get (data, key);
        bool found = false;
        size_t i;
        json_t *v;
        json_array_foreach (values, i, v)
            if ((json_is_string (v) && json_is_string (have) && strcmp (json_string_value (v), json_string_value (have)) == 0)
                || (json_is_integer (v) && json_is_integer (have) && json_integer_value (v) == json_integer_value (have)))
                found = true;
        if (!found)
            return false;
    }
    return true;
}

static bool
s_rule_matches (const json_t *rule, const char *type, const json_t *data)
{
    size_t i;
    json_t *pattern;
    json_array_foreach (json_object_get (rule, "events"), i, pattern)
        if (notify_type_matches (json_string_value (pattern), type))
            return s_when (json_object_get (rule, "when"), data);
    return false;
}

/*  The name of a unit or round (table "units" or "rounds") as intake last told it, else the id
    itself; NULL after failing the call. */
static json_t *
s_name (xc_call_t *call, const char *table, const char *id)
{
    if (!id)
        return json_string ("");
    sqlite3_stmt *stmt = xc_call_stmt (call, strcmp (table, "units") == 0 ? "SELECT name FROM units WHERE id = ?1"
                                                                          : "SELECT name FROM rounds WHERE id = ?1");
    if (!stmt)
        return NULL;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    json_t *name = sqlite3_step (stmt) == SQLITE_ROW ? xc_column_text (stmt, 0) : json_string (id);
    sqlite3_reset (stmt);
    return name;
}

/*  The names of a list of unit ids, as a text reads them: "青石镇、白沙镇". */
static json_t *
s_unit_names (xc_call_t *call, const json_t *ids)
{
    xc_buf_t b = { 0 };
    xc_buf_put (&b, "", 0);
    size_t i;
    json_t *id;
    json_array_foreach (ids, i, id) {
        json_t *name = s_name (call, "units", json_string_value (id));
        if (!name) {
            xc_buf_free (&b);
            return NULL;
        }
        if (i > 0)
            xc_buf_puts (&b, "、");
        xc_buf_puts (&b, json_string_value (name));
        json_decref (name);
    }
    json_t *out = b.failed ? NULL : json_string (b.data);
    xc_buf_free (&b);
    if (!out)
        xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    return out;
}

static const char *
s_text (const json_t *v)
{
    return json_is_string (v) ? json_string_value (v) : "";
}

/*  Sets extras' member to a name (taking it); false when the lookup failed the call. */
static bool
s_set (json_t *extras, const char *member, json_t *name)
{
    return name && json_object_set_new (extras, member, name) == 0;
}

/*  What every notice of an event may name besides its data, in words: the unit's and round's
    names (the event's round_name when it has one), the receiving body's directory name, and
    the units of a merger or split. NULL after failing the call. */
static json_t *
s_event_words (xc_call_t *call, const notify_t *notify, const json_t *data)
{
    json_t *extras = json_object ();
    const json_t *round = json_object_get (data, "round");
    const json_t *round_name = json_object_get (data, "round_name");
    const char *target = json_string_value (json_object_get (data, "target"));
    const char *target_name = target ? target : "";
    const char *id;
    json_t *entry;
    json_object_foreach ((json_t *) notify->directory, id, entry) {
        const char *principal = json_string_value (json_object_get (entry, "principal"));
        if (target && principal && strcmp (principal, target) == 0)
            target_name = json_string_value (json_object_get (entry, "name"));
    }
    const json_t *into = json_object_get (data, "into");
    bool ok = s_set (extras, "unit_name", s_name (call, "units", json_string_value (json_object_get (data, "unit"))))
              && s_set (extras, "round_name", json_is_string (round_name) ? json_incref ((json_t *) round_name)
                                              : json_is_object (round) ? json_string (s_text (json_object_get (round, "name")))
                                              : s_name (call, "rounds", json_string_value (round)))
              && s_set (extras, "target_name", json_string (target_name));
    if (ok && json_is_array (json_object_get (data, "from")))
        ok = s_set (extras, "from_names", s_unit_names (call, json_object_get (data, "from")));
    if (ok && json_is_string (into))
        ok = s_set (extras, "into_name", s_name (call, "units", json_string_value (into)));
    if (ok && json_is_array (into))
        ok = s_set (extras, "into_names", s_unit_names (call, into));
    if (ok && json_is_string (json_object_get (data, "successor")))
        ok = s_set (extras, "successor_name",
                    s_name (call, "units", json_string_value (json_object_get (data, "successor"))));
    if (!ok) {
        json_decref (extras);
        return NULL;
    }
    return extras;
}

/*  Makes the delivery of (event, recipient, channel) unless it exists. */
static int
s_deliver (xc_call_t *call, notify_t *notify, const char *source, const xc_event_t *event, const json_t *rule,
           const char *recipient, const json_t *entry, const char *channel, json_t *extras)
{
    const json_t *data = event->msg->data;
    json_object_set_new (extras, "recipient", json_string (json_string_value (json_object_get (entry, "name"))));
    char *subject = NULL, *text = NULL, *data_text = json_dumps (data, JSON_COMPACT);
    if (notify_compose (notify, event->type, data, extras, &subject, &text) != 0 || !data_text) {
        free (subject);
        free (text);
        free (data_text);
        return xc_call_fail (call, XC_E_INTERNAL, "out of memory");
    }
    const json_t *channels = json_object_get (entry, "channels");
    const char *address = strcmp (channel, "email") == 0 ? json_string_value (json_object_get (channels, "email"))
                        : strcmp (channel, "webhook") == 0 ? json_string_value (json_object_get (channels, "webhook"))
                        : NULL;
    const json_t *resend = json_object_get (rule, "resend");
    bool stream = strcmp (channel, "stream") == 0;
    bool held = strcmp (channel, "email") == 0 && json_object_get (entry, "digest");
    int64_t now = xc_clock_wall_ms ();
    sqlite3_stmt *stmt = xc_call_stmt (call,
        "INSERT OR IGNORE INTO deliveries (source, seq, event_id, type, event_iat, recipient, principal, channel,"
        " address, rule, subject, text, data, state, next_try_ms, created_ms, sent_ms, stream_seq,"
        " resend_after_ms, resend_left)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
        " CASE WHEN ?8 = 'stream' THEN ?16 END,"
        " CASE WHEN ?8 = 'stream' THEN (SELECT coalesce (max (stream_seq), 0) + 1 FROM deliveries) END, ?17, ?18)");
    int rc = -1;
    if (!stmt)
        goto done;
    int64_t after_ms = stream && resend ? json_integer_value (json_object_get (resend, "after_seconds")) * 1000 : 0;
    sqlite3_bind_text (stmt, 1, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 2, event->seq);
    sqlite3_bind_text (stmt, 3, event->msg->id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, event->type, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 5, event->msg->iat);
    sqlite3_bind_text (stmt, 6, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 7, json_string_value (json_object_get (entry, "principal")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 8, channel, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 9, address, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 10, json_string_value (json_object_get (rule, "id")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 11, subject, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 12, text, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 13, data_text, -1, SQLITE_STATIC);
    /* a stream notice is there to be read at once; a digest's email waits for the digest */
    sqlite3_bind_text (stmt, 14, stream ? "sent" : held ? "held" : "pending", -1, SQLITE_STATIC);
    /* next_try_ms: when to try a pending one, when to offer an unread stream notice again */
    /* a stream notice's offer again is a business timer on the domain clock, like deadlines */
    if (stream ? after_ms > 0 : !held)
        sqlite3_bind_int64 (stmt, 15, stream ? xc_call_now (call) * 1000 + after_ms : now);
    sqlite3_bind_int64 (stmt, 16, now);
    sqlite3_bind_int64 (stmt, 17, after_ms);
    sqlite3_bind_int64 (stmt, 18, after_ms ? json_integer_value (json_object_get (resend, "times")) : 0);
    rc = xc_call_exec (call, stmt, "unable to make a delivery");
    if (rc == 0 && sqlite3_changes (xc_call_db (call)) == 1 && !stream && !held)
        notify->wake = true;
done:
    free (subject);
    free (text);
    free (data_text);
    return rc;
}

static int
s_unit_registered (xc_call_t *call, const json_t *data)
{
    const json_t *unit = json_object_get (data, "unit");
    const char *id = json_string_value (json_object_get (unit, "id"));
    const char *name = json_string_value (json_object_get (unit, "name"));
    if (!id || !name)
        return 0;                    /* nothing to name: the texts use the id */
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR REPLACE INTO units (id, name, level) VALUES (?1, ?2, ?3)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (unit, "level")), -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a unit");
}

/*  A round's name, for the texts, and its owner, for the events that name only the round
    (intake's round.opened: owner {level, district, organ}). */
static int
s_round_opened (xc_call_t *call, const json_t *data)
{
    const json_t *round = json_object_get (data, "round");
    const char *id = json_string_value (json_object_get (round, "id"));
    const char *name = json_string_value (json_object_get (round, "name"));
    if (!id || !name)
        return 0;                    /* nothing to name: the texts use the id */
    const json_t *owner = json_object_get (round, "owner");
    const char *level = json_string_value (json_object_get (owner, "level"));
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT OR REPLACE INTO rounds (id, name, district, organ)"
                                             " VALUES (?1, ?2, ?3, ?4)");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    if (level && strcmp (level, "district") == 0)
        sqlite3_bind_text (stmt, 3, json_string_value (json_object_get (owner, "district")), -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 4, json_string_value (json_object_get (owner, "organ")), -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to record a round");
}

/*  A unit's new name (intake's unit.renamed): later notices use it. */
static int
s_unit_renamed (xc_call_t *call, const json_t *data)
{
    const char *id = json_string_value (json_object_get (data, "unit"));
    const char *name = json_string_value (json_object_get (data, "name"));
    if (!id || !name)
        return 0;
    sqlite3_stmt *stmt = xc_call_stmt (call, "INSERT INTO units (id, name) VALUES (?1, ?2)"
                                             " ON CONFLICT (id) DO UPDATE SET name = excluded.name");
    if (!stmt)
        return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, name, -1, SQLITE_STATIC);
    return xc_call_exec (call, stmt, "unable to rename a unit");
}

int
notify_apply (xc_call_t *call, const char *source, const xc_event_t *event, void *state)
{
    notify_t *notify = state;
    /* redacted for notify: it may not read it, so nobody is told of it by notify */
    if (!event->msg || !json_is_object (event->msg->data))
        return 0;
    const json_t *data = event->msg->data;
    bool intake = strcmp (source, "intake") == 0;
    if ((intake && strcmp (event->type, "unit.registered") == 0 && s_unit_registered (call, data) != 0)
        || (intake && strcmp (event->type, "unit.renamed") == 0 && s_unit_renamed (call, data) != 0)
        || (intake && strcmp (event->type, "round.opened") == 0 && s_round_opened (call, data) != 0))
        return -1;
    /* looked up once an event, for every notice it makes */
    char *district = NULL;
    json_t *organ = NULL;
    if (notify_event_owner (call, notify, data, &district, &organ) != 0)
        return -1;
    json_t *words = s_event_words (call, notify, data);
    if (!words || json_object_set (words, "organ", organ) != 0) {
        free (district);
        json_decref (organ);
        json_decref (words);
        return -1;
    }
    json_decref (organ);
    size_t i;
    json_t *rule;
    json_array_foreach (notify->rules, i, rule) {
        if (!s_rule_matches (rule, event->type, data))
            continue;
        size_t k;
        json_t *selector;
        json_array_foreach (json_object_get (rule, "to"), k, selector) {
            json_t *recipients = notify_recipients (notify, json_string_value (selector), data, district);
            size_t r;
            json_t *id;
            json_array_foreach (recipients, r, id) {
                const json_t *entry = json_object_get (notify->directory, json_string_value (id));
                const json_t *wanted = json_object_get (rule, "channels");
                const char *const channels[] = { "stream", "webhook", "email" };
                for (int c = 0; c < 3; c++) {
                    const json_t *has = json_object_get (json_object_get (entry, "channels"), channels[c]);
                    if (!has || json_is_false (has) || (wanted && !s_has (wanted, channels[c])))
                        continue;
                    const char *rule_id = json_string_value (json_object_get (rule, "id"));
                    const char *rule_name = json_string_value (json_object_get (rule, "name"));
                    json_t *extras = json_pack ("{s:s, s:I, s:s, s:s, s:s}", "source", source,
                        "seq", (json_int_t) event->seq, "type", event->type, "rule", rule_id,
                        "rule_name", rule_name ? rule_name : rule_id);
                    json_object_update (extras, words);
                    int rc = s_deliver (call, notify, source, event, rule, json_string_value (id), entry,
                                        channels[c], extras);
                    json_decref (extras);
                    if (rc != 0) {
                        json_decref (recipients);
                        json_decref (words);
                        free (district);
                        return -1;
                    }
                }
            }
            json_decref (recipients);
        }
    }
    json_decref (words);
    free (district);
    return 0;
}
