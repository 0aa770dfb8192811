#!/usr/bin/env python3
"""stats_query and memory: how long the whole `xcctl stats` command takes over the five-year
simulation's data, and each service's peak resident memory in that run.

    real xc-intake, xc-referral and xc-rectify (build/bin) from empty stores, keys, registry and
    config as tests/python/test_simulate.py makes them (conftest.Suite, the office's key file),
    with the deployment's default limits as tools/run-local.sh runs them; then
    `build/bin/xcctl simulate --profile changzhou-5y` (20,459 problems, five years of a city's tours).
    stats_query: `xcctl stats` (the table a person reads: three signed queries, verified answers,
    the process's start and exit included), 10 runs (tiny: 3) alternating with `xcctl health`
    (the same three services, bare signed round trips): p50 and max. Floor: the same figure of
    `xcctl health`, in the same run. Each xcctl command pays about 250 ms per service it connects
    to before its first request goes out (common/transport.c: ZMQ_IMMEDIATE, then the first resend
    wait), which both figures share, so
    stats_query_calls: the three stats queries over connections already up, against the three
    health queries the same way, shows what the queries themselves cost (health is not free on a
    full store either: it counts the inbox, common/inbox.c).
    memory_<service>_stats: VmHWM after the simulation and the queries; floor VmRSS just after
    start (empty store). (memory_<service> without a suffix is e2e_bench's.)
    stats_filter_year_calls, stats_filter_round_calls, stats_filter_category_calls: the same
    three stats queries over connections already up, each with one filter of issue 19 (the
    year 2020, one round of 2020, the category governance with its subtree), p50; floor: the
    three unfiltered, the same way, in the same run (goal < 50 ms).
    stats_1m_unfiltered, stats_1m_year, stats_1m_round, stats_1m_category: intake.stats over
    1,000,000 problems (tiny: 2,000) spread over five years, 200 rounds and 2,000 units, loaded
    by straight SQLite inserts into a store the real xc-intake made (its migrations; the
    problems' indexes dropped for the load and made again from their own SQL), then
    queried through the real service after a restart (p50 of 5 runs; goal < 500 ms); floor:
    the unfiltered figure (for stats_1m_unfiltered: health). The rows are filled column by
    column from the store's own schema, so that a migration adding a column keeps this running.
    XC_BENCH_TINY=1: no simulation (no smaller profile exists); stats over a few units and
    problems made here.
Exit status 1 when a command fails, the problem count is not the profile's, or a service died.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import (REPO, TINY, bench, comment, load_average, percentile, proc_kib,  # noqa: E402
                      report_wrong, run_suite_bench)
import searchlib  # noqa: E402  (tests/python: the search tokenizer the problems' triggers call)
import xcwire  # noqa: E402  (tests/python, on the path benchlib set)

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PROFILE = "changzhou-5y"
RUNS = 3 if TINY else 10
TINY_UNITS, TINY_PROBLEMS = 5, 20


def run(folder, wrong, holder):
    """The benchmark in folder; holder["suite"] is the Suite once made (the caller stops it)."""
    from conftest import Suite, key_file, profile_policies, write_json     # imports pytest: only here

    services = ["intake", "referral", "rectify"]
    suite = holder["suite"] = Suite(folder, services,
                                    {"office": ("office", "office", {}),
                                     "petition": ("petition-bureau", "petition", {}),
                                     "team": ("team-1", "team", {})},
                                    profile_policies(PROFILE, services))
    suite.config["limits"] = {}      # the deployment's defaults, as make run has them
    write_json(suite.config_path, suite.config)
    key = key_file(folder, suite.office)
    suite.start()
    pids = {n: d.proc.pid for n, d in suite.deployments.items()}
    idle = {n: proc_kib(pid, "VmRSS") for n, pid in pids.items()}

    def xcctl(*args, timeout=60):
        t = time.monotonic()
        r = subprocess.run([XCCTL, "--config", suite.config_path, "--key", key, "--timeout", "60000", *args],
                           cwd=REPO, capture_output=True, text=True, timeout=timeout)
        return r, (time.monotonic() - t) * 1000.0

    if TINY:
        intake = suite.client("intake")
        for u in range(TINY_UNITS):
            reply = intake.call(suite.office, "unit.register", {"id": f"U{u}", "name": f"基准单位{u}", "level": "town"})
            if reply["type"] != "ack":
                raise RuntimeError(f"unit.register: {reply}")
        for i in range(TINY_PROBLEMS):
            reply = intake.call(suite.petition, "problem.report",
                                {"unit": f"U{i % TINY_UNITS}", "category": "public_concerns", "summary": f"问题{i}",
                                 "detail": "群众反映的问题", "severity": "general", "source": "petition"})
            if reply["type"] != "ack":
                raise RuntimeError(f"problem.report: {reply}")
        reply = intake.call(suite.office, "round.open", {
            "id": "R-TINY", "name": "基准轮次", "kind": "regular", "team": "team-1",
            "targets": [{"unit": f"U{u}", "coverage": "main"} for u in range(TINY_UNITS)],
            "planned_start": "2020-03-01", "planned_end": "2020-05-01", "date": "2020-02-20"})
        if reply["type"] != "ack":
            raise RuntimeError(f"round.open: {reply}")
        comment(f"stats_query tiny: no simulation (no smaller profile than {PROFILE}); stats over "
                f"{TINY_UNITS} units and {TINY_PROBLEMS} problems made here")
        want_problems = TINY_PROBLEMS
    else:
        r, ms = xcctl("simulate", "--profile", PROFILE, timeout=1800)
        if r.returncode != 0:
            raise RuntimeError(f"xcctl simulate exit {r.returncode}: {r.stdout[-500:]} {r.stderr[-1500:]}")
        comment(f"xcctl simulate --profile {PROFILE}: {ms / 1000.0:.1f} s; it said: {r.stdout.strip()}")
        with open(os.path.join(REPO, "config", "profiles", f"{PROFILE}.json"), encoding="utf-8") as f:
            want_problems = json.load(f)["problems"]

    # the data is what it should be before it is timed
    r, _ = xcctl("--json", "stats")
    if r.returncode != 0:
        raise RuntimeError(f"xcctl --json stats exit {r.returncode}: {r.stderr[-500:]}")
    total = json.loads(r.stdout)["intake"]["problems"]["total"]
    if total != want_problems:
        wrong.append(f"intake.stats counts {total} problems, not {want_problems}")

    load_before = load_average()
    stats_ms, health_ms = [], []
    for _ in range(RUNS):
        for args, out in ((("health",), health_ms), (("stats",), stats_ms)):
            r, ms = xcctl(*args)
            if r.returncode != 0:
                wrong.append(f"xcctl {args[0]} exit {r.returncode}: {r.stderr.strip()[-300:]}")
            out.append(ms)
    # the same three queries over connections that are up: what the services themselves take
    clients = {n: suite.client(n) for n in suite.deployments}
    calls_ms, calls_floor_ms = [], []
    each = {(n, k): [] for n in clients for k in ("health", "stats")}
    for _ in range(RUNS):
        for kind, out in (("health", calls_floor_ms), ("stats", calls_ms)):
            total_ms = 0.0
            for n, c in clients.items():
                t = time.monotonic()
                reply = c.call(suite.office, "health" if kind == "health" else f"{n}.stats", {})
                ms = (time.monotonic() - t) * 1000.0
                if reply["type"] != "result":
                    wrong.append(f"{n} {kind}: {reply['type']} {reply['data']}")
                each[(n, kind)].append(ms)
                total_ms += ms
            out.append(total_ms)
    filtered_calls(suite, clients, wrong)
    hwm = {n: proc_kib(pid, "VmHWM") for n, pid in pids.items()}
    for n, d in suite.deployments.items():
        if d.proc.poll() is not None:
            wrong.append(f"xc-{n} died (exit {d.proc.returncode}):\n{d.log_tail(20)}")

    comment(f"load average before the queries {load_before}, after {load_average()} (others share the machine)")
    comment(f"stats_query: the whole `xcctl stats` command ({RUNS} runs, alternating with `xcctl health`), "
            f"{total} problems; stats ms {' '.join(f'{v:.0f}' for v in stats_ms)}; "
            f"health ms {' '.join(f'{v:.0f}' for v in health_ms)}")
    bench("stats_query", percentile(stats_ms, 50), "ms", percentile(health_ms, 50))
    bench("stats_query_max", max(stats_ms), "ms", max(health_ms))
    comment(f"stats_query_calls: intake.stats, referral.stats and rectify.stats one after another over "
            f"connections already up (Python client), p50 of {RUNS}; floor: the three health queries the same way; "
            f"p50 each: " + ", ".join(f"{n} stats {percentile(each[(n, 'stats')], 50):.1f} health "
                                      f"{percentile(each[(n, 'health')], 50):.1f} ms" for n in clients))
    bench("stats_query_calls", percentile(calls_ms, 50), "ms", percentile(calls_floor_ms, 50))
    for n in suite.deployments:
        kib_hwm, kib_idle = hwm[n], idle[n]
        bench(f"memory_{n}_stats", kib_hwm / 1024.0 if kib_hwm else None, "MiB", kib_idle / 1024.0 if kib_idle else None)


def timed_calls(clients, signer, data, runs, wrong):
    """p50 of runs of the three stats queries with data, one after another: ms (each run's sum)."""
    out = []
    for _ in range(runs):
        total_ms = 0.0
        for n, c in clients.items():
            t = time.monotonic()
            reply = c.call(signer, f"{n}.stats", data)
            total_ms += (time.monotonic() - t) * 1000.0
            if reply["type"] != "result":
                wrong.append(f"{n}.stats {data}: {reply['type']} {reply['data']}")
                return None
        out.append(total_ms)
    return percentile(out, 50)


def filtered_calls(suite, clients, wrong):
    """stats_filter_*_calls: the three stats queries with one filter each, beside unfiltered."""
    rounds = []
    after = None
    while True:
        page = clients["intake"].call(suite.office, "round.list", {"limit": 500, **({"after": after} if after else {})})
        if page["type"] != "result":
            wrong.append(f"round.list: {page['data']}")
            return
        rounds += page["data"]["items"]
        after = page["data"]["next"]
        if after is None:
            break
    in_2020 = [r["id"] for r in rounds if str(r.get("planned_start", "")).startswith("2020")]
    round_id = (in_2020 or [r["id"] for r in rounds] or [None])[0]
    if round_id is None:
        wrong.append("no round to filter by")
        return
    unfiltered = timed_calls(clients, suite.office, {}, RUNS, wrong)
    for name, data in (("year", {"year": 2020}), ("round", {"round": round_id}),
                       ("category", {"category": "governance"})):
        ms = timed_calls(clients, suite.office, data, RUNS, wrong)
        comment(f"stats_filter_{name}_calls: the three stats queries with {json.dumps(data)}, p50 of {RUNS}; "
                f"floor: the three unfiltered")
        bench(f"stats_filter_{name}_calls", ms, "ms", unfiltered)


# --- 1,000,000 problems in intake's store ------------------------------------------------------

MILLION = 2000 if TINY else 1_000_000
YEARS = (2017, 2018, 2019, 2020, 2021)
N_ROUNDS, N_UNITS, TARGETS_PER_ROUND = 200, 2000, 40
CATEGORIES = ["political", "governance", "four_styles", "eight_rules", "organization",
              "rectification", "public_concerns", "livelihood", "poverty_alleviation", "hazardous_chemicals",
              "receivables", "ideology"]
LEVELS = ["city_department", "district", "town", "village", "soe", "school", "hospital", "other"]
KINDS = ["regular", "regular", "regular", "special", "mobile", "lookback"]


def column_value(table, col, known):
    """A value for a column the bench does not name (a later migration's): its default when it
    has one or may be null, else a value of its type."""
    name, ctype, notnull, default = col[1], (col[2] or "").upper(), col[3], col[4]
    if name in known:
        return known[name]
    if default is not None or not notnull:
        return None
    return 0 if "INT" in ctype else ""


def insert_rows(con, table, rows, sample):
    """Inserts rows (dicts of the columns the bench names; sample is one of them) into table:
    every column of the table's schema the sample names, unless its value is None and the
    column has a default (the default applies), and every other NOT NULL column without a
    default, filled by column_value."""
    cols = {c[1]: c for c in con.execute(f"PRAGMA table_info({table})")}
    names = [n for n, c in cols.items()
             if (n in sample and not (sample[n] is None and c[4] is not None)) or (n not in sample and c[3] and c[4] is None)]
    # in few statements: the search triggers on problems would make a row-by-row load slow (searchlib)
    searchlib.insert_many(con, table, names, ([column_value(table, cols[n], r) for n in names] for r in rows))


def the_million(folder, wrong):
    """Makes intake's store with the real binary, fills it straight with SQLite, restarts xc-intake
    on it and times intake.stats with and without filters."""
    from conftest import Suite

    suite = Suite(folder, ["intake"], {"office": ("office", "office", {}), "team": ("team-1", "team", {})})
    suite.config["limits"] = {}
    suite.start()
    suite.stop()                      # its migrations made the store; now filled from outside
    db = os.path.join(folder, "intake.db")
    t0 = time.monotonic()
    # with the tokenizer: the triggers index every problem loaded (problem.search)
    con = searchlib.connect(db, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("PRAGMA cache_size = -262144")       # 256 MiB while loading
    con.execute("BEGIN")
    units = [{"id": f"BU{u:05d}", "name": f"基准单位{u}", "level": LEVELS[u % len(LEVELS)], "parent": None,
              "registered_on": "2016-12-01"} for u in range(N_UNITS)]
    insert_rows(con, "units", units, units[0])
    if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'unit_names'").fetchone():
        names = [{"unit": u["id"], "seq": 0, "name": u["name"], "from_on": u["registered_on"]} for u in units]
        insert_rows(con, "unit_names", names, names[0])
    rounds, targets = [], []
    for r in range(N_ROUNDS):
        year = YEARS[r % len(YEARS)]
        start = f"{year}-{1 + (r // len(YEARS)) % 12:02d}-01"
        kind = KINDS[r % len(KINDS)]
        rounds.append({"id": f"BR{r:04d}", "name": f"基准第{r}轮", "kind": kind,
                       "theme": "专项" if kind == "special" else None,
                       "prior_round": f"BR{r - 1:04d}" if kind == "lookback" else None,
                       "modes": '["linked"]' if r % 7 == 0 else "[]", "audit_ref": None, "team": "team-1",
                       "planned_start": start, "planned_end": f"{year}-12-31", "stage": "closed",
                       "stage_index": 8, "year": year, "organ": "市委巡察办" if r % 3 else "区委巡察办",
                       # a third of the rounds a district's (units of level district: every 8th from 1)
                       "owner_district": None if r % 3 else f"BU{(r * 8 + 1) % N_UNITS:05d}"})
        for k in range(TARGETS_PER_ROUND):
            targets.append({"round": f"BR{r:04d}", "unit": f"BU{(r * TARGETS_PER_ROUND + k) % N_UNITS:05d}",
                            "coverage": "main" if k % 3 else "extended"})
    insert_rows(con, "rounds", rounds, rounds[0])
    insert_rows(con, "round_targets", targets, targets[0])

    def problem(i):
        r = i % N_ROUNDS
        year = YEARS[r % len(YEARS)]
        unit = (r * TARGETS_PER_ROUND + i % TARGETS_PER_ROUND) % N_UNITS
        return {"id": i, "round": f"BR{r:04d}", "unit": f"BU{unit:05d}",
                "category": CATEGORIES[i % len(CATEGORIES)], "summary": f"问题{i}", "detail": "基准数据",
                "severity": "general", "source": "inspection_team", "immediate": int(i % 10 == 0),
                "evidence": "[]", "reporter": None, "reported_by": "team-1",
                "reported_at": 1_500_000_000_000 + i, "status": "classified", "merged_into": None,
                "feedback": None, "fed_back_on": None, "found_on": f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "classified_on": f"{year}-12-01", "unit_level": LEVELS[unit % len(LEVELS)]}
    # the store's own indexes on problems, dropped for the load and made again from their SQL
    # in sqlite_master (one sort each instead of a million B-tree inserts): the same store
    indexes = list(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'problems'"
                               " AND sql IS NOT NULL"))
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    insert_rows(con, "problems", (problem(i) for i in range(1, MILLION + 1)), problem(1))
    for _, sql in indexes:
        con.execute(sql)
    # one problem in 20 a lead, one in 50 folded into a special report
    dispositions = [{"problem": i, "kind": "lead" if i % 20 == 0 else "special_report", "timeliness": None,
                     "target": "discipline-commission" if i % 20 == 0 else None, "note": None}
                    for i in range(1, MILLION + 1) if i % 20 == 0 or i % 50 == 0]
    insert_rows(con, "dispositions", dispositions, dispositions[0])
    con.execute("COMMIT")
    con.close()
    load_s = time.monotonic() - t0

    # the real service on the filled store: a new process, as after a restart
    suite2 = Suite(folder, ["intake"], {"office": ("office", "office", {}), "team": ("team-1", "team", {})})
    suite2.config["limits"] = {}
    from conftest import write_json
    write_json(suite2.config_path, suite2.config)
    try:
        suite2.start()
        client = suite2.client("intake")
        runs = 3 if TINY else 5

        def timed(data):
            """p50 ms of runs of intake.stats with data (None: health) and the last answer."""
            out = []
            for _ in range(runs):
                frame, body = xcwire.seal(suite2.office, "intake", "health" if data is None else "intake.stats",
                                          data or {})
                t = time.monotonic()
                reply = client.request(frame, body, timeout=120)
                out.append((time.monotonic() - t) * 1000.0)
                if reply["type"] != "result":
                    wrong.append(f"intake {data}: {reply['type']} {reply['data']}")
                    return None, None
            return percentile(out, 50), reply["data"]

        health_ms, _ = timed(None)
        unfiltered_ms, stats = timed({})
        if stats and stats["problems"]["total"] != MILLION:
            wrong.append(f"intake.stats counts {stats['problems']['total']} problems, not {MILLION}")
        comment(f"stats_1m: {MILLION} problems, {N_ROUNDS} rounds, {N_UNITS} units loaded straight into intake's "
                f"store in {load_s:.1f} s; intake.stats p50 of {runs} through the restarted xc-intake")
        bench("stats_1m_unfiltered", unfiltered_ms, "ms", health_ms)
        for name, data in (("year", {"year": 2020}), ("round", {"round": "BR0003"}),
                           ("category", {"category": "governance"})):
            ms, got = timed(data)
            if got is not None:
                comment(f"stats_1m_{name}: {json.dumps(data)} counts {got['problems']['total']} problems")
            bench(f"stats_1m_{name}", ms, "ms", unfiltered_ms)
    finally:
        suite2.stop()


def main():
    os.chdir(REPO)
    wrong = []
    started = time.monotonic()
    run_suite_bench("xc-stats-bench-", lambda folder, holder: run(folder, wrong, holder), wrong)
    with tempfile.TemporaryDirectory(prefix="xc-stats-1m-") as folder:
        try:
            the_million(folder, wrong)
        except Exception as e:      # noqa: BLE001 (a failure is reported, not raised)
            wrong.append(f"stats_1m: {type(e).__name__}: {e}")
    comment(f"stats_bench took {time.monotonic() - started:.1f} s{' (tiny)' if TINY else ''}")
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
