"""Notices read in words, through the real services: round names not ids, the grade names the
rectify policy gives, the return-visit span as configured, the leader who signed a special
report and the body it went to, the interview held, rule and event names in the footer. Every
subject and text must be Chinese words, numbers and dates only: no Latin letter anywhere (no id,
no event type, no rule id, no English value).
"""
import datetime
import re

import pytest

from conftest import Suite
from test_notify import (FEEDBACK, PRINCIPALS, SERVICES, all_caught_up, clients_of, deliveries, events, get,
                         instant, items, notice_of, ok, quiet, set_clock, wait_for)

GRADES = [{"grade": "good", "name": "优秀", "min": 90}, {"grade": "fairly_good", "name": "良好", "min": 80},
          {"grade": "average", "name": "合格", "min": 60}, {"grade": "poor", "name": "不合格", "min": 0}]
LATIN = re.compile(r"[A-Za-z]")


def directory():
    def entry(name, roles, principal):
        return {"name": name, "roles": roles, "principal": principal, "channels": {"stream": True}}
    return {"office-desk": entry("市委巡察办", ["office"], "office"),
            "office-leader": entry("巡察办主任", ["office_leadership"], "office-leadership"),
            "org-dept": entry("市委组织部", ["receiving_body"], "organization-dept")}


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, {
        "notify": {"directory": directory()},
        # R-9 is withdrawn in the past: intake's report_overdue for it comes at once, not after a quiet day
        "intake": {"history_quiet": "0 days"},
        "rectify": {"revisit_after": "20 workdays", "grades": GRADES, "calendar_warn_from": None}})
    s.start()
    yield s
    status = s.stop_and_report(40)
    assert all(v in (0, "not started") for v in status.values()), status


