"""District offices refused or filtered from every side (issue 20; docs/security.md, "Districts").

One deployment of the four services, two levels. Three districts, each with its office (role
`district`) and a round of its own: D-A (its leads visible `full`), D-B (`status`), D-C (`none`,
the default); a crossed round RX owned by D-A whose team came from D-B; the city's round RK over a
city department and a unit of D-A, a raised round RR over a unit of D-A, and D-B's round RL linked
to RK. Each round with
problems carries its mark (MK-<round>) in every text, each referral the office or a district
created its own (LK-<round>), so that "nothing of round R reaches principal P" is checked on every
answer P gets: gets, lists, exports, stats, events and notices.

- A district office reads its own rounds and the crossed rounds it inspects (RX for D-B), acts only
  on its own, and gets `not_found` for any other get, `forbidden` for any other command or `owner`
  filter, and lists, exports and stats without the rest.
- Its leads as lead_access allows: D-A full rows, reads (logged) and content events; D-B rows
  without title, figures, alerts; D-C nothing.
- Notices go to the owner's office: each district's referral and rectify alerts to its own entry,
  the city's to the city's, `city:role:` to the city whatever the owner.
- The city office sees everything, and `rectify.list {"overdue": true}` is its one list of every
  district's overdue items.

One suite serves the module; every wait is bounded.
"""

import datetime
import json

import pytest

from conftest import Suite, running_suite
from notify_servers import DEFAULT_RULES
from test_access import ALERTS, World, answer, local_day, ok, redacted_id, text_of, waited

SERVICES = ["intake", "referral", "rectify", "notify"]

PRINCIPALS = {
    "office": ("office", "office", {}),
    "dist_a": ("district-a", "district", {"district": "D-A"}),
    "dist_b": ("district-b", "district", {"district": "D-B"}),
    "dist_c": ("district-c", "district", {"district": "D-C"}),
    "dist_none": ("district-none", "district", {}),           # a district office of no district
    "dist_a_city": ("district-a-desk", "district", {"district": "D-A"}),   # in a city entry only
    "team_a": ("team-a", "team", {}),
    "team_b": ("team-b", "team", {}),
    "team_c": ("team-c", "team", {}),
    "team_x": ("team-x", "team", {}),                          # RX's team, from D-B
    "team_k": ("team-k", "team", {}),
}
DISTRICTS = {"dist_a": "D-A", "dist_b": "D-B", "dist_c": "D-C"}
LEAD_ACCESS = {"D-A": "full", "D-B": "status"}                 # D-C: none, the default
# Each round: owner (None: the city), link, team, targets, who opens and advances it.
ROUNDS = {
    "RA": ("D-A", None, "team_a", ["U-A1"], "dist_a"),
    "RB": ("D-B", None, "team_b", ["U-B1"], "dist_b"),
    "RC": ("D-C", None, "team_c", ["U-C1"], "dist_c"),
    "RX": ("D-A", {"kind": "crossed", "by": "D-B"}, "team_x", ["U-A2"], "office"),
    "RK": (None, None, "team_k", ["U-A1", "U-K"], "office"),      # its problems on U-A1, in D-A
    "RR": (None, {"kind": "raised", "district": "D-A"}, "team_k", ["U-A1"], "office"),
    "RL": ("D-B", {"kind": "linked", "round": "RK"}, "team_b", ["U-B1"], "dist_b"),   # D-B's, with RK
}
WORKED = ["RA", "RB", "RC", "RX", "RK"]                         # rounds with problems and items
LEADS = ["RA", "RB", "RC", "RK"]                                # rounds with a lead (not RX)
UNITS = [
    {"id": "D-A", "name": "甲区", "level": "district"},
    {"id": "D-B", "name": "乙区", "level": "district"},
    {"id": "D-C", "name": "丙区", "level": "district"},
    {"id": "U-A1", "name": "甲区青石镇", "level": "town", "parent": "D-A"},
    {"id": "U-A2", "name": "甲区白沙镇", "level": "town", "parent": "D-A"},
    {"id": "U-B1", "name": "乙区东湖街道", "level": "town", "parent": "D-B"},
    {"id": "U-C1", "name": "丙区西山镇", "level": "town", "parent": "D-C"},
    {"id": "U-K", "name": "市教育局", "level": "city_department"},
]
UNIT_PARENT = {u["id"]: u.get("parent") for u in UNITS}
OFFICE_ENTRIES = {"city-desk": None, "a-office": "D-A", "b-office": "D-B", "c-office": "D-C"}
CITY_EXTENDED = {"id": "extended-city", "events": ["referral.extended"], "to": ["city:role:office"]}


def owner_of(rnd):
    return ROUNDS[rnd][0] if rnd in ROUNDS else None


def acts_on(district, rnd):
    """Whether a district office acts on a round: it owns it."""
    return district is not None and owner_of(rnd) == district


def reads(district, rnd):
    """Whether a district office reads a round's records: it owns it, or it crossed into it."""
    link = ROUNDS[rnd][1] if rnd in ROUNDS else None
    return acts_on(district, rnd) or (district is not None and bool(link)
                                      and link["kind"] == "crossed" and link["by"] == district)


def in_district(unit, district):
    while unit:
        if unit == district:
            return True
        unit = UNIT_PARENT.get(unit)
    return False


