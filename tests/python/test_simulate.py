"""The source document's five years, driven through the real services by `xcctl simulate`.

From empty stores, `xcctl simulate --profile changzhou-5y` records five real years (2017-2021) as
the office recording from its paper records: every fact with the day it happened (occurred_on).
Afterwards every figure of `xcctl stats` must be the profile's (config/profiles/changzhou-5y.json,
the figures the source publishes), for the whole and for the 2020 linked round, the year filter
must split the problems over the years, and every service's event chain must verify.

The figures are the services' over the dates, not typed in: a small profile whose claims are a
quarter late gives an on-time rate of 75.00% because rectify computed the due dates the claims
fall after, and the test checks that against each closed item's own dates.
"""

import json
import os
import subprocess

import pytest

from conftest import REPO, Suite, key_file, running_suite

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
                     "leads": 3, "immediate": 2, "cases_filed": 2, "sanctioned_people": 2, "detentions": 1},
    "lookback": {"id": "LB-S", "name": "回头看", "year": 2020, "towns": 1, "villages": 1},
}


@pytest.fixture
def suite(tmp_path):
    s = Suite(str(tmp_path), ["intake", "referral", "rectify"], {"office": ("office", "office", {})})
    s.key = key_file(tmp_path, s.office)
    yield from running_suite(s)


def xcctl(s, *args, timeout=60):
    return subprocess.run([XCCTL, "--config", s.config_path, "--key", s.key, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def stats(s, *filters):
    r = xcctl(s, "--json", "stats", *filters)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def row_has(text, label, figure):
    """Whether a line of xcctl stats's report begins with label and shows figure (a whole number)."""
    import re
    return any(l.strip().startswith(label) and re.search(rf"(?<![0-9.]){re.escape(figure)}(?![0-9])", l)
               for l in text.splitlines())


def rate(n, of):
    return f"{100 * n / of:.2f}" if of else None


def test_the_five_years_reproduce_every_published_figure(suite):
    with open(PROFILE, encoding="utf-8") as f:
        profile = json.load(f)
    run = xcctl(suite, "simulate", "--profile", "changzhou-5y", timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    print(run.stdout)                        # the run's duration, quoted in the README

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
    targets = (profile["city_units"]["main"] + profile["city_units"]["extended"] + profile["district_units"]
               + profile["villages"] + len(profile["districts"]) + profile["lookback"]["towns"]
               + profile["lookback"]["villages"])
    visits = rectify["revisits"]
    assert visits["due"] == visits["done"] == targets, visits
    assert visits["coverage"] == "100.00", visits
    # 市级 by the city's regular rounds, 县级 by the districts' (the rounds' owner, not the unit's level)
    owners = intake["coverage"]["by_owner"]
    assert owners["city"]["by_kind"]["regular"]["main"] == profile["city_units"]["main"]
    assert owners["city"]["by_kind"]["regular"]["extended"] == profile["city_units"]["extended"]
    assert owners["district"]["units_by_kind"]["regular"] == profile["district_units"] + profile["villages"]
    assert owners["district"]["by_kind_level"]["regular"]["village"] == profile["villages"], owners["district"]

    # the 2020 linked round: 42 leads, 60 立行立改, 34 立案, 4 people sanctioned, 3 留置
    linked = profile["linked_round"]
    one = stats(suite, "--round", linked["id"])
    assert one["referral"]["leads"] == linked["leads"]
    assert one["intake"]["problems"]["immediate"] == linked["immediate"]
    assert one["referral"]["cases_filed"] == linked["cases_filed"]
    assert one["referral"]["sanctioned_people"] == linked["sanctioned_people"]
    assert one["referral"]["detentions"] == linked["detentions"]
    text = xcctl(suite, "stats", "--round", linked["id"])
    assert text.returncode == 0, text.stderr
    for label, figure in [("移交问题线索", linked["leads"]), ("立行立改", linked["immediate"]),
                          ("立案", linked["cases_filed"]), ("党纪政务处分", linked["sanctioned_people"]),
                          ("留置", linked["detentions"])]:
        assert row_has(text.stdout, label, str(figure)), (label, figure, text.stdout)
    cat = stats(suite, "--category", linked["category"])
    assert cat["intake"]["problems"]["total"] == linked["leads"] + linked["immediate"]

    # the dates spread the problems over the five years, each counted once
    per_year = {y: stats(suite, "--year", str(y))["intake"]["problems"]["total"]
                for y in range(profile["first_year"], profile["last_year"] + 1)}
    assert sum(per_year.values()) == profile["problems"], per_year
    assert all(n > 0 for n in per_year.values()), per_year
    assert stats(suite, "--year", "2016")["intake"]["problems"]["total"] == 0

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
    late = 0
    for it in items:
        one = json.loads(xcctl(suite, "--json", "rectify", "get", "--item", str(it["id"])).stdout)
        assert one["state"] == "closed", one
        claims = [h for h in one["history"] if h.get("action") in ("claim", "claimed")]
        assert claims, one["history"]
        claimed_on = claims[-1].get("occurred_on")
        assert claimed_on, claims[-1]
        late += claimed_on > one["due"]
    assert late == 2, items                  # a quarter of 8, by the profile
    got = stats(suite)["rectify"]
    assert got["on_time"]["due"] == 8 and got["on_time"]["closed_on_time"] == 6, got["on_time"]
    assert got["on_time"]["rate"] == "75.00"
    assert got["overdue_now"] == 0
    # the dates are the years': nothing happened today
    assert stats(suite, "--year", "2018")["intake"]["problems"]["total"] > 0


def test_a_profile_that_cannot_be_simulated_is_refused_before_anything_is_sent(suite, tmp_path):
    for broken, said in [({k: v for k, v in SMALL.items() if k != "districts"}, "districts"),
                         ({**SMALL, "leads": SMALL["problems"] + 1}, "do not fit together"),
                         ({**SMALL, "last_year": 2016}, "first_year")]:
        path = tmp_path / "broken.json"
        path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
        run = xcctl(suite, "simulate", "--profile", str(path))
        assert run.returncode == 4 and said in run.stderr, (broken, run.stderr)
    units = json.loads(xcctl(suite, "--json", "unit", "list").stdout)
    assert (units["items"] if isinstance(units, dict) else units) == [], units
