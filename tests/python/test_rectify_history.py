"""Rectify with five years of history loaded with their dates (issue 19), next to a real intake.

The office loads a 2019 round from paper: every plan, claim and review with its occurred_on,
recorded by the office on the unit's behalf. The figures use those dates (the on-time rate, the
year filter), the items loaded from history stay quiet, every target of the round gets its
return visit, and the CSV shows category names. Then the other figures and words of the issue:
the on-time rate of the demo (two of three closed early, one not yet due), interviews held,
grade names, the stats filters by owner/kind/mode/level/category, and 机构改革 (a merge moves
the open items to the successor, a rename keeps the old name on older records).
"""

import datetime
import time

import pytest

import xcwire
from conftest import Suite, running_suite
from test_rectify import code, local_day, ok, read_csv

EVIDENCE = [{"file": "整改报告.pdf", "sha256": "cd" * 32}]


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "rectify"], {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
        "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
        "unit_n": ("unit-n", "unit", {"units": ["U-N"]}),
    })
    yield from running_suite(s)


def events(s, client, types):
    """The events of the given types in rectify's stream, their data."""
    out, after = [], 0
    while True:
        res = ok(client.call(s.office, "events.read", {"after": after, "limit": 200}))
        for e in res["events"]:
            after = e["seq"]
            if e["type"] in types:
                body = xcwire.parse(e["message"].encode("utf-8"))[2]
                out.append((e["type"], body["data"]))
        if not res["events"]:
            return out


def wait_items(s, rectify, n, **filters):
    deadline = time.monotonic() + 10
    while True:
        page = ok(rectify.call(s.office, "rectify.list", {"limit": 500, **filters}))
        if len(page["items"]) >= n or time.monotonic() > deadline:
            assert len(page["items"]) == n, page
            return page["items"]
        time.sleep(0.05)