def visible_units(district):
    crossed = {u for r in ROUNDS if reads(district, r) and not acts_on(district, r) for u in ROUNDS[r][3]}
    return {u for u in UNIT_PARENT if in_district(u, district)} | crossed


def day(w, n):
    return str(w.today + datetime.timedelta(days=n))


def mark(rnd):
    return f"MK-{rnd}"


def lmark(rnd):
    return f"LK-{rnd}"


def build(s):
    w = World(s)
    w.today = local_day()
    o, i = s.office, w.c["intake"]
    for unit in UNITS:
        ok(i.call(o, "unit.register", unit))
    # a district registers a unit of its own
    ok(i.call(s.dist_a, "unit.register", {"id": "U-A3", "name": "甲区新设街道", "level": "town",
                                          "parent": "D-A"}))
    UNIT_PARENT["U-A3"] = "D-A"
    w.problems = {}            # round -> {"feedback": id, "lead": id}
    for rnd, (owner, link, team, targets, opener) in ROUNDS.items():
        data = {"id": rnd, "name": f"{mark(rnd)} 第{rnd}轮巡察", "kind": "regular",
                "team": PRINCIPALS[team][0], "targets": [{"unit": u, "coverage": "main"} for u in targets],
                "planned_start": day(w, -30), "planned_end": day(w, 30), "date": day(w, -30)}
        if opener == "office" and owner:
            data["owner"] = owner
        if link:
            data["link"] = link
        ok(i.call(getattr(s, opener), "round.open", data))
        if rnd not in WORKED:
            continue
        # the owner advances and classifies: a district its own rounds (RX: D-A), the city its own
        actor = {"D-A": s.dist_a, "D-B": s.dist_b, "D-C": s.dist_c}.get(owner, o)
        advance = lambda stage, n: ok(i.call(actor, "round.advance", {"round": rnd, "stage": stage,
                                                                      "date": day(w, n)}))
        advance("stationed", -20)
        got = {}
        for kind in (["feedback", "lead"] if rnd in LEADS else ["feedback"]):
            got[kind] = ok(i.call(getattr(s, team), "problem.report", {
                "unit": targets[0], "category": "public_concerns", "round": rnd,
                "summary": f"{mark(rnd)} {kind} 问题", "detail": f"{mark(rnd)} 详细情况",
                "severity": "serious", "source": "inspection_team"}))["problem"]
        classifier = actor
        ok(i.call(classifier, "problem.classify", {"problem": got["feedback"], "dispositions": [
            {"kind": "feedback", "timeliness": "deadline"}]}))
        if "lead" in got:
            body = {"D-A": "discipline-a", "D-B": "discipline-b", "D-C": "discipline-c"}.get(owner,
                                                                                         "discipline-city")
            ok(i.call(classifier, "problem.classify", {"problem": got["lead"], "dispositions": [
                {"kind": "lead", "body": body, "note": f"{mark(rnd)} 请核处"}]}))
        for stage, n in (("withdrawn", -10), ("reported", -5), ("feedback_delivered", 0)):
            advance(stage, n)
        w.problems[rnd] = got

    # each owner makes a referral of its own round (a special report), once referral knows it
    w.made = {}
    for rnd in WORKED:
        waited(f"referral to read {rnd}", lambda: answer(w.call(
            "referral", o, "referral.stats", {"round": rnd})) == "result")
        maker = {"D-A": s.dist_a, "D-B": s.dist_b, "D-C": s.dist_c}.get(owner_of(rnd), o)
        w.made[rnd] = ok(w.call("referral", maker, "referral.create", {
            "kind": "report", "target": "organization-dept", "title": f"{lmark(rnd)} 专题报告",
            "detail": f"{lmark(rnd)} 关于规范管理的建议", "round": rnd}))["referral"]
    # the city sends district B's office a report of its own (no round: the city's)
    w.to_b = ok(w.call("referral", o, "referral.create", {
        "kind": "report", "target": "district-b", "title": f"{lmark('TOB')} 工作提示",
        "detail": f"{lmark('TOB')} 请乙区巡察办研究"}))["referral"]

    def referrals():
        rows = w.pages("referral", o, "referral.list")
        return rows if len([r for r in rows if r["kind"] == "lead"]) == len(LEADS) else None
    rows = waited("referral to make the leads", referrals)
    w.ref_round = {r["id"]: r["round"] for r in rows}
    w.leads = {r["round"]: r["id"] for r in rows if r["kind"] == "lead"}
    items = waited("rectify to open an item per worked round", lambda: (
        lambda got: got if len(got) == len(WORKED) else None)(w.pages("rectify", o, "rectify.list")))
    w.item = {it["round"]: it["id"] for it in items}
    assert set(w.item) == set(WORKED), items

    # D-A extends its own report (the city hears of it by city:role:office), then both clocks go
    # past every due date: alerts for every referral and item, notices to the owners' offices
    ok(w.call("referral", s.dist_a, "referral.extend", {"referral": w.made["RA"], "due": "2099-12-31",
                                                         "reason": f"{lmark('RA')} 延期"}))
    # D-A moves the plan deadline of its crossed round's item: an item transition that D-A (the
    # owner) and D-B (the crossing district) read, D-C not
    ok(w.call("rectify", s.dist_a, "rectify.extend", {"item": w.item["RX"], "due": day(w, 30),
                                                       "reason": "村级班子调整", "deadline": "plan"}))
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=120)
    for svc in ("referral", "rectify"):
        ok(w.call(svc, o, "clock.set", {"clock": later.strftime("%Y-%m-%dT%H:%M:%SZ")}))

    def notices():
        """Each office's entry has a notice of each round its district owns (the city's: RK's,
        and D-A's extension by city:role:office)."""
        got = {}
        for row in w.pages("notify", o, "notify.list"):
            n = ok(w.call("notify", o, "notify.get", {"delivery": row["id"]}))
            got.setdefault(row["recipient"], set()).add(notice_round(w, n))
        want = {"city-desk": {"RK", "RA"}, **{e: {r for r in WORKED if owner_of(r) == d}
                                               for e, d in OFFICE_ENTRIES.items() if d}}
        return all(want[e] <= got.get(e, set()) for e in want)
    waited("the offices' notices of their rounds", notices)
    waited("every overdue item", lambda: len(w.pages("rectify", o, "rectify.list", {"overdue": True}))
           == len(WORKED))
    waited("rectify.overdue of every item", lambda: {
        w.opened(e)["data"]["item"] for e in w.events("rectify", o) if e["type"] == "rectify.overdue"}
        >= set(w.item.values()))
    return w


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("districts"))
    directory = {"city-desk": {"name": "市委巡察办", "roles": ["office"], "principal": "office",
                               "channels": {"stream": True}},
                 "a-office": {"name": "甲区委巡察办", "roles": ["office"], "principal": "district-a",
                              "district": "D-A", "channels": {"stream": True}},
                 "a-liaison": {"name": "甲区联络员", "roles": ["liaison"], "principal": "district-a-desk",
                               "channels": {"stream": True}},
                 "b-office": {"name": "乙区委巡察办", "roles": ["office"], "principal": "district-b",
                              "district": "D-B", "channels": {"stream": True}}}
    policies = {
        "notify": {"directory": directory, "rules": DEFAULT_RULES + [CITY_EXTENDED],
                   # D-C's office comes from its district's own directory
                   "districts": {"D-C": {"directory": {"c-office": {
                       "name": "丙区委巡察办", "roles": ["office"], "principal": "district-c",
                       "channels": {"stream": True}}}}}},
        "referral": {"districts": {d: {"lead_access": a} for d, a in LEAD_ACCESS.items()}},
        # deadlines in days, kept as they fall: the clock moved 120 days on needs no calendar file
        "rectify": {"calendar_warn_from": None, "regimes": {"short": {"plan_due": "10 days",
                                                                     "report_due": "20 days"}},
                    "default_regime": "short", "immediate_due": "5 days", "revisit_after": "10 days",
                    "period_end": "keep"},
    }
    s = Suite(folder, SERVICES, PRINCIPALS, policies)
    for started in running_suite(s):
        yield build(started)


