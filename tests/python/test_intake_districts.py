"""District offices in intake (issue 20), over the wire against a real xc-intake.

Two districts, 云溪区 (D-A) and 青山区 (D-B), each with its office (role district, scope
{"district": ...}), beside the city office. Every rule of docs/services/intake.md, "District
offices", from both sides: what a district office does and reads in its district, and what it
is refused (forbidden), not told (not_found) or not shown (filtered) of the other district's
and the city's units, rounds, problems and figures; the crossed round its teams inspect, which
it reads and cannot act on; the city office, which sees all.
"""

import pytest

import xcwire
from conftest import Suite, running_suite

PRINCIPALS = {
    "office": ("office", "office", {}),
    "dist_a": ("yunxi-office", "district", {"district": "D-A"}),
    "dist_b": ("qingshan-office", "district", {"district": "D-B"}),
    "dist_none": ("nowhere-office", "district", {}),
    "team": ("team-1", "team", {}),
    "petition": ("petition-bureau", "petition", {}),
    "svc": ("rectify", "service", {}),
}
UNITS = [("D-A", "云溪区", "district", None), ("D-B", "青山区", "district", None),
         ("C-1", "市财政局", "city_department", None),
         ("A-T", "云溪区青石镇", "town", "D-A"), ("A-V", "青石镇东村", "village", "A-T"),
         ("B-T", "青山区白沙镇", "town", "D-B"), ("B-V", "白沙镇西村", "village", "B-T")]
REPORTER = {"name": "欧阳明月", "contact": "13912345678"}


@pytest.fixture
def s(tmp_path):
    suite = Suite(str(tmp_path), ["intake"], PRINCIPALS)
    yield from running_suite(suite)


def ack(reply):
    assert reply["type"] == "ack", reply
    return reply["data"]["result"]


def result(reply):
    assert reply["type"] == "result", reply
    return reply["data"]


def refused(reply, code, *words):
    assert reply["type"] == "error", reply
    assert reply["data"]["code"] == code, reply
    for w in words:
        assert w in reply["data"]["message"], (w, reply)


def rnd(rid, targets, **extra):
    data = {"id": rid, "name": f"轮次{rid}", "kind": "regular", "team": "team-1",
            "targets": [{"unit": u, "coverage": "main"} for u in targets],
            "planned_start": "2024-03-01", "planned_end": "2024-05-31", "date": "2024-02-20"}
    data.update(extra)
    return data


def report(c, s, unit, round_=None, **extra):
    """A problem loaded from paper by the city office (any source, with its date): its id."""
    data = {"unit": unit, "category": "four_styles", "summary": f"{unit}问题",
            "detail": "公车私用", "severity": "serious", "source": "petition",
            "occurred_on": "2024-03-10"}
    if round_:
        data["round"] = round_
    data.update(extra)
    return ack(c.call(s.office, "problem.report", data))["problem"]


def everything(s, all_pages_of=None):
    """A world: the units, the rounds of both levels, a problem in each: {name: problem id}."""
    c = s.client("intake")
    for uid, name, level, parent in UNITS:
        data = {"id": uid, "name": name, "level": level}
        if parent:
            data["parent"] = parent
        ack(c.call(s.office, "unit.register", data))
    ack(c.call(s.office, "round.open", rnd("R-CITY", ["C-1", "A-T"])))
    ack(c.call(s.office, "round.open", rnd("R-RAISED", ["A-V"], link={"kind": "raised", "district": "D-A"})))
    ack(c.call(s.dist_a, "round.open", rnd("R-A", ["A-T", "A-V"], link={"kind": "linked", "round": "R-CITY"})))
    ack(c.call(s.dist_b, "round.open", rnd("R-B", ["B-T"])))
    ack(c.call(s.office, "round.open", rnd("R-X", ["B-V"], owner="D-B", link={"kind": "crossed", "by": "D-A"})))
    p = {"city": report(c, s, "C-1", "R-CITY"), "raised": report(c, s, "A-V", "R-RAISED"),
         "a": report(c, s, "A-T", "R-A", reporter=REPORTER), "a2": report(c, s, "A-V", "R-A"),
         "b": report(c, s, "B-T", "R-B"), "x": report(c, s, "B-V", "R-X"),
         "none": report(c, s, "A-T")}
    return c, p


