"""The dashboard's figures (issue 23) in the services' *.stats queries, through the real
xc-intake, xc-referral and xc-rectify and build/bin/xcctl: rectify.stats lights,
overdue_by_round, overdue_by_unit and by_month; intake.stats problems.by_month; referral.stats
by_target.

Each figure is checked against what this file loaded (known by construction, from the policy's
defaults and one district's own rules) and against an independent count over the records the
services list (rectify.list with each item's light, referral.list, intake's problem.list), with
filters (owner, round, unit, year) and as a district office (its own rounds only); the clock
(clock.set) moves an item from yellow to red and a lead into its warning.

The world, fed back today unless said: the city's round R-CITY (C-1: an immediate item due in
15 days, a deadline item, one closed on time; C-2: an immediate item fed back from history 400
days ago, long overdue); D-A's round R-A (A-T: an immediate item, by D-A's rules due in 7 days
with one orange band at 5 days and a ladder of two steps); D-B's round R-B (B-T: an immediate
item claimed, waiting for review). Leads: C-1's to the discipline commission (today, due in 3
months), C-2's to it from history (overdue), A-T's to D-A's discipline body; a handover of C-1's
to a department; a special report (not counted by target).
"""

import collections
import datetime
import json
import os
import subprocess
import time

import pytest

from conftest import REPO, Suite, key_file, running_suite
from test_rectify import local_day

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
ENV = {k: v for k, v in os.environ.items() if k not in ("XC_CONFIG", "XC_KEY")}
SERVICES = ["intake", "referral", "rectify"]
BODY, DEPT, BODY_A = "discipline-commission", "dept-housing", "yunxi-discipline"
PRINCIPALS = {
    "office": ("office", "office", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "team": ("team-1", "team", {}),
    "unit_c": ("unit-c", "unit", {"units": ["C-1"]}),
    "unit_bt": ("unit-bt", "unit", {"units": ["B-T"]}),
    "body": (BODY, "discipline", {"units": ["*"]}),
    "body_a": (BODY_A, "discipline", {"units": ["*"]}),
    "dept": (DEPT, "department", {"units": ["*"]}),
}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "青山区", "district", None),
         ("C-1", "市财政局", "city_department", None), ("C-2", "市教育局", "city_department", None),
         ("A-T", "云溪区青石镇", "town", "D-A"), ("B-T", "青山区白沙镇", "town", "D-B")]
POLICY = {
    "rectify": {"calendar_warn_from": None, "period_end": "keep", "history_quiet": "0 days",
                "districts": {"D-A": {"immediate_due": "7 days",
                                      "warnings": [{"colour": "orange", "days_left": 5}],
                                      "escalation": {"steps": ["district_notice", "district_accountability"]}}}},
    "referral": {"period_end": "keep", "districts": {"D-A": {"lead_access": "full"}}},
}
CITY_STEPS = ["supervision_notice", "stage_guidance", "reminder", "warning", "accountability"]
WAIT = 15.0


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def code(reply):
    assert reply["type"] == "error", reply
    return reply["data"]["code"]


def wait_for(fn, what, timeout=WAIT):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            assert v, what
            return v
        time.sleep(0.05)


def set_clock(s, client, day):
    """The service's clock to day, 10:00 in the deployment's time (UTC+8)."""
    ok(client.call(s.office, "clock.set", {"clock": f"{day.isoformat()}T02:00:00Z"}))


@pytest.fixture
def world(tmp_path):
    s = Suite(str(tmp_path), SERVICES, PRINCIPALS, POLICY)
    s.office_key = key_file(tmp_path, s.office)
    for _ in running_suite(s):
        yield load(s)