STATUS_ROW = {"id", "kind", "target", "round", "state", "method", "due", "overdue"}
VIEWERS = ["office", "dist_a", "dist_b", "dist_c"]


def district(attr):
    return DISTRICTS.get(attr)


def sees(attr, rnd):
    return attr == "office" or reads(district(attr), rnd)


def ok_or_code(reply):
    return ok(reply) if reply["type"] != "error" else reply["data"]["code"]


def hidden_marks(w, attr):
    """The marks of what attr may not see: rounds it does not read; referrals it may not read."""
    d = district(attr)
    out = [mark(r) for r in ROUNDS if not sees(attr, r)]
    for rnd in WORKED + ["TOB"]:
        target_is_me = rnd == "TOB" and attr == "dist_b"
        if attr != "office" and not target_is_me and not (acts_on(d, rnd) and LEAD_ACCESS.get(d) == "full"):
            out.append(lmark(rnd))
    return out


# --- intake ------------------------------------------------------------------------------------

@pytest.mark.parametrize("attr", VIEWERS)
def test_intake_gets_show_only_the_rounds_a_district_reads(world, attr):
    w, who = world, getattr(world.s, attr)
    for rnd in ROUNDS:
        got = ok_or_code(w.call("intake", who, "round.get", {"round": rnd}))
        assert (got != "not_found") == sees(attr, rnd), (attr, rnd, got)
        if sees(attr, rnd):
            assert got["id"] == rnd
    for rnd, probs in w.problems.items():
        for kind, pid in probs.items():
            got = ok_or_code(w.call("intake", who, "problem.get", {"problem": pid}))
            assert (got != "not_found") == sees(attr, rnd), (attr, rnd, kind, got)
            if got != "not_found":
                assert "reporter" not in got or attr == "office", got
    for unit in list(UNIT_PARENT):
        got = ok_or_code(w.call("intake", who, "unit.get", {"unit": unit}))
        expect = attr == "office" or unit in visible_units(district(attr))
        assert (got != "not_found") == expect, (attr, unit, got)