def event_data(s, c):
    """Every event of intake, as the city office reads it: [(type, data)], signatures checked."""
    events = result(c.call(s.office, "events.read", {"after": 0, "limit": 500}))["events"]
    out = []
    for e in events:
        _, body = xcwire.open_message(e["message"].encode("utf-8"), s.registry, event=True)
        out.append((e["type"], body["data"]))
    return out


def ids(page, key="id"):
    assert page["next"] is None, page
    return {item[key] for item in page["items"]}


# --- units -----------------------------------------------------------------------------------

def test_a_district_office_registers_and_changes_its_own_units_only(s):
    c, _ = everything(s)
    # its district's: a new town's village, a rename, a split, a merge
    assert ack(c.call(s.dist_a, "unit.register", {"id": "A-V2", "name": "青石镇南村", "level": "village",
                                                   "parent": "A-T"})) == {"unit": "A-V2"}
    ack(c.call(s.dist_a, "unit.rename", {"unit": "A-V2", "name": "青石镇南湾村"}))
    ack(c.call(s.dist_a, "unit.split", {"unit": "A-V2", "successor": "A-V3", "into": [
        {"id": "A-V3", "name": "南湾一村", "level": "village", "parent": "A-T"},
        {"id": "A-V4", "name": "南湾二村", "level": "village", "parent": "A-T"}]}))
    ack(c.call(s.dist_a, "unit.merge", {"from": ["A-V4", "A-V"], "into": {"id": "A-V3"}}))
    got = result(c.call(s.office, "unit.get", {"unit": "A-V4"}))
    assert got["status"] == "merged" and got["successor"] == "A-V3"
    assert result(c.call(s.dist_a, "unit.get", {"unit": "A-V3"}))["parent"] == "A-T"

    # another district's, the city's, or levels that are the city office's
    refused(c.call(s.dist_a, "unit.register", {"id": "B-V9", "name": "白沙镇北村", "level": "village",
                                               "parent": "B-T"}), "forbidden", "B-T", "D-A")
    refused(c.call(s.dist_a, "unit.register", {"id": "X-1", "name": "无上级", "level": "town"}),
            "forbidden", "parent")
    refused(c.call(s.dist_a, "unit.register", {"id": "D-C", "name": "新区", "level": "district",
                                               "parent": "D-A"}), "forbidden", "district")
    refused(c.call(s.dist_a, "unit.register", {"id": "C-9", "name": "市某局", "level": "city_department",
                                               "parent": "D-A"}), "forbidden", "city_department")
    refused(c.call(s.dist_a, "unit.rename", {"unit": "B-T", "name": "改名"}), "forbidden", "B-T")
    refused(c.call(s.dist_a, "unit.rename", {"unit": "C-1", "name": "改名"}), "forbidden", "C-1")
    refused(c.call(s.dist_a, "unit.split", {"unit": "B-V", "successor": "B-V7", "into": [
        {"id": "B-V7", "name": "一", "level": "village", "parent": "B-T"},
        {"id": "B-V8", "name": "二", "level": "village", "parent": "B-T"}]}), "forbidden", "B-V")
    refused(c.call(s.dist_a, "unit.split", {"unit": "A-V3", "successor": "A-V7", "into": [
        {"id": "A-V7", "name": "一", "level": "village", "parent": "A-T"},
        {"id": "A-V8", "name": "二", "level": "village", "parent": "B-T"}]}), "forbidden", "B-T")
    refused(c.call(s.dist_a, "unit.merge", {"from": ["A-V3", "B-V"], "into": {"id": "A-T"}}),
            "forbidden", "B-V")
    refused(c.call(s.dist_a, "unit.merge", {"from": ["A-T", "A-V3"], "into": {"id": "B-T"}}),
            "forbidden", "B-T")
    refused(c.call(s.dist_a, "unit.merge", {"from": ["A-T", "A-V3"],
                                            "into": {"id": "N-1", "name": "新村", "level": "village"}}),
            "forbidden", "parent")
    # nothing of it was stored
    for uid in ("B-V9", "X-1", "D-C", "C-9", "B-V7", "A-V7", "N-1"):
        refused(c.call(s.office, "unit.get", {"unit": uid}), "not_found")
    assert result(c.call(s.office, "unit.get", {"unit": "B-T"}))["name"] == "青山区白沙镇"
    assert result(c.call(s.office, "unit.get", {"unit": "A-V3"}))["status"] == "active"
    assert result(c.call(s.office, "unit.get", {"unit": "A-T"}))["status"] == "active"
    # an unknown unit is not_found, as for the city office
    refused(c.call(s.dist_a, "unit.rename", {"unit": "NOSUCH", "name": "x"}), "not_found")
    # the city office still registers anywhere
    ack(c.call(s.office, "unit.register", {"id": "B-V9", "name": "白沙镇北村", "level": "village",
                                           "parent": "B-T"}))