def load(s):
    """The world of the module's docstring; returns (suite, clients, today, history day)."""
    c = {n: s.client(n) for n in SERVICES}
    intake, today = c["intake"], local_day()
    for uid, name, level, parent in UNITS:
        ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                   **({"parent": parent} if parent else {})}))
    old = today - datetime.timedelta(days=400)
    start = old - datetime.timedelta(days=30)
    for rid, who, targets in (("R-CITY", s.office, ["C-1", "C-2"]), ("R-A", s.dist_a, ["A-T"]),
                              ("R-B", s.dist_b, ["B-T"])):
        ok(intake.call(who, "round.open", {
            "id": rid, "name": f"轮次{rid}", "kind": "regular", "team": "team-1",
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": str(start), "planned_end": str(start + datetime.timedelta(days=10)),
            "date": str(start - datetime.timedelta(days=5))}))
        ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": str(start)}))

    def report(rid, unit, summary, dispositions, on=None):
        p = ok(intake.call(s.office if on else s.team, "problem.report", {
            "round": rid, "unit": unit, "category": "four_styles", "summary": summary, "detail": "巡察底稿",
            "severity": "serious", "source": "inspection_team", **({"occurred_on": str(on)} if on else {})}))
        ok(intake.call(s.office, "problem.classify", {"problem": p["problem"], "dispositions": dispositions,
                                                      **({"occurred_on": str(on)} if on else {})}))
        return p["problem"]

    immediate = {"kind": "feedback", "timeliness": "immediate"}
    report("R-CITY", "C-2", "历史问题", [immediate, {"kind": "lead", "body": BODY}], on=old)
    report("R-CITY", "C-1", "立行立改问题", [immediate, {"kind": "lead", "body": BODY},
                                         {"kind": "handover", "department": DEPT}])
    report("R-CITY", "C-1", "限期整改问题", [{"kind": "feedback", "timeliness": "deadline"}])
    closed = report("R-CITY", "C-1", "已销号问题", [immediate])
    report("R-A", "A-T", "区县问题", [immediate, {"kind": "lead", "body": BODY_A}])
    claimed = report("R-B", "B-T", "已报结问题", [immediate])
    for rid in ("R-CITY", "R-A", "R-B"):
        for stage in ("withdrawn", "reported", "feedback_delivered"):
            ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": str(today)}))
    rectify, referral = c["rectify"], c["referral"]
    items = wait_for(lambda: (lambda i: i if len(i) == 6 else None)(
        ok(rectify.call(s.office, "rectify.list", {"limit": 500}))["items"]), "rectify's six items")
    by_problem = {i["problem"]: i["id"] for i in items}
    evidence = [{"file": "验收报告.pdf", "sha256": "ab" * 32}]
    for who, problem in ((s.unit_c, closed), (s.unit_bt, claimed)):
        ok(rectify.call(who, "rectify.claim", {"item": by_problem[problem], "completion": "completed",
                                               "evidence": evidence, "outcomes": {}}))
    ok(rectify.call(s.office, "rectify.review", {"item": by_problem[closed], "decision": "accept"}))
    wait_for(lambda: len(ok(referral.call(s.office, "referral.list", {}))["items"]) == 4, "the four referrals")
    ok(referral.call(s.office, "referral.create", {
        "kind": "report", "target": BODY, "title": "专题报告", "detail": "专题报告正文", "problem": closed,
        "round": "R-CITY", "unit": "C-1", "category": "four_styles"}))
    return s, c, today, old


# --- an independent count over the records ------------------------------------------------------

def listed(client, signer, **filters):
    """Every item rectify.list gives signer (all pages)."""
    out, after = [], 0
    while True:
        page = ok(client.call(signer, "rectify.list", {"limit": 500, "after": after, **filters}))
        out += page["items"]
        if not page["next"]:
            return out
        after = page["next"]


def lights_of(items, colours=("red", "yellow", "green", "orange")):
    """{colour: n, "none": n} over the open items, by the light rectify.list gives each."""
    count = collections.Counter({k: 0 for k in (*colours, "none")})
    for i in items:
        if i["state"] != "closed":
            count[(i["light"] or {}).get("colour") or "none"] += 1
    return dict(count)


def late_of(items, key, names):
    """overdue_by_round (key "round") or overdue_by_unit (key "unit") from the list's lights."""
    late = {}
    for i in items:
        light = i["light"] or {}
        if i["state"] == "closed" or light.get("days_left", 0) >= 0:
            continue
        e = late.setdefault(i[key], {key: i[key], "name": names[i[key]], "overdue": 0,
                                     **({"step": None} if key == "unit" else {})})
        e["overdue"] += 1
        if key == "unit" and light["step"] and (not e["step"] or light["step"]["n"] > e["step"]["n"]):
            e["step"] = light["step"]
    return sorted(late.values(), key=lambda e: (-e["overdue"], e[key]))


