"""The records' events after an upgrade (issue 23's backfill; common/store.h, jws_payload):
every item, referral and problem made before item_events, referral_events and problem_events
existed lists exactly the events it would have listed had the tables always been there.

Records are made through the real binaries (xc-intake, xc-rectify, xc-referral) with a range of
events: items planned, claimed, reviewed (accepted and rejected), extended, warned and overdue
(clock.set); referrals through their life (an extension asked and granted, acknowledged,
disposed, an outcome, concluded; a handover overdue; a report signed; leads read, whose
lead.read is never among a referral's events); problems recorded, classified (feedback, lead,
handover), fed back and merged. Each record's `events` is read from its get reply; the suite is
stopped, each store turned back into its shape before issue 23 (the new tables dropped,
user_version set back past the two migrations, base version kept), started again: every record's
`events` must be what it was. A store with a tampered outbox row (not a JWS any more) still
migrates and starts; that row alone is missing from its record's events.
"""

import datetime
import sqlite3
import time

import pytest

import searchlib
from conftest import Suite, running_suite
from test_rectify import local_day, ok

BODY = "discipline-commission"
DEPT = "dept-housing"
WAIT = 15.0
PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
    "unit_b": ("unit-b", "unit", {"units": ["U-B"]}),
    "body": (BODY, "discipline", {"units": ["*"]}),
    "dept": (DEPT, "department", {"units": ["*"]}),
}
# each service's tables of issue 23 (documents: rectify's register, empty here) and how many
# service migrations (the tables', the backfill) to go back
ISSUE_23 = {"rectify": ["documents", "item_events"], "referral": ["referral_events"],
            "intake": ["problem_events"]}
FEEDBACK = local_day(-5)


