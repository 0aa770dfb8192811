"""The rectification service from a client written from the docs alone, next to a real intake.

A unit plans and claims over the wire; the office signs off; the three lists come back as CSV
that Python's own csv module (as a spreadsheet would) reads back byte for byte, and the rates and
money sums match what this test counts itself.
"""

import calendar
import csv
import datetime
import io
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import Suite, running_suite

SUMMARY = "学生宿舍楼年久失修, \"危房\"\n仍在使用"
MEASURE = "=拆除重建, 另择新址"          # a leading = must not become a formula


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "rectify"], {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
        "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
        "unit_b": ("unit-b", "unit", {"units": ["U-B"]}),
        "discipline": ("discipline-commission", "discipline", {"units": ["D-1"]}),
    })
    yield from running_suite(s)


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def code(reply):
    assert reply["type"] == "error", reply
    return reply["data"]["code"]


def local_day(days=0):
    """Today in the deployment's time (UTC+8), plus days."""
    now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
    return now.date() + datetime.timedelta(days=days)


def add_months(day, n):
    """The domain's month arithmetic: the same day n months on, clamped to the month's end."""
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(day):
    """Where rectify ends a period the arithmetic puts on day (period_end next_workday, the
    default): a day off of a year with a file in config/calendar moves to the next working
    day; a year without one leaves it."""
    import os
    from conftest import REPO, is_workday
    d = day
    while True:
        work = is_workday(os.path.join(REPO, "config", "calendar"), d)
        if work is None:
            return day
        if work:
            return d
        d += datetime.timedelta(days=1)


FEEDBACK = local_day(-5)


