#!/usr/bin/env python3
"""districts_overdue and districts_stats: a district office's view costs the same whether the
deployment holds 1 district's data or 50 districts' (issue 20: "keep every list and figure indexed
by district").

    One district, QX01 (区县巡察办 principal `qx01-office`, role district, scope {"district": "QX01"}),
    is loaded through the real services, as its office loads its past from paper (history,
    docs/services/intake.md): real xc-intake, xc-referral and xc-rectify (build/bin) from empty
    stores; the office registers its units (4 rounds of 40 units and 100 villages each, new ones
    each round), opens QX01's rounds (owner QX01) over the last year (fed back 330, 220, 110 and 5
    days ago), reports their problems with occurred_on, classifies them (nine in ten fed back, one
    in ten a lead to the discipline body) and feeds the rounds back: rectify opens the items (the
    older rounds' overdue now, not the last's) and referral the leads, from intake's events.
    That deployment (A) is stopped, its three stores copied to a second folder (B), and in B every
    row of every table of the services' own schemas (not the store's base tables: inbox, outbox,
    offsets, counters) is copied 49 times for districts QX02..QX50: text values with "QX01"
    replaced by the new district's id (unit, round and district ids, names, JSON texts), integer
    ids (problems, items, deadlines, referrals, ...) moved up by k * 10,000,000 in every store
    alike, so that cross-store references stay right. The rows are the services' own rows (same
    schema, made by their migrations, values as the services wrote them), only renamed. A row that
    names nothing of QX01 is not copied. Both deployments then run side by side, restarted on
    their stores, and are asked in turn, through the wire, as QX01's office:
    districts_overdue: `rectify.list {"overdue": true}`, every page (limit 100);
    districts_stats: `intake.stats {}`, `rectify.stats {}` and `referral.stats {}` (QX01's
    lead_access is "status" in B and A alike), one after another.
    RUNS rounds (tiny: 3), A and B in turn (A first in one round, B in the next), p50 of each side.
    BENCH districts_overdue_1 (floor: health at A), districts_overdue_50 (floor: the figure at 1,
    so ratio = t(1)/t(50)); the same for districts_stats. Goal: ratio >= 0.8.
    Not timing: QX01's answers in B are the same as in A (item ids, figures), and the office's
    intake.stats in B counts 50 times A's problems (the copies are there and are seen).
XC_BENCH_TINY=1: one round of 4 units and 6 villages, one problem each, still 50 districts; the
ratio is printed, not judged (a test does not judge times).
Exit status 1 when a call fails, an answer differs, a service died, or (full size) a ratio < 0.8.
"""

import datetime
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import REPO, TINY, bench, comment, load_average, percentile, report_wrong  # noqa: E402
import searchlib  # noqa: E402  (tests/python: the search tokenizer the stores' triggers call)
import xcwire  # noqa: E402  (tests/python, on the path benchlib set)

SERVICES = ["intake", "referral", "rectify"]
D1 = "QX01"
N_DISTRICTS = 50
ROUNDS = 1 if TINY else 4
UNITS, VILLAGES = (4, 6) if TINY else (40, 100)
PROBLEMS_PER_UNIT = 1 if TINY else 2          # a village: one problem
RUNS = 3 if TINY else 21
PAGE = 100
GOAL = 0.8
OFFSET = 10_000_000                           # integer ids of copy k: + k * OFFSET
BASE_TABLES = {"inbox", "outbox", "consumer_offsets", "counters", "consumer_waiting", "sqlite_sequence"}
ID_COLUMNS = {"id", "problem", "item", "deadline", "referral", "merged_into", "origin"}
JSON_IDS = re.compile(r'"(id|problem|item|deadline|referral|merged_into|into)":(\d+)')
BODY = "discipline-commission"
CATEGORIES = ["governance", "public_concerns", "political", "organization"]
TIMELINESS = ["deadline", "deadline", "long_term", "immediate"]


def ok(reply):
    if reply["type"] not in ("ack", "result"):
        raise RuntimeError(f"{reply['type']}: {json.dumps(reply['data'], ensure_ascii=False)[:400]}")
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def local_day(days=0):
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    return str(now.date() + datetime.timedelta(days=days))


