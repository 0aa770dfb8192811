"""rectify.ranking, the repeats' deduction and rectify.lookback, next to a real intake.

One world for the file: a district, its towns and a city department inspected by a city round,
its 回头看 (look-back) round and a round the district owns; items planned, claimed on time and
late, rejected and left open, by the office from history; repeat problems (屡查屡犯) confirmed by
the office in intake (problem.repeat), which rectify learns from intake's event
problem.repeat_confirmed. Every figure of the ranking is computed again here from
what rectify.get says of the items this test made and from the evaluations it sent (on-time,
overdue days, mean score, parts, deduction), by the definitions of docs/services/rectify.md.
"""

import datetime
import json
import os
import sqlite3
import time
from decimal import ROUND_HALF_UP, Decimal

import pytest

from conftest import Suite, running_suite, write_json
from test_rectify import code, local_day, ok

PRINCIPALS = {
    "office": ("office", "office", {}),
    "team": ("team-1", "team", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("jintan-office", "district", {"district": "D-B"}),
    "unit_a": ("unit-a", "unit", {"units": ["U-A"]}),
}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "金坛区", "district", None),
         ("U-A", "青石镇", "town", "D-A"), ("U-B", "白沙镇", "town", "D-A"),
         ("U-V", "青石镇东村", "village", "U-A"), ("U-C", "金城镇", "town", "D-B"),
         ("U-X", "市教育局", "city_department", None)]
POLICY = {"rectify": {
    "calendar_warn_from": None, "period_end": "keep", "history_quiet": "0 days",
    "repeats": {"deduction": 2, "deduction_max": 3},
    "interview": {"below": 60, "lowest": 1},
    "ranking": {"special_check_lowest": 1, "special_check_grades": ["poor"]}}}
TODAY = local_day()
F = TODAY - datetime.timedelta(days=150)           # the city round's feedback


def day(n):
    return (F + datetime.timedelta(days=n)).isoformat()


def report(s, intake, rid, unit, summary):
    p = ok(intake.call(s.team, "problem.report", {
        "round": rid, "unit": unit, "category": "four_styles", "summary": summary,
        "detail": "巡察底稿", "severity": "serious", "source": "inspection_team"}))["problem"]
    ok(intake.call(s.office, "problem.classify", {
        "problem": p, "dispositions": [{"kind": "feedback", "timeliness": "deadline"}]}))
    return p


def open_round(s, intake, who, rid, targets, start, **extra):
    ok(intake.call(who, "round.open", {
        "id": rid, "name": f"轮次{rid}", "kind": extra.pop("kind", "regular"), "team": "team-1",
        "targets": [{"unit": u, "coverage": "main"} for u in targets],
        "planned_start": start, "planned_end": start, "date": start, **extra}))
    ok(intake.call(s.office, "round.advance", {"round": rid, "stage": "stationed", "date": start}))


def deliver(s, intake, rid, on):
    for stage in ("withdrawn", "reported", "feedback_delivered"):
        ok(intake.call(s.office, "round.advance", {"round": rid, "stage": stage, "date": on}))


def wait_items(s, rectify, n):
    end = time.monotonic() + 15
    while True:
        page = ok(rectify.call(s.office, "rectify.list", {"limit": 500}))
        if len(page["items"]) >= n or time.monotonic() > end:
            assert len(page["items"]) == n, page
            return page["items"]
        time.sleep(0.05)


def confirm_repeats(s, intake, pairs):
    """The office confirms each (problem, of) in intake (problem.repeat): intake emits
    problem.repeat_confirmed, which rectify applies as any intake event."""
    for problem, of in pairs:
        got = ok(intake.call(s.office, "problem.repeat", {"problem": problem, "of": of, "decision": "confirmed"}))
        assert got["state"] == "confirmed", got


def rectify_repeats(s, n):
    """Waits until rectify has applied n repeats (its store, read-only)."""
    end = time.monotonic() + 15
    while True:
        db = sqlite3.connect(f"file:{os.path.join(s.folder, 'rectify.db')}?mode=ro", uri=True)
        try:
            got = db.execute("SELECT count(*) FROM repeats").fetchone()[0]
        finally:
            db.close()
        if got >= n or time.monotonic() > end:
            assert got == n
            return
        time.sleep(0.05)