@pytest.mark.parametrize("attr", VIEWERS)
def test_intake_lists_are_filtered(world, attr):
    w, who = world, getattr(world.s, attr)
    rounds = {r["id"] for r in w.pages("intake", who, "round.list")}
    assert rounds == {r for r in ROUNDS if sees(attr, r)} | (rounds - set(ROUNDS) if attr == "office" else set())
    problems = {p["id"]: p for p in w.pages("intake", who, "problem.list")}
    expect = {pid for rnd, probs in w.problems.items() if sees(attr, rnd) for pid in probs.values()}
    assert set(problems) == expect, (attr, sorted(problems), sorted(expect))
    units = {u["id"] for u in w.pages("intake", who, "unit.list")}
    assert units == (set(UNIT_PARENT) if attr == "office" else visible_units(district(attr))), units
    for hidden in hidden_marks(w, attr):
        assert hidden.startswith("LK") or hidden not in text_of([sorted(rounds), problems, sorted(units)]), hidden


def test_a_crossed_round_is_read_by_its_by_district_only(world):
    w, s = world, world.s
    # D-B's office (the team's district) reads RX: the round, its problem, its item, its unit
    assert ok(w.call("intake", s.dist_b, "round.get", {"round": "RX"}))["link"] == {"kind": "crossed", "by": "D-B"}
    assert ok(w.call("intake", s.dist_b, "problem.get", {"problem": w.problems["RX"]["feedback"]}))
    assert ok(w.call("rectify", s.dist_b, "rectify.get", {"item": w.item["RX"]}))["round"] == "RX"
    assert ok(w.call("intake", s.dist_b, "unit.get", {"unit": "U-A2"}))["id"] == "U-A2"
    # ... but not D-A's other units, and it acts on none of RX
    assert answer(w.call("intake", s.dist_b, "unit.get", {"unit": "U-A1"})) == "not_found"
    for service, type_, data in (
            ("intake", "round.advance", {"round": "RX", "stage": "feedback_delivered", "date": day(w, 0)}),
            ("intake", "problem.classify", {"problem": w.problems["RX"]["feedback"], "dispositions": [
                {"kind": "special_report", "report": "越权"}]}),
            ("intake", "unit.rename", {"unit": "U-A2", "name": "越权改名"}),
            ("rectify", "rectify.review", {"item": w.item["RX"], "decision": "reject", "reason": "越权"}),
            ("rectify", "rectify.extend", {"item": w.item["RX"], "due": day(w, 200), "reason": "越权",
                                           "deadline": "item"}),
            ("rectify", "rectify.regime", {"round": "RX", "regime": "2024"}),
            ("rectify", "rectify.interview", {"round": "RX", "unit": "U-A2", "by": "越权",
                                              "interviewee": {"name": "某", "title": "镇长"}}),
            ("referral", "referral.create", {"kind": "report", "target": "organization-dept", "title": "越权",
                                             "detail": "越权", "round": "RX"}),
            ("referral", "referral.extend", {"referral": w.made["RX"], "due": "2099-12-31", "reason": "越权"})):
        assert answer(w.call(service, s.dist_b, type_, data)) == "forbidden", (type_, data)
    # its referrals are D-A's (the owner's): D-B sees none of them
    assert w.made["RX"] not in {r["id"] for r in w.pages("referral", s.dist_b, "referral.list")}
    assert answer(w.call("referral", s.dist_b, "referral.get", {"referral": w.made["RX"]})) == "forbidden"
    # D-A owns it; D-C neither owns nor reads it
    assert ok(w.call("intake", s.dist_a, "round.get", {"round": "RX"}))["id"] == "RX"
    for service, type_, data in (("intake", "round.get", {"round": "RX"}),
                                 ("intake", "problem.get", {"problem": w.problems["RX"]["feedback"]}),
                                 ("intake", "unit.get", {"unit": "U-A2"}),
                                 ("rectify", "rectify.get", {"item": w.item["RX"]}),
                                 ("rectify", "rectify.round", {"round": "RX"})):
        assert answer(w.call(service, s.dist_c, type_, data)) == "not_found", (type_, data)


def test_only_the_city_office_opens_a_crossed_round(world):
    w, s = world, world.s
    data = {"id": "RX2", "name": "越权交叉", "kind": "regular", "team": "team-x",
            "targets": [{"unit": "U-A1", "coverage": "main"}], "planned_start": day(w, 0),
            "planned_end": day(w, 10), "link": {"kind": "crossed", "by": "D-B"}}
    assert answer(w.call("intake", s.dist_a, "round.open", data)) == "forbidden"
    assert answer(w.call("intake", s.office, "round.get", {"round": "RX2"})) == "not_found"