UNIT_NAMES = {u: n for u, n, _, _ in UNITS}
ROUND_NAMES = {r: f"轮次{r}" for r in ("R-CITY", "R-A", "R-B")}


def check_lights(s, c, signer, filters, items):
    st = ok(c["rectify"].call(signer, "rectify.stats", filters))
    assert st["lights"] == lights_of(items), (filters, st["lights"])
    assert st["overdue_by_round"] == late_of(items, "round", ROUND_NAMES), filters
    assert st["overdue_by_unit"] == late_of(items, "unit", UNIT_NAMES), filters
    assert st["lights"]["red"] == st["overdue_now"], filters
    return st


# --- rectify.stats: lights, overdue by round and unit --------------------------------------------

def test_lights_are_the_lists_lights_and_move_with_the_clock(world):
    s, c, today, old = world
    rectify = c["rectify"]
    items = listed(rectify, s.office)
    # by construction today: C-2's item red (far past its 15 days, the city's last step reached),
    # C-1's immediate green (15 days, within 20), its deadline item none (the plan due later),
    # A-T's none (7 days: D-A's one band is 5 days; the city's rules would say yellow),
    # B-T's none (claimed: nothing runs); the closed item not counted
    st = check_lights(s, c, s.office, {}, items)
    assert st["lights"] == {"red": 1, "yellow": 0, "green": 1, "orange": 0, "none": 3}, st["lights"]
    assert st["overdue_by_round"] == [{"round": "R-CITY", "name": "轮次R-CITY", "overdue": 1}]
    assert st["overdue_by_unit"] == [{"unit": "C-2", "name": "市教育局", "overdue": 1,
                                      "step": {"n": 5, "name": "accountability"}}]
    for figure in ("lights", "overdue_by_round", "overdue_by_unit", "by_month"):
        assert st["definitions"][figure], figure

    # three days on: A-T's item has 4 days left, in D-A's orange band
    set_clock(s, rectify, today + datetime.timedelta(days=3))
    st = check_lights(s, c, s.office, {}, listed(rectify, s.office))
    assert (st["lights"]["orange"], st["lights"]["green"], st["lights"]["none"]) == (1, 1, 2), st["lights"]
    # eight days on: A-T's is overdue (no step yet), C-1's immediate yellow (7 days left)
    set_clock(s, rectify, today + datetime.timedelta(days=8))
    st = check_lights(s, c, s.office, {}, listed(rectify, s.office))
    assert (st["lights"]["red"], st["lights"]["yellow"]) == (2, 1), st["lights"]
    assert [(e["unit"], e["step"]) for e in st["overdue_by_unit"]] == [
        ("A-T", None), ("C-2", {"n": 5, "name": "accountability"})]
    # sixteen days on: C-1's immediate moved from yellow to red; A-T's reached D-A's first step
    set_clock(s, rectify, today + datetime.timedelta(days=16))
    st = check_lights(s, c, s.office, {}, listed(rectify, s.office))
    assert (st["lights"]["red"], st["lights"]["yellow"]) == (3, 0), st["lights"]
    assert st["overdue_by_unit"] == [
        {"unit": "A-T", "name": "云溪区青石镇", "overdue": 1, "step": {"n": 1, "name": "district_notice"}},
        {"unit": "C-1", "name": "市财政局", "overdue": 1, "step": None},
        {"unit": "C-2", "name": "市教育局", "overdue": 1, "step": {"n": 5, "name": "accountability"}}]
    assert st["overdue_by_round"] == [{"round": "R-CITY", "name": "轮次R-CITY", "overdue": 2},
                                      {"round": "R-A", "name": "轮次R-A", "overdue": 1}]


