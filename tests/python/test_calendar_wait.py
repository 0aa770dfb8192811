"""Deadlines at the edge of the calendar, with the real services: a feedback and a lead on
2026-12-24 under working-day policies need the 2027 calendar file, which the deployment's
calendar folder (a copy made here, never the repo's config/calendar) does not have yet. They
wait, visibly (health, a notice to the office), while another unit's item opens; a later event
about the same unit waits behind them; a 2027.json copied into the folder is picked up without a
restart and everything that waited gets its deadline, in intake's order. The office is told once
that next year's file is missing.
"""
import datetime
import os
import shutil
import time

import pytest

from conftest import REPO, Suite, is_workday, running_suite, write_json

SERVICES = ["intake", "referral", "rectify", "notify"]
FEEDBACK = "2026-12-24"
WAIT = 15.0


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def wait_for(fn, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


@pytest.fixture
def suite(tmp_path):
    folder = os.path.join(str(tmp_path), "calendar")
    os.mkdir(folder)
    for year in (2025, 2026):
        shutil.copy(os.path.join(REPO, "config", "calendar", f"{year}.json"), folder)
    s = Suite(str(tmp_path), SERVICES, {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
        "discipline": ("discipline-commission", "discipline", {"units": ["*"]}),
    }, {
        "rectify": {"regimes": {"wd": {"plan_due": "10 workdays", "report_due": "20 workdays"}},
                    "default_regime": "wd", "immediate_due": "5 workdays",
                    "calendar_warn_from": "11-01"},
        "referral": {"due": {"lead": "20 workdays"}},
        "notify": {"directory": {"office-desk": {"name": "市委巡察办", "roles": ["office"],
                                                 "principal": "office", "channels": {"stream": True}}}},
    })
    s.calendar = folder
    s.config["calendar"] = folder
    s.config["limits"]["calendar_check_ms"] = 200
    write_json(s.config_path, s.config)
    yield from running_suite(s)


def add_workdays(folder, start, n):
    """start + n working days by the year files in folder (as the services count them);
    None when a year it needs has no file."""
    day = start
    while n > 0:
        day += datetime.timedelta(days=1)
        work = is_workday(folder, day)
        if work is None:
            return None
        n -= work
    return day


def set_clock(s, client, when):
    got = ok(client.call(s.office, "clock.set", {"clock": when}))
    return got["clock"]


def health(s, client):
    return ok(client.call(s.office, "health", {}))


def events(s, client, types):
    out, after = [], 0
    while True:
        res = ok(client.call(s.office, "events.read", {"after": after, "limit": 200}))
        for e in res["events"]:
            after = e["seq"]
            if e["type"] in types:
                out.append(e)
        if not res["events"]:
            return out


def notices(s, notify):
    return ok(notify.call(s.office, "notify.read", {"after": 0, "limit": 500}))["notices"]


def report(s, intake, rid, unit, summary, disposition):
    p = ok(intake.call(s.team, "problem.report", {
        "round": rid, "unit": unit, "category": "public_concerns", "summary": summary,
        "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
    ok(intake.call(s.office, "problem.classify", {"problem": p, "dispositions": [disposition]}))
    return p


def round_to_feedback(s, intake, rid, units, problems):
    """A round on units, its problems reported and classified, fed back on FEEDBACK."""
    ok(intake.call(s.office, "round.open", {
        "id": rid, "name": f"十一届第{rid}轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": u, "coverage": "main"} for u in units],
        "planned_start": "2026-10-10", "planned_end": "2026-11-10", "date": "2026-10-01"}))
    ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": "2026-10-10"}))
    ids = [report(s, intake, rid, *p) for p in problems]
    for stage, date in [("withdrawn", "2026-11-10"), ("reported", "2026-11-20"),
                        ("feedback_delivered", FEEDBACK)]:
        ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": date}))
    return ids


def test_a_deadline_in_a_year_without_its_file_waits_and_the_rest_goes_on(suite):
    s = suite
    c = {name: s.client(name) for name in SERVICES}
    intake, rectify, referral, notify = c["intake"], c["rectify"], c["referral"], c["notify"]
    for name in ("intake", "referral", "rectify"):
        clock = set_clock(s, c[name], "2026-12-24T02:00:00Z")
    today = datetime.date.fromisoformat(clock[:10])
    for u, name in (("U-A", "青石镇"), ("U-B", "市教育局")):
        ok(intake.call(s.office, "unit.register", {"id": u, "name": name, "level": "town"}))

    # U-A's item (20 workdays from 12-24) and the lead (20 workdays) need 2027; U-B's immediate
    # item (5 workdays: 12-25, 12-28 .. 12-31) does not. Intake sends U-A's feedback first.
    feedback = {"kind": "feedback", "timeliness": "deadline"}
    first, second, lead = round_to_feedback(s, intake, "R1", ["U-A", "U-B"], [
        ("U-A", "学生宿舍危房仍在使用", feedback),
        ("U-B", "校车管理不规范", {"kind": "feedback", "timeliness": "immediate"}),
        ("U-A", "某所长违规经商", {"kind": "lead", "body": "discipline-commission", "note": "请核查"})])
    # a later event about the same unit: R2's immediate item for U-A would be due in 2026, but
    # must not open before U-A's first one
    (later,) = round_to_feedback(s, intake, "R2", ["U-A"], [
        ("U-A", "食堂账目不清", {"kind": "feedback", "timeliness": "immediate"})])
    head = ok(intake.call(s.office, "events.read", {"after": 0, "limit": 1}))["head"]

    # rectify and referral go past every event: nothing holds their consumers back
    def caught_up(client):
        h = health(s, client)
        return h if h["sources"]["intake"]["offset"] == head else None
    rh = wait_for(lambda: caught_up(rectify))
    assert rh, health(s, rectify)
    fh = wait_for(lambda: caught_up(referral))
    assert fh, health(s, referral)
    # a lead's period starts on the day intake classified it (its event's occurred_on): intake's
    # day, 2026-12-24 (or the machine's, when that is later), not the day the event was signed
    lead_start = today
    lead_waits = add_workdays(s.calendar, lead_start, 20) is None
    listed = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))["items"]
    assert [(i["unit"], i["problem"], i["due"]) for i in listed] == [("U-B", second, "2026-12-31")], listed
    assert rh["waiting"]["calendar"] == 2 and rh["waiting"]["oldest"], rh
    assert fh["waiting"]["calendar"] == (1 if lead_waits else 0), fh
    assert (fh["waiting"]["oldest"] is not None) == lead_waits, fh
    assert len(ok(referral.call(s.office, "referral.list", {"limit": 100}))["items"]) == (0 if lead_waits else 1)
    assert health(s, intake).get("waiting") is None          # intake reads no one's events

    # the office hears of each waiting event, and once that 2027's file is missing
    waiting = events(s, rectify, {"calendar.waiting"})
    assert [e["seq"] for e in waiting] == sorted(e["seq"] for e in waiting) and len(waiting) == 2
    missing = events(s, rectify, {"calendar.missing"})
    # rectify's day: 2026-12-24 (or the machine's, when that is later)
    expect_missing = (today >= datetime.date(today.year, 11, 1)
                      and not os.path.exists(os.path.join(s.calendar, f"{today.year + 1}.json")))
    assert len(missing) == (1 if expect_missing else 0), missing

    def office_notices():
        # the calendar's notices only: intake's own timer may also tell the office that a
        # round's report is late (its clock is past the report deadline while the test moves
        # the round through its stages), depending on when its tick runs
        got = [n for n in notices(s, notify) if n["event"]["type"].startswith("calendar.")]
        kinds = [(n["event"]["source"], n["event"]["type"], n["rule"]) for n in got]
        want = [("rectify", "calendar.waiting", "calendar-waiting")] * 2 + \
               [("referral", "calendar.waiting", "calendar-waiting")] * (1 if lead_waits else 0) + \
               [("rectify", "calendar.missing", "calendar-missing")] * (1 if expect_missing else 0)
        return got if sorted(kinds) == sorted(want) else None
    got = wait_for(office_notices)
    assert got, [(n['event'], n['rule']) for n in notices(s, notify)]
    for n in got:                                     # every placeholder of the texts filled
        assert n["recipient"] == "office-desk" and "{" not in n["subject"] + n["text"], n
    assert any("2027" in n["text"] for n in got if n["event"]["type"] == "calendar.waiting"), got
    reasons = sorted(n["data"]["reason"] for n in got if n["event"]["type"] == "calendar.waiting")
    assert reasons[-1].startswith("no working-day calendar for 2027"), reasons
    assert any(r.startswith("behind intake event") for r in reasons), reasons
    if expect_missing:
        (warning,) = [n for n in got if n["event"]["type"] == "calendar.missing"]
        year = today.year + 1
        assert warning["data"]["year"] == year and warning["data"]["file"] == f"{year}.json", warning

    # what waits is kept across a restart (the same ports: the config has them), and the
    # warning, keyed by its year, is not sent again by the restarted timer
    assert s.deployments["rectify"].end_process() == 0
    s.deployments["rectify"].start()
    rectify = c["rectify"] = s.client("rectify")
    set_clock(s, rectify, "2026-12-24T02:00:00Z")
    after = wait_for(lambda: caught_up(rectify))
    assert after and after["waiting"] == rh["waiting"], (after, rh)
    time.sleep(0.3)                                   # a few ticks of the new process
    assert len(events(s, rectify, {"calendar.missing"})) == len(missing)
    assert [i["problem"] for i in ok(rectify.call(s.office, "rectify.list", {"limit": 100}))["items"]] == [second]

    # the file arrives (a test file: 2027-01-01 a holiday), no restart
    write_json(os.path.join(s.calendar, "2027.json"),
               {"year": 2027, "holidays": ["2027-01-01"], "workdays": []})
    assert wait_for(lambda: health(s, rectify)["waiting"]["calendar"] == 0), health(s, rectify)
    assert wait_for(lambda: health(s, referral)["waiting"]["calendar"] == 0), health(s, referral)
    assert health(s, rectify)["waiting"]["oldest"] is None
    items = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))["items"]
    by_problem = {i["problem"]: i for i in items}
    assert set(by_problem) == {first, second, later}, items
    # U-A's first item opened before the later one (intake's order), with its 2027 deadlines:
    # 10 workdays 12-25, 12-28 .. 12-31, (01-01 off) 01-04 .. 01-08; 20 workdays to 01-22
    assert by_problem[first]["id"] < by_problem[later]["id"], items
    assert by_problem[later]["due"] == "2026-12-31"
    full = ok(rectify.call(s.office, "rectify.get", {"item": by_problem[first]["id"]}))
    due = {d["deadline"]: (d["due"], d["explain"]) for d in full["deadlines"]}
    assert due["plan"][0] == "2027-01-08" and due["item"][0] == "2027-01-22", due
    assert "skipped 1 holiday" in due["item"][1], due
    refs = ok(referral.call(s.office, "referral.list", {"limit": 100}))["items"]
    assert [(r["problem"], r["due"]) for r in refs] == [(lead, str(add_workdays(s.calendar, lead_start, 20)))], refs

    # the warning is not repeated now that the file is there, nor by later ticks
    set_clock(s, rectify, "2026-12-28T02:00:00Z")
    time.sleep(0.5)
    assert len(events(s, rectify, {"calendar.missing"})) == len(missing)