def test_a_district_office_reads_its_units_and_its_crossed_rounds_targets(s):
    c, _ = everything(s)
    # D-A: its own, and B-V, the target of the crossed round R-X its teams inspect
    mine = ids(result(c.call(s.dist_a, "unit.list", {})))
    assert mine == {"D-A", "A-T", "A-V", "B-V"}
    assert ids(result(c.call(s.dist_a, "unit.list", {"level": "village"}))) == {"A-V", "B-V"}
    assert ids(result(c.call(s.dist_a, "unit.list", {"parent": "B-T"}))) == {"B-V"}
    assert result(c.call(s.dist_a, "unit.get", {"unit": "B-V"}))["name"] == "白沙镇西村"
    for other in ("B-T", "D-B", "C-1"):
        refused(c.call(s.dist_a, "unit.get", {"unit": other}), "not_found", other)
    # D-B: its own only (it inspects no one else's)
    assert ids(result(c.call(s.dist_b, "unit.list", {}))) == {"D-B", "B-T", "B-V"}
    refused(c.call(s.dist_b, "unit.get", {"unit": "A-T"}), "not_found")
    # paging over its own list goes to the end with nothing else in it
    page, seen = result(c.call(s.dist_a, "unit.list", {"limit": 1})), []
    while True:
        seen += [u["id"] for u in page["items"]]
        if page["next"] is None:
            break
        page = result(c.call(s.dist_a, "unit.list", {"limit": 1, "after": page["next"]}))
    assert sorted(seen) == sorted(mine)
    # the city office and the services see every unit
    everyone = {u[0] for u in UNITS}
    assert ids(result(c.call(s.office, "unit.list", {}))) == everyone
    assert ids(result(c.call(s.svc, "unit.list", {}))) == everyone


# --- rounds ----------------------------------------------------------------------------------

