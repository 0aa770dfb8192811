/*  xc-intake: units, inspection rounds and problems from every channel
    (docs/services/intake.md). */
#include <sodium.h>
#include <string.h>

#include "common/files.h"
#include "common/keys.h"
#include "services/intake/intake.h"

static intake_t s_intake;

/*  A problem's filter values as problem_search's facets (common/search.h, xc_search_facet; the
    same letters as search.c's s_facets): r round, u unit, c category, y year found, o the
    round's owner ("city" or its district), s status. p: the row ("new" in a trigger). A round's
    owner never changes once it is open, so the round's row needs no trigger of its own. */
#define PROBLEM_FACETS(p)                                                                        \
    "(coalesce (xc_facet ('r', " p ".round), '') || ' ' || xc_facet ('u', " p ".unit) || ' '"       \
    " || xc_facet ('c', " p ".category) || ' ' || coalesce (xc_facet ('y', substr (" p ".found_on,"  \
    " 1, 4)), '') || ' ' || coalesce ((SELECT xc_facet ('o', coalesce (r.owner_district, 'city'))" \
    " FROM rounds r WHERE r.id = " p ".round), '') || ' ' || xc_facet ('s', " p ".status))"

/* ------------------------------------------------------------------ schema */

static const xc_migration_t s_migrations[] = {
    { "create units",
      "CREATE TABLE units ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL,"
      " parent TEXT REFERENCES units (id), registered_on TEXT NOT NULL) WITHOUT ROWID;"
      "CREATE INDEX units_by_level ON units (level, id);"
      "CREATE INDEX units_by_parent ON units (parent, id);" },
    { "create rounds",
      "CREATE TABLE rounds ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, theme TEXT,"
      " prior_round TEXT REFERENCES rounds (id), modes TEXT NOT NULL, audit_ref TEXT,"
      " team TEXT NOT NULL, planned_start TEXT NOT NULL, planned_end TEXT NOT NULL,"
      " stage TEXT NOT NULL, stage_index INTEGER NOT NULL, withdrawn_on TEXT,"
      " report_overdue_sent INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
      "CREATE INDEX rounds_by_team ON rounds (team, id);"
      "CREATE INDEX rounds_waiting_report ON rounds (withdrawn_on)"
      " WHERE stage = 'withdrawn' AND report_overdue_sent = 0;"
      "CREATE TABLE round_stages ("
      " round TEXT NOT NULL REFERENCES rounds (id), stage_index INTEGER NOT NULL,"
      " stage TEXT NOT NULL, date TEXT NOT NULL, PRIMARY KEY (round, stage_index)) WITHOUT ROWID;"
      "CREATE TABLE round_targets ("
      " round TEXT NOT NULL REFERENCES rounds (id), unit TEXT NOT NULL REFERENCES units (id),"
      " coverage TEXT NOT NULL, PRIMARY KEY (round, unit)) WITHOUT ROWID;"
      "CREATE INDEX round_targets_by_unit ON round_targets (unit);" },
    { "create problems",
      "CREATE TABLE problems ("
      " id INTEGER PRIMARY KEY, round TEXT REFERENCES rounds (id),"
      " unit TEXT NOT NULL REFERENCES units (id), category TEXT NOT NULL,"
      " summary TEXT NOT NULL, detail TEXT NOT NULL, severity TEXT NOT NULL,"
      " source TEXT NOT NULL, immediate INTEGER NOT NULL, evidence TEXT NOT NULL,"
      " reporter BLOB, reported_by TEXT NOT NULL, reported_at INTEGER NOT NULL,"
      " status TEXT NOT NULL, merged_into INTEGER REFERENCES problems (id),"
      " feedback TEXT, fed_back_on TEXT);"
      "CREATE INDEX problems_by_round ON problems (round, id);"
      "CREATE INDEX problems_by_unit ON problems (unit, id);"
      "CREATE INDEX problems_by_reporter ON problems (reported_by, id);"
      "CREATE TABLE problem_sources ("
      " problem INTEGER NOT NULL REFERENCES problems (id), origin INTEGER NOT NULL,"
      " source TEXT NOT NULL, reported_by TEXT NOT NULL, reported_at INTEGER NOT NULL,"
      " PRIMARY KEY (problem, origin)) WITHOUT ROWID;"
      "CREATE TABLE dispositions ("
      " problem INTEGER NOT NULL REFERENCES problems (id), kind TEXT NOT NULL,"
      " timeliness TEXT, target TEXT, note TEXT, PRIMARY KEY (problem, kind)) WITHOUT ROWID;" },
    /* The report deadline is computed once, when the round is withdrawn, not every tick. */
    { "add round report due",
      "ALTER TABLE rounds ADD COLUMN report_due TEXT;"
      "ALTER TABLE rounds ADD COLUMN report_due_explain TEXT;"
      "DROP INDEX rounds_waiting_report;"
      "CREATE INDEX rounds_report_due ON rounds (report_due)"
      " WHERE stage = 'withdrawn' AND report_overdue_sent = 0;" },
    /* Issue 19: units' names and changes (机构改革), rounds' owner and year, problems' dates
       (occurred_on) and unit level kept on the problem, and the indexes intake.stats reads
       with its filters (a covering index per filter: figures stream from the index, no table
       row is read). A problem recorded before has its reporting day (UTC) as its found_on. */
    { "history, owners, unit changes and stats indexes",
      "ALTER TABLE units ADD COLUMN status TEXT NOT NULL DEFAULT 'active';"
      "ALTER TABLE units ADD COLUMN successor TEXT;"
      "ALTER TABLE units ADD COLUMN changed_on TEXT;"
      "CREATE TABLE unit_names ("
      " unit TEXT NOT NULL REFERENCES units (id), seq INTEGER NOT NULL, name TEXT NOT NULL,"
      " from_on TEXT NOT NULL, PRIMARY KEY (unit, seq)) WITHOUT ROWID;"
      "INSERT INTO unit_names (unit, seq, name, from_on) SELECT id, 0, name, registered_on FROM units;"
      "ALTER TABLE rounds ADD COLUMN owner_district TEXT;"
      "ALTER TABLE rounds ADD COLUMN organ TEXT;"
      "ALTER TABLE rounds ADD COLUMN year INTEGER;"
      "UPDATE rounds SET year = CAST (substr (planned_start, 1, 4) AS INTEGER);"
      "ALTER TABLE round_targets ADD COLUMN addition INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE rounds ADD COLUMN report_quiet_until TEXT;"
      "ALTER TABLE problems ADD COLUMN found_on TEXT;"
      "ALTER TABLE problems ADD COLUMN unit_level TEXT;"
      "ALTER TABLE problems ADD COLUMN from_history INTEGER NOT NULL DEFAULT 0;"
      "ALTER TABLE problems ADD COLUMN classified_on TEXT;"
      "UPDATE problems SET found_on = date (reported_at, 'unixepoch'),"
      " unit_level = (SELECT level FROM units WHERE id = problems.unit);"
      "CREATE INDEX problems_stats ON problems"
      " (category, source, round, unit_level, immediate, found_on) WHERE status != 'merged';"
      "CREATE INDEX problems_stats_by_day ON problems"
      " (found_on, category, source, round, unit_level, immediate) WHERE status != 'merged';"
      "CREATE INDEX problems_stats_by_round ON problems"
      " (round, category, source, unit_level, immediate, found_on) WHERE status != 'merged';"
      "CREATE INDEX problems_stats_by_level ON problems"
      " (unit_level, category, source, round, immediate, found_on) WHERE status != 'merged';"
      "CREATE INDEX dispositions_by_kind ON dispositions (kind, problem);" },
    /* Issue 20: district offices. A round's link (联动 linked to a city round, 交叉 crossed by
       another district's teams, 提级 raised from a district) and the indexes a district
       office's view reads: its rounds by owner, the crossed rounds it reads by their `by`
       district, so its lists and figures cost the same with 1 or 50 districts loaded. */
    { "district offices: round links, rounds by owner district",
      "ALTER TABLE rounds ADD COLUMN link_kind TEXT;"
      "ALTER TABLE rounds ADD COLUMN link_round TEXT;"
      "ALTER TABLE rounds ADD COLUMN link_by TEXT;"
      "ALTER TABLE rounds ADD COLUMN link_district TEXT;"
      "CREATE INDEX rounds_by_owner ON rounds (owner_district, id);"
      "CREATE INDEX rounds_by_crosser ON rounds (link_by, id) WHERE link_by IS NOT NULL;" },
    /* issue 23: a problem's events by outbox id (problem.get's "events": what a formal
       document made from the problem names as its sources) */
    { "problems' events",
      "CREATE TABLE problem_events (problem INTEGER NOT NULL, event_id TEXT NOT NULL,"
      " PRIMARY KEY (problem, event_id)) WITHOUT ROWID;" },
    /* issue 23: the problems' events from before problem_events, read back from the outbox in
       one pass: the rows s_emit (problems.c) records, under the problem each type is about
       (problem.recorded: data.problem.id; problem.merged: data.into, the problem merged into,
       not those merged from; the others: data.problem) and its outbox id (the key of a keyed
       event). LIMIT -1 keeps each message decoded once. */
    { "problems' events from the outbox",
      "INSERT OR IGNORE INTO problem_events (problem, event_id)"
      " SELECT problem, id FROM (SELECT id, json_extract (jws_payload (message), CASE type"
      " WHEN 'problem.recorded' THEN '$.data.problem.id' WHEN 'problem.merged' THEN '$.data.into'"
      " ELSE '$.data.problem' END) AS problem FROM outbox WHERE type IN ('problem.recorded',"
      " 'problem.classified', 'problem.referred', 'problem.handed_over', 'problem.fed_back', 'problem.merged')"
      " LIMIT -1) WHERE typeof (problem) = 'integer';" },
    /* issue 24: the public channel (public.c). A receipt is the hash of a reporter's code
       (never the code), the problem it made and the contact as the reporter's browser sealed
       it; questions are a team's to a public reporter and the reporter's answer. */
    { "public channel: receipts and questions",
      "CREATE TABLE public_receipts (code_hash BLOB PRIMARY KEY,"
      " problem INTEGER NOT NULL UNIQUE REFERENCES problems (id), round TEXT NOT NULL,"
      " unit TEXT NOT NULL, received_at INTEGER NOT NULL, received_on TEXT NOT NULL,"
      " sha256 TEXT NOT NULL, contact TEXT) WITHOUT ROWID;"
      "CREATE INDEX public_receipts_by_day ON public_receipts (round, received_on);"
      "CREATE TABLE public_questions (id INTEGER PRIMARY KEY,"
      " problem INTEGER NOT NULL REFERENCES problems (id), text TEXT NOT NULL,"
      " asked_by TEXT NOT NULL, asked_at INTEGER NOT NULL, answer TEXT, answer_evidence TEXT,"
      " answered_at INTEGER);"
      "CREATE INDEX public_questions_by_problem ON public_questions (problem, id);" },
    /* issue 24: evidence files, encrypted, and the records naming them (common/files.h) */
    { "evidence files", XC_FILES_MIGRATION },
    /* issue 25: problem.search's index (search.c; common/search.h's xc_bigram tokenizer), a
       copy of the texts so that snippet() reads them, kept by triggers in the record's own
       transaction: a problem's summary and detail, and every name its unit has had (a renamed
       unit's problems are found by old and new names; a new name re-indexes them); `facets`,
       one token per filter value (PROBLEM_FACETS), so that FTS5 narrows a filtered search
       before a row is read. The rows already there are indexed here, once. */
    { "problem search index",
      "CREATE VIRTUAL TABLE problem_search USING fts5 (summary, detail, unit_names, facets,"
      " tokenize = 'xc_bigram');"
      "INSERT INTO problem_search (rowid, summary, detail, unit_names, facets) SELECT id, summary, detail,"
      " (SELECT group_concat (name, ' ') FROM unit_names n WHERE n.unit = problems.unit), " PROBLEM_FACETS ("problems")
      " FROM problems;"
      "CREATE TRIGGER problem_search_insert AFTER INSERT ON problems BEGIN"
      " INSERT INTO problem_search (rowid, summary, detail, unit_names, facets) VALUES (new.id, new.summary,"
      " new.detail, (SELECT group_concat (name, ' ') FROM unit_names n WHERE n.unit = new.unit), "
      PROBLEM_FACETS ("new") "); END;"
      "CREATE TRIGGER problem_search_update AFTER UPDATE OF summary, detail, unit, round, category, status, found_on"
      " ON problems BEGIN"
      " DELETE FROM problem_search WHERE rowid = old.id;"
      " INSERT INTO problem_search (rowid, summary, detail, unit_names, facets) VALUES (new.id, new.summary,"
      " new.detail, (SELECT group_concat (name, ' ') FROM unit_names n WHERE n.unit = new.unit), "
      PROBLEM_FACETS ("new") "); END;"
      "CREATE TRIGGER problem_search_delete AFTER DELETE ON problems BEGIN"
      " DELETE FROM problem_search WHERE rowid = old.id; END;"
      "CREATE TRIGGER problem_search_unit_named AFTER INSERT ON unit_names BEGIN"
      " UPDATE problem_search SET unit_names = (SELECT group_concat (name, ' ') FROM unit_names n"
      " WHERE n.unit = new.unit) WHERE rowid IN (SELECT id FROM problems WHERE unit = new.unit); END;"
      "CREATE TRIGGER problem_search_unit_renamed AFTER UPDATE ON unit_names BEGIN"
      " UPDATE problem_search SET unit_names = (SELECT group_concat (name, ' ') FROM unit_names n"
      " WHERE n.unit = new.unit) WHERE rowid IN (SELECT id FROM problems WHERE unit IN (old.unit, new.unit)); END;"
      "CREATE TRIGGER problem_search_unit_unnamed AFTER DELETE ON unit_names BEGIN"
      " UPDATE problem_search SET unit_names = (SELECT group_concat (name, ' ') FROM unit_names n"
      " WHERE n.unit = old.unit) WHERE rowid IN (SELECT id FROM problems WHERE unit = old.unit); END;" },
    /* issue 25: repeat problems (repeats.c). A pair (problem, of): `of` an earlier problem of
       the unit's lineage, suggested when found, then confirmed or dismissed by the office; id
       orders the office's queue. Problems recorded before get suggestions when classified or
       when a later problem of their unit is reported. */
    { "repeat problems",
      "CREATE TABLE problem_repeats (id INTEGER PRIMARY KEY,"
      " problem INTEGER NOT NULL REFERENCES problems (id), of INTEGER NOT NULL REFERENCES problems (id),"
      " similarity_milli INTEGER NOT NULL, state TEXT NOT NULL, decided_by TEXT, decided_on TEXT,"
      " note TEXT, UNIQUE (problem, of));"
      "CREATE INDEX problem_repeats_by_of ON problem_repeats (of);"
      "CREATE INDEX problem_repeats_by_state ON problem_repeats (state, problem);"
      "CREATE INDEX units_by_successor ON units (successor) WHERE successor IS NOT NULL;" },
};

