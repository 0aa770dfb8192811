"""The source document's five years, driven through the real services by `xcctl simulate`.

From empty stores, `xcctl simulate --profile changzhou-5y` records five real years (2017-2021) as
the office recording from its paper records: every fact with the day it happened (occurred_on).
Afterwards every figure must be the profile's (config/profiles/changzhou-5y.json, the figures the
source publishes), for the whole and for the 2020 linked round, the year filter must split the
problems over the years, and every service's event chain must verify.

Two levels: each district has its own district office (role district), which opens, advances and
classifies its district's rounds. The city's 81 + 72 units and the districts' 379 units and 1036
villages are the figures of the rounds' owners: the services' stats asked with `owner` "city" and
"district" (and each district), not with unit levels. The profile's districts' own rules
(`policies`) run in the suite: a district's immediate items are due by its own span, its office
sees its leads as its discipline body allows.

The figures are the services' over the dates, not typed in: a small profile whose claims are a
quarter late gives an on-time rate of 75.00% because rectify computed the due dates the claims
fall after, and the test checks that against each closed item's own dates.
"""

import base64
import datetime
import json
import os
import re
import subprocess

import pytest

import xcwire
from conftest import REPO, Suite, key_file, running_suite
from conftest import profile_policies as conftest_profile_policies

XCCTL = os.path.join(REPO, "build", "bin", "xcctl")
PROFILE = os.path.join(REPO, "config", "profiles", "changzhou-5y.json")

SMALL = {
    "name": "small", "first_year": 2018, "last_year": 2020,
    "districts": [{"id": "DA", "name": "甲区"}, {"id": "DB", "name": "乙区"}],
    "city_units": {"main": 4, "extended": 2}, "district_units": 4, "villages": 6,
    "city_rounds": 2, "district_rounds": 2,
    "problems": 60, "leads": 10, "cases_filed": 4, "special_reports": 3, "reports_signed": 2,
    "feedback_items": 8, "on_time_percent": 75, "institutional_measures": 11, "department_measures": 3, "public_concerns_resolved": 2,
    "money_recovered_fen": 100, "money_written_off_fen": 50, "interviews": 2,
    "linked_round": {"id": "LR-S", "name": "联动巡察", "year": 2019, "category": "hazardous_chemicals",
                     "leads": 3, "immediate": 2, "cases_filed": 2, "sanctioned_people": 2, "detentions": 1,
                     "city_targets": 1},
    "lookback": {"id": "LB-S", "name": "回头看", "year": 2020, "towns": 1, "villages": 1},
}


def load_profile():
    with open(PROFILE, encoding="utf-8") as f:
        return json.load(f)


def make_suite(tmp_path, policies=None):
    s = Suite(str(tmp_path), ["intake", "referral", "rectify"], {"office": ("office", "office", {})}, policies)
    s.key = key_file(tmp_path, s.office)
    return s


def profile_policies():
    """The profile's policies of the services the suite runs: the district offices load their
    own records (history_roles), the districts' own rules."""
    return conftest_profile_policies("changzhou-5y", ["intake", "referral", "rectify"])


@pytest.fixture
def suite(tmp_path):
    yield from running_suite(make_suite(tmp_path, profile_policies()))


def xcctl(s, *args, timeout=60):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", s.key, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def office_of(s, district):
    """The district office simulate registered (its key beside the operator's): a Signer."""
    iss = "district-" + district.lower()
    with open(os.path.join(os.path.dirname(s.key), iss + ".jwk"), encoding="utf-8") as f:
        jwk = json.load(f)
    seed = base64.urlsafe_b64decode(jwk["d"] + "=" * (-len(jwk["d"]) % 4))
    return xcwire.Signer(iss, jwk["kid"], seed)


def call(s, service, type_, data, signer=None):
    """A signed call to the real service: the reply (its type and data)."""
    if not hasattr(s, "clients"):
        s.clients = {}
    if service not in s.clients:
        s.clients[service] = s.client(service)
    return s.clients[service].call(signer or s.office, type_, data)


def ok(reply):
    assert reply["type"] in ("ack", "result"), reply
    return reply["data"]["result"] if reply["type"] == "ack" else reply["data"]


