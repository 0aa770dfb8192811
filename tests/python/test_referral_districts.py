"""District offices in referral (issue 20), through the real xc-intake and xc-referral: a district
office (role district, scope {"district": D}) over the referrals of the rounds D owns, as
policies.referral.districts.<D>.lead_access allows (none | status | full); another district sees
nothing of them; the city office sees all; round_owner on every alert; a district's own
deadlines (policy_source); a district's list and figures read by index.

Written from docs/services/referral.md, "District offices"."""

import datetime
import os
import sqlite3
import subprocess

import pytest

import searchlib
import xcwire
from conftest import REPO, Suite, running_suite
from test_referral_history import ok, refused, wait_for

SERVICES = ["intake", "referral"]
BODY_A, BODY_B, BODY_C = "discipline-a", "discipline-b", "discipline-city"
STATUS_ROW = {"id", "kind", "target", "round", "state", "method", "due", "overdue"}
ALERTS = ("referral.warning", "referral.overdue", "referral.extended", "referral.signed")


def principals():
    return {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
        "body_a": (BODY_A, "discipline", {"units": ["*"]}),
        "body_b": (BODY_B, "discipline", {"units": ["*"]}),
        "body_c": (BODY_C, "discipline", {"units": ["*"]}),
        "da": ("office-da", "district", {"district": "DA"}),
        "db": ("office-db", "district", {"district": "DB"}),
        "dx": ("office-dx", "district", {}),          # a district office whose scope names none
    }


def policy(access):
    # the city warns 100 days ahead, so every 3-month lead is warned on the first tick; DA has
    # its own span and warning days, DB only its lead_access
    return {"referral": {"warn_days": [100], "districts": {
        "DA": {"lead_access": access, "due": {"lead": "10 days"}, "warn_days": [30]},
        "DB": {"lead_access": "full"}}}}


def today():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()