def test_intake_commands_out_of_scope_are_forbidden_and_store_nothing(world):
    w, s = world, world.s
    before = ok(w.call("intake", s.office, "health", {}))["commands"]
    new = lambda uid_, parent, level="town": {"id": uid_, "name": "越权", "level": level,
                                              **({"parent": parent} if parent else {})}
    cases = [
        # D-B on D-A's units and round
        (s.dist_b, "unit.register", new("U-EVIL1", "U-A1")),
        (s.dist_b, "unit.rename", {"unit": "U-A1", "name": "越权改名"}),
        (s.dist_b, "unit.merge", {"from": ["U-A1", "U-A2"], "into": new("U-EVIL2", "D-A")}),
        (s.dist_b, "unit.split", {"unit": "U-A1", "into": [new("U-EVIL3", "U-B1"), new("U-EVIL4", "U-B1")],
                                  "successor": "U-EVIL3"}),
        (s.dist_b, "round.advance", {"round": "RA", "stage": "feedback_delivered", "date": day(w, 0)}),
        (s.dist_b, "problem.classify", {"problem": w.problems["RA"]["feedback"], "dispositions": [
            {"kind": "special_report", "report": "越权"}]}),
        (s.dist_b, "problem.merge", {"into": w.problems["RA"]["feedback"], "from": [w.problems["RA"]["lead"]]}),
        # a district's units of the city (no parent), a district, and its own round for another owner
        (s.dist_a, "unit.register", new("U-EVIL5", None, "other")),
        (s.dist_a, "unit.register", new("D-EVIL", None, "district")),
        (s.dist_a, "unit.register", new("U-EVIL6", "U-K")),
        (s.dist_a, "round.open", {"id": "R-EVIL1", "name": "越权", "kind": "regular", "team": "team-a",
                                  "targets": [{"unit": "U-A1", "coverage": "main"}], "owner": "D-B",
                                  "planned_start": day(w, 0), "planned_end": day(w, 10)}),
        (s.dist_a, "round.open", {"id": "R-EVIL2", "name": "越权", "kind": "regular", "team": "team-a",
                                  "targets": [{"unit": "U-A1", "coverage": "main"}], "owner": "city",
                                  "planned_start": day(w, 0), "planned_end": day(w, 10)}),
        (s.dist_a, "round.open", {"id": "R-EVIL3", "name": "越权", "kind": "regular", "team": "team-a",
                                  "targets": [{"unit": "U-B1", "coverage": "main"}],
                                  "planned_start": day(w, 0), "planned_end": day(w, 10)}),
        # D-A on the city's round over its own unit U-A1 (RK), and on the raised round (RR)
        (s.dist_a, "round.advance", {"round": "RK", "stage": "feedback_delivered", "date": day(w, 0)}),
        (s.dist_a, "round.advance", {"round": "RR", "stage": "stationed", "date": day(w, 0)}),
        (s.dist_a, "problem.classify", {"problem": w.problems["RK"]["feedback"], "dispositions": [
            {"kind": "special_report", "report": "越权"}]}),
        (s.dist_a, "problem.merge", {"into": w.problems["RK"]["feedback"], "from": [w.problems["RK"]["lead"]]}),
        # intake's figures of another owner, its events, reports, and a district of no district
        (s.dist_a, "intake.stats", {"owner": "city"}),
        (s.dist_a, "intake.stats", {"owner": "D-B"}),
        (s.dist_a, "intake.stats", {"owner": "district"}),
        (s.dist_a, "events.read", {"after": 0, "limit": 5}),
        (s.dist_a, "problem.report", {"unit": "U-A1", "category": "public_concerns", "summary": "越权",
                                      "detail": "越权", "severity": "general", "source": "petition"}),
        (s.dist_none, "round.list", {}),
        (s.dist_none, "unit.get", {"unit": "U-A1"}),
    ]
    for who, type_, data in cases:
        got = w.call("intake", who, type_, data)
        assert answer(got) == "forbidden", (who.iss, type_, data, got)
    assert "U-B1" in text_of(w.call("intake", s.dist_a, "round.open", cases[12][2]))  # names the unit
    assert ok(w.call("intake", s.office, "health", {}))["commands"] == before
    for unit in ("U-EVIL1", "U-EVIL2", "U-EVIL3", "U-EVIL5", "D-EVIL", "U-EVIL6"):
        assert answer(w.call("intake", s.office, "unit.get", {"unit": unit})) == "not_found", unit
    assert ok(w.call("intake", s.office, "unit.get", {"unit": "U-A1"}))["name"] == "甲区青石镇"


def strip(stats):
    return {k: v for k, v in stats.items() if k not in ("filters", "definitions")}


@pytest.mark.parametrize("attr", list(DISTRICTS))
def test_intake_stats_are_the_districts_own_rounds(world, attr):
    w, who, d = world, getattr(world.s, attr), DISTRICTS[attr]
    mine = ok(w.call("intake", who, "intake.stats", {}))
    assert strip(mine) == strip(ok(w.call("intake", who, "intake.stats", {"owner": d})))
    assert strip(mine) == strip(ok(w.call("intake", w.s.office, "intake.stats", {"owner": d})))
    assert strip(mine) != strip(ok(w.call("intake", w.s.office, "intake.stats", {})))
    for other in ("city", "district", *(x for x in DISTRICTS.values() if x != d)):
        assert answer(w.call("intake", who, "intake.stats", {"owner": other})) == "forbidden", other


# --- referral ----------------------------------------------------------------------------------

def referral_sees(w, attr, ref):
    """Whether attr reads a referral whole (get): the office; its target; lead_access full."""
    if attr == "office":
        return True
    if ref == w.to_b:
        return attr == "dist_b"
    d = district(attr)
    return acts_on(d, w.ref_round[ref]) and LEAD_ACCESS.get(d) == "full"


def referral_rows(w, attr, ref):
    """Whether attr lists a referral: as get, or its rounds' with lead_access status."""
    d = district(attr)
    return referral_sees(w, attr, ref) or (
        ref != w.to_b and acts_on(d, w.ref_round[ref]) and LEAD_ACCESS.get(d) == "status")