def test_lights_with_filters_and_as_a_district_office(world):
    s, c, today, old = world
    rectify = c["rectify"]
    set_clock(s, rectify, today + datetime.timedelta(days=8))
    items = listed(rectify, s.office)
    for filters, keep in (
            ({"owner": "city"}, lambda i: i["round_owner"] == "city"),
            ({"owner": "district"}, lambda i: i["round_owner"] != "city"),
            ({"owner": "D-A"}, lambda i: i["round_owner"] == "D-A"),
            ({"round": "R-CITY"}, lambda i: i["round"] == "R-CITY"),
            ({"unit": "C-1"}, lambda i: i["unit"] == "C-1"),
            ({"year": old.year}, lambda i: i["opened_on"][:4] == str(old.year)),
            ({"year": today.year}, lambda i: i["opened_on"][:4] == str(today.year))):
        check_lights(s, c, s.office, filters, [i for i in items if keep(i)])
    # the year of the history item alone: its one red
    past = ok(rectify.call(s.office, "rectify.stats", {"year": old.year}))
    if old.year != today.year:
        assert past["lights"]["red"] == 1 and sum(past["lights"].values()) == 1, past["lights"]
    # a district office: its own round's items only, its own figures whether or not it names itself
    mine = [i for i in listed(rectify, s.dist_a) if i["round_owner"] == "D-A"]
    assert [i["unit"] for i in mine] == ["A-T"]
    st = check_lights(s, c, s.dist_a, {}, mine)
    assert st["lights"]["red"] == 1 and st["overdue_by_unit"][0]["unit"] == "A-T"
    assert ok(rectify.call(s.dist_a, "rectify.stats", {"owner": "D-A"}))["lights"] == st["lights"]
    assert code(rectify.call(s.dist_a, "rectify.stats", {"owner": "city"})) == "forbidden"
    other = check_lights(s, c, s.dist_b, {}, [i for i in listed(rectify, s.dist_b) if i["round_owner"] == "D-B"])
    assert other["overdue_by_unit"] == [] and other["lights"]["none"] == 1, other["lights"]


# --- rectify.stats by_month ----------------------------------------------------------------------