/* ------------------------------------------------------------------ hooks */

static int
s_start (xc_service_t *service, void *state, xc_err_t *err)
{
    intake_t *intake = state;
    const xc_config_t *cfg = xc_service_config (service);
    const xc_service_conf_t *conf = xc_config_service (cfg, "intake");
    if (intake_policy_load (&intake->policy, cfg, err) != 0)
        return -1;
    intake_rounds_init (&intake->policy);
    if (!conf->secret_key)
        return xc_err_set (err, XC_E_CONFIG,
                           "services.intake.secret_key: missing (it encrypts reporter identities)");
    if (xc_secret_load (intake->secret, conf->secret_key, err) != 0)
        return -1;
    if (intake_public_keys (intake) != 0)
        return xc_err_set (err, XC_E_INTERNAL, "unable to derive the public sealing key");
    return xc_files_init (service, "intake", intake_file_readable, intake, err);
}

static bool
s_event_visible (const xc_principal_t *reader, const char *visibility, void *state)
{
    const intake_t *intake = state;
    if (strcmp (visibility, INTAKE_RESTRICTED) != 0)
        return true;
    return intake_policy_restricted_reader (&intake->policy, reader);
}

int
main (int argc, char **argv)
{
    size_t n_routes;
    const xc_route_t *routes = intake_routes (&n_routes);
    /* Event readers come from the policy, which is read at start: the def keeps a pointer to
       the list that s_start fills. */
    xc_service_def_t def = {
        .name = "intake",
        .migrations = s_migrations,
        .n_migrations = sizeof s_migrations / sizeof s_migrations[0],
        .routes = routes,
        .n_routes = n_routes,
        .event_readers = s_intake.policy.event_role_list,
        .state = &s_intake,
        .start = s_start,
        .tick = intake_rounds_tick,
        .event_visible = s_event_visible,
    };
    int status = xc_service_main (&def, argc, argv);
    sodium_memzero (s_intake.secret, sizeof s_intake.secret);
    sodium_memzero (s_intake.seal_sk, sizeof s_intake.seal_sk);
    return status;
}