def world(s):
    """Districts DA and DB with a town each, a city hospital; rounds RA (DA's), RB (DB's), RC (the
    city's, raised over DA's town: still the city's); a lead in each, referred through intake,
    and a problem of RA not yet referred. Returns {round: lead id} and that problem's id."""
    intake, referral = s.client("intake"), s.client("referral")
    for u in ({"id": "DA", "name": "青石区", "level": "district"},
              {"id": "TA", "name": "青石镇", "level": "town", "parent": "DA"},
              {"id": "DB", "name": "云溪区", "level": "district"},
              {"id": "TB", "name": "云溪镇", "level": "town", "parent": "DB"},
              {"id": "H1", "name": "市第一人民医院", "level": "hospital"}):
        ok(intake.call(s.office, "unit.register", u))
    year = today().year
    for rid, owner, unit in (("RA", "DA", "TA"), ("RB", "DB", "TB"), ("RC", "city", "TA")):
        ok(intake.call(s.office, "round.open", {
            "id": rid, "name": f"{rid}轮", "kind": "regular", "modes": [], "team": "team-1", "owner": owner,
            "targets": [{"unit": unit, "coverage": "main"}],
            "planned_start": f"{year}-01-05", "planned_end": f"{year}-02-05", "date": f"{year}-01-01"}))
        ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": f"{year}-01-05"}))
    problems = {}
    for rid, unit, body in (("RA", "TA", BODY_A), ("RB", "TB", BODY_B), ("RC", "TA", BODY_C), ("RA", "TA", None)):
        p = ok(intake.call(s.team, "problem.report", {
            "round": rid, "unit": unit, "category": "governance", "summary": f"{rid}{unit}的问题线索",
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
        if body:
            ok(intake.call(s.office, "problem.classify", {"problem": p, "dispositions": [{"kind": "lead", "body": body}]}))
            problems[rid] = p
        else:
            spare = p
    rows = wait_for(lambda: (lambda i: i if len(i) == 3 else None)(
        ok(referral.call(s.office, "referral.list", {}))["items"]))
    assert rows, ok(referral.call(s.office, "referral.list", {}))
    leads = {r["round"]: r["id"] for r in rows}
    assert set(leads) == {"RA", "RB", "RC"}
    return leads, spare


def office_events(s):
    """seq -> (type, data) of every referral event, as the office reads them."""
    out = {}
    for e in ok(s.client("referral").call(s.office, "events.read", {"after": 0, "limit": 1000}))["events"]:
        assert "message" in e, e
        _, body = xcwire.open_message(e["message"].encode("utf-8"), s.registry, event=True)
        out[e["seq"]] = (e["type"], body["data"])
    return out


def readable(s, who):
    """The seqs of referral's events whose message who may read."""
    got = ok(s.client("referral").call(who, "events.read", {"after": 0, "limit": 1000}))["events"]
    return {e["seq"] for e in got if "message" in e and not e.get("redacted")}


@pytest.fixture(params=["none", "status", "full"])
def suite(tmp_path, request):
    s = Suite(str(tmp_path), SERVICES, principals(), policy(request.param))
    s.access = request.param
    yield from running_suite(s)


def test_a_district_office_over_its_own_rounds_leads(suite):
    s = suite
    access = s.access
    referral = s.client("referral")
    leads, _ = world(s)
    a, b, c = leads["RA"], leads["RB"], leads["RC"]

    # the list: DA's own rounds' leads as its lead_access allows; never DB's or the city's
    rows = ok(referral.call(s.da, "referral.list", {}))["items"]
    if access == "none":
        assert rows == []
    else:
        assert [r["id"] for r in rows] == [a]
        if access == "status":
            assert set(rows[0]) == STATUS_ROW, rows[0]
        else:
            assert rows[0]["title"] == "RATA的问题线索" and rows[0]["unit"] == "TA"
    # DB (full over its own) sees its own round's lead only
    assert [r["id"] for r in ok(referral.call(s.db, "referral.list", {}))["items"]] == [b]
    # the city office sees all
    assert {r["id"] for r in ok(referral.call(s.office, "referral.list", {}))["items"]} == {a, b, c}

    # get: its own round's lead with full only (a logged read); another's never
    if access == "full":
        got = ok(referral.call(s.da, "referral.get", {"referral": a}))
        assert got["title"] == "RATA的问题线索" and got["round_owner"] == "DA"
    else:
        refused(referral.call(s.da, "referral.get", {"referral": a}), "forbidden", str(a))
    for other in (b, c):
        refused(referral.call(s.da, "referral.get", {"referral": other}), "forbidden", str(other))
    refused(referral.call(s.db, "referral.get", {"referral": a}), "forbidden")
    reads = [d for t, d in office_events(s).values() if t == "lead.read"]
    assert [(d["referral"], d["reader"]) for d in reads] == ([(a, "office-da")] if access == "full" else [])

    # figures: over DA's rounds with status or full; none, another owner: forbidden
    if access == "none":
        refused(referral.call(s.da, "referral.stats", {}), "forbidden", "lead_access")
    else:
        got = ok(referral.call(s.da, "referral.stats", {}))
        assert got["leads"] == 1 and got["filters"] == {"owner": "DA"}
        assert ok(referral.call(s.da, "referral.stats", {"owner": "DA"}))["leads"] == 1
    for owner in ("DB", "city", "district"):
        refused(referral.call(s.da, "referral.stats", {"owner": owner}), "forbidden")
    assert ok(referral.call(s.office, "referral.stats", {"owner": "DA"}))["leads"] == 1
    assert ok(referral.call(s.office, "referral.stats", {}))["leads"] == 3

    # extend: its own round's referrals (whatever it may read), not another's
    got = ok(referral.call(s.office, "referral.get", {"referral": a}))
    later = (datetime.date.fromisoformat(got["due"]["date"]) + datetime.timedelta(days=30)).isoformat()
    ok(referral.call(s.da, "referral.extend", {"referral": a, "due": later, "reason": "区纪委请求延期"}))
    for other in (b, c):
        refused(referral.call(s.da, "referral.extend", {"referral": other, "due": "2099-01-01", "reason": "越权"}),
                "forbidden", "DA")
    # the city office still directs all
    got_c = ok(referral.call(s.office, "referral.get", {"referral": c}))
    later_c = (datetime.date.fromisoformat(got_c["due"]["date"]) + datetime.timedelta(days=5)).isoformat()
    ok(referral.call(s.office, "referral.extend", {"referral": c, "due": later_c, "reason": "市纪委请求延期"}))
    # a district office without a district in its scope may do nothing
    refused(referral.call(s.dx, "referral.list", {}), "forbidden", "scope")
    refused(referral.call(s.dx, "referral.extend", {"referral": a, "due": "2099-01-01", "reason": "无"}), "forbidden")

    # events: DA reads its rounds' alerts with status, all their events with full; the rest redacted
    owner_of = {a: "DA", b: "DB", c: "city"}

    def seen_events():
        events = office_events(s)
        return events if any(t == "referral.warning" for t, _ in events.values()) else None
    events = wait_for(seen_events)
    assert events, "no referral.warning"
    mine = readable(s, s.da)
    for seq, (t, d) in events.items():
        own = owner_of.get(d.get("referral")) == "DA"
        expect = own and (access == "full" or (access == "status" and t in ALERTS))
        assert (seq in mine) == expect, (access, t, d)
    # DB reads its own round's created lead (full), never DA's
    theirs = readable(s, s.db)
    for seq, (t, d) in events.items():
        if d.get("referral") == a:
            assert seq not in theirs, (t, d)
        if d.get("referral") == b and t == "referral.created":
            assert seq in theirs


def test_round_owner_on_every_alert_and_a_districts_own_deadlines(tmp_path):
    s = Suite(str(tmp_path), SERVICES, principals(), policy("status"))
    for _ in running_suite(s):
        referral = s.client("referral")
        leads, spare = world(s)
        a, b, c = leads["RA"], leads["RB"], leads["RC"]
        owner_of = {a: "DA", b: "DB", c: "city"}
        # DA's rules set its lead's due date (10 days) and warnings (30); DB has none of its own
        got = ok(referral.call(s.office, "referral.get", {"referral": a}))
        assert got["due"]["policy"] == "10 days" and got["due"]["policy_source"] == "DA"
        assert got["due"]["warnings"] == {"days": [30], "policy_source": "DA"}
        assert got["round_owner"] == "DA"
        days = (datetime.date.fromisoformat(got["due"]["date"]) - today()).days
        assert 10 <= days <= 14, got["due"]
        for rid in (b, c):
            got = ok(referral.call(s.office, "referral.get", {"referral": rid}))
            assert got["due"]["policy"] == "3 months" and got["due"]["policy_source"] == "city"
            assert got["due"]["warnings"] == {"days": [100], "policy_source": "city"}
            assert got["round_owner"] == owner_of[rid]

        # a district's special report on its own round, signed by the district office
        report = ok(referral.call(s.da, "referral.create", {
            "kind": "report", "target": "dept-a", "title": "关于村级财务的专题报告", "detail": "……",
            "round": "RA"}))["referral"]
        owner_of[report] = "DA"
        ok(referral.call(s.da, "referral.sign", {"referral": report, "leader": {"name": "王五", "title": "区委书记"}}))
        refused(referral.call(s.db, "referral.sign", {"referral": report, "leader": {"name": "赵六", "title": "区委书记"}}),
                "forbidden", "DB")
        city_report = ok(referral.call(s.office, "referral.create", {
            "kind": "report", "target": "dept-a", "title": "市级专题报告", "detail": "……"}))["referral"]
        owner_of[city_report] = "city"
        refused(referral.call(s.da, "referral.sign", {"referral": city_report,
                                                     "leader": {"name": "王五", "title": "区委书记"}}), "forbidden")
        ok(referral.call(s.office, "referral.sign", {"referral": city_report,
                                                    "leader": {"name": "张三", "title": "市委书记"}}))
        ok(referral.call(s.office, "referral.extend", {"referral": b, "due": "2099-01-01", "reason": "延期"}))

        # warnings on the first ticks; then referral's clock past every due date: overdue
        def warned():
            got = {d["referral"] for t, d in office_events(s).values() if t == "referral.warning"}
            return got if {a, c} <= got else None
        assert wait_for(warned), office_events(s)
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=200)
        ok(referral.call(s.office, "clock.set", {"clock": later.strftime("%Y-%m-%dT%H:%M:%SZ")}))

        def overdue():
            got = {d["referral"] for t, d in office_events(s).values() if t == "referral.overdue"}
            return got if {a, c} <= got else None
        assert wait_for(overdue), office_events(s)
        seen = set()
        for t, d in office_events(s).values():
            if t in ALERTS:
                assert d["round_owner"] == owner_of[d["referral"]], (t, d)
                seen.add((t, d["round_owner"]))
        assert {("referral.warning", "DA"), ("referral.warning", "city"), ("referral.overdue", "DA"),
                ("referral.overdue", "city"), ("referral.extended", "DB"), ("referral.signed", "DA"),
                ("referral.signed", "city")} <= seen, seen
        # the district's figures count its overdue lead, the report it made
        got = ok(referral.call(s.da, "referral.stats", {}))
        assert (got["leads"], got["reports"], got["reports_signed"], got["overdue_now"]) == (1, 1, 1, 2), got


def test_a_district_refers_only_its_own_rounds_problems(tmp_path):
    pol = policy("full")
    pol["referral"]["history_roles"] = ["office", "district"]     # districts load their own paper records
    s = Suite(str(tmp_path), SERVICES, principals(), pol)
    for _ in running_suite(s):
        referral, intake = s.client("referral"), s.client("intake")
        leads, spare = world(s)
        rows = ok(intake.call(s.office, "problem.list", {"round": "RB"}))["items"]
        problem_b = rows[0]["id"]
        # its own round's problem: made, under its rules (a handover has no span of DA's: the city's)
        made = ok(referral.call(s.da, "referral.create", {
            "kind": "handover", "target": "dept-a", "title": "移交住建局", "detail": "……", "problem": spare}))
        got = ok(referral.call(s.da, "referral.get", {"referral": made["referral"]}))
        assert got["round"] == "RA" and got["round_owner"] == "DA" and got["due"]["policy_source"] == "city"
        # another district's problem, the city's round, an unknown round, no round at all: forbidden
        refused(referral.call(s.da, "referral.create", {
            "kind": "handover", "target": "dept-a", "title": "越权", "detail": "……", "problem": problem_b}),
            "forbidden", str(problem_b))
        refused(referral.call(s.da, "referral.create", {
            "kind": "handover", "target": "dept-a", "title": "越权", "detail": "……", "problem": problem_b,
            "round": "RA"}), "forbidden", str(problem_b))
        for data in ({"round": "RC"}, {"round": "RB"}, {"round": "R9"}, {}, {"problem": 9999}):
            refused(referral.call(s.da, "referral.create", dict(
                {"kind": "report", "target": "dept-a", "title": "越权", "detail": "……"}, **data)), "forbidden")
        # its own problem named with another round: schema
        refused(referral.call(s.da, "referral.create", {
            "kind": "report", "target": "dept-a", "title": "错轮次", "detail": "……", "problem": spare,
            "round": "RB"}), "schema", "RA")
        refused(referral.call(s.dx, "referral.create", {
            "kind": "report", "target": "dept-a", "title": "无区", "detail": "……", "round": "RA"}), "forbidden")
        # nothing of the refused was stored
        assert len(ok(referral.call(s.office, "referral.list", {}))["items"]) == 4
        # a district among the history roles records a body's act from paper on its own rounds' only
        day = today().isoformat()
        for who, rid in ((s.da, leads["RB"]), (s.da, leads["RC"]), (s.db, leads["RA"])):
            refused(referral.call(who, "referral.acknowledge", {"referral": rid, "occurred_on": day}), "forbidden")
        ok(referral.call(s.da, "referral.acknowledge", {"referral": leads["RA"], "occurred_on": day}))
        got = ok(referral.call(s.office, "referral.get", {"referral": leads["RA"]}))
        ack = [h for h in got["history"] if h["action"] == "acknowledged"]
        assert ack and ack[0]["by"] == "office-da" and ack[0]["data"]["recorded_from_history"] is True
        for rid in (leads["RB"], leads["RC"]):
            assert ok(referral.call(s.office, "referral.get", {"referral": rid}))["state"] == "referred"


@pytest.mark.parametrize("districts,said", [
    ({"DA": {"lead_access": "all"}}, "policies.referral.districts.DA.lead_access"),
    ({"DA": {"history_roles": ["district"]}}, "policies.referral.districts.DA.history_roles: unknown key"),
    ({"DA": {"due": {"lead": "soon"}}}, "policies.referral.districts.DA.due.lead"),
    ({"DA": {"warn_days": [5, 5]}}, "policies.referral.districts.DA.warn_days: 5 twice"),
    ({"D A": {"lead_access": "full"}}, "not a district id"),
])
def test_a_bad_district_override_stops_the_service_naming_it(tmp_path, districts, said):
    s = Suite(str(tmp_path), SERVICES, {"office": ("office", "office", {})}, {"referral": {"districts": districts}})
    r = subprocess.run([os.path.join(REPO, "build", "bin", "xc-referral"), "--config", s.config_path, "--test-mode"],
                       cwd=str(tmp_path), capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, r
    assert said in r.stderr + r.stdout, r


def test_a_districts_list_and_figures_are_read_by_index(tmp_path):
    """50 districts' referrals in the store: one district's list and figures read its rows by
    the indexes (the statements as queries.c builds them), and answer for it alone."""
    s = Suite(str(tmp_path), SERVICES, principals(), policy("full"))
    for _ in running_suite(s):
        referral = s.client("referral")
        world(s)
        db_path = os.path.join(s.folder, "referral.db")
        db = searchlib.connect(db_path, timeout=10)    # beside the running service (WAL); indexed
        with db:
            for n in range(50):
                d = f"D{n:02d}"
                db.execute("INSERT INTO units (id, level) VALUES (?, 'district')", (d,))
                db.execute("INSERT INTO rounds (id, name, kind, owner_level, owner_district, year)"
                           " VALUES (?, ?, 'regular', 'district', ?, 2026)", (f"R{d}", d, d))
                db.executemany(
                    "INSERT INTO referrals (kind, target, title, content, state, referred_on, due, due_start,"
                    " due_policy, due_explain, created_by, round, owner_district)"
                    " VALUES ('lead', ?, 't', '{}', 'referred', '2026-01-05', '2026-04-05', '2026-01-05',"
                    " '3 months', '', 'intake', ?, ?)", [(f"body-{d}", f"R{d}", d)] * 40)
        plans = {}
        for name, sql, args in (
                ("list", "SELECT id FROM referrals WHERE id IN (SELECT id FROM referrals WHERE target = ?1"
                         " UNION ALL SELECT id FROM referrals WHERE owner_district = ?2 AND target <> ?1)"
                         " AND id > 0 ORDER BY id LIMIT 101", ("office-da", "DA")),
                ("stats", "SELECT count(*) FROM referrals r WHERE 1 AND r.round IN"
                          " (SELECT id FROM rounds WHERE owner_district = ?1)", ("DA",))):
            plans[name] = " | ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, args))
        db.close()
        assert "referrals_by_target" in plans["list"] and "referrals_by_district" in plans["list"], plans
        assert "rounds_by_district" in plans["stats"] and "referrals_by_round" in plans["stats"], plans
        for plan in plans.values():
            assert "SCAN referrals" not in plan.replace("SCAN referrals USING", ""), plans
        assert [r["round"] for r in ok(referral.call(s.da, "referral.list", {}))["items"]] == ["RA"]
        assert ok(referral.call(s.da, "referral.stats", {}))["leads"] == 1
        got = ok(referral.call(s.office, "referral.stats", {"owner": "D07"}))
        assert got["leads"] == 40


def test_crossed_and_raised_rounds_leads_stay_with_the_rounds_owner(tmp_path):
    """A crossed round (DA's, teams of DB): its leads are DA's, DB reads none (it reads the round's
    records in intake, never its leads); a raised round (the city's, over DA's units): the city's,
    DA sees none. Both with lead_access full."""
    pol = policy("full")
    s = Suite(str(tmp_path), SERVICES, principals(), pol)
    for _ in running_suite(s):
        intake, referral = s.client("intake"), s.client("referral")
        world(s)
        year = today().year
        for rid, owner, link in (("RX", "DA", {"kind": "crossed", "by": "DB"}),
                                 ("RR", "city", {"kind": "raised", "district": "DA"})):
            ok(intake.call(s.office, "round.open", {
                "id": rid, "name": f"{rid}轮", "kind": "regular", "modes": [], "team": "team-1", "owner": owner,
                "link": link, "targets": [{"unit": "TA", "coverage": "main"}],
                "planned_start": f"{year}-03-05", "planned_end": f"{year}-04-05", "date": f"{year}-03-01"}))
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": f"{year}-03-05"}))
            p = ok(intake.call(s.team, "problem.report", {
                "round": rid, "unit": "TA", "category": "governance", "summary": f"{rid}的问题线索",
                "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
            ok(intake.call(s.office, "problem.classify", {"problem": p, "dispositions": [{"kind": "lead", "body": BODY_A}]}))
        rows = wait_for(lambda: (lambda i: i if len(i) == 5 else None)(
            ok(referral.call(s.office, "referral.list", {}))["items"]))
        assert rows, ok(referral.call(s.office, "referral.list", {}))
        by_round = {r["round"]: r["id"] for r in rows}
        x, rr = by_round["RX"], by_round["RR"]
        assert {r["round"] for r in ok(referral.call(s.da, "referral.list", {}))["items"]} == {"RA", "RX"}
        assert {r["round"] for r in ok(referral.call(s.db, "referral.list", {}))["items"]} == {"RB"}
        assert ok(referral.call(s.da, "referral.get", {"referral": x}))["round_owner"] == "DA"
        refused(referral.call(s.db, "referral.get", {"referral": x}), "forbidden")
        refused(referral.call(s.da, "referral.get", {"referral": rr}), "forbidden")
        assert ok(referral.call(s.office, "referral.get", {"referral": rr}))["round_owner"] == "city"
        refused(referral.call(s.db, "referral.extend", {"referral": x, "due": "2099-01-01", "reason": "越权"}),
                "forbidden")
        refused(referral.call(s.da, "referral.extend", {"referral": rr, "due": "2099-01-01", "reason": "越权"}),
                "forbidden")
        assert ok(referral.call(s.db, "referral.stats", {}))["leads"] == 1
        assert ok(referral.call(s.da, "referral.stats", {}))["leads"] == 2
        events = office_events(s)
        da, db = readable(s, s.da), readable(s, s.db)
        for seq, (t, d) in events.items():
            if d.get("referral") == x:
                assert seq in da and seq not in db, (t, d)
            if d.get("referral") == rr:
                assert seq not in da and seq not in db, (t, d)
        # referral keeps each round's link
        db_ = sqlite3.connect(os.path.join(s.folder, "referral.db"), timeout=10)
        links = dict(((r, (k, d)) for r, k, d in db_.execute(
            "SELECT id, link_kind, link_district FROM rounds WHERE id IN ('RX', 'RR')")))
        db_.close()
        assert links == {"RX": ("crossed", "DB"), "RR": ("raised", "DA")}, links
