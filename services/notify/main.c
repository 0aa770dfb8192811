/*  xc-notify: event-driven notices to the right people over real channels, exactly once
    (docs/services/notify.md). */
#include <curl/curl.h>
#include <string.h>

#include "services/notify/notify.h"

static notify_t s_notify;

static const xc_migration_t s_migrations[] = {
    { "create deliveries",
      "CREATE TABLE units (id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT) WITHOUT ROWID;"
      "CREATE TABLE deliveries ("
      " id INTEGER PRIMARY KEY, source TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL,"
      " type TEXT NOT NULL, event_iat INTEGER NOT NULL, recipient TEXT NOT NULL, principal TEXT,"
      " channel TEXT NOT NULL, address TEXT, rule TEXT NOT NULL, subject TEXT NOT NULL, text TEXT NOT NULL,"
      " data TEXT NOT NULL, state TEXT NOT NULL, tries INTEGER NOT NULL DEFAULT 0, next_try_ms INTEGER,"
      " created_ms INTEGER NOT NULL, sent_ms INTEGER, acked_ms INTEGER, stream_seq INTEGER,"
      " resent INTEGER NOT NULL DEFAULT 0, resend_after_ms INTEGER NOT NULL DEFAULT 0,"
      " resend_left INTEGER NOT NULL DEFAULT 0, digest INTEGER,"
      " UNIQUE (source, seq, recipient, channel));"
      "CREATE INDEX deliveries_due ON deliveries (next_try_ms) WHERE state IN ('pending', 'retrying');"
      "CREATE INDEX deliveries_resend ON deliveries (next_try_ms) WHERE channel = 'stream' AND state = 'sent';"
      "CREATE INDEX deliveries_stream ON deliveries (principal, stream_seq) WHERE stream_seq IS NOT NULL;"
      "CREATE INDEX deliveries_stream_seq ON deliveries (stream_seq);"
      "CREATE INDEX deliveries_held ON deliveries (recipient, digest) WHERE state = 'held';"
      "CREATE INDEX deliveries_by_digest ON deliveries (digest) WHERE digest IS NOT NULL;"
      "CREATE TABLE attempts (delivery INTEGER NOT NULL REFERENCES deliveries (id), n INTEGER NOT NULL,"
      " at_ms INTEGER NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (delivery, n))"
      " WITHOUT ROWID;" },
    /* round names for the texts, from intake's round.opened */
    { "create rounds", "CREATE TABLE rounds (id TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;" },
    /* a round's owner (NULL: the city) and organ, for the events that name only their round */
    { "rounds' owners", "ALTER TABLE rounds ADD COLUMN district TEXT; ALTER TABLE rounds ADD COLUMN organ TEXT;" },
};

static const char *const s_office[] = { "office", NULL };

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    notify_t *notify = state;
    if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return xc_err_set (err, XC_E_INTERNAL, "unable to start libcurl");
    return notify_policy_load (notify, xc_service_config (service), err);
}

/*  Notify's own events (what was sent to whom) are the office's. */
static bool
s_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    (void) state;
    return strcmp (visibility, "office") != 0 || strcmp (reader->role, "office") == 0;
}

int
main (int argc, char **argv)
{
    size_t n_routes;
    const xc_route_t *routes = notify_routes (&n_routes);
    const xc_service_def_t def = {
        .name = "notify",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = routes,
        .n_routes = n_routes,
        .event_readers = s_office,
        .state = &s_notify,
        .start = s_start,
        .tick = notify_tick,
        .tick_within = notify_tick_within,
        .event_visible = s_event_visible,
        .sources = s_notify.sources,
        .apply = notify_apply,
    };
    int rc = xc_service_main (&def, argc, argv);
    notify_deliver_end (&s_notify);
    notify_policy_free (&s_notify);
    curl_global_cleanup ();
    return rc;
}
