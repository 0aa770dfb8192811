/*  xc-rectify: every unit's rectification from feedback to sign-off, with its deadlines,
    return visits and evaluation (docs/services/rectify.md). */
#include <string.h>

#include "common/files.h"
#include "services/rectify/rectify.h"

static rectify_t s_rectify;

static const xc_migration_t s_migrations[] = {
    { "create items",
      "CREATE TABLE units (id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT)"
      " WITHOUT ROWID;"
      "CREATE TABLE rounds (id TEXT PRIMARY KEY, name TEXT NOT NULL, regime TEXT) WITHOUT ROWID;"
      "CREATE TABLE round_targets (round TEXT NOT NULL, unit TEXT NOT NULL, PRIMARY KEY (round, unit))"
      " WITHOUT ROWID;"
      "CREATE TABLE items ("
      " id INTEGER PRIMARY KEY, problem INTEGER NOT NULL UNIQUE, round TEXT, unit TEXT NOT NULL,"
      " unit_level TEXT, category TEXT, summary TEXT, detail TEXT, severity TEXT, class TEXT NOT NULL,"
      " regime TEXT NOT NULL, state TEXT NOT NULL, opened_on TEXT NOT NULL, due TEXT, completion TEXT,"
      " claimed_on TEXT, closed_on TEXT);"
      "CREATE INDEX items_by_unit ON items (unit, id);"
      "CREATE INDEX items_by_round ON items (round, unit);"
      "CREATE TABLE measures ("
      " item INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL, text TEXT NOT NULL,"
      " owner TEXT NOT NULL, lead_leader TEXT NOT NULL, deadline TEXT NOT NULL, done_on TEXT,"
      " PRIMARY KEY (item, n)) WITHOUT ROWID;"
      "CREATE TABLE deadlines ("
      " id INTEGER PRIMARY KEY, item INTEGER NOT NULL REFERENCES items (id), what TEXT NOT NULL,"
      " measure INTEGER NOT NULL, start TEXT NOT NULL, policy TEXT NOT NULL, due TEXT NOT NULL,"
      " explain TEXT NOT NULL, running INTEGER NOT NULL, alert_next TEXT, extensions TEXT,"
      " UNIQUE (item, what, measure));"
      "CREATE INDEX deadlines_alerting ON deadlines (alert_next) WHERE alert_next IS NOT NULL;"
      "CREATE INDEX deadlines_running ON deadlines (item) WHERE running;"
      "CREATE TABLE alerts (deadline INTEGER NOT NULL REFERENCES deadlines (id), due TEXT NOT NULL,"
      " alert TEXT NOT NULL, PRIMARY KEY (deadline, due, alert)) WITHOUT ROWID;"
      "CREATE TABLE claims ("
      " item INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL, completion TEXT NOT NULL,"
      " evidence TEXT NOT NULL, institutional_measures INTEGER NOT NULL,"
      " money_recovered_fen INTEGER NOT NULL, money_written_off_fen INTEGER NOT NULL,"
      " public_concern_resolved INTEGER NOT NULL, note TEXT, claimed_on TEXT NOT NULL,"
      " decision TEXT, reason TEXT, reviewed_on TEXT, PRIMARY KEY (item, n)) WITHOUT ROWID;"
      "CREATE TABLE item_history ("
      " item INTEGER NOT NULL REFERENCES items (id), n INTEGER NOT NULL, action TEXT NOT NULL,"
      " by TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (item, n)) WITHOUT ROWID;"
      "CREATE TABLE visits ("
      " round TEXT NOT NULL, unit TEXT NOT NULL, feedback_on TEXT NOT NULL, due TEXT NOT NULL,"
      " explain TEXT NOT NULL, alert_next TEXT, recorded_on TEXT, kinds TEXT, note TEXT, recorded_by TEXT,"
      " PRIMARY KEY (round, unit)) WITHOUT ROWID;"
      "CREATE INDEX visits_alerting ON visits (alert_next) WHERE alert_next IS NOT NULL;"
      "CREATE TABLE evaluations ("
      " round TEXT NOT NULL, unit TEXT NOT NULL, leadership INTEGER NOT NULL,"
      " responsibility INTEGER NOT NULL, task_completion INTEGER NOT NULL, satisfaction INTEGER NOT NULL,"
      " score_centi INTEGER NOT NULL, grade TEXT NOT NULL, principal_leader TEXT NOT NULL, note TEXT,"
      " evaluated_on TEXT NOT NULL, evaluated_by TEXT NOT NULL, PRIMARY KEY (round, unit)) WITHOUT ROWID;"
      "CREATE TABLE interviews (round TEXT NOT NULL, unit TEXT NOT NULL, reason TEXT NOT NULL,"
      " PRIMARY KEY (round, unit)) WITHOUT ROWID;" },
    /* issue 19: dated history, rounds' owners and kinds, category paths, units' names and
       successors, interviews held */
    { "history, owners, categories, successors, interviews held",
      "ALTER TABLE items ADD COLUMN category_path TEXT;"       /* JSON array of ids from the root */
      "ALTER TABLE items ADD COLUMN category_name TEXT;"       /* names from the root, joined by › */
      "ALTER TABLE items ADD COLUMN applied_on TEXT;"          /* the day rectify opened it */
      "ALTER TABLE items ADD COLUMN quiet_until TEXT;"         /* loaded from history: no alerts before */
      "UPDATE items SET applied_on = opened_on;"
      "CREATE INDEX items_by_opened ON items (opened_on);"
      "ALTER TABLE claims ADD COLUMN due_then TEXT;"           /* the item's due date when it was made */
      "UPDATE claims SET due_then = (SELECT due FROM items WHERE id = claims.item);"
      "ALTER TABLE item_history ADD COLUMN occurred_on TEXT;"
      "ALTER TABLE item_history ADD COLUMN from_history INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE rounds ADD COLUMN kind TEXT;"
      "ALTER TABLE rounds ADD COLUMN modes TEXT;"              /* JSON array */
      "ALTER TABLE rounds ADD COLUMN owner_level TEXT;"        /* city | district */
      "ALTER TABLE rounds ADD COLUMN owner_district TEXT;"
      "ALTER TABLE rounds ADD COLUMN organ TEXT;"
      "ALTER TABLE rounds ADD COLUMN year INTEGER;"
      "ALTER TABLE rounds ADD COLUMN feedback_on TEXT;"
      "ALTER TABLE units ADD COLUMN status TEXT NOT NULL DEFAULT 'active';"
      "ALTER TABLE units ADD COLUMN successor TEXT;"
      "CREATE TABLE unit_names (unit TEXT NOT NULL, n INTEGER NOT NULL, name TEXT NOT NULL, from_on TEXT,"
      " PRIMARY KEY (unit, n)) WITHOUT ROWID;"
      "INSERT INTO unit_names (unit, n, name) SELECT id, 1, name FROM units;"
      "CREATE TABLE interviews_held (id INTEGER PRIMARY KEY, round TEXT NOT NULL, unit TEXT NOT NULL,"
      " interviewee TEXT NOT NULL, held_by TEXT NOT NULL, note TEXT, held_on TEXT NOT NULL,"
      " recorded_by TEXT NOT NULL, at INTEGER NOT NULL);"
      "CREATE INDEX interviews_held_by_round ON interviews_held (round, unit);" },
    /* issue 20: rounds' links, district offices' views indexed by district (districts.c), the
       district whose rules made a deadline */
    { "districts: links, indexes by owner, policy sources",
      "ALTER TABLE rounds ADD COLUMN link_kind TEXT;"          /* linked | crossed | raised */
      "ALTER TABLE rounds ADD COLUMN link_round TEXT;"         /* linked: the city round */
      "ALTER TABLE rounds ADD COLUMN link_by TEXT;"            /* crossed: the district whose teams came */
      "ALTER TABLE rounds ADD COLUMN link_district TEXT;"      /* raised: the district it would have been */
      "CREATE INDEX rounds_by_owner ON rounds (owner_district, owner_level);"
      "CREATE INDEX rounds_by_level ON rounds (owner_level);"
      "CREATE INDEX rounds_by_reader ON rounds (link_by) WHERE link_by IS NOT NULL;"
      "CREATE INDEX items_by_round_state ON items (round, state, id);"
      "ALTER TABLE deadlines ADD COLUMN policy_source TEXT NOT NULL DEFAULT 'city';" },
    /* issue 23: the formal documents' register (documents.c), numbered gapless per issuer, year
       and code; an item's events by outbox id, for the sources a document names */
    { "documents, items' events",
      "CREATE TABLE documents (id INTEGER PRIMARY KEY, issuer TEXT NOT NULL, year INTEGER NOT NULL,"
      " code TEXT NOT NULL, seq INTEGER NOT NULL, number TEXT NOT NULL, kind TEXT NOT NULL,"
      " kind_name TEXT NOT NULL, issuer_name TEXT NOT NULL, round TEXT, unit TEXT,"
      " title TEXT NOT NULL, recipient TEXT NOT NULL, sources TEXT NOT NULL, content_sha256 TEXT NOT NULL,"
      " issued_on TEXT NOT NULL, issued_by TEXT NOT NULL, item INTEGER, referral INTEGER, dated TEXT,"
      " text TEXT, UNIQUE (issuer, year, code, seq));"
      "CREATE INDEX documents_by_round ON documents (round, id);"
      "CREATE TABLE item_events (item INTEGER NOT NULL, event_id TEXT NOT NULL, PRIMARY KEY (item, event_id))"
      " WITHOUT ROWID;" },
    /* issue 23: the items' events from before item_events, read back from the outbox in one
       pass: the rows rectify_emit (record.c) records, an event whose data has an integer item
       > 0, under its outbox id (the key of a keyed event). The other three types are emitted
       without it. LIMIT -1 keeps the subquery from being flattened, so each message is decoded
       once. */
    { "items' events from the outbox",
      "INSERT OR IGNORE INTO item_events (item, event_id)"
      " SELECT item, id FROM (SELECT id, json_extract (jws_payload (message), '$.data.item') AS item FROM outbox"
      " WHERE type NOT IN ('calendar.missing', 'document.issued', 'rectify.regime_set') LIMIT -1)"
      " WHERE typeof (item) = 'integer' AND item > 0;" },
    /* issue 24: evidence files, encrypted, and the items naming them (common/files.h) */
    { "evidence files", XC_FILES_MIGRATION },
    /* issue 25: full-text search (search.c). item_search holds each item's own copy of its
       text (so snippet() works), written from the view item_search_text by triggers in the
       record's own transaction: an item, its measures (text, owner, lead leader) and every
       name its unit has had. The rows already there are indexed here. */
    { "search",
      "CREATE VIEW item_search_text (id, summary, detail, measures, unit_names) AS SELECT i.id,"
      " coalesce (i.summary, ''), coalesce (i.detail, ''),"
      " coalesce ((SELECT group_concat (t, '；') FROM (SELECT m.text || '（' || m.owner || '，' || m.lead_leader || '）'"
      " AS t FROM measures m WHERE m.item = i.id ORDER BY m.n)), ''),"
      " coalesce ((SELECT group_concat (name, '；') FROM (SELECT name FROM unit_names WHERE unit = i.unit ORDER BY n)),"
      " (SELECT name FROM units WHERE id = i.unit), '') FROM items i;"
      "CREATE VIRTUAL TABLE item_search USING fts5 (summary, detail, measures, unit_names, tokenize = 'xc_bigram');"
      "INSERT INTO item_search (rowid, summary, detail, measures, unit_names) SELECT * FROM item_search_text;"
      "CREATE TRIGGER item_search_insert AFTER INSERT ON items BEGIN"
      " INSERT INTO item_search (rowid, summary, detail, measures, unit_names)"
      " SELECT * FROM item_search_text WHERE id = new.id; END;"
      "CREATE TRIGGER item_search_update AFTER UPDATE OF summary, detail, unit ON items BEGIN"
      " DELETE FROM item_search WHERE rowid = old.id;"
      " INSERT INTO item_search (rowid, summary, detail, measures, unit_names)"
      " SELECT * FROM item_search_text WHERE id = new.id; END;"
      "CREATE TRIGGER item_search_delete AFTER DELETE ON items BEGIN"
      " DELETE FROM item_search WHERE rowid = old.id; END;"
      "CREATE TRIGGER item_search_measure_insert AFTER INSERT ON measures BEGIN"
      " DELETE FROM item_search WHERE rowid = new.item;"
      " INSERT INTO item_search (rowid, summary, detail, measures, unit_names)"
      " SELECT * FROM item_search_text WHERE id = new.item; END;"
      "CREATE TRIGGER item_search_measure_update AFTER UPDATE OF text, owner, lead_leader ON measures BEGIN"
      " DELETE FROM item_search WHERE rowid IN (old.item, new.item);"
      " INSERT INTO item_search (rowid, summary, detail, measures, unit_names)"
      " SELECT * FROM item_search_text WHERE id IN (old.item, new.item); END;"
      "CREATE TRIGGER item_search_measure_delete AFTER DELETE ON measures BEGIN"
      " DELETE FROM item_search WHERE rowid = old.item;"
      " INSERT INTO item_search (rowid, summary, detail, measures, unit_names)"
      " SELECT * FROM item_search_text WHERE id = old.item; END;"
      /* a renamed unit: its items are found by old and new names */
      "CREATE TRIGGER item_search_unit_name AFTER INSERT ON unit_names BEGIN"
      " DELETE FROM item_search WHERE rowid IN (SELECT id FROM items WHERE unit = new.unit);"
      " INSERT INTO item_search (rowid, summary, detail, measures, unit_names)"
      " SELECT * FROM item_search_text WHERE id IN (SELECT id FROM items WHERE unit = new.unit); END;" },
};