def evaluate(s, rectify, rid, unit, parts, who=None):
    return ok(rectify.call(who or s.office, "rectify.evaluate", {
        "round": rid, "unit": unit, "parts": dict(zip(
            ["leadership", "responsibility", "task_completion", "satisfaction"], parts)),
        "principal_leader": {"name": "王某", "title": "党委书记"}}))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    s = Suite(str(tmp_path_factory.mktemp("ranking")), ["intake", "rectify"], PRINCIPALS, POLICY)
    gen = running_suite(s)
    next(gen)
    try:
        intake, rectify = s.client("intake"), s.client("rectify")
        for uid, name, level, parent in UNITS:
            ok(intake.call(s.office, "unit.register", {"id": uid, "name": name, "level": level,
                                                       **({"parent": parent} if parent else {})}))
        start = day(-40)
        open_round(s, intake, s.office, "R1", ["U-A", "U-B", "U-C", "U-X", "U-V"], start)
        problems = {}
        for unit, n in [("U-A", 3), ("U-B", 2), ("U-C", 2), ("U-X", 1), ("U-V", 1)]:
            problems[unit] = [report(s, intake, "R1", unit, f"{unit}问题{k}") for k in range(n)]
        deliver(s, intake, "R1", day(0))
        items = {i["problem"]: i["id"] for i in wait_items(s, rectify, 9)}
        o = s.office

        def plan(item, on, deadline):
            ok(rectify.call(o, "rectify.plan", {"item": item, "occurred_on": on, "measures": [
                {"text": "整改措施", "owner": "办公室", "lead_leader": "李某", "deadline": deadline}]}))

        def claim(item, on):
            ok(rectify.call(o, "rectify.claim", {"item": item, "completion": "completed", "occurred_on": on,
                                                 "evidence": [{"file": "报告.pdf", "sha256": "ab" * 32}]}))

        def review(item, on, accept=True):
            ok(rectify.call(o, "rectify.review", {"item": item, "occurred_on": on, **(
                {"decision": "accept"} if accept else {"decision": "reject", "reason": "材料不全"})}))

        a0, a1, a2 = (items[p] for p in problems["U-A"])
        plan(a0, day(5), day(40)); claim(a0, day(30)); review(a0, day(35))           # on time
        plan(a1, day(5), day(40)); claim(a1, day(50)); review(a1, day(55))           # 15 days late
        b0, b1 = (items[p] for p in problems["U-B"])
        plan(b0, day(5), day(40)); claim(b0, day(20)); review(b0, day(22), False)    # reopened
        claim(b0, day(25)); review(b0, day(26))
        c0 = items[problems["U-C"][0]]
        plan(c0, day(3), day(30)); claim(c0, day(29)); review(c0, day(45))           # on time, signed late
        v0 = items[problems["U-V"][0]]
        plan(v0, day(3), day(20)); claim(v0, day(60)); review(v0, day(61))           # 41 days late
        # the look-back round of R1 and a round the district D-A owns
        open_round(s, intake, s.office, "R2", ["U-A", "U-B"], day(60), kind="lookback", prior_round="R1")
        again = [report(s, intake, "R2", "U-A", "又一次问题"), report(s, intake, "R2", "U-A", "再一次问题"),
                 report(s, intake, "R2", "U-B", "白沙镇又一次")]
        open_round(s, intake, s.dist_a, "RD", ["U-A", "U-B"], day(61))
        confirm_repeats(s, intake, [(again[0], problems["U-A"][1]), (again[1], problems["U-A"][2]),
                                    (again[2], problems["U-B"][0])])
        # decided once: a second confirmation is refused and changes nothing
        assert code(intake.call(s.office, "problem.repeat", {
            "problem": again[2], "of": problems["U-B"][0], "decision": "confirmed"})) == "conflict"
        rectify_repeats(s, 3)
        evals = {("R1", "U-A"): (80, 90, 85, 70), ("R1", "U-B"): (95, 95, 92, 90),
                 ("R1", "U-C"): (50, 60, 55, 40), ("R1", "U-X"): (85, 80, 85, 90),
                 ("R1", "U-V"): (70, 70, 71, 70),
                 ("R2", "U-A"): (88, 88, 88, 88), ("R2", "U-B"): (90, 90, 91, 90)}
        replies = {k: evaluate(s, rectify, k[0], k[1], v) for k, v in evals.items()}
        replies[("RD", "U-A")] = evaluate(s, rectify, "RD", "U-A", (60, 60, 60, 60), s.dist_a)
        evals[("RD", "U-A")] = (60, 60, 60, 60)
        yield {"s": s, "rectify": rectify, "intake": intake, "problems": problems, "items": items,
               "again": again, "evals": evals, "replies": replies,
               "year": int(start[:4]), "rounds": {"R1": start, "R2": day(60), "RD": day(61)}}
    finally:
        try:
            next(gen)
        except StopIteration:
            pass