def feed_back(s, c, rid, name, unit, summary):
    """A round named name on unit, one problem fed back for rectification on FEEDBACK."""
    o, intake = s.office, c["intake"]
    ok(intake.call(o, "round.open", {
        "id": rid, "name": name, "kind": "regular", "team": "team-1",
        "targets": [{"unit": unit, "coverage": "main"}],
        "planned_start": str(FEEDBACK - datetime.timedelta(days=45)),
        "planned_end": str(FEEDBACK - datetime.timedelta(days=20)),
        "date": str(FEEDBACK - datetime.timedelta(days=55))}))
    ok(intake.call(o, "round.advance", {"round": rid, "stage": "stationed",
                                        "date": str(FEEDBACK - datetime.timedelta(days=45))}))
    p = ok(intake.call(s.team, "problem.report", {
        "round": rid, "unit": unit, "category": "public_concerns", "summary": summary,
        "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
    ok(intake.call(o, "problem.classify", {
        "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
    for stage, days in (("withdrawn", 20), ("reported", 15), ("feedback_delivered", 0)):
        ok(intake.call(o, "round.advance", {"round": rid, "stage": stage,
                                            "date": str(FEEDBACK - datetime.timedelta(days=days))}))


def notices(s, notify):
    """Every notice notify made, with its delivery's recipient: [(recipient, notice)]."""
    return [(d["recipient"], notice_of(get(s, notify, d["id"] if "id" in d else d["delivery"])))
            for d in deliveries(s, notify)]


def of_type(got, type_):
    return [(r, n) for r, n in got if n["event"]["type"] == type_]


def test_notices_name_rounds_grades_spans_leaders_and_bodies_in_words(suite):
    s = suite
    c = clients_of(s)
    ok(c["intake"].call(s.office, "unit.register", {"id": "U-A", "name": "青石镇", "level": "town"}))
    feed_back(s, c, "R-8", "十二届第八轮", "U-A", "村道积水长期未治理")
    (item,) = items(s, c, 1)["U-A"]
    # another round withdrawn 40 days before and never reported: its report is overdue
    ok(c["intake"].call(s.office, "round.open", {
        "id": "R-9", "name": "十二届第九轮", "kind": "regular", "team": "team-1",
        "targets": [{"unit": "U-A", "coverage": "main"}],
        "planned_start": str(FEEDBACK - datetime.timedelta(days=45)),
        "planned_end": str(FEEDBACK - datetime.timedelta(days=40)),
        "date": str(FEEDBACK - datetime.timedelta(days=50))}))
    for stage, days in (("stationed", 45), ("withdrawn", 40)):
        ok(c["intake"].call(s.office, "round.advance", {"round": "R-9", "stage": stage,
                                                        "date": str(FEEDBACK - datetime.timedelta(days=days))}))
    # withdrawn on a past day: quiet for history_quiet (1 day) after it was recorded
    set_clock(s, c["intake"], instant(FEEDBACK + datetime.timedelta(days=7)))
    assert wait_for(lambda: events(s, "intake", c["intake"], {"round.report_overdue"}))

    # scored 30: 不合格 by the policy's names, an interview recommended, then held
    ok(c["rectify"].call(s.office, "rectify.evaluate", {
        "round": "R-8", "unit": "U-A", "parts": {k: 30 for k in ("leadership", "responsibility",
                                                                "task_completion", "satisfaction")},
        "principal_leader": {"name": "冯镇长", "title": "镇长"}}))
    ok(c["rectify"].call(s.office, "rectify.interview", {
        "round": "R-8", "unit": "U-A", "interviewee": {"name": "冯镇长", "title": "镇长"},
        "by": "市委巡察办主任"}))

    # a special report to the organization department, signed by the mayor
    ref = ok(c["referral"].call(s.office, "referral.create", {
        "kind": "report", "target": "organization-dept", "title": "关于基层治理的专题报告",
        "detail": "详见报告正文"}))["referral"]
    ok(c["referral"].call(s.office, "referral.sign", {
        "referral": ref, "leader": {"name": "王强", "title": "市长"}}))

    # rectify's clock past the return visit: 20 working days after the feedback
    def revisit_event():
        evs = events(s, "rectify", c["rectify"], {"revisit.due"})
        return evs[0] if evs else None
    set_clock(s, c["rectify"], instant(FEEDBACK + datetime.timedelta(days=45)))
    visit = wait_for(revisit_event)
    assert visit, events(s, "rectify", c["rectify"])
    assert visit["data"]["after"] == "20 workdays", visit

    recommended = events(s, "rectify", c["rectify"], {"interview.recommended"})
    assert len(recommended) == 1 and recommended[0]["data"]["grade_name"] == "不合格", recommended
    score = recommended[0]["data"]["score"]

    assert wait_for(lambda: all_caught_up(s, c))
    quiet(lambda: len(deliveries(s, c["notify"])))
    got = notices(s, c["notify"])
    for recipient, n in got:
        assert not LATIN.search(n["subject"] + n["text"]), (recipient, n["subject"], n["text"])
        assert "R-" not in n["subject"] + n["text"] and "U-A" not in n["text"], n["text"]

    (rec,) = of_type(got, "interview.recommended")
    assert rec[0] == "office-leader"
    assert rec[1]["subject"] == f"【约谈建议】青石镇 整改评估得分{score}（不合格）", rec[1]["subject"]
    assert f"青石镇在十二届第八轮整改评估中得分{score}（不合格）" in rec[1]["text"], rec[1]["text"]
    assert "规则“约谈建议”" in rec[1]["text"] and "整改监督第" in rec[1]["text"], rec[1]["text"]

    (late,) = of_type(got, "round.report_overdue")
    assert late[0] == "office-desk" and late[1]["subject"] == "【巡察报告逾期】十二届第九轮", late
    withdrawn = FEEDBACK - datetime.timedelta(days=40)
    assert f"十二届第九轮于{withdrawn}撤离，巡察报告应于" in late[1]["text"], late[1]["text"]

    (held,) = of_type(got, "interview.held")
    assert held[0] == "office-leader"
    assert held[1]["subject"] == "【约谈】青石镇 镇长冯镇长", held[1]["subject"]
    assert "市委巡察办主任已于" in held[1]["text"], held[1]["text"]
    assert "约谈青石镇镇长冯镇长（十二届第八轮整改）" in held[1]["text"], held[1]["text"]

    revisits = of_type(got, "revisit.due")
    assert [r for r, _ in revisits] == ["office-desk"], revisits
    assert revisits[0][1]["subject"] == "【巡察回访】青石镇 整改满20个工作日", revisits[0][1]["subject"]
    assert f"整改已满20个工作日（{visit['data']['due']}）" in revisits[0][1]["text"], revisits[0][1]["text"]

    signed = of_type(got, "referral.signed")
    assert sorted(r for r, _ in signed) == ["office-desk", "org-dept"], signed
    for _, n in signed:
        assert n["subject"] == f"【领导签批】专题报告{ref} 已由市长王强签批", n["subject"]
        assert "报送市委组织部的专题报告" in n["text"], n["text"]


def test_a_merger_and_a_split_reach_the_office_by_the_units_names(suite):
    """机构改革: the office hears of a merger and of a split, every unit by its name as intake last
    gave it (a renamed unit by its new name)."""
    s = suite
    c = clients_of(s)
    for uid, name in (("U-A", "青石镇"), ("U-B", "白沙镇"), ("U-C", "红旗乡")):
        ok(c["intake"].call(s.office, "unit.register", {"id": uid, "name": name, "level": "town"}))
    ok(c["intake"].call(s.office, "unit.rename", {"unit": "U-C", "name": "红旗街道",
                                                    "occurred_on": "2021-02-01"}))
    ok(c["intake"].call(s.office, "unit.merge", {
        "from": ["U-A", "U-B"], "into": {"id": "U-N", "name": "青沙镇", "level": "town"},
        "occurred_on": "2021-03-01"}))
    ok(c["intake"].call(s.office, "unit.split", {
        "unit": "U-C", "into": [{"id": "U-C1", "name": "红旗东街道", "level": "town"},
                                {"id": "U-C2", "name": "红旗西街道", "level": "town"}],
        "successor": "U-C2", "occurred_on": "2021-04-01"}))
    assert wait_for(lambda: all_caught_up(s, c))
    got = wait_for(lambda: (lambda g: g if len(g) >= 2 else None)(notices(s, c["notify"])))
    assert got and len(got) == 2, got
    for recipient, n in got:
        assert recipient == "office-desk", got
        assert not LATIN.search(n["subject"] + n["text"]), (n["subject"], n["text"])
    (merged,) = [n for _, n in of_type(got, "unit.merged")]
    assert merged["subject"] == "【机构改革】青石镇、白沙镇并入青沙镇", merged["subject"]
    assert "青石镇、白沙镇已于2021-03-01并入青沙镇" in merged["text"], merged["text"]
    (split,) = [n for _, n in of_type(got, "unit.split")]
    assert split["subject"] == "【机构改革】红旗街道分设为红旗东街道、红旗西街道", split["subject"]
    assert "由红旗西街道承接" in split["text"] and "2021-04-01" in split["text"], split["text"]