@pytest.fixture
def shifting(tmp_path):
    s = Suite(str(tmp_path), ["intake", "rectify"], {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
    }, {"rectify": {"calendar_warn_from": None, "default_regime": "d30",
                    "regimes": {"d30": {"plan_due": "30 days", "report_due": "2 months"},
                                "k": {"plan_due": "1 month", "report_due": "2 months",
                                      "period_end": "keep"}}}})
    yield from running_suite(s)


def fed_back_on(s, intake, rid, unit, feedback, problems):
    """A round on unit fed back on feedback (a date), its problems (summary, timeliness)."""
    day = datetime.date.fromisoformat(feedback)
    at = [str(day - datetime.timedelta(days=d)) for d in (80, 70, 40, 30)]
    ok(intake.call(s.office, "round.open", {
        "id": rid, "name": f"轮次{rid}", "kind": "regular", "team": "team-1",
        "targets": [{"unit": unit, "coverage": "main"}],
        "planned_start": at[1], "planned_end": at[2], "date": at[0]}))
    ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": at[1]}))
    ids = [report(s, intake, rid, unit, summary, {"kind": "feedback", "timeliness": t})
           for summary, t in problems]
    for stage, date in [("withdrawn", at[2]), ("reported", at[3]), ("feedback_delivered", feedback)]:
        ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": date}))
    return ids