def test_a_district_office_opens_its_own_rounds(s):
    c, _ = everything(s)
    got = result(c.call(s.dist_a, "round.get", {"round": "R-A"}))
    assert got["owner"] == {"level": "district", "district": "D-A", "organ": "云溪区委巡察办"}
    assert got["link"] == {"kind": "linked", "round": "R-CITY"}
    ack(c.call(s.dist_a, "round.open", rnd("R-A2", ["A-V"], owner="D-A")))
    assert result(c.call(s.office, "round.get", {"round": "R-A2"}))["link"] is None

    refused(c.call(s.dist_a, "round.open", rnd("R-N1", ["A-T"], owner="D-B")), "forbidden", "D-B")
    refused(c.call(s.dist_a, "round.open", rnd("R-N2", ["A-T"], owner="city")), "forbidden")
    refused(c.call(s.dist_a, "round.open", rnd("R-N3", ["A-T", "B-T"])), "forbidden", "B-T")
    refused(c.call(s.dist_a, "round.open", rnd("R-N4", ["C-1"])), "forbidden", "C-1")
    # the crossed round D-A's teams inspect is not one of its units
    refused(c.call(s.dist_a, "round.open", rnd("R-N5", ["B-V"])), "forbidden", "B-V")
    refused(c.call(s.dist_a, "round.open", rnd("R-N6", ["A-T"], link={"kind": "crossed", "by": "D-B"})),
            "forbidden", "交叉")
    refused(c.call(s.dist_a, "round.open", rnd("R-N7", ["A-T"], link={"kind": "raised", "district": "D-A"})),
            "schema", "city")
    refused(c.call(s.dist_a, "round.open", rnd("R-N8", ["A-T"], link={"kind": "linked", "round": "R-B"})),
            "schema", "R-B")
    refused(c.call(s.dist_a, "round.open", rnd("R-N9", ["A-T"], link={"kind": "linked", "round": "NOSUCH"})),
            "not_found", "NOSUCH")
    # a look-back of a round it does not see: not told it exists
    refused(c.call(s.dist_a, "round.open", rnd("R-NA", ["A-T"], kind="lookback", prior_round="R-CITY")),
            "not_found", "R-CITY")
    ack(c.call(s.dist_a, "round.open", rnd("R-LB", ["A-T"], kind="lookback", prior_round="R-A")))
    for rid in ("R-N1", "R-N2", "R-N3", "R-N4", "R-N5", "R-N6", "R-N7", "R-N8", "R-N9", "R-NA"):
        refused(c.call(s.office, "round.get", {"round": rid}), "not_found")


def test_round_links_are_checked_for_the_city_office(s):
    c, _ = everything(s)
    x = result(c.call(s.office, "round.get", {"round": "R-X"}))
    assert x["link"] == {"kind": "crossed", "by": "D-A"} and x["owner"]["district"] == "D-B"
    assert result(c.call(s.office, "round.get", {"round": "R-RAISED"}))["link"] == \
        {"kind": "raised", "district": "D-A"}
    ack(c.call(s.office, "round.open", rnd("R-NULL", ["C-1"], link=None)))
    assert result(c.call(s.office, "round.get", {"round": "R-NULL"}))["link"] is None
    bad = [
        (rnd("L1", ["B-T"], owner="D-B", link={"kind": "crossed", "by": "D-B"}), "schema", "D-B"),
        (rnd("L2", ["B-T"], link={"kind": "crossed", "by": "D-A"}), "schema", "city"),
        (rnd("L3", ["A-T"], owner="D-B", link={"kind": "crossed", "by": "D-A"}), "schema", "A-T"),
        (rnd("L4", ["B-T"], owner="D-B", link={"kind": "crossed", "by": "A-T"}), "schema", "A-T"),
        (rnd("L5", ["B-T"], owner="D-B", link={"kind": "crossed", "by": "NOSUCH"}), "not_found", "NOSUCH"),
        (rnd("L6", ["A-T", "B-T"], link={"kind": "raised", "district": "D-A"}), "schema", "B-T"),
        (rnd("L7", ["A-T"], owner="D-A", link={"kind": "raised", "district": "D-A"}), "schema", "D-A"),
        (rnd("L8", ["A-T"], link={"kind": "raised", "district": "NOSUCH"}), "not_found", "NOSUCH"),
        (rnd("L9", ["A-T"], link={"kind": "linked", "round": "R-CITY"}), "schema", "city"),
        (rnd("LA", ["A-T"], owner="D-A", link={"kind": "linked", "round": "R-B"}), "schema", "R-B"),
        (rnd("LB", ["A-T"], owner="D-A", link={"kind": "linked", "by": "D-A"}), "schema", "round"),
        (rnd("LC", ["A-T"], owner="D-A", link={"kind": "linked", "round": "R-CITY", "by": "D-B"}),
         "schema", "by"),
        (rnd("LD", ["A-T"], owner="D-A", link={"kind": "joint", "round": "R-CITY"}), "schema", "kind"),
        (rnd("LE", ["A-T"], owner="D-A", link="R-CITY"), "schema", "link"),
        (rnd("LF", ["A-T"], owner="D-A", link={"kind": "linked", "round": "R-CITY", "note": "x"}),
         "schema", "note"),
    ]
    for data, code, word in bad:
        refused(c.call(s.office, "round.open", data), code, word)
        refused(c.call(s.office, "round.get", {"round": data["id"]}), "not_found")