def feed_back(s, intake, problems):
    """Units, a round on U-A and U-B, the problems reported and fed back five days ago (the
    service's clock is the machine's: dates are relative to today)."""
    o = s.office
    ok(intake.call(o, "unit.register", {"id": "D-1", "name": "云溪区", "level": "district"}))
    ok(intake.call(o, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town", "parent": "D-1"}))
    ok(intake.call(o, "unit.register", {"id": "U-B", "name": "市教育局", "level": "city_department"}))
    ok(intake.call(o, "round.open", {
        "id": "R1", "name": "十一届第一轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}, {"unit": "U-B", "coverage": "main"}],
        "planned_start": str(local_day(-80)), "planned_end": str(local_day(-40)),
        "date": str(local_day(-90))}))
    for stage, date in [("stationed", local_day(-80)), ("withdrawn", local_day(-40))]:
        ok(intake.call(o, "round.advance", {"round": "R1", "stage": stage, "date": str(date)}))
    for unit, summary, timeliness in problems:
        p = ok(intake.call(s.team, "problem.report", {
            "round": "R1", "unit": unit, "category": "public_concerns", "summary": summary,
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
        ok(intake.call(o, "problem.classify", {
            "problem": p, "dispositions": [{"kind": "feedback", "timeliness": timeliness}]}))
    for stage, date in [("reported", local_day(-20)), ("feedback_delivered", FEEDBACK)]:
        ok(intake.call(o, "round.advance", {"round": "R1", "stage": stage, "date": str(date)}))


def items(s, rectify, n):
    """The office's list once rectify has opened n items (bounded wait)."""
    deadline = time.monotonic() + 10
    while True:
        page = ok(rectify.call(s.office, "rectify.list", {"limit": 500}))
        if len(page["items"]) >= n or time.monotonic() > deadline:
            assert len(page["items"]) == n, page
            return page["items"]
        time.sleep(0.05)


def plan(s, rectify, item, signer, measures):
    return rectify.call(signer, "rectify.plan", {"item": item, "measures": [
        {"text": text, "owner": owner, "lead_leader": "李副镇长", "deadline": deadline}
        for text, owner, deadline in measures]})


def claim(s, rectify, item, completion, **outcomes):
    return ok(rectify.call(s.unit_a, "rectify.claim", {
        "item": item, "completion": completion,
        "evidence": [{"file": "验收报告.pdf", "sha256": "ab" * 32}], "outcomes": outcomes}))


def read_csv(text):
    """Rows of an exported page as a spreadsheet reads them: the BOM first, then RFC 4180."""
    assert text.startswith("\ufeff"), repr(text[:10])
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_a_unit_plans_and_claims_and_the_lists_read_back_as_csv(suite):
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    feed_back(s, intake, [("U-A", SUMMARY, "deadline"), ("U-B", "校车管理不规范", "deadline")])
    listed = items(s, rectify, 2)
    mine = [i for i in listed if i["unit"] == "U-A"][0]
    assert mine["summary"] == SUMMARY and mine["state"] == "opened" and mine["class"] == "deadline"
    # 2017 rules by default: the plan a month after feedback, the report two months after it
    got = ok(rectify.call(s.office, "rectify.get", {"item": mine["id"]}))
    due = {d["deadline"]: d["due"] for d in got["deadlines"]}
    assert due == {"plan": str(period_end(add_months(FEEDBACK, 1))),
                   "item": str(period_end(add_months(FEEDBACK, 2)))}, got["deadlines"]

    # Only unit-a acts on its item; unit-b does not even see it.
    first, second = str(period_end(add_months(FEEDBACK, 1))), str(period_end(add_months(FEEDBACK, 2)))
    assert code(plan(s, rectify, mine["id"], s.unit_b, [("x", "y", first)])) == "forbidden"
    assert [i["unit"] for i in ok(rectify.call(s.unit_b, "rectify.list", {}))["items"]] == ["U-B"]
    assert code(rectify.call(s.unit_b, "rectify.get", {"item": mine["id"]})) == "forbidden"
    # The district's discipline commission supervises the town below it.
    assert ok(rectify.call(s.discipline, "rectify.get", {"item": mine["id"]}))["summary"] == SUMMARY

    planned = ok(plan(s, rectify, mine["id"], s.unit_a, [
        ("新建宿舍楼", "王建国", first), (MEASURE, "陈 \"小\" 明", second)]))
    assert planned == {"item": mine["id"], "state": "planned"}
    claimed = claim(s, rectify, mine["id"], "completed", institutional_measures=2,
                    money_recovered_fen=965700000000, money_written_off_fen=126100000000)
    assert claimed["state"] == "claimed"
    assert ok(rectify.call(s.office, "rectify.review", {"item": mine["id"], "decision": "accept"}))[
        "state"] == "closed"

    # The three lists, each read back exactly.
    problems = read_csv(ok(rectify.call(s.office, "rectify.export", {"list": "problems"}))["csv"])
    assert problems[0][:7] == ["事项编号", "问题编号", "巡察轮次", "单位编号", "单位名称", "问题类别", "问题描述"]
    row = [r for r in problems[1:] if r[3] == "U-A"][0]
    assert row[4] == "青石镇" and row[6] == SUMMARY and row[7] == "限期整改" and row[8] == "已销号"
    tasks = read_csv(ok(rectify.call(s.office, "rectify.export", {"list": "tasks"}))["csv"])
    assert [r[4] for r in tasks[1:]] == ["新建宿舍楼", "'" + MEASURE]
    people = read_csv(ok(rectify.call(s.office, "rectify.export", {"list": "responsibilities", "unit": "U-A"}))["csv"])
    assert [r[4] for r in people[1:]] == ["王建国", "陈 \"小\" 明"]

    # Pages of one item each concatenate to the single page.
    whole = ok(rectify.call(s.office, "rectify.export", {"list": "problems"}))["csv"]
    text, after = "", None
    for _ in range(5):
        page = ok(rectify.call(s.office, "rectify.export",
                               {"list": "problems", "limit": 1, **({"after": after} if after else {})}))
        text += page["csv"]
        after = page["next"]
        if after is None:
            break
    assert text == whole

    # Money in fen adds up exactly; its yuan text too.
    stats = ok(rectify.call(s.office, "rectify.stats", {}))
    assert stats["money_recovered_fen"] == 965700000000
    assert stats["money_recovered_yuan"] == "9657000000.00"
    assert stats["money_written_off_yuan"] == "1261000000.00"
    assert stats["institutional_measures"] == 2
    # unit-b's view counts its own item only
    assert ok(rectify.call(s.unit_b, "rectify.stats", {}))["items"] == 1


def test_rates_match_a_hand_count(suite):
    s = suite
    intake, rectify = s.client("intake"), s.client("rectify")
    feed_back(s, intake, [("U-A", f"问题{i}", "immediate") for i in range(7)])
    listed = items(s, rectify, 7)
    # five fully completed, one mostly completed, one still open
    completions = ["completed"] * 5 + ["mostly_completed"]
    for item, completion in zip(listed, completions):
        claim(s, rectify, item["id"], completion, money_recovered_fen=1001)
        ok(rectify.call(s.office, "rectify.review", {"item": item["id"], "decision": "accept"}))
    stats = ok(rectify.call(s.office, "rectify.stats", {}))
    rate = (Decimal(5) * 100 / Decimal(7)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert stats["completion"] == {"completed": 5, "items": 7, "rate": str(rate)}
    assert stats["immediate"] == {"items": 7, "closed": 6}
    assert stats["money_recovered_fen"] == 6 * 1001 and stats["money_recovered_yuan"] == "60.06"
    # Immediate items are due 15 days after feedback, ten days from now. The six closed today
    # count, on time; the seventh, still open and not yet past its due date, does not count,
    # even in a period to the end of next month.
    want = {"closed_on_time": 6, "closed": 6, "open_past_due": 0, "due": 6, "rate": "100.00"}
    assert stats["on_time"] == want
    period = {"to": str(add_months(local_day(), 1))}
    assert ok(rectify.call(s.office, "rectify.stats", period))["on_time"] == want
    # a period that ended before they closed: nothing counts
    assert ok(rectify.call(s.office, "rectify.stats", {"to": str(local_day(-1))}))["on_time"] == {
        "closed_on_time": 0, "closed": 0, "open_past_due": 0, "due": 0, "rate": None}


def test_get_gives_each_deadline_its_colour_and_escalation_ladder(suite):
    """rectify.get says, for each running deadline, the band it is in today and the escalation
    ladder (every step's day, those reached, the next): what the console shows without working
    it out. An immediate item fed back 25 days ago (15 days: overdue, a step reached) and a
    deadline item's plan are checked against the policy's documented rules."""
    s, intake, rectify = suite, suite.client("intake"), suite.client("rectify")
    o = s.office
    ok(intake.call(o, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    ok(intake.call(o, "round.open", {
        "id": "R9", "name": "十一届第九轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}],
        "planned_start": str(local_day(-80)), "planned_end": str(local_day(-40)),
        "date": str(local_day(-90))}))
    for stage, date in [("stationed", local_day(-80)), ("withdrawn", local_day(-40))]:
        ok(intake.call(o, "round.advance", {"round": "R9", "stage": stage, "date": str(date)}))
    # the immediate one from paper: found 28 days ago, fed back at once 25 days ago
    for summary, timeliness, found, classified in [("食堂账目不清", "immediate", -28, -25),
                                                   ("村务公开不及时", "deadline", -28, -27)]:
        p = ok(intake.call(o, "problem.report", {
            "round": "R9", "unit": "U-A", "category": "public_concerns", "summary": summary,
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team",
            "occurred_on": str(local_day(found))}))["problem"]
        ok(intake.call(o, "problem.classify", {
            "problem": p, "dispositions": [{"kind": "feedback", "timeliness": timeliness}],
            "occurred_on": str(local_day(classified))}))
    for stage, date in [("reported", local_day(-30)), ("feedback_delivered", local_day(-25))]:
        ok(intake.call(o, "round.advance", {"round": "R9", "stage": stage, "date": str(date)}))
    today = local_day()
    steps = ["supervision_notice", "stage_guidance", "reminder", "warning", "accountability"]
    seen = set()
    for row in items(s, rectify, 2):
        got = ok(rectify.call(o, "rectify.get", {"item": row["id"]}))
        for d in got["deadlines"]:
            assert d["running"], d
            due = datetime.date.fromisoformat(d["due"])
            left = (due - today).days
            assert d["days_left"] == left, d
            want = "red" if left < 0 else "yellow" if left <= 10 else "green" if left <= 20 else None
            assert d["colour"] == want, (d, left)
            ladder = d["escalation"]
            assert ladder["every_days"] == 7
            on = [due + datetime.timedelta(days=7 * k) for k in range(1, 6)]
            assert ladder["steps"] == [{"step": st, "on": str(day), "reached": today >= day}
                                       for st, day in zip(steps, on)], ladder
            nxt = next(((st, day) for st, day in zip(steps, on) if today < day), None)
            assert ladder["next"] == (nxt and {"step": nxt[0], "on": str(nxt[1])}), ladder
            # the same, as the step reached and the next one
            reached = sum(today >= day for day in on)
            assert d["step"] == (reached and {"n": reached, "name": steps[reached - 1]} or None), d
            assert d["next_step"] == (nxt and {"n": reached + 1, "name": nxt[0], "on": str(nxt[1])}), d
            seen.add((got["class"], d["deadline"], d["colour"]))
            if got["class"] == "immediate":
                assert ladder["steps"][0]["reached"] and ladder["next"]["step"] == "stage_guidance" or \
                    ladder["steps"][1]["reached"], ladder
        # the list gives each item the band of its most pressing running deadline
        listed = next(i for i in ok(rectify.call(o, "rectify.list", {"round": "R9"}))["items"] if i["id"] == row["id"])
        soonest = min(got["deadlines"], key=lambda d: d["due"])
        assert listed["light"] == {k: soonest[k] for k in ("colour", "days_left", "step", "next_step")}, (listed, soonest)
    # the immediate item is overdue (red) with its first step reached; the plan is not
    assert ("immediate", "item", "red") in seen, seen
    assert any(c == "deadline" and dl == "plan" and col != "red" for c, dl, col in seen), seen
    # a deadline that stopped running has neither
    imm = next(r for r in items(s, rectify, 2) if r["class"] == "immediate")
    ok(rectify.call(s.unit_a, "rectify.claim", {
        "item": imm["id"], "completion": "completed",
        "evidence": [{"file": "整改报告.pdf", "sha256": "cd" * 32}]}))
    done = ok(rectify.call(o, "rectify.get", {"item": imm["id"]}))["deadlines"][0]
    assert done["running"] in (0, False) and done["colour"] is None and done["escalation"] is None, done
    assert next(i for i in items(s, rectify, 2) if i["id"] == imm["id"])["light"] is None