def test_a_period_ending_on_a_holiday_ends_on_the_next_working_day(shifting):
    """The issue's cases with the real 2025 and 2026 files, in a regime of 30 days for the plan
    and 2 months for the report: two months from 2025-03-31 is 05-31 (端午, Sat 05-31 .. Mon
    06-02), the period ends Tue 06-03; 30 days from 2026-01-20 is 02-19 (春节, 02-15 .. 02-23), it
    ends Tue 02-24. A regime that keeps its ends (period_end keep) keeps 05-31."""
    s = shifting
    intake, rectify = s.client("intake"), s.client("rectify")
    ok(intake.call(s.office, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    ok(intake.call(s.office, "round.open", {
        "id": "R-K", "name": "轮次R-K", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}],
        "planned_start": "2025-01-20", "planned_end": "2025-02-20", "date": "2025-01-10"}))
    assert wait_for(lambda: ok(rectify.call(s.office, "rectify.round", {"round": "R-K"})).get("regime")
                    if rectify.call(s.office, "rectify.round", {"round": "R-K"})["type"] == "result" else None)
    ok(rectify.call(s.office, "rectify.regime", {"round": "R-K", "regime": "k"}))
    (dragon,) = fed_back_on(s, intake, "R-2025", "U-A", "2025-03-31", [("食堂账目不清", "deadline")])
    (spring,) = fed_back_on(s, intake, "R-2026", "U-A", "2026-01-20", [("村道积水", "deadline")])
    ok(intake.call(s.office, "round.advance", {"round": "R-K", "stage": "stationed", "date": "2025-01-20"}))
    kept = report(s, intake, "R-K", "U-A", "档案管理混乱", {"kind": "feedback", "timeliness": "deadline"})
    for stage, date in [("withdrawn", "2025-02-20"), ("reported", "2025-03-01"),
                        ("feedback_delivered", "2025-03-31")]:
        ok(intake.call(s.office, "round.advance", {"round": "R-K", "stage": stage, "date": date}))

    def all_open():
        items = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))["items"]
        return {i["problem"]: i for i in items} if len(items) == 3 else None
    items = wait_for(all_open)
    assert items, ok(rectify.call(s.office, "rectify.list", {"limit": 100}))

    def deadlines(problem):
        got = ok(rectify.call(s.office, "rectify.get", {"item": items[problem]["id"]}))
        return {d["deadline"]: (d["due"], d["explain"]) for d in got["deadlines"]}
    d = deadlines(dragon)
    assert d["item"] == ("2025-06-03", "2025-03-31 + 2 months = 2025-05-31, in a public holiday: the "
                         "period ends on the next working day, 2025-06-03 (Civil Code art. 203)"), d
    assert d["plan"] == ("2025-04-30", "2025-03-31 + 30 days = 2025-04-30"), d
    d = deadlines(spring)
    assert d["plan"] == ("2026-02-24", "2026-01-20 + 30 days = 2026-02-19, in a public holiday: the "
                         "period ends on the next working day, 2026-02-24 (Civil Code art. 203)"), d
    assert d["item"] == ("2026-03-20", "2026-01-20 + 2 months = 2026-03-20"), d
    d = deadlines(kept)
    assert d["item"] == ("2025-05-31", "2025-03-31 + 2 months = 2025-05-31"), d
