"""District offices in rectify (issue 20), over the wire against a real xc-intake and xc-rectify.

Two districts, 云溪区 (D-A) and 青山区 (D-B), each with its office (role district, scope
{"district": ...}), beside the city office. Rounds of both levels come from intake: the city's
R-CITY, a raised round R-RAISED (提级, the city's), D-A's R-A (linked to R-CITY), D-B's R-B, and
R-X, D-B's round crossed by D-A's teams (交叉). D-A has its own rules (policies.rectify.districts):
shorter regimes, one warning at 5 days, its own escalation step. Every rule of
docs/services/rectify.md, "District offices", from both sides: what D-A does on its rounds' items,
what it reads (its own and the crossed round), what it is refused (forbidden), not told
(not_found) or not shown (filtered, redacted); its rules change its items' due dates, warnings and
steps while the city's items keep the city's; the city sees every district's overdue items in one
list, each with its round_owner, and every alert carries round_owner.
"""

import datetime
import time

import pytest

import xcwire
from conftest import Suite, running_suite
from test_rectify import add_months, code, local_day, ok

PRINCIPALS = {
    "office": ("office", "office", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "dist_none": ("nowhere-office", "district", {}),
    "team": ("team-1", "team", {}),
    "unit_at": ("unit-at", "unit", {"units": ["A-T"]}),
}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "青山区", "district", None),
         ("C-1", "市财政局", "city_department", None),
         ("A-T", "云溪区青石镇", "town", "D-A"), ("A-V", "青石镇东村", "village", "A-T"),
         ("B-T", "青山区白沙镇", "town", "D-B"), ("B-V", "白沙镇西村", "village", "B-T")]
# the city keeps its periods where the arithmetic puts them (no calendar file decides a due date)
POLICY = {"rectify": {
    "calendar_warn_from": None, "period_end": "keep", "history_quiet": "0 days",
    "districts": {"D-A": {
        "regimes": {"2017": {"plan_due": "20 days", "report_due": "45 days"}},
        "immediate_due": "7 days",
        "warnings": [{"colour": "orange", "days_left": 5}],
        "escalation": {"steps": ["district_notice", "district_accountability"]},
        "revisit_after": "1 months"}}}}