@pytest.mark.parametrize("attr", VIEWERS)
def test_referral_lists_and_gets_follow_lead_access(world, attr):
    w, who = world, getattr(world.s, attr)
    rows = {r["id"]: r for r in w.pages("referral", who, "referral.list")}
    expect = {ref for ref in w.ref_round if referral_rows(w, attr, ref)}
    assert set(rows) == expect, (attr, sorted(rows), sorted(expect))
    for ref, row in rows.items():
        whole = referral_sees(w, attr, ref)
        assert ("title" in row and row["title"] is not None) == whole or attr == "office", row
        if not whole:       # status: id, kind, target, round, state, method, due, overdue
            assert set(row) == STATUS_ROW, row
            assert lmark(w.ref_round[ref]) not in text_of(row) and mark(w.ref_round[ref]) not in text_of(row), row
    for ref in w.ref_round:
        got = w.call("referral", who, "referral.get", {"referral": ref})
        assert (answer(got) == "forbidden") != referral_sees(w, attr, ref), (attr, ref, got)
    # the leads of each round, filtered by kind
    leads = {r["id"] for r in w.pages("referral", who, "referral.list", {"kind": "lead"})}
    assert leads == {ref for rnd, ref in w.leads.items() if referral_rows(w, attr, ref)}


def test_a_districts_lead_read_is_logged(world):
    w, s = world, world.s
    got = ok(w.call("referral", s.dist_a, "referral.get", {"referral": w.leads["RA"]}))
    assert mark("RA") in got["title"] and got["round"] == "RA", got
    reads_ = [w.opened(e)["data"] for e in w.events("referral", s.office)
              if e["type"] == "lead.read" and "message" in e]
    assert {"referral": w.leads["RA"], "reader": "district-a"} in [
        {"referral": r["referral"], "reader": r["reader"]} for r in reads_], reads_


@pytest.mark.parametrize("attr", list(DISTRICTS))
def test_referral_stats_by_lead_access(world, attr):
    w, who, d = world, getattr(world.s, attr), DISTRICTS[attr]
    got = w.call("referral", who, "referral.stats", {})
    if LEAD_ACCESS.get(d, "none") == "none":
        assert answer(got) == "forbidden", got
        assert answer(w.call("referral", who, "referral.stats", {"owner": d})) == "forbidden"
        return
    assert strip(ok(got)) == strip(ok(w.call("referral", w.s.office, "referral.stats", {"owner": d})))
    assert strip(ok(got)) == strip(ok(w.call("referral", who, "referral.stats", {"owner": d})))
    assert ok(got)["leads"] == 1, got
    for other in ("city", "district", *(x for x in DISTRICTS.values() if x != d)):
        assert answer(w.call("referral", who, "referral.stats", {"owner": other})) == "forbidden", other


def test_referral_commands_out_of_scope_are_forbidden(world):
    w, s = world, world.s
    before = ok(w.call("referral", s.office, "health", {}))["commands"]
    for who, rnd in ((s.dist_b, "RA"), (s.dist_a, "RK"), (s.dist_c, "RB"), (s.dist_a, "RC")):
        for type_, data in (
                ("referral.create", {"kind": "report", "target": "organization-dept", "title": "越权",
                                     "detail": "越权", "round": rnd}),
                ("referral.extend", {"referral": w.made[rnd], "due": "2099-12-31", "reason": "越权"}),
                ("referral.sign", {"referral": w.made[rnd], "leader": {"name": "某", "title": "书记"}}),
                ("referral.get", {"referral": w.leads[rnd]}),
                ("referral.acknowledge", {"referral": w.leads[rnd]})):
            assert answer(w.call("referral", who, type_, data)) == "forbidden", (who.iss, type_, rnd)
    # a referral without a round is the city's
    assert answer(w.call("referral", s.dist_a, "referral.create", {
        "kind": "report", "target": "organization-dept", "title": "越权", "detail": "越权"})) == "forbidden"
    assert ok(w.call("referral", s.office, "health", {}))["commands"] == before
    # as a target a district office acts on its referral's life like anyone
    assert answer(w.call("referral", s.dist_b, "referral.acknowledge", {"referral": w.to_b})) in ("ack",)


def referral_event_visible(w, attr, e, body):
    if attr == "office":
        return True
    ref = body["data"]["referral"]
    if ref == w.to_b:
        return attr == "dist_b"
    d = district(attr)
    if not acts_on(d, w.ref_round.get(ref)):
        return False
    access = LEAD_ACCESS.get(d, "none")
    return access == "full" or (access == "status" and e["type"] in ALERTS)


def rectify_event_visible(w, attr, body):
    if attr == "office":
        return True
    data = body["data"]
    rnd = data.get("round") or {v: k for k, v in w.item.items()}.get(data.get("item"))
    return bool(rnd) and reads(district(attr), rnd)


@pytest.mark.parametrize("attr", list(DISTRICTS) + ["dist_none"])
def test_events_are_redacted_or_refused(world, attr):
    w, who = world, getattr(world.s, attr)
    for service in ("intake", "notify"):
        assert w.events(service, who) == "forbidden", service
    for service in ("referral", "rectify"):
        full = w.events(service, w.s.office)
        got = w.events(service, who)
        if attr == "dist_none":        # refused, or nothing but redacted entries
            assert got == "forbidden" or not [e for e in got if "message" in e], (service, got)
            continue
        assert isinstance(got, list) and [e["seq"] for e in got[:len(full)]] == [e["seq"] for e in full], service
        shown = 0
        for e, mine in zip(full, got):
            body = w.opened(e)
            if service == "referral":
                expect = referral_event_visible(w, attr, e, body)
            else:
                expect = rectify_event_visible(w, attr, body)
            assert ("message" in mine) == expect, (service, attr, e["type"], body["data"])
            if expect:
                shown += 1
                assert mine["message"] == e["message"] and mine["id"] == e["id"]
            else:
                assert mine["redacted"] is True and mine["id"] == redacted_id(service, e["id"]), mine
                assert set(mine) == {"seq", "id", "type", "hash", "redacted"}, mine
        assert shown or (service == "referral" and attr == "dist_c"), (service, attr)


