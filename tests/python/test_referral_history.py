"""Referral with rounds, units and dates (issue 19), through the real xc-intake and
xc-referral: rounds and units learnt from intake's events feed referral.stats's filters;
occurred_on on every transition, the office recording a body's act from paper, refusals for
dates out of order; outcomes per person and their figures; a leader's sign-off on a special
report; departments' institutional measures; quiet for referrals loaded from history.

Written from docs/services/referral.md. Today is the deployment's real clock; history is
dated in the months before it."""

import datetime
import os
import shutil
import subprocess
import time

import pytest

import xcwire
from conftest import REPO, Suite, running_suite, write_json

SERVICES = ["intake", "referral"]
BODY = "discipline-commission"
DEPT = "dept-housing"
WAIT = 15.0


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def refused(reply, code, *words):
    assert reply["type"] == "error", reply
    assert reply["data"]["code"] == code, reply
    for w in words:
        assert w in reply["data"]["message"], (w, reply)
    return reply["data"]["message"]


def wait_for(fn, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), SERVICES, {
        "office": ("office", "office", {}),
        "team": ("team-1", "team", {}),
        "body": (BODY, "discipline", {"units": ["*"]}),
        "dept": (DEPT, "department", {"units": ["*"]}),
    })
    yield from running_suite(s)


def clients(s):
    return s.client("intake"), s.client("referral")


