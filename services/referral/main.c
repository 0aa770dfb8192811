/*  xc-referral: leads to discipline bodies and handovers to departments, tracked to an outcome
    (docs/services/referral.md). */
#include <string.h>

#include "common/files.h"
#include "services/referral/referral.h"

static referral_t s_referral;

static const xc_migration_t s_migrations[] = {
    { "create referrals",
      "CREATE TABLE referrals ("
      " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, problem INTEGER,"
      " title TEXT NOT NULL, content TEXT NOT NULL, state TEXT NOT NULL, method TEXT,"
      " referred_on TEXT NOT NULL, due TEXT NOT NULL, due_start TEXT NOT NULL,"
      " due_policy TEXT NOT NULL, due_explain TEXT NOT NULL, alert_next TEXT,"
      " disposed_on TEXT, concluded_on TEXT, created_by TEXT NOT NULL, UNIQUE (problem, kind));"
      "CREATE INDEX referrals_by_target ON referrals (target, id);"
      "CREATE INDEX referrals_alerting ON referrals (alert_next) WHERE alert_next IS NOT NULL;"
      "CREATE TABLE referral_history ("
      " referral INTEGER NOT NULL REFERENCES referrals (id), n INTEGER NOT NULL,"
      " action TEXT NOT NULL, by TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL,"
      " PRIMARY KEY (referral, n)) WITHOUT ROWID;"
      "CREATE TABLE outcomes ("
      " referral INTEGER NOT NULL REFERENCES referrals (id), n INTEGER NOT NULL,"
      " case_filed INTEGER NOT NULL, party_sanctions INTEGER NOT NULL,"
      " administrative_sanctions INTEGER NOT NULL, organizational_handling INTEGER NOT NULL,"
      " detentions INTEGER NOT NULL, prosecution_transfers INTEGER NOT NULL, note TEXT,"
      " reported_on TEXT NOT NULL, PRIMARY KEY (referral, n)) WITHOUT ROWID;"
      "CREATE TABLE alerts (referral INTEGER NOT NULL REFERENCES referrals (id),"
      " due TEXT NOT NULL, alert TEXT NOT NULL, PRIMARY KEY (referral, due, alert)) WITHOUT ROWID;" },
    /* rounds and units learnt from intake's events, each referral's round, unit and category,
       dated facts (occurred_on), outcomes per person, leaders' sign-offs; indexes for the
       stats filters */
    { "rounds, units, people, sign-offs",
      "ALTER TABLE referrals ADD COLUMN round TEXT;"
      "ALTER TABLE referrals ADD COLUMN unit TEXT;"
      "ALTER TABLE referrals ADD COLUMN unit_level TEXT;"
      "ALTER TABLE referrals ADD COLUMN category TEXT;"
      "ALTER TABLE referrals ADD COLUMN category_path TEXT;"
      "ALTER TABLE referrals ADD COLUMN category_name TEXT;"
      "ALTER TABLE referrals ADD COLUMN last_on TEXT;"
      "ALTER TABLE referrals ADD COLUMN applied_on TEXT;"
      "ALTER TABLE referrals ADD COLUMN quiet_until TEXT;"
      /* a referral made before: its last dated fact is the latest of its days */
      "UPDATE referrals SET applied_on = referred_on, last_on = max (referred_on, coalesce (disposed_on, ''),"
      " coalesce (concluded_on, ''), coalesce ((SELECT max (reported_on) FROM outcomes"
      " WHERE outcomes.referral = referrals.id), ''));"
      "CREATE INDEX referrals_by_round ON referrals (round, kind) WHERE round IS NOT NULL;"
      "CREATE INDEX referrals_by_date ON referrals (referred_on, kind);"
      "CREATE INDEX referrals_by_unit ON referrals (unit) WHERE unit IS NOT NULL;"
      "CREATE INDEX referrals_by_level ON referrals (unit_level, kind) WHERE unit_level IS NOT NULL;"
      "CREATE TABLE referral_categories (category TEXT NOT NULL, referral INTEGER NOT NULL,"
      " PRIMARY KEY (category, referral)) WITHOUT ROWID;"
      "CREATE TABLE rounds (id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
      " owner_level TEXT NOT NULL, owner_district TEXT, organ TEXT, year INTEGER,"
      " planned_start TEXT);"
      "CREATE TABLE round_modes (mode TEXT NOT NULL, round TEXT NOT NULL,"
      " PRIMARY KEY (mode, round)) WITHOUT ROWID;"
      "CREATE TABLE units (id TEXT PRIMARY KEY, level TEXT NOT NULL, parent TEXT,"
      " status TEXT NOT NULL DEFAULT 'active', successor TEXT, changed_on TEXT);"
      "CREATE TABLE unit_names (unit TEXT NOT NULL, from_on TEXT NOT NULL, name TEXT NOT NULL,"
      " PRIMARY KEY (unit, from_on)) WITHOUT ROWID;"
      "ALTER TABLE outcomes ADD COLUMN institutional_measures INTEGER NOT NULL DEFAULT 0;"
      "CREATE TABLE people (referral INTEGER NOT NULL REFERENCES referrals (id), n INTEGER NOT NULL,"
      " i INTEGER NOT NULL, form INTEGER NOT NULL, party_sanction TEXT, administrative_sanction TEXT,"
      " organizational_handling TEXT, detained INTEGER NOT NULL, prosecuted INTEGER NOT NULL,"
      " PRIMARY KEY (referral, n, i)) WITHOUT ROWID;"
      "CREATE TABLE signatures (referral INTEGER PRIMARY KEY REFERENCES referrals (id),"
      " leader_name TEXT NOT NULL, leader_title TEXT NOT NULL, signed_on TEXT NOT NULL,"
      " by TEXT NOT NULL);" },
    /* district offices (issue 20): each round's link, each referral's owner district (its
       round's, for a district's list and alerts) and which rules set its due date; problems'
       rounds (a district refers its own rounds' problems); a district's rows by index */
    { "districts",
      "ALTER TABLE rounds ADD COLUMN link_kind TEXT;"
      "ALTER TABLE rounds ADD COLUMN link_round TEXT;"
      "ALTER TABLE rounds ADD COLUMN link_district TEXT;"
      "CREATE INDEX rounds_by_district ON rounds (owner_district) WHERE owner_district IS NOT NULL;"
      "ALTER TABLE referrals ADD COLUMN owner_district TEXT;"
      "ALTER TABLE referrals ADD COLUMN due_source TEXT NOT NULL DEFAULT 'city';"
      "UPDATE referrals SET owner_district = (SELECT owner_district FROM rounds WHERE rounds.id = referrals.round"
      " AND owner_level = 'district') WHERE round IS NOT NULL;"
      "CREATE INDEX referrals_by_district ON referrals (owner_district, id) WHERE owner_district IS NOT NULL;"
      "CREATE TABLE problem_rounds (problem INTEGER PRIMARY KEY, round TEXT NOT NULL);" },
    /* a target's requests for more time (referral.request_extension), each answered once by
       the office: granted by referral.extend, or declined; at most one open per referral */
    { "extension requests",
      "CREATE TABLE extension_requests (referral INTEGER NOT NULL REFERENCES referrals (id),"
      " n INTEGER NOT NULL, due TEXT NOT NULL, reason TEXT NOT NULL, requested_at TEXT NOT NULL,"
      " requested_by TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'open', answered_at TEXT,"
      " answered_by TEXT, answer_reason TEXT, granted_due TEXT, PRIMARY KEY (referral, n)) WITHOUT ROWID;"
      "CREATE UNIQUE INDEX extension_requests_open ON extension_requests (referral) WHERE state = 'open';" },
    /* issue 23: a referral's events by outbox id (referral.get's "events": what a formal
       document made from the referral names as its sources) */
    { "referrals' events",
      "CREATE TABLE referral_events (referral INTEGER NOT NULL, event_id TEXT NOT NULL,"
      " PRIMARY KEY (referral, event_id)) WITHOUT ROWID;" },
    /* issue 23: the referrals' events from before referral_events, read back from the outbox
       in one pass: the rows referral_emit (life.c) records, an event whose data has an integer
       referral > 0, under its outbox id (the key of a keyed event); lead.read is not among them
       (queries.c). LIMIT -1 keeps each message decoded once. */
    { "referrals' events from the outbox",
      "INSERT OR IGNORE INTO referral_events (referral, event_id)"
      " SELECT referral, id FROM (SELECT id, json_extract (jws_payload (message), '$.data.referral') AS referral"
      " FROM outbox WHERE type <> 'lead.read' LIMIT -1) WHERE typeof (referral) = 'integer' AND referral > 0;" },
    /* issue 24: evidence files, encrypted, and the referrals naming them (common/files.h) */
    { "evidence files", XC_FILES_MIGRATION },
    /* issue 25: full-text search (search.c). referral_search holds each referral's own copy of
       its text (so snippet() works), written from the view referral_search_text by triggers in
       the record's own transaction: the title, the content's texts that people wrote (those
       with a character beyond ASCII: not the ids and dates an event carries; a lead's content
       not at all: reading it is referral.get's logged read) and every name its unit has had.
       The rows already there are indexed here. */
    { "search",
      "CREATE VIEW referral_search_text (id, title, content, unit_names) AS SELECT r.id, r.title,"
      " CASE WHEN r.kind = 'lead' THEN '' WHEN json_valid (r.content) THEN coalesce ((SELECT group_concat (value, '；') FROM json_tree (r.content)"
      " WHERE type = 'text' AND value GLOB '*[^ -~]*'), '') ELSE r.content END,"
      " coalesce ((SELECT group_concat (name, '；') FROM (SELECT name FROM unit_names WHERE unit = r.unit"
      " ORDER BY from_on)), '') FROM referrals r;"
      "CREATE VIRTUAL TABLE referral_search USING fts5 (title, content, unit_names, tokenize = 'xc_bigram');"
      "INSERT INTO referral_search (rowid, title, content, unit_names) SELECT * FROM referral_search_text;"
      "CREATE TRIGGER referral_search_insert AFTER INSERT ON referrals BEGIN"
      " INSERT INTO referral_search (rowid, title, content, unit_names)"
      " SELECT * FROM referral_search_text WHERE id = new.id; END;"
      "CREATE TRIGGER referral_search_update AFTER UPDATE OF title, content, unit ON referrals BEGIN"
      " DELETE FROM referral_search WHERE rowid = old.id;"
      " INSERT INTO referral_search (rowid, title, content, unit_names)"
      " SELECT * FROM referral_search_text WHERE id = new.id; END;"
      "CREATE TRIGGER referral_search_delete AFTER DELETE ON referrals BEGIN"
      " DELETE FROM referral_search WHERE rowid = old.id; END;"
      /* a renamed unit: its referrals are found by old and new names */
      "CREATE TRIGGER referral_search_unit_name AFTER INSERT ON unit_names BEGIN"
      " DELETE FROM referral_search WHERE rowid IN (SELECT id FROM referrals WHERE unit = new.unit);"
      " INSERT INTO referral_search (rowid, title, content, unit_names)"
      " SELECT * FROM referral_search_text WHERE id IN (SELECT id FROM referrals WHERE unit = new.unit); END;" },
};

static const char *const s_anyone[] = { "*", NULL };

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    referral_t *referral = state;
    if (referral_policy_load (&referral->policy, xc_service_config (service), err) != 0)
        return -1;
    return referral_files_init (service, referral, err);
}

static const char *const s_sources[] = { "intake", NULL };

int
main (int argc, char **argv)
{
    size_t n_routes;
    const xc_route_t *routes = referral_routes (&n_routes);
    const xc_service_def_t def = {
        .name = "referral",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = routes,
        .n_routes = n_routes,
        .event_readers = s_anyone,
        .state = &s_referral,
        .start = s_start,
        .tick = referral_tick,
        .event_visible = referral_event_visible,   /* policy.c */
        .sources = s_sources,
        .apply = referral_apply,
        .event_object = referral_event_object,
        .waiting_visibility = "alert:office",   /* a lead's problem is not for every reader */
    };
    return xc_service_main (&def, argc, argv);
}