def test_alerts_carry_the_round_owner(world):
    w = world
    expect_owner = lambda rnd: owner_of(rnd) or "city"
    seen = set()
    for service, key in (("referral", "referral"), ("rectify", "item")):
        for e in w.events(service, w.s.office):
            body = w.opened(e)
            if e["type"] not in ALERTS | {"rectify.warning", "rectify.overdue", "rectify.escalated",
                                          "revisit.due", "interview.recommended", "interview.held"}:
                continue
            data = body["data"]
            if key == "referral":
                rnd = w.ref_round.get(data["referral"]) or None
            else:
                rnd = data.get("round") or None
            assert data["round_owner"] == (expect_owner(rnd) if rnd else "city"), (e["type"], data)
            seen.add((service, data["round_owner"]))
    assert {("referral", "D-A"), ("referral", "city"), ("rectify", "D-B"), ("rectify", "city")} <= seen, seen


# --- rectify -----------------------------------------------------------------------------------

@pytest.mark.parametrize("attr", VIEWERS)
def test_rectify_gets_lists_exports_and_stats_are_scoped(world, attr):
    w, who, d = world, getattr(world.s, attr), district(attr)
    expect = {rnd for rnd in WORKED if sees(attr, rnd)}
    for rnd, item in w.item.items():
        got = ok_or_code(w.call("rectify", who, "rectify.get", {"item": item}))
        assert (got != "not_found") == (rnd in expect), (attr, rnd, got)
    for rnd in ROUNDS:
        got = ok_or_code(w.call("rectify", who, "rectify.round", {"round": rnd}))
        if rnd in WORKED:
            assert (got != "not_found") == sees(attr, rnd), (attr, rnd, got)
        elif not sees(attr, rnd):
            assert got == "not_found", (attr, rnd, got)
    rows = w.pages("rectify", who, "rectify.list")
    assert {r["round"] for r in rows} == expect and len(rows) == len(expect), rows
    assert {r["round"]: r["round_owner"] for r in rows} == {r: owner_of(r) or "city" for r in expect}
    overdue = w.pages("rectify", who, "rectify.list", {"overdue": True})
    assert {r["round"] for r in overdue} == expect, overdue
    csv = ok(w.call("rectify", who, "rectify.export", {"list": "problems"}))
    assert csv["rows"] == len(expect), csv
    stats = ok(w.call("rectify", who, "rectify.stats", {}))
    # a district's figures are its own rounds' (as intake's, referral's), not the crossed it reads
    counted = {rnd for rnd in expect if not d or acts_on(d, rnd)}
    assert stats["items"] == len(counted), stats
    answers = text_of([rows, csv, stats, overdue])
    for hidden in hidden_marks(w, attr):
        assert hidden not in answers, hidden
    if d:
        for other in ("city", "district", *(x for x in DISTRICTS.values() if x != d)):
            for type_ in ("rectify.list", "rectify.stats"):     # (rectify.export has no owner)
                data = {"owner": other}
                assert answer(w.call("rectify", who, type_, data)) == "forbidden", (type_, other)
        own = ok(w.call("rectify", who, "rectify.stats", {"owner": d}))
        assert own["items"] == len([r for r in WORKED if acts_on(d, r)]), own


def test_the_city_lists_every_districts_overdue_items(world):
    w, o = world, world.s.office
    allof = lambda f: {r["round"] for r in w.pages("rectify", o, "rectify.list", {"overdue": True, **f})}
    assert allof({}) == set(WORKED)
    assert allof({"owner": "district"}) == {r for r in WORKED if owner_of(r)}
    assert allof({"owner": "city"}) == {"RK"}
    for d in DISTRICTS.values():
        assert allof({"owner": d}) == {r for r in WORKED if owner_of(r) == d}, d


def test_rectify_commands_out_of_scope_are_forbidden(world):
    w, s = world, world.s
    before = ok(w.call("rectify", s.office, "health", {}))["commands"]
    for who, rnd in ((s.dist_b, "RA"), (s.dist_b, "RX"), (s.dist_a, "RK"), (s.dist_c, "RB")):
        unit = ROUNDS[rnd][3][0]
        item = w.item[rnd]
        for type_, data in (
                ("rectify.review", {"item": item, "decision": "reject", "reason": "越权"}),
                ("rectify.extend", {"item": item, "due": day(w, 300), "reason": "越权", "deadline": "item"}),
                ("rectify.regime", {"round": rnd, "regime": "2024"}),
                ("rectify.revisit", {"round": rnd, "unit": unit, "date": day(w, 0), "kinds": ["return_visit"]}),
                ("rectify.evaluate", {"round": rnd, "unit": unit, "parts": {
                    "leadership": 80, "responsibility": 80, "task_completion": 80, "satisfaction": 80},
                    "principal_leader": {"name": "某", "title": "镇长"}}),
                ("rectify.interview", {"round": rnd, "unit": unit, "by": "越权",
                                       "interviewee": {"name": "某", "title": "镇长"}}),
                ("rectify.progress", {"item": item, "note": "越权"})):
            got = w.call("rectify", who, type_, data)
            assert answer(got) == "forbidden", (who.iss, type_, rnd, got)
    assert ok(w.call("rectify", s.office, "health", {}))["commands"] == before
    # the owner acts: D-A on RX, not refused
    got = w.call("rectify", s.dist_a, "rectify.regime", {"round": "RX", "regime": "2024"})
    assert answer(got) != "forbidden", got