def units(s, intake):
    o = s.office
    ok(intake.call(o, "unit.register", {"id": "D-1", "name": "云溪区", "level": "district"}))
    ok(intake.call(o, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town", "parent": "D-1"}))
    ok(intake.call(o, "unit.register", {"id": "U-B", "name": "市教育局", "level": "city_department"}))
    ok(intake.call(o, "unit.register", {"id": "U-C", "name": "市轨道交通集团", "level": "soe"}))


def past_round(s, intake, rid, problems, *, year=2019, owner=None, kind="regular", modes=None,
               targets=("U-A", "U-B", "U-C")):
    """A round of year loaded from history: reported by the office with occurred_on, fed back
    on YEAR-06-10. problems: (unit, category, summary, timeliness). The problem ids."""
    o = s.office
    ok(intake.call(o, "round.open", {
        "id": rid, "name": f"{year}年第一轮", "kind": kind, "team": "team-1",
        "targets": [{"unit": u, "coverage": "main"} for u in targets],
        "planned_start": f"{year}-03-01", "planned_end": f"{year}-04-30", "date": f"{year}-02-20",
        **({"owner": owner} if owner else {}), **({"modes": modes} if modes else {}),
        **({"theme": "危化品安全专项巡察"} if kind == "special" else {})}))
    for stage, date in [("stationed", "03-01"), ("withdrawn", "04-30"), ("reported", "05-15")]:
        ok(intake.call(o, "round.advance", {"round": rid, "stage": stage, "date": f"{year}-{date}"}))
    ids = []
    for unit, category, summary, timeliness in problems:
        p = ok(intake.call(o, "problem.report", {
            "round": rid, "unit": unit, "category": category, "summary": summary, "detail": "巡察底稿",
            "severity": "serious", "source": "inspection_team", "occurred_on": f"{year}-03-20"}))["problem"]
        ok(intake.call(o, "problem.classify", {
            "problem": p, "dispositions": [{"kind": "feedback", "timeliness": timeliness}],
            "occurred_on": f"{year}-05-20"}))
        ids.append(p)
    ok(intake.call(o, "round.advance", {"round": rid, "stage": "feedback_delivered", "date": f"{year}-06-10"}))
    return ids


def by_summary(items):
    return {i["summary"]: i for i in items}


def test_history_loads_with_its_dates_and_the_figures_use_them(suite):
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    units(s, intake)
    past_round(s, intake, "R2019", [("U-A", "four_styles", "公款吃喝", "deadline"),
                                    ("U-A", "receivables", "村级应收款未清收", "deadline"),
                                    ("U-B", "governance", "主体责任落实不到位", "immediate")])
    got = by_summary(wait_items(s, rectify, 3))
    early, late, quick = got["公款吃喝"]["id"], got["村级应收款未清收"]["id"], got["主体责任落实不到位"]["id"]
    item = ok(rectify.call(s.office, "rectify.get", {"item": early}))
    assert item["opened_on"] == "2019-06-10" and item["quiet_until"] is not None
    assert item["category_path"] == ["governance", "four_styles"]
    assert item["category_name"] == "全面从严治党 › 四风"

    measures = [{"text": "退赔", "owner": "纪委 王五", "lead_leader": "书记 赵六", "deadline": "2019-07-31"}]
    claim = {"item": early, "completion": "completed", "evidence": EVIDENCE}
    # the office sends a unit's command only from history; a unit may not give occurred_on
    assert code(rectify.call(s.office, "rectify.plan", {"item": early, "measures": measures})) == "forbidden"
    assert code(rectify.call(s.unit_a, "rectify.plan", {"item": early, "measures": measures,
                                                          "occurred_on": "2019-06-20"})) == "forbidden"
    # not after today, not before the item's previous fact (its feedback)
    tomorrow = str(local_day(1))
    assert code(rectify.call(s.office, "rectify.plan", {"item": early, "measures": measures,
                                                          "occurred_on": tomorrow})) == "schema"
    r = rectify.call(s.office, "rectify.plan", {"item": early, "measures": measures, "occurred_on": "2019-06-01"})
    assert code(r) == "conflict" and "2019-06-01" in r["data"]["message"] and "2019-06-10" in r["data"]["message"]
    assert ok(rectify.call(s.unit_a, "rectify.list", {}))["items"][0]["state"] == "opened"  # nothing stored

    # early: planned 06-20 (due 07-31), claimed 07-25, accepted 08-05: on time
    ok(rectify.call(s.office, "rectify.plan", {"item": early, "measures": measures, "occurred_on": "2019-06-20"}))
    ok(rectify.call(s.office, "rectify.claim", {**claim, "occurred_on": "2019-07-25"}))
    r = rectify.call(s.office, "rectify.review", {"item": early, "decision": "accept", "occurred_on": "2019-07-01"})
    assert code(r) == "conflict"                # a review before the claim it reviews
    ok(rectify.call(s.office, "rectify.review", {"item": early, "decision": "accept", "occurred_on": "2019-08-05"}))
    # late: claimed 09-15, after its due date 07-31
    ok(rectify.call(s.office, "rectify.plan", {"item": late, "measures": measures, "occurred_on": "2019-06-20"}))
    ok(rectify.call(s.office, "rectify.claim", {**claim, "item": late, "occurred_on": "2019-09-15",
                                                "outcomes": {"institutional_measures": 3}}))
    ok(rectify.call(s.office, "rectify.review", {"item": late, "decision": "accept", "occurred_on": "2019-09-20"}))
    # quick: an immediate item, fed back when classified (05-20), due 15 days on, claimed 05-30
    assert ok(rectify.call(s.office, "rectify.get", {"item": quick}))["opened_on"] == "2019-05-20"
    ok(rectify.call(s.office, "rectify.claim", {**claim, "item": quick, "occurred_on": "2019-05-30"}))
    ok(rectify.call(s.office, "rectify.review", {"item": quick, "decision": "accept", "occurred_on": "2019-06-01"}))

    item = ok(rectify.call(s.office, "rectify.get", {"item": early}))
    assert item["claimed_on"] == "2019-07-25" and item["closed_on"] == "2019-08-05" and item["due"] == "2019-07-31"
    entry = [h for h in item["history"] if h["action"] == "claimed"][0]
    assert entry["by"] == "office" and entry["recorded_from_history"] is True
    assert entry["occurred_on"] == "2019-07-25"
    closed = [d for t, d in events(s, rectify, {"rectify.closed"}) if d["item"] == early][0]
    assert closed["occurred_on"] == "2019-08-05" and closed["on_time"] is True
    assert closed["recorded_from_history"] is True and closed["by"] == "office"

    stats = ok(rectify.call(s.office, "rectify.stats", {}))
    assert stats["on_time"] == {"closed_on_time": 2, "closed": 3, "open_past_due": 0, "due": 3, "rate": "66.67"}
    assert "整改按期报结率" in stats["definitions"]["on_time"]
    assert stats["institutional_measures"] == 3
    assert ok(rectify.call(s.office, "rectify.stats", {"year": 2019}))["items"] == 3
    y2020 = ok(rectify.call(s.office, "rectify.stats", {"year": 2020}))
    assert y2020["items"] == 0 and y2020["filters"] == {"year": 2020} and y2020["on_time"]["rate"] is None
    # a category counts its subtree
    assert ok(rectify.call(s.office, "rectify.stats", {"category": "governance"}))["items"] == 2
    assert ok(rectify.call(s.office, "rectify.stats", {"category": "public_concerns"}))["items"] == 1
    assert ok(rectify.call(s.office, "rectify.stats", {"category": "four_styles"}))["items"] == 1

    # every target of the round has its visit, U-C without any item too; loaded from history,
    # none is announced yet (quiet), and no overdue notice came for anything
    time.sleep(0.5)
    assert events(s, rectify, {"revisit.due", "rectify.warning", "rectify.overdue", "rectify.escalated"}) == []
    visits = ok(rectify.call(s.office, "rectify.stats", {}))["revisits"]
    assert visits == {"due": 3, "done": 0, "coverage": "0.00"}
    for unit in ("U-A", "U-B", "U-C"):
        ok(rectify.call(s.office, "rectify.revisit", {"round": "R2019", "unit": unit, "date": "2019-09-15",
                                                      "kinds": ["return_visit"]}))
    assert ok(rectify.call(s.office, "rectify.stats", {}))["revisits"] == {"due": 3, "done": 3, "coverage": "100.00"}

    # the problems list names the category by its path of names, never by an id
    rows = read_csv(ok(rectify.call(s.office, "rectify.export", {"list": "problems"}))["csv"])
    assert {r[6]: r[5] for r in rows[1:]} == {"公款吃喝": "全面从严治党 › 四风",
                                              "村级应收款未清收": "群众急难愁盼 › 村级应收款",
                                              "主体责任落实不到位": "全面从严治党"}


def test_the_demo_two_of_three_closed_early_is_all_on_time(suite):
    """The issue's demo printed 0.00% (0 of 1 due) while 2 of 3 items had closed early: the two
    closed early count, on time; the third, not yet due, is not counted at all."""
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    units(s, intake)
    o = s.office
    ok(intake.call(o, "round.open", {
        "id": "R1", "name": "十二届第一轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}],
        "planned_start": str(local_day(-60)), "planned_end": str(local_day(-30)), "date": str(local_day(-70))}))
    for stage, days in [("stationed", -60), ("withdrawn", -30), ("reported", -10)]:
        ok(intake.call(o, "round.advance", {"round": "R1", "stage": stage, "date": str(local_day(days))}))
    for n in range(3):
        p = ok(intake.call(s.team, "problem.report", {
            "round": "R1", "unit": "U-A", "category": "livelihood", "summary": f"问题{n}", "detail": "底稿",
            "severity": "serious", "source": "inspection_team"}))["problem"]
        ok(intake.call(o, "problem.classify", {"problem": p, "dispositions": [{"kind": "feedback",
                                                                               "timeliness": "deadline"}]}))
    ok(intake.call(o, "round.advance", {"round": "R1", "stage": "feedback_delivered", "date": str(local_day())}))
    listed = sorted(wait_items(s, rectify, 3), key=lambda i: i["id"])
    due = str(local_day(30))
    for item in listed:
        ok(rectify.call(s.unit_a, "rectify.plan", {"item": item["id"], "measures": [
            {"text": "整改", "owner": "王五", "lead_leader": "赵六", "deadline": due}]}))
    for item in listed[:2]:
        ok(rectify.call(s.unit_a, "rectify.claim", {"item": item["id"], "completion": "completed",
                                                    "evidence": EVIDENCE}))
        ok(rectify.call(o, "rectify.review", {"item": item["id"], "decision": "accept"}))
    stats = ok(rectify.call(o, "rectify.stats", {}))
    assert stats["on_time"] == {"closed_on_time": 2, "closed": 2, "open_past_due": 0, "due": 2, "rate": "100.00"}
    # to the end of next month the third is due but not past: still not counted
    later = ok(rectify.call(o, "rectify.stats", {"to": str(local_day(40))}))["on_time"]
    assert later["due"] == 2 and later["rate"] == "100.00"


def test_interviews_grades_owners_and_successors(suite):
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    units(s, intake)
    o = s.office
    # a district's own special, linked round on U-A (a town of the district), and a city round
    past_round(s, intake, "RD", [("U-A", "hazardous_chemicals", "危化品仓库未备案", "deadline"),
                                 ("U-A", "livelihood", "农贸市场脏乱", "deadline")],
               year=2020, owner="D-1", kind="special", modes=["linked"], targets=("U-A",))
    past_round(s, intake, "RC", [("U-B", "governance", "学校食堂采购不规范", "deadline")], year=2021,
               targets=("U-B", "U-C"))
    wait_items(s, rectify, 3)
    count = lambda **f: ok(rectify.call(o, "rectify.stats", f))["items"]
    assert count(owner="district") == 2 and count(owner="D-1") == 2 and count(owner="city") == 1
    assert count(kind="special") == 2 and count(mode="linked") == 2 and count(kind="regular") == 1
    assert count(unit_level="town") == 2 and count(unit_level="city_department") == 1
    assert count(year=2020, category="public_concerns") == 2 and count(year=2021, owner="district") == 0
    assert ok(rectify.call(o, "rectify.stats", {"owner": "D-1", "kind": "special"}))["filters"] == {
        "owner": "D-1", "kind": "special"}
    assert code(rectify.call(o, "rectify.stats", {"kind": "weekly"})) == "schema"

    # interviews held (约谈): recorded, counted; refused with nothing stored otherwise
    talk = {"round": "RC", "unit": "U-B", "interviewee": {"name": "周局长", "title": "党组书记、局长"},
            "by": "市委巡察办主任", "occurred_on": "2021-08-01"}
    held = ok(rectify.call(o, "rectify.interview", talk))
    assert held["occurred_on"] == "2021-08-01"
    assert code(rectify.call(o, "rectify.interview", {**talk, "unit": "U-A"})) == "conflict"
    assert code(rectify.call(o, "rectify.interview", {**talk, "round": "R-NONE"})) == "not_found"
    assert code(rectify.call(s.team, "rectify.interview", talk)) == "forbidden"
    assert code(rectify.call(o, "rectify.interview", {**talk, "occurred_on": str(local_day(1))})) == "schema"
    data = [d for t, d in events(s, rectify, {"interview.held"})]
    assert len(data) == 1 and data[0]["interviewee"]["name"] == "周局长" and data[0]["occurred_on"] == "2021-08-01"
    assert data[0]["unit_name"] == "市教育局" and data[0]["round_name"] == "2021年第一轮"
    assert ok(rectify.call(o, "rectify.stats", {}))["interviews_held"] == 1
    assert ok(rectify.call(o, "rectify.stats", {"year": 2020}))["interviews_held"] == 0

    # grades are read by their names
    leader = {"name": "周局长", "title": "局长"}
    good = ok(rectify.call(o, "rectify.evaluate", {"round": "RC", "unit": "U-B", "principal_leader": leader, "parts": {
        "leadership": 95, "responsibility": 95, "task_completion": 95, "satisfaction": 95}}))
    assert good["grade"] == "good" and good["grade_name"] == "好"
    poor = ok(rectify.call(o, "rectify.evaluate", {"round": "RC", "unit": "U-C", "principal_leader": leader, "parts": {
        "leadership": 40, "responsibility": 40, "task_completion": 40, "satisfaction": 40}}))
    assert poor["grade_name"] == "差"
    kinds = {t: d for t, d in events(s, rectify, {"unit.evaluated", "interview.recommended"}) if d["unit"] == "U-C"}
    assert kinds["unit.evaluated"]["grade_name"] == "差" and kinds["interview.recommended"]["grade_name"] == "差"
    targets = ok(rectify.call(o, "rectify.round", {"round": "RC"}))["targets"]
    assert [t["grade_name"] for t in targets] == ["好", "差"]

    # 机构改革: U-A's closed item stays; its open one goes to the new U-N, with a history entry
    rd = by_summary(ok(rectify.call(o, "rectify.list", {"round": "RD"}))["items"])
    done = rd["危化品仓库未备案"]["id"]
    ok(rectify.call(o, "rectify.plan", {"item": done, "occurred_on": "2020-06-15", "measures": [
        {"text": "备案", "owner": "应急办 孙七", "lead_leader": "镇长 钱八", "deadline": "2020-07-31"}]}))
    ok(rectify.call(o, "rectify.claim", {"item": done, "completion": "completed", "evidence": EVIDENCE,
                                         "occurred_on": "2020-06-20"}))
    ok(rectify.call(o, "rectify.review", {"item": done, "decision": "accept", "occurred_on": "2020-06-21"}))
    ok(intake.call(o, "unit.register", {"id": "U-D", "name": "白沙镇", "level": "town", "parent": "D-1"}))
    ok(intake.call(o, "unit.merge", {"from": ["U-A", "U-D"], "into": {"id": "U-N", "name": "青沙街道",
                                                                      "level": "town", "parent": "D-1"},
                                     "occurred_on": "2022-01-01"}))
    moving = rd["农贸市场脏乱"]["id"]
    deadline = time.monotonic() + 10
    while ok(rectify.call(o, "rectify.get", {"item": moving}))["unit"] != "U-N" and time.monotonic() < deadline:
        time.sleep(0.05)
    item = ok(rectify.call(o, "rectify.get", {"item": moving}))
    assert item["unit"] == "U-N"
    assert item["history"][-1]["action"] == "unit_succeeded"
    assert item["history"][-1]["data"] == {"from": "U-A", "to": "U-N", "occurred_on": "2022-01-01"}
    assert ok(rectify.call(o, "rectify.get", {"item": done}))["unit"] == "U-A"
    # the successor's principal acts on it now; the old unit's does not see it
    assert [i["id"] for i in ok(rectify.call(s.unit_n, "rectify.list", {}))["items"]] == [moving]
    assert code(rectify.call(s.unit_a, "rectify.get", {"item": moving})) == "forbidden"
    ok(rectify.call(s.unit_n, "rectify.plan", {"item": moving, "measures": [
        {"text": "整治", "owner": "王五", "lead_leader": "赵六", "deadline": "2020-08-01"}]}))

    # a rename: records from before it keep the name the unit had then
    ok(intake.call(o, "unit.rename", {"unit": "U-B", "name": "市教育体育局", "occurred_on": "2022-03-01"}))
    deadline = time.monotonic() + 10
    name = lambda: ok(rectify.call(o, "rectify.round", {"round": "RC"}))["targets"][0]["name"]
    while name() != "市教育体育局" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert name() == "市教育体育局"
    rows = read_csv(ok(rectify.call(o, "rectify.export", {"list": "problems", "unit": "U-B"}))["csv"])
    assert rows[1][4] == "市教育局"


def test_an_item_loaded_from_history_is_quiet_then_alerted_for_its_state_now(suite):
    """A 2019 item never closed: nothing for history_quiet (1 day) after loading; then one notice
    per deadline, its latest escalation step (accountability, long reached), none of the 2019
    warnings, overdue notices or earlier steps; and the unit's visit of 2019 announced once."""
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    units(s, intake)
    past_round(s, intake, "R2019", [("U-A", "four_styles", "超标配车", "deadline")], targets=("U-A",))
    item = wait_items(s, rectify, 1)[0]["id"]
    alerts = {"rectify.warning", "rectify.overdue", "rectify.escalated", "revisit.due"}
    time.sleep(0.5)
    assert events(s, rectify, alerts) == []
    assert ok(rectify.call(s.office, "rectify.stats", {}))["overdue_now"] == 1   # overdue in the figures at once
    # the day after tomorrow (test clock), the quiet day is over
    later = local_day(2)
    ok(rectify.call(s.office, "clock.set", {"clock": f"{later}T01:00:00+08:00"}))
    deadline = time.monotonic() + 10
    while len(events(s, rectify, alerts)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    got = events(s, rectify, alerts)
    steps = sorted((d.get("deadline"), d.get("step_name")) for t, d in got if t == "rectify.escalated")
    assert steps == [("item", "accountability"), ("plan", "accountability")], got
    assert [t for t, d in got if t != "rectify.escalated"] == ["revisit.due"], got
    visit = [d for t, d in got if t == "revisit.due"][0]
    assert visit["unit"] == "U-A" and visit["feedback_on"] == "2019-06-10" and visit["after"] == "3 months"
    # and no second time
    ok(rectify.call(s.office, "clock.set", {"clock": f"{local_day(3)}T01:00:00+08:00"}))
    time.sleep(0.5)
    assert len(events(s, rectify, alerts)) == 3
    assert any(d["item"] == item for t, d in got if t == "rectify.escalated")