def wait_for(fn, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            assert v, f"timed out waiting for {what}"
            return v
        time.sleep(0.05)


def clock(day):
    """day (a date) at 10:00 UTC+8, as clock.set takes it."""
    return f"{day.isoformat()}T02:00:00Z"


def outbox_types(client, office):
    types, after = [], 0
    while True:
        res = ok(client.call(office, "events.read", {"after": after, "limit": 500}))
        if not res["events"]:
            return types
        types += [e["type"] for e in res["events"]]
        after = res["events"][-1]["seq"]


def make_world(s):
    intake, rectify, referral = s.client("intake"), s.client("rectify"), s.client("referral")
    o = s.office
    for u in ({"id": "D-1", "name": "云溪区", "level": "district"},
              {"id": "U-A", "name": "青石镇", "level": "town", "parent": "D-1"},
              {"id": "U-B", "name": "市教育局", "level": "city_department"}):
        ok(intake.call(o, "unit.register", u))
    ok(intake.call(o, "round.open", {
        "id": "R1", "name": "十一届第一轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "main"}],
        "planned_start": str(local_day(-80)), "planned_end": str(local_day(-40)), "date": str(local_day(-90))}))
    for stage, day in (("stationed", local_day(-80)), ("withdrawn", local_day(-40))):
        ok(intake.call(o, "round.advance", {"round": "R1", "stage": stage, "date": str(day)}))

    def report(unit, summary):
        return ok(intake.call(s.team, "problem.report", {
            "round": "R1", "unit": unit, "category": "public_concerns", "summary": summary,
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]

    p = {name: report(unit, f"{name}的问题") for name, unit in (
        ("deadline_a", "U-A"), ("deadline_b", "U-B"), ("immediate_a", "U-A"), ("lead", "U-A"),
        ("handover", "U-B"), ("dup_into", "U-A"), ("dup_1", "U-A"), ("dup_2", "U-A"), ("only", "U-B"))}
    ok(intake.call(o, "problem.merge", {"into": p["dup_into"], "from": [p["dup_1"], p["dup_2"]]}))
    for name, dispositions in (
            ("deadline_a", [{"kind": "feedback", "timeliness": "deadline"}]),
            ("deadline_b", [{"kind": "feedback", "timeliness": "deadline"}]),
            ("immediate_a", [{"kind": "feedback", "timeliness": "immediate"}]),
            ("lead", [{"kind": "lead", "body": BODY, "note": "线索"}, {"kind": "feedback", "timeliness": "long_term"}]),
            ("handover", [{"kind": "handover", "department": DEPT}]),
            ("dup_into", [{"kind": "feedback", "timeliness": "deadline"}])):
        ok(intake.call(o, "problem.classify", {"problem": p[name], "dispositions": dispositions}))
    for stage, day in (("reported", local_day(-20)), ("feedback_delivered", FEEDBACK)):
        ok(intake.call(o, "round.advance", {"round": "R1", "stage": stage, "date": str(day)}))

    items = wait_for(lambda: (lambda i: i if len(i) == 5 else None)(
        ok(rectify.call(o, "rectify.list", {"limit": 500}))["items"]), "rectify's five items")
    by_problem = {i["problem"]: i["id"] for i in items}
    a, b, imm = by_problem[p["deadline_a"]], by_problem[p["deadline_b"]], by_problem[p["immediate_a"]]
    got = ok(rectify.call(o, "rectify.get", {"item": a}))
    item_due = {d["deadline"]: d["due"] for d in got["deadlines"]}["item"]
    # a: planned, claimed, accepted; imm: claimed, rejected, claimed again; b: extended, then
    # warned and overdue (plan) by the clock
    ok(rectify.call(s.unit_a, "rectify.plan", {"item": a, "measures": [
        {"text": "新建宿舍楼", "owner": "王建国", "lead_leader": "李副镇长", "deadline": item_due}]}))
    evidence = [{"file": "验收报告.pdf", "sha256": "ab" * 32}]
    ok(rectify.call(s.unit_a, "rectify.claim", {"item": a, "completion": "completed", "evidence": evidence,
                                                "outcomes": {}}))
    ok(rectify.call(o, "rectify.review", {"item": a, "decision": "accept"}))
    ok(rectify.call(s.unit_a, "rectify.claim", {"item": imm, "completion": "mostly_completed",
                                                "evidence": evidence, "outcomes": {}}))
    ok(rectify.call(o, "rectify.review", {"item": imm, "decision": "reject", "reason": "证据不足"}))
    ok(rectify.call(s.unit_a, "rectify.claim", {"item": imm, "completion": "completed", "evidence": evidence,
                                                "outcomes": {}}))
    later = (datetime.date.fromisoformat(item_due) + datetime.timedelta(days=30)).isoformat()
    ok(rectify.call(o, "rectify.extend", {"item": b, "due": later, "reason": "客观原因", "deadline": "item"}))
    plan_due = datetime.date.fromisoformat({d["deadline"]: d["due"] for d in ok(
        rectify.call(o, "rectify.get", {"item": b}))["deadlines"]}["plan"])
    ok(rectify.call(o, "clock.set", {"clock": clock(plan_due - datetime.timedelta(days=3))}))
    wait_for(lambda: "rectify.warning" in outbox_types(rectify, o), "a rectify.warning")
    ok(rectify.call(o, "clock.set", {"clock": clock(plan_due + datetime.timedelta(days=3))}))
    wait_for(lambda: "rectify.overdue" in outbox_types(rectify, o), "a rectify.overdue")

    refs = wait_for(lambda: (lambda i: i if len(i) == 2 else None)(
        ok(referral.call(o, "referral.list", {}))["items"]), "referral's lead and handover")
    lead = [r["id"] for r in refs if r["kind"] == "lead"][0]
    handover = [r["id"] for r in refs if r["kind"] == "handover"][0]
    due = ok(referral.call(o, "referral.get", {"referral": lead}))["due"]["date"]   # a lead.read
    asked = (datetime.date.fromisoformat(due) + datetime.timedelta(days=20)).isoformat()
    ok(referral.call(s.body, "referral.request_extension", {"referral": lead, "due": asked, "reason": "案情复杂"}))
    ok(referral.call(o, "referral.extend", {"referral": lead, "due": asked, "reason": "同意"}))
    ok(referral.call(s.body, "referral.acknowledge", {"referral": lead}))
    ok(referral.call(s.body, "referral.get", {"referral": lead}))                     # another read
    ok(referral.call(s.body, "referral.dispose", {"referral": lead, "method": "preliminary_verification",
                                                  "note": "初核"}))
    ok(referral.call(s.body, "referral.outcome", {"referral": lead, "case_filed": True, "people": [{"form": 2}]}))
    ok(referral.call(s.body, "referral.conclude", {"referral": lead, "note": "办结"}))
    report_id = ok(referral.call(o, "referral.create", {
        "kind": "report", "target": DEPT, "title": "专题报告", "detail": "关于教育系统的专题报告"}))["referral"]
    ok(referral.call(o, "referral.sign", {"referral": report_id, "leader": {"name": "张三", "title": "书记"}}))
    hdue = datetime.date.fromisoformat(ok(referral.call(o, "referral.get", {"referral": handover}))["due"]["date"])
    ok(referral.call(o, "clock.set", {"clock": clock(hdue - datetime.timedelta(days=5))}))
    wait_for(lambda: "referral.warning" in outbox_types(referral, o), "a referral.warning")
    ok(referral.call(o, "clock.set", {"clock": clock(hdue + datetime.timedelta(days=2))}))
    wait_for(lambda: "referral.overdue" in outbox_types(referral, o), "a referral.overdue")
    assert "lead.read" in outbox_types(referral, o)


def all_events(s):
    """{(service, record id): [events]} for every record of the three services, as the office
    reads them."""
    intake, rectify, referral = s.client("intake"), s.client("rectify"), s.client("referral")
    o = s.office
    out = {}
    for i in ok(rectify.call(o, "rectify.list", {"limit": 500}))["items"]:
        out[("rectify", i["id"])] = ok(rectify.call(o, "rectify.get", {"item": i["id"]}))["events"]
    for r in ok(referral.call(o, "referral.list", {"limit": 500}))["items"]:
        out[("referral", r["id"])] = ok(referral.call(o, "referral.get", {"referral": r["id"]}))["events"]
    page = ok(intake.call(o, "problem.list", {"limit": 500}))
    problems = page.get("problems", page.get("items"))
    assert problems, page
    for p in problems:
        out[("intake", p["id"])] = ok(intake.call(o, "problem.get", {"problem": p["id"]}))["events"]
    return out


def restart(s, change):
    """Ends every service, runs change(service, sqlite3 connection) on each store, starts them
    again (in order: intake first, its consumers after)."""
    for d in reversed(list(s.deployments.values())):
        assert d.end_process() == 0, d.log_tail()
    for name, d in s.deployments.items():
        db = searchlib.connect(f"{s.folder}/{name}.db")   # a search table's tokenizer (DROP)
        try:
            change(name, db)
            db.commit()
        finally:
            db.close()
    for d in s.deployments.values():
        d.start()


# the migrations after issue 23's, each service's, with the tables each makes (issue 24's
# public channel in intake, the evidence files: common/files.h), gone too when the store goes back before issue 23
FILES = ["files", "file_chunks", "file_uploads", "file_parts", "file_refs"]
LATER = {"intake": [["public_receipts", "public_questions"], FILES, ["problem_search"]],
         "rectify": [FILES, ["item_search"]], "referral": [FILES, ["referral_search"]]}


def before_issue_23(name, db):
    """The store as a release before issue 23 left it: its tables and those of the migrations
    after it gone, the service version back past them (the tables' migration, the backfill and
    LATER's), the base version as it is."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    base, service = version >> 16, version & 0xffff
    back = 2 + len(LATER[name])
    assert base == 7 and service >= back, version
    dropped = ISSUE_23[name] + [t for later in LATER[name] for t in later]
    for table in dropped:
        db.execute(f"DROP TABLE {table}")
    # a search table's view of its text (<table>_text, rectify's and referral's) and its
    # triggers (on the record tables, named after it) go with it
    for table in dropped:
        db.execute(f"DROP VIEW IF EXISTS {table}_text")
    for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        if any(trigger.startswith(t + "_") for t in dropped):
            db.execute(f"DROP TRIGGER {trigger}")
    db.execute(f"PRAGMA user_version = {(base << 16) | (service - back)}")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    s = Suite(str(tmp_path_factory.mktemp("backfill")), ["intake", "rectify", "referral"], PRINCIPALS,
              {"referral": {"history_quiet": "0 days"}})
    gen = running_suite(s)
    next(gen)
    try:
        make_world(s)
        yield s
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def test_every_record_lists_the_same_events_after_the_backfill(world):
    s = world
    before = all_events(s)
    # the range the backfill must reproduce: records of each service, with events of many types
    assert {k[0] for k in before} == {"rectify", "referral", "intake"}
    assert len(before) == 5 + 3 + 9, sorted(before)
    types = {e["type"] for events in before.values() for e in events}
    for t in ("rectify.opened", "rectify.planned", "rectify.claimed", "rectify.closed", "rectify.extended",
              "rectify.warning", "rectify.overdue", "referral.acknowledged", "referral.concluded",
              "referral.extended", "referral.signed", "referral.warning", "referral.overdue",
              "problem.recorded", "problem.classified", "problem.referred", "problem.handed_over",
              "problem.fed_back", "problem.merged"):
        assert t in types, (t, sorted(types))
    assert "lead.read" not in types
    counts = {k: len(v) for k, v in before.items()}
    print("events per record before:", counts)
    assert all(counts.values()), counts

    restart(s, lambda name, db: before_issue_23(name, db))
    rows = {}
    for name in ISSUE_23:   # the tables were really gone and made again
        db = sqlite3.connect(f"{s.folder}/{name}.db")
        rows[name] = db.execute(f"SELECT count (*) FROM {ISSUE_23[name][-1]}").fetchone()[0]
        db.close()
    after = all_events(s)
    assert set(after) == set(before)
    differ = {key: (before[key], after[key]) for key in before if after[key] != before[key]}
    assert not differ, differ
    assert rows == {name: sum(len(v) for k, v in before.items() if k[0] == name) for name in ISSUE_23}, rows


def test_a_tampered_event_is_skipped_and_the_services_start(world):
    s = world
    before = all_events(s)
    # one event of a record in each service, made no JWS any more (its payload is not base64url)
    victims = {"rectify": next(k for k in before if k[0] == "rectify" and len(before[k]) > 2),
               "referral": next(k for k in before if k[0] == "referral" and len(before[k]) > 2),
               "intake": next(k for k in before if k[0] == "intake" and len(before[k]) > 2)}
    tampered = {name: before[victims[name]][1]["seq"] for name in victims}

    def change(name, db):
        before_issue_23(name, db)
        seq = tampered[name]
        db.execute("UPDATE outbox SET message = replace (message, '\"payload\":\"', '\"payload\":\"!') WHERE seq = ?",
                   (seq,))
        assert db.execute("SELECT message LIKE '%\"payload\":\"!%' FROM outbox WHERE seq = ?", (seq,)).fetchone()[0]

    restart(s, change)
    after = all_events(s)
    assert set(after) == set(before)
    for key in before:
        want = before[key]
        if key == victims[key[0]]:
            want = [e for e in want if e["seq"] != tampered[key[0]]]
            assert len(want) == len(before[key]) - 1
        assert after[key] == want, (key, want, after[key])