# --- notify ------------------------------------------------------------------------------------

def notice_round(w, n):
    data = n["data"]
    if data.get("referral"):
        return w.ref_round.get(data["referral"])
    return data.get("round") or {v: k for k, v in w.item.items()}.get(data.get("item"))


@pytest.mark.parametrize("attr", VIEWERS)
def test_notices_go_to_the_owners_office(world, attr):
    w, who, d = world, getattr(world.s, attr), district(attr)
    entry = {"office": "city-desk", "dist_a": "a-office", "dist_b": "b-office", "dist_c": "c-office"}[attr]
    listed = w.pages("notify", who, "notify.list")
    if attr == "office":            # the city office lists every delivery: the offices' own ones
        assert {r["recipient"] for r in listed} == set(OFFICE_ENTRIES), listed
        listed = [r for r in listed if r["recipient"] == entry]
    read = ok(w.call("notify", who, "notify.read", {"limit": 500}))["notices"]
    notices = [ok(w.call("notify", who, "notify.get", {"delivery": r["id"]})) for r in listed]
    assert listed and read
    assert {r["recipient"] for r in listed} == {entry}, listed
    for n in notices + read:
        rnd = notice_round(w, n)
        if n["event"]["type"] == "referral.extended":       # only CITY_EXTENDED sends these
            assert attr == "office", n                # every district's, to the city's entry
            continue
        if n["data"].get("referral") == w.to_b:        # a city referral: its target D-B, and the city
            assert attr in ("dist_b", "office"), n
            continue
        owner = owner_of(rnd) if rnd else None
        assert owner == d, (attr, rnd, n["rule"], n["data"])
    rules = {(r["rule"], notice_round(w, n)) for r, n in zip(listed, notices)}
    if attr == "office":
        assert ("extended-city", "RA") in rules and ("referral-overdue", "RK") in rules, rules
    else:
        owned = {r for r in WORKED if acts_on(d, r)}
        assert {r for _, r in rules} >= owned, rules
    text = text_of([listed, read, notices])
    for hidden in hidden_marks(w, attr):
        assert hidden not in text, hidden


def test_notify_refuses_another_offices_deliveries(world):
    w, s = world, world.s
    a = w.pages("notify", s.dist_a, "notify.list")
    b = w.pages("notify", s.dist_b, "notify.list")
    assert answer(w.call("notify", s.dist_b, "notify.get", {"delivery": a[0]["id"]})) == "forbidden"
    assert answer(w.call("notify", s.dist_a, "notify.get", {"delivery": b[0]["id"]})) == "forbidden"
    assert answer(w.call("notify", s.dist_a, "notify.ack", {"deliveries": [b[0]["id"]]})) == "not_found"
    for attr in (*DISTRICTS, "dist_none"):
        who = getattr(s, attr)
        assert answer(w.call("notify", who, "notify.stats", {})) == "forbidden"
        assert answer(w.call("notify", who, "events.read", {"after": 0, "limit": 5})) == "forbidden"
    for type_, data in (("notify.read", {"limit": 5}), ("notify.list", {})):
        assert answer(w.call("notify", s.dist_none, type_, data)) == "forbidden", type_
        # a district office as the principal of a city entry reads nothing there
        assert answer(w.call("notify", s.dist_a_city, type_, data)) == "forbidden", type_
    # B's own delivery is still unacknowledged by A's try
    assert answer(w.call("notify", s.dist_b, "notify.ack", {"deliveries": [b[0]["id"]]})) in ("ack", "result")


# --- the city office sees everything -----------------------------------------------------------

def test_the_city_office_sees_every_round_and_record(world):
    w, o = world, world.s.office
    for rnd in ROUNDS:
        assert ok(w.call("intake", o, "round.get", {"round": rnd}))["id"] == rnd
    for rnd, probs in w.problems.items():
        for pid in probs.values():
            assert ok(w.call("intake", o, "problem.get", {"problem": pid}))["round"] == rnd
        assert ok(w.call("rectify", o, "rectify.get", {"item": w.item[rnd]}))["round"] == rnd
        assert ok(w.call("rectify", o, "rectify.round", {"round": rnd}))["round"] == rnd
    for ref in w.ref_round:
        assert ok(w.call("referral", o, "referral.get", {"referral": ref}))["id"] == ref
    assert ok(w.call("referral", o, "referral.stats", {}))["leads"] == len(LEADS)
    assert ok(w.call("rectify", o, "rectify.stats", {}))["items"] == len(WORKED)
    for service in SERVICES:
        assert all("message" in e for e in w.events(service, o)), service