def test_a_district_office_reads_and_advances_rounds_by_owner_and_crossing(s):
    c, _ = everything(s)
    assert ids(result(c.call(s.dist_a, "round.list", {}))) == {"R-A", "R-X"}
    assert ids(result(c.call(s.dist_b, "round.list", {}))) == {"R-B", "R-X"}
    assert ids(result(c.call(s.dist_a, "round.list", {"kind": "regular", "stage": "planned"}))) == {"R-A", "R-X"}
    assert ids(result(c.call(s.office, "round.list", {}))) == {"R-CITY", "R-RAISED", "R-A", "R-B", "R-X"}
    assert result(c.call(s.dist_a, "round.get", {"round": "R-X"}))["targets"] == \
        [{"unit": "B-V", "coverage": "main"}]
    for rid in ("R-CITY", "R-RAISED", "R-B"):
        refused(c.call(s.dist_a, "round.get", {"round": rid}), "not_found", rid)
    refused(c.call(s.dist_b, "round.get", {"round": "R-A"}), "not_found")

    ack(c.call(s.dist_a, "round.advance", {"round": "R-A", "stage": "stationed", "date": "2024-03-01"}))
    ack(c.call(s.dist_b, "round.advance", {"round": "R-X", "stage": "stationed", "date": "2024-03-01"}))
    for rid in ("R-X", "R-B", "R-CITY", "R-RAISED"):
        refused(c.call(s.dist_a, "round.advance", {"round": rid, "stage": "withdrawn", "date": "2024-04-01"}),
                "forbidden", rid)
    refused(c.call(s.dist_a, "round.advance", {"round": "NOSUCH", "stage": "stationed", "date": "2024-03-01"}),
            "not_found")
    assert result(c.call(s.office, "round.get", {"round": "R-X"}))["stage"] == "stationed"
    assert result(c.call(s.office, "round.get", {"round": "R-B"}))["stage"] == "planned"
    assert result(c.call(s.office, "round.get", {"round": "R-CITY"}))["stage"] == "planned"


# --- problems --------------------------------------------------------------------------------

def test_a_district_office_reads_the_problems_of_its_rounds(s):
    c, p = everything(s)
    assert ids(result(c.call(s.dist_a, "problem.list", {}))) == {p["a"], p["a2"], p["x"]}
    assert ids(result(c.call(s.dist_b, "problem.list", {}))) == {p["b"], p["x"]}
    assert ids(result(c.call(s.dist_a, "problem.list", {"round": "R-B"}))) == set()
    assert ids(result(c.call(s.dist_a, "problem.list", {"unit": "A-T"}))) == {p["a"]}
    assert ids(result(c.call(s.dist_a, "problem.list", {"category": "governance"}))) == {p["a"], p["a2"], p["x"]}
    assert ids(result(c.call(s.office, "problem.list", {}))) == set(p.values())

    got = result(c.call(s.dist_a, "problem.get", {"problem": p["a"]}))
    assert got["round"] == "R-A" and got["has_reporter"] is True
    assert "reporter" not in got          # the reporter is the city office's only
    assert result(c.call(s.office, "problem.get", {"problem": p["a"]}))["reporter"] == REPORTER
    assert result(c.call(s.dist_a, "problem.get", {"problem": p["x"]}))["round"] == "R-X"
    for name in ("city", "raised", "b", "none"):
        refused(c.call(s.dist_a, "problem.get", {"problem": p[name]}), "not_found")
    for name in ("city", "raised", "a", "a2", "none"):
        refused(c.call(s.dist_b, "problem.get", {"problem": p[name]}), "not_found")