static const char *const s_readers[] = { "office", "service", "unit", "discipline", "audit", "district", NULL };

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    rectify_t *rectify = state;
    if (rectify_policy_load (&rectify->policy, xc_service_config (service), err) != 0)
        return -1;
    sqlite3 *db = xc_store_db (xc_service_store (service));
    if (rectify_scope_load (rectify, db, err) != 0 || rectify_rounds_load (rectify, db, err) != 0)
        return -1;
    return rectify_files_init (service, rectify, err);
}

/*  "round:<round>": every reader but a district office that neither owns nor reads the round.
    "unit:<unit>" or "unit:<unit> round:<round>": the office, the services, the unit's principals
    and its supervisors; a district office, the events of the rounds it owns or reads (record.c). */
static bool
s_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    if (strncmp (visibility, "round:", 6) == 0)      /* rectify.regime_set */
        return strcmp (reader->role, "district") != 0
               || rectify_district_reach (state, xc_principal_district (reader), visibility + 6) > 0;
    /* "documents round:<round>": the register's events, for the offices and the services;
       "documents" (no round): the city office's and the services' */
    if (strcmp (visibility, "documents") == 0)
        return strcmp (reader->role, "office") == 0 || strcmp (reader->role, "service") == 0;
    if (strncmp (visibility, "documents round:", 16) == 0)
        return strcmp (reader->role, "office") == 0 || strcmp (reader->role, "service") == 0
               || (strcmp (reader->role, "district") == 0
                   && rectify_district_reach (state, xc_principal_district (reader), visibility + 16) > 0);
    if (strncmp (visibility, "unit:", 5) != 0)
        return true;
    const char *round = strstr (visibility, " round:");
    const char *district = xc_principal_district (reader);
    if (strcmp (reader->role, "district") == 0)
        return district && round && rectify_district_reach (state, district, round + 7) > 0;
    char unit[XC_NAME_MAX + 8];
    size_t n = round ? (size_t) (round - visibility - 5) : strlen (visibility + 5);
    if (n >= sizeof unit)
        return false;
    memcpy (unit, visibility + 5, n);
    unit[n] = '\0';
    return rectify_scope_sees (state, reader, unit);
}

static const char *const s_sources[] = { "intake", NULL };

int
main (int argc, char **argv)
{
    size_t n_routes;
    const xc_route_t *routes = rectify_routes (&n_routes);
    const xc_service_def_t def = {
        .name = "rectify",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = routes,
        .n_routes = n_routes,
        .event_readers = s_readers,
        .state = &s_rectify,
        .start = s_start,
        .tick = rectify_tick,
        .event_visible = s_event_visible,
        .sources = s_sources,
        .apply = rectify_apply,
        .event_object = rectify_event_object,
    };
    int rc = xc_service_main (&def, argc, argv);
    json_decref (s_rectify.parents);
    json_decref (s_rectify.rounds);
    rectify_policy_clear (&s_rectify.policy);
    return rc;
}