def make_suite(folder):
    from conftest import Suite, write_json     # imports pytest: only here
    suite = Suite(folder, SERVICES, {
        "office": ("office", "office", {}),
        "district": ("qx01-office", "district", {"district": D1}),
        "team": ("team-1", "team", {}),
        "body": (BODY, "discipline", {}),
    }, policies={"referral": {"districts": {D1: {"lead_access": "status"}}}})
    suite.config["limits"] = {}      # the deployment's defaults, as make run has them
    write_json(suite.config_path, suite.config)
    return suite


def load_district(suite):
    """QX01's units, rounds and problems through intake, as its office loads history: the count
    of problems fed back and of leads."""
    intake = suite.client("intake")
    o = suite.office
    ok(intake.call(o, "unit.register", {"id": D1, "name": f"基准区{D1}", "level": "district",
                                        "occurred_on": local_day(-700)}))
    fed, leads, n = 0, 0, 0
    for r in range(ROUNDS):
        # fed back 330, 220, 110 and 5 days ago: the last round's items not due yet
        fb = -200 if TINY else [-330, -220, -110, -5][r]
        rid = f"{D1}-R{r + 1}"
        targets = []
        towns = []
        for u in range(UNITS):
            uid = f"{D1}-R{r + 1}-U{u:03d}"
            level = ["town", "school", "hospital", "soe", "other"][u % 5]
            ok(intake.call(o, "unit.register", {"id": uid, "name": f"{D1}第{r + 1}轮单位{u}", "level": level,
                                                "parent": D1, "occurred_on": local_day(-700)}))
            targets.append(uid)
            if level == "town":
                towns.append(uid)
        for v in range(VILLAGES):
            vid = f"{D1}-R{r + 1}-V{v:03d}"
            ok(intake.call(o, "unit.register", {"id": vid, "name": f"{D1}第{r + 1}轮村{v}", "level": "village",
                                                "parent": towns[v % len(towns)], "occurred_on": local_day(-700)}))
            targets.append(vid)
        ok(intake.call(o, "round.open", {
            "id": rid, "name": f"{D1}第{r + 1}轮巡察", "kind": "regular", "team": "team-1", "owner": D1,
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": local_day(fb - 80), "planned_end": local_day(fb - 50), "date": local_day(fb - 90)}))
        for stage, d in (("stationed", fb - 80), ("withdrawn", fb - 50), ("reported", fb - 30)):
            ok(intake.call(o, "round.advance", {"round": rid, "stage": stage, "date": local_day(d)}))
        for u in targets:
            for _ in range(PROBLEMS_PER_UNIT if "-U" in u else 1):
                n += 1
                p = ok(intake.call(o, "problem.report", {
                    "round": rid, "unit": u, "category": CATEGORIES[n % len(CATEGORIES)],
                    "summary": f"{D1}问题{n}", "detail": "巡察底稿", "severity": "serious",
                    "source": "inspection_team", "occurred_on": local_day(fb - 70)}))["problem"]
                if n % 10 == 0:
                    disp = [{"kind": "lead", "body": BODY}]
                    leads += 1
                else:
                    disp = [{"kind": "feedback", "timeliness": TIMELINESS[n % len(TIMELINESS)]}]
                    fed += 1
                ok(intake.call(o, "problem.classify", {"problem": p, "dispositions": disp,
                                                       "occurred_on": local_day(fb - 25)}))
        ok(intake.call(o, "round.advance", {"round": rid, "stage": "feedback_delivered", "date": local_day(fb)}))
    return fed, leads


def wait_consumers(suite, fed, leads):
    """Until rectify holds fed items and referral leads referrals (bounded)."""
    rectify, referral = suite.client("rectify"), suite.client("referral")
    deadline = time.monotonic() + (60 if TINY else 300)
    while True:
        items = ok(rectify.call(suite.office, "rectify.stats", {}))
        refs = ok(referral.call(suite.office, "referral.stats", {}))
        got_items, got_refs = count_items(items), count_refs(refs)
        if (got_items, got_refs) == (fed, leads):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"rectify holds {got_items} items of {fed}, referral {got_refs} leads of {leads}")
        time.sleep(0.2)


def count_items(stats):
    return stats["items"]


def count_refs(stats):
    return stats["leads"]


# --- copying QX01's rows for 49 more districts ----------------------------------------------------

def district_id(k):
    return f"QX{k:02d}"


def map_text(v, k):
    """A text of district k's copy: QX01 renamed, and in JSON the ids (`"problem":3`) moved."""
    v = v.replace(D1, district_id(k))
    if not v.startswith(("{", "[")):
        return v
    return JSON_IDS.sub(lambda m: f'"{m.group(1)}":{int(m.group(2)) + k * OFFSET}', v)


def copy_districts(db_path, ks):
    """Every row of the service's own tables, once per k in ks, renamed for district k: the rows
    added per table."""
    # with the search tokenizer: the copies are indexed by the store's triggers, so the search
    # tables (virtual, and their shadow tables) are not copied themselves
    con = searchlib.connect(db_path, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    con.execute("BEGIN")
    added = {}
    virtual = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                         " AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if t not in BASE_TABLES and not t.startswith("sqlite_")
              and not any(t == v or t.startswith(v + "_") for v in virtual)]
    for t in tables:
        cols = list(con.execute(f"PRAGMA table_info({t})"))
        names = [c[1] for c in cols]
        ids = [c[1] in ID_COLUMNS and "INT" in (c[2] or "").upper() for c in cols]
        rows = list(con.execute(f"SELECT {', '.join(names)} FROM {t}"))
        out = []
        for k in ks:
            for row in rows:
                new = tuple(map_text(v, k) if isinstance(v, str) else
                            v + k * OFFSET if (is_id and isinstance(v, int)) else v
                            for v, is_id in zip(row, ids))
                if new != row:            # a row that names nothing of QX01 is nobody's copy
                    out.append(new)
        searchlib.insert_many(con, t, names, out)      # few statements: the search triggers (searchlib)
        added[t] = len(out)
    con.execute("COMMIT")
    con.close()
    return added


def copy_store(src, dst):
    s, d = sqlite3.connect(src), sqlite3.connect(dst)
    s.backup(d)
    s.close()
    d.close()


# --- measuring ---------------------------------------------------------------------------------------

def overdue_all(rectify, signer):
    """Every page of the district's overdue list: the item ids."""
    ids, after = [], None
    while True:
        page = ok(rectify.call(signer, "rectify.list", {"overdue": True, "limit": PAGE,
                                                         **({"after": after} if after is not None else {})}))
        ids += [i["id"] for i in page["items"]]
        after = page["next"]
        if after is None:
            return ids


def stats_all(clients, signer):
    return {n: ok(clients[n].call(signer, f"{n}.stats", {})) for n in SERVICES}


def timed(fn):
    t = time.monotonic()
    v = fn()
    return (time.monotonic() - t) * 1000.0, v


def strip_volatile(doc):
    """A stats answer without what changes between two askings (times of the answer)."""
    if isinstance(doc, dict):
        return {k: strip_volatile(v) for k, v in doc.items() if k not in ("as_of", "generated_at", "today")}
    if isinstance(doc, list):
        return [strip_volatile(v) for v in doc]
    return doc


def run(root, wrong, suites):
    fa, fb = os.path.join(root, "a"), os.path.join(root, "b")
    os.mkdir(fa)
    os.mkdir(fb)
    t0 = time.monotonic()
    load = suites["load"] = make_suite(fa)
    load.start()
    fed, leads = load_district(load)
    wait_consumers(load, fed, leads)
    load_s = time.monotonic() - t0
    for n, st in load.stop().items():
        if st != 0:
            raise RuntimeError(f"xc-{n} stopped with {st} after the load:\n{load.deployments[n].log_tail(20)}")
    t1 = time.monotonic()
    added = {}
    for n in SERVICES:
        copy_store(os.path.join(fa, f"{n}.db"), os.path.join(fb, f"{n}.db"))
        added[n] = copy_districts(os.path.join(fb, f"{n}.db"), range(2, N_DISTRICTS + 1))
    copy_s = time.monotonic() - t1
    comment(f"{D1} loaded through the services in {load_s:.1f} s: {ROUNDS} rounds of {UNITS} units and "
            f"{VILLAGES} villages, {fed} items fed back and {leads} leads; copied for {N_DISTRICTS - 1} more "
            f"districts in {copy_s:.1f} s: " +
            "; ".join(f"{n} " + ", ".join(f"{t} +{c}" for t, c in added[n].items() if c) for n in SERVICES))
    # both restarted on their stores (new processes, as after a restart), side by side
    a = suites["a"] = make_suite(fa)
    b = suites["b"] = make_suite(fb)
    a.start()
    b.start()
    ca = {n: a.client(n) for n in SERVICES}
    cb = {n: b.client(n) for n in SERVICES}

    # the answers first (warms both sides' caches), then the times
    ov_a, ov_b = overdue_all(ca["rectify"], a.district), overdue_all(cb["rectify"], b.district)
    if sorted(ov_a) != sorted(ov_b):
        wrong.append(f"{D1}'s overdue list differs: {len(ov_a)} items at 1 district, {len(ov_b)} at {N_DISTRICTS}")
    if not ov_a:
        wrong.append(f"{D1} has no overdue item: the bench measures an empty list")
    st_a, st_b = stats_all(ca, a.district), stats_all(cb, b.district)
    for n in SERVICES:
        if strip_volatile(st_a[n]) != strip_volatile(st_b[n]):
            wrong.append(f"{D1}'s {n}.stats differs at 1 and at {N_DISTRICTS} districts:\n"
                         f"{json.dumps(st_a[n], ensure_ascii=False)[:600]}\n{json.dumps(st_b[n], ensure_ascii=False)[:600]}")
    city_a = ok(ca["intake"].call(a.office, "intake.stats", {}))["problems"]["total"]
    city_b = ok(cb["intake"].call(b.office, "intake.stats", {}))["problems"]["total"]
    if city_b != N_DISTRICTS * city_a:
        wrong.append(f"the city's intake.stats counts {city_b} problems at {N_DISTRICTS} districts, "
                     f"not {N_DISTRICTS} x {city_a}")
    comment(f"{D1}'s office sees {len(ov_a)} overdue items and {st_a['intake']['problems']['total']} problems "
            f"at 1 and at {N_DISTRICTS} districts; the city's intake.stats counts {city_a} and {city_b}")

    times = {(side, what): [] for side in "ab" for what in ("overdue", "stats", "health")}
    each = {(side, n): [] for side in "ab" for n in SERVICES}
    load_before = load_average()
    for run_no in range(RUNS):
        sides = (("a", a, ca), ("b", b, cb))
        for side, s, c in sides if run_no % 2 == 0 else sides[::-1]:    # neither side always first
            ms, _ = timed(lambda: ok(c["rectify"].call(s.district, "health", {})))
            times[(side, "health")].append(ms)
            ms, _ = timed(lambda: overdue_all(c["rectify"], s.district))
            times[(side, "overdue")].append(ms)
            total = 0.0
            for n in SERVICES:
                ms, _ = timed(lambda: ok(c[n].call(s.district, f"{n}.stats", {})))
                each[(side, n)].append(ms)
                total += ms
            times[(side, "stats")].append(total)
    for s in (a, b):
        for n, d in s.deployments.items():
            if d.proc.poll() is not None:
                wrong.append(f"xc-{n} died (exit {d.proc.returncode}):\n{d.log_tail(20)}")

    comment(f"load average before the queries {load_before}, after {load_average()} (others share the machine)")
    comment(f"p50 of {RUNS} runs, 1 district then {N_DISTRICTS}, as {D1}'s office; stats each: " +
            ", ".join(f"{n} {percentile(each[('a', n)], 50):.1f}/{percentile(each[('b', n)], 50):.1f} ms"
                      for n in SERVICES))
    health = percentile(times[("a", "health")], 50)
    for what in ("overdue", "stats"):
        t1, t50 = percentile(times[("a", what)], 50), percentile(times[("b", what)], 50)
        bench(f"districts_{what}_1", t1, "ms", health)
        bench(f"districts_{what}_50", t50, "ms", t1)
        ratio = t1 / t50 if t50 else 0.0
        if ratio < GOAL:
            msg = f"districts_{what}: t(1)/t({N_DISTRICTS}) = {ratio:.2f} < {GOAL}"
            if TINY:
                comment(f"{msg} (tiny: not judged)")
            else:
                wrong.append(msg)


def main():
    os.chdir(REPO)
    wrong = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="xc-districts-bench-") as root:
        suites = {}
        try:
            run(root, wrong, suites)
        except BaseException as e:      # noqa: BLE001 - pytest.fail (conftest) raises a BaseException
            wrong.append(f"{type(e).__name__}: {e}")
        finally:
            for side, s in suites.items():
                for n, st in s.stop().items():
                    if st not in (0, "not started"):
                        wrong.append(f"xc-{n} ({side}) exit status {st}:\n{s.deployments[n].log_tail(20)}")
    comment(f"districts_bench took {time.monotonic() - started:.1f} s{' (tiny)' if TINY else ''}")
    return report_wrong(wrong)


if __name__ == "__main__":
    sys.exit(main())