def days_ago(n):
    return ((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
            - datetime.timedelta(days=n)).isoformat()


def events(s, referral, *types):
    """The data of referral's events of those types, each opened and checked as the office reads it."""
    out = []
    for e in ok(referral.call(s.office, "events.read", {"after": 0, "limit": 500}))["events"]:
        if e["type"] in types:
            _, body = xcwire.open_message(e["message"].encode("utf-8"), s.registry, event=True)
            out.append((e["type"], body["data"]))
    return out


def stats(s, referral, **filters):
    return ok(referral.call(s.office, "referral.stats", filters))


def world(s, intake, referral):
    """Units of a district, two city rounds (one linked), three problems referred through intake:
    two leads in R1 (a town's, a village's), a handover in R2. Returns the referral ids."""
    for u in ({"id": "D1", "name": "青石区", "level": "district"},
              {"id": "T1", "name": "青石镇", "level": "town", "parent": "D1"},
              {"id": "V1", "name": "东村", "level": "village", "parent": "T1"},
              {"id": "H1", "name": "市第一人民医院", "level": "hospital"}):
        ok(intake.call(s.office, "unit.register", u))
    year = days_ago(0)[:4]
    for rid, modes, targets in (("R1", ["linked"], ["T1", "V1"]), ("R2", [], ["H1"])):
        ok(intake.call(s.office, "round.open", {
            "id": rid, "name": f"十二届第{rid[1]}轮", "kind": "regular", "modes": modes, "team": "team-1",
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": f"{year}-01-05", "planned_end": f"{year}-02-05", "date": f"{year}-01-01"}))
        ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": f"{year}-01-05"}))
    for rid, unit, category, disposition in (
            ("R1", "T1", "governance", {"kind": "lead", "body": BODY}),
            ("R1", "V1", "public_concerns", {"kind": "lead", "body": BODY}),
            ("R2", "H1", "public_concerns", {"kind": "handover", "department": DEPT})):
        p = ok(intake.call(s.team, "problem.report", {
            "round": rid, "unit": unit, "category": category, "summary": f"{unit}的问题",
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
        ok(intake.call(s.office, "problem.classify", {"problem": p, "dispositions": [disposition]}))
    items = wait_for(lambda: (lambda i: i if len(i) == 3 else None)(
        ok(referral.call(s.office, "referral.list", {}))["items"]))
    assert items, ok(referral.call(s.office, "referral.list", {}))
    return [i["id"] for i in items]


def test_rounds_and_units_from_intake_feed_the_filters(suite):
    s = suite
    intake, referral = clients(s)
    ids = world(s, intake, referral)
    year = int(days_ago(0)[:4])
    everything = stats(s, referral)
    assert (everything["leads"], everything["handovers"], everything["reports"]) == (2, 1, 0)
    assert everything["filters"] == {}
    for figure in ("leads", "reports", "reports_signed", "cases_filed", "people", "by_form",
                   "sanctioned_people", "detentions", "prosecution_transfers", "institutional_measures"):
        assert everything["definitions"][figure], figure
    cases = [({"round": "R1"}, 2, 0), ({"round": "R2"}, 0, 1), ({"mode": "linked"}, 2, 0),
             ({"kind": "regular"}, 2, 1), ({"kind": "lookback"}, 0, 0), ({"owner": "city"}, 2, 1),
             ({"owner": "district"}, 0, 0), ({"owner": "D1"}, 0, 0), ({"unit_level": "village"}, 1, 0),
             ({"unit_level": "hospital"}, 0, 1), ({"year": year}, 2, 1), ({"year": year - 1}, 0, 0),
             ({"category": "governance"}, 1, 0), ({"category": "public_concerns"}, 1, 1),
             ({"round": "R1", "unit_level": "town", "year": year}, 1, 0)]
    for filters, leads, handovers in cases:
        got = stats(s, referral, **filters)
        assert (got["leads"], got["handovers"]) == (leads, handovers), (filters, got)
        assert got["filters"] == filters
    refused(referral.call(s.office, "referral.stats", {"round": "R9"}), "not_found", "R9")
    refused(referral.call(s.office, "referral.stats", {"owner": "T1"}), "schema", "T1", "district")
    refused(referral.call(s.office, "referral.stats", {"owner": "Z9"}), "not_found", "Z9")
    refused(referral.call(s.office, "referral.stats", {"kind": "weekly"}), "schema")
    refused(referral.call(s.office, "referral.stats", {"year": 1999}), "schema")
    # each referral keeps its round, unit and the unit's level and name
    got = ok(referral.call(s.office, "referral.get", {"referral": ids[1]}))
    assert (got["round"], got["unit"], got["unit_level"], got["unit_name"]) == ("R1", "V1", "village", "东村")
    assert got["category_path"][-1] == "public_concerns"
    row = ok(referral.call(s.office, "referral.list", {}))["items"][0]
    assert (row["round"], row["unit"], row["unit_name"]) == ("R1", "T1", "青石镇")


def test_occurred_on_dates_each_transition_and_the_office_records_from_paper(suite):
    s = suite
    intake, referral = clients(s)
    made = ok(referral.call(s.office, "referral.create", {
        "kind": "lead", "target": BODY, "title": "某局长违规收受礼金", "detail": "见来信",
        "occurred_on": days_ago(200)}))
    rid = made["referral"]
    got = ok(referral.call(s.office, "referral.get", {"referral": rid}))
    assert got["referred_on"] == days_ago(200) and got["due"]["start"] == days_ago(200)
    assert got["applied_on"] == days_ago(0) and got["quiet_until"] > days_ago(0)
    # the body itself may not give a date; the office may not act without one
    refused(referral.call(s.body, "referral.acknowledge", {"referral": rid, "occurred_on": days_ago(190)}),
            "forbidden", "occurred_on")
    refused(referral.call(s.office, "referral.acknowledge", {"referral": rid}), "forbidden", BODY)
    # a date before the referral's, or after today
    refused(referral.call(s.office, "referral.acknowledge", {"referral": rid, "occurred_on": days_ago(201)}),
            "conflict", days_ago(201), days_ago(200))
    refused(referral.call(s.office, "referral.acknowledge", {"referral": rid, "occurred_on": days_ago(-1)}),
            "schema", "after today")
    assert ok(referral.call(s.office, "referral.get", {"referral": rid}))["state"] == "referred"
    ok(referral.call(s.office, "referral.acknowledge", {"referral": rid, "occurred_on": days_ago(190)}))
    refused(referral.call(s.office, "referral.dispose", {"referral": rid, "method": "preliminary_verification",
                                                         "occurred_on": days_ago(195)}),
            "conflict", days_ago(195), days_ago(190))
    ok(referral.call(s.office, "referral.dispose", {"referral": rid, "method": "preliminary_verification",
                                                    "occurred_on": days_ago(150)}))
    # the body carries on today, without a date
    ok(referral.call(s.body, "referral.outcome", {"referral": rid, "case_filed": True}))
    got = ok(referral.call(s.office, "referral.get", {"referral": rid}))
    assert got["disposed_on"] == days_ago(150)
    ack = [h for h in got["history"] if h["action"] == "acknowledged"][0]
    assert ack["by"] == "office" and ack["data"]["recorded_from_history"] is True
    assert ack["data"]["occurred_on"] == days_ago(190)
    outcome = [h for h in got["history"] if h["action"] == "outcome"][0]
    assert outcome["by"] == BODY and "recorded_from_history" not in outcome["data"]
    # 50 days from referral to disposal, counted from the dates, not the signing time
    assert stats(s, referral)["median_days_to_disposal"] == 50
    # the events carry the day it happened
    acked = events(s, referral, "referral.acknowledged")[0][1]
    assert acked["occurred_on"] == days_ago(190) and acked["recorded_from_history"] is True


def test_outcomes_per_person_and_their_figures(suite):
    s = suite
    intake, referral = clients(s)
    ids = world(s, intake, referral)
    lead_t1, lead_v1 = ids[0], ids[1]
    for rid in (lead_t1, lead_v1):
        ok(referral.call(s.body, "referral.acknowledge", {"referral": rid}))
        ok(referral.call(s.body, "referral.dispose", {"referral": rid, "method": "preliminary_verification"}))
    people = [
        {"form": 1, "organizational_handling": "admonishment"},
        {"form": 2, "party_sanction": "warning", "administrative_sanction": "demerit"},
        {"form": 4, "party_sanction": "expulsion", "administrative_sanction": "expulsion",
         "detained": True, "prosecuted": True},
    ]
    # kinds not in the policy, counts that disagree: refused, nothing stored
    refused(referral.call(s.body, "referral.outcome", {"referral": lead_t1, "case_filed": True,
                                                       "people": [{"form": 3, "party_sanction": "fine"}]}),
            "schema", "fine", "party_sanction")
    refused(referral.call(s.body, "referral.outcome", {"referral": lead_t1, "case_filed": True,
                                                       "people": people, "detentions": 2}),
            "schema", "detentions")
    refused(referral.call(s.body, "referral.outcome", {"referral": lead_t1, "case_filed": True,
                                                       "people": [{"form": 5}]}), "schema")
    refused(referral.call(s.body, "referral.outcome", {"referral": lead_t1, "case_filed": True,
                                                       "institutional_measures": 2}), "conflict", "lead")
    assert ok(referral.call(s.office, "referral.get", {"referral": lead_t1}))["outcomes"] == []
    ok(referral.call(s.body, "referral.outcome", {"referral": lead_t1, "case_filed": True, "people": people,
                                                  "party_sanctions": 2}))
    # the old integer form stays accepted
    ok(referral.call(s.body, "referral.outcome", {"referral": lead_v1, "case_filed": False,
                                                  "organizational_handling": 1}))
    got = ok(referral.call(s.office, "referral.get", {"referral": lead_t1}))["outcomes"][0]
    assert (got["party_sanctions"], got["administrative_sanctions"], got["organizational_handling"],
            got["detentions"], got["prosecution_transfers"]) == (2, 2, 1, 1, 1)
    assert [p["form"] for p in got["people"]] == [1, 2, 4] and got["people"][2]["detained"] is True
    st = stats(s, referral)
    assert st["cases_filed"] == 1 and st["people"] == 3 and st["sanctioned_people"] == 2
    assert st["by_form"] == {"1": 1, "2": 1, "3": 0, "4": 1}
    assert st["by_sanction"]["party"]["warning"] == 1 and st["by_sanction"]["party"]["expulsion"] == 1
    assert st["by_sanction"]["administrative"]["demerit"] == 1
    assert st["by_handling"]["admonishment"] == 1
    assert (st["party_sanctions"], st["organizational_handling"], st["detentions"], st["prosecution_transfers"]) \
        == (2, 2, 1, 1)
    assert st["names"]["form"]["4"] == "第四种形态" and st["names"]["party_sanction"]["probation"] == "留党察看"
    # per round and per unit level: only the town's lead has people
    assert stats(s, referral, unit_level="village")["people"] == 0
    assert stats(s, referral, round="R1")["sanctioned_people"] == 2
    assert stats(s, referral, round="R2")["people"] == 0


def test_a_leader_signs_a_special_report_once(suite):
    s = suite
    intake, referral = clients(s)
    report = ok(referral.call(s.office, "referral.create", {
        "kind": "report", "target": DEPT, "title": "关于村级应收款的专题报告", "detail": "……",
        "occurred_on": days_ago(30)}))["referral"]
    lead = ok(referral.call(s.office, "referral.create", {
        "kind": "lead", "target": BODY, "title": "线索", "detail": "……"}))["referral"]
    leader = {"name": "张三", "title": "市委副书记"}
    refused(referral.call(s.office, "referral.sign", {"referral": lead, "leader": leader}), "conflict", "lead")
    refused(referral.call(s.office, "referral.sign", {"referral": report, "leader": leader,
                                                      "occurred_on": days_ago(31)}), "conflict", days_ago(30))
    refused(referral.call(s.dept, "referral.sign", {"referral": report, "leader": leader}), "forbidden")
    refused(referral.call(s.office, "referral.sign", {"referral": report, "leader": {"name": "张三"}}), "schema")
    assert stats(s, referral)["reports_signed"] == 0
    ok(referral.call(s.office, "referral.sign", {"referral": report, "leader": leader, "occurred_on": days_ago(20)}))
    refused(referral.call(s.office, "referral.sign", {"referral": report, "leader": leader}), "conflict", "张三")
    got = ok(referral.call(s.office, "referral.get", {"referral": report}))
    assert got["signed"] == {"leader": leader, "on": days_ago(20), "by": "office"}
    st = stats(s, referral)
    assert (st["reports"], st["reports_signed"]) == (1, 1)
    signed = events(s, referral, "referral.signed")
    assert len(signed) == 1 and signed[0][1]["occurred_on"] == days_ago(20)
    assert signed[0][1]["leader"] == leader
    # the department's own measures on the report count
    ok(referral.call(s.dept, "referral.acknowledge", {"referral": report}))
    ok(referral.call(s.dept, "referral.dispose", {"referral": report, "method": "close"}))
    ok(referral.call(s.dept, "referral.outcome", {"referral": report, "case_filed": False,
                                                  "institutional_measures": 7}))
    assert stats(s, referral)["institutional_measures"] == 7
    assert stats(s, referral, year=int(days_ago(30)[:4]))["reports"] == 1


def test_a_referral_from_history_is_quiet_then_alerted_once_for_its_state_now(suite):
    s = suite
    intake, referral = clients(s)
    old = ok(referral.call(s.office, "referral.create", {
        "kind": "lead", "target": BODY, "title": "旧线索", "detail": "……", "occurred_on": days_ago(400)}))
    got = ok(referral.call(s.office, "referral.get", {"referral": old["referral"]}))
    assert got["due"]["date"] < days_ago(0)
    # overdue in the figures at once, no notice while quiet
    assert stats(s, referral)["overdue_now"] == 1
    time.sleep(1.0)
    assert events(s, referral, "referral.overdue", "referral.warning") == []
    # after the quiet time (the clock moved on two days): one overdue notice, no warnings
    ahead = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok(referral.call(s.office, "clock.set", {"clock": ahead}))
    overdue = wait_for(lambda: events(s, referral, "referral.overdue", "referral.warning"))
    time.sleep(0.5)
    assert [t for t, _ in events(s, referral, "referral.overdue", "referral.warning")] == ["referral.overdue"]


def test_merged_and_split_units_carry_open_referrals_to_their_successor(suite):
    s = suite
    intake, referral = clients(s)
    lead_t1, lead_v1, handover_h1 = world(s, intake, referral)
    # the town's lead is concluded before the reform: it stays where it was
    ok(referral.call(s.body, "referral.acknowledge", {"referral": lead_t1}))
    ok(referral.call(s.body, "referral.dispose", {"referral": lead_t1, "method": "close"}))
    ok(referral.call(s.body, "referral.conclude", {"referral": lead_t1}))
    ok(intake.call(s.office, "unit.merge", {"from": ["T1", "V1"],
                                            "into": {"id": "T2", "name": "青石新镇", "level": "town", "parent": "D1"}}))
    ok(intake.call(s.office, "unit.split", {"unit": "H1", "successor": "H2", "into": [
        {"id": "H2", "name": "市第一人民医院本部", "level": "hospital"},
        {"id": "H3", "name": "市第一人民医院分院", "level": "hospital"}]}))
    moved = wait_for(lambda: ok(referral.call(s.office, "referral.get", {"referral": handover_h1}))["unit"] == "H2")
    assert moved, ok(referral.call(s.office, "referral.get", {"referral": handover_h1}))
    got = ok(referral.call(s.office, "referral.get", {"referral": lead_v1}))
    assert got["unit"] == "T2"
    step = [h for h in got["history"] if h["action"] == "unit_succeeded"]
    assert len(step) == 1 and step[0]["data"]["from"] == "V1" and step[0]["data"]["to"] == "T2"
    assert step[0]["data"]["occurred_on"] == days_ago(0)
    got = ok(referral.call(s.office, "referral.get", {"referral": lead_t1}))
    assert got["unit"] == "T1" and not [h for h in got["history"] if h["action"] == "unit_succeeded"]
    # a new referral naming a merged unit is refused, naming the successor and the day
    refused(referral.call(s.office, "referral.create", {"kind": "lead", "target": BODY, "title": "线索",
                                                        "detail": "……", "unit": "V1"}),
            "conflict", "V1", "T2", days_ago(0))
    # the level recorded with the referral stays; the round's figures are unchanged
    assert stats(s, referral, round="R1")["leads"] == 2
    assert stats(s, referral, unit_level="village")["leads"] == 1


def test_a_lead_loaded_from_history_through_intake_keeps_its_dates(suite):
    s = suite
    intake, referral = clients(s)
    world(s, intake, referral)
    found, classified = days_ago(300), days_ago(290)
    p = ok(intake.call(s.office, "problem.report", {
        "round": "R1", "unit": "T1", "category": "governance", "summary": "旧问题", "detail": "档案",
        "severity": "serious", "source": "inspection_team", "occurred_on": found}))["problem"]
    ok(intake.call(s.office, "problem.classify", {"problem": p, "occurred_on": classified,
                                                  "dispositions": [{"kind": "lead", "body": BODY}]}))
    row = wait_for(lambda: [i for i in ok(referral.call(s.office, "referral.list", {}))["items"]
                            if i["problem"] == p])
    assert row, ok(referral.call(s.office, "referral.list", {}))
    got = ok(referral.call(s.office, "referral.get", {"referral": row[0]["id"]}))
    assert got["referred_on"] == classified and got["due"]["start"] == classified
    assert got["quiet_until"] and got["quiet_until"] > days_ago(0)
    assert got["category_path"] == ["governance"] and got["round"] == "R1"
    year = int(classified[:4])
    assert stats(s, referral, year=year, round="R1")["leads"] == (3 if year == int(days_ago(0)[:4]) else 1)
    # the body records its disposal from before the referral: refused
    refused(referral.call(s.office, "referral.acknowledge", {"referral": row[0]["id"], "occurred_on": days_ago(295)}),
            "conflict", classified)


@pytest.mark.parametrize("policy,said", [
    ({"history_quiet": "soon"}, "policies.referral.history_quiet"),
    ({"history_roles": ["office", "no role!"]}, "policies.referral.history_roles"),
    ({"outcomes": {"party_sanction": [{"id": "warning", "name": "警告"}, {"id": "warning", "name": "又一个"}]}},
     "policies.referral.outcomes.party_sanction: 'warning' twice"),
    ({"outcomes": {"forms": ["第一种形态"]}}, "policies.referral.outcomes.forms"),
    ({"definitions": {"leads": ""}}, "policies.referral.definitions"),
])
def test_a_bad_policy_stops_the_service_naming_the_key(tmp_path, policy, said):
    s = Suite(str(tmp_path), SERVICES, {"office": ("office", "office", {})}, {"referral": policy})
    r = subprocess.run([os.path.join(REPO, "build", "bin", "xc-referral"), "--config", s.config_path, "--test-mode"],
                       cwd=str(tmp_path), capture_output=True, text=True, timeout=30)
    assert r.returncode != 0, r
    assert said in r.stderr + r.stdout, r


def test_a_policy_replaces_the_kinds_and_the_definitions(tmp_path):
    s = Suite(str(tmp_path), SERVICES, {"office": ("office", "office", {}), "body": (BODY, "discipline", {})},
              {"referral": {"outcomes": {"organizational_handling": [{"id": "talk", "name": "提醒谈话"}]},
                            "definitions": {"leads": "本地定义：线索件数。", "note": "本地说明。"}}})
    for _ in running_suite(s):
        referral = s.client("referral")
        rid = ok(referral.call(s.office, "referral.create", {"kind": "lead", "target": BODY, "title": "线索",
                                                             "detail": "……"}))["referral"]
        ok(referral.call(s.body, "referral.acknowledge", {"referral": rid}))
        ok(referral.call(s.body, "referral.dispose", {"referral": rid, "method": "talk_inquiry"}))
        refused(referral.call(s.body, "referral.outcome", {"referral": rid, "case_filed": False, "people": [
            {"form": 1, "organizational_handling": "admonishment"}]}), "schema", "admonishment")
        ok(referral.call(s.body, "referral.outcome", {"referral": rid, "case_filed": False, "people": [
            {"form": 1, "organizational_handling": "talk"}]}))
        st = stats(s, referral)
        assert st["by_handling"] == {"talk": 1} and st["names"]["organizational_handling"] == {"talk": "提醒谈话"}
        assert st["definitions"]["leads"] == "本地定义：线索件数。" and st["definitions"]["note"] == "本地说明。"
        assert st["definitions"]["people"].startswith("处理人数")        # the others stay built in
        assert st["names"]["party_sanction"]["expulsion"] == "开除党籍"      # the other lists stay


def test_outcome_kinds_are_the_policys_own(tmp_path):
    """referral.outcome_kinds gives the loaded policy's forms and kinds, in its order, the
    defaults where the policy gives none, to a target and to the office alike; other data is
    schema (docs/services/referral.md, "Queries")."""
    forms = ["初步形态", "二级形态", "三级形态", "四级形态"]
    party = [{"id": "reminder", "name": "党内提醒"}, {"id": "expulsion", "name": "开除党籍"}]
    handling = [{"id": "talk", "name": "提醒谈话"}]
    s = Suite(str(tmp_path), SERVICES, {"office": ("office", "office", {}), "body": (BODY, "discipline", {}),
                                        "team": ("team-1", "team", {})},
              {"referral": {"outcomes": {"forms": forms, "party_sanction": party,
                                         "organizational_handling": handling}}})
    for _ in running_suite(s):
        referral = s.client("referral")
        for signer in (s.body, s.office, s.team):
            got = ok(referral.call(signer, "referral.outcome_kinds", {}))
            assert set(got) == {"forms", "party_sanction", "administrative_sanction", "organizational_handling"}
            assert got["forms"] == forms and got["party_sanction"] == party
            assert got["organizational_handling"] == handling
            # the list the policy leaves out stays the built-in one
            assert [k["id"] for k in got["administrative_sanction"]] == [
                "warning", "demerit", "major_demerit", "demotion", "dismissal", "expulsion"]
            assert got["administrative_sanction"][1] == {"id": "demerit", "name": "记过"}
        refused(referral.call(s.body, "referral.outcome_kinds", {"list": "forms"}), "schema")


def test_a_lead_that_waited_for_a_calendar_follows_its_unit_merged_meanwhile(tmp_path):
    folder = os.path.join(str(tmp_path), "calendar")
    os.mkdir(folder)
    for year in (2025, 2026):
        shutil.copy(os.path.join(REPO, "config", "calendar", f"{year}.json"), folder)
    s = Suite(str(tmp_path), SERVICES, {"office": ("office", "office", {}), "team": ("team-1", "team", {}),
                                        "body": (BODY, "discipline", {})},
              {"referral": {"due": {"lead": "20 workdays"}}})
    s.config["calendar"] = folder
    s.config["limits"]["calendar_check_ms"] = 200
    write_json(s.config_path, s.config)
    for _ in running_suite(s):
        intake, referral = clients(s)
        for c in (intake, referral):
            ok(c.call(s.office, "clock.set", {"clock": "2026-12-24T02:00:00Z"}))
        for u in ("U-A", "U-B"):
            ok(intake.call(s.office, "unit.register", {"id": u, "name": f"{u}镇", "level": "town"}))
        ok(intake.call(s.office, "round.open", {
            "id": "R1", "name": "十二届第一轮", "kind": "regular", "team": "team-1",
            "targets": [{"unit": "U-A", "coverage": "main"}], "planned_start": "2026-10-10",
            "planned_end": "2026-11-10", "date": "2026-10-01"}))
        ok(intake.call(s.office, "round.advance", {"round": "R1", "stage": "stationed", "date": "2026-10-10"}))
        p = ok(intake.call(s.team, "problem.report", {
            "round": "R1", "unit": "U-A", "category": "governance", "summary": "某所长违规经商",
            "detail": "详见巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
        ok(intake.call(s.office, "problem.classify", {"problem": p, "dispositions": [{"kind": "lead", "body": BODY}]}))
        # 20 workdays from 2026-12-24 need 2027: the lead waits
        assert wait_for(lambda: ok(referral.call(s.office, "health", {}))["waiting"]["calendar"] == 1)
        ok(intake.call(s.office, "unit.merge", {"from": ["U-A", "U-B"],
                                                "into": {"id": "U-N", "name": "新镇", "level": "town"}}))
        write_json(os.path.join(folder, "2027.json"), {"year": 2027, "holidays": ["2027-01-01"], "workdays": []})
        made = wait_for(lambda: ok(referral.call(s.office, "referral.list", {}))["items"])
        assert made, ok(referral.call(s.office, "health", {}))
        got = ok(referral.call(s.office, "referral.get", {"referral": made[0]["id"]}))
        assert got["unit"] == "U-N" and got["referred_on"] == "2026-12-24", got
        step = [h["data"] for h in got["history"] if h["action"] == "unit_succeeded"]
        assert step == [{"action": "unit_succeeded", "from": "U-A", "to": "U-N", "occurred_on": "2026-12-24"}], step