# --- the definitions, computed here ---------------------------------------------------------

WEIGHTS = {"leadership": 15, "responsibility": 15, "task_completion": 60, "satisfaction": 10}
PARTS = list(WEIGHTS)


def centi(x):
    """A Decimal as rectify's text: two decimals, half up."""
    return str(Decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def repeats_of(w, rid, unit):
    return {"R2": {"U-A": 2, "U-B": 1}}.get(rid, {}).get(unit, 0)


def eval_score(w, rid, unit):
    """Σ weight × part / 100 less min(2 × repeats, 3), never below 0: (score, deduction)."""
    raw = sum(Decimal(WEIGHTS[k]) * v / 100 for k, v in zip(PARTS, w["evals"][(rid, unit)]))
    ded = min(Decimal(2) * repeats_of(w, rid, unit), Decimal(3))
    return max(raw - ded, Decimal(0)), ded


def grade(score):
    return "good" if score >= 90 else "fairly_good" if score >= 80 else "average" if score >= 60 else "poor"


def item_figures(w, unit, rid, frm, to, own=None):
    """On-time and overdue figures of unit's items by definition, from rectify.get."""
    s, rectify = w["s"], w["rectify"]
    closed = open_ = on_time = days = late_items = 0
    today = TODAY.isoformat()
    for it in ok(rectify.call(s.office, "rectify.list", {"unit": unit, "limit": 500}))["items"]:
        if rid and it["round"] != rid or own and it["round"] != "RD":
            continue
        got = ok(rectify.call(s.office, "rectify.get", {"item": it["id"]}))
        if got["class"] == "long_term" or not got["due"]:
            continue
        due = datetime.date.fromisoformat(got["due"])
        if got["state"] == "closed" and frm <= got["closed_on"] <= to:
            closed += 1
            accepted = [c for c in got["claims"] if c.get("decision") == "accepted"]
            on_time += any(c["claimed_on"] <= got["due"] for c in accepted)
            late = max(0, (datetime.date.fromisoformat(got["closed_on"]) - due).days)
        elif got["state"] != "closed" and frm <= got["due"] <= to and got["due"] < today:
            open_ += 1
            late = (TODAY - due).days
        else:
            continue
        days += late
        late_items += late > 0
    return {"closed_on_time": on_time, "due": closed + open_,
            "rate": centi(Decimal(on_time) * 100 / (closed + open_)) if closed + open_ else None}, days, late_items


def expected(w, rounds, units, frm, to, rid=None, own=None):
    out = []
    for unit in units:
        evs = [r for r in rounds if (r, unit) in w["evals"]]
        ev = None
        if evs:
            scores = [eval_score(w, r, unit) for r in evs]
            n = len(evs)
            score = Decimal(centi(sum(x for x, _ in scores) / n))
            ev = {"score": str(score), "grade": grade(score), "rounds": n,
                  "repeats": sum(repeats_of(w, r, unit) for r in evs),
                  "deduction": centi(sum(d for _, d in scores) / n),
                  "parts": {k: {"value": centi(Decimal(sum(w["evals"][(r, unit)][i] for r in evs)) / n),
                                "weight": WEIGHTS[k],
                                "points": centi(Decimal(WEIGHTS[k] * sum(w["evals"][(r, unit)][i] for r in evs))
                                                / 100 / n)}
                            for i, k in enumerate(PARTS)}}
        on_time, days, late = item_figures(w, unit, rid, frm, to, own)
        out.append({"unit": unit, "evaluation": ev, "on_time": on_time, "overdue_days": days,
                    "overdue_items": late, "repeats": sum(repeats_of(w, r, unit) for r in rounds)})
    # the default order: score desc, on-time rate desc, overdue days asc, repeats asc, unit id;
    # a missing score or rate after every present one
    def key(u):
        ev, rate = u["evaluation"], u["on_time"]["rate"]
        return (ev is None, -Decimal(ev["score"]) if ev else 0, rate is None, -Decimal(rate) if rate else 0,
                u["overdue_days"], u["repeats"], u["unit"])
    out.sort(key=key)
    scored = [u for u in out if u["evaluation"]]
    for rank, u in enumerate(out, 1):
        u["rank"] = rank
        last = u["evaluation"] is not None and scored.index(u) == len(scored) - 1
        u["interview"] = u["evaluation"] is not None and (Decimal(u["evaluation"]["score"]) < 60 or last)
        u["special_check"] = u["evaluation"] is not None and (u["evaluation"]["grade"] == "poor" or last)
    return out


def strip(units):
    keep = {"rank", "unit", "evaluation", "on_time", "overdue_days", "overdue_items", "repeats", "interview",
            "special_check"}
    out = []
    for u in units:
        u = {k: v for k, v in u.items() if k in keep}
        if u["evaluation"]:
            u["evaluation"] = {k: v for k, v in u["evaluation"].items() if k != "grade_name"}
        out.append(u)
    return out


# --- the tests ------------------------------------------------------------------------------

def test_the_evaluation_deducts_the_confirmed_repeats_up_to_the_maximum(world):
    w = world
    for (rid, unit), reply in w["replies"].items():
        score, ded = eval_score(w, rid, unit)
        assert reply["score"] == centi(score), (rid, unit, reply)
        assert reply["deduction"] == centi(ded) and reply["repeats"] == repeats_of(w, rid, unit), reply
        assert reply["grade"] == grade(score)
    # two repeats at 2 points, capped at 3; the round's view shows the same
    assert w["replies"][("R2", "U-A")]["deduction"] == "3.00"
    got = ok(w["rectify"].call(w["s"].office, "rectify.round", {"round": "R2"}))
    by = {t["unit"]: t for t in got["targets"]}
    assert by["U-A"]["repeats"] == 2 and by["U-A"]["deduction"] == "3.00"
    assert by["U-A"]["parts"] == dict(zip(PARTS, w["evals"][("R2", "U-A")]))
    assert by["U-B"]["repeats"] == 1 and by["U-B"]["deduction"] == "2.00"


def test_a_year_ranking_is_every_figure_by_definition_in_the_policy_order(world):
    w = world
    y = w["year"]
    got = ok(w["rectify"].call(w["s"].office, "rectify.ranking", {"year": y}))
    rounds = [r for r, start in w["rounds"].items() if int(start[:4]) == y]
    units = sorted({u for (r, u) in w["evals"] if r in rounds})
    want = expected(w, rounds, units, f"{y}-01-01", f"{y}-12-31")
    assert strip(got["units"]) == want, json.dumps(got["units"], ensure_ascii=False, indent=1)
    assert got["weights"] == WEIGHTS and got["count"] == len(units) and got["next"] is None
    assert got["order"] == ["score desc", "on_time_rate desc", "overdue_days asc", "repeats asc", "unit asc"]
    assert got["period"] == {"year": y, "from": f"{y}-01-01", "to": f"{y}-12-31"}
    # the same on-time figures as rectify.stats over the year
    for u in got["units"]:
        st = ok(w["rectify"].call(w["s"].office, "rectify.stats", {
            "unit": u["unit"], "from": f"{y}-01-01", "to": f"{y}-12-31"}))["on_time"]
        assert (st["closed_on_time"], st["due"], st["rate"]) == (
            u["on_time"]["closed_on_time"], u["on_time"]["due"], u["on_time"]["rate"]), u
    # grade names people read; something flagged, so the flags are not vacuous
    assert all(u["evaluation"]["grade_name"] in ("好", "较好", "一般", "差") for u in got["units"])
    assert any(u["interview"] for u in got["units"]) and any(u["special_check"] for u in got["units"])
    assert any(u["overdue_days"] > 0 for u in got["units"]) and any(u["repeats"] for u in got["units"])


def test_a_round_ranking_and_paging(world):
    w = world
    got = ok(w["rectify"].call(w["s"].office, "rectify.ranking", {"round": "R1"}))
    units = ["U-A", "U-B", "U-C", "U-V", "U-X"]
    want = expected(w, ["R1"], units, "0000-01-01", TODAY.isoformat(), rid="R1")
    assert strip(got["units"]) == want
    assert got["period"]["round"] == "R1" and got["period"]["round_name"] == "轮次R1"
    pages, after = [], 0
    while True:
        page = ok(w["rectify"].call(w["s"].office, "rectify.ranking", {"round": "R1", "limit": 2, "after": after}))
        pages += page["units"]
        if page["next"] is None:
            break
        after = page["next"]
    assert pages == got["units"]


def test_a_district_ranks_only_its_own_units(world):
    w = world
    s, rectify, y = w["s"], w["rectify"], w["year"]
    # the city office, one district: the units under D-A only (a village under a town too)
    got = ok(rectify.call(s.office, "rectify.ranking", {"year": y, "district": "D-A"}))
    assert {u["unit"] for u in got["units"]} == {"U-A", "U-B", "U-V"}
    assert all(u["district"] == "D-A" for u in got["units"])
    city = {u["unit"]: u for u in ok(rectify.call(s.office, "rectify.ranking", {"year": y}))["units"]}
    figures = ("evaluation", "on_time", "overdue_days", "overdue_items", "repeats")
    assert all({k: u[k] for k in figures} == {k: city[u["unit"]][k] for k in figures} for u in got["units"])
    # the district office: its own district, counted over the rounds it owns (RD only)
    mine = ok(rectify.call(s.dist_a, "rectify.ranking", {"year": y}))
    assert mine["period"]["district"] == "D-A"
    rounds = ["RD"] if int(w["rounds"]["RD"][:4]) == y else []
    assert strip(mine["units"]) == expected(w, rounds, ["U-A", "U-B"] if rounds else [],
                                            f"{y}-01-01", f"{y}-12-31", own="D-A")
    assert code(rectify.call(s.dist_a, "rectify.ranking", {"year": y, "district": "D-B"})) == "forbidden"
    assert code(rectify.call(s.dist_b, "rectify.ranking", {"round": "RD"})) == "not_found"
    assert code(rectify.call(s.dist_a, "rectify.ranking", {"round": "R1"})) == "not_found"
    assert code(rectify.call(s.unit_a, "rectify.ranking", {"year": y})) == "forbidden"
    # bad requests: both or neither of year and round, unknown round or district
    assert code(rectify.call(s.office, "rectify.ranking", {"year": y, "round": "R1"})) == "schema"
    assert code(rectify.call(s.office, "rectify.ranking", {})) == "schema"
    assert code(rectify.call(s.office, "rectify.ranking", {"round": "R9"})) == "not_found"
    assert code(rectify.call(s.office, "rectify.ranking", {"year": y, "district": "U-A"})) == "not_found"


def test_a_lookback_round_shows_its_prior_rounds_items_unit_by_unit(world):
    w = world
    s, rectify, p, items = w["s"], w["rectify"], w["problems"], w["items"]
    got = ok(rectify.call(s.office, "rectify.lookback", {"round": "R2"}))
    assert got["round"] == "R2" and got["prior_round"] == "R1"
    by = {u["unit"]: u for u in got["units"]}
    assert list(by) == sorted(by) and set(by) == {"U-A", "U-B", "U-C", "U-V", "U-X"}
    for unit, entry in by.items():
        rows = entry["rows"]
        assert [r["item"] for r in rows] == sorted(items[q] for q in p[unit])
        for r in rows:
            full = ok(rectify.call(s.office, "rectify.get", {"item": r["item"]}))
            assert (r["state"], r["due"], r["closed_on"], r["problem"]) == (
                full["state"], full["due"], full["closed_on"], full["problem"])
            assert r["reopened"] == any(c.get("decision") == "rejected" for c in full["claims"])
        assert entry["items"] == len(rows)
        assert entry["closed"] == sum(r["state"] == "closed" for r in rows)
        assert entry["open"] == entry["items"] - entry["closed"]
        assert entry["reopened"] == sum(r["reopened"] for r in rows)
        assert entry["repeated"] == sum(bool(r["repeated_by"]) for r in rows)
    rows = {r["problem"]: r for u in by.values() for r in u["rows"]}
    assert rows[p["U-A"][1]]["repeated_by"] == [w["again"][0]]
    assert rows[p["U-A"][2]]["repeated_by"] == [w["again"][1]]
    assert rows[p["U-B"][0]]["repeated_by"] == [w["again"][2]] and rows[p["U-B"][0]]["reopened"]
    assert (by["U-A"]["closed"], by["U-A"]["repeated"], by["U-B"]["reopened"]) == (2, 2, 1)
    # overdue: the open items past their due date (every open one here)
    assert by["U-A"]["overdue"] == 1 and by["U-X"]["overdue"] == 1
    assert got["next"] is None
    pages, after = [], None
    while True:
        page = ok(rectify.call(s.office, "rectify.lookback", {"round": "R2", "limit": 2,
                                                              **({"after": after} if after else {})}))
        pages += page["units"]
        if page["next"] is None:
            break
        assert page["next"] == page["units"][-1]["unit"]
        after = page["next"]
    assert pages == got["units"]
    assert code(rectify.call(s.office, "rectify.lookback", {"round": "R1"})) == "conflict"
    assert code(rectify.call(s.office, "rectify.lookback", {"round": "R9"})) == "not_found"
    assert code(rectify.call(s.dist_a, "rectify.lookback", {"round": "R2"})) == "not_found"
    assert code(rectify.call(s.unit_a, "rectify.lookback", {"round": "R2"})) == "forbidden"


def restart_rectify(w, ranking=None):
    """Restarts xc-rectify on its store with policies.rectify.ranking set to ranking (None: the
    file's POLICY)."""
    s = w["s"]
    rules = dict(POLICY["rectify"], **({"ranking": ranking} if ranking else {}))
    s.config["policies"]["rectify"] = rules
    write_json(s.config_path, s.config)
    d = s.deployments["rectify"]
    assert d.end_process() == 0
    d.start()


def test_the_order_is_the_policy_s(world):
    w = world
    s, y = w["s"], w["year"]
    restart_rectify(w, {"order": ["repeats desc", "overdue_days desc"], "special_check_lowest": 0,
                        "special_check_grades": []})
    try:
        got = ok(w["rectify"].call(s.office, "rectify.ranking", {"year": y}))
    finally:
        restart_rectify(w)
    assert got["order"] == ["repeats desc", "overdue_days desc", "unit asc"]
    units = [(u["repeats"], u["overdue_days"], u["unit"]) for u in got["units"]]
    assert units == sorted(units, key=lambda u: (-u[0], -u[1], u[2])), units
    assert [u["rank"] for u in got["units"]] == list(range(1, len(units) + 1))
    # special_check off: only the 约谈 rule flags; the 约谈 list is over this order now
    assert not any(u["special_check"] for u in got["units"])
    scored = [u for u in got["units"] if u["evaluation"]]
    for u in got["units"]:
        assert u["interview"] == (u["evaluation"] is not None and (
            Decimal(u["evaluation"]["score"]) < 60 or u is scored[-1]))


def test_repeats_and_the_ranking_survive_a_restart(world):
    w = world
    s = w["s"]
    before = ok(w["rectify"].call(s.office, "rectify.ranking", {"year": w["year"]}))
    d = s.deployments["rectify"]
    assert d.end_process() == 0
    d.start()
    rectify = w["rectify"]         # the same client: the service comes back on its port
    after = ok(rectify.call(s.office, "rectify.ranking", {"year": w["year"]}))
    assert after == before
    assert ok(rectify.call(s.office, "rectify.lookback", {"round": "R2"}))["units"]