def test_a_district_office_classifies_and_merges_its_own_rounds_problems(s):
    c, p = everything(s)
    lead = [{"kind": "lead", "body": "discipline-commission"}]
    ack(c.call(s.dist_a, "problem.merge", {"into": p["a"], "from": [p["a2"]]}))
    ack(c.call(s.dist_a, "problem.classify", {"problem": p["a"], "dispositions": lead}))
    # it classified it: it sees the lead
    got = result(c.call(s.dist_a, "problem.get", {"problem": p["a"]}))
    assert got["status"] == "classified" and got["dispositions"] == lead
    assert len(got["sources"]) == 2

    # the crossed round's problem: the owner classifies; D-A reads it, without the lead
    refused(c.call(s.dist_a, "problem.classify", {"problem": p["x"], "dispositions": lead}), "forbidden", "R-X")
    ack(c.call(s.dist_b, "problem.classify", {"problem": p["x"], "dispositions": lead + [
        {"kind": "feedback", "timeliness": "deadline"}]}))
    assert [d["kind"] for d in result(c.call(s.dist_b, "problem.get", {"problem": p["x"]}))["dispositions"]] \
        == ["feedback", "lead"]
    assert [d["kind"] for d in result(c.call(s.dist_a, "problem.get", {"problem": p["x"]}))["dispositions"]] \
        == ["feedback"]

    fb = [{"kind": "feedback", "timeliness": "immediate"}]
    for name, word in (("b", "R-B"), ("city", "R-CITY"), ("raised", "R-RAISED"), ("none", "no round")):
        refused(c.call(s.dist_a, "problem.classify", {"problem": p[name], "dispositions": fb}), "forbidden", word)
        assert result(c.call(s.office, "problem.get", {"problem": p[name]}))["status"] == "recorded"
    extra = report(c, s, "A-T", "R-A")
    refused(c.call(s.dist_a, "problem.merge", {"into": extra, "from": [p["b"]]}), "forbidden", "R-B")
    refused(c.call(s.dist_a, "problem.merge", {"into": p["b"], "from": [extra]}), "forbidden", "R-B")
    refused(c.call(s.dist_a, "problem.merge", {"into": extra, "from": [p["x"]]}), "forbidden", "R-X")
    assert result(c.call(s.office, "problem.get", {"problem": p["b"]}))["status"] == "recorded"
    refused(c.call(s.dist_a, "problem.classify", {"problem": 999999, "dispositions": fb}), "not_found")
    # the city office classifies any
    ack(c.call(s.office, "problem.classify", {"problem": p["b"], "dispositions": fb}))


# --- figures ---------------------------------------------------------------------------------