ALERTS = {"rectify.warning", "rectify.overdue", "rectify.escalated", "revisit.due",
          "interview.recommended", "interview.held"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The suite with the rounds of both levels fed back today, one item of each: (suite, items
    by round, today)."""
    s = Suite(str(tmp_path_factory.mktemp("districts")), ["intake", "rectify"], PRINCIPALS, POLICY)
    gen = running_suite(s)
    next(gen)
    try:
        today = local_day()
        intake, rectify = s.client("intake"), s.client("rectify")
        for uid, name, level, parent in UNITS:
            ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                       **({"parent": parent} if parent else {})}))
        rounds = [("R-CITY", s.office, ["C-1"], {}),
                  ("R-RAISED", s.office, ["A-V"], {"link": {"kind": "raised", "district": "D-A"}}),
                  ("R-A", s.dist_a, ["A-T", "A-V"], {"link": {"kind": "linked", "round": "R-CITY"}}),
                  ("R-A2", s.dist_a, ["A-V"], {}),
                  ("R-B", s.dist_b, ["B-T"], {}),
                  ("R-X", s.office, ["B-V"], {"owner": "D-B", "link": {"kind": "crossed", "by": "D-A"}})]
        units = {"R-CITY": "C-1", "R-RAISED": "A-V", "R-A": "A-T", "R-B": "B-T", "R-X": "B-V"}
        start = (today - datetime.timedelta(days=20)).isoformat()
        for rid, who, targets, extra in rounds:
            ok(intake.call(who, "round.open", {
                "id": rid, "name": f"轮次{rid}", "kind": "regular", "team": "team-1",
                "targets": [{"unit": u, "coverage": "main"} for u in targets],
                "planned_start": start, "planned_end": today.isoformat(),
                "date": (today - datetime.timedelta(days=25)).isoformat(), **extra}))
        for rid, unit in units.items():
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": start}))
            p = ok(intake.call(s.team, "problem.report", {
                "round": rid, "unit": unit, "category": "four_styles", "summary": f"{rid}问题",
                "detail": "巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
            ok(intake.call(s.office, "problem.classify", {
                "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
            for stage in ("withdrawn", "reported", "feedback_delivered"):
                ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage,
                                                           "date": today.isoformat()}))
        end = time.monotonic() + 15
        while True:
            page = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))
            if len(page["items"]) == len(units) or time.monotonic() > end:
                break
            time.sleep(0.05)
        items = {i["round"]: i for i in page["items"]}
        assert set(items) == set(units), page
        yield s, items, today
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


def events_as(s, client, reader):
    """Every event of rectify as reader reads it: [(type, data or None when redacted)]."""
    out, after = [], 0
    while True:
        res = ok(client.call(reader, "events.read", {"after": after, "limit": 200}))
        for e in res["events"]:
            after = e["seq"]
            if e.get("redacted"):
                out.append((e["type"], None))
            else:
                body = xcwire.open_message(e["message"].encode("utf-8"), s.registry, event=True)[1]
                out.append((e["type"], body["data"]))
        if not res["events"]:
            return out


def set_clock(s, client, day):
    ok(client.call(s.office, "clock.set", {"clock": f"{day.isoformat()}T02:00:00Z"}))


def wait_events(s, client, pred, timeout=10):
    end = time.monotonic() + timeout
    while True:
        got = [d for t, d in events_as(s, client, s.office) if pred(t, d)]
        if got or time.monotonic() > end:
            return got
        time.sleep(0.05)


# --- rules: whose deadlines ------------------------------------------------------------------

def test_a_districts_rules_make_its_items_deadlines_and_the_citys_keep_the_citys(world):
    s, items, today = world
    rectify = s.client("rectify")
    due = lambda rid: {d["deadline"]: d for d in ok(rectify.call(
        s.office, "rectify.get", {"item": items[rid]["id"]}))["deadlines"]}
    a, city, b, x = due("R-A"), due("R-CITY"), due("R-B"), due("R-X")
    # D-A's own regime 2017: plan 20 days, report 45 days, its rules named
    assert a["plan"]["due"] == (today + datetime.timedelta(days=20)).isoformat(), a
    assert a["item"]["due"] == (today + datetime.timedelta(days=45)).isoformat(), a
    assert a["item"]["policy_source"] == "D-A" and a["plan"]["policy_source"] == "D-A", a
    assert "policies.rectify.districts.D-A" in a["item"]["explain"], a
    # the city's, the raised round's (the city's), and D-B's (no rules of its own): the city's
    for d in (city, b, x, due("R-RAISED")):
        assert d["item"]["due"] == add_months(today, 2).isoformat(), d
        assert d["plan"]["due"] == add_months(today, 1).isoformat(), d
        assert d["item"]["policy_source"] == "city" and "districts" not in d["item"]["explain"], d
    got = ok(rectify.call(s.office, "rectify.get", {"item": items["R-A"]["id"]}))
    assert got["round_owner"] == "D-A"
    assert ok(rectify.call(s.office, "rectify.get", {"item": items["R-X"]["id"]}))["round_owner"] == "D-B"
    assert ok(rectify.call(s.office, "rectify.get", {"item": items["R-RAISED"]["id"]}))["round_owner"] == "city"


# --- what a district office may do -----------------------------------------------------------

def test_a_district_office_directs_its_own_rounds_only(world):
    s, items, today = world
    rectify = s.client("rectify")
    a = s.dist_a
    later = (today + datetime.timedelta(days=60)).isoformat()
    # its own round's item: extend (its plan deadline)
    ext = ok(rectify.call(a, "rectify.extend", {"item": items["R-A"]["id"], "deadline": "plan",
                                                "due": (today + datetime.timedelta(days=25)).isoformat(),
                                                "reason": "区委巡察办同意延期"}))
    assert ext["deadline"] == "plan"
    # others': forbidden (they exist), the crossed round it reads included; unknown: not_found
    for rid in ("R-CITY", "R-RAISED", "R-B", "R-X"):
        r = rectify.call(a, "rectify.extend", {"item": items[rid]["id"], "due": later, "reason": "越权"})
        assert code(r) == "forbidden", (rid, r)
        assert "D-A" in r["data"]["message"], r
        assert code(rectify.call(a, "rectify.review", {"item": items[rid]["id"], "decision": "accept"})) \
            == "forbidden", rid
    assert code(rectify.call(a, "rectify.extend", {"item": 999999, "due": later, "reason": "无"})) == "not_found"
    # nothing was changed by the refusals
    city = ok(rectify.call(s.office, "rectify.get", {"item": items["R-CITY"]["id"]}))
    assert city["due"] == add_months(today, 2).isoformat() and not any(
        d["extensions"] for d in city["deadlines"]), city
    # review: a claim it does not own is refused before its state is looked at; its own: conflict
    # (nothing claimed yet), so the refusal is about the state, not the office
    assert code(rectify.call(a, "rectify.review", {"item": items["R-A"]["id"], "decision": "accept"})) == "conflict"
    # regime: its own round without items; others' forbidden; unknown not_found; D-A's regimes
    assert ok(rectify.call(a, "rectify.regime", {"round": "R-A2", "regime": "2024"}))["regime"] == "2024"
    for rid in ("R-CITY", "R-B", "R-X", "R-RAISED"):
        assert code(rectify.call(a, "rectify.regime", {"round": rid, "regime": "2024"})) == "forbidden", rid
    assert code(rectify.call(a, "rectify.regime", {"round": "R-NONE", "regime": "2024"})) == "not_found"
    # evaluate, interview, revisit: its round's targets; another's forbidden, nothing stored
    parts = {"leadership": 80, "responsibility": 80, "task_completion": 80, "satisfaction": 80}
    leader = {"name": "张三", "title": "镇党委书记"}
    ok(rectify.call(a, "rectify.evaluate", {"round": "R-A", "unit": "A-T", "parts": parts,
                                           "principal_leader": leader}))
    assert code(rectify.call(a, "rectify.evaluate", {"round": "R-B", "unit": "B-T", "parts": parts,
                                                     "principal_leader": leader})) == "forbidden"
    assert code(rectify.call(a, "rectify.evaluate", {"round": "R-X", "unit": "B-V", "parts": parts,
                                                     "principal_leader": leader})) == "forbidden"
    ok(rectify.call(a, "rectify.interview", {"round": "R-A", "unit": "A-T", "interviewee": leader,
                                            "by": "区委巡察办主任"}))
    assert code(rectify.call(a, "rectify.interview", {"round": "R-CITY", "unit": "C-1",
                                                      "interviewee": leader, "by": "越权"})) == "forbidden"
    ok(rectify.call(a, "rectify.revisit", {"round": "R-A", "unit": "A-T", "date": today.isoformat(),
                                          "kinds": ["return_visit"]}))
    for rid, unit in (("R-B", "B-T"), ("R-X", "B-V"), ("R-CITY", "C-1")):
        assert code(rectify.call(a, "rectify.revisit", {"round": rid, "unit": unit, "date": today.isoformat(),
                                                        "kinds": ["return_visit"]})) == "forbidden", rid
    got = ok(rectify.call(s.office, "rectify.round", {"round": "R-B"}))
    assert got["targets"][0]["score"] is None and got["targets"][0]["visit"]["recorded_on"] is None, got
    # the unit's commands stay the unit's (and the city office's from history)
    assert code(rectify.call(a, "rectify.plan", {"item": items["R-A"]["id"], "measures": [
        {"text": "整改", "owner": "王五", "lead_leader": "赵六", "deadline": later}]})) == "forbidden"
    # a district principal without a district may do nothing
    assert code(rectify.call(s.dist_none, "rectify.extend", {"item": items["R-A"]["id"], "due": later,
                                                             "reason": "无"})) == "forbidden"
    assert code(rectify.call(s.dist_none, "rectify.get", {"item": items["R-A"]["id"]})) == "forbidden"
    assert code(rectify.call(s.dist_none, "rectify.list", {})) == "forbidden"


# --- what a district office reads ------------------------------------------------------------

def test_a_district_office_reads_its_rounds_and_the_crossed_one_and_nothing_else(world):
    s, items, today = world
    rectify = s.client("rectify")
    a, b = s.dist_a, s.dist_b
    # get: its own and the crossed round's; the others' existence is hidden
    assert ok(rectify.call(a, "rectify.get", {"item": items["R-A"]["id"]}))["round"] == "R-A"
    assert ok(rectify.call(a, "rectify.get", {"item": items["R-X"]["id"]}))["round"] == "R-X"
    for rid in ("R-CITY", "R-RAISED", "R-B"):
        r = rectify.call(a, "rectify.get", {"item": items[rid]["id"]})
        assert code(r) == "not_found", (rid, r)
    assert code(rectify.call(b, "rectify.get", {"item": items["R-A"]["id"]})) == "not_found"
    assert ok(rectify.call(b, "rectify.get", {"item": items["R-X"]["id"]}))["round_owner"] == "D-B"
    # list: filtered, each row with its round_owner; owner D-A narrows to its own; another's forbidden
    rows = ok(rectify.call(a, "rectify.list", {"limit": 100}))["items"]
    assert {(r["round"], r["round_owner"]) for r in rows} == {("R-A", "D-A"), ("R-X", "D-B")}, rows
    assert {r["round"] for r in ok(rectify.call(a, "rectify.list", {"owner": "D-A"}))["items"]} == {"R-A"}
    for owner in ("D-B", "city", "district"):
        assert code(rectify.call(a, "rectify.list", {"owner": owner})) == "forbidden", owner
    assert {r["round"] for r in ok(rectify.call(b, "rectify.list", {}))["items"]} == {"R-B", "R-X"}
    # the city office: every row, filtered by owner as asked
    all_rows = ok(rectify.call(s.office, "rectify.list", {"limit": 100}))["items"]
    assert {r["round"]: r["round_owner"] for r in all_rows} == {
        "R-CITY": "city", "R-RAISED": "city", "R-A": "D-A", "R-B": "D-B", "R-X": "D-B"}
    by = lambda **f: {r["round"] for r in ok(rectify.call(s.office, "rectify.list", f))["items"]}
    assert by(owner="city") == {"R-CITY", "R-RAISED"} and by(owner="district") == {"R-A", "R-B", "R-X"}
    assert by(owner="D-B") == {"R-B", "R-X"} and by(owner="D-NONE") == set()
    # export: filtered the same way
    csv = ok(rectify.call(a, "rectify.export", {"list": "problems"}))["csv"]
    assert "R-A问题" in csv and "R-X问题" in csv and "R-B问题" not in csv and "R-CITY问题" not in csv, csv
    # stats: its own rounds (not the crossed one it reads), with or without owner D-A; another
    # owner forbidden
    st = ok(rectify.call(a, "rectify.stats", {}))
    assert st["items"] == 1 and "云溪区" in st["definitions"]["owner"], st["definitions"]
    assert set(st["escalations"]) == {"district_notice", "district_accountability"}, st["escalations"]
    assert ok(rectify.call(a, "rectify.stats", {"owner": "D-A"}))["items"] == 1
    assert code(rectify.call(a, "rectify.stats", {"owner": "D-B"})) == "forbidden"
    assert code(rectify.call(a, "rectify.stats", {"owner": "city"})) == "forbidden"
    count = lambda **f: ok(rectify.call(s.office, "rectify.stats", f))["items"]
    assert count() == 5 and count(owner="city") == 2 and count(owner="district") == 3 and count(owner="D-A") == 1
    city_st = ok(rectify.call(s.office, "rectify.stats", {"owner": "D-B"}))
    assert "青山区" in city_st["definitions"]["owner"] and "supervision_notice" in city_st["escalations"]
    # round: its own and the crossed one, with owner and link; the others not_found
    got = ok(rectify.call(a, "rectify.round", {"round": "R-A"}))
    assert got["owner"] == "D-A" and got["link"] == {"kind": "linked", "round": "R-CITY"}, got
    got = ok(rectify.call(a, "rectify.round", {"round": "R-X"}))
    assert got["owner"] == "D-B" and got["link"] == {"kind": "crossed", "by": "D-A"}, got
    for rid in ("R-CITY", "R-RAISED", "R-B", "R-NONE"):
        assert code(rectify.call(a, "rectify.round", {"round": rid})) == "not_found", rid
    got = ok(rectify.call(s.office, "rectify.round", {"round": "R-RAISED"}))
    assert got["owner"] == "city" and got["link"] == {"kind": "raised", "district": "D-A"}, got
    # events: its rounds' (own and crossed) in full, every other redacted
    seen = events_as(s, rectify, a)
    rounds_seen = {d["round"] for t, d in seen if d is not None and d.get("round")}
    assert rounds_seen == {"R-A", "R-A2", "R-X"}, rounds_seen
    opened = [d for t, d in seen if t == "rectify.opened"]
    assert sum(d is None for d in opened) == 3 and len(opened) == 5, opened
    assert all(d is not None for t, d in events_as(s, rectify, s.office))


# --- alerts: the district's timer, round_owner, the city's one overdue list ------------------

def test_alerts_follow_the_owners_rules_and_carry_round_owner(world):
    s, items, today = world
    rectify = s.client("rectify")
    a_due = today + datetime.timedelta(days=45)
    city_due = add_months(today, 2)
    assert (city_due - (a_due - datetime.timedelta(days=5))).days > 20     # the city's not warned yet
    # five days before D-A's due date: its one warning (orange), nothing for the city's items
    set_clock(s, rectify, a_due - datetime.timedelta(days=5))
    warned = wait_events(s, rectify, lambda t, d: t == "rectify.warning" and d["deadline"] == "item")
    assert [(d["round"], d["colour"], d["round_owner"]) for d in warned] == [("R-A", "orange", "D-A")], warned
    # twenty days before the city's: green for the city's and D-B's items (the city's rules)
    set_clock(s, rectify, city_due - datetime.timedelta(days=20))
    greens = wait_events(s, rectify, lambda t, d: t == "rectify.warning" and d["colour"] == "green"
                         and d["deadline"] == "item")
    time.sleep(0.5)
    greens = [d for t, d in events_as(s, rectify, s.office)
              if t == "rectify.warning" and d["colour"] == "green" and d["deadline"] == "item"]
    assert {(d["round"], d["round_owner"]) for d in greens} == {
        ("R-CITY", "city"), ("R-RAISED", "city"), ("R-B", "D-B"), ("R-X", "D-B")}, greens
    # D-A's item was never given the city's colours
    assert not [d for t, d in events_as(s, rectify, s.office)
                if t == "rectify.warning" and d["round"] == "R-A" and d["colour"] != "orange"]
    leader = {"name": "李四", "title": "镇长"}
    ok(rectify.call(s.dist_a, "rectify.interview", {"round": "R-A", "unit": "A-T", "interviewee": leader,
                                                   "by": "区委巡察办"}))
    ok(rectify.call(s.office, "rectify.interview", {"round": "R-CITY", "unit": "C-1", "interviewee": leader,
                                                   "by": "市委巡察办"}))
    # a week after every due date: every item overdue; D-A's steps are its own
    set_clock(s, rectify, city_due + datetime.timedelta(days=8))
    wait_events(s, rectify, lambda t, d: t == "rectify.escalated" and d["round"] == "R-CITY")
    time.sleep(0.5)
    evs = events_as(s, rectify, s.office)
    steps = {(d["round"], d["step_name"], d["round_owner"]) for t, d in evs
             if t == "rectify.escalated" and d["deadline"] == "item"}
    assert ("R-A", "district_notice", "D-A") in steps and ("R-CITY", "supervision_notice", "city") in steps, steps
    assert not [x for x in steps if x[0] == "R-A" and x[1] == "supervision_notice"], steps
    for t, d in evs:
        if t in ALERTS:
            assert d["round_owner"] in ("city", "D-A", "D-B"), (t, d)
    assert {(d["round"], d["round_owner"]) for t, d in evs if t == "interview.held"} >= {
        ("R-A", "D-A"), ("R-CITY", "city")}
    # the city's one list of every district's overdue items, each with its owner
    overdue = ok(rectify.call(s.office, "rectify.list", {"overdue": True, "limit": 100}))["items"]
    assert {(r["round"], r["round_owner"]) for r in overdue} == {
        ("R-CITY", "city"), ("R-RAISED", "city"), ("R-A", "D-A"), ("R-B", "D-B"), ("R-X", "D-B")}, overdue
    assert {r["round"] for r in ok(rectify.call(s.office, "rectify.list",
                                                {"overdue": True, "owner": "district"}))["items"]} == {"R-A", "R-B", "R-X"}
    # a district's overdue list: its own and the crossed round's
    assert {r["round"] for r in ok(rectify.call(s.dist_a, "rectify.list", {"overdue": True}))["items"]} == {"R-A", "R-X"}
    # D-A's office reads its alerts, not D-B's own
    for t, d in events_as(s, rectify, s.dist_a):
        if t in ALERTS and d is not None:
            assert d["round"] in ("R-A", "R-A2", "R-X"), (t, d)


# --- a bad override stops rectify ------------------------------------------------------------

@pytest.mark.parametrize("override, named", [
    ({"D-A": {"weights": {"leadership": 100}}}, "policies.rectify.districts.D-A.weights"),
    ({"D-A": {"warnings": [{"colour": "red", "days_left": 0}]}}, "policies.rectify.districts.D-A.warnings"),
    ({"D A": {}}, "'D A' is not a district id"),
    ({"D-A": {"default_regime": "2030"}}, "policies.rectify.districts.D-A.default_regime"),
])
def test_rectify_refuses_to_start_on_a_bad_district_override(tmp_path, override, named):
    import json
    import os
    import subprocess
    s = Suite(str(tmp_path), ["intake", "rectify"], {"office": ("office", "office", {})},
              {"rectify": {"districts": override}})
    d = s.deployments["rectify"]
    run = subprocess.run([d.binary, "--config", s.config_path, "--ready-file", d.ready_path, "--test-mode"],
                         capture_output=True, timeout=20)
    assert run.returncode != 0, run
    out = (run.stdout + run.stderr).decode("utf-8", "replace")
    assert named in out, out
    assert not os.path.exists(d.ready_path)
    # the same config without the override starts
    s.config["policies"]["rectify"].pop("districts")
    with open(s.config_path, "w", encoding="utf-8") as f:
        json.dump(s.config, f)
    s.start()
    assert s.stop() == {"intake": 0, "rectify": 0}