def months(first, last):
    """"YYYY-MM" from first to last."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_by_month_opens_closes_and_rates_as_on_time_does(world):
    s, c, today, old = world
    rectify = c["rectify"]
    st = ok(rectify.call(s.office, "rectify.stats", {}))
    by_month = st["by_month"]
    # every month from the history item's to this one, in order
    assert list(by_month) == months(str(old)[:7], str(today)[:7]), list(by_month)
    items = listed(rectify, s.office)
    opened = collections.Counter(i["opened_on"][:7] for i in items)
    assert {m: r["opened"] for m, r in by_month.items()} == {m: opened.get(m, 0) for m in by_month}
    # by construction: C-2's item opened 400 days ago, due 15 days later, still open (due, late);
    # the closed one closed today on time; the others not yet due
    due_month = str(old + datetime.timedelta(days=15))[:7]
    this = str(today)[:7]
    want = {m: {"opened": opened.get(m, 0), "closed": 0, "closed_on_time": 0, "due": 0, "on_time_rate": None}
            for m in by_month}
    want[due_month].update(due=1, on_time_rate="0.00")
    want[this].update(closed=1, closed_on_time=1, due=1, on_time_rate="100.00")
    assert by_month == want, by_month
    # the same definition as on_time: its sums over the months are on_time's own
    for k, total in (("closed", "closed"), ("closed_on_time", "closed_on_time"), ("due", "due")):
        assert sum(r[k] for r in by_month.values()) == st["on_time"][total], k
    # a month's on_time is rectify.stats' on_time over from/to that month
    month_of_due = datetime.date.fromisoformat(due_month + "-01")
    end = (month_of_due.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    one = ok(rectify.call(s.office, "rectify.stats", {"from": str(month_of_due), "to": str(end)}))["on_time"]
    assert (one["closed"], one["closed_on_time"], one["due"]) == (
        by_month[due_month]["closed"], by_month[due_month]["closed_on_time"], by_month[due_month]["due"])
    # with a year: that year's months only, to its December (or this month)
    year = ok(rectify.call(s.office, "rectify.stats", {"year": old.year}))["by_month"]
    last = this if old.year == today.year else f"{old.year}-12"
    assert list(year) == months(str(old)[:7], last), list(year)
    # a round and a district office: their own items' months
    assert sum(r["opened"] for r in ok(rectify.call(s.office, "rectify.stats",
                                                    {"round": "R-A"}))["by_month"].values()) == 1
    mine = ok(rectify.call(s.dist_a, "rectify.stats", {}))["by_month"]
    assert list(mine) == [this] and mine[this]["opened"] == 1 and mine[this]["due"] == 0, mine
    # the clock past C-1's immediate due date: it counts as due (and late) in that month
    later = today + datetime.timedelta(days=16)
    set_clock(s, rectify, later)
    moved = ok(rectify.call(s.office, "rectify.stats", {"owner": "city"}))["by_month"]
    due_c1 = [i["due"] for i in items if i["unit"] == "C-1" and i["class"] == "immediate" and i["state"] != "closed"]
    assert len(due_c1) == 1
    assert list(moved)[-1] == str(later)[:7]
    assert moved[due_c1[0][:7]]["due"] == (2 if due_c1[0][:7] == this else 1), moved


# --- intake.stats problems.by_month --------------------------------------------------------------

def test_problems_by_month_counts_by_the_day_found(world):
    s, c, today, old = world
    intake = c["intake"]
    st = ok(intake.call(s.office, "intake.stats", {}))
    by_month = st["problems"]["by_month"]
    assert st["definitions"]["problems.by_month"]
    assert list(by_month) == months(str(old)[:7], str(today)[:7]), list(by_month)
    assert sum(by_month.values()) == st["problems"]["total"] == 6
    # by construction: one found 400 days ago, five today
    assert by_month[str(old)[:7]] == 1 and by_month[str(today)[:7]] == 5, by_month
    # independently: problem.list's found_on
    found = collections.Counter()
    after = 0
    while True:
        page = ok(intake.call(s.office, "problem.list", {"limit": 500, "after": after}))
        found.update(p["found_on"][:7] for p in page["items"])
        if not page["next"]:
            break
        after = page["next"]
    assert {m: n for m, n in by_month.items() if n} == dict(found)
    # filters: a year, a round, an owner, a district office's own
    year = ok(intake.call(s.office, "intake.stats", {"year": old.year}))["problems"]["by_month"]
    assert sum(year.values()) == (1 if old.year != today.year else 6)
    assert list(year)[-1] == (f"{old.year}-12" if old.year != today.year else str(today)[:7])
    assert ok(intake.call(s.office, "intake.stats", {"round": "R-A"}))["problems"]["by_month"] == {
        str(today)[:7]: 1}
    assert ok(intake.call(s.office, "intake.stats", {"owner": "city"}))["problems"]["by_month"][
        str(today)[:7]] == 3
    assert ok(intake.call(s.dist_a, "intake.stats", {}))["problems"]["by_month"] == {str(today)[:7]: 1}


# --- referral.stats by_target --------------------------------------------------------------------

def referrals(c, s, signer=None):
    return ok(c["referral"].call(signer or s.office, "referral.list", {"limit": 500}))["items"]


def targets_of(rows, today, warn=20):
    """by_target counted over referral.list's rows: leads and handovers; open not concluded;
    overdue as the list says; due soon not yet disposed, not overdue, due within warn days."""
    out = {}
    for r in rows:
        if r["kind"] not in ("lead", "handover"):
            continue
        e = out.setdefault(r["target"], {"open": 0, "due_soon": 0, "overdue": 0})
        e["open"] += r["state"] != "concluded"
        e["overdue"] += bool(r["overdue"])
        left = (datetime.date.fromisoformat(r["due"]) - today).days
        e["due_soon"] += r["state"] in ("referred", "acknowledged") and 0 <= left <= warn
    return out


def test_by_target_counts_open_due_soon_and_overdue_leads_and_handovers(world):
    s, c, today, old = world
    referral = c["referral"]
    st = ok(referral.call(s.office, "referral.stats", {}))
    # by construction: the commission has C-2's old lead (overdue) and C-1's (due in 3 months);
    # the department C-1's handover; D-A's body A-T's lead; the report is not counted
    assert st["by_target"] == {BODY: {"open": 2, "due_soon": 0, "overdue": 1},
                               DEPT: {"open": 1, "due_soon": 0, "overdue": 0},
                               BODY_A: {"open": 1, "due_soon": 0, "overdue": 0}}, st["by_target"]
    assert st["by_target"] == targets_of(referrals(c, s), today)
    assert sum(e["overdue"] for e in st["by_target"].values()) == st["overdue_now"]
    assert "20天" in st["definitions"]["by_target"], st["definitions"]["by_target"]
    # the clock to 15 days before the C-1 lead's due date: within the first warning (20 days)
    lead = [r for r in referrals(c, s) if r["kind"] == "lead" and r["target"] == BODY and not r["overdue"]][0]
    due = datetime.date.fromisoformat(lead["due"])
    set_clock(s, referral, due - datetime.timedelta(days=15))
    now = due - datetime.timedelta(days=15)
    st = ok(referral.call(s.office, "referral.stats", {}))
    assert st["by_target"][BODY]["due_soon"] == 1, st["by_target"]
    assert st["by_target"] == targets_of(referrals(c, s), now)
    # disposed: no longer due soon, still open; concluded: not open
    ok(referral.call(s.body, "referral.acknowledge", {"referral": lead["id"]}))
    ok(referral.call(s.body, "referral.dispose", {"referral": lead["id"], "method": "preliminary_verification"}))
    st = ok(referral.call(s.office, "referral.stats", {}))
    assert st["by_target"][BODY] == {"open": 2, "due_soon": 0, "overdue": 1}, st["by_target"]
    ok(referral.call(s.body, "referral.conclude", {"referral": lead["id"], "note": "办结"}))
    st = ok(referral.call(s.office, "referral.stats", {}))
    assert st["by_target"][BODY] == {"open": 1, "due_soon": 0, "overdue": 1}, st["by_target"]
    assert st["by_target"] == targets_of(referrals(c, s), now)
    # filters and a district office (its own round's referrals only)
    # (now the handover, due in 2 months, is past due; A-T's lead, due with C-1's, is due soon)
    city = ok(referral.call(s.office, "referral.stats", {"owner": "city"}))["by_target"]
    assert city == {BODY: {"open": 1, "due_soon": 0, "overdue": 1}, DEPT: {"open": 1, "due_soon": 0, "overdue": 1}}
    assert city == targets_of([r for r in referrals(c, s) if r["round"] == "R-CITY"], now)
    if old.year != now.year:
        assert ok(referral.call(s.office, "referral.stats", {"year": old.year}))["by_target"] == {
            BODY: {"open": 1, "due_soon": 0, "overdue": 1}}
    mine = ok(referral.call(s.dist_a, "referral.stats", {}))["by_target"]
    assert mine == {BODY_A: {"open": 1, "due_soon": 1, "overdue": 0}}, mine
    assert mine == targets_of([r for r in referrals(c, s) if r["round"] == "R-A"], now)
    assert ok(referral.call(s.office, "referral.stats", {"owner": "D-A"}))["by_target"] == mine


# --- xcctl stats carries them ---------------------------------------------------------------------

def xcctl(s, *args):
    r = subprocess.run([XCCTL, "--config", s.config_path, "--key", s.office_key, *args],
                       capture_output=True, text=True, timeout=30, env=ENV)
    assert r.returncode == 0, r
    return r.stdout


def test_xcctl_stats_carries_the_new_figures_and_prints_the_lights(world):
    s, c, today, old = world
    for args, filters in (([], {}), (["--owner", "D-A"], {"owner": "D-A"}), (["--round", "R-CITY"], {"round": "R-CITY"}),
                          (["--year", str(old.year)], {"year": old.year})):
        got = json.loads(xcctl(s, "--json", "stats", *args))
        direct = {n: ok(c[n].call(s.office, f"{n}.stats", filters)) for n in SERVICES}
        for n in SERVICES:
            assert got[n] == direct[n], (args, n)
        assert got["rectify"]["lights"] and "by_month" in got["rectify"]
        assert "by_month" in got["intake"]["problems"] and "by_target" in got["referral"]
    text = xcctl(s, "stats")
    lights = ok(c["rectify"].call(s.office, "rectify.stats", {}))["lights"]
    line = [ln.split() for ln in text.splitlines() if ln.strip().startswith("亮灯")]
    # the whole city's first (without --owner the report goes on with each scope's)
    assert line[0] == ["亮灯", "红", str(lights["red"]), "黄", str(lights["yellow"]), "绿", str(lights["green"])], text
    assert lights["red"] == 1 and lights["green"] == 1, lights
