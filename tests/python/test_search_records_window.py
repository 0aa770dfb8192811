"""rectify.search and referral.search rank the newest policies.<svc>.search.rank_window matches
(common/search_query.h; docs/services/rectify.md and referral.md, "Search"): a common term's best
match among older records is not ranked, one within the window is; count still counts every match;
fewer matches than the window are all ranked.

One world: xc-intake, xc-rectify and xc-referral made their stores, 1,300 items and 1,300 referrals
were written into them straight with SQLite (tests/python/searchlib.py: the stores' triggers index
them), then the services started again on them with rank_window 1100 (the least the policy takes).
"""
import os
import sys
import time

import pytest

import searchlib
from conftest import Suite, write_json

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from stats_bench import insert_rows  # noqa: E402  (fills every NOT NULL column of the schema)

N = 1300
RANK_WINDOW = 1100
POLICIES = {"rectify": {"search": {"rank_window": RANK_WINDOW}},
            "referral": {"search": {"rank_window": RANK_WINDOW}}}
SERVICES = ["intake", "rectify", "referral"]
# a narrow reader each: rectify's unit U1 (its items), referral's audit office (the handovers to it)
PRINCIPALS = {"office": ("office", "office", {}), "unit": ("unit-u1", "unit", {"units": ["U1"]}),
              "audit": ("audit-city", "audit", {})}
NARROW = {"rectify": "unit", "referral": "audit"}


def summary(i):
    # record 1 says 公车 three times in a short text: bm25's best; the others once, in a longer one;
    # 台账 in record 2 (short: its best) and every hundredth (as long as each other: ties)
    if i <= 2:
        return "公车公车公车" if i == 1 else "公车台账"
    return f"违规使用公车问题{i}" + ("台账" if i % 100 == 0 else "")


def load_rectify(path):
    con = searchlib.connect(path, isolation_level=None)
    con.execute("BEGIN")
    unit = {"id": "U1", "name": "湖塘镇张家村", "level": "village", "parent": None}
    insert_rows(con, "units", [unit], unit)
    name = {"unit": "U1", "n": 1, "name": unit["name"], "from_on": "2019-01-01"}
    insert_rows(con, "unit_names", [name], name)
    rnd = {"id": "R1", "name": "2020年第一轮巡察", "regime": "standard", "kind": "regular", "owner_level": "city",
           "owner_district": None, "year": 2020}
    insert_rows(con, "rounds", [rnd], rnd)

    def item(i):
        return {"id": i, "problem": i, "round": "R1", "unit": "U1", "unit_level": "village", "category": "eight_rules",
                "category_name": "违反中央八项规定精神", "summary": summary(i), "detail": "经查属实，已责令整改。",
                "severity": "general", "class": "deadline", "regime": "standard", "state": "opened",
                "opened_on": "2020-06-01", "applied_on": "2020-06-01", "due": "2020-12-01"}
    insert_rows(con, "items", (item(i) for i in range(1, N + 1)), item(1))
    con.execute("COMMIT")
    con.close()


def load_referral(path):
    con = searchlib.connect(path, isolation_level=None)
    con.execute("BEGIN")
    unit = {"id": "U1", "level": "village", "parent": None}
    insert_rows(con, "units", [unit], unit)
    name = {"unit": "U1", "from_on": "2019-01-01", "name": "湖塘镇张家村"}
    insert_rows(con, "unit_names", [name], name)
    rnd = {"id": "R1", "name": "2020年第一轮巡察", "kind": "regular", "owner_level": "city", "owner_district": None,
           "year": 2020, "planned_start": "2020-03-01"}
    insert_rows(con, "rounds", [rnd], rnd)

    def referral(i):
        return {"id": i, "kind": "handover", "target": "audit-city", "problem": None, "title": summary(i),
                "content": "移交审计核查", "state": "referred", "referred_on": "2020-06-01", "due": "2020-07-01",
                "due_start": "2020-06-01", "due_policy": "{}", "due_explain": "-", "round": "R1", "unit": "U1",
                "unit_level": "village", "category": "eight_rules", "category_name": "违反中央八项规定精神",
                "last_on": "2020-06-01", "applied_on": "2020-06-01"}
    insert_rows(con, "referrals", (referral(i) for i in range(1, N + 1)), referral(1))
    con.execute("COMMIT")
    con.close()


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    started = time.monotonic()
    folder = str(tmp_path_factory.mktemp("records_window"))
    made = Suite(folder, SERVICES, PRINCIPALS, POLICIES)
    made.start()
    made.stop()
    load_rectify(os.path.join(folder, "rectify.db"))
    load_referral(os.path.join(folder, "referral.db"))
    suite = Suite(folder, SERVICES, PRINCIPALS, POLICIES)
    write_json(suite.config_path, suite.config)
    suite.start()
    print(f"\nthe world of {N} items and {N} referrals: {time.monotonic() - started:.1f} s")
    yield suite
    assert suite.stop() == {s: 0 for s in SERVICES}


def search(suite, service, who="office", **data):
    reply = suite.client(service).call(getattr(suite, who), f"{service}.search", data)
    assert reply["type"] == "result", reply
    return reply["data"]


@pytest.mark.parametrize("service", ["rectify", "referral"])
@pytest.mark.parametrize("narrow", [False, True])
def test_a_common_term_ranks_the_newest_rank_window_and_counts_every_match(w, service, narrow):
    who = NARROW[service] if narrow else "office"
    page = search(w, service, who, q="公车", limit=100)
    assert page["count"] == N and page["count_capped"] is False
    ids = [int(r["id"]) for r in page["results"]]
    # record 1 is bm25's best but older than the newest 1100 matches: not ranked
    assert len(ids) == 100 and 1 not in ids
    assert all(i > N - RANK_WINDOW for i in ids), ids
    scores = [float(r["score"]) for r in page["results"]]
    assert scores == sorted(scores, reverse=True)
    # the deepest page the schema takes ends within the window
    last = search(w, service, who, q="公车", limit=100, offset=1000)
    assert len(last["results"]) == 100 and last["next"] is None     # the window ends the pages
    assert all(i > N - RANK_WINDOW for i in (int(r["id"]) for r in last["results"]))
    assert not {int(r["id"]) for r in last["results"]} & set(ids)


@pytest.mark.parametrize("service", ["rectify", "referral"])
def test_fewer_matches_than_the_window_are_all_ranked_best_first(w, service):
    # 台账: record 2 and the 13 hundredths, fewer than the window: all ranked, the oldest best first
    page = search(w, service, q="台账", limit=100)
    assert page["count"] == 14 and page["next"] is None
    assert [int(r["id"]) for r in page["results"]] == [2] + list(range(1300, 99, -100))
    page = search(w, service, q="公车公车")
    assert page["count"] == 1 and [int(r["id"]) for r in page["results"]] == [1]
    assert page["results"][0]["title"] == ["", "公车公车公车"]
    # the marks are the page's own rows': every title marks 问题12
    page = search(w, service, q="台账", limit=5, offset=5)
    assert all("台账" in r["title"][1::2] for r in page["results"]) and len(page["results"]) == 5