def test_a_district_office_counts_its_own_rounds_only(s):
    c, p = everything(s)
    mine = result(c.call(s.dist_a, "intake.stats", {}))
    assert mine["problems"]["total"] == 2 and mine["problems"]["by_round"] == {"R-A": 2}
    assert mine["filters"] == {"owner": "D-A"}
    assert mine["coverage"]["units"] == 2
    assert mine["definitions"]["owner"].startswith("云溪区：") and "{district}" not in mine["definitions"]["owner"]
    assert result(c.call(s.dist_a, "intake.stats", {"owner": "D-A"}))["problems"] == mine["problems"]
    assert result(c.call(s.dist_a, "intake.stats", {"round": "R-A"}))["problems"]["total"] == 2
    for owner in ("D-B", "city", "district"):
        refused(c.call(s.dist_a, "intake.stats", {"owner": owner}), "forbidden", owner)
    for rid in ("R-X", "R-B", "R-CITY"):
        refused(c.call(s.dist_a, "intake.stats", {"round": rid}), "not_found", rid)
    b = result(c.call(s.dist_b, "intake.stats", {}))
    assert b["problems"]["by_round"] == {"R-B": 1, "R-X": 1}
    assert b["definitions"]["owner"].startswith("青山区：")
    # leads count a district's own only
    ack(c.call(s.dist_b, "problem.classify", {"problem": p["b"],
                                              "dispositions": [{"kind": "lead", "body": "jw"}]}))
    assert result(c.call(s.dist_b, "intake.stats", {}))["problems"]["leads"] == 1
    assert result(c.call(s.dist_a, "intake.stats", {}))["problems"]["leads"] == 0

    # the city office: the four scopes, each with its sentence
    words = {None: "全市", "city": "市本级", "district": "各区县合计", "D-B": "青山区"}
    totals = {None: 7, "city": 2, "district": 4, "D-B": 2}
    for owner, word in words.items():
        r = result(c.call(s.office, "intake.stats", {"owner": owner} if owner else {}))
        assert r["definitions"]["owner"].startswith(word + "："), r["definitions"]
        assert r["problems"]["total"] == totals[owner], (owner, r["problems"])
        assert not any(k.startswith("owner.") for k in r["definitions"])


# --- events, reports, a district office without a district ------------------------------------

def test_events_carry_the_link_and_district_offices_read_no_events(s):
    c, p = everything(s)
    events = event_data(s, c)
    opened = {d["round"]["id"]: d["round"] for t, d in events if t == "round.opened"}
    assert opened["R-X"]["link"] == {"kind": "crossed", "by": "D-A"}
    assert opened["R-A"]["link"] == {"kind": "linked", "round": "R-CITY"}
    assert opened["R-CITY"]["link"] is None
    recorded = {d["problem"]["id"]: d for t, d in events if t == "problem.recorded"}
    assert recorded[p["x"]]["round_link"] == {"kind": "crossed", "by": "D-A"}
    assert recorded[p["x"]]["round_owner"]["district"] == "D-B"
    assert recorded[p["raised"]]["round_link"] == {"kind": "raised", "district": "D-A"}
    assert recorded[p["city"]]["round_link"] is None
    assert recorded[p["none"]]["round_link"] is None and recorded[p["none"]]["round_owner"] is None
    ack(c.call(s.dist_b, "problem.classify", {"problem": p["x"], "dispositions": [
        {"kind": "feedback", "timeliness": "immediate"}]}))
    fed = [d for t, d in event_data(s, c) if t == "problem.fed_back"]
    assert fed and fed[-1]["round_link"] == {"kind": "crossed", "by": "D-A"}

    refused(c.call(s.dist_a, "events.read", {"after": 0}), "forbidden")
    refused(c.call(s.dist_a, "problem.report", {"unit": "A-T", "category": "four_styles", "summary": "x",
                                                "detail": "x", "severity": "serious", "source": "petition"}),
            "forbidden")


def test_a_district_office_whose_scope_names_no_district_may_do_nothing(s):
    c, _ = everything(s)
    for t, data in (("unit.list", {}), ("unit.get", {"unit": "A-T"}), ("round.list", {}),
                    ("round.get", {"round": "R-A"}), ("problem.list", {}), ("intake.stats", {}),
                    ("unit.register", {"id": "Z", "name": "z", "level": "village", "parent": "A-T"}),
                    ("round.open", rnd("R-Z", ["A-T"]))):
        refused(c.call(s.dist_none, t, data), "forbidden", "nowhere-office")
    refused(c.call(s.office, "unit.get", {"unit": "Z"}), "not_found")