def refused(reply):
    assert reply["type"] == "error", reply
    return reply["data"]["code"]


def stats(s, signer=None, **filters):
    """Every service's stats for the filters, from the services themselves."""
    return {svc: ok(call(s, svc, f"{svc}.stats", filters, signer)) for svc in ("intake", "referral", "rectify")}


def row_has(text, label, figure):
    """Whether a line of xcctl stats's report begins with label and shows figure (a whole number)."""
    return any(l.strip().startswith(label) and re.search(rf"(?<![0-9.]){re.escape(figure)}(?![0-9])", l)
               for l in text.splitlines())


def rate(n, of):
    return f"{100 * n / of:.2f}" if of else None


def values_of(doc, member):
    """Every value of member anywhere in doc."""
    if isinstance(doc, dict):
        return [v for k, v in doc.items() if k == member] + [x for v in doc.values() for x in values_of(v, member)]
    if isinstance(doc, list):
        return [x for v in doc for x in values_of(v, member)]
    return []


def days(a, b):
    return (datetime.date.fromisoformat(b) - datetime.date.fromisoformat(a)).days


def test_the_five_years_reproduce_every_published_figure(suite):
    profile = load_profile()
    districts = [d["id"] for d in profile["districts"]]
    run = xcctl(suite, "simulate", "--profile", "changzhou-5y", timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    print(run.stdout)                        # the run's duration, quoted in the README
    for d in profile["districts"]:           # each district's office, its key beside the operator's
        assert f"区县巡察办 {d['name']}: district-{d['id'].lower()}" in run.stdout, run.stdout

    got = stats(suite)
    intake, referral, rectify = got["intake"], got["referral"], got["rectify"]
    assert intake["problems"]["total"] == profile["problems"]
    assert referral["leads"] == profile["leads"]
    assert referral["cases_filed"] == profile["cases_filed"]
    assert referral["reports"] == profile["special_reports"]
    assert referral["reports_signed"] == profile["reports_signed"]
    # 完善制度机制: the units' own measures and the departments' on the special reports
    assert referral["institutional_measures"] == profile["department_measures"]
    assert rectify["institutional_measures"] + referral["institutional_measures"] == profile["institutional_measures"]
    assert rectify["public_concerns_resolved"] == profile["public_concerns_resolved"]
    assert rectify["money_recovered_fen"] == profile["money_recovered_fen"]
    assert rectify["money_written_off_fen"] == profile["money_written_off_fen"]
    assert rectify["interviews_held"] == rectify["interviews_recommended"] == profile["interviews"]
    # every claim before its due date: the source's 100%, over every item with a deadline
    on_time = rectify["on_time"]
    assert on_time["due"] == profile["feedback_items"], on_time
    assert on_time["rate"] == rate(on_time["closed_on_time"], on_time["due"]) == "100.00", on_time
    assert rectify["overdue_now"] == 0 and referral["overdue_now"] == 0
    # 回访 全覆盖: every target of every round, the rounds' units without items too
    linked = profile["linked_round"]
    targets = (profile["city_units"]["main"] + profile["city_units"]["extended"] + profile["district_units"]
               + profile["villages"] + linked["city_targets"] + len(districts) + profile["lookback"]["towns"]
               + profile["lookback"]["villages"])
    visits = rectify["revisits"]
    assert visits["due"] == visits["done"] == targets, visits
    assert visits["coverage"] == "100.00", visits

    # 市级 81 + 72 by the city's own rounds, 县级 379 units and 1036 villages by the districts'
    # rounds: the services asked by the rounds' owner
    own = stats(suite, owner="city")
    cover = own["intake"]["coverage"]
    assert cover["by_kind"]["regular"]["main"] == profile["city_units"]["main"], cover["by_kind"]
    assert cover["by_kind"]["regular"]["extended"] == profile["city_units"]["extended"], cover["by_kind"]
    # the city's 提级回头看 is the city's though its units are a district's towns and villages
    assert cover["by_kind_level"]["lookback"]["village"] == profile["lookback"]["villages"], cover["by_kind_level"]
    assert cover["by_kind_level"]["lookback"]["town"] == profile["lookback"]["towns"], cover["by_kind_level"]
    below = stats(suite, owner="district")
    cover = below["intake"]["coverage"]
    assert cover["units_by_kind"]["regular"] == profile["district_units"] + profile["villages"], cover
    assert cover["by_kind_level"]["regular"]["village"] == profile["villages"], cover["by_kind_level"]
    assert cover["by_kind_level"]["regular"]["town"] == profile["district_units"], cover["by_kind_level"]
    assert "regular" not in own["intake"]["coverage"]["by_kind_level"] or \
        "village" not in own["intake"]["coverage"]["by_kind_level"]["regular"]
    # the two levels add up to the whole, and the districts one by one to all districts
    for svc, figure in [("intake", lambda x: x["problems"]["total"]), ("referral", lambda x: x["leads"]),
                        ("rectify", lambda x: x["items"])]:
        assert figure(own[svc]) + figure(below[svc]) == figure(got[svc]), svc
        assert figure(own[svc]) > 0 and figure(below[svc]) > 0, svc
    each = {d: stats(suite, owner=d) for d in districts}
    assert sum(e["intake"]["coverage"]["units_by_kind"]["regular"] for e in each.values()) == \
        profile["district_units"] + profile["villages"]
    assert sum(e["intake"]["problems"]["total"] for e in each.values()) == below["intake"]["problems"]["total"]
    assert sum(e["rectify"]["items"] for e in each.values()) == below["rectify"]["items"]
    assert all(e["intake"]["problems"]["total"] > 0 for e in each.values()), each
    # each scope says what it counts (全市 / 市本级 / 各区县合计 / 某区县)
    assert any(k.startswith("owner") for k in below["intake"]["definitions"]), below["intake"]["definitions"]

    # a district office's own figures are the city's view of that district; another's it may not ask
    ly = office_of(suite, "LY")
    mine = ok(call(suite, "intake", "intake.stats", {}, ly))
    assert mine["problems"]["total"] == each["LY"]["intake"]["problems"]["total"]
    assert mine["coverage"]["units"] == each["LY"]["intake"]["coverage"]["units"]
    assert refused(call(suite, "intake", "intake.stats", {"owner": "WJ"}, ly)) == "forbidden"
    assert refused(call(suite, "intake", "intake.stats", {"owner": "city"}, ly)) == "forbidden"
    mine = ok(call(suite, "rectify", "rectify.stats", {}, ly))
    assert mine["items"] == each["LY"]["rectify"]["items"]

    # the 2020 linked round: the city's round and a round of every district linked to it; together
    # 42 leads, 60 立行立改, 34 立案, 4 people sanctioned, 3 留置
    city_round = ok(call(suite, "intake", "round.get", {"round": linked["id"]}))
    assert city_round["owner"]["level"] == "city" and city_round["link"] is None, city_round
    for d in districts:
        r = ok(call(suite, "intake", "round.get", {"round": f"{linked['id']}-{d}"}))
        assert r["owner"]["district"] == d and r["link"] == {"kind": "linked", "round": linked["id"]}, r
    one = stats(suite, mode="linked")
    assert one["referral"]["leads"] == linked["leads"]
    assert one["intake"]["problems"]["immediate"] == linked["immediate"]
    assert one["referral"]["cases_filed"] == linked["cases_filed"]
    assert one["referral"]["sanctioned_people"] == linked["sanctioned_people"]
    assert one["referral"]["detentions"] == linked["detentions"]
    city_part = stats(suite, round=linked["id"])
    district_part = stats(suite, owner="district", mode="linked")
    assert city_part["referral"]["leads"] + district_part["referral"]["leads"] == linked["leads"]
    assert city_part["referral"]["leads"] > 0 and district_part["referral"]["leads"] > 0
    assert city_part["intake"]["problems"]["immediate"] + district_part["intake"]["problems"]["immediate"] \
        == linked["immediate"]
    text = xcctl(suite, "stats", "--mode", "linked")
    assert text.returncode == 0, text.stderr
    for label, figure in [("移交问题线索", linked["leads"]), ("立行立改", linked["immediate"]),
                          ("立案", linked["cases_filed"]), ("党纪政务处分", linked["sanctioned_people"]),
                          ("留置", linked["detentions"])]:
        assert row_has(text.stdout, label, str(figure)), (label, figure, text.stdout)
    cat = stats(suite, category=linked["category"])
    assert cat["intake"]["problems"]["total"] == linked["leads"] + linked["immediate"]

    # a crossed round: the owner district's, opened by the city office, read by the district whose
    # team inspected; raised: the city's over a district's units, which that district does not see
    for crossed in profile["crossed"]:
        rid = f"DR-{crossed['district_round']:02d}"
        owner = districts[(crossed["district_round"] - 1) % len(districts)]
        r = ok(call(suite, "intake", "round.get", {"round": rid}, office_of(suite, crossed["by"])))
        assert r["owner"]["district"] == owner and r["link"] == {"kind": "crossed", "by": crossed["by"]}, r
        assert ok(call(suite, "intake", "round.get", {"round": rid}, office_of(suite, owner)))["id"] == rid
        other = next(d for d in districts if d not in (owner, crossed["by"]))
        assert refused(call(suite, "intake", "round.get", {"round": rid}, office_of(suite, other))) == "not_found"
    raised = ok(call(suite, "intake", "round.get", {"round": profile["lookback"]["id"]}))
    assert raised["link"] == {"kind": "raised", "district": districts[0]}, raised
    assert refused(call(suite, "intake", "round.get", {"round": profile["lookback"]["id"]}, ly)) == "not_found"

    # the districts' own rules: WJ's immediate items due in its own span (10 days), the city's in
    # the city's (15 days); each deadline says whose rules made it
    spans = {}
    for rid, source in [(f"{linked['id']}-WJ", "WJ"), (linked["id"], "city")]:
        items = ok(call(suite, "rectify", "rectify.list", {"round": rid}))["items"]
        assert items, rid
        for it in items:
            assert it["round_owner"] == source, it
            one_item = ok(call(suite, "rectify", "rectify.get", {"item": it["id"]}))
            assert set(values_of(one_item["deadlines"], "policy_source")) == {source}, one_item["deadlines"]
            spans.setdefault(source, set()).add(days(one_item["opened_on"], one_item["due"]))
    # 10 and 15 days, a period ending on a day off ending on the next working day (period_end)
    assert spans.keys() == {"WJ", "city"} and all(10 <= n < 15 for n in spans["WJ"]), spans
    assert all(15 <= n <= 18 for n in spans["city"]), spans
    # the districts' items reviewed by their own office, the city's by the city office
    item = ok(call(suite, "rectify", "rectify.list", {"round": f"{linked['id']}-WJ"}))["items"][0]
    history = ok(call(suite, "rectify", "rectify.get", {"item": item["id"]}))["history"]
    assert [h["by"] for h in history if h["action"] == "closed"] == ["district-wj"], \
        history
    ly_rounds = {f"DR-{k + 1:02d}" for k in range(profile["district_rounds"]) if k % len(districts) == 0}
    # what each district office sees of its leads: LY's body gives it all, WJ's the state, JT's nothing
    leads = ok(call(suite, "referral", "referral.list", {"kind": "lead"}, ly))["items"]
    assert leads and all(r["round"].endswith("-LY") or r["round"] in ly_rounds for r in leads), leads[:3]
    whole = ok(call(suite, "referral", "referral.get", {"referral": leads[0]["id"]}, ly))
    assert whole["id"] == leads[0]["id"] and whole.get("summary", whole.get("title")), whole
    wj = office_of(suite, "WJ")
    rows = ok(call(suite, "referral", "referral.list", {"kind": "lead"}, wj))["items"]
    assert rows and all("summary" not in r and "title" not in r for r in rows), rows[:2]
    assert ok(call(suite, "referral", "referral.stats", {}, wj))["leads"] == each["WJ"]["referral"]["leads"]
    jt = office_of(suite, "JT")
    assert refused(call(suite, "referral", "referral.stats", {}, jt)) == "forbidden"

    # the dates spread the problems over the five years, each counted once
    per_year = {y: stats(suite, year=y)["intake"]["problems"]["total"]
                for y in range(profile["first_year"], profile["last_year"] + 1)}
    assert sum(per_year.values()) == profile["problems"], per_year
    assert all(n > 0 for n in per_year.values()), per_year
    assert stats(suite, year=2016)["intake"]["problems"]["total"] == 0

    # what a person reads: the same figures in the document's words
    text = xcctl(suite, "stats")
    assert text.returncode == 0
    for line, figure in [("发现问题", "20459"), ("移交问题线索", "1200"), ("立案", "480"), ("专题报告", "163"),
                         ("完善制度机制", "5741"), ("解决群众关切问题", "295"), ("清缴/核销", "9657万元 / 1261万元"),
                         ("整改按期报结率", "100.00%")]:
        assert row_has(text.stdout, line, figure), (line, figure, text.stdout)

    # tens of thousands of events, every link and signature holding
    audit = xcctl(suite, "audit", "verify", timeout=300)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert audit.stdout.count(" ok") == 3, audit.stdout

    # a second run would double the figures: refused
    again = xcctl(suite, "simulate", "--profile", "changzhou-5y")
    assert again.returncode == 4 and "empty stores" in again.stderr


def test_the_on_time_rate_is_what_the_claim_dates_make_it(suite, tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SMALL, ensure_ascii=False), encoding="utf-8")
    run = xcctl(suite, "simulate", "--profile", str(path), timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr

    # each closed item's claim date against its due date, as rectify keeps them
    items = json.loads(xcctl(suite, "--json", "rectify", "list", "--limit", "500").stdout)
    items = items["items"] if isinstance(items, dict) else items
    assert len(items) == SMALL["feedback_items"], items
    late, owners = 0, set()
    for it in items:
        one = json.loads(xcctl(suite, "--json", "rectify", "get", "--item", str(it["id"])).stdout)
        assert one["state"] == "closed", one
        claims = [h for h in one["history"] if h.get("action") in ("claim", "claimed")]
        assert claims, one["history"]
        claimed_on = claims[-1].get("occurred_on")
        assert claimed_on, claims[-1]
        # the unit's claim, recorded by the office from its records
        assert claims[-1]["by"] == "office" and claims[-1]["recorded_from_history"] is True, claims[-1]
        late += claimed_on > one["due"]
        # accepted by the office of the round's owner: a district's own office, or the city's
        reviews = [h["by"] for h in one["history"] if h.get("action") == "closed"]
        want = "office" if one["round_owner"] == "city" else "district-" + one["round_owner"].lower()
        assert reviews == [want], (one["round_owner"], one["history"])
        owners.add(one["round_owner"])
    assert late == 2, items                  # a quarter of 8, by the profile
    assert "city" in owners and owners & {"DA", "DB"}, owners
    got = stats(suite)["rectify"]
    assert got["on_time"]["due"] == 8 and got["on_time"]["closed_on_time"] == 6, got["on_time"]
    assert got["on_time"]["rate"] == "75.00"
    assert got["overdue_now"] == 0
    # the dates are the years': nothing happened today
    assert stats(suite, year=2018)["intake"]["problems"]["total"] > 0


def test_a_profile_that_cannot_be_simulated_is_refused_before_anything_is_sent(suite, tmp_path):
    for broken, said in [({k: v for k, v in SMALL.items() if k != "districts"}, "districts"),
                         ({**SMALL, "leads": SMALL["problems"] + 1}, "do not fit together"),
                         ({**SMALL, "last_year": 2016}, "first_year"),
                         ({**SMALL, "crossed": [{"district_round": 1, "by": "DA"}]}, "crossed[0]"),
                         ({**SMALL, "districts": [{"id": "DA", "name": "甲区"}, {"id": "DA", "name": "乙区"}]},
                          "districts[1]")]:
        path = tmp_path / "broken.json"
        path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
        run = xcctl(suite, "simulate", "--profile", str(path))
        assert run.returncode == 4 and said in run.stderr, (broken, run.stderr)
    units = json.loads(xcctl(suite, "--json", "unit", "list").stdout)
    assert (units["items"] if isinstance(units, dict) else units) == [], units
